/*
 * parquet_bench: throughput check of the Parquet writer and reader on
 * TSBS "cpu"-shaped data (10 low-cardinality string tags, 10 double
 * fields, 1 timestamp), sorted by (tags, ts) like an SST. Not a test: it
 * prints numbers. The storage target is >= 20M values/s scanned from
 * cached SSTs, so the decode alone should be well above that.
 *
 * Usage: parquet_bench [HOSTS [POINTS_PER_HOST [REPEATS]]]
 *        (default 50 hosts x 10240 points = 512000 rows, 5 repeats)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/column.h"
#include "base/err.h"
#include "storage/parquet.h"

#define NTAGS   10
#define NFIELDS 10
#define NCOLS   (NTAGS + NFIELDS + 1)

static const char *tag_names[NTAGS] = {
    "hostname", "region",          "datacenter",         "rack", "os", "arch", "team",
    "service",  "service_version", "service_environment"};
static const char *field_names[NFIELDS] = {
    "usage_user", "usage_system",  "usage_idle",  "usage_nice",  "usage_iowait",
    "usage_irq",  "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static double urand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

static int tag_value(int t, int host, char *out, size_t n)
{
	static const char *regions[] = {"us-east-1",      "us-west-1",      "us-west-2",
	                                "eu-west-1",      "eu-central-1",   "ap-southeast-1",
	                                "ap-southeast-2", "ap-northeast-1", "sa-east-1"};
	switch (t) {
	case 0:
		return snprintf(out, n, "host_%d", host);
	case 1:
		return snprintf(out, n, "%s", regions[host % 9]);
	case 2:
		return snprintf(out, n, "%s%c", regions[host % 9], 'a' + host % 3);
	case 3:
		return snprintf(out, n, "%d", (host * 7) % 100);
	case 4:
		return snprintf(out, n, "Ubuntu%s", host % 3 ? "16.04LTS" : "15.10");
	case 5:
		return snprintf(out, n, "%s", host % 2 ? "x64" : "x86");
	case 6:
		return snprintf(out, n, "%s", host % 4 == 0 ? "SF" : host % 4 == 1 ? "NYC" : "LON");
	case 7:
		return snprintf(out, n, "%d", host % 20);
	case 8:
		return snprintf(out, n, "%d", host % 2);
	default:
		return snprintf(out, n, "%s", host % 3 ? "production" : "staging");
	}
}

static double now_s(void)
{
	return (double)clock_mono_ns() / 1e9;
}

int main(int argc, char **argv)
{
	int hosts = argc > 1 ? atoi(argv[1]) : 50;
	int points = argc > 2 ? atoi(argv[2]) : 10240;
	int repeats = argc > 3 ? atoi(argv[3]) : 5;
	uint32_t nrows = (uint32_t)hosts * (uint32_t)points;
	struct parquet_column_def defs[NCOLS];
	enum dtype types[NCOLS];
	for (int i = 0; i < NTAGS; i++)
		defs[i] = (struct parquet_column_def){tag_names[i], DT_STRING, true, true};
	for (int i = 0; i < NFIELDS; i++)
		defs[NTAGS + i] =
		    (struct parquet_column_def){field_names[i], DT_FLOAT64, true, false};
	defs[NCOLS - 1] = (struct parquet_column_def){"ts", DT_TS_MS, false, false};
	for (int c = 0; c < NCOLS; c++)
		types[c] = defs[c].type;

	struct batch b = {0};
	if (batch_init(&b, NCOLS, types))
		return 1;
	double walk[NFIELDS];
	for (int h = 0; h < hosts; h++) {
		char s[64];
		for (int f = 0; f < NFIELDS; f++)
			walk[f] = urand() * 100;
		for (int p = 0; p < points; p++) {
			for (int t = 0; t < NTAGS; t++) {
				int n = tag_value(t, h, s, sizeof(s));
				if (colvec_push_bytes(&b.cols[t], s, (size_t)n))
					return 1;
			}
			for (int f = 0; f < NFIELDS; f++) {
				walk[f] += urand() * 2 - 1;
				walk[f] = walk[f] < 0 ? 0 : walk[f] > 100 ? 100 : walk[f];
				if (colvec_push_f64(&b.cols[NTAGS + f], walk[f]))
					return 1;
			}
			if (colvec_push_i64(&b.cols[NCOLS - 1],
			                    1451606400000ll + (int64_t)p * 10000))
				return 1;
		}
	}
	b.nrows = nrows;
	uint64_t values = (uint64_t)nrows * NCOLS;
	printf("rows %u x %d columns = %llu values\n", nrows, NCOLS, (unsigned long long)values);

	struct buf file;
	buf_init(&file);
	double t0 = now_s();
	struct parquet_writer *w;
	if (parquet_writer_open(defs, NCOLS, NULL, &w) || parquet_writer_write(w, &b) ||
	    parquet_writer_finish(w, &file)) {
		fprintf(stderr, "write: %s\n", err_msg());
		return 1;
	}
	parquet_writer_free(w);
	double tw = now_s() - t0;
	printf("write: %.3f s, %.1f M values/s, file %.2f MB (%.2f bytes/value)\n", tw,
	       values / tw / 1e6, file.len / 1e6, (double)file.len / (double)values);

	struct parquet_reader *r;
	if (parquet_reader_open_mem(file.data, file.len, &r)) {
		fprintf(stderr, "open: %s\n", err_msg());
		return 1;
	}
	static const char *what[] = {"all columns", "10 tags", "10 doubles", "timestamp"};
	for (int mode = 0; mode < 4; mode++) {
		bool want[NCOLS];
		int ncols = 0;
		for (int c = 0; c < NCOLS; c++) {
			want[c] = mode == 0 || (mode == 1 && c < NTAGS) ||
			          (mode == 2 && c >= NTAGS && c < NCOLS - 1) ||
			          (mode == 3 && c == NCOLS - 1);
			ncols += want[c];
		}
		struct batch out = {0};
		double best = 1e9;
		for (int rep = 0; rep < repeats; rep++) {
			double t1 = now_s();
			for (uint32_t g = 0; g < parquet_reader_num_row_groups(r); g++) {
				if (parquet_read_row_group(r, g, want, &out)) {
					fprintf(stderr, "read: %s\n", err_msg());
					return 1;
				}
			}
			double t = now_s() - t1;
			best = t < best ? t : best;
		}
		batch_free(&out);
		printf("read %-12s best of %d: %.3f s, %.1f M values/s\n", what[mode], repeats,
		       best, (double)nrows * ncols / best / 1e6);
	}
	/* check one value so the work is not optimised away */
	struct batch out = {0};
	if (parquet_read_row_group(r, 0, NULL, &out) ||
	    out.cols[NCOLS - 1].i64[1] != 1451606410000ll) {
		fprintf(stderr, "read back mismatch\n");
		return 1;
	}
	batch_free(&out);
	parquet_reader_free(r);
	buf_free(&file);
	batch_free(&b);
	return 0;
}
