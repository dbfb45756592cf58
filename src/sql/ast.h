/*
 * ast: the typed syntax tree the SQL parser produces, and a printer that
 * renders it back to SQL text.
 *
 * Ownership: every node, string and array of a parsed statement lives in
 * the arena given to sql_parse; there is nothing to free one node at a
 * time. Resetting or destroying the arena frees the whole tree. Strings
 * are NUL-terminated.
 *
 * Positions: `off` fields are byte offsets into the text given to
 * sql_parse (sql_linecol in lexer.h turns them into line/column).
 *
 * Identifiers: `name` is canonical (lower-cased unless it was quoted, as
 * GreptimeDB canonicalises); `raw` is the text as written without quotes;
 * `quote` is 0, '"', '`' or '\'' (a string used where a name goes, e.g.
 * CREATE TABLE 'N.~' or WITH('ttl'='7d')).
 *
 * Arrays are (pointer, count) pairs; an absent optional node is NULL.
 */
#ifndef STRATA_SQL_AST_H
#define STRATA_SQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct buf;

struct sql_ident {
	const char *name; /* canonical */
	const char *raw;  /* as written, unquoted */
	char quote;       /* 0, '"', '`', '\'' */
	uint32_t off;
};

/* A dotted name: a, db.t, catalog.db.t, t.col ... (1..SQL_NAME_MAX parts). */
#define SQL_NAME_MAX 4
struct sql_name {
	struct sql_ident part[SQL_NAME_MAX];
	int n;
};

/* ---- types ---------------------------------------------------------- */

enum sql_type_kind {
	SQL_TYPE_DTYPE = 0, /* maps to enum dtype (base/datatype.h): dtype is set */
	SQL_TYPE_DECIMAL,   /* DECIMAL/NUMERIC(p,s) */
	SQL_TYPE_TIME,      /* TIME [WITHOUT TIME ZONE] */
	SQL_TYPE_INTERVAL,
	SQL_TYPE_JSON,
	SQL_TYPE_VECTOR,    /* VECTOR(dim) */
	SQL_TYPE_DURATION,
	SQL_TYPE_OTHER,     /* a name we do not know (regclass, oid, ...): see text */
};

struct sql_type {
	int kind;         /* enum sql_type_kind */
	int dtype;        /* enum dtype when kind == SQL_TYPE_DTYPE, else -1 */
	int precision;    /* TIMESTAMP(p), DECIMAL(p, s), VARCHAR(n), VECTOR(n); -1 if absent */
	int scale;        /* DECIMAL(p, s); -1 if absent */
	bool with_tz;     /* TIMESTAMP WITH TIME ZONE */
	const char *text; /* the type as written, normalised spacing: "INT UNSIGNED", "Timestamp(3)" */
	uint32_t off;
};

/* ---- expressions ---------------------------------------------------- */

enum sql_expr_kind {
	SQL_E_NULL,
	SQL_E_BOOL,      /* v.b */
	SQL_E_NUMBER,    /* v.num */
	SQL_E_STRING,    /* v.str (quote '\'' or '"' in the MySQL dialect) */
	SQL_E_HEXSTR,    /* v.str: the hex digits of X'..' */
	SQL_E_TYPED_STR, /* DATE '..', TIMESTAMP '..': v.typed */
	SQL_E_INTERVAL,  /* v.interval */
	SQL_E_DEFAULT,   /* the DEFAULT keyword (INSERT VALUES) */
	SQL_E_COLUMN,    /* v.name: a, t.a, db.t.a; also "x" in the GreptimeDB dialect */
	SQL_E_STAR,      /* *, t.*: v.name holds the qualifier (n == 0 for bare *) */
	SQL_E_PARAM,     /* ? or $n: v.param (1-based) */
	SQL_E_VAR,       /* @@x, @@session.x, @x: v.var */
	SQL_E_UNARY,     /* v.unary */
	SQL_E_BINARY,    /* v.binary */
	SQL_E_FUNC,      /* v.func */
	SQL_E_CAST,      /* v.cast */
	SQL_E_IS,        /* v.is: IS [NOT] NULL/TRUE/FALSE/UNKNOWN/DISTINCT FROM */
	SQL_E_IN_LIST,   /* v.in */
	SQL_E_IN_QUERY,  /* v.in */
	SQL_E_BETWEEN,   /* v.between */
	SQL_E_LIKE,      /* v.like (LIKE / ILIKE) */
	SQL_E_CASE,      /* v.case_ */
	SQL_E_EXTRACT,   /* v.extract */
	SQL_E_SUBQUERY,  /* v.query: scalar subquery */
	SQL_E_EXISTS,    /* v.exists */
	SQL_E_NESTED,    /* v.inner: ( expr ), kept for faithful printing */
	SQL_E_TUPLE,     /* v.list: (a, b, ...) */
	SQL_E_ARRAY,     /* v.list: [a, b] or ARRAY[a, b] */
	SQL_E_SUBSCRIPT, /* v.binary: left[right] */
};

enum sql_num_kind {
	SQL_NUM_INT,   /* fits int64: i */
	SQL_NUM_UINT,  /* > INT64_MAX, fits uint64: u */
	SQL_NUM_BIG,   /* integer beyond uint64: text only */
	SQL_NUM_FLOAT, /* has '.' or exponent: f (and text) */
};

enum sql_unop { SQL_UOP_NEG, SQL_UOP_PLUS, SQL_UOP_NOT, SQL_UOP_BITNOT };

#define SQL_BINOPS(X)                    \
	X(OR, "OR")                      \
	X(XOR, "XOR")                    \
	X(AND, "AND")                    \
	X(EQ, "=")                       \
	X(NE, "<>")                      \
	X(LT, "<")                       \
	X(LE, "<=")                      \
	X(GT, ">")                       \
	X(GE, ">=")                      \
	X(NSEQ, "<=>")                   \
	X(ADD, "+")                      \
	X(SUB, "-")                      \
	X(MUL, "*")                      \
	X(DIV, "/")                      \
	X(MOD, "%")                      \
	X(INTDIV, "DIV")                 \
	X(CONCAT, "||")                  \
	X(BITAND, "&")                   \
	X(BITOR, "|")                    \
	X(BITXOR, "^")                   \
	X(SHL, "<<")                     \
	X(SHR, ">>")                     \
	X(REGEX, "~")                    \
	X(NOT_REGEX, "!~")               \
	X(REGEX_I, "~*")                 \
	X(NOT_REGEX_I, "!~*")            \
	X(ARROW, "->")                   \
	X(LARROW, "->>")                 \
	X(SUBSCRIPT, "[]")

enum sql_binop {
#define X(e, s) SQL_BOP_##e,
	SQL_BINOPS(X)
#undef X
	SQL_BOP__COUNT
};

enum sql_is_kind { SQL_IS_NULL, SQL_IS_TRUE, SQL_IS_FALSE, SQL_IS_UNKNOWN, SQL_IS_DISTINCT_FROM };

enum sql_cast_style { SQL_CAST_FUNC, SQL_CAST_DCOLON, SQL_CAST_TRY };

struct sql_expr;
struct sql_query;
struct sql_order_item;

struct sql_window {
	const char *name; /* OVER name (a named window); the rest is empty then */
	struct sql_expr **partition_by;
	size_t npartition;
	struct sql_order_item *order_by;
	size_t norder;
	const char *frame; /* frame clause as written (ROWS BETWEEN ...) or NULL */
};

struct sql_expr {
	int kind; /* enum sql_expr_kind */
	uint32_t off;
	union {
		bool b;
		struct {
			int kind; /* enum sql_num_kind */
			int64_t i;
			uint64_t u;
			double f;
			const char *text;
		} num;
		struct {
			const char *s;
			size_t len;
			char quote;
		} str;
		struct {
			struct sql_type type;
			const char *s;
		} typed;
		struct {
			struct sql_expr *value; /* string or number expression */
			const char *unit;       /* "HOUR", "DAY TO SECOND" or NULL */
		} interval;
		struct sql_name name;
		int param;
		struct {
			bool system;      /* @@ */
			const char *scope; /* "session"/"global"/"local" or NULL */
			struct sql_ident ident;
		} var;
		struct {
			int op; /* enum sql_unop */
			struct sql_expr *arg;
		} unary;
		struct {
			int op; /* enum sql_binop */
			struct sql_expr *left, *right;
		} binary;
		struct {
			struct sql_name name;
			struct sql_expr **args;
			size_t nargs;
			bool distinct;
			bool star;      /* count(*) */
			bool no_parens; /* CURRENT_TIMESTAMP written without () */
			struct sql_order_item *order_by; /* string_agg(x, ',' ORDER BY y) */
			size_t norder;
			struct sql_expr *filter;  /* FILTER (WHERE ...) */
			struct sql_window *over;  /* OVER (...) */
		} func;
		struct {
			struct sql_expr *arg;
			struct sql_type type;
			int style; /* enum sql_cast_style */
		} cast;
		struct {
			struct sql_expr *arg;
			int what; /* enum sql_is_kind */
			bool negated;
			struct sql_expr *other; /* DISTINCT FROM */
		} is;
		struct {
			struct sql_expr *arg;
			struct sql_expr **list;
			size_t nlist;
			struct sql_query *query;
			bool negated;
		} in;
		struct {
			struct sql_expr *arg, *low, *high;
			bool negated;
		} between;
		struct {
			struct sql_expr *arg, *pattern, *escape;
			bool negated;
			bool ilike;
		} like;
		struct {
			struct sql_expr *operand; /* CASE x WHEN ... ; NULL for searched CASE */
			struct sql_expr **when, **then;
			size_t nwhen;
			struct sql_expr *else_;
		} case_;
		struct {
			const char *field; /* upper-cased: YEAR, MONTH, EPOCH ... */
			struct sql_expr *arg;
		} extract;
		struct sql_query *query;
		struct {
			struct sql_query *query;
			bool negated;
		} exists;
		struct sql_expr *inner;
		struct {
			struct sql_expr **items;
			size_t n;
		} list;
	} v;
};

/* ---- queries -------------------------------------------------------- */

struct sql_order_item {
	struct sql_expr *expr;
	bool desc;
	int nulls; /* 0 unspecified, 1 NULLS FIRST, 2 NULLS LAST */
};

struct sql_select_item {
	struct sql_expr *expr; /* SQL_E_STAR for * and t.* */
	struct sql_ident *alias;
	uint32_t off, end; /* source span of the item (without the alias) */
};

enum sql_join_kind {
	SQL_JOIN_INNER,
	SQL_JOIN_LEFT,
	SQL_JOIN_RIGHT,
	SQL_JOIN_FULL,
	SQL_JOIN_CROSS,
};

enum sql_from_kind { SQL_FROM_TABLE, SQL_FROM_SUBQUERY, SQL_FROM_FUNC, SQL_FROM_JOIN };

struct sql_from {
	int kind; /* enum sql_from_kind */
	uint32_t off;
	struct sql_name table;       /* TABLE, FUNC (function name) */
	struct sql_expr **args;      /* FUNC */
	size_t nargs;
	struct sql_query *subquery;  /* SUBQUERY */
	bool lateral;
	struct sql_ident *alias;
	struct sql_ident *col_aliases; /* t(a, b) */
	size_t ncol_aliases;
	/* JOIN */
	int join;                    /* enum sql_join_kind */
	bool natural;
	struct sql_from *left, *right;
	struct sql_expr *on;
	struct sql_ident *using_cols;
	size_t nusing;
};

struct sql_select {
	bool distinct;
	struct sql_expr **distinct_on; /* PostgreSQL DISTINCT ON (...) */
	size_t ndistinct_on;
	struct sql_select_item *items;
	size_t nitems;
	struct sql_from **from; /* comma-separated FROM items, each maybe a join tree */
	size_t nfrom;
	struct sql_expr *where;
	struct sql_expr **group_by;
	size_t ngroup;
	struct sql_expr *having;
};

struct sql_values {
	struct sql_expr ***rows; /* rows[r][c] */
	size_t *widths;          /* widths[r]: rows may differ (checked later) */
	size_t nrows;
};

enum sql_setop { SQL_SETOP_UNION, SQL_SETOP_INTERSECT, SQL_SETOP_EXCEPT };
enum sql_body_kind { SQL_BODY_SELECT, SQL_BODY_SETOP, SQL_BODY_QUERY, SQL_BODY_VALUES };

struct sql_query_body {
	int kind; /* enum sql_body_kind */
	uint32_t off;
	struct sql_select *select;            /* SELECT */
	int op;                               /* SETOP: enum sql_setop */
	bool all;                             /* SETOP: UNION ALL */
	bool distinct;                        /* SETOP: UNION DISTINCT written */
	struct sql_query_body *left, *right;  /* SETOP */
	struct sql_query *query;              /* QUERY: ( query ) */
	struct sql_values *values;            /* VALUES */
};

struct sql_cte {
	struct sql_ident name;
	struct sql_ident *cols;
	size_t ncols;
	struct sql_query *query;
};

struct sql_query {
	uint32_t off;
	struct sql_cte *ctes;
	size_t nctes;
	bool recursive;
	struct sql_query_body *body;
	struct sql_order_item *order_by;
	size_t norder;
	struct sql_expr *limit;  /* NULL when absent */
	struct sql_expr *offset; /* NULL when absent */
};

/* ---- DDL ------------------------------------------------------------ */

/* A WITH(...) / SET option: key = value. */
struct sql_option {
	const char *key;   /* as written, unquoted; lower-cased when it was bare */
	char key_quote;    /* 0, '\'', '"', '`' */
	const char *value; /* the value as text: string contents, number text, word */
	char value_quote;  /* 0 for numbers/words, else the quote used */
	struct sql_expr *expr; /* the value as an expression (NULL for UNSET keys) */
	uint32_t off;
};

enum sql_index_kind { SQL_INDEX_SKIPPING, SQL_INDEX_FULLTEXT, SQL_INDEX_INVERTED };

struct sql_column_index {
	int kind; /* enum sql_index_kind */
	struct sql_option *opts;
	size_t nopts;
};

struct sql_column_def {
	struct sql_ident name;
	struct sql_type type;
	int nullable;            /* -1 not said, 0 NOT NULL, 1 NULL */
	struct sql_expr *default_expr;
	bool time_index;
	bool primary_key;
	const char *comment;
	const char *collate;
	const char *charset;
	struct sql_column_index *indexes;
	size_t nindexes;
	uint32_t off;
};

struct sql_partition {
	struct sql_ident *cols;
	size_t ncols;
	struct sql_expr **rules; /* may be empty: one region */
	size_t nrules;
};

struct sql_create_table {
	bool if_not_exists;
	bool external;
	struct sql_name name;
	struct sql_column_def *cols;
	size_t ncols;
	/* Table constraints as written; column-level TIME INDEX / PRIMARY KEY
	 * stay on the column definitions. */
	struct sql_ident *time_index; /* TIME INDEX (c) */
	size_t ntime_index;           /* number of columns listed there */
	struct sql_ident *primary_key;
	size_t nprimary_key;
	int npk_clauses;  /* PRIMARY KEY (...) clauses seen */
	struct sql_name *like; /* CREATE TABLE t LIKE src */
	struct sql_partition *partition;
	struct sql_ident *engine; /* NULL: default (mito) */
	struct sql_option *opts;
	size_t nopts;
};

enum sql_alter_kind {
	SQL_ALTER_ADD_COLUMN,
	SQL_ALTER_DROP_COLUMN,
	SQL_ALTER_MODIFY_COLUMN,   /* MODIFY [COLUMN] c type */
	SQL_ALTER_MODIFY_COLUMN_SET,   /* MODIFY COLUMN c SET ... (index options etc.): opts/text */
	SQL_ALTER_MODIFY_COLUMN_UNSET,
	SQL_ALTER_RENAME,
	SQL_ALTER_SET_OPTIONS,
	SQL_ALTER_UNSET_OPTIONS,
	SQL_ALTER_REPARTITION,     /* REPARTITION (from) INTO (to) */
	SQL_ALTER_SPLIT_PARTITION, /* SPLIT PARTITION (from) INTO (to) */
	SQL_ALTER_MERGE_PARTITION, /* MERGE PARTITION (from...) */
};

struct sql_alter_item {
	int kind; /* enum sql_alter_kind */
	uint32_t off;
	struct sql_column_def col;   /* ADD COLUMN, MODIFY COLUMN (name + type) */
	bool if_exists;              /* DROP COLUMN IF EXISTS */
	bool if_not_exists;          /* ADD COLUMN IF NOT EXISTS */
	bool first;                  /* ADD ... FIRST */
	struct sql_ident *after;     /* ADD ... AFTER c */
	struct sql_ident column;     /* DROP COLUMN, MODIFY COLUMN SET/UNSET */
	struct sql_ident new_name;   /* RENAME */
	struct sql_option *opts;     /* SET/UNSET options; MODIFY COLUMN SET ... WITH(...) */
	size_t nopts;
	const char *what;            /* MODIFY COLUMN SET/UNSET: the rest as written */
	struct sql_expr **from;      /* partition exprs */
	size_t nfrom;
	struct sql_expr **to;
	size_t nto;
};

struct sql_alter_table {
	struct sql_name name;
	bool database; /* ALTER DATABASE db SET/UNSET ... */
	struct sql_alter_item *items;
	size_t nitems;
};

/* ---- SHOW / SET ----------------------------------------------------- */

enum sql_show_kind {
	SQL_SHOW_DATABASES,
	SQL_SHOW_TABLES,
	SQL_SHOW_TABLE_STATUS,
	SQL_SHOW_CREATE_TABLE,
	SQL_SHOW_CREATE_DATABASE,
	SQL_SHOW_COLUMNS,
	SQL_SHOW_INDEX,
	SQL_SHOW_REGION,
	SQL_SHOW_VARIABLES,  /* SHOW [GLOBAL|SESSION] VARIABLES [LIKE|WHERE] */
	SQL_SHOW_VARIABLE,   /* SHOW name / SHOW VARIABLES name: var */
	SQL_SHOW_STATUS,
	SQL_SHOW_COLLATION,
	SQL_SHOW_CHARSET,
	SQL_SHOW_ENGINES,
	SQL_SHOW_PROCESSLIST,
	SQL_SHOW_WARNINGS,
	SQL_SHOW_ERRORS,
	SQL_SHOW_FLOWS,
	SQL_SHOW_VIEWS,
};

struct sql_show {
	int kind; /* enum sql_show_kind */
	bool full;
	const char *scope;        /* GLOBAL/SESSION (lower-case) or NULL */
	struct sql_name target;   /* table for CREATE TABLE/COLUMNS/INDEX/REGION; db for CREATE DATABASE */
	struct sql_ident *db;     /* FROM/IN db */
	const char *like;         /* LIKE 'pattern' */
	struct sql_expr *where;   /* WHERE expr */
	struct sql_name var;      /* SHOW VARIABLE: name (e.g. transaction_isolation) */
	const char *var_text;     /* SHOW VARIABLE: the name words as written, upper-cased
				   * and joined by spaces ("TRANSACTION ISOLATION LEVEL") */
	bool for_pg_foreign_table;
};

enum sql_set_kind {
	SQL_SET_VAR,       /* name = value[, value...] */
	SQL_SET_NAMES,     /* SET NAMES x [COLLATE y]: values[0] = charset, collate */
	SQL_SET_TIME_ZONE, /* SET TIME ZONE x */
	SQL_SET_TRANSACTION, /* SET [SESSION] TRANSACTION ...: text */
};

struct sql_set_item {
	int kind; /* enum sql_set_kind */
	const char *scope;   /* "session"/"global"/"local"/"persist" or NULL */
	bool system;         /* written @@x */
	bool user;           /* written @x */
	struct sql_name var; /* canonical: lower-cased; @@session.x -> scope + x */
	struct sql_expr **values; /* values[0] usual; lists for PG (search_path TO a, b) */
	size_t nvalues;
	const char *collate;
	const char *text;    /* SQL_SET_TRANSACTION: the words after TRANSACTION */
	uint32_t off;
};

/* ---- statements ----------------------------------------------------- */

enum sql_stmt_kind {
	SQL_STMT_QUERY,
	SQL_STMT_INSERT,
	SQL_STMT_DELETE,
	SQL_STMT_CREATE_DATABASE,
	SQL_STMT_DROP_DATABASE,
	SQL_STMT_ALTER_DATABASE,
	SQL_STMT_USE,
	SQL_STMT_CREATE_TABLE,
	SQL_STMT_DROP_TABLE,
	SQL_STMT_TRUNCATE,
	SQL_STMT_ALTER_TABLE,
	SQL_STMT_DESCRIBE,
	SQL_STMT_SHOW,
	SQL_STMT_SET,
	SQL_STMT_BEGIN,
	SQL_STMT_COMMIT,
	SQL_STMT_ROLLBACK,
	SQL_STMT_ADMIN,
	SQL_STMT_EXPLAIN,
	SQL_STMT_PREPARE,
	SQL_STMT_EXECUTE,
	SQL_STMT_DEALLOCATE,
	SQL_STMT_KILL,
};

struct sql_stmt;

struct sql_stmt {
	int kind; /* enum sql_stmt_kind */
	uint32_t off, len; /* source span, without the trailing ';' */
	const char *text;  /* that span, NUL-terminated copy */
	int nparams;       /* highest placeholder number used ($n, or count of ?) */
	union {
		struct sql_query *query;
		struct {
			bool replace;
			struct sql_name table;
			struct sql_ident *cols;
			size_t ncols;
			struct sql_query *source; /* VALUES (...) or SELECT */
		} insert;
		struct {
			struct sql_name table;
			struct sql_expr *where;
		} del;
		struct {
			bool if_not_exists;
			struct sql_name name;
			struct sql_option *opts;
			size_t nopts;
		} create_db;
		struct {
			bool if_exists;
			struct sql_name name;
		} drop_db;
		struct sql_ident use;
		struct sql_create_table *create_table;
		struct {
			bool if_exists;
			struct sql_name *names;
			size_t nnames;
		} drop_table;
		struct sql_name truncate;
		struct sql_alter_table *alter;
		struct sql_name describe;
		struct sql_show *show;
		struct {
			struct sql_set_item *items;
			size_t nitems;
		} set;
		struct {
			struct sql_expr *call; /* SQL_E_FUNC */
			const char *header;    /* "ADMIN FLUSH_TABLE('test')" as GreptimeDB prints it */
		} admin;
		struct {
			bool analyze;
			bool verbose;
			const char *format;
			struct sql_stmt *stmt;
		} explain;
		struct {
			struct sql_ident name;
			const char *sql; /* PREPARE name FROM 'sql' */
		} prepare;
		struct {
			struct sql_ident name;
			struct sql_expr **args; /* EXECUTE name USING a, b */
			size_t nargs;
		} execute;
		struct sql_ident deallocate;
		struct {
			bool query;  /* KILL QUERY n */
			struct sql_expr *id;
		} kill;
	} u;
};

struct sql_stmt_list {
	struct sql_stmt **items;
	size_t n;
	/* After a failed parse: where the error is (byte offset, 1-based line
	 * and column), for the PostgreSQL error position; 0s if unknown. */
	uint32_t err_off;
	uint32_t err_line, err_col;
	bool err_has_pos;
};

/* ---- constructors (arena) ------------------------------------------ */

/* A zeroed node of n bytes in the arena; NULL (ERR_NOMEM set) on OOM. */
void *sql_node(struct arena *a, size_t n);
struct sql_expr *sql_expr_new(struct arena *a, int kind, uint32_t off);
/* Fill id from a name: canonical = lower-cased unless quote != 0. */
int sql_ident_init(struct arena *a, struct sql_ident *id, const char *raw, size_t n, char quote,
		   uint32_t off);

/* ---- printing ------------------------------------------------------- */

enum sql_print_flags {
	SQL_PRINT_CANONICAL = 1,       /* identifiers in canonical form, "quoted" only when needed */
	SQL_PRINT_ESCAPE_BACKSLASH = 2, /* double backslashes inside strings */
};

/* Append SQL text for the node to b. Returns 0 or ERR_NOMEM. */
int sql_print_expr(struct buf *b, const struct sql_expr *e, int flags);
int sql_print_type(struct buf *b, const struct sql_type *t);
int sql_print_query(struct buf *b, const struct sql_query *q, int flags);
int sql_print_ident(struct buf *b, const struct sql_ident *id, int flags);
int sql_print_name(struct buf *b, const struct sql_name *n, int flags);
/* The expression as a NUL-terminated string in the arena (NULL on OOM). */
char *sql_expr_to_sql(struct arena *a, const struct sql_expr *e, int flags);

const char *sql_binop_text(int op);
const char *sql_stmt_kind_name(int kind);

#endif
