/*
 * parser_ddl: CREATE/DROP DATABASE, CREATE [EXTERNAL] TABLE, DROP TABLE,
 * ALTER TABLE/DATABASE, TRUNCATE, DESCRIBE; and the checks GreptimeDB
 * makes on CREATE TABLE with the exact texts it uses:
 *
 *   while parsing a column (ERR_BAD_INPUT, "Invalid column option, column
 *   name: c, error: ..."): duplicated time index; time index column can't
 *   be null; time index column data type should be timestamp.
 *   While parsing TIME INDEX (a, b) (ERR_SYNTAX): "Invalid time index: it
 *   should contain only one column in time index".
 *   After the statement (p_validate_create_table): partition columns
 *   defined and rules well formed; exactly one time index ("Missing time
 *   index constraint", "Invalid time index: expected only one time index
 *   constraint but actual N"); then the primary key placement rules
 *   ("Illegal primary keys definition: ...", ERR_BAD_INPUT).
 */
#include <stdio.h>
#include <string.h>

#include "base/datatype.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/parser.h"
#include "sql/parser_int.h"

/* Keeps the partition checks linear in the size of the statement. */
#define MAX_PARTITION_COLUMNS 256

/* An identifier as GreptimeDB prints it in messages: quoted if it was. */
static void ident_display(const struct sql_ident *id, char *out, size_t cap)
{
	if (id->quote == '"' || id->quote == '`')
		snprintf(out, cap, "%c%s%c", id->quote, id->raw, id->quote);
	else
		snprintf(out, cap, "%s", id->raw);
}

static int column_option_error(struct parser *p, const struct sql_ident *col, const char *msg)
{
	char name[160];
	ident_display(col, name, sizeof(name));
	return p_fail(p, ERR_BAD_INPUT, col->off, true,
		      "Invalid column option, column name: %s, error: %s", name, msg);
}

static bool is_timestamp_type(const struct sql_type *t)
{
	return t->kind == SQL_TYPE_DTYPE && t->dtype >= 0 && dtype_is_timestamp((enum dtype)t->dtype);
}

/* IF NOT EXISTS: IF followed by NOT commits to it. */
static int if_not_exists(struct parser *p, bool *out)
{
	*out = false;
	if (p_is_kw(p, KW_IF) && p_is_kw_at(p, 1, KW_NOT)) {
		p->pos += 2;
		if (!p_accept_kw(p, KW_EXISTS))
			return p_unexpected(p, "EXISTS", "EXISTS");
		*out = true;
	}
	return 0;
}

static int if_exists(struct parser *p, bool *out)
{
	*out = p_accept_kws(p, KW_IF, KW_EXISTS, KW_NONE);
	return 0;
}

static int table_name(struct parser *p, struct sql_name *out)
{
	if (!p_is_ident_start(p) && !p_is(p, SQL_TK_STRING))
		return p_unexpected(p, "a table name", "identifier");
	return p_name(p, out, "a table name");
}

/* ---- columns ------------------------------------------------------------------ */

static int index_option(struct parser *p, struct sql_column_def *c, int kind)
{
	struct sql_column_index ix;
	/* p_push grows 4, 8, 16...: the capacity implied by the count */
	size_t cap = 0;
	if (c->nindexes)
		for (cap = 4; cap < c->nindexes; cap *= 2)
			;
	memset(&ix, 0, sizeof(ix));
	ix.kind = kind;
	p->pos += 2; /* <KIND> INDEX */
	if (p_accept_kw(p, KW_WITH) && p_options(p, &ix.opts, &ix.nopts))
		return p->err;
	return p_push(p, &c->indexes, &c->nindexes, &cap, &ix, sizeof(ix));
}

static int string_value(struct parser *p, const char **out, const char *what)
{
	const struct sql_token *t = p_peek(p);
	if (t->kind != SQL_TK_STRING)
		return p_expected(p, what);
	p_next(p);
	*out = t->val;
	return 0;
}

static int word_value(struct parser *p, const char **out)
{
	const struct sql_token *t = p_peek(p);
	if (t->kind != SQL_TK_WORD && t->kind != SQL_TK_QIDENT && t->kind != SQL_TK_STRING)
		return p_expected(p, "identifier");
	p_next(p);
	*out = t->val;
	return 0;
}

/* One column option; *done set when none follows. */
static int column_option(struct parser *p, struct sql_column_def *c, bool *done, int *ntime)
{
	*done = false;
	if (p_accept_kw(p, KW_CONSTRAINT)) {
		struct sql_ident ignored;
		if (p_ident(p, &ignored, "constraint name"))
			return p->err;
		bool none;
		if (column_option(p, c, &none, ntime))
			return p->err;
		if (none)
			return p_expected(p, "constraint details after CONSTRAINT <name>");
		return 0;
	}
	if (p_accept_kws(p, KW_NOT, KW_NULL, KW_NONE)) {
		c->nullable = 0;
	} else if (p_accept_kw(p, KW_NULL)) {
		if (c->time_index)
			return column_option_error(p, &c->name, "time index column can't be null");
		c->nullable = 1;
	} else if (p_accept_kw(p, KW_DEFAULT)) {
		if (!(c->default_expr = p_expr(p)))
			return p->err;
	} else if (p_accept_kws(p, KW_PRIMARY, KW_KEY, KW_NONE)) {
		c->primary_key = true;
	} else if (p_accept_kw(p, KW_UNIQUE)) {
		p_accept_kw(p, KW_KEY);
	} else if (p_accept_kws(p, KW_TIME, KW_INDEX, KW_NONE)) {
		if (c->time_index)
			return column_option_error(p, &c->name, "duplicated time index");
		if (c->nullable == 1)
			return column_option_error(p, &c->name, "time index column can't be null");
		if (!is_timestamp_type(&c->type))
			return column_option_error(p, &c->name,
						   "time index column data type should be timestamp");
		c->time_index = true;
		(*ntime)++;
	} else if (p_accept_kw(p, KW_COMMENT)) {
		if (string_value(p, &c->comment, "string"))
			return p->err;
	} else if (p_accept_kws(p, KW_CHARACTER, KW_SET, KW_NONE) || p_accept_kw(p, KW_CHARSET)) {
		if (word_value(p, &c->charset))
			return p->err;
	} else if (p_accept_kw(p, KW_COLLATE)) {
		if (word_value(p, &c->collate))
			return p->err;
	} else if (p_is_kw(p, KW_SKIPPING) && p_is_kw_at(p, 1, KW_INDEX)) {
		return index_option(p, c, SQL_INDEX_SKIPPING);
	} else if (p_is_kw(p, KW_FULLTEXT) && p_is_kw_at(p, 1, KW_INDEX)) {
		return index_option(p, c, SQL_INDEX_FULLTEXT);
	} else if (p_is_kw(p, KW_INVERTED) && p_is_kw_at(p, 1, KW_INDEX)) {
		return index_option(p, c, SQL_INDEX_INVERTED);
	} else {
		*done = true;
	}
	return 0;
}

static int column_def(struct parser *p, struct sql_column_def *c)
{
	memset(c, 0, sizeof(*c));
	c->nullable = -1;
	c->off = p_peek(p)->off;
	if (p_ident(p, &c->name, "column name") || p_type(p, &c->type))
		return p->err;
	int ntime = 0;
	for (;;) {
		bool done;
		if (column_option(p, c, &done, &ntime))
			return p->err;
		if (done)
			break;
	}
	if (c->time_index)
		c->nullable = 0; /* a time index is NOT NULL */
	return 0;
}

static bool table_constraint_ahead(const struct parser *p)
{
	return p_is_kw(p, KW_CONSTRAINT) ||
	       (p_is_kw(p, KW_PRIMARY) && p_is_kw_at(p, 1, KW_KEY)) ||
	       (p_is_kw(p, KW_TIME) && p_is_kw_at(p, 1, KW_INDEX));
}

static int table_constraint(struct parser *p, struct sql_create_table *ct, size_t *cap_ti,
			    size_t *cap_pk)
{
	if (p_accept_kw(p, KW_CONSTRAINT)) {
		struct sql_ident ignored; /* constraint names are accepted and dropped */
		if (p_ident(p, &ignored, "constraint name"))
			return p->err;
	}
	struct sql_ident *cols;
	size_t n;
	if (p_accept_kw(p, KW_PRIMARY)) {
		if (!p_accept_kw(p, KW_KEY))
			return p_unexpected(p, "KEY", "KEY");
		if (p_paren_ident_list(p, &cols, &n))
			return p->err;
		ct->npk_clauses++;
		for (size_t i = 0; i < n; i++)
			if (p_push(p, &ct->primary_key, &ct->nprimary_key, cap_pk, &cols[i],
				   sizeof(cols[i])))
				return p->err;
		return 0;
	}
	if (p_accept_kw(p, KW_TIME)) {
		if (!p_accept_kw(p, KW_INDEX))
			return p_unexpected(p, "INDEX", "INDEX");
		uint32_t off = p_peek(p)->off;
		if (p_paren_ident_list(p, &cols, &n))
			return p->err;
		if (n != 1)
			return p_fail(p, ERR_SYNTAX, off, true,
				      "Invalid time index: it should contain only one column in time "
				      "index");
		return p_push(p, &ct->time_index, &ct->ntime_index, cap_ti, &cols[0],
			      sizeof(cols[0]));
	}
	return p_expected(p, "PRIMARY, TIME");
}

static int columns(struct parser *p, struct sql_create_table *ct)
{
	size_t cap_cols = 0, cap_ti = 0, cap_pk = 0;
	if (!p_accept(p, SQL_TK_LPAREN) || p_accept(p, SQL_TK_RPAREN))
		return 0;
	for (;;) {
		if (table_constraint_ahead(p)) {
			if (table_constraint(p, ct, &cap_ti, &cap_pk))
				return p->err;
		} else if (p_is_ident_start(p)) {
			struct sql_column_def c;
			if (column_def(p, &c) ||
			    p_push(p, &ct->cols, &ct->ncols, &cap_cols, &c, sizeof(c)))
				return p->err;
		} else {
			return p_expected(p, "column name or constraint definition");
		}
		bool comma = p_accept(p, SQL_TK_COMMA);
		if (p_accept(p, SQL_TK_RPAREN))
			return 0; /* a trailing comma is allowed */
		if (!comma)
			return p_expected(p, "',' or ')' after column definition");
	}
}

static int partition_clause(struct parser *p, struct sql_create_table *ct)
{
	struct sql_partition *pt = p_node(p, sizeof(*pt));
	size_t cap = 0;
	if (!pt)
		return p->err;
	if (!p_accept_kw(p, KW_ON))
		return p_expected(p, "ON");
	if (!p_accept_kw(p, KW_COLUMNS))
		return p_expected(p, "COLUMNS");
	uint32_t cols_off = p_peek(p)->off;
	if (p_paren_ident_list(p, &pt->cols, &pt->ncols))
		return p->err;
	if (pt->ncols > MAX_PARTITION_COLUMNS)
		return p_fail(p, ERR_BAD_INPUT, cols_off, true,
			      "Invalid SQL, error: too many partition columns: %zu (at most %d)",
			      pt->ncols, MAX_PARTITION_COLUMNS);
	if (p_expect(p, SQL_TK_LPAREN, "("))
		return p->err;
	while (!p_accept(p, SQL_TK_RPAREN)) {
		struct sql_expr *e = p_expr(p);
		if (!e || p_push(p, &pt->rules, &pt->nrules, &cap, &e, sizeof(e)))
			return p->err;
		if (!p_accept(p, SQL_TK_COMMA) && !p_is(p, SQL_TK_RPAREN))
			return p_expected(p, "',' or ')' after partition rule");
	}
	ct->partition = pt;
	return 0;
}

static int engine_clause(struct parser *p, struct sql_ident **out)
{
	if (!p_accept_kw(p, KW_ENGINE))
		return 0;
	if (!p_accept(p, SQL_TK_EQ))
		return p_unexpected(p, "=", "=");
	struct sql_ident *id = p_node(p, sizeof(*id));
	if (!id)
		return p->err;
	if (!p_is_ident_start(p))
		return p_expected(p, "'Engine' is missing");
	if (p_ident(p, id, NULL))
		return p->err;
	*out = id;
	return 0;
}

static int create_table(struct parser *p, struct sql_stmt *st, bool external)
{
	struct sql_create_table *ct = p_node(p, sizeof(*ct));
	if (!ct)
		return p->err;
	st->kind = SQL_STMT_CREATE_TABLE;
	st->u.create_table = ct;
	ct->external = external;
	p_next(p); /* TABLE */
	if (if_not_exists(p, &ct->if_not_exists) || table_name(p, &ct->name))
		return p->err;
	if (p_accept_kw(p, KW_LIKE)) {
		ct->like = p_node(p, sizeof(*ct->like));
		if (!ct->like || table_name(p, ct->like))
			return p->err;
		return 0;
	}
	if (columns(p, ct))
		return p->err;
	if (!external && p_accept_kw(p, KW_PARTITION) && partition_clause(p, ct))
		return p->err;
	if (engine_clause(p, &ct->engine))
		return p->err;
	if (p_accept_kw(p, KW_WITH) && p_options(p, &ct->opts, &ct->nopts))
		return p->err;
	return 0;
}

static int create_database(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* DATABASE / SCHEMA */
	st->kind = SQL_STMT_CREATE_DATABASE;
	if (if_not_exists(p, &st->u.create_db.if_not_exists))
		return p->err;
	if (!p_is_ident_start(p))
		return p_unexpected(p, "a database name", "identifier");
	if (p_name(p, &st->u.create_db.name, "a database name"))
		return p->err;
	if (p_accept_kw(p, KW_WITH) &&
	    p_options(p, &st->u.create_db.opts, &st->u.create_db.nopts))
		return p->err;
	return 0;
}

int p_create(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* CREATE */
	if (p_is_kw(p, KW_TABLE))
		return create_table(p, st, false);
	if (p_is_kw(p, KW_EXTERNAL)) {
		p_next(p);
		if (!p_is_kw(p, KW_TABLE))
			return p_expected(p, "TABLE");
		return create_table(p, st, true);
	}
	if (p_is_kw(p, KW_DATABASE) || p_is_kw(p, KW_SCHEMA))
		return create_database(p, st);
	return p_unsupported(p);
}

/* ---- DROP / TRUNCATE / DESCRIBE ------------------------------------------------- */

int p_drop(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* DROP */
	if (p_accept_kw(p, KW_TABLE)) {
		size_t cap = 0;
		st->kind = SQL_STMT_DROP_TABLE;
		if_exists(p, &st->u.drop_table.if_exists);
		do {
			struct sql_name n;
			if (table_name(p, &n) || p_push(p, &st->u.drop_table.names,
							&st->u.drop_table.nnames, &cap, &n, sizeof(n)))
				return p->err;
		} while (p_accept(p, SQL_TK_COMMA));
		return 0;
	}
	if (p_accept_kw(p, KW_DATABASE) || p_accept_kw(p, KW_SCHEMA)) {
		st->kind = SQL_STMT_DROP_DATABASE;
		if_exists(p, &st->u.drop_db.if_exists);
		if (!p_is_ident_start(p))
			return p_unexpected(p, "a database name", "identifier");
		return p_name(p, &st->u.drop_db.name, "a database name");
	}
	return p_unsupported(p);
}

int p_truncate(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* TRUNCATE */
	st->kind = SQL_STMT_TRUNCATE;
	p_accept_kw(p, KW_TABLE);
	return table_name(p, &st->u.truncate);
}

int p_describe(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* DESC / DESCRIBE */
	st->kind = SQL_STMT_DESCRIBE;
	p_accept_kw(p, KW_TABLE);
	return table_name(p, &st->u.describe);
}

/* ---- ALTER ------------------------------------------------------------------------ */

/* ( expr, ... [,] ) */
static int paren_exprs(struct parser *p, struct sql_expr ***out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (p_expect(p, SQL_TK_LPAREN, "("))
		return p->err;
	while (!p_accept(p, SQL_TK_RPAREN)) {
		struct sql_expr *e = p_expr(p);
		if (!e || p_push(p, out, n, &cap, &e, sizeof(e)))
			return p->err;
		if (!p_accept(p, SQL_TK_COMMA) && !p_is(p, SQL_TK_RPAREN))
			return p_expected(p, "',' or ')'");
	}
	return 0;
}

/* SET k = v [, k = v] (no parentheses) */
static int set_options(struct parser *p, struct sql_alter_item *it)
{
	size_t cap = 0;
	do {
		struct sql_option o;
		memset(&o, 0, sizeof(o));
		o.off = p_peek(p)->off;
		const struct sql_token *t = p_peek(p);
		if (t->kind == SQL_TK_STRING || t->kind == SQL_TK_QIDENT) {
			p_next(p);
			o.key = t->val;
			o.key_quote = t->quote;
		} else if (t->kind == SQL_TK_WORD) {
			struct sql_name n;
			if (p_name(p, &n, "option name"))
				return p->err;
			o.key = p_span(p, t->off, p_prev_end(p));
			if (!o.key)
				return p->err;
			for (char *c = (char *)o.key; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
		} else {
			return p_expected(p, "option name");
		}
		if (!p_accept(p, SQL_TK_EQ))
			return p_expected(p, "=");
		if (p_option_value(p, &o) || p_push(p, &it->opts, &it->nopts, &cap, &o, sizeof(o)))
			return p->err;
	} while (p_accept(p, SQL_TK_COMMA));
	return 0;
}

static int unset_options(struct parser *p, struct sql_alter_item *it)
{
	size_t cap = 0;
	do {
		struct sql_option o;
		memset(&o, 0, sizeof(o));
		const struct sql_token *t = p_peek(p);
		o.off = t->off;
		if (t->kind != SQL_TK_STRING && t->kind != SQL_TK_QIDENT && t->kind != SQL_TK_WORD)
			return p_expected(p, "option name");
		p_next(p);
		o.key = t->val;
		o.key_quote = t->kind == SQL_TK_WORD ? 0 : t->quote;
		if (p_push(p, &it->opts, &it->nopts, &cap, &o, sizeof(o)))
			return p->err;
	} while (p_accept(p, SQL_TK_COMMA));
	return 0;
}

static int alter_item(struct parser *p, struct sql_alter_item *it, bool database)
{
	memset(it, 0, sizeof(*it));
	it->off = p_peek(p)->off;
	if (p_accept_kw(p, KW_SET)) {
		it->kind = SQL_ALTER_SET_OPTIONS;
		return set_options(p, it);
	}
	if (p_accept_kw(p, KW_UNSET)) {
		it->kind = SQL_ALTER_UNSET_OPTIONS;
		return unset_options(p, it);
	}
	if (database)
		return p_expected(p, "SET or UNSET");
	if (p_accept_kw(p, KW_ADD)) {
		it->kind = SQL_ALTER_ADD_COLUMN;
		p_accept_kw(p, KW_COLUMN);
		if (if_not_exists(p, &it->if_not_exists) || column_def(p, &it->col))
			return p->err;
		if (p_accept_kw(p, KW_FIRST)) {
			it->first = true;
		} else if (p_accept_kw(p, KW_AFTER)) {
			it->after = p_node(p, sizeof(*it->after));
			if (!it->after || p_ident(p, it->after, "column name"))
				return p->err;
		}
		return 0;
	}
	if (p_accept_kw(p, KW_DROP)) {
		it->kind = SQL_ALTER_DROP_COLUMN;
		if (!p_accept_kw(p, KW_COLUMN))
			return p_expected(p, "COLUMN");
		if_exists(p, &it->if_exists);
		return p_ident(p, &it->column, "column name");
	}
	if (p_accept_kw(p, KW_MODIFY)) {
		p_accept_kw(p, KW_COLUMN);
		if (p_ident(p, &it->column, "column name"))
			return p->err;
		if (p_is_kw(p, KW_SET) || p_is_kw(p, KW_UNSET)) {
			it->kind = p_next(p)->kw == KW_SET ? SQL_ALTER_MODIFY_COLUMN_SET
							    : SQL_ALTER_MODIFY_COLUMN_UNSET;
			uint32_t start = p_peek(p)->off;
			/* FULLTEXT INDEX / INVERTED INDEX / SKIPPING INDEX [WITH (...)] */
			while (!p_at_end(p) && !p_is(p, SQL_TK_COMMA) && !p_is_kw(p, KW_WITH))
				p_next(p);
			it->what = p_span(p, start, p_prev_end(p));
			if (!it->what)
				return p->err;
			if (p_accept_kw(p, KW_WITH) && p_options(p, &it->opts, &it->nopts))
				return p->err;
			return 0;
		}
		it->kind = SQL_ALTER_MODIFY_COLUMN;
		it->col.name = it->column;
		it->col.nullable = -1;
		return p_type(p, &it->col.type);
	}
	if (p_accept_kw(p, KW_RENAME)) {
		it->kind = SQL_ALTER_RENAME;
		p_accept_kw(p, KW_TO);
		return p_ident(p, &it->new_name, "new table name");
	}
	if (p_accept_kw(p, KW_REPARTITION)) {
		it->kind = SQL_ALTER_REPARTITION;
		if (paren_exprs(p, &it->from, &it->nfrom) || p_expect_kw(p, KW_INTO))
			return p->err;
		return paren_exprs(p, &it->to, &it->nto);
	}
	if (p_accept_kw(p, KW_SPLIT)) {
		it->kind = SQL_ALTER_SPLIT_PARTITION;
		if (p_expect_kw(p, KW_PARTITION) || paren_exprs(p, &it->from, &it->nfrom) ||
		    p_expect_kw(p, KW_INTO))
			return p->err;
		return paren_exprs(p, &it->to, &it->nto);
	}
	if (p_accept_kw(p, KW_MERGE)) {
		it->kind = SQL_ALTER_MERGE_PARTITION;
		if (p_expect_kw(p, KW_PARTITION))
			return p->err;
		return paren_exprs(p, &it->from, &it->nfrom);
	}
	return p_expected(p, "ADD or DROP or MODIFY or RENAME or SET or UNSET after ALTER TABLE");
}

int p_alter(struct parser *p, struct sql_stmt *st)
{
	p_next(p); /* ALTER */
	bool database = false;
	if (p_accept_kw(p, KW_DATABASE) || p_accept_kw(p, KW_SCHEMA))
		database = true;
	else if (!p_accept_kw(p, KW_TABLE))
		return p_unsupported(p);
	struct sql_alter_table *at = p_node(p, sizeof(*at));
	size_t cap = 0;
	if (!at)
		return p->err;
	st->kind = database ? SQL_STMT_ALTER_DATABASE : SQL_STMT_ALTER_TABLE;
	st->u.alter = at;
	at->database = database;
	if (table_name(p, &at->name))
		return p->err;
	do {
		struct sql_alter_item it;
		if (alter_item(p, &it, database) ||
		    p_push(p, &at->items, &at->nitems, &cap, &it, sizeof(it)))
			return p->err;
		/* SET/UNSET lists consume their own commas */
		if (it.kind == SQL_ALTER_SET_OPTIONS || it.kind == SQL_ALTER_UNSET_OPTIONS)
			break;
	} while (p_accept(p, SQL_TK_COMMA));
	return 0;
}

/* ---- CREATE TABLE checks ------------------------------------------------------------ */

static const struct sql_column_def *find_column(const struct sql_create_table *ct,
						const char *name)
{
	for (size_t i = 0; i < ct->ncols; i++)
		if (strcmp(ct->cols[i].name.name, name) == 0)
			return &ct->cols[i];
	return NULL;
}

/* Every column a partition rule names must be in PARTITION ON COLUMNS. */
static int check_rule_columns(struct parser *p, const struct sql_partition *pt,
			      const struct sql_expr *e, int depth)
{
	if (!e || depth > SQL_MAX_DEPTH)
		return 0;
	switch (e->kind) {
	case SQL_E_COLUMN: {
		const struct sql_ident *id = &e->v.name.part[e->v.name.n - 1];
		for (size_t i = 0; i < pt->ncols; i++)
			if (strcmp(pt->cols[i].name, id->name) == 0)
				return 0;
		return p_fail(p, ERR_SYNTAX, e->off, true,
			      "Invalid SQL, error: Column \"%s\" in rule expr is not referenced in "
			      "PARTITION ON",
			      id->name);
	}
	case SQL_E_BINARY:
		if (check_rule_columns(p, pt, e->v.binary.left, depth + 1))
			return p->err;
		return check_rule_columns(p, pt, e->v.binary.right, depth + 1);
	case SQL_E_UNARY:
		return check_rule_columns(p, pt, e->v.unary.arg, depth + 1);
	case SQL_E_NESTED:
		return check_rule_columns(p, pt, e->v.inner, depth + 1);
	default:
		return 0;
	}
}

static int validate_partitions(struct parser *p, const struct sql_create_table *ct)
{
	const struct sql_partition *pt = ct->partition;
	for (size_t i = 0; i < pt->ncols; i++)
		if (!find_column(ct, pt->cols[i].name))
			return p_fail(p, ERR_SYNTAX, pt->cols[i].off, true,
				      "Invalid SQL, error: Partition column \"%s\" not defined",
				      pt->cols[i].name);
	for (size_t i = 0; i < pt->nrules; i++) {
		const struct sql_expr *r = pt->rules[i];
		if (r->kind != SQL_E_BINARY) {
			char *txt = sql_expr_to_sql(p->a, r, 0);
			return p_fail(p, ERR_SYNTAX, r->off, true,
				      "Invalid SQL, error: Partition rule expr %s is not a binary expr",
				      txt ? txt : "?");
		}
		if (check_rule_columns(p, pt, r, 0))
			return p->err;
	}
	return 0;
}

static int validate_time_index(struct parser *p, const struct sql_create_table *ct)
{
	/* Distinct time index constraints: one per column flag, one per
	 * TIME INDEX (c) clause; the same column twice counts once. */
	const char *seen[8];
	size_t nseen = 0, total = 0;
	for (size_t i = 0; i < ct->ncols + ct->ntime_index; i++) {
		const char *n;
		if (i < ct->ncols) {
			if (!ct->cols[i].time_index)
				continue;
			n = ct->cols[i].name.name;
		} else {
			n = ct->time_index[i - ct->ncols].name;
		}
		bool dup = false;
		for (size_t k = 0; k < nseen; k++)
			if (strcmp(seen[k], n) == 0)
				dup = true;
		if (dup)
			continue;
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = n;
		total++;
	}
	if (total == 0)
		return p_fail(p, ERR_SYNTAX, 0, false, "Missing time index constraint");
	if (total > 1)
		return p_fail(p, ERR_SYNTAX, 0, false,
			      "Invalid time index: expected only one time index constraint but "
			      "actual %zu",
			      total);
	const struct sql_column_def *c = find_column(ct, seen[0]);
	if (!c)
		return p_fail(p, ERR_SYNTAX, 0, false,
			      "Invalid time index: time index column %s not found in columns",
			      seen[0]);
	if (!is_timestamp_type(&c->type))
		return column_option_error(p, &c->name,
					   "time index column data type should be timestamp");
	return 0;
}

static int validate_primary_key(struct parser *p, const struct sql_create_table *ct)
{
	size_t inline_pk = 0;
	for (size_t i = 0; i < ct->ncols; i++)
		if (ct->cols[i].primary_key)
			inline_pk++;
	if ((inline_pk > 0 && ct->npk_clauses > 0) || ct->npk_clauses > 1)
		return p_fail(p, ERR_BAD_INPUT, 0, false,
			      "Illegal primary keys definition: found definitions of primary keys "
			      "in multiple places");
	if (inline_pk > 1)
		return p_fail(p, ERR_BAD_INPUT, 0, false,
			      "Illegal primary keys definition: not allowed to inline multiple "
			      "primary keys in columns options");
	return 0;
}

int p_validate_create_table(struct parser *p, struct sql_stmt *st)
{
	if (st->kind == SQL_STMT_EXPLAIN && st->u.explain.stmt)
		return p_validate_create_table(p, st->u.explain.stmt);
	if (st->kind != SQL_STMT_CREATE_TABLE)
		return 0;
	const struct sql_create_table *ct = st->u.create_table;
	if (ct->like || ct->external)
		return 0;
	if (ct->partition && validate_partitions(p, ct))
		return p->err;
	if (validate_time_index(p, ct))
		return p->err;
	return validate_primary_key(p, ct);
}
