/*
 * http_server: the frontend's HTTP API (GreptimeDB compatible, default port
 * 4000) on libmicrohttpd, one thread per connection.
 *
 * Routes:
 *   GET|POST /v1/sql                 SQL through the query_handler; JSON
 *                                    (see json_out.h). Parameters from the
 *                                    query string or a form body: sql, db
 *                                    ("schema" or "catalog-schema"), limit.
 *                                    Headers: x-greptime-read-preference,
 *                                    x-greptime-timezone, x-greptime-db-name.
 *   POST /v1/influxdb/write          line protocol (db, precision, u, p)
 *   POST /v1/influxdb/api/v2/write   line protocol (bucket or db, precision)
 *                                    -> 204; parse errors 400 {"error":...}
 *   GET|HEAD /ping, /v1/influxdb/ping      204
 *   GET|HEAD /v1/influxdb/health           200
 *   GET|POST /health                       200 {}
 *   GET /metrics                     Prometheus text: the metrics callback's
 *                                    output followed by the server's own
 *                                    counters (requests by path and status,
 *                                    bytes in and out, request seconds).
 *   GET|HEAD /dashboard/<file>       the web console (console_assets.h; the
 *                                    index page at /dashboard/); /dashboard
 *                                    redirects (301) to /dashboard/
 *   GET|HEAD /v1/cluster/nodes, /v1/cluster/lag,
 *            /v1/cluster/tables/{schema}/{table}/regions
 *                                    topology and replica lag as JSON, read
 *                                    through the query_handler (see
 *                                    http_console.h); same credentials as
 *                                    /v1/sql
 * Unknown paths answer 404, known paths with another method 405 (with an
 * Allow header), bodies over max_body_bytes 413 - all with a JSON body.
 *
 * Every request gets a fresh session (protocol SESSION_HTTP) that lives
 * for that request only; session_done (if set) is called after the
 * handler is finished with it so the engine can drop its per-session
 * state. With users configured, /v1/sql and the write endpoints require
 * credentials (Authorization: Basic, x-greptime-auth: Basic, InfluxDB's
 * u/p parameters or "Authorization: Token user:password"); a failure is
 * 401 with GreptimeDB's auth status codes.
 *
 * Threads: callbacks run on connection threads, concurrently. The server
 * never holds a lock while calling them.
 */
#ifndef STRATA_SERVER_HTTP_SERVER_H
#define STRATA_SERVER_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "server/handler.h"

#define HTTP_DEFAULT_PORT     4000
#define HTTP_DEFAULT_MAX_BODY (64u << 20)

struct lp_batch;

/* Store the points of one write request. Returns ERR_OK or an error code
 * with err_set detail; the code picks the HTTP status through GreptimeDB's
 * mapping (ERR_BAD_INPUT 400, ERR_NOT_FOUND 400, ERR_UNAVAILABLE 503, ...). */
typedef int (*http_ingest_fn)(void *ctx, struct session *s, const struct lp_batch *batch);
/* Append Prometheus text exposition lines to out. */
typedef int (*http_metrics_fn)(void *ctx, struct buf *out);
typedef void (*http_session_done_fn)(void *ctx, struct session *s);

struct http_options {
	const char *bind_addr;        /* IPv4 or IPv6 literal; NULL = "0.0.0.0" */
	uint16_t port;                /* 0 = any free port (see http_server_port) */
	struct query_handler handler; /* execute NULL: /v1/sql answers 503 */
	http_ingest_fn ingest;        /* NULL: the write endpoints answer 503 */
	void *ingest_ctx;
	http_metrics_fn metrics; /* optional */
	void *metrics_ctx;
	http_session_done_fn session_done; /* optional; gets handler.ctx */
	size_t max_body_bytes;             /* 0 = HTTP_DEFAULT_MAX_BODY */
	unsigned max_connections;          /* 0 = 1024 */
	unsigned idle_timeout_s;           /* 0 = 300 */
	const struct wire_user *users;     /* copied; nusers == 0 means trust */
	size_t nusers;
};

/* Defaults: 0.0.0.0:4000, 64 MiB bodies, no callbacks. */
void http_options_default(struct http_options *o);

struct http_server;

/* Start listening and serving. ERR_IO when the address cannot be bound. */
int http_server_start(const struct http_options *o, struct http_server **out);
/* The bound port (useful with port 0). */
uint16_t http_server_port(const struct http_server *s);
/* Stop accepting, wait for running requests, free everything. NULL is a
 * no-op. */
void http_server_stop(struct http_server *s);

#endif
