/*
 * follower_read: the region_scan service of a datanode (leader reads and
 * follower reads), the per-region bookkeeping behind it (role, leader of a
 * follower, GC hint of a leader) and the read counters that prove which
 * peer served a query.
 *
 * A follower read (read_mode = follower) of region R:
 *   1. the leader's snapshot (V, rows): carried in the request, or fetched
 *      here from the leader's region_snapshot (the leader's address comes
 *      from the metasrv: heartbeat replies or the open request); rows are
 *      the leader's memtable rows not in V, taken atomically with V;
 *   2. region_server_follower_scan installs V if the follower is behind and
 *      merges the SSTs of V with those rows, deduplicating like the leader
 *      - so the answer equals a leader read that started at the fetch;
 *   3. with memtable fetch switched off (datanode flag or node_debug
 *      setting "follower_memtable_fetch"), only the installed SSTs are read:
 *      rows become visible once flushed and installed through heartbeats.
 * No leader reachable means an error, never a silently stale answer.
 * A leader read (read_mode = leader) of a region this node holds as a
 * follower is refused (ERR_UNAVAILABLE): the caller's route is stale.
 *
 * Partial aggregation (RegionScanRequest.partial_agg_*, partial_agg.c):
 * the same source - leader scan, follower merge with the leader's
 * snapshot, or SSTs only - is handed to the query engine instead of being
 * sent; the reply rows are the query's result. The scan hint "last row per
 * series" arrives as its marked predicate (rpc codec); a leader's snapshot
 * for a follower ignores it (region_snapshot returns every memtable row the
 * follower's merge needs).
 *
 * Reply rows: the projected user columns only (every column without a
 * projection), in region column order; cluster_client widens them back.
 * They are written as the source yields them (leader scan and follower
 * merge alike: the sorted source is pulled batch by batch, each batch cut
 * into chunk frames of at most the request's chunk_bytes and written at
 * once; a frontend that does not read blocks the write - TCP flow
 * control - and one that went away fails it, which ends the scan). The
 * leader's snapshot a follower merges is its memtable rows, fetched
 * whole (bounded by the leader's memtable budget). Past the request's
 * timeout_ms the scan stops with the statement-timeout error.
 *
 * The scan request is checked against the region schema before use: the
 * projection has one flag per column, predicates name existing columns and
 * carry literals of the column's physical kind (a hostile literal must
 * not be read as the wrong union member).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "base/fault.h"
#include "base/log.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "datanode/datanode_int.h"

/* ---- bookkeeping --------------------------------------------------------- */

/* create: add a missing entry with role `role`. */
static struct dn_region *find_locked(struct datanode *dn, uint64_t rid, bool create,
                                     enum region_role role)
{
	for (size_t i = 0; i < dn->nregions; i++)
		if (dn->regions[i].region_id == rid)
			return &dn->regions[i];
	if (!create)
		return NULL;
	void *p = dn->regions;
	if (mem_grow(&p, &dn->capregions, dn->nregions + 1, sizeof(*dn->regions)))
		return NULL;
	dn->regions = p;
	struct dn_region *e = &dn->regions[dn->nregions++];
	memset(e, 0, sizeof(*e));
	e->region_id = rid;
	e->role = role;
	return e;
}

void dn_region_set_role(struct datanode *dn, uint64_t rid, enum region_role role)
{
	pthread_mutex_lock(&dn->info_mu);
	struct dn_region *e = find_locked(dn, rid, true, role);
	if (e) {
		e->role = role;
		e->open_failures = 0;
	}
	pthread_mutex_unlock(&dn->info_mu);
}

uint32_t dn_region_open_failed(struct datanode *dn, uint64_t rid, enum region_role role)
{
	pthread_mutex_lock(&dn->info_mu);
	struct dn_region *e = find_locked(dn, rid, true, role);
	uint32_t n = e ? ++e->open_failures : 1;
	pthread_mutex_unlock(&dn->info_mu);
	return n;
}

void dn_region_forget(struct datanode *dn, uint64_t rid)
{
	pthread_mutex_lock(&dn->info_mu);
	for (size_t i = 0; i < dn->nregions; i++)
		if (dn->regions[i].region_id == rid) {
			dn->regions[i] = dn->regions[--dn->nregions];
			break;
		}
	pthread_mutex_unlock(&dn->info_mu);
}

void dn_region_set_leader(struct datanode *dn, uint64_t rid, uint64_t leader_node, const char *addr,
                          uint64_t leader_version)
{
	pthread_mutex_lock(&dn->info_mu);
	struct dn_region *e = find_locked(dn, rid, true, REGION_ROLE_FOLLOWER);
	if (e) {
		if (e->leader_node != leader_node)
			e->leader_addr[0] = 0; /* another leader: forget the old address */
		e->leader_node = leader_node;
		if (addr && addr[0])
			snprintf(e->leader_addr, sizeof(e->leader_addr), "%s", addr);
		if (leader_version > e->leader_version)
			e->leader_version = leader_version;
	}
	pthread_mutex_unlock(&dn->info_mu);
}

void dn_region_set_gc_hint(struct datanode *dn, uint64_t rid, uint64_t min_follower_version)
{
	pthread_mutex_lock(&dn->info_mu);
	struct dn_region *e = find_locked(dn, rid, true, REGION_ROLE_LEADER);
	if (e) {
		e->min_follower_version = min_follower_version;
		e->has_gc_hint = true;
	}
	pthread_mutex_unlock(&dn->info_mu);
}

uint64_t dn_region_min_follower_version(void *ctx, uint64_t rid)
{
	struct datanode *dn = ctx;
	pthread_mutex_lock(&dn->info_mu);
	struct dn_region *e = find_locked(dn, rid, false, REGION_ROLE_LEADER);
	/* no word from the metasrv yet: assume a follower still reads v0 */
	uint64_t v = e && e->has_gc_hint ? e->min_follower_version : 0;
	pthread_mutex_unlock(&dn->info_mu);
	return v;
}

void dn_count_snapshot(struct datanode *dn, uint64_t rid)
{
	pthread_mutex_lock(&dn->info_mu);
	struct dn_region *e = find_locked(dn, rid, false, REGION_ROLE_LEADER);
	if (e)
		e->snapshots_served++;
	pthread_mutex_unlock(&dn->info_mu);
}

enum read_kind { READ_LEADER, READ_FOLLOWER_FETCH, READ_FOLLOWER_SST };

static void count_read(struct datanode *dn, uint64_t rid, enum read_kind k)
{
	pthread_mutex_lock(&dn->info_mu);
	struct dn_region *e = find_locked(dn, rid, false, REGION_ROLE_LEADER);
	if (e) {
		if (k == READ_LEADER) {
			e->reads_leader++;
		} else {
			e->reads_follower++;
			if (k == READ_FOLLOWER_FETCH)
				e->reads_follower_fetch++;
			else
				e->reads_follower_sst++;
		}
	}
	pthread_mutex_unlock(&dn->info_mu);
}

/* Role, and for a follower the leader's address (addr may be NULL). */
static int region_role_of(struct datanode *dn, uint64_t rid, enum region_role *role, char *addr,
                          size_t n)
{
	pthread_mutex_lock(&dn->info_mu);
	struct dn_region *e = find_locked(dn, rid, false, REGION_ROLE_LEADER);
	if (e) {
		*role = e->role;
		if (addr)
			snprintf(addr, n, "%s", e->leader_addr);
	}
	pthread_mutex_unlock(&dn->info_mu);
	if (!e) {
		char name[64];
		region_id_format(name, sizeof(name), rid);
		return err_set(ERR_NOT_FOUND, "Region %s not found", name);
	}
	return ERR_OK;
}

int dn_peer(struct datanode *dn, const char *addr, struct rpc_client **out)
{
	int rc = ERR_OK;
	pthread_mutex_lock(&dn->peers_mu);
	for (size_t i = 0; i < dn->npeers; i++)
		if (!strcmp(dn->peers[i].addr, addr)) {
			*out = dn->peers[i].c;
			goto out;
		}
	void *p = dn->peers;
	if ((rc = mem_grow(&p, &dn->cappeers, dn->npeers + 1, sizeof(*dn->peers))))
		goto out;
	dn->peers = p;
	struct rpc_client_options o;
	rpc_client_options_init(&o);
	o.connect_timeout_ms = 1000;
	/* below the 10 s a frontend waits for the whole follower read, so a
	 * leader that went silent surfaces as "leader snapshot: timed out"
	 * instead of the caller's own timeout */
	o.request_timeout_ms = 5000;
	if ((rc = rpc_client_create(addr, &o, out)))
		goto out;
	snprintf(dn->peers[dn->npeers].addr, sizeof(dn->peers[0].addr), "%s", addr);
	dn->peers[dn->npeers++].c = *out;
out:
	pthread_mutex_unlock(&dn->peers_mu);
	return rc;
}

/* ---- scans ------------------------------------------------------------------- */

static bool literal_ok(const struct datum *d, enum dtype col)
{
	return d->is_null || (d->type < DT__COUNT && dtype_phys(d->type) == dtype_phys(col));
}

static int check_scan(const struct region_schema *s, const RPC_PB(ScanRequest) * pb,
                      const struct scan_request *req)
{
	if (pb && pb->n_projection && pb->n_projection != s->ncols)
		return err_set(ERR_BAD_INPUT,
		               "scan projection has %zu flags, region has %u columns",
		               pb->n_projection, s->ncols);
	for (uint32_t i = 0; i < req->npreds; i++) {
		const struct scan_pred *p = &req->preds[i];
		if (p->col >= s->ncols)
			return err_set(ERR_BAD_INPUT, "predicate %u: no column %u", i, p->col);
		enum dtype t = s->cols[p->col].type;
		bool cmp = p->op <= PRED_GE;
		if (cmp && !literal_ok(&p->lit, t))
			return err_set(
			    ERR_BAD_INPUT, "predicate %u: literal of type %s for column %s (%s)", i,
			    dtype_name(p->lit.type), s->cols[p->col].name, dtype_name(t));
		for (uint32_t k = 0; p->op == PRED_IN && k < p->nlist; k++)
			if (!literal_ok(&p->list[k], t))
				return err_set(ERR_BAD_INPUT,
				               "predicate %u: IN item %u of type %s for column %s",
				               i, k, dtype_name(p->list[k].type),
				               s->cols[p->col].name);
	}
	return ERR_OK;
}

int dn_timeout_error(const char *what)
{
	return err_set(ERR_EXEC,
	               "Query execution was interrupted, maximum statement execution time "
	               "exceeded (%s on the datanode)",
	               what);
}

/* Send every batch of src as user-column rows (projected columns only), each
 * as soon as the source yields it (rpc_reply_rows writes the frames; a slow
 * reader blocks us in the write: TCP flow control). Past deadline_ms
 * (monotonic ms, 0 = none) the scan stops with the statement timeout. */
static int send_source(struct rpc_reply *r, const struct region_schema *s, const bool *proj,
                       struct sorted_source *src, int64_t deadline_ms)
{
	uint32_t k = 0;
	enum dtype *types = mem_calloc(s->ncols + 1, sizeof(*types));
	if (!types)
		return ERR_NOMEM;
	for (uint32_t c = 0; c < s->ncols; c++)
		if (!proj || proj[c])
			types[k++] = s->cols[c].type;
	int rc;
	const struct batch *b;
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		if (b->nrows == 0)
			continue;
		if (deadline_ms && dn_now_ms() >= deadline_ms) {
			rc = dn_timeout_error("region scan");
			break;
		}
		struct batch out;
		if ((rc = batch_init(&out, k, types)))
			break;
		for (uint32_t c = 0, j = 0; rc == ERR_OK && c < s->ncols; c++) {
			if (proj && !proj[c])
				continue;
			if (b->cols[c].len != b->nrows)
				rc = err_set(ERR_INTERNAL, "scan column %u holds %u values of %u",
				             c, b->cols[c].len, b->nrows);
			else
				rc = colvec_append_range(&out.cols[j], &b->cols[c], 0, b->nrows);
			j++;
		}
		out.nrows = b->nrows;
		if (rc == ERR_OK)
			rc = rpc_reply_rows(r, &out);
		batch_free(&out);
		if (rc)
			break;
	}
	mem_free(types);
	return rc;
}

/* Fetch the leader's snapshot for a follower read. */
static int fetch_leader(struct datanode *dn, uint64_t rid, const char *leader_addr,
                        const struct scan_request *req, uint32_t ncols, uint64_t *version,
                        struct batch *rows)
{
	memset(rows, 0, sizeof(*rows));
	char name[64];
	region_id_format(name, sizeof(name), rid);
	if (!leader_addr[0])
		return err_set(ERR_UNAVAILABLE,
		               "follower read of region %s: its leader's address is not known yet",
		               name);
	int rc = fault_hit(FAULT_MEMTABLE_FETCH);
	if (rc)
		return err_wrap("follower read of region %s", name);
	struct rpc_client *c;
	if ((rc = dn_peer(dn, leader_addr, &c)))
		return rc;
	/* all columns: the merge needs them, and a projected snapshot leaves
	 * columns empty, which the row codec cannot carry */
	struct scan_request full = *req;
	full.projection = NULL;
	rc = rpc_region_snapshot(c, rid, &full, ncols, version, rows);
	if (rc)
		err_wrap("follower read of region %s: leader snapshot", name);
	return rc;
}

int dn_scan(struct datanode *dn, const RPC_PB(RegionScanRequest) * req, struct rpc_reply *r)
{
	uint64_t rid = req->region_id;
	struct region_schema *schema = NULL;
	struct sorted_source *src = NULL;
	struct batch leader_rows = {0};
	enum rpc_read_mode mode;
	enum region_role role = REGION_ROLE_LEADER;
	char leader_addr[128] = "";
	struct scan_request s;
	/* the statement's time left, from the moment the request arrived */
	int64_t deadline_ms = req->timeout_ms ? dn_now_ms() + (int64_t)(req->timeout_ms > INT32_MAX
	                                                                     ? INT32_MAX
	                                                                     : req->timeout_ms)
	                                      : 0;
	if (req->chunk_bytes)
		rpc_reply_set_chunk_bytes(r, req->chunk_bytes < 1024 ? 1024 : req->chunk_bytes);
	int rc = rpc_read_mode_decode(req->read_mode, &mode);
	if (rc == ERR_OK)
		rc = region_role_of(dn, rid, &role, leader_addr, sizeof(leader_addr));
	if (rc == ERR_OK)
		rc = region_server_schema(dn->rs, rid, &schema);
	if (rc == ERR_OK)
		rc = rpc_scan_request_decode(req->scan, rpc_reply_arena(r), &s);
	if (rc == ERR_OK)
		rc = check_scan(schema, req->scan, &s);
	if (rc == ERR_OK)
		rc = dn_partial_agg_check(req);
	if (rc)
		goto out;
	enum read_kind kind = READ_LEADER;
	if (role == REGION_ROLE_LEADER) {
		rc = region_server_scan(dn->rs, rid, &s, &src);
	} else if (mode == RPC_READ_LEADER) {
		char name[64];
		region_id_format(name, sizeof(name), rid);
		rc = err_set(ERR_UNAVAILABLE,
		             "Region %s is a follower on datanode %" PRIu64
		             "; leader reads go to its leader",
		             name, dn->node_id);
	} else if (req->has_leader_snapshot) {
		kind = READ_FOLLOWER_FETCH;
		rc = rpc_batch_decode(req->leader_rows, &leader_rows);
		if (rc == ERR_OK)
			rc = region_server_follower_scan(dn->rs, rid, &s, req->leader_version,
			                                 leader_rows.nrows ? &leader_rows : NULL,
			                                 &src);
	} else if (atomic_load(&dn->memtable_fetch)) {
		kind = READ_FOLLOWER_FETCH;
		uint64_t v = 0;
		rc = fetch_leader(dn, rid, leader_addr, &s, schema->ncols, &v, &leader_rows);
		if (rc == ERR_OK)
			rc = region_server_follower_scan(
			    dn->rs, rid, &s, v, leader_rows.nrows ? &leader_rows : NULL, &src);
	} else {
		kind = READ_FOLLOWER_SST;
		rc = region_server_scan(dn->rs, rid, &s, &src);
	}
	if (rc == ERR_OK)
		rc = req->partial_agg_version
		         ? dn_partial_agg(req, schema, src, deadline_ms, r)
		         : send_source(r, schema, s.projection, src, deadline_ms);
	if (rc == ERR_OK)
		count_read(dn, rid, kind);
out:
	sorted_source_close(src);
	batch_free(&leader_rows);
	region_schema_free(schema);
	return rc;
}

/* ---- debug ---------------------------------------------------------------------- */

struct cJSON *dn_regions_json(struct datanode *dn)
{
	struct region_stat *st = NULL;
	uint32_t nst = 0;
	if (region_server_stats(dn->rs, &st, &nst))
		nst = 0;
	cJSON *arr = cJSON_CreateArray();
	pthread_mutex_lock(&dn->info_mu);
	for (size_t i = 0; arr && i < dn->nregions; i++) {
		const struct dn_region *e = &dn->regions[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "region_id", (double)e->region_id);
		cJSON_AddStringToObject(o, "role",
		                        e->role == REGION_ROLE_LEADER ? "leader" : "follower");
		for (uint32_t k = 0; k < nst; k++)
			if (st[k].region_id == e->region_id) {
				cJSON_AddBoolToObject(o, "open", 1);
				cJSON_AddNumberToObject(o, "manifest_version",
				                        (double)st[k].manifest_version);
				cJSON_AddNumberToObject(o, "memtable_rows",
				                        (double)st[k].memtable_rows);
				cJSON_AddNumberToObject(o, "sst_rows", (double)st[k].sst_rows);
				cJSON_AddNumberToObject(o, "sst_num", st[k].sst_num);
			}
		if (e->role == REGION_ROLE_FOLLOWER) {
			cJSON_AddNumberToObject(o, "leader_node", (double)e->leader_node);
			cJSON_AddStringToObject(o, "leader_addr", e->leader_addr);
			cJSON_AddNumberToObject(o, "leader_version", (double)e->leader_version);
		} else if (e->has_gc_hint) {
			cJSON_AddNumberToObject(o, "min_follower_version",
			                        e->min_follower_version == UINT64_MAX
			                            ? -1
			                            : (double)e->min_follower_version);
		}
		cJSON_AddNumberToObject(o, "reads_leader", (double)e->reads_leader);
		cJSON_AddNumberToObject(o, "reads_follower", (double)e->reads_follower);
		cJSON_AddNumberToObject(o, "reads_follower_fetch", (double)e->reads_follower_fetch);
		cJSON_AddNumberToObject(o, "reads_follower_sst", (double)e->reads_follower_sst);
		cJSON_AddNumberToObject(o, "snapshots_served", (double)e->snapshots_served);
		cJSON_AddItemToArray(arr, o);
	}
	pthread_mutex_unlock(&dn->info_mu);
	mem_free(st);
	return arr;
}
