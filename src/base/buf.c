/* buf: growable byte buffer and bounds-checked reader. See buf.h. */
#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"

void buf_init(struct buf *b) { memset(b, 0, sizeof(*b)); }

void buf_free(struct buf *b)
{
	mem_free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b) { b->len = 0; }

int buf_reserve(struct buf *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return ERR_OK;
	void *p = b->data;
	int rc = mem_grow(&p, &b->cap, b->len + extra, 1);
	b->data = p;
	return rc;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n))
		return ERR_NOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return ERR_OK;
}

int buf_putc(struct buf *b, uint8_t c)
{
	if (b->len == b->cap && buf_reserve(b, 1))
		return ERR_NOMEM;
	b->data[b->len++] = c;
	return ERR_OK;
}

int buf_put_u16le(struct buf *b, uint16_t v)
{
	uint8_t t[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	return buf_append(b, t, 2);
}

int buf_put_u32le(struct buf *b, uint32_t v)
{
	uint8_t t[4];
	le_put_u32(t, v);
	return buf_append(b, t, 4);
}

int buf_put_u64le(struct buf *b, uint64_t v)
{
	uint8_t t[8];
	le_put_u64(t, v);
	return buf_append(b, t, 8);
}

int buf_put_uvarint(struct buf *b, uint64_t v)
{
	uint8_t t[10];
	int n = 0;
	while (v >= 0x80) {
		t[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	t[n++] = (uint8_t)v;
	return buf_append(b, t, (size_t)n);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(ERR_INTERNAL, "bad format");
	if (buf_reserve(b, (size_t)n + 1))
		return ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return ERR_OK;
}

char *buf_cstr(struct buf *b)
{
	if (buf_reserve(b, 1))
		return NULL;
	b->data[b->len] = '\0';
	return (char *)b->data;
}

uint8_t *buf_steal(struct buf *b, size_t *len)
{
	uint8_t *p = b->data;
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

void rd_init(struct rd *r, const void *p, size_t n)
{
	r->p = p;
	r->end = r->p + n;
	r->err = 0;
}

size_t rd_left(const struct rd *r) { return r->err ? 0 : (size_t)(r->end - r->p); }

static int need(struct rd *r, size_t n)
{
	if (r->err || (size_t)(r->end - r->p) < n) {
		r->err = ERR_CORRUPT;
		return 0;
	}
	return 1;
}

uint8_t rd_u8(struct rd *r) { return need(r, 1) ? *r->p++ : 0; }

uint16_t rd_u16le(struct rd *r)
{
	if (!need(r, 2))
		return 0;
	uint16_t v = (uint16_t)(r->p[0] | r->p[1] << 8);
	r->p += 2;
	return v;
}

uint32_t rd_u32le(struct rd *r)
{
	if (!need(r, 4))
		return 0;
	uint32_t v = le_get_u32(r->p);
	r->p += 4;
	return v;
}

uint64_t rd_u64le(struct rd *r)
{
	if (!need(r, 8))
		return 0;
	uint64_t v = le_get_u64(r->p);
	r->p += 8;
	return v;
}

uint64_t rd_uvarint(struct rd *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (!need(r, 1))
			return 0;
		uint8_t c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->err = ERR_CORRUPT;
	return 0;
}

const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	if (!need(r, n))
		return NULL;
	const uint8_t *p = r->p;
	r->p += n;
	return p;
}
