/*
 * datanode_int: what the files of a datanode share (datanode.c: lifecycle
 * and RPC handlers; heartbeat.c: heartbeat loop, instructions, lease;
 * follower_read.c: scans, follower reads, per-region bookkeeping and read
 * counters).
 *
 * Locks: admin_mu serialises every change of the set of open regions and
 * their roles (create, open, close, drop, role change by instruction or
 * lease expiry), so that the heartbeat loop and RPC calls from the metasrv
 * never open one region twice. info_mu guards the per-region bookkeeping;
 * peers_mu the RPC clients of other datanodes. admin_mu may be held while
 * taking info_mu, never the other way round; no lock is held across an
 * RPC.
 */
#ifndef STRATA_DATANODE_DATANODE_INT_H
#define STRATA_DATANODE_DATANODE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "datanode/datanode.h"
#include "datanode/region_server.h"
#include "rpc/rpc.h"

/* What this datanode knows about one region beyond the region itself. */
struct dn_region {
	uint64_t region_id;
	enum region_role role; /* as opened / created here */
	/* follower: the leader, from heartbeat replies or the open request */
	uint64_t leader_node;
	char leader_addr[128];
	uint64_t leader_version; /* latest the metasrv relayed */
	/* leader: lowest version a follower installed (GC); UINT64_MAX = none */
	uint64_t min_follower_version;
	bool has_gc_hint;
	/* reads served */
	uint64_t reads_leader;         /* region_scan as leader */
	uint64_t reads_follower;       /* region_scan as follower (any source) */
	uint64_t reads_follower_fetch; /* ... merged with the leader's memtable */
	uint64_t reads_follower_sst;   /* ... installed SSTs only */
	uint64_t snapshots_served;     /* region_snapshot for a follower */
	uint32_t open_failures;        /* consecutive failed OPEN instructions */
};

struct dn_peer {
	char addr[128];
	struct rpc_client *c;
};

struct datanode {
	uint64_t node_id;
	char addr[128]; /* advertised host:port */
	char *metasrv_addrs;
	char *wal_dir;
	uint32_t interval_ms;
	int64_t start_ms;
	struct objstore *store;
	struct region_server *rs;
	struct rpc_server *srv;

	pthread_mutex_t admin_mu;

	pthread_mutex_t info_mu;
	struct dn_region *regions;
	size_t nregions, capregions;
	atomic_bool memtable_fetch;

	pthread_mutex_t peers_mu;
	struct dn_peer *peers;
	size_t npeers, cappeers;

	/* heartbeat loop (heartbeat.c) */
	struct rpc_client **meta;
	uint32_t nmeta, meta_cur;
	pthread_t hb_thread;
	bool hb_started;
	pthread_t gc_thread; /* follower installs and region GC (heartbeat.c bg_main) */
	bool gc_started;
	pthread_mutex_t hb_mu;
	pthread_cond_t hb_cv;
	bool stopping, kick;
	_Atomic int64_t lease_until_ms; /* monotonic ms; 0 = no lease yet */
	bool leaders_demoted;
	atomic_uint_fast64_t hb_ok, hb_failed, hb_skipped;
	int64_t last_gc_ms;
};

/* Monotonic milliseconds. */
int64_t dn_now_ms(void);

/* heartbeat.c */
int dn_heartbeat_start(struct datanode *dn);
void dn_heartbeat_stop(struct datanode *dn);
/* Heartbeat now (a leader's manifest version moved: flush, compact, ...). */
void dn_heartbeat_kick(struct datanode *dn);
/* False once a lease was granted and has run out. */
bool dn_lease_valid(struct datanode *dn);

/* follower_read.c: bookkeeping (each takes info_mu itself) */
void dn_region_set_role(struct datanode *dn, uint64_t rid, enum region_role role);
void dn_region_forget(struct datanode *dn, uint64_t rid);
/* Remember rid's leader (addr may be NULL / "" = keep the known one). */
void dn_region_set_leader(struct datanode *dn, uint64_t rid, uint64_t leader_node, const char *addr,
                          uint64_t leader_version);
/* Count a failed OPEN instruction; returns the consecutive count (logs are
 * rate-limited with it). A successful open (dn_region_set_role) resets it. */
uint32_t dn_region_open_failed(struct datanode *dn, uint64_t rid, enum region_role role);
void dn_region_set_gc_hint(struct datanode *dn, uint64_t rid, uint64_t min_follower_version);
/* Lowest version rid's followers installed (UINT64_MAX = none), for GC;
 * 0 when unknown. */
uint64_t dn_region_min_follower_version(void *dn, uint64_t rid);
void dn_count_snapshot(struct datanode *dn, uint64_t rid);
/* region_scan: leader read, or follower read (mode). */
int dn_scan(struct datanode *dn, const RPC_PB(RegionScanRequest) * req, struct rpc_reply *r);
/* partial_agg.c: a scan request's partial aggregation (none when
 * partial_agg_version is 0): check its fields; run it over src (the rows
 * the scan would send) and send its result rows. */
int dn_partial_agg_check(const RPC_PB(RegionScanRequest) * req);
int dn_partial_agg(const RPC_PB(RegionScanRequest) * req, const struct region_schema *schema,
                   struct sorted_source *src, int64_t deadline_ms, struct rpc_reply *r);
/* ERR_EXEC with the frontend's statement-timeout words, naming `what`. */
int dn_timeout_error(const char *what);
/* Pooled client of another datanode (owned by dn). */
int dn_peer(struct datanode *dn, const char *addr, struct rpc_client **out);
/* The regions part of node_debug (a new cJSON array). */
struct cJSON *dn_regions_json(struct datanode *dn);

#endif
