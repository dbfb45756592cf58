/* Unit tests for src/storage/pk_codec: ordering, round trip, hostile input. */
#include <math.h>
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
#include "storage/pk_codec.h"
#include "storage/schema.h"

/* A schema whose tags have the given types (pk order = column order), then
 * a millisecond time index. */
static struct region_schema *schema_of(const enum dtype *tags, uint32_t ntags)
{
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	assert_non_null(s);
	s->ncols = ntags + 1;
	s->cols = mem_calloc(s->ncols, sizeof(*s->cols));
	s->pk_cols = mem_calloc(ntags ? ntags : 1, sizeof(uint32_t));
	for (uint32_t i = 0; i < ntags; i++) {
		char name[16];
		snprintf(name, sizeof(name), "t%u", i);
		s->cols[i] = (struct column_schema){.name = mem_strdup(name), .type = tags[i],
						    .sem = SEM_TAG, .nullable = true, .column_id = i};
		s->pk_cols[i] = i;
	}
	s->cols[ntags] = (struct column_schema){.name = mem_strdup("ts"), .type = DT_TS_MS,
						.sem = SEM_TIMESTAMP, .column_id = ntags};
	s->ts_col = ntags;
	s->npk = ntags;
	assert_int_equal(region_schema_validate(s), ERR_OK);
	return s;
}

static int sgn(int x) { return x < 0 ? -1 : x > 0; }

/* Reference tuple order: NULL first, then by value (floats: -0.0 < 0.0). */
static int datum_ref_cmp(enum dtype t, const struct datum *a, const struct datum *b)
{
	if (a->is_null || b->is_null)
		return a->is_null == b->is_null ? 0 : (a->is_null ? -1 : 1);
	switch (dtype_phys(t)) {
	case PHYS_I64:
		if (dtype_is_unsigned(t))
			return (uint64_t)a->v.i < (uint64_t)b->v.i ? -1 : (uint64_t)a->v.i > (uint64_t)b->v.i;
		return a->v.i < b->v.i ? -1 : a->v.i > b->v.i;
	case PHYS_F64:
		if (a->v.f < b->v.f)
			return -1;
		if (a->v.f > b->v.f)
			return 1;
		return signbit(a->v.f) == signbit(b->v.f) ? 0 : (signbit(a->v.f) ? -1 : 1);
	default: {
		uint32_t n = a->v.s.n < b->v.s.n ? a->v.s.n : b->v.s.n;
		int c = n ? memcmp(a->v.s.p, b->v.s.p, n) : 0;
		if (c)
			return sgn(c);
		return a->v.s.n < b->v.s.n ? -1 : a->v.s.n > b->v.s.n;
	}
	}
}

static const int64_t ints[] = {INT64_MIN, INT64_MIN + 1, -1000, -1, 0, 1, 2, 255, 256, 1000,
			       INT64_MAX - 1, INT64_MAX};
static const double floats[] = {-INFINITY, -1e300, -1.5, -1e-300, -0.0, 0.0, 1e-300, 1.5,
				1e300, INFINITY};
static const char *strs[] = {"", "a", "a\0", "a\0\0", "a\0b", "a\x01", "ab", "abc", "b",
			     "\xff", "\xff\xff", "\0", "\0\xff", "\x01"};
static const uint32_t str_lens[] = {0, 1, 2, 3, 3, 2, 2, 3, 1, 1, 2, 1, 2, 1};

static void random_datum(enum dtype t, struct datum *d)
{
	memset(d, 0, sizeof(*d));
	d->type = t;
	if (rand() % 8 == 0) {
		d->is_null = true;
		return;
	}
	switch (dtype_phys(t)) {
	case PHYS_I64:
		if (t == DT_BOOL)
			d->v.i = rand() % 2;
		else
			d->v.i = rand() % 3 ? ints[rand() % 12] : (int64_t)rand() - RAND_MAX / 2;
		break;
	case PHYS_F64:
		d->v.f = rand() % 3 ? floats[rand() % 10] : (double)rand() / 7.0 - 1e8;
		break;
	default: {
		int k = rand() % 14;
		d->v.s.p = strs[k];
		d->v.s.n = str_lens[k];
		break;
	}
	}
}

static void test_order_property(void **state)
{
	(void)state;
	const enum dtype types[] = {DT_STRING, DT_INT64, DT_UINT64, DT_FLOAT64, DT_BINARY, DT_BOOL,
				    DT_INT32, DT_FLOAT32};
	srand(42);
	for (int round = 0; round < 30; round++) {
		uint32_t ntags = 1 + (uint32_t)(rand() % 4);
		enum dtype tt[4];
		for (uint32_t i = 0; i < ntags; i++)
			tt[i] = types[rand() % 8];
		struct region_schema *s = schema_of(tt, ntags);
		enum { N = 120 };
		struct datum vals[N][4];
		struct buf keys[N];
		for (int i = 0; i < N; i++) {
			buf_init(&keys[i]);
			for (uint32_t k = 0; k < ntags; k++)
				random_datum(tt[k], &vals[i][k]);
			assert_int_equal(pk_encode_datums(s, vals[i], &keys[i]), ERR_OK);
			/* round trip */
			struct datum back[4];
			assert_int_equal(pk_decode(s, keys[i].data, keys[i].len, back), ERR_OK);
			for (uint32_t k = 0; k < ntags; k++) {
				assert_int_equal(back[k].is_null, vals[i][k].is_null);
				assert_int_equal(datum_ref_cmp(tt[k], &back[k], &vals[i][k]), 0);
				if (dtype_phys(tt[k]) == PHYS_F64 && !back[k].is_null)
					assert_true(signbit(back[k].v.f) == signbit(vals[i][k].v.f));
			}
		}
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++) {
				int ref = 0;
				for (uint32_t k = 0; k < ntags && !ref; k++)
					ref = datum_ref_cmp(tt[k], &vals[i][k], &vals[j][k]);
				int got = pk_cmp(keys[i].data, keys[i].len, keys[j].data, keys[j].len);
				if (sgn(ref) != got)
					fail_msg("round %d: tuples %d,%d ref %d memcmp %d", round, i, j, ref,
						 got);
			}
		for (int i = 0; i < N; i++)
			buf_free(&keys[i]);
		region_schema_free(s);
	}
}

/* Encoding a batch row equals encoding the same values as datums. */
static void test_encode_row_matches_datums(void **state)
{
	(void)state;
	const enum dtype tt[] = {DT_STRING, DT_UINT64, DT_FLOAT64};
	struct region_schema *s = schema_of(tt, 3);
	enum dtype types[4] = {DT_STRING, DT_UINT64, DT_FLOAT64, DT_TS_MS};
	struct batch b;
	assert_int_equal(batch_init(&b, 4, types), ERR_OK);
	srand(7);
	struct datum rows[50][3];
	for (int i = 0; i < 50; i++) {
		for (int k = 0; k < 3; k++) {
			random_datum(tt[k], &rows[i][k]);
			assert_int_equal(colvec_push_datum(&b.cols[k], &rows[i][k]), ERR_OK);
		}
		colvec_push_i64(&b.cols[3], i);
		b.nrows++;
	}
	struct buf a, c;
	buf_init(&a);
	buf_init(&c);
	for (uint32_t i = 0; i < 50; i++) {
		buf_reset(&a);
		buf_reset(&c);
		assert_int_equal(pk_encode_row(s, &b, i, &a), ERR_OK);
		assert_int_equal(pk_encode_datums(s, rows[i], &c), ERR_OK);
		assert_int_equal(a.len, c.len);
		assert_memory_equal(a.data, c.data, a.len);
	}
	buf_free(&a);
	buf_free(&c);
	batch_free(&b);
	region_schema_free(s);
}

static void encode_str(struct region_schema *s, const char *p, uint32_t n, struct buf *out)
{
	struct datum d = {.type = DT_STRING, .v.s = {p, n}};
	buf_reset(out);
	assert_int_equal(pk_encode_datums(s, &d, out), ERR_OK);
}

static void test_string_prefixes_and_zero_bytes(void **state)
{
	(void)state;
	const enum dtype tt[] = {DT_STRING, DT_INT64};
	struct region_schema *s = schema_of(tt, 1);
	/* strictly ascending */
	const char *v[] = {"", "\0", "\0\0", "\0\x01", "a", "a\0", "a\0\xff", "a\x01", "ab", "b"};
	const uint32_t n[] = {0, 1, 2, 2, 1, 2, 3, 2, 2, 1};
	struct buf prev, cur;
	buf_init(&prev);
	buf_init(&cur);
	for (int i = 0; i < 10; i++) {
		encode_str(s, v[i], n[i], &cur);
		struct datum back;
		assert_int_equal(pk_decode(s, cur.data, cur.len, &back), ERR_OK);
		assert_int_equal(back.v.s.n, n[i]);
		assert_memory_equal(back.v.s.p, v[i], n[i]);
		/* decoded strings point into the key */
		assert_true((const uint8_t *)back.v.s.p >= cur.data &&
			    (const uint8_t *)back.v.s.p + n[i] <= cur.data + cur.len);
		if (i)
			assert_int_equal(pk_cmp(prev.data, prev.len, cur.data, cur.len), -1);
		buf_reset(&prev);
		buf_append(&prev, cur.data, cur.len);
	}
	/* NULL before the empty string */
	struct datum nul = {.type = DT_STRING, .is_null = true};
	buf_reset(&prev);
	pk_encode_datums(s, &nul, &prev);
	encode_str(s, "", 0, &cur);
	assert_int_equal(pk_cmp(prev.data, prev.len, cur.data, cur.len), -1);
	buf_free(&prev);
	buf_free(&cur);
	region_schema_free(s);
}

static void test_no_tags_empty_key(void **state)
{
	(void)state;
	struct region_schema *s = schema_of(NULL, 0);
	enum dtype types[1] = {DT_TS_MS};
	struct batch b;
	batch_init(&b, 1, types);
	colvec_push_i64(&b.cols[0], 5);
	b.nrows = 1;
	struct buf k;
	buf_init(&k);
	assert_int_equal(pk_encode_row(s, &b, 0, &k), ERR_OK);
	assert_int_equal(k.len, 0);
	assert_int_equal(pk_decode(s, NULL, 0, NULL), ERR_OK);
	uint8_t junk = 1;
	assert_int_equal(pk_decode(s, &junk, 1, NULL), ERR_CORRUPT);
	buf_free(&k);
	batch_free(&b);
	region_schema_free(s);
}

static void test_corrupt_keys(void **state)
{
	(void)state;
	const enum dtype tt[] = {DT_STRING, DT_INT64, DT_BINARY};
	struct region_schema *s = schema_of(tt, 3);
	struct datum vals[3] = {{.type = DT_STRING, .v.s = {"ho\0st", 5}},
				{.type = DT_INT64, .v.i = -7},
				{.type = DT_BINARY, .v.s = {"xy", 2}}};
	struct buf k;
	buf_init(&k);
	assert_int_equal(pk_encode_datums(s, vals, &k), ERR_OK);
	struct datum out[3];
	assert_int_equal(pk_decode(s, k.data, k.len, out), ERR_OK);
	assert_int_equal(out[1].v.i, -7);
	/* every proper prefix is truncated */
	for (size_t n = 0; n < k.len; n++) {
		uint8_t *copy = mem_dup(k.data, n ? n : 1);
		assert_int_equal(pk_decode(s, copy, n, out), ERR_CORRUPT);
		mem_free(copy);
	}
	/* trailing byte */
	struct buf t;
	buf_init(&t);
	buf_append(&t, k.data, k.len);
	buf_putc(&t, 0);
	assert_int_equal(pk_decode(s, t.data, t.len, out), ERR_CORRUPT);
	/* bad marker */
	t.data[0] = 7;
	assert_int_equal(pk_decode(s, t.data, k.len, out), ERR_CORRUPT);
	/* bad escape: 0x00 followed by neither 0x01 nor 0xFF */
	uint8_t bad_esc[] = {0x01, 'a', 0x00, 0x05, 0x01};
	const enum dtype one[] = {DT_STRING};
	struct region_schema *s1 = schema_of(one, 1);
	assert_int_equal(pk_decode(s1, bad_esc, sizeof(bad_esc), out), ERR_CORRUPT);
	/* escaped string whose raw copy disagrees */
	uint8_t bad_copy[] = {0x01, 'a', 0x00, 0xFF, 0x00, 0x01, 'a', 'b'};
	assert_int_equal(pk_decode(s1, bad_copy, sizeof(bad_copy), out), ERR_CORRUPT);
	bad_copy[7] = 0;
	assert_int_equal(pk_decode(s1, bad_copy, sizeof(bad_copy), out), ERR_OK);
	assert_int_equal(out[0].v.s.n, 2);
	assert_memory_equal(out[0].v.s.p, "a\0", 2);
	/* random garbage never crashes */
	srand(3);
	for (int i = 0; i < 20000; i++) {
		uint8_t g[24];
		size_t n = (size_t)(rand() % 24);
		for (size_t j = 0; j < n; j++)
			g[j] = (uint8_t)(rand() % 4 == 0 ? rand() % 3 : rand());
		int rc = pk_decode(s, g, n, out);
		assert_true(rc == ERR_OK || rc == ERR_CORRUPT);
	}
	/* wrong physical kind */
	struct datum wrong[3] = {{.type = DT_INT64, .v.i = 1}, vals[1], vals[2]};
	buf_reset(&k);
	assert_int_equal(pk_encode_datums(s, wrong, &k), ERR_BAD_INPUT);
	buf_free(&t);
	buf_free(&k);
	region_schema_free(s1);
	region_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_property),
		cmocka_unit_test(test_encode_row_matches_datums),
		cmocka_unit_test(test_string_prefixes_and_zero_bytes),
		cmocka_unit_test(test_no_tags_empty_key),
		cmocka_unit_test(test_corrupt_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
