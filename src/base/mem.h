/*
 * mem: allocation wrappers and arenas.
 *
 * Every allocation in Strata goes through mem_*. They return NULL on
 * failure (and set ERR_NOMEM in the error record) instead of aborting, so
 * that running out of memory fails one query, not the process. A test
 * build can make the Nth allocation fail (mem_fail_after).
 *
 * An arena hands out memory tied to one lifetime (a statement, a flush)
 * and frees it all at once with arena_reset / arena_destroy.
 */
#ifndef STRATA_BASE_MEM_H
#define STRATA_BASE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

void *mem_alloc(size_t n);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *p, size_t n);
void mem_free(void *p);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
void *mem_dup(const void *p, size_t n);
/* Grow *p (an array of `elem` bytes each) so that it holds at least `need`
 * elements; *cap is updated. Returns 0, or ERR_NOMEM leaving *p intact. */
int mem_grow(void **p, size_t *cap, size_t need, size_t elem);

/* memcpy(d, s, l) for the short values tag columns hold (host names,
 * versions): two overlapping fixed-size moves instead of a call (the
 * string paths of the PostgreSQL row encoder and the SST/page readers). */
static inline void mem_copy_short(void *d, const void *s, uint32_t l)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;
	if (l >= 8 && l <= 16) {
		memcpy(dp, sp, 8);
		memcpy(dp + l - 8, sp + l - 8, 8);
	} else if (l >= 4 && l < 8) {
		memcpy(dp, sp, 4);
		memcpy(dp + l - 4, sp + l - 4, 4);
	} else if (l > 0 && l < 4) {
		dp[0] = sp[0];
		dp[l / 2] = sp[l / 2];
		dp[l - 1] = sp[l - 1];
	} else if (l) {
		memcpy(dp, sp, l);
	}
}

/* memcmp(a, b, l) == 0 for the same short values: overlapping fixed-size
 * loads for lengths 4..16 (group keys, line-protocol names). */
static inline bool mem_eq_short(const void *a, const void *b, size_t l)
{
	const uint8_t *p = a, *q = b;
	if (l >= 8 && l <= 16) {
		uint64_t x0, y0, x1, y1;
		memcpy(&x0, p, 8);
		memcpy(&y0, q, 8);
		memcpy(&x1, p + l - 8, 8);
		memcpy(&y1, q + l - 8, 8);
		return x0 == y0 && x1 == y1;
	}
	if (l >= 4 && l < 8) {
		uint32_t x0, y0, x1, y1;
		memcpy(&x0, p, 4);
		memcpy(&y0, q, 4);
		memcpy(&x1, p + l - 4, 4);
		memcpy(&y1, q + l - 4, 4);
		return x0 == y0 && x1 == y1;
	}
	if (l < 4) {
		for (size_t t = 0; t < l; t++)
			if (p[t] != q[t])
				return false;
		return true;
	}
	return memcmp(p, q, l) == 0;
}

/* Test hook: after `n` more successful allocations, fail every one
 * (n < 0 switches failures off). */
void mem_fail_after(long n);

struct arena;
struct arena *arena_create(size_t block_size);
void *arena_alloc(struct arena *a, size_t n);   /* 16-byte aligned; NULL on OOM */
char *arena_strndup(struct arena *a, const char *s, size_t n);
size_t arena_used(const struct arena *a);
void arena_reset(struct arena *a);              /* frees all but the first block */
void arena_destroy(struct arena *a);

#endif
