/*
 * Unit tests for the SQL query engine (src/sql/exec.h): SQL text goes
 * through sql_parse and sql_exec_query over in-memory table providers, and
 * the result is rendered as the sqlness .result files show it (Arrow's
 * pretty printer), so expectations are copied from GreptimeDB's peer cases
 * where they exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/exec.h"
#include "sql/expr.h"
#include "sql/parser.h"

/* ---- in-memory tables ------------------------------------------------------ */

#define MT_MAX_COLS 16

struct mem_table {
	struct table_provider tp;
	char name[64];
	struct table_column cols[MT_MAX_COLS];
	char colnames[MT_MAX_COLS][32];
	struct batch data;
	uint32_t batch_rows;
	/* what the last scan asked for */
	struct scan_request last_req;
	bool last_proj[MT_MAX_COLS];
	bool last_proj_all;
	struct scan_pred last_preds[32];
	uint32_t last_npreds;
	int scans, releases;
	const char *describe;
};

struct mem_stream {
	struct batch_stream bs;
	struct mem_table *t;
	uint32_t pos;
	bool proj[MT_MAX_COLS];
	struct batch out;
	bool out_init;
};

static int ms_next(struct batch_stream *s, const struct batch **out)
{
	struct mem_stream *m = (struct mem_stream *)s;
	struct mem_table *t = m->t;
	*out = NULL;
	if (m->pos >= t->data.nrows)
		return 0;
	uint32_t n = t->data.nrows - m->pos;
	if (t->batch_rows && n > t->batch_rows)
		n = t->batch_rows;
	if (!m->out_init) {
		enum dtype tt[MT_MAX_COLS];
		for (uint32_t c = 0; c < t->tp.ncols; c++)
			tt[c] = t->cols[c].type;
		assert_int_equal(batch_init(&m->out, t->tp.ncols, tt), 0);
		m->out_init = true;
	}
	batch_reset(&m->out);
	for (uint32_t c = 0; c < t->tp.ncols; c++)
		if (m->proj[c])
			assert_int_equal(colvec_append_range(&m->out.cols[c], &t->data.cols[c], m->pos, n), 0);
	m->out.nrows = n;
	m->pos += n;
	*out = &m->out;
	return 0;
}

static void ms_close(struct batch_stream *s)
{
	struct mem_stream *m = (struct mem_stream *)s;
	if (m->out_init)
		batch_free(&m->out);
	free(m);
}

static int mt_scan(struct table_provider *tp, const struct scan_request *req, struct batch_stream **out)
{
	struct mem_table *t = tp->ctx;
	struct mem_stream *m = calloc(1, sizeof(*m));
	m->bs.next = ms_next;
	m->bs.close = ms_close;
	m->t = t;
	t->scans++;
	t->last_req = *req;
	t->last_proj_all = req->projection == NULL;
	for (uint32_t c = 0; c < tp->ncols; c++) {
		m->proj[c] = !req->projection || req->projection[c];
		t->last_proj[c] = m->proj[c];
	}
	t->last_npreds = req->npreds < 32 ? req->npreds : 32;
	for (uint32_t i = 0; i < t->last_npreds; i++)
		t->last_preds[i] = req->preds[i];
	*out = &m->bs;
	return 0;
}

static void mt_release(struct table_provider *tp)
{
	struct mem_table *t = tp->ctx;
	t->releases++;
}

static const char *mt_describe(struct table_provider *tp)
{
	struct mem_table *t = tp->ctx;
	return t->describe;
}

static struct mem_table *tables[16];
static int ntables;

/* spec: "a:Int32,b:String,ts:TimestampMillisecond:ti,host:String:tag" */
static struct mem_table *mt_create(const char *name, const char *spec)
{
	struct mem_table *t = calloc(1, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s", spec);
	enum dtype types[MT_MAX_COLS];
	uint32_t n = 0;
	for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *c1 = strchr(tok, ':');
		*c1++ = 0;
		char *c2 = strchr(c1, ':');
		if (c2)
			*c2++ = 0;
		snprintf(t->colnames[n], sizeof(t->colnames[n]), "%s", tok);
		int ty = dtype_from_name(c1);
		assert_true(ty >= 0);
		t->cols[n].name = t->colnames[n];
		t->cols[n].type = (enum dtype)ty;
		t->cols[n].nullable = true;
		t->cols[n].is_time_index = c2 && strcmp(c2, "ti") == 0;
		t->cols[n].is_tag = c2 && strcmp(c2, "tag") == 0;
		types[n] = (enum dtype)ty;
		n++;
	}
	t->tp.name = t->name;
	t->tp.ncols = n;
	t->tp.cols = t->cols;
	t->tp.scan = mt_scan;
	t->tp.release = mt_release;
	t->tp.describe_scan = mt_describe;
	t->tp.ctx = t;
	assert_int_equal(batch_init(&t->data, n, types), 0);
	tables[ntables++] = t;
	return t;
}

/* "1|hello|NULL|1000": ints/timestamps as numbers, floats, strings raw */
static void mt_row(struct mem_table *t, const char *row)
{
	char tmp[1024];
	snprintf(tmp, sizeof(tmp), "%s", row);
	char *p = tmp;
	for (uint32_t c = 0; c < t->tp.ncols; c++) {
		char *bar = strchr(p, '|');
		if (bar)
			*bar = 0;
		struct colvec *v = &t->data.cols[c];
		if (strcmp(p, "NULL") == 0)
			assert_int_equal(colvec_push_null(v), 0);
		else if (dtype_phys(v->type) == PHYS_I64)
			assert_int_equal(colvec_push_i64(v, strcmp(p, "true") == 0 ? 1 : strcmp(p, "false") == 0 ? 0 : strtoll(p, NULL, 10)), 0);
		else if (dtype_phys(v->type) == PHYS_F64)
			assert_int_equal(colvec_push_f64(v, strtod(p, NULL)), 0);
		else
			assert_int_equal(colvec_push_bytes(v, p, strlen(p)), 0);
		p = bar ? bar + 1 : p + strlen(p);
	}
	t->data.nrows++;
}

static void mt_free_all(void)
{
	for (int i = 0; i < ntables; i++) {
		batch_free(&tables[i]->data);
		free(tables[i]);
	}
	ntables = 0;
}

static int resolve(void *ctx, struct session *s, const struct sql_name *name,
		   struct table_provider **out)
{
	(void)ctx, (void)s;
	const char *n = name->part[name->n - 1].name;
	for (int i = 0; i < ntables; i++)
		if (strcmp(tables[i]->name, n) == 0) {
			*out = &tables[i]->tp;
			return 0;
		}
	return err_set(ERR_NOT_FOUND, "Table not found: greptime.public.%s", n);
}

static int env_calls;

static int call_fn(void *ctx, struct session *s, const char *name, const struct datum *args,
		   uint32_t nargs, struct arena *a, struct datum *out)
{
	(void)ctx, (void)s, (void)a;
	env_calls++;
	if (strcmp(name, "read_preference") == 0) {
		out->type = DT_STRING;
		out->v.s.p = "LEADER";
		out->v.s.n = 6;
		return 0;
	}
	if (strcmp(name, "flush_table") == 0 && nargs == 1 && args[0].type == DT_STRING) {
		out->type = DT_UINT64;
		out->v.i = 0;
		return 0;
	}
	return ERR_NOT_FOUND;
}

/* ---- running SQL -------------------------------------------------------------- */

static struct session sess;
static struct exec_env env;

static int setup(void **state)
{
	(void)state;
	session_init(&sess, SESSION_HTTP, 1);
	memset(&env, 0, sizeof(env));
	env.resolve_table = resolve;
	env.call_function = call_fn;
	env.now_ms = 1700000000123LL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mt_free_all();
	return 0;
}

/* Render like the sqlness .result files (Arrow's pretty printer). */
static char *render(const struct result_set *rs)
{
	struct buf b;
	buf_init(&b);
	if (rs->rows.nrows == 0) {
		buf_printf(&b, "++\n++\n");
		return buf_cstr(&b);
	}
	uint32_t nc = rs->ncols, nr = rs->rows.nrows;
	char ***cells = calloc(nr + 1, sizeof(char **));
	size_t *w = calloc(nc + 1, sizeof(size_t));
	struct vfmt_tz utc = {0, NULL};
	for (uint32_t c = 0; c < nc; c++)
		for (const char *q = rs->names[c]; *q; q++)
			w[c] += ((unsigned char)*q & 0xC0) != 0x80;
	for (uint32_t r = 0; r < nr; r++) {
		cells[r] = calloc(nc + 1, sizeof(char *));
		for (uint32_t c = 0; c < nc; c++) {
			struct buf cb;
			buf_init(&cb);
			const struct colvec *v = &rs->rows.cols[c];
			assert_true(v->len == nr);
			if (!colvec_is_null(v, r)) {
				struct xval x = {v, {0}};
				struct datum d;
				xval_get(&x, v->type, r, &d);
				format_value(&cb, &d, &utc);
			}
			cells[r][c] = strdup(buf_cstr(&cb) ? buf_cstr(&cb) : "");
			buf_free(&cb);
			/* width in characters */
			size_t l = 0;
			for (const char *q = cells[r][c]; *q; q++)
				l += ((unsigned char)*q & 0xC0) != 0x80;
			if (l > w[c])
				w[c] = l;
		}
	}
	for (int pass = 0; pass < 3; pass++) {
		/* separator */
		buf_putc(&b, '+');
		for (uint32_t c = 0; c < nc; c++) {
			for (size_t k = 0; k < w[c] + 2; k++)
				buf_putc(&b, '-');
			buf_putc(&b, '+');
		}
		buf_putc(&b, '\n');
		if (pass == 0) {
			buf_putc(&b, '|');
			for (uint32_t c = 0; c < nc; c++) {
				size_t l = 0;
				for (const char *q = rs->names[c]; *q; q++)
					l += ((unsigned char)*q & 0xC0) != 0x80;
				buf_printf(&b, " %s%*s |", rs->names[c], (int)(w[c] - l), "");
			}
			buf_putc(&b, '\n');
		} else if (pass == 1) {
			for (uint32_t r = 0; r < nr; r++) {
				buf_putc(&b, '|');
				for (uint32_t c = 0; c < nc; c++) {
					size_t l = 0;
					for (const char *q = cells[r][c]; *q; q++)
						l += ((unsigned char)*q & 0xC0) != 0x80;
					buf_printf(&b, " %s%*s |", cells[r][c], (int)(w[c] - l), "");
				}
				buf_putc(&b, '\n');
			}
		}
	}
	for (uint32_t r = 0; r < nr; r++) {
		for (uint32_t c = 0; c < nc; c++)
			free(cells[r][c]);
		free(cells[r]);
	}
	free(cells);
	free(w);
	return buf_cstr(&b);
}

/* Run one query; on success *text is the rendered table (malloc'd). */
static int run(const char *sql, char **text, struct result_set *keep)
{
	struct arena *a = arena_create(4096);
	struct sql_stmt_list l;
	int rc = sql_parse(sql, a, &l);
	if (rc) {
		arena_destroy(a);
		return rc;
	}
	assert_int_equal(l.n, 1);
	struct result_set rs;
	const struct sql_stmt *st = l.items[0];
	if (st->kind == SQL_STMT_EXPLAIN)
		rc = sql_exec_explain(&env, &sess, st, a, &rs);
	else {
		assert_int_equal(st->kind, SQL_STMT_QUERY);
		rc = sql_exec_query(&env, &sess, st->u.query, a, &rs);
	}
	if (!rc) {
		if (text)
			*text = render(&rs);
		if (keep)
			*keep = rs;
		else
			result_set_free(&rs);
	}
	arena_destroy(a);
	return rc;
}

static void check_(const char *sql, const char *expect, int line)
{
	char *got = NULL;
	int rc = run(sql, &got, NULL);
	if (rc) {
		fprintf(stderr, "line %d: %s\n  failed: %s (%s)\n", line, sql, err_msg(), err_code_name(rc));
		fail();
	}
	if (strcmp(got, expect) != 0) {
		fprintf(stderr, "line %d: %s\n--- expected\n%s--- got\n%s", line, sql, expect, got);
		free(got);
		fail();
	}
	free(got);
}
#define check(sql, expect) check_(sql, expect, __LINE__)

static void check_err_(const char *sql, int code, const char *msg, int line)
{
	char *got = NULL;
	int rc = run(sql, &got, NULL);
	if (rc == 0) {
		fprintf(stderr, "line %d: %s\n  expected an error, got\n%s", line, sql, got);
		free(got);
		fail();
	}
	bool prefix = msg && msg[0] == '^';
	if (prefix)
		msg++;
	if (rc != code || (msg && (prefix ? strncmp(err_msg(), msg, strlen(msg)) : strcmp(err_msg(), msg)) != 0)) {
		fprintf(stderr, "line %d: %s\n  expected %s: %s\n  got      %s: %s\n", line, sql,
			err_code_name(code), msg ? msg : "(any)", err_code_name(rc), err_msg());
		fail();
	}
}
#define check_err(sql, code, msg) check_err_(sql, code, msg, __LINE__)

/* ---- fixtures ------------------------------------------------------------------ */

static void make_test_ab(void)
{
	struct mem_table *t = mt_create("test", "a:Int32,b:Int32,ts:TimestampMillisecond:ti");
	mt_row(t, "11|22|1");
	mt_row(t, "12|21|2");
	mt_row(t, "13|22|3");
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_order_by_peer(void **state)
{
	(void)state;
	make_test_ab();
	check("select b from test where a = 12;",
	      "+----+\n| b  |\n+----+\n| 21 |\n+----+\n");
	check("SELECT b FROM test ORDER BY a DESC;",
	      "+----+\n| b  |\n+----+\n| 22 |\n| 21 |\n| 22 |\n+----+\n");
	check("SELECT a, b FROM test ORDER BY b, a;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 12 | 21 |\n| 11 | 22 |\n| 13 | 22 |\n+----+----+\n");
	check("SELECT a, b FROM test ORDER BY 2, 1;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 12 | 21 |\n| 11 | 22 |\n| 13 | 22 |\n+----+----+\n");
	check("SELECT a, b FROM test ORDER BY b DESC, a;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 11 | 22 |\n| 13 | 22 |\n| 12 | 21 |\n+----+----+\n");
	check("SELECT a, b FROM test ORDER BY b, a DESC LIMIT 1 OFFSET 1;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 13 | 22 |\n+----+----+\n");
	check("SELECT a, b FROM test ORDER BY b, a DESC OFFSET 1;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 13 | 22 |\n| 11 | 22 |\n+----+----+\n");
	check("SELECT b, a FROM test WHERE a < 13 ORDER BY b DESC;",
	      "+----+----+\n| b  | a  |\n+----+----+\n| 22 | 11 |\n| 21 | 12 |\n+----+----+\n");
	check("SELECT b % 2 AS f, SUM(a) FROM test GROUP BY f ORDER BY b % 2;",
	      "+---+-------------+\n| f | sum(test.a) |\n+---+-------------+\n| 0 | 24          |\n| 1 | 12          |\n+---+-------------+\n");
	check("SELECT b % 2 AS f, a FROM test ORDER BY b % 2, a;",
	      "+---+----+\n| f | a  |\n+---+----+\n| 0 | 11 |\n| 0 | 13 |\n| 1 | 12 |\n+---+----+\n");
	check("SELECT b % 2 AS f, SUM(a) FROM test GROUP BY f ORDER BY f;",
	      "+---+-------------+\n| f | sum(test.a) |\n+---+-------------+\n| 0 | 24          |\n| 1 | 12          |\n+---+-------------+\n");
	check("SELECT b % 2 AS f, SUM(a) FROM test GROUP BY f ORDER BY 1;",
	      "+---+-------------+\n| f | sum(test.a) |\n+---+-------------+\n| 0 | 24          |\n| 1 | 12          |\n+---+-------------+\n");
	check("SELECT a-10 AS k FROM test UNION SELECT a-10 AS l FROM test ORDER BY k;",
	      "+---+\n| k |\n+---+\n| 1 |\n| 2 |\n| 3 |\n+---+\n");
	check_err("SELECT a-10 AS k FROM test UNION SELECT a-10 AS l FROM test ORDER BY l;", ERR_PLAN,
		  "Failed to plan SQL: No field named l. Valid fields are k.");
	check("SELECT a-10 AS k FROM test UNION SELECT a-10 AS l FROM test ORDER BY 1-k;",
	      "+---+\n| k |\n+---+\n| 3 |\n| 2 |\n| 1 |\n+---+\n");
	check_err("SELECT a-10 AS k FROM test UNION SELECT a-10 AS l FROM test ORDER BY a-10;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: For SELECT DISTINCT, ORDER BY expressions a must appear in select list");
}

static void test_order_by_nulls(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("test", "c1:Int32,c2:Int32,c3:String,c4:Float64,ts:TimestampMillisecond:ti");
	mt_row(t, "1|NULL|a|3.0|1");
	mt_row(t, "2|3|b|4.0|2");
	mt_row(t, "3|4|c|5.0|3");
	check("SELECT c1, c3 FROM test ORDER BY c2;",
	      "+----+----+\n| c1 | c3 |\n+----+----+\n| 2  | b  |\n| 3  | c  |\n| 1  | a  |\n+----+----+\n");
	check("SELECT c1, c3 FROM test ORDER BY c2 NULLS FIRST;",
	      "+----+----+\n| c1 | c3 |\n+----+----+\n| 1  | a  |\n| 2  | b  |\n| 3  | c  |\n+----+----+\n");
	check("SELECT c1 FROM test ORDER BY c2 DESC;",
	      "+----+\n| c1 |\n+----+\n| 1  |\n| 3  |\n| 2  |\n+----+\n");
	check("SELECT c2 FROM test ORDER BY ts;",
	      "+----+\n| c2 |\n+----+\n|    |\n| 3  |\n| 4  |\n+----+\n");
}

static void test_min_max_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("strings", "s:String,g:Int32,ts:TimestampMillisecond:ti");
	mt_row(t, "hello|0|1000");
	mt_row(t, "world|1|2000");
	mt_row(t, "NULL|0|3000");
	mt_row(t, "r|1|4000");
	check("SELECT COUNT(*), COUNT(s), MIN(s), MAX(s) FROM strings;",
	      "+----------+------------------+----------------+----------------+\n"
	      "| count(*) | count(strings.s) | min(strings.s) | max(strings.s) |\n"
	      "+----------+------------------+----------------+----------------+\n"
	      "| 4        | 3                | hello          | world          |\n"
	      "+----------+------------------+----------------+----------------+\n");
	check("SELECT COUNT(*), COUNT(s), MIN(s), MAX(s) FROM strings WHERE s IS NULL;",
	      "+----------+------------------+----------------+----------------+\n"
	      "| count(*) | count(strings.s) | min(strings.s) | max(strings.s) |\n"
	      "+----------+------------------+----------------+----------------+\n"
	      "| 1        | 0                |                |                |\n"
	      "+----------+------------------+----------------+----------------+\n");
	check("SELECT g, COUNT(*), COUNT(s), MIN(s), MAX(s) FROM strings WHERE s IS NULL OR s <> 'hello' GROUP BY g ORDER BY g;",
	      "+---+----------+------------------+----------------+----------------+\n"
	      "| g | count(*) | count(strings.s) | min(strings.s) | max(strings.s) |\n"
	      "+---+----------+------------------+----------------+----------------+\n"
	      "| 0 | 1        | 0                |                |                |\n"
	      "| 1 | 2        | 2                | r              | world          |\n"
	      "+---+----------+------------------+----------------+----------------+\n");
	struct mem_table *b = mt_create("booleans", "b:Boolean,g:Int32,ts:TimestampMillisecond:ti");
	mt_row(b, "false|0|1000");
	mt_row(b, "true|1|2000");
	mt_row(b, "NULL|0|3000");
	mt_row(b, "false|1|4000");
	check("SELECT g, COUNT(*), COUNT(b), MIN(b), MAX(b) FROM booleans GROUP BY g ORDER BY g;",
	      "+---+----------+-------------------+-----------------+-----------------+\n"
	      "| g | count(*) | count(booleans.b) | min(booleans.b) | max(booleans.b) |\n"
	      "+---+----------+-------------------+-----------------+-----------------+\n"
	      "| 0 | 2        | 1                 | false           | false           |\n"
	      "| 1 | 2        | 2                 | false           | true            |\n"
	      "+---+----------+-------------------+-----------------+-----------------+\n");
	struct mem_table *d = mt_create("doubles", "d:Float64,g:Int32,ts:TimestampMillisecond:ti");
	mt_row(d, "1.5|0|1000");
	mt_row(d, "5.5|1|2000");
	mt_row(d, "NULL|0|3000");
	mt_row(d, "3.5|1|4000");
	mt_row(d, "2.5|0|5000");
	check("SELECT g, MIN(d), MAX(d) FROM doubles GROUP BY g ORDER BY g;",
	      "+---+----------------+----------------+\n"
	      "| g | min(doubles.d) | max(doubles.d) |\n"
	      "+---+----------------+----------------+\n"
	      "| 0 | 1.5            | 2.5            |\n"
	      "| 1 | 3.5            | 5.5            |\n"
	      "+---+----------------+----------------+\n");
}

static void test_sum_peer(void **state)
{
	(void)state;
	struct mem_table *n = mt_create("numbers", "number:UInt32");
	for (int i = 0; i < 100; i++) {
		char r[16];
		snprintf(r, sizeof(r), "%d", i);
		mt_row(n, r);
	}
	check("SELECT SUM(number) FROM numbers;",
	      "+---------------------+\n| sum(numbers.number) |\n+---------------------+\n| 4950                |\n+---------------------+\n");
	check("SELECT SUM(1) FROM numbers;",
	      "+---------------+\n| sum(Int64(1)) |\n+---------------+\n| 100           |\n+---------------+\n");
	check("SELECT SUM(-1) FROM numbers;",
	      "+----------------+\n| sum(Int64(-1)) |\n+----------------+\n| -100           |\n+----------------+\n");
	check("SELECT SUM(-1) FROM numbers WHERE number=-1;",
	      "+----------------+\n| sum(Int64(-1)) |\n+----------------+\n|                |\n+----------------+\n");
	check("SELECT SUM(-1) FROM numbers WHERE number>10000 limit 1000;",
	      "+----------------+\n| sum(Int64(-1)) |\n+----------------+\n|                |\n+----------------+\n");
	struct mem_table *b = mt_create("bigints", "b:Int64,ts:TimestampMillisecond:ti");
	mt_row(b, "4611686018427387904|1");
	mt_row(b, "4611686018427388904|2");
	mt_row(b, "1|3");
	check("SELECT SUM(b) FROM bigints;",
	      "+----------------------+\n| sum(bigints.b)       |\n+----------------------+\n| -9223372036854774807 |\n+----------------------+\n");
	struct mem_table *d = mt_create("doubles", "n:Float64,ts:TimestampMillisecond:ti");
	mt_row(d, "9007199254740992|1");
	mt_row(d, "1|2");
	mt_row(d, "1|3");
	mt_row(d, "0|4");
	check("SELECT sum(n) from doubles;",
	      "+--------------------+\n| sum(doubles.n)     |\n+--------------------+\n| 9007199254740992.0 |\n+--------------------+\n");
}

static void test_basic_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("system_metrics",
					"host:String:tag,idc:String:tag,cpu_util:Float64,memory_util:Float64,disk_util:Float64,ts:TimestampMillisecond:ti");
	mt_row(t, "host1|idc_a|11.8|10.3|10.3|1667446797450");
	mt_row(t, "host1|idc_b|50.0|66.7|40.6|1667446797450");
	mt_row(t, "host2|idc_a|80.0|70.3|90.0|1667446797450");
	check("SELECT * FROM system_metrics;",
	      "+-------+-------+----------+-------------+-----------+-------------------------+\n"
	      "| host  | idc   | cpu_util | memory_util | disk_util | ts                      |\n"
	      "+-------+-------+----------+-------------+-----------+-------------------------+\n"
	      "| host1 | idc_a | 11.8     | 10.3        | 10.3      | 2022-11-03T03:39:57.450 |\n"
	      "| host1 | idc_b | 50.0     | 66.7        | 40.6      | 2022-11-03T03:39:57.450 |\n"
	      "| host2 | idc_a | 80.0     | 70.3        | 90.0      | 2022-11-03T03:39:57.450 |\n"
	      "+-------+-------+----------+-------------+-----------+-------------------------+\n");
	check("SELECT count(*) FROM system_metrics;",
	      "+----------+\n| count(*) |\n+----------+\n| 3        |\n+----------+\n");
	check("SELECT avg(cpu_util) FROM system_metrics;",
	      "+------------------------------+\n| avg(system_metrics.cpu_util) |\n+------------------------------+\n| 47.26666666666667            |\n+------------------------------+\n");
	check("SELECT idc, avg(memory_util) FROM system_metrics GROUP BY idc ORDER BY idc;",
	      "+-------+---------------------------------+\n"
	      "| idc   | avg(system_metrics.memory_util) |\n"
	      "+-------+---------------------------------+\n"
	      "| idc_a | 40.3                            |\n"
	      "| idc_b | 66.7                            |\n"
	      "+-------+---------------------------------+\n");
	/* count(*) needs no column */
	assert_int_equal(run("SELECT count(*) FROM system_metrics", NULL, NULL), 0);
	for (uint32_t c = 0; c < t->tp.ncols; c++)
		assert_false(t->last_proj[c]);
	assert_int_equal(t->releases, t->scans);
}

static void test_date_functions_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("dates", "d:Date,ts:TimestampMillisecond:ti");
	mt_row(t, "8035|1");   /* 1992-01-01 */
	mt_row(t, "8764|2");   /* 1993-12-30 */
	mt_row(t, "19697|3");  /* 2023-12-06 */
	check("SELECT date_add('2023-12-06 07:39:46.222'::TIMESTAMP_MS, INTERVAL '5 day');",
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| date_add(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 5, nanoseconds: 0 }\")) |\n"
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-11T07:39:46.222                                                                                                                                         |\n"
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add('2023-12-06 07:39:46.222'::TIMESTAMP_MS, '5 day');",
	      "+-------------------------------------------------------------------------------------------+\n"
	      "| date_add(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),Utf8(\"5 day\")) |\n"
	      "+-------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-11T07:39:46.222                                                                   |\n"
	      "+-------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add('2023-12-06'::DATE, INTERVAL '3 month 5 day');",
	      "+------------------------------------------------------------------------------------------------------------------+\n"
	      "| date_add(Utf8(\"2023-12-06\"),IntervalMonthDayNano(\"IntervalMonthDayNano { months: 3, days: 5, nanoseconds: 0 }\")) |\n"
	      "+------------------------------------------------------------------------------------------------------------------+\n"
	      "| 2024-03-11                                                                                                       |\n"
	      "+------------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add('2023-12-06'::DATE, '3 month 5 day');",
	      "+----------------------------------------------------+\n"
	      "| date_add(Utf8(\"2023-12-06\"),Utf8(\"3 month 5 day\")) |\n"
	      "+----------------------------------------------------+\n"
	      "| 2024-03-11                                         |\n"
	      "+----------------------------------------------------+\n");
	check("SELECT date_sub('2023-12-06 07:39:46.222'::TIMESTAMP_MS, INTERVAL '5 day');",
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| date_sub(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 5, nanoseconds: 0 }\")) |\n"
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-01T07:39:46.222                                                                                                                                         |\n"
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub('2023-12-06 07:39:46.222'::TIMESTAMP_MS, '5 day');",
	      "+-------------------------------------------------------------------------------------------+\n"
	      "| date_sub(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),Utf8(\"5 day\")) |\n"
	      "+-------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-01T07:39:46.222                                                                   |\n"
	      "+-------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub('2023-12-06'::DATE, INTERVAL '3 month 5 day');",
	      "+------------------------------------------------------------------------------------------------------------------+\n"
	      "| date_sub(Utf8(\"2023-12-06\"),IntervalMonthDayNano(\"IntervalMonthDayNano { months: 3, days: 5, nanoseconds: 0 }\")) |\n"
	      "+------------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-09-01                                                                                                       |\n"
	      "+------------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub('2023-12-06'::DATE, '3 month 5 day');",
	      "+----------------------------------------------------+\n"
	      "| date_sub(Utf8(\"2023-12-06\"),Utf8(\"3 month 5 day\")) |\n"
	      "+----------------------------------------------------+\n"
	      "| 2023-09-01                                         |\n"
	      "+----------------------------------------------------+\n");
	check("SELECT date_format('2023-12-06 07:39:46.222'::TIMESTAMP_MS, '%Y-%m-%d %H:%M:%S:%3f');",
	      "+--------------------------------------------------------------------------------------------------------------+\n"
	      "| date_format(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+--------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-06 07:39:46:222                                                                                      |\n"
	      "+--------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_format('2023-12-06 07:39:46.222'::TIMESTAMP_S, '%Y-%m-%d %H:%M:%S:%3f');",
	      "+-------------------------------------------------------------------------------------------------------------+\n"
	      "| date_format(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(s)\")),Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+-------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-06 07:39:46:000                                                                                     |\n"
	      "+-------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_format('2023-12-06 07:39:46.222'::DATETIME, '%Y-%m-%d %H:%M:%S:%3f');",
	      "+--------------------------------------------------------------------------------------------------------------+\n"
	      "| date_format(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(µs)\")),Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+--------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-06 07:39:46:222                                                                                      |\n"
	      "+--------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_format('2023-12-06'::DATE, '%m-%d');",
	      "+-----------------------------------------------+\n"
	      "| date_format(Utf8(\"2023-12-06\"),Utf8(\"%m-%d\")) |\n"
	      "+-----------------------------------------------+\n"
	      "| 12-06                                         |\n"
	      "+-----------------------------------------------+\n");
	check("SELECT date_add(d, INTERVAL '1 year 2 month 3 day') from dates;",
	      "+--------------------------------------------------------------------------------------------------------+\n"
	      "| date_add(dates.d,IntervalMonthDayNano(\"IntervalMonthDayNano { months: 14, days: 3, nanoseconds: 0 }\")) |\n"
	      "+--------------------------------------------------------------------------------------------------------+\n"
	      "| 1993-03-04                                                                                             |\n"
	      "| 1995-03-03                                                                                             |\n"
	      "| 2025-02-09                                                                                             |\n"
	      "+--------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add(d, '1 year 2 month 3 day') from dates;",
	      "+------------------------------------------------+\n"
	      "| date_add(dates.d,Utf8(\"1 year 2 month 3 day\")) |\n"
	      "+------------------------------------------------+\n"
	      "| 1993-03-04                                     |\n"
	      "| 1995-03-03                                     |\n"
	      "| 2025-02-09                                     |\n"
	      "+------------------------------------------------+\n");
	check("SELECT date_add(ts, INTERVAL '1 year 2 month 3 day') from dates;",
	      "+---------------------------------------------------------------------------------------------------------+\n"
	      "| date_add(dates.ts,IntervalMonthDayNano(\"IntervalMonthDayNano { months: 14, days: 3, nanoseconds: 0 }\")) |\n"
	      "+---------------------------------------------------------------------------------------------------------+\n"
	      "| 1971-03-04T00:00:00.001                                                                                 |\n"
	      "| 1971-03-04T00:00:00.002                                                                                 |\n"
	      "| 1971-03-04T00:00:00.003                                                                                 |\n"
	      "+---------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add(ts, '1 year 2 month 3 day') from dates;",
	      "+-------------------------------------------------+\n"
	      "| date_add(dates.ts,Utf8(\"1 year 2 month 3 day\")) |\n"
	      "+-------------------------------------------------+\n"
	      "| 1971-03-04T00:00:00.001                         |\n"
	      "| 1971-03-04T00:00:00.002                         |\n"
	      "| 1971-03-04T00:00:00.003                         |\n"
	      "+-------------------------------------------------+\n");
	check("SELECT date_sub(d, INTERVAL '1 year 2 month 3 day') from dates;",
	      "+--------------------------------------------------------------------------------------------------------+\n"
	      "| date_sub(dates.d,IntervalMonthDayNano(\"IntervalMonthDayNano { months: 14, days: 3, nanoseconds: 0 }\")) |\n"
	      "+--------------------------------------------------------------------------------------------------------+\n"
	      "| 1990-10-29                                                                                             |\n"
	      "| 1992-10-27                                                                                             |\n"
	      "| 2022-10-03                                                                                             |\n"
	      "+--------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub(d, '1 year 2 month 3 day') from dates;",
	      "+------------------------------------------------+\n"
	      "| date_sub(dates.d,Utf8(\"1 year 2 month 3 day\")) |\n"
	      "+------------------------------------------------+\n"
	      "| 1990-10-29                                     |\n"
	      "| 1992-10-27                                     |\n"
	      "| 2022-10-03                                     |\n"
	      "+------------------------------------------------+\n");
	check("SELECT date_sub(ts, INTERVAL '1 year 2 month 3 day') from dates;",
	      "+---------------------------------------------------------------------------------------------------------+\n"
	      "| date_sub(dates.ts,IntervalMonthDayNano(\"IntervalMonthDayNano { months: 14, days: 3, nanoseconds: 0 }\")) |\n"
	      "+---------------------------------------------------------------------------------------------------------+\n"
	      "| 1968-10-29T00:00:00.001                                                                                 |\n"
	      "| 1968-10-29T00:00:00.002                                                                                 |\n"
	      "| 1968-10-29T00:00:00.003                                                                                 |\n"
	      "+---------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub(ts, '1 year 2 month 3 day') from dates;",
	      "+-------------------------------------------------+\n"
	      "| date_sub(dates.ts,Utf8(\"1 year 2 month 3 day\")) |\n"
	      "+-------------------------------------------------+\n"
	      "| 1968-10-29T00:00:00.001                         |\n"
	      "| 1968-10-29T00:00:00.002                         |\n"
	      "| 1968-10-29T00:00:00.003                         |\n"
	      "+-------------------------------------------------+\n");
	check("SELECT date_format(d, '%Y-%m-%d %H:%M:%S:%3f') from dates;",
	      "+----------------------------------------------------+\n"
	      "| date_format(dates.d,Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+----------------------------------------------------+\n"
	      "| 1992-01-01 00:00:00:000                            |\n"
	      "| 1993-12-30 00:00:00:000                            |\n"
	      "| 2023-12-06 00:00:00:000                            |\n"
	      "+----------------------------------------------------+\n");
	check("SELECT date_format(ts, '%Y-%m-%d %H:%M:%S:%3f') from dates;",
	      "+-----------------------------------------------------+\n"
	      "| date_format(dates.ts,Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+-----------------------------------------------------+\n"
	      "| 1970-01-01 00:00:00:001                             |\n"
	      "| 1970-01-01 00:00:00:002                             |\n"
	      "| 1970-01-01 00:00:00:003                             |\n"
	      "+-----------------------------------------------------+\n");
}

static void test_timestamp_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("timestamp", "t:TimestampMillisecond,ts:TimestampMillisecond:ti");
	mt_row(t, "1199145601000|1");
	mt_row(t, "NULL|2");
	mt_row(t, "1167609601000|3");
	mt_row(t, "1201824001000|4");
	mt_row(t, "1199232001000|5");
	mt_row(t, "1199181600000|6");
	mt_row(t, "1199146200000|7");
	mt_row(t, "1199145610000|8");
	check("SELECT timestamp '2017-07-23 13:10:11';",
	      "+-----------------------------+\n"
	      "| Utf8(\"2017-07-23 13:10:11\") |\n"
	      "+-----------------------------+\n"
	      "| 2017-07-23T13:10:11         |\n"
	      "+-----------------------------+\n");
	check("SELECT timestamp '2017-07-23T13:10:11',timestamp '2017-07-23T13:10:11Z';",
	      "+-----------------------------+------------------------------+\n"
	      "| Utf8(\"2017-07-23T13:10:11\") | Utf8(\"2017-07-23T13:10:11Z\") |\n"
	      "+-----------------------------+------------------------------+\n"
	      "| 2017-07-23T13:10:11         | 2017-07-23T13:10:11          |\n"
	      "+-----------------------------+------------------------------+\n");
	check("SELECT timestamp '    2017-07-23     13:10:11    ';",
	      "+-----------------------------+\n"
	      "| Utf8(\"2017-07-23 13:10:11\") |\n"
	      "+-----------------------------+\n"
	      "| 2017-07-23T13:10:11         |\n"
	      "+-----------------------------+\n");
	check_err("SELECT timestamp '    2017-07-23     13:10:11    AA';", ERR_EXEC,
		  "Parser error: Invalid timezone \"AA\": failed to parse timezone");
	check_err("SELECT timestamp 'AA2017-07-23 13:10:11';", ERR_EXEC,
		  "Parser error: Error parsing timestamp from 'AA2017-07-23 13:10:11': error parsing date");
	check_err("SELECT timestamp '2017-07-23A13:10:11';", ERR_EXEC,
		  "Parser error: Error parsing timestamp from '2017-07-23A13:10:11': invalid timestamp separator");
	check("SELECT t FROM timestamp ORDER BY t;",
	      "+---------------------+\n"
	      "| t                   |\n"
	      "+---------------------+\n"
	      "| 2007-01-01T00:00:01 |\n"
	      "| 2008-01-01T00:00:01 |\n"
	      "| 2008-01-01T00:00:10 |\n"
	      "| 2008-01-01T00:10:00 |\n"
	      "| 2008-01-01T10:00:00 |\n"
	      "| 2008-01-02T00:00:01 |\n"
	      "| 2008-02-01T00:00:01 |\n"
	      "|                     |\n"
	      "+---------------------+\n");
	check("SELECT MIN(t) FROM timestamp;",
	      "+---------------------+\n"
	      "| min(timestamp.t)    |\n"
	      "+---------------------+\n"
	      "| 2007-01-01T00:00:01 |\n"
	      "+---------------------+\n");
	check("SELECT MAX(t) FROM timestamp;",
	      "+---------------------+\n"
	      "| max(timestamp.t)    |\n"
	      "+---------------------+\n"
	      "| 2008-02-01T00:00:01 |\n"
	      "+---------------------+\n");
	check_err("SELECT SUM(t) FROM timestamp;", ERR_PLAN,
		  "^Failed to plan SQL: Error during planning: Execution error: Function 'sum' failed to match any signature");
	check_err("SELECT AVG(t) FROM timestamp;", ERR_PLAN,
		  "^Failed to plan SQL: Error during planning: Execution error: Function 'avg' failed to match any signature");
	check_err("SELECT t+t FROM timestamp;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot get result type for temporal operation Timestamp(ms) + Timestamp(ms): Invalid argument error: Invalid timestamp arithmetic operation: Timestamp(ms) + Timestamp(ms)");
	check_err("SELECT t*t FROM timestamp;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot get result type for temporal operation Timestamp(ms) * Timestamp(ms): Invalid argument error: Invalid timestamp arithmetic operation: Timestamp(ms) * Timestamp(ms)");
	check_err("SELECT t/t FROM timestamp;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot get result type for temporal operation Timestamp(ms) / Timestamp(ms): Invalid argument error: Invalid timestamp arithmetic operation: Timestamp(ms) / Timestamp(ms)");
	check_err("SELECT t%t FROM timestamp;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot get result type for temporal operation Timestamp(ms) % Timestamp(ms): Invalid argument error: Invalid timestamp arithmetic operation: Timestamp(ms) % Timestamp(ms)");
	check("SELECT t-t FROM timestamp;",
	      "+---------------------------+\n"
	      "| timestamp.t - timestamp.t |\n"
	      "+---------------------------+\n"
	      "| P0D                       |\n"
	      "|                           |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "+---------------------------+\n");
	check("SELECT EXTRACT(YEAR from TIMESTAMP '1992-01-01 01:01:01');",
	      "+-----------------------------------------------------+\n"
	      "| date_part(Utf8(\"YEAR\"),Utf8(\"1992-01-01 01:01:01\")) |\n"
	      "+-----------------------------------------------------+\n"
	      "| 1992                                                |\n"
	      "+-----------------------------------------------------+\n");
	check("SELECT EXTRACT(YEAR from TIMESTAMP '1992-01-01 01:01:01'::DATE);",
	      "+-----------------------------------------------------+\n"
	      "| date_part(Utf8(\"YEAR\"),Utf8(\"1992-01-01 01:01:01\")) |\n"
	      "+-----------------------------------------------------+\n"
	      "| 1992                                                |\n"
	      "+-----------------------------------------------------+\n");
	check("SELECT (TIMESTAMP '1992-01-01 01:01:01')::DATE;",
	      "+-----------------------------+\n"
	      "| Utf8(\"1992-01-01 01:01:01\") |\n"
	      "+-----------------------------+\n"
	      "| 1992-01-01                  |\n"
	      "+-----------------------------+\n");
	check("SELECT (TIMESTAMP '1992-01-01 01:01:01')::TIME;",
	      "+-----------------------------+\n"
	      "| Utf8(\"1992-01-01 01:01:01\") |\n"
	      "+-----------------------------+\n"
	      "| 01:01:01                    |\n"
	      "+-----------------------------+\n");
	check("SELECT t::DATE FROM timestamp WHERE EXTRACT(YEAR from t)=2007 ORDER BY 1;",
	      "+-------------+\n"
	      "| timestamp.t |\n"
	      "+-------------+\n"
	      "| 2007-01-01  |\n"
	      "+-------------+\n");
	check("SELECT t::TIME FROM timestamp WHERE EXTRACT(YEAR from t)=2007 ORDER BY 1;",
	      "+-------------+\n"
	      "| timestamp.t |\n"
	      "+-------------+\n"
	      "| 00:00:01    |\n"
	      "+-------------+\n");
	check("SELECT (DATE '1992-01-01')::TIMESTAMP;",
	      "+------------------------------------------------------+\n"
	      "| arrow_cast(Utf8(\"1992-01-01\"),Utf8(\"Timestamp(ms)\")) |\n"
	      "+------------------------------------------------------+\n"
	      "| 1992-01-01T00:00:00                                  |\n"
	      "+------------------------------------------------------+\n");
	check("SELECT TIMESTAMP '2008-01-01 00:00:01.5'::VARCHAR;",
	      "+-------------------------------+\n"
	      "| Utf8(\"2008-01-01 00:00:01.5\") |\n"
	      "+-------------------------------+\n"
	      "| 2008-01-01T00:00:01.500       |\n"
	      "+-------------------------------+\n");
	check_err("SELECT TIMESTAMP '-8-01-01 00:00:01.5'::VARCHAR;", ERR_EXEC,
		  "Parser error: Error parsing timestamp from '-8-01-01 00:00:01.5': error parsing date");
	check_err("SELECT TIMESTAMP '100000-01-01 00:00:01.5'::VARCHAR;", ERR_EXEC,
		  "Parser error: Error parsing timestamp from '100000-01-01 00:00:01.5': error parsing date");
	/* the peer ran this one over PostgreSQL: an interval in its style */
	sess.protocol = SESSION_PG;
	check("SELECT '2025-04-14 20:42:19.021000'::TIMESTAMP - '2025-04-14 20:42:18.103000'::TIMESTAMP;",
	      "+---------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| arrow_cast(Utf8(\"2025-04-14 20:42:19.021000\"),Utf8(\"Timestamp(ms)\")) - arrow_cast(Utf8(\"2025-04-14 20:42:18.103000\"),Utf8(\"Timestamp(ms)\")) |\n"
	      "+---------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| 00:00:00.918000                                                                                                                             |\n"
	      "+---------------------------------------------------------------------------------------------------------------------------------------------+\n");
}

static void test_date_type_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("dates", "i:Date,ts:TimestampMillisecond:ti");
	mt_row(t, "8626|1000"); /* 1993-08-14 */
	mt_row(t, "NULL|2000");
	struct mem_table *f = mt_create("date_formats", "d:Date,ts:TimestampMillisecond:ti");
	mt_row(f, "18687|1000"); /* 2021-03-01 */
	mt_row(f, "18992|2000"); /* 2021-12-31 */
	mt_row(f, "10957|3000"); /* 2000-01-01 */
	mt_row(f, "0|4000");
	check("SELECT * FROM dates ORDER BY ts;",
	      "+------------+---------------------+\n"
	      "| i          | ts                  |\n"
	      "+------------+---------------------+\n"
	      "| 1993-08-14 | 1970-01-01T00:00:01 |\n"
	      "|            | 1970-01-01T00:00:02 |\n"
	      "+------------+---------------------+\n");
	check("SELECT extract(year FROM i) FROM dates ORDER BY ts;",
	      "+---------------------------------+\n"
	      "| date_part(Utf8(\"YEAR\"),dates.i) |\n"
	      "+---------------------------------+\n"
	      "| 1993                            |\n"
	      "|                                 |\n"
	      "+---------------------------------+\n");
	check("SELECT CAST(i AS VARCHAR) FROM dates ORDER BY ts;",
	      "+------------+\n"
	      "| dates.i    |\n"
	      "+------------+\n"
	      "| 1993-08-14 |\n"
	      "|            |\n"
	      "+------------+\n");
	check("SELECT i + INTERVAL '5 days' FROM dates ORDER BY ts;",
	      "+-----------------------------------------------------------------------------------------------+\n"
	      "| dates.i + IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 5, nanoseconds: 0 }\") |\n"
	      "+-----------------------------------------------------------------------------------------------+\n"
	      "| 1993-08-19                                                                                    |\n"
	      "|                                                                                               |\n"
	      "+-----------------------------------------------------------------------------------------------+\n");
	check("SELECT i - INTERVAL '5 days' FROM dates ORDER BY ts;",
	      "+-----------------------------------------------------------------------------------------------+\n"
	      "| dates.i - IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 5, nanoseconds: 0 }\") |\n"
	      "+-----------------------------------------------------------------------------------------------+\n"
	      "| 1993-08-09                                                                                    |\n"
	      "|                                                                                               |\n"
	      "+-----------------------------------------------------------------------------------------------+\n");
	check("SELECT i - DATE '1993-08-14' FROM dates ORDER BY ts;",
	      "+------------------------------+\n"
	      "| dates.i - Utf8(\"1993-08-14\") |\n"
	      "+------------------------------+\n"
	      "| 0                            |\n"
	      "|                              |\n"
	      "+------------------------------+\n");
	check("SELECT d,  extract(year FROM d), extract(month FROM d), extract(day FROM d) FROM date_formats ORDER BY d;",
	      "+------------+----------------------------------------+-----------------------------------------+---------------------------------------+\n"
	      "| d          | date_part(Utf8(\"YEAR\"),date_formats.d) | date_part(Utf8(\"MONTH\"),date_formats.d) | date_part(Utf8(\"DAY\"),date_formats.d) |\n"
	      "+------------+----------------------------------------+-----------------------------------------+---------------------------------------+\n"
	      "| 1970-01-01 | 1970                                   | 1                                       | 1                                     |\n"
	      "| 2000-01-01 | 2000                                   | 1                                       | 1                                     |\n"
	      "| 2021-03-01 | 2021                                   | 3                                       | 1                                     |\n"
	      "| 2021-12-31 | 2021                                   | 12                                      | 31                                    |\n"
	      "+------------+----------------------------------------+-----------------------------------------+---------------------------------------+\n");
	check("SELECT d FROM date_formats WHERE d > '2000-01-01' ORDER BY d;",
	      "+------------+\n"
	      "| d          |\n"
	      "+------------+\n"
	      "| 2021-03-01 |\n"
	      "| 2021-12-31 |\n"
	      "+------------+\n");
	check("SELECT d FROM date_formats WHERE d BETWEEN '2000-01-01' AND '2021-06-01' ORDER BY d;",
	      "+------------+\n"
	      "| d          |\n"
	      "+------------+\n"
	      "| 2000-01-01 |\n"
	      "| 2021-03-01 |\n"
	      "+------------+\n");
	mt_row(f, "NULL|5000");
	check("SELECT COUNT(*), COUNT(d) FROM date_formats;",
	      "+----------+-----------------------+\n"
	      "| count(*) | count(date_formats.d) |\n"
	      "+----------+-----------------------+\n"
	      "| 5        | 4                     |\n"
	      "+----------+-----------------------+\n");
}

static void test_step_aggr_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("integers", "host:String:tag,i:Int64,ts:TimestampMillisecond:ti");
	mt_row(t, "220-A|2|1672531200000");
	mt_row(t, "220-B|3|1672531200000");
	mt_row(t, "550-A|1|1672531200000");
	mt_row(t, "550-B|5|1672531200000");
	mt_row(t, "550-A|2|1672534800000");
	mt_row(t, "550-W|3|1672538400000");
	mt_row(t, "550-Z|4|1672538400000");
	mt_row(t, "550-W|5|1672542000000");
	mt_row(t, "550-Z|6|1672542000000");
	t->batch_rows = 4;
	check("SELECT\n    count(i)\nFROM\n    integers;",
	      "+-------------------+\n"
	      "| count(integers.i) |\n"
	      "+-------------------+\n"
	      "| 9                 |\n"
	      "+-------------------+\n");
	check("SELECT\n    ts,\n    count(i)\nFROM\n    integers\nGROUP BY\n    ts\nORDER BY\n    ts,\n    count(i);",
	      "+---------------------+-------------------+\n"
	      "| ts                  | count(integers.i) |\n"
	      "+---------------------+-------------------+\n"
	      "| 2023-01-01T00:00:00 | 4                 |\n"
	      "| 2023-01-01T01:00:00 | 1                 |\n"
	      "| 2023-01-01T02:00:00 | 2                 |\n"
	      "| 2023-01-01T03:00:00 | 2                 |\n"
	      "+---------------------+-------------------+\n");
	check("SELECT\n    date_bin('1 hour' :: INTERVAL, ts) as time_window,\n    count(i)\nFROM\n    integers\nGROUP BY\n    time_window\nORDER BY\n    time_window,\n    count(i);",
	      "+---------------------+-------------------+\n"
	      "| time_window         | count(integers.i) |\n"
	      "+---------------------+-------------------+\n"
	      "| 2023-01-01T00:00:00 | 4                 |\n"
	      "| 2023-01-01T01:00:00 | 1                 |\n"
	      "| 2023-01-01T02:00:00 | 2                 |\n"
	      "| 2023-01-01T03:00:00 | 2                 |\n"
	      "+---------------------+-------------------+\n");
	check("SELECT\n    ts::BIGINT + 1,\n    i / 2,\n    count(i)\nFROM\n    integers\nGROUP BY\n    ts::BIGINT + 1,\n    i / 2,\nORDER BY\n    ts::BIGINT + 1,\n    i / 2,\n;",
	      "+------------------------+-----------------------+-------------------+\n"
	      "| integers.ts + Int64(1) | integers.i / Int64(2) | count(integers.i) |\n"
	      "+------------------------+-----------------------+-------------------+\n"
	      "| 1672531200001          | 0                     | 1                 |\n"
	      "| 1672531200001          | 1                     | 2                 |\n"
	      "| 1672531200001          | 2                     | 1                 |\n"
	      "| 1672534800001          | 1                     | 1                 |\n"
	      "| 1672538400001          | 1                     | 1                 |\n"
	      "| 1672538400001          | 2                     | 1                 |\n"
	      "| 1672542000001          | 2                     | 1                 |\n"
	      "| 1672542000001          | 3                     | 1                 |\n"
	      "+------------------------+-----------------------+-------------------+\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_by_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_by_nulls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_max_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sum_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_date_functions_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamp_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_date_type_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_aggr_peer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
