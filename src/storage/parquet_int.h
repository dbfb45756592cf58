/*
 * parquet_int: what parquet_write.c, parquet_read.c and thrift_compact.c
 * share: Parquet's enum values (parquet.thrift), the dtype <-> Parquet type
 * table, and the Thrift compact protocol writer/reader.
 *
 * Thrift compact protocol, as used by Parquet metadata:
 *   struct  = field* stop(0x00)
 *   field   = header value; header is one byte (delta << 4 | type) when the
 *             field id minus the previous field id in this struct is 1..15,
 *             else (type) followed by the id as a zigzag varint
 *   types   1 true, 2 false (bool fields: the value is the header type),
 *           3 i8 (1 byte), 4 i16, 5 i32, 6 i64 (zigzag varints), 7 double
 *           (8 bytes LE), 8 binary (varint length + bytes), 9 list, 10 set,
 *           11 map, 12 struct
 *   list    = (n << 4 | elem) for n < 15, else (0xF0 | elem) varint n;
 *             bool elements are one byte each (1 true, 0 false)
 *   map     = 0 (empty) | varint n, (ktype << 4 | vtype), pairs
 */
#ifndef STRATA_STORAGE_PARQUET_INT_H
#define STRATA_STORAGE_PARQUET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/datatype.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "parquet: PLAIN encoding is copied as host memory; little-endian hosts only"
#endif

/* parquet.thrift enums */
enum pq_type {
	PQT_BOOLEAN = 0,
	PQT_INT32 = 1,
	PQT_INT64 = 2,
	PQT_INT96 = 3,
	PQT_FLOAT = 4,
	PQT_DOUBLE = 5,
	PQT_BYTE_ARRAY = 6,
	PQT_FIXED = 7
};
enum pq_converted {
	PQC_NONE = -1,
	PQC_UTF8 = 0,
	PQC_ENUM = 4,
	PQC_DECIMAL = 5,
	PQC_DATE = 6,
	PQC_TIME_MILLIS = 7,
	PQC_TIME_MICROS = 8,
	PQC_TIMESTAMP_MILLIS = 9,
	PQC_TIMESTAMP_MICROS = 10,
	PQC_UINT_8 = 11,
	PQC_UINT_16 = 12,
	PQC_UINT_32 = 13,
	PQC_UINT_64 = 14,
	PQC_INT_8 = 15,
	PQC_INT_16 = 16,
	PQC_INT_32 = 17,
	PQC_INT_64 = 18,
	PQC_JSON = 19,
	PQC_BSON = 20
};
enum pq_repetition { PQR_REQUIRED = 0, PQR_OPTIONAL = 1, PQR_REPEATED = 2 };
enum pq_encoding {
	PQE_PLAIN = 0,
	PQE_PLAIN_DICTIONARY = 2,
	PQE_RLE = 3,
	PQE_BIT_PACKED = 4,
	PQE_DELTA_BINARY_PACKED = 5,
	PQE_RLE_DICTIONARY = 8
};
enum pq_codec { PQ_UNCOMPRESSED = 0, PQ_SNAPPY = 1, PQ_GZIP = 2, PQ_ZSTD = 6 };
enum pq_page_type { PQP_DATA = 0, PQP_INDEX = 1, PQP_DICTIONARY = 2, PQP_DATA_V2 = 3 };
/* LogicalType union members (field ids) */
enum pq_logical {
	PQL_NONE = 0,
	PQL_STRING = 1,
	PQL_MAP = 2,
	PQL_LIST = 3,
	PQL_ENUM = 4,
	PQL_DECIMAL = 5,
	PQL_DATE = 6,
	PQL_TIME = 7,
	PQL_TIMESTAMP = 8,
	PQL_INTEGER = 10,
	PQL_UNKNOWN = 11,
	PQL_JSON = 12,
	PQL_BSON = 13,
	PQL_UUID = 14,
	PQL_FLOAT16 = 15
};
enum pq_time_unit { PQU_NONE = 0, PQU_MILLIS = 1, PQU_MICROS = 2, PQU_NANOS = 3 };

/* How one dtype is stored. */
struct pq_typeinfo {
	enum pq_type phys;
	int converted; /* enum pq_converted or PQC_NONE */
	enum pq_logical logical;
	uint8_t int_bits; /* INTEGER bitWidth */
	bool int_signed;
	enum pq_time_unit unit; /* TIMESTAMP unit */
};

static inline struct pq_typeinfo pq_typeinfo_of(enum dtype t)
{
	struct pq_typeinfo ti = {PQT_INT64, PQC_NONE, PQL_NONE, 0, true, PQU_NONE};
	switch (t) {
	case DT_BOOL:
		ti.phys = PQT_BOOLEAN;
		break;
	case DT_INT8:
		ti = (struct pq_typeinfo){PQT_INT32, PQC_INT_8, PQL_INTEGER, 8, true, 0};
		break;
	case DT_INT16:
		ti = (struct pq_typeinfo){PQT_INT32, PQC_INT_16, PQL_INTEGER, 16, true, 0};
		break;
	case DT_INT32:
		ti = (struct pq_typeinfo){PQT_INT32, PQC_INT_32, PQL_INTEGER, 32, true, 0};
		break;
	case DT_UINT8:
		ti = (struct pq_typeinfo){PQT_INT32, PQC_UINT_8, PQL_INTEGER, 8, false, 0};
		break;
	case DT_UINT16:
		ti = (struct pq_typeinfo){PQT_INT32, PQC_UINT_16, PQL_INTEGER, 16, false, 0};
		break;
	case DT_UINT32:
		ti = (struct pq_typeinfo){PQT_INT32, PQC_UINT_32, PQL_INTEGER, 32, false, 0};
		break;
	case DT_INT64:
		break;
	case DT_UINT64:
		ti = (struct pq_typeinfo){PQT_INT64, PQC_UINT_64, PQL_INTEGER, 64, false, 0};
		break;
	case DT_FLOAT32:
		ti.phys = PQT_FLOAT;
		break;
	case DT_FLOAT64:
		ti.phys = PQT_DOUBLE;
		break;
	case DT_STRING:
		ti = (struct pq_typeinfo){PQT_BYTE_ARRAY, PQC_UTF8, PQL_STRING, 0, true, 0};
		break;
	case DT_BINARY:
		ti.phys = PQT_BYTE_ARRAY;
		break;
	case DT_DATE:
		ti = (struct pq_typeinfo){PQT_INT32, PQC_DATE, PQL_DATE, 0, true, 0};
		break;
	case DT_TS_S:
	case DT_TS_MS:
		ti = (struct pq_typeinfo){PQT_INT64, PQC_TIMESTAMP_MILLIS, PQL_TIMESTAMP, 0, true,
		                          PQU_MILLIS};
		break;
	case DT_TS_US:
		ti = (struct pq_typeinfo){PQT_INT64, PQC_TIMESTAMP_MICROS, PQL_TIMESTAMP, 0, true,
		                          PQU_MICROS};
		break;
	case DT_TS_NS:
		ti = (struct pq_typeinfo){PQT_INT64, PQC_NONE, PQL_TIMESTAMP, 0, true, PQU_NANOS};
		break;
	default:
		break;
	}
	return ti;
}

/* Width in bytes of a PLAIN value of a fixed-width physical type (0 for
 * BOOLEAN, which is bit-packed, and BYTE_ARRAY). */
static inline uint32_t pq_plain_width(enum pq_type t)
{
	switch (t) {
	case PQT_INT32:
	case PQT_FLOAT:
		return 4;
	case PQT_INT64:
	case PQT_DOUBLE:
		return 8;
	default:
		return 0;
	}
}

/* Bits needed to store values 0..max (at least 1). */
static inline int pq_bit_width(uint32_t max)
{
	int w = 1;
	while (w < 32 && (max >> w))
		w++;
	return w;
}

/* Test/tool hook (parquet_page.c): walk the page headers of one column
 * chunk and count its pages. */
struct parquet_reader;
struct pq_chunk_layout {
	uint32_t dict_pages;
	uint32_t data_pages;
	uint32_t plain_pages;     /* data pages with PLAIN values */
	uint32_t dict_data_pages; /* data pages with dictionary indexes */
	uint32_t max_page_bytes;  /* largest uncompressed page */
};
int parquet_chunk_layout(struct parquet_reader *r, uint32_t rg, uint32_t col,
                         struct pq_chunk_layout *out);

/* ---- Thrift compact protocol ---- */

enum tc_type {
	TC_STOP = 0,
	TC_TRUE = 1,
	TC_FALSE = 2,
	TC_I8 = 3,
	TC_I16 = 4,
	TC_I32 = 5,
	TC_I64 = 6,
	TC_DOUBLE = 7,
	TC_BINARY = 8,
	TC_LIST = 9,
	TC_SET = 10,
	TC_MAP = 11,
	TC_STRUCT = 12
};

#define TC_MAX_DEPTH 32

/* Writer: appends to a buf; errors (OOM, nesting too deep) are sticky in
 * err and reported by tcw_finish. Each struct is opened with
 * tcw_struct_begin (or tcw_field_struct) and closed with tcw_struct_end. */
struct tcw {
	struct buf *out;
	int err;
	int depth;
	int16_t last[TC_MAX_DEPTH];
};

void tcw_init(struct tcw *w, struct buf *out);
int tcw_finish(struct tcw *w);
void tcw_struct_begin(struct tcw *w);
void tcw_struct_end(struct tcw *w);
void tcw_field(struct tcw *w, int16_t id, enum tc_type type);
void tcw_field_i32(struct tcw *w, int16_t id, int32_t v);
void tcw_field_i64(struct tcw *w, int16_t id, int64_t v);
void tcw_field_i8(struct tcw *w, int16_t id, int8_t v);
void tcw_field_bool(struct tcw *w, int16_t id, bool v);
void tcw_field_binary(struct tcw *w, int16_t id, const void *p, size_t n);
void tcw_field_string(struct tcw *w, int16_t id, const char *s);
void tcw_field_struct(struct tcw *w, int16_t id); /* header + struct_begin */
void tcw_field_list(struct tcw *w, int16_t id, enum tc_type elem, uint32_t n);
/* list element values */
void tcw_list(struct tcw *w, enum tc_type elem, uint32_t n);
void tcw_i32(struct tcw *w, int32_t v);
void tcw_binary(struct tcw *w, const void *p, size_t n);

/* Reader over untrusted bytes: every call is bounds-checked; the first
 * error (always ERR_CORRUPT) is sticky in err and makes later calls return
 * zero values. Usage per struct:
 *     tcr_struct_begin(r);
 *     while (tcr_field(r, &id, &type)) switch (id) { ... default: tcr_skip(r, type); }
 * tcr_field returns false at the struct's stop byte (closing the struct)
 * or on error. */
struct tcr {
	const uint8_t *p;
	const uint8_t *end;
	int err;
	int depth;
	int16_t last[TC_MAX_DEPTH];
	const char *what; /* first error's description */
};

void tcr_init(struct tcr *r, const void *p, size_t n);
void tcr_fail(struct tcr *r, const char *what);
void tcr_struct_begin(struct tcr *r);
bool tcr_field(struct tcr *r, int16_t *id, uint8_t *type);
int32_t tcr_i32(struct tcr *r, uint8_t type); /* i8/i16/i32 value of that field type */
int64_t tcr_i64(struct tcr *r, uint8_t type); /* any integer field type */
bool tcr_bool(struct tcr *r, uint8_t type);   /* field bool (type TC_TRUE/TC_FALSE) */
const uint8_t *tcr_binary(struct tcr *r, uint8_t type, uint32_t *n);
/* List header: returns element count (<= bytes left) and its type. */
uint32_t tcr_list(struct tcr *r, uint8_t type, uint8_t *elem);
int32_t tcr_elem_i32(struct tcr *r, uint8_t elem);
const uint8_t *tcr_elem_binary(struct tcr *r, uint8_t elem, uint32_t *n);
void tcr_skip(struct tcr *r, uint8_t type);
size_t tcr_offset(const struct tcr *r, const void *start);

#endif
