/*
 * sst: a region's SST files. An SST is one Parquet object
 * "{region_dir}{file_id}.parquet" holding a sorted run in the internal
 * layout of schema.h (the region's columns, then __primary_key,
 * __sequence, __op_type), rows ordered by (pk, ts, seq desc). Tag columns
 * and __primary_key are dictionary-encoded; the key-value metadata entry
 * "strata.region_schema" holds the schema JSON.
 *
 * Files are immutable. The SST cache keeps recently used files' bytes in
 * memory (LRU, bounded) so that repeated scans do not re-read the store,
 * and, in what the files leave of its budget, decompressed pages of
 * selective reads (page_cache.h) so that repeated scans skip zstd.
 */
#ifndef STRATA_STORAGE_SST_H
#define STRATA_STORAGE_SST_H

#include <stddef.h>
#include <stdint.h>

#include "storage/manifest.h"
#include "storage/scan.h"
#include "storage/schema.h"

struct objstore;
struct sst_cache;

int sst_cache_create(size_t capacity_bytes, struct sst_cache **out);
void sst_cache_free(struct sst_cache *c);
void sst_cache_drop(struct sst_cache *c, const char *key);

/* "{dir}{file_id}.parquet" */
void sst_path(char *out, size_t n, const char *region_dir, const char *file_id);
/* A fresh random file id (UUID v4 text). */
void sst_new_file_id(char out[40]);

/* Drain `src` (closing it) into a new SST. On success *meta describes the
 * file (num_rows 0 = the run was empty and nothing was written). The object
 * is durable when this returns. */
int sst_write(struct objstore *os, struct sst_cache *cache, const char *region_dir,
	      const struct region_schema *s, struct sorted_source *src, uint32_t row_group_rows,
	      struct manifest_file *meta);

/* A sorted source over one SST, pruning row groups by the request's time
 * range and tag predicates, applying them (not field predicates) to rows. */
int sst_open_source(struct objstore *os, struct sst_cache *cache, const char *region_dir,
		    const struct region_schema *s, const struct manifest_file *f,
		    const struct scan_request *req, struct sorted_source **out);

/* Key-value entry sst_write sets to "1" when the file holds no delete and
 * no two rows of one identity (pk, ts). */
#define SST_KV_UNIQUE "strata.sst.unique"
/* Key-value entry sst_write sets to "1" when the file holds no delete (its
 * rows may still hold several versions of one identity). Files written
 * before it existed: "no delete" is known only through SST_KV_UNIQUE. */
#define SST_KV_NO_DELETE "strata.sst.no_delete"
/* Key-value entry sst_write sets to the file's tail summary: the rows tail
 * mode (sst_open_opts) would return for the whole file without a
 * selection - per series, from its newest (pk, ts) whose newest version
 * is a put to its end - as standard padded base64 of a zstd frame of
 * batch_encode (column_codec.h) of those rows in the file's column
 * layout, sorted like the file. Absent when the summary would be large
 * (many series) or the rows lacked internal columns; readers then read
 * pages. Also, a file written before summaries existed has none. */
#define SST_KV_TAIL "strata.sst.tail"

struct sst_open_opts {
	/* The file is the scan's only source: no newer rows (memtable or
	 * file) exist for this scan. Then (a) with the last-row-per-series
	 * hint (pred.h) the source returns, per series, only its trailing
	 * versions down to the newest (pk, ts) whose newest version is a put
	 * - enough for the merge's dedup and the caller's last-row pick;
	 * (b) without the hint, a file marked unique is read lean: the
	 * internal columns stay empty and sst_source_lean() is true, so the
	 * caller may merge it in passthrough mode (merge.h). */
	bool only_source;
	/* With the last-row-per-series hint, read in tail mode (as in (a))
	 * although other sources exist. Exact only when no source of the
	 * merge that may hold a newer version of one of this file's
	 * identities holds a delete (region.c: every source delete-free); the
	 * caller checks sst_source_no_delete() on the opened sources and calls
	 * sst_source_untail() before the first read when it does not hold. */
	bool tail;
	/* No other source of the scan can hold a version of one of this
	 * file's identities (region.c: disjoint scan, never with the
	 * last-row hint): a file marked unique reads lean as in (b). */
	bool disjoint;
};

int sst_open_source_opts(struct objstore *os, struct sst_cache *cache, const char *region_dir,
			 const struct region_schema *s, const struct manifest_file *f,
			 const struct scan_request *req, const struct sst_open_opts *o,
			 struct sorted_source **out);
/* src (from sst_open_source*) reads lean (see sst_open_opts). */
bool sst_source_lean(const struct sorted_source *src);
/* src (from sst_open_source*) is known to hold no delete (its file carries
 * SST_KV_NO_DELETE or SST_KV_UNIQUE). */
bool sst_source_no_delete(const struct sorted_source *src);
/* src reads in tail mode (sst_open_opts). */
bool sst_source_tail(const struct sorted_source *src);
/* src reads in tail mode and answers from its file's tail summary
 * (SST_KV_TAIL) without reading data pages: the file has one and the
 * request's time range and predicates cannot cut a summarised tail. */
bool sst_source_summary(const struct sorted_source *src);
/* Before src's first read: leave tail mode, read every selected row. */
void sst_source_untail(struct sorted_source *src);
/* Before src's first read, when no other source of the scan may hold a
 * version of one of src's identities (the caller compared time ranges):
 * if the file is marked unique (no delete, no two versions of one
 * identity) and the region is not in append mode, every row src returns
 * is the only version of its identity in the merge, so (a) src does not
 * read __sequence / __op_type and returns the file's max_sequence and
 * OP_PUT instead (they decide nothing), and (b) no row src drops can
 * change which version wins: src applies the request's field predicates
 * too, reading their columns and the time index first and the other
 * columns for the selected rows only ((b) not when a predicate names a
 * field the file lacks, nor out of memory). A no-op for other sources and
 * in tail mode. */
void sst_source_set_exclusive(struct sorted_source *src);
/* Rows handed out by all SST sources of the process so far (a statistic,
 * for tests and diagnostics). */
uint64_t sst_rows_returned(void);

#endif
