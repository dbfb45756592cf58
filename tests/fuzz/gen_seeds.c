/*
 * gen_seeds: writes the binary seed inputs of the storage fuzz targets
 * with Strata's own encoders, so the seeds are valid by construction:
 *   column_codec/    batch_encode of small batches (every dtype, nulls,
 *                    empty strings, zero rows, zero columns)
 *   parquet_reader/  small Parquet files from our writer: PLAIN and
 *                    dictionary pages, ZSTD and uncompressed, several row
 *                    groups and pages, nullable and required columns
 *   wal_replay/      WAL segments written by wal_append, prefixed with the
 *                    flags byte fuzz_wal_replay.c reads (3)
 *   manifest/        the delta and checkpoint objects of a real manifest
 *                    history (create, edits, truncate, schema change, a
 *                    checkpoint at version 10) on the fs object store,
 *                    prefixed with the selector byte of fuzz_manifest.c
 *   region_schema_json/  region_schema_to_json of two schemas
 * Usage: gen_seeds CORPUS_DIR   (make -f mk/fuzz.mk fuzz-seeds)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/column_codec.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore.h"
#include "storage/manifest.h"
#include "storage/parquet.h"
#include "storage/schema.h"
#include <cjson/cJSON.h>
#include "storage/wal.h"

static const char *root;

static void die(const char *what)
{
	fprintf(stderr, "gen_seeds: %s: %s\n", what, err_msg());
	exit(1);
}

static void write_file(const char *target, const char *name, const void *p, size_t n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f)) {
		fprintf(stderr, "gen_seeds: write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* A batch of `nrows` rows over `ncols` of the types below. */
static const enum dtype all_types[] = {DT_STRING, DT_TS_MS,  DT_FLOAT64, DT_INT64, DT_BOOL,
				       DT_INT32,  DT_UINT64, DT_BINARY,  DT_DATE,  DT_FLOAT32,
				       DT_INT8,   DT_UINT16, DT_TS_NS};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

static void fill(struct batch *b, uint32_t nrows, int with_nulls)
{
	for (uint32_t c = 0; c < b->ncols; c++) {
		struct colvec *v = &b->cols[c];
		for (uint32_t i = 0; i < nrows; i++) {
			int rc;
			if (with_nulls && c % 3 == 0 && i % 4 == 1) {
				rc = colvec_push_null(v);
			} else {
				switch (dtype_phys(v->type)) {
				case PHYS_I64:
					rc = colvec_push_i64(v, v->type == DT_BOOL ? i % 2
						: v->type == DT_UINT64 && i == 0 ? -1
						: (int64_t)i * 1000 - 7);
					break;
				case PHYS_F64:
					rc = colvec_push_f64(v, i * 0.25 - 1);
					break;
				default: {
					char s[32];
					int n = snprintf(s, sizeof(s), "v%u_%s", i % 5, i % 2 ? "x" : "");
					rc = colvec_push_bytes(v, s, i == 3 ? 0 : (size_t)n);
					break;
				}
				}
			}
			if (rc)
				die("fill");
		}
	}
	b->nrows = nrows;
}

static void codec_seed(const char *name, uint32_t ncols, uint32_t nrows, int nulls)
{
	struct batch b;
	memset(&b, 0, sizeof(b));
	if (batch_init(&b, ncols, all_types))
		die("batch_init");
	fill(&b, nrows, nulls);
	struct buf out;
	buf_init(&out);
	if (batch_encode(&b, &out))
		die("batch_encode");
	write_file("column_codec", name, out.data, out.len);
	buf_free(&out);
	batch_free(&b);
}

static void parquet_seed(const char *name, uint32_t ncols, uint32_t nrows, int nulls,
			 const struct parquet_write_options *o, int dict)
{
	struct parquet_column_def defs[NTYPES];
	char names[NTYPES][16];
	for (uint32_t c = 0; c < ncols; c++) {
		snprintf(names[c], sizeof(names[c]), "c%u", c);
		defs[c].name = names[c];
		defs[c].type = all_types[c];
		defs[c].nullable = nulls && c % 3 == 0;
		defs[c].dictionary = dict && c % 2 == 0;
	}
	struct parquet_writer *w;
	if (parquet_writer_open(defs, ncols, o, &w))
		die("parquet_writer_open");
	struct batch b;
	memset(&b, 0, sizeof(b));
	if (batch_init(&b, ncols, all_types))
		die("batch_init");
	fill(&b, nrows, nulls);
	if (parquet_writer_set_kv(w, "strata.seed", name) || parquet_writer_write(w, &b))
		die("parquet_writer_write");
	struct buf file;
	buf_init(&file);
	if (parquet_writer_finish(w, &file))
		die("parquet_writer_finish");
	write_file("parquet_reader", name, file.data, file.len);
	buf_free(&file);
	batch_free(&b);
	parquet_writer_free(w);
}

/* Append a few entries to a fresh log in a temp dir and copy its segment
 * files out, each prefixed with flags byte 0. */
static void wal_seed(const char *name, int nentries, uint64_t segment_bytes)
{
	char dir[] = "/tmp/strata_gen_seeds.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	struct wal_options o = {.dir = dir, .sync = WAL_SYNC_NONE, .segment_bytes = segment_bytes};
	struct wal *w;
	if (wal_open(&o, &w))
		die("wal_open");
	struct batch b;
	memset(&b, 0, sizeof(b));
	if (batch_init(&b, 3, all_types))
		die("batch_init");
	fill(&b, 3, 1);
	struct buf pl;
	buf_init(&pl);
	if (batch_encode(&b, &pl))
		die("batch_encode");
	for (int i = 0; i < nentries; i++)
		if (wal_append(w, 1000 + (uint64_t)(i % 3), (uint64_t)i + 1, pl.data,
			       i % 4 == 3 ? 0 : pl.len))
			die("wal_append");
	wal_close(w);
	buf_free(&pl);
	batch_free(&b);
	DIR *d = opendir(dir);
	struct dirent *e;
	int k = 0;
	while (d && (e = readdir(d))) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (strstr(e->d_name, ".wal")) {
			FILE *f = fopen(path, "rb");
			struct buf data;
			buf_init(&data);
			buf_putc(&data, 3); /* fix header + CRCs */
			uint8_t tmp[4096];
			size_t n;
			while (f && (n = fread(tmp, 1, sizeof(tmp), f)) > 0)
				buf_append(&data, tmp, n);
			if (f)
				fclose(f);
			char out[64];
			snprintf(out, sizeof(out), "%s_%d.bin", name, k++);
			write_file("wal_replay", out, data.data, data.len);
			buf_free(&data);
		}
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static struct region_schema *make_schema(int extra)
{
	static const char *names[] = {"ts", "host", "cpu", "dc", "note"};
	static const enum dtype types[] = {DT_TS_MS, DT_STRING, DT_FLOAT64, DT_STRING, DT_STRING};
	static const enum semantic_type sems[] = {SEM_TIMESTAMP, SEM_TAG, SEM_FIELD, SEM_TAG,
						  SEM_FIELD};
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	if (!s)
		die("schema");
	s->ncols = extra ? 5 : 3;
	s->cols = mem_calloc(s->ncols, sizeof(*s->cols));
	s->npk = extra ? 2 : 1;
	s->pk_cols = mem_calloc(s->npk, sizeof(uint32_t));
	if (!s->cols || !s->pk_cols)
		die("schema");
	for (uint32_t i = 0; i < s->ncols; i++) {
		s->cols[i].name = mem_strdup(names[i]);
		s->cols[i].type = types[i];
		s->cols[i].sem = sems[i];
		s->cols[i].nullable = i != 0;
		s->cols[i].column_id = i;
	}
	if (extra) {
		s->cols[0].default_sql = mem_strdup("current_timestamp()");
		s->cols[4].default_sql = mem_strdup("'n/a'");
		s->opts.append_mode = true;
		s->opts.merge_mode = MERGE_LAST_NON_NULL;
		s->opts.ttl_ms = 7 * 86400000ll;
		s->opts.compaction_window_s = 3600;
		s->opts.write_buffer_size = 1 << 20;
		s->version = 1;
	}
	s->pk_cols[0] = 1;
	if (extra)
		s->pk_cols[1] = 3;
	return s;
}

static void schema_seed(const char *name, int extra)
{
	struct region_schema *s = make_schema(extra);
	cJSON *j = region_schema_to_json(s);
	char *t = j ? cJSON_Print(j) : NULL;
	if (!t)
		die("region_schema_to_json");
	write_file("region_schema_json", name, t, strlen(t));
	cJSON_free(t);
	cJSON_Delete(j);
	region_schema_free(s);
}

static void manifest_seeds(void)
{
	char dir[] = "/tmp/strata_gen_seeds.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	struct objstore *os;
	struct manifest *m;
	struct region_schema *s0 = make_schema(0), *s1 = make_schema(1);
	const char *R = "data/greptime/public/1024/1024_0000000000/";
	if (objstore_open_fs(dir, &os) || manifest_create(os, R, s0, &m))
		die("manifest_create");
	struct manifest_file f[3];
	memset(f, 0, sizeof(f));
	for (int i = 0; i < 3; i++) {
		snprintf(f[i].file_id, sizeof(f[i].file_id),
			 "6f1c2d3e-0000-4000-8000-00000000000%d", i);
		f[i].level = (uint32_t)i % 2;
		f[i].ts_min = -1000 + i;
		f[i].ts_max = 1700000000000ll + i;
		f[i].num_rows = 100u * (uint64_t)i;
		f[i].file_size = i == 2 ? UINT64_MAX : 4096;
		f[i].max_sequence = i == 1 ? (UINT64_C(1) << 60) : 10;
	}
	struct manifest_action a[2];
	for (uint64_t v = 1; v <= 10; v++) {
		memset(a, 0, sizeof(a));
		uint32_t n = 1;
		switch (v % 5) {
		case 1:
			a[0].type = MANIFEST_EDIT;
			a[0].add = f;
			a[0].nadd = 2;
			a[0].flushed_sequence = v * 10;
			break;
		case 2:
			a[0].type = MANIFEST_EDIT;
			a[0].add = &f[2];
			a[0].nadd = 1;
			a[0].remove = f;
			a[0].nremove = 1;
			a[0].compaction_window_s = 7200;
			a[1].type = MANIFEST_EDIT;
			a[1].flushed_sequence = UINT64_MAX - 1;
			n = 2;
			break;
		case 3:
			a[0].type = MANIFEST_CHANGE;
			a[0].schema = s1;
			break;
		case 4:
			a[0].type = MANIFEST_TRUNCATE;
			a[0].truncated_sequence = v * 100;
			break;
		default:
			a[0].type = MANIFEST_EDIT;
			a[0].add = &f[1];
			a[0].nadd = 1;
			break;
		}
		if (manifest_commit(m, a, n, NULL))
			die("manifest_commit");
	}
	struct objstore_list l;
	if (objstore_list(os, R, &l))
		die("objstore_list");
	for (size_t i = 0; i < l.n; i++) {
		const char *base = strrchr(l.keys[i], '/');
		base = base ? base + 1 : l.keys[i];
		unsigned long long v;
		uint8_t sel;
		if (sscanf(base, "%llu", &v) != 1 || (v > 5 && v < 10))
			continue; /* keep the seed set small */
		if (strstr(base, ".checkpoint"))
			sel = (uint8_t)(v << 1 | 1);
		else if (strstr(base, ".json"))
			sel = 0;
		else
			continue;
		uint8_t *data;
		size_t len;
		if (objstore_get(os, l.keys[i], &data, &len))
			die("objstore_get");
		struct buf b;
		buf_init(&b);
		buf_putc(&b, sel);
		buf_append(&b, data, len);
		char name[64];
		snprintf(name, sizeof(name), "%s.bin", base);
		write_file("manifest", name, b.data, b.len);
		buf_free(&b);
		mem_free(data);
	}
	objstore_list_free(&l);
	manifest_close(m);
	objstore_close(os);
	region_schema_free(s0);
	region_schema_free(s1);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "gen_seeds: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds CORPUS_DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);

	codec_seed("all_types_nulls.bin", NTYPES, 6, 1);
	codec_seed("three_cols.bin", 3, 2, 0);
	codec_seed("zero_rows.bin", 4, 0, 0);
	codec_seed("zero_cols.bin", 0, 0, 0);
	codec_seed("one_string_col.bin", 1, 9, 1);

	struct parquet_write_options plain = {.row_group_rows = 8, .page_bytes = 64,
					      .codec = PARQUET_CODEC_NONE};
	struct parquet_write_options zstd = {.row_group_rows = 16, .page_bytes = 256};
	struct parquet_write_options small_dict = {.row_group_rows = 10, .dict_max_entries = 3,
						   .codec = PARQUET_CODEC_NONE};
	parquet_seed("plain_all_types.parquet", NTYPES, 20, 1, &plain, 0);
	parquet_seed("dict_nulls.parquet", 6, 20, 1, &plain, 1);
	parquet_seed("zstd_dict.parquet", NTYPES, 24, 1, &zstd, 1);
	parquet_seed("dict_fallback.parquet", 4, 20, 0, &small_dict, 1);
	parquet_seed("one_col_required.parquet", 1, 5, 0, &plain, 0);
	parquet_seed("empty.parquet", 3, 0, 0, &plain, 0);

	schema_seed("schema_basic.json", 0);
	schema_seed("schema_options_defaults.json", 1);
	manifest_seeds();

	wal_seed("wal_small", 5, 0);
	wal_seed("wal_rolled", 8, 200);
	printf("gen_seeds: wrote seeds under %s\n", root);
	return 0;
}
