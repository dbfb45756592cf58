/*
 * catalog: schemas (databases), tables and their region routes, kept in
 * the metadata KV store. This is the metasrv's view of the world; the
 * frontend caches it.
 *
 * KV layout (values are JSON):
 *   __schema/{catalog}/{schema}              {"created_ms":N,"options":{...}}
 *   __table_name/{catalog}/{schema}/{table}  {"table_id":N}
 *   __table_info/{table_id}                  table_info_to_json
 *   __table_route/{table_id}                 table_route_to_json
 *   __table_id                               next table id (decimal; first 1024)
 *
 * table_info JSON:
 *   {"table_id":1024,"catalog":"greptime","schema":"public","name":"foo",
 *    "engine":"mito","created_ms":N,"region_schema":<schema.h JSON>,
 *    "options":[["ttl","7d"],...],            (WITH options as written)
 *    "partition_columns":["i"],
 *    "partition_rules":["i <= 0","i > 0"],    (one per region number)
 *    "comment":"..."}
 * table_route JSON:
 *   {"table_id":1024,"regions":[{"region_id":N,"leader":1,"followers":[0],
 *     "leader_state":null,"leader_down_since_ms":0}]}
 * Region ids and peer ids are written as JSON numbers below 2^53.
 */
#ifndef STRATA_META_CATALOG_H
#define STRATA_META_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/schema.h"

struct kv;
struct cJSON;

#define CATALOG_DEFAULT "greptime"
#define SCHEMA_DEFAULT "public"
#define MIN_USER_TABLE_ID 1024
#define ROUTE_MAX_FOLLOWERS 16

struct table_option {
	char *key;
	char *value;
};

struct table_info {
	uint32_t table_id;
	char *catalog;
	char *schema;
	char *name;
	char *engine;
	char *comment;
	int64_t created_ms;
	struct region_schema *region_schema;
	uint32_t noptions;
	struct table_option *options;
	uint32_t npartition_cols;
	char **partition_cols;
	uint32_t nrules;     /* 0 = one region, no partitioning */
	char **rules;        /* rule SQL text per region number */
};

struct region_route {
	uint64_t region_id;
	uint64_t leader;               /* datanode id */
	uint32_t nfollowers;
	uint64_t followers[ROUTE_MAX_FOLLOWERS]; /* in the order they were added */
	bool leader_downgrading;
	int64_t leader_down_since_ms;  /* 0 = up */
};

struct table_route {
	uint32_t table_id;
	uint32_t nregions;
	struct region_route *regions;
};

void table_info_free(struct table_info *t);
struct table_info *table_info_clone(const struct table_info *t);
struct cJSON *table_info_to_json(const struct table_info *t);
int table_info_from_json(const struct cJSON *j, struct table_info **out);
void table_route_free(struct table_route *r);
struct table_route *table_route_clone(const struct table_route *r);
struct cJSON *table_route_to_json(const struct table_route *r);
int table_route_from_json(const struct cJSON *j, struct table_route **out);

/* Schemas. create: ERR_EXISTS unless if_not_exists. drop: ERR_NOT_FOUND
 * unless if_exists; refuses (ERR_BAD_INPUT) to drop a schema with tables
 * only when `require_empty`. */
int catalog_create_schema(struct kv *kv, const char *catalog, const char *schema,
			  bool if_not_exists, bool *created);
int catalog_drop_schema(struct kv *kv, const char *catalog, const char *schema, bool if_exists,
			bool *dropped);
bool catalog_schema_exists(struct kv *kv, const char *catalog, const char *schema);
/* Sorted schema names; caller frees each and the array with mem_free. */
int catalog_list_schemas(struct kv *kv, const char *catalog, char ***names, uint32_t *n);
/* Create greptime.public and greptime_private if missing. */
int catalog_bootstrap(struct kv *kv);

/* Allocate a table id, then store name, info and route atomically.
 * info->table_id and the route's table/region ids are filled in.
 * ERR_EXISTS when the name is taken (with `created` false and no error
 * when if_not_exists). */
int catalog_create_table(struct kv *kv, struct table_info *info, struct table_route *route,
			 bool if_not_exists, bool *created);
/* ERR_NOT_FOUND when absent. */
int catalog_get_table(struct kv *kv, const char *catalog, const char *schema, const char *name,
		      struct table_info **out);
int catalog_get_table_by_id(struct kv *kv, uint32_t table_id, struct table_info **out);
int catalog_list_tables(struct kv *kv, const char *catalog, const char *schema,
			struct table_info ***out, uint32_t *n);
void catalog_free_tables(struct table_info **t, uint32_t n);
int catalog_drop_table(struct kv *kv, const struct table_info *info);
int catalog_update_table(struct kv *kv, const struct table_info *info);

int catalog_get_route(struct kv *kv, uint32_t table_id, struct table_route **out);
/* Replace the route only if it still equals `expected` (JSON compare). */
int catalog_cas_route(struct kv *kv, const struct table_route *expected,
		      const struct table_route *next);

#endif
