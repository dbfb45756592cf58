/*
 * plan_pushdown: partial aggregation pushed to a table provider's peers
 * (a cluster frontend's user tables), finished by the AGG operator.
 *
 * When: a SELECT with GROUP BY or aggregates over exactly one plain table
 * (no join, no subquery in FROM, no column aliases) whose provider offers
 * scan_partial, where
 *   - every aggregate is count(*), count(x), sum(x), min(x), max(x) or
 *     avg(x), not DISTINCT, without an ORDER BY inside the call (a FILTER
 *     clause is allowed: it is pushed too);
 *   - WHERE, the GROUP BY keys (an ordinal or a SELECT alias stands for
 *     the item's expression) and the aggregate arguments are expressions
 *     the peer evaluates with the same engine: literals, columns of the
 *     table (qualified only by the table's name or alias), operators,
 *     CAST, CASE, IS, IN (list), BETWEEN, LIKE, EXTRACT and scalar
 *     functions of the engine (functions.c) - no subqueries, parameters,
 *     variables, caller-implemented functions or window calls;
 *   - every key and partial column has a storage type (no untyped NULL
 *     key, no interval).
 * Anything else keeps the plain plan (rows to the frontend, aggregation
 * here). The session switch is the provider's business (the frontend
 * offers scan_partial only when pushdown is on).
 *
 * What the peer runs (the `partial_sql` of struct partial_agg_req, printed
 * from the statement's own syntax tree, so the peer parses and binds
 * exactly what the user wrote, in the session's dialect and time zone):
 *
 *   SELECT k1 AS pd_c0, ..., pM AS pd_c<K+M-1> FROM <table as written> [AS alias]
 *     [WHERE <where>] [GROUP BY 1, ..., K]
 *
 * with per aggregate, in the order of the AGG operator's aggregates:
 *   count(...) / sum(x) / min(x) / max(x)  the call as written (1 column)
 *   avg(x) [FILTER (WHERE f)]               sum(CAST((x) AS DOUBLE)) [FILTER (WHERE f)],
 *                                           count(x) [FILTER (WHERE f)]  (2 columns)
 * Column types: keys as bound here; count Int64; sum / min / max the
 * aggregate's result type; avg Float64 then Int64. A global aggregate
 * returns one row per region even over no rows.
 *
 * The AGG operator is then rewritten to merge those rows: its keys become
 * the first K columns, and each aggregate a merge call over its partial
 * column(s): count -> AGG_MERGE_COUNT, sum -> sum, min -> min, max ->
 * max, avg -> AGG_MERGE_AVG (aggregates.c). Its child becomes a SCAN of
 * the same provider in partial mode (same projection, time range and
 * predicates, so partition pruning is unchanged); the WHERE filter runs
 * only on the peers. The output layout and types of the AGG operator do
 * not change, so HAVING, ORDER BY, LIMIT and the projection above it are
 * planned as before.
 *
 * Exactness: integer sums wrap on the peers and again when merged, which
 * is the single-pass result modulo 2^64 (today's behaviour). Float sums
 * and averages are summed in a different order (per region, then merged),
 * so they may differ in the last bits from the single-pass result.
 */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/plan.h"

static const struct agg_def merge_count = {"count", AGG_MERGE_COUNT};
static const struct agg_def merge_avg = {"avg", AGG_MERGE_AVG};

struct pd {
	const struct table_provider *t;
	const struct sql_from *from;
};

static bool ident_is(const struct sql_ident *id, const char *name)
{
	return id->name && name && strcmp(id->name, name) == 0;
}

static bool column_ok(const struct pd *pd, const struct sql_name *n)
{
	if (n->n < 1)
		return false;
	const char *col = n->part[n->n - 1].name;
	bool found = false;
	for (uint32_t i = 0; i < pd->t->ncols && !found; i++)
		found = col && strcmp(pd->t->cols[i].name, col) == 0;
	if (!found)
		return false;
	if (n->n == 1)
		return true;
	/* qualified: by the alias, or by the table name as written */
	if (pd->from->alias)
		return n->n == 2 && ident_is(&n->part[0], pd->from->alias->name);
	const struct sql_name *tn = &pd->from->table;
	if (n->n - 1 > tn->n)
		return false;
	for (int k = 0; k < n->n - 1; k++)
		if (!ident_is(&n->part[k], tn->part[tn->n - (n->n - 1) + k].name))
			return false;
	return true;
}

static bool expr_ok(const struct pd *pd, const struct sql_expr *e, int depth);

static bool list_ok(const struct pd *pd, struct sql_expr *const *l, size_t n, int depth)
{
	for (size_t i = 0; i < n; i++)
		if (!expr_ok(pd, l[i], depth))
			return false;
	return true;
}

static bool expr_ok(const struct pd *pd, const struct sql_expr *e, int depth)
{
	if (!e)
		return true;
	if (depth > 64)
		return false;
	depth++;
	switch (e->kind) {
	case SQL_E_NULL:
	case SQL_E_BOOL:
	case SQL_E_NUMBER:
		return true;
	case SQL_E_STRING:
	case SQL_E_HEXSTR:
		/* a NUL byte cannot travel in the query text */
		return !memchr(e->v.str.s, 0, e->v.str.len);
	case SQL_E_TYPED_STR:
		return true;
	case SQL_E_INTERVAL:
		return expr_ok(pd, e->v.interval.value, depth);
	case SQL_E_COLUMN:
		return column_ok(pd, &e->v.name);
	case SQL_E_UNARY:
		return expr_ok(pd, e->v.unary.arg, depth);
	case SQL_E_BINARY:
		if (e->v.binary.op == SQL_BOP_ARROW || e->v.binary.op == SQL_BOP_LARROW ||
		    e->v.binary.op == SQL_BOP_SUBSCRIPT)
			return false;
		return expr_ok(pd, e->v.binary.left, depth) && expr_ok(pd, e->v.binary.right, depth);
	case SQL_E_FUNC: {
		const struct sql_name *fn = &e->v.func.name;
		if (fn->n != 1 || e->v.func.over || e->v.func.norder || e->v.func.filter ||
		    e->v.func.star || e->v.func.distinct || !fn->part[0].name)
			return false;
		char lower[64];
		size_t len = strlen(fn->part[0].name);
		if (len >= sizeof(lower))
			return false;
		for (size_t i = 0; i <= len; i++) {
			char c = fn->part[0].name[i];
			lower[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		}
		if (agg_find(lower) || !xfunc_find(lower))
			return false;
		return list_ok(pd, e->v.func.args, e->v.func.nargs, depth);
	}
	case SQL_E_CAST:
		return expr_ok(pd, e->v.cast.arg, depth);
	case SQL_E_IS:
		return expr_ok(pd, e->v.is.arg, depth) && expr_ok(pd, e->v.is.other, depth);
	case SQL_E_IN_LIST:
		return expr_ok(pd, e->v.in.arg, depth) &&
		       list_ok(pd, e->v.in.list, e->v.in.nlist, depth);
	case SQL_E_BETWEEN:
		return expr_ok(pd, e->v.between.arg, depth) &&
		       expr_ok(pd, e->v.between.low, depth) && expr_ok(pd, e->v.between.high, depth);
	case SQL_E_LIKE:
		return expr_ok(pd, e->v.like.arg, depth) && expr_ok(pd, e->v.like.pattern, depth) &&
		       expr_ok(pd, e->v.like.escape, depth);
	case SQL_E_CASE:
		return expr_ok(pd, e->v.case_.operand, depth) &&
		       list_ok(pd, e->v.case_.when, e->v.case_.nwhen, depth) &&
		       list_ok(pd, e->v.case_.then, e->v.case_.nwhen, depth) &&
		       expr_ok(pd, e->v.case_.else_, depth);
	case SQL_E_EXTRACT:
		return expr_ok(pd, e->v.extract.arg, depth);
	case SQL_E_NESTED:
		return expr_ok(pd, e->v.inner, depth);
	default:
		return false;
	}
}

/* The syntax of GROUP BY key g: an ordinal or a SELECT alias stands for
 * the item (as the binder resolves them); NULL when not pushable. */
static const struct sql_expr *group_syntax(const struct pd *pd, const struct sql_expr *ge,
					   const struct sql_expr *const *item_ast,
					   const char *const *alias, uint32_t nitems)
{
	const struct sql_expr *s = ge;
	while (s->kind == SQL_E_NESTED)
		s = s->v.inner;
	if (s->kind == SQL_E_NUMBER) {
		if (s->v.num.kind != SQL_NUM_INT || s->v.num.i < 1 || s->v.num.i > nitems)
			return NULL;
		return item_ast[s->v.num.i - 1];
	}
	if (s->kind == SQL_E_COLUMN && s->v.name.n == 1 && !column_ok(pd, &s->v.name)) {
		for (uint32_t i = 0; i < nitems; i++)
			if (alias[i] && s->v.name.part[0].name &&
			    strcmp(alias[i], s->v.name.part[0].name) == 0)
				return item_ast[i];
		return NULL;
	}
	return ge;
}

static bool storage_type(int t)
{
	return t >= 0 && t < DT__COUNT;
}

static int print_filter(struct buf *b, const struct sql_expr *call, int pf)
{
	if (!call->v.func.filter)
		return 0;
	buf_printf(b, " FILTER (WHERE ");
	int rc = sql_print_expr(b, call->v.func.filter, pf);
	buf_printf(b, ")");
	return rc;
}

static struct xexpr *col_ref(struct binder *bd, uint32_t col, int type, const char *name)
{
	struct xexpr *x = xnew(bd->cx, X_COL, type);
	if (x) {
		x->u.col = col;
		x->name = name;
	}
	return x;
}

int plan_pushdown_agg(struct binder *bd, const struct sql_select *sel, struct op *ag,
		      const struct sql_expr *const *item_ast, const char *const *alias,
		      uint32_t nitems)
{
	struct op *scan = ag->child;
	if (scan && scan->kind == OP_FILTER)
		scan = scan->child;
	if (!scan || scan->kind != OP_SCAN || !scan->u.scan.t || !scan->u.scan.t->scan_partial)
		return 0;
	if (sel->nfrom != 1 || sel->from[0]->kind != SQL_FROM_TABLE ||
	    sel->from[0]->ncol_aliases)
		return 0;
	struct pd pd = {scan->u.scan.t, sel->from[0]};
	uint32_t ng = ag->u.agg.ngroups, na = ag->u.agg.naggs;
	if (ng != sel->ngroup)
		return 0;
	if (!expr_ok(&pd, sel->where, 0))
		return 0;
	/* eligibility and the partial column count */
	uint32_t npart = ng;
	for (uint32_t g = 0; g < ng; g++) {
		const struct sql_expr *gs =
		    group_syntax(&pd, sel->group_by[g], item_ast, alias, nitems);
		if (!gs || !expr_ok(&pd, gs, 0) || !storage_type(ag->u.agg.groups[g]->type))
			return 0;
	}
	for (uint32_t a = 0; a < na; a++) {
		const struct xexpr *x = ag->u.agg.aggs[a];
		const struct sql_expr *src = x->u.agg.src;
		int k = x->u.agg.def->kind;
		if (!src || src->kind != SQL_E_FUNC || x->u.agg.distinct || x->u.agg.order ||
		    src->v.func.norder || src->v.func.over || src->v.func.distinct)
			return 0;
		if (k != AGG_COUNT && k != AGG_SUM && k != AGG_MIN && k != AGG_MAX && k != AGG_AVG)
			return 0;
		if (!list_ok(&pd, src->v.func.args, src->v.func.nargs, 0) ||
		    !expr_ok(&pd, src->v.func.filter, 0) || !storage_type(x->type))
			return 0;
		if (k == AGG_AVG && src->v.func.nargs != 1)
			return 0;
		npart += k == AGG_AVG ? 2 : 1;
	}
	/* the peer's query, printed for the session's dialect: MySQL strings
	 * take backslash escapes, so a backslash is printed doubled */
	int pf = bd->s && bd->s->protocol == SESSION_MYSQL ? SQL_PRINT_ESCAPE_BACKSLASH : 0;
	struct buf b;
	buf_init(&b);
	int rc = 0;
	buf_printf(&b, "SELECT ");
	uint32_t c = 0;
	for (uint32_t g = 0; g < ng && !rc; g++, c++) {
		buf_printf(&b, "%s", c ? ", " : "");
		rc = sql_print_expr(&b, group_syntax(&pd, sel->group_by[g], item_ast, alias, nitems),
				    pf);
		buf_printf(&b, " AS pd_c%u", c);
	}
	for (uint32_t a = 0; a < na && !rc; a++) {
		const struct xexpr *x = ag->u.agg.aggs[a];
		const struct sql_expr *src = x->u.agg.src;
		buf_printf(&b, "%s", c ? ", " : "");
		if (x->u.agg.def->kind != AGG_AVG) {
			rc = sql_print_expr(&b, src, pf);
			buf_printf(&b, " AS pd_c%u", c);
			c++;
			continue;
		}
		buf_printf(&b, "sum(CAST((");
		rc = sql_print_expr(&b, src->v.func.args[0], pf);
		buf_printf(&b, ") AS DOUBLE))");
		if (!rc)
			rc = print_filter(&b, src, pf);
		buf_printf(&b, " AS pd_c%u, count(", c);
		if (!rc)
			rc = sql_print_expr(&b, src->v.func.args[0], pf);
		buf_printf(&b, ")");
		if (!rc)
			rc = print_filter(&b, src, pf);
		buf_printf(&b, " AS pd_c%u", c + 1);
		c += 2;
	}
	buf_printf(&b, " FROM ");
	if (!rc)
		rc = sql_print_name(&b, &pd.from->table, 0);
	if (!rc && pd.from->alias) {
		buf_printf(&b, " AS ");
		rc = sql_print_ident(&b, pd.from->alias, 0);
	}
	if (!rc && sel->where) {
		buf_printf(&b, " WHERE ");
		rc = sql_print_expr(&b, sel->where, pf);
	}
	for (uint32_t g = 0; g < ng && !rc; g++)
		buf_printf(&b, "%s%u", g ? ", " : " GROUP BY ", g + 1);
	char *sql = rc ? NULL : arena_strndup(bd->a, b.data ? (const char *)b.data : "", b.len);
	buf_free(&b);
	if (!sql)
		return rc ? rc : err_set(ERR_NOMEM, "out of memory");

	/* the partial scan and the merge */
	struct partial_agg_req *pa = arena_alloc(bd->a, sizeof(*pa));
	enum dtype *types = arena_alloc(bd->a, (npart + 1) * sizeof(*types));
	struct xexpr **groups = arena_alloc(bd->a, (ng + 1) * sizeof(*groups));
	struct xexpr **aggs = arena_alloc(bd->a, (na + 1) * sizeof(*aggs));
	struct op *ps = op_new(bd->p, OP_SCAN, npart);
	if (!pa || !types || !groups || !aggs || !ps)
		return err_set(ERR_NOMEM, "out of memory");
	c = 0;
	for (uint32_t g = 0; g < ng; g++, c++) {
		const struct xexpr *og = ag->u.agg.groups[g];
		types[c] = (enum dtype)og->type;
		if (!(groups[g] = col_ref(bd, c, og->type, og->name)))
			return err_set(ERR_NOMEM, "out of memory");
		ps->names[c] = og->name;
	}
	for (uint32_t a = 0; a < na; a++) {
		const struct xexpr *ox = ag->u.agg.aggs[a];
		int k = ox->u.agg.def->kind;
		struct xexpr *m = xnew(bd->cx, X_AGG, ox->type);
		struct xexpr **args = arena_alloc(bd->a, sizeof(*args));
		if (!m || !args)
			return err_set(ERR_NOMEM, "out of memory");
		m->name = ox->name;
		m->u.agg.args = args;
		m->u.agg.nargs = 1;
		if (k == AGG_AVG) {
			types[c] = DT_FLOAT64;
			types[c + 1] = DT_INT64;
			ps->names[c] = ox->name;
			ps->names[c + 1] = ox->name;
			args[0] = col_ref(bd, c, DT_FLOAT64, ox->name);
			m->u.agg.order = col_ref(bd, c + 1, DT_INT64, ox->name);
			m->u.agg.def = &merge_avg;
			if (!args[0] || !m->u.agg.order)
				return err_set(ERR_NOMEM, "out of memory");
			c += 2;
		} else {
			types[c] = k == AGG_COUNT ? DT_INT64 : (enum dtype)ox->type;
			ps->names[c] = ox->name;
			args[0] = col_ref(bd, c, types[c], ox->name);
			if (!args[0])
				return err_set(ERR_NOMEM, "out of memory");
			m->u.agg.def = k == AGG_COUNT ? &merge_count : ox->u.agg.def;
			c++;
		}
		aggs[a] = m;
	}
	for (uint32_t i = 0; i < npart; i++)
		ps->types[i] = types[i];
	pa->sql = sql;
	pa->ncols = npart;
	pa->types = types;
	pa->now_ms = bd->cx->now_ms;
	ps->u.scan = scan->u.scan;
	ps->u.scan.stream = NULL;
	ps->u.scan.partial = pa;
	ag->child = ps;
	ag->u.agg.groups = groups;
	ag->u.agg.aggs = aggs;
	return 0;
}
