/*
 * parquet_write: builds a Parquet file in memory from batches (see
 * parquet.h for the API and the dtype mapping).
 *
 * File layout written:
 *   "PAR1"
 *   for each row group, for each column (schema order), one column chunk:
 *     [dictionary page]   PageHeader{type DICTIONARY_PAGE, sizes,
 *                         dictionary_page_header{num_values, PLAIN}} +
 *                         compressed PLAIN values of the dictionary
 *     data page*          PageHeader{type DATA_PAGE, sizes,
 *                         data_page_header{num_values (rows, nulls
 *                         included), encoding, RLE, RLE, statistics}} +
 *                         compressed body
 *   Page statistics (DataPageHeader field 5, a Statistics struct with
 *   null_count (3), max_value (5), min_value (6), PLAIN-encoded like the
 *   chunk statistics) are written for INT32 / INT64 / BYTE_ARRAY pages that
 *   hold a non-null value, unless no_page_stats; readers use them to skip
 *   pages (a page index kept in the page headers). Order: signed for signed
 *   integers, unsigned for UINT types, bytewise for byte arrays; left out
 *   when a bound is longer than 4 KiB.
 *   FileMetaData (thrift compact): version 1, schema (root "schema" with
 *     num_children, then one leaf per column: type, repetition, name,
 *     converted_type, logicalType), num_rows, row_groups (ColumnChunk
 *     file_offset 0 + ColumnMetaData with encodings, path, codec,
 *     num_values, total sizes, data_page_offset, dictionary_page_offset,
 *     statistics{null_count, max_value, min_value, exact flags, nan_count}),
 *     key_value_metadata, created_by "strata", column_orders (TYPE_ORDER)
 *   u32 LE length of FileMetaData, "PAR1"
 *
 * Data page v1 body (before compression):
 *   OPTIONAL columns: u32 LE byte length + definition levels (RLE/bit-packed
 *     hybrid, bit width 1; 1 = value present)
 *   values of the non-null rows:
 *     PLAIN: INT32/INT64/FLOAT/DOUBLE little-endian, BOOLEAN bit-packed LSB
 *       first, BYTE_ARRAY u32 LE length + bytes
 *     RLE_DICTIONARY: one byte bit width + hybrid-encoded dictionary indexes
 * RLE/bit-packed hybrid: runs of varint header; header & 1 = bit-packed run
 *   of (header >> 1) groups of 8 values, LSB first; else RLE run of
 *   (header >> 1) copies of one value stored in ceil(width/8) LE bytes.
 *
 * Invariants: a dictionary column chunk starts dictionary-encoded; when the
 * dictionary passes dict_max_entries / dict_max_bytes the current page is
 * finished and the rest of the chunk is PLAIN (the dictionary page still
 * holds the entries used so far). Each row group gets a fresh dictionary.
 * Pages that hold no non-null value are PLAIN. Statistics exclude nulls and
 * NaNs; floating-point zero bounds are written as -0.0 (min) and +0.0
 * (max); min/max are left out when either is longer than 4 KiB.
 * TS_S values are stored as milliseconds (x 1000, overflow -> BAD_INPUT).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "base/err.h"
#include "base/mem.h"
#include "storage/parquet.h"
#include "storage/parquet_int.h"

#define CHUNK_ROWS      4096u      /* values appended between page-full checks */
#define PAGE_MAX_ROWS   (1u << 20) /* rows per data page, whatever their size */
#define MAX_RG_ROWS     (1u << 26) /* the reader's limit too */
#define STATS_MAX_BYTES 4096u

struct dict {
	uint32_t *slots; /* entry index + 1; 0 = empty */
	uint32_t nslots; /* power of two */
	uint32_t n;
	uint32_t *hash;  /* per entry */
	uint64_t *fixed; /* fixed-width entries: the PLAIN bit pattern */
	uint32_t *off;   /* byte-array entries: offset of the bytes in plain */
	uint32_t *len;
	size_t cap;       /* entries allocated in hash/fixed/off/len */
	struct buf plain; /* byte arrays: PLAIN encoding of the entries */
	uint32_t last;    /* entry index of the previous value, for runs */
	bool has_last;
};

struct colw {
	struct parquet_column_def def;
	struct pq_typeinfo ti;
	uint32_t width; /* PLAIN width of fixed-width types */
	bool use_dict;  /* dictionary requested and allowed for the type */
	/* current page */
	bool dict_on; /* values go to idx (else to vals) */
	uint32_t page_rows;
	uint32_t page_nulls;
	uint32_t page_vals; /* non-null values */
	struct buf valid;   /* page validity bits (nullable columns) */
	struct buf vals;    /* PLAIN values */
	uint32_t *idx;      /* dictionary indexes */
	size_t idx_cap;
	/* current column chunk */
	struct buf chunk;  /* finished data pages (header + body) */
	int64_t chunk_unc; /* uncompressed bytes incl. headers */
	uint32_t dict_pages, plain_pages;
	struct dict dict;
	/* statistics of the chunk */
	bool st_any;
	int64_t st_imin, st_imax;
	double st_fmin, st_fmax;
	struct buf st_smin, st_smax;
	uint64_t st_nulls, st_nans;
};

struct parquet_writer {
	struct parquet_write_options opt;
	uint32_t ncols;
	struct colw *cols;
	struct buf file;
	struct buf rgmeta; /* serialized RowGroup structs */
	uint32_t nrg;
	uint32_t rg_rows;
	uint64_t rows;
	char **kv_keys, **kv_vals;
	uint32_t nkv;
	ZSTD_CCtx *cctx;
	struct buf page; /* scratch: uncompressed page body */
	struct buf comp; /* scratch: compressed page body */
	struct buf hdr;  /* scratch: page header */
	struct buf pmin, pmax; /* scratch: page statistics (PLAIN values) */
	bool page_has_stats;
	uint32_t *tmp;   /* scratch: levels for the hybrid encoder */
	size_t tmp_cap;
	int failed; /* sticky error code */
	bool finished;
	/* page_break_col: the value of the last row written (brk_has) */
	struct buf brk_prev;
	bool brk_has, brk_null;
};

/* ---- small helpers ---- */

static inline void bit_set(uint8_t *bm, uint64_t i)
{
	bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static int grow_u32(uint32_t **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return ERR_OK;
	void *q = *p;
	int rc = mem_grow(&q, cap, need, sizeof(uint32_t));
	*p = q;
	return rc;
}

/* The dictionary builder's hashes: cheaper than base/hash.h's (one multiply
 * per word, no finaliser), because a flush hashes every value of every
 * dictionary column; the table needs only 32 well-mixed low bits. */
static uint32_t dict_hash_bytes(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
	while (n >= 8) {
		uint64_t x;
		memcpy(&x, s, 8);
		h = (h ^ x) * 0xc4ceb9fe1a85ec53ull;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	uint64_t x = 0;
	if (n)
		memcpy(&x, s, n);
	h = (h ^ x) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

static inline uint32_t dict_hash_u64(uint64_t x)
{
	x *= 0x9E3779B97F4A7C15ull;
	return (uint32_t)(x >> 32);
}

/*
 * Append the RLE/bit-packed hybrid encoding of v[0..n) (each < 2^bw) to
 * out: runs of 8 or more equal values become RLE runs, the rest goes into
 * bit-packed runs of groups of 8 (only the very last group is padded).
 */
static int rle_encode(struct buf *out, const uint32_t *v, uint32_t n, int bw)
{
	uint32_t vbytes = ((uint32_t)bw + 7) / 8;
	uint32_t i = 0, gstart = 0, ngroups = 0;
	while (i < n || ngroups) {
		uint32_t r = 0;
		if (i < n) {
			r = 1;
			while (i + r < n && v[i + r] == v[i])
				r++;
		}
		if (i < n && r < 8) {
			if (!ngroups)
				gstart = i;
			ngroups++;
			i += 8;
			if (i < n)
				continue;
		}
		if (ngroups) { /* flush pending bit-packed groups */
			if (buf_put_uvarint(out, (uint64_t)ngroups << 1 | 1) ||
			    buf_reserve(out, (size_t)ngroups * (uint32_t)bw))
				return ERR_NOMEM;
			uint64_t acc = 0;
			int nbits = 0;
			for (uint32_t k = 0; k < ngroups * 8; k++) {
				uint64_t x = gstart + k < n ? v[gstart + k] : 0;
				acc |= x << nbits;
				nbits += bw;
				while (nbits >= 8) {
					out->data[out->len++] = (uint8_t)acc;
					acc >>= 8;
					nbits -= 8;
				}
			}
			ngroups = 0;
		}
		if (i < n && r >= 8) {
			uint8_t t[4];
			le_put_u32(t, v[i]);
			if (buf_put_uvarint(out, (uint64_t)r << 1) || buf_append(out, t, vbytes))
				return ERR_NOMEM;
			i += r;
		}
	}
	return ERR_OK;
}

/* ---- statistics ---- */

static void stat_int(struct colw *c, int64_t x)
{
	if (!c->st_any) {
		c->st_imin = c->st_imax = x;
		c->st_any = true;
	} else if (c->def.type == DT_UINT64) {
		if ((uint64_t)x < (uint64_t)c->st_imin)
			c->st_imin = x;
		if ((uint64_t)x > (uint64_t)c->st_imax)
			c->st_imax = x;
	} else {
		if (x < c->st_imin)
			c->st_imin = x;
		if (x > c->st_imax)
			c->st_imax = x;
	}
}

static void stat_f64(struct colw *c, double x)
{
	if (isnan(x)) {
		c->st_nans++;
		return;
	}
	if (!c->st_any) {
		c->st_fmin = c->st_fmax = x;
		c->st_any = true;
		return;
	}
	if (x < c->st_fmin)
		c->st_fmin = x;
	if (x > c->st_fmax)
		c->st_fmax = x;
}

static int bytes_cmp(const void *a, size_t na, const struct buf *b)
{
	size_t m = na < b->len ? na : b->len;
	int r = m ? memcmp(a, b->data, m) : 0;
	return r ? r : (na < b->len ? -1 : na > b->len);
}

static int stat_bytes(struct colw *c, const void *p, size_t n)
{
	if (!c->st_any) {
		c->st_any = true;
		buf_reset(&c->st_smin);
		buf_reset(&c->st_smax);
		if (buf_append(&c->st_smin, p, n) || buf_append(&c->st_smax, p, n))
			return ERR_NOMEM;
		return ERR_OK;
	}
	if (bytes_cmp(p, n, &c->st_smin) < 0) {
		buf_reset(&c->st_smin);
		if (buf_append(&c->st_smin, p, n))
			return ERR_NOMEM;
	}
	if (bytes_cmp(p, n, &c->st_smax) > 0) {
		buf_reset(&c->st_smax);
		if (buf_append(&c->st_smax, p, n))
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/* Stats over a run of fixed-width values in PLAIN form (no nulls). */
static void stat_plain_run(struct colw *c, const uint8_t *p, uint32_t n)
{
	if (n == 0)
		return;
	switch (c->ti.phys) {
	case PQT_INT32:
		for (uint32_t i = 0; i < n; i++) {
			int32_t x;
			memcpy(&x, p + 4 * i, 4);
			stat_int(c, c->ti.int_signed ? (int64_t)x : (int64_t)(uint32_t)x);
		}
		break;
	case PQT_INT64: {
		if (c->def.type == DT_UINT64) {
			for (uint32_t i = 0; i < n; i++) {
				int64_t x;
				memcpy(&x, p + 8 * i, 8);
				stat_int(c, x);
			}
			break;
		}
		const int64_t *x = (const int64_t *)(const void *)p;
		int64_t lo, hi;
		uint32_t i = 0;
		if (!c->st_any) {
			memcpy(&lo, p, 8);
			hi = lo;
			c->st_any = true;
		} else {
			lo = c->st_imin;
			hi = c->st_imax;
		}
		for (; i < n; i++) {
			int64_t y;
			memcpy(&y, x + i, 8);
			lo = y < lo ? y : lo;
			hi = y > hi ? y : hi;
		}
		c->st_imin = lo;
		c->st_imax = hi;
		break;
	}
	case PQT_FLOAT:
		for (uint32_t i = 0; i < n; i++) {
			float f;
			memcpy(&f, p + 4 * i, 4);
			stat_f64(c, f);
		}
		break;
	case PQT_DOUBLE:
		for (uint32_t i = 0; i < n; i++) {
			double d;
			memcpy(&d, p + 8 * i, 8);
			stat_f64(c, d);
		}
		break;
	default:
		break;
	}
}

/* ---- values ---- */

/* The PLAIN bit pattern of value i of v as this column stores it. */
static inline int plain_bits(const struct colw *c, const struct colvec *v, uint32_t i,
                             uint64_t *out)
{
	switch (c->ti.phys) {
	case PQT_BOOLEAN:
		*out = v->i64[i] != 0;
		return ERR_OK;
	case PQT_INT32:
		*out = (uint32_t)(int32_t)v->i64[i];
		return ERR_OK;
	case PQT_INT64: {
		int64_t x = v->i64[i];
		if (c->def.type == DT_TS_S && __builtin_mul_overflow(x, (int64_t)1000, &x))
			return err_set(ERR_BAD_INPUT,
			               "parquet: column %s: timestamp %lld s overflows ms",
			               c->def.name, (long long)v->i64[i]);
		*out = (uint64_t)x;
		return ERR_OK;
	}
	case PQT_FLOAT: {
		float f = (float)v->f64[i];
		uint32_t b;
		memcpy(&b, &f, 4);
		*out = b;
		return ERR_OK;
	}
	case PQT_DOUBLE:
		memcpy(out, &v->f64[i], 8);
		return ERR_OK;
	default:
		*out = 0;
		return ERR_OK;
	}
}

static void stat_bits(struct colw *c, uint64_t b)
{
	switch (c->ti.phys) {
	case PQT_BOOLEAN:
		stat_int(c, (int64_t)b);
		break;
	case PQT_INT32:
		stat_int(c,
		         c->ti.int_signed ? (int64_t)(int32_t)(uint32_t)b : (int64_t)(uint32_t)b);
		break;
	case PQT_INT64:
		stat_int(c, (int64_t)b);
		break;
	case PQT_FLOAT: {
		float f;
		uint32_t u = (uint32_t)b;
		memcpy(&f, &u, 4);
		stat_f64(c, f);
		break;
	}
	case PQT_DOUBLE: {
		double d;
		memcpy(&d, &b, 8);
		stat_f64(c, d);
		break;
	}
	default:
		break;
	}
}

/* Record validity of rows [from, from+n) of v in the page bitmap. */
static int page_validity(struct colw *c, const struct colvec *v, uint32_t from, uint32_t n)
{
	if (!c->def.nullable)
		return ERR_OK;
	size_t need = ((size_t)c->page_rows + n + 7) / 8;
	if (need > c->valid.len) {
		if (buf_reserve(&c->valid, need - c->valid.len))
			return ERR_NOMEM;
		memset(c->valid.data + c->valid.len, 0, need - c->valid.len);
		c->valid.len = need;
	}
	uint8_t *bm = c->valid.data;
	for (uint32_t k = 0; k < n; k++) {
		if (colvec_is_null(v, from + k)) {
			c->page_nulls++;
			c->st_nulls++;
		} else {
			bit_set(bm, (uint64_t)c->page_rows + k);
		}
	}
	return ERR_OK;
}

/* PLAIN-append rows [from, from+n) of v; *done = rows consumed (byte
 * arrays stop once the page is full). */
static int append_plain(const struct parquet_writer *w, struct colw *c, const struct colvec *v,
                        uint32_t from, uint32_t n, uint32_t *done)
{
	bool nonull = v->validity == NULL;
	*done = n;
	if (c->ti.phys == PQT_BYTE_ARRAY) {
		for (uint32_t k = 0; k < n; k++) {
			uint32_t i = from + k, len;
			if (!nonull && colvec_is_null(v, i))
				continue;
			const char *s = colvec_bytes(v, i, &len);
			if (buf_put_u32le(&c->vals, len) || buf_append(&c->vals, s, len) ||
			    stat_bytes(c, s, len))
				return ERR_NOMEM;
			c->page_vals++;
			if (c->vals.len >= w->opt.page_bytes) {
				*done = k + 1;
				break;
			}
		}
		return ERR_OK;
	}
	if (c->ti.phys == PQT_BOOLEAN) {
		for (uint32_t k = 0; k < n; k++) {
			uint32_t i = from + k;
			if (!nonull && colvec_is_null(v, i))
				continue;
			size_t need = ((size_t)c->page_vals + 8) / 8;
			if (c->vals.len < need) {
				if (buf_putc(&c->vals, 0))
					return ERR_NOMEM;
			}
			if (v->i64[i])
				bit_set(c->vals.data, c->page_vals);
			stat_int(c, v->i64[i] != 0);
			c->page_vals++;
		}
		return ERR_OK;
	}
	/* fixed width */
	uint32_t wd = c->width;
	if (buf_reserve(&c->vals, (size_t)n * wd))
		return ERR_NOMEM;
	uint8_t *dst = c->vals.data + c->vals.len;
	uint32_t m = 0;
	if (nonull && c->def.type != DT_TS_S &&
	    (c->ti.phys == PQT_INT64 || c->ti.phys == PQT_DOUBLE)) {
		memcpy(dst,
		       c->ti.phys == PQT_INT64 ? (const void *)(v->i64 + from)
		                               : (const void *)(v->f64 + from),
		       (size_t)n * 8);
		m = n;
	} else {
		for (uint32_t k = 0; k < n; k++) {
			uint32_t i = from + k;
			if (!nonull && colvec_is_null(v, i))
				continue;
			uint64_t b;
			int rc = plain_bits(c, v, i, &b);
			if (rc)
				return rc;
			memcpy(dst + (size_t)m * wd, &b, wd);
			m++;
		}
	}
	stat_plain_run(c, dst, m);
	c->vals.len += (size_t)m * wd;
	c->page_vals += m;
	return ERR_OK;
}

static int dict_grow(struct dict *d, bool bytes)
{
	size_t cap = d->cap;
	void *p = d->hash;
	size_t need = (size_t)d->n + 1;
	if (mem_grow(&p, &cap, need, sizeof(uint32_t)))
		return ERR_NOMEM;
	d->hash = p;
	if (bytes) {
		size_t c2 = d->cap;
		p = d->off;
		if (mem_grow(&p, &c2, need, sizeof(uint32_t)))
			return ERR_NOMEM;
		d->off = p;
		c2 = d->cap;
		p = d->len;
		if (mem_grow(&p, &c2, need, sizeof(uint32_t)))
			return ERR_NOMEM;
		d->len = p;
	} else {
		size_t c2 = d->cap;
		p = d->fixed;
		if (mem_grow(&p, &c2, need, sizeof(uint64_t)))
			return ERR_NOMEM;
		d->fixed = p;
	}
	d->cap = cap;
	return ERR_OK;
}

static int dict_rehash(struct dict *d)
{
	uint32_t ns = d->nslots ? d->nslots * 2 : 1024;
	uint32_t *s = mem_calloc(ns, sizeof(uint32_t));
	if (!s)
		return ERR_NOMEM;
	for (uint32_t e = 0; e < d->n; e++) {
		uint32_t j = d->hash[e] & (ns - 1);
		while (s[j])
			j = (j + 1) & (ns - 1);
		s[j] = e + 1;
	}
	mem_free(d->slots);
	d->slots = s;
	d->nslots = ns;
	return ERR_OK;
}

/* Find or add an entry; *full = true (and nothing added) when adding it
 * would pass the dictionary limits. */
static int dict_put(struct parquet_writer *w, struct colw *c, uint64_t bits, const void *p,
                    uint32_t len, uint32_t *idx, bool *full)
{
	struct dict *d = &c->dict;
	bool bytes = c->ti.phys == PQT_BYTE_ARRAY;
	*full = false;
	if (d->has_last) {
		uint32_t e = d->last;
		if (bytes ? (d->len[e] == len && (len == 0 || memcmp(d->plain.data + d->off[e], p, len) == 0))
		          : d->fixed[e] == bits) {
			*idx = e;
			return ERR_OK;
		}
	}
	if (!d->nslots && dict_rehash(d))
		return ERR_NOMEM;
	uint32_t h = bytes ? dict_hash_bytes(p, len) : dict_hash_u64(bits);
	uint32_t j = h & (d->nslots - 1);
	for (;;) {
		uint32_t s = d->slots[j];
		if (!s)
			break;
		uint32_t e = s - 1;
		if (d->hash[e] == h &&
		    (bytes ? (d->len[e] == len && (len == 0 || memcmp(d->plain.data + d->off[e], p, len) == 0))
		           : d->fixed[e] == bits)) {
			*idx = e;
			d->last = e;
			d->has_last = true;
			return ERR_OK;
		}
		j = (j + 1) & (d->nslots - 1);
	}
	if (d->n >= w->opt.dict_max_entries ||
	    (bytes ? d->plain.len + 4 + (size_t)len : (size_t)(d->n + 1) * c->width) >
	        w->opt.dict_max_bytes) {
		*full = true;
		return ERR_OK;
	}
	if (d->n == d->cap && dict_grow(d, bytes))
		return ERR_NOMEM;
	uint32_t e = d->n;
	d->hash[e] = h;
	if (bytes) {
		if (buf_put_u32le(&d->plain, len))
			return ERR_NOMEM;
		d->off[e] = (uint32_t)d->plain.len;
		d->len[e] = len;
		if (buf_append(&d->plain, p, len) || stat_bytes(c, p, len))
			return ERR_NOMEM;
	} else {
		d->fixed[e] = bits;
		stat_bits(c, bits);
	}
	d->slots[j] = e + 1;
	d->n++;
	if ((uint64_t)d->n * 2 > d->nslots && dict_rehash(d))
		return ERR_NOMEM;
	*idx = e;
	d->last = e;
	d->has_last = true;
	return ERR_OK;
}

/* Dictionary-append rows [from, from+n); *done = rows consumed (fewer than
 * n when the dictionary filled up; validity is recorded for those only). */
static int append_dict(struct parquet_writer *w, struct colw *c, const struct colvec *v,
                       uint32_t from, uint32_t n, uint32_t *done)
{
	*done = 0;
	if (grow_u32(&c->idx, &c->idx_cap, (size_t)c->page_vals + n))
		return ERR_NOMEM;
	uint32_t k;
	for (k = 0; k < n; k++) {
		uint32_t i = from + k, e;
		if (colvec_is_null(v, i))
			continue;
		bool full;
		int rc;
		if (c->ti.phys == PQT_BYTE_ARRAY) {
			uint32_t len;
			const char *s = colvec_bytes(v, i, &len);
			rc = dict_put(w, c, 0, s, len, &e, &full);
		} else {
			uint64_t b = 0;
			rc = plain_bits(c, v, i, &b);
			if (!rc)
				rc = dict_put(w, c, b, NULL, 0, &e, &full);
		}
		if (rc)
			return rc;
		if (full)
			break;
		c->idx[c->page_vals++] = e;
	}
	*done = k;
	return page_validity(c, v, from, k);
}

/* ---- pages ---- */

static int compress_body(struct parquet_writer *w, const struct buf *body, const uint8_t **out,
                         size_t *outlen)
{
	if (body->len > INT32_MAX)
		return err_set(ERR_LIMIT, "parquet: page larger than 2 GiB");
	if (w->opt.codec == PARQUET_CODEC_NONE) {
		*out = body->data;
		*outlen = body->len;
		return ERR_OK;
	}
	size_t bound = ZSTD_compressBound(body->len);
	buf_reset(&w->comp);
	if (buf_reserve(&w->comp, bound))
		return ERR_NOMEM;
	size_t r = ZSTD_compressCCtx(w->cctx, w->comp.data, bound, body->data, body->len,
	                             w->opt.zstd_level);
	if (ZSTD_isError(r))
		return err_set(ERR_INTERNAL, "parquet: zstd: %s", ZSTD_getErrorName(r));
	if (r > INT32_MAX)
		return err_set(ERR_LIMIT, "parquet: page larger than 2 GiB");
	w->comp.len = r;
	*out = w->comp.data;
	*outlen = r;
	return ERR_OK;
}

/* Order key of a fixed-width PLAIN value: compares as unsigned 64-bit. */
static uint64_t order_key(const struct colw *c, uint64_t bits)
{
	if (c->ti.phys == PQT_INT32) {
		uint32_t u = (uint32_t)bits;
		return c->ti.int_signed ? (uint64_t)(int64_t)(int32_t)u ^ (1ull << 63) : (uint64_t)u;
	}
	return c->def.type == DT_UINT64 ? bits : bits ^ (1ull << 63);
}

static void bytes_minmax(const uint8_t *p, uint32_t n, const uint8_t **mn, uint32_t *mnn,
                         const uint8_t **mx, uint32_t *mxn)
{
	if (!*mn) {
		*mn = *mx = p;
		*mnn = *mxn = n;
		return;
	}
	uint32_t k = n < *mnn ? n : *mnn;
	int d = k ? memcmp(p, *mn, k) : 0;
	if (d < 0 || (d == 0 && n < *mnn)) {
		*mn = p;
		*mnn = n;
	}
	k = n < *mxn ? n : *mxn;
	d = k ? memcmp(p, *mx, k) : 0;
	if (d > 0 || (d == 0 && n > *mxn)) {
		*mx = p;
		*mxn = n;
	}
}

/* Min / max of the current page's non-null values into w->pmin / w->pmax
 * (PLAIN form); w->page_has_stats says whether they were computed. */
static int page_stats(struct parquet_writer *w, const struct colw *c)
{
	w->page_has_stats = false;
	if (w->opt.no_page_stats || c->page_vals == 0)
		return ERR_OK;
	buf_reset(&w->pmin);
	buf_reset(&w->pmax);
	const struct dict *d = &c->dict;
	if (c->ti.phys == PQT_BYTE_ARRAY) {
		const uint8_t *mn = NULL, *mx = NULL;
		uint32_t mnn = 0, mxn = 0;
		if (c->dict_on) {
			/* a run of one index cannot move a bound after its first value
			 * (ties keep the earlier bound): compare once per run */
			for (uint32_t k = 0; k < c->page_vals; k++) {
				uint32_t e = c->idx[k];
				if (k > 0 && e == c->idx[k - 1])
					continue;
				bytes_minmax(d->plain.data + d->off[e], d->len[e], &mn, &mnn, &mx,
				             &mxn);
			}
		} else {
			const uint8_t *p = c->vals.data;
			size_t pos = 0;
			for (uint32_t k = 0; k < c->page_vals && pos + 4 <= c->vals.len; k++) {
				uint32_t l = le_get_u32(p + pos);
				bytes_minmax(p + pos + 4, l, &mn, &mnn, &mx, &mxn);
				pos += 4 + (size_t)l;
			}
		}
		if (!mn || mnn > STATS_MAX_BYTES || mxn > STATS_MAX_BYTES)
			return ERR_OK;
		if (buf_append(&w->pmin, mn, mnn) || buf_append(&w->pmax, mx, mxn))
			return ERR_NOMEM;
		w->page_has_stats = true;
		return ERR_OK;
	}
	if (c->ti.phys != PQT_INT32 && c->ti.phys != PQT_INT64)
		return ERR_OK;
	uint64_t bmin = 0, bmax = 0, kmin = UINT64_MAX, kmax = 0;
	for (uint32_t k = 0; k < c->page_vals; k++) {
		uint64_t bits = 0;
		if (c->dict_on)
			bits = d->fixed[c->idx[k]];
		else
			memcpy(&bits, c->vals.data + (size_t)k * c->width, c->width);
		uint64_t key = order_key(c, bits);
		if (key <= kmin) {
			kmin = key;
			bmin = bits;
		}
		if (key >= kmax) {
			kmax = key;
			bmax = bits;
		}
	}
	if (buf_append(&w->pmin, &bmin, c->width) || buf_append(&w->pmax, &bmax, c->width))
		return ERR_NOMEM;
	w->page_has_stats = true;
	return ERR_OK;
}

/* Append PageHeader + compressed body to dst; *unc gets the uncompressed
 * size including the header. */
static int emit_page(struct parquet_writer *w, struct buf *dst, enum pq_page_type type,
                     uint32_t nvalues, uint32_t nulls, enum pq_encoding enc,
                     const struct buf *body, int64_t *unc)
{
	const uint8_t *cp = NULL;
	size_t cn = 0;
	int rc = compress_body(w, body, &cp, &cn);
	if (rc)
		return rc;
	struct tcw t;
	buf_reset(&w->hdr);
	tcw_init(&t, &w->hdr);
	tcw_struct_begin(&t);
	tcw_field_i32(&t, 1, type);
	tcw_field_i32(&t, 2, (int32_t)body->len);
	tcw_field_i32(&t, 3, (int32_t)cn);
	if (type == PQP_DATA) {
		tcw_field_struct(&t, 5);
		tcw_field_i32(&t, 1, (int32_t)nvalues);
		tcw_field_i32(&t, 2, enc);
		tcw_field_i32(&t, 3, PQE_RLE);
		tcw_field_i32(&t, 4, PQE_RLE);
		if (w->page_has_stats) {
			tcw_field_struct(&t, 5);
			tcw_field_i64(&t, 3, nulls);
			tcw_field_binary(&t, 5, w->pmax.data, w->pmax.len);
			tcw_field_binary(&t, 6, w->pmin.data, w->pmin.len);
			tcw_struct_end(&t);
		}
		tcw_struct_end(&t);
	} else {
		tcw_field_struct(&t, 7);
		tcw_field_i32(&t, 1, (int32_t)nvalues);
		tcw_field_i32(&t, 2, enc);
		tcw_struct_end(&t);
	}
	tcw_struct_end(&t);
	if ((rc = tcw_finish(&t)))
		return rc;
	if (buf_append(dst, w->hdr.data, w->hdr.len) || buf_append(dst, cp, cn))
		return ERR_NOMEM;
	*unc += (int64_t)(w->hdr.len + body->len);
	return ERR_OK;
}

static int flush_page(struct parquet_writer *w, struct colw *c)
{
	struct buf *body = &w->page;
	buf_reset(body);
	if (c->def.nullable) {
		if (buf_put_u32le(body, 0))
			return ERR_NOMEM;
		size_t start = body->len;
		if (c->page_nulls == 0) {
			if (buf_put_uvarint(body, (uint64_t)c->page_rows << 1) || buf_putc(body, 1))
				return ERR_NOMEM;
		} else {
			if (grow_u32(&w->tmp, &w->tmp_cap, c->page_rows))
				return ERR_NOMEM;
			for (uint32_t i = 0; i < c->page_rows; i++)
				w->tmp[i] = (c->valid.data[i >> 3] >> (i & 7)) & 1;
			if (rle_encode(body, w->tmp, c->page_rows, 1))
				return ERR_NOMEM;
		}
		le_put_u32(body->data + start - 4, (uint32_t)(body->len - start));
	}
	enum pq_encoding enc = PQE_PLAIN;
	if (c->dict_on && c->page_vals > 0) {
		int bw = pq_bit_width(c->dict.n ? c->dict.n - 1 : 0);
		if (buf_putc(body, (uint8_t)bw) || rle_encode(body, c->idx, c->page_vals, bw))
			return ERR_NOMEM;
		enc = PQE_RLE_DICTIONARY;
		c->dict_pages++;
	} else {
		if (buf_append(body, c->vals.data, c->vals.len))
			return ERR_NOMEM;
		c->plain_pages++;
	}
	int rc = page_stats(w, c);
	if (!rc)
		rc = emit_page(w, &c->chunk, PQP_DATA, c->page_rows, c->page_nulls, enc, body,
		               &c->chunk_unc);
	if (rc)
		return rc;
	c->page_rows = c->page_nulls = c->page_vals = 0;
	buf_reset(&c->valid);
	buf_reset(&c->vals);
	return ERR_OK;
}

static bool page_full(const struct parquet_writer *w, const struct colw *c)
{
	if (c->page_rows >= PAGE_MAX_ROWS ||
	    (w->opt.page_rows && c->page_rows >= w->opt.page_rows))
		return true;
	if (c->dict_on) /* estimated size of the bit-packed indexes */
		return (uint64_t)c->page_vals * (uint32_t)pq_bit_width(c->dict.n) / 8 >=
		       w->opt.page_bytes;
	return c->vals.len >= w->opt.page_bytes;
}

/* Append rows [from, from+n) of v to column c, cutting pages as they fill. */
static int col_append(struct parquet_writer *w, struct colw *c, const struct colvec *v,
                      uint32_t from, uint32_t n)
{
	uint32_t i = 0;
	while (i < n) {
		uint32_t k = n - i < CHUNK_ROWS ? n - i : CHUNK_ROWS;
		uint32_t cap = w->opt.page_rows && w->opt.page_rows < PAGE_MAX_ROWS
		                   ? w->opt.page_rows
		                   : PAGE_MAX_ROWS;
		if (c->page_rows + k > cap)
			k = cap > c->page_rows ? cap - c->page_rows : 1;
		if (!c->dict_on && c->width) {
			size_t room =
			    (w->opt.page_bytes -
			     (c->vals.len < w->opt.page_bytes ? c->vals.len : w->opt.page_bytes)) /
			    c->width;
			if (room == 0)
				room = 1;
			if (k > room)
				k = (uint32_t)room;
		}
		uint32_t done = k;
		int rc;
		if (c->dict_on) {
			rc = append_dict(w, c, v, from + i, k, &done);
		} else {
			rc = append_plain(w, c, v, from + i, k, &done);
			if (!rc)
				rc = page_validity(c, v, from + i, done);
		}
		if (rc)
			return rc;
		c->page_rows += done;
		i += done;
		if (c->dict_on && done < k) {
			/* dictionary full: finish this page, PLAIN from here on */
			if (c->page_rows && (rc = flush_page(w, c)))
				return rc;
			c->dict_on = false;
			continue;
		}
		if (page_full(w, c) && (rc = flush_page(w, c)))
			return rc;
	}
	return ERR_OK;
}

/* ---- column chunks and row groups ---- */

static int stat_value(const struct colw *c, bool is_max, struct buf *out)
{
	buf_reset(out);
	switch (c->ti.phys) {
	case PQT_BOOLEAN:
		return buf_putc(out, (uint8_t)(is_max ? c->st_imax : c->st_imin));
	case PQT_INT32:
		return buf_put_u32le(out, (uint32_t)(is_max ? c->st_imax : c->st_imin));
	case PQT_INT64:
		return buf_put_u64le(out, (uint64_t)(is_max ? c->st_imax : c->st_imin));
	case PQT_FLOAT: {
		float f = (float)(is_max ? c->st_fmax : c->st_fmin);
		if (f == 0)
			f = is_max ? 0.0f : -0.0f;
		return buf_append(out, &f, 4);
	}
	case PQT_DOUBLE: {
		double d = is_max ? c->st_fmax : c->st_fmin;
		if (d == 0)
			d = is_max ? 0.0 : -0.0;
		return buf_append(out, &d, 8);
	}
	default: {
		const struct buf *s = is_max ? &c->st_smax : &c->st_smin;
		return buf_append(out, s->data, s->len);
	}
	}
}

static int write_dict_page(struct parquet_writer *w, struct colw *c, int64_t *unc)
{
	struct buf *body = &w->page;
	buf_reset(body);
	struct dict *d = &c->dict;
	if (c->ti.phys == PQT_BYTE_ARRAY) {
		if (buf_append(body, d->plain.data, d->plain.len))
			return ERR_NOMEM;
	} else {
		if (buf_reserve(body, (size_t)d->n * c->width))
			return ERR_NOMEM;
		for (uint32_t e = 0; e < d->n; e++) {
			memcpy(body->data + body->len, &d->fixed[e], c->width);
			body->len += c->width;
		}
	}
	return emit_page(w, &w->file, PQP_DICTIONARY, d->n, 0, PQE_PLAIN, body, unc);
}

static void col_chunk_reset(struct colw *c)
{
	buf_reset(&c->chunk);
	c->chunk_unc = 0;
	c->dict_pages = c->plain_pages = 0;
	struct dict *d = &c->dict;
	if (d->slots)
		memset(d->slots, 0, (size_t)d->nslots * sizeof(uint32_t));
	d->n = 0;
	d->has_last = false;
	buf_reset(&d->plain);
	c->dict_on = c->use_dict;
	c->st_any = false;
	c->st_nulls = c->st_nans = 0;
}

/* Write column c's chunk of the current row group into the file and its
 * ColumnChunk into t. */
static int write_chunk(struct parquet_writer *w, struct colw *c, struct tcw *t, int64_t *unc_total)
{
	int rc;
	if (c->page_rows && (rc = flush_page(w, c)))
		return rc;
	int64_t start = (int64_t)w->file.len, unc = c->chunk_unc;
	bool has_dict = c->dict_pages > 0;
	if (has_dict && (rc = write_dict_page(w, c, &unc)))
		return rc;
	int64_t data_off = (int64_t)w->file.len;
	if (buf_append(&w->file, c->chunk.data, c->chunk.len))
		return ERR_NOMEM;
	int64_t comp = (int64_t)w->file.len - start;
	*unc_total += unc;

	tcw_struct_begin(t); /* ColumnChunk */
	tcw_field_i64(t, 2, 0);
	tcw_field_struct(t, 3); /* ColumnMetaData */
	tcw_field_i32(t, 1, c->ti.phys);
	int encs[3], ne = 0;
	if (has_dict || c->plain_pages)
		encs[ne++] = PQE_PLAIN;
	if (c->def.nullable)
		encs[ne++] = PQE_RLE;
	if (has_dict)
		encs[ne++] = PQE_RLE_DICTIONARY;
	tcw_field_list(t, 2, TC_I32, (uint32_t)ne);
	for (int i = 0; i < ne; i++)
		tcw_i32(t, encs[i]);
	tcw_field_list(t, 3, TC_BINARY, 1);
	tcw_binary(t, c->def.name, strlen(c->def.name));
	tcw_field_i32(t, 4, w->opt.codec == PARQUET_CODEC_NONE ? PQ_UNCOMPRESSED : PQ_ZSTD);
	tcw_field_i64(t, 5, w->rg_rows);
	tcw_field_i64(t, 6, unc);
	tcw_field_i64(t, 7, comp);
	tcw_field_i64(t, 9, data_off);
	if (has_dict)
		tcw_field_i64(t, 11, start);
	tcw_field_struct(t, 12); /* Statistics */
	tcw_field_i64(t, 3, (int64_t)c->st_nulls);
	bool minmax =
	    c->st_any && (c->ti.phys != PQT_BYTE_ARRAY ||
	                  (c->st_smin.len <= STATS_MAX_BYTES && c->st_smax.len <= STATS_MAX_BYTES));
	if (minmax) {
		if (stat_value(c, true, &w->comp))
			return ERR_NOMEM;
		tcw_field_binary(t, 5, w->comp.data, w->comp.len);
		if (stat_value(c, false, &w->comp))
			return ERR_NOMEM;
		tcw_field_binary(t, 6, w->comp.data, w->comp.len);
		tcw_field_bool(t, 7, true);
		tcw_field_bool(t, 8, true);
	}
	if (c->ti.phys == PQT_FLOAT || c->ti.phys == PQT_DOUBLE)
		tcw_field_i64(t, 9, (int64_t)c->st_nans);
	tcw_struct_end(t); /* Statistics */
	tcw_struct_end(t); /* ColumnMetaData */
	tcw_struct_end(t); /* ColumnChunk */
	col_chunk_reset(c);
	return ERR_OK;
}

static int flush_rowgroup(struct parquet_writer *w)
{
	if (w->rg_rows == 0)
		return ERR_OK;
	if (w->nrg >= INT16_MAX)
		return err_set(ERR_LIMIT, "parquet: too many row groups");
	struct tcw t;
	tcw_init(&t, &w->rgmeta);
	int64_t file_off = (int64_t)w->file.len, unc = 0;
	tcw_struct_begin(&t); /* RowGroup */
	tcw_field_list(&t, 1, TC_STRUCT, w->ncols);
	for (uint32_t c = 0; c < w->ncols; c++) {
		int rc = write_chunk(w, &w->cols[c], &t, &unc);
		if (rc)
			return rc;
	}
	tcw_field_i64(&t, 2, unc);
	tcw_field_i64(&t, 3, w->rg_rows);
	tcw_field_i64(&t, 5, file_off);
	tcw_field_i64(&t, 6, (int64_t)w->file.len - file_off);
	tcw_field(&t, 7, TC_I16);
	tcw_i32(&t, (int32_t)w->nrg);
	tcw_struct_end(&t);
	int rc = tcw_finish(&t);
	if (rc)
		return rc;
	w->nrg++;
	w->rg_rows = 0;
	return ERR_OK;
}

/* ---- API ---- */

int parquet_writer_open(const struct parquet_column_def *cols, uint32_t ncols,
                        const struct parquet_write_options *opt, struct parquet_writer **out)
{
	*out = NULL;
	if (ncols == 0)
		return err_set(ERR_BAD_INPUT, "parquet: no columns");
	for (uint32_t i = 0; i < ncols; i++) {
		if (!cols[i].name || !cols[i].name[0])
			return err_set(ERR_BAD_INPUT, "parquet: column %u has no name", i);
		if ((unsigned)cols[i].type >= DT__COUNT)
			return err_set(ERR_BAD_INPUT, "parquet: column %s: bad type", cols[i].name);
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(cols[i].name, cols[j].name) == 0)
				return err_set(ERR_BAD_INPUT, "parquet: duplicate column %s",
				               cols[i].name);
	}
	struct parquet_writer *w = mem_calloc(1, sizeof(*w));
	if (!w)
		return ERR_NOMEM;
	if (opt)
		w->opt = *opt;
	if (!w->opt.row_group_rows)
		w->opt.row_group_rows = PARQUET_DEFAULT_ROW_GROUP_ROWS;
	if (w->opt.row_group_rows > MAX_RG_ROWS)
		w->opt.row_group_rows = MAX_RG_ROWS;
	if (!w->opt.page_bytes)
		w->opt.page_bytes = PARQUET_DEFAULT_PAGE_BYTES;
	if (!w->opt.dict_max_entries)
		w->opt.dict_max_entries = PARQUET_DEFAULT_DICT_ENTRIES;
	if (!w->opt.dict_max_bytes)
		w->opt.dict_max_bytes = PARQUET_DEFAULT_DICT_BYTES;
	if (!w->opt.zstd_level)
		w->opt.zstd_level = 1;
	int rc = ERR_NOMEM;
	if (w->opt.page_break_col &&
	    (w->opt.page_break_col > ncols ||
	     dtype_phys(cols[w->opt.page_break_col - 1].type) != PHYS_BYTES)) {
		rc = err_set(ERR_BAD_INPUT, "parquet: page break column %u is not a byte-array column",
		             w->opt.page_break_col - 1);
		goto fail;
	}
	w->ncols = ncols;
	w->cols = mem_calloc(ncols, sizeof(struct colw));
	if (!w->cols)
		goto fail;
	for (uint32_t i = 0; i < ncols; i++) {
		struct colw *c = &w->cols[i];
		c->def = cols[i];
		c->def.name = mem_strdup(cols[i].name);
		if (!c->def.name)
			goto fail;
		c->ti = pq_typeinfo_of(c->def.type);
		c->width = pq_plain_width(c->ti.phys);
		c->use_dict = c->def.dictionary && c->ti.phys != PQT_BOOLEAN;
		col_chunk_reset(c);
	}
	if (w->opt.codec != PARQUET_CODEC_NONE) {
		w->cctx = ZSTD_createCCtx();
		if (!w->cctx) {
			rc = err_set(ERR_NOMEM, "parquet: zstd context");
			goto fail;
		}
	}
	if (buf_append(&w->file, "PAR1", 4))
		goto fail;
	*out = w;
	return ERR_OK;
fail:
	parquet_writer_free(w);
	return rc;
}

int parquet_writer_set_kv(struct parquet_writer *w, const char *key, const char *value)
{
	if (w->finished)
		return err_set(ERR_BAD_INPUT, "parquet: writer finished");
	char *v = mem_strdup(value ? value : "");
	if (!v)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < w->nkv; i++) {
		if (strcmp(w->kv_keys[i], key) == 0) {
			mem_free(w->kv_vals[i]);
			w->kv_vals[i] = v;
			return ERR_OK;
		}
	}
	char *k = mem_strdup(key);
	char **nk = mem_realloc(w->kv_keys, (w->nkv + 1) * sizeof(char *));
	if (nk)
		w->kv_keys = nk;
	char **nv = mem_realloc(w->kv_vals, (w->nkv + 1) * sizeof(char *));
	if (nv)
		w->kv_vals = nv;
	if (!k || !nk || !nv) {
		mem_free(k);
		mem_free(v);
		return ERR_NOMEM;
	}
	w->kv_keys[w->nkv] = k;
	w->kv_vals[w->nkv] = v;
	w->nkv++;
	return ERR_OK;
}

uint64_t parquet_writer_rows(const struct parquet_writer *w)
{
	return w->rows;
}

static int check_batch(const struct parquet_writer *w, const struct batch *b)
{
	if (b->ncols != w->ncols)
		return err_set(ERR_BAD_INPUT, "parquet: batch has %u columns, file has %u",
		               b->ncols, w->ncols);
	for (uint32_t c = 0; c < w->ncols; c++) {
		const struct colvec *v = &b->cols[c];
		const struct colw *cw = &w->cols[c];
		if (v->type != cw->def.type)
			return err_set(ERR_BAD_INPUT,
			               "parquet: column %s: batch type %s, expected %s",
			               cw->def.name, dtype_name(v->type), dtype_name(cw->def.type));
		if (v->len != b->nrows)
			return err_set(ERR_BAD_INPUT,
			               "parquet: column %s has %u values, batch %u rows",
			               cw->def.name, v->len, b->nrows);
		if (!cw->def.nullable && v->validity) {
			for (uint32_t i = 0; i < v->len; i++)
				if (colvec_is_null(v, i))
					return err_set(
					    ERR_BAD_INPUT,
					    "parquet: column %s is not nullable but row %u is null",
					    cw->def.name, i);
		}
	}
	return ERR_OK;
}

/* Row i of v equals the byte string (p, n) (nulls equal each other). */
static bool brk_same(const struct colvec *v, uint32_t i, bool pnull, const char *p, uint32_t n)
{
	bool null = colvec_is_null(v, i);
	if (null || pnull)
		return null == pnull;
	uint32_t m;
	const char *q = colvec_bytes(v, i, &m);
	return m == n && (n == 0 || memcmp(p, q, n) == 0);
}

/* Rows of b to append from off (at most k) before the next page break:
 * the first row j in [off, off+k) where the break column's value differs
 * from the row before it (the previous batch's last row for j == 0) while
 * the open page would hold at least page_break_min_rows rows (counted as
 * if rows off..j-1 were appended, pages ending at page_rows rows; a page
 * ended early by page_bytes makes the count an estimate, which only moves
 * a break). *cut: a break falls at off + result. */
static uint32_t brk_run(struct parquet_writer *w, const struct batch *b, uint32_t off, uint32_t k,
                        bool *cut)
{
	*cut = false;
	const struct colvec *v = &b->cols[w->opt.page_break_col - 1];
	uint32_t open = w->cols[w->opt.page_break_col - 1].page_rows;
	uint32_t cap = w->opt.page_rows && w->opt.page_rows < PAGE_MAX_ROWS ? w->opt.page_rows
	                                                                     : PAGE_MAX_ROWS;
	for (uint32_t j = off; j < off + k; j++) {
		/* rows the open page holds before row j (pages end at cap rows) */
		uint32_t at = (uint32_t)(((uint64_t)open + (j - off)) % cap);
		if (at < w->opt.page_break_min_rows || at == 0)
			continue;
		bool same;
		if (j == 0) {
			same = !w->brk_has ||
			       brk_same(v, 0, w->brk_null, (const char *)w->brk_prev.data,
			                (uint32_t)w->brk_prev.len);
		} else {
			uint32_t n;
			const char *p = colvec_bytes(v, j - 1, &n);
			same = brk_same(v, j, colvec_is_null(v, j - 1), p, n);
		}
		if (!same) {
			*cut = true;
			return j - off;
		}
	}
	return k;
}

/* End every column's open page (a series boundary: page_break_col). */
static int brk_end_pages(struct parquet_writer *w)
{
	for (uint32_t c = 0; c < w->ncols; c++) {
		int rc;
		if (w->cols[c].page_rows && (rc = flush_page(w, &w->cols[c])))
			return rc;
	}
	return ERR_OK;
}

int parquet_writer_write(struct parquet_writer *w, const struct batch *b)
{
	if (w->failed)
		return err_set(w->failed, "parquet: writer failed earlier");
	if (w->finished)
		return err_set(ERR_BAD_INPUT, "parquet: writer finished");
	int rc = check_batch(w, b);
	if (rc)
		return rc;
	uint32_t off = 0;
	while (off < b->nrows) {
		uint32_t k = b->nrows - off;
		if (k > w->opt.row_group_rows - w->rg_rows)
			k = w->opt.row_group_rows - w->rg_rows;
		bool cut = false;
		if (w->opt.page_break_col) {
			k = brk_run(w, b, off, k, &cut);
			if (k == 0) { /* the break falls at off */
				if ((rc = brk_end_pages(w)))
					goto fail;
				continue;
			}
		}
		for (uint32_t c = 0; c < w->ncols; c++)
			if ((rc = col_append(w, &w->cols[c], &b->cols[c], off, k)))
				goto fail;
		w->rg_rows += k;
		w->rows += k;
		off += k;
		if (w->rg_rows == w->opt.row_group_rows && (rc = flush_rowgroup(w)))
			goto fail;
		else if (cut && (rc = brk_end_pages(w)))
			goto fail;
	}
	if (w->opt.page_break_col && b->nrows) {
		/* remember the last row's value for the next batch's first row */
		const struct colvec *v = &b->cols[w->opt.page_break_col - 1];
		buf_reset(&w->brk_prev);
		w->brk_null = colvec_is_null(v, b->nrows - 1);
		uint32_t n = 0;
		const char *p = w->brk_null ? NULL : colvec_bytes(v, b->nrows - 1, &n);
		if (n && buf_append(&w->brk_prev, p, n)) {
			rc = ERR_NOMEM;
			goto fail;
		}
		w->brk_has = true;
	}
	return ERR_OK;
fail:
	w->failed = rc;
	return rc;
}

static void write_schema(struct parquet_writer *w, struct tcw *t)
{
	tcw_field_list(t, 2, TC_STRUCT, w->ncols + 1);
	tcw_struct_begin(t);
	tcw_field_string(t, 4, "schema");
	tcw_field_i32(t, 5, (int32_t)w->ncols);
	tcw_struct_end(t);
	for (uint32_t i = 0; i < w->ncols; i++) {
		const struct colw *c = &w->cols[i];
		tcw_struct_begin(t);
		tcw_field_i32(t, 1, c->ti.phys);
		tcw_field_i32(t, 3, c->def.nullable ? PQR_OPTIONAL : PQR_REQUIRED);
		tcw_field_string(t, 4, c->def.name);
		if (c->ti.converted != PQC_NONE)
			tcw_field_i32(t, 6, c->ti.converted);
		if (c->ti.logical != PQL_NONE) {
			tcw_field_struct(t, 10); /* LogicalType */
			tcw_field_struct(t, (int16_t)c->ti.logical);
			if (c->ti.logical == PQL_TIMESTAMP) {
				tcw_field_bool(t, 1, true); /* isAdjustedToUTC */
				tcw_field_struct(t, 2);     /* TimeUnit */
				tcw_field_struct(t, (int16_t)c->ti.unit);
				tcw_struct_end(t);
				tcw_struct_end(t);
			} else if (c->ti.logical == PQL_INTEGER) {
				tcw_field_i8(t, 1, (int8_t)c->ti.int_bits);
				tcw_field_bool(t, 2, c->ti.int_signed);
			}
			tcw_struct_end(t);
			tcw_struct_end(t);
		}
		tcw_struct_end(t);
	}
}

int parquet_writer_finish(struct parquet_writer *w, struct buf *file_out)
{
	if (w->failed)
		return err_set(w->failed, "parquet: writer failed earlier");
	if (w->finished)
		return err_set(ERR_BAD_INPUT, "parquet: writer finished");
	int rc = flush_rowgroup(w);
	if (rc)
		goto fail;
	for (uint32_t i = 0; i < w->ncols; i++) {
		if (w->cols[i].def.type != DT_TS_S)
			continue;
		struct buf key;
		buf_init(&key);
		rc = buf_printf(&key, "%s%s", PARQUET_KV_DTYPE_PREFIX, w->cols[i].def.name);
		if (!rc && !buf_cstr(&key))
			rc = ERR_NOMEM;
		if (!rc)
			rc = parquet_writer_set_kv(w, (char *)key.data, dtype_name(DT_TS_S));
		buf_free(&key);
		if (rc)
			goto fail;
	}
	struct buf meta;
	buf_init(&meta);
	struct tcw t;
	tcw_init(&t, &meta);
	tcw_struct_begin(&t);
	tcw_field_i32(&t, 1, 1);
	write_schema(w, &t);
	tcw_field_i64(&t, 3, (int64_t)w->rows);
	tcw_field_list(&t, 4, TC_STRUCT, w->nrg);
	if (!t.err && buf_append(&meta, w->rgmeta.data, w->rgmeta.len))
		t.err = ERR_NOMEM;
	if (w->nkv) {
		tcw_field_list(&t, 5, TC_STRUCT, w->nkv);
		for (uint32_t i = 0; i < w->nkv; i++) {
			tcw_struct_begin(&t);
			tcw_field_string(&t, 1, w->kv_keys[i]);
			tcw_field_string(&t, 2, w->kv_vals[i]);
			tcw_struct_end(&t);
		}
	}
	tcw_field_string(&t, 6, "strata");
	tcw_field_list(&t, 7, TC_STRUCT, w->ncols);
	for (uint32_t i = 0; i < w->ncols; i++) {
		tcw_struct_begin(&t);    /* ColumnOrder */
		tcw_field_struct(&t, 1); /* TYPE_ORDER */
		tcw_struct_end(&t);
		tcw_struct_end(&t);
	}
	tcw_struct_end(&t);
	rc = tcw_finish(&t);
	if (!rc && meta.len > UINT32_MAX)
		rc = err_set(ERR_LIMIT, "parquet: footer too large");
	if (!rc && (buf_append(&w->file, meta.data, meta.len) ||
	            buf_put_u32le(&w->file, (uint32_t)meta.len) || buf_append(&w->file, "PAR1", 4)))
		rc = ERR_NOMEM;
	buf_free(&meta);
	if (rc)
		goto fail;
	if (file_out->len == 0) {
		buf_free(file_out);
		*file_out = w->file;
		buf_init(&w->file);
	} else if (buf_append(file_out, w->file.data, w->file.len)) {
		rc = ERR_NOMEM;
		goto fail;
	}
	w->finished = true;
	return ERR_OK;
fail:
	w->failed = rc;
	return rc;
}

void parquet_writer_free(struct parquet_writer *w)
{
	if (!w)
		return;
	if (w->cols) {
		for (uint32_t i = 0; i < w->ncols; i++) {
			struct colw *c = &w->cols[i];
			mem_free((char *)c->def.name);
			buf_free(&c->valid);
			buf_free(&c->vals);
			mem_free(c->idx);
			buf_free(&c->chunk);
			mem_free(c->dict.slots);
			mem_free(c->dict.hash);
			mem_free(c->dict.fixed);
			mem_free(c->dict.off);
			mem_free(c->dict.len);
			buf_free(&c->dict.plain);
			buf_free(&c->st_smin);
			buf_free(&c->st_smax);
		}
		mem_free(w->cols);
	}
	for (uint32_t i = 0; i < w->nkv; i++) {
		mem_free(w->kv_keys[i]);
		mem_free(w->kv_vals[i]);
	}
	mem_free(w->kv_keys);
	mem_free(w->kv_vals);
	buf_free(&w->file);
	buf_free(&w->rgmeta);
	buf_free(&w->page);
	buf_free(&w->comp);
	buf_free(&w->hdr);
	buf_free(&w->pmin);
	buf_free(&w->pmax);
	buf_free(&w->brk_prev);
	mem_free(w->tmp);
	ZSTD_freeCCtx(w->cctx);
	mem_free(w);
}
