/* Unit tests for src/server/http_console: the embedded console assets and
 * the /v1/cluster/ JSON endpoints, driven straight through
 * http_cluster_api with a fake engine that plays a 3-datanode cluster's
 * information_schema (and can fail any table, or lack region_replicas).
 * Also: hostile paths never reach SQL, and every allocation failure gives
 * ERR_NOMEM or a full answer, never a crash or a leak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/http_console.h"

/* ---- the fake engine --------------------------------------------------------------- */

struct fake {
	int fail_cluster_info;
	int fail_region_peers;
	int no_replicas;
	int stats_without_peer; /* region_statistics without a peer column */
	int calls;
	char sql[16][512];
};

#define RID(t, n) (((uint64_t)(t) << 32) | (n))

struct col {
	const char *name;
	enum dtype type;
};

/* Emit a result set of the first ncols columns of cells (row-major, stride
 * cells a row): strings, NULL = null; integer columns parse with strtoll. */
static int emit_table(query_emit_fn emit, void *ectx, const struct col *cols, uint32_t ncols,
                      const char *const *cells, uint32_t stride, uint32_t nrows)
{
	const char *names[16];
	enum dtype types[16];
	for (uint32_t c = 0; c < ncols; c++) {
		names[c] = cols[c].name;
		types[c] = cols[c].type;
	}
	struct query_result q = {.kind = QUERY_ROWS};
	if (result_set_init(&q.rs, ncols, names, types))
		return ERR_NOMEM;
	int rc = ERR_OK;
	for (uint32_t r = 0; r < nrows && !rc; r++)
		for (uint32_t c = 0; c < ncols && !rc; c++) {
			const char *v = cells[r * stride + c];
			struct colvec *cv = &q.rs.rows.cols[c];
			if (!v)
				rc = colvec_push_null(cv);
			else if (dtype_phys(types[c]) == PHYS_BYTES)
				rc = colvec_push_bytes(cv, v, strlen(v));
			else
				rc = colvec_push_i64(cv, strtoll(v, NULL, 10));
		}
	q.rs.rows.nrows = nrows;
	if (!rc)
		emit(ectx, &q);
	result_set_free(&q.rs);
	return rc;
}

static int emit_error(query_emit_fn emit, void *ectx, int status, const char *msg)
{
	struct query_result q = {.kind = QUERY_ERROR,
	                         .err = ERR_NOT_FOUND,
	                         .greptime_status = status,
	                         .err_msg = (char *)msg};
	emit(ectx, &q);
	return ERR_OK;
}

static const struct col ci_cols[] = {{"peer_id", DT_INT64},    {"peer_type", DT_STRING},
                                     {"peer_addr", DT_STRING}, {"uptime", DT_STRING},
                                     {"node_status", DT_STRING}};
static const char *const ci_rows[] = {
    "0", "METASRV",  "127.0.0.1:3002", "1m", "Alive", "0", "DATANODE", "127.0.0.1:3100", "1m",
    NULL, "1", "DATANODE", "127.0.0.1:3101", "1m", "ALIVE", "2", "DATANODE", "127.0.0.1:3102",
    "1m", "Dead (no heartbeat for 1s)", "1", "FRONTEND", "127.0.0.1:4001", "1m", "Alive"};

static const struct col rp_cols[] = {{"region_id", DT_UINT64},  {"peer_id", DT_UINT64},
                                     {"peer_addr", DT_STRING},  {"is_leader", DT_STRING},
                                     {"status", DT_STRING},     {"down_seconds", DT_INT64}};
/* region 0: follower listed before its leader (order must not matter);
 * region 1 of table 1024 and a region of another table */
static const char *const rp_rows[] = {
    "4398046511104", "1", "127.0.0.1:3101", "No", NULL, NULL,
    "4398046511104", "0", "127.0.0.1:3100", "Yes", "ALIVE", NULL,
    "4398046511105", "1", "127.0.0.1:3101", "Yes", "ALIVE", NULL,
    "4398046511105", "2", "127.0.0.1:3102", "No", NULL, "7",
};

static const struct col rs_cols[] = {{"region_id", DT_UINT64},   {"table_id", DT_UINT32},
                                     {"region_rows", DT_UINT64}, {"sst_num", DT_UINT64},
                                     {"region_role", DT_STRING}, {"peer_id", DT_UINT64}};
static const char *const rs_rows[] = {
    "4398046511104", "1024", "10", "1", "Leader",   "0",
    "4398046511104", "1024", "10", "1", "Follower", "1",
    "4398046511105", "1024", "20", "2", "Leader",   "1",
    "4398046511105", "1024", "19", "2", "Follower", "2",
};

static const struct col rr_cols[] = {{"region_id", DT_UINT64},
                                     {"table_name", DT_STRING},
                                     {"peer_id", DT_UINT64},
                                     {"role", DT_STRING},
                                     {"leader_manifest_version", DT_UINT64},
                                     {"installed_manifest_version", DT_UINT64},
                                     {"versions_behind", DT_UINT64},
                                     {"ms_since_sync", DT_INT64},
                                     {"reads_served", DT_UINT64}};
static const char *const rr_rows[] = {
    "4398046511104", "foo", "0", "leader",   "5", "5", "0", "999999", "3",
    "4398046511104", "foo", "1", "follower", "5", "4", "1", "150",    "7",
    "4398046511105", "foo", "1", "leader",   "9", "9", "0", "999999", "0",
    "4398046511105", "foo", "2", "follower", "9", "6", "3", "420",    "2",
};

#define N(a, c) ((uint32_t)(sizeof(a) / sizeof(a[0]) / (c)))

static int fake_execute(void *ctx, struct session *s, const char *sql, size_t len,
                        query_emit_fn emit, void *ectx)
{
	(void)s;
	struct fake *f = ctx;
	if (f->calls < 16)
		snprintf(f->sql[f->calls], sizeof(f->sql[0]), "%.*s", (int)len, sql);
	f->calls++;
	if (strstr(sql, "cluster_info")) {
		if (f->fail_cluster_info)
			return emit_error(emit, ectx, 3000, "cluster_info exploded");
		return emit_table(emit, ectx, ci_cols, 5, ci_rows, 5, N(ci_rows, 5));
	}
	if (strstr(sql, "region_peers")) {
		if (f->fail_region_peers)
			return emit_error(emit, ectx, 1003, "metasrv unavailable");
		if (strstr(sql, "table_name = 'foo'") || !strstr(sql, "WHERE"))
			return emit_table(emit, ectx, rp_cols, 6, rp_rows, 6, N(rp_rows, 6));
		return emit_table(emit, ectx, rp_cols, 6, rp_rows, 6, 0);
	}
	if (strstr(sql, "region_statistics"))
		return emit_table(emit, ectx, rs_cols, f->stats_without_peer ? 5 : 6, rs_rows,
		                  6, N(rs_rows, 6));
	if (strstr(sql, "region_replicas")) {
		if (f->no_replicas)
			return emit_error(
			    emit, ectx, 4001,
			    "Table not found: greptime.information_schema.region_replicas");
		return emit_table(emit, ectx, rr_cols, 9, rr_rows, 9, N(rr_rows, 9));
	}
	if (!strncmp(sql, "DESC TABLE", 10)) {
		if (strstr(sql, "`foo`") || strstr(sql, "`empty`"))
			return emit_table(emit, ectx, ci_cols, 1, ci_rows, 5, 0);
		return emit_error(emit, ectx, 4001, "Table not found: greptime.public.nope");
	}
	return err_set(ERR_INTERNAL, "unexpected SQL %s", sql);
}

static cJSON *call(struct fake *f, const char *path, unsigned *status)
{
	struct query_handler h = {.ctx = f, .execute = fake_execute};
	struct session s;
	session_init(&s, SESSION_HTTP, 1);
	struct buf out;
	buf_init(&out);
	*status = 0;
	assert_int_equal(http_cluster_api(&h, &s, path, status, &out), ERR_OK);
	buf_cstr(&out);
	cJSON *j = cJSON_Parse((const char *)out.data);
	if (!j)
		fail_msg("not JSON: %s", out.data ? (char *)out.data : "(null)");
	buf_free(&out);
	return j;
}

static cJSON *get(const cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!v)
		fail_msg("missing key %s", k);
	return v;
}

static double num(const cJSON *o, const char *k)
{
	cJSON *v = get(o, k);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static const char *str(const cJSON *o, const char *k)
{
	cJSON *v = get(o, k);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

/* ---- assets ------------------------------------------------------------------------- */

static void test_assets(void **state)
{
	(void)state;
	const struct console_asset *idx = console_asset_find("");
	assert_non_null(idx);
	assert_string_equal(idx->name, "index.html");
	assert_ptr_equal(console_asset_find("index.html"), idx);
	assert_non_null(strstr((const char *)idx->data, "<title>Strata console</title>"));
	assert_int_equal(idx->data[idx->len], 0);
	const struct console_asset *js = console_asset_find("app.js");
	assert_non_null(js);
	assert_true(js->len > 1000);
	assert_null(console_asset_find("../app.js"));
	assert_null(console_asset_find("x/app.js"));
	assert_null(console_asset_find("nope.js"));
	assert_null(console_asset_find("app.j"));
	assert_string_equal(console_content_type("index.html"), "text/html; charset=utf-8");
	assert_string_equal(console_content_type("a.JS"), "text/javascript; charset=utf-8");
	assert_string_equal(console_content_type("style.css"), "text/css; charset=utf-8");
	assert_string_equal(console_content_type("logo.svg"), "image/svg+xml");
	assert_string_equal(console_content_type("README"), "application/octet-stream");
	assert_string_equal(console_content_type(NULL), "application/octet-stream");
}

/* ---- /nodes -------------------------------------------------------------------------- */

static void test_nodes(void **state)
{
	(void)state;
	struct fake f = {0};
	unsigned st;
	cJSON *j = call(&f, "nodes", &st);
	assert_int_equal(st, 200);
	cJSON *nodes = get(j, "nodes");
	assert_int_equal(cJSON_GetArraySize(nodes), 5);
	/* metasrv: no region counts even though peer id 0 holds regions */
	cJSON *m = cJSON_GetArrayItem(nodes, 0);
	assert_string_equal(str(m, "peer_type"), "METASRV");
	assert_true(cJSON_IsNull(get(m, "leader_regions")));
	assert_true(cJSON_IsTrue(get(m, "alive")));
	cJSON *d0 = cJSON_GetArrayItem(nodes, 1), *d1 = cJSON_GetArrayItem(nodes, 2),
	      *d2 = cJSON_GetArrayItem(nodes, 3);
	assert_int_equal(num(d0, "leader_regions"), 1);
	assert_int_equal(num(d0, "follower_regions"), 0);
	assert_true(cJSON_IsTrue(get(d0, "alive"))); /* null node_status = alive */
	assert_int_equal(num(d1, "leader_regions"), 1);
	assert_int_equal(num(d1, "follower_regions"), 1);
	assert_int_equal(num(d2, "leader_regions"), 0);
	assert_int_equal(num(d2, "follower_regions"), 1);
	assert_true(cJSON_IsFalse(get(d2, "alive")));
	assert_string_equal(str(d2, "peer_addr"), "127.0.0.1:3102");
	assert_string_equal(str(d2, "uptime"), "1m");
	cJSON_Delete(j);
}

static void test_nodes_without_region_peers(void **state)
{
	(void)state;
	struct fake f = {.fail_region_peers = 1};
	unsigned st;
	cJSON *j = call(&f, "nodes", &st);
	assert_int_equal(st, 200);
	cJSON *d0 = cJSON_GetArrayItem(get(j, "nodes"), 1);
	assert_true(cJSON_IsNull(get(d0, "leader_regions")));
	assert_true(cJSON_IsNull(get(d0, "follower_regions")));
	cJSON_Delete(j);
}

static void test_nodes_error(void **state)
{
	(void)state;
	struct fake f = {.fail_cluster_info = 1};
	unsigned st;
	cJSON *j = call(&f, "nodes", &st);
	assert_int_equal(st, 400);
	assert_int_equal(num(j, "code"), 3000);
	assert_string_equal(str(j, "error"), "cluster_info exploded");
	cJSON_Delete(j);
	/* no engine at all */
	struct query_handler h = {0};
	struct session s;
	session_init(&s, SESSION_HTTP, 1);
	struct buf out;
	buf_init(&out);
	assert_int_equal(http_cluster_api(&h, &s, "nodes", &st, &out), ERR_OK);
	assert_int_equal(st, 500);
	buf_cstr(&out);
	assert_non_null(strstr((char *)out.data, "SQL is not available"));
	buf_free(&out);
}

/* ---- /tables/S/T/regions --------------------------------------------------------------- */

static cJSON *peer_of(cJSON *region, int i)
{
	return cJSON_GetArrayItem(get(region, "peers"), i);
}

static void test_regions(void **state)
{
	(void)state;
	struct fake f = {0};
	unsigned st;
	cJSON *j = call(&f, "tables/public/foo/regions", &st);
	assert_int_equal(st, 200);
	assert_string_equal(str(j, "schema"), "public");
	assert_string_equal(str(j, "table"), "foo");
	assert_int_equal(num(j, "table_id"), 1024);
	assert_true(cJSON_IsTrue(get(j, "replicas_available")));
	cJSON *regions = get(j, "regions");
	assert_int_equal(cJSON_GetArraySize(regions), 2);
	cJSON *r0 = cJSON_GetArrayItem(regions, 0), *r1 = cJSON_GetArrayItem(regions, 1);
	assert_int_equal(num(r0, "region_id"), (double)RID(1024, 0));
	assert_int_equal(num(r1, "region_number"), 1);
	assert_int_equal(num(get(r0, "stats"), "region_rows"), 10);
	assert_string_equal(str(get(r0, "stats"), "region_role"), "Leader");
	/* leader first even though region_peers listed the follower first */
	cJSON *l0 = peer_of(r0, 0), *f0 = peer_of(r0, 1);
	assert_string_equal(str(l0, "role"), "leader");
	assert_int_equal(num(l0, "peer_id"), 0);
	assert_string_equal(str(l0, "status"), "ALIVE");
	assert_string_equal(str(f0, "role"), "follower");
	assert_int_equal(num(f0, "peer_id"), 1);
	assert_true(cJSON_IsNull(get(f0, "status")));
	/* replica and stats rows matched by peer */
	assert_int_equal(num(get(f0, "replica"), "versions_behind"), 1);
	assert_int_equal(num(get(f0, "replica"), "ms_since_sync"), 150);
	assert_string_equal(str(get(f0, "stats"), "region_role"), "Follower");
	cJSON *f1 = peer_of(r1, 1);
	assert_int_equal(num(f1, "peer_id"), 2);
	assert_int_equal(num(f1, "down_seconds"), 7);
	assert_int_equal(num(get(f1, "replica"), "installed_manifest_version"), 6);
	assert_int_equal(num(get(f1, "stats"), "region_rows"), 19);
	assert_int_equal(cJSON_GetArraySize(get(r1, "peers")), 2);
	/* the SQL named the table safely and limited replicas to the table */
	int saw_range = 0;
	for (int i = 0; i < f.calls && i < 16; i++) {
		if (strstr(f.sql[i], "region_replicas"))
			saw_range = strstr(f.sql[i], "region_id >= 4398046511104 AND region_id < "
			                             "4402341478400") != NULL;
		if (!strncmp(f.sql[i], "DESC", 4))
			assert_string_equal(f.sql[i], "DESC TABLE `public`.`foo`");
	}
	assert_true(saw_range);
	cJSON_Delete(j);
}

static void test_regions_without_replicas(void **state)
{
	(void)state;
	struct fake f = {.no_replicas = 1, .stats_without_peer = 1};
	unsigned st;
	cJSON *j = call(&f, "tables/public/foo/regions", &st);
	assert_int_equal(st, 200);
	assert_true(cJSON_IsFalse(get(j, "replicas_available")));
	assert_non_null(strstr(str(j, "replicas_error"), "region_replicas"));
	cJSON *r0 = cJSON_GetArrayItem(get(j, "regions"), 0);
	cJSON *l0 = peer_of(r0, 0), *f0 = peer_of(r0, 1);
	assert_true(cJSON_IsNull(get(f0, "replica")));
	/* no peer column in the stats: the leader gets the Leader row, the
	 * follower none */
	assert_true(cJSON_IsObject(get(l0, "stats")));
	assert_true(cJSON_IsNull(get(f0, "stats")));
	cJSON_Delete(j);
}

static void test_regions_unknown_and_empty(void **state)
{
	(void)state;
	struct fake f = {0};
	unsigned st;
	cJSON *j = call(&f, "tables/public/nope/regions", &st);
	assert_int_equal(st, 400);
	assert_int_equal(num(j, "code"), 4001);
	assert_string_equal(str(j, "error"), "Table not found: greptime.public.nope");
	cJSON_Delete(j);
	/* a table with no route rows: empty list, no stats queries */
	struct fake g = {0};
	j = call(&g, "tables/public/empty/regions", &st);
	assert_int_equal(st, 200);
	assert_int_equal(cJSON_GetArraySize(get(j, "regions")), 0);
	assert_true(cJSON_IsNull(get(j, "table_id")));
	assert_int_equal(g.calls, 2);
	cJSON_Delete(j);
}

static void test_hostile_paths(void **state)
{
	(void)state;
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	char longpath[400];
	snprintf(longpath, sizeof(longpath), "tables/public/%s/regions", longname);
	const char *bad[] = {
	    "tables/", "tables/public", "tables/public/foo", "tables/public/foo/", "tables//foo/regions",
	    "tables/public//regions", "tables/public/foo/regions/", "tables/public/foo/regionsX",
	    "tables/pub'lic/foo/regions", "tables/public/fo`o/regions", "tables/public/f\"oo/regions",
	    "tables/public/f\\oo/regions", "tables/public/f\noo/regions", "tables/public/f\x7foo/regions",
	    "tables/a/b/c/regions", longpath,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fake f = {0};
		unsigned st;
		cJSON *j = call(&f, bad[i], &st);
		assert_int_equal(st, 400);
		assert_int_equal(num(j, "code"), 1004);
		assert_int_equal(f.calls, 0);
		cJSON_Delete(j);
	}
	struct fake f = {0};
	unsigned st;
	cJSON *j = call(&f, "", &st);
	assert_int_equal(st, 404);
	cJSON_Delete(j);
	j = call(&f, "nodes/", &st);
	assert_int_equal(st, 404);
	cJSON_Delete(j);
	assert_int_equal(f.calls, 0);
}

/* ---- /lag ---------------------------------------------------------------------------------- */

static void test_lag(void **state)
{
	(void)state;
	struct fake f = {0};
	unsigned st;
	cJSON *j = call(&f, "lag", &st);
	assert_int_equal(st, 200);
	assert_int_equal(cJSON_GetArraySize(get(j, "replicas")), 4);
	/* maxima over followers only: the leaders' 999999 ms are ignored */
	assert_int_equal(num(j, "max_versions_behind"), 3);
	assert_int_equal(num(j, "max_ms_since_sync"), 420);
	cJSON *r1 = cJSON_GetArrayItem(get(j, "replicas"), 1);
	assert_int_equal(num(r1, "reads_served"), 7);
	assert_string_equal(str(r1, "table_name"), "foo");
	cJSON_Delete(j);
	struct fake g = {.no_replicas = 1};
	j = call(&g, "lag", &st);
	assert_int_equal(st, 400);
	assert_int_equal(num(j, "code"), 4001);
	cJSON_Delete(j);
}

/* ---- allocation failures ------------------------------------------------------------------ */

static void test_oom(void **state)
{
	(void)state;
	const char *paths[] = {"nodes", "lag", "tables/public/foo/regions"};
	for (size_t p = 0; p < 3; p++) {
		int full = 0;
		for (long n = 0; n < 5000 && !full; n++) {
			struct fake f = {0};
			struct query_handler h = {.ctx = &f, .execute = fake_execute};
			struct session s;
			session_init(&s, SESSION_HTTP, 1);
			struct buf out;
			buf_init(&out);
			unsigned st = 0;
			mem_fail_after(n);
			int rc = http_cluster_api(&h, &s, paths[p], &st, &out);
			mem_fail_after(-1);
			assert_true(rc == ERR_OK || rc == ERR_NOMEM);
			if (rc == ERR_OK) {
				buf_cstr(&out);
				cJSON *j = cJSON_Parse((const char *)out.data);
				assert_non_null(j);
				full = st == 200;
				cJSON_Delete(j);
			}
			buf_free(&out);
		}
		assert_true(full);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_assets),
	    cmocka_unit_test(test_nodes),
	    cmocka_unit_test(test_nodes_without_region_peers),
	    cmocka_unit_test(test_nodes_error),
	    cmocka_unit_test(test_regions),
	    cmocka_unit_test(test_regions_without_replicas),
	    cmocka_unit_test(test_regions_unknown_and_empty),
	    cmocka_unit_test(test_hostile_paths),
	    cmocka_unit_test(test_lag),
	    cmocka_unit_test(test_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
