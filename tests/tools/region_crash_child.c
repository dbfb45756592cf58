/*
 * region_crash_child: the process that the storage crash tests kill.
 *
 *   region_crash_child write DIR ROWS FLUSH_EVERY
 *       opens (or creates) region 1024/0 with its object store in DIR/objects
 *       and WAL in DIR/wal, writes ROWS single-row batches with ts = n = i
 *       (i = 1..ROWS, continuing after the highest row already present),
 *       flushes every FLUSH_EVERY writes, and prints "ack <i>" after each
 *       acknowledged write. Fault points (STRATA_FAULTS) kill it midway.
 *   region_crash_child verify DIR ACKED
 *       reopens the region (WAL replay), checks every row 1..ACKED is
 *       present exactly once and that no row appears twice, that no
 *       temporary object is visible in the store, and prints "verified N".
 * Exit status 0 = success.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/region.h"

static const char *DIR1 = "data/greptime/public/1024/1024_0000000000/";

static int open_region(const char *dir, struct objstore **os, struct region_engine **e,
		       struct region **r)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/objects", dir);
	if (objstore_open_fs(p, os))
		return 1;
	snprintf(p, sizeof(p), "%s/wal", dir);
	struct region_engine_options o = {.store = *os, .wal_dir = p};
	if (region_engine_open(&o, e))
		return 1;
	int rc = region_open_leader(*e, REGION_ID(1024, 0), DIR1, r);
	if (rc == ERR_NOT_FOUND) {
		struct region_schema *s = fx_schema(true, MERGE_LAST_ROW);
		rc = region_create(*e, REGION_ID(1024, 0), DIR1, s, r);
		region_schema_free(s);
	}
	if (rc) {
		fprintf(stderr, "open region: %s\n", err_msg());
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s write DIR ROWS FLUSH_EVERY | verify DIR ACKED\n", argv[0]);
		return 2;
	}
	struct objstore *os = NULL;
	struct region_engine *e = NULL;
	struct region *r = NULL;
	if (open_region(argv[2], &os, &e, &r))
		return 1;
	struct fx_rows rows;
	if (fx_scan_all(r, &rows)) {
		fprintf(stderr, "scan: %s\n", err_msg());
		return 1;
	}
	int status = 0;
	if (!strcmp(argv[1], "write")) {
		long total = atol(argv[3]), every = argc > 4 ? atol(argv[4]) : 0;
		int64_t start = 0;
		for (size_t i = 0; i < rows.n; i++)
			if (rows.rows[i].n > start)
				start = rows.rows[i].n;
		for (long i = 1; i <= total; i++) {
			struct fx_row row = {"h", start + i, (double)i, false, start + i, false};
			struct batch b;
			fx_batch(&row, 1, &b);
			int rc = region_write(r, &b, OP_PUT, NULL);
			batch_free(&b);
			if (rc) {
				fprintf(stderr, "write: %s\n", err_msg());
				return 1;
			}
			printf("ack %" PRId64 "\n", start + i);
			fflush(stdout);
			if (every && i % every == 0 && region_flush(r)) {
				fprintf(stderr, "flush: %s\n", err_msg());
				return 1;
			}
		}
	} else {
		long acked = atol(argv[3]);
		/* append_mode region: duplicates would show up as repeated n */
		unsigned char *seen = calloc((size_t)rows.n + (size_t)acked + 2, 1);
		for (size_t i = 0; i < rows.n; i++) {
			int64_t n = rows.rows[i].n;
			if (n < 1 || (size_t)n > rows.n + (size_t)acked) {
				fprintf(stderr, "unexpected row n=%" PRId64 "\n", n);
				status = 1;
				continue;
			}
			if (seen[n]++) {
				fprintf(stderr, "row %" PRId64 " present twice\n", n);
				status = 1;
			}
		}
		for (long i = 1; i <= acked; i++)
			if (!seen[i]) {
				fprintf(stderr, "acknowledged row %ld lost\n", i);
				status = 1;
			}
		free(seen);
		struct objstore_list l;
		if (objstore_list(os, "", &l) == ERR_OK) {
			for (size_t i = 0; i < l.n; i++)
				if (strstr(l.keys[i], ".tmp")) {
					fprintf(stderr, "temporary object visible: %s\n", l.keys[i]);
					status = 1;
				}
			objstore_list_free(&l);
		}
		if (status == 0)
			printf("verified %zu\n", rows.n);
	}
	fx_rows_free(&rows);
	region_close(r);
	region_engine_close(e);
	objstore_close(os);
	return status;
}
