/*
 * Unit tests for src/storage/parquet_*: round trips of every dtype (nullable
 * or not, PLAIN or dictionary, zstd or uncompressed, many row groups and
 * pages), statistics, key-value metadata, projection, empty files, the
 * ranged-read callback, and hostile input (truncation, byte flips, byte
 * deletions, hand-built bad files, allocation failures): always an error
 * or consistent data, never a crash (run under ASan in build-asan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/err.h"
#include "base/mem.h"
#include "storage/parquet.h"
#include "storage/parquet_int.h"
#include "helpers/region_fixture.h"

/* A value of dtype t for row i, pushed onto v. */
static void push_value(struct colvec *v, enum dtype t, uint32_t i)
{
	uint64_t r = fx_rnd();
	bool lowcard = i % 3 != 0;
	switch (t) {
	case DT_BOOL:
		colvec_push_i64(v, (int64_t)(r & 1));
		break;
	case DT_INT8:
		colvec_push_i64(v, lowcard ? (int8_t)(r % 7) - 3 : (int8_t)r);
		break;
	case DT_INT16:
		colvec_push_i64(v, (int16_t)r);
		break;
	case DT_INT32:
		colvec_push_i64(v, lowcard ? (int32_t)(r % 5) : (int32_t)r);
		break;
	case DT_INT64:
		colvec_push_i64(v, i == 7 ? INT64_MIN : i == 8 ? INT64_MAX : (int64_t)r);
		break;
	case DT_UINT8:
		colvec_push_i64(v, (uint8_t)r);
		break;
	case DT_UINT16:
		colvec_push_i64(v, (uint16_t)r);
		break;
	case DT_UINT32:
		colvec_push_i64(v, i == 5 ? UINT32_MAX : (uint32_t)r);
		break;
	case DT_UINT64:
		colvec_push_i64(v, i == 9 ? -1 : lowcard ? (int64_t)(r % 4) : (int64_t)r);
		break;
	case DT_FLOAT32:
		colvec_push_f64(v, (double)(float)((double)(int32_t)(r % 20001) / 7.0));
		break;
	case DT_FLOAT64:
		colvec_push_f64(v, lowcard ? (double)(r % 9) * 0.5 : (double)(int64_t)r / 3.0);
		break;
	case DT_STRING: {
		char s[400];
		int n;
		if (r % 17 == 0)
			n = 0;
		else if (r % 23 == 0) {
			n = (int)(r % 300) + 1;
			memset(s, 'a' + (int)(r % 26), (size_t)n);
		} else
			n = snprintf(s, sizeof(s), "host_%u", (unsigned)(r % 50));
		colvec_push_bytes(v, s, (size_t)n);
		break;
	}
	case DT_BINARY: {
		uint8_t b[40];
		size_t n = r % 41;
		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t)(fx_rnd() % (lowcard ? 3 : 256));
		colvec_push_bytes(v, b, n);
		break;
	}
	case DT_DATE:
		colvec_push_i64(v, (int32_t)(r % 100000) - 50000);
		break;
	case DT_TS_S:
		colvec_push_i64(v, (int64_t)(r % 4000000000ull) - 1000000000);
		break;
	case DT_TS_MS:
		colvec_push_i64(v,
		                1700000000000 + (int64_t)(lowcard ? (i / 10) * 1000 : r % 100000));
		break;
	case DT_TS_US:
		colvec_push_i64(v, (int64_t)(r >> 2) - (INT64_MAX >> 3));
		break;
	case DT_TS_NS:
		colvec_push_i64(v, (int64_t)r);
		break;
	default:
		fail();
	}
}

/* Every dtype x nullable x dictionary. */
#define NALL (DT__COUNT * 4)
static struct parquet_column_def all_defs[NALL];
static char all_names[NALL][32];

static void make_defs(void)
{
	for (int t = 0; t < DT__COUNT; t++)
		for (int k = 0; k < 4; k++) {
			int c = t * 4 + k;
			snprintf(all_names[c], sizeof(all_names[c]), "%s_%s%s",
			         dtype_name((enum dtype)t), k & 1 ? "null" : "req",
			         k & 2 ? "_dict" : "");
			all_defs[c] = (struct parquet_column_def){all_names[c], (enum dtype)t,
			                                          k & 1, (k & 2) != 0};
		}
}

/* Rows of the all-types table; nullable columns get ~20% nulls, and the
 * nullable BOOL plain column is null everywhere. */
static void make_batch(struct batch *b, const struct parquet_column_def *defs, uint32_t ncols,
                       uint32_t nrows)
{
	enum dtype types[NALL] = {0};
	for (uint32_t c = 0; c < ncols; c++)
		types[c] = defs[c].type;
	assert_int_equal(batch_init(b, ncols, types), ERR_OK);
	for (uint32_t c = 0; c < ncols; c++) {
		bool all_null = defs[c].type == DT_BOOL && defs[c].nullable && !defs[c].dictionary;
		for (uint32_t i = 0; i < nrows; i++) {
			if (defs[c].nullable && (all_null || fx_rnd() % 5 == 0))
				assert_int_equal(colvec_push_null(&b->cols[c]), ERR_OK);
			else
				push_value(&b->cols[c], defs[c].type, i);
		}
	}
	b->nrows = nrows;
}

static void write_file(const struct parquet_column_def *defs, uint32_t ncols,
                       const struct parquet_write_options *opt, const struct batch *b,
                       uint32_t nbatches, struct buf *out)
{
	struct parquet_writer *w;
	assert_int_equal(parquet_writer_open(defs, ncols, opt, &w), ERR_OK);
	for (uint32_t k = 0; k < nbatches; k++)
		assert_int_equal(parquet_writer_write(w, b), ERR_OK);
	buf_init(out);
	assert_int_equal(parquet_writer_finish(w, out), ERR_OK);
	parquet_writer_free(w);
}

/* Read every row group (reusing one batch) and append into all. */
static void read_all(struct parquet_reader *r, struct batch *all)
{
	uint32_t n = parquet_reader_num_columns(r);
	enum dtype types[NALL] = {0};
	for (uint32_t c = 0; c < n; c++)
		types[c] = parquet_reader_column(r, c)->type;
	assert_int_equal(batch_init(all, n, types), ERR_OK);
	struct batch rg = {0};
	for (uint32_t g = 0; g < parquet_reader_num_row_groups(r); g++) {
		int rc = parquet_read_row_group(r, g, NULL, &rg);
		if (rc)
			fail_msg("read row group %u: %s", g, err_msg());
		assert_int_equal(rg.nrows, parquet_reader_row_group_rows(r, g));
		for (uint32_t c = 0; c < n; c++) {
			assert_int_equal(rg.cols[c].len, rg.nrows);
			assert_int_equal(
			    colvec_append_range(&all->cols[c], &rg.cols[c], 0, rg.nrows), ERR_OK);
		}
		all->nrows += rg.nrows;
	}
	batch_free(&rg);
}

static void assert_batches_equal(const struct batch *a, const struct batch *b, uint32_t reps)
{
	assert_int_equal(a->ncols, b->ncols);
	assert_int_equal((uint64_t)a->nrows * reps, b->nrows);
	for (uint32_t c = 0; c < a->ncols; c++) {
		assert_int_equal(a->cols[c].type, b->cols[c].type);
		for (uint32_t i = 0; i < b->nrows; i++)
			if (colvec_cmp(&a->cols[c], i % a->nrows, &b->cols[c], i) != 0 ||
			    colvec_is_null(&a->cols[c], i % a->nrows) !=
			        colvec_is_null(&b->cols[c], i))
				fail_msg("column %u (%s) row %u differs", c,
				         dtype_name(a->cols[c].type), i);
	}
}

static void roundtrip(const struct parquet_write_options *opt, uint32_t nrows, uint32_t reps)
{
	make_defs();
	struct batch b;
	make_batch(&b, all_defs, NALL, nrows);
	struct buf file;
	write_file(all_defs, NALL, opt, &b, reps, &file);
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
	assert_int_equal(parquet_reader_num_columns(r), NALL);
	assert_int_equal(parquet_reader_num_rows(r), (uint64_t)nrows * reps);
	uint32_t rgr =
	    opt && opt->row_group_rows ? opt->row_group_rows : PARQUET_DEFAULT_ROW_GROUP_ROWS;
	assert_int_equal(parquet_reader_num_row_groups(r),
	                 ((uint64_t)nrows * reps + rgr - 1) / rgr);
	for (uint32_t c = 0; c < NALL; c++) {
		const struct parquet_column_def *d = parquet_reader_column(r, c);
		assert_string_equal(d->name, all_defs[c].name);
		assert_int_equal(d->type, all_defs[c].type);
		assert_int_equal(d->nullable, all_defs[c].nullable);
	}
	assert_string_equal(parquet_reader_created_by(r), "strata");
	struct batch all;
	read_all(r, &all);
	assert_batches_equal(&b, &all, reps);
	batch_free(&all);
	parquet_reader_free(r);
	buf_free(&file);
	batch_free(&b);
}

static void test_roundtrip_defaults(void **state)
{
	(void)state;
	roundtrip(NULL, 3000, 1);
}

static void test_roundtrip_multi_rg_pages(void **state)
{
	(void)state;
	/* 3 batches of 2500 rows over row groups of 1000: row groups span
	 * batches; 300-byte pages: many pages per chunk */
	struct parquet_write_options o = {.row_group_rows = 1000, .page_bytes = 300};
	roundtrip(&o, 2500, 3);
}

static void test_roundtrip_uncompressed_fallback(void **state)
{
	(void)state;
	/* tiny dictionaries: high-cardinality columns fall back to PLAIN
	 * mid-chunk */
	struct parquet_write_options o = {.row_group_rows = 1500,
	                                  .codec = PARQUET_CODEC_NONE,
	                                  .dict_max_entries = 20,
	                                  .dict_max_bytes = 200,
	                                  .zstd_level = 3};
	roundtrip(&o, 4000, 1);
}

/* The file holds dictionary pages, the page sizes we asked for, and the
 * PLAIN fallback when a dictionary fills up. */
static void test_layout(void **state)
{
	(void)state;
	struct parquet_column_def defs[] = {{"tag", DT_STRING, false, true},
	                                    {"v", DT_FLOAT64, false, false},
	                                    {"hi", DT_INT64, true, true}};
	struct batch b;
	make_batch(&b, defs, 3, 20000);
	struct parquet_write_options o = {.page_bytes = 16384, .dict_max_entries = 1000};
	struct buf file;
	write_file(defs, 3, &o, &b, 1, &file);
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
	assert_true(parquet_reader_column(r, 0)->dictionary);
	assert_false(parquet_reader_column(r, 1)->dictionary);
	struct pq_chunk_layout l;
	/* tags: one dictionary page, all data pages dictionary-encoded */
	assert_int_equal(parquet_chunk_layout(r, 0, 0, &l), ERR_OK);
	assert_int_equal(l.dict_pages, 1);
	assert_true(l.data_pages >= 1);
	assert_int_equal(l.dict_data_pages, l.data_pages);
	/* doubles: 160000 bytes in pages of about 16 KiB */
	assert_int_equal(parquet_chunk_layout(r, 0, 1, &l), ERR_OK);
	assert_int_equal(l.dict_pages, 0);
	assert_int_equal(l.plain_pages, l.data_pages);
	assert_true(l.data_pages >= 9 && l.data_pages <= 11);
	assert_true(l.max_page_bytes <= 16384 + 16);
	/* high-cardinality int64 with a 1000-entry dictionary: falls back */
	assert_int_equal(parquet_chunk_layout(r, 0, 2, &l), ERR_OK);
	assert_int_equal(l.dict_pages, 1);
	assert_true(l.dict_data_pages >= 1);
	assert_true(l.plain_pages >= 1);
	assert_int_equal(parquet_chunk_layout(r, 1, 0, &l), ERR_BAD_INPUT);
	struct batch all;
	read_all(r, &all);
	assert_batches_equal(&b, &all, 1);
	batch_free(&all);
	parquet_reader_free(r);
	buf_free(&file);
	batch_free(&b);
}

static void test_stats(void **state)
{
	(void)state;
	struct parquet_column_def defs[] = {
	    {"i32", DT_INT32, false, false},      {"u64", DT_UINT64, false, true},
	    {"u32", DT_UINT32, false, false},     {"s", DT_STRING, true, true},
	    {"allnull", DT_FLOAT64, true, false}, {"d", DT_FLOAT64, true, false},
	    {"f", DT_FLOAT32, false, false},      {"ts", DT_TS_S, false, false},
	    {"b", DT_BOOL, false, false},         {"bin", DT_BINARY, false, false},
	};
	enum { N = 10 };
	enum dtype types[N];
	for (int c = 0; c < N; c++)
		types[c] = defs[c].type;
	struct batch b;
	assert_int_equal(batch_init(&b, N, types), ERR_OK);
	int64_t i32[] = {5, -7, 100, 3};
	int64_t u64[] = {1, -1 /* 2^64-1 */, INT64_MAX, 2};
	int64_t u32[] = {7, UINT32_MAX, 0x80000000ll, 9};
	const char *s[] = {"b", NULL, "ab", "\xff"};
	double d[] = {0.0 / 0.0, -2.5, 0.0, 7.25};
	double f[] = {1.5, -0.0, 3.25, 0.0};
	int64_t ts[] = {100, -5, 1700000000, 0};
	int64_t bo[] = {1, 1, 1, 1};
	const char *bin[] = {"\x01", "", "\x00\x02", "\x01\x00"};
	size_t binlen[] = {1, 0, 2, 2};
	for (int i = 0; i < 4; i++) {
		colvec_push_i64(&b.cols[0], i32[i]);
		colvec_push_i64(&b.cols[1], u64[i]);
		colvec_push_i64(&b.cols[2], u32[i]);
		if (s[i])
			colvec_push_bytes(&b.cols[3], s[i], strlen(s[i]));
		else
			colvec_push_null(&b.cols[3]);
		colvec_push_null(&b.cols[4]);
		colvec_push_f64(&b.cols[5], d[i]);
		colvec_push_f64(&b.cols[6], f[i]);
		colvec_push_i64(&b.cols[7], ts[i]);
		colvec_push_i64(&b.cols[8], bo[i]);
		colvec_push_bytes(&b.cols[9], bin[i], binlen[i]);
	}
	b.nrows = 4;
	struct buf file;
	write_file(defs, N, NULL, &b, 1, &file);
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
	const struct parquet_stats *st;
	st = parquet_reader_stats(r, 0, 0);
	assert_true(st->has_min_max);
	assert_int_equal(st->min.v.i, -7);
	assert_int_equal(st->max.v.i, 100);
	assert_true(st->has_null_count);
	assert_int_equal(st->null_count, 0);
	st = parquet_reader_stats(r, 0, 1); /* unsigned 64: 1 .. 2^64-1 */
	assert_true(st->has_min_max);
	assert_int_equal(st->min.v.i, 1);
	assert_int_equal(st->max.v.i, -1);
	st = parquet_reader_stats(r, 0, 2); /* unsigned 32 */
	assert_int_equal(st->min.v.i, 7);
	assert_int_equal(st->max.v.i, UINT32_MAX);
	st = parquet_reader_stats(r, 0, 3); /* bytewise: "ab" < "b" < "\xff" */
	assert_true(st->has_min_max);
	assert_int_equal(st->min.v.s.n, 2);
	assert_memory_equal(st->min.v.s.p, "ab", 2);
	assert_int_equal(st->max.v.s.n, 1);
	assert_memory_equal(st->max.v.s.p, "\xff", 1);
	assert_int_equal(st->null_count, 1);
	st = parquet_reader_stats(r, 0, 4); /* all null */
	assert_false(st->has_min_max);
	assert_true(st->has_null_count);
	assert_int_equal(st->null_count, 4);
	st = parquet_reader_stats(r, 0, 5); /* NaN skipped */
	assert_true(st->has_min_max);
	assert_true(st->min.v.f == -2.5);
	assert_true(st->max.v.f == 7.25);
	st = parquet_reader_stats(r, 0, 6); /* float32, zero bounds */
	assert_true(st->min.v.f == -0.0);
	assert_true(st->max.v.f == 3.25);
	st = parquet_reader_stats(r, 0, 7); /* TS_S stats back in seconds */
	assert_int_equal(parquet_reader_column(r, 7)->type, DT_TS_S);
	assert_int_equal(st->min.v.i, -5);
	assert_int_equal(st->max.v.i, 1700000000);
	st = parquet_reader_stats(r, 0, 8);
	assert_int_equal(st->min.v.i, 1);
	assert_int_equal(st->max.v.i, 1);
	st = parquet_reader_stats(r, 0, 9);
	assert_int_equal(st->min.v.s.n, 0);
	assert_int_equal(st->max.v.s.n, 2);
	assert_memory_equal(st->max.v.s.p, "\x01\x00", 2);
	assert_null(parquet_reader_stats(r, 1, 0));
	assert_null(parquet_reader_stats(r, 0, N));
	/* TS_S values read back in seconds */
	struct batch out = {0};
	assert_int_equal(parquet_read_row_group(r, 0, NULL, &out), ERR_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(out.cols[7].i64[i], ts[i]);
	assert_true(out.cols[5].f64[0] != out.cols[5].f64[0]); /* NaN kept */
	assert_null(out.cols[0].validity);
	assert_true(colvec_is_null(&out.cols[3], 1));
	batch_free(&out);
	parquet_reader_free(r);
	buf_free(&file);
	batch_free(&b);
}

static void test_stats_per_row_group(void **state)
{
	(void)state;
	struct parquet_column_def def = {"x", DT_INT64, false, false};
	struct batch b;
	enum dtype t = DT_INT64;
	assert_int_equal(batch_init(&b, 1, &t), ERR_OK);
	for (int i = 0; i < 300; i++)
		colvec_push_i64(&b.cols[0], i);
	b.nrows = 300;
	struct parquet_write_options o = {.row_group_rows = 100};
	struct buf file;
	write_file(&def, 1, &o, &b, 1, &file);
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
	assert_int_equal(parquet_reader_num_row_groups(r), 3);
	for (uint32_t g = 0; g < 3; g++) {
		const struct parquet_stats *st = parquet_reader_stats(r, g, 0);
		assert_int_equal(st->min.v.i, g * 100);
		assert_int_equal(st->max.v.i, g * 100 + 99);
		assert_int_equal(parquet_reader_row_group_rows(r, g), 100);
	}
	parquet_reader_free(r);
	buf_free(&file);
	batch_free(&b);
}

static void test_kv_and_projection(void **state)
{
	(void)state;
	struct parquet_column_def defs[] = {{"a", DT_INT64, false, false},
	                                    {"b", DT_STRING, true, true},
	                                    {"c", DT_FLOAT64, false, false}};
	struct batch b;
	make_batch(&b, defs, 3, 100);
	struct parquet_writer *w;
	assert_int_equal(parquet_writer_open(defs, 3, NULL, &w), ERR_OK);
	assert_int_equal(parquet_writer_set_kv(w, "k1", "v1"), ERR_OK);
	assert_int_equal(parquet_writer_set_kv(w, "k2", "old"), ERR_OK);
	assert_int_equal(parquet_writer_set_kv(w, "k2", "new"), ERR_OK);
	assert_int_equal(parquet_writer_write(w, &b), ERR_OK);
	assert_int_equal(parquet_writer_rows(w), 100);
	struct buf file;
	buf_init(&file);
	buf_append(&file, "xy", 2); /* finish appends to a non-empty buffer */
	assert_int_equal(parquet_writer_finish(w, &file), ERR_OK);
	assert_int_equal(parquet_writer_write(w, &b), ERR_BAD_INPUT);
	parquet_writer_free(w);
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open_mem(file.data + 2, file.len - 2, &r), ERR_OK);
	assert_string_equal(parquet_reader_kv(r, "k1"), "v1");
	assert_string_equal(parquet_reader_kv(r, "k2"), "new");
	assert_null(parquet_reader_kv(r, "k3"));
	assert_int_equal(parquet_reader_kv_count(r), 2);
	const char *k, *v;
	parquet_reader_kv_at(r, 1, &k, &v);
	assert_string_equal(k, "k2");
	assert_int_equal(parquet_reader_find_column(r, "c"), 2);
	assert_int_equal(parquet_reader_find_column(r, "zz"), -1);
	bool want[3] = {false, true, false};
	struct batch out = {0};
	assert_int_equal(parquet_read_row_group(r, 0, want, &out), ERR_OK);
	assert_int_equal(out.ncols, 3);
	assert_int_equal(out.nrows, 100);
	assert_int_equal(out.cols[0].len, 0);
	assert_int_equal(out.cols[2].len, 0);
	assert_int_equal(out.cols[1].len, 100);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(colvec_cmp(&b.cols[1], i, &out.cols[1], i), 0);
	assert_int_equal(parquet_read_row_group(r, 1, NULL, &out), ERR_BAD_INPUT);
	assert_null(out.cols);
	parquet_reader_free(r);
	buf_free(&file);
	batch_free(&b);
}

static void test_empty_file(void **state)
{
	(void)state;
	make_defs();
	struct parquet_writer *w;
	assert_int_equal(parquet_writer_open(all_defs, NALL, NULL, &w), ERR_OK);
	struct batch b;
	make_batch(&b, all_defs, NALL, 0);
	assert_int_equal(parquet_writer_write(w, &b), ERR_OK);
	struct buf file;
	buf_init(&file);
	assert_int_equal(parquet_writer_finish(w, &file), ERR_OK);
	parquet_writer_free(w);
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
	assert_int_equal(parquet_reader_num_rows(r), 0);
	assert_int_equal(parquet_reader_num_row_groups(r), 0);
	assert_int_equal(parquet_reader_num_columns(r), NALL);
	assert_int_equal(parquet_reader_column(r, NALL - 1)->type, all_defs[NALL - 1].type);
	parquet_reader_free(r);
	buf_free(&file);
	batch_free(&b);
}

static void test_bad_writer_input(void **state)
{
	(void)state;
	struct parquet_writer *w;
	struct parquet_column_def dup[] = {{"a", DT_INT64, false, false},
	                                   {"a", DT_INT8, false, false}};
	assert_int_equal(parquet_writer_open(dup, 2, NULL, &w), ERR_BAD_INPUT);
	assert_null(w);
	assert_int_equal(parquet_writer_open(dup, 0, NULL, &w), ERR_BAD_INPUT);
	struct parquet_column_def defs[] = {{"a", DT_INT64, false, false},
	                                    {"t", DT_TS_S, true, false}};
	assert_int_equal(parquet_writer_open(defs, 2, NULL, &w), ERR_OK);
	struct batch b;
	enum dtype wrong[] = {DT_INT32, DT_TS_S};
	assert_int_equal(batch_init(&b, 2, wrong), ERR_OK);
	assert_int_equal(parquet_writer_write(w, &b), ERR_BAD_INPUT); /* type */
	batch_free(&b);
	enum dtype right[] = {DT_INT64, DT_TS_S};
	assert_int_equal(batch_init(&b, 2, right), ERR_OK);
	colvec_push_null(&b.cols[0]);
	colvec_push_i64(&b.cols[1], 1);
	b.nrows = 1;
	assert_int_equal(parquet_writer_write(w, &b), ERR_BAD_INPUT); /* null, not nullable */
	batch_reset(&b);
	colvec_push_i64(&b.cols[0], 1);
	colvec_push_i64(&b.cols[1], INT64_MAX / 10); /* seconds that overflow ms */
	b.nrows = 1;
	assert_int_equal(parquet_writer_write(w, &b), ERR_BAD_INPUT);
	struct buf f;
	buf_init(&f);
	assert_int_not_equal(parquet_writer_finish(w, &f), ERR_OK); /* failed writer */
	parquet_writer_free(w);
	buf_free(&f);
	batch_free(&b);
}

/* ---- ranged reads ---- */

struct memfile {
	const uint8_t *p;
	size_t n;
	int calls;
	uint64_t bytes;
	int fail_at; /* call number that fails, 0 = none */
	bool short_read;
};

static int memfile_read(void *ctx, uint64_t off, uint64_t len, uint8_t **data, size_t *outlen)
{
	struct memfile *m = ctx;
	m->calls++;
	if (m->fail_at == m->calls)
		return err_set(ERR_IO, "injected read failure");
	assert_true(off + len <= m->n);
	size_t n = m->short_read ? (size_t)len / 2 : (size_t)len;
	*data = mem_alloc(n ? n : 1);
	if (!*data)
		return ERR_NOMEM;
	memcpy(*data, m->p + off, n);
	*outlen = n;
	m->bytes += n;
	return ERR_OK;
}

static void test_read_callback(void **state)
{
	(void)state;
	make_defs();
	struct batch b;
	make_batch(&b, all_defs, NALL, 500);
	struct buf file;
	write_file(all_defs, NALL, NULL, &b, 1, &file);
	struct memfile m = {file.data, file.len, 0, 0, 0, false};
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open(memfile_read, &m, file.len, &r), ERR_OK);
	assert_int_equal(m.calls, 1); /* one tail read holds the footer */
	struct batch all;
	read_all(r, &all);
	assert_batches_equal(&b, &all, 1);
	assert_int_equal(m.calls, 1 + NALL); /* one ranged read per column chunk */
	batch_free(&all);
	/* a failing read surfaces its error */
	m.fail_at = m.calls + 1;
	struct batch out = {0};
	assert_int_equal(parquet_read_row_group(r, 0, NULL, &out), ERR_IO);
	parquet_reader_free(r);
	/* open: failing read, short read */
	struct memfile m2 = {file.data, file.len, 0, 0, 1, false};
	assert_int_equal(parquet_reader_open(memfile_read, &m2, file.len, &r), ERR_IO);
	struct memfile m3 = {file.data, file.len, 0, 0, 0, true};
	assert_int_equal(parquet_reader_open(memfile_read, &m3, file.len, &r), ERR_CORRUPT);
	buf_free(&file);
	batch_free(&b);
}

static void test_big_footer(void **state)
{
	(void)state;
	/* > 64 KiB of key-value metadata: the footer needs a second read */
	struct parquet_column_def def = {"x", DT_INT64, false, false};
	struct parquet_writer *w;
	assert_int_equal(parquet_writer_open(&def, 1, NULL, &w), ERR_OK);
	static char big[100000];
	memset(big, 'z', sizeof(big) - 1);
	assert_int_equal(parquet_writer_set_kv(w, "big", big), ERR_OK);
	struct buf file;
	buf_init(&file);
	assert_int_equal(parquet_writer_finish(w, &file), ERR_OK);
	parquet_writer_free(w);
	struct memfile m = {file.data, file.len, 0, 0, 0, false};
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open(memfile_read, &m, file.len, &r), ERR_OK);
	assert_int_equal(m.calls, 2);
	assert_int_equal(strlen(parquet_reader_kv(r, "big")), sizeof(big) - 1);
	parquet_reader_free(r);
	buf_free(&file);
}

/* ---- hostile input ---- */

/* Open and decode everything; returns the first error or ERR_OK, and on
 * success checks the decoded batches are self-consistent. */
static int try_read(const uint8_t *p, size_t n)
{
	struct parquet_reader *r;
	int rc = parquet_reader_open_mem(p, n, &r);
	if (rc) {
		assert_true(err_msg()[0] != '\0');
		return rc;
	}
	struct batch out = {0};
	for (uint32_t g = 0; g < parquet_reader_num_row_groups(r) && !rc; g++) {
		rc = parquet_read_row_group(r, g, NULL, &out);
		if (rc) {
			assert_null(out.cols);
			assert_true(err_msg()[0] != '\0');
			break;
		}
		assert_int_equal(out.nrows, parquet_reader_row_group_rows(r, g));
		for (uint32_t c = 0; c < out.ncols; c++) {
			const struct colvec *v = &out.cols[c];
			assert_int_equal(v->len, out.nrows);
			if (dtype_phys(v->type) == PHYS_BYTES && v->len) {
				for (uint32_t i = 0; i < v->len; i++)
					assert_true(v->offs[i] <= v->offs[i + 1]);
				assert_true(v->offs[v->len] <= v->bytes_cap);
			}
			if (!parquet_reader_column(r, c)->nullable)
				for (uint32_t i = 0; i < v->len; i++)
					assert_false(colvec_is_null(v, i));
		}
	}
	batch_free(&out);
	parquet_reader_free(r);
	return rc;
}

static void small_file(struct buf *file, enum parquet_codec codec)
{
	struct parquet_column_def defs[] = {
	    {"tag", DT_STRING, true, true}, {"v", DT_FLOAT64, true, false},
	    {"n", DT_INT32, false, true},   {"ts", DT_TS_MS, false, false},
	    {"b", DT_BOOL, true, false},    {"bin", DT_BINARY, false, false},
	};
	struct batch b;
	make_batch(&b, defs, 6, 40);
	struct parquet_write_options o = {.row_group_rows = 25, .page_bytes = 64, .codec = codec};
	write_file(defs, 6, &o, &b, 1, file);
	batch_free(&b);
	assert_int_equal(try_read(file->data, file->len), ERR_OK);
}

static void test_corrupt_truncate(void **state)
{
	(void)state;
	for (int codec = 0; codec < 2; codec++) {
		struct buf file;
		small_file(&file, (enum parquet_codec)codec);
		uint8_t *copy = mem_alloc(file.len);
		for (size_t k = 0; k < file.len; k++) {
			/* a fresh allocation of exactly k bytes, so ASan sees any overread */
			memcpy(copy, file.data, k);
			uint8_t *t = mem_dup(copy, k ? k : 1);
			assert_int_not_equal(try_read(t, k), ERR_OK);
			mem_free(t);
		}
		/* keep the footer, cut bytes out of the middle: offsets go wrong */
		for (size_t k = 4; k + 12 < file.len; k++) {
			memcpy(copy, file.data, k);
			memcpy(copy + k, file.data + k + 1, file.len - k - 1);
			uint8_t *t = mem_dup(copy, file.len - 1);
			int rc = try_read(t, file.len - 1);
			assert_true(rc == ERR_CORRUPT || rc == ERR_UNSUPPORTED || rc == ERR_OK);
			mem_free(t);
		}
		mem_free(copy);
		buf_free(&file);
	}
}

static void test_corrupt_flips(void **state)
{
	(void)state;
	for (int codec = 0; codec < 2; codec++) {
		struct buf file;
		small_file(&file, (enum parquet_codec)codec);
		int failures = 0;
		/* PARQUET_FUZZ_ITERS=N runs a longer fuzz by hand */
		const char *env = getenv("PARQUET_FUZZ_ITERS");
		int iters = env ? atoi(env) : 3000;
		for (int it = 0; it < iters; it++) {
			uint8_t *t = mem_dup(file.data, file.len);
			int nflip = 1 + (int)(fx_rnd() % 3);
			for (int f = 0; f < nflip; f++) {
				size_t pos = fx_rnd() % file.len;
				if (it % 2) /* half the time aim at the footer */
					pos = file.len - 1 - fx_rnd() % (file.len / 4);
				t[pos] ^= (uint8_t)(1u << (fx_rnd() % 8));
			}
			int rc = try_read(t, file.len);
			assert_true(rc == ERR_OK || rc == ERR_CORRUPT || rc == ERR_UNSUPPORTED ||
			            rc == ERR_LIMIT);
			failures += rc != ERR_OK;
			mem_free(t);
		}
		assert_true(failures > iters / 30); /* the flips were noticed */
		buf_free(&file);
	}
}

/* Hand-built one-column files. */
static void put_page(struct buf *f, enum pq_page_type type, int32_t nvals, int32_t enc,
                     const void *body, size_t n)
{
	struct buf h;
	buf_init(&h);
	struct tcw t;
	tcw_init(&t, &h);
	tcw_struct_begin(&t);
	tcw_field_i32(&t, 1, type);
	tcw_field_i32(&t, 2, (int32_t)n);
	tcw_field_i32(&t, 3, (int32_t)n);
	tcw_field_struct(&t, type == PQP_DICTIONARY ? 7 : 5);
	tcw_field_i32(&t, 1, nvals);
	tcw_field_i32(&t, 2, enc);
	tcw_struct_end(&t);
	tcw_struct_end(&t);
	assert_int_equal(tcw_finish(&t), ERR_OK);
	buf_append(f, h.data, h.len);
	buf_append(f, body, n);
	buf_free(&h);
}

struct footer_opts {
	int32_t phys, conv, codec, nested, rep;
	int64_t rows, num_values;
	int64_t data_off, dict_off, comp;
};

static void put_footer(struct buf *f, const struct footer_opts *o)
{
	struct buf m;
	buf_init(&m);
	struct tcw t;
	tcw_init(&t, &m);
	tcw_struct_begin(&t);
	tcw_field_i32(&t, 1, 1);
	tcw_field_list(&t, 2, TC_STRUCT, 2);
	tcw_struct_begin(&t);
	tcw_field_string(&t, 4, "schema");
	tcw_field_i32(&t, 5, 1);
	tcw_struct_end(&t);
	tcw_struct_begin(&t);
	tcw_field_i32(&t, 1, o->phys);
	tcw_field_i32(&t, 3, o->rep);
	tcw_field_string(&t, 4, "x");
	if (o->nested)
		tcw_field_i32(&t, 5, 1);
	if (o->conv >= 0)
		tcw_field_i32(&t, 6, o->conv);
	tcw_struct_end(&t);
	tcw_field_i64(&t, 3, o->rows);
	tcw_field_list(&t, 4, TC_STRUCT, 1);
	tcw_struct_begin(&t); /* RowGroup */
	tcw_field_list(&t, 1, TC_STRUCT, 1);
	tcw_struct_begin(&t); /* ColumnChunk */
	tcw_field_i64(&t, 2, 0);
	tcw_field_struct(&t, 3);
	tcw_field_i32(&t, 1, o->phys);
	tcw_field_list(&t, 2, TC_I32, 1);
	tcw_i32(&t, PQE_PLAIN);
	tcw_field_list(&t, 3, TC_BINARY, 1);
	tcw_binary(&t, "x", 1);
	tcw_field_i32(&t, 4, o->codec);
	tcw_field_i64(&t, 5, o->num_values);
	tcw_field_i64(&t, 6, o->comp);
	tcw_field_i64(&t, 7, o->comp);
	tcw_field_i64(&t, 9, o->data_off);
	if (o->dict_off)
		tcw_field_i64(&t, 11, o->dict_off);
	tcw_struct_end(&t);
	tcw_struct_end(&t);
	tcw_field_i64(&t, 2, o->comp);
	tcw_field_i64(&t, 3, o->rows);
	tcw_struct_end(&t);
	tcw_struct_end(&t);
	assert_int_equal(tcw_finish(&t), ERR_OK);
	buf_append(f, m.data, m.len);
	buf_put_u32le(f, (uint32_t)m.len);
	buf_append(f, "PAR1", 4);
	buf_free(&m);
}

/* A file with a 2-entry INT64 dictionary and one data page of 4 indexes
 * whose bit-packed values are idx[]; num_values / rows as given. */
static int dict_file(const uint8_t *idx_body, size_t idx_len, int32_t page_vals, int64_t rows,
                     int32_t codec, int nested, int err_expect_line)
{
	(void)err_expect_line;
	struct buf f;
	buf_init(&f);
	buf_append(&f, "PAR1", 4);
	uint8_t dict[16];
	le_put_u64(dict, 10);
	le_put_u64(dict + 8, 20);
	put_page(&f, PQP_DICTIONARY, 2, PQE_PLAIN, dict, 16);
	int64_t data_off = (int64_t)f.len;
	put_page(&f, PQP_DATA, page_vals, PQE_RLE_DICTIONARY, idx_body, idx_len);
	struct footer_opts o = {PQT_INT64, -1,   codec,    nested, PQR_REQUIRED,
	                        rows,      rows, data_off, 4,      (int64_t)f.len - 4};
	put_footer(&f, &o);
	int rc = try_read(f.data, f.len);
	buf_free(&f);
	return rc;
}

static void test_crafted_files(void **state)
{
	(void)state;
	/* width 2, one bit-packed group of 8: indexes 0,1,0,1 (+padding) */
	uint8_t good[] = {2, 0x03, 0x44, 0x44};
	assert_int_equal(dict_file(good, sizeof(good), 4, 4, PQ_UNCOMPRESSED, 0, 0), ERR_OK);
	/* index 3 of a 2-entry dictionary */
	uint8_t oob[] = {2, 0x03, 0xC4, 0x44};
	assert_int_equal(dict_file(oob, sizeof(oob), 4, 4, PQ_UNCOMPRESSED, 0, 0), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "dictionary index out of range"));
	/* page claims more values than the row group */
	assert_int_equal(dict_file(good, sizeof(good), 5, 4, PQ_UNCOMPRESSED, 0, 0), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "more values"));
	/* RLE run cut short */
	uint8_t shortrun[] = {2, 0x03};
	assert_int_equal(dict_file(shortrun, sizeof(shortrun), 4, 4, PQ_UNCOMPRESSED, 0, 0),
	                 ERR_CORRUPT);
	/* bit width above 32 */
	uint8_t wide[] = {40, 0x03, 0, 0};
	assert_int_equal(dict_file(wide, sizeof(wide), 4, 4, PQ_UNCOMPRESSED, 0, 0), ERR_CORRUPT);
	/* unsupported codec and nested schema */
	assert_int_equal(dict_file(good, sizeof(good), 4, 4, PQ_SNAPPY, 0, 0), ERR_UNSUPPORTED);
	assert_non_null(strstr(err_msg(), "codec"));
	assert_int_equal(dict_file(good, sizeof(good), 4, 4, PQ_UNCOMPRESSED, 1, 0),
	                 ERR_UNSUPPORTED);
	/* zstd codec over bytes that are not zstd */
	assert_int_equal(dict_file(good, sizeof(good), 4, 4, PQ_ZSTD, 0, 0), ERR_CORRUPT);

	/* the good file decodes to 10,20,10,20 */
	struct buf f;
	buf_init(&f);
	buf_append(&f, "PAR1", 4);
	uint8_t dict[16];
	le_put_u64(dict, 10);
	le_put_u64(dict + 8, 20);
	put_page(&f, PQP_DICTIONARY, 2, PQE_PLAIN, dict, 16);
	int64_t data_off = (int64_t)f.len;
	put_page(&f, PQP_DATA, 4, PQE_RLE_DICTIONARY, good, sizeof(good));
	struct footer_opts o = {PQT_INT64, -1, PQ_UNCOMPRESSED, 0, PQR_REQUIRED,
	                        4,         4,  data_off,        4, (int64_t)f.len - 4};
	size_t chunk_end = f.len;
	put_footer(&f, &o);
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open_mem(f.data, f.len, &r), ERR_OK);
	struct batch out = {0};
	assert_int_equal(parquet_read_row_group(r, 0, NULL, &out), ERR_OK);
	assert_int_equal(out.cols[0].i64[0], 10);
	assert_int_equal(out.cols[0].i64[1], 20);
	assert_int_equal(out.cols[0].i64[3], 20);
	batch_free(&out);
	parquet_reader_free(r);

	/* chunk size beyond the data region */
	buf_reset(&f);
	buf_append(&f, "PAR1", 4);
	o.comp = 1000;
	put_footer(&f, &o);
	assert_int_equal(try_read(f.data, f.len), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "outside"));
	(void)chunk_end;

	/* bad magic, footer length too big, tiny files */
	uint8_t bad[16] = "PAR1xxxxxxxxPAR1";
	assert_int_equal(try_read(bad, 16), ERR_CORRUPT); /* footer length 0x78787878 */
	le_put_u32(bad + 8, 4);
	memcpy(bad, "PAR2", 4);
	assert_int_equal(try_read(bad, 16), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "magic"));
	memcpy(bad, "PAR1", 4);
	memcpy(bad + 12, "PARE", 4);
	assert_int_equal(try_read(bad, 16), ERR_UNSUPPORTED);
	assert_int_equal(try_read(bad, 3), ERR_CORRUPT);
	assert_int_equal(parquet_reader_open_mem(NULL, 0, &r), ERR_CORRUPT);

	/* a thrift list that claims more elements than bytes */
	buf_reset(&f);
	buf_append(&f, "PAR1", 4);
	uint8_t meta[] = {0x15, 0x02, 0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0x0F, 0x00};
	buf_append(&f, meta, sizeof(meta));
	buf_put_u32le(&f, sizeof(meta));
	buf_append(&f, "PAR1", 4);
	assert_int_equal(try_read(f.data, f.len), ERR_CORRUPT);
	/* deeply nested structs in an unknown field */
	buf_reset(&f);
	buf_append(&f, "PAR1", 4);
	size_t start = f.len;
	buf_putc(&f, 0xfc); /* field 15, struct */
	for (int i = 0; i < 100; i++)
		buf_putc(&f, 0x1c); /* field +1, struct */
	for (int i = 0; i < 102; i++)
		buf_putc(&f, 0);
	buf_put_u32le(&f, (uint32_t)(f.len - start));
	buf_append(&f, "PAR1", 4);
	assert_int_equal(try_read(f.data, f.len), ERR_CORRUPT);
	buf_free(&f);
}

/* A v2 data page: levels (uncompressed) then values, compressed or not. */
static void put_page_v2(struct buf *f, int32_t nvals, int32_t nnulls, const void *levels,
                        size_t nlev, const void *vals, size_t nvals_bytes, bool compress)
{
	uint8_t comp[256];
	size_t cn = nvals_bytes;
	if (compress) {
		cn = ZSTD_compress(comp, sizeof(comp), vals, nvals_bytes, 1);
		assert_false(ZSTD_isError(cn));
	} else {
		memcpy(comp, vals, nvals_bytes);
	}
	struct buf h;
	buf_init(&h);
	struct tcw t;
	tcw_init(&t, &h);
	tcw_struct_begin(&t);
	tcw_field_i32(&t, 1, PQP_DATA_V2);
	tcw_field_i32(&t, 2, (int32_t)(nlev + nvals_bytes));
	tcw_field_i32(&t, 3, (int32_t)(nlev + cn));
	tcw_field_struct(&t, 8);
	tcw_field_i32(&t, 1, nvals);
	tcw_field_i32(&t, 2, nnulls);
	tcw_field_i32(&t, 3, nvals);
	tcw_field_i32(&t, 4, PQE_PLAIN);
	tcw_field_i32(&t, 5, (int32_t)nlev);
	tcw_field_i32(&t, 6, 0);
	tcw_field_bool(&t, 7, compress);
	tcw_struct_end(&t);
	tcw_struct_end(&t);
	assert_int_equal(tcw_finish(&t), ERR_OK);
	buf_append(f, h.data, h.len);
	buf_append(f, levels, nlev);
	buf_append(f, comp, cn);
	buf_free(&h);
}

static void test_v2_pages(void **state)
{
	(void)state;
	struct buf f;
	buf_init(&f);
	buf_append(&f, "PAR1", 4);
	/* rows 1, NULL, 3, NULL, 5: one bit-packed group of levels 10101 */
	uint8_t lev1[] = {0x03, 0x15};
	int64_t v1[] = {1, 3, 5};
	put_page_v2(&f, 5, 2, lev1, sizeof(lev1), v1, sizeof(v1), true);
	/* rows 7, 8: an RLE run of two 1 levels, values not compressed */
	uint8_t lev2[] = {0x04, 0x01};
	int64_t v2[] = {7, 8};
	put_page_v2(&f, 2, 0, lev2, sizeof(lev2), v2, sizeof(v2), false);
	struct footer_opts o = {PQT_INT64, -1, PQ_ZSTD, 0, PQR_OPTIONAL,
	                        7,         7,  4,       0, (int64_t)f.len - 4};
	put_footer(&f, &o);
	struct parquet_reader *r;
	assert_int_equal(parquet_reader_open_mem(f.data, f.len, &r), ERR_OK);
	assert_true(parquet_reader_column(r, 0)->nullable);
	struct batch out = {0};
	assert_int_equal(parquet_read_row_group(r, 0, NULL, &out), ERR_OK);
	const struct colvec *v = &out.cols[0];
	int64_t want[] = {1, 0, 3, 0, 5, 7, 8};
	assert_int_equal(v->len, 7);
	for (int i = 0; i < 7; i++) {
		assert_int_equal(colvec_is_null(v, (uint32_t)i), i == 1 || i == 3);
		assert_int_equal(v->i64[i], want[i]);
	}
	batch_free(&out);
	parquet_reader_free(r);
	/* a definition level of 2 in a column whose maximum is 1 */
	buf_reset(&f);
	buf_append(&f, "PAR1", 4);
	uint8_t lev3[] = {0x04, 0x02};
	put_page_v2(&f, 2, 0, lev3, sizeof(lev3), v2, sizeof(v2), false);
	o.rows = o.num_values = 2;
	o.comp = (int64_t)f.len - 4;
	put_footer(&f, &o);
	assert_int_equal(try_read(f.data, f.len), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "definition level"));
	buf_free(&f);
}

/* Thrift compact protocol: long-form field ids, negative numbers, long
 * lists, skipping of every type. */
static void test_thrift(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	struct tcw w;
	tcw_init(&w, &b);
	tcw_struct_begin(&w);
	tcw_field_i32(&w, 1, -5);
	tcw_field_i64(&w, 40, INT64_MIN);  /* delta > 15: long form */
	tcw_field_string(&w, 3, "abc");    /* negative delta: long form */
	tcw_field_list(&w, 4, TC_I32, 20); /* long list header */
	for (int i = 0; i < 20; i++)
		tcw_i32(&w, i * 1000 - 7);
	tcw_field_bool(&w, 5, true);
	tcw_field_bool(&w, 6, false);
	tcw_field_struct(&w, 7);
	tcw_field_i8(&w, 1, -3);
	tcw_struct_end(&w);
	/* fields of other types, to be skipped: a double, a list of bools, a map */
	tcw_field(&w, 8, TC_DOUBLE);
	buf_append(&b, "\0\0\0\0\0\0\xf0\x3f", 8);
	tcw_field(&w, 9, TC_LIST);
	buf_putc(&b, 0x31); /* 3 bools */
	buf_append(&b, "\1\0\1", 3);
	tcw_field(&w, 10, TC_MAP);
	buf_putc(&b, 2);    /* 2 entries */
	buf_putc(&b, 0x85); /* binary -> i32 */
	buf_append(&b, "\1k\2\1x\4", 6);
	tcw_field_i32(&w, 11, 77);
	tcw_struct_end(&w);
	assert_int_equal(tcw_finish(&w), ERR_OK);

	struct tcr r;
	tcr_init(&r, b.data, b.len);
	tcr_struct_begin(&r);
	int16_t id;
	uint8_t ty, elem;
	int seen = 0;
	while (tcr_field(&r, &id, &ty)) {
		uint32_t n;
		switch (id) {
		case 1:
			assert_int_equal(tcr_i32(&r, ty), -5);
			seen++;
			break;
		case 40:
			assert_true(tcr_i64(&r, ty) == INT64_MIN);
			seen++;
			break;
		case 3: {
			const uint8_t *p = tcr_binary(&r, ty, &n);
			assert_int_equal(n, 3);
			assert_memory_equal(p, "abc", 3);
			seen++;
			break;
		}
		case 4:
			n = tcr_list(&r, ty, &elem);
			assert_int_equal(n, 20);
			for (uint32_t i = 0; i < n; i++)
				assert_int_equal(tcr_elem_i32(&r, elem), (int32_t)i * 1000 - 7);
			seen++;
			break;
		case 5:
			assert_true(tcr_bool(&r, ty));
			seen++;
			break;
		case 6:
			assert_false(tcr_bool(&r, ty));
			seen++;
			break;
		case 7:
			tcr_struct_begin(&r);
			while (tcr_field(&r, &id, &ty))
				assert_int_equal(tcr_i64(&r, ty), -3);
			seen++;
			break;
		case 11:
			assert_int_equal(tcr_i32(&r, ty), 77);
			seen++;
			break;
		default:
			tcr_skip(&r, ty);
			break;
		}
	}
	assert_int_equal(r.err, 0);
	assert_int_equal(seen, 8);
	assert_true(r.p == r.end);
	/* wrong type for a field, truncated input */
	tcr_init(&r, b.data, b.len);
	tcr_struct_begin(&r);
	assert_true(tcr_field(&r, &id, &ty));
	tcr_binary(&r, ty, &(uint32_t){0});
	assert_int_equal(r.err, ERR_CORRUPT);
	for (size_t k = 0; k < b.len; k++) {
		tcr_init(&r, b.data, k);
		tcr_struct_begin(&r);
		while (tcr_field(&r, &id, &ty))
			tcr_skip(&r, ty);
		assert_int_equal(r.err, ERR_CORRUPT);
	}
	buf_free(&b);
}

/* Every allocation failing in turn: an error, no leak, no crash. */
static void test_oom(void **state)
{
	(void)state;
	struct parquet_column_def defs[] = {{"tag", DT_STRING, true, true},
	                                    {"v", DT_FLOAT64, true, false}};
	struct batch b;
	make_batch(&b, defs, 2, 50);
	struct buf good;
	write_file(defs, 2, NULL, &b, 1, &good);
	int ok_at = -1;
	for (long n = 0; n < 400 && ok_at < 0; n++) {
		mem_fail_after(n);
		struct parquet_writer *w = NULL;
		struct buf f;
		buf_init(&f);
		int rc = parquet_writer_open(defs, 2, NULL, &w);
		if (!rc)
			rc = parquet_writer_write(w, &b);
		if (!rc)
			rc = parquet_writer_finish(w, &f);
		parquet_writer_free(w);
		struct parquet_reader *r = NULL;
		struct batch out = {0};
		if (!rc)
			rc = parquet_reader_open_mem(good.data, good.len, &r);
		if (!rc)
			rc = parquet_read_row_group(r, 0, NULL, &out);
		mem_fail_after(-1);
		batch_free(&out);
		parquet_reader_free(r);
		buf_free(&f);
		if (rc)
			assert_int_equal(rc, ERR_NOMEM);
		else
			ok_at = (int)n;
	}
	assert_true(ok_at > 5);
	buf_free(&good);
	batch_free(&b);
}

int main(void)
{
	fx_seed(88172645463325252ull);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_defaults),
	    cmocka_unit_test(test_roundtrip_multi_rg_pages),
	    cmocka_unit_test(test_roundtrip_uncompressed_fallback),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_stats),
	    cmocka_unit_test(test_stats_per_row_group),
	    cmocka_unit_test(test_kv_and_projection),
	    cmocka_unit_test(test_empty_file),
	    cmocka_unit_test(test_bad_writer_input),
	    cmocka_unit_test(test_read_callback),
	    cmocka_unit_test(test_big_footer),
	    cmocka_unit_test(test_corrupt_truncate),
	    cmocka_unit_test(test_corrupt_flips),
	    cmocka_unit_test(test_crafted_files),
	    cmocka_unit_test(test_v2_pages),
	    cmocka_unit_test(test_thrift),
	    cmocka_unit_test(test_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
