/*
 * line_protocol: the InfluxDB line protocol parser behind the HTTP write
 * endpoints (/v1/influxdb/write, /v1/influxdb/api/v2/write).
 *
 * A request body is parsed in one pass into columns, grouped by
 * measurement (one lp_table per measurement, in order of first
 * appearance). A table's columns are the union of the tag keys and field
 * keys its lines used, in order of first appearance, plus the time index
 * column LP_TS_COLUMN, which is created right after the first line's
 * fields (GreptimeDB's order for auto-created tables):
 *
 *   kind          dtype                                  nulls
 *   LP_TAG        DT_STRING                              where a line lacks the tag
 *   LP_FIELD      DT_FLOAT64 | DT_INT64 | DT_UINT64 |    where a line lacks the field
 *                 DT_STRING | DT_BOOL
 *   LP_TIMESTAMP  LP_TS_TYPE (nanoseconds since epoch)   never
 *
 * Syntax accepted (one point per line):
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *   - escapes: measurement "\," "\ " "\\"; tag keys, tag values and field
 *     keys "\," "\=" "\ " "\\"; string field values "\"" "\\". A backslash
 *     before any other byte is kept literally.
 *   - field values: float (1, 1.0, -0.5, 1e3, .5), integer (1i), unsigned
 *     (1u), string ("..." - may span lines), boolean (t T true True TRUE,
 *     f F false False FALSE).
 *   - timestamp: a signed integer in the request's precision; missing means
 *     "now" truncated to that precision. It is scaled to nanoseconds with
 *     integer arithmetic; a result outside int64 is an error.
 *   - blank lines, lines starting with '#', runs of spaces/tabs between
 *     sections, CRLF line ends.
 * Errors (ERR_BAD_INPUT, or ERR_LIMIT for the size limits below) name the
 * 1-based line where the offending point starts, in err_msg() and in
 * lp_batch.err_line: syntax errors, bad numbers, integer/timestamp
 * overflow, duplicate keys in a line, a key used both as tag and as field,
 * a field whose type differs from an earlier line of the same request, a
 * key equal to LP_TS_COLUMN, invalid UTF-8 and NUL bytes.
 *
 * Invariants once lp_parse returns ERR_OK: every column of a table holds
 * exactly rows.nrows values; tags never hold NULs or invalid UTF-8.
 * After an error the batch's contents are unspecified: free or reset it.
 * Parsing does no allocation per value: names are interned once per table
 * and values are appended to the table's column vectors.
 */
#ifndef STRATA_SERVER_LINE_PROTOCOL_H
#define STRATA_SERVER_LINE_PROTOCOL_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/column.h"
#include "base/datatype.h"

/* GreptimeDB's name and type for the time index of line-protocol tables. */
#define LP_TS_COLUMN "greptime_timestamp"
#define LP_TS_TYPE   DT_TS_NS

/* Limits against hostile bodies (ERR_LIMIT). */
#define LP_MAX_NAME    4096   /* bytes of a measurement, tag key or field key */
#define LP_MAX_COLUMNS 4096   /* columns per measurement */
#define LP_MAX_TABLES  100000 /* measurements per request */

enum lp_precision { LP_PREC_NS, LP_PREC_US, LP_PREC_MS, LP_PREC_S, LP_PREC_M, LP_PREC_H };

/* Parse a precision name as GreptimeDB does for both write APIs: n ns u us
 * µ ms s m h. ERR_BAD_INPUT for anything else. */
int lp_precision_parse(const char *s, enum lp_precision *out);

enum lp_col_kind { LP_TAG, LP_FIELD, LP_TIMESTAMP };

struct lp_column {
	const char *name; /* unescaped, NUL-terminated; owned by the batch */
	uint32_t name_len;
	enum lp_col_kind kind;
	enum dtype type;
};

struct lp_table_int;

struct lp_table {
	const char *name; /* measurement, unescaped, NUL-terminated */
	uint32_t name_len;
	uint32_t ncols;
	struct lp_column *cols;  /* cols[i] describes rows.cols[i] */
	uint32_t ts_col;         /* index of the LP_TIMESTAMP column */
	struct batch rows;       /* rows.ncols == ncols */
	struct lp_table_int *in; /* parser state; not for consumers */
};

struct lp_state;

struct lp_batch {
	uint32_t ntables;
	struct lp_table **tables; /* in order of first appearance */
	uint64_t nrows;           /* points in all tables */
	uint64_t err_line;        /* line of the last error, 0 when none */
	struct lp_state *st;      /* parser state; not for consumers */
	bool slow_path;           /* tests: parse without the fast paths */
};

void lp_batch_init(struct lp_batch *b);
void lp_batch_free(struct lp_batch *b);

/* Parse `len` bytes of line protocol and append the points to b (which may
 * already hold points of an earlier call). now_ns is the time for points
 * without a timestamp, before truncation to `prec`. */
int lp_parse(struct lp_batch *b, const char *text, size_t len, enum lp_precision prec,
             int64_t now_ns);

/* The table of measurement `name`, or NULL. */
const struct lp_table *lp_batch_find(const struct lp_batch *b, const char *name);
/* Index of column `name` in t, or -1. */
int lp_table_col(const struct lp_table *t, const char *name);

/* Wall-clock nanoseconds since the epoch (for now_ns). */
int64_t lp_now_ns(void);

#endif
