/*
 * region_server: region id -> open region map of one datanode. See
 * region_server.h.
 *
 * Entries are reference counted: lookups take a reference under the map
 * lock and operations run without it; closing removes the entry from the
 * map and the last reference closes the region.
 */
#include "datanode/region_server.h"
#include "storage/schema_alter.h"

#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "base/mem.h"

struct entry {
	uint64_t id;
	struct region *region;
	int refs;
};

struct region_server {
	struct region_server_options opt;
	struct region_engine *engine;
	pthread_mutex_t mu;
	pthread_cond_t released;
	struct entry **entries;
	size_t n, cap;
};

int region_server_open(const struct region_server_options *o, struct region_server **out)
{
	*out = NULL;
	struct region_server *rs = mem_calloc(1, sizeof(*rs));
	if (!rs)
		return ERR_NOMEM;
	rs->opt = *o;
	struct region_engine_options eo = {.store = o->store,
					   .wal_dir = o->wal_dir,
					   .wal_sync = o->wal_sync,
					   .memtable_budget = o->memtable_budget,
					   .gc_lingering_ms = o->gc_lingering_ms,
					   .background_flush = true};
	int rc = region_engine_open(&eo, &rs->engine);
	if (rc) {
		mem_free(rs);
		return rc;
	}
	pthread_mutex_init(&rs->mu, NULL);
	pthread_cond_init(&rs->released, NULL);
	*out = rs;
	return ERR_OK;
}

/* Caller holds mu. */
static ssize_t find_locked(struct region_server *rs, uint64_t id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->entries[i]->id == id)
			return (ssize_t)i;
	return -1;
}

static struct entry *acquire(struct region_server *rs, uint64_t id)
{
	pthread_mutex_lock(&rs->mu);
	ssize_t i = find_locked(rs, id);
	struct entry *e = i >= 0 ? rs->entries[i] : NULL;
	if (e)
		e->refs++;
	pthread_mutex_unlock(&rs->mu);
	if (!e)
		err_set(ERR_NOT_FOUND, "Region %" PRIu64 "(%" PRIu32 ", %" PRIu32 ") not found", id,
			REGION_TABLE_ID(id), REGION_NUMBER(id));
	return e;
}

static void release(struct region_server *rs, struct entry *e)
{
	pthread_mutex_lock(&rs->mu);
	if (--e->refs == 0) {
		region_close(e->region);
		mem_free(e);
	}
	pthread_mutex_unlock(&rs->mu);
}

static int insert(struct region_server *rs, uint64_t id, struct region *r)
{
	struct entry *e = mem_calloc(1, sizeof(*e));
	if (!e)
		return ERR_NOMEM;
	e->id = id;
	e->region = r;
	e->refs = 1; /* the map's */
	pthread_mutex_lock(&rs->mu);
	void *p = rs->entries;
	int rc = mem_grow(&p, &rs->cap, rs->n + 1, sizeof(*rs->entries));
	if (rc == ERR_OK) {
		rs->entries = p;
		rs->entries[rs->n++] = e;
	}
	pthread_mutex_unlock(&rs->mu);
	if (rc)
		mem_free(e);
	return rc;
}

int region_server_create(struct region_server *rs, uint64_t region_id, const char *dir,
			 const struct region_schema *schema)
{
	struct entry *e = acquire(rs, region_id);
	if (e) {
		/* schema changes come through region_server_alter_to (the
		 * REGION_ALTER method), never through create; an open leader
		 * already at this schema version: done (a retried create) */
		const struct region_schema *cur = region_schema(e->region);
		int rc = ERR_OK;
		if (region_role(e->region) != REGION_ROLE_LEADER || schema->version == 0)
			rc = err_set(ERR_EXISTS, "region %" PRIu64 " already open", region_id);
		else if (schema->version != cur->version)
			rc = err_set(ERR_CONFLICT,
			             "region %" PRIu64 " is at schema version %" PRIu64
			             " (a schema change is a region alter, not a create)",
			             region_id, cur->version);
		release(rs, e);
		return rc;
	}
	err_clear();
	struct region *r;
	int rc = region_create(rs->engine, region_id, dir, schema, &r);
	if (rc)
		return rc;
	if ((rc = insert(rs, region_id, r)))
		region_close(r);
	return rc;
}

int region_server_open_region(struct region_server *rs, uint64_t region_id, const char *dir,
			      enum region_role role)
{
	struct entry *e = acquire(rs, region_id);
	if (e) {
		int rc = region_set_role(e->region, role);
		release(rs, e);
		return rc;
	}
	err_clear();
	struct region *r;
	int rc = role == REGION_ROLE_LEADER ? region_open_leader(rs->engine, region_id, dir, &r)
					    : region_open_follower(rs->engine, region_id, dir, 0, &r);
	if (rc)
		return rc;
	if ((rc = insert(rs, region_id, r)))
		region_close(r);
	return rc;
}

int region_server_close_region(struct region_server *rs, uint64_t region_id)
{
	pthread_mutex_lock(&rs->mu);
	ssize_t i = find_locked(rs, region_id);
	struct entry *e = NULL;
	if (i >= 0) {
		e = rs->entries[i];
		rs->entries[i] = rs->entries[--rs->n];
	}
	pthread_mutex_unlock(&rs->mu);
	if (e)
		release(rs, e);
	return ERR_OK;
}

int region_server_drop(struct region_server *rs, uint64_t region_id)
{
	struct entry *e = acquire(rs, region_id);
	if (!e)
		return ERR_OK; /* not here: nothing to drop */
	int rc = ERR_OK;
	if (region_role(e->region) == REGION_ROLE_LEADER)
		rc = region_drop(e->region);
	release(rs, e);
	if (rc == ERR_OK)
		rc = region_server_close_region(rs, region_id);
	return rc;
}

bool region_server_has(struct region_server *rs, uint64_t region_id)
{
	pthread_mutex_lock(&rs->mu);
	bool has = find_locked(rs, region_id) >= 0;
	pthread_mutex_unlock(&rs->mu);
	return has;
}

#define WITH_REGION(rs, id, call)                        \
	do {                                             \
		struct entry *e_ = acquire(rs, id);      \
		if (!e_)                                 \
			return ERR_NOT_FOUND;            \
		struct region *r_ = e_->region;          \
		int rc_ = (call);                        \
		release(rs, e_);                         \
		return rc_;                              \
	} while (0)

int region_server_write(struct region_server *rs, uint64_t region_id, const struct batch *rows,
			enum op_type op)
{
	WITH_REGION(rs, region_id, region_write(r_, rows, op, NULL));
}

int region_server_write_at(struct region_server *rs, uint64_t region_id, const struct batch *rows,
                           enum op_type op, bool has_version, uint64_t version)
{
	WITH_REGION(rs, region_id,
	            region_write_at_version(r_, rows, op, has_version, version, NULL));
}

/* Same columns, key and options (compared as their JSON form). */
static bool same_schema(const struct region_schema *a, const struct region_schema *b)
{
	cJSON *ja = region_schema_to_json(a);
	cJSON *jb = region_schema_to_json(b);
	bool same = ja && jb && cJSON_Compare(ja, jb, true);
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	return same;
}

int region_server_alter_to(struct region_server *rs, uint64_t region_id,
                           const struct region_schema *schema, uint64_t *before)
{
	struct entry *e = acquire(rs, region_id);
	if (!e)
		return err_set(ERR_NOT_FOUND, "region %" PRIu64 " is not open here", region_id);
	uint64_t cur = region_schema(e->region)->version;
	*before = cur;
	int rc = ERR_OK;
	if (region_role(e->region) != REGION_ROLE_LEADER)
		rc = err_set(ERR_READONLY, "region %" PRIu64 " is a follower here", region_id);
	else if (schema->version > cur)
		rc = region_alter(e->region, schema);
	else if (schema->version < cur)
		rc = err_set(ERR_CONFLICT, "region %" PRIu64 " is at schema version %" PRIu64
		                           ", past %" PRIu64,
		             region_id, cur, schema->version);
	else if (!same_schema(region_schema(e->region), schema))
		rc = err_set(ERR_CONFLICT,
		             "region %" PRIu64 " is at schema version %" PRIu64
		             " with other columns (an interrupted ALTER that differs from this one)",
		             region_id, cur);
	release(rs, e);
	return rc;
}

int region_server_flush(struct region_server *rs, uint64_t region_id)
{
	WITH_REGION(rs, region_id,
		    region_role(r_) == REGION_ROLE_LEADER ? region_flush(r_) : ERR_OK);
}

int region_server_compact(struct region_server *rs, uint64_t region_id, bool force)
{
	WITH_REGION(rs, region_id,
		    region_role(r_) == REGION_ROLE_LEADER ? region_compact(r_, force) : ERR_OK);
}

int region_server_truncate(struct region_server *rs, uint64_t region_id)
{
	WITH_REGION(rs, region_id, region_truncate(r_));
}

int region_server_alter(struct region_server *rs, uint64_t region_id,
			const struct region_schema *schema)
{
	WITH_REGION(rs, region_id, region_alter(r_, schema));
}

int region_server_scan(struct region_server *rs, uint64_t region_id,
		       const struct scan_request *req, struct sorted_source **out)
{
	WITH_REGION(rs, region_id, region_scan(r_, req, out));
}

int region_server_snapshot(struct region_server *rs, uint64_t region_id,
			   const struct scan_request *req, uint64_t *version, struct batch *rows)
{
	WITH_REGION(rs, region_id, region_snapshot(r_, req, version, rows));
}

int region_server_follower_scan(struct region_server *rs, uint64_t region_id,
				const struct scan_request *req, uint64_t version,
				const struct batch *leader_rows, struct sorted_source **out)
{
	WITH_REGION(rs, region_id, region_follower_scan(r_, req, version, leader_rows, out));
}

int region_server_install(struct region_server *rs, uint64_t region_id, uint64_t version)
{
	WITH_REGION(rs, region_id, region_install(r_, version));
}

static int copy_schema(struct region *r, struct region_schema **out)
{
	*out = region_schema_clone(region_schema(r));
	return *out ? ERR_OK : ERR_NOMEM;
}

int region_server_schema(struct region_server *rs, uint64_t region_id, struct region_schema **out)
{
	WITH_REGION(rs, region_id, copy_schema(r_, out));
}

int region_server_stats(struct region_server *rs, struct region_stat **out, uint32_t *n)
{
	pthread_mutex_lock(&rs->mu);
	*n = 0;
	*out = mem_calloc(rs->n + 1, sizeof(**out));
	if (!*out) {
		pthread_mutex_unlock(&rs->mu);
		return ERR_NOMEM;
	}
	for (size_t i = 0; i < rs->n; i++)
		region_get_stat(rs->entries[i]->region, &(*out)[(*n)++]);
	pthread_mutex_unlock(&rs->mu);
	return ERR_OK;
}

int region_server_gc(struct region_server *rs, int64_t now_ms,
		     uint64_t (*min_follower_version)(void *ctx, uint64_t region_id), void *ctx)
{
	pthread_mutex_lock(&rs->mu);
	size_t n = rs->n;
	uint64_t *ids = mem_calloc(n + 1, sizeof(uint64_t));
	for (size_t i = 0; ids && i < n; i++)
		ids[i] = rs->entries[i]->id;
	pthread_mutex_unlock(&rs->mu);
	if (!ids)
		return ERR_NOMEM;
	int rc = ERR_OK;
	for (size_t i = 0; i < n; i++) {
		struct entry *e = acquire(rs, ids[i]);
		if (!e)
			continue;
		uint64_t minv = min_follower_version ? min_follower_version(ctx, ids[i]) : UINT64_MAX;
		if (region_role(e->region) == REGION_ROLE_LEADER) {
			int r = region_gc(e->region, now_ms, minv);
			if (r && rc == ERR_OK)
				rc = r;
		}
		release(rs, e);
	}
	mem_free(ids);
	err_clear();
	return rc;
}

void region_server_close(struct region_server *rs)
{
	if (!rs)
		return;
	pthread_mutex_lock(&rs->mu);
	while (rs->n > 0) {
		struct entry *e = rs->entries[--rs->n];
		pthread_mutex_unlock(&rs->mu);
		release(rs, e);
		pthread_mutex_lock(&rs->mu);
	}
	pthread_mutex_unlock(&rs->mu);
	mem_free(rs->entries);
	region_engine_close(rs->engine);
	pthread_mutex_destroy(&rs->mu);
	pthread_cond_destroy(&rs->released);
	mem_free(rs);
}
