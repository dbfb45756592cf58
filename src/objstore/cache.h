/*
 * cache: a size-bounded local disk cache of immutable SST objects in front
 * of another object store (see cache.c for the file layout and the rules).
 * Lives in its own header because objstore.h is shared and frozen.
 */
#ifndef STRATA_OBJSTORE_CACHE_H
#define STRATA_OBJSTORE_CACHE_H

#include <stdint.h>

struct objstore;

struct objstore_cache_stats {
	uint64_t hits, misses, fills, evictions, corrupt;
	uint64_t bytes;   /* cached payload bytes now */
	uint64_t entries; /* cached objects now */
};

/* Wrap `inner` (taking ownership: it is closed on failure too) in a cache
 * of at most max_bytes of payload under folder `dir` (created). Files
 * already in `dir` from an earlier run are kept (checked on first use). */
int objstore_open_cache(struct objstore *inner, const char *dir, uint64_t max_bytes,
                        struct objstore **out);
/* ERR_BAD_INPUT when s is not a cache store. */
int objstore_cache_get_stats(struct objstore *s, struct objstore_cache_stats *out);
/* True for keys the cache keeps: immutable SSTs ("*.parquet"). */
int objstore_cache_key_cacheable(const char *key);

#endif
