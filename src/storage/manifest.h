/*
 * manifest: a region's versioned list of SST files (plus schema, flushed and
 * truncated sequence), stored in the shared object store as immutable delta
 * files and periodic checkpoints. The leader commits new versions; a
 * follower installs the versions the leader announces. The object layout
 * and JSON format are described at the top of manifest.c.
 *
 * Versions: 0 is written by manifest_create; each commit writes exactly one
 * new version (current + 1) with put-if-absent, so a version is never
 * overwritten and a second writer is refused with ERR_CONFLICT. The state
 * at version v = state at v-1 with v's actions applied in order.
 *
 * Thread safety: a struct manifest may be used from any number of
 * threads. Commits, installs and GC run one at a time; manifest_version
 * and manifest_state_copy never wait for object-store I/O.
 */
#ifndef STRATA_STORAGE_MANIFEST_H
#define STRATA_STORAGE_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include "objstore/objstore.h"
#include "storage/schema.h"

/* Versions between two checkpoints. */
#define MANIFEST_CHECKPOINT_DISTANCE 10
/* file_id: 1..39 characters of [A-Za-z0-9_-] (a UUID in practice). */
#define MANIFEST_FILE_ID_MAX 40

/* One SST of the region. */
struct manifest_file {
	char file_id[MANIFEST_FILE_ID_MAX]; /* NUL-terminated; the SST is {region_dir}{file_id}.parquet */
	uint32_t level;
	int64_t ts_min, ts_max; /* inclusive time-index range, in the column's unit */
	uint64_t num_rows, file_size, max_sequence;
};

/* The materialised state at one version. Owned by whoever filled it
 * (manifest_state_copy); release with manifest_state_free. */
struct manifest_state {
	uint64_t version;
	struct region_schema *schema;
	uint32_t nfiles;
	struct manifest_file *files; /* in the order they were added */
	uint64_t flushed_sequence;   /* every row with sequence <= this is in an SST */
	uint64_t truncated_sequence; /* rows with sequence <= this were truncated away */
	int64_t compaction_window_s; /* 0 = not chosen yet */
	bool removed;                /* the region was dropped */
};

enum manifest_action_type { MANIFEST_CHANGE, MANIFEST_EDIT, MANIFEST_TRUNCATE, MANIFEST_REMOVE };

/*
 * One action of a commit; the fields used depend on type:
 *   CHANGE    schema: the region's new schema (replaces the old one)
 *   EDIT      remove[0..nremove) (only file_id is used; unknown ids are
 *             ignored) are dropped first, then add[0..nadd) are added (an
 *             id already present is replaced); flushed_sequence raises the
 *             state's flushed sequence (never lowers it; 0 = unchanged);
 *             compaction_window_s != 0 sets the compaction window
 *   TRUNCATE  drops every file; flushed_sequence = truncated_sequence =
 *             the action's truncated_sequence
 *   REMOVE    marks the region dropped; later commits are refused
 * The action only borrows its pointers.
 */
struct manifest_action {
	enum manifest_action_type type;
	const struct region_schema *schema;
	uint32_t nadd;
	const struct manifest_file *add;
	uint32_t nremove;
	const struct manifest_file *remove;
	uint64_t flushed_sequence;
	uint64_t truncated_sequence;
	int64_t compaction_window_s;
};

/* A region's manifest manager: object store + region folder + current
 * state. Borrows the object store (which must outlive it). */
struct manifest;

/* Write version 0 (a Change with `schema`) under `region_dir` (e.g.
 * "data/greptime/public/1024/1024_0000000000/"; the trailing '/' is
 * optional) and return the manager at version 0. ERR_EXISTS when the
 * region already has any manifest object. */
int manifest_create(struct objstore *os, const char *region_dir, const struct region_schema *schema,
		    struct manifest **out);

/* Load the latest version: the newest checkpoint (if any) plus every
 * following delta up to the first missing one. ERR_NOT_FOUND when the
 * region has no manifest, ERR_CORRUPT (message naming the object) when an
 * object does not parse. */
int manifest_open(struct objstore *os, const char *region_dir, struct manifest **out);

/* Load the state exactly at `version` (a follower's view): the newest
 * checkpoint <= version plus the deltas after it. ERR_NOT_FOUND when that
 * version does not exist or was garbage-collected. */
int manifest_open_at(struct objstore *os, const char *region_dir, uint64_t version,
		     struct manifest **out);

/* Leader: write delta version+1 holding `actions` (n >= 1), apply it and,
 * every MANIFEST_CHECKPOINT_DISTANCE versions, write a checkpoint and
 * _last_checkpoint (a failed checkpoint is retried on the next commit and
 * does not fail this one). *new_version (may be NULL) gets the committed
 * version. On failure the state is unchanged. Errors: ERR_BAD_INPUT for
 * malformed actions, ERR_CONFLICT when another writer already wrote that
 * version (reopen to catch up), ERR_NOT_FOUND after a Remove, object store
 * errors as returned by the store.
 * Fault points: "manifest.write.mid" is hit after the delta is durable and
 * before the checkpoint (kill = crash there; fail = the checkpoint is
 * skipped, the commit still succeeds); "manifest.write.after" is hit when
 * everything is written (fail = the commit IS durable and applied, but the
 * caller gets ERR_IO, as with a lost acknowledgement). */
int manifest_commit(struct manifest *m, const struct manifest_action *actions, uint32_t n,
		    uint64_t *new_version);

/* Follower: move to `target` by applying deltas current+1..target in order;
 * when a delta is missing (garbage-collected), load the newest checkpoint
 * <= target and continue after it. target <= current is a no-op.
 * ERR_NOT_FOUND when target cannot be reached; the state is then unchanged. */
int manifest_install(struct manifest *m, uint64_t target);

/* Deep copy of the current state into *out (free with manifest_state_free). */
int manifest_state_copy(struct manifest *m, struct manifest_state *out);
void manifest_state_free(struct manifest_state *s);
uint64_t manifest_version(struct manifest *m);

/* GC: find the newest checkpoint C <= min(version, current version) and
 * delete every delta and checkpoint older than C (C itself stays). No-op
 * when there is no such checkpoint. */
int manifest_delete_before(struct manifest *m, uint64_t version);

void manifest_close(struct manifest *m);

/* Decode one manifest object from memory, as manifest_open does with the
 * bytes it reads (tools and fuzzing; no object store). checkpoint: data is
 * checkpoint `version` and fills *s; otherwise data is delta `version`,
 * whose actions are applied to *s (zeroed, or an earlier state) and which
 * sets s->version. On error (ERR_CORRUPT, ERR_NOMEM) *s is freed (zeroed). */
int manifest_decode(const uint8_t *data, size_t len, bool checkpoint, uint64_t version,
		    struct manifest_state *s);

#endif
