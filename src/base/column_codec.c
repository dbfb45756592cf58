/* column_codec: binary form of struct batch. Layout and rules: column_codec.h. */
#include "base/column_codec.h"

#include <string.h>

#include "base/err.h"
#include "base/mem.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1
#else
#define HOST_LE 0
#endif

static size_t bitmap_bytes(uint32_t nrows)
{
	return ((size_t)nrows + 7) / 8;
}

/* True when v has a bitmap with at least one of its first nrows bits clear. */
static int has_nulls(const struct colvec *v, uint32_t nrows)
{
	if (!v->validity || nrows == 0)
		return 0;
	size_t full = nrows / 8;
	for (size_t i = 0; i < full; i++)
		if (v->validity[i] != 0xff)
			return 1;
	uint32_t rem = nrows & 7;
	if (rem) {
		uint8_t mask = (uint8_t)((1u << rem) - 1);
		if ((v->validity[full] & mask) != mask)
			return 1;
	}
	return 0;
}

static uint32_t bytes_base(const struct colvec *v)
{
	return v->offs ? v->offs[0] : 0;
}

static uint32_t bytes_total(const struct colvec *v, uint32_t nrows)
{
	return nrows && v->offs ? v->offs[nrows] - v->offs[0] : 0;
}

size_t batch_encoded_size(const struct batch *b)
{
	size_t n = 1 + 4 + 4;
	for (uint32_t c = 0; c < b->ncols; c++) {
		const struct colvec *v = &b->cols[c];
		n += 2;
		if (has_nulls(v, b->nrows))
			n += bitmap_bytes(b->nrows);
		if (dtype_phys(v->type) == PHYS_BYTES)
			n += ((size_t)b->nrows + 1) * 4 + bytes_total(v, b->nrows);
		else
			n += (size_t)b->nrows * 8;
	}
	return n;
}

static void put_u64_array(uint8_t *dst, const void *src, uint32_t n)
{
	if (n == 0)
		return;
#if HOST_LE
	memcpy(dst, src, (size_t)n * 8);
#else
	const uint64_t *s = src;
	for (uint32_t i = 0; i < n; i++)
		le_put_u64(dst + (size_t)i * 8, s[i]);
#endif
}

static void get_u64_array(void *dst, const uint8_t *src, uint32_t n)
{
	if (n == 0)
		return;
#if HOST_LE
	memcpy(dst, src, (size_t)n * 8);
#else
	uint64_t *d = dst;
	for (uint32_t i = 0; i < n; i++)
		d[i] = le_get_u64(src + (size_t)i * 8);
#endif
}

/* Writes one column at p; returns the bytes written. */
static size_t encode_col(const struct colvec *v, uint32_t nrows, uint8_t *p)
{
	uint8_t *start = p;
	int nulls = has_nulls(v, nrows);
	*p++ = (uint8_t)v->type;
	*p++ = nulls ? BATCH_COL_HAS_VALIDITY : 0;
	if (nulls) {
		size_t nb = bitmap_bytes(nrows);
		memcpy(p, v->validity, nb);
		if (nrows & 7)
			p[nb - 1] &= (uint8_t)((1u << (nrows & 7)) - 1);
		p += nb;
	}
	switch (dtype_phys(v->type)) {
	case PHYS_I64:
		put_u64_array(p, v->i64, nrows);
		p += (size_t)nrows * 8;
		break;
	case PHYS_F64:
		put_u64_array(p, v->f64, nrows);
		p += (size_t)nrows * 8;
		break;
	case PHYS_BYTES: {
		uint32_t base = bytes_base(v);
		if (nrows == 0 || !v->offs) {
			le_put_u32(p, 0);
			p += 4;
			break;
		}
		if (HOST_LE && base == 0) {
			memcpy(p, v->offs, ((size_t)nrows + 1) * 4);
		} else {
			for (uint32_t i = 0; i <= nrows; i++)
				le_put_u32(p + (size_t)i * 4, v->offs[i] - base);
		}
		p += ((size_t)nrows + 1) * 4;
		uint32_t total = bytes_total(v, nrows);
		if (total)
			memcpy(p, v->bytes + base, total);
		p += total;
		break;
	}
	}
	return (size_t)(p - start);
}

int batch_encode(const struct batch *b, struct buf *out)
{
	for (uint32_t c = 0; c < b->ncols; c++) {
		const struct colvec *v = &b->cols[c];
		if (v->len != b->nrows)
			return err_set(ERR_BAD_INPUT,
			               "batch encode: column %u has %u values, batch %u rows", c,
			               v->len, b->nrows);
		if ((unsigned)v->type >= DT__COUNT)
			return err_set(ERR_BAD_INPUT, "batch encode: column %u has bad type %d", c,
			               (int)v->type);
	}
	if (b->ncols > BATCH_CODEC_MAX_COLS)
		return err_set(ERR_LIMIT, "batch encode: %u columns (max %u)", b->ncols,
		               BATCH_CODEC_MAX_COLS);
	size_t size = batch_encoded_size(b);
	if (buf_reserve(out, size))
		return ERR_NOMEM;
	uint8_t *p = out->data + out->len;
	*p++ = BATCH_CODEC_VERSION;
	le_put_u32(p, b->nrows);
	le_put_u32(p + 4, b->ncols);
	p += 8;
	for (uint32_t c = 0; c < b->ncols; c++)
		p += encode_col(&b->cols[c], b->nrows, p);
	out->len += size;
	return ERR_OK;
}

/* Decode one column into v (already colvec_init'ed to zero). */
static int decode_col(struct rd *r, uint32_t nrows, uint32_t c, struct colvec *v)
{
	uint8_t type = rd_u8(r);
	uint8_t flags = rd_u8(r);
	if (r->err)
		return err_set(ERR_CORRUPT, "batch decode: column %u: truncated header", c);
	if (type >= DT__COUNT)
		return err_set(ERR_CORRUPT, "batch decode: column %u: bad dtype %u", c, type);
	if (flags & ~BATCH_COL_HAS_VALIDITY)
		return err_set(ERR_CORRUPT, "batch decode: column %u: bad flags 0x%02x", c, flags);
	colvec_init(v, (enum dtype)type);
	if (flags & BATCH_COL_HAS_VALIDITY) {
		size_t nb = bitmap_bytes(nrows);
		const uint8_t *bm = rd_bytes(r, nb);
		if (!bm)
			return err_set(ERR_CORRUPT, "batch decode: column %u: truncated validity",
			               c);
		if ((nrows & 7) && (bm[nb - 1] >> (nrows & 7)))
			return err_set(ERR_CORRUPT, "batch decode: column %u: validity padding set",
			               c);
		v->validity = mem_dup(bm, nb);
		if (!v->validity)
			return ERR_NOMEM;
	}
	switch (dtype_phys(v->type)) {
	case PHYS_I64:
	case PHYS_F64: {
		size_t need = (size_t)nrows * 8;
		if (rd_left(r) < need)
			return err_set(
			    ERR_CORRUPT,
			    "batch decode: column %u: %u values need %zu bytes, %zu left", c, nrows,
			    need, rd_left(r));
		const uint8_t *src = rd_bytes(r, need);
		if (nrows == 0)
			break;
		void *dst = mem_alloc(need);
		if (!dst)
			return ERR_NOMEM;
		get_u64_array(dst, src, nrows);
		if (dtype_phys(v->type) == PHYS_I64)
			v->i64 = dst;
		else
			v->f64 = dst;
		break;
	}
	case PHYS_BYTES: {
		size_t need = ((size_t)nrows + 1) * 4;
		if (rd_left(r) < need)
			return err_set(ERR_CORRUPT,
			               "batch decode: column %u: offsets need %zu bytes, %zu left",
			               c, need, rd_left(r));
		const uint8_t *src = rd_bytes(r, need);
		uint32_t *offs = mem_alloc(need);
		if (!offs)
			return ERR_NOMEM;
		v->offs = offs;
#if HOST_LE
		memcpy(offs, src, need);
#else
		for (uint32_t i = 0; i <= nrows; i++)
			offs[i] = le_get_u32(src + (size_t)i * 4);
#endif
		if (offs[0] != 0)
			return err_set(ERR_CORRUPT,
			               "batch decode: column %u: first offset %u, not 0", c,
			               offs[0]);
		for (uint32_t i = 0; i < nrows; i++)
			if (offs[i + 1] < offs[i])
				return err_set(
				    ERR_CORRUPT,
				    "batch decode: column %u: offset %u decreases (%u < %u)", c,
				    i + 1, offs[i + 1], offs[i]);
		uint32_t total = offs[nrows];
		if (rd_left(r) < total)
			return err_set(ERR_CORRUPT,
			               "batch decode: column %u: %u string bytes, %zu left", c,
			               total, rd_left(r));
		const uint8_t *data = rd_bytes(r, total);
		if (total) {
			v->bytes = mem_dup(data, total);
			if (!v->bytes)
				return ERR_NOMEM;
			v->bytes_cap = total;
		}
		break;
	}
	}
	v->len = nrows;
	v->cap = nrows;
	return ERR_OK;
}

int batch_decode(const uint8_t *p, size_t n, struct batch *out)
{
	int rc = ERR_OK;
	memset(out, 0, sizeof(*out));
	struct rd r;
	rd_init(&r, p, n);
	uint8_t version = rd_u8(&r);
	uint32_t nrows = rd_u32le(&r);
	uint32_t ncols = rd_u32le(&r);
	if (r.err) {
		rc = err_set(ERR_CORRUPT, "batch decode: truncated header (%zu bytes)", n);
		goto out;
	}
	if (version != BATCH_CODEC_VERSION) {
		rc = err_set(ERR_CORRUPT, "batch decode: unknown version %u", version);
		goto out;
	}
	if (ncols > BATCH_CODEC_MAX_COLS) {
		rc = err_set(ERR_CORRUPT, "batch decode: %u columns (max %u)", ncols,
		             BATCH_CODEC_MAX_COLS);
		goto out;
	}
	if (ncols && nrows > UINT32_MAX - 1) {
		rc = err_set(ERR_CORRUPT, "batch decode: %u rows is too many", nrows);
		goto out;
	}
	/* Every column takes at least 2 + 4*nrows bytes (a string column with
	 * empty values); refuse impossible counts before allocating anything. */
	if ((uint64_t)ncols * (2 + 4 * (uint64_t)nrows) > rd_left(&r)) {
		rc = err_set(ERR_CORRUPT,
		             "batch decode: %u columns x %u rows do not fit in %zu bytes", ncols,
		             nrows, rd_left(&r));
		goto out;
	}
	out->cols = mem_calloc(ncols ? ncols : 1, sizeof(struct colvec));
	if (!out->cols) {
		rc = ERR_NOMEM;
		goto out;
	}
	out->ncols = ncols;
	out->nrows = nrows;
	for (uint32_t c = 0; c < ncols; c++) {
		rc = decode_col(&r, nrows, c, &out->cols[c]);
		if (rc)
			goto out;
	}
	if (rd_left(&r) != 0)
		rc = err_set(ERR_CORRUPT, "batch decode: %zu trailing bytes", rd_left(&r));
out:
	if (rc)
		batch_free(out);
	return rc;
}
