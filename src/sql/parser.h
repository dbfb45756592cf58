/*
 * parser: Strata's SQL parser for the GreptimeDB dialect (MySQL flavoured,
 * also accepting the PostgreSQL syntax that psql, psycopg2 and PgJDBC
 * send). Hand-written recursive descent over the lexer's tokens; the
 * result is the typed tree of ast.h, allocated in the caller's arena.
 *
 * Errors follow GreptimeDB's texts and codes so that clients see the same
 * messages:
 *   ERR_SYNTAX       "Invalid SQL syntax: sql parser error: Expected: X,
 *                    found: Y at Line: L, Column: C"; "Unexpected token
 *                    while parsing SQL statement, expected: 'X', found: Y:
 *                    sql parser error: ..."; "Missing time index
 *                    constraint"; "Invalid time index: ..."
 *   ERR_UNSUPPORTED  "SQL statement is not supported, keyword: X"
 *   ERR_BAD_INPUT    "Invalid column option, column name: c, error: ..."
 *   ERR_LIMIT        nesting deeper than SQL_MAX_DEPTH, input over 1 GiB
 * and the error position (when there is one) in the statement list.
 *
 * Dialect per front door, as GreptimeDB does it: the MySQL server parses
 * with SQL_DIALECT_MYSQL ("x" is a string, backslash escapes), the
 * PostgreSQL server with SQL_DIALECT_POSTGRES, HTTP/gRPC and everything
 * else with SQL_DIALECT_GREPTIME ("x" is an identifier; note that
 * GreptimeDB's INSERT accepts such an identifier as a string value, which
 * the planner must do too: see sql_ident.quote).
 */
#ifndef STRATA_SQL_PARSER_H
#define STRATA_SQL_PARSER_H

#include <stddef.h>

#include "sql/ast.h"
#include "sql/lexer.h"

/* Nesting limit (parentheses, subqueries, prefix operators) and the limit
 * on the height of the tree, which also counts left-deep chains such as
 * a OR b OR c ..., so that code walking the tree recursively stays within
 * a bounded stack. */
#define SQL_MAX_DEPTH 256
#define SQL_MAX_HEIGHT 1024

/*
 * Parse every ';'-separated statement of text (NUL-terminated) in the
 * GreptimeDB dialect. On success out->items[0..n) are the statements (n
 * may be 0 for empty input or only comments) and 0 is returned. On
 * failure returns the error code, the message is in the error record,
 * out->n is 0 and out->err_* tell where. Everything lives in arena a.
 */
int sql_parse(const char *text, struct arena *a, struct sql_stmt_list *out);

/* Same, with an explicit length (text need not be NUL-terminated; NUL
 * bytes inside are a syntax error) and dialect. */
int sql_parse_ex(const char *text, size_t len, enum sql_dialect d, struct arena *a,
		 struct sql_stmt_list *out);

/* Parse a single expression (no trailing tokens), e.g. a stored default
 * or partition rule. */
int sql_parse_expr(const char *text, size_t len, enum sql_dialect d, struct arena *a,
		   struct sql_expr **out);

#endif
