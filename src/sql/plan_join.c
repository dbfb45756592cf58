/*
 * plan_join: joins - binding of JOIN ... ON / USING / NATURAL / CROSS and
 * the join operator.
 *
 * Binding splits the ON condition into AND-ed conjuncts; a conjunct
 * `l = r` whose sides reference only the left and only the right input
 * becomes an equality key, the rest a residual predicate evaluated over
 * the joined row. The output is the left columns then the right columns.
 *
 * Execution materialises the right input once. With keys, it hashes the
 * right rows (rows with a NULL key never match) into chains and probes
 * with each left row; without keys every pair is a candidate (nested
 * loop). Candidates are produced at most JOIN_CHUNK pairs at a time, the
 * residual filters them, LEFT/FULL joins add the unmatched left rows of a
 * left batch once it is done, RIGHT/FULL joins add the unmatched right
 * rows at the end. Columns an input did not produce (unprojected scan
 * columns) stay empty in the output.
 */
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/plan.h"

#define JOIN_CHUNK 65536

static int nomem(void) { return err_set(ERR_NOMEM, "out of memory"); }

int plan_from_item(struct binder *bd, const struct sql_from *f, struct op **out, struct scope *osc);
int plan_join(struct binder *bd, const struct sql_from *f, struct op **out, struct scope *osc);
int op_join_next(struct plan *p, struct op *o, const struct batch **out);
void op_join_close(struct op *o);

/* -1: no columns, 0: only < nl, 1: only >= nl, 2: both */
static int side_of(const struct xexpr *e, uint32_t nl)
{
	if (!e)
		return -1;
	int s = -1, t;
#define MERGE(x)                                      \
	do {                                          \
		t = (x);                              \
		if (t >= 0)                           \
			s = s < 0 ? t : (s == t ? s : 2); \
	} while (0)
	switch (e->kind) {
	case X_COL: return e->u.col < nl ? 0 : 1;
	case X_BIN:
		MERGE(side_of(e->u.bin.a, nl));
		MERGE(side_of(e->u.bin.b, nl));
		return s;
	case X_NOT:
	case X_NEG:
	case X_CAST: return side_of(e->u.un.a, nl);
	case X_IS: return side_of(e->u.is.a, nl);
	case X_IN: return side_of(e->u.in.a, nl);
	case X_LIKE:
		MERGE(side_of(e->u.like.a, nl));
		MERGE(side_of(e->u.like.pat, nl));
		return s;
	case X_CASE:
		MERGE(side_of(e->u.cs.operand, nl));
		MERGE(side_of(e->u.cs.else_, nl));
		for (uint32_t i = 0; i < e->u.cs.nwhen; i++) {
			MERGE(side_of(e->u.cs.when[i], nl));
			MERGE(side_of(e->u.cs.then[i], nl));
		}
		return s;
	case X_FUNC:
		for (uint32_t i = 0; i < e->u.fn.nargs; i++)
			MERGE(side_of(e->u.fn.args[i], nl));
		return s;
	default: return s;
	}
#undef MERGE
}

static void shift_cols(struct xexpr *e, uint32_t by)
{
	if (!e)
		return;
	switch (e->kind) {
	case X_COL: e->u.col -= by; break;
	case X_BIN:
		shift_cols(e->u.bin.a, by);
		shift_cols(e->u.bin.b, by);
		break;
	case X_NOT:
	case X_NEG:
	case X_CAST: shift_cols(e->u.un.a, by); break;
	case X_IS: shift_cols(e->u.is.a, by); break;
	case X_IN: shift_cols(e->u.in.a, by); break;
	case X_LIKE:
		shift_cols(e->u.like.a, by);
		shift_cols(e->u.like.pat, by);
		break;
	case X_CASE:
		shift_cols(e->u.cs.operand, by);
		shift_cols(e->u.cs.else_, by);
		for (uint32_t i = 0; i < e->u.cs.nwhen; i++) {
			shift_cols(e->u.cs.when[i], by);
			shift_cols(e->u.cs.then[i], by);
		}
		break;
	case X_FUNC:
		for (uint32_t i = 0; i < e->u.fn.nargs; i++)
			shift_cols(e->u.fn.args[i], by);
		break;
	default: break;
	}
}

struct conj {
	struct xexpr **v;
	uint32_t n, cap;
};

static int collect(struct binder *bd, struct xexpr *e, struct conj *c)
{
	if (e->kind == X_BIN && e->u.bin.op == XOP_AND)
		return collect(bd, e->u.bin.a, c) || collect(bd, e->u.bin.b, c);
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 8;
		struct xexpr **n = arena_alloc(bd->a, cap * sizeof(*n));
		if (!n)
			return nomem();
		if (c->n)
			memcpy(n, c->v, c->n * sizeof(*n));
		c->v = n;
		c->cap = cap;
	}
	c->v[c->n++] = e;
	return 0;
}

static int and_all(struct binder *bd, struct xexpr **v, uint32_t n, struct xexpr **out)
{
	*out = NULL;
	for (uint32_t i = 0; i < n; i++) {
		if (!*out) {
			*out = v[i];
			continue;
		}
		struct xexpr *a = xnew(bd->cx, X_BIN, DT_BOOL);
		if (!a)
			return nomem();
		a->u.bin.op = XOP_AND;
		a->u.bin.ct = DT_BOOL;
		a->u.bin.a = *out;
		a->u.bin.b = v[i];
		a->name = "AND";
		*out = a;
	}
	return 0;
}

int plan_join(struct binder *bd, const struct sql_from *f, struct op **out, struct scope *osc)
{
	struct op *l, *r;
	struct scope lsc, rsc;
	int rc = plan_from_item(bd, f->left, &l, &lsc);
	if (rc || (rc = plan_from_item(bd, f->right, &r, &rsc)))
		return rc;
	uint32_t nl = l->ncols, nr = r->ncols;
	struct op *o = op_new(bd->p, OP_JOIN, nl + nr);
	if (!o)
		return ERR_NOMEM;
	memcpy(o->types, l->types, nl * sizeof(int));
	memcpy(o->types + nl, r->types, nr * sizeof(int));
	memcpy(o->names, l->names, nl * sizeof(char *));
	memcpy(o->names + nl, r->names, nr * sizeof(char *));
	o->inputs = arena_alloc(bd->a, 2 * sizeof(struct op *));
	if (!o->inputs)
		return nomem();
	o->inputs[0] = l;
	o->inputs[1] = r;
	o->ninputs = 2;
	o->u.join.kind = f->join;
	osc->n = nl + nr;
	osc->cols = arena_alloc(bd->a, (nl + nr + 1) * sizeof(*osc->cols));
	if (!osc->cols)
		return nomem();
	memcpy(osc->cols, lsc.cols, nl * sizeof(*osc->cols));
	memcpy(osc->cols + nl, rsc.cols, nr * sizeof(*osc->cols));
	/* the condition */
	struct conj cj = {0};
	const struct scope *saved_sc = bd->sc;
	bool saved_allow = bd->allow_agg;
	const char *saved_ctx = bd->agg_context;
	bd->sc = osc;
	bd->allow_agg = false;
	bd->agg_context = "JOIN condition";
	if (f->on) {
		struct xexpr *on;
		if ((rc = bind_expr(bd, f->on, &on)))
			goto out;
		if (on->type == XT_NULL && !(on = xcast(bd->cx, on, DT_BOOL))) {
			rc = err_code();
			goto out;
		}
		if (on->type != DT_BOOL) {
			rc = plan_err("Error during planning: join condition should be boolean");
			goto out;
		}
		if ((rc = collect(bd, on, &cj)))
			goto out;
	}
	if (f->nusing || f->natural) {
		for (uint32_t i = 0; i < nl; i++) {
			const char *n = lsc.cols[i].name;
			bool use = f->natural;
			for (size_t k = 0; k < f->nusing && !use; k++)
				use = strcmp(f->using_cols[k].name, n) == 0;
			if (!use)
				continue;
			int j = -1;
			for (uint32_t k = 0; k < nr; k++)
				if (strcmp(rsc.cols[k].name, n) == 0)
					j = (int)k;
			if (j < 0) {
				if (f->natural)
					continue;
				rc = plan_err("Schema error: No field named %s. Valid fields are the right input's columns.", n);
				goto out;
			}
			struct xexpr *a = xnew(bd->cx, X_COL, lsc.cols[i].type);
			struct xexpr *b = xnew(bd->cx, X_COL, rsc.cols[j].type);
			if (!a || !b) {
				rc = nomem();
				goto out;
			}
			a->u.col = i;
			a->name = n;
			b->u.col = nl + (uint32_t)j;
			b->name = n;
			scope_use(osc, i);
			scope_use(osc, nl + (uint32_t)j);
			int ct = x_common_type(a->type, b->type);
			if (ct < 0) {
				rc = plan_err("Error during planning: Cannot join on %s with different types", n);
				goto out;
			}
			struct xexpr *eq = xnew(bd->cx, X_BIN, DT_BOOL);
			if (!eq || !(a = xcast(bd->cx, a, ct)) || !(b = xcast(bd->cx, b, ct))) {
				rc = err_code() ? err_code() : nomem();
				goto out;
			}
			eq->u.bin.op = XOP_EQ;
			eq->u.bin.ct = ct;
			eq->u.bin.a = a;
			eq->u.bin.b = b;
			eq->name = n;
			if ((rc = collect(bd, eq, &cj)))
				goto out;
		}
	}
	if (f->join != SQL_JOIN_CROSS || cj.n) {
		struct xexpr **lk = arena_alloc(bd->a, (cj.n + 1) * sizeof(*lk));
		struct xexpr **rk = arena_alloc(bd->a, (cj.n + 1) * sizeof(*rk));
		struct xexpr **res = arena_alloc(bd->a, (cj.n + 1) * sizeof(*res));
		if (!lk || !rk || !res) {
			rc = nomem();
			goto out;
		}
		uint32_t nk = 0, nres = 0;
		for (uint32_t i = 0; i < cj.n; i++) {
			struct xexpr *c = cj.v[i];
			if (c->kind == X_BIN && c->u.bin.op == XOP_EQ) {
				int sa = side_of(c->u.bin.a, nl), sb = side_of(c->u.bin.b, nl);
				struct xexpr *a = c->u.bin.a, *b = c->u.bin.b;
				if (sa == 1 && sb == 0) {
					struct xexpr *t = a;
					a = b;
					b = t;
					int ts = sa;
					sa = sb;
					sb = ts;
				}
				if (sa == 0 && sb == 1) {
					struct xexpr *ka = xcopy(bd->cx, a), *kb = xcopy(bd->cx, b);
					if (!ka || !kb) {
						rc = nomem();
						goto out;
					}
					shift_cols(kb, nl);
					lk[nk] = ka;
					rk[nk] = kb;
					nk++;
					continue;
				}
			}
			res[nres++] = c;
		}
		o->u.join.lkeys = lk;
		o->u.join.rkeys = rk;
		o->u.join.nkeys = nk;
		if ((rc = and_all(bd, res, nres, &o->u.join.residual)))
			goto out;
	}
	*out = o;
out:
	bd->sc = saved_sc;
	bd->allow_agg = saved_allow;
	bd->agg_context = saved_ctx;
	return rc;
}

/* ---- the operator --------------------------------------------------------------------- */

static bool keys_eq(const struct colvec *const *a, uint32_t i, const struct colvec *b, uint32_t j,
		    uint32_t nk)
{
	for (uint32_t k = 0; k < nk; k++) {
		const struct colvec *x = a[k], *y = &b[k];
		if (!vec_valid(x, i) || !vec_valid(y, j))
			return false;
		switch (xphys(x->type)) {
		case PHYS_I64:
			if (x->i64[i] != y->i64[j])
				return false;
			break;
		case PHYS_F64:
			if (x->f64[i] != y->f64[j])
				return false;
			break;
		default: {
			uint32_t la = x->offs[i + 1] - x->offs[i], lb = y->offs[j + 1] - y->offs[j];
			if (la != lb || memcmp(x->bytes + x->offs[i], y->bytes + y->offs[j], la))
				return false;
		}
		}
	}
	return true;
}

/* Right keys (materialised) live in o->u.join.tmp.cols[0..nk) until the
 * operator closes; tmp is reused for candidates after the build. */
struct jstate {
	struct colvec *rkeys;
	struct colvec *lkeys_tmp;
	const struct colvec **lkeys;
	uint8_t *lmatched;
	uint32_t lcap;
};

static int build(struct plan *p, struct op *o)
{
	struct op *r = o->inputs[1];
	uint32_t nr = r->ncols;
	struct batch *rb = &o->u.join.right;
	enum dtype dt[nr ? nr : 1];
	for (uint32_t c = 0; c < nr; c++)
		dt[c] = r->types[c] < DT__COUNT ? (enum dtype)r->types[c] : DT_STRING;
	if (batch_init(rb, nr, dt))
		return nomem();
	bool *present = NULL;
	int rc = 0;
	uint64_t charged = 0;
	for (;;) {
		const struct batch *b;
		if ((rc = op_next(p, r, &b)))
			return rc;
		if (!b)
			break;
		if (!b->nrows)
			continue;
		if (!present) {
			present = arena_alloc(p->cx.a, nr + 1);
			if (!present)
				return nomem();
			for (uint32_t c = 0; c < nr; c++) {
				present[c] = b->cols[c].len >= b->nrows;
				rb->cols[c].type = b->cols[c].type;
			}
		}
		for (uint32_t c = 0; c < nr; c++)
			if (present[c] && (rc = vec_append(&rb->cols[c], &b->cols[c], 0, b->nrows)))
				return rc;
		if ((uint64_t)rb->nrows + b->nrows > UINT32_MAX / 2)
			return err_set(ERR_LIMIT, "join input too large");
		rb->nrows += b->nrows;
		/* the build side is held until the join ends: charge its
		 * growth to the statement's memory budget */
		if ((rc = op_charge_held(p, batch_mem_size(rb), &charged)))
			return rc;
	}
	uint32_t n = rb->nrows, nk = o->u.join.nkeys;
	o->u.join.rmatched = mem_calloc(n + 1, 1);
	if (!o->u.join.rmatched)
		return nomem();
	struct jstate *js = mem_calloc(1, sizeof(*js));
	if (!js)
		return nomem();
	o->u.join.state = js;
	js->rkeys = mem_calloc(nk + 1, sizeof(struct colvec));
	js->lkeys_tmp = mem_calloc(nk + 1, sizeof(struct colvec));
	js->lkeys = mem_calloc(nk + 1, sizeof(struct colvec *));
	if (!js->rkeys || !js->lkeys_tmp || !js->lkeys)
		return nomem();
	for (uint32_t k = 0; k < nk; k++) {
		colvec_init(&js->rkeys[k], DT_INT64);
		colvec_init(&js->lkeys_tmp[k], DT_INT64);
	}
	if (!nk || !n)
		return 0;
	for (uint32_t k = 0; k < nk; k++) {
		struct xval x;
		if ((rc = x_eval(&p->cx, o->u.join.rkeys[k], rb, &x)))
			return rc;
		const struct colvec *v;
		struct colvec tmp;
		enum dtype t = o->u.join.rkeys[k]->type < DT__COUNT ? (enum dtype)o->u.join.rkeys[k]->type : DT_INT64;
		colvec_init(&tmp, t);
		rc = xval_materialize(&x, t, n, &tmp, &v);
		if (!rc && (rc = vec_empty(&js->rkeys[k], v->type, n)) == 0)
			rc = vec_append(&js->rkeys[k], v, 0, n);
		colvec_free(&tmp);
		if (rc)
			return rc;
	}
	uint32_t slots = 16;
	while (slots < n * 2 && slots < (1u << 30))
		slots *= 2;
	o->u.join.hmask = slots - 1;
	o->u.join.heads = mem_alloc((size_t)slots * sizeof(uint32_t));
	o->u.join.next_row = mem_alloc((size_t)n * sizeof(uint32_t));
	o->u.join.rhash = mem_alloc((size_t)n * sizeof(uint64_t));
	if (!o->u.join.heads || !o->u.join.next_row || !o->u.join.rhash)
		return nomem();
	memset(o->u.join.heads, 0xff, (size_t)slots * sizeof(uint32_t));
	for (uint32_t i = n; i-- > 0;) {
		uint64_t h = 0;
		bool null = false;
		for (uint32_t k = 0; k < nk; k++) {
			null |= !vec_valid(&js->rkeys[k], i);
			h = hash_u64(h * 31 + vec_hash(&js->rkeys[k], i));
		}
		o->u.join.rhash[i] = h;
		o->u.join.next_row[i] = UINT32_MAX;
		if (null)
			continue;
		uint32_t s = (uint32_t)h & o->u.join.hmask;
		o->u.join.next_row[i] = o->u.join.heads[s];
		o->u.join.heads[s] = i;
	}
	return 0;
}

static int ensure_sel(struct op *o, uint32_t n)
{
	if (n <= o->u.join.sel_cap)
		return 0;
	mem_free(o->u.join.sel_l);
	mem_free(o->u.join.sel_r);
	o->u.join.sel_l = mem_alloc((size_t)n * sizeof(uint32_t));
	o->u.join.sel_r = mem_alloc((size_t)n * sizeof(uint32_t));
	o->u.join.sel_cap = 0;
	if (!o->u.join.sel_l || !o->u.join.sel_r)
		return nomem();
	o->u.join.sel_cap = n;
	return 0;
}

/* dst = rows (left sel_l[i] or NULLs when UINT32_MAX, right sel_r[i] or
 * NULLs); columns an input did not produce are NULL. */
static int assemble(struct op *o, struct batch *dst, const struct batch *lb, uint32_t k)
{
	uint32_t nl = o->inputs[0]->ncols, nr = o->inputs[1]->ncols;
	const struct batch *rb = &o->u.join.right;
	int rc = 0;
	for (uint32_t side = 0; side < 2 && !rc; side++) {
		const struct batch *src = side ? rb : lb;
		const uint32_t *sel = side ? o->u.join.sel_r : o->u.join.sel_l;
		uint32_t base = side ? nl : 0, nc = side ? nr : nl;
		for (uint32_t c = 0; c < nc && !rc; c++) {
			struct colvec *d = &dst->cols[base + c];
			const struct colvec *s = src ? &src->cols[c] : NULL;
			bool present = s && src->nrows > 0 && s->len >= src->nrows;
			if ((rc = vec_empty(d, s ? s->type : d->type, k)))
				break;
			for (uint32_t i = 0; i < k && !rc; i++)
				rc = !present || sel[i] == UINT32_MAX ? colvec_push_null(d)
								      : colvec_push_from(d, s, sel[i]);
		}
	}
	dst->nrows = k;
	return rc;
}

static int out_init(struct op *o)
{
	if (o->out_init)
		return 0;
	enum dtype dt[o->ncols ? o->ncols : 1];
	for (uint32_t c = 0; c < o->ncols; c++)
		dt[c] = o->types[c] < DT__COUNT ? (enum dtype)o->types[c] : DT_STRING;
	if (batch_init(&o->out, o->ncols, dt))
		return nomem();
	o->out_init = true;
	if (batch_init(&o->u.join.tmp, o->ncols, dt))
		return nomem();
	o->u.join.tmp_init = true;
	return 0;
}

static int emit_right_tail(struct op *o, const struct batch **out)
{
	const struct batch *rb = &o->u.join.right;
	uint32_t n = rb->nrows, k = 0;
	int rc = ensure_sel(o, n + 1);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++)
		if (!o->u.join.rmatched[i]) {
			o->u.join.sel_l[k] = UINT32_MAX;
			o->u.join.sel_r[k] = i;
			k++;
		}
	o->u.join.tail_sent = true;
	if (!k)
		return 0;
	if ((rc = assemble(o, &o->out, NULL, k)))
		return rc;
	*out = &o->out;
	return 0;
}

int op_join_next(struct plan *p, struct op *o, const struct batch **out)
{
	*out = NULL;
	int rc;
	if (!o->u.join.built) {
		o->u.join.built = true;
		if ((rc = build(p, o)) || (rc = out_init(o)))
			return rc;
	}
	struct jstate *js = o->u.join.state;
	int kind = o->u.join.kind;
	uint32_t nk = o->u.join.nkeys;
	const struct batch *rb = &o->u.join.right;
	for (;;) {
		if (o->u.join.left_done) {
			if ((kind == SQL_JOIN_RIGHT || kind == SQL_JOIN_FULL) && !o->u.join.tail_sent)
				return emit_right_tail(o, out);
			return 0;
		}
		const struct batch *lb = o->u.join.lb;
		if (!lb) {
			if ((rc = op_next(p, o->inputs[0], &lb)))
				return rc;
			if (!lb) {
				o->u.join.left_done = true;
				continue;
			}
			if (!lb->nrows)
				continue;
			o->u.join.lb = lb;
			o->u.join.lrow = 0;
			if (lb->nrows > js->lcap) {
				mem_free(js->lmatched);
				js->lmatched = mem_alloc(lb->nrows);
				js->lcap = js->lmatched ? lb->nrows : 0;
				if (!js->lmatched)
					return nomem();
			}
			memset(js->lmatched, 0, lb->nrows);
			for (uint32_t k = 0; k < nk; k++) {
				struct xval x;
				if ((rc = x_eval(&p->cx, o->u.join.lkeys[k], lb, &x)))
					return rc;
				enum dtype t = o->u.join.lkeys[k]->type < DT__COUNT ? (enum dtype)o->u.join.lkeys[k]->type : DT_INT64;
				if ((rc = xval_materialize(&x, t, lb->nrows, &js->lkeys_tmp[k], &js->lkeys[k])))
					return rc;
				if (js->lkeys[k] != &js->lkeys_tmp[k]) {
					/* copy: the vector may be scratch of another evaluation */
					if ((rc = vec_empty(&js->lkeys_tmp[k], js->lkeys[k]->type, lb->nrows)) ||
					    (rc = vec_append(&js->lkeys_tmp[k], js->lkeys[k], 0, lb->nrows)))
						return rc;
					js->lkeys[k] = &js->lkeys_tmp[k];
				}
			}
		}
		/* candidates */
		if ((rc = ensure_sel(o, JOIN_CHUNK + rb->nrows + 1)))
			return rc;
		uint32_t k = 0, i = o->u.join.lrow;
		for (; i < lb->nrows && k < JOIN_CHUNK; i++) {
			if (nk) {
				uint64_t h = 0;
				bool null = false;
				for (uint32_t q = 0; q < nk; q++) {
					null |= !vec_valid(js->lkeys[q], i);
					h = hash_u64(h * 31 + vec_hash(js->lkeys[q], i));
				}
				if (null || !rb->nrows)
					continue;
				for (uint32_t r = o->u.join.heads[(uint32_t)h & o->u.join.hmask]; r != UINT32_MAX;
				     r = o->u.join.next_row[r]) {
					if (o->u.join.rhash[r] != h || !keys_eq(js->lkeys, i, js->rkeys, r, nk))
						continue;
					o->u.join.sel_l[k] = i;
					o->u.join.sel_r[k] = r;
					k++;
				}
			} else {
				for (uint32_t r = 0; r < rb->nrows; r++) {
					o->u.join.sel_l[k] = i;
					o->u.join.sel_r[k] = r;
					k++;
				}
			}
		}
		o->u.join.lrow = i;
		bool batch_done = i >= lb->nrows;
		struct batch *cand = &o->u.join.tmp;
		if ((rc = assemble(o, cand, lb, k)))
			return rc;
		uint32_t keep = k;
		if (o->u.join.residual && k) {
			uint32_t *sel = mem_alloc((size_t)k * sizeof(uint32_t));
			if (!sel)
				return nomem();
			rc = x_eval_filter(&p->cx, o->u.join.residual, cand, sel, &keep);
			if (!rc) {
				for (uint32_t q = 0; q < keep; q++) {
					o->u.join.sel_l[q] = o->u.join.sel_l[sel[q]];
					o->u.join.sel_r[q] = o->u.join.sel_r[sel[q]];
				}
			}
			mem_free(sel);
			if (rc)
				return rc;
		}
		for (uint32_t q = 0; q < keep; q++) {
			js->lmatched[o->u.join.sel_l[q]] = 1;
			o->u.join.rmatched[o->u.join.sel_r[q]] = 1;
		}
		if (batch_done && (kind == SQL_JOIN_LEFT || kind == SQL_JOIN_FULL)) {
			for (uint32_t r = 0; r < lb->nrows; r++)
				if (!js->lmatched[r]) {
					o->u.join.sel_l[keep] = r;
					o->u.join.sel_r[keep] = UINT32_MAX;
					keep++;
					if (keep >= o->u.join.sel_cap)
						break;
				}
		}
		if (batch_done)
			o->u.join.lb = NULL;
		if (!keep)
			continue;
		if ((rc = assemble(o, &o->out, lb, keep)))
			return rc;
		*out = &o->out;
		return 0;
	}
}

void op_join_close(struct op *o)
{
	struct jstate *js = o->u.join.state;
	if (js) {
		for (uint32_t k = 0; k < o->u.join.nkeys; k++) {
			if (js->rkeys)
				colvec_free(&js->rkeys[k]);
			if (js->lkeys_tmp)
				colvec_free(&js->lkeys_tmp[k]);
		}
		mem_free(js->rkeys);
		mem_free(js->lkeys_tmp);
		mem_free(js->lkeys);
		mem_free(js->lmatched);
		mem_free(js);
		o->u.join.state = NULL;
	}
	if (o->u.join.built)
		batch_free(&o->u.join.right);
	if (o->u.join.tmp_init)
		batch_free(&o->u.join.tmp);
	o->u.join.tmp_init = false;
	o->u.join.built = false;
	mem_free(o->u.join.heads);
	mem_free(o->u.join.next_row);
	mem_free(o->u.join.rhash);
	mem_free(o->u.join.rmatched);
	mem_free(o->u.join.sel_l);
	mem_free(o->u.join.sel_r);
	o->u.join.heads = NULL;
	o->u.join.next_row = NULL;
	o->u.join.rhash = NULL;
	o->u.join.rmatched = NULL;
	o->u.join.sel_l = o->u.join.sel_r = NULL;
}
