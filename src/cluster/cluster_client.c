/*
 * cluster_client: the frontend side of a cluster. See cluster_client.h.
 *
 * State: the metasrv connection (meta_conn), the remote kv, one pooled
 * rpc_client per datanode address (created on first use, kept until
 * close), and a cache of the cluster's nodes (cluster_info) trusted for
 * node_cache_ms, then refetched. The cache is swapped whole under mu; an
 * RPC never runs under mu.
 *
 * Scan rows: a datanode's region_scan reply holds the projected user
 * columns only (all of them without a projection); they are checked
 * against the region schema (count and types: a peer's answer is untrusted
 * input) and widened back to the schema's columns, leaving the columns out
 * of the projection empty.
 *
 * Region reads with a peer choice are region_readers (rules in
 * cluster_client.h): an rpc_scan_stream on the chosen peer, opened and its
 * first frame read inside cluster_client_region_read_open, where the
 * READ_PREFERENCE fallbacks happen; afterwards one frame per
 * region_reader_next. cluster_client_read_region(_agg) collect a reader.
 */
#include "cluster/cluster_client.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "cluster/cluster_int.h"
#include "meta/catalog.h"
#include "meta/kv.h"

/* ---- names and small codecs ---------------------------------------------- */

const char *cluster_node_type_name(unsigned t)
{
	switch (t) {
	case CLUSTER_NODE_DATANODE:
		return "DATANODE";
	case CLUSTER_NODE_FRONTEND:
		return "FRONTEND";
	case CLUSTER_NODE_METASRV:
		return "METASRV";
	}
	return "UNKNOWN";
}

const char *node_status_name(unsigned s)
{
	switch (s) {
	case NODE_JOINING:
		return "JOINING";
	case NODE_ALIVE:
		return "ALIVE";
	case NODE_SUSPECT:
		return "SUSPECT";
	case NODE_DEAD:
		return "DEAD";
	}
	return "UNKNOWN";
}

void region_id_format(char *out, size_t n, uint64_t region_id)
{
	snprintf(out, n, "%" PRIu64 "(%" PRIu32 ", %" PRIu32 ")", region_id,
	         REGION_TABLE_ID(region_id), REGION_NUMBER(region_id));
}

/* ---- client ----------------------------------------------------------------- */

struct peer {
	char addr[128];
	struct rpc_client *c;
};

struct cluster_client {
	struct meta_conn mc;
	struct kv *kv;
	int node_cache_ms;
	int request_timeout_ms;
	pthread_mutex_t mu;
	struct peer *peers;
	size_t npeers, cappeers;
	struct cluster_nodes nodes;
	int64_t nodes_at_ns; /* monotonic; 0 = none */
	uint64_t rand;
};

int cluster_client_open(const struct cluster_client_options *o, struct cluster_client **out)
{
	*out = NULL;
	struct cluster_client *cc = mem_calloc(1, sizeof(*cc));
	if (!cc)
		return ERR_NOMEM;
	cc->node_cache_ms = o->node_cache_ms > 0 ? o->node_cache_ms : 1000;
	cc->request_timeout_ms = o->request_timeout_ms;
	cc->rand = o->seed ? o->seed : (uint64_t)clock_mono_ns() | 1;
	pthread_mutex_init(&cc->mu, NULL);
	int rc = meta_conn_open(o->metasrv_addrs, o->request_timeout_ms, &cc->mc);
	if (rc == ERR_OK)
		rc = kv_open_remote(o->metasrv_addrs, &cc->kv);
	if (rc) {
		cluster_client_close(cc);
		return rc;
	}
	*out = cc;
	return ERR_OK;
}

void cluster_client_close(struct cluster_client *cc)
{
	if (!cc)
		return;
	for (size_t i = 0; i < cc->npeers; i++)
		rpc_client_destroy(cc->peers[i].c);
	mem_free(cc->peers);
	cluster_nodes_free(&cc->nodes);
	kv_close(cc->kv);
	meta_conn_close(&cc->mc);
	pthread_mutex_destroy(&cc->mu);
	mem_free(cc);
}

struct kv *cluster_client_kv(struct cluster_client *cc)
{
	return cc->kv;
}

static int peer_by_addr(struct cluster_client *cc, const char *addr, struct rpc_client **out)
{
	int rc = ERR_OK;
	pthread_mutex_lock(&cc->mu);
	for (size_t i = 0; i < cc->npeers; i++)
		if (!strcmp(cc->peers[i].addr, addr)) {
			*out = cc->peers[i].c;
			goto out;
		}
	void *p = cc->peers;
	if ((rc = mem_grow(&p, &cc->cappeers, cc->npeers + 1, sizeof(*cc->peers))))
		goto out;
	cc->peers = p;
	struct rpc_client_options o;
	rpc_client_options_init(&o);
	if (cc->request_timeout_ms > 0)
		o.request_timeout_ms = cc->request_timeout_ms;
	if ((rc = rpc_client_create(addr, &o, out)))
		goto out;
	snprintf(cc->peers[cc->npeers].addr, sizeof(cc->peers[0].addr), "%s", addr);
	cc->peers[cc->npeers++].c = *out;
out:
	pthread_mutex_unlock(&cc->mu);
	return rc;
}

/* ---- nodes ---------------------------------------------------------------------- */

void cluster_nodes_free(struct cluster_nodes *n)
{
	for (uint32_t i = 0; n && i < n->n; i++) {
		mem_free(n->nodes[i].addr);
		mem_free(n->nodes[i].stats);
	}
	if (n) {
		mem_free(n->nodes);
		memset(n, 0, sizeof(*n));
	}
}

static int node_decode(const RPC_PB(NodeInfo) * p, struct cluster_node *nd)
{
	if (!p)
		return err_set(ERR_PROTOCOL, "cluster_info: missing node");
	if (p->type > CLUSTER_NODE_METASRV || p->status > NODE_DEAD)
		return err_set(ERR_PROTOCOL, "cluster_info: node %" PRIu64 " type %u status %u",
		               p->id, p->type, p->status);
	if (p->n_stats > 1000000)
		return err_set(ERR_PROTOCOL, "cluster_info: too many stats");
	nd->type = (enum cluster_node_type)p->type;
	nd->id = p->id;
	nd->status = (enum node_status)p->status;
	nd->start_time_ms = p->start_time_ms;
	nd->last_heartbeat_ms = p->last_heartbeat_ms;
	nd->heartbeat_interval_ms = p->heartbeat_interval_ms;
	if (!(nd->addr = mem_strdup(p->addr ? p->addr : "")))
		return ERR_NOMEM;
	if (p->n_stats && !(nd->stats = mem_calloc(p->n_stats, sizeof(*nd->stats))))
		return ERR_NOMEM;
	for (size_t i = 0; i < p->n_stats; i++) {
		int rc = rpc_region_stat_decode(p->stats[i], &nd->stats[i]);
		if (rc)
			return err_wrap("cluster_info: node %" PRIu64, p->id);
		nd->nstats = (uint32_t)i + 1;
	}
	return ERR_OK;
}

static int fetch_nodes(struct cluster_client *cc, struct cluster_nodes *out)
{
	memset(out, 0, sizeof(*out));
	RPC_PB(Empty) req = STRATA__EMPTY__INIT;
	ProtobufCMessage *resp;
	int rc = meta_conn_call(&cc->mc, RPC_CLUSTER_INFO, &req.base, &resp);
	if (rc)
		return rc;
	const RPC_PB(ClusterInfoResponse) *ci = (const RPC_PB(ClusterInfoResponse) *)resp;
	if (ci->n_nodes > 100000)
		rc = err_set(ERR_PROTOCOL, "cluster_info: too many nodes");
	else if (ci->n_nodes && !(out->nodes = mem_calloc(ci->n_nodes, sizeof(*out->nodes))))
		rc = ERR_NOMEM;
	for (size_t i = 0; rc == ERR_OK && i < ci->n_nodes; i++) {
		out->n = (uint32_t)i + 1;
		rc = node_decode(ci->nodes[i], &out->nodes[i]);
	}
	out->now_ms = ci->now_ms;
	rpc_message_free(resp);
	if (rc)
		cluster_nodes_free(out);
	return rc;
}

static int nodes_copy(const struct cluster_nodes *in, struct cluster_nodes *out)
{
	memset(out, 0, sizeof(*out));
	out->now_ms = in->now_ms;
	if (in->n && !(out->nodes = mem_calloc(in->n, sizeof(*out->nodes))))
		return ERR_NOMEM;
	for (uint32_t i = 0; i < in->n; i++) {
		struct cluster_node *d = &out->nodes[i];
		*d = in->nodes[i];
		d->addr = NULL;
		d->stats = NULL;
		d->nstats = 0;
		out->n = i + 1;
		if (!(d->addr = mem_strdup(in->nodes[i].addr)))
			goto nomem;
		if (in->nodes[i].nstats) {
			d->stats =
			    mem_dup(in->nodes[i].stats, in->nodes[i].nstats * sizeof(*d->stats));
			if (!d->stats)
				goto nomem;
			d->nstats = in->nodes[i].nstats;
		}
	}
	return ERR_OK;
nomem:
	cluster_nodes_free(out);
	return ERR_NOMEM;
}

/* Fetch and install a fresh cache. */
static int refresh_nodes(struct cluster_client *cc)
{
	struct cluster_nodes fresh;
	int rc = fetch_nodes(cc, &fresh);
	if (rc)
		return rc;
	pthread_mutex_lock(&cc->mu);
	cluster_nodes_free(&cc->nodes);
	cc->nodes = fresh;
	cc->nodes_at_ns = clock_mono_ns();
	pthread_mutex_unlock(&cc->mu);
	return ERR_OK;
}

int cluster_client_nodes(struct cluster_client *cc, struct cluster_nodes *out)
{
	memset(out, 0, sizeof(*out));
	int rc = refresh_nodes(cc);
	if (rc)
		return rc;
	pthread_mutex_lock(&cc->mu);
	rc = nodes_copy(&cc->nodes, out);
	pthread_mutex_unlock(&cc->mu);
	return rc;
}

static bool cache_fresh_locked(struct cluster_client *cc)
{
	return cc->nodes_at_ns &&
	       clock_mono_ns() - cc->nodes_at_ns < (int64_t)cc->node_cache_ms * 1000000;
}

static const struct cluster_node *find_datanode_locked(struct cluster_client *cc, uint64_t id)
{
	for (uint32_t i = 0; i < cc->nodes.n; i++)
		if (cc->nodes.nodes[i].type == CLUSTER_NODE_DATANODE && cc->nodes.nodes[i].id == id)
			return &cc->nodes.nodes[i];
	return NULL;
}

/* Make sure the cache is fresh (or refreshed because `id` is missing). */
static int ensure_nodes(struct cluster_client *cc, uint64_t id, bool need_id)
{
	pthread_mutex_lock(&cc->mu);
	bool ok = cache_fresh_locked(cc) && (!need_id || find_datanode_locked(cc, id));
	pthread_mutex_unlock(&cc->mu);
	return ok ? ERR_OK : refresh_nodes(cc);
}

int cluster_client_datanode(struct cluster_client *cc, uint64_t id, char *addr, size_t addr_n,
                            enum node_status *status)
{
	int rc = ensure_nodes(cc, id, true);
	if (rc)
		return rc;
	pthread_mutex_lock(&cc->mu);
	const struct cluster_node *nd = find_datanode_locked(cc, id);
	if (!nd || !nd->addr[0]) {
		rc = err_set(ERR_UNAVAILABLE, "The target peer is unavailable temporally: %" PRIu64,
		             id);
	} else {
		if (addr)
			snprintf(addr, addr_n, "%s", nd->addr);
		if (status)
			*status = nd->status;
	}
	pthread_mutex_unlock(&cc->mu);
	return rc;
}

int cluster_client_peer(struct cluster_client *cc, uint64_t node_id, struct rpc_client **out)
{
	char addr[128];
	int rc = cluster_client_datanode(cc, node_id, addr, sizeof(addr), NULL);
	if (rc == ERR_OK)
		rc = peer_by_addr(cc, addr, out);
	return rc;
}

/* ---- DDL and follower procedures -------------------------------------------------- */

/* A procedure's error is the user's answer (ADMIN ADD_TABLE_FOLLOWER...):
 * drop the "peer <addr>: " the RPC client puts before a remote message. */
static int procedure_error(int rc)
{
	const char *m = err_msg();
	if (rc == ERR_OK || strncmp(m, "peer ", 5))
		return rc;
	const char *sep = strstr(m, ": ");
	if (!sep)
		return rc;
	char rest[1024];
	snprintf(rest, sizeof(rest), "%s", sep + 2);
	return err_set(rc, "%s", rest);
}

static int parse_json(const char *text, const char *what, cJSON **out)
{
	*out = cJSON_Parse(text ? text : "");
	return *out ? ERR_OK : err_set(ERR_PROTOCOL, "metasrv answer: %s is not JSON", what);
}

static int parse_route(const char *text, struct table_route **out)
{
	cJSON *j;
	int rc = parse_json(text, "route", &j);
	if (rc == ERR_OK)
		rc = table_route_from_json(j, out);
	cJSON_Delete(j);
	return rc;
}

int cluster_client_create_table(struct cluster_client *cc, struct table_info *info,
                                const uint64_t *leaders, uint32_t nleaders, bool if_not_exists,
                                bool *created, struct table_route **route)
{
	if (created)
		*created = false;
	if (route)
		*route = NULL;
	cJSON *j = table_info_to_json(info);
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!text)
		return err_set(ERR_NOMEM, "cannot render the table info");
	RPC_PB(CreateTableRequest) req = STRATA__CREATE_TABLE_REQUEST__INIT;
	req.table_info_json = text;
	req.if_not_exists = if_not_exists;
	req.leaders = (uint64_t *)leaders;
	req.n_leaders = nleaders;
	ProtobufCMessage *resp = NULL;
	struct table_info *got = NULL;
	int rc = meta_conn_call(&cc->mc, RPC_CREATE_TABLE, &req.base, &resp);
	cJSON_free(text);
	if (rc)
		return procedure_error(rc);
	const RPC_PB(CreateTableResponse) *c = (const RPC_PB(CreateTableResponse) *)resp;
	rc = parse_json(c->table_info_json, "table info", &j);
	if (rc == ERR_OK)
		rc = table_info_from_json(j, &got);
	cJSON_Delete(j);
	if (rc == ERR_OK) {
		info->table_id = got->table_id;
		info->created_ms = got->created_ms;
		if (created)
			*created = c->created;
		if (route)
			rc = parse_route(c->route_json, route);
	}
	table_info_free(got);
	rpc_message_free(resp);
	return rc;
}

int cluster_client_alter_table(struct cluster_client *cc, const struct table_info *info)
{
	cJSON *j = table_info_to_json(info);
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!text)
		return err_set(ERR_NOMEM, "cannot render the table info");
	RPC_PB(AlterTableRequest) req = STRATA__ALTER_TABLE_REQUEST__INIT;
	req.table_info_json = text;
	ProtobufCMessage *resp = NULL;
	int rc = meta_conn_call(&cc->mc, RPC_ALTER_TABLE, &req.base, &resp);
	cJSON_free(text);
	rpc_message_free(resp);
	return procedure_error(rc);
}

static int table_call(struct cluster_client *cc, enum rpc_method m, uint32_t table_id)
{
	RPC_PB(TableIdRequest) req = STRATA__TABLE_ID_REQUEST__INIT;
	req.table_id = table_id;
	ProtobufCMessage *resp = NULL;
	int rc = meta_conn_call(&cc->mc, m, &req.base, &resp);
	rpc_message_free(resp);
	return procedure_error(rc);
}

int cluster_client_drop_table(struct cluster_client *cc, uint32_t table_id)
{
	return table_call(cc, RPC_DROP_TABLE, table_id);
}

int cluster_client_truncate_table(struct cluster_client *cc, uint32_t table_id)
{
	return table_call(cc, RPC_TRUNCATE_TABLE, table_id);
}

int cluster_client_get_route(struct cluster_client *cc, uint32_t table_id, struct table_route **out)
{
	return catalog_get_route(cc->kv, table_id, out);
}

void follower_result_free(struct follower_result *r)
{
	if (!r)
		return;
	mem_free(r->changes);
	table_route_free(r->route);
	memset(r, 0, sizeof(*r));
}

static int follower_call(struct cluster_client *cc, enum rpc_method m, const ProtobufCMessage *req,
                         struct follower_result *out)
{
	if (out)
		memset(out, 0, sizeof(*out));
	ProtobufCMessage *resp = NULL;
	int rc = procedure_error(meta_conn_call(&cc->mc, m, req, &resp));
	if (rc || !out)
		goto done;
	const RPC_PB(FollowerChangeResponse) *f = (const RPC_PB(FollowerChangeResponse) *)resp;
	if (f->n_changes > 1000000) {
		rc = err_set(ERR_PROTOCOL, "metasrv answer: too many follower changes");
		goto done;
	}
	if (f->n_changes && !(out->changes = mem_calloc(f->n_changes, sizeof(*out->changes)))) {
		rc = ERR_NOMEM;
		goto done;
	}
	for (size_t i = 0; i < f->n_changes; i++) {
		out->changes[i].region_id = f->changes[i]->region_id;
		out->changes[i].datanode_id = f->changes[i]->datanode_id;
		out->changes[i].added = f->changes[i]->added;
	}
	out->n = (uint32_t)f->n_changes;
	rc = parse_route(f->route_json, &out->route);
done:
	rpc_message_free(resp);
	if (rc && out)
		follower_result_free(out);
	return rc;
}

int cluster_client_add_table_follower(struct cluster_client *cc, uint32_t table_id,
                                      const uint64_t *dns, uint32_t ndns,
                                      struct follower_result *out)
{
	RPC_PB(TableFollowerRequest) req = STRATA__TABLE_FOLLOWER_REQUEST__INIT;
	req.table_id = table_id;
	req.datanode_ids = (uint64_t *)dns;
	req.n_datanode_ids = ndns;
	return follower_call(cc, RPC_ADD_TABLE_FOLLOWER, &req.base, out);
}

int cluster_client_remove_table_follower(struct cluster_client *cc, uint32_t table_id,
                                         struct follower_result *out)
{
	RPC_PB(TableFollowerRequest) req = STRATA__TABLE_FOLLOWER_REQUEST__INIT;
	req.table_id = table_id;
	return follower_call(cc, RPC_REMOVE_TABLE_FOLLOWER, &req.base, out);
}

static int region_follower(struct cluster_client *cc, enum rpc_method m, uint64_t region_id,
                           uint64_t datanode_id, struct follower_result *out)
{
	RPC_PB(RegionFollowerRequest) req = STRATA__REGION_FOLLOWER_REQUEST__INIT;
	req.region_id = region_id;
	req.datanode_id = datanode_id;
	return follower_call(cc, m, &req.base, out);
}

int cluster_client_add_region_follower(struct cluster_client *cc, uint64_t region_id,
                                       uint64_t datanode_id, struct follower_result *out)
{
	return region_follower(cc, RPC_ADD_REGION_FOLLOWER, region_id, datanode_id, out);
}

int cluster_client_remove_region_follower(struct cluster_client *cc, uint64_t region_id,
                                          uint64_t datanode_id, struct follower_result *out)
{
	return region_follower(cc, RPC_REMOVE_REGION_FOLLOWER, region_id, datanode_id, out);
}

/* ---- peer choice ------------------------------------------------------------------------ */

static uint64_t next_rand_locked(struct cluster_client *cc)
{
	uint64_t x = cc->rand; /* xorshift64 */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	cc->rand = x;
	return x;
}

int cluster_client_pick_peer(struct cluster_client *cc, const struct region_route *rr,
                             enum read_preference pref, struct peer_choice *out)
{
	out->node_id = rr->leader;
	out->is_leader = true;
	if (pref == READ_PREF_LEADER)
		return ERR_OK;
	if ((unsigned)pref > READ_PREF_RANDOM)
		return err_set(ERR_BAD_INPUT, "unknown read preference %d", (int)pref);
	int rc = ensure_nodes(cc, 0, false);
	if (rc)
		return rc;
	uint64_t alive[ROUTE_MAX_FOLLOWERS];
	uint32_t n = 0;
	pthread_mutex_lock(&cc->mu);
	for (uint32_t i = 0; i < rr->nfollowers && i < ROUTE_MAX_FOLLOWERS; i++) {
		const struct cluster_node *nd = find_datanode_locked(cc, rr->followers[i]);
		if (nd && nd->status == NODE_ALIVE)
			alive[n++] = rr->followers[i];
	}
	uint64_t r = next_rand_locked(cc);
	pthread_mutex_unlock(&cc->mu);
	if (pref == READ_PREF_RANDOM) {
		uint32_t k = (uint32_t)(r % (n + 1));
		if (k < n) {
			out->node_id = alive[k];
			out->is_leader = false;
		}
		return ERR_OK;
	}
	if (n == 0) {
		if (pref == READ_PREF_FOLLOWER_PREFERRED)
			return ERR_OK;
		char name[64];
		region_id_format(name, sizeof(name), rr->region_id);
		return err_set(ERR_UNAVAILABLE,
		               "No available follower for region %s (READ_PREFERENCE is "
		               "'follower'; %u follower%s in the route)",
		               name, rr->nfollowers, rr->nfollowers == 1 ? "" : "s");
	}
	out->node_id = alive[r % n];
	out->is_leader = false;
	return ERR_OK;
}

/* ---- region calls --------------------------------------------------------------------------- */

int cluster_client_region_write(struct cluster_client *cc, const struct region_route *rr,
                                enum op_type op, const struct batch *rows, uint64_t *affected)
{
	struct rpc_client *c;
	int rc = cluster_client_peer(cc, rr->leader, &c);
	if (rc == ERR_OK)
		rc = rpc_region_write(c, rr->region_id, op, rows, affected);
	return rc;
}

int cluster_client_region_write_at(struct cluster_client *cc, const struct region_route *rr,
                                   enum op_type op, const struct batch *rows, uint64_t version,
                                   uint64_t *affected)
{
	struct rpc_client *c;
	int rc = cluster_client_peer(cc, rr->leader, &c);
	if (rc == ERR_OK)
		rc = rpc_region_write_at(c, rr->region_id, op, rows, version, affected);
	return rc;
}

struct widen_ctx {
	const struct region_schema *schema;
	const struct scan_request *req;
	rpc_batch_fn fn;
	void *ctx;
};

/* Widen a reply batch (projected columns) to the schema's columns. Takes
 * ownership of *in. */
static int widen(const struct region_schema *s, const struct scan_request *req, struct batch *in,
                 struct batch *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t want = 0;
	for (uint32_t c = 0; c < s->ncols; c++)
		want += !req || !req->projection || req->projection[c];
	enum dtype *types = mem_calloc(s->ncols + 1, sizeof(*types));
	int rc = types ? ERR_OK : ERR_NOMEM;
	if (rc == ERR_OK && in->ncols != want)
		rc = err_set(ERR_PROTOCOL, "scan reply has %u columns, expected %u", in->ncols,
		             want);
	for (uint32_t c = 0; rc == ERR_OK && c < s->ncols; c++)
		types[c] = s->cols[c].type;
	if (rc == ERR_OK)
		rc = batch_init(out, s->ncols, types);
	for (uint32_t c = 0, k = 0; rc == ERR_OK && c < s->ncols; c++) {
		if (req && req->projection && !req->projection[c])
			continue;
		if (in->cols[k].type != types[c]) {
			rc = err_set(ERR_PROTOCOL, "scan reply column %u is %s, expected %s", c,
			             dtype_name(in->cols[k].type), dtype_name(types[c]));
			break;
		}
		colvec_free(&out->cols[c]);
		out->cols[c] = in->cols[k];
		colvec_init(&in->cols[k], types[c]);
		k++;
	}
	if (rc == ERR_OK)
		out->nrows = in->nrows;
	mem_free(types);
	batch_free(in);
	if (rc)
		batch_free(out);
	return rc;
}

static int widen_frame(void *ctx, struct batch *b)
{
	struct widen_ctx *w = ctx;
	struct batch wide;
	int rc = widen(w->schema, w->req, b, &wide);
	if (rc)
		return rc;
	return w->fn(w->ctx, &wide);
}

static int scan_stream(struct cluster_client *cc, uint64_t node_id, const struct rpc_scan_args *a,
                       const struct region_schema *schema, rpc_batch_fn fn, void *ctx)
{
	struct rpc_client *c;
	int rc = cluster_client_peer(cc, node_id, &c);
	if (rc)
		return rc;
	struct widen_ctx w = {schema, a->req, fn, ctx};
	return rpc_region_scan_stream(c, a, widen_frame, &w);
}

int cluster_client_region_scan_stream(struct cluster_client *cc, uint64_t node_id,
                                      uint64_t region_id, enum rpc_read_mode mode,
                                      const struct scan_request *req,
                                      const struct region_schema *schema, rpc_batch_fn fn,
                                      void *ctx)
{
	struct rpc_scan_args a = {
	    .region_id = region_id, .req = req, .ncols = schema->ncols, .mode = mode};
	return scan_stream(cc, node_id, &a, schema, fn, ctx);
}

static int collect(void *ctx, struct batch *b)
{
	struct batch *out = ctx;
	int rc = ERR_OK;
	for (uint32_t c = 0; c < out->ncols && rc == ERR_OK && b->nrows; c++)
		if (b->cols[c].len)
			rc = colvec_append_range(&out->cols[c], &b->cols[c], 0, b->nrows);
	if (rc == ERR_OK)
		out->nrows += b->nrows;
	batch_free(b);
	return rc;
}

/* Scan into one batch (initialised here). */
static int scan_collect(struct cluster_client *cc, uint64_t node_id, const struct rpc_scan_args *a,
                        const struct region_schema *schema, struct batch *out)
{
	enum dtype *types = mem_calloc(schema->ncols + 1, sizeof(*types));
	if (!types)
		return ERR_NOMEM;
	for (uint32_t c = 0; c < schema->ncols; c++)
		types[c] = schema->cols[c].type;
	int rc = batch_init(out, schema->ncols, types);
	mem_free(types);
	if (rc == ERR_OK)
		rc = scan_stream(cc, node_id, a, schema, collect, out);
	if (rc)
		batch_free(out);
	return rc;
}

int cluster_client_region_scan(struct cluster_client *cc, uint64_t node_id, uint64_t region_id,
                               enum rpc_read_mode mode, const struct scan_request *req,
                               const struct region_schema *schema, struct batch *out)
{
	struct rpc_scan_args a = {
	    .region_id = region_id, .req = req, .ncols = schema->ncols, .mode = mode};
	return scan_collect(cc, node_id, &a, schema, out);
}

/* ---- region readers (pull-style reads with a peer choice) ------------------------------ */

/* What a read yields: the region's rows (widened back to every column)
 * or, with agg, the peer's partial aggregation rows of the given types. */
struct read_spec {
	const struct rpc_partial_agg *agg;
	uint32_t ncols;
	const enum dtype *types;
};

struct region_reader {
	struct cluster_client *cc;
	const struct region_route *rr;
	const struct scan_request *req;
	const struct region_schema *schema;
	struct read_spec rs;
	struct region_read_limits lim;
	struct rpc_scan_stream *ss; /* owns its connection until the end or close */
	struct batch pending;       /* the first batch, read by open */
	bool has_pending;
	bool end;
	bool failed; /* an error was returned: the stream is over */
};

static int check_agg(const struct read_spec *rs, const struct batch *b)
{
	if (b->ncols != rs->ncols)
		return err_set(ERR_PROTOCOL, "partial aggregation reply has %u columns, expected %u",
		               b->ncols, rs->ncols);
	for (uint32_t c = 0; c < b->ncols; c++)
		if (b->cols[c].type != rs->types[c] || b->cols[c].len != b->nrows)
			return err_set(ERR_PROTOCOL,
			               "partial aggregation reply column %u is %s (%u values of %u), "
			               "expected %s",
			               c, dtype_name(b->cols[c].type), b->cols[c].len, b->nrows,
			               dtype_name(rs->types[c]));
	return ERR_OK;
}

/* The next batch of the open stream, checked (and widened for a scan). */
static int reader_pull(struct region_reader *rd, struct batch *out, bool *end)
{
	memset(out, 0, sizeof(*out));
	struct batch b;
	int rc = rpc_region_scan_next(rd->ss, &b, end);
	if (rc || *end)
		return rc;
	if (rd->rs.agg) {
		if ((rc = check_agg(&rd->rs, &b))) {
			batch_free(&b);
			return rc;
		}
		*out = b;
		return ERR_OK;
	}
	return widen(rd->schema, rd->req, &b, out);
}

/* Open the stream on one peer and read its first frame: a failure up to
 * here happened before the peer sent anything (the caller may try another
 * peer). */
static int reader_try(struct region_reader *rd, uint64_t node_id, enum rpc_read_mode mode,
                      const struct batch *leader_rows, uint64_t leader_version)
{
	struct rpc_scan_args a = {.region_id = rd->rr->region_id,
	                          .req = rd->req,
	                          .ncols = rd->schema->ncols,
	                          .mode = mode,
	                          .leader_rows = leader_rows,
	                          .leader_version = leader_version,
	                          .agg = rd->rs.agg,
	                          .deadline_ms = rd->lim.deadline_ms,
	                          .mem_limit = rd->lim.mem_limit,
	                          .chunk_bytes = rd->lim.chunk_bytes};
	struct rpc_client *c;
	int rc = cluster_client_peer(rd->cc, node_id, &c);
	if (rc == ERR_OK)
		rc = rpc_region_scan_open(c, &a, &rd->ss);
	bool end = false;
	if (rc == ERR_OK)
		rc = reader_pull(rd, &rd->pending, &end);
	if (rc) {
		rpc_region_scan_close(rd->ss);
		rd->ss = NULL;
		return rc;
	}
	rd->has_pending = !end;
	rd->end = end;
	return ERR_OK;
}

/* A follower that does not know its leader yet (just opened, metasrv
 * restarted): take the leader's snapshot here and carry it in the request
 * (the snapshot is the leader's memtable rows: bounded by its budget). */
static int reader_try_carrying_snapshot(struct region_reader *rd, uint64_t node_id)
{
	uint64_t version;
	struct batch snap;
	int rc = cluster_client_region_snapshot(rd->cc, rd->rr->leader, rd->rr->region_id, rd->req,
	                                        rd->schema->ncols, &version, &snap);
	if (rc)
		return rc;
	rc = reader_try(rd, node_id, RPC_READ_FOLLOWER, &snap, version);
	batch_free(&snap);
	return rc;
}

int cluster_client_region_read_open(struct cluster_client *cc, const struct region_route *rr,
                                    enum read_preference pref, const struct scan_request *req,
                                    const struct region_schema *schema,
                                    const struct rpc_partial_agg *agg, uint32_t ncols,
                                    const enum dtype *types,
                                    const struct region_read_limits *lim,
                                    struct region_reader **out, struct peer_choice *served)
{
	*out = NULL;
	struct region_reader *rd = mem_calloc(1, sizeof(*rd));
	if (!rd)
		return ERR_NOMEM;
	rd->cc = cc;
	rd->rr = rr;
	rd->req = req;
	rd->schema = schema;
	rd->rs = (struct read_spec){agg, ncols, types};
	if (lim)
		rd->lim = *lim;
	struct peer_choice pc;
	int rc = cluster_client_pick_peer(cc, rr, pref, &pc);
	if (rc == ERR_OK)
		rc = reader_try(rd, pc.node_id, pc.is_leader ? RPC_READ_LEADER : RPC_READ_FOLLOWER,
		                NULL, 0);
	/* retries: only failures before the peer sent anything reach here */
	if (rc == ERR_UNAVAILABLE && !pc.is_leader && strstr(err_msg(), "address is not known"))
		rc = reader_try_carrying_snapshot(rd, pc.node_id);
	if (rc == ERR_UNAVAILABLE && !pc.is_leader && pref == READ_PREF_FOLLOWER_PREFERRED) {
		pc.node_id = rr->leader;
		pc.is_leader = true;
		rc = reader_try(rd, pc.node_id, RPC_READ_LEADER, NULL, 0);
	}
	if (rc) {
		region_reader_close(rd);
		return rc;
	}
	if (served)
		*served = pc;
	*out = rd;
	return ERR_OK;
}

int region_reader_next(struct region_reader *rd, struct batch *out, bool *end)
{
	memset(out, 0, sizeof(*out));
	*end = false;
	if (rd->failed)
		return err_set(ERR_INTERNAL, "region read already failed");
	if (rd->has_pending) {
		*out = rd->pending;
		memset(&rd->pending, 0, sizeof(rd->pending));
		rd->has_pending = false;
		return ERR_OK;
	}
	if (rd->end) {
		*end = true;
		return ERR_OK;
	}
	int rc = reader_pull(rd, out, end);
	if (rc)
		rd->failed = true;
	else if (*end)
		rd->end = true;
	return rc;
}

bool region_reader_done(const struct region_reader *rd)
{
	return rd->end && !rd->has_pending;
}

void region_reader_close(struct region_reader *rd)
{
	if (!rd)
		return;
	if (rd->has_pending)
		batch_free(&rd->pending);
	rpc_region_scan_close(rd->ss); /* before the end: the connection is dropped */
	mem_free(rd);
}

/* Collect a whole read into one batch (initialised here). */
static int read_region(struct cluster_client *cc, const struct region_route *rr,
                       enum read_preference pref, const struct scan_request *req,
                       const struct region_schema *schema, const struct read_spec *rs,
                       struct batch *out, struct peer_choice *served)
{
	memset(out, 0, sizeof(*out));
	int rc;
	if (rs->agg) {
		rc = batch_init(out, rs->ncols, rs->types);
	} else {
		enum dtype *types = mem_calloc(schema->ncols + 1, sizeof(*types));
		if (!types)
			return ERR_NOMEM;
		for (uint32_t c = 0; c < schema->ncols; c++)
			types[c] = schema->cols[c].type;
		rc = batch_init(out, schema->ncols, types);
		mem_free(types);
	}
	if (rc)
		return rc;
	struct region_reader *rd = NULL;
	rc = cluster_client_region_read_open(cc, rr, pref, req, schema, rs->agg, rs->ncols,
	                                     rs->types, NULL, &rd, served);
	while (rc == ERR_OK) {
		struct batch b;
		bool end;
		if ((rc = region_reader_next(rd, &b, &end)) || end)
			break;
		rc = collect(out, &b);
	}
	region_reader_close(rd);
	if (rc)
		batch_free(out);
	return rc;
}

int cluster_client_read_region(struct cluster_client *cc, const struct region_route *rr,
                               enum read_preference pref, const struct scan_request *req,
                               const struct region_schema *schema, struct batch *out,
                               struct peer_choice *served)
{
	struct read_spec rs = {NULL, 0, NULL};
	return read_region(cc, rr, pref, req, schema, &rs, out, served);
}

int cluster_client_read_region_agg(struct cluster_client *cc, const struct region_route *rr,
                                   enum read_preference pref, const struct scan_request *req,
                                   const struct region_schema *schema,
                                   const struct rpc_partial_agg *agg, uint32_t ncols,
                                   const enum dtype *types, struct batch *out,
                                   struct peer_choice *served)
{
	if (!agg)
		return err_set(ERR_BAD_INPUT, "partial aggregation read without a query");
	struct read_spec rs = {agg, ncols, types};
	return read_region(cc, rr, pref, req, schema, &rs, out, served);
}

int cluster_client_region_snapshot(struct cluster_client *cc, uint64_t node_id, uint64_t region_id,
                                   const struct scan_request *req, uint32_t ncols,
                                   uint64_t *version, struct batch *rows)
{
	struct rpc_client *c;
	memset(rows, 0, sizeof(*rows));
	int rc = cluster_client_peer(cc, node_id, &c);
	if (rc == ERR_OK)
		rc = rpc_region_snapshot(c, region_id, req, ncols, version, rows);
	return rc;
}

int cluster_client_region_flush(struct cluster_client *cc, uint64_t node_id, uint64_t region_id)
{
	struct rpc_client *c;
	int rc = cluster_client_peer(cc, node_id, &c);
	return rc ? rc : rpc_region_flush(c, region_id);
}

int cluster_client_region_compact(struct cluster_client *cc, uint64_t node_id, uint64_t region_id,
                                  bool force)
{
	struct rpc_client *c;
	int rc = cluster_client_peer(cc, node_id, &c);
	return rc ? rc : rpc_region_compact(c, region_id, force);
}

int cluster_client_region_truncate(struct cluster_client *cc, uint64_t node_id, uint64_t region_id)
{
	struct rpc_client *c;
	int rc = cluster_client_peer(cc, node_id, &c);
	return rc ? rc : rpc_region_truncate(c, region_id);
}

int cluster_client_region_stats(struct cluster_client *cc, uint64_t node_id,
                                struct region_stat **out, uint32_t *n)
{
	struct rpc_client *c;
	*out = NULL;
	*n = 0;
	int rc = cluster_client_peer(cc, node_id, &c);
	return rc ? rc : rpc_region_stats(c, out, n);
}

int cluster_client_flush_table(struct cluster_client *cc, uint32_t table_id)
{
	struct table_route *tr = NULL;
	int rc = cluster_client_get_route(cc, table_id, &tr);
	for (uint32_t i = 0; rc == ERR_OK && i < tr->nregions; i++)
		rc = cluster_client_region_flush(cc, tr->regions[i].leader,
		                                 tr->regions[i].region_id);
	if (tr)
		table_route_free(tr);
	return rc;
}

int cluster_client_node_debug(struct cluster_client *cc, uint64_t node_id, const char *set_key,
                              const char *set_value, char **json)
{
	*json = NULL;
	RPC_PB(NodeDebugRequest) req = STRATA__NODE_DEBUG_REQUEST__INIT;
	req.set_key = (char *)(set_key ? set_key : "");
	req.set_value = (char *)(set_value ? set_value : "");
	ProtobufCMessage *resp = NULL;
	int rc;
	if (node_id == CLUSTER_METASRV_NODE) {
		rc = meta_conn_call(&cc->mc, RPC_NODE_DEBUG, &req.base, &resp);
	} else {
		struct rpc_client *c;
		rc = cluster_client_peer(cc, node_id, &c);
		if (rc == ERR_OK)
			rc = rpc_call(c, RPC_NODE_DEBUG, &req.base, &resp, 0);
	}
	if (rc == ERR_OK) {
		const RPC_PB(NodeDebugResponse) *d = (const RPC_PB(NodeDebugResponse) *)resp;
		if (!(*json = mem_strdup(d->json ? d->json : "")))
			rc = ERR_NOMEM;
	}
	rpc_message_free(resp);
	return rc;
}

int cluster_client_frontend_heartbeat(struct cluster_client *cc, uint64_t frontend_id,
                                      const char *addr, int64_t start_time_ms, uint32_t interval_ms)
{
	RPC_PB(HeartbeatRequest) req = STRATA__HEARTBEAT_REQUEST__INIT;
	req.node_id = frontend_id;
	req.addr = (char *)(addr ? addr : "");
	req.node_type = CLUSTER_NODE_FRONTEND;
	req.start_time_ms = start_time_ms;
	req.heartbeat_interval_ms = interval_ms;
	ProtobufCMessage *resp = NULL;
	int rc = meta_conn_call(&cc->mc, RPC_HEARTBEAT, &req.base, &resp);
	rpc_message_free(resp);
	return rc;
}
