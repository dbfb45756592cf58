/* Unit tests for src/server/line_protocol: syntax, escapes, field types,
 * precision, grouping and NULL padding, errors with line numbers, limits,
 * out-of-memory paths and hostile input. */
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
#include "base/err.h"
#include "base/mem.h"
#include "server/line_protocol.h"

#define NOW 1700000000123456789LL

static int parse(struct lp_batch *b, const char *text, enum lp_precision prec)
{
	lp_batch_init(b);
	return lp_parse(b, text, strlen(text), prec, NOW);
}

static const struct lp_table *table(const struct lp_batch *b, const char *name)
{
	const struct lp_table *t = lp_batch_find(b, name);
	assert_non_null(t);
	return t;
}

static const struct colvec *col(const struct lp_table *t, const char *name)
{
	int i = lp_table_col(t, name);
	if (i < 0)
		fail_msg("no column %s", name);
	return &t->rows.cols[i];
}

static void assert_str(const struct colvec *v, uint32_t row, const char *want)
{
	assert_false(colvec_is_null(v, row));
	uint32_t n;
	const char *p = colvec_bytes(v, row, &n);
	if (n != strlen(want) || (n && memcmp(p, want, n)))
		fail_msg("row %u: got '%.*s' want '%s'", row, (int)n, p, want);
}

/* Every column of every table holds exactly nrows values; the time index
 * has no NULLs. */
static void assert_invariants(const struct lp_batch *b)
{
	uint64_t total = 0;
	for (uint32_t i = 0; i < b->ntables; i++) {
		const struct lp_table *t = b->tables[i];
		total += t->rows.nrows;
		assert_int_equal(t->rows.ncols, t->ncols);
		assert_true(t->ts_col < t->ncols);
		assert_int_equal(t->cols[t->ts_col].kind, LP_TIMESTAMP);
		for (uint32_t k = 0; k < t->ncols; k++) {
			assert_int_equal(t->rows.cols[k].len, t->rows.nrows);
			assert_int_equal(t->rows.cols[k].type, t->cols[k].type);
		}
		for (uint32_t r = 0; r < t->rows.nrows; r++)
			assert_false(colvec_is_null(&t->rows.cols[t->ts_col], r));
	}
	assert_int_equal(total, b->nrows);
}

static void expect_error(const char *text, uint64_t line, const char *needle)
{
	struct lp_batch b;
	int rc = parse(&b, text, LP_PREC_NS);
	if (rc == ERR_OK)
		fail_msg("parsed without error: %s", text);
	if (b.err_line != line || !strstr(err_msg(), needle))
		fail_msg("input %s: got line %llu '%s', want line %llu containing '%s'", text,
		         (unsigned long long)b.err_line, err_msg(), (unsigned long long)line,
		         needle);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "line %llu: ", (unsigned long long)line);
	assert_true(strncmp(err_msg(), prefix, strlen(prefix)) == 0);
	lp_batch_free(&b);
}

static void test_basic(void **state)
{
	(void)state;
	struct lp_batch b;
	assert_int_equal(parse(&b,
	                       "cpu,host=a,region=west usage=64.2,idle=3i 1590488773254420000\n",
	                       LP_PREC_NS),
	                 ERR_OK);
	assert_int_equal(b.ntables, 1);
	assert_int_equal(b.nrows, 1);
	const struct lp_table *t = table(&b, "cpu");
	assert_int_equal(t->ncols, 5);
	const char *names[] = {"host", "region", "usage", "idle", LP_TS_COLUMN};
	enum lp_col_kind kinds[] = {LP_TAG, LP_TAG, LP_FIELD, LP_FIELD, LP_TIMESTAMP};
	enum dtype types[] = {DT_STRING, DT_STRING, DT_FLOAT64, DT_INT64, DT_TS_NS};
	for (int i = 0; i < 5; i++) {
		assert_string_equal(t->cols[i].name, names[i]);
		assert_int_equal(t->cols[i].kind, kinds[i]);
		assert_int_equal(t->cols[i].type, types[i]);
	}
	assert_int_equal(t->ts_col, 4);
	assert_str(col(t, "host"), 0, "a");
	assert_str(col(t, "region"), 0, "west");
	assert_true(col(t, "usage")->f64[0] == 64.2);
	assert_int_equal(col(t, "idle")->i64[0], 3);
	assert_int_equal(col(t, LP_TS_COLUMN)->i64[0], 1590488773254420000LL);
	assert_invariants(&b);
	lp_batch_free(&b);
}

static void test_union_and_nulls(void **state)
{
	(void)state;
	struct lp_batch b;
	const char *body = "m,a=1 x=1 10\n"
	                   "m,b=2 y=2i 20\n"
	                   "n f=true 5\n"
	                   "m,a=3,b=4 x=3,y=4i 30\n"
	                   "m x=5 40\n";
	assert_int_equal(parse(&b, body, LP_PREC_NS), ERR_OK);
	assert_invariants(&b);
	assert_int_equal(b.ntables, 2);
	assert_string_equal(b.tables[0]->name, "m");
	assert_string_equal(b.tables[1]->name, "n");
	assert_int_equal(b.nrows, 5);
	const struct lp_table *m = table(&b, "m");
	assert_int_equal(m->rows.nrows, 4);
	/* order of first appearance, time index after the first line's fields */
	assert_string_equal(m->cols[0].name, "a");
	assert_string_equal(m->cols[1].name, "x");
	assert_string_equal(m->cols[2].name, LP_TS_COLUMN);
	assert_string_equal(m->cols[3].name, "b");
	assert_string_equal(m->cols[4].name, "y");
	const struct colvec *a = col(m, "a"), *bb = col(m, "b"), *x = col(m, "x"), *y = col(m, "y");
	assert_str(a, 0, "1");
	assert_true(colvec_is_null(a, 1));
	assert_str(a, 2, "3");
	assert_true(colvec_is_null(a, 3));
	assert_true(colvec_is_null(bb, 0));
	assert_str(bb, 1, "2");
	assert_str(bb, 2, "4");
	assert_true(colvec_is_null(bb, 3));
	assert_false(colvec_is_null(x, 0));
	assert_true(colvec_is_null(x, 1));
	assert_true(x->f64[3] == 5.0);
	assert_true(colvec_is_null(y, 0));
	assert_int_equal(y->i64[1], 2);
	assert_true(colvec_is_null(y, 3));
	const struct colvec *ts = col(m, LP_TS_COLUMN);
	assert_int_equal(ts->i64[0], 10);
	assert_int_equal(ts->i64[3], 40);
	const struct lp_table *n = table(&b, "n");
	assert_int_equal(n->rows.nrows, 1);
	assert_int_equal(col(n, "f")->i64[0], 1);
	assert_int_equal(col(n, "f")->type, DT_BOOL);
	lp_batch_free(&b);
}

static void test_escapes(void **state)
{
	(void)state;
	struct lp_batch b;
	const char *body = "my\\ meas\\,x,t\\=k=v\\ 1\\,2\\=3,lit=a\\b\\\\c f\\ k=\"he said "
	                   "\\\"hi\\\" \\\\ ok \\n\" 1\n"
	                   "eq\\=m,t=a=b s=\"x,y z=w\" 2\n";
	assert_int_equal(parse(&b, body, LP_PREC_NS), ERR_OK);
	assert_invariants(&b);
	const struct lp_table *t = table(&b, "my meas,x");
	assert_str(col(t, "t=k"), 0, "v 1,2=3");
	/* a backslash before an ordinary byte stays; "\\" is one backslash */
	assert_str(col(t, "lit"), 0, "a\\b\\c");
	assert_str(col(t, "f k"), 0, "he said \"hi\" \\ ok \\n");
	/* "\=" is not an escape in a measurement; '=' in a tag value is data */
	const struct lp_table *e = table(&b, "eq\\=m");
	assert_str(col(e, "t"), 0, "a=b");
	assert_str(col(e, "s"), 0, "x,y z=w");
	lp_batch_free(&b);

	/* the same escaped keys in a second line hit the same columns */
	assert_int_equal(parse(&b, "m,k\\ 1=a f\\,x=1\nm,k\\ 1=b f\\,x=2\n", LP_PREC_NS), ERR_OK);
	t = table(&b, "m");
	assert_int_equal(t->ncols, 3);
	assert_str(col(t, "k 1"), 1, "b");
	assert_true(col(t, "f,x")->f64[1] == 2.0);
	lp_batch_free(&b);
}

static void test_field_types(void **state)
{
	(void)state;
	struct lp_batch b;
	const char *body =
	    "m f1=1.0,f2=1,f3=1e3,f4=-0.5,f5=.5,f6=1.5E-3,f7=-0,f8=2.,f9=1e+2 1\n"
	    "m i1=1i,i2=-9223372036854775808i,i3=9223372036854775807i,i4=0i 2\n"
	    "m u1=18446744073709551615u,u2=0u 3\n"
	    "m s1=\"\",s2=\"a b\" 4\n"
	    "m b1=t,b2=T,b3=true,b4=True,b5=TRUE,b6=f,b7=F,b8=false,b9=False,b10=FALSE 5\n";
	assert_int_equal(parse(&b, body, LP_PREC_NS), ERR_OK);
	assert_invariants(&b);
	const struct lp_table *t = table(&b, "m");
	double fw[] = {1.0, 1, 1e3, -0.5, .5, 1.5e-3, -0.0, 2.0, 100};
	for (int i = 0; i < 9; i++) {
		char nm[16];
		snprintf(nm, sizeof(nm), "f%d", i + 1);
		assert_int_equal(col(t, nm)->type, DT_FLOAT64);
		assert_true(col(t, nm)->f64[0] == fw[i]);
	}
	assert_true(signbit(col(t, "f7")->f64[0]));
	assert_int_equal(col(t, "i1")->type, DT_INT64);
	assert_int_equal(col(t, "i1")->i64[1], 1);
	assert_true(col(t, "i2")->i64[1] == INT64_MIN);
	assert_true(col(t, "i3")->i64[1] == INT64_MAX);
	assert_int_equal(col(t, "u1")->type, DT_UINT64);
	assert_true((uint64_t)col(t, "u1")->i64[2] == UINT64_MAX);
	assert_int_equal(col(t, "s1")->type, DT_STRING);
	assert_str(col(t, "s1"), 3, "");
	assert_str(col(t, "s2"), 3, "a b");
	for (int i = 0; i < 10; i++) {
		char nm[16];
		snprintf(nm, sizeof(nm), "b%d", i + 1);
		assert_int_equal(col(t, nm)->type, DT_BOOL);
		assert_int_equal(col(t, nm)->i64[4], i < 5 ? 1 : 0);
	}
	lp_batch_free(&b);
}

/* Decimal floats must convert exactly like strtod (correct rounding),
 * through both the fast path and the fallback. */
static void test_float_exact(void **state)
{
	(void)state;
	const char *fixed[] = {"0.1",
	                       "66.6",
	                       "1.7976931348623157e308",
	                       "2.2250738585072014e-308",
	                       "4.9e-324",
	                       "123456789012345678901234",
	                       "9007199254740993",
	                       "0.000000000000000000000000000001",
	                       "1e22",
	                       "1e23",
	                       "-3.14159265358979323846",
	                       "1e-400"};
	struct buf body;
	buf_init(&body);
	unsigned seed = 12345;
	int n = 0;
	double want[2100];
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		buf_printf(&body, "m v=%s %d\n", fixed[i], n);
		want[n++] = strtod(fixed[i], NULL);
	}
	for (int i = 0; i < 2000; i++) {
		uint64_t bits = 0;
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			bits = bits << 16 | (seed >> 8 & 0xffff);
		}
		double d;
		memcpy(&d, &bits, 8);
		if (!isfinite(d))
			d = (double)(bits % 100000) / 1000.0;
		char txt[64];
		snprintf(txt, sizeof(txt), i % 2 ? "%.17g" : "%.15g", d);
		buf_printf(&body, "m v=%s %d\n", txt, n);
		want[n++] = strtod(txt, NULL);
	}
	struct lp_batch b;
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, (char *)body.data, body.len, LP_PREC_NS, NOW), ERR_OK);
	const struct colvec *v = col(table(&b, "m"), "v");
	assert_int_equal(v->len, n);
	for (int i = 0; i < n; i++)
		if (memcmp(&v->f64[i], &want[i], 8))
			fail_msg("value %d: got %.17g want %.17g", i, v->f64[i], want[i]);
	lp_batch_free(&b);
	buf_free(&body);
}

static void test_syntax_forms(void **state)
{
	(void)state;
	struct lp_batch b;
	const char *body = "# a comment\n"
	                   "\n"
	                   "   \t\n"
	                   "m,t=a f=1 1\r\n"
	                   "  m,t=b  \t f=2   2  \r\n"
	                   "\t# indented comment, with \"quotes\n"
	                   "m,t=c f=3\r\n"
	                   "m,t=d f=4 4"; /* no trailing newline */
	assert_int_equal(parse(&b, body, LP_PREC_NS), ERR_OK);
	assert_invariants(&b);
	const struct lp_table *t = table(&b, "m");
	assert_int_equal(t->rows.nrows, 4);
	assert_str(col(t, "t"), 1, "b");
	const struct colvec *ts = col(t, LP_TS_COLUMN);
	assert_int_equal(ts->i64[0], 1);
	assert_int_equal(ts->i64[1], 2);
	assert_int_equal(ts->i64[2], NOW); /* missing: now */
	assert_int_equal(ts->i64[3], 4);
	lp_batch_free(&b);

	/* an empty body and a body of comments are fine and produce nothing */
	assert_int_equal(parse(&b, "", LP_PREC_NS), ERR_OK);
	assert_int_equal(b.ntables, 0);
	lp_batch_free(&b);
	assert_int_equal(parse(&b, "# only\n#comments", LP_PREC_NS), ERR_OK);
	assert_int_equal(b.nrows, 0);
	lp_batch_free(&b);

	/* strings may span lines; line numbers keep counting physical lines */
	assert_int_equal(parse(&b, "m s=\"a\nb\" 1\nm s=\"c\" 2\n", LP_PREC_NS), ERR_OK);
	assert_str(col(table(&b, "m"), "s"), 0, "a\nb");
	assert_str(col(table(&b, "m"), "s"), 1, "c");
	lp_batch_free(&b);
	expect_error("m s=\"a\nb\" 1\nm s=\"c\" 2\nm s=1x\n", 4, "invalid float");

	/* UTF-8 names and values */
	assert_int_equal(parse(&b, "温度,城市=東京 值=1.5\n", LP_PREC_NS), ERR_OK);
	assert_str(col(table(&b, "温度"), "城市"), 0, "東京");
	lp_batch_free(&b);
}

static void test_precision(void **state)
{
	(void)state;
	struct {
		const char *name;
		enum lp_precision p;
	} names[] = {{"n", LP_PREC_NS},  {"ns", LP_PREC_NS},       {"u", LP_PREC_US},
	             {"us", LP_PREC_US}, {"\xc2\xb5", LP_PREC_US}, {"ms", LP_PREC_MS},
	             {"s", LP_PREC_S},   {"m", LP_PREC_M},         {"h", LP_PREC_H}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum lp_precision p;
		assert_int_equal(lp_precision_parse(names[i].name, &p), ERR_OK);
		assert_int_equal(p, names[i].p);
	}
	enum lp_precision p;
	assert_int_equal(lp_precision_parse("sec", &p), ERR_BAD_INPUT);
	assert_int_equal(lp_precision_parse("", &p), ERR_BAD_INPUT);
	assert_int_equal(lp_precision_parse("NS", &p), ERR_BAD_INPUT);

	struct {
		enum lp_precision p;
		const char *ts;
		int64_t want;
	} cases[] = {
	    {LP_PREC_NS, "1", 1},
	    {LP_PREC_US, "1600000000000001", 1600000000000001000LL},
	    {LP_PREC_MS, "1600000000001", 1600000000001000000LL},
	    {LP_PREC_S, "1600000000", 1600000000000000000LL},
	    {LP_PREC_S, "-1", -1000000000LL},
	    {LP_PREC_M, "26666666", 26666666LL * 60000000000LL},
	    {LP_PREC_H, "444444", 444444LL * 3600000000000LL},
	    {LP_PREC_NS, "-9223372036854775808", INT64_MIN},
	    {LP_PREC_NS, "9223372036854775807", INT64_MAX},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[96];
		snprintf(body, sizeof(body), "m f=1 %s\n", cases[i].ts);
		struct lp_batch b;
		assert_int_equal(parse(&b, body, cases[i].p), ERR_OK);
		assert_true(col(table(&b, "m"), LP_TS_COLUMN)->i64[0] == cases[i].want);
		lp_batch_free(&b);
	}
	/* missing timestamps: now truncated to the precision */
	struct {
		enum lp_precision p;
		int64_t want;
	} now_cases[] = {
	    {LP_PREC_NS, NOW},
	    {LP_PREC_US, 1700000000123456000LL},
	    {LP_PREC_MS, 1700000000123000000LL},
	    {LP_PREC_S, 1700000000000000000LL},
	    {LP_PREC_M, 1699999980000000000LL},
	    {LP_PREC_H, 1699999200000000000LL},
	};
	for (size_t i = 0; i < sizeof(now_cases) / sizeof(now_cases[0]); i++) {
		struct lp_batch b;
		assert_int_equal(parse(&b, "m f=1", now_cases[i].p), ERR_OK);
		assert_true(col(table(&b, "m"), LP_TS_COLUMN)->i64[0] == now_cases[i].want);
		lp_batch_free(&b);
	}
	/* scaling past int64 is an error, not a wrap */
	struct lp_batch b;
	assert_int_equal(parse(&b, "m f=1 1\nm f=1 9223372037\n", LP_PREC_S), ERR_BAD_INPUT);
	assert_int_equal(b.err_line, 2);
	assert_non_null(strstr(err_msg(), "out of range"));
	lp_batch_free(&b);
	assert_int_equal(parse(&b, "m f=1 -2562047\n", LP_PREC_H), ERR_OK);
	lp_batch_free(&b);
	assert_int_equal(parse(&b, "m f=1 -2562048\n", LP_PREC_H), ERR_BAD_INPUT);
	lp_batch_free(&b);
}

static void test_errors(void **state)
{
	(void)state;
	const char *ok = "m,t=a f=1 1\nm,t=b f=2 2\n";
	struct {
		const char *line3;
		const char *needle;
	} cases[] = {
	    {"m", "missing fields"},
	    {"m,t=a", "missing fields"},
	    {"m,t=a ", "missing fields"},
	    {"m,t=a\r", "missing fields"},
	    {"m,t f=1", "missing tag value"},
	    {"m,t= f=1", "missing tag value"},
	    {"m,=a f=1", "missing tag key"},
	    {",t=a f=1", "missing measurement"},
	    {"m f", "missing field value"},
	    {"m f=", "missing field value"},
	    {"m f=,g=1", "missing field value"},
	    {"m =1", "missing field key"},
	    {"m f=1,", "missing field key"},
	    {"m f=1x", "invalid float"},
	    {"m f=1.2.3", "invalid float"},
	    {"m f=-", "invalid float"},
	    {"m f=1e", "invalid float"},
	    {"m f=inf", "invalid float"},
	    {"m f=NaN", "invalid float"},
	    {"m f=1e999", "out of range float"},
	    {"m f=1.5i", "invalid integer"},
	    {"m f=i", "invalid integer"},
	    {"m f=9223372036854775808i", "out of range integer"},
	    {"m f=-9223372036854775809i", "out of range integer"},
	    {"m f=-1u", "invalid unsigned"},
	    {"m f=18446744073709551616u", "out of range unsigned"},
	    {"m f=tru", "invalid boolean"},
	    {"m f=True1", "invalid boolean"},
	    {"m f=\"abc", "unterminated string"},
	    {"m f=\"abc\\", "unterminated string"},
	    {"m f=\"a\"x", "unexpected text after string"},
	    {"m f=1 12a", "invalid timestamp"},
	    {"m f=1 1.5", "invalid timestamp"},
	    {"m f=1 99999999999999999999", "out of range timestamp"},
	    {"m f=1 1 2", "unexpected text after timestamp"},
	    {"m\\", "may not end with a backslash"},
	    {"m,t=a\\", "may not end with a backslash"},
	    {"m,t=a,t=b f=1", "duplicate tag key \"t\""},
	    {"m f=1,f=2", "duplicate field key \"f\""},
	    {"m f=1i", "field \"f\" of measurement \"m\" is Int64 here but Float64 in line 1"},
	    {"m t=1", "\"t\" is a field of measurement \"m\" here but a tag in line 1"},
	    {"m,f=x g=1", "\"f\" is a tag of measurement \"m\" here but a field in line 1"},
	    {"m greptime_timestamp=1", "reserved for the time index"},
	    {"m,greptime_timestamp=a f=1", "reserved for the time index"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[256];
		snprintf(body, sizeof(body), "%s%s\nm,t=c f=3 3\n", ok, cases[i].line3);
		expect_error(body, 3, cases[i].needle);
	}
	/* type conflicts name the line of first use in another line */
	expect_error("a f=1i\nb f=1\n\na f=\"s\"\n", 4, "is String here but Int64 in line 1");
	/* NUL bytes and invalid UTF-8 are rejected with their line */
	char nul[] = "m f=1\nm f=2\nm,t=a\0b f=3\n";
	struct lp_batch b;
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, nul, sizeof(nul) - 1, LP_PREC_NS, NOW), ERR_BAD_INPUT);
	assert_int_equal(b.err_line, 3);
	assert_non_null(strstr(err_msg(), "NUL"));
	lp_batch_free(&b);
	expect_error("m f=1\nm,t=\xff f=1\n", 2, "invalid UTF-8");
	expect_error("m f=1\nm s=\"\xc0\xaf\"\n", 2, "invalid UTF-8"); /* overlong */
	expect_error("m s=\"\xed\xa0\x80\"\n", 1, "invalid UTF-8");    /* surrogate */
	expect_error("m s=\"\xe6\x9d\"", 1, "invalid UTF-8");          /* truncated */
}

static void test_limits(void **state)
{
	(void)state;
	struct buf body;
	buf_init(&body);
	/* a name just at the limit is fine, one byte more is not */
	buf_printf(&body, "m,");
	for (int i = 0; i < LP_MAX_NAME; i++)
		buf_putc(&body, 'k');
	buf_printf(&body, "=v f=1\n");
	struct lp_batch b;
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, (char *)body.data, body.len, LP_PREC_NS, NOW), ERR_OK);
	lp_batch_free(&b);
	buf_reset(&body);
	for (int i = 0; i <= LP_MAX_NAME; i++)
		buf_putc(&body, 'm');
	buf_printf(&body, " f=1\n");
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, (char *)body.data, body.len, LP_PREC_NS, NOW), ERR_LIMIT);
	assert_int_equal(b.err_line, 1);
	lp_batch_free(&b);

	/* too many columns in one measurement */
	buf_reset(&body);
	buf_printf(&body, "m f=1\nm ");
	for (int i = 0; i < LP_MAX_COLUMNS; i++)
		buf_printf(&body, "%sc%d=1", i ? "," : "", i);
	buf_printf(&body, "\n");
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, (char *)body.data, body.len, LP_PREC_NS, NOW), ERR_LIMIT);
	assert_int_equal(b.err_line, 2);
	assert_non_null(strstr(err_msg(), "columns"));
	lp_batch_free(&b);
	buf_free(&body);
}

static void test_large_body(void **state)
{
	(void)state;
	struct buf body;
	buf_init(&body);
	for (int i = 0; i < 10000; i++)
		buf_printf(&body,
		           "%s,host=h%d,dc=dc%d "
		           "usage_user=%d.%02d,usage_system=%di,up=%s,msg=\"n%d\" %lld\n",
		           i % 3 ? "cpu" : "mem", i % 100, i % 7, i % 100, i % 97, i,
		           i % 2 ? "t" : "f", i,
		           1600000000000000000LL + (long long)i * 1000000000LL);
	struct lp_batch b;
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, (char *)body.data, body.len, LP_PREC_NS, NOW), ERR_OK);
	assert_invariants(&b);
	assert_int_equal(b.nrows, 10000);
	assert_int_equal(b.ntables, 2);
	const struct lp_table *cpu = table(&b, "cpu");
	assert_int_equal(cpu->rows.nrows, 6666);
	assert_int_equal(cpu->ncols, 7);
	/* row k of cpu is input line i = k + k/2 + 1 (lines where i % 3 != 0) */
	for (uint32_t k = 0; k < cpu->rows.nrows; k += 997) {
		int i = (int)(k + k / 2 + 1);
		char want[16];
		snprintf(want, sizeof(want), "h%d", i % 100);
		assert_str(col(cpu, "host"), k, want);
		assert_int_equal(col(cpu, "usage_system")->i64[k], i);
		assert_int_equal(col(cpu, LP_TS_COLUMN)->i64[k],
		                 1600000000000000000LL + (long long)i * 1000000000LL);
	}
	lp_batch_free(&b);

	/* two calls append to one batch */
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, (char *)body.data, body.len, LP_PREC_NS, NOW), ERR_OK);
	assert_int_equal(lp_parse(&b, "cpu,host=x extra=1 1\n", 21, LP_PREC_NS, NOW), ERR_OK);
	assert_invariants(&b);
	assert_int_equal(table(&b, "cpu")->rows.nrows, 6667);
	assert_true(colvec_is_null(col(table(&b, "cpu"), "extra"), 0));
	lp_batch_free(&b);
	buf_free(&body);
}

/* Every prefix of a valid body either parses or fails cleanly, and on
 * success the batch is consistent. */
static void test_truncated(void **state)
{
	(void)state;
	const char *body =
	    "cpu,host=a\\ b,dc=x usage=1.5,n=3i,u=4u,ok=true,s=\"q\\\"z\\\\\" 1600000000\r\n"
	    "# c\n"
	    "mem,host=b free=12345678901234567890.5,s=\"multi\nline\" -12\n"
	    "cpu,host=a\\ b usage=2e-3\n";
	size_t n = strlen(body);
	for (size_t k = 0; k <= n; k++) {
		char *copy = malloc(k ? k : 1); /* exact size so ASan sees over-reads */
		memcpy(copy, body, k);
		struct lp_batch b;
		lp_batch_init(&b);
		int rc = lp_parse(&b, copy, k, LP_PREC_S, NOW);
		if (rc == ERR_OK)
			assert_invariants(&b);
		else
			assert_true(rc == ERR_BAD_INPUT && b.err_line >= 1 && b.err_line <= 5);
		lp_batch_free(&b);
		free(copy);
	}
}

static void test_hostile(void **state)
{
	(void)state;
	/* huge numbers */
	struct buf body;
	buf_init(&body);
	buf_printf(&body, "m f=");
	for (int i = 0; i < 5000; i++)
		buf_putc(&body, '9');
	buf_printf(&body, "\n");
	struct lp_batch b;
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, (char *)body.data, body.len, LP_PREC_NS, NOW), ERR_BAD_INPUT);
	assert_non_null(strstr(err_msg(), "out of range float"));
	lp_batch_free(&b);
	buf_reset(&body);
	buf_printf(&body, "m f=0.");
	for (int i = 0; i < 5000; i++)
		buf_putc(&body, '1');
	buf_printf(&body, "e-5 1\n");
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, (char *)body.data, body.len, LP_PREC_NS, NOW), ERR_OK);
	assert_true(fabs(col(table(&b, "m"), "f")->f64[0] - 0.11111111111111111e-5) < 1e-20);
	lp_batch_free(&b);
	buf_reset(&body);
	buf_printf(&body, "m f=1e99999999999999999999999999 1\n");
	lp_batch_init(&b);
	assert_int_equal(lp_parse(&b, (char *)body.data, body.len, LP_PREC_NS, NOW), ERR_BAD_INPUT);
	lp_batch_free(&b);

	/* random bodies from an alphabet of meaningful bytes never crash */
	static const char alpha[] = "m,t=f \t\n\r\\\"#1i0u.e-+Txa";
	unsigned seed = 99;
	char *text = malloc(200);
	for (int iter = 0; iter < 3000; iter++) {
		seed = seed * 1103515245u + 12345u;
		size_t n = (seed >> 8) % 200;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alpha[(seed >> 8) % (sizeof(alpha) - 1)];
		}
		lp_batch_init(&b);
		int rc = lp_parse(&b, text, n, LP_PREC_MS, NOW);
		if (rc == ERR_OK)
			assert_invariants(&b);
		else
			assert_true(b.err_line >= 1);
		lp_batch_free(&b);
	}
	/* random bytes, including NULs and high bytes */
	for (int iter = 0; iter < 1000; iter++) {
		seed = seed * 1103515245u + 12345u;
		size_t n = (seed >> 8) % 200;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = (char)(seed >> 16);
		}
		lp_batch_init(&b);
		int rc = lp_parse(&b, text, n, LP_PREC_NS, NOW);
		if (rc == ERR_OK)
			assert_invariants(&b);
		lp_batch_free(&b);
	}
	free(text);
	buf_free(&body);
}

/* Allocation failures at every point fail the parse cleanly (no leak, no
 * crash under ASan). */
static void test_oom(void **state)
{
	(void)state;
	const char *body = "cpu,host=a,dc=x usage=1.5,n=3i,s=\"q\\\"z\" 1\n"
	                   "mem,host=b free=12345678901234567890.5 2\n"
	                   "cpu,host=c,new=1 usage=2,s=\"x\" 3\n";
	int saw_ok = 0;
	for (long n = 0; n < 200 && !saw_ok; n++) {
		struct lp_batch b;
		lp_batch_init(&b);
		mem_fail_after(n);
		int rc = lp_parse(&b, body, strlen(body), LP_PREC_NS, NOW);
		mem_fail_after(-1);
		if (rc == ERR_OK) {
			assert_invariants(&b);
			saw_ok = 1;
		} else {
			assert_int_equal(rc, ERR_NOMEM);
		}
		lp_batch_free(&b);
	}
	assert_true(saw_ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),       cmocka_unit_test(test_union_and_nulls),
	    cmocka_unit_test(test_escapes),     cmocka_unit_test(test_field_types),
	    cmocka_unit_test(test_float_exact), cmocka_unit_test(test_syntax_forms),
	    cmocka_unit_test(test_precision),   cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),      cmocka_unit_test(test_large_body),
	    cmocka_unit_test(test_truncated),   cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
