/*
 * memtable: the written, not yet flushed rows of one region, in memory.
 *
 * Lifecycle (one transition function each, state asserted on entry):
 *
 *     memtable_create -> ACTIVE --memtable_freeze--> FROZEN --memtable_free
 *                        (writes, scans)             (scans only; flushed,
 *                                                     then freed)
 *
 * Concurrency contract: the caller serialises memtable_write,
 * memtable_freeze and memtable_scan of one memtable (the region's lock);
 * a source returned by memtable_scan stays valid while writes continue (an
 * active memtable's selected rows are copied at open), and sources over a
 * frozen memtable may run concurrently with each other without the lock,
 * but the caller keeps a frozen memtable alive until all of them are closed.
 */
#ifndef STRATA_STORAGE_MEMTABLE_H
#define STRATA_STORAGE_MEMTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/column.h"
#include "storage/scan.h"
#include "storage/schema.h"

struct memtable;

enum memtable_state { MEMTABLE_ACTIVE, MEMTABLE_FROZEN };

/* The memtable keeps its own copy of the schema. */
int memtable_create(const struct region_schema *s, struct memtable **out);
/* Add rows (schema layout: ncols columns of the schema's types, no internal
 * columns; the time index has no nulls). Row i gets sequence first_seq+i
 * (sequences start at 1, so that min_seq_excl = 0 selects all) and op type
 * `op`; OP_DELETE rows carry tags and time index (fields may be
 * null). All or nothing: on error (ERR_BAD_INPUT, ERR_LIMIT, ERR_NOMEM)
 * no row is visible. */
int memtable_write(struct memtable *m, const struct batch *rows, uint64_t first_seq,
		   enum op_type op);
/* ACTIVE -> FROZEN: no more writes. */
void memtable_freeze(struct memtable *m);
enum memtable_state memtable_get_state(const struct memtable *m);

/* Bytes of memory held, including allocator slack of the buffers (what a
 * flush would free). */
size_t memtable_mem_size(const struct memtable *m);
uint64_t memtable_num_rows(const struct memtable *m);
uint32_t memtable_num_series(const struct memtable *m);
bool memtable_is_empty(const struct memtable *m);
/* Some row written is a delete (whatever its sequence: false means no
 * scan of m, under any sequence bounds, returns a delete). */
bool memtable_has_delete(const struct memtable *m);
/* Over all rows written; 0 / 0 and INT64_MAX / INT64_MIN when empty. */
uint64_t memtable_min_seq(const struct memtable *m);
uint64_t memtable_max_seq(const struct memtable *m);
int64_t memtable_ts_min(const struct memtable *m);
int64_t memtable_ts_max(const struct memtable *m);

/*
 * A sorted run (scan.h) of the rows with min_seq_excl < seq <= max_seq_incl
 * that are in req's time range and match req's predicates on tags and on
 * the time index (predicates on fields are not applied: the merge applies
 * them after dedup). Every version of a row is returned, in (primary key,
 * ts asc, sequence desc) order, as internal batches of at most 4096 rows.
 * Filled columns: the time index, the internal columns, the projected
 * columns and every column a predicate names; the others are left empty.
 * req may be NULL (everything); it is not referenced after the call.
 */
int memtable_scan(struct memtable *m, const struct scan_request *req, uint64_t min_seq_excl,
		  uint64_t max_seq_incl, struct sorted_source **out);

/* Options of memtable_scan_ex. */
struct memtable_scan_opts {
	/* Tail mode, for "the last row of each series": per series, only the
	 * selected rows from its last identity (pk, ts) whose newest version
	 * is a put, plus the newer identities after it (all deletes); every
	 * selected row when all end in a delete. Merged with older sources and
	 * deduplicated, the last surviving row of each series is exact when
	 * this memtable is the newest source of the merge, or when no newer
	 * source holds a delete (region.c). */
	bool last_per_series;
	/* When the returned rows are unique (see memtable_scan_ex), leave the
	 * internal columns (__primary_key, __sequence, __op_type) empty and
	 * also apply req's field predicates (no older version could win
	 * instead of a dropped row): for a caller that passes the run on
	 * without merging it. */
	bool lean_if_unique;
	/* No other source of the merge holds a version of an identity this
	 * scan returns (the caller compared time ranges): when the returned
	 * rows are unique, also apply req's field predicates (a dropped row
	 * hides nothing elsewhere), but fill the internal columns. */
	bool exclusive;
};

/* memtable_scan with options (o may be NULL). *unique (may be NULL) is
 * set true when the returned rows hold no delete and no two versions of
 * one identity, so that a merge with no other source may pass them
 * through without dedup. */
int memtable_scan_ex(struct memtable *m, const struct scan_request *req, uint64_t min_seq_excl,
		     uint64_t max_seq_incl, const struct memtable_scan_opts *o,
		     struct sorted_source **out, bool *unique);
void memtable_free(struct memtable *m);

#endif
