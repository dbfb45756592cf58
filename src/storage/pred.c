/*
 * pred: scan predicate evaluation. See pred.h.
 *
 * pred_eval runs one predicate at a time over the whole batch with a loop
 * specialised by physical kind and operator (the common case: fixed-width
 * column, comparison with a literal), falling back to a per-row test for IN
 * and strings.
 */
#include "storage/pred.h"

#include <string.h>

#include "base/err.h"

static inline int cmp_bytes(const char *a, uint32_t na, const char *b, uint32_t nb)
{
	uint32_t n = na < nb ? na : nb;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return na < nb ? -1 : na > nb;
}

static inline bool op_holds(enum pred_op op, int c)
{
	switch (op) {
	case PRED_EQ: return c == 0;
	case PRED_NE: return c != 0;
	case PRED_LT: return c < 0;
	case PRED_LE: return c <= 0;
	case PRED_GT: return c > 0;
	case PRED_GE: return c >= 0;
	default: return false;
	}
}

static inline bool op_holds_f64(enum pred_op op, double x, double l)
{
	switch (op) {
	case PRED_EQ: return x == l;
	case PRED_NE: return x != l;
	case PRED_LT: return x < l;
	case PRED_LE: return x <= l;
	case PRED_GT: return x > l;
	case PRED_GE: return x >= l;
	default: return false;
	}
}

/* Compare two non-null values of one physical kind (type = column type). */
static inline int cmp_vals(enum dtype type, const struct datum *a, const struct datum *b)
{
	switch (dtype_phys(type)) {
	case PHYS_I64:
		if (type == DT_UINT64) {
			uint64_t x = (uint64_t)a->v.i, y = (uint64_t)b->v.i;
			return x < y ? -1 : x > y;
		}
		return a->v.i < b->v.i ? -1 : a->v.i > b->v.i;
	case PHYS_F64:
		return a->v.f < b->v.f ? -1 : a->v.f > b->v.f;
	default:
		return cmp_bytes(a->v.s.p, a->v.s.n, b->v.s.p, b->v.s.n);
	}
}

static bool in_list(const struct scan_pred *p, enum dtype type, const struct datum *v)
{
	for (uint32_t k = 0; k < p->nlist; k++) {
		const struct datum *e = &p->list[k];
		if (e->is_null)
			continue;
		if (dtype_phys(type) == PHYS_F64 ? v->v.f == e->v.f : cmp_vals(type, v, e) == 0)
			return true;
	}
	return false;
}

bool pred_match_datum(const struct scan_pred *p, const struct datum *v)
{
	switch (p->op) {
	case PRED_IS_NULL: return v->is_null;
	case PRED_IS_NOT_NULL: return !v->is_null;
	case PRED_IN: return !v->is_null && in_list(p, v->type, v);
	default:
		if (v->is_null || p->lit.is_null)
			return false;
		if (dtype_phys(v->type) == PHYS_F64)
			return op_holds_f64(p->op, v->v.f, p->lit.v.f);
		return op_holds(p->op, cmp_vals(v->type, v, &p->lit));
	}
}

bool pred_is_tag_or_ts(const struct region_schema *s, const struct scan_pred *p)
{
	return p->col < s->ncols && (s->cols[p->col].sem == SEM_TAG || p->col == s->ts_col);
}

static inline void get_datum(const struct colvec *c, uint32_t i, struct datum *d)
{
	d->type = c->type;
	d->is_null = colvec_is_null(c, i);
	switch (dtype_phys(c->type)) {
	case PHYS_I64: d->v.i = c->i64[i]; break;
	case PHYS_F64: d->v.f = c->f64[i]; break;
	default: d->v.s.p = colvec_bytes(c, i, &d->v.s.n); break;
	}
}

/* The loop body for a fixed-width comparison; X is the row value. */
#define CMP_LOOP(X, L)                                                   \
	do {                                                                \
		switch (p->op) {                                            \
		case PRED_EQ: for (i = 0; i < n; i++) sel[i] &= (X) == (L); break; \
		case PRED_NE: for (i = 0; i < n; i++) sel[i] &= (X) != (L); break; \
		case PRED_LT: for (i = 0; i < n; i++) sel[i] &= (X) < (L); break;  \
		case PRED_LE: for (i = 0; i < n; i++) sel[i] &= (X) <= (L); break; \
		case PRED_GT: for (i = 0; i < n; i++) sel[i] &= (X) > (L); break;  \
		case PRED_GE: for (i = 0; i < n; i++) sel[i] &= (X) >= (L); break; \
		default: break;                                             \
		}                                                           \
	} while (0)

static void eval_one(const struct scan_pred *p, const struct colvec *c, uint32_t n, uint8_t *sel)
{
	uint32_t i;
	switch (p->op) {
	case PRED_IS_NULL:
		for (i = 0; i < n; i++)
			sel[i] &= colvec_is_null(c, i);
		return;
	case PRED_IS_NOT_NULL:
		if (c->validity)
			for (i = 0; i < n; i++)
				sel[i] &= !colvec_is_null(c, i);
		return;
	case PRED_IN:
		break;
	default:
		if (p->lit.is_null) {
			memset(sel, 0, n);
			return;
		}
		if (dtype_phys(c->type) == PHYS_BYTES)
			break;
		if (dtype_phys(c->type) == PHYS_F64) {
			const double *x = c->f64;
			double l = p->lit.v.f;
			CMP_LOOP(x[i], l);
		} else if (c->type == DT_UINT64) {
			const uint64_t *x = (const uint64_t *)c->i64;
			uint64_t l = (uint64_t)p->lit.v.i;
			CMP_LOOP(x[i], l);
		} else {
			const int64_t *x = c->i64;
			int64_t l = p->lit.v.i;
			CMP_LOOP(x[i], l);
		}
		/* a NULL slot holds 0 and may have matched: clear it */
		if (c->validity)
			for (i = 0; i < n; i++)
				sel[i] &= !colvec_is_null(c, i);
		return;
	}
	/* IN lists and string comparisons: row by row. */
	for (i = 0; i < n; i++) {
		if (!sel[i])
			continue;
		struct datum d;
		get_datum(c, i, &d);
		sel[i] = pred_match_datum(p, &d);
	}
}

#undef CMP_LOOP

int pred_validate(const struct scan_pred *p, enum dtype coltype)
{
	if ((unsigned)p->op > PRED_IS_NOT_NULL)
		return err_set(ERR_BAD_INPUT, "unknown predicate operator %d", (int)p->op);
	enum phys_kind pk = dtype_phys(coltype);
	if (p->op == PRED_IN) {
		if (p->nlist && !p->list)
			return err_set(ERR_BAD_INPUT, "IN predicate without a list");
		for (uint32_t j = 0; j < p->nlist; j++)
			if (!p->list[j].is_null && dtype_phys(p->list[j].type) != pk)
				return err_set(ERR_BAD_INPUT, "IN list entry of type %s on a %s column",
					       dtype_name(p->list[j].type), dtype_name(coltype));
	} else if (p->op != PRED_IS_NULL && p->op != PRED_IS_NOT_NULL && !p->lit.is_null &&
		   dtype_phys(p->lit.type) != pk) {
		return err_set(ERR_BAD_INPUT, "predicate literal of type %s on a %s column",
			       dtype_name(p->lit.type), dtype_name(coltype));
	}
	return ERR_OK;
}

int pred_eval(const struct scan_pred *preds, uint32_t n, const struct batch *b, uint8_t *sel)
{
	for (uint32_t k = 0; k < n; k++) {
		const struct scan_pred *p = &preds[k];
		if (p->col >= b->ncols)
			return err_set(ERR_BAD_INPUT, "predicate on column %u of a %u-column batch",
				       p->col, b->ncols);
		const struct colvec *c = &b->cols[p->col];
		if (c->len < b->nrows)
			return err_set(ERR_BAD_INPUT, "predicate on column %u, which was not read",
				       p->col);
		int rc = pred_validate(p, c->type);
		if (rc)
			return rc;
		eval_one(p, c, b->nrows, sel);
	}
	return ERR_OK;
}

/* The hint's marker: its list pointer (with nlist 0, so nothing reads it). */
static struct datum hint_marker;

void scan_hint_last_per_series(uint32_t ts_col, enum dtype ts_type, struct scan_pred *out)
{
	memset(out, 0, sizeof(*out));
	out->col = ts_col;
	out->op = PRED_IS_NOT_NULL;
	out->lit.type = ts_type;
	out->lit.is_null = true;
	out->nlist = 0;
	out->list = &hint_marker;
}

bool scan_pred_is_hint(const struct scan_pred *p)
{
	return p->op == PRED_IS_NOT_NULL && p->nlist == 0 && p->list == &hint_marker;
}

bool scan_req_last_per_series(const struct region_schema *s, const struct scan_request *req)
{
	if (!req || s->opts.append_mode)
		return false;
	bool hint = false;
	for (uint32_t k = 0; k < req->npreds; k++) {
		const struct scan_pred *p = &req->preds[k];
		if (p->col >= s->ncols || !pred_is_tag_or_ts(s, p))
			return false;
		if (scan_pred_is_hint(p))
			hint = p->col == s->ts_col;
	}
	return hint;
}
