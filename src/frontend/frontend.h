/*
 * frontend: Strata's SQL statement layer - the query_handler behind the
 * MySQL, PostgreSQL and HTTP servers, speaking GreptimeDB's dialect.
 *
 * A frontend turns statement text into actions on the catalog (metadata
 * KV: schemas, tables, routes) and on regions (through a region_server),
 * and answers with GreptimeDB's result shapes, column names and error
 * texts. Queries (SELECT and friends) run in the SQL engine (sql/exec.h)
 * over table providers the frontend hands out: user tables as scans of
 * their regions, information_schema and pg_catalog tables as in-memory
 * batches, and the `numbers` table.
 *
 * Threads: execute() runs on any connection thread, concurrently. DDL
 * (CREATE/DROP/TRUNCATE) takes the frontend's DDL lock exclusively;
 * everything else takes it shared, so a table never disappears under a
 * running statement.
 *
 * Standalone mode (standalone.c) wires a frontend to an in-process
 * metadata KV and region server and starts the three protocol servers.
 * Cluster mode (`strata frontend start`, src/cmd/cmd_frontend.c) wires it
 * to a cluster_client instead; regions.c is the one place that tells the
 * two apart.
 */
#ifndef STRATA_FRONTEND_FRONTEND_H
#define STRATA_FRONTEND_FRONTEND_H

#include <stdint.h>

#include "base/buf.h"
#include "server/handler.h"

struct kv;
struct region_server;
struct cluster_client;
struct lp_batch;
struct frontend;

struct frontend_options {
	struct kv *kv;                 /* metadata store (not owned) */
	struct region_server *regions; /* this node's regions (not owned) */
	uint64_t node_id;              /* datanode id of `regions` (0 in standalone) */
	const char *peer_addr;         /* address shown for that datanode (standalone) or
	                                  this frontend's address (cluster) */
	const char *mode;              /* "standalone" or "distributed" (cluster_info) */
	struct cluster_client *cc;     /* cluster mode when set (not owned): regions,
	                                  DDL and followers go through it, kv must be
	                                  cluster_client_kv(cc), regions NULL */
	const char *version;           /* e.g. "0.1.0" */
	/* Standalone: a counter the process's only writer of kv bumps after
	 * every write (standalone.c's kv wrapper). When set, resolved tables
	 * (table info and route) are kept and reused until it moves. NULL
	 * (cluster mode: other frontends and the metasrv write too): every
	 * statement reads the catalog. */
	const _Atomic uint64_t *catalog_gen;
};

int frontend_open(const struct frontend_options *o, struct frontend **out);
void frontend_close(struct frontend *fe);

/* The query_handler to give the protocol servers (ctx = fe). */
struct query_handler frontend_query_handler(struct frontend *fe);

/* Bring the regions of every table in the catalog online on this node
 * (after a restart): opens every region whose leader is node_id. */
int frontend_open_all_regions(struct frontend *fe);

/* HTTP callbacks: line-protocol ingest (http_ingest_fn; ctx = fe),
 * Prometheus metrics (http_metrics_fn), per-request session end. */
int frontend_ingest(void *ctx, struct session *s, const struct lp_batch *batch);
int frontend_metrics(void *ctx, struct buf *out);
void frontend_session_done(void *ctx, struct session *s);

/* strata standalone start [options]: runs until SIGINT/SIGTERM. Returns the
 * process exit code. argv[0] is "start". */
int standalone_main(int argc, char **argv);

/* The MySQL, PostgreSQL and HTTP servers of a frontend, started together
 * (shared by standalone and `strata frontend start`). Addresses are
 * "host:port"; port 0 picks a free one. wire (opened, may be NULL for
 * defaults; must outlive the servers) gives authentication, TLS and
 * limits. */
struct frontend_servers;
struct wire_config;
int frontend_servers_start(struct frontend *fe, struct wire_config *wire, const char *mysql_addr,
                           const char *pg_addr, const char *http_addr,
                           struct frontend_servers **out);
/* Listening ports (after start). */
void frontend_servers_ports(const struct frontend_servers *sv, uint16_t *mysql, uint16_t *pg,
                            uint16_t *http);
void frontend_servers_stop(struct frontend_servers *sv);
/* Write "mysql=N\npostgres=N\nhttp=N\n" atomically (temp name + rename). */
int frontend_write_port_file(const char *path, const struct frontend_servers *sv);

#endif
