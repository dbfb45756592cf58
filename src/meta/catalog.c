/* catalog: schemas, tables and routes in the metadata KV store. See catalog.h. */
#include "meta/catalog.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/json_num.h"
#include "base/mem.h"
#include "meta/kv.h"
#include "storage/region.h"

/* ---- table_info ------------------------------------------------------- */

static void free_strs(char **s, uint32_t n)
{
	for (uint32_t i = 0; s && i < n; i++)
		mem_free(s[i]);
	mem_free(s);
}

void table_info_free(struct table_info *t)
{
	if (!t)
		return;
	mem_free(t->catalog);
	mem_free(t->schema);
	mem_free(t->name);
	mem_free(t->engine);
	mem_free(t->comment);
	region_schema_free(t->region_schema);
	for (uint32_t i = 0; t->options && i < t->noptions; i++) {
		mem_free(t->options[i].key);
		mem_free(t->options[i].value);
	}
	mem_free(t->options);
	free_strs(t->partition_cols, t->npartition_cols);
	free_strs(t->rules, t->nrules);
	mem_free(t);
}

struct cJSON *table_info_to_json(const struct table_info *t)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "table_id", t->table_id);
	cJSON_AddStringToObject(o, "catalog", t->catalog);
	cJSON_AddStringToObject(o, "schema", t->schema);
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddStringToObject(o, "engine", t->engine ? t->engine : "mito");
	if (t->comment)
		cJSON_AddStringToObject(o, "comment", t->comment);
	cJSON_AddNumberToObject(o, "created_ms", (double)t->created_ms);
	cJSON_AddItemToObject(o, "region_schema", region_schema_to_json(t->region_schema));
	cJSON *opts = cJSON_AddArrayToObject(o, "options");
	for (uint32_t i = 0; i < t->noptions; i++) {
		cJSON *kvp = cJSON_CreateArray();
		cJSON_AddItemToArray(kvp, cJSON_CreateString(t->options[i].key));
		cJSON_AddItemToArray(kvp, cJSON_CreateString(t->options[i].value));
		cJSON_AddItemToArray(opts, kvp);
	}
	cJSON *pc = cJSON_AddArrayToObject(o, "partition_columns");
	for (uint32_t i = 0; i < t->npartition_cols; i++)
		cJSON_AddItemToArray(pc, cJSON_CreateString(t->partition_cols[i]));
	cJSON *rules = cJSON_AddArrayToObject(o, "partition_rules");
	for (uint32_t i = 0; i < t->nrules; i++)
		cJSON_AddItemToArray(rules, cJSON_CreateString(t->rules[i]));
	return o;
}

static char *dup_str(const cJSON *j)
{
	return cJSON_IsString(j) ? mem_strdup(j->valuestring) : NULL;
}

static int str_array(const cJSON *a, char ***out, uint32_t *n)
{
	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(a))
		return ERR_OK;
	int cnt = cJSON_GetArraySize(a);
	*out = mem_calloc((size_t)(cnt ? cnt : 1), sizeof(char *));
	if (!*out)
		return ERR_NOMEM;
	const cJSON *it;
	cJSON_ArrayForEach(it, a)
	{
		if (!cJSON_IsString(it))
			return err_set(ERR_CORRUPT, "table info: expected a string array");
		if (!((*out)[(*n)++] = mem_strdup(it->valuestring)))
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/* Checked integer in [0, max] (ERR_CORRUPT naming the field otherwise). */
static int get_u64(const cJSON *x, const char *what, const char *field, uint64_t max,
		   uint64_t *out)
{
	return json_get_u64(x, what, field, max, out);
}

/* An optional one: absent or not a number keeps *out (the default). */
static int get_opt(const cJSON *x, const char *what, const char *field, uint64_t max,
		   uint64_t *out)
{
	return cJSON_IsNumber(x) ? json_get_u64(x, what, field, max, out) : ERR_OK;
}

int table_info_from_json(const struct cJSON *j, struct table_info **out)
{
	*out = NULL;
	struct table_info *t = mem_calloc(1, sizeof(*t));
	if (!t)
		return ERR_NOMEM;
	int rc = ERR_OK;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "table_id");
	t->catalog = dup_str(cJSON_GetObjectItemCaseSensitive(j, "catalog"));
	t->schema = dup_str(cJSON_GetObjectItemCaseSensitive(j, "schema"));
	t->name = dup_str(cJSON_GetObjectItemCaseSensitive(j, "name"));
	t->engine = dup_str(cJSON_GetObjectItemCaseSensitive(j, "engine"));
	t->comment = dup_str(cJSON_GetObjectItemCaseSensitive(j, "comment"));
	const cJSON *cm = cJSON_GetObjectItemCaseSensitive(j, "created_ms");
	if (!cJSON_IsNumber(id) || !t->catalog || !t->schema || !t->name) {
		rc = err_set(ERR_CORRUPT, "table info lacks id or names");
		goto out;
	}
	uint64_t tid = 0, cms = 0;
	if ((rc = get_u64(id, "table info", "table_id", UINT32_MAX, &tid)) ||
	    (rc = get_opt(cm, "table info", "created_ms", INT64_MAX, &cms)))
		goto out;
	t->table_id = (uint32_t)tid;
	t->created_ms = (int64_t)cms;
	if ((rc = region_schema_from_json(cJSON_GetObjectItemCaseSensitive(j, "region_schema"),
					  &t->region_schema)))
		goto out;
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(j, "options");
	if (cJSON_IsArray(opts)) {
		int n = cJSON_GetArraySize(opts);
		t->options = mem_calloc((size_t)(n ? n : 1), sizeof(*t->options));
		if (!t->options) {
			rc = ERR_NOMEM;
			goto out;
		}
		const cJSON *p;
		cJSON_ArrayForEach(p, opts)
		{
			const cJSON *k = cJSON_GetArrayItem(p, 0), *v = cJSON_GetArrayItem(p, 1);
			if (!cJSON_IsString(k) || !cJSON_IsString(v)) {
				rc = err_set(ERR_CORRUPT, "table info: bad option");
				goto out;
			}
			t->options[t->noptions].key = mem_strdup(k->valuestring);
			t->options[t->noptions].value = mem_strdup(v->valuestring);
			t->noptions++;
		}
	}
	if ((rc = str_array(cJSON_GetObjectItemCaseSensitive(j, "partition_columns"),
			    &t->partition_cols, &t->npartition_cols)))
		goto out;
	rc = str_array(cJSON_GetObjectItemCaseSensitive(j, "partition_rules"), &t->rules,
		       &t->nrules);
out:
	if (rc) {
		table_info_free(t);
		return rc;
	}
	*out = t;
	return ERR_OK;
}

struct table_info *table_info_clone(const struct table_info *t)
{
	cJSON *j = table_info_to_json(t);
	struct table_info *c = NULL;
	if (j)
		table_info_from_json(j, &c);
	cJSON_Delete(j);
	return c;
}

/* ---- table_route ------------------------------------------------------ */

void table_route_free(struct table_route *r)
{
	if (!r)
		return;
	mem_free(r->regions);
	mem_free(r);
}

struct table_route *table_route_clone(const struct table_route *r)
{
	struct table_route *c = mem_calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = *r;
	c->regions = mem_dup(r->regions, (size_t)(r->nregions ? r->nregions : 1) * sizeof(*r->regions));
	if (!c->regions) {
		mem_free(c);
		return NULL;
	}
	return c;
}

struct cJSON *table_route_to_json(const struct table_route *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "table_id", r->table_id);
	cJSON *regions = cJSON_AddArrayToObject(o, "regions");
	for (uint32_t i = 0; i < r->nregions; i++) {
		const struct region_route *rr = &r->regions[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "region_id", (double)rr->region_id);
		cJSON_AddNumberToObject(x, "leader", (double)rr->leader);
		cJSON *f = cJSON_AddArrayToObject(x, "followers");
		for (uint32_t k = 0; k < rr->nfollowers; k++)
			cJSON_AddItemToArray(f, cJSON_CreateNumber((double)rr->followers[k]));
		cJSON_AddBoolToObject(x, "leader_downgrading", rr->leader_downgrading);
		cJSON_AddNumberToObject(x, "leader_down_since_ms", (double)rr->leader_down_since_ms);
		cJSON_AddItemToArray(regions, x);
	}
	return o;
}

int table_route_from_json(const struct cJSON *j, struct table_route **out)
{
	*out = NULL;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "table_id");
	const cJSON *regions = cJSON_GetObjectItemCaseSensitive(j, "regions");
	if (!cJSON_IsNumber(id) || !cJSON_IsArray(regions))
		return err_set(ERR_CORRUPT, "table route lacks table_id or regions");
	struct table_route *r = mem_calloc(1, sizeof(*r));
	int n = cJSON_GetArraySize(regions);
	if (r)
		r->regions = mem_calloc((size_t)(n ? n : 1), sizeof(*r->regions));
	if (!r || !r->regions) {
		table_route_free(r);
		return ERR_NOMEM;
	}
	static const char W[] = "table route";
	uint64_t u = 0;
	int rc = get_u64(id, W, "table_id", UINT32_MAX, &u);
	r->table_id = (uint32_t)u;
	const cJSON *x;
	cJSON_ArrayForEach(x, regions)
	{
		if (rc)
			break;
		struct region_route *rr = &r->regions[r->nregions++];
		const cJSON *rid = cJSON_GetObjectItemCaseSensitive(x, "region_id");
		const cJSON *leader = cJSON_GetObjectItemCaseSensitive(x, "leader");
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(x, "followers");
		if (!cJSON_IsNumber(rid) || !cJSON_IsNumber(leader)) {
			rc = err_set(ERR_CORRUPT, "region route lacks region_id or leader");
			break;
		}
		if ((rc = get_u64(rid, W, "region_id", UINT64_MAX, &rr->region_id)) ||
		    (rc = get_u64(leader, W, "leader", UINT64_MAX, &rr->leader)))
			break;
		const cJSON *p;
		cJSON_ArrayForEach(p, f)
		{
			/* non-numbers are skipped as before; a bad number is corruption */
			if (!cJSON_IsNumber(p) || rr->nfollowers >= ROUTE_MAX_FOLLOWERS)
				continue;
			if ((rc = get_u64(p, W, "followers", UINT64_MAX,
					  &rr->followers[rr->nfollowers])))
				break;
			rr->nfollowers++;
		}
		rr->leader_downgrading =
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "leader_downgrading"));
		const cJSON *ds = cJSON_GetObjectItemCaseSensitive(x, "leader_down_since_ms");
		u = 0;
		if (!rc)
			rc = get_opt(ds, W, "leader_down_since_ms", INT64_MAX, &u);
		rr->leader_down_since_ms = (int64_t)u;
	}
	if (rc) {
		table_route_free(r);
		return rc;
	}
	*out = r;
	return ERR_OK;
}

/* ---- helpers ---------------------------------------------------------- */

static int get_json(struct kv *kv, const char *key, cJSON **out)
{
	uint8_t *v;
	size_t n;
	*out = NULL;
	int rc = kv_get(kv, key, &v, &n);
	if (rc)
		return rc;
	*out = cJSON_ParseWithLength((const char *)v, n);
	mem_free(v);
	if (!*out)
		return err_set(ERR_CORRUPT, "metadata %s is not valid JSON", key);
	return ERR_OK;
}

static char *print_json(cJSON *j)
{
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	return s;
}

/* ---- schemas ---------------------------------------------------------- */

int catalog_create_schema(struct kv *kv, const char *catalog, const char *schema,
			  bool if_not_exists, bool *created)
{
	char key[512];
	if (created)
		*created = false;
	snprintf(key, sizeof(key), "__schema/%s/%s", catalog, schema);
	char val[64];
	int n = snprintf(val, sizeof(val), "{\"created_ms\":%" PRId64 "}", clock_now_ms());
	struct kv_cmp cmp = {key, NULL, 0};
	struct kv_op op = {KV_PUT, key, val, (size_t)n};
	int rc = kv_txn(kv, &cmp, 1, &op, 1);
	if (rc == ERR_CONFLICT) {
		if (if_not_exists)
			return ERR_OK;
		return err_set(ERR_EXISTS, "Schema `%s` already exists", schema);
	}
	if (rc == ERR_OK && created)
		*created = true;
	return rc;
}

bool catalog_schema_exists(struct kv *kv, const char *catalog, const char *schema)
{
	char key[512];
	snprintf(key, sizeof(key), "__schema/%s/%s", catalog, schema);
	uint8_t *v;
	size_t n;
	if (kv_get(kv, key, &v, &n))
		return false;
	mem_free(v);
	return true;
}

int catalog_drop_schema(struct kv *kv, const char *catalog, const char *schema, bool if_exists,
			bool *dropped)
{
	if (dropped)
		*dropped = false;
	if (!catalog_schema_exists(kv, catalog, schema)) {
		if (if_exists)
			return ERR_OK;
		return err_set(ERR_NOT_FOUND, "Database not found: %s", schema);
	}
	struct table_info **tables;
	uint32_t n;
	int rc = catalog_list_tables(kv, catalog, schema, &tables, &n);
	for (uint32_t i = 0; rc == ERR_OK && i < n; i++)
		rc = catalog_drop_table(kv, tables[i]);
	catalog_free_tables(tables, n);
	if (rc)
		return rc;
	char key[512];
	snprintf(key, sizeof(key), "__schema/%s/%s", catalog, schema);
	rc = kv_delete(kv, key);
	if (rc == ERR_OK && dropped)
		*dropped = true;
	return rc;
}

int catalog_list_schemas(struct kv *kv, const char *catalog, char ***names, uint32_t *n)
{
	char prefix[256];
	snprintf(prefix, sizeof(prefix), "__schema/%s/", catalog);
	struct kv_list l;
	*names = NULL;
	*n = 0;
	int rc = kv_range(kv, prefix, &l);
	if (rc)
		return rc;
	*names = mem_calloc(l.n + 1, sizeof(char *));
	if (!*names) {
		kv_list_free(&l);
		return ERR_NOMEM;
	}
	for (size_t i = 0; i < l.n; i++)
		(*names)[(*n)++] = mem_strdup(l.items[i].key + strlen(prefix));
	kv_list_free(&l);
	return ERR_OK;
}

int catalog_bootstrap(struct kv *kv)
{
	int rc = catalog_create_schema(kv, CATALOG_DEFAULT, SCHEMA_DEFAULT, true, NULL);
	if (rc == ERR_OK)
		rc = catalog_create_schema(kv, CATALOG_DEFAULT, "greptime_private", true, NULL);
	return rc;
}

/* ---- tables ----------------------------------------------------------- */

static void name_key(char *key, size_t n, const char *catalog, const char *schema,
		     const char *table)
{
	snprintf(key, n, "__table_name/%s/%s/%s", catalog, schema, table);
}

int catalog_create_table(struct kv *kv, struct table_info *info, struct table_route *route,
			 bool if_not_exists, bool *created)
{
	if (created)
		*created = false;
	char nkey[1024], ikey[64], rkey[64];
	name_key(nkey, sizeof(nkey), info->catalog, info->schema, info->name);
	uint8_t *v;
	size_t vn;
	if (kv_get(kv, nkey, &v, &vn) == ERR_OK) {
		mem_free(v);
		if (if_not_exists)
			return ERR_OK;
		return err_set(ERR_EXISTS, "Table already exists: `%s.%s.%s`", info->catalog,
			       info->schema, info->name);
	}
	uint64_t id;
	int rc = kv_next_id(kv, "__table_id", MIN_USER_TABLE_ID, &id);
	if (rc)
		return rc;
	info->table_id = (uint32_t)id;
	route->table_id = (uint32_t)id;
	for (uint32_t i = 0; i < route->nregions; i++)
		route->regions[i].region_id = REGION_ID(id, i);
	if (!info->created_ms)
		info->created_ms = clock_now_ms();
	snprintf(ikey, sizeof(ikey), "__table_info/%u", info->table_id);
	snprintf(rkey, sizeof(rkey), "__table_route/%u", info->table_id);
	char nval[64];
	int nlen = snprintf(nval, sizeof(nval), "{\"table_id\":%u}", info->table_id);
	char *ival = print_json(table_info_to_json(info));
	char *rval = print_json(table_route_to_json(route));
	if (!ival || !rval) {
		rc = ERR_NOMEM;
		goto out;
	}
	struct kv_cmp cmp = {nkey, NULL, 0};
	struct kv_op ops[3] = {{KV_PUT, nkey, nval, (size_t)nlen},
			       {KV_PUT, ikey, ival, strlen(ival)},
			       {KV_PUT, rkey, rval, strlen(rval)}};
	rc = kv_txn(kv, &cmp, 1, ops, 3);
	if (rc == ERR_CONFLICT) {
		rc = if_not_exists ? ERR_OK
				   : err_set(ERR_EXISTS, "Table already exists: `%s.%s.%s`",
					     info->catalog, info->schema, info->name);
	} else if (rc == ERR_OK && created) {
		*created = true;
	}
out:
	cJSON_free(ival);
	cJSON_free(rval);
	return rc;
}

int catalog_get_table_by_id(struct kv *kv, uint32_t table_id, struct table_info **out)
{
	char key[64];
	snprintf(key, sizeof(key), "__table_info/%u", table_id);
	cJSON *j;
	int rc = get_json(kv, key, &j);
	if (rc)
		return rc;
	rc = table_info_from_json(j, out);
	cJSON_Delete(j);
	return rc;
}

int catalog_get_table(struct kv *kv, const char *catalog, const char *schema, const char *name,
		      struct table_info **out)
{
	*out = NULL;
	char key[1024];
	name_key(key, sizeof(key), catalog, schema, name);
	cJSON *j;
	int rc = get_json(kv, key, &j);
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_NOT_FOUND, "Table not found: %s.%s.%s", catalog, schema, name);
	if (rc)
		return rc;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "table_id");
	uint64_t tid = 0;
	if (get_u64(id, "table name entry", "table_id", UINT32_MAX, &tid))
		tid = 0;
	cJSON_Delete(j);
	if (!tid)
		return err_set(ERR_CORRUPT, "table name entry %s lacks table_id", key);
	return catalog_get_table_by_id(kv, (uint32_t)tid, out);
}

void catalog_free_tables(struct table_info **t, uint32_t n)
{
	for (uint32_t i = 0; t && i < n; i++)
		table_info_free(t[i]);
	mem_free(t);
}

int catalog_list_tables(struct kv *kv, const char *catalog, const char *schema,
			struct table_info ***out, uint32_t *n)
{
	char prefix[512];
	snprintf(prefix, sizeof(prefix), "__table_name/%s/%s/", catalog, schema);
	struct kv_list l;
	*out = NULL;
	*n = 0;
	int rc = kv_range(kv, prefix, &l);
	if (rc)
		return rc;
	*out = mem_calloc(l.n + 1, sizeof(**out));
	if (!*out) {
		kv_list_free(&l);
		return ERR_NOMEM;
	}
	for (size_t i = 0; i < l.n && rc == ERR_OK; i++) {
		struct table_info *t;
		rc = catalog_get_table(kv, catalog, schema, l.items[i].key + strlen(prefix), &t);
		if (rc == ERR_OK)
			(*out)[(*n)++] = t;
	}
	kv_list_free(&l);
	if (rc) {
		catalog_free_tables(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int catalog_drop_table(struct kv *kv, const struct table_info *info)
{
	char nkey[1024], ikey[64], rkey[64];
	name_key(nkey, sizeof(nkey), info->catalog, info->schema, info->name);
	snprintf(ikey, sizeof(ikey), "__table_info/%u", info->table_id);
	snprintf(rkey, sizeof(rkey), "__table_route/%u", info->table_id);
	struct kv_op ops[3] = {{KV_DELETE, nkey, NULL, 0},
			       {KV_DELETE, ikey, NULL, 0},
			       {KV_DELETE, rkey, NULL, 0}};
	return kv_txn(kv, NULL, 0, ops, 3);
}

int catalog_update_table(struct kv *kv, const struct table_info *info)
{
	char ikey[64];
	snprintf(ikey, sizeof(ikey), "__table_info/%u", info->table_id);
	char *ival = print_json(table_info_to_json(info));
	if (!ival)
		return ERR_NOMEM;
	int rc = kv_put(kv, ikey, ival, strlen(ival));
	cJSON_free(ival);
	return rc;
}

int catalog_get_route(struct kv *kv, uint32_t table_id, struct table_route **out)
{
	char key[64];
	snprintf(key, sizeof(key), "__table_route/%u", table_id);
	cJSON *j;
	*out = NULL;
	int rc = get_json(kv, key, &j);
	if (rc)
		return rc;
	rc = table_route_from_json(j, out);
	cJSON_Delete(j);
	return rc;
}

int catalog_cas_route(struct kv *kv, const struct table_route *expected,
		      const struct table_route *next)
{
	char key[64];
	snprintf(key, sizeof(key), "__table_route/%u", next->table_id);
	char *old = print_json(table_route_to_json(expected));
	char *val = print_json(table_route_to_json(next));
	int rc = ERR_NOMEM;
	if (old && val) {
		struct kv_cmp cmp = {key, old, strlen(old)};
		struct kv_op op = {KV_PUT, key, val, strlen(val)};
		rc = kv_txn(kv, &cmp, 1, &op, 1);
	}
	cJSON_free(old);
	cJSON_free(val);
	return rc;
}
