/*
 * Tests of the page-level SST read paths: per-page statistics in data page
 * headers (parquet_column_pages), row-range reads that skip pages
 * (parquet_read_row_ranges) and the SST source's page pruning. Every new
 * path is compared against a plain full decode on randomized input (many
 * series, NULLs, deletes, overwrites across files, last_non_null merge
 * mode, compaction, several row groups and pages); files in the previous
 * format (no page statistics, one big page per chunk) must read the same;
 * last-row scans over several sources read every source in tail mode when
 * none holds a delete (checked through sst_rows_returned) and stay exact
 * when deletes in newer sources hide older sources' newest rows;
 * corrupt or truncated page headers give an error, never a crash (run
 * under ASan in build-asan). Files carry tail summaries (test_sst_tail.c),
 * so unbounded last-row scans mostly answer from them; the rewritten
 * "legacy" files have none and read pages.
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
#include "base/fault.h"
#include "base/mem.h"
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/memtable.h"
#include "storage/parquet.h"
#include "storage/pred.h"
#include "storage/region.h"
#include "storage/sst.h"

/* ---- parquet level ---------------------------------------------------- */

#define NPCOLS 6
static const struct parquet_column_def PCOLS[NPCOLS] = {
    {"tag", DT_STRING, true, true},   {"ts", DT_TS_MS, false, false},
    {"i32", DT_INT32, true, false},   {"f", DT_FLOAT64, true, false},
    {"bin", DT_BINARY, true, false},  {"u64", DT_UINT64, false, true},
};

static void make_batch(uint32_t n, struct batch *b)
{
	enum dtype types[NPCOLS];
	for (int c = 0; c < NPCOLS; c++)
		types[c] = PCOLS[c].type;
	assert_int_equal(batch_init(b, NPCOLS, types), ERR_OK);
	int64_t ts = (int64_t)fx_rndn(1000) - 500;
	for (uint32_t i = 0; i < n; i++) {
		char s[32];
		int k = snprintf(s, sizeof(s), "host_%03u", (unsigned)(i / 37 + fx_rndn(2)));
		if (fx_rndn(10) == 0)
			colvec_push_null(&b->cols[0]);
		else
			colvec_push_bytes(&b->cols[0], s, (size_t)k);
		ts += fx_rndn(5) == 0 ? -(int64_t)fx_rndn(3000) : (int64_t)fx_rndn(20);
		colvec_push_i64(&b->cols[1], ts);
		if (fx_rndn(4) == 0)
			colvec_push_null(&b->cols[2]);
		else
			colvec_push_i64(&b->cols[2], (int32_t)fx_rnd());
		if (fx_rndn(5) == 0)
			colvec_push_null(&b->cols[3]);
		else
			colvec_push_f64(&b->cols[3], (double)(int64_t)fx_rnd() / 1e9);
		if (fx_rndn(6) == 0) {
			colvec_push_null(&b->cols[4]);
		} else {
			uint32_t l = fx_rndn(20);
			for (uint32_t j = 0; j < l; j++)
				s[j] = (char)fx_rnd();
			colvec_push_bytes(&b->cols[4], s, l);
		}
		colvec_push_i64(&b->cols[5], fx_rndn(3) ? (int64_t)fx_rndn(50) : (int64_t)fx_rnd());
	}
	b->nrows = n;
}

static void write_file(const struct batch *b, const struct parquet_write_options *o,
		       struct buf *file)
{
	struct parquet_writer *w = NULL;
	assert_int_equal(parquet_writer_open(PCOLS, NPCOLS, o, &w), ERR_OK);
	assert_int_equal(parquet_writer_write(w, b), ERR_OK);
	buf_init(file);
	assert_int_equal(parquet_writer_finish(w, file), ERR_OK);
	parquet_writer_free(w);
}

/* Column c of got (rows 0..) equals rows of full selected by ranges. */
static void check_ranges(const struct colvec *full, const struct colvec *got,
			 const struct parquet_row_range *rr, uint32_t nr)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < nr; i++)
		for (uint32_t r = rr[i].from; r < rr[i].to; r++, k++) {
			assert_true(k < got->len);
			assert_int_equal(colvec_is_null(full, r), colvec_is_null(got, k));
			if (!colvec_is_null(full, r))
				assert_int_equal(colvec_cmp(full, r, got, k), 0);
		}
	assert_int_equal(k, got->len);
}

/* Page statistics bound every non-null value of their page; the pages
 * cover the row group in order. */
static void check_pages(struct parquet_reader *r, uint32_t rg, const struct batch *full,
			bool expect_stats)
{
	for (uint32_t c = 0; c < NPCOLS; c++) {
		const struct parquet_page_info *pg;
		uint32_t np;
		assert_int_equal(parquet_column_pages(r, rg, c, &pg, &np), ERR_OK);
		uint32_t next = 0;
		for (uint32_t p = 0; p < np; p++) {
			assert_int_equal(pg[p].first_row, next);
			next += pg[p].rows;
			if (!expect_stats || PCOLS[c].type == DT_FLOAT64) {
				assert_false(pg[p].has_min_max);
				continue;
			}
			bool any = false;
			const struct colvec *v = &full->cols[c];
			for (uint32_t i = pg[p].first_row; i < pg[p].first_row + pg[p].rows; i++) {
				if (colvec_is_null(v, i))
					continue;
				any = true;
				assert_true(pg[p].has_min_max);
				assert_true(datum_cmp_colvec(&pg[p].min, v, i) <= 0);
				assert_true(datum_cmp_colvec(&pg[p].max, v, i) >= 0);
			}
			if (!any)
				assert_false(pg[p].has_min_max);
		}
		assert_int_equal(next, full->nrows);
	}
}

static void random_ranges(uint32_t rows, struct parquet_row_range *rr, uint32_t *nr, uint32_t max)
{
	*nr = 0;
	uint32_t at = fx_rndn(rows);
	while (at < rows && *nr < max) {
		uint32_t len = 1 + (fx_rndn(3) == 0 ? fx_rndn(rows) : fx_rndn(40));
		uint32_t to = at + len > rows ? rows : at + len;
		rr[(*nr)++] = (struct parquet_row_range){at, to};
		at = to + (fx_rndn(2) ? fx_rndn(2000) : fx_rndn(5)) + 0;
		if (fx_rndn(4) == 0)
			at++;
	}
	if (*nr == 0 && rows)
		rr[(*nr)++] = (struct parquet_row_range){0, rows};
}

static void roundtrip_ranges(bool legacy)
{
	for (int iter = 0; iter < 24; iter++) {
		uint32_t n = 1 + fx_rndn(iter < 4 ? 50 : 6000);
		struct batch b;
		make_batch(n, &b);
		struct parquet_write_options o = {.row_group_rows = 50 + fx_rndn(3000)};
		if (legacy) {
			o.no_page_stats = true;
		} else {
			o.page_rows = 1 + fx_rndn(iter % 3 ? 700 : 20);
			if (fx_rndn(3) == 0)
				o.page_bytes = 64 + fx_rndn(4000);
		}
		if (fx_rndn(3) == 0)
			o.codec = PARQUET_CODEC_NONE;
		struct buf file;
		write_file(&b, &o, &file);
		struct fx_memfile mf = {file.data, file.len};
		struct parquet_reader *r = NULL;
		if (iter % 2)
			assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
		else
			assert_int_equal(parquet_reader_open(fx_mem_read, &mf, file.len, &r), ERR_OK);
		uint32_t base = 0;
		struct batch full = {0}, got = {0};
		for (uint32_t g = 0; g < parquet_reader_num_row_groups(r); g++) {
			assert_int_equal(parquet_read_row_group(r, g, NULL, &full), ERR_OK);
			for (uint32_t c = 0; c < NPCOLS; c++)
				for (uint32_t i = 0; i < full.nrows; i++)
					assert_true(colvec_eq(&full.cols[c], i, &b.cols[c], base + i));
			check_pages(r, g, &full, !legacy);
			for (int t = 0; t < 6; t++) {
				struct parquet_row_range rr[64];
				uint32_t nr;
				random_ranges(full.nrows, rr, &nr, 64);
				bool want[NPCOLS];
				for (int c = 0; c < NPCOLS; c++)
					want[c] = fx_rndn(4) != 0;
				assert_int_equal(parquet_read_row_ranges(r, g, want, rr, nr, &got),
						 ERR_OK);
				uint64_t total = 0;
				for (uint32_t i = 0; i < nr; i++)
					total += rr[i].to - rr[i].from;
				assert_int_equal(got.nrows, total);
				for (uint32_t c = 0; c < NPCOLS; c++) {
					if (!want[c]) {
						assert_int_equal(got.cols[c].len, 0);
						continue;
					}
					check_ranges(&full.cols[c], &got.cols[c], rr, nr);
				}
			}
			base += full.nrows;
		}
		assert_int_equal(base, n);
		batch_free(&full);
		batch_free(&got);
		parquet_reader_free(r);
		buf_free(&file);
		batch_free(&b);
	}
}

static void test_ranges_random(void **state)
{
	(void)state;
	roundtrip_ranges(false);
}

/* The previous format: no page statistics, pages cut only by size. */
static void test_ranges_legacy_format(void **state)
{
	(void)state;
	roundtrip_ranges(true);
}

static void test_bad_ranges(void **state)
{
	(void)state;
	struct batch b;
	make_batch(300, &b);
	struct parquet_write_options o = {.page_rows = 16};
	struct buf file;
	write_file(&b, &o, &file);
	struct parquet_reader *r = NULL;
	assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
	struct batch got = {0};
	struct parquet_row_range bad[][2] = {
	    {{5, 5}, {0, 0}},     /* empty */
	    {{10, 20}, {15, 30}}, /* overlapping */
	    {{20, 30}, {0, 5}},   /* unsorted */
	    {{290, 301}, {0, 0}}, /* past the end */
	};
	uint32_t nbad[] = {1, 2, 2, 1};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(parquet_read_row_ranges(r, 0, NULL, bad[i], nbad[i], &got),
				 ERR_BAD_INPUT);
		assert_int_equal(got.cols, NULL);
	}
	struct parquet_row_range ok = {0, 1};
	assert_int_equal(parquet_read_row_ranges(r, 1, NULL, &ok, 1, &got), ERR_BAD_INPUT);
	const struct parquet_page_info *pg;
	uint32_t np;
	assert_int_equal(parquet_column_pages(r, 1, 0, &pg, &np), ERR_BAD_INPUT);
	assert_int_equal(parquet_column_pages(r, 0, NPCOLS, &pg, &np), ERR_BAD_INPUT);
	/* zero ranges: an empty batch */
	assert_int_equal(parquet_read_row_ranges(r, 0, NULL, NULL, 0, &got), ERR_OK);
	assert_int_equal(got.nrows, 0);
	batch_free(&got);
	parquet_reader_free(r);
	buf_free(&file);
	batch_free(&b);
}

static bool known_error(int rc)
{
	return rc == ERR_OK || rc == ERR_CORRUPT || rc == ERR_UNSUPPORTED || rc == ERR_LIMIT ||
	       rc == ERR_NOMEM;
}

/* Flipped bytes and truncated chunks in the page headers: the page walk
 * and ranged reads return an error or consistent data, never crash. */
static void test_corrupt_page_index(void **state)
{
	(void)state;
	struct batch b;
	make_batch(900, &b);
	struct parquet_write_options o = {.page_rows = 40, .codec = PARQUET_CODEC_NONE};
	struct buf file;
	write_file(&b, &o, &file);
	/* the footer stays intact: only data bytes (page headers and bodies) change */
	uint32_t flen = 0;
	memcpy(&flen, file.data + file.len - 8, 4);
	size_t data_end = file.len - 8 - flen;
	uint8_t *copy = mem_alloc(file.len);
	int errors = 0;
	for (int iter = 0; iter < 400; iter++) {
		memcpy(copy, file.data, file.len);
		int nflip = 1 + (int)fx_rndn(4);
		for (int k = 0; k < nflip; k++)
			copy[4 + fx_rndn((uint32_t)(data_end - 4))] ^= (uint8_t)(1u << fx_rndn(8));
		struct parquet_reader *r = NULL;
		assert_int_equal(parquet_reader_open_mem(copy, file.len, &r), ERR_OK);
		struct batch got = {0};
		for (uint32_t c = 0; c < NPCOLS; c++) {
			const struct parquet_page_info *pg;
			uint32_t np;
			int rc = parquet_column_pages(r, 0, c, &pg, &np);
			assert_true(known_error(rc));
			if (rc) {
				assert_true(err_msg()[0] != '\0');
				errors++;
			}
		}
		struct parquet_row_range rr[3] = {{3, 50}, {200, 201}, {700, 899}};
		int rc = parquet_read_row_ranges(r, 0, NULL, rr, 3, &got);
		assert_true(known_error(rc));
		if (rc == ERR_OK)
			assert_int_equal(got.nrows, 47 + 1 + 199);
		batch_free(&got);
		parquet_reader_free(r);
	}
	assert_true(errors > 0);
	/* a footer whose chunk sizes cut pages short: clear corruption errors */
	struct parquet_reader *r = NULL;
	assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
	parquet_reader_free(r);
	for (size_t cut = 8; cut < data_end; cut += 1 + fx_rndn(97)) {
		/* the file truncated inside its data: opening must fail cleanly */
		assert_int_not_equal(parquet_reader_open_mem(file.data, cut, &r), ERR_OK);
		assert_null(r);
	}
	mem_free(copy);
	buf_free(&file);
	batch_free(&b);
}

/* ---- region level: pruned scans against full scans --------------------- */

static int setup(void **state)
{
	struct fx_engine *e = calloc(1, sizeof(*e));
	/* small row groups: series cross row group boundaries */
	struct region_engine_options o = {.gc_lingering_ms = 1,
					  .sst_row_group_rows = 1500 + fx_rndn(3000)};
	assert_int_equal(fx_engine_open("sstpages", o, e), ERR_OK);
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
#define NHOSTS 40

/* n random rows of op over nhosts hosts and timestamps (ts0 + [0, span)) x 10 */
static void write_random(struct region *r, uint32_t n, enum op_type op, uint32_t nhosts,
			 int64_t ts0, uint32_t span)
{
	struct fx_row *rows = calloc(n, sizeof(*rows));
	for (uint32_t i = 0; i < n; i++) {
		struct fx_row *x = &rows[i];
		if (fx_rndn(50) == 0)
			x->host[0] = '\0'; /* an empty host */
		else
			fx_host_name(x->host, fx_rndn(nhosts));
		x->ts = (ts0 + (int64_t)fx_rndn(span)) * 10;
		x->v = (double)fx_rndn(1000) / 8;
		x->v_null = fx_rndn(5) == 0;
		x->n = (int64_t)fx_rnd();
		x->n_null = fx_rndn(4) == 0;
	}
	struct batch b;
	fx_batch(rows, n, &b);
	assert_int_equal(region_write(r, &b, op, NULL), ERR_OK);
	batch_free(&b);
	free(rows);
}

/* rows of all that a request (time range, host EQ / IN) selects */
static void filter_rows(const struct fx_rows *all, int64_t lo, int64_t hi, const char **hosts,
			uint32_t nh, struct fx_rows *out)
{
	memset(out, 0, sizeof(*out));
	out->rows = mem_calloc(all->n + 1, sizeof(struct fx_row));
	out->cap = all->n + 1;
	for (size_t i = 0; i < all->n; i++) {
		const struct fx_row *x = &all->rows[i];
		if (x->ts < lo || x->ts >= hi)
			continue;
		bool hit = nh == 0;
		for (uint32_t k = 0; k < nh; k++)
			hit |= strcmp(x->host, hosts[k]) == 0;
		if (hit)
			out->rows[out->n++] = *x;
	}
}

/* A random request and the expected answer, checked against src. */
struct rq {
	struct scan_request req;
	struct scan_pred preds[2]; /* [0] host, [1] maybe the last-row hint */
	bool last;
	struct datum list[3];
	char names[3][16];
	const char *hosts[3];
	uint32_t nh;
	int64_t lo, hi;
};

/* Page min / max timestamps of every SST under DIR1: time bounds on them
 * exercise the page pruning's edges. */
static int64_t bounds[4096];
static uint32_t nbounds;

static void collect_bounds(struct objstore *store)
{
	nbounds = 0;
	struct objstore_list l;
	assert_int_equal(objstore_list(store, DIR1, &l), ERR_OK);
	for (size_t i = 0; i < l.n; i++) {
		if (!strstr(l.keys[i], ".parquet"))
			continue;
		uint8_t *bytes = NULL;
		size_t len = 0;
		assert_int_equal(objstore_get(store, l.keys[i], &bytes, &len), ERR_OK);
		struct parquet_reader *pr = NULL;
		assert_int_equal(parquet_reader_open_mem(bytes, len, &pr), ERR_OK);
		int tc = parquet_reader_find_column(pr, "ts");
		assert_true(tc >= 0);
		for (uint32_t g = 0; g < parquet_reader_num_row_groups(pr); g++) {
			const struct parquet_page_info *pg;
			uint32_t np;
			assert_int_equal(parquet_column_pages(pr, g, (uint32_t)tc, &pg, &np),
					 ERR_OK);
			for (uint32_t k = 0; k < np && nbounds + 2 <= 4096; k++) {
				assert_true(pg[k].has_min_max);
				bounds[nbounds++] = pg[k].min.v.i;
				bounds[nbounds++] = pg[k].max.v.i;
			}
		}
		parquet_reader_free(pr);
		mem_free(bytes);
	}
	objstore_list_free(&l);
}

/* A random request; time bounds are often timestamps of rows in all or
 * page bounds. */
static void random_request(struct rq *q, const struct fx_rows *all)
{
	memset(q, 0, sizeof(*q));
	scan_request_init(&q->req);
	q->lo = INT64_MIN;
	q->hi = INT64_MAX;
	if (fx_rndn(4)) {
		/* bounds on and between the written timestamps (multiples of 10) */
		q->lo = (int64_t)fx_rndn(4000) * 10 - (fx_rndn(2) ? 5 : 0);
		q->hi = q->lo + (int64_t)fx_rndn(fx_rndn(2) ? 40 : 4000) * 10 + (fx_rndn(2) ? 0 : 1);
		if (all && all->n && fx_rndn(3)) { /* exactly on row timestamps */
			q->lo = all->rows[fx_rndn((uint32_t)all->n)].ts + (int64_t)fx_rndn(2);
			q->hi = all->rows[fx_rndn((uint32_t)all->n)].ts + (int64_t)fx_rndn(2);
			if (nbounds && fx_rndn(2)) {
				q->lo = bounds[fx_rndn(nbounds)] + (int64_t)fx_rndn(3) - 1;
				q->hi = bounds[fx_rndn(nbounds)] + (int64_t)fx_rndn(3) - 1;
			}
			if (q->hi < q->lo) {
				int64_t t = q->hi;
				q->hi = q->lo;
				q->lo = t;
			}
		}
		if (fx_rndn(4) == 0)
			q->lo = INT64_MIN;
		q->req.ts_min = q->lo;
		q->req.ts_max = q->hi;
	}
	uint32_t kind = fx_rndn(3); /* 0 none, 1 EQ, 2 IN */
	if (kind) {
		q->nh = kind == 1 ? 1 : 1 + fx_rndn(3);
		for (uint32_t k = 0; k < q->nh; k++) {
			if (fx_rndn(8) == 0)
				q->names[k][0] = '\0';
			else
				fx_host_name(q->names[k], fx_rndn(NHOSTS + 2));
			q->hosts[k] = q->names[k];
			q->list[k] = (struct datum){.type = DT_STRING,
						    .v.s = {q->names[k],
							    (uint32_t)strlen(q->names[k])}};
		}
		q->preds[0].col = 0;
		if (kind == 1) {
			q->preds[0].op = PRED_EQ;
			q->preds[0].lit = q->list[0];
		} else {
			q->preds[0].op = PRED_IN;
			q->preds[0].nlist = q->nh;
			q->preds[0].list = q->list;
			q->preds[0].lit.type = DT_STRING;
		}
		q->req.npreds = 1;
	}
	q->req.preds = q->preds;
	if (fx_rndn(2)) { /* SELECT DISTINCT ON (host) ... ORDER BY host, ts DESC */
		q->last = true;
		scan_hint_last_per_series(1, DT_TS_MS, &q->preds[q->req.npreds++]);
	}
}

/* The last row (highest ts) of each host of a canonical (host, ts) list. */
static void last_per_host(const struct fx_rows *in, struct fx_rows *out)
{
	memset(out, 0, sizeof(*out));
	out->rows = mem_calloc(in->n + 1, sizeof(struct fx_row));
	out->cap = in->n + 1;
	for (size_t i = 0; i < in->n; i++) {
		if (i + 1 < in->n && strcmp(in->rows[i].host, in->rows[i + 1].host) == 0)
			continue;
		out->rows[out->n++] = in->rows[i];
	}
}

/* Every row of sub is in all (both canonical lists). */
static bool subset_of(const struct fx_rows *sub, const struct fx_rows *all)
{
	size_t j = 0;
	for (size_t i = 0; i < sub->n; i++) {
		while (j < all->n && (strcmp(all->rows[j].host, sub->rows[i].host) != 0 ||
				      all->rows[j].ts != sub->rows[i].ts))
			j++;
		if (j == all->n)
			return false;
		struct fx_rows a = {.rows = &all->rows[j], .n = 1};
		struct fx_rows b = {.rows = &sub->rows[i], .n = 1};
		if (!fx_rows_equal(&a, &b))
			return false;
	}
	return true;
}

static bool r_append; /* the region under test is in append mode */

static void check_region_scans(struct fx_engine *e, struct region *r, int nq)
{
	collect_bounds(e->store);
	struct fx_rows all;
	assert_int_equal(fx_scan_all(r, &all), ERR_OK);
	for (int i = 0; i < nq; i++) {
		struct rq q;
		random_request(&q, &all);
		struct sorted_source *src = NULL;
		int src_rc = region_scan(r, &q.req, &src);
		if (src_rc)
			fprintf(stderr, "region_scan: %s\n", err_msg());
		assert_int_equal(src_rc, ERR_OK);
		struct fx_rows got, want;
		assert_int_equal(fx_collect(src, &got), ERR_OK);
		filter_rows(&all, q.lo, q.hi, q.hosts, q.nh, &want);
		if (q.last && !r_append) {
			/* a subset of the answer that holds every host's last row */
			assert_true(subset_of(&got, &want));
			struct fx_rows gl, wl;
			last_per_host(&got, &gl);
			last_per_host(&want, &wl);
			fx_rows_free(&got);
			fx_rows_free(&want);
			got = gl;
			want = wl;
		}
		if (!fx_rows_equal(&got, &want)) {
			fprintf(stderr, "query %d: ts [%lld, %lld) nh %u\n", i, (long long)q.lo,
				(long long)q.hi, q.nh);
			fx_rows_print("got", &got);
			fx_rows_print("want", &want);
		}
		assert_true(fx_rows_equal(&got, &want));
		fx_rows_free(&got);
		fx_rows_free(&want);
	}
	fx_rows_free(&all);
}

static void region_random(struct fx_engine *e, bool append, enum merge_mode mode)
{
	struct region_schema *s = fx_schema(append, mode);
	struct region *r = NULL;
	r_append = append;
	assert_int_equal(region_create(e->eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	for (int round = 0; round < 6; round++) {
		/* wide rounds: many hosts over the whole time span; narrow ones:
		 * few hosts with many versions of few timestamps (pages with
		 * narrow time ranges). Later rounds overwrite and delete rows of
		 * older files. */
		bool wide = round % 2 == 0;
		uint32_t nh = wide ? NHOSTS : 1 + fx_rndn(3);
		int64_t ts0 = wide ? 0 : (int64_t)fx_rndn(3000);
		uint32_t span = wide ? 4000 : 3000;
		write_random(r, 2000 + fx_rndn(3000), OP_PUT, nh, ts0, span);
		if (round)
			write_random(r, 200 + fx_rndn(800), OP_DELETE, nh, ts0, span);
		if (round == 3) /* stays in the memtable at first */
			write_random(r, 500, OP_PUT, NHOSTS, 0, 4000);
		check_region_scans(e, r, 10);
		assert_int_equal(region_flush(r), ERR_OK);
		check_region_scans(e, r, 25);
		if (round == 0) {
			/* one file of unique rows (read lean by queries): a
			 * compaction of it (if the picker takes a lone file) must
			 * still read its internal columns */
			assert_int_equal(region_compact(r, true), ERR_OK);
			check_region_scans(e, r, 10);
		}
	}
	assert_int_equal(region_compact(r, true), ERR_OK);
	check_region_scans(e, r, 30);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* One SST, the only source, with tombstones on series' newest rows and
 * several versions of some rows: last-row scans read it in tail mode. */
static void tail_deletes(struct fx_engine *e, int mode)
{
	{
		struct region_schema *s =
		    fx_schema(false, mode ? MERGE_LAST_NON_NULL : MERGE_LAST_ROW);
		struct region *r = NULL;
		r_append = false;
		assert_int_equal(region_create(e->eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
		region_schema_free(s);
		write_random(r, 6000, OP_PUT, 8, 0, 3000);
		write_random(r, 3000, OP_PUT, 8, 2000, 1000); /* overwrites */
		/* delete the newest rows of some hosts, several deep */
		struct fx_rows all;
		assert_int_equal(fx_scan_all(r, &all), ERR_OK);
		struct fx_row *del = mem_calloc(all.n + 1, sizeof(*del));
		size_t nd = 0;
		for (size_t i = 0; i < all.n; i++) {
			bool newest = i + 1 == all.n || strcmp(all.rows[i].host, all.rows[i + 1].host);
			size_t depth = 0;
			for (size_t k = i + 1; k < all.n && !strcmp(all.rows[k].host, all.rows[i].host);
			     k++)
				depth++;
			if ((newest || depth < 3) && all.rows[i].host[1] % 2 == 0)
				del[nd++] = all.rows[i];
		}
		struct batch b;
		fx_batch(del, nd, &b);
		assert_int_equal(region_write(r, &b, OP_DELETE, NULL), ERR_OK);
		batch_free(&b);
		mem_free(del);
		fx_rows_free(&all);
		assert_int_equal(region_flush(r), ERR_OK);
		check_region_scans(e, r, 60);
		/* compacting the one file: its reader must keep the internal columns */
		assert_int_equal(region_compact(r, true), ERR_OK);
		check_region_scans(e, r, 20);
		/* a newer put of one deleted row: two sources again */
		write_random(r, 50, OP_PUT, 8, 2900, 100);
		check_region_scans(e, r, 20);
		assert_int_equal(region_flush(r), ERR_OK);
		assert_int_equal(region_compact(r, true), ERR_OK);
		check_region_scans(e, r, 40);
		assert_int_equal(region_drop(r), ERR_OK);
		region_close(r);
	}
}

static void test_region_tail_deletes(void **state)
{
	tail_deletes(*state, 0);
}

static void test_region_tail_deletes_lnn(void **state)
{
	tail_deletes(*state, 1);
}

/* Rows SST sources hand out for one last-row scan of every host (no other
 * predicate), after checking its answer against the full scan's. */
static uint64_t hinted_sst_rows(struct region *r)
{
	struct fx_rows all, got, gl, wl;
	assert_int_equal(fx_scan_all(r, &all), ERR_OK);
	struct scan_pred p;
	scan_hint_last_per_series(1, DT_TS_MS, &p);
	struct scan_request req;
	scan_request_init(&req);
	req.preds = &p;
	req.npreds = 1;
	uint64_t before = sst_rows_returned();
	struct sorted_source *src = NULL;
	assert_int_equal(region_scan(r, &req, &src), ERR_OK);
	assert_int_equal(fx_collect(src, &got), ERR_OK);
	uint64_t n = sst_rows_returned() - before;
	if (!r_append) {
		last_per_host(&got, &gl);
		last_per_host(&all, &wl);
		assert_true(fx_rows_equal(&gl, &wl));
		fx_rows_free(&gl);
		fx_rows_free(&wl);
	}
	fx_rows_free(&got);
	fx_rows_free(&all);
	return n;
}

/* Delete the newest row of every other host (those newest puts sit in
 * older sources: only a full read of them finds the true last row). */
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
	assert_true(nd > 0);
	struct batch b;
	fx_batch(del, nd, &b);
	assert_int_equal(region_write(r, &b, OP_DELETE, NULL), ERR_OK);
	batch_free(&b);
	mem_free(del);
	fx_rows_free(&all);
}

/*
 * Several SSTs (+ the active memtable): with no delete in any source every
 * file reads in tail mode (few rows handed out) and the answers equal the
 * full scan's; overwrites across files (puts only) keep tail mode; a
 * delete in the memtable or in a newer file hiding older files' newest
 * puts turns the files back to full reads, still exact; after a major
 * compaction (deletes gone) and new put files, tail mode again.
 */
static void multi_tail(struct fx_engine *e, bool append, enum merge_mode mode)
{
	struct region_schema *s = fx_schema(append, mode);
	struct region *r = NULL;
	r_append = append;
	assert_int_equal(region_create(e->eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	uint64_t total = 0;
	for (int round = 0; round < 4; round++) {
		/* overlapping time spans: later files overwrite older rows */
		uint32_t n = 2000 + fx_rndn(2000);
		write_random(r, n, OP_PUT, NHOSTS, (int64_t)round * 500, 3000);
		total += n;
		assert_int_equal(region_flush(r), ERR_OK);
		check_region_scans(e, r, 8);
	}
	uint64_t tail_rows = hinted_sst_rows(r);
	/* puts only: tails of 4 files, a few rows per host and file (hinted
	 * scans are not tail scans in append mode) */
	if (append)
		assert_true(tail_rows >= total);
	else
		assert_true(tail_rows <= 4u * (NHOSTS + 1) * 8);
	/* puts in the memtable: still tail mode */
	write_random(r, 500, OP_PUT, NHOSTS, 2000, 2000);
	check_region_scans(e, r, 10);
	if (!append)
		assert_true(hinted_sst_rows(r) <= 4u * (NHOSTS + 1) * 8);
	/* a failed flush leaves the memtable frozen: frozen + active + files,
	 * all puts, still tail mode */
	/* the frozen rows are every host's newest, many per host */
	write_random(r, 2000, OP_PUT, NHOSTS, 5000, 100);
	fault_arm(FAULT_SST_UPLOAD_AFTER, FAULT_FAIL, 0, 0, 1);
	assert_int_not_equal(region_flush(r), ERR_OK);
	fault_disarm_all();
	err_clear();
	write_random(r, 400, OP_PUT, NHOSTS, 2500, 2000);
	check_region_scans(e, r, 10);
	if (!append)
		assert_true(hinted_sst_rows(r) <= 4u * (NHOSTS + 1) * 8);
	/* a delete in the active memtable hides the frozen one's and the
	 * files' newest puts */
	delete_newest(r);
	check_region_scans(e, r, 10);
	if (!append)
		assert_true(hinted_sst_rows(r) >= total / 2);
	assert_int_equal(region_flush(r), ERR_OK);
	check_region_scans(e, r, 10);
	if (!append)
		assert_true(hinted_sst_rows(r) >= total / 2);
	/* puts again over files with deletes, then a compaction that drops
	 * them: tail mode once no file holds a delete */
	assert_int_equal(region_compact(r, true), ERR_OK);
	check_region_scans(e, r, 10);
	write_random(r, 800, OP_PUT, NHOSTS, 3000, 1000);
	check_region_scans(e, r, 10);
	/* a delete in the memtable hides files' newest puts: full reads */
	delete_newest(r);
	check_region_scans(e, r, 20);
	if (!append)
		assert_true(hinted_sst_rows(r) >= total / 2);
	/* flushed: the delete sits in the newest file */
	assert_int_equal(region_flush(r), ERR_OK);
	check_region_scans(e, r, 20);
	if (!append)
		assert_true(hinted_sst_rows(r) >= total / 2);
	/* several levels of hiding: delete the new newest rows again */
	delete_newest(r);
	assert_int_equal(region_flush(r), ERR_OK);
	check_region_scans(e, r, 20);
	assert_int_equal(region_compact(r, true), ERR_OK);
	check_region_scans(e, r, 20);
	write_random(r, 1500, OP_PUT, NHOSTS, 3000, 1000);
	assert_int_equal(region_flush(r), ERR_OK);
	write_random(r, 300, OP_PUT, NHOSTS, 3500, 1000);
	check_region_scans(e, r, 20);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

/* sst_write's flags straight from a memtable run (every version kept):
 * duplicate identities without deletes -> no_delete but not unique; a
 * delete -> neither; memtable_has_delete follows the deletes written. */
static void test_no_delete_flag(void **state)
{
	struct fx_engine *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	for (int withdel = 0; withdel < 2; withdel++) {
		struct memtable *m = NULL;
		assert_int_equal(memtable_create(s, &m), ERR_OK);
		struct fx_row rows[3] = {{.host = "a", .ts = 10, .v = 1},
					 {.host = "a", .ts = 20, .v = 2},
					 {.host = "b", .ts = 10, .v = 3}};
		struct batch b;
		fx_batch(rows, 3, &b);
		assert_int_equal(memtable_write(m, &b, 1, OP_PUT), ERR_OK);
		assert_int_equal(memtable_write(m, &b, 4, OP_PUT), ERR_OK); /* same identities */
		assert_false(memtable_has_delete(m));
		if (withdel) {
			assert_int_equal(memtable_write(m, &b, 7, OP_DELETE), ERR_OK);
			assert_true(memtable_has_delete(m));
		}
		batch_free(&b);
		struct sorted_source *src = NULL;
		assert_int_equal(memtable_scan(m, NULL, 0, UINT64_MAX, &src), ERR_OK);
		struct manifest_file f;
		memset(&f, 0, sizeof(f));
		assert_int_equal(sst_write(e->store, NULL, DIR1, s, src, 0, &f), ERR_OK);
		assert_int_equal(f.num_rows, withdel ? 9 : 6);
		char key[1024];
		sst_path(key, sizeof(key), DIR1, f.file_id);
		uint8_t *bytes = NULL;
		size_t len = 0;
		assert_int_equal(objstore_get(e->store, key, &bytes, &len), ERR_OK);
		struct parquet_reader *pr = NULL;
		assert_int_equal(parquet_reader_open_mem(bytes, len, &pr), ERR_OK);
		assert_null(parquet_reader_kv(pr, SST_KV_UNIQUE));
		if (withdel)
			assert_null(parquet_reader_kv(pr, SST_KV_NO_DELETE));
		else
			assert_string_equal(parquet_reader_kv(pr, SST_KV_NO_DELETE), "1");
		parquet_reader_free(pr);
		mem_free(bytes);
		assert_int_equal(sst_open_source(e->store, NULL, DIR1, s, &f, NULL, &src), ERR_OK);
		assert_true(sst_source_no_delete(src) == !withdel);
		sorted_source_close(src);
		memtable_free(m);
	}
	region_schema_free(s);
}

static void test_multi_tail_last_row(void **state)
{
	multi_tail(*state, false, MERGE_LAST_ROW);
}

static void test_multi_tail_last_non_null(void **state)
{
	multi_tail(*state, false, MERGE_LAST_NON_NULL);
}

static void test_multi_tail_append(void **state)
{
	multi_tail(*state, true, MERGE_LAST_ROW);
}

static void test_region_last_row(void **state)
{
	region_random(*state, false, MERGE_LAST_ROW);
}

static void test_region_last_non_null(void **state)
{
	region_random(*state, false, MERGE_LAST_NON_NULL);
}

static void test_region_append(void **state)
{
	region_random(*state, true, MERGE_LAST_ROW);
}

/* The last visible row of each host in a raw SST source's rows (sorted by
 * (pk, ts, seq desc), deletes and older versions included): per host, the
 * newest ts group whose newest version is a put (last_row merge mode). */
static void sst_answers(struct sorted_source *src, struct fx_rows *out)
{
	memset(out, 0, sizeof(*out));
	out->cap = 1024;
	out->rows = mem_calloc(out->cap, sizeof(struct fx_row));
	const struct batch *b;
	struct fx_row cur_top;
	bool have_group = false, cur_put = false;
	char host[16] = "";
	int64_t ts = 0;
	int rc;
	struct fx_row best;
	bool have_best = false;
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		for (uint32_t i = 0; i < b->nrows; i++) {
			uint32_t len;
			const char *h = colvec_bytes(&b->cols[0], i, &len);
			char hn[16] = "";
			memcpy(hn, h, len < 15 ? len : 15);
			int64_t t = b->cols[1].i64[i];
			bool new_host = !have_group || strcmp(hn, host) != 0;
			if (new_host || t != ts) {
				/* the previous group is complete */
				if (have_group && cur_put) {
					best = cur_top;
					have_best = true;
				}
				if (new_host && have_group && have_best) {
					assert_true(out->n < out->cap);
					out->rows[out->n++] = best;
				}
				if (new_host)
					have_best = false;
				memset(&cur_top, 0, sizeof(cur_top));
				memcpy(cur_top.host, hn, sizeof(cur_top.host));
				cur_top.ts = t;
				cur_top.v_null = b->cols[2].len == 0 || colvec_is_null(&b->cols[2], i);
				cur_top.v = cur_top.v_null ? 0 : b->cols[2].f64[i];
				cur_top.n_null = b->cols[3].len == 0 || colvec_is_null(&b->cols[3], i);
				cur_top.n = cur_top.n_null ? 0 : b->cols[3].i64[i];
				cur_put = b->cols[6].i64[i] == OP_PUT;
				memcpy(host, hn, sizeof(host));
				ts = t;
				have_group = true;
			}
		}
	}
	assert_int_equal(rc, ERR_OK);
	if (have_group && cur_put) {
		best = cur_top;
		have_best = true;
	}
	if (have_group && have_best)
		out->rows[out->n++] = best;
	sorted_source_close(src);
}

/* Rewrite SST bytes with other write options (same columns, rows and
 * key-value metadata) as file_id; pk_dict false = PLAIN primary keys. */
static void rewrite_sst(struct objstore *store, const uint8_t *bytes, size_t len,
			const struct parquet_write_options *o, bool pk_dict, const char *file_id,
			struct buf *outb)
{
	struct parquet_reader *pr = NULL;
	assert_int_equal(parquet_reader_open_mem(bytes, len, &pr), ERR_OK);
	uint32_t nc = parquet_reader_num_columns(pr);
	struct parquet_column_def defs[16];
	for (uint32_t c = 0; c < nc; c++) {
		defs[c] = *parquet_reader_column(pr, c);
		if (!strcmp(defs[c].name, "__primary_key"))
			defs[c].dictionary = pk_dict;
	}
	struct parquet_writer *w = NULL;
	assert_int_equal(parquet_writer_open(defs, nc, o, &w), ERR_OK);
	for (uint32_t k = 0; k < parquet_reader_kv_count(pr); k++) {
		const char *kk, *vv;
		parquet_reader_kv_at(pr, k, &kk, &vv);
		if (strcmp(kk, SST_KV_TAIL)) /* as written before tail summaries */
			assert_int_equal(parquet_writer_set_kv(w, kk, vv), ERR_OK);
	}
	struct batch rg = {0};
	for (uint32_t g = 0; g < parquet_reader_num_row_groups(pr); g++) {
		assert_int_equal(parquet_read_row_group(pr, g, NULL, &rg), ERR_OK);
		assert_int_equal(parquet_writer_write(w, &rg), ERR_OK);
	}
	batch_free(&rg);
	buf_init(outb);
	assert_int_equal(parquet_writer_finish(w, outb), ERR_OK);
	parquet_writer_free(w);
	parquet_reader_free(pr);
	char key[1024];
	sst_path(key, sizeof(key), DIR1, file_id);
	assert_int_equal(objstore_put(store, key, outb->data, outb->len, 0), ERR_OK);
}

/* An SST in the previous format (rewritten from a current one without page
 * statistics, one page per chunk) answers every request like the current
 * file. */
static void test_sst_legacy_file(void **state)
{
	struct fx_engine *e = *state;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->eng, REGION_ID(1024, 0), DIR1, s, &r), ERR_OK);
	write_random(r, 6000, OP_PUT, NHOSTS, 0, 4000);
	write_random(r, 4000, OP_PUT, 2, 1000, 3000);
	write_random(r, 500, OP_DELETE, NHOSTS, 0, 4000);
	assert_int_equal(region_flush(r), ERR_OK);
	struct objstore_list l;
	assert_int_equal(objstore_list(e->store, DIR1, &l), ERR_OK);
	const char *key = NULL;
	for (size_t i = 0; i < l.n; i++)
		if (strstr(l.keys[i], ".parquet"))
			key = l.keys[i];
	assert_non_null(key);
	uint8_t *bytes = NULL;
	size_t len = 0;
	assert_int_equal(objstore_get(e->store, key, &bytes, &len), ERR_OK);
	struct manifest_file cur = {0};
	const char *slash = strrchr(key, '/');
	snprintf(cur.file_id, sizeof(cur.file_id), "%.*s", (int)(strlen(slash + 1) - 8), slash + 1);
	/* rewrite: same columns, rows and key-value metadata, old page layout */
	struct parquet_reader *pr = NULL;
	assert_int_equal(parquet_reader_open_mem(bytes, len, &pr), ERR_OK);
	uint32_t nc = parquet_reader_num_columns(pr);
	struct parquet_column_def defs[16];
	for (uint32_t c = 0; c < nc; c++)
		defs[c] = *parquet_reader_column(pr, c);
	struct parquet_write_options o = {.row_group_rows = 2500, .no_page_stats = true};
	struct parquet_writer *w = NULL;
	assert_int_equal(parquet_writer_open(defs, nc, &o, &w), ERR_OK);
	for (uint32_t k = 0; k < parquet_reader_kv_count(pr); k++) {
		const char *kk, *vv;
		parquet_reader_kv_at(pr, k, &kk, &vv);
		if (strcmp(kk, SST_KV_TAIL)) /* as written before tail summaries */
			assert_int_equal(parquet_writer_set_kv(w, kk, vv), ERR_OK);
	}
	struct batch rg = {0};
	for (uint32_t g = 0; g < parquet_reader_num_row_groups(pr); g++) {
		assert_int_equal(parquet_read_row_group(pr, g, NULL, &rg), ERR_OK);
		assert_int_equal(parquet_writer_write(w, &rg), ERR_OK);
	}
	batch_free(&rg);
	struct buf old;
	buf_init(&old);
	assert_int_equal(parquet_writer_finish(w, &old), ERR_OK);
	parquet_writer_free(w);
	parquet_reader_free(pr);
	struct manifest_file legacy = cur;
	snprintf(legacy.file_id, sizeof(legacy.file_id), "legacy-file");
	char lkey[1024];
	sst_path(lkey, sizeof(lkey), DIR1, legacy.file_id);
	assert_int_equal(objstore_put(e->store, lkey, old.data, old.len, 0), ERR_OK);
	/* the legacy file really has one page per chunk and no statistics */
	assert_int_equal(parquet_reader_open_mem(old.data, old.len, &pr), ERR_OK);
	const struct parquet_page_info *pg;
	uint32_t np;
	assert_int_equal(parquet_column_pages(pr, 0, 1, &pg, &np), ERR_OK);
	assert_int_equal(np, 1);
	assert_false(pg[0].has_min_max);
	parquet_reader_free(pr);
	for (int i = 0; i < 40; i++) {
		struct rq q;
		random_request(&q, NULL);
		struct fx_rows a, b;
		struct sorted_source *src = NULL;
		assert_int_equal(sst_open_source(e->store, NULL, DIR1, s, &cur, &q.req, &src),
				 ERR_OK);
		assert_int_equal(fx_collect(src, &a), ERR_OK);
		assert_int_equal(sst_open_source(e->store, NULL, DIR1, s, &legacy, &q.req, &src),
				 ERR_OK);
		assert_int_equal(fx_collect(src, &b), ERR_OK);
		assert_true(fx_rows_equal(&a, &b));
		fx_rows_free(&a);
		fx_rows_free(&b);
	}
	/* tail mode (the only source, last-row hint) on the current file, the
	 * legacy one and one with PLAIN primary keys (no dictionary indexes:
	 * runs from the decoded keys) and small row groups and pages, against
	 * a full read of the current file */
	struct buf plain;
	struct parquet_write_options po = {.row_group_rows = 700, .page_rows = 50};
	rewrite_sst(e->store, bytes, len, &po, false, "plain-pk", &plain);
	struct manifest_file plainf = cur;
	snprintf(plainf.file_id, sizeof(plainf.file_id), "plain-pk");
	struct sst_open_opts only = {.only_source = true};
	for (int i = 0; i < 40; i++) {
		struct rq q;
		random_request(&q, NULL);
		if (!q.last) {
			scan_hint_last_per_series(1, DT_TS_MS, &q.preds[q.req.npreds++]);
			q.req.preds = q.preds;
		}
		struct fx_rows want, got;
		struct sorted_source *src = NULL;
		assert_int_equal(sst_open_source(e->store, NULL, DIR1, s, &cur, &q.req, &src),
				 ERR_OK);
		sst_answers(src, &want);
		const struct manifest_file *fs[3] = {&cur, &legacy, &plainf};
		for (int f = 0; f < 3; f++) {
			assert_int_equal(sst_open_source_opts(e->store, NULL, DIR1, s, fs[f], &q.req,
							      &only, &src),
					 ERR_OK);
			assert_false(sst_source_lean(src));
			/* the current file answers from its tail summary when
			 * the request cannot cut a tail; the rewritten ones
			 * (no summary) from pages */
			if (f > 0 || q.req.ts_min != INT64_MIN || q.req.ts_max != INT64_MAX)
				assert_true(f == 0 || !sst_source_summary(src));
			else
				assert_true(sst_source_summary(src));
			sst_answers(src, &got);
			assert_true(fx_rows_equal(&got, &want));
			fx_rows_free(&got);
		}
		fx_rows_free(&want);
	}
	buf_free(&plain);
	buf_free(&old);
	mem_free(bytes);
	objstore_list_free(&l);
	region_schema_free(s);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
}

int main(void)
{
	fx_seed(0x9e3779b97f4a7c15ull);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ranges_random),
	    cmocka_unit_test(test_ranges_legacy_format),
	    cmocka_unit_test(test_bad_ranges),
	    cmocka_unit_test(test_corrupt_page_index),
	    cmocka_unit_test_setup_teardown(test_region_tail_deletes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_region_tail_deletes_lnn, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_delete_flag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multi_tail_last_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multi_tail_last_non_null, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multi_tail_append, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_region_last_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_region_last_non_null, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_region_append, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sst_legacy_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
