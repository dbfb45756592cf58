/* Unit tests for the ingest fast paths, each against the plain path:
 *  - line_protocol: key hint match, SWAR name / tag-value scans and the
 *    short-decimal float parse (lp_batch.slow_path parses without them);
 *    random TSBS-like bodies, hostile mutations of them and every prefix
 *    must give the same result code, error message and line, and the same
 *    tables, columns and values (floats bit for bit); floats also equal
 *    strtod's double.
 *  - crc32c (SSE4.2 when present) equals the table-driven crc32c_sw.
 *  - memtable series lookup by tag-value hash: as many series as distinct
 *    memcomparable keys, every scanned row under its own key, with NULL,
 *    empty, NUL-holding, long middle-differing strings, -0.0 / NaN floats
 *    and enough series to rehash the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "base/buf.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/line_protocol.h"
#include "storage/memtable.h"
#include "storage/pk_codec.h"
#include "storage/scan.h"
#include "storage/schema.h"
#include "storage/wal.h"
#include "helpers/region_fixture.h"

#define NOW 1700000000123456789LL


/* ---- line protocol: fast vs slow ------------------------------------------ */

struct parsed {
	struct lp_batch b;
	int rc;
	char msg[600];
};

static void parse_as(struct parsed *p, const char *text, size_t len, bool slow)
{
	lp_batch_init(&p->b);
	p->b.slow_path = slow;
	err_clear();
	p->rc = lp_parse(&p->b, text, len, LP_PREC_MS, NOW);
	snprintf(p->msg, sizeof(p->msg), "%s", p->rc ? err_msg() : "");
}

static void assert_same_col(const struct colvec *a, const struct colvec *b, uint32_t nrows)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->len, b->len);
	assert_int_equal(a->len, nrows);
	for (uint32_t r = 0; r < a->len; r++) {
		bool na = colvec_is_null(a, r), nb = colvec_is_null(b, r);
		assert_int_equal(na, nb);
		if (na)
			continue;
		switch (dtype_phys(a->type)) {
		case PHYS_I64: assert_int_equal(a->i64[r], b->i64[r]); break;
		case PHYS_F64: assert_memory_equal(&a->f64[r], &b->f64[r], sizeof(double)); break;
		default: {
			uint32_t n1, n2;
			const char *p1 = colvec_bytes(a, r, &n1), *p2 = colvec_bytes(b, r, &n2);
			assert_int_equal(n1, n2);
			if (n1)
				assert_memory_equal(p1, p2, n1);
		}
		}
	}
}

/* Fast and slow parse of text agree on everything; returns the fast rc. */
static int check_same(const char *text, size_t len)
{
	struct parsed f, s;
	parse_as(&f, text, len, false);
	parse_as(&s, text, len, true);
	if (f.rc != s.rc || strcmp(f.msg, s.msg))
		fail_msg("fast rc %d '%s' / slow rc %d '%s' for: %.*s", f.rc, f.msg, s.rc, s.msg,
		         (int)(len > 300 ? 300 : len), text);
	assert_int_equal(f.b.err_line, s.b.err_line);
	if (f.rc == ERR_OK) {
		assert_int_equal(f.b.ntables, s.b.ntables);
		assert_int_equal(f.b.nrows, s.b.nrows);
		for (uint32_t i = 0; i < f.b.ntables; i++) {
			const struct lp_table *a = f.b.tables[i], *b = s.b.tables[i];
			assert_string_equal(a->name, b->name);
			assert_int_equal(a->ncols, b->ncols);
			assert_int_equal(a->rows.nrows, b->rows.nrows);
			for (uint32_t k = 0; k < a->ncols; k++) {
				assert_string_equal(a->cols[k].name, b->cols[k].name);
				assert_int_equal(a->cols[k].kind, b->cols[k].kind);
				assert_int_equal(a->cols[k].type, b->cols[k].type);
				assert_same_col(&a->rows.cols[k], &b->rows.cols[k], a->rows.nrows);
			}
		}
	}
	int rc = f.rc;
	lp_batch_free(&f.b);
	lp_batch_free(&s.b);
	return rc;
}

static const char *const tag_keys[] = {"hostname", "region", "datacenter", "rack", "os",
                                       "a",        "arch_x", "team",       "k\\ y", "c\\,d",
                                       "e\\=f"};
static const char *const field_keys[] = {"usage_user",   "usage_system", "u",      "idle",
                                         "usage_guest_nice", "f\\ g",    "h\\,i", "io"};
static const char *const tag_vals[] = {"host_0",  "us-west-1",  "x",         "94",
                                       "Ubuntu15.10", "v\\ w", "a\\,b",  "c\\=d",
                                       "é", "long_value_crossing_words_0123456789", "p\\\\q"};

static void put_float(struct buf *o)
{
	char tmp[64];
	switch (fx_rndn(8)) {
	case 0: snprintf(tmp, sizeof(tmp), "%u", fx_rndn(1000)); break;
	case 1: snprintf(tmp, sizeof(tmp), "-%u.%u", fx_rndn(100), fx_rndn(100)); break;
	case 2: snprintf(tmp, sizeof(tmp), "%u.%0*u", fx_rndn(100000000), 1 + (int)fx_rndn(7), fx_rndn(10000000)); break;
	case 3: snprintf(tmp, sizeof(tmp), "%ue%d", fx_rndn(100), (int)fx_rndn(40) - 20); break;
	case 4: snprintf(tmp, sizeof(tmp), "%ui", fx_rndn(1000)); break;
	case 5: snprintf(tmp, sizeof(tmp), "%s", fx_rndn(2) ? "true" : "F"); break;
	case 6: snprintf(tmp, sizeof(tmp), "\"s%u\"", fx_rndn(10)); break;
	default: snprintf(tmp, sizeof(tmp), "%u.%02u", fx_rndn(100), fx_rndn(100)); break;
	}
	buf_append(o, tmp, strlen(tmp));
}

/* A TSBS-like line; keys sometimes reordered, dropped or swapped between
 * tag and field. */
static void gen_line(struct buf *o, bool shuffle)
{
	const char *meas = fx_rndn(10) ? "cpu" : (fx_rndn(2) ? "mem" : "c\\ pu");
	buf_append(o, meas, strlen(meas));
	uint32_t nt = shuffle ? fx_rndn(6) : 5, nf = shuffle ? 1 + fx_rndn(5) : 5;
	for (uint32_t i = 0; i < nt; i++) {
		const char *k = tag_keys[shuffle ? fx_rndn(11) : i];
		const char *v = tag_vals[shuffle ? fx_rndn(11) : (i + fx_rndn(2)) % 11];
		buf_putc(o, ',');
		buf_append(o, k, strlen(k));
		buf_putc(o, '=');
		buf_append(o, v, strlen(v));
	}
	buf_putc(o, ' ');
	for (uint32_t i = 0; i < nf; i++) {
		const char *k = shuffle && fx_rndn(8) == 0 ? tag_keys[fx_rndn(11)] : field_keys[shuffle ? fx_rndn(8) : i];
		if (i)
			buf_putc(o, ',');
		buf_append(o, k, strlen(k));
		buf_putc(o, '=');
		if (shuffle)
			put_float(o);
		else {
			char tmp[32];
			snprintf(tmp, sizeof(tmp), "%u.%02u", fx_rndn(100), fx_rndn(100));
			buf_append(o, tmp, strlen(tmp));
		}
	}
	if (fx_rndn(8)) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), " %llu", 1451606400000ULL + fx_rndn(100000));
		buf_append(o, tmp, strlen(tmp));
	}
	buf_putc(o, '\n');
}

static void test_lp_tsbs_lines(void **state)
{
	(void)state;
	struct buf o;
	buf_init(&o);
	for (int i = 0; i < 400; i++)
		gen_line(&o, false);
	assert_int_equal(check_same((const char *)o.data, o.len), ERR_OK);
	buf_free(&o);
}

static void test_lp_random_bodies(void **state)
{
	(void)state;
	struct buf o;
	buf_init(&o);
	int ok = 0, bad = 0;
	for (int it = 0; it < 3000; it++) {
		buf_reset(&o);
		uint32_t n = 1 + fx_rndn(12);
		for (uint32_t i = 0; i < n; i++)
			gen_line(&o, fx_rndn(3) == 0);
		if (check_same((const char *)o.data, o.len) == ERR_OK)
			ok++;
		else
			bad++;
	}
	/* both outcomes are exercised */
	assert_true(ok > 100);
	assert_true(bad > 100);
	buf_free(&o);
}

/* A key interned unescaped (holding , = or space) must not be matched by
 * raw text that spells the unescaped bytes: the plain scan ends the key
 * earlier there. Also keys that are prefixes of each other, and a key
 * position whose previous occupant was a tag and is now a field. */
static void test_lp_hint_traps(void **state)
{
	(void)state;
	static const char *const bodies[] = {
	    "m,a\\,b=1 f=1 1\nm,a,b=1 f=1 2\n",
	    "m,k\\=x=1 f=1 1\nm,k=x=1 f=1 2\n",
	    "m,k\\ y=1 f=1 1\nm,k y=1 f=1 2\n",
	    "m f\\,g=1 1\nm f,g=1 2\n",
	    "m f\\=g=1 1\nm f=g=1 2\n",
	    "m,ab=1,a=2 f=1 1\nm,a=1,ab=2 f=1 2\nm,a=3 ab=1 3\n",
	    "m,t=1 f=1 1\nm f=1,t=2 2\n",
	    "m,t=1 f=1 1\nm,f=1 t=2 2\n",
	    "m f=1 1\nm f=1i 2\n",
	    "m f=1,g=2 1\nm f=3,f=4 2\n",
	    "m,t=1,t=2 f=1 1\n",
	    "m,t=1 f=1 1\nm,t=2 f= 2\n",
	    "m,t=1 f=1 1\nm,t= f=1 2\n",
	    "m,t=1 f=1 1\nm,t=1 f=1x 2\n",
	    "m,t=1 f=1 1\nm,t=1 f=1.5.5 2\n",
	    "m,t=1 f=1 1\nm,t=1 f=\"s\" 2\n",
	    "m,greptime_timestamp=1 f=1 1\n",
	    "m f=1 1\nm greptime_timestamp=1 2\n",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		check_same(bodies[i], strlen(bodies[i]));
	/* the trap bodies really parse differently from their first line */
	struct parsed f;
	parse_as(&f, bodies[0], strlen(bodies[0]), false);
	assert_int_not_equal(f.rc, ERR_OK);
	lp_batch_free(&f.b);
	parse_as(&f, bodies[1], strlen(bodies[1]), false);
	assert_int_equal(f.rc, ERR_OK);
	const struct lp_table *t = lp_batch_find(&f.b, "m");
	assert_non_null(t);
	assert_true(lp_table_col(t, "k=x") >= 0 && lp_table_col(t, "k") >= 0);
	lp_batch_free(&f.b);
}

static const char hostile[] = {',', '=', ' ', '\t', '\n', '\\', '"', '-', '.', '0', '5',
                               'e', 'i', 'u', 't', 'f', '\r', '#', 'a', 'z', '9'};

static void test_lp_hostile_mutations(void **state)
{
	(void)state;
	struct buf o;
	buf_init(&o);
	for (int it = 0; it < 3000; it++) {
		buf_reset(&o);
		uint32_t n = 1 + fx_rndn(4);
		for (uint32_t i = 0; i < n; i++)
			gen_line(&o, fx_rndn(2) == 0);
		uint32_t muts = 1 + fx_rndn(4);
		for (uint32_t m = 0; m < muts && o.len; m++)
			o.data[fx_rndn((uint32_t)o.len)] = (uint8_t)hostile[fx_rndn(sizeof(hostile))];
		check_same((const char *)o.data, o.len);
	}
	/* every prefix of a few bodies (cuts inside names, values, escapes) */
	for (int it = 0; it < 6; it++) {
		buf_reset(&o);
		for (int i = 0; i < 3; i++)
			gen_line(&o, it & 1);
		for (size_t cut = 0; cut <= o.len; cut++) {
			char *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
			memcpy(copy, o.data, cut);
			check_same(copy, cut);
			free(copy);
		}
	}
	buf_free(&o);
}

/* One float field value through both paths, with the value last in the
 * body (short tail: byte loop) and followed by a timestamp (SWAR). */
static void check_float(const char *v)
{
	char line[200];
	for (int tail = 0; tail < 2; tail++) {
		int n = snprintf(line, sizeof(line), "m f=%s%s", v, tail ? "" : " 1451606400000\n");
		/* the exact-length copy puts the end of the buffer right after it */
		char *copy = malloc((size_t)n);
		memcpy(copy, line, (size_t)n);
		struct parsed f;
		parse_as(&f, copy, (size_t)n, false);
		int rc = check_same(copy, (size_t)n);
		if (rc == ERR_OK) {
			const struct lp_table *t = lp_batch_find(&f.b, "m");
			assert_non_null(t);
			int ci = lp_table_col(t, "f");
			assert_true(ci >= 0);
			if (t->cols[ci].type == DT_FLOAT64) {
				double want = strtod(v, NULL);
				double got = t->rows.cols[ci].f64[0];
				if (memcmp(&want, &got, sizeof(double)))
					fail_msg("'%s': got %.17g want %.17g", v, got, want);
			}
		}
		lp_batch_free(&f.b);
		free(copy);
	}
}

static void test_lp_floats_vs_strtod(void **state)
{
	(void)state;
	static const char *const edge[] = {
	    "0",  "-0", "0.0", "-0.0", "1.", ".5", "-.5", "00000001.5", "1234567.1234567",
	    "12345678.5", "1.12345678", "9007199254740992", "9007199254740993",
	    "999999999999999999", "9999999999999999999", "0.000000000000000000001",
	    "0.1", "0.3", "2.675", "100", "-", ".", "-.", "1.2.3", "1e5", "1E-5", "+5",
	    "1_0", "0x10", "5..", "1234567", "7654321.7654321", "99999999.99999999",
	    "4503599627370497.5", "1.7976931348623157e308", "1e400", "-1e400", "NaN", "inf"};
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		check_float(edge[i]);
	char v[64];
	for (int it = 0; it < 20000; it++) {
		int ni = (int)fx_rndn(10), nf = (int)fx_rndn(10), k = 0;
		if (fx_rndn(2))
			v[k++] = '-';
		for (int i = 0; i < ni; i++)
			v[k++] = (char)('0' + fx_rndn(10));
		if (fx_rndn(4))
			v[k++] = '.';
		for (int i = 0; i < nf; i++)
			v[k++] = (char)('0' + fx_rndn(10));
		v[k] = 0;
		check_float(v);
	}
}

/* ---- checksum (WAL records, RPC frames) ------------------------------------------------------------- */

static void test_wal_crc_matches(void **state)
{
	(void)state;
	uint8_t buf[300];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)fx_rnd();
	/* check value of CRC-32C("123456789") */
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c_sw(0, "123456789", 9), 0xE3069283u);
	for (size_t off = 0; off < 9; off++)
		for (size_t n = 0; n + off <= sizeof(buf); n += 1 + n / 16) {
			uint32_t seed = (uint32_t)fx_rnd();
			assert_int_equal(crc32c(0, buf + off, n), crc32c_sw(0, buf + off, n));
			assert_int_equal(crc32c(seed, buf + off, n), crc32c_sw(seed, buf + off, n));
			/* chained = whole */
			size_t h = n / 3;
			assert_int_equal(crc32c(crc32c(0, buf + off, h), buf + off + h, n - h),
			                 crc32c(0, buf + off, n));
		}
}

/* ---- memtable series lookup ---------------------------------------------------------- */

enum { M_TS, M_S1, M_I, M_F, M_S2, M_V, M_NCOLS };

static struct region_schema *mt_schema(void)
{
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	s->ncols = M_NCOLS;
	s->cols = mem_calloc(M_NCOLS, sizeof(*s->cols));
	const char *names[] = {"ts", "s1", "i", "f", "s2", "v"};
	const enum dtype types[] = {DT_TS_MS, DT_STRING, DT_INT64, DT_FLOAT64, DT_BINARY, DT_FLOAT64};
	const enum semantic_type sems[] = {SEM_TIMESTAMP, SEM_TAG, SEM_TAG, SEM_TAG, SEM_TAG, SEM_FIELD};
	for (uint32_t i = 0; i < M_NCOLS; i++)
		s->cols[i] = (struct column_schema){.name = mem_strdup(names[i]), .type = types[i],
		                                    .sem = sems[i], .nullable = i != 0,
		                                    .column_id = i};
	s->ts_col = M_TS;
	s->npk = 4;
	s->pk_cols = mem_calloc(4, sizeof(uint32_t));
	s->pk_cols[0] = M_S1;
	s->pk_cols[1] = M_I;
	s->pk_cols[2] = M_F;
	s->pk_cols[3] = M_S2;
	assert_int_equal(region_schema_validate(s), ERR_OK);
	return s;
}

static int cmp_keys(const void *a, const void *b)
{
	const struct buf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int d = n ? memcmp(x->data, y->data, n) : 0;
	return d ? d : (x->len > y->len) - (x->len < y->len);
}

static void test_memtable_series_identity(void **state)
{
	(void)state;
	struct region_schema *s = mt_schema();
	struct memtable *m;
	assert_int_equal(memtable_create(s, &m), ERR_OK);
	enum dtype types[M_NCOLS];
	for (uint32_t i = 0; i < M_NCOLS; i++)
		types[i] = s->cols[i].type;
	static const char *const strs[] = {"", "a", "b", "host_1", "host_10",
	                                   "prefix_aaaaaaaaaaaaaa_x_bbbbbbbbbbbbbbbbbbbb_suffix",
	                                   "prefix_aaaaaaaaaaaaaa_y_bbbbbbbbbbbbbbbbbbbb_suffix"};
	double nan1 = NAN, nan2;
	uint64_t bits;
	memcpy(&bits, &nan1, 8);
	bits ^= 1; /* another NaN payload */
	memcpy(&nan2, &bits, 8);
	const double flts[] = {0.0, -0.0, 1.5, nan1, nan2};
	const int64_t ints[] = {0, -1, INT64_MIN, 7};
	const uint32_t nrows = 6000;
	struct buf *keys = mem_calloc(nrows, sizeof(struct buf));
	uint64_t seq = 1;
	for (uint32_t done = 0; done < nrows;) {
		struct batch b;
		assert_int_equal(batch_init(&b, M_NCOLS, types), ERR_OK);
		uint32_t n = 1 + fx_rndn(700);
		if (n > nrows - done)
			n = nrows - done;
		for (uint32_t r = 0; r < n; r++) {
			bool repeat = r > 0 && fx_rndn(4) == 0; /* same tags as the row before */
			for (uint32_t k = 0; k < 4; k++) {
				uint32_t ci = s->pk_cols[k];
				struct colvec *c = &b.cols[ci];
				if (repeat) { /* copied out first: a push may move c's memory */
					uint32_t ln = 0;
					char tmp[128];
					if (colvec_is_null(c, r - 1)) {
						assert_int_equal(colvec_push_null(c), ERR_OK);
					} else if (ci == M_I) {
						assert_int_equal(colvec_push_i64(c, c->i64[r - 1]), ERR_OK);
					} else if (ci == M_F) {
						assert_int_equal(colvec_push_f64(c, c->f64[r - 1]), ERR_OK);
					} else {
						const char *q = colvec_bytes(c, r - 1, &ln);
						assert_true(ln <= sizeof(tmp));
						memcpy(tmp, q, ln);
						assert_int_equal(colvec_push_bytes(c, tmp, ln), ERR_OK);
					}
					continue;
				}
				if (fx_rndn(6) == 0) {
					assert_int_equal(colvec_push_null(c), ERR_OK);
					continue;
				}
				if (ci == M_I) {
					assert_int_equal(colvec_push_i64(c, ints[fx_rndn(4)]), ERR_OK);
				} else if (ci == M_F) {
					assert_int_equal(colvec_push_f64(c, flts[fx_rndn(5)]), ERR_OK);
				} else if (ci == M_S2 && fx_rndn(3) == 0) {
					char z[3] = {'x', 0, (char)('0' + fx_rndn(3))}; /* holds a NUL */
					assert_int_equal(colvec_push_bytes(c, z, 3), ERR_OK);
				} else {
					/* many series: a numbered suffix on s1 */
					char tmp[80];
					int l = snprintf(tmp, sizeof(tmp), "%s%u", strs[fx_rndn(7)],
					                 ci == M_S1 ? fx_rndn(150) : 0);
					assert_int_equal(colvec_push_bytes(c, tmp, (size_t)l), ERR_OK);
				}
			}
			assert_int_equal(colvec_push_i64(&b.cols[M_TS], (int64_t)(done + r)), ERR_OK);
			assert_int_equal(colvec_push_f64(&b.cols[M_V], r), ERR_OK);
			b.nrows++;
			buf_init(&keys[done + r]);
			assert_int_equal(pk_encode_row(s, &b, r, &keys[done + r]), ERR_OK);
		}
		assert_int_equal(memtable_write(m, &b, seq, OP_PUT), ERR_OK);
		seq += n;
		done += n;
		batch_free(&b);
	}
	qsort(keys, nrows, sizeof(struct buf), cmp_keys);
	uint32_t distinct = 0;
	for (uint32_t i = 0; i < nrows; i++)
		if (i == 0 || cmp_keys(&keys[i], &keys[i - 1]))
			distinct++;
	assert_true(distinct > 1000); /* the series table rehashed */
	assert_int_equal(memtable_num_series(m), distinct);
	assert_int_equal(memtable_num_rows(m), nrows);

	/* every scanned row sits under its own key */
	memtable_freeze(m);
	struct sorted_source *src;
	assert_int_equal(memtable_scan(m, NULL, 0, UINT64_MAX, &src), ERR_OK);
	const struct batch *ob;
	uint32_t seen = 0;
	struct buf k;
	buf_init(&k);
	while (sorted_source_next(src, &ob) == ERR_OK && ob) {
		for (uint32_t r = 0; r < ob->nrows; r++) {
			buf_reset(&k);
			assert_int_equal(pk_encode_row(s, ob, r, &k), ERR_OK);
			uint32_t n;
			const char *p = colvec_bytes(&ob->cols[s->ncols], r, &n);
			assert_int_equal(n, k.len);
			if (n)
				assert_memory_equal(p, k.data, n);
		}
		seen += ob->nrows;
	}
	assert_int_equal(seen, nrows);
	sorted_source_close(src);
	buf_free(&k);
	for (uint32_t i = 0; i < nrows; i++)
		buf_free(&keys[i]);
	mem_free(keys);
	memtable_free(m);
	region_schema_free(s);
}

int main(void)
{
	fx_seed(88172645463325252ULL);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lp_tsbs_lines),
	    cmocka_unit_test(test_lp_random_bodies),
	    cmocka_unit_test(test_lp_hostile_mutations),
	    cmocka_unit_test(test_lp_hint_traps),
	    cmocka_unit_test(test_lp_floats_vs_strtod),
	    cmocka_unit_test(test_wal_crc_matches),
	    cmocka_unit_test(test_memtable_series_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
