/*
 * Region engine tests: leader writes, scans, flush, WAL replay, follower
 * install and fresh follower reads, compaction, TTL, truncate, drop, GC,
 * and a randomized leader/follower equivalence test against a reference
 * model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/pred.h"
#include "storage/region.h"

struct env {
	char *dir;
	char path[512];
	struct objstore *store;
	struct region_engine *leader_engine;
	struct region_engine *follower_engine;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->dir = fx_tempdir("region");
	snprintf(e->path, sizeof(e->path), "%s/objects", e->dir);
	assert_int_equal(objstore_open_fs(e->path, &e->store), ERR_OK);
	char wal[600];
	snprintf(wal, sizeof(wal), "%s/wal", e->dir);
	struct region_engine_options o = {.store = e->store, .wal_dir = wal, .gc_lingering_ms = 1};
	assert_int_equal(region_engine_open(&o, &e->leader_engine), ERR_OK);
	struct region_engine_options fo = {.store = e->store, .gc_lingering_ms = 1};
	assert_int_equal(region_engine_open(&fo, &e->follower_engine), ERR_OK);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	region_engine_close(e->leader_engine);
	region_engine_close(e->follower_engine);
	objstore_close(e->store);
	fx_rmrf(e->dir);
	mem_free(e->dir);
	free(e);
	return 0;
}

static const char *DIR1 = "data/greptime/public/1024/1024_0000000000/";

static struct region *create_region(struct env *e, bool append, enum merge_mode mode)
{
	struct region_schema *s = fx_schema(append, mode);
	struct region *r = NULL;
	assert_int_equal(region_create(e->leader_engine, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	return r;
}

static void write_rows(struct region *r, const struct fx_row *rows, size_t n, enum op_type op)
{
	struct batch b;
	fx_batch(rows, n, &b);
	assert_int_equal(region_write(r, &b, op, NULL), ERR_OK);
	batch_free(&b);
}

static void test_region_dir_format(void **state)
{
	(void)state;
	char buf[256];
	assert_int_equal(region_dir_format(buf, sizeof(buf), "greptime", "public",
					   REGION_ID(1024, 1)),
			 ERR_OK);
	assert_string_equal(buf, "data/greptime/public/1024/1024_0000000001/");
	assert_int_equal(REGION_ID(1025, 0), 4402341478400ULL);
}

static void test_write_scan_dedup(void **state)
{
	struct env *e = *state;
	struct region *r = create_region(e, false, MERGE_LAST_ROW);
	struct fx_row rows[] = {
		{"b", 2, 2.0, false, 20, false},
		{"a", 1, 1.0, false, 10, false},
		{"a", 1, 1.5, false, 0, true}, /* same key: later write wins */
		{"a", 3, 0, true, 30, false},
	};
	write_rows(r, rows, 4, OP_PUT);
	struct fx_rows got;
	assert_int_equal(fx_scan_all(r, &got), ERR_OK);
	assert_int_equal(got.n, 3);
	assert_string_equal(got.rows[0].host, "a");
	assert_int_equal(got.rows[0].ts, 1);
	assert_true(got.rows[0].v == 1.5);
	assert_true(got.rows[0].n_null);
	assert_true(got.rows[1].v_null);
	assert_string_equal(got.rows[2].host, "b");
	fx_rows_free(&got);
	/* the same after a flush, read from the SST */
	assert_int_equal(region_flush(r), ERR_OK);
	struct region_stat st;
	region_get_stat(r, &st);
	assert_int_equal(st.sst_num, 1);
	assert_int_equal(st.memtable_rows, 0);
	assert_true(st.manifest_version >= 1);
	assert_int_equal(fx_scan_all(r, &got), ERR_OK);
	assert_int_equal(got.n, 3);
	assert_true(got.rows[0].v == 1.5);
	fx_rows_free(&got);
	/* delete across memtable and SST */
	struct fx_row del[] = {{"a", 1, 0, true, 0, true}};
	write_rows(r, del, 1, OP_DELETE);
	assert_int_equal(fx_scan_all(r, &got), ERR_OK);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.rows[0].ts, 3);
	fx_rows_free(&got);
	region_close(r);
}

static void test_bad_batches_rejected(void **state)
{
	struct env *e = *state;
	struct region *r = create_region(e, false, MERGE_LAST_ROW);
	enum dtype wrong[2] = {DT_STRING, DT_TS_MS};
	struct batch b;
	batch_init(&b, 2, wrong);
	colvec_push_bytes(&b.cols[0], "x", 1);
	colvec_push_i64(&b.cols[1], 1);
	b.nrows = 1;
	assert_int_equal(region_write(r, &b, OP_PUT, NULL), ERR_BAD_INPUT);
	batch_free(&b);
	/* NULL time index */
	struct fx_row rows[] = {{"a", 1, 1, false, 1, false}};
	fx_batch(rows, 1, &b);
	colvec_set_null(&b.cols[1], 0);
	assert_int_equal(region_write(r, &b, OP_PUT, NULL), ERR_BAD_INPUT);
	batch_free(&b);
	struct fx_rows got;
	assert_int_equal(fx_scan_all(r, &got), ERR_OK);
	assert_int_equal(got.n, 0);
	fx_rows_free(&got);
	region_close(r);
}

static void test_reopen_replays_wal(void **state)
{
	struct env *e = *state;
	struct region *r = create_region(e, false, MERGE_LAST_ROW);
	struct fx_row a[] = {{"a", 1, 1, false, 1, false}, {"b", 2, 2, false, 2, false}};
	write_rows(r, a, 2, OP_PUT);
	assert_int_equal(region_flush(r), ERR_OK);
	struct fx_row b[] = {{"c", 3, 3, false, 3, false}, {"a", 1, 9, false, 9, false}};
	write_rows(r, b, 2, OP_PUT);
	struct fx_rows before;
	assert_int_equal(fx_scan_all(r, &before), ERR_OK);
	region_close(r);
	assert_int_equal(region_open_leader(e->leader_engine, REGION_ID(1024, 0), DIR1, &r), ERR_OK);
	struct fx_rows after;
	assert_int_equal(fx_scan_all(r, &after), ERR_OK);
	assert_int_equal(after.n, 3);
	assert_true(fx_rows_equal(&before, &after));
	/* sequences continue after the replayed ones: a new write still wins */
	struct fx_row c[] = {{"a", 1, 42, false, 42, false}};
	write_rows(r, c, 1, OP_PUT);
	fx_rows_free(&after);
	assert_int_equal(fx_scan_all(r, &after), ERR_OK);
	assert_true(after.rows[0].v == 42);
	fx_rows_free(&before);
	fx_rows_free(&after);
	region_close(r);
}

static void test_follower_fresh_reads(void **state)
{
	struct env *e = *state;
	struct region *l = create_region(e, false, MERGE_LAST_ROW);
	struct region *f = NULL;
	assert_int_equal(region_open_follower(e->follower_engine, REGION_ID(1024, 0), DIR1, 0, &f),
			 ERR_OK);
	assert_int_equal(region_role(f), REGION_ROLE_FOLLOWER);
	struct fx_row a[] = {{"a", 1, 1, false, 1, false}, {"b", 2, 2, false, 2, false}};
	write_rows(l, a, 2, OP_PUT);
	assert_int_equal(region_flush(l), ERR_OK);
	struct fx_row b[] = {{"a", 1, 5, false, 5, false}, {"c", 3, 3, false, 3, false}};
	write_rows(l, b, 2, OP_PUT);
	/* a follower write is refused */
	struct batch wb;
	fx_batch(a, 1, &wb);
	assert_int_equal(region_write(f, &wb, OP_PUT, NULL), ERR_READONLY);
	batch_free(&wb);
	/* without leader rows, the follower sees only its installed SSTs */
	struct fx_rows got;
	assert_int_equal(fx_scan_all(f, &got), ERR_OK);
	assert_int_equal(got.n, 0);
	fx_rows_free(&got);
	/* fresh read: snapshot from the leader, merged on the follower */
	uint64_t v;
	struct batch rows;
	assert_int_equal(region_snapshot(l, NULL, &v, &rows), ERR_OK);
	assert_int_equal(rows.nrows, 2);
	struct sorted_source *src;
	assert_int_equal(region_follower_scan(f, NULL, v, &rows, &src), ERR_OK);
	assert_int_equal(fx_collect(src, &got), ERR_OK);
	struct fx_rows want;
	assert_int_equal(fx_scan_all(l, &want), ERR_OK);
	assert_int_equal(want.n, 3);
	assert_true(fx_rows_equal(&got, &want));
	struct region_stat st;
	region_get_stat(f, &st);
	assert_int_equal(st.manifest_version, v);
	batch_free(&rows);
	fx_rows_free(&got);
	fx_rows_free(&want);
	region_close(f);
	region_close(l);
}

static void test_compaction_and_gc(void **state)
{
	struct env *e = *state;
	struct region *l = create_region(e, false, MERGE_LAST_ROW);
	for (int i = 0; i < 5; i++) {
		struct fx_row a[] = {{"a", i, i, false, i, false}, {"a", 0, 100 + i, false, i, false}};
		write_rows(l, a, 2, OP_PUT);
		assert_int_equal(region_flush(l), ERR_OK);
	}
	struct region *f = NULL;
	assert_int_equal(region_open_follower(e->follower_engine, REGION_ID(1024, 0), DIR1, 0, &f),
			 ERR_OK);
	struct region_stat st;
	region_get_stat(l, &st);
	assert_int_equal(st.sst_num, 5);
	uint64_t follower_version = st.manifest_version;
	struct fx_rows before;
	assert_int_equal(fx_scan_all(l, &before), ERR_OK);
	assert_int_equal(region_compact(l, true), ERR_OK);
	region_get_stat(l, &st);
	assert_int_equal(st.sst_num, 1);
	assert_int_equal(st.pending_deletes, 5);
	struct fx_rows after;
	assert_int_equal(fx_scan_all(l, &after), ERR_OK);
	assert_true(fx_rows_equal(&before, &after));
	fx_rows_free(&after);
	/* the follower still reads the old version: GC must keep its files */
	clock_sleep_ms(5);
	assert_int_equal(region_gc(l, clock_now_ms(), follower_version), ERR_OK);
	region_get_stat(l, &st);
	assert_int_equal(st.pending_deletes, 5);
	assert_int_equal(fx_scan_all(f, &after), ERR_OK);
	assert_true(fx_rows_equal(&before, &after));
	fx_rows_free(&after);
	/* once the follower installed the new version the files can go */
	region_get_stat(l, &st);
	assert_int_equal(region_install(f, st.manifest_version), ERR_OK);
	assert_int_equal(region_gc(l, clock_now_ms(), st.manifest_version), ERR_OK);
	region_get_stat(l, &st);
	assert_int_equal(st.pending_deletes, 0);
	assert_int_equal(fx_scan_all(f, &after), ERR_OK);
	assert_true(fx_rows_equal(&before, &after));
	struct objstore_list lst;
	assert_int_equal(objstore_list(e->store, DIR1, &lst), ERR_OK);
	int parquet = 0;
	for (size_t i = 0; i < lst.n; i++)
		parquet += strstr(lst.keys[i], ".parquet") != NULL;
	assert_int_equal(parquet, 1);
	objstore_list_free(&lst);
	fx_rows_free(&before);
	fx_rows_free(&after);
	region_close(f);
	region_close(l);
}

static void test_truncate_and_drop(void **state)
{
	struct env *e = *state;
	struct region *l = create_region(e, false, MERGE_LAST_ROW);
	struct fx_row a[] = {{"a", 1, 1, false, 1, false}};
	write_rows(l, a, 1, OP_PUT);
	assert_int_equal(region_flush(l), ERR_OK);
	write_rows(l, a, 1, OP_PUT);
	assert_int_equal(region_truncate(l), ERR_OK);
	struct fx_rows got;
	assert_int_equal(fx_scan_all(l, &got), ERR_OK);
	assert_int_equal(got.n, 0);
	fx_rows_free(&got);
	/* truncated rows do not come back from the WAL */
	region_close(l);
	assert_int_equal(region_open_leader(e->leader_engine, REGION_ID(1024, 0), DIR1, &l), ERR_OK);
	assert_int_equal(fx_scan_all(l, &got), ERR_OK);
	assert_int_equal(got.n, 0);
	fx_rows_free(&got);
	struct fx_row b[] = {{"z", 9, 9, false, 9, false}};
	write_rows(l, b, 1, OP_PUT);
	assert_int_equal(fx_scan_all(l, &got), ERR_OK);
	assert_int_equal(got.n, 1);
	fx_rows_free(&got);
	assert_int_equal(region_drop(l), ERR_OK);
	region_close(l);
	assert_int_equal(region_open_leader(e->leader_engine, REGION_ID(1024, 0), DIR1, &l),
			 ERR_NOT_FOUND);
}

static void test_append_mode_keeps_duplicates(void **state)
{
	struct env *e = *state;
	struct region *l = create_region(e, true, MERGE_LAST_ROW);
	struct fx_row a[] = {{"a", 1, 1, false, 1, false}, {"a", 1, 2, false, 2, false}};
	write_rows(l, a, 2, OP_PUT);
	assert_int_equal(region_flush(l), ERR_OK);
	write_rows(l, a, 1, OP_PUT);
	struct fx_rows got;
	assert_int_equal(fx_scan_all(l, &got), ERR_OK);
	assert_int_equal(got.n, 3);
	fx_rows_free(&got);
	/* a follower with the leader's rows sees the same three */
	struct region *f = NULL;
	assert_int_equal(region_open_follower(e->follower_engine, REGION_ID(1024, 0), DIR1, 0, &f),
			 ERR_OK);
	uint64_t v;
	struct batch rows;
	assert_int_equal(region_snapshot(l, NULL, &v, &rows), ERR_OK);
	struct sorted_source *src;
	assert_int_equal(region_follower_scan(f, NULL, v, &rows, &src), ERR_OK);
	assert_int_equal(fx_collect(src, &got), ERR_OK);
	assert_int_equal(got.n, 3);
	fx_rows_free(&got);
	batch_free(&rows);
	region_close(f);
	region_close(l);
}

static void test_last_non_null(void **state)
{
	struct env *e = *state;
	struct region *l = create_region(e, false, MERGE_LAST_NON_NULL);
	struct fx_row a[] = {{"a", 1, 1, false, 0, true}};
	write_rows(l, a, 1, OP_PUT);
	assert_int_equal(region_flush(l), ERR_OK);
	struct fx_row b[] = {{"a", 1, 0, true, 7, false}};
	write_rows(l, b, 1, OP_PUT);
	struct fx_rows got;
	assert_int_equal(fx_scan_all(l, &got), ERR_OK);
	assert_int_equal(got.n, 1);
	assert_false(got.rows[0].v_null);
	assert_true(got.rows[0].v == 1);
	assert_int_equal(got.rows[0].n, 7);
	fx_rows_free(&got);
	region_close(l);
}

static void test_time_range_and_tag_filter(void **state)
{
	struct env *e = *state;
	struct region *l = create_region(e, false, MERGE_LAST_ROW);
	struct fx_row a[] = {{"a", 1, 1, false, 1, false}, {"a", 5, 5, false, 5, false},
			     {"b", 5, 6, false, 6, false}};
	write_rows(l, a, 3, OP_PUT);
	assert_int_equal(region_flush(l), ERR_OK);
	struct fx_row b[] = {{"a", 7, 7, false, 7, false}};
	write_rows(l, b, 1, OP_PUT);
	struct scan_request req;
	scan_request_init(&req);
	req.ts_min = 5;
	req.ts_max = 8;
	struct scan_pred p = {.col = 0, .op = PRED_EQ};
	p.lit.type = DT_STRING;
	p.lit.v.s.p = "a";
	p.lit.v.s.n = 1;
	req.npreds = 1;
	req.preds = &p;
	struct sorted_source *src;
	assert_int_equal(region_scan(l, &req, &src), ERR_OK);
	struct fx_rows got;
	assert_int_equal(fx_collect(src, &got), ERR_OK);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.rows[0].ts, 5);
	assert_int_equal(got.rows[1].ts, 7);
	fx_rows_free(&got);
	region_close(l);
}


static void test_ttl_drops_expired_files(void **state)
{
	struct env *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	s->opts.ttl_ms = 3600 * 1000;
	struct region *l = NULL;
	assert_int_equal(region_create(e->leader_engine, REGION_ID(1024, 0), DIR1, s, &l), ERR_OK);
	region_schema_free(s);
	int64_t now = clock_now_ms();
	struct fx_row old[] = {{"a", now - 3 * 3600 * 1000, 1, false, 1, false}};
	write_rows(l, old, 1, OP_PUT);
	assert_int_equal(region_flush(l), ERR_OK);
	struct fx_row fresh[] = {{"a", now, 2, false, 2, false}};
	write_rows(l, fresh, 1, OP_PUT);
	assert_int_equal(region_flush(l), ERR_OK);
	struct region_stat st;
	region_get_stat(l, &st);
	assert_int_equal(st.sst_num, 2);
	assert_int_equal(region_compact(l, false), ERR_OK);
	region_get_stat(l, &st);
	assert_int_equal(st.sst_num, 1);
	assert_int_equal(st.pending_deletes, 1);
	struct fx_rows got;
	assert_int_equal(fx_scan_all(l, &got), ERR_OK);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.rows[0].ts, now);
	fx_rows_free(&got);
	region_close(l);
}

static void test_compaction_triggers_per_time_window(void **state)
{
	struct env *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	s->opts.compaction_window_s = 3600;
	struct region *l = NULL;
	assert_int_equal(region_create(e->leader_engine, REGION_ID(1024, 0), DIR1, s, &l), ERR_OK);
	region_schema_free(s);
	/* three files in hour 0, four in hour 5: only hour 5 reaches the trigger (4) */
	for (int i = 0; i < 7; i++) {
		int64_t hour = i < 3 ? 0 : 5;
		struct fx_row a[] = {{"a", hour * 3600000 + i, i, false, i, false}};
		write_rows(l, a, 1, OP_PUT);
		assert_int_equal(region_flush(l), ERR_OK);
	}
	struct fx_rows before, after;
	assert_int_equal(fx_scan_all(l, &before), ERR_OK);
	assert_int_equal(region_compact(l, false), ERR_OK);
	struct region_stat st;
	region_get_stat(l, &st);
	assert_int_equal(st.sst_num, 4); /* 3 untouched + 1 merged */
	assert_int_equal(st.pending_deletes, 4);
	assert_int_equal(fx_scan_all(l, &after), ERR_OK);
	assert_true(fx_rows_equal(&before, &after));
	fx_rows_free(&before);
	fx_rows_free(&after);
	region_close(l);
}

/* ---- randomized leader/follower equivalence ---------------------------- */

#define KEYS_HOSTS 4
#define KEYS_TS 24

struct model {
	bool present[KEYS_HOSTS][KEYS_TS];
	struct fx_row row[KEYS_HOSTS][KEYS_TS];
};

static void model_rows(const struct model *m, struct fx_rows *out)
{
	memset(out, 0, sizeof(*out));
	for (int h = 0; h < KEYS_HOSTS; h++)
		for (int t = 0; t < KEYS_TS; t++)
			if (m->present[h][t]) {
				void *p = out->rows;
				mem_grow(&p, &out->cap, out->n + 1, sizeof(*out->rows));
				out->rows = p;
				out->rows[out->n++] = m->row[h][t];
			}
}

/* The last row of each host in rows (sorted by host, ts). */
static void last_per_host(const struct fx_rows *in, struct fx_rows *out)
{
	memset(out, 0, sizeof(*out));
	out->rows = calloc(in->n + 1, sizeof(*out->rows));
	for (size_t i = 0; i < in->n; i++)
		if (i + 1 == in->n || strcmp(in->rows[i].host, in->rows[i + 1].host))
			out->rows[out->n++] = in->rows[i];
}

/* Scan with the "last row per series" hint (plus extra predicates), and
 * compare the last row per host of the answer with that of a plain scan. */
static void check_last_hint(struct region *l, const struct scan_pred *extra, uint32_t nextra,
			    int64_t ts_max, bool expect_subset)
{
	struct scan_pred preds[4];
	if (nextra)
		memcpy(preds, extra, nextra * sizeof(*preds));
	scan_hint_last_per_series(1, DT_TS_MS, &preds[nextra]);
	struct scan_request req;
	scan_request_init(&req);
	req.ts_max = ts_max;
	req.preds = preds;
	req.npreds = nextra;
	struct sorted_source *src;
	struct fx_rows full, hinted, a, b;
	assert_int_equal(region_scan(l, &req, &src), ERR_OK);
	assert_int_equal(fx_collect(src, &full), ERR_OK);
	req.npreds = nextra + 1;
	assert_int_equal(region_scan(l, &req, &src), ERR_OK);
	assert_int_equal(fx_collect(src, &hinted), ERR_OK);
	last_per_host(&full, &a);
	last_per_host(&hinted, &b);
	if (!fx_rows_equal(&a, &b)) {
		fx_rows_print("plain scan, last per host", &a);
		fx_rows_print("hinted scan, last per host", &b);
		fail();
	}
	if (expect_subset)
		assert_true(hinted.n == a.n);
	else
		assert_true(fx_rows_equal(&full, &hinted)); /* hint ignored */
	fx_rows_free(&full);
	fx_rows_free(&hinted);
	free(a.rows);
	free(b.rows);
}

/* Last-row-per-series scans stay exact with deletes, duplicates across
 * memtables and SSTs, NULL fields (last_non_null fills), time bounds and
 * tag predicates; a field predicate turns the hint off. */
static void run_last_per_series_hint(struct env *e, enum merge_mode mode)
{
	struct region *l = create_region(e, false, mode);
	srand(77 + (unsigned)mode);
	for (int step = 0; step < 400; step++) {
		int what = rand() % 100;
		struct fx_row rows[6];
		int n = 1 + rand() % 6;
		for (int i = 0; i < n; i++) {
			memset(&rows[i], 0, sizeof(rows[i]));
			snprintf(rows[i].host, sizeof(rows[i].host), "h%d", rand() % 5);
			rows[i].ts = rand() % 12;
			rows[i].v_null = rand() % 4 == 0;
			rows[i].v = rand() % 100;
			rows[i].n_null = rand() % 4 == 0;
			rows[i].n = rand() % 100;
		}
		if (what < 60)
			write_rows(l, rows, (size_t)n, OP_PUT);
		else if (what < 80)
			write_rows(l, rows, (size_t)n, OP_DELETE);
		else if (what < 86)
			assert_int_equal(region_flush(l), ERR_OK);
		else if (what < 88)
			assert_int_equal(region_compact(l, true), ERR_OK);
		if (step % 10)
			continue;
		check_last_hint(l, NULL, 0, INT64_MAX, true);
		check_last_hint(l, NULL, 0, 1 + rand() % 12, true);
		struct scan_pred tag = {.col = 0, .op = PRED_NE};
		tag.lit.type = DT_STRING;
		tag.lit.v.s.p = "h1";
		tag.lit.v.s.n = 2;
		check_last_hint(l, &tag, 1, INT64_MAX, true);
		struct scan_pred field = {.col = 2, .op = PRED_GT};
		field.lit.type = DT_FLOAT64;
		field.lit.v.f = 50;
		check_last_hint(l, &field, 1, INT64_MAX, false);
	}
	region_close(l);
}

static void test_last_per_series_hint(void **state)
{
	run_last_per_series_hint(*state, MERGE_LAST_ROW);
}

static void test_last_per_series_hint_last_non_null(void **state)
{
	run_last_per_series_hint(*state, MERGE_LAST_NON_NULL);
}

static void test_randomized_follower_matches_leader(void **state)
{
	struct env *e = *state;
	struct region *l = create_region(e, false, MERGE_LAST_ROW);
	struct region *f = NULL;
	assert_int_equal(region_open_follower(e->follower_engine, REGION_ID(1024, 0), DIR1, 0, &f),
			 ERR_OK);
	struct model *m = calloc(1, sizeof(*m));
	unsigned seed = (unsigned)clock_now_us();
	const char *env_seed = getenv("STRATA_SEED");
	if (env_seed)
		seed = (unsigned)strtoul(env_seed, NULL, 10);
	srand(seed);
	int steps = 2500, checks = 0;
	for (int step = 0; step < steps; step++) {
		int what = rand() % 100;
		if (what < 55) { /* a batch of puts */
			struct fx_row rows[8];
			int n = 1 + rand() % 8;
			for (int i = 0; i < n; i++) {
				int h = rand() % KEYS_HOSTS, t = rand() % KEYS_TS;
				memset(&rows[i], 0, sizeof(rows[i]));
				snprintf(rows[i].host, sizeof(rows[i].host), "host_%d", h);
				rows[i].ts = t;
				rows[i].v_null = rand() % 5 == 0;
				rows[i].v = rand() % 1000;
				rows[i].n_null = rand() % 5 == 0;
				rows[i].n = rand();
				m->present[h][t] = true;
				m->row[h][t] = rows[i];
			}
			write_rows(l, rows, (size_t)n, OP_PUT);
		} else if (what < 70) { /* deletes */
			struct fx_row rows[3];
			int n = 1 + rand() % 3;
			for (int i = 0; i < n; i++) {
				int h = rand() % KEYS_HOSTS, t = rand() % KEYS_TS;
				memset(&rows[i], 0, sizeof(rows[i]));
				snprintf(rows[i].host, sizeof(rows[i].host), "host_%d", h);
				rows[i].ts = t;
				rows[i].v_null = rows[i].n_null = true;
				m->present[h][t] = false;
			}
			write_rows(l, rows, (size_t)n, OP_DELETE);
		} else if (what < 80) {
			assert_int_equal(region_flush(l), ERR_OK);
		} else if (what < 84) {
			assert_int_equal(region_compact(l, rand() % 2), ERR_OK);
		} else {
			/* the follower installs at random and reads with the leader's rows */
			if (rand() % 2) {
				struct region_stat st;
				region_get_stat(l, &st);
				assert_int_equal(region_install(f, st.manifest_version), ERR_OK);
			}
			uint64_t v;
			struct batch rows;
			assert_int_equal(region_snapshot(l, NULL, &v, &rows), ERR_OK);
			struct sorted_source *src;
			assert_int_equal(region_follower_scan(f, NULL, v, &rows, &src), ERR_OK);
			struct fx_rows got, lead, want;
			assert_int_equal(fx_collect(src, &got), ERR_OK);
			batch_free(&rows);
			assert_int_equal(fx_scan_all(l, &lead), ERR_OK);
			model_rows(m, &want);
			if (!fx_rows_equal(&lead, &want) || !fx_rows_equal(&got, &lead)) {
				fprintf(stderr, "mismatch at step %d (seed %u)\n", step, seed);
				fx_rows_print("model", &want);
				fx_rows_print("leader", &lead);
				fx_rows_print("follower", &got);
				fail();
			}
			checks++;
			fx_rows_free(&got);
			fx_rows_free(&lead);
			fx_rows_free(&want);
		}
	}
	assert_true(checks > 300);
	free(m);
	region_close(f);
	region_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_dir_format),
		cmocka_unit_test_setup_teardown(test_write_scan_dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_per_series_hint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_per_series_hint_last_non_null, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_batches_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_replays_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follower_fresh_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_and_gc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_and_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_mode_keeps_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_non_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_range_and_tag_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_drops_expired_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_triggers_per_time_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_randomized_follower_matches_leader, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
