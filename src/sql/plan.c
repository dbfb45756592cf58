/*
 * plan: the binder for queries - turns SELECT / VALUES / set operations /
 * CTEs / subqueries in FROM into an operator tree (plan.h).
 *
 * A SELECT becomes
 *     FROM -> FILTER(WHERE) -> [AGG(GROUP BY, aggregates) -> FILTER(HAVING)]
 *          -> PROJECT(items + hidden ORDER BY columns) -> [DISTINCT]
 *          -> [SORT] -> [LIMIT] -> [PROJECT(drop hidden)]
 * following DataFusion's name resolution:
 *  - GROUP BY items are input expressions, select-list ordinals, or select
 *    aliases (an input column of the same name wins);
 *  - select items, HAVING and ORDER BY are bound against the input, then
 *    every subtree equal to a GROUP BY expression and every aggregate is
 *    replaced by a column of the aggregate's output; a column left over
 *    is an error;
 *  - ORDER BY items are ordinals, output names (aliases first), or
 *    expressions; an expression equal to a select item sorts by that
 *    column, any other becomes a hidden projected column (refused under
 *    DISTINCT and for UNION, as DataFusion does).
 * Output names are the alias, the bare column name for a plain column, or
 * the expression's DataFusion name.
 *
 * WHERE conjuncts over a table scan are pushed into its scan_request
 * (plan_scan.c); the filter still runs in full.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/parser.h"
#include "sql/plan.h"

static int nomem(void) { return err_set(ERR_NOMEM, "out of memory"); }

int plan_join(struct binder *bd, const struct sql_from *f, struct op **out, struct scope *osc);
int plan_scan(struct binder *bd, const struct sql_from *f, struct op **out, struct scope *osc);
int plan_from_item(struct binder *bd, const struct sql_from *f, struct op **out, struct scope *osc);

static int scope_alloc(struct binder *bd, struct scope *sc, uint32_t n)
{
	sc->n = n;
	sc->cols = arena_alloc(bd->a, (n + 1) * sizeof(*sc->cols));
	if (!sc->cols)
		return nomem();
	memset(sc->cols, 0, (n + 1) * sizeof(*sc->cols));
	return 0;
}

/* A scope naming the output of op: names/types from the op, qualifier q. */
static int scope_of_op(struct binder *bd, struct op *o, const char *q, struct scope *sc)
{
	if (scope_alloc(bd, sc, o->ncols))
		return ERR_NOMEM;
	for (uint32_t i = 0; i < o->ncols; i++) {
		sc->cols[i].name = o->names[i] ? o->names[i] : "?";
		sc->cols[i].type = o->types[i];
		sc->cols[i].qual = q;
	}
	return 0;
}

/* Rename a scope for FROM (...) AS alias (c1, c2). */
static int apply_alias(struct binder *bd, const struct sql_from *f, struct scope *sc)
{
	if (!f->alias)
		return 0;
	for (uint32_t i = 0; i < sc->n; i++)
		sc->cols[i].qual = f->alias->name;
	if (f->ncol_aliases > sc->n)
		return plan_err("Error during planning: Source table contains %u columns but only %zu names given as column alias",
				sc->n, f->ncol_aliases);
	for (size_t i = 0; i < f->ncol_aliases; i++)
		sc->cols[i].name = f->col_aliases[i].name;
	(void)bd;
	return 0;
}

/* ---- CTEs ---------------------------------------------------------------------- */

static const struct sql_cte *find_cte(struct binder *bd, const struct sql_name *n)
{
	if (n->n != 1)
		return NULL;
	for (struct cte_ref *r = bd->ctes; r; r = r->up)
		if (strcmp(r->cte->name.name, n->part[0].name) == 0)
			return r->cte;
	return NULL;
}

static int plan_cte(struct binder *bd, const struct sql_cte *cte, const struct sql_from *f,
		    struct op **out, struct scope *osc)
{
	/* the CTE is visible inside itself only when RECURSIVE, which we do
	 * not run: hide it and every later CTE while planning it */
	struct cte_ref *saved = bd->ctes;
	while (bd->ctes && bd->ctes->cte != cte)
		bd->ctes = bd->ctes->up;
	if (bd->ctes)
		bd->ctes = bd->ctes->up;
	int rc = plan_query(bd, cte->query, out, osc);
	bd->ctes = saved;
	if (rc)
		return rc;
	for (uint32_t i = 0; i < osc->n; i++) {
		osc->cols[i].qual = cte->name.name;
		osc->cols[i].scan = NULL;
	}
	if (cte->ncols > osc->n)
		return plan_err("Error during planning: WITH query %s has %u columns available but %zu columns specified",
				cte->name.name, osc->n, cte->ncols);
	for (size_t i = 0; i < cte->ncols; i++)
		osc->cols[i].name = cte->cols[i].name;
	return apply_alias(bd, f, osc);
}

/* ---- FROM ------------------------------------------------------------------------ */

int plan_from_item(struct binder *bd, const struct sql_from *f, struct op **out, struct scope *osc)
{
	switch (f->kind) {
	case SQL_FROM_TABLE: {
		const struct sql_cte *cte = find_cte(bd, &f->table);
		if (cte)
			return plan_cte(bd, cte, f, out, osc);
		return plan_scan(bd, f, out, osc);
	}
	case SQL_FROM_SUBQUERY: {
		int rc = plan_query(bd, f->subquery, out, osc);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < osc->n; i++)
			osc->cols[i].scan = NULL;
		return apply_alias(bd, f, osc);
	}
	case SQL_FROM_JOIN: return plan_join(bd, f, out, osc);
	default:
		return plan_err("This feature is not implemented: table function %s",
				f->table.n ? f->table.part[f->table.n - 1].name : "?");
	}
}

/* ---- expression rewriting after aggregation ------------------------------------------ */

struct agg_ctx {
	struct xexpr **groups;
	uint32_t ngroups;
	struct xexpr **aggs;
	uint32_t naggs;
	const char *clause; /* "SELECT", "HAVING", "ORDER BY" */
	bool wildcard;
};

static int not_grouped(struct binder *bd, const struct agg_ctx *ac, const struct xexpr *col)
{
	struct buf b;
	buf_init(&b);
	for (uint32_t i = 0; i < ac->ngroups; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", ac->groups[i]->name);
	for (uint32_t i = 0; i < ac->naggs; i++)
		buf_printf(&b, "%s%s", i || ac->ngroups ? ", " : "", ac->aggs[i]->name);
	int rc = plan_err("Error during planning: Column in %s must be in GROUP BY or an aggregate function: %s\"%s\" must appear in the GROUP BY clause or must be part of an aggregate function, currently only \"%s\" appears in the SELECT clause satisfies this requirement",
			  ac->clause, ac->wildcard ? "While expanding wildcard, column " : "",
			  col->name, buf_cstr(&b) ? buf_cstr(&b) : "");
	buf_free(&b);
	(void)bd;
	return rc;
}

static int rewrite_list(struct binder *bd, const struct agg_ctx *ac, struct xexpr **l, uint32_t n);

/* Replace group expressions and aggregates in *pe by aggregate outputs. */
static int rewrite(struct binder *bd, const struct agg_ctx *ac, struct xexpr **pe)
{
	struct xexpr *e = *pe;
	if (!e)
		return 0;
	for (uint32_t i = 0; i < ac->ngroups; i++)
		if (xequal(ac->groups[i], e)) {
			struct xexpr *c = xnew(bd->cx, X_COL, e->type);
			if (!c)
				return nomem();
			c->u.col = i;
			c->name = e->name;
			c->qual = e->kind == X_COL ? e->qual : NULL;
			*pe = c;
			return 0;
		}
	switch (e->kind) {
	case X_AGG:
		for (uint32_t i = 0; i < ac->naggs; i++)
			if (xequal(ac->aggs[i], e)) {
				struct xexpr *c = xnew(bd->cx, X_COL, e->type);
				if (!c)
					return nomem();
				c->u.col = ac->ngroups + i;
				c->name = e->name;
				*pe = c;
				return 0;
			}
		return err_set(ERR_INTERNAL, "aggregate %s not collected", e->name);
	case X_COL: return not_grouped(bd, ac, e);
	case X_CONST:
	case X_OUTREF: return 0;
	case X_BIN:
		if (rewrite(bd, ac, &e->u.bin.a) || rewrite(bd, ac, &e->u.bin.b))
			return err_code();
		return 0;
	case X_NOT:
	case X_NEG:
	case X_CAST: return rewrite(bd, ac, &e->u.un.a);
	case X_IS: return rewrite(bd, ac, &e->u.is.a);
	case X_IN: return rewrite(bd, ac, &e->u.in.a);
	case X_LIKE:
		if (rewrite(bd, ac, &e->u.like.a) || rewrite(bd, ac, &e->u.like.pat))
			return err_code();
		return 0;
	case X_CASE:
		if (rewrite(bd, ac, &e->u.cs.operand) ||
		    rewrite_list(bd, ac, e->u.cs.when, e->u.cs.nwhen) ||
		    rewrite_list(bd, ac, e->u.cs.then, e->u.cs.nwhen) || rewrite(bd, ac, &e->u.cs.else_))
			return err_code();
		return 0;
	case X_FUNC: return rewrite_list(bd, ac, e->u.fn.args, e->u.fn.nargs);
	default: return err_set(ERR_INTERNAL, "cannot rewrite expression kind %d", e->kind);
	}
}

static int rewrite_list(struct binder *bd, const struct agg_ctx *ac, struct xexpr **l, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int rc = rewrite(bd, ac, &l[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static bool has_agg(const struct xexpr *e)
{
	if (!e)
		return false;
	switch (e->kind) {
	case X_AGG: return true;
	case X_BIN: return has_agg(e->u.bin.a) || has_agg(e->u.bin.b);
	case X_NOT:
	case X_NEG:
	case X_CAST: return has_agg(e->u.un.a);
	case X_IS: return has_agg(e->u.is.a);
	case X_IN: return has_agg(e->u.in.a);
	case X_LIKE: return has_agg(e->u.like.a) || has_agg(e->u.like.pat);
	case X_CASE:
		if (has_agg(e->u.cs.operand) || has_agg(e->u.cs.else_))
			return true;
		for (uint32_t i = 0; i < e->u.cs.nwhen; i++)
			if (has_agg(e->u.cs.when[i]) || has_agg(e->u.cs.then[i]))
				return true;
		return false;
	case X_FUNC:
		for (uint32_t i = 0; i < e->u.fn.nargs; i++)
			if (has_agg(e->u.fn.args[i]))
				return true;
		return false;
	default: return false;
	}
}

/* The first input column referenced by e (for error messages). */
static const struct xexpr *first_col(const struct xexpr *e)
{
	if (!e)
		return NULL;
	const struct xexpr *r = NULL;
	switch (e->kind) {
	case X_COL: return e;
	case X_BIN: return (r = first_col(e->u.bin.a)) ? r : first_col(e->u.bin.b);
	case X_NOT:
	case X_NEG:
	case X_CAST: return first_col(e->u.un.a);
	case X_IS: return first_col(e->u.is.a);
	case X_IN: return first_col(e->u.in.a);
	case X_LIKE: return (r = first_col(e->u.like.a)) ? r : first_col(e->u.like.pat);
	case X_FUNC:
		for (uint32_t i = 0; i < e->u.fn.nargs && !r; i++)
			r = first_col(e->u.fn.args[i]);
		return r;
	case X_CASE:
		for (uint32_t i = 0; i < e->u.cs.nwhen && !r; i++)
			r = first_col(e->u.cs.then[i]);
		return r;
	default: return NULL;
	}
}

static const char *bare_name(const struct xexpr *c)
{
	const char *n = c->name;
	if (c->qual) {
		size_t l = strlen(c->qual);
		if (strncmp(n, c->qual, l) == 0 && n[l] == '.')
			return n + l + 1;
	}
	return n;
}

/* ---- SELECT ---------------------------------------------------------------------- */

struct sel_item {
	const struct sql_expr *ast; /* NULL for a column a wildcard expanded */
	struct xexpr *x;
	const char *name;   /* output name */
	const char *qual;   /* output qualifier for a plain column */
	bool plain;         /* a column reference */
};

static int expand_items(struct binder *bd, const struct sql_select *sel, const struct scope *sc,
			struct sel_item **out, uint32_t *nout)
{
	uint32_t cap = 0;
	for (size_t i = 0; i < sel->nitems; i++)
		cap += sel->items[i].expr->kind == SQL_E_STAR ? sc->n : 1;
	struct sel_item *it = arena_alloc(bd->a, (cap + 1) * sizeof(*it));
	if (!it)
		return nomem();
	memset(it, 0, (cap + 1) * sizeof(*it));
	uint32_t n = 0;
	for (size_t i = 0; i < sel->nitems; i++) {
		const struct sql_select_item *si = &sel->items[i];
		const struct sql_expr *e = si->expr;
		if (e->kind == SQL_E_STAR) {
			uint32_t before = n;
			for (uint32_t c = 0; c < sc->n; c++) {
				if (e->v.name.n && !(sc->cols[c].qual && e->v.name.n > 0)) {
					continue;
				}
				if (e->v.name.n) {
					/* t.* : the qualifier must match */
					const char *rq = sc->cols[c].qual;
					char want[512];
					size_t w = 0;
					for (int k = 0; k < e->v.name.n && w < sizeof(want) - 2; k++) {
						size_t l = strlen(e->v.name.part[k].name);
						if (w + l + 2 > sizeof(want))
							break;
						if (k)
							want[w++] = '.';
						memcpy(want + w, e->v.name.part[k].name, l);
						w += l;
					}
					want[w] = 0;
					size_t rl = strlen(rq);
					if (rl < w || strcmp(rq + rl - w, want) != 0 || (rl > w && rq[rl - w - 1] != '.'))
						continue;
				}
				struct xexpr *x = xnew(bd->cx, X_COL, sc->cols[c].type);
				if (!x)
					return nomem();
				x->u.col = c;
				x->qual = sc->cols[c].qual;
				x->name = sc->cols[c].qual
						  ? arena_printf(bd->a, "%s.%s", sc->cols[c].qual, sc->cols[c].name)
						  : sc->cols[c].name;
				if (!x->name)
					return ERR_NOMEM;
				scope_use(sc, c);
				it[n].x = x;
				it[n].name = sc->cols[c].name;
				it[n].qual = sc->cols[c].qual;
				it[n].plain = true;
				n++;
			}
			if (n == before && e->v.name.n)
				return plan_err("Error during planning: Invalid qualifier %s", e->v.name.part[e->v.name.n - 1].name);
			if (n == before && sc->n == 0)
				return plan_err("Error during planning: SELECT * with no tables specified is not valid");
			continue;
		}
		it[n].ast = e;
		if (si->alias)
			it[n].name = si->alias->name;
		n++;
	}
	*out = it;
	*nout = n;
	return 0;
}

static const struct sql_expr *strip_nested(const struct sql_expr *e)
{
	while (e && e->kind == SQL_E_NESTED)
		e = e->v.inner;
	return e;
}

/* An integer literal's value for ordinals; -1 if e is not one. */
static int64_t ordinal_of(const struct sql_expr *e)
{
	e = strip_nested(e);
	if (e->kind == SQL_E_NUMBER && e->v.num.kind == SQL_NUM_INT)
		return e->v.num.i;
	return -1;
}

static int limit_value(struct binder *bd, const struct sql_expr *e, const char *what, uint64_t *out)
{
	if (!e)
		return 0;
	const struct scope *saved = bd->sc;
	struct scope empty = {0, NULL};
	bd->sc = &empty;
	struct xexpr *x;
	int rc = bind_expr(bd, e, &x);
	bd->sc = saved;
	if (rc)
		return rc;
	if (x->kind != X_CONST)
		return plan_err("Error during planning: Unexpected expression in %s clause", what);
	if (x->type == XT_NULL || x->u.c.is_null)
		return 0;
	if (!xtype_is_int(x->type))
		return plan_err("Error during planning: Expected %s to be an integer or null, but got %s",
				what, xtype_arrow_name(x->type));
	if (x->type != DT_UINT64 && x->u.c.v.i < 0)
		return plan_err("Error during planning: %s must be >= 0, '%lld' was provided", what,
				(long long)x->u.c.v.i);
	*out = (uint64_t)x->u.c.v.i;
	return 0;
}

struct order_key {
	uint32_t col;
	bool desc, nulls_first;
};

static void set_binding(struct binder *bd, const struct scope *sc, const struct alias_map *am,
			bool allow_agg, const char *ctx)
{
	bd->sc = sc;
	bd->aliases = am;
	bd->allow_agg = allow_agg;
	bd->agg_context = ctx;
}

/*
 * The AGG ag's answer does not depend on the order of its input rows, so
 * its scan may hand series out interleaved (plan_hint_any_order): every
 * aggregate is count / sum / avg / min / max without DISTINCT, FILTER or
 * ORDER BY, and the statement's ORDER BY names every group key (the groups
 * are distinct on them: the order groups were created in never shows).
 * A region keeps each series' rows in ts order (storage/merge.h), so a
 * float sum over one series adds in the same order; only a sum over
 * several series may round differently, as it does across regions.
 */
static bool agg_any_order(const struct op *ag, const struct sel_item *items, uint32_t nitems,
			  struct xexpr *const *hidden, const struct order_key *keys, size_t norder)
{
	for (uint32_t a = 0; a < ag->u.agg.naggs; a++) {
		const struct xexpr *x = ag->u.agg.aggs[a];
		if (x->kind != X_AGG || x->u.agg.distinct || x->u.agg.filter || x->u.agg.order)
			return false;
		int k = x->u.agg.def->kind;
		if (k != AGG_COUNT && k != AGG_SUM && k != AGG_AVG && k != AGG_MIN && k != AGG_MAX)
			return false;
	}
	for (uint32_t g = 0; g < ag->u.agg.ngroups; g++) {
		bool hit = false;
		for (size_t k = 0; k < norder && !hit; k++) {
			uint32_t c = keys[k].col;
			const struct xexpr *e = c < nitems ? items[c].x : hidden[c - nitems];
			hit = e && e->kind == X_COL && e->u.col == g;
		}
		if (!hit)
			return false;
	}
	return true;
}

static int add_sort_limit(struct binder *bd, struct op **pop, const struct order_key *keys,
			  uint32_t nkeys, uint64_t offset, uint64_t limit, bool has_limit)
{
	struct op *o = *pop;
	if (nkeys) {
		struct op *s = op_new(bd->p, OP_SORT, o->ncols);
		if (!s)
			return ERR_NOMEM;
		memcpy(s->types, o->types, o->ncols * sizeof(int));
		memcpy(s->names, o->names, o->ncols * sizeof(char *));
		s->child = o;
		s->u.sort.keys = arena_alloc(bd->a, nkeys * sizeof(struct sort_key));
		if (!s->u.sort.keys)
			return nomem();
		for (uint32_t i = 0; i < nkeys; i++) {
			s->u.sort.keys[i].col = keys[i].col;
			s->u.sort.keys[i].desc = keys[i].desc;
			s->u.sort.keys[i].nulls_first = keys[i].nulls_first;
		}
		s->u.sort.nkeys = nkeys;
		s->u.sort.fetch = has_limit && limit <= UINT64_MAX - offset ? offset + limit : UINT64_MAX;
		plan_bound_topk_ts(s);
		o = s;
	}
	if (has_limit || offset) {
		struct op *l = op_new(bd->p, OP_LIMIT, o->ncols);
		if (!l)
			return ERR_NOMEM;
		memcpy(l->types, o->types, o->ncols * sizeof(int));
		memcpy(l->names, o->names, o->ncols * sizeof(char *));
		l->child = o;
		l->u.limit.offset = offset;
		l->u.limit.limit = has_limit ? limit : UINT64_MAX;
		if (!nkeys && has_limit)
			plan_hint_first_rows(l);
		o = l;
	}
	*pop = o;
	return 0;
}

static int fill_key(const struct sql_order_item *oi, uint32_t col, struct order_key *k)
{
	k->col = col;
	k->desc = oi->desc;
	k->nulls_first = oi->nulls == 1 ? true : oi->nulls == 2 ? false : oi->desc;
	return 0;
}

static int plan_select(struct binder *bd, const struct sql_select *sel,
		       const struct sql_order_item *order, size_t norder, const struct sql_expr *lim,
		       const struct sql_expr *off, struct op **out, struct scope *osc)
{
	int rc;
	struct op *in;
	struct scope in_sc;
	/* FROM */
	if (sel->nfrom == 0) {
		if (!(in = op_new(bd->p, OP_ONEROW, 0)))
			return ERR_NOMEM;
		in_sc.n = 0;
		in_sc.cols = NULL;
	} else {
		if ((rc = plan_from_item(bd, sel->from[0], &in, &in_sc)))
			return rc;
		for (size_t i = 1; i < sel->nfrom; i++) {
			/* comma joins are cross joins */
			struct op *r;
			struct scope rsc;
			if ((rc = plan_from_item(bd, sel->from[i], &r, &rsc)))
				return rc;
			struct op *jo = op_new(bd->p, OP_JOIN, in->ncols + r->ncols);
			if (!jo)
				return ERR_NOMEM;
			memcpy(jo->types, in->types, in->ncols * sizeof(int));
			memcpy(jo->types + in->ncols, r->types, r->ncols * sizeof(int));
			memcpy(jo->names, in->names, in->ncols * sizeof(char *));
			memcpy(jo->names + in->ncols, r->names, r->ncols * sizeof(char *));
			jo->inputs = arena_alloc(bd->a, 2 * sizeof(struct op *));
			if (!jo->inputs)
				return nomem();
			jo->inputs[0] = in;
			jo->inputs[1] = r;
			jo->ninputs = 2;
			jo->u.join.kind = SQL_JOIN_CROSS;
			struct scope js;
			if (scope_alloc(bd, &js, in_sc.n + rsc.n))
				return ERR_NOMEM;
			memcpy(js.cols, in_sc.cols, in_sc.n * sizeof(*js.cols));
			memcpy(js.cols + in_sc.n, rsc.cols, rsc.n * sizeof(*js.cols));
			in = jo;
			in_sc = js;
		}
	}
	struct scope *saved_in = arena_alloc(bd->a, sizeof(*saved_in));
	if (!saved_in)
		return nomem();
	*saved_in = in_sc;
	bd->ts_hint_col = -1;
	bd->ts_scope = &in_sc;
	for (uint32_t i = 0; i < in_sc.n; i++)
		if (in_sc.cols[i].time_index) {
			bd->ts_hint_col = (int)i;
			break;
		}
	/* WHERE */
	if (sel->where) {
		struct xexpr *pred;
		set_binding(bd, &in_sc, NULL, false, "WHERE clause");
		if ((rc = bind_expr(bd, sel->where, &pred)))
			return rc;
		if (pred->type == XT_NULL && !(pred = xcast(bd->cx, pred, DT_BOOL)))
			return err_code();
		if (pred->type != DT_BOOL)
			return plan_err("Error during planning: Cannot create filter with non-boolean predicate '%s' returning %s",
					pred->name, xtype_arrow_name(pred->type));
		if (in->kind == OP_SCAN)
			pushdown_filter(bd, in, pred);
		struct op *f = op_new(bd->p, OP_FILTER, in->ncols);
		if (!f)
			return ERR_NOMEM;
		memcpy(f->types, in->types, in->ncols * sizeof(int));
		memcpy(f->names, in->names, in->ncols * sizeof(char *));
		f->child = in;
		f->u.filter.pred = pred;
		in = f;
	}
	/* select items */
	struct sel_item *items = NULL;
	uint32_t nitems = 0;
	if ((rc = expand_items(bd, sel, &in_sc, &items, &nitems)))
		return rc;
	struct alias_map am;
	am.n = nitems;
	am.names = arena_alloc(bd->a, (nitems + 1) * sizeof(char *));
	am.exprs = arena_alloc(bd->a, (nitems + 1) * sizeof(void *));
	am.bound = arena_alloc(bd->a, (nitems + 1) * sizeof(void *));
	if (!am.names || !am.exprs || !am.bound)
		return nomem();
	struct xexpr **aggs = NULL;
	uint32_t naggs = 0, cap_aggs = 0;
	bd->agg_list = &aggs;
	bd->nagg = &naggs;
	bd->cap_agg = &cap_aggs;
	set_binding(bd, &in_sc, NULL, true, NULL);
	for (uint32_t i = 0; i < nitems; i++) {
		if (items[i].ast) {
			if ((rc = bind_expr(bd, items[i].ast, &items[i].x)))
				return rc;
			const struct sql_expr *a = strip_nested(items[i].ast);
			if (a->kind == SQL_E_COLUMN && items[i].x->kind == X_COL) {
				items[i].plain = true;
				items[i].qual = items[i].x->qual;
				if (!items[i].name)
					items[i].name = bare_name(items[i].x);
			}
			if (!items[i].name)
				items[i].name = items[i].x->name;
		}
		am.exprs[i] = items[i].ast;
		am.bound[i] = items[i].x;
		am.names[i] = items[i].name;
	}
	/* only aliases name an item for GROUP BY / HAVING */
	struct alias_map am_alias = am;
	am_alias.names = arena_alloc(bd->a, (nitems + 1) * sizeof(char *));
	if (!am_alias.names)
		return nomem();
	for (uint32_t i = 0, k = 0; i < nitems; i++) {
		am_alias.names[i] = NULL;
		if (items[i].ast) {
			const struct sql_select_item *si = NULL;
			/* find the syntax item */
			for (; k < sel->nitems; k++)
				if (sel->items[k].expr == items[i].ast) {
					si = &sel->items[k];
					break;
				}
			if (si && si->alias)
				am_alias.names[i] = si->alias->name;
		}
	}
	/* GROUP BY */
	struct xexpr **groups = NULL;
	uint32_t ngroups = (uint32_t)sel->ngroup;
	if (ngroups) {
		groups = arena_alloc(bd->a, ngroups * sizeof(*groups));
		if (!groups)
			return nomem();
		for (uint32_t g = 0; g < ngroups; g++) {
			const struct sql_expr *ge = sel->group_by[g];
			int64_t ord = ordinal_of(ge);
			set_binding(bd, &in_sc, &am_alias, false, "GROUP BY");
			if (ord >= 0) {
				if (ord < 1 || ord > nitems)
					return plan_err("Error during planning: Cannot find column with position %lld in SELECT clause. Valid columns: 1 to %u",
							(long long)ord, nitems);
				if (items[ord - 1].ast)
					rc = bind_expr(bd, items[ord - 1].ast, &groups[g]);
				else if (!(groups[g] = xcopy(bd->cx, items[ord - 1].x)))
					rc = nomem();
			} else {
				rc = bind_expr(bd, ge, &groups[g]);
			}
			if (rc)
				return rc;
			if (has_agg(groups[g]))
				return plan_err("Error during planning: Aggregate functions are not allowed in GROUP BY");
		}
	}
	/* HAVING */
	struct xexpr *having = NULL;
	if (sel->having) {
		set_binding(bd, &in_sc, &am_alias, true, NULL);
		if ((rc = bind_expr(bd, sel->having, &having)))
			return rc;
		if (having->type == XT_NULL && !(having = xcast(bd->cx, having, DT_BOOL)))
			return err_code();
		if (having->type != DT_BOOL)
			return plan_err("Error during planning: Cannot create filter with non-boolean predicate '%s' returning %s",
					having->name, xtype_arrow_name(having->type));
	}
	/* ORDER BY: classify; expressions are bound now (they may add aggregates) */
	struct order_key *keys = norder ? arena_alloc(bd->a, norder * sizeof(*keys)) : NULL;
	struct xexpr **okx = norder ? arena_alloc(bd->a, norder * sizeof(*okx)) : NULL;
	if (norder && (!keys || !okx))
		return nomem();
	for (size_t k = 0; k < norder; k++) {
		const struct sql_expr *oe = strip_nested(order[k].expr);
		okx[k] = NULL;
		int64_t ord = ordinal_of(oe);
		if (ord >= 0) {
			if (ord < 1 || ord > nitems)
				return plan_err("Error during planning: Order by column out of bounds, specified: %lld, max: %u",
						(long long)ord, nitems);
			fill_key(&order[k], (uint32_t)(ord - 1), &keys[k]);
			continue;
		}
		if (oe->kind == SQL_E_COLUMN && oe->v.name.n == 1) {
			int hit = -1;
			for (uint32_t i = 0; i < nitems && hit < 0; i++)
				if (strcmp(items[i].name, oe->v.name.part[0].name) == 0)
					hit = (int)i;
			if (hit >= 0) {
				fill_key(&order[k], (uint32_t)hit, &keys[k]);
				continue;
			}
		}
		set_binding(bd, &in_sc, &am_alias, true, NULL);
		if ((rc = bind_expr(bd, oe, &okx[k])))
			return rc;
		fill_key(&order[k], UINT32_MAX, &keys[k]);
	}
	/* DISTINCT ON (...) expressions */
	size_t ndon = sel->ndistinct_on;
	struct xexpr **don = ndon ? arena_alloc(bd->a, ndon * sizeof(*don)) : NULL;
	uint32_t *don_cols = ndon ? arena_alloc(bd->a, ndon * sizeof(uint32_t)) : NULL;
	if (ndon && (!don || !don_cols))
		return nomem();
	for (size_t k = 0; k < ndon; k++) {
		set_binding(bd, &in_sc, &am_alias, true, NULL);
		if ((rc = bind_expr(bd, sel->distinct_on[k], &don[k])))
			return rc;
	}
	bool grouped = ngroups || naggs || having;
	struct op *cur = in, *agop = NULL;
	if (grouped) {
		struct op *ag = op_new(bd->p, OP_AGG, ngroups + naggs);
		if (!ag)
			return ERR_NOMEM;
		agop = ag;
		ag->child = in;
		ag->u.agg.groups = groups;
		ag->u.agg.ngroups = ngroups;
		ag->u.agg.aggs = aggs;
		ag->u.agg.naggs = naggs;
		for (uint32_t g = 0; g < ngroups; g++) {
			ag->types[g] = groups[g]->type;
			ag->names[g] = groups[g]->name;
		}
		for (uint32_t a = 0; a < naggs; a++) {
			ag->types[ngroups + a] = aggs[a]->type;
			ag->names[ngroups + a] = aggs[a]->name;
		}
		struct agg_ctx ac = {groups, ngroups, aggs, naggs, "SELECT", false};
		for (uint32_t i = 0; i < nitems; i++) {
			ac.wildcard = items[i].ast == NULL;
			if ((rc = rewrite(bd, &ac, &items[i].x)))
				return rc;
		}
		ac.wildcard = false;
		cur = ag;
		if (having) {
			ac.clause = "HAVING";
			if ((rc = rewrite(bd, &ac, &having)))
				return rc;
			struct op *f = op_new(bd->p, OP_FILTER, ag->ncols);
			if (!f)
				return ERR_NOMEM;
			memcpy(f->types, ag->types, ag->ncols * sizeof(int));
			memcpy(f->names, ag->names, ag->ncols * sizeof(char *));
			f->child = ag;
			f->u.filter.pred = having;
			cur = f;
		}
		ac.clause = "ORDER BY";
		for (size_t k = 0; k < norder; k++)
			if (okx[k] && (rc = rewrite(bd, &ac, &okx[k])))
				return rc;
		ac.clause = "SELECT";
		for (size_t k = 0; k < ndon; k++)
			if ((rc = rewrite(bd, &ac, &don[k])))
				return rc;
		if ((rc = plan_pushdown_agg(bd, sel, ag, am.exprs, am_alias.names, nitems)))
			return rc;
	}
	/* ORDER BY expressions: an item, or a hidden column */
	uint32_t nhidden = 0;
	struct xexpr **hidden = arena_alloc(bd->a, (norder + ndon + 1) * sizeof(*hidden));
	if (!hidden)
		return nomem();
	for (size_t k = 0; k < norder; k++) {
		if (!okx[k])
			continue;
		int hit = -1;
		for (uint32_t i = 0; i < nitems && hit < 0; i++)
			if (xequal(items[i].x, okx[k]))
				hit = (int)i;
		if (hit >= 0) {
			keys[k].col = (uint32_t)hit;
			continue;
		}
		if (sel->distinct && !ndon) {
			const struct xexpr *c = first_col(okx[k]);
			return plan_err("Error during planning: For SELECT DISTINCT, ORDER BY expressions %s must appear in select list",
					c ? bare_name(c) : okx[k]->name);
		}
		hidden[nhidden] = okx[k];
		keys[k].col = nitems + nhidden;
		nhidden++;
	}
	for (size_t k = 0; k < ndon; k++) {
		int hit = -1;
		for (uint32_t i = 0; i < nitems && hit < 0; i++)
			if (xequal(items[i].x, don[k]))
				hit = (int)i;
		for (uint32_t h = 0; h < nhidden && hit < 0; h++)
			if (xequal(hidden[h], don[k]))
				hit = (int)(nitems + h);
		if (hit < 0) {
			hidden[nhidden] = don[k];
			hit = (int)(nitems + nhidden);
			nhidden++;
		}
		don_cols[k] = (uint32_t)hit;
	}
	if (agop && agg_any_order(agop, items, nitems, hidden, keys, norder))
		plan_hint_any_order(bd, in);
	/* unique output names, as DataFusion requires */
	for (uint32_t i = 0; i < nitems; i++)
		for (uint32_t j = i + 1; j < nitems; j++) {
			const char *a = items[i].plain && !strchr(items[i].name, '.') && items[i].qual
						? items[i].x->name : items[i].name;
			const char *b = items[j].plain && items[j].qual ? items[j].x->name : items[j].name;
			bool same = strcmp(items[i].name, items[j].name) == 0 &&
				    ((items[i].qual == NULL) == (items[j].qual == NULL)) &&
				    (!items[i].qual || strcmp(items[i].qual, items[j].qual) == 0);
			if (same)
				return plan_err("Error during planning: Projections require unique expression names but the expression \"%s\" at position %u and \"%s\" at position %u have the same name. Consider aliasing (\"AS\") one of them.",
						a, i, b, j);
		}
	/* projection */
	struct op *pr = op_new(bd->p, OP_PROJECT, nitems + nhidden);
	if (!pr)
		return ERR_NOMEM;
	pr->child = cur;
	pr->u.proj.exprs = arena_alloc(bd->a, (nitems + nhidden + 1) * sizeof(struct xexpr *));
	if (!pr->u.proj.exprs)
		return nomem();
	for (uint32_t i = 0; i < nitems; i++) {
		pr->u.proj.exprs[i] = items[i].x;
		pr->types[i] = items[i].x->type;
		pr->names[i] = items[i].name;
	}
	for (uint32_t h = 0; h < nhidden; h++) {
		pr->u.proj.exprs[nitems + h] = hidden[h];
		pr->types[nitems + h] = hidden[h]->type;
		pr->names[nitems + h] = hidden[h]->name;
	}
	cur = pr;
	if (sel->distinct && !ndon) {
		struct op *d = op_new(bd->p, OP_DISTINCT, cur->ncols);
		if (!d)
			return ERR_NOMEM;
		memcpy(d->types, cur->types, cur->ncols * sizeof(int));
		memcpy(d->names, cur->names, cur->ncols * sizeof(char *));
		d->child = cur;
		cur = d;
	}
	uint64_t offset = 0, limit = UINT64_MAX;
	if ((rc = limit_value(bd, off, "OFFSET", &offset)) || (rc = limit_value(bd, lim, "LIMIT", &limit)))
		return rc;
	if (ndon && !grouped && norder > ndon) {
		/* latest row per series: let the storage skip older rows */
		struct xexpr **ox = arena_alloc(bd->a, norder * sizeof(*ox));
		struct xexpr **dx = arena_alloc(bd->a, ndon * sizeof(*dx));
		bool *odesc = arena_alloc(bd->a, norder * sizeof(bool));
		if (!ox || !dx || !odesc)
			return nomem();
		for (size_t k = 0; k < norder; k++) {
			ox[k] = pr->u.proj.exprs[keys[k].col];
			odesc[k] = keys[k].desc;
		}
		for (size_t k = 0; k < ndon; k++)
			dx[k] = pr->u.proj.exprs[don_cols[k]];
		plan_hint_last_per_series(bd, in, dx, (uint32_t)ndon, ox, odesc, (uint32_t)norder);
	}
	if (ndon) {
		/* sort, keep the first row of each key, then limit */
		if ((rc = add_sort_limit(bd, &cur, keys, (uint32_t)norder, 0, 0, false)))
			return rc;
		struct op *d = op_new(bd->p, OP_DISTINCT, cur->ncols);
		if (!d)
			return ERR_NOMEM;
		memcpy(d->types, cur->types, cur->ncols * sizeof(int));
		memcpy(d->names, cur->names, cur->ncols * sizeof(char *));
		d->child = cur;
		d->u.distinct.keys = don_cols;
		d->u.distinct.nkeys = (uint32_t)ndon;
		cur = d;
		if ((rc = add_sort_limit(bd, &cur, NULL, 0, offset, limit, lim != NULL)))
			return rc;
	} else if ((rc = add_sort_limit(bd, &cur, keys, (uint32_t)norder, offset, limit, lim != NULL))) {
		return rc;
	}
	if (nhidden) {
		struct op *dp = op_new(bd->p, OP_PROJECT, nitems);
		if (!dp)
			return ERR_NOMEM;
		dp->child = cur;
		dp->u.proj.exprs = arena_alloc(bd->a, (nitems + 1) * sizeof(struct xexpr *));
		if (!dp->u.proj.exprs)
			return nomem();
		for (uint32_t i = 0; i < nitems; i++) {
			struct xexpr *c = xnew(bd->cx, X_COL, cur->types[i]);
			if (!c)
				return nomem();
			c->u.col = i;
			c->name = items[i].name;
			dp->u.proj.exprs[i] = c;
			dp->types[i] = cur->types[i];
			dp->names[i] = cur->names[i];
		}
		cur = dp;
	}
	/* output scope */
	if (scope_alloc(bd, osc, nitems))
		return ERR_NOMEM;
	for (uint32_t i = 0; i < nitems; i++) {
		osc->cols[i].name = items[i].name;
		osc->cols[i].qual = items[i].plain ? items[i].qual : NULL;
		osc->cols[i].type = items[i].x->type;
		if (items[i].plain && items[i].x->kind == X_COL && !grouped &&
		    items[i].x->u.col < in_sc.n)
			osc->cols[i].time_index = in_sc.cols[items[i].x->u.col].time_index;
	}
	bd->agg_list = NULL;
	bd->nagg = NULL;
	bd->cap_agg = NULL;
	bd->last_select_in = saved_in;
	*out = cur;
	return 0;
}

/* ---- VALUES ------------------------------------------------------------------------ */

static int plan_values(struct binder *bd, const struct sql_values *v, struct op **out,
		       struct scope *osc)
{
	if (v->nrows == 0)
		return plan_err("Error during planning: Values list cannot be empty");
	size_t nc = v->widths[0];
	for (size_t r = 1; r < v->nrows; r++)
		if (v->widths[r] != nc)
			return plan_err("Error during planning: Inconsistent data length across values list: got %zu values in row %zu but expected %zu",
					v->widths[r], r, nc);
	struct xexpr **vals = arena_alloc(bd->a, (v->nrows * nc + 1) * sizeof(*vals));
	int *types = arena_alloc(bd->a, (nc + 1) * sizeof(int));
	if (!vals || !types)
		return nomem();
	struct scope empty = {0, NULL};
	set_binding(bd, &empty, NULL, false, "VALUES");
	for (size_t c = 0; c < nc; c++)
		types[c] = XT_NULL;
	int rc;
	for (size_t r = 0; r < v->nrows; r++)
		for (size_t c = 0; c < nc; c++) {
			struct xexpr *x;
			if ((rc = bind_expr(bd, v->rows[r][c], &x)))
				return rc;
			if (x->kind != X_CONST || x->type == XT_INTERVAL) {
				struct datum d;
				if ((rc = x_eval_const(bd->cx, x, &d)))
					return rc;
				if (!(x = xconst(bd->cx, &d, x->name)))
					return nomem();
			}
			vals[r * nc + c] = x;
			int t = x_common_type(types[c], x->type);
			if (t < 0)
				return plan_err("Error during planning: Inconsistent data type across values list at row %zu column %zu. Was %s but found %s",
						r, c, xtype_arrow_name(types[c]), xtype_arrow_name(x->type));
			types[c] = t;
		}
	struct op *m = op_new(bd->p, OP_MATERIAL, (uint32_t)nc);
	if (!m)
		return ERR_NOMEM;
	enum dtype dt[nc ? nc : 1];
	for (size_t c = 0; c < nc; c++) {
		m->types[c] = types[c];
		dt[c] = types[c] < DT__COUNT ? (enum dtype)types[c] : DT_STRING;
		m->names[c] = arena_printf(bd->a, "column%zu", c + 1);
		if (!m->names[c])
			return ERR_NOMEM;
	}
	if (batch_init(&m->u.mat.b, (uint32_t)nc, dt))
		return nomem();
	for (size_t r = 0; r < v->nrows; r++) {
		for (size_t c = 0; c < nc; c++) {
			struct datum d;
			if ((rc = datum_cast(bd->cx, &vals[r * nc + c]->u.c, types[c], &d)))
				return rc;
			d.type = dt[c];
			if ((rc = colvec_push_datum(&m->u.mat.b.cols[c], &d)))
				return rc;
		}
		m->u.mat.b.nrows++;
	}
	*out = m;
	return scope_of_op(bd, m, NULL, osc);
}

/* ---- set operations ------------------------------------------------------------------ */

static int plan_body(struct binder *bd, const struct sql_query_body *b, struct op **out,
		     struct scope *osc);

/* Cast op's output to types (a projection) when they differ. */
static int cast_to(struct binder *bd, struct op **pop, const int *types, const char **names)
{
	struct op *o = *pop;
	bool same = true;
	for (uint32_t i = 0; i < o->ncols; i++)
		same &= o->types[i] == types[i];
	if (same)
		return 0;
	struct op *p = op_new(bd->p, OP_PROJECT, o->ncols);
	if (!p)
		return ERR_NOMEM;
	p->child = o;
	p->u.proj.exprs = arena_alloc(bd->a, (o->ncols + 1) * sizeof(struct xexpr *));
	if (!p->u.proj.exprs)
		return nomem();
	for (uint32_t i = 0; i < o->ncols; i++) {
		struct xexpr *c = xnew(bd->cx, X_COL, o->types[i]);
		if (!c)
			return nomem();
		c->u.col = i;
		c->name = o->names[i];
		struct xexpr *cc = xcast(bd->cx, c, types[i]);
		if (!cc)
			return err_code();
		p->u.proj.exprs[i] = cc;
		p->types[i] = types[i];
		p->names[i] = names[i];
	}
	*pop = p;
	return 0;
}

static int plan_setop(struct binder *bd, const struct sql_query_body *b, struct op **out,
		      struct scope *osc)
{
	struct op *l, *r;
	struct scope lsc, rsc;
	int rc = plan_body(bd, b->left, &l, &lsc);
	if (rc)
		return rc;
	const struct scope *left_in = bd->last_select_in;
	if ((rc = plan_body(bd, b->right, &r, &rsc)))
		return rc;
	bd->last_select_in = left_in;
	static const char *const opn[] = {"UNION", "INTERSECT", "EXCEPT"};
	if (l->ncols != r->ncols)
		return plan_err("Error during planning: %s queries have different number of columns: left has %u columns whereas right has %u columns",
				opn[b->op], l->ncols, r->ncols);
	uint32_t nc = l->ncols;
	int *types = arena_alloc(bd->a, (nc + 1) * sizeof(int));
	const char **names = arena_alloc(bd->a, (nc + 1) * sizeof(char *));
	if (!types || !names)
		return nomem();
	for (uint32_t i = 0; i < nc; i++) {
		int t = x_common_type(l->types[i], r->types[i]);
		if (t < 0)
			return plan_err("Error during planning: %s Column %s (type: %s) is not compatible with column %s (type: %s)",
					opn[b->op], r->names[i], xtype_arrow_name(r->types[i]), l->names[i],
					xtype_arrow_name(l->types[i]));
		types[i] = t;
		names[i] = lsc.cols[i].name;
	}
	if ((rc = cast_to(bd, &l, types, names)) || (rc = cast_to(bd, &r, types, names)))
		return rc;
	struct op *o;
	if (b->op == SQL_SETOP_UNION) {
		o = op_new(bd->p, OP_UNION, nc);
		if (!o)
			return ERR_NOMEM;
		o->inputs = arena_alloc(bd->a, 2 * sizeof(struct op *));
		if (!o->inputs)
			return nomem();
		o->inputs[0] = l;
		o->inputs[1] = r;
		o->ninputs = 2;
		memcpy(o->types, types, nc * sizeof(int));
		memcpy(o->names, names, nc * sizeof(char *));
		if (!b->all) {
			struct op *d = op_new(bd->p, OP_DISTINCT, nc);
			if (!d)
				return ERR_NOMEM;
			memcpy(d->types, types, nc * sizeof(int));
			memcpy(d->names, names, nc * sizeof(char *));
			d->child = o;
			o = d;
		}
	} else {
		o = op_new(bd->p, OP_SETOP, nc);
		if (!o)
			return ERR_NOMEM;
		o->inputs = arena_alloc(bd->a, 2 * sizeof(struct op *));
		if (!o->inputs)
			return nomem();
		o->inputs[0] = l;
		o->inputs[1] = r;
		o->ninputs = 2;
		o->u.setop.op = b->op;
		o->u.setop.all = b->all;
		memcpy(o->types, types, nc * sizeof(int));
		memcpy(o->names, names, nc * sizeof(char *));
	}
	*out = o;
	if ((rc = scope_of_op(bd, o, NULL, osc)))
		return rc;
	return 0;
}

static int plan_body(struct binder *bd, const struct sql_query_body *b, struct op **out,
		     struct scope *osc)
{
	if (++bd->depth > SQL_MAX_HEIGHT) {
		bd->depth--;
		return err_set(ERR_LIMIT, "query nested too deeply");
	}
	int rc;
	switch (b->kind) {
	case SQL_BODY_SELECT: rc = plan_select(bd, b->select, NULL, 0, NULL, NULL, out, osc); break;
	case SQL_BODY_QUERY: rc = plan_query(bd, b->query, out, osc); break;
	case SQL_BODY_VALUES: rc = plan_values(bd, b->values, out, osc); break;
	case SQL_BODY_SETOP: rc = plan_setop(bd, b, out, osc); break;
	default: rc = plan_err("This feature is not implemented: query body kind %d", b->kind); break;
	}
	bd->depth--;
	return rc;
}

/* ORDER BY over the output of a set operation or VALUES. */
static int order_over_output(struct binder *bd, const struct sql_query *q, struct op *o,
			     const struct scope *osc, struct order_key *keys, struct op **pop)
{
	uint32_t nc = o->ncols;
	struct xexpr **hidden = arena_alloc(bd->a, (q->norder + 1) * sizeof(*hidden));
	if (!hidden)
		return nomem();
	uint32_t nhidden = 0;
	bool distinct = q->body->kind == SQL_BODY_SETOP && !q->body->all;
	for (size_t k = 0; k < q->norder; k++) {
		const struct sql_expr *oe = strip_nested(q->order_by[k].expr);
		int64_t ord = ordinal_of(oe);
		if (ord >= 0) {
			if (ord < 1 || ord > nc)
				return plan_err("Error during planning: Order by column out of bounds, specified: %lld, max: %u",
						(long long)ord, nc);
			fill_key(&q->order_by[k], (uint32_t)(ord - 1), &keys[k]);
			continue;
		}
		set_binding(bd, osc, NULL, false, "ORDER BY");
		struct xexpr *x;
		int rc = bind_expr(bd, oe, &x);
		if (rc) {
			/* a column of the inputs: DataFusion's DISTINCT error */
			if (rc == ERR_PLAN && distinct && bd->last_select_in &&
			    oe->kind != SQL_E_COLUMN) {
				char saved[512];
				snprintf(saved, sizeof(saved), "%s", err_msg());
				set_binding(bd, bd->last_select_in, NULL, false, "ORDER BY");
				struct xexpr *y;
				if (bind_expr(bd, oe, &y) == 0) {
					const struct xexpr *c = first_col(y);
					return plan_err("Error during planning: For SELECT DISTINCT, ORDER BY expressions %s must appear in select list",
							c ? bare_name(c) : y->name);
				}
				err_set(ERR_PLAN, "%s", saved);
			}
			return rc;
		}
		int hit = -1;
		if (x->kind == X_COL)
			hit = (int)x->u.col;
		if (hit < 0) {
			hidden[nhidden] = x;
			hit = (int)(nc + nhidden);
			nhidden++;
		}
		fill_key(&q->order_by[k], (uint32_t)hit, &keys[k]);
	}
	if (nhidden) {
		struct op *p = op_new(bd->p, OP_PROJECT, nc + nhidden);
		if (!p)
			return ERR_NOMEM;
		p->child = o;
		p->u.proj.exprs = arena_alloc(bd->a, (nc + nhidden + 1) * sizeof(struct xexpr *));
		if (!p->u.proj.exprs)
			return nomem();
		for (uint32_t i = 0; i < nc; i++) {
			struct xexpr *c = xnew(bd->cx, X_COL, o->types[i]);
			if (!c)
				return nomem();
			c->u.col = i;
			c->name = o->names[i];
			p->u.proj.exprs[i] = c;
			p->types[i] = o->types[i];
			p->names[i] = o->names[i];
		}
		for (uint32_t h = 0; h < nhidden; h++) {
			p->u.proj.exprs[nc + h] = hidden[h];
			p->types[nc + h] = hidden[h]->type;
			p->names[nc + h] = hidden[h]->name;
		}
		*pop = p;
	}
	return 0;
}

int plan_query(struct binder *bd, const struct sql_query *q, struct op **out, struct scope *osc)
{
	if (q->recursive)
		return plan_err("This feature is not implemented: Recursive CTEs are not supported");
	struct cte_ref *saved = bd->ctes;
	int rc = 0;
	for (size_t i = 0; i < q->nctes && !rc; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(q->ctes[j].name.name, q->ctes[i].name.name) == 0) {
				rc = plan_err("Error during planning: WITH query name \"%s\" specified more than once",
					      q->ctes[i].name.name);
				break;
			}
		struct cte_ref *r = arena_alloc(bd->a, sizeof(*r));
		if (!r) {
			rc = nomem();
			break;
		}
		r->cte = &q->ctes[i];
		r->up = bd->ctes;
		bd->ctes = r;
	}
	if (rc) {
		bd->ctes = saved;
		return rc;
	}
	if (q->body->kind == SQL_BODY_SELECT) {
		rc = plan_select(bd, q->body->select, q->order_by, q->norder, q->limit, q->offset, out, osc);
	} else {
		rc = plan_body(bd, q->body, out, osc);
		if (!rc && (q->norder || q->limit || q->offset)) {
			struct order_key *keys = arena_alloc(bd->a, (q->norder + 1) * sizeof(*keys));
			uint64_t offset = 0, limit = UINT64_MAX;
			struct op *o = *out;
			uint32_t nc = o->ncols;
			if (!keys)
				rc = nomem();
			if (!rc)
				rc = order_over_output(bd, q, *out, osc, keys, &o);
			if (!rc && !(rc = limit_value(bd, q->offset, "OFFSET", &offset)))
				rc = limit_value(bd, q->limit, "LIMIT", &limit);
			if (!rc)
				rc = add_sort_limit(bd, &o, keys, (uint32_t)q->norder, offset, limit, q->limit != NULL);
			if (!rc && o->ncols != nc) {
				struct op *dp = op_new(bd->p, OP_PROJECT, nc);
				if (!dp)
					rc = ERR_NOMEM;
				else {
					dp->child = o;
					dp->u.proj.exprs = arena_alloc(bd->a, (nc + 1) * sizeof(struct xexpr *));
					if (!dp->u.proj.exprs)
						rc = nomem();
					for (uint32_t i = 0; i < nc && !rc; i++) {
						struct xexpr *c = xnew(bd->cx, X_COL, o->types[i]);
						if (!c) {
							rc = nomem();
							break;
						}
						c->u.col = i;
						c->name = o->names[i];
						dp->u.proj.exprs[i] = c;
						dp->types[i] = o->types[i];
						dp->names[i] = o->names[i];
					}
					o = dp;
				}
			}
			if (!rc)
				*out = o;
		}
	}
	bd->ctes = saved;
	return rc;
}

int plan_subquery(struct binder *bd, const struct sql_query *q, struct batch *out, int **types,
		  uint32_t *ncols)
{
	memset(out, 0, sizeof(*out));
	/* a subquery sees no outer columns (no correlation) */
	struct binder sub = *bd;
	sub.sc = NULL;
	sub.aliases = NULL;
	sub.agg_list = NULL;
	sub.nagg = NULL;
	sub.cap_agg = NULL;
	sub.allow_agg = false;
	sub.agg_context = NULL;
	struct op *o;
	struct scope sc;
	int rc = plan_query(&sub, q, &o, &sc);
	if (rc)
		return rc;
	enum dtype dt[o->ncols ? o->ncols : 1];
	for (uint32_t c = 0; c < o->ncols; c++)
		dt[c] = o->types[c] < DT__COUNT ? (enum dtype)o->types[c] : DT_STRING;
	if (batch_init(out, o->ncols, dt))
		return nomem();
	for (;;) {
		const struct batch *b;
		if ((rc = op_next(bd->p, o, &b)))
			break;
		if (!b)
			break;
		for (uint32_t c = 0; c < o->ncols && !rc; c++)
			rc = vec_append(&out->cols[c], &b->cols[c], 0, b->nrows);
		if (rc)
			break;
		out->nrows += b->nrows;
		if (out->nrows > 10000000) {
			rc = err_set(ERR_LIMIT, "subquery result too large");
			break;
		}
	}
	if (rc) {
		batch_free(out);
		return rc;
	}
	*types = o->types;
	*ncols = o->ncols;
	return 0;
}
