/*
 * expr: bound (typed) expressions of the query engine and their vectorized
 * evaluation over batches. Private to src/sql (planner, operators,
 * functions, aggregates).
 *
 * A bound expression (struct xexpr) is produced by the binder (plan_expr.c)
 * from the AST: names are resolved to column positions of the operator's
 * input batch, types are known and every implicit coercion is an explicit
 * X_CAST node, so evaluation never guesses a type.
 *
 * Types: an expression's `type` is an enum dtype, or one of the XT_*
 * pseudo types that only constants may have (an untyped NULL literal, an
 * INTERVAL). Booleans are DT_BOOL vectors (0/1 in i64[] with validity).
 *
 * Evaluation (x_eval) over a batch of n rows gives an xval: either a
 * vector of exactly n values or a constant. A vector result points at an
 * input column or at the node's own scratch vector (`out`), which is reused
 * from batch to batch (no per-row allocation) and freed by xctx_release.
 * The caller consumes an xval before evaluating the same node again.
 *
 * Errors follow DataFusion/GreptimeDB texts: ERR_EXEC (3001) for failures
 * while running ("Divide by zero error", "Arithmetic overflow: Overflow
 * happened on: 1 + 2", "Cast error: ..."), ERR_PLAN (3000) for binding
 * ("Failed to plan SQL: ...").
 */
#ifndef STRATA_SQL_EXPR_H
#define STRATA_SQL_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/column.h"
#include "base/hash.h" /* hash_u64, hash_bytes: vec_hash and the hash tables built on it */
#include "server/value_format.h"
#include "sql/exec.h"

struct arena;
struct session;
struct sql_expr;

/* Pseudo types beyond enum dtype. */
enum {
	XT_NULL = DT__COUNT, /* an untyped NULL literal */
	XT_INTERVAL,         /* INTERVAL constant: xexpr.u.iv */
	XT__COUNT
};

struct interval {
	int64_t months;
	int64_t days;
	int64_t nanos;
};

/* The physical kind of a type (pseudo types count as PHYS_I64); inline
 * for the kernels. */
static inline enum phys_kind xphys(int t)
{
	return t == DT_FLOAT32 || t == DT_FLOAT64 ? PHYS_F64
	       : t == DT_STRING || t == DT_BINARY ? PHYS_BYTES
						  : PHYS_I64;
}

/* Arrow's rendering of a type ("Int64", "Utf8", "Timestamp(ms)"). */
const char *xtype_arrow_name(int t);
bool xtype_is_numeric(int t);
bool xtype_is_int(int t);
bool xtype_is_float(int t);
bool xtype_is_temporal(int t); /* date or timestamp */

struct xval {
	const struct colvec *v; /* n values, or NULL: the constant c */
	struct datum c;
};

enum xkind {
	X_COL,   /* u.col */
	X_CONST, /* u.c (u.iv for XT_INTERVAL) */
	X_BIN,   /* u.bin */
	X_NOT,   /* u.un.a */
	X_NEG,   /* u.un.a */
	X_IS,    /* u.is */
	X_CAST,  /* u.un.a -> type */
	X_CASE,  /* u.cs */
	X_IN,    /* u.in */
	X_LIKE,  /* u.like */
	X_FUNC,  /* u.fn */
	X_AGG,   /* u.agg: aggregate call, replaced before execution */
	X_OUTREF, /* u.col: a select output column, during ORDER BY binding only */
};

enum xop {
	XOP_ADD, XOP_SUB, XOP_MUL, XOP_DIV, XOP_MOD,
	XOP_EQ, XOP_NE, XOP_LT, XOP_LE, XOP_GT, XOP_GE,
	XOP_AND, XOP_OR,
	XOP_CONCAT,
	XOP_BITAND, XOP_BITOR, XOP_BITXOR, XOP_SHL, XOP_SHR,
	XOP_REGEX,       /* ~ (flags: case-insensitive, negated) */
	XOP_DISTINCT,    /* IS DISTINCT FROM */
	XOP_NOTDISTINCT, /* IS NOT DISTINCT FROM, <=> */
	XOP_TS_ADD_IV,   /* timestamp/date + interval constant */
	XOP_TS_SUB_IV,
	XOP_TS_DIFF,     /* timestamp - timestamp: a duration (rendered text) */
	XOP_DATE_DIFF,   /* date - date: days */
};

/* The comparison that holds with the operands swapped (a < b == b > a);
 * any other operator unchanged. */
static inline int xop_mirror(int op)
{
	switch (op) {
	case XOP_LT: return XOP_GT;
	case XOP_LE: return XOP_GE;
	case XOP_GT: return XOP_LT;
	case XOP_GE: return XOP_LE;
	default: return op;
	}
}

enum xis { XIS_NULL, XIS_TRUE, XIS_FALSE, XIS_UNKNOWN };

struct xctx;
struct xexpr;

/* A scalar function implementation. Arguments are evaluated first; the
 * function fills `out` (the node's scratch vector) or returns a constant. */
typedef int (*xfunc_eval_fn)(struct xctx *cx, struct xexpr *e, const struct xval *args,
			     uint32_t n, struct xval *out);

struct xfunc_def;
struct agg_def;

struct xexpr {
	int kind;          /* enum xkind */
	int type;          /* enum dtype or XT_* */
	const char *name;  /* DataFusion's display name ("sum(t.v)", "Int64(1)") */
	const char *qual;  /* X_COL: the relation qualifier (for display), or NULL */
	struct colvec out; /* scratch result vector, owned */
	struct colvec *tmp; /* more scratch vectors (CASE branches), owned */
	uint32_t ntmp;
	void *aux;          /* per-node runtime state (compiled regex), owned */
	void (*aux_free)(void *aux);
	struct xexpr *next_alloc;
	union {
		uint32_t col;
		struct datum c; /* X_CONST; strings point into the arena */
		struct interval iv;
		struct {
			int op; /* enum xop */
			int ct; /* the type both operands have (after casts) */
			bool ci, neg; /* XOP_REGEX: case-insensitive, negated */
			struct xexpr *a, *b;
			struct interval iv; /* XOP_TS_*_IV */
		} bin;
		struct {
			struct xexpr *a;
		} un;
		struct {
			struct xexpr *a;
			int what; /* enum xis */
			bool neg;
		} is;
		struct {
			struct xexpr *operand; /* may be NULL */
			struct xexpr **when, **then;
			uint32_t nwhen;
			struct xexpr *else_; /* may be NULL */
		} cs;
		struct {
			struct xexpr *a;
			struct datum *list; /* sorted, distinct, non-null; arg's type */
			uint32_t nlist;
			bool has_null; /* the list held a NULL */
			bool neg;
		} in;
		struct {
			struct xexpr *a, *pat;
			char esc; /* escape character, 0 for none */
			bool ci, neg;
		} like;
		struct {
			const struct xfunc_def *def;
			struct xexpr **args;
			uint32_t nargs;
			int64_t iarg;       /* per-function constant (unit, field...) */
			struct interval iv; /* date_bin stride, date_add interval */
			void *state;        /* per-function data (arena) */
		} fn;
		struct {
			const struct agg_def *def;
			struct xexpr **args;
			uint32_t nargs;
			bool distinct;
			struct xexpr *order;  /* first_value/last_value ordering key or NULL */
			bool order_desc;
			struct xexpr *filter; /* FILTER (WHERE ...) or NULL */
			const struct sql_expr *src; /* the call as written (pushdown) */
		} agg;
	} u;
};

/* The context expressions are bound and evaluated in: one per statement. */
struct xctx {
	struct exec_env *env;
	struct session *s;
	struct arena *a;
	struct vfmt_tz tz; /* the session time zone */
	int64_t now_ms;
	struct xexpr *all; /* every node, to free scratch vectors */
};

int xctx_init(struct xctx *cx, struct exec_env *env, struct session *s, struct arena *a);
void xctx_release(struct xctx *cx);

/* A zeroed node in the arena, linked into cx->all. NULL on OOM. */
struct xexpr *xnew(struct xctx *cx, int kind, int type);
struct xexpr *xconst(struct xctx *cx, const struct datum *d, const char *name);
/* a cast to `to` (a folded constant when a is constant; a itself when it
 * has that type already). The display name stays a's. */
struct xexpr *xcast(struct xctx *cx, struct xexpr *a, int to);
/* Deep copy (scratch vectors are not shared). */
struct xexpr *xcopy(struct xctx *cx, const struct xexpr *e);
/* Structural equality (same computation). */
bool xequal(const struct xexpr *a, const struct xexpr *b);

int x_eval(struct xctx *cx, struct xexpr *e, const struct batch *b, struct xval *out);
/* Evaluate a constant expression (no column references). */
int x_eval_const(struct xctx *cx, struct xexpr *e, struct datum *out);
/* Evaluate a predicate: sel[] gets the indexes of rows where it is TRUE;
 * *nsel their count. sel must hold b->nrows entries. */
int x_eval_filter(struct xctx *cx, struct xexpr *e, const struct batch *b, uint32_t *sel,
		  uint32_t *nsel);
/* Copy a constant's bytes (if any) into the arena. */
int datum_to_arena(struct arena *a, struct datum *d);

/* ---- vectors ---------------------------------------------------------- */

static inline bool vec_valid(const struct colvec *v, uint32_t i)
{
	return !v->validity || (v->validity[i >> 3] >> (i & 7)) & 1;
}
static inline bool xval_null(const struct xval *x, uint32_t i)
{
	return x->v ? !vec_valid(x->v, i) : x->c.is_null;
}
static inline int64_t xval_i64(const struct xval *x, uint32_t i)
{
	return x->v ? x->v->i64[i] : x->c.v.i;
}
static inline double xval_f64(const struct xval *x, uint32_t i)
{
	return x->v ? x->v->f64[i] : x->c.v.f;
}
static inline const char *xval_bytes(const struct xval *x, uint32_t i, uint32_t *n)
{
	if (!x->v) {
		*n = x->c.v.s.n;
		return x->c.v.s.p;
	}
	*n = x->v->offs[i + 1] - x->v->offs[i];
	return x->v->bytes + x->v->offs[i];
}

/* Make v an all-valid fixed-width vector of type t and length n (values
 * uninitialised). Keeps v's memory. */
int vec_fixed(struct colvec *v, enum dtype t, uint32_t n);
/* Make v an empty vector of type t with room for n values. */
int vec_empty(struct colvec *v, enum dtype t, uint32_t n);
/* v's validity = AND of the validities of a and b (either may be NULL or
 * constant; a NULL constant makes every value null). */
int vec_and_validity(struct colvec *v, const struct xval *a, const struct xval *b, uint32_t n);
int vec_copy_validity(struct colvec *v, const struct colvec *src, uint32_t n);
/* Ensure v has a validity bitmap (all valid) and mark i null. */
int vec_set_null(struct colvec *v, uint32_t i);
/* dst = src[sel[0..n)]. */
int vec_gather(struct colvec *dst, const struct colvec *src, const uint32_t *sel, uint32_t n);
/* Append src[from, from+n) to dst (same physical kind). */
int vec_append(struct colvec *dst, const struct colvec *src, uint32_t from, uint32_t n);
/* dst = n copies of d (type t). */
int vec_broadcast(struct colvec *dst, const struct datum *d, enum dtype t, uint32_t n);
/* An xval as a vector: x itself, or the constant broadcast into tmp. */
int xval_materialize(const struct xval *x, enum dtype t, uint32_t n, struct colvec *tmp,
		     const struct colvec **out);
/* Row i of an xval as a datum (bytes point into the vector). */
void xval_get(const struct xval *x, int type, uint32_t i, struct datum *d);
/* Hash of value i (nulls hash to a fixed value). */
uint64_t vec_hash(const struct colvec *v, uint32_t i);
/* Does s match the LIKE pattern p (% any run, _ one UTF-8 character, esc
 * (0: none) makes the next pattern byte literal; ci: ASCII letters fold)?
 * Iterative, backtracking only to the last '%': O(sn * pn) at worst. */
bool sql_like_match(const char *s, size_t sn, const char *p, size_t pn, char esc, bool ci);
/* Compare two values of the same type (uint64 as unsigned). nulls equal
 * each other and sort first. */
int datum_cmp(const struct datum *a, const struct datum *b);

/* ---- casts and text (expr_cast.c) ------------------------------------- */

/* Cast a vector/constant of type `from` to `to` into dst (or a constant).
 * Errors: ERR_EXEC "Cast error: ...". */
int x_cast(struct xctx *cx, const struct xval *in, int from, int to, uint32_t n,
	   struct colvec *dst, struct xval *out);
/* Whether a cast from -> to exists at all (planning). */
bool x_can_cast(int from, int to);
/* Cast one datum (strings of the result in the arena). */
int datum_cast(struct xctx *cx, const struct datum *in, int to, struct datum *out);

/* Parse a timestamp (arrow's rules: "YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][tz]")
 * into units of type t; naive times are in zone tz. ERR_EXEC with arrow's
 * message ("Parser error: Error parsing timestamp from '...': error parsing
 * date") on failure. */
int parse_timestamp(const char *s, size_t n, enum dtype t, const struct vfmt_tz *tz,
		    int64_t *out);
int parse_date(const char *s, size_t n, int64_t *days);
/* "1 year 2 months 3 days", "5 day", "1h" ... as an interval. */
int parse_interval(const char *s, size_t n, const char *unit, struct interval *out);
/* Append the text of a value (casts to string): timestamps ISO
 * "2023-01-01T00:00:00.500", floats shortest ("1.5", "1.0"). */
int format_value(struct buf *b, const struct datum *d, const struct vfmt_tz *tz);
/* DataFusion's display of a literal: Int64(1), Utf8("a"), Float64(1.5). */
int format_literal_name(struct buf *b, const struct datum *d);
void format_interval_name(struct buf *b, const struct interval *iv);
/* Timestamp value +/- interval (calendar months in UTC). */
int ts_add_interval(int64_t v, enum dtype t, const struct interval *iv, int sign,
		    int64_t *out);
int64_t ts_to_ns_floor(int64_t v, enum dtype t); /* saturating */
int64_t ts_unit_factor(enum dtype t, enum dtype to); /* multiplier units */

/* ---- scalar functions (functions.c) ------------------------------------ */

struct xfunc_def {
	const char *name;    /* canonical (display) name */
	int min_args, max_args;
	/* Check and coerce the bound arguments, set e->type; may fold
	 * constant arguments into e->u.fn (iarg, iv, state). */
	int (*bind)(struct xctx *cx, struct xexpr *e);
	xfunc_eval_fn eval;
	bool volatile_; /* now(): not folded twice... (still constant per statement) */
};

/* Look a function up by (lower-case) name, aliases included. */
const struct xfunc_def *xfunc_find(const char *name);
/* The closest known function name (for "Did you mean"). */
const char *xfunc_suggest(const char *name);
/* Functions the caller implements (env->call_function), with constant
 * arguments: evaluated once at bind time. */
int xfunc_call_env(struct xctx *cx, const char *name, struct xexpr **args, uint32_t nargs,
		   struct datum *out);

/* ---- aggregates (aggregates.c) ------------------------------------------ */

enum agg_kind {
	AGG_COUNT,      /* count(x); count(*) has no argument */
	AGG_SUM,
	AGG_AVG,
	AGG_MIN,
	AGG_MAX,
	AGG_FIRST,      /* first_value(x [ORDER BY k]) */
	AGG_LAST,       /* last_value(x [ORDER BY k]) */
	AGG_MERGE_COUNT, /* final step of a pushed count: sum of partial counts */
	AGG_MERGE_AVG,   /* final step of a pushed avg: args = partial sum (Float64),
			    order vector = partial count (Int64) */
};

struct agg_def {
	const char *name; /* display name */
	int kind;         /* enum agg_kind */
};

const struct agg_def *agg_find(const char *name);
/* The result type for an argument type (XT_NULL for count(*)); ERR_PLAN
 * with DataFusion's text when the type is not accepted. */
int agg_result_type(const struct agg_def *d, int arg_type, int *out);

/* One aggregate of a hash aggregation. */
struct agg_spec {
	const struct agg_def *def;
	int arg_type;   /* dtype of the argument vector; XT_NULL: count(*) */
	int res_type;
	bool distinct;
	bool ordered;   /* an ordering vector (i64) is passed */
};

/*
 * Hash aggregation: groups are keyed by nkeys key vectors (any types, NULL
 * is a key value); each group has one accumulator per aggregate. With no
 * keys there is exactly one group (a global aggregate), even over no rows.
 * Groups come out in the order they were first seen.
 *
 * The state per aggregate is what a partial/final split needs (count,
 * sum + has-value, min/max + has-value, first/last + order key), kept in
 * arrays indexed by group id.
 */
struct hagg;
int hagg_create(struct hagg **out, uint32_t nkeys, const enum dtype *key_types, uint32_t naggs,
		const struct agg_spec *specs);
/* Feed n rows: keys[k] and, per aggregate, args[a] (NULL for count(*)) and
 * orders[a] (NULL unless ordered). Vectors hold n values. */
int hagg_update(struct hagg *h, const struct colvec *const *keys, uint32_t n,
		const struct colvec *const *args, const struct colvec *const *orders);
uint32_t hagg_groups(const struct hagg *h);
/* Bytes the table holds (keys, hash slots, per-group states; string
 * states and DISTINCT sets estimated from their capacities), for the
 * per-query memory budget. */
size_t hagg_mem_size(const struct hagg *h);
/* Group ids of n rows (groups are created as needed; new groups get the
 * next ids in row order). *gids is valid until the next call. */
int hagg_assign(struct hagg *h, const struct colvec *const *keys, uint32_t n,
		const uint32_t **gids);
/* Emit the result: out (initialised by the call; left empty on failure)
 * gets one row per group, the key columns then one column per aggregate. */
int hagg_finish(struct hagg *h, struct batch *out);
void hagg_free(struct hagg *h);

/* ---- helpers shared by binder and evaluator -------------------------- */

/* The common type of two types for comparison / arithmetic / CASE /
 * UNION; -1 when there is none. */
int x_common_type(int a, int b);
/* The result type of arithmetic a op b on numeric types. */
int x_arith_type(int op, int a, int b);

/* Set error helpers. */
int plan_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int exec_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
