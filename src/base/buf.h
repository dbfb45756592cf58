/*
 * buf: a growable byte buffer with little-endian and varint writers, and
 * a bounds-checked reader (struct rd) for parsing untrusted bytes: every
 * rd_* call fails (returns ERR_CORRUPT via rd->err) instead of reading past
 * the end.
 */
#ifndef STRATA_BASE_BUF_H
#define STRATA_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);                       /* len = 0, keeps memory */
int buf_reserve(struct buf *b, size_t extra);        /* ensure cap >= len+extra */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_putc(struct buf *b, uint8_t c);
int buf_put_u16le(struct buf *b, uint16_t v);
int buf_put_u32le(struct buf *b, uint32_t v);
int buf_put_u64le(struct buf *b, uint64_t v);
int buf_put_uvarint(struct buf *b, uint64_t v);      /* LEB128 */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminate without counting the NUL in len; returns data as char*. */
char *buf_cstr(struct buf *b);
/* Hand the memory to the caller (free with mem_free); b becomes empty. */
uint8_t *buf_steal(struct buf *b, size_t *len);

struct rd {
	const uint8_t *p;
	const uint8_t *end;
	int err; /* sticky: once set, every read returns 0 */
};

void rd_init(struct rd *r, const void *p, size_t n);
size_t rd_left(const struct rd *r);
uint8_t rd_u8(struct rd *r);
uint16_t rd_u16le(struct rd *r);
uint32_t rd_u32le(struct rd *r);
uint64_t rd_u64le(struct rd *r);
uint64_t rd_uvarint(struct rd *r);
const uint8_t *rd_bytes(struct rd *r, size_t n);     /* NULL when short */

static inline void le_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t le_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void le_put_u64(uint8_t *p, uint64_t v)
{
	le_put_u32(p, (uint32_t)v);
	le_put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t le_get_u64(const uint8_t *p)
{
	return (uint64_t)le_get_u32(p) | (uint64_t)le_get_u32(p + 4) << 32;
}

#endif
