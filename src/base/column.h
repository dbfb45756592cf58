/*
 * column: columnar vectors and batches, the unit of data that moves
 * between the WAL, memtables, SSTs, the scan, the SQL executor and RPC.
 *
 * A colvec holds `len` values of one dtype in its physical form (see
 * datatype.h): i64[] or f64[] for fixed-width types, or offs[len+1] into
 * bytes[] for strings and binaries. Nulls: `validity` is a bitmap (bit i
 * set = value i present) or NULL when every value is present. The slot of
 * a null value holds 0 / 0.0 / an empty string.
 *
 * A batch is a set of equally long colvecs. Batches own their memory.
 */
#ifndef STRATA_BASE_COLUMN_H
#define STRATA_BASE_COLUMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/datatype.h"

struct colvec {
	enum dtype type;
	uint32_t len;
	uint32_t cap;      /* capacity in values of i64/f64/offs (offs has cap+1) */
	uint8_t *validity; /* NULL = no nulls */
	int64_t *i64;
	double *f64;
	uint32_t *offs;
	char *bytes;
	size_t bytes_cap;
};

void colvec_init(struct colvec *v, enum dtype type);
void colvec_free(struct colvec *v);
void colvec_reset(struct colvec *v);                 /* len = 0, keeps memory */
int colvec_reserve(struct colvec *v, uint32_t n);    /* room for len+n values */
/* Room for `extra` more string bytes after the first len values (offs
 * allocated: colvec_reserve first). ERR_LIMIT with the message `limit_msg`
 * when the bytes would pass 4 GiB (offsets are 32-bit); ERR_NOMEM. */
int colvec_reserve_bytes(struct colvec *v, uint64_t extra, const char *limit_msg);
int colvec_push_i64(struct colvec *v, int64_t x);
int colvec_push_f64(struct colvec *v, double x);
int colvec_push_bytes(struct colvec *v, const void *p, size_t n);
int colvec_push_null(struct colvec *v);
/* Append value i of src (same physical kind) to dst. */
int colvec_push_from(struct colvec *dst, const struct colvec *src, uint32_t i);
/* Append src[from, from+n) to dst. */
int colvec_append_range(struct colvec *dst, const struct colvec *src, uint32_t from, uint32_t n);
int colvec_set_null(struct colvec *v, uint32_t i);   /* mark an existing slot null */

static inline bool colvec_is_null(const struct colvec *v, uint32_t i)
{
	return v->validity && !(v->validity[i >> 3] & (1u << (i & 7)));
}
/* Value i of a string/binary vector: *n bytes at the result, never NULL
 * (a vector that only ever held empty strings has bytes == NULL; NULL + 0
 * is undefined behaviour, so that case returns a static empty string). */
static inline const char *colvec_bytes(const struct colvec *v, uint32_t i, uint32_t *n)
{
	*n = v->offs[i + 1] - v->offs[i];
	if (!v->bytes)
		return "";
	return v->bytes + v->offs[i];
}
/* Compare value i of a with value j of b (same type); nulls sort first. */
int colvec_cmp(const struct colvec *a, uint32_t i, const struct colvec *b, uint32_t j);
/* Equality of value i of a and j of b, with null == null. */
bool colvec_eq(const struct colvec *a, uint32_t i, const struct colvec *b, uint32_t j);

/* One scalar value of a dtype (a literal, a predicate operand, a default).
 * For PHYS_BYTES, s.p points into memory owned by someone else. */
struct datum {
	enum dtype type;
	bool is_null;
	union {
		int64_t i;
		double f;
		struct {
			const char *p;
			uint32_t n;
		} s;
	} v;
};

/* Compare datum d with value i of v (same physical kind); nulls first. */
int datum_cmp_colvec(const struct datum *d, const struct colvec *v, uint32_t i);
int colvec_push_datum(struct colvec *v, const struct datum *d);

struct batch {
	uint32_t nrows;
	uint32_t ncols;
	struct colvec *cols;
};

/* Allocate ncols empty colvecs of the given types. */
int batch_init(struct batch *b, uint32_t ncols, const enum dtype *types);
void batch_free(struct batch *b);
void batch_reset(struct batch *b);
/* Append row i of src (same column types) to dst. */
int batch_push_row(struct batch *dst, const struct batch *src, uint32_t i);
/* Bytes of memory held (approximate). */
size_t batch_mem_size(const struct batch *b);

#endif
