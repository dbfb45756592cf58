/*
 * frontend_int: what the frontend's .c files share (private to
 * src/frontend). See frontend.h for the module's contract.
 *
 * Statement flow (engine.c): parse the text in the session's dialect into
 * a per-request arena, then for each statement build a `struct fe_ctx`,
 * dispatch on the statement kind to a handler (ddl.c, dml.c, show.c,
 * admin.c, vars.c, ...) that fills a query_result, emit it, reset the
 * per-statement arena.
 *
 * Errors: a handler returns an err_code with the message in the thread's
 * error record. GreptimeDB's status code (shown by the MySQL server as
 * "(InvalidArguments): ..." and by the runner as "Error: 1004(...)") is
 * derived from the code, unless the handler chose one with fe_fail(),
 * which records it in a thread-local slot until the next statement.
 */
#ifndef STRATA_FRONTEND_FRONTEND_INT_H
#define STRATA_FRONTEND_FRONTEND_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/column.h"
#include "frontend/frontend.h"
#include "meta/catalog.h"
#include "server/handler.h"
#include "sql/ast.h"
#include "sql/exec.h"
#include "storage/region.h"

struct arena;
struct part_rules;

/* GreptimeDB status codes used by the frontend. */
enum {
	GT_UNKNOWN = 1000,
	GT_UNSUPPORTED = 1001,
	GT_UNEXPECTED = 1002,
	GT_INTERNAL = 1003,
	GT_INVALID_ARGUMENTS = 1004,
	GT_INVALID_SYNTAX = 2000,
	GT_PLAN_QUERY = 3000,
	GT_ENGINE_EXECUTE = 3001,
	GT_TABLE_EXISTS = 4000,
	GT_TABLE_NOT_FOUND = 4001,
	GT_COLUMN_NOT_FOUND = 4002,
	GT_DATABASE_NOT_FOUND = 4004,
	GT_REGION_NOT_FOUND = 4005,
	GT_TABLE_UNAVAILABLE = 4010,
	GT_DATABASE_EXISTS = 4011,
};

/* Reads routed by this frontend, per (region, peer): region_replicas. */
struct fe_read_count {
	uint64_t region_id;
	uint64_t node_id;
	uint64_t reads;
};

/* A resolved user table kept for later statements (standalone: see
 * frontend_options.catalog_gen): valid while the catalog generation is
 * still gen. */
#define FE_TABLE_CACHE 32
/* A table's info and route, shared read-only by the cache and the
 * statements using them; refs under frontend.tables_mu. */
struct fe_table_ref {
	uint32_t refs;
	struct table_info *info;
	struct table_route *route;
};
struct fe_cached_table {
	char *catalog, *schema, *name; /* NULL = empty slot */
	uint64_t gen;
	uint64_t last_use;
	struct fe_table_ref *ref; /* one reference */
};

struct frontend {
	struct kv *kv;
	/* resolved tables (fe_resolve_table) when catalog_gen is set */
	const _Atomic uint64_t *catalog_gen;
	pthread_mutex_t tables_mu;
	struct fe_cached_table tables[FE_TABLE_CACHE];
	uint64_t tables_clock;
	atomic_uint_fast64_t n_table_hits, n_table_misses;
	struct region_server *rs;  /* standalone */
	struct cluster_client *cc; /* cluster mode when set */
	pthread_mutex_t reads_mu;
	struct fe_read_count *reads;
	uint32_t nreads, reads_cap;
	uint64_t node_id;
	char *peer_addr;
	char *mode;
	char *version;
	int64_t start_ms;
	pthread_rwlock_t ddl; /* exclusive for DDL, shared for everything else */
	/* counters for /metrics */
	atomic_uint_fast64_t n_stmts, n_errors, n_rows_written, n_rows_read, n_ingest_rows;
};

/* Everything a statement handler needs. */
struct fe_ctx {
	struct frontend *fe;
	struct session *s;
	struct arena *a;     /* statement arena (reset after the statement) */
	struct exec_env env; /* env.ctx == this */
	const struct sql_stmt *st;
	/* SHOW ... WHERE: the in-memory table the filter query reads as
	 * "__show" (taken by resolve_table, released by the engine). */
	struct table_provider *show_table;
	/* Set by a write that may be retried (fe_insert, ingest_table): the
	 * regions whose share of the rows was acknowledged so far
	 * (fe_write_rows adds to it and skips them), so a retry after one
	 * region refused the batch never writes another region's share a
	 * second time (an append-mode table would keep both copies). NULL:
	 * no retry, nothing recorded. */
	struct fe_written_regions *written;
};

struct fe_written_regions {
	uint64_t ids[64]; /* region ids acknowledged */
	uint32_t n;
	bool overflow; /* more regions than ids holds: retrying is not safe */
};

/* ---- errors (engine.c) ---------------------------------------------- */

/* err_set(code, ...) and remember `status` as the GreptimeDB status of
 * this error. Returns code. */
int fe_fail(int status, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The GreptimeDB status for an error with `code` raised in this statement. */
int fe_status(int code);
void fe_status_reset(void);

/* ---- names and tables (engine.c) ------------------------------------ */

/* Split a table name: 1 part -> session catalog/schema; 2 -> schema.t;
 * 3 -> catalog.schema.t. Pointers into the name or the session. */
int fe_split_name(const struct fe_ctx *c, const struct sql_name *n, const char **catalog,
                  const char **schema, const char **table);
/* The table or ERR_NOT_FOUND "Table not found: greptime.public.t". */
int fe_get_table(struct fe_ctx *c, const char *catalog, const char *schema, const char *name,
                 struct table_info **out);
bool fe_schema_exists(struct fe_ctx *c, const char *catalog, const char *schema);
/* Quote-free canonical text of an expression (arena). */
char *fe_expr_text(struct fe_ctx *c, const struct sql_expr *e);
/* Run a query text (GreptimeDB dialect) through the engine into rs. */
int fe_run_query_text(struct fe_ctx *c, const char *sql, struct result_set *rs);
/* Run a parsed query through the engine. */
int fe_run_query(struct fe_ctx *c, const struct sql_query *q, struct result_set *rs);

/* ---- result sets (engine.c) ----------------------------------------- */

/* Result builder: push cells left to right, then fe_rs_row(). */
int fe_rs_init(struct result_set *rs, uint32_t ncols, const char *const *names,
               const enum dtype *types);
int fe_rs_str(struct result_set *rs, uint32_t col, const char *s); /* NULL -> null */
int fe_rs_strn(struct result_set *rs, uint32_t col, const char *s, size_t n);
int fe_rs_i64(struct result_set *rs, uint32_t col, int64_t v);
int fe_rs_f64(struct result_set *rs, uint32_t col, double v);
int fe_rs_null(struct result_set *rs, uint32_t col);
void fe_rs_row(struct result_set *rs);
/* Sort rows by the string value of column `col` (byte order). */
int fe_rs_sort(struct result_set *rs, const uint32_t *cols, uint32_t ncols);

/* SQL LIKE (% and _, backslash escape); ci: ASCII case-insensitive. */
bool fe_like(const char *pattern, const char *s, bool ci);

/* ---- in-memory tables (memtable.c) ---------------------------------- */

/* A provider serving `rows` (taken over; rows->ncols == ncols). Column
 * definitions and names are copied. */
int fe_mem_table(const char *name, uint32_t ncols, const struct table_column *cols,
                 struct batch *rows, struct table_provider **out);
/* Same from a result_set (taken over). */
int fe_mem_table_rs(const char *name, struct result_set *rs, struct table_provider **out);

/* ---- statement handlers ---------------------------------------------- */

int fe_create_database(struct fe_ctx *c, struct query_result *out);
int fe_drop_database(struct fe_ctx *c, struct query_result *out);
int fe_create_table(struct fe_ctx *c, struct query_result *out);
int fe_drop_table(struct fe_ctx *c, struct query_result *out);
int fe_truncate(struct fe_ctx *c, struct query_result *out);
int fe_alter_table(struct fe_ctx *c, struct query_result *out);
/* Create a one-region mito table with the given schema (taken over); no
 * error when it exists already (a concurrent creator won). */
int fe_create_table_from_schema(struct fe_ctx *c, const char *catalog, const char *schema,
                                const char *name, struct region_schema *rs);

int fe_insert(struct fe_ctx *c, struct query_result *out);
int fe_delete(struct fe_ctx *c, struct query_result *out);

int fe_show(struct fe_ctx *c, struct query_result *out);
int fe_describe(struct fe_ctx *c, const struct sql_name *name, struct query_result *out);
int fe_use(struct fe_ctx *c, struct query_result *out);

int fe_set(struct fe_ctx *c, struct query_result *out);
/* SELECT of only @@variables / simple session functions without FROM:
 * answered without the engine. Returns 1 when handled (out filled or an
 * error returned through *rc), 0 when the engine should run it. */
int fe_try_simple_select(struct fe_ctx *c, const struct sql_query *q, struct query_result *out,
                         int *rc);
/* The value of a server variable for SELECT @@x / SHOW VARIABLES; NULL if
 * unknown. buf holds the text when it is computed. */
const char *fe_var_value(struct fe_ctx *c, const char *name, char *buf, size_t bufsz);

int fe_admin(struct fe_ctx *c, struct query_result *out);
/* exec_env.call_function */
int fe_call_function(void *ctx, struct session *s, const char *name, const struct datum *args,
                     uint32_t nargs, struct arena *a, struct datum *out);
/* ADMIN functions by name (flush_table, compact_table, flush_region,
 * compact_region): ERR_NOT_FOUND when `name` is not one. */
int fe_admin_call(struct fe_ctx *c, const char *name, const struct datum *args, uint32_t nargs,
                  int64_t *result);

/* psql / PgJDBC catalog queries answered directly (pg_compat.c): 1 when
 * handled. */
int fe_pg_compat(struct fe_ctx *c, const char *sql, struct query_result *out, int *rc);

/* ---- table providers (table_provider.c) ------------------------------ */

/* Free the resolved tables fe keeps (frontend_close). */
void fe_table_cache_clear(struct frontend *fe);
int fe_resolve_table(void *ctx, struct session *s, const struct sql_name *name,
                     struct table_provider **out);
/* Provider over the regions of a user table (info and route taken over). */
int fe_user_table(struct fe_ctx *c, struct table_info *info, struct table_route *route,
                  struct table_provider **out);

/* ---- virtual schemas (information_schema.c, pg_catalog.c) ------------- */

#define FE_INFO_SCHEMA "information_schema"
#define FE_PG_CATALOG  "pg_catalog"

struct vcol {
	const char *name;
	enum dtype type;
	bool nullable;
	const char *type_name; /* greptime type name when it differs from dtype_name */
};
struct vtable {
	const char *name;
	uint32_t table_id;
	uint32_t ncols;
	const struct vcol *cols;
};

/* information_schema tables, sorted by name. */
const struct vtable *infoschema_tables(uint32_t *n);
const struct vtable *infoschema_find(const char *name);
int infoschema_provider(struct fe_ctx *c, const struct vtable *t, struct table_provider **out);
/* All rows of an information_schema table (rs initialised by the call). */
int infoschema_rows(struct fe_ctx *c, const struct vtable *t, struct result_set *rs);
int infoschema_init_rs(const struct vtable *t, struct result_set *rs);
/* greptime.public.numbers: one UInt32 column `number`, rows 0..99. */
const struct vtable *numbers_vtable(void);
int numbers_provider(struct table_provider **out);

/* pg_catalog tables (for PostgreSQL clients). */
const struct vtable *pgcat_find(const char *name);
int pgcat_provider(struct fe_ctx *c, const struct vtable *t, struct table_provider **out);

/* ---- values (values.c) ------------------------------------------------ */

/* GreptimeDB's Debug rendering of a type in error messages:
 * "Int32(Int32Type)", "String(StringType { size_type: Utf8 })". */
const char *fe_type_debug(enum dtype t);

/* Convert an INSERT / DEFAULT value expression to a value of `type` for
 * column `col` with GreptimeDB's rules (numbers parsed as the column
 * type, strings parsed for timestamps and dates in the session time
 * zone, current_timestamp()/now() = env.now_ms). Other expressions go
 * through sql_eval_const. Strings are allocated in the arena. */
int fe_value_from_expr(struct fe_ctx *c, const char *col, enum dtype type, const struct sql_expr *e,
                       struct datum *out);
/* Parse a timestamp string ("2023-04-29 00:00:00+00:00", ISO 8601, with
 * an optional fraction and zone) into units of `type`; strings without a
 * zone are local time of time zone tz. */
int fe_parse_timestamp(const char *s, size_t n, enum dtype type, const char *tz, int64_t *out);
int fe_parse_date(const char *s, size_t n, int64_t *days);
/* Cast a datum to `type` (numeric conversions, strings parsed); used for
 * partition literals and SELECT results inserted elsewhere. */
int fe_cast_datum(struct fe_ctx *c, const struct datum *in, enum dtype type, struct datum *out);
/* Append the text of a datum as GreptimeDB prints a default value. */
int fe_datum_text(struct buf *b, const struct datum *d);

/* ---- partitions (partition.c) ----------------------------------------- */

/* Compile a table's partition rules (rule texts over partition columns).
 * NULL *out when the table has no rules. */
int part_rules_compile(const struct table_info *t, struct part_rules **out);
void part_rules_free(struct part_rules *p);
/* Region number of every row of `rows` (columns in schema order): the
 * first matching rule, 0 when none matches. */
int part_rules_route(const struct part_rules *p, const struct batch *rows, uint32_t *region);
/* Could a row of region `number` satisfy every predicate? */
bool part_rules_may_match(const struct part_rules *p, uint32_t number,
                          const struct scan_pred *preds, uint32_t npreds);
/* CREATE TABLE: GreptimeDB's checkpoint coverage check over the rules
 * (1004 "Checkpoint `a=10` is not covered" / "is overlapped"). */
int part_rules_check(struct fe_ctx *c, const struct region_schema *s, const char *const *pcols,
                     uint32_t npcols, struct sql_expr *const *rules, uint32_t nrules);

/* A simple predicate evaluator (col OP literal, AND, OR, NOT, IS NULL,
 * IN, BETWEEN) over a batch whose columns are named by names[]; returns
 * ERR_UNSUPPORTED for anything else so the caller can use the engine. */
int fe_eval_simple_predicate(struct fe_ctx *c, const struct sql_expr *e, const struct batch *b,
                             const char *const *names, uint8_t *sel);

/* ---- regions (regions.c) ---------------------------------------------------
 * The one place the frontend touches regions: standalone through the
 * in-process region_server and the catalog, cluster mode through the
 * cluster_client (DDL and follower procedures run on the metasrv). */

bool fe_is_cluster(const struct frontend *fe);
/* Create a table of `nregions` regions (catalog entry, route, regions);
 * t->table_id is filled in. ERR_EXISTS (message set) when the name is
 * taken unless if_not_exists. */
int fe_regions_create_table(struct frontend *fe, struct table_info *t, uint32_t nregions,
                            bool if_not_exists, bool *created);
/* Remove the table from the catalog, then drop its regions (leaders and
 * followers). */
int fe_regions_drop_table(struct frontend *fe, const struct table_info *t);
int fe_regions_truncate_table(struct frontend *fe, const struct table_info *t,
                              const struct table_route *route);
/* Rows (user columns in the layout of region schema `schema_version`) to
 * the region's leader, which refuses them with ERR_CONFLICT
 * (REGION_SCHEMA_MISMATCH, storage/region.h) when its schema has
 * another version: the caller reloads the table and rebuilds. */
int fe_region_write(struct frontend *fe, const struct region_route *rr, const struct batch *rows,
                    enum op_type op, uint64_t schema_version);
int fe_region_flush(struct frontend *fe, uint64_t region_id);
int fe_region_compact(struct frontend *fe, uint64_t region_id);

/* Who served a region read. */
struct fe_served {
	uint64_t node_id;
	bool is_leader;
};
/* A scan of one region on the peer chosen by read preference `pref`
 * (enum read_preference): batches of the region's user columns (columns
 * left out by the projection are empty). `follower` without a live
 * follower fails with GreptimeDB's "Failed to find region peer for region
 * id ..., read preference: FOLLOWER". *served says which peer answers;
 * the read is counted for region_replicas.reads_served. In a cluster the
 * region's answer is held whole until the scan closes: it is charged to
 * the memory budget of session `s` (may be NULL) meanwhile. */
struct fe_scan;
int fe_region_scan_open(struct frontend *fe, struct session *s, const struct region_route *rr,
                        int pref, const struct scan_request *req,
                        const struct region_schema *schema, struct fe_scan **out,
                        struct fe_served *served);
/* The same region read with the partial aggregation pa pushed to the
 * peer (cluster only; ERR_UNSUPPORTED in standalone): batches are pa's
 * partial rows. */
int fe_region_partial_open(struct frontend *fe, struct session *s,
                           const struct region_route *rr, int pref,
                           const struct scan_request *req, const struct region_schema *schema,
                           const struct partial_agg_req *pa, struct fe_scan **out,
                           struct fe_served *served);
/* Aggregation pushdown switch: on unless the environment variable
 * STRATA_AGG_PUSHDOWN or the session variable strata_agg_pushdown
 * (SET strata_agg_pushdown = 0) says 0 / off / false (kept for tests). */
bool fe_agg_pushdown_enabled(const struct session *s);
/* *out valid until the next call; NULL at the end. */
int fe_region_scan_next(struct fe_scan *s, const struct batch **out);
void fe_region_scan_close(struct fe_scan *s);
/* Reads this frontend sent to (region, node). */
uint64_t fe_reads_served(struct frontend *fe, uint64_t region_id, uint64_t node_id);

/* Region statistics of every peer: the node's own in standalone, every
 * datanode's last heartbeat in a cluster. */
struct fe_peer_stat {
	uint64_t node_id;
	struct region_stat st;
};
struct fe_nodes {
	uint32_t n;
	struct fe_node {
		uint64_t id;
		int type; /* enum cluster_node_type */
		char addr[128];
		int status; /* enum node_status */
		int64_t start_time_ms;
		int64_t last_heartbeat_ms;
	} *nodes;
	struct fe_peer_stat *stats;
	uint32_t nstats;
	int64_t now_ms;
};
/* Nodes (cluster mode: from the metasrv; standalone: this one) and stats. */
int fe_nodes_get(struct frontend *fe, struct fe_nodes *out);
void fe_nodes_free(struct fe_nodes *n);
/* Address of datanode `id` ("" when unknown). */
const char *fe_nodes_addr(const struct fe_nodes *n, uint64_t id);
const struct region_stat *fe_nodes_stat(const struct fe_nodes *n, uint64_t node_id,
                                        uint64_t region_id);

/* Follower procedures (cluster only; standalone: a clear error). Return
 * the number of follower changes. */
enum fe_follower_op {
	FE_ADD_TABLE_FOLLOWER,
	FE_REMOVE_TABLE_FOLLOWER,
	FE_ADD_REGION_FOLLOWER,
	FE_REMOVE_REGION_FOLLOWER,
};
int fe_follower_proc(struct frontend *fe, enum fe_follower_op op, uint32_t table_id,
                     uint64_t region_id, uint64_t datanode_id, const uint64_t *dns, uint32_t ndns,
                     uint32_t *changes);

/* ---- writes (dml.c) ---------------------------------------------------- */

/* Write rows (schema layout) of a user table to its regions, split by the
 * partition rules; each region's share is one region write. With
 * c->written set, regions listed there are skipped and each region that
 * acknowledges its share is added. */
int fe_write_rows(struct fe_ctx *c, const struct table_info *t, const struct table_route *route,
                  const struct batch *rows, enum op_type op);

/* After a write of table catalog.schema.name built for schema `version`
 * failed with rc: true when rc is a region's REGION_SCHEMA_MISMATCH
 * refusal in a cluster and the catalog now holds another version of the
 * table (waited for up to FE_SCHEMA_WAIT_MS: the ALTER procedure changes
 * the regions first), so the caller rebuilds its batch and retries once.
 * False otherwise (the error record then says why), also when
 * c->written overflowed (the retry could not skip the regions already
 * written). Standalone never
 * retries: its DDL lock keeps writes and ALTERs apart, and a catalog
 * behind its regions is healed by fe_alter_reconcile at open. */
#define FE_SCHEMA_WAIT_MS 5000
bool fe_schema_changed_under(struct fe_ctx *c, int rc, const char *catalog, const char *schema,
                             const char *name, uint64_t version);

#endif
