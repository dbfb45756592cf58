/*
 * column_codec: a compact binary form of a struct batch, the payload of WAL
 * entries and (later) of RPC messages that carry rows.
 *
 * Byte layout (all integers little-endian, no padding, no alignment):
 *
 *   u8   version          BATCH_CODEC_VERSION (1)
 *   u32  nrows            rows in the batch; every column holds nrows values
 *   u32  ncols            number of columns (<= BATCH_CODEC_MAX_COLS)
 *   ncols times, one column:
 *     u8   dtype          enum dtype (datatype.h), must be < DT__COUNT
 *     u8   flags          bit 0 (BATCH_COL_HAS_VALIDITY): a validity bitmap
 *                         follows; bits 1..7 must be 0
 *     [validity]          only with bit 0: ceil(nrows/8) bytes, bit i
 *                         (byte i/8, bit i%8) set = row i present; the
 *                         padding bits past nrows must be 0
 *     values, by the physical kind of dtype:
 *       PHYS_I64          nrows x i64
 *       PHYS_F64          nrows x f64 (IEEE-754 binary64 bit pattern)
 *       PHYS_BYTES        (nrows+1) x u32 offsets, offs[0] = 0, monotonic
 *                         non-decreasing; then offs[nrows] bytes of data;
 *                         value i = data[offs[i], offs[i+1])
 *   nothing after the last column (trailing bytes are an error)
 *
 * The slot of a null value is kept as it is in memory (0 / 0.0 / empty
 * string by colvec's convention); the decoder does not require it.
 *
 * On little-endian hosts the value arrays are one memcpy each way. The
 * decoder treats its input as hostile: it checks the version, dtype range,
 * flag bits, every length against the bytes that remain *before* it
 * allocates anything (so a few bytes can never ask for gigabytes), that
 * offsets start at 0, never decrease and end inside the data, and that no
 * bytes trail the last column. Any failure is ERR_CORRUPT with a message
 * that names the column and what was wrong.
 */
#ifndef STRATA_BASE_COLUMN_CODEC_H
#define STRATA_BASE_COLUMN_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/column.h"

#define BATCH_CODEC_VERSION    1
#define BATCH_CODEC_MAX_COLS   65536
#define BATCH_COL_HAS_VALIDITY 0x01

/* Exact number of bytes batch_encode would append for b, which must be
 * well formed (every column holds b->nrows values). */
size_t batch_encoded_size(const struct batch *b);

/* Append the encoding of b to out. Every column must hold b->nrows values
 * (ERR_BAD_INPUT otherwise); ERR_NOMEM leaves out->len unchanged. */
int batch_encode(const struct batch *b, struct buf *out);

/* Decode p[0, n) into *out, which is initialised here (any previous
 * content is not freed). On success the caller owns *out (batch_free). On
 * error *out is left empty ({0}) with nothing allocated, and the code is
 * ERR_CORRUPT (or ERR_NOMEM) with a message. */
int batch_decode(const uint8_t *p, size_t n, struct batch *out);

#endif
