/* mem: allocation wrappers and arenas. See mem.h. */
#include "base/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

static atomic_long fail_countdown = -1;

static int should_fail(void)
{
	long v = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	if (v < 0)
		return 0;
	if (v == 0)
		return 1;
	atomic_fetch_sub(&fail_countdown, 1);
	return 0;
}

void mem_fail_after(long n) { atomic_store(&fail_countdown, n); }

static void *oom(size_t n)
{
	err_set(ERR_NOMEM, "out of memory allocating %zu bytes", n);
	return NULL;
}

void *mem_alloc(size_t n)
{
	if (should_fail())
		return oom(n);
	void *p = malloc(n ? n : 1);
	return p ? p : oom(n);
}

void *mem_calloc(size_t count, size_t size)
{
	if (should_fail())
		return oom(count * size);
	void *p = calloc(count ? count : 1, size ? size : 1);
	return p ? p : oom(count * size);
}

void *mem_realloc(void *p, size_t n)
{
	if (should_fail())
		return oom(n);
	void *q = realloc(p, n ? n : 1);
	return q ? q : oom(n);
}

void mem_free(void *p) { free(p); }

char *mem_strndup(const char *s, size_t n)
{
	char *d = mem_alloc(n + 1);
	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

char *mem_strdup(const char *s) { return mem_strndup(s, strlen(s)); }

void *mem_dup(const void *p, size_t n)
{
	void *d = mem_alloc(n);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

int mem_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return ERR_OK;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / elem)
		return err_set(ERR_NOMEM, "allocation overflow");
	void *q = mem_realloc(*p, ncap * elem);
	if (!q)
		return ERR_NOMEM;
	*p = q;
	*cap = ncap;
	return ERR_OK;
}

/* Arena: a chain of blocks; allocation bumps a pointer in the newest one. */
struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct arena_block *head;
	size_t block_size;
	size_t total;
};

#define ARENA_DEFAULT_BLOCK (64 * 1024)

/*
 * One free default-size block per thread, kept when an arena of that thread
 * lets it go and taken by the thread's next arena. Every statement creates
 * and destroys an arena; a fresh 64 KiB malloc each time makes glibc
 * consolidate its fast bins (a few percent of a short query). The block is
 * freed when the thread exits (the key's destructor). Cost: 64 KiB per
 * thread that ran a statement, e.g. 64 MiB with the default 1,024
 * connections per protocol all open and idle.
 */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static bool spare_ok;

static void spare_free(void *p) { free(p); }
static void spare_init(void) { spare_ok = pthread_key_create(&spare_key, spare_free) == 0; }

static struct arena_block *block_get(size_t sz)
{
	if (sz == ARENA_DEFAULT_BLOCK) {
		pthread_once(&spare_once, spare_init);
		struct arena_block *b = spare_ok ? pthread_getspecific(spare_key) : NULL;
		if (b) {
			pthread_setspecific(spare_key, NULL);
			return b;
		}
	}
	struct arena_block *b = mem_alloc(sizeof(*b) + sz);
	if (b)
		b->size = sz;
	return b;
}

static void block_put(struct arena_block *b)
{
	if (b->size == ARENA_DEFAULT_BLOCK && spare_ok && !pthread_getspecific(spare_key) &&
	    pthread_setspecific(spare_key, b) == 0)
		return;
	mem_free(b);
}

struct arena *arena_create(size_t block_size)
{
	struct arena *a = mem_calloc(1, sizeof(*a));
	if (a)
		a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
	return a;
}

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct arena_block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t sz = n > a->block_size ? n : a->block_size;
		b = block_get(sz);
		if (!b)
			return NULL;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	a->total += n;
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

size_t arena_used(const struct arena *a) { return a->total; }

void arena_reset(struct arena *a)
{
	struct arena_block *b = a->head;
	if (!b)
		return;
	/* keep the oldest block, free the rest */
	while (b->next) {
		struct arena_block *n = b->next;
		block_put(b);
		b = n;
	}
	b->used = 0;
	a->head = b;
	a->total = 0;
}

void arena_destroy(struct arena *a)
{
	if (!a)
		return;
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *n = b->next;
		block_put(b);
		b = n;
	}
	mem_free(a);
}
