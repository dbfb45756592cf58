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
/* A fresh empty temp directory (caller frees the string). */
char *fx_tempdir(const char *tag);
void fx_rmrf(const char *path);

#endif
