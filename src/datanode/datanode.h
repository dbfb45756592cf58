/*
 * datanode: one datanode process of a cluster (`strata datanode start`).
 *
 * It hosts regions (region_server.h) as leader or follower and serves them
 * over the internal RPC (every region method of rpc/rpc.h, default port
 * 3001), heartbeats to the metasrv (heartbeat.c: region stats up,
 * instructions and leases down) and serves follower reads
 * (follower_read.c: fetch the leader's snapshot, install, merge).
 *
 * Local state is only the WAL ({data_home}/wal) and an optional SST cache;
 * everything else lives in the shared object store (fs at {store_root}, or
 * any store the caller opened: s3, cached - see config/config.h). At start the node
 * holds no region: the metasrv's first heartbeat reply tells it what to
 * open (leaders replay their WAL), so a restarted node converges to the
 * routes on its own.
 */
#ifndef STRATA_DATANODE_DATANODE_H
#define STRATA_DATANODE_DATANODE_H

#include <stdbool.h>
#include <stdint.h>

struct datanode;
struct objstore;

#define DATANODE_DEFAULT_ADDR         "127.0.0.1:3001"
#define DATANODE_DEFAULT_HEARTBEAT_MS 3000

struct datanode_options {
	uint64_t node_id;
	const char *rpc_addr; /* bind "host:port" (port 0 = any); NULL = DATANODE_DEFAULT_ADDR */
	/* "host:port" told to the metasrv, hence to frontends and followers;
	 * NULL = the bound address (behind NAT or a proxy they differ) */
	const char *advertise_addr;
	const char *metasrv_addrs; /* "host:port[,...]"; required */
	const char *data_home;     /* WAL under {data_home}/wal; required */
	const char *store_root;    /* shared fs object store; required without store */
	struct objstore *store;    /* the shared object store (fs, s3, cached) to use instead
				    * of store_root; owned by the datanode from the call on,
				    * also when the start fails */
	int heartbeat_interval_ms; /* 0 = 3000 */
	bool no_memtable_fetch;    /* follower reads serve installed SSTs only */
	int wal_sync;              /* enum wal_sync_mode (0 = fsync per batch) */
	uint64_t memtable_budget;  /* 0 = engine default */
	int64_t gc_lingering_ms;   /* 0 = engine default */
};

int datanode_start(const struct datanode_options *o, struct datanode **out);
uint16_t datanode_port(const struct datanode *dn);
/* "host:port" the node advertises to the metasrv. */
const char *datanode_addr(const struct datanode *dn);
/* Stop heartbeats and the RPC server, close every region. */
void datanode_stop(struct datanode *dn);

#endif
