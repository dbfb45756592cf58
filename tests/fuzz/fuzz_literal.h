/*
 * fuzz_literal: the check shared by the wire-protocol targets that turn a
 * client's bound parameter into SQL text (mysql my_param_literal, pg
 * pg_param_literal): whatever the bytes, the text appended must be ONE
 * SQL literal - never something that changes the statement around it
 * (SQL injection through a placeholder). It is parsed as an expression in
 * the server's dialect and must give NULL, TRUE/FALSE, a number, -number,
 * a string or X'..' (when `raw` is given, a string must hold exactly those
 * bytes). The parser refuses NUL bytes, so a literal holding one may fail
 * to parse (the statement then fails; that is not an injection).
 */
#ifndef STRATA_TESTS_FUZZ_LITERAL_H
#define STRATA_TESTS_FUZZ_LITERAL_H

#include <string.h>

#include "fuzz/fuzz_util.h"
#include "sql/ast.h"
#include "sql/parser.h"

static inline int fuzz_all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return n > 0;
}

static inline void fuzz_check_literal(const char *lit, size_t n, enum sql_dialect d,
				      const uint8_t *raw, size_t rawn)
{
	if (fuzz_oom_active)
		return;
	struct arena *a = arena_create(1024);
	if (!a)
		return;
	struct sql_expr *e = NULL;
	int rc = sql_parse_expr(lit, n, d, a, &e);
	if (rc == ERR_NOMEM) {
		arena_destroy(a);
		return;
	}
	if (rc) {
		/* F1: pg_codec.c is_float_text() accepts an all-blank value, which
		 * is appended as-is (no literal at all) */
		if (fuzz_all_blank(lit, n) && fuzz_known("F1-pg-blank-float")) {
			arena_destroy(a);
			return;
		}
		if (!memchr(lit, 0, n))
			fprintf(stderr, "literal does not parse: [%.*s]\n", (int)n, lit);
		FUZZ_CHECK(memchr(lit, 0, n) != NULL);
		arena_destroy(a);
		return;
	}
	int k = e->kind;
	if (k == SQL_E_UNARY) {
		FUZZ_CHECK(e->v.unary.arg && e->v.unary.arg->kind == SQL_E_NUMBER);
	} else {
		if (!(k == SQL_E_NULL || k == SQL_E_BOOL || k == SQL_E_NUMBER || k == SQL_E_STRING ||
		      k == SQL_E_HEXSTR))
			fprintf(stderr, "not a literal (kind %d): [%.*s]\n", k, (int)n, lit);
		FUZZ_CHECK(k == SQL_E_NULL || k == SQL_E_BOOL || k == SQL_E_NUMBER ||
			   k == SQL_E_STRING || k == SQL_E_HEXSTR);
	}
	if (raw && k == SQL_E_STRING) {
		if (e->v.str.len != rawn || memcmp(e->v.str.s, raw, rawn) != 0)
			fprintf(stderr, "string literal [%.*s] does not round-trip\n", (int)n, lit);
		FUZZ_CHECK(e->v.str.len == rawn && memcmp(e->v.str.s, raw, rawn) == 0);
	}
	arena_destroy(a);
}

#endif
