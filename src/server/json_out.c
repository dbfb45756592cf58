/*
 * json_out: GreptimeDB's /v1/sql JSON. See json_out.h for the layout.
 *
 * Floats: the digits are the shortest decimal that reads back to the same
 * double (tried with 15, 16 and 17 significant digits; when 15 round-trip,
 * stripping trailing zeros gives the shortest because the 15-digit grid is
 * coarser than the double spacing - except for subnormals, which are tried
 * from one digit up), laid out as ryu does for serde_json:
 * with kk the decimal point position (10^(kk-1) <= |v| < 10^kk) and k the
 * exponent of the last digit,
 *   0 <= k, kk <= 16     digits, k zeros, ".0"        (1234e7 -> 12340000000.0)
 *   0 < kk <= 16         digits with a point inside   (12.34)
 *   -5 < kk <= 0         "0.", -kk zeros, digits      (0.001234)
 *   one digit            "de" exponent                (1e30, 1e-7)
 *   otherwise            "d.ddde" exponent            (1.234e33)
 */
#include "server/json_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/utf8.h"
#include "server/handler.h"
#include "server/value_format.h"

static int put(struct buf *b, const char *s, size_t n)
{
	return buf_append(b, s, n);
}
#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static int put_u64(struct buf *b, uint64_t v)
{
	char tmp[24];
	int i = (int)sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return put(b, tmp + i, sizeof(tmp) - (size_t)i);
}

static int put_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		if (buf_putc(b, '-'))
			return ERR_NOMEM;
		return put_u64(b, 0 - (uint64_t)v);
	}
	return put_u64(b, (uint64_t)v);
}

int json_out_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = (const uint8_t *)s;
	if (buf_reserve(b, n + 2) || buf_putc(b, '"'))
		return ERR_NOMEM;
	size_t i = 0, run = 0;
	while (i < n) {
		uint8_t c = p[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (run && put(b, s + i - run, run))
			return ERR_NOMEM;
		run = 0;
		int rc = ERR_OK;
		if (c >= 0x80) {
			size_t l = utf8_seq_len(p + i, n - i);
			if (l) {
				rc = put(b, s + i, l);
				i += l;
			} else {
				rc = PUTS(b, "\xef\xbf\xbd");
				i++;
			}
		} else {
			char esc[6] = {'\\', 0, 0, 0, 0, 0};
			size_t el = 2;
			switch (c) {
			case '"':
				esc[1] = '"';
				break;
			case '\\':
				esc[1] = '\\';
				break;
			case '\b':
				esc[1] = 'b';
				break;
			case '\f':
				esc[1] = 'f';
				break;
			case '\n':
				esc[1] = 'n';
				break;
			case '\r':
				esc[1] = 'r';
				break;
			case '\t':
				esc[1] = 't';
				break;
			default:
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				el = 6;
			}
			rc = put(b, esc, el);
			i++;
		}
		if (rc)
			return ERR_NOMEM;
	}
	if (run && put(b, s + n - run, run))
		return ERR_NOMEM;
	return buf_putc(b, '"') ? ERR_NOMEM : ERR_OK;
}

int json_out_double(struct buf *b, double d)
{
	if (!isfinite(d))
		return PUTS(b, "null");
	char out[64];
	size_t o = 0;
	if (signbit(d)) {
		out[o++] = '-';
		d = -d;
	}
	if (d == 0) {
		memcpy(out + o, "0.0", 3);
		return put(b, out, o + 3);
	}
	char dig[24];
	int len;
	int e = vfmt_shortest_digits(d, dig, &len);
	int kk = e + 1, k = kk - len;
	if (k >= 0 && kk <= 16) {
		memcpy(out + o, dig, (size_t)len);
		o += (size_t)len;
		for (int i = 0; i < k; i++)
			out[o++] = '0';
		memcpy(out + o, ".0", 2);
		o += 2;
	} else if (kk > 0 && kk <= 16) {
		memcpy(out + o, dig, (size_t)kk);
		o += (size_t)kk;
		out[o++] = '.';
		memcpy(out + o, dig + kk, (size_t)(len - kk));
		o += (size_t)(len - kk);
	} else if (kk > -5 && kk <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -kk; i++)
			out[o++] = '0';
		memcpy(out + o, dig, (size_t)len);
		o += (size_t)len;
	} else {
		out[o++] = dig[0];
		if (len > 1) {
			out[o++] = '.';
			memcpy(out + o, dig + 1, (size_t)(len - 1));
			o += (size_t)(len - 1);
		}
		o += (size_t)snprintf(out + o, sizeof(out) - o, "e%d", kk - 1);
	}
	return put(b, out, o);
}

int json_out_value(struct buf *b, const struct colvec *v, uint32_t i)
{
	if (colvec_is_null(v, i))
		return PUTS(b, "null");
	switch (v->type) {
	case DT_BOOL:
		return v->i64[i] ? PUTS(b, "true") : PUTS(b, "false");
	case DT_UINT8:
	case DT_UINT16:
	case DT_UINT32:
	case DT_UINT64:
		return put_u64(b, (uint64_t)v->i64[i]);
	case DT_FLOAT32:
	case DT_FLOAT64:
		return json_out_double(b, v->f64[i]);
	case DT_STRING: {
		uint32_t n;
		const char *p = colvec_bytes(v, i, &n);
		return json_out_string(b, n ? p : "", n);
	}
	case DT_BINARY: {
		uint32_t n;
		const uint8_t *p = (const uint8_t *)colvec_bytes(v, i, &n);
		if (buf_putc(b, '['))
			return ERR_NOMEM;
		for (uint32_t k = 0; k < n; k++)
			if ((k && buf_putc(b, ',')) || put_u64(b, p[k]))
				return ERR_NOMEM;
		return buf_putc(b, ']') ? ERR_NOMEM : ERR_OK;
	}
	default: /* signed integers, date (days), timestamps (column unit) */
		return put_i64(b, v->i64[i]);
	}
}

int json_out_records(struct buf *b, const struct result_set *rs, uint64_t limit)
{
	if (PUTS(b, "{\"records\":{\"schema\":{\"column_schemas\":["))
		return ERR_NOMEM;
	for (uint32_t c = 0; c < rs->ncols; c++) {
		const char *name = rs->names[c] ? rs->names[c] : "";
		if ((c && buf_putc(b, ',')) || PUTS(b, "{\"name\":") ||
		    json_out_string(b, name, strlen(name)) || PUTS(b, ",\"data_type\":") ||
		    json_out_string(b, dtype_name(rs->types[c]),
		                    strlen(dtype_name(rs->types[c]))) ||
		    buf_putc(b, '}'))
			return ERR_NOMEM;
	}
	if (PUTS(b, "]},\"rows\":["))
		return ERR_NOMEM;
	uint64_t nrows = rs->rows.nrows;
	uint64_t shown = nrows < limit ? nrows : limit;
	for (uint64_t r = 0; r < shown; r++) {
		if ((r && buf_putc(b, ',')) || buf_putc(b, '['))
			return ERR_NOMEM;
		for (uint32_t c = 0; c < rs->ncols; c++)
			if ((c && buf_putc(b, ',')) ||
			    json_out_value(b, &rs->rows.cols[c], (uint32_t)r))
				return ERR_NOMEM;
		if (buf_putc(b, ']'))
			return ERR_NOMEM;
	}
	if (PUTS(b, "],\"total_rows\":") || put_u64(b, nrows) || PUTS(b, "}}"))
		return ERR_NOMEM;
	return ERR_OK;
}

int json_out_affected(struct buf *b, uint64_t n)
{
	if (PUTS(b, "{\"affectedrows\":") || put_u64(b, n) || buf_putc(b, '}'))
		return ERR_NOMEM;
	return ERR_OK;
}

int json_out_error(struct buf *b, int greptime_status, const char *msg, uint64_t exec_ms)
{
	if (PUTS(b, "{\"code\":") || put_i64(b, greptime_status) || PUTS(b, ",\"error\":") ||
	    json_out_string(b, msg, strlen(msg)) || PUTS(b, ",\"execution_time_ms\":") ||
	    put_u64(b, exec_ms) || buf_putc(b, '}'))
		return ERR_NOMEM;
	return ERR_OK;
}

int json_http_status(int s)
{
	switch (s) {
	case 0:
		return 200;
	case 1005: /* Cancelled */
	case 1008: /* DeadlineExceeded */
		return 504;
	case 1001: /* Unsupported */
	case 1004: /* InvalidArguments */
	case 2000: /* InvalidSyntax */
	case 3000: /* PlanQuery */
	case 4000: /* TableAlreadyExists */
	case 4001: /* TableNotFound */
	case 4002: /* TableColumnNotFound */
	case 4003: /* TableColumnExists */
	case 4004: /* DatabaseNotFound */
	case 4005: /* RegionNotFound */
	case 4006: /* RegionAlreadyExists */
	case 4011: /* DatabaseAlreadyExists */
	case 5001: /* RequestOutdated */
	case 8000: /* FlowAlreadyExists */
	case 8001: /* FlowNotFound */
		return 400;
	case 4007: /* RegionReadonly */
	case 7000: /* UserNotFound */
	case 7001: /* UnsupportedPasswordType */
	case 7002: /* UserPasswordMismatch */
	case 7003: /* AuthHeaderNotFound */
	case 7004: /* InvalidAuthHeader */
		return 401;
	case 7005: /* AccessDenied */
	case 7006: /* PermissionDenied */
		return 403;
	case 6001: /* RateLimited */
		return 429;
	case 1007: /* External */
	case 4008: /* RegionNotReady */
	case 4009: /* RegionBusy */
	case 4010: /* TableUnavailable */
	case 5000: /* StorageUnavailable */
		return 503;
	default: /* Unknown, Unexpected, Internal, EngineExecuteQuery, ... */
		return 500;
	}
}
