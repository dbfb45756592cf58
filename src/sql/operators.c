/*
 * operators: the pull-based, batch-at-a-time executor (plan.h lists the
 * operators). Each op_next call returns one batch; blocking operators
 * (aggregate, sort, distinct, set operations, the build side of a join)
 * consume their input on the first call.
 *
 * Batches are borrowed where possible: a filter whose predicate keeps
 * every row returns its input batch, a projection of plain columns shares
 * the input's vectors, a limit inside one batch passes it through. Sorts
 * with a fetch limit (ORDER BY ... LIMIT k) are top-k: once k rows are
 * known, only rows that beat the k-th are buffered, and the buffer is
 * sorted and cut back to k whenever it exceeds max(2k, 4096) rows.
 *
 * Sort order: ASC sorts NULLs last and DESC sorts them first unless NULLS
 * FIRST/LAST says otherwise (DataFusion's default); floats order NaN
 * above every number; ties keep input order (stable merge sort).
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/plan.h"

struct op *op_new(struct plan *p, int kind, uint32_t ncols)
{
	struct op *o = arena_alloc(p->cx.a, sizeof(*o));
	if (!o) {
		err_set(ERR_NOMEM, "out of memory");
		return NULL;
	}
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->ncols = ncols;
	o->types = arena_alloc(p->cx.a, (ncols + 1) * sizeof(int));
	o->names = arena_alloc(p->cx.a, (ncols + 1) * sizeof(char *));
	if (!o->types || !o->names) {
		err_set(ERR_NOMEM, "out of memory");
		return NULL;
	}
	memset(o->names, 0, (ncols + 1) * sizeof(char *));
	if (p->nops == p->cap_ops) {
		uint32_t cap = p->cap_ops ? p->cap_ops * 2 : 16;
		struct op **n = arena_alloc(p->cx.a, cap * sizeof(*n));
		if (!n) {
			err_set(ERR_NOMEM, "out of memory");
			return NULL;
		}
		if (p->nops)
			memcpy(n, p->ops, p->nops * sizeof(*n));
		p->ops = n;
		p->cap_ops = cap;
	}
	p->ops[p->nops++] = o;
	if (kind == OP_SCAN) /* (the union member of the other kinds is theirs) */
		o->u.scan.ts_col = -1;
	return o;
}

static enum dtype phys_type(int t) { return t < DT__COUNT ? (enum dtype)t : DT_STRING; }

/* (Re)initialise o->out with ncols columns of the given types. */
static int out_prepare(struct op *o, uint32_t ncols, const struct batch *like)
{
	if (o->out_init && o->out.ncols == ncols)
		return 0;
	if (o->out_init)
		batch_free(&o->out);
	enum dtype tt[ncols ? ncols : 1];
	for (uint32_t c = 0; c < ncols; c++)
		tt[c] = like ? like->cols[c].type : phys_type(o->types[c]);
	if (batch_init(&o->out, ncols, tt))
		return ERR_NOMEM;
	o->out_init = true;
	return 0;
}

/* ---- scan ------------------------------------------------------------------------ */

static int scan_next(struct op *o, const struct batch **out)
{
	struct table_provider *t = o->u.scan.t;
	if (o->u.scan.empty) {
		*out = NULL;
		return 0;
	}
	if (!o->u.scan.stream) {
		o->u.scan.req.projection = o->u.scan.proj;
		o->u.scan.req.preds = o->u.scan.preds;
		o->u.scan.req.npreds = o->u.scan.npreds;
		int rc = o->u.scan.partial ? t->scan_partial(t, &o->u.scan.req, o->u.scan.partial,
							     &o->u.scan.stream)
					   : t->scan(t, &o->u.scan.req, &o->u.scan.stream);
		if (rc)
			return rc;
		if (!o->u.scan.stream)
			return err_set(ERR_INTERNAL, "table %s: scan opened no stream", t->name);
	}
	for (;;) {
		const struct batch *b = NULL;
		int rc = o->u.scan.stream->next(o->u.scan.stream, &b);
		if (rc)
			return rc;
		if (!b) {
			*out = NULL;
			return 0;
		}
		if (b->nrows == 0)
			continue;
		if (o->u.scan.partial) {
			const struct partial_agg_req *pa = o->u.scan.partial;
			if (b->ncols != pa->ncols)
				return err_set(ERR_INTERNAL, "table %s: partial aggregation returned %u columns, expected %u",
					       t->name, b->ncols, pa->ncols);
			for (uint32_t c = 0; c < b->ncols; c++)
				if (b->cols[c].type != pa->types[c] || b->cols[c].len < b->nrows)
					return err_set(ERR_INTERNAL, "table %s: partial aggregation column %u is %s (%u values), expected %s (%u)",
						       t->name, c, dtype_name(b->cols[c].type), b->cols[c].len,
						       dtype_name(pa->types[c]), b->nrows);
			*out = b;
			return 0;
		}
		if (b->ncols != t->ncols)
			return err_set(ERR_INTERNAL, "table %s: scan returned %u columns, expected %u",
				       t->name, b->ncols, t->ncols);
		for (uint32_t c = 0; c < b->ncols; c++)
			if ((!o->u.scan.proj || o->u.scan.proj[c]) && b->cols[c].len < b->nrows)
				return err_set(ERR_INTERNAL, "table %s: column %s is short in a scanned batch",
					       t->name, t->cols[c].name);
		*out = b;
		return 0;
	}
}

/* ---- filter ----------------------------------------------------------------------- */

static int gather_batch(struct op *o, const struct batch *b, const uint32_t *sel, uint32_t k)
{
	int rc = out_prepare(o, b->ncols, b);
	for (uint32_t c = 0; c < b->ncols && !rc; c++) {
		struct colvec *d = &o->out.cols[c];
		if (b->cols[c].len >= b->nrows && b->nrows)
			rc = vec_gather(d, &b->cols[c], sel, k);
		else
			rc = vec_empty(d, b->cols[c].type, 0);
	}
	o->out.nrows = k;
	return rc;
}

static int filter_next(struct plan *p, struct op *o, const struct batch **out)
{
	for (;;) {
		const struct batch *b;
		int rc = op_next(p, o->child, &b);
		if (rc)
			return rc;
		if (!b) {
			*out = NULL;
			return 0;
		}
		if (b->nrows == 0)
			continue;
		if (b->nrows > o->u.filter.cap) {
			mem_free(o->u.filter.sel);
			o->u.filter.sel = mem_alloc((size_t)b->nrows * sizeof(uint32_t));
			o->u.filter.cap = o->u.filter.sel ? b->nrows : 0;
			if (!o->u.filter.sel)
				return ERR_NOMEM;
		}
		uint32_t k;
		if ((rc = x_eval_filter(&p->cx, o->u.filter.pred, b, o->u.filter.sel, &k)))
			return rc;
		if (k == b->nrows) {
			*out = b;
			return 0;
		}
		if (k == 0)
			continue;
		if ((rc = gather_batch(o, b, o->u.filter.sel, k)))
			return rc;
		*out = &o->out;
		return 0;
	}
}

/* ---- project ----------------------------------------------------------------------- */

static void unborrow(struct op *o)
{
	if (!o->out_init || !o->u.proj.borrowed)
		return;
	for (uint32_t c = 0; c < o->ncols; c++)
		if (o->u.proj.borrowed[c]) {
			colvec_init(&o->out.cols[c], o->out.cols[c].type);
			o->u.proj.borrowed[c] = false;
		}
}

static int project_next(struct plan *p, struct op *o, const struct batch **out)
{
	const struct batch *b;
	int rc = op_next(p, o->child, &b);
	if (rc)
		return rc;
	if (!b) {
		*out = NULL;
		return 0;
	}
	if (!o->u.proj.borrowed) {
		o->u.proj.borrowed = mem_calloc(o->ncols ? o->ncols : 1, 1);
		if (!o->u.proj.borrowed)
			return ERR_NOMEM;
	}
	if ((rc = out_prepare(o, o->ncols, NULL)))
		return rc;
	unborrow(o);
	uint32_t n = b->nrows;
	for (uint32_t c = 0; c < o->ncols; c++) {
		struct xval x;
		if ((rc = x_eval(&p->cx, o->u.proj.exprs[c], b, &x)))
			return rc;
		if (x.v) {
			colvec_free(&o->out.cols[c]);
			o->out.cols[c] = *x.v;
			o->u.proj.borrowed[c] = true;
		} else {
			enum dtype t = phys_type(o->types[c]);
			if ((rc = vec_broadcast(&o->out.cols[c], &x.c, t, n)))
				return rc;
		}
	}
	o->out.nrows = n;
	*out = &o->out;
	return 0;
}

/* ---- aggregate ---------------------------------------------------------------------- */

/* Evaluate e over b as a vector of type t (constants broadcast into tmp). */
static int materialize(struct xctx *cx, struct xexpr *e, const struct batch *b, enum dtype t,
		       struct colvec *tmp, const struct colvec **out)
{
	struct xval x;
	int rc = x_eval(cx, e, b, &x);
	if (rc)
		return rc;
	return xval_materialize(&x, t, b->nrows, tmp, out);
}

/* Untyped NULL keys group as strings (what their column is everywhere);
 * untyped NULL aggregate arguments count as Int64. */
static enum dtype key_type(int t) { return phys_type(t); }
static enum dtype arg_type(int t) { return t == XT_NULL ? DT_INT64 : phys_type(t); }

/* A copy of v (n values) that is null where the filter f is not TRUE. */
static int apply_filter(const struct colvec *v, const struct colvec *f, uint32_t n,
			struct colvec *dst)
{
	int rc = vec_empty(dst, v ? v->type : DT_BOOL, n);
	if (rc)
		return rc;
	if (v) {
		if ((rc = vec_append(dst, v, 0, n)))
			return rc;
	} else {
		if ((rc = vec_fixed(dst, DT_BOOL, n)))
			return rc;
		for (uint32_t i = 0; i < n; i++)
			dst->i64[i] = 1;
	}
	for (uint32_t i = 0; i < n; i++)
		if (!(vec_valid(f, i) && f->i64[i]) && (rc = vec_set_null(dst, i)))
			return rc;
	return 0;
}

int op_charge_held(struct plan *p, uint64_t now, uint64_t *charged)
{
	int64_t delta = (int64_t)now - (int64_t)*charged;
	*charged = now;
	return delta ? session_mem_charge(p->cx.s, delta) : ERR_OK;
}

static int agg_next(struct plan *p, struct op *o, const struct batch **out)
{
	if (o->u.agg.sent) {
		*out = NULL;
		return 0;
	}
	uint32_t ng = o->u.agg.ngroups, na = o->u.agg.naggs;
	/* temporaries: groups, args, orders, filters, filtered args */
	uint32_t ntmp = ng + 4 * na;
	if (!o->u.agg.tmp) {
		o->u.agg.tmp = mem_calloc(ntmp ? ntmp : 1, sizeof(struct colvec));
		if (!o->u.agg.tmp)
			return ERR_NOMEM;
		for (uint32_t i = 0; i < ntmp; i++)
			colvec_init(&o->u.agg.tmp[i], DT_INT64);
	}
	struct colvec *tmp = o->u.agg.tmp;
	int rc = 0;
	if (!o->u.agg.h) {
		enum dtype kt[ng ? ng : 1];
		struct agg_spec specs[na ? na : 1];
		for (uint32_t g = 0; g < ng; g++)
			kt[g] = key_type(o->u.agg.groups[g]->type);
		for (uint32_t a = 0; a < na; a++) {
			struct xexpr *ae = o->u.agg.aggs[a];
			memset(&specs[a], 0, sizeof(specs[a]));
			specs[a].def = ae->u.agg.def;
			specs[a].arg_type = ae->u.agg.nargs ? ae->u.agg.args[0]->type : XT_NULL;
			if (specs[a].arg_type == XT_NULL && ae->u.agg.nargs)
				specs[a].arg_type = DT_INT64;
			if (!ae->u.agg.nargs && ae->u.agg.filter)
				specs[a].arg_type = DT_BOOL;
			specs[a].res_type = ae->type;
			specs[a].distinct = ae->u.agg.distinct;
			specs[a].ordered = ae->u.agg.order != NULL;
		}
		if ((rc = hagg_create(&o->u.agg.h, ng, kt, na, specs)))
			return rc;
	}
	const struct colvec *keys[ng ? ng : 1];
	const struct colvec *args[na ? na : 1];
	const struct colvec *ords[na ? na : 1];
	for (;;) {
		const struct batch *b;
		if ((rc = op_next(p, o->child, &b)))
			return rc;
		if (!b) {
			/* time-bucket top-k: another window, unless enough groups are known */
			bool more = false;
			if (o->u.agg.win &&
			    (rc = aggwin_advance(p, o, hagg_groups(o->u.agg.h), &more)))
				return rc;
			if (more)
				continue;
			break;
		}
		if (o->u.agg.win && b->nrows && (rc = aggwin_clip(o, b, &b)))
			return rc;
		if (b->nrows == 0)
			continue;
		if (p->cx.s && session_cancelled(p->cx.s))
			return err_set(ERR_EXEC, "Query was cancelled");
		for (uint32_t g = 0; g < ng; g++)
			if ((rc = materialize(&p->cx, o->u.agg.groups[g], b, key_type(o->u.agg.groups[g]->type),
					      &tmp[g], &keys[g])))
				return rc;
		for (uint32_t a = 0; a < na; a++) {
			struct xexpr *ae = o->u.agg.aggs[a];
			args[a] = NULL;
			ords[a] = NULL;
			if (ae->u.agg.nargs &&
			    (rc = materialize(&p->cx, ae->u.agg.args[0], b, arg_type(ae->u.agg.args[0]->type),
					      &tmp[ng + a], &args[a])))
				return rc;
			if (ae->u.agg.order &&
			    (rc = materialize(&p->cx, ae->u.agg.order, b, arg_type(ae->u.agg.order->type),
					      &tmp[ng + na + a], &ords[a])))
				return rc;
			if (ae->u.agg.filter) {
				const struct colvec *f;
				if ((rc = materialize(&p->cx, ae->u.agg.filter, b, DT_BOOL, &tmp[ng + 2 * na + a], &f)) ||
				    (rc = apply_filter(args[a], f, b->nrows, &tmp[ng + 3 * na + a])))
					return rc;
				args[a] = &tmp[ng + 3 * na + a];
			}
		}
		if ((rc = hagg_update(o->u.agg.h, keys, b->nrows, args, ords)) ||
		    (rc = op_charge_held(p, hagg_mem_size(o->u.agg.h), &o->u.agg.charged)))
			return rc;
	}
	if (o->out_init) {
		batch_free(&o->out);
		o->out_init = false;
	}
	if ((rc = hagg_finish(o->u.agg.h, &o->out)))
		return rc;
	o->out_init = true;
	o->u.agg.sent = true;
	*out = &o->out;
	return 0;
}

/* ---- sort --------------------------------------------------------------------------- */

struct sort_ctx {
	const struct batch *b;
	const struct sort_key *keys;
	uint32_t nkeys;
};

/* Compare row i of batch ba with row j of batch bb (same layout). */
static int cmp_rows2(const struct sort_ctx *c, const struct batch *ba, uint32_t i,
		     const struct batch *bb, uint32_t j)
{
	for (uint32_t k = 0; k < c->nkeys; k++) {
		const struct sort_key *sk = &c->keys[k];
		const struct colvec *v = &ba->cols[sk->col], *w = &bb->cols[sk->col];
		bool ni = !vec_valid(v, i), nj = !vec_valid(w, j);
		int r;
		if (ni || nj) {
			if (ni == nj)
				continue;
			r = ni ? -1 : 1;
			if (!sk->nulls_first)
				r = -r;
			return r; /* nulls placement ignores DESC */
		}
		switch (xphys(v->type)) {
		case PHYS_I64:
			if (v->type == DT_UINT64) {
				uint64_t x = (uint64_t)v->i64[i], y = (uint64_t)w->i64[j];
				r = x < y ? -1 : x > y;
			} else {
				r = v->i64[i] < w->i64[j] ? -1 : v->i64[i] > w->i64[j];
			}
			break;
		case PHYS_F64: {
			double x = v->f64[i], y = w->f64[j];
			if (isnan(x) || isnan(y))
				r = isnan(x) == isnan(y) ? 0 : (isnan(x) ? 1 : -1);
			else
				r = x < y ? -1 : x > y;
			break;
		}
		default: {
			uint32_t la = v->offs[i + 1] - v->offs[i], lb = w->offs[j + 1] - w->offs[j];
			uint32_t m = la < lb ? la : lb;
			int cc = m ? memcmp(v->bytes + v->offs[i], w->bytes + w->offs[j], m) : 0;
			r = cc ? (cc < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
			break;
		}
		}
		if (r)
			return sk->desc ? -r : r;
	}
	return 0;
}

static int cmp_rows(const struct sort_ctx *c, uint32_t i, uint32_t j)
{
	return cmp_rows2(c, c->b, i, c->b, j);
}

/* Stable bottom-up merge sort of idx[0..n). */
static int merge_sort(const struct sort_ctx *c, uint32_t *idx, uint32_t n)
{
	if (n < 2)
		return 0;
	uint32_t *tmp = mem_alloc((size_t)n * sizeof(uint32_t));
	if (!tmp)
		return ERR_NOMEM;
	/* insertion sort runs of 16 */
	const uint32_t run = 16;
	for (uint32_t s = 0; s < n; s += run) {
		uint32_t e = s + run < n ? s + run : n;
		for (uint32_t i = s + 1; i < e; i++) {
			uint32_t x = idx[i], j = i;
			while (j > s && cmp_rows(c, idx[j - 1], x) > 0) {
				idx[j] = idx[j - 1];
				j--;
			}
			idx[j] = x;
		}
	}
	uint32_t *src = idx, *dst = tmp;
	for (uint32_t w = run; w < n; w *= 2) {
		for (uint32_t s = 0; s < n; s += 2 * w) {
			uint32_t m = s + w < n ? s + w : n, e = s + 2 * w < n ? s + 2 * w : n;
			uint32_t i = s, j = m, k = s;
			if (m < e && cmp_rows(c, src[m - 1], src[m]) <= 0) {
				memcpy(dst + s, src + s, (size_t)(e - s) * sizeof(uint32_t));
				continue;
			}
			while (i < m && j < e)
				dst[k++] = cmp_rows(c, src[j], src[i]) < 0 ? src[j++] : src[i++];
			while (i < m)
				dst[k++] = src[i++];
			while (j < e)
				dst[k++] = src[j++];
		}
		uint32_t *t = src;
		src = dst;
		dst = t;
		if (w > UINT32_MAX / 4)
			break;
	}
	if (src != idx)
		memcpy(idx, src, (size_t)n * sizeof(uint32_t));
	mem_free(tmp);
	return 0;
}

static bool perm_is_identity(const uint32_t *perm, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (perm[i] != i)
			return false;
	return true;
}

static int sort_acc(struct op *o, uint32_t keep)
{
	struct batch *acc = &o->u.sort.acc;
	uint32_t n = acc->nrows;
	uint32_t *perm = mem_alloc(((size_t)n + 1) * sizeof(uint32_t));
	if (!perm)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	struct sort_ctx c = {acc, o->u.sort.keys, o->u.sort.nkeys};
	int rc = merge_sort(&c, perm, n);
	if (rc) {
		mem_free(perm);
		return rc;
	}
	if (keep < n) {
		/* truncate to the first `keep` rows */
		for (uint32_t col = 0; col < acc->ncols && !rc; col++) {
			struct colvec t;
			colvec_init(&t, acc->cols[col].type);
			rc = vec_gather(&t, &acc->cols[col], perm, keep);
			colvec_free(&acc->cols[col]);
			acc->cols[col] = t;
		}
		acc->nrows = keep;
		for (uint32_t i = 0; i < keep; i++)
			perm[i] = i;
	}
	mem_free(o->u.sort.perm);
	o->u.sort.perm = perm;
	return rc;
}

/* Top-k on the time index (plan_bound_topk_ts): rows whose time is worse
 * than the k-th row's (acc row fetch-1, acc in order) can no longer
 * qualify, so the scan below may skip them; ties on the time may still
 * win on later keys, so the bound includes the k-th row's time. */
static void tighten_ts_bound(struct op *o)
{
	const struct sort_key *k = &o->u.sort.keys[0];
	const struct colvec *v = &o->u.sort.acc.cols[k->col];
	uint32_t thr = (uint32_t)o->u.sort.fetch - 1;
	if (colvec_is_null(v, thr))
		return;
	int64_t t = v->i64[thr];
	struct scan_ts_bound *b = &o->u.sort.ts_bound;
	if (k->desc && t > b->lo)
		b->lo = t;
	else if (!k->desc && t < b->hi)
		b->hi = t;
}

static int sort_next(struct plan *p, struct op *o, const struct batch **out)
{
	int rc;
	if (!o->u.sort.sorted) {
		if (!o->u.sort.acc_init)
			aggwin_setup(p, o);
		uint64_t fetch = o->u.sort.fetch;
		uint64_t limit_buf = fetch == UINT64_MAX ? UINT64_MAX : (fetch * 2 > 4096 ? fetch * 2 : 4096);
		for (;;) {
			const struct batch *b;
			if ((rc = op_next(p, o->child, &b)))
				return rc;
			if (!b)
				break;
			if (p->cx.s && session_cancelled(p->cx.s))
				return err_set(ERR_EXEC, "Query was cancelled");
			if (!o->u.sort.acc_init) {
				enum dtype tt[b->ncols ? b->ncols : 1];
				for (uint32_t c = 0; c < b->ncols; c++)
					tt[c] = b->cols[c].type;
				if (batch_init(&o->u.sort.acc, b->ncols, tt))
					return ERR_NOMEM;
				o->u.sort.acc_init = true;
			}
			struct batch *acc = &o->u.sort.acc;
			if ((uint64_t)acc->nrows + b->nrows > UINT32_MAX - 1)
				return err_set(ERR_LIMIT, "sort input exceeds %u rows", UINT32_MAX - 1);
			if (o->u.sort.have_thr) {
				/* top-k: only rows that beat the current k-th row */
				struct sort_ctx c = {acc, o->u.sort.keys, o->u.sort.nkeys};
				uint32_t thr = (uint32_t)fetch - 1;
				for (uint32_t i = 0; i < b->nrows && !rc; i++)
					if (cmp_rows2(&c, b, i, acc, thr) < 0) {
						for (uint32_t col = 0; col < b->ncols && !rc; col++)
							rc = colvec_push_from(&acc->cols[col], &b->cols[col], i);
						acc->nrows++;
					}
				if (rc)
					return rc;
			} else {
				for (uint32_t c = 0; c < b->ncols; c++)
					if ((rc = vec_append(&acc->cols[c], &b->cols[c], 0, b->nrows)))
						return rc;
				acc->nrows += b->nrows;
			}
			if (acc->nrows > limit_buf) {
				if ((rc = sort_acc(o, (uint32_t)fetch)))
					return rc;
				o->u.sort.have_thr = fetch > 0 && acc->nrows >= fetch;
				if (o->u.sort.have_thr && o->u.sort.ts_bounded)
					tighten_ts_bound(o);
			}
			if ((rc = op_charge_held(p, batch_mem_size(acc), &o->u.sort.charged)))
				return rc;
		}
		if (!o->u.sort.acc_init) {
			*out = NULL;
			o->u.sort.sorted = true;
			return 0;
		}
		uint32_t keep = o->u.sort.acc.nrows;
		if (fetch < keep)
			keep = (uint32_t)fetch;
		if ((rc = sort_acc(o, o->u.sort.acc.nrows)))
			return rc;
		o->u.sort.acc.nrows = o->u.sort.acc.nrows; /* perm covers all rows */
		o->u.sort.sorted = true;
		o->u.sort.emitted = 0;
		/* emit in one batch */
		struct batch *acc = &o->u.sort.acc;
		if ((rc = out_prepare(o, acc->ncols, acc)))
			return rc;
		if (keep == acc->nrows && perm_is_identity(o->u.sort.perm, keep)) {
			/* the input was in order already (one series in time
			 * order, a merge's output): hand the accumulated columns
			 * over instead of copying them */
			for (uint32_t c = 0; c < acc->ncols; c++) {
				struct colvec t = o->out.cols[c];
				o->out.cols[c] = acc->cols[c];
				acc->cols[c] = t;
				colvec_reset(&acc->cols[c]);
			}
			o->out.nrows = keep;
			acc->nrows = 0;
			*out = &o->out;
			return 0;
		}
		for (uint32_t c = 0; c < acc->ncols && !rc; c++)
			rc = vec_gather(&o->out.cols[c], &acc->cols[c], o->u.sort.perm, keep);
		if (rc)
			return rc;
		o->out.nrows = keep;
		*out = &o->out;
		return 0;
	}
	*out = NULL;
	return 0;
}

/* ---- limit ------------------------------------------------------------------------------ */

static int limit_next(struct plan *p, struct op *o, const struct batch **out)
{
	for (;;) {
		if (o->u.limit.sent >= o->u.limit.limit) {
			*out = NULL;
			return 0;
		}
		const struct batch *b;
		int rc = op_next(p, o->child, &b);
		if (rc)
			return rc;
		if (!b) {
			*out = NULL;
			return 0;
		}
		uint32_t n = b->nrows, start = 0;
		if (o->u.limit.seen < o->u.limit.offset) {
			uint64_t skip = o->u.limit.offset - o->u.limit.seen;
			start = skip >= n ? n : (uint32_t)skip;
			o->u.limit.seen += start;
		}
		uint64_t left = o->u.limit.limit - o->u.limit.sent;
		uint32_t take = n - start;
		if (take > left)
			take = (uint32_t)left;
		if (take == 0)
			continue;
		o->u.limit.sent += take;
		if (start == 0 && take == n) {
			*out = b;
			return 0;
		}
		if ((rc = out_prepare(o, b->ncols, b)))
			return rc;
		for (uint32_t c = 0; c < b->ncols && !rc; c++) {
			struct colvec *d = &o->out.cols[c];
			rc = vec_empty(d, b->cols[c].type, take);
			if (!rc && b->cols[c].len >= n)
				rc = vec_append(d, &b->cols[c], start, take);
		}
		if (rc)
			return rc;
		o->out.nrows = take;
		*out = &o->out;
		return 0;
	}
}

/* ---- distinct ------------------------------------------------------------------------ */

static int distinct_next(struct plan *p, struct op *o, const struct batch **out)
{
	int rc;
	for (;;) {
		const struct batch *b;
		if ((rc = op_next(p, o->child, &b)))
			return rc;
		if (!b) {
			*out = NULL;
			return 0;
		}
		if (!b->nrows)
			continue;
		uint32_t nk = o->u.distinct.keys ? o->u.distinct.nkeys : b->ncols;
		const struct colvec *keys[nk ? nk : 1];
		for (uint32_t k = 0; k < nk; k++)
			keys[k] = &b->cols[o->u.distinct.keys ? o->u.distinct.keys[k] : k];
		if (!o->u.distinct.h) {
			enum dtype kt[nk ? nk : 1];
			for (uint32_t k = 0; k < nk; k++)
				kt[k] = keys[k]->type;
			if ((rc = hagg_create(&o->u.distinct.h, nk, kt, 0, NULL)))
				return rc;
		}
		const uint32_t *gid;
		if ((rc = hagg_assign(o->u.distinct.h, keys, b->nrows, &gid)) ||
		    (rc = op_charge_held(p, hagg_mem_size(o->u.distinct.h), &o->u.distinct.charged)))
			return rc;
		uint32_t ng = hagg_groups(o->u.distinct.h);
		if (ng > o->u.distinct.seen_cap) {
			uint32_t cap = ng * 2;
			uint8_t *n = mem_realloc(o->u.distinct.seen, cap);
			if (!n)
				return ERR_NOMEM;
			memset(n + o->u.distinct.seen_cap, 0, cap - o->u.distinct.seen_cap);
			o->u.distinct.seen = n;
			o->u.distinct.seen_cap = cap;
		}
		if (b->nrows > o->u.distinct.sel_cap) {
			mem_free(o->u.distinct.sel);
			o->u.distinct.sel = mem_alloc((size_t)b->nrows * sizeof(uint32_t));
			o->u.distinct.sel_cap = o->u.distinct.sel ? b->nrows : 0;
			if (!o->u.distinct.sel)
				return ERR_NOMEM;
		}
		uint32_t k = 0;
		for (uint32_t i = 0; i < b->nrows; i++)
			if (!o->u.distinct.seen[gid[i]]) {
				o->u.distinct.seen[gid[i]] = 1;
				o->u.distinct.sel[k++] = i;
			}
		if (k == b->nrows) {
			*out = b;
			return 0;
		}
		if (!k)
			continue;
		if ((rc = gather_batch(o, b, o->u.distinct.sel, k)))
			return rc;
		*out = &o->out;
		return 0;
	}
}

/* ---- union / material / one row ------------------------------------------------------ */

static int union_next(struct plan *p, struct op *o, const struct batch **out)
{
	while (o->u.uni.cur < o->ninputs) {
		const struct batch *b;
		int rc = op_next(p, o->inputs[o->u.uni.cur], &b);
		if (rc)
			return rc;
		if (b) {
			*out = b;
			return 0;
		}
		o->u.uni.cur++;
	}
	*out = NULL;
	return 0;
}

static int material_next(struct op *o, const struct batch **out)
{
	if (o->u.mat.sent) {
		*out = NULL;
		return 0;
	}
	o->u.mat.sent = true;
	*out = &o->u.mat.b;
	return 0;
}

static int onerow_next(struct op *o, const struct batch **out)
{
	if (o->done) {
		*out = NULL;
		return 0;
	}
	if (!o->out_init) {
		if (batch_init(&o->out, 0, NULL))
			return ERR_NOMEM;
		o->out_init = true;
	}
	o->out.nrows = 1;
	o->done = true;
	*out = &o->out;
	return 0;
}

/* ---- set operations (INTERSECT / EXCEPT) ------------------------------------------- */

static int setop_next(struct plan *p, struct op *o, const struct batch **out)
{
	if (o->u.setop.sent) {
		*out = NULL;
		return 0;
	}
	o->u.setop.sent = true;
	uint32_t nc = o->ncols;
	int rc = 0;
	/* the right side as a distinct set, then the left side's distinct rows
	 * filtered by membership */
	struct hagg *rset = NULL, *lset = NULL;
	const struct colvec *keys[nc ? nc : 1];
	enum dtype kt[nc ? nc : 1];
	for (uint32_t c = 0; c < nc; c++)
		kt[c] = phys_type(o->types[c]);
	if ((rc = hagg_create(&rset, nc, kt, 0, NULL)) || (rc = hagg_create(&lset, nc, kt, 0, NULL)))
		goto out;
	for (int side = 1; side >= 0; side--) {
		struct hagg *h = side ? rset : lset;
		for (;;) {
			const struct batch *b;
			if ((rc = op_next(p, o->inputs[side], &b)))
				goto out;
			if (!b)
				break;
			if (!b->nrows)
				continue;
			for (uint32_t c = 0; c < nc; c++)
				keys[c] = &b->cols[c];
			if ((rc = hagg_update(h, keys, b->nrows, NULL, NULL)))
				goto out;
		}
	}
	struct batch lb, rb;
	memset(&lb, 0, sizeof(lb));
	memset(&rb, 0, sizeof(rb));
	if ((rc = hagg_finish(lset, &lb)) || (rc = hagg_finish(rset, &rb))) {
		batch_free(&lb);
		batch_free(&rb);
		goto out;
	}
	/* membership: insert the right rows into a fresh set, then probe by
	 * inserting each left row and seeing whether the group count grew */
	{
		struct hagg *probe = NULL;
		uint32_t *sel = mem_alloc(((size_t)lb.nrows + 1) * sizeof(uint32_t));
		uint32_t k = 0;
		if (!sel || (rc = hagg_create(&probe, nc, kt, 0, NULL))) {
			rc = rc ? rc : ERR_NOMEM;
		} else {
			for (uint32_t c = 0; c < nc; c++)
				keys[c] = &rb.cols[c];
			rc = hagg_update(probe, keys, rb.nrows, NULL, NULL);
			for (uint32_t i = 0; i < lb.nrows && !rc; i++) {
				uint32_t before = hagg_groups(probe);
				struct colvec one[nc ? nc : 1];
				const struct colvec *ok[nc ? nc : 1];
				for (uint32_t c = 0; c < nc; c++) {
					colvec_init(&one[c], lb.cols[c].type);
					if (!rc)
						rc = colvec_push_from(&one[c], &lb.cols[c], i);
					ok[c] = &one[c];
				}
				if (!rc)
					rc = hagg_update(probe, ok, 1, NULL, NULL);
				for (uint32_t c = 0; c < nc; c++)
					colvec_free(&one[c]);
				bool member = hagg_groups(probe) == before;
				if (member == (o->u.setop.op == SQL_SETOP_INTERSECT))
					sel[k++] = i;
			}
			if (!rc) {
				rc = out_prepare(o, nc, &lb);
				for (uint32_t c = 0; c < nc && !rc; c++)
					rc = vec_gather(&o->out.cols[c], &lb.cols[c], sel, k);
				o->out.nrows = k;
			}
		}
		hagg_free(probe);
		mem_free(sel);
	}
	batch_free(&lb);
	batch_free(&rb);
	if (!rc)
		*out = o->out.nrows ? &o->out : NULL;
out:
	hagg_free(rset);
	hagg_free(lset);
	return rc;
}

/* ---- dispatch ----------------------------------------------------------------------- */

int op_join_next(struct plan *p, struct op *o, const struct batch **out);
void op_join_close(struct op *o);

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int op_next(struct plan *p, struct op *o, const struct batch **out)
{
	*out = NULL;
	uint64_t t0 = p->analyze ? now_ns() : 0;
	int rc;
	o->opened = true;
	if (o->kind == OP_SCAN && p->cx.s && session_cancelled(p->cx.s))
		return err_set(ERR_EXEC, "Query was cancelled");
	switch (o->kind) {
	case OP_SCAN: rc = scan_next(o, out); break;
	case OP_ONEROW: rc = onerow_next(o, out); break;
	case OP_MATERIAL: rc = material_next(o, out); break;
	case OP_FILTER: rc = filter_next(p, o, out); break;
	case OP_PROJECT: rc = project_next(p, o, out); break;
	case OP_AGG: rc = agg_next(p, o, out); break;
	case OP_SORT: rc = sort_next(p, o, out); break;
	case OP_LIMIT: rc = limit_next(p, o, out); break;
	case OP_DISTINCT: rc = distinct_next(p, o, out); break;
	case OP_UNION: rc = union_next(p, o, out); break;
	case OP_SETOP: rc = setop_next(p, o, out); break;
	case OP_JOIN: rc = op_join_next(p, o, out); break;
	default: rc = err_set(ERR_INTERNAL, "unknown operator %d", o->kind); break;
	}
	if (rc)
		*out = NULL;
	if (*out) {
		o->rows_out += (*out)->nrows;
		o->batches_out++;
	}
	if (p->analyze)
		o->elapsed_ns += now_ns() - t0;
	return rc;
}

void op_close(struct op *o)
{
	switch (o->kind) {
	case OP_SCAN:
		if (o->u.scan.stream)
			o->u.scan.stream->close(o->u.scan.stream);
		o->u.scan.stream = NULL;
		break;
	case OP_MATERIAL: batch_free(&o->u.mat.b); break;
	case OP_FILTER:
		mem_free(o->u.filter.sel);
		o->u.filter.sel = NULL;
		break;
	case OP_PROJECT:
		unborrow(o);
		mem_free(o->u.proj.borrowed);
		o->u.proj.borrowed = NULL;
		break;
	case OP_AGG: {
		aggwin_free(o);
		hagg_free(o->u.agg.h);
		o->u.agg.h = NULL;
		uint32_t ntmp = o->u.agg.ngroups + 4 * o->u.agg.naggs;
		if (o->u.agg.tmp)
			for (uint32_t i = 0; i < ntmp; i++)
				colvec_free(&o->u.agg.tmp[i]);
		mem_free(o->u.agg.tmp);
		o->u.agg.tmp = NULL;
		break;
	}
	case OP_SORT:
		if (o->u.sort.acc_init)
			batch_free(&o->u.sort.acc);
		o->u.sort.acc_init = false;
		mem_free(o->u.sort.perm);
		o->u.sort.perm = NULL;
		/* what the last run knew bounds nothing about the next */
		o->u.sort.ts_bound = (struct scan_ts_bound){INT64_MIN, INT64_MAX};
		break;
	case OP_DISTINCT:
		hagg_free(o->u.distinct.h);
		o->u.distinct.h = NULL;
		mem_free(o->u.distinct.seen);
		mem_free(o->u.distinct.sel);
		o->u.distinct.seen = NULL;
		o->u.distinct.sel = NULL;
		o->u.distinct.seen_cap = o->u.distinct.sel_cap = 0;
		break;
	case OP_JOIN: op_join_close(o); break;
	default: break;
	}
	if (o->out_init)
		batch_free(&o->out);
	o->out_init = false;
}

int plan_run(struct plan *p, struct session *s, struct result_set *rs)
{
	enum dtype types[p->ncols ? p->ncols : 1];
	for (uint32_t c = 0; c < p->ncols; c++)
		types[c] = phys_type(p->types[c]);
	int rc = result_set_init(rs, p->ncols, p->names, types);
	for (uint32_t c = 0; c < p->ncols && !rc; c++)
		if (plan_col_is_duration(p, c))
			rc = result_set_set_kind(rs, c, RS_KIND_DURATION);
	if (rc) {
		result_set_free(rs);
		return rc;
	}
	for (;;) {
		const struct batch *b;
		if ((rc = op_next(p, p->root, &b)))
			break;
		if (!b)
			break;
		if (s && session_cancelled(s)) {
			rc = err_set(ERR_EXEC, "Query was cancelled");
			break;
		}
		for (uint32_t c = 0; c < p->ncols && !rc; c++) {
			const struct colvec *v = &b->cols[c];
			if (v->type != types[c]) {
				rc = err_set(ERR_INTERNAL, "column %s: type %s where %s was planned",
					     p->names[c], dtype_name(v->type), dtype_name(types[c]));
				break;
			}
			rc = vec_append(&rs->rows.cols[c], v, 0, b->nrows);
		}
		if (rc)
			break;
		rs->rows.nrows += b->nrows;
	}
	if (rc)
		result_set_free(rs);
	return rc;
}
