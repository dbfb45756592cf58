/*
 * sqltext: the little SQL lexing the protocol servers need without a
 * parser: split a text into statements, find the verb of a statement,
 * count / substitute placeholders, and quote literals. (Private to
 * src/server.)
 *
 * The scanner knows quoted strings ('...', "...", `...`), comments
 * (-- to end of line, /+ +/ block comments, nested in PostgreSQL; # in
 * MySQL), backslash escapes inside '...' (always in MySQL, in E'...' for
 * PostgreSQL) and PostgreSQL dollar quoting ($$...$$, $tag$...$tag$).
 * Placeholders and ';' inside any of these are not placeholders or
 * separators. An unterminated quote or comment runs to the end of the text.
 */
#ifndef STRATA_SERVER_SQLTEXT_H
#define STRATA_SERVER_SQLTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum sql_dialect { SQL_DIALECT_MYSQL, SQL_DIALECT_PG };

/* Find the next non-empty statement at or after *pos. On success returns 1
 * with [*start, *end) the statement trimmed of whitespace and of its ';',
 * and *pos past the separator; returns 0 when only whitespace, comments and
 * ';' remain. */
int sqltext_next_stmt(const char *sql, size_t len, int dialect, size_t *pos, size_t *start,
		      size_t *end);

/* Number of non-empty statements in the text. */
uint32_t sqltext_count_stmts(const char *sql, size_t len, int dialect);

/* Upper-cased first `nwords` words of the statement (comments and leading
 * '(' skipped), joined by one space, truncated to outsz-1. */
void sqltext_verb(const char *sql, size_t len, int dialect, int nwords, char *out,
		  size_t outsz);

/* Count '?' placeholders (MySQL). */
uint32_t sqltext_count_qmarks(const char *sql, size_t len);
/* Largest $n placeholder number (PostgreSQL); 0 when none. Numbers above
 * 65535 are clamped to 65536 so the caller can reject them. */
uint32_t sqltext_max_dollar(const char *sql, size_t len);

/* Copy the text to out, replacing each placeholder by what `fn` appends:
 * MySQL '?' are numbered 0,1,2... in order; PostgreSQL $n gives n-1. A
 * non-zero return of fn aborts and is returned. */
typedef int (*sqltext_param_fn)(void *ctx, uint32_t idx, struct buf *out);
int sqltext_substitute(const char *sql, size_t len, int dialect, struct buf *out,
		       sqltext_param_fn fn, void *ctx);

/* Append s as a quoted string literal: ' doubled; in MySQL also backslash
 * and NUL escaped. */
int sqltext_quote(struct buf *out, const char *s, size_t n, int dialect);

#endif
