/*
 * table_provider: name resolution for the query engine (exec_env
 * .resolve_table) and the provider of user tables.
 *
 * Resolution order for a name: the "__show" table of a SHOW ... WHERE,
 * information_schema.* and pg_catalog.* (virtual), greptime.public.numbers,
 * then the catalog.
 *
 * A user table scans every region of its route that its partition rules
 * do not exclude for the request's predicates, one after another, through
 * regions.c (the local region server in standalone, the chosen peer over
 * RPC in a cluster), with the projection, time range and filters in the
 * scan_request. Batches are the region's user columns.
 *
 * READ_PREFERENCE: each region's peer is picked by the session's
 * preference (regions.c); `follower` fails for a region without a live
 * follower, as GreptimeDB does ("Failed to find region peer for region id
 * ..."). The peer that served each region is remembered for EXPLAIN
 * ANALYZE, whose SeqScan line names it in cluster mode
 * ("peer=2 (follower)").
 *
 * Aggregation pushdown (cluster only, fe_agg_pushdown_enabled): the
 * provider offers scan_partial; each region's chosen peer then runs the
 * statement's partial aggregation (sql/plan_pushdown.c) and the stream
 * yields the partial rows. EXPLAIN ANALYZE says so per region:
 * "peer=2 (follower), partial aggregation at peer=2, ".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "frontend/frontend_int.h"

struct user_table {
	struct table_provider p;
	struct frontend *fe;
	struct fe_table_ref *ref; /* info and route (shared, read-only) */
	struct table_info *info;
	struct table_route *route;
	struct part_rules *rules;
	struct table_column *cols;
	char *desc;
	bool *scanned; /* per region of the route: opened by a scan */
	struct fe_served *served; /* per region of the route: who answered */
	int read_preference;
	struct session *session; /* the statement's (memory budget); may be NULL */
	bool partial;            /* a scan ran with partial aggregation pushed */
};

struct user_stream {
	struct batch_stream s;
	struct user_table *t;
	struct scan_request req;
	uint32_t next_region;
	struct fe_scan *src;
	const struct partial_agg_req *pa; /* partial aggregation pushed, or NULL */
};

static int us_next(struct batch_stream *s, const struct batch **out)
{
	struct user_stream *u = (struct user_stream *)s;
	struct user_table *t = u->t;
	*out = NULL;
	for (;;) {
		if (!u->src) {
			while (u->next_region < t->route->nregions &&
			       !part_rules_may_match(t->rules, u->next_region, u->req.preds,
			                             u->req.npreds))
				u->next_region++;
			if (u->next_region >= t->route->nregions)
				return ERR_OK;
			const struct region_route *rr = &t->route->regions[u->next_region];
			struct fe_served who;
			int rc = u->pa ? fe_region_partial_open(t->fe, t->session, rr,
			                                        t->read_preference, &u->req,
			                                        t->info->region_schema, u->pa,
			                                        &u->src, &who)
			               : fe_region_scan_open(t->fe, t->session, rr, t->read_preference,
			                                     &u->req, t->info->region_schema, &u->src,
			                                     &who);
			if (rc)
				return rc;
			if (t->scanned) {
				t->scanned[u->next_region] = true;
				t->served[u->next_region] = who;
			}
			u->next_region++;
		}
		const struct batch *b;
		int rc = fe_region_scan_next(u->src, &b);
		if (rc)
			return rc;
		if (!b) {
			fe_region_scan_close(u->src);
			u->src = NULL;
			continue;
		}
		*out = b;
		return ERR_OK;
	}
}

static void us_close(struct batch_stream *s)
{
	struct user_stream *u = (struct user_stream *)s;
	fe_region_scan_close(u->src);
	mem_free(u);
}

static int ut_scan(struct table_provider *p, const struct scan_request *req,
                   struct batch_stream **out)
{
	struct user_table *t = p->ctx;
	struct user_stream *u = mem_calloc(1, sizeof(*u));
	if (!u)
		return ERR_NOMEM;
	u->s.next = us_next;
	u->s.close = us_close;
	u->t = t;
	if (req)
		u->req = *req;
	else
		scan_request_init(&u->req);
	*out = &u->s;
	return ERR_OK;
}

static int ut_scan_partial(struct table_provider *p, const struct scan_request *req,
                           const struct partial_agg_req *pa, struct batch_stream **out)
{
	int rc = ut_scan(p, req, out);
	if (rc == ERR_OK) {
		((struct user_stream *)*out)->pa = pa;
		((struct user_table *)p->ctx)->partial = true;
	}
	return rc;
}

bool fe_agg_pushdown_enabled(const struct session *s)
{
	const char *v[2] = {getenv("STRATA_AGG_PUSHDOWN"),
	                    s ? session_get_var(s, "strata_agg_pushdown") : NULL};
	for (int i = 0; i < 2; i++) {
		if (!v[i])
			continue;
		char w[16];
		size_t n = 0;
		for (const char *c = v[i]; *c && n + 1 < sizeof(w); c++)
			if (*c != '\'' && *c != '"' && *c != ' ')
				w[n++] = *c;
		w[n] = 0;
		if (!strcmp(w, "0") || !strcasecmp(w, "off") || !strcasecmp(w, "false"))
			return false;
	}
	return true;
}

/* One line per region read, as GreptimeDB's EXPLAIN ANALYZE names it:
 * SeqScan: region=4398046511104(1024, 0), "partition_count":{"count":C,
 * "mem_ranges":M, "files":F, "file_ranges":R}. */
static const char *ut_describe(struct table_provider *p)
{
	struct user_table *t = p->ctx;
	if (t->desc)
		return t->desc;
	struct fe_nodes nodes;
	if (fe_nodes_get(t->fe, &nodes)) {
		err_clear();
		memset(&nodes, 0, sizeof(nodes));
	}
	bool cluster = fe_is_cluster(t->fe);
	struct buf b;
	buf_init(&b);
	for (uint32_t i = 0; i < t->route->nregions; i++) {
		if (t->scanned && !t->scanned[i])
			continue;
		uint64_t rid = t->route->regions[i].region_id;
		uint64_t node = t->served ? t->served[i].node_id : t->fe->node_id;
		const struct region_stat *st = fe_nodes_stat(&nodes, node, rid);
		uint64_t mem = st && st->memtable_rows ? 1 : 0, files = st ? st->sst_num : 0;
		buf_printf(&b, "SeqScan: region=%" PRIu64 "(%u, %u), ", rid, REGION_TABLE_ID(rid),
		           REGION_NUMBER(rid));
		if (cluster)
			buf_printf(&b, "peer=%" PRIu64 " (%s), ", node,
			           t->served[i].is_leader ? "leader" : "follower");
		if (cluster && t->partial)
			buf_printf(&b, "partial aggregation at peer=%" PRIu64 ", ", node);
		buf_printf(&b,
		           "\"partition_count\":{\"count\":%" PRIu64 ", \"mem_ranges\":%" PRIu64
		           ", \"files\":%" PRIu64 ", \"file_ranges\":%" PRIu64 "}\n",
		           mem + files, mem, files, files);
	}
	fe_nodes_free(&nodes);
	t->desc = buf_cstr(&b) ? (char *)buf_steal(&b, NULL) : NULL;
	buf_free(&b);
	return t->desc;
}

/* A reference (refs 1) over info and route, taken over (freed on OOM). */
static struct fe_table_ref *table_ref_new(struct table_info *info, struct table_route *route)
{
	struct fe_table_ref *r = mem_calloc(1, sizeof(*r));
	if (!r) {
		table_info_free(info);
		table_route_free(route);
		return NULL;
	}
	r->refs = 1;
	r->info = info;
	r->route = route;
	return r;
}

static void table_ref_put(struct frontend *fe, struct fe_table_ref *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&fe->tables_mu);
	bool last = --r->refs == 0;
	pthread_mutex_unlock(&fe->tables_mu);
	if (last) {
		table_info_free(r->info);
		table_route_free(r->route);
		mem_free(r);
	}
}

static void ut_release(struct table_provider *p)
{
	struct user_table *t = p->ctx;
	table_ref_put(t->fe, t->ref);
	part_rules_free(t->rules);
	mem_free(t->cols);
	mem_free(t->desc);
	mem_free(t->scanned);
	mem_free(t->served);
	mem_free(t);
}

/* Provider over ref's table; takes over the caller's reference. */
static int user_table_of(struct fe_ctx *c, struct fe_table_ref *ref, struct table_provider **out)
{
	*out = NULL;
	struct user_table *t = mem_calloc(1, sizeof(*t));
	if (!t) {
		table_ref_put(c->fe, ref);
		return ERR_NOMEM;
	}
	t->fe = c->fe;
	t->read_preference = c->s ? c->s->read_preference : READ_PREF_LEADER;
	t->session = c->s;
	t->ref = ref;
	t->info = ref->info;
	t->route = ref->route;
	struct table_info *info = ref->info;
	struct table_route *route = ref->route;
	const struct region_schema *s = info->region_schema;
	t->cols = mem_calloc(s->ncols ? s->ncols : 1, sizeof(*t->cols));
	t->scanned = mem_calloc(route->nregions ? route->nregions : 1, sizeof(bool));
	t->served = mem_calloc(route->nregions ? route->nregions : 1, sizeof(*t->served));
	if (!t->cols || !t->scanned || !t->served) {
		ut_release(&t->p);
		return ERR_NOMEM;
	}
	for (uint32_t i = 0; i < s->ncols; i++) {
		t->cols[i].name = s->cols[i].name;
		t->cols[i].type = s->cols[i].type;
		t->cols[i].nullable = s->cols[i].nullable;
		t->cols[i].is_tag = s->cols[i].sem == SEM_TAG;
		t->cols[i].is_time_index = s->cols[i].sem == SEM_TIMESTAMP;
	}
	int rc = part_rules_compile(info, &t->rules);
	if (rc) {
		ut_release(&t->p);
		return rc;
	}
	t->p.name = info->name;
	t->p.ncols = s->ncols;
	t->p.cols = t->cols;
	t->p.scan = ut_scan;
	t->p.describe_scan = ut_describe;
	if (fe_is_cluster(c->fe) && fe_agg_pushdown_enabled(c->s))
		t->p.scan_partial = ut_scan_partial;
	t->p.release = ut_release;
	t->p.ctx = t;
	*out = &t->p;
	return ERR_OK;
}

int fe_user_table(struct fe_ctx *c, struct table_info *info, struct table_route *route,
                  struct table_provider **out)
{
	*out = NULL;
	struct fe_table_ref *ref = table_ref_new(info, route);
	return ref ? user_table_of(c, ref, out) : ERR_NOMEM;
}

static void cached_table_clear(struct frontend *fe, struct fe_cached_table *e)
{
	mem_free(e->catalog);
	mem_free(e->schema);
	mem_free(e->name);
	struct fe_table_ref *r = e->ref;
	memset(e, 0, sizeof(*e));
	if (r && --r->refs == 0) { /* (caller holds tables_mu) */
		table_info_free(r->info);
		table_route_free(r->route);
		mem_free(r);
	}
	(void)fe;
}

void fe_table_cache_clear(struct frontend *fe)
{
	for (uint32_t i = 0; i < FE_TABLE_CACHE; i++)
		cached_table_clear(fe, &fe->tables[i]);
}

/*
 * A reference to the info and route of cat.sch.tab: the one kept from an
 * earlier statement while the catalog generation has not moved since it
 * was read, else read from the catalog (and kept, tagged with the
 * generation seen before the read: a write that lands during the read
 * moves the generation past the tag, so it is never used). Without a
 * generation (cluster mode) always read, never kept. *no_table: the
 * catalog has no such table.
 */
/* e caches the table cat.sch.tab (whatever its generation). */
static bool cached_is(const struct fe_cached_table *e, const char *cat, const char *sch,
                      const char *tab)
{
	return e->name && !strcmp(e->name, tab) && !strcmp(e->schema, sch) &&
	       !strcmp(e->catalog, cat);
}

static int get_table(struct frontend *fe, const char *cat, const char *sch, const char *tab,
                     struct fe_table_ref **out, bool *no_table)
{
	*out = NULL;
	*no_table = false;
	uint64_t gen = 0;
	if (fe->catalog_gen) {
		gen = atomic_load(fe->catalog_gen);
		pthread_mutex_lock(&fe->tables_mu);
		for (uint32_t i = 0; i < FE_TABLE_CACHE; i++) {
			struct fe_cached_table *e = &fe->tables[i];
			if (e->gen != gen || !cached_is(e, cat, sch, tab))
				continue;
			e->last_use = ++fe->tables_clock;
			e->ref->refs++;
			*out = e->ref;
			break;
		}
		pthread_mutex_unlock(&fe->tables_mu);
		if (*out) {
			atomic_fetch_add(&fe->n_table_hits, 1);
			return ERR_OK;
		}
		atomic_fetch_add(&fe->n_table_misses, 1);
	}
	struct table_info *info;
	int rc = catalog_get_table(fe->kv, cat, sch, tab, &info);
	if (rc) {
		*no_table = rc == ERR_NOT_FOUND;
		return rc;
	}
	struct table_route *route;
	if ((rc = catalog_get_route(fe->kv, info->table_id, &route))) {
		table_info_free(info);
		return rc;
	}
	struct fe_table_ref *ref = table_ref_new(info, route);
	if (!ref)
		return ERR_NOMEM;
	*out = ref;
	if (!fe->catalog_gen)
		return ERR_OK;
	struct fe_cached_table n = {.catalog = mem_strdup(cat),
	                            .schema = mem_strdup(sch),
	                            .name = mem_strdup(tab),
	                            .gen = gen};
	pthread_mutex_lock(&fe->tables_mu);
	if (!n.catalog || !n.schema || !n.name) {
		err_clear(); /* not kept: the statement goes on */
		cached_table_clear(fe, &n);
		pthread_mutex_unlock(&fe->tables_mu);
		return ERR_OK;
	}
	/* the slot of the same name, else an empty one, else the least
	 * recently used */
	struct fe_cached_table *slot = NULL;
	for (uint32_t i = 0; i < FE_TABLE_CACHE && !slot; i++)
		if (cached_is(&fe->tables[i], cat, sch, tab))
			slot = &fe->tables[i];
	for (uint32_t i = 0; i < FE_TABLE_CACHE && !slot; i++)
		if (!fe->tables[i].name)
			slot = &fe->tables[i];
	if (!slot) {
		slot = &fe->tables[0];
		for (uint32_t i = 1; i < FE_TABLE_CACHE; i++)
			if (fe->tables[i].last_use < slot->last_use)
				slot = &fe->tables[i];
	}
	if (slot->name && slot->gen > gen) {
		/* a newer read of this table is there already */
		cached_table_clear(fe, &n);
	} else {
		cached_table_clear(fe, slot);
		*slot = n;
		slot->last_use = ++fe->tables_clock;
		slot->ref = ref;
		ref->refs++;
	}
	pthread_mutex_unlock(&fe->tables_mu);
	return ERR_OK;
}

int fe_resolve_table(void *ctx, struct session *s, const struct sql_name *name,
                     struct table_provider **out)
{
	struct fe_ctx *c = ctx;
	(void)s;
	*out = NULL;
	if (name->n == 1 && c->show_table && !strcmp(name->part[0].name, "__show")) {
		*out = c->show_table;
		c->show_table = NULL;
		return ERR_OK;
	}
	const char *cat, *sch, *tab;
	int rc = fe_split_name(c, name, &cat, &sch, &tab);
	if (rc)
		return rc;
	if (!strcmp(cat, CATALOG_DEFAULT)) {
		if (!strcasecmp(sch, FE_INFO_SCHEMA)) {
			const struct vtable *vt = infoschema_find(tab);
			if (vt)
				return infoschema_provider(c, vt, out);
		} else if (!strcasecmp(sch, FE_PG_CATALOG)) {
			const struct vtable *vt = pgcat_find(tab);
			if (vt)
				return pgcat_provider(c, vt, out);
		} else if (!strcmp(sch, SCHEMA_DEFAULT) && !strcmp(tab, "numbers")) {
			return numbers_provider(out);
		}
		/* PostgreSQL clients name pg_catalog tables without a schema */
		if (name->n == 1 && c->s->protocol == SESSION_PG && !strncmp(tab, "pg_", 3)) {
			const struct vtable *vt = pgcat_find(tab);
			if (vt)
				return pgcat_provider(c, vt, out);
		}
	}
	struct fe_table_ref *ref;
	bool no_table;
	rc = get_table(c->fe, cat, sch, tab, &ref, &no_table);
	if (no_table)
		return fe_fail(GT_TABLE_NOT_FOUND,
		               ERR_NOT_FOUND, /* the engine adds "Failed to plan SQL: " */
		               "Table not found: %s.%s.%s", cat, sch, tab);
	if (rc)
		return rc;
	return user_table_of(c, ref, out);
}
