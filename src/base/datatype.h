/*
 * datatype: Strata's column types, written once (DATATYPES) and shared by
 * storage, SQL and the protocol servers.
 *
 * Every type has one physical representation in memory:
 *   PHYS_I64   bool, all integers, date (days since epoch), timestamps
 *              (count of the column's unit since epoch). uint64 is kept as
 *              its bit pattern in an int64_t.
 *   PHYS_F64   float32 and float64 (float32 values are rounded to float).
 *   PHYS_BYTES string (UTF-8) and binary.
 */
#ifndef STRATA_BASE_DATATYPE_H
#define STRATA_BASE_DATATYPE_H

#include <stdbool.h>
#include <stdint.h>

enum phys_kind { PHYS_I64, PHYS_F64, PHYS_BYTES };

/* X(enum suffix, greptime name, SQL name for SHOW CREATE, physical kind) */
#define DATATYPES(X)                                                  \
	X(BOOL, "Boolean", "BOOLEAN", PHYS_I64)                       \
	X(INT8, "Int8", "TINYINT", PHYS_I64)                          \
	X(INT16, "Int16", "SMALLINT", PHYS_I64)                       \
	X(INT32, "Int32", "INT", PHYS_I64)                            \
	X(INT64, "Int64", "BIGINT", PHYS_I64)                         \
	X(UINT8, "UInt8", "TINYINT UNSIGNED", PHYS_I64)               \
	X(UINT16, "UInt16", "SMALLINT UNSIGNED", PHYS_I64)            \
	X(UINT32, "UInt32", "INT UNSIGNED", PHYS_I64)                 \
	X(UINT64, "UInt64", "BIGINT UNSIGNED", PHYS_I64)              \
	X(FLOAT32, "Float32", "FLOAT", PHYS_F64)                      \
	X(FLOAT64, "Float64", "DOUBLE", PHYS_F64)                     \
	X(STRING, "String", "STRING", PHYS_BYTES)                     \
	X(BINARY, "Binary", "VARBINARY", PHYS_BYTES)                  \
	X(DATE, "Date", "DATE", PHYS_I64)                             \
	X(TS_S, "TimestampSecond", "TIMESTAMP(0)", PHYS_I64)          \
	X(TS_MS, "TimestampMillisecond", "TIMESTAMP(3)", PHYS_I64)    \
	X(TS_US, "TimestampMicrosecond", "TIMESTAMP(6)", PHYS_I64)    \
	X(TS_NS, "TimestampNanosecond", "TIMESTAMP(9)", PHYS_I64)

enum dtype {
#define X(e, n, s, p) DT_##e,
	DATATYPES(X)
#undef X
	DT__COUNT
};

const char *dtype_name(enum dtype t);      /* "Int32" */
const char *dtype_sql_name(enum dtype t);  /* "INT" */
enum phys_kind dtype_phys(enum dtype t);
/* Parse a greptime name ("Int32", "TimestampMillisecond"); -1 if unknown. */
int dtype_from_name(const char *name);
bool dtype_is_timestamp(enum dtype t);
bool dtype_is_unsigned(enum dtype t);
bool dtype_is_integer(enum dtype t);
/* Units per second of a timestamp type (1, 1e3, 1e6, 1e9); 0 otherwise. */
int64_t dtype_ts_units_per_sec(enum dtype t);

#endif
