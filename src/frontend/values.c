/*
 * values: turning SQL literals into column values the way GreptimeDB's
 * INSERT does (sql_value_to_value), timestamp/date string parsing, and
 * the texts GreptimeDB uses for types and values in messages.
 *
 * Rules (per target column type):
 *   number literal  parsed as the column type (Rust FromStr semantics:
 *                   "1.5" is not an integer, 300 is not an Int8); for a
 *                   timestamp column it is a count of the column's unit;
 *                   for BOOLEAN only 0 and 1; for strings an error
 *                   "Fail to parse number N, invalid column type: ...".
 *   string literal  as is for STRING, its bytes for BINARY, parsed for
 *                   TIMESTAMP (local time of the session time zone unless
 *                   the text carries a zone; a bare integer is a count of
 *                   units) and DATE; a type mismatch for numeric columns.
 *   TRUE/FALSE      BOOLEAN columns only.
 *   NULL            null.
 *   -x / +x         applied to the number text before parsing.
 *   now(), current_timestamp[()], localtimestamp: the statement time.
 * Anything else (arithmetic, CAST, functions) is evaluated by the SQL
 * engine (sql_eval_const) and cast to the column type.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "frontend/frontend_int.h"
#include "server/value_format.h"

const char *fe_type_debug(enum dtype t)
{
	switch (t) {
	case DT_BOOL:
		return "Boolean(BooleanType)";
	case DT_INT8:
		return "Int8(Int8Type)";
	case DT_INT16:
		return "Int16(Int16Type)";
	case DT_INT32:
		return "Int32(Int32Type)";
	case DT_INT64:
		return "Int64(Int64Type)";
	case DT_UINT8:
		return "UInt8(UInt8Type)";
	case DT_UINT16:
		return "UInt16(UInt16Type)";
	case DT_UINT32:
		return "UInt32(UInt32Type)";
	case DT_UINT64:
		return "UInt64(UInt64Type)";
	case DT_FLOAT32:
		return "Float32(Float32Type)";
	case DT_FLOAT64:
		return "Float64(Float64Type)";
	case DT_STRING:
		return "String(StringType { size_type: Utf8 })";
	case DT_BINARY:
		return "Binary(BinaryType)";
	case DT_DATE:
		return "Date(DateType)";
	case DT_TS_S:
		return "Timestamp(Second(TimestampSecondType))";
	case DT_TS_MS:
		return "Timestamp(Millisecond(TimestampMillisecondType))";
	case DT_TS_US:
		return "Timestamp(Microsecond(TimestampMicrosecondType))";
	case DT_TS_NS:
		return "Timestamp(Nanosecond(TimestampNanosecondType))";
	default:
		return "Null(NullType)";
	}
}

static int parse_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int parse_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fe_fail(GT_INVALID_SYNTAX, ERR_BAD_INPUT, "Failed to parse value: %s", msg);
}

static int mismatch(const char *col, enum dtype expect, enum dtype actual)
{
	return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Column %s expect type: %s, actual: %s",
	               col, fe_type_debug(expect), fe_type_debug(actual));
}

/* ---- numbers (Rust FromStr semantics) ---------------------------------- */

/* Integer text with optional sign; kind of failure as Rust names it. */
static const char *parse_int_text(const char *s, bool is_unsigned, int64_t lo, uint64_t hi,
                                  int64_t *out)
{
	const char *p = s;
	bool neg = false;
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
	}
	if (!*p)
		return *s ? "InvalidDigit" : "Empty";
	if (neg && is_unsigned)
		return "InvalidDigit";
	uint64_t v = 0;
	bool over = false;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return "InvalidDigit";
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	if (neg) {
		if (over || v > (uint64_t)INT64_MAX + 1 || -(int64_t)(v - 1) - 1 < lo)
			return "NegOverflow";
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		return NULL;
	}
	if (over || v > hi)
		return "PosOverflow";
	*out = (int64_t)v;
	return NULL;
}

static bool int_range(enum dtype t, int64_t *lo, uint64_t *hi)
{
	switch (t) {
	case DT_INT8:
		*lo = INT8_MIN;
		*hi = INT8_MAX;
		return true;
	case DT_INT16:
		*lo = INT16_MIN;
		*hi = INT16_MAX;
		return true;
	case DT_INT32:
		*lo = INT32_MIN;
		*hi = INT32_MAX;
		return true;
	case DT_INT64:
		*lo = INT64_MIN;
		*hi = INT64_MAX;
		return true;
	case DT_UINT8:
		*lo = 0;
		*hi = UINT8_MAX;
		return true;
	case DT_UINT16:
		*lo = 0;
		*hi = UINT16_MAX;
		return true;
	case DT_UINT32:
		*lo = 0;
		*hi = UINT32_MAX;
		return true;
	case DT_UINT64:
		*lo = 0;
		*hi = UINT64_MAX;
		return true;
	default:
		return false;
	}
}

/* Rust's f64::from_str: decimal / exponent forms, inf, infinity, nan. */
/* [+-]digits[.digits] with at most 15 digits and at most 22 decimals:
 * one correctly rounded IEEE division, which equals strtod's answer
 * (Clinger's fast path). False for anything else. */
static bool fast_decimal(const char *s, double *out)
{
	static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	const char *p = s;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	uint64_t mant = 0;
	int ndig = 0, frac = 0;
	for (; *p >= '0' && *p <= '9'; p++, ndig++)
		mant = mant * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, ndig++, frac++)
			mant = mant * 10 + (uint64_t)(*p - '0');
	if (*p || ndig == 0 || ndig > 15 || frac > 22)
		return false;
	double d = frac ? (double)mant / p10[frac] : (double)mant;
	*out = neg ? -d : d;
	return true;
}

static bool parse_float_text(const char *s, double *out)
{
	if (fast_decimal(s, out))
		return true;
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity") || !strcasecmp(p, "nan")) {
		double v = !strcasecmp(p, "nan") ? NAN : INFINITY;
		*out = *s == '-' ? -v : v;
		return true;
	}
	bool digits = false;
	for (const char *q = p; *q; q++) {
		if (isdigit((unsigned char)*q))
			digits = true;
		else if (*q != '.' && *q != 'e' && *q != 'E' && *q != '+' && *q != '-')
			return false;
	}
	if (!digits)
		return false;
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	return *end == 0;
}

static int number_to_datum(const char *col, enum dtype t, const char *n, struct datum *out)
{
	(void)col;
	memset(out, 0, sizeof(*out));
	out->type = t;
	int64_t lo;
	uint64_t hi;
	if (int_range(t, &lo, &hi)) {
		const char *why = parse_int_text(n, dtype_is_unsigned(t), lo, hi, &out->v.i);
		if (why)
			return parse_fail("Fail to parse number %s, ParseIntError { kind: %s }", n,
			                  why);
		return ERR_OK;
	}
	if (t == DT_FLOAT32 || t == DT_FLOAT64) {
		double d;
		if (!parse_float_text(n, &d))
			return parse_fail(
			    "Fail to parse number %s, ParseFloatError { kind: Invalid }", n);
		out->v.f = t == DT_FLOAT32 ? (double)(float)d : d;
		return ERR_OK;
	}
	if (dtype_is_timestamp(t)) {
		const char *why = parse_int_text(n, false, INT64_MIN, INT64_MAX, &out->v.i);
		if (why)
			return parse_fail("Fail to parse number %s, ParseIntError { kind: %s }", n,
			                  why);
		return ERR_OK;
	}
	if (t == DT_BOOL) {
		if (!strcmp(n, "0") || !strcmp(n, "1")) {
			out->v.i = n[0] == '1';
			return ERR_OK;
		}
		return parse_fail("Failed to parse number '%s' to boolean column type", n);
	}
	return parse_fail("Fail to parse number %s, invalid column type: %s", n, fe_type_debug(t));
}

/* ---- timestamps and dates ---------------------------------------------- */

static bool digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (*p >= end || !isdigit((unsigned char)**p))
			return false;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return true;
}

static bool parse_ymd(const char **p, const char *end, int64_t *days)
{
	const char *q = *p;
	bool neg = false;
	if (q < end && (*q == '-' || *q == '+')) {
		neg = *q == '-';
		q++;
	}
	int64_t y = 0;
	int nd = 0;
	while (q < end && isdigit((unsigned char)*q) && nd < 6) {
		y = y * 10 + (*q++ - '0');
		nd++;
	}
	if (nd < 4)
		return false;
	int m, d;
	if (q >= end || *q++ != '-' || !digits(&q, end, 2, &m) || q >= end || *q++ != '-' ||
	    !digits(&q, end, 2, &d))
		return false;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	if (neg)
		y = -y;
	int64_t dd = vfmt_days_from_civil(y, m, d);
	int64_t yy;
	int mm, d2;
	vfmt_civil_from_days(dd, &yy, &mm, &d2);
	if (yy != y || mm != m || d2 != d)
		return false; /* e.g. February 30 */
	*days = dd;
	*p = q;
	return true;
}

int fe_parse_date(const char *s, size_t n, int64_t *days)
{
	const char *p = s, *end = s + n;
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (!parse_ymd(&p, end, days) || p != end)
		return ERR_BAD_INPUT;
	return ERR_OK;
}

/* Local wall-clock seconds -> UTC seconds in zone tz. */
static int64_t local_to_utc(const struct vfmt_tz *tz, int64_t local)
{
	int32_t off = vfmt_tz_offset_at(tz, local);
	int64_t guess = local - off;
	int32_t off2 = vfmt_tz_offset_at(tz, guess);
	if (off2 != off)
		guess = local - off2;
	return guess;
}

int fe_parse_timestamp(const char *s, size_t n, enum dtype type, const char *tzname, int64_t *out)
{
	const char *p = s, *end = s + n;
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	int64_t days;
	if (!parse_ymd(&p, end, &days))
		return ERR_BAD_INPUT;
	int hh = 0, mi = 0, ss = 0;
	int64_t nanos = 0;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		while (p < end && *p == ' ')
			p++;
		if (!digits(&p, end, 2, &hh) || p >= end || *p++ != ':' || !digits(&p, end, 2, &mi))
			return ERR_BAD_INPUT;
		if (p < end && *p == ':') {
			p++;
			if (!digits(&p, end, 2, &ss))
				return ERR_BAD_INPUT;
		}
		if (hh > 23 || mi > 59 || ss > 60)
			return ERR_BAD_INPUT;
		if (p < end && (*p == '.' || *p == ',')) {
			p++;
			int nd = 0;
			while (p < end && isdigit((unsigned char)*p)) {
				if (nd < 9) {
					nanos = nanos * 10 + (*p - '0');
					nd++;
				}
				p++;
			}
			if (nd == 0)
				return ERR_BAD_INPUT;
			for (; nd < 9; nd++)
				nanos *= 10;
		}
	}
	while (p < end && *p == ' ')
		p++;
	bool has_zone = false;
	int32_t zone = 0;
	if (p < end) {
		if (*p == 'Z' || *p == 'z') {
			has_zone = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;
			p++;
			int zh, zm = 0;
			if (!digits(&p, end, 2, &zh))
				return ERR_BAD_INPUT;
			if (p < end && *p == ':')
				p++;
			if (p < end && !digits(&p, end, 2, &zm))
				return ERR_BAD_INPUT;
			if (zh > 23 || zm > 59)
				return ERR_BAD_INPUT;
			zone = sign * (zh * 3600 + zm * 60);
			has_zone = true;
		} else if (!strncasecmp(p, "UTC", 3) && end - p == 3) {
			has_zone = true;
			p += 3;
		}
	}
	if (p != end)
		return ERR_BAD_INPUT;
	int64_t local = days * 86400 + hh * 3600 + mi * 60 + ss;
	int64_t secs;
	if (has_zone) {
		secs = local - zone;
	} else {
		struct vfmt_tz tz;
		vfmt_tz_resolve(tzname ? tzname : "UTC", &tz);
		secs = local_to_utc(&tz, local);
	}
	int64_t ups = dtype_ts_units_per_sec(type);
	if (ups == 0)
		return ERR_BAD_INPUT;
	int64_t frac = nanos / (1000000000 / ups);
	if (secs > INT64_MAX / ups || secs < INT64_MIN / ups)
		return ERR_LIMIT;
	*out = secs * ups + frac;
	return ERR_OK;
}

/* ---- strings ---------------------------------------------------------------- */

static int string_to_datum(struct fe_ctx *c, const char *col, enum dtype t, const char *s, size_t n,
                           struct datum *out)
{
	memset(out, 0, sizeof(*out));
	out->type = t;
	switch (t) {
	case DT_STRING:
	case DT_BINARY:
		out->v.s.p = s;
		out->v.s.n = (uint32_t)n;
		return ERR_OK;
	case DT_DATE:
		if (fe_parse_date(s, n, &out->v.i))
			return parse_fail("Failed to parse %.*s to Date value", (int)n, s);
		return ERR_OK;
	case DT_TS_S:
	case DT_TS_MS:
	case DT_TS_US:
	case DT_TS_NS: {
		int rc = fe_parse_timestamp(s, n, t, c ? c->s->time_zone : "UTC", &out->v.i);
		if (rc == ERR_OK)
			return ERR_OK;
		char tmp[32];
		if (n < sizeof(tmp)) {
			memcpy(tmp, s, n);
			tmp[n] = 0;
			if (!parse_int_text(tmp, false, INT64_MIN, INT64_MAX, &out->v.i))
				return ERR_OK;
		}
		return parse_fail("Failed to parse %.*s to Timestamp value", (int)n, s);
	}
	default:
		return mismatch(col, t, DT_STRING);
	}
}

/* ---- expressions ------------------------------------------------------------ */

static bool is_now_func(const struct sql_expr *e)
{
	if (e->kind != SQL_E_FUNC || e->v.func.nargs != 0 || e->v.func.name.n != 1)
		return false;
	const char *n = e->v.func.name.part[0].name;
	return !strcasecmp(n, "now") || !strcasecmp(n, "current_timestamp") ||
	       !strcasecmp(n, "localtimestamp");
}

static int now_datum(struct fe_ctx *c, const char *col, enum dtype t, struct datum *out)
{
	memset(out, 0, sizeof(*out));
	out->type = t;
	int64_t ms = c->env.now_ms;
	if (dtype_is_timestamp(t)) {
		int64_t ups = dtype_ts_units_per_sec(t);
		out->v.i = ups >= 1000 ? ms * (ups / 1000) : ms / 1000;
		return ERR_OK;
	}
	if (t == DT_DATE) {
		out->v.i = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
		return ERR_OK;
	}
	return mismatch(col, t, DT_TS_MS);
}

static int negate(const char *col, struct datum *d)
{
	if (d->is_null)
		return ERR_OK;
	switch (dtype_phys(d->type)) {
	case PHYS_F64:
		d->v.f = -d->v.f;
		return ERR_OK;
	case PHYS_I64:
		if (d->type == DT_BOOL || dtype_is_unsigned(d->type) || d->v.i == INT64_MIN)
			break;
		d->v.i = -d->v.i;
		return ERR_OK;
	default:
		break;
	}
	(void)col;
	return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Invalid unary operator - for value");
}

int fe_value_from_expr(struct fe_ctx *c, const char *col, enum dtype type, const struct sql_expr *e,
                       struct datum *out)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	switch (e->kind) {
	case SQL_E_NULL:
		out->is_null = true;
		return ERR_OK;
	case SQL_E_NUMBER:
		return number_to_datum(col, type, e->v.num.text, out);
	case SQL_E_UNARY: {
		const struct sql_expr *a = e->v.unary.arg;
		while (a->kind == SQL_E_NESTED)
			a = a->v.inner;
		if ((e->v.unary.op == SQL_UOP_NEG || e->v.unary.op == SQL_UOP_PLUS) &&
		    a->kind == SQL_E_NUMBER) {
			const char *t = a->v.num.text;
			if (t[0] == '-' || t[0] == '+')
				break; /* --1: let the engine decide */
			size_t n = strlen(t);
			char *txt = arena_alloc(c->a, n + 2);
			if (!txt)
				return ERR_NOMEM;
			txt[0] = e->v.unary.op == SQL_UOP_NEG ? '-' : '+';
			memcpy(txt + 1, t, n + 1);
			return number_to_datum(col, type, txt, out);
		}
		if (e->v.unary.op == SQL_UOP_NEG && a->kind != SQL_E_STRING) {
			int rc = fe_value_from_expr(c, col, type, a, out);
			return rc ? rc : negate(col, out);
		}
		if (e->v.unary.op == SQL_UOP_NOT && a->kind == SQL_E_BOOL) {
			if (type != DT_BOOL)
				return mismatch(col, type, DT_BOOL);
			out->v.i = !a->v.b;
			return ERR_OK;
		}
		break;
	}
	case SQL_E_STRING:
		return string_to_datum(c, col, type, e->v.str.s, e->v.str.len, out);
	case SQL_E_TYPED_STR:
		return string_to_datum(c, col, type, e->v.typed.s, strlen(e->v.typed.s), out);
	case SQL_E_COLUMN:
		/* GreptimeDB accepts "x" as a string value in INSERT */
		if (e->v.name.n == 1 && e->v.name.part[0].quote == '"') {
			const char *s = e->v.name.part[0].raw;
			return string_to_datum(c, col, type, s, strlen(s), out);
		}
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Column %s: column reference %s is not allowed in a value", col,
		               e->v.name.part[e->v.name.n - 1].raw);
	case SQL_E_BOOL:
		if (type != DT_BOOL)
			return mismatch(col, type, DT_BOOL);
		out->v.i = e->v.b;
		return ERR_OK;
	case SQL_E_HEXSTR: {
		if (type != DT_BINARY && type != DT_STRING)
			return mismatch(col, type, DT_BINARY);
		const char *h = e->v.str.s;
		size_t n = e->v.str.len;
		if (n % 2)
			return parse_fail("Fail to parse hex string to Byte: odd number of digits");
		char *bytes = arena_alloc(c->a, n / 2 + 1);
		if (!bytes)
			return ERR_NOMEM;
		for (size_t i = 0; i < n; i += 2) {
			int hi = isdigit((unsigned char)h[i])
			             ? h[i] - '0'
			             : (tolower((unsigned char)h[i]) - 'a' + 10);
			int lo = isdigit((unsigned char)h[i + 1])
			             ? h[i + 1] - '0'
			             : (tolower((unsigned char)h[i + 1]) - 'a' + 10);
			if (!isxdigit((unsigned char)h[i]) || !isxdigit((unsigned char)h[i + 1]))
				return parse_fail(
				    "Fail to parse hex string to Byte: invalid character "
				    "'%c' at position %zu",
				    isxdigit((unsigned char)h[i]) ? h[i + 1] : h[i], i);
			bytes[i / 2] = (char)(hi << 4 | lo);
		}
		out->v.s.p = bytes;
		out->v.s.n = (uint32_t)(n / 2);
		return ERR_OK;
	}
	case SQL_E_NESTED:
		return fe_value_from_expr(c, col, type, e->v.inner, out);
	case SQL_E_FUNC:
		if (is_now_func(e))
			return now_datum(c, col, type, out);
		break;
	case SQL_E_DEFAULT:
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "DEFAULT is not allowed here (column %s)", col);
	case SQL_E_CAST: {
		/* 'x'::DATE, CAST(1 AS TIMESTAMP): convert to the cast type, then to
		 * the column type */
		const struct sql_expr *a = e->v.cast.arg;
		while (a->kind == SQL_E_NESTED)
			a = a->v.inner;
		const struct sql_type *ct = &e->v.cast.type;
		if (ct->kind != SQL_TYPE_DTYPE || ct->dtype < 0 ||
		    (a->kind != SQL_E_STRING && a->kind != SQL_E_NUMBER && a->kind != SQL_E_NULL &&
		     a->kind != SQL_E_UNARY))
			break;
		struct datum mid;
		int rc = fe_value_from_expr(c, col, (enum dtype)ct->dtype, a, &mid);
		if (rc == ERR_OK)
			rc = fe_cast_datum(c, &mid, type, out);
		return rc;
	}
	default:
		break;
	}
	return sql_eval_const(&c->env, c->s, e, type, c->a, out);
}

/* ---- casts ---------------------------------------------------------------- */

int fe_cast_datum(struct fe_ctx *c, const struct datum *in, enum dtype type, struct datum *out)
{
	*out = *in;
	out->type = type;
	if (in->is_null || in->type == type)
		return ERR_OK;
	enum phys_kind pi = dtype_phys(in->type), po = dtype_phys(type);
	if (pi == PHYS_BYTES) {
		if (po == PHYS_BYTES)
			return ERR_OK;
		char *tmp = arena_strndup(c->a, in->v.s.p, in->v.s.n);
		if (!tmp)
			return ERR_NOMEM;
		if (dtype_is_timestamp(type) || type == DT_DATE)
			return string_to_datum(c, "value", type, tmp, in->v.s.n, out);
		return number_to_datum("value", type, tmp, out);
	}
	if (po == PHYS_BYTES) {
		struct buf b;
		buf_init(&b);
		int rc = fe_datum_text(&b, in);
		char *s = rc ? NULL
		             : arena_strndup(c->a, (const char *)b.data ? (const char *)b.data : "",
		                             b.len);
		buf_free(&b);
		if (!s)
			return ERR_NOMEM;
		out->v.s.p = s;
		out->v.s.n = (uint32_t)strlen(s);
		return ERR_OK;
	}
	if (pi == PHYS_F64 && po == PHYS_I64) {
		if (dtype_is_timestamp(type) || in->v.f != floor(in->v.f) || fabs(in->v.f) > 9.2e18)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Cannot cast value %g to %s", in->v.f, dtype_name(type));
		out->v.i = (int64_t)in->v.f;
		return ERR_OK;
	}
	if (pi == PHYS_I64 && po == PHYS_F64) {
		out->v.f =
		    dtype_is_unsigned(in->type) ? (double)(uint64_t)in->v.i : (double)in->v.i;
		return ERR_OK;
	}
	if (dtype_is_timestamp(in->type) && dtype_is_timestamp(type)) {
		int64_t a = dtype_ts_units_per_sec(in->type), b = dtype_ts_units_per_sec(type);
		out->v.i = a > b ? in->v.i / (a / b) : in->v.i * (b / a);
		return ERR_OK;
	}
	/* integer to integer: range check */
	int64_t lo;
	uint64_t hi;
	if (int_range(type, &lo, &hi)) {
		bool in_uns = dtype_is_unsigned(in->type);
		uint64_t u = (uint64_t)in->v.i;
		bool ok =
		    in_uns ? u <= hi : (in->v.i >= lo && (in->v.i < 0 || (uint64_t)in->v.i <= hi));
		if (!ok)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Value %" PRId64 " is out of range for %s", in->v.i,
			               dtype_name(type));
	}
	return ERR_OK;
}

/* ---- text ------------------------------------------------------------------- */

int fe_datum_text(struct buf *b, const struct datum *d)
{
	if (d->is_null)
		return buf_printf(b, "NULL");
	switch (d->type) {
	case DT_BOOL:
		return buf_printf(b, "%s", d->v.i ? "true" : "false");
	case DT_FLOAT32:
	case DT_FLOAT64: {
		char tmp[VFMT_DOUBLE_MAX];
		size_t n = vfmt_double(tmp, d->v.f, d->type == DT_FLOAT32, VFMT_MYSQL);
		return buf_append(b, tmp, n);
	}
	case DT_STRING:
	case DT_BINARY:
		return buf_append(b, d->v.s.p, d->v.s.n);
	case DT_DATE: {
		int64_t y;
		int m, dd;
		vfmt_civil_from_days(d->v.i, &y, &m, &dd);
		return buf_printf(b, "%04" PRId64 "-%02d-%02d", y, m, dd);
	}
	case DT_TS_S:
	case DT_TS_MS:
	case DT_TS_US:
	case DT_TS_NS: {
		struct vfmt_tm tm;
		vfmt_ts_split(d->v.i, d->type, NULL, &tm);
		int rc = buf_printf(b, "%04" PRId64 "-%02d-%02d %02d:%02d:%02d", tm.year, tm.mon,
		                    tm.day, tm.hour, tm.min, tm.sec);
		int64_t ups = dtype_ts_units_per_sec(d->type);
		if (!rc && ups > 1) {
			int64_t frac = d->v.i % ups;
			if (frac < 0)
				frac += ups;
			if (frac) {
				int width = ups == 1000 ? 3 : ups == 1000000 ? 6 : 9;
				rc = buf_printf(b, ".%0*" PRId64, width, frac);
			}
		}
		return rc ? rc : buf_printf(b, "+0000");
	}
	default:
		if (dtype_is_unsigned(d->type))
			return buf_printf(b, "%" PRIu64, (uint64_t)d->v.i);
		return buf_printf(b, "%" PRId64, d->v.i);
	}
}
