/*
 * Tests of the disjoint scan (region.c) and the read paths it uses: with
 * the hint "any series order" (merge.h) a region whose sources (memtables
 * and SSTs) have pairwise disjoint time ranges, clipped to the request's,
 * deduplicates each source on its own and hands them out one after
 * another; unique sources read lean (no internal column), SSTs from the
 * decoded column cache as views of their per-series runs (sst_decoded.c).
 *
 * Every hinted scan is compared with the merged scan of the same request
 * (as a multiset of rows) on random regions of every merge mode - files in
 * disjoint time slabs (time-ordered ingest), late rows that make sources
 * overlap (the merge must run), duplicates and deletes inside a slab
 * (deduplicated per source), field predicates (after dedup), rows left in
 * the memtable - and each series' rows of a hinted scan must come in ts
 * order. Whether the disjoint path ran is visible in the batches: lean
 * sources leave __primary_key empty, the merge fills it. A late row that
 * widens a source's range: sources with no row in the request are read
 * ahead and left out (disjoint path), never under a field predicate (an
 * overwrite that fails it still hides the older row that passes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/column.h"
#include "base/err.h"
#include "base/mem.h"
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/merge.h"
#include "storage/pred.h"
#include "storage/region.h"

static int setup(void **state)
{
	struct fx_engine *e = calloc(1, sizeof(*e));
	/* small row groups: series cross row group boundaries */
	/* sometimes a tiny SST cache: files and their decoded columns are
	 * evicted while scans still read them */
	struct region_engine_options o = {.gc_lingering_ms = 1,
					  .sst_row_group_rows = 300 + fx_rndn(1500),
					  .sst_cache_bytes = fx_rndn(2) ? 0 : 20000 + fx_rndn(100000)};
	assert_int_equal(fx_engine_open("disjoint", o, e), ERR_OK);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct fx_engine *e = *state;
	fx_engine_close(e);
	free(e);
	return 0;
}

static const char *DIR1 = "data/greptime/public/1024/1024_0000000099/";
#define NHOSTS 12
#define SLAB 1000 /* timestamps (x 10 ms) per time slab */

static void write_rows(struct region *r, struct fx_row *rows, uint32_t n, enum op_type op)
{
	struct batch b;
	fx_batch(rows, n, &b);
	assert_int_equal(region_write(r, &b, op, NULL), ERR_OK);
	batch_free(&b);
}

/* Unique rows: every host, every `step`-th timestamp of slab k. */
static void write_unique(struct region *r, uint32_t k, uint32_t step)
{
	uint32_t per = SLAB / step, n = per * NHOSTS;
	struct fx_row *rows = calloc(n, sizeof(*rows));
	bool nulls = fx_rndn(2); /* a file without NULLs is read through run views */
	for (uint32_t i = 0; i < n; i++) {
		struct fx_row *x = &rows[i];
		fx_host_name(x->host, i % NHOSTS); /* time-major, like line protocol */
		x->ts = ((int64_t)k * SLAB + (int64_t)(i / NHOSTS) * step) * 10;
		x->v = (double)fx_rndn(1000) / 8;
		x->v_null = nulls && fx_rndn(7) == 0;
		x->n = (int64_t)fx_rndn(1000);
		x->n_null = nulls && fx_rndn(5) == 0;
	}
	write_rows(r, rows, n, OP_PUT);
	free(rows);
}

/* n random rows of op in slab k (duplicate identities likely). */
static void write_random(struct region *r, uint32_t k, uint32_t n, enum op_type op)
{
	struct fx_row *rows = calloc(n, sizeof(*rows));
	for (uint32_t i = 0; i < n; i++) {
		struct fx_row *x = &rows[i];
		fx_host_name(x->host, fx_rndn(NHOSTS));
		x->ts = ((int64_t)k * SLAB + (int64_t)fx_rndn(SLAB)) * 10;
		x->v = (double)fx_rndn(1000) / 8;
		x->v_null = fx_rndn(4) == 0;
		x->n = (int64_t)fx_rndn(1000);
		x->n_null = fx_rndn(4) == 0;
	}
	write_rows(r, rows, n, op);
	free(rows);
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct fx_row *a = pa, *b = pb;
	int c = strcmp(a->host, b->host);
	if (c)
		return c;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->v_null != b->v_null)
		return a->v_null ? -1 : 1;
	if (!a->v_null && a->v != b->v)
		return a->v < b->v ? -1 : 1;
	if (a->n_null != b->n_null)
		return a->n_null ? -1 : 1;
	if (!a->n_null && a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return 0;
}

struct scan_info {
	uint32_t batches, lean; /* batches, and those with __primary_key empty */
	bool ts_order;          /* each host's rows in ts order (non-decreasing) */
};

/* Drain a scan into rows sorted canonically, noting what the batches show. */
static void collect(struct sorted_source *src, struct fx_rows *out, struct scan_info *si)
{
	memset(si, 0, sizeof(*si));
	si->ts_order = true;
	int64_t last[NHOSTS + 1];
	for (uint32_t h = 0; h <= NHOSTS; h++)
		last[h] = INT64_MIN;
	struct fx_rows raw;
	memset(&raw, 0, sizeof(raw));
	raw.cap = 1024;
	raw.rows = mem_calloc(raw.cap, sizeof(struct fx_row));
	assert_non_null(raw.rows);
	const struct batch *b;
	int rc;
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		si->batches++;
		uint32_t pk = b->ncols - 3; /* __primary_key */
		si->lean += b->nrows && b->cols[pk].len == 0;
		for (uint32_t i = 0; i < b->nrows; i++) {
			if (raw.n == raw.cap) {
				raw.cap *= 2;
				raw.rows = realloc(raw.rows, raw.cap * sizeof(struct fx_row));
				assert_non_null(raw.rows);
			}
			struct fx_row *x = &raw.rows[raw.n++];
			memset(x, 0, sizeof(*x));
			uint32_t len;
			const char *h = colvec_bytes(&b->cols[0], i, &len);
			assert_true(len < sizeof(x->host));
			memcpy(x->host, h, len);
			x->ts = b->cols[1].i64[i];
			x->v_null = b->cols[2].len == 0 || colvec_is_null(&b->cols[2], i);
			x->v = x->v_null ? 0 : b->cols[2].f64[i];
			x->n_null = b->cols[3].len == 0 || colvec_is_null(&b->cols[3], i);
			x->n = x->n_null ? 0 : b->cols[3].i64[i];
			uint32_t hi = (uint32_t)atoi(x->host + 1);
			assert_true(hi < NHOSTS);
			if (x->ts < last[hi])
				si->ts_order = false;
			last[hi] = x->ts;
		}
	}
	assert_int_equal(rc, ERR_OK);
	sorted_source_close(src);
	qsort(raw.rows, raw.n, sizeof(struct fx_row), row_cmp);
	*out = raw;
}

struct rq {
	struct scan_request req;
	struct scan_pred preds[4];
	struct datum list[3];
	char names[3][16];
};

static void random_request(struct rq *q)
{
	memset(q, 0, sizeof(*q));
	scan_request_init(&q->req);
	q->req.preds = q->preds;
	if (fx_rndn(5)) {
		int64_t lo = (int64_t)fx_rndn(7 * SLAB) - SLAB / 2, hi = lo + (int64_t)fx_rndn(3 * SLAB);
		/* bounds on row timestamps (multiples of 10) half of the time */
		q->req.ts_min = fx_rndn(6) ? lo * 10 + (fx_rndn(2) ? 0 : (int64_t)fx_rndn(3) - 1) : INT64_MIN;
		q->req.ts_max = fx_rndn(6) ? hi * 10 + (fx_rndn(2) ? 0 : (int64_t)fx_rndn(3) - 1) : INT64_MAX;
		if (fx_rndn(3) == 0) { /* also as predicates, as the SQL layer pushes them */
			q->preds[q->req.npreds++] = (struct scan_pred){
			    .col = 1, .op = PRED_GE, .lit = {.type = DT_TS_MS, .v.i = q->req.ts_min}};
		}
	}
	uint32_t kind = fx_rndn(4); /* 0, 1: none, 2 EQ, 3 IN */
	if (kind >= 2) {
		uint32_t nh = kind == 2 ? 1 : 1 + fx_rndn(3);
		for (uint32_t k = 0; k < nh; k++) {
			fx_host_name(q->names[k], fx_rndn(NHOSTS + 1));
			q->list[k] = (struct datum){.type = DT_STRING,
						    .v.s = {q->names[k],
							    (uint32_t)strlen(q->names[k])}};
		}
		struct scan_pred *p = &q->preds[q->req.npreds++];
		p->col = 0;
		if (kind == 2) {
			p->op = PRED_EQ;
			p->lit = q->list[0];
		} else {
			p->op = PRED_IN;
			p->nlist = nh;
			p->list = q->list;
			p->lit.type = DT_STRING;
		}
	}
	if (fx_rndn(4) == 0) /* a field predicate: applied after dedup */
		q->preds[q->req.npreds++] = (struct scan_pred){
		    .col = 2, .op = PRED_GT, .lit = {.type = DT_FLOAT64, .v.f = (double)fx_rndn(1000) / 8}};
}

/* Row x passes q (time range and the predicates random_request makes). */
static bool row_matches(const struct rq *q, const struct fx_row *x)
{
	if (x->ts < q->req.ts_min || x->ts >= q->req.ts_max)
		return false;
	for (uint32_t k = 0; k < q->req.npreds; k++) {
		const struct scan_pred *p = &q->req.preds[k];
		if (p->col == 1 && x->ts < p->lit.v.i)
			return false;
		if (p->col == 2 && (x->v_null || !(x->v > p->lit.v.f)))
			return false;
		if (p->col == 0) {
			uint32_t n = p->op == PRED_IN ? p->nlist : 1;
			bool hit = false;
			for (uint32_t j = 0; j < n; j++) {
				const struct datum *d = p->op == PRED_IN ? &p->list[j] : &p->lit;
				hit |= strlen(x->host) == d->v.s.n && !memcmp(x->host, d->v.s.p, d->v.s.n);
			}
			if (!hit)
				return false;
		}
	}
	return true;
}

/* The region's whole content (an unfiltered, unhinted scan), canonical. */
static struct fx_rows g_all;

/* The hinted scan of q and the merged one both equal the rows of the
 * whole content q selects; returns what the hinted scan showed. */
static struct scan_info check_one(struct region *r, struct rq *q)
{
	struct sorted_source *src = NULL;
	struct fx_rows want, got;
	struct scan_info wi, gi;
	assert_int_equal(region_scan(r, &q->req, &src), ERR_OK);
	collect(src, &want, &wi);
	struct fx_rows exp = {.rows = mem_calloc(g_all.n + 1, sizeof(struct fx_row)),
			      .cap = g_all.n + 1};
	assert_non_null(exp.rows);
	for (size_t i = 0; i < g_all.n; i++)
		if (row_matches(q, &g_all.rows[i]))
			exp.rows[exp.n++] = g_all.rows[i];
	if (!fx_rows_equal(&want, &exp)) {
		fprintf(stderr, "merged scan: ts [%lld, %lld) npreds %u\n", (long long)q->req.ts_min,
			(long long)q->req.ts_max, q->req.npreds);
		fx_rows_print("merged", &want);
		fx_rows_print("expected", &exp);
	}
	assert_true(fx_rows_equal(&want, &exp));
	fx_rows_free(&exp);
	struct scan_request h = q->req;
	struct scan_pred preds[5];
	memcpy(preds, q->req.preds, q->req.npreds * sizeof(preds[0]));
	scan_hint_any_order(1, DT_TS_MS, &preds[h.npreds++]);
	h.preds = preds;
	assert_true(scan_req_any_order(1, &h));
	assert_false(scan_req_any_order(1, &q->req));
	assert_int_equal(region_scan(r, &h, &src), ERR_OK);
	collect(src, &got, &gi);
	if (!fx_rows_equal(&got, &want)) {
		fprintf(stderr, "ts [%lld, %lld) npreds %u\n", (long long)q->req.ts_min,
			(long long)q->req.ts_max, q->req.npreds);
		fx_rows_print("hinted", &got);
		fx_rows_print("merged", &want);
	}
	assert_true(fx_rows_equal(&got, &want));
	assert_true(gi.ts_order);
	fx_rows_free(&got);
	fx_rows_free(&want);
	return gi;
}

/* hinted scans of the random tests: all batches lean, some, none */
static uint32_t n_all_lean, n_some_lean, n_merged;

static void load_all(struct region *r)
{
	struct sorted_source *src = NULL;
	struct scan_info ai;
	assert_int_equal(region_scan(r, NULL, &src), ERR_OK);
	collect(src, &g_all, &ai);
}

static void check_region(struct region *r, int nq)
{
	load_all(r);
	for (int i = 0; i < nq; i++) {
		struct rq q;
		random_request(&q);
		check_one(r, &q);
		/* again: SSTs from the decoded column cache */
		struct scan_info si = check_one(r, &q);
		if (si.batches && si.lean == si.batches)
			n_all_lean++;
		else if (si.lean)
			n_some_lean++;
		else if (si.batches)
			n_merged++;
	}
	fx_rows_free(&g_all);
}

static void random_region(struct fx_engine *e, uint32_t num, bool append, enum merge_mode mode)
{
	struct region_schema *s = fx_schema(append, mode);
	struct region *r = NULL;
	char dir[128];
	snprintf(dir, sizeof(dir), "data/greptime/public/1024/1024_%010u/", num);
	assert_int_equal(region_create(e->eng, REGION_ID(1024, num), dir, s, &r), ERR_OK);
	region_schema_free(s);
	for (uint32_t k = 0; k < 6; k++) {
		switch (fx_rndn(4)) {
		case 0:
		case 1: /* time-ordered ingest: a unique slab */
			write_unique(r, k, fx_rndn(3) ? 1 : 2);
			break;
		case 2: /* duplicates and deletes inside the slab */
			write_random(r, k, 500 + fx_rndn(1500), OP_PUT);
			write_random(r, k, 100 + fx_rndn(300), OP_DELETE);
			write_random(r, k, 200 + fx_rndn(500), OP_PUT);
			break;
		default: /* the slab, then late rows into an older one */
			write_unique(r, k, 2);
			if (k)
				write_random(r, fx_rndn(k), 50 + fx_rndn(200), fx_rndn(3) ? OP_PUT : OP_DELETE);
			break;
		}
		check_region(r, 8);
		if (fx_rndn(4)) {
			assert_int_equal(region_flush(r), ERR_OK);
			check_region(r, 8);
		}
	}
	assert_int_equal(region_compact(r, true), ERR_OK);
	check_region(r, 10);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
	/* every kind of layout came up */
	assert_true(n_all_lean > 0 && n_some_lean > 0 && n_merged > 0);
}

static void test_random_last_row(void **state)
{
	for (uint32_t i = 0; i < 3; i++)
		random_region(*state, i, false, MERGE_LAST_ROW);
}

static void test_random_last_non_null(void **state)
{
	for (uint32_t i = 0; i < 3; i++)
		random_region(*state, i, false, MERGE_LAST_NON_NULL);
}

static void test_random_append(void **state)
{
	for (uint32_t i = 0; i < 2; i++)
		random_region(*state, i, true, MERGE_LAST_ROW);
}

/* A full-range request over the region with the hint. */
static struct scan_info hinted_all(struct region *r, int64_t lo, int64_t hi)
{
	struct rq q;
	memset(&q, 0, sizeof(q));
	scan_request_init(&q.req);
	q.req.preds = q.preds;
	q.req.ts_min = lo;
	q.req.ts_max = hi;
	load_all(r);
	struct scan_info si = check_one(r, &q);
	fx_rows_free(&g_all);
	return si;
}

/* Which path ran, on fixed layouts: disjoint unique sources read lean;
 * overlapping ones, or a range that puts a non-unique source in, merge. */
static void test_paths(void **state)
{
	struct fx_engine *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->eng, REGION_ID(1024, 99), DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	/* slabs 0 and 1 in files, slab 2 in the memtable: all unique */
	write_unique(r, 0, 1);
	assert_int_equal(region_flush(r), ERR_OK);
	write_unique(r, 1, 1);
	assert_int_equal(region_flush(r), ERR_OK);
	write_unique(r, 2, 1);
	struct scan_info si = hinted_all(r, INT64_MIN, INT64_MAX);
	assert_true(si.batches > 0);
	assert_int_equal(si.lean, si.batches);
	/* a series' rows come from three sources: not in key order, yet in
	 * ts order per series (checked by check_one) */
	si = hinted_all(r, 5000, 25000);
	assert_int_equal(si.lean, si.batches);
	/* slab 3: duplicates (a non-unique memtable): deduplicated on its
	 * own, through a merge of that source alone */
	assert_int_equal(region_flush(r), ERR_OK);
	write_random(r, 3, 800, OP_PUT);
	si = hinted_all(r, INT64_MIN, INT64_MAX);
	assert_true(si.lean > 0 && si.lean < si.batches);
	/* a range that leaves slab 3 out: lean again */
	si = hinted_all(r, 0, 3 * SLAB * 10);
	assert_int_equal(si.lean, si.batches);
	assert_int_equal(region_flush(r), ERR_OK);
	/* a late delete into slab 0: the memtable overlaps the first file */
	struct fx_row late = {.ts = 5000};
	fx_host_name(late.host, 3);
	write_rows(r, &late, 1, OP_DELETE);
	si = hinted_all(r, INT64_MIN, INT64_MAX);
	assert_true(si.batches > 0);
	assert_int_equal(si.lean, 0); /* the merge ran: keys filled */
	/* ... unless the range leaves slab 0 out */
	si = hinted_all(r, SLAB * 10, 3 * SLAB * 10);
	assert_true(si.batches > 0);
	assert_int_equal(si.lean, si.batches);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* A hinted request with a field predicate (v > 10). */
static struct scan_info hinted_field_pred(struct region *r, int64_t lo, int64_t hi)
{
	struct rq q;
	memset(&q, 0, sizeof(q));
	scan_request_init(&q.req);
	q.req.preds = q.preds;
	q.req.ts_min = lo;
	q.req.ts_max = hi;
	q.preds[q.req.npreds++] = (struct scan_pred){
	    .col = 2, .op = PRED_GT, .lit = {.type = DT_FLOAT64, .v.f = 10}};
	load_all(r);
	struct scan_info si = check_one(r, &q);
	fx_rows_free(&g_all);
	return si;
}

/* One late row widens a source's range over its neighbours': a source
 * whose range overlaps another's but that holds no row of the request is
 * read ahead and left out (disjoint path, lean), unless a field predicate
 * is in the request; one that holds rows there still merges. */
static void test_late_row_read_ahead(void **state)
{
	struct fx_engine *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->eng, REGION_ID(1024, 98), DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	write_unique(r, 0, 1);
	assert_int_equal(region_flush(r), ERR_OK);
	write_unique(r, 1, 1);
	assert_int_equal(region_flush(r), ERR_OK);
	write_unique(r, 2, 1);
	/* an overwrite into slab 0: the memtable spans slabs 0 to 2 */
	struct fx_row late = {.ts = 5000, .v = 99};
	fx_host_name(late.host, 3);
	write_rows(r, &late, 1, OP_PUT);
	for (int flushed = 0; flushed < 2; flushed++) {
		/* slab 1: the memtable (then its file) has no row there */
		struct scan_info si = hinted_all(r, SLAB * 10, 2 * SLAB * 10);
		assert_true(si.batches > 0);
		assert_int_equal(si.lean, si.batches);
		si = hinted_all(r, SLAB * 10 + 55, 2 * SLAB * 10 - 33);
		assert_true(si.batches > 0);
		assert_int_equal(si.lean, si.batches);
		/* a field predicate: the ranges decide (merged) */
		si = hinted_field_pred(r, SLAB * 10, 2 * SLAB * 10);
		assert_true(si.batches > 0);
		assert_int_equal(si.lean, 0);
		/* slabs 1 and 2: the newest source has rows there: merged */
		si = hinted_all(r, SLAB * 10, 3 * SLAB * 10);
		assert_int_equal(si.lean, 0);
		/* slab 0 with the overwrite (check_one: the new value wins) */
		si = hinted_all(r, 0, SLAB * 10);
		assert_int_equal(si.lean, 0);
		si = hinted_all(r, 4000, 6000);
		assert_int_equal(si.lean, 0);
		/* around the late row, without it: lean */
		si = hinted_all(r, 5001, SLAB * 10);
		assert_int_equal(si.lean, si.batches);
		assert_int_equal(region_flush(r), ERR_OK);
	}
	/* an overwrite that fails the field predicate hides the file's row
	 * that passes it: the memtable, empty under the predicate, must not
	 * be left out */
	load_all(r);
	struct fx_row ow;
	memset(&ow, 0, sizeof(ow));
	for (size_t i = 0; i < g_all.n && !ow.host[0]; i++)
		if (g_all.rows[i].ts >= SLAB * 10 && g_all.rows[i].ts < 2 * SLAB * 10 &&
		    !g_all.rows[i].v_null && g_all.rows[i].v > 10)
			ow = g_all.rows[i];
	fx_rows_free(&g_all);
	assert_true(ow.host[0] != '\0');
	ow.v = 1;
	write_rows(r, &ow, 1, OP_PUT);
	struct scan_info si = hinted_field_pred(r, SLAB * 10, 2 * SLAB * 10);
	assert_int_equal(si.lean, 0);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* Sources whose ranges touch (a file's newest ts is the memtable's
 * oldest) overlap: an overwrite at that ts must win over the file's row. */
static void test_touching_ranges(void **state)
{
	struct fx_engine *e = *state;
	enum merge_mode modes[2] = {MERGE_LAST_ROW, MERGE_LAST_NON_NULL};
	for (uint32_t m = 0; m < 2; m++) {
		struct region_schema *s = fx_schema(false, modes[m]);
		struct region *r = NULL;
		char dir[128];
		snprintf(dir, sizeof(dir), "data/greptime/public/1024/1024_%010u/", 50 + m);
		assert_int_equal(region_create(e->eng, REGION_ID(1024, 50 + m), dir, s, &r), ERR_OK);
		region_schema_free(s);
		struct fx_row a[2] = {{.ts = 0, .v = 1}, {.ts = 1000, .v = 1, .n = 7}};
		fx_host_name(a[0].host, 3);
		fx_host_name(a[1].host, 3);
		write_rows(r, a, 2, OP_PUT);
		assert_int_equal(region_flush(r), ERR_OK);
		struct fx_row b[2] = {{.ts = 1000, .v = 2, .n_null = true}, {.ts = 2000, .v = 3}};
		fx_host_name(b[0].host, 3);
		fx_host_name(b[1].host, 3);
		write_rows(r, b, 2, OP_PUT);
		struct scan_info si = hinted_all(r, INT64_MIN, INT64_MAX);
		assert_int_equal(si.lean, 0); /* merged */
		si = hinted_all(r, 0, 1000);    /* the file alone */
		assert_int_equal(si.lean, si.batches);
		si = hinted_all(r, 1000, 3000); /* both, at ts 1000 */
		assert_int_equal(si.lean, 0);
		si = hinted_all(r, 1001, 3000); /* the memtable alone */
		assert_int_equal(si.lean, si.batches);
		/* the same with a delete at the shared ts */
		struct fx_row d = {.ts = 1000};
		fx_host_name(d.host, 3);
		write_rows(r, &d, 1, OP_DELETE);
		assert_int_equal(region_flush(r), ERR_OK);
		si = hinted_all(r, INT64_MIN, INT64_MAX);
		assert_int_equal(si.lean, 0);
		assert_int_equal(region_drop(r), ERR_OK);
		region_close(r);
	}
}

int main(void)
{
	fx_seed(0x2545f4914f6cdd1dull);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touching_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_row_read_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_last_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_last_non_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_append, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
