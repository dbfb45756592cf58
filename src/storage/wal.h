/*
 * wal: the datanode's write-ahead log. One log per datanode, shared by all
 * of its leader regions; every entry carries (region_id, seq) and an opaque
 * payload (normally a column_codec batch). On-disk layout, recovery rules
 * and the group-commit protocol are described at the top of wal.c.
 *
 * Lifecycle of a region's entries:
 *   wal_append        entry written; durable per the sync mode when it returns
 *   wal_replay        region open (leaders only): entries with seq > flushed
 *   wal_mark_flushed  the region's memtable up to seq is in an SST; those
 *                     entries are obsolete
 *   wal_forget_region the region was dropped or moved away: all obsolete
 * A segment file is deleted once every entry in it is obsolete and it is
 * not the segment being appended to.
 *
 * Flushed marks live in memory only. After a restart the datanode calls
 * wal_mark_flushed for every region it opens (with the flushed sequence of
 * its manifest) and wal_forget_region for every region in wal_regions that
 * it no longer hosts; otherwise their segments are kept. Region ids are not
 * reused: a forgotten region's later entries are considered obsolete too.
 *
 * Threading: wal_append, wal_replay, wal_mark_flushed, wal_forget_region,
 * wal_regions and wal_stats may be called from any number of threads at
 * once. wal_open and wal_close must not race with anything.
 */
#ifndef STRATA_STORAGE_WAL_H
#define STRATA_STORAGE_WAL_H

#include <stddef.h>
#include <stdint.h>

enum wal_sync_mode {
	WAL_SYNC_FSYNC = 0, /* default: one fdatasync per group-commit batch */
	WAL_SYNC_NONE,      /* write() only: survives a process crash, not an OS crash */
};

struct wal_options {
	const char *dir; /* created (with parents) if missing */
	enum wal_sync_mode sync;
	uint64_t segment_bytes; /* roll to a new segment past this; 0 = 64 MiB */
};

#define WAL_DEFAULT_SEGMENT_BYTES (64ull << 20)
/* Largest payload of one entry; wal_append refuses more (ERR_LIMIT) and the
 * reader treats a larger length field as corruption. */
#define WAL_MAX_PAYLOAD (256u << 20)

struct wal;

/* Open (or create) the log in opt->dir. Scans every segment, verifying
 * each record's CRC: a torn tail of the last segment (a partial record, or
 * a bad final record) is truncated with a warning; any other damage is
 * ERR_CORRUPT naming the file and offset. Takes an exclusive lock on the
 * directory (ERR_CONFLICT if another wal has it open). *out is NULL on
 * error; the caller owns it otherwise (wal_close). */
int wal_open(const struct wal_options *opt, struct wal **out);

/* Append one entry. Returns once the entry is durable per the sync mode
 * (WAL_SYNC_FSYNC: fdatasync'ed; WAL_SYNC_NONE: handed to the kernel).
 * Concurrent callers are group-committed: one of them writes everybody's
 * queued records with one pwritev and one fdatasync and wakes the others.
 * payload is only read during the call. Errors: ERR_LIMIT (payload too
 * large), ERR_IO (write/sync failed: the failed records were cut off the
 * file again, so they will not reappear; if even that fails the log
 * refuses every later append until reopened). Fault points: wal.fsync
 * in the leader before its fdatasync (WAL_SYNC_FSYNC only; "fail" fails the
 * group as a sync error would), wal.append.after in each caller once its
 * entry is durable ("kill" there = crash right after a durable append that
 * was never acknowledged; "fail" = durable but reported as ERR_IO). */
int wal_append(struct wal *w, uint64_t region_id, uint64_t seq, const void *payload, size_t len);

/* Call cb for every entry of region_id with seq > after_seq, in append
 * order, among the entries appended before the call started. payload is
 * valid during the callback only. A non-zero return from cb stops the
 * replay and is returned. ERR_CORRUPT (file, offset) if a record no longer
 * verifies, ERR_IO on read errors. */
int wal_replay(struct wal *w, uint64_t region_id, uint64_t after_seq,
               int (*cb)(void *arg, uint64_t seq, const uint8_t *payload, size_t len), void *arg);

/* Entries of region_id with seq <= seq are obsolete (monotonic: a lower
 * seq than an earlier call is ignored). Deletes every non-active segment
 * all of whose entries are obsolete. Returns ERR_OK or ERR_IO if a
 * deletion failed (the segment stays, and is retried on the next call). */
int wal_mark_flushed(struct wal *w, uint64_t region_id, uint64_t seq);

/* The region is gone: all its entries, present and future, are obsolete. */
int wal_forget_region(struct wal *w, uint64_t region_id);

/* Call cb(arg, region_id, max_seq) for every region with entries in the
 * log (max_seq is its highest seq in any live segment). Order unspecified.
 * The callback runs under the log's lock: it must not call into the wal.
 * ERR_OK or ERR_NOMEM. */
int wal_regions(struct wal *w, void (*cb)(void *arg, uint64_t region_id, uint64_t max_seq),
                void *arg);

struct wal_stats {
	uint64_t appends;        /* entries appended since open */
	uint64_t groups;         /* group-commit batches written */
	uint64_t syncs;          /* fdatasync calls on the data path */
	uint64_t bytes_appended; /* record bytes written since open */
	uint64_t segments;       /* live segment files */
	uint64_t first_segment;  /* id of the oldest live segment */
	uint64_t active_segment; /* id of the segment being appended to */
	uint64_t disk_bytes;     /* bytes in live segment files */
	uint64_t segments_deleted;
	uint64_t torn_bytes; /* bytes cut from the tail at open */
	int broken;          /* 1 once a failed write could not be undone */
};

void wal_stats(struct wal *w, struct wal_stats *out);

/* Closes the files and frees w (NULL is fine). No call may be in flight.
 * In WAL_SYNC_NONE mode the active segment is fdatasync'ed first. */
void wal_close(struct wal *w);

#endif
