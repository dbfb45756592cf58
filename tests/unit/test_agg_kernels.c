/*
 * Tests of the hash aggregation's grouping kernel (aggregates.c): group
 * ids found per run of equal keys (run_end: per key column, integer keys
 * compared directly, string keys constant over the batch skipped; each
 * run looked up once) must equal a
 * naive grouping by value. Random batches of string keys of every length
 * class the comparison special-cases (0-3, 4-7, 8-16, longer; equal
 * lengths with different bytes at the start, middle and end), NULLs,
 * integer and float keys (NaN equals NaN), in long runs, short runs and
 * interleaved, fed in batches of random sizes; the sums and counts of avg
 * per group must match too.
 */
#include <math.h>
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
#include "sql/expr.h"
#include "helpers/region_fixture.h"

#define NVALS 40
#define MAXROWS 6000

/* The key value pool: string keys and their integer / float partners. */
static char strs[NVALS][40];
static uint32_t lens[NVALS];

static void make_pool(void)
{
	static const uint32_t L[] = {0, 1, 3, 4, 5, 7, 8, 9, 12, 16, 17, 25, 33};
	for (uint32_t i = 0; i < NVALS; i++) {
		uint32_t l = L[i % (sizeof(L) / sizeof(L[0]))];
		/* same length as an earlier value, one byte different (first,
		 * middle or last) */
		memset(strs[i], 'a', l);
		if (l)
			strs[i][(i / 13) % 3 == 0 ? 0 : (i / 13) % 3 == 1 ? l / 2 : l - 1] =
				(char)('b' + i / 13);
		lens[i] = l;
	}
}

struct row {
	int s;      /* pool index, -1 = NULL */
	int64_t i;  /* small int key */
	double f;   /* float key (NaN possible) */
	double v;   /* avg argument */
};

static bool same_key(const struct row *a, const struct row *b, int which)
{
	if (which & 1) {
		if ((a->s < 0) != (b->s < 0))
			return false;
		if (a->s >= 0 && (lens[a->s] != lens[b->s] ||
				  memcmp(strs[a->s], strs[b->s], lens[a->s]) != 0))
			return false;
	}
	if ((which & 2) && a->i != b->i)
		return false;
	if ((which & 4) && !(a->f == b->f || (isnan(a->f) && isnan(b->f))))
		return false;
	return true;
}

static void gen_rows(struct row *rows, uint32_t n)
{
	uint32_t shape = fx_rndn(3); /* long runs, short runs, interleaved */
	struct row cur = {0};
	for (uint32_t i = 0; i < n; i++) {
		bool change = shape == 2 ? true : shape == 1 ? fx_rndn(3) == 0 : fx_rndn(200) == 0;
		/* a change re-draws some of the keys (all at the start): one
		 * key may stay constant over a batch while another changes */
		uint32_t which = i == 0 ? 7 : change ? 1 + fx_rndn(7) : 0;
		if (which & 1)
			cur.s = fx_rndn(10) == 0 ? -1 : (int)fx_rndn(NVALS);
		if (which & 2)
			cur.i = (int64_t)fx_rndn(3);
		if (which & 4)
			cur.f = fx_rndn(8) == 0 ? NAN : (double)fx_rndn(3) / 2;
		rows[i] = cur;
		rows[i].v = (double)fx_rndn(10000) / 16;
	}
}

/* Group n rows with keys `which` (bit 0 string, 1 int, 2 float) through
 * hagg in random batches and check against the naive grouping. */
static void check_grouping(const struct row *rows, uint32_t n, int which)
{
	enum dtype kt[3];
	uint32_t nk = 0;
	int kind[3];
	if (which & 1)
		kt[nk] = DT_STRING, kind[nk++] = 1;
	if (which & 2)
		kt[nk] = DT_INT64, kind[nk++] = 2;
	if (which & 4)
		kt[nk] = DT_FLOAT64, kind[nk++] = 4;
	struct agg_spec spec = {.def = agg_find("avg"), .arg_type = DT_FLOAT64,
				.res_type = DT_FLOAT64};
	struct hagg *h = NULL, *ids = NULL; /* avg; no aggregate (group ids) */
	assert_int_equal(hagg_create(&h, nk, kt, 1, &spec), 0);
	assert_int_equal(hagg_create(&ids, nk, kt, 0, NULL), 0);
	uint32_t *gid = calloc(n, sizeof(uint32_t));
	for (uint32_t at = 0; at < n;) {
		uint32_t m = 1 + fx_rndn(fx_rndn(2) ? 50 : 3000);
		if (m > n - at)
			m = n - at;
		struct colvec keys[3], arg;
		for (uint32_t k = 0; k < nk; k++)
			colvec_init(&keys[k], kt[k]);
		colvec_init(&arg, DT_FLOAT64);
		for (uint32_t i = at; i < at + m; i++) {
			for (uint32_t k = 0; k < nk; k++) {
				const struct row *x = &rows[i];
				if (kind[k] == 1 && x->s < 0)
					assert_int_equal(colvec_push_null(&keys[k]), 0);
				else if (kind[k] == 1)
					assert_int_equal(
					    colvec_push_bytes(&keys[k], strs[x->s], lens[x->s]), 0);
				else if (kind[k] == 2)
					assert_int_equal(colvec_push_i64(&keys[k], x->i), 0);
				else
					assert_int_equal(colvec_push_f64(&keys[k], x->f), 0);
			}
			assert_int_equal(colvec_push_f64(&arg, rows[i].v), 0);
		}
		const struct colvec *kp[3] = {&keys[0], &keys[1], &keys[2]};
		const struct colvec *ap[1] = {&arg};
		assert_int_equal(hagg_update(h, kp, m, ap, NULL), 0);
		/* the ids (groups are numbered in first-seen order in both) */
		const uint32_t *g;
		assert_int_equal(hagg_assign(ids, kp, m, &g), 0);
		assert_int_equal(hagg_groups(ids), hagg_groups(h));
		memcpy(gid + at, g, m * sizeof(uint32_t));
		for (uint32_t k = 0; k < nk; k++)
			colvec_free(&keys[k]);
		colvec_free(&arg);
		at += m;
	}
	/* naive: group = index of the first row with the same key */
	uint32_t ng = hagg_groups(h);
	int32_t *first = malloc(ng * sizeof(int32_t));
	double *sum = calloc(ng, sizeof(double));
	int64_t *cnt = calloc(ng, sizeof(int64_t));
	for (uint32_t g = 0; g < ng; g++)
		first[g] = -1;
	for (uint32_t i = 0; i < n; i++) {
		assert_true(gid[i] < ng);
		if (first[gid[i]] < 0)
			first[gid[i]] = (int32_t)i;
		/* same group <=> same key */
		assert_true(same_key(&rows[first[gid[i]]], &rows[i], which));
		sum[gid[i]] += rows[i].v;
		cnt[gid[i]]++;
	}
	for (uint32_t a = 0; a < ng; a++) {
		assert_true(first[a] >= 0);
		for (uint32_t b = a + 1; b < ng; b++)
			assert_false(same_key(&rows[first[a]], &rows[first[b]], which));
	}
	struct batch out;
	assert_int_equal(hagg_finish(h, &out), 0);
	assert_int_equal(out.nrows, ng);
	for (uint32_t g = 0; g < ng; g++)
		assert_true(out.cols[nk].f64[g] == sum[g] / (double)cnt[g]);
	batch_free(&out);
	hagg_free(h);
	hagg_free(ids);
	free(first);
	free(sum);
	free(cnt);
	free(gid);
}

static void test_grouping_random(void **state)
{
	(void)state;
	make_pool();
	struct row *rows = malloc(MAXROWS * sizeof(*rows));
	for (int iter = 0; iter < 60; iter++) {
		uint32_t n = 1 + fx_rndn(MAXROWS);
		gen_rows(rows, n);
		int which = 1 + (int)fx_rndn(7);
		check_grouping(rows, n, which);
	}
	free(rows);
}

/* Equal lengths, one byte apart, next to each other: never one group. */
static void test_grouping_neighbours(void **state)
{
	(void)state;
	make_pool();
	struct row rows[2 * NVALS];
	for (uint32_t i = 0; i < NVALS; i++) {
		rows[2 * i] = (struct row){.s = (int)i, .v = 1};
		rows[2 * i + 1] = (struct row){.s = (int)((i + 13) % NVALS), .v = 2};
	}
	check_grouping(rows, 2 * NVALS, 1);
	check_grouping(rows, 2 * NVALS, 3);
}

/* Batches of strings of one repeated byte whose lengths add up to n times
 * the first length without being all equal ("aa", "a", "aaa", ...): the
 * bytes are periodic, so only the lengths tell them apart. Every distinct
 * length must be its own group, wherever in the batch the odd pair sits
 * (the offsets are checked four at a time with a scalar tail). Then
 * batches of equal lengths where one row differs in one byte. */
static void test_grouping_periodic(void **state)
{
	(void)state;
	static const char a[64] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	enum dtype kt[1] = {DT_STRING};
	for (uint32_t n = 2; n <= 19; n++)
		for (uint32_t at = 0; at + 1 < n; at++) {
			/* all length 4 except rows at and at + 1: 4 - d and 4 + d */
			uint32_t d = 1 + (n + at) % 3;
			struct hagg *ids = NULL;
			assert_int_equal(hagg_create(&ids, 1, kt, 0, NULL), 0);
			struct colvec key;
			colvec_init(&key, DT_STRING);
			for (uint32_t i = 0; i < n; i++) {
				uint32_t len = i == at ? 4 - d : i == at + 1 ? 4 + d : 4;
				assert_int_equal(colvec_push_bytes(&key, a, len), 0);
			}
			const struct colvec *kp[1] = {&key};
			const uint32_t *g;
			assert_int_equal(hagg_assign(ids, kp, n, &g), 0);
			/* lengths 4, 4 - d and 4 + d: three groups (two when the
			 * batch is just the odd pair) */
			uint32_t want = n > 2 ? 3 : 2;
			assert_int_equal(hagg_groups(ids), want);
			for (uint32_t i = 0; i < n; i++) {
				uint32_t li = i == at ? 4 - d : i == at + 1 ? 4 + d : 4;
				for (uint32_t j = 0; j < n; j++) {
					uint32_t lj = j == at ? 4 - d : j == at + 1 ? 4 + d : 4;
					assert_int_equal(g[i] == g[j], li == lj);
				}
			}
			colvec_free(&key);
			hagg_free(ids);
		}
	/* equal lengths, one row's bytes different (first, middle or last
	 * byte): the bytes, not the lengths, tell it apart */
	for (uint32_t n = 2; n <= 19; n++)
		for (uint32_t at = 0; at < n; at++) {
			char odd[4] = {'a', 'a', 'a', 'a'};
			odd[(n + at) % 4] = 'b';
			struct hagg *ids = NULL;
			assert_int_equal(hagg_create(&ids, 1, kt, 0, NULL), 0);
			struct colvec key;
			colvec_init(&key, DT_STRING);
			for (uint32_t i = 0; i < n; i++)
				assert_int_equal(colvec_push_bytes(&key, i == at ? odd : a, 4), 0);
			const struct colvec *kp[1] = {&key};
			const uint32_t *g;
			assert_int_equal(hagg_assign(ids, kp, n, &g), 0);
			assert_int_equal(hagg_groups(ids), 2);
			for (uint32_t i = 0; i < n; i++)
				assert_int_equal(g[i] == g[at], i == at);
			colvec_free(&key);
			hagg_free(ids);
		}
}

int main(void)
{
	fx_seed(0x853c49e6748fea9bull);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouping_random),
		cmocka_unit_test(test_grouping_neighbours),
		cmocka_unit_test(test_grouping_periodic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
