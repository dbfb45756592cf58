/*
 * http_console: what the HTTP server needs for the web console, kept apart
 * from libmicrohttpd so it can be tested alone.
 *
 *  - The console's static files (console_assets.h), looked up by the path
 *    under /dashboard/, with their content types.
 *  - The cluster JSON endpoints under /v1/cluster/. Each runs SQL over
 *    information_schema through the ordinary query_handler, so they answer
 *    the same in standalone mode and on a cluster frontend:
 *
 *    GET /v1/cluster/nodes
 *        {"nodes":[NODE,...]}; NODE = every column of
 *        information_schema.cluster_info (peer_id, peer_type, peer_addr,
 *        ..., uptime, active_time, node_status) plus
 *          "alive":      false when node_status names a dead node (it
 *                        contains, case-insensitively, "dead", "down",
 *                        "offline", "lost", "unreachable" or "inactive"),
 *          "leader_regions", "follower_regions": rows of
 *                        information_schema.region_peers on this peer
 *                        (datanodes and standalone only; null otherwise, or
 *                        when region_peers cannot be read).
 *    GET /v1/cluster/tables/{schema}/{table}/regions
 *        {"schema":S,"table":T,"table_id":N,"replicas_available":B,
 *         ["replicas_error":MSG,]
 *         "regions":[{"region_id":N,"region_number":N,
 *                     "stats":ROW|null,      leader's region_statistics row
 *                     "peers":[{"peer_id":N,"peer_addr":S,"role":"leader"|
 *                               "follower","status":S,"down_seconds":N|null,
 *                               "stats":ROW|null,"replica":ROW|null},...]},...]}
 *        Peers come from region_peers (leader first), ROW objects carry every
 *        column of region_statistics / region_replicas for that region (and
 *        peer, when the table has a peer_id / node_id / datanode_id column).
 *        Without information_schema.region_replicas, replicas_available is
 *        false and "replica" is null. An unknown table answers the server's
 *        own error (DESC TABLE's "Table not found: ...").
 *    GET /v1/cluster/lag
 *        {"replicas":[ROW,...],"max_versions_behind":N,"max_ms_since_sync":N}
 *        from information_schema.region_replicas (maxima over followers);
 *        the server's error when that table does not exist.
 *  Errors use /v1/sql's shape {"code":STATUS,"error":MSG,"execution_time_ms":N}
 *  and its HTTP status mapping; a malformed path is 400 (code 1004), an
 *  unknown endpoint 404.
 */
#ifndef STRATA_SERVER_HTTP_CONSOLE_H
#define STRATA_SERVER_HTTP_CONSOLE_H

#include <stddef.h>

#include "base/buf.h"
#include "server/console_assets.h"
#include "server/handler.h"

/* The asset served at /dashboard/<rel> ("" and "index.html" are the index
 * page), or NULL. rel must not contain '/' (the console is one folder). */
const struct console_asset *console_asset_find(const char *rel);
/* Content type by file extension ("text/html; charset=utf-8", ...);
 * "application/octet-stream" when unknown. */
const char *console_content_type(const char *name);

/* Answer GET /v1/cluster/<sub> (sub is the path after "/v1/cluster/").
 * Fills *status (HTTP) and out (a JSON body, success or error). Returns
 * ERR_OK, or ERR_NOMEM when the answer could not be built (out is then
 * unusable). The session is used for every statement; the caller runs its
 * session_done afterwards. */
int http_cluster_api(const struct query_handler *h, struct session *s, const char *sub,
                     unsigned *status, struct buf *out);

#endif
