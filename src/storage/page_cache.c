/*
 * page_cache: decompressed pages under a byte budget (see page_cache.h).
 *
 * Layout: a chained hash table of entries keyed by (owner, off), the
 * bucket count a power of two that doubles when the entries outnumber
 * the buckets, and one LRU list through every linked entry (head = most
 * recently used). An entry is "linked" while it is in both; eviction and
 * page_cache_drop_owner unlink it, and it is freed at once when no pin
 * holds it, else by the last page_cache_unpin. `used` counts linked
 * entries only (len + PAGE_CACHE_ENTRY_BYTES each), so an unlinked but
 * pinned page is memory the budget no longer shows until it is unpinned:
 * pins last one page decode.
 */
#include "storage/page_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "base/err.h"
#include "base/hash.h"
#include "base/mem.h"

struct page_pin {
	uint64_t owner, off;
	uint8_t *data;
	size_t len;
	uint32_t pins;
	bool linked;
	struct page_pin *hnext;      /* hash chain */
	struct page_pin *prev, *next; /* LRU list */
};

struct page_cache {
	pthread_mutex_t mu;
	size_t capacity, used, n;
	struct page_pin **buckets;
	size_t nbuckets; /* power of two */
	struct page_pin *head, *tail;
	uint64_t hits, misses, inserts, evictions;
};

static size_t charge(const struct page_pin *e)
{
	return e->len + PAGE_CACHE_ENTRY_BYTES;
}

static size_t bucket_of(const struct page_cache *pc, uint64_t owner, uint64_t off)
{
	return (size_t)hash_u64(owner * 0x9E3779B97F4A7C15ull ^ off) & (pc->nbuckets - 1);
}

int page_cache_create(size_t capacity, struct page_cache **out)
{
	*out = NULL;
	struct page_cache *pc = mem_calloc(1, sizeof(*pc));
	if (!pc)
		return ERR_NOMEM;
	pc->nbuckets = 256;
	pc->buckets = mem_calloc(pc->nbuckets, sizeof(*pc->buckets));
	if (!pc->buckets) {
		mem_free(pc);
		return ERR_NOMEM;
	}
	pthread_mutex_init(&pc->mu, NULL);
	pc->capacity = capacity;
	*out = pc;
	return ERR_OK;
}

static void entry_free(struct page_pin *e)
{
	mem_free(e->data);
	mem_free(e);
}

static void lru_remove(struct page_cache *pc, struct page_pin *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		pc->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		pc->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_head(struct page_cache *pc, struct page_pin *e)
{
	e->prev = NULL;
	e->next = pc->head;
	if (pc->head)
		pc->head->prev = e;
	pc->head = e;
	if (!pc->tail)
		pc->tail = e;
}

/* Take e out of the table and the list; free it unless pinned. */
static void unlink_entry(struct page_cache *pc, struct page_pin *e)
{
	struct page_pin **p = &pc->buckets[bucket_of(pc, e->owner, e->off)];
	while (*p && *p != e)
		p = &(*p)->hnext;
	if (*p)
		*p = e->hnext;
	lru_remove(pc, e);
	e->linked = false;
	pc->used -= charge(e);
	pc->n--;
	if (e->pins == 0)
		entry_free(e);
}

static void evict_locked(struct page_cache *pc)
{
	struct page_pin *e = pc->tail;
	while (pc->used > pc->capacity && e) {
		struct page_pin *prev = e->prev;
		if (e->pins == 0) {
			unlink_entry(pc, e);
			pc->evictions++;
		}
		e = prev;
	}
}

void page_cache_free(struct page_cache *pc)
{
	if (!pc)
		return;
	struct page_pin *e = pc->head;
	while (e) {
		struct page_pin *next = e->next;
		entry_free(e);
		e = next;
	}
	mem_free(pc->buckets);
	pthread_mutex_destroy(&pc->mu);
	mem_free(pc);
}

void page_cache_set_capacity(struct page_cache *pc, size_t capacity)
{
	pthread_mutex_lock(&pc->mu);
	pc->capacity = capacity;
	evict_locked(pc);
	pthread_mutex_unlock(&pc->mu);
}

static struct page_pin *find_locked(struct page_cache *pc, uint64_t owner, uint64_t off)
{
	for (struct page_pin *e = pc->buckets[bucket_of(pc, owner, off)]; e; e = e->hnext)
		if (e->owner == owner && e->off == off)
			return e;
	return NULL;
}

const uint8_t *page_cache_get(struct page_cache *pc, uint64_t owner, uint64_t off, size_t *len,
                              struct page_pin **pin)
{
	pthread_mutex_lock(&pc->mu);
	struct page_pin *e = find_locked(pc, owner, off);
	if (e) {
		e->pins++;
		pc->hits++;
		if (pc->head != e) {
			lru_remove(pc, e);
			lru_push_head(pc, e);
		}
	} else {
		pc->misses++;
	}
	pthread_mutex_unlock(&pc->mu);
	*pin = e;
	*len = e ? e->len : 0;
	return e ? e->data : NULL;
}

/* Double the buckets (caller holds mu); on OOM the chains just grow. */
static void grow_locked(struct page_cache *pc)
{
	size_t nb = pc->nbuckets * 2;
	struct page_pin **b = mem_calloc(nb, sizeof(*b));
	if (!b) {
		err_clear();
		return;
	}
	struct page_pin **old = pc->buckets;
	size_t on = pc->nbuckets;
	pc->buckets = b;
	pc->nbuckets = nb;
	for (size_t i = 0; i < on; i++) {
		struct page_pin *e = old[i];
		while (e) {
			struct page_pin *next = e->hnext;
			size_t k = bucket_of(pc, e->owner, e->off);
			e->hnext = b[k];
			b[k] = e;
			e = next;
		}
	}
	mem_free(old);
}

const uint8_t *page_cache_put(struct page_cache *pc, uint64_t owner, uint64_t off, uint8_t *data,
                              size_t len, struct page_pin **pin)
{
	*pin = NULL;
	struct page_pin *e = mem_calloc(1, sizeof(*e));
	if (!e) {
		mem_free(data);
		return NULL;
	}
	e->owner = owner;
	e->off = off;
	e->data = data;
	e->len = len;
	e->pins = 1;
	pthread_mutex_lock(&pc->mu);
	struct page_pin *old = find_locked(pc, owner, off);
	if (old) {
		/* another reader decoded it first: share that one */
		old->pins++;
		pthread_mutex_unlock(&pc->mu);
		entry_free(e);
		*pin = old;
		return old->data;
	}
	if (charge(e) <= pc->capacity) {
		if (pc->n >= pc->nbuckets)
			grow_locked(pc);
		size_t k = bucket_of(pc, owner, off);
		e->hnext = pc->buckets[k];
		pc->buckets[k] = e;
		lru_push_head(pc, e);
		e->linked = true;
		pc->used += charge(e);
		pc->n++;
		pc->inserts++;
		evict_locked(pc);
	}
	pthread_mutex_unlock(&pc->mu);
	*pin = e;
	return e->data;
}

void page_cache_unpin(struct page_cache *pc, struct page_pin *pin)
{
	if (!pin)
		return;
	pthread_mutex_lock(&pc->mu);
	bool dead = --pin->pins == 0 && !pin->linked;
	if (!dead && pin->pins == 0 && pc->used > pc->capacity)
		evict_locked(pc); /* it was held past the budget */
	pthread_mutex_unlock(&pc->mu);
	if (dead)
		entry_free(pin);
}

void page_cache_drop_owner(struct page_cache *pc, uint64_t owner)
{
	pthread_mutex_lock(&pc->mu);
	struct page_pin *e = pc->head;
	while (e) {
		struct page_pin *next = e->next;
		if (e->owner == owner)
			unlink_entry(pc, e);
		e = next;
	}
	pthread_mutex_unlock(&pc->mu);
}

void page_cache_get_stats(struct page_cache *pc, struct page_cache_stats *out)
{
	pthread_mutex_lock(&pc->mu);
	out->hits = pc->hits;
	out->misses = pc->misses;
	out->inserts = pc->inserts;
	out->evictions = pc->evictions;
	out->used = pc->used;
	out->capacity = pc->capacity;
	out->pages = pc->n;
	pthread_mutex_unlock(&pc->mu);
}

bool page_cache_fits(struct page_cache *pc, size_t len)
{
	pthread_mutex_lock(&pc->mu);
	bool fits = pc->used <= pc->capacity &&
	            len + PAGE_CACHE_ENTRY_BYTES <= pc->capacity - pc->used;
	pthread_mutex_unlock(&pc->mu);
	return fits;
}
