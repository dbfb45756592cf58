/*
 * sst_int: what sst.c, sst_tail.c and sst_decoded.c share; not part of
 * the public sst.h. sst.c describes the SST's layout and read path,
 * sst_tail.c the tail summary and tail mode's page reads, sst_decoded.c
 * the decoded column cache.
 */
#ifndef STRATA_STORAGE_SST_INT_H
#define STRATA_STORAGE_SST_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/column.h"
#include "storage/parquet.h"
#include "storage/scan.h"
#include "storage/sst.h"

/* Readers over a cached file kept for the next scan (each has its footer
 * parsed and the page index of the chunks it read: parquet_page.c; about
 * 80 bytes per indexed page, not counted in the cache's capacity). */
#define SST_IDLE_READERS 2
/* Rows per slice of a row group read in slices (a dynamic time bound, or
 * a request for its first rows): about what a top-k sort takes in before
 * it sets the bound (it sorts when it holds more than 4096 rows), so the
 * first slice of the first file is the only one read unbounded; a slice
 * costs one walk of the page index of the time index and tag-predicate
 * columns. */
#define SST_SLICE_ROWS 4096u

/* A file's decoded tail summary (SST_KV_TAIL): rows in the file's own
 * column layout, validated, with their time range. */
struct sst_tail {
	struct batch rows;
	int64_t ts_min, ts_max;
};

struct cached_file {
	char *key;
	uint8_t *data;
	size_t len;
	uint64_t id; /* owner of the file's pages in the page cache */
	/* the decoded tail summary once a reader needed it (tail_loaded; NULL
	 * = the file has none); set once under the cache's mu */
	struct sst_tail *tail;
	bool tail_loaded;
	int refs; /* the cache's own reference counts as one while cached */
	bool cached;
	uint64_t last_use;
	struct cached_file *next;
	struct parquet_reader *idle[SST_IDLE_READERS]; /* over data; not in use */
	uint32_t nidle;
	/* decoded whole row-group columns (lean reads, sst_decoded_rg): dec[rg *
	 * dec_ncols + col], NULL until first read; each, once set, stays
	 * until the entry is freed. Counted in the cache's `used` with the
	 * file's bytes while cached. */
	struct colvec **dec;
	uint32_t dec_nrg, dec_ncols;
	size_t dec_bytes;
	/* per row group: candidate rows that lean reads eligible for run
	 * views decoded from pages (sst_dec_admit); below a quarter of it */
	uint32_t *dec_paged;
};

struct sst_cache {
	pthread_mutex_t mu;
	size_t capacity, used;
	uint64_t clock;
	struct cached_file *head;
	/* decompressed pages of row-range reads of cached files, budgeted
	 * with capacity - used (files and decoded columns come first) */
	struct page_cache *pages;
	uint64_t next_id;
};

/*
 * Builds a file's tail summary while sst_write drains its sorted rows:
 * per series (pk run), the rows tail mode would return for the whole file
 * - from the newest (pk, ts) group whose first row (newest version) is a
 * put, to the series' end (every row when no group starts with a put).
 * `cur` holds the current series' candidate tail carried over batch
 * boundaries; `rows` the finished series. Gives up (off) when the
 * summary grows past SST_TAIL_MAX_ROWS.
 */
struct tail_builder {
	bool off;
	bool have_prev;
	int64_t prev_ts;
	struct buf prev_pk;
	struct batch cur, rows;
	uint32_t pk_col, ts_col, op_col;
};

struct sst_source {
	struct sorted_source base;
	struct sst_cache *cache;
	struct cached_file *file;
	uint8_t *owned; /* file bytes when not cached */
	struct parquet_reader *reader;
	const struct region_schema *schema;
	struct scan_request req;
	struct scan_pred *row_preds; /* tag / time-index predicates */
	uint32_t nrow_preds;
	int *colmap;     /* internal column -> file column, -1 = absent */
	enum dtype *types; /* internal layout types */
	bool *want;      /* per file column */
	uint32_t rg, nrg;
	/* With a dynamic time bound (scan_request.ts_bound, re-read before
	 * each slice) or first_rows, a row group is read in slices of
	 * SST_SLICE_ROWS rows: the next slice of row group rg starts at row
	 * slice_at (0: the group has not been started). */
	uint32_t slice_at;
	struct batch raw;   /* file layout */
	struct batch out;   /* internal layout */
	struct batch view;  /* internal layout borrowing raw's vectors (cols owned, not their data) */
	struct datum *fill; /* per region column the file lacks: its DEFAULT/NULL */
	char **fill_owned;
	uint32_t pk_pad;    /* tags added since the file was written (NULL elements) */
	struct colvec pk_tmp;
	uint8_t *sel;
	size_t sel_cap;
	uint32_t *idx;      /* kept row numbers */
	size_t idx_cap;
	uint32_t *runs;     /* kept rows as runs: (first row, count) pairs */
	size_t runs_cap;
	uint32_t nruns, run_at; /* run views: runs of the current row group, next one */
	struct colvec **vcols;  /* run views: internal column -> decoded vector */
	/* row ranges of the current row group that may match (page pruning) */
	struct parquet_row_range *rr[3];
	size_t rr_cap[3];
	bool lean; /* internal columns not read (sst_open_opts) */
	/* sst_source_set_exclusive: field predicates applied here, and the
	 * columns read in two steps - want_filter (time index, predicate
	 * columns) for the candidate rows, want_late for the selected rows */
	struct scan_pred *field_preds;
	uint32_t nfield_preds;
	bool *want_filter, *want_late;
	/* sst_source_set_exclusive on a non-lean source: __sequence and
	 * __op_type are not read; every row gets seq_fill (the file's
	 * max_sequence) and OP_PUT (synth_internal) */
	bool synth;
	uint64_t seq_fill;
	struct colvec none; /* empty: a column a decoded read does not fill */
	bool tail; /* last-row-per-series tail mode (sst_open_opts) */
	bool no_delete; /* the file is known to hold no delete (sst_source_no_delete) */
	/* tail mode answered from the file's tail summary (no data page read):
	 * sum borrowed from the cache entry or owned (sum_owned) */
	const struct sst_tail *sum;
	struct sst_tail *sum_owned;
	bool sum_done;
	bool *want_keys, *want_rest; /* tail mode: read first / for the kept rows only */
	struct batch raw2;           /* tail mode: want_rest columns of the kept rows */
	uint32_t *rowno;             /* tail mode: raw row -> row group row */
	size_t rowno_cap;
	uint32_t *ident;             /* 0, 1, 2, ... */
	size_t ident_cap;
	uint32_t *runid;             /* tail mode: series run id per candidate row */
	size_t runid_cap;
	uint32_t *cand;              /* tail mode: key row -> candidate row */
	size_t cand_cap;
};

/* sst.c */
/* Evict least recently used files until used <= capacity, then give the
 * page cache the rest (caller holds c->mu). */
void sst_evict_locked(struct sst_cache *c);
int sst_gather_rows(struct colvec *dst, const struct colvec *src, const uint32_t *idx,
		    uint32_t k);
int sst_select_rows(struct sst_source *s, struct colvec **cols, uint32_t n, uint32_t *kept);
int sst_grow_u32(uint32_t **a, size_t *cap, size_t n);

/* sst_tail.c */
void sst_tail_free(struct sst_tail *t);
int sst_tb_add(struct tail_builder *t, const struct batch *b);
int sst_tb_encode(struct tail_builder *t, struct buf *out);
void sst_tb_free(struct tail_builder *t);
int sst_tail_load(struct sst_source *s, const char *key);
bool sst_tail_usable(const struct sst_source *s);
int sst_tail_next(struct sst_source *s, uint32_t rg, uint32_t rows, uint32_t nr,
		  const struct batch **out);

/* sst_decoded.c */
bool sst_dec_admit(struct sst_source *s, uint32_t rg, uint32_t rows, uint64_t cand);
int sst_decoded_rg(struct sst_source *s, uint32_t rg, uint32_t rows, struct colvec **fcols);
void sst_next_run_view(struct sst_source *s, const struct batch **out);
int sst_run_views(struct sst_source *s, struct colvec **cols, uint32_t nr, bool *ok);

#endif
