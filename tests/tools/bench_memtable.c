/*
 * bench_memtable: write throughput of the memtable on TSBS-like "cpu" rows
 * (10 low-cardinality string tags, 10 double fields, millisecond
 * timestamps, one row per host per 10 s interval, hosts interleaved as
 * TSBS generates them), written in batches of 10,000 rows. Also times a
 * full scan of the frozen memtable and a dedup merge over it (the flush
 * read path).
 *
 * usage: bench_memtable [rows (1000000)] [hosts (4000)] [batch (10000)]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/column.h"
#include "base/err.h"
#include "base/mem.h"
#include "storage/memtable.h"
#include "storage/merge.h"
#include "storage/schema.h"

#define NTAGS 10
#define NFIELDS 10

static const char *tag_names[NTAGS] = {"hostname", "region",  "datacenter", "rack",
				       "os",       "arch",    "team",       "service",
				       "service_version", "service_environment"};
static const char *field_names[NFIELDS] = {"usage_user",   "usage_system",  "usage_idle",
					   "usage_nice",   "usage_iowait",  "usage_irq",
					   "usage_softirq", "usage_steal",  "usage_guest",
					   "usage_guest_nice"};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Columns: 10 tags, ts, 10 fields (TSBS's table layout). */
static struct region_schema *cpu_schema(void)
{
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	s->ncols = NTAGS + 1 + NFIELDS;
	s->cols = mem_calloc(s->ncols, sizeof(*s->cols));
	s->pk_cols = mem_calloc(NTAGS, sizeof(uint32_t));
	for (uint32_t i = 0; i < NTAGS; i++) {
		s->cols[i] = (struct column_schema){.name = mem_strdup(tag_names[i]),
						    .type = DT_STRING, .sem = SEM_TAG,
						    .nullable = true, .column_id = i};
		s->pk_cols[i] = i;
	}
	s->npk = NTAGS;
	s->cols[NTAGS] = (struct column_schema){.name = mem_strdup("ts"), .type = DT_TS_MS,
						.sem = SEM_TIMESTAMP, .column_id = NTAGS};
	s->ts_col = NTAGS;
	for (uint32_t i = 0; i < NFIELDS; i++)
		s->cols[NTAGS + 1 + i] =
			(struct column_schema){.name = mem_strdup(field_names[i]),
					       .type = DT_FLOAT64, .sem = SEM_FIELD,
					       .nullable = true, .column_id = NTAGS + 1 + i};
	if (region_schema_validate(s)) {
		fprintf(stderr, "schema: %s\n", err_msg());
		exit(1);
	}
	return s;
}

/* Tag value k of host h, TSBS style. */
static void tag_value(uint32_t k, uint32_t h, char *out, size_t n)
{
	static const char *regions[] = {"us-east-1", "us-west-1", "us-west-2", "eu-west-1",
					"eu-central-1", "ap-southeast-1", "ap-southeast-2",
					"ap-northeast-1", "sa-east-1"};
	static const char *oses[] = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
	static const char *archs[] = {"x64", "x86"};
	static const char *teams[] = {"SF", "NYC", "LON", "CHI"};
	static const char *envs[] = {"production", "staging", "test"};
	uint32_t r = h * 2654435761u;
	switch (k) {
	case 0: snprintf(out, n, "host_%u", h); break;
	case 1: snprintf(out, n, "%s", regions[h % 9]); break;
	case 2: snprintf(out, n, "%s%c", regions[h % 9], 'a' + (char)(r % 3)); break;
	case 3: snprintf(out, n, "%u", r % 100); break;
	case 4: snprintf(out, n, "%s", oses[(r >> 3) % 3]); break;
	case 5: snprintf(out, n, "%s", archs[(r >> 5) % 2]); break;
	case 6: snprintf(out, n, "%s", teams[(r >> 7) % 4]); break;
	case 7: snprintf(out, n, "%u", (r >> 9) % 20); break;
	case 8: snprintf(out, n, "%u", (r >> 11) % 2); break;
	default: snprintf(out, n, "%s", envs[(r >> 13) % 3]); break;
	}
}

int main(int argc, char **argv)
{
	uint64_t nrows = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	uint32_t hosts = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 4000;
	uint32_t bsize = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 10000;
	if (!nrows || !hosts || !bsize) {
		fprintf(stderr, "usage: bench_memtable [rows] [hosts] [batch]\n");
		return 2;
	}
	struct region_schema *s = cpu_schema();
	uint32_t nb = (uint32_t)((nrows + bsize - 1) / bsize);
	struct batch *batches = mem_calloc(nb, sizeof(*batches));
	enum dtype types[NTAGS + 1 + NFIELDS];
	for (uint32_t c = 0; c < s->ncols; c++)
		types[c] = s->cols[c].type;

	/* generate every batch up front: only memtable_write is timed */
	uint64_t row = 0;
	double tg = now_s();
	srand(1);
	double vals[NFIELDS] = {0};
	for (uint32_t b = 0; b < nb; b++) {
		struct batch *bt = &batches[b];
		if (batch_init(bt, s->ncols, types))
			return 1;
		for (uint32_t i = 0; i < bsize && row < nrows; i++, row++) {
			uint32_t h = (uint32_t)(row % hosts);
			int64_t ts = 1451606400000LL + (int64_t)(row / hosts) * 10000;
			char v[64];
			for (uint32_t k = 0; k < NTAGS; k++) {
				tag_value(k, h, v, sizeof(v));
				colvec_push_bytes(&bt->cols[k], v, strlen(v));
			}
			colvec_push_i64(&bt->cols[NTAGS], ts);
			for (uint32_t f = 0; f < NFIELDS; f++) {
				vals[f] += (double)(rand() % 200 - 100) / 100.0;
				colvec_push_f64(&bt->cols[NTAGS + 1 + f], vals[f]);
			}
			bt->nrows++;
		}
	}

	fprintf(stderr, "(generated input in %.3f s)\n", now_s() - tg);
	struct memtable *m;
	if (memtable_create(s, &m))
		return 1;
	uint64_t seq = 1;
	double t0 = now_s();
	for (uint32_t b = 0; b < nb; b++) {
		if (memtable_write(m, &batches[b], seq, OP_PUT)) {
			fprintf(stderr, "write: %s\n", err_msg());
			return 1;
		}
		seq += batches[b].nrows;
		(void)memtable_mem_size(m); /* the region checks it after every write */
	}
	double tw = now_s() - t0;
	size_t mem = memtable_mem_size(m);
	printf("memtable_write: %llu rows, %u hosts, batches of %u: %.3f s, %.0f rows/s\n",
	       (unsigned long long)nrows, hosts, bsize, tw, (double)nrows / tw);
	printf("memtable_mem_size: %.1f MiB (%.1f bytes/row), %u series\n",
	       (double)mem / (1 << 20), (double)mem / (double)nrows, memtable_num_series(m));

	/* the flush read path: freeze, scan, dedup merge */
	memtable_freeze(m);
	struct sorted_source *src, *mg;
	t0 = now_s();
	if (memtable_scan(m, NULL, 0, UINT64_MAX, &src))
		return 1;
	struct merge_options o = {.schema = s, .dedup = true, .mode = MERGE_LAST_ROW,
				  .keep_deletes = true};
	if (merge_open(&src, 1, &o, &mg))
		return 1;
	const struct batch *ob;
	uint64_t seen = 0;
	while (sorted_source_next(mg, &ob) == ERR_OK && ob)
		seen += ob->nrows;
	double ts = now_s() - t0;
	sorted_source_close(mg);
	printf("frozen scan + dedup merge: %llu rows in %.3f s, %.0f rows/s\n",
	       (unsigned long long)seen, ts, (double)seen / ts);

	memtable_free(m);
	for (uint32_t b = 0; b < nb; b++)
		batch_free(&batches[b]);
	mem_free(batches);
	region_schema_free(s);
	return seen == nrows ? 0 : 1;
}
