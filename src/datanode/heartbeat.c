/*
 * heartbeat: the datanode's heartbeat loop to the metasrv.
 *
 * Every heartbeat_interval (and right away when kicked: a leader's
 * manifest version moved, or the previous reply opened regions), the node
 * sends the stats of every open region (role, manifest version, sizes),
 * its address, start time and interval. The reply carries:
 *   - a lease: leaders may write until send time + lease_ms. A node that
 *     cannot renew it demotes every leader region to follower (read-only;
 *     the WAL keeps unflushed rows) and refuses writes, so that at most one
 *     writable leader exists per region; the metasrv's next reply promotes
 *     them again (OPEN as leader: WAL replay);
 *   - instructions, applied in order under admin_mu (skipped when a region
 *     create / open holds it: they come again with the next reply): CLOSE,
 *     OPEN (role, dir; for a follower its leader), INSTALL (a follower's
 *     leader id, address and latest manifest version, recorded; the
 *     background thread installs up to it when behind - follower sync
 *     through heartbeats);
 *   - per leader region, the lowest version its followers installed, kept
 *     for region GC (run every max(10 intervals, 5 s)).
 * Installs and GC run on a background thread (bg_main), so that an object
 * store that hangs never delays a heartbeat.
 * A restarted node opens nothing by itself: its first heartbeat reports no
 * region, and the reply opens what the routes give it.
 *
 * Fault point heartbeat.send: "fail" skips a heartbeat (as if lost),
 * "delay" delays it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/log.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "datanode/datanode_int.h"

int64_t dn_now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

bool dn_lease_valid(struct datanode *dn)
{
	int64_t until = atomic_load(&dn->lease_until_ms);
	return until == 0 || dn_now_ms() <= until;
}

void dn_heartbeat_kick(struct datanode *dn)
{
	pthread_mutex_lock(&dn->hb_mu);
	dn->kick = true;
	pthread_cond_signal(&dn->hb_cv);
	pthread_mutex_unlock(&dn->hb_mu);
}

/* ---- applying a reply ---------------------------------------------------- */

static const char *role_name(enum region_role r)
{
	return r == REGION_ROLE_LEADER ? "leader" : "follower";
}

/* One instruction; *opened is set when a region was opened. */
static void apply_one(struct datanode *dn, const RPC_PB(RegionInstruction) * in, bool *opened)
{
	enum region_role role = REGION_ROLE_FOLLOWER;
	uint64_t rid = in->region_id;
	if (in->kind > RPC_INSTR_CLOSE || rpc_role_decode(in->role, &role)) {
		log_warn("heartbeat reply: bad instruction for region %" PRIu64
		         " (kind %u role %u)",
		         rid, in->kind, in->role);
		return;
	}
	switch ((enum rpc_instr_kind)in->kind) {
	case RPC_INSTR_CLOSE:
		if (region_server_close_region(dn->rs, rid) == ERR_OK)
			log_info("closed region %" PRIu64 " (no route gives it to this node)", rid);
		dn_region_forget(dn, rid);
		break;
	case RPC_INSTR_OPEN:
		if (!in->dir || !in->dir[0]) {
			log_warn("heartbeat reply: open of region %" PRIu64 " without a dir", rid);
			break;
		}
		if (role == REGION_ROLE_FOLLOWER)
			dn_region_set_leader(dn, rid, in->leader_node_id, in->leader_addr, 0);
		if (region_server_open_region(dn->rs, rid, in->dir, role)) {
			uint32_t n = dn_region_open_failed(dn, rid, role);
			if (n == 1 || n % 100 == 0)
				log_warn("open region %" PRIu64 " as %s failed %u time%s (retried at "
				         "every heartbeat): %s",
				         rid, role_name(role), n, n == 1 ? "" : "s", err_msg());
			break;
		}
		dn_region_set_role(dn, rid, role);
		log_info("opened region %" PRIu64 " as %s", rid, role_name(role));
		*opened = true;
		break;
	case RPC_INSTR_INSTALL:
		/* recorded only: the background thread installs it (reading
		 * manifests from the object store must not delay heartbeats) */
		dn_region_set_leader(dn, rid, in->leader_node_id, in->leader_addr,
		                     in->manifest_version);
		break;
	}
}

/* Caller holds admin_mu. */
static void apply_instructions_locked(struct datanode *dn, const RPC_PB(HeartbeatResponse) * resp,
                                      bool *opened)
{
	/* closes first, then opens, then installs: an install needs its open */
	for (int pass = 0; pass < 3; pass++) {
		static const enum rpc_instr_kind order[3] = {RPC_INSTR_CLOSE, RPC_INSTR_OPEN,
		                                             RPC_INSTR_INSTALL};
		for (size_t i = 0; i < resp->n_instructions; i++) {
			const RPC_PB(RegionInstruction) *in = resp->instructions[i];
			if (in && (in->kind == (uint32_t)order[pass] ||
			           (pass == 0 && in->kind > RPC_INSTR_CLOSE)))
				apply_one(dn, in, opened);
		}
	}
}

static bool apply_reply(struct datanode *dn, const RPC_PB(HeartbeatResponse) * resp)
{
	bool opened = false;
	/* admin_mu may be held for seconds by a region create / open on a slow
	 * object store (S3): waiting for it would stop the heartbeats and get
	 * this node declared dead. Instructions are recomputed from the routes
	 * at every heartbeat, so when the lock is busy they are skipped now and
	 * applied from a later reply. */
	if (resp->n_instructions && pthread_mutex_trylock(&dn->admin_mu) == 0) {
		apply_instructions_locked(dn, resp, &opened);
		pthread_mutex_unlock(&dn->admin_mu);
	}
	for (size_t i = 0; i < resp->n_leader_regions; i++)
		if (resp->leader_regions[i])
			dn_region_set_gc_hint(dn, resp->leader_regions[i]->region_id,
			                      resp->leader_regions[i]->min_follower_version);
	return opened;
}

/* ---- lease ------------------------------------------------------------------ */

/* Lease ran out: every leader becomes a read-only follower. */
static void demote_leaders(struct datanode *dn)
{
	struct region_stat *st;
	uint32_t n;
	pthread_mutex_lock(&dn->admin_mu);
	if (region_server_stats(dn->rs, &st, &n) == ERR_OK) {
		for (uint32_t i = 0; i < n; i++) {
			if (st[i].role != REGION_ROLE_LEADER)
				continue;
			if (region_server_open_region(dn->rs, st[i].region_id, "",
			                              REGION_ROLE_FOLLOWER) == ERR_OK) {
				dn_region_set_role(dn, st[i].region_id, REGION_ROLE_FOLLOWER);
				log_warn("lease expired: region %" PRIu64 " demoted to follower",
				         st[i].region_id);
			} else {
				log_error("lease expired: cannot demote region %" PRIu64 ": %s",
				          st[i].region_id, err_msg());
			}
		}
		mem_free(st);
	}
	dn->leaders_demoted = true;
	pthread_mutex_unlock(&dn->admin_mu);
}

/* ---- one heartbeat ------------------------------------------------------------ */

/* Returns true when regions were opened (heartbeat again soon). */
static bool heartbeat_once(struct datanode *dn)
{
	if (fault_hit(FAULT_HEARTBEAT_SEND)) {
		atomic_fetch_add(&dn->hb_skipped, 1);
		return false;
	}
	struct region_stat *st = NULL;
	uint32_t n = 0;
	if (region_server_stats(dn->rs, &st, &n)) {
		log_warn("heartbeat: cannot collect region stats: %s", err_msg());
		return false;
	}
	RPC_PB(RegionStat) *items = mem_calloc(n + 1, sizeof(*items));
	RPC_PB(RegionStat) **ptrs = mem_calloc(n + 1, sizeof(*ptrs));
	ProtobufCMessage *resp = NULL;
	bool opened = false;
	int rc = ERR_NOMEM;
	if (!items || !ptrs)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		rpc_region_stat_encode(&st[i], &items[i]);
		ptrs[i] = &items[i];
	}
	RPC_PB(HeartbeatRequest) req = STRATA__HEARTBEAT_REQUEST__INIT;
	req.node_id = dn->node_id;
	req.addr = dn->addr;
	req.stats = ptrs;
	req.n_stats = n;
	req.node_type = CLUSTER_NODE_DATANODE;
	req.start_time_ms = dn->start_ms;
	req.heartbeat_interval_ms = dn->interval_ms;
	int64_t sent = dn_now_ms();
	for (uint32_t k = 0; k < dn->nmeta; k++) {
		uint32_t i = (dn->meta_cur + k) % dn->nmeta;
		rc = rpc_call(dn->meta[i], RPC_HEARTBEAT, &req.base, &resp,
		              (int)(dn->interval_ms * 2 > 1000 ? dn->interval_ms * 2 : 1000));
		if (rc != ERR_UNAVAILABLE) {
			dn->meta_cur = i;
			break;
		}
	}
	if (rc)
		goto out;
	const RPC_PB(HeartbeatResponse) *hr = (const RPC_PB(HeartbeatResponse) *)resp;
	if (hr->lease_ms > 0)
		atomic_store(&dn->lease_until_ms, sent + hr->lease_ms);
	if (dn->leaders_demoted) {
		log_info("heartbeats flow again: leases renewed");
		dn->leaders_demoted = false;
	}
	opened = apply_reply(dn, hr);
out:
	if (rc) {
		uint64_t f = atomic_fetch_add(&dn->hb_failed, 1);
		if (f % 20 == 0)
			log_warn("heartbeat to the metasrv failed (%" PRIu64 " so far): %s", f + 1,
			         err_msg());
	} else {
		atomic_fetch_add(&dn->hb_ok, 1);
	}
	rpc_message_free(resp);
	mem_free(items);
	mem_free(ptrs);
	mem_free(st);
	return opened;
}

static void *hb_main(void *arg)
{
	struct datanode *dn = arg;
	log_set_tag("datanode");
	pthread_mutex_lock(&dn->hb_mu);
	while (!dn->stopping) {
		dn->kick = false;
		pthread_mutex_unlock(&dn->hb_mu);
		bool again = heartbeat_once(dn);
		if (!dn_lease_valid(dn) && !dn->leaders_demoted)
			demote_leaders(dn);
		pthread_mutex_lock(&dn->hb_mu);
		if (again || dn->kick || dn->stopping)
			continue;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(dn->interval_ms % 1000) * 1000000L;
		ts.tv_sec += dn->interval_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&dn->hb_cv, &dn->hb_mu, &ts);
	}
	pthread_mutex_unlock(&dn->hb_mu);
	return NULL;
}

/* Follower regions whose leader's latest version (relayed by the metasrv,
 * recorded by apply_one) is above the installed one: install up to it.
 * Returns false when an install failed. */
static bool install_pending(struct datanode *dn)
{
	struct region_stat *st = NULL;
	uint32_t n = 0;
	bool ok = true;
	if (region_server_stats(dn->rs, &st, &n))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (st[i].role != REGION_ROLE_FOLLOWER)
			continue;
		uint64_t rid = st[i].region_id, want = 0;
		pthread_mutex_lock(&dn->info_mu);
		for (size_t k = 0; k < dn->nregions; k++)
			if (dn->regions[k].region_id == rid) {
				want = dn->regions[k].leader_version;
				break;
			}
		pthread_mutex_unlock(&dn->info_mu);
		if (want <= st[i].manifest_version)
			continue;
		pthread_mutex_lock(&dn->admin_mu);
		if (region_server_has(dn->rs, rid) && region_server_install(dn->rs, rid, want)) {
			log_warn("install of region %" PRIu64 " up to version %" PRIu64
			         " failed (retried in 1 s): %s",
			         rid, want, err_msg());
			ok = false;
		}
		pthread_mutex_unlock(&dn->admin_mu);
	}
	mem_free(st);
	return ok;
}

/* The background thread: follower installs (within ~50 ms of the reply
 * that relayed a new version) and region GC (every max(10 intervals,
 * 5 s)). Both wait on the object store, which may hang for seconds (S3
 * unreachable): on the heartbeat thread that would stop the heartbeats,
 * the leases would lapse and every leader would be demoted. */
static void *bg_main(void *arg)
{
	struct datanode *dn = arg;
	log_set_tag("datanode");
	int64_t gc_every = 10 * (int64_t)dn->interval_ms;
	if (gc_every < 5000)
		gc_every = 5000;
	dn->last_gc_ms = dn_now_ms();
	int64_t install_after = 0;
	pthread_mutex_lock(&dn->hb_mu);
	while (!dn->stopping) {
		pthread_mutex_unlock(&dn->hb_mu);
		if (dn_now_ms() >= install_after && !install_pending(dn))
			install_after = dn_now_ms() + 1000;
		if (dn_now_ms() - dn->last_gc_ms >= gc_every) {
			dn->last_gc_ms = dn_now_ms();
			if (region_server_gc(dn->rs, clock_now_ms(), dn_region_min_follower_version,
			                     dn))
				log_warn("region gc: %s", err_msg());
		}
		struct timespec step = {0, 50 * 1000000L};
		nanosleep(&step, NULL);
		pthread_mutex_lock(&dn->hb_mu);
	}
	pthread_mutex_unlock(&dn->hb_mu);
	return NULL;
}

int dn_heartbeat_start(struct datanode *dn)
{
	char *copy = mem_strdup(dn->metasrv_addrs);
	if (!copy)
		return ERR_NOMEM;
	uint32_t cap = 1;
	for (const char *p = copy; *p; p++)
		cap += *p == ',';
	int rc = ERR_OK;
	if (!(dn->meta = mem_calloc(cap, sizeof(*dn->meta))))
		rc = ERR_NOMEM;
	struct rpc_client_options o;
	rpc_client_options_init(&o);
	o.connect_timeout_ms = 500;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); rc == ERR_OK && tok;
	     tok = strtok_r(NULL, ",", &save))
		if (*tok && (rc = rpc_client_create(tok, &o, &dn->meta[dn->nmeta])) == ERR_OK)
			dn->nmeta++;
	mem_free(copy);
	if (rc == ERR_OK && dn->nmeta == 0)
		rc = err_set(ERR_BAD_INPUT, "no metasrv address");
	if (rc == ERR_OK && pthread_create(&dn->hb_thread, NULL, hb_main, dn))
		rc = err_set(ERR_INTERNAL, "cannot start the heartbeat thread");
	if (rc == ERR_OK)
		dn->hb_started = true;
	if (rc == ERR_OK && pthread_create(&dn->gc_thread, NULL, bg_main, dn))
		rc = err_set(ERR_INTERNAL, "cannot start the background thread");
	if (rc == ERR_OK)
		dn->gc_started = true;
	return rc;
}

void dn_heartbeat_stop(struct datanode *dn)
{
	if (dn->hb_started) {
		pthread_mutex_lock(&dn->hb_mu);
		dn->stopping = true;
		pthread_cond_signal(&dn->hb_cv);
		pthread_mutex_unlock(&dn->hb_mu);
		pthread_join(dn->hb_thread, NULL);
		dn->hb_started = false;
	}
	if (dn->gc_started) {
		pthread_mutex_lock(&dn->hb_mu);
		dn->stopping = true;
		pthread_mutex_unlock(&dn->hb_mu);
		pthread_join(dn->gc_thread, NULL);
		dn->gc_started = false;
	}
	for (uint32_t i = 0; i < dn->nmeta; i++)
		rpc_client_destroy(dn->meta[i]);
	mem_free(dn->meta);
	dn->meta = NULL;
	dn->nmeta = 0;
}
