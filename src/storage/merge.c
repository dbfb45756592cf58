/*
 * merge: k-way merge of sorted runs with dedup. See merge.h for the rules.
 *
 * Each source is a cursor (its current batch and row) in a binary min-heap
 * ordered by (primary key bytes, ts, sequence desc, source number). The
 * merge pops rows in that order; rows with the identity of the current
 * "group" (same key and ts) are older versions and are handled by the
 * group's state:
 *   G_SKIP    ignore (last_row, or a decided group)
 *   G_FILL    last_non_null: fill the null fields of the group's output row
 *             (always the last output row) until a delete or no null left
 *   G_APPEND  append mode: keep puts until a delete
 * Fast path: when the top cursor's next rows are all below the second
 * cursor's current (key, ts), are puts and have distinct identities, they
 * are copied as one range per column. When only one cursor is left and
 * its whole batch is such a run that does not continue the open group,
 * in last_row or append mode, the batch itself is handed out (lend_batch;
 * filtered like any output) and the cursor advances on the next call.
 * An output batch is handed out only at a group boundary (a
 * last_non_null row can change until its group ends), then filtered with
 * the field predicates and compacted in place.
 */
#include "storage/merge.h"

#include <string.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/err.h"
#include "base/mem.h"
#include "storage/pk_codec.h"
#include "storage/pred.h"

#define MERGE_OUT_ROWS 4096
#define MERGE_MIN_RUN 4

enum group_state { G_SKIP, G_FILL, G_APPEND };

struct cursor {
	struct sorted_source *src;
	const struct batch *b;
	uint32_t pos;
	uint32_t idx;
};

struct merge {
	struct sorted_source base;
	uint32_t ncols;  /* region columns */
	uint32_t ts_col;
	uint32_t pk_col, seq_col, op_col;
	bool dedup, keep_deletes;
	enum merge_mode mode;
	bool *need;      /* ncols + 3: columns to fill */
	bool *is_field;  /* ncols */
	enum dtype *types;

	struct cursor *curs;
	uint32_t ncurs;
	struct cursor **heap;
	uint32_t nheap;

	bool have_group;
	struct buf g_pk;
	int64_t g_ts;
	enum group_state g_state;
	uint32_t g_nulls;

	struct scan_pred *preds; /* applied to output batches */
	uint32_t npreds;
	bool filter_ts;
	int64_t ts_min, ts_max;
	struct arena *arena;     /* copies of predicate literals */
	uint8_t *sel;
	size_t sel_cap;

	struct batch out;
	bool done;
	bool passthrough;  /* see merge_options */
	bool pt_started;   /* passthrough: curs[0].b was handed out */
	uint32_t lent;     /* rows of heap[0]'s batch handed out as is (lend_batch) */
};

/* ---- keys ------------------------------------------------------------- */

static inline const char *cur_pk(const struct merge *m, const struct cursor *c, uint32_t *n)
{
	return colvec_bytes(&c->b->cols[m->pk_col], c->pos, n);
}

static inline int64_t row_ts(const struct merge *m, const struct batch *b, uint32_t r)
{
	return b->cols[m->ts_col].i64[r];
}

static inline uint64_t row_seq(const struct merge *m, const struct batch *b, uint32_t r)
{
	return (uint64_t)b->cols[m->seq_col].i64[r];
}

static inline int row_op(const struct merge *m, const struct batch *b, uint32_t r)
{
	return (int)b->cols[m->op_col].i64[r];
}

/* (pk, ts) of row i of a against row j of b */
static inline int cmp_ident(const struct merge *m, const struct batch *a, uint32_t i,
			    const struct batch *b, uint32_t j)
{
	uint32_t na, nb;
	const char *pa = colvec_bytes(&a->cols[m->pk_col], i, &na);
	const char *pb = colvec_bytes(&b->cols[m->pk_col], j, &nb);
	int c = pk_cmp(pa, na, pb, nb);
	if (c)
		return c;
	int64_t ta = row_ts(m, a, i), tb = row_ts(m, b, j);
	return ta < tb ? -1 : ta > tb;
}

static int cmp_cursor(const struct merge *m, const struct cursor *x, const struct cursor *y)
{
	int c = cmp_ident(m, x->b, x->pos, y->b, y->pos);
	if (c)
		return c;
	uint64_t sx = row_seq(m, x->b, x->pos), sy = row_seq(m, y->b, y->pos);
	if (sx != sy)
		return sx > sy ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void sift_down(struct merge *m, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, min = i;
		if (l < m->nheap && cmp_cursor(m, m->heap[l], m->heap[min]) < 0)
			min = l;
		if (r < m->nheap && cmp_cursor(m, m->heap[r], m->heap[min]) < 0)
			min = r;
		if (min == i)
			return;
		struct cursor *t = m->heap[i];
		m->heap[i] = m->heap[min];
		m->heap[min] = t;
		i = min;
	}
}

static void sift_up(struct merge *m, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (cmp_cursor(m, m->heap[i], m->heap[p]) >= 0)
			return;
		struct cursor *t = m->heap[i];
		m->heap[i] = m->heap[p];
		m->heap[p] = t;
		i = p;
	}
}

/* ---- sources ---------------------------------------------------------- */

static int check_batch(const struct merge *m, const struct batch *b)
{
	if (b->ncols != m->ncols + SCHEMA_INTERNAL_COLS)
		return err_set(ERR_INTERNAL, "merge: source batch has %u columns, expected %u",
			       b->ncols, m->ncols + SCHEMA_INTERNAL_COLS);
	for (uint32_t c = 0; c < b->ncols; c++) {
		if (b->cols[c].type != m->types[c])
			return err_set(ERR_INTERNAL, "merge: source column %u is %s, expected %s", c,
				       dtype_name(b->cols[c].type), dtype_name(m->types[c]));
		if (m->need[c] && b->cols[c].len != b->nrows)
			return err_set(ERR_INTERNAL, "merge: source left column %u unfilled", c);
	}
	return ERR_OK;
}

/* Load the cursor's next non-empty batch; c->b = NULL at the end. */
static int cursor_load(struct merge *m, struct cursor *c)
{
	for (;;) {
		const struct batch *b = NULL;
		int rc = sorted_source_next(c->src, &b);
		if (rc)
			return rc;
		c->b = b;
		c->pos = 0;
		if (!b)
			return ERR_OK;
		if (b->nrows) {
			return check_batch(m, b);
		}
	}
}

/* Move the heap's top cursor to its next row. */
static int advance_top(struct merge *m, uint32_t by)
{
	struct cursor *c = m->heap[0];
	c->pos += by;
	if (c->pos >= c->b->nrows) {
		int rc = cursor_load(m, c);
		if (rc)
			return rc;
		if (!c->b) {
			m->heap[0] = m->heap[--m->nheap];
			if (m->nheap)
				sift_down(m, 0);
			return ERR_OK;
		}
	}
	sift_down(m, 0);
	return ERR_OK;
}

/* ---- output ----------------------------------------------------------- */

static int emit_row(struct merge *m, const struct batch *b, uint32_t r)
{
	for (uint32_t c = 0; c < m->out.ncols; c++)
		if (m->need[c] && colvec_push_from(&m->out.cols[c], &b->cols[c], r))
			return ERR_NOMEM;
	m->out.nrows++;
	return ERR_OK;
}

/* Append src[from, from+n) to dst with one copy per buffer. */
static int append_range(struct colvec *dst, const struct colvec *src, uint32_t from, uint32_t n)
{
	if (colvec_reserve(dst, n))
		return ERR_NOMEM;
	uint32_t at = dst->len;
	switch (dtype_phys(src->type)) {
	case PHYS_I64:
		memcpy(dst->i64 + at, src->i64 + from, (size_t)n * 8);
		break;
	case PHYS_F64:
		memcpy(dst->f64 + at, src->f64 + from, (size_t)n * 8);
		break;
	default: {
		uint32_t s0 = src->offs[from], s1 = src->offs[from + n], base = dst->offs[at];
		int rc = colvec_reserve_bytes(dst, s1 - s0, "merge: string column over 4 GiB");
		if (rc)
			return rc;
		if (s1 > s0)
			memcpy(dst->bytes + base, src->bytes + s0, s1 - s0);
		for (uint32_t i = 0; i < n; i++)
			dst->offs[at + i + 1] = base + (src->offs[from + i + 1] - s0);
		break;
	}
	}
	if (src->validity && !dst->validity) {
		bool any = false;
		for (uint32_t i = 0; i < n && !any; i++)
			any = colvec_is_null(src, from + i);
		if (any) {
			size_t nb = ((size_t)dst->cap + 7) / 8;
			if (!(dst->validity = mem_alloc(nb)))
				return ERR_NOMEM;
			memset(dst->validity, 0xff, nb);
		}
	}
	if (dst->validity)
		for (uint32_t i = 0; i < n; i++) {
			uint32_t j = at + i;
			if (colvec_is_null(src, from + i))
				dst->validity[j >> 3] &= (uint8_t)~(1u << (j & 7));
			else
				dst->validity[j >> 3] |= (uint8_t)(1u << (j & 7));
		}
	dst->len += n;
	return ERR_OK;
}

static int emit_range(struct merge *m, const struct batch *b, uint32_t from, uint32_t n)
{
	for (uint32_t c = 0; c < m->out.ncols; c++)
		if (m->need[c] && append_range(&m->out.cols[c], &b->cols[c], from, n))
			return ERR_NOMEM;
	m->out.nrows += n;
	return ERR_OK;
}

/* The last output row is a put that opens a group: set the group state. */
static void group_after_put(struct merge *m)
{
	if (!m->dedup) {
		m->g_state = G_APPEND;
		return;
	}
	if (m->mode == MERGE_LAST_ROW) {
		m->g_state = G_SKIP;
		return;
	}
	uint32_t last = m->out.nrows - 1, nulls = 0;
	for (uint32_t c = 0; c < m->ncols; c++)
		nulls += m->need[c] && m->is_field[c] && colvec_is_null(&m->out.cols[c], last);
	m->g_nulls = nulls;
	m->g_state = nulls ? G_FILL : G_SKIP;
}

static int set_group_key(struct merge *m, const struct batch *b, uint32_t r)
{
	uint32_t n;
	const char *p = colvec_bytes(&b->cols[m->pk_col], r, &n);
	buf_reset(&m->g_pk);
	if (buf_append(&m->g_pk, p, n))
		return ERR_NOMEM;
	m->g_ts = row_ts(m, b, r);
	m->have_group = true;
	return ERR_OK;
}

/* First row of a new identity (the newest version). */
static int group_start(struct merge *m, const struct batch *b, uint32_t r)
{
	int rc = set_group_key(m, b, r);
	if (rc)
		return rc;
	if (row_op(m, b, r) == OP_DELETE) {
		m->g_state = G_SKIP;
		return m->keep_deletes ? emit_row(m, b, r) : ERR_OK;
	}
	if ((rc = emit_row(m, b, r)))
		return rc;
	group_after_put(m);
	return ERR_OK;
}

/* An older version of the current group. */
static int group_older(struct merge *m, const struct batch *b, uint32_t r)
{
	bool del = row_op(m, b, r) == OP_DELETE;
	switch (m->g_state) {
	case G_SKIP:
		return ERR_OK;
	case G_APPEND:
		if (del)
			m->g_state = G_SKIP;
		return !del || m->keep_deletes ? emit_row(m, b, r) : ERR_OK;
	case G_FILL:
		break;
	}
	if (del) {
		m->g_state = G_SKIP;
		return m->keep_deletes ? emit_row(m, b, r) : ERR_OK;
	}
	uint32_t last = m->out.nrows - 1;
	for (uint32_t c = 0; c < m->ncols && m->g_nulls; c++) {
		struct colvec *v = &m->out.cols[c];
		if (!m->need[c] || !m->is_field[c] || !colvec_is_null(v, last) ||
		    colvec_is_null(&b->cols[c], r))
			continue;
		/* replace the last (null, empty) slot with the older value */
		v->len--;
		if (colvec_push_from(v, &b->cols[c], r))
			return ERR_NOMEM;
		m->g_nulls--;
	}
	if (!m->g_nulls)
		m->g_state = G_SKIP;
	return ERR_OK;
}

/*
 * Rows of the top cursor c, from its position, that can be copied as a
 * range: below every other cursor's (key, ts), puts, distinct identities
 * (in dedup modes); returns how many (0 = use the row path). The last one's
 * group may continue in c's next batch: the caller sets the group state as
 * the row path would have.
 */
static uint32_t fast_run(struct merge *m, const struct cursor *c)
{
	const struct batch *b = c->b;
	uint32_t end = b->nrows;
	const struct cursor *o = NULL;
	if (m->nheap > 1)
		o = m->heap[1];
	if (m->nheap > 2 && cmp_cursor(m, m->heap[2], o) < 0)
		o = m->heap[2];
	if (o && cmp_ident(m, b, end - 1, o->b, o->pos) >= 0) {
		uint32_t lo = c->pos, hi = end - 1; /* first row with ident >= o's */
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (cmp_ident(m, b, mid, o->b, o->pos) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		end = lo;
	}
	uint32_t room = MERGE_OUT_ROWS - m->out.nrows;
	if (end - c->pos > room)
		end = c->pos + room;
	if (end - c->pos < MERGE_MIN_RUN)
		return 0;
	const int64_t *ops = b->cols[m->op_col].i64;
	const int64_t *ts = b->cols[m->ts_col].i64;
	const struct colvec *pk = &b->cols[m->pk_col];
	uint32_t i = c->pos;
	if (ops[i] != OP_PUT)
		return 0;
	for (i++; i < end; i++) {
		if (ops[i] != OP_PUT)
			break;
		if (m->dedup && ts[i] == ts[i - 1]) {
			uint32_t la = pk->offs[i] - pk->offs[i - 1], lb = pk->offs[i + 1] - pk->offs[i];
			if (la == lb && !memcmp(pk->bytes + pk->offs[i - 1], pk->bytes + pk->offs[i], la))
				break;
		}
	}
	uint32_t n = i - c->pos;
	return n >= MERGE_MIN_RUN ? n : 0;
}

static bool in_group(const struct merge *m, const struct cursor *c)
{
	if (!m->have_group || row_ts(m, c->b, c->pos) != m->g_ts)
		return false;
	uint32_t n;
	const char *p = cur_pk(m, c, &n);
	return n == m->g_pk.len && (!n || !memcmp(p, m->g_pk.data, n));
}

/* Merge rows into m->out until it is full at a group boundary or the
 * sources end. */
static int merge_some(struct merge *m)
{
	while (m->nheap) {
		struct cursor *c = m->heap[0];
		int rc;
		if (in_group(m, c)) {
			if ((rc = group_older(m, c->b, c->pos)) || (rc = advance_top(m, 1)))
				return rc;
			continue;
		}
		if (m->out.nrows >= MERGE_OUT_ROWS)
			return ERR_OK;
		uint32_t n = fast_run(m, c);
		if (n) {
			if ((rc = emit_range(m, c->b, c->pos, n)) ||
			    (rc = set_group_key(m, c->b, c->pos + n - 1)))
				return rc;
			group_after_put(m);
			if ((rc = advance_top(m, n)))
				return rc;
			continue;
		}
		if ((rc = group_start(m, c->b, c->pos)) || (rc = advance_top(m, 1)))
			return rc;
	}
	m->have_group = false;
	return ERR_OK;
}

/* Keep the rows i of v with sel[i] (v has n values). */
static void colvec_compact(struct colvec *v, const uint8_t *sel, uint32_t n)
{
	uint32_t j = 0;
	enum phys_kind pk = dtype_phys(v->type);
	for (uint32_t i = 0; i < n; i++) {
		if (!sel[i])
			continue;
		if (j != i) {
			if (pk == PHYS_I64) {
				v->i64[j] = v->i64[i];
			} else if (pk == PHYS_F64) {
				v->f64[j] = v->f64[i];
			} else {
				uint32_t len = v->offs[i + 1] - v->offs[i];
				if (len)
					memmove(v->bytes + v->offs[j], v->bytes + v->offs[i], len);
				v->offs[j + 1] = v->offs[j] + len;
			}
			if (v->validity) {
				if (colvec_is_null(v, i))
					v->validity[j >> 3] &= (uint8_t)~(1u << (j & 7));
				else
					v->validity[j >> 3] |= (uint8_t)(1u << (j & 7));
			}
		}
		j++;
	}
	v->len = j;
}

/* m->sel[0, b->nrows) = which rows of b pass the time filter and the
 * predicates; *kept = how many. */
static int select_rows(struct merge *m, const struct batch *b, uint32_t *kept)
{
	uint32_t n = b->nrows;
	if (n > m->sel_cap) {
		void *p = m->sel;
		if (mem_grow(&p, &m->sel_cap, n, 1))
			return ERR_NOMEM;
		m->sel = p;
	}
	uint8_t *sel = m->sel;
	memset(sel, 1, n);
	if (m->filter_ts) {
		const int64_t *ts = b->cols[m->ts_col].i64;
		for (uint32_t i = 0; i < n; i++)
			sel[i] &= ts[i] >= m->ts_min && (m->ts_max == INT64_MAX || ts[i] < m->ts_max);
	}
	int rc = pred_eval(m->preds, m->npreds, b, sel);
	if (rc)
		return rc;
	*kept = 0;
	for (uint32_t i = 0; i < n; i++)
		*kept += sel[i];
	return ERR_OK;
}

static int filter_out(struct merge *m)
{
	uint32_t n = m->out.nrows, kept;
	if (!n || (!m->npreds && !m->filter_ts))
		return ERR_OK;
	int rc = select_rows(m, &m->out, &kept);
	if (rc)
		return rc;
	const uint8_t *sel = m->sel;
	if (kept == n)
		return ERR_OK;
	for (uint32_t c = 0; c < m->out.ncols; c++)
		if (m->out.cols[c].len == n)
			colvec_compact(&m->out.cols[c], sel, n);
	m->out.nrows = kept;
	return ERR_OK;
}

/* Passthrough: the source's next batch, filtered (copied only when a row
 * is dropped). */
static int passthrough_next(struct merge *m, const struct batch **out)
{
	struct cursor *c = &m->curs[0];
	for (;;) {
		int rc;
		if (m->pt_started && c->b && (rc = cursor_load(m, c)))
			return rc;
		m->pt_started = true;
		const struct batch *b = c->b;
		if (!b)
			return ERR_OK;
		if (!m->npreds && !m->filter_ts) {
			*out = b;
			return ERR_OK;
		}
		uint32_t n = b->nrows;
		if (n > m->sel_cap) {
			void *p = m->sel;
			if (mem_grow(&p, &m->sel_cap, n, 1))
				return ERR_NOMEM;
			m->sel = p;
		}
		uint8_t *sel = m->sel;
		memset(sel, 1, n);
		if (m->filter_ts) {
			const int64_t *ts = b->cols[m->ts_col].i64;
			for (uint32_t i = 0; i < n; i++)
				sel[i] &= ts[i] >= m->ts_min &&
					  (m->ts_max == INT64_MAX || ts[i] < m->ts_max);
		}
		if ((rc = pred_eval(m->preds, m->npreds, b, sel)))
			return rc;
		uint32_t kept = 0;
		for (uint32_t i = 0; i < n; i++)
			kept += sel[i];
		if (kept == n) {
			*out = b;
			return ERR_OK;
		}
		batch_reset(&m->out);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t j = i;
			while (j < n && sel[j])
				j++;
			if (j > i && (rc = emit_range(m, b, i, j - i)))
				return rc;
			i = j;
		}
		if (m->out.nrows) {
			*out = &m->out;
			return ERR_OK;
		}
	}
}

/* One source left, at the start of a batch that is one fast run (puts
 * of distinct identities, the first not of the open group), and no row
 * of the group can change later (last_row keeps the first version; append
 * mode appends): hand the batch out as is, filtered like filter_out, and
 * advance past it on the next call. *out NULL when not applicable. */
static int lend_batch(struct merge *m, const struct batch **out)
{
	*out = NULL;
	if (m->nheap != 1 || (m->dedup && m->mode != MERGE_LAST_ROW))
		return ERR_OK;
	struct cursor *c = m->heap[0];
	const struct batch *b = c->b;
	if (c->pos != 0 || in_group(m, c) || fast_run(m, c) != b->nrows)
		return ERR_OK;
	int rc = set_group_key(m, b, b->nrows - 1);
	if (rc)
		return rc;
	group_after_put(m);
	m->lent = b->nrows;
	uint32_t n = b->nrows;
	if (!m->npreds && !m->filter_ts) {
		*out = b;
		return ERR_OK;
	}
	uint32_t kept;
	if ((rc = select_rows(m, b, &kept)))
		return rc;
	const uint8_t *sel = m->sel;
	if (kept == n) {
		*out = b;
		return ERR_OK;
	}
	/* copy the kept rows (m->out is empty here) */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i;
		while (j < n && sel[j])
			j++;
		if (j > i && (rc = emit_range(m, b, i, j - i)))
			return rc;
		i = j;
	}
	if (m->out.nrows)
		*out = &m->out;
	return ERR_OK;
}

static int merge_next(struct sorted_source *base, const struct batch **out)
{
	struct merge *m = (struct merge *)base;
	*out = NULL;
	if (m->passthrough)
		return passthrough_next(m, out);
	while (!m->done) {
		batch_reset(&m->out);
		if (m->lent) {
			uint32_t by = m->lent;
			m->lent = 0;
			int rc = advance_top(m, by);
			if (rc)
				return rc;
			if (!m->nheap) {
				m->done = true;
				break;
			}
		}
		int rc = lend_batch(m, out);
		if (rc || *out)
			return rc;
		if (m->lent)
			continue; /* every row of the lent batch was filtered out */
		rc = merge_some(m);
		if (rc)
			return rc;
		if (!m->nheap)
			m->done = true;
		if ((rc = filter_out(m)))
			return rc;
		if (m->out.nrows) {
			*out = &m->out;
			return ERR_OK;
		}
	}
	return ERR_OK;
}

static void merge_close(struct sorted_source *base)
{
	struct merge *m = (struct merge *)base;
	if (!m)
		return;
	for (uint32_t i = 0; i < m->ncurs; i++)
		sorted_source_close(m->curs[i].src);
	mem_free(m->curs);
	mem_free(m->heap);
	mem_free(m->need);
	mem_free(m->is_field);
	mem_free(m->types);
	mem_free(m->preds);
	mem_free(m->sel);
	arena_destroy(m->arena);
	buf_free(&m->g_pk);
	batch_free(&m->out);
	mem_free(m);
}

/* ---- the "any series order" hint (merge.h) ----------------------------- */

static struct datum any_order_marker;

void scan_hint_any_order(uint32_t ts_col, enum dtype ts_type, struct scan_pred *out)
{
	memset(out, 0, sizeof(*out));
	out->col = ts_col;
	out->op = PRED_IS_NOT_NULL;
	out->lit.type = ts_type;
	out->lit.is_null = true;
	out->list = &any_order_marker;
}

bool scan_pred_is_any_order(const struct scan_pred *p)
{
	return p->op == PRED_IS_NOT_NULL && p->nlist == 0 && p->list == &any_order_marker;
}

bool scan_req_any_order(uint32_t ts_col, const struct scan_request *req)
{
	for (uint32_t k = 0; req && k < req->npreds; k++)
		if (scan_pred_is_any_order(&req->preds[k]) && req->preds[k].col == ts_col)
			return true;
	return false;
}

/* ---- open ------------------------------------------------------------- */

static int copy_datum(struct merge *m, struct datum *d)
{
	if (d->is_null || dtype_phys(d->type) != PHYS_BYTES || !d->v.s.n)
		return ERR_OK;
	char *p = arena_strndup(m->arena, d->v.s.p, d->v.s.n);
	if (!p)
		return ERR_NOMEM;
	d->v.s.p = p;
	return ERR_OK;
}

/* Copy the predicates the merge applies (deep: literals and lists). */
static int copy_preds(struct merge *m, const struct region_schema *s,
		      const struct scan_request *req, bool all)
{
	m->preds = mem_calloc(req->npreds ? req->npreds : 1, sizeof(struct scan_pred));
	if (!m->preds)
		return ERR_NOMEM;
	for (uint32_t k = 0; k < req->npreds; k++) {
		const struct scan_pred *p = &req->preds[k];
		if (p->col >= s->ncols)
			return err_set(ERR_BAD_INPUT, "scan predicate on column %u of %u", p->col,
				       s->ncols);
		int rc = pred_validate(p, s->cols[p->col].type);
		if (rc)
			return rc;
		if (!all && pred_is_tag_or_ts(s, p))
			continue;
		struct scan_pred *q = &m->preds[m->npreds++];
		*q = *p;
		if ((rc = copy_datum(m, &q->lit)))
			return rc;
		if (p->op == PRED_IN && p->nlist) {
			q->list = arena_alloc(m->arena, (size_t)p->nlist * sizeof(struct datum));
			if (!q->list)
				return ERR_NOMEM;
			memcpy(q->list, p->list, (size_t)p->nlist * sizeof(struct datum));
			for (uint32_t j = 0; j < p->nlist; j++)
				if ((rc = copy_datum(m, &q->list[j])))
					return rc;
		} else {
			q->list = NULL;
			q->nlist = 0;
		}
		m->need[p->col] = true;
	}
	return ERR_OK;
}

int merge_open(struct sorted_source **srcs, uint32_t n, const struct merge_options *o,
	       struct sorted_source **out)
{
	*out = NULL;
	const struct region_schema *s = o->schema;
	const struct scan_request *req = o->req;
	uint32_t ntot = s->ncols + SCHEMA_INTERNAL_COLS;
	int rc = ERR_NOMEM;
	struct merge *m = mem_calloc(1, sizeof(*m));
	if (!m) {
		for (uint32_t i = 0; i < n; i++)
			sorted_source_close(srcs[i]);
		return ERR_NOMEM;
	}
	m->base.next = merge_next;
	m->base.close = merge_close;
	buf_init(&m->g_pk);
	m->curs = mem_calloc(n ? n : 1, sizeof(struct cursor));
	if (!m->curs) {
		for (uint32_t i = 0; i < n; i++)
			sorted_source_close(srcs[i]);
		goto fail;
	}
	for (uint32_t i = 0; i < n; i++)
		m->curs[i] = (struct cursor){.src = srcs[i], .idx = i};
	m->ncurs = n;

	m->ncols = s->ncols;
	m->ts_col = s->ts_col;
	m->pk_col = s->ncols;
	m->seq_col = s->ncols + 1;
	m->op_col = s->ncols + 2;
	m->dedup = o->dedup;
	m->mode = o->mode;
	m->keep_deletes = o->keep_deletes;
	m->passthrough = o->passthrough && n == 1 && !o->keep_deletes;
	m->heap = mem_calloc(n ? n : 1, sizeof(struct cursor *));
	m->need = mem_calloc(ntot, sizeof(bool));
	m->is_field = mem_calloc(s->ncols ? s->ncols : 1, sizeof(bool));
	m->types = mem_alloc(ntot * sizeof(enum dtype));
	m->arena = arena_create(1024);
	if (!m->heap || !m->need || !m->is_field || !m->types || !m->arena)
		goto fail;
	region_schema_internal_types(s, m->types);
	if (batch_init(&m->out, ntot, m->types))
		goto fail;
	for (uint32_t c = 0; c < s->ncols; c++) {
		m->is_field[c] = s->cols[c].sem == SEM_FIELD;
		m->need[c] = !req || !req->projection || req->projection[c];
	}
	for (uint32_t c = s->ncols; c < ntot; c++)
		m->need[c] = !m->passthrough; /* a passthrough source may leave them empty */
	m->need[s->ts_col] = true;
	if (req) {
		if ((rc = copy_preds(m, s, req, o->recheck_keys)))
			goto fail;
		if (o->recheck_keys && (req->ts_min != INT64_MIN || req->ts_max != INT64_MAX)) {
			m->filter_ts = true;
			m->ts_min = req->ts_min;
			m->ts_max = req->ts_max;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		struct cursor *c = &m->curs[i];
		if ((rc = cursor_load(m, c)))
			goto fail;
		if (c->b) {
			m->heap[m->nheap++] = c;
			sift_up(m, m->nheap - 1);
		}
	}
	*out = &m->base;
	return ERR_OK;
fail:
	merge_close(&m->base);
	return rc;
}
