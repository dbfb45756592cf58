/*
 * Background flush (region_engine_options.background_flush, region.c
 * "Flushes"): a write that takes the active memtable over budget freezes it
 * and the engine's flusher thread writes the SST later.
 *   - random puts, overwrites and deletes over a small budget: every scan,
 *     while flushes run behind the writes, equals a model of the writes, and
 *     the flusher does write SSTs;
 *   - back-pressure: with the flusher held up (fault region.flush.background
 *     = delay), a write that finds a frozen memtable waiting flushes inline,
 *     so memtables never pile up;
 *   - a failed background flush keeps the frozen memtable (no row lost) and
 *     the next write over budget flushes it;
 *   - closing a region whose flush is queued or running waits for it; the
 *     reopened region replays the rest from the WAL; dropping a region with
 *     a queued flush leaves nothing for the flusher.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/err.h"
#include "base/fault.h"
#include "base/mem.h"
#include "helpers/region_fixture.h"
#include "storage/region.h"

#define BUDGET (24u << 10)
#define NHOSTS 8
#define NTS 300

static const char *DIR1 = "data/greptime/public/1024/1024_0000000007/";

/* model: the newest put of each (host, ts) identity, or absent */
static struct fx_row model[NHOSTS][NTS];
static bool present[NHOSTS][NTS];

static int setup(void **state)
{
	struct fx_engine *e = calloc(1, sizeof(*e));
	struct region_engine_options o = {.gc_lingering_ms = 1,
					  .memtable_budget = BUDGET,
					  .sst_row_group_rows = 500,
					  .background_flush = true};
	assert_int_equal(fx_engine_open("flusher", o, e), ERR_OK);
	memset(present, 0, sizeof(present));
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	fault_disarm_all();
	struct fx_engine *e = *state;
	fx_engine_close(e);
	free(e);
	return 0;
}

static struct region *create_region(struct fx_engine *e)
{
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->eng, REGION_ID(1024, 7), DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	return r;
}

/* One batch of n random rows (one op for the batch), applied to the model. */
static void write_random(struct region *r, uint32_t n)
{
	enum op_type op = fx_rndn(8) == 0 ? OP_DELETE : OP_PUT;
	struct fx_row *rows = calloc(n, sizeof(*rows));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h = fx_rndn(NHOSTS), t = fx_rndn(NTS);
		struct fx_row *x = &rows[i];
		fx_host_name(x->host, h);
		x->ts = (int64_t)t * 1000;
		x->v = (double)fx_rndn(100000) / 16;
		x->v_null = fx_rndn(9) == 0;
		x->n = (int64_t)fx_rnd();
		x->n_null = fx_rndn(7) == 0;
		/* within a batch the later row of an identity wins */
		present[h][t] = op == OP_PUT;
		model[h][t] = *x;
	}
	struct batch b;
	fx_batch(rows, n, &b);
	assert_int_equal(region_write(r, &b, op, NULL), ERR_OK);
	batch_free(&b);
	free(rows);
}

static void model_rows(struct fx_rows *out)
{
	memset(out, 0, sizeof(*out));
	size_t n = 0;
	for (uint32_t h = 0; h < NHOSTS; h++)
		for (uint32_t t = 0; t < NTS; t++)
			n += present[h][t];
	out->rows = calloc(n ? n : 1, sizeof(*out->rows));
	out->cap = n;
	for (uint32_t h = 0; h < NHOSTS; h++)
		for (uint32_t t = 0; t < NTS; t++)
			if (present[h][t])
				out->rows[out->n++] = model[h][t];
}

static void check_against_model(struct region *r)
{
	struct fx_rows got, want;
	assert_int_equal(fx_scan_all(r, &got), ERR_OK);
	model_rows(&want);
	if (!fx_rows_equal(&got, &want)) {
		fx_rows_print("got", &got);
		fx_rows_print("want", &want);
		fail_msg("scan differs from the model (%zu rows vs %zu)", got.n, want.n);
	}
	fx_rows_free(&got);
	fx_rows_free(&want);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Until region r holds at least `files` SSTs and no memtable over
 * `max_mem` bytes; false after 10 s. */
static bool wait_flushed(struct region *r, uint32_t files, uint64_t max_mem)
{
	for (int i = 0; i < 1000; i++) {
		struct region_stat st;
		region_get_stat(r, &st);
		if (st.sst_num >= files && st.memtable_bytes <= max_mem)
			return true;
		sleep_ms(10);
	}
	return false;
}

static void test_rows_exact_while_flushing(void **state)
{
	struct fx_engine *e = *state;
	struct region *r = create_region(e);
	for (int i = 0; i < 400; i++) {
		write_random(r, 20 + fx_rndn(60));
		if (i % 7 == 0)
			check_against_model(r);
	}
	check_against_model(r);
	/* the flusher, not region_flush, wrote these (nothing else flushes) */
	assert_true(wait_flushed(r, 1, 4 * BUDGET));
	struct region_stat st;
	region_get_stat(r, &st);
	assert_true(st.flushed_sequence > 0);
	check_against_model(r);
	/* an explicit flush still takes everything */
	assert_int_equal(region_flush(r), ERR_OK);
	region_get_stat(r, &st);
	assert_int_equal(st.memtable_rows, 0);
	assert_int_equal(st.flushed_sequence, st.committed_sequence);
	check_against_model(r);
	region_close(r);
}

static void test_backpressure_flushes_inline(void **state)
{
	struct fx_engine *e = *state;
	/* the flusher takes the region and sleeps on it; meanwhile writes go
	 * on over budget several times */
	fault_arm(FAULT_REGION_FLUSH_BACKGROUND, FAULT_DELAY, 1500, 0, 0);
	struct region *r = create_region(e);
	uint32_t max_frozen = 0;
	for (int i = 0; i < 600; i++) {
		write_random(r, 40);
		struct region_stat st;
		region_get_stat(r, &st);
		if (st.frozen_memtables > max_frozen)
			max_frozen = st.frozen_memtables;
	}
	struct region_stat st;
	region_get_stat(r, &st);
	/* writers flushed inline while the flusher slept: files exist, and
	 * never more than one frozen memtable waited */
	assert_true(fault_fired(FAULT_REGION_FLUSH_BACKGROUND) >= 1);
	assert_true(st.sst_num >= 2);
	assert_int_equal(max_frozen, 1);
	check_against_model(r);
	region_close(r); /* waits for the sleeping flusher if it holds r */
}

/* Write until the active memtable was frozen (one frozen memtable waits). */
static void write_until_frozen(struct region *r)
{
	struct region_stat st;
	int k = 0;
	do {
		write_random(r, 40);
		region_get_stat(r, &st);
	} while (st.frozen_memtables == 0 && ++k < 4000);
	assert_int_equal(st.frozen_memtables, 1);
}

static void wait_fired(enum fault_point p, int n)
{
	for (int i = 0; i < 1000 && fault_fired(p) < n; i++)
		sleep_ms(10);
	assert_int_equal(fault_fired(p), n);
}

static void test_failed_background_flush_keeps_rows(void **state)
{
	struct fx_engine *e = *state;
	fault_arm(FAULT_REGION_FLUSH_BACKGROUND, FAULT_FAIL, 0, 0, 1);
	struct region *r = create_region(e);
	write_until_frozen(r);
	wait_fired(FAULT_REGION_FLUSH_BACKGROUND, 1);
	sleep_ms(20); /* past the flusher's failure handling */
	struct region_stat st;
	region_get_stat(r, &st);
	assert_int_equal(st.sst_num, 0);          /* the failed flush wrote nothing */
	assert_int_equal(st.frozen_memtables, 1); /* and kept its memtable */
	check_against_model(r);                   /* so no row is lost */
	/* the next write over budget finds it waiting and flushes inline */
	for (int k = 0; k < 400; k++)
		write_random(r, 40);
	assert_true(wait_flushed(r, 1, 4 * BUDGET));
	check_against_model(r);
	region_close(r);
}

static void test_close_waits_then_wal_replays(void **state)
{
	struct fx_engine *e = *state;
	for (int round = 0; round < 6; round++) {
		fault_arm(FAULT_REGION_FLUSH_BACKGROUND, FAULT_DELAY, (int)fx_rndn(40), 0, 0);
		struct region *r = round == 0 ? create_region(e) : NULL;
		if (!r)
			assert_int_equal(region_open_leader(e->eng, REGION_ID(1024, 7), DIR1, &r),
					 ERR_OK);
		check_against_model(r);
		/* a freeze queued (sometimes already taken by the flusher),
		 * then close at once */
		write_until_frozen(r);
		if (fx_rndn(2))
			sleep_ms((long)fx_rndn(20));
		region_close(r); /* the flusher may hold r: close waits for it */
	}
	fault_disarm_all();
	struct region *r = NULL;
	assert_int_equal(region_open_leader(e->eng, REGION_ID(1024, 7), DIR1, &r), ERR_OK);
	check_against_model(r);
	region_close(r);
}

static void test_drop_with_queued_flush(void **state)
{
	struct fx_engine *e = *state;
	fault_arm(FAULT_REGION_FLUSH_BACKGROUND, FAULT_DELAY, 100, 0, 0);
	struct region *r = create_region(e);
	write_until_frozen(r);
	wait_fired(FAULT_REGION_FLUSH_BACKGROUND, 1); /* the flusher holds r, asleep */
	assert_int_equal(region_drop(r), ERR_OK);
	sleep_ms(150); /* the flusher wakes to a region that no longer leads */
	struct region_stat st;
	region_get_stat(r, &st);
	assert_int_equal(st.sst_num, 0);
	region_close(r);
}

int main(void)
{
	fx_seed(0x6a09e667f3bcc909ull);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rows_exact_while_flushing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backpressure_flushes_inline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_background_flush_keeps_rows, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_close_waits_then_wal_replays, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drop_with_queued_flush, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
