/*
 * schema: a region's columns and options, and the internal row layout that
 * every batch inside the storage engine uses.
 *
 * Columns have a semantic type: TAG (part of the primary key), FIELD, or
 * TIMESTAMP (the one time index). Row identity = (tags in primary-key
 * order, time index).
 *
 * Internal layout ("internal batch"), used by memtables, SSTs, the merge
 * and follower snapshots:
 *   columns 0 .. ncols-1   the region's columns, in schema order
 *   column ncols+0         __primary_key  BINARY  memcomparable encoding of the
 *                                               tags (pk_codec.h)
 *   column ncols+1         __sequence     UINT64  write sequence (per region)
 *   column ncols+2         __op_type      UINT8   OP_PUT or OP_DELETE
 * A sorted run is ordered by (__primary_key bytes asc, ts asc,
 * __sequence desc). In a scan, columns outside the projection may be left
 * empty (len 0); the internal columns and the time index are always filled.
 *
 * JSON form (manifest Change action, RPC):
 *   {"columns":[{"name":"ts","type":"TimestampMillisecond","semantic":"TIMESTAMP",
 *                "nullable":false,"column_id":0,"default":"current_timestamp()"}...],
 *    "primary_key":[1,2], "time_index":0,
 *    "options":{"append_mode":false,"merge_mode":"last_row","ttl_ms":0,
 *               "compaction_window_s":0,"write_buffer_size":0},
 *    "version":0}
 */
#ifndef STRATA_STORAGE_SCHEMA_H
#define STRATA_STORAGE_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "base/datatype.h"

struct cJSON;

enum semantic_type { SEM_TAG, SEM_FIELD, SEM_TIMESTAMP };
enum merge_mode { MERGE_LAST_ROW, MERGE_LAST_NON_NULL };
enum op_type { OP_DELETE = 0, OP_PUT = 1 };

#define SCHEMA_INTERNAL_COLS 3
#define SCHEMA_PK_NAME "__primary_key"
#define SCHEMA_SEQ_NAME "__sequence"
#define SCHEMA_OP_NAME "__op_type"

struct column_schema {
	char *name;
	enum dtype type;
	enum semantic_type sem;
	bool nullable;
	uint32_t column_id;
	char *default_sql; /* default expression text, NULL when none */
};

struct region_options {
	bool append_mode;
	enum merge_mode merge_mode;
	int64_t ttl_ms;              /* 0 = keep forever */
	int64_t compaction_window_s; /* 0 = pick from data */
	uint64_t write_buffer_size;  /* memtable budget in bytes, 0 = default */
};

struct region_schema {
	uint32_t ncols;
	struct column_schema *cols;
	uint32_t ts_col;
	uint32_t npk;
	uint32_t *pk_cols; /* indexes into cols, in primary-key order */
	struct region_options opts;
	uint64_t version;
};

/* Validate: exactly one TIMESTAMP column of a timestamp type, tags in
 * pk_cols, unique names. ERR_BAD_INPUT with a message otherwise. */
int region_schema_validate(const struct region_schema *s);
struct region_schema *region_schema_clone(const struct region_schema *s);
void region_schema_free(struct region_schema *s);
/* Returns a new cJSON object (caller frees with cJSON_Delete) or NULL. */
struct cJSON *region_schema_to_json(const struct region_schema *s);
/* Parse; *out is a new schema or NULL on error (ERR_CORRUPT). */
int region_schema_from_json(const struct cJSON *j, struct region_schema **out);
int region_schema_find(const struct region_schema *s, const char *name); /* index or -1 */
/* The dtypes of the internal layout (ncols + 3 entries) into types[]. */
void region_schema_internal_types(const struct region_schema *s, enum dtype *types);

#endif
