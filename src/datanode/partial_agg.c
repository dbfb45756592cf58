/*
 * partial_agg: the datanode side of partial aggregation pushdown. A
 * region scan request carrying partial_agg_* (proto/region.proto, version
 * RPC_PARTIAL_AGG_VERSION) is served by running its SQL with the query
 * engine (sql/exec.h) over the rows the scan would have sent - the sorted
 * source dn_scan opened, whether this peer is the region's leader or a
 * follower merging its leader's memtable rows - and sending the query's
 * result rows (the per-group partial states, layout in
 * sql/plan_pushdown.c) as the scan's row frames, then a final frame
 * marked with the version it ran (an older peer would not mark it, so the
 * frontend can tell plain rows from partial states).
 *
 * The engine sees one table: whatever name the query's FROM uses resolves
 * to this region (the frontend prints the statement's own FROM), with the
 * region's user columns. The source can be read once; a second scan of it
 * (a self-join, which the frontend never sends) fails cleanly.
 *
 * The session is a private one: the request's dialect (protocol) and time
 * zone, statement time = the request's now_ms, and the frontend
 * statement's limits (RegionScanRequest.timeout_ms / mem_limit), applied
 * with the same session mechanism the frontend uses (server/limits.c sets
 * session.deadline_ms and mem_limit around a statement; the engine polls
 * session_cancelled() between batches and charges what its operators hold
 * with session_mem_charge). So a pushed-down aggregate fails here with the
 * frontend's words and codes: ERR_NOMEM "Query exceeded the memory limit
 * of N bytes (--query-memory-limit) ..." or ERR_EXEC "Query execution was
 * interrupted, maximum statement execution time exceeded". Errors of the
 * query come back to the frontend as the scan's error.
 *
 * Reply: the engine builds the query's result (a GROUP BY's groups exist
 * only once every input row was read) and it is sent at once as row
 * chunks of the request's chunk size; the input rows are pulled from the
 * source batch by batch, never collected.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "datanode/datanode_int.h"
#include "server/handler.h"
#include "sql/ast.h"
#include "sql/exec.h"
#include "sql/parser.h"

struct region_table {
	struct table_provider p;
	const struct region_schema *schema;
	struct sorted_source *src;
	struct table_column *cols;
	bool opened;
};

struct region_stream {
	struct batch_stream s;
	struct region_table *t;
	struct batch view;
};

static int rs_next(struct batch_stream *s, const struct batch **out)
{
	struct region_stream *r = (struct region_stream *)s;
	*out = NULL;
	for (;;) {
		const struct batch *b;
		int rc = sorted_source_next(r->t->src, &b);
		if (rc || !b)
			return rc;
		if (b->nrows == 0)
			continue;
		if (b->ncols < r->t->schema->ncols)
			return err_set(ERR_INTERNAL, "region batch has %u columns, schema %u", b->ncols,
			               r->t->schema->ncols);
		/* internal batches: the user columns first */
		r->view.nrows = b->nrows;
		r->view.ncols = r->t->schema->ncols;
		r->view.cols = b->cols;
		*out = &r->view;
		return ERR_OK;
	}
}

static void rs_close(struct batch_stream *s)
{
	mem_free(s);
}

static int rt_scan(struct table_provider *p, const struct scan_request *req,
                   struct batch_stream **out)
{
	(void)req; /* the source is already filtered by the region request; the
	            * engine re-applies the query's own WHERE */
	struct region_table *t = p->ctx;
	*out = NULL;
	if (t->opened)
		return err_set(ERR_UNSUPPORTED,
		               "partial aggregation: the region can be scanned once per query");
	struct region_stream *r = mem_calloc(1, sizeof(*r));
	if (!r)
		return ERR_NOMEM;
	t->opened = true;
	r->s.next = rs_next;
	r->s.close = rs_close;
	r->t = t;
	*out = &r->s;
	return ERR_OK;
}

static void rt_release(struct table_provider *p)
{
	(void)p; /* owned by dn_partial_agg */
}

static int resolve(void *ctx, struct session *s, const struct sql_name *name,
                   struct table_provider **out)
{
	(void)s;
	(void)name;
	*out = ctx;
	return ERR_OK;
}

static int dialect_of(uint32_t protocol)
{
	switch (protocol) {
	case SESSION_MYSQL: return SQL_DIALECT_MYSQL;
	case SESSION_PG: return SQL_DIALECT_POSTGRES;
	default: return SQL_DIALECT_GREPTIME;
	}
}

int dn_partial_agg_check(const RPC_PB(RegionScanRequest) * req)
{
	if (req->partial_agg_version == 0)
		return ERR_OK;
	if (req->partial_agg_version != RPC_PARTIAL_AGG_VERSION)
		return err_set(ERR_UNSUPPORTED,
		               "partial aggregation version %u is not supported (this datanode "
		               "speaks %u)",
		               req->partial_agg_version, RPC_PARTIAL_AGG_VERSION);
	if (!req->partial_agg_sql || !req->partial_agg_sql[0])
		return err_set(ERR_PROTOCOL, "partial aggregation without a query");
	if (req->partial_agg_protocol > SESSION_HTTP)
		return err_set(ERR_PROTOCOL, "partial aggregation: unknown protocol %u",
		               req->partial_agg_protocol);
	return ERR_OK;
}

int dn_partial_agg(const RPC_PB(RegionScanRequest) * req, const struct region_schema *schema,
                   struct sorted_source *src, int64_t deadline_ms, struct rpc_reply *r)
{
	int rc = dn_partial_agg_check(req);
	if (rc)
		return rc;
	struct region_table t;
	memset(&t, 0, sizeof(t));
	t.schema = schema;
	t.src = src;
	t.cols = mem_calloc(schema->ncols ? schema->ncols : 1, sizeof(*t.cols));
	struct arena *a = arena_create(0);
	struct session *sess = mem_calloc(1, sizeof(*sess));
	struct result_set rs;
	memset(&rs, 0, sizeof(rs));
	if (!t.cols || !a || !sess) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < schema->ncols; i++) {
		t.cols[i].name = schema->cols[i].name;
		t.cols[i].type = schema->cols[i].type;
		t.cols[i].nullable = schema->cols[i].nullable;
		t.cols[i].is_tag = schema->cols[i].sem == SEM_TAG;
		t.cols[i].is_time_index = schema->cols[i].sem == SEM_TIMESTAMP;
	}
	t.p.name = "region";
	t.p.ncols = schema->ncols;
	t.p.cols = t.cols;
	t.p.scan = rt_scan;
	t.p.release = rt_release;
	t.p.ctx = &t;
	session_init(sess, req->partial_agg_protocol ? (int)req->partial_agg_protocol : SESSION_MYSQL,
	             0);
	if (req->partial_agg_time_zone && req->partial_agg_time_zone[0])
		snprintf(sess->time_zone, sizeof(sess->time_zone), "%s", req->partial_agg_time_zone);
	sess->deadline_ms = deadline_ms;
	sess->mem_limit = req->mem_limit;
	sess->mem_used = 0;
	if (session_timed_out(sess)) { /* spent on the way (a follower's leader fetch) */
		rc = dn_timeout_error("partial aggregation");
		goto out;
	}
	struct sql_stmt_list list;
	const char *sql = req->partial_agg_sql;
	rc = sql_parse_ex(sql, strlen(sql), dialect_of(req->partial_agg_protocol), a, &list);
	if (rc == ERR_OK && (list.n != 1 || list.items[0]->kind != SQL_STMT_QUERY))
		rc = err_set(ERR_PROTOCOL, "partial aggregation: expected one query");
	if (rc == ERR_OK) {
		struct exec_env env = {
		    .ctx = &t.p, .resolve_table = resolve, .now_ms = req->partial_agg_now_ms};
		rc = sql_exec_query(&env, sess, list.items[0]->u.query, a, &rs);
		if (rc && session_timed_out(sess)) /* the engine says "Query was cancelled" */
			rc = dn_timeout_error("partial aggregation");
	}
	if (rc == ERR_OK && rs.rows.nrows)
		rc = rpc_reply_rows(r, &rs.rows);
	if (rc == ERR_OK)
		rc = rpc_reply_partial_done(r);
	if (rc && rc != ERR_NOMEM && rc != ERR_EXEC)
		err_wrap("partial aggregation");
out:
	result_set_free(&rs);
	mem_free(sess);
	arena_destroy(a);
	mem_free(t.cols);
	return rc;
}
