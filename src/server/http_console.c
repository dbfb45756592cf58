/*
 * http_console: the web console's assets and the /v1/cluster/ JSON
 * endpoints (contract in http_console.h).
 *
 * Each endpoint runs a few SELECTs over information_schema through the
 * query_handler, copies the first result set of each into a `struct qres`
 * (the handler's results are valid only during emit), and writes JSON
 * objects keyed by column name with json_out_value, so new columns added
 * to those tables by the cluster code reach the console unchanged.
 *
 * Names taken from the URL are checked (no control characters, no quote
 * or backtick, bounded length) before they are put into SQL text, quoted
 * as `ident` or 'literal'.
 */
#include "server/http_console.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "server/json_out.h"

/* ---- assets ---------------------------------------------------------------------- */

const struct console_asset *console_asset_find(const char *rel)
{
	if (!rel || !*rel)
		rel = "index.html";
	if (strchr(rel, '/'))
		return NULL;
	for (size_t i = 0; i < console_nassets; i++)
		if (!strcmp(console_assets[i].name, rel))
			return &console_assets[i];
	return NULL;
}

const char *console_content_type(const char *name)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".json", "application/json"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	};
	const char *dot = name ? strrchr(name, '.') : NULL;
	if (dot)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

/* ---- running SQL ------------------------------------------------------------------- */

/* The first result set of a statement, or its error. */
struct qres {
	bool have_rows;
	struct result_set rs;
	bool failed;
	int gstatus;
	char *errmsg;
	bool oom;
};

static int qres_emit(void *ctx, const struct query_result *q)
{
	struct qres *x = ctx;
	if (x->failed || x->oom)
		return 1;
	if (q->kind == QUERY_ERROR) {
		x->failed = true;
		x->gstatus = q->greptime_status ? q->greptime_status : err_greptime_status(q->err);
		x->errmsg = mem_strdup(q->err_msg ? q->err_msg : err_code_name(q->err));
		if (!x->errmsg)
			x->oom = true;
		return 0;
	}
	if (q->kind != QUERY_ROWS || x->have_rows)
		return 0;
	const struct result_set *rs = &q->rs;
	if (result_set_init(&x->rs, rs->ncols, (const char *const *)rs->names, rs->types))
		goto oom;
	x->have_rows = true;
	for (uint32_t r = 0; r < rs->rows.nrows; r++)
		if (batch_push_row(&x->rs.rows, &rs->rows, r))
			goto oom;
	return 0;
oom:
	x->oom = true;
	return 1;
}

static void qres_free(struct qres *x)
{
	if (x->have_rows)
		result_set_free(&x->rs);
	mem_free(x->errmsg);
	memset(x, 0, sizeof(*x));
}

/* Run sql; on return x holds rows or an error (x->failed). ERR_NOMEM only
 * when even the error could not be recorded. A statement that returns no
 * rows (should not happen for our SELECTs) leaves an empty result. */
static int run_sql(const struct query_handler *h, struct session *s, const char *sql,
                   struct qres *x)
{
	memset(x, 0, sizeof(*x));
	if (!h->execute) {
		x->failed = true;
		x->gstatus = 1003;
		x->errmsg = mem_strdup("SQL is not available on this server");
		return x->errmsg ? ERR_OK : ERR_NOMEM;
	}
	err_clear();
	int rc = h->execute(h->ctx, s, sql, strlen(sql), qres_emit, x);
	if (x->oom)
		return ERR_NOMEM;
	if (!x->failed && rc) {
		x->failed = true;
		x->gstatus = err_greptime_status(rc);
		x->errmsg = mem_strdup(err_msg()[0] ? err_msg() : err_code_name(rc));
		if (!x->errmsg)
			return ERR_NOMEM;
	}
	if (!x->failed && !x->have_rows) {
		if (result_set_init(&x->rs, 0, NULL, NULL))
			return ERR_NOMEM;
		x->have_rows = true;
	}
	return ERR_OK;
}

static int col_index(const struct qres *x, const char *name)
{
	for (uint32_t c = 0; c < x->rs.ncols; c++)
		if (x->rs.names[c] && !strcasecmp(x->rs.names[c], name))
			return (int)c;
	return -1;
}

static uint32_t nrows(const struct qres *x)
{
	return x->have_rows ? x->rs.rows.nrows : 0;
}

/* Integer value of column c in row r; false when absent, null or not an
 * integer column. */
static bool cell_i64(const struct qres *x, int c, uint32_t r, int64_t *out)
{
	if (c < 0 || r >= nrows(x))
		return false;
	const struct colvec *v = &x->rs.rows.cols[c];
	if (colvec_is_null(v, r) || dtype_phys(v->type) != PHYS_I64)
		return false;
	*out = v->i64[r];
	return true;
}

/* String value (NUL-terminated copy into out, truncated); false when absent
 * or null. */
static bool cell_str(const struct qres *x, int c, uint32_t r, char *out, size_t cap)
{
	if (c < 0 || r >= nrows(x))
		return false;
	const struct colvec *v = &x->rs.rows.cols[c];
	if (colvec_is_null(v, r) || dtype_phys(v->type) != PHYS_BYTES)
		return false;
	uint32_t n;
	const char *p = colvec_bytes(v, r, &n);
	if (n >= cap)
		n = (uint32_t)(cap - 1);
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

#define PUTS(b, s) buf_append((b), (s), strlen(s))

static int put_key(struct buf *b, const char *k)
{
	return json_out_string(b, k, strlen(k)) || buf_putc(b, ':') ? ERR_NOMEM : ERR_OK;
}

/* Row r as {"col":value,...} without the closing brace, so callers can add
 * fields. */
static int row_open(struct buf *b, const struct qres *x, uint32_t r)
{
	if (buf_putc(b, '{'))
		return ERR_NOMEM;
	for (uint32_t c = 0; c < x->rs.ncols; c++) {
		if ((c && buf_putc(b, ',')) || put_key(b, x->rs.names[c] ? x->rs.names[c] : "") ||
		    json_out_value(b, &x->rs.rows.cols[c], r))
			return ERR_NOMEM;
	}
	return ERR_OK;
}

static int row_object(struct buf *b, const struct qres *x, uint32_t r)
{
	return row_open(b, x, r) || buf_putc(b, '}') ? ERR_NOMEM : ERR_OK;
}

static bool contains_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);
	for (; *s; s++)
		if (!strncasecmp(s, needle, n))
			return true;
	return false;
}

static bool status_dead(const char *st)
{
	static const char *const words[] = {"dead", "down",        "offline",
	                                    "lost", "unreachable", "inactive"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (contains_ci(st, words[i]))
			return true;
	return false;
}

/* An error answer from a failed query. */
static int answer_error(const struct qres *x, unsigned *status, struct buf *out)
{
	buf_reset(out);
	*status = (unsigned)json_http_status(x->gstatus);
	if (*status == 200)
		*status = 500;
	return json_out_error(out, x->gstatus, x->errmsg ? x->errmsg : "", 0);
}

static int answer_msg(unsigned st, int gstatus, const char *msg, unsigned *status,
                      struct buf *out)
{
	buf_reset(out);
	*status = st;
	return json_out_error(out, gstatus, msg, 0);
}

/* ---- /v1/cluster/nodes ---------------------------------------------------------------- */

static int api_nodes(const struct query_handler *h, struct session *s, unsigned *status,
                     struct buf *out)
{
	struct qres ci, rp;
	int rc = run_sql(h, s, "SELECT * FROM information_schema.cluster_info", &ci);
	memset(&rp, 0, sizeof(rp));
	if (rc)
		goto out;
	if (ci.failed) {
		rc = answer_error(&ci, status, out);
		goto out;
	}
	if ((rc = run_sql(h, s, "SELECT peer_id, is_leader FROM information_schema.region_peers",
	                  &rp)))
		goto out;
	int c_id = col_index(&ci, "peer_id"), c_type = col_index(&ci, "peer_type");
	int c_st = col_index(&ci, "node_status");
	int p_id = col_index(&rp, "peer_id"), p_lead = col_index(&rp, "is_leader");
	if (PUTS(out, "{\"nodes\":[")) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (uint32_t r = 0; r < nrows(&ci); r++) {
		char type[32] = "", st[64] = "";
		int64_t id = -1;
		cell_str(&ci, c_type, r, type, sizeof(type));
		bool has_id = cell_i64(&ci, c_id, r, &id);
		bool dead = cell_str(&ci, c_st, r, st, sizeof(st)) && status_dead(st);
		bool holds = !strcasecmp(type, "DATANODE") || !strcasecmp(type, "STANDALONE");
		if ((r && buf_putc(out, ',')) || row_open(out, &ci, r) ||
		    buf_printf(out, ",\"alive\":%s", dead ? "false" : "true")) {
			rc = ERR_NOMEM;
			goto out;
		}
		if (holds && has_id && !rp.failed && p_id >= 0) {
			uint64_t nl = 0, nf = 0;
			for (uint32_t k = 0; k < nrows(&rp); k++) {
				int64_t pid;
				char lead[8] = "";
				if (!cell_i64(&rp, p_id, k, &pid) || pid != id)
					continue;
				cell_str(&rp, p_lead, k, lead, sizeof(lead));
				if (!strcasecmp(lead, "Yes"))
					nl++;
				else
					nf++;
			}
			rc = buf_printf(out, ",\"leader_regions\":%" PRIu64
			                     ",\"follower_regions\":%" PRIu64 "}",
			                nl, nf);
		} else
			rc = PUTS(out, ",\"leader_regions\":null,\"follower_regions\":null}");
		if (rc) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
	if (PUTS(out, "]}")) {
		rc = ERR_NOMEM;
		goto out;
	}
	*status = 200;
out:
	qres_free(&ci);
	qres_free(&rp);
	return rc;
}

/* ---- /v1/cluster/lag -------------------------------------------------------------------- */

static int api_lag(const struct query_handler *h, struct session *s, unsigned *status,
                   struct buf *out)
{
	struct qres q;
	int rc = run_sql(h, s, "SELECT * FROM information_schema.region_replicas", &q);
	if (rc)
		goto out;
	if (q.failed) {
		rc = answer_error(&q, status, out);
		goto out;
	}
	int c_role = col_index(&q, "role"), c_vb = col_index(&q, "versions_behind");
	int c_ms = col_index(&q, "ms_since_sync");
	int64_t max_vb = 0, max_ms = 0;
	if (PUTS(out, "{\"replicas\":[")) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (uint32_t r = 0; r < nrows(&q); r++) {
		char role[32] = "";
		int64_t v;
		cell_str(&q, c_role, r, role, sizeof(role));
		if (strcasecmp(role, "leader")) {
			if (cell_i64(&q, c_vb, r, &v) && v > max_vb)
				max_vb = v;
			if (cell_i64(&q, c_ms, r, &v) && v > max_ms)
				max_ms = v;
		}
		if ((r && buf_putc(out, ',')) || row_object(out, &q, r)) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
	if (buf_printf(out, "],\"max_versions_behind\":%" PRId64 ",\"max_ms_since_sync\":%" PRId64
	                    "}",
	               max_vb, max_ms)) {
		rc = ERR_NOMEM;
		goto out;
	}
	*status = 200;
out:
	qres_free(&q);
	return rc;
}

/* ---- /v1/cluster/tables/{schema}/{table}/regions ----------------------------------------- */

#define NAME_MAX_LEN 127

/* Copy the next path segment of *p (up to '/' or the end) into out; false
 * when it is empty, too long, or has a character we will not put in SQL. */
static bool take_segment(const char **p, char *out)
{
	size_t n = 0;
	const char *s = *p;
	while (s[n] && s[n] != '/') {
		unsigned char ch = (unsigned char)s[n];
		if (ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '`' || ch == '"' || ch == '\\' ||
		    n >= NAME_MAX_LEN)
			return false;
		out[n] = (char)ch;
		n++;
	}
	if (!n)
		return false;
	out[n] = '\0';
	*p = s + n;
	return true;
}

/* Index of the stats column that names the peer, if the table has one. */
static int peer_col(const struct qres *x)
{
	static const char *const names[] = {"peer_id", "node_id", "datanode_id"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int c = col_index(x, names[i]);
		if (c >= 0)
			return c;
	}
	return -1;
}

/* Row of x with region_id == rid (and, when pc >= 0, peer == pid; when
 * role is set, the role column equal to it); -1 if none. */
static int find_row(const struct qres *x, uint64_t rid, int pc, int64_t pid,
                    const char *role_col, const char *role)
{
	int c_rid = col_index(x, "region_id");
	int c_role = role_col ? col_index(x, role_col) : -1;
	for (uint32_t r = 0; r < nrows(x); r++) {
		int64_t v;
		if (!cell_i64(x, c_rid, r, &v) || (uint64_t)v != rid)
			continue;
		if (pc >= 0 && (!cell_i64(x, pc, r, &v) || v != pid))
			continue;
		if (role && c_role >= 0) {
			char got[32] = "";
			cell_str(x, c_role, r, got, sizeof(got));
			if (strcasecmp(got, role))
				continue;
		}
		return (int)r;
	}
	return -1;
}

static int put_row_or_null(struct buf *b, const struct qres *x, int r)
{
	if (r < 0)
		return PUTS(b, "null") ? ERR_NOMEM : ERR_OK;
	return row_object(b, x, (uint32_t)r);
}

struct regions_q {
	struct qres desc, peers, stats, reps;
};

static int regions_json(struct regions_q *q, const char *schema, const char *table,
                        struct buf *out)
{
	const struct qres *pe = &q->peers;
	int c_rid = col_index(pe, "region_id"), c_pid = col_index(pe, "peer_id");
	int c_addr = col_index(pe, "peer_addr"), c_lead = col_index(pe, "is_leader");
	int c_st = col_index(pe, "status"), c_down = col_index(pe, "down_seconds");
	int s_peer = q->stats.failed ? -1 : peer_col(&q->stats);
	bool reps = !q->reps.failed;
	int r_peer = reps ? col_index(&q->reps, "peer_id") : -1;
	int64_t first_rid = 0;
	bool any = cell_i64(pe, c_rid, 0, &first_rid);

	if (PUTS(out, "{\"schema\":") || json_out_string(out, schema, strlen(schema)) ||
	    PUTS(out, ",\"table\":") || json_out_string(out, table, strlen(table)))
		return ERR_NOMEM;
	if (any ? buf_printf(out, ",\"table_id\":%" PRIu64, (uint64_t)first_rid >> 32)
	        : PUTS(out, ",\"table_id\":null"))
		return ERR_NOMEM;
	if (buf_printf(out, ",\"replicas_available\":%s", reps ? "true" : "false"))
		return ERR_NOMEM;
	if (!reps && (PUTS(out, ",\"replicas_error\":") ||
	              json_out_string(out, q->reps.errmsg ? q->reps.errmsg : "",
	                              q->reps.errmsg ? strlen(q->reps.errmsg) : 0)))
		return ERR_NOMEM;
	if (PUTS(out, ",\"regions\":["))
		return ERR_NOMEM;
	uint32_t n = nrows(pe);
	bool first_region = true;
	for (uint32_t r = 0; r < n; r++) {
		int64_t rid;
		if (!cell_i64(pe, c_rid, r, &rid))
			continue;
		/* a region's peers may not be adjacent; emit each region once,
		 * at its first row */
		bool seen = false;
		for (uint32_t k = 0; k < r && !seen; k++) {
			int64_t o;
			seen = cell_i64(pe, c_rid, k, &o) && o == rid;
		}
		if (seen)
			continue;
		int lead_stats = q->stats.failed ? -1
		                                 : find_row(&q->stats, (uint64_t)rid, -1, 0,
		                                            "region_role", "Leader");
		if (lead_stats < 0 && !q->stats.failed)
			lead_stats = find_row(&q->stats, (uint64_t)rid, -1, 0, NULL, NULL);
		if ((!first_region && buf_putc(out, ',')) ||
		    buf_printf(out, "{\"region_id\":%" PRIu64 ",\"region_number\":%" PRIu64
		                    ",\"stats\":",
		               (uint64_t)rid, (uint64_t)rid & 0xffffffffu) ||
		    put_row_or_null(out, &q->stats, lead_stats) || PUTS(out, ",\"peers\":["))
			return ERR_NOMEM;
		first_region = false;
		bool first_peer = true;
		/* leader rows first, then followers, each in table order */
		for (int pass = 0; pass < 2; pass++)
			for (uint32_t k = r; k < n; k++) {
				int64_t o, pid = -1, down;
				char lead[8] = "", addr[256] = "", st[64] = "";
				if (!cell_i64(pe, c_rid, k, &o) || o != rid)
					continue;
				cell_str(pe, c_lead, k, lead, sizeof(lead));
				bool is_leader = !strcasecmp(lead, "Yes");
				if (is_leader != (pass == 0))
					continue;
				bool has_pid = cell_i64(pe, c_pid, k, &pid);
				cell_str(pe, c_addr, k, addr, sizeof(addr));
				bool has_st = cell_str(pe, c_st, k, st, sizeof(st));
				int srow = -1, rrow = -1;
				if (has_pid && s_peer >= 0)
					srow = find_row(&q->stats, (uint64_t)rid, s_peer, pid, NULL,
					                NULL);
				else if (is_leader)
					srow = lead_stats;
				if (has_pid && reps && r_peer >= 0)
					rrow = find_row(&q->reps, (uint64_t)rid, r_peer, pid, NULL, NULL);
				if ((!first_peer && buf_putc(out, ',')) || PUTS(out, "{\"peer_id\":") ||
				    (has_pid ? buf_printf(out, "%" PRId64, pid) : PUTS(out, "null")) ||
				    PUTS(out, ",\"peer_addr\":") ||
				    json_out_string(out, addr, strlen(addr)) ||
				    buf_printf(out, ",\"role\":\"%s\",\"status\":",
				               is_leader ? "leader" : "follower") ||
				    (has_st ? json_out_string(out, st, strlen(st))
				            : PUTS(out, "null")) ||
				    PUTS(out, ",\"down_seconds\":") ||
				    (cell_i64(pe, c_down, k, &down) ? buf_printf(out, "%" PRId64, down)
				                                    : PUTS(out, "null")) ||
				    PUTS(out, ",\"stats\":") || put_row_or_null(out, &q->stats, srow) ||
				    PUTS(out, ",\"replica\":") || put_row_or_null(out, &q->reps, rrow) ||
				    buf_putc(out, '}'))
					return ERR_NOMEM;
				first_peer = false;
			}
		if (PUTS(out, "]}"))
			return ERR_NOMEM;
	}
	return PUTS(out, "]}") ? ERR_NOMEM : ERR_OK;
}

static int api_regions(const struct query_handler *h, struct session *s, const char *rest,
                       unsigned *status, struct buf *out)
{
	char schema[NAME_MAX_LEN + 1], table[NAME_MAX_LEN + 1];
	const char *p = rest;
	if (!take_segment(&p, schema) || *p++ != '/' || !take_segment(&p, table) ||
	    strcmp(p, "/regions"))
		return answer_msg(400, 1004,
		                  "Invalid path: expected /v1/cluster/tables/{schema}/{table}/regions "
		                  "with names free of quotes, backslashes and control characters",
		                  status, out);
	struct regions_q q;
	memset(&q, 0, sizeof(q));
	char sql[1024];
	int rc;
	snprintf(sql, sizeof(sql), "DESC TABLE `%s`.`%s`", schema, table);
	if ((rc = run_sql(h, s, sql, &q.desc)))
		goto out;
	if (q.desc.failed) {
		rc = answer_error(&q.desc, status, out);
		goto out;
	}
	snprintf(sql, sizeof(sql),
	         "SELECT region_id, peer_id, peer_addr, is_leader, status, down_seconds FROM "
	         "information_schema.region_peers WHERE table_schema = '%s' AND table_name = '%s'",
	         schema, table);
	if ((rc = run_sql(h, s, sql, &q.peers)))
		goto out;
	if (q.peers.failed) {
		rc = answer_error(&q.peers, status, out);
		goto out;
	}
	int64_t rid = 0;
	if (cell_i64(&q.peers, col_index(&q.peers, "region_id"), 0, &rid)) {
		uint64_t tid = (uint64_t)rid >> 32;
		snprintf(sql, sizeof(sql),
		         "SELECT * FROM information_schema.region_statistics WHERE table_id = %" PRIu64,
		         tid);
		if ((rc = run_sql(h, s, sql, &q.stats)))
			goto out;
		snprintf(sql, sizeof(sql),
		         "SELECT * FROM information_schema.region_replicas WHERE region_id >= %" PRIu64
		         " AND region_id < %" PRIu64,
		         tid << 32, (tid + 1) << 32);
		if ((rc = run_sql(h, s, sql, &q.reps)))
			goto out;
	} else {
		q.stats.failed = true;
		q.reps.failed = true;
	}
	if ((rc = regions_json(&q, schema, table, out)))
		goto out;
	*status = 200;
out:
	qres_free(&q.desc);
	qres_free(&q.peers);
	qres_free(&q.stats);
	qres_free(&q.reps);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

int http_cluster_api(const struct query_handler *h, struct session *s, const char *sub,
                     unsigned *status, struct buf *out)
{
	buf_reset(out);
	*status = 500;
	int rc;
	if (!strcmp(sub, "nodes"))
		rc = api_nodes(h, s, status, out);
	else if (!strcmp(sub, "lag"))
		rc = api_lag(h, s, status, out);
	else if (!strncmp(sub, "tables/", 7))
		rc = api_regions(h, s, sub + 7, status, out);
	else {
		char msg[256];
		snprintf(msg, sizeof(msg), "Not found: /v1/cluster/%.120s", sub);
		rc = answer_msg(404, 1004, msg, status, out);
	}
	if (rc)
		buf_reset(out);
	return rc;
}
