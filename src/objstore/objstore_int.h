/*
 * objstore_int: what the object store's wrappers (objstore.c) and its
 * backends (fs.c, testbackend.c, later s3.c) share. Nothing outside
 * src/objstore/ includes this file.
 *
 * A backend embeds struct objstore as the FIRST member of its own state
 * struct, fills it with objstore_base_init(), and casts back in its ops:
 *
 *     struct fs_store { struct objstore base; char *root; };
 *     static int fs_get(struct objstore *s, ...) { struct fs_store *fs = (void *)s; ... }
 *
 * Its close op releases everything, including the struct itself.
 *
 * What the wrappers already did before an op runs (so backends need not):
 * the key (or list prefix) is validated with objstore_check_key /
 * objstore_check_prefix, output parameters are cleared, the fault point was
 * hit, and the request is counted. What every op must do: set err_set() with
 * a message naming the key on failure, leave outputs untouched (NULL / 0) on
 * failure, and hand back buffers allocated with mem_alloc.
 */
#ifndef STRATA_OBJSTORE_OBJSTORE_INT_H
#define STRATA_OBJSTORE_OBJSTORE_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "objstore/objstore.h"

/* Request counters, updated by the wrappers with relaxed atomics so that any
 * thread may use a store concurrently. Mirrors struct objstore_stats. */
struct objstore_counters {
	_Atomic uint64_t puts, gets, range_gets, heads, lists, deletes;
	_Atomic uint64_t bytes_written, bytes_read;
	_Atomic uint64_t errors;
};

struct objstore {
	const struct objstore_ops *ops;
	struct objstore_counters stats;
};

/* Set the ops table and zero the counters. */
void objstore_base_init(struct objstore *s, const struct objstore_ops *ops);

/* Validate a list prefix: "" is allowed, as is a trailing '/' and a
 * partial last segment ("manifest/0000"); complete segments follow the key
 * rules (no leading '/', no empty, "." or ".." segment). ERR_OK or
 * ERR_BAD_INPUT. */
int objstore_check_prefix(const char *prefix);

/* Longest key (bytes) the wrappers accept; the S3 limit. */
#define OBJSTORE_KEY_MAX 1024

#endif
