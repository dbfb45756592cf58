/*
 * parquet_page: a Parquet reader's page level (parquet_read.c opens the
 * file and reads row groups through it): page headers, the value and level
 * encodings (PLAIN, dictionary indexes and definition levels in the RLE /
 * bit-packed hybrid), decompression through the page cache, the per-chunk
 * page index, and the page-level API of parquet.h (parquet_column_pages,
 * parquet_prefetch_pages) and parquet_int.h (parquet_chunk_layout).
 *
 * Page-level reads: parquet_column_pages walks a chunk's page headers
 * (each checked like a full decode does) and reports each data page's row
 * span and v1 page statistics (max_value / min_value; bounds that do not
 * decode are "no statistics", never an error). parquet_read_row_ranges
 * decodes only pages overlapping the ranges (the dictionary page lazily,
 * before the first decoded data page) and compacts each decoded page to
 * the wanted rows; parquet_read_dict_ids returns dictionary indexes
 * instead of values. Truncated or inconsistent page headers are
 * ERR_CORRUPT with a message. A reader over memory keeps, per column chunk
 * it has walked, a page index (struct cindex: data pages' statistics and
 * header / body end offsets) for its whole life: parquet_column_pages
 * answers from it and row-range reads jump over unwanted pages (binary
 * search for the next wanted row) and take the headers of the pages they
 * decode from it, without parsing them again. Byte-array pages that are compacted to the
 * wanted rows copy only those rows' bytes (pwant). With a page cache
 * (parquet_reader_set_page_cache) row-range reads of a reader over memory
 * look each ZSTD page up by its body's file offset before decompressing
 * it, and keep what they decompress there; the page stays pinned until
 * the next page is decompressed or the chunk read ends.
 */
#include <string.h>
#include <zstd.h>

#include "base/err.h"
#include "base/mem.h"
#include "storage/page_cache.h"
#include "storage/parquet.h"
#include "storage/parquet_int.h"
#include "storage/parquet_read_int.h"

#define MAX_PAGE_BYTES   (1u << 30)
#define MAX_COLUMN_BYTES (1ull << 31)

/* ---- helpers ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	return need <= *cap ? ERR_OK : mem_grow(p, cap, need, elem);
}

static inline void set_bit(uint8_t *bm, uint64_t i)
{
	bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static inline bool get_bit(const uint8_t *bm, uint64_t i)
{
	return (bm[i >> 3] >> (i & 7)) & 1;
}

static void set_bits(uint8_t *bm, uint64_t start, uint64_t n)
{
	while (n && (start & 7)) {
		set_bit(bm, start++);
		n--;
	}
	if (n >= 8) {
		memset(bm + (start >> 3), 0xff, n >> 3);
		start += n & ~(uint64_t)7;
		n &= 7;
	}
	while (n--)
		set_bit(bm, start++);
}

/* ---- decoding ---- */

static int unpack_slow(const uint8_t *p, int bw, uint32_t *out, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		uint64_t bit = (uint64_t)i * (uint32_t)bw;
		uint32_t v = 0;
		for (int b = 0; b < bw; b++, bit++)
			v |= (uint32_t)((p[bit >> 3] >> (bit & 7)) & 1) << b;
		out[i] = v;
	}
	return 0;
}

/* Unpack n values of bw bits (LSB first) from p, which has avail >=
 * ceil(n * bw / 8) bytes. */
static void unpack_bits(const uint8_t *p, size_t avail, int bw, uint32_t *out, uint32_t n)
{
	uint64_t mask = bw == 32 ? 0xffffffffull : ((1ull << bw) - 1);
	uint64_t safe = avail >= 8 ? (uint64_t)(avail - 8) * 8 / (uint32_t)bw + 1 : 0;
	uint32_t fast = safe < n ? (uint32_t)safe : n;
	for (uint32_t i = 0; i < fast; i++) {
		uint64_t bit = (uint64_t)i * (uint32_t)bw, w;
		memcpy(&w, p + (bit >> 3), 8);
		out[i] = (uint32_t)((w >> (bit & 7)) & mask);
	}
	unpack_slow(p, bw, out, fast, n);
}

/* The ULEB128 header of the next run of an RLE/bit-packed hybrid stream at
 * *pos (at most 6 bytes, shifts 0..35); false when the stream ends
 * before it does or it is longer. */
static bool run_header(const uint8_t *p, size_t len, size_t *pos, uint64_t *h)
{
	uint64_t v = 0;
	for (int shift = 0; shift <= 35; shift += 7) {
		if (*pos >= len)
			return false;
		uint8_t c = p[(*pos)++];
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*h = v;
			return true;
		}
	}
	return false;
}

/* Decode exactly n values of the RLE/bit-packed hybrid stream [p, p+len)
 * of bit width bw (1..32) into out. */
static int rle_decode(const uint8_t *p, size_t len, int bw, uint32_t *out, uint32_t n)
{
	size_t pos = 0;
	uint32_t done = 0, vbytes = ((uint32_t)bw + 7) / 8;
	while (done < n) {
		uint64_t h;
		if (!run_header(p, len, &pos, &h))
			return corrupt("RLE data ends early");
		uint32_t want = n - done;
		if (h & 1) {
			uint64_t count = (h >> 1) * 8;
			uint64_t nbytes = (h >> 1) * (uint32_t)bw;
			uint32_t take = count < want ? (uint32_t)count : want;
			uint64_t need = ((uint64_t)take * (uint32_t)bw + 7) / 8;
			if (count == 0 || need > len - pos)
				return corrupt("bit-packed run beyond the data");
			unpack_bits(p + pos, len - pos, bw, out + done, take);
			pos += nbytes < len - pos ? nbytes : len - pos;
			done += take;
		} else {
			uint64_t count = h >> 1;
			if (count == 0 || vbytes > len - pos)
				return corrupt("bad RLE run");
			uint32_t v = 0;
			for (uint32_t b = 0; b < vbytes; b++)
				v |= (uint32_t)p[pos + b] << (8 * b);
			pos += vbytes;
			if (bw < 32 && (v >> bw))
				return corrupt("RLE value wider than its bit width");
			uint32_t take = count < want ? (uint32_t)count : want;
			for (uint32_t i = 0; i < take; i++)
				out[done + i] = v;
			done += take;
		}
	}
	return ERR_OK;
}

/* Decode n definition levels (bit width 1) into the zeroed bitmap bm;
 * *present = number of 1 levels. */
static int decode_levels(const uint8_t *p, size_t len, uint32_t n, uint8_t *bm, uint32_t *present)
{
	size_t pos = 0;
	uint32_t i = 0, cnt = 0;
	while (i < n) {
		uint64_t h;
		if (!run_header(p, len, &pos, &h))
			return corrupt("definition levels end early");
		uint32_t want = n - i;
		if (h & 1) {
			uint64_t count = (h >> 1) * 8;
			uint32_t take = count < want ? (uint32_t)count : want;
			size_t need = ((size_t)take + 7) / 8;
			if (count == 0 || need > len - pos)
				return corrupt("definition levels: bit-packed run beyond the data");
			const uint8_t *s = p + pos;
			uint32_t k = 0;
			if ((i & 7) == 0) {
				uint32_t whole = take / 8;
				memcpy(bm + (i >> 3), s, whole);
				for (uint32_t b = 0; b < whole; b++)
					cnt += (uint32_t)__builtin_popcount(s[b]);
				k = whole * 8;
			}
			for (; k < take; k++) {
				if ((s[k >> 3] >> (k & 7)) & 1) {
					set_bit(bm, (uint64_t)i + k);
					cnt++;
				}
			}
			pos += (h >> 1) < len - pos ? (size_t)(h >> 1) : len - pos;
			i += take;
		} else {
			uint64_t count = h >> 1;
			if (count == 0 || pos >= len)
				return corrupt("definition levels: bad RLE run");
			uint8_t v = p[pos++];
			if (v > 1)
				return corrupt("definition level above 1");
			uint32_t take = count < want ? (uint32_t)count : want;
			if (v) {
				set_bits(bm, i, take);
				cnt += take;
			}
			i += take;
		}
	}
	*present = cnt;
	return ERR_OK;
}

/* PLAIN fixed-width (or bit-packed BOOLEAN) values -> n 8-byte values in
 * colvec form (int64 or double). */
static int plain_fixed(const struct rcol *col, const uint8_t *src, size_t len, uint32_t n,
                       uint8_t *dst)
{
	switch (col->phys) {
	case PQT_BOOLEAN:
		if (((size_t)n + 7) / 8 > len)
			return corrupt("PLAIN boolean values truncated");
		for (uint32_t i = 0; i < n; i++) {
			int64_t x = (src[i >> 3] >> (i & 7)) & 1;
			memcpy(dst + 8 * (size_t)i, &x, 8);
		}
		return ERR_OK;
	case PQT_INT32:
	case PQT_FLOAT:
		if ((size_t)n * 4 > len)
			return corrupt("PLAIN values truncated");
		if (col->phys == PQT_FLOAT) {
			for (uint32_t i = 0; i < n; i++) {
				float f;
				memcpy(&f, src + 4 * (size_t)i, 4);
				double d = f;
				memcpy(dst + 8 * (size_t)i, &d, 8);
			}
		} else if (col->u32) {
			for (uint32_t i = 0; i < n; i++) {
				int64_t x = (int64_t)le_get_u32(src + 4 * (size_t)i);
				memcpy(dst + 8 * (size_t)i, &x, 8);
			}
		} else {
			for (uint32_t i = 0; i < n; i++) {
				int32_t y;
				memcpy(&y, src + 4 * (size_t)i, 4);
				int64_t x = y;
				memcpy(dst + 8 * (size_t)i, &x, 8);
			}
		}
		return ERR_OK;
	case PQT_INT64:
	case PQT_DOUBLE:
		if ((size_t)n * 8 > len)
			return corrupt("PLAIN values truncated");
		memcpy(dst, src, (size_t)n * 8);
		return ERR_OK;
	default:
		return corrupt("bad physical type");
	}
}

static void unpin_page(struct parquet_reader *r)
{
	if (r->pin) {
		page_cache_unpin(r->pc, r->pin);
		r->pin = NULL;
	}
}

/* Decompress a page body of n bytes at file offset off into *out (unc
 * bytes), valid until the next call or the end of the read. With cached
 * (a row-range read of a reader with a page cache) a ZSTD page comes from
 * the cache, or is decompressed into a new buffer the cache then keeps. */
static int decompress(struct parquet_reader *r, int32_t codec, const uint8_t *src, size_t n,
                      int64_t unc, uint64_t off, bool cached, const uint8_t **out)
{
	unpin_page(r);
	if (unc < 0 || unc > MAX_PAGE_BYTES)
		return err_set(ERR_CORRUPT, "parquet: page size %lld out of range", (long long)unc);
	if (codec == PQ_UNCOMPRESSED) {
		if ((uint64_t)unc != n)
			return corrupt("uncompressed page sizes disagree");
		*out = src;
		return ERR_OK;
	}
	if (codec != PQ_ZSTD)
		return err_set(ERR_UNSUPPORTED, "parquet: compression codec %d not supported",
		               codec);
	if ((uint64_t)unc > (uint64_t)n * 65536 + 65536)
		return corrupt("page expands beyond what zstd can produce");
	cached = cached && r->pc;
	if (cached) {
		size_t got = 0;
		const uint8_t *hit = page_cache_get(r->pc, r->pc_owner, off, &got, &r->pin);
		if (hit && got == (size_t)unc) {
			*out = hit;
			return ERR_OK;
		}
		unpin_page(r); /* cannot happen for an immutable file: decode afresh */
		cached = !hit;
	}
	uint8_t *dst;
	if (cached) {
		if (!(dst = mem_alloc((size_t)unc + 1)))
			return ERR_NOMEM;
	} else {
		buf_reset(&r->page);
		if (buf_reserve(&r->page, (size_t)unc + 1))
			return ERR_NOMEM;
		dst = (uint8_t *)r->page.data;
	}
	if (!r->dctx && !(r->dctx = ZSTD_createDCtx())) {
		if (cached)
			mem_free(dst);
		return err_set(ERR_NOMEM, "parquet: zstd context");
	}
	size_t got = ZSTD_decompressDCtx(r->dctx, dst, (size_t)unc, src, n);
	int rc = ERR_OK;
	if (ZSTD_isError(got))
		rc = err_set(ERR_CORRUPT, "parquet: zstd: %s", ZSTD_getErrorName(got));
	else if (got != (size_t)unc)
		rc = corrupt("page decompressed to the wrong size");
	if (!cached) {
		r->page.len = rc ? 0 : got;
		*out = dst;
		return rc;
	}
	if (rc) {
		mem_free(dst);
		return rc;
	}
	if (!(*out = page_cache_put(r->pc, r->pc_owner, off, dst, got, &r->pin)))
		return ERR_NOMEM;
	return ERR_OK;
}

static int read_dict_page(struct parquet_reader *r, const struct rcol *col, int32_t nvals,
                          int32_t enc, const uint8_t *p, size_t len)
{
	if (r->has_dict)
		return corrupt("second dictionary page in a column chunk");
	if (enc != PQE_PLAIN && enc != PQE_PLAIN_DICTIONARY)
		return err_set(ERR_UNSUPPORTED, "parquet: dictionary page encoding %d", enc);
	uint64_t maxn = col->phys == PQT_BOOLEAN ? (uint64_t)len * 8 : (uint64_t)len / 4;
	if (nvals < 0 || (uint64_t)nvals > maxn)
		return corrupt("dictionary entry count does not fit its page");
	uint32_t n = (uint32_t)nvals;
	if (col->phys == PQT_BYTE_ARRAY) {
		void *q = r->dict_off;
		if (grow(&q, &r->dict_off_cap, (size_t)n + 1, sizeof(uint32_t)))
			return ERR_NOMEM;
		r->dict_off = q;
		buf_reset(&r->dict_bytes);
		if (buf_reserve(&r->dict_bytes, len))
			return ERR_NOMEM;
		size_t pos = 0;
		r->dict_off[0] = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (len - pos < 4)
				return corrupt("dictionary entry truncated");
			uint32_t l = le_get_u32(p + pos);
			pos += 4;
			if (l > len - pos)
				return corrupt("dictionary entry truncated");
			memcpy(r->dict_bytes.data + r->dict_bytes.len, p + pos, l);
			r->dict_bytes.len += l;
			pos += l;
			r->dict_off[i + 1] = (uint32_t)r->dict_bytes.len;
		}
	} else {
		void *q = r->dict8;
		if (grow(&q, &r->dict8_cap, n ? n : 1, 8))
			return ERR_NOMEM;
		r->dict8 = q;
		int rc = plain_fixed(col, p, len, n, (uint8_t *)r->dict8);
		if (rc)
			return rc;
	}
	r->dict_n = n;
	r->has_dict = true;
	return ERR_OK;
}

/* Decode n dictionary indexes (bit width byte + hybrid) into r->idx,
 * checking each against the dictionary size. */
static int read_indexes(struct parquet_reader *r, const uint8_t *p, size_t len, uint32_t n)
{
	if (!r->has_dict)
		return corrupt("dictionary-encoded page without a dictionary");
	if (n == 0)
		return ERR_OK;
	if (len < 1)
		return corrupt("dictionary indexes missing");
	int bw = p[0];
	if (bw > 32)
		return corrupt("dictionary index bit width above 32");
	void *q = r->idx;
	if (grow(&q, &r->idx_cap, n, sizeof(uint32_t)))
		return ERR_NOMEM;
	r->idx = q;
	if (bw == 0) {
		memset(r->idx, 0, (size_t)n * sizeof(uint32_t));
	} else {
		int rc = rle_decode(p + 1, len - 1, bw, r->idx, n);
		if (rc)
			return rc;
	}
	uint32_t bad = 0, dn = r->dict_n;
	for (uint32_t i = 0; i < n; i++)
		bad |= r->idx[i] >= dn;
	if (bad)
		return corrupt("dictionary index out of range");
	return ERR_OK;
}

static int ensure_validity(struct colvec *v)
{
	if (v->validity)
		return ERR_OK;
	size_t nb = ((size_t)v->cap + 7) / 8;
	v->validity = mem_calloc(nb ? nb : 1, 1);
	if (!v->validity)
		return ERR_NOMEM;
	set_bits(v->validity, 0, v->len);
	return ERR_OK;
}

static int reserve_bytes(struct colvec *v, uint64_t extra)
{
	uint64_t need = (uint64_t)v->offs[v->len] + extra;
	if (need > MAX_COLUMN_BYTES)
		return err_set(ERR_LIMIT, "parquet: column of a row group over %llu bytes",
		               (unsigned long long)MAX_COLUMN_BYTES);
	void *b = v->bytes;
	int rc = grow(&b, &v->bytes_cap, need ? need : 1, 1);
	v->bytes = b;
	return rc;
}

/* Byte-array values of one page: n rows, present of them non-null (bits in
 * pv, NULL = all), encoding enc over [p, p+len). */
static int decode_bytes(struct parquet_reader *r, struct colvec *v, uint32_t n, uint32_t present,
                        const uint8_t *pv, int32_t enc, const uint8_t *p, size_t len)
{
	uint32_t base = v->len;
	uint32_t *offs = v->offs;
	/* rows compact_page drops next: no bytes copied (empty values) */
	const uint8_t *want = r->pwant_on ? r->pwant : NULL;
	if (enc == PQE_PLAIN) {
		int rc = reserve_bytes(v, len);
		if (rc)
			return rc;
		size_t pos = 0;
		uint32_t cur = offs[base];
		for (uint32_t i = 0; i < n; i++) {
			if (pv && !get_bit(pv, i)) {
				offs[base + i + 1] = cur;
				continue;
			}
			if (len - pos < 4)
				return corrupt("PLAIN byte array truncated");
			uint32_t l = le_get_u32(p + pos);
			pos += 4;
			if (l > len - pos)
				return corrupt("PLAIN byte array truncated");
			if (!want || get_bit(want, i)) {
				memcpy(v->bytes + cur, p + pos, l);
				cur += l;
			}
			pos += l;
			offs[base + i + 1] = cur;
		}
		return ERR_OK;
	}
	if (enc != PQE_RLE_DICTIONARY && enc != PQE_PLAIN_DICTIONARY)
		return err_set(ERR_UNSUPPORTED, "parquet: byte array encoding %d", enc);
	int rc = read_indexes(r, p, len, present);
	if (rc)
		return rc;
	const uint32_t *doff = r->dict_off, *idx = r->idx;
	uint64_t total = 0;
	for (uint32_t k = 0; k < present; k++)
		total += doff[idx[k] + 1] - doff[idx[k]];
	if ((rc = reserve_bytes(v, total)))
		return rc;
	const uint8_t *db = r->dict_bytes.data;
	char *out = v->bytes;
	uint32_t cur = offs[base], k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!pv || get_bit(pv, i)) {
			uint32_t e = idx[k++];
			if (want && !get_bit(want, i))
				goto next;
			uint32_t o = doff[e], l = doff[e + 1] - o;
			mem_copy_short(out + cur, db + o, l);
			cur += l;
		}
	next:
		offs[base + i + 1] = cur;
	}
	return ERR_OK;
}

/* Fixed-width values of one page into v (see decode_bytes). */
static int decode_fixed(struct parquet_reader *r, const struct rcol *col, struct colvec *v,
                        uint32_t n, uint32_t present, const uint8_t *pv, int32_t enc,
                        const uint8_t *p, size_t len)
{
	uint8_t *dst = (uint8_t *)(col->def.type == DT_FLOAT32 || col->def.type == DT_FLOAT64
	                               ? (void *)(v->f64 + v->len)
	                               : (void *)(v->i64 + v->len));
	uint8_t *dense = dst;
	if (pv) {
		void *q = r->dense;
		if (grow(&q, &r->dense_cap, (size_t)(present ? present : 1) * 8, 1))
			return ERR_NOMEM;
		r->dense = dense = q;
	}
	int rc;
	if (enc == PQE_PLAIN) {
		rc = plain_fixed(col, p, len, present, dense);
	} else if (enc == PQE_RLE_DICTIONARY || enc == PQE_PLAIN_DICTIONARY) {
		rc = read_indexes(r, p, len, present);
		if (!rc) {
			const uint64_t *d = r->dict8;
			const uint32_t *idx = r->idx;
			for (uint32_t k = 0; k < present; k++)
				memcpy(dense + 8 * (size_t)k, &d[idx[k]], 8);
		}
	} else {
		rc = err_set(ERR_UNSUPPORTED, "parquet: encoding %d for column %s", enc,
		             col->def.name);
	}
	if (rc || !pv)
		return rc;
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (get_bit(pv, i))
			memcpy(dst + 8 * (size_t)i, dense + 8 * (size_t)k++, 8);
		else
			memset(dst + 8 * (size_t)i, 0, 8);
	}
	return ERR_OK;
}

/* One data page's n rows: levels (NULL for REQUIRED columns) and values. */
static int decode_page(struct parquet_reader *r, const struct rcol *col, struct colvec *v,
                       uint32_t n, const uint8_t *lv, size_t lvlen, int32_t enc, const uint8_t *p,
                       size_t len)
{
	uint32_t present = n;
	const uint8_t *pv = NULL;
	if (col->def.nullable) {
		size_t nb = ((size_t)n + 7) / 8;
		void *q = r->pvalid;
		if (grow(&q, &r->pvalid_cap, nb ? nb : 1, 1))
			return ERR_NOMEM;
		r->pvalid = q;
		memset(r->pvalid, 0, nb);
		int rc = decode_levels(lv, lvlen, n, r->pvalid, &present);
		if (rc)
			return rc;
		if (present < n) {
			pv = r->pvalid;
			if ((rc = ensure_validity(v)))
				return rc;
			for (uint32_t i = 0; i < n; i++)
				if (get_bit(pv, i))
					set_bit(v->validity, (uint64_t)v->len + i);
		} else if (v->validity) {
			set_bits(v->validity, v->len, n);
		}
	}
	int rc = col->phys == PQT_BYTE_ARRAY ? decode_bytes(r, v, n, present, pv, enc, p, len)
	                                     : decode_fixed(r, col, v, n, present, pv, enc, p, len);
	if (rc)
		return rc;
	v->len += n;
	return ERR_OK;
}

/*
 * A data page of n rows (page row 0 = row group row first) of which only
 * the rows in rr[ri..nr) are wanted, decoded straight to those rows:
 * PLAIN fixed-width or dictionary-encoded values of a page without nulls
 * (dictionary indexes are decoded up to the last wanted row only). *done
 * false, nothing appended, for any other page: the caller decodes the
 * whole page and compacts it. v has room for n more rows.
 */
static int decode_partial(struct parquet_reader *r, const struct rcol *col, struct colvec *v,
                          uint32_t n, const uint8_t *lv, size_t lvlen, int32_t enc,
                          const uint8_t *p, size_t len, const struct parquet_row_range *rr,
                          uint32_t ri, uint32_t nr, uint32_t first, bool *done)
{
	*done = false;
	bool dict = enc == PQE_RLE_DICTIONARY || enc == PQE_PLAIN_DICTIONARY;
	uint32_t w = col->phys == PQT_INT32 || col->phys == PQT_FLOAT    ? 4
	             : col->phys == PQT_INT64 || col->phys == PQT_DOUBLE ? 8
	                                                                 : 0;
	if (!(dict && (w || col->phys == PQT_BYTE_ARRAY)) && !(enc == PQE_PLAIN && w))
		return ERR_OK;
	int rc;
	if (col->def.nullable) {
		size_t nb = ((size_t)n + 7) / 8;
		void *q = r->pvalid;
		if (grow(&q, &r->pvalid_cap, nb ? nb : 1, 1))
			return ERR_NOMEM;
		r->pvalid = q;
		memset(r->pvalid, 0, nb);
		uint32_t present = 0;
		if ((rc = decode_levels(lv, lvlen, n, r->pvalid, &present)))
			return rc;
		if (present < n)
			return ERR_OK;
	}
	uint32_t end = first + n, last = 0, kept = 0;
	for (uint32_t k = ri; k < nr && rr[k].from < end; k++) {
		uint32_t a = rr[k].from > first ? rr[k].from : first;
		uint32_t b = rr[k].to < end ? rr[k].to : end;
		if (a < b) {
			last = b - first;
			kept += b - a;
		}
	}
	if (dict && (rc = read_indexes(r, p, len, last)))
		return rc;
	const uint32_t *idx = r->idx;
	uint32_t at = v->len;
	if (col->phys == PQT_BYTE_ARRAY) {
		const uint32_t *doff = r->dict_off;
		uint64_t total = 0;
		for (uint32_t k = ri; k < nr && rr[k].from < end; k++)
			for (uint32_t i = rr[k].from > first ? rr[k].from - first : 0;
			     i < last && i + first < rr[k].to; i++)
				total += doff[idx[i] + 1] - doff[idx[i]];
		if ((rc = reserve_bytes(v, total)))
			return rc;
		const uint8_t *db = r->dict_bytes.data;
		uint32_t *offs = v->offs;
		uint32_t cur = offs[at];
		for (uint32_t k = ri; k < nr && rr[k].from < end; k++)
			for (uint32_t i = rr[k].from > first ? rr[k].from - first : 0;
			     i < last && i + first < rr[k].to; i++) {
				uint32_t o = doff[idx[i]], l = doff[idx[i] + 1] - o;
				mem_copy_short(v->bytes + cur, db + o, l);
				cur += l;
				offs[++at] = cur;
			}
	} else {
		uint8_t *dst = (uint8_t *)(col->def.type == DT_FLOAT32 || col->def.type == DT_FLOAT64
		                               ? (void *)v->f64
		                               : (void *)v->i64);
		for (uint32_t k = ri; k < nr && rr[k].from < end; k++) {
			uint32_t a = rr[k].from > first ? rr[k].from - first : 0;
			uint32_t b = rr[k].to < end ? rr[k].to - first : n;
			if (a >= b)
				continue;
			if (dict) {
				const uint64_t *d = r->dict8;
				for (uint32_t i = a; i < b; i++)
					memcpy(dst + 8 * (size_t)at++, &d[idx[i]], 8);
				continue;
			}
			size_t skip = (size_t)a * w;
			if (skip > len)
				return corrupt("PLAIN values truncated");
			if (w == 8 && b - a <= 4) {
				/* a few 8-byte values (rows a predicate picked
				 * here and there): fixed-size moves, no memcpy call */
				if ((size_t)(b - a) * 8 > len - skip)
					return corrupt("PLAIN values truncated");
				for (uint32_t i = a; i < b; i++)
					memcpy(dst + 8 * (size_t)at++, p + 8 * (size_t)i, 8);
				continue;
			}
			if ((rc = plain_fixed(col, p + skip, len - skip, b - a, dst + 8 * (size_t)at)))
				return rc;
			at += b - a;
		}
	}
	if (at - v->len != kept)
		return err_set(ERR_INTERNAL, "parquet: %u of %u wanted rows decoded", at - v->len,
		               kept);
	if (v->validity)
		set_bits(v->validity, v->len, kept);
	v->len = at;
	*done = true;
	return ERR_OK;
}

struct page_hdr {
	int32_t type, unc, comp;
	bool has_data, has_dict, has_v2;
	int32_t nvals, enc, def_enc;
	int32_t v2_nulls, v2_def_len, v2_rep_len;
	bool v2_compressed;
	/* v1 page statistics (max_value / min_value), NULL when absent */
	const uint8_t *smin, *smax;
	uint32_t smin_n, smax_n;
};

static void parse_page_stats(struct tcr *t, struct page_hdr *h)
{
	int16_t id;
	uint8_t ty;
	tcr_struct_begin(t);
	while (tcr_field(t, &id, &ty)) {
		if (id == 5)
			h->smax = tcr_binary(t, ty, &h->smax_n);
		else if (id == 6)
			h->smin = tcr_binary(t, ty, &h->smin_n);
		else
			tcr_skip(t, ty);
	}
}

static int parse_page_header(const uint8_t *p, size_t len, struct page_hdr *h, size_t *hlen)
{
	struct tcr t;
	int16_t id, id2;
	uint8_t ty, ty2;
	unsigned seen = 0;
	memset(h, 0, sizeof(*h));
	h->def_enc = PQE_RLE;
	h->v2_compressed = true;
	tcr_init(&t, p, len);
	tcr_struct_begin(&t);
	while (tcr_field(&t, &id, &ty)) {
		switch (id) {
		case 1:
			h->type = tcr_i32(&t, ty);
			seen |= 1;
			break;
		case 2:
			h->unc = tcr_i32(&t, ty);
			seen |= 2;
			break;
		case 3:
			h->comp = tcr_i32(&t, ty);
			seen |= 4;
			break;
		case 5:
		case 7:
		case 8:
			if (ty != TC_STRUCT) {
				tcr_fail(&t, "page header member is not a struct");
				break;
			}
			if (id == 5)
				h->has_data = true;
			else if (id == 7)
				h->has_dict = true;
			else
				h->has_v2 = true;
			tcr_struct_begin(&t);
			while (tcr_field(&t, &id2, &ty2)) {
				if (id2 == 1)
					h->nvals = tcr_i32(&t, ty2);
				else if (id == 8 && id2 == 2)
					h->v2_nulls = tcr_i32(&t, ty2);
				else if ((id != 8 && id2 == 2) || (id == 8 && id2 == 4))
					h->enc = tcr_i32(&t, ty2);
				else if (id == 5 && id2 == 3)
					h->def_enc = tcr_i32(&t, ty2);
				else if (id == 5 && id2 == 5 && ty2 == TC_STRUCT)
					parse_page_stats(&t, h);
				else if (id == 8 && id2 == 5)
					h->v2_def_len = tcr_i32(&t, ty2);
				else if (id == 8 && id2 == 6)
					h->v2_rep_len = tcr_i32(&t, ty2);
				else if (id == 8 && id2 == 7)
					h->v2_compressed = tcr_bool(&t, ty2);
				else
					tcr_skip(&t, ty2);
			}
			break;
		default:
			tcr_skip(&t, ty);
			break;
		}
	}
	if (t.err)
		return err_set(ERR_CORRUPT, "parquet: corrupt page header: %s", t.what);
	if (seen != 7 || h->unc < 0 || h->comp < 0)
		return corrupt("page header lacks sizes");
	*hlen = tcr_offset(&t, p);
	return ERR_OK;
}

/* Of the n rows just appended to v at base (page rows [first, first+n)),
 * keep those inside ranges[ri..nr), moved down in order; v->len becomes
 * base + kept. Validity bits past the new length are cleared (decoding
 * sets only the bits of present values). */
static void compact_page(struct colvec *v, uint32_t base, uint32_t n, uint32_t first,
                         const struct parquet_row_range *rr, uint32_t ri, uint32_t nr)
{
	uint32_t dst = base, end = first + n;
	bool bytes = dtype_phys(v->type) == PHYS_BYTES;
	bool flt = v->type == DT_FLOAT32 || v->type == DT_FLOAT64;
	for (; ri < nr && rr[ri].from < end; ri++) {
		uint32_t a = rr[ri].from > first ? rr[ri].from : first;
		uint32_t b = rr[ri].to < end ? rr[ri].to : end;
		if (a >= b)
			continue;
		uint32_t src = base + (a - first), k = b - a;
		if (src != dst) {
			if (bytes) {
				uint32_t s0 = v->offs[src], d0 = v->offs[dst];
				uint32_t nb = v->offs[src + k] - s0;
				if (nb)
					memmove(v->bytes + d0, v->bytes + s0, nb);
				for (uint32_t i = 0; i < k; i++)
					v->offs[dst + i + 1] = d0 + (v->offs[src + i + 1] - s0);
			} else if (flt) {
				memmove(v->f64 + dst, v->f64 + src, (size_t)k * sizeof(double));
			} else {
				memmove(v->i64 + dst, v->i64 + src, (size_t)k * sizeof(int64_t));
			}
			if (v->validity)
				for (uint32_t i = 0; i < k; i++) {
					if (get_bit(v->validity, (uint64_t)src + i))
						set_bit(v->validity, (uint64_t)dst + i);
					else
						v->validity[(dst + i) >> 3] &=
						    (uint8_t)~(1u << ((dst + i) & 7));
				}
		}
		dst += k;
	}
	if (v->validity)
		for (uint32_t i = dst; i < base + n; i++)
			v->validity[i >> 3] &= (uint8_t)~(1u << (i & 7));
	v->len = dst;
}

static int walk_pages(struct parquet_reader *r, uint32_t rg, uint32_t col,
                      const struct parquet_page_info **pages, uint32_t *npages, struct cindex *ix);

/* The page index of chunk (g, c), built on first use; NULL for a reader
 * over ranged reads, or when the walk fails (the caller's own walk then
 * reports the error) or runs out of memory. */
static const struct cindex *chunk_index(struct parquet_reader *r, uint32_t g, uint32_t c)
{
	if (!r->mem || g >= r->nrg || c >= r->ncols)
		return NULL;
	if (!r->cidx) {
		r->cidx = mem_calloc((size_t)r->nrg * r->ncols, sizeof(*r->cidx));
		if (!r->cidx)
			return NULL;
	}
	struct cindex *ix = &r->cidx[(size_t)g * r->ncols + c];
	if (ix->built)
		return ix;
	if (ix->failed)
		return NULL;
	const struct parquet_page_info *pg = NULL;
	uint32_t n = 0;
	int rc = walk_pages(r, g, c, &pg, &n, ix);
	if (rc == ERR_OK && n) {
		ix->info = mem_dup(pg, (size_t)n * sizeof(*pg));
		if (!ix->info)
			rc = ERR_NOMEM;
	}
	if (rc) {
		err_clear();
		mem_free(ix->hdr_pos);
		mem_free(ix->end_pos);
		mem_free(ix->hdrs);
		mem_free(ix->info);
		memset(ix, 0, sizeof(*ix));
		ix->failed = true;
		return NULL;
	}
	ix->n = n;
	ix->built = true;
	return ix;
}

/* Decode column c of row group g into v: all rows (rr NULL), or only the
 * rows in rr[0..nr) (sorted, disjoint), skipping pages outside them. v has
 * room reserved for the rows asked for; each decoded page reserves its
 * own room. With ids, the dictionary indexes of the rows go to ids
 * (v->len counts them, v holds no values); a page that is not
 * dictionary-encoded, or a nullable column, is ERR_UNSUPPORTED. */
int pq_read_chunk(struct parquet_reader *r, uint32_t g, uint32_t c, struct colvec *v,
                  const struct parquet_row_range *rr, uint32_t nr, uint32_t *ids)
{
	const struct rgroup *rg = &r->rgs[g];
	const struct rchunk *ch = &rg->chunks[c];
	const struct rcol *col = &r->cols[c];
	uint32_t rows = (uint32_t)rg->num_rows;
	uint32_t end = rr ? (nr ? rr[nr - 1].to : 0) : rows;
	const uint8_t *p;
	uint8_t *owned;
	uint64_t len = (uint64_t)ch->total_comp;
	/* a page index lets unwanted pages be stepped over (memory readers) */
	const struct cindex *ci = rr ? chunk_index(r, g, c) : NULL;
	/* row-range reads go through the page cache; whole row groups (the
	 * decoded column cache's fill, compaction) do not */
	bool cache = rr != NULL && r->mem != NULL;
	uint32_t dk = 0; /* data pages passed */
	int rc = pq_get_range(r, ch->start, len, &p, &owned);
	if (rc)
		return rc;
	r->has_dict = false;
	r->dict_n = 0;
	/* a dictionary page seen but not decoded yet */
	const uint8_t *dict_body = NULL;
	struct page_hdr dict_h;
	memset(&dict_h, 0, sizeof(dict_h));
	uint64_t pos = 0;
	uint32_t consumed = 0, ri = 0;
	while (consumed < end) {
		if (pos >= len) {
			rc = err_set(ERR_CORRUPT,
			             "parquet: column chunk ends after %u of %u values", consumed,
			             rows);
			break;
		}
		struct page_hdr h;
		size_t hl = 0;
		bool known = false;
		if (ci && dk < ci->n && ci->hdr_pos[dk] == pos && ci->info[dk].first_row == consumed) {
			/* a data page known from the index: skip it unread when it
			 * holds no wanted row, else take its header as parsed then
			 * (it was checked when indexed) */
			uint32_t pr = ci->info[dk].rows;
			while (ri < nr && rr[ri].to <= consumed)
				ri++;
			if (ri == nr || rr[ri].from >= consumed + pr) {
				/* and every following page that ends before the next
				 * wanted row (binary search: the pages cover the row
				 * group in order, without gaps) */
				uint32_t target = ri == nr ? end : rr[ri].from;
				uint32_t lo = dk + 1, hi = ci->n;
				while (lo < hi) {
					uint32_t mid = lo + (hi - lo) / 2;
					if (ci->info[mid].first_row + ci->info[mid].rows <= target)
						lo = mid + 1;
					else
						hi = mid;
				}
				consumed = ci->info[lo - 1].first_row + ci->info[lo - 1].rows;
				pos = ci->end_pos[lo - 1];
				dk = lo;
				continue;
			}
			h = ((const struct page_hdr *)ci->hdrs)[dk];
			hl = (size_t)(ci->end_pos[dk] - pos - (uint64_t)h.comp);
			known = true;
		}
		if (!known && (rc = parse_page_header(p + pos, (size_t)(len - pos), &h, &hl)))
			break;
		pos += hl;
		if (h.type == PQP_DATA || h.type == PQP_DATA_V2)
			dk++;
		if ((uint64_t)h.comp > len - pos) {
			rc = corrupt("page extends beyond its column chunk");
			break;
		}
		const uint8_t *body = p + pos, *d = NULL;
		pos += (uint64_t)h.comp;
		if (h.type == PQP_DICTIONARY) {
			if (!h.has_dict) {
				rc = corrupt("dictionary page without its header");
				break;
			}
			if (consumed > 0) {
				rc = corrupt("dictionary page after data pages");
				break;
			}
			if (dict_body || r->has_dict) {
				rc = corrupt("second dictionary page in a column chunk");
				break;
			}
			dict_body = body;
			dict_h = h;
			continue;
		}
		if (h.type == PQP_INDEX)
			continue;
		if ((h.type == PQP_DATA && !h.has_data) || (h.type == PQP_DATA_V2 && !h.has_v2) ||
		    (h.type != PQP_DATA && h.type != PQP_DATA_V2)) {
			rc = err_set(ERR_CORRUPT, "parquet: bad page type %d", h.type);
			break;
		}
		if (h.nvals < 0 || (uint32_t)h.nvals > rows - consumed) {
			rc = corrupt("page holds more values than the row group declares");
			break;
		}
		uint32_t n = (uint32_t)h.nvals;
		if (rr) {
			while (ri < nr && rr[ri].to <= consumed)
				ri++;
			if (ri == nr || rr[ri].from >= consumed + n) {
				consumed += n; /* no wanted row here: skip the page */
				continue;
			}
		}
		if (dict_body) {
			if (!(rc = decompress(r, ch->codec, dict_body, (size_t)dict_h.comp,
			                      dict_h.unc, ch->start + (uint64_t)(dict_body - p),
			                      cache, &d)))
				rc = read_dict_page(r, col, dict_h.nvals, dict_h.enc, d,
				                    (size_t)dict_h.unc);
			dict_body = NULL;
			if (rc)
				break;
		}
		const uint8_t *lv = NULL, *vals;
		size_t lvlen = 0, vlen;
		if (h.type == PQP_DATA) {
			if (col->def.nullable && h.def_enc != PQE_RLE) {
				rc = err_set(ERR_UNSUPPORTED,
				             "parquet: definition level encoding %d", h.def_enc);
				break;
			}
			if ((rc = decompress(r, ch->codec, body, (size_t)h.comp, h.unc,
			                     ch->start + (uint64_t)(body - p), cache, &d)))
				break;
			vals = d;
			vlen = (size_t)h.unc;
			if (col->def.nullable) {
				if (vlen < 4 || le_get_u32(d) > vlen - 4) {
					rc = corrupt("definition levels beyond the page");
					break;
				}
				lvlen = le_get_u32(d);
				lv = d + 4;
				vals = d + 4 + lvlen;
				vlen -= 4 + lvlen;
			}
		} else {
			int64_t lvl = (int64_t)h.v2_def_len + h.v2_rep_len;
			if (h.v2_def_len < 0 || h.v2_rep_len < 0 || lvl > h.comp || lvl > h.unc) {
				rc = corrupt("v2 page level sizes out of range");
				break;
			}
			if (h.v2_rep_len) {
				rc = corrupt("repetition levels in a flat column");
				break;
			}
			lv = body;
			lvlen = (size_t)h.v2_def_len;
			if (h.v2_compressed) {
				rc = decompress(r, ch->codec, body + lvl, (size_t)(h.comp - lvl),
				                h.unc - lvl, ch->start + (uint64_t)(body + lvl - p),
				                cache, &d);
			} else if (h.comp != h.unc) {
				rc = corrupt("uncompressed v2 page sizes disagree");
			} else {
				d = body + lvl;
			}
			if (rc)
				break;
			vals = d;
			vlen = (size_t)(h.unc - lvl);
		}
		if (ids) {
			if (col->def.nullable ||
			    (h.enc != PQE_RLE_DICTIONARY && h.enc != PQE_PLAIN_DICTIONARY)) {
				rc = err_set(ERR_UNSUPPORTED,
				             "parquet: column %s is not wholly dictionary-encoded",
				             col->def.name);
				break;
			}
			if ((rc = read_indexes(r, vals, vlen, n)))
				break;
			if (!rr) {
				memcpy(ids + v->len, r->idx, (size_t)n * sizeof(uint32_t));
				v->len += n;
			}
			for (uint32_t k = ri; rr && k < nr && rr[k].from < consumed + n; k++) {
				uint32_t a = rr[k].from > consumed ? rr[k].from : consumed;
				uint32_t b = rr[k].to < consumed + n ? rr[k].to : consumed + n;
				if (a < b) {
					memcpy(ids + v->len, r->idx + (a - consumed),
					       (size_t)(b - a) * sizeof(uint32_t));
					v->len += b - a;
				}
			}
			consumed += n;
			continue;
		}
		uint32_t base = v->len;
		if (rr && (rc = colvec_reserve(v, n)))
			break;
		bool partial = rr && (rr[ri].from > consumed || rr[ri].to < consumed + n);
		if (partial) {
			bool done = false;
			if ((rc = decode_partial(r, col, v, n, lv, lvlen, h.enc, vals, vlen, rr, ri,
			                         nr, consumed, &done)))
				break;
			if (done) {
				consumed += n;
				continue;
			}
		}
		if (partial && col->phys == PQT_BYTE_ARRAY) {
			/* copy the bytes of the wanted rows only */
			size_t nb = ((size_t)n + 7) / 8;
			void *q = r->pwant;
			if (grow(&q, &r->pwant_cap, nb ? nb : 1, 1)) {
				rc = ERR_NOMEM;
				break;
			}
			r->pwant = q;
			memset(r->pwant, 0, nb);
			for (uint32_t k = ri; k < nr && rr[k].from < consumed + n; k++) {
				uint32_t a = rr[k].from > consumed ? rr[k].from : consumed;
				uint32_t b = rr[k].to < consumed + n ? rr[k].to : consumed + n;
				if (a < b)
					set_bits(r->pwant, a - consumed, b - a);
			}
			r->pwant_on = true;
		}
		rc = decode_page(r, col, v, n, lv, lvlen, h.enc, vals, vlen);
		r->pwant_on = false;
		if (rc)
			break;
		if (partial)
			compact_page(v, base, n, consumed, rr, ri, nr);
		consumed += n;
	}
	mem_free(owned);
	unpin_page(r);
	if (rc || ids)
		return rc;
	if (col->ts_s)
		for (uint32_t i = 0; i < v->len; i++)
			v->i64[i] /= 1000;
	return ERR_OK;
}

int parquet_column_pages(struct parquet_reader *r, uint32_t rg, uint32_t col,
                         const struct parquet_page_info **pages, uint32_t *npages)
{
	*pages = NULL;
	*npages = 0;
	if (rg >= r->nrg || col >= r->ncols)
		return err_set(ERR_BAD_INPUT, "parquet: no column chunk %u/%u", rg, col);
	const struct cindex *ci = chunk_index(r, rg, col);
	if (ci) {
		*pages = ci->info;
		*npages = ci->n;
		return ERR_OK;
	}
	return walk_pages(r, rg, col, pages, npages, NULL);
}

/* parquet_column_pages by walking the chunk's page headers, into
 * r->pages; with ix (memory readers) also each data page's header and
 * body end offsets (ix->hdr_pos / end_pos, grown as needed). */
static int walk_pages(struct parquet_reader *r, uint32_t rg, uint32_t col,
                      const struct parquet_page_info **pages, uint32_t *npages, struct cindex *ix)
{
	const struct rchunk *ch = &r->rgs[rg].chunks[col];
	const struct rcol *rc_col = &r->cols[col];
	uint32_t rows = (uint32_t)r->rgs[rg].num_rows;
	const uint8_t *p;
	uint8_t *owned;
	uint64_t len = (uint64_t)ch->total_comp, pos = 0;
	int rc = pq_get_range(r, ch->start, len, &p, &owned);
	uint32_t n = 0, consumed = 0;
	size_t cap_h = 0, cap_e = 0, cap_p = 0;
	buf_reset(&r->page_stat_bytes);
	while (!rc && consumed < rows) {
		if (pos >= len) {
			rc = err_set(ERR_CORRUPT,
			             "parquet: column chunk ends after %u of %u values", consumed,
			             rows);
			break;
		}
		struct page_hdr h;
		size_t hl = 0;
		uint64_t at = pos;
		if ((rc = parse_page_header(p + pos, (size_t)(len - pos), &h, &hl)))
			break;
		pos += hl;
		if ((uint64_t)h.comp > len - pos) {
			rc = corrupt("page extends beyond its column chunk");
			break;
		}
		pos += (uint64_t)h.comp;
		if (h.type != PQP_DATA && h.type != PQP_DATA_V2)
			continue;
		if (h.nvals < 0 || (uint32_t)h.nvals > rows - consumed) {
			rc = corrupt("page holds more values than the row group declares");
			break;
		}
		void *q = r->pages;
		if (grow(&q, &r->pages_cap, (size_t)n + 1, sizeof(*r->pages))) {
			rc = ERR_NOMEM;
			break;
		}
		r->pages = q;
		if (ix) {
			void *a = ix->hdr_pos, *b = ix->end_pos, *c = ix->hdrs;
			int g1 = grow(&a, &cap_h, (size_t)n + 1, sizeof(uint64_t));
			ix->hdr_pos = a;
			int g2 = g1 ? g1 : grow(&b, &cap_e, (size_t)n + 1, sizeof(uint64_t));
			ix->end_pos = b;
			int g3 = g1 || g2 ? 1 : grow(&c, &cap_p, (size_t)n + 1, sizeof(struct page_hdr));
			ix->hdrs = c;
			if (g1 || g2 || g3) {
				rc = ERR_NOMEM;
				break;
			}
			ix->hdr_pos[n] = at;
			ix->end_pos[n] = pos;
			((struct page_hdr *)ix->hdrs)[n] = h;
		}
		struct parquet_page_info *pi = &r->pages[n++];
		memset(pi, 0, sizeof(*pi));
		pi->first_row = consumed;
		pi->rows = (uint32_t)h.nvals;
		consumed += pi->rows;
		pi->has_min_max = h.type == PQP_DATA && h.smin && h.smax &&
		                  pq_stat_datum(rc_col, h.smin, h.smin_n, false, &pi->min) &&
		                  pq_stat_datum(rc_col, h.smax, h.smax_n, true, &pi->max);
		if (!pi->has_min_max) {
			memset(&pi->min, 0, sizeof(pi->min));
			memset(&pi->max, 0, sizeof(pi->max));
		} else if (owned && rc_col->phys == PQT_BYTE_ARRAY) {
			/* keep the bounds past the chunk buffer: offsets now, pointers below */
			size_t o1 = r->page_stat_bytes.len;
			if (buf_append(&r->page_stat_bytes, h.smin, h.smin_n) ||
			    buf_append(&r->page_stat_bytes, h.smax, h.smax_n)) {
				rc = ERR_NOMEM;
				break;
			}
			pi->min.v.s.p = (const char *)(uintptr_t)o1;
			pi->max.v.s.p = (const char *)(uintptr_t)(o1 + h.smin_n);
		}
	}
	mem_free(owned);
	if (rc)
		return rc;
	if (owned && rc_col->phys == PQT_BYTE_ARRAY)
		for (uint32_t i = 0; i < n; i++)
			if (r->pages[i].has_min_max) {
				const char *b = (const char *)r->page_stat_bytes.data;
				r->pages[i].min.v.s.p = b + (uintptr_t)r->pages[i].min.v.s.p;
				r->pages[i].max.v.s.p = b + (uintptr_t)r->pages[i].max.v.s.p;
			}
	*pages = r->pages;
	*npages = n;
	return ERR_OK;
}

int parquet_prefetch_pages(struct parquet_reader *r, uint64_t *pages)
{
	*pages = 0;
	if (!r->pc || !r->mem)
		return ERR_OK;
	int rc = ERR_OK;
	for (uint32_t g = 0; g < r->nrg && !rc; g++)
		for (uint32_t c = 0; c < r->ncols && !rc; c++) {
			const struct rchunk *ch = &r->rgs[g].chunks[c];
			if (ch->codec != PQ_ZSTD)
				continue;
			const uint8_t *p = r->mem + ch->start;
			uint64_t len = (uint64_t)ch->total_comp, pos = 0;
			if (ch->start > r->size || len > r->size - ch->start)
				return corrupt("byte range beyond the end of the file");
			while (pos < len) {
				struct page_hdr h;
				size_t hl = 0;
				if ((rc = parse_page_header(p + pos, (size_t)(len - pos), &h, &hl)))
					break;
				pos += hl;
				if ((uint64_t)h.comp > len - pos) {
					rc = corrupt("page extends beyond its column chunk");
					break;
				}
				const uint8_t *body = p + pos;
				size_t n = (size_t)h.comp;
				int64_t unc = h.unc;
				pos += (uint64_t)h.comp;
				if (h.type == PQP_DATA_V2) {
					int64_t lvl = (int64_t)h.v2_def_len + h.v2_rep_len;
					if (!h.v2_compressed || h.v2_def_len < 0 || h.v2_rep_len < 0 ||
					    lvl > h.comp || lvl > h.unc)
						continue;
					body += lvl;
					n -= (size_t)lvl;
					unc -= lvl;
				} else if (h.type != PQP_DATA && h.type != PQP_DICTIONARY) {
					continue;
				}
				if (unc < 0 || !page_cache_fits(r->pc, (size_t)unc))
					continue;
				uint64_t off = ch->start + (uint64_t)(body - p);
				size_t got = 0;
				struct page_pin *pin = NULL;
				if (page_cache_get(r->pc, r->pc_owner, off, &got, &pin)) {
					page_cache_unpin(r->pc, pin);
					continue;
				}
				const uint8_t *d;
				if ((rc = decompress(r, ch->codec, body, n, unc, off, true, &d)))
					break;
				unpin_page(r);
				(*pages)++;
			}
		}
	unpin_page(r);
	return rc;
}

int parquet_chunk_layout(struct parquet_reader *r, uint32_t rg, uint32_t col,
                         struct pq_chunk_layout *out)
{
	memset(out, 0, sizeof(*out));
	if (rg >= r->nrg || col >= r->ncols)
		return err_set(ERR_BAD_INPUT, "parquet: no column chunk %u/%u", rg, col);
	const struct rchunk *ch = &r->rgs[rg].chunks[col];
	const uint8_t *p;
	uint8_t *owned;
	uint64_t len = (uint64_t)ch->total_comp, pos = 0;
	int rc = pq_get_range(r, ch->start, len, &p, &owned);
	while (!rc && pos < len) {
		struct page_hdr h;
		size_t hl = 0;
		if ((rc = parse_page_header(p + pos, (size_t)(len - pos), &h, &hl)))
			break;
		pos += hl;
		if ((uint64_t)h.comp > len - pos) {
			rc = corrupt("page extends beyond its column chunk");
			break;
		}
		pos += (uint64_t)h.comp;
		if ((uint32_t)h.unc > out->max_page_bytes)
			out->max_page_bytes = (uint32_t)h.unc;
		if (h.type == PQP_DICTIONARY) {
			out->dict_pages++;
		} else if (h.type == PQP_DATA || h.type == PQP_DATA_V2) {
			out->data_pages++;
			if (h.enc == PQE_PLAIN)
				out->plain_pages++;
			else if (h.enc == PQE_RLE_DICTIONARY || h.enc == PQE_PLAIN_DICTIONARY)
				out->dict_data_pages++;
		}
	}
	mem_free(owned);
	return rc;
}
