/*
 * admin: GreptimeDB's ADMIN functions, as `ADMIN fn(args)` statements and
 * as functions inside SELECT (through exec_env.call_function).
 *
 *   flush_table(table)                     flush every region of the table
 *   compact_table(table[, type[, opts]])   compact every region (type
 *                                          'regular', 'strict_window' /
 *                                          'swcs'; opts "window=3600,..."
 *                                          are accepted and validated)
 *   flush_region(region_id)                flush one region
 *   compact_region(region_id)              compact one region
 *   add_table_follower(table[, 'ids'])     one follower per region, on a
 *                                          listed datanode (all alive when
 *                                          no list); placement rules in
 *                                          src/meta/metasrv_procedure.c
 *   remove_table_follower(table)           the newest follower per region
 *   add_region_follower(region_id, dn)     one follower on datanode dn
 *   remove_region_follower(region_id, dn)
 * Each returns UInt64 0. Region calls go to the region's leader; follower
 * procedures run on the metasrv and fail in standalone (no datanode to
 * hold a follower). Table names are `t`, `schema.t` or
 * `catalog.schema.t`, resolved against the session.
 *
 * An ADMIN statement's result column is the call as GreptimeDB prints it
 * ("ADMIN FLUSH_TABLE('test')", from the parser); the SELECT form is named
 * by the query engine.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "frontend/frontend_int.h"

static int args_count(const char *fn, uint32_t nargs, uint32_t lo, uint32_t hi)
{
	if (nargs < lo || nargs > hi) {
		if (lo == hi)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "The length of the args is not correct, expect %u, have: %u",
			               lo, nargs);
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "The length of the args is not correct, expect at least %u and at "
		               "most %u, have: %u (%s)",
		               lo, hi, nargs, fn);
	}
	return ERR_OK;
}

static int arg_string(const char *fn, const struct datum *d, char *out, size_t n)
{
	if (d->is_null || dtype_phys(d->type) != PHYS_BYTES)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Invalid function args: %s expects a string argument", fn);
	if (d->v.s.n >= n)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "argument of %s too long", fn);
	memcpy(out, d->v.s.p, d->v.s.n);
	out[d->v.s.n] = 0;
	return ERR_OK;
}

static int arg_u64(const char *fn, const struct datum *d, uint64_t *out)
{
	if (d->is_null)
		goto bad;
	switch (dtype_phys(d->type)) {
	case PHYS_I64:
		*out = (uint64_t)d->v.i;
		return ERR_OK;
	case PHYS_F64:
		if (d->v.f < 0 || d->v.f != (double)(uint64_t)d->v.f)
			goto bad;
		*out = (uint64_t)d->v.f;
		return ERR_OK;
	default: {
		char tmp[32];
		if (d->v.s.n == 0 || d->v.s.n >= sizeof(tmp))
			goto bad;
		memcpy(tmp, d->v.s.p, d->v.s.n);
		tmp[d->v.s.n] = 0;
		char *end;
		*out = strtoull(tmp, &end, 10);
		if (*end || !isdigit((unsigned char)tmp[0]))
			goto bad;
		return ERR_OK;
	}
	}
bad:
	return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
	               "Invalid function args: %s expects a region id", fn);
}

/* "t", "s.t" or "c.s.t" -> table and route */
static int table_by_text(struct fe_ctx *c, const char *text, struct table_info **t,
                         struct table_route **route)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", text);
	const char *parts[3];
	int n = 0;
	char *p = buf;
	for (;;) {
		if (n == 3)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid table name: %s", text);
		parts[n++] = p;
		char *dot = strchr(p, '.');
		if (!dot)
			break;
		*dot = 0;
		p = dot + 1;
	}
	const char *cat = c->s->catalog, *sch = c->s->schema, *tab = parts[n - 1];
	if (n == 2)
		sch = parts[0];
	else if (n == 3) {
		cat = parts[0];
		sch = parts[1];
	}
	int rc = fe_get_table(c, cat, sch, tab, t);
	if (rc)
		return rc;
	rc = catalog_get_route(c->fe->kv, (*t)->table_id, route);
	if (rc) {
		table_info_free(*t);
		*t = NULL;
	}
	return rc;
}

/* '0,1,2' -> datanode ids (spaces allowed, at least one). */
static int parse_datanode_list(const char *fn, const char *text, uint64_t *ids, uint32_t *n)
{
	*n = 0;
	const char *p = text;
	for (;;) {
		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p) || *n == 64)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid function args: %s expects a comma-separated list of "
			               "datanode ids, got '%s'",
			               fn, text);
		char *end;
		ids[(*n)++] = strtoull(p, &end, 10);
		p = end;
		while (*p == ' ')
			p++;
		if (!*p)
			return ERR_OK;
		if (*p != ',')
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid function args: %s expects a comma-separated list of "
			               "datanode ids, got '%s'",
			               fn, text);
		p++;
	}
}

static int check_compact_opts(const char *type, const char *opts)
{
	if (type && strcmp(type, "regular") && strcmp(type, "strict_window") &&
	    strcmp(type, "swcs"))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Compaction type %s is not supported", type);
	if (!opts || !*opts)
		return ERR_OK;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", opts);
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		while (*tok == ' ')
			tok++;
		char *eq = strchr(tok, '=');
		if (!eq)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid compaction option: %s", tok);
		*eq = 0;
		const char *k = tok, *v = eq + 1;
		if (!strcmp(k, "window") || !strcmp(k, "parallelism")) {
			char *end;
			strtoull(v, &end, 10);
			if (!*v || *end)
				return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
				               "Invalid compaction option value %s=%s", k, v);
		} else if (strcmp(k, "start_time") && strcmp(k, "end_time")) {
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
			               "Invalid compaction option: %s", k);
		}
	}
	return ERR_OK;
}

int fe_admin_call(struct fe_ctx *c, const char *name, const struct datum *args, uint32_t nargs,
                  int64_t *result)
{
	*result = 0;
	int rc;
	char tab[512], type[64], opts[1024];
	bool flush_table = !strcasecmp(name, "flush_table");
	bool compact_table = !strcasecmp(name, "compact_table");
	if (flush_table || compact_table) {
		if ((rc = args_count(name, nargs, 1, flush_table ? 1 : 3)) ||
		    (rc = arg_string(name, &args[0], tab, sizeof(tab))))
			return rc;
		type[0] = opts[0] = 0;
		if (nargs > 1 && (rc = arg_string(name, &args[1], type, sizeof(type))))
			return rc;
		if (nargs > 2 && (rc = arg_string(name, &args[2], opts, sizeof(opts))))
			return rc;
		if (compact_table && (rc = check_compact_opts(nargs > 1 ? type : NULL, opts)))
			return rc;
		struct table_info *t;
		struct table_route *route;
		if ((rc = table_by_text(c, tab, &t, &route)))
			return rc;
		for (uint32_t i = 0; rc == ERR_OK && i < route->nregions; i++) {
			uint64_t rid = route->regions[i].region_id;
			rc = flush_table ? fe_region_flush(c->fe, rid) : fe_region_compact(c->fe, rid);
		}
		table_info_free(t);
		table_route_free(route);
		return rc;
	}
	bool flush_region = !strcasecmp(name, "flush_region");
	bool compact_region = !strcasecmp(name, "compact_region");
	if (flush_region || compact_region) {
		uint64_t rid = 0;
		if ((rc = args_count(name, nargs, 1, flush_region ? 1 : 3)) ||
		    (rc = arg_u64(name, &args[0], &rid)))
			return rc;
		rc = flush_region ? fe_region_flush(c->fe, rid) : fe_region_compact(c->fe, rid);
		if (rc == ERR_NOT_FOUND)
			rc = fe_fail(GT_REGION_NOT_FOUND, ERR_NOT_FOUND, "%s", err_msg());
		return rc;
	}
	bool add_tf = !strcasecmp(name, "add_table_follower");
	bool rm_tf = !strcasecmp(name, "remove_table_follower");
	if (add_tf || rm_tf) {
		if ((rc = args_count(name, nargs, 1, add_tf ? 2 : 1)) ||
		    (rc = arg_string(name, &args[0], tab, sizeof(tab))))
			return rc;
		uint64_t dns[64];
		uint32_t ndns = 0;
		if (nargs > 1 && (rc = arg_string(name, &args[1], opts, sizeof(opts))))
			return rc;
		if (nargs > 1 && (rc = parse_datanode_list(name, opts, dns, &ndns)))
			return rc;
		struct table_info *t;
		struct table_route *route;
		if ((rc = table_by_text(c, tab, &t, &route)))
			return rc;
		uint32_t changes;
		rc = fe_follower_proc(c->fe, add_tf ? FE_ADD_TABLE_FOLLOWER : FE_REMOVE_TABLE_FOLLOWER,
		                      t->table_id, 0, 0, dns, ndns, &changes);
		table_info_free(t);
		table_route_free(route);
		return rc;
	}
	bool add_rf = !strcasecmp(name, "add_region_follower");
	bool rm_rf = !strcasecmp(name, "remove_region_follower");
	if (add_rf || rm_rf) {
		uint64_t rid = 0, dn = 0;
		if ((rc = args_count(name, nargs, 2, 2)) || (rc = arg_u64(name, &args[0], &rid)) ||
		    (rc = arg_u64(name, &args[1], &dn)))
			return rc;
		uint32_t changes;
		return fe_follower_proc(c->fe,
		                        add_rf ? FE_ADD_REGION_FOLLOWER : FE_REMOVE_REGION_FOLLOWER,
		                        REGION_TABLE_ID(rid), rid, dn, NULL, 0, &changes);
	}
	static const char *cluster_fns[] = {"migrate_region", "procedure_state"};
	for (size_t i = 0; i < sizeof(cluster_fns) / sizeof(cluster_fns[0]); i++)
		if (!strcasecmp(name, cluster_fns[i]))
			return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
			               "Not supported: %s in standalone mode", cluster_fns[i]);
	err_clear();
	return ERR_NOT_FOUND;
}

/* Literal arguments of an ADMIN call. */
static int admin_arg(struct fe_ctx *c, const struct sql_expr *e, struct datum *d)
{
	memset(d, 0, sizeof(*d));
	while (e->kind == SQL_E_NESTED)
		e = e->v.inner;
	switch (e->kind) {
	case SQL_E_STRING:
		d->type = DT_STRING;
		d->v.s.p = e->v.str.s;
		d->v.s.n = (uint32_t)e->v.str.len;
		return ERR_OK;
	case SQL_E_COLUMN:
		if (e->v.name.n == 1 && e->v.name.part[0].quote == '"') {
			d->type = DT_STRING;
			d->v.s.p = e->v.name.part[0].raw;
			d->v.s.n = (uint32_t)strlen(e->v.name.part[0].raw);
			return ERR_OK;
		}
		break;
	case SQL_E_NUMBER:
		if (e->v.num.kind == SQL_NUM_INT || e->v.num.kind == SQL_NUM_UINT) {
			d->type = e->v.num.kind == SQL_NUM_INT ? DT_INT64 : DT_UINT64;
			d->v.i = e->v.num.kind == SQL_NUM_INT ? e->v.num.i : (int64_t)e->v.num.u;
			return ERR_OK;
		}
		break;
	case SQL_E_NULL:
		d->type = DT_STRING;
		d->is_null = true;
		return ERR_OK;
	default:
		break;
	}
	return sql_eval_const(&c->env, c->s, e, DT_STRING, c->a, d);
}

int fe_admin(struct fe_ctx *c, struct query_result *out)
{
	const struct sql_expr *call = c->st->u.admin.call;
	const char *name = call->v.func.name.part[call->v.func.name.n - 1].name;
	uint32_t n = (uint32_t)call->v.func.nargs;
	struct datum *args = arena_alloc(c->a, (n + 1) * sizeof(struct datum));
	if (!args)
		return ERR_NOMEM;
	int rc;
	for (uint32_t i = 0; i < n; i++)
		if ((rc = admin_arg(c, call->v.func.args[i], &args[i])))
			return rc;
	int64_t v;
	rc = fe_admin_call(c, name, args, n, &v);
	if (rc == ERR_NOT_FOUND && !err_msg()[0])
		rc = fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED, "Not supported: ADMIN function %s",
		             name);
	if (rc)
		return rc;
	const char *hdr = c->st->u.admin.header;
	enum dtype t = DT_UINT64;
	if ((rc = fe_rs_init(&out->rs, 1, &hdr, &t)) || (rc = fe_rs_i64(&out->rs, 0, v)))
		return rc;
	fe_rs_row(&out->rs);
	out->kind = QUERY_ROWS;
	return ERR_OK;
}
