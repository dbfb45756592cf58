/*
 * Page-level SST reads across schema changes: a region whose SSTs were
 * written before and after ADD COLUMN of a field (with a DEFAULT) and of a
 * tag, read through the page-skipping path (time ranges, tag EQ / IN /
 * IS NULL predicates, also on the added tag the older files lack), with
 * and without the last-row-per-series hint, against an in-memory model of
 * every write, and against the region's full scan. Stages cover an old
 * file as the only source (tail mode with a filled field; no tail mode
 * when its keys need padding; lean reads of a unique old file), old and
 * new files merged, and compacted files. Direct SST opens check which
 * only-source mode was taken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"
#include "base/mem.h"
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/parquet.h"
#include "storage/pred.h"
#include "storage/region.h"
#include "storage/sst.h"

#define NH 24  /* hosts h00..h23 */
#define NZ 4   /* zone: NULL, z0, z1, z2 */
#define NT 3000 /* timestamps 0, 10, ..., 29990 */
#define M_DEFAULT 7

/* One model cell per (host, zone, ts). */
struct mrow {
	bool live;
	bool vn, nn, mn;
	double v;
	int64_t n, m;
};

struct env {
	struct fx_engine fx;
	struct mrow *model; /* [NH][NZ][NT] */
	int stage;          /* 0: v0; 1: + m; 2: + zone */
};

static struct mrow *cell(struct env *e, uint32_t h, uint32_t z, uint32_t t)
{
	return &e->model[((size_t)h * NZ + z) * NT + t];
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct region_engine_options o = {.gc_lingering_ms = 1,
					  .sst_row_group_rows = 1500 + fx_rndn(2000)};
	assert_int_equal(fx_engine_open("sstpagesalter", o, &e->fx), ERR_OK);
	e->model = calloc((size_t)NH * NZ * NT, sizeof(struct mrow));
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	fx_engine_close(&e->fx);
	free(e->model);
	free(e);
	return 0;
}

static const char *DIR1 = "data/greptime/public/1024/1024_0000000000/";

/* ---- schema changes ------------------------------------------------------ */

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

/* ---- writes: region and model together ------------------------------------ */

/* n random rows of op over hosts [0, nh) and timestamps [t0, t0 + span) */
static void write_random(struct env *e, struct region *r, uint32_t n, enum op_type op,
			 uint32_t nh, uint32_t t0, uint32_t span)
{
	const struct region_schema *s = region_schema(r);
	enum dtype types[8];
	for (uint32_t c = 0; c < s->ncols; c++)
		types[c] = s->cols[c].type;
	struct batch b;
	assert_int_equal(batch_init(&b, s->ncols, types), ERR_OK);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h = fx_rndn(nh), t = t0 + fx_rndn(span), z = e->stage >= 2 ? fx_rndn(NZ) : 0;
		char hn[16], zn[16];
		snprintf(hn, sizeof(hn), "h%02u", h);
		snprintf(zn, sizeof(zn), "z%u", z ? z - 1 : 0);
		struct mrow x = {.live = op == OP_PUT};
		x.vn = fx_rndn(5) == 0;
		x.v = (double)fx_rndn(1000) / 8;
		x.nn = fx_rndn(4) == 0;
		x.n = (int64_t)fx_rndn(1u << 30) - (1 << 29);
		/* before m exists a row reads as its DEFAULT once it does */
		x.mn = e->stage >= 1 && fx_rndn(3) == 0;
		x.m = e->stage < 1 ? M_DEFAULT : 100 + (int64_t)fx_rndn(100000);
		assert_int_equal(colvec_push_bytes(&b.cols[0], hn, strlen(hn)), ERR_OK);
		assert_int_equal(colvec_push_i64(&b.cols[1], (int64_t)t * 10), ERR_OK);
		if (x.vn)
			assert_int_equal(colvec_push_null(&b.cols[2]), ERR_OK);
		else
			assert_int_equal(colvec_push_f64(&b.cols[2], x.v), ERR_OK);
		if (x.nn)
			assert_int_equal(colvec_push_null(&b.cols[3]), ERR_OK);
		else
			assert_int_equal(colvec_push_i64(&b.cols[3], x.n), ERR_OK);
		if (e->stage >= 1) {
			if (x.mn)
				assert_int_equal(colvec_push_null(&b.cols[4]), ERR_OK);
			else
				assert_int_equal(colvec_push_i64(&b.cols[4], x.m), ERR_OK);
		}
		if (e->stage >= 2) {
			if (z == 0)
				assert_int_equal(colvec_push_null(&b.cols[5]), ERR_OK);
			else
				assert_int_equal(colvec_push_bytes(&b.cols[5], zn, 2), ERR_OK);
		}
		b.nrows++;
		*cell(e, h, z, t) = x;
	}
	assert_int_equal(region_write(r, &b, op, NULL), ERR_OK);
	batch_free(&b);
}

/* ---- answers ------------------------------------------------------------------ */

struct arow {
	uint32_t h, z, t;
	struct mrow x;
};

struct arows {
	struct arow *a;
	size_t n, cap;
};

static void apush(struct arows *o, const struct arow *r)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 1024;
		o->a = realloc(o->a, o->cap * sizeof(*o->a));
	}
	o->a[o->n++] = *r;
}

static int acmp(const void *pa, const void *pb)
{
	const struct arow *a = pa, *b = pb;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	if (a->z != b->z)
		return a->z < b->z ? -1 : 1;
	return a->t < b->t ? -1 : a->t > b->t;
}

/* Drain src (internal layout of the current schema) into rows; proj says
 * which fields (v, n, m) to read. Every projected column has nrows values. */
static void collect(struct env *e, struct sorted_source *src, const bool *proj, struct arows *o)
{
	memset(o, 0, sizeof(*o));
	const struct batch *b;
	int rc;
	uint32_t ncols = e->stage == 0 ? 4 : e->stage == 1 ? 5 : 6;
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		assert_int_equal(b->ncols, ncols + 3);
		assert_int_equal(b->cols[0].len, b->nrows);
		assert_int_equal(b->cols[1].len, b->nrows);
		for (uint32_t c = 2; c < ncols; c++)
			if (!proj || proj[c] || c == 5)
				assert_int_equal(b->cols[c].len, b->nrows);
		for (uint32_t i = 0; i < b->nrows; i++) {
			struct arow r = {0};
			uint32_t len;
			const char *h = colvec_bytes(&b->cols[0], i, &len);
			assert_int_equal(len, 3);
			r.h = (uint32_t)(h[1] - '0') * 10 + (uint32_t)(h[2] - '0');
			int64_t ts = b->cols[1].i64[i];
			assert_true(ts % 10 == 0);
			r.t = (uint32_t)(ts / 10);
			r.x.live = true;
			if (!proj || proj[2]) {
				r.x.vn = colvec_is_null(&b->cols[2], i);
				r.x.v = r.x.vn ? 0 : b->cols[2].f64[i];
			}
			if (!proj || proj[3]) {
				r.x.nn = colvec_is_null(&b->cols[3], i);
				r.x.n = r.x.nn ? 0 : b->cols[3].i64[i];
			}
			if (ncols > 4 && (!proj || proj[4])) {
				r.x.mn = colvec_is_null(&b->cols[4], i);
				r.x.m = r.x.mn ? 0 : b->cols[4].i64[i];
			}
			if (ncols > 5 && !colvec_is_null(&b->cols[5], i)) {
				const char *z = colvec_bytes(&b->cols[5], i, &len);
				assert_int_equal(len, 2);
				r.z = (uint32_t)(z[1] - '0') + 1;
			}
			apush(o, &r);
		}
	}
	assert_int_equal(rc, ERR_OK);
	sorted_source_close(src);
	if (o->n)
		qsort(o->a, o->n, sizeof(*o->a), acmp);
}

static bool same_row(const struct arow *a, const struct arow *b, const bool *proj, int stage)
{
	if (acmp(a, b))
		return false;
	if ((!proj || proj[2]) && (a->x.vn != b->x.vn || (!a->x.vn && a->x.v != b->x.v)))
		return false;
	if ((!proj || proj[3]) && (a->x.nn != b->x.nn || (!a->x.nn && a->x.n != b->x.n)))
		return false;
	if (stage >= 1 && (!proj || proj[4]) &&
	    (a->x.mn != b->x.mn || (!a->x.mn && a->x.m != b->x.m)))
		return false;
	return true;
}

static void print_rows(const char *label, const struct arows *r)
{
	fprintf(stderr, "%s (%zu rows)\n", label, r->n);
	for (size_t i = 0; i < r->n && i < 30; i++)
		fprintf(stderr, "  h%02u z%u t%u v%s%g n%s%lld m%s%lld\n", r->a[i].h, r->a[i].z,
			r->a[i].t, r->a[i].x.vn ? "~" : "", r->a[i].x.v, r->a[i].x.nn ? "~" : "",
			(long long)r->a[i].x.n, r->a[i].x.mn ? "~" : "", (long long)r->a[i].x.m);
}

static bool rows_equal(const struct arows *a, const struct arows *b, const bool *proj, int stage)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!same_row(&a->a[i], &b->a[i], proj, stage))
			return false;
	return true;
}

/* The last row of each series (h, z) of a sorted list. */
static void last_per_series(const struct arows *in, struct arows *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->n; i++)
		if (i + 1 == in->n || in->a[i].h != in->a[i + 1].h || in->a[i].z != in->a[i + 1].z)
			apush(out, &in->a[i]);
}

/* ---- requests ------------------------------------------------------------------ */

struct rq {
	struct scan_request req;
	struct scan_pred preds[3];
	struct datum hl[3], zl[3];
	char hn[3][16], zn[3][16];
	bool proj[6];
	bool last;
	uint32_t lo, hi;      /* model time range [lo, hi) */
	int hk, zk;           /* 0 none, 1 EQ, 2 IN, 3 IS NULL (zone) */
	uint32_t hs[3], zs[3]; /* hosts / zones named (NH+ = absent host) */
	uint32_t nhs, nzs;
};

static void random_request(struct env *e, struct rq *q)
{
	memset(q, 0, sizeof(*q));
	scan_request_init(&q->req);
	q->lo = 0;
	q->hi = NT;
	if (fx_rndn(4)) {
		q->lo = fx_rndn(NT);
		q->hi = q->lo + (fx_rndn(2) ? fx_rndn(60) : fx_rndn(NT));
		q->req.ts_min = (int64_t)q->lo * 10 - (fx_rndn(2) ? 9 : 0);
		q->req.ts_max = (int64_t)q->hi * 10 - (fx_rndn(2) ? 9 : 0);
		if (fx_rndn(5) == 0) {
			q->lo = 0;
			q->req.ts_min = INT64_MIN;
		}
	}
	q->req.preds = q->preds;
	q->hk = (int)fx_rndn(3);
	if (q->hk) {
		struct scan_pred *p = &q->preds[q->req.npreds++];
		p->col = 0;
		q->nhs = q->hk == 1 ? 1 : 1 + fx_rndn(3);
		for (uint32_t k = 0; k < q->nhs; k++) {
			q->hs[k] = fx_rndn(NH + 2);
			snprintf(q->hn[k], sizeof(q->hn[k]), "h%02u", q->hs[k]);
			q->hl[k] = (struct datum){.type = DT_STRING, .v.s = {q->hn[k], 3}};
		}
		if (q->hk == 1) {
			p->op = PRED_EQ;
			p->lit = q->hl[0];
		} else {
			p->op = PRED_IN;
			p->nlist = q->nhs;
			p->list = q->hl;
			p->lit.type = DT_STRING;
		}
	}
	q->zk = e->stage >= 2 ? (int)fx_rndn(4) : 0;
	if (q->zk) {
		struct scan_pred *p = &q->preds[q->req.npreds++];
		p->col = 5;
		if (q->zk == 3) {
			p->op = PRED_IS_NULL;
			p->lit.type = DT_STRING;
			q->nzs = 1;
			q->zs[0] = 0;
		} else {
			q->nzs = q->zk == 1 ? 1 : 1 + fx_rndn(3);
			for (uint32_t k = 0; k < q->nzs; k++) {
				uint32_t z = fx_rndn(NZ); /* 3 = "z3": no such zone */
				q->zs[k] = z + 1;
				snprintf(q->zn[k], sizeof(q->zn[k]), "z%u", z);
				q->zl[k] = (struct datum){.type = DT_STRING, .v.s = {q->zn[k], 2}};
			}
			if (q->zk == 1) {
				p->op = PRED_EQ;
				p->lit = q->zl[0];
			} else {
				p->op = PRED_IN;
				p->nlist = q->nzs;
				p->list = q->zl;
				p->lit.type = DT_STRING;
			}
		}
	}
	if (fx_rndn(3)) {
		q->proj[0] = q->proj[1] = q->proj[5] = true;
		for (int c = 2; c < 5; c++)
			q->proj[c] = fx_rndn(2);
		q->req.projection = q->proj;
	}
	if (fx_rndn(2)) {
		q->last = true;
		scan_hint_last_per_series(1, DT_TS_MS, &q->preds[q->req.npreds++]);
	}
}

static bool rq_match(const struct rq *q, uint32_t h, uint32_t z, uint32_t t)
{
	if (t < q->lo || t >= q->hi)
		return false;
	bool ok = q->hk == 0;
	for (uint32_t k = 0; k < q->nhs; k++)
		ok |= q->hs[k] == h;
	if (!ok)
		return false;
	ok = q->zk == 0;
	for (uint32_t k = 0; k < q->nzs; k++)
		ok |= q->zs[k] == z;
	return ok;
}

static void model_rows(struct env *e, const struct rq *q, struct arows *o)
{
	memset(o, 0, sizeof(*o));
	for (uint32_t h = 0; h < NH; h++)
		for (uint32_t z = 0; z < NZ; z++)
			for (uint32_t t = 0; t < NT; t++) {
				const struct mrow *x = cell(e, h, z, t);
				if (x->live && (!q || rq_match(q, h, z, t))) {
					struct arow r = {h, z, t, *x};
					apush(o, &r);
				}
			}
}

/* The full scan equals the model; nq random requests equal the model's
 * answer (with the hint: a subset holding every series' last row). */
static void check(struct env *e, struct region *r, int nq)
{
	struct sorted_source *src = NULL;
	struct arows got, want;
	assert_int_equal(region_scan(r, NULL, &src), ERR_OK);
	collect(e, src, NULL, &got);
	model_rows(e, NULL, &want);
	if (!rows_equal(&got, &want, NULL, e->stage)) {
		print_rows("full scan", &got);
		print_rows("model", &want);
	}
	assert_true(rows_equal(&got, &want, NULL, e->stage));
	free(got.a);
	free(want.a);
	for (int i = 0; i < nq; i++) {
		struct rq q;
		random_request(e, &q);
		int rc = region_scan(r, &q.req, &src);
		if (rc)
			fprintf(stderr, "region_scan: %s\n", err_msg());
		assert_int_equal(rc, ERR_OK);
		const bool *proj = q.req.projection;
		collect(e, src, proj, &got);
		model_rows(e, &q, &want);
		if (q.last) {
			for (size_t k = 0, j = 0; k < got.n; k++) { /* subset */
				while (j < want.n && acmp(&want.a[j], &got.a[k]))
					j++;
				assert_true(j < want.n && same_row(&want.a[j], &got.a[k], proj,
								   e->stage));
			}
			struct arows gl, wl;
			last_per_series(&got, &gl);
			last_per_series(&want, &wl);
			free(got.a);
			free(want.a);
			got = gl;
			want = wl;
		}
		if (!rows_equal(&got, &want, proj, e->stage)) {
			fprintf(stderr, "stage %d query %d: t [%u, %u) hk %d zk %d last %d\n",
				e->stage, i, q.lo, q.hi, q.hk, q.zk, q.last);
			for (size_t k = 0; k < got.n && k < want.n; k++)
				if (!same_row(&got.a[k], &want.a[k], proj, e->stage)) {
					struct arows g1 = {&got.a[k], 1, 1}, w1 = {&want.a[k], 1, 1};
					print_rows("first differing: got", &g1);
					print_rows("want", &w1);
					break;
				}
			if (proj)
				fprintf(stderr, "projection v %d n %d m %d\n", proj[2], proj[3],
					proj[4]);
			fprintf(stderr, "got %zu want %zu hosts", got.n, want.n);
			for (uint32_t k = 0; k < q.nhs; k++)
				fprintf(stderr, " %u", q.hs[k]);
			fprintf(stderr, "\n");
		}
		assert_true(rows_equal(&got, &want, proj, e->stage));
		free(got.a);
		free(want.a);
	}
}

/* ---- direct SST opens ---------------------------------------------------------- */

struct ids {
	char id[16][40];
	uint32_t n;
};

static void list_ssts(struct env *e, struct ids *o)
{
	o->n = 0;
	struct objstore_list l;
	assert_int_equal(objstore_list(e->fx.store, DIR1, &l), ERR_OK);
	for (size_t i = 0; i < l.n; i++) {
		size_t kl = strlen(l.keys[i]);
		if (kl < 8 || strcmp(l.keys[i] + kl - 8, ".parquet"))
			continue;
		const char *slash = strrchr(l.keys[i], '/');
		assert_true(o->n < 16);
		snprintf(o->id[o->n++], 40, "%.*s", (int)(strlen(slash + 1) - 8), slash + 1);
	}
	objstore_list_free(&l);
}

/* The one SST in now that is not in before. */
static void new_sst(const struct ids *before, const struct ids *now, struct manifest_file *f)
{
	memset(f, 0, sizeof(*f));
	uint32_t found = 0;
	for (uint32_t i = 0; i < now->n; i++) {
		bool old = false;
		for (uint32_t k = 0; k < before->n; k++)
			old |= !strcmp(before->id[k], now->id[i]);
		if (!old) {
			snprintf(f->file_id, sizeof(f->file_id), "%s", now->id[i]);
			found++;
		}
	}
	assert_int_equal(found, 1);
}

static uint64_t count_rows(struct sorted_source *src, uint32_t pk_col, size_t *min_pk)
{
	const struct batch *b;
	uint64_t n = 0;
	*min_pk = SIZE_MAX;
	while (sorted_source_next(src, &b) == ERR_OK && b) {
		n += b->nrows;
		for (uint32_t i = 0; i < b->cols[pk_col].len; i++) {
			uint32_t len;
			colvec_bytes(&b->cols[pk_col], i, &len);
			if (len < *min_pk)
				*min_pk = len;
		}
	}
	sorted_source_close(src);
	return n;
}

/* File f (written under an older schema) as the only source with the
 * last-row hint: tail mode (fewer rows than the normal path) exactly when
 * its keys need no padding; the keys returned are padded either way. */
static void check_tail_choice(struct env *e, struct region *r, const struct manifest_file *f,
			      bool want_tail)
{
	const struct region_schema *s = region_schema(r);
	struct scan_pred hint;
	scan_hint_last_per_series(1, DT_TS_MS, &hint);
	struct scan_request req;
	scan_request_init(&req);
	req.preds = &hint;
	req.npreds = 1;
	struct sst_open_opts only = {.only_source = true};
	struct sorted_source *a = NULL, *b = NULL;
	assert_int_equal(sst_open_source(e->fx.store, NULL, DIR1, s, f, &req, &a), ERR_OK);
	assert_int_equal(sst_open_source_opts(e->fx.store, NULL, DIR1, s, f, &req, &only, &b), ERR_OK);
	assert_false(sst_source_lean(b));
	size_t pka, pkb;
	uint64_t na = count_rows(a, s->ncols, &pka), nb = count_rows(b, s->ncols, &pkb);
	assert_true(na > 0);
	if (want_tail)
		assert_true(nb < na);
	else
		assert_true(nb == na);
	/* host "hNN" in the key plus one element per further tag */
	assert_true(pka == pkb);
	assert_true(pka >= 3 + (s->npk - 1));
}

/* A unique file as the only source without the hint is read lean, in the
 * current layout (DEFAULT / NULL in the columns it lacks), like the
 * normal path. */
static void check_lean(struct env *e, struct region *r, const struct manifest_file *f,
		       bool m_default)
{
	const struct region_schema *s = region_schema(r);
	struct sst_open_opts only = {.only_source = true};
	struct sorted_source *a = NULL, *b = NULL;
	assert_int_equal(sst_open_source(e->fx.store, NULL, DIR1, s, f, NULL, &a), ERR_OK);
	assert_int_equal(sst_open_source_opts(e->fx.store, NULL, DIR1, s, f, NULL, &only, &b), ERR_OK);
	assert_true(sst_source_lean(b));
	struct arows ra, rb;
	collect(e, a, NULL, &ra);
	collect(e, b, NULL, &rb);
	assert_true(ra.n > 0);
	assert_true(rows_equal(&ra, &rb, NULL, e->stage));
	for (size_t i = 0; i < rb.n; i++) {
		assert_int_equal(rb.a[i].z, 0); /* zone: NULL */
		if (m_default)
			assert_true(!rb.a[i].x.mn && rb.a[i].x.m == M_DEFAULT);
	}
	free(ra.a);
	free(rb.a);
}

static bool file_unique(struct env *e, const struct manifest_file *f)
{
	char key[1024];
	sst_path(key, sizeof(key), DIR1, f->file_id);
	uint8_t *bytes = NULL;
	size_t len = 0;
	assert_int_equal(objstore_get(e->fx.store, key, &bytes, &len), ERR_OK);
	struct parquet_reader *pr = NULL;
	assert_int_equal(parquet_reader_open_mem(bytes, len, &pr), ERR_OK);
	const char *u = parquet_reader_kv(pr, SST_KV_UNIQUE);
	bool yes = u && !strcmp(u, "1");
	parquet_reader_free(pr);
	mem_free(bytes);
	return yes;
}

/* ---- the test -------------------------------------------------------------------- */

static void test_alter_page_reads(void **state)
{
	struct env *e = *state;
	struct region_schema *s0 = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->fx.eng, REGION_ID(1024, 0), DIR1, s0, &r), ERR_OK);
	region_schema_free(s0);
	struct ids before, now;
	struct manifest_file f0, c1;

	/* v0: puts, overwrites and deletes in one file (not unique) */
	e->stage = 0;
	list_ssts(e, &before);
	write_random(e, r, 7000, OP_PUT, NH, 0, NT);
	write_random(e, r, 3000, OP_PUT, 3, 500, 2000);
	write_random(e, r, 1500, OP_DELETE, NH, 0, NT);
	assert_int_equal(region_flush(r), ERR_OK);
	list_ssts(e, &now);
	new_sst(&before, &now, &f0);
	check(e, r, 20);

	/* + field m DEFAULT 7: the old file alone, tail mode with m filled */
	struct region_schema *s1 = with_col(region_schema(r), "m", DT_INT64, false, 4, "7");
	assert_int_equal(region_alter(r, s1), ERR_OK);
	region_schema_free(s1);
	e->stage = 1;
	check_tail_choice(e, r, &f0, true);
	check(e, r, 40);

	/* new rows (overwriting old ones) in the memtable, then in a v1 file */
	write_random(e, r, 3000, OP_PUT, NH, 0, NT);
	write_random(e, r, 300, OP_DELETE, NH, 0, NT);
	check(e, r, 10);
	assert_int_equal(region_flush(r), ERR_OK);
	check(e, r, 40);

	/* compacted: one v1 file */
	list_ssts(e, &before);
	assert_int_equal(region_compact(r, true), ERR_OK);
	list_ssts(e, &now);
	new_sst(&before, &now, &c1);
	check(e, r, 20);

	/* + tag zone: the v1 file alone needs its keys padded: no tail mode;
	 * predicates on zone see NULL */
	struct region_schema *s2 = with_col(region_schema(r), "zone", DT_STRING, true, 5, NULL);
	assert_int_equal(region_alter(r, s2), ERR_OK);
	region_schema_free(s2);
	e->stage = 2;
	check_tail_choice(e, r, &c1, false);
	bool lean_checked = false;
	if (file_unique(e, &c1)) {
		check_lean(e, r, &c1, false);
		lean_checked = true;
	}
	check(e, r, 60);

	/* new rows with zones (NULL ones replace old rows), deletes through
	 * the new key, then a v2 file next to the padded one */
	write_random(e, r, 4000, OP_PUT, NH, 0, NT);
	write_random(e, r, 500, OP_DELETE, NH, 0, NT);
	check(e, r, 10);
	assert_int_equal(region_flush(r), ERR_OK);
	check(e, r, 60);

	/* compacted into the current schema: tail mode again */
	list_ssts(e, &before);
	assert_int_equal(region_compact(r, true), ERR_OK);
	list_ssts(e, &now);
	struct manifest_file c2;
	new_sst(&before, &now, &c2);
	check_tail_choice(e, r, &c2, true);
	check(e, r, 40);

	/* lean on an old unique file: one more v0 -> v2 case when the
	 * compacted v1 file held deletes */
	if (!lean_checked)
		fprintf(stderr, "note: compacted v1 file not unique, lean case skipped\n");
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* A unique v0 file (puts only) read lean as the only source after both
 * ADD COLUMNs: DEFAULT for m, NULL zone, padded keys not read. */
static void test_alter_lean_old_file(void **state)
{
	struct env *e = *state;
	struct region_schema *s0 = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->fx.eng, REGION_ID(1024, 0), DIR1, s0, &r), ERR_OK);
	region_schema_free(s0);
	struct ids before, now;
	struct manifest_file f0;
	e->stage = 0;
	list_ssts(e, &before);
	write_random(e, r, 6000, OP_PUT, NH, 0, NT);
	assert_int_equal(region_flush(r), ERR_OK);
	list_ssts(e, &now);
	new_sst(&before, &now, &f0);
	assert_true(file_unique(e, &f0));
	struct region_schema *s1 = with_col(region_schema(r), "m", DT_INT64, false, 4, "7");
	assert_int_equal(region_alter(r, s1), ERR_OK);
	region_schema_free(s1);
	e->stage = 1;
	check_lean(e, r, &f0, true);
	check(e, r, 20);
	struct region_schema *s2 = with_col(region_schema(r), "zone", DT_STRING, true, 5, NULL);
	assert_int_equal(region_alter(r, s2), ERR_OK);
	region_schema_free(s2);
	e->stage = 2;
	check_lean(e, r, &f0, true);
	check_tail_choice(e, r, &f0, false);
	check(e, r, 40);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

int main(void)
{
	fx_seed(0x2545f4914f6cdd1dull);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_alter_page_reads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alter_lean_old_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
