/*
 * dml: INSERT / REPLACE (VALUES or SELECT) and DELETE ... WHERE, and
 * fe_write_rows, which splits rows by the table's partition rules and
 * writes each region's share in one region write.
 *
 * INSERT builds one batch in the table's column order: listed columns
 * take the converted values (values.c rules), the others their DEFAULT
 * (evaluated once per statement: constants, current_timestamp()), NULL
 * when nullable, else GreptimeDB's "No valid default value can be built
 * automatically, column: c". Nothing is written unless every row
 * converts.
 *
 * DELETE scans each region of the table, evaluates the WHERE clause over
 * the scanned rows (a built-in evaluator for simple comparisons, the SQL
 * engine for anything else), and writes the matching rows back to the
 * same region as OP_DELETE tombstones (their key and time index identify
 * them). Append-mode tables refuse DELETE, as in GreptimeDB.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/log.h"
#include "base/mem.h"
#include "storage/region.h"
#include "frontend/frontend_int.h"
#include "sql/parser.h"

/* ---- writing ------------------------------------------------------------- */

static bool region_written(const struct fe_ctx *c, uint64_t region_id)
{
	if (!c->written)
		return false;
	for (uint32_t i = 0; i < c->written->n; i++)
		if (c->written->ids[i] == region_id)
			return true;
	return false;
}

/* One region's share: skipped when an earlier attempt of this statement
 * wrote it, recorded once acknowledged. */
static int write_share(struct fe_ctx *c, const struct region_route *rr, const struct batch *rows,
                       enum op_type op, uint64_t ver)
{
	if (region_written(c, rr->region_id))
		return ERR_OK;
	/* a test holds a multi-region write between its shares here */
	int rc = fault_hit(FAULT_FRONTEND_WRITE_SHARE);
	if (rc == ERR_OK)
		rc = fe_region_write(c->fe, rr, rows, op, ver);
	if (rc == ERR_OK)
		atomic_fetch_add(&c->fe->n_rows_written, rows->nrows);
	if (rc == ERR_OK && c->written) {
		struct fe_written_regions *w = c->written;
		if (w->n < sizeof(w->ids) / sizeof(w->ids[0]))
			w->ids[w->n++] = rr->region_id;
		else
			w->overflow = true;
	}
	return rc;
}

int fe_write_rows(struct fe_ctx *c, const struct table_info *t, const struct table_route *route,
                  const struct batch *rows, enum op_type op)
{
	if (rows->nrows == 0)
		return ERR_OK;
	uint64_t ver = t->region_schema->version; /* the layout of `rows` */
	int rc;
	if (t->nrules == 0 || route->nregions == 1) {
		rc = write_share(c, &route->regions[0], rows, op, ver);
		goto out;
	}
	struct part_rules *pr = NULL;
	uint32_t *region = mem_alloc(rows->nrows * sizeof(uint32_t));
	uint32_t *count = mem_calloc(route->nregions, sizeof(uint32_t));
	rc = ERR_NOMEM;
	if (!region || !count)
		goto done;
	if ((rc = part_rules_compile(t, &pr)) || (rc = part_rules_route(pr, rows, region)))
		goto done;
	for (uint32_t i = 0; i < rows->nrows; i++) {
		if (region[i] >= route->nregions)
			region[i] = 0;
		count[region[i]]++;
	}
	enum dtype *types = mem_alloc(rows->ncols * sizeof(enum dtype));
	if (!types) {
		rc = ERR_NOMEM;
		goto done;
	}
	for (uint32_t k = 0; k < rows->ncols; k++)
		types[k] = rows->cols[k].type;
	for (uint32_t r = 0; rc == ERR_OK && r < route->nregions; r++) {
		if (!count[r])
			continue;
		if (count[r] == rows->nrows) {
			rc = write_share(c, &route->regions[r], rows, op, ver);
			break;
		}
		if (region_written(c, route->regions[r].region_id))
			continue;
		struct batch part;
		if ((rc = batch_init(&part, rows->ncols, types)))
			break;
		for (uint32_t i = 0; rc == ERR_OK && i < rows->nrows; i++)
			if (region[i] == r)
				rc = batch_push_row(&part, rows, i);
		if (rc == ERR_OK)
			rc = write_share(c, &route->regions[r], &part, op, ver);
		batch_free(&part);
	}
	mem_free(types);
done:
	part_rules_free(pr);
	mem_free(region);
	mem_free(count);
out:
	if (rc == ERR_BAD_INPUT)
		rc = fe_fail(GT_INVALID_ARGUMENTS, rc, "Invalid request to region, reason: %s",
		             err_msg());
	return rc;
}

/* ---- INSERT -------------------------------------------------------------- */

static int default_datum(struct fe_ctx *c, const struct column_schema *cs, struct datum *out)
{
	memset(out, 0, sizeof(*out));
	out->type = cs->type;
	if (cs->default_sql) {
		struct sql_expr *e;
		int rc = sql_parse_expr(cs->default_sql, strlen(cs->default_sql),
		                        SQL_DIALECT_GREPTIME, c->a, &e);
		if (rc)
			return rc;
		return fe_value_from_expr(c, cs->name, cs->type, e, out);
	}
	if (cs->nullable && cs->sem != SEM_TIMESTAMP) {
		out->is_null = true;
		return ERR_OK;
	}
	return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
	               "No valid default value can be built automatically, column: %s", cs->name);
}

struct insert_plan {
	const struct region_schema *s;
	uint32_t ntarget;
	uint32_t *target;   /* schema column per listed position */
	bool *listed;       /* per schema column */
	struct datum *defs; /* per schema column, valid when def_ok */
	bool *def_ok;
	int *def_err; /* error of the default (reported when used) */
};

static int get_default(struct fe_ctx *c, struct insert_plan *p, uint32_t col, struct datum *d)
{
	if (!p->def_ok[col] && !p->def_err[col]) {
		int rc = default_datum(c, &p->s->cols[col], &p->defs[col]);
		if (rc)
			p->def_err[col] = rc;
		else
			p->def_ok[col] = true;
	}
	if (!p->def_ok[col])
		return default_datum(c, &p->s->cols[col], d); /* sets the error again */
	*d = p->defs[col];
	return ERR_OK;
}

static int check_null(const struct column_schema *cs, const struct datum *d)
{
	if (d->is_null && (!cs->nullable || cs->sem == SEM_TIMESTAMP))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Invalid argument: column %s is not nullable, but got a NULL value",
		               cs->name);
	return ERR_OK;
}

static int plan_insert(struct fe_ctx *c, const struct table_info *t, struct insert_plan *p)
{
	const struct region_schema *s = t->region_schema;
	memset(p, 0, sizeof(*p));
	p->s = s;
	uint32_t n = s->ncols;
	p->target = arena_alloc(c->a, (n + c->st->u.insert.ncols + 1) * sizeof(uint32_t));
	p->listed = arena_alloc(c->a, n * sizeof(bool));
	p->defs = arena_alloc(c->a, n * sizeof(struct datum));
	p->def_ok = arena_alloc(c->a, n * sizeof(bool));
	p->def_err = arena_alloc(c->a, n * sizeof(int));
	if (!p->target || !p->listed || !p->defs || !p->def_ok || !p->def_err)
		return ERR_NOMEM;
	memset(p->listed, 0, n * sizeof(bool));
	memset(p->def_ok, 0, n * sizeof(bool));
	memset(p->def_err, 0, n * sizeof(int));
	if (c->st->u.insert.ncols == 0) {
		p->ntarget = n;
		for (uint32_t i = 0; i < n; i++) {
			p->target[i] = i;
			p->listed[i] = true;
		}
		return ERR_OK;
	}
	for (size_t i = 0; i < c->st->u.insert.ncols; i++) {
		const struct sql_ident *id = &c->st->u.insert.cols[i];
		int k = region_schema_find(s, id->name);
		if (k < 0)
			return fe_fail(GT_COLUMN_NOT_FOUND, ERR_NOT_FOUND,
			               "Column %s not found in table %s", id->raw, t->name);
		if (p->listed[k])
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid SQL, error: column %s is specified more than once",
			               id->raw);
		p->listed[k] = true;
		p->target[p->ntarget++] = (uint32_t)k;
	}
	return ERR_OK;
}

static int fill_unlisted(struct fe_ctx *c, struct insert_plan *p, struct batch *b)
{
	for (uint32_t col = 0; col < p->s->ncols; col++) {
		if (p->listed[col])
			continue;
		struct datum d;
		int rc = get_default(c, p, col, &d);
		if (rc || (rc = check_null(&p->s->cols[col], &d)) ||
		    (rc = colvec_push_datum(&b->cols[col], &d)))
			return rc;
	}
	return ERR_OK;
}

static int insert_values(struct fe_ctx *c, struct insert_plan *p, const struct sql_values *v,
                         struct batch *b)
{
	for (size_t r = 0; r < v->nrows; r++) {
		if (v->widths[r] != p->ntarget)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid SQL, error: column count mismatch, columns: %u, "
			               "values: %zu",
			               p->ntarget, v->widths[r]);
	}
	for (size_t r = 0; r < v->nrows; r++) {
		for (uint32_t k = 0; k < p->ntarget; k++) {
			uint32_t col = p->target[k];
			const struct column_schema *cs = &p->s->cols[col];
			const struct sql_expr *e = v->rows[r][k];
			struct datum d;
			int rc;
			if (e->kind == SQL_E_DEFAULT)
				rc = get_default(c, p, col, &d);
			else
				rc = fe_value_from_expr(c, cs->name, cs->type, e, &d);
			if (rc || (rc = check_null(cs, &d)) ||
			    (rc = colvec_push_datum(&b->cols[col], &d)))
				return rc;
		}
		int rc = fill_unlisted(c, p, b);
		if (rc)
			return rc;
		b->nrows++;
		if ((r & 1023) == 1023 && session_cancelled(c->s))
			return err_set(ERR_RETRY, "query cancelled");
	}
	return ERR_OK;
}

static int insert_select(struct fe_ctx *c, struct insert_plan *p, const struct sql_query *q,
                         struct batch *b)
{
	struct result_set rs;
	int rc = fe_run_query(c, q, &rs);
	if (rc)
		return rc;
	if (rs.ncols != p->ntarget) {
		rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		             "Invalid SQL, error: column count mismatch, columns: %u, values: %u",
		             p->ntarget, rs.ncols);
		goto out;
	}
	for (uint32_t r = 0; rc == ERR_OK && r < rs.rows.nrows; r++) {
		for (uint32_t k = 0; rc == ERR_OK && k < p->ntarget; k++) {
			uint32_t col = p->target[k];
			const struct colvec *v = &rs.rows.cols[k];
			struct datum in, d;
			memset(&in, 0, sizeof(in));
			in.type = v->type;
			if (colvec_is_null(v, r))
				in.is_null = true;
			else if (dtype_phys(v->type) == PHYS_I64)
				in.v.i = v->i64[r];
			else if (dtype_phys(v->type) == PHYS_F64)
				in.v.f = v->f64[r];
			else
				in.v.s.p = colvec_bytes(v, r, &in.v.s.n);
			rc = fe_cast_datum(c, &in, p->s->cols[col].type, &d);
			if (rc == ERR_OK)
				rc = check_null(&p->s->cols[col], &d);
			if (rc == ERR_OK)
				rc = colvec_push_datum(&b->cols[col], &d);
		}
		if (rc == ERR_OK)
			rc = fill_unlisted(c, p, b);
		if (rc == ERR_OK)
			b->nrows++;
	}
out:
	result_set_free(&rs);
	return rc;
}

static int load_table(struct fe_ctx *c, const struct sql_name *n, struct table_info **t,
                      struct table_route **route)
{
	const char *cat, *sch, *name;
	*t = NULL;
	*route = NULL;
	int rc = fe_split_name(c, n, &cat, &sch, &name);
	if (rc)
		return rc;
	if (!strcmp(sch, FE_INFO_SCHEMA) || !strcmp(sch, FE_PG_CATALOG) ||
	    (!strcmp(sch, SCHEMA_DEFAULT) && !strcmp(name, "numbers") &&
	     catalog_get_table(c->fe->kv, cat, sch, name, t) == ERR_NOT_FOUND)) {
		err_clear();
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Not supported: writing to the read-only table %s.%s.%s", cat, sch,
		               name);
	}
	table_info_free(*t);
	*t = NULL;
	if ((rc = fe_get_table(c, cat, sch, name, t)))
		return rc;
	rc = catalog_get_route(c->fe->kv, (*t)->table_id, route);
	if (rc == ERR_OK && (*route)->nregions == 0)
		rc = err_set(ERR_CORRUPT, "table %s has no regions", name);
	if (rc) {
		table_info_free(*t);
		*t = NULL;
	}
	return rc;
}

/* One attempt at the INSERT; *version is the table schema version the
 * batch was built for (0 when the table did not load). */
static int insert_once(struct fe_ctx *c, struct query_result *out, uint64_t *version)
{
	struct table_info *t;
	struct table_route *route;
	*version = 0;
	int rc = load_table(c, &c->st->u.insert.table, &t, &route);
	if (rc)
		return rc;
	*version = t->region_schema->version;
	const struct region_schema *s = t->region_schema;
	struct insert_plan p;
	struct batch b;
	enum dtype *types = mem_alloc(s->ncols * sizeof(enum dtype));
	memset(&b, 0, sizeof(b));
	if (!types) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < s->ncols; i++)
		types[i] = s->cols[i].type;
	if ((rc = plan_insert(c, t, &p)) || (rc = batch_init(&b, s->ncols, types)))
		goto out;
	const struct sql_query *q = c->st->u.insert.source;
	if (!q || !q->body) {
		rc = fe_fail(GT_INVALID_SYNTAX, ERR_SYNTAX, "Missing insert body");
		goto out;
	}
	if (q->body->kind == SQL_BODY_VALUES && !q->norder && !q->limit && !q->offset && !q->nctes)
		rc = insert_values(c, &p, q->body->values, &b);
	else
		rc = insert_select(c, &p, q, &b);
	if (rc == ERR_OK)
		rc = fe_write_rows(c, t, route, &b, OP_PUT);
	if (rc == ERR_OK) {
		out->kind = QUERY_AFFECTED;
		out->affected = b.nrows;
	}
out:
	if (b.cols)
		batch_free(&b);
	mem_free(types);
	table_info_free(t);
	table_route_free(route);
	return rc;
}

bool fe_schema_changed_under(struct fe_ctx *c, int rc, const char *catalog, const char *schema,
                             const char *name, uint64_t version)
{
	if (!region_schema_mismatch_error(rc) || !c->fe->cc)
		return false;
	if (c->written && c->written->overflow) {
		err_set(ERR_CONFLICT,
		        REGION_SCHEMA_MISMATCH ": table %s.%s.%s changed its columns during the write "
		                               "and some of its %u+ regions took their rows; not "
		                               "retried (those regions would get them twice)",
		        catalog, schema, name, c->written->n);
		return false;
	}
	log_info("write to %s.%s.%s refused by a region (%s): reloading the table", catalog,
	         schema, name, err_msg());
	/* The ALTER procedure changes the regions before the catalog: wait
	 * (bounded) until the catalog shows another version. */
	for (int i = 0; i < FE_SCHEMA_WAIT_MS / 20; i++) {
		struct table_info *t = NULL;
		int r = catalog_get_table(c->fe->kv, catalog, schema, name, &t);
		bool moved = r == ERR_OK && t->region_schema->version != version;
		table_info_free(t);
		if (r != ERR_OK && r != ERR_NOT_FOUND)
			break;
		if (moved || r == ERR_NOT_FOUND) {
			err_clear();
			return true;
		}
		clock_sleep_ms(20);
	}
	err_set(ERR_CONFLICT,
	        REGION_SCHEMA_MISMATCH ": table %s.%s.%s changed its columns during the write and "
	                               "its new schema is not yet in the catalog; retry the write",
	        catalog, schema, name);
	return false;
}

int fe_insert(struct fe_ctx *c, struct query_result *out)
{
	uint64_t version;
	struct fe_written_regions written = {.n = 0};
	c->written = &written;
	int rc = insert_once(c, out, &version);
	const char *cat, *sch, *name;
	if (rc && region_schema_mismatch_error(rc) &&
	    fe_split_name(c, &c->st->u.insert.table, &cat, &sch, &name) == ERR_OK &&
	    fe_schema_changed_under(c, rc, cat, sch, name, version)) {
		/* rebuild the batch against the new schema, once; a statement
		 * that names a dropped column now fails with the usual error */
		memset(out, 0, sizeof(*out));
		rc = insert_once(c, out, &version);
	}
	c->written = NULL;
	return rc;
}

/* ---- DELETE -------------------------------------------------------------- */

static int select_rows(struct fe_ctx *c, const struct sql_expr *where, const struct batch *view,
                       const char *const *names, uint8_t *sel)
{
	if (!where) {
		memset(sel, 1, view->nrows);
		return ERR_OK;
	}
	int rc = fe_eval_simple_predicate(c, where, view, names, sel);
	if (rc != ERR_UNSUPPORTED)
		return rc;
	return sql_eval_predicate(&c->env, c->s, where, view, names, c->a, sel);
}

static int delete_region(struct fe_ctx *c, const struct table_info *t,
                         const struct region_route *rr,
                         const struct sql_expr *where, const char *const *names,
                         const enum dtype *types, uint64_t *deleted)
{
	const struct region_schema *s = t->region_schema;
	struct scan_request req;
	scan_request_init(&req);
	struct fe_scan *src;
	int rc = fe_region_scan_open(c->fe, c->s, rr, READ_PREF_LEADER, &req, s, &src, NULL);
	if (rc)
		return rc;
	struct batch del;
	if ((rc = batch_init(&del, s->ncols, types))) {
		fe_region_scan_close(src);
		return rc;
	}
	uint8_t *sel = NULL;
	size_t selcap = 0;
	for (;;) {
		const struct batch *b;
		if ((rc = fe_region_scan_next(src, &b)) || !b)
			break;
		if (b->nrows == 0)
			continue;
		struct batch view = {b->nrows, s->ncols, b->cols};
		if (b->nrows > selcap) {
			mem_free(sel);
			selcap = b->nrows;
			sel = mem_alloc(selcap);
			if (!sel) {
				rc = ERR_NOMEM;
				break;
			}
		}
		if ((rc = select_rows(c, where, &view, names, sel)))
			break;
		for (uint32_t i = 0; rc == ERR_OK && i < view.nrows; i++)
			if (sel[i])
				rc = batch_push_row(&del, &view, i);
		if (rc)
			break;
	}
	fe_region_scan_close(src);
	mem_free(sel);
	if (rc == ERR_OK && del.nrows) {
		rc = fe_region_write(c->fe, rr, &del, OP_DELETE, s->version);
		if (rc == ERR_OK)
			*deleted += del.nrows;
	}
	batch_free(&del);
	return rc;
}

int fe_delete(struct fe_ctx *c, struct query_result *out)
{
	struct table_info *t;
	struct table_route *route;
	int rc = load_table(c, &c->st->u.del.table, &t, &route);
	if (rc)
		return rc;
	const struct region_schema *s = t->region_schema;
	uint64_t deleted = 0;
	const char **names = mem_alloc(s->ncols * sizeof(char *));
	enum dtype *types = mem_alloc(s->ncols * sizeof(enum dtype));
	if (!names || !types) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < s->ncols; i++) {
		names[i] = s->cols[i].name;
		types[i] = s->cols[i].type;
	}
	if (s->opts.append_mode) {
		rc =
		    fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		            "Invalid request to region, reason: DELETE is not allowed under append "
		            "mode");
		goto out;
	}
	for (uint32_t r = 0; rc == ERR_OK && r < route->nregions; r++)
		rc = delete_region(c, t, &route->regions[r], c->st->u.del.where,
		                   (const char *const *)names, types, &deleted);
	if (rc == ERR_OK) {
		out->kind = QUERY_AFFECTED;
		out->affected = deleted;
	}
out:
	mem_free(names);
	mem_free(types);
	table_info_free(t);
	table_route_free(route);
	return rc;
}
