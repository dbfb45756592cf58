/*
 * parser_misc: SHOW and SET in their MySQL, PostgreSQL and GreptimeDB
 * forms.
 *
 * SET disambiguation: a comma after a value starts a new assignment when
 * what follows looks like one (name =, name TO, @x, @@x, SESSION x,
 * NAMES ...); otherwise it continues a PostgreSQL value list
 * (SET search_path TO a, b).
 */
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "sql/parser.h"
#include "sql/parser_int.h"

/* ---- SHOW -------------------------------------------------------------------------- */

/* [LIKE pattern | WHERE expr]; GreptimeDB takes the pattern as a quoted or
 * bare identifier. */
static int like_or_where(struct parser *p, struct sql_show *s)
{
	if (p_accept_kw(p, KW_LIKE)) {
		const struct sql_token *t = p_peek(p);
		if (t->kind != SQL_TK_STRING && t->kind != SQL_TK_WORD && t->kind != SQL_TK_QIDENT)
			return p_unexpected(p, "LIKE", "identifier");
		p_next(p);
		s->like = t->val;
		return 0;
	}
	if (p_accept_kw(p, KW_WHERE)) {
		s->where = p_expr(p);
		return s->where ? 0 : p->err;
	}
	return 0;
}

static int from_db(struct parser *p, struct sql_show *s)
{
	if (!p_accept_kw(p, KW_FROM) && !p_accept_kw(p, KW_IN))
		return 0;
	s->db = p_node(p, sizeof(*s->db));
	if (!s->db)
		return p->err;
	if (!p_is_ident_start(p))
		return p_unexpected(p, "a database name", "identifier");
	return p_ident(p, s->db, NULL);
}

static int from_table(struct parser *p, struct sql_show *s)
{
	if (!p_accept_kw(p, KW_FROM) && !p_accept_kw(p, KW_IN))
		return p_expected(p, "FROM or IN");
	if (!p_is_ident_start(p) && !p_is(p, SQL_TK_STRING))
		return p_unexpected(p, "a table name", "identifier");
	return p_name(p, &s->target, "a table name");
}

/* SHOW <words>: a variable such as TIMEZONE, TIME ZONE, TRANSACTION
 * ISOLATION LEVEL, search_path, READ_PREFERENCE. */
static int show_variable(struct parser *p, struct sql_show *s)
{
	uint32_t start = p_peek(p)->off;
	size_t nwords = 0;
	while (!p_at_end(p)) {
		const struct sql_token *t = p_peek(p);
		if (t->kind != SQL_TK_WORD && t->kind != SQL_TK_QIDENT && t->kind != SQL_TK_DOT)
			return p_unsupported(p);
		p_next(p);
		nwords++;
	}
	if (nwords == 0)
		return p_unsupported(p);
	char *text = p_span(p, start, p_prev_end(p));
	if (!text)
		return p->err;
	/* collapse whitespace, upper-case */
	size_t w = 0;
	for (size_t r = 0; text[r]; r++) {
		char c = text[r];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (w > 0 && text[w - 1] != ' ')
				text[w++] = ' ';
			continue;
		}
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		text[w++] = c;
	}
	while (w > 0 && text[w - 1] == ' ')
		w--;
	text[w] = '\0';
	s->var_text = text;
	/* the canonical name: words joined by '_', lower-case, when simple */
	const struct sql_token *first = &p->toks[p->pos - nwords];
	if (nwords == 1 || (nwords == 3 && first[1].kind == SQL_TK_DOT)) {
		s->var.n = 0;
		for (size_t i = 0; i < nwords; i += 2) {
			const struct sql_token *t = &first[i];
			if (sql_ident_init(p->a, &s->var.part[s->var.n++], t->val, t->vlen,
					   t->kind == SQL_TK_QIDENT ? t->quote : 0, t->off))
				return p_nomem(p);
		}
	} else {
		char *joined = p_strdup(p, text, w);
		if (!joined)
			return p->err;
		for (char *c = joined; *c; c++) {
			if (*c == ' ')
				*c = '_';
			else if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		}
		s->var.n = 1;
		if (sql_ident_init(p->a, &s->var.part[0], joined, strlen(joined), 0, start))
			return p_nomem(p);
	}
	return 0;
}

int p_show(struct parser *p, struct sql_stmt *st)
{
	struct sql_show *s = p_node(p, sizeof(*s));
	if (!s)
		return p->err;
	p_next(p); /* SHOW */
	st->kind = SQL_STMT_SHOW;
	st->u.show = s;
	s->full = p_accept_kw(p, KW_FULL);
	if (p_accept_kw(p, KW_GLOBAL))
		s->scope = "global";
	else if (p_accept_kw(p, KW_SESSION))
		s->scope = "session";

	if (p_accept_kw(p, KW_DATABASES) || p_accept_kw(p, KW_SCHEMAS)) {
		s->kind = SQL_SHOW_DATABASES;
		return like_or_where(p, s);
	}
	if (p_accept_kw(p, KW_TABLES)) {
		s->kind = SQL_SHOW_TABLES;
		if (from_db(p, s))
			return p->err;
		return like_or_where(p, s);
	}
	if (p_is_kw(p, KW_TABLE) && p_is_kw_at(p, 1, KW_STATUS)) {
		p->pos += 2;
		s->kind = SQL_SHOW_TABLE_STATUS;
		if (from_db(p, s))
			return p->err;
		return like_or_where(p, s);
	}
	if (p_accept_kw(p, KW_CREATE)) {
		if (p_accept_kw(p, KW_TABLE)) {
			s->kind = SQL_SHOW_CREATE_TABLE;
			if (!p_is_ident_start(p) && !p_is(p, SQL_TK_STRING))
				return p_unexpected(p, "a table name", "identifier");
			if (p_name(p, &s->target, "a table name"))
				return p->err;
			if (p_accept_kw(p, KW_FOR)) {
				if (!p_accept_word(p, "POSTGRES_FOREIGN_TABLE"))
					return p_expected(p, "POSTGRES_FOREIGN_TABLE");
				s->for_pg_foreign_table = true;
			}
			return 0;
		}
		if (p_accept_kw(p, KW_DATABASE) || p_accept_kw(p, KW_SCHEMA)) {
			s->kind = SQL_SHOW_CREATE_DATABASE;
			return p_name(p, &s->target, "a database name");
		}
		return p_unsupported(p);
	}
	if (p_accept_kw(p, KW_COLUMNS) || p_accept_word(p, "FIELDS")) {
		s->kind = SQL_SHOW_COLUMNS;
		if (from_table(p, s) || from_db(p, s))
			return p->err;
		return like_or_where(p, s);
	}
	if (p_accept_kw(p, KW_INDEX) || p_accept_kw(p, KW_INDEXES) || p_accept_kw(p, KW_KEYS)) {
		s->kind = SQL_SHOW_INDEX;
		if (from_table(p, s) || from_db(p, s))
			return p->err;
		return like_or_where(p, s);
	}
	if (p_accept_kw(p, KW_REGION)) {
		s->kind = SQL_SHOW_REGION;
		if (from_table(p, s) || from_db(p, s))
			return p->err;
		return like_or_where(p, s);
	}
	if (p_accept_kw(p, KW_VARIABLES)) {
		s->kind = SQL_SHOW_VARIABLES;
		if (p_is_kw(p, KW_LIKE) || p_is_kw(p, KW_WHERE) || p_at_end(p))
			return like_or_where(p, s);
		return show_variable(p, s);
	}
	if (p_accept_kw(p, KW_STATUS)) {
		s->kind = SQL_SHOW_STATUS;
		return like_or_where(p, s);
	}
	if (p_accept_kw(p, KW_COLLATION)) {
		s->kind = SQL_SHOW_COLLATION;
		return like_or_where(p, s);
	}
	if (p_accept_kws(p, KW_CHARACTER, KW_SET, KW_NONE) || p_accept_kw(p, KW_CHARSET)) {
		s->kind = SQL_SHOW_CHARSET;
		return like_or_where(p, s);
	}
	if (p_accept_kw(p, KW_ENGINES)) {
		s->kind = SQL_SHOW_ENGINES;
		return 0;
	}
	if (p_accept_kw(p, KW_PROCESSLIST)) {
		s->kind = SQL_SHOW_PROCESSLIST;
		return 0;
	}
	if (p_accept_kw(p, KW_WARNINGS)) {
		s->kind = SQL_SHOW_WARNINGS;
		return 0;
	}
	if (p_accept_kw(p, KW_ERRORS)) {
		s->kind = SQL_SHOW_ERRORS;
		return 0;
	}
	if (p_accept_kw(p, KW_FLOWS)) {
		s->kind = SQL_SHOW_FLOWS;
		if (from_db(p, s))
			return p->err;
		return like_or_where(p, s);
	}
	if (p_is_word(p, "VIEWS")) {
		p_next(p);
		s->kind = SQL_SHOW_VIEWS;
		if (from_db(p, s))
			return p->err;
		return like_or_where(p, s);
	}
	if (s->full)
		return p_unsupported(p);
	s->kind = SQL_SHOW_VARIABLE;
	return show_variable(p, s);
}

/* ---- SET --------------------------------------------------------------------------- */

static const char *scope_word(struct parser *p)
{
	if (p_is_kw(p, KW_SESSION) || p_is_kw(p, KW_GLOBAL) || p_is_kw(p, KW_LOCAL) ||
	    p_is_word(p, "PERSIST")) {
		/* only a scope when a name follows, not SET local = 1 */
		const struct sql_token *n = p_peek_at(p, 1);
		if (n->kind == SQL_TK_WORD || n->kind == SQL_TK_QIDENT) {
			const struct sql_token *t = p_next(p);
			switch (t->kw) {
			case KW_SESSION: return "session";
			case KW_GLOBAL: return "global";
			case KW_LOCAL: return "local";
			default: return "persist";
			}
		}
	}
	return NULL;
}

static bool assign_op_at(const struct parser *p, size_t k)
{
	const struct sql_token *t = p_peek_at(p, k);
	if (t->kind == SQL_TK_EQ)
		return true;
	if (t->kind == SQL_TK_COLON && p_peek_at(p, k + 1)->kind == SQL_TK_EQ)
		return true;
	return t->kind == SQL_TK_WORD && t->kw == KW_TO;
}

/* Does an assignment start here (after a comma)? */
static bool assignment_ahead(const struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	if (t->kind == SQL_TK_AT || t->kind == SQL_TK_ATAT)
		return true;
	if (t->kind != SQL_TK_WORD && t->kind != SQL_TK_QIDENT)
		return false;
	if (t->kind == SQL_TK_WORD &&
	    (t->kw == KW_NAMES || t->kw == KW_SESSION || t->kw == KW_GLOBAL || t->kw == KW_LOCAL ||
	     t->kw == KW_TRANSACTION || t->kw == KW_CHARSET))
		return true;
	/* name[.name]* followed by = / := / TO */
	size_t k = 1;
	while (p_peek_at(p, k)->kind == SQL_TK_DOT && (p_peek_at(p, k + 1)->kind == SQL_TK_WORD ||
						       p_peek_at(p, k + 1)->kind == SQL_TK_QIDENT))
		k += 2;
	return assign_op_at(p, k);
}

/* One value: a bare word (on, off, warning, DEFAULT) stands for itself. */
static struct sql_expr *set_value(struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	const struct sql_token *n = p_peek_at(p, 1);
	bool value_end = n->kind == SQL_TK_COMMA || n->kind == SQL_TK_SEMI ||
			 n->kind == SQL_TK_EOF || (n->kind == SQL_TK_WORD && n->kw == KW_COLLATE);
	if (t->kind == SQL_TK_WORD && value_end && t->kw != KW_NULL && t->kw != KW_TRUE &&
	    t->kw != KW_FALSE && t->kw != KW_CURRENT_TIMESTAMP) {
		p_next(p);
		struct sql_expr *e = sql_expr_new(p->a, t->kw == KW_DEFAULT ? SQL_E_DEFAULT
									    : SQL_E_COLUMN,
						  t->off);
		if (!e) {
			p_nomem(p);
			return NULL;
		}
		if (e->kind == SQL_E_COLUMN) {
			e->v.name.n = 1;
			if (sql_ident_init(p->a, &e->v.name.part[0], t->val, t->vlen, 0, t->off)) {
				p_nomem(p);
				return NULL;
			}
		}
		return e;
	}
	return p_expr(p);
}

static int set_values(struct parser *p, struct sql_set_item *it)
{
	size_t cap = 0;
	for (;;) {
		struct sql_expr *e = set_value(p);
		if (!e || p_push(p, &it->values, &it->nvalues, &cap, &e, sizeof(e)))
			return p->err;
		if (!p_is(p, SQL_TK_COMMA))
			return 0;
		p_next(p);
		if (assignment_ahead(p)) {
			p->pos--; /* give the comma back to the assignment list */
			return 0;
		}
	}
}

static int set_transaction(struct parser *p, struct sql_set_item *it)
{
	it->kind = SQL_SET_TRANSACTION;
	uint32_t start = p_peek(p)->off;
	while (!p_at_end(p) && !p_is(p, SQL_TK_COMMA))
		p_next(p);
	it->text = p_span(p, start, p_prev_end(p));
	return it->text ? 0 : p->err;
}

static int set_item(struct parser *p, struct sql_set_item *it, const char *stmt_scope)
{
	memset(it, 0, sizeof(*it));
	it->off = p_peek(p)->off;
	it->scope = scope_word(p);
	if (!it->scope)
		it->scope = stmt_scope;
	if (p_accept_kw(p, KW_NAMES) || p_accept_kw(p, KW_CHARSET) ||
	    p_accept_kws(p, KW_CHARACTER, KW_SET, KW_NONE)) {
		it->kind = SQL_SET_NAMES;
		if (set_values(p, it))
			return p->err;
		if (p_accept_kw(p, KW_COLLATE)) {
			const struct sql_token *t = p_peek(p);
			if (t->kind != SQL_TK_WORD && t->kind != SQL_TK_STRING &&
			    t->kind != SQL_TK_QIDENT)
				return p_expected(p, "collation name");
			p_next(p);
			it->collate = t->val;
		}
		return 0;
	}
	if (p_is_kw(p, KW_TIME) && p_is_kw_at(p, 1, KW_ZONE)) {
		p->pos += 2;
		it->kind = SQL_SET_TIME_ZONE;
		it->var.n = 1;
		if (sql_ident_init(p->a, &it->var.part[0], "time_zone", 9, 0, it->off))
			return p_nomem(p);
		return set_values(p, it);
	}
	if (p_accept_kw(p, KW_TRANSACTION))
		return set_transaction(p, it);
	if (p_is_word(p, "CHARACTERISTICS")) {
		/* SET SESSION CHARACTERISTICS AS TRANSACTION ... */
		p_next(p);
		if (!p_accept_kw(p, KW_AS) || !p_accept_kw(p, KW_TRANSACTION))
			return p_expected(p, "AS TRANSACTION");
		return set_transaction(p, it);
	}
	it->kind = SQL_SET_VAR;
	if (p_accept(p, SQL_TK_ATAT)) {
		it->system = true;
	} else if (p_accept(p, SQL_TK_AT)) {
		it->user = true;
	}
	if (it->user && p_is(p, SQL_TK_STRING)) {
		const struct sql_token *t = p_next(p);
		it->var.n = 1;
		if (sql_ident_init(p->a, &it->var.part[0], t->val, t->vlen, '\'', t->off))
			return p_nomem(p);
	} else if (p_name(p, &it->var, "variable name")) {
		return p->err;
	}
	if (it->system && it->var.n >= 2) {
		const char *s = it->var.part[0].name;
		if (!strcmp(s, "session") || !strcmp(s, "global") || !strcmp(s, "local") ||
		    !strcmp(s, "persist")) {
			it->scope = s;
			memmove(&it->var.part[0], &it->var.part[1],
				sizeof(it->var.part[0]) * (size_t)(it->var.n - 1));
			it->var.n--;
		}
	}
	if (p_accept(p, SQL_TK_COLON)) {
		if (!p_accept(p, SQL_TK_EQ))
			return p_expected(p, "=");
	} else if (!p_accept(p, SQL_TK_EQ) && !p_accept_kw(p, KW_TO)) {
		return p_expected(p, "equals sign or TO");
	}
	return set_values(p, it);
}

int p_set(struct parser *p, struct sql_stmt *st)
{
	size_t cap = 0;
	p_next(p); /* SET */
	st->kind = SQL_STMT_SET;
	const char *scope = NULL;
	/* SET SESSION TRANSACTION ... / SET GLOBAL x = 1: the scope word
	 * applies to the first item only in MySQL; we keep it per item. */
	do {
		struct sql_set_item it;
		if (set_item(p, &it, scope) ||
		    p_push(p, &st->u.set.items, &st->u.set.nitems, &cap, &it, sizeof(it)))
			return p->err;
	} while (p_accept(p, SQL_TK_COMMA));
	return 0;
}
