/*
 * region: the storage engine of one datanode and the regions it hosts.
 *
 * A region is one partition of a table: leader (WAL + memtables + SSTs,
 * takes writes) or follower (read-only: the SSTs of an installed manifest
 * version, plus rows supplied by its leader). Everything durable lives in
 * the shared object store under the region dir
 *     data/{catalog}/{schema}/{table_id}/{table_id}_{region_number:010}/
 * holding manifest/ (see manifest.h) and {file_id}.parquet SSTs (internal
 * layout of schema.h, one file per flush or compaction output).
 *
 * Region role state machine:
 *
 *     create/open_leader --> LEADER --(region_set_role)--> FOLLOWER
 *     open_follower ------> FOLLOWER --(region_set_role)--> LEADER (replays WAL)
 *
 * Memtable lifecycle: active --freeze--> frozen --SST written + manifest
 * committed--> dropped. Sequences: every written row gets the next
 * sequence of its region; the manifest's flushed_sequence says every row
 * with seq <= it is in the SSTs of that version, so a reader combines the
 * SSTs of version V with memtable rows whose seq > flushed_sequence(V) and
 * sees every row exactly once.
 *
 * Invariants:
 *  - An SST is durable in the object store before the manifest version
 *    naming it is written (flush and compaction upload first).
 *  - A write is acknowledged only after its WAL entry is durable.
 *  - A file dropped by compaction or TTL is deleted only after
 *    gc_lingering_ms, and only when no follower's installed version (as
 *    reported by the caller to region_gc) still names it.
 */
#ifndef STRATA_STORAGE_REGION_H
#define STRATA_STORAGE_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/column.h"
#include "storage/scan.h"
#include "storage/schema.h"

struct objstore;
struct region_engine;
struct region;

#define REGION_ID(table_id, number) (((uint64_t)(table_id) << 32) | (uint32_t)(number))
#define REGION_TABLE_ID(rid) ((uint32_t)((rid) >> 32))
#define REGION_NUMBER(rid) ((uint32_t)(rid))

enum region_role { REGION_ROLE_LEADER, REGION_ROLE_FOLLOWER };

struct region_engine_options {
	struct objstore *store;      /* shared object store (not owned) */
	const char *wal_dir;         /* local WAL folder of this datanode */
	int wal_sync;                /* enum wal_sync_mode; 0 = fsync per batch */
	uint64_t memtable_budget;    /* bytes per region before a flush; 0 = 64 MiB */
	int64_t gc_lingering_ms;     /* 0 = 60 s */
	uint32_t compaction_trigger; /* files per time window before compaction; 0 = 4 */
	uint32_t sst_row_group_rows; /* 0 = default */
	size_t sst_cache_bytes;      /* in-memory SST cache; 0 = 256 MiB */
	/* Flush memtables that writes took over budget on a background
	 * thread of the lowest CPU priority instead of in the write that
	 * froze them (see region.c "Flushes"); servers set it */
	bool background_flush;
};

int region_engine_open(const struct region_engine_options *o, struct region_engine **out);
void region_engine_close(struct region_engine *e); /* regions must be closed first */

/* "data/{catalog}/{schema}/{table_id}/{table_id}_{region_number:010}/" */
int region_dir_format(char *out, size_t n, const char *catalog, const char *schema,
		      uint64_t region_id);

/* Create a new leader region: writes manifest version 0. */
int region_create(struct region_engine *e, uint64_t region_id, const char *dir,
		  const struct region_schema *schema, struct region **out);
/* Open an existing region as leader: latest manifest, then WAL replay of
 * the rows after its flushed sequence. */
int region_open_leader(struct region_engine *e, uint64_t region_id, const char *dir,
		       struct region **out);
/* Open read-only at manifest `version` (0 = latest); no WAL. */
int region_open_follower(struct region_engine *e, uint64_t region_id, const char *dir,
			 uint64_t version, struct region **out);
void region_close(struct region *r);

enum region_role region_role(struct region *r);
uint64_t region_id(struct region *r);
/* The region's current schema (valid while the region is open). */
const struct region_schema *region_schema(struct region *r);

/* Leader: append rows (schema layout, ncols columns) with one op for all.
 * Returns once the WAL entry is durable; *last_seq (may be NULL) gets the
 * sequence of the last row. ERR_READONLY on a follower, ERR_BAD_INPUT when
 * the batch does not match the schema (nothing is written then). */
int region_write(struct region *r, const struct batch *rows, enum op_type op, uint64_t *last_seq);
/* region_write for a batch built for the region schema `version` (its
 * column positions and types): refused with ERR_CONFLICT (message starting
 * with REGION_SCHEMA_MISMATCH, retryable after reloading the table's
 * schema) unless the region's current schema has exactly that version. The
 * check and the append happen under the region's write lock, which
 * region_alter (schema_alter.h) holds for the whole change, so a batch is
 * never appended in a layout other than the one it was built for.
 * check_version = false is a legacy writer (no version known): accepted
 * only while the region's schema has never changed (version 0). */
#define REGION_SCHEMA_MISMATCH "region schema version mismatch"
int region_write_at_version(struct region *r, const struct batch *rows, enum op_type op,
                            bool check_version, uint64_t version, uint64_t *last_seq);
/* True when the thread's last error is a REGION_SCHEMA_MISMATCH refusal. */
bool region_schema_mismatch_error(int rc);
/* Leader: freeze the memtable, write an SST, commit the manifest edit. */
int region_flush(struct region *r);
/* Leader: time-window compaction (and TTL expiry); `force` merges every
 * window with more than one file. */
int region_compact(struct region *r, bool force);
/* Leader: drop every row (Truncate action) */
int region_truncate(struct region *r);
/* Leader: change the schema (schema_alter.h rules; schema->version =
 * current + 1). Flushes the memtables first, then commits the Change, so
 * rows of two schemas never share a memtable or the unflushed WAL tail.
 * Followers see it when they install that version. ERR_BAD_INPUT when the
 * change is not allowed (nothing changes then). */
int region_alter(struct region *r, const struct region_schema *schema);
/* Leader: mark the region removed in its manifest and forget its WAL. Files
 * are left to the caller's GC. The region must still be closed. */
int region_drop(struct region *r);

/* Scan: deduplicated, filtered internal batches (schema.h layout) in
 * (pk, ts) order. The internal columns may be left empty (len 0) when the
 * rows needed no merge (the active memtable alone, no duplicate, no
 * delete). With the scan hint "last row per series" (pred.h) the batches
 * may hold only a subset of the selected rows that includes the last row
 * of every series. With the scan hint "any series order" (merge.h) each
 * series' rows still come in ts order, but the rows of different series
 * may interleave (time-disjoint sources are handed out one after another,
 * region.c). On a follower this sees only the installed SSTs; use
 * region_follower_scan for fresh reads. */
int region_scan(struct region *r, const struct scan_request *req, struct sorted_source **out);

/* Leader side of a follower read: atomically, the current manifest version
 * and every memtable row not in it (seq > its flushed sequence), restricted
 * to req's time range and tag predicates, as one internal batch in sorted
 * order (not deduplicated). `rows` is initialised by the call. */
int region_snapshot(struct region *r, const struct scan_request *req, uint64_t *version,
		    struct batch *rows);

/* Follower: install manifest versions up to `version` (no-op if already
 * there or beyond). */
int region_install(struct region *r, uint64_t version);
/* Follower read: install `version` if behind, then merge the SSTs of the
 * installed version with `leader_rows` (from region_snapshot; rows already
 * in the installed SSTs are skipped by sequence), same dedup as the leader.
 * leader_rows must outlive the source. */
int region_follower_scan(struct region *r, const struct scan_request *req, uint64_t version,
			 const struct batch *leader_rows, struct sorted_source **out);

/* Promote / demote. Demoting flushes nothing: the caller flushes first if
 * it wants the memtable durable in SSTs (the WAL has it anyway). */
int region_set_role(struct region *r, enum region_role role);

/* Delete files dropped by compaction/TTL once they linger long enough and
 * no follower still reads them: min_follower_version is the lowest manifest
 * version any follower has installed (UINT64_MAX when none). Also removes
 * orphan SSTs (uploaded, never committed) older than the lingering time. */
int region_gc(struct region *r, int64_t now_ms, uint64_t min_follower_version);

struct region_stat {
	uint64_t region_id;
	enum region_role role;
	uint64_t manifest_version;
	uint64_t flushed_sequence;
	uint64_t committed_sequence; /* last sequence written (leader) */
	uint64_t memtable_rows;
	uint64_t memtable_bytes;
	uint64_t sst_rows;
	uint64_t sst_bytes;
	uint32_t sst_num;
	uint32_t frozen_memtables; /* waiting for their flush */
	uint64_t manifest_bytes;   /* approximate */
	uint64_t pending_deletes;
	int64_t last_install_ms;  /* follower: wall clock of the last install */
};
void region_get_stat(struct region *r, struct region_stat *out);

/* Copy the user columns (0..ncols-1) of an internal batch into `out`
 * (initialised by the call). */
int region_batch_strip_internal(const struct region_schema *s, const struct batch *in,
				struct batch *out);

#endif
