/*
 * rpc: Strata's internal RPC between frontend, datanodes and metasrv
 * (cluster mode). Request/response over TCP, one outstanding request per
 * connection, each message a protobuf-c message (proto/<name>.proto) inside a
 * frame (byte layout in frame.c).
 *
 * Methods are listed once, in RPC_METHODS below: wire id, name, request and
 * response message. A method's response is one frame, or for the methods
 * that stream rows (region_scan, region_snapshot) any number of chunk
 * frames followed by one final frame, all with the request's id. A remote
 * failure arrives as an error frame and is returned as the same enum
 * err_code, its message prefixed with "peer <addr>: ".
 *
 * Server: a thread per connection (capped), handlers run on that thread.
 * Each handler gets the decoded request and a struct rpc_reply to send
 * chunks and the final response with; returning an error code instead
 * sends an error frame carrying err_msg(). A handler that returns ERR_OK
 * without sending the final response gets an empty one sent for it.
 *
 * Client: one struct rpc_client per peer address, thread-safe, with a small
 * pool of idle connections. Every call has a deadline covering connect,
 * send and every response frame. A connection that saw any local error is
 * closed, never reused. A dead peer or a timeout is ERR_UNAVAILABLE.
 * rpc_call / rpc_call_stream push every frame to the caller within the
 * call; rpc_stream_open / next / close let the caller pull the frames one
 * at a time (a region scan consumed by the query engine as it goes), each
 * frame waited for with its own timeout under an optional overall
 * deadline; the stream owns its connection until the final frame, and a
 * stream closed early closes it.
 *
 * Rows travel as batches encoded by base/column_codec.h; region schemas as
 * the JSON of region_schema_to_json. The typed wrappers at the bottom
 * (rpc_region_write, ...) and the server-side codec helpers (rpc_reply_rows,
 * rpc_scan_request_decode, ...) convert between our structs and the
 * protobuf messages.
 */
#ifndef STRATA_RPC_RPC_H
#define STRATA_RPC_RPC_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "base/column.h"
#include "proto/cluster.pb-c.h"
#include "proto/common.pb-c.h"
#include "proto/heartbeat.pb-c.h"
#include "proto/region.pb-c.h"
#include "storage/region.h"
#include "storage/scan.h"
#include "storage/schema.h"

/* The generated C type and descriptor of a message of package strata. */
#define RPC_PB(Type)       Strata__##Type
#define RPC_PB_DESC(snake) strata__##snake##__descriptor

/*
 * X(id, NAME, name, ReqType, req_snake, RespType, resp_snake)
 * id is the u16 method number on the wire: never renumber or reuse one.
 * Ids are dense from 1; 0 means "no method" (connection-level errors).
 */
#define RPC_METHODS(X)                                                                             \
	X(1, PING, ping, Empty, empty, Empty, empty)                                               \
	X(2, REGION_WRITE, region_write, RegionWriteRequest, region_write_request,                 \
	  RegionWriteResponse, region_write_response)                                              \
	X(3, REGION_SCAN, region_scan, RegionScanRequest, region_scan_request, RegionScanResponse, \
	  region_scan_response)                                                                    \
	X(4, REGION_SNAPSHOT, region_snapshot, RegionSnapshotRequest, region_snapshot_request,     \
	  RegionSnapshotResponse, region_snapshot_response)                                        \
	X(5, REGION_FLUSH, region_flush, RegionIdRequest, region_id_request, Empty, empty)         \
	X(6, REGION_COMPACT, region_compact, RegionCompactRequest, region_compact_request, Empty,  \
	  empty)                                                                                   \
	X(7, REGION_TRUNCATE, region_truncate, RegionIdRequest, region_id_request, Empty, empty)   \
	X(8, REGION_DROP, region_drop, RegionIdRequest, region_id_request, Empty, empty)           \
	X(9, REGION_OPEN, region_open, RegionOpenRequest, region_open_request, Empty, empty)       \
	X(10, REGION_CLOSE, region_close, RegionIdRequest, region_id_request, Empty, empty)        \
	X(11, REGION_INSTALL, region_install, RegionInstallRequest, region_install_request, Empty, \
	  empty)                                                                                   \
	X(12, REGION_STATS, region_stats, Empty, empty, RegionStatsResponse,                       \
	  region_stats_response)                                                                   \
	X(13, REGION_CREATE, region_create, RegionCreateRequest, region_create_request, Empty,     \
	  empty)                                                                                   \
	X(14, HEARTBEAT, heartbeat, HeartbeatRequest, heartbeat_request, HeartbeatResponse,        \
	  heartbeat_response)                                                                      \
	RPC_CLUSTER_METHODS(X)

/* Cluster methods (proto/cluster.proto; served by the metasrv, node_debug
 * by every process; callers in src/cluster/ and src/datanode/). */
#define RPC_CLUSTER_METHODS(X)                                                                     \
	X(15, KV_GET, kv_get, KvGetRequest, kv_get_request, KvGetResponse, kv_get_response)        \
	X(16, KV_RANGE, kv_range, KvRangeRequest, kv_range_request, KvRangeResponse,               \
	  kv_range_response)                                                                       \
	X(17, KV_TXN, kv_txn, KvTxnRequest, kv_txn_request, KvTxnResponse, kv_txn_response)        \
	X(18, CLUSTER_INFO, cluster_info, Empty, empty, ClusterInfoResponse,                       \
	  cluster_info_response)                                                                   \
	X(19, CREATE_TABLE, create_table, CreateTableRequest, create_table_request,                \
	  CreateTableResponse, create_table_response)                                              \
	X(20, DROP_TABLE, drop_table, TableIdRequest, table_id_request, Empty, empty)              \
	X(21, TRUNCATE_TABLE, truncate_table, TableIdRequest, table_id_request, Empty, empty)      \
	X(22, ADD_TABLE_FOLLOWER, add_table_follower, TableFollowerRequest,                        \
	  table_follower_request, FollowerChangeResponse, follower_change_response)                \
	X(23, REMOVE_TABLE_FOLLOWER, remove_table_follower, TableFollowerRequest,                  \
	  table_follower_request, FollowerChangeResponse, follower_change_response)                \
	X(24, ADD_REGION_FOLLOWER, add_region_follower, RegionFollowerRequest,                     \
	  region_follower_request, FollowerChangeResponse, follower_change_response)               \
	X(25, REMOVE_REGION_FOLLOWER, remove_region_follower, RegionFollowerRequest,               \
	  region_follower_request, FollowerChangeResponse, follower_change_response)               \
	X(26, NODE_DEBUG, node_debug, NodeDebugRequest, node_debug_request, NodeDebugResponse,     \
	  node_debug_response)                                                                     \
	X(27, ALTER_TABLE, alter_table, AlterTableRequest, alter_table_request,                    \
	  CreateTableResponse, create_table_response)                                              \
	X(28, REGION_ALTER, region_alter, RegionAlterRequest, region_alter_request, Empty, empty)

enum rpc_method {
	RPC_METHOD_NONE = 0,
#define X(id, NAME, name, ReqT, req_s, RespT, resp_s) RPC_##NAME = id,
	RPC_METHODS(X)
#undef X
};

enum rpc_method_count {
#define X(id, NAME, name, ReqT, req_s, RespT, resp_s) RPC_COUNT_##NAME,
	RPC_METHODS(X)
#undef X
	    RPC_METHOD__COUNT /* number of methods; the largest valid id */
};

/* "region_scan"; "unknown" for an id not in the table. */
const char *rpc_method_name(unsigned method);

/* Defaults; 0 in an option struct means "the default". */
#define RPC_DEFAULT_MAX_FRAME          (256u << 20) /* payload bytes */
#define RPC_DEFAULT_CHUNK_BYTES        (1u << 20)   /* target payload of a rows chunk frame */
#define RPC_DEFAULT_MAX_CONNECTIONS    256
#define RPC_DEFAULT_IO_TIMEOUT_MS      30000
#define RPC_DEFAULT_CONNECT_TIMEOUT_MS 1000
#define RPC_DEFAULT_REQUEST_TIMEOUT_MS 30000
#define RPC_DEFAULT_POOL_SIZE          4

/* ------------------------------------------------------------------ */
/* Server                                                              */
/* ------------------------------------------------------------------ */

struct rpc_server;
struct rpc_reply; /* one request in progress on the server */
struct arena;

/* One callback per method (NULL = ERR_UNSUPPORTED). The request and
 * everything it points to belong to the server and live until the handler
 * returns. */
struct rpc_handlers {
	void *ctx;
#define X(id, NAME, name, ReqT, req_s, RespT, resp_s)                                              \
	int (*name)(void *ctx, const RPC_PB(ReqT) * request, struct rpc_reply * reply);
	RPC_METHODS(X)
#undef X
};

struct rpc_server_options {
	uint32_t max_connections; /* beyond it a connection gets an error and is closed */
	uint32_t max_frame;       /* largest request payload accepted, bytes */
	uint32_t chunk_bytes;     /* target size of a chunk frame (rpc_reply_rows) */
	int io_timeout_ms;        /* to read the rest of a started frame / write a reply */
	int stop_grace_ms;        /* rpc_server_stop waits this long for handlers */
};

void rpc_server_options_init(struct rpc_server_options *o);

/* Listen on bind_addr:port (bind_addr NULL = "127.0.0.1", port 0 = any
 * free port, see rpc_server_port) and serve `h` (copied). */
int rpc_server_start(const char *bind_addr, uint16_t port, const struct rpc_handlers *h,
                     const struct rpc_server_options *o, struct rpc_server **out);
uint16_t rpc_server_port(const struct rpc_server *s);

struct rpc_server_stats {
	uint64_t accepted; /* connections accepted (not counting refused ones) */
	uint64_t refused;  /* turned away: too many connections */
	uint64_t requests; /* request frames served */
	uint32_t live;     /* connections open now */
};
void rpc_server_get_stats(struct rpc_server *s, struct rpc_server_stats *out);
/* Stop accepting, close idle connections, let running handlers finish (up
 * to stop_grace_ms, then their sockets are shut down), join every thread
 * and free s. Handlers must return eventually. */
void rpc_server_stop(struct rpc_server *s);

/* Send msg (the method's response type) as a chunk: more frames follow. */
int rpc_reply_chunk(struct rpc_reply *r, const ProtobufCMessage *msg);
/* Send msg as the final response. At most once per request. */
int rpc_reply_send(struct rpc_reply *r, const ProtobufCMessage *msg);
/* Memory for the handler, freed after the request (encode/decode helpers
 * below take it). */
struct arena *rpc_reply_arena(struct rpc_reply *r);
const char *rpc_reply_peer(const struct rpc_reply *r); /* "127.0.0.1:51234" */
enum rpc_method rpc_reply_method(const struct rpc_reply *r);
/* Cut row chunks (rpc_reply_rows) at most n payload bytes big for this
 * request (the client asked for smaller frames); 0 = the server's option.
 * Never above the server's own chunk_bytes. */
void rpc_reply_set_chunk_bytes(struct rpc_reply *r, uint32_t n);

/* ------------------------------------------------------------------ */
/* Client                                                              */
/* ------------------------------------------------------------------ */

struct rpc_client;

struct rpc_client_options {
	int connect_timeout_ms;
	int request_timeout_ms; /* default deadline of a call */
	uint32_t max_frame;     /* largest response payload accepted, bytes */
	uint32_t pool_size;     /* idle connections kept */
};

void rpc_client_options_init(struct rpc_client_options *o);

/* addr is "host:port" ("[::1]:3001" for IPv6). Does not connect yet. */
int rpc_client_create(const char *addr, const struct rpc_client_options *o,
                      struct rpc_client **out);
void rpc_client_destroy(struct rpc_client *c);
const char *rpc_client_addr(const struct rpc_client *c);

/* Called for each response frame of a call: chunks with last = false, then
 * the final one with last = true. msg is freed after the call returns; a
 * non-OK return aborts the call (the connection is dropped). */
typedef int (*rpc_msg_fn)(void *ctx, const ProtobufCMessage *msg, bool last);

/* Send req (the method's request type) and deliver the response frames.
 * timeout_ms <= 0: the client's request_timeout_ms. */
int rpc_call_stream(struct rpc_client *c, enum rpc_method m, const ProtobufCMessage *req,
                    rpc_msg_fn fn, void *ctx, int timeout_ms);
/* One response: *resp is the method's response type; the caller frees it
 * with rpc_message_free. A chunked reply is ERR_PROTOCOL here. */
int rpc_call(struct rpc_client *c, enum rpc_method m, const ProtobufCMessage *req,
             ProtobufCMessage **resp, int timeout_ms);
void rpc_message_free(ProtobufCMessage *m);

/* A pull-style call: the caller reads the response frames one at a time.
 * The stream owns its connection until the final frame arrives (then the
 * connection goes back to the pool) or until rpc_stream_close (a stream
 * closed before its final frame closes the connection: a half-read
 * response is never left in the pool; the peer's next write fails and it
 * stops). Waits: each rpc_stream_next waits at most frame_timeout_ms for
 * its frame, and never past deadline_ms. Not thread-safe: one user. */
struct rpc_stream;
struct rpc_stream_options {
	int frame_timeout_ms; /* <= 0: the client's request_timeout_ms */
	int64_t deadline_ms;  /* CLOCK_MONOTONIC ms (clock_mono_ns / 1e6); 0 = none */
};
int rpc_stream_open(struct rpc_client *c, enum rpc_method m, const ProtobufCMessage *req,
                    const struct rpc_stream_options *o, struct rpc_stream **out);
/* The next response message (*msg: the method's response type, freed by the
 * caller with rpc_message_free); *last on the final one. An error frame, a
 * timeout, a dead peer or a corrupt frame is an error, and the stream is
 * over (later calls fail). */
int rpc_stream_next(struct rpc_stream *st, ProtobufCMessage **msg, bool *last);
/* True once the final frame (or an error) was seen. */
bool rpc_stream_ended(const struct rpc_stream *st);
void rpc_stream_close(struct rpc_stream *st); /* NULL is fine */

/* ------------------------------------------------------------------ */
/* Typed calls (client) and codec helpers (server)                     */
/* ------------------------------------------------------------------ */

enum rpc_read_mode { RPC_READ_LEADER, RPC_READ_FOLLOWER };

/* Partial aggregation run by the peer over the scanned rows
 * (RegionScanRequest.partial_agg_*, proto/region.proto). */
#define RPC_PARTIAL_AGG_VERSION 1
struct rpc_partial_agg {
	const char *sql;
	uint32_t protocol;     /* enum session_protocol: the dialect */
	const char *time_zone; /* the session's */
	int64_t now_ms;
};

struct rpc_scan_args {
	uint64_t region_id;
	const struct scan_request *req; /* NULL = every row and column */
	uint32_t ncols;                 /* region columns; used when req->projection */
	enum rpc_read_mode mode;
	/* Follower read with the leader snapshot already in hand (NULL = none;
	 * the follower fetches it itself). */
	const struct batch *leader_rows;
	uint64_t leader_version;
	/* NULL: send the rows; else the peer sends this query's result rows */
	const struct rpc_partial_agg *agg;
	/* Statement limits (RegionScanRequest.timeout_ms / mem_limit /
	 * chunk_bytes). deadline_ms: CLOCK_MONOTONIC ms, 0 = none; the request
	 * carries the time left and the client waits no longer than it.
	 * mem_limit: bytes the peer's partial aggregation may hold, 0 = none.
	 * chunk_bytes: largest chunk frame payload wanted, 0 = the peer's. */
	int64_t deadline_ms;
	uint64_t mem_limit;
	uint32_t chunk_bytes;
	int frame_timeout_ms; /* streams: wait per frame; 0 = request timeout */
};

/* Receives one decoded batch per non-empty frame; takes ownership of *b
 * (batch_free) whatever it returns. */
typedef int (*rpc_batch_fn)(void *ctx, struct batch *b);

int rpc_ping(struct rpc_client *c);
/* affected may be NULL. */
/* rpc_region_write_at: the batch was built for region schema `version`;
 * the leader refuses it (ERR_CONFLICT, REGION_SCHEMA_MISMATCH in
 * storage/schema_alter.h) unless the region is at that version.
 * rpc_region_write sends no version (a legacy writer): accepted only
 * while the region's schema has never changed. */
int rpc_region_write_at(struct rpc_client *c, uint64_t region_id, enum op_type op,
                        const struct batch *rows, uint64_t version, uint64_t *affected);
int rpc_region_write(struct rpc_client *c, uint64_t region_id, enum op_type op,
                     const struct batch *rows, uint64_t *affected);
int rpc_region_scan_stream(struct rpc_client *c, const struct rpc_scan_args *a, rpc_batch_fn fn,
                           void *ctx);
/* Pull-style region_scan (an rpc_stream underneath; a holds only what the
 * request needs: it may go away after open). next gives the next non-empty
 * batch (*out initialised there, caller batch_free) or *end at the final
 * frame; a partial aggregation's final frame must carry its version
 * (ERR_PROTOCOL otherwise). received() says whether any response frame
 * arrived yet. close before the end drops the connection. */
struct rpc_scan_stream;
int rpc_region_scan_open(struct rpc_client *c, const struct rpc_scan_args *a,
                         struct rpc_scan_stream **out);
int rpc_region_scan_next(struct rpc_scan_stream *s, struct batch *out, bool *end);
bool rpc_region_scan_received(const struct rpc_scan_stream *s);
void rpc_region_scan_close(struct rpc_scan_stream *s);
/* The whole result in one batch, initialised here (caller batch_free). No
 * rows at all gives an empty batch with ncols 0. */
int rpc_region_scan(struct rpc_client *c, const struct rpc_scan_args *a, struct batch *out);
/* Leader side of a follower read: version and rows (initialised here). */
int rpc_region_snapshot(struct rpc_client *c, uint64_t region_id, const struct scan_request *req,
                        uint32_t ncols, uint64_t *version, struct batch *rows);
int rpc_region_flush(struct rpc_client *c, uint64_t region_id);
int rpc_region_compact(struct rpc_client *c, uint64_t region_id, bool force);
int rpc_region_truncate(struct rpc_client *c, uint64_t region_id);
int rpc_region_drop(struct rpc_client *c, uint64_t region_id);
int rpc_region_open(struct rpc_client *c, uint64_t region_id, const char *dir,
                    enum region_role role);
int rpc_region_close(struct rpc_client *c, uint64_t region_id);
int rpc_region_install(struct rpc_client *c, uint64_t region_id, uint64_t version);
/* Stats of every region on the node; *out freed with mem_free. */
int rpc_region_stats(struct rpc_client *c, struct region_stat **out, uint32_t *n);
/* The leader region's schema change to `schema` (its successor; a region
 * already at schema->version answers OK). */
int rpc_region_alter(struct rpc_client *c, uint64_t region_id, const struct region_schema *schema);
int rpc_region_create(struct rpc_client *c, uint64_t region_id, const char *dir,
                      const struct region_schema *schema);

struct rpc_heartbeat {
	uint64_t node_id;
	const char *addr;
	uint32_t nstats;
	const struct region_stat *stats;
};

enum rpc_instr_kind {
	RPC_INSTR_INSTALL, /* follower: install up to manifest_version */
	RPC_INSTR_OPEN,    /* open region_id at dir in role */
	RPC_INSTR_CLOSE,   /* close region_id */
};

struct rpc_region_instr {
	uint64_t region_id;
	enum rpc_instr_kind kind;
	enum region_role role;
	uint64_t manifest_version;
	const char *dir; /* OPEN only, else NULL */
};

struct rpc_heartbeat_reply {
	int64_t lease_ms;
	uint32_t ninstr;
	struct rpc_region_instr *instr;
};

/* *out is filled here; free with rpc_heartbeat_reply_free. */
int rpc_heartbeat(struct rpc_client *c, const struct rpc_heartbeat *hb,
                  struct rpc_heartbeat_reply *out);
void rpc_heartbeat_reply_free(struct rpc_heartbeat_reply *r);

/* Server side. Decoders check every enum value and structural rule
 * (ERR_PROTOCOL with a message); what needs the region schema (column
 * indexes, literal types) is the region's to check. Arena memory lives
 * until the request ends; strings may point into the request message. */
int rpc_batch_decode(ProtobufCBinaryData rows, struct batch *out); /* empty -> 0 cols */
int rpc_scan_request_decode(const RPC_PB(ScanRequest) * pb, struct arena *a,
                            struct scan_request *out); /* pb NULL = everything */
int rpc_op_decode(uint32_t v, enum op_type *out);
int rpc_role_decode(uint32_t v, enum region_role *out);
int rpc_read_mode_decode(uint32_t v, enum rpc_read_mode *out);
/* Parse schema JSON; *out freed with region_schema_free. */
int rpc_region_schema_decode(const char *json, struct region_schema **out);
int rpc_heartbeat_decode(const RPC_PB(HeartbeatRequest) * pb, struct arena *a,
                         struct rpc_heartbeat *out);
/* RegionStat message <-> struct region_stat, for every carrier of region
 * statistics (heartbeats, the metasrv's node listing). decode range-checks
 * the role. */
void rpc_region_stat_encode(const struct region_stat *s, RPC_PB(RegionStat) * out);
int rpc_region_stat_decode(const RPC_PB(RegionStat) * pb, struct region_stat *out);

/* region_scan: send b as chunk frames of about chunk_bytes each (call as
 * often as needed; the final frame follows when the handler returns). */
int rpc_reply_rows(struct rpc_reply *r, const struct batch *b);
/* region_scan with partial aggregation: the final frame, marked with
 * RPC_PARTIAL_AGG_VERSION (after the result rows). */
int rpc_reply_partial_done(struct rpc_reply *r);
/* region_snapshot: rows as chunks, then the final frame with version. */
int rpc_reply_snapshot(struct rpc_reply *r, uint64_t version, const struct batch *rows);
int rpc_reply_region_stats(struct rpc_reply *r, const struct region_stat *stats, uint32_t n);
int rpc_reply_heartbeat(struct rpc_reply *r, const struct rpc_heartbeat_reply *hb);

#endif
