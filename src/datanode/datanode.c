/*
 * datanode: lifecycle of a datanode process and its RPC handlers: every
 * region method of rpc/rpc.h on top of region_server, plus node_debug.
 * See datanode.h; heartbeats in heartbeat.c, scans and follower reads in
 * follower_read.c.
 *
 * Handlers and their rules:
 *   region_write      leader only (the region says ERR_READONLY otherwise);
 *                     refused with ERR_UNAVAILABLE once the lease ran out;
 *                     fenced by the request's schema version (ERR_CONFLICT
 *                     "region schema version mismatch", schema_alter.h)
 *   region_alter      a leader's schema change (the metasrv's ALTER
 *                     procedure), under admin_mu; a region already at the
 *                     version is OK (retry); then heartbeat right away
 *   region_scan       follower_read.c
 *   region_snapshot   leader side of a follower read: always every column
 *   region_flush / region_compact / region_truncate
 *                     then heartbeat right away, so that followers learn the
 *                     new manifest version one heartbeat sooner
 *   region_create / region_open / region_close / region_drop
 *                     under admin_mu (never the same region opened twice);
 *                     an open as follower may carry the leader's address
 *   region_install / region_stats   as region_server
 *   node_debug        JSON: node, lease, heartbeat counters, and per region
 *                     role, versions, leader and read counters; setting
 *                     "follower_memtable_fetch" = on|off
 */
#include "datanode/datanode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/fs.h"
#include "base/hostport.h"
#include "base/log.h"
#include "base/mem.h"
#include "datanode/datanode_int.h"
#include "objstore/objstore.h"

/* ---- handlers ------------------------------------------------------------- */

static int h_ping(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)ctx, (void)req, (void)r;
	return ERR_OK;
}

static int lease_check(struct datanode *dn)
{
	if (dn_lease_valid(dn))
		return ERR_OK;
	return err_set(ERR_UNAVAILABLE,
	               "datanode %" PRIu64 " lost its lease (no metasrv heartbeat): writes refused",
	               dn->node_id);
}

static int h_write(void *ctx, const RPC_PB(RegionWriteRequest) * req, struct rpc_reply *r)
{
	struct datanode *dn = ctx;
	enum op_type op;
	struct batch b;
	int rc = lease_check(dn);
	if (rc == ERR_OK)
		rc = rpc_op_decode(req->op, &op);
	if (rc)
		return rc;
	if ((rc = rpc_batch_decode(req->rows, &b)))
		return rc;
	rc = region_server_write_at(dn->rs, req->region_id, &b, op, req->has_schema_version,
	                            req->schema_version);
	RPC_PB(RegionWriteResponse) resp = STRATA__REGION_WRITE_RESPONSE__INIT;
	resp.affected_rows = b.nrows;
	batch_free(&b);
	return rc ? rc : rpc_reply_send(r, &resp.base);
}

static int h_scan(void *ctx, const RPC_PB(RegionScanRequest) * req, struct rpc_reply *r)
{
	return dn_scan(ctx, req, r);
}

static int h_snapshot(void *ctx, const RPC_PB(RegionSnapshotRequest) * req, struct rpc_reply *r)
{
	struct datanode *dn = ctx;
	struct scan_request s;
	struct batch rows = {0};
	uint64_t version = 0;
	int rc = rpc_scan_request_decode(req->scan, rpc_reply_arena(r), &s);
	if (rc)
		return rc;
	s.projection = NULL; /* the follower's merge needs every column */
	struct region_schema *schema;
	if ((rc = region_server_schema(dn->rs, req->region_id, &schema)))
		return rc;
	for (uint32_t i = 0; i < s.npreds && rc == ERR_OK; i++)
		if (s.preds[i].col >= schema->ncols ||
		    (s.preds[i].op <= PRED_GE && !s.preds[i].lit.is_null &&
		     dtype_phys(s.preds[i].lit.type) !=
		         dtype_phys(schema->cols[s.preds[i].col].type)))
			rc = err_set(ERR_BAD_INPUT, "snapshot predicate %u does not fit the region",
			             i);
	for (uint32_t i = 0; i < s.npreds && rc == ERR_OK; i++)
		for (uint32_t k = 0; s.preds[i].op == PRED_IN && k < s.preds[i].nlist; k++)
			if (!s.preds[i].list[k].is_null &&
			    dtype_phys(s.preds[i].list[k].type) !=
			        dtype_phys(schema->cols[s.preds[i].col].type))
				rc = err_set(ERR_BAD_INPUT, "snapshot predicate %u: IN item %u", i,
				             k);
	region_schema_free(schema);
	if (rc == ERR_OK)
		rc = region_server_snapshot(dn->rs, req->region_id, &s, &version, &rows);
	if (rc == ERR_OK) {
		dn_count_snapshot(dn, req->region_id);
		rc = rpc_reply_snapshot(r, version, &rows);
	}
	batch_free(&rows);
	return rc;
}

static int h_flush(void *ctx, const RPC_PB(RegionIdRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct datanode *dn = ctx;
	int rc = region_server_flush(dn->rs, req->region_id);
	if (rc == ERR_OK)
		dn_heartbeat_kick(dn);
	return rc;
}

static int h_compact(void *ctx, const RPC_PB(RegionCompactRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct datanode *dn = ctx;
	int rc = region_server_compact(dn->rs, req->region_id, req->force);
	if (rc == ERR_OK)
		dn_heartbeat_kick(dn);
	return rc;
}

static int h_truncate(void *ctx, const RPC_PB(RegionIdRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct datanode *dn = ctx;
	int rc = lease_check(dn);
	if (rc == ERR_OK)
		rc = region_server_truncate(dn->rs, req->region_id);
	if (rc == ERR_OK)
		dn_heartbeat_kick(dn);
	return rc;
}

static int h_drop(void *ctx, const RPC_PB(RegionIdRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct datanode *dn = ctx;
	pthread_mutex_lock(&dn->admin_mu);
	int rc = region_server_drop(dn->rs, req->region_id);
	if (rc == ERR_OK) {
		dn_region_forget(dn, req->region_id);
		log_info("dropped region %" PRIu64, req->region_id);
	}
	pthread_mutex_unlock(&dn->admin_mu);
	return rc;
}

static int h_open(void *ctx, const RPC_PB(RegionOpenRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct datanode *dn = ctx;
	enum region_role role;
	int rc = rpc_role_decode(req->role, &role);
	if (rc)
		return rc;
	if (!req->dir || !req->dir[0])
		return err_set(ERR_BAD_INPUT, "region_open of %" PRIu64 " needs a dir",
		               req->region_id);
	pthread_mutex_lock(&dn->admin_mu);
	if (role == REGION_ROLE_FOLLOWER)
		dn_region_set_leader(dn, req->region_id, req->leader_node_id, req->leader_addr, 0);
	rc = region_server_open_region(dn->rs, req->region_id, req->dir, role);
	if (rc == ERR_OK) {
		dn_region_set_role(dn, req->region_id, role);
		log_info("opened region %" PRIu64 " as %s (by request)", req->region_id,
		         role == REGION_ROLE_LEADER ? "leader" : "follower");
	}
	pthread_mutex_unlock(&dn->admin_mu);
	if (rc == ERR_OK)
		dn_heartbeat_kick(dn);
	return rc;
}

static int h_close(void *ctx, const RPC_PB(RegionIdRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct datanode *dn = ctx;
	pthread_mutex_lock(&dn->admin_mu);
	int rc = region_server_close_region(dn->rs, req->region_id);
	if (rc == ERR_OK) {
		dn_region_forget(dn, req->region_id);
		log_info("closed region %" PRIu64 " (by request)", req->region_id);
	}
	pthread_mutex_unlock(&dn->admin_mu);
	return rc;
}

static int h_install(void *ctx, const RPC_PB(RegionInstallRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct datanode *dn = ctx;
	return region_server_install(dn->rs, req->region_id, req->manifest_version);
}

static int h_stats(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)req;
	struct datanode *dn = ctx;
	struct region_stat *st;
	uint32_t n;
	int rc = region_server_stats(dn->rs, &st, &n);
	if (rc)
		return rc;
	rc = rpc_reply_region_stats(r, st, n);
	mem_free(st);
	return rc;
}

static int h_region_alter(void *ctx, const RPC_PB(RegionAlterRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct datanode *dn = ctx;
	struct region_schema *s;
	int rc = rpc_region_schema_decode(req->schema_json, &s);
	if (rc)
		return rc;
	if ((rc = region_schema_validate(s)) == ERR_OK) {
		pthread_mutex_lock(&dn->admin_mu);
		uint64_t before = 0;
		rc = region_server_alter_to(dn->rs, req->region_id, s, &before);
		if (rc == ERR_OK && before != s->version)
			log_info("altered region %" PRIu64 ": schema version %" PRIu64 " -> %" PRIu64,
			         req->region_id, before, s->version);
		pthread_mutex_unlock(&dn->admin_mu);
	}
	region_schema_free(s);
	if (rc == ERR_OK)
		dn_heartbeat_kick(dn);
	return rc;
}

static int h_create(void *ctx, const RPC_PB(RegionCreateRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct datanode *dn = ctx;
	struct region_schema *s;
	if (!req->dir || !req->dir[0])
		return err_set(ERR_BAD_INPUT, "region_create of %" PRIu64 " needs a dir",
		               req->region_id);
	int rc = rpc_region_schema_decode(req->schema_json, &s);
	if (rc)
		return rc;
	if ((rc = region_schema_validate(s)) == ERR_OK) {
		pthread_mutex_lock(&dn->admin_mu);
		rc = region_server_create(dn->rs, req->region_id, req->dir, s);
		if (rc == ERR_OK) {
			dn_region_set_role(dn, req->region_id, REGION_ROLE_LEADER);
			log_info("created region %" PRIu64 " at %s", req->region_id, req->dir);
		}
		pthread_mutex_unlock(&dn->admin_mu);
	}
	region_schema_free(s);
	if (rc == ERR_OK)
		dn_heartbeat_kick(dn);
	return rc;
}

static int h_node_debug(void *ctx, const RPC_PB(NodeDebugRequest) * req, struct rpc_reply *r)
{
	struct datanode *dn = ctx;
	if (req->set_key && !strcmp(req->set_key, "faults")) {
		/* Tests arm fault points at run time (after their setup, so
		 * that only the load under test hits them). Anyone who can
		 * reach this port could crash the node this way, so it takes
		 * STRATA_FAULTS_RUNTIME=1 in the datanode's environment. */
		const char *g = getenv("STRATA_FAULTS_RUNTIME");
		if (!g || strcmp(g, "1"))
			return err_set(ERR_UNSUPPORTED,
			               "runtime fault injection is off (start the datanode with "
			               "STRATA_FAULTS_RUNTIME=1)");
		fault_disarm_all();
		int rc = fault_arm_spec(req->set_value ? req->set_value : "");
		if (rc)
			return rc;
		log_warn("fault points armed at run time: '%s'", req->set_value ? req->set_value : "");
	} else if (req->set_key && req->set_key[0]) {
		if (strcmp(req->set_key, "follower_memtable_fetch"))
			return err_set(ERR_BAD_INPUT, "unknown datanode setting '%s'",
			               req->set_key);
		const char *v = req->set_value ? req->set_value : "";
		if (strcmp(v, "on") && strcmp(v, "off"))
			return err_set(ERR_BAD_INPUT,
			               "follower_memtable_fetch is on or off, not '%s'", v);
		atomic_store(&dn->memtable_fetch, !strcmp(v, "on"));
		log_info("follower memtable fetch switched %s", v);
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "role", "datanode");
	cJSON_AddNumberToObject(j, "node_id", (double)dn->node_id);
	cJSON_AddStringToObject(j, "addr", dn->addr);
	cJSON_AddBoolToObject(j, "follower_memtable_fetch", atomic_load(&dn->memtable_fetch));
	cJSON_AddBoolToObject(j, "lease_valid", dn_lease_valid(dn));
	cJSON_AddNumberToObject(j, "heartbeat_interval_ms", dn->interval_ms);
	cJSON_AddNumberToObject(j, "heartbeats_ok", (double)atomic_load(&dn->hb_ok));
	cJSON_AddNumberToObject(j, "heartbeats_failed", (double)atomic_load(&dn->hb_failed));
	cJSON_AddNumberToObject(j, "heartbeats_skipped", (double)atomic_load(&dn->hb_skipped));
	cJSON_AddItemToObject(j, "regions", dn_regions_json(dn));
	char *text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!text)
		return err_set(ERR_NOMEM, "cannot render the debug JSON");
	RPC_PB(NodeDebugResponse) resp = STRATA__NODE_DEBUG_RESPONSE__INIT;
	resp.json = text;
	int rc = rpc_reply_send(r, &resp.base);
	cJSON_free(text);
	return rc;
}

/* ---- lifecycle ---------------------------------------------------------------- */

int datanode_start(const struct datanode_options *o, struct datanode **out)
{
	*out = NULL;
	if (!o->metasrv_addrs || !o->data_home || (!o->store_root && !o->store)) {
		objstore_close(o->store);
		return err_set(ERR_BAD_INPUT,
		               "a datanode needs --metasrv-addrs, --data-home and --store-root");
	}
	struct datanode *dn = mem_calloc(1, sizeof(*dn));
	if (!dn) {
		objstore_close(o->store);
		return ERR_NOMEM;
	}
	dn->store = o->store;
	dn->node_id = o->node_id;
	dn->interval_ms = o->heartbeat_interval_ms > 0 ? (uint32_t)o->heartbeat_interval_ms
	                                               : DATANODE_DEFAULT_HEARTBEAT_MS;
	dn->start_ms = clock_now_ms();
	atomic_init(&dn->memtable_fetch, !o->no_memtable_fetch);
	atomic_init(&dn->lease_until_ms, 0);
	atomic_init(&dn->hb_ok, 0);
	atomic_init(&dn->hb_failed, 0);
	atomic_init(&dn->hb_skipped, 0);
	pthread_mutex_init(&dn->admin_mu, NULL);
	pthread_mutex_init(&dn->info_mu, NULL);
	pthread_mutex_init(&dn->peers_mu, NULL);
	pthread_mutex_init(&dn->hb_mu, NULL);
	pthread_cond_init(&dn->hb_cv, NULL);
	int rc = ERR_OK;
	size_t wn = strlen(o->data_home) + 8;
	if (!(dn->metasrv_addrs = mem_strdup(o->metasrv_addrs)) || !(dn->wal_dir = mem_alloc(wn))) {
		rc = ERR_NOMEM;
		goto fail;
	}
	snprintf(dn->wal_dir, wn, "%s/wal", o->data_home);
	if ((rc = fs_mkdir_p(dn->wal_dir)) ||
	    (!dn->store && (rc = objstore_open_fs(o->store_root, &dn->store))))
		goto fail;
	struct region_server_options ro = {.node_id = o->node_id,
	                                   .store = dn->store,
	                                   .wal_dir = dn->wal_dir,
	                                   .wal_sync = o->wal_sync,
	                                   .memtable_budget = o->memtable_budget,
	                                   .gc_lingering_ms = o->gc_lingering_ms};
	if ((rc = region_server_open(&ro, &dn->rs)))
		goto fail;
	char host[96];
	uint16_t port = 0;
	if ((rc = hostport_split(o->rpc_addr ? o->rpc_addr : DATANODE_DEFAULT_ADDR, host, sizeof(host),
	                     &port)))
		goto fail;
	struct rpc_handlers h = {
	    .ctx = dn,
	    .ping = h_ping,
	    .region_write = h_write,
	    .region_scan = h_scan,
	    .region_snapshot = h_snapshot,
	    .region_flush = h_flush,
	    .region_compact = h_compact,
	    .region_truncate = h_truncate,
	    .region_drop = h_drop,
	    .region_open = h_open,
	    .region_close = h_close,
	    .region_install = h_install,
	    .region_stats = h_stats,
	    .region_create = h_create,
	    .region_alter = h_region_alter,
	    .node_debug = h_node_debug,
	};
	if ((rc = rpc_server_start(host, port, &h, NULL, &dn->srv)))
		goto fail;
	if (o->advertise_addr && *o->advertise_addr) {
		char ahost[96];
		uint16_t aport;
		if ((rc = hostport_split(o->advertise_addr, ahost, sizeof(ahost), &aport)))
			goto fail;
		snprintf(dn->addr, sizeof(dn->addr), "%s", o->advertise_addr);
	} else {
		snprintf(dn->addr, sizeof(dn->addr), "%s:%u",
		         !strcmp(host, "0.0.0.0") ? "127.0.0.1" : host, rpc_server_port(dn->srv));
	}
	if ((rc = dn_heartbeat_start(dn)))
		goto fail;
	log_info("datanode %" PRIu64 " serving on %s (metasrv %s, heartbeat %u ms, %s object "
	         "store, follower memtable fetch %s)",
	         dn->node_id, dn->addr, dn->metasrv_addrs, dn->interval_ms,
	         objstore_backend_name(dn->store),
	         o->no_memtable_fetch ? "off" : "on");
	*out = dn;
	return ERR_OK;
fail:
	datanode_stop(dn);
	return rc;
}

uint16_t datanode_port(const struct datanode *dn)
{
	return rpc_server_port(dn->srv);
}

const char *datanode_addr(const struct datanode *dn)
{
	return dn->addr;
}

void datanode_stop(struct datanode *dn)
{
	if (!dn)
		return;
	dn_heartbeat_stop(dn);
	if (dn->srv)
		rpc_server_stop(dn->srv);
	if (dn->rs)
		region_server_close(dn->rs);
	if (dn->store)
		objstore_close(dn->store);
	for (size_t i = 0; i < dn->npeers; i++)
		rpc_client_destroy(dn->peers[i].c);
	mem_free(dn->peers);
	mem_free(dn->regions);
	mem_free(dn->metasrv_addrs);
	mem_free(dn->wal_dir);
	pthread_mutex_destroy(&dn->admin_mu);
	pthread_mutex_destroy(&dn->info_mu);
	pthread_mutex_destroy(&dn->peers_mu);
	pthread_mutex_destroy(&dn->hb_mu);
	pthread_cond_destroy(&dn->hb_cv);
	mem_free(dn);
}
