/*
 * test_page_cache: the decompressed-page cache (storage/page_cache.h) on
 * its own - hits, misses, LRU eviction under the byte budget, pins,
 * oversize pages, dropping an owner, capacity changes, concurrent
 * readers - and under the Parquet reader: row-range reads of random files
 * with the cache (cold, warm, under a budget that forces evictions, two
 * owners at once) equal the reads without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "base/column.h"
#include "base/err.h"
#include "base/mem.h"
#include "storage/page_cache.h"
#include "storage/parquet.h"

#define E PAGE_CACHE_ENTRY_BYTES

static uint8_t *page_of(uint64_t owner, uint64_t off, size_t len)
{
	uint8_t *p = mem_alloc(len ? len : 1);
	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(owner * 31 + off * 7 + i);
	return p;
}

static bool page_ok(const uint8_t *p, uint64_t owner, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(owner * 31 + off * 7 + i))
			return false;
	return true;
}

static void put_unpin(struct page_cache *pc, uint64_t owner, uint64_t off, size_t len)
{
	struct page_pin *pin = NULL;
	const uint8_t *d = page_cache_put(pc, owner, off, page_of(owner, off, len), len, &pin);
	assert_non_null(d);
	assert_non_null(pin);
	assert_true(page_ok(d, owner, off, len));
	page_cache_unpin(pc, pin);
}

static bool cached(struct page_cache *pc, uint64_t owner, uint64_t off)
{
	struct page_pin *pin = NULL;
	size_t len = 0;
	const uint8_t *d = page_cache_get(pc, owner, off, &len, &pin);
	if (d) {
		assert_true(page_ok(d, owner, off, len));
		page_cache_unpin(pc, pin);
	}
	return d != NULL;
}

static void test_hit_miss(void **state)
{
	(void)state;
	struct page_cache *pc = NULL;
	assert_int_equal(page_cache_create(1 << 20, &pc), ERR_OK);
	struct page_pin *pin = NULL;
	size_t len = 7;
	assert_null(page_cache_get(pc, 1, 100, &len, &pin));
	assert_null(pin);
	assert_int_equal(len, 0);
	put_unpin(pc, 1, 100, 1000);
	const uint8_t *d = page_cache_get(pc, 1, 100, &len, &pin);
	assert_non_null(d);
	assert_int_equal(len, 1000);
	assert_true(page_ok(d, 1, 100, 1000));
	page_cache_unpin(pc, pin);
	/* same offset, other owner; same owner, other offset: misses */
	assert_false(cached(pc, 2, 100));
	assert_false(cached(pc, 1, 101));
	struct page_cache_stats st;
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 3);
	assert_int_equal(st.inserts, 1);
	assert_int_equal(st.pages, 1);
	assert_int_equal(st.used, 1000 + E);
	/* a second insert of a cached page shares the first */
	uint8_t *dup = page_of(1, 100, 1000);
	d = page_cache_put(pc, 1, 100, dup, 1000, &pin);
	assert_non_null(d);
	assert_true(page_ok(d, 1, 100, 1000));
	page_cache_unpin(pc, pin);
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.pages, 1);
	assert_int_equal(st.used, 1000 + E);
	page_cache_free(pc);
}

static void test_lru_eviction(void **state)
{
	(void)state;
	struct page_cache *pc = NULL;
	/* room for three 100-byte pages */
	assert_int_equal(page_cache_create(3 * (100 + E), &pc), ERR_OK);
	put_unpin(pc, 1, 0, 100);
	put_unpin(pc, 1, 1, 100);
	put_unpin(pc, 1, 2, 100);
	assert_true(cached(pc, 1, 0)); /* 0 is now the most recent */
	put_unpin(pc, 1, 3, 100);      /* evicts 1, the least recent */
	assert_false(cached(pc, 1, 1));
	assert_true(cached(pc, 1, 0));
	assert_true(cached(pc, 1, 2));
	assert_true(cached(pc, 1, 3));
	struct page_cache_stats st;
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.evictions, 1);
	assert_true(st.used <= st.capacity);
	assert_int_equal(st.pages, 3);
	/* a bigger page pushes out as many as it needs */
	put_unpin(pc, 1, 4, 200);
	page_cache_get_stats(pc, &st);
	assert_true(st.used <= st.capacity);
	assert_true(cached(pc, 1, 4));
	assert_false(cached(pc, 1, 0)); /* 0, 2 were the least recent */
	assert_false(cached(pc, 1, 2));
	assert_true(cached(pc, 1, 3));
	/* shrinking the budget evicts; zero empties */
	page_cache_set_capacity(pc, 300 + E);
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.pages, 1);
	assert_true(cached(pc, 1, 3)); /* touched last */
	page_cache_set_capacity(pc, 0);
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.pages, 0);
	assert_int_equal(st.used, 0);
	page_cache_free(pc);
}

static void test_pins_and_oversize(void **state)
{
	(void)state;
	struct page_cache *pc = NULL;
	assert_int_equal(page_cache_create(2 * (100 + E), &pc), ERR_OK);
	struct page_pin *held = NULL;
	const uint8_t *d = page_cache_put(pc, 1, 0, page_of(1, 0, 100), 100, &held);
	assert_non_null(d);
	put_unpin(pc, 1, 1, 100);
	put_unpin(pc, 1, 2, 100); /* 0 is pinned: 1 goes */
	assert_true(page_ok(d, 1, 0, 100));
	assert_false(cached(pc, 1, 1));
	/* dropping the owner unlinks the pinned page; it stays readable */
	page_cache_drop_owner(pc, 1);
	struct page_cache_stats st;
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.pages, 0);
	assert_int_equal(st.used, 0);
	assert_true(page_ok(d, 1, 0, 100));
	page_cache_unpin(pc, held); /* frees it (ASan: no leak, no use after) */
	/* a page over the whole budget is handed back pinned, not kept */
	d = page_cache_put(pc, 1, 9, page_of(1, 9, 1000), 1000, &held);
	assert_non_null(d);
	assert_true(page_ok(d, 1, 9, 1000));
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.pages, 0);
	page_cache_unpin(pc, held);
	assert_false(cached(pc, 1, 9));
	/* a pinned page past a shrunk budget goes at its unpin */
	d = page_cache_put(pc, 1, 5, page_of(1, 5, 100), 100, &held);
	page_cache_set_capacity(pc, 0);
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.pages, 1);
	page_cache_unpin(pc, held);
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.pages, 0);
	page_cache_free(pc);
}

static void test_drop_owner(void **state)
{
	(void)state;
	struct page_cache *pc = NULL;
	assert_int_equal(page_cache_create(1 << 20, &pc), ERR_OK);
	for (uint64_t off = 0; off < 600; off++) /* past the first table growth */
		for (uint64_t owner = 1; owner <= 3; owner++)
			put_unpin(pc, owner, off * 4096, 10);
	page_cache_drop_owner(pc, 2);
	struct page_cache_stats st;
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.pages, 1200);
	assert_int_equal(st.used, 1200 * (10 + E));
	for (uint64_t off = 0; off < 600; off++) {
		assert_true(cached(pc, 1, off * 4096));
		assert_false(cached(pc, 2, off * 4096));
		assert_true(cached(pc, 3, off * 4096));
	}
	page_cache_free(pc);
}

struct worker {
	struct page_cache *pc;
	uint32_t seed;
	int bad;
};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 20000; i++) {
		uint64_t owner = rnd(&w->seed) % 3, off = rnd(&w->seed) % 64;
		size_t len = 16 + (size_t)((owner * 64 + off) % 200);
		struct page_pin *pin = NULL;
		size_t got = 0;
		const uint8_t *d = page_cache_get(w->pc, owner, off, &got, &pin);
		if (!d)
			d = page_cache_put(w->pc, owner, off, page_of(owner, off, len), len, &pin);
		else if (got != len)
			w->bad++;
		if (!d || !page_ok(d, owner, off, len))
			w->bad++;
		page_cache_unpin(w->pc, pin);
		if (i % 5000 == 4999)
			page_cache_drop_owner(w->pc, owner);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	struct page_cache *pc = NULL;
	/* about a third of the pages fit: constant eviction */
	assert_int_equal(page_cache_create(64 * (120 + E), &pc), ERR_OK);
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){pc, 0x9E3779B9u * (uint32_t)(i + 1), 0};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	struct page_cache_stats st;
	page_cache_get_stats(pc, &st);
	assert_true(st.used <= st.capacity);
	assert_true(st.hits > 0 && st.evictions > 0);
	page_cache_free(pc);
}

/* ---- under the Parquet reader ---- */

#define NCOLS 8

/* A file of random rows: INT64 key, nullable DOUBLE, STRING dictionary
 * tag, nullable STRING; ZSTD, pages of at most 100 rows, two row
 * groups. */
static void write_file(uint32_t seed, uint32_t rows, struct buf *file)
{
	struct parquet_column_def defs[NCOLS] = {{"k", DT_INT64, false, false},
	                                         {"x", DT_FLOAT64, true, false},
	                                         {"tag", DT_STRING, false, true},
	                                         {"s", DT_STRING, true, false},
	                                         {"d", DT_FLOAT64, true, true},
	                                         {"i", DT_INT32, false, false},
	                                         {"f", DT_FLOAT32, false, false},
	                                         {"u", DT_UINT32, false, true}};
	enum dtype types[NCOLS];
	for (int c = 0; c < NCOLS; c++)
		types[c] = defs[c].type;
	struct batch b;
	memset(&b, 0, sizeof(b));
	assert_int_equal(batch_init(&b, NCOLS, types), ERR_OK);
	uint32_t s = seed;
	for (uint32_t r = 0; r < rows; r++) {
		colvec_push_i64(&b.cols[0], (int64_t)r * 10 + (rnd(&s) % 10));
		if (rnd(&s) % 7 == 0)
			colvec_push_null(&b.cols[1]);
		else
			colvec_push_f64(&b.cols[1], (double)(rnd(&s) % 100000) / 100.0);
		char t[16];
		int n = snprintf(t, sizeof(t), "host_%u", r / 37);
		colvec_push_bytes(&b.cols[2], t, (size_t)n);
		if (rnd(&s) % 5 == 0) {
			colvec_push_null(&b.cols[3]);
		} else {
			char v[40];
			int m = snprintf(v, sizeof(v), "v%u-%u", rnd(&s) % 1000, r);
			colvec_push_bytes(&b.cols[3], v, (size_t)m);
		}
		/* nulls only in some pages of d */
		if ((r / 100) % 3 == 1 && rnd(&s) % 4 == 0)
			colvec_push_null(&b.cols[4]);
		else
			colvec_push_f64(&b.cols[4], (double)(rnd(&s) % 50) * 0.25);
		colvec_push_i64(&b.cols[5], (int32_t)rnd(&s));
		colvec_push_f64(&b.cols[6], (double)(float)((double)(rnd(&s) % 10000) / 8.0));
		colvec_push_i64(&b.cols[7], (int64_t)(4000000000u + rnd(&s) % 5));
	}
	b.nrows = rows;
	struct parquet_write_options opt = {.row_group_rows = rows / 2 + 1, .page_rows = 100};
	struct parquet_writer *w = NULL;
	assert_int_equal(parquet_writer_open(defs, NCOLS, &opt, &w), ERR_OK);
	assert_int_equal(parquet_writer_write(w, &b), ERR_OK);
	assert_int_equal(parquet_writer_finish(w, file), ERR_OK);
	parquet_writer_free(w);
	batch_free(&b);
}

static void assert_batches_equal(const struct batch *a, const struct batch *b)
{
	assert_int_equal(a->nrows, b->nrows);
	assert_int_equal(a->ncols, b->ncols);
	for (uint32_t c = 0; c < a->ncols; c++) {
		assert_int_equal(a->cols[c].len, b->cols[c].len);
		for (uint32_t i = 0; i < a->cols[c].len; i++)
			assert_true(colvec_eq(&a->cols[c], i, &b->cols[c], i));
	}
}

/* Random sorted disjoint ranges within rows (at least one). */
static uint32_t random_ranges(uint32_t *s, uint32_t rows, struct parquet_row_range *rr,
                              uint32_t max)
{
	uint32_t n = 0, at = rnd(s) % (rows / 2);
	while (n < max && at < rows) {
		uint32_t len = 1 + rnd(s) % 40;
		uint32_t to = at + len < rows ? at + len : rows;
		rr[n++] = (struct parquet_row_range){at, to};
		at = to + 1 + rnd(s) % 150;
	}
	return n;
}

/* The rows of whole in rr[0..n), columns whole left empty stay empty. */
static void expect_ranges(const struct batch *whole, const struct parquet_row_range *rr,
                          uint32_t n, struct batch *out)
{
	batch_free(out);
	enum dtype types[NCOLS];
	for (uint32_t c = 0; c < whole->ncols; c++)
		types[c] = whole->cols[c].type;
	assert_int_equal(batch_init(out, whole->ncols, types), ERR_OK);
	for (uint32_t c = 0; c < whole->ncols; c++) {
		if (whole->cols[c].len == 0)
			continue;
		for (uint32_t k = 0; k < n; k++)
			for (uint32_t i = rr[k].from; i < rr[k].to; i++)
				assert_int_equal(colvec_push_from(&out->cols[c], &whole->cols[c], i),
				                 ERR_OK);
	}
	out->nrows = 0;
	for (uint32_t k = 0; k < n; k++)
		out->nrows += rr[k].to - rr[k].from;
}

static void read_all(struct parquet_reader *r, const struct parquet_row_range *rr, uint32_t n,
                     uint32_t rg, const bool *want, struct batch *out)
{
	assert_int_equal(parquet_read_row_ranges(r, rg, want, rr, n, out), ERR_OK);
}

static void test_parquet_reads(void **state)
{
	(void)state;
	struct buf f1 = {0}, f2 = {0};
	write_file(7, 3000, &f1);
	write_file(8, 3000, &f2);
	struct parquet_reader *plain = NULL, *c1 = NULL, *c2 = NULL, *c1b = NULL;
	assert_int_equal(parquet_reader_open_mem((uint8_t *)f1.data, f1.len, &plain), ERR_OK);
	assert_int_equal(parquet_reader_open_mem((uint8_t *)f1.data, f1.len, &c1), ERR_OK);
	assert_int_equal(parquet_reader_open_mem((uint8_t *)f1.data, f1.len, &c1b), ERR_OK);
	assert_int_equal(parquet_reader_open_mem((uint8_t *)f2.data, f2.len, &c2), ERR_OK);
	struct parquet_reader *plain2 = NULL;
	assert_int_equal(parquet_reader_open_mem((uint8_t *)f2.data, f2.len, &plain2), ERR_OK);
	struct page_cache *pc = NULL;
	assert_int_equal(page_cache_create(64u << 20, &pc), ERR_OK);
	parquet_reader_set_page_cache(c1, pc, 1);
	parquet_reader_set_page_cache(c1b, pc, 1); /* a second reader of the same file */
	parquet_reader_set_page_cache(c2, pc, 2);  /* same offsets, other bytes */
	uint32_t s = 12345;
	struct parquet_row_range rr[64];
	struct batch want_b = {0}, got_b = {0}, whole = {0}, exp_b = {0};
	bool want_cols[NCOLS];
	for (int round = 0; round < 200; round++) {
		if (round == 100)
			page_cache_set_capacity(pc, 6000); /* a few pages: evictions */
		uint32_t rg = rnd(&s) % 2;
		uint32_t rows = (uint32_t)parquet_reader_row_group_rows(plain, rg);
		uint32_t n = random_ranges(&s, rows, rr, 64);
		for (int c = 0; c < NCOLS; c++)
			want_cols[c] = rnd(&s) % 4 != 0;
		struct parquet_reader *cr = round % 3 == 0 ? c1b : c1;
		read_all(plain, rr, n, rg, want_cols, &want_b);
		read_all(cr, rr, n, rg, want_cols, &got_b);
		assert_batches_equal(&want_b, &got_b);
		/* both equal the whole row group's rows in the ranges */
		assert_int_equal(parquet_read_row_group(plain, rg, want_cols, &whole), ERR_OK);
		expect_ranges(&whole, rr, n, &exp_b);
		assert_batches_equal(&exp_b, &want_b);
		/* the other file through the same cache, same ranges */
		rows = (uint32_t)parquet_reader_row_group_rows(plain2, rg);
		n = random_ranges(&s, rows, rr, 64);
		read_all(plain2, rr, n, rg, want_cols, &want_b);
		read_all(c2, rr, n, rg, want_cols, &got_b);
		assert_batches_equal(&want_b, &got_b);
		/* dictionary ids through the cache */
		uint32_t ids_a[3000], ids_b[3000], na = 0, nb = 0;
		assert_int_equal(parquet_read_dict_ids(plain, rg, 2, rr, n, ids_a, &na), ERR_OK);
		assert_int_equal(parquet_read_dict_ids(c1, rg, 2, rr, n, ids_b, &nb), ERR_OK);
		assert_int_equal(na, nb);
		assert_memory_equal(ids_a, ids_b, na * sizeof(uint32_t));
	}
	struct page_cache_stats st;
	page_cache_get_stats(pc, &st);
	assert_true(st.hits > 100);
	assert_true(st.inserts > 0);
	assert_true(st.evictions > 0);
	assert_true(st.used <= st.capacity);
	/* whole row-group reads bypass the cache */
	page_cache_drop_owner(pc, 1);
	page_cache_get_stats(pc, &st);
	uint64_t misses = st.misses;
	assert_int_equal(parquet_read_row_group(c1, 0, NULL, &got_b), ERR_OK);
	assert_int_equal(parquet_read_row_group(plain, 0, NULL, &want_b), ERR_OK);
	assert_batches_equal(&want_b, &got_b);
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.misses, misses);
	batch_free(&want_b);
	batch_free(&got_b);
	batch_free(&whole);
	batch_free(&exp_b);
	parquet_reader_free(plain);
	parquet_reader_free(plain2);
	parquet_reader_free(c1);
	parquet_reader_free(c1b);
	parquet_reader_free(c2);
	page_cache_free(pc);
	buf_free(&f1);
	buf_free(&f2);
}

/* Prefetch fills the cache with every page (then reads only hit and
 * equal the uncached ones), never evicts, and skips pages it has. */
static void test_prefetch(void **state)
{
	(void)state;
	struct buf f = {0};
	write_file(21, 2000, &f);
	struct parquet_reader *plain = NULL, *cr = NULL;
	assert_int_equal(parquet_reader_open_mem((uint8_t *)f.data, f.len, &plain), ERR_OK);
	assert_int_equal(parquet_reader_open_mem((uint8_t *)f.data, f.len, &cr), ERR_OK);
	struct page_cache *pc = NULL;
	assert_int_equal(page_cache_create(64u << 20, &pc), ERR_OK);
	uint64_t n = 0;
	assert_int_equal(parquet_prefetch_pages(cr, &n), ERR_OK);
	assert_int_equal(n, 0); /* no cache set: nothing */
	parquet_reader_set_page_cache(cr, pc, 5);
	assert_int_equal(parquet_prefetch_pages(cr, &n), ERR_OK);
	assert_true(n > 20);
	struct page_cache_stats st;
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.pages, n);
	uint64_t again = 0;
	assert_int_equal(parquet_prefetch_pages(cr, &again), ERR_OK);
	assert_int_equal(again, 0);
	page_cache_get_stats(pc, &st);
	uint64_t misses = st.misses;
	uint32_t s = 77;
	struct parquet_row_range rr[64];
	struct batch a = {0}, b = {0};
	for (int round = 0; round < 50; round++) {
		uint32_t rg = rnd(&s) % 2;
		uint32_t rows = (uint32_t)parquet_reader_row_group_rows(plain, rg);
		uint32_t nr = random_ranges(&s, rows, rr, 64);
		read_all(plain, rr, nr, rg, NULL, &a);
		read_all(cr, rr, nr, rg, NULL, &b);
		assert_batches_equal(&a, &b);
	}
	page_cache_get_stats(pc, &st);
	assert_int_equal(st.misses, misses); /* every page came from the cache */
	/* a small budget: prefetch stops at it, evicting nothing */
	page_cache_drop_owner(pc, 5);
	page_cache_set_capacity(pc, 20000);
	assert_int_equal(parquet_prefetch_pages(cr, &n), ERR_OK);
	page_cache_get_stats(pc, &st);
	assert_true(n > 0);
	assert_int_equal(st.pages, n);
	assert_int_equal(st.evictions, 0);
	assert_true(st.used <= st.capacity);
	batch_free(&a);
	batch_free(&b);
	parquet_reader_free(plain);
	parquet_reader_free(cr);
	page_cache_free(pc);
	buf_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss),
		cmocka_unit_test(test_lru_eviction),
		cmocka_unit_test(test_pins_and_oversize),
		cmocka_unit_test(test_drop_owner),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_parquet_reads),
		cmocka_unit_test(test_prefetch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
