/*
 * metasrv: the brain of a Strata cluster (`strata metasrv start`).
 *
 * One RPC server (rpc/rpc.h, default port 3002) that
 *  - receives datanode heartbeats, keeps the registry of datanodes
 *    (joining -> alive -> suspect -> dead, see metasrv_registry.c) with
 *    their last region stats, and answers each heartbeat with a lease and
 *    the instructions that make the node converge to the routes of the
 *    catalog: open the regions it should hold (as leader or follower),
 *    close the ones it should not, and for every follower region the
 *    leader's latest manifest version (from the leader's own heartbeat)
 *    and the leader's address;
 *  - proxies the metadata KV store (kv_get / kv_range / kv_txn), so that a
 *    frontend runs meta/catalog.h against it (kv_open_remote);
 *  - answers cluster_info (every node, its status and stats);
 *  - runs the DDL procedures (create / drop / truncate table) and the
 *    follower procedures (add / remove table / region followers), which
 *    change routes (catalog_cas_route) and tell the datanodes right away.
 *
 * Metadata lives in a KV backend: a SQLite file {data_home}/metadata.sqlite
 * by default, or a store the caller opened (etcd, tests).
 */
#ifndef STRATA_META_METASRV_H
#define STRATA_META_METASRV_H

#include <stdbool.h>
#include <stdint.h>

struct kv;
struct metasrv;

#define METASRV_DEFAULT_ADDR         "127.0.0.1:3002"
#define METASRV_DEFAULT_HEARTBEAT_MS 3000

struct kv_etcd_options;

struct metasrv_options {
	const char *bind_addr;     /* "host:port" (port 0 = any); NULL = METASRV_DEFAULT_ADDR */
	const char *data_home;     /* folder of metadata.sqlite (created); unused with kv */
	struct kv *kv;             /* NULL = open the SQLite file; else used, not owned */
	bool own_kv;               /* close kv at stop (also when the start fails) */
	int heartbeat_interval_ms; /* for nodes that do not report theirs; 0 = 3000 */
	/* High availability: with `election` set (the etcd the kv lives in,
	 * same prefix), this metasrv campaigns for leadership (meta/election.h)
	 * and serves heartbeats, KV, cluster info and procedures only while it
	 * leads; otherwise it answers ERR_UNAVAILABLE "not the leader ... try
	 * another metasrv address", which makes datanodes and cluster clients
	 * move on to the next address they were given. A new leader reloads
	 * its state from the store before serving (datanode registry, routes,
	 * catalog bootstrap). */
	const struct kv_etcd_options *election;
	int election_ttl_ms;   /* 0 = 2000 */
	uint64_t candidate_id; /* 0 = derived from pid and port */
};

int metasrv_start(const struct metasrv_options *o, struct metasrv **out);
uint16_t metasrv_port(const struct metasrv *ms);
/* True unless this metasrv takes part in an election and does not lead. */
bool metasrv_is_leader(struct metasrv *ms);
/* Stop serving (resigning leadership), join every thread, close what
 * metasrv_start opened. */
void metasrv_stop(struct metasrv *ms);

#endif
