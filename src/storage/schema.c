/* schema: region schemas and their JSON form. See schema.h. */
#include "storage/schema.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "base/err.h"
#include "base/json_num.h"
#include "base/mem.h"

static const char *sem_names[] = {"TAG", "FIELD", "TIMESTAMP"};

int region_schema_find(const struct region_schema *s, const char *name)
{
	for (uint32_t i = 0; i < s->ncols; i++)
		if (!strcmp(s->cols[i].name, name))
			return (int)i;
	return -1;
}

int region_schema_validate(const struct region_schema *s)
{
	int nts = 0;
	if (s->ncols == 0)
		return err_set(ERR_BAD_INPUT, "region schema has no columns");
	for (uint32_t i = 0; i < s->ncols; i++) {
		const struct column_schema *c = &s->cols[i];
		if (!c->name || !*c->name)
			return err_set(ERR_BAD_INPUT, "column %u has no name", i);
		if (c->type >= DT__COUNT)
			return err_set(ERR_BAD_INPUT, "column %s has a bad type", c->name);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(s->cols[j].name, c->name))
				return err_set(ERR_BAD_INPUT, "duplicate column %s", c->name);
		if (c->sem == SEM_TIMESTAMP) {
			nts++;
			if (!dtype_is_timestamp(c->type))
				return err_set(ERR_BAD_INPUT, "time index column %s must be a timestamp",
					       c->name);
			if (s->ts_col != i)
				return err_set(ERR_BAD_INPUT, "ts_col does not name the time index");
		}
	}
	if (nts != 1)
		return err_set(ERR_BAD_INPUT, "expected exactly one time index, found %d", nts);
	uint32_t ntags = 0;
	for (uint32_t i = 0; i < s->ncols; i++)
		ntags += s->cols[i].sem == SEM_TAG;
	if (ntags != s->npk)
		return err_set(ERR_BAD_INPUT, "primary key lists %u columns but %u are tags", s->npk,
			       ntags);
	for (uint32_t k = 0; k < s->npk; k++)
		if (s->pk_cols[k] >= s->ncols || s->cols[s->pk_cols[k]].sem != SEM_TAG)
			return err_set(ERR_BAD_INPUT, "primary key entry %u is not a tag", k);
	return ERR_OK;
}

void region_schema_free(struct region_schema *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->ncols && s->cols; i++) {
		mem_free(s->cols[i].name);
		mem_free(s->cols[i].default_sql);
	}
	mem_free(s->cols);
	mem_free(s->pk_cols);
	mem_free(s);
}

struct region_schema *region_schema_clone(const struct region_schema *s)
{
	struct region_schema *c = mem_calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = *s;
	c->cols = mem_calloc(s->ncols ? s->ncols : 1, sizeof(*c->cols));
	c->pk_cols = mem_calloc(s->npk ? s->npk : 1, sizeof(uint32_t));
	if (!c->cols || !c->pk_cols)
		goto fail;
	c->ncols = 0;
	for (uint32_t i = 0; i < s->ncols; i++) {
		c->cols[i] = s->cols[i];
		c->cols[i].name = mem_strdup(s->cols[i].name);
		c->cols[i].default_sql =
			s->cols[i].default_sql ? mem_strdup(s->cols[i].default_sql) : NULL;
		c->ncols++;
		if (!c->cols[i].name || (s->cols[i].default_sql && !c->cols[i].default_sql))
			goto fail;
	}
	memcpy(c->pk_cols, s->pk_cols, s->npk * sizeof(uint32_t));
	return c;
fail:
	region_schema_free(c);
	return NULL;
}

struct cJSON *region_schema_to_json(const struct region_schema *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *cols = cJSON_AddArrayToObject(o, "columns");
	for (uint32_t i = 0; i < s->ncols; i++) {
		const struct column_schema *c = &s->cols[i];
		cJSON *jc = cJSON_CreateObject();
		cJSON_AddStringToObject(jc, "name", c->name);
		cJSON_AddStringToObject(jc, "type", dtype_name(c->type));
		cJSON_AddStringToObject(jc, "semantic", sem_names[c->sem]);
		cJSON_AddBoolToObject(jc, "nullable", c->nullable);
		cJSON_AddNumberToObject(jc, "column_id", c->column_id);
		if (c->default_sql)
			cJSON_AddStringToObject(jc, "default", c->default_sql);
		cJSON_AddItemToArray(cols, jc);
	}
	cJSON *pk = cJSON_AddArrayToObject(o, "primary_key");
	for (uint32_t k = 0; k < s->npk; k++)
		cJSON_AddItemToArray(pk, cJSON_CreateNumber(s->pk_cols[k]));
	cJSON_AddNumberToObject(o, "time_index", s->ts_col);
	cJSON *op = cJSON_AddObjectToObject(o, "options");
	cJSON_AddBoolToObject(op, "append_mode", s->opts.append_mode);
	cJSON_AddStringToObject(op, "merge_mode",
				s->opts.merge_mode == MERGE_LAST_NON_NULL ? "last_non_null" : "last_row");
	cJSON_AddNumberToObject(op, "ttl_ms", (double)s->opts.ttl_ms);
	cJSON_AddNumberToObject(op, "compaction_window_s", (double)s->opts.compaction_window_s);
	cJSON_AddNumberToObject(op, "write_buffer_size", (double)s->opts.write_buffer_size);
	cJSON_AddNumberToObject(o, "version", (double)s->version);
	if (!cols || !pk || !op) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int bad(const char *what)
{
	return err_set(ERR_CORRUPT, "region schema JSON: %s", what);
}

/* A checked integer in [0, max] (ERR_CORRUPT naming the field otherwise). */
static int get_u64(const cJSON *x, const char *field, uint64_t max, uint64_t *out)
{
	return json_get_u64(x, "region schema JSON", field, max, out);
}

/* An optional one: absent or not a number keeps *out (the default). */
static int get_opt(const cJSON *x, const char *field, uint64_t max, uint64_t *out)
{
	return cJSON_IsNumber(x) ? get_u64(x, field, max, out) : ERR_OK;
}

int region_schema_from_json(const struct cJSON *j, struct region_schema **out)
{
	*out = NULL;
	int rc = ERR_OK;
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(j, "columns");
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(j, "primary_key");
	const cJSON *ti = cJSON_GetObjectItemCaseSensitive(j, "time_index");
	if (!cJSON_IsArray(cols) || !cJSON_IsArray(pk) || !cJSON_IsNumber(ti)) {
		rc = bad("missing columns, primary_key or time_index");
		goto out;
	}
	int n = cJSON_GetArraySize(cols);
	int npk = cJSON_GetArraySize(pk);
	s->cols = mem_calloc((size_t)(n ? n : 1), sizeof(*s->cols));
	s->pk_cols = mem_calloc((size_t)(npk ? npk : 1), sizeof(uint32_t));
	if (!s->cols || !s->pk_cols) {
		rc = ERR_NOMEM;
		goto out;
	}
	const cJSON *c;
	cJSON_ArrayForEach(c, cols)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(c, "type");
		const cJSON *sem = cJSON_GetObjectItemCaseSensitive(c, "semantic");
		const cJSON *nul = cJSON_GetObjectItemCaseSensitive(c, "nullable");
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(c, "column_id");
		const cJSON *def = cJSON_GetObjectItemCaseSensitive(c, "default");
		if (!cJSON_IsString(name) || !cJSON_IsString(type) || !cJSON_IsString(sem)) {
			rc = bad("column lacks name, type or semantic");
			goto out;
		}
		int t = dtype_from_name(type->valuestring);
		int sm = -1;
		for (int k = 0; k < 3; k++)
			if (!strcmp(sem_names[k], sem->valuestring))
				sm = k;
		if (t < 0 || sm < 0) {
			rc = bad("unknown column type or semantic");
			goto out;
		}
		uint64_t u = s->ncols;
		if ((rc = get_opt(cid, "column_id", UINT32_MAX, &u)))
			goto out; /* before anything of this column is allocated */
		struct column_schema *cs = &s->cols[s->ncols];
		cs->name = mem_strdup(name->valuestring);
		cs->type = (enum dtype)t;
		cs->sem = (enum semantic_type)sm;
		cs->nullable = cJSON_IsTrue(nul);
		cs->column_id = (uint32_t)u;
		cs->default_sql = cJSON_IsString(def) ? mem_strdup(def->valuestring) : NULL;
		s->ncols++;
		if (!cs->name) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
	cJSON_ArrayForEach(c, pk)
	{
		uint64_t u;
		if (n == 0 || get_u64(c, "primary_key index", (uint64_t)n - 1, &u)) {
			rc = bad("bad primary key index");
			goto out;
		}
		s->pk_cols[s->npk++] = (uint32_t)u;
	}
	uint64_t u = 0;
	if (n == 0 || get_u64(ti, "time_index", (uint64_t)n - 1, &u)) {
		rc = bad("bad time index");
		goto out;
	}
	s->ts_col = (uint32_t)u;
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "options");
	if (cJSON_IsObject(op)) {
		const cJSON *x;
		s->opts.append_mode = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op, "append_mode"));
		x = cJSON_GetObjectItemCaseSensitive(op, "merge_mode");
		s->opts.merge_mode = cJSON_IsString(x) && !strcmp(x->valuestring, "last_non_null")
					     ? MERGE_LAST_NON_NULL
					     : MERGE_LAST_ROW;
		uint64_t ttl = 0, cw = 0, wbs = 0;
		if ((rc = get_opt(cJSON_GetObjectItemCaseSensitive(op, "ttl_ms"), "ttl_ms",
				  INT64_MAX, &ttl)) ||
		    (rc = get_opt(cJSON_GetObjectItemCaseSensitive(op, "compaction_window_s"),
				  "compaction_window_s", INT64_MAX, &cw)) ||
		    (rc = get_opt(cJSON_GetObjectItemCaseSensitive(op, "write_buffer_size"),
				  "write_buffer_size", UINT64_MAX, &wbs)))
			goto out;
		s->opts.ttl_ms = (int64_t)ttl;
		s->opts.compaction_window_s = (int64_t)cw;
		s->opts.write_buffer_size = wbs;
	}
	u = 0;
	if ((rc = get_opt(cJSON_GetObjectItemCaseSensitive(j, "version"), "version", UINT64_MAX,
			  &u)))
		goto out;
	s->version = u;
	if (region_schema_validate(s)) {
		rc = err_set(ERR_CORRUPT, "region schema JSON: %s", err_msg());
		goto out;
	}
out:
	if (rc) {
		region_schema_free(s);
		return rc;
	}
	*out = s;
	return ERR_OK;
}

void region_schema_internal_types(const struct region_schema *s, enum dtype *types)
{
	for (uint32_t i = 0; i < s->ncols; i++)
		types[i] = s->cols[i].type;
	types[s->ncols] = DT_BINARY;
	types[s->ncols + 1] = DT_UINT64;
	types[s->ncols + 2] = DT_UINT8;
}
