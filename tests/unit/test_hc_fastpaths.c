/*
 * Tests of the fast paths behind a high-cpu style query (many rows of
 * doubles, tags and timestamps returned in time order), each against the
 * plain path it stands in for:
 *   - vfmt_double (few-digit SWAR text, the inlined k hint) against
 *     vfmt_double_ref (the printf / strtod search alone): random doubles of
 *     several shapes (fixed seed; HC_DOUBLES=n runs n of them) and edge
 *     cases after every k hint, both flavors, byte for byte;
 *   - vfmt_ts_text (two-digit moves, the cached civil date) against a
 *     reference built from gmtime_r, for every unit, UTC and a fixed
 *     offset, consecutive values on one day and alternating days;
 *   - ORDER BY over input already in order (the sort hands its
 *     accumulated columns over) and not in order, with NULLs, duplicates
 *     (stability), several input batches, DESC and LIMIT, against a model;
 *   - sst_gather_rows of strings of every length 0..40 (the inline short
 *     copies), with NULLs, against the source values;
 *   - an SST scan with a tag EQ and a field predicate (the late read, tag
 *     predicates proved by page statistics and not evaluated) over series
 *     that share pages (a short series before or after a long one, NULL
 *     tags counted in the chunk statistics) against a model;
 *   - parquet row-range reads of non-null PLAIN doubles and dictionary
 *     strings of every short length (the inline moves) against a full
 *     decode, and the same reads of corrupted files (never a crash).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "server/value_format.h"
#include "sql/exec.h"
#include "sql/parser.h"
#include "storage/parquet.h"
#include "storage/sst_int.h"
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/region.h"

/* ---- doubles ------------------------------------------------------------ */

static long mismatches;

static void check_double(double d)
{
	for (int f = VFMT_MYSQL; f <= VFMT_PG; f++) {
		char a[VFMT_DOUBLE_MAX], b[VFMT_DOUBLE_MAX];
		size_t x = vfmt_double(a, d, 0, f), y = vfmt_double_ref(b, d, 0, f);
		if (x != y || memcmp(a, b, x)) {
			if (mismatches++ < 10)
				print_error("%.17g flavor %d: fast '%.*s' ref '%.*s'\n", d, f, (int)x, a,
					    (int)y, b);
		}
	}
}

static double random_double(uint32_t shape)
{
	static const double p10[] = {1,    1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
				     1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
	uint64_t r = fx_rnd();
	double d;
	switch (shape % 8) {
	case 0: /* any bit pattern */
		memcpy(&d, &r, sizeof(d));
		break;
	case 1: /* up to 8 digits, 0..11 decimals */
		d = (double)(r % 100000000) / p10[fx_rndn(12)];
		break;
	case 2: /* TSBS-like: 0.00 .. 100.00 */
		d = (double)(r % 10001) / 100.0;
		break;
	case 3: /* up to 12 digits, 0..18 decimals */
		d = (double)(r % 1000000000000ull) / p10[fx_rndn(19)];
		break;
	case 4: { /* neighbours of short decimals */
		d = (double)(r % 100000) / 1000.0;
		uint64_t bits;
		memcpy(&bits, &d, sizeof(bits));
		bits += (uint64_t)((int64_t)fx_rndn(5) - 2);
		memcpy(&d, &bits, sizeof(d));
		break;
	}
	case 5: /* integers and halves near the 2^53 and 10^8 limits */
		d = fx_rndn(2) ? 9007199254740992.0 - (double)fx_rndn(1000)
			    : 1e8 + ((double)fx_rndn(2000) - 1000.0) / (fx_rndn(2) ? 1 : 8);
		break;
	case 6: /* wide binary range */
		d = ldexp((double)(r >> 11), -(int)fx_rndn(90));
		break;
	default: /* full 53-bit significands over the exact 15-17 digit
		  * range [1e-6, 2^63) and a little past both ends, now and
		  * then a power of two (the nearer lower neighbour) */
		d = ldexp((double)((r >> 11) | (1ull << 52)), (int)fx_rndn(88) - 75 - 52);
		if (fx_rndn(16) == 0)
			d = ldexp(1.0, (int)fx_rndn(88) - 75);
		break;
	}
	return fx_rndn(2) ? -d : d;
}

static void test_double_random(void **state)
{
	(void)state;
	long n = 200000;
	const char *env = getenv("HC_DOUBLES");
	if (env && atol(env) > 0)
		n = atol(env);
	mismatches = 0;
	for (long i = 0; i < n; i++)
		check_double(random_double((uint32_t)fx_rnd()));
	assert_int_equal(mismatches, 0);
}

static void test_double_edges(void **state)
{
	(void)state;
	static const double edges[] = {
	    0.0,         1.0,          0.1,         0.5,          0.25,       0.057,
	    0.07,        0.01,         0.0001,      0.00012,      0.000123,   0.0001234,
	    0.00001,     0.000012,     1e-6,        9.99e-7,      1.5e-6,     0.1 + 0.2,
	    1.0 / 3,     2.0 / 3,      12.5,        14.63,        49.6,       100.0,
	    99.99,       90.01,        1234567.0,   12345678.0,   99999999.0, 100000000.0,
	    100000001.0, 9999999.9,    999999.99,   99999.999,    9999.9999,  999.99999,
	    99.999999,   9.9999999,    0.99999999,  0.099999999,  1234567.8,  123456.78,
	    12345.678,   1234.5678,    123.45678,   12.345678,    1.2345678,  0.12345678,
	    1e14,        1e15 - 1,     1e15,        1e15 + 1,     1e16,       1e17,
	    123456789012345.0,         12345678901234.5,          4503599627370496.0,
	    4503599627370495.5,        9007199254740991.0,        9007199254740992.0,
	    1e21,        1e22,         1e23,        5e-324,       2.2250738585072014e-308,
	    1.7976931348623157e308,    0.3,         2.675,        1.005,      1.0000001,
	    3.14159,     2.718281828,  65.43,       10.0,         20.5,       300.25,
	};
	static const double hints[] = {1.0, 0.5, 0.25, 0.125, 0.0625, 1.03125, 1.015625,
				       1.0078125, 1.00390625, 1.001953125, 1.0009765625,
				       1.00048828125, 0.000244140625, 1.0001220703125,
				       1.00006103515625, 1.000030517578125};
	mismatches = 0;
	for (size_t h = 0; h < sizeof(hints) / sizeof(hints[0]); h++)
		for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
			char t[VFMT_DOUBLE_MAX];
			vfmt_double(t, hints[h], 0, VFMT_PG); /* sets the k hint */
			check_double(edges[i]);
			vfmt_double(t, hints[h], 0, VFMT_PG);
			check_double(-edges[i]);
			/* the neighbours */
			double up = nextafter(edges[i], INFINITY), dn = nextafter(edges[i], 0);
			check_double(up);
			check_double(dn);
		}
	/* powers of two and ten across the exact digit path's range and
	 * past its ends, with their neighbours */
	for (int k = -25; k <= 66; k++) {
		double base[2] = {ldexp(1.0, k), k >= -8 && k <= 20 ? pow(10.0, k) : 1.0};
		for (int b = 0; b < 2; b++) {
			double x = base[b];
			for (int step = 0; step < 3; step++) {
				check_double(x);
				x = nextafter(x, INFINITY);
			}
			x = base[b];
			for (int step = 0; step < 3; step++) {
				x = nextafter(x, 0);
				check_double(x);
			}
		}
	}
	assert_int_equal(mismatches, 0);
	/* a few texts spelled out (the reference is a search, so these pin
	 * the shape of the text too) */
	char t[VFMT_DOUBLE_MAX];
	struct {
		double d;
		const char *pg;
	} fixed[] = {{14.63, "14.63"},    {49.6, "49.6"},         {0.057, "0.057"},
		     {100.0, "100"},      {0.0001, "0.0001"},     {1e-5, "1e-05"},
		     {12345678.5, "12345678.5"}, {-0.25, "-0.25"}, {1e15, "1e+15"},
		     {123456789012345.0, "123456789012345"},
		     {0.1 + 0.2, "0.30000000000000004"}, {1.0 / 3, "0.3333333333333333"},
		     {2.0 / 3, "0.6666666666666666"}, {9007199254740993.0, "9.007199254740992e+15"}};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		size_t n = vfmt_double(t, fixed[i].d, 0, VFMT_PG);
		t[n] = 0;
		assert_string_equal(t, fixed[i].pg);
	}
}

/* ---- timestamps ---------------------------------------------------------- */

/* The reference text of value v (units per second ups) at offset off:
 * gmtime_r of the shifted seconds, printf of the fields. */
static size_t ts_ref(char *out, int64_t v, int64_t ups, int32_t off)
{
	int64_t secs = v / ups, frac = v % ups;
	if (frac < 0) {
		frac += ups;
		secs--;
	}
	int64_t us = ups >= 1000000 ? frac / (ups / 1000000) : frac * (1000000 / ups);
	time_t t = (time_t)(secs + off);
	struct tm tm;
	assert_non_null(gmtime_r(&t, &tm));
	return (size_t)snprintf(out, VFMT_TS_MAX, "%04lld-%02d-%02d %02d:%02d:%02d.%06lld",
				(long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				tm.tm_min, tm.tm_sec, (long long)us);
}

static void check_ts(int64_t v, enum dtype t, int64_t ups, const struct vfmt_tz *tz, int32_t off)
{
	char a[VFMT_TS_MAX], b[VFMT_TS_MAX];
	size_t x = vfmt_ts_text(a, v, t, tz), y = ts_ref(b, v, ups, off);
	if (x != y || memcmp(a, b, x))
		fail_msg("ts %lld type %d: '%.*s' vs '%.*s'", (long long)v, (int)t, (int)x, a,
			 (int)y, b);
	/* vfmt_text renders the same */
	struct colvec cv;
	colvec_init(&cv, t);
	assert_int_equal(colvec_push_i64(&cv, v), ERR_OK);
	struct buf o;
	buf_init(&o);
	assert_int_equal(vfmt_text(&o, &cv, 0, VFMT_PG, tz), ERR_OK);
	assert_int_equal(o.len, x);
	assert_memory_equal(o.data, a, x);
	buf_free(&o);
	colvec_free(&cv);
}

static void test_ts_text(void **state)
{
	(void)state;
	static const struct {
		enum dtype t;
		int64_t ups;
	} units[] = {{DT_TS_S, 1}, {DT_TS_MS, 1000}, {DT_TS_US, 1000000}, {DT_TS_NS, 1000000000}};
	struct vfmt_tz utc = {0}, ist;
	assert_int_equal(vfmt_tz_resolve("+05:30", &ist), ERR_OK);
	for (size_t u = 0; u < 4; u++) {
		int64_t ups = units[u].ups;
		for (int z = 0; z < 2; z++) {
			const struct vfmt_tz *tz = z ? &ist : &utc;
			int32_t off = z ? 19800 : 0;
			/* random instants 1900..2200 (ns: the int64 range) */
			int64_t span = ups == 1000000000 ? 9000000000LL : 9400000000LL;
			for (int i = 0; i < 3000; i++) {
				int64_t s = (int64_t)(fx_rnd() % (uint64_t)span) - 2200000000LL;
				int64_t v = s * ups + (int64_t)(fx_rnd() % (uint64_t)ups);
				check_ts(v, units[u].t, ups, tz, off);
				/* the next value on the same day, then one on another */
				check_ts(v + ups * (int64_t)fx_rndn(60), units[u].t, ups, tz, off);
				check_ts(v - ups * 86400 * (1 + (int64_t)fx_rndn(3)), units[u].t, ups, tz,
					 off);
			}
			/* a run of 10 s steps across midnight and a month end */
			int64_t t0 = 1451606400LL - 3600; /* 2015-12-31 23:00 UTC */
			for (int64_t s = t0; s < t0 + 7200; s += 10)
				check_ts(s * ups, units[u].t, ups, tz, off);
			/* negative times, the epoch, a leap day */
			int64_t special[] = {-1, 0, 1, -86400, 951782400, 951868799, 4107542400LL};
			for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
				check_ts(special[i] * ups, units[u].t, ups, tz, off);
				check_ts(special[i] * ups - 1, units[u].t, ups, tz, off);
			}
		}
	}
}

/* ---- ORDER BY over ordered input --------------------------------------- */

#define NCOL 4 /* ts, host, v, n */

struct mem_table {
	struct table_provider tp;
	struct table_column cols[NCOL];
	struct batch data;
	uint32_t batch_rows;
};

struct mem_stream {
	struct batch_stream bs;
	struct mem_table *t;
	uint32_t pos;
	struct batch out;
	bool out_init;
};

static int ms_next(struct batch_stream *s, const struct batch **out)
{
	struct mem_stream *m = (struct mem_stream *)s;
	struct mem_table *t = m->t;
	*out = NULL;
	if (m->pos >= t->data.nrows)
		return 0;
	uint32_t n = t->data.nrows - m->pos;
	if (n > t->batch_rows)
		n = t->batch_rows;
	if (!m->out_init) {
		enum dtype tt[NCOL];
		for (uint32_t c = 0; c < NCOL; c++)
			tt[c] = t->cols[c].type;
		if (batch_init(&m->out, NCOL, tt))
			return ERR_NOMEM;
		m->out_init = true;
	}
	batch_reset(&m->out);
	for (uint32_t c = 0; c < NCOL; c++)
		if (colvec_append_range(&m->out.cols[c], &t->data.cols[c], m->pos, n))
			return ERR_NOMEM;
	m->out.nrows = n;
	m->pos += n;
	*out = &m->out;
	return 0;
}

static void ms_close(struct batch_stream *s)
{
	struct mem_stream *m = (struct mem_stream *)s;
	if (m->out_init)
		batch_free(&m->out);
	free(m);
}

static int mt_scan(struct table_provider *tp, const struct scan_request *req,
		   struct batch_stream **out)
{
	(void)req; /* every column, every row: the engine filters */
	struct mem_stream *m = calloc(1, sizeof(*m));
	if (!m)
		return ERR_NOMEM;
	m->bs.next = ms_next;
	m->bs.close = ms_close;
	m->t = tp->ctx;
	*out = &m->bs;
	return 0;
}

static void mt_release(struct table_provider *tp)
{
	(void)tp;
}

static const char *mt_describe(struct table_provider *tp)
{
	(void)tp;
	return "mem";
}

static struct mem_table table;

static int resolve(void *ctx, struct session *s, const struct sql_name *name,
		   struct table_provider **out)
{
	(void)ctx, (void)s, (void)name;
	*out = &table.tp;
	return 0;
}

static void table_make(uint32_t n, bool ordered, bool dups, uint32_t batch_rows)
{
	static const char *names[NCOL] = {"ts", "host", "v", "n"};
	static const enum dtype types[NCOL] = {DT_TS_MS, DT_STRING, DT_FLOAT64, DT_INT64};
	memset(&table, 0, sizeof(table));
	for (uint32_t c = 0; c < NCOL; c++) {
		table.cols[c].name = names[c];
		table.cols[c].type = types[c];
		table.cols[c].nullable = c != 0;
		table.cols[c].is_time_index = c == 0;
		table.cols[c].is_tag = c == 1;
	}
	table.tp.name = "cpu";
	table.tp.ncols = NCOL;
	table.tp.cols = table.cols;
	table.tp.scan = mt_scan;
	table.tp.release = mt_release;
	table.tp.describe_scan = mt_describe;
	table.tp.ctx = &table;
	table.batch_rows = batch_rows;
	enum dtype tt[NCOL];
	memcpy(tt, types, sizeof(tt));
	assert_int_equal(batch_init(&table.data, NCOL, tt), ERR_OK);
	int64_t ts = 1451606400000LL;
	for (uint32_t i = 0; i < n; i++) {
		if (ordered)
			ts += dups && fx_rndn(3) == 0 ? 0 : 1 + fx_rndn(20000);
		else
			ts = 1451606400000LL + fx_rndn(dups ? 50 : 100000000);
		assert_int_equal(colvec_push_i64(&table.data.cols[0], ts), ERR_OK);
		char h[32];
		int hl = snprintf(h, sizeof(h), "host_%u", fx_rndn(40));
		if (fx_rndn(13) == 0)
			assert_int_equal(colvec_push_null(&table.data.cols[1]), ERR_OK);
		else
			assert_int_equal(colvec_push_bytes(&table.data.cols[1], h, (size_t)hl),
					 ERR_OK);
		if (fx_rndn(11) == 0)
			assert_int_equal(colvec_push_null(&table.data.cols[2]), ERR_OK);
		else
			assert_int_equal(colvec_push_f64(&table.data.cols[2], fx_rndn(10001) / 100.0),
					 ERR_OK);
		assert_int_equal(colvec_push_i64(&table.data.cols[3], (int64_t)i), ERR_OK);
	}
	table.data.nrows = n;
}

static struct sort_model {
	const struct batch *b;
	bool desc;
} model;

static int model_cmp(const void *x, const void *y)
{
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	int64_t a = model.b->cols[0].i64[i], b = model.b->cols[0].i64[j];
	int r = a < b ? -1 : a > b;
	if (model.desc)
		r = -r;
	return r ? r : (i < j ? -1 : i > j); /* stable */
}

/* Run sql (ORDER BY ts [DESC] [LIMIT k] over cpu, rows with v > thr) and
 * compare with the model: the table's rows filtered, stably sorted. */
static void check_sorted(const char *sql, double thr, bool desc, uint64_t limit)
{
	struct session sess;
	struct exec_env env;
	session_init(&sess, SESSION_HTTP, 1);
	memset(&env, 0, sizeof(env));
	env.resolve_table = resolve;
	env.now_ms = 1700000000123LL;
	struct arena *a = arena_create(4096);
	struct sql_stmt_list l;
	assert_int_equal(sql_parse(sql, a, &l), ERR_OK);
	struct result_set rs;
	assert_int_equal(sql_exec_query(&env, &sess, l.items[0]->u.query, a, &rs), ERR_OK);
	const struct batch *d = &table.data;
	uint32_t *idx = malloc(((size_t)d->nrows + 1) * sizeof(uint32_t)), k = 0;
	for (uint32_t i = 0; i < d->nrows; i++)
		if (!colvec_is_null(&d->cols[2], i) && d->cols[2].f64[i] > thr)
			idx[k++] = i;
	model.b = d;
	model.desc = desc;
	qsort(idx, k, sizeof(uint32_t), model_cmp);
	if (limit < k)
		k = (uint32_t)limit;
	assert_int_equal(rs.rows.nrows, k);
	assert_int_equal(rs.ncols, NCOL);
	for (uint32_t r = 0; r < k; r++) {
		uint32_t i = idx[r];
		const struct colvec *c = rs.rows.cols;
		assert_int_equal(c[0].i64[r], d->cols[0].i64[i]);
		assert_int_equal(c[3].i64[r], d->cols[3].i64[i]);
		assert_true(c[2].f64[r] == d->cols[2].f64[i]);
		assert_int_equal(colvec_is_null(&c[1], r), colvec_is_null(&d->cols[1], i));
		if (!colvec_is_null(&c[1], r)) {
			uint32_t n1, n2;
			const char *s1 = colvec_bytes(&c[1], r, &n1), *s2 = colvec_bytes(&d->cols[1], i, &n2);
			assert_int_equal(n1, n2);
			assert_memory_equal(s1, s2, n1);
		}
	}
	free(idx);
	result_set_free(&rs);
	arena_destroy(a);
}

static void test_sort_ordered_input(void **state)
{
	(void)state;
	static const uint32_t sizes[] = {0, 1, 2, 17, 300, 5000};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int mode = 0; mode < 4; mode++) {
			bool ordered = mode < 2, dups = mode & 1;
			uint32_t br = fx_rndn(2) ? 100000 : 1 + fx_rndn(700);
			table_make(sizes[s], ordered, dups, br);
			check_sorted("SELECT * FROM cpu WHERE v > 20.0 ORDER BY ts", 20.0, false,
				     UINT64_MAX);
			check_sorted("SELECT * FROM cpu WHERE v > -1 ORDER BY ts", -1, false,
				     UINT64_MAX);
			check_sorted("SELECT * FROM cpu WHERE v > 50.0 ORDER BY ts DESC", 50.0, true,
				     UINT64_MAX);
			check_sorted("SELECT * FROM cpu WHERE v > 10.0 ORDER BY ts LIMIT 7", 10.0,
				     false, 7);
			batch_free(&table.data);
		}
}

/* ---- parquet short row ranges ----------------------------------------- */

#define NPC 3
static const struct parquet_column_def PC[NPC] = {
    {"f", DT_FLOAT64, false, false},
    {"s", DT_STRING, false, true},
    {"i", DT_INT64, false, false},
};

static void pq_file(uint32_t n, struct batch *b, struct buf *file)
{
	enum dtype tt[NPC] = {DT_FLOAT64, DT_STRING, DT_INT64};
	assert_int_equal(batch_init(b, NPC, tt), ERR_OK);
	char s[40];
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(colvec_push_f64(&b->cols[0], (double)fx_rnd() / 3.0), ERR_OK);
		/* runs of one value (a tag within a series), every length 0..24 */
		uint32_t len = (i / 7) % 25;
		for (uint32_t k = 0; k < len; k++)
			s[k] = (char)('a' + (i / 7 + k) % 26);
		assert_int_equal(colvec_push_bytes(&b->cols[1], s, len), ERR_OK);
		assert_int_equal(colvec_push_i64(&b->cols[2], (int64_t)fx_rnd()), ERR_OK);
	}
	b->nrows = n;
	struct parquet_write_options o = {.row_group_rows = 1000 + fx_rndn(3000),
					  .page_rows = 16 + fx_rndn(200),
					  .codec = fx_rndn(2) ? PARQUET_CODEC_NONE : PARQUET_CODEC_ZSTD};
	struct parquet_writer *w = NULL;
	assert_int_equal(parquet_writer_open(PC, NPC, &o, &w), ERR_OK);
	assert_int_equal(parquet_writer_write(w, b), ERR_OK);
	buf_init(file);
	assert_int_equal(parquet_writer_finish(w, file), ERR_OK);
	parquet_writer_free(w);
}

/* Random short ranges of row group rg (rows rows) into rr; returns their count. */
static uint32_t short_ranges(uint32_t rows, struct parquet_row_range *rr, uint32_t cap)
{
	uint32_t n = 0, at = fx_rndn(5);
	while (at < rows && n < cap) {
		uint32_t len = fx_rndn(4) ? 1 + fx_rndn(3) : 1 + fx_rndn(40);
		if (len > rows - at)
			len = rows - at;
		rr[n++] = (struct parquet_row_range){at, at + len};
		at += len + 1 + (fx_rndn(3) ? fx_rndn(4) : fx_rndn(200));
	}
	return n;
}

static void test_parquet_short_ranges(void **state)
{
	(void)state;
	for (int iter = 0; iter < 12; iter++) {
		struct batch b;
		struct buf file;
		pq_file(500 + fx_rndn(6000), &b, &file);
		struct parquet_reader *r = NULL;
		assert_int_equal(parquet_reader_open_mem(file.data, file.len, &r), ERR_OK);
		struct batch got = {0};
		uint32_t base = 0;
		for (uint32_t g = 0; g < parquet_reader_num_row_groups(r); g++) {
			uint32_t rows = (uint32_t)parquet_reader_row_group_rows(r, g);
			struct parquet_row_range rr[4096];
			for (int rep = 0; rep < 3; rep++) {
				uint32_t n = short_ranges(rows, rr, 4096);
				if (n == 0)
					continue;
				assert_int_equal(parquet_read_row_ranges(r, g, NULL, rr, n, &got), ERR_OK);
				uint32_t k = 0;
				for (uint32_t i = 0; i < n; i++)
					for (uint32_t row = rr[i].from; row < rr[i].to; row++, k++) {
						uint32_t src = base + row;
						assert_true(got.cols[0].f64[k] == b.cols[0].f64[src]);
						assert_int_equal(got.cols[2].i64[k], b.cols[2].i64[src]);
						uint32_t n1, n2;
						const char *s1 = colvec_bytes(&got.cols[1], k, &n1);
						const char *s2 = colvec_bytes(&b.cols[1], src, &n2);
						assert_int_equal(n1, n2);
						if (n1)
							assert_memory_equal(s1, s2, n1);
					}
				assert_int_equal(got.nrows, k);
			}
			base += rows;
		}
		batch_free(&got);
		parquet_reader_free(r);

		/* hostile: corrupted copies read the same ranges without a crash
		 * (errors are fine, and so are wrong values of a corrupted page) */
		for (int c = 0; c < 40; c++) {
			uint8_t *bad = malloc(file.len);
			memcpy(bad, file.data, file.len);
			size_t body = file.len > 200 ? file.len - 200 : file.len;
			for (int k = 0; k < 1 + (int)fx_rndn(4); k++)
				bad[4 + fx_rndn((uint32_t)(body - 4))] ^= (uint8_t)(1 + fx_rndn(255));
			if (fx_rndn(4) == 0) { /* or cut a page short in the middle */
				size_t at = 4 + fx_rndn((uint32_t)(body - 4));
				memmove(bad + at, bad + at + 8, file.len - at - 8);
			}
			struct parquet_reader *br = NULL;
			if (parquet_reader_open_mem(bad, file.len, &br) == ERR_OK) {
				struct batch bg = {0};
				for (uint32_t g = 0; g < parquet_reader_num_row_groups(br); g++) {
					uint32_t rows = (uint32_t)parquet_reader_row_group_rows(br, g);
					struct parquet_row_range rr[4096];
					uint32_t n = short_ranges(rows, rr, 4096);
					int rc = parquet_read_row_ranges(br, g, NULL, rr, n, &bg);
					assert_true(rc == ERR_OK || rc == ERR_CORRUPT || rc == ERR_UNSUPPORTED ||
						    rc == ERR_LIMIT || rc == ERR_BAD_INPUT ||
						    rc == ERR_INTERNAL);
				}
				batch_free(&bg);
				parquet_reader_free(br);
			}
			free(bad);
		}
		buf_free(&file);
		batch_free(&b);
	}
}

/* ---- sst_gather_rows ------------------------------------------------------ */

static void test_gather_rows(void **state)
{
	(void)state;
	for (int iter = 0; iter < 20; iter++) {
		struct colvec src, dst;
		colvec_init(&src, DT_STRING);
		uint32_t n = 1 + fx_rndn(3000);
		char s[64];
		for (uint32_t i = 0; i < n; i++) {
			if (fx_rndn(9) == 0) {
				assert_int_equal(colvec_push_null(&src), ERR_OK);
				continue;
			}
			uint32_t len = fx_rndn(41);
			for (uint32_t k = 0; k < len; k++)
				s[k] = (char)('A' + fx_rndn(58));
			assert_int_equal(colvec_push_bytes(&src, s, len), ERR_OK);
		}
		uint32_t k = fx_rndn(2 * n), *idx = malloc(((size_t)k + 1) * sizeof(uint32_t));
		for (uint32_t i = 0; i < k; i++)
			idx[i] = fx_rndn(n);
		colvec_init(&dst, DT_STRING);
		assert_int_equal(sst_gather_rows(&dst, &src, idx, k), ERR_OK);
		assert_int_equal(dst.len, k);
		for (uint32_t i = 0; i < k; i++) {
			assert_int_equal(colvec_is_null(&dst, i), colvec_is_null(&src, idx[i]));
			uint32_t n1, n2;
			const char *a = colvec_bytes(&dst, i, &n1), *b = colvec_bytes(&src, idx[i], &n2);
			if (colvec_is_null(&dst, i))
				continue;
			assert_int_equal(n1, n2);
			if (n1)
				assert_memory_equal(a, b, n1);
		}
		free(idx);
		colvec_free(&dst);
		colvec_free(&src);
	}
}

/* ---- proved tag predicates ------------------------------------------------- */

/* series in key order (NULL first): name (NULL = a NULL tag), rows */
static const struct {
	const char *host;
	uint32_t rows;
} SERIES[] = {{NULL, 10}, {"h01", 3000}, {"h02", 100}, {"h03", 3000}, {"h04", 40},
	      {"h05", 1500}};
#define NSERIES (sizeof(SERIES) / sizeof(SERIES[0]))

static int patched_files;

/* The queries of test_proved_tag_preds over region r against the model:
 * every host (and no tag predicate) with random field and time ranges. */
static void check_proved_queries(struct region *r, const struct fx_row *rows,
				 const bool *host_null, const uint32_t *fbeg, uint32_t total)
{
	/* NULL: no tag predicate (the tag is then a late column, filled from
	 * the page statistics where a page holds one value) */
	const char *hosts[] = {"h00", "h01", "h02", "h03", "h04", "h05", "h06", NULL};
	for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++)
		for (int q = 0; q < 40; q++) {
			double vmin = q == 0 ? -1.0 : (double)fx_rndn(9000) / 100;
			int64_t lo = q < 2 ? INT64_MIN
					   : 1000 + (int64_t)fx_rndn(3) * 100000 + (int64_t)fx_rndn(3000) * 10;
			int64_t hi = q < 2 ? INT64_MAX : lo + 10 * (1 + (int64_t)fx_rndn(2000));
			const char *hn = hosts[h] ? hosts[h] : "";
			struct scan_pred preds[2] = {
			    {.col = 2, .op = PRED_GT, .lit = {.type = DT_FLOAT64, .v.f = vmin}},
			    {.col = 0,
			     .op = PRED_EQ,
			     .lit = {.type = DT_STRING, .v.s = {hn, (uint32_t)strlen(hn)}}}};
			struct scan_request req;
			scan_request_init(&req);
			req.ts_min = lo;
			req.ts_max = hi;
			req.preds = preds;
			req.npreds = hosts[h] ? 2 : 1;
			struct sorted_source *src = NULL;
			assert_int_equal(region_scan(r, &req, &src), ERR_OK);
			struct fx_rows got;
			assert_int_equal(fx_collect(src, &got), ERR_OK);
			size_t k = 0;
			/* the model: rows in (host, ts) order (a NULL host
			 * first); the files hold one host's rows in time order,
			 * file 0 first */
			uint32_t *order = calloc(total, sizeof(uint32_t)), no = 0;
			for (int pass = 0; pass < 2; pass++)
				for (size_t hh = 0; hh < 7; hh++)
					for (int f = 0; f < 3; f++)
						for (uint32_t i = fbeg[f]; i < fbeg[f + 1]; i++)
							if ((pass == 0) == host_null[i] &&
							    (pass == 0 ? hh == 0 : !strcmp(rows[i].host, hosts[hh])))
								order[no++] = i;
			for (uint32_t oi = 0; oi < no; oi++) {
				uint32_t i = order[oi];
				const struct fx_row *x = &rows[i];
				if ((hosts[h] && (host_null[i] || strcmp(x->host, hosts[h]))) || x->v_null ||
				    !(x->v > vmin) || x->ts < lo || x->ts >= hi)
					continue;
				assert_true(k < got.n);
				assert_string_equal(got.rows[k].host, host_null[i] ? "" : x->host);
				assert_int_equal(got.rows[k].ts, x->ts);
				assert_true(got.rows[k].v == x->v);
				assert_int_equal(got.rows[k].n, x->n);
				k++;
			}
			assert_int_equal(got.n, k);
			free(order);
			fx_rows_free(&got);
		}
}

/* Rewrite the created_by of every Parquet file under dir ("strata" ->
 * "strbta", the footer's last "strata"): files another writer made. */
static int patch_one(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	size_t n = strlen(fpath);
	if (type != FTW_F || n < 8 || strcmp(fpath + n - 8, ".parquet") != 0)
		return 0;
	FILE *f = fopen(fpath, "r+b");
	assert_non_null(f);
	size_t len = (size_t)sb->st_size;
	unsigned char *b = malloc(len);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, len, f), len);
	long at = -1;
	for (size_t i = 0; i + 6 <= len; i++)
		if (memcmp(b + i, "strata", 6) == 0)
			at = (long)i;
	assert_true(at >= 0);
	assert_int_equal(fseek(f, at + 3, SEEK_SET), 0);
	assert_int_equal(fputc('b', f), 'b');
	fclose(f);
	free(b);
	patched_files++;
	return 0;
}

static void test_proved_tag_preds(void **state)
{
	(void)state;
	char *dir = fx_tempdir("hcproved");
	char path[512], wal[600];
	snprintf(path, sizeof(path), "%s/objects", dir);
	snprintf(wal, sizeof(wal), "%s/wal", dir);
	struct objstore *store = NULL;
	assert_int_equal(objstore_open_fs(path, &store), ERR_OK);
	struct region_engine *eng = NULL;
	struct region_engine_options o = {.store = store, .wal_dir = wal, .gc_lingering_ms = 1,
					  .sst_row_group_rows = 100000};
	assert_int_equal(region_engine_open(&o, &eng), ERR_OK);
	struct region_schema *sch = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(eng, REGION_ID(1024, 0), "data/greptime/public/1024/1024_0000000000/",
				       sch, &r),
			 ERR_OK);
	region_schema_free(sch);
	/* two time-disjoint files (exclusive sources): the first without the
	 * NULL series (its pages prove the predicates), the second with it
	 * (its chunk holds NULLs: nothing proved) */
	uint32_t per = 0;
	for (size_t k = 0; k < NSERIES; k++)
		per += SERIES[k].rows;
	/* a third file: the NULL series and h01 only (no tag predicate: the
	 * selected rows' pages all hold h01 or NULL) */
	uint32_t total = 2 * per + SERIES[0].rows + SERIES[1].rows;
	uint32_t fbeg[4] = {0};
	struct fx_row *rows = calloc(total, sizeof(*rows));
	bool *host_null = calloc(total, sizeof(bool));
	uint32_t at = 0;
	for (int f = 0; f < 3; f++) {
		uint32_t first = at;
		fbeg[f] = at;
		for (size_t k = 0; k < (f == 2 ? 2 : NSERIES); k++)
			for (uint32_t i = 0; i < SERIES[k].rows; i++, at++) {
				bool null = SERIES[k].host == NULL;
				snprintf(rows[at].host, sizeof(rows[at].host), "%s",
					 null ? (f ? "h00" : "h06") : SERIES[k].host);
				host_null[at] = null && f >= 1;
				rows[at].ts = 1000 + (int64_t)f * 100000 + (int64_t)i * 10;
				rows[at].v = (double)fx_rndn(10000) / 100;
				rows[at].v_null = fx_rndn(20) == 0;
				rows[at].n = (int64_t)at;
			}
		struct batch b;
		fx_batch(rows + first, at - first, &b);
		for (uint32_t i = first; i < at; i++)
			if (host_null[i])
				assert_int_equal(colvec_set_null(&b.cols[0], i - first), ERR_OK);
		assert_int_equal(region_write(r, &b, OP_PUT, NULL), ERR_OK);
		batch_free(&b);
		assert_int_equal(region_flush(r), ERR_OK);
	}
	fbeg[3] = at;
	check_proved_queries(r, rows, host_null, fbeg, total);
	/* the same files as another writer's (created_by changed): page
	 * bounds no longer count as exact, nothing is proved by them, and
	 * every answer stays the same */
	region_close(r);
	region_engine_close(eng);
	patched_files = 0;
	assert_int_equal(nftw(path, patch_one, 16, FTW_PHYS), 0);
	assert_int_equal(patched_files, 3);
	eng = NULL;
	assert_int_equal(region_engine_open(&o, &eng), ERR_OK);
	r = NULL;
	assert_int_equal(region_open_leader(eng, REGION_ID(1024, 0),
					    "data/greptime/public/1024/1024_0000000000/", &r),
			 ERR_OK);
	check_proved_queries(r, rows, host_null, fbeg, total);
	free(rows);
	free(host_null);
	assert_int_equal(region_drop(r), ERR_OK);
	region_close(r);
	region_engine_close(eng);
	objstore_close(store);
	fx_rmrf(dir);
	mem_free(dir);
}

int main(void)
{
	fx_seed(0x9e3779b97f4a7c15ull);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_double_random),
	    cmocka_unit_test(test_double_edges),
	    cmocka_unit_test(test_ts_text),
	    cmocka_unit_test(test_sort_ordered_input),
	    cmocka_unit_test(test_gather_rows),
	    cmocka_unit_test(test_proved_tag_preds),
	    cmocka_unit_test(test_parquet_short_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
