/*
 * agg_window: top-k time buckets without aggregating the whole range.
 *
 *   SELECT date_trunc('minute', ts) AS m, max(v) FROM t WHERE ts < X
 *   GROUP BY m ORDER BY m DESC LIMIT 5
 *
 * only needs the 5 newest buckets. When a SORT with a fetch limit sits
 * (through a PROJECT of plain columns) on an AGG whose input is a table
 * scan (under FILTERs only), the sort's first key is a group key, and that
 * key is a floor bucket of the scan's time index - the time index itself,
 * date_trunc(unit, ts) or date_bin(stride, ts[, constant origin]), of the
 * time index's type - the AGG reads its input in time windows, starting
 * at the end the sort wants first (the newest for DESC, the oldest for
 * ASC), and stops as soon as it holds at least `fetch` groups.
 *
 * A provider may return rows outside the requested time range (pushdown
 * is an optimisation; scan.h), so the AGG clips every input batch to the
 * current window itself (aggwin_clip).
 *
 * Why it is exact. Let f be the bucket function: it is monotonic
 * (t1 <= t2 => f(t1) <= f(t2)) and a floor (f(t) <= t). Every window
 * boundary B inside the scanned range is aligned: f(B) == B (checked when
 * the boundary is computed; a boundary that fails the check is replaced
 * by the scan's own bound, which ends the windowing). Then a row with
 * ts < B has f(ts) <= f(B) = B and f(ts) <= ts < B, so f(ts) < B, and a
 * row with ts >= B has f(ts) >= B: no bucket has rows on both sides of a
 * boundary. Every group the AGG holds is therefore complete, and every
 * group not yet read has a smaller bucket (DESC) or a larger one (ASC)
 * than every group held, so it sorts after all of them on the first key.
 * With at least `fetch` groups held, the top `fetch` rows of the sort
 * are among them. Since a bucket's rows all come from one window, in the
 * order the full scan would give them (a time range restricts the scan to
 * a subsequence of the same order), even order-sensitive aggregates (float
 * sums, first_value) see exactly the input the unwindowed plan gives them.
 * Dedup, deletes, several regions and NULL fields are the scan's business
 * and do not depend on the range; the time index is never NULL, so no
 * NULL bucket exists.
 *
 * The scan's range must be bounded on the side the sort starts from; for
 * DESC with no upper bound, one probe scan (time index only, with the
 * "last row per series" hint so a region returns only each series' last
 * row) finds the newest time to anchor the first window at. ASC needs a
 * lower bound. Windows: the first covers about `fetch` buckets (the
 * bucket width is measured at the anchor), each next one is 4x wider, and
 * after 8 windows the rest of the range is read at once.
 */
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "sql/plan.h"
#include "storage/pred.h"

#define AGGWIN_MAX_WINDOWS 8

struct agg_window {
	struct op *scan;
	struct xexpr *bucket; /* the group key over the scan's columns */
	bool desc;
	uint64_t fetch;
	int64_t lo, hi;       /* the scan's own range [lo, hi) */
	int64_t cur_lo, cur_hi; /* the current window */
	int64_t span;         /* width of the next window (desc: below cur_lo) */
	uint32_t nwin;
	bool last;            /* the current window reaches the scan's bound */
	struct batch one;     /* one-row batch to evaluate the bucket at a time */
	bool one_init;
	struct batch clip;    /* rows of an input batch inside the window */
	bool clip_init;
	uint32_t *sel;
	uint32_t sel_cap;
};

static bool is_col(const struct xexpr *e, uint32_t col, int type)
{
	return e->kind == X_COL && e->u.col == col && e->type == type;
}

/* e is a floor bucket of column ts (type tt): see the top comment. */
static bool floor_bucket(const struct xexpr *e, uint32_t ts, int tt)
{
	if (e->type != tt)
		return false;
	if (is_col(e, ts, tt))
		return true;
	if (e->kind != X_FUNC || !e->u.fn.def)
		return false;
	const char *n = e->u.fn.def->name;
	if (strcmp(n, "date_trunc") == 0)
		return e->u.fn.nargs == 2 && e->u.fn.args[0]->kind == X_CONST &&
		       is_col(e->u.fn.args[1], ts, tt);
	if (strcmp(n, "date_bin") == 0)
		return (e->u.fn.nargs == 2 || e->u.fn.nargs == 3) &&
		       e->u.fn.args[0]->kind == X_CONST && is_col(e->u.fn.args[1], ts, tt) &&
		       (e->u.fn.nargs == 2 || e->u.fn.args[2]->kind == X_CONST);
	return false;
}

/* f(t) into *out; false when it cannot be evaluated (or is NULL). */
static bool bucket_at(struct plan *p, struct agg_window *w, int64_t t, int64_t *out)
{
	uint32_t tc = (uint32_t)w->scan->u.scan.ts_col;
	struct colvec *v = &w->one.cols[tc];
	if (vec_fixed(v, v->type, 1))
		return false;
	v->i64[0] = t;
	w->one.nrows = 1;
	struct xval x;
	if (x_eval(&p->cx, w->bucket, &w->one, &x)) {
		err_clear();
		return false;
	}
	if (xval_null(&x, 0))
		return false;
	*out = xval_i64(&x, 0);
	return true;
}

/* An aligned boundary near t (f(t), if f(f(t)) == f(t) <= t), strictly
 * inside (lo, hi); false otherwise. */
static bool aligned(struct plan *p, struct agg_window *w, int64_t t, int64_t *out)
{
	int64_t b, bb;
	if (!bucket_at(p, w, t, &b) || b > t || !bucket_at(p, w, b, &bb) || bb != b)
		return false;
	if (b <= w->lo || b >= w->hi)
		return false;
	*out = b;
	return true;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* b - a, saturated (b >= a). */
static int64_t sat_span(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(b, a, &r))
		return INT64_MAX;
	return r;
}

/* The newest time index value the scan can return (DESC without an upper
 * bound); false when there is none or on error (then: no windowing). */
static bool probe_newest(struct plan *p, struct agg_window *w, int64_t *out)
{
	struct op *s = w->scan;
	struct table_provider *t = s->u.scan.t;
	uint32_t tc = (uint32_t)s->u.scan.ts_col;
	bool *proj = arena_alloc(p->cx.a, t->ncols);
	struct scan_pred *preds = arena_alloc(p->cx.a, (s->u.scan.npreds + 1) * sizeof(*preds));
	if (!proj || !preds)
		return false;
	memset(proj, 0, t->ncols);
	proj[tc] = true;
	uint32_t np = 0;
	bool hinted = false;
	for (uint32_t i = 0; i < s->u.scan.npreds; i++) {
		preds[np++] = s->u.scan.preds[i];
		hinted = hinted || scan_pred_is_hint(&s->u.scan.preds[i]);
	}
	if (!hinted)
		scan_hint_last_per_series(tc, (enum dtype)s->types[tc], &preds[np++]);
	struct scan_request req = s->u.scan.req;
	req.projection = proj;
	req.preds = preds;
	req.npreds = np;
	struct batch_stream *st = NULL;
	if (t->scan(t, &req, &st) || !st) {
		err_clear();
		return false;
	}
	bool any = false;
	int64_t mx = INT64_MIN;
	for (;;) {
		const struct batch *b = NULL;
		if (st->next(st, &b)) {
			err_clear();
			any = false;
			break;
		}
		if (!b)
			break;
		if (b->ncols != t->ncols || b->cols[tc].len < b->nrows) {
			any = false;
			break;
		}
		const struct colvec *v = &b->cols[tc];
		for (uint32_t i = 0; i < b->nrows; i++)
			if (vec_valid(v, i) && v->i64[i] > mx) {
				mx = v->i64[i];
				any = true;
			}
	}
	st->close(st);
	*out = mx;
	return any;
}

/* Set the first window; false: no windowing (read everything). */
static bool first_window(struct plan *p, struct agg_window *w)
{
	uint64_t k = w->fetch < 1024 ? w->fetch : 1024;
	if (w->desc) {
		int64_t top = w->hi;
		if (top == INT64_MAX) {
			int64_t mx;
			if (!probe_newest(p, w, &mx))
				return false;
			top = mx == INT64_MAX ? mx : mx + 1;
		}
		/* the bucket width just below the anchor */
		int64_t b0, b1;
		if (!bucket_at(p, w, top - 1, &b0) || b0 > top - 1 || b0 == INT64_MIN ||
		    !bucket_at(p, w, b0 - 1, &b1) || b1 >= b0)
			return false;
		int64_t width = b0 - b1;
		int64_t dist;
		if (__builtin_mul_overflow(width, (int64_t)k - 1, &dist))
			dist = INT64_MAX;
		int64_t b;
		w->cur_hi = w->hi;
		if (aligned(p, w, sat_add(b0, -dist), &b)) {
			w->cur_lo = b;
		} else {
			w->cur_lo = w->lo;
			w->last = true;
		}
		w->span = sat_span(w->cur_lo, w->hi == INT64_MAX ? top : w->hi);
	} else {
		if (w->lo == INT64_MIN)
			return false;
		int64_t b0, b1;
		if (!bucket_at(p, w, w->lo, &b0) || b0 > w->lo || !bucket_at(p, w, b0 - 1, &b1) ||
		    b1 >= b0)
			return false;
		int64_t width = b0 - b1;
		int64_t dist;
		if (__builtin_mul_overflow(width, (int64_t)k + 1, &dist))
			dist = INT64_MAX;
		int64_t b;
		w->cur_lo = w->lo;
		if (aligned(p, w, sat_add(b0, dist), &b) && b > w->lo) {
			w->cur_hi = b;
		} else {
			w->cur_hi = w->hi;
			w->last = true;
		}
		w->span = sat_span(w->lo, w->cur_hi);
	}
	if (w->span <= 0)
		w->span = 1;
	return true;
}

/* Advance to the next window; false when the range is exhausted. */
static bool next_window(struct plan *p, struct agg_window *w)
{
	if (w->last)
		return false;
	w->nwin++;
	int64_t span;
	if (__builtin_mul_overflow(w->span, 4, &span))
		span = INT64_MAX;
	w->span = span;
	int64_t b;
	if (w->desc) {
		w->cur_hi = w->cur_lo;
		if (w->nwin < AGGWIN_MAX_WINDOWS && aligned(p, w, sat_add(w->cur_hi, -span), &b) &&
		    b < w->cur_hi) {
			w->cur_lo = b;
		} else {
			w->cur_lo = w->lo;
			w->last = true;
		}
	} else {
		w->cur_lo = w->cur_hi;
		if (w->nwin < AGGWIN_MAX_WINDOWS && aligned(p, w, sat_add(w->cur_lo, span), &b) &&
		    b > w->cur_lo) {
			w->cur_hi = b;
		} else {
			w->cur_hi = w->hi;
			w->last = true;
		}
	}
	return true;
}

/* Point the scan at the current window (closing its previous stream). */
static void set_scan_range(struct agg_window *w)
{
	struct op *s = w->scan;
	if (s->u.scan.stream)
		s->u.scan.stream->close(s->u.scan.stream);
	s->u.scan.stream = NULL;
	s->u.scan.req.ts_min = w->cur_lo;
	s->u.scan.req.ts_max = w->cur_hi;
}

void aggwin_setup(struct plan *p, struct op *sort)
{
	if (sort->kind != OP_SORT || sort->u.sort.fetch == UINT64_MAX || sort->u.sort.fetch == 0 ||
	    !sort->u.sort.nkeys || sort->u.sort.acc_init)
		return;
	struct op *pr = sort->child;
	if (!pr || pr->kind != OP_PROJECT)
		return;
	uint32_t kc = sort->u.sort.keys[0].col;
	if (kc >= pr->ncols)
		return;
	const struct xexpr *ke = pr->u.proj.exprs[kc];
	struct op *ag = pr->child;
	if (!ag || ag->kind != OP_AGG || ke->kind != X_COL || ke->u.col >= ag->u.agg.ngroups ||
	    ag->u.agg.win || ag->u.agg.h || ag->u.agg.sent)
		return;
	struct op *in = ag->child;
	while (in && in->kind == OP_FILTER)
		in = in->child;
	if (!in || in->kind != OP_SCAN || in->u.scan.ts_col < 0 || in->u.scan.empty ||
	    in->u.scan.stream || in->opened)
		return;
	uint32_t tc = (uint32_t)in->u.scan.ts_col;
	int tt = in->types[tc];
	struct xexpr *bucket = ag->u.agg.groups[ke->u.col];
	if (!floor_bucket(bucket, tc, tt) || !dtype_is_timestamp((enum dtype)tt))
		return;
	struct agg_window *w = arena_alloc(p->cx.a, sizeof(*w));
	if (!w) {
		err_clear();
		return;
	}
	memset(w, 0, sizeof(*w));
	w->scan = in;
	w->bucket = bucket;
	w->desc = sort->u.sort.keys[0].desc;
	w->fetch = sort->u.sort.fetch;
	w->lo = in->u.scan.req.ts_min;
	w->hi = in->u.scan.req.ts_max;
	if (w->lo >= w->hi)
		return;
	uint32_t nc = in->u.scan.t->ncols;
	enum dtype types[nc ? nc : 1];
	for (uint32_t c = 0; c < nc; c++)
		types[c] = c == tc ? (enum dtype)tt : DT_INT64;
	if (batch_init(&w->one, nc, types)) {
		err_clear();
		return;
	}
	w->one_init = true;
	bool ok = first_window(p, w);
	if (!ok) {
		batch_free(&w->one);
		return;
	}
	set_scan_range(w);
	ag->u.agg.win = w;
}

int aggwin_advance(struct plan *p, struct op *agg, uint32_t ngroups, bool *more)
{
	struct agg_window *w = agg->u.agg.win;
	*more = false;
	if (!w || ngroups >= w->fetch || !next_window(p, w))
		return 0;
	set_scan_range(w);
	*more = true;
	return 0;
}

int aggwin_clip(struct op *agg, const struct batch *b, const struct batch **out)
{
	struct agg_window *w = agg->u.agg.win;
	uint32_t tc = (uint32_t)w->scan->u.scan.ts_col;
	*out = b;
	if (tc >= b->ncols || b->cols[tc].len < b->nrows)
		return err_set(ERR_INTERNAL, "time bucket windows: the time index is not in the batch");
	const int64_t *ts = b->cols[tc].i64;
	int64_t lo = w->cur_lo, hi = w->cur_hi;
	uint32_t n = b->nrows, i = 0;
	while (i < n && ts[i] >= lo && ts[i] < hi)
		i++;
	if (i == n)
		return 0;
	if (n > w->sel_cap) {
		mem_free(w->sel);
		w->sel = mem_alloc((size_t)n * sizeof(uint32_t));
		w->sel_cap = w->sel ? n : 0;
		if (!w->sel)
			return err_set(ERR_NOMEM, "out of memory");
	}
	uint32_t k = 0;
	for (uint32_t j = 0; j < n; j++)
		if (ts[j] >= lo && ts[j] < hi)
			w->sel[k++] = j;
	if (w->clip_init && w->clip.ncols != b->ncols) {
		batch_free(&w->clip);
		w->clip_init = false;
	}
	if (!w->clip_init) {
		enum dtype tt[b->ncols ? b->ncols : 1];
		for (uint32_t c = 0; c < b->ncols; c++)
			tt[c] = b->cols[c].type;
		if (batch_init(&w->clip, b->ncols, tt))
			return err_set(ERR_NOMEM, "out of memory");
		w->clip_init = true;
	}
	int rc = 0;
	for (uint32_t c = 0; c < b->ncols && !rc; c++) {
		if (w->clip.cols[c].type != b->cols[c].type) {
			colvec_free(&w->clip.cols[c]);
			colvec_init(&w->clip.cols[c], b->cols[c].type);
		}
		if (b->cols[c].len >= n && n)
			rc = vec_gather(&w->clip.cols[c], &b->cols[c], w->sel, k);
		else
			rc = vec_empty(&w->clip.cols[c], b->cols[c].type, 0);
	}
	if (rc)
		return rc;
	w->clip.nrows = k;
	*out = &w->clip;
	return 0;
}

void aggwin_free(struct op *agg)
{
	struct agg_window *w = agg->u.agg.win;
	if (!w)
		return;
	/* the scan's own range again (the plan is not run twice, but keep
	 * the op as the planner made it) */
	w->scan->u.scan.req.ts_min = w->lo;
	w->scan->u.scan.req.ts_max = w->hi;
	if (w->one_init)
		batch_free(&w->one);
	if (w->clip_init)
		batch_free(&w->clip);
	w->one_init = w->clip_init = false;
	mem_free(w->sel);
	w->sel = NULL;
	w->sel_cap = 0;
}
