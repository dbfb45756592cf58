/*
 * parser: the driver (statement loop), token and error helpers shared by
 * the parser_*.c files, and the small statements (USE, transactions,
 * ADMIN, EXPLAIN, PREPARE/EXECUTE/DEALLOCATE, KILL).
 *
 * Statement loop, as GreptimeDB's: skip empty statements (';;'); a
 * statement must be followed by ';' or the end, otherwise the next token
 * is reported as "SQL statement is not supported, keyword: X". Checks that
 * GreptimeDB makes after parsing (the time index rules of CREATE TABLE)
 * run once the statement's end is confirmed, so the delimiter error wins
 * over them as it does there.
 */
#include "sql/parser.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "sql/parser_int.h"

/* ---- tokens -------------------------------------------------------------- */

const struct sql_token *p_peek(const struct parser *p) { return &p->toks[p->pos]; }

const struct sql_token *p_peek_at(const struct parser *p, size_t k)
{
	size_t i = p->pos + k;
	if (i >= p->ntoks)
		i = p->ntoks - 1; /* the EOF token */
	return &p->toks[i];
}

const struct sql_token *p_next(struct parser *p)
{
	const struct sql_token *t = &p->toks[p->pos];
	if (t->kind != SQL_TK_EOF)
		p->pos++;
	return t;
}

bool p_is(const struct parser *p, int kind) { return p_peek(p)->kind == kind; }

bool p_is_kw(const struct parser *p, int kw)
{
	const struct sql_token *t = p_peek(p);
	return t->kind == SQL_TK_WORD && t->kw == kw;
}

bool p_is_kw_at(const struct parser *p, size_t k, int kw)
{
	const struct sql_token *t = p_peek_at(p, k);
	return t->kind == SQL_TK_WORD && t->kw == kw;
}

bool p_accept(struct parser *p, int kind)
{
	if (!p_is(p, kind))
		return false;
	p_next(p);
	return true;
}

bool p_accept_kw(struct parser *p, int kw)
{
	if (!p_is_kw(p, kw))
		return false;
	p_next(p);
	return true;
}

bool p_accept_kws(struct parser *p, ...)
{
	va_list ap;
	size_t k = 0;
	int kw;
	va_start(ap, p);
	while ((kw = va_arg(ap, int)) != KW_NONE) {
		if (!p_is_kw_at(p, k, kw)) {
			va_end(ap);
			return false;
		}
		k++;
	}
	va_end(ap);
	p->pos += k;
	return true;
}

bool p_at_end(const struct parser *p) { return p_is(p, SQL_TK_SEMI) || p_is(p, SQL_TK_EOF); }

bool p_is_word(const struct parser *p, const char *s)
{
	const struct sql_token *t = p_peek(p);
	return t->kind == SQL_TK_WORD && strlen(s) == t->vlen && strcasecmp(t->val, s) == 0;
}

bool p_accept_word(struct parser *p, const char *s)
{
	if (!p_is_word(p, s))
		return false;
	p_next(p);
	return true;
}

uint32_t p_prev_end(const struct parser *p)
{
	if (p->pos == 0)
		return p->toks[0].off;
	const struct sql_token *t = &p->toks[p->pos - 1];
	return t->off + t->len;
}

/* ---- errors --------------------------------------------------------------- */

int p_fail(struct parser *p, int code, uint32_t off, bool has_pos, const char *fmt, ...)
{
	if (p->err)
		return p->err;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err = code;
	p->err_off = off;
	p->err_has_pos = has_pos;
	err_set(code, "%s", msg);
	return code;
}

int p_nomem(struct parser *p)
{
	if (!p->err) {
		p->err = ERR_NOMEM;
		p->err_off = p_peek(p)->off;
		if (err_code() != ERR_NOMEM)
			err_set(ERR_NOMEM, "out of memory while parsing SQL");
	}
	return p->err;
}

/* How a token reads in a message: its source text, or EOF. Long tokens
 * (a huge string literal) are cut. */
static void tok_text(const struct parser *p, const struct sql_token *t, char *out, size_t cap)
{
	if (t->kind == SQL_TK_EOF) {
		snprintf(out, cap, "EOF");
		return;
	}
	size_t n = t->len;
	if (n > 64) {
		/* do not cut a UTF-8 sequence in half */
		n = 64;
		while (n > 0 && ((unsigned char)p->src[t->off + n] & 0xC0) == 0x80)
			n--;
		snprintf(out, cap, "%.*s...", (int)n, p->src + t->off);
		return;
	}
	snprintf(out, cap, "%.*s", (int)n, p->src + t->off);
}

int p_expected(struct parser *p, const char *what)
{
	const struct sql_token *t = p_peek(p);
	char found[96];
	uint32_t line, col;
	tok_text(p, t, found, sizeof(found));
	sql_linecol(p->src, p->len, t->off, &line, &col);
	return p_fail(p, ERR_SYNTAX, t->off, true,
		      "Invalid SQL syntax: sql parser error: Expected: %s, found: %s at Line: %u, "
		      "Column: %u",
		      what, found, line, col);
}

int p_unexpected(struct parser *p, const char *outer, const char *inner)
{
	const struct sql_token *t = p_peek(p);
	char found[96];
	uint32_t line, col;
	tok_text(p, t, found, sizeof(found));
	sql_linecol(p->src, p->len, t->off, &line, &col);
	return p_fail(p, ERR_SYNTAX, t->off, true,
		      "Unexpected token while parsing SQL statement, expected: '%s', found: %s: sql "
		      "parser error: Expected: %s, found: %s at Line: %u, Column: %u",
		      outer, found, inner, found, line, col);
}

int p_unsupported(struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	char found[96];
	tok_text(p, t, found, sizeof(found));
	return p_fail(p, ERR_UNSUPPORTED, t->off, true,
		      "SQL statement is not supported, keyword: %s", found);
}

int p_expect(struct parser *p, int kind, const char *what)
{
	if (p_accept(p, kind))
		return 0;
	return p_expected(p, what);
}

int p_expect_kw(struct parser *p, int kw)
{
	if (p_accept_kw(p, kw))
		return 0;
	return p_expected(p, sql_keyword_name(kw));
}

int p_enter(struct parser *p)
{
	p->height++;
	if (++p->depth > SQL_MAX_DEPTH || p->height > SQL_MAX_HEIGHT) {
		const struct sql_token *t = p_peek(p);
		return p_fail(p, ERR_LIMIT, t->off, true,
			      "Invalid SQL syntax: sql parser error: recursion limit exceeded");
	}
	return 0;
}

void p_leave(struct parser *p)
{
	p->depth--;
	p->height--;
}

int p_chain(struct parser *p)
{
	if (++p->height > SQL_MAX_HEIGHT) {
		const struct sql_token *t = p_peek(p);
		return p_fail(p, ERR_LIMIT, t->off, true,
			      "Invalid SQL syntax: sql parser error: recursion limit exceeded");
	}
	return 0;
}

void p_unchain(struct parser *p, int n) { p->height -= n; }

/* ---- builders ------------------------------------------------------------- */

void *p_node(struct parser *p, size_t n)
{
	void *v = sql_node(p->a, n);
	if (!v)
		p_nomem(p);
	return v;
}

char *p_strdup(struct parser *p, const char *s, size_t n)
{
	char *d = arena_strndup(p->a, s, n);
	if (!d)
		p_nomem(p);
	return d;
}

char *p_span(struct parser *p, uint32_t off, uint32_t end)
{
	if (end < off)
		end = off;
	return p_strdup(p, p->src + off, end - off);
}

int p_push(struct parser *p, void *arr, size_t *n, size_t *cap, const void *elem,
	   size_t elem_size)
{
	char **a = arr;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		char *na = arena_alloc(p->a, ncap * elem_size);
		if (!na)
			return p_nomem(p);
		if (*n)
			memcpy(na, *a, *n * elem_size);
		*a = na;
		*cap = ncap;
	}
	memcpy(*a + *n * elem_size, elem, elem_size);
	(*n)++;
	return 0;
}

bool p_is_ident_start(const struct parser *p)
{
	int k = p_peek(p)->kind;
	return k == SQL_TK_WORD || k == SQL_TK_QIDENT;
}

/* Like sqlparser's parse_identifier, a quoted string is accepted where a
 * name is required (CREATE TABLE 'N.~', "x" in the MySQL dialect); it
 * keeps its quote so it is never lower-cased. */
int p_ident(struct parser *p, struct sql_ident *out, const char *what)
{
	const struct sql_token *t = p_peek(p);
	if (t->kind != SQL_TK_WORD && t->kind != SQL_TK_QIDENT && t->kind != SQL_TK_STRING)
		return p_expected(p, what ? what : "identifier");
	if (t->kind == SQL_TK_STRING && t->quote == '$')
		return p_expected(p, what ? what : "identifier");
	p_next(p);
	if (sql_ident_init(p->a, out, t->val, t->vlen, t->kind == SQL_TK_WORD ? 0 : t->quote,
			   t->off))
		return p_nomem(p);
	return 0;
}

int p_ident_or_string(struct parser *p, struct sql_ident *out, const char *what)
{
	return p_ident(p, out, what);
}

int p_name(struct parser *p, struct sql_name *out, const char *what)
{
	memset(out, 0, sizeof(*out));
	for (;;) {
		if (out->n == SQL_NAME_MAX)
			return p_expected(p, "end of name (at most 4 parts)");
		int rc = out->n == 0 ? p_ident_or_string(p, &out->part[out->n], what)
				     : p_ident(p, &out->part[out->n], "identifier");
		if (rc)
			return rc;
		out->n++;
		if (!p_accept(p, SQL_TK_DOT))
			return 0;
	}
}

int p_paren_ident_list(struct parser *p, struct sql_ident **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (p_expect(p, SQL_TK_LPAREN, "("))
		return p->err;
	if (p_accept(p, SQL_TK_RPAREN))
		return 0;
	for (;;) {
		struct sql_ident id;
		if (p_ident(p, &id, "identifier") || p_push(p, out, n, &cap, &id, sizeof(id)))
			return p->err;
		if (p_accept(p, SQL_TK_COMMA)) {
			if (p_accept(p, SQL_TK_RPAREN))
				return 0; /* trailing comma */
			continue;
		}
		return p_expect(p, SQL_TK_RPAREN, "',' or ')' after column name");
	}
}

/* Option value: 'str', "str", number, -number, word (true, on ...). */
int p_option_value(struct parser *p, struct sql_option *o)
{
	const struct sql_token *t = p_peek(p);
	uint32_t off = t->off;
	if (t->kind == SQL_TK_STRING || t->kind == SQL_TK_QIDENT) {
		p_next(p);
		o->value = t->val;
		o->value_quote = t->quote;
		o->expr = sql_expr_new(p->a, SQL_E_STRING, off);
		if (!o->expr)
			return p_nomem(p);
		o->expr->v.str.s = t->val;
		o->expr->v.str.len = t->vlen;
		o->expr->v.str.quote = t->quote;
		return 0;
	}
	if (t->kind == SQL_TK_NUMBER || t->kind == SQL_TK_MINUS || t->kind == SQL_TK_PLUS) {
		o->expr = p_expr_prec(p, 12);
		if (!o->expr)
			return p->err;
		o->value = p_span(p, off, p_prev_end(p));
		return o->value ? 0 : p->err;
	}
	if (t->kind == SQL_TK_WORD) {
		p_next(p);
		o->value = t->val;
		o->expr = sql_expr_new(p->a, SQL_E_COLUMN, off);
		if (!o->expr)
			return p_nomem(p);
		if (t->kw == KW_TRUE || t->kw == KW_FALSE) {
			o->expr->kind = SQL_E_BOOL;
			o->expr->v.b = t->kw == KW_TRUE;
			return 0;
		}
		if (t->kw == KW_NULL) {
			o->expr->kind = SQL_E_NULL;
			return 0;
		}
		o->expr->v.name.n = 1;
		if (sql_ident_init(p->a, &o->expr->v.name.part[0], t->val, t->vlen, 0, off))
			return p_nomem(p);
		return 0;
	}
	return p_expected(p, "option value");
}

/* Option key: word(.word)*, 'str', "str". */
static int option_key(struct parser *p, struct sql_option *o)
{
	const struct sql_token *t = p_peek(p);
	o->off = t->off;
	if (t->kind == SQL_TK_STRING || t->kind == SQL_TK_QIDENT) {
		p_next(p);
		o->key = t->val;
		o->key_quote = t->quote;
		return 0;
	}
	if (t->kind != SQL_TK_WORD)
		return p_expected(p, "option name");
	uint32_t start = t->off;
	p_next(p);
	while (p_is(p, SQL_TK_DOT) && p_peek_at(p, 1)->kind == SQL_TK_WORD) {
		p_next(p);
		p_next(p);
	}
	char *k = p_span(p, start, p_prev_end(p));
	if (!k)
		return p->err;
	for (char *c = k; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	o->key = k;
	return 0;
}

/* ( key = value [, ...] [,] ) -- the parenthesised list after WITH. */
int p_options(struct parser *p, struct sql_option **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (p_expect(p, SQL_TK_LPAREN, "("))
		return p->err;
	while (!p_accept(p, SQL_TK_RPAREN)) {
		struct sql_option o;
		memset(&o, 0, sizeof(o));
		if (option_key(p, &o))
			return p->err;
		if (!p_accept(p, SQL_TK_EQ))
			return p_expected(p, "=");
		if (p_option_value(p, &o) || p_push(p, out, n, &cap, &o, sizeof(o)))
			return p->err;
		if (!p_accept(p, SQL_TK_COMMA))
			return p_expect(p, SQL_TK_RPAREN, "',' or ')' after option");
	}
	return 0;
}

/* Keywords that end a select item, so cannot be a bare column alias. */
bool p_reserved_for_alias(int kw)
{
	switch (kw) {
	case KW_FROM: case KW_WHERE: case KW_GROUP: case KW_HAVING: case KW_ORDER:
	case KW_LIMIT: case KW_OFFSET: case KW_UNION: case KW_EXCEPT: case KW_INTERSECT:
	case KW_INTO: case KW_ON: case KW_JOIN: case KW_INNER: case KW_LEFT: case KW_RIGHT:
	case KW_FULL: case KW_CROSS: case KW_NATURAL: case KW_USING: case KW_WINDOW:
	case KW_FETCH: case KW_FOR: case KW_AND: case KW_OR: case KW_XOR: case KW_SELECT:
	case KW_WITH: case KW_AS: case KW_OUTER: case KW_LATERAL: case KW_VALUES: case KW_SET:
	case KW_WHEN: case KW_THEN: case KW_ELSE: case KW_END: case KW_ASC: case KW_DESC:
	case KW_NULLS: case KW_ESCAPE: case KW_IS: case KW_IN: case KW_NOT: case KW_LIKE:
	case KW_ILIKE: case KW_BETWEEN: case KW_DIV:
		return true;
	default:
		return false;
	}
}

bool p_reserved_for_table_alias(int kw) { return p_reserved_for_alias(kw); }

/* Keywords that cannot be a bare column name inside an expression. */
bool p_reserved_for_expr(int kw)
{
	switch (kw) {
	case KW_FROM: case KW_WHERE: case KW_GROUP: case KW_HAVING: case KW_ORDER:
	case KW_LIMIT: case KW_OFFSET: case KW_UNION: case KW_EXCEPT: case KW_INTERSECT:
	case KW_SELECT: case KW_AND: case KW_OR: case KW_XOR: case KW_WHEN: case KW_THEN:
	case KW_ELSE: case KW_END: case KW_AS: case KW_IN: case KW_IS: case KW_BETWEEN:
	case KW_LIKE: case KW_ILIKE: case KW_JOIN: case KW_ON: case KW_INTO: case KW_VALUES:
	case KW_ASC: case KW_DESC: case KW_USING: case KW_SET: case KW_WITH: case KW_DIV:
	case KW_ESCAPE: case KW_CREATE: case KW_DROP: case KW_INSERT: case KW_DELETE:
	case KW_ALTER: case KW_TABLE:
		return true;
	default:
		return false;
	}
}

bool p_trailing_comma_end(const struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	if (t->kind == SQL_TK_RPAREN || t->kind == SQL_TK_SEMI || t->kind == SQL_TK_EOF)
		return true;
	if (t->kind != SQL_TK_WORD)
		return false;
	switch (t->kw) {
	case KW_FROM: case KW_WHERE: case KW_GROUP: case KW_HAVING: case KW_ORDER:
	case KW_LIMIT: case KW_OFFSET: case KW_UNION: case KW_EXCEPT: case KW_INTERSECT:
	case KW_WINDOW: case KW_FETCH: case KW_INTO:
		return true;
	default:
		return false;
	}
}

/* ---- small statements -------------------------------------------------------- */

/* Skip the rest of the statement (transaction modes we accept and ignore). */
static void skip_to_end(struct parser *p)
{
	while (!p_at_end(p))
		p_next(p);
}

static int parse_statement(struct parser *p, struct sql_stmt *st);

static int parse_admin(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* ADMIN */
	st->kind = SQL_STMT_ADMIN;
	if (!p_is_ident_start(p) || p_peek_at(p, 1)->kind != SQL_TK_LPAREN) {
		if (p_is_ident_start(p) && p_peek_at(p, 1)->kind == SQL_TK_DOT)
			; /* qualified function name: let the expression parser take it */
		else
			return p_expected(p, "a function call after ADMIN");
	}
	struct sql_expr *e = p_expr_prec(p, 13);
	if (!e)
		return p->err;
	if (e->kind != SQL_E_FUNC || e->v.func.no_parens)
		return p_fail(p, ERR_SYNTAX, e->off, true,
			      "Invalid SQL syntax: ADMIN expects a function call");
	st->u.admin.call = e;
	char *call = sql_expr_to_sql(p->a, e, 0);
	if (!call)
		return p_nomem(p);
	size_t n = strlen(call);
	char *h = arena_alloc(p->a, n + 7);
	if (!h)
		return p_nomem(p);
	memcpy(h, "ADMIN ", 6);
	memcpy(h + 6, call, n + 1);
	st->u.admin.header = h;
	return 0;
}

static int parse_explain(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* EXPLAIN */
	st->kind = SQL_STMT_EXPLAIN;
	for (;;) {
		if (p_accept_kw(p, KW_ANALYZE)) {
			st->u.explain.analyze = true;
		} else if (p_accept_kw(p, KW_VERBOSE)) {
			st->u.explain.verbose = true;
		} else if (p_is_kw(p, KW_FORMAT) && p_peek_at(p, 1)->kind == SQL_TK_WORD &&
			   p_peek_at(p, 1)->kw != KW_SELECT) {
			p_next(p);
			st->u.explain.format = p_next(p)->val;
		} else {
			break;
		}
	}
	struct sql_stmt *inner = p_node(p, sizeof(*inner));
	if (!inner)
		return p->err;
	if (p_at_end(p))
		return p_expected(p, "a statement after EXPLAIN");
	if (p_enter(p))
		return p->err;
	int rc = parse_statement(p, inner);
	p_leave(p);
	if (rc)
		return rc;
	st->u.explain.stmt = inner;
	return 0;
}

static int parse_use(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* USE */
	st->kind = SQL_STMT_USE;
	if (!p_is_ident_start(p))
		return p_unexpected(p, "a database name", "identifier");
	return p_ident(p, &st->u.use, NULL);
}

static int parse_transaction(struct parser *p, struct sql_stmt *st)
{
	const struct sql_token *t = p_next(p);
	switch (t->kw) {
	case KW_BEGIN:
		st->kind = SQL_STMT_BEGIN;
		break;
	case KW_START:
		if (p_expect_kw(p, KW_TRANSACTION))
			return p->err;
		st->kind = SQL_STMT_BEGIN;
		break;
	case KW_COMMIT:
	case KW_END:
		st->kind = SQL_STMT_COMMIT;
		break;
	default: /* ROLLBACK, ABORT */
		st->kind = SQL_STMT_ROLLBACK;
		break;
	}
	skip_to_end(p);
	return 0;
}

static int parse_prepare(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* PREPARE */
	st->kind = SQL_STMT_PREPARE;
	if (p_ident(p, &st->u.prepare.name, "a statement name") || p_expect_kw(p, KW_FROM))
		return p->err;
	const struct sql_token *t = p_peek(p);
	if (t->kind != SQL_TK_STRING && t->kind != SQL_TK_QIDENT)
		return p_expected(p, "a string literal");
	p_next(p);
	st->u.prepare.sql = t->val;
	return 0;
}

static int parse_execute(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* EXECUTE */
	st->kind = SQL_STMT_EXECUTE;
	if (p_ident(p, &st->u.execute.name, "a statement name"))
		return p->err;
	if (p_accept_kw(p, KW_USING))
		return p_expr_list(p, &st->u.execute.args, &st->u.execute.nargs);
	return 0;
}

static int parse_deallocate(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* DEALLOCATE */
	st->kind = SQL_STMT_DEALLOCATE;
	p_accept_kw(p, KW_PREPARE);
	return p_ident(p, &st->u.deallocate, "a statement name");
}

static int parse_kill(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* KILL */
	st->kind = SQL_STMT_KILL;
	if (p_accept_kw(p, KW_QUERY))
		st->u.kill.query = true;
	else
		p_accept_word(p, "CONNECTION");
	const struct sql_token *t = p_peek(p);
	if (t->kind != SQL_TK_NUMBER && t->kind != SQL_TK_STRING)
		return p_unexpected(p, "process id", "literal");
	st->u.kill.id = p_expr_prec(p, 13);
	return st->u.kill.id ? 0 : p->err;
}

static int parse_statement(struct parser *p, struct sql_stmt *st)
{
	const struct sql_token *t = p_peek(p);
	int rc;
	st->off = t->off;
	if (t->kind == SQL_TK_LPAREN) {
		st->kind = SQL_STMT_QUERY;
		st->u.query = p_query(p);
		rc = st->u.query ? 0 : p->err;
		goto out;
	}
	if (t->kind != SQL_TK_WORD)
		return p_unsupported(p);
	switch (t->kw) {
	case KW_SELECT:
	case KW_WITH:
	case KW_VALUES:
		st->kind = SQL_STMT_QUERY;
		st->u.query = p_query(p);
		rc = st->u.query ? 0 : p->err;
		break;
	case KW_INSERT:
	case KW_REPLACE:
		rc = p_insert(p, st);
		break;
	case KW_DELETE:
		rc = p_delete(p, st);
		break;
	case KW_CREATE:
		rc = p_create(p, st);
		break;
	case KW_DROP:
		rc = p_drop(p, st);
		break;
	case KW_ALTER:
		rc = p_alter(p, st);
		break;
	case KW_TRUNCATE:
		rc = p_truncate(p, st);
		break;
	case KW_DESC:
	case KW_DESCRIBE:
		rc = p_describe(p, st);
		break;
	case KW_EXPLAIN:
		rc = parse_explain(p, st);
		break;
	case KW_SHOW:
		rc = p_show(p, st);
		break;
	case KW_SET:
		rc = p_set(p, st);
		break;
	case KW_USE:
		rc = parse_use(p, st);
		break;
	case KW_BEGIN:
	case KW_START:
	case KW_COMMIT:
	case KW_ROLLBACK:
	case KW_END:
		rc = parse_transaction(p, st);
		break;
	case KW_ADMIN:
		rc = parse_admin(p, st);
		break;
	case KW_PREPARE:
		rc = parse_prepare(p, st);
		break;
	case KW_EXECUTE:
		rc = parse_execute(p, st);
		break;
	case KW_DEALLOCATE:
		rc = parse_deallocate(p, st);
		break;
	case KW_KILL:
		rc = parse_kill(p, st);
		break;
	default:
		if (p_is_word(p, "ABORT")) {
			rc = parse_transaction(p, st);
			break;
		}
		return p_unsupported(p);
	}
out:
	if (rc)
		return rc;
	st->len = p_prev_end(p) - st->off;
	st->text = p_span(p, st->off, st->off + st->len);
	return st->text ? 0 : p->err;
}

/* ---- driver --------------------------------------------------------------- */

static int parse_all(struct parser *p, struct sql_stmt_list *out)
{
	size_t cap = 0;
	bool expect_delim = false;
	for (;;) {
		while (p_accept(p, SQL_TK_SEMI))
			expect_delim = false;
		if (p_is(p, SQL_TK_EOF))
			return 0;
		if (expect_delim)
			return p_unsupported(p);
		struct sql_stmt *st = p_node(p, sizeof(*st));
		if (!st)
			return p->err;
		p->max_param = 0;
		p->qmarks = 0;
		p->depth = 0;
		p->height = 0;
		if (parse_statement(p, st))
			return p->err;
		if (!p_at_end(p))
			return p_unsupported(p);
		st->nparams = p->max_param > p->qmarks ? p->max_param : p->qmarks;
		if (p_validate_create_table(p, st))
			return p->err;
		if (p_push(p, &out->items, &out->n, &cap, &st, sizeof(st)))
			return p->err;
		expect_delim = true;
	}
}

static void record_error_pos(struct parser *p, const char *text, size_t len,
			     struct sql_stmt_list *out)
{
	out->err_off = p->err_off;
	out->err_has_pos = p->err_has_pos;
	if (p->err_has_pos)
		sql_linecol(text, len, p->err_off, &out->err_line, &out->err_col);
}

int sql_parse_ex(const char *text, size_t len, enum sql_dialect d, struct arena *a,
		 struct sql_stmt_list *out)
{
	struct sql_lexed lx = {0};
	uint32_t lex_off = 0;
	memset(out, 0, sizeof(*out));
	int rc = sql_lex(text, len, d, a, &lx, &lex_off);
	if (rc) {
		out->err_off = lex_off;
		out->err_has_pos = rc == ERR_SYNTAX;
		if (out->err_has_pos)
			sql_linecol(text, len, lex_off, &out->err_line, &out->err_col);
		return rc;
	}
	struct parser p = {
		.src = text, .len = len, .dialect = d, .a = a, .toks = lx.toks, .ntoks = lx.n,
	};
	rc = parse_all(&p, out);
	if (rc) {
		record_error_pos(&p, text, len, out);
		out->items = NULL;
		out->n = 0;
	}
	sql_lex_free(&lx);
	return rc;
}

int sql_parse(const char *text, struct arena *a, struct sql_stmt_list *out)
{
	return sql_parse_ex(text, strlen(text), SQL_DIALECT_GREPTIME, a, out);
}

int sql_parse_expr(const char *text, size_t len, enum sql_dialect d, struct arena *a,
		   struct sql_expr **out)
{
	struct sql_lexed lx = {0};
	uint32_t lex_off = 0;
	*out = NULL;
	int rc = sql_lex(text, len, d, a, &lx, &lex_off);
	if (rc)
		return rc;
	struct parser p = {
		.src = text, .len = len, .dialect = d, .a = a, .toks = lx.toks, .ntoks = lx.n,
	};
	struct sql_expr *e = p_expr(&p);
	if (e && !p_is(&p, SQL_TK_EOF))
		p_expected(&p, "end of expression");
	rc = p.err;
	if (!rc)
		*out = e;
	sql_lex_free(&lx);
	return rc;
}
