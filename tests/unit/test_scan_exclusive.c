/*
 * Tests of the short-range scan paths (hcpu):
 *   - series-aligned pages (parquet_write_options.page_break_col): a page
 *     never holds a key change past page_break_min_rows rows, whatever the
 *     batch boundaries, and the file reads back unchanged;
 *   - memory readers reused across many row-range reads (the per-chunk
 *     page index that steps over unwanted pages, byte-array pages that
 *     copy only kept rows) give the same rows as a full decode and as a
 *     ranged-read reader (no index);
 *   - region scans with field predicates over SSTs whose time ranges are
 *     disjoint (exclusive sources: field predicates applied in the SST
 *     source, __sequence / __op_type not read) and over the fallbacks
 *     (overlapping files, files with deletes, a memtable overlapping a
 *     file, last_non_null and append modes) match a model of the written
 *     rows; sst_rows_returned shows the predicate was applied in the
 *     source when every file is exclusive.
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
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/parquet.h"
#include "storage/pred.h"
#include "storage/region.h"
#include "storage/sst.h"

/* ---- parquet level ---------------------------------------------------- */

#define NPC 5
static const struct parquet_column_def PC[NPC] = {
    {"key", DT_BINARY, false, true}, {"ts", DT_TS_MS, false, false},
    {"tag", DT_STRING, true, true},  {"f", DT_FLOAT64, true, false},
    {"s", DT_STRING, true, false},
};

/* n rows sorted by key: runs of random lengths (short and long) */
static void make_rows(uint32_t n, struct batch *b)
{
	enum dtype types[NPC];
	for (int c = 0; c < NPC; c++)
		types[c] = PC[c].type;
	assert_int_equal(batch_init(b, NPC, types), ERR_OK);
	uint32_t key = 0, left = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (left == 0) {
			key += 1 + fx_rndn(3);
			left = 1 + (fx_rndn(8) ? fx_rndn(30) : fx_rndn(900));
		}
		left--;
		char k[16], s[24];
		int kl = snprintf(k, sizeof(k), "k%06u", key);
		colvec_push_bytes(&b->cols[0], k, (size_t)kl);
		colvec_push_i64(&b->cols[1], (int64_t)i * 10);
		if (fx_rndn(7) == 0)
			colvec_push_null(&b->cols[2]);
		else
			colvec_push_bytes(&b->cols[2], s, (size_t)snprintf(s, sizeof(s), "t%u", fx_rndn(9)));
		if (fx_rndn(5) == 0)
			colvec_push_null(&b->cols[3]);
		else
			colvec_push_f64(&b->cols[3], (double)fx_rndn(10000) / 100);
		if (fx_rndn(6) == 0)
			colvec_push_null(&b->cols[4]);
		else
			colvec_push_bytes(&b->cols[4], s,
					  (size_t)snprintf(s, sizeof(s), "v%llu",
							   (unsigned long long)(fx_rnd() % 100000)));
	}
	b->nrows = n;
}

/* rows [from, from+n) of b as a batch of its own */
static void slice(const struct batch *b, uint32_t from, uint32_t n, struct batch *out)
{
	enum dtype types[NPC];
	for (int c = 0; c < NPC; c++)
		types[c] = PC[c].type;
	assert_int_equal(batch_init(out, NPC, types), ERR_OK);
	for (int c = 0; c < NPC; c++)
		for (uint32_t i = from; i < from + n; i++)
			assert_int_equal(colvec_push_from(&out->cols[c], &b->cols[c], i), ERR_OK);
	out->nrows = n;
}

static void write_sliced(const struct batch *b, const struct parquet_write_options *o,
			 struct buf *file)
{
	struct parquet_writer *w = NULL;
	assert_int_equal(parquet_writer_open(PC, NPC, o, &w), ERR_OK);
	for (uint32_t at = 0; at < b->nrows;) {
		uint32_t k = 1 + (fx_rndn(2) ? fx_rndn(5) : fx_rndn(2000));
		if (k > b->nrows - at)
			k = b->nrows - at;
		/* often end the batch right before a key change */
		while (fx_rndn(2) && at + k < b->nrows &&
		       colvec_cmp(&b->cols[0], at + k, &b->cols[0], at + k - 1) == 0)
			k++;
		struct batch part;
		slice(b, at, k, &part);
		assert_int_equal(parquet_writer_write(w, &part), ERR_OK);
		batch_free(&part);
		at += k;
	}
	buf_init(file);
	assert_int_equal(parquet_writer_finish(w, file), ERR_OK);
	parquet_writer_free(w);
}

static void test_page_break(void **state)
{
	(void)state;
	for (int iter = 0; iter < 30; iter++) {
		uint32_t n = 1 + fx_rndn(iter < 5 ? 40 : 9000);
		struct batch b;
		make_rows(n, &b);
		struct parquet_write_options o = {.row_group_rows = 200 + fx_rndn(5000),
						  .page_rows = 8 + fx_rndn(600),
						  .page_break_col = 1,
						  .page_break_min_rows = fx_rndn(3) ? fx_rndn(300) : 0};
		struct buf file;
		write_sliced(&b, &o, &file);
		struct parquet_reader *r = NULL;
		assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
		struct batch full = {0};
		uint32_t base = 0, breaks = 0;
		for (uint32_t g = 0; g < parquet_reader_num_row_groups(r); g++) {
			assert_int_equal(parquet_read_row_group(r, g, NULL, &full), ERR_OK);
			for (uint32_t c = 0; c < NPC; c++)
				for (uint32_t i = 0; i < full.nrows; i++)
					assert_true(colvec_eq(&full.cols[c], i, &b.cols[c], base + i));
			/* pages of every column cut at the same rows; no key change
			 * inside a page past min rows */
			const struct parquet_page_info *pg;
			uint32_t np;
			assert_int_equal(parquet_column_pages(r, g, 0, &pg, &np), ERR_OK);
			uint32_t first[np ? np : 1];
			for (uint32_t p = 0; p < np; p++) {
				first[p] = pg[p].first_row;
				assert_true(pg[p].rows <= o.page_rows);
				for (uint32_t i = pg[p].first_row + 1; i < pg[p].first_row + pg[p].rows;
				     i++)
					if (colvec_cmp(&full.cols[0], i, &full.cols[0], i - 1) != 0)
						assert_true(i - pg[p].first_row <
							    o.page_break_min_rows);
				/* a page that ended early ended at a key change */
				uint32_t end = pg[p].first_row + pg[p].rows;
				if (pg[p].rows < o.page_rows && end < full.nrows) {
					assert_true(colvec_cmp(&full.cols[0], end, &full.cols[0],
							       end - 1) != 0);
					assert_true(pg[p].rows >= o.page_break_min_rows);
					breaks++;
				}
			}
			for (uint32_t c = 1; c < NPC; c++) {
				uint32_t np2;
				assert_int_equal(parquet_column_pages(r, g, c, &pg, &np2), ERR_OK);
				assert_int_equal(np2, np);
				for (uint32_t p = 0; p < np; p++)
					assert_int_equal(pg[p].first_row, first[p]);
			}
			base += full.nrows;
		}
		assert_int_equal(base, n);
		if (n > 3000 && o.page_rows > o.page_break_min_rows + 50)
			assert_true(breaks > 0); /* long runs end pages early */
		batch_free(&full);
		parquet_reader_free(r);
		buf_free(&file);
		batch_free(&b);
	}
	/* the break column must be a byte array column of the file */
	struct parquet_writer *w = NULL;
	struct parquet_write_options bad = {.page_break_col = 2};
	assert_int_equal(parquet_writer_open(PC, NPC, &bad, &w), ERR_BAD_INPUT);
	bad.page_break_col = NPC + 1;
	assert_int_equal(parquet_writer_open(PC, NPC, &bad, &w), ERR_BAD_INPUT);
	assert_null(w);
	err_clear();
}

static void same_rows(const struct colvec *full, const struct colvec *got,
		      const struct parquet_row_range *rr, uint32_t nr)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < nr; i++)
		for (uint32_t r = rr[i].from; r < rr[i].to; r++, k++) {
			assert_true(k < got->len);
			assert_true(colvec_eq(full, r, got, k));
		}
	assert_int_equal(k, got->len);
}

/* One memory reader serves many reads (its page index is built once and
 * reused); every read equals the full decode and a ranged-read reader's. */
static void test_reader_reuse(void **state)
{
	(void)state;
	for (int iter = 0; iter < 12; iter++) {
		uint32_t n = 1 + fx_rndn(iter < 3 ? 30 : 8000);
		struct batch b;
		make_rows(n, &b);
		struct parquet_write_options o = {.row_group_rows = 100 + fx_rndn(4000),
						  .page_rows = 1 + fx_rndn(iter % 2 ? 300 : 8),
						  .page_break_col = iter % 3 ? 1 : 0,
						  .page_break_min_rows = fx_rndn(40)};
		if (iter % 4 == 3)
			o.codec = PARQUET_CODEC_NONE;
		struct buf file;
		write_sliced(&b, &o, &file);
		struct fx_memfile mf = {file.data, file.len};
		struct parquet_reader *mr = NULL, *fr = NULL;
		assert_int_equal(parquet_reader_open_mem(file.data, file.len, &mr), ERR_OK);
		assert_int_equal(parquet_reader_open(fx_mem_read, &mf, file.len, &fr), ERR_OK);
		uint32_t nrg = parquet_reader_num_row_groups(mr);
		struct batch full = {0}, got = {0}, got2 = {0};
		for (int t = 0; t < 60; t++) {
			uint32_t g = fx_rndn(nrg);
			assert_int_equal(parquet_read_row_group(fr, g, NULL, &full), ERR_OK);
			uint32_t rows = full.nrows;
			/* ranges: single rows (sparse selections), runs, whole pages */
			struct parquet_row_range rr[256];
			uint32_t nr = 0, at = fx_rndn(rows);
			while (at < rows && nr < 256) {
				uint32_t len = fx_rndn(3) ? 1 : 1 + fx_rndn(fx_rndn(2) ? 30 : rows);
				uint32_t to = at + len > rows ? rows : at + len;
				rr[nr++] = (struct parquet_row_range){at, to};
				at = to + 1 + (fx_rndn(2) ? fx_rndn(8) : fx_rndn(700));
			}
			if (nr == 0)
				rr[nr++] = (struct parquet_row_range){0, rows};
			bool want[NPC];
			for (int c = 0; c < NPC; c++)
				want[c] = fx_rndn(3) != 0;
			assert_int_equal(parquet_read_row_ranges(mr, g, want, rr, nr, &got), ERR_OK);
			assert_int_equal(parquet_read_row_ranges(fr, g, want, rr, nr, &got2), ERR_OK);
			assert_int_equal(got.nrows, got2.nrows);
			for (uint32_t c = 0; c < NPC; c++) {
				if (!want[c]) {
					assert_int_equal(got.cols[c].len, 0);
					continue;
				}
				same_rows(&full.cols[c], &got.cols[c], rr, nr);
				same_rows(&full.cols[c], &got2.cols[c], rr, nr);
			}
			if (t % 7 == 0) { /* whole row groups on the same reader */
				assert_int_equal(parquet_read_row_group(mr, g, NULL, &got), ERR_OK);
				for (uint32_t c = 0; c < NPC; c++)
					for (uint32_t i = 0; i < rows; i++)
						assert_true(colvec_eq(&full.cols[c], i, &got.cols[c], i));
			}
		}
		batch_free(&full);
		batch_free(&got);
		batch_free(&got2);
		parquet_reader_free(mr);
		parquet_reader_free(fr);
		buf_free(&file);
		batch_free(&b);
	}
}

/* ---- region level ----------------------------------------------------- */

static int setup(void **state)
{
	struct fx_engine *e = calloc(1, sizeof(*e));
	struct region_engine_options o = {.gc_lingering_ms = 1,
					  .sst_row_group_rows = 700 + fx_rndn(2000)};
	assert_int_equal(fx_engine_open("scanexcl", o, e), ERR_OK);
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

static const char *DIR1 = "data/greptime/public/1024/1024_0000000000/";
#define NHOSTS 12

/* every write, in order (the model) */
struct wrow {
	struct fx_row row;
	bool del;
};
static struct wrow *hist;
static size_t nhist, hist_cap;

static void write_rows(struct region *r, uint32_t n, enum op_type op, int64_t t0, uint32_t span)
{
	struct fx_row *rows = calloc(n, sizeof(*rows));
	for (uint32_t i = 0; i < n; i++) {
		struct fx_row *x = &rows[i];
		snprintf(x->host, sizeof(x->host), "h%02u", fx_rndn(NHOSTS));
		x->ts = (t0 + (int64_t)fx_rndn(span)) * 10;
		x->v = (double)fx_rndn(1000) / 10;
		x->v_null = fx_rndn(6) == 0;
		x->n = (int64_t)fx_rndn(100);
		x->n_null = fx_rndn(5) == 0;
		if (nhist == hist_cap) {
			hist_cap = hist_cap ? hist_cap * 2 : 1024;
			hist = realloc(hist, hist_cap * sizeof(*hist));
		}
		hist[nhist++] = (struct wrow){*x, op == OP_DELETE};
	}
	struct batch b;
	fx_batch(rows, n, &b);
	assert_int_equal(region_write(r, &b, op, NULL), ERR_OK);
	batch_free(&b);
	free(rows);
}

static int cmp_ident(const void *a, const void *b)
{
	const struct wrow *x = a, *y = b;
	int c = strcmp(x->row.host, y->row.host);
	if (c)
		return c;
	if (x->row.ts != y->row.ts)
		return x->row.ts < y->row.ts ? -1 : 1;
	return x < y ? -1 : 1; /* stable: write order */
}

/* The model's answer (host, ts order) in last_row / last_non_null mode. */
static void model_rows(enum merge_mode mode, struct fx_rows *out)
{
	struct wrow *h = malloc((nhist + 1) * sizeof(*h));
	memcpy(h, hist, nhist * sizeof(*h));
	qsort(h, nhist, sizeof(*h), cmp_ident);
	memset(out, 0, sizeof(*out));
	out->rows = mem_calloc(nhist + 1, sizeof(struct fx_row));
	out->cap = nhist + 1;
	for (size_t i = 0; i < nhist;) {
		size_t j = i;
		while (j < nhist && strcmp(h[j].row.host, h[i].row.host) == 0 &&
		       h[j].row.ts == h[i].row.ts)
			j++;
		/* versions i..j-1, oldest first */
		if (!h[j - 1].del) {
			struct fx_row x = h[j - 1].row;
			for (size_t k = j - 1; mode == MERGE_LAST_NON_NULL && k-- > i && !h[k].del;) {
				if (x.v_null && !h[k].row.v_null) {
					x.v = h[k].row.v;
					x.v_null = false;
				}
				if (x.n_null && !h[k].row.n_null) {
					x.n = h[k].row.n;
					x.n_null = false;
				}
			}
			out->rows[out->n++] = x;
		}
		i = j;
	}
	free(h);
}

struct fq {
	struct scan_request req;
	struct scan_pred preds[3];
	char host[16];
	int64_t lo, hi;
	double vmin;
	int64_t neq;
	bool has_host, has_v, has_n;
};

static void random_fq(struct fq *q)
{
	memset(q, 0, sizeof(*q));
	scan_request_init(&q->req);
	q->lo = INT64_MIN;
	q->hi = INT64_MAX;
	if (fx_rndn(4)) {
		q->lo = (int64_t)fx_rndn(5000) * 10 - (int64_t)fx_rndn(2) * 5;
		q->hi = q->lo + (int64_t)fx_rndn(fx_rndn(2) ? 300 : 5000) * 10 + (int64_t)fx_rndn(2);
		q->req.ts_min = q->lo;
		q->req.ts_max = q->hi;
	}
	uint32_t np = 0;
	if (fx_rndn(2)) {
		q->has_host = true;
		snprintf(q->host, sizeof(q->host), "h%02u", fx_rndn(NHOSTS + 1));
		q->preds[np++] = (struct scan_pred){
		    .col = 0,
		    .op = PRED_EQ,
		    .lit = {.type = DT_STRING, .v.s = {q->host, (uint32_t)strlen(q->host)}}};
	}
	if (fx_rndn(5)) {
		q->has_v = true;
		q->vmin = (double)fx_rndn(1000) / 10;
		q->preds[np++] =
		    (struct scan_pred){.col = 2, .op = PRED_GT, .lit = {.type = DT_FLOAT64, .v.f = q->vmin}};
	}
	if (fx_rndn(4) == 0) {
		q->has_n = true;
		q->neq = (int64_t)fx_rndn(100);
		q->preds[np++] =
		    (struct scan_pred){.col = 3, .op = PRED_EQ, .lit = {.type = DT_INT64, .v.i = q->neq}};
	}
	q->req.npreds = np;
	q->req.preds = q->preds;
}

static void filter_fq(const struct fx_rows *all, const struct fq *q, struct fx_rows *out)
{
	memset(out, 0, sizeof(*out));
	out->rows = mem_calloc(all->n + 1, sizeof(struct fx_row));
	out->cap = all->n + 1;
	for (size_t i = 0; i < all->n; i++) {
		const struct fx_row *x = &all->rows[i];
		if (x->ts < q->lo || x->ts >= q->hi || (q->has_host && strcmp(x->host, q->host)) ||
		    (q->has_v && (x->v_null || !(x->v > q->vmin))) ||
		    (q->has_n && (x->n_null || x->n != q->neq)))
			continue;
		out->rows[out->n++] = *x;
	}
}

static void check_queries(struct region *r, bool append, enum merge_mode mode, int nq)
{
	struct fx_rows all;
	if (append) /* the model does not do append mode: the full scan is the reference */
		assert_int_equal(fx_scan_all(r, &all), ERR_OK);
	else
		model_rows(mode, &all);
	if (!append) { /* the full scan itself (exclusive files skip the internal columns) */
		struct fx_rows scan;
		assert_int_equal(fx_scan_all(r, &scan), ERR_OK);
		assert_true(fx_rows_equal(&scan, &all));
		fx_rows_free(&scan);
	}
	for (int i = 0; i < nq; i++) {
		struct fq q;
		random_fq(&q);
		struct sorted_source *src = NULL;
		assert_int_equal(region_scan(r, &q.req, &src), ERR_OK);
		struct fx_rows got, want;
		assert_int_equal(fx_collect(src, &got), ERR_OK);
		filter_fq(&all, &q, &want);
		if (!fx_rows_equal(&got, &want)) {
			fprintf(stderr, "query %d: ts [%lld, %lld) host %s v > %g n = %lld\n", i,
				(long long)q.lo, (long long)q.hi, q.has_host ? q.host : "-",
				q.has_v ? q.vmin : -1.0, q.has_n ? (long long)q.neq : -1LL);
			fx_rows_print("got", &got);
			fx_rows_print("want", &want);
		}
		assert_true(fx_rows_equal(&got, &want));
		fx_rows_free(&got);
		fx_rows_free(&want);
	}
	fx_rows_free(&all);
}

/* Rounds of files: time-disjoint ones (exclusive), then fallbacks. */
static void region_rounds(struct fx_engine *e, bool append, enum merge_mode mode)
{
	nhist = 0;
	struct region_schema *s = fx_schema(append, mode);
	struct region *r = NULL;
	assert_int_equal(region_create(e->eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	/* four files over disjoint time ranges [k*1000, k*1000+1000) x 10 */
	for (int k = 0; k < 4; k++) {
		write_rows(r, 1500 + fx_rndn(1500), OP_PUT, k * 1000, 1000);
		write_rows(r, 300, OP_PUT, k * 1000, 1000); /* overwrites: still unique files */
		assert_int_equal(region_flush(r), ERR_OK);
		check_queries(r, append, mode, 15);
	}
	/* a file of its own time range holding deletes (not unique) */
	write_rows(r, 1200, OP_PUT, 6000, 800);
	write_rows(r, 500, OP_DELETE, 6000, 800);
	write_rows(r, 200, OP_PUT, 6000, 800);
	check_queries(r, append, mode, 15);
	assert_int_equal(region_flush(r), ERR_OK);
	check_queries(r, append, mode, 25);
	/* a memtable over a disjoint range, then one overlapping file 2 */
	write_rows(r, 800, OP_PUT, 4000, 1000);
	check_queries(r, append, mode, 25);
	write_rows(r, 400, OP_PUT, 2000, 500);
	check_queries(r, append, mode, 25);
	assert_int_equal(region_flush(r), ERR_OK); /* overlaps file 2 now */
	check_queries(r, append, mode, 25);
	/* deletes: a file that is not unique, over files 0 and 1 */
	write_rows(r, 600, OP_DELETE, 0, 2000);
	check_queries(r, append, mode, 20);
	assert_int_equal(region_flush(r), ERR_OK);
	check_queries(r, append, mode, 25);
	assert_int_equal(region_compact(r, true), ERR_OK);
	check_queries(r, append, mode, 25);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

static void test_region_last_row(void **state)
{
	region_rounds(*state, false, MERGE_LAST_ROW);
}

static void test_region_last_non_null(void **state)
{
	region_rounds(*state, false, MERGE_LAST_NON_NULL);
}

static void test_region_append(void **state)
{
	region_rounds(*state, true, MERGE_LAST_ROW);
}

/* Time-disjoint unique files: a field predicate is applied in the SST
 * sources (they return only matching rows); one file overlapping another
 * makes both return every candidate row again. */
static void test_exclusive_pushdown(void **state)
{
	struct fx_engine *e = *state;
	nhist = 0;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	for (int k = 0; k < 3; k++) {
		write_rows(r, 2000, OP_PUT, k * 1000, 1000);
		assert_int_equal(region_flush(r), ERR_OK);
	}
	struct fq q;
	memset(&q, 0, sizeof(q));
	scan_request_init(&q.req);
	q.lo = INT64_MIN;
	q.hi = INT64_MAX;
	q.has_v = true;
	q.vmin = 90.0;
	q.preds[0] =
	    (struct scan_pred){.col = 2, .op = PRED_GT, .lit = {.type = DT_FLOAT64, .v.f = 90.0}};
	q.req.npreds = 1;
	q.req.preds = q.preds;
	for (int overlap = 0; overlap < 2; overlap++) {
		if (overlap) { /* a fourth file over files 0 and 1 */
			write_rows(r, 300, OP_PUT, 500, 1000);
			assert_int_equal(region_flush(r), ERR_OK);
		}
		struct fx_rows all, want, got;
		model_rows(MERGE_LAST_ROW, &all);
		filter_fq(&all, &q, &want);
		uint64_t before = sst_rows_returned();
		struct sorted_source *src = NULL;
		assert_int_equal(region_scan(r, &q.req, &src), ERR_OK);
		assert_int_equal(fx_collect(src, &got), ERR_OK);
		uint64_t returned = sst_rows_returned() - before;
		assert_true(fx_rows_equal(&got, &want));
		assert_true(want.n > 0);
		if (!overlap)
			assert_int_equal(returned, want.n); /* filtered in the sources */
		else
			assert_true(returned > want.n + 1000); /* files 0, 1, 3 read in full */
		fx_rows_free(&all);
		fx_rows_free(&want);
		fx_rows_free(&got);
	}
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

int main(void)
{
	fx_seed(0x2545f4914f6cdd1dull);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_page_break),
	    cmocka_unit_test(test_reader_reuse),
	    cmocka_unit_test_setup_teardown(test_exclusive_pushdown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_region_last_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_region_last_non_null, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_region_append, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(hist);
	return rc;
}
