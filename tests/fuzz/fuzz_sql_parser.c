/*
 * fuzz_sql_parser: the SQL parser (sql/parser.h) on arbitrary text.
 *
 * Each input is parsed as a statement list in all three dialects
 * (GreptimeDB, MySQL, PostgreSQL) and as a single expression, each in a
 * fresh arena. Queries, inserts' sources and expressions that parse are
 * printed back (ast.h printers), which walks the whole tree. Checks: a
 * failed parse leaves out.n == 0; a successful one gives statements whose
 * source span lies inside the input. Then an OOM pass (fuzz_util.h).
 */
#include <string.h>

#include "base/buf.h"
#include "fuzz/fuzz_util.h"
#include "sql/ast.h"
#include "sql/parser.h"

static void print_stmt(struct buf *b, const struct sql_stmt *s)
{
	switch (s->kind) {
	case SQL_STMT_QUERY:
		sql_print_query(b, s->u.query, 0);
		sql_print_query(b, s->u.query, SQL_PRINT_CANONICAL | SQL_PRINT_ESCAPE_BACKSLASH);
		break;
	case SQL_STMT_INSERT:
		if (s->u.insert.source)
			sql_print_query(b, s->u.insert.source, 0);
		sql_print_name(b, &s->u.insert.table, 0);
		break;
	case SQL_STMT_DELETE:
		if (s->u.del.where)
			sql_print_expr(b, s->u.del.where, 0);
		break;
	case SQL_STMT_EXPLAIN:
		if (s->u.explain.stmt)
			print_stmt(b, s->u.explain.stmt);
		break;
	default:
		break;
	}
}

static void parse_all(const char *text, size_t len, int print)
{
	static const enum sql_dialect dialects[] = {SQL_DIALECT_GREPTIME, SQL_DIALECT_MYSQL,
						     SQL_DIALECT_POSTGRES};
	struct buf b;
	buf_init(&b);
	for (size_t d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++) {
		struct arena *a = arena_create(4096);
		if (!a)
			continue;
		struct sql_stmt_list l;
		memset(&l, 0, sizeof(l));
		int rc = sql_parse_ex(text, len, dialects[d], a, &l);
		if (rc) {
			FUZZ_CHECK(l.n == 0);
		} else {
			for (size_t i = 0; i < l.n; i++) {
				const struct sql_stmt *s = l.items[i];
				FUZZ_CHECK(s != NULL);
				FUZZ_CHECK((size_t)s->off + s->len <= len);
				if (print) {
					buf_reset(&b);
					print_stmt(&b, s);
				}
			}
		}
		arena_reset(a);
		struct sql_expr *e = NULL;
		if (sql_parse_expr(text, len, dialects[d], a, &e) == 0 && print) {
			FUZZ_CHECK(e != NULL);
			buf_reset(&b);
			sql_print_expr(&b, e, 0);
			sql_expr_to_sql(a, e, SQL_PRINT_CANONICAL);
		}
		arena_destroy(a);
	}
	buf_free(&b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* sql_parse_ex takes a length: the text is not NUL-terminated */
	char *text = (char *)fuzz_guarded_copy(data, size);
	if (!text)
		return 0;
	parse_all(text, size, 1);
	fuzz_oom_begin(data, size);
	parse_all(text, size, 1);
	fuzz_oom_end();
	return 0;
}
