/*
 * region_fixture: shared helpers for storage tests: a small schema
 * (host STRING tag, ts TIMESTAMP(3) time index, v DOUBLE NULL field,
 * n BIGINT NULL field), batch builders, and scan collectors that turn a
 * region's answer into a canonical sorted list of rows for comparisons.
 */
#ifndef STRATA_TESTS_REGION_FIXTURE_H
#define STRATA_TESTS_REGION_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/column.h"
#include "objstore/objstore.h"
#include "storage/region.h"
#include "storage/schema.h"

/* One row of the fixture schema. v_null / n_null mark NULLs. */
struct fx_row {
	char host[16];
	int64_t ts;
	double v;
	bool v_null;
	int64_t n;
	bool n_null;
};

struct fx_rows {
	struct fx_row *rows;
	size_t n, cap;
};

struct region_schema *fx_schema(bool append_mode, enum merge_mode mode);
/* A schema-layout batch from rows (initialised by the call). */
void fx_batch(const struct fx_row *rows, size_t n, struct batch *out);
/* Drain a scan (internal batches) into rows, closing the source. */
int fx_collect(struct sorted_source *src, struct fx_rows *out);
void fx_rows_free(struct fx_rows *r);
/* Full-table scan of a region into rows. */
int fx_scan_all(struct region *r, struct fx_rows *out);
/* Equal row lists (same order, same values, same NULLs). */
bool fx_rows_equal(const struct fx_rows *a, const struct fx_rows *b);
void fx_rows_print(const char *label, const struct fx_rows *r);
/* The tests' reproducible random numbers: one xorshift64 stream per test
 * binary. Each binary seeds it in main (fx_seed, nonzero) so a failure
 * replays with the same numbers. fx_rndn(0) is 0. */
void fx_seed(uint64_t seed);
uint64_t fx_rnd(void);
uint32_t fx_rndn(uint32_t n);

/* "h%02u": the host tag of series h (fits in fx_row.host). */
void fx_host_name(char *out, uint32_t h);

/* A region engine over an fs object store in a fresh temp directory
 * (objects under <dir>/objects, WAL under <dir>/wal). */
struct fx_engine {
	char *dir;
	char path[512]; /* the object store's root */
	struct objstore *store;
	struct region_engine *eng;
};
/* Opens with o's tuning (its store and wal_dir are set here); ERR_OK or
 * the failing call's code (nothing left open). */
int fx_engine_open(const char *tag, struct region_engine_options o, struct fx_engine *out);
void fx_engine_close(struct fx_engine *e);

/* An in-memory file for parquet_reader's read callback (ctx = the
 * fx_memfile): reads past the end fail with ERR_CORRUPT. */
struct fx_memfile {
	const uint8_t *p;
	size_t n;
};
int fx_mem_read(void *ctx, uint64_t off, uint64_t len, uint8_t **data, size_t *outlen);

/* A fresh empty temp directory (caller frees the string). */
char *fx_tempdir(const char *tag);
void fx_rmrf(const char *path);

#endif
