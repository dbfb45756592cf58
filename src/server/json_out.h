/*
 * json_out: GreptimeDB's HTTP JSON ("greptimedb_v1" format of /v1/sql),
 * written straight into a struct buf, plus the status mapping of its error
 * responses.
 *
 * Response bodies (field order as GreptimeDB's serde output):
 *   success  {"output":[OUT,...],"execution_time_ms":N}   ("output" omitted
 *            when there is no statement)
 *   OUT      {"records":{"schema":{"column_schemas":[{"name":S,"data_type":T},...]},
 *                        "rows":[[V,...],...],"total_rows":N}}
 *            | {"affectedrows":N}
 *   error    {"code":STATUS,"error":S,"execution_time_ms":N}
 * T is the GreptimeDB type name (dtype_name: "Int64", "TimestampMillisecond").
 * Values V follow GreptimeDB's Value -> JSON conversion: null; booleans
 * true/false; integers as JSON integers (uint64 unsigned); floats in the
 * shortest form that reads back to the same double, serde_json/ryu layout
 * ("1.0", "0.1", "1e16", "1.5e-7"), non-finite -> null; strings as JSON
 * strings; binary as an array of byte values; dates as days since the
 * epoch; timestamps as integers in the column's unit.
 *
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 become
 * U+FFFD so that the output is always valid JSON.
 */
#ifndef STRATA_SERVER_JSON_OUT_H
#define STRATA_SERVER_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/column.h"

struct result_set;

/* All return ERR_OK or ERR_NOMEM. */
int json_out_string(struct buf *b, const char *s, size_t n);
int json_out_double(struct buf *b, double d);
/* Value i of v (null-aware). */
int json_out_value(struct buf *b, const struct colvec *v, uint32_t i);
/* {"records":...} of rs; at most `limit` rows are written (UINT64_MAX for
 * all) while total_rows stays the full count. */
int json_out_records(struct buf *b, const struct result_set *rs, uint64_t limit);
int json_out_affected(struct buf *b, uint64_t n);
int json_out_error(struct buf *b, int greptime_status, const char *msg, uint64_t exec_ms);

/* HTTP status GreptimeDB sends with an error of this status code (1004 ->
 * 400, 4001 -> 400, 7002 -> 401, 1003 -> 500, 5000 -> 503...). */
int json_http_status(int greptime_status);

#endif
