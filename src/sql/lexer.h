/*
 * lexer: splits SQL text into tokens for the recursive-descent parser.
 *
 * One pass over the whole input produces an array of tokens ending with a
 * SQL_TK_EOF token. Every token remembers its byte span in the source
 * (off, len), so errors can point at it and statements can keep the text
 * they were written as. Decoded values (identifier as written, string
 * contents with escapes resolved, number text) are NUL-terminated copies
 * in the caller's arena.
 *
 * Dialect differences handled here:
 *   GREPTIME  "x" and `x` are quoted identifiers; no backslash escapes in
 *             '...' strings (GreptimeDB's own dialect, used over HTTP/gRPC).
 *   MYSQL     `x` is an identifier, "x" is a string; backslash escapes in
 *             strings ('\n', '\'', '\\' ...).
 *   POSTGRES  "x" is an identifier; E'...' strings take backslash escapes;
 *             $$...$$ and $tag$...$tag$ are strings.
 *             Slash-star comments nest (not in the other dialects).
 * All dialects: '' inside '...' is one quote, -- and slash-star comments,
 * # comments except in POSTGRES, ? and $n placeholders.
 * The exact rules (where every string, comment, word and number ends) are
 * in sql/lexrules.h, shared with the servers' placeholder scanner.
 *
 * Words are never reserved here: a word carries its keyword id (kw) when it
 * spells one, and the parser decides from context whether it is one.
 */
#ifndef STRATA_SQL_LEXER_H
#define STRATA_SQL_LEXER_H

#include <stddef.h>
#include <stdint.h>

struct arena;

enum sql_dialect {
	SQL_DIALECT_GREPTIME = 0,
	SQL_DIALECT_MYSQL,
	SQL_DIALECT_POSTGRES,
};

enum sql_tok_kind {
	SQL_TK_EOF = 0,
	SQL_TK_WORD,     /* unquoted identifier or keyword; val = as written */
	SQL_TK_QIDENT,   /* "x" or `x`; val = contents; quote = '"' or '`' */
	SQL_TK_STRING,   /* '...' (also "..." in MySQL, E'..', N'..', $$..$$) */
	SQL_TK_HEXSTR,   /* X'0A1B'; val = the hex digits */
	SQL_TK_NUMBER,   /* 12, 1.5, .5, 1e-3; val = text */
	SQL_TK_PARAM,    /* ? (num = 0) or $n (num = n) */
	SQL_TK_LPAREN,
	SQL_TK_RPAREN,
	SQL_TK_LBRACKET,
	SQL_TK_RBRACKET,
	SQL_TK_COMMA,
	SQL_TK_SEMI,
	SQL_TK_DOT,
	SQL_TK_PLUS,
	SQL_TK_MINUS,
	SQL_TK_STAR,
	SQL_TK_SLASH,
	SQL_TK_PERCENT,
	SQL_TK_EQ,       /* = */
	SQL_TK_EQEQ,     /* == */
	SQL_TK_NE,       /* != or <> */
	SQL_TK_LT,
	SQL_TK_LE,
	SQL_TK_GT,
	SQL_TK_GE,
	SQL_TK_NSEQ,     /* <=> */
	SQL_TK_CONCAT,   /* || */
	SQL_TK_DCOLON,   /* :: */
	SQL_TK_COLON,
	SQL_TK_AT,       /* @ */
	SQL_TK_ATAT,     /* @@ */
	SQL_TK_AMP,
	SQL_TK_PIPE,
	SQL_TK_CARET,
	SQL_TK_TILDE,
	SQL_TK_EXCL,     /* ! */
	SQL_TK_SHL,
	SQL_TK_SHR,
	SQL_TK_ARROW,    /* -> */
	SQL_TK_LARROW,   /* ->> */
};

/* Keywords the parser looks for. Kept sorted: the lexer binary-searches. */
#define SQL_KEYWORDS(X)                                                                            \
	X(ADD) X(ADMIN) X(AFTER) X(ALL) X(ALTER) X(ANALYZE) X(AND) X(ANY) X(AS) X(ASC)             \
	X(BEGIN) X(BETWEEN) X(BOTH) X(BY) X(CASCADE) X(CASE) X(CAST) X(CATALOG) X(CHAR)            \
	X(CHARACTER) X(CHARSET) X(COLLATE) X(COLLATION) X(COLUMN) X(COLUMNS) X(COMMENT) X(COMMIT)  \
	X(CONSTRAINT) X(CREATE) X(CROSS) X(CURRENT_DATE) X(CURRENT_TIME) X(CURRENT_TIMESTAMP)      \
	X(CURRENT_USER) X(DATABASE) X(DATABASES) X(DEALLOCATE) X(DEFAULT) X(DELETE) X(DESC)        \
	X(DESCRIBE) X(DISTINCT) X(DIV) X(DROP) X(ELSE) X(END) X(ENGINE) X(ENGINES) X(ERRORS)       \
	X(ESCAPE) X(EXCEPT) X(EXECUTE) X(EXISTS) X(EXPLAIN) X(EXTERNAL) X(EXTRACT) X(FALSE)        \
	X(FETCH) X(FIRST) X(FLOW) X(FLOWS) X(FOR) X(FORMAT) X(FROM) X(FULL) X(FULLTEXT) X(GLOBAL) \
	X(GROUP) X(HAVING) X(IF) X(ILIKE) X(IN) X(INDEX) X(INDEXES) X(INNER) X(INSERT)             \
	X(INTERSECT) X(INTERVAL) X(INTO) X(INVERTED) X(IS) X(ISOLATION) X(JOIN) X(KEY) X(KEYS)     \
	X(KILL) X(LAST) X(LATERAL) X(LEADING) X(LEFT) X(LEVEL) X(LIKE) X(LIMIT) X(LOCAL)           \
	X(LOCALTIME) X(LOCALTIMESTAMP) X(MERGE) X(MODIFY) X(NAMES) X(NATURAL) X(NOT) X(NULL)       \
	X(NULLS) X(OFFSET) X(ON) X(OR) X(ORDER) X(OUTER) X(OVER) X(PARTITION) X(PARTITIONS)        \
	X(POSITION) X(PRECISION) X(PREPARE) X(PRIMARY) X(PROCESSLIST) X(QUERY) X(RECURSIVE)        \
	X(REGION) X(RENAME) X(REPARTITION) X(REPLACE) X(RIGHT) X(ROLLBACK) X(ROW) X(ROWS)          \
	X(SCHEMA) X(SCHEMAS) X(SELECT) X(SESSION) X(SET) X(SHOW) X(SKIPPING) X(SOME) X(SPLIT)      \
	X(START) X(STATUS) X(SUBSTRING) X(TABLE) X(TABLES) X(THEN) X(TIME) X(TIMESTAMP) X(TO)      \
	X(TRAILING) X(TRANSACTION) X(TRIM) X(TRUE) X(TRUNCATE) X(TRY_CAST) X(UNION) X(UNIQUE)      \
	X(UNKNOWN) X(UNSET) X(UNSIGNED) X(UPDATE) X(USE) X(USING) X(VALUES) X(VARIABLES)           \
	X(VARYING) X(VERBOSE) X(VIEW) X(WARNINGS) X(WHEN) X(WHERE) X(WINDOW) X(WITH) X(WITHOUT)    \
	X(WORK) X(XOR) X(ZONE)

enum sql_kw {
	KW_NONE = 0,
#define X(k) KW_##k,
	SQL_KEYWORDS(X)
#undef X
	KW__COUNT
};

struct sql_token {
	uint8_t kind;     /* enum sql_tok_kind */
	char quote;       /* QIDENT/STRING: the quote character used */
	uint16_t kw;      /* WORD: enum sql_kw, KW_NONE if not a keyword */
	uint32_t off;     /* byte offset of the token in the source */
	uint32_t len;     /* byte length in the source */
	uint32_t num;     /* PARAM: $n number (0 for ?) */
	uint32_t vlen;    /* length of val (strings may hold NUL bytes) */
	const char *val;  /* decoded value, NUL-terminated, in the arena */
};

struct sql_lexed {
	struct sql_token *toks; /* mem_alloc'd; free with sql_lex_free */
	size_t n;               /* including the final EOF token */
};

/*
 * Tokenize text[0..len). On success fills *out and returns 0. On failure
 * returns ERR_SYNTAX (message in the error record, GreptimeDB style
 * "Invalid SQL syntax: sql parser error: ... at Line: L, Column: C"),
 * stores the failing byte offset in *err_off, and leaves *out empty.
 * Inputs longer than 1 GiB are refused (ERR_LIMIT).
 */
int sql_lex(const char *text, size_t len, enum sql_dialect d, struct arena *a,
	    struct sql_lexed *out, uint32_t *err_off);
void sql_lex_free(struct sql_lexed *l);

/* Keyword id of a word (case-insensitive), KW_NONE if it is none. */
int sql_keyword(const char *s, size_t n);
const char *sql_keyword_name(int kw);

/* 1-based line and column (in characters) of byte offset off in text. */
void sql_linecol(const char *text, size_t len, uint32_t off, uint32_t *line, uint32_t *col);

#endif
