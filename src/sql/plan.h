/*
 * plan: the physical plan of a query - a tree of operators, each pulling
 * batches from its children - and the binder that builds it from the AST.
 * Private to src/sql.
 *
 * Operators (struct op, run by operators.c):
 *   SCAN      a table provider's batch stream (table column order; columns
 *             outside the projection come back empty); in partial mode
 *             (plan_pushdown.c) the provider's partial aggregation rows
 *   ONEROW    one row, no columns (SELECT without FROM)
 *   MATERIAL  a batch computed at plan time (VALUES, scalar subqueries)
 *   FILTER    keeps rows where a predicate is TRUE (gathers; passes the
 *             input batch through when every row qualifies)
 *   PROJECT   evaluates expressions; plain column results are borrowed,
 *             not copied
 *   AGG       hash aggregation (aggregates.c): group keys then aggregates;
 *             over a partial SCAN it merges the peers' partial states
 *   SORT      multi-key sort, with a fetch limit (top-k) when LIMIT follows
 *   LIMIT     OFFSET/LIMIT over batches
 *   DISTINCT  the first row of each distinct key (all columns, or the
 *             DISTINCT ON expressions), streaming
 *   UNION     concatenation of its inputs (UNION ALL)
 *   SETOP     INTERSECT / EXCEPT [ALL]
 *   JOIN      hash join on equality keys, nested loop otherwise
 *
 * Lifetime: op structs and expressions live in the statement arena; the
 * runtime memory (batches, hash tables, streams) is released by op_close,
 * which every plan gets exactly once (exec.c).
 *
 * Every op's next() returns a batch owned by the op (or by its child)
 * valid until the next call; *out NULL at the end.
 */
#ifndef STRATA_SQL_PLAN_H
#define STRATA_SQL_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "sql/ast.h"
#include "sql/exec.h"
#include "sql/expr.h"

enum op_kind {
	OP_SCAN,
	OP_ONEROW,
	OP_MATERIAL,
	OP_FILTER,
	OP_PROJECT,
	OP_AGG,
	OP_SORT,
	OP_LIMIT,
	OP_DISTINCT,
	OP_UNION,
	OP_SETOP,
	OP_JOIN,
};

struct sort_key {
	uint32_t col;
	bool desc;
	bool nulls_first;
};

struct op {
	int kind; /* enum op_kind */
	uint32_t ncols;
	int *types;         /* output types (dtype or XT_NULL) */
	const char **names; /* output names (for EXPLAIN) */
	struct op *child;
	struct op **inputs; /* UNION / SETOP / JOIN */
	uint32_t ninputs;
	/* runtime */
	struct batch out;
	bool out_init;
	bool opened;
	bool done;
	uint64_t rows_out;
	uint64_t batches_out;
	uint64_t elapsed_ns;
	union {
		struct {
			struct table_provider *t;
			struct scan_request req;
			bool *proj;          /* projection flags (arena) */
			struct scan_pred *preds;
			uint32_t npreds, cap_preds;
			struct batch_stream *stream;
			const char *qual;    /* the table name as written */
			int ts_col;          /* time index column or -1 */
			bool empty;          /* a pushed-down range is empty */
			/* partial aggregation mode (plan_pushdown.c): batches are
			 * the peers' partial states, ncols/types of the op */
			const struct partial_agg_req *partial;
		} scan;
		struct {
			struct batch b;
			bool sent;
		} mat;
		struct {
			struct xexpr *pred;
			uint32_t *sel;
			uint32_t cap;
		} filter;
		struct {
			struct xexpr **exprs;
			bool *borrowed;
		} proj;
		struct {
			struct xexpr **groups;
			uint32_t ngroups;
			struct xexpr **aggs; /* X_AGG nodes */
			uint32_t naggs;
			struct hagg *h;
			bool sent;
			uint64_t charged; /* bytes charged to the session (memory budget) */
			struct colvec *tmp; /* materialised constants, per group+agg+order */
			struct agg_window *win; /* time-bucket top-k windows (agg_window.c) or NULL */
		} agg;
		struct {
			struct sort_key *keys;
			uint32_t nkeys;
			uint64_t fetch; /* UINT64_MAX: all */
			struct batch acc;
			bool acc_init;
			uint32_t *perm;
			bool sorted;
			bool have_thr;   /* acc row fetch-1 bounds what can still qualify */
			/* plan_bound_topk_ts: the time bound handed to the scan
			 * below, tightened to acc row fetch-1's key 0 whenever
			 * have_thr is (re)established */
			bool ts_bounded;
			struct scan_ts_bound ts_bound;
			uint32_t emitted;
			uint64_t charged; /* bytes charged to the session (memory budget) */
		} sort;
		struct {
			uint64_t offset, limit;
			uint64_t seen, sent;
		} limit;
		struct {
			struct hagg *h;
			uint32_t *keys;     /* key columns (DISTINCT ON); NULL: all */
			uint32_t nkeys;
			uint8_t *seen;      /* per group: a row was emitted */
			uint32_t seen_cap;
			uint32_t *sel;
			uint32_t sel_cap;
			uint64_t charged; /* bytes charged to the session (memory budget) */
		} distinct;
		struct {
			uint32_t cur;
		} uni;
		struct {
			int op;   /* enum sql_setop */
			bool all;
			bool sent;
		} setop;
		struct {
			int kind;                /* enum sql_join_kind */
			uint32_t nkeys;
			struct xexpr **lkeys;    /* over the left input */
			struct xexpr **rkeys;    /* over the right input */
			struct xexpr *residual;  /* over the joined row; NULL if none */
			struct batch right;      /* the right side, materialised */
			bool built;
			void *state;             /* key vectors, match flags (plan_join.c) */
			uint32_t *next_row;      /* chains of right rows per hash slot */
			uint32_t *heads;
			uint64_t *rhash;
			uint32_t hmask;
			uint8_t *rmatched;
			const struct batch *lb;  /* current left batch */
			uint32_t lrow;           /* next left row to probe */
			bool left_done, tail_sent;
			uint32_t *sel_l, *sel_r;
			uint32_t sel_cap;
			struct batch tmp;        /* joined candidate rows */
			bool tmp_init;
		} join;
	} u;
};

/* The plan of one statement. */
struct plan {
	struct xctx cx;
	struct op *root;
	uint32_t ncols;
	const char **names;
	int *types;
	struct table_provider **providers; /* released at the end */
	uint32_t nproviders, cap_providers;
	struct op **ops;                    /* every op, closed at the end */
	uint32_t nops, cap_ops;
	bool analyze;
};

/* ---- operators (operators.c) -------------------------------------------- */

struct op *op_new(struct plan *p, int kind, uint32_t ncols);
int op_next(struct plan *p, struct op *o, const struct batch **out);
void op_close(struct op *o);
/* Charge the session's memory budget with the growth (or shrinking) of
 * what an operator holds: `now` bytes held, `*charged` what was charged
 * before (updated). Used by every operator that holds rows across batches:
 * aggregation, sort, DISTINCT, the join's build side. */
int op_charge_held(struct plan *p, uint64_t now, uint64_t *charged);
/* Run the plan to completion into rs (initialised here). */
int plan_run(struct plan *p, struct session *s, struct result_set *rs);

/* ---- top-k time buckets (agg_window.c) --------------------------------------- */

/* Called by a SORT before it reads its input: when it sorts (first key)
 * on a floor time bucket of the time index grouped by the AGG below it,
 * with a fetch limit, make that AGG read its scan in time windows from the
 * end the sort wants first. No-op when the shape does not match. */
void aggwin_setup(struct plan *p, struct op *sort);
/* After the AGG has consumed a window holding ngroups groups: *more is
 * set when it must read another window (the scan is pointed at it). */
int aggwin_advance(struct plan *p, struct op *agg, uint32_t ngroups, bool *more);
/* The rows of b inside the AGG's current window (b itself when all are;
 * else a batch owned by the window, valid until the next call). */
int aggwin_clip(struct op *agg, const struct batch *b, const struct batch **out);
void aggwin_free(struct op *agg);

/* ---- binder (plan.c, plan_expr.c) ------------------------------------------ */

struct scope_col {
	const char *qual;  /* relation qualifier as written ("t", "db.t") or NULL */
	const char *name;
	int type;
	struct op *scan;   /* the scan the column comes from directly, or NULL */
	uint32_t scan_col;
	bool time_index;
};

struct scope {
	uint32_t n;
	struct scope_col *cols; /* column i is column i of the input batch */
};

struct cte_ref {
	const struct sql_cte *cte;
	struct cte_ref *up;
};

/* Name lookups that fall back to SELECT aliases (GROUP BY, HAVING, ORDER BY). */
struct alias_map {
	uint32_t n;
	const char **names;
	const struct sql_expr **exprs; /* NULL when the item is a wildcard column */
	struct xexpr **bound;          /* the bound item (wildcard columns) */
};

struct binder {
	struct plan *p;
	struct xctx *cx;
	struct exec_env *env;
	struct session *s;
	struct arena *a;
	struct cte_ref *ctes;
	int depth;
	/* expression binding state */
	const struct scope *sc;
	const struct alias_map *aliases;
	bool allow_agg;
	const char *agg_context;    /* "WHERE", "GROUP BY"...: where aggregates are refused */
	struct xexpr ***agg_list;   /* collected X_AGG nodes */
	uint32_t *nagg;
	uint32_t *cap_agg;
	int ts_hint_col;            /* time index column of the input (first/last order) */
	const struct scope *ts_scope;
	const struct scope *last_select_in; /* input scope of the last SELECT planned */
};

int plan_query(struct binder *bd, const struct sql_query *q, struct op **out,
	       struct scope *osc);
int bind_expr(struct binder *bd, const struct sql_expr *e, struct xexpr **out);
/* Split a predicate into AND-ed conjuncts and push what fits into a scan. */
void pushdown_filter(struct binder *bd, struct op *scan, struct xexpr *pred);
/* SELECT DISTINCT ON (tags) ... ORDER BY those tags, time index DESC [, ...]
 * over a table scan (WHERE, if any, on tags only): add the storage hint
 * "last row per series" (storage/pred.h) to the scan. don / order are the
 * bound DISTINCT ON and ORDER BY expressions over `in`'s columns; the
 * engine still sorts and picks the first row of each key itself. */
void plan_hint_last_per_series(struct binder *bd, struct op *in, struct xexpr *const *don,
			       uint32_t ndon, struct xexpr *const *order, const bool *desc,
			       uint32_t norder);
/* The AGG over `in` (a table scan, maybe under FILTERs) does not need the
 * scan's (pk, ts) order (plan.c decides): add the storage hint "any series
 * order" (storage/merge.h) to the scan. */
void plan_hint_any_order(struct binder *bd, struct op *in);
/* A top-k SORT (fetch set) whose first key is the time index of a table
 * scan below it (through FILTERs and plain column projections only): give
 * the scan the sort's dynamic time bound (storage/scan.h struct
 * scan_ts_bound), which sort_next tightens once it holds fetch rows. */
void plan_bound_topk_ts(struct op *sort);
/* A LIMIT without ORDER BY over a table scan (through FILTERs and
 * PROJECTs): mark the scan's request first_rows (storage/scan.h). */
void plan_hint_first_rows(struct op *limit);
/* Partial aggregation pushdown (plan_pushdown.c): when the AGG operator
 * `ag` (planned over a scan, maybe under the WHERE filter) qualifies,
 * rewrite it to merge partial states from the provider's scan_partial.
 * item_ast / alias: the SELECT items' syntax (NULL for wildcard columns)
 * and aliases. Returns 0 (pushed or not) or an error (out of memory). */
int plan_pushdown_agg(struct binder *bd, const struct sql_select *sel, struct op *ag,
		      const struct sql_expr *const *item_ast, const char *const *alias,
		      uint32_t nitems);
/* Mark column i of scope sc as used by the query (projection). */
void scope_use(const struct scope *sc, uint32_t i);
/* Run a sub-plan to completion into a batch (scalar / IN subqueries). */
int plan_subquery(struct binder *bd, const struct sql_query *q, struct batch *out, int **types,
		  uint32_t *ncols);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* EXPLAIN rendering (plan_explain.c). */
int plan_explain(struct plan *p, bool analyze, bool verbose, struct result_set *rs);
/* Is output column col a timestamp difference (XOP_TS_DIFF) that reaches
 * the result unchanged (through sorts, limits, filters, DISTINCT and
 * column references)? Marks RS_KIND_DURATION columns for the protocols. */
bool plan_col_is_duration(const struct plan *p, uint32_t col);

#endif
