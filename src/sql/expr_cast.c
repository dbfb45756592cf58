/*
 * expr_cast: type casts, text <-> value conversions and the display of
 * literals, following Arrow/DataFusion as GreptimeDB runs them.
 *
 *  - string -> timestamp: arrow's parser ("YYYY-MM-DD", then ' ' or 'T',
 *    "HH:MM[:SS[.fraction]]", then "Z", an offset or a zone name); a time
 *    without a zone is local time of the session time zone. Errors carry
 *    arrow's text: "Parser error: Error parsing timestamp from '<s>':
 *    error parsing date" / "invalid timestamp separator" / "error parsing
 *    time", "Parser error: Invalid timezone \"AA\": failed to parse timezone".
 *  - string -> number: strict (no blanks); "Cast error: Cannot cast string
 *    'x' to value of Int32 type".
 *  - number -> narrower number: range checked; "Cast error: Can't cast
 *    value 300 to type Int8".
 *  - timestamp -> string: "YYYY-MM-DDTHH:MM:SS" plus ".fff"/".ffffff"/
 *    ".fffffffff" when the fraction is not zero (chrono's %.f).
 *  - timestamps of different units: multiply (overflow checked) or floor
 *    divide; timestamp -> date: floor to the UTC day.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/expr.h"

#define NS_PER_SEC 1000000000LL
#define SECS_PER_DAY 86400LL

const char *xtype_arrow_name(int t)
{
	switch (t) {
	case DT_BOOL: return "Boolean";
	case DT_INT8: return "Int8";
	case DT_INT16: return "Int16";
	case DT_INT32: return "Int32";
	case DT_INT64: return "Int64";
	case DT_UINT8: return "UInt8";
	case DT_UINT16: return "UInt16";
	case DT_UINT32: return "UInt32";
	case DT_UINT64: return "UInt64";
	case DT_FLOAT32: return "Float32";
	case DT_FLOAT64: return "Float64";
	case DT_STRING: return "Utf8";
	case DT_BINARY: return "Binary";
	case DT_DATE: return "Date32";
	case DT_TS_S: return "Timestamp(s)";
	case DT_TS_MS: return "Timestamp(ms)";
	case DT_TS_US: return "Timestamp(\xc2\xb5s)";
	case DT_TS_NS: return "Timestamp(ns)";
	case XT_NULL: return "Null";
	case XT_INTERVAL: return "Interval(MonthDayNano)";
	default: return "?";
	}
}

bool xtype_is_int(int t) { return t >= DT_INT8 && t <= DT_UINT64; }
bool xtype_is_float(int t) { return t == DT_FLOAT32 || t == DT_FLOAT64; }
bool xtype_is_numeric(int t) { return xtype_is_int(t) || xtype_is_float(t); }
bool xtype_is_temporal(int t) { return t == DT_DATE || (t >= DT_TS_S && t <= DT_TS_NS); }

int plan_err(const char *fmt, ...)
{
	char m[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return err_set(ERR_PLAN, "Failed to plan SQL: %s", m);
}

int exec_err(const char *fmt, ...)
{
	char m[460];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return err_set(ERR_EXEC, "%s", m);
}

/* ---- integer ranges ---------------------------------------------------- */

static bool int_fits(int t, int64_t v, bool v_unsigned)
{
	if (v_unsigned && v < 0) /* > INT64_MAX */
		return t == DT_UINT64;
	switch (t) {
	case DT_BOOL: return true;
	case DT_INT8: return v >= INT8_MIN && v <= INT8_MAX;
	case DT_INT16: return v >= INT16_MIN && v <= INT16_MAX;
	case DT_INT32: return v >= INT32_MIN && v <= INT32_MAX;
	case DT_INT64: return true;
	case DT_UINT8: return v >= 0 && v <= UINT8_MAX;
	case DT_UINT16: return v >= 0 && v <= UINT16_MAX;
	case DT_UINT32: return v >= 0 && v <= UINT32_MAX;
	case DT_UINT64: return v >= 0;
	default: return true;
	}
}

static int cant_cast_int(int64_t v, bool is_unsigned, int to)
{
	if (is_unsigned)
		return exec_err("Cast error: Can't cast value %" PRIu64 " to type %s", (uint64_t)v,
				xtype_arrow_name(to));
	return exec_err("Cast error: Can't cast value %" PRId64 " to type %s", v,
			xtype_arrow_name(to));
}

/* ---- civil time --------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t ts_unit_factor(enum dtype t, enum dtype to)
{
	(void)to;
	return dtype_ts_units_per_sec(t);
}

int64_t ts_to_ns_floor(int64_t v, enum dtype t)
{
	int64_t f = NS_PER_SEC / dtype_ts_units_per_sec(t);
	int64_t r;
	if (__builtin_mul_overflow(v, f, &r))
		return v < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

static int days_in_month(int64_t y, int m)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

static int64_t add_months_days(int64_t days, int64_t months)
{
	if (!months)
		return days;
	int64_t y;
	int m, d;
	vfmt_civil_from_days(days, &y, &m, &d);
	int64_t mm = y * 12 + (m - 1) + months;
	y = floor_div(mm, 12);
	m = (int)(mm - y * 12) + 1;
	int dim = days_in_month(y, m);
	if (d > dim)
		d = dim;
	return vfmt_days_from_civil(y, m, d);
}

int ts_add_interval(int64_t v, enum dtype t, const struct interval *iv, int sign, int64_t *out)
{
	if (t == DT_DATE) {
		int64_t days = add_months_days(v, sign * iv->months) + sign * iv->days +
			       sign * floor_div(iv->nanos, NS_PER_SEC * SECS_PER_DAY);
		*out = days;
		return 0;
	}
	int64_t ups = dtype_ts_units_per_sec(t);
	int64_t secs = floor_div(v, ups);
	int64_t frac = v - secs * ups;
	int64_t days = floor_div(secs, SECS_PER_DAY);
	int64_t sod = secs - days * SECS_PER_DAY;
	days = add_months_days(days, sign * iv->months) + sign * iv->days;
	int64_t r, add;
	int64_t nunits = iv->nanos / (NS_PER_SEC / ups); /* truncated to the unit */
	if (__builtin_mul_overflow(days, SECS_PER_DAY, &r) || __builtin_add_overflow(r, sod, &r) ||
	    __builtin_mul_overflow(r, ups, &r) || __builtin_add_overflow(r, frac, &r) ||
	    __builtin_mul_overflow(nunits, (int64_t)sign, &add) ||
	    __builtin_add_overflow(r, add, &r))
		return exec_err("Arithmetic overflow: Overflow happened on: timestamp + interval");
	*out = r;
	return 0;
}

/* ---- parsing ------------------------------------------------------------ */

static bool digits(const char *s, size_t n, size_t from, size_t cnt, int *val)
{
	int v = 0;
	if (from + cnt > n)
		return false;
	for (size_t i = from; i < from + cnt; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*val = v;
	return true;
}

static bool parse_ymd(const char *s, size_t n, int *y, int *m, int *d)
{
	if (n < 10 || !digits(s, n, 0, 4, y) || s[4] != '-' || !digits(s, n, 5, 2, m) ||
	    s[7] != '-' || !digits(s, n, 8, 2, d))
		return false;
	if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
		return false;
	return true;
}

static int ts_parse_err(const char *s, size_t n, const char *what)
{
	return exec_err("Parser error: Error parsing timestamp from '%.*s': %s", (int)n, s, what);
}

int parse_timestamp(const char *s0, size_t n0, enum dtype t, const struct vfmt_tz *tz,
		    int64_t *out)
{
	const char *s = s0;
	size_t n = n0;
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	int y, mo, d, hh = 0, mi = 0, ss = 0;
	int64_t nanos = 0;
	if (!parse_ymd(s, n, &y, &mo, &d))
		return ts_parse_err(s0, n0, "error parsing date");
	size_t pos = 10;
	bool have_tz = false;
	int32_t off_secs = 0;
	struct vfmt_tz named = {0, NULL};
	bool use_named = false;
	if (n > 10) {
		if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
			return ts_parse_err(s0, n0, "invalid timestamp separator");
		if (!digits(s, n, 11, 2, &hh) || pos + 3 > n || s[13] != ':' ||
		    !digits(s, n, 14, 2, &mi))
			return ts_parse_err(s0, n0, "error parsing time");
		pos = 16;
		if (pos < n && s[pos] == ':') {
			if (!digits(s, n, 17, 2, &ss))
				return ts_parse_err(s0, n0, "error parsing time");
			pos = 19;
			if (pos < n && s[pos] == '.') {
				pos++;
				int nd = 0;
				while (pos < n && s[pos] >= '0' && s[pos] <= '9') {
					if (nd < 9) {
						nanos = nanos * 10 + (s[pos] - '0');
						nd++;
					}
					pos++;
				}
				if (nd == 0)
					return ts_parse_err(s0, n0, "error parsing time");
				while (nd++ < 9)
					nanos *= 10;
			}
		}
		if (hh > 23 || mi > 59 || ss > 60)
			return ts_parse_err(s0, n0, "error parsing time");
		if (pos < n) {
			const char *z = s + pos;
			size_t zn = n - pos;
			while (zn && isspace((unsigned char)*z))
				z++, zn--;
			have_tz = true;
			if (zn == 1 && (*z == 'Z' || *z == 'z')) {
				off_secs = 0;
			} else {
				char zbuf[64];
				if (zn == 0 || zn >= sizeof(zbuf))
					return exec_err("Parser error: Invalid timezone \"%.*s\": failed to parse timezone",
							(int)zn, z);
				memcpy(zbuf, z, zn);
				zbuf[zn] = 0;
				bool ok = (z[0] == '+' || z[0] == '-') ? vfmt_tz_offset(zbuf, &off_secs) == 0
								       : vfmt_tz_resolve(zbuf, &named) == 0;
				if (!ok) {
					err_clear();
					return exec_err("Parser error: Invalid timezone \"%.*s\": failed to parse timezone",
							(int)zn, z);
				}
				use_named = !(z[0] == '+' || z[0] == '-');
			}
		}
	}
	int64_t days = vfmt_days_from_civil(y, mo, d);
	int64_t local = days * SECS_PER_DAY + hh * 3600 + mi * 60 + ss;
	int64_t utc;
	if (have_tz && !use_named) {
		utc = local - off_secs;
	} else {
		const struct vfmt_tz *z = use_named ? &named : tz;
		int32_t o1 = vfmt_tz_offset_at(z, local);
		int32_t o2 = vfmt_tz_offset_at(z, local - o1);
		utc = local - o2;
	}
	int64_t ups = dtype_ts_units_per_sec(t);
	int64_t r;
	if (__builtin_mul_overflow(utc, ups, &r) ||
	    __builtin_add_overflow(r, nanos / (NS_PER_SEC / ups), &r))
		return exec_err("Parser error: Error parsing timestamp from '%.*s': timestamp out of range",
				(int)n0, s0);
	*out = r;
	return 0;
}

int parse_date(const char *s, size_t n, int64_t *days)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	int y, m, d;
	if (parse_ymd(s, n, &y, &m, &d) && n == 10) {
		*days = vfmt_days_from_civil(y, m, d);
		return 0;
	}
	int64_t secs;
	struct vfmt_tz utc = {0, NULL};
	if (parse_timestamp(s, n, DT_TS_S, &utc, &secs) == 0) {
		*days = floor_div(secs, SECS_PER_DAY);
		return 0;
	}
	return exec_err("Cast error: Cannot cast string '%.*s' to value of Date32 type", (int)n, s);
}

static bool unit_is(const char *u, size_t n, const char *const *names)
{
	for (; *names; names++)
		if (strlen(*names) == n && strncasecmp(u, *names, n) == 0)
			return true;
	return false;
}

/* Add `v` units (possibly fractional) to iv. */
static int add_unit(struct interval *iv, double v, const char *u, size_t un)
{
	static const char *const years[] = {"year", "years", "y", "yr", "yrs", NULL};
	static const char *const months[] = {"month", "months", "mon", "mons", NULL};
	static const char *const weeks[] = {"week", "weeks", "w", NULL};
	static const char *const days[] = {"day", "days", "d", NULL};
	static const char *const hours[] = {"hour", "hours", "h", "hr", "hrs", NULL};
	static const char *const minutes[] = {"minute", "minutes", "m", "min", "mins", NULL};
	static const char *const seconds[] = {"second", "seconds", "s", "sec", "secs", NULL};
	static const char *const millis[] = {"millisecond", "milliseconds", "ms", NULL};
	static const char *const micros[] = {"microsecond", "microseconds", "us", NULL};
	static const char *const nanos[] = {"nanosecond", "nanoseconds", "ns", NULL};
	static const char *const decades[] = {"decade", "decades", NULL};
	static const char *const centuries[] = {"century", "centuries", NULL};
	static const char *const millennia[] = {"millennium", "millennia", "millenniums", NULL};
	static const char *const quarters[] = {"quarter", "quarters", NULL};
	double months_v = 0, days_v = 0, ns_v = 0;
	if (unit_is(u, un, years))
		months_v = v * 12;
	else if (unit_is(u, un, decades))
		months_v = v * 120;
	else if (unit_is(u, un, centuries))
		months_v = v * 1200;
	else if (unit_is(u, un, millennia))
		months_v = v * 12000;
	else if (unit_is(u, un, quarters))
		months_v = v * 3;
	else if (unit_is(u, un, months))
		months_v = v;
	else if (unit_is(u, un, weeks))
		days_v = v * 7;
	else if (unit_is(u, un, days))
		days_v = v;
	else if (unit_is(u, un, hours))
		ns_v = v * 3600e9;
	else if (unit_is(u, un, minutes))
		ns_v = v * 60e9;
	else if (unit_is(u, un, seconds))
		ns_v = v * 1e9;
	else if (unit_is(u, un, millis))
		ns_v = v * 1e6;
	else if (unit_is(u, un, micros))
		ns_v = v * 1e3;
	else if (unit_is(u, un, nanos))
		ns_v = v;
	else
		return -1;
	/* fractions spill down: a month is 30 days, a day 24 hours */
	double mi = trunc(months_v);
	days_v += (months_v - mi) * 30;
	double di = trunc(days_v);
	ns_v += (days_v - di) * 86400e9;
	if (fabs(mi) > 1e12 || fabs(di) > 1e12 || fabs(ns_v) > 9e18)
		return -2;
	iv->months += (int64_t)mi;
	iv->days += (int64_t)di;
	iv->nanos += (int64_t)llround(ns_v);
	return 0;
}

int parse_interval(const char *s, size_t n, const char *unit, struct interval *out)
{
	memset(out, 0, sizeof(*out));
	size_t i = 0;
	int pairs = 0;
	while (i < n) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		size_t ns = i;
		if (s[i] == '-' || s[i] == '+')
			i++;
		while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.'))
			i++;
		if (i == ns || (i == ns + 1 && (s[ns] == '-' || s[ns] == '+')))
			goto bad;
		char num[64];
		if (i - ns >= sizeof(num))
			goto bad;
		memcpy(num, s + ns, i - ns);
		num[i - ns] = 0;
		char *end;
		errno = 0;
		double v = strtod(num, &end);
		if (*end || errno)
			goto bad;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		size_t us = i;
		while (i < n && isalpha((unsigned char)s[i]))
			i++;
		const char *u = s + us;
		size_t un = i - us;
		if (un == 0) {
			if (unit) {
				u = unit;
				un = strcspn(unit, " ");
			} else {
				u = "second";
				un = 6;
			}
		}
		int rc = add_unit(out, v, u, un);
		if (rc == -1)
			return exec_err("Parser error: Invalid input syntax for type interval: \"%.*s\"",
					(int)n, s);
		if (rc)
			goto bad;
		pairs++;
		while (i < n && (isspace((unsigned char)s[i]) || s[i] == ','))
			i++;
	}
	if (pairs == 0)
		goto bad;
	return 0;
bad:
	return exec_err("Parser error: Invalid input syntax for type interval: \"%.*s\"", (int)n, s);
}

static int parse_i64(const char *s, size_t n, int64_t *out, bool *is_unsigned)
{
	size_t i = 0;
	bool neg = false;
	*is_unsigned = false;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == n)
		return -1;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = (int64_t)(0 - v);
	} else {
		*out = (int64_t)v;
		*is_unsigned = v > (uint64_t)INT64_MAX;
	}
	return 0;
}

static int parse_f64(const char *s, size_t n, double *out)
{
	char tmp[128];
	if (n == 0 || n >= sizeof(tmp) || isspace((unsigned char)s[0]))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	char *end;
	double v = strtod(tmp, &end);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, size_t n, int64_t *out)
{
	static const char *const t[] = {"true", "t", "yes", "y", "on", "1", NULL};
	static const char *const f[] = {"false", "f", "no", "n", "off", "0", NULL};
	if (unit_is(s, n, t))
		*out = 1;
	else if (unit_is(s, n, f))
		*out = 0;
	else
		return -1;
	return 0;
}

/* ---- formatting --------------------------------------------------------- */

static int fmt_ts(struct buf *b, int64_t v, enum dtype t, const struct vfmt_tz *tz)
{
	struct vfmt_tm tm;
	vfmt_ts_split(v, t, tz, &tm);
	int64_t ups = dtype_ts_units_per_sec(t);
	int64_t frac = v - floor_div(v, ups) * ups; /* in units */
	int64_t ns = frac * (NS_PER_SEC / ups);
	int rc = buf_printf(b, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", tm.year, tm.mon, tm.day,
			    tm.hour, tm.min, tm.sec);
	if (rc)
		return rc;
	if (ns == 0)
		return 0;
	if (ns % 1000000 == 0)
		return buf_printf(b, ".%03" PRId64, ns / 1000000);
	if (ns % 1000 == 0)
		return buf_printf(b, ".%06" PRId64, ns / 1000);
	return buf_printf(b, ".%09" PRId64, ns);
}

static int fmt_float(struct buf *b, double d, bool f32)
{
	char tmp[VFMT_DOUBLE_MAX];
	if (isnan(d))
		return buf_printf(b, "NaN");
	if (isinf(d))
		return buf_printf(b, d < 0 ? "-inf" : "inf");
	size_t n = vfmt_double(tmp, d, f32, VFMT_MYSQL);
	int rc = buf_append(b, tmp, n);
	if (!rc && !memchr(tmp, '.', n) && !memchr(tmp, 'e', n))
		rc = buf_append(b, ".0", 2);
	return rc;
}

int format_value(struct buf *b, const struct datum *d, const struct vfmt_tz *tz)
{
	if (d->is_null)
		return buf_printf(b, "NULL");
	switch ((int)d->type) {
	case DT_BOOL: return buf_printf(b, "%s", d->v.i ? "true" : "false");
	case DT_UINT64: return buf_printf(b, "%" PRIu64, (uint64_t)d->v.i);
	case DT_FLOAT32: return fmt_float(b, d->v.f, true);
	case DT_FLOAT64: return fmt_float(b, d->v.f, false);
	case DT_STRING:
	case DT_BINARY: return buf_append(b, d->v.s.p, d->v.s.n);
	case DT_DATE: {
		int64_t y;
		int m, dd;
		vfmt_civil_from_days(d->v.i, &y, &m, &dd);
		return buf_printf(b, "%04" PRId64 "-%02d-%02d", y, m, dd);
	}
	case DT_TS_S:
	case DT_TS_MS:
	case DT_TS_US:
	case DT_TS_NS: return fmt_ts(b, d->v.i, d->type, tz);
	default:
		if (xtype_is_int(d->type))
			return buf_printf(b, "%" PRId64, d->v.i);
		return buf_printf(b, "?");
	}
}

/* Rust's Display of an f64: shortest round-trip, never an exponent. */
static int fmt_rust_f64(struct buf *b, double d)
{
	char tmp[VFMT_DOUBLE_MAX];
	if (isnan(d))
		return buf_printf(b, "NaN");
	if (isinf(d))
		return buf_printf(b, d < 0 ? "-inf" : "inf");
	size_t n = vfmt_double(tmp, d, 0, VFMT_MYSQL);
	return buf_append(b, tmp, n);
}

int format_literal_name(struct buf *b, const struct datum *d)
{
	if (d->is_null || (int)d->type == XT_NULL)
		return buf_printf(b, "NULL");
	switch ((int)d->type) {
	case DT_BOOL: return buf_printf(b, "Boolean(%s)", d->v.i ? "true" : "false");
	case DT_UINT64: return buf_printf(b, "UInt64(%" PRIu64 ")", (uint64_t)d->v.i);
	case DT_FLOAT32:
	case DT_FLOAT64:
		if (buf_printf(b, "%s(", xtype_arrow_name(d->type)) || fmt_rust_f64(b, d->v.f))
			return ERR_NOMEM;
		return buf_putc(b, ')');
	case DT_STRING:
		if (buf_printf(b, "Utf8(\"") || buf_append(b, d->v.s.p, d->v.s.n))
			return ERR_NOMEM;
		return buf_printf(b, "\")");
	case DT_BINARY: {
		if (buf_printf(b, "Binary(\""))
			return ERR_NOMEM;
		for (uint32_t i = 0; i < d->v.s.n; i++)
			if (buf_printf(b, i ? ",%u" : "%u", (unsigned char)d->v.s.p[i]))
				return ERR_NOMEM;
		return buf_printf(b, "\")");
	}
	case DT_DATE: {
		int64_t y;
		int m, dd;
		vfmt_civil_from_days(d->v.i, &y, &m, &dd);
		return buf_printf(b, "Date32(\"%04" PRId64 "-%02d-%02d\")", y, m, dd);
	}
	case DT_TS_S: return buf_printf(b, "TimestampSecond(%" PRId64 ", None)", d->v.i);
	case DT_TS_MS: return buf_printf(b, "TimestampMillisecond(%" PRId64 ", None)", d->v.i);
	case DT_TS_US: return buf_printf(b, "TimestampMicrosecond(%" PRId64 ", None)", d->v.i);
	case DT_TS_NS: return buf_printf(b, "TimestampNanosecond(%" PRId64 ", None)", d->v.i);
	default:
		if (xtype_is_int(d->type))
			return buf_printf(b, "%s(%" PRId64 ")", xtype_arrow_name(d->type), d->v.i);
		return buf_printf(b, "?");
	}
}

void format_interval_name(struct buf *b, const struct interval *iv)
{
	buf_printf(b,
		   "IntervalMonthDayNano(\"IntervalMonthDayNano { months: %" PRId64 ", days: %" PRId64
		   ", nanoseconds: %" PRId64 " }\")",
		   iv->months, iv->days, iv->nanos);
}

/* ---- casting ------------------------------------------------------------ */

bool x_can_cast(int from, int to)
{
	if (from == to || from == XT_NULL)
		return true;
	if (from == XT_INTERVAL || to == XT_INTERVAL || to == XT_NULL)
		return false;
	if (to == DT_STRING || from == DT_STRING)
		return true;
	if (to == DT_BINARY)
		return from == DT_STRING;
	if (from == DT_BINARY)
		return false;
	bool fnum = xtype_is_numeric(from) || from == DT_BOOL;
	bool tnum = xtype_is_numeric(to) || to == DT_BOOL;
	if (fnum && tnum)
		return true;
	if (xtype_is_temporal(from) && xtype_is_temporal(to))
		return true;
	if (xtype_is_int(from) && xtype_is_temporal(to))
		return true;
	if (xtype_is_temporal(from) && xtype_is_int(to))
		return true;
	return false;
}

/* Cast one non-null value. Bytes of a string result go to sb (the caller
 * copies them). */
static int cast_one(struct xctx *cx, const struct datum *in, int to, struct datum *out,
		    struct buf *sb)
{
	int from = in->type;
	out->type = to;
	out->is_null = false;
	if (to == DT_STRING || to == DT_BINARY) {
		if (from == DT_STRING || from == DT_BINARY) {
			out->v.s = in->v.s;
			return 0;
		}
		buf_reset(sb);
		if (format_value(sb, in, &cx->tz))
			return ERR_NOMEM;
		out->v.s.p = (const char *)sb->data;
		out->v.s.n = (uint32_t)sb->len;
		return 0;
	}
	if (from == DT_STRING || from == DT_BINARY) {
		const char *s = in->v.s.p;
		size_t n = in->v.s.n;
		if (xtype_is_int(to)) {
			int64_t v;
			bool u;
			if (parse_i64(s, n, &v, &u) || !int_fits(to, v, u))
				return exec_err("Cast error: Cannot cast string '%.*s' to value of %s type",
						(int)n, s, xtype_arrow_name(to));
			out->v.i = v;
			return 0;
		}
		if (xtype_is_float(to)) {
			double v;
			if (parse_f64(s, n, &v))
				return exec_err("Cast error: Cannot cast string '%.*s' to value of %s type",
						(int)n, s, xtype_arrow_name(to));
			out->v.f = to == DT_FLOAT32 ? (double)(float)v : v;
			return 0;
		}
		if (to == DT_BOOL) {
			if (parse_bool(s, n, &out->v.i))
				return exec_err("Cast error: Cannot cast value '%.*s' to value of Boolean type",
						(int)n, s);
			return 0;
		}
		if (to == DT_DATE)
			return parse_date(s, n, &out->v.i);
		if (dtype_is_timestamp(to))
			return parse_timestamp(s, n, to, &cx->tz, &out->v.i);
		goto unsupported;
	}
	if (from == DT_BOOL || xtype_is_int(from)) {
		int64_t v = in->v.i;
		bool u = from == DT_UINT64;
		if (xtype_is_int(to) || to == DT_BOOL) {
			if (to == DT_BOOL) {
				out->v.i = v != 0;
				return 0;
			}
			if (!int_fits(to, v, u))
				return cant_cast_int(v, u, to);
			out->v.i = v;
			return 0;
		}
		if (xtype_is_float(to)) {
			double f = u ? (double)(uint64_t)v : (double)v;
			out->v.f = to == DT_FLOAT32 ? (double)(float)f : f;
			return 0;
		}
		if (xtype_is_temporal(to) && from != DT_BOOL) {
			if (u && v < 0)
				return cant_cast_int(v, u, to);
			if (to == DT_DATE && !int_fits(DT_INT32, v, false))
				return cant_cast_int(v, u, to);
			out->v.i = v;
			return 0;
		}
		goto unsupported;
	}
	if (xtype_is_float(from)) {
		double f = in->v.f;
		if (xtype_is_float(to)) {
			out->v.f = to == DT_FLOAT32 ? (double)(float)f : f;
			return 0;
		}
		if (to == DT_BOOL) {
			out->v.i = f != 0;
			return 0;
		}
		if (xtype_is_int(to)) {
			double tr = trunc(f);
			bool ok = !isnan(f) && tr >= -9223372036854775808.0 &&
				  (to == DT_UINT64 ? tr < 18446744073709551616.0 : tr < 9223372036854775808.0);
			int64_t v = 0;
			if (ok) {
				if (to == DT_UINT64)
					v = (int64_t)(uint64_t)tr;
				else
					v = (int64_t)tr;
				ok = to == DT_UINT64 ? tr >= 0 : int_fits(to, v, false);
			}
			if (!ok) {
				struct buf t;
				buf_init(&t);
				fmt_rust_f64(&t, f);
				int rc = exec_err("Cast error: Can't cast value %s to type %s",
						  buf_cstr(&t) ? buf_cstr(&t) : "?", xtype_arrow_name(to));
				buf_free(&t);
				return rc;
			}
			out->v.i = v;
			return 0;
		}
		goto unsupported;
	}
	if (xtype_is_temporal(from)) {
		int64_t v = in->v.i;
		if (xtype_is_int(to)) {
			if (!int_fits(to, v, false))
				return cant_cast_int(v, false, to);
			out->v.i = v;
			return 0;
		}
		if (from == DT_DATE && dtype_is_timestamp(to)) {
			int64_t r;
			if (__builtin_mul_overflow(v, SECS_PER_DAY * dtype_ts_units_per_sec(to), &r))
				return exec_err("Cast error: Overflow converting %" PRId64 " to %s", v,
						xtype_arrow_name(to));
			out->v.i = r;
			return 0;
		}
		if (dtype_is_timestamp(from) && to == DT_DATE) {
			out->v.i = floor_div(v, SECS_PER_DAY * dtype_ts_units_per_sec(from));
			return 0;
		}
		if (dtype_is_timestamp(from) && dtype_is_timestamp(to)) {
			int64_t fu = dtype_ts_units_per_sec(from), tu = dtype_ts_units_per_sec(to);
			if (tu >= fu) {
				int64_t r;
				if (__builtin_mul_overflow(v, tu / fu, &r))
					return exec_err("Cast error: Overflow converting %" PRId64 " to %s", v,
							xtype_arrow_name(to));
				out->v.i = r;
			} else {
				out->v.i = floor_div(v, fu / tu);
			}
			return 0;
		}
	}
unsupported:
	return exec_err("Cast error: Unsupported CAST from %s to %s", xtype_arrow_name(from),
			xtype_arrow_name(to));
}

int datum_cast(struct xctx *cx, const struct datum *in, int to, struct datum *out)
{
	if (in->is_null || (int)in->type == XT_NULL) {
		memset(out, 0, sizeof(*out));
		out->type = to;
		out->is_null = true;
		return 0;
	}
	if ((int)in->type == to) {
		*out = *in;
		return 0;
	}
	struct buf sb;
	buf_init(&sb);
	int rc = cast_one(cx, in, to, out, &sb);
	if (!rc && xphys(to) == PHYS_BYTES && sb.data && out->v.s.p == (const char *)sb.data) {
		char *p = arena_alloc(cx->a, sb.len + 1);
		if (!p)
			rc = ERR_NOMEM;
		else {
			memcpy(p, sb.data, sb.len);
			p[sb.len] = 0;
			out->v.s.p = p;
		}
	}
	buf_free(&sb);
	return rc;
}

/* Fast paths over whole vectors for the common numeric casts. */
static bool cast_vec_fast(const struct colvec *v, int from, int to, uint32_t n, struct colvec *dst,
			  int *rc)
{
	*rc = 0;
	bool fint = xtype_is_int(from) || from == DT_BOOL;
	if (fint && xtype_is_float(to)) {
		if ((*rc = vec_fixed(dst, to, n)))
			return true;
		if (from == DT_UINT64)
			for (uint32_t i = 0; i < n; i++)
				dst->f64[i] = (double)(uint64_t)v->i64[i];
		else
			for (uint32_t i = 0; i < n; i++)
				dst->f64[i] = (double)v->i64[i];
		if (to == DT_FLOAT32)
			for (uint32_t i = 0; i < n; i++)
				dst->f64[i] = (double)(float)dst->f64[i];
		*rc = vec_copy_validity(dst, v, n);
		return true;
	}
	if (xtype_is_float(from) && xtype_is_float(to)) {
		if ((*rc = vec_fixed(dst, to, n)))
			return true;
		for (uint32_t i = 0; i < n; i++)
			dst->f64[i] = to == DT_FLOAT32 ? (double)(float)v->f64[i] : v->f64[i];
		*rc = vec_copy_validity(dst, v, n);
		return true;
	}
	/* widening integer casts and int <-> timestamp keep the bits */
	bool same_bits = false;
	if (xtype_is_int(from) && xtype_is_int(to)) {
		int64_t lo = 0, hi = 0;
		bool fu = dtype_is_unsigned(from), tu = dtype_is_unsigned(to);
		static const int width[] = {[DT_INT8] = 8,   [DT_INT16] = 16,  [DT_INT32] = 32,
					    [DT_INT64] = 64, [DT_UINT8] = 8,   [DT_UINT16] = 16,
					    [DT_UINT32] = 32, [DT_UINT64] = 64};
		int fw = width[from], tw = width[to];
		(void)lo, (void)hi;
		if (fu == tu)
			same_bits = tw >= fw;
		else if (fu && !tu)
			same_bits = tw > fw;
	} else if ((xtype_is_int(from) && from != DT_UINT64 && dtype_is_timestamp(to)) ||
		   (dtype_is_timestamp(from) && to == DT_INT64)) {
		same_bits = true;
	} else if (from == DT_BOOL && xtype_is_int(to)) {
		same_bits = true;
	}
	if (same_bits) {
		if ((*rc = vec_fixed(dst, to, n)))
			return true;
		if (n)
			memcpy(dst->i64, v->i64, (size_t)n * sizeof(int64_t));
		*rc = vec_copy_validity(dst, v, n);
		return true;
	}
	if (dtype_is_timestamp(from) && dtype_is_timestamp(to)) {
		int64_t fu = dtype_ts_units_per_sec(from), tu = dtype_ts_units_per_sec(to);
		if ((*rc = vec_fixed(dst, to, n)))
			return true;
		if (tu >= fu) {
			int64_t f = tu / fu;
			for (uint32_t i = 0; i < n; i++)
				if (__builtin_mul_overflow(v->i64[i], f, &dst->i64[i]) && vec_valid(v, i)) {
					*rc = exec_err("Cast error: Overflow converting %" PRId64 " to %s",
						       v->i64[i], xtype_arrow_name(to));
					return true;
				}
		} else {
			int64_t f = fu / tu;
			for (uint32_t i = 0; i < n; i++)
				dst->i64[i] = floor_div(v->i64[i], f);
		}
		*rc = vec_copy_validity(dst, v, n);
		return true;
	}
	return false;
}

int x_cast(struct xctx *cx, const struct xval *in, int from, int to, uint32_t n,
	   struct colvec *dst, struct xval *out)
{
	if (from == to) {
		*out = *in;
		return 0;
	}
	if (!in->v) {
		out->v = NULL;
		return datum_cast(cx, &in->c, to, &out->c);
	}
	if (to >= DT__COUNT)
		return exec_err("Cast error: Unsupported CAST from %s to %s", xtype_arrow_name(from),
				xtype_arrow_name(to));
	const struct colvec *v = in->v;
	int rc;
	if (from == XT_NULL) {
		struct datum d = {.type = to, .is_null = true};
		if ((rc = vec_broadcast(dst, &d, to, n)))
			return rc;
		out->v = dst;
		return 0;
	}
	if (cast_vec_fast(v, from, to, n, dst, &rc)) {
		out->v = dst;
		return rc;
	}
	if ((rc = vec_empty(dst, to, n)))
		return rc;
	struct buf sb;
	buf_init(&sb);
	for (uint32_t i = 0; i < n && !rc; i++) {
		if (!vec_valid(v, i)) {
			rc = colvec_push_null(dst);
			continue;
		}
		struct datum d, o;
		xval_get(in, from, i, &d);
		rc = cast_one(cx, &d, to, &o, &sb);
		if (!rc)
			rc = colvec_push_datum(dst, &o);
	}
	buf_free(&sb);
	out->v = dst;
	return rc;
}

/* ---- coercion ------------------------------------------------------------ */

static int int_width(int t)
{
	switch (t) {
	case DT_INT8:
	case DT_UINT8: return 8;
	case DT_INT16:
	case DT_UINT16: return 16;
	case DT_INT32:
	case DT_UINT32: return 32;
	default: return 64;
	}
}

static int signed_of_width(int w)
{
	return w <= 8 ? DT_INT8 : w <= 16 ? DT_INT16 : w <= 32 ? DT_INT32 : DT_INT64;
}

static int common_int(int a, int b)
{
	bool ua = dtype_is_unsigned(a), ub = dtype_is_unsigned(b);
	int wa = int_width(a), wb = int_width(b);
	if (ua == ub)
		return wa >= wb ? a : b;
	int u = ua ? a : b, s = ua ? b : a;
	int wu = int_width(u), ws = int_width(s);
	if (ws > wu)
		return s;
	return signed_of_width(wu * 2 > 64 ? 64 : wu * 2);
}

int x_common_type(int a, int b)
{
	if (a == b)
		return a;
	if (a == XT_NULL)
		return b;
	if (b == XT_NULL)
		return a;
	if (a == XT_INTERVAL || b == XT_INTERVAL)
		return -1;
	if (xtype_is_int(a) && xtype_is_int(b))
		return common_int(a, b);
	if (xtype_is_numeric(a) && xtype_is_numeric(b))
		return (a == DT_FLOAT32 && (b == DT_FLOAT32 || int_width(b) <= 16)) ||
			       (b == DT_FLOAT32 && int_width(a) <= 16)
			       ? DT_FLOAT32
			       : DT_FLOAT64;
	if ((a == DT_STRING && b == DT_BINARY) || (a == DT_BINARY && b == DT_STRING))
		return DT_STRING;
	if (a == DT_STRING && (xtype_is_temporal(b) || b == DT_BOOL))
		return b;
	if (b == DT_STRING && (xtype_is_temporal(a) || a == DT_BOOL))
		return a;
	if (a == DT_STRING || b == DT_STRING)
		return DT_STRING;
	if (xtype_is_temporal(a) && xtype_is_temporal(b)) {
		if (a == DT_DATE)
			return b;
		if (b == DT_DATE)
			return a;
		return a > b ? a : b; /* the finer unit */
	}
	return -1;
}

int x_arith_type(int op, int a, int b)
{
	(void)op;
	if (a == XT_NULL && b == XT_NULL)
		return DT_INT64;
	if (a == XT_NULL)
		a = b;
	if (b == XT_NULL)
		b = a;
	if (!xtype_is_numeric(a) || !xtype_is_numeric(b))
		return -1;
	return x_common_type(a, b);
}
