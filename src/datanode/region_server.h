/*
 * region_server: the regions one datanode hosts, by region id, and the
 * operations the frontend (in-process in standalone, over RPC in a
 * cluster) and the heartbeat loop perform on them.
 *
 * Region ids map to open struct region handles (storage/region.h). The
 * server owns the storage engine (WAL + object store + SST cache) and
 * every region in it. All calls are thread-safe; a region is referenced
 * while an operation runs on it so that a concurrent close waits.
 */
#ifndef STRATA_DATANODE_REGION_SERVER_H
#define STRATA_DATANODE_REGION_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/column.h"
#include "storage/region.h"

struct objstore;
struct region_server;

struct region_server_options {
	uint64_t node_id;
	struct objstore *store;    /* not owned */
	const char *wal_dir;
	int wal_sync;
	uint64_t memtable_budget;
	int64_t gc_lingering_ms;
};

int region_server_open(const struct region_server_options *o, struct region_server **out);
void region_server_close(struct region_server *rs); /* closes every region */

/* Create a new leader region (manifest version 0). ERR_EXISTS if open,
 * except an open leader already at this schema version (> 0), which is
 * left alone (ERR_OK); at another version ERR_CONFLICT (schema changes
 * are region_server_alter_to, the REGION_ALTER method). */
int region_server_create(struct region_server *rs, uint64_t region_id, const char *dir,
			 const struct region_schema *schema);
/* Open an existing region in the given role (no-op if already open in
 * that role; a role change is applied otherwise). */
int region_server_open_region(struct region_server *rs, uint64_t region_id, const char *dir,
			      enum region_role role);
int region_server_close_region(struct region_server *rs, uint64_t region_id);
/* Drop: the leader writes the Remove action; every region is closed. */
int region_server_drop(struct region_server *rs, uint64_t region_id);
bool region_server_has(struct region_server *rs, uint64_t region_id);

/* The schema change of an open leader region to `schema` (its successor,
 * schema_alter.h): OK without a change when the region is already at
 * schema->version (a retried ALTER), ERR_CONFLICT when it is past it,
 * ERR_READONLY on a follower, ERR_NOT_FOUND when not open here. *before
 * is the region's schema version before the call. */
int region_server_alter_to(struct region_server *rs, uint64_t region_id,
                           const struct region_schema *schema, uint64_t *before);
int region_server_write(struct region_server *rs, uint64_t region_id, const struct batch *rows,
			enum op_type op);
/* region_write_at_version (storage/region.h) on the region: the
 * batch was built for schema `version` (has_version) or by a legacy
 * writer (accepted only while the schema has never changed). */
int region_server_write_at(struct region_server *rs, uint64_t region_id, const struct batch *rows,
                           enum op_type op, bool has_version, uint64_t version);
int region_server_flush(struct region_server *rs, uint64_t region_id);
int region_server_compact(struct region_server *rs, uint64_t region_id, bool force);
int region_server_truncate(struct region_server *rs, uint64_t region_id);
/* Leader: schema change (region_alter). */
int region_server_alter(struct region_server *rs, uint64_t region_id,
			const struct region_schema *schema);

/* A leader's own scan (or a follower's SST-only scan): deduplicated
 * internal batches. */
int region_server_scan(struct region_server *rs, uint64_t region_id,
		       const struct scan_request *req, struct sorted_source **out);
/* Leader side of a follower read (region_snapshot). */
int region_server_snapshot(struct region_server *rs, uint64_t region_id,
			   const struct scan_request *req, uint64_t *version, struct batch *rows);
/* Follower side (region_follower_scan). */
int region_server_follower_scan(struct region_server *rs, uint64_t region_id,
				const struct scan_request *req, uint64_t version,
				const struct batch *leader_rows, struct sorted_source **out);
int region_server_install(struct region_server *rs, uint64_t region_id, uint64_t version);
int region_server_schema(struct region_server *rs, uint64_t region_id,
			 struct region_schema **out); /* a copy */

/* Stats of every open region (caller frees *out with mem_free). */
int region_server_stats(struct region_server *rs, struct region_stat **out, uint32_t *n);
/* GC every leader region (see region_gc). min_follower_version_fn gives,
 * per region, the lowest version its followers installed (UINT64_MAX if
 * unknown / none). */
int region_server_gc(struct region_server *rs, int64_t now_ms,
		     uint64_t (*min_follower_version)(void *ctx, uint64_t region_id), void *ctx);

#endif
