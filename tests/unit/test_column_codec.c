/* Unit tests for base/column_codec: round trips, the exact byte layout, and
 * hostile input (truncation at every offset, random corruption, each
 * individual check of the decoder, out-of-memory). */
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
#include "base/column_codec.h"
#include "base/err.h"
#include "base/mem.h"

/* A batch with one column of every dtype; rows with i % 5 == 3 are null in
 * the nullable columns (every other column). */
static void make_batch(struct batch *b, uint32_t nrows)
{
	enum dtype types[DT__COUNT];
	for (int t = 0; t < DT__COUNT; t++)
		types[t] = (enum dtype)t;
	assert_int_equal(batch_init(b, DT__COUNT, types), 0);
	for (uint32_t i = 0; i < nrows; i++) {
		for (uint32_t c = 0; c < DT__COUNT; c++) {
			struct colvec *v = &b->cols[c];
			if (c % 2 == 1 && i % 5 == 3) {
				assert_int_equal(colvec_push_null(v), 0);
				continue;
			}
			switch (dtype_phys(v->type)) {
			case PHYS_I64:
				assert_int_equal(colvec_push_i64(v, (int64_t)i * 1000003 - 77 * c), 0);
				break;
			case PHYS_F64:
				assert_int_equal(colvec_push_f64(v, i * 0.25 - c), 0);
				break;
			case PHYS_BYTES: {
				char s[32];
				int n = (i % 7 == 0) ? 0 : snprintf(s, sizeof(s), "host-%u-%u", i, c);
				assert_int_equal(colvec_push_bytes(v, s, (size_t)n), 0);
				break;
			}
			}
		}
		b->nrows++;
	}
}

/* Value equality without colvec_eq: colvec_cmp passes NULL to memcmp for
 * two empty strings in a column that never allocated bytes (UBSan). */
static int value_eq(const struct colvec *x, uint32_t i, const struct colvec *y, uint32_t j)
{
	if (colvec_is_null(x, i) != colvec_is_null(y, j))
		return 0;
	switch (dtype_phys(x->type)) {
	case PHYS_I64: return x->i64[i] == y->i64[j];
	case PHYS_F64: return memcmp(&x->f64[i], &y->f64[j], sizeof(double)) == 0;
	default: {
		uint32_t nx, ny;
		const char *px = colvec_bytes(x, i, &nx);
		const char *py = colvec_bytes(y, j, &ny);
		return nx == ny && (nx == 0 || memcmp(px, py, nx) == 0);
	}
	}
}

static void assert_batch_equal(const struct batch *a, const struct batch *b)
{
	assert_int_equal(a->nrows, b->nrows);
	assert_int_equal(a->ncols, b->ncols);
	for (uint32_t c = 0; c < a->ncols; c++) {
		const struct colvec *x = &a->cols[c], *y = &b->cols[c];
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->len, y->len);
		for (uint32_t i = 0; i < a->nrows; i++) {
			assert_int_equal(colvec_is_null(x, i), colvec_is_null(y, i));
			assert_true(value_eq(x, i, y, i));
		}
	}
}

static void assert_empty(const struct batch *b)
{
	assert_int_equal(b->nrows, 0);
	assert_int_equal(b->ncols, 0);
	assert_null(b->cols);
}

static void test_roundtrip_sizes(void **state)
{
	(void)state;
	uint32_t sizes[] = {0, 1, 7, 8, 9, 100, 4097};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct batch b, d;
		make_batch(&b, sizes[k]);
		struct buf out;
		buf_init(&out);
		assert_int_equal(batch_encode(&b, &out), 0);
		assert_int_equal(out.len, batch_encoded_size(&b));
		assert_int_equal(batch_decode(out.data, out.len, &d), 0);
		assert_batch_equal(&b, &d);
		/* a decoded batch is an ordinary, growable batch */
		if (sizes[k] > 0) {
			assert_int_equal(batch_push_row(&d, &b, 0), 0);
			assert_int_equal(d.nrows, sizes[k] + 1);
			assert_true(value_eq(&d.cols[DT_STRING], sizes[k], &b.cols[DT_STRING], 0));
		}
		batch_free(&b);
		batch_free(&d);
		buf_free(&out);
	}
}

static void test_encode_appends(void **state)
{
	(void)state;
	struct batch b, d;
	make_batch(&b, 10);
	struct buf out;
	buf_init(&out);
	assert_int_equal(buf_append(&out, "HDR", 3), 0);
	assert_int_equal(batch_encode(&b, &out), 0);
	assert_int_equal(out.len, 3 + batch_encoded_size(&b));
	assert_memory_equal(out.data, "HDR", 3);
	assert_int_equal(batch_decode(out.data + 3, out.len - 3, &d), 0);
	assert_batch_equal(&b, &d);
	batch_free(&b);
	batch_free(&d);
	buf_free(&out);
}

/* Pin the documented layout byte by byte. */
static void test_golden_bytes(void **state)
{
	(void)state;
	enum dtype types[3] = {DT_INT64, DT_FLOAT64, DT_STRING};
	struct batch b;
	assert_int_equal(batch_init(&b, 3, types), 0);
	assert_int_equal(colvec_push_i64(&b.cols[0], 1), 0);
	assert_int_equal(colvec_push_i64(&b.cols[0], -2), 0);
	assert_int_equal(colvec_push_f64(&b.cols[1], 1.0), 0);
	assert_int_equal(colvec_push_null(&b.cols[1]), 0);
	assert_int_equal(colvec_push_bytes(&b.cols[2], "ab", 2), 0);
	assert_int_equal(colvec_push_bytes(&b.cols[2], "c", 1), 0);
	b.nrows = 2;
	static const uint8_t want[] = {
		1, 2, 0, 0, 0, 3, 0, 0, 0,                            /* version, nrows, ncols */
		DT_INT64, 0,                                          /* col 0 */
		1, 0, 0, 0, 0, 0, 0, 0,                               /* 1 */
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,       /* -2 */
		DT_FLOAT64, 1, 0x01,                                  /* col 1, validity 0b01 */
		0, 0, 0, 0, 0, 0, 0xf0, 0x3f,                         /* 1.0 */
		0, 0, 0, 0, 0, 0, 0, 0,                               /* null slot 0.0 */
		DT_STRING, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,     /* col 2, offsets 0,2,3 */
		'a', 'b', 'c',
	};
	struct buf out;
	buf_init(&out);
	assert_int_equal(batch_encode(&b, &out), 0);
	assert_int_equal(out.len, sizeof(want));
	assert_memory_equal(out.data, want, sizeof(want));
	batch_free(&b);
	buf_free(&out);
}

static void test_validity_normalised(void **state)
{
	(void)state;
	/* a bitmap with no cleared bit is dropped; padding bits are zeroed */
	enum dtype t = DT_INT32;
	struct batch b, d;
	assert_int_equal(batch_init(&b, 1, &t), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(colvec_push_i64(&b.cols[0], i), 0);
	b.nrows = 3;
	assert_int_equal(colvec_set_null(&b.cols[0], 1), 0);
	b.cols[0].validity[1] = 0xff; /* garbage past nrows */
	b.cols[0].validity[0] |= 0xf8;
	struct buf out;
	buf_init(&out);
	assert_int_equal(batch_encode(&b, &out), 0);
	assert_int_equal(out.data[9 + 1], BATCH_COL_HAS_VALIDITY);
	assert_int_equal(out.data[9 + 2], 0x05);
	assert_int_equal(batch_decode(out.data, out.len, &d), 0);
	assert_true(colvec_is_null(&d.cols[0], 1));
	assert_false(colvec_is_null(&d.cols[0], 2));
	batch_free(&d);

	/* all rows present again -> no bitmap in the encoding */
	b.cols[0].validity[0] = 0xff;
	buf_reset(&out);
	assert_int_equal(batch_encode(&b, &out), 0);
	assert_int_equal(out.data[9 + 1], 0);
	assert_int_equal(out.len, 9 + 2 + 3 * 8);
	assert_int_equal(batch_decode(out.data, out.len, &d), 0);
	assert_null(d.cols[0].validity);
	assert_batch_equal(&b, &d);
	batch_free(&d);
	batch_free(&b);
	buf_free(&out);
}

static void test_encode_rejects_ragged(void **state)
{
	(void)state;
	enum dtype t[2] = {DT_INT64, DT_STRING};
	struct batch b;
	assert_int_equal(batch_init(&b, 2, t), 0);
	assert_int_equal(colvec_push_i64(&b.cols[0], 1), 0);
	b.nrows = 1; /* column 1 is empty */
	struct buf out;
	buf_init(&out);
	assert_int_equal(batch_encode(&b, &out), ERR_BAD_INPUT);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(err_msg(), "column 1"));
	batch_free(&b);
	buf_free(&out);
}

static void test_zero_columns(void **state)
{
	(void)state;
	struct batch b, d;
	assert_int_equal(batch_init(&b, 0, NULL), 0);
	b.nrows = 5;
	struct buf out;
	buf_init(&out);
	assert_int_equal(batch_encode(&b, &out), 0);
	assert_int_equal(out.len, 9);
	assert_int_equal(batch_decode(out.data, out.len, &d), 0);
	assert_int_equal(d.nrows, 5);
	assert_int_equal(d.ncols, 0);
	batch_free(&b);
	batch_free(&d);
	buf_free(&out);
}

static void test_truncation_every_offset(void **state)
{
	(void)state;
	struct batch b, d;
	make_batch(&b, 13);
	struct buf out;
	buf_init(&out);
	assert_int_equal(batch_encode(&b, &out), 0);
	for (size_t n = 0; n < out.len; n++) {
		/* copy into an exact-size allocation so ASan sees any over-read */
		uint8_t *p = mem_dup(out.data, n ? n : 1);
		assert_int_equal(batch_decode(p, n, &d), ERR_CORRUPT);
		assert_empty(&d);
		mem_free(p);
	}
	/* one extra byte */
	assert_int_equal(buf_putc(&out, 0), 0);
	assert_int_equal(batch_decode(out.data, out.len, &d), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "trailing"));
	assert_empty(&d);
	batch_free(&b);
	buf_free(&out);
}

static void expect_corrupt(const uint8_t *p, size_t n, const char *needle)
{
	struct batch d;
	assert_int_equal(batch_decode(p, n, &d), ERR_CORRUPT);
	assert_empty(&d);
	if (needle && !strstr(err_msg(), needle))
		fail_msg("message '%s' lacks '%s'", err_msg(), needle);
}

static void test_each_check(void **state)
{
	(void)state;
	/* one string column, 2 rows, with validity: offsets at 9+2+1 */
	enum dtype t[2] = {DT_STRING, DT_INT64};
	struct batch b;
	assert_int_equal(batch_init(&b, 2, t), 0);
	assert_int_equal(colvec_push_bytes(&b.cols[0], "xy", 2), 0);
	assert_int_equal(colvec_push_null(&b.cols[0]), 0);
	assert_int_equal(colvec_push_i64(&b.cols[1], 5), 0);
	assert_int_equal(colvec_push_i64(&b.cols[1], 6), 0);
	b.nrows = 2;
	struct buf out;
	buf_init(&out);
	assert_int_equal(batch_encode(&b, &out), 0);
	uint8_t *g = out.data;
	size_t n = out.len;
	uint8_t *m = mem_alloc(n);
	const size_t col0 = 9, offs = col0 + 3;

	memcpy(m, g, n), m[0] = 2;
	expect_corrupt(m, n, "version");
	memcpy(m, g, n), m[col0] = DT__COUNT;
	expect_corrupt(m, n, "dtype");
	memcpy(m, g, n), m[col0] = 0xff;
	expect_corrupt(m, n, "dtype");
	memcpy(m, g, n), m[col0 + 1] = 0x03;
	expect_corrupt(m, n, "flags");
	memcpy(m, g, n), m[col0 + 2] |= 0x04; /* bit 2 of a 2-row bitmap */
	expect_corrupt(m, n, "padding");
	memcpy(m, g, n), le_put_u32(m + offs, 1);
	expect_corrupt(m, n, "first offset");
	memcpy(m, g, n), le_put_u32(m + offs + 4, 3), le_put_u32(m + offs + 8, 2);
	expect_corrupt(m, n, "decreases");
	memcpy(m, g, n), le_put_u32(m + offs + 8, 1000);
	expect_corrupt(m, n, "string bytes");
	memcpy(m, g, n), le_put_u32(m + offs + 8, 0xffffffffu), le_put_u32(m + offs + 4, 0);
	expect_corrupt(m, n, "string bytes");
	/* huge counts in a tiny input are refused before any allocation */
	mem_fail_after(0);
	memcpy(m, g, n), le_put_u32(m + 1, 0xfffffff0u);
	expect_corrupt(m, n, NULL);
	memcpy(m, g, n), le_put_u32(m + 5, 0xffffffffu);
	expect_corrupt(m, n, "columns");
	mem_fail_after(-1);
	memcpy(m, g, n), le_put_u32(m + 1, 0xffffffffu);
	expect_corrupt(m, n, NULL);
	/* nrows = UINT32_MAX with no columns is representable */
	memcpy(m, g, n), le_put_u32(m + 1, 0xffffffffu), le_put_u32(m + 5, 0);
	expect_corrupt(m, n, "trailing");

	mem_free(m);
	batch_free(&b);
	buf_free(&out);
}

static void test_random_corruption(void **state)
{
	(void)state;
	struct batch b, d;
	make_batch(&b, 37);
	struct buf out, again;
	buf_init(&out);
	buf_init(&again);
	assert_int_equal(batch_encode(&b, &out), 0);
	uint8_t *m = mem_alloc(out.len);
	srand(12345);
	int ok = 0, bad = 0;
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(m, out.data, out.len);
		int flips = 1 + rand() % 4;
		for (int f = 0; f < flips; f++) {
			size_t at = (size_t)rand() % out.len;
			if (rand() % 2)
				m[at] ^= (uint8_t)(1u << (rand() % 8));
			else
				m[at] = (uint8_t)rand();
		}
		size_t n = out.len - (rand() % 8 == 0 ? (size_t)rand() % out.len : 0);
		int rc = batch_decode(m, n, &d);
		if (rc == 0) {
			/* whatever decodes must be a valid batch that encodes again */
			ok++;
			buf_reset(&again);
			assert_int_equal(batch_encode(&d, &again), 0);
			struct batch d2;
			assert_int_equal(batch_decode(again.data, again.len, &d2), 0);
			assert_batch_equal(&d, &d2);
			batch_free(&d2);
			batch_free(&d);
		} else {
			bad++;
			assert_int_equal(rc, ERR_CORRUPT);
			assert_empty(&d);
		}
	}
	assert_true(ok > 0 && bad > 0);
	mem_free(m);
	batch_free(&b);
	buf_free(&out);
	buf_free(&again);
}

static void test_decode_oom(void **state)
{
	(void)state;
	struct batch b, d;
	make_batch(&b, 20);
	struct buf out;
	buf_init(&out);
	assert_int_equal(batch_encode(&b, &out), 0);
	int saw_ok = 0;
	for (long k = 0; k < 200 && !saw_ok; k++) {
		mem_fail_after(k);
		int rc = batch_decode(out.data, out.len, &d);
		mem_fail_after(-1);
		if (rc == 0) {
			saw_ok = 1;
			assert_batch_equal(&b, &d);
			batch_free(&d);
		} else {
			assert_int_equal(rc, ERR_NOMEM);
			assert_empty(&d);
		}
	}
	assert_true(saw_ok);
	batch_free(&b);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_encode_appends),
		cmocka_unit_test(test_golden_bytes),
		cmocka_unit_test(test_validity_normalised),
		cmocka_unit_test(test_encode_rejects_ragged),
		cmocka_unit_test(test_zero_columns),
		cmocka_unit_test(test_truncation_every_offset),
		cmocka_unit_test(test_each_check),
		cmocka_unit_test(test_random_corruption),
		cmocka_unit_test(test_decode_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
