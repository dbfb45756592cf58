/*
 * pg_catalog: what PostgreSQL clients ask of the catalog.
 *
 * psql's backslash commands (\dt, \d, \d+, \l, \dn) send catalog queries
 * with joins, regex operators, OPERATOR(pg_catalog.~), COLLATE and
 * regclass casts. Rather than a full pg_catalog, the frontend recognises
 * those queries by their distinctive parts and answers them with the rows
 * psql expects (column order as psql 15 reads them):
 *
 *   list relations  "pg_get_userbyid(c.relowner)" + "c.relkind IN (...)"
 *                   -> Schema, Name, Type, Owner of the session schema's
 *                   tables ('r' in the relkind list), optionally filtered
 *                   by "c.relname OPERATOR(pg_catalog.~) '^(re)$'"
 *   find relation   "SELECT c.oid, n.nspname, c.relname" -> oid (= table
 *                   id), schema, name of tables matching the regex
 *   relation info   "c.relchecks ... WHERE c.oid = 'N'" -> 15 columns
 *                   describing a plain table
 *   columns         "a.attname ... a.attrelid = 'N'" -> name, type as
 *                   PostgreSQL names it, default, not null, collation,
 *                   identity, generated (+ storage, compression, stats
 *                   target, description for \d+)
 *   databases (\l)  "FROM pg_catalog.pg_database d" -> the schemas
 *   schemas (\dn)   "FROM pg_catalog.pg_namespace n" -> the schemas
 *   other \d parts  policies, statistics objects, publications,
 *                   inheritance: empty results
 *
 * Everything else goes to the SQL engine, where pg_catalog.pg_namespace,
 * pg_class, pg_type, pg_database and pg_attribute are in-memory tables.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "frontend/frontend_int.h"

/* ---- PostgreSQL type names ------------------------------------------------ */

static const char *pg_type_display(enum dtype t)
{
	switch (t) {
	case DT_BOOL:
		return "boolean";
	case DT_INT8:
	case DT_INT16:
	case DT_UINT8:
		return "smallint";
	case DT_UINT16:
	case DT_INT32:
		return "integer";
	case DT_UINT32:
	case DT_INT64:
		return "bigint";
	case DT_UINT64:
		return "numeric";
	case DT_FLOAT32:
		return "real";
	case DT_FLOAT64:
		return "double precision";
	case DT_STRING:
		return "character varying";
	case DT_BINARY:
		return "bytea";
	case DT_DATE:
		return "date";
	default:
		return "timestamp without time zone";
	}
}

static uint32_t pg_type_oid(enum dtype t)
{
	switch (t) {
	case DT_BOOL:
		return 16;
	case DT_INT8:
	case DT_INT16:
	case DT_UINT8:
		return 21;
	case DT_UINT16:
	case DT_INT32:
		return 23;
	case DT_UINT32:
	case DT_INT64:
		return 20;
	case DT_UINT64:
		return 1700;
	case DT_FLOAT32:
		return 700;
	case DT_FLOAT64:
		return 701;
	case DT_STRING:
		return 1043;
	case DT_BINARY:
		return 17;
	case DT_DATE:
		return 1082;
	default:
		return 1114;
	}
}

/* ---- helpers ---------------------------------------------------------------- */

/* Whitespace collapsed copy of the text (arena). */
static char *squash(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *o = arena_alloc(a, n + 1);
	if (!o)
		return NULL;
	size_t w = 0;
	bool sp = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			sp = w > 0;
			continue;
		}
		if (sp)
			o[w++] = ' ';
		sp = false;
		o[w++] = c;
	}
	o[w] = 0;
	return o;
}

/* The POSIX regex of "c.relname OPERATOR(pg_catalog.~) '...'", or NULL. */
static char *relname_regex(struct arena *a, const char *q, const char *marker)
{
	const char *p = strstr(q, marker);
	if (!p)
		return NULL;
	p = strchr(p + strlen(marker), '\'');
	if (!p)
		return NULL;
	p++;
	struct buf b;
	buf_init(&b);
	for (; *p; p++) {
		if (*p == '\'') {
			if (p[1] == '\'') {
				buf_putc(&b, '\'');
				p++;
				continue;
			}
			break;
		}
		buf_putc(&b, (uint8_t)*p);
	}
	char *r = buf_cstr(&b) ? arena_strndup(a, (const char *)b.data, b.len) : NULL;
	buf_free(&b);
	return r;
}

/* The number in "<marker> 'N'" (e.g. "c.oid = '1024'"), 0 if absent. */
static uint32_t quoted_oid(const char *q, const char *marker)
{
	const char *p = strstr(q, marker);
	if (!p)
		return 0;
	p += strlen(marker);
	while (*p == ' ' || *p == '\'')
		p++;
	return (uint32_t)strtoul(p, NULL, 10);
}

struct tables {
	struct table_info **t;
	uint32_t n;
};

static int load_tables(struct fe_ctx *c, struct tables *out)
{
	return catalog_list_tables(c->fe->kv, c->s->catalog, c->s->schema, &out->t, &out->n);
}

static int find_by_oid(struct fe_ctx *c, uint32_t oid, struct table_info **out)
{
	*out = NULL;
	if (oid == 0)
		return ERR_NOT_FOUND;
	int rc = catalog_get_table_by_id(c->fe->kv, oid, out);
	if (rc == ERR_NOT_FOUND)
		err_clear();
	return rc;
}

static bool regex_ok(regex_t *re, bool have, const char *s)
{
	return !have || regexec(re, s, 0, NULL, 0) == 0;
}

static int init_strings(struct query_result *out, uint32_t n, const char *const *names)
{
	enum dtype types[24];
	for (uint32_t i = 0; i < n; i++)
		types[i] = DT_STRING;
	int rc = fe_rs_init(&out->rs, n, names, types);
	if (rc == ERR_OK)
		out->kind = QUERY_ROWS;
	return rc;
}

static int put(struct query_result *out, uint32_t col, const char *v)
{
	return fe_rs_str(&out->rs, col, v);
}

/* ---- the recognised queries ---------------------------------------------------- */

static int list_relations(struct fe_ctx *c, const char *q, struct query_result *out)
{
	static const char *names[] = {"Schema", "Name", "Type", "Owner"};
	const char *kinds = strstr(q, "c.relkind IN (");
	bool tables = kinds && strstr(kinds, "'r'") && strstr(kinds, "'r'") < strchr(kinds, ')');
	char *re_text = relname_regex(c->a, q, "c.relname OPERATOR(pg_catalog.~)");
	regex_t re;
	bool have_re = re_text && regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB) == 0;
	int rc = init_strings(out, 4, names);
	struct tables ts = {0};
	if (rc == ERR_OK && tables)
		rc = load_tables(c, &ts);
	for (uint32_t i = 0; rc == ERR_OK && i < ts.n; i++) {
		if (!regex_ok(&re, have_re, ts.t[i]->name))
			continue;
		if (put(out, 0, ts.t[i]->schema) || put(out, 1, ts.t[i]->name) ||
		    put(out, 2, "table") || put(out, 3, "greptime"))
			rc = ERR_NOMEM;
		else
			fe_rs_row(&out->rs);
	}
	catalog_free_tables(ts.t, ts.n);
	if (have_re)
		regfree(&re);
	return rc;
}

static int find_relation(struct fe_ctx *c, const char *q, struct query_result *out)
{
	static const char *names[] = {"oid", "nspname", "relname"};
	char *re_text = relname_regex(c->a, q, "c.relname OPERATOR(pg_catalog.~)");
	regex_t re;
	bool have_re = re_text && regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB) == 0;
	int rc = init_strings(out, 3, names);
	struct tables ts = {0};
	if (rc == ERR_OK)
		rc = load_tables(c, &ts);
	for (uint32_t i = 0; rc == ERR_OK && i < ts.n; i++) {
		if (!regex_ok(&re, have_re, ts.t[i]->name))
			continue;
		char oid[16];
		snprintf(oid, sizeof(oid), "%u", ts.t[i]->table_id);
		if (put(out, 0, oid) || put(out, 1, ts.t[i]->schema) || put(out, 2, ts.t[i]->name))
			rc = ERR_NOMEM;
		else
			fe_rs_row(&out->rs);
	}
	catalog_free_tables(ts.t, ts.n);
	if (have_re)
		regfree(&re);
	return rc;
}

static int relation_info(struct fe_ctx *c, const char *q, struct query_result *out)
{
	static const char *names[] = {"relchecks",
	                              "relkind",
	                              "relhasindex",
	                              "relhasrules",
	                              "relhastriggers",
	                              "relrowsecurity",
	                              "relforcerowsecurity",
	                              "relhasoids",
	                              "relispartition",
	                              "?column?",
	                              "reltablespace",
	                              "reloftype",
	                              "relpersistence",
	                              "relreplident",
	                              "amname"};
	static const char *vals[] = {"0", "r", "f", "f", "f", "f", "f",   "f",
	                             "f", "",  "0", "",  "p", "d", "heap"};
	struct table_info *t;
	int rc = find_by_oid(c, quoted_oid(q, "c.oid ="), &t);
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	rc = init_strings(out, 15, names);
	for (uint32_t i = 0; rc == ERR_OK && t && i < 15; i++)
		rc = put(out, i, vals[i]);
	if (rc == ERR_OK && t)
		fe_rs_row(&out->rs);
	table_info_free(t);
	return rc;
}

static int columns(struct fe_ctx *c, const char *q, struct query_result *out)
{
	const char *names[12] = {"attname",      "format_type", "pg_get_expr", "attnotnull",
	                         "attcollation", "attidentity", "attgenerated"};
	uint32_t n = 7;
	bool storage = strstr(q, "a.attstorage") != NULL;
	bool compression = strstr(q, "attcompression") != NULL;
	bool stattarget = strstr(q, "attstattarget") != NULL;
	bool descr = strstr(q, "col_description") != NULL;
	if (storage)
		names[n++] = "attstorage";
	if (compression)
		names[n++] = "attcompression";
	if (stattarget)
		names[n++] = "attstattarget";
	if (descr)
		names[n++] = "col_description";
	struct table_info *t;
	int rc = find_by_oid(c, quoted_oid(q, "a.attrelid ="), &t);
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	rc = init_strings(out, n, names);
	const struct region_schema *s = t ? t->region_schema : NULL;
	for (uint32_t i = 0; rc == ERR_OK && s && i < s->ncols; i++) {
		const struct column_schema *cs = &s->cols[i];
		bool notnull = !cs->nullable;
		uint32_t k = 0;
		rc = put(out, k++, cs->name) || put(out, k++, pg_type_display(cs->type)) ||
		     put(out, k++, cs->default_sql) || put(out, k++, notnull ? "t" : "f") ||
		     put(out, k++, NULL) || put(out, k++, "") || put(out, k++, "");
		if (!rc && storage)
			rc = put(out, k++,
			         cs->type == DT_STRING || cs->type == DT_BINARY ? "x" : "p");
		if (!rc && compression)
			rc = put(out, k++, "");
		if (!rc && stattarget)
			rc = put(out, k++, NULL);
		if (!rc && descr)
			rc = put(out, k++, NULL);
		if (rc)
			rc = ERR_NOMEM;
		else
			fe_rs_row(&out->rs);
	}
	table_info_free(t);
	return rc;
}

static int list_schemas(struct fe_ctx *c, bool databases, struct query_result *out)
{
	static const char *db_names[] = {
	    "Name",  "Owner",      "Encoding",        "Collate",
	    "Ctype", "ICU Locale", "Locale Provider", "Access privileges"};
	static const char *ns_names[] = {"Name", "Owner"};
	int rc = databases ? init_strings(out, 8, db_names) : init_strings(out, 2, ns_names);
	char **names = NULL;
	uint32_t n = 0;
	if (rc == ERR_OK)
		rc = catalog_list_schemas(c->fe->kv, CATALOG_DEFAULT, &names, &n);
	for (uint32_t i = 0; rc == ERR_OK && i < n; i++) {
		if (put(out, 0, names[i]) || put(out, 1, "greptime"))
			rc = ERR_NOMEM;
		for (uint32_t k = 2; databases && rc == ERR_OK && k < 8; k++)
			rc = put(out, k,
			         k == 2             ? "UTF8"
			         : k == 3 || k == 4 ? "C"
			         : k == 6           ? "libc"
			                            : NULL);
		if (rc == ERR_OK)
			fe_rs_row(&out->rs);
	}
	for (uint32_t i = 0; i < n; i++)
		mem_free(names[i]);
	mem_free(names);
	return rc;
}

int fe_pg_compat(struct fe_ctx *c, const char *sql, struct query_result *out, int *rc)
{
	if (!strstr(sql, "pg_catalog"))
		return 0;
	const char *q = squash(c->a, sql);
	if (!q) {
		*rc = ERR_NOMEM;
		return 1;
	}
	if (strstr(q, "FROM pg_catalog.pg_class c") ||
	    strstr(q, "FROM pg_catalog.pg_attribute a")) {
		if (strstr(q, "pg_catalog.pg_get_userbyid(c.relowner)") &&
		    strstr(q, "c.relkind IN (")) {
			*rc = list_relations(c, q, out);
			return 1;
		}
		if (strstr(q, "c.relchecks") && strstr(q, "c.oid =")) {
			*rc = relation_info(c, q, out);
			return 1;
		}
		if (strstr(q, "SELECT a.attname") && strstr(q, "a.attrelid =")) {
			*rc = columns(c, q, out);
			return 1;
		}
		if (strstr(q, "SELECT c.oid, n.nspname, c.relname")) {
			*rc = find_relation(c, q, out);
			return 1;
		}
	}
	if (strstr(q, "FROM pg_catalog.pg_database d") && strstr(q, "d.datname as \"Name\"")) {
		*rc = list_schemas(c, true, out);
		return 1;
	}
	if (strstr(q, "FROM pg_catalog.pg_namespace n") && strstr(q, "n.nspname AS \"Name\"")) {
		*rc = list_schemas(c, false, out);
		return 1;
	}
	static const char *empty_markers[] = {
	    "pg_catalog.pg_policy",   "pg_catalog.pg_statistic_ext", "pg_catalog.pg_publication",
	    "pg_catalog.pg_inherits", "pg_catalog.pg_trigger",       "pg_catalog.pg_constraint",
	    "pg_catalog.pg_index"};
	for (size_t i = 0; i < sizeof(empty_markers) / sizeof(empty_markers[0]); i++)
		if (strstr(q, empty_markers[i])) {
			static const char *n[] = {"?column?"};
			*rc = init_strings(out, 1, n);
			return 1;
		}
	return 0;
}

/* ---- pg_catalog tables for the engine -------------------------------------------- */

static const struct vcol ns_cols[] = {
    {"oid", DT_UINT32, false, NULL},
    {"nspname", DT_STRING, false, NULL},
    {"nspowner", DT_UINT32, false, NULL},
};
static const struct vcol class_cols[] = {
    {"oid", DT_UINT32, false, NULL},          {"relname", DT_STRING, false, NULL},
    {"relnamespace", DT_UINT32, false, NULL}, {"relkind", DT_STRING, false, NULL},
    {"relowner", DT_UINT32, false, NULL},     {"relnatts", DT_INT16, false, NULL},
};
static const struct vcol type_cols[] = {
    {"oid", DT_UINT32, false, NULL},          {"typname", DT_STRING, false, NULL},
    {"typnamespace", DT_UINT32, false, NULL}, {"typlen", DT_INT16, false, NULL},
    {"typtype", DT_STRING, false, NULL},
};
static const struct vcol database_cols[] = {
    {"oid", DT_UINT32, false, NULL},
    {"datname", DT_STRING, false, NULL},
    {"datdba", DT_UINT32, false, NULL},
    {"encoding", DT_INT32, false, NULL},
};
static const struct vcol attribute_cols[] = {
    {"attrelid", DT_UINT32, false, NULL}, {"attname", DT_STRING, false, NULL},
    {"atttypid", DT_UINT32, false, NULL}, {"attnum", DT_INT16, false, NULL},
    {"attnotnull", DT_BOOL, false, NULL}, {"attisdropped", DT_BOOL, false, NULL},
};

static const struct vtable pg_tables[] = {
    {"pg_attribute", 256, sizeof(attribute_cols) / sizeof(attribute_cols[0]), attribute_cols},
    {"pg_class", 257, sizeof(class_cols) / sizeof(class_cols[0]), class_cols},
    {"pg_database", 258, sizeof(database_cols) / sizeof(database_cols[0]), database_cols},
    {"pg_namespace", 259, sizeof(ns_cols) / sizeof(ns_cols[0]), ns_cols},
    {"pg_type", 260, sizeof(type_cols) / sizeof(type_cols[0]), type_cols},
};

const struct vtable *pgcat_find(const char *name)
{
	for (size_t i = 0; i < sizeof(pg_tables) / sizeof(pg_tables[0]); i++)
		if (!strcasecmp(pg_tables[i].name, name))
			return &pg_tables[i];
	return NULL;
}

/* Namespace oid of a schema: its position in the sorted list + 2200. */
static uint32_t ns_oid(char **names, uint32_t n, const char *schema)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(names[i], schema))
			return 2200 + i;
	return 0;
}

static int pg_rows(struct fe_ctx *c, const struct vtable *t, struct result_set *rs)
{
	int rc = infoschema_init_rs(t, rs);
	if (rc)
		return rc;
	char **schemas = NULL;
	uint32_t ns = 0;
	rc = catalog_list_schemas(c->fe->kv, CATALOG_DEFAULT, &schemas, &ns);
	struct result_set *r = rs;
#define ROW_END()                                                                                  \
	do {                                                                                       \
		if (rc == ERR_OK)                                                                  \
			fe_rs_row(r);                                                              \
	} while (0)
	if (rc == ERR_OK && !strcmp(t->name, "pg_namespace")) {
		for (uint32_t i = 0; rc == ERR_OK && i < ns; i++) {
			rc = fe_rs_i64(r, 0, 2200 + i) || fe_rs_str(r, 1, schemas[i]) ||
			             fe_rs_i64(r, 2, 10)
			         ? ERR_NOMEM
			         : ERR_OK;
			ROW_END();
		}
		if (rc == ERR_OK) {
			rc = fe_rs_i64(r, 0, 11) || fe_rs_str(r, 1, FE_PG_CATALOG) ||
			             fe_rs_i64(r, 2, 10)
			         ? ERR_NOMEM
			         : ERR_OK;
			ROW_END();
		}
	} else if (rc == ERR_OK && !strcmp(t->name, "pg_database")) {
		rc = fe_rs_i64(r, 0, 1) || fe_rs_str(r, 1, CATALOG_DEFAULT) ||
		             fe_rs_i64(r, 2, 10) || fe_rs_i64(r, 3, 6)
		         ? ERR_NOMEM
		         : ERR_OK;
		ROW_END();
	} else if (rc == ERR_OK && !strcmp(t->name, "pg_type")) {
		static const enum dtype all[] = {DT_BOOL,   DT_INT16,   DT_INT32,   DT_INT64,
		                                 DT_UINT64, DT_FLOAT32, DT_FLOAT64, DT_STRING,
		                                 DT_BINARY, DT_DATE,    DT_TS_MS};
		static const char *tn[] = {"bool",    "int2",   "int4",     "int8",
		                           "numeric", "float4", "float8",   "varchar",
		                           "bytea",   "date",   "timestamp"};
		static const int tl[] = {1, 2, 4, 8, -1, 4, 8, -1, -1, 4, 8};
		for (size_t i = 0; rc == ERR_OK && i < sizeof(all) / sizeof(all[0]); i++) {
			rc = fe_rs_i64(r, 0, pg_type_oid(all[i])) || fe_rs_str(r, 1, tn[i]) ||
			             fe_rs_i64(r, 2, 11) || fe_rs_i64(r, 3, tl[i]) ||
			             fe_rs_str(r, 4, "b")
			         ? ERR_NOMEM
			         : ERR_OK;
			ROW_END();
		}
	} else if (rc == ERR_OK) {
		bool attrs = !strcmp(t->name, "pg_attribute");
		for (uint32_t k = 0; rc == ERR_OK && k < ns; k++) {
			struct table_info **tabs;
			uint32_t nt;
			if ((rc = catalog_list_tables(c->fe->kv, CATALOG_DEFAULT, schemas[k], &tabs,
			                              &nt)))
				break;
			for (uint32_t i = 0; rc == ERR_OK && i < nt; i++) {
				const struct region_schema *s = tabs[i]->region_schema;
				if (!attrs) {
					rc = fe_rs_i64(r, 0, tabs[i]->table_id) ||
					             fe_rs_str(r, 1, tabs[i]->name) ||
					             fe_rs_i64(r, 2,
					                       ns_oid(schemas, ns, schemas[k])) ||
					             fe_rs_str(r, 3, "r") || fe_rs_i64(r, 4, 10) ||
					             fe_rs_i64(r, 5, s->ncols)
					         ? ERR_NOMEM
					         : ERR_OK;
					ROW_END();
					continue;
				}
				for (uint32_t j = 0; rc == ERR_OK && j < s->ncols; j++) {
					rc =
					    fe_rs_i64(r, 0, tabs[i]->table_id) ||
					            fe_rs_str(r, 1, s->cols[j].name) ||
					            fe_rs_i64(r, 2, pg_type_oid(s->cols[j].type)) ||
					            fe_rs_i64(r, 3, j + 1) ||
					            fe_rs_i64(r, 4, !s->cols[j].nullable) ||
					            fe_rs_i64(r, 5, 0)
					        ? ERR_NOMEM
					        : ERR_OK;
					ROW_END();
				}
			}
			catalog_free_tables(tabs, nt);
		}
	}
#undef ROW_END
	for (uint32_t i = 0; i < ns; i++)
		mem_free(schemas[i]);
	mem_free(schemas);
	if (rc)
		result_set_free(rs);
	return rc;
}

int pgcat_provider(struct fe_ctx *c, const struct vtable *t, struct table_provider **out)
{
	struct result_set rs;
	int rc = pg_rows(c, t, &rs);
	if (rc)
		return rc;
	return fe_mem_table_rs(t->name, &rs, out);
}
