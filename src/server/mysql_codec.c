/*
 * mysql_codec: MySQL packet framing, length-encoded values, the handshake
 * response parser, column definitions per Strata type and binary
 * parameter decoding. Byte layouts are described in mysql_int.h and at
 * each parser.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "server/mysql_int.h"
#include "server/sqltext.h"
#include "server/value_format.h"

int my_put_lenenc(struct buf *b, uint64_t v)
{
	uint8_t t[9];
	size_t n;
	if (v < 0xFB) {
		t[0] = (uint8_t)v;
		n = 1;
	} else if (v <= 0xFFFF) {
		t[0] = 0xFC;
		t[1] = (uint8_t)v;
		t[2] = (uint8_t)(v >> 8);
		n = 3;
	} else if (v <= 0xFFFFFF) {
		t[0] = 0xFD;
		t[1] = (uint8_t)v;
		t[2] = (uint8_t)(v >> 8);
		t[3] = (uint8_t)(v >> 16);
		n = 4;
	} else {
		t[0] = 0xFE;
		le_put_u64(t + 1, v);
		n = 9;
	}
	return buf_append(b, t, n);
}

int my_put_lenenc_str(struct buf *b, const void *p, size_t n)
{
	int rc = my_put_lenenc(b, n);
	return rc || n == 0 ? rc : buf_append(b, p, n);
}

uint64_t my_rd_lenenc(struct rd *r, bool *is_null)
{
	if (is_null)
		*is_null = false;
	uint8_t c = rd_u8(r);
	if (r->err)
		return 0;
	switch (c) {
	case 0xFB:
		if (is_null)
			*is_null = true;
		return 0;
	case 0xFC:
		return rd_u16le(r);
	case 0xFD: {
		const uint8_t *p = rd_bytes(r, 3);
		return p ? (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 : 0;
	}
	case 0xFE:
		return rd_u64le(r);
	case 0xFF:
		r->err = ERR_CORRUPT;
		return 0;
	default:
		return c;
	}
}

const uint8_t *my_rd_lenenc_str(struct rd *r, size_t *n)
{
	bool is_null;
	uint64_t len = my_rd_lenenc(r, &is_null);
	*n = 0;
	if (r->err || is_null)
		return NULL;
	if (len > rd_left(r)) {
		r->err = ERR_CORRUPT;
		return NULL;
	}
	*n = (size_t)len;
	return rd_bytes(r, (size_t)len);
}

const char *my_rd_nulstr(struct rd *r, size_t *n)
{
	if (r->err)
		return NULL;
	const uint8_t *z = memchr(r->p, 0, rd_left(r));
	if (!z) {
		r->err = ERR_CORRUPT;
		return NULL;
	}
	const char *s = (const char *)r->p;
	*n = (size_t)(z - r->p);
	r->p = z + 1;
	return s;
}

int my_frame(struct buf *out, uint8_t *seq, const void *payload, size_t n)
{
	const uint8_t *p = payload;
	int rc = buf_reserve(out, n + 4 * (n / MY_MAX_FRAME + 1));
	if (rc)
		return rc;
	for (;;) {
		size_t chunk = n < MY_MAX_FRAME ? n : MY_MAX_FRAME;
		uint8_t h[4] = {(uint8_t)chunk, (uint8_t)(chunk >> 8), (uint8_t)(chunk >> 16), (*seq)++};
		buf_append(out, h, 4);
		if (chunk)
			buf_append(out, p, chunk);
		p += chunk;
		n -= chunk;
		if (chunk < MY_MAX_FRAME)
			return ERR_OK;
	}
}

static int copy_str(char *dst, size_t cap, const char *src, size_t n, const char *what)
{
	if (n >= cap)
		return err_set(ERR_PROTOCOL, "%s too long (%zu bytes)", what, n);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return ERR_OK;
}

/*
 * HandshakeResponse41:
 *   u32le caps | u32le max_packet | u8 charset | 23 x 0x00
 *   user NUL-terminated
 *   auth response: lenenc string (PLUGIN_AUTH_LENENC) | u8 len + bytes
 *                  (SECURE_CONNECTION) | NUL-terminated
 *   database NUL-terminated (CONNECT_WITH_DB)
 *   plugin name NUL-terminated (PLUGIN_AUTH)
 *   attributes: lenenc total length + lenenc key/value pairs (CONNECT_ATTRS)
 * An SSLRequest is the first 32 bytes alone.
 */
int my_parse_handshake_response(const uint8_t *p, size_t n, struct my_handshake_resp *o)
{
	memset(o, 0, sizeof(*o));
	struct rd r;
	rd_init(&r, p, n);
	o->caps = rd_u32le(&r);
	o->max_packet = rd_u32le(&r);
	o->charset = rd_u8(&r);
	rd_bytes(&r, 23);
	if (r.err)
		return err_set(ERR_PROTOCOL, "handshake response truncated");
	if (!(o->caps & MY_CLIENT_PROTOCOL_41))
		return err_set(ERR_PROTOCOL, "client does not speak protocol 4.1");
	if (rd_left(&r) == 0) {
		if (o->caps & MY_CLIENT_SSL) {
			o->ssl_request = true;
			return ERR_OK;
		}
		return err_set(ERR_PROTOCOL, "handshake response truncated");
	}
	size_t len;
	const char *s = my_rd_nulstr(&r, &len);
	if (!s)
		return err_set(ERR_PROTOCOL, "handshake response: user name not terminated");
	if (copy_str(o->user, sizeof(o->user), s, len, "user name"))
		return ERR_PROTOCOL;
	const uint8_t *a = NULL;
	if (o->caps & MY_CLIENT_PLUGIN_AUTH_LENENC) {
		a = my_rd_lenenc_str(&r, &len);
	} else if (o->caps & MY_CLIENT_SECURE_CONNECTION) {
		len = rd_u8(&r);
		a = rd_bytes(&r, len);
	} else {
		a = (const uint8_t *)my_rd_nulstr(&r, &len);
	}
	if (r.err)
		return err_set(ERR_PROTOCOL, "handshake response: auth data truncated");
	if (len > sizeof(o->auth))
		return err_set(ERR_PROTOCOL, "handshake response: auth data too long");
	if (len)
		memcpy(o->auth, a, len);
	o->auth_len = len;
	if ((o->caps & MY_CLIENT_CONNECT_WITH_DB) && rd_left(&r) > 0) {
		s = my_rd_nulstr(&r, &len);
		if (!s)
			return err_set(ERR_PROTOCOL, "handshake response: database not terminated");
		if (copy_str(o->db, sizeof(o->db), s, len, "database name"))
			return ERR_PROTOCOL;
	}
	if ((o->caps & MY_CLIENT_PLUGIN_AUTH) && rd_left(&r) > 0) {
		s = my_rd_nulstr(&r, &len);
		if (!s) /* some clients omit the final NUL */
			return err_set(ERR_PROTOCOL, "handshake response: plugin name not terminated");
		if (copy_str(o->plugin, sizeof(o->plugin), s, len, "plugin name"))
			return ERR_PROTOCOL;
	}
	if ((o->caps & MY_CLIENT_CONNECT_ATTRS) && rd_left(&r) > 0) {
		uint64_t total = my_rd_lenenc(&r, NULL);
		if (r.err || total > rd_left(&r))
			return err_set(ERR_PROTOCOL, "handshake response: attributes truncated");
		struct rd ar;
		rd_init(&ar, rd_bytes(&r, (size_t)total), (size_t)total);
		while (rd_left(&ar) > 0 && !ar.err) {
			my_rd_lenenc_str(&ar, &len);
			my_rd_lenenc_str(&ar, &len);
		}
		if (ar.err)
			return err_set(ERR_PROTOCOL, "handshake response: malformed attributes");
	}
	return ERR_OK;
}

#define FLAG_NOT_NULL 1
#define FLAG_BLOB     16
#define FLAG_UNSIGNED 32
#define FLAG_BINARY   128
#define CS_BINARY     63
#define CS_UTF8MB4    45

void my_coldef_of(enum dtype t, struct my_coldef *cd)
{
	memset(cd, 0, sizeof(*cd));
	cd->charset = CS_BINARY;
	cd->flags = FLAG_BINARY;
	switch (t) {
	case DT_BOOL: cd->type = MY_TYPE_TINY; cd->length = 1; break;
	case DT_INT8: cd->type = MY_TYPE_TINY; cd->length = 4; break;
	case DT_UINT8: cd->type = MY_TYPE_TINY; cd->length = 3; cd->flags |= FLAG_UNSIGNED; break;
	case DT_INT16: cd->type = MY_TYPE_SHORT; cd->length = 6; break;
	case DT_UINT16: cd->type = MY_TYPE_SHORT; cd->length = 5; cd->flags |= FLAG_UNSIGNED; break;
	case DT_INT32: cd->type = MY_TYPE_LONG; cd->length = 11; break;
	case DT_UINT32: cd->type = MY_TYPE_LONG; cd->length = 10; cd->flags |= FLAG_UNSIGNED; break;
	case DT_INT64: cd->type = MY_TYPE_LONGLONG; cd->length = 20; break;
	case DT_UINT64:
		cd->type = MY_TYPE_LONGLONG;
		cd->length = 20;
		cd->flags |= FLAG_UNSIGNED;
		break;
	case DT_FLOAT32: cd->type = MY_TYPE_FLOAT; cd->length = 12; cd->decimals = 31; break;
	case DT_FLOAT64: cd->type = MY_TYPE_DOUBLE; cd->length = 22; cd->decimals = 31; break;
	case DT_STRING:
		cd->type = MY_TYPE_VAR_STRING;
		cd->charset = CS_UTF8MB4;
		cd->flags = 0;
		cd->length = 1 << 24;
		break;
	case DT_BINARY:
		cd->type = MY_TYPE_BLOB;
		cd->flags = FLAG_BINARY | FLAG_BLOB;
		cd->length = 1 << 24;
		break;
	case DT_DATE: cd->type = MY_TYPE_DATE; cd->length = 10; break;
	case DT_TS_S: cd->type = MY_TYPE_DATETIME; cd->length = 19; cd->decimals = 0; break;
	default: /* other timestamps */
		cd->type = MY_TYPE_DATETIME;
		cd->length = 26;
		cd->decimals = 6;
		break;
	}
}

static int is_numeric_text(const uint8_t *p, size_t n)
{
	size_t i = 0, digits = 0;
	if (i < n && (p[i] == '-' || p[i] == '+'))
		i++;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++, digits++;
	if (i < n && p[i] == '.') {
		i++;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++, digits++;
	}
	if (digits && i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '-' || p[i] == '+'))
			i++;
		size_t ed = 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++, ed++;
		if (!ed)
			return 0;
	}
	return digits > 0 && i == n;
}

static int valid_utf8_text(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t k = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
		if (k == 9 || i + k >= n)
			return 0;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return 0;
		for (size_t j = 1; j <= k; j++)
			if ((p[i + j] & 0xC0) != 0x80)
				return 0;
		i += k + 1;
	}
	return 1;
}

static int hex_literal(struct buf *sql, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	int rc = buf_append(sql, "X'", 2);
	for (size_t i = 0; i < n && !rc; i++) {
		char t[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
		rc = buf_append(sql, t, 2);
	}
	return rc ? rc : buf_putc(sql, '\'');
}

/*
 * Binary parameter values (COM_STMT_EXECUTE):
 *   TINY 1 byte, SHORT/YEAR 2, LONG/INT24 4, LONGLONG 8 (little endian,
 *   signed unless the unsigned flag), FLOAT 4, DOUBLE 8 (IEEE LE),
 *   DATE/DATETIME/TIMESTAMP: u8 len (0, 4, 7 or 11) + u16 year, u8 month,
 *   u8 day [, u8 hour, u8 minute, u8 second [, u32 microseconds]],
 *   TIME: u8 len (0, 8 or 12) + u8 negative, u32 days, u8 h, u8 m, u8 s
 *   [, u32 microseconds],
 *   everything else: a length-encoded string.
 */
int my_param_literal(struct rd *r, uint8_t type, bool uns, struct buf *sql)
{
	char t[VFMT_DOUBLE_MAX + 8];
	int n = 0;
	switch (type) {
	case MY_TYPE_NULL:
		return buf_append(sql, "NULL", 4);
	case MY_TYPE_TINY: {
		uint8_t v = rd_u8(r);
		n = uns ? snprintf(t, sizeof(t), "%u", v) : snprintf(t, sizeof(t), "%d", (int8_t)v);
		break;
	}
	case MY_TYPE_SHORT:
	case MY_TYPE_YEAR: {
		uint16_t v = rd_u16le(r);
		n = uns ? snprintf(t, sizeof(t), "%u", v) : snprintf(t, sizeof(t), "%d", (int16_t)v);
		break;
	}
	case MY_TYPE_LONG:
	case MY_TYPE_INT24: {
		uint32_t v = rd_u32le(r);
		n = uns ? snprintf(t, sizeof(t), "%" PRIu32, v)
			: snprintf(t, sizeof(t), "%" PRId32, (int32_t)v);
		break;
	}
	case MY_TYPE_LONGLONG: {
		uint64_t v = rd_u64le(r);
		n = uns ? snprintf(t, sizeof(t), "%" PRIu64, v)
			: snprintf(t, sizeof(t), "%" PRId64, (int64_t)v);
		break;
	}
	case MY_TYPE_FLOAT:
	case MY_TYPE_DOUBLE: {
		double d;
		if (type == MY_TYPE_FLOAT) {
			uint32_t u = rd_u32le(r);
			float f;
			memcpy(&f, &u, 4);
			d = f;
		} else {
			uint64_t u = rd_u64le(r);
			memcpy(&d, &u, 8);
		}
		if (r->err)
			break;
		if (!isfinite(d)) /* no SQL literal; let the engine cast a string */
			return sqltext_quote(sql, t, vfmt_double(t, d, 0, VFMT_PG), SQL_DIALECT_MYSQL);
		n = (int)vfmt_double(t, d, type == MY_TYPE_FLOAT, VFMT_PG);
		break;
	}
	case MY_TYPE_DATE:
	case MY_TYPE_DATETIME:
	case MY_TYPE_TIMESTAMP: {
		uint8_t len = rd_u8(r);
		unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
		uint32_t us = 0;
		if (len != 0 && len != 4 && len != 7 && len != 11) {
			r->err = ERR_CORRUPT;
			break;
		}
		if (len >= 4) {
			y = rd_u16le(r);
			mo = rd_u8(r);
			d = rd_u8(r);
		}
		if (len >= 7) {
			h = rd_u8(r);
			mi = rd_u8(r);
			s = rd_u8(r);
		}
		if (len == 11)
			us = rd_u32le(r);
		if (r->err)
			break;
		if (type == MY_TYPE_DATE)
			n = snprintf(t, sizeof(t), "'%04u-%02u-%02u'", y, mo, d);
		else
			n = snprintf(t, sizeof(t), "'%04u-%02u-%02u %02u:%02u:%02u.%06u'", y, mo, d, h,
				     mi, s, us % 1000000);
		break;
	}
	case MY_TYPE_TIME: {
		uint8_t len = rd_u8(r);
		unsigned neg = 0, h = 0, mi = 0, s = 0;
		uint32_t days = 0, us = 0;
		if (len != 0 && len != 8 && len != 12) {
			r->err = ERR_CORRUPT;
			break;
		}
		if (len >= 8) {
			neg = rd_u8(r);
			days = rd_u32le(r);
			h = rd_u8(r);
			mi = rd_u8(r);
			s = rd_u8(r);
		}
		if (len == 12)
			us = rd_u32le(r);
		if (r->err)
			break;
		n = snprintf(t, sizeof(t), "'%s%" PRIu64 ":%02u:%02u.%06u'", neg ? "-" : "",
			     (uint64_t)days * 24 + h, mi, s, us % 1000000);
		break;
	}
	default: {
		size_t len;
		const uint8_t *p = my_rd_lenenc_str(r, &len);
		if (r->err)
			break;
		if ((type == MY_TYPE_DECIMAL || type == MY_TYPE_NEWDECIMAL) && is_numeric_text(p, len))
			return buf_append(sql, p, len);
		if (!valid_utf8_text(p, len))
			return hex_literal(sql, p, len);
		return sqltext_quote(sql, (const char *)p, len, SQL_DIALECT_MYSQL);
	}
	}
	if (r->err)
		return err_set(ERR_PROTOCOL, "malformed parameter value of type %u", type);
	return buf_append(sql, t, (size_t)n);
}
