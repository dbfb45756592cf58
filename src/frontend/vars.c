/*
 * vars: session variables and session functions.
 *
 *   SET time_zone = ... / SET TIME ZONE ...   validated, stored in the session
 *   SET read_preference = 'x'                  GreptimeDB's values and errors:
 *       the value must be a quoted string, lower-cased before parsing:
 *       leader, follower, follower_preferred, random; otherwise 1001
 *       "Not supported: Invalid read preference expr x in set variable
 *       statement" (or "Unsupported read preference expr ..." for a
 *       non-string)
 *   SET anything else                          stored as a session variable
 *   SELECT @@x, database(), version() ...      without FROM: answered here
 *   exec_env.call_function                     read_preference(), database(),
 *       version(), user(), connection_id(), timezone(), pg helpers and the
 *       ADMIN functions (flush_table ...) used through SELECT.
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
#include "server/value_format.h"

#define MYSQL_VERSION "8.4.2"

/* ---- server variables ------------------------------------------------------ */

struct server_var {
	const char *name;
	const char *value; /* NULL: computed */
	bool numeric;
};

static const struct server_var server_vars[] = {
    {"auto_increment_increment", "1", true},
    {"autocommit", "1", true},
    {"character_set_client", "utf8mb4", false},
    {"character_set_connection", "utf8mb4", false},
    {"character_set_database", "utf8mb4", false},
    {"character_set_results", "utf8mb4", false},
    {"character_set_server", "utf8mb4", false},
    {"collation_connection", "utf8mb4_general_ci", false},
    {"collation_database", "utf8mb4_general_ci", false},
    {"collation_server", "utf8mb4_general_ci", false},
    {"have_query_cache", "NO", false},
    {"init_connect", "", false},
    {"interactive_timeout", "28800", true},
    {"license", "Apache-2.0", false},
    {"lower_case_table_names", "0", true},
    {"max_allowed_packet", "67108864", true},
    {"max_execution_time", NULL, true},
    {"net_buffer_length", "16384", true},
    {"net_write_timeout", "60", true},
    {"performance_schema", "0", true},
    {"query_cache_size", "0", true},
    {"query_cache_type", "OFF", false},
    {"read_preference", NULL, false},
    {"sql_mode",
     "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
     "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
     false},
    {"sql_select_limit", "18446744073709551615", false},
    {"system_time_zone", "UTC", false},
    {"time_zone", NULL, false},
    {"transaction_isolation", "REPEATABLE-READ", false},
    {"transaction_read_only", "0", true},
    {"tx_isolation", "REPEATABLE-READ", false},
    {"tx_read_only", "0", true},
    {"version", MYSQL_VERSION, false},
    {"version_comment", "Strata", false},
    {"wait_timeout", "28800", true},
};

static const struct server_var *find_server_var(const char *name)
{
	for (size_t i = 0; i < sizeof(server_vars) / sizeof(server_vars[0]); i++)
		if (!strcasecmp(server_vars[i].name, name))
			return &server_vars[i];
	return NULL;
}

const char *fe_var_value(struct fe_ctx *c, const char *name, char *buf, size_t bufsz)
{
	const char *own = session_get_var(c->s, name);
	if (!strcasecmp(name, "time_zone") || !strcasecmp(name, "timezone"))
		return c->s->time_zone;
	if (!strcasecmp(name, "read_preference"))
		return read_preference_name(c->s->read_preference);
	if (own)
		return own;
	if (!strcasecmp(name, "max_execution_time"))
		return "0";
	if (!strcasecmp(name, "port")) {
		snprintf(buf, bufsz, "%d", c->s->protocol == SESSION_PG ? 4003 : 4002);
		return buf;
	}
	if (!strcasecmp(name, "hostname"))
		return "localhost";
	if (!strcasecmp(name, "version_comment") || !strcasecmp(name, "version")) {
		const struct server_var *v = find_server_var(name);
		return v->value;
	}
	const struct server_var *v = find_server_var(name);
	return v ? v->value : NULL;
}

static bool var_numeric(const char *name)
{
	const struct server_var *v = find_server_var(name);
	return v && v->numeric;
}

/* ---- SET ------------------------------------------------------------------- */

/* The value of a SET item as text: strings, numbers, words, identifiers. */
static const char *set_value_text(struct fe_ctx *c, const struct sql_expr *e, bool *is_string)
{
	*is_string = false;
	switch (e->kind) {
	case SQL_E_STRING:
		*is_string = true;
		return e->v.str.s;
	case SQL_E_NUMBER:
		return e->v.num.text;
	case SQL_E_BOOL:
		return e->v.b ? "1" : "0";
	case SQL_E_COLUMN:
		if (e->v.name.part[0].quote == '"' || e->v.name.part[0].quote == '\'')
			*is_string = true;
		return e->v.name.part[e->v.name.n - 1].raw;
	case SQL_E_DEFAULT:
		return "DEFAULT";
	default:
		return fe_expr_text(c, e);
	}
}

static int set_read_preference(struct fe_ctx *c, const struct sql_expr *e)
{
	bool str;
	const char *v = set_value_text(c, e, &str);
	if (!v)
		return ERR_NOMEM;
	if (!str)
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Not supported: Unsupported read preference expr %s in set variable "
		               "statement",
		               fe_expr_text(c, e) ? fe_expr_text(c, e) : v);
	char low[64];
	size_t n = strlen(v);
	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)v[i]);
	low[n] = 0;
	int pref;
	if (!strcmp(low, "leader"))
		pref = READ_PREF_LEADER;
	else if (!strcmp(low, "follower"))
		pref = READ_PREF_FOLLOWER;
	else if (!strcmp(low, "follower_preferred"))
		pref = READ_PREF_FOLLOWER_PREFERRED;
	else if (!strcmp(low, "random"))
		pref = READ_PREF_RANDOM;
	else
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Not supported: Invalid read preference expr %s in set variable "
		               "statement",
		               v);
	c->s->read_preference = pref;
	return ERR_OK;
}

static int set_time_zone(struct fe_ctx *c, const struct sql_expr *e)
{
	bool str;
	const char *v = set_value_text(c, e, &str);
	if (!v)
		return ERR_NOMEM;
	if (e->kind == SQL_E_COLUMN && !strcasecmp(v, "local"))
		v = "SYSTEM";
	if (e->kind == SQL_E_DEFAULT)
		v = "UTC";
	struct vfmt_tz tz;
	if (vfmt_tz_resolve(v, &tz) != ERR_OK)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Invalid timezone string %s",
		               v);
	if (strlen(v) >= sizeof(c->s->time_zone))
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Invalid timezone string %s",
		               v);
	snprintf(c->s->time_zone, sizeof(c->s->time_zone), "%s", v);
	return ERR_OK;
}

int fe_set(struct fe_ctx *c, struct query_result *out)
{
	for (size_t i = 0; i < c->st->u.set.nitems; i++) {
		const struct sql_set_item *it = &c->st->u.set.items[i];
		int rc = ERR_OK;
		if (it->kind == SQL_SET_TRANSACTION || it->kind == SQL_SET_NAMES)
			continue;
		if (it->nvalues == 0)
			continue;
		const char *name = it->var.part[it->var.n - 1].name;
		if (it->kind == SQL_SET_TIME_ZONE || !strcasecmp(name, "time_zone") ||
		    !strcasecmp(name, "timezone")) {
			rc = set_time_zone(c, it->values[0]);
		} else if (!strcasecmp(name, "read_preference")) {
			rc = set_read_preference(c, it->values[0]);
		} else {
			bool str;
			const char *v = set_value_text(c, it->values[0], &str);
			if (!v)
				return ERR_NOMEM;
			if (session_set_var(c->s, name, v) == ERR_LIMIT)
				err_clear(); /* too many / too long: ignored like MySQL warnings */
		}
		if (rc)
			return rc;
	}
	out->kind = QUERY_AFFECTED;
	out->affected = 0;
	out->tag = "SET";
	return ERR_OK;
}

/* ---- session functions -------------------------------------------------------- */

static int str_datum(struct arena *a, const char *s, struct datum *out)
{
	memset(out, 0, sizeof(*out));
	out->type = DT_STRING;
	if (!s) {
		out->is_null = true;
		return ERR_OK;
	}
	size_t n = strlen(s);
	char *p = arena_strndup(a, s, n);
	if (!p)
		return ERR_NOMEM;
	out->v.s.p = p;
	out->v.s.n = (uint32_t)n;
	return ERR_OK;
}

static int session_function(struct fe_ctx *c, const char *name, uint32_t nargs, struct arena *a,
                            struct datum *out)
{
	char buf[256];
	if (nargs == 0) {
		if (!strcasecmp(name, "read_preference"))
			return str_datum(a, read_preference_name(c->s->read_preference), out);
		if (!strcasecmp(name, "database") || !strcasecmp(name, "schema") ||
		    !strcasecmp(name, "current_schema"))
			return str_datum(a, c->s->schema, out);
		if (!strcasecmp(name, "current_database") || !strcasecmp(name, "current_catalog"))
			return str_datum(a, c->s->catalog, out);
		if (!strcasecmp(name, "version")) {
			if (c->s->protocol == SESSION_PG)
				snprintf(buf, sizeof(buf), "PostgreSQL 16.3 Strata %s",
				         c->fe->version);
			else if (c->s->protocol == SESSION_MYSQL)
				snprintf(buf, sizeof(buf), "%s-strata-%s", MYSQL_VERSION,
				         c->fe->version);
			else
				snprintf(buf, sizeof(buf), "%s", c->fe->version);
			return str_datum(a, buf, out);
		}
		if (!strcasecmp(name, "user") || !strcasecmp(name, "current_user") ||
		    !strcasecmp(name, "session_user") || !strcasecmp(name, "system_user"))
			return str_datum(a, c->s->user[0] ? c->s->user : "greptime", out);
		if (!strcasecmp(name, "connection_id") || !strcasecmp(name, "pg_backend_pid")) {
			memset(out, 0, sizeof(*out));
			out->type = DT_UINT64;
			out->v.i = c->s->conn_id;
			return ERR_OK;
		}
		if (!strcasecmp(name, "timezone"))
			return str_datum(a, c->s->time_zone, out);
	}
	return ERR_NOT_FOUND;
}

int fe_call_function(void *ctx, struct session *s, const char *name, const struct datum *args,
                     uint32_t nargs, struct arena *a, struct datum *out)
{
	struct fe_ctx *c = ctx;
	(void)s;
	int rc = session_function(c, name, nargs, a, out);
	if (rc != ERR_NOT_FOUND)
		return rc;
	/* PostgreSQL catalog helpers */
	if (!strcasecmp(name, "pg_table_is_visible") || !strcasecmp(name, "has_table_privilege") ||
	    !strcasecmp(name, "has_schema_privilege")) {
		memset(out, 0, sizeof(*out));
		out->type = DT_BOOL;
		out->v.i = 1;
		return ERR_OK;
	}
	if (!strcasecmp(name, "pg_get_userbyid"))
		return str_datum(a, "greptime", out);
	if (!strcasecmp(name, "obj_description") || !strcasecmp(name, "col_description") ||
	    !strcasecmp(name, "shobj_description"))
		return str_datum(a, NULL, out);
	int64_t v;
	rc = fe_admin_call(c, name, args, nargs, &v);
	if (rc == ERR_NOT_FOUND && err_msg()[0]) {
		/* a known function that failed (e.g. its table is missing): not
		 * "unknown function" */
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", err_msg());
		rc = fe_fail(fe_status(ERR_NOT_FOUND), ERR_BAD_INPUT, "%s", msg);
	}
	if (rc == ERR_OK) {
		memset(out, 0, sizeof(*out));
		out->type = DT_UINT64;
		out->v.i = v;
	}
	return rc;
}

/* ---- SELECT without FROM of variables and session functions --------------------- */

static bool simple_item(const struct sql_expr *e)
{
	if (e->kind == SQL_E_VAR)
		return e->v.var.system;
	if (e->kind == SQL_E_FUNC && e->v.func.nargs == 0 && e->v.func.name.n == 1 &&
	    !e->v.func.over && !e->v.func.star) {
		const char *n = e->v.func.name.part[0].name;
		static const char *ok[] = {"read_preference", "database",        "schema",
		                           "current_schema",  "version",         "user",
		                           "current_user",    "session_user",    "connection_id",
		                           "timezone",        "current_database"};
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (!strcasecmp(n, ok[i]))
				return true;
	}
	return false;
}

int fe_try_simple_select(struct fe_ctx *c, const struct sql_query *q, struct query_result *out,
                         int *rc)
{
	if (!q->body || q->body->kind != SQL_BODY_SELECT || q->nctes || q->norder || q->offset)
		return 0;
	const struct sql_select *sel = q->body->select;
	if (sel->nfrom || sel->where || sel->ngroup || sel->having || sel->distinct ||
	    sel->nitems == 0)
		return 0;
	for (size_t i = 0; i < sel->nitems; i++)
		if (!simple_item(sel->items[i].expr))
			return 0;
	uint32_t n = (uint32_t)sel->nitems;
	const char **names = arena_alloc(c->a, n * sizeof(char *));
	enum dtype *types = arena_alloc(c->a, n * sizeof(enum dtype));
	struct datum *vals = arena_alloc(c->a, n * sizeof(struct datum));
	if (!names || !types || !vals) {
		*rc = ERR_NOMEM;
		return 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct sql_select_item *it = &sel->items[i];
		const struct sql_expr *e = it->expr;
		char buf[256];
		if (e->kind == SQL_E_VAR) {
			const char *vn = e->v.var.ident.name;
			const char *v = fe_var_value(c, vn, buf, sizeof(buf));
			memset(&vals[i], 0, sizeof(vals[i]));
			if (v && var_numeric(vn)) {
				vals[i].type = DT_INT64;
				vals[i].v.i = strtoll(v, NULL, 10);
			} else if ((*rc = str_datum(c->a, v, &vals[i]))) {
				return 1;
			}
			/* MySQL names the column as written: @@session.x -> @@session.x */
			char *nm = arena_alloc(c->a, strlen(vn) + 32);
			if (!nm) {
				*rc = ERR_NOMEM;
				return 1;
			}
			sprintf(nm, "@@%s%s%s", e->v.var.scope ? e->v.var.scope : "",
			        e->v.var.scope ? "." : "", e->v.var.ident.raw);
			names[i] = nm;
		} else {
			*rc = session_function(c, e->v.func.name.part[0].name, 0, c->a, &vals[i]);
			if (*rc)
				return 1;
			char *nm = arena_alloc(c->a, strlen(e->v.func.name.part[0].name) + 3);
			if (!nm) {
				*rc = ERR_NOMEM;
				return 1;
			}
			sprintf(nm, "%s()", e->v.func.name.part[0].name);
			names[i] = nm;
		}
		if (it->alias)
			names[i] = it->alias->name;
		types[i] = vals[i].type;
	}
	*rc = fe_rs_init(&out->rs, n, names, types);
	if (*rc)
		return 1;
	bool limit0 = q->limit && q->limit->kind == SQL_E_NUMBER && q->limit->v.num.i == 0;
	if (!limit0) {
		for (uint32_t i = 0; i < n && !*rc; i++)
			*rc = colvec_push_datum(&out->rs.rows.cols[i], &vals[i]);
		fe_rs_row(&out->rs);
	}
	if (*rc == ERR_OK)
		out->kind = QUERY_ROWS;
	return 1;
}
