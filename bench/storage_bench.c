/*
 * storage_bench: the storage engine microbenchmark (issue: storage engine).
 *
 * Workload: TSBS "cpu-only" rows - 10 string tags (hostname, region,
 * datacenter, rack, os, arch, team, service, service_version,
 * service_environment), 10 double fields (usage_*), one row per host every
 * 10 s - written into ONE region with the WAL on (fdatasync per batch) by
 * one writer thread, then flushed to Parquet SSTs on the fs object store,
 * then scanned from cached SSTs.
 *
 *   storage_bench [--hosts N] [--rows N] [--batch N] [--dir D] [--wal-sync none]
 *
 * Prints one line per measurement:
 *   ingest_rows_per_sec, flush_mb_per_sec, scan_rows_per_sec, scan_values_per_sec
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore.h"
#include "storage/region.h"
#include "storage/wal.h"

#define NTAGS 10
#define NFIELDS 10

static const char *tag_names[NTAGS] = {"hostname", "region", "datacenter", "rack",
				       "os", "arch", "team", "service",
				       "service_version", "service_environment"};
static const char *field_names[NFIELDS] = {
	"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
	"usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};

static struct region_schema *cpu_schema(void)
{
	struct column_schema cols[NTAGS + 1 + NFIELDS];
	uint32_t pk[NTAGS];
	memset(cols, 0, sizeof(cols));
	for (int i = 0; i < NTAGS; i++) {
		cols[i] = (struct column_schema){.name = (char *)tag_names[i], .type = DT_STRING,
						 .sem = SEM_TAG, .nullable = true,
						 .column_id = (uint32_t)i};
		pk[i] = (uint32_t)i;
	}
	cols[NTAGS] = (struct column_schema){.name = "ts", .type = DT_TS_MS, .sem = SEM_TIMESTAMP,
					     .column_id = NTAGS};
	for (int i = 0; i < NFIELDS; i++)
		cols[NTAGS + 1 + i] = (struct column_schema){.name = (char *)field_names[i],
							     .type = DT_FLOAT64, .sem = SEM_FIELD,
							     .nullable = true,
							     .column_id = (uint32_t)(NTAGS + 1 + i)};
	struct region_schema s = {.ncols = NTAGS + 1 + NFIELDS, .cols = cols, .ts_col = NTAGS,
				  .npk = NTAGS, .pk_cols = pk};
	s.opts.write_buffer_size = (uint64_t)4 << 30; /* flush only when asked */
	return region_schema_clone(&s);
}

/* Rows [from, from+n) of the generated data: row i = host i % hosts at
 * time (i / hosts) * 10 s. */
static void gen_batch(struct batch *b, long from, long n, int hosts)
{
	static const char *regions[] = {"us-east-1", "us-west-1", "eu-central-1", "ap-south-1"};
	batch_reset(b);
	char buf[64];
	for (long i = from; i < from + n; i++) {
		int h = (int)(i % hosts);
		long t = i / hosts;
		int len = snprintf(buf, sizeof(buf), "host_%d", h);
		colvec_push_bytes(&b->cols[0], buf, (size_t)len);
		const char *rg = regions[h % 4];
		colvec_push_bytes(&b->cols[1], rg, strlen(rg));
		len = snprintf(buf, sizeof(buf), "%s%c", rg, 'a' + h % 3);
		colvec_push_bytes(&b->cols[2], buf, (size_t)len);
		len = snprintf(buf, sizeof(buf), "%d", h % 100);
		colvec_push_bytes(&b->cols[3], buf, (size_t)len);
		colvec_push_bytes(&b->cols[4], h % 2 ? "Ubuntu16.10" : "Ubuntu15.10", 11);
		colvec_push_bytes(&b->cols[5], h % 2 ? "x64" : "x86", 3);
		len = snprintf(buf, sizeof(buf), "team_%d", h % 7);
		colvec_push_bytes(&b->cols[6], buf, (size_t)len);
		len = snprintf(buf, sizeof(buf), "%d", h % 19);
		colvec_push_bytes(&b->cols[7], buf, (size_t)len);
		len = snprintf(buf, sizeof(buf), "%d", h % 2);
		colvec_push_bytes(&b->cols[8], buf, (size_t)len);
		colvec_push_bytes(&b->cols[9], h % 3 ? "production" : "staging", h % 3 ? 10 : 7);
		colvec_push_i64(&b->cols[10], 1451606400000LL + t * 10000);
		for (int f = 0; f < NFIELDS; f++)
			colvec_push_f64(&b->cols[11 + f], (double)((i * 7919 + f * 104729) % 10000) / 100.0);
	}
	b->nrows = (uint32_t)n;
}

static double secs(int64_t ns) { return (double)ns / 1e9; }

int main(int argc, char **argv)
{
	int hosts = 100;
	long rows = 1000000, batch_rows = 10000;
	const char *dir = NULL;
	int sync = WAL_SYNC_FSYNC;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--hosts"))
			hosts = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rows"))
			rows = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--batch"))
			batch_rows = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--dir"))
			dir = argv[i + 1];
		else if (!strcmp(argv[i], "--wal-sync") && !strcmp(argv[i + 1], "none"))
			sync = WAL_SYNC_NONE;
	}
	char tmpl[] = "/tmp/strata-bench-XXXXXX";
	if (!dir)
		dir = mkdtemp(tmpl);
	char objects[512], wal[512];
	snprintf(objects, sizeof(objects), "%s/objects", dir);
	snprintf(wal, sizeof(wal), "%s/wal", dir);
	struct objstore *os;
	struct region_engine *e;
	struct region *r;
	if (objstore_open_fs(objects, &os))
		goto fail;
	struct region_engine_options o = {.store = os, .wal_dir = wal, .wal_sync = sync,
					  .sst_cache_bytes = (size_t)2 << 30};
	if (region_engine_open(&o, &e))
		goto fail;
	struct region_schema *s = cpu_schema();
	if (region_create(e, REGION_ID(1024, 0), "data/greptime/public/1024/1024_0000000000/", s,
			  &r))
		goto fail;
	enum dtype types[NTAGS + 1 + NFIELDS];
	for (uint32_t c = 0; c < s->ncols; c++)
		types[c] = s->cols[c].type;
	struct batch b;
	batch_init(&b, s->ncols, types);

	/* 1. ingest: rows are generated outside the timed section */
	int64_t ingest_ns = 0;
	for (long done = 0; done < rows; done += batch_rows) {
		long n = rows - done < batch_rows ? rows - done : batch_rows;
		gen_batch(&b, done, n, hosts);
		int64_t t0 = clock_mono_ns();
		if (region_write(r, &b, OP_PUT, NULL))
			goto fail;
		ingest_ns += clock_mono_ns() - t0;
	}
	printf("ingest_rows_per_sec %.0f  (%ld rows, batches of %ld, %d hosts, wal %s)\n",
	       (double)rows / secs(ingest_ns), rows, batch_rows, hosts,
	       sync == WAL_SYNC_FSYNC ? "fdatasync per batch" : "no sync");

	/* 2. flush */
	int64_t t0 = clock_mono_ns();
	if (region_flush(r))
		goto fail;
	int64_t flush_ns = clock_mono_ns() - t0;
	struct region_stat st;
	region_get_stat(r, &st);
	printf("flush_mb_per_sec %.1f  (%.1f MB Parquet in %.2f s, %u SST)\n",
	       (double)st.sst_bytes / 1e6 / secs(flush_ns), (double)st.sst_bytes / 1e6,
	       secs(flush_ns), st.sst_num);

	/* 3. scan from cached SSTs (first pass warms the cache) */
	double best = 0;
	for (int pass = 0; pass < 3; pass++) {
		struct sorted_source *src;
		t0 = clock_mono_ns();
		if (region_scan(r, NULL, &src))
			goto fail;
		const struct batch *out;
		uint64_t n = 0;
		int rc;
		while ((rc = sorted_source_next(src, &out)) == ERR_OK && out)
			n += out->nrows;
		sorted_source_close(src);
		if (rc)
			goto fail;
		double rate = (double)n / secs(clock_mono_ns() - t0);
		if (pass > 0 && rate > best)
			best = rate;
		if (n != (uint64_t)rows) {
			fprintf(stderr, "scan returned %" PRIu64 " rows, expected %ld\n", n, rows);
			return 1;
		}
	}
	printf("scan_rows_per_sec %.0f\n", best);
	printf("scan_values_per_sec %.0f  (%d columns per row)\n", best * (NTAGS + 1 + NFIELDS),
	       NTAGS + 1 + NFIELDS);
	batch_free(&b);
	region_schema_free(s);
	region_close(r);
	region_engine_close(e);
	objstore_close(os);
	return 0;
fail:
	fprintf(stderr, "storage_bench: %s\n", err_msg());
	return 1;
}
