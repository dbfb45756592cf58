/*
 * pg_codec: PostgreSQL message parsing (startup packet, Bind), type oids
 * per Strata type, binary value encoding and parameter decoding into SQL
 * literals.
 *
 * Binary formats used (big endian):
 *   bool 1 byte 0/1; int2/int4/int8 two's complement; float4/float8 IEEE;
 *   text/varchar raw UTF-8; bytea raw; date i32 days since 2000-01-01;
 *   timestamp i64 microseconds since 2000-01-01 00:00:00; numeric (for
 *   UInt64) u16 ndigits, i16 weight, u16 sign, u16 dscale, base-10000 digits.
 *
 * Type oids per Strata type (GreptimeDB's, except Int8 -> int2 where
 * GreptimeDB says "char"): bool 16; int8/uint8/int16 -> int2 21;
 * uint16/int32 -> int4 23; uint32/int64 -> int8 20; uint64 -> numeric 1700;
 * float32 700; float64 701; string varchar 1043; binary bytea 17;
 * date 1082; timestamps timestamp 1114; a duration column (a timestamp
 * difference, carried as text) interval 1186: binary i64 microseconds,
 * i32 days, i32 months.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "server/pg_int.h"
#include "server/sqltext.h"
#include "server/value_format.h"

#define PG_EPOCH_DAYS 10957 /* 2000-01-01 - 1970-01-01 */
#define PG_EPOCH_US   (PG_EPOCH_DAYS * 86400LL * 1000000LL)

int pg_put_u16(struct buf *b, uint16_t v)
{
	uint8_t t[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return buf_append(b, t, 2);
}

int pg_put_u32(struct buf *b, uint32_t v)
{
	uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return buf_append(b, t, 4);
}

int pg_put_u64(struct buf *b, uint64_t v)
{
	int rc = pg_put_u32(b, (uint32_t)(v >> 32));
	return rc ? rc : pg_put_u32(b, (uint32_t)v);
}

uint16_t pg_rd_u16(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 2);
	return p ? pg_get_u16(p) : 0;
}

uint32_t pg_rd_u32(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 4);
	return p ? pg_get_u32(p) : 0;
}

const char *pg_rd_str(struct rd *r)
{
	if (r->err)
		return NULL;
	const uint8_t *z = memchr(r->p, 0, rd_left(r));
	if (!z) {
		r->err = ERR_CORRUPT;
		return NULL;
	}
	const char *s = (const char *)r->p;
	r->p = z + 1;
	return s;
}

size_t pg_msg_begin(struct buf *b, uint8_t type)
{
	buf_putc(b, type);
	size_t at = b->len;
	pg_put_u32(b, 0);
	return at;
}

void pg_msg_end(struct buf *b, size_t start)
{
	if (start + 4 > b->len)
		return; /* an allocation failed on the way; the caller sees it */
	uint32_t n = (uint32_t)(b->len - start);
	b->data[start] = (uint8_t)(n >> 24);
	b->data[start + 1] = (uint8_t)(n >> 16);
	b->data[start + 2] = (uint8_t)(n >> 8);
	b->data[start + 3] = (uint8_t)n;
}

/*
 * Startup body: i32 code, then for protocol 3: (key NUL value NUL)* NUL;
 * CancelRequest: i32 pid, i32 secret; SSL/GSS requests: nothing.
 */
int pg_parse_startup(const uint8_t *p, size_t n, struct pg_startup *o)
{
	memset(o, 0, sizeof(*o));
	struct rd r;
	rd_init(&r, p, n);
	o->code = pg_rd_u32(&r);
	if (r.err)
		return err_set(ERR_PROTOCOL, "startup packet too short");
	if (o->code == PG_SSL_CODE || o->code == PG_GSS_CODE)
		return rd_left(&r) ? err_set(ERR_PROTOCOL, "malformed encryption request") : ERR_OK;
	if (o->code == PG_CANCEL_CODE) {
		o->cancel_pid = pg_rd_u32(&r);
		o->cancel_key = pg_rd_u32(&r);
		if (r.err || rd_left(&r))
			return err_set(ERR_PROTOCOL, "malformed cancel request");
		return ERR_OK;
	}
	if (o->code >> 16 != 3)
		return err_set(ERR_UNSUPPORTED, "unsupported frontend protocol %u.%u: server supports 3.0",
			       o->code >> 16, o->code & 0xffff);
	for (;;) {
		const char *k = pg_rd_str(&r);
		if (!k)
			return err_set(ERR_PROTOCOL, "startup packet not terminated");
		if (!*k)
			break;
		const char *v = pg_rd_str(&r);
		if (!v)
			return err_set(ERR_PROTOCOL, "startup packet: missing value for %s", k);
		if (o->nparams == PG_MAX_PARAMS)
			return err_set(ERR_PROTOCOL, "startup packet: too many parameters");
		o->keys[o->nparams] = k;
		o->vals[o->nparams++] = v;
	}
	if (rd_left(&r))
		return err_set(ERR_PROTOCOL, "startup packet: trailing bytes");
	return ERR_OK;
}

const char *pg_startup_get(const struct pg_startup *s, const char *key)
{
	for (uint32_t i = 0; i < s->nparams; i++)
		if (!strcmp(s->keys[i], key))
			return s->vals[i];
	return NULL;
}

/*
 * Bind: portal NUL | stmt NUL | i16 nfmt | nfmt x i16 | i16 nparams |
 * nparams x (i32 len (-1 = NULL) | bytes) | i16 nrfmt | nrfmt x i16
 */
int pg_parse_bind(const uint8_t *p, size_t n, struct pg_bind *o)
{
	memset(o, 0, sizeof(*o));
	struct rd r;
	rd_init(&r, p, n);
	o->portal = pg_rd_str(&r);
	o->stmt = pg_rd_str(&r);
	o->nfmt = pg_rd_u16(&r);
	o->fmts = rd_bytes(&r, (size_t)o->nfmt * 2);
	o->nparams = pg_rd_u16(&r);
	if (r.err)
		return err_set(ERR_PROTOCOL, "malformed Bind message");
	if (o->nfmt > 1 && o->nfmt != o->nparams)
		return err_set(ERR_PROTOCOL, "bind message has %u parameter formats but %u parameters",
			       o->nfmt, o->nparams);
	for (uint16_t i = 0; i < o->nfmt; i++) {
		uint16_t f = pg_get_u16(o->fmts + 2 * i);
		if (f > 1)
			return err_set(ERR_PROTOCOL, "unsupported format code: %u", f);
	}
	if (o->nparams) {
		o->vals = mem_calloc(o->nparams, sizeof(*o->vals));
		o->lens = mem_calloc(o->nparams, sizeof(*o->lens));
		if (!o->vals || !o->lens) {
			pg_bind_free(o);
			return ERR_NOMEM;
		}
	}
	for (uint16_t i = 0; i < o->nparams; i++) {
		int32_t len = (int32_t)pg_rd_u32(&r);
		if (r.err || len < -1 || (len >= 0 && (size_t)len > rd_left(&r))) {
			pg_bind_free(o);
			return err_set(ERR_PROTOCOL, "malformed Bind message: parameter %u", i + 1);
		}
		o->lens[i] = len;
		o->vals[i] = len < 0 ? NULL : rd_bytes(&r, (size_t)len);
		if (len == 0)
			o->vals[i] = (const uint8_t *)""; /* empty, not NULL */
	}
	o->nrfmt = pg_rd_u16(&r);
	if (!r.err && o->nrfmt) {
		o->rfmts = mem_calloc(o->nrfmt, sizeof(int16_t));
		if (!o->rfmts) {
			pg_bind_free(o);
			return ERR_NOMEM;
		}
		for (uint16_t i = 0; i < o->nrfmt; i++) {
			int16_t f = (int16_t)pg_rd_u16(&r);
			o->rfmts[i] = f;
			if (f != 0 && f != 1 && !r.err) {
				pg_bind_free(o);
				return err_set(ERR_PROTOCOL, "unsupported format code: %d", f);
			}
		}
	}
	if (r.err || rd_left(&r)) {
		pg_bind_free(o);
		return err_set(ERR_PROTOCOL, "malformed Bind message");
	}
	return ERR_OK;
}

void pg_bind_free(struct pg_bind *b)
{
	mem_free(b->vals);
	mem_free(b->lens);
	mem_free(b->rfmts);
	b->vals = NULL;
	b->lens = NULL;
	b->rfmts = NULL;
}

int pg_bind_param_format(const struct pg_bind *b, uint16_t i)
{
	if (b->nfmt == 0)
		return 0;
	return pg_get_u16(b->fmts + 2 * (b->nfmt == 1 ? 0 : i));
}

uint32_t pg_oid_of(enum dtype t)
{
	switch (t) {
	case DT_BOOL: return PG_OID_BOOL;
	case DT_INT8:
	case DT_UINT8:
	case DT_INT16: return PG_OID_INT2;
	case DT_UINT16:
	case DT_INT32: return PG_OID_INT4;
	case DT_UINT32:
	case DT_INT64: return PG_OID_INT8;
	case DT_UINT64: return PG_OID_NUMERIC; /* as GreptimeDB: no overflow */
	case DT_FLOAT32: return PG_OID_FLOAT4;
	case DT_FLOAT64: return PG_OID_FLOAT8;
	case DT_STRING: return PG_OID_VARCHAR;
	case DT_BINARY: return PG_OID_BYTEA;
	case DT_DATE: return PG_OID_DATE;
	default: return PG_OID_TIMESTAMP;
	}
}

/* digits at *p (at most maxd of them, at least one) as a number */
static bool iv_num(const char **p, const char *end, int maxd, uint64_t *out)
{
	uint64_t v = 0;
	int nd = 0;
	while (*p < end && **p >= '0' && **p <= '9' && nd < maxd) {
		v = v * 10 + (uint64_t)(**p - '0');
		(*p)++;
		nd++;
	}
	*out = v;
	return nd > 0 && !(*p < end && **p >= '0' && **p <= '9');
}

int pg_interval_parse(const char *s, size_t n, int64_t *us, int32_t *days)
{
	const char *p = s, *end = s + n;
	uint64_t d = 0, h = 0, m = 0, sec = 0, frac = 0;
	bool dneg = false, tneg = false, have_days = false, have_time = false;
	/* "[-]N day[s]" */
	const char *q = p;
	bool neg = q < end && *q == '-';
	q += neg;
	uint64_t v;
	const char *digits = q;
	if (iv_num(&q, end, 10, &v) && q < end && *q == ' ') {
		q++;
		if ((size_t)(end - q) >= 3 && !memcmp(q, "day", 3)) {
			q += 3;
			if (q < end && *q == 's')
				q++;
			d = v;
			dneg = neg;
			have_days = true;
			p = q;
			if (p < end && *p == ' ')
				p++;
			else if (p != end)
				goto bad;
		}
	}
	(void)digits;
	if (p < end) {
		tneg = *p == '-';
		p += tneg;
		if (!iv_num(&p, end, 10, &h) || p >= end || *p++ != ':' || !iv_num(&p, end, 2, &m) ||
		    p >= end || *p++ != ':' || !iv_num(&p, end, 2, &sec) || m > 59 || sec > 59)
			goto bad;
		if (p < end && *p == '.') {
			p++;
			const char *f0 = p;
			if (!iv_num(&p, end, 6, &frac))
				goto bad;
			for (long k = p - f0; k < 6; k++)
				frac *= 10;
		}
		if (p != end)
			goto bad;
		have_time = true;
	}
	if ((!have_days && !have_time) || d > INT32_MAX || h > 2562047788ULL)
		goto bad;
	int64_t t = (int64_t)(((h * 60 + m) * 60 + sec) * 1000000 + frac);
	*us = tneg ? -t : t;
	*days = dneg ? -(int32_t)d : (int32_t)d;
	return ERR_OK;
bad:
	return err_set(ERR_CORRUPT, "malformed interval text '%.*s'", (int)(n > 64 ? 64 : n), s);
}

int pg_interval_binary(struct buf *out, const char *s, size_t n)
{
	int64_t us;
	int32_t days;
	int rc = pg_interval_parse(s, n, &us, &days);
	if (!rc)
		rc = pg_put_u64(out, (uint64_t)us);
	if (!rc)
		rc = pg_put_u32(out, (uint32_t)days);
	return rc ? rc : pg_put_u32(out, 0);
}

int16_t pg_typlen_of(enum dtype t)
{
	switch (pg_oid_of(t)) {
	case PG_OID_BOOL: return 1;
	case PG_OID_INT2: return 2;
	case PG_OID_INT4:
	case PG_OID_FLOAT4:
	case PG_OID_DATE: return 4;
	case PG_OID_INT8:
	case PG_OID_FLOAT8:
	case PG_OID_TIMESTAMP: return 8;
	default: return -1;
	}
}

int pg_binary_value(struct buf *out, const struct colvec *v, uint32_t i,
		    const struct vfmt_tz *tz)
{
	switch (pg_oid_of(v->type)) {
	case PG_OID_BOOL:
		return buf_putc(out, v->i64[i] ? 1 : 0);
	case PG_OID_INT2:
		return pg_put_u16(out, (uint16_t)v->i64[i]);
	case PG_OID_INT4:
		return pg_put_u32(out, (uint32_t)v->i64[i]);
	case PG_OID_INT8:
		return pg_put_u64(out, (uint64_t)v->i64[i]);
	case PG_OID_FLOAT4: {
		float f = (float)v->f64[i];
		uint32_t u;
		memcpy(&u, &f, 4);
		return pg_put_u32(out, u);
	}
	case PG_OID_FLOAT8: {
		uint64_t u;
		memcpy(&u, &v->f64[i], 8);
		return pg_put_u64(out, u);
	}
	case PG_OID_NUMERIC: {
		/* u16 ndigits | i16 weight | u16 sign | u16 dscale | base-10000
		 * digits, most significant first, no trailing zero digits */
		uint64_t x = (uint64_t)v->i64[i];
		uint16_t d[5];
		int nd = 0;
		while (x) {
			d[nd++] = (uint16_t)(x % 10000);
			x /= 10000;
		}
		int weight = nd - 1, lo = 0;
		while (lo < nd && d[lo] == 0)
			lo++;
		pg_put_u16(out, (uint16_t)(nd - lo));
		pg_put_u16(out, (uint16_t)(nd ? weight : 0));
		pg_put_u16(out, 0);
		int rc = pg_put_u16(out, 0);
		for (int k = nd - 1; k >= lo && !rc; k--)
			rc = pg_put_u16(out, d[k]);
		return rc;
	}
	case PG_OID_DATE:
		return pg_put_u32(out, (uint32_t)(int32_t)(v->i64[i] - PG_EPOCH_DAYS));
	case PG_OID_TIMESTAMP: {
		int64_t us = vfmt_ts_micros(v->i64[i], v->type, tz);
		if (us > INT64_MIN + PG_EPOCH_US)
			us -= PG_EPOCH_US;
		return pg_put_u64(out, (uint64_t)us);
	}
	default: {
		uint32_t n;
		const char *p = colvec_bytes(v, i, &n);
		return n ? buf_append(out, p, n) : ERR_OK;
	}
	}
}

static int is_integer_text(const uint8_t *p, int32_t n)
{
	int32_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < n && (p[i] == '-' || p[i] == '+'))
		i++;
	int32_t d = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++, d++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return d > 0 && i == n;
}

static int is_float_text(const uint8_t *p, int32_t n)
{
	char tmp[128];
	if (n <= 0 || n >= (int32_t)sizeof(tmp))
		return 0;
	memcpy(tmp, p, (size_t)n);
	tmp[n] = 0;
	for (int32_t i = 0; i < n; i++)
		if (!strchr("0123456789+-.eE ", tmp[i]))
			return 0;
	char *e;
	strtod(tmp, &e);
	if (e == tmp)
		return 0; /* no number at all (blanks only are not "0") */
	while (*e == ' ')
		e++;
	return *e == '\0';
}

/* Blanks only (or nothing): no float / numeric, the way PostgreSQL rejects it. */
static int is_blank_text(const uint8_t *p, int32_t n)
{
	for (int32_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
	return 1;
}

static int hex_lit(struct buf *sql, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	int rc = buf_append(sql, "X'", 2);
	for (size_t i = 0; i < n && !rc; i++) {
		char t[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
		rc = buf_append(sql, t, 2);
	}
	return rc ? rc : buf_putc(sql, '\'');
}

static int hexdig(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int text_param(struct buf *sql, uint32_t oid, const uint8_t *p, int32_t n)
{
	switch (oid) {
	case PG_OID_INT2:
	case PG_OID_INT4:
	case PG_OID_INT8:
	case PG_OID_OID:
		if (!is_integer_text(p, n))
			return err_set(ERR_BAD_INPUT, "invalid input syntax for type integer: \"%.*s\"",
				       n > 64 ? 64 : (int)n, (const char *)p);
		return buf_append(sql, p, (size_t)n);
	case PG_OID_FLOAT4:
	case PG_OID_FLOAT8:
	case PG_OID_NUMERIC:
		if (is_float_text(p, n))
			return buf_append(sql, p, (size_t)n);
		if (is_blank_text(p, n))
			return err_set(ERR_BAD_INPUT, "invalid input syntax for type %s: \"%.*s\"",
				       oid == PG_OID_FLOAT4   ? "real"
				       : oid == PG_OID_FLOAT8 ? "double precision"
							      : "numeric",
				       n > 64 ? 64 : (int)n, (const char *)p);
		break; /* NaN, Infinity: leave it to a cast of the string */
	case PG_OID_BOOL: {
		char t[8] = {0};
		if (n > 0 && n < 8)
			memcpy(t, p, (size_t)n);
		if (!strcasecmp(t, "t") || !strcasecmp(t, "true") || !strcasecmp(t, "1") ||
		    !strcasecmp(t, "yes") || !strcasecmp(t, "on") || !strcasecmp(t, "y"))
			return buf_append(sql, "TRUE", 4);
		if (!strcasecmp(t, "f") || !strcasecmp(t, "false") || !strcasecmp(t, "0") ||
		    !strcasecmp(t, "no") || !strcasecmp(t, "off") || !strcasecmp(t, "n"))
			return buf_append(sql, "FALSE", 5);
		return err_set(ERR_BAD_INPUT, "invalid input syntax for type boolean: \"%.*s\"",
			       n > 64 ? 64 : (int)n, (const char *)p);
	}
	case PG_OID_BYTEA:
		if (n >= 2 && p[0] == '\\' && p[1] == 'x' && n % 2 == 0) {
			struct buf raw;
			buf_init(&raw);
			for (int32_t i = 2; i < n; i += 2) {
				int hi = hexdig(p[i]), lo = hexdig(p[i + 1]);
				if (hi < 0 || lo < 0) {
					buf_free(&raw);
					return err_set(ERR_BAD_INPUT, "invalid hexadecimal data");
				}
				buf_putc(&raw, (uint8_t)(hi << 4 | lo));
			}
			int rc = hex_lit(sql, raw.data, raw.len);
			buf_free(&raw);
			return rc;
		}
		return hex_lit(sql, p, (size_t)n);
	default:
		break;
	}
	return sqltext_quote(sql, (const char *)p, (size_t)n, SQL_DIALECT_PG);
}

static int bad_len(uint32_t oid, int32_t n)
{
	return err_set(ERR_BAD_INPUT, "incorrect binary data format for type oid %u (%d bytes)", oid,
		       (int)n);
}

int pg_param_literal(struct buf *sql, uint32_t oid, int format, const uint8_t *p, int32_t n)
{
	if (!p || n < 0)
		return buf_append(sql, "NULL", 4);
	if (format == 0)
		return text_param(sql, oid, p, n);
	char t[VFMT_DOUBLE_MAX + 32];
	int len = 0;
	switch (oid) {
	case PG_OID_BOOL:
		if (n != 1)
			return bad_len(oid, n);
		return p[0] ? buf_append(sql, "TRUE", 4) : buf_append(sql, "FALSE", 5);
	case PG_OID_INT2:
		if (n != 2)
			return bad_len(oid, n);
		len = snprintf(t, sizeof(t), "%d", (int16_t)pg_get_u16(p));
		break;
	case PG_OID_INT4:
	case PG_OID_OID:
		if (n != 4)
			return bad_len(oid, n);
		len = oid == PG_OID_OID ? snprintf(t, sizeof(t), "%" PRIu32, pg_get_u32(p))
					: snprintf(t, sizeof(t), "%" PRId32, (int32_t)pg_get_u32(p));
		break;
	case PG_OID_INT8:
		if (n != 8)
			return bad_len(oid, n);
		len = snprintf(t, sizeof(t), "%" PRId64,
			       (int64_t)((uint64_t)pg_get_u32(p) << 32 | pg_get_u32(p + 4)));
		break;
	case PG_OID_FLOAT4:
	case PG_OID_FLOAT8: {
		double d;
		if (oid == PG_OID_FLOAT4) {
			if (n != 4)
				return bad_len(oid, n);
			uint32_t u = pg_get_u32(p);
			float f;
			memcpy(&f, &u, 4);
			d = f;
		} else {
			if (n != 8)
				return bad_len(oid, n);
			uint64_t u = (uint64_t)pg_get_u32(p) << 32 | pg_get_u32(p + 4);
			memcpy(&d, &u, 8);
		}
		len = (int)vfmt_double(t, d, oid == PG_OID_FLOAT4, VFMT_PG);
		if (!isfinite(d))
			return sqltext_quote(sql, t, (size_t)len, SQL_DIALECT_PG);
		break;
	}
	case PG_OID_TEXT:
	case PG_OID_VARCHAR:
	case PG_OID_BPCHAR:
	case PG_OID_NAME:
	case PG_OID_UNKNOWN:
	case 0:
		return sqltext_quote(sql, (const char *)p, (size_t)n, SQL_DIALECT_PG);
	case PG_OID_BYTEA:
		return hex_lit(sql, p, (size_t)n);
	case PG_OID_DATE: {
		if (n != 4)
			return bad_len(oid, n);
		int64_t y;
		int m, d;
		vfmt_civil_from_days((int64_t)(int32_t)pg_get_u32(p) + PG_EPOCH_DAYS, &y, &m, &d);
		len = snprintf(t, sizeof(t), "'%04" PRId64 "-%02d-%02d'", y, m, d);
		break;
	}
	case PG_OID_TIMESTAMP:
	case PG_OID_TIMESTAMPTZ: {
		if (n != 8)
			return bad_len(oid, n);
		int64_t us = (int64_t)((uint64_t)pg_get_u32(p) << 32 | pg_get_u32(p + 4));
		if (us > INT64_MAX - PG_EPOCH_US || us < INT64_MIN + PG_EPOCH_US)
			return err_set(ERR_BAD_INPUT, "timestamp out of range");
		struct vfmt_tm tm;
		vfmt_ts_split(us + PG_EPOCH_US, DT_TS_US, NULL, &tm);
		len = snprintf(t, sizeof(t), "'%04" PRId64 "-%02d-%02d %02d:%02d:%02d.%06d'", tm.year,
			       tm.mon, tm.day, tm.hour, tm.min, tm.sec, (int)tm.usec);
		break;
	}
	default:
		return err_set(ERR_UNSUPPORTED, "binary format for parameter type oid %u is not supported",
			       oid);
	}
	return buf_append(sql, t, (size_t)len);
}
