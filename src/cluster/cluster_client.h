/*
 * cluster_client: what a frontend (or a test driver) needs to use a Strata
 * cluster, everything over the internal RPC (rpc/rpc.h):
 *
 *  - the metadata store of the metasrv as a `struct kv` (kv_open_remote),
 *    so that meta/catalog.h works unchanged in a frontend;
 *  - the cluster's nodes and their status (information_schema.cluster_info,
 *    READ_PREFERENCE), cached for node_cache_ms;
 *  - DDL and follower procedures, which run on the metasrv (it owns the
 *    routes): create / drop / truncate table, add / remove table / region
 *    followers;
 *  - region reads and writes sent to the right datanode (one pooled
 *    rpc_client per address), and the per-region peer choice of
 *    READ_PREFERENCE.
 *
 * Also the cluster-wide enums every process agrees on (node types, node
 * status), whose values cross the wire (proto/cluster.proto).
 *
 * Threads: every call is thread-safe. Results are owned by the caller and
 * freed with the matching *_free.
 *
 * Rows: a region scan returns user-column batches (the region's columns in
 * schema order). With a projection, the columns left out come back empty
 * (len 0), as struct table_provider promises (sql/exec.h).
 *
 * Errors: codes as returned by the peer. Procedure errors (DDL, followers)
 * carry the metasrv's own words ("The target peer is unavailable
 * temporally: 7", "Invalid arguments: ..."), ready to show to a user;
 * region calls keep the RPC's "peer <addr>: " prefix.
 *
 * A frontend in cluster mode: reads and writes the catalog with
 * meta/catalog.h on cluster_client_kv(); creates, drops and truncates
 * tables with cluster_client_{create,drop,truncate}_table (never
 * catalog_create_table directly: the regions would not exist); sends each
 * region's rows to cluster_client_region_write; reads each region with
 * cluster_client_read_region under the session's READ_PREFERENCE (or,
 * with aggregation pushdown, cluster_client_read_region_agg: the same peer
 * choice, the peer answers with partial aggregation rows); fills
 * information_schema.cluster_info / region_statistics from
 * cluster_client_nodes and region_peers from the routes; calls the
 * follower procedures for ADMIN [ADD|REMOVE]_[TABLE|REGION]_FOLLOWER.
 */
#ifndef STRATA_CLUSTER_CLUSTER_CLIENT_H
#define STRATA_CLUSTER_CLUSTER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/column.h"
#include "rpc/rpc.h"
#include "server/handler.h" /* enum read_preference */
#include "storage/region.h"
#include "storage/scan.h"
#include "storage/schema.h"

struct kv;
struct table_info;
struct table_route;
struct region_route;
struct cluster_client;

/* ---- cluster-wide enums (their values cross the wire) ------------------ */

enum cluster_node_type {
	CLUSTER_NODE_DATANODE = 0,
	CLUSTER_NODE_FRONTEND = 1,
	CLUSTER_NODE_METASRV = 2,
};

/* Datanode (and frontend) status as the metasrv sees it; transitions are
 * described in src/meta/metasrv_registry.c. */
enum node_status {
	NODE_JOINING = 0,
	NODE_ALIVE = 1,
	NODE_SUSPECT = 2,
	NODE_DEAD = 3,
};

/* "DATANODE", "FRONTEND", "METASRV" ("UNKNOWN" out of range). */
const char *cluster_node_type_name(unsigned t);
/* "JOINING", "ALIVE", "SUSPECT", "DEAD" ("UNKNOWN" out of range). */
const char *node_status_name(unsigned s);

/* "4398046511105(1024, 1)": GreptimeDB's rendering of a region id. */
void region_id_format(char *out, size_t n, uint64_t region_id);

/* ---- the metadata store over RPC ---------------------------------------- */

/* A kv (meta/kv.h) whose operations run on the metasrv's store. addrs is
 * "host:port[,host:port...]"; an operation that finds a metasrv
 * unavailable tries the next one. Nothing is contacted before the first
 * operation. Close with kv_close. */
int kv_open_remote(const char *metasrv_addrs, struct kv **out);

/* ---- client --------------------------------------------------------------- */

struct cluster_client_options {
	const char *metasrv_addrs; /* required */
	int request_timeout_ms;    /* 0 = RPC default */
	int node_cache_ms;         /* how long node status is trusted; 0 = 1000 */
	uint32_t seed;             /* random peer choice; 0 = from the clock */
};

int cluster_client_open(const struct cluster_client_options *o, struct cluster_client **out);
void cluster_client_close(struct cluster_client *cc);
/* The metasrv's store (owned by cc). */
struct kv *cluster_client_kv(struct cluster_client *cc);

struct cluster_node {
	enum cluster_node_type type;
	uint64_t id;
	char *addr;
	enum node_status status;
	int64_t start_time_ms;
	int64_t last_heartbeat_ms; /* metasrv wall clock; 0 = never */
	uint32_t heartbeat_interval_ms;
	uint32_t nstats;
	struct region_stat *stats; /* last reported by the node */
};

struct cluster_nodes {
	uint32_t n;
	struct cluster_node *nodes; /* the metasrv first, then by (type, id) */
	int64_t now_ms;             /* metasrv wall clock at the answer */
};
void cluster_nodes_free(struct cluster_nodes *n);

/* Fresh from the metasrv (also refreshes the cache). */
int cluster_client_nodes(struct cluster_client *cc, struct cluster_nodes *out);
/* Address and status of datanode `id` from the cache (refreshed when older
 * than node_cache_ms or when id is missing). ERR_UNAVAILABLE with
 * "The target peer is unavailable temporally: {id}" when unknown. */
int cluster_client_datanode(struct cluster_client *cc, uint64_t id, char *addr, size_t addr_n,
                            enum node_status *status);

/* ---- DDL (runs on the metasrv) ---------------------------------------------- */

/* Create the table: catalog entry + route, leaders placed round-robin over
 * alive datanodes (or on leaders[i] for region i when nleaders > 0), each
 * leader region created. info->table_id is filled in. *route (may be NULL)
 * gets the route (caller table_route_free). */
int cluster_client_create_table(struct cluster_client *cc, struct table_info *info,
                                const uint64_t *leaders, uint32_t nleaders, bool if_not_exists,
                                bool *created, struct table_route **route);
/* Remove the table from the catalog and drop its regions on leaders and
 * followers. */
int cluster_client_drop_table(struct cluster_client *cc, uint32_t table_id);
/* ALTER TABLE ADD/DROP COLUMN: info is the table with its new region
 * schema (version + 1); the metasrv changes every region's schema on its
 * leader, pushes the new manifest version to the followers, then stores
 * info in the catalog. */
int cluster_client_alter_table(struct cluster_client *cc, const struct table_info *info);
/* Truncate every region on its leader; followers install the result. */
int cluster_client_truncate_table(struct cluster_client *cc, uint32_t table_id);
/* The route as stored (through the kv). */
int cluster_client_get_route(struct cluster_client *cc, uint32_t table_id,
                             struct table_route **out);

/* ---- follower procedures (run on the metasrv) ------------------------------- */

struct follower_change {
	uint64_t region_id;
	uint64_t datanode_id;
	bool added;
};

struct follower_result {
	uint32_t n;
	struct follower_change *changes;
	struct table_route *route; /* after the change */
};
void follower_result_free(struct follower_result *r);

/* One follower per region on a datanode of dns[0..ndns) (every alive
 * datanode when ndns == 0); rules in src/meta/metasrv_procedure.c. out may
 * be NULL. */
int cluster_client_add_table_follower(struct cluster_client *cc, uint32_t table_id,
                                      const uint64_t *dns, uint32_t ndns,
                                      struct follower_result *out);
/* Remove the newest follower of each region. */
int cluster_client_remove_table_follower(struct cluster_client *cc, uint32_t table_id,
                                         struct follower_result *out);
int cluster_client_add_region_follower(struct cluster_client *cc, uint64_t region_id,
                                       uint64_t datanode_id, struct follower_result *out);
int cluster_client_remove_region_follower(struct cluster_client *cc, uint64_t region_id,
                                          uint64_t datanode_id, struct follower_result *out);

/* ---- peers and region calls ------------------------------------------------------ */

struct peer_choice {
	uint64_t node_id;
	bool is_leader;
};

/* Pick the peer that serves a read of rr under `pref`:
 *   leader              the leader
 *   follower            a random ALIVE follower; none -> ERR_UNAVAILABLE
 *                       naming the region
 *   follower_preferred  a random ALIVE follower, else the leader
 *   random              a random peer among the leader and ALIVE followers */
int cluster_client_pick_peer(struct cluster_client *cc, const struct region_route *rr,
                             enum read_preference pref, struct peer_choice *out);

/* Rows to the region's leader. cluster_client_region_write sends no
 * schema version (legacy: refused once the region's schema has changed);
 * _at says the batch was built for region schema `version` and is
 * refused with ERR_CONFLICT (REGION_SCHEMA_MISMATCH) at any other. */
int cluster_client_region_write(struct cluster_client *cc, const struct region_route *rr,
                                enum op_type op, const struct batch *rows, uint64_t *affected);
int cluster_client_region_write_at(struct cluster_client *cc, const struct region_route *rr,
                                   enum op_type op, const struct batch *rows, uint64_t version,
                                   uint64_t *affected);

/* Scan region_id on datanode node_id, as leader or follower read (mode).
 * schema is the region's (table_info->region_schema). fn receives each
 * user-column batch and takes ownership of it. */
int cluster_client_region_scan_stream(struct cluster_client *cc, uint64_t node_id,
                                      uint64_t region_id, enum rpc_read_mode mode,
                                      const struct scan_request *req,
                                      const struct region_schema *schema, rpc_batch_fn fn,
                                      void *ctx);
/* The same, collected into one batch (initialised here; batch_free). */
int cluster_client_region_scan(struct cluster_client *cc, uint64_t node_id, uint64_t region_id,
                               enum rpc_read_mode mode, const struct scan_request *req,
                               const struct region_schema *schema, struct batch *out);
/* Pick a peer by pref and scan it, collected into one batch (a
 * region_reader underneath, see below); follower_preferred falls back to
 * the leader when the follower read fails with ERR_UNAVAILABLE before it
 * sent anything. *served (may be NULL) says who answered. */
int cluster_client_read_region(struct cluster_client *cc, const struct region_route *rr,
                               enum read_preference pref, const struct scan_request *req,
                               const struct region_schema *schema, struct batch *out,
                               struct peer_choice *served);
/* Partial aggregation pushdown: the same peer choice and fallbacks, but
 * the peer runs agg over the rows it would have sent and returns that
 * query's rows; *out (initialised here) has ncols columns of types[]
 * (ERR_PROTOCOL when a reply frame does not). */
int cluster_client_read_region_agg(struct cluster_client *cc, const struct region_route *rr,
                                   enum read_preference pref, const struct scan_request *req,
                                   const struct region_schema *schema,
                                   const struct rpc_partial_agg *agg, uint32_t ncols,
                                   const enum dtype *types, struct batch *out,
                                   struct peer_choice *served);

/* ---- streaming region reads ------------------------------------------------------
 *
 * A region_reader is one region read in progress, pulled batch by batch
 * (a cluster frontend's scan operator asks for the next batch, the reader
 * reads the next frame from the peer). Rules:
 *  - Connection: the reader owns one connection of the peer's pooled
 *    rpc_client from open to its end; it goes back to the pool only after
 *    the final frame. Closed before the end (LIMIT), the connection is
 *    dropped, never pooled half-read; the peer's next write fails and its
 *    scan stops.
 *  - Buffering: one frame at a time (the batch next() returns; the kernel's
 *    socket buffers hold the rest and TCP flow control stops the peer).
 *    lim->chunk_bytes asks the peer for frames of at most that size.
 *  - Peer choice and retries: as cluster_client_read_region. open reads
 *    the first frame before it returns, so every failure before the peer
 *    sent anything (refused, follower without its leader, ERR_UNAVAILABLE
 *    from the follower) takes the READ_PREFERENCE fallback there;
 *    follower_preferred falls back to the leader. Once open returned, a
 *    failure is the caller's error: never retried (rows were handed on).
 *  - Errors mid-stream (peer died: ERR_UNAVAILABLE "connection closed by
 *    the peer"; corrupt frame: ERR_CORRUPT / ERR_PROTOCOL; no final frame
 *    in time: ERR_UNAVAILABLE "timed out"; an error frame: its code) end
 *    the read; the rows returned so far are not the whole answer.
 * The route, request, schema and types passed to open must outlive the
 * reader. Not thread-safe (one user). */
struct region_reader;
struct region_read_limits {
	int64_t deadline_ms;  /* statement deadline, CLOCK_MONOTONIC ms; 0 = none */
	uint64_t mem_limit;   /* the statement's budget, for the peer's partial
	                       * aggregation (RegionScanRequest.mem_limit); 0 = none */
	uint32_t chunk_bytes; /* largest frame wanted; 0 = the peer's default */
};
/* agg NULL: the region's rows (every schema column, as
 * cluster_client_read_region); else the partial aggregation rows of
 * ncols columns of types[]. lim may be NULL. */
int cluster_client_region_read_open(struct cluster_client *cc, const struct region_route *rr,
                                    enum read_preference pref, const struct scan_request *req,
                                    const struct region_schema *schema,
                                    const struct rpc_partial_agg *agg, uint32_t ncols,
                                    const enum dtype *types,
                                    const struct region_read_limits *lim,
                                    struct region_reader **out, struct peer_choice *served);
/* The next non-empty batch (*out initialised here, caller batch_free), or
 * *end. */
int region_reader_next(struct region_reader *rd, struct batch *out, bool *end);
/* True once the final frame arrived and every batch was returned. */
bool region_reader_done(const struct region_reader *rd);
void region_reader_close(struct region_reader *rd); /* NULL is fine */

int cluster_client_region_snapshot(struct cluster_client *cc, uint64_t node_id, uint64_t region_id,
                                   const struct scan_request *req, uint32_t ncols,
                                   uint64_t *version, struct batch *rows);
int cluster_client_region_flush(struct cluster_client *cc, uint64_t node_id, uint64_t region_id);
int cluster_client_region_compact(struct cluster_client *cc, uint64_t node_id, uint64_t region_id,
                                  bool force);
int cluster_client_region_truncate(struct cluster_client *cc, uint64_t node_id, uint64_t region_id);
/* Stats of every region on a datanode (*out: mem_free). */
int cluster_client_region_stats(struct cluster_client *cc, uint64_t node_id,
                                struct region_stat **out, uint32_t *n);
/* Flush every region of the table on its leader. */
int cluster_client_flush_table(struct cluster_client *cc, uint32_t table_id);

/* node_debug of a datanode (node_id) or, with node_id = CLUSTER_METASRV_NODE,
 * of the metasrv: JSON text (*json: mem_free). set_key (may be NULL) changes
 * a runtime setting first (datanode: "follower_memtable_fetch" on|off). */
#define CLUSTER_METASRV_NODE UINT64_MAX
int cluster_client_node_debug(struct cluster_client *cc, uint64_t node_id, const char *set_key,
                              const char *set_value, char **json);

/* Register / refresh this frontend in the metasrv's node list
 * (cluster_info); call every heartbeat interval. */
int cluster_client_frontend_heartbeat(struct cluster_client *cc, uint64_t frontend_id,
                                      const char *addr, int64_t start_time_ms,
                                      uint32_t interval_ms);

/* The pooled RPC client of a datanode (owned by cc), for calls not wrapped
 * here. */
int cluster_client_peer(struct cluster_client *cc, uint64_t node_id, struct rpc_client **out);

#endif
