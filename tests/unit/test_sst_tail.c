/*
 * Tests of SST tail summaries (sst.h SST_KV_TAIL): sst_write stores per
 * file the rows tail mode returns for the whole file, and a last-row scan
 * whose time range and predicates cannot cut a summarised tail answers
 * from it without reading data pages. Randomized files (many series,
 * overwrites, deletes hiding newest puts, several versions of one
 * identity, compaction outputs) are read through the summary and compared
 * exactly with the tail computed from a full read of the same file, and by
 * last visible row per series with the page-based tail; time bounds that
 * cut a tail fall back to pages; a file without a summary (written before
 * it existed, or over the size cap) reads pages; files written under an
 * older schema fill added fields from the summary and fall back when keys
 * need padding; region scans over several files stay exact. Hostile
 * summaries (bad base64, garbage, wrong columns or types, unsorted rows,
 * truncation) give ERR_CORRUPT on open, never a crash (run under ASan in
 * build-asan), while scans that do not use the summary still read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/column_codec.h"
#include "base/err.h"
#include "base/mem.h"
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/memtable.h"
#include "storage/parquet.h"
#include "storage/pred.h"
#include "storage/region.h"
#include "storage/sst.h"

struct env {
	struct fx_engine fx;
	struct sst_cache *cache;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct region_engine_options o = {.gc_lingering_ms = 1,
					  .sst_row_group_rows = 1000 + fx_rndn(2000)};
	assert_int_equal(fx_engine_open("ssttail", o, &e->fx), ERR_OK);
	assert_int_equal(sst_cache_create(64u << 20, &e->cache), ERR_OK);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	sst_cache_free(e->cache);
	fx_engine_close(&e->fx);
	free(e);
	return 0;
}

static const char *DIR1 = "data/greptime/public/1024/1024_0000000000/";
#define NHOSTS 30

/* n random rows of op over hosts h00.. and timestamps (ts0 + [0, span)) x 10 */
static void write_random(struct region *r, uint32_t n, enum op_type op, uint32_t nhosts,
			 int64_t ts0, uint32_t span)
{
	struct fx_row *rows = calloc(n, sizeof(*rows));
	for (uint32_t i = 0; i < n; i++) {
		struct fx_row *x = &rows[i];
		if (fx_rndn(60) == 0)
			x->host[0] = '\0';
		else
			fx_host_name(x->host, fx_rndn(nhosts));
		x->ts = (ts0 + (int64_t)fx_rndn(span)) * 10;
		x->v = (double)fx_rndn(1000) / 8;
		x->v_null = fx_rndn(5) == 0;
		x->n = (int64_t)fx_rndn(1u << 30);
		x->n_null = fx_rndn(4) == 0;
	}
	struct batch b;
	fx_batch(rows, n, &b);
	assert_int_equal(region_write(r, &b, op, NULL), ERR_OK);
	batch_free(&b);
	free(rows);
}

/* ---- raw rows of a source (versions and deletes included) ------------- */

struct xrow {
	char host[16];
	int64_t ts;
	uint64_t seq;
	int64_t op;
	bool v_null, n_null, m_null;
	double v;
	int64_t n, m;
};

struct xrows {
	struct xrow *r;
	size_t n, cap;
};

/* Drain src (internal layout of s; fields v, n and, when s has it, m at
 * column 4) into out, closing src. */
static void collect(const struct region_schema *s, struct sorted_source *src, struct xrows *out)
{
	memset(out, 0, sizeof(*out));
	const struct batch *b;
	int rc;
	uint32_t pk = s->ncols;
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		for (uint32_t i = 0; i < b->nrows; i++) {
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 256;
				out->r = realloc(out->r, out->cap * sizeof(*out->r));
			}
			struct xrow *x = &out->r[out->n++];
			memset(x, 0, sizeof(*x));
			uint32_t len;
			const char *h = colvec_bytes(&b->cols[0], i, &len);
			memcpy(x->host, h, len < 15 ? len : 15);
			x->ts = b->cols[1].i64[i];
			x->seq = (uint64_t)b->cols[pk + 1].i64[i];
			x->op = b->cols[pk + 2].i64[i];
			x->v_null = b->cols[2].len == 0 || colvec_is_null(&b->cols[2], i);
			x->v = x->v_null ? 0 : b->cols[2].f64[i];
			x->n_null = b->cols[3].len == 0 || colvec_is_null(&b->cols[3], i);
			x->n = x->n_null ? 0 : b->cols[3].i64[i];
			if (s->ncols > 4 && s->cols[4].sem == SEM_FIELD) {
				x->m_null = b->cols[4].len == 0 || colvec_is_null(&b->cols[4], i);
				x->m = x->m_null ? 0 : b->cols[4].i64[i];
			}
		}
	}
	assert_int_equal(rc, ERR_OK);
	sorted_source_close(src);
}

static bool xrow_eq(const struct xrow *a, const struct xrow *b)
{
	return !strcmp(a->host, b->host) && a->ts == b->ts && a->seq == b->seq && a->op == b->op &&
	       a->v_null == b->v_null && a->v == b->v && a->n_null == b->n_null && a->n == b->n &&
	       a->m_null == b->m_null && a->m == b->m;
}

static bool xrows_eq(const struct xrows *a, const struct xrows *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!xrow_eq(&a->r[i], &b->r[i]))
			return false;
	return true;
}

/* A request's selection: [lo, hi) and hosts (nh 0 = every host). */
struct sel {
	int64_t lo, hi;
	int64_t lt; /* a time-index predicate ts < lt (INT64_MAX = none) */
	const char *hosts[3];
	uint32_t nh;
};

static bool selected(const struct sel *q, const struct xrow *x)
{
	if (x->ts < q->lo || x->ts >= q->hi || x->ts >= q->lt)
		return false;
	bool hit = q->nh == 0;
	for (uint32_t k = 0; k < q->nh; k++)
		hit |= !strcmp(x->host, q->hosts[k]);
	return hit;
}

/* The exact tail of the selected rows of a full read (sorted by host, ts,
 * seq desc): per host, from its newest ts group whose first row is a put
 * to its end (every selected row when none is). */
static void exact_tail(const struct xrows *all, const struct sel *q, struct xrows *out)
{
	memset(out, 0, sizeof(*out));
	out->r = calloc(all->n + 1, sizeof(*out->r));
	out->cap = all->n + 1;
	size_t start = 0;
	for (size_t i = 0; i < all->n; i++) {
		const struct xrow *x = &all->r[i];
		if (!selected(q, x))
			continue;
		bool new_host = out->n == start || strcmp(out->r[out->n - 1].host, x->host);
		bool new_group = new_host || out->r[out->n - 1].ts != x->ts;
		if (new_host)
			start = out->n;
		else if (new_group && x->op == OP_PUT)
			out->n = start; /* older rows of this host do not matter */
		out->r[out->n++] = *x;
	}
}

/* Per host, the newest ts group's first row when it is a put (the last
 * visible row in last_row mode) of sorted raw rows. */
static void last_visible(const struct xrows *in, struct xrows *out)
{
	memset(out, 0, sizeof(*out));
	out->r = calloc(in->n + 1, sizeof(*out->r));
	out->cap = in->n + 1;
	bool have = false;
	struct xrow best = {0};
	for (size_t i = 0; i < in->n; i++) {
		const struct xrow *x = &in->r[i];
		bool group_first = i == 0 || strcmp(in->r[i - 1].host, x->host) ||
				   in->r[i - 1].ts != x->ts;
		if (i > 0 && strcmp(in->r[i - 1].host, x->host)) {
			if (have)
				out->r[out->n++] = best;
			have = false;
		}
		if (group_first && x->op == OP_PUT) {
			best = *x;
			have = true;
		}
	}
	if (have)
		out->r[out->n++] = best;
}

static void print_rows(const char *label, const struct xrows *x)
{
	fprintf(stderr, "%s (%zu rows):\n", label, x->n);
	for (size_t i = 0; i < x->n && i < 60; i++)
		fprintf(stderr, "  %s ts %lld seq %llu op %lld v %g%s\n", x->r[i].host,
			(long long)x->r[i].ts, (unsigned long long)x->r[i].seq,
			(long long)x->r[i].op, x->r[i].v, x->r[i].v_null ? " (null)" : "");
}

/* ---- files --------------------------------------------------------------- */

struct files {
	struct manifest_file f[64];
	uint32_t n;
};

static void list_files(struct env *e, struct files *out)
{
	out->n = 0;
	struct objstore_list l;
	assert_int_equal(objstore_list(e->fx.store, DIR1, &l), ERR_OK);
	for (size_t i = 0; i < l.n && out->n < 64; i++) {
		const char *k = l.keys[i];
		size_t kl = strlen(k);
		if (kl < 8 || strcmp(k + kl - 8, ".parquet"))
			continue;
		const char *slash = strrchr(k, '/');
		struct manifest_file *f = &out->f[out->n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->file_id, sizeof(f->file_id), "%.*s", (int)(strlen(slash + 1) - 8),
			 slash + 1);
	}
	objstore_list_free(&l);
}

/* The file's bytes and its key-value entry key (strdup'd, NULL if absent). */
static char *file_kv(struct env *e, const struct manifest_file *f, const char *key)
{
	char path[1024];
	sst_path(path, sizeof(path), DIR1, f->file_id);
	uint8_t *bytes = NULL;
	size_t len = 0;
	assert_int_equal(objstore_get(e->fx.store, path, &bytes, &len), ERR_OK);
	struct parquet_reader *pr = NULL;
	assert_int_equal(parquet_reader_open_mem(bytes, len, &pr), ERR_OK);
	const char *v = parquet_reader_kv(pr, key);
	char *out = v ? strdup(v) : NULL;
	parquet_reader_free(pr);
	mem_free(bytes);
	return out;
}

/* Rewrite file f as file_id with the same rows and metadata, except that
 * the tail summary entry is tail_txt (NULL = left out). */
static void rewrite_tail(struct env *e, const struct manifest_file *f, const char *tail_txt,
			 const char *file_id)
{
	char path[1024];
	sst_path(path, sizeof(path), DIR1, f->file_id);
	uint8_t *bytes = NULL;
	size_t len = 0;
	assert_int_equal(objstore_get(e->fx.store, path, &bytes, &len), ERR_OK);
	struct parquet_reader *pr = NULL;
	assert_int_equal(parquet_reader_open_mem(bytes, len, &pr), ERR_OK);
	uint32_t nc = parquet_reader_num_columns(pr);
	struct parquet_column_def defs[16];
	for (uint32_t c = 0; c < nc; c++)
		defs[c] = *parquet_reader_column(pr, c);
	struct parquet_write_options o = {.row_group_rows = 900, .page_rows = 100};
	struct parquet_writer *w = NULL;
	assert_int_equal(parquet_writer_open(defs, nc, &o, &w), ERR_OK);
	for (uint32_t k = 0; k < parquet_reader_kv_count(pr); k++) {
		const char *kk, *vv;
		parquet_reader_kv_at(pr, k, &kk, &vv);
		if (strcmp(kk, SST_KV_TAIL))
			assert_int_equal(parquet_writer_set_kv(w, kk, vv), ERR_OK);
	}
	if (tail_txt)
		assert_int_equal(parquet_writer_set_kv(w, SST_KV_TAIL, tail_txt), ERR_OK);
	struct batch rg = {0};
	for (uint32_t g = 0; g < parquet_reader_num_row_groups(pr); g++) {
		assert_int_equal(parquet_read_row_group(pr, g, NULL, &rg), ERR_OK);
		assert_int_equal(parquet_writer_write(w, &rg), ERR_OK);
	}
	batch_free(&rg);
	struct buf out;
	buf_init(&out);
	assert_int_equal(parquet_writer_finish(w, &out), ERR_OK);
	parquet_writer_free(w);
	parquet_reader_free(pr);
	mem_free(bytes);
	sst_path(path, sizeof(path), DIR1, file_id);
	assert_int_equal(objstore_put(e->fx.store, path, out.data, out.len, 0), ERR_OK);
	buf_free(&out);
}

/* ---- requests --------------------------------------------------------------- */

struct rq {
	struct scan_request req;
	struct scan_pred preds[3];
	struct datum list[3];
	char names[3][16];
	struct sel sel;
};

/* A last-row request: no time bound (often), or bounds that may or may not
 * cut tails; maybe a host EQ / IN. */
static void random_request(struct rq *q, int64_t ts_hi)
{
	memset(q, 0, sizeof(*q));
	scan_request_init(&q->req);
	q->sel.lo = INT64_MIN;
	q->sel.hi = INT64_MAX;
	uint32_t k = fx_rndn(4);
	if (k == 1) { /* wide: holds everything */
		q->sel.lo = -10;
		q->sel.hi = ts_hi + 10;
	} else if (k >= 2) { /* anywhere, often cutting tails */
		q->sel.lo = (int64_t)fx_rndn((uint32_t)ts_hi + 1) - (k == 3 ? 0 : ts_hi);
		q->sel.hi = q->sel.lo + (int64_t)fx_rndn((uint32_t)ts_hi + 1) + 1;
	}
	q->req.ts_min = q->sel.lo;
	q->req.ts_max = q->sel.hi;
	uint32_t kind = fx_rndn(3);
	if (kind) {
		q->sel.nh = kind == 1 ? 1 : 1 + fx_rndn(3);
		for (uint32_t i = 0; i < q->sel.nh; i++) {
			if (fx_rndn(8) == 0)
				q->names[i][0] = '\0';
			else
				snprintf(q->names[i], sizeof(q->names[i]), "h%02u", fx_rndn(NHOSTS + 2));
			q->sel.hosts[i] = q->names[i];
			q->list[i] = (struct datum){.type = DT_STRING,
						    .v.s = {q->names[i], (uint32_t)strlen(q->names[i])}};
		}
		q->preds[0].col = 0;
		if (kind == 1) {
			q->preds[0].op = PRED_EQ;
			q->preds[0].lit = q->list[0];
		} else {
			q->preds[0].op = PRED_IN;
			q->preds[0].nlist = q->sel.nh;
			q->preds[0].list = q->list;
			q->preds[0].lit.type = DT_STRING;
		}
		q->req.npreds = 1;
	}
	q->sel.lt = INT64_MAX;
	if (fx_rndn(6) == 0) { /* a time predicate (not a range): never the summary */
		q->sel.lt = (int64_t)fx_rndn((uint32_t)ts_hi + 20);
		struct scan_pred *p = &q->preds[q->req.npreds++];
		p->col = 1;
		p->op = PRED_LT;
		p->lit = (struct datum){.type = DT_TS_MS, .v.i = q->sel.lt};
	}
	scan_hint_last_per_series(1, DT_TS_MS, &q->preds[q->req.npreds++]);
	q->req.preds = q->preds;
}

/* Tail reads of file f (the only source, cache or not) against a full read
 * of it: through the summary, exactly the file's tail of the selection;
 * either way the same last visible row per host. Returns how many
 * requests were answered from the summary. */
static int check_file(struct env *e, const struct region_schema *s, const struct manifest_file *f,
		      int nq, int64_t ts_hi)
{
	struct sorted_source *src = NULL;
	assert_int_equal(sst_open_source(e->fx.store, NULL, DIR1, s, f, NULL, &src), ERR_OK);
	struct xrows all;
	collect(s, src, &all);
	int used = 0;
	struct sst_open_opts only = {.only_source = true};
	for (int i = 0; i < nq; i++) {
		struct rq q;
		random_request(&q, ts_hi);
		struct xrows want, got, wl, gl;
		exact_tail(&all, &q.sel, &want);
		assert_int_equal(sst_open_source_opts(e->fx.store, fx_rndn(2) ? e->cache : NULL, DIR1, s,
						      f, &q.req, &only, &src),
				 ERR_OK);
		assert_true(sst_source_tail(src));
		bool sum = sst_source_summary(src);
		if (q.sel.lt != INT64_MAX)
			assert_false(sum);
		used += sum;
		collect(s, src, &got);
		if (sum && !xrows_eq(&got, &want)) {
			fprintf(stderr, "query %d: ts [%lld, %lld) nh %u\n", i, (long long)q.sel.lo,
				(long long)q.sel.hi, q.sel.nh);
			print_rows("got", &got);
			print_rows("want", &want);
		}
		if (sum)
			assert_true(xrows_eq(&got, &want));
		last_visible(&got, &gl);
		last_visible(&want, &wl);
		assert_true(xrows_eq(&gl, &wl));
		free(got.r);
		free(want.r);
		free(gl.r);
		free(wl.r);
	}
	free(all.r);
	return used;
}

/* Last-row region scans of every host against the full scan. */
static void check_region(struct region *r)
{
	struct fx_rows all, got, gl, wl;
	assert_int_equal(fx_scan_all(r, &all), ERR_OK);
	struct scan_pred p;
	scan_hint_last_per_series(1, DT_TS_MS, &p);
	struct scan_request req;
	scan_request_init(&req);
	req.preds = &p;
	req.npreds = 1;
	struct sorted_source *src = NULL;
	assert_int_equal(region_scan(r, &req, &src), ERR_OK);
	assert_int_equal(fx_collect(src, &got), ERR_OK);
	/* one row per host of the answer: keep the last */
	memset(&gl, 0, sizeof(gl));
	gl.rows = mem_calloc(got.n + 1, sizeof(struct fx_row));
	for (size_t i = 0; i < got.n; i++)
		if (i + 1 == got.n || strcmp(got.rows[i].host, got.rows[i + 1].host))
			gl.rows[gl.n++] = got.rows[i];
	memset(&wl, 0, sizeof(wl));
	wl.rows = mem_calloc(all.n + 1, sizeof(struct fx_row));
	for (size_t i = 0; i < all.n; i++)
		if (i + 1 == all.n || strcmp(all.rows[i].host, all.rows[i + 1].host))
			wl.rows[wl.n++] = all.rows[i];
	if (!fx_rows_equal(&gl, &wl)) {
		fx_rows_print("got", &gl);
		fx_rows_print("want", &wl);
	}
	assert_true(fx_rows_equal(&gl, &wl));
	fx_rows_free(&got);
	fx_rows_free(&all);
	fx_rows_free(&gl);
	fx_rows_free(&wl);
}

/* Delete the newest row of every other host. */
static void delete_newest(struct region *r)
{
	struct fx_rows all;
	assert_int_equal(fx_scan_all(r, &all), ERR_OK);
	struct fx_row *del = mem_calloc(all.n + 1, sizeof(*del));
	size_t nd = 0;
	for (size_t i = 0; i < all.n; i++)
		if ((i + 1 == all.n || strcmp(all.rows[i].host, all.rows[i + 1].host)) &&
		    all.rows[i].host[0] && all.rows[i].host[2] % 2 == 0)
			del[nd++] = all.rows[i];
	struct batch b;
	fx_batch(del, nd, &b);
	assert_int_equal(region_write(r, &b, OP_DELETE, NULL), ERR_OK);
	batch_free(&b);
	mem_free(del);
	fx_rows_free(&all);
}

/* ---- tests ------------------------------------------------------------------ */

/*
 * Rounds of puts, overwrites (several versions of one identity) and
 * deletes (also of newest rows, several deep), each flushed, then a
 * compaction: every file (flushed or compacted) carries a summary, answers
 * from it when the request allows and matches the full read; region scans
 * over all the files stay exact.
 */
static void test_summary_random(void **state)
{
	struct env *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->fx.eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	int used = 0, total = 0;
	for (int round = 0; round < 5; round++) {
		write_random(r, 1500 + fx_rndn(2000), OP_PUT, NHOSTS, 0, 3000);
		write_random(r, 800, OP_PUT, 3, 2900, 100); /* versions at the end */
		if (round % 2)
			write_random(r, 300 + fx_rndn(500), OP_DELETE, NHOSTS, 0, 3000);
		if (round == 3) {
			delete_newest(r);
			delete_newest(r);
		}
		assert_int_equal(region_flush(r), ERR_OK);
		check_region(r);
		if (round == 2) {
			assert_int_equal(region_compact(r, true), ERR_OK);
			check_region(r);
		}
	}
	assert_int_equal(region_compact(r, true), ERR_OK);
	check_region(r);
	struct files fs;
	list_files(e, &fs);
	assert_true(fs.n >= 5);
	for (uint32_t i = 0; i < fs.n; i++) {
		char *t = file_kv(e, &fs.f[i], SST_KV_TAIL);
		assert_non_null(t); /* flushed and compacted files alike */
		free(t);
		used += check_file(e, s, &fs.f[i], 25, 30000);
		total += 25;
	}
	/* about half the requests have no bound or a wide one */
	assert_true(used >= total / 4);
	assert_true(used < total);
	region_schema_free(s);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* A file without a summary (as written before it existed) reads pages in
 * tail mode and answers like the file with one. */
static void test_summary_absent(void **state)
{
	struct env *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->fx.eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	write_random(r, 5000, OP_PUT, NHOSTS, 0, 3000);
	write_random(r, 1000, OP_DELETE, NHOSTS, 2000, 1000);
	assert_int_equal(region_flush(r), ERR_OK);
	struct files fs;
	list_files(e, &fs);
	assert_int_equal(fs.n, 1);
	struct manifest_file old = fs.f[0];
	snprintf(old.file_id, sizeof(old.file_id), "no-summary");
	rewrite_tail(e, &fs.f[0], NULL, old.file_id);
	struct sst_open_opts only = {.only_source = true};
	for (int i = 0; i < 30; i++) {
		struct rq q;
		random_request(&q, 30000);
		struct sorted_source *a = NULL, *b = NULL;
		assert_int_equal(sst_open_source_opts(e->fx.store, e->cache, DIR1, s, &fs.f[0], &q.req,
						      &only, &a),
				 ERR_OK);
		assert_int_equal(sst_open_source_opts(e->fx.store, e->cache, DIR1, s, &old, &q.req,
						      &only, &b),
				 ERR_OK);
		assert_true(sst_source_tail(b));
		assert_false(sst_source_summary(b));
		if (q.sel.lo == INT64_MIN && q.sel.hi == INT64_MAX && q.sel.lt == INT64_MAX)
			assert_true(sst_source_summary(a));
		struct xrows ga, gb, la, lb;
		collect(s, a, &ga);
		collect(s, b, &gb);
		last_visible(&ga, &la);
		last_visible(&gb, &lb);
		assert_true(xrows_eq(&la, &lb));
		free(ga.r);
		free(gb.r);
		free(la.r);
		free(lb.r);
	}
	/* leaving tail mode before the first read: a full read, no summary */
	struct rq q;
	random_request(&q, 30000);
	struct sorted_source *a = NULL;
	assert_int_equal(sst_open_source_opts(e->fx.store, NULL, DIR1, s, &fs.f[0], &q.req,
					      &(struct sst_open_opts){.tail = true}, &a),
			 ERR_OK);
	sst_source_untail(a);
	assert_false(sst_source_summary(a));
	struct xrows got, all, want;
	collect(s, a, &got);
	assert_int_equal(sst_open_source(e->fx.store, NULL, DIR1, s, &fs.f[0], NULL, &a), ERR_OK);
	collect(s, a, &all);
	want.r = calloc(all.n + 1, sizeof(*want.r));
	want.n = 0;
	for (size_t i = 0; i < all.n; i++)
		if (selected(&q.sel, &all.r[i]))
			want.r[want.n++] = all.r[i];
	assert_true(xrows_eq(&got, &want));
	free(got.r);
	free(all.r);
	free(want.r);
	region_schema_free(s);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* Over the row cap (more series than SST_TAIL_MAX_ROWS = 16384): no
 * summary is written, tail mode reads pages and stays right. */
static void test_summary_cap(void **state)
{
	struct env *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->fx.eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	uint32_t n = 17000;
	struct fx_row *rows = calloc(n, sizeof(*rows));
	for (uint32_t i = 0; i < n; i++) {
		snprintf(rows[i].host, sizeof(rows[i].host), "x%05u", i);
		rows[i].ts = 10 * (int64_t)fx_rndn(100);
		rows[i].v = i;
	}
	struct batch b;
	fx_batch(rows, n, &b);
	assert_int_equal(region_write(r, &b, OP_PUT, NULL), ERR_OK);
	batch_free(&b);
	free(rows);
	assert_int_equal(region_flush(r), ERR_OK);
	struct files fs;
	list_files(e, &fs);
	assert_int_equal(fs.n, 1);
	char *t = file_kv(e, &fs.f[0], SST_KV_TAIL);
	assert_null(t);
	assert_int_equal(check_file(e, s, &fs.f[0], 10, 1000), 0);
	check_region(r);
	region_schema_free(s);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

static struct region_schema *with_col(const struct region_schema *s, const char *name,
				      enum dtype type, bool tag, uint32_t id, const char *def)
{
	struct region_schema *n = region_schema_clone(s);
	n->cols = mem_realloc(n->cols, (n->ncols + 1) * sizeof(*n->cols));
	struct column_schema *c = &n->cols[n->ncols++];
	memset(c, 0, sizeof(*c));
	c->name = mem_strdup(name);
	c->type = type;
	c->sem = tag ? SEM_TAG : SEM_FIELD;
	c->nullable = true;
	c->column_id = id;
	c->default_sql = def ? mem_strdup(def) : NULL;
	if (tag) {
		n->pk_cols = mem_realloc(n->pk_cols, (n->npk + 1) * sizeof(uint32_t));
		n->pk_cols[n->npk++] = n->ncols - 1;
	}
	n->version = s->version + 1;
	return n;
}

/* A file written under the older schema: after ADD COLUMN m DEFAULT 7 its
 * summary answers with m filled (7 on every row); after ADD COLUMN of a
 * tag its keys need padding: no tail mode, no summary. */
static void test_summary_schema(void **state)
{
	struct env *e = *state;
	struct region_schema *s0 = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->fx.eng, REGION_ID(1024, 0), DIR1, s0, &r), ERR_OK);
	write_random(r, 4000, OP_PUT, NHOSTS, 0, 3000);
	write_random(r, 500, OP_DELETE, NHOSTS, 0, 3000);
	assert_int_equal(region_flush(r), ERR_OK);
	struct files fs;
	list_files(e, &fs);
	assert_int_equal(fs.n, 1);
	struct sorted_source *src = NULL;
	assert_int_equal(sst_open_source(e->fx.store, NULL, DIR1, s0, &fs.f[0], NULL, &src), ERR_OK);
	struct xrows all;
	collect(s0, src, &all);
	struct region_schema *s1 = with_col(s0, "m", DT_INT64, false, 4, "7");
	assert_int_equal(region_alter(r, s1), ERR_OK);
	for (size_t i = 0; i < all.n; i++)
		all.r[i].m = 7;
	struct sst_open_opts only = {.only_source = true};
	int used = 0;
	for (int i = 0; i < 30; i++) {
		struct rq q;
		random_request(&q, 30000);
		assert_int_equal(sst_open_source_opts(e->fx.store, e->cache, DIR1, s1, &fs.f[0],
						      &q.req, &only, &src),
				 ERR_OK);
		bool sum = sst_source_summary(src);
		used += sum;
		struct xrows got, want, gl, wl;
		collect(s1, src, &got);
		exact_tail(&all, &q.sel, &want);
		if (sum)
			assert_true(xrows_eq(&got, &want));
		last_visible(&got, &gl);
		last_visible(&want, &wl);
		assert_true(xrows_eq(&gl, &wl));
		free(got.r);
		free(want.r);
		free(gl.r);
		free(wl.r);
	}
	assert_true(used > 0);
	check_region(r);
	struct region_schema *s2 = with_col(s1, "zone", DT_STRING, true, 5, NULL);
	assert_int_equal(region_alter(r, s2), ERR_OK);
	struct rq q;
	random_request(&q, 30000);
	assert_int_equal(
	    sst_open_source_opts(e->fx.store, e->cache, DIR1, s2, &fs.f[0], &q.req, &only, &src),
	    ERR_OK);
	assert_false(sst_source_tail(src));
	assert_false(sst_source_summary(src));
	sorted_source_close(src);
	check_region(r);
	free(all.r);
	region_schema_free(s0);
	region_schema_free(s1);
	region_schema_free(s2);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* Standard padded base64 (the summary's text form). */
static char *b64(const uint8_t *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = calloc(n / 3 * 4 + 8, 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		o[k++] = a[v >> 18 & 63];
		o[k++] = a[v >> 12 & 63];
		o[k++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		o[k++] = i + 2 < n ? a[v & 63] : '=';
	}
	return o;
}

/* base64 of a zstd frame (level 3, as sst_write) of p[0, n) */
static char *zb64(const uint8_t *p, size_t n)
{
	size_t bound = ZSTD_compressBound(n);
	uint8_t *z = malloc(bound);
	size_t zn = ZSTD_compress(z, bound, p, n, 3);
	assert_false(ZSTD_isError(zn));
	char *t = b64(z, zn);
	free(z);
	return t;
}

static char *encode_batch(const struct batch *b)
{
	struct buf x;
	buf_init(&x);
	assert_int_equal(batch_encode(b, &x), ERR_OK);
	char *t = zb64(x.data, x.len);
	buf_free(&x);
	return t;
}

/* Hostile summaries: every one fails a tail-mode open with ERR_CORRUPT
 * naming the summary; opens that do not use it read the file. */
static void test_summary_corrupt(void **state)
{
	struct env *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->fx.eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	write_random(r, 3000, OP_PUT, NHOSTS, 0, 3000);
	assert_int_equal(region_flush(r), ERR_OK);
	struct files fs;
	list_files(e, &fs);
	assert_int_equal(fs.n, 1);
	char *good = file_kv(e, &fs.f[0], SST_KV_TAIL);
	assert_non_null(good);
	size_t gl = strlen(good);
	/* the real summary, decoded, to derive broken but decodable ones */
	struct sorted_source *src = NULL;
	struct sst_open_opts only = {.only_source = true};
	struct scan_pred hint;
	scan_hint_last_per_series(1, DT_TS_MS, &hint);
	struct scan_request req;
	scan_request_init(&req);
	req.preds = &hint;
	req.npreds = 1;
	assert_int_equal(
	    sst_open_source_opts(e->fx.store, NULL, DIR1, s, &fs.f[0], &req, &only, &src), ERR_OK);
	assert_true(sst_source_summary(src));
	struct batch rows = {0};
	{
		/* internal layout = file layout here (same schema) */
		enum dtype types[7];
		region_schema_internal_types(s, types);
		assert_int_equal(batch_init(&rows, 7, types), ERR_OK);
		const struct batch *b;
		while (sorted_source_next(src, &b) == ERR_OK && b)
			for (uint32_t i = 0; i < b->nrows; i++) {
				for (uint32_t c = 0; c < 7; c++)
					assert_int_equal(
					    colvec_push_from(&rows.cols[c], &b->cols[c], i), ERR_OK);
				rows.nrows++;
			}
		sorted_source_close(src);
	}
	assert_true(rows.nrows >= NHOSTS / 2);
	assert_int_equal(rows.nrows, rows.cols[0].len);
	/* re-encoding the decoded rows gives the stored text back */
	char *again = encode_batch(&rows);
	assert_string_equal(again, good);
	free(again);

	char *bad[24];
	int nb = 0;
	bad[nb++] = strdup("");
	bad[nb++] = strdup("A");
	bad[nb++] = strdup("====");
	bad[nb++] = strdup("!!!!");
	bad[nb++] = strndup(good, gl - 4);             /* truncated */
	bad[nb++] = strndup(good, gl / 2 & ~(size_t)3); /* cut in half */
	char *flip = strdup(good);
	flip[0] = flip[0] == 'A' ? 'B' : 'A'; /* a changed header byte */
	bad[nb++] = flip;
	uint8_t junk[300];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)fx_rndn(256);
	bad[nb++] = b64(junk, sizeof(junk));
	/* decodable batches that do not fit the file */
	{
		struct batch fewer = rows;
		fewer.ncols = 6;
		bad[nb++] = encode_batch(&fewer);
		struct batch wrong = {0};
		enum dtype types[7];
		region_schema_internal_types(s, types);
		types[2] = DT_STRING; /* v is a DOUBLE */
		assert_int_equal(batch_init(&wrong, 7, types), ERR_OK);
		for (uint32_t i = 0; i < 3; i++) {
			for (uint32_t c = 0; c < 7; c++)
				assert_int_equal(c == 2 ? colvec_push_bytes(&wrong.cols[c], "x", 1)
							: colvec_push_from(&wrong.cols[c],
									   &rows.cols[c], i),
						 ERR_OK);
			wrong.nrows++;
		}
		bad[nb++] = encode_batch(&wrong);
		batch_free(&wrong);
		/* rows out of order: the last one first */
		struct batch rev = {0};
		region_schema_internal_types(s, types);
		assert_int_equal(batch_init(&rev, 7, types), ERR_OK);
		for (uint32_t k = 0; k < rows.nrows; k++) {
			uint32_t i = (k + rows.nrows - 1) % rows.nrows;
			for (uint32_t c = 0; c < 7; c++)
				assert_int_equal(colvec_push_from(&rev.cols[c], &rows.cols[c], i),
						 ERR_OK);
			rev.nrows++;
		}
		bad[nb++] = encode_batch(&rev);
		batch_free(&rev);
	}
	/* an encoding with trailing bytes */
	{
		struct buf x;
		buf_init(&x);
		assert_int_equal(batch_encode(&rows, &x), ERR_OK);
		assert_int_equal(buf_append(&x, "zz", 2), ERR_OK);
		bad[nb++] = zb64(x.data, x.len);
		/* the plain encoding, not compressed */
		bad[nb++] = b64(x.data, x.len - 2);
		/* a zstd frame without its content size (streamed) */
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
		uint8_t z[1 << 16];
		ZSTD_outBuffer ob = {z, sizeof(z), 0};
		ZSTD_inBuffer ib = {x.data, x.len - 2, 0};
		assert_int_equal(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end), 0);
		ZSTD_freeCCtx(cc);
		assert_true(ZSTD_getFrameContentSize(z, ob.pos) == ZSTD_CONTENTSIZE_UNKNOWN);
		bad[nb++] = b64(z, ob.pos);
		/* a frame claiming a huge content size */
		uint8_t huge[64] = {0x28, 0xb5, 0x2f, 0xfd, 0xc0}; /* FCS 8 bytes */
		memset(huge + 5, 0x7f, 8);
		bad[nb++] = b64(huge, 20);
		/* a truncated frame */
		struct buf y;
		buf_init(&y);
		assert_int_equal(batch_encode(&rows, &y), ERR_OK);
		size_t bound = ZSTD_compressBound(y.len);
		uint8_t *zz = malloc(bound);
		size_t zn = ZSTD_compress(zz, bound, y.data, y.len, 3);
		bad[nb++] = b64(zz, zn - 3);
		/* a valid frame of bytes that are not a batch */
		bad[nb++] = zb64(junk, sizeof(junk));
		free(zz);
		buf_free(&y);
		buf_free(&x);
	}
	for (int k = 0; k < nb; k++) {
		char id[40];
		snprintf(id, sizeof(id), "bad-%02d", k);
		rewrite_tail(e, &fs.f[0], bad[k], id);
		struct manifest_file f = fs.f[0];
		snprintf(f.file_id, sizeof(f.file_id), "%s", id);
		for (int cached = 0; cached < 2; cached++) {
			src = NULL;
			int rc = sst_open_source_opts(e->fx.store, cached ? e->cache : NULL, DIR1, s, &f,
						      &req, &only, &src);
			if (rc != ERR_CORRUPT)
				fprintf(stderr, "summary %d: rc %d\n", k, rc);
			assert_int_equal(rc, ERR_CORRUPT);
			assert_null(src);
			assert_non_null(strstr(err_msg(), "tail summary"));
			err_clear();
		}
		/* a full read does not look at the summary */
		assert_int_equal(sst_open_source(e->fx.store, e->cache, DIR1, s, &f, NULL, &src),
				 ERR_OK);
		struct xrows all;
		collect(s, src, &all);
		assert_true(all.n >= 3000 / 2);
		free(all.r);
		free(bad[k]);
	}
	/* the original file still answers from its (good) summary */
	assert_int_equal(
	    sst_open_source_opts(e->fx.store, e->cache, DIR1, s, &fs.f[0], &req, &only, &src), ERR_OK);
	assert_true(sst_source_summary(src));
	sorted_source_close(src);
	batch_free(&rows);
	free(good);
	region_schema_free(s);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* Hands out the inner source's rows in batches of 1..4 rows (so that
 * series, ts groups and versions cross batch boundaries in sst_write). */
struct chunk_source {
	struct sorted_source base;
	struct sorted_source *inner;
	const struct batch *cur;
	uint32_t at;
	struct batch out;
};

static int chunk_next(struct sorted_source *base, const struct batch **out)
{
	struct chunk_source *c = (struct chunk_source *)base;
	*out = NULL;
	while (!c->cur || c->at == c->cur->nrows) {
		int rc = sorted_source_next(c->inner, &c->cur);
		c->at = 0;
		if (rc || !c->cur)
			return rc;
	}
	uint32_t n = 1 + fx_rndn(4);
	if (n > c->cur->nrows - c->at)
		n = c->cur->nrows - c->at;
	batch_reset(&c->out);
	for (uint32_t i = c->at; i < c->at + n; i++)
		for (uint32_t k = 0; k < c->cur->ncols; k++)
			assert_int_equal(colvec_push_from(&c->out.cols[k], &c->cur->cols[k], i),
					 ERR_OK);
	c->out.nrows = n;
	c->at += n;
	*out = &c->out;
	return ERR_OK;
}

static void chunk_close(struct sorted_source *base)
{
	struct chunk_source *c = (struct chunk_source *)base;
	sorted_source_close(c->inner);
	batch_free(&c->out);
	free(c);
}

/* sst_write fed in tiny batches from a memtable holding every version
 * (puts, overwrites, deletes, deletes of newest rows): the summary is
 * still exactly the file's tail. */
static void test_summary_small_batches(void **state)
{
	struct env *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	for (int round = 0; round < 6; round++) {
		struct memtable *m = NULL;
		assert_int_equal(memtable_create(s, &m), ERR_OK);
		uint64_t seq = 1;
		for (int w = 0; w < 8; w++) {
			uint32_t n = 50 + fx_rndn(200);
			struct fx_row *rows = calloc(n, sizeof(*rows));
			for (uint32_t i = 0; i < n; i++) {
				snprintf(rows[i].host, sizeof(rows[i].host), "h%02u", fx_rndn(12));
				rows[i].ts = 10 * (int64_t)(fx_rndn(4) ? 90 + fx_rndn(10) : fx_rndn(100));
				rows[i].v = (double)fx_rndn(100);
				rows[i].n_null = true;
			}
			struct batch b;
			fx_batch(rows, n, &b);
			enum op_type op = fx_rndn(3) == 0 ? OP_DELETE : OP_PUT;
			assert_int_equal(memtable_write(m, &b, seq, op), ERR_OK);
			seq += n;
			batch_free(&b);
			free(rows);
		}
		struct chunk_source *c = calloc(1, sizeof(*c));
		enum dtype types[7];
		region_schema_internal_types(s, types);
		assert_int_equal(batch_init(&c->out, 7, types), ERR_OK);
		c->base.next = chunk_next;
		c->base.close = chunk_close;
		assert_int_equal(memtable_scan(m, NULL, 0, UINT64_MAX, &c->inner), ERR_OK);
		struct manifest_file f;
		assert_int_equal(sst_write(e->fx.store, NULL, DIR1, s, &c->base, 0, &f), ERR_OK);
		char *t = file_kv(e, &f, SST_KV_TAIL);
		assert_non_null(t);
		free(t);
		assert_true(check_file(e, s, &f, 20, 1000) > 0);
		memtable_free(m);
	}
	region_schema_free(s);
}

/* The leader's last row per host of a fresh follower read (leader
 * snapshot + follower files) with the last-row hint, against the leader's
 * full scan; returns the rows SST sources handed out for it. */
static uint64_t follower_last(struct region *l, struct region *f)
{
	struct scan_pred p;
	scan_hint_last_per_series(1, DT_TS_MS, &p);
	struct scan_request req;
	scan_request_init(&req);
	req.preds = &p;
	req.npreds = 1;
	uint64_t v;
	struct batch rows;
	assert_int_equal(region_snapshot(l, &req, &v, &rows), ERR_OK);
	uint64_t before = sst_rows_returned();
	struct sorted_source *src = NULL;
	assert_int_equal(region_follower_scan(f, &req, v, &rows, &src), ERR_OK);
	struct fx_rows got, all;
	assert_int_equal(fx_collect(src, &got), ERR_OK);
	uint64_t n = sst_rows_returned() - before;
	batch_free(&rows);
	assert_int_equal(fx_scan_all(l, &all), ERR_OK);
	struct fx_rows wl = {0};
	wl.rows = mem_calloc(all.n + 1, sizeof(struct fx_row));
	for (size_t i = 0; i < all.n; i++)
		if (i + 1 == all.n || strcmp(all.rows[i].host, all.rows[i + 1].host))
			wl.rows[wl.n++] = all.rows[i];
	/* the follower answer is one row per host already */
	if (!fx_rows_equal(&got, &wl)) {
		fx_rows_print("got", &got);
		fx_rows_print("want", &wl);
	}
	assert_true(fx_rows_equal(&got, &wl));
	fx_rows_free(&got);
	fx_rows_free(&all);
	fx_rows_free(&wl);
	return n;
}

/* Follower reads: with no delete in the leader's snapshot rows nor in
 * the files, the files read in tail mode (from their summaries: few rows);
 * a delete in the snapshot or in a file turns them back to full reads;
 * the answers always equal the leader's. */
static void test_follower_tail(void **state)
{
	struct env *e = *state;
	char wal[600];
	snprintf(wal, sizeof(wal), "%s/fwal", e->fx.dir);
	struct region_engine_options o = {.store = e->fx.store, .wal_dir = wal, .gc_lingering_ms = 1};
	struct region_engine *fe = NULL;
	assert_int_equal(region_engine_open(&o, &fe), ERR_OK);
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *l = NULL, *f = NULL;
	assert_int_equal(region_create(e->fx.eng, REGION_ID(1024, 0), DIR1, s, &l), ERR_OK);
	assert_int_equal(region_open_follower(fe, REGION_ID(1024, 0), DIR1, 0, &f), ERR_OK);
	uint64_t total = 0;
	for (int round = 0; round < 3; round++) {
		uint32_t n = 2000 + fx_rndn(1000);
		write_random(l, n, OP_PUT, NHOSTS, (int64_t)round * 300, 3000);
		total += n;
		assert_int_equal(region_flush(l), ERR_OK);
	}
	assert_true(follower_last(l, f) <= 3u * (NHOSTS + 1));
	/* puts in the leader's memtable (also overwriting files' newest rows) */
	write_random(l, 500, OP_PUT, NHOSTS, 2500, 1500);
	assert_true(follower_last(l, f) <= 3u * (NHOSTS + 1));
	/* a delete in the snapshot hides the files' newest puts */
	delete_newest(l);
	assert_true(follower_last(l, f) >= total / 2);
	/* flushed: the delete sits in a file */
	assert_int_equal(region_flush(l), ERR_OK);
	assert_true(follower_last(l, f) >= total / 2);
	write_random(l, 300, OP_PUT, NHOSTS, 0, 3500);
	assert_true(follower_last(l, f) >= total / 2);
	region_close(f);
	region_engine_close(fe);
	region_schema_free(s);
	assert_int_equal(region_drop(l), ERR_OK);
	region_close(l);
}

int main(void)
{
	fx_seed(0x51f15e3b7d2c9a41ull);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_summary_random, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_summary_absent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_summary_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_summary_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_summary_corrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_summary_small_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_follower_tail, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
