/*
 * pk_codec: memcomparable primary keys. See pk_codec.h.
 *
 * A key is the concatenation of one element per tag, in primary-key order.
 * Element layout:
 *   0x00                         NULL
 *   0x01 <payload>               a value; payload by physical kind:
 *     signed integer (bool, ints, date, timestamps):
 *                                8 bytes big-endian of (uint64)x ^ 1<<63
 *     unsigned integer (UINT8..UINT64):
 *                                8 bytes big-endian of (uint64)x
 *     float (FLOAT32 kept as double):
 *                                8 bytes big-endian of the IEEE bits b,
 *                                with b = ~b when the sign bit is set and
 *                                b |= 1<<63 otherwise (a total order:
 *                                -NaN < -inf < ... < -0.0 < 0.0 < ... < inf < NaN)
 *     string / binary:           the bytes, each 0x00 written as 0x00 0xFF,
 *                                then the terminator 0x00 0x01; when the
 *                                value held any 0x00 byte, the raw bytes
 *                                follow the terminator once more.
 *
 * Why it sorts: elements are self-delimiting and the first differing byte
 * of two elements decides their order (the NULL marker is below the value
 * marker; the terminator 0x00 0x01 is below both an escaped 0x00 (0x00
 * 0xFF) and any other byte, so a prefix sorts first). The raw copy after a
 * terminator is a function of the bytes already compared equal, so it never
 * changes an order; it exists so that pk_decode can point a string into the
 * key without unescaping into new memory. The decoder checks the copy.
 */
#include "storage/pk_codec.h"

#include <string.h>

#include "base/err.h"

enum { PK_NULL = 0x00, PK_VALUE = 0x01, PK_ESC = 0xFF, PK_END = 0x01 };

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline uint64_t f64_key(double f)
{
	uint64_t b;
	memcpy(&b, &f, 8);
	return b >> 63 ? ~b : b | (uint64_t)1 << 63;
}

static inline double f64_unkey(uint64_t b)
{
	b = b >> 63 ? b & ~((uint64_t)1 << 63) : ~b;
	double f;
	memcpy(&f, &b, 8);
	return f;
}

static int put_fixed(struct buf *out, uint64_t k)
{
	if (buf_reserve(out, 9))
		return ERR_NOMEM;
	out->data[out->len] = PK_VALUE;
	put_be64(out->data + out->len + 1, k);
	out->len += 9;
	return ERR_OK;
}

static int put_bytes(struct buf *out, const char *p, size_t n)
{
	const char *z = n ? memchr(p, 0, n) : NULL;
	if (!z) {
		if (buf_reserve(out, n + 3))
			return ERR_NOMEM;
		uint8_t *d = out->data + out->len;
		d[0] = PK_VALUE;
		if (n)
			memcpy(d + 1, p, n);
		d[n + 1] = 0x00;
		d[n + 2] = PK_END;
		out->len += n + 3;
		return ERR_OK;
	}
	size_t zeros = 0;
	for (size_t i = 0; i < n; i++)
		zeros += p[i] == 0;
	if (buf_reserve(out, 1 + n + zeros + 2 + n))
		return ERR_NOMEM;
	uint8_t *d = out->data + out->len;
	*d++ = PK_VALUE;
	for (size_t i = 0; i < n; i++) {
		*d++ = (uint8_t)p[i];
		if (p[i] == 0)
			*d++ = PK_ESC;
	}
	*d++ = 0x00;
	*d++ = PK_END;
	memcpy(d, p, n);
	out->len += 1 + n + zeros + 2 + n;
	return ERR_OK;
}

static int put_datum(enum dtype type, const struct datum *v, struct buf *out)
{
	if (v->is_null)
		return buf_putc(out, PK_NULL);
	switch (dtype_phys(type)) {
	case PHYS_I64:
		if (dtype_is_unsigned(type))
			return put_fixed(out, (uint64_t)v->v.i);
		return put_fixed(out, (uint64_t)v->v.i ^ (uint64_t)1 << 63);
	case PHYS_F64:
		return put_fixed(out, f64_key(v->v.f));
	default:
		return put_bytes(out, v->v.s.p, v->v.s.n);
	}
}

int pk_encode_row(const struct region_schema *s, const struct batch *rows, uint32_t row,
		  struct buf *out)
{
	for (uint32_t k = 0; k < s->npk; k++) {
		const struct colvec *c = &rows->cols[s->pk_cols[k]];
		int rc;
		if (colvec_is_null(c, row)) {
			rc = buf_putc(out, PK_NULL);
		} else {
			switch (dtype_phys(c->type)) {
			case PHYS_I64:
				rc = put_fixed(out, dtype_is_unsigned(c->type)
							    ? (uint64_t)c->i64[row]
							    : (uint64_t)c->i64[row] ^ (uint64_t)1 << 63);
				break;
			case PHYS_F64:
				rc = put_fixed(out, f64_key(c->f64[row]));
				break;
			default: {
				uint32_t n;
				const char *p = colvec_bytes(c, row, &n);
				rc = put_bytes(out, p, n);
				break;
			}
			}
		}
		if (rc)
			return rc;
	}
	return ERR_OK;
}

int pk_encode_datums(const struct region_schema *s, const struct datum *vals, struct buf *out)
{
	for (uint32_t k = 0; k < s->npk; k++) {
		enum dtype t = s->cols[s->pk_cols[k]].type;
		if (!vals[k].is_null && dtype_phys(vals[k].type) != dtype_phys(t))
			return err_set(ERR_BAD_INPUT, "primary key value %u has type %s, column is %s",
				       k, dtype_name(vals[k].type), dtype_name(t));
		int rc = put_datum(t, &vals[k], out);
		if (rc)
			return rc;
	}
	return ERR_OK;
}

/* Decode one string element starting after its marker; *used = bytes
 * consumed. */
static int get_bytes(const uint8_t *p, size_t n, struct datum *v, size_t *used)
{
	size_t i = 0, len = 0;
	bool escaped = false;
	for (;;) {
		const uint8_t *z = i < n ? memchr(p + i, 0, n - i) : NULL;
		if (!z || (size_t)(z - p) + 1 >= n)
			return err_set(ERR_CORRUPT, "primary key: unterminated string");
		size_t at = (size_t)(z - p);
		len += at - i;
		if (p[at + 1] == PK_END) {
			i = at + 2;
			break;
		}
		if (p[at + 1] != PK_ESC)
			return err_set(ERR_CORRUPT, "primary key: bad escape 0x%02x", p[at + 1]);
		escaped = true;
		len++;
		i = at + 2;
	}
	if (len > UINT32_MAX)
		return err_set(ERR_CORRUPT, "primary key: string too long");
	if (!escaped) {
		v->v.s.p = (const char *)p;
		v->v.s.n = (uint32_t)len;
		*used = i;
		return ERR_OK;
	}
	/* The raw copy follows; check it against the escaped form. */
	if (n - i < len)
		return err_set(ERR_CORRUPT, "primary key: truncated string copy");
	const uint8_t *raw = p + i;
	size_t r = 0;
	for (size_t j = 0; r < len; j++, r++) {
		if (p[j] != raw[r])
			return err_set(ERR_CORRUPT, "primary key: string copy mismatch");
		if (p[j] == 0)
			j++; /* skip the escape byte (checked above) */
	}
	v->v.s.p = (const char *)raw;
	v->v.s.n = (uint32_t)len;
	*used = i + len;
	return ERR_OK;
}

int pk_decode(const struct region_schema *s, const uint8_t *p, size_t n, struct datum *vals)
{
	size_t at = 0;
	for (uint32_t k = 0; k < s->npk; k++) {
		enum dtype t = s->cols[s->pk_cols[k]].type;
		struct datum *v = &vals[k];
		memset(v, 0, sizeof(*v));
		v->type = t;
		if (at >= n)
			return err_set(ERR_CORRUPT, "primary key: truncated at tag %u", k);
		uint8_t m = p[at++];
		if (m == PK_NULL) {
			v->is_null = true;
			continue;
		}
		if (m != PK_VALUE)
			return err_set(ERR_CORRUPT, "primary key: bad marker 0x%02x", m);
		switch (dtype_phys(t)) {
		case PHYS_I64:
		case PHYS_F64: {
			if (n - at < 8)
				return err_set(ERR_CORRUPT, "primary key: truncated at tag %u", k);
			uint64_t b = get_be64(p + at);
			at += 8;
			if (dtype_phys(t) == PHYS_F64)
				v->v.f = f64_unkey(b);
			else if (dtype_is_unsigned(t))
				v->v.i = (int64_t)b;
			else
				v->v.i = (int64_t)(b ^ (uint64_t)1 << 63);
			break;
		}
		default: {
			size_t used = 0;
			int rc = get_bytes(p + at, n - at, v, &used);
			if (rc)
				return rc;
			at += used;
			break;
		}
		}
	}
	if (at != n)
		return err_set(ERR_CORRUPT, "primary key: %zu trailing bytes", n - at);
	return ERR_OK;
}
