/*
 * plan_scan: table scans and predicate pushdown.
 *
 * A FROM table becomes an OP_SCAN over the caller's table provider. Its
 * scan_request gets:
 *   projection  the columns any expression of the query references (set
 *               while binding, scope_use);
 *   ts_min/max  the time-index range implied by WHERE conjuncts of the
 *               form ts OP literal / BETWEEN (half-open, in the column's
 *               unit; an empty range skips the scan);
 *   preds       every conjunct of the form col OP literal, literal OP col,
 *               col IN (literals), col IS [NOT] NULL, with the literal in
 *               the column's type (conjuncts whose literal does not
 *               convert exactly are not pushed).
 * Pushdown is an optimisation: the FILTER above the scan re-checks all.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "sql/plan.h"
#include "storage/merge.h"
#include "storage/pred.h"

static int nomem(void) { return err_set(ERR_NOMEM, "out of memory"); }

static int add_provider(struct plan *p, struct table_provider *t)
{
	if (p->nproviders == p->cap_providers) {
		uint32_t cap = p->cap_providers ? p->cap_providers * 2 : 8;
		struct table_provider **n = arena_alloc(p->cx.a, cap * sizeof(*n));
		if (!n)
			return nomem();
		if (p->nproviders)
			memcpy(n, p->providers, p->nproviders * sizeof(*n));
		p->providers = n;
		p->cap_providers = cap;
	}
	p->providers[p->nproviders++] = t;
	return 0;
}

int plan_scan(struct binder *bd, const struct sql_from *f, struct op **out, struct scope *osc);

int plan_scan(struct binder *bd, const struct sql_from *f, struct op **out, struct scope *osc)
{
	if (!bd->env || !bd->env->resolve_table) {
		char q[256];
		size_t w = 0;
		for (int i = 0; i < f->table.n && w < sizeof(q) - 1; i++)
			w += (size_t)snprintf(q + w, sizeof(q) - w, "%s%s", i ? "." : "", f->table.part[i].name);
		return err_set(ERR_NOT_FOUND, "Failed to plan SQL: Table not found: %s", q);
	}
	struct table_provider *t = NULL;
	int rc = bd->env->resolve_table(bd->env->ctx, bd->s, &f->table, &t);
	if (rc == ERR_NOT_FOUND && strncmp(err_msg(), "Failed to plan SQL", 18) != 0)
		return err_wrap("Failed to plan SQL");
	if (rc)
		return rc;
	if (!t)
		return err_set(ERR_INTERNAL, "table resolver returned no table");
	if ((rc = add_provider(bd->p, t))) {
		/* not registered: release it here */
		if (t->release)
			t->release(t);
		return rc;
	}
	struct op *o = op_new(bd->p, OP_SCAN, t->ncols);
	if (!o)
		return ERR_NOMEM;
	o->u.scan.t = t;
	o->u.scan.proj = arena_alloc(bd->a, t->ncols + 1);
	if (!o->u.scan.proj)
		return nomem();
	memset(o->u.scan.proj, 0, t->ncols + 1);
	scan_request_init(&o->u.scan.req);
	o->u.scan.ts_col = -1;
	/* the qualifier: the alias, or the name as written */
	char *q;
	if (f->alias) {
		q = arena_strndup(bd->a, f->alias->name, strlen(f->alias->name));
	} else {
		size_t len = 0;
		for (int i = 0; i < f->table.n; i++)
			len += strlen(f->table.part[i].name) + 1;
		q = arena_alloc(bd->a, len + 1);
		if (q) {
			q[0] = 0;
			for (int i = 0; i < f->table.n; i++) {
				if (i)
					strcat(q, ".");
				strcat(q, f->table.part[i].name);
			}
		}
	}
	if (!q)
		return nomem();
	o->u.scan.qual = q;
	osc->n = t->ncols;
	osc->cols = arena_alloc(bd->a, (t->ncols + 1) * sizeof(*osc->cols));
	if (!osc->cols)
		return nomem();
	memset(osc->cols, 0, (t->ncols + 1) * sizeof(*osc->cols));
	for (uint32_t i = 0; i < t->ncols; i++) {
		o->types[i] = t->cols[i].type;
		o->names[i] = t->cols[i].name;
		osc->cols[i].qual = q;
		osc->cols[i].name = t->cols[i].name;
		osc->cols[i].type = t->cols[i].type;
		osc->cols[i].scan = o;
		osc->cols[i].scan_col = i;
		osc->cols[i].time_index = t->cols[i].is_time_index;
		if (t->cols[i].is_time_index && o->u.scan.ts_col < 0)
			o->u.scan.ts_col = (int)i;
	}
	if (f->ncol_aliases > t->ncols)
		return plan_err("Error during planning: Source table contains %u columns but only %zu names given as column alias",
				t->ncols, f->ncol_aliases);
	for (size_t i = 0; i < f->ncol_aliases; i++)
		osc->cols[i].name = f->col_aliases[i].name;
	*out = o;
	return 0;
}

/* ---- pushdown -------------------------------------------------------------------- */

static int add_pred(struct binder *bd, struct op *scan, const struct scan_pred *p)
{
	if (scan->u.scan.npreds == scan->u.scan.cap_preds) {
		uint32_t cap = scan->u.scan.cap_preds ? scan->u.scan.cap_preds * 2 : 8;
		struct scan_pred *n = arena_alloc(bd->a, cap * sizeof(*n));
		if (!n)
			return nomem();
		if (scan->u.scan.npreds)
			memcpy(n, scan->u.scan.preds, scan->u.scan.npreds * sizeof(*n));
		scan->u.scan.preds = n;
		scan->u.scan.cap_preds = cap;
	}
	scan->u.scan.preds[scan->u.scan.npreds++] = *p;
	return 0;
}

/* The scan column under e (a column, or a value-preserving cast of one). */
static int column_of(const struct op *scan, const struct xexpr *e)
{
	if (e->kind == X_CAST) {
		const struct xexpr *a = e->u.un.a;
		if (a->kind != X_COL)
			return -1;
		int from = a->type, to = e->type;
		bool widen = (xtype_is_int(from) && (xtype_is_int(to) || xtype_is_float(to))) ||
			     (from == DT_FLOAT32 && to == DT_FLOAT64);
		if (!widen)
			return -1;
		e = a;
	}
	if (e->kind != X_COL || e->u.col >= scan->ncols)
		return -1;
	return (int)e->u.col;
}

/* lit (of the comparison type) in the column's type, exactly. */
static bool lit_for_column(struct binder *bd, const struct datum *lit, int ctype, struct datum *out)
{
	if (lit->is_null)
		return false;
	if ((int)lit->type == ctype) {
		*out = *lit;
		return true;
	}
	struct datum d, back;
	if (datum_cast(bd->cx, lit, ctype, &d)) {
		err_clear();
		return false;
	}
	if (datum_cast(bd->cx, &d, lit->type, &back) || datum_cmp(&back, lit) != 0) {
		err_clear();
		return false;
	}
	*out = d;
	return true;
}


static void narrow_ts(struct op *scan, int op, int64_t v)
{
	struct scan_request *r = &scan->u.scan.req;
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	switch (op) {
	case XOP_EQ:
		lo = v;
		hi = v == INT64_MAX ? INT64_MAX : v + 1;
		break;
	case XOP_GT:
		if (v == INT64_MAX)
			scan->u.scan.empty = true;
		else
			lo = v + 1;
		break;
	case XOP_GE: lo = v; break;
	case XOP_LT: hi = v; break;
	case XOP_LE: hi = v == INT64_MAX ? INT64_MAX : v + 1; break;
	default: return;
	}
	if (lo > r->ts_min)
		r->ts_min = lo;
	if (hi < r->ts_max)
		r->ts_max = hi;
	if (r->ts_min >= r->ts_max)
		scan->u.scan.empty = true;
}

static void push_conjunct(struct binder *bd, struct op *scan, const struct xexpr *c)
{
	struct scan_pred p;
	memset(&p, 0, sizeof(p));
	if (c->kind == X_CONST && c->type == DT_BOOL && (c->u.c.is_null || !c->u.c.v.i)) {
		scan->u.scan.empty = true;
		return;
	}
	if (c->kind == X_BIN && c->u.bin.op >= XOP_EQ && c->u.bin.op <= XOP_GE) {
		const struct xexpr *a = c->u.bin.a, *b = c->u.bin.b;
		int op = c->u.bin.op;
		if (a->kind == X_CONST) {
			const struct xexpr *t = a;
			a = b;
			b = t;
			op = xop_mirror(op);
		}
		int col = column_of(scan, a);
		if (col < 0 || b->kind != X_CONST || b->type >= DT__COUNT)
			return;
		int ctype = scan->types[col];
		if (!lit_for_column(bd, &b->u.c, ctype, &p.lit))
			return;
		p.lit.type = ctype;
		p.col = (uint32_t)col;
		static const enum pred_op map[] = {[XOP_EQ] = PRED_EQ, [XOP_NE] = PRED_NE,
						   [XOP_LT] = PRED_LT, [XOP_LE] = PRED_LE,
						   [XOP_GT] = PRED_GT, [XOP_GE] = PRED_GE};
		p.op = map[op];
		if (col == scan->u.scan.ts_col && ctype == (int)b->type)
			narrow_ts(scan, op, p.lit.v.i);
		add_pred(bd, scan, &p);
		return;
	}
	if (c->kind == X_IN && !c->u.in.neg) {
		int col = column_of(scan, c->u.in.a);
		if (col < 0)
			return;
		int ctype = scan->types[col];
		struct datum *list = arena_alloc(bd->a, (c->u.in.nlist + 1) * sizeof(*list));
		if (!list)
			return;
		uint32_t k = 0;
		for (uint32_t i = 0; i < c->u.in.nlist; i++) {
			if (!lit_for_column(bd, &c->u.in.list[i], ctype, &list[k]))
				return;
			list[k++].type = ctype;
		}
		if (k == 0 && !c->u.in.has_null) {
			scan->u.scan.empty = true;
			return;
		}
		p.col = (uint32_t)col;
		p.op = PRED_IN;
		p.lit.type = ctype;
		p.list = list;
		p.nlist = k;
		add_pred(bd, scan, &p);
		return;
	}
	if (c->kind == X_IS && c->u.is.what == XIS_NULL) {
		int col = column_of(scan, c->u.is.a);
		if (col < 0 || c->u.is.a->kind != X_COL)
			return;
		p.col = (uint32_t)col;
		p.op = c->u.is.neg ? PRED_IS_NOT_NULL : PRED_IS_NULL;
		p.lit.type = scan->types[col];
		p.lit.is_null = true;
		add_pred(bd, scan, &p);
	}
}

static void walk_and(struct binder *bd, struct op *scan, const struct xexpr *e, int depth)
{
	if (depth > 10000)
		return;
	if (e->kind == X_BIN && e->u.bin.op == XOP_AND) {
		walk_and(bd, scan, e->u.bin.a, depth + 1);
		walk_and(bd, scan, e->u.bin.b, depth + 1);
		return;
	}
	push_conjunct(bd, scan, e);
}

void pushdown_filter(struct binder *bd, struct op *scan, struct xexpr *pred)
{
	walk_and(bd, scan, pred, 0);
	err_clear();
}

/* Every column e references is a tag of the scan (so e is constant over
 * the rows of one series); only the common, row-local node kinds. */
static bool tags_only(const struct op *scan, const struct xexpr *e, int depth)
{
	if (!e || depth > 64)
		return false;
	const struct table_provider *t = scan->u.scan.t;
	switch (e->kind) {
	case X_CONST:
		return true;
	case X_COL:
		return e->u.col < t->ncols && t->cols[e->u.col].is_tag;
	case X_BIN:
		return tags_only(scan, e->u.bin.a, depth + 1) && tags_only(scan, e->u.bin.b, depth + 1);
	case X_NOT:
	case X_NEG:
	case X_CAST:
		return tags_only(scan, e->u.un.a, depth + 1);
	case X_IS:
		return tags_only(scan, e->u.is.a, depth + 1);
	case X_IN:
		return tags_only(scan, e->u.in.a, depth + 1);
	default:
		return false;
	}
}

/* The scan column e is (a plain column reference), or -1. */
static int plain_col(const struct op *scan, const struct xexpr *e)
{
	if (!e || e->kind != X_COL || e->u.col >= scan->ncols)
		return -1;
	return (int)e->u.col;
}

void plan_hint_last_per_series(struct binder *bd, struct op *in, struct xexpr *const *don,
			       uint32_t ndon, struct xexpr *const *order, const bool *desc,
			       uint32_t norder)
{
	struct op *scan = in;
	if (in->kind == OP_FILTER) {
		scan = in->child;
		if (scan->kind != OP_SCAN || !tags_only(scan, in->u.filter.pred, 0))
			return;
	}
	if (scan->kind != OP_SCAN || scan->u.scan.ts_col < 0 || scan->u.scan.empty ||
	    !ndon || norder <= ndon)
		return;
	const struct table_provider *t = scan->u.scan.t;
	/* DISTINCT ON (tags) */
	for (uint32_t k = 0; k < ndon; k++) {
		int c = plain_col(scan, don[k]);
		if (c < 0 || !t->cols[c].is_tag)
			return;
	}
	/* ORDER BY the same tags (any order, any direction), then ts DESC */
	for (uint32_t k = 0; k < ndon; k++) {
		int c = plain_col(scan, order[k]);
		bool hit = false;
		for (uint32_t j = 0; j < ndon && !hit && c >= 0; j++)
			hit = plain_col(scan, don[j]) == c;
		if (!hit)
			return;
	}
	if (plain_col(scan, order[ndon]) != scan->u.scan.ts_col || !desc[ndon])
		return;
	struct scan_pred p;
	scan_hint_last_per_series((uint32_t)scan->u.scan.ts_col,
				  (enum dtype)scan->types[scan->u.scan.ts_col], &p);
	add_pred(bd, scan, &p);
}

void plan_hint_any_order(struct binder *bd, struct op *in)
{
	struct op *scan = in;
	while (scan->kind == OP_FILTER)
		scan = scan->child;
	if (scan->kind != OP_SCAN || scan->u.scan.ts_col < 0 || scan->u.scan.empty)
		return;
	for (uint32_t i = 0; i < scan->u.scan.npreds; i++)
		if (scan_pred_is_any_order(&scan->u.scan.preds[i]))
			return;
	struct scan_pred p;
	scan_hint_any_order((uint32_t)scan->u.scan.ts_col,
			    (enum dtype)scan->types[scan->u.scan.ts_col], &p);
	add_pred(bd, scan, &p);
}

/* The scan under o through FILTERs and PROJECTs whose column col is the
 * scan's column *scan_col (col tracked through plain column projections;
 * *scan_col UINT32_MAX when a projection computes it), or NULL. */
static struct op *scan_below(struct op *o, uint32_t col, uint32_t *scan_col)
{
	for (int depth = 0; o && depth < 64; depth++) {
		if (o->kind == OP_SCAN) {
			*scan_col = col;
			return o;
		}
		if (o->kind == OP_FILTER) { /* columns pass through in place */
			o = o->child;
		} else if (o->kind == OP_PROJECT) {
			const struct xexpr *e = col < o->ncols ? o->u.proj.exprs[col] : NULL;
			col = e && e->kind == X_COL ? e->u.col : UINT32_MAX;
			o = o->child;
		} else {
			return NULL;
		}
	}
	return NULL;
}

void plan_hint_first_rows(struct op *limit)
{
	uint32_t col;
	struct op *scan = limit->kind == OP_LIMIT ? scan_below(limit->child, 0, &col) : NULL;
	if (scan && !scan->u.scan.partial)
		scan->u.scan.req.first_rows = true;
}

void plan_bound_topk_ts(struct op *sort)
{
	if (sort->kind != OP_SORT || sort->u.sort.fetch == UINT64_MAX || sort->u.sort.nkeys == 0)
		return;
	uint32_t col;
	struct op *o = scan_below(sort->child, sort->u.sort.keys[0].col, &col);
	if (!o || o->u.scan.empty || o->u.scan.partial || o->u.scan.ts_col < 0 ||
	    col != (uint32_t)o->u.scan.ts_col)
		return;
	sort->u.sort.ts_bound = (struct scan_ts_bound){INT64_MIN, INT64_MAX};
	sort->u.sort.ts_bounded = true;
	o->u.scan.req.ts_bound = &sort->u.sort.ts_bound;
}
