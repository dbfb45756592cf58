/*
 * Unit tests for src/storage/merge: hand-written cases for each dedup rule
 * and a randomized comparison with a brute-force reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/err.h"
#include "base/mem.h"
#include "storage/memtable.h"
#include "storage/merge.h"
#include "storage/pk_codec.h"
#include "storage/scan.h"
#include "storage/schema.h"

/* Columns: 0 host (tag, nullable), 1 ts, 2 a INT64, 3 b FLOAT64, 4 s STRING. */
enum { C_HOST, C_TS, C_A, C_B, C_S, NCOLS, C_PK = NCOLS, C_SEQ, C_OP, NTOT };

static struct region_schema *schema;

static int setup(void **state)
{
	(void)state;
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	s->ncols = NCOLS;
	s->cols = mem_calloc(NCOLS, sizeof(*s->cols));
	const char *names[] = {"host", "ts", "a", "b", "s"};
	const enum dtype types[] = {DT_STRING, DT_TS_MS, DT_INT64, DT_FLOAT64, DT_STRING};
	const enum semantic_type sems[] = {SEM_TAG, SEM_TIMESTAMP, SEM_FIELD, SEM_FIELD, SEM_FIELD};
	for (uint32_t i = 0; i < NCOLS; i++)
		s->cols[i] = (struct column_schema){.name = mem_strdup(names[i]), .type = types[i],
						    .sem = sems[i], .nullable = i != C_TS,
						    .column_id = i};
	s->ts_col = C_TS;
	s->npk = 1;
	s->pk_cols = mem_calloc(1, sizeof(uint32_t));
	s->pk_cols[0] = C_HOST;
	assert_int_equal(region_schema_validate(s), ERR_OK);
	schema = s;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	region_schema_free(schema);
	return 0;
}

/* A row; host -1 = NULL. */
struct mrow {
	int host;
	int64_t ts;
	uint64_t seq;
	int op;
	bool a_null, b_null, s_null;
	int64_t a;
	double b;
	char s[8];
	uint8_t pk[16];
	uint32_t pklen;
};

#define PUT(h, t, q, av, bv, sv)                                                          \
	(struct mrow)                                                                     \
	{                                                                                 \
		.host = (h), .ts = (t), .seq = (q), .op = OP_PUT, .a = (av), .b = (bv),   \
		.a_null = (av) == NUL, .b_null = (bv) == NUL, .s_null = (sv) == NULL,     \
		.s = {0}, .pklen = 0, .pk = {0}                                           \
	}
#define DEL(h, t, q)                                                                   \
	(struct mrow)                                                                  \
	{                                                                              \
		.host = (h), .ts = (t), .seq = (q), .op = OP_DELETE, .a_null = true,   \
		.b_null = true, .s_null = true                                         \
	}
#define NUL (-999999)

static void host_name(int h, char *out, size_t n) { snprintf(out, n, "h%d", h); }

static void set_pk(struct mrow *r)
{
	char name[16];
	struct datum d = {.type = DT_STRING, .is_null = r->host < 0};
	if (r->host >= 0) {
		host_name(r->host, name, sizeof(name));
		d.v.s.p = name;
		d.v.s.n = (uint32_t)strlen(name);
	}
	struct buf k;
	buf_init(&k);
	assert_int_equal(pk_encode_datums(schema, &d, &k), ERR_OK);
	assert_true(k.len <= sizeof(r->pk));
	memcpy(r->pk, k.data, k.len);
	r->pklen = (uint32_t)k.len;
	buf_free(&k);
}

static int cmp_mrow(const void *x, const void *y)
{
	const struct mrow *a = x, *b = y;
	int c = pk_cmp(a->pk, a->pklen, b->pk, b->pklen);
	if (c)
		return c;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

static void push_row(struct batch *b, const struct mrow *r)
{
	char name[16];
	if (r->host < 0) {
		colvec_push_null(&b->cols[C_HOST]);
	} else {
		host_name(r->host, name, sizeof(name));
		colvec_push_bytes(&b->cols[C_HOST], name, strlen(name));
	}
	colvec_push_i64(&b->cols[C_TS], r->ts);
	r->a_null ? colvec_push_null(&b->cols[C_A]) : colvec_push_i64(&b->cols[C_A], r->a);
	r->b_null ? colvec_push_null(&b->cols[C_B]) : colvec_push_f64(&b->cols[C_B], r->b);
	r->s_null ? colvec_push_null(&b->cols[C_S])
		  : colvec_push_bytes(&b->cols[C_S], r->s, strlen(r->s));
	colvec_push_bytes(&b->cols[C_PK], r->pk, r->pklen);
	colvec_push_i64(&b->cols[C_SEQ], (int64_t)r->seq);
	colvec_push_i64(&b->cols[C_OP], r->op);
	b->nrows++;
}

/* ---- a sorted source over an array of rows ---------------------------- */

struct vec_src {
	struct sorted_source base;
	struct mrow *rows;
	size_t n, at;
	uint32_t max_batch; /* rows per batch: 1..max_batch, random when rnd */
	bool rnd;
	int fail_at;        /* next() call that fails with ERR_IO; -1 = never */
	int calls;
	uint32_t empty_col; /* a column left unfilled; NTOT = none */
	struct batch b;
};

static int vec_next(struct sorted_source *base, const struct batch **out)
{
	struct vec_src *v = (struct vec_src *)base;
	*out = NULL;
	if (v->calls++ == v->fail_at)
		return err_set(ERR_IO, "test source failure");
	batch_reset(&v->b);
	if (v->at >= v->n)
		return ERR_OK;
	/* sometimes hand out an empty batch first */
	if (v->rnd && rand() % 10 == 0) {
		*out = &v->b;
		return ERR_OK;
	}
	uint32_t k = v->rnd ? 1 + (uint32_t)(rand() % v->max_batch) : v->max_batch;
	for (uint32_t i = 0; i < k && v->at < v->n; i++)
		push_row(&v->b, &v->rows[v->at++]);
	if (v->empty_col < NTOT)
		colvec_reset(&v->b.cols[v->empty_col]);
	*out = &v->b;
	return ERR_OK;
}

static void vec_close(struct sorted_source *base)
{
	struct vec_src *v = (struct vec_src *)base;
	batch_free(&v->b);
	free(v->rows);
	free(v);
}

/* A source over a copy of rows (sorted here). */
static struct sorted_source *vec_source(const struct mrow *rows, size_t n, uint32_t max_batch,
					bool rnd)
{
	struct vec_src *v = calloc(1, sizeof(*v));
	v->base.next = vec_next;
	v->base.close = vec_close;
	v->rows = malloc((n ? n : 1) * sizeof(*rows));
	if (n)
		memcpy(v->rows, rows, n * sizeof(*rows));
	for (size_t i = 0; i < n; i++)
		set_pk(&v->rows[i]);
	qsort(v->rows, n, sizeof(*rows), cmp_mrow);
	v->n = n;
	v->max_batch = max_batch;
	v->rnd = rnd;
	v->fail_at = -1;
	v->empty_col = NTOT;
	enum dtype types[NTOT];
	region_schema_internal_types(schema, types);
	assert_int_equal(batch_init(&v->b, NTOT, types), ERR_OK);
	return &v->base;
}

/* ---- reading the output ---------------------------------------------- */

struct outrows {
	struct mrow *r;
	size_t n, cap;
};

static void out_add(struct outrows *o, const struct mrow *r)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->r = realloc(o->r, o->cap * sizeof(*o->r));
	}
	o->r[o->n++] = *r;
}

/* Drain a merge; checks that only needed columns are filled. */
static int drain(struct sorted_source *m, const bool *need, struct outrows *o)
{
	const struct batch *b;
	int rc;
	memset(o, 0, sizeof(*o));
	while ((rc = sorted_source_next(m, &b)) == ERR_OK && b) {
		assert_true(b->nrows > 0);
		assert_int_equal(b->ncols, NTOT);
		for (uint32_t c = 0; c < NTOT; c++) {
			bool filled = c >= NCOLS || c == C_TS || !need || need[c];
			assert_int_equal(b->cols[c].len, filled ? b->nrows : 0);
		}
		for (uint32_t i = 0; i < b->nrows; i++) {
			struct mrow r;
			memset(&r, 0, sizeof(r));
			uint32_t n;
			const char *p;
			if (!need || need[C_HOST]) {
				r.host = -1;
				if (!colvec_is_null(&b->cols[C_HOST], i)) {
					char name[16] = {0};
					p = colvec_bytes(&b->cols[C_HOST], i, &n);
					assert_true(n > 1 && n < sizeof(name));
					memcpy(name, p, n);
					r.host = atoi(name + 1);
				}
			}
			r.ts = b->cols[C_TS].i64[i];
			r.seq = (uint64_t)b->cols[C_SEQ].i64[i];
			r.op = (int)b->cols[C_OP].i64[i];
			if (!need || need[C_A]) {
				r.a_null = colvec_is_null(&b->cols[C_A], i);
				r.a = r.a_null ? 0 : b->cols[C_A].i64[i];
			}
			if (!need || need[C_B]) {
				r.b_null = colvec_is_null(&b->cols[C_B], i);
				r.b = r.b_null ? 0 : b->cols[C_B].f64[i];
			}
			if (!need || need[C_S]) {
				r.s_null = colvec_is_null(&b->cols[C_S], i);
				p = colvec_bytes(&b->cols[C_S], i, &n);
				assert_true(n < sizeof(r.s));
				if (n && !r.s_null)
					memcpy(r.s, p, n);
			}
			p = colvec_bytes(&b->cols[C_PK], i, &n);
			assert_true(n <= sizeof(r.pk));
			if (n)
				memcpy(r.pk, p, n);
			r.pklen = n;
			out_add(o, &r);
		}
	}
	return rc;
}

/* Compare output with expected rows (pk computed here); only needed
 * columns are compared. */
static void expect_rows(const struct outrows *o, struct mrow *want, size_t nwant,
			const bool *need)
{
	if (o->n != nwant)
		fail_msg("got %zu rows, want %zu", o->n, nwant);
	for (size_t i = 0; i < nwant; i++) {
		struct mrow *w = &want[i];
		const struct mrow *g = &o->r[i];
		if (!w->pklen)
			set_pk(w);
		if (g->seq != w->seq || g->ts != w->ts || g->op != w->op || g->pklen != w->pklen ||
		    memcmp(g->pk, w->pk, g->pklen))
			fail_msg("row %zu: got seq %llu ts %lld op %d, want seq %llu ts %lld op %d", i,
				 (unsigned long long)g->seq, (long long)g->ts, g->op,
				 (unsigned long long)w->seq, (long long)w->ts, w->op);
		if (!need || need[C_HOST])
			assert_int_equal(g->host, w->host);
		if (!need || need[C_A]) {
			assert_int_equal(g->a_null, w->a_null);
			if (!w->a_null)
				assert_int_equal(g->a, w->a);
		}
		if (!need || need[C_B]) {
			assert_int_equal(g->b_null, w->b_null);
			if (!w->b_null)
				assert_true(g->b == w->b);
		}
		if (!need || need[C_S]) {
			assert_int_equal(g->s_null, w->s_null);
			if (!w->s_null)
				assert_string_equal(g->s, w->s);
		}
	}
}

static struct merge_options opts(bool dedup, enum merge_mode mode, bool keep)
{
	return (struct merge_options){.schema = schema, .dedup = dedup, .mode = mode,
				      .keep_deletes = keep};
}

/* Merge sources built from row lists and compare with want. */
static void run_case(const struct mrow *const *srcs, const size_t *ns, uint32_t nsrc,
		     const struct merge_options *o, struct mrow *want, size_t nwant)
{
	struct sorted_source *ss[8];
	for (uint32_t i = 0; i < nsrc; i++)
		ss[i] = vec_source(srcs[i], ns[i], 2, false);
	struct sorted_source *m;
	assert_int_equal(merge_open(ss, nsrc, o, &m), ERR_OK);
	struct outrows out;
	assert_int_equal(drain(m, o->req ? o->req->projection : NULL, &out), ERR_OK);
	sorted_source_close(m);
	expect_rows(&out, want, nwant, o->req ? o->req->projection : NULL);
	free(out.r);
}

static void s_set(struct mrow *r, const char *s)
{
	r->s_null = s == NULL;
	if (s)
		strcpy(r->s, s);
}

/* ---- hand-written cases ----------------------------------------------- */

static void test_overlap_last_row(void **state)
{
	(void)state;
	struct mrow a[] = {PUT(1, 1, 5, 1, 1.0, NULL), PUT(1, 2, 6, 2, 2.0, NULL),
			   PUT(2, 1, 1, 7, 7.0, NULL), PUT(1, 1, 3, 0, 0.5, NULL)};
	struct mrow b[] = {PUT(1, 1, 9, 10, 10.0, NULL), PUT(3, 5, 4, 3, 3.0, NULL),
			   PUT(-1, 1, 2, 4, 4.0, NULL)};
	const struct mrow *srcs[] = {a, b};
	size_t ns[] = {4, 3};
	struct merge_options o = opts(true, MERGE_LAST_ROW, false);
	/* NULL host sorts first; (h1,1) keeps seq 9 */
	struct mrow want[] = {PUT(-1, 1, 2, 4, 4.0, NULL), PUT(1, 1, 9, 10, 10.0, NULL),
			      PUT(1, 2, 6, 2, 2.0, NULL), PUT(2, 1, 1, 7, 7.0, NULL),
			      PUT(3, 5, 4, 3, 3.0, NULL)};
	run_case(srcs, ns, 2, &o, want, 5);
	/* without dedup (append mode) every row stays, seq desc within (pk, ts) */
	o = opts(false, MERGE_LAST_ROW, false);
	struct mrow all[] = {PUT(-1, 1, 2, 4, 4.0, NULL),  PUT(1, 1, 9, 10, 10.0, NULL),
			     PUT(1, 1, 5, 1, 1.0, NULL),   PUT(1, 1, 3, 0, 0.5, NULL),
			     PUT(1, 2, 6, 2, 2.0, NULL),   PUT(2, 1, 1, 7, 7.0, NULL),
			     PUT(3, 5, 4, 3, 3.0, NULL)};
	run_case(srcs, ns, 2, &o, all, 7);
}

static void test_last_non_null(void **state)
{
	(void)state;
	struct mrow a[] = {PUT(1, 1, 1, 1, 1.0, NULL), PUT(1, 2, 1, 5, NUL, NULL)};
	struct mrow b[] = {PUT(1, 1, 2, NUL, 2.0, NULL), PUT(1, 2, 2, NUL, NUL, NULL)};
	struct mrow c[] = {PUT(1, 1, 3, NUL, NUL, NULL)};
	s_set(&a[0], "x");
	s_set(&c[0], "z");
	const struct mrow *srcs[] = {a, b, c};
	size_t ns[] = {2, 2, 1};
	struct merge_options o = opts(true, MERGE_LAST_NON_NULL, false);
	struct mrow want[] = {PUT(1, 1, 3, 1, 2.0, NULL), PUT(1, 2, 2, 5, NUL, NULL)};
	s_set(&want[0], "z");
	run_case(srcs, ns, 3, &o, want, 2);
	/* last_row on the same input takes the newest rows whole */
	o = opts(true, MERGE_LAST_ROW, false);
	struct mrow want2[] = {PUT(1, 1, 3, NUL, NUL, NULL), PUT(1, 2, 2, NUL, NUL, NULL)};
	s_set(&want2[0], "z");
	run_case(srcs, ns, 3, &o, want2, 2);
}

static void test_deletes(void **state)
{
	(void)state;
	/* tombstone newer than the put: gone; older: the put survives */
	struct mrow a[] = {PUT(1, 1, 1, 1, 1.0, NULL), PUT(1, 2, 5, 2, 2.0, NULL),
			   PUT(1, 3, 7, 3, NUL, NULL)};
	struct mrow b[] = {DEL(1, 1, 2), DEL(1, 2, 4), DEL(1, 3, 6), PUT(1, 3, 5, 9, 9.0, NULL),
			   DEL(2, 9, 3)};
	const struct mrow *srcs[] = {a, b};
	size_t ns[] = {3, 5};
	for (int mode = 0; mode < 2; mode++) {
		struct merge_options o = opts(true, (enum merge_mode)mode, false);
		/* last_non_null: the delete at seq 6 cuts off the older b = 9.0 */
		struct mrow want[] = {PUT(1, 2, 5, 2, 2.0, NULL), PUT(1, 3, 7, 3, NUL, NULL)};
		run_case(srcs, ns, 2, &o, want, 2);
	}
	/* keep_deletes: winning deletes stay; last_non_null keeps the cutting delete */
	struct merge_options o = opts(true, MERGE_LAST_ROW, true);
	struct mrow want_lr[] = {DEL(1, 1, 2), PUT(1, 2, 5, 2, 2.0, NULL),
				 PUT(1, 3, 7, 3, NUL, NULL), DEL(2, 9, 3)};
	run_case(srcs, ns, 2, &o, want_lr, 4);
	o = opts(true, MERGE_LAST_NON_NULL, true);
	/* (h1,2)'s put has a null s, so the delete under it is kept too */
	struct mrow want_lnn[] = {DEL(1, 1, 2),		   PUT(1, 2, 5, 2, 2.0, NULL),
				  DEL(1, 2, 4),		   PUT(1, 3, 7, 3, NUL, NULL),
				  DEL(1, 3, 6),		   DEL(2, 9, 3)};
	run_case(srcs, ns, 2, &o, want_lnn, 6);
}

static void test_append_mode_deletes(void **state)
{
	(void)state;
	struct mrow a[] = {PUT(1, 1, 5, 5, NUL, NULL), PUT(1, 1, 3, 3, NUL, NULL),
			   PUT(1, 1, 1, 1, NUL, NULL), PUT(1, 2, 2, 2, NUL, NULL)};
	struct mrow b[] = {PUT(1, 1, 6, 6, NUL, NULL), DEL(1, 1, 4), PUT(1, 2, 1, 1, NUL, NULL)};
	const struct mrow *srcs[] = {a, b};
	size_t ns[] = {4, 3};
	struct merge_options o = opts(false, MERGE_LAST_ROW, false);
	struct mrow want[] = {PUT(1, 1, 6, 6, NUL, NULL), PUT(1, 1, 5, 5, NUL, NULL),
			      PUT(1, 2, 2, 2, NUL, NULL), PUT(1, 2, 1, 1, NUL, NULL)};
	run_case(srcs, ns, 2, &o, want, 4);
	o.keep_deletes = true;
	struct mrow want_k[] = {PUT(1, 1, 6, 6, NUL, NULL), PUT(1, 1, 5, 5, NUL, NULL),
				DEL(1, 1, 4), PUT(1, 2, 2, 2, NUL, NULL),
				PUT(1, 2, 1, 1, NUL, NULL)};
	run_case(srcs, ns, 2, &o, want_k, 5);
}

/* A predicate matching only an old version returns nothing for that row. */
static void test_field_pred_after_dedup(void **state)
{
	(void)state;
	struct mrow a[] = {PUT(1, 1, 1, 10, 1.0, NULL), PUT(2, 1, 1, 10, 1.0, NULL)};
	struct mrow b[] = {PUT(1, 1, 2, 1, 1.0, NULL), PUT(2, 1, 2, NUL, 2.0, NULL)};
	struct scan_pred p = {.col = C_A, .op = PRED_GT, .lit = {.type = DT_INT64, .v.i = 5}};
	bool proj[NCOLS] = {true, true, false, true, false}; /* a only via the predicate */
	struct scan_request req = {.projection = proj, .ts_min = INT64_MIN, .ts_max = INT64_MAX,
				   .npreds = 1, .preds = &p};
	struct merge_options o = opts(true, MERGE_LAST_ROW, false);
	o.req = &req;
	bool need[NCOLS] = {true, true, true, true, false};
	struct sorted_source *ss[2] = {vec_source(a, 2, 1, false), vec_source(b, 2, 1, false)};
	struct sorted_source *m;
	assert_int_equal(merge_open(ss, 2, &o, &m), ERR_OK);
	struct outrows out;
	assert_int_equal(drain(m, need, &out), ERR_OK);
	sorted_source_close(m);
	assert_int_equal(out.n, 0);
	free(out.r);
	/* last_non_null: h2's a is filled from the old version (10) and passes */
	o.mode = MERGE_LAST_NON_NULL;
	struct mrow want[] = {PUT(2, 1, 2, 10, 2.0, NULL)};
	ss[0] = vec_source(a, 2, 1, false);
	ss[1] = vec_source(b, 2, 1, false);
	assert_int_equal(merge_open(ss, 2, &o, &m), ERR_OK);
	assert_int_equal(drain(m, need, &out), ERR_OK);
	sorted_source_close(m);
	expect_rows(&out, want, 1, need);
	free(out.r);
}

static void test_empty_sources(void **state)
{
	(void)state;
	struct merge_options o = opts(true, MERGE_LAST_ROW, false);
	struct sorted_source *m;
	const struct batch *b = (const struct batch *)1;
	assert_int_equal(merge_open(NULL, 0, &o, &m), ERR_OK);
	assert_int_equal(sorted_source_next(m, &b), ERR_OK);
	assert_null(b);
	sorted_source_close(m);
	struct mrow one[] = {PUT(1, 1, 1, 1, 1.0, NULL)};
	struct sorted_source *ss[3] = {vec_source(NULL, 0, 4, false), vec_source(one, 1, 4, false),
				       vec_source(NULL, 0, 4, true)};
	assert_int_equal(merge_open(ss, 3, &o, &m), ERR_OK);
	struct outrows out;
	assert_int_equal(drain(m, NULL, &out), ERR_OK);
	expect_rows(&out, one, 1, NULL);
	sorted_source_close(m);
	free(out.r);
}

static void test_source_errors(void **state)
{
	(void)state;
	struct mrow rows[40];
	for (int i = 0; i < 40; i++)
		rows[i] = PUT(i % 3, i, (uint64_t)i + 1, i, 1.0, NULL);
	struct merge_options o = opts(true, MERGE_LAST_ROW, false);
	/* failing at open */
	struct sorted_source *ss[2] = {vec_source(rows, 40, 4, false), vec_source(rows, 40, 4, false)};
	((struct vec_src *)ss[1])->fail_at = 0;
	struct sorted_source *m = (struct sorted_source *)1;
	assert_int_equal(merge_open(ss, 2, &o, &m), ERR_IO);
	assert_null(m); /* sources were closed (ASan checks for leaks) */
	/* failing later */
	ss[0] = vec_source(rows, 40, 4, false);
	ss[1] = vec_source(rows, 40, 4, false);
	((struct vec_src *)ss[1])->fail_at = 3;
	assert_int_equal(merge_open(ss, 2, &o, &m), ERR_OK);
	struct outrows out;
	assert_int_equal(drain(m, NULL, &out), ERR_IO);
	sorted_source_close(m);
	free(out.r);
	/* a source leaving a needed column empty */
	ss[0] = vec_source(rows, 40, 4, false);
	((struct vec_src *)ss[0])->empty_col = C_S;
	assert_int_equal(merge_open(ss, 1, &o, &m), ERR_INTERNAL);
	/* ... which is fine when the column is not projected */
	bool proj[NCOLS] = {true, true, true, true, false};
	struct scan_request req = {.projection = proj, .ts_min = INT64_MIN, .ts_max = INT64_MAX};
	o.req = &req;
	ss[0] = vec_source(rows, 40, 4, false);
	((struct vec_src *)ss[0])->empty_col = C_S;
	assert_int_equal(merge_open(ss, 1, &o, &m), ERR_OK);
	assert_int_equal(drain(m, proj, &out), ERR_OK);
	assert_int_equal(out.n, 40);
	sorted_source_close(m);
	free(out.r);
}

/* One big source without duplicates: the range-copy path, batches <= 4096. */
static void test_single_source_fast_path(void **state)
{
	(void)state;
	enum { N = 30000 };
	struct mrow *rows = malloc(N * sizeof(*rows));
	for (int i = 0; i < N; i++) {
		rows[i] = PUT(i / 1000, i % 1000, (uint64_t)i + 1, i, i % 7 ? (double)i : NUL, NULL);
		if (i % 5)
			s_set(&rows[i], "v");
	}
	/* a few duplicates and deletes in the middle */
	rows[500] = DEL(0, 499, 100000);
	rows[7000] = PUT(7, 1, 100001, 1, NUL, NULL);
	struct merge_options o = opts(true, MERGE_LAST_NON_NULL, false);
	struct sorted_source *ss[1] = {vec_source(rows, N, 4096, false)};
	struct sorted_source *m;
	assert_int_equal(merge_open(ss, 1, &o, &m), ERR_OK);
	const struct batch *b;
	size_t total = 0;
	while (sorted_source_next(m, &b) == ERR_OK && b) {
		assert_true(b->nrows <= 4096 + 1);
		for (uint32_t i = 0; i < b->nrows; i++) {
			int64_t ts = b->cols[C_TS].i64[i];
			uint64_t seq = (uint64_t)b->cols[C_SEQ].i64[i];
			if (seq == 100001) {
				/* (h7, 1): newest has a = 1, null b: filled from seq 7002 */
				assert_int_equal(b->cols[C_A].i64[i], 1);
				assert_false(colvec_is_null(&b->cols[C_B], i));
				assert_true(b->cols[C_B].f64[i] == 7001.0);
			}
			assert_false(ts == 499 && seq <= 500); /* deleted */
			total++;
		}
	}
	/* N rows, minus (h0,499) deleted with its put and (h7,1) deduped:
	 * rows[500] replaced (h0,500); rows[7000] replaced (h7,0) */
	assert_int_equal(total, N - 3);
	sorted_source_close(m);
	free(rows);
}

/* One source whose batches are clean runs: the merge hands them out as
 * they are (last_row, append mode), but an older version of the previous
 * batch's last identity opening the next batch is still skipped, and
 * last_non_null (whose output row may still be filled) never lends. */
static void run_batches(const struct mrow *rows, size_t n, uint32_t batch,
			const struct merge_options *o, struct mrow *want, size_t nwant)
{
	struct sorted_source *ss[1] = {vec_source(rows, n, batch, false)};
	struct sorted_source *m;
	assert_int_equal(merge_open(ss, 1, o, &m), ERR_OK);
	struct outrows out;
	assert_int_equal(drain(m, o->req ? o->req->projection : NULL, &out), ERR_OK);
	sorted_source_close(m);
	expect_rows(&out, want, nwant, o->req ? o->req->projection : NULL);
	free(out.r);
}

static void test_single_source_lent_batches(void **state)
{
	(void)state;
	/* h1 ts 0..7 (newest seq 100+), then an older version of (h1, 7), then h2 ts 0..6:
	 * batches of 8 rows split (h1, 7) across the boundary */
	struct mrow rows[16], want[15];
	size_t n = 0, nw = 0;
	for (int t = 0; t < 8; t++) {
		rows[n] = PUT(1, t, (uint64_t)(100 + t), t, t == 7 ? NUL : (double)t, NULL);
		want[nw++] = rows[n++];
	}
	rows[n++] = PUT(1, 7, 50, 70, 70.0, NULL);
	for (int t = 0; t < 7; t++) {
		rows[n] = PUT(2, t, (uint64_t)(200 + t), 20 + t, (double)(20 + t), NULL);
		want[nw++] = rows[n++];
	}
	struct merge_options o = opts(true, MERGE_LAST_ROW, false);
	run_batches(rows, n, 8, &o, want, nw);
	run_batches(rows, n, 4, &o, want, nw);
	/* last_non_null fills (h1, 7)'s null b from the older version */
	o = opts(true, MERGE_LAST_NON_NULL, false);
	want[7].b = 70.0;
	want[7].b_null = false;
	run_batches(rows, n, 8, &o, want, nw);
	want[7].b = NUL;
	want[7].b_null = true;
	/* append mode keeps both versions */
	o = opts(false, MERGE_LAST_ROW, false);
	struct mrow all[16];
	memcpy(all, want, 8 * sizeof(*all));
	all[8] = rows[8];
	memcpy(all + 9, want + 8, 7 * sizeof(*all));
	run_batches(rows, n, 8, &o, all, 16);
	/* a field predicate drops rows of a lent batch */
	struct scan_pred p = {.col = C_A, .op = PRED_GE, .lit = {.type = DT_INT64, .v.i = 4}};
	bool proj[NCOLS] = {true, true, true, true, true};
	struct scan_request req = {.ts_min = INT64_MIN, .ts_max = INT64_MAX, .preds = &p,
				   .npreds = 1, .projection = proj};
	o = opts(true, MERGE_LAST_ROW, false);
	o.req = &req;
	struct mrow some[15];
	size_t ns = 0;
	for (size_t i = 0; i < nw; i++)
		if (want[i].a >= 4)
			some[ns++] = want[i];
	run_batches(rows, n, 8, &o, some, ns);
}

/* Memtable scans merged like the region scan does. */
static void test_with_memtable(void **state)
{
	(void)state;
	struct memtable *mt;
	assert_int_equal(memtable_create(schema, &mt), ERR_OK);
	enum dtype types[NTOT];
	region_schema_internal_types(schema, types);
	struct batch b;
	batch_init(&b, NCOLS, types);
	struct mrow in[] = {PUT(1, 1, 0, 1, 1.0, NULL), PUT(1, 1, 0, 2, NUL, NULL),
			    PUT(2, 3, 0, 3, 3.0, NULL)};
	for (int i = 0; i < 3; i++) {
		set_pk(&in[i]);
		struct batch t;
		batch_init(&t, NTOT, types);
		push_row(&t, &in[i]);
		for (uint32_t c = 0; c < NCOLS; c++)
			colvec_append_range(&b.cols[c], &t.cols[c], 0, 1);
		b.nrows++;
		batch_free(&t);
	}
	assert_int_equal(memtable_write(mt, &b, 10, OP_PUT), ERR_OK);
	batch_free(&b);
	struct mrow old[] = {PUT(1, 1, 5, 9, 9.0, NULL), PUT(2, 3, 13, 8, 8.0, NULL)};
	struct sorted_source *ss[2];
	assert_int_equal(memtable_scan(mt, NULL, 0, UINT64_MAX, &ss[0]), ERR_OK);
	ss[1] = vec_source(old, 2, 1, false);
	struct merge_options o = opts(true, MERGE_LAST_NON_NULL, false);
	struct sorted_source *m;
	assert_int_equal(merge_open(ss, 2, &o, &m), ERR_OK);
	struct outrows out;
	assert_int_equal(drain(m, NULL, &out), ERR_OK);
	sorted_source_close(m);
	struct mrow want[] = {PUT(1, 1, 11, 2, 1.0, NULL), PUT(2, 3, 13, 8, 8.0, NULL)};
	expect_rows(&out, want, 2, NULL);
	free(out.r);
	memtable_free(mt);
}

/* Tag and time predicates and the time range are the sources' job unless
 * recheck_keys asks the merge to apply them as well. */
static void test_recheck_keys(void **state)
{
	(void)state;
	struct mrow rows[30];
	for (int i = 0; i < 30; i++)
		rows[i] = PUT(i % 3, i / 3, (uint64_t)i + 1, i, 1.0, NULL);
	struct scan_pred p = {.col = C_HOST, .op = PRED_EQ, .lit = {.type = DT_STRING,
								  .v.s = {"h2", 2}}};
	struct scan_request req = {.ts_min = 3, .ts_max = 6, .npreds = 1, .preds = &p};
	struct merge_options o = opts(true, MERGE_LAST_ROW, false);
	o.req = &req;
	for (int recheck = 0; recheck < 2; recheck++) {
		o.recheck_keys = recheck;
		struct sorted_source *ss[1] = {vec_source(rows, 30, 7, false)};
		struct sorted_source *m;
		assert_int_equal(merge_open(ss, 1, &o, &m), ERR_OK);
		struct outrows out;
		assert_int_equal(drain(m, NULL, &out), ERR_OK);
		sorted_source_close(m);
		if (!recheck) {
			assert_int_equal(out.n, 30);
		} else {
			struct mrow want[] = {PUT(2, 3, 12, 11, 1.0, NULL),
					      PUT(2, 4, 15, 14, 1.0, NULL),
					      PUT(2, 5, 18, 17, 1.0, NULL)};
			expect_rows(&out, want, 3, NULL);
		}
		free(out.r);
	}
}

/* ---- randomized comparison with a brute-force reference --------------- */

/* A field the merge reads (need) is still null. */
static bool any_null_field(const struct mrow *r, const bool *need)
{
	return (need[C_A] && r->a_null) || (need[C_B] && r->b_null) || (need[C_S] && r->s_null);
}

static void fill_from(struct mrow *dst, const struct mrow *src)
{
	if (dst->a_null && !src->a_null) {
		dst->a_null = false;
		dst->a = src->a;
	}
	if (dst->b_null && !src->b_null) {
		dst->b_null = false;
		dst->b = src->b;
	}
	if (dst->s_null && !src->s_null) {
		dst->s_null = false;
		strcpy(dst->s, src->s);
	}
}

static bool ref_pred(const struct scan_pred *p, const struct mrow *r)
{
	struct datum d;
	memset(&d, 0, sizeof(d));
	switch (p->col) {
	case C_A: d.type = DT_INT64; d.is_null = r->a_null; d.v.i = r->a; break;
	case C_B: d.type = DT_FLOAT64; d.is_null = r->b_null; d.v.f = r->b; break;
	default:
		d.type = DT_STRING;
		d.is_null = r->s_null;
		d.v.s.p = r->s;
		d.v.s.n = (uint32_t)strlen(r->s);
		break;
	}
	bool res;
	if (p->op == PRED_IS_NULL)
		return d.is_null;
	if (p->op == PRED_IS_NOT_NULL)
		return !d.is_null;
	if (d.is_null)
		return false;
	int c;
	if (p->col == C_A)
		c = d.v.i < p->lit.v.i ? -1 : d.v.i > p->lit.v.i;
	else if (p->col == C_B)
		c = d.v.f < p->lit.v.f ? -1 : d.v.f > p->lit.v.f;
	else
		c = strcmp(r->s, p->lit.v.s.p);
	switch (p->op) {
	case PRED_EQ: res = c == 0; break;
	case PRED_NE: res = c != 0; break;
	case PRED_LT: res = c < 0; break;
	case PRED_LE: res = c <= 0; break;
	case PRED_GT: res = c > 0; break;
	default: res = c >= 0; break;
	}
	return res;
}

/* The merge's rules, written the slow obvious way. */
static size_t reference(struct mrow *all, size_t n, const struct merge_options *o,
			const struct scan_pred *preds, uint32_t npreds, const bool *need,
			struct mrow *out)
{
	qsort(all, n, sizeof(*all), cmp_mrow);
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && all[j].pklen == all[i].pklen && !memcmp(all[j].pk, all[i].pk, all[i].pklen) &&
		       all[j].ts == all[i].ts)
			j++;
		/* group [i, j), newest first */
		size_t start = k;
		if (!o->dedup) {
			for (size_t g = i; g < j; g++) {
				if (all[g].op == OP_DELETE) {
					if (o->keep_deletes)
						out[k++] = all[g];
					break;
				}
				out[k++] = all[g];
			}
		} else if (all[i].op == OP_DELETE) {
			if (o->keep_deletes)
				out[k++] = all[i];
		} else if (o->mode == MERGE_LAST_ROW) {
			out[k++] = all[i];
		} else {
			struct mrow r = all[i];
			struct mrow cut;
			bool have_cut = false;
			for (size_t g = i + 1; g < j && any_null_field(&r, need); g++) {
				if (all[g].op == OP_DELETE) {
					cut = all[g];
					have_cut = true;
					break;
				}
				fill_from(&r, &all[g]);
			}
			out[k++] = r;
			if (have_cut && o->keep_deletes)
				out[k++] = cut;
		}
		/* field predicates on what the group produced */
		size_t w = start;
		for (size_t g = start; g < k; g++) {
			bool ok = true;
			for (uint32_t q = 0; q < npreds && ok; q++)
				ok = ref_pred(&preds[q], &out[g]);
			if (ok)
				out[w++] = out[g];
		}
		k = w;
		i = j;
	}
	return k;
}

static void random_mrow(struct mrow *r, int nhosts, int nts, uint64_t seq)
{
	if (rand() % 8 == 0)
		*r = DEL(rand() % (nhosts + 1) - 1, rand() % nts, seq);
	else
		*r = PUT(rand() % (nhosts + 1) - 1, rand() % nts, seq, rand() % 100,
			 (double)(rand() % 100), NULL);
	if (r->op == OP_PUT) {
		r->a_null = rand() % 3 == 0;
		r->b_null = rand() % 3 == 0;
		if (rand() % 3)
			snprintf(r->s, sizeof(r->s), "s%u", (unsigned)rand() % 20);
		else
			r->s_null = true;
	} else if (rand() % 4 == 0) {
		r->a_null = false; /* deletes may carry stray field values */
		r->a = 1000;
	}
}

static void test_randomized_vs_reference(void **state)
{
	(void)state;
	srand(12345);
	static const char *svals[] = {"s1", "s5", "s19"};
	for (int iter = 0; iter < 300; iter++) {
		uint32_t nsrc = 1 + (uint32_t)(rand() % 5);
		int nhosts = 1 + rand() % 30, nts = 1 + rand() % 40;
		size_t total = (size_t)(rand() % (iter % 10 == 0 ? 6000 : 300));
		struct mrow *rows = malloc((total + 1) * sizeof(*rows));
		for (size_t i = 0; i < total; i++) {
			random_mrow(&rows[i], nhosts, nts, i + 1);
			set_pk(&rows[i]);
		}
		struct merge_options o = opts(rand() % 4 != 0, (enum merge_mode)(rand() % 2),
					      rand() % 3 == 0);
		struct scan_pred preds[2];
		uint32_t npreds = 0;
		bool proj[NCOLS] = {true, true, true, true, true};
		struct scan_request req = {.ts_min = INT64_MIN, .ts_max = INT64_MAX};
		if (rand() % 2) {
			int col = C_A + rand() % 3;
			enum pred_op ops[] = {PRED_EQ, PRED_NE, PRED_LT, PRED_LE, PRED_GT, PRED_GE,
					      PRED_IS_NULL, PRED_IS_NOT_NULL};
			struct scan_pred *p = &preds[npreds++];
			memset(p, 0, sizeof(*p));
			p->col = (uint32_t)col;
			p->op = ops[rand() % 8];
			if (col == C_A)
				p->lit = (struct datum){.type = DT_INT64, .v.i = rand() % 100};
			else if (col == C_B)
				p->lit = (struct datum){.type = DT_FLOAT64, .v.f = rand() % 100};
			else {
				const char *sv = svals[rand() % 3];
				p->lit = (struct datum){.type = DT_STRING,
							.v.s = {sv, (uint32_t)strlen(sv)}};
			}
			if (rand() % 2)
				proj[col] = false; /* needed through the predicate only */
		}
		if (rand() % 3 == 0)
			proj[C_S] = proj[C_S] && rand() % 2;
		req.preds = preds;
		req.npreds = npreds;
		req.projection = proj;
		o.req = &req;
		bool need[NCOLS];
		memcpy(need, proj, sizeof(need));
		need[C_TS] = true;
		for (uint32_t q = 0; q < npreds; q++)
			need[preds[q].col] = true;

		/* split rows among sources (a row goes to one source) */
		struct sorted_source *ss[5];
		size_t cnt[5] = {0};
		struct mrow *part[5];
		for (uint32_t s = 0; s < nsrc; s++)
			part[s] = malloc((total + 1) * sizeof(struct mrow));
		for (size_t i = 0; i < total; i++) {
			uint32_t s = (uint32_t)(rand() % nsrc);
			part[s][cnt[s]++] = rows[i];
		}
		bool rnd = rand() % 2;
		uint32_t mb = rnd ? 1 + (uint32_t)(rand() % 64) : 1 + (uint32_t)(rand() % 5000);
		for (uint32_t s = 0; s < nsrc; s++) {
			ss[s] = vec_source(part[s], cnt[s], mb, rnd);
			free(part[s]);
		}
		struct sorted_source *m;
		assert_int_equal(merge_open(ss, nsrc, &o, &m), ERR_OK);
		struct outrows out;
		assert_int_equal(drain(m, need, &out), ERR_OK);
		sorted_source_close(m);

		struct mrow *want = malloc((total + 1) * sizeof(*want));
		size_t nw = reference(rows, total, &o, preds, npreds, need, want);
		if (out.n != nw)
			fail_msg("iter %d (dedup %d mode %d keep %d preds %u): got %zu rows, want %zu",
				 iter, o.dedup, o.mode, o.keep_deletes, npreds, out.n, nw);
		expect_rows(&out, want, nw, need);
		free(want);
		free(out.r);
		free(rows);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_source_lent_batches),
		cmocka_unit_test(test_overlap_last_row),
		cmocka_unit_test(test_last_non_null),
		cmocka_unit_test(test_deletes),
		cmocka_unit_test(test_append_mode_deletes),
		cmocka_unit_test(test_field_pred_after_dedup),
		cmocka_unit_test(test_empty_sources),
		cmocka_unit_test(test_source_errors),
		cmocka_unit_test(test_single_source_fast_path),
		cmocka_unit_test(test_with_memtable),
		cmocka_unit_test(test_recheck_keys),
		cmocka_unit_test(test_randomized_vs_reference),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
