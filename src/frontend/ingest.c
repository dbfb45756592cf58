/*
 * ingest: InfluxDB line protocol writes (HTTP /v1/influxdb/write and
 * /api/v2/write) into tables of the session's schema.
 *
 * A measurement without a table creates one, as GreptimeDB does: the tags
 * (STRING) form the primary key in order of first appearance, the fields
 * keep their line-protocol types, and the time index is
 * greptime_timestamp TIMESTAMP(9), in the parser's column order. For an
 * existing table each line-protocol column is matched by name: tags and
 * string fields must land in STRING columns, numbers in numeric columns
 * (integers widen to floats), booleans in BOOLEAN columns; the timestamp
 * is converted to the unit of the table's time index. Fields and tags the
 * table lacks are added first (nullable, the line-protocol type; a tag
 * joins the end of the primary key; the same schema change as ALTER TABLE
 * ADD COLUMN, under the DDL lock), as GreptimeDB does. Columns the write
 * lacks take their constant DEFAULT, else NULL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "frontend/alter.h"
#include "frontend/frontend_int.h"
#include "server/line_protocol.h"
#include "storage/schema_alter.h"

static int create_for(struct fe_ctx *c, const struct lp_table *lt)
{
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->cols = mem_calloc(lt->ncols, sizeof(*s->cols));
	s->pk_cols = mem_calloc(lt->ncols, sizeof(uint32_t));
	if (!s->cols || !s->pk_cols) {
		region_schema_free(s);
		return ERR_NOMEM;
	}
	for (uint32_t i = 0; i < lt->ncols; i++) {
		const struct lp_column *lc = &lt->cols[i];
		struct column_schema *cs = &s->cols[i];
		cs->name = mem_strdup(lc->name);
		if (!cs->name) {
			region_schema_free(s);
			return ERR_NOMEM;
		}
		s->ncols++;
		cs->type = lc->type;
		cs->column_id = i;
		cs->nullable = lc->kind != LP_TIMESTAMP;
		if (lc->kind == LP_TAG) {
			cs->sem = SEM_TAG;
			s->pk_cols[s->npk++] = i;
		} else if (lc->kind == LP_TIMESTAMP) {
			cs->sem = SEM_TIMESTAMP;
			s->ts_col = i;
		} else {
			cs->sem = SEM_FIELD;
		}
	}
	return fe_create_table_from_schema(c, c->s->catalog, c->s->schema, lt->name, s);
}

static bool convertible(enum dtype from, enum dtype to)
{
	if (from == to)
		return true;
	if (dtype_phys(from) == PHYS_BYTES)
		return to == DT_STRING || to == DT_BINARY;
	if (from == DT_BOOL)
		return to == DT_BOOL;
	if (dtype_is_timestamp(from))
		return dtype_is_timestamp(to);
	/* numbers */
	if (to == DT_FLOAT64 || to == DT_FLOAT32)
		return true;
	return dtype_is_integer(to) && dtype_is_integer(from);
}

static int convert_column(const struct column_schema *cs, const struct colvec *src,
                          struct colvec *dst, uint32_t n)
{
	if (src->type == cs->type ||
	    (dtype_phys(src->type) == PHYS_BYTES && dtype_phys(cs->type) == PHYS_BYTES))
		return colvec_append_range(dst, src, 0, n);
	int64_t ups_from = dtype_ts_units_per_sec(src->type),
	        ups_to = dtype_ts_units_per_sec(cs->type);
	for (uint32_t i = 0; i < n; i++) {
		if (colvec_is_null(src, i)) {
			if (colvec_push_null(dst))
				return ERR_NOMEM;
			continue;
		}
		int rc;
		if (dtype_is_timestamp(cs->type)) {
			int64_t v = src->i64[i];
			v = ups_from > ups_to ? v / (ups_from / ups_to) : v * (ups_to / ups_from);
			rc = colvec_push_i64(dst, v);
		} else if (dtype_phys(cs->type) == PHYS_F64) {
			double d = dtype_phys(src->type) == PHYS_F64
			               ? src->f64[i]
			               : (src->type == DT_UINT64 ? (double)(uint64_t)src->i64[i]
			                                         : (double)src->i64[i]);
			rc = colvec_push_f64(dst, d);
		} else {
			int64_t v = src->i64[i];
			bool neg_to_unsigned =
			    dtype_is_unsigned(cs->type) && src->type != DT_UINT64 && v < 0;
			bool big_to_signed =
			    !dtype_is_unsigned(cs->type) && src->type == DT_UINT64 && v < 0;
			if (neg_to_unsigned || big_to_signed)
				return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
				               "value of column %s out of range for %s", cs->name,
				               dtype_name(cs->type));
			rc = colvec_push_i64(dst, v);
		}
		if (rc)
			return rc;
	}
	return ERR_OK;
}

/* A parsed column of type `from` is already a column of type `to`: the
 * same dtype, or both byte strings (string / binary share the layout). */
static bool can_alias(enum dtype from, enum dtype to)
{
	return from == to || (dtype_phys(from) == PHYS_BYTES && dtype_phys(to) == PHYS_BYTES);
}

static int write_table(struct fe_ctx *c, const struct lp_table *lt, const struct table_info *t,
                       const struct table_route *route)
{
	const struct region_schema *s = t->region_schema;
	int *map = mem_alloc(s->ncols * sizeof(int));
	enum dtype *types = mem_alloc(s->ncols * sizeof(enum dtype));
	bool *alias = mem_calloc(s->ncols ? s->ncols : 1, sizeof(bool));
	struct batch b;
	memset(&b, 0, sizeof(b));
	int rc = ERR_NOMEM;
	if (!map || !types || !alias)
		goto out;
	for (uint32_t i = 0; i < s->ncols; i++) {
		map[i] = -1;
		types[i] = s->cols[i].type;
	}
	for (uint32_t k = 0; k < lt->ncols; k++) {
		const struct lp_column *lc = &lt->cols[k];
		int ci =
		    lc->kind == LP_TIMESTAMP ? (int)s->ts_col : region_schema_find(s, lc->name);
		if (ci < 0) {
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			             "Column %s not found in table %s", lc->name, t->name);
			goto out;
		}
		const struct column_schema *cs = &s->cols[ci];
		if ((lc->kind == LP_TIMESTAMP) != (cs->sem == SEM_TIMESTAMP) ||
		    !convertible(lc->type, cs->type)) {
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			             "Column %s of table %s has type %s, got %s in line protocol",
			             cs->name, t->name, dtype_name(cs->type), dtype_name(lc->type));
			goto out;
		}
		map[ci] = (int)k;
	}
	if ((rc = batch_init(&b, s->ncols, types)))
		goto out;
	uint32_t n = lt->rows.nrows;
	for (uint32_t i = 0; rc == ERR_OK && i < s->ncols; i++) {
		const struct column_schema *cs = &s->cols[i];
		if (map[i] >= 0) {
			const struct colvec *src = &lt->rows.cols[map[i]];
			if (src->len == n && can_alias(src->type, cs->type)) {
				/* same representation: the batch borrows the parsed
				 * column (read-only below; given back before the free) */
				b.cols[i] = *src;
				b.cols[i].type = cs->type;
				alias[i] = true;
				continue;
			}
			rc = convert_column(cs, src, &b.cols[i], n);
			continue;
		}
		if (!cs->nullable && cs->sem == SEM_FIELD) {
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			             "Column %s of table %s is not nullable and missing in the "
			             "write",
			             cs->name, t->name);
			break;
		}
		struct datum fill;
		char *owned = NULL;
		if (column_fill_datum(cs, &fill, &owned)) {
			err_clear();
			fill.is_null = true;
		}
		for (uint32_t r = 0; rc == ERR_OK && r < n; r++)
			rc = colvec_push_datum(&b.cols[i], &fill);
		mem_free(owned);
	}
	if (rc == ERR_OK) {
		b.nrows = n;
		rc = fe_write_rows(c, t, route, &b, OP_PUT);
	}
out:
	if (b.cols) {
		for (uint32_t i = 0; i < s->ncols; i++)
			if (alias[i])
				colvec_init(&b.cols[i], types[i]);
		batch_free(&b);
	}
	mem_free(map);
	mem_free(types);
	mem_free(alias);
	return rc;
}

/* Add the fields and tags of lt that t lacks (t is re-read under the
 * exclusive DDL lock: another writer may have added them meanwhile). */
static int add_missing_columns(struct fe_ctx *c, const struct lp_table *lt, struct table_info **t)
{
	uint32_t nmissing = 0;
	for (uint32_t k = 0; k < lt->ncols; k++)
		if (lt->cols[k].kind != LP_TIMESTAMP &&
		    region_schema_find((*t)->region_schema, lt->cols[k].name) < 0)
			nmissing++;
	if (nmissing == 0)
		return ERR_OK;
	pthread_rwlock_wrlock(&c->fe->ddl);
	table_info_free(*t);
	*t = NULL;
	int rc = catalog_get_table(c->fe->kv, c->s->catalog, c->s->schema, lt->name, t);
	struct fe_new_field *f = mem_calloc(nmissing, sizeof(*f));
	uint32_t n = 0;
	if (rc == ERR_OK && !f)
		rc = ERR_NOMEM;
	for (uint32_t k = 0; rc == ERR_OK && k < lt->ncols; k++) {
		const struct lp_column *lc = &lt->cols[k];
		if (lc->kind == LP_TIMESTAMP || region_schema_find((*t)->region_schema, lc->name) >= 0)
			continue;
		if (n < nmissing)
			f[n++] = (struct fe_new_field){
			    .name = lc->name, .type = lc->type, .tag = lc->kind == LP_TAG};
	}
	if (rc == ERR_OK && n)
		rc = fe_alter_add_fields(c, *t, f, n);
	pthread_rwlock_unlock(&c->fe->ddl);
	mem_free(f);
	return rc;
}

static int ingest_once(struct fe_ctx *c, const struct lp_table *lt, uint64_t *version)
{
	*version = 0;
	struct table_info *t = NULL;
	struct table_route *route = NULL;
	pthread_rwlock_rdlock(&c->fe->ddl);
	int rc = catalog_get_table(c->fe->kv, c->s->catalog, c->s->schema, lt->name, &t);
	pthread_rwlock_unlock(&c->fe->ddl);
	if (rc == ERR_NOT_FOUND) {
		err_clear();
		pthread_rwlock_wrlock(&c->fe->ddl);
		rc = create_for(c, lt);
		pthread_rwlock_unlock(&c->fe->ddl);
		if (rc)
			return rc;
	} else if (rc) {
		return rc;
	}
	if (t && (rc = add_missing_columns(c, lt, &t))) {
		table_info_free(t);
		return rc;
	}
	pthread_rwlock_rdlock(&c->fe->ddl);
	if (t) {
		/* re-read: the schema may have changed since (another ALTER) */
		table_info_free(t);
		t = NULL;
	}
	rc = catalog_get_table(c->fe->kv, c->s->catalog, c->s->schema, lt->name, &t);
	if (rc == ERR_OK) {
		*version = t->region_schema->version;
		rc = catalog_get_route(c->fe->kv, t->table_id, &route);
	}
	if (rc == ERR_OK)
		rc = write_table(c, lt, t, route);
	pthread_rwlock_unlock(&c->fe->ddl);
	table_info_free(t);
	table_route_free(route);
	return rc;
}

/* One table's rows; a write refused because the table's columns changed
 * meanwhile (another frontend's ALTER) is rebuilt against the new schema
 * and retried once (fe_schema_changed_under). */
static int ingest_table(struct fe_ctx *c, const struct lp_table *lt)
{
	uint64_t version;
	struct fe_written_regions written = {.n = 0};
	c->written = &written;
	int rc = ingest_once(c, lt, &version);
	if (rc && fe_schema_changed_under(c, rc, c->s->catalog, c->s->schema, lt->name, version))
		rc = ingest_once(c, lt, &version);
	c->written = NULL;
	return rc;
}

int frontend_ingest(void *ctx, struct session *s, const struct lp_batch *batch)
{
	struct frontend *fe = ctx;
	struct arena *a = arena_create(0);
	if (!a)
		return ERR_NOMEM;
	struct fe_ctx c;
	memset(&c, 0, sizeof(c));
	c.fe = fe;
	c.s = s;
	c.a = a;
	c.env.ctx = &c;
	c.env.resolve_table = fe_resolve_table;
	c.env.call_function = fe_call_function;
	c.env.now_ms = clock_now_ms();
	fe_status_reset();
	int rc = ERR_OK;
	if (!fe_schema_exists(&c, s->catalog, s->schema))
		rc = err_set(ERR_NOT_FOUND, "Database not found: %s", s->schema);
	for (uint32_t i = 0; rc == ERR_OK && i < batch->ntables; i++) {
		rc = ingest_table(&c, batch->tables[i]);
		if (rc == ERR_OK)
			atomic_fetch_add(&fe->n_ingest_rows, batch->tables[i]->rows.nrows);
	}
	arena_destroy(a);
	return rc;
}
