/*
 * exec: the SQL query engine's public interface - plans and runs queries
 * (SELECT and everything that reads rows) over tables provided by the
 * caller, vectorized over struct batch (base/column.h).
 *
 * The engine knows nothing about regions, catalogs or the network: a
 * table is a `struct table_provider` handed out by the caller's resolver
 * (the frontend resolves user tables to region scans, information_schema
 * tables to in-memory batches, `numbers` to a generator). Everything a
 * provider does not filter itself is filtered again by the engine, so
 * pushdown is an optimisation only.
 *
 * Memory: the plan lives in the arena of the statement; results are
 * copied into the caller's result_set.
 *
 * Errors (err.h codes, message in the error record, GreptimeDB's texts):
 *   ERR_PLAN (3000 PlanQuery)        "Failed to plan SQL: No field named x.
 *                                     Valid fields are t.a, t.b." ...
 *   ERR_EXEC (3001 EngineExecuteQuery) "Divide by zero error", "Cast error:
 *                                     ...", "Parser error: ..." ...
 *   ERR_NOT_FOUND                    from resolve_table, prefixed "Failed to
 *                                     plan SQL: " as GreptimeDB prints it
 *   ERR_LIMIT / ERR_NOMEM            nesting or memory limits
 *   anything else a provider's scan or the caller's functions return.
 */
#ifndef STRATA_SQL_EXEC_H
#define STRATA_SQL_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/column.h"
#include "storage/scan.h"

struct arena;
struct session;
struct result_set;
struct sql_name;
struct sql_query;
struct sql_expr;
struct sql_stmt;

/* A stream of batches; next() sets *out to NULL at the end. The batch is
 * owned by the stream and valid until the next call. */
struct batch_stream {
	int (*next)(struct batch_stream *s, const struct batch **out);
	void (*close)(struct batch_stream *s);
};

struct table_column {
	const char *name;
	enum dtype type;
	bool nullable;
	bool is_tag;        /* primary-key column */
	bool is_time_index;
};

/* A partial aggregation a provider runs where the rows are (cluster
 * aggregation pushdown; sql/plan_pushdown.c documents the query and the
 * column layout). */
struct partial_agg_req {
	const char *sql;         /* the per-region query (SELECT ... FROM t ...) */
	uint32_t ncols;
	const enum dtype *types; /* the columns every batch must have */
	int64_t now_ms;          /* statement time (now()) */
};

struct table_provider {
	const char *name;
	uint32_t ncols;
	const struct table_column *cols;
	/* Open a scan. req carries the projection (columns left out may come
	 * back empty, len 0), a time range on the time index and simple
	 * predicates (column OP literal) the provider may use; it must not
	 * drop rows that match them. Batches have ncols columns in table
	 * order. */
	int (*scan)(struct table_provider *t, const struct scan_request *req,
		    struct batch_stream **out);
	/* Optional: how the scan of each region was served, for EXPLAIN
	 * ANALYZE ("region 4398046511104 on peer 1 (follower)"); NULL if none.
	 * Each line of the text becomes one stage-1 row (one per region
	 * scanned, as GreptimeDB prints them: `SeqScan: region=4398046511104
	 * (1024, 0), "partition_count":{...}`). */
	const char *(*describe_scan)(struct table_provider *t);
	/* Optional: run pa->sql against each region the request may match
	 * (req: projection, time range, predicates for pruning) where the
	 * region is served, and stream the per-region partial rows (pa->ncols
	 * columns of pa->types). NULL: not offered. */
	int (*scan_partial)(struct table_provider *t, const struct scan_request *req,
			    const struct partial_agg_req *pa, struct batch_stream **out);
	void (*release)(struct table_provider *t);
	void *ctx;
};

/* What the engine needs from its caller. */
struct exec_env {
	void *ctx;
	/* Resolve a (possibly qualified) table name for the session:
	 * ERR_NOT_FOUND with GreptimeDB's message when there is none. The
	 * provider is released by the engine. */
	int (*resolve_table)(void *ctx, struct session *s, const struct sql_name *name,
			     struct table_provider **out);
	/* Optional scalar functions the caller implements (read_preference(),
	 * database(), version(), ADMIN functions used via SELECT...): return
	 * ERR_NOT_FOUND to let the engine report "unknown function". */
	int (*call_function)(void *ctx, struct session *s, const char *name,
			     const struct datum *args, uint32_t nargs, struct arena *a,
			     struct datum *out);
	int64_t now_ms; /* statement start time (now(), current_timestamp) */
};

/* Run a query (SELECT / VALUES / set operations / subqueries) into rs
 * (initialised by the call). Column names follow GreptimeDB's rendering
 * (an alias, a column name, or the expression text as DataFusion prints
 * it, e.g. "count(*)", "avg(cpu.usage)"). */
int sql_exec_query(struct exec_env *env, struct session *s, const struct sql_query *q,
		   struct arena *a, struct result_set *rs);

/* EXPLAIN [ANALYZE] of a query into a two-column result (plan_type, plan). */
int sql_exec_explain(struct exec_env *env, struct session *s, const struct sql_stmt *st,
		     struct arena *a, struct result_set *rs);

/* Evaluate a constant expression (no column references), then cast the
 * value to `target` with GreptimeDB's rules (string -> timestamp parsing in
 * the session time zone, numeric range checks). Byte values are allocated
 * in the arena. ERR_BAD_INPUT with a clear message when it cannot be
 * cast. Used for INSERT VALUES, DEFAULTs and partition rule literals. */
int sql_eval_const(struct exec_env *env, struct session *s, const struct sql_expr *e,
		   enum dtype target, struct arena *a, struct datum *out);

/* Evaluate a boolean expression over a batch whose columns are named by
 * names[] (partition rules, DELETE ... WHERE): sel[i] = 1 where it is
 * TRUE, 0 where FALSE or NULL. */
int sql_eval_predicate(struct exec_env *env, struct session *s, const struct sql_expr *e,
		       const struct batch *b, const char *const *names, struct arena *a,
		       uint8_t *sel);

#endif
