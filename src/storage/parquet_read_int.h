/*
 * parquet_read_int: what parquet_read.c (footer, reader, row-group reads)
 * and parquet_page.c (page headers, page decoding, the page index) share;
 * not part of the public parquet.h. parquet_read.c describes what is
 * accepted and how hostile input is treated.
 */
#ifndef STRATA_STORAGE_PARQUET_READ_INT_H
#define STRATA_STORAGE_PARQUET_READ_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/err.h"
#include "storage/page_cache.h"
#include "storage/parquet.h"
#include "storage/parquet_int.h"

struct rchunk {
	int32_t phys;
	int32_t codec;
	int64_t num_values;
	int64_t total_comp;
	int64_t data_off;
	int64_t dict_off; /* 0 = none */
	uint64_t start;   /* first page */
	bool dict_enc;    /* encodings name a dictionary encoding */
	const uint8_t *path;
	uint32_t path_len, npath;
	/* raw statistics */
	const uint8_t *smin, *smax, *lmin, *lmax;
	uint32_t smin_n, smax_n, lmin_n, lmax_n;
	bool has_nulls;
	int64_t null_count;
	struct parquet_stats stats;
};

struct rgroup {
	int64_t num_rows;
	uint32_t nchunks;
	struct rchunk *chunks;
};

struct rcol {
	struct parquet_column_def def; /* name owned */
	enum pq_type phys;
	bool u32;  /* INT32 holding unsigned values: zero-extend */
	bool ts_s; /* stored as ms, column is seconds */
};

struct parquet_reader {
	parquet_read_fn fn;
	void *ctx;
	const uint8_t *mem;
	uint64_t size;
	uint64_t data_end; /* offset of FileMetaData */
	uint8_t *footer_owned;
	uint32_t ncols;
	struct rcol *cols;
	uint32_t nrg;
	struct rgroup *rgs;
	int64_t num_rows;
	uint32_t nkv;
	char **kv_keys, **kv_vals;
	char *created_by;
	ZSTD_DCtx *dctx;
	/* scratch for decoding */
	struct buf page; /* decompressed page */
	uint32_t *idx;   /* dictionary indexes */
	size_t idx_cap;
	uint8_t *dense; /* non-null values of a page with nulls, 8 bytes each */
	size_t dense_cap;
	uint8_t *pvalid; /* validity bits of the current page */
	size_t pvalid_cap;
	/* dictionary of the chunk being decoded */
	bool has_dict;
	uint32_t dict_n;
	uint64_t *dict8; /* fixed-width entries in colvec form (i64 / f64 bits) */
	size_t dict8_cap;
	uint32_t *dict_off; /* byte arrays: dict_n + 1 offsets into dict_bytes */
	size_t dict_off_cap;
	struct buf dict_bytes;
	/* parquet_column_pages result */
	struct parquet_page_info *pages;
	size_t pages_cap;
	struct buf page_stat_bytes; /* copies of byte bounds (ranged-read readers) */
	/* memory readers: page index per column chunk (nrg x ncols, lazily) */
	struct cindex *cidx;
	/* byte-array page about to be compacted: its wanted rows (bit i = row
	 * i of the page); unwanted rows decode as empty values (pwant_on) */
	uint8_t *pwant;
	size_t pwant_cap;
	bool pwant_on;
	/* decompressed-page cache of row-range reads (NULL = none): pages of
	 * this file are keyed (pc_owner, body offset); pin holds the page
	 * decompress last returned */
	struct page_cache *pc;
	uint64_t pc_owner;
	struct page_pin *pin;
};

/* The data pages of one column chunk of a memory reader, found once by
 * walking its page headers and kept for the reader's life: their
 * statistics (byte bounds point into the file's memory) and where each
 * page's header starts and its body ends within the chunk. pq_read_chunk
 * steps over pages that hold no wanted row without parsing their headers
 * again, and reads the pages it decodes with their parsed headers (hdrs:
 * parquet_page.c's struct page_hdr per page, its byte pointers into the
 * file's memory). failed: the walk hit an error (then the normal walk is
 * used and reports it). */
struct cindex {
	bool built, failed;
	uint32_t n;
	struct parquet_page_info *info;
	uint64_t *hdr_pos, *end_pos;
	void *hdrs;
};

static inline int corrupt(const char *what)
{
	return err_set(ERR_CORRUPT, "parquet: %s", what);
}

/* parquet_read.c */
/* Bytes [off, off + len) of the file: into the reader's memory, or read
 * into *owned (the caller frees it). */
int pq_get_range(struct parquet_reader *r, uint64_t off, uint64_t len, const uint8_t **p,
                 uint8_t **owned);
/* Decode a PLAIN statistics value into d; false when unusable. */
bool pq_stat_datum(const struct rcol *col, const uint8_t *p, uint32_t n, bool is_max,
                   struct datum *d);

/* parquet_page.c */
/* Decode column c of row group g into v (see there). */
int pq_read_chunk(struct parquet_reader *r, uint32_t g, uint32_t c, struct colvec *v,
                  const struct parquet_row_range *rr, uint32_t nr, uint32_t *ids);

#endif
