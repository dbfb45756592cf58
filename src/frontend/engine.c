/*
 * engine: the frontend's query_handler.execute - parse a request's text in
 * the dialect of the protocol it came from, run each statement, emit each
 * outcome - plus the helpers every statement handler uses (errors with
 * GreptimeDB status codes, name resolution, result builders, LIKE).
 *
 * Dialect per front door (GreptimeDB's choice): MySQL -> SQL_DIALECT_MYSQL,
 * PostgreSQL -> SQL_DIALECT_POSTGRES, HTTP -> SQL_DIALECT_GREPTIME.
 *
 * Memory: one arena holds the parsed statements of a request; a second
 * arena is the statement's scratch space and is reset after each
 * statement's result has been emitted (the servers copy what they keep).
 *
 * Locking: DDL statements run under the frontend's DDL lock held
 * exclusively, every other statement under it held shared.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "frontend/frontend_int.h"
#include "meta/kv.h"
#include "sql/expr.h" /* sql_like_match */
#include "sql/parser.h"

/* ---- errors ------------------------------------------------------------ */

static __thread int t_status;
static __thread int t_status_code;

int fe_fail(int status, int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(code, "%s", msg);
	t_status = status;
	t_status_code = code;
	return code;
}

int fe_status(int code)
{
	if (t_status && t_status_code == code)
		return t_status;
	return err_greptime_status(code);
}

void fe_status_reset(void)
{
	t_status = 0;
	t_status_code = 0;
}

/* ---- names ------------------------------------------------------------- */

int fe_split_name(const struct fe_ctx *c, const struct sql_name *n, const char **catalog,
                  const char **schema, const char **table)
{
	*catalog = c->s->catalog;
	*schema = c->s->schema;
	*table = NULL;
	switch (n->n) {
	case 1:
		*table = n->part[0].name;
		break;
	case 2:
		*schema = n->part[0].name;
		*table = n->part[1].name;
		break;
	case 3:
		*catalog = n->part[0].name;
		*schema = n->part[1].name;
		*table = n->part[2].name;
		break;
	default:
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Invalid table name: %s",
		               n->n > 0 ? n->part[n->n - 1].raw : "");
	}
	return ERR_OK;
}

bool fe_schema_exists(struct fe_ctx *c, const char *catalog, const char *schema)
{
	if (strcmp(catalog, CATALOG_DEFAULT) != 0)
		return false;
	if (!strcmp(schema, FE_INFO_SCHEMA) || !strcmp(schema, FE_PG_CATALOG))
		return true;
	return catalog_schema_exists(c->fe->kv, catalog, schema);
}

int fe_get_table(struct fe_ctx *c, const char *catalog, const char *schema, const char *name,
                 struct table_info **out)
{
	*out = NULL;
	int rc = catalog_get_table(c->fe->kv, catalog, schema, name, out);
	if (rc == ERR_NOT_FOUND)
		return fe_fail(GT_TABLE_NOT_FOUND, ERR_NOT_FOUND, "Table not found: %s.%s.%s",
		               catalog, schema, name);
	return rc;
}

char *fe_expr_text(struct fe_ctx *c, const struct sql_expr *e)
{
	return sql_expr_to_sql(c->a, e, SQL_PRINT_CANONICAL);
}

int fe_run_query(struct fe_ctx *c, const struct sql_query *q, struct result_set *rs)
{
	memset(rs, 0, sizeof(*rs));
	c->env.now_ms = c->env.now_ms ? c->env.now_ms : clock_now_ms();
	return sql_exec_query(&c->env, c->s, q, c->a, rs);
}

int fe_run_query_text(struct fe_ctx *c, const char *sql, struct result_set *rs)
{
	struct sql_stmt_list l;
	memset(rs, 0, sizeof(*rs));
	int rc = sql_parse_ex(sql, strlen(sql), SQL_DIALECT_GREPTIME, c->a, &l);
	if (rc)
		return rc;
	if (l.n != 1 || l.items[0]->kind != SQL_STMT_QUERY)
		return fe_fail(GT_INTERNAL, ERR_INTERNAL, "internal query is not a SELECT: %s",
		               sql);
	return fe_run_query(c, l.items[0]->u.query, rs);
}

/* ---- result builder ---------------------------------------------------- */

int fe_rs_init(struct result_set *rs, uint32_t ncols, const char *const *names,
               const enum dtype *types)
{
	return result_set_init(rs, ncols, names, types);
}

int fe_rs_str(struct result_set *rs, uint32_t col, const char *s)
{
	if (!s)
		return colvec_push_null(&rs->rows.cols[col]);
	return colvec_push_bytes(&rs->rows.cols[col], s, strlen(s));
}

int fe_rs_strn(struct result_set *rs, uint32_t col, const char *s, size_t n)
{
	return colvec_push_bytes(&rs->rows.cols[col], s, n);
}

int fe_rs_i64(struct result_set *rs, uint32_t col, int64_t v)
{
	return colvec_push_i64(&rs->rows.cols[col], v);
}

int fe_rs_f64(struct result_set *rs, uint32_t col, double v)
{
	return colvec_push_f64(&rs->rows.cols[col], v);
}

int fe_rs_null(struct result_set *rs, uint32_t col)
{
	return colvec_push_null(&rs->rows.cols[col]);
}

void fe_rs_row(struct result_set *rs)
{
	rs->rows.nrows++;
}

struct sort_ctx {
	const struct result_set *rs;
	const uint32_t *cols;
	uint32_t ncols;
};
static __thread struct sort_ctx *t_sort;

static int cmp_rows(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	for (uint32_t k = 0; k < t_sort->ncols; k++) {
		const struct colvec *v = &t_sort->rs->rows.cols[t_sort->cols[k]];
		int r = colvec_cmp(v, a, v, b);
		if (r)
			return r;
	}
	return a < b ? -1 : a > b;
}

int fe_rs_sort(struct result_set *rs, const uint32_t *cols, uint32_t ncols)
{
	uint32_t n = rs->rows.nrows;
	if (n < 2)
		return ERR_OK;
	uint32_t *idx = mem_alloc(n * sizeof(uint32_t));
	if (!idx)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	struct sort_ctx sc = {rs, cols, ncols};
	t_sort = &sc;
	qsort(idx, n, sizeof(uint32_t), cmp_rows);
	t_sort = NULL;
	struct batch sorted;
	int rc = batch_init(&sorted, rs->ncols, rs->types);
	for (uint32_t i = 0; rc == ERR_OK && i < n; i++)
		rc = batch_push_row(&sorted, &rs->rows, idx[i]);
	mem_free(idx);
	if (rc) {
		batch_free(&sorted);
		return rc;
	}
	batch_free(&rs->rows);
	rs->rows = sorted;
	return ERR_OK;
}

/* ---- LIKE -------------------------------------------------------------- */

bool fe_like(const char *pattern, const char *s, bool ci)
{
	return sql_like_match(s, strlen(s), pattern, strlen(pattern), '\\', ci);
}

/* ---- dispatch ---------------------------------------------------------- */

static bool is_ddl(int kind)
{
	switch (kind) {
	case SQL_STMT_CREATE_DATABASE:
	case SQL_STMT_DROP_DATABASE:
	case SQL_STMT_ALTER_DATABASE:
	case SQL_STMT_CREATE_TABLE:
	case SQL_STMT_DROP_TABLE:
	case SQL_STMT_TRUNCATE:
	case SQL_STMT_ALTER_TABLE:
		return true;
	default:
		return false;
	}
}

static int run_query_stmt(struct fe_ctx *c, const struct sql_query *q, struct query_result *out)
{
	int rc;
	if (fe_try_simple_select(c, q, out, &rc))
		return rc;
	rc = fe_run_query(c, q, &out->rs);
	if (rc == ERR_OK) {
		out->kind = QUERY_ROWS;
		atomic_fetch_add(&c->fe->n_rows_read, out->rs.rows.nrows);
	}
	return rc;
}

static int run_stmt(struct fe_ctx *c, struct query_result *out)
{
	const struct sql_stmt *st = c->st;
	switch (st->kind) {
	case SQL_STMT_QUERY:
		return run_query_stmt(c, st->u.query, out);
	case SQL_STMT_INSERT:
		return fe_insert(c, out);
	case SQL_STMT_DELETE:
		return fe_delete(c, out);
	case SQL_STMT_CREATE_DATABASE:
		return fe_create_database(c, out);
	case SQL_STMT_DROP_DATABASE:
		return fe_drop_database(c, out);
	case SQL_STMT_USE:
		return fe_use(c, out);
	case SQL_STMT_CREATE_TABLE:
		return fe_create_table(c, out);
	case SQL_STMT_DROP_TABLE:
		return fe_drop_table(c, out);
	case SQL_STMT_TRUNCATE:
		return fe_truncate(c, out);
	case SQL_STMT_ALTER_TABLE:
		return fe_alter_table(c, out);
	case SQL_STMT_DESCRIBE:
		return fe_describe(c, &st->u.describe, out);
	case SQL_STMT_SHOW:
		return fe_show(c, out);
	case SQL_STMT_SET:
		return fe_set(c, out);
	case SQL_STMT_BEGIN:
	case SQL_STMT_COMMIT:
	case SQL_STMT_ROLLBACK:
		out->kind = QUERY_OK;
		return ERR_OK;
	case SQL_STMT_ADMIN:
		return fe_admin(c, out);
	case SQL_STMT_EXPLAIN: {
		c->env.now_ms = clock_now_ms();
		int rc = sql_exec_explain(&c->env, c->s, st, c->a, &out->rs);
		if (rc == ERR_OK)
			out->kind = QUERY_ROWS;
		return rc;
	}
	default:
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "SQL statement is not supported, keyword: %s",
		               sql_stmt_kind_name(st->kind));
	}
}

static int dialect_of(const struct session *s)
{
	switch (s->protocol) {
	case SESSION_MYSQL:
		return SQL_DIALECT_MYSQL;
	case SESSION_PG:
		return SQL_DIALECT_POSTGRES;
	default:
		return SQL_DIALECT_GREPTIME;
	}
}

static void init_ctx(struct fe_ctx *c, struct frontend *fe, struct session *s, struct arena *a)
{
	memset(c, 0, sizeof(*c));
	c->fe = fe;
	c->s = s;
	c->a = a;
	c->env.ctx = c;
	c->env.resolve_table = fe_resolve_table;
	c->env.call_function = fe_call_function;
	c->env.now_ms = clock_now_ms();
}

/* Emit an error result from the current error record. */
static int emit_error(query_emit_fn emit, void *ectx, int code)
{
	struct query_result r;
	memset(&r, 0, sizeof(r));
	r.kind = QUERY_ERROR;
	r.err = code ? code : ERR_INTERNAL;
	r.greptime_status = fe_status(r.err);
	char *msg = mem_strdup(err_msg()[0] ? err_msg() : err_code_name(r.err));
	r.err_msg = msg ? msg : (char *)"error";
	int stop = emit(ectx, &r);
	mem_free(msg);
	return stop;
}

static int fe_execute(void *ctx, struct session *s, const char *sql, size_t len, query_emit_fn emit,
                      void *ectx)
{
	struct frontend *fe = ctx;
	struct arena *pa = arena_create(0), *sa = arena_create(0);
	if (!pa || !sa) {
		arena_destroy(pa);
		arena_destroy(sa);
		return ERR_NOMEM;
	}
	fe_status_reset();
	err_clear();
	struct fe_ctx c;
	init_ctx(&c, fe, s, sa);

	/* PostgreSQL clients' catalog queries (psql \d, drivers) first: many
	 * are not in a grammar we need to support otherwise. */
	if (s->protocol == SESSION_PG) {
		struct query_result r;
		memset(&r, 0, sizeof(r));
		int rc = 0;
		char *text = mem_strndup(sql, len);
		int handled = text ? fe_pg_compat(&c, text, &r, &rc) : 0;
		mem_free(text);
		if (handled) {
			atomic_fetch_add(&fe->n_stmts, 1);
			if (rc) {
				atomic_fetch_add(&fe->n_errors, 1);
				emit_error(emit, ectx, rc);
			} else {
				emit(ectx, &r);
			}
			result_set_free(&r.rs);
			goto out;
		}
	}

	struct sql_stmt_list list;
	int rc = sql_parse_ex(sql, len, dialect_of(s), pa, &list);
	if (rc) {
		atomic_fetch_add(&fe->n_stmts, 1);
		atomic_fetch_add(&fe->n_errors, 1);
		emit_error(emit, ectx, rc);
		goto out;
	}
	if (list.n == 0) {
		struct query_result r = {.kind = QUERY_OK};
		emit(ectx, &r);
		goto out;
	}
	for (size_t i = 0; i < list.n; i++) {
		fe_status_reset();
		err_clear();
		init_ctx(&c, fe, s, sa);
		c.st = list.items[i];
		struct query_result r;
		memset(&r, 0, sizeof(r));
		bool ddl = is_ddl(c.st->kind);
		if (ddl)
			pthread_rwlock_wrlock(&fe->ddl);
		else
			pthread_rwlock_rdlock(&fe->ddl);
		int src = run_stmt(&c, &r);
		pthread_rwlock_unlock(&fe->ddl);
		if (c.show_table && c.show_table->release)
			c.show_table->release(c.show_table);
		c.show_table = NULL;
		atomic_fetch_add(&fe->n_stmts, 1);
		int stop;
		if (src) {
			result_set_free(&r.rs);
			atomic_fetch_add(&fe->n_errors, 1);
			log_debug("statement failed: %s", err_msg());
			emit_error(emit, ectx, src);
			stop = 1;
		} else {
			stop = emit(ectx, &r);
			result_set_free(&r.rs);
		}
		arena_reset(sa);
		if (stop)
			break;
	}
out:
	arena_destroy(pa);
	arena_destroy(sa);
	return ERR_OK;
}

struct query_handler frontend_query_handler(struct frontend *fe)
{
	struct query_handler h = {.ctx = fe, .execute = fe_execute};
	return h;
}

void frontend_session_done(void *ctx, struct session *s)
{
	(void)ctx;
	s->engine = NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

int frontend_open(const struct frontend_options *o, struct frontend **out)
{
	*out = NULL;
	struct frontend *fe = mem_calloc(1, sizeof(*fe));
	if (!fe)
		return ERR_NOMEM;
	fe->kv = o->kv;
	fe->rs = o->regions;
	fe->cc = o->cc;
	fe->node_id = o->node_id;
	fe->peer_addr = mem_strdup(o->peer_addr ? o->peer_addr : "127.0.0.1:4001");
	fe->mode = mem_strdup(o->mode ? o->mode : "standalone");
	fe->version = mem_strdup(o->version ? o->version : "0.1.0");
	fe->start_ms = clock_now_ms();
	if (!fe->peer_addr || !fe->mode || !fe->version) {
		frontend_close(fe);
		return ERR_NOMEM;
	}
	fe->catalog_gen = o->catalog_gen;
	pthread_rwlock_init(&fe->ddl, NULL);
	pthread_mutex_init(&fe->reads_mu, NULL);
	pthread_mutex_init(&fe->tables_mu, NULL);
	*out = fe;
	return ERR_OK;
}

void frontend_close(struct frontend *fe)
{
	if (!fe)
		return;
	pthread_rwlock_destroy(&fe->ddl);
	pthread_mutex_destroy(&fe->reads_mu);
	pthread_mutex_destroy(&fe->tables_mu);
	fe_table_cache_clear(fe);
	mem_free(fe->reads);
	mem_free(fe->peer_addr);
	mem_free(fe->mode);
	mem_free(fe->version);
	mem_free(fe);
}

/* Replica lag of every follower in the routes, from the metasrv's last
 * heartbeats: strata_follower_versions_behind and
 * strata_follower_sync_age_ms per {region_id, peer_id}. Best effort: a
 * metasrv that does not answer leaves them out. */
static void follower_lag_metrics(struct frontend *fe, struct buf *out)
{
	struct fe_nodes nodes;
	if (fe_nodes_get(fe, &nodes)) {
		err_clear();
		return;
	}
	struct buf behind, age;
	buf_init(&behind);
	buf_init(&age);
	for (uint32_t i = 0; i < nodes.nstats; i++) {
		const struct fe_peer_stat *ps = &nodes.stats[i];
		if (ps->st.role != REGION_ROLE_FOLLOWER)
			continue;
		uint64_t rid = ps->st.region_id;
		/* the leader is whichever peer reports the region as leader */
		const struct region_stat *ls = NULL;
		for (uint32_t k = 0; k < nodes.nstats; k++)
			if (nodes.stats[k].st.region_id == rid &&
			    nodes.stats[k].st.role == REGION_ROLE_LEADER)
				ls = &nodes.stats[k].st;
		if (ls)
			buf_printf(&behind,
			           "strata_follower_versions_behind{region_id=\"%llu\",peer_id=\"%llu\"} "
			           "%lld\n",
			           (unsigned long long)rid, (unsigned long long)ps->node_id,
			           (long long)ls->manifest_version - (long long)ps->st.manifest_version);
		if (ps->st.last_install_ms)
			buf_printf(&age,
			           "strata_follower_sync_age_ms{region_id=\"%llu\",peer_id=\"%llu\"} "
			           "%lld\n",
			           (unsigned long long)rid, (unsigned long long)ps->node_id,
			           (long long)(nodes.now_ms - ps->st.last_install_ms));
	}
	buf_printf(out, "# TYPE strata_follower_versions_behind gauge\n%s",
	           buf_cstr(&behind) ? buf_cstr(&behind) : "");
	buf_printf(out, "# TYPE strata_follower_sync_age_ms gauge\n%s",
	           buf_cstr(&age) ? buf_cstr(&age) : "");
	buf_free(&behind);
	buf_free(&age);
	fe_nodes_free(&nodes);
}

int frontend_metrics(void *ctx, struct buf *out)
{
	struct frontend *fe = ctx;
	buf_printf(out, "# TYPE strata_frontend_statements_total counter\n");
	buf_printf(out, "strata_frontend_statements_total %llu\n",
	           (unsigned long long)atomic_load(&fe->n_stmts));
	buf_printf(out, "# TYPE strata_frontend_statement_errors_total counter\n");
	buf_printf(out, "strata_frontend_statement_errors_total %llu\n",
	           (unsigned long long)atomic_load(&fe->n_errors));
	buf_printf(out, "# TYPE strata_frontend_rows_written_total counter\n");
	buf_printf(out, "strata_frontend_rows_written_total %llu\n",
	           (unsigned long long)atomic_load(&fe->n_rows_written));
	buf_printf(out, "# TYPE strata_frontend_rows_read_total counter\n");
	buf_printf(out, "strata_frontend_rows_read_total %llu\n",
	           (unsigned long long)atomic_load(&fe->n_rows_read));
	buf_printf(out, "# TYPE strata_frontend_ingest_rows_total counter\n");
	buf_printf(out, "strata_frontend_ingest_rows_total %llu\n",
	           (unsigned long long)atomic_load(&fe->n_ingest_rows));
	if (fe_is_cluster(fe))
		follower_lag_metrics(fe, out);
	buf_printf(out, "# TYPE strata_uptime_seconds gauge\n");
	buf_printf(out, "strata_uptime_seconds %.3f\n",
	           (double)(clock_now_ms() - fe->start_ms) / 1000.0);
	return ERR_OK;
}
