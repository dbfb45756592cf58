/*
 * sqltext: the little SQL lexing the protocol servers need without a
 * parser: split a text into statements, find the verb of a statement,
 * count / substitute placeholders, and quote literals. (Private to
 * src/server.)
 *
 * The scanner follows the SQL lexer's rules exactly (sql/lexrules.h, the
 * one rule set both use): quoted strings and identifiers, comments (block
 * comments nest in PostgreSQL), backslash escapes, words and numbers
 * (which swallow '$': x$1 is a word, not a placeholder), and PostgreSQL
 * dollar quoting ($$...$$, $tag$...$tag$; no dollar strings in MySQL).
 * Placeholders and ';' inside any of these are not placeholders or
 * separators. An unterminated quote or comment runs to the end of the
 * text (the lexer rejects such text later).
 */
#ifndef STRATA_SERVER_SQLTEXT_H
#define STRATA_SERVER_SQLTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "sql/lexer.h" /* enum sql_dialect: the lexer's, so both agree */

/* The dialects used here: SQL_DIALECT_MYSQL and SQL_DIALECT_PG. */
#define SQL_DIALECT_PG SQL_DIALECT_POSTGRES

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

/* Number of row tuples of an INSERT / REPLACE ... VALUES (...), (...)
 * statement: the '(' opened at nesting depth 0 after the VALUES keyword.
 * 0 for any other statement (INSERT ... SELECT included). */
uint64_t sqltext_insert_rows(const char *sql, size_t len, int dialect);

/* Count '?' placeholders (MySQL). */
uint32_t sqltext_count_qmarks(const char *sql, size_t len);
/* Largest $n placeholder number (PostgreSQL); 0 when none. Numbers above
 * 65535 are clamped to 65536 so the caller can reject them. */
uint32_t sqltext_max_dollar(const char *sql, size_t len);

/* Copy the text to out, replacing each placeholder by what `fn` appends:
 * MySQL '?' are numbered 0,1,2... in order; PostgreSQL $n gives n-1. A
 * non-zero return of fn aborts and is returned. A value gets a space on a
 * side where the neighbouring byte is a quote, word/number character, '.'
 * or '-', so it can never merge with the text around it ('a''b', 1e5,
 * --). */
typedef int (*sqltext_param_fn)(void *ctx, uint32_t idx, struct buf *out);
int sqltext_substitute(const char *sql, size_t len, int dialect, struct buf *out,
		       sqltext_param_fn fn, void *ctx);

/* Append s as a quoted string literal: ' doubled; in MySQL also backslash
 * and NUL escaped. */
int sqltext_quote(struct buf *out, const char *s, size_t n, int dialect);

#endif
