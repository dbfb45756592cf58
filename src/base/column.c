/* column: columnar vectors and batches. See column.h. */
#include "base/column.h"

#include <string.h>

#include "base/err.h"
#include "base/mem.h"

void colvec_init(struct colvec *v, enum dtype type)
{
	memset(v, 0, sizeof(*v));
	v->type = type;
}

void colvec_free(struct colvec *v)
{
	mem_free(v->validity);
	mem_free(v->i64);
	mem_free(v->f64);
	mem_free(v->offs);
	mem_free(v->bytes);
	colvec_init(v, v->type);
}

void colvec_reset(struct colvec *v)
{
	v->len = 0;
	if (v->validity) {
		mem_free(v->validity);
		v->validity = NULL;
	}
}

int colvec_reserve(struct colvec *v, uint32_t n)
{
	uint64_t need = (uint64_t)v->len + n;
	if (need <= v->cap)
		return ERR_OK;
	if (need > UINT32_MAX - 1)
		return err_set(ERR_LIMIT, "column vector too long");
	uint32_t ncap = v->cap ? v->cap : 16;
	while (ncap < need)
		ncap = ncap > UINT32_MAX / 2 ? UINT32_MAX - 1 : ncap * 2;
	switch (dtype_phys(v->type)) {
	case PHYS_I64: {
		void *p = mem_realloc(v->i64, (size_t)ncap * sizeof(int64_t));
		if (!p)
			return ERR_NOMEM;
		v->i64 = p;
		break;
	}
	case PHYS_F64: {
		void *p = mem_realloc(v->f64, (size_t)ncap * sizeof(double));
		if (!p)
			return ERR_NOMEM;
		v->f64 = p;
		break;
	}
	case PHYS_BYTES: {
		int first = v->offs == NULL;
		void *p = mem_realloc(v->offs, ((size_t)ncap + 1) * sizeof(uint32_t));
		if (!p)
			return ERR_NOMEM;
		v->offs = p;
		if (first)
			v->offs[0] = 0;
		break;
	}
	}
	if (v->validity) {
		void *p = mem_realloc(v->validity, ((size_t)ncap + 7) / 8);
		if (!p)
			return ERR_NOMEM;
		memset((uint8_t *)p + (v->cap + 7) / 8, 0, (ncap + 7) / 8 - (v->cap + 7) / 8);
		v->validity = p;
	}
	v->cap = ncap;
	return ERR_OK;
}

static inline void mark_valid(struct colvec *v, uint32_t i)
{
	if (v->validity)
		v->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
}

int colvec_push_i64(struct colvec *v, int64_t x)
{
	if (v->len == v->cap && colvec_reserve(v, 1))
		return ERR_NOMEM;
	v->i64[v->len] = x;
	mark_valid(v, v->len);
	v->len++;
	return ERR_OK;
}

int colvec_push_f64(struct colvec *v, double x)
{
	if (v->len == v->cap && colvec_reserve(v, 1))
		return ERR_NOMEM;
	v->f64[v->len] = x;
	mark_valid(v, v->len);
	v->len++;
	return ERR_OK;
}

int colvec_reserve_bytes(struct colvec *v, uint64_t extra, const char *limit_msg)
{
	uint64_t need = (uint64_t)v->offs[v->len] + extra;
	if (need > UINT32_MAX)
		return err_set(ERR_LIMIT, "%s", limit_msg);
	if (need > v->bytes_cap) {
		void *b = v->bytes;
		if (mem_grow(&b, &v->bytes_cap, (size_t)need, 1))
			return ERR_NOMEM;
		v->bytes = b;
	}
	return ERR_OK;
}

int colvec_push_bytes(struct colvec *v, const void *p, size_t n)
{
	if (v->len == v->cap && colvec_reserve(v, 1))
		return ERR_NOMEM;
	if (v->offs == NULL && colvec_reserve(v, 1))
		return ERR_NOMEM;
	int rc = colvec_reserve_bytes(v, n, "string column exceeds 4 GiB");
	if (rc)
		return rc;
	size_t used = v->offs[v->len];
	if (n)
		memcpy(v->bytes + used, p, n);
	v->offs[v->len + 1] = (uint32_t)(used + n);
	mark_valid(v, v->len);
	v->len++;
	return ERR_OK;
}

int colvec_set_null(struct colvec *v, uint32_t i)
{
	if (!v->validity) {
		size_t nb = ((size_t)(v->cap ? v->cap : 1) + 7) / 8;
		v->validity = mem_alloc(nb);
		if (!v->validity)
			return ERR_NOMEM;
		memset(v->validity, 0xff, nb);
	}
	v->validity[i >> 3] &= (uint8_t)~(1u << (i & 7));
	return ERR_OK;
}

int colvec_push_null(struct colvec *v)
{
	int rc;
	switch (dtype_phys(v->type)) {
	case PHYS_I64: rc = colvec_push_i64(v, 0); break;
	case PHYS_F64: rc = colvec_push_f64(v, 0); break;
	default: rc = colvec_push_bytes(v, "", 0); break;
	}
	if (rc)
		return rc;
	return colvec_set_null(v, v->len - 1);
}

int colvec_push_from(struct colvec *dst, const struct colvec *src, uint32_t i)
{
	if (colvec_is_null(src, i))
		return colvec_push_null(dst);
	switch (dtype_phys(src->type)) {
	case PHYS_I64: return colvec_push_i64(dst, src->i64[i]);
	case PHYS_F64: return colvec_push_f64(dst, src->f64[i]);
	default: {
		uint32_t n;
		const char *p = colvec_bytes(src, i, &n);
		return colvec_push_bytes(dst, p, n);
	}
	}
}

int colvec_append_range(struct colvec *dst, const struct colvec *src, uint32_t from, uint32_t n)
{
	if (n == 0)
		return ERR_OK;
	if (colvec_reserve(dst, n))
		return ERR_NOMEM;
	enum phys_kind pk = dtype_phys(src->type);
	if (!src->validity && !dst->validity && pk != PHYS_BYTES) {
		if (pk == PHYS_I64)
			memcpy(dst->i64 + dst->len, src->i64 + from, (size_t)n * sizeof(int64_t));
		else
			memcpy(dst->f64 + dst->len, src->f64 + from, (size_t)n * sizeof(double));
		dst->len += n;
		return ERR_OK;
	}
	for (uint32_t k = 0; k < n; k++)
		if (colvec_push_from(dst, src, from + k))
			return ERR_NOMEM;
	return ERR_OK;
}

int colvec_cmp(const struct colvec *a, uint32_t i, const struct colvec *b, uint32_t j)
{
	bool an = colvec_is_null(a, i), bn = colvec_is_null(b, j);
	if (an || bn)
		return an == bn ? 0 : (an ? -1 : 1);
	switch (dtype_phys(a->type)) {
	case PHYS_I64:
		if (a->type == DT_UINT64) {
			uint64_t x = (uint64_t)a->i64[i], y = (uint64_t)b->i64[j];
			return x < y ? -1 : x > y;
		}
		return a->i64[i] < b->i64[j] ? -1 : a->i64[i] > b->i64[j];
	case PHYS_F64:
		return a->f64[i] < b->f64[j] ? -1 : a->f64[i] > b->f64[j];
	default: {
		uint32_t na, nb;
		const char *pa = colvec_bytes(a, i, &na);
		const char *pb = colvec_bytes(b, j, &nb);
		uint32_t m = na < nb ? na : nb;
		int c = m ? memcmp(pa, pb, m) : 0;
		return c ? (c < 0 ? -1 : 1) : (na < nb ? -1 : na > nb);
	}
	}
}

bool colvec_eq(const struct colvec *a, uint32_t i, const struct colvec *b, uint32_t j)
{
	return colvec_cmp(a, i, b, j) == 0;
}

int batch_init(struct batch *b, uint32_t ncols, const enum dtype *types)
{
	b->nrows = 0;
	b->ncols = ncols;
	b->cols = mem_calloc(ncols ? ncols : 1, sizeof(struct colvec));
	if (!b->cols)
		return ERR_NOMEM;
	for (uint32_t c = 0; c < ncols; c++)
		colvec_init(&b->cols[c], types[c]);
	return ERR_OK;
}

void batch_free(struct batch *b)
{
	if (b->cols)
		for (uint32_t c = 0; c < b->ncols; c++)
			colvec_free(&b->cols[c]);
	mem_free(b->cols);
	memset(b, 0, sizeof(*b));
}

void batch_reset(struct batch *b)
{
	for (uint32_t c = 0; c < b->ncols; c++)
		colvec_reset(&b->cols[c]);
	b->nrows = 0;
}

int batch_push_row(struct batch *dst, const struct batch *src, uint32_t i)
{
	for (uint32_t c = 0; c < dst->ncols; c++)
		if (colvec_push_from(&dst->cols[c], &src->cols[c], i))
			return ERR_NOMEM;
	dst->nrows++;
	return ERR_OK;
}

size_t batch_mem_size(const struct batch *b)
{
	size_t n = 0;
	for (uint32_t c = 0; c < b->ncols; c++) {
		const struct colvec *v = &b->cols[c];
		n += (size_t)v->cap * 8 + v->bytes_cap + (v->validity ? v->cap / 8 : 0);
	}
	return n;
}

int datum_cmp_colvec(const struct datum *d, const struct colvec *v, uint32_t i)
{
	bool vn = colvec_is_null(v, i);
	if (d->is_null || vn)
		return d->is_null == vn ? 0 : (d->is_null ? -1 : 1);
	switch (dtype_phys(v->type)) {
	case PHYS_I64:
		if (v->type == DT_UINT64) {
			uint64_t x = (uint64_t)d->v.i, y = (uint64_t)v->i64[i];
			return x < y ? -1 : x > y;
		}
		return d->v.i < v->i64[i] ? -1 : d->v.i > v->i64[i];
	case PHYS_F64:
		return d->v.f < v->f64[i] ? -1 : d->v.f > v->f64[i];
	default: {
		uint32_t n;
		const char *p = colvec_bytes(v, i, &n);
		uint32_t m = d->v.s.n < n ? d->v.s.n : n;
		int c = m ? memcmp(d->v.s.p, p, m) : 0;
		return c ? (c < 0 ? -1 : 1) : (d->v.s.n < n ? -1 : d->v.s.n > n);
	}
	}
}

int colvec_push_datum(struct colvec *v, const struct datum *d)
{
	if (d->is_null)
		return colvec_push_null(v);
	switch (dtype_phys(v->type)) {
	case PHYS_I64: return colvec_push_i64(v, d->v.i);
	case PHYS_F64: return colvec_push_f64(v, d->v.f);
	default: return colvec_push_bytes(v, d->v.s.p, d->v.s.n);
	}
}
