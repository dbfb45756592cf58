/*
 * ast: node constructors and the AST-to-SQL printer.
 *
 * The printer writes sqlparser-style text, which is what GreptimeDB shows
 * in ADMIN result headers, SHOW CREATE TABLE defaults and error messages:
 * keywords upper-case, binary operators spaced ("a + b"), function calls
 * as written ("FLUSH_TABLE('test')"), strings single-quoted with ''
 * escapes, identifiers as written with their quotes (or canonical with
 * SQL_PRINT_CANONICAL: bare, double-quoted when the bare name would not
 * parse back to the same name). Recursion is bounded by the parser's
 * SQL_MAX_HEIGHT; a deeper hand-built tree prints "..." past
 * PRINT_MAX_DEPTH instead of overflowing the stack.
 */
#include "sql/ast.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

#define PRINT_MAX_DEPTH 2048

void *sql_node(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

struct sql_expr *sql_expr_new(struct arena *a, int kind, uint32_t off)
{
	struct sql_expr *e = sql_node(a, sizeof(*e));
	if (e) {
		e->kind = kind;
		e->off = off;
	}
	return e;
}

int sql_ident_init(struct arena *a, struct sql_ident *id, const char *raw, size_t n, char quote,
		   uint32_t off)
{
	char *r = arena_strndup(a, raw, n);
	if (!r)
		return ERR_NOMEM;
	id->raw = r;
	id->quote = quote;
	id->off = off;
	if (quote) {
		id->name = r;
		return 0;
	}
	char *c = arena_strndup(a, raw, n);
	if (!c)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		if (c[i] >= 'A' && c[i] <= 'Z')
			c[i] = (char)(c[i] - 'A' + 'a');
	id->name = c;
	return 0;
}

static const char *const binop_text[] = {
#define X(e, s) s,
	SQL_BINOPS(X)
#undef X
};

const char *sql_binop_text(int op)
{
	if (op < 0 || op >= SQL_BOP__COUNT)
		return "?";
	return binop_text[op];
}

const char *sql_stmt_kind_name(int kind)
{
	static const char *const names[] = {
		"QUERY",        "INSERT",      "DELETE",       "CREATE_DATABASE", "DROP_DATABASE",
		"ALTER_DATABASE", "USE",       "CREATE_TABLE", "DROP_TABLE",      "TRUNCATE",
		"ALTER_TABLE",  "DESCRIBE",    "SHOW",         "SET",             "BEGIN",
		"COMMIT",       "ROLLBACK",    "ADMIN",        "EXPLAIN",         "PREPARE",
		"EXECUTE",      "DEALLOCATE",  "KILL",
	};
	if (kind < 0 || (size_t)kind >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[kind];
}

/* ---- printer ---------------------------------------------------------------------- */

struct pr {
	struct buf *b;
	int flags;
	int depth;
	int err;
};

static void put(struct pr *w, const char *s)
{
	if (!w->err && buf_append(w->b, s, strlen(s)))
		w->err = ERR_NOMEM;
}

static void putn(struct pr *w, const char *s, size_t n)
{
	if (!w->err && buf_append(w->b, s, n))
		w->err = ERR_NOMEM;
}

static void putc_(struct pr *w, char c) { putn(w, &c, 1); }

static void quoted(struct pr *w, const char *s, size_t n, char q, bool esc_bs)
{
	putc_(w, q);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == q)
			putc_(w, q);
		else if (s[i] == '\\' && esc_bs)
			putc_(w, '\\');
		putc_(w, s[i]);
	}
	putc_(w, q);
}

/* A canonical name that reads back as itself when unquoted: lower-case
 * letters, digits and '_', not starting with a digit. */
static bool bare_safe(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void ident(struct pr *w, const struct sql_ident *id)
{
	if (w->flags & SQL_PRINT_CANONICAL) {
		/* canonical text is parsed again (partition rules are stored as
		 * text): a name that would not survive that goes in quotes */
		if (bare_safe(id->name))
			put(w, id->name);
		else
			quoted(w, id->name, strlen(id->name), '"', false);
		return;
	}
	if (!id->quote) {
		put(w, id->raw);
		return;
	}
	quoted(w, id->raw, strlen(id->raw), id->quote, false);
}

static void name(struct pr *w, const struct sql_name *n)
{
	for (int i = 0; i < n->n; i++) {
		if (i)
			putc_(w, '.');
		ident(w, &n->part[i]);
	}
}

static void expr(struct pr *w, const struct sql_expr *e);
static void query(struct pr *w, const struct sql_query *q);

static void expr_list(struct pr *w, struct sql_expr *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(w, ", ");
		expr(w, items[i]);
	}
}

static void order_items(struct pr *w, const struct sql_order_item *it, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(w, ", ");
		expr(w, it[i].expr);
		if (it[i].desc)
			put(w, " DESC");
		if (it[i].nulls)
			put(w, it[i].nulls == 1 ? " NULLS FIRST" : " NULLS LAST");
	}
}

static void func(struct pr *w, const struct sql_expr *e)
{
	name(w, &e->v.func.name);
	if (e->v.func.no_parens)
		return;
	putc_(w, '(');
	if (e->v.func.distinct)
		put(w, "DISTINCT ");
	if (e->v.func.star)
		putc_(w, '*');
	expr_list(w, e->v.func.args, e->v.func.nargs);
	if (e->v.func.norder) {
		put(w, " ORDER BY ");
		order_items(w, e->v.func.order_by, e->v.func.norder);
	}
	putc_(w, ')');
	if (e->v.func.filter) {
		put(w, " FILTER (WHERE ");
		expr(w, e->v.func.filter);
		putc_(w, ')');
	}
	const struct sql_window *o = e->v.func.over;
	if (o && o->name) {
		put(w, " OVER ");
		put(w, o->name);
	} else if (o) {
		put(w, " OVER (");
		bool sp = false;
		if (o->npartition) {
			put(w, "PARTITION BY ");
			expr_list(w, o->partition_by, o->npartition);
			sp = true;
		}
		if (o->norder) {
			put(w, sp ? " ORDER BY " : "ORDER BY ");
			order_items(w, o->order_by, o->norder);
			sp = true;
		}
		if (o->frame) {
			if (sp)
				putc_(w, ' ');
			put(w, o->frame);
		}
		putc_(w, ')');
	}
}

static void expr(struct pr *w, const struct sql_expr *e)
{
	if (w->err)
		return;
	if (!e) {
		put(w, "NULL");
		return;
	}
	if (++w->depth > PRINT_MAX_DEPTH) {
		put(w, "...");
		w->depth--;
		return;
	}
	bool esc = (w->flags & SQL_PRINT_ESCAPE_BACKSLASH) != 0;
	switch (e->kind) {
	case SQL_E_NULL: put(w, "NULL"); break;
	case SQL_E_BOOL: put(w, e->v.b ? "true" : "false"); break;
	case SQL_E_NUMBER: put(w, e->v.num.text ? e->v.num.text : "0"); break;
	case SQL_E_STRING:
		quoted(w, e->v.str.s, e->v.str.len, e->v.str.quote == '"' ? '"' : '\'', esc);
		break;
	case SQL_E_HEXSTR:
		putc_(w, 'X');
		quoted(w, e->v.str.s, e->v.str.len, '\'', false);
		break;
	case SQL_E_TYPED_STR:
		put(w, e->v.typed.type.text);
		putc_(w, ' ');
		quoted(w, e->v.typed.s, strlen(e->v.typed.s), '\'', esc);
		break;
	case SQL_E_INTERVAL:
		put(w, "INTERVAL ");
		expr(w, e->v.interval.value);
		if (e->v.interval.unit) {
			putc_(w, ' ');
			put(w, e->v.interval.unit);
		}
		break;
	case SQL_E_DEFAULT: put(w, "DEFAULT"); break;
	case SQL_E_COLUMN: name(w, &e->v.name); break;
	case SQL_E_STAR:
		if (e->v.name.n) {
			name(w, &e->v.name);
			putc_(w, '.');
		}
		putc_(w, '*');
		break;
	case SQL_E_PARAM: {
		char tmp[16];
		snprintf(tmp, sizeof(tmp), "$%d", e->v.param);
		put(w, tmp);
		break;
	}
	case SQL_E_VAR:
		put(w, e->v.var.system ? "@@" : "@");
		if (e->v.var.scope) {
			put(w, e->v.var.scope);
			putc_(w, '.');
		}
		ident(w, &e->v.var.ident);
		break;
	case SQL_E_UNARY:
		switch (e->v.unary.op) {
		case SQL_UOP_NEG: putc_(w, '-'); break;
		case SQL_UOP_PLUS: putc_(w, '+'); break;
		case SQL_UOP_BITNOT: putc_(w, '~'); break;
		default: put(w, "NOT "); break;
		}
		expr(w, e->v.unary.arg);
		break;
	case SQL_E_BINARY:
		expr(w, e->v.binary.left);
		putc_(w, ' ');
		put(w, sql_binop_text(e->v.binary.op));
		putc_(w, ' ');
		expr(w, e->v.binary.right);
		break;
	case SQL_E_SUBSCRIPT:
		expr(w, e->v.binary.left);
		putc_(w, '[');
		expr(w, e->v.binary.right);
		putc_(w, ']');
		break;
	case SQL_E_FUNC: func(w, e); break;
	case SQL_E_CAST:
		if (e->v.cast.style == SQL_CAST_DCOLON) {
			expr(w, e->v.cast.arg);
			put(w, "::");
			put(w, e->v.cast.type.text);
		} else {
			put(w, e->v.cast.style == SQL_CAST_TRY ? "TRY_CAST(" : "CAST(");
			expr(w, e->v.cast.arg);
			put(w, " AS ");
			put(w, e->v.cast.type.text);
			putc_(w, ')');
		}
		break;
	case SQL_E_IS:
		expr(w, e->v.is.arg);
		put(w, e->v.is.negated ? " IS NOT " : " IS ");
		switch (e->v.is.what) {
		case SQL_IS_NULL: put(w, "NULL"); break;
		case SQL_IS_TRUE: put(w, "TRUE"); break;
		case SQL_IS_FALSE: put(w, "FALSE"); break;
		case SQL_IS_UNKNOWN: put(w, "UNKNOWN"); break;
		default:
			put(w, "DISTINCT FROM ");
			expr(w, e->v.is.other);
			break;
		}
		break;
	case SQL_E_IN_LIST:
	case SQL_E_IN_QUERY:
		expr(w, e->v.in.arg);
		put(w, e->v.in.negated ? " NOT IN (" : " IN (");
		if (e->kind == SQL_E_IN_QUERY)
			query(w, e->v.in.query);
		else
			expr_list(w, e->v.in.list, e->v.in.nlist);
		putc_(w, ')');
		break;
	case SQL_E_BETWEEN:
		expr(w, e->v.between.arg);
		put(w, e->v.between.negated ? " NOT BETWEEN " : " BETWEEN ");
		expr(w, e->v.between.low);
		put(w, " AND ");
		expr(w, e->v.between.high);
		break;
	case SQL_E_LIKE:
		expr(w, e->v.like.arg);
		if (e->v.like.negated)
			put(w, " NOT");
		put(w, e->v.like.ilike ? " ILIKE " : " LIKE ");
		expr(w, e->v.like.pattern);
		if (e->v.like.escape) {
			put(w, " ESCAPE ");
			expr(w, e->v.like.escape);
		}
		break;
	case SQL_E_CASE:
		put(w, "CASE");
		if (e->v.case_.operand) {
			putc_(w, ' ');
			expr(w, e->v.case_.operand);
		}
		for (size_t i = 0; i < e->v.case_.nwhen; i++) {
			put(w, " WHEN ");
			expr(w, e->v.case_.when[i]);
			put(w, " THEN ");
			expr(w, e->v.case_.then[i]);
		}
		if (e->v.case_.else_) {
			put(w, " ELSE ");
			expr(w, e->v.case_.else_);
		}
		put(w, " END");
		break;
	case SQL_E_EXTRACT:
		put(w, "EXTRACT(");
		put(w, e->v.extract.field);
		put(w, " FROM ");
		expr(w, e->v.extract.arg);
		putc_(w, ')');
		break;
	case SQL_E_SUBQUERY:
		putc_(w, '(');
		query(w, e->v.query);
		putc_(w, ')');
		break;
	case SQL_E_EXISTS:
		put(w, e->v.exists.negated ? "NOT EXISTS (" : "EXISTS (");
		query(w, e->v.exists.query);
		putc_(w, ')');
		break;
	case SQL_E_NESTED:
		putc_(w, '(');
		expr(w, e->v.inner);
		putc_(w, ')');
		break;
	case SQL_E_TUPLE:
		putc_(w, '(');
		expr_list(w, e->v.list.items, e->v.list.n);
		putc_(w, ')');
		break;
	case SQL_E_ARRAY:
		putc_(w, '[');
		expr_list(w, e->v.list.items, e->v.list.n);
		putc_(w, ']');
		break;
	default: put(w, "?"); break;
	}
	w->depth--;
}

static void from(struct pr *w, const struct sql_from *f)
{
	if (w->err)
		return;
	if (++w->depth > PRINT_MAX_DEPTH) {
		put(w, "...");
		w->depth--;
		return;
	}
	switch (f->kind) {
	case SQL_FROM_TABLE: name(w, &f->table); break;
	case SQL_FROM_FUNC:
		name(w, &f->table);
		putc_(w, '(');
		expr_list(w, f->args, f->nargs);
		putc_(w, ')');
		break;
	case SQL_FROM_SUBQUERY:
		if (f->lateral)
			put(w, "LATERAL ");
		putc_(w, '(');
		query(w, f->subquery);
		putc_(w, ')');
		break;
	default: {
		static const char *const jn[] = {" JOIN ", " LEFT JOIN ", " RIGHT JOIN ",
						 " FULL JOIN ", " CROSS JOIN "};
		from(w, f->left);
		if (f->natural)
			put(w, " NATURAL");
		put(w, jn[f->join >= 0 && f->join <= SQL_JOIN_CROSS ? f->join : 0]);
		from(w, f->right);
		if (f->on) {
			put(w, " ON ");
			expr(w, f->on);
		} else if (f->nusing) {
			put(w, " USING (");
			for (size_t i = 0; i < f->nusing; i++) {
				if (i)
					put(w, ", ");
				ident(w, &f->using_cols[i]);
			}
			putc_(w, ')');
		}
		break;
	}
	}
	if (f->alias) {
		put(w, " AS ");
		ident(w, f->alias);
	}
	w->depth--;
}

static void select_(struct pr *w, const struct sql_select *s)
{
	put(w, "SELECT ");
	if (s->distinct)
		put(w, "DISTINCT ");
	for (size_t i = 0; i < s->nitems; i++) {
		if (i)
			put(w, ", ");
		expr(w, s->items[i].expr);
		if (s->items[i].alias) {
			put(w, " AS ");
			ident(w, s->items[i].alias);
		}
	}
	if (s->nfrom) {
		put(w, " FROM ");
		for (size_t i = 0; i < s->nfrom; i++) {
			if (i)
				put(w, ", ");
			from(w, s->from[i]);
		}
	}
	if (s->where) {
		put(w, " WHERE ");
		expr(w, s->where);
	}
	if (s->ngroup) {
		put(w, " GROUP BY ");
		expr_list(w, s->group_by, s->ngroup);
	}
	if (s->having) {
		put(w, " HAVING ");
		expr(w, s->having);
	}
}

static void body(struct pr *w, const struct sql_query_body *b)
{
	if (w->err)
		return;
	if (++w->depth > PRINT_MAX_DEPTH) {
		put(w, "...");
		w->depth--;
		return;
	}
	switch (b->kind) {
	case SQL_BODY_SELECT: select_(w, b->select); break;
	case SQL_BODY_QUERY:
		putc_(w, '(');
		query(w, b->query);
		putc_(w, ')');
		break;
	case SQL_BODY_VALUES:
		put(w, "VALUES ");
		for (size_t r = 0; r < b->values->nrows; r++) {
			if (r)
				put(w, ", ");
			putc_(w, '(');
			expr_list(w, b->values->rows[r], b->values->widths[r]);
			putc_(w, ')');
		}
		break;
	default: {
		static const char *const ops[] = {" UNION ", " INTERSECT ", " EXCEPT "};
		body(w, b->left);
		put(w, ops[b->op >= 0 && b->op <= SQL_SETOP_EXCEPT ? b->op : 0]);
		if (b->all)
			put(w, "ALL ");
		else if (b->distinct)
			put(w, "DISTINCT ");
		body(w, b->right);
		break;
	}
	}
	w->depth--;
}

static void query(struct pr *w, const struct sql_query *q)
{
	if (w->err || !q)
		return;
	if (++w->depth > PRINT_MAX_DEPTH) {
		put(w, "...");
		w->depth--;
		return;
	}
	if (q->nctes) {
		put(w, q->recursive ? "WITH RECURSIVE " : "WITH ");
		for (size_t i = 0; i < q->nctes; i++) {
			if (i)
				put(w, ", ");
			ident(w, &q->ctes[i].name);
			put(w, " AS (");
			query(w, q->ctes[i].query);
			putc_(w, ')');
		}
		putc_(w, ' ');
	}
	body(w, q->body);
	if (q->norder) {
		put(w, " ORDER BY ");
		order_items(w, q->order_by, q->norder);
	}
	if (q->limit) {
		put(w, " LIMIT ");
		expr(w, q->limit);
	}
	if (q->offset) {
		put(w, " OFFSET ");
		expr(w, q->offset);
	}
	w->depth--;
}

int sql_print_expr(struct buf *b, const struct sql_expr *e, int flags)
{
	struct pr w = {.b = b, .flags = flags};
	expr(&w, e);
	return w.err;
}

int sql_print_query(struct buf *b, const struct sql_query *q, int flags)
{
	struct pr w = {.b = b, .flags = flags};
	query(&w, q);
	return w.err;
}

int sql_print_type(struct buf *b, const struct sql_type *t)
{
	const char *s = t->text ? t->text : "";
	return buf_append(b, s, strlen(s)) ? ERR_NOMEM : 0;
}

int sql_print_ident(struct buf *b, const struct sql_ident *id, int flags)
{
	struct pr w = {.b = b, .flags = flags};
	ident(&w, id);
	return w.err;
}

int sql_print_name(struct buf *b, const struct sql_name *n, int flags)
{
	struct pr w = {.b = b, .flags = flags};
	name(&w, n);
	return w.err;
}

char *sql_expr_to_sql(struct arena *a, const struct sql_expr *e, int flags)
{
	struct buf b;
	buf_init(&b);
	char *out = NULL;
	if (sql_print_expr(&b, e, flags) == 0)
		out = arena_strndup(a, b.data ? (const char *)b.data : "", b.len);
	buf_free(&b);
	return out;
}
