/*
 * Unit tests for src/storage/memtable (and pred): every scan is compared
 * with a reference model (all written rows, filtered and sorted by brute
 * force) over active and frozen memtables.
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
#include "storage/pk_codec.h"
#include "storage/pred.h"
#include "storage/scan.h"
#include "storage/schema.h"

/* Columns: 0 ts, 1 host (tag), 2 cpu, 3 dc (tag, nullable), 4 mem, 5 note.
 * Primary key order: dc, host. */
enum { C_TS, C_HOST, C_CPU, C_DC, C_MEM, C_NOTE, NCOLS };

static struct region_schema *test_schema(void)
{
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	s->ncols = NCOLS;
	s->cols = mem_calloc(NCOLS, sizeof(*s->cols));
	const char *names[] = {"ts", "host", "cpu", "dc", "mem", "note"};
	const enum dtype types[] = {DT_TS_MS, DT_STRING, DT_FLOAT64, DT_STRING, DT_INT64, DT_STRING};
	const enum semantic_type sems[] = {SEM_TIMESTAMP, SEM_TAG, SEM_FIELD, SEM_TAG, SEM_FIELD,
					   SEM_FIELD};
	for (uint32_t i = 0; i < NCOLS; i++)
		s->cols[i] = (struct column_schema){.name = mem_strdup(names[i]), .type = types[i],
						    .sem = sems[i], .nullable = i != 0,
						    .column_id = i};
	s->ts_col = C_TS;
	s->npk = 2;
	s->pk_cols = mem_calloc(2, sizeof(uint32_t));
	s->pk_cols[0] = C_DC;
	s->pk_cols[1] = C_HOST;
	assert_int_equal(region_schema_validate(s), ERR_OK);
	return s;
}

static void req_init(struct scan_request *r)
{
	memset(r, 0, sizeof(*r));
	r->ts_min = INT64_MIN;
	r->ts_max = INT64_MAX;
}

/* One row as the test model sees it. */
struct trow {
	char host[16];
	bool dc_null;
	char dc[8];
	int64_t ts;
	bool cpu_null, mem_null, note_null;
	double cpu;
	int64_t mem;
	char note[16];
	uint64_t seq;
	int op;
	uint8_t pk[32];
	uint32_t pklen;
};

struct model {
	struct region_schema *s;
	struct trow *rows;
	size_t n, cap;
};

static void model_add(struct model *md, const struct trow *r)
{
	if (md->n == md->cap) {
		md->cap = md->cap ? md->cap * 2 : 256;
		md->rows = realloc(md->rows, md->cap * sizeof(*md->rows));
	}
	md->rows[md->n++] = *r;
}

static struct batch make_batch(const struct trow *rows, uint32_t n)
{
	enum dtype types[NCOLS] = {DT_TS_MS, DT_STRING, DT_FLOAT64, DT_STRING, DT_INT64, DT_STRING};
	struct batch b;
	assert_int_equal(batch_init(&b, NCOLS, types), ERR_OK);
	for (uint32_t i = 0; i < n; i++) {
		const struct trow *r = &rows[i];
		colvec_push_i64(&b.cols[C_TS], r->ts);
		colvec_push_bytes(&b.cols[C_HOST], r->host, strlen(r->host));
		r->cpu_null ? colvec_push_null(&b.cols[C_CPU]) : colvec_push_f64(&b.cols[C_CPU], r->cpu);
		r->dc_null ? colvec_push_null(&b.cols[C_DC])
			   : colvec_push_bytes(&b.cols[C_DC], r->dc, strlen(r->dc));
		r->mem_null ? colvec_push_null(&b.cols[C_MEM]) : colvec_push_i64(&b.cols[C_MEM], r->mem);
		r->note_null ? colvec_push_null(&b.cols[C_NOTE])
			     : colvec_push_bytes(&b.cols[C_NOTE], r->note, strlen(r->note));
		b.nrows++;
	}
	return b;
}

static void set_pk(const struct region_schema *s, struct trow *r)
{
	struct batch b = make_batch(r, 1);
	struct buf k;
	buf_init(&k);
	assert_int_equal(pk_encode_row(s, &b, 0, &k), ERR_OK);
	assert_true(k.len <= sizeof(r->pk));
	memcpy(r->pk, k.data, k.len);
	r->pklen = (uint32_t)k.len;
	buf_free(&k);
	batch_free(&b);
}

static void random_row(struct trow *r, int nhosts, int64_t tsmax)
{
	static const char *dcs[] = {"east", "west", ""};
	memset(r, 0, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "h%u", (unsigned)(rand() % nhosts) % 100000u);
	int d = rand() % 4;
	r->dc_null = d == 3;
	if (!r->dc_null)
		strcpy(r->dc, dcs[d]);
	r->ts = rand() % tsmax;
	r->cpu_null = rand() % 5 == 0;
	r->cpu = (double)(rand() % 1000) / 10.0;
	r->mem_null = rand() % 5 == 0;
	r->mem = rand() % 100000 - 50000;
	r->note_null = rand() % 3 == 0;
	snprintf(r->note, sizeof(r->note), "n%u", (unsigned)rand() % 50u);
}

/* Write `nbatches` random batches to m and the model. */
static void write_random(struct memtable *m, struct model *md, int nbatches, int nhosts,
			 int64_t tsmax, uint64_t *seq)
{
	for (int bi = 0; bi < nbatches; bi++) {
		uint32_t n = 1 + (uint32_t)(rand() % 40);
		struct trow rows[40];
		int op = rand() % 10 == 0 ? OP_DELETE : OP_PUT;
		for (uint32_t i = 0; i < n; i++) {
			random_row(&rows[i], nhosts, tsmax);
			/* runs of one series, like real clients send */
			if (i && rand() % 2)
				memcpy(rows[i].host, rows[i - 1].host, sizeof(rows[i].host)),
					rows[i].dc_null = rows[i - 1].dc_null,
					memcpy(rows[i].dc, rows[i - 1].dc, sizeof(rows[i].dc));
		}
		struct batch b = make_batch(rows, n);
		assert_int_equal(memtable_write(m, &b, *seq, (enum op_type)op), ERR_OK);
		for (uint32_t i = 0; i < n; i++) {
			rows[i].seq = *seq + i;
			rows[i].op = op;
			set_pk(md->s, &rows[i]);
			model_add(md, &rows[i]);
		}
		*seq += n + (uint64_t)(rand() % 3);
		batch_free(&b);
	}
}

static int cmp_trow(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;
	int c = pk_cmp(x->pk, x->pklen, y->pk, y->pklen);
	if (c)
		return c;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static bool str_match(const char *v, bool null, const struct scan_pred *p)
{
	struct datum d = {.type = DT_STRING, .is_null = null, .v.s = {v, (uint32_t)strlen(v)}};
	return pred_match_datum(p, &d);
}

/* Rows the memtable should return, in order. */
static size_t model_expect(const struct model *md, const struct scan_request *req, uint64_t lo,
			   uint64_t hi, struct trow *out)
{
	size_t n = 0;
	for (size_t i = 0; i < md->n; i++) {
		const struct trow *r = &md->rows[i];
		if (r->seq <= lo || r->seq > hi)
			continue;
		if (req && (r->ts < req->ts_min || (req->ts_max != INT64_MAX && r->ts >= req->ts_max)))
			continue;
		bool ok = true;
		for (uint32_t k = 0; req && k < req->npreds && ok; k++) {
			const struct scan_pred *p = &req->preds[k];
			if (p->col == C_HOST)
				ok = str_match(r->host, false, p);
			else if (p->col == C_DC)
				ok = str_match(r->dc, r->dc_null, p);
			else if (p->col == C_TS) {
				struct datum d = {.type = DT_TS_MS, .v.i = r->ts};
				ok = pred_match_datum(p, &d);
			}
		}
		if (ok)
			out[n++] = *r;
	}
	qsort(out, n, sizeof(*out), cmp_trow);
	return n;
}

/* Drain a source into rows; checks batch shape and column fill. */
static size_t drain(struct sorted_source *src, const bool *filled, struct trow *out, size_t max)
{
	size_t n = 0;
	const struct batch *b;
	for (;;) {
		assert_int_equal(sorted_source_next(src, &b), ERR_OK);
		if (!b)
			break;
		assert_true(b->nrows > 0 && b->nrows <= 4096);
		assert_int_equal(b->ncols, NCOLS + SCHEMA_INTERNAL_COLS);
		for (uint32_t c = 0; c < b->ncols; c++)
			assert_int_equal(b->cols[c].len, c >= NCOLS || filled[c] ? b->nrows : 0);
		for (uint32_t i = 0; i < b->nrows; i++) {
			assert_true(n < max);
			struct trow *r = &out[n++];
			memset(r, 0, sizeof(*r));
			uint32_t len;
			const char *p;
			r->ts = b->cols[C_TS].i64[i];
			if (filled[C_HOST]) {
				p = colvec_bytes(&b->cols[C_HOST], i, &len);
				if (len)
					memcpy(r->host, p, len);
			}
			if (filled[C_DC]) {
				r->dc_null = colvec_is_null(&b->cols[C_DC], i);
				p = colvec_bytes(&b->cols[C_DC], i, &len);
				if (len)
					memcpy(r->dc, p, len);
			}
			if (filled[C_CPU]) {
				r->cpu_null = colvec_is_null(&b->cols[C_CPU], i);
				r->cpu = b->cols[C_CPU].f64[i];
			}
			if (filled[C_MEM]) {
				r->mem_null = colvec_is_null(&b->cols[C_MEM], i);
				r->mem = b->cols[C_MEM].i64[i];
			}
			if (filled[C_NOTE]) {
				r->note_null = colvec_is_null(&b->cols[C_NOTE], i);
				p = colvec_bytes(&b->cols[C_NOTE], i, &len);
				if (len)
					memcpy(r->note, p, len);
			}
			p = colvec_bytes(&b->cols[NCOLS], i, &len);
			assert_true(len <= sizeof(r->pk));
			if (len)
				memcpy(r->pk, p, len);
			r->pklen = len;
			r->seq = (uint64_t)b->cols[NCOLS + 1].i64[i];
			r->op = (int)b->cols[NCOLS + 2].i64[i];
		}
	}
	return n;
}

static void assert_rows_equal(const struct trow *got, size_t ngot, const struct trow *want,
			      size_t nwant, const bool *filled)
{
	assert_int_equal(ngot, nwant);
	for (size_t i = 0; i < ngot; i++) {
		const struct trow *g = &got[i], *w = &want[i];
		if (g->seq != w->seq || g->ts != w->ts || g->op != w->op || g->pklen != w->pklen ||
		    memcmp(g->pk, w->pk, g->pklen))
			fail_msg("row %zu: got seq %llu ts %lld, want seq %llu ts %lld", i,
				 (unsigned long long)g->seq, (long long)g->ts,
				 (unsigned long long)w->seq, (long long)w->ts);
		if (filled[C_HOST])
			assert_string_equal(g->host, w->host);
		if (filled[C_DC]) {
			assert_int_equal(g->dc_null, w->dc_null);
			assert_memory_equal(g->dc, w->dc, sizeof(g->dc));
		}
		if (filled[C_CPU]) {
			assert_int_equal(g->cpu_null, w->cpu_null);
			if (!w->cpu_null)
				assert_true(g->cpu == w->cpu);
		}
		if (filled[C_MEM]) {
			assert_int_equal(g->mem_null, w->mem_null);
			if (!w->mem_null)
				assert_int_equal(g->mem, w->mem);
		}
		if (filled[C_NOTE]) {
			assert_int_equal(g->note_null, w->note_null);
			if (!w->note_null)
				assert_string_equal(g->note, w->note);
		}
	}
}

static const bool all_filled[NCOLS] = {true, true, true, true, true, true};

/* Scan m and compare with the model. */
static void check_scan(struct memtable *m, const struct model *md, const struct scan_request *req,
		       uint64_t lo, uint64_t hi, const bool *filled)
{
	struct trow *want = malloc((md->n + 1) * sizeof(*want));
	struct trow *got = malloc((md->n + 1) * sizeof(*got));
	size_t nw = model_expect(md, req, lo, hi, want);
	struct sorted_source *src;
	assert_int_equal(memtable_scan(m, req, lo, hi, &src), ERR_OK);
	size_t ng = drain(src, filled ? filled : all_filled, got, md->n + 1);
	sorted_source_close(src);
	assert_rows_equal(got, ng, want, nw, filled ? filled : all_filled);
	free(want);
	free(got);
}

struct fixture {
	struct region_schema *s;
	struct memtable *m;
	struct model md;
	uint64_t seq;
};

static void fx_init(struct fixture *f, int nbatches, int nhosts, int64_t tsmax)
{
	memset(f, 0, sizeof(*f));
	f->s = test_schema();
	f->md.s = f->s;
	assert_int_equal(memtable_create(f->s, &f->m), ERR_OK);
	f->seq = 1;
	write_random(f->m, &f->md, nbatches, nhosts, tsmax, &f->seq);
}

static void fx_free(struct fixture *f)
{
	memtable_free(f->m);
	region_schema_free(f->s);
	free(f->md.rows);
}

static void test_write_scan_order(void **state)
{
	(void)state;
	srand(1);
	struct fixture f;
	fx_init(&f, 60, 12, 50); /* many duplicates and out-of-order ts */
	assert_true(memtable_num_rows(f.m) == f.md.n);
	check_scan(f.m, &f.md, NULL, 0, UINT64_MAX, NULL);
	memtable_freeze(f.m);
	assert_int_equal(memtable_get_state(f.m), MEMTABLE_FROZEN);
	check_scan(f.m, &f.md, NULL, 0, UINT64_MAX, NULL);
	check_scan(f.m, &f.md, NULL, 0, UINT64_MAX, NULL); /* cached index */
	fx_free(&f);
}

/* Scans between out-of-order writes: the per-series sorted cache must take
 * in new rows (appended in order, or sorted and merged) at every scan. */
static void test_scan_between_writes(void **state)
{
	(void)state;
	srand(11);
	struct fixture f;
	fx_init(&f, 5, 6, 40);
	for (int round = 0; round < 12; round++) {
		check_scan(f.m, &f.md, NULL, 0, UINT64_MAX, NULL);
		struct scan_request req;
		req_init(&req);
		req.ts_min = 10;
		req.ts_max = 30;
		check_scan(f.m, &f.md, &req, 0, UINT64_MAX, NULL);
		write_random(f.m, &f.md, 3, 6, round % 2 ? 40 : 400, &f.seq);
	}
	memtable_freeze(f.m);
	check_scan(f.m, &f.md, NULL, 0, UINT64_MAX, NULL);
	fx_free(&f);
}

/* Tail mode: per series, the rows from the last identity whose newest
 * version is a put; the unique flag tells duplicates and deletes. */
static void test_tail_mode_and_unique(void **state)
{
	(void)state;
	srand(5);
	for (int iter = 0; iter < 20; iter++) {
		struct fixture f;
		fx_init(&f, 8, 4, iter % 2 ? 6 : 200);
		for (int frozen = 0; frozen < 2; frozen++) {
			if (frozen)
				memtable_freeze(f.m);
			struct trow *all = malloc((f.md.n + 1) * sizeof(*all));
			struct trow *got = malloc((f.md.n + 1) * sizeof(*got));
			size_t na = model_expect(&f.md, NULL, 0, UINT64_MAX, all);
			struct memtable_scan_opts o = {.last_per_series = true};
			struct sorted_source *src;
			bool unique = false;
			assert_int_equal(memtable_scan_ex(f.m, NULL, 0, UINT64_MAX, &o, &src, &unique),
					 ERR_OK);
			size_t ng = drain(src, all_filled, got, f.md.n + 1);
			sorted_source_close(src);
			/* expected: for each series (run of equal pk in all[]), the suffix
			 * starting at the last identity whose first (newest) row is a put */
			struct trow *want = malloc((f.md.n + 1) * sizeof(*want));
			size_t nw = 0;
			bool want_unique = true;
			for (size_t i = 0; i < na;) {
				size_t j = i;
				while (j < na && all[j].pklen == all[i].pklen &&
				       !memcmp(all[j].pk, all[i].pk, all[i].pklen))
					j++;
				size_t start = i;
				for (size_t g = j; g > i;) {
					size_t e = g;
					size_t b = e - 1;
					while (b > i && all[b - 1].ts == all[e - 1].ts)
						b--;
					if (all[b].op != OP_DELETE) {
						start = b;
						break;
					}
					g = b;
				}
				for (size_t k = start; k < j; k++) {
					want[nw++] = all[k];
					if (all[k].op == OP_DELETE || (k > start && all[k].ts == all[k - 1].ts))
						want_unique = false;
				}
				i = j;
			}
			assert_rows_equal(got, ng, want, nw, all_filled);
			assert_int_equal(unique, want_unique);
			free(all);
			free(got);
			free(want);
		}
		fx_free(&f);
	}
}

/* Lean mode leaves the internal columns empty exactly when the rows are
 * unique (no delete, no two versions of one identity). */
static void test_lean_when_unique(void **state)
{
	(void)state;
	struct region_schema *s = test_schema();
	struct memtable *m;
	assert_int_equal(memtable_create(s, &m), ERR_OK);
	struct model md = {.s = s};
	uint64_t seq = 1;
	srand(3);
	struct memtable_scan_opts o = {.lean_if_unique = true};
	bool seen_unique = false, seen_dup = false;
	for (int pass = 0; pass < 8; pass++) {
		write_random(m, &md, 1, 3, pass < 3 ? 1000000 : 5, &seq);
		struct trow *want = malloc((md.n + 1) * sizeof(*want));
		size_t nw = model_expect(&md, NULL, 0, UINT64_MAX, want);
		bool want_unique = true;
		for (size_t i = 0; i < nw; i++)
			if (want[i].op == OP_DELETE ||
			    (i && want[i].ts == want[i - 1].ts && want[i].pklen == want[i - 1].pklen &&
			     !memcmp(want[i].pk, want[i - 1].pk, want[i].pklen)))
				want_unique = false;
		struct sorted_source *src;
		bool unique = !want_unique;
		assert_int_equal(memtable_scan_ex(m, NULL, 0, UINT64_MAX, &o, &src, &unique), ERR_OK);
		assert_int_equal(unique, want_unique);
		seen_unique |= unique;
		seen_dup |= !unique;
		const struct batch *b;
		size_t rows = 0;
		while (sorted_source_next(src, &b) == ERR_OK && b) {
			rows += b->nrows;
			assert_int_equal(b->cols[C_TS].len, b->nrows);
			assert_int_equal(b->cols[NCOLS].len, unique ? 0 : b->nrows);
			assert_int_equal(b->cols[NCOLS + 1].len, unique ? 0 : b->nrows);
		}
		sorted_source_close(src);
		assert_int_equal(rows, nw);
		/* with a field predicate: applied only when the rows are unique */
		struct scan_pred fp = {.col = C_CPU, .op = PRED_GT};
		fp.lit.type = DT_FLOAT64;
		fp.lit.v.f = 50;
		struct scan_request req;
		req_init(&req);
		req.preds = &fp;
		req.npreds = 1;
		size_t pass_n = 0;
		for (size_t i = 0; i < nw; i++)
			pass_n += !want[i].cpu_null && want[i].cpu > 50;
		assert_int_equal(memtable_scan_ex(m, &req, 0, UINT64_MAX, &o, &src, &unique), ERR_OK);
		rows = 0;
		while (sorted_source_next(src, &b) == ERR_OK && b) {
			for (uint32_t i = 0; i < b->nrows && unique; i++)
				assert_true(!colvec_is_null(&b->cols[C_CPU], i) && b->cols[C_CPU].f64[i] > 50);
			rows += b->nrows;
		}
		sorted_source_close(src);
		assert_int_equal(rows, unique ? pass_n : nw);
		free(want);
	}
	assert_true(seen_unique && seen_dup);
	memtable_free(m);
	region_schema_free(s);
	free(md.rows);
}

static void test_seq_window(void **state)
{
	(void)state;
	srand(2);
	struct fixture f;
	fx_init(&f, 40, 8, 100);
	uint64_t max = memtable_max_seq(f.m);
	assert_true(memtable_min_seq(f.m) == 1);
	for (int frozen = 0; frozen < 2; frozen++) {
		check_scan(f.m, &f.md, NULL, 0, max / 2, NULL);
		check_scan(f.m, &f.md, NULL, max / 3, max, NULL);
		check_scan(f.m, &f.md, NULL, max / 3, max / 3 + 7, NULL);
		check_scan(f.m, &f.md, NULL, max, UINT64_MAX, NULL); /* nothing */
		check_scan(f.m, &f.md, NULL, 10, 10, NULL);           /* empty window */
		if (!frozen)
			memtable_freeze(f.m);
	}
	fx_free(&f);
}

static struct scan_pred str_pred(uint32_t col, enum pred_op op, const char *v)
{
	struct scan_pred p = {.col = col, .op = op};
	p.lit.type = DT_STRING;
	p.lit.is_null = v == NULL;
	if (v) {
		p.lit.v.s.p = v;
		p.lit.v.s.n = (uint32_t)strlen(v);
	}
	return p;
}

static struct scan_pred ts_pred(enum pred_op op, int64_t v)
{
	struct scan_pred p = {.col = C_TS, .op = op};
	p.lit.type = DT_TS_MS;
	p.lit.v.i = v;
	return p;
}

static void test_tag_and_ts_filters(void **state)
{
	(void)state;
	srand(3);
	struct fixture f;
	fx_init(&f, 80, 10, 200);
	struct datum in_dc[2] = {{.type = DT_STRING, .v.s = {"west", 4}},
				 {.type = DT_STRING, .is_null = true}};
	struct datum in_ts[3] = {{.type = DT_TS_MS, .v.i = 5}, {.type = DT_TS_MS, .v.i = 77},
				 {.type = DT_TS_MS, .v.i = 150}};
	struct scan_pred cases[][3] = {
		{str_pred(C_HOST, PRED_EQ, "h3")},
		{str_pred(C_HOST, PRED_GE, "h5"), str_pred(C_DC, PRED_NE, "east")},
		{{.col = C_DC, .op = PRED_IS_NULL}},
		{{.col = C_DC, .op = PRED_IS_NOT_NULL}, ts_pred(PRED_LT, 100)},
		{{.col = C_DC, .op = PRED_IN, .nlist = 2, .list = in_dc}},
		{ts_pred(PRED_EQ, 42)},
		{ts_pred(PRED_GT, 20), ts_pred(PRED_LE, 60), ts_pred(PRED_NE, 30)},
		{{.col = C_TS, .op = PRED_IN, .nlist = 3, .list = in_ts}},
		{str_pred(C_HOST, PRED_EQ, NULL)}, /* = NULL: nothing */
		{ts_pred(PRED_LT, INT64_MIN)},      /* nothing */
		{ts_pred(PRED_GE, 199), ts_pred(PRED_GT, INT64_MAX)},
	};
	const uint32_t ncase[] = {1, 2, 1, 2, 1, 1, 3, 1, 1, 1, 2};
	for (int frozen = 0; frozen < 2; frozen++) {
		for (size_t c = 0; c < sizeof(ncase) / sizeof(ncase[0]); c++) {
			struct scan_request req;
			req_init(&req);
			req.preds = cases[c];
			req.npreds = ncase[c];
			check_scan(f.m, &f.md, &req, 0, UINT64_MAX, NULL);
			req.ts_min = 50;
			req.ts_max = 120;
			check_scan(f.m, &f.md, &req, 0, UINT64_MAX, NULL);
			check_scan(f.m, &f.md, &req, 30, 200, NULL);
		}
		if (!frozen)
			memtable_freeze(f.m);
	}
	/* the time range alone, including an empty one */
	struct scan_request req;
	req_init(&req);
	req.ts_min = 10;
	req.ts_max = 11;
	check_scan(f.m, &f.md, &req, 0, UINT64_MAX, NULL);
	req.ts_max = 10;
	check_scan(f.m, &f.md, &req, 0, UINT64_MAX, NULL);
	fx_free(&f);
}

/* Field predicates are not applied by the memtable (the merge does it
 * after dedup); the column they name is filled. */
static void test_field_preds_not_applied(void **state)
{
	(void)state;
	srand(4);
	struct fixture f;
	fx_init(&f, 20, 5, 100);
	struct scan_pred p = {.col = C_MEM, .op = PRED_GT, .lit = {.type = DT_INT64, .v.i = 1 << 30}};
	bool proj[NCOLS] = {false, false, true, false, false, false};
	struct scan_request req;
	req_init(&req);
	req.preds = &p;
	req.npreds = 1;
	req.projection = proj;
	bool filled[NCOLS] = {true, false, true, false, true, false};
	check_scan(f.m, &f.md, &req, 0, UINT64_MAX, filled);
	memtable_freeze(f.m);
	check_scan(f.m, &f.md, &req, 0, UINT64_MAX, filled);
	/* a predicate on a column the schema lacks is refused */
	struct scan_pred bad = {.col = 17, .op = PRED_IS_NULL};
	req.preds = &bad;
	struct sorted_source *src = (struct sorted_source *)1;
	assert_int_equal(memtable_scan(f.m, &req, 0, UINT64_MAX, &src), ERR_BAD_INPUT);
	assert_null(src);
	/* as is a literal of the wrong kind */
	struct scan_pred wrong = str_pred(C_MEM, PRED_EQ, "x");
	req.preds = &wrong;
	assert_int_equal(memtable_scan(f.m, &req, 0, UINT64_MAX, &src), ERR_BAD_INPUT);
	fx_free(&f);
}

static void test_projection(void **state)
{
	(void)state;
	srand(5);
	struct fixture f;
	fx_init(&f, 30, 6, 100);
	bool proj[NCOLS] = {false, true, false, false, false, true}; /* host, note */
	struct scan_request req;
	req_init(&req);
	req.projection = proj;
	bool filled[NCOLS] = {true, true, false, false, false, true};
	check_scan(f.m, &f.md, &req, 0, UINT64_MAX, filled);
	memtable_freeze(f.m);
	check_scan(f.m, &f.md, &req, 0, UINT64_MAX, filled);
	fx_free(&f);
}

/* An active memtable's source does not see writes made after it opened. */
static void test_active_source_isolated(void **state)
{
	(void)state;
	srand(6);
	struct fixture f;
	fx_init(&f, 30, 6, 100);
	struct trow *want = malloc(f.md.n * sizeof(*want));
	struct trow *got = malloc((f.md.n + 5000) * sizeof(*got));
	size_t nw = model_expect(&f.md, NULL, 0, UINT64_MAX, want);
	struct sorted_source *src;
	assert_int_equal(memtable_scan(f.m, NULL, 0, UINT64_MAX, &src), ERR_OK);
	/* many more writes (new series, chunk growth) before reading */
	write_random(f.m, &f.md, 200, 500, 1000, &f.seq);
	size_t ng = drain(src, all_filled, got, f.md.n + 5000);
	sorted_source_close(src);
	assert_rows_equal(got, ng, want, nw, all_filled);
	check_scan(f.m, &f.md, NULL, 0, UINT64_MAX, NULL);
	free(want);
	free(got);
	fx_free(&f);
}

/* Sources over a frozen memtable, read interleaved, see the same rows. */
static void test_frozen_interleaved_sources(void **state)
{
	(void)state;
	srand(7);
	struct fixture f;
	fx_init(&f, 400, 300, 1000); /* ~8000 rows: several output batches */
	memtable_freeze(f.m);
	struct sorted_source *a, *b;
	assert_int_equal(memtable_scan(f.m, NULL, 0, UINT64_MAX, &a), ERR_OK);
	assert_int_equal(memtable_scan(f.m, NULL, 0, UINT64_MAX, &b), ERR_OK);
	size_t na = 0, nb = 0, nbatches = 0;
	for (;;) {
		const struct batch *ba, *bb;
		assert_int_equal(sorted_source_next(a, &ba), ERR_OK);
		assert_int_equal(sorted_source_next(b, &bb), ERR_OK);
		if (!ba || !bb) {
			assert_true(!ba && !bb);
			break;
		}
		assert_int_equal(ba->nrows, bb->nrows);
		for (uint32_t i = 0; i < ba->nrows; i++)
			assert_true(ba->cols[NCOLS + 1].i64[i] == bb->cols[NCOLS + 1].i64[i]);
		na += ba->nrows;
		nb += bb->nrows;
		nbatches++;
	}
	assert_true(nbatches >= 2);
	assert_true(na == f.md.n && nb == f.md.n);
	sorted_source_close(a);
	sorted_source_close(b);
	fx_free(&f);
}

/* Many series, one batch crossing chunk boundaries, output batch limits. */
static void test_many_series(void **state)
{
	(void)state;
	struct region_schema *s = test_schema();
	struct memtable *m;
	assert_int_equal(memtable_create(s, &m), ERR_OK);
	enum { NS = 7000, PER = 3 };
	struct trow *rows = calloc(NS * PER, sizeof(*rows));
	for (int t = 0; t < PER; t++)
		for (int h = 0; h < NS; h++) {
			struct trow *r = &rows[t * NS + h];
			snprintf(r->host, sizeof(r->host), "h%05u", (unsigned)(h * 7919) % NS);
			strcpy(r->dc, "east");
			r->ts = 1000 - t; /* arrives newest first: every series out of order */
			r->cpu = h;
			r->mem = t;
			strcpy(r->note, "x");
		}
	struct batch b = make_batch(rows, NS * PER);
	assert_int_equal(memtable_write(m, &b, 100, OP_PUT), ERR_OK);
	batch_free(&b);
	assert_int_equal(memtable_num_series(m), NS);
	assert_true(memtable_num_rows(m) == NS * PER);
	assert_true(memtable_ts_min(m) == 1000 - PER + 1 && memtable_ts_max(m) == 1000);
	for (int frozen = 0; frozen < 2; frozen++) {
		struct sorted_source *src;
		assert_int_equal(memtable_scan(m, NULL, 0, UINT64_MAX, &src), ERR_OK);
		const struct batch *ob;
		size_t total = 0, nb = 0;
		struct buf prev;
		buf_init(&prev);
		int64_t prev_ts = 0;
		for (;;) {
			assert_int_equal(sorted_source_next(src, &ob), ERR_OK);
			if (!ob)
				break;
			nb++;
			assert_true(ob->nrows <= 4096);
			for (uint32_t i = 0; i < ob->nrows; i++) {
				uint32_t n;
				const char *p = colvec_bytes(&ob->cols[NCOLS], i, &n);
				int64_t ts = ob->cols[C_TS].i64[i];
				if (total) {
					int c = pk_cmp(prev.data, prev.len, p, n);
					assert_true(c < 0 || (c == 0 && prev_ts < ts));
				}
				buf_reset(&prev);
				buf_append(&prev, p, n);
				prev_ts = ts;
				total++;
			}
		}
		assert_true(total == NS * PER);
		assert_true(nb >= (NS * PER + 4095) / 4096);
		buf_free(&prev);
		sorted_source_close(src);
		if (!frozen)
			memtable_freeze(m);
	}
	free(rows);
	memtable_free(m);
	region_schema_free(s);
}

static void test_mem_size_grows(void **state)
{
	(void)state;
	srand(8);
	struct fixture f;
	fx_init(&f, 0, 1, 1);
	size_t prev = memtable_mem_size(f.m);
	assert_true(memtable_is_empty(f.m));
	assert_true(memtable_ts_min(f.m) == INT64_MAX && memtable_ts_max(f.m) == INT64_MIN);
	for (int i = 0; i < 200; i++) {
		write_random(f.m, &f.md, 10, 1000, 100000, &f.seq);
		size_t now = memtable_mem_size(f.m);
		assert_true(now >= prev);
		prev = now;
	}
	/* realistic: at least the raw bytes of the values, not wildly more */
	size_t raw = f.md.n * (8 + 8 + 8 + 8 + 1);
	assert_true(prev >= raw);
	assert_true(prev < raw * 8 + (1u << 20));
	assert_false(memtable_is_empty(f.m));
	fx_free(&f);
}

static void test_bad_input_writes_nothing(void **state)
{
	(void)state;
	srand(9);
	struct fixture f;
	fx_init(&f, 5, 3, 100);
	size_t before = f.md.n;
	struct trow rows[3];
	for (int i = 0; i < 3; i++)
		random_row(&rows[i], 3, 100);
	struct batch b = make_batch(rows, 3);
	/* null time index in the last row */
	colvec_set_null(&b.cols[C_TS], 2);
	assert_int_equal(memtable_write(f.m, &b, 1000, OP_PUT), ERR_BAD_INPUT);
	batch_free(&b);
	/* wrong column type */
	b = make_batch(rows, 3);
	b.cols[C_MEM].type = DT_INT32;
	assert_int_equal(memtable_write(f.m, &b, 1000, OP_PUT), ERR_BAD_INPUT);
	b.cols[C_MEM].type = DT_INT64;
	/* ragged column */
	b.cols[C_NOTE].len = 2;
	assert_int_equal(memtable_write(f.m, &b, 1000, OP_PUT), ERR_BAD_INPUT);
	b.cols[C_NOTE].len = 3;
	/* bad op and sequence overflow */
	assert_int_equal(memtable_write(f.m, &b, 1000, (enum op_type)7), ERR_BAD_INPUT);
	assert_int_equal(memtable_write(f.m, &b, UINT64_MAX - 1, OP_PUT), ERR_BAD_INPUT);
	assert_int_equal(memtable_write(f.m, &b, 0, OP_PUT), ERR_BAD_INPUT);
	/* wrong column count */
	b.ncols = NCOLS - 1;
	assert_int_equal(memtable_write(f.m, &b, 1000, OP_PUT), ERR_BAD_INPUT);
	b.ncols = NCOLS;
	batch_free(&b);
	assert_true(memtable_num_rows(f.m) == before);
	check_scan(f.m, &f.md, NULL, 0, UINT64_MAX, NULL);
	fx_free(&f);
}

/* Out of memory at any allocation: the write fails whole, the memtable is
 * unchanged and still works. */
static void test_oom_all_or_nothing(void **state)
{
	(void)state;
	srand(10);
	struct fixture f;
	fx_init(&f, 10, 4, 100);
	int failures = 0;
	for (long k = 0; k < 400; k++) {
		struct trow rows[40];
		uint32_t n = 40;
		for (uint32_t i = 0; i < n; i++) {
			random_row(&rows[i], 50, 100);
			rows[i].cpu_null = i == 17; /* a new validity bitmap mid-way */
		}
		struct batch b = make_batch(rows, n);
		mem_fail_after(k);
		int rc = memtable_write(f.m, &b, f.seq, OP_PUT);
		mem_fail_after(-1);
		batch_free(&b);
		if (rc == ERR_OK) {
			for (uint32_t i = 0; i < n; i++) {
				rows[i].seq = f.seq + i;
				rows[i].op = OP_PUT;
				set_pk(f.s, &rows[i]);
				model_add(&f.md, &rows[i]);
			}
			f.seq += n;
		} else {
			assert_int_equal(rc, ERR_NOMEM);
			failures++;
		}
		assert_true(memtable_num_rows(f.m) == f.md.n);
		if (k % 20 == 0)
			check_scan(f.m, &f.md, NULL, 0, UINT64_MAX, NULL);
	}
	assert_true(failures > 0);
	check_scan(f.m, &f.md, NULL, 0, UINT64_MAX, NULL);
	/* scans under memory pressure fail cleanly */
	for (long k = 0; k < 60; k++) {
		struct sorted_source *src = NULL;
		mem_fail_after(k);
		int rc = memtable_scan(f.m, NULL, 0, UINT64_MAX, &src);
		mem_fail_after(-1);
		assert_true(rc == ERR_OK || rc == ERR_NOMEM);
		assert_true((rc == ERR_OK) == (src != NULL));
		sorted_source_close(src);
	}
	fx_free(&f);
}

static void test_no_tags(void **state)
{
	(void)state;
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	s->ncols = 2;
	s->cols = mem_calloc(2, sizeof(*s->cols));
	s->cols[0] = (struct column_schema){.name = mem_strdup("v"), .type = DT_FLOAT64,
					    .sem = SEM_FIELD, .nullable = true};
	s->cols[1] = (struct column_schema){.name = mem_strdup("ts"), .type = DT_TS_S,
					    .sem = SEM_TIMESTAMP, .column_id = 1};
	s->ts_col = 1;
	s->pk_cols = mem_calloc(1, sizeof(uint32_t));
	assert_int_equal(region_schema_validate(s), ERR_OK);
	struct memtable *m;
	assert_int_equal(memtable_create(s, &m), ERR_OK);
	enum dtype types[2] = {DT_FLOAT64, DT_TS_S};
	struct batch b;
	batch_init(&b, 2, types);
	const int64_t ts[] = {5, 3, 5, 1};
	for (int i = 0; i < 4; i++) {
		colvec_push_f64(&b.cols[0], i);
		colvec_push_i64(&b.cols[1], ts[i]);
		b.nrows++;
	}
	assert_int_equal(memtable_write(m, &b, 10, OP_PUT), ERR_OK);
	batch_free(&b);
	assert_int_equal(memtable_num_series(m), 1);
	memtable_freeze(m);
	struct sorted_source *src;
	assert_int_equal(memtable_scan(m, NULL, 0, UINT64_MAX, &src), ERR_OK);
	const struct batch *ob;
	assert_int_equal(sorted_source_next(src, &ob), ERR_OK);
	assert_non_null(ob);
	assert_int_equal(ob->nrows, 4);
	/* ts asc, seq desc: (1,13) (3,11) (5,12) (5,10) */
	const int64_t wts[] = {1, 3, 5, 5}, wseq[] = {13, 11, 12, 10};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ob->cols[1].i64[i], wts[i]);
		assert_int_equal(ob->cols[3].i64[i], wseq[i]);
		uint32_t n;
		colvec_bytes(&ob->cols[2], (uint32_t)i, &n);
		assert_int_equal(n, 0);
	}
	assert_int_equal(sorted_source_next(src, &ob), ERR_OK);
	assert_null(ob);
	sorted_source_close(src);
	memtable_free(m);
	region_schema_free(s);
}

/* pred_eval over a batch: SQL null semantics, unsigned compare, IN. */
static void test_pred_eval(void **state)
{
	(void)state;
	enum dtype types[3] = {DT_UINT64, DT_FLOAT64, DT_STRING};
	struct batch b;
	batch_init(&b, 3, types);
	const int64_t u[] = {1, -1 /* 2^64-1 */, 5, 0};
	const double d[] = {1.5, -2.0, 0.0, 9.0};
	const char *s[] = {"a", "b", "", "ab"};
	for (int i = 0; i < 4; i++) {
		colvec_push_i64(&b.cols[0], u[i]);
		colvec_push_f64(&b.cols[1], d[i]);
		colvec_push_bytes(&b.cols[2], s[i], strlen(s[i]));
		b.nrows++;
	}
	colvec_set_null(&b.cols[0], 3);
	colvec_set_null(&b.cols[1], 2);
	colvec_set_null(&b.cols[2], 2);
	uint8_t sel[4];
	struct scan_pred p;
#define EVAL(...)                                                                  \
	do {                                                                       \
		memset(sel, 1, 4);                                                 \
		p = (struct scan_pred){__VA_ARGS__};                               \
		assert_int_equal(pred_eval(&p, 1, &b, sel), ERR_OK);               \
	} while (0)
#define SEL(a, b_, c, d_) assert_true(sel[0] == a && sel[1] == b_ && sel[2] == c && sel[3] == d_)
	EVAL(.col = 0, .op = PRED_GT, .lit = {.type = DT_UINT64, .v.i = 2});
	SEL(0, 1, 1, 0); /* 2^64-1 > 2 unsigned; NULL row false */
	EVAL(.col = 0, .op = PRED_LE, .lit = {.type = DT_UINT64, .v.i = 1});
	SEL(1, 0, 0, 0);
	EVAL(.col = 0, .op = PRED_NE, .lit = {.type = DT_UINT64, .v.i = 1});
	SEL(0, 1, 1, 0);
	EVAL(.col = 0, .op = PRED_EQ, .lit = {.type = DT_UINT64, .is_null = true});
	SEL(0, 0, 0, 0);
	EVAL(.col = 1, .op = PRED_LT, .lit = {.type = DT_FLOAT64, .v.f = 2.0});
	SEL(1, 1, 0, 0); /* null slot holds 0.0 but is not < 2 */
	EVAL(.col = 1, .op = PRED_IS_NULL);
	SEL(0, 0, 1, 0);
	EVAL(.col = 1, .op = PRED_IS_NOT_NULL);
	SEL(1, 1, 0, 1);
	EVAL(.col = 2, .op = PRED_GE, .lit = {.type = DT_STRING, .v.s = {"ab", 2}});
	SEL(0, 1, 0, 1);
	EVAL(.col = 2, .op = PRED_LT, .lit = {.type = DT_STRING, .v.s = {"b", 1}});
	SEL(1, 0, 0, 1); /* null "" excluded */
	struct datum lst[3] = {{.type = DT_STRING, .v.s = {"ab", 2}},
			       {.type = DT_STRING, .is_null = true},
			       {.type = DT_STRING, .v.s = {"", 0}}};
	EVAL(.col = 2, .op = PRED_IN, .nlist = 3, .list = lst);
	SEL(0, 0, 0, 1);
	struct datum ul[2] = {{.type = DT_UINT64, .v.i = -1}, {.type = DT_UINT64, .v.i = 0}};
	EVAL(.col = 0, .op = PRED_IN, .nlist = 2, .list = ul);
	SEL(0, 1, 0, 0);
	/* AND into an existing selection */
	memset(sel, 0, 4);
	sel[1] = 1;
	p = (struct scan_pred){.col = 1, .op = PRED_IS_NOT_NULL};
	pred_eval(&p, 1, &b, sel);
	SEL(0, 1, 0, 0);
	/* bad input */
	p = (struct scan_pred){.col = 0, .op = PRED_EQ, .lit = {.type = DT_STRING}};
	assert_int_equal(pred_eval(&p, 1, &b, sel), ERR_BAD_INPUT);
	p = (struct scan_pred){.col = 9, .op = PRED_IS_NULL};
	assert_int_equal(pred_eval(&p, 1, &b, sel), ERR_BAD_INPUT);
	p = (struct scan_pred){.col = 0, .op = (enum pred_op)99};
	assert_int_equal(pred_eval(&p, 1, &b, sel), ERR_BAD_INPUT);
#undef EVAL
#undef SEL
	batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_scan_order),
		cmocka_unit_test(test_seq_window),
		cmocka_unit_test(test_scan_between_writes),
		cmocka_unit_test(test_tail_mode_and_unique),
		cmocka_unit_test(test_lean_when_unique),
		cmocka_unit_test(test_tag_and_ts_filters),
		cmocka_unit_test(test_field_preds_not_applied),
		cmocka_unit_test(test_projection),
		cmocka_unit_test(test_active_source_isolated),
		cmocka_unit_test(test_frozen_interleaved_sources),
		cmocka_unit_test(test_many_series),
		cmocka_unit_test(test_mem_size_grows),
		cmocka_unit_test(test_bad_input_writes_nothing),
		cmocka_unit_test(test_oom_all_or_nothing),
		cmocka_unit_test(test_no_tags),
		cmocka_unit_test(test_pred_eval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
