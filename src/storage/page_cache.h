/*
 * page_cache: a byte-budgeted LRU cache of decompressed Parquet pages
 * (like RocksDB's block cache of uncompressed blocks), so that repeated
 * selective reads of the same pages skip zstd.
 *
 * A page is keyed by (owner, off): owner names one immutable file for the
 * life of the cache (the SST cache gives each cached file a fresh number),
 * off is the file offset of the page's compressed body. A page's bytes
 * never change once inserted. Readers pin a page while they decode it; a
 * pinned page is never freed (eviction and page_cache_drop_owner unlink
 * it and the last unpin frees it). The budget counts each page's bytes
 * plus a fixed per-entry overhead (PAGE_CACHE_ENTRY_BYTES); unpinned
 * pages are evicted least recently used first whenever the total exceeds
 * the capacity, which can change at any time (page_cache_set_capacity).
 * A page larger than the whole capacity is not kept: the caller still
 * gets it pinned, and the unpin frees it.
 *
 * Threads: every function may be called from any thread; one mutex
 * guards the table.
 */
#ifndef STRATA_STORAGE_PAGE_CACHE_H
#define STRATA_STORAGE_PAGE_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_CACHE_ENTRY_BYTES 64u

struct page_cache;
struct page_pin; /* one pinned page */

struct page_cache_stats {
	uint64_t hits, misses, inserts, evictions;
	size_t used;     /* bytes charged to the budget */
	size_t capacity; /* current budget */
	size_t pages;    /* pages held */
};

int page_cache_create(size_t capacity, struct page_cache **out);
/* Frees every page; no page may be pinned any more. NULL is a no-op. */
void page_cache_free(struct page_cache *pc);
/* New budget; unpinned pages are evicted until the pages fit. */
void page_cache_set_capacity(struct page_cache *pc, size_t capacity);
/* The page (owner, off), pinned (*pin, released with page_cache_unpin),
 * and its length, or NULL (*pin NULL) when it is not cached. */
const uint8_t *page_cache_get(struct page_cache *pc, uint64_t owner, uint64_t off, size_t *len,
                              struct page_pin **pin);
/* Insert the page (owner, off): data (mem_alloc'd, len bytes) becomes the
 * cache's. Returns the cached page pinned: data itself, or, when another
 * thread inserted the same page first, that page (data is freed; the
 * pages are equal, the key names immutable bytes). NULL only when out of
 * memory (data freed, ERR_NOMEM set). */
const uint8_t *page_cache_put(struct page_cache *pc, uint64_t owner, uint64_t off, uint8_t *data,
                              size_t len, struct page_pin **pin);
/* Release a pin from page_cache_get / page_cache_put; NULL is a no-op. */
void page_cache_unpin(struct page_cache *pc, struct page_pin *pin);
/* Forget every page of owner (its file is gone or left the SST cache). */
void page_cache_drop_owner(struct page_cache *pc, uint64_t owner);
void page_cache_get_stats(struct page_cache *pc, struct page_cache_stats *out);
/* Bytes a page of len bytes can take without evicting another page:
 * whether a prefetch (which never evicts) should insert it. */
bool page_cache_fits(struct page_cache *pc, size_t len);

#endif
