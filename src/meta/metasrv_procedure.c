/*
 * metasrv_procedure: DDL procedures (create / drop / truncate table) and
 * follower procedures (add / remove table / region followers), run on the
 * metasrv because it owns the routes. One procedure runs at a time
 * (proc_mu); each one changes the catalog / route with a compare-and-swap
 * (retried on a concurrent change), then tells the datanodes right away
 * instead of waiting for their next heartbeat.
 *
 * Follower rules (GreptimeDB's documented behaviour, error texts in its
 * style; "{rid}" renders as "4398046511105(1024, 1)"):
 *   - a follower never sits on its region's leader datanode, and a datanode
 *     holds at most one follower of a region;
 *   - add_table_follower(table, [ids]) adds one follower per region, on a
 *     listed datanode (every ALIVE datanode when none is listed) that is
 *     eligible, choosing the one with the fewest followers of this table,
 *     lowest id on ties. With regions on dn1 and dn2 and '0,1,2' this puts
 *     region 0's follower on dn0 and region 1's on dn1 (the documented
 *     example). All regions or none: a region with no eligible datanode
 *     fails the whole call;
 *   - remove_table_follower removes the newest follower of each region;
 *   - errors: unknown or dead datanode -> "The target peer is unavailable
 *     temporally: {id}" (ERR_UNAVAILABLE); unknown table / region ->
 *     ERR_NOT_FOUND; follower on the leader's datanode, duplicate follower,
 *     removing a follower that is not there, no eligible datanode ->
 *     ERR_BAD_INPUT "Invalid arguments: ..."; more than ROUTE_MAX_FOLLOWERS
 *     -> ERR_LIMIT.
 * The route change is durable before the datanode is told; a datanode that
 * cannot be told now converges at its next heartbeat.
 *
 * Create table: leaders round-robin over ALIVE datanodes (region i ->
 * alive[(cursor + i) % n], the cursor advancing by the number of regions,
 * like GreptimeDB's round_robin selector), catalog entry + route in one
 * transaction, then region_create on each leader; when a leader cannot
 * create its region, the regions made so far are dropped and the catalog
 * entry removed. Drop: catalog entry removed first, then every leader
 * drops and every follower closes its region (a node that cannot be
 * reached closes it at its next heartbeat). Truncate: every leader
 * truncates, then its followers install the new manifest version.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "base/fault.h"
#include "base/log.h"
#include "base/mem.h"
#include "meta/kv.h"
#include "meta/metasrv_int.h"

#define CAS_ATTEMPTS 8

/* ---- placement (pure) ---------------------------------------------------- */

void metasrv_place_leaders(const uint64_t *alive, uint32_t nalive, uint32_t start,
                           uint32_t nregions, uint64_t *leaders)
{
	for (uint32_t i = 0; i < nregions; i++)
		leaders[i] = alive[(uint64_t)(start + i) % nalive];
}

static bool has_follower(const struct region_route *rr, uint64_t node)
{
	for (uint32_t i = 0; i < rr->nfollowers; i++)
		if (rr->followers[i] == node)
			return true;
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorted, without duplicates, into a new array. */
static int sorted_unique(const uint64_t *in, uint32_t n, uint64_t **out, uint32_t *nout)
{
	*out = mem_alloc((n ? n : 1) * sizeof(**out));
	if (!*out)
		return ERR_NOMEM;
	memcpy(*out, in, n * sizeof(*in));
	qsort(*out, n, sizeof(**out), cmp_u64);
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++)
		if (k == 0 || (*out)[k - 1] != (*out)[i])
			(*out)[k++] = (*out)[i];
	*nout = k;
	return ERR_OK;
}

int metasrv_place_table_followers(const struct table_route *cur, const uint64_t *cands_in,
                                  uint32_t ncands_in, struct table_route **next)
{
	*next = NULL;
	uint64_t *cands = NULL;
	uint32_t *counts = NULL;
	uint32_t ncands;
	struct table_route *tr = NULL;
	int rc = sorted_unique(cands_in, ncands_in, &cands, &ncands);
	if (rc)
		return rc;
	if (!(counts = mem_calloc(ncands + 1, sizeof(*counts))) || !(tr = table_route_clone(cur))) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (uint32_t k = 0; k < ncands; k++)
		for (uint32_t i = 0; i < cur->nregions; i++)
			counts[k] += has_follower(&cur->regions[i], cands[k]);
	for (uint32_t i = 0; i < tr->nregions; i++) {
		struct region_route *rr = &tr->regions[i];
		int64_t best = -1;
		for (uint32_t k = 0; k < ncands; k++) {
			if (cands[k] == rr->leader || has_follower(rr, cands[k]))
				continue;
			if (best < 0 || counts[k] < counts[best])
				best = k; /* ascending ids: the first of equals is the lowest */
		}
		char name[64];
		region_id_format(name, sizeof(name), rr->region_id);
		if (best < 0) {
			rc = err_set(ERR_BAD_INPUT,
			             "Invalid arguments: no eligible datanode for a follower of "
			             "region %s: every candidate holds its leader or a follower",
			             name);
			goto out;
		}
		if (rr->nfollowers >= ROUTE_MAX_FOLLOWERS) {
			rc = err_set(ERR_LIMIT, "region %s already has %d followers", name,
			             ROUTE_MAX_FOLLOWERS);
			goto out;
		}
		rr->followers[rr->nfollowers++] = cands[best];
		counts[best]++;
	}
	*next = tr;
	tr = NULL;
out:
	table_route_free(tr);
	mem_free(cands);
	mem_free(counts);
	return rc;
}

/* ---- helpers -------------------------------------------------------------------- */

/* Keep the current error across cleanup calls that may overwrite it. */
struct saved_err {
	int code;
	char msg[1024];
};

static void err_save(struct saved_err *s, int code)
{
	s->code = code;
	snprintf(s->msg, sizeof(s->msg), "%s",
	         err_code() == code ? err_msg() : err_code_name(code));
}

static int err_restore(const struct saved_err *s)
{
	return err_set(s->code, "%s", s->msg);
}

static char *route_json(const struct table_route *tr)
{
	cJSON *j = table_route_to_json(tr);
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	return s;
}

static char *info_json(const struct table_info *t)
{
	cJSON *j = table_info_to_json(t);
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	return s;
}

/* The RPC client of a datanode that is not DEAD. */
static int datanode_client(struct metasrv *ms, uint64_t id, struct rpc_client **c)
{
	char addr[128];
	int rc = metasrv_datanode_addr(ms, id, addr, sizeof(addr));
	if (rc == ERR_OK)
		rc = metasrv_peer(ms, addr, c);
	return rc;
}

static int table_not_found(uint32_t table_id)
{
	return err_set(ERR_NOT_FOUND, "Table not found: table id %u", table_id);
}

static int region_not_found(uint64_t rid)
{
	char name[64];
	region_id_format(name, sizeof(name), rid);
	return err_set(ERR_NOT_FOUND, "Region %s not found", name);
}

static int get_route(struct metasrv *ms, uint32_t table_id, struct table_route **out)
{
	int rc = catalog_get_route(ms->kv, table_id, out);
	return rc == ERR_NOT_FOUND ? table_not_found(table_id) : rc;
}

/* Tell datanode `node` to open region rr as a follower now (best effort:
 * its next heartbeat does it otherwise). */
static void open_follower_now(struct metasrv *ms, const struct table_info *info,
                              const struct region_route *rr, uint64_t node)
{
	char dir[512], leader_addr[128] = "";
	struct rpc_client *c;
	if (region_dir_format(dir, sizeof(dir), info->catalog, info->schema, rr->region_id) ||
	    datanode_client(ms, node, &c)) {
		log_warn("region %" PRIu64 ": follower on datanode %" PRIu64
		         " left to its heartbeat: %s",
		         rr->region_id, node, err_msg());
		return;
	}
	if (metasrv_datanode_addr(ms, rr->leader, leader_addr, sizeof(leader_addr)))
		leader_addr[0] = 0;
	RPC_PB(RegionOpenRequest) req = STRATA__REGION_OPEN_REQUEST__INIT;
	req.region_id = rr->region_id;
	req.dir = dir;
	req.role = REGION_ROLE_FOLLOWER;
	req.leader_addr = leader_addr;
	req.leader_node_id = rr->leader;
	ProtobufCMessage *resp = NULL;
	int rc = rpc_call(c, RPC_REGION_OPEN, &req.base, &resp, 0);
	rpc_message_free(resp);
	if (rc)
		log_warn("region %" PRIu64 ": open follower on datanode %" PRIu64
		         " now failed (its heartbeat retries): %s",
		         rr->region_id, node, err_msg());
	else
		log_info("region %" PRIu64 ": follower opened on datanode %" PRIu64, rr->region_id,
		         node);
}

static void close_follower_now(struct metasrv *ms, uint64_t rid, uint64_t node)
{
	struct rpc_client *c;
	if (datanode_client(ms, node, &c) || rpc_region_close(c, rid))
		log_warn("region %" PRIu64 ": closing the follower on datanode %" PRIu64
		         " left to its heartbeat: %s",
		         rid, node, err_msg());
}

/* Reply with the changes (old vs new route) and the new route. */
static int reply_changes(struct rpc_reply *r, const struct table_route *old,
                         const struct table_route *next)
{
	struct arena *a = rpc_reply_arena(r);
	RPC_PB(FollowerChangeResponse) resp = STRATA__FOLLOWER_CHANGE_RESPONSE__INIT;
	size_t cap = 0;
	for (uint32_t i = 0; i < next->nregions; i++)
		cap += next->regions[i].nfollowers + old->regions[i].nfollowers;
	RPC_PB(FollowerChange) *items = arena_alloc(a, (cap + 1) * sizeof(*items));
	resp.changes = arena_alloc(a, (cap + 1) * sizeof(*resp.changes));
	if (!items || !resp.changes)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < next->nregions; i++) {
		const struct region_route *o = &old->regions[i], *n = &next->regions[i];
		for (int pass = 0; pass < 2; pass++) {
			const struct region_route *from = pass ? o : n, *other = pass ? n : o;
			for (uint32_t k = 0; k < from->nfollowers; k++) {
				if (has_follower(other, from->followers[k]))
					continue;
				RPC_PB(FollowerChange) *c = &items[resp.n_changes];
				strata__follower_change__init(c);
				c->region_id = n->region_id;
				c->datanode_id = from->followers[k];
				c->added = pass == 0;
				resp.changes[resp.n_changes++] = c;
			}
		}
	}
	char *json = route_json(next);
	if (!json)
		return ERR_NOMEM;
	resp.route_json = json;
	int rc = rpc_reply_send(r, &resp.base);
	cJSON_free(json);
	return rc;
}

/* Tell every datanode whose followers changed. */
static void notify_changes(struct metasrv *ms, const struct table_info *info,
                           const struct table_route *old, const struct table_route *next)
{
	for (uint32_t i = 0; i < next->nregions; i++) {
		const struct region_route *o = &old->regions[i], *n = &next->regions[i];
		for (uint32_t k = 0; k < n->nfollowers; k++)
			if (!has_follower(o, n->followers[k]))
				open_follower_now(ms, info, n, n->followers[k]);
		for (uint32_t k = 0; k < o->nfollowers; k++)
			if (!has_follower(n, o->followers[k]))
				close_follower_now(ms, o->region_id, o->followers[k]);
	}
}

/* ---- follower procedures ------------------------------------------------------------- */

/* Compute the new route of the table for an add (cands) or a remove. */
static int plan_table(struct metasrv *ms, bool add, const RPC_PB(TableFollowerRequest) * req,
                      const struct table_route *cur, struct table_route **next)
{
	*next = NULL;
	if (!add) {
		struct table_route *tr = table_route_clone(cur);
		if (!tr)
			return ERR_NOMEM;
		for (uint32_t i = 0; i < tr->nregions; i++)
			if (tr->regions[i].nfollowers)
				tr->regions[i].nfollowers--; /* the newest */
		*next = tr;
		return ERR_OK;
	}
	uint64_t *cands = NULL;
	uint32_t n = 0;
	int rc = ERR_OK;
	if (req->n_datanode_ids) {
		if (req->n_datanode_ids > 4096)
			return err_set(ERR_BAD_INPUT, "Invalid arguments: too many datanode ids");
		char addr[128];
		for (size_t i = 0; i < req->n_datanode_ids; i++)
			if ((rc = metasrv_datanode_addr(ms, req->datanode_ids[i], addr,
			                                sizeof(addr))))
				return rc;
		rc = sorted_unique(req->datanode_ids, (uint32_t)req->n_datanode_ids, &cands, &n);
	} else {
		pthread_mutex_lock(&ms->reg.mu);
		rc = registry_datanodes_locked(&ms->reg, NODE_ALIVE, &cands, &n);
		pthread_mutex_unlock(&ms->reg.mu);
		if (rc == ERR_OK && n == 0)
			rc = err_set(ERR_UNAVAILABLE, "No alive datanode to place followers on");
	}
	if (rc == ERR_OK)
		rc = metasrv_place_table_followers(cur, cands, n, next);
	mem_free(cands);
	return rc;
}

int metasrv_handle_table_follower(struct metasrv *ms, bool add,
                                  const RPC_PB(TableFollowerRequest) * req, struct rpc_reply *r)
{
	struct table_info *info = NULL;
	struct table_route *cur = NULL, *next = NULL;
	pthread_mutex_lock(&ms->proc_mu);
	int rc = catalog_get_table_by_id(ms->kv, req->table_id, &info);
	if (rc == ERR_NOT_FOUND)
		rc = table_not_found(req->table_id);
	for (int attempt = 0; rc == ERR_OK; attempt++) {
		table_route_free(cur);
		table_route_free(next);
		cur = next = NULL;
		if ((rc = get_route(ms, req->table_id, &cur)) ||
		    (rc = plan_table(ms, add, req, cur, &next)))
			break;
		rc = catalog_cas_route(ms->kv, cur, next);
		if (rc != ERR_CONFLICT || attempt + 1 >= CAS_ATTEMPTS)
			break;
		rc = ERR_OK;
	}
	if (rc == ERR_OK) {
		metasrv_routes_invalidate(ms);
		log_info("%s table follower: table %u", add ? "add" : "remove", req->table_id);
		notify_changes(ms, info, cur, next);
		rc = reply_changes(r, cur, next);
	}
	pthread_mutex_unlock(&ms->proc_mu);
	table_info_free(info);
	table_route_free(cur);
	table_route_free(next);
	return rc;
}

/* The new route for adding / removing follower `node` of region `rid`. */
static int plan_region(struct metasrv *ms, bool add, uint64_t rid, uint64_t node,
                       const struct table_route *cur, struct table_route **next)
{
	*next = NULL;
	int idx = -1;
	for (uint32_t i = 0; i < cur->nregions; i++)
		if (cur->regions[i].region_id == rid)
			idx = (int)i;
	if (idx < 0)
		return region_not_found(rid);
	const struct region_route *rr = &cur->regions[idx];
	char name[64], addr[128];
	region_id_format(name, sizeof(name), rid);
	if (add) {
		int rc = metasrv_datanode_addr(ms, node, addr, sizeof(addr));
		if (rc)
			return rc;
		if (rr->leader == node)
			return err_set(ERR_BAD_INPUT,
			               "Invalid arguments: datanode %" PRIu64
			               " holds the leader of region %s; a follower must be on "
			               "another datanode",
			               node, name);
		if (has_follower(rr, node))
			return err_set(ERR_BAD_INPUT,
			               "Invalid arguments: datanode %" PRIu64
			               " already has a follower of region %s",
			               node, name);
		if (rr->nfollowers >= ROUTE_MAX_FOLLOWERS)
			return err_set(ERR_LIMIT, "region %s already has %d followers", name,
			               ROUTE_MAX_FOLLOWERS);
	} else if (!has_follower(rr, node)) {
		return err_set(ERR_BAD_INPUT,
		               "Invalid arguments: datanode %" PRIu64
		               " has no follower of region %s",
		               node, name);
	}
	struct table_route *tr = table_route_clone(cur);
	if (!tr)
		return ERR_NOMEM;
	struct region_route *nr = &tr->regions[idx];
	if (add) {
		nr->followers[nr->nfollowers++] = node;
	} else {
		uint32_t k = 0;
		for (uint32_t i = 0; i < nr->nfollowers; i++)
			if (nr->followers[i] != node)
				nr->followers[k++] = nr->followers[i];
		nr->nfollowers = k;
	}
	*next = tr;
	return ERR_OK;
}

int metasrv_handle_region_follower(struct metasrv *ms, bool add,
                                   const RPC_PB(RegionFollowerRequest) * req, struct rpc_reply *r)
{
	uint32_t tid = REGION_TABLE_ID(req->region_id);
	struct table_info *info = NULL;
	struct table_route *cur = NULL, *next = NULL;
	pthread_mutex_lock(&ms->proc_mu);
	int rc = catalog_get_table_by_id(ms->kv, tid, &info);
	if (rc == ERR_NOT_FOUND)
		rc = region_not_found(req->region_id);
	for (int attempt = 0; rc == ERR_OK; attempt++) {
		table_route_free(cur);
		table_route_free(next);
		cur = next = NULL;
		rc = catalog_get_route(ms->kv, tid, &cur);
		if (rc == ERR_NOT_FOUND)
			rc = region_not_found(req->region_id);
		if (rc || (rc = plan_region(ms, add, req->region_id, req->datanode_id, cur, &next)))
			break;
		rc = catalog_cas_route(ms->kv, cur, next);
		if (rc != ERR_CONFLICT || attempt + 1 >= CAS_ATTEMPTS)
			break;
		rc = ERR_OK;
	}
	if (rc == ERR_OK) {
		metasrv_routes_invalidate(ms);
		log_info("%s region follower: region %" PRIu64 " datanode %" PRIu64,
		         add ? "add" : "remove", req->region_id, req->datanode_id);
		notify_changes(ms, info, cur, next);
		rc = reply_changes(r, cur, next);
	}
	pthread_mutex_unlock(&ms->proc_mu);
	table_info_free(info);
	table_route_free(cur);
	table_route_free(next);
	return rc;
}

/* ---- DDL ------------------------------------------------------------------------------ */

static int reply_table(struct rpc_reply *r, bool created, const struct table_info *info,
                       const struct table_route *tr)
{
	RPC_PB(CreateTableResponse) resp = STRATA__CREATE_TABLE_RESPONSE__INIT;
	resp.created = created;
	char *ij = info_json(info);
	char *rj = route_json(tr);
	int rc = ERR_NOMEM;
	if (ij && rj) {
		resp.table_info_json = ij;
		resp.route_json = rj;
		rc = rpc_reply_send(r, &resp.base);
	}
	cJSON_free(ij);
	cJSON_free(rj);
	return rc;
}

/* Choose the leaders of nregions regions (explicit or round-robin). */
static int choose_leaders(struct metasrv *ms, const RPC_PB(CreateTableRequest) * req,
                          const char *table, uint32_t nregions, uint64_t *leaders)
{
	char addr[128];
	int rc;
	if (req->n_leaders) {
		if (req->n_leaders != nregions)
			return err_set(ERR_BAD_INPUT,
			               "Invalid arguments: %zu leader ids for %u regions",
			               req->n_leaders, nregions);
		for (uint32_t i = 0; i < nregions; i++) {
			if ((rc = metasrv_datanode_addr(ms, req->leaders[i], addr, sizeof(addr))))
				return rc;
			leaders[i] = req->leaders[i];
		}
		return ERR_OK;
	}
	uint64_t *alive;
	uint32_t n;
	pthread_mutex_lock(&ms->reg.mu);
	rc = registry_datanodes_locked(&ms->reg, NODE_ALIVE, &alive, &n);
	pthread_mutex_unlock(&ms->reg.mu);
	if (rc)
		return rc;
	if (n == 0)
		rc = err_set(ERR_UNAVAILABLE, "No alive datanode to place the regions of table %s",
		             table);
	else {
		metasrv_place_leaders(alive, n, ms->rr_cursor, nregions, leaders);
		ms->rr_cursor += nregions;
	}
	mem_free(alive);
	return rc;
}

/* Create region i of the table on its leader. */
static int create_region(struct metasrv *ms, const struct table_info *info,
                         const struct region_route *rr)
{
	char dir[512];
	struct rpc_client *c;
	int rc = region_dir_format(dir, sizeof(dir), info->catalog, info->schema, rr->region_id);
	if (rc == ERR_OK)
		rc = datanode_client(ms, rr->leader, &c);
	if (rc == ERR_OK)
		rc = rpc_region_create(c, rr->region_id, dir, info->region_schema);
	if (rc)
		err_wrap("create region %" PRIu64 " on datanode %" PRIu64, rr->region_id,
		         rr->leader);
	return rc;
}

/* ALTER TABLE ADD/DROP COLUMN (method ALTER_TABLE; also the older
 * CreateTableRequest.alter_schema): every leader changes its region's
 * schema (REGION_ALTER with the successor schema), followers are
 * told to install the new manifest version right away (as GreptimeDB
 * pushes a sync after DDL), then the catalog entry is replaced. A region
 * already at the new version is left alone, so a retry completes.
 *
 * Alter intents: before the first region is asked, the new table info is
 * stored under "__strata_alter_intent/<table_id>/<version>" (JSON of
 * table_info_to_json) in the metadata store; it is deleted once the
 * catalog holds that version. An intent left behind - the metasrv died
 * between the regions and the catalog, or a region failed after others
 * had changed - would leave the table refusing every write (its regions
 * ahead of the catalog), so metasrv_resume_alters, run by the metasrv's
 * procedure thread every ALTER_RESUME_MS while it leads, runs the
 * procedure again from the intent until it completes (or the catalog has
 * moved past it, or the table is gone). An ALTER that failed before any
 * region changed leaves no intent (unless one was already there). */
#define ALTER_INTENT_PREFIX "__strata_alter_intent/"

static void alter_intent_key(char *key, size_t n, uint32_t table_id, uint64_t version)
{
	snprintf(key, n, ALTER_INTENT_PREFIX "%u/%" PRIu64, table_id, version);
}

static int leader_version(struct rpc_client *c, uint64_t rid, uint64_t *version);

static bool intent_exists(struct metasrv *ms, const char *ikey)
{
	uint8_t *v = NULL;
	size_t vlen = 0;
	bool found = kv_get(ms->kv, ikey, &v, &vlen) == ERR_OK;
	mem_free(v);
	err_clear();
	return found;
}

static int alter_table(struct metasrv *ms, struct table_info *info, struct rpc_reply *r,
                       bool resume)
{
	struct table_info *existing = NULL;
	struct table_route *tr = NULL;
	char ikey[96];
	alter_intent_key(ikey, sizeof(ikey), info->table_id, info->region_schema->version);
	uint32_t changed = 0;
	pthread_mutex_lock(&ms->proc_mu);
	int rc = catalog_get_table(ms->kv, info->catalog, info->schema, info->name, &existing);
	if (rc == ERR_NOT_FOUND || (rc == ERR_OK && existing->table_id != info->table_id))
		rc = table_not_found(info->table_id);
	/* read once, under proc_mu: no other ALTER writes or removes it meanwhile */
	bool had_intent = false;
	if (rc == ERR_OK)
		had_intent = intent_exists(ms, ikey);
	if (resume && rc == ERR_OK && !had_intent)
		goto out; /* the ALTER that wrote it finished (or gave up with nothing
		           * changed) since the intent was listed */
	if (resume && (rc == ERR_NOT_FOUND ||
	               (rc == ERR_OK && info->region_schema->version !=
	                                    existing->region_schema->version + 1))) {
		/* done meanwhile, superseded, or the table is gone */
		err_clear();
		rc = kv_delete(ms->kv, ikey);
		goto out;
	}
	if (rc == ERR_OK &&
	    info->region_schema->version != existing->region_schema->version + 1)
		rc = err_set(ERR_CONFLICT,
		             "alter table %s: schema version %" PRIu64 " does not follow %" PRIu64
		             " (a concurrent ALTER?)",
		             info->name, info->region_schema->version,
		             existing->region_schema->version);
	if (rc == ERR_OK)
		rc = get_route(ms, info->table_id, &tr);
	if (rc == ERR_OK) {
		char *ij = info_json(info);
		rc = ij ? kv_put_str(ms->kv, ikey, ij) : ERR_NOMEM;
		cJSON_free(ij);
	}
	if (rc)
		goto out;
	metasrv_ddl_begin(ms, info->table_id);
	for (uint32_t i = 0; rc == ERR_OK && i < tr->nregions; i++) {
		const struct region_route *rr = &tr->regions[i];
		struct rpc_client *c;
		uint64_t v = 0;
		if ((rc = datanode_client(ms, rr->leader, &c)) ||
		    (rc = rpc_region_alter(c, rr->region_id, info->region_schema))) {
			err_wrap("alter table %s: region %" PRIu64 " on datanode %" PRIu64, info->name,
			         rr->region_id, rr->leader);
			break;
		}
		changed++;
		/* a test stops the metasrv here, between the regions and the catalog */
		if ((rc = fault_hit(FAULT_METASRV_ALTER_REGION)))
			break;
		if ((rc = leader_version(c, rr->region_id, &v))) {
			log_warn("alter: version of region %" PRIu64 " unknown: %s", rr->region_id,
			         err_msg());
			rc = ERR_OK;
			continue; /* followers learn it from the next heartbeats */
		}
		pthread_mutex_lock(&ms->reg.mu);
		registry_set_leader_version_locked(&ms->reg, rr->region_id, v);
		pthread_mutex_unlock(&ms->reg.mu);
		for (uint32_t k = 0; k < rr->nfollowers; k++) {
			struct rpc_client *fc;
			if (datanode_client(ms, rr->followers[k], &fc) ||
			    rpc_region_install(fc, rr->region_id, v))
				log_warn("alter: follower of region %" PRIu64 " on datanode %" PRIu64
				         " installs at its heartbeat: %s",
				         rr->region_id, rr->followers[k], err_msg());
		}
	}
	if (rc == ERR_OK)
		rc = catalog_update_table(ms->kv, info);
	metasrv_ddl_end(ms, info->table_id);
	metasrv_routes_invalidate(ms);
	if (rc == ERR_OK || (changed == 0 && !had_intent)) {
		/* done, or nothing changed: nothing to complete later (a failed
		 * delete leaves an intent the resume finds already done) */
		int saved = rc;
		char *msg = saved ? mem_strdup(err_msg()) : NULL;
		if (kv_delete(ms->kv, ikey))
			log_warn("alter table %s: intent %s stays: %s", info->name, ikey, err_msg());
		rc = saved;
		if (msg)
			err_set(rc, "%s", msg);
		mem_free(msg);
	} else {
		log_warn("alter table %s: stopped after %u region(s) changed (%s); the metasrv "
		         "completes it from intent %s",
		         info->name, changed, err_msg(), ikey);
	}
	if (rc == ERR_OK) {
		log_info("%s table %u (%s): schema version %" PRIu64,
		         resume ? "completed the interrupted ALTER of" : "altered", info->table_id,
		         info->name, info->region_schema->version);
		if (r)
			rc = reply_table(r, false, info, tr);
	}
out:
	pthread_mutex_unlock(&ms->proc_mu);
	table_info_free(existing);
	table_route_free(tr);
	return rc;
}

int metasrv_resume_alters(struct metasrv *ms)
{
	struct kv_list l = {0};
	int rc = kv_range(ms->kv, ALTER_INTENT_PREFIX, &l);
	for (size_t i = 0; rc == ERR_OK && i < l.n; i++) {
		const struct kv_pair *kp = &l.items[i];
		struct table_info *info = NULL;
		cJSON *j = cJSON_ParseWithLength((const char *)kp->value, kp->len);
		int r = j ? table_info_from_json(j, &info) : ERR_CORRUPT;
		cJSON_Delete(j);
		if (r == ERR_OK && (!info->region_schema || !info->catalog || !info->schema ||
		                    !info->name || region_schema_validate(info->region_schema)))
			r = ERR_CORRUPT;
		if (r == ERR_CORRUPT) {
			/* cannot be completed; keeping it would only repeat this */
			log_error("alter intent %s is not a table info; removed", kp->key);
			kv_delete(ms->kv, kp->key);
		} else if (r == ERR_OK && (r = alter_table(ms, info, NULL, true))) {
			log_warn("alter intent %s: not completed yet: %s", kp->key, err_msg());
		}
		table_info_free(info);
	}
	kv_list_free(&l);
	return rc;
}

int metasrv_handle_alter_table(struct metasrv *ms, const RPC_PB(AlterTableRequest) * req,
                               struct rpc_reply *r)
{
	struct table_info *info = NULL;
	cJSON *j = cJSON_Parse(req->table_info_json ? req->table_info_json : "");
	if (!j)
		return err_set(ERR_BAD_INPUT, "alter table: table info is not JSON");
	int rc = table_info_from_json(j, &info);
	cJSON_Delete(j);
	if (rc)
		return err_wrap("alter table");
	if (!info->region_schema || !info->catalog || !info->schema || !info->name)
		rc = err_set(ERR_BAD_INPUT, "alter table: table info lacks a name or schema");
	else if ((rc = region_schema_validate(info->region_schema)) == ERR_OK)
		rc = alter_table(ms, info, r, false);
	table_info_free(info);
	return rc;
}

int metasrv_handle_create_table(struct metasrv *ms, const RPC_PB(CreateTableRequest) * req,
                                struct rpc_reply *r)
{
	struct table_info *info = NULL, *existing = NULL;
	struct table_route *tr = NULL;
	cJSON *j = cJSON_Parse(req->table_info_json ? req->table_info_json : "");
	if (!j)
		return err_set(ERR_BAD_INPUT, "create table: table info is not JSON");
	int rc = table_info_from_json(j, &info);
	cJSON_Delete(j);
	if (rc)
		return err_wrap("create table");
	if (!info->region_schema || !info->catalog || !info->schema || !info->name) {
		table_info_free(info);
		return err_set(ERR_BAD_INPUT, "create table: table info lacks a name or schema");
	}
	if ((rc = region_schema_validate(info->region_schema))) {
		table_info_free(info);
		return rc;
	}
	if (req->alter_schema) {
		rc = alter_table(ms, info, r, false);
		table_info_free(info);
		return rc;
	}
	uint32_t nregions = info->nrules ? info->nrules : 1;
	pthread_mutex_lock(&ms->proc_mu);
	rc = catalog_get_table(ms->kv, info->catalog, info->schema, info->name, &existing);
	if (rc == ERR_OK) {
		if (req->if_not_exists && (rc = get_route(ms, existing->table_id, &tr)) == ERR_OK)
			rc = reply_table(r, false, existing, tr);
		else if (!req->if_not_exists)
			rc = err_set(ERR_EXISTS, "Table already exists: `%s.%s.%s`", info->catalog,
			             info->schema, info->name);
		goto out;
	}
	if (rc != ERR_NOT_FOUND)
		goto out;
	err_clear();
	tr = mem_calloc(1, sizeof(*tr));
	uint64_t *leaders = mem_calloc(nregions, sizeof(*leaders));
	if (tr)
		tr->regions = mem_calloc(nregions, sizeof(*tr->regions));
	if (!tr || !leaders || !tr->regions) {
		mem_free(leaders);
		rc = ERR_NOMEM;
		goto out;
	}
	tr->nregions = nregions;
	rc = choose_leaders(ms, req, info->name, nregions, leaders);
	for (uint32_t i = 0; rc == ERR_OK && i < nregions; i++)
		tr->regions[i].leader = leaders[i];
	mem_free(leaders);
	if (rc || (rc = catalog_create_table(ms->kv, info, tr, false, NULL)))
		goto out;
	metasrv_ddl_begin(ms, info->table_id);
	metasrv_routes_invalidate(ms);
	uint32_t made = 0;
	for (; made < nregions && rc == ERR_OK; made++)
		rc = create_region(ms, info, &tr->regions[made]);
	if (rc) {
		struct saved_err se;
		err_save(&se, rc);
		log_warn("create table %s failed, rolling back: %s", info->name, se.msg);
		for (uint32_t i = 0; i + 1 < made; i++) {
			struct rpc_client *c;
			if (datanode_client(ms, tr->regions[i].leader, &c) == ERR_OK)
				rpc_region_drop(c, tr->regions[i].region_id);
		}
		catalog_drop_table(ms->kv, info);
		rc = err_restore(&se);
	} else {
		log_info("created table %s.%s.%s (id %u, %u regions)", info->catalog, info->schema,
		         info->name, info->table_id, nregions);
	}
	metasrv_routes_invalidate(ms);
	metasrv_ddl_end(ms, info->table_id);
	if (rc == ERR_OK)
		rc = reply_table(r, true, info, tr);
out:
	pthread_mutex_unlock(&ms->proc_mu);
	table_info_free(info);
	table_info_free(existing);
	table_route_free(tr);
	return rc;
}

int metasrv_handle_drop_table(struct metasrv *ms, const RPC_PB(TableIdRequest) * req,
                              struct rpc_reply *r)
{
	(void)r;
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	pthread_mutex_lock(&ms->proc_mu);
	int rc = catalog_get_table_by_id(ms->kv, req->table_id, &info);
	if (rc == ERR_NOT_FOUND)
		rc = table_not_found(req->table_id);
	if (rc == ERR_OK && (rc = catalog_get_route(ms->kv, req->table_id, &tr)) == ERR_NOT_FOUND)
		rc = ERR_OK; /* no route: nothing to drop on datanodes */
	if (rc)
		goto out;
	metasrv_ddl_begin(ms, req->table_id);
	rc = catalog_drop_table(ms->kv, info);
	metasrv_routes_invalidate(ms);
	for (uint32_t i = 0; rc == ERR_OK && tr && i < tr->nregions; i++) {
		const struct region_route *rr = &tr->regions[i];
		for (int32_t k = -1; k < (int32_t)rr->nfollowers; k++) {
			uint64_t node = k < 0 ? rr->leader : rr->followers[k];
			struct rpc_client *c;
			if (datanode_client(ms, node, &c) || rpc_region_drop(c, rr->region_id))
				log_warn("drop table %u: region %" PRIu64 " on datanode %" PRIu64
				         " left to its heartbeat: %s",
				         req->table_id, rr->region_id, node, err_msg());
		}
	}
	metasrv_ddl_end(ms, req->table_id);
	metasrv_routes_invalidate(ms);
	if (rc == ERR_OK)
		log_info("dropped table %u (%s)", req->table_id, info->name);
out:
	pthread_mutex_unlock(&ms->proc_mu);
	table_info_free(info);
	table_route_free(tr);
	return rc;
}

/* Manifest version of region rid on the datanode behind c. */
static int leader_version(struct rpc_client *c, uint64_t rid, uint64_t *version)
{
	struct region_stat *st;
	uint32_t n;
	int rc = rpc_region_stats(c, &st, &n);
	if (rc)
		return rc;
	rc = region_not_found(rid);
	for (uint32_t i = 0; i < n; i++)
		if (st[i].region_id == rid) {
			*version = st[i].manifest_version;
			rc = ERR_OK;
		}
	mem_free(st);
	return rc;
}

int metasrv_handle_truncate_table(struct metasrv *ms, const RPC_PB(TableIdRequest) * req,
                                  struct rpc_reply *r)
{
	(void)r;
	struct table_route *tr = NULL;
	pthread_mutex_lock(&ms->proc_mu);
	int rc = get_route(ms, req->table_id, &tr);
	for (uint32_t i = 0; rc == ERR_OK && i < tr->nregions; i++) {
		const struct region_route *rr = &tr->regions[i];
		struct rpc_client *c;
		uint64_t v = 0;
		if ((rc = datanode_client(ms, rr->leader, &c)) ||
		    (rc = rpc_region_truncate(c, rr->region_id))) {
			err_wrap("truncate region %" PRIu64, rr->region_id);
			break;
		}
		if (leader_version(c, rr->region_id, &v)) {
			log_warn("truncate: version of region %" PRIu64 " unknown: %s",
			         rr->region_id, err_msg());
			continue; /* followers learn it from the next heartbeats */
		}
		pthread_mutex_lock(&ms->reg.mu);
		registry_set_leader_version_locked(&ms->reg, rr->region_id, v);
		pthread_mutex_unlock(&ms->reg.mu);
		for (uint32_t k = 0; k < rr->nfollowers; k++) {
			struct rpc_client *fc;
			if (datanode_client(ms, rr->followers[k], &fc) ||
			    rpc_region_install(fc, rr->region_id, v))
				log_warn("truncate: follower of region %" PRIu64
				         " on datanode %" PRIu64 " installs at its heartbeat: %s",
				         rr->region_id, rr->followers[k], err_msg());
		}
	}
	if (rc == ERR_OK)
		log_info("truncated table %u", req->table_id);
	pthread_mutex_unlock(&ms->proc_mu);
	table_route_free(tr);
	return rc;
}
