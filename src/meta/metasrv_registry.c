/*
 * metasrv_registry: the metasrv's registry of nodes (datanodes, and
 * frontends that heartbeat) and the heartbeat handler.
 *
 * Node status state machine (one function per transition below, each
 * asserting the state it leaves):
 *
 *     (unknown) --heartbeat--> JOINING --heartbeat--> ALIVE
 *     JOINING, ALIVE --silent > 2 intervals--> SUSPECT --heartbeat--> ALIVE
 *     SUSPECT --silent > 5 intervals--> DEAD --heartbeat--> JOINING
 *     any --heartbeat with another start time (a restart)--> JOINING
 *
 * A heartbeat for an id that another process (other address and start
 * time) is using - heard within 2 intervals, JOINING or ALIVE - is refused
 * with ERR_EXISTS: two datanodes configured with one id must not take
 * turns owning its regions.
 *
 * "interval" is the node's own heartbeat interval (it reports it), so a
 * node with 200 ms heartbeats is dead after 1 s of silence and one with
 * 3 s heartbeats after 15 s. Nodes remembered in the store from before a
 * metasrv restart come back as SUSPECT until they heartbeat.
 *
 * Heartbeat reply (convergence to the routes of the catalog): for the
 * sending datanode N and every region of every route (tables under a DDL
 * procedure excepted):
 *   - N should hold it (leader == N, or N in followers) but does not report
 *     it, or reports another role -> OPEN(role, dir) (+ leader for a
 *     follower);
 *   - N holds a follower of it -> INSTALL(leader's latest manifest version
 *     as reported by the leader's own heartbeat, leader id and address);
 *   - N leads it -> a hint with the lowest version its followers reported
 *     installed (for GC);
 * and every region N reports that no route gives it -> CLOSE. When the
 * routes cannot be read, the reply carries the lease only (never a CLOSE
 * from a failed read).
 *
 * Lease: 3 intervals + 1 s of the node (GreptimeDB's rule); a datanode
 * that cannot renew it demotes its leaders (datanode/heartbeat.c).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "meta/kv.h"
#include "meta/metasrv_int.h"

/* ---- registry ---------------------------------------------------------- */

void registry_init(struct registry *r, uint32_t default_interval_ms)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->default_interval_ms = default_interval_ms ? default_interval_ms : 3000;
}

void registry_destroy(struct registry *r)
{
	for (size_t i = 0; i < r->n; i++)
		mem_free(r->nodes[i].stats);
	mem_free(r->nodes);
	mem_free(r->lv);
	pthread_mutex_destroy(&r->mu);
	memset(r, 0, sizeof(*r));
}

static int node_cmp(enum cluster_node_type t1, uint64_t id1, enum cluster_node_type t2,
                    uint64_t id2)
{
	if (t1 != t2)
		return t1 < t2 ? -1 : 1;
	return id1 < id2 ? -1 : id1 > id2;
}

/* Index of (type, id), or where it would go (*found false). */
static size_t node_pos(struct registry *r, enum cluster_node_type type, uint64_t id, bool *found)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = node_cmp(r->nodes[mid].type, r->nodes[mid].id, type, id);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct node_entry *registry_find_locked(struct registry *r, enum cluster_node_type type,
                                        uint64_t id)
{
	bool found;
	size_t i = node_pos(r, type, id, &found);
	return found ? &r->nodes[i] : NULL;
}

static struct node_entry *node_insert(struct registry *r, enum cluster_node_type type, uint64_t id)
{
	bool found;
	size_t i = node_pos(r, type, id, &found);
	if (found)
		return &r->nodes[i];
	void *p = r->nodes;
	if (mem_grow(&p, &r->cap, r->n + 1, sizeof(*r->nodes)))
		return NULL;
	r->nodes = p;
	memmove(&r->nodes[i + 1], &r->nodes[i], (r->n - i) * sizeof(*r->nodes));
	r->n++;
	struct node_entry *e = &r->nodes[i];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->id = id;
	e->status = NODE_JOINING;
	return e;
}

static uint32_t node_interval(const struct registry *r, const struct node_entry *e)
{
	return e->interval_ms ? e->interval_ms : r->default_interval_ms;
}

static void log_transition(const struct node_entry *e, enum node_status from, const char *why)
{
	log_info("%s %" PRIu64 " (%s): %s -> %s (%s)", cluster_node_type_name(e->type), e->id,
	         e->addr, node_status_name(from), node_status_name(e->status), why);
}

/* DEAD, or any state on a restart -> JOINING. */
static void node_rejoin(struct node_entry *e, const char *why)
{
	enum node_status from = e->status;
	e->status = NODE_JOINING;
	e->heartbeats = 0;
	log_transition(e, from, why);
}

/* JOINING (second heartbeat) or SUSPECT (heard again) -> ALIVE. */
static void node_alive(struct node_entry *e)
{
	assert(e->status == NODE_JOINING || e->status == NODE_SUSPECT);
	enum node_status from = e->status;
	e->status = NODE_ALIVE;
	log_transition(e, from, from == NODE_JOINING ? "heartbeats flow" : "heard again");
}

/* JOINING or ALIVE, silent too long -> SUSPECT. */
static void node_suspect(struct node_entry *e, int64_t silent_ms)
{
	assert(e->status == NODE_JOINING || e->status == NODE_ALIVE);
	enum node_status from = e->status;
	e->status = NODE_SUSPECT;
	char why[64];
	snprintf(why, sizeof(why), "no heartbeat for %" PRId64 " ms", silent_ms);
	log_transition(e, from, why);
}

/* SUSPECT, silent even longer -> DEAD. */
static void node_dead(struct node_entry *e, int64_t silent_ms)
{
	assert(e->status == NODE_SUSPECT);
	e->status = NODE_DEAD;
	char why[64];
	snprintf(why, sizeof(why), "no heartbeat for %" PRId64 " ms", silent_ms);
	log_transition(e, NODE_SUSPECT, why);
}

int registry_heartbeat_locked(struct registry *r, const struct registry_hb *hb, int64_t now_ms,
                              bool *joined)
{
	*joined = false;
	struct region_stat *stats = NULL;
	if (hb->nstats) {
		stats = mem_dup(hb->stats, hb->nstats * sizeof(*stats));
		if (!stats)
			return ERR_NOMEM;
	}
	struct node_entry *old = registry_find_locked(r, hb->type, hb->id);
	bool existed = old != NULL;
	if (old && old->start_time_ms != hb->start_time_ms && strcmp(old->addr, hb->addr) &&
	    (old->status == NODE_JOINING || old->status == NODE_ALIVE) && old->heartbeats &&
	    now_ms - old->last_seen_ms <= REGISTRY_SUSPECT_AFTER * (int64_t)node_interval(r, old)) {
		/* two live processes with one id: keep the first, refuse the other */
		mem_free(stats);
		return err_set(ERR_EXISTS, "%s id %" PRIu64 " is already used by %s",
		               cluster_node_type_name(hb->type), hb->id, old->addr);
	}
	struct node_entry *e = node_insert(r, hb->type, hb->id);
	if (!e) {
		mem_free(stats);
		return ERR_NOMEM;
	}
	bool restarted = existed && e->start_time_ms && hb->start_time_ms &&
	                 e->start_time_ms != hb->start_time_ms;
	snprintf(e->addr, sizeof(e->addr), "%s", hb->addr ? hb->addr : "");
	e->interval_ms = hb->interval_ms;
	e->last_seen_ms = now_ms;
	e->last_hb_wall_ms = clock_now_ms();
	mem_free(e->stats);
	e->stats = stats;
	e->nstats = hb->nstats;
	if (!existed) {
		e->start_time_ms = hb->start_time_ms;
		e->heartbeats = 1;
		log_info("%s %" PRIu64 " (%s): registered, JOINING",
		         cluster_node_type_name(e->type), e->id, e->addr);
		*joined = true;
		return ERR_OK;
	}
	e->start_time_ms = hb->start_time_ms;
	if (restarted || e->status == NODE_DEAD) {
		node_rejoin(e, restarted ? "restarted" : "heard again after being dead");
		e->heartbeats = 1;
		*joined = true;
		return ERR_OK;
	}
	e->heartbeats++;
	if (e->status == NODE_JOINING || e->status == NODE_SUSPECT)
		node_alive(e);
	return ERR_OK;
}

void registry_tick_locked(struct registry *r, int64_t now_ms)
{
	for (size_t i = 0; i < r->n; i++) {
		struct node_entry *e = &r->nodes[i];
		int64_t iv = node_interval(r, e);
		int64_t silent = now_ms - e->last_seen_ms;
		if ((e->status == NODE_JOINING || e->status == NODE_ALIVE) &&
		    silent > REGISTRY_SUSPECT_AFTER * iv)
			node_suspect(e, silent);
		if (e->status == NODE_SUSPECT && silent > REGISTRY_DEAD_AFTER * iv)
			node_dead(e, silent);
	}
}

int registry_load_locked(struct registry *r, uint64_t id, const char *addr, int64_t start_time_ms,
                         int64_t now_ms)
{
	if (registry_find_locked(r, CLUSTER_NODE_DATANODE, id))
		return ERR_OK;
	struct node_entry *e = node_insert(r, CLUSTER_NODE_DATANODE, id);
	if (!e)
		return ERR_NOMEM;
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	e->start_time_ms = start_time_ms;
	e->last_seen_ms = now_ms;
	e->status = NODE_SUSPECT; /* known, not heard from since the metasrv started */
	return ERR_OK;
}

static size_t lv_pos(struct registry *r, uint64_t rid, bool *found)
{
	size_t lo = 0, hi = r->nlv;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->lv[mid].region_id == rid) {
			*found = true;
			return mid;
		}
		if (r->lv[mid].region_id < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int registry_set_leader_version_locked(struct registry *r, uint64_t region_id, uint64_t version)
{
	bool found;
	size_t i = lv_pos(r, region_id, &found);
	if (found) {
		if (version > r->lv[i].version)
			r->lv[i].version = version;
		return ERR_OK;
	}
	void *p = r->lv;
	if (mem_grow(&p, &r->caplv, r->nlv + 1, sizeof(*r->lv)))
		return ERR_NOMEM;
	r->lv = p;
	memmove(&r->lv[i + 1], &r->lv[i], (r->nlv - i) * sizeof(*r->lv));
	r->lv[i].region_id = region_id;
	r->lv[i].version = version;
	r->nlv++;
	return ERR_OK;
}

uint64_t registry_leader_version_locked(struct registry *r, uint64_t region_id)
{
	bool found;
	size_t i = lv_pos(r, region_id, &found);
	return found ? r->lv[i].version : 0;
}

int registry_datanodes_locked(struct registry *r, enum node_status status, uint64_t **ids,
                              uint32_t *n)
{
	*n = 0;
	*ids = mem_calloc(r->n + 1, sizeof(**ids));
	if (!*ids)
		return ERR_NOMEM;
	for (size_t i = 0; i < r->n; i++)
		if (r->nodes[i].type == CLUSTER_NODE_DATANODE && r->nodes[i].status == status)
			(*ids)[(*n)++] = r->nodes[i].id; /* sorted: nodes are */
	return ERR_OK;
}

/* ---- heartbeat handler ---------------------------------------------------- */

struct instr_list {
	struct arena *a;
	RPC_PB(RegionInstruction) * *items;
	size_t n, cap;
	RPC_PB(LeaderRegionHint) * *hints;
	size_t nh, caph;
};

static RPC_PB(RegionInstruction) *
    instr_add(struct instr_list *l, uint64_t rid, enum rpc_instr_kind kind)
{
	void *p = l->items;
	if (mem_grow(&p, &l->cap, l->n + 1, sizeof(*l->items)))
		return NULL;
	l->items = p;
	RPC_PB(RegionInstruction) *in = arena_alloc(l->a, sizeof(*in));
	if (!in)
		return NULL;
	strata__region_instruction__init(in);
	in->region_id = rid;
	in->kind = (uint32_t)kind;
	l->items[l->n++] = in;
	return in;
}

static int hint_add(struct instr_list *l, uint64_t rid, uint64_t min_version)
{
	void *p = l->hints;
	if (mem_grow(&p, &l->caph, l->nh + 1, sizeof(*l->hints)))
		return ERR_NOMEM;
	l->hints = p;
	RPC_PB(LeaderRegionHint) *h = arena_alloc(l->a, sizeof(*h));
	if (!h)
		return ERR_NOMEM;
	strata__leader_region_hint__init(h);
	h->region_id = rid;
	h->min_follower_version = min_version;
	l->hints[l->nh++] = h;
	return ERR_OK;
}

static const struct region_stat *find_stat(const struct region_stat *st, uint32_t n, uint64_t rid)
{
	for (uint32_t i = 0; i < n; i++)
		if (st[i].region_id == rid)
			return &st[i];
	return NULL;
}

static bool route_has_follower(const struct region_route *rr, uint64_t node)
{
	for (uint32_t i = 0; i < rr->nfollowers; i++)
		if (rr->followers[i] == node)
			return true;
	return false;
}

/* Lowest installed version among rr's followers (0 when one has not
 * reported the region; UINT64_MAX when there is none). Holds reg.mu. */
static uint64_t min_follower_version_locked(struct registry *reg, const struct region_route *rr)
{
	uint64_t min = UINT64_MAX;
	for (uint32_t i = 0; i < rr->nfollowers; i++) {
		struct node_entry *f =
		    registry_find_locked(reg, CLUSTER_NODE_DATANODE, rr->followers[i]);
		const struct region_stat *st =
		    f ? find_stat(f->stats, f->nstats, rr->region_id) : NULL;
		uint64_t v = st && st->role == REGION_ROLE_FOLLOWER ? st->manifest_version : 0;
		if (v < min)
			min = v;
	}
	return min;
}

/* Leader id and address of a follower region (holds reg.mu). */
static int set_leader(struct instr_list *l, struct registry *reg, RPC_PB(RegionInstruction) * in,
                      const struct region_route *rr)
{
	in->leader_node_id = rr->leader;
	struct node_entry *e = registry_find_locked(reg, CLUSTER_NODE_DATANODE, rr->leader);
	if (e && e->addr[0]) {
		in->leader_addr = arena_strndup(l->a, e->addr, strlen(e->addr));
		if (!in->leader_addr)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/* Build the instructions for datanode `node` reporting stats[0..n). Holds
 * cache_mu (routes valid). */
static int build_instructions(struct metasrv *ms, uint64_t node, const struct region_stat *stats,
                              uint32_t nstats, struct instr_list *l)
{
	int rc = ERR_OK;
	pthread_mutex_lock(&ms->reg.mu);
	/* leaders' versions first, so that followers in this very reply of
	 * a node leading and following see them */
	for (uint32_t t = 0; t < ms->nroutes; t++) {
		const struct table_route *tr = ms->routes[t].route;
		for (uint32_t i = 0; i < tr->nregions; i++) {
			const struct region_route *rr = &tr->regions[i];
			const struct region_stat *st = find_stat(stats, nstats, rr->region_id);
			if (rr->leader == node && st && st->role == REGION_ROLE_LEADER &&
			    (rc = registry_set_leader_version_locked(&ms->reg, rr->region_id,
			                                             st->manifest_version)))
				goto out;
		}
	}
	for (uint32_t t = 0; t < ms->nroutes; t++) {
		const struct route_entry *re = &ms->routes[t];
		if (metasrv_ddl_pending(ms, re->table_id))
			continue;
		for (uint32_t i = 0; i < re->route->nregions; i++) {
			const struct region_route *rr = &re->route->regions[i];
			bool lead = rr->leader == node;
			if (!lead && !route_has_follower(rr, node))
				continue;
			enum region_role want = lead ? REGION_ROLE_LEADER : REGION_ROLE_FOLLOWER;
			const struct region_stat *st = find_stat(stats, nstats, rr->region_id);
			if (!st || st->role != want) {
				char dir[512];
				if ((rc = region_dir_format(dir, sizeof(dir), re->catalog,
				                            re->schema, rr->region_id)))
					goto out;
				RPC_PB(RegionInstruction) *in =
				    instr_add(l, rr->region_id, RPC_INSTR_OPEN);
				if (!in || !(in->dir = arena_strndup(l->a, dir, strlen(dir)))) {
					rc = ERR_NOMEM;
					goto out;
				}
				in->role = (uint32_t)want;
				if (!lead && (rc = set_leader(l, &ms->reg, in, rr)))
					goto out;
			}
			if (lead) {
				if ((rc = hint_add(l, rr->region_id,
				                   min_follower_version_locked(&ms->reg, rr))))
					goto out;
				continue;
			}
			RPC_PB(RegionInstruction) *in =
			    instr_add(l, rr->region_id, RPC_INSTR_INSTALL);
			if (!in) {
				rc = ERR_NOMEM;
				goto out;
			}
			in->role = REGION_ROLE_FOLLOWER;
			in->manifest_version =
			    registry_leader_version_locked(&ms->reg, rr->region_id);
			if ((rc = set_leader(l, &ms->reg, in, rr)))
				goto out;
		}
	}
	/* regions the node holds that no route gives it */
	for (uint32_t s = 0; s < nstats; s++) {
		uint64_t rid = stats[s].region_id;
		uint32_t tid = REGION_TABLE_ID(rid);
		if (metasrv_ddl_pending(ms, tid))
			continue;
		bool wanted = false;
		for (uint32_t t = 0; t < ms->nroutes && !wanted; t++) {
			const struct table_route *tr = ms->routes[t].route;
			if (tr->table_id != tid)
				continue;
			for (uint32_t i = 0; i < tr->nregions && !wanted; i++)
				wanted = tr->regions[i].region_id == rid &&
				         (tr->regions[i].leader == node ||
				          route_has_follower(&tr->regions[i], node));
		}
		if (!wanted && !instr_add(l, rid, RPC_INSTR_CLOSE)) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
out:
	pthread_mutex_unlock(&ms->reg.mu);
	return rc;
}

static void persist_datanode(struct metasrv *ms, uint64_t id, const char *addr, int64_t start_ms)
{
	char key[64], val[256];
	snprintf(key, sizeof(key), "__datanode/%" PRIu64, id);
	int n = snprintf(val, sizeof(val), "{\"addr\":\"%s\",\"start_time_ms\":%" PRId64 "}", addr,
	                 start_ms);
	if (kv_put(ms->kv, key, val, (size_t)n))
		log_warn("cannot remember datanode %" PRIu64 ": %s", id, err_msg());
}

int metasrv_handle_heartbeat(struct metasrv *ms, const RPC_PB(HeartbeatRequest) * req,
                             struct rpc_reply *r)
{
	struct arena *a = rpc_reply_arena(r);
	struct rpc_heartbeat hb;
	int rc = rpc_heartbeat_decode(req, a, &hb);
	if (rc)
		return rc;
	if (req->node_type != CLUSTER_NODE_DATANODE && req->node_type != CLUSTER_NODE_FRONTEND)
		return err_set(ERR_PROTOCOL, "heartbeat from unknown node type %u", req->node_type);
	enum cluster_node_type type = (enum cluster_node_type)req->node_type;
	if (type == CLUSTER_NODE_DATANODE && (!hb.addr[0] || strlen(hb.addr) >= 128))
		return err_set(ERR_PROTOCOL, "datanode heartbeat needs its address (host:port)");
	if (strlen(hb.addr) >= 128)
		return err_set(ERR_PROTOCOL, "heartbeat address too long");
	if (req->heartbeat_interval_ms > 3600 * 1000)
		return err_set(ERR_PROTOCOL, "heartbeat interval %u ms out of range",
		               req->heartbeat_interval_ms);

	struct registry_hb rh = {.type = type,
	                         .id = hb.node_id,
	                         .addr = hb.addr,
	                         .start_time_ms = req->start_time_ms,
	                         .interval_ms = req->heartbeat_interval_ms,
	                         .nstats = hb.nstats,
	                         .stats = hb.stats};
	bool joined;
	pthread_mutex_lock(&ms->reg.mu);
	rc = registry_heartbeat_locked(&ms->reg, &rh, metasrv_now_ms(), &joined);
	uint32_t iv =
	    req->heartbeat_interval_ms ? req->heartbeat_interval_ms : ms->reg.default_interval_ms;
	pthread_mutex_unlock(&ms->reg.mu);
	if (rc)
		return rc;
	if (joined && type == CLUSTER_NODE_DATANODE)
		persist_datanode(ms, hb.node_id, hb.addr, req->start_time_ms);

	RPC_PB(HeartbeatResponse) resp = STRATA__HEARTBEAT_RESPONSE__INIT;
	resp.lease_ms = 3 * (int64_t)iv + 1000;
	struct instr_list l = {.a = a};
	if (type == CLUSTER_NODE_DATANODE) {
		pthread_mutex_lock(&ms->cache_mu);
		int lrc = metasrv_routes_refresh_locked(ms);
		if (lrc == ERR_OK)
			rc = build_instructions(ms, hb.node_id, hb.stats, hb.nstats, &l);
		else
			log_warn("heartbeat of datanode %" PRIu64
			         ": routes unreadable, lease only: %s",
			         hb.node_id, err_msg());
		pthread_mutex_unlock(&ms->cache_mu);
	}
	if (rc == ERR_OK) {
		resp.instructions = l.items;
		resp.n_instructions = l.n;
		resp.leader_regions = l.hints;
		resp.n_leader_regions = l.nh;
		for (size_t i = 0; i < l.n; i++)
			if (l.items[i]->kind != RPC_INSTR_INSTALL)
				log_debug(
				    "datanode %" PRIu64 ": %s region %" PRIu64 "%s", hb.node_id,
				    l.items[i]->kind == RPC_INSTR_OPEN ? "open" : "close",
				    l.items[i]->region_id,
				    l.items[i]->kind != RPC_INSTR_OPEN       ? ""
				    : l.items[i]->role == REGION_ROLE_LEADER ? " as leader"
				                                             : " as follower");
		rc = rpc_reply_send(r, &resp.base);
	}
	mem_free(l.items);
	mem_free(l.hints);
	return rc;
}
