/*
 * expr_eval: vectorized evaluation of bound expressions (expr.h) over
 * batches, plus the vector helpers the operators share.
 *
 * Kernels run over whole vectors with the constant side specialised, so a
 * comparison `col > 5` is one tight loop. Validity is combined bytewise.
 * Null slots of intermediate vectors may hold any value: a kernel that can
 * fail (overflow, division by zero) only reports rows that are valid.
 *
 * SQL semantics (DataFusion's): AND/OR are three-valued; comparisons and
 * arithmetic with a NULL give NULL; integer overflow and integer division
 * by zero are errors (ERR_EXEC, "Arithmetic overflow: Overflow happened
 * on: a + b", "Divide by zero error"); float division by zero gives inf or
 * NaN. CASE evaluates each branch only on the rows that reach it, so
 * `CASE WHEN b = 0 THEN 0 ELSE a / b END` never divides by zero.
 */
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/expr.h"

/* ---- context and nodes ------------------------------------------------- */

int xctx_init(struct xctx *cx, struct exec_env *env, struct session *s, struct arena *a)
{
	memset(cx, 0, sizeof(*cx));
	cx->env = env;
	cx->s = s;
	cx->a = a;
	cx->now_ms = env ? env->now_ms : 0;
	return 0;
}

void xctx_release(struct xctx *cx)
{
	for (struct xexpr *e = cx->all; e; e = e->next_alloc) {
		colvec_free(&e->out);
		if (e->aux && e->aux_free)
			e->aux_free(e->aux);
		e->aux = NULL;
		for (uint32_t i = 0; i < e->ntmp; i++)
			colvec_free(&e->tmp[i]);
	}
	cx->all = NULL;
}

struct xexpr *xnew(struct xctx *cx, int kind, int type)
{
	struct xexpr *e = arena_alloc(cx->a, sizeof(*e));
	if (!e) {
		err_set(ERR_NOMEM, "out of memory");
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->type = type;
	colvec_init(&e->out, type < DT__COUNT ? (enum dtype)type : DT_INT64);
	e->next_alloc = cx->all;
	cx->all = e;
	return e;
}

struct xexpr *xconst(struct xctx *cx, const struct datum *d, const char *name)
{
	struct xexpr *e = xnew(cx, X_CONST, d->type);
	if (!e)
		return NULL;
	e->u.c = *d;
	e->name = name;
	return e;
}

static struct xexpr **copy_list(struct xctx *cx, struct xexpr *const *l, uint32_t n)
{
	if (!n)
		return NULL;
	struct xexpr **r = arena_alloc(cx->a, n * sizeof(*r));
	if (!r)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		if (!(r[i] = xcopy(cx, l[i])))
			return NULL;
	return r;
}

struct xexpr *xcopy(struct xctx *cx, const struct xexpr *e)
{
	if (!e)
		return NULL;
	struct xexpr *c = xnew(cx, e->kind, e->type);
	if (!c)
		return NULL;
	struct xexpr *keep = c->next_alloc;
	*c = *e;
	c->next_alloc = keep;
	colvec_init(&c->out, e->out.type);
	c->tmp = NULL;
	c->ntmp = 0;
	c->aux = NULL;
	switch (e->kind) {
	case X_BIN:
		c->u.bin.a = xcopy(cx, e->u.bin.a);
		c->u.bin.b = xcopy(cx, e->u.bin.b);
		break;
	case X_NOT:
	case X_NEG:
	case X_CAST: c->u.un.a = xcopy(cx, e->u.un.a); break;
	case X_IS: c->u.is.a = xcopy(cx, e->u.is.a); break;
	case X_CASE:
		c->u.cs.operand = xcopy(cx, e->u.cs.operand);
		c->u.cs.when = copy_list(cx, e->u.cs.when, e->u.cs.nwhen);
		c->u.cs.then = copy_list(cx, e->u.cs.then, e->u.cs.nwhen);
		c->u.cs.else_ = xcopy(cx, e->u.cs.else_);
		break;
	case X_IN: c->u.in.a = xcopy(cx, e->u.in.a); break;
	case X_LIKE:
		c->u.like.a = xcopy(cx, e->u.like.a);
		c->u.like.pat = xcopy(cx, e->u.like.pat);
		break;
	case X_FUNC: c->u.fn.args = copy_list(cx, e->u.fn.args, e->u.fn.nargs); break;
	case X_AGG:
		c->u.agg.args = copy_list(cx, e->u.agg.args, e->u.agg.nargs);
		c->u.agg.order = xcopy(cx, e->u.agg.order);
		c->u.agg.filter = xcopy(cx, e->u.agg.filter);
		break;
	default: break;
	}
	return c;
}

static bool datum_same(const struct datum *a, const struct datum *b)
{
	if (a->type != b->type || a->is_null != b->is_null)
		return false;
	if (a->is_null)
		return true;
	switch (xphys(a->type < DT__COUNT ? a->type : DT_INT64)) {
	case PHYS_I64: return a->v.i == b->v.i;
	case PHYS_F64: return memcmp(&a->v.f, &b->v.f, sizeof(double)) == 0;
	default: return a->v.s.n == b->v.s.n && (a->v.s.n == 0 || memcmp(a->v.s.p, b->v.s.p, a->v.s.n) == 0);
	}
}

static bool list_equal(struct xexpr *const *a, struct xexpr *const *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!xequal(a[i], b[i]))
			return false;
	return true;
}

bool xequal(const struct xexpr *a, const struct xexpr *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->kind != b->kind || a->type != b->type)
		return false;
	switch (a->kind) {
	case X_COL:
	case X_OUTREF: return a->u.col == b->u.col;
	case X_CONST:
		if (a->type == XT_INTERVAL)
			return memcmp(&a->u.iv, &b->u.iv, sizeof(a->u.iv)) == 0;
		return datum_same(&a->u.c, &b->u.c);
	case X_BIN:
		return a->u.bin.op == b->u.bin.op && a->u.bin.ci == b->u.bin.ci &&
		       a->u.bin.neg == b->u.bin.neg &&
		       memcmp(&a->u.bin.iv, &b->u.bin.iv, sizeof(a->u.bin.iv)) == 0 &&
		       xequal(a->u.bin.a, b->u.bin.a) && xequal(a->u.bin.b, b->u.bin.b);
	case X_NOT:
	case X_NEG:
	case X_CAST: return xequal(a->u.un.a, b->u.un.a);
	case X_IS:
		return a->u.is.what == b->u.is.what && a->u.is.neg == b->u.is.neg &&
		       xequal(a->u.is.a, b->u.is.a);
	case X_CASE:
		return a->u.cs.nwhen == b->u.cs.nwhen && xequal(a->u.cs.operand, b->u.cs.operand) &&
		       list_equal(a->u.cs.when, b->u.cs.when, a->u.cs.nwhen) &&
		       list_equal(a->u.cs.then, b->u.cs.then, a->u.cs.nwhen) &&
		       xequal(a->u.cs.else_, b->u.cs.else_);
	case X_IN:
		if (a->u.in.nlist != b->u.in.nlist || a->u.in.neg != b->u.in.neg ||
		    a->u.in.has_null != b->u.in.has_null || !xequal(a->u.in.a, b->u.in.a))
			return false;
		for (uint32_t i = 0; i < a->u.in.nlist; i++)
			if (!datum_same(&a->u.in.list[i], &b->u.in.list[i]))
				return false;
		return true;
	case X_LIKE:
		return a->u.like.esc == b->u.like.esc && a->u.like.ci == b->u.like.ci &&
		       a->u.like.neg == b->u.like.neg && xequal(a->u.like.a, b->u.like.a) &&
		       xequal(a->u.like.pat, b->u.like.pat);
	case X_FUNC:
		return a->u.fn.def == b->u.fn.def && a->u.fn.nargs == b->u.fn.nargs &&
		       a->u.fn.iarg == b->u.fn.iarg &&
		       memcmp(&a->u.fn.iv, &b->u.fn.iv, sizeof(a->u.fn.iv)) == 0 &&
		       list_equal(a->u.fn.args, b->u.fn.args, a->u.fn.nargs);
	case X_AGG:
		return a->u.agg.def == b->u.agg.def && a->u.agg.nargs == b->u.agg.nargs &&
		       a->u.agg.distinct == b->u.agg.distinct &&
		       a->u.agg.order_desc == b->u.agg.order_desc &&
		       list_equal(a->u.agg.args, b->u.agg.args, a->u.agg.nargs) &&
		       xequal(a->u.agg.order, b->u.agg.order) &&
		       xequal(a->u.agg.filter, b->u.agg.filter) &&
		       (a->name && b->name ? strcmp(a->name, b->name) == 0 : a->name == b->name);
	default: return false;
	}
}

int datum_to_arena(struct arena *a, struct datum *d)
{
	if (d->is_null || d->type >= DT__COUNT || xphys(d->type) != PHYS_BYTES)
		return 0;
	char *p = arena_alloc(a, (size_t)d->v.s.n + 1);
	if (!p)
		return err_set(ERR_NOMEM, "out of memory");
	if (d->v.s.n)
		memcpy(p, d->v.s.p, d->v.s.n);
	p[d->v.s.n] = 0;
	d->v.s.p = p;
	return 0;
}

/* ---- vectors ------------------------------------------------------------ */

static size_t bitmap_bytes(uint32_t cap) { return ((size_t)cap + 7) / 8; }

static void drop_validity(struct colvec *v)
{
	if (v->validity) {
		mem_free(v->validity);
		v->validity = NULL;
	}
}

int vec_fixed(struct colvec *v, enum dtype t, uint32_t n)
{
	if (xphys(v->type) != xphys(t) && v->cap) {
		colvec_free(v);
	}
	v->type = t;
	v->len = 0;
	drop_validity(v);
	if (n && colvec_reserve(v, n))
		return ERR_NOMEM;
	if (!v->cap && colvec_reserve(v, 1))
		return ERR_NOMEM;
	v->len = n;
	return 0;
}

int vec_empty(struct colvec *v, enum dtype t, uint32_t n)
{
	if (xphys(v->type) != xphys(t) && v->cap)
		colvec_free(v);
	v->type = t;
	v->len = 0;
	drop_validity(v);
	if (colvec_reserve(v, n ? n : 1))
		return ERR_NOMEM;
	if (xphys(t) == PHYS_BYTES)
		v->offs[0] = 0;
	return 0;
}

static int alloc_validity(struct colvec *v, uint8_t fill)
{
	if (v->validity)
		return 0;
	size_t nb = bitmap_bytes(v->cap ? v->cap : 1);
	v->validity = mem_alloc(nb);
	if (!v->validity)
		return ERR_NOMEM;
	memset(v->validity, fill, nb);
	return 0;
}

int vec_set_null(struct colvec *v, uint32_t i)
{
	if (alloc_validity(v, 0xff))
		return ERR_NOMEM;
	v->validity[i >> 3] &= (uint8_t)~(1u << (i & 7));
	return 0;
}

int vec_and_validity(struct colvec *v, const struct xval *a, const struct xval *b, uint32_t n)
{
	drop_validity(v);
	bool anull = a && !a->v && a->c.is_null, bnull = b && !b->v && b->c.is_null;
	if (anull || bnull)
		return alloc_validity(v, 0);
	const uint8_t *va = a && a->v ? a->v->validity : NULL;
	const uint8_t *vb = b && b->v ? b->v->validity : NULL;
	if (!va && !vb)
		return 0;
	if (alloc_validity(v, 0xff))
		return ERR_NOMEM;
	size_t nb = bitmap_bytes(n);
	if (va && vb)
		for (size_t i = 0; i < nb; i++)
			v->validity[i] = va[i] & vb[i];
	else
		memcpy(v->validity, va ? va : vb, nb);
	return 0;
}

int vec_copy_validity(struct colvec *v, const struct colvec *src, uint32_t n)
{
	drop_validity(v);
	if (!src->validity)
		return 0;
	if (alloc_validity(v, 0xff))
		return ERR_NOMEM;
	memcpy(v->validity, src->validity, bitmap_bytes(n));
	return 0;
}

int vec_gather(struct colvec *dst, const struct colvec *src, const uint32_t *sel, uint32_t n)
{
	enum phys_kind pk = xphys(src->type);
	if (pk == PHYS_BYTES) {
		if (vec_empty(dst, src->type, n))
			return ERR_NOMEM;
		size_t total = 0;
		for (uint32_t k = 0; k < n; k++)
			total += src->offs[sel[k] + 1] - src->offs[sel[k]];
		int rc = colvec_reserve_bytes(dst, total, "string column exceeds 4 GiB");
		if (rc)
			return rc;
		uint32_t off = 0;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t s = src->offs[sel[k]], l = src->offs[sel[k] + 1] - s;
			if (l)
				memcpy(dst->bytes + off, src->bytes + s, l);
			off += l;
			dst->offs[k + 1] = off;
		}
		dst->len = n;
	} else {
		if (vec_fixed(dst, src->type, n))
			return ERR_NOMEM;
		if (pk == PHYS_I64)
			for (uint32_t k = 0; k < n; k++)
				dst->i64[k] = src->i64[sel[k]];
		else
			for (uint32_t k = 0; k < n; k++)
				dst->f64[k] = src->f64[sel[k]];
	}
	if (src->validity) {
		bool any = false;
		for (uint32_t k = 0; k < n && !any; k++)
			any = !vec_valid(src, sel[k]);
		if (any) {
			if (alloc_validity(dst, 0))
				return ERR_NOMEM;
			for (uint32_t k = 0; k < n; k++)
				if (vec_valid(src, sel[k]))
					dst->validity[k >> 3] |= (uint8_t)(1u << (k & 7));
		}
	}
	return 0;
}

int vec_append(struct colvec *dst, const struct colvec *src, uint32_t from, uint32_t n)
{
	if (n == 0)
		return 0;
	uint32_t base = dst->len;
	if (colvec_reserve(dst, n))
		return ERR_NOMEM;
	enum phys_kind pk = xphys(dst->type);
	if (pk == PHYS_BYTES) {
		if (!dst->offs && colvec_reserve(dst, 1))
			return ERR_NOMEM;
		uint32_t s = src->offs[from], l = src->offs[from + n] - s;
		int rc = colvec_reserve_bytes(dst, l, "string column exceeds 4 GiB");
		if (rc)
			return rc;
		size_t used = dst->offs[base];
		if (l)
			memcpy(dst->bytes + used, src->bytes + s, l);
		for (uint32_t k = 0; k < n; k++)
			dst->offs[base + k + 1] = (uint32_t)(used + (src->offs[from + k + 1] - s));
	} else if (pk == PHYS_I64) {
		memcpy(dst->i64 + base, src->i64 + from, (size_t)n * sizeof(int64_t));
	} else {
		memcpy(dst->f64 + base, src->f64 + from, (size_t)n * sizeof(double));
	}
	dst->len = base + n;
	if (src->validity || dst->validity) {
		if (alloc_validity(dst, 0xff))
			return ERR_NOMEM;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t i = base + k;
			if (vec_valid(src, from + k))
				dst->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
			else
				dst->validity[i >> 3] &= (uint8_t)~(1u << (i & 7));
		}
	}
	return 0;
}

int vec_broadcast(struct colvec *dst, const struct datum *d, enum dtype t, uint32_t n)
{
	enum phys_kind pk = xphys(t);
	if (!d->is_null && (int)d->type != XT_NULL && xphys(d->type) != pk)
		return err_set(ERR_INTERNAL, "constant of type %s where %s was expected",
			       xtype_arrow_name(d->type), xtype_arrow_name(t));
	if (pk == PHYS_BYTES) {
		if (vec_empty(dst, t, n))
			return ERR_NOMEM;
		uint32_t l = d->is_null ? 0 : d->v.s.n;
		int rc = colvec_reserve_bytes(dst, (uint64_t)l * n, "string column exceeds 4 GiB");
		if (rc)
			return rc;
		for (uint32_t k = 0; k < n; k++) {
			if (l)
				memcpy(dst->bytes + (size_t)k * l, d->v.s.p, l);
			dst->offs[k + 1] = (k + 1) * l;
		}
		dst->len = n;
	} else {
		if (vec_fixed(dst, t, n))
			return ERR_NOMEM;
		if (pk == PHYS_I64) {
			int64_t x = d->is_null ? 0 : d->v.i;
			for (uint32_t k = 0; k < n; k++)
				dst->i64[k] = x;
		} else {
			double x = d->is_null ? 0 : d->v.f;
			for (uint32_t k = 0; k < n; k++)
				dst->f64[k] = x;
		}
	}
	if (d->is_null)
		return alloc_validity(dst, 0);
	return 0;
}

int xval_materialize(const struct xval *x, enum dtype t, uint32_t n, struct colvec *tmp,
		     const struct colvec **out)
{
	if (x->v) {
		*out = x->v;
		return 0;
	}
	int rc = vec_broadcast(tmp, &x->c, t, n);
	*out = tmp;
	return rc;
}

void xval_get(const struct xval *x, int type, uint32_t i, struct datum *d)
{
	if (!x->v) {
		*d = x->c;
		return;
	}
	memset(d, 0, sizeof(*d));
	d->type = type;
	if (!vec_valid(x->v, i)) {
		d->is_null = true;
		return;
	}
	switch (xphys(x->v->type)) {
	case PHYS_I64: d->v.i = x->v->i64[i]; break;
	case PHYS_F64: d->v.f = x->v->f64[i]; break;
	default: d->v.s.p = colvec_bytes(x->v, i, &d->v.s.n); break;
	}
}

uint64_t vec_hash(const struct colvec *v, uint32_t i)
{
	if (!vec_valid(v, i))
		return 0x5bd1e9955bd1e995ULL;
	switch (xphys(v->type)) {
	case PHYS_I64: return hash_u64((uint64_t)v->i64[i]);
	case PHYS_F64: {
		double d = v->f64[i];
		if (d == 0)
			d = 0; /* -0.0 */
		uint64_t u;
		memcpy(&u, &d, 8);
		if (isnan(d))
			u = 0x7ff8000000000000ULL;
		return hash_u64(u);
	}
	default: {
		uint32_t n;
		const char *p = colvec_bytes(v, i, &n);
		return hash_bytes(p, n, 0);
	}
	}
}

int datum_cmp(const struct datum *a, const struct datum *b)
{
	if (a->is_null || b->is_null)
		return a->is_null == b->is_null ? 0 : (a->is_null ? -1 : 1);
	int t = a->type < DT__COUNT ? (int)a->type : DT_INT64;
	switch (xphys(t)) {
	case PHYS_I64:
		if (t == DT_UINT64) {
			uint64_t x = (uint64_t)a->v.i, y = (uint64_t)b->v.i;
			return x < y ? -1 : x > y;
		}
		return a->v.i < b->v.i ? -1 : a->v.i > b->v.i;
	case PHYS_F64:
		if (isnan(a->v.f) || isnan(b->v.f))
			return isnan(a->v.f) == isnan(b->v.f) ? 0 : (isnan(a->v.f) ? 1 : -1);
		return a->v.f < b->v.f ? -1 : a->v.f > b->v.f;
	default: {
		uint32_t m = a->v.s.n < b->v.s.n ? a->v.s.n : b->v.s.n;
		int c = m ? memcmp(a->v.s.p, b->v.s.p, m) : 0;
		return c ? (c < 0 ? -1 : 1) : (a->v.s.n < b->v.s.n ? -1 : a->v.s.n > b->v.s.n);
	}
	}
}

/* ---- binary kernels ------------------------------------------------------ */

/* Run BODY over rows with x, y bound to the operand values of the row. */
#define LOOP2(T, GET, A, B, n, BODY)                                       \
	do {                                                                \
		if ((A)->v && (B)->v) {                                     \
			const T *pa_ = (A)->v->GET, *pb_ = (B)->v->GET;     \
			for (uint32_t i = 0; i < (n); i++) {                \
				T x = pa_[i], y = pb_[i];                   \
				BODY;                                       \
			}                                                   \
		} else if ((A)->v) {                                        \
			const T *pa_ = (A)->v->GET;                         \
			T y = (T)CONSTV_##GET(B);                           \
			for (uint32_t i = 0; i < (n); i++) {                \
				T x = pa_[i];                               \
				BODY;                                       \
			}                                                   \
		} else if ((B)->v) {                                        \
			const T *pb_ = (B)->v->GET;                         \
			T x = (T)CONSTV_##GET(A);                           \
			for (uint32_t i = 0; i < (n); i++) {                \
				T y = pb_[i];                               \
				BODY;                                       \
			}                                                   \
		} else {                                                    \
			T x = (T)CONSTV_##GET(A), y = (T)CONSTV_##GET(B);   \
			for (uint32_t i = 0; i < (n); i++) {                \
				BODY;                                       \
			}                                                   \
		}                                                           \
	} while (0)
#define CONSTV_i64(X) ((X)->c.v.i)
#define CONSTV_f64(X) ((X)->c.v.f)

static int cmp_kernel(int op, int ct, const struct xval *a, const struct xval *b, uint32_t n,
		      int64_t *r)
{
	enum phys_kind pk = xphys(ct);
	if (pk == PHYS_I64 && ct != DT_UINT64) {
		switch (op) {
		case XOP_EQ: LOOP2(int64_t, i64, a, b, n, r[i] = x == y); break;
		case XOP_NE: LOOP2(int64_t, i64, a, b, n, r[i] = x != y); break;
		case XOP_LT: LOOP2(int64_t, i64, a, b, n, r[i] = x < y); break;
		case XOP_LE: LOOP2(int64_t, i64, a, b, n, r[i] = x <= y); break;
		case XOP_GT: LOOP2(int64_t, i64, a, b, n, r[i] = x > y); break;
		case XOP_GE: LOOP2(int64_t, i64, a, b, n, r[i] = x >= y); break;
		}
	} else if (pk == PHYS_I64) {
		switch (op) {
		case XOP_EQ: LOOP2(int64_t, i64, a, b, n, r[i] = x == y); break;
		case XOP_NE: LOOP2(int64_t, i64, a, b, n, r[i] = x != y); break;
		case XOP_LT: LOOP2(int64_t, i64, a, b, n, r[i] = (uint64_t)x < (uint64_t)y); break;
		case XOP_LE: LOOP2(int64_t, i64, a, b, n, r[i] = (uint64_t)x <= (uint64_t)y); break;
		case XOP_GT: LOOP2(int64_t, i64, a, b, n, r[i] = (uint64_t)x > (uint64_t)y); break;
		case XOP_GE: LOOP2(int64_t, i64, a, b, n, r[i] = (uint64_t)x >= (uint64_t)y); break;
		}
	} else if (pk == PHYS_F64) {
		switch (op) {
		case XOP_EQ: LOOP2(double, f64, a, b, n, r[i] = x == y); break;
		case XOP_NE: LOOP2(double, f64, a, b, n, r[i] = x != y); break;
		case XOP_LT: LOOP2(double, f64, a, b, n, r[i] = x < y); break;
		case XOP_LE: LOOP2(double, f64, a, b, n, r[i] = x <= y); break;
		case XOP_GT: LOOP2(double, f64, a, b, n, r[i] = x > y); break;
		case XOP_GE: LOOP2(double, f64, a, b, n, r[i] = x >= y); break;
		}
	} else {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t la, lb;
			const char *pa = xval_bytes(a, i, &la), *pb = xval_bytes(b, i, &lb);
			int c;
			if (op == XOP_EQ || op == XOP_NE) {
				bool eq = la == lb && (la == 0 || memcmp(pa, pb, la) == 0);
				r[i] = op == XOP_EQ ? eq : !eq;
				continue;
			}
			uint32_t m = la < lb ? la : lb;
			c = m ? memcmp(pa, pb, m) : 0;
			if (!c)
				c = la < lb ? -1 : la > lb;
			switch (op) {
			case XOP_LT: r[i] = c < 0; break;
			case XOP_LE: r[i] = c <= 0; break;
			case XOP_GT: r[i] = c > 0; break;
			default: r[i] = c >= 0; break;
			}
		}
	}
	return 0;
}

static const char *op_text(int op)
{
	switch (op) {
	case XOP_ADD: return "+";
	case XOP_SUB: return "-";
	case XOP_MUL: return "*";
	case XOP_DIV: return "/";
	case XOP_MOD: return "%";
	default: return "?";
	}
}

static int overflow_err(int op, int ct, int64_t x, int64_t y)
{
	if (ct == DT_UINT64)
		return exec_err("Arithmetic overflow: Overflow happened on: %" PRIu64 " %s %" PRIu64,
				(uint64_t)x, op_text(op), (uint64_t)y);
	return exec_err("Arithmetic overflow: Overflow happened on: %" PRId64 " %s %" PRId64, x,
			op_text(op), y);
}

/* Integer arithmetic with checks; rows that are null in `out` are ignored
 * when they fail. */
static int int_arith(int op, int ct, const struct xval *a, const struct xval *b, uint32_t n,
		     struct colvec *out)
{
	int64_t *r = out->i64;
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	switch (ct) {
	case DT_INT8: lo = INT8_MIN, hi = INT8_MAX; break;
	case DT_INT16: lo = INT16_MIN, hi = INT16_MAX; break;
	case DT_INT32: lo = INT32_MIN, hi = INT32_MAX; break;
	case DT_UINT8: lo = 0, hi = UINT8_MAX; break;
	case DT_UINT16: lo = 0, hi = UINT16_MAX; break;
	case DT_UINT32: lo = 0, hi = UINT32_MAX; break;
	default: break;
	}
	bool narrow = ct != DT_INT64 && ct != DT_UINT64;
	uint32_t bad = UINT32_MAX;
	if (ct == DT_UINT64) {
		switch (op) {
		case XOP_ADD:
			LOOP2(int64_t, i64, a, b, n, {
				uint64_t t;
				if (__builtin_add_overflow((uint64_t)x, (uint64_t)y, &t) && vec_valid(out, i) &&
				    bad == UINT32_MAX)
					bad = i;
				r[i] = (int64_t)t;
			});
			break;
		case XOP_SUB:
			LOOP2(int64_t, i64, a, b, n, {
				uint64_t t;
				if (__builtin_sub_overflow((uint64_t)x, (uint64_t)y, &t) && vec_valid(out, i) &&
				    bad == UINT32_MAX)
					bad = i;
				r[i] = (int64_t)t;
			});
			break;
		case XOP_MUL:
			LOOP2(int64_t, i64, a, b, n, {
				uint64_t t;
				if (__builtin_mul_overflow((uint64_t)x, (uint64_t)y, &t) && vec_valid(out, i) &&
				    bad == UINT32_MAX)
					bad = i;
				r[i] = (int64_t)t;
			});
			break;
		case XOP_DIV:
		case XOP_MOD:
			LOOP2(int64_t, i64, a, b, n, {
				if (y == 0) {
					r[i] = 0;
					if (vec_valid(out, i))
						return exec_err("Divide by zero error");
				} else {
					r[i] = op == XOP_DIV ? (int64_t)((uint64_t)x / (uint64_t)y)
							     : (int64_t)((uint64_t)x % (uint64_t)y);
				}
			});
			break;
		}
	} else {
		switch (op) {
		case XOP_ADD:
			LOOP2(int64_t, i64, a, b, n, {
				int64_t t;
				bool o = __builtin_add_overflow(x, y, &t) || (narrow && (t < lo || t > hi));
				if (o && vec_valid(out, i) && bad == UINT32_MAX)
					bad = i;
				r[i] = t;
			});
			break;
		case XOP_SUB:
			LOOP2(int64_t, i64, a, b, n, {
				int64_t t;
				bool o = __builtin_sub_overflow(x, y, &t) || (narrow && (t < lo || t > hi));
				if (o && vec_valid(out, i) && bad == UINT32_MAX)
					bad = i;
				r[i] = t;
			});
			break;
		case XOP_MUL:
			LOOP2(int64_t, i64, a, b, n, {
				int64_t t;
				bool o = __builtin_mul_overflow(x, y, &t) || (narrow && (t < lo || t > hi));
				if (o && vec_valid(out, i) && bad == UINT32_MAX)
					bad = i;
				r[i] = t;
			});
			break;
		case XOP_DIV:
		case XOP_MOD:
			LOOP2(int64_t, i64, a, b, n, {
				if (y == 0) {
					r[i] = 0;
					if (vec_valid(out, i))
						return exec_err("Divide by zero error");
				} else if (x == INT64_MIN && y == -1) {
					r[i] = 0;
					if (op == XOP_DIV && vec_valid(out, i) && bad == UINT32_MAX)
						bad = i;
				} else {
					int64_t t = op == XOP_DIV ? x / y : x % y;
					if (narrow && (t < lo || t > hi) && vec_valid(out, i) &&
					    bad == UINT32_MAX)
						bad = i;
					r[i] = t;
				}
			});
			break;
		}
	}
	if (bad != UINT32_MAX)
		return overflow_err(op, ct, xval_i64(a, bad), xval_i64(b, bad));
	return 0;
}

static int float_arith(int op, int ct, const struct xval *a, const struct xval *b, uint32_t n,
		       double *r)
{
	switch (op) {
	case XOP_ADD: LOOP2(double, f64, a, b, n, r[i] = x + y); break;
	case XOP_SUB: LOOP2(double, f64, a, b, n, r[i] = x - y); break;
	case XOP_MUL: LOOP2(double, f64, a, b, n, r[i] = x * y); break;
	case XOP_DIV: LOOP2(double, f64, a, b, n, r[i] = x / y); break;
	case XOP_MOD: LOOP2(double, f64, a, b, n, r[i] = fmod(x, y)); break;
	}
	if (ct == DT_FLOAT32)
		for (uint32_t i = 0; i < n; i++)
			r[i] = (double)(float)r[i];
	return 0;
}

static int bit_kernel(int op, const struct xval *a, const struct xval *b, uint32_t n, int64_t *r)
{
	switch (op) {
	case XOP_BITAND: LOOP2(int64_t, i64, a, b, n, r[i] = x & y); break;
	case XOP_BITOR: LOOP2(int64_t, i64, a, b, n, r[i] = x | y); break;
	case XOP_BITXOR: LOOP2(int64_t, i64, a, b, n, r[i] = x ^ y); break;
	case XOP_SHL:
		LOOP2(int64_t, i64, a, b, n, r[i] = (y < 0 || y > 63) ? 0 : (int64_t)((uint64_t)x << y));
		break;
	case XOP_SHR: LOOP2(int64_t, i64, a, b, n, r[i] = (y < 0 || y > 63) ? (x < 0 ? -1 : 0) : x >> y);
		break;
	}
	return 0;
}

static inline bool bit_true(const struct xval *x, uint32_t i, bool *valid)
{
	if (!x->v) {
		*valid = !x->c.is_null;
		return *valid && x->c.v.i;
	}
	*valid = vec_valid(x->v, i);
	return *valid && x->v->i64[i];
}

static int logic_kernel(int op, const struct xval *a, const struct xval *b, uint32_t n,
			struct colvec *out)
{
	bool any_null = false;
	/* no nulls anywhere: plain bitwise logic */
	bool an = a->v ? a->v->validity != NULL : a->c.is_null;
	bool bn = b->v ? b->v->validity != NULL : b->c.is_null;
	if (!an && !bn) {
		if (op == XOP_AND)
			LOOP2(int64_t, i64, a, b, n, out->i64[i] = (x != 0) & (y != 0));
		else
			LOOP2(int64_t, i64, a, b, n, out->i64[i] = (x != 0) | (y != 0));
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		bool av, bv;
		bool at = bit_true(a, i, &av), bt = bit_true(b, i, &bv);
		bool valid, val;
		if (op == XOP_AND) {
			val = at && bt;
			valid = (av && bv) || (av && !at) || (bv && !bt);
		} else {
			val = at || bt;
			valid = (av && bv) || at || bt;
		}
		out->i64[i] = val;
		if (!valid) {
			if (!any_null && alloc_validity(out, 0xff))
				return ERR_NOMEM;
			any_null = true;
			out->validity[i >> 3] &= (uint8_t)~(1u << (i & 7));
		}
	}
	return 0;
}

static int concat_kernel(const struct xval *a, const struct xval *b, uint32_t n, struct colvec *out)
{
	if (vec_empty(out, DT_STRING, n))
		return ERR_NOMEM;
	struct buf t;
	buf_init(&t);
	int rc = 0;
	for (uint32_t i = 0; i < n && !rc; i++) {
		if (xval_null(a, i) || xval_null(b, i)) {
			rc = colvec_push_null(out);
			continue;
		}
		uint32_t la, lb;
		const char *pa = xval_bytes(a, i, &la), *pb = xval_bytes(b, i, &lb);
		buf_reset(&t);
		if (buf_append(&t, pa, la) || buf_append(&t, pb, lb))
			rc = ERR_NOMEM;
		else
			rc = colvec_push_bytes(out, t.data, t.len);
	}
	buf_free(&t);
	return rc;
}

static void free_regex(void *p)
{
	regfree(p);
	mem_free(p);
}

static int regex_kernel(struct xexpr *e, const struct xval *a, const struct xval *b, uint32_t n,
			struct colvec *out)
{
	regex_t local;
	memset(&local, 0, sizeof(local));
	regex_t *re = NULL;
	int cflags = REG_EXTENDED | REG_NOSUB | (e->u.bin.ci ? REG_ICASE : 0);
	bool cached = !b->v;
	if (cached && e->aux)
		re = e->aux;
	for (uint32_t i = 0; i < n; i++) {
		if (xval_null(a, i) || xval_null(b, i)) {
			out->i64[i] = 0;
			continue;
		}
		uint32_t lp;
		const char *pp = xval_bytes(b, i, &lp);
		if (!re || !cached) {
			char *pat = mem_strndup(pp, lp);
			if (!pat)
				return ERR_NOMEM;
			regex_t *target = &local;
			if (cached) {
				target = mem_alloc(sizeof(regex_t));
				if (!target) {
					mem_free(pat);
					return ERR_NOMEM;
				}
			}
			int rc = regcomp(target, pat, cflags);
			mem_free(pat);
			if (rc) {
				if (cached)
					mem_free(target);
				return exec_err("Regular expression did not compile: %.*s", (int)lp, pp);
			}
			re = target;
			if (cached) {
				/* keep it on the node; freed by xctx_release */
				e->aux = re;
				e->aux_free = free_regex;
			}
		}
		uint32_t ls;
		const char *ps = xval_bytes(a, i, &ls);
		char small[256];
		char *s = ls < sizeof(small) ? small : mem_alloc((size_t)ls + 1);
		if (!s)
			return ERR_NOMEM;
		if (ls)
			memcpy(s, ps, ls);
		s[ls] = 0;
		bool m = regexec(re, s, 0, NULL, 0) == 0;
		if (s != small)
			mem_free(s);
		out->i64[i] = m != e->u.bin.neg;
		if (!cached) {
			regfree(re);
			re = NULL;
		}
	}
	return 0;
}

/* A duration as text: ISO 8601 ("P0D", "PT0.918S") as Arrow prints it, or
 * PostgreSQL's interval style ("00:00:00.918000") on PostgreSQL sessions. */
static int format_duration(struct buf *b, int64_t ns, bool pg)
{
	if (pg) {
		/* PostgreSQL's "postgres" IntervalStyle: both parts carry the
		 * sign ("-1 days -02:00:00"), "day" only for exactly +1, no time
		 * part after whole days; microsecond precision */
		uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
		uint64_t us = a / 1000, secs = us / 1000000, days = secs / 86400;
		const char *sg = ns < 0 ? "-" : "";
		int rc = 0;
		secs %= 86400;
		bool time = secs || us % 1000000 || !days;
		if (days)
			rc = buf_printf(b, "%s%" PRIu64 " day%s%s", sg, days, days == 1 && ns > 0 ? "" : "s",
					time ? " " : "");
		if (!rc && time)
			rc = buf_printf(b, "%s%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, sg, secs / 3600,
					secs / 60 % 60, secs % 60);
		if (!rc && time && us % 1000000)
			rc = buf_printf(b, ".%06" PRIu64, us % 1000000);
		return rc;
	}
	if (ns == 0)
		return buf_printf(b, "P0D");
	uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	uint64_t secs = a / 1000000000ULL, frac = a % 1000000000ULL;
	uint64_t days = secs / 86400;
	secs %= 86400;
	int rc = buf_printf(b, "%sP", ns < 0 ? "-" : "");
	if (!rc && days)
		rc = buf_printf(b, "%" PRIu64 "D", days);
	if (!rc && (secs || frac)) {
		rc = buf_printf(b, "T%" PRIu64, secs);
		if (!rc && frac) {
			char f[16];
			snprintf(f, sizeof(f), "%09" PRIu64, frac);
			size_t l = 9;
			while (l > 0 && f[l - 1] == '0')
				l--;
			rc = buf_printf(b, ".%.*s", (int)l, f);
		}
		if (!rc)
			rc = buf_putc(b, 'S');
	}
	return rc;
}

static int temporal_kernel(struct xctx *cx, struct xexpr *e, const struct xval *a,
			   const struct xval *b, uint32_t n, struct colvec *out)
{
	int op = e->u.bin.op;
	int ct = e->u.bin.ct;
	if (op == XOP_TS_ADD_IV || op == XOP_TS_SUB_IV) {
		const struct interval *iv = &e->u.bin.iv;
		int sign = op == XOP_TS_ADD_IV ? 1 : -1;
		if (vec_fixed(out, ct, n) || vec_and_validity(out, a, NULL, n))
			return ERR_NOMEM;
		if (iv->months == 0 && ct != DT_DATE) {
			int64_t ups = dtype_ts_units_per_sec(ct);
			int64_t add;
			if (__builtin_mul_overflow(iv->days, 86400 * ups, &add) ||
			    __builtin_add_overflow(add, iv->nanos / (1000000000LL / ups), &add))
				return exec_err("Arithmetic overflow: interval too large");
			add *= sign;
			for (uint32_t i = 0; i < n; i++) {
				int64_t x = xval_i64(a, i);
				if (__builtin_add_overflow(x, add, &out->i64[i]) && vec_valid(out, i))
					return exec_err("Arithmetic overflow: Overflow happened on: %" PRId64
							" + %" PRId64, x, add);
			}
			return 0;
		}
		for (uint32_t i = 0; i < n; i++) {
			if (!vec_valid(out, i)) {
				out->i64[i] = 0;
				continue;
			}
			int rc = ts_add_interval(xval_i64(a, i), ct, iv, sign, &out->i64[i]);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (op == XOP_DATE_DIFF) {
		if (vec_fixed(out, DT_INT64, n) || vec_and_validity(out, a, b, n))
			return ERR_NOMEM;
		LOOP2(int64_t, i64, a, b, n, out->i64[i] = x - y);
		return 0;
	}
	/* XOP_TS_DIFF: render as an ISO 8601 duration */
	if (vec_empty(out, DT_STRING, n))
		return ERR_NOMEM;
	struct buf t;
	buf_init(&t);
	int rc = 0;
	for (uint32_t i = 0; i < n && !rc; i++) {
		if (xval_null(a, i) || xval_null(b, i)) {
			rc = colvec_push_null(out);
			continue;
		}
		int64_t d;
		if (__builtin_sub_overflow(xval_i64(a, i), xval_i64(b, i), &d)) {
			rc = exec_err("Arithmetic overflow: timestamp difference out of range");
			break;
		}
		buf_reset(&t);
		rc = format_duration(&t, ts_to_ns_floor(d, ct), cx->s && cx->s->protocol == SESSION_PG);
		if (!rc)
			rc = colvec_push_bytes(out, t.data, t.len);
	}
	buf_free(&t);
	return rc;
}

static void vec_to_const(struct colvec *v, int type, struct xval *out)
{
	/* 1-row result of constant operands */
	out->v = NULL;
	memset(&out->c, 0, sizeof(out->c));
	out->c.type = type;
	if (!vec_valid(v, 0)) {
		out->c.is_null = true;
		return;
	}
	switch (xphys(type)) {
	case PHYS_I64: out->c.v.i = v->i64[0]; break;
	case PHYS_F64: out->c.v.f = v->f64[0]; break;
	default: out->c.v.s.p = colvec_bytes(v, 0, &out->c.v.s.n); break;
	}
}

static int eval_bin(struct xctx *cx, struct xexpr *e, const struct batch *b, struct xval *out)
{
	struct xval xa, xb;
	int rc = x_eval(cx, e->u.bin.a, b, &xa);
	if (rc)
		return rc;
	/* the left result may live in a scratch vector the right side does not
	 * touch: nodes are a tree */
	if ((rc = x_eval(cx, e->u.bin.b, b, &xb)))
		return rc;
	uint32_t n = b ? b->nrows : 1;
	bool konst = !xa.v && !xb.v;
	if (konst)
		n = 1;
	int op = e->u.bin.op, ct = e->u.bin.ct;
	struct colvec *o = &e->out;
	switch (op) {
	case XOP_EQ:
	case XOP_NE:
	case XOP_LT:
	case XOP_LE:
	case XOP_GT:
	case XOP_GE:
		if (konst && (xa.c.is_null || xb.c.is_null))
			goto null_const;
		if ((rc = vec_fixed(o, DT_BOOL, n)) || (rc = vec_and_validity(o, &xa, &xb, n)) ||
		    (rc = cmp_kernel(op, ct, &xa, &xb, n, o->i64)))
			return rc;
		break;
	case XOP_ADD:
	case XOP_SUB:
	case XOP_MUL:
	case XOP_DIV:
	case XOP_MOD:
		if (konst && (xa.c.is_null || xb.c.is_null))
			goto null_const;
		if (xphys(ct) == PHYS_F64) {
			if ((rc = vec_fixed(o, ct, n)) || (rc = vec_and_validity(o, &xa, &xb, n)) ||
			    (rc = float_arith(op, ct, &xa, &xb, n, o->f64)))
				return rc;
		} else {
			if ((rc = vec_fixed(o, ct, n)) || (rc = vec_and_validity(o, &xa, &xb, n)) ||
			    (rc = int_arith(op, ct, &xa, &xb, n, o)))
				return rc;
		}
		break;
	case XOP_BITAND:
	case XOP_BITOR:
	case XOP_BITXOR:
	case XOP_SHL:
	case XOP_SHR:
		if (konst && (xa.c.is_null || xb.c.is_null))
			goto null_const;
		if ((rc = vec_fixed(o, ct, n)) || (rc = vec_and_validity(o, &xa, &xb, n)) ||
		    (rc = bit_kernel(op, &xa, &xb, n, o->i64)))
			return rc;
		break;
	case XOP_AND:
	case XOP_OR:
		if ((rc = vec_fixed(o, DT_BOOL, n)) || (rc = logic_kernel(op, &xa, &xb, n, o)))
			return rc;
		break;
	case XOP_CONCAT:
		if ((rc = concat_kernel(&xa, &xb, n, o)))
			return rc;
		break;
	case XOP_REGEX:
		if ((rc = vec_fixed(o, DT_BOOL, n)) || (rc = vec_and_validity(o, &xa, &xb, n)) ||
		    (rc = regex_kernel(e, &xa, &xb, n, o)))
			return rc;
		break;
	case XOP_DISTINCT:
	case XOP_NOTDISTINCT: {
		if ((rc = vec_fixed(o, DT_BOOL, n)))
			return rc;
		for (uint32_t i = 0; i < n; i++) {
			struct datum da, db;
			xval_get(&xa, ct, i, &da);
			xval_get(&xb, ct, i, &db);
			bool same = datum_cmp(&da, &db) == 0;
			o->i64[i] = op == XOP_DISTINCT ? !same : same;
		}
		break;
	}
	default:
		if (konst && (xa.c.is_null || xb.c.is_null))
			goto null_const;
		if ((rc = temporal_kernel(cx, e, &xa, &xb, n, o)))
			return rc;
		break;
	}
	if (konst)
		vec_to_const(o, e->type, out);
	else
		out->v = o;
	return 0;
null_const:
	out->v = NULL;
	memset(&out->c, 0, sizeof(out->c));
	out->c.type = e->type;
	out->c.is_null = true;
	return 0;
}

/* ---- LIKE ------------------------------------------------------------------- */

static inline unsigned char fold(unsigned char c, bool ci)
{
	return ci && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

bool sql_like_match(const char *s, size_t sn, const char *p, size_t pn, char esc, bool ci)
{
	size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
	while (si < sn) {
		if (pi < pn) {
			char c = p[pi];
			if (c == '%') {
				star_p = ++pi;
				star_s = si;
				continue;
			}
			if (c == '_') {
				/* one UTF-8 character */
				si++;
				while (si < sn && ((unsigned char)s[si] & 0xC0) == 0x80)
					si++;
				pi++;
				continue;
			}
			if (esc && c == esc && pi + 1 < pn)
				c = p[++pi];
			if (fold((unsigned char)c, ci) == fold((unsigned char)s[si], ci)) {
				si++;
				pi++;
				continue;
			}
		}
		if (star_p == SIZE_MAX)
			return false;
		pi = star_p;
		si = ++star_s;
	}
	while (pi < pn && p[pi] == '%')
		pi++;
	return pi == pn;
}

static int eval_like(struct xctx *cx, struct xexpr *e, const struct batch *b, struct xval *out)
{
	struct xval xa, xp;
	int rc = x_eval(cx, e->u.like.a, b, &xa);
	if (rc || (rc = x_eval(cx, e->u.like.pat, b, &xp)))
		return rc;
	uint32_t n = b ? b->nrows : 1;
	bool konst = !xa.v && !xp.v;
	if (konst)
		n = 1;
	struct colvec *o = &e->out;
	if ((rc = vec_fixed(o, DT_BOOL, n)) || (rc = vec_and_validity(o, &xa, &xp, n)))
		return rc;
	bool neg = e->u.like.neg, ci = e->u.like.ci;
	char esc = e->u.like.esc;
	/* constant patterns: prefix% / %infix% / exact fast paths */
	if (!xp.v && !xp.c.is_null) {
		const char *p = xp.c.v.s.p;
		size_t pn = xp.c.v.s.n;
		bool simple = !ci;
		size_t npct = 0;
		for (size_t i = 0; i < pn && simple; i++) {
			if (p[i] == '_' || (esc && p[i] == esc))
				simple = false;
			if (p[i] == '%')
				npct++;
		}
		int kind = -1; /* 0 exact, 1 prefix, 2 infix, 3 suffix */
		if (simple) {
			if (npct == 0)
				kind = 0;
			else if (npct == 1 && pn && p[pn - 1] == '%')
				kind = 1;
			else if (npct == 1 && p[0] == '%')
				kind = 3;
			else if (npct == 2 && pn >= 2 && p[0] == '%' && p[pn - 1] == '%')
				kind = 2;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint32_t sn;
			const char *s = xval_bytes(&xa, i, &sn);
			bool m;
			switch (kind) {
			case 0: m = sn == pn && (pn == 0 || memcmp(s, p, pn) == 0); break;
			case 1: m = sn >= pn - 1 && (pn == 1 || memcmp(s, p, pn - 1) == 0); break;
			case 3: m = sn >= pn - 1 && (pn == 1 || memcmp(s + sn - (pn - 1), p + 1, pn - 1) == 0); break;
			case 2: m = pn == 2 || (sn >= pn - 2 && sn && memmem(s, sn, p + 1, pn - 2) != NULL); break;
			default: m = sql_like_match(s, sn, p, pn, esc, ci); break;
			}
			o->i64[i] = m != neg;
		}
	} else {
		for (uint32_t i = 0; i < n; i++) {
			if (xval_null(&xa, i) || xval_null(&xp, i)) {
				o->i64[i] = 0;
				continue;
			}
			uint32_t sn, pn;
			const char *s = xval_bytes(&xa, i, &sn), *p = xval_bytes(&xp, i, &pn);
			o->i64[i] = sql_like_match(s, sn, p, pn, esc, ci) != neg;
		}
	}
	if (konst)
		vec_to_const(o, DT_BOOL, out);
	else
		out->v = o;
	return 0;
}

/* ---- IN ---------------------------------------------------------------------- */

static int eval_in(struct xctx *cx, struct xexpr *e, const struct batch *b, struct xval *out)
{
	struct xval xa;
	int rc = x_eval(cx, e->u.in.a, b, &xa);
	if (rc)
		return rc;
	uint32_t n = xa.v ? (b ? b->nrows : 1) : 1;
	struct colvec *o = &e->out;
	if ((rc = vec_fixed(o, DT_BOOL, n)) || (rc = vec_and_validity(o, &xa, NULL, n)))
		return rc;
	const struct datum *l = e->u.in.list;
	uint32_t nl = e->u.in.nlist;
	bool neg = e->u.in.neg, hn = e->u.in.has_null;
	int t = e->u.in.a->type;
	enum phys_kind pk = xphys(t);
	for (uint32_t i = 0; i < n; i++) {
		if (xval_null(&xa, i)) {
			o->i64[i] = 0;
			continue;
		}
		bool found = false;
		if (nl <= 8 && pk == PHYS_I64) {
			int64_t x = xval_i64(&xa, i);
			for (uint32_t k = 0; k < nl && !found; k++)
				found = l[k].v.i == x;
		} else if (nl <= 8 && pk == PHYS_BYTES) {
			uint32_t sn;
			const char *sp = xval_bytes(&xa, i, &sn);
			for (uint32_t k = 0; k < nl && !found; k++)
				found = l[k].v.s.n == sn && (sn == 0 || memcmp(l[k].v.s.p, sp, sn) == 0);
		} else {
			struct datum d;
			xval_get(&xa, t, i, &d);
			uint32_t lo = 0, hi = nl;
			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;
				int c = datum_cmp(&l[mid], &d);
				if (c == 0) {
					found = true;
					break;
				}
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
		}
		if (found) {
			o->i64[i] = !neg;
		} else if (hn) {
			o->i64[i] = 0;
			if ((rc = vec_set_null(o, i)))
				return rc;
		} else {
			o->i64[i] = neg;
		}
	}
	if (!xa.v)
		vec_to_const(o, DT_BOOL, out);
	else
		out->v = o;
	return 0;
}

/* ---- CASE -------------------------------------------------------------------- */

static void mark_cols(const struct xexpr *e, uint8_t *need, uint32_t ncols)
{
	if (!e)
		return;
	switch (e->kind) {
	case X_COL:
		if (e->u.col < ncols)
			need[e->u.col] = 1;
		break;
	case X_BIN:
		mark_cols(e->u.bin.a, need, ncols);
		mark_cols(e->u.bin.b, need, ncols);
		break;
	case X_NOT:
	case X_NEG:
	case X_CAST: mark_cols(e->u.un.a, need, ncols); break;
	case X_IS: mark_cols(e->u.is.a, need, ncols); break;
	case X_CASE:
		mark_cols(e->u.cs.operand, need, ncols);
		for (uint32_t i = 0; i < e->u.cs.nwhen; i++) {
			mark_cols(e->u.cs.when[i], need, ncols);
			mark_cols(e->u.cs.then[i], need, ncols);
		}
		mark_cols(e->u.cs.else_, need, ncols);
		break;
	case X_IN: mark_cols(e->u.in.a, need, ncols); break;
	case X_LIKE:
		mark_cols(e->u.like.a, need, ncols);
		mark_cols(e->u.like.pat, need, ncols);
		break;
	case X_FUNC:
		for (uint32_t i = 0; i < e->u.fn.nargs; i++)
			mark_cols(e->u.fn.args[i], need, ncols);
		break;
	default: break;
	}
}

/* A batch of the rows sel[0..k) of b, with only the columns e needs. */
static int sub_batch(const struct batch *b, const struct xexpr *e, const uint32_t *sel, uint32_t k,
		     struct batch *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->ncols = b->ncols;
	sb->nrows = k;
	sb->cols = mem_calloc(b->ncols ? b->ncols : 1, sizeof(struct colvec));
	uint8_t *need = mem_calloc(b->ncols ? b->ncols : 1, 1);
	if (!sb->cols || !need) {
		mem_free(need);
		return ERR_NOMEM;
	}
	mark_cols(e, need, b->ncols);
	int rc = 0;
	for (uint32_t c = 0; c < b->ncols && !rc; c++) {
		colvec_init(&sb->cols[c], b->cols[c].type);
		if (need[c])
			rc = vec_gather(&sb->cols[c], &b->cols[c], sel, k);
	}
	mem_free(need);
	return rc;
}

/* Evaluate e on rows sel[0..k) of b (all rows when sel is NULL) and copy
 * the result (materialised, type t) into dst. */
static int eval_rows_into(struct xctx *cx, struct xexpr *e, const struct batch *b,
			  const uint32_t *sel, uint32_t k, int t, struct colvec *dst)
{
	struct batch sb;
	const struct batch *in = b;
	int rc = 0;
	bool sub = sel && b;
	if (sub) {
		if ((rc = sub_batch(b, e, sel, k, &sb))) {
			batch_free(&sb);
			return rc;
		}
		in = &sb;
	}
	struct xval x;
	if (!(rc = x_eval(cx, e, in, &x))) {
		if ((rc = vec_empty(dst, t, k)) == 0) {
			if (x.v) {
				rc = vec_append(dst, x.v, 0, k);
			} else {
				struct colvec tmp;
				colvec_init(&tmp, t);
				rc = vec_broadcast(&tmp, &x.c, t, k);
				if (!rc)
					rc = vec_append(dst, &tmp, 0, k);
				colvec_free(&tmp);
			}
		}
	}
	if (sub)
		batch_free(&sb);
	return rc;
}

static int eval_case(struct xctx *cx, struct xexpr *e, const struct batch *b, struct xval *out)
{
	uint32_t n = b ? b->nrows : 1;
	uint32_t nw = e->u.cs.nwhen;
	int t = e->type;
	if (t >= DT__COUNT)
		t = DT_INT64;
	if (!e->tmp) {
		e->tmp = arena_alloc(cx->a, (nw + 1) * sizeof(struct colvec));
		if (!e->tmp)
			return ERR_NOMEM;
		for (uint32_t i = 0; i <= nw; i++)
			colvec_init(&e->tmp[i], t);
		e->ntmp = nw + 1;
	}
	uint32_t *rem = mem_alloc(((size_t)n + 1) * sizeof(uint32_t));
	uint32_t *sel = mem_alloc(((size_t)n + 1) * sizeof(uint32_t));
	uint16_t *br = mem_alloc(((size_t)n + 1) * sizeof(uint16_t));
	uint32_t *pos = mem_alloc(((size_t)n + 1) * sizeof(uint32_t));
	int rc = 0;
	if (!rem || !sel || !br || !pos) {
		rc = ERR_NOMEM;
		goto out;
	}
	uint32_t nrem = n;
	for (uint32_t i = 0; i < n; i++) {
		rem[i] = i;
		br[i] = UINT16_MAX;
	}
	for (uint32_t w = 0; w < nw && nrem; w++) {
		/* condition over the remaining rows */
		struct colvec *cv = &e->tmp[w];
		rc = eval_rows_into(cx, e->u.cs.when[w], b, nrem == n ? NULL : rem, nrem, DT_BOOL, cv);
		if (rc)
			goto out;
		uint32_t k = 0, keep = 0;
		for (uint32_t j = 0; j < nrem; j++) {
			if (vec_valid(cv, j) && cv->i64[j])
				sel[k++] = rem[j];
			else
				rem[keep++] = rem[j];
		}
		nrem = keep;
		if (!k)
			continue;
		rc = eval_rows_into(cx, e->u.cs.then[w], b, k == n ? NULL : sel, k, t, cv);
		if (rc)
			goto out;
		for (uint32_t j = 0; j < k; j++) {
			br[sel[j]] = (uint16_t)w;
			pos[sel[j]] = j;
		}
	}
	if (nrem && e->u.cs.else_) {
		struct colvec *ev = &e->tmp[nw];
		rc = eval_rows_into(cx, e->u.cs.else_, b, nrem == n ? NULL : rem, nrem, t, ev);
		if (rc)
			goto out;
		for (uint32_t j = 0; j < nrem; j++) {
			br[rem[j]] = (uint16_t)nw;
			pos[rem[j]] = j;
		}
	}
	struct colvec *o = &e->out;
	if ((rc = vec_empty(o, t, n)))
		goto out;
	for (uint32_t i = 0; i < n && !rc; i++)
		rc = br[i] == UINT16_MAX ? colvec_push_null(o) : colvec_push_from(o, &e->tmp[br[i]], pos[i]);
	if (!rc) {
		if (b)
			out->v = o;
		else
			vec_to_const(o, t, out);
	}
out:
	mem_free(rem);
	mem_free(sel);
	mem_free(br);
	mem_free(pos);
	return rc;
}

/* Arrow's text of an interval: "0 years 0 mons 5 days 0 hours 0 mins
 * 0.000000000 secs" (in the arena). */
static char *interval_text(struct xctx *cx, const struct interval *iv)
{
	int64_t ns = iv->nanos;
	int64_t hours = ns / 3600000000000LL;
	ns -= hours * 3600000000000LL;
	int64_t mins = ns / 60000000000LL;
	ns -= mins * 60000000000LL;
	int64_t secs = ns / 1000000000LL, frac = ns % 1000000000LL;
	char tmp[200];
	int n = snprintf(tmp, sizeof(tmp),
			 "%" PRId64 " years %" PRId64 " mons %" PRId64 " days %" PRId64 " hours %" PRId64
			 " mins %s%" PRId64 ".%09" PRId64 " secs",
			 iv->months / 12, iv->months % 12, iv->days, hours, mins,
			 ns < 0 && secs == 0 ? "-" : "", secs, frac < 0 ? -frac : frac);
	return n > 0 ? arena_strndup(cx->a, tmp, (size_t)n) : NULL;
}

/* ---- dispatch ------------------------------------------------------------------ */

int x_eval(struct xctx *cx, struct xexpr *e, const struct batch *b, struct xval *out)
{
	int rc;
	uint32_t n = b ? b->nrows : 1;
	switch (e->kind) {
	case X_COL:
		if (!b || e->u.col >= b->ncols)
			return err_set(ERR_INTERNAL, "column %u outside the batch", e->u.col);
		out->v = &b->cols[e->u.col];
		if (out->v->len < b->nrows)
			return err_set(ERR_INTERNAL, "column %u of the batch is short", e->u.col);
		return 0;
	case X_CONST:
		out->v = NULL;
		if (e->type == XT_INTERVAL) {
			/* an interval used as a value shows as text */
			if (!e->aux && !(e->aux = interval_text(cx, &e->u.iv)))
				return ERR_NOMEM;
			memset(&out->c, 0, sizeof(out->c));
			out->c.type = DT_STRING;
			out->c.v.s.p = e->aux;
			out->c.v.s.n = (uint32_t)strlen(e->aux);
			return 0;
		}
		out->c = e->u.c;
		return 0;
	case X_BIN: return eval_bin(cx, e, b, out);
	case X_NOT:
	case X_NEG: {
		struct xval xa;
		if ((rc = x_eval(cx, e->u.un.a, b, &xa)))
			return rc;
		if (!xa.v) {
			out->v = NULL;
			out->c = xa.c;
			out->c.type = e->type;
			if (xa.c.is_null)
				return 0;
			if (e->kind == X_NOT)
				out->c.v.i = !xa.c.v.i;
			else if (xphys(e->type) == PHYS_F64)
				out->c.v.f = -xa.c.v.f;
			else if (xa.c.v.i == INT64_MIN || (e->type == DT_UINT64 && xa.c.v.i != 0))
				return exec_err("Arithmetic overflow: Overflow happened on: - %" PRId64,
						xa.c.v.i);
			else
				out->c.v.i = -xa.c.v.i;
			return 0;
		}
		struct colvec *o = &e->out;
		if ((rc = vec_fixed(o, e->type, n)) || (rc = vec_copy_validity(o, xa.v, n)))
			return rc;
		if (e->kind == X_NOT) {
			for (uint32_t i = 0; i < n; i++)
				o->i64[i] = !xa.v->i64[i];
		} else if (xphys(e->type) == PHYS_F64) {
			for (uint32_t i = 0; i < n; i++)
				o->f64[i] = -xa.v->f64[i];
		} else {
			for (uint32_t i = 0; i < n; i++) {
				int64_t x = xa.v->i64[i];
				if (x == INT64_MIN && vec_valid(o, i))
					return exec_err("Arithmetic overflow: Overflow happened on: - %" PRId64, x);
				o->i64[i] = x == INT64_MIN ? 0 : -x;
			}
		}
		out->v = o;
		return 0;
	}
	case X_IS: {
		struct xval xa;
		if ((rc = x_eval(cx, e->u.is.a, b, &xa)))
			return rc;
		uint32_t m = xa.v ? n : 1;
		struct colvec *o = &e->out;
		if ((rc = vec_fixed(o, DT_BOOL, m)))
			return rc;
		for (uint32_t i = 0; i < m; i++) {
			bool valid = !xval_null(&xa, i);
			bool r;
			switch (e->u.is.what) {
			case XIS_TRUE: r = valid && xval_i64(&xa, i) != 0; break;
			case XIS_FALSE: r = valid && xval_i64(&xa, i) == 0; break;
			default: r = !valid; break;
			}
			o->i64[i] = r != e->u.is.neg;
		}
		if (xa.v)
			out->v = o;
		else
			vec_to_const(o, DT_BOOL, out);
		return 0;
	}
	case X_CAST: {
		struct xval xa;
		if ((rc = x_eval(cx, e->u.un.a, b, &xa)))
			return rc;
		return x_cast(cx, &xa, e->u.un.a->type, e->type, xa.v ? n : 1, &e->out, out);
	}
	case X_CASE: return eval_case(cx, e, b, out);
	case X_IN: return eval_in(cx, e, b, out);
	case X_LIKE: return eval_like(cx, e, b, out);
	case X_FUNC: {
		struct xval local[8];
		struct xval *args = local;
		memset(local, 0, sizeof(local));
		uint32_t na = e->u.fn.nargs;
		if (na > 8 && !(args = mem_alloc(na * sizeof(*args))))
			return ERR_NOMEM;
		bool all_const = true;
		rc = 0;
		for (uint32_t i = 0; i < na && !rc; i++) {
			rc = x_eval(cx, e->u.fn.args[i], b, &args[i]);
			if (args[i].v)
				all_const = false;
		}
		if (!rc)
			rc = e->u.fn.def->eval(cx, e, args, all_const ? 1 : n, out);
		if (!rc && all_const && out->v)
			vec_to_const((struct colvec *)out->v, e->type, out);
		if (args != local)
			mem_free(args);
		return rc;
	}
	default: return err_set(ERR_INTERNAL, "expression kind %d cannot be evaluated here", e->kind);
	}
}

int x_eval_const(struct xctx *cx, struct xexpr *e, struct datum *out)
{
	struct xval x;
	int rc = x_eval(cx, e, NULL, &x);
	if (rc)
		return rc;
	if (x.v) {
		xval_get(&x, e->type, 0, out);
	} else {
		*out = x.c;
	}
	out->type = e->type;
	return datum_to_arena(cx->a, out);
}

/* ---- filters: conjunctions of column-constant comparisons ---------------------- */

/* At most this many comparisons in a conjunction the selection path takes
 * (a time range and a few tag or field tests). */
#define SEL_CONJ_MAX 8

static bool is_cmp_op(int op)
{
	return op == XOP_EQ || op == XOP_NE || op == XOP_LT || op == XOP_LE || op == XOP_GT ||
	       op == XOP_GE;
}

/* Collect the leaves of an AND tree into cj when every leaf compares a
 * column with a constant in a fixed-width type (cmp_kernel's integer and
 * double kernels). */
static bool collect_conj(struct xexpr *e, struct xexpr **cj, int *n)
{
	if (e->kind != X_BIN)
		return false;
	if (e->u.bin.op == XOP_AND)
		return collect_conj(e->u.bin.a, cj, n) && collect_conj(e->u.bin.b, cj, n);
	if (!is_cmp_op(e->u.bin.op) || *n == SEL_CONJ_MAX)
		return false;
	int ka = e->u.bin.a->kind, kb = e->u.bin.b->kind;
	if (!((ka == X_COL && kb == X_CONST) || (ka == X_CONST && kb == X_COL)))
		return false;
	enum phys_kind pk = xphys(e->u.bin.ct);
	if (pk != PHYS_I64 && pk != PHYS_F64)
		return false;
	cj[(*n)++] = e;
	return true;
}

/* Keep the rows of sel[0..*k) (all n rows when first) whose value passes
 * TEST(x), in order, in place. */
#define SEL_PASS(T, vals, TEST)                                      \
	do {                                                         \
		const T *v_ = (vals);                                \
		uint32_t m_ = 0;                                     \
		if (first) {                                         \
			for (uint32_t i = 0; i < n; i++) {           \
				T x = v_[i];                         \
				sel[m_] = i;                         \
				m_ += (TEST);                        \
			}                                            \
		} else {                                             \
			for (uint32_t j = 0; j < *k; j++) {          \
				uint32_t i = sel[j];                 \
				T x = v_[i];                         \
				sel[m_] = i;                         \
				m_ += (TEST);                        \
			}                                            \
		}                                                    \
		*k = m_;                                             \
	} while (0)

#define SEL_OPS(T, vals, y, CAST)                                              \
	do {                                                                   \
		switch (op) {                                                  \
		case XOP_EQ: SEL_PASS(T, vals, CAST(x) == CAST(y)); break;     \
		case XOP_NE: SEL_PASS(T, vals, CAST(x) != CAST(y)); break;     \
		case XOP_LT: SEL_PASS(T, vals, CAST(x) < CAST(y)); break;      \
		case XOP_LE: SEL_PASS(T, vals, CAST(x) <= CAST(y)); break;     \
		case XOP_GT: SEL_PASS(T, vals, CAST(x) > CAST(y)); break;      \
		default: SEL_PASS(T, vals, CAST(x) >= CAST(y)); break;         \
		}                                                              \
	} while (0)
#define SEL_SIGNED(x) (x)
#define SEL_UNSIGNED(x) ((uint64_t)(x))

/* One comparison of a conjunction over the rows still selected: the same
 * comparison cmp_kernel makes (by the comparison type ct), a null value
 * or constant selecting nothing, as x_eval_filter treats a null result. */
static void sel_cmp(int op, int ct, const struct colvec *col, const struct datum *c, bool first,
		    uint32_t n, uint32_t *sel, uint32_t *k)
{
	if (c->is_null) {
		*k = 0;
		return;
	}
	if (xphys(ct) == PHYS_F64) {
		double y = c->v.f;
		SEL_OPS(double, col->f64, y, SEL_SIGNED);
	} else if (ct == DT_UINT64) {
		int64_t y = c->v.i;
		SEL_OPS(int64_t, col->i64, y, SEL_UNSIGNED);
	} else {
		int64_t y = c->v.i;
		SEL_OPS(int64_t, col->i64, y, SEL_SIGNED);
	}
}

static bool is_lower(int op) { return op == XOP_GT || op == XOP_GE; }
static bool is_upper(int op) { return op == XOP_LT || op == XOP_LE; }

/* Comparisons a (column OP constant, op already as col OP c) and b bound
 * the same signed integer column from both sides (non-null constants). */
static bool range_pair(const struct xexpr *a, int opa, const struct colvec *ca,
		       const struct datum *ka, const struct xexpr *b, int opb,
		       const struct colvec *cb, const struct datum *kb)
{
	int ct = a->u.bin.ct;
	if (ca != cb || ct != b->u.bin.ct || xphys(ct) != PHYS_I64 || ct == DT_UINT64 ||
	    ka->is_null || kb->is_null)
		return false;
	return (is_lower(opa) && is_upper(opb)) || (is_upper(opa) && is_lower(opb));
}

/* sel_cmp for the pair range_pair accepted: the inclusive range [lo, hi]
 * both comparisons leave (empty when they exclude every value), tested
 * with one unsigned comparison per row. */
static void sel_range(int opa, const struct datum *ka, int opb, const struct datum *kb,
		      const struct colvec *col, bool first, uint32_t n, uint32_t *sel, uint32_t *k)
{
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	bool empty = false;
	for (int s = 0; s < 2; s++) {
		int op = s ? opb : opa;
		int64_t c = s ? kb->v.i : ka->v.i;
		if (op == XOP_GE)
			lo = c;
		else if (op == XOP_GT)
			empty |= c == INT64_MAX, lo = c == INT64_MAX ? c : c + 1;
		else if (op == XOP_LE)
			hi = c;
		else
			empty |= c == INT64_MIN, hi = c == INT64_MIN ? c : c - 1;
	}
	if (empty || lo > hi) {
		*k = 0;
		return;
	}
	uint64_t base = (uint64_t)lo, width = (uint64_t)hi - (uint64_t)lo;
	SEL_PASS(int64_t, col->i64, (uint64_t)x - base <= width);
}

/* x_eval_filter for a conjunction of column-constant comparisons over
 * columns without nulls: each comparison narrows the selection in place,
 * without a boolean vector per comparison and per AND. Returns 1 when
 * taken (sel / *nsel set), 0 to use the general path. */
static int filter_conj(struct xctx *cx, struct xexpr *e, const struct batch *b, uint32_t *sel,
		       uint32_t *nsel)
{
	struct xexpr *cj[SEL_CONJ_MAX];
	int ncj = 0;
	if (!collect_conj(e, cj, &ncj))
		return 0;
	struct xval col[SEL_CONJ_MAX], con[SEL_CONJ_MAX];
	int op[SEL_CONJ_MAX]; /* as column OP constant */
	for (int i = 0; i < ncj; i++) {
		bool col_left = cj[i]->u.bin.a->kind == X_COL;
		struct xexpr *ce = col_left ? cj[i]->u.bin.a : cj[i]->u.bin.b;
		struct xexpr *ke = col_left ? cj[i]->u.bin.b : cj[i]->u.bin.a;
		if (x_eval(cx, ce, b, &col[i]) || x_eval(cx, ke, b, &con[i]))
			return 0; /* the general path reports it */
		if (!col[i].v || col[i].v->validity || con[i].v || ke->type == XT_INTERVAL)
			return 0;
		op[i] = col_left ? cj[i]->u.bin.op : xop_mirror(cj[i]->u.bin.op);
	}
	uint32_t n = b->nrows, k = 0;
	bool done[SEL_CONJ_MAX] = {false};
	bool first = true;
	for (int i = 0; i < ncj; i++) {
		if (done[i])
			continue;
		/* a lower and an upper bound on the same column: one pass */
		int j = i + 1;
		while (j < ncj && (done[j] || !range_pair(cj[i], op[i], col[i].v, &con[i].c, cj[j], op[j],
							    col[j].v, &con[j].c)))
			j++;
		if (j < ncj) {
			sel_range(op[i], &con[i].c, op[j], &con[j].c, col[i].v, first, n, sel, &k);
			done[j] = true;
		} else {
			sel_cmp(op[i], cj[i]->u.bin.ct, col[i].v, &con[i].c, first, n, sel, &k);
		}
		first = false;
		if (k == 0)
			break;
	}
	*nsel = k;
	return 1;
}

int x_eval_filter(struct xctx *cx, struct xexpr *e, const struct batch *b, uint32_t *sel,
		  uint32_t *nsel)
{
	if (b->nrows && filter_conj(cx, e, b, sel, nsel))
		return 0;
	struct xval x;
	int rc = x_eval(cx, e, b, &x);
	if (rc)
		return rc;
	uint32_t n = b->nrows, k = 0;
	if (!x.v) {
		if (!x.c.is_null && x.c.v.i)
			for (uint32_t i = 0; i < n; i++)
				sel[k++] = i;
		*nsel = k;
		return 0;
	}
	const int64_t *v = x.v->i64;
	if (!x.v->validity) {
		for (uint32_t i = 0; i < n; i++) {
			sel[k] = i;
			k += v[i] != 0;
		}
	} else {
		for (uint32_t i = 0; i < n; i++) {
			sel[k] = i;
			k += (v[i] != 0) & vec_valid(x.v, i);
		}
	}
	*nsel = k;
	return 0;
}

struct xexpr *xcast(struct xctx *cx, struct xexpr *a, int to)
{
	if (!a || a->type == to)
		return a;
	if (a->kind == X_CONST && a->type != XT_INTERVAL) {
		struct datum d;
		if (datum_cast(cx, &a->u.c, to, &d))
			return NULL;
		return xconst(cx, &d, a->name);
	}
	struct xexpr *c = xnew(cx, X_CAST, to);
	if (!c)
		return NULL;
	c->u.un.a = a;
	c->name = a->name;
	return c;
}
