/*
 * parser_int: what the parser_*.c files share. Not for use outside
 * src/sql/parser*.c.
 *
 * Conventions: every parse function returns 0 / a pointer on success and
 * an error code / NULL on failure with the error already recorded (the
 * first error wins: p->err is set once, and later calls do not overwrite
 * it). Functions that take optional syntax return 0 and leave their output
 * untouched when the syntax is absent.
 */
#ifndef STRATA_SQL_PARSER_INT_H
#define STRATA_SQL_PARSER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/ast.h"
#include "sql/lexer.h"

struct parser {
	const char *src;
	size_t len;
	enum sql_dialect dialect;
	struct arena *a;
	const struct sql_token *toks;
	size_t ntoks;
	size_t pos;
	int depth;      /* recursion frames (nesting), at most SQL_MAX_DEPTH */
	int height;     /* depth plus left-deep chain links: bounds the tree height */
	int max_param;  /* highest $n in the current statement */
	int qmarks;     /* ? seen in the current statement */
	int err;        /* first error code, 0 when none */
	uint32_t err_off;
	bool err_has_pos;
};

/* ---- tokens (parser.c) ---- */
const struct sql_token *p_peek(const struct parser *p);
const struct sql_token *p_peek_at(const struct parser *p, size_t k);
const struct sql_token *p_next(struct parser *p);
bool p_is(const struct parser *p, int kind);
bool p_is_kw(const struct parser *p, int kw);
bool p_is_kw_at(const struct parser *p, size_t k, int kw);
bool p_accept(struct parser *p, int kind);
bool p_accept_kw(struct parser *p, int kw);
/* Accept a sequence of keywords (KW_NONE-terminated) all or nothing. */
bool p_accept_kws(struct parser *p, ...);
bool p_at_end(const struct parser *p); /* ';' or EOF */
/* Word spelled s (case-insensitive), keyword or not. */
bool p_is_word(const struct parser *p, const char *s);
bool p_accept_word(struct parser *p, const char *s);

/* ---- errors (parser.c) ---- */
/* "Expected: <what>, found: <tok>" at tok, ERR_SYNTAX. */
int p_expected(struct parser *p, const char *what);
int p_expect(struct parser *p, int kind, const char *what);
int p_expect_kw(struct parser *p, int kw);
/* GreptimeDB's "Unexpected token ... expected: '<outer>'" wrapper around
 * "Expected: <inner>, found: ..." */
int p_unexpected(struct parser *p, const char *outer, const char *inner);
int p_unsupported(struct parser *p);
int p_fail(struct parser *p, int code, uint32_t off, bool has_pos, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int p_nomem(struct parser *p);
int p_enter(struct parser *p); /* recursion guard; pair with p_leave */
void p_leave(struct parser *p);
/* One more link in a left-deep chain (a + b + c, UNION, JOIN): counts
 * toward the tree height; undo with p_unchain(p, n) when the chain ends. */
int p_chain(struct parser *p);
void p_unchain(struct parser *p, int n);

/* ---- small builders (parser.c) ---- */
void *p_node(struct parser *p, size_t n);
char *p_strdup(struct parser *p, const char *s, size_t n);
char *p_span(struct parser *p, uint32_t off, uint32_t end); /* source text copy */
uint32_t p_prev_end(const struct parser *p); /* end offset of the last consumed token */
/* Append one element of elem_size bytes to the arena array *arr (n, cap). */
int p_push(struct parser *p, void *arr, size_t *n, size_t *cap, const void *elem,
	   size_t elem_size);
int p_ident(struct parser *p, struct sql_ident *out, const char *what);
/* Identifier, or a 'string' where GreptimeDB accepts one as a name. */
int p_ident_or_string(struct parser *p, struct sql_ident *out, const char *what);
int p_name(struct parser *p, struct sql_name *out, const char *what);
bool p_is_ident_start(const struct parser *p);
int p_paren_ident_list(struct parser *p, struct sql_ident **out, size_t *n);
int p_options(struct parser *p, struct sql_option **out, size_t *n);
int p_option_value(struct parser *p, struct sql_option *o);
/* Words that may not be a bare alias / start an expression. */
bool p_reserved_for_alias(int kw);
bool p_reserved_for_table_alias(int kw);
bool p_reserved_for_expr(int kw);
/* After a list comma: does the list end here (trailing comma allowed
 * before ')', ';', the end, or a clause keyword)? */
bool p_trailing_comma_end(const struct parser *p);

/* ---- expressions and types (parser_expr.c) ---- */
struct sql_expr *p_expr(struct parser *p);
struct sql_expr *p_expr_prec(struct parser *p, int prec);
int p_expr_list(struct parser *p, struct sql_expr ***out, size_t *n);
int p_type(struct parser *p, struct sql_type *out);
bool p_is_type_literal_start(const struct parser *p);

/* ---- queries and DML (parser_select.c) ---- */
struct sql_query *p_query(struct parser *p);
bool p_is_query_start(const struct parser *p);
int p_order_by(struct parser *p, struct sql_order_item **out, size_t *n);
int p_insert(struct parser *p, struct sql_stmt *st);
int p_delete(struct parser *p, struct sql_stmt *st);

/* ---- DDL (parser_ddl.c) ---- */
int p_create(struct parser *p, struct sql_stmt *st);
int p_drop(struct parser *p, struct sql_stmt *st);
int p_alter(struct parser *p, struct sql_stmt *st);
int p_truncate(struct parser *p, struct sql_stmt *st);
int p_describe(struct parser *p, struct sql_stmt *st);
int p_validate_create_table(struct parser *p, struct sql_stmt *st);

/* ---- SHOW / SET / misc (parser_misc.c) ---- */
int p_show(struct parser *p, struct sql_stmt *st);
int p_set(struct parser *p, struct sql_stmt *st);

#endif
