/*
 * information_schema: GreptimeDB's information_schema tables (column lists
 * in infoschema_defs.c) materialised on demand from the catalog, the
 * table routes and this node's region statistics, plus the `numbers`
 * table (0..99) of greptime.public.
 *
 * Every query of an information_schema table builds its rows afresh into
 * one batch (fe_mem_table); the SQL engine then filters, sorts and
 * projects. Tables whose data we do not have (events, routines, ...) are
 * empty. pg_catalog is resolvable but hidden from these listings, as
 * GreptimeDB shows it only to PostgreSQL clients.
 *
 * Conventions taken from GreptimeDB: table_type 'LOCAL TEMPORARY' for the
 * virtual tables (temporary 'Y'), 'BASE TABLE' for user tables; version
 * 11, row_format 'Fixed', collation 'utf8_bin'; column_key 'PRI' for tags,
 * 'TIME INDEX' for the time index; data_type is the lower-cased SQL type
 * name ("timestamp(3)", "int unsigned").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "frontend/frontend_int.h"

/* ---- lookup ------------------------------------------------------------- */

const struct vtable *infoschema_find(const char *name)
{
	uint32_t n;
	const struct vtable *t = infoschema_tables(&n);
	for (uint32_t i = 0; i < n; i++)
		if (!strcasecmp(t[i].name, name))
			return &t[i];
	return NULL;
}

static const struct vcol numbers_cols[] = {{"number", DT_UINT32, false, NULL}};
static const struct vtable numbers_table = {"numbers", 2, 1, numbers_cols};

const struct vtable *numbers_vtable(void)
{
	return &numbers_table;
}

/* ---- row builder ---------------------------------------------------------- */

struct rb {
	struct result_set *rs;
	uint32_t col;
	int rc;
};

static void rb_str(struct rb *b, const char *s)
{
	if (!b->rc)
		b->rc = fe_rs_str(b->rs, b->col, s);
	b->col++;
}

static void rb_i64(struct rb *b, int64_t v)
{
	if (!b->rc)
		b->rc = fe_rs_i64(b->rs, b->col, v);
	b->col++;
}

static void rb_null(struct rb *b)
{
	if (!b->rc)
		b->rc = fe_rs_null(b->rs, b->col);
	b->col++;
}

static void rb_end(struct rb *b)
{
	if (!b->rc && b->col != b->rs->ncols)
		b->rc = err_set(ERR_INTERNAL, "information_schema row has %u of %u values", b->col,
		                b->rs->ncols);
	if (!b->rc)
		fe_rs_row(b->rs);
	b->col = 0;
}

int infoschema_init_rs(const struct vtable *t, struct result_set *rs)
{
	const char *names[64];
	enum dtype types[64];
	if (t->ncols > 64)
		return err_set(ERR_INTERNAL, "too many columns in %s", t->name);
	for (uint32_t i = 0; i < t->ncols; i++) {
		names[i] = t->cols[i].name;
		types[i] = t->cols[i].type;
	}
	return fe_rs_init(rs, t->ncols, names, types);
}

/* ---- catalog snapshot ------------------------------------------------------- */

struct tab_entry {
	struct table_info *info;
	struct table_route *route;
};

struct snapshot {
	char **schemas;
	uint32_t nschemas;
	struct tab_entry *tabs;
	uint32_t ntabs;
	struct fe_nodes nodes; /* with routes: nodes and every peer's region stats */
};

static void snapshot_free(struct snapshot *s)
{
	for (uint32_t i = 0; i < s->nschemas; i++)
		mem_free(s->schemas[i]);
	mem_free(s->schemas);
	for (uint32_t i = 0; i < s->ntabs; i++) {
		table_info_free(s->tabs[i].info);
		table_route_free(s->tabs[i].route);
	}
	mem_free(s->tabs);
	fe_nodes_free(&s->nodes);
	memset(s, 0, sizeof(*s));
}

static int snapshot_take(struct fe_ctx *c, struct snapshot *s, bool with_routes)
{
	memset(s, 0, sizeof(*s));
	int rc = catalog_list_schemas(c->fe->kv, CATALOG_DEFAULT, &s->schemas, &s->nschemas);
	for (uint32_t i = 0; rc == ERR_OK && i < s->nschemas; i++) {
		struct table_info **t;
		uint32_t n;
		rc = catalog_list_tables(c->fe->kv, CATALOG_DEFAULT, s->schemas[i], &t, &n);
		if (rc)
			break;
		struct tab_entry *nt = mem_realloc(s->tabs, (s->ntabs + n + 1) * sizeof(*nt));
		if (!nt) {
			catalog_free_tables(t, n);
			rc = ERR_NOMEM;
			break;
		}
		s->tabs = nt;
		for (uint32_t k = 0; k < n; k++) {
			s->tabs[s->ntabs].info = t[k];
			s->tabs[s->ntabs].route = NULL;
			s->ntabs++;
		}
		mem_free(t);
	}
	for (uint32_t i = 0; rc == ERR_OK && with_routes && i < s->ntabs; i++) {
		rc = catalog_get_route(c->fe->kv, s->tabs[i].info->table_id, &s->tabs[i].route);
		if (rc == ERR_NOT_FOUND) {
			err_clear();
			rc = ERR_OK;
		}
	}
	if (rc == ERR_OK && with_routes)
		rc = fe_nodes_get(c->fe, &s->nodes);
	if (rc)
		snapshot_free(s);
	return rc;
}

/* The leader's stat of a region. */
static const struct region_stat *find_stat(const struct snapshot *s, const struct region_route *rr)
{
	return fe_nodes_stat(&s->nodes, rr->leader, rr->region_id);
}

static bool hidden_schema(const char *s)
{
	return !strcmp(s, FE_PG_CATALOG);
}

static const char *option_value(const struct table_info *t, const char *key)
{
	for (uint32_t i = 0; i < t->noptions; i++)
		if (!strcmp(t->options[i].key, key))
			return t->options[i].value;
	return NULL;
}

/* ---- tables ----------------------------------------------------------------- */

static void table_row(struct rb *b, const char *schema, const char *name, const char *type,
                      int64_t id, uint64_t data_len, uint64_t rows, const char *engine,
                      int64_t created_s, const char *comment, bool temporary)
{
	rb_str(b, CATALOG_DEFAULT);
	rb_str(b, schema);
	rb_str(b, name);
	rb_str(b, type);
	rb_i64(b, id);
	rb_i64(b, (int64_t)data_len);                     /* data_length */
	rb_i64(b, 0);                                     /* max_data_length */
	rb_i64(b, 0);                                     /* index_length */
	rb_i64(b, 0);                                     /* max_index_length */
	rb_i64(b, rows ? (int64_t)(data_len / rows) : 0); /* avg_row_length */
	rb_str(b, engine);
	rb_i64(b, 11);
	rb_str(b, "Fixed");
	rb_i64(b, (int64_t)rows);
	rb_i64(b, 0); /* data_free */
	rb_i64(b, 0); /* auto_increment */
	rb_i64(b, created_s);
	rb_i64(b, created_s);
	rb_null(b); /* check_time */
	rb_str(b, "utf8_bin");
	rb_i64(b, 0);
	rb_str(b, "");
	rb_str(b, comment ? comment : "");
	rb_str(b, temporary ? "Y" : "N");
	rb_end(b);
}

/* Strata's own information_schema tables (ids from 1000, e.g.
 * region_replicas) answer queries by name but stay out of the listings
 * (tables, columns, SHOW TABLES), which must read exactly as GreptimeDB's. */
static bool listed(const struct vtable *t) { return t->table_id < 1000; }

static int rows_tables(struct fe_ctx *c, struct rb *b)
{
	uint32_t n;
	const struct vtable *vt = infoschema_tables(&n);
	int64_t start_s = c->fe->start_ms / 1000;
	for (uint32_t i = 0; i < n; i++)
		if (listed(&vt[i]))
			table_row(b, FE_INFO_SCHEMA, vt[i].name, "LOCAL TEMPORARY", vt[i].table_id, 0,
			          0, "", start_s, NULL, true);
	table_row(b, SCHEMA_DEFAULT, "numbers", "LOCAL TEMPORARY", 2, 0, 0, "test_engine", start_s,
	          NULL, true);
	struct snapshot s;
	int rc = snapshot_take(c, &s, true);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s.ntabs; i++) {
		const struct table_info *t = s.tabs[i].info;
		uint64_t bytes = 0, rows = 0;
		for (uint32_t r = 0; s.tabs[i].route && r < s.tabs[i].route->nregions; r++) {
			const struct region_stat *st = find_stat(&s, &s.tabs[i].route->regions[r]);
			if (st) {
				bytes += st->sst_bytes + st->memtable_bytes;
				rows += st->sst_rows + st->memtable_rows;
			}
		}
		table_row(b, t->schema, t->name, "BASE TABLE", t->table_id, bytes, rows,
		          t->engine ? t->engine : "mito", t->created_ms / 1000, t->comment, false);
	}
	snapshot_free(&s);
	return b->rc;
}

/* ---- columns ---------------------------------------------------------------- */

static void lower_copy(char *out, size_t n, const char *s)
{
	size_t i = 0;
	for (; s[i] && i + 1 < n; i++)
		out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	out[i] = 0;
}

static int64_t numeric_precision(enum dtype t)
{
	switch (t) {
	case DT_INT8:
	case DT_UINT8:
		return 3;
	case DT_INT16:
	case DT_UINT16:
		return 5;
	case DT_INT32:
	case DT_UINT32:
		return 10;
	case DT_INT64:
		return 19;
	case DT_UINT64:
		return 20;
	case DT_FLOAT32:
		return 12;
	case DT_FLOAT64:
		return 22;
	default:
		return -1;
	}
}

static void column_row(struct rb *b, const char *schema, const char *table, const char *name,
                       int64_t pos, enum dtype t, const char *type_name, const char *key,
                       const char *semantic, const char *def, bool nullable, const char *comment)
{
	char sql[64];
	if (type_name)
		snprintf(sql, sizeof(sql), "%s", type_name);
	else
		lower_copy(sql, sizeof(sql), dtype_sql_name(t));
	rb_str(b, CATALOG_DEFAULT);
	rb_str(b, schema);
	rb_str(b, table);
	rb_str(b, name);
	rb_i64(b, pos);
	bool str = t == DT_STRING && !type_name;
	if (str) {
		rb_i64(b, 2147483647);
		rb_i64(b, 2147483647);
	} else {
		rb_null(b);
		rb_null(b);
	}
	int64_t prec = type_name ? -1 : numeric_precision(t);
	if (prec >= 0) {
		rb_i64(b, prec);
		if (dtype_is_integer(t))
			rb_i64(b, 0);
		else
			rb_null(b);
	} else {
		rb_null(b);
		rb_null(b);
	}
	if (dtype_is_timestamp(t) && !type_name) {
		int64_t ups = dtype_ts_units_per_sec(t);
		rb_i64(b, ups == 1 ? 0 : ups == 1000 ? 3 : ups == 1000000 ? 6 : 9);
	} else {
		rb_null(b);
	}
	rb_str(b, str ? "utf8" : NULL);
	rb_str(b, str ? "utf8_bin" : NULL);
	rb_str(b, key);
	rb_str(b, "");
	rb_str(b, "select,insert");
	rb_str(b, "");
	rb_str(b, type_name ? type_name : dtype_name(t));
	rb_str(b, sql);
	rb_str(b, semantic);
	rb_str(b, def);
	rb_str(b, nullable ? "YES" : "NO");
	rb_str(b, sql);
	rb_str(b, comment);
	rb_null(b);
	rb_end(b);
}

static int rows_columns(struct fe_ctx *c, struct rb *b)
{
	uint32_t n;
	const struct vtable *vt = infoschema_tables(&n);
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; listed(&vt[i]) && k < vt[i].ncols; k++)
			column_row(b, FE_INFO_SCHEMA, vt[i].name, vt[i].cols[k].name, k + 1,
			           vt[i].cols[k].type, vt[i].cols[k].type_name, "", "FIELD", NULL,
			           vt[i].cols[k].nullable, NULL);
	column_row(b, SCHEMA_DEFAULT, "numbers", "number", 1, DT_UINT32, NULL, "PRI", "TAG", NULL,
	           false, NULL);
	struct snapshot s;
	int rc = snapshot_take(c, &s, false);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s.ntabs; i++) {
		const struct table_info *t = s.tabs[i].info;
		const struct region_schema *rs = t->region_schema;
		for (uint32_t k = 0; k < rs->ncols; k++) {
			const struct column_schema *cs = &rs->cols[k];
			char key[512];
			snprintf(key, sizeof(key), "__comment.%s", cs->name);
			const char *semantic = cs->sem == SEM_TAG         ? "TAG"
			                       : cs->sem == SEM_TIMESTAMP ? "TIMESTAMP"
			                                                  : "FIELD";
			const char *ck = cs->sem == SEM_TAG         ? "PRI"
			                 : cs->sem == SEM_TIMESTAMP ? "TIME INDEX"
			                                            : "";
			const char *def = cs->default_sql;
			char *shown = NULL;
			if (def && def[0] == '\'') {
				/* a quoted string default is shown without its quotes */
				size_t dl = strlen(def);
				shown = arena_strndup(c->a, def + 1, dl >= 2 ? dl - 2 : 0);
				def = shown;
			}
			column_row(b, t->schema, t->name, cs->name, k + 1, cs->type, NULL, ck,
			           semantic, def, cs->nullable, option_value(t, key));
		}
	}
	snapshot_free(&s);
	return b->rc;
}

/* ---- schemata, partitions, regions -------------------------------------------------- */

static int rows_schemata(struct fe_ctx *c, struct rb *b)
{
	char **names;
	uint32_t n;
	int rc = catalog_list_schemas(c->fe->kv, CATALOG_DEFAULT, &names, &n);
	if (rc)
		return rc;
	bool info_done = false;
	for (uint32_t i = 0; i <= n; i++) {
		const char *s = i < n ? names[i] : NULL;
		if (!info_done && (!s || strcmp(s, FE_INFO_SCHEMA) > 0)) {
			info_done = true;
			rb_str(b, CATALOG_DEFAULT);
			rb_str(b, FE_INFO_SCHEMA);
			rb_str(b, "utf8");
			rb_str(b, "utf8_bin");
			rb_null(b);
			rb_str(b, "");
			rb_end(b);
		}
		if (!s || hidden_schema(s))
			continue;
		rb_str(b, CATALOG_DEFAULT);
		rb_str(b, s);
		rb_str(b, "utf8");
		rb_str(b, "utf8_bin");
		rb_null(b);
		rb_str(b, "");
		rb_end(b);
	}
	for (uint32_t i = 0; i < n; i++)
		mem_free(names[i]);
	mem_free(names);
	return b->rc;
}

static int rows_partitions(struct fe_ctx *c, struct rb *b)
{
	struct snapshot s;
	int rc = snapshot_take(c, &s, true);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s.ntabs; i++) {
		const struct table_info *t = s.tabs[i].info;
		const struct table_route *r = s.tabs[i].route;
		struct buf expr;
		buf_init(&expr);
		for (uint32_t k = 0; k < t->npartition_cols; k++)
			buf_printf(&expr, "%s%s", k ? ", " : "", t->partition_cols[k]);
		for (uint32_t k = 0; r && k < r->nregions; k++) {
			char pname[32];
			snprintf(pname, sizeof(pname), "p%u", k);
			rb_str(b, CATALOG_DEFAULT);
			rb_str(b, t->schema);
			rb_str(b, t->name);
			rb_str(b, pname);
			rb_null(b);
			rb_i64(b, k + 1);
			rb_null(b);
			rb_str(b, "RANGE");
			rb_null(b);
			rb_str(b, t->npartition_cols ? buf_cstr(&expr) : NULL);
			rb_null(b);
			rb_str(b, k < t->nrules ? t->rules[k] : NULL);
			for (int z = 0; z < 5; z++) /* table_rows .. index_length */
				rb_null(b);
			rb_null(b); /* data_free */
			rb_i64(b, t->created_ms / 1000);
			rb_null(b);
			rb_null(b);
			rb_null(b); /* checksum */
			rb_null(b);
			rb_null(b);
			rb_null(b);
			rb_i64(b, (int64_t)r->regions[k].region_id);
			rb_end(b);
		}
		buf_free(&expr);
	}
	snapshot_free(&s);
	return b->rc;
}

static int rows_region_peers(struct fe_ctx *c, struct rb *b)
{
	struct snapshot s;
	int rc = snapshot_take(c, &s, true);
	if (rc)
		return rc;
	int64_t now = clock_now_ms();
	for (uint32_t i = 0; i < s.ntabs; i++) {
		const struct table_info *t = s.tabs[i].info;
		const struct table_route *r = s.tabs[i].route;
		for (uint32_t k = 0; r && k < r->nregions; k++) {
			const struct region_route *rr = &r->regions[k];
			rb_str(b, CATALOG_DEFAULT);
			rb_str(b, t->schema);
			rb_str(b, t->name);
			rb_i64(b, (int64_t)rr->region_id);
			rb_i64(b, (int64_t)rr->leader);
			rb_str(b, fe_nodes_addr(&s.nodes, rr->leader));
			rb_str(b, "Yes");
			rb_str(b, rr->leader_downgrading ? "DOWNGRADING" : "ALIVE");
			if (rr->leader_down_since_ms)
				rb_i64(b, (now - rr->leader_down_since_ms) / 1000);
			else
				rb_null(b);
			rb_end(b);
			for (uint32_t f = 0; f < rr->nfollowers; f++) {
				rb_str(b, CATALOG_DEFAULT);
				rb_str(b, t->schema);
				rb_str(b, t->name);
				rb_i64(b, (int64_t)rr->region_id);
				rb_i64(b, (int64_t)rr->followers[f]);
				rb_str(b, fe_nodes_addr(&s.nodes, rr->followers[f]));
				rb_str(b, "No");
				rb_null(b);
				rb_null(b);
				rb_end(b);
			}
		}
	}
	snapshot_free(&s);
	return b->rc;
}

static int rows_region_statistics(struct fe_ctx *c, struct rb *b)
{
	struct snapshot s;
	int rc = snapshot_take(c, &s, true);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s.nodes.nstats; i++) {
		const struct region_stat *st = &s.nodes.stats[i].st;
		rb_i64(b, (int64_t)st->region_id);
		rb_i64(b, REGION_TABLE_ID(st->region_id));
		rb_i64(b, REGION_NUMBER(st->region_id));
		rb_i64(b, (int64_t)(st->memtable_rows + st->sst_rows));
		rb_i64(b, (int64_t)st->memtable_bytes);
		rb_i64(b, 0);
		rb_i64(b, 0);
		rb_i64(b, (int64_t)(st->sst_bytes + st->manifest_bytes));
		rb_i64(b, (int64_t)st->memtable_bytes);
		rb_i64(b, (int64_t)st->manifest_bytes);
		rb_i64(b, (int64_t)st->sst_bytes);
		rb_i64(b, st->sst_num);
		rb_i64(b, 0);
		rb_str(b, "mito");
		rb_str(b, st->role == REGION_ROLE_LEADER ? "Leader" : "Follower");
		rb_end(b);
	}
	snapshot_free(&s);
	return b->rc;
}

static const struct region_options *region_opts(const struct snapshot *s, uint64_t rid)
{
	for (uint32_t t = 0; t < s->ntabs; t++)
		if (s->tabs[t].info->table_id == REGION_TABLE_ID(rid))
			return &s->tabs[t].info->region_schema->opts;
	return NULL;
}
static bool st_append(const struct snapshot *s, uint64_t rid)
{
	const struct region_options *o = region_opts(s, rid);
	return o && o->append_mode;
}
static bool st_merge_non_null(const struct snapshot *s, uint64_t rid)
{
	const struct region_options *o = region_opts(s, rid);
	return o && o->merge_mode == MERGE_LAST_NON_NULL;
}
static int64_t st_ttl(const struct snapshot *s, uint64_t rid)
{
	const struct region_options *o = region_opts(s, rid);
	return o ? o->ttl_ms : 0;
}

static int rows_region_info(struct fe_ctx *c, struct rb *b)
{
	struct snapshot s;
	int rc = snapshot_take(c, &s, true);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s.nodes.nstats; i++) {
		const struct region_stat *st = &s.nodes.stats[i].st;
		bool leader = st->role == REGION_ROLE_LEADER;
		const char *fmt = "primary_key";
		for (uint32_t t = 0; t < s.ntabs; t++)
			if (s.tabs[t].info->table_id == REGION_TABLE_ID(st->region_id)) {
				const char *v = option_value(s.tabs[t].info, "sst_format");
				if (v)
					fmt = v;
			}
		rb_i64(b, (int64_t)st->region_id);
		rb_i64(b, REGION_TABLE_ID(st->region_id));
		rb_i64(b, REGION_NUMBER(st->region_id));
		rb_i64(b, (REGION_NUMBER(st->region_id) >> 24) & 0xff);
		rb_i64(b, REGION_NUMBER(st->region_id) & 0xffffff);
		rb_str(b, leader ? "Leader(Writable)" : "Follower");
		rb_str(b, leader ? "Leader" : "Follower");
		rb_i64(b, leader);
		rb_i64(b, (int64_t)st->committed_sequence);
		rb_i64(b, (int64_t)st->flushed_sequence);
		rb_i64(b, (int64_t)st->manifest_version);
		rb_null(b);
		char opts[256];
		snprintf(opts, sizeof(opts),
		         "{\"append_mode\":%s,\"merge_mode\":\"%s\",\"ttl_ms\":%lld}",
		         st_append(&s, st->region_id) ? "true" : "false",
		         st_merge_non_null(&s, st->region_id) ? "last_non_null" : "last_row",
		         (long long)st_ttl(&s, st->region_id));
		rb_str(b, opts);
		rb_str(b, fmt);
		rb_i64(b, (int64_t)s.nodes.stats[i].node_id);
		rb_end(b);
	}
	snapshot_free(&s);
	return b->rc;
}

static void format_uptime(char *out, size_t n, int64_t ms)
{
	int64_t s = ms / 1000, rem = ms % 1000;
	int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
	size_t w = 0;
	out[0] = 0;
#define PART(v, u)                                                                                 \
	if (v && w < n)                                                                            \
		w += (size_t)snprintf(out + w, n - w, "%s%" PRId64 "%s", w ? " " : "", v, u);
	PART(d, "days")
	PART(h, "h")
	PART(m, "m")
	PART(sec, "s")
	PART(rem, "ms")
#undef PART
	if (!out[0])
		snprintf(out, n, "0s");
}

static int rows_cluster_info_standalone(struct fe_ctx *c, struct rb *b)
{
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	char up[128];
	int64_t now = clock_now_ms();
	format_uptime(up, sizeof(up), now - c->fe->start_ms);
	rb_i64(b, (int64_t)c->fe->node_id);
	rb_str(b, !strcmp(c->fe->mode, "standalone") ? "STANDALONE" : "FRONTEND");
	rb_str(b, c->fe->peer_addr);
	rb_str(b, host);
	rb_i64(b, ncpu > 0 ? ncpu * 1000 : 1000);
	rb_i64(b, pages > 0 && psz > 0 ? (int64_t)pages * psz : 0);
	rb_i64(b, 0);
	rb_i64(b, 0);
	rb_str(b, c->fe->version);
	rb_str(b, "unknown");
	rb_i64(b, c->fe->start_ms);
	rb_str(b, up);
	rb_null(b);
	rb_null(b);
	rb_end(b);
	return b->rc;
}

static void host_info(char *host, size_t n, int64_t *cpu_milli, int64_t *mem)
{
	snprintf(host, n, "localhost");
	gethostname(host, n - 1);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	*cpu_milli = ncpu > 0 ? ncpu * 1000 : 1000;
	*mem = pages > 0 && psz > 0 ? (int64_t)pages * psz : 0;
}

/* Cluster mode: every node the metasrv knows (the metasrv first, then
 * datanodes and frontends by id), with its status as node_status and the
 * time since its last heartbeat as active_time. All processes of a local
 * cluster share this host, so host facts are this process's. */
static int rows_cluster_info_cluster(struct fe_ctx *c, struct rb *b)
{
	struct fe_nodes nodes;
	int rc = fe_nodes_get(c->fe, &nodes);
	if (rc)
		return rc;
	char host[256], up[128], act[128];
	int64_t cpu, mem;
	host_info(host, sizeof(host), &cpu, &mem);
	for (uint32_t i = 0; i < nodes.n; i++) {
		const struct fe_node *nd = &nodes.nodes[i];
		rb_i64(b, (int64_t)nd->id);
		rb_str(b, cluster_node_type_name((unsigned)nd->type));
		rb_str(b, nd->addr);
		rb_str(b, host);
		rb_i64(b, cpu);
		rb_i64(b, mem);
		rb_i64(b, 0);
		rb_i64(b, 0);
		rb_str(b, c->fe->version);
		rb_str(b, "unknown");
		if (nd->start_time_ms) {
			rb_i64(b, nd->start_time_ms);
			format_uptime(up, sizeof(up), nodes.now_ms - nd->start_time_ms);
			rb_str(b, up);
		} else {
			rb_null(b);
			rb_null(b);
		}
		if (nd->last_heartbeat_ms) {
			format_uptime(act, sizeof(act), nodes.now_ms - nd->last_heartbeat_ms);
			rb_str(b, act);
		} else {
			rb_null(b);
		}
		rb_str(b, node_status_name((unsigned)nd->status));
		rb_end(b);
	}
	fe_nodes_free(&nodes);
	return b->rc;
}

static int rows_cluster_info(struct fe_ctx *c, struct rb *b)
{
	if (fe_is_cluster(c->fe))
		return rows_cluster_info_cluster(c, b);
	return rows_cluster_info_standalone(c, b);
}

/* region_replicas (Strata's own): one row per peer of every region,
 * leader first, with the replica lag seen by the metasrv's last
 * heartbeats: the leader's manifest version, the version the peer has
 * installed, their difference, the time since the peer last synced
 * (follower: its last manifest install, even a no-op one), and the number
 * of reads this frontend sent to the peer. NULL where a peer reported no
 * stat for the region (down, or not yet heartbeated). */
static int rows_region_replicas(struct fe_ctx *c, struct rb *b)
{
	struct snapshot s;
	int rc = snapshot_take(c, &s, true);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s.ntabs; i++) {
		const struct table_info *t = s.tabs[i].info;
		const struct table_route *r = s.tabs[i].route;
		for (uint32_t k = 0; r && k < r->nregions; k++) {
			const struct region_route *rr = &r->regions[k];
			const struct region_stat *ls =
			    fe_nodes_stat(&s.nodes, rr->leader, rr->region_id);
			for (uint32_t p = 0; p <= rr->nfollowers; p++) {
				uint64_t node = p == 0 ? rr->leader : rr->followers[p - 1];
				const struct region_stat *st =
				    p == 0 ? ls : fe_nodes_stat(&s.nodes, node, rr->region_id);
				rb_i64(b, (int64_t)rr->region_id);
				rb_str(b, t->name);
				rb_i64(b, (int64_t)node);
				rb_str(b, fe_nodes_addr(&s.nodes, node));
				rb_str(b, p == 0 ? "Leader" : "Follower");
				if (ls)
					rb_i64(b, (int64_t)ls->manifest_version);
				else
					rb_null(b);
				if (st)
					rb_i64(b, (int64_t)st->manifest_version);
				else
					rb_null(b);
				if (ls && st)
					rb_i64(b, (int64_t)ls->manifest_version -
					              (int64_t)st->manifest_version);
				else
					rb_null(b);
				if (p > 0 && st && st->last_install_ms)
					rb_i64(b, s.nodes.now_ms - st->last_install_ms);
				else if (p == 0 && st)
					rb_i64(b, 0);
				else
					rb_null(b);
				rb_i64(b, (int64_t)fe_reads_served(c->fe, rr->region_id, node));
				rb_end(b);
			}
		}
	}
	snapshot_free(&s);
	return b->rc;
}

static int rows_key_column_usage(struct fe_ctx *c, struct rb *b)
{
	struct snapshot s;
	int rc = snapshot_take(c, &s, false);
	if (rc)
		return rc;
	/* numbers first, as GreptimeDB lists it */
	rb_str(b, "def");
	rb_str(b, SCHEMA_DEFAULT);
	rb_str(b, "PRIMARY");
	rb_str(b, "def");
	rb_str(b, CATALOG_DEFAULT);
	rb_str(b, SCHEMA_DEFAULT);
	rb_str(b, "numbers");
	rb_str(b, "number");
	rb_i64(b, 1);
	rb_null(b);
	rb_null(b);
	rb_null(b);
	rb_null(b);
	rb_str(b, "dense");
	rb_end(b);
	for (uint32_t i = 0; i < s.ntabs; i++) {
		const struct table_info *t = s.tabs[i].info;
		const struct region_schema *rs = t->region_schema;
		for (int pass = 0; pass < 2; pass++) {
			uint32_t n = pass == 0 ? 1 : rs->npk;
			for (uint32_t k = 0; k < n; k++) {
				uint32_t col = pass == 0 ? rs->ts_col : rs->pk_cols[k];
				rb_str(b, "def");
				rb_str(b, t->schema);
				rb_str(b, pass == 0 ? "TIME INDEX" : "PRIMARY");
				rb_str(b, "def");
				rb_str(b, CATALOG_DEFAULT);
				rb_str(b, t->schema);
				rb_str(b, t->name);
				rb_str(b, rs->cols[col].name);
				rb_i64(b, k + 1);
				rb_null(b);
				rb_null(b);
				rb_null(b);
				rb_null(b);
				rb_str(b, pass == 0 ? NULL : "dense");
				rb_end(b);
			}
		}
	}
	snapshot_free(&s);
	return b->rc;
}

static int rows_static(const struct vtable *t, struct rb *b, struct frontend *fe)
{
	if (!strcmp(t->name, "engines")) {
		const char *rows[2][6] = {
		    {"mito", "DEFAULT", "Storage engine for time-series data", "NO", "NO", "NO"},
		    {"metric", "YES",
		     "Storage engine for observability scenarios, which is adept at handling a "
		     "large number of small tables, making it particularly suitable for "
		     "cloud-native monitoring",
		     "NO", "NO", "NO"}};
		for (int r = 0; r < 2; r++) {
			for (int k = 0; k < 6; k++)
				rb_str(b, rows[r][k]);
			rb_end(b);
		}
	} else if (!strcmp(t->name, "build_info")) {
		rb_str(b, "main");
		rb_str(b, "unknown");
		rb_str(b, "unknown");
		rb_str(b, "true");
		rb_str(b, fe->version);
		rb_end(b);
	} else if (!strcmp(t->name, "character_sets")) {
		rb_str(b, "utf8");
		rb_str(b, "utf8_bin");
		rb_str(b, "UTF-8 Unicode");
		rb_i64(b, 4);
		rb_end(b);
	} else if (!strcmp(t->name, "collations")) {
		rb_str(b, "utf8_bin");
		rb_str(b, "utf8");
		rb_i64(b, 1);
		rb_str(b, "Yes");
		rb_str(b, "Yes");
		rb_i64(b, 1);
		rb_end(b);
	} else if (!strcmp(t->name, "collation_character_set_applicability")) {
		rb_str(b, "utf8_bin");
		rb_str(b, "utf8");
		rb_end(b);
	}
	return b->rc;
}

int infoschema_rows(struct fe_ctx *c, const struct vtable *t, struct result_set *rs)
{
	int rc = infoschema_init_rs(t, rs);
	if (rc)
		return rc;
	struct rb b = {rs, 0, 0};
	if (!strcmp(t->name, "tables"))
		rc = rows_tables(c, &b);
	else if (!strcmp(t->name, "columns"))
		rc = rows_columns(c, &b);
	else if (!strcmp(t->name, "schemata"))
		rc = rows_schemata(c, &b);
	else if (!strcmp(t->name, "partitions"))
		rc = rows_partitions(c, &b);
	else if (!strcmp(t->name, "region_peers"))
		rc = rows_region_peers(c, &b);
	else if (!strcmp(t->name, "region_statistics"))
		rc = rows_region_statistics(c, &b);
	else if (!strcmp(t->name, "region_info"))
		rc = rows_region_info(c, &b);
	else if (!strcmp(t->name, "cluster_info"))
		rc = rows_cluster_info(c, &b);
	else if (!strcmp(t->name, "region_replicas"))
		rc = rows_region_replicas(c, &b);
	else if (!strcmp(t->name, "key_column_usage"))
		rc = rows_key_column_usage(c, &b);
	else
		rc = rows_static(t, &b, c->fe);
	if (!rc)
		rc = b.rc;
	if (rc)
		result_set_free(rs);
	return rc;
}

static int provider_from_rs(const struct vtable *t, struct result_set *rs,
                            struct table_provider **out)
{
	struct table_column cols[64];
	for (uint32_t i = 0; i < t->ncols && i < 64; i++) {
		memset(&cols[i], 0, sizeof(cols[i]));
		cols[i].name = t->cols[i].name;
		cols[i].type = t->cols[i].type;
		cols[i].nullable = t->cols[i].nullable;
	}
	struct batch rows = rs->rows;
	memset(&rs->rows, 0, sizeof(rs->rows));
	result_set_free(rs);
	return fe_mem_table(t->name, t->ncols, cols, &rows, out);
}

int infoschema_provider(struct fe_ctx *c, const struct vtable *t, struct table_provider **out)
{
	struct result_set rs;
	int rc = infoschema_rows(c, t, &rs);
	if (rc)
		return rc;
	return provider_from_rs(t, &rs, out);
}

int numbers_provider(struct table_provider **out)
{
	enum dtype ty = DT_UINT32;
	struct batch rows;
	int rc = batch_init(&rows, 1, &ty);
	for (uint32_t i = 0; rc == ERR_OK && i < 100; i++)
		rc = colvec_push_i64(&rows.cols[0], i);
	if (rc) {
		batch_free(&rows);
		return rc;
	}
	rows.nrows = 100;
	struct table_column col = {"number", DT_UINT32, false, true, false};
	return fe_mem_table("numbers", 1, &col, &rows, out);
}
