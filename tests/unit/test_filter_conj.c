/*
 * Tests of x_eval_filter's selection path for conjunctions of
 * column-constant comparisons (filter_conj in expr_eval.c) against a
 * row-by-row model of SQL's three-valued comparison:
 *   - random AND trees of 1..8 comparisons (either operand order, every
 *     operator) over signed, unsigned, double and timestamp columns with
 *     extremes, NaN, infinities and signed zeros; constants drawn from the
 *     column's own values and their neighbours;
 *   - trees the path does not take (an OR leaf, a column with nulls, more
 *     than 8 comparisons), which the general path answers: the same model;
 *   - a lower and an upper bound on one integer column (one pass) with
 *     constants at the type's edges, in every order and operand side;
 *   - a NULL constant selects nothing; an empty batch selects nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "base/column.h"
#include "base/mem.h"
#include "sql/expr.h"

#include "helpers/region_fixture.h"

enum { C_I64, C_U64, C_F64, C_TS, C_NULLY, NCOLS };
static const enum dtype col_types[NCOLS] = {DT_INT64, DT_UINT64, DT_FLOAT64, DT_TS_MS,
					    DT_INT64};
#define NROWS 700

static int64_t pick_i64(void)
{
	static const int64_t edges[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
	if (fx_rndn(8) == 0)
		return edges[fx_rndn(7)];
	return (int64_t)fx_rndn(41) - 20;
}

static double pick_f64(void)
{
	static const double edges[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e300, -1e300, 5e-324};
	switch (fx_rndn(10)) {
	case 0: return NAN;
	case 1: return fx_rndn(2) ? INFINITY : -INFINITY;
	case 2: return edges[fx_rndn(8)];
	default: return ((double)fx_rndn(41) - 20) / 4;
	}
}

static void fill_batch(struct batch *b)
{
	for (uint32_t r = 0; r < NROWS; r++) {
		assert_int_equal(colvec_push_i64(&b->cols[C_I64], pick_i64()), 0);
		assert_int_equal(colvec_push_i64(&b->cols[C_U64], pick_i64()), 0); /* as uint64 */
		assert_int_equal(colvec_push_f64(&b->cols[C_F64], pick_f64()), 0);
		assert_int_equal(colvec_push_i64(&b->cols[C_TS], 1451606400000 + (int64_t)fx_rndn(100) * 10000), 0);
		if (fx_rndn(5) == 0)
			assert_int_equal(colvec_push_null(&b->cols[C_NULLY]), 0);
		else
			assert_int_equal(colvec_push_i64(&b->cols[C_NULLY], pick_i64()), 0);
	}
	b->nrows = NROWS;
}

/* Three-valued result of value r of column c OP constant k: 1, 0, or -1
 * (NULL). */
static int model_cmp(const struct batch *b, int c, int op, const struct datum *k, bool col_left,
		     uint32_t r)
{
	const struct colvec *v = &b->cols[c];
	if (k->is_null || colvec_is_null(v, r))
		return -1;
	int cmp;
	if (col_types[c] == DT_FLOAT64) {
		double x = v->f64[r], y = k->v.f;
		if (!col_left) {
			double t = x;
			x = y;
			y = t;
		}
		switch (op) {
		case XOP_EQ: return x == y;
		case XOP_NE: return x != y;
		case XOP_LT: return x < y;
		case XOP_LE: return x <= y;
		case XOP_GT: return x > y;
		default: return x >= y;
		}
	}
	if (col_types[c] == DT_UINT64) {
		uint64_t x = (uint64_t)v->i64[r], y = (uint64_t)k->v.i;
		cmp = x < y ? -1 : x > y;
	} else {
		int64_t x = v->i64[r], y = k->v.i;
		cmp = x < y ? -1 : x > y;
	}
	if (!col_left)
		cmp = -cmp;
	switch (op) {
	case XOP_EQ: return cmp == 0;
	case XOP_NE: return cmp != 0;
	case XOP_LT: return cmp < 0;
	case XOP_LE: return cmp <= 0;
	case XOP_GT: return cmp > 0;
	default: return cmp >= 0;
	}
}

struct leaf {
	int col, op;
	bool col_left;
	struct datum k;
};

/* The comparison l describes, as an expression tree. */
static struct xexpr *leaf_expr(struct xctx *cx, const struct leaf *l)
{
	struct xexpr *ce = xnew(cx, X_COL, col_types[l->col]);
	assert_non_null(ce);
	ce->u.col = (uint32_t)l->col;
	ce->name = "c";
	struct xexpr *ke = xconst(cx, &l->k, "k");
	assert_non_null(ke);
	struct xexpr *e = xnew(cx, X_BIN, DT_BOOL);
	assert_non_null(e);
	e->u.bin.op = l->op;
	e->u.bin.ct = col_types[l->col];
	e->u.bin.a = l->col_left ? ce : ke;
	e->u.bin.b = l->col_left ? ke : ce;
	e->name = "cmp";
	return e;
}

static struct xexpr *make_leaf(struct xctx *cx, const struct batch *b, struct leaf *l, int col,
			       bool null_const)
{
	l->col = col;
	l->op = XOP_EQ + (int)fx_rndn(6);
	l->col_left = fx_rndn(2) == 0;
	memset(&l->k, 0, sizeof(l->k));
	l->k.type = col_types[col];
	l->k.is_null = null_const;
	uint32_t r = (uint32_t)fx_rndn(NROWS);
	if (col_types[col] == DT_FLOAT64) {
		l->k.v.f = fx_rndn(3) ? b->cols[col].f64[r] : pick_f64();
	} else {
		/* a value or a neighbour (wrapping at the edges) */
		l->k.v.i = (int64_t)((uint64_t)b->cols[col].i64[r] + fx_rndn(3) - 1);
		if (fx_rndn(4) == 0)
			l->k.v.i = pick_i64();
	}
	return leaf_expr(cx, l);
}

static struct xexpr *make_bin(struct xctx *cx, int op, struct xexpr *a, struct xexpr *b)
{
	struct xexpr *e = xnew(cx, X_BIN, DT_BOOL);
	assert_non_null(e);
	e->u.bin.op = op;
	e->u.bin.ct = DT_BOOL;
	e->u.bin.a = a;
	e->u.bin.b = b;
	e->name = "logic";
	return e;
}

/* AND tree of leaves [lo, hi) in a random shape */
static struct xexpr *and_tree(struct xctx *cx, struct xexpr **leaves, int lo, int hi)
{
	if (hi - lo == 1)
		return leaves[lo];
	int mid = lo + 1 + (int)fx_rndn((uint64_t)(hi - lo - 1));
	return make_bin(cx, XOP_AND, and_tree(cx, leaves, lo, mid), and_tree(cx, leaves, mid, hi));
}

/* Rows where every leaf is TRUE (or, with or_at >= 0, where leaf or_at OR
 * leaf or_at + 1 is TRUE and every other leaf is). */
static uint32_t model_sel(const struct batch *b, const struct leaf *l, int n, int or_at,
			  uint32_t *sel)
{
	uint32_t k = 0;
	for (uint32_t r = 0; r < b->nrows; r++) {
		bool all = true;
		for (int i = 0; i < n && all; i++) {
			if (i == or_at) {
				int x = model_cmp(b, l[i].col, l[i].op, &l[i].k, l[i].col_left, r);
				int y = model_cmp(b, l[i + 1].col, l[i + 1].op, &l[i + 1].k, l[i + 1].col_left, r);
				all = x == 1 || y == 1;
				i++;
				continue;
			}
			all = model_cmp(b, l[i].col, l[i].op, &l[i].k, l[i].col_left, r) == 1;
		}
		if (all)
			sel[k++] = r;
	}
	return k;
}

static void run_cases(int ncases, bool with_nully, bool with_or, int max_leaves, bool null_consts)
{
	struct batch b;
	assert_int_equal(batch_init(&b, NCOLS, col_types), 0);
	fill_batch(&b);
	struct arena *a = arena_create(1 << 16);
	assert_non_null(a);
	uint32_t *got = malloc(NROWS * sizeof(uint32_t)), *want = malloc(NROWS * sizeof(uint32_t));
	assert_non_null(got);
	assert_non_null(want);
	for (int c = 0; c < ncases; c++) {
		struct xctx cx;
		xctx_init(&cx, NULL, NULL, a);
		int n = 1 + (int)fx_rndn((uint64_t)max_leaves);
		struct leaf l[16];
		struct xexpr *leaves[16];
		for (int i = 0; i < n; i++) {
			int col = (int)fx_rndn(with_nully ? NCOLS : NCOLS - 1);
			leaves[i] = make_leaf(&cx, &b, &l[i], col, null_consts && fx_rndn(4) == 0);
		}
		int or_at = -1;
		struct xexpr *e;
		if (with_or && n >= 2) {
			or_at = (int)fx_rndn((uint64_t)(n - 1));
			leaves[or_at] = make_bin(&cx, XOP_OR, leaves[or_at], leaves[or_at + 1]);
			memmove(leaves + or_at + 1, leaves + or_at + 2, (size_t)(n - or_at - 2) * sizeof(*leaves));
			e = and_tree(&cx, leaves, 0, n - 1);
		} else {
			e = and_tree(&cx, leaves, 0, n);
		}
		uint32_t ng = 0;
		assert_int_equal(x_eval_filter(&cx, e, &b, got, &ng), 0);
		uint32_t nw = model_sel(&b, l, n, or_at, want);
		if (ng != nw || memcmp(got, want, nw * sizeof(uint32_t)) != 0)
			fail_msg("case %d (%d leaves, or at %d): %u rows selected, model %u", c, n, or_at,
				 ng, nw);
		xctx_release(&cx);
		arena_reset(a);
	}
	free(got);
	free(want);
	arena_destroy(a);
	batch_free(&b);
}

static void test_conjunctions(void **state)
{
	(void)state;
	fx_seed(11);
	run_cases(3000, false, false, 8, false);
}

static void test_null_constants(void **state)
{
	(void)state;
	fx_seed(12);
	run_cases(1000, false, false, 4, true);
}

static void test_general_path(void **state)
{
	(void)state;
	fx_seed(13);
	run_cases(1000, true, false, 4, false);  /* a column with nulls */
	run_cases(1000, false, true, 5, false);  /* an OR leaf */
	run_cases(300, false, false, 14, false); /* more comparisons than the path takes */
}

/* Every lower bound (>, >=) with every upper bound (<, <=) on one integer
 * column, constants at the type's edges, either order and either operand
 * side: the one-pass range must match the model (empty ranges at the
 * edges included). */
static void test_range_edges(void **state)
{
	(void)state;
	static const int64_t edges[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
	static const int bound_ops[2][2] = {{XOP_GT, XOP_GE}, {XOP_LT, XOP_LE}};
	struct batch b;
	assert_int_equal(batch_init(&b, NCOLS, col_types), 0);
	fx_seed(15);
	fill_batch(&b);
	for (uint32_t r = 0; r < 7; r++) /* every edge present */
		b.cols[C_I64].i64[r] = edges[r];
	struct arena *a = arena_create(1 << 12);
	assert_non_null(a);
	uint32_t got[NROWS], want[NROWS];
	for (int lo = 0; lo < 2; lo++)
		for (int hi = 0; hi < 2; hi++)
			for (int x = 0; x < 7; x++)
				for (int y = 0; y < 7; y++)
					for (int shape = 0; shape < 8; shape++) {
						struct xctx cx;
						xctx_init(&cx, NULL, NULL, a);
						struct leaf l[2];
						struct xexpr *e[2];
						for (int s = 0; s < 2; s++) {
							/* col OP c, or c OP' col for the same test */
							bool left = (shape >> s & 1) == 0;
							int op = bound_ops[s][s ? hi : lo];
							l[s].col = C_I64;
							l[s].col_left = left;
							l[s].op = left ? op
								: op == XOP_GT ? XOP_LT
								: op == XOP_GE ? XOP_LE
								: op == XOP_LT ? XOP_GT
									       : XOP_GE;
							memset(&l[s].k, 0, sizeof(l[s].k));
							l[s].k.type = DT_INT64;
							l[s].k.v.i = edges[s ? y : x];
							e[s] = leaf_expr(&cx, &l[s]);
						}
						struct xexpr *t = shape & 4 ? make_bin(&cx, XOP_AND, e[1], e[0])
									    : make_bin(&cx, XOP_AND, e[0], e[1]);
						uint32_t ng = 0;
						assert_int_equal(x_eval_filter(&cx, t, &b, got, &ng), 0);
						uint32_t nw = model_sel(&b, l, 2, -1, want);
						if (ng != nw || memcmp(got, want, nw * sizeof(uint32_t)) != 0)
							fail_msg("bounds %d %d constants %lld %lld shape %d: %u rows, model %u",
								 lo, hi, (long long)edges[x], (long long)edges[y], shape, ng, nw);
						xctx_release(&cx);
						arena_reset(a);
					}
	arena_destroy(a);
	batch_free(&b);
}

static void test_empty_batch(void **state)
{
	(void)state;
	struct batch b;
	assert_int_equal(batch_init(&b, NCOLS, col_types), 0);
	struct arena *a = arena_create(1 << 12);
	struct xctx cx;
	xctx_init(&cx, NULL, NULL, a);
	fx_seed(14);
	struct leaf l;
	struct batch one;
	assert_int_equal(batch_init(&one, NCOLS, col_types), 0);
	fill_batch(&one);
	struct xexpr *e = make_leaf(&cx, &one, &l, C_I64, false);
	uint32_t sel[1], n = 99;
	assert_int_equal(x_eval_filter(&cx, e, &b, sel, &n), 0);
	assert_int_equal(n, 0);
	xctx_release(&cx);
	arena_destroy(a);
	batch_free(&one);
	batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conjunctions),
	    cmocka_unit_test(test_null_constants),
	    cmocka_unit_test(test_general_path),
	    cmocka_unit_test(test_range_edges),
	    cmocka_unit_test(test_empty_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
