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

#include <stddef.h>

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
