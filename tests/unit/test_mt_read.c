/*
 * Tests of the memtable read paths: the per-series row order kept at
 * write time (memtable.c: a write appends rows in order while each
 * series' ts increases; a scan sorts and merges the rest), and the
 * region's choice of how to read each memtable (region.c
 * query_memtables_locked: memtables outside the request's time range are
 * left out, an only-source memtable reads lean, a memtable whose time range
 * meets no other source's applies the field predicates itself).
 *
 * Every answer is compared with a brute-force model (fixed seeds):
 *   - memtable scans: every version of every row in (host, ts asc, seq
 *     desc) order, over writes that are mostly in ts order per series
 *     with duplicates (equal ts: overwrites), late rows, deletes, sequence
 *     windows, time ranges and host predicates, scans between writes, on
 *     the active and the frozen memtable, and writes that run out of
 *     memory (all or nothing);
 *   - region scans (merge mode last_row): the deduplicated rows, after
 *     field predicates, for SST + memtable regions with time-ordered
 *     ingest, overwrites and deletes of rows already flushed, late rows,
 *     and last-row-per-series scans.
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
#include "storage/memtable.h"
#include "storage/pred.h"
#include "storage/region.h"

#define NHOSTS 9

/* A written row as the model keeps it. */
struct mrow {
	struct fx_row r;
	uint64_t seq;
	int op;
};

struct model {
	struct mrow *rows;
	size_t n, cap;
};

static void model_add(struct model *md, const struct fx_row *r, uint64_t seq, int op)
{
	if (md->n == md->cap) {
		md->cap = md->cap ? md->cap * 2 : 1024;
		md->rows = realloc(md->rows, md->cap * sizeof(*md->rows));
		assert_non_null(md->rows);
	}
	md->rows[md->n++] = (struct mrow){*r, seq, op};
}

static int cmp_version(const void *pa, const void *pb)
{
	const struct mrow *a = pa, *b = pb;
	int c = strcmp(a->r.host, b->r.host);
	if (c)
		return c;
	if (a->r.ts != b->r.ts)
		return a->r.ts < b->r.ts ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

/* Per-host cursors: rows come mostly in ts order, like a live feed. */
struct feed {
	int64_t next_ts[NHOSTS];
};

/* n rows: each for a random host, at its next ts (usually later than its
 * last; with late_pct > 0, late_pct % at an earlier ts and 3 % at the
 * same ts as its last row - an overwrite). */
static void feed_rows(struct feed *fd, struct fx_row *rows, uint32_t n, uint32_t late_pct)
{
	for (uint32_t i = 0; i < n; i++) {
		struct fx_row *x = &rows[i];
		memset(x, 0, sizeof(*x));
		uint32_t h = fx_rndn(NHOSTS);
		snprintf(x->host, sizeof(x->host), "h%u", h);
		uint32_t k = fx_rndn(100);
		if (k < late_pct)
			x->ts = fd->next_ts[h] - 10 * (int64_t)(1 + fx_rndn(40)); /* late */
		else if (late_pct && k < late_pct + 3)
			x->ts = fd->next_ts[h] - 10; /* the last one again */
		else
			x->ts = fd->next_ts[h], fd->next_ts[h] += 10 * (int64_t)(1 + fx_rndn(2));
		x->v = (double)fx_rndn(1000) / 4;
		x->v_null = fx_rndn(9) == 0;
		x->n = (int64_t)fx_rndn(100000) - 50000;
		x->n_null = fx_rndn(7) == 0;
	}
}

/* ---- memtable scans against the model ---------------------------------- */

struct mt_fx {
	struct region_schema *s;
	struct memtable *m;
	struct model md;
	struct feed fd;
	uint64_t seq;
};

static void mt_write(struct mt_fx *f, uint32_t n, uint32_t late_pct, int op)
{
	struct fx_row rows[64];
	assert_true(n <= 64);
	feed_rows(&f->fd, rows, n, late_pct);
	struct batch b;
	fx_batch(rows, n, &b);
	assert_int_equal(memtable_write(f->m, &b, f->seq, (enum op_type)op), ERR_OK);
	batch_free(&b);
	for (uint32_t i = 0; i < n; i++)
		model_add(&f->md, &rows[i], f->seq + i, op);
	f->seq += n + fx_rndn(2);
}

/* A random request: time range, host EQ / IN, seq window. */
struct mreq {
	struct scan_request req;
	struct scan_pred pred;
	struct datum list[2];
	char names[2][8];
	uint64_t lo, hi;
};

static void random_mreq(struct mreq *q, uint64_t maxseq, int64_t maxts)
{
	memset(q, 0, sizeof(*q));
	scan_request_init(&q->req);
	q->lo = 0;
	q->hi = UINT64_MAX;
	if (fx_rndn(3) == 0) {
		q->lo = fx_rndn((uint32_t)maxseq + 1);
		q->hi = q->lo + fx_rndn((uint32_t)maxseq + 1);
	}
	if (fx_rndn(2)) {
		q->req.ts_min = (int64_t)fx_rndn((uint32_t)maxts + 1) - 50;
		q->req.ts_max = q->req.ts_min + (int64_t)fx_rndn((uint32_t)maxts + 1);
	}
	uint32_t kind = fx_rndn(3);
	if (kind) {
		uint32_t nn = kind == 1 ? 1 : 2;
		for (uint32_t k = 0; k < nn; k++) {
			snprintf(q->names[k], sizeof(q->names[k]), "h%u", fx_rndn(NHOSTS + 1));
			q->list[k] = (struct datum){.type = DT_STRING,
						    .v.s = {q->names[k], (uint32_t)strlen(q->names[k])}};
		}
		q->pred.col = 0;
		if (kind == 1) {
			q->pred.op = PRED_EQ;
			q->pred.lit = q->list[0];
		} else {
			q->pred.op = PRED_IN;
			q->pred.lit.type = DT_STRING;
			q->pred.list = q->list;
			q->pred.nlist = 2;
		}
		q->req.preds = &q->pred;
		q->req.npreds = 1;
	}
}

static bool mreq_matches(const struct mreq *q, const struct mrow *x)
{
	if (x->seq <= q->lo || x->seq > q->hi || x->r.ts < q->req.ts_min ||
	    x->r.ts >= q->req.ts_max)
		return false;
	if (!q->req.npreds)
		return true;
	struct datum d = {.type = DT_STRING, .v.s = {x->r.host, (uint32_t)strlen(x->r.host)}};
	return pred_match_datum(&q->pred, &d);
}

/* Scan f's memtable with q and compare with the model, version by
 * version, in order. */
static void mt_check(struct mt_fx *f, const struct mreq *q)
{
	struct mrow *want = malloc((f->md.n + 1) * sizeof(*want));
	assert_non_null(want);
	size_t nw = 0;
	for (size_t i = 0; i < f->md.n; i++)
		if (mreq_matches(q, &f->md.rows[i]))
			want[nw++] = f->md.rows[i];
	qsort(want, nw, sizeof(*want), cmp_version);
	bool want_unique = true; /* no delete, no two versions of one identity */
	for (size_t i = 0; i < nw; i++)
		if (want[i].op == OP_DELETE ||
		    (i && want[i].r.ts == want[i - 1].r.ts && !strcmp(want[i].r.host, want[i - 1].r.host)))
			want_unique = false;
	struct sorted_source *src;
	bool unique = !want_unique;
	assert_int_equal(memtable_scan_ex(f->m, &q->req, q->lo, q->hi, NULL, &src, &unique), ERR_OK);
	assert_int_equal(unique, want_unique);
	size_t at = 0;
	const struct batch *b;
	while (sorted_source_next(src, &b) == ERR_OK && b) {
		for (uint32_t i = 0; i < b->nrows; i++, at++) {
			assert_true(at < nw);
			const struct mrow *w = &want[at];
			uint32_t len;
			const char *h = colvec_bytes(&b->cols[0], i, &len);
			if (len != strlen(w->r.host) || memcmp(h, w->r.host, len) ||
			    b->cols[1].i64[i] != w->r.ts || (uint64_t)b->cols[5].i64[i] != w->seq)
				fail_msg("row %zu: got %.*s ts %lld seq %lld, want %s ts %lld seq %llu", at,
					 (int)len, h, (long long)b->cols[1].i64[i],
					 (long long)b->cols[5].i64[i], w->r.host, (long long)w->r.ts,
					 (unsigned long long)w->seq);
			assert_int_equal(b->cols[6].i64[i], w->op);
			assert_int_equal(colvec_is_null(&b->cols[2], i), w->r.v_null);
			if (!w->r.v_null)
				assert_true(b->cols[2].f64[i] == w->r.v);
			assert_int_equal(colvec_is_null(&b->cols[3], i), w->r.n_null);
			if (!w->r.n_null)
				assert_int_equal(b->cols[3].i64[i], w->r.n);
		}
	}
	sorted_source_close(src);
	assert_int_equal(at, nw);
	free(want);
}

static void mt_fx_init(struct mt_fx *f)
{
	memset(f, 0, sizeof(*f));
	f->s = fx_schema(false, MERGE_LAST_ROW);
	assert_int_equal(memtable_create(f->s, &f->m), ERR_OK);
	f->seq = 1;
	for (uint32_t h = 0; h < NHOSTS; h++)
		f->fd.next_ts[h] = 1000 + 10 * (int64_t)fx_rndn(50);
}

static void mt_fx_free(struct mt_fx *f)
{
	memtable_free(f->m);
	region_schema_free(f->s);
	free(f->md.rows);
}

static int64_t feed_max(const struct mt_fx *f)
{
	int64_t m = 0;
	for (uint32_t h = 0; h < NHOSTS; h++)
		if (f->fd.next_ts[h] > m)
			m = f->fd.next_ts[h];
	return m;
}

/* Mostly in-order writes, scans between them: the order kept at write
 * time and the rows a scan sorts in agree with a full sort. */
static void test_write_order(void **state)
{
	(void)state;
	for (uint32_t trial = 0; trial < 24; trial++) {
		fx_seed(0x9E3779B97F4A7C15ull + trial);
		struct mt_fx f;
		mt_fx_init(&f);
		/* trial 0..5: strictly in order (no late row, no repeat) */
		uint32_t late = trial < 6 ? 0 : fx_rndn(3) == 0 ? 20 : 3;
		uint32_t nbatches = 10 + fx_rndn(60);
		for (uint32_t bi = 0; bi < nbatches; bi++) {
			int op = trial >= 6 && fx_rndn(12) == 0 ? OP_DELETE : OP_PUT;
			if (trial < 6) {
				struct fx_row rows[64];
				uint32_t n = 1 + fx_rndn(64);
				for (uint32_t i = 0; i < n; i++) { /* strictly increasing per host */
					uint32_t h = fx_rndn(NHOSTS);
					memset(&rows[i], 0, sizeof(rows[i]));
					snprintf(rows[i].host, sizeof(rows[i].host), "h%u", h);
					rows[i].ts = f.fd.next_ts[h];
					f.fd.next_ts[h] += 10;
					rows[i].v = (double)fx_rndn(100);
					rows[i].n_null = true;
				}
				struct batch b;
				fx_batch(rows, n, &b);
				assert_int_equal(memtable_write(f.m, &b, f.seq, OP_PUT), ERR_OK);
				batch_free(&b);
				for (uint32_t i = 0; i < n; i++)
					model_add(&f.md, &rows[i], f.seq + i, OP_PUT);
				f.seq += n;
			} else {
				mt_write(&f, 1 + fx_rndn(64), late, op);
			}
			if (fx_rndn(4) == 0) {
				struct mreq q;
				random_mreq(&q, f.seq, feed_max(&f));
				mt_check(&f, &q);
			}
		}
		struct mreq all;
		random_mreq(&all, f.seq, feed_max(&f));
		scan_request_init(&all.req);
		all.lo = 0;
		all.hi = UINT64_MAX;
		mt_check(&f, &all);
		if (trial < 6) { /* in order: unique, so a lean scan may pass it through */
			struct memtable_scan_opts o = {.lean_if_unique = true};
			struct sorted_source *src;
			bool unique = false;
			assert_int_equal(memtable_scan_ex(f.m, NULL, 0, UINT64_MAX, &o, &src, &unique),
					 ERR_OK);
			assert_true(unique);
			sorted_source_close(src);
		}
		memtable_freeze(f.m);
		mt_check(&f, &all);
		for (int k = 0; k < 6; k++) {
			struct mreq q;
			random_mreq(&q, f.seq, feed_max(&f));
			mt_check(&f, &q);
		}
		mt_fx_free(&f);
	}
}

/* Rows with one ts written again and again, in one batch and across
 * batches: the newest version comes first, whatever the arrival. */
static void test_equal_ts_versions(void **state)
{
	(void)state;
	fx_seed(77);
	struct mt_fx f;
	mt_fx_init(&f);
	for (int round = 0; round < 30; round++) {
		struct fx_row rows[8];
		uint32_t n = 1 + fx_rndn(8);
		for (uint32_t i = 0; i < n; i++) {
			memset(&rows[i], 0, sizeof(rows[i]));
			strcpy(rows[i].host, fx_rndn(2) ? "h1" : "h2");
			rows[i].ts = 5000 + 10 * (int64_t)fx_rndn(3) + (round > 20 ? 1000 : 0);
			rows[i].v = round;
		}
		struct batch b;
		fx_batch(rows, n, &b);
		assert_int_equal(memtable_write(f.m, &b, f.seq, OP_PUT), ERR_OK);
		batch_free(&b);
		for (uint32_t i = 0; i < n; i++)
			model_add(&f.md, &rows[i], f.seq + i, OP_PUT);
		f.seq += n;
		if (round % 3 == 0) {
			struct mreq q;
			random_mreq(&q, f.seq, 7000);
			mt_check(&f, &q);
			scan_request_init(&q.req);
			q.lo = 0;
			q.hi = UINT64_MAX;
			mt_check(&f, &q);
		}
	}
	mt_fx_free(&f);
}

/* Batches from two clients arrive swapped (each series' rows of batch
 * k + 1 before those of batch k: inserted in place among the newest rows),
 * now and then a row from far back (beyond the insert window: sorted by
 * the next scan), with scans in between and after freezing. */
static void test_swapped_batches(void **state)
{
	(void)state;
	for (uint32_t trial = 0; trial < 6; trial++) {
		fx_seed(0xABCDEF12ull + trial);
		struct mt_fx f;
		mt_fx_init(&f);
		uint32_t per = 8 + fx_rndn(120); /* rows per series per batch */
		int64_t t0 = 100000;
		for (uint32_t k = 0; k < 24; k += 2) {
			for (int half = 1; half >= 0; half--) { /* batch k + 1, then k */
				uint32_t bk = k + (uint32_t)half, n = per * 3;
				struct fx_row *rows = calloc(n + 1, sizeof(*rows));
				for (uint32_t i = 0; i < n; i++) { /* time-major, 3 hosts */
					snprintf(rows[i].host, sizeof(rows[i].host), "h%u", i % 3);
					rows[i].ts = t0 + 10 * (int64_t)(bk * per + i / 3);
					rows[i].v = (double)fx_rndn(1000);
					rows[i].n = (int64_t)bk;
				}
				if (fx_rndn(3) == 0) { /* a row from far back, or a repeat */
					rows[n] = rows[fx_rndn(n)];
					rows[n].ts = fx_rndn(2) ? t0 - 10 * (int64_t)fx_rndn(3000) : rows[n].ts;
					n++;
				}
				struct batch b;
				fx_batch(rows, n, &b);
				assert_int_equal(memtable_write(f.m, &b, f.seq, OP_PUT), ERR_OK);
				batch_free(&b);
				for (uint32_t i = 0; i < n; i++)
					model_add(&f.md, &rows[i], f.seq + i, OP_PUT);
				f.seq += n;
				free(rows);
			}
			if (fx_rndn(3) == 0) {
				struct mreq q;
				random_mreq(&q, f.seq, t0 + 10 * 24 * (int64_t)per);
				mt_check(&f, &q);
			}
		}
		struct mreq all;
		random_mreq(&all, f.seq, 1);
		scan_request_init(&all.req);
		all.lo = 0;
		all.hi = UINT64_MAX;
		all.req.npreds = 0;
		mt_check(&f, &all);
		memtable_freeze(f.m);
		mt_check(&f, &all);
		mt_fx_free(&f);
	}
}

/* A write that runs out of memory anywhere (series ids included) leaves
 * no row behind, and later writes and scans are exact. */
static void test_oom_write_order(void **state)
{
	(void)state;
	fx_seed(4242);
	struct mt_fx f;
	mt_fx_init(&f);
	int failures = 0;
	for (long k = 0; k < 300; k++) {
		struct fx_row rows[48];
		uint32_t n = 1 + fx_rndn(48);
		feed_rows(&f.fd, rows, n, 5);
		/* new hosts now and then: a series' first ids, then its growth */
		if (fx_rndn(3) == 0)
			snprintf(rows[0].host, sizeof(rows[0].host), "n%u", (unsigned)k % 1000u);
		struct batch b;
		fx_batch(rows, n, &b);
		mem_fail_after(fx_rndn(6));
		int rc = memtable_write(f.m, &b, f.seq, OP_PUT);
		mem_fail_after(-1);
		batch_free(&b);
		if (rc == ERR_OK) {
			for (uint32_t i = 0; i < n; i++)
				model_add(&f.md, &rows[i], f.seq + i, OP_PUT);
			f.seq += n;
		} else {
			assert_int_equal(rc, ERR_NOMEM);
			failures++;
		}
		assert_true(memtable_num_rows(f.m) == f.md.n);
		if (k % 25 == 0) {
			struct mreq q;
			random_mreq(&q, f.seq, feed_max(&f));
			mt_check(&f, &q);
		}
	}
	assert_true(failures > 0);
	struct mreq all;
	random_mreq(&all, f.seq, feed_max(&f));
	scan_request_init(&all.req);
	all.lo = 0;
	all.hi = UINT64_MAX;
	all.req.npreds = 0;
	mt_check(&f, &all);
	mt_fx_free(&f);
}

/* ---- region scans against the model ------------------------------------ */

struct env {
	char *dir;
	char path[512];
	struct objstore *store;
	struct region_engine *eng;
	struct region *r;
	struct model md;
	struct feed fd;
	uint64_t seq;
};

static const char *DIR1 = "data/greptime/public/1024/1024_0000000077/";

static void env_open(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->dir = fx_tempdir("mt_read");
	snprintf(e->path, sizeof(e->path), "%s/objects", e->dir);
	assert_int_equal(objstore_open_fs(e->path, &e->store), ERR_OK);
	char wal[600];
	snprintf(wal, sizeof(wal), "%s/wal", e->dir);
	struct region_engine_options o = {.store = e->store, .wal_dir = wal, .gc_lingering_ms = 1,
					  .sst_row_group_rows = 200 + fx_rndn(800)};
	assert_int_equal(region_engine_open(&o, &e->eng), ERR_OK);
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	assert_int_equal(region_create(e->eng, 77, DIR1, s, &e->r), ERR_OK);
	region_schema_free(s);
	e->seq = 1;
	for (uint32_t h = 0; h < NHOSTS; h++)
		e->fd.next_ts[h] = 1000;
}

static void env_close(struct env *e)
{
	region_close(e->r);
	region_engine_close(e->eng);
	objstore_close(e->store);
	fx_rmrf(e->dir);
	mem_free(e->dir);
	free(e->md.rows);
}

static void env_write(struct env *e, struct fx_row *rows, uint32_t n, int op)
{
	struct batch b;
	fx_batch(rows, n, &b);
	uint64_t last = 0;
	assert_int_equal(region_write(e->r, &b, (enum op_type)op, &last), ERR_OK);
	batch_free(&b);
	for (uint32_t i = 0; i < n; i++)
		model_add(&e->md, &rows[i], last - n + 1 + i, op);
}

/* The answer of a last_row region: per identity the newest version, if a
 * put. */
static size_t model_answer(const struct model *md, struct mrow *out)
{
	struct mrow *all = malloc((md->n + 1) * sizeof(*all));
	assert_non_null(all);
	memcpy(all, md->rows, md->n * sizeof(*all));
	qsort(all, md->n, sizeof(*all), cmp_version);
	size_t n = 0;
	for (size_t i = 0; i < md->n; i++) {
		if (i && !strcmp(all[i].r.host, all[i - 1].r.host) && all[i].r.ts == all[i - 1].r.ts)
			continue; /* an older version */
		if (all[i].op == OP_PUT)
			out[n++] = all[i];
	}
	free(all);
	return n;
}

struct rreq {
	struct scan_request req;
	struct scan_pred preds[3];
	char name[8];
};

static void random_rreq(struct rreq *q, int64_t maxts)
{
	memset(q, 0, sizeof(*q));
	scan_request_init(&q->req);
	q->req.preds = q->preds;
	if (fx_rndn(5)) {
		q->req.ts_min = 1000 + (int64_t)fx_rndn((uint32_t)(maxts - 1000) + 20) - 10;
		q->req.ts_max = q->req.ts_min + 10 + (int64_t)fx_rndn((uint32_t)(maxts - 1000) / 2 + 10);
	}
	if (fx_rndn(2)) {
		snprintf(q->name, sizeof(q->name), "h%u", fx_rndn(NHOSTS));
		q->preds[q->req.npreds++] = (struct scan_pred){
		    .col = 0,
		    .op = PRED_EQ,
		    .lit = {.type = DT_STRING, .v.s = {q->name, (uint32_t)strlen(q->name)}}};
	}
	if (fx_rndn(2)) { /* a comparison on the double field */
		static const enum pred_op ops[] = {PRED_GT, PRED_GE, PRED_LT, PRED_LE, PRED_EQ, PRED_NE};
		q->preds[q->req.npreds++] = (struct scan_pred){
		    .col = 2, .op = ops[fx_rndn(6)], .lit = {.type = DT_FLOAT64, .v.f = (double)fx_rndn(250)}};
	}
}

static bool rreq_matches(const struct rreq *q, const struct mrow *x)
{
	if (x->r.ts < q->req.ts_min || x->r.ts >= q->req.ts_max)
		return false;
	for (uint32_t k = 0; k < q->req.npreds; k++) {
		const struct scan_pred *p = &q->req.preds[k];
		if (p->col == 0 && strcmp(x->r.host, q->name))
			return false;
		if (p->col == 2) {
			double v = x->r.v, l = p->lit.v.f;
			bool ok = p->op == PRED_GT ? v > l : p->op == PRED_GE ? v >= l
			        : p->op == PRED_LT ? v < l : p->op == PRED_LE ? v <= l
			        : p->op == PRED_EQ ? v == l : v != l;
			if (x->r.v_null || !ok)
				return false;
		}
	}
	return true;
}

/* region_scan(q) returns, in (host, ts) order, the model's answer rows q
 * selects; true when its batches left __primary_key empty (lean). */
static bool region_check(struct env *e, const struct rreq *q)
{
	struct mrow *ans = malloc((e->md.n + 1) * sizeof(*ans));
	assert_non_null(ans);
	size_t na = model_answer(&e->md, ans), nw = 0;
	for (size_t i = 0; i < na; i++)
		if (rreq_matches(q, &ans[i]))
			ans[nw++] = ans[i];
	struct sorted_source *src;
	assert_int_equal(region_scan(e->r, &q->req, &src), ERR_OK);
	const struct batch *b;
	size_t at = 0;
	bool lean = false;
	int rc;
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		lean |= b->nrows && b->cols[4].len == 0;
		for (uint32_t i = 0; i < b->nrows; i++, at++) {
			assert_true(at < nw);
			uint32_t len;
			const char *h = colvec_bytes(&b->cols[0], i, &len);
			const struct mrow *w = &ans[at];
			if (len != strlen(w->r.host) || memcmp(h, w->r.host, len) ||
			    b->cols[1].i64[i] != w->r.ts)
				fail_msg("row %zu: got %.*s ts %lld, want %s ts %lld", at, (int)len, h,
					 (long long)b->cols[1].i64[i], w->r.host, (long long)w->r.ts);
			assert_int_equal(colvec_is_null(&b->cols[2], i), w->r.v_null);
			if (!w->r.v_null)
				assert_true(b->cols[2].f64[i] == w->r.v);
			assert_int_equal(colvec_is_null(&b->cols[3], i), w->r.n_null);
			if (!w->r.n_null)
				assert_int_equal(b->cols[3].i64[i], w->r.n);
		}
	}
	assert_int_equal(rc, ERR_OK);
	sorted_source_close(src);
	assert_int_equal(at, nw);
	free(ans);
	return lean;
}

/* Last-row-per-series scan (hint) over the whole range: per host, its
 * newest surviving row. */
static void region_check_last(struct env *e)
{
	struct mrow *ans = malloc((e->md.n + 1) * sizeof(*ans));
	assert_non_null(ans);
	size_t na = model_answer(&e->md, ans);
	struct scan_pred hint;
	scan_hint_last_per_series(1, DT_TS_MS, &hint);
	struct scan_request req;
	scan_request_init(&req);
	req.preds = &hint;
	req.npreds = 1;
	struct sorted_source *src;
	assert_int_equal(region_scan(e->r, &req, &src), ERR_OK);
	/* the region may return more than the last rows: take each host's last */
	char last_host[16] = "";
	int64_t got_ts[NHOSTS + 1];
	for (uint32_t h = 0; h <= NHOSTS; h++)
		got_ts[h] = INT64_MIN;
	const struct batch *b;
	while (sorted_source_next(src, &b) == ERR_OK && b)
		for (uint32_t i = 0; i < b->nrows; i++) {
			uint32_t len;
			const char *h = colvec_bytes(&b->cols[0], i, &len);
			snprintf(last_host, sizeof(last_host), "%.*s", (int)len, h);
			uint32_t hi = (uint32_t)atoi(last_host + 1);
			assert_true(hi < NHOSTS);
			if (b->cols[1].i64[i] > got_ts[hi])
				got_ts[hi] = b->cols[1].i64[i];
		}
	sorted_source_close(src);
	int64_t want_ts[NHOSTS + 1];
	for (uint32_t h = 0; h <= NHOSTS; h++)
		want_ts[h] = INT64_MIN;
	for (size_t i = 0; i < na; i++) {
		uint32_t hi = (uint32_t)atoi(ans[i].r.host + 1);
		if (ans[i].r.ts > want_ts[hi])
			want_ts[hi] = ans[i].r.ts;
	}
	for (uint32_t h = 0; h < NHOSTS; h++)
		assert_true(got_ts[h] == want_ts[h]);
	free(ans);
}

static int64_t env_max(const struct env *e)
{
	int64_t m = 0;
	for (uint32_t h = 0; h < NHOSTS; h++)
		if (e->fd.next_ts[h] > m)
			m = e->fd.next_ts[h];
	return m;
}

/*
 * Time-ordered ingest: slabs flushed to SSTs, the newest left in the
 * memtable; then, per trial, overwrites and deletes of flushed rows (the
 * memtable's range then meets the files': no exclusive read), or late
 * rows. Requests inside the memtable's range alone read it as the only
 * source (lean, seen in the batches); requests over files and memtable
 * read the memtable exclusively while the ranges are disjoint.
 */
static void test_region_memtable_paths(void **state)
{
	(void)state;
	uint32_t lean_seen = 0, trials = 16;
	for (uint32_t trial = 0; trial < trials; trial++) {
		fx_seed(0xC0FFEEull * (trial + 1));
		struct env e;
		env_open(&e);
		uint32_t nslabs = 1 + fx_rndn(3);
		for (uint32_t s = 0; s <= nslabs; s++) {
			for (uint32_t bi = 0; bi < 4; bi++) {
				struct fx_row rows[64];
				feed_rows(&e.fd, rows, 64, 0);
				env_write(&e, rows, 64, OP_PUT);
			}
			if (s < nslabs)
				assert_int_equal(region_flush(e.r), ERR_OK);
		}
		int64_t file_hi = INT64_MIN; /* newest flushed ts */
		for (size_t i = 0; i < e.md.n; i++)
			if (e.md.rows[i].seq <= e.md.n - 256 && e.md.rows[i].r.ts > file_hi)
				file_hi = e.md.rows[i].r.ts;
		for (int k = 0; k < 40; k++) {
			struct rreq q;
			random_rreq(&q, env_max(&e));
			region_check(&e, &q);
		}
		/* a request inside the memtable's rows only: the only source */
		struct rreq q;
		random_rreq(&q, env_max(&e));
		q.req.ts_min = file_hi + 1;
		q.req.ts_max = env_max(&e) + 100;
		lean_seen += region_check(&e, &q);
		region_check_last(&e);
		/* now rows that reach back into flushed slabs */
		uint32_t kind = trial % 3;
		struct fx_row rows[32];
		for (uint32_t i = 0; i < 32; i++) {
			const struct mrow *old = &e.md.rows[fx_rndn((uint32_t)e.md.n)];
			rows[i] = old->r;
			rows[i].v = (double)fx_rndn(250);
			rows[i].v_null = fx_rndn(5) == 0;
			if (kind == 2)
				rows[i].ts += 3; /* a late row: a new identity */
		}
		env_write(&e, rows, 32, kind == 1 ? OP_DELETE : OP_PUT);
		for (int k = 0; k < 40; k++) {
			random_rreq(&q, env_max(&e));
			region_check(&e, &q);
		}
		region_check_last(&e);
		assert_int_equal(region_flush(e.r), ERR_OK);
		for (int k = 0; k < 10; k++) {
			random_rreq(&q, env_max(&e));
			region_check(&e, &q);
		}
		env_close(&e);
	}
	assert_true(lean_seen > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_order),
		cmocka_unit_test(test_equal_ts_versions),
		cmocka_unit_test(test_swapped_batches),
		cmocka_unit_test(test_oom_write_order),
		cmocka_unit_test(test_region_memtable_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
