/*
 * regions: the one place where the frontend touches regions and the
 * cluster's nodes. Two paths behind every function:
 *
 *   standalone  (fe->cc == NULL) the in-process region_server of this
 *               node (datanode 0) and the catalog in fe->kv; every region
 *               is a leader here, there are no followers.
 *   cluster     (fe->cc != NULL) the cluster_client: DDL and follower
 *               procedures run on the metasrv (it owns routes and places
 *               leaders round-robin), region writes go to the leader,
 *               region reads to the peer READ_PREFERENCE picks.
 *
 * Invariants: a table's metadata is removed before its regions (a crash in
 * between leaves only unreferenced files); a standalone CREATE that fails
 * to create a region removes the regions it made and the metadata.
 *
 * Region scans in a cluster stream: fe_region_scan_open opens a
 * region_reader (cluster/cluster_client.h) on the peer READ_PREFERENCE
 * picks and reads its first frame; each fe_region_scan_next reads the
 * next frame from that peer's connection and hands its batch to the
 * engine. The reader owns the connection until the answer's final frame;
 * fe_region_scan_close before that (LIMIT, an error elsewhere in the
 * query) drops the connection. Buffered: the one batch handed out last
 * (it stays valid until the next call), and that is what is charged to
 * the session's memory budget - never the whole answer. Frames are asked
 * to be at most FE_CHUNK_BYTES, or an eighth of the statement's memory
 * limit when smaller. The statement's deadline bounds every wait for a
 * frame, and the peer gets the time left and the memory limit for a
 * pushed-down aggregation (RegionScanRequest.timeout_ms / mem_limit).
 * Retries (follower_preferred -> leader, follower without its leader's
 * address) happen only inside open, before any row was received; a
 * failure afterwards is the query's error, never a silently shorter or
 * duplicated answer.
 *
 * Partial aggregation (fe_region_partial_open, cluster only): the chosen
 * peer runs the statement's per-region partial query over the rows it
 * would have sent (sql/plan_pushdown.c, datanode/partial_agg.c) and the
 * answer is those partial rows; peer choice, fallbacks, streaming, read
 * counters and the memory charge are the scan's.
 *
 * Read counters (region_replicas.reads_served): one entry per (region,
 * peer) this frontend routed a scan to, in a small array under reads_mu;
 * entries of dropped tables stay (a few dozen bytes each).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "datanode/region_server.h"
#include "frontend/frontend_int.h"

bool fe_is_cluster(const struct frontend *fe)
{
	return fe->cc != NULL;
}

/* ---- DDL ------------------------------------------------------------------- */

static int standalone_drop_regions(struct frontend *fe, const struct table_route *route)
{
	int first = ERR_OK;
	for (uint32_t i = 0; route && i < route->nregions; i++) {
		uint64_t rid = route->regions[i].region_id;
		if (!region_server_has(fe->rs, rid))
			continue;
		int rc = region_server_drop(fe->rs, rid);
		if (rc && !first) {
			first = rc;
			log_warn("drop region %" PRIu64 ": %s", rid, err_msg());
		}
	}
	return first;
}

static int standalone_create(struct frontend *fe, struct table_info *t, uint32_t nregions,
                             bool if_not_exists, bool *created)
{
	struct table_route *r = mem_calloc(1, sizeof(*r));
	if (!r || !(r->regions = mem_calloc(nregions, sizeof(*r->regions)))) {
		mem_free(r);
		return ERR_NOMEM;
	}
	r->nregions = nregions;
	for (uint32_t i = 0; i < nregions; i++)
		r->regions[i].leader = fe->node_id;
	int rc = catalog_create_table(fe->kv, t, r, if_not_exists, created);
	if (rc || !*created)
		goto out;
	for (uint32_t i = 0; rc == ERR_OK && i < r->nregions; i++) {
		char dir[1024];
		uint64_t rid = r->regions[i].region_id;
		rc = region_dir_format(dir, sizeof(dir), t->catalog, t->schema, rid);
		if (rc == ERR_OK)
			rc = region_server_create(fe->rs, rid, dir, t->region_schema);
	}
	if (rc) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", err_msg());
		standalone_drop_regions(fe, r);
		catalog_drop_table(fe->kv, t);
		*created = false;
		err_set(rc, "%s", msg);
	}
out:
	table_route_free(r);
	return rc;
}

int fe_regions_create_table(struct frontend *fe, struct table_info *t, uint32_t nregions,
                            bool if_not_exists, bool *created)
{
	*created = false;
	if (nregions == 0)
		nregions = 1;
	if (!fe->cc)
		return standalone_create(fe, t, nregions, if_not_exists, created);
	/* the metasrv allocates the id, places leaders, creates the regions;
	 * table_info says how many regions through its rules */
	return cluster_client_create_table(fe->cc, t, NULL, 0, if_not_exists, created, NULL);
}

int fe_regions_drop_table(struct frontend *fe, const struct table_info *t)
{
	if (fe->cc)
		return cluster_client_drop_table(fe->cc, t->table_id);
	struct table_route *route = NULL;
	int rc = catalog_get_route(fe->kv, t->table_id, &route);
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	err_clear();
	rc = catalog_drop_table(fe->kv, t);
	if (rc == ERR_OK && standalone_drop_regions(fe, route))
		log_warn("dropping table %s: %s (its metadata is gone; files stay for GC)", t->name,
		         err_msg());
	table_route_free(route);
	return rc;
}

int fe_regions_truncate_table(struct frontend *fe, const struct table_info *t,
                              const struct table_route *route)
{
	if (fe->cc)
		return cluster_client_truncate_table(fe->cc, t->table_id);
	int rc = ERR_OK;
	for (uint32_t i = 0; rc == ERR_OK && i < route->nregions; i++)
		rc = region_server_truncate(fe->rs, route->regions[i].region_id);
	return rc;
}

/* ---- writes and region admin ---------------------------------------------------- */

int fe_region_write(struct frontend *fe, const struct region_route *rr, const struct batch *rows,
                    enum op_type op, uint64_t schema_version)
{
	if (!fe->cc)
		return region_server_write_at(fe->rs, rr->region_id, rows, op, true,
		                              schema_version);
	uint64_t affected = 0;
	return cluster_client_region_write_at(fe->cc, rr, op, rows, schema_version, &affected);
}

/* The route of the region's table, and the region in it. */
static int region_leader(struct frontend *fe, uint64_t region_id, uint64_t *leader)
{
	struct table_route *route = NULL;
	int rc = cluster_client_get_route(fe->cc, REGION_TABLE_ID(region_id), &route);
	if (rc == ERR_OK) {
		rc = ERR_NOT_FOUND;
		for (uint32_t i = 0; i < route->nregions; i++)
			if (route->regions[i].region_id == region_id) {
				*leader = route->regions[i].leader;
				rc = ERR_OK;
			}
	}
	table_route_free(route);
	if (rc == ERR_NOT_FOUND) {
		char name[64];
		region_id_format(name, sizeof(name), region_id);
		return err_set(ERR_NOT_FOUND, "Region %s not found", name);
	}
	return rc;
}

int fe_region_flush(struct frontend *fe, uint64_t region_id)
{
	if (!fe->cc)
		return region_server_flush(fe->rs, region_id);
	uint64_t leader;
	int rc = region_leader(fe, region_id, &leader);
	return rc ? rc : cluster_client_region_flush(fe->cc, leader, region_id);
}

int fe_region_compact(struct frontend *fe, uint64_t region_id)
{
	if (!fe->cc)
		return region_server_compact(fe->rs, region_id, true);
	uint64_t leader;
	int rc = region_leader(fe, region_id, &leader);
	return rc ? rc : cluster_client_region_compact(fe->cc, leader, region_id, true);
}

/* ---- read counters ------------------------------------------------------------------ */

static void count_read(struct frontend *fe, uint64_t region_id, uint64_t node_id)
{
	pthread_mutex_lock(&fe->reads_mu);
	for (uint32_t i = 0; i < fe->nreads; i++)
		if (fe->reads[i].region_id == region_id && fe->reads[i].node_id == node_id) {
			fe->reads[i].reads++;
			goto out;
		}
	if (fe->nreads == fe->reads_cap) {
		uint32_t cap = fe->reads_cap ? fe->reads_cap * 2 : 16;
		struct fe_read_count *n = mem_realloc(fe->reads, cap * sizeof(*n));
		if (!n)
			goto out; /* a lost count, not a failed read */
		fe->reads = n;
		fe->reads_cap = cap;
	}
	fe->reads[fe->nreads++] = (struct fe_read_count){region_id, node_id, 1};
out:
	pthread_mutex_unlock(&fe->reads_mu);
}

uint64_t fe_reads_served(struct frontend *fe, uint64_t region_id, uint64_t node_id)
{
	uint64_t v = 0;
	pthread_mutex_lock(&fe->reads_mu);
	for (uint32_t i = 0; i < fe->nreads; i++)
		if (fe->reads[i].region_id == region_id && fe->reads[i].node_id == node_id)
			v = fe->reads[i].reads;
	pthread_mutex_unlock(&fe->reads_mu);
	return v;
}

/* ---- scans ------------------------------------------------------------------------------ */

/* Largest frame a streamed region answer is asked to use (bytes). */
#define FE_CHUNK_BYTES (1u << 20)
#define FE_CHUNK_MIN   (4u << 10)

struct fe_scan {
	uint32_t ncols;
	struct session *session; /* charged for `cur` (memory budget) */
	uint64_t charged;
	struct sorted_source *src; /* standalone */
	struct region_reader *rd;  /* cluster: the peer's answer, streamed */
	struct batch cur;          /* cluster: the batch handed out last */
	struct batch view;
};

static int no_follower(uint64_t region_id)
{
	return fe_fail(GT_TABLE_UNAVAILABLE, ERR_UNAVAILABLE,
	               "Failed to find region peer for region id %" PRIu64
	               "(%u, %u), read preference: FOLLOWER",
	               region_id, REGION_TABLE_ID(region_id), REGION_NUMBER(region_id));
}

static void read_limits(const struct session *session, struct region_read_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->chunk_bytes = FE_CHUNK_BYTES;
	if (!session)
		return;
	lim->deadline_ms = session->deadline_ms;
	lim->mem_limit = session->mem_limit;
	if (session->mem_limit && session->mem_limit / 8 < FE_CHUNK_BYTES)
		lim->chunk_bytes = session->mem_limit / 8 < FE_CHUNK_MIN
		                       ? FE_CHUNK_MIN
		                       : (uint32_t)(session->mem_limit / 8);
}

static int region_open(struct frontend *fe, struct session *session,
                       const struct region_route *rr, int pref, const struct scan_request *req,
                       const struct region_schema *schema, const struct partial_agg_req *pa,
                       struct fe_scan **out, struct fe_served *served)
{
	*out = NULL;
	struct fe_scan *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->ncols = schema->ncols;
	s->session = session;
	struct fe_served who = {rr->leader, true};
	int rc;
	if (!fe->cc && pa) {
		rc = err_set(ERR_UNSUPPORTED, "partial aggregation pushdown needs a cluster");
	} else if (!fe->cc) {
		/* this process holds leaders only */
		if (pref == READ_PREF_FOLLOWER && rr->nfollowers == 0) {
			rc = no_follower(rr->region_id);
			goto fail;
		}
		rc = region_server_scan(fe->rs, rr->region_id, req, &s->src);
	} else {
		struct peer_choice pc;
		struct region_read_limits lim;
		read_limits(session, &lim);
		struct rpc_partial_agg agg;
		if (pa)
			agg = (struct rpc_partial_agg){
			    .sql = pa->sql,
			    .protocol = session ? (uint32_t)session->protocol : SESSION_MYSQL,
			    .time_zone = session ? session->time_zone : "",
			    .now_ms = pa->now_ms};
		rc = cluster_client_region_read_open(fe->cc, rr, (enum read_preference)pref, req,
		                                     schema, pa ? &agg : NULL, pa ? pa->ncols : 0,
		                                     pa ? pa->types : NULL, &lim, &s->rd, &pc);
		if (rc == ERR_UNAVAILABLE && pref == READ_PREF_FOLLOWER &&
		    strstr(err_msg(), "No available follower")) {
			char detail[512];
			snprintf(detail, sizeof(detail), "%s", err_msg());
			rc = no_follower(rr->region_id);
			log_info("%s", detail);
		}
		if (rc == ERR_OK) {
			who.node_id = pc.node_id;
			who.is_leader = pc.is_leader;
		}
	}
	if (rc)
		goto fail;
	count_read(fe, rr->region_id, who.node_id);
	if (served)
		*served = who;
	*out = s;
	return ERR_OK;
fail:
	fe_region_scan_close(s);
	return rc;
}

int fe_region_scan_open(struct frontend *fe, struct session *session,
                        const struct region_route *rr, int pref, const struct scan_request *req,
                        const struct region_schema *schema, struct fe_scan **out,
                        struct fe_served *served)
{
	return region_open(fe, session, rr, pref, req, schema, NULL, out, served);
}

int fe_region_partial_open(struct frontend *fe, struct session *session,
                           const struct region_route *rr, int pref,
                           const struct scan_request *req, const struct region_schema *schema,
                           const struct partial_agg_req *pa, struct fe_scan **out,
                           struct fe_served *served)
{
	return region_open(fe, session, rr, pref, req, schema, pa, out, served);
}

/* Drop the batch handed out last and its charge. */
static void drop_cur(struct fe_scan *s)
{
	if (s->cur.cols)
		batch_free(&s->cur);
	memset(&s->cur, 0, sizeof(s->cur));
	if (s->charged)
		session_mem_charge(s->session, -(int64_t)s->charged);
	s->charged = 0;
}

int fe_region_scan_next(struct fe_scan *s, const struct batch **out)
{
	*out = NULL;
	if (s->rd) {
		drop_cur(s);
		bool end;
		int rc = region_reader_next(s->rd, &s->cur, &end);
		if (rc || end)
			return rc;
		s->charged = batch_mem_size(&s->cur);
		if ((rc = session_mem_charge(s->session, (int64_t)s->charged)))
			return rc;
		*out = &s->cur;
		return ERR_OK;
	}
	if (!s->src)
		return ERR_OK;
	for (;;) {
		const struct batch *b;
		int rc = sorted_source_next(s->src, &b);
		if (rc || !b)
			return rc;
		if (b->nrows == 0)
			continue;
		/* internal batches: user columns first */
		s->view.nrows = b->nrows;
		s->view.ncols = s->ncols;
		s->view.cols = b->cols;
		*out = &s->view;
		return ERR_OK;
	}
}

void fe_region_scan_close(struct fe_scan *s)
{
	if (!s)
		return;
	sorted_source_close(s->src);
	region_reader_close(s->rd); /* before its end: drops the connection */
	drop_cur(s);
	mem_free(s);
}

/* ---- nodes and stats -------------------------------------------------------------------- */

void fe_nodes_free(struct fe_nodes *n)
{
	mem_free(n->nodes);
	mem_free(n->stats);
	memset(n, 0, sizeof(*n));
}

static int standalone_nodes(struct frontend *fe, struct fe_nodes *out)
{
	struct region_stat *st = NULL;
	uint32_t nst = 0;
	int rc = region_server_stats(fe->rs, &st, &nst);
	if (rc)
		return rc;
	out->nodes = mem_calloc(1, sizeof(*out->nodes));
	out->stats = mem_calloc(nst ? nst : 1, sizeof(*out->stats));
	if (!out->nodes || !out->stats) {
		mem_free(st);
		fe_nodes_free(out);
		return ERR_NOMEM;
	}
	out->n = 1;
	out->nodes[0].id = fe->node_id;
	out->nodes[0].type = CLUSTER_NODE_DATANODE;
	snprintf(out->nodes[0].addr, sizeof(out->nodes[0].addr), "%s", fe->peer_addr);
	out->nodes[0].status = NODE_ALIVE;
	out->nodes[0].start_time_ms = fe->start_ms;
	out->nodes[0].last_heartbeat_ms = out->now_ms;
	for (uint32_t i = 0; i < nst; i++) {
		out->stats[i].node_id = fe->node_id;
		out->stats[i].st = st[i];
	}
	out->nstats = nst;
	mem_free(st);
	return ERR_OK;
}

int fe_nodes_get(struct frontend *fe, struct fe_nodes *out)
{
	memset(out, 0, sizeof(*out));
	out->now_ms = clock_now_ms();
	if (!fe->cc)
		return standalone_nodes(fe, out);
	struct cluster_nodes cn;
	int rc = cluster_client_nodes(fe->cc, &cn);
	if (rc)
		return rc;
	uint32_t nst = 0;
	for (uint32_t i = 0; i < cn.n; i++)
		if (cn.nodes[i].type == CLUSTER_NODE_DATANODE)
			nst += cn.nodes[i].nstats;
	out->nodes = mem_calloc(cn.n ? cn.n : 1, sizeof(*out->nodes));
	out->stats = mem_calloc(nst ? nst : 1, sizeof(*out->stats));
	if (!out->nodes || !out->stats) {
		cluster_nodes_free(&cn);
		fe_nodes_free(out);
		return ERR_NOMEM;
	}
	out->now_ms = cn.now_ms;
	for (uint32_t i = 0; i < cn.n; i++) {
		const struct cluster_node *nd = &cn.nodes[i];
		struct fe_node *o = &out->nodes[out->n++];
		o->id = nd->id;
		o->type = (int)nd->type;
		snprintf(o->addr, sizeof(o->addr), "%s", nd->addr ? nd->addr : "");
		o->status = (int)nd->status;
		o->start_time_ms = nd->start_time_ms;
		o->last_heartbeat_ms = nd->last_heartbeat_ms;
		if (nd->type != CLUSTER_NODE_DATANODE)
			continue;
		for (uint32_t k = 0; k < nd->nstats; k++) {
			out->stats[out->nstats].node_id = nd->id;
			out->stats[out->nstats].st = nd->stats[k];
			out->nstats++;
		}
	}
	cluster_nodes_free(&cn);
	return ERR_OK;
}

const char *fe_nodes_addr(const struct fe_nodes *n, uint64_t id)
{
	for (uint32_t i = 0; i < n->n; i++)
		if (n->nodes[i].type == CLUSTER_NODE_DATANODE && n->nodes[i].id == id)
			return n->nodes[i].addr;
	return "";
}

const struct region_stat *fe_nodes_stat(const struct fe_nodes *n, uint64_t node_id,
                                        uint64_t region_id)
{
	for (uint32_t i = 0; i < n->nstats; i++)
		if (n->stats[i].node_id == node_id && n->stats[i].st.region_id == region_id)
			return &n->stats[i].st;
	return NULL;
}

/* ---- followers ----------------------------------------------------------------------------- */

int fe_follower_proc(struct frontend *fe, enum fe_follower_op op, uint32_t table_id,
                     uint64_t region_id, uint64_t datanode_id, const uint64_t *dns, uint32_t ndns,
                     uint32_t *changes)
{
	*changes = 0;
	if (!fe->cc)
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Not supported: region followers need a cluster; this standalone "
		               "server has no other datanode to hold a follower");
	struct follower_result r;
	memset(&r, 0, sizeof(r));
	int rc;
	switch (op) {
	case FE_ADD_TABLE_FOLLOWER:
		rc = cluster_client_add_table_follower(fe->cc, table_id, dns, ndns, &r);
		break;
	case FE_REMOVE_TABLE_FOLLOWER:
		rc = cluster_client_remove_table_follower(fe->cc, table_id, &r);
		break;
	case FE_ADD_REGION_FOLLOWER:
		rc = cluster_client_add_region_follower(fe->cc, region_id, datanode_id, &r);
		break;
	default:
		rc = cluster_client_remove_region_follower(fe->cc, region_id, datanode_id, &r);
		break;
	}
	if (rc == ERR_OK)
		*changes = r.n;
	follower_result_free(&r);
	return rc;
}
