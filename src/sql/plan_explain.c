/*
 * plan_explain: EXPLAIN and EXPLAIN ANALYZE output.
 *
 * EXPLAIN answers two rows (plan_type, plan): "logical_plan" with the plan
 * in DataFusion's logical notation (Projection / Aggregate / Filter /
 * TableScan ...) and "physical_plan" in its physical notation
 * (ProjectionExec / AggregateExec / FilterExec ...), children indented by
 * two spaces, the physical text ending with a newline.
 *
 * EXPLAIN ANALYZE runs the query, discards its rows and answers rows
 * (stage, node, plan): stage 0 node 0 is the physical plan with
 * `metrics=[output_rows: N, elapsed_compute: T]` per operator; each line
 * a table provider gives to describe how its scan was served (one per
 * region) adds a stage 1 row; the last row has no stage/node and the plan
 * text "Total rows: N", as GreptimeDB prints it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/plan.h"
#include "storage/merge.h"
#include "storage/pred.h"

static void indent(struct buf *b, int d)
{
	for (int i = 0; i < d; i++)
		buf_printf(b, "  ");
}

static void names_list(struct buf *b, struct xexpr **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ", " : "", v[i]->name);
}

static void sort_list(struct buf *b, const struct op *o)
{
	for (uint32_t i = 0; i < o->u.sort.nkeys; i++) {
		const struct sort_key *k = &o->u.sort.keys[i];
		buf_printf(b, "%s%s %s NULLS %s", i ? ", " : "",
			   k->col < o->ncols && o->names[k->col] ? o->names[k->col] : "?",
			   k->desc ? "DESC" : "ASC", k->nulls_first ? "FIRST" : "LAST");
	}
}

static void scan_detail(struct buf *b, const struct op *o, bool logical)
{
	const struct table_provider *t = o->u.scan.t;
	bool first = true;
	buf_printf(b, logical ? " projection=[" : ", projection=[");
	for (uint32_t i = 0; i < t->ncols; i++)
		if (o->u.scan.proj && o->u.scan.proj[i]) {
			buf_printf(b, "%s%s", first ? "" : ", ", t->cols[i].name);
			first = false;
		}
	buf_printf(b, "]");
	const struct scan_request *r = &o->u.scan.req;
	if (r->ts_min != INT64_MIN || r->ts_max != INT64_MAX) {
		buf_printf(b, ", time_range=[");
		if (r->ts_min != INT64_MIN)
			buf_printf(b, "%" PRId64, r->ts_min);
		buf_printf(b, ", ");
		if (r->ts_max != INT64_MAX)
			buf_printf(b, "%" PRId64, r->ts_max);
		buf_printf(b, ")");
	}
	uint32_t nshown = 0;
	for (uint32_t i = 0; i < o->u.scan.npreds; i++)
		nshown += !scan_pred_is_hint(&o->u.scan.preds[i]) &&
			  !scan_pred_is_any_order(&o->u.scan.preds[i]);
	if (nshown) {
		static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">=", "IN", "IS NULL",
						  "IS NOT NULL"};
		buf_printf(b, ", %s=[", logical ? "partial_filters" : "filters");
		uint32_t shown = 0;
		for (uint32_t i = 0; i < o->u.scan.npreds; i++) {
			const struct scan_pred *p = &o->u.scan.preds[i];
			if (scan_pred_is_hint(p) || scan_pred_is_any_order(p))
				continue; /* a storage hint, not a filter */
			buf_printf(b, "%s%s %s", shown++ ? ", " : "", t->cols[p->col].name, ops[p->op]);
			if (p->op == PRED_IN) {
				buf_printf(b, " (");
				for (uint32_t k = 0; k < p->nlist && k < 16; k++) {
					buf_printf(b, "%s", k ? ", " : "");
					format_literal_name(b, &p->list[k]);
				}
				buf_printf(b, "%s)", p->nlist > 16 ? ", ..." : "");
			} else if (p->op != PRED_IS_NULL && p->op != PRED_IS_NOT_NULL) {
				buf_printf(b, " ");
				format_literal_name(b, &p->lit);
			}
		}
		buf_printf(b, "]");
	}
}

static void logical(struct buf *b, const struct op *o, int d)
{
	indent(b, d);
	switch (o->kind) {
	case OP_SCAN:
		buf_printf(b, "TableScan: %s", o->u.scan.qual);
		scan_detail(b, o, true);
		break;
	case OP_ONEROW: buf_printf(b, "EmptyRelation: rows=1"); break;
	case OP_MATERIAL: buf_printf(b, "Values: rows=%u", o->u.mat.b.nrows); break;
	case OP_FILTER: buf_printf(b, "Filter: %s", o->u.filter.pred->name); break;
	case OP_PROJECT:
		buf_printf(b, "Projection: ");
		for (uint32_t i = 0; i < o->ncols; i++) {
			const struct xexpr *e = o->u.proj.exprs[i];
			buf_printf(b, "%s%s", i ? ", " : "", e->name);
			if (o->names[i] && strcmp(o->names[i], e->name) != 0 &&
			    !(e->qual && strstr(e->name, o->names[i])))
				buf_printf(b, " AS %s", o->names[i]);
		}
		break;
	case OP_AGG:
		buf_printf(b, "Aggregate: groupBy=[[");
		names_list(b, o->u.agg.groups, o->u.agg.ngroups);
		buf_printf(b, "]], aggr=[[");
		names_list(b, o->u.agg.aggs, o->u.agg.naggs);
		buf_printf(b, "]]");
		break;
	case OP_SORT:
		buf_printf(b, "Sort: ");
		sort_list(b, o);
		if (o->u.sort.fetch != UINT64_MAX)
			buf_printf(b, ", fetch=%" PRIu64, o->u.sort.fetch);
		break;
	case OP_LIMIT:
		buf_printf(b, "Limit: skip=%" PRIu64 ", fetch=", o->u.limit.offset);
		if (o->u.limit.limit == UINT64_MAX)
			buf_printf(b, "None");
		else
			buf_printf(b, "%" PRIu64, o->u.limit.limit);
		break;
	case OP_DISTINCT: buf_printf(b, "Distinct:"); break;
	case OP_UNION: buf_printf(b, "Union"); break;
	case OP_SETOP:
		buf_printf(b, "%s%s", o->u.setop.op == SQL_SETOP_INTERSECT ? "Intersect" : "Except",
			   o->u.setop.all ? " All" : "");
		break;
	case OP_JOIN: {
		static const char *const kinds[] = {"Inner", "Left", "Right", "Full", "Cross"};
		buf_printf(b, "%s Join:", kinds[o->u.join.kind]);
		for (uint32_t i = 0; i < o->u.join.nkeys; i++)
			buf_printf(b, "%s %s = %s", i ? "," : "", o->u.join.lkeys[i]->name, o->u.join.rkeys[i]->name);
		if (o->u.join.residual)
			buf_printf(b, " Filter: %s", o->u.join.residual->name);
		break;
	}
	}
	if (o->child) {
		buf_putc(b, '\n');
		logical(b, o->child, d + 1);
	}
	for (uint32_t i = 0; i < o->ninputs; i++) {
		buf_putc(b, '\n');
		logical(b, o->inputs[i], d + 1);
	}
}

static void physical(struct buf *b, const struct op *o, int d, bool analyze)
{
	indent(b, d);
	switch (o->kind) {
	case OP_SCAN:
		buf_printf(b, "SeqScan: table=%s", o->u.scan.qual);
		if (o->u.scan.partial)
			buf_printf(b, ", partial_aggregation=pushed to region peers");
		scan_detail(b, o, false);
		break;
	case OP_ONEROW: buf_printf(b, "PlaceholderRowExec"); break;
	case OP_MATERIAL: buf_printf(b, "ValuesExec"); break;
	case OP_FILTER: buf_printf(b, "FilterExec: %s", o->u.filter.pred->name); break;
	case OP_PROJECT:
		buf_printf(b, "ProjectionExec: expr=[");
		for (uint32_t i = 0; i < o->ncols; i++)
			buf_printf(b, "%s%s as %s", i ? ", " : "", o->u.proj.exprs[i]->name,
				   o->names[i] ? o->names[i] : "?");
		buf_printf(b, "]");
		break;
	case OP_AGG:
		buf_printf(b, "AggregateExec: mode=%s, gby=[",
			   o->child && o->child->kind == OP_SCAN && o->child->u.scan.partial ? "Final"
											 : "Single");
		names_list(b, o->u.agg.groups, o->u.agg.ngroups);
		buf_printf(b, "], aggr=[");
		names_list(b, o->u.agg.aggs, o->u.agg.naggs);
		buf_printf(b, "]");
		break;
	case OP_SORT:
		buf_printf(b, "SortExec: ");
		if (o->u.sort.fetch != UINT64_MAX)
			buf_printf(b, "TopK(fetch=%" PRIu64 "), ", o->u.sort.fetch);
		buf_printf(b, "expr=[");
		sort_list(b, o);
		buf_printf(b, "]");
		break;
	case OP_LIMIT:
		buf_printf(b, "GlobalLimitExec: skip=%" PRIu64 ", fetch=", o->u.limit.offset);
		if (o->u.limit.limit == UINT64_MAX)
			buf_printf(b, "None");
		else
			buf_printf(b, "%" PRIu64, o->u.limit.limit);
		break;
	case OP_DISTINCT: buf_printf(b, "AggregateExec: mode=Single, gby=[all columns], aggr=[]"); break;
	case OP_UNION: buf_printf(b, "UnionExec"); break;
	case OP_SETOP:
		buf_printf(b, "HashJoinExec: join_type=%s",
			   o->u.setop.op == SQL_SETOP_INTERSECT ? "LeftSemi" : "LeftAnti");
		break;
	case OP_JOIN: {
		static const char *const kinds[] = {"Inner", "Left", "Right", "Full", "Cross"};
		if (o->u.join.nkeys) {
			buf_printf(b, "HashJoinExec: join_type=%s, on=[", kinds[o->u.join.kind]);
			for (uint32_t i = 0; i < o->u.join.nkeys; i++)
				buf_printf(b, "%s(%s, %s)", i ? ", " : "", o->u.join.lkeys[i]->name,
					   o->u.join.rkeys[i]->name);
			buf_printf(b, "]");
		} else {
			buf_printf(b, "NestedLoopJoinExec: join_type=%s", kinds[o->u.join.kind]);
		}
		if (o->u.join.residual)
			buf_printf(b, ", filter=%s", o->u.join.residual->name);
		break;
	}
	}
	if (analyze)
		buf_printf(b, " metrics=[output_rows: %" PRIu64 ", elapsed_compute: %.3fms]", o->rows_out,
			   (double)o->elapsed_ns / 1e6);
	buf_putc(b, '\n');
	if (o->child)
		physical(b, o->child, d + 1, analyze);
	for (uint32_t i = 0; i < o->ninputs; i++)
		physical(b, o->inputs[i], d + 1, analyze);
}

static int push_text(struct colvec *v, struct buf *b)
{
	return colvec_push_bytes(v, b->data ? (const char *)b->data : "", b->len);
}

static void collect_scans(const struct op *o, const struct op **scans, uint32_t *n, uint32_t cap)
{
	if (o->kind == OP_SCAN && *n < cap)
		scans[(*n)++] = o;
	if (o->child)
		collect_scans(o->child, scans, n, cap);
	for (uint32_t i = 0; i < o->ninputs; i++)
		collect_scans(o->inputs[i], scans, n, cap);
}

static bool op_col_is_duration(const struct op *o, uint32_t col, int depth)
{
	for (; o && depth < 64; depth++) {
		if (col >= o->ncols)
			return false;
		switch (o->kind) {
		case OP_SORT:
		case OP_LIMIT:
		case OP_FILTER:
		case OP_DISTINCT:
			o = o->child; /* columns pass through in place */
			break;
		case OP_PROJECT: {
			const struct xexpr *e = o->u.proj.exprs ? o->u.proj.exprs[col] : NULL;
			if (!e)
				return false;
			if (e->kind == X_BIN && e->u.bin.op == XOP_TS_DIFF)
				return true;
			if (e->kind != X_COL)
				return false;
			col = e->u.col;
			o = o->child;
			break;
		}
		default: return false;
		}
	}
	return false;
}

bool plan_col_is_duration(const struct plan *p, uint32_t col)
{
	return p && col < p->ncols && op_col_is_duration(p->root, col, 0);
}

int plan_explain(struct plan *p, bool analyze, bool verbose, struct result_set *rs)
{
	(void)verbose;
	int rc;
	struct buf b;
	buf_init(&b);
	if (!analyze) {
		const char *names[2] = {"plan_type", "plan"};
		enum dtype types[2] = {DT_STRING, DT_STRING};
		if ((rc = result_set_init(rs, 2, names, types)))
			return rc;
		logical(&b, p->root, 0);
		rc = colvec_push_bytes(&rs->rows.cols[0], "logical_plan", 12);
		if (!rc)
			rc = push_text(&rs->rows.cols[1], &b);
		buf_reset(&b);
		physical(&b, p->root, 0, false);
		if (!rc)
			rc = colvec_push_bytes(&rs->rows.cols[0], "physical_plan", 13);
		if (!rc)
			rc = push_text(&rs->rows.cols[1], &b);
		rs->rows.nrows = 2;
		buf_free(&b);
		if (rc)
			result_set_free(rs);
		return rc;
	}
	/* run it */
	uint64_t total = 0;
	for (;;) {
		const struct batch *bt;
		if ((rc = op_next(p, p->root, &bt)))
			return rc;
		if (!bt)
			break;
		total += bt->nrows;
	}
	const char *names[3] = {"stage", "node", "plan"};
	enum dtype types[3] = {DT_UINT32, DT_UINT32, DT_STRING};
	if ((rc = result_set_init(rs, 3, names, types)))
		return rc;
	struct batch *r = &rs->rows;
	physical(&b, p->root, 0, true);
	rc = colvec_push_i64(&r->cols[0], 0);
	if (!rc)
		rc = colvec_push_i64(&r->cols[1], 0);
	if (!rc)
		rc = push_text(&r->cols[2], &b);
	r->nrows = 1;
	const struct op *scans[64];
	uint32_t ns = 0;
	collect_scans(p->root, scans, &ns, 64);
	uint32_t node = 0;
	for (uint32_t i = 0; i < ns && !rc; i++) {
		struct table_provider *t = scans[i]->u.scan.t;
		const char *d = t->describe_scan ? t->describe_scan(t) : NULL;
		/* one row per line: a line per region */
		while (d && *d && !rc) {
			const char *nl = strchr(d, '\n');
			size_t len = nl ? (size_t)(nl - d) : strlen(d);
			buf_reset(&b);
			buf_append(&b, d, len);
			buf_putc(&b, '\n');
			rc = colvec_push_i64(&r->cols[0], 1);
			if (!rc)
				rc = colvec_push_i64(&r->cols[1], node++);
			if (!rc)
				rc = push_text(&r->cols[2], &b);
			r->nrows++;
			d = nl ? nl + 1 : d + len;
		}
	}
	buf_reset(&b);
	buf_printf(&b, "Total rows: %" PRIu64, total);
	if (!rc)
		rc = colvec_push_null(&r->cols[0]);
	if (!rc)
		rc = colvec_push_null(&r->cols[1]);
	if (!rc)
		rc = push_text(&r->cols[2], &b);
	r->nrows++;
	buf_free(&b);
	if (rc)
		result_set_free(rs);
	return rc;
}
