/*
 * Tests of the decoded column cache's admission of selective reads
 * (sst_decoded.c sst_dec_admit): a lean read of a cached SST whose candidate rows are
 * under a quarter of a row group takes the group from the decoded column
 * cache when it is decoded already, or once such reads' page-read
 * candidate rows reach a quarter of it; before that, and for reads with a
 * row predicate, it decodes the pages it needs.
 *
 * Which path served a read is visible in its batches: a read from the
 * decoded cache hands out views into the shared vectors, so two scans of
 * the same range open at the same time get the same column pointers; a
 * page read hands out its own buffers. Every answer - page reads, the
 * read that decodes a group, warm reads, reads with host predicates,
 * files with NULLs (no run views: the whole decoded group is filtered),
 * files with duplicates and deletes (never lean), a cache too small to
 * hold the file - is compared with the written rows filtered by the
 * request (the plain answer), on random data.
 *
 * Layout used: NHOSTS series of PER rows each, written time-major (as
 * line protocol arrives), one row every 10 ms; pages hold 1024 rows and
 * end at series boundaries, so a short time range meets one page per
 * series; with RG_ROWS = 8 series per row group its candidate rows are
 * about a fifth of the group.
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
#include "storage/pred.h"
#include "storage/region.h"

#define NHOSTS 16
#define PER 5000                /* rows per series */
#define RG_ROWS (8 * PER)       /* 8 series per row group */
#define STEP 10                 /* ms between a series' rows */

static int open_env(void **state, uint32_t rg_rows, size_t cache_bytes)
{
	struct fx_engine *e = calloc(1, sizeof(*e));
	struct region_engine_options o = {.gc_lingering_ms = 1,
					  .sst_row_group_rows = rg_rows,
					  .sst_cache_bytes = cache_bytes};
	assert_int_equal(fx_engine_open("decadmit", o, e), ERR_OK);
	*state = e;
	return 0;
}

/* fixed layout, default cache (holds the file) */
static int setup_fixed(void **state)
{
	return open_env(state, RG_ROWS, 0);
}

static int teardown(void **state)
{
	struct fx_engine *e = *state;
	fx_engine_close(e);
	free(e);
	return 0;
}

static const char *DIR1 = "data/greptime/public/1024/1024_0000000042/";

static int row_cmp(const void *a, const void *b)
{
	const struct fx_row *x = a, *y = b;
	int c = strcmp(x->host, y->host);
	return c ? c : (x->ts > y->ts) - (x->ts < y->ts);
}

/* A region with one SST of NHOSTS x PER unique rows (NULL fields with
 * `nulls`); *all = its rows in scan order (host, ts), built from the
 * written rows: no scan reads the file before the test's own. With
 * `dups`, a second flush rewrites and deletes some rows (sometimes
 * compacted into one file): the reads are no longer lean, and *all is the
 * region's merged full scan. */
static struct region *make_region(struct fx_engine *e, bool nulls, bool dups, struct fx_rows *all)
{
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->eng, REGION_ID(1024, 42), DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	uint32_t n = NHOSTS * PER;
	struct fx_row *rows = calloc(n, sizeof(*rows));
	for (uint32_t i = 0; i < n; i++) {
		struct fx_row *x = &rows[i];
		fx_host_name(x->host, i % NHOSTS);
		x->ts = (int64_t)(i / NHOSTS) * STEP;
		x->v = (double)fx_rndn(100000) / 8;
		x->v_null = nulls && fx_rndn(9) == 0;
		x->n = (int64_t)fx_rnd();
		x->n_null = nulls && fx_rndn(6) == 0;
	}
	struct batch b;
	fx_batch(rows, n, &b);
	assert_int_equal(region_write(r, &b, OP_PUT, NULL), ERR_OK);
	batch_free(&b);
	assert_int_equal(region_flush(r), ERR_OK);
	memset(all, 0, sizeof(*all));
	all->rows = mem_dup(rows, (size_t)n * sizeof(*rows));
	assert_non_null(all->rows);
	all->n = all->cap = n;
	qsort(all->rows, n, sizeof(*rows), row_cmp);
	if (dups) {
		uint32_t m = 3000;
		for (uint32_t i = 0; i < m; i++) {
			rows[i] = rows[fx_rndn(n)];
			rows[i].v = (double)fx_rndn(1000);
		}
		fx_batch(rows, m, &b);
		assert_int_equal(region_write(r, &b, OP_PUT, NULL), ERR_OK);
		batch_free(&b);
		for (uint32_t i = 0; i < m / 3; i++)
			rows[i] = rows[fx_rndn(n)];
		fx_batch(rows, m / 3, &b);
		assert_int_equal(region_write(r, &b, OP_DELETE, NULL), ERR_OK);
		batch_free(&b);
		assert_int_equal(region_flush(r), ERR_OK);
		if (fx_rndn(2))
			assert_int_equal(region_compact(r, true), ERR_OK);
		fx_rows_free(all);
		assert_int_equal(fx_scan_all(r, all), ERR_OK);
	}
	free(rows);
	return r;
}

/* The rows of all in [lo, hi) of host `host` (any host when NULL). */
static void filter_rows(const struct fx_rows *all, int64_t lo, int64_t hi, const char *host,
			struct fx_rows *out)
{
	memset(out, 0, sizeof(*out));
	out->rows = mem_calloc(all->n + 1, sizeof(struct fx_row));
	out->cap = all->n + 1;
	for (size_t i = 0; i < all->n; i++) {
		const struct fx_row *x = &all->rows[i];
		if (x->ts >= lo && x->ts < hi && (!host || strcmp(x->host, host) == 0))
			out->rows[out->n++] = *x;
	}
}

struct rq {
	struct scan_request req;
	struct scan_pred pred;
	char host[16];
	bool has_host;
};

static void make_request(struct rq *q, int64_t lo, int64_t hi, const char *host)
{
	memset(q, 0, sizeof(*q));
	scan_request_init(&q->req);
	q->req.ts_min = lo;
	q->req.ts_max = hi;
	if (host) {
		snprintf(q->host, sizeof(q->host), "%s", host);
		q->has_host = true;
		q->pred.col = 0;
		q->pred.op = PRED_EQ;
		q->pred.lit = (struct datum){.type = DT_STRING,
					     .v.s = {q->host, (uint32_t)strlen(q->host)}};
		q->req.preds = &q->pred;
		q->req.npreds = 1;
	}
}

/* Scan [lo, hi) (host EQ when host) and compare with all filtered. */
static void check_scan(struct region *r, const struct fx_rows *all, int64_t lo, int64_t hi,
		       const char *host)
{
	struct rq q;
	make_request(&q, lo, hi, host);
	struct sorted_source *src = NULL;
	assert_int_equal(region_scan(r, &q.req, &src), ERR_OK);
	struct fx_rows got, want;
	assert_int_equal(fx_collect(src, &got), ERR_OK);
	filter_rows(all, lo, hi, host, &want);
	if (!fx_rows_equal(&got, &want)) {
		fprintf(stderr, "[%lld, %lld) host %s\n", (long long)lo, (long long)hi,
			host ? host : "-");
		fx_rows_print("got", &got);
		fx_rows_print("want", &want);
	}
	assert_true(fx_rows_equal(&got, &want));
	fx_rows_free(&got);
	fx_rows_free(&want);
}

/* An open scan and its first batch's time index vector. */
struct open_scan {
	struct sorted_source *src;
	const int64_t *ts;
	uint32_t nrows;
};

static void open_scan_proj(struct region *r, int64_t lo, int64_t hi, const bool *proj,
			   struct open_scan *o)
{
	struct rq q;
	make_request(&q, lo, hi, NULL);
	q.req.projection = proj;
	assert_int_equal(region_scan(r, &q.req, &o->src), ERR_OK);
	const struct batch *b = NULL;
	assert_int_equal(sorted_source_next(o->src, &b), ERR_OK);
	assert_non_null(b);
	assert_true(b->nrows > 0);
	o->ts = b->cols[1].i64;
	o->nrows = b->nrows;
	assert_true(o->ts[0] >= lo && o->ts[0] < hi);
}

static void open_scan(struct region *r, int64_t lo, int64_t hi, struct open_scan *o)
{
	open_scan_proj(r, lo, hi, NULL, o);
}

static void close_scan(struct open_scan *o)
{
	sorted_source_close(o->src);
	o->src = NULL;
}

/* W: inside the first page of every series (rows 500..519), a fifth of
 * each row group's rows are candidates. */
#define W_LO (500 * STEP)
#define W_HI (520 * STEP)

/* Page reads first; the read that brings the group's page-read candidate
 * rows to a quarter decodes it; later reads share the decoded vectors. */
static void test_admit_after_page_reads(void **state)
{
	struct fx_engine *e = *state;
	struct fx_rows all;
	struct region *r = make_region(e, false, false, &all);
	assert_int_equal(all.n, (size_t)NHOSTS * PER);
	/* 1st read: a fifth of each group: pages. 2nd: two fifths: the
	 * groups are decoded and the read is served from them. */
	struct open_scan a, b, c;
	open_scan(r, W_LO, W_HI, &a);
	open_scan(r, W_LO, W_HI, &b);
	assert_ptr_not_equal(a.ts, b.ts); /* a read pages, b the shared vectors */
	close_scan(&a);
	/* 3rd: warm - the same shared vectors as b */
	open_scan(r, W_LO, W_HI, &c);
	assert_ptr_equal(b.ts, c.ts);
	close_scan(&c);
	close_scan(&b);
	/* a read with a host predicate keeps reading pages (and, like every
	 * read here, answers exactly) */
	check_scan(r, &all, W_LO, W_HI, "h03");
	/* any other short range of the decoded groups: warm */
	open_scan(r, 2000 * STEP, 2010 * STEP, &a);
	open_scan(r, 2000 * STEP, 2010 * STEP, &b);
	assert_ptr_equal(a.ts, b.ts);
	close_scan(&a);
	close_scan(&b);
	for (int i = 0; i < 40; i++) {
		int64_t lo = (int64_t)fx_rndn(PER) * STEP - (fx_rndn(2) ? 0 : 5);
		int64_t hi = lo + (int64_t)(1 + fx_rndn(fx_rndn(4) ? 30 : 3000)) * STEP;
		check_scan(r, &all, lo, hi, fx_rndn(4) ? NULL : "h07");
	}
	fx_rows_free(&all);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* A group decoded by a wide read serves the very first selective read. */
static void test_warm_group_serves_selective_read(void **state)
{
	struct fx_engine *e = *state;
	struct fx_rows all;
	struct region *r = make_region(e, false, false, &all);
	/* a third of the time range: a third of every group's rows are
	 * candidates, so this read decodes the groups (as it always did) */
	check_scan(r, &all, 0, PER / 3 * STEP, NULL);
	struct open_scan a, b;
	open_scan(r, W_LO, W_HI, &a);
	open_scan(r, W_LO, W_HI, &b);
	assert_ptr_equal(a.ts, b.ts);
	close_scan(&a);
	close_scan(&b);
	check_scan(r, &all, W_LO, W_HI, NULL);
	fx_rows_free(&all);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* Warm means every column the read wants is decoded: a wide read of
 * (host, ts, v) leaves n undecoded, so a short read of (ts, n) reads
 * pages first, and one of (ts, v) is served from the decoded vectors. */
static void test_warm_needs_every_column(void **state)
{
	struct fx_engine *e = *state;
	struct fx_rows all;
	struct region *r = make_region(e, false, false, &all);
	static const bool hv[4] = {true, true, true, false}, tn[4] = {false, true, false, true},
			  tv[4] = {false, true, true, false};
	struct open_scan a, b;
	open_scan_proj(r, 0, PER / 3 * STEP, hv, &a);
	const struct batch *x = NULL;
	do /* every row group */
		assert_int_equal(sorted_source_next(a.src, &x), ERR_OK);
	while (x);
	close_scan(&a);
	open_scan_proj(r, W_LO, W_HI, tv, &a);
	open_scan_proj(r, W_LO, W_HI, tv, &b);
	assert_ptr_equal(a.ts, b.ts);
	close_scan(&a);
	close_scan(&b);
	open_scan_proj(r, W_LO, W_HI, tn, &a);
	open_scan_proj(r, W_LO, W_HI, tn, &b);
	assert_ptr_not_equal(a.ts, b.ts); /* a: pages; b: n decoded now */
	close_scan(&a);
	close_scan(&b);
	fx_rows_free(&all);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* Random files and requests; every answer equals the written rows
 * filtered by the request, whichever path served it. */
static void random_round(bool nulls, bool dups, size_t cache_bytes, uint32_t rg_rows)
{
	void *st = NULL;
	open_env(&st, rg_rows, cache_bytes);
	struct fx_engine *e = st;
	struct fx_rows all;
	struct region *r = make_region(e, nulls, dups, &all);
	for (int i = 0; i < 60; i++) {
		int64_t lo, hi;
		uint32_t kind = fx_rndn(8);
		if (kind == 0) { /* on a page boundary (1024 rows per page) */
			lo = (int64_t)(1024 * (1 + fx_rndn(4)) - fx_rndn(20)) * STEP;
			hi = lo + (int64_t)(1 + fx_rndn(40)) * STEP;
		} else if (kind == 1) { /* wide */
			lo = (int64_t)fx_rndn(PER / 2) * STEP;
			hi = lo + (int64_t)(PER / 3 + fx_rndn(PER)) * STEP;
		} else if (kind == 2) { /* the same short range again */
			lo = W_LO;
			hi = W_HI;
		} else { /* short, anywhere, sometimes between timestamps */
			lo = (int64_t)fx_rndn(PER + 10) * STEP - (fx_rndn(2) ? 0 : 3);
			hi = lo + (int64_t)(1 + fx_rndn(60)) * STEP + (fx_rndn(2) ? 0 : 1);
		}
		char h[16];
		fx_host_name(h, fx_rndn(NHOSTS + 1));
		check_scan(r, &all, lo, hi, fx_rndn(5) ? NULL : h);
	}
	fx_rows_free(&all);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
	teardown(&st);
}

static void test_random_exact(void **state)
{
	(void)state;
	for (int round = 0; round < 6; round++) {
		bool nulls = round & 1, dups = round & 2 ? true : false;
		/* mostly the file's own layout; sometimes groups that cut
		 * series, and sometimes a cache too small for the file (its
		 * decoded columns live only as long as the scan) */
		uint32_t rg = fx_rndn(3) ? RG_ROWS : 20000 + fx_rndn(40000);
		size_t cache = round == 5 ? 50000 : 0;
		random_round(nulls, dups, cache, rg);
	}
}

int main(void)
{
	fx_seed(0x51afd7ed558ccd2bull);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_admit_after_page_reads, setup_fixed, teardown),
	    cmocka_unit_test_setup_teardown(test_warm_group_serves_selective_read, setup_fixed,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_warm_needs_every_column, setup_fixed, teardown),
	    cmocka_unit_test(test_random_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
