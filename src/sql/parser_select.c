/*
 * parser_select: queries (WITH, SELECT, VALUES, set operations, ORDER BY,
 * LIMIT/OFFSET in both the MySQL "LIMIT m, n" and the standard forms),
 * FROM items with joins, and the DML statements INSERT/REPLACE and DELETE.
 *
 * Set operations: INTERSECT binds tighter than UNION and EXCEPT, which
 * associate to the left, as in the SQL standard.
 */
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "sql/parser.h"
#include "sql/parser_int.h"

bool p_is_query_start(const struct parser *p)
{
	return p_is_kw(p, KW_SELECT) || p_is_kw(p, KW_WITH) || p_is_kw(p, KW_VALUES) ||
	       p_is(p, SQL_TK_LPAREN);
}

int p_order_by(struct parser *p, struct sql_order_item **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (;;) {
		struct sql_order_item it;
		memset(&it, 0, sizeof(it));
		if (!(it.expr = p_expr(p)))
			return p->err;
		if (p_accept_kw(p, KW_DESC))
			it.desc = true;
		else
			p_accept_kw(p, KW_ASC);
		if (p_accept_kw(p, KW_NULLS)) {
			if (p_accept_kw(p, KW_FIRST))
				it.nulls = 1;
			else if (p_accept_kw(p, KW_LAST))
				it.nulls = 2;
			else
				return p_expected(p, "FIRST or LAST");
		}
		if (p_push(p, out, n, &cap, &it, sizeof(it)))
			return p->err;
		if (!p_accept(p, SQL_TK_COMMA) || p_trailing_comma_end(p))
			return 0;
	}
}

/* [AS] alias; bare words only when not reserved. Returns 0 when absent. */
static int alias(struct parser *p, struct sql_ident **out, bool table)
{
	const struct sql_token *t = p_peek(p);
	bool as = p_accept_kw(p, KW_AS);
	t = p_peek(p);
	bool ok = t->kind == SQL_TK_QIDENT ||
		  (t->kind == SQL_TK_WORD &&
		   (as || !(table ? p_reserved_for_table_alias(t->kw) : p_reserved_for_alias(t->kw)))) ||
		  (t->kind == SQL_TK_STRING && !table && (as || p->dialect == SQL_DIALECT_MYSQL));
	if (!ok) {
		if (as)
			return p_expected(p, "an identifier after AS");
		return 0;
	}
	struct sql_ident *id = p_node(p, sizeof(*id));
	if (!id || p_ident_or_string(p, id, "alias"))
		return p->err;
	*out = id;
	return 0;
}

static int values_rows(struct parser *p, struct sql_values **out)
{
	struct sql_values *v = p_node(p, sizeof(*v));
	size_t cap_rows = 0, cap_w = 0, nw = 0;
	if (!v)
		return p->err;
	do {
		struct sql_expr **row = NULL;
		size_t n = 0, cap = 0;
		p_accept_kw(p, KW_ROW);
		if (p_expect(p, SQL_TK_LPAREN, "("))
			return p->err;
		while (!p_accept(p, SQL_TK_RPAREN)) {
			struct sql_expr *e = p_expr(p);
			if (!e || p_push(p, &row, &n, &cap, &e, sizeof(e)))
				return p->err;
			if (!p_accept(p, SQL_TK_COMMA) && !p_is(p, SQL_TK_RPAREN))
				return p_expected(p, "',' or ')' in VALUES row");
		}
		if (p_push(p, &v->rows, &v->nrows, &cap_rows, &row, sizeof(row)) ||
		    p_push(p, &v->widths, &nw, &cap_w, &n, sizeof(n)))
			return p->err;
	} while (p_accept(p, SQL_TK_COMMA));
	*out = v;
	return 0;
}

/* ---- FROM ---------------------------------------------------------------------- */

static struct sql_from *from_item(struct parser *p);

static int table_alias(struct parser *p, struct sql_from *f)
{
	if (alias(p, &f->alias, true))
		return p->err;
	if (f->alias && p_is(p, SQL_TK_LPAREN) &&
	    (p_peek_at(p, 1)->kind == SQL_TK_WORD || p_peek_at(p, 1)->kind == SQL_TK_QIDENT)) {
		if (p_paren_ident_list(p, &f->col_aliases, &f->ncol_aliases))
			return p->err;
	}
	return 0;
}

static struct sql_from *table_factor(struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	struct sql_from *f = p_node(p, sizeof(*f));
	if (!f)
		return NULL;
	f->off = t->off;
	if (p_accept_kw(p, KW_LATERAL))
		f->lateral = true;
	if (p_is(p, SQL_TK_LPAREN)) {
		if (p_is_kw_at(p, 1, KW_SELECT) || p_is_kw_at(p, 1, KW_WITH) ||
		    p_is_kw_at(p, 1, KW_VALUES) || p_peek_at(p, 1)->kind == SQL_TK_LPAREN) {
			/* (query) or ((query) ...): a derived table */
			if (p_peek_at(p, 1)->kind == SQL_TK_LPAREN && !p_is_kw_at(p, 2, KW_SELECT) &&
			    !p_is_kw_at(p, 2, KW_WITH) && !p_is_kw_at(p, 2, KW_VALUES))
				goto nested;
			f->kind = SQL_FROM_SUBQUERY;
			p_next(p);
			if (!(f->subquery = p_query(p)) || p_expect(p, SQL_TK_RPAREN, ")"))
				return NULL;
			if (table_alias(p, f))
				return NULL;
			return f;
		}
nested:
		p_next(p);
		if (p_enter(p))
			return NULL;
		struct sql_from *inner = from_item(p);
		p_leave(p);
		if (!inner || p_expect(p, SQL_TK_RPAREN, ")"))
			return NULL;
		if (!inner->alias && table_alias(p, inner))
			return NULL;
		return inner;
	}
	if (p_name(p, &f->table, "a table name"))
		return NULL;
	if (p_is(p, SQL_TK_LPAREN)) {
		f->kind = SQL_FROM_FUNC;
		p_next(p);
		if (!p_is(p, SQL_TK_RPAREN) && p_expr_list(p, &f->args, &f->nargs))
			return NULL;
		if (p_expect(p, SQL_TK_RPAREN, ")"))
			return NULL;
	} else {
		f->kind = SQL_FROM_TABLE;
	}
	if (table_alias(p, f))
		return NULL;
	return f;
}

static bool join_ahead(const struct parser *p, int *kind, size_t *skip, bool *natural)
{
	size_t k = 0;
	*natural = false;
	if (p_is_kw_at(p, 0, KW_NATURAL)) {
		*natural = true;
		k++;
	}
	*kind = SQL_JOIN_INNER;
	if (p_is_kw_at(p, k, KW_JOIN)) {
		*skip = k + 1;
		return true;
	}
	if (p_is_kw_at(p, k, KW_INNER) && p_is_kw_at(p, k + 1, KW_JOIN)) {
		*skip = k + 2;
		return true;
	}
	if (p_is_kw_at(p, k, KW_CROSS) && p_is_kw_at(p, k + 1, KW_JOIN)) {
		*kind = SQL_JOIN_CROSS;
		*skip = k + 2;
		return true;
	}
	int kw = p_peek_at(p, k)->kind == SQL_TK_WORD ? p_peek_at(p, k)->kw : KW_NONE;
	if (kw == KW_LEFT || kw == KW_RIGHT || kw == KW_FULL) {
		*kind = kw == KW_LEFT ? SQL_JOIN_LEFT : kw == KW_RIGHT ? SQL_JOIN_RIGHT : SQL_JOIN_FULL;
		size_t j = k + 1;
		if (p_is_kw_at(p, j, KW_OUTER))
			j++;
		if (p_is_kw_at(p, j, KW_JOIN)) {
			*skip = j + 1;
			return true;
		}
	}
	return false;
}

static struct sql_from *from_item(struct parser *p)
{
	struct sql_from *left = table_factor(p);
	int links = 0;
	while (left) {
		int kind;
		size_t skip;
		bool natural;
		if (!join_ahead(p, &kind, &skip, &natural))
			break;
		if (p_chain(p)) {
			left = NULL;
			break;
		}
		links++;
		uint32_t off = p_peek(p)->off;
		p->pos += skip;
		struct sql_from *j = p_node(p, sizeof(*j));
		if (!j) {
			left = NULL;
			break;
		}
		j->kind = SQL_FROM_JOIN;
		j->off = off;
		j->join = kind;
		j->natural = natural;
		j->left = left;
		if (!(j->right = table_factor(p))) {
			left = NULL;
			break;
		}
		if (kind != SQL_JOIN_CROSS && !natural) {
			if (p_accept_kw(p, KW_ON)) {
				if (!(j->on = p_expr(p))) {
					left = NULL;
					break;
				}
			} else if (p_accept_kw(p, KW_USING) &&
				   p_paren_ident_list(p, &j->using_cols, &j->nusing)) {
				left = NULL;
				break;
			}
		}
		left = j;
	}
	p_unchain(p, links);
	return left;
}

/* ---- SELECT -------------------------------------------------------------------- */

static int select_items(struct parser *p, struct sql_select *s)
{
	size_t cap = 0;
	for (;;) {
		struct sql_select_item it;
		memset(&it, 0, sizeof(it));
		it.off = p_peek(p)->off;
		if (!(it.expr = p_expr(p)))
			return p->err;
		it.end = p_prev_end(p);
		if (it.expr->kind != SQL_E_STAR && alias(p, &it.alias, false))
			return p->err;
		if (p_push(p, &s->items, &s->nitems, &cap, &it, sizeof(it)))
			return p->err;
		/* GreptimeDB allows a trailing comma before the next clause */
		if (!p_accept(p, SQL_TK_COMMA) || p_trailing_comma_end(p))
			return 0;
	}
}

static struct sql_select *select_core(struct parser *p)
{
	struct sql_select *s = p_node(p, sizeof(*s));
	if (!s)
		return NULL;
	p_next(p); /* SELECT */
	if (p_accept_kw(p, KW_DISTINCT)) {
		s->distinct = true;
		if (p_accept_kw(p, KW_ON)) {
			if (p_expect(p, SQL_TK_LPAREN, "(") ||
			    p_expr_list(p, &s->distinct_on, &s->ndistinct_on) ||
			    p_expect(p, SQL_TK_RPAREN, ")"))
				return NULL;
		}
	} else {
		p_accept_kw(p, KW_ALL);
	}
	if (p_is_kw(p, KW_FROM) || p_at_end(p)) {
		p_expected(p, "an expression");
		return NULL;
	}
	if (select_items(p, s))
		return NULL;
	if (p_accept_kw(p, KW_FROM)) {
		size_t cap = 0;
		for (;;) {
			struct sql_from *f = from_item(p);
			if (!f || p_push(p, &s->from, &s->nfrom, &cap, &f, sizeof(f)))
				return NULL;
			if (!p_accept(p, SQL_TK_COMMA))
				break;
		}
	}
	if (p_accept_kw(p, KW_WHERE) && !(s->where = p_expr(p)))
		return NULL;
	if (p_accept_kws(p, KW_GROUP, KW_BY, KW_NONE)) {
		size_t cap = 0;
		for (;;) {
			struct sql_expr *e = p_expr(p);
			if (!e || p_push(p, &s->group_by, &s->ngroup, &cap, &e, sizeof(e)))
				return NULL;
			if (!p_accept(p, SQL_TK_COMMA) || p_trailing_comma_end(p))
				break;
		}
	}
	if (p_accept_kw(p, KW_HAVING) && !(s->having = p_expr(p)))
		return NULL;
	return s;
}

/* ---- query bodies and set operations ---------------------------------------------- */

static struct sql_query_body *body_term(struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	struct sql_query_body *b = p_node(p, sizeof(*b));
	if (!b)
		return NULL;
	b->off = t->off;
	if (p_is_kw(p, KW_SELECT)) {
		b->kind = SQL_BODY_SELECT;
		return (b->select = select_core(p)) ? b : NULL;
	}
	if (p_accept_kw(p, KW_VALUES)) {
		b->kind = SQL_BODY_VALUES;
		return values_rows(p, &b->values) ? NULL : b;
	}
	if (p_accept(p, SQL_TK_LPAREN)) {
		b->kind = SQL_BODY_QUERY;
		if (!(b->query = p_query(p)) || p_expect(p, SQL_TK_RPAREN, ")"))
			return NULL;
		return b;
	}
	p_expected(p, "SELECT, VALUES, or a subquery in the query body");
	return NULL;
}

static bool setop_ahead(const struct parser *p, int *op)
{
	if (p_is_kw(p, KW_UNION))
		*op = SQL_SETOP_UNION;
	else if (p_is_kw(p, KW_EXCEPT))
		*op = SQL_SETOP_EXCEPT;
	else if (p_is_kw(p, KW_INTERSECT))
		*op = SQL_SETOP_INTERSECT;
	else
		return false;
	return true;
}

static struct sql_query_body *body_prec(struct parser *p, int min_intersect)
{
	struct sql_query_body *left = body_term(p);
	int links = 0;
	while (left) {
		int op;
		if (!setop_ahead(p, &op))
			break;
		if (min_intersect && op != SQL_SETOP_INTERSECT)
			break;
		if (p_chain(p)) {
			left = NULL;
			break;
		}
		links++;
		const struct sql_token *t = p_next(p);
		struct sql_query_body *b = p_node(p, sizeof(*b));
		if (!b) {
			left = NULL;
			break;
		}
		b->kind = SQL_BODY_SETOP;
		b->off = t->off;
		b->op = op;
		if (p_accept_kw(p, KW_ALL))
			b->all = true;
		else if (p_accept_kw(p, KW_DISTINCT))
			b->distinct = true;
		b->left = left;
		if (p_enter(p)) {
			left = NULL;
			break;
		}
		/* INTERSECT binds tighter: the right side of UNION/EXCEPT
		 * takes a whole INTERSECT chain. */
		b->right = op == SQL_SETOP_INTERSECT ? body_term(p) : body_prec(p, 1);
		p_leave(p);
		if (!b->right) {
			left = NULL;
			break;
		}
		left = b;
	}
	p_unchain(p, links);
	return left;
}

static int limit_value(struct parser *p, struct sql_expr **out)
{
	if (p_accept_kw(p, KW_ALL)) {
		*out = NULL;
		return 0;
	}
	*out = p_expr(p);
	return *out ? 0 : p->err;
}

static int limit_offset(struct parser *p, struct sql_query *q)
{
	for (int round = 0; round < 3; round++) {
		if (!q->limit && p_accept_kw(p, KW_LIMIT)) {
			struct sql_expr *first;
			if (limit_value(p, &first))
				return p->err;
			if (first && p_accept(p, SQL_TK_COMMA)) {
				/* MySQL LIMIT offset, count */
				q->offset = first;
				if (!(q->limit = p_expr(p)))
					return p->err;
			} else {
				q->limit = first;
			}
		} else if (!q->offset && p_accept_kw(p, KW_OFFSET)) {
			if (!(q->offset = p_expr(p)))
				return p->err;
			if (!p_accept_kw(p, KW_ROWS))
				p_accept_kw(p, KW_ROW);
		} else if (!q->limit && p_is_kw(p, KW_FETCH)) {
			/* FETCH FIRST|NEXT n ROW|ROWS ONLY */
			p_next(p);
			if (!p_accept_kw(p, KW_FIRST) && !p_accept_word(p, "NEXT"))
				return p_expected(p, "FIRST or NEXT");
			if (p_is(p, SQL_TK_NUMBER) || p_is(p, SQL_TK_PARAM)) {
				if (!(q->limit = p_expr_prec(p, 12)))
					return p->err;
			}
			if (!p_accept_kw(p, KW_ROWS) && !p_accept_kw(p, KW_ROW))
				return p_expected(p, "ROW or ROWS");
			if (!p_accept_word(p, "ONLY"))
				return p_expected(p, "ONLY");
		} else {
			break;
		}
	}
	return 0;
}

static int ctes(struct parser *p, struct sql_query *q)
{
	size_t cap = 0;
	p_next(p); /* WITH */
	q->recursive = p_accept_kw(p, KW_RECURSIVE);
	for (;;) {
		struct sql_cte c;
		memset(&c, 0, sizeof(c));
		if (p_ident(p, &c.name, "a CTE name"))
			return p->err;
		if (p_is(p, SQL_TK_LPAREN) && p_paren_ident_list(p, &c.cols, &c.ncols))
			return p->err;
		if (p_expect_kw(p, KW_AS) || p_expect(p, SQL_TK_LPAREN, "("))
			return p->err;
		if (!(c.query = p_query(p)) || p_expect(p, SQL_TK_RPAREN, ")"))
			return p->err;
		if (p_push(p, &q->ctes, &q->nctes, &cap, &c, sizeof(c)))
			return p->err;
		if (!p_accept(p, SQL_TK_COMMA))
			return 0;
	}
}

struct sql_query *p_query(struct parser *p)
{
	if (p_enter(p))
		return NULL;
	struct sql_query *q = p_node(p, sizeof(*q));
	if (!q)
		goto fail;
	q->off = p_peek(p)->off;
	if (p_is_kw(p, KW_WITH) && ctes(p, q))
		goto fail;
	if (!(q->body = body_prec(p, 0)))
		goto fail;
	if (p_accept_kws(p, KW_ORDER, KW_BY, KW_NONE) && p_order_by(p, &q->order_by, &q->norder))
		goto fail;
	if (limit_offset(p, q))
		goto fail;
	p_leave(p);
	return q;
fail:
	p_leave(p);
	return NULL;
}

/* ---- INSERT / DELETE -------------------------------------------------------------- */

int p_insert(struct parser *p, struct sql_stmt *st)
{
	const struct sql_token *t = p_next(p); /* INSERT / REPLACE */
	st->kind = SQL_STMT_INSERT;
	st->u.insert.replace = t->kw == KW_REPLACE;
	if (!p_accept_kw(p, KW_INTO) && !st->u.insert.replace)
		return p_expected(p, "INTO");
	if (p_name(p, &st->u.insert.table, "a table name"))
		return p->err;
	if (p_is(p, SQL_TK_LPAREN) && !p_is_kw_at(p, 1, KW_SELECT) && !p_is_kw_at(p, 1, KW_WITH)) {
		if (p_paren_ident_list(p, &st->u.insert.cols, &st->u.insert.ncols))
			return p->err;
	}
	if (p_is_word(p, "VALUE"))
		return p_expected(p, "VALUES");
	if (!p_is_query_start(p))
		return p_expected(p, "SELECT, VALUES, or a subquery in the query body");
	st->u.insert.source = p_query(p);
	return st->u.insert.source ? 0 : p->err;
}

int p_delete(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* DELETE */
	st->kind = SQL_STMT_DELETE;
	if (p_expect_kw(p, KW_FROM))
		return p->err;
	if (p_name(p, &st->u.del.table, "a table name"))
		return p->err;
	if (p_accept_kw(p, KW_WHERE) && !(st->u.del.where = p_expr(p)))
		return p->err;
	return 0;
}
