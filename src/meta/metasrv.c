/*
 * metasrv: lifecycle, the RPC handler table, the metadata KV proxy, cluster
 * info, node_debug, the route cache and the registry monitor. See
 * metasrv.h for what the metasrv is; metasrv_registry.c for heartbeats and
 * metasrv_procedure.c for DDL and follower procedures.
 *
 * Route cache: the heartbeat handler needs every route (and the catalog /
 * schema of every table, for region dirs) on every heartbeat, so they are
 * kept in memory and reloaded from the store when route_gen moved. Every
 * writer of routes or tables bumps route_gen *after* its write is durable:
 * procedures here, and the KV proxy for any transaction touching a
 * "__table_" key (a frontend writing the catalog). A reload reads route_gen
 * before reading the store, so a bump that races with it causes one more
 * reload, never a stale cache.
 *
 * Remembered datanodes: "__datanode/{id}" = {"addr":"host:port",
 * "start_time_ms":N}, written when a datanode (re)joins, read at start so
 * that the registry knows addresses before the first heartbeat.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/hostport.h"
#include "base/log.h"
#include "base/mem.h"
#include "meta/election.h"
#include "meta/kv.h"
#include "meta/metasrv_int.h"

#define KV_MAX_KEY 4096

int64_t metasrv_now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* ---- DDL-pending tables ------------------------------------------------ */

bool metasrv_ddl_pending(struct metasrv *ms, uint32_t table_id)
{
	pthread_mutex_lock(&ms->ddl_mu);
	bool found = false;
	for (size_t i = 0; i < ms->nddl && !found; i++)
		found = ms->ddl_tables[i] == table_id;
	pthread_mutex_unlock(&ms->ddl_mu);
	return found;
}

void metasrv_ddl_begin(struct metasrv *ms, uint32_t table_id)
{
	pthread_mutex_lock(&ms->ddl_mu);
	void *p = ms->ddl_tables;
	if (mem_grow(&p, &ms->capddl, ms->nddl + 1, sizeof(*ms->ddl_tables)) == ERR_OK) {
		ms->ddl_tables = p;
		ms->ddl_tables[ms->nddl++] = table_id;
	} /* else: heartbeats may act on the table meanwhile, which is safe */
	pthread_mutex_unlock(&ms->ddl_mu);
}

void metasrv_ddl_end(struct metasrv *ms, uint32_t table_id)
{
	pthread_mutex_lock(&ms->ddl_mu);
	for (size_t i = 0; i < ms->nddl; i++)
		if (ms->ddl_tables[i] == table_id) {
			ms->ddl_tables[i] = ms->ddl_tables[--ms->nddl];
			break;
		}
	pthread_mutex_unlock(&ms->ddl_mu);
}

/* ---- route cache ---------------------------------------------------------- */

void metasrv_routes_free_locked(struct metasrv *ms)
{
	for (uint32_t i = 0; i < ms->nroutes; i++) {
		mem_free(ms->routes[i].catalog);
		mem_free(ms->routes[i].schema);
		table_route_free(ms->routes[i].route);
	}
	mem_free(ms->routes);
	ms->routes = NULL;
	ms->nroutes = 0;
	ms->cache_valid = false;
}

void metasrv_routes_invalidate(struct metasrv *ms)
{
	atomic_fetch_add(&ms->route_gen, 1);
}

static const char *json_str(const cJSON *j, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* catalog and schema of table `tid` from the __table_info/ listing. */
static int find_info(const struct kv_list *infos, uint32_t tid, char **catalog, char **schema)
{
	char key[64];
	snprintf(key, sizeof(key), "__table_info/%u", tid);
	for (size_t i = 0; i < infos->n; i++) {
		if (strcmp(infos->items[i].key, key))
			continue;
		cJSON *j =
		    cJSON_ParseWithLength((const char *)infos->items[i].value, infos->items[i].len);
		const char *c = j ? json_str(j, "catalog") : NULL;
		const char *s = j ? json_str(j, "schema") : NULL;
		int rc = ERR_OK;
		if (!c || !s)
			rc = err_set(ERR_CORRUPT, "%s lacks catalog/schema", key);
		else if (!(*catalog = mem_strdup(c)) || !(*schema = mem_strdup(s)))
			rc = ERR_NOMEM;
		cJSON_Delete(j);
		return rc;
	}
	return ERR_NOT_FOUND;
}

int metasrv_routes_refresh_locked(struct metasrv *ms)
{
	uint64_t gen = atomic_load(&ms->route_gen);
	if (ms->cache_valid && ms->cache_gen == gen)
		return ERR_OK;
	struct kv_list routes = {0}, infos = {0};
	struct route_entry *ents = NULL;
	uint32_t n = 0;
	int rc = kv_range(ms->kv, "__table_route/", &routes);
	if (rc == ERR_OK)
		rc = kv_range(ms->kv, "__table_info/", &infos);
	if (rc == ERR_OK && !(ents = mem_calloc(routes.n + 1, sizeof(*ents))))
		rc = ERR_NOMEM;
	for (size_t i = 0; rc == ERR_OK && i < routes.n; i++) {
		cJSON *j =
		    cJSON_ParseWithLength((const char *)routes.items[i].value, routes.items[i].len);
		struct table_route *tr = NULL;
		if (!j || table_route_from_json(j, &tr)) {
			log_warn("route %s unreadable, skipped: %s", routes.items[i].key,
			         j ? err_msg() : "not JSON");
			cJSON_Delete(j);
			continue;
		}
		cJSON_Delete(j);
		struct route_entry *e = &ents[n];
		int frc = find_info(&infos, tr->table_id, &e->catalog, &e->schema);
		if (frc) {
			/* a table being dropped or created right now */
			mem_free(e->catalog);
			e->catalog = NULL;
			table_route_free(tr);
			if (frc == ERR_NOMEM)
				rc = frc;
			continue;
		}
		e->table_id = tr->table_id;
		e->route = tr;
		n++;
	}
	kv_list_free(&routes);
	kv_list_free(&infos);
	if (rc) {
		for (uint32_t i = 0; i < n; i++) {
			mem_free(ents[i].catalog);
			mem_free(ents[i].schema);
			table_route_free(ents[i].route);
		}
		mem_free(ents);
		metasrv_routes_free_locked(ms);
		return rc;
	}
	metasrv_routes_free_locked(ms);
	ms->routes = ents;
	ms->nroutes = n;
	ms->cache_gen = gen;
	ms->cache_valid = true;
	return ERR_OK;
}

/* ---- datanode clients --------------------------------------------------------- */

int metasrv_peer(struct metasrv *ms, const char *addr, struct rpc_client **out)
{
	*out = NULL;
	int rc = ERR_OK;
	pthread_mutex_lock(&ms->peers_mu);
	for (size_t i = 0; i < ms->npeers; i++)
		if (!strcmp(ms->peers[i].addr, addr)) {
			*out = ms->peers[i].c;
			goto out;
		}
	if (strlen(addr) >= sizeof(ms->peers[0].addr)) {
		rc = err_set(ERR_BAD_INPUT, "peer address too long");
		goto out;
	}
	void *p = ms->peers;
	if ((rc = mem_grow(&p, &ms->cappeers, ms->npeers + 1, sizeof(*ms->peers))))
		goto out;
	ms->peers = p;
	struct rpc_client_options o;
	rpc_client_options_init(&o);
	o.connect_timeout_ms = 1000;
	o.request_timeout_ms = 10000;
	struct rpc_client *c;
	if ((rc = rpc_client_create(addr, &o, &c)))
		goto out;
	snprintf(ms->peers[ms->npeers].addr, sizeof(ms->peers[0].addr), "%s", addr);
	ms->peers[ms->npeers++].c = c;
	*out = c;
out:
	pthread_mutex_unlock(&ms->peers_mu);
	return rc;
}

int metasrv_datanode_addr(struct metasrv *ms, uint64_t id, char *addr, size_t n)
{
	pthread_mutex_lock(&ms->reg.mu);
	struct node_entry *e = registry_find_locked(&ms->reg, CLUSTER_NODE_DATANODE, id);
	int rc = ERR_OK;
	if (!e || e->status == NODE_DEAD || !e->addr[0])
		rc = err_set(ERR_UNAVAILABLE, "The target peer is unavailable temporally: %" PRIu64,
		             id);
	else
		snprintf(addr, n, "%s", e->addr);
	pthread_mutex_unlock(&ms->reg.mu);
	return rc;
}

/* ---- KV proxy -------------------------------------------------------------------- */

static int check_key(const char *key)
{
	if (!key || !key[0])
		return err_set(ERR_BAD_INPUT, "empty metadata key");
	size_t n = strlen(key);
	if (n > KV_MAX_KEY)
		return err_set(ERR_BAD_INPUT, "metadata key of %zu bytes (at most %d)", n,
		               KV_MAX_KEY);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x20)
			return err_set(ERR_BAD_INPUT, "metadata key has a control character");
	return ERR_OK;
}

static int h_kv_get(void *ctx, const RPC_PB(KvGetRequest) * req, struct rpc_reply *r)
{
	struct metasrv *ms = ctx;
	if (metasrv_leader_check(ms))
		return err_code();
	int rc = check_key(req->key);
	if (rc)
		return rc;
	uint8_t *v = NULL;
	size_t len = 0;
	rc = kv_get(ms->kv, req->key, &v, &len);
	RPC_PB(KvGetResponse) resp = STRATA__KV_GET_RESPONSE__INIT;
	if (rc == ERR_OK) {
		resp.found = true;
		resp.value.data = v;
		resp.value.len = len;
	} else if (rc != ERR_NOT_FOUND) {
		return rc;
	}
	rc = rpc_reply_send(r, &resp.base);
	mem_free(v);
	return rc;
}

static int h_kv_range(void *ctx, const RPC_PB(KvRangeRequest) * req, struct rpc_reply *r)
{
	struct metasrv *ms = ctx;
	if (metasrv_leader_check(ms))
		return err_code();
	const char *prefix = req->prefix ? req->prefix : "";
	if (strlen(prefix) > KV_MAX_KEY)
		return err_set(ERR_BAD_INPUT, "metadata prefix too long");
	struct kv_list l;
	int rc = kv_range(ms->kv, prefix, &l);
	if (rc)
		return rc;
	struct arena *a = rpc_reply_arena(r);
	RPC_PB(KvRangeResponse) resp = STRATA__KV_RANGE_RESPONSE__INIT;
	if (l.n) {
		RPC_PB(KvPair) *items = arena_alloc(a, l.n * sizeof(*items));
		resp.pairs = arena_alloc(a, l.n * sizeof(*resp.pairs));
		if (!items || !resp.pairs) {
			kv_list_free(&l);
			return ERR_NOMEM;
		}
		for (size_t i = 0; i < l.n; i++) {
			strata__kv_pair__init(&items[i]);
			items[i].key = l.items[i].key;
			items[i].value.data = l.items[i].value;
			items[i].value.len = l.items[i].len;
			resp.pairs[i] = &items[i];
		}
		resp.n_pairs = l.n;
	}
	rc = rpc_reply_send(r, &resp.base);
	kv_list_free(&l);
	return rc;
}

static int h_kv_txn(void *ctx, const RPC_PB(KvTxnRequest) * req, struct rpc_reply *r)
{
	struct metasrv *ms = ctx;
	if (metasrv_leader_check(ms))
		return err_code();
	struct arena *a = rpc_reply_arena(r);
	struct kv_cmp *cmps =
	    req->n_compares ? arena_alloc(a, req->n_compares * sizeof(*cmps)) : NULL;
	struct kv_op *ops = req->n_ops ? arena_alloc(a, req->n_ops * sizeof(*ops)) : NULL;
	if ((req->n_compares && !cmps) || (req->n_ops && !ops))
		return ERR_NOMEM;
	bool touches_tables = false;
	int rc;
	for (size_t i = 0; i < req->n_compares; i++) {
		const RPC_PB(KvCompare) *c = req->compares[i];
		if ((rc = check_key(c->key)))
			return err_wrap("compare %zu", i);
		cmps[i].key = c->key;
		cmps[i].value = c->absent ? NULL : (c->value.data ? (void *)c->value.data : "");
		cmps[i].len = c->absent ? 0 : c->value.len;
	}
	for (size_t i = 0; i < req->n_ops; i++) {
		const RPC_PB(KvOp) *o = req->ops[i];
		if ((rc = check_key(o->key)))
			return err_wrap("operation %zu", i);
		if (o->type != KV_PUT && o->type != KV_DELETE)
			return err_set(ERR_PROTOCOL, "operation %zu: unknown type %u", i, o->type);
		if (o->type == KV_DELETE && o->value.len)
			return err_set(ERR_PROTOCOL, "operation %zu: a delete carries no value", i);
		ops[i].type = (enum kv_op_type)o->type;
		ops[i].key = o->key;
		ops[i].value = o->value.data ? (void *)o->value.data : "";
		ops[i].len = o->value.len;
		touches_tables |= !strncmp(o->key, "__table_", 8);
	}
	RPC_PB(KvTxnResponse) resp = STRATA__KV_TXN_RESPONSE__INIT;
	rc = kv_txn(ms->kv, cmps, req->n_compares, ops, req->n_ops);
	if (rc == ERR_CONFLICT) {
		resp.message = arena_strndup(a, err_msg(), strlen(err_msg()));
		if (!resp.message)
			return ERR_NOMEM;
	} else if (rc) {
		return rc;
	} else {
		resp.succeeded = true;
		if (touches_tables)
			metasrv_routes_invalidate(ms);
	}
	return rpc_reply_send(r, &resp.base);
}

/* ---- cluster info and debug ---------------------------------------------------------- */

static int h_cluster_info(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)req;
	struct metasrv *ms = ctx;
	if (metasrv_leader_check(ms))
		return err_code();
	/* A new leader knows the datanodes only as SUSPECT until each has sent
	 * one heartbeat: answering now would make clients see no live node
	 * (follower reads would fail), so they are asked to retry meanwhile. */
	int64_t since = metasrv_now_ms() - atomic_load(&ms->loaded_at_ms);
	if (ms->el && since < (int64_t)ms->interval_ms * 3 / 2 + 100)
		return err_set(ERR_UNAVAILABLE,
		               "metasrv %s has just become the leader and is collecting "
		               "heartbeats; try again",
		               ms->addr);
	struct arena *a = rpc_reply_arena(r);
	RPC_PB(ClusterInfoResponse) resp = STRATA__CLUSTER_INFO_RESPONSE__INIT;
	resp.now_ms = clock_now_ms();
	int rc = ERR_OK;
	pthread_mutex_lock(&ms->reg.mu);
	size_t n = ms->reg.n + 1;
	RPC_PB(NodeInfo) *items = arena_alloc(a, n * sizeof(*items));
	resp.nodes = arena_alloc(a, n * sizeof(*resp.nodes));
	if (!items || !resp.nodes) {
		rc = ERR_NOMEM;
		goto out;
	}
	strata__node_info__init(&items[0]);
	items[0].type = CLUSTER_NODE_METASRV;
	items[0].id = 0;
	items[0].addr = ms->addr;
	items[0].status = NODE_ALIVE;
	items[0].start_time_ms = ms->start_ms;
	items[0].last_heartbeat_ms = resp.now_ms;
	items[0].heartbeat_interval_ms = ms->interval_ms;
	resp.nodes[0] = &items[0];
	for (size_t i = 0; i < ms->reg.n; i++) {
		const struct node_entry *e = &ms->reg.nodes[i];
		RPC_PB(NodeInfo) *ni = &items[i + 1];
		strata__node_info__init(ni);
		ni->type = (uint32_t)e->type;
		ni->id = e->id;
		ni->addr = arena_strndup(a, e->addr, strlen(e->addr));
		ni->status = (uint32_t)e->status;
		ni->start_time_ms = e->start_time_ms;
		ni->last_heartbeat_ms = e->last_hb_wall_ms;
		ni->heartbeat_interval_ms =
		    e->interval_ms ? e->interval_ms : ms->reg.default_interval_ms;
		if (!ni->addr) {
			rc = ERR_NOMEM;
			goto out;
		}
		if (e->nstats) {
			RPC_PB(RegionStat) *st = arena_alloc(a, e->nstats * sizeof(*st));
			ni->stats = arena_alloc(a, e->nstats * sizeof(*ni->stats));
			if (!st || !ni->stats) {
				rc = ERR_NOMEM;
				goto out;
			}
			for (uint32_t k = 0; k < e->nstats; k++) {
				rpc_region_stat_encode(&e->stats[k], &st[k]);
				ni->stats[k] = &st[k];
			}
			ni->n_stats = e->nstats;
		}
		resp.nodes[i + 1] = ni;
	}
	resp.n_nodes = n;
out:
	pthread_mutex_unlock(&ms->reg.mu);
	if (rc)
		return rc;
	return rpc_reply_send(r, &resp.base);
}

static cJSON *debug_json(struct metasrv *ms)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "role", "metasrv");
	cJSON_AddStringToObject(j, "addr", ms->addr);
	cJSON_AddBoolToObject(j, "leader", metasrv_is_leader(ms));
	cJSON_AddNumberToObject(j, "heartbeat_interval_ms", ms->interval_ms);
	pthread_mutex_lock(&ms->cache_mu);
	cJSON_AddNumberToObject(j, "cached_tables", ms->nroutes);
	pthread_mutex_unlock(&ms->cache_mu);
	pthread_mutex_lock(&ms->reg.mu);
	cJSON *nodes = cJSON_AddArrayToObject(j, "nodes");
	for (size_t i = 0; i < ms->reg.n; i++) {
		const struct node_entry *e = &ms->reg.nodes[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", cluster_node_type_name(e->type));
		cJSON_AddNumberToObject(o, "id", (double)e->id);
		cJSON_AddStringToObject(o, "addr", e->addr);
		cJSON_AddStringToObject(o, "status", node_status_name(e->status));
		cJSON_AddNumberToObject(o, "heartbeats", (double)e->heartbeats);
		cJSON_AddNumberToObject(o, "silent_ms",
		                        (double)(metasrv_now_ms() - e->last_seen_ms));
		cJSON_AddNumberToObject(o, "regions", e->nstats);
		cJSON_AddItemToArray(nodes, o);
	}
	cJSON *lv = cJSON_AddArrayToObject(j, "leader_versions");
	for (size_t i = 0; i < ms->reg.nlv; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "region_id", (double)ms->reg.lv[i].region_id);
		cJSON_AddNumberToObject(o, "manifest_version", (double)ms->reg.lv[i].version);
		cJSON_AddItemToArray(lv, o);
	}
	pthread_mutex_unlock(&ms->reg.mu);
	return j;
}

static int h_node_debug(void *ctx, const RPC_PB(NodeDebugRequest) * req, struct rpc_reply *r)
{
	struct metasrv *ms = ctx;
	if (req->set_key && req->set_key[0])
		return err_set(ERR_BAD_INPUT, "the metasrv has no runtime setting '%s'",
		               req->set_key);
	cJSON *j = debug_json(ms);
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!text)
		return err_set(ERR_NOMEM, "cannot render the debug JSON");
	RPC_PB(NodeDebugResponse) resp = STRATA__NODE_DEBUG_RESPONSE__INIT;
	resp.json = text;
	int rc = rpc_reply_send(r, &resp.base);
	cJSON_free(text);
	return rc;
}

/* ---- handler table -------------------------------------------------------------------- */

static int h_ping(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)ctx, (void)req, (void)r;
	return ERR_OK;
}

static int h_heartbeat(void *ctx, const RPC_PB(HeartbeatRequest) * req, struct rpc_reply *r)
{
	if (metasrv_leader_check(ctx))
		return err_code();
	return metasrv_handle_heartbeat(ctx, req, r);
}

static int h_create_table(void *ctx, const RPC_PB(CreateTableRequest) * req, struct rpc_reply *r)
{
	if (metasrv_leader_check(ctx))
		return err_code();
	return metasrv_handle_create_table(ctx, req, r);
}

static int h_alter_table(void *ctx, const RPC_PB(AlterTableRequest) * req, struct rpc_reply *r)
{
	if (metasrv_leader_check(ctx))
		return err_code();
	return metasrv_handle_alter_table(ctx, req, r);
}

static int h_drop_table(void *ctx, const RPC_PB(TableIdRequest) * req, struct rpc_reply *r)
{
	if (metasrv_leader_check(ctx))
		return err_code();
	return metasrv_handle_drop_table(ctx, req, r);
}

static int h_truncate_table(void *ctx, const RPC_PB(TableIdRequest) * req, struct rpc_reply *r)
{
	if (metasrv_leader_check(ctx))
		return err_code();
	return metasrv_handle_truncate_table(ctx, req, r);
}

static int h_add_table_follower(void *ctx, const RPC_PB(TableFollowerRequest) * req,
                                struct rpc_reply *r)
{
	if (metasrv_leader_check(ctx))
		return err_code();
	return metasrv_handle_table_follower(ctx, true, req, r);
}

static int h_remove_table_follower(void *ctx, const RPC_PB(TableFollowerRequest) * req,
                                   struct rpc_reply *r)
{
	if (metasrv_leader_check(ctx))
		return err_code();
	return metasrv_handle_table_follower(ctx, false, req, r);
}

static int h_add_region_follower(void *ctx, const RPC_PB(RegionFollowerRequest) * req,
                                 struct rpc_reply *r)
{
	if (metasrv_leader_check(ctx))
		return err_code();
	return metasrv_handle_region_follower(ctx, true, req, r);
}

static int h_remove_region_follower(void *ctx, const RPC_PB(RegionFollowerRequest) * req,
                                    struct rpc_reply *r)
{
	if (metasrv_leader_check(ctx))
		return err_code();
	return metasrv_handle_region_follower(ctx, false, req, r);
}

/* ---- leadership ------------------------------------------------------------------------- */

static void on_elected(void *arg, int64_t term)
{
	struct metasrv *ms = arg;
	atomic_store(&ms->need_load, true);
	atomic_store(&ms->leading, true);
	log_info("metasrv %s is the leader (term %" PRId64 ")", ms->addr, term);
}

static void on_lost(void *arg)
{
	struct metasrv *ms = arg;
	atomic_store(&ms->leading, false);
	log_warn("metasrv %s is no longer the leader", ms->addr);
}

bool metasrv_is_leader(struct metasrv *ms)
{
	return !ms->el || atomic_load(&ms->leading);
}

static int load_datanodes(struct metasrv *ms);

/* A new leader forgets what it knew as a follower (or as an earlier
 * leader): nodes come back from the store as SUSPECT and report again by
 * heartbeat; leader versions come with the leaders' next heartbeats. */
static int load_state(struct metasrv *ms)
{
	pthread_mutex_lock(&ms->reg.mu);
	for (size_t i = 0; i < ms->reg.n; i++)
		mem_free(ms->reg.nodes[i].stats);
	ms->reg.n = 0;
	ms->reg.nlv = 0;
	pthread_mutex_unlock(&ms->reg.mu);
	metasrv_routes_invalidate(ms);
	int rc = catalog_bootstrap(ms->kv);
	if (rc == ERR_OK)
		rc = load_datanodes(ms);
	return rc;
}

int metasrv_leader_check(struct metasrv *ms)
{
	if (!ms->el)
		return ERR_OK;
	if (!atomic_load(&ms->leading)) {
		uint64_t id;
		char addr[ELECTION_ADDR_MAX + 1];
		if (election_leader(ms->el, &id, addr, sizeof(addr)) == ERR_OK)
			return err_set(ERR_UNAVAILABLE,
			               "metasrv %s is not the leader (the leader is %s); try "
			               "another metasrv address",
			               ms->addr, addr);
		return err_set(ERR_UNAVAILABLE,
		               "metasrv %s is not the leader (no leader elected yet); try another "
		               "metasrv address",
		               ms->addr);
	}
	if (!atomic_load(&ms->need_load))
		return ERR_OK;
	pthread_mutex_lock(&ms->load_mu);
	int rc = ERR_OK;
	if (atomic_load(&ms->need_load)) {
		if ((rc = load_state(ms)) == ERR_OK) {
			atomic_store(&ms->loaded_at_ms, metasrv_now_ms());
			atomic_store(&ms->need_load, false);
			log_info("metasrv %s: state loaded from the metadata store", ms->addr);
		} else {
			rc = err_set(ERR_UNAVAILABLE, "metasrv %s: new leader cannot load its state: %s",
			             ms->addr, err_msg());
		}
	}
	pthread_mutex_unlock(&ms->load_mu);
	return rc;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static void *monitor_main(void *arg)
{
	struct metasrv *ms = arg;
	log_set_tag("metasrv");
	pthread_mutex_lock(&ms->stop_mu);
	while (!ms->stopping) {
		pthread_mutex_lock(&ms->reg.mu);
		uint32_t iv = ms->reg.default_interval_ms;
		for (size_t i = 0; i < ms->reg.n; i++)
			if (ms->reg.nodes[i].interval_ms && ms->reg.nodes[i].interval_ms < iv)
				iv = ms->reg.nodes[i].interval_ms;
		registry_tick_locked(&ms->reg, metasrv_now_ms());
		pthread_mutex_unlock(&ms->reg.mu);
		int64_t tick = iv / 4;
		tick = tick < 10 ? 10 : tick > 500 ? 500 : tick;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(tick % 1000) * 1000000L;
		ts.tv_sec += tick / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&ms->stop_cv, &ms->stop_mu, &ts);
	}
	pthread_mutex_unlock(&ms->stop_mu);
	return NULL;
}

/* The procedure thread: while this metasrv leads, completes the ALTERs
 * left half done (metasrv_resume_alters) every ALTER_RESUME_MS. Apart
 * from the monitor so that a region RPC waiting on a dead datanode never
 * delays failure detection. */
static void *procs_main(void *arg)
{
	struct metasrv *ms = arg;
	log_set_tag("metasrv");
	pthread_mutex_lock(&ms->stop_mu);
	while (!ms->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(ALTER_RESUME_MS % 1000) * 1000000L;
		ts.tv_sec += ALTER_RESUME_MS / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&ms->stop_cv, &ms->stop_mu, &ts);
		if (ms->stopping)
			break;
		pthread_mutex_unlock(&ms->stop_mu);
		if (metasrv_leader_check(ms) == ERR_OK && metasrv_resume_alters(ms))
			log_warn("cannot list the ALTERs to complete: %s", err_msg());
		err_clear();
		pthread_mutex_lock(&ms->stop_mu);
	}
	pthread_mutex_unlock(&ms->stop_mu);
	return NULL;
}

static int load_datanodes(struct metasrv *ms)
{
	struct kv_list l;
	int rc = kv_range(ms->kv, "__datanode/", &l);
	if (rc)
		return rc;
	int64_t now = metasrv_now_ms();
	pthread_mutex_lock(&ms->reg.mu);
	for (size_t i = 0; i < l.n && rc == ERR_OK; i++) {
		char *end;
		uint64_t id = strtoull(l.items[i].key + strlen("__datanode/"), &end, 10);
		cJSON *j = cJSON_ParseWithLength((const char *)l.items[i].value, l.items[i].len);
		const char *addr = j ? json_str(j, "addr") : NULL;
		const cJSON *st = j ? cJSON_GetObjectItemCaseSensitive(j, "start_time_ms") : NULL;
		if (*end || !addr || strlen(addr) >= 128)
			log_warn("ignoring unreadable %s", l.items[i].key);
		else
			rc = registry_load_locked(&ms->reg, id, addr,
			                          cJSON_IsNumber(st) ? (int64_t)st->valuedouble : 0,
			                          now);
		cJSON_Delete(j);
	}
	pthread_mutex_unlock(&ms->reg.mu);
	kv_list_free(&l);
	return rc;
}

int metasrv_start(const struct metasrv_options *o, struct metasrv **out)
{
	*out = NULL;
	struct metasrv *ms = mem_calloc(1, sizeof(*ms));
	if (!ms)
		return ERR_NOMEM;
	ms->interval_ms = o->heartbeat_interval_ms > 0 ? (uint32_t)o->heartbeat_interval_ms
	                                               : METASRV_DEFAULT_HEARTBEAT_MS;
	ms->start_ms = clock_now_ms();
	registry_init(&ms->reg, ms->interval_ms);
	pthread_mutex_init(&ms->proc_mu, NULL);
	pthread_mutex_init(&ms->cache_mu, NULL);
	pthread_mutex_init(&ms->ddl_mu, NULL);
	pthread_mutex_init(&ms->peers_mu, NULL);
	pthread_mutex_init(&ms->stop_mu, NULL);
	pthread_cond_init(&ms->stop_cv, NULL);
	pthread_mutex_init(&ms->load_mu, NULL);
	atomic_init(&ms->route_gen, 1);
	atomic_init(&ms->leading, false);
	atomic_init(&ms->need_load, false);
	atomic_init(&ms->loaded_at_ms, 0);
	int rc = ERR_OK;
	if (o->kv) {
		ms->kv = o->kv;
		ms->own_kv = o->own_kv;
	} else {
		const char *home = o->data_home ? o->data_home : "./strata_data/metasrv";
		char path[1024];
		if ((rc = fs_mkdir_p(home)))
			goto fail;
		snprintf(path, sizeof(path), "%s/metadata.sqlite", home);
		if ((rc = kv_open_sqlite(path, &ms->kv)))
			goto fail;
		ms->own_kv = true;
	}
	if (!o->election && ((rc = catalog_bootstrap(ms->kv)) || (rc = load_datanodes(ms))))
		goto fail;

	char host[96];
	uint16_t port = 0;
	if ((rc = hostport_split(o->bind_addr ? o->bind_addr : METASRV_DEFAULT_ADDR, host, sizeof(host),
	                     &port)))
		goto fail;
	struct rpc_handlers h = {
	    .ctx = ms,
	    .ping = h_ping,
	    .heartbeat = h_heartbeat,
	    .kv_get = h_kv_get,
	    .kv_range = h_kv_range,
	    .kv_txn = h_kv_txn,
	    .cluster_info = h_cluster_info,
	    .create_table = h_create_table,
	    .alter_table = h_alter_table,
	    .drop_table = h_drop_table,
	    .truncate_table = h_truncate_table,
	    .add_table_follower = h_add_table_follower,
	    .remove_table_follower = h_remove_table_follower,
	    .add_region_follower = h_add_region_follower,
	    .remove_region_follower = h_remove_region_follower,
	    .node_debug = h_node_debug,
	};
	if ((rc = rpc_server_start(host, port, &h, NULL, &ms->srv)))
		goto fail;
	snprintf(ms->addr, sizeof(ms->addr), "%s:%u", host, rpc_server_port(ms->srv));
	if (pthread_create(&ms->monitor, NULL, monitor_main, ms)) {
		rc = err_set(ERR_INTERNAL, "cannot start the registry monitor");
		goto fail;
	}
	ms->monitor_started = true;
	if (pthread_create(&ms->procs, NULL, procs_main, ms)) {
		rc = err_set(ERR_INTERNAL, "cannot start the procedure thread");
		goto fail;
	}
	ms->procs_started = true;
	if (o->election) {
		struct election_options eo = {
		    .etcd = *o->election,
		    .id = o->candidate_id ? o->candidate_id
		                          : ((uint64_t)getpid() << 16 | rpc_server_port(ms->srv)),
		    .addr = ms->addr,
		    .ttl_ms = o->election_ttl_ms,
		    .on_elected = on_elected,
		    .on_lost = on_lost,
		    .arg = ms,
		};
		if ((rc = election_start(&eo, &ms->el)))
			goto fail;
	}
	log_info("metasrv serving on %s (heartbeat interval %u ms%s)", ms->addr, ms->interval_ms,
	         o->election ? ", campaigning for leadership" : "");
	*out = ms;
	return ERR_OK;
fail:
	metasrv_stop(ms);
	return rc;
}

uint16_t metasrv_port(const struct metasrv *ms)
{
	return rpc_server_port(ms->srv);
}

void metasrv_stop(struct metasrv *ms)
{
	if (!ms)
		return;
	if (ms->procs_started) { /* before the election goes: it reads ms->el */
		pthread_mutex_lock(&ms->stop_mu);
		ms->stopping = true;
		pthread_cond_broadcast(&ms->stop_cv);
		pthread_mutex_unlock(&ms->stop_mu);
		pthread_join(ms->procs, NULL);
	}
	election_stop(ms->el); /* resign first: another metasrv takes over at once */
	ms->el = NULL;
	if (ms->srv)
		rpc_server_stop(ms->srv);
	if (ms->monitor_started) {
		pthread_mutex_lock(&ms->stop_mu);
		ms->stopping = true;
		pthread_cond_broadcast(&ms->stop_cv);
		pthread_mutex_unlock(&ms->stop_mu);
		pthread_join(ms->monitor, NULL);
	}
	for (size_t i = 0; i < ms->npeers; i++)
		rpc_client_destroy(ms->peers[i].c);
	mem_free(ms->peers);
	pthread_mutex_lock(&ms->cache_mu);
	metasrv_routes_free_locked(ms);
	pthread_mutex_unlock(&ms->cache_mu);
	mem_free(ms->ddl_tables);
	if (ms->own_kv)
		kv_close(ms->kv);
	registry_destroy(&ms->reg);
	pthread_mutex_destroy(&ms->proc_mu);
	pthread_mutex_destroy(&ms->cache_mu);
	pthread_mutex_destroy(&ms->ddl_mu);
	pthread_mutex_destroy(&ms->peers_mu);
	pthread_mutex_destroy(&ms->stop_mu);
	pthread_cond_destroy(&ms->stop_cv);
	pthread_mutex_destroy(&ms->load_mu);
	mem_free(ms);
}
