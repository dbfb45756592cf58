/*
 * pk_codec: the memcomparable encoding of a row's primary key (its tag
 * values, in the schema's primary-key order), stored in the internal
 * __primary_key column. memcmp order of two encodings == the order of the
 * tag tuples (element by element; NULL first). A table with no tags has the
 * empty key. Byte layout: see pk_codec.c.
 */
#ifndef STRATA_STORAGE_PK_CODEC_H
#define STRATA_STORAGE_PK_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "base/column.h"
#include "storage/schema.h"

/* Append the key of row `row` of `rows` (schema layout: column i is the
 * region's column i; only the tag columns are read) to `out`. */
int pk_encode_row(const struct region_schema *s, const struct batch *rows, uint32_t row,
		  struct buf *out);
/* Append the key made of vals[0..npk) (primary-key order) to `out`. A
 * value's physical kind must match its column's (ERR_BAD_INPUT). */
int pk_encode_datums(const struct region_schema *s, const struct datum *vals, struct buf *out);
/* Decode a key into vals[0..npk) (primary-key order). String values point
 * into p (which must outlive vals). ERR_CORRUPT on any malformed, truncated
 * or over-long input. */
int pk_decode(const struct region_schema *s, const uint8_t *p, size_t n, struct datum *vals);

/* memcmp order of two keys (shorter first on a common prefix). */
static inline int pk_cmp(const void *a, size_t na, const void *b, size_t nb)
{
	size_t n = na < nb ? na : nb;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return na < nb ? -1 : na > nb;
}

#endif
