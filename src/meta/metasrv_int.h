/*
 * metasrv_int: what the files of the metasrv share (metasrv.c: lifecycle,
 * RPC handlers, KV proxy, cluster info; metasrv_registry.c: node registry
 * and heartbeats; metasrv_procedure.c: DDL and follower procedures).
 *
 * Locks, always taken in this order: proc_mu (one procedure at a time) ->
 * cache_mu (route cache) -> reg.mu (registry, leader versions) ->
 * ddl_mu / peers_mu (leaves). No lock is held across an RPC except
 * proc_mu.
 */
#ifndef STRATA_META_METASRV_INT_H
#define STRATA_META_METASRV_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster/cluster_client.h"
#include "meta/catalog.h"
#include "meta/metasrv.h"
#include "rpc/rpc.h"
#include "storage/region.h"

struct election;

/* Missed-heartbeat thresholds, in heartbeat intervals of the node. */
#define REGISTRY_SUSPECT_AFTER 2
#define REGISTRY_DEAD_AFTER    5

/* ---- registry (metasrv_registry.c) ------------------------------------- */

struct node_entry {
	enum cluster_node_type type;
	uint64_t id;
	char addr[128];
	enum node_status status;
	int64_t start_time_ms;   /* reported by the node */
	int64_t last_hb_wall_ms; /* metasrv wall clock of the last heartbeat; 0 = none */
	int64_t last_seen_ms;    /* registry clock (monotonic) of the last heartbeat */
	uint32_t interval_ms;
	uint64_t heartbeats;
	uint32_t nstats;
	struct region_stat *stats;
};

struct leader_version {
	uint64_t region_id;
	uint64_t version;
};

struct registry {
	pthread_mutex_t mu;
	uint32_t default_interval_ms;
	struct node_entry *nodes; /* sorted by (type, id) */
	size_t n, cap;
	struct leader_version *lv; /* sorted by region_id */
	size_t nlv, caplv;
};

void registry_init(struct registry *r, uint32_t default_interval_ms);
void registry_destroy(struct registry *r);

struct registry_hb {
	enum cluster_node_type type;
	uint64_t id;
	const char *addr;
	int64_t start_time_ms;
	uint32_t interval_ms; /* 0 = the registry default */
	uint32_t nstats;
	const struct region_stat *stats;
};

/* Caller holds r->mu. Record a heartbeat received at now_ms (registry
 * clock) and run the node's transition. *joined is set when the node
 * (re)entered JOINING: new, restarted (other start time) or back from
 * DEAD. */
int registry_heartbeat_locked(struct registry *r, const struct registry_hb *hb, int64_t now_ms,
                              bool *joined);
/* Caller holds r->mu. Time out silent nodes (ALIVE/JOINING -> SUSPECT ->
 * DEAD). */
void registry_tick_locked(struct registry *r, int64_t now_ms);
/* Caller holds r->mu. Add a node known from the store (after a metasrv
 * restart) as SUSPECT, seen at now_ms; ignored if present. */
int registry_load_locked(struct registry *r, uint64_t id, const char *addr, int64_t start_time_ms,
                         int64_t now_ms);
struct node_entry *registry_find_locked(struct registry *r, enum cluster_node_type type,
                                        uint64_t id);
/* Caller holds r->mu. Leader manifest versions (monotonic per region). */
int registry_set_leader_version_locked(struct registry *r, uint64_t region_id, uint64_t version);
uint64_t registry_leader_version_locked(struct registry *r, uint64_t region_id);
/* Ids of datanodes in `status`, ascending (*ids: mem_free). */
int registry_datanodes_locked(struct registry *r, enum node_status status, uint64_t **ids,
                              uint32_t *n);

/* ---- the metasrv ------------------------------------------------------------ */

struct route_entry {
	uint32_t table_id;
	char *catalog;
	char *schema;
	struct table_route *route;
};

struct peer_client {
	char addr[128];
	struct rpc_client *c;
};

struct metasrv {
	struct kv *kv;
	bool own_kv;
	struct rpc_server *srv;
	char addr[128];
	int64_t start_ms;
	uint32_t interval_ms;
	struct registry reg;

	pthread_mutex_t proc_mu;
	uint32_t rr_cursor; /* round-robin leader placement (proc_mu) */

	pthread_mutex_t cache_mu;
	atomic_uint_fast64_t route_gen; /* bumped by every route/table change */
	uint64_t cache_gen;             /* gen the cache was loaded at */
	bool cache_valid;
	struct route_entry *routes;
	uint32_t nroutes;

	pthread_mutex_t ddl_mu;
	uint32_t *ddl_tables; /* tables under a DDL procedure: no open/close for them */
	size_t nddl, capddl;

	pthread_mutex_t peers_mu;
	struct peer_client *peers;
	size_t npeers, cappeers;

	/* leadership (NULL el: a lone metasrv, always leading) */
	struct election *el;
	atomic_bool leading;
	atomic_bool need_load; /* elected, state not yet reloaded from the store */
	_Atomic int64_t loaded_at_ms; /* metasrv_now_ms() of the last reload */
	pthread_mutex_t load_mu;

	pthread_t monitor;
	pthread_t procs; /* procs_main: resumes interrupted procedures */
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stopping;
	bool monitor_started, procs_started;
};

/* ERR_OK when this metasrv may serve cluster requests (it leads and its
 * state is loaded, loading it first when just elected); else
 * ERR_UNAVAILABLE naming the leader when known. */
int metasrv_leader_check(struct metasrv *ms);

/* Registry clock: monotonic milliseconds. */
int64_t metasrv_now_ms(void);
/* The route cache is current (reloaded from the KV when route_gen moved).
 * Caller holds cache_mu. ERR_* when the store cannot be read (the cache is
 * then invalid). */
int metasrv_routes_refresh_locked(struct metasrv *ms);
void metasrv_routes_invalidate(struct metasrv *ms);
void metasrv_routes_free_locked(struct metasrv *ms);
/* Pooled RPC client to a datanode address (owned by ms). */
int metasrv_peer(struct metasrv *ms, const char *addr, struct rpc_client **out);
/* Address of a datanode that is not DEAD, else ERR_UNAVAILABLE "The target
 * peer is unavailable temporally: {id}". */
int metasrv_datanode_addr(struct metasrv *ms, uint64_t id, char *addr, size_t n);
bool metasrv_ddl_pending(struct metasrv *ms, uint32_t table_id);
void metasrv_ddl_begin(struct metasrv *ms, uint32_t table_id);
void metasrv_ddl_end(struct metasrv *ms, uint32_t table_id);

/* RPC handlers (metasrv_registry.c / metasrv_procedure.c). */
int metasrv_handle_heartbeat(struct metasrv *ms, const RPC_PB(HeartbeatRequest) * req,
                             struct rpc_reply *r);
/* Complete every ALTER whose intent is still in the metadata store
 * (metasrv_procedure.c, "Alter intents"): run while leading, every
 * ALTER_RESUME_MS by the procedure thread. ERR_* only when the store
 * cannot be listed; an intent that cannot be completed yet is logged. */
#define ALTER_RESUME_MS 1000
int metasrv_resume_alters(struct metasrv *ms);
/* ALTER_TABLE: the ALTER procedure (metasrv_procedure.c alter_table). */
int metasrv_handle_alter_table(struct metasrv *ms, const RPC_PB(AlterTableRequest) * req,
                               struct rpc_reply *r);
int metasrv_handle_create_table(struct metasrv *ms, const RPC_PB(CreateTableRequest) * req,
                                struct rpc_reply *r);
int metasrv_handle_drop_table(struct metasrv *ms, const RPC_PB(TableIdRequest) * req,
                              struct rpc_reply *r);
int metasrv_handle_truncate_table(struct metasrv *ms, const RPC_PB(TableIdRequest) * req,
                                  struct rpc_reply *r);
int metasrv_handle_table_follower(struct metasrv *ms, bool add,
                                  const RPC_PB(TableFollowerRequest) * req, struct rpc_reply *r);
int metasrv_handle_region_follower(struct metasrv *ms, bool add,
                                   const RPC_PB(RegionFollowerRequest) * req, struct rpc_reply *r);

/* ---- placement (pure; metasrv_procedure.c) ------------------------------- */

/* Leaders of nregions regions: region i -> alive[(start + i) % nalive]. */
void metasrv_place_leaders(const uint64_t *alive, uint32_t nalive, uint32_t start,
                           uint32_t nregions, uint64_t *leaders);
/* Add one follower to every region of `cur`, on a datanode of cands[0..n)
 * (ascending ids) that is neither the region's leader nor already one of
 * its followers, choosing the one with the fewest followers of this table
 * (counting those placed so far), lowest id on ties. *next is a new route
 * (table_route_free). ERR_BAD_INPUT naming the region when a region has no
 * eligible datanode; ERR_LIMIT past ROUTE_MAX_FOLLOWERS. */
int metasrv_place_table_followers(const struct table_route *cur, const uint64_t *cands,
                                  uint32_t ncands, struct table_route **next);

#endif
