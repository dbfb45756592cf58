/* helper_lex: see helper_lex.c. */
#ifndef STRATA_TESTS_FUZZ_HELPER_LEX_H
#define STRATA_TESTS_FUZZ_HELPER_LEX_H

#include <stddef.h>

/* Lex orig and subst (subst = orig with every placeholder of the dialect
 * - '?' for MySQL, $n for PostgreSQL - replaced by the quoted string
 * `val`) with the SQL lexer and compare: the token sequences must be the
 * same except that each such placeholder became one string token holding
 * exactly val (or stayed the same placeholder: sqltext missed it, which is
 * harmless). 0: they agree; 1: they do not (printed); -1: orig does not
 * lex (or out of memory), nothing to compare. */
int fuzz_lex_compare(const char *orig, size_t olen, const char *subst, size_t slen, int pg,
		     const char *val, size_t vlen);

#endif
