/*
 * write_sample_parquet: writes a Parquet file with known rows for the
 * DuckDB interop suite (tests/suites/duckdb_interop.sh).
 *
 * Usage: write_sample_parquet OUT.parquet
 *
 * 1000 rows, row groups of 400 (so 3 row groups), columns and row i:
 *   host   STRING dict            "host_" + (i % 10)
 *   region STRING dict nullable   NULL when i % 7 == 3, else
 *                                 ["us-east-1","eu-west-2","ap-south-1"][i % 3]
 *   ts     TS_MS                  1700000000000 + i * 1000
 *   usage  FLOAT64 nullable       NULL when i % 5 == 0, else i * 0.5
 *   n      INT64                  i * 1000003 - 500000000
 *   flag   BOOL                   i % 2 == 0
 *   small  INT32                  i % 200 - 100
 *   u      UINT64                 2^64-1 for i == 0, else i * 7
 * key-value metadata: "strata.sample" = "v1".
 */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/err.h"
#include "storage/parquet.h"

#define NROWS 1000

static int fill(struct batch *b)
{
	static const char *regions[] = {"us-east-1", "eu-west-2", "ap-south-1"};
	int rc = 0;
	for (int i = 0; i < NROWS && !rc; i++) {
		char host[16];
		int hn = snprintf(host, sizeof(host), "host_%d", i % 10);
		rc |= colvec_push_bytes(&b->cols[0], host, (size_t)hn);
		if (i % 7 == 3)
			rc |= colvec_push_null(&b->cols[1]);
		else
			rc |= colvec_push_bytes(&b->cols[1], regions[i % 3], strlen(regions[i % 3]));
		rc |= colvec_push_i64(&b->cols[2], 1700000000000ll + (int64_t)i * 1000);
		if (i % 5 == 0)
			rc |= colvec_push_null(&b->cols[3]);
		else
			rc |= colvec_push_f64(&b->cols[3], i * 0.5);
		rc |= colvec_push_i64(&b->cols[4], (int64_t)i * 1000003 - 500000000);
		rc |= colvec_push_i64(&b->cols[5], i % 2 == 0);
		rc |= colvec_push_i64(&b->cols[6], i % 200 - 100);
		rc |= colvec_push_i64(&b->cols[7], i == 0 ? -1 : (int64_t)i * 7);
	}
	b->nrows = NROWS;
	return rc ? ERR_NOMEM : ERR_OK;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT.parquet\n", argv[0]);
		return 2;
	}
	static const struct parquet_column_def defs[] = {
		{"host", DT_STRING, false, true}, {"region", DT_STRING, true, true},
		{"ts", DT_TS_MS, false, false},   {"usage", DT_FLOAT64, true, false},
		{"n", DT_INT64, false, false},    {"flag", DT_BOOL, false, false},
		{"small", DT_INT32, false, false}, {"u", DT_UINT64, false, false},
	};
	enum { NC = sizeof(defs) / sizeof(defs[0]) };
	enum dtype types[NC];
	for (int c = 0; c < NC; c++)
		types[c] = defs[c].type;
	struct batch b = {0};
	struct buf file;
	buf_init(&file);
	struct parquet_writer *w = NULL;
	struct parquet_write_options opt = {.row_group_rows = 400};
	int rc = batch_init(&b, NC, types);
	if (!rc)
		rc = fill(&b);
	if (!rc)
		rc = parquet_writer_open(defs, NC, &opt, &w);
	if (!rc)
		rc = parquet_writer_set_kv(w, "strata.sample", "v1");
	if (!rc)
		rc = parquet_writer_write(w, &b);
	if (!rc)
		rc = parquet_writer_finish(w, &file);
	if (rc) {
		fprintf(stderr, "write_sample_parquet: %s\n", err_msg());
	} else {
		FILE *f = fopen(argv[1], "wb");
		if (!f || fwrite(file.data, 1, file.len, f) != file.len || fclose(f) != 0) {
			perror(argv[1]);
			rc = ERR_IO;
		}
	}
	parquet_writer_free(w);
	buf_free(&file);
	batch_free(&b);
	return rc ? 1 : 0;
}
