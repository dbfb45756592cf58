/*
 * Unit tests for src/server: value formatting, SQL text scanning, MySQL and
 * PostgreSQL codecs (including every truncation of valid messages and
 * random garbage), auth vectors, and in-process servers driven by raw
 * sockets (DEPRECATE_EOF both ways, multi-results, binary rows, limits,
 * extended query protocol).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "server/mysql_int.h"
#include "server/mysql_server.h"
#include "server/netio.h"
#include "server/pg_int.h"
#include "server/pg_server.h"
#include "server/sqltext.h"
#include "server/value_format.h"
#include "sql/ast.h"
#include "sql/lexer.h"
#include "sql/parser.h"

/* ---- value_format ---------------------------------------------------- */

static const char *fmt_one(enum dtype t, int64_t i, double f, int flavor, int32_t tz)
{
	static char out[512];
	struct colvec v;
	colvec_init(&v, t);
	if (dtype_phys(t) == PHYS_F64)
		colvec_push_f64(&v, f);
	else
		colvec_push_i64(&v, i);
	struct buf b;
	buf_init(&b);
	struct vfmt_tz z = {.fixed = tz};
	assert_int_equal(vfmt_text(&b, &v, 0, flavor, &z), ERR_OK);
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data ? (char *)b.data : "");
	buf_free(&b);
	colvec_free(&v);
	return out;
}

/* The fast path for few-decimal doubles gives the same text as the exact
 * shortest round-trip search (reimplemented here with %.17g fallbacks). */
static void test_vfmt_doubles_fast_path(void **state)
{
	(void)state;
	srand(9);
	for (int i = 0; i < 300000; i++) {
		double d;
		/* mixed kinds, then runs of one kind (the fast path tries the
		 * previous value's decimal count first) */
		switch (i < 200000 ? i % 4 : (i / 1000) % 4) {
		case 0: d = (double)(rand() % 1000000) / 100.0; break;
		case 1: d = (double)rand() / (double)(1 + rand() % 100000); break;
		case 2: d = (double)(rand() % 100000) / 1000.0 + 1e6 * (rand() % 3); break;
		default: d = ldexp((double)rand(), (rand() % 80) - 60); break;
		}
		if (rand() % 2)
			d = -d;
		char got[VFMT_DOUBLE_MAX], tmp[64];
		vfmt_double(got, d, 0, VFMT_MYSQL);
		/* the reference: the fewest %.*e digits that round-trip */
		int p = 1;
		for (; p < 17; p++) {
			snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		double back = strtod(got, NULL);
		if (back != d)
			fail_msg("%.17g printed as %s", d, got);
		/* PostgreSQL's flavor: positional (the same text) for decimal
		 * exponents in [-4, 15), else scientific */
		char pg[VFMT_DOUBLE_MAX];
		vfmt_double(pg, d, 0, VFMT_PG);
		if (strtod(pg, NULL) != d)
			fail_msg("%.17g printed as %s (pg)", d, pg);
		double ad = fabs(d);
		const char *g0 = got[0] == '-' ? got + 1 : got;
		if (g0[0] == '0' && g0[1] != '.' && g0[1] != '\0')
			fail_msg("%.17g printed as %s: leading zero", d, got);
		if (strchr(got, '.') && got[strlen(got) - 1] == '0')
			fail_msg("%.17g printed as %s: trailing zero", d, got);
		if (ad >= 1e-4 && ad < 1e15 && strcmp(pg, got))
			fail_msg("%.17g: pg %s, mysql %s", d, pg, got);
		if ((ad < 1e-4 || ad >= 1e15) && !strchr(pg, 'e'))
			fail_msg("%.17g: pg %s not scientific", d, pg);
		/* same significant digits as the reference */
		char a[32], b[32];
		int na = 0, nb = 0;
		for (const char *q = tmp; *q && *q != 'e'; q++)
			if (*q >= '0' && *q <= '9')
				a[na++] = *q;
		for (const char *q = got; *q; q++)
			if (*q >= '0' && *q <= '9')
				b[nb++] = *q;
		while (na > 1 && a[na - 1] == '0')
			na--;
		int lead = 0;
		while (lead < nb - 1 && b[lead] == '0')
			lead++;
		while (nb > lead + 1 && b[nb - 1] == '0')
			nb--;
		a[na] = b[nb] = '\0';
		if (strcmp(a, b + lead))
			fail_msg("%.17g: printed %s, shortest digits %s", d, got, a);
	}
}

/* Integers and timestamps are rendered without printf: same text as the
 * printf formats they replace, over random values of every width/unit. */
static void test_vfmt_ints_and_timestamps(void **state)
{
	(void)state;
	srand(11);
	char want[128];
	static const int64_t edge[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, 1000000, -999999};
	for (int i = 0; i < 100000; i++) {
		int64_t x = i < 10 ? edge[i]
				   : (int64_t)(((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand());
		if (i % 3 == 1)
			x %= 100000;
		if (i % 2)
			x = -x;
		snprintf(want, sizeof(want), "%" PRId64, x);
		assert_string_equal(fmt_one(DT_INT64, x, 0, VFMT_PG, 0), want);
		snprintf(want, sizeof(want), "%" PRIu64, (uint64_t)x);
		assert_string_equal(fmt_one(DT_UINT64, x, 0, VFMT_PG, 0), want);
		/* timestamps: years around 0..10000 in every unit, with zone offsets */
		static const enum dtype tt[] = {DT_TS_S, DT_TS_MS, DT_TS_US, DT_TS_NS};
		enum dtype t = tt[i % 4];
		int64_t ups = dtype_ts_units_per_sec(t);
		int64_t secs = (int64_t)(rand() % 2000000) * 160000 - 62200000000LL;
		if (t == DT_TS_NS)
			secs = secs % 9000000000LL;
		int64_t v = secs * ups + (ups > 1 ? rand() % ups : 0);
		int32_t tz = (rand() % 3 - 1) * 3600 * (rand() % 14);
		struct vfmt_tm tm;
		struct vfmt_tz z = {.fixed = tz};
		vfmt_ts_split(v, t, &z, &tm);
		snprintf(want, sizeof(want), "%04" PRId64 "-%02d-%02d %02d:%02d:%02d.%06d", tm.year,
			 tm.mon, tm.day, tm.hour, tm.min, tm.sec, (int)tm.usec);
		assert_string_equal(fmt_one(t, v, 0, VFMT_PG, tz), want);
	}
}

static void test_vfmt_doubles(void **state)
{
	(void)state;
	char t[VFMT_DOUBLE_MAX];
	struct {
		double d;
		int f32;
		const char *my, *pg;
	} cases[] = {
		{0.1, 0, "0.1", "0.1"},
		{1.0, 0, "1", "1"},
		{-2.5, 0, "-2.5", "-2.5"},
		{1e20, 0, "100000000000000000000", "1e+20"},
		{1e15, 0, "1000000000000000", "1e+15"},
		{123456789012345.0, 0, "123456789012345", "123456789012345"},
		{1e-7, 0, "0.0000001", "1e-07"},
		{0.0001, 0, "0.0001", "0.0001"},
		{1.0 / 3, 0, "0.3333333333333333", "0.3333333333333333"},
		{5e-324, 0, NULL, "5e-324"},
		{1.7976931348623157e308, 0, NULL, "1.7976931348623157e+308"},
		{0.0, 0, "0", "0"},
		{-0.0, 0, "-0", "-0"},
		{(float)0.1, 1, "0.1", "0.1"},
		{(float)1e7, 1, "10000000", "1e+07"},
		{(float)123456, 1, "123456", "123456"},
		{(float)3.4028235e38, 1, "340282350000000000000000000000000000000", "3.4028235e+38"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].my) {
			vfmt_double(t, cases[i].d, cases[i].f32, VFMT_MYSQL);
			assert_string_equal(t, cases[i].my);
		}
		vfmt_double(t, cases[i].d, cases[i].f32, VFMT_PG);
		assert_string_equal(t, cases[i].pg);
	}
	/* round trip of awkward values */
	double hard[] = {0.1 + 0.2, 2.0 / 3, 1e23, 9007199254740993.0, 4.35, 123.456e-200};
	for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); i++) {
		vfmt_double(t, hard[i], 0, VFMT_MYSQL);
		assert_true(strtod(t, NULL) == hard[i]);
		vfmt_double(t, hard[i], 0, VFMT_PG);
		assert_true(strtod(t, NULL) == hard[i]);
	}
	vfmt_double(t, 1.0 / 0.0, 0, VFMT_PG);
	assert_string_equal(t, "Infinity");
	vfmt_double(t, -1.0 / 0.0, 0, VFMT_MYSQL);
	assert_string_equal(t, "-inf");
	vfmt_double(t, 0.0 / 0.0, 0, VFMT_PG);
	assert_string_equal(t, "NaN");
	/* the longest positional form fits */
	assert_true(vfmt_double(t, -1.7976931348623157e308, 0, VFMT_MYSQL) < VFMT_DOUBLE_MAX);
}

static void test_vfmt_values(void **state)
{
	(void)state;
	assert_string_equal(fmt_one(DT_TS_MS, 1, 0, VFMT_MYSQL, 0), "1970-01-01 00:00:00.001000");
	assert_string_equal(fmt_one(DT_TS_MS, 1, 0, VFMT_PG, 0), "1970-01-01 00:00:00.001000");
	assert_string_equal(fmt_one(DT_TS_MS, -1, 0, VFMT_MYSQL, 0), "1969-12-31 23:59:59.999000");
	assert_string_equal(fmt_one(DT_TS_S, 1700000000, 0, VFMT_MYSQL, 0),
			    "2023-11-14 22:13:20.000000");
	assert_string_equal(fmt_one(DT_TS_US, 1700000000123456LL, 0, VFMT_PG, 0),
			    "2023-11-14 22:13:20.123456");
	assert_string_equal(fmt_one(DT_TS_NS, -1, 0, VFMT_PG, 0), "1969-12-31 23:59:59.999999");
	assert_string_equal(fmt_one(DT_TS_NS, 1700000000123456789LL, 0, VFMT_PG, 0),
			    "2023-11-14 22:13:20.123456");
	/* leap day, year 2000 and far dates */
	assert_string_equal(fmt_one(DT_TS_S, 951782400, 0, VFMT_MYSQL, 0),
			    "2000-02-29 00:00:00.000000");
	assert_string_equal(fmt_one(DT_TS_S, 253402300799LL, 0, VFMT_MYSQL, 0),
			    "9999-12-31 23:59:59.000000");
	/* time zone offsets */
	assert_string_equal(fmt_one(DT_TS_MS, 0, 0, VFMT_MYSQL, 8 * 3600),
			    "1970-01-01 08:00:00.000000");
	assert_string_equal(fmt_one(DT_TS_MS, 0, 0, VFMT_MYSQL, -3600), "1969-12-31 23:00:00.000000");
	assert_string_equal(fmt_one(DT_DATE, 19723, 0, VFMT_PG, 0), "2024-01-01");
	assert_string_equal(fmt_one(DT_DATE, -1, 0, VFMT_PG, 0), "1969-12-31");
	assert_string_equal(fmt_one(DT_BOOL, 1, 0, VFMT_PG, 0), "t");
	assert_string_equal(fmt_one(DT_BOOL, 0, 0, VFMT_PG, 0), "f");
	assert_string_equal(fmt_one(DT_BOOL, 1, 0, VFMT_MYSQL, 0), "1");
	assert_string_equal(fmt_one(DT_UINT64, -1, 0, VFMT_MYSQL, 0), "18446744073709551615");
	assert_string_equal(fmt_one(DT_INT64, INT64_MIN, 0, VFMT_PG, 0), "-9223372036854775808");
	assert_string_equal(fmt_one(DT_FLOAT32, 0, (float)0.1, VFMT_MYSQL, 0), "0.1");

	struct colvec v;
	colvec_init(&v, DT_BINARY);
	colvec_push_bytes(&v, "\x00\xab\xff", 3);
	struct buf b;
	buf_init(&b);
	vfmt_text(&b, &v, 0, VFMT_PG, NULL);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "\\x00abff", 8);
	buf_reset(&b);
	vfmt_text(&b, &v, 0, VFMT_MYSQL, NULL);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "\x00\xab\xff", 3);
	buf_free(&b);
	colvec_free(&v);

	int32_t tz;
	assert_int_equal(vfmt_tz_offset("+08:00", &tz), ERR_OK);
	assert_int_equal(tz, 28800);
	assert_int_equal(vfmt_tz_offset("-0530", &tz), ERR_OK);
	assert_int_equal(tz, -19800);
	assert_int_equal(vfmt_tz_offset("UTC+1", &tz), ERR_OK);
	assert_int_equal(tz, 3600);
	assert_int_equal(vfmt_tz_offset("SYSTEM", &tz), ERR_OK);
	assert_int_equal(tz, 0);
	assert_int_equal(vfmt_tz_offset("Europe/Berlin", &tz), ERR_BAD_INPUT);
	assert_int_equal(vfmt_tz_offset("+25:00", &tz), ERR_BAD_INPUT);
	assert_int_equal(vfmt_tz_offset("+08:0", &tz), ERR_BAD_INPUT);
	assert_int_equal(vfmt_tz_offset("+", &tz), ERR_BAD_INPUT);

	/* civil date conversions agree both ways over a wide range */
	for (int64_t d = -800000; d <= 800000; d += 997) {
		int64_t y;
		int m, dd;
		vfmt_civil_from_days(d, &y, &m, &dd);
		assert_int_equal(vfmt_days_from_civil(y, m, dd), d);
	}
}

static const char *in_zone(const char *zone, int64_t secs)
{
	static char out[64];
	struct vfmt_tz tz;
	if (vfmt_tz_resolve(zone, &tz))
		return "unknown";
	struct colvec v;
	colvec_init(&v, DT_TS_S);
	colvec_push_i64(&v, secs);
	struct buf b;
	buf_init(&b);
	vfmt_text(&b, &v, 0, VFMT_MYSQL, &tz);
	snprintf(out, sizeof(out), "%.19s", (char *)b.data);
	buf_free(&b);
	colvec_free(&v);
	return out;
}

static void test_vfmt_named_zones(void **state)
{
	(void)state;
	struct vfmt_tz tz;
	assert_int_equal(vfmt_tz_resolve("+08:00", &tz), ERR_OK);
	assert_null(tz.zone);
	assert_int_equal(vfmt_tz_offset_at(&tz, 0), 28800);
	assert_int_equal(vfmt_tz_resolve("No/Such_Zone", &tz), ERR_BAD_INPUT);
	assert_int_equal(vfmt_tz_resolve("../../etc/passwd", &tz), ERR_BAD_INPUT);
	assert_int_equal(vfmt_tz_resolve("/etc/localtime", &tz), ERR_BAD_INPUT);
	assert_int_equal(vfmt_tz_offset_at(&tz, 0), 0);
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0 && !getenv("TZDIR")) {
		print_message("# no zoneinfo database: named zone checks skipped\n");
		return;
	}
	assert_string_equal(in_zone("Asia/Shanghai", 1700000000), "2023-11-15 06:13:20");
	assert_string_equal(in_zone("America/New_York", 1719835200), "2024-07-01 08:00:00");
	assert_string_equal(in_zone("America/New_York", 1705320000), "2024-01-15 07:00:00");
	assert_string_equal(in_zone("Europe/Berlin", 1711846800), "2024-03-31 03:00:00");
	assert_string_equal(in_zone("Europe/Berlin", 1711846799), "2024-03-31 01:59:59");
	/* beyond the transition table: the POSIX rule of the footer */
	assert_string_equal(in_zone("Europe/Berlin", 4118083200LL), "2100-07-01 02:00:00");
	assert_string_equal(in_zone("Australia/Sydney", 4102444800LL), "2100-01-01 11:00:00");
	assert_string_equal(in_zone("Australia/Sydney", 4118083200LL), "2100-07-01 10:00:00");
	assert_string_equal(in_zone("America/New_York", 4097195999LL), "2099-11-01 01:59:59");
	/* before the first transition: local mean time */
	assert_string_equal(in_zone("America/New_York", -5364662400LL), "1799-12-31 19:03:58");
	assert_string_equal(in_zone("UTC", 0), "1970-01-01 00:00:00");

	/* hostile zone files: every truncation of a real file and garbage */
	FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
	if (!f)
		return;
	uint8_t data[4096];
	size_t n = fread(data, 1, sizeof(data), f);
	fclose(f);
	char dir[] = "/tmp/strata_tzXXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("TZDIR", dir, 1);
	char path[256], name[32];
	for (size_t k = 0; k < n; k += (k < 120 ? 1 : 37)) {
		snprintf(name, sizeof(name), "Cut%zu", k);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		f = fopen(path, "wb");
		fwrite(data, 1, k, f);
		fclose(f);
		int rc = vfmt_tz_resolve(name, &tz);
		assert_true(rc == ERR_OK || rc == ERR_BAD_INPUT);
		vfmt_tz_offset_at(&tz, 1700000000);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/Junk", dir);
	f = fopen(path, "wb");
	fwrite("TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\xff", 1, 24, f);
	fclose(f);
	assert_int_equal(vfmt_tz_resolve("Junk", &tz), ERR_BAD_INPUT);
	unlink(path);
	rmdir(dir);
	unsetenv("TZDIR");
}

/* ---- sqltext ----------------------------------------------------------- */

static void test_sqltext_split(void **state)
{
	(void)state;
	const char *sql = "select 'a;b', \"x;y\" -- c;d\n from t; ; /* ;; */ insert into t "
			  "values ($$;$$, E'\\';') ;select `q;`;  -- tail";
	size_t pos = 0, b, e, len = strlen(sql);
	char got[5][80];
	int n = 0;
	while (n < 5 && sqltext_next_stmt(sql, len, SQL_DIALECT_PG, &pos, &b, &e)) {
		snprintf(got[n], sizeof(got[n]), "%.*s", (int)(e - b), sql + b);
		n++;
	}
	assert_int_equal(n, 3);
	assert_string_equal(got[0], "select 'a;b', \"x;y\" -- c;d\n from t");
	assert_string_equal(got[1], "insert into t values ($$;$$, E'\\';')");
	assert_string_equal(got[2], "select `q;`");
	/* MySQL: backslash escapes and # comments */
	const char *my = "select 'it\\'s;'; # x;y\n select 2";
	assert_int_equal(sqltext_count_stmts(my, strlen(my), SQL_DIALECT_MYSQL), 2);
	assert_int_equal(sqltext_count_stmts(" ; -- only\n ;", 13, SQL_DIALECT_PG), 0);
	assert_int_equal(sqltext_count_stmts("select '", 8, SQL_DIALECT_PG), 1);

	char verb[64];
	sqltext_verb("  /* c */ (select 1", 19, SQL_DIALECT_PG, 1, verb, sizeof(verb));
	assert_string_equal(verb, "SELECT");
	sqltext_verb("create   table if", 17, SQL_DIALECT_PG, 2, verb, sizeof(verb));
	assert_string_equal(verb, "CREATE TABLE");
	sqltext_verb("x", 1, SQL_DIALECT_PG, 2, verb, 3);
	assert_string_equal(verb, "X");
}

static int put_idx(void *ctx, uint32_t idx, struct buf *out)
{
	(void)ctx;
	return buf_printf(out, "<%u>", idx);
}

/* ---- F4-F7: sqltext and the SQL lexer agree on where values go -------- */

/* The hostile value of the fuzzing findings: closes a dollar string. */
static const char dollar_value[] = "$$, version(), $$";

struct quoted_ctx {
	int dialect;
	const char *val;
};

static int put_quoted(void *ctx, uint32_t idx, struct buf *out)
{
	struct quoted_ctx *q = ctx;
	(void)idx;
	return sqltext_quote(out, q->val, strlen(q->val), q->dialect);
}

/* Select items of the first statement, -1 when it does not parse. */
static long select_items(const char *sql, size_t len, enum sql_dialect d)
{
	struct arena *a = arena_create(0);
	assert_non_null(a);
	struct sql_stmt_list l;
	long n = -1;
	if (sql_parse_ex(sql, len, d, a, &l) == 0 && l.n >= 1 &&
	    l.items[0]->kind == SQL_STMT_QUERY && l.items[0]->u.query->body->kind == SQL_BODY_SELECT)
		n = (long)l.items[0]->u.query->body->select->nitems;
	arena_destroy(a);
	return n;
}

/* Tokens the lexer makes of the text, -1 when it does not lex. */
static long lex_count(const char *sql, size_t len, enum sql_dialect d)
{
	struct arena *a = arena_create(0);
	assert_non_null(a);
	struct sql_lexed l;
	uint32_t off;
	long n = sql_lex(sql, len, d, a, &l, &off) ? -1 : (long)l.n;
	sql_lex_free(&l);
	arena_destroy(a);
	return n;
}

/* Substitute `val` for every placeholder; the result must lex to as many
 * tokens as the original (each placeholder became one string) and parse
 * to as many select items. Returns the select items of the result. */
static long check_subst(const char *sql, int d, const char *val, char *res, size_t ressz)
{
	struct quoted_ctx q = {d, val};
	struct buf b;
	buf_init(&b);
	assert_int_equal(sqltext_substitute(sql, strlen(sql), d, &b, put_quoted, &q), 0);
	snprintf(res, ressz, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
	enum sql_dialect ld = (enum sql_dialect)d;
	long lo = lex_count(sql, strlen(sql), ld), ls = lex_count((char *)b.data, b.len, ld);
	long po = select_items(sql, strlen(sql), ld), ps = select_items((char *)b.data, b.len, ld);
	if (lo != ls || po != ps)
		fail_msg("'%s' -> '%s': %ld/%ld tokens, %ld/%ld items", sql, res, lo, ls, po, ps);
	buf_free(&b);
	return ps;
}

static void test_sqltext_lexer_agree(void **state)
{
	(void)state;
	char res[256];
	/* F5: MySQL knows no dollar strings, neither scanner nor lexer */
	assert_true(check_subst("SELECT $$?$$", SQL_DIALECT_MYSQL, dollar_value, res,
				sizeof(res)) != 3);
	assert_int_equal(lex_count("SELECT $$x$$", 12, SQL_DIALECT_MYSQL), -1);
	assert_int_equal(lex_count("SELECT $$x$$", 12, SQL_DIALECT_GREPTIME), -1);
	assert_int_equal(lex_count("SELECT $$x$$", 12, SQL_DIALECT_POSTGRES), 3);
	assert_int_equal(check_subst("SELECT ?, '$$'", SQL_DIALECT_MYSQL, dollar_value, res,
				     sizeof(res)), 2);
	/* F6: '$' continues words and ends numbers the same way in both */
	assert_true(check_subst("SELECT x$$2", SQL_DIALECT_PG, dollar_value, res, sizeof(res)) !=
		    3);
	assert_string_equal(res, "SELECT x$$2"); /* one word: no placeholder in it */
	assert_true(check_subst("SELECT 2$$2$$", SQL_DIALECT_PG, dollar_value, res,
				sizeof(res)) != 3);
	assert_string_equal(res, "SELECT 2$$2$$"); /* 2, then the dollar string 2 */
	check_subst("SELECT 5$1", SQL_DIALECT_PG, dollar_value, res, sizeof(res));
	assert_string_equal(res, "SELECT 5 '$$, version(), $$'");
	/* a number right before E'..' (E-string escapes apply in both) */
	assert_true(check_subst("SELECT 1e'\\' , $1 --'", SQL_DIALECT_PG, dollar_value, res,
				sizeof(res)) != 3);
	assert_string_equal(res, "SELECT 1e'\\' , $1 --'");
	/* a byte order mark is skipped by both */
	assert_true(check_subst("\xEF\xBB\xBFSELECT $$ $1 $$", SQL_DIALECT_PG, dollar_value, res,
				sizeof(res)) != 3);
	assert_true(check_subst("\xEF\xBB\xBF$$ $1 $$", SQL_DIALECT_PG, dollar_value, res,
				sizeof(res)) != 3);
	/* F7: PostgreSQL block comments nest in both */
	assert_true(check_subst("SELECT /* /* */ $$ */ $1 $$", SQL_DIALECT_PG, dollar_value, res,
				sizeof(res)) != 3);
	assert_int_equal(lex_count("SELECT /* /* */ */ 1", 20, SQL_DIALECT_POSTGRES), 3);
	assert_int_equal(lex_count("SELECT /* /* */ 1", 17, SQL_DIALECT_MYSQL), 3);
	assert_int_equal(check_subst("SELECT /* /* $1 */ $1 */ $1, 2", SQL_DIALECT_PG,
				     dollar_value, res, sizeof(res)), 2);
	assert_int_equal(check_subst("SELECT /* /* ? */ ?, 2", SQL_DIALECT_MYSQL, dollar_value,
				     res, sizeof(res)), 2);
	/* the hostile fuzzing value everywhere */
	static const char hostile[] = "x' OR 1=1; -- \\' /* \" ` $$ ?";
	static const char *const my[] = {"SELECT ?, ?", "SELECT `?`, ?", "SELECT \"?\", ?",
					 "SELECT _utf8mb4'?', ?", "SELECT X'00', ?",
					 "SELECT n'\\'?', ?"};
	for (size_t i = 0; i < sizeof(my) / sizeof(my[0]); i++)
		assert_int_equal(check_subst(my[i], SQL_DIALECT_MYSQL, hostile, res, sizeof(res)),
				 2);
	static const char *const pg[] = {"SELECT $1, $2", "SELECT $a$ $1 $a$, $2",
					 "SELECT E'\\' $1', $2", "SELECT \"$1\", $2",
					 "SELECT a$1, $2", "SELECT $1::text, $$$1$$"};
	for (size_t i = 0; i < sizeof(pg) / sizeof(pg[0]); i++)
		assert_int_equal(check_subst(pg[i], SQL_DIALECT_PG, hostile, res, sizeof(res)), 2);
}

/* Substitute `val` for every placeholder into res. */
static void subst_only(const char *sql, int d, const char *val, char *res, size_t ressz)
{
	struct quoted_ctx q = {d, val};
	struct buf b;
	buf_init(&b);
	assert_int_equal(sqltext_substitute(sql, strlen(sql), d, &b, put_quoted, &q), 0);
	snprintf(res, ressz, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
	buf_free(&b);
}

/* F4: a value never merges with a neighbouring literal or word (the
 * originals are not valid SQL, so only the text is compared) */
static void test_sqltext_value_gaps(void **state)
{
	(void)state;
	char res[256];
	subst_only("SELECT ??", SQL_DIALECT_MYSQL, "a", res, sizeof(res));
	assert_string_equal(res, "SELECT 'a' 'a'");
	subst_only("SELECT ?'x'", SQL_DIALECT_MYSQL, "a", res, sizeof(res));
	assert_string_equal(res, "SELECT 'a' 'x'");
	subst_only("SELECT 'x'?", SQL_DIALECT_MYSQL, "a", res, sizeof(res));
	assert_string_equal(res, "SELECT 'x' 'a'");
	subst_only("SELECT $1$2", SQL_DIALECT_PG, "a", res, sizeof(res));
	assert_string_equal(res, "SELECT 'a' 'a'");
	subst_only("SELECT x=?,(?)", SQL_DIALECT_MYSQL, "a", res, sizeof(res));
	assert_string_equal(res, "SELECT x='a',('a')"); /* no gap needed */
	/* numbers: 1-? with -1 must not become the comment 1--1 */
	struct buf b;
	buf_init(&b);
	assert_int_equal(sqltext_substitute("SELECT 1-?, ?e5, X?", 19, SQL_DIALECT_MYSQL, &b,
					    put_idx, NULL),
			 0);
	assert_string_equal(buf_cstr(&b), "SELECT 1- <0>, <1> e5, X <2>");
	buf_free(&b);
}

static void test_sqltext_params(void **state)
{
	(void)state;
	const char *my = "select ?, '?', \"?\", `?` /* ? */, ? -- ?\n, ?";
	assert_int_equal(sqltext_count_qmarks(my, strlen(my)), 3);
	struct buf b;
	buf_init(&b);
	assert_int_equal(sqltext_substitute(my, strlen(my), SQL_DIALECT_MYSQL, &b, put_idx, NULL), 0);
	assert_string_equal(buf_cstr(&b), "select <0>, '?', \"?\", `?` /* ? */, <1> -- ?\n, <2>");
	const char *pg = "select $1, '$2', $10, x$3, $$ $4 $$, $0";
	assert_int_equal(sqltext_max_dollar(pg, strlen(pg)), 10);
	buf_reset(&b);
	assert_int_equal(sqltext_substitute(pg, strlen(pg), SQL_DIALECT_PG, &b, put_idx, NULL), 0);
	assert_string_equal(buf_cstr(&b), "select <0>, '$2', <9>, x$3, $$ $4 $$, $0");
	assert_int_equal(sqltext_max_dollar("$99999999999", 12), 65536);
	buf_reset(&b);
	sqltext_quote(&b, "a'b\\c\0d", 7, SQL_DIALECT_MYSQL);
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.data, "'a''b\\\\c\\0d'", 12);
	buf_reset(&b);
	sqltext_quote(&b, "a'b\\c", 5, SQL_DIALECT_PG);
	assert_string_equal(buf_cstr(&b), "'a''b\\c'");
	buf_free(&b);
}

/* ---- MySQL codecs -------------------------------------------------------- */

static void test_my_lenenc(void **state)
{
	(void)state;
	uint64_t vals[] = {0, 250, 251, 0xFFFF, 0x10000, 0xFFFFFF, 0x1000000, UINT64_MAX};
	size_t sizes[] = {1, 1, 3, 3, 4, 4, 9, 9};
	for (size_t i = 0; i < 8; i++) {
		struct buf b;
		buf_init(&b);
		my_put_lenenc(&b, vals[i]);
		assert_int_equal(b.len, sizes[i]);
		struct rd r;
		rd_init(&r, b.data, b.len);
		bool isnull;
		assert_true(my_rd_lenenc(&r, &isnull) == vals[i]);
		assert_int_equal(r.err, 0);
		/* every truncation fails cleanly */
		for (size_t k = 0; k < b.len; k++) {
			rd_init(&r, b.data, k);
			my_rd_lenenc(&r, &isnull);
			assert_int_not_equal(r.err, 0);
		}
		buf_free(&b);
	}
	uint8_t nul = 0xFB, err = 0xFF;
	struct rd r;
	bool isnull;
	rd_init(&r, &nul, 1);
	my_rd_lenenc(&r, &isnull);
	assert_true(isnull);
	rd_init(&r, &err, 1);
	my_rd_lenenc(&r, &isnull);
	assert_int_not_equal(r.err, 0);
	/* a length larger than the rest */
	uint8_t s[] = {5, 'a', 'b'};
	size_t n;
	rd_init(&r, s, 3);
	assert_null(my_rd_lenenc_str(&r, &n));
	assert_int_not_equal(r.err, 0);
}

static void test_my_frame(void **state)
{
	(void)state;
	size_t n = MY_MAX_FRAME;
	uint8_t *p = mem_calloc(1, n + 10);
	struct buf b;
	buf_init(&b);
	uint8_t seq = 7;
	assert_int_equal(my_frame(&b, &seq, p, n), ERR_OK);
	/* exactly 0xFFFFFF bytes: a full frame and an empty one */
	assert_int_equal(b.len, n + 8);
	assert_int_equal(seq, 9);
	assert_memory_equal(b.data, "\xff\xff\xff\x07", 4);
	assert_memory_equal(b.data + 4 + n, "\x00\x00\x00\x08", 4);
	buf_reset(&b);
	seq = 255;
	my_frame(&b, &seq, p, n + 10);
	assert_int_equal(b.len, n + 10 + 8);
	assert_memory_equal(b.data + 4 + n, "\x0a\x00\x00\x00", 4); /* sequence wraps */
	buf_free(&b);
	mem_free(p);
}

/* A HandshakeResponse41 as MariaDB Connector/C sends it. */
static size_t make_handshake(uint8_t *out, uint32_t caps)
{
	struct buf b;
	buf_init(&b);
	buf_put_u32le(&b, caps);
	buf_put_u32le(&b, 1 << 24);
	buf_putc(&b, 45);
	for (int i = 0; i < 23; i++)
		buf_putc(&b, 0);
	buf_append(&b, "alice", 6);
	if (caps & MY_CLIENT_PLUGIN_AUTH_LENENC) {
		buf_putc(&b, 20);
	} else {
		buf_putc(&b, 20);
	}
	for (int i = 0; i < 20; i++)
		buf_putc(&b, (uint8_t)i);
	buf_append(&b, "public", 7);
	buf_append(&b, "mysql_native_password", 22);
	buf_putc(&b, 10);
	buf_putc(&b, 3);
	buf_append(&b, "key", 3);
	buf_putc(&b, 5);
	buf_append(&b, "value", 5);
	size_t n = b.len;
	memcpy(out, b.data, n);
	buf_free(&b);
	return n;
}

static void test_my_handshake_parse(void **state)
{
	(void)state;
	uint8_t msg[256];
	uint32_t caps = MY_CLIENT_PROTOCOL_41 | MY_CLIENT_SECURE_CONNECTION | MY_CLIENT_PLUGIN_AUTH |
			MY_CLIENT_CONNECT_WITH_DB | MY_CLIENT_CONNECT_ATTRS | MY_CLIENT_PLUGIN_AUTH_LENENC;
	size_t n = make_handshake(msg, caps);
	struct my_handshake_resp hr;
	assert_int_equal(my_parse_handshake_response(msg, n, &hr), ERR_OK);
	assert_string_equal(hr.user, "alice");
	assert_string_equal(hr.db, "public");
	assert_string_equal(hr.plugin, "mysql_native_password");
	assert_int_equal(hr.auth_len, 20);
	assert_int_equal(hr.auth[19], 19);
	/* every truncation is either a clean error or a prefix that parses
	 * (the optional tail), never a crash or an over-read (ASan) */
	for (size_t k = 0; k < n; k++) {
		uint8_t *cut = mem_alloc(k ? k : 1);
		memcpy(cut, msg, k);
		int rc = my_parse_handshake_response(cut, k, &hr);
		assert_true(rc == ERR_OK || rc == ERR_PROTOCOL);
		if (k < 32 + 6)
			assert_int_equal(rc, ERR_PROTOCOL);
		mem_free(cut);
	}
	/* SSLRequest */
	assert_int_equal(my_parse_handshake_response(msg, 32, &hr), ERR_PROTOCOL);
	le_put_u32(msg, caps | MY_CLIENT_SSL);
	assert_int_equal(my_parse_handshake_response(msg, 32, &hr), ERR_OK);
	assert_true(hr.ssl_request);
	/* no protocol 4.1 */
	le_put_u32(msg, caps & ~MY_CLIENT_PROTOCOL_41);
	assert_int_equal(my_parse_handshake_response(msg, n, &hr), ERR_PROTOCOL);
	/* a user name longer than the field */
	struct buf b;
	buf_init(&b);
	buf_put_u32le(&b, caps);
	buf_put_u32le(&b, 0);
	buf_putc(&b, 45);
	for (int i = 0; i < 23; i++)
		buf_putc(&b, 0);
	for (int i = 0; i < 100; i++)
		buf_putc(&b, 'u');
	buf_putc(&b, 0);
	buf_putc(&b, 0);
	assert_int_equal(my_parse_handshake_response(b.data, b.len, &hr), ERR_PROTOCOL);
	buf_free(&b);
	/* random garbage */
	srand(1);
	for (int i = 0; i < 2000; i++) {
		uint8_t g[80];
		size_t len = (size_t)(rand() % 80);
		for (size_t k = 0; k < len; k++)
			g[k] = (uint8_t)rand();
		if (len >= 4 && (i & 1))
			le_put_u32(g, caps);
		int rc = my_parse_handshake_response(g, len, &hr);
		assert_true(rc == ERR_OK || rc == ERR_PROTOCOL);
	}
}

static const char *lit(uint8_t type, bool uns, const void *p, size_t n, int *rc)
{
	static char out[256];
	struct rd r;
	rd_init(&r, p, n);
	struct buf b;
	buf_init(&b);
	*rc = my_param_literal(&r, type, uns, &b);
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data ? (char *)b.data : "");
	buf_free(&b);
	return out;
}

static void test_my_params(void **state)
{
	(void)state;
	int rc;
	assert_string_equal(lit(MY_TYPE_TINY, false, "\xff", 1, &rc), "-1");
	assert_string_equal(lit(MY_TYPE_TINY, true, "\xff", 1, &rc), "255");
	assert_string_equal(lit(MY_TYPE_SHORT, false, "\x00\x80", 2, &rc), "-32768");
	assert_string_equal(lit(MY_TYPE_LONG, true, "\xff\xff\xff\xff", 4, &rc), "4294967295");
	assert_string_equal(lit(MY_TYPE_LONGLONG, false, "\x00\x00\x00\x00\x00\x00\x00\x80", 8, &rc),
			    "-9223372036854775808");
	double d = 0.1;
	assert_string_equal(lit(MY_TYPE_DOUBLE, false, &d, 8, &rc), "0.1");
	float f = 1e30f;
	assert_string_equal(lit(MY_TYPE_FLOAT, false, &f, 4, &rc), "1e+30");
	assert_string_equal(lit(MY_TYPE_VAR_STRING, false, "\x04it's", 5, &rc), "'it''s'");
	assert_string_equal(lit(MY_TYPE_BLOB, false, "\x02\x00\xff", 3, &rc), "X'00FF'");
	assert_string_equal(lit(MY_TYPE_NEWDECIMAL, false, "\x05-1.50", 6, &rc), "-1.50");
	assert_string_equal(lit(MY_TYPE_NEWDECIMAL, false, "\x04" "1+1x", 5, &rc), "'1+1x'");
	assert_string_equal(lit(MY_TYPE_NULL, false, "", 0, &rc), "NULL");
	uint8_t dt[] = {11, 0xe8, 0x07, 1, 2, 3, 4, 5, 0x40, 0xe2, 0x01, 0x00};
	assert_string_equal(lit(MY_TYPE_DATETIME, false, dt, sizeof(dt), &rc),
			    "'2024-01-02 03:04:05.123456'");
	uint8_t date[] = {4, 0xe8, 0x07, 12, 31};
	assert_string_equal(lit(MY_TYPE_DATE, false, date, sizeof(date), &rc), "'2024-12-31'");
	uint8_t tm[] = {8, 1, 2, 0, 0, 0, 3, 4, 5};
	assert_string_equal(lit(MY_TYPE_TIME, false, tm, sizeof(tm), &rc), "'-51:04:05.000000'");
	/* malformed: bad datetime length, and every truncation of each value */
	uint8_t bad[] = {5, 0, 0, 0, 0, 0};
	lit(MY_TYPE_DATETIME, false, bad, sizeof(bad), &rc);
	assert_int_equal(rc, ERR_PROTOCOL);
	uint8_t all[] = {MY_TYPE_TINY, MY_TYPE_SHORT, MY_TYPE_LONG, MY_TYPE_LONGLONG, MY_TYPE_FLOAT,
			 MY_TYPE_DOUBLE, MY_TYPE_DATETIME, MY_TYPE_TIME, MY_TYPE_VAR_STRING};
	const uint8_t *vals[] = {(const uint8_t *)"\x01", (const uint8_t *)"\x01\x02",
				 (const uint8_t *)"\x01\x02\x03\x04",
				 (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08",
				 (const uint8_t *)"\x01\x02\x03\x04",
				 (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08", dt, tm,
				 (const uint8_t *)"\x03" "abc"};
	size_t lens[] = {1, 2, 4, 8, 4, 8, sizeof(dt), sizeof(tm), 4};
	for (size_t i = 0; i < sizeof(all); i++)
		for (size_t k = 0; k < lens[i]; k++) {
			uint8_t *cut = mem_alloc(k ? k : 1);
			memcpy(cut, vals[i], k);
			lit(all[i], false, cut, k, &rc);
			assert_int_equal(rc, ERR_PROTOCOL);
			mem_free(cut);
		}
}

static void test_my_auth_vectors(void **state)
{
	(void)state;
	uint8_t salt[20], tok[32];
	for (int i = 0; i < 20; i++)
		salt[i] = (uint8_t)(i + 1);
	static const uint8_t native[20] = {0xb3, 0x2b, 0xb3, 0xa5, 0x83, 0xe1, 0x34, 0x0c, 0x0a, 0x11,
					   0x08, 0xd5, 0x8b, 0x1b, 0xe4, 0x97, 0x81, 0xad, 0x8c, 0x2f};
	static const uint8_t sha2[32] = {0x74, 0x6e, 0xbe, 0x20, 0x5d, 0x56, 0xa0, 0x70,
					 0x7a, 0xcb, 0x3e, 0x79, 0x6e, 0x83, 0x4e, 0x0d,
					 0xd7, 0xb1, 0xd6, 0x17, 0x43, 0xb2, 0x6b, 0xd5,
					 0x20, 0x2c, 0x7a, 0x62, 0x32, 0x30, 0xc7, 0xc9};
	assert_int_equal(my_native_token(salt, "secret", tok), ERR_OK);
	assert_memory_equal(tok, native, 20);
	assert_true(my_native_check(salt, "secret", native, 20));
	assert_false(my_native_check(salt, "secreT", native, 20));
	assert_false(my_native_check(salt, "secret", native, 19));
	assert_true(my_native_check(salt, "", NULL, 0));
	assert_false(my_native_check(salt, "", native, 20));
	assert_int_equal(my_sha2_token(salt, "secret", tok), ERR_OK);
	assert_memory_equal(tok, sha2, 32);
	assert_true(my_sha2_check(salt, "secret", sha2, 32));
	assert_false(my_sha2_check(salt, "other", sha2, 32));
}

/* ---- PostgreSQL codecs ----------------------------------------------------- */

static void test_pg_startup(void **state)
{
	(void)state;
	uint8_t m[128];
	size_t n = 0;
	m[n++] = 0; m[n++] = 3; m[n++] = 0; m[n++] = 0;
	memcpy(m + n, "user\0alice\0database\0public\0", 28); /* + final NUL */
	n += 28;
	struct pg_startup st;
	assert_int_equal(pg_parse_startup(m, n, &st), ERR_OK);
	assert_int_equal(st.code, PG_PROTO_V3);
	assert_string_equal(pg_startup_get(&st, "user"), "alice");
	assert_string_equal(pg_startup_get(&st, "database"), "public");
	assert_null(pg_startup_get(&st, "options"));
	for (size_t k = 0; k < n; k++) {
		uint8_t *cut = mem_alloc(k ? k : 1);
		memcpy(cut, m, k);
		assert_int_not_equal(pg_parse_startup(cut, k, &st), ERR_OK);
		mem_free(cut);
	}
	uint8_t trailing[40];
	memcpy(trailing, m, n);
	trailing[n] = 'x';
	assert_int_equal(pg_parse_startup(trailing, n + 1, &st), ERR_PROTOCOL);
	uint8_t v2[] = {0, 2, 0, 0, 0};
	assert_int_equal(pg_parse_startup(v2, 5, &st), ERR_UNSUPPORTED);
	uint8_t cancel[] = {0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef};
	assert_int_equal(pg_parse_startup(cancel, 12, &st), ERR_OK);
	assert_int_equal(st.cancel_pid, 7);
	assert_int_equal(st.cancel_key, 0xdeadbeef);
	assert_int_equal(pg_parse_startup(cancel, 11, &st), ERR_PROTOCOL);
	uint8_t ssl[] = {0x04, 0xd2, 0x16, 0x2f};
	assert_int_equal(pg_parse_startup(ssl, 4, &st), ERR_OK);
	assert_int_equal(st.code, PG_SSL_CODE);
	/* too many parameters */
	struct buf b;
	buf_init(&b);
	pg_put_u32(&b, PG_PROTO_V3);
	for (int i = 0; i < PG_MAX_PARAMS + 1; i++)
		buf_append(&b, "k\0v\0", 4);
	buf_putc(&b, 0);
	assert_int_equal(pg_parse_startup(b.data, b.len, &st), ERR_PROTOCOL);
	buf_free(&b);
}

static size_t make_bind(uint8_t *out)
{
	struct buf b;
	buf_init(&b);
	buf_append(&b, "p1\0s1\0", 6);
	pg_put_u16(&b, 2);
	pg_put_u16(&b, 0);
	pg_put_u16(&b, 1);
	pg_put_u16(&b, 2);
	pg_put_u32(&b, 3);
	buf_append(&b, "abc", 3);
	pg_put_u32(&b, 0xFFFFFFFFu);
	pg_put_u16(&b, 1);
	pg_put_u16(&b, 1);
	size_t n = b.len;
	memcpy(out, b.data, n);
	buf_free(&b);
	return n;
}

static void test_pg_bind(void **state)
{
	(void)state;
	uint8_t m[64];
	size_t n = make_bind(m);
	struct pg_bind b;
	assert_int_equal(pg_parse_bind(m, n, &b), ERR_OK);
	assert_string_equal(b.portal, "p1");
	assert_string_equal(b.stmt, "s1");
	assert_int_equal(b.nparams, 2);
	assert_int_equal(b.lens[0], 3);
	assert_memory_equal(b.vals[0], "abc", 3);
	assert_null(b.vals[1]);
	assert_int_equal(pg_bind_param_format(&b, 1), 1);
	assert_int_equal(b.nrfmt, 1);
	assert_int_equal(b.rfmts[0], 1);
	pg_bind_free(&b);
	for (size_t k = 0; k < n; k++) {
		uint8_t *cut = mem_alloc(k ? k : 1);
		memcpy(cut, m, k);
		assert_int_not_equal(pg_parse_bind(cut, k, &b), ERR_OK);
		mem_free(cut);
	}
	/* a parameter length beyond the message, a length of -2, a bad format */
	uint8_t bad[64];
	memcpy(bad, m, n);
	bad[17] = 0x7f;
	assert_int_equal(pg_parse_bind(bad, n, &b), ERR_PROTOCOL);
	memcpy(bad, m, n);
	memcpy(bad + 14, "\xff\xff\xff\xfe", 4);
	assert_int_equal(pg_parse_bind(bad, n, &b), ERR_PROTOCOL);
	memcpy(bad, m, n);
	bad[11] = 7;
	assert_int_equal(pg_parse_bind(bad, n, &b), ERR_PROTOCOL);
	srand(2);
	for (int i = 0; i < 3000; i++) {
		uint8_t g[40];
		size_t len = (size_t)(rand() % 40);
		for (size_t k = 0; k < len; k++)
			g[k] = (uint8_t)(rand() % 4 == 0 ? 0 : rand());
		if (pg_parse_bind(g, len, &b) == ERR_OK)
			pg_bind_free(&b);
	}
}

static const char *pglit(uint32_t oid, int fmt, const void *p, int32_t n, int *rc)
{
	static char out[256];
	struct buf b;
	buf_init(&b);
	*rc = pg_param_literal(&b, oid, fmt, p, n);
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data ? (char *)b.data : "");
	buf_free(&b);
	return out;
}

static void test_pg_params(void **state)
{
	(void)state;
	int rc;
	assert_string_equal(pglit(PG_OID_INT8, 1, "\xff\xff\xff\xff\xff\xff\xff\xfe", 8, &rc), "-2");
	assert_string_equal(pglit(PG_OID_INT4, 1, "\x80\x00\x00\x00", 4, &rc), "-2147483648");
	assert_string_equal(pglit(PG_OID_INT2, 1, "\x7f\xff", 2, &rc), "32767");
	assert_string_equal(pglit(PG_OID_FLOAT8, 1, "\x3f\xb9\x99\x99\x99\x99\x99\x9a", 8, &rc), "0.1");
	assert_string_equal(pglit(PG_OID_FLOAT4, 1, "\x7f\x80\x00\x00", 4, &rc), "'Infinity'");
	assert_string_equal(pglit(PG_OID_BOOL, 1, "\x01", 1, &rc), "TRUE");
	assert_string_equal(pglit(PG_OID_TEXT, 1, "it's", 4, &rc), "'it''s'");
	assert_string_equal(pglit(PG_OID_BYTEA, 1, "\x00\xff", 2, &rc), "X'00FF'");
	assert_string_equal(pglit(PG_OID_BYTEA, 0, "\\x00ff", 6, &rc), "X'00FF'");
	assert_string_equal(pglit(PG_OID_DATE, 1, "\x00\x00\x00\x00", 4, &rc), "'2000-01-01'");
	assert_string_equal(pglit(PG_OID_DATE, 1, "\xff\xff\xff\xff", 4, &rc), "'1999-12-31'");
	assert_string_equal(pglit(PG_OID_TIMESTAMP, 1, "\x00\x00\x00\x00\x00\x00\x00\x01", 8, &rc),
			    "'2000-01-01 00:00:00.000001'");
	assert_string_equal(pglit(PG_OID_INT8, 0, " 42 ", 4, &rc), " 42 ");
	assert_string_equal(pglit(PG_OID_FLOAT8, 0, "1e5", 3, &rc), "1e5");
	assert_string_equal(pglit(PG_OID_FLOAT8, 0, "NaN", 3, &rc), "'NaN'");
	assert_string_equal(pglit(PG_OID_BOOL, 0, "on", 2, &rc), "TRUE");
	assert_string_equal(pglit(PG_OID_TIMESTAMP, 0, "2024-01-01", 10, &rc), "'2024-01-01'");
	assert_string_equal(pglit(0, 0, "x'; drop", 8, &rc), "'x''; drop'");
	assert_string_equal(pglit(PG_OID_INT8, 0, NULL, -1, &rc), "NULL");
	pglit(PG_OID_INT8, 0, "1; drop table", 13, &rc);
	assert_int_equal(rc, ERR_BAD_INPUT);
	pglit(PG_OID_BOOL, 0, "maybe", 5, &rc);
	assert_int_equal(rc, ERR_BAD_INPUT);
	/* F1: blanks only are no float: an error, never pasted as the literal */
	assert_string_equal(pglit(PG_OID_FLOAT8, 0, "   ", 3, &rc), "");
	assert_int_equal(rc, ERR_BAD_INPUT);
	assert_non_null(strstr(err_msg(), "invalid input syntax for type double precision"));
	pglit(PG_OID_FLOAT4, 0, " ", 1, &rc);
	assert_int_equal(rc, ERR_BAD_INPUT);
	pglit(PG_OID_NUMERIC, 0, "", 0, &rc);
	assert_int_equal(rc, ERR_BAD_INPUT);
	assert_string_equal(pglit(PG_OID_FLOAT8, 0, " 2.5 ", 5, &rc), " 2.5 ");
	assert_string_equal(pglit(PG_OID_FLOAT8, 0, "+", 1, &rc), "'+'");
	pglit(PG_OID_BYTEA, 0, "\\xzz", 4, &rc);
	assert_int_equal(rc, ERR_BAD_INPUT);
	pglit(PG_OID_INT8, 1, "abc", 3, &rc);
	assert_int_equal(rc, ERR_BAD_INPUT);
	pglit(PG_OID_TIMESTAMP, 1, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8, &rc);
	assert_int_equal(rc, ERR_BAD_INPUT);
	pglit(1186 /* interval */, 1, "12345678", 8, &rc);
	assert_int_equal(rc, ERR_UNSUPPORTED);

	/* binary values: timestamps relative to 2000-01-01 */
	struct colvec v;
	colvec_init(&v, DT_TS_MS);
	colvec_push_i64(&v, 946684800001LL);
	struct buf b;
	buf_init(&b);
	pg_binary_value(&b, &v, 0, NULL);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "\x00\x00\x00\x00\x00\x00\x03\xe8", 8);
	colvec_free(&v);
	colvec_init(&v, DT_DATE);
	colvec_push_i64(&v, 0);
	buf_reset(&b);
	pg_binary_value(&b, &v, 0, NULL);
	assert_memory_equal(b.data, "\xff\xff\xd5\x33", 4); /* -10957 */
	colvec_free(&v);
	buf_free(&b);
	assert_int_equal(pg_oid_of(DT_UINT64), PG_OID_NUMERIC);
	assert_int_equal(pg_oid_of(DT_STRING), PG_OID_VARCHAR);
	colvec_init(&v, DT_UINT64);
	colvec_push_i64(&v, -1);       /* 18446744073709551615 */
	colvec_push_i64(&v, 100000000); /* 1 0000 0000: trailing zero digits dropped */
	colvec_push_i64(&v, 0);
	buf_init(&b);
	pg_binary_value(&b, &v, 0, NULL);
	assert_int_equal(b.len, 18);
	assert_memory_equal(b.data, "\x00\x05\x00\x04\x00\x00\x00\x00\x07\x34\x1a\x58\x02\xe1\x03\xbb\x06\x4f", 18);
	buf_reset(&b);
	pg_binary_value(&b, &v, 1, NULL);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "\x00\x01\x00\x02\x00\x00\x00\x00\x00\x01", 10);
	buf_reset(&b);
	pg_binary_value(&b, &v, 2, NULL);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "\0\0\0\0\0\0\0\0", 8);
	buf_free(&b);
	colvec_free(&v);
	assert_int_equal(pg_oid_of(DT_TS_NS), PG_OID_TIMESTAMP);
	assert_int_equal(pg_typlen_of(DT_STRING), -1);
}

static void test_pg_auth_vectors(void **state)
{
	(void)state;
	char out[36];
	uint8_t salt[4] = {1, 2, 3, 4};
	assert_int_equal(pg_md5_response("alice", "secret", salt, out), ERR_OK);
	assert_memory_equal(out, "md598a0412b9c31436fc53776e863350083", 35);

	/* RFC 7677 section 3 */
	uint8_t s[32];
	int sn = pg_b64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, s, sizeof(s));
	assert_int_equal(sn, 16);
	struct pg_scram sc;
	const char *first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
	assert_int_equal(pg_scram_first(&sc, "pencil", s, 16, 4096, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
					(const uint8_t *)first, strlen(first)),
			 ERR_OK);
	assert_string_equal(sc.server_first, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
					     "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
	const char *final = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
			    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
	char sf[128];
	assert_int_equal(pg_scram_final(&sc, (const uint8_t *)final, strlen(final), sf, sizeof(sf)),
			 ERR_OK);
	assert_string_equal(sf, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
	/* wrong password, tampered proof, wrong nonce, bad channel binding */
	struct pg_scram bad;
	pg_scram_first(&bad, "pencil2", s, 16, 4096, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
		       (const uint8_t *)first, strlen(first));
	assert_int_equal(pg_scram_final(&bad, (const uint8_t *)final, strlen(final), sf, sizeof(sf)),
			 ERR_BAD_INPUT);
	const char *f2 = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,"
			 "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
	assert_int_equal(pg_scram_final(&sc, (const uint8_t *)f2, strlen(f2), sf, sizeof(sf)),
			 ERR_PROTOCOL);
	const char *f3 = "c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
			 "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
	assert_int_equal(pg_scram_final(&sc, (const uint8_t *)f3, strlen(f3), sf, sizeof(sf)),
			 ERR_PROTOCOL);
	const char *f4 = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=!!";
	assert_int_not_equal(pg_scram_final(&sc, (const uint8_t *)f4, strlen(f4), sf, sizeof(sf)),
			     ERR_OK);
	const char *garbage[] = {"", "x", "n,", "p=tls,,n=,r=x", "n,,n=user", "n,,r="};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		assert_int_equal(pg_scram_first(&bad, "pw", s, 16, 4096, "abc",
						(const uint8_t *)garbage[i], strlen(garbage[i])),
				 ERR_PROTOCOL);
}

/* ---- in-process servers ------------------------------------------------ */

/* A handler: "rows" -> 2 rows (i Int64, ts TimestampMillisecond, s String
 * with one NULL); "ok" -> affected 3; anything else -> TableNotFound. */
static int tiny_execute(void *ctx, struct session *s, const char *sql, size_t len,
			query_emit_fn emit, void *emit_ctx)
{
	(void)ctx;
	(void)s;
	struct query_result r = {0};
	if (len >= 4 && !strncmp(sql, "rows", 4)) {
		static const char *names[] = {"i", "ts", "s"};
		static const enum dtype types[] = {DT_INT64, DT_TS_MS, DT_STRING};
		r.kind = QUERY_ROWS;
		result_set_init(&r.rs, 3, names, types);
		colvec_push_i64(&r.rs.rows.cols[0], 42);
		colvec_push_i64(&r.rs.rows.cols[0], -1);
		colvec_push_i64(&r.rs.rows.cols[1], 1700000000123LL);
		colvec_push_i64(&r.rs.rows.cols[1], 0);
		colvec_push_bytes(&r.rs.rows.cols[2], "x", 1);
		colvec_push_null(&r.rs.rows.cols[2]);
		r.rs.rows.nrows = 2;
		emit(emit_ctx, &r);
		result_set_free(&r.rs);
		return ERR_OK;
	}
	if (len == 2 && !strncmp(sql, "ok", 2)) {
		r.kind = QUERY_AFFECTED;
		r.affected = 3;
		emit(emit_ctx, &r);
		return ERR_OK;
	}
	if (len >= 3 && !strncmp(sql, "USE", 3)) {
		r.kind = QUERY_OK;
		emit(emit_ctx, &r);
		return ERR_OK;
	}
	r.kind = QUERY_ERROR;
	r.err = ERR_NOT_FOUND;
	r.greptime_status = 4001;
	r.err_msg = "Table not found: t";
	emit(emit_ctx, &r);
	return ERR_OK;
}

static const struct query_handler tiny = {NULL, tiny_execute};

static int dial(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Read one MySQL packet; returns the payload length, -1 on EOF. */
static int my_read(int fd, uint8_t *p, size_t cap, uint8_t *seq)
{
	uint8_t h[4];
	if (netio_read_full(fd, h, 4, 5000, NULL))
		return -1;
	size_t n = h[0] | h[1] << 8 | h[2] << 16;
	if (seq)
		*seq = h[3];
	assert_true(n <= cap);
	if (n && netio_read_full(fd, p, n, 5000, NULL))
		return -1;
	return (int)n;
}

static void my_write(int fd, uint8_t seq, const void *p, size_t n)
{
	uint8_t h[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), seq};
	assert_int_equal(netio_write_full(fd, h, 4, 5000), 0);
	assert_int_equal(netio_write_full(fd, p, n, 5000), 0);
}

static int my_login(uint16_t port, uint32_t caps)
{
	int fd;
	uint8_t p[4096];
	/* The server frees a closed connection's slot when its thread sees the
	 * close, asynchronously: a login right after a close may still get
	 * ERR 1040 from the 2-connection server; wait for the slot then. */
	for (int attempt = 0;; attempt++) {
		fd = dial(port);
		assert_true(my_read(fd, p, sizeof(p), NULL) > 0);
		if (p[0] != 0xff || (p[1] | p[2] << 8) != 1040 || attempt == 150)
			break;
		close(fd);
		clock_sleep_ms(20);
	}
	assert_int_equal(p[0], 10);
	assert_string_equal((char *)p + 1, "8.4.2");
	uint8_t hs[256];
	size_t n = make_handshake(hs, caps);
	my_write(fd, 1, hs, n);
	int len = my_read(fd, p, sizeof(p), NULL);
	assert_true(len > 0);
	assert_int_equal(p[0], 0x00); /* OK */
	return fd;
}

static void test_mysql_server_results(void **state)
{
	(void)state;
	struct mysql_server *srv;
	struct mysql_server_opts o = {.max_connections = 2, .max_packet = 4096, .io_timeout_ms = 2000};
	assert_int_equal(mysql_server_start("127.0.0.1", 0, &tiny, &o, &srv), ERR_OK);
	uint16_t port = mysql_server_port(srv);
	uint32_t base = MY_CLIENT_PROTOCOL_41 | MY_CLIENT_SECURE_CONNECTION | MY_CLIENT_PLUGIN_AUTH |
			MY_CLIENT_CONNECT_WITH_DB | MY_CLIENT_MULTI_STATEMENTS |
			MY_CLIENT_MULTI_RESULTS;
	uint8_t p[8192];
	uint8_t seq;
	for (int deprecate = 0; deprecate < 2; deprecate++) {
		int fd = my_login(port, base | (deprecate ? MY_CLIENT_DEPRECATE_EOF : 0));
		const char *q = "\x03rows; ok";
		my_write(fd, 0, q, strlen(q));
		/* column count, 3 column defs, [EOF], 2 rows, terminator(MORE), OK */
		assert_int_equal(my_read(fd, p, sizeof(p), &seq), 1);
		assert_int_equal(seq, 1);
		assert_int_equal(p[0], 3);
		for (int i = 0; i < 3; i++)
			assert_true(my_read(fd, p, sizeof(p), NULL) > 0);
		assert_int_equal(p[0], 3); /* lenenc "def" */
		if (!deprecate) {
			assert_int_equal(my_read(fd, p, sizeof(p), NULL), 5);
			assert_int_equal(p[0], 0xFE);
		}
		int n = my_read(fd, p, sizeof(p), NULL);
		const char row1[] = "\x02"
				    "42\x1a"
				    "2023-11-14 22:13:20.123000\x01x";
		assert_int_equal(n, sizeof(row1) - 1);
		assert_memory_equal(p, row1, sizeof(row1) - 1);
		n = my_read(fd, p, sizeof(p), NULL);
		assert_int_equal(p[n - 1], 0xFB); /* NULL */
		n = my_read(fd, p, sizeof(p), &seq);
		assert_int_equal(p[0], 0xFE);
		assert_int_equal(n, deprecate ? 7 : 5);
		assert_true(p[3] & MY_STATUS_MORE_RESULTS);
		n = my_read(fd, p, sizeof(p), NULL);
		assert_int_equal(p[0], 0x00);
		assert_int_equal(p[1], 3); /* affected */
		assert_false(p[3] & MY_STATUS_MORE_RESULTS);
		/* error text and code */
		my_write(fd, 0, "\x03nope", 5);
		n = my_read(fd, p, sizeof(p), NULL);
		assert_int_equal(p[0], 0xFF);
		assert_int_equal(p[1] | p[2] << 8, 1146);
		assert_memory_equal(p + 3, "#42S02(TableNotFound): Table not found: t", n - 3);
		close(fd);
	}

	/* prepared statement: binary params and binary rows */
	int fd = my_login(port, base | MY_CLIENT_DEPRECATE_EOF);
	my_write(fd, 0, "\x16rows -- ?", 10);
	int n = my_read(fd, p, sizeof(p), NULL);
	assert_int_equal(n, 12);
	assert_int_equal(p[0], 0);
	uint32_t id = le_get_u32(p + 1);
	assert_int_equal(p[7] | p[8] << 8, 0); /* placeholder in a comment */
	uint8_t ex[10] = {0x17};
	le_put_u32(ex + 1, id);
	le_put_u32(ex + 6, 1);
	my_write(fd, 0, ex, 10);
	assert_int_equal(my_read(fd, p, sizeof(p), NULL), 1);
	for (int i = 0; i < 3; i++)
		my_read(fd, p, sizeof(p), NULL);
	n = my_read(fd, p, sizeof(p), NULL);
	/* 0x00, null bitmap (1 byte), i64 42, DATETIME(11), lenenc "x" */
	const uint8_t brow[] = {0x00, 0x00, 42, 0, 0, 0, 0, 0, 0, 0, 11, 0xe7, 0x07, 11, 14, 22,
				13, 20, 0x78, 0xe0, 0x01, 0x00, 1, 'x'};
	assert_int_equal(n, sizeof(brow));
	assert_memory_equal(p, brow, sizeof(brow));
	n = my_read(fd, p, sizeof(p), NULL);
	assert_int_equal(p[1], 0x10); /* NULL bit of column 2 (offset 2) */
	my_read(fd, p, sizeof(p), NULL);
	/* unknown statement id */
	le_put_u32(ex + 1, 999);
	my_write(fd, 0, ex, 10);
	my_read(fd, p, sizeof(p), NULL);
	assert_int_equal(p[0], 0xFF);
	assert_int_equal(p[1] | p[2] << 8, 1243);
	/* wrong sequence id: ERR 1156 then close */
	my_write(fd, 5, "\x0e", 1);
	n = my_read(fd, p, sizeof(p), NULL);
	assert_int_equal(p[1] | p[2] << 8, 1156);
	assert_int_equal(my_read(fd, p, sizeof(p), NULL), -1);
	close(fd);

	/* packet above max_packet: ERR 1153 and close */
	fd = my_login(port, base);
	uint8_t big[5000];
	memset(big, 'a', sizeof(big));
	big[0] = 0x03;
	my_write(fd, 0, big, sizeof(big));
	my_read(fd, p, sizeof(p), NULL);
	assert_int_equal(p[1] | p[2] << 8, 1153);
	assert_int_equal(my_read(fd, p, sizeof(p), NULL), -1);
	close(fd);

	/* over max_connections: ERR 1040 as the first packet */
	int a = my_login(port, base), b = my_login(port, base);
	int c = dial(port);
	n = my_read(c, p, sizeof(p), &seq);
	assert_int_equal(seq, 0);
	assert_int_equal(p[0], 0xFF);
	assert_int_equal(p[1] | p[2] << 8, 1040);
	assert_memory_equal(p + 3, "#08004Too many connections", n - 3);
	close(c);
	close(a);
	close(b);
	mysql_server_stop(srv);
}

static void pg_send(int fd, uint8_t type, const void *p, size_t n)
{
	uint8_t h[5] = {type, (uint8_t)((n + 4) >> 24), (uint8_t)((n + 4) >> 16),
			(uint8_t)((n + 4) >> 8), (uint8_t)(n + 4)};
	assert_int_equal(netio_write_full(fd, h, 5, 5000), 0);
	if (n)
		assert_int_equal(netio_write_full(fd, p, n, 5000), 0);
}

static int pg_recv(int fd, uint8_t *type, uint8_t *p, size_t cap)
{
	uint8_t h[5];
	if (netio_read_full(fd, h, 5, 5000, NULL))
		return -1;
	*type = h[0];
	uint32_t n = pg_get_u32(h + 1) - 4;
	assert_true(n <= cap);
	if (n && netio_read_full(fd, p, n, 5000, NULL))
		return -1;
	return (int)n;
}

/* Message types until ReadyForQuery, as a string. */
static void pg_until_ready(int fd, char *types, size_t cap, uint8_t *last, size_t lcap)
{
	size_t k = 0;
	uint8_t t;
	for (;;) {
		int n = pg_recv(fd, &t, last, lcap);
		assert_true(n >= 0);
		if (k + 1 < cap)
			types[k++] = (char)t;
		if (t == 'Z')
			break;
	}
	types[k] = 0;
}

static int pg_login(uint16_t port)
{
	int fd = dial(port);
	uint8_t ssl[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
	netio_write_full(fd, ssl, 8, 5000);
	uint8_t r;
	assert_int_equal(netio_read_full(fd, &r, 1, 5000, NULL), 0);
	assert_int_equal(r, 'N');
	uint8_t st[32] = {0, 0, 0, 32, 0, 3, 0, 0};
	memcpy(st + 8, "user\0u\0database\0public\0", 24); /* + final NUL */
	netio_write_full(fd, st, 32, 5000);
	char types[64];
	uint8_t last[512];
	pg_until_ready(fd, types, sizeof(types), last, sizeof(last));
	assert_string_equal(types, "RSSSSSSSSSSSKZ");
	return fd;
}

static void test_pg_server(void **state)
{
	(void)state;
	struct pg_server *srv;
	struct pg_server_opts o = {.max_connections = 1, .max_message = 4096, .io_timeout_ms = 2000};
	assert_int_equal(pg_server_start("127.0.0.1", 0, &tiny, &o, &srv), ERR_OK);
	uint16_t port = pg_server_port(srv);
	int fd = pg_login(port);
	char types[64];
	uint8_t last[8192];
	pg_send(fd, 'Q', "rows; ok; BEGIN\0", 16);
	pg_until_ready(fd, types, sizeof(types), last, sizeof(last));
	assert_string_equal(types, "TDDCCCZ");
	assert_int_equal(last[0], 'T');
	/* extended: Parse/Bind(binary results)/Execute(1)/Execute(1)/Sync */
	pg_send(fd, 'P', "\0rows\0\0\0", 8);
	pg_send(fd, 'B', "\0\0\0\0\0\0\0\x01\0\x01", 10);
	pg_send(fd, 'D', "P\0", 2);
	pg_send(fd, 'E', "\0\0\0\0\x01", 5);
	pg_send(fd, 'E', "\0\0\0\0\x01", 5);
	pg_send(fd, 'S', NULL, 0);
	uint8_t t;
	int n;
	const char *want = "12TDsDCZ";
	for (const char *w = want; *w; w++) {
		n = pg_recv(fd, &t, last, sizeof(last));
		assert_int_equal(t, *w);
		if (w == want + 3) { /* first DataRow: binary int8 and timestamp */
			assert_int_equal(n, 2 + 12 + 12 + 5);
			assert_memory_equal(last + 6, "\0\0\0\0\0\0\0\x2a", 8);
			int64_t us = (int64_t)((uint64_t)pg_get_u32(last + 18) << 32 |
					       pg_get_u32(last + 22));
			assert_true(us == (1700000000123LL - 946684800000LL) * 1000);
		}
	}
	/* error in extended mode: skip until Sync; status 'E' inside BEGIN */
	pg_send(fd, 'P', "\0nope\0\0\0", 8);
	pg_send(fd, 'B', "\0\0\0\0\0\0\0\0", 8);
	pg_send(fd, 'E', "\0\0\0\0\0", 5);
	pg_send(fd, 'E', "\0\0\0\0\0", 5);
	pg_send(fd, 'S', NULL, 0);
	pg_until_ready(fd, types, sizeof(types), last, sizeof(last));
	assert_string_equal(types, "12EZ");
	assert_int_equal(last[0], 'E');
	pg_send(fd, 'Q', "ok\0", 3);
	pg_until_ready(fd, types, sizeof(types), last, sizeof(last));
	assert_string_equal(types, "EZ");
	pg_send(fd, 'Q', "rollback\0", 9);
	pg_until_ready(fd, types, sizeof(types), last, sizeof(last));
	assert_string_equal(types, "CZ");
	assert_int_equal(last[0], 'I');
	/* over the connection limit (1): FATAL 53300 */
	int c = dial(port);
	uint8_t st[32] = {0, 0, 0, 32, 0, 3, 0, 0};
	memcpy(st + 8, "user\0u\0database\0public\0", 24);
	netio_write_full(c, st, 32, 5000);
	n = pg_recv(c, &t, last, sizeof(last));
	assert_int_equal(t, 'E');
	assert_non_null(memmem(last, (size_t)n, "C53300", 6));
	assert_non_null(memmem(last, (size_t)n, "Too many connections", 20));
	close(c);
	/* message above max_message: FATAL 08P01 (as PostgreSQL: invalid message length), connection closed */
	uint8_t big[5] = {'Q', 0, 0, 0x20, 0};
	netio_write_full(fd, big, 5, 5000);
	n = pg_recv(fd, &t, last, sizeof(last));
	assert_int_equal(t, 'E');
	assert_non_null(memmem(last, (size_t)n, "C08P01", 6));
	assert_int_equal(pg_recv(fd, &t, last, sizeof(last)), -1);
	close(fd);
	pg_server_stop(srv);
}

static void serve_echo(void *arg, struct netio_conn *c)
{
	(void)arg;
	char b[16];
	size_t got;
	while (netio_read_full(c->fd, b, 1, -1, &got) == ERR_OK)
		if (netio_write_full(c->fd, b, 1, 1000))
			break;
}

static void test_netio_stop_with_clients(void **state)
{
	(void)state;
	struct netsrv *s;
	struct netio_opts o = {.max_connections = 4, .name = "echo"};
	assert_int_equal(netsrv_start("127.0.0.1", 0, &o, serve_echo, NULL, &s), ERR_OK);
	int fds[3];
	for (int i = 0; i < 3; i++) {
		fds[i] = dial(netsrv_port(s));
		char c = 'a', r = 0;
		netio_write_full(fds[i], &c, 1, 1000);
		assert_int_equal(netio_read_full(fds[i], &r, 1, 2000, NULL), 0);
		assert_int_equal(r, 'a');
	}
	assert_int_equal(netsrv_live(s), 3);
	/* read deadline */
	char x;
	size_t got = 9;
	assert_int_equal(netio_read_full(fds[0], &x, 1, 50, &got), ERR_RETRY);
	assert_int_equal(got, 0);
	/* stop returns although the clients idle; their sockets get closed */
	netsrv_stop(s);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(netio_read_full(fds[i], &x, 1, 2000, &got), ERR_IO);
		close(fds[i]);
	}
	struct netsrv *bad;
	assert_int_not_equal(netsrv_start("no-such-host.invalid", 0, &o, serve_echo, NULL, &bad), 0);
	assert_null(bad);
}

static void test_session_vars(void **state)
{
	(void)state;
	struct session s;
	session_init(&s, SESSION_PG, 9);
	assert_string_equal(s.catalog, "greptime");
	assert_string_equal(s.schema, "public");
	assert_int_equal(session_set_var(&s, "Application_Name", "x"), ERR_OK);
	assert_int_equal(session_set_var(&s, "application_name", "y"), ERR_OK);
	assert_string_equal(session_get_var(&s, "APPLICATION_NAME"), "y");
	assert_int_equal(s.nvars, 1);
	assert_null(session_get_var(&s, "nope"));
	char name[16];
	for (int i = 1; i < SESSION_MAX_VARS; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		assert_int_equal(session_set_var(&s, name, "1"), ERR_OK);
	}
	assert_int_equal(session_set_var(&s, "one_more", "1"), ERR_LIMIT);
	char longv[400];
	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = 0;
	assert_int_equal(session_set_var(&s, "v1", longv), ERR_LIMIT);
	assert_false(session_cancelled(&s));
	session_request_cancel(&s);
	assert_true(session_cancelled(&s));
	assert_string_equal(read_preference_name(READ_PREF_FOLLOWER_PREFERRED), "FOLLOWER_PREFERRED");
}

/* duration columns: PostgreSQL interval text -> binary (us, days, months) */
static void test_pg_interval(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t us;
		int32_t days;
	} ok[] = {
		{"00:00:00", 0, 0},
		{"00:00:00.918000", 918000, 0},
		{"1 day", 0, 1},
		{"2 days 03:04:05.5", 11045500000LL, 2},
		{"-1 days -02:00:00", -7200000000LL, -1},
		{"-00:00:01", -1000000, 0},
		{"-3 days", 0, -3},
		{"100:00:00", 360000000000LL, 0},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t us = -1;
		int32_t days = -1;
		assert_int_equal(pg_interval_parse(ok[i].text, strlen(ok[i].text), &us, &days), ERR_OK);
		assert_true(us == ok[i].us);
		assert_int_equal(days, ok[i].days);
	}
	struct buf b;
	buf_init(&b);
	assert_int_equal(pg_interval_binary(&b, "-1 days -02:00:00", 17), ERR_OK);
	assert_int_equal(b.len, 16);
	assert_memory_equal(b.data,
			    "\xff\xff\xff\xfe\x52\xd8\xb8\x00" /* -7200000000 us */
			    "\xff\xff\xff\xff"                     /* -1 day */
			    "\x00\x00\x00\x00", 16);               /* 0 months */
	/* hostile / foreign text: a clear error, nothing appended */
	static const char *bad[] = {"", "P0D", "PT0.918S", "1 day x", "1 weeks", "1:2", "00:60:00",
				    "00:00:00.1234567", "00:00:00.", "-", "1 day  00:00:00", "12",
				    "99999999999 days", "abc", "00:00:00 "};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t us;
		int32_t days;
		assert_int_equal(pg_interval_parse(bad[i], strlen(bad[i]), &us, &days), ERR_CORRUPT);
		buf_reset(&b);
		assert_int_equal(pg_interval_binary(&b, bad[i], strlen(bad[i])), ERR_CORRUPT);
		assert_int_equal(b.len, 0);
	}
	/* not NUL-terminated: never reads past n */
	int64_t us;
	int32_t days;
	assert_int_equal(pg_interval_parse("00:00:01999", 8, &us, &days), ERR_OK);
	assert_true(us == 1000000);
	buf_free(&b);

	/* result_set kinds: default plain, set, freed with the set */
	struct result_set rs;
	const char *names[] = {"a", "b"};
	enum dtype types[] = {DT_STRING, DT_STRING};
	assert_int_equal(result_set_init(&rs, 2, names, types), ERR_OK);
	assert_int_equal(result_set_kind(&rs, 1), RS_KIND_PLAIN);
	assert_int_equal(result_set_set_kind(&rs, 1, RS_KIND_DURATION), ERR_OK);
	assert_int_equal(result_set_kind(&rs, 1), RS_KIND_DURATION);
	assert_int_equal(result_set_kind(&rs, 0), RS_KIND_PLAIN);
	assert_int_equal(result_set_kind(&rs, 7), RS_KIND_PLAIN);
	assert_int_not_equal(result_set_set_kind(&rs, 2, RS_KIND_DURATION), ERR_OK);
	result_set_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vfmt_doubles),
		cmocka_unit_test(test_vfmt_doubles_fast_path),
		cmocka_unit_test(test_vfmt_values),
		cmocka_unit_test(test_vfmt_ints_and_timestamps),
		cmocka_unit_test(test_vfmt_named_zones),
		cmocka_unit_test(test_sqltext_split),
		cmocka_unit_test(test_sqltext_params),
		cmocka_unit_test(test_sqltext_lexer_agree),
		cmocka_unit_test(test_sqltext_value_gaps),
		cmocka_unit_test(test_my_lenenc),
		cmocka_unit_test(test_my_frame),
		cmocka_unit_test(test_my_handshake_parse),
		cmocka_unit_test(test_my_params),
		cmocka_unit_test(test_my_auth_vectors),
		cmocka_unit_test(test_pg_startup),
		cmocka_unit_test(test_pg_bind),
		cmocka_unit_test(test_pg_params),
		cmocka_unit_test(test_pg_auth_vectors),
		cmocka_unit_test(test_session_vars),
		cmocka_unit_test(test_netio_stop_with_clients),
		cmocka_unit_test(test_mysql_server_results),
		cmocka_unit_test(test_pg_server),
		cmocka_unit_test(test_pg_interval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
