/*
 * parquet: Strata's own Apache Parquet writer and reader (the SST format).
 *
 * Only flat schemas are written and read: one leaf column per Strata
 * column, REQUIRED (not nullable) or OPTIONAL (nullable, definition levels
 * of bit width 1). The writer produces
 *     "PAR1" | row group 0 | row group 1 | ... | FileMetaData | u32 len | "PAR1"
 * with v1 data pages, PLAIN or dictionary (RLE_DICTIONARY) encoding and
 * ZSTD page compression; see parquet_write.c for the exact layout and the
 * type mapping, parquet_read.c for what the reader accepts.
 *
 * dtype <-> Parquet type (physical / logical / legacy converted type):
 *   BOOL          BOOLEAN
 *   INT8/16/32    INT32  INTEGER(8/16/32, signed)    INT_8/16/32
 *   UINT8/16/32   INT32  INTEGER(8/16/32, unsigned)  UINT_8/16/32
 *   INT64         INT64
 *   UINT64        INT64  INTEGER(64, unsigned)       UINT_64
 *   FLOAT32       FLOAT
 *   FLOAT64       DOUBLE
 *   STRING        BYTE_ARRAY  STRING                 UTF8
 *   BINARY        BYTE_ARRAY
 *   DATE          INT32  DATE                        DATE
 *   TS_MS/US/NS   INT64  TIMESTAMP(MILLIS/MICROS/NANOS, isAdjustedToUTC)
 *                        (+ TIMESTAMP_MILLIS/MICROS)
 *   TS_S          INT64  TIMESTAMP(MILLIS, UTC) holding seconds * 1000, and
 *                 the key-value entry "strata.dtype.<column>" =
 *                 "TimestampSecond"; our reader divides by 1000 again, any
 *                 other reader sees correct millisecond timestamps.
 *
 * Memory and threads: a writer or reader is used by one thread at a time.
 * Errors are enum err_code values with the error record set (err.h).
 */
#ifndef STRATA_STORAGE_PARQUET_H
#define STRATA_STORAGE_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/datatype.h"

#define PARQUET_DEFAULT_ROW_GROUP_ROWS 102400u
#define PARQUET_DEFAULT_PAGE_BYTES     (1u << 20)
#define PARQUET_DEFAULT_DICT_ENTRIES   65536u
#define PARQUET_DEFAULT_DICT_BYTES     (1u << 20)
/* Key-value entry that records a column's dtype where Parquet cannot. */
#define PARQUET_KV_DTYPE_PREFIX "strata.dtype."

struct parquet_column_def {
	const char *name;
	enum dtype type;
	bool nullable;
	bool dictionary; /* dictionary-encode (ignored for BOOL) */
};

enum parquet_codec { PARQUET_CODEC_ZSTD = 0, PARQUET_CODEC_NONE = 1 };

/* All-zero options mean the defaults. */
struct parquet_write_options {
	uint32_t row_group_rows;   /* rows per row group; 0 = 102400 */
	uint32_t page_bytes;       /* target uncompressed data page size; 0 = 1 MiB */
	uint32_t dict_max_entries; /* fall back to PLAIN past this; 0 = 65536 */
	uint32_t dict_max_bytes;   /* ... or past this much dictionary; 0 = 1 MiB */
	int zstd_level;            /* 0 = 1 */
	enum parquet_codec codec;  /* default ZSTD */
	uint32_t page_rows;        /* at most this many rows per data page; 0 = no row cap */
	bool no_page_stats;        /* leave out per-page min/max (the pre-page-index format) */
	/* Series-aligned pages: 1 + the index of a byte-array column (0 = off).
	 * Where that column's value changes from one row to the next and the
	 * open pages already hold at least page_break_min_rows rows, every
	 * column's open page ends, so that a page holds one run of that value
	 * (or several short ones): page statistics of other columns then
	 * describe one run (e.g. the time range of one series). */
	uint32_t page_break_col;
	uint32_t page_break_min_rows;
};

/* ---- writer ---- */

struct parquet_writer;

/* The writer copies the column definitions (and names). */
int parquet_writer_open(const struct parquet_column_def *cols, uint32_t ncols,
                        const struct parquet_write_options *opt, struct parquet_writer **out);
/* Add a FileMetaData key_value_metadata entry (copied); a later entry with
 * the same key replaces the earlier one. */
int parquet_writer_set_kv(struct parquet_writer *w, const char *key, const char *value);
/* Append the rows of b: b->ncols columns of exactly the defined dtypes,
 * each b->nrows long; nulls only in nullable columns (else ERR_BAD_INPUT).
 * After any error the writer refuses further writes. */
int parquet_writer_write(struct parquet_writer *w, const struct batch *b);
/* Rows written so far. */
uint64_t parquet_writer_rows(const struct parquet_writer *w);
/* Finish the file and hand its bytes to the caller: when file_out is empty
 * the writer's buffer is moved into it, otherwise the bytes are appended.
 * The writer cannot be used afterwards except for parquet_writer_free. */
int parquet_writer_finish(struct parquet_writer *w, struct buf *file_out);
void parquet_writer_free(struct parquet_writer *w);

/* ---- reader ---- */

/* Read [off, off+len) of the file into a new buffer (*data, freed by the
 * caller with mem_free) of *outlen bytes. Returns ERR_OK or an error code
 * with the error record set. A short read is reported as corruption. */
typedef int (*parquet_read_fn)(void *ctx, uint64_t off, uint64_t len, uint8_t **data,
                               size_t *outlen);

struct parquet_reader;

struct parquet_stats {
	bool has_min_max;      /* min/max present and usable */
	struct datum min, max; /* byte values point into reader memory */
	bool has_null_count;
	uint64_t null_count;
};

/* Open by reading the footer through fn (one ranged read of the file's
 * tail, a second one only for footers over 64 KiB). */
int parquet_reader_open(parquet_read_fn fn, void *ctx, uint64_t file_size,
                        struct parquet_reader **out);
/* Open over bytes in memory; no copy is made, data must outlive the reader. */
int parquet_reader_open_mem(const uint8_t *data, size_t len, struct parquet_reader **out);
void parquet_reader_free(struct parquet_reader *r);
struct page_cache;
/* Row-range reads (parquet_read_row_ranges, parquet_read_dict_ids) of a
 * reader over memory take decompressed ZSTD pages from pc and put the
 * pages they decompress there, keyed (owner, file offset of the page
 * body): owner must name these file bytes for as long as pc holds pages
 * under it (page_cache.h). NULL pc switches the cache off. Whole row-group
 * reads never use it. */
void parquet_reader_set_page_cache(struct parquet_reader *r, struct page_cache *pc,
                                   uint64_t owner);
/* Prefetch: decompress the ZSTD pages (dictionary and data) of every
 * column chunk of the file into the reader's page cache, as long as each
 * fits in the cache's free budget (a prefetch never evicts); pages
 * already cached are left alone. *pages = pages inserted. A reader
 * without a page cache, or over ranged reads, does nothing. */
int parquet_prefetch_pages(struct parquet_reader *r, uint64_t *pages);

uint32_t parquet_reader_num_columns(const struct parquet_reader *r);
/* name, dtype, nullable; dictionary = some row group has a dictionary page.
 * NULL when i is out of range. */
const struct parquet_column_def *parquet_reader_column(const struct parquet_reader *r, uint32_t i);
int parquet_reader_find_column(const struct parquet_reader *r, const char *name); /* -1 if none */
uint32_t parquet_reader_num_row_groups(const struct parquet_reader *r);
uint64_t parquet_reader_row_group_rows(const struct parquet_reader *r, uint32_t rg);
uint64_t parquet_reader_num_rows(const struct parquet_reader *r);
/* Column chunk statistics; NULL when rg/col is out of range. */
const struct parquet_stats *parquet_reader_stats(const struct parquet_reader *r, uint32_t rg,
                                                 uint32_t col);
/* Value of a key_value_metadata entry, NULL when absent. */
const char *parquet_reader_kv(const struct parquet_reader *r, const char *key);
uint32_t parquet_reader_kv_count(const struct parquet_reader *r);
void parquet_reader_kv_at(const struct parquet_reader *r, uint32_t i, const char **key,
                          const char **value);
const char *parquet_reader_created_by(const struct parquet_reader *r); /* "" if none */

/*
 * Decode row group rg into out. out must be zeroed (struct batch b = {0})
 * or hold the result of an earlier parquet_read_row_group on this reader,
 * whose memory is then reused. The reader sets out up with all columns of
 * the file (parquet_reader_column types); columns with want[c] == false
 * stay empty (len 0). want NULL = all columns. On error out is freed
 * (zeroed). The caller frees out with batch_free.
 */
int parquet_read_row_group(struct parquet_reader *r, uint32_t rg, const bool *want,
                           struct batch *out);

/* ---- page-level access (the page index kept in page headers) ---- */

/* One data page of a column chunk: rows [first_row, first_row + rows).
 * min/max come from the page header's statistics (written by our writer
 * unless no_page_stats; other writers may leave them out). */
struct parquet_page_info {
	uint32_t first_row, rows;
	bool has_min_max;
	struct datum min, max; /* byte values point into reader memory */
};

/* The data pages of column col in row group rg, found by walking the page
 * headers (no page is decompressed). *pages is owned by the reader and
 * valid until the next call of this function or parquet_reader_free. The
 * pages cover the row group's rows in order, without gaps (else
 * ERR_CORRUPT). */
int parquet_column_pages(struct parquet_reader *r, uint32_t rg, uint32_t col,
                         const struct parquet_page_info **pages, uint32_t *npages);

struct parquet_row_range {
	uint32_t from, to; /* half-open row numbers within a row group */
};

/* Like parquet_read_row_group, but only the rows in ranges[0..n) (sorted,
 * non-empty, disjoint, within the row group; else ERR_BAD_INPUT), in order:
 * out->nrows = the sum of the ranges' lengths. Data pages that hold none of
 * these rows are neither decompressed nor decoded, and a chunk's dictionary
 * page is decoded only when one of its data pages is. */
int parquet_read_row_ranges(struct parquet_reader *r, uint32_t rg, const bool *want,
                            const struct parquet_row_range *ranges, uint32_t n,
                            struct batch *out);

/* The dictionary indexes (into the chunk's dictionary page) of the rows of
 * byte-array column col in ranges[0..n) (NULL = every row of the row
 * group) into ids (room for those rows), *nids = their count. Two rows
 * with the same index hold the same value (the converse need not hold for
 * other writers' files). ERR_UNSUPPORTED when the column is nullable or a
 * page it needs is not dictionary-encoded: the caller decodes the values
 * instead. */
int parquet_read_dict_ids(struct parquet_reader *r, uint32_t rg, uint32_t col,
                          const struct parquet_row_range *ranges, uint32_t n, uint32_t *ids,
                          uint32_t *nids);

#endif
