/* The frontend's cache of resolved tables (frontend_options.catalog_gen):
 * a frontend over SQLite metadata behind a kv wrapper that bumps the
 * generation on every write, as standalone.c's does. Repeated statements
 * reuse the table (hits counted); CREATE / ALTER / DROP / re-CREATE and
 * RENAME are seen by the very next statement; a write the frontend did
 * not make (straight to the inner kv, no bump) proves that the
 * generation is what invalidates; without a generation nothing is kept;
 * the cache holds at most FE_TABLE_CACHE tables and they all answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"
#include "base/mem.h"
#include "datanode/region_server.h"
#include "frontend/frontend.h"
#include "frontend/frontend_int.h"
#include "helpers/region_fixture.h"
#include "meta/kv.h"
#include "objstore/objstore.h"

/* counting wrapper: every txn bumps gen */
struct gen_kv {
	struct kv base;
	struct kv *inner;
	_Atomic uint64_t gen;
};

static int g_get(struct kv *kv, const char *key, uint8_t **value, size_t *len)
{
	return kv_get(((struct gen_kv *)kv)->inner, key, value, len);
}

static int g_range(struct kv *kv, const char *prefix, struct kv_list *out)
{
	return kv_range(((struct gen_kv *)kv)->inner, prefix, out);
}

static int g_txn(struct kv *kv, const struct kv_cmp *cmps, size_t ncmp, const struct kv_op *ops,
                 size_t nops)
{
	struct gen_kv *g = (struct gen_kv *)kv;
	int rc = kv_txn(g->inner, cmps, ncmp, ops, nops);
	atomic_fetch_add(&g->gen, 1);
	return rc;
}

static void g_close(struct kv *kv)
{
	struct gen_kv *g = (struct gen_kv *)kv;
	kv_close(g->inner);
	mem_free(g);
}

static const struct kv_ops gen_kv_ops = {"gen", g_get, g_range, g_txn, g_close};

struct env {
	char *dir;
	struct gen_kv *kv;
	struct objstore *store;
	struct region_server *rs;
	struct frontend *fe;
	struct query_handler h;
	struct session s;
};

static struct env E;

static void env_open(bool with_gen)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/meta.db", E.dir);
	E.kv = mem_calloc(1, sizeof(*E.kv));
	assert_non_null(E.kv);
	E.kv->base.ops = &gen_kv_ops;
	assert_int_equal(kv_open_sqlite(path, &E.kv->inner), ERR_OK);
	assert_int_equal(catalog_bootstrap(&E.kv->base), ERR_OK);
	assert_int_equal(objstore_open_fs(E.dir, &E.store), ERR_OK);
	snprintf(path, sizeof(path), "%s/wal", E.dir);
	struct region_server_options ro = {.node_id = 0, .store = E.store, .wal_dir = path};
	assert_int_equal(region_server_open(&ro, &E.rs), ERR_OK);
	struct frontend_options fo = {.kv = &E.kv->base,
	                              .regions = E.rs,
	                              .node_id = 0,
	                              .peer_addr = "127.0.0.1:4001",
	                              .mode = "standalone",
	                              .catalog_gen = with_gen ? &E.kv->gen : NULL};
	assert_int_equal(frontend_open(&fo, &E.fe), ERR_OK);
	assert_int_equal(frontend_open_all_regions(E.fe), ERR_OK);
	E.h = frontend_query_handler(E.fe);
	session_init(&E.s, SESSION_MYSQL, 1);
}

static void env_close(void)
{
	frontend_close(E.fe);
	region_server_close(E.rs);
	objstore_close(E.store);
	kv_close(&E.kv->base);
}

static int setup(void **state)
{
	(void)state;
	memset(&E, 0, sizeof(E));
	E.dir = fx_tempdir("fetc");
	env_open(true);
	return 0;
}

static int setup_nogen(void **state)
{
	(void)state;
	memset(&E, 0, sizeof(E));
	E.dir = fx_tempdir("fetc");
	env_open(false);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	env_close();
	fx_rmrf(E.dir);
	mem_free(E.dir);
	return 0;
}

struct outcome {
	int kind;
	uint32_t nrows, ncols;
	char names[512]; /* column names, comma-separated */
	char msg[512];
};

static int capture(void *ctx, const struct query_result *r)
{
	struct outcome *o = ctx;
	o->kind = r->kind;
	if (r->kind == QUERY_ERROR)
		snprintf(o->msg, sizeof(o->msg), "%s", r->err_msg);
	if (r->kind != QUERY_ROWS)
		return 0;
	o->nrows = r->rs.rows.nrows;
	o->ncols = r->rs.ncols;
	size_t w = 0;
	for (uint32_t c = 0; c < r->rs.ncols && w < sizeof(o->names); c++)
		w += (size_t)snprintf(o->names + w, sizeof(o->names) - w, "%s%s", c ? "," : "",
		                      r->rs.names[c]);
	return 0;
}

static struct outcome run(const char *sql)
{
	struct outcome o;
	memset(&o, 0, sizeof(o));
	assert_int_equal(E.h.execute(E.h.ctx, &E.s, sql, strlen(sql), capture, &o), ERR_OK);
	return o;
}

static void ok(const char *sql)
{
	struct outcome o = run(sql);
	if (o.kind == QUERY_ERROR)
		fail_msg("%s: %s", sql, o.msg);
}

static void expect_cols(const char *sql, const char *names, uint32_t nrows)
{
	struct outcome o = run(sql);
	if (o.kind != QUERY_ROWS)
		fail_msg("%s: %s", sql, o.msg);
	if (strcmp(o.names, names))
		fail_msg("%s: columns %s, expected %s", sql, o.names, names);
	assert_int_equal(o.nrows, nrows);
}

static uint64_t hits(void)
{
	return atomic_load(&E.fe->n_table_hits);
}

static void test_reuse_and_invalidation(void **state)
{
	(void)state;
	ok("CREATE TABLE t (h STRING, v DOUBLE, ts TIMESTAMP TIME INDEX, PRIMARY KEY (h))");
	ok("INSERT INTO t VALUES ('a', 1.5, 1000), ('b', 2.5, 2000)");
	expect_cols("SELECT * FROM t", "h,v,ts", 2);
	uint64_t h0 = hits();
	expect_cols("SELECT * FROM t", "h,v,ts", 2);
	expect_cols("SELECT * FROM t WHERE v > 2", "h,v,ts", 1);
	assert_int_equal(hits(), h0 + 2); /* no write in between: reused */
	/* ALTER is seen by the next statement */
	ok("ALTER TABLE t ADD COLUMN w DOUBLE");
	expect_cols("SELECT * FROM t", "h,v,ts,w", 2);
	/* DROP: the next statement does not find it; a new t with another
	 * schema is the one read */
	ok("DROP TABLE t");
	struct outcome o = run("SELECT * FROM t");
	assert_int_equal(o.kind, QUERY_ERROR);
	ok("CREATE TABLE t (x BIGINT, ts TIMESTAMP TIME INDEX)");
	expect_cols("SELECT * FROM t", "x,ts", 0);
	ok("INSERT INTO t VALUES (7, 1000)");
	expect_cols("SELECT * FROM t", "x,ts", 1);
}

/* A catalog change the generation does not announce stays unseen: the
 * generation is what invalidates (the mutation check of the bump). */
static void test_generation_is_the_key(void **state)
{
	(void)state;
	ok("CREATE TABLE u (h STRING, v DOUBLE, ts TIMESTAMP TIME INDEX, PRIMARY KEY (h))");
	expect_cols("SELECT * FROM u", "h,v,ts", 0);
	/* rewrite u's table info straight in the inner kv with a renamed
	 * column: no bump */
	struct table_info *info = NULL;
	assert_int_equal(catalog_get_table(&E.kv->base, "greptime", "public", "u", &info), ERR_OK);
	char key[64];
	snprintf(key, sizeof(key), "__table_info/%u", info->table_id);
	uint8_t *val = NULL;
	size_t len = 0;
	assert_int_equal(kv_get(E.kv->inner, key, &val, &len), ERR_OK);
	char *p = strstr((char *)val, "\"v\"");
	assert_non_null(p);
	p[1] = 'q';
	assert_int_equal(kv_put(E.kv->inner, key, val, len), ERR_OK);
	expect_cols("SELECT * FROM u", "h,v,ts", 0); /* the kept copy */
	atomic_fetch_add(&E.kv->gen, 1);
	expect_cols("SELECT * FROM u", "h,q,ts", 0); /* re-read */
	mem_free(val);
	table_info_free(info);
}

static void test_many_tables(void **state)
{
	(void)state;
	char sql[256];
	uint32_t n = FE_TABLE_CACHE + 8;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql), "CREATE TABLE m%u (c%u BIGINT, ts TIMESTAMP TIME INDEX)", i,
		         i);
		ok(sql);
	}
	for (int round = 0; round < 3; round++)
		for (uint32_t i = 0; i < n; i++) {
			char names[64];
			snprintf(sql, sizeof(sql), "SELECT * FROM m%u", i);
			snprintf(names, sizeof(names), "c%u,ts", i);
			expect_cols(sql, names, 0);
		}
	/* the most recent FE_TABLE_CACHE are kept */
	uint64_t h0 = hits();
	for (uint32_t i = n - FE_TABLE_CACHE; i < n; i++) {
		snprintf(sql, sizeof(sql), "SELECT * FROM m%u", i);
		run(sql);
	}
	assert_int_equal(hits(), h0 + FE_TABLE_CACHE);
}

static void test_no_generation_no_cache(void **state)
{
	(void)state;
	ok("CREATE TABLE t (h STRING, ts TIMESTAMP TIME INDEX, PRIMARY KEY (h))");
	expect_cols("SELECT * FROM t", "h,ts", 0);
	expect_cols("SELECT * FROM t", "h,ts", 0);
	assert_int_equal(hits(), 0);
	assert_int_equal(atomic_load(&E.fe->n_table_misses), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reuse_and_invalidation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_is_the_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_generation_no_cache, setup_nogen, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
