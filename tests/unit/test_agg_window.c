/* Time-bucket top-k (src/sql/agg_window.c): GROUP BY <bucket of the time
 * index> ORDER BY that bucket DESC|ASC LIMIT k reads the scan in windows.
 * A frontend in process (real regions: two partitions, memtable + SST,
 * duplicates, deletes, NULL fields, gaps) runs each query with LIMIT k and
 * without LIMIT; the limited answer must be exactly the first k rows of
 * the unlimited one (which takes the plain, unwindowed plan). Randomized
 * over data, bucket functions, aggregates, predicates, directions and k.
 * EXPLAIN ANALYZE shows the windowed scan read fewer rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "datanode/region_server.h"
#include "frontend/frontend.h"
#include "frontend/frontend_int.h"
#include "helpers/region_fixture.h"
#include "meta/kv.h"
#include "objstore/objstore.h"

struct env {
	char *dir;
	struct kv *kv;
	struct objstore *store;
	struct region_server *rs;
	struct frontend *fe;
	struct query_handler h;
	struct session s;
};

static struct env E;

static int setup(void **state)
{
	(void)state;
	memset(&E, 0, sizeof(E));
	E.dir = fx_tempdir("aggwin");
	char path[600];
	snprintf(path, sizeof(path), "%s/meta.db", E.dir);
	assert_int_equal(kv_open_sqlite(path, &E.kv), ERR_OK);
	assert_int_equal(catalog_bootstrap(E.kv), ERR_OK);
	assert_int_equal(objstore_open_fs(E.dir, &E.store), ERR_OK);
	snprintf(path, sizeof(path), "%s/wal", E.dir);
	struct region_server_options ro = {.node_id = 0, .store = E.store, .wal_dir = path};
	assert_int_equal(region_server_open(&ro, &E.rs), ERR_OK);
	struct frontend_options fo = {.kv = E.kv,
	                              .regions = E.rs,
	                              .node_id = 0,
	                              .peer_addr = "127.0.0.1:4001",
	                              .mode = "standalone"};
	assert_int_equal(frontend_open(&fo, &E.fe), ERR_OK);
	assert_int_equal(frontend_open_all_regions(E.fe), ERR_OK);
	E.h = frontend_query_handler(E.fe);
	session_init(&E.s, SESSION_MYSQL, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	frontend_close(E.fe);
	region_server_close(E.rs);
	objstore_close(E.store);
	kv_close(E.kv);
	fx_rmrf(E.dir);
	mem_free(E.dir);
	return 0;
}

/* A result rendered as text: one line per row, cells separated by '|'
 * (doubles with 17 significant digits: any bit difference shows). */
struct outcome {
	int kind;
	char msg[512];
	uint32_t nrows;
	struct buf text;
	uint32_t *line_end; /* offset in text after row i's newline */
};

static int capture(void *ctx, const struct query_result *r)
{
	struct outcome *o = ctx;
	o->kind = r->kind;
	if (r->kind == QUERY_ERROR) {
		snprintf(o->msg, sizeof(o->msg), "%s", r->err_msg);
		return 0;
	}
	if (r->kind != QUERY_ROWS)
		return 0;
	o->nrows = r->rs.rows.nrows;
	o->line_end = calloc(o->nrows + 1, sizeof(uint32_t));
	for (uint32_t i = 0; i < o->nrows; i++) {
		for (uint32_t c = 0; c < r->rs.ncols; c++) {
			const struct colvec *v = &r->rs.rows.cols[c];
			char cell[128];
			if (colvec_is_null(v, i))
				snprintf(cell, sizeof(cell), "NULL");
			else if (dtype_phys(v->type) == PHYS_BYTES) {
				uint32_t n;
				const char *p = colvec_bytes(v, i, &n);
				assert_int_equal(buf_append(&o->text, p, n), ERR_OK);
				cell[0] = 0;
			} else if (dtype_phys(v->type) == PHYS_I64)
				snprintf(cell, sizeof(cell), "%lld", (long long)v->i64[i]);
			else
				snprintf(cell, sizeof(cell), "%.17g", v->f64[i]);
			assert_int_equal(buf_append(&o->text, cell, strlen(cell)), ERR_OK);
			assert_int_equal(buf_append(&o->text, c + 1 < r->rs.ncols ? "|" : "\n", 1), ERR_OK);
		}
		o->line_end[i] = (uint32_t)o->text.len;
	}
	return 0;
}

static void run(const char *sql, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->text);
	assert_int_equal(E.h.execute(E.h.ctx, &E.s, sql, strlen(sql), capture, o), ERR_OK);
	if (o->kind == QUERY_ERROR)
		fail_msg("%s: %s", sql, o->msg);
}

static void outcome_free(struct outcome *o)
{
	buf_free(&o->text);
	free(o->line_end);
}

static void ok(const char *sql)
{
	struct outcome o;
	run(sql, &o);
	outcome_free(&o);
}

/* `base ORDER BY order LIMIT k OFFSET off` equals rows [off, off+k) of
 * `base ORDER BY order`. */
static void same_as_unlimited(const char *base, const char *order, uint32_t k, uint32_t off)
{
	char full[1024], lim[1100];
	snprintf(full, sizeof(full), "%s ORDER BY %s", base, order);
	snprintf(lim, sizeof(lim), "%s LIMIT %u OFFSET %u", full, k, off);
	struct outcome a, b;
	run(full, &a);
	run(lim, &b);
	uint32_t from = off < a.nrows ? off : a.nrows;
	uint32_t to = off + k < a.nrows ? off + k : a.nrows;
	uint32_t s = from ? a.line_end[from - 1] : 0, e = to ? a.line_end[to - 1] : 0;
	if (to < from)
		e = s;
	size_t n = e > s ? e - s : 0;
	if (b.nrows != to - from || b.text.len != n || (n && memcmp(b.text.data, a.text.data + s, n)))
		fail_msg("%s\nlimited (%u rows):\n%.*s\nexpected (%u rows):\n%.*s", lim, b.nrows,
			 (int)b.text.len, b.text.data ? (char *)b.text.data : "", to - from, (int)n,
			 (char *)a.text.data + s);
	outcome_free(&a);
	outcome_free(&b);
}

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)((rng_state >> 33) % n);
}

static const char *const hosts[] = {"a", "b", "k", "m", "q", "z"};

/* Rows in bursts with gaps, NULL fields, rewrites of existing rows. */
static void insert_random(int64_t t0, int64_t span_ms, uint32_t nrows)
{
	char sql[65536];
	uint32_t done = 0;
	while (done < nrows) {
		size_t w = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO w (h, g, v, ts) VALUES ");
		for (uint32_t i = 0; i < 200 && done < nrows; i++, done++) {
			/* bursts: pick a cluster centre, then a small offset */
			int64_t c = t0 + (int64_t)rnd(40) * (span_ms / 40);
			int64_t ts = c + (int64_t)rnd(1 + (uint32_t)(span_ms / 400));
			char v[32];
			if (rnd(10) == 0)
				snprintf(v, sizeof(v), "NULL");
			else
				snprintf(v, sizeof(v), "%d.%02d", (int)rnd(200) - 50, (int)rnd(100));
			w += (size_t)snprintf(sql + w, sizeof(sql) - w, "%s('%s', %u, %s, %lld)",
					      i ? ", " : "", hosts[rnd(6)], rnd(3), v, (long long)ts);
		}
		ok(sql);
	}
}

static const char *const buckets[] = {
    "ts",
    "date_trunc('second', ts)",
    "date_trunc('minute', ts)",
    "date_trunc('hour', ts)",
    "date_trunc('day', ts)",
    "date_trunc('week', ts)",
    "date_trunc('month', ts)",
    "date_trunc('year', ts)",
    "date_bin(INTERVAL '7 seconds', ts)",
    "date_bin(INTERVAL '90 seconds', ts, '1970-01-01T00:00:13')",
    "date_bin(INTERVAL '1 day', ts)",
};

static const char *const aggs[] = {
    "count(*)", "sum(v)", "avg(v)", "max(v)", "min(v)", "count(v), sum(v), max(v)",
    "first_value(v ORDER BY ts)", "count(DISTINCT h)",
};

static void check_random_queries(int64_t t0, int64_t span, uint32_t nq)
{
	for (uint32_t q = 0; q < nq; q++) {
		const char *bk = buckets[rnd(sizeof(buckets) / sizeof(buckets[0]))];
		const char *ag = aggs[rnd(sizeof(aggs) / sizeof(aggs[0]))];
		char where[256] = "";
		int64_t a = t0 + (int64_t)rnd((uint32_t)span), b = a + (int64_t)rnd((uint32_t)span);
		switch (rnd(7)) {
		case 0: break;
		case 1: snprintf(where, sizeof(where), "WHERE ts < %lld", (long long)b); break;
		case 2:
			snprintf(where, sizeof(where), "WHERE ts >= %lld AND ts < %lld", (long long)a,
				 (long long)b);
			break;
		case 3: snprintf(where, sizeof(where), "WHERE ts >= %lld", (long long)a); break;
		case 4: snprintf(where, sizeof(where), "WHERE h = '%s'", hosts[rnd(6)]); break;
		case 5: snprintf(where, sizeof(where), "WHERE v > 10 AND ts <= %lld", (long long)b); break;
		default:
			snprintf(where, sizeof(where), "WHERE h IN ('a', 'q') AND ts > %lld", (long long)a);
			break;
		}
		bool by_host = rnd(3) == 0;
		const char *dir = rnd(3) ? "DESC" : "ASC";
		char base[600], order[200];
		snprintf(base, sizeof(base), "SELECT %s AS b,%s %s FROM w %s GROUP BY b%s", bk,
			 by_host ? " h," : "", ag, where, by_host ? ", h" : "");
		snprintf(order, sizeof(order), "b %s%s", dir, by_host ? ", h" : "");
		static const uint32_t ks[] = {1, 2, 3, 5, 8, 20, 100};
		uint32_t k = ks[rnd(7)];
		same_as_unlimited(base, order, k, rnd(4) == 0 ? rnd(5) : 0);
	}
}

static void test_random_top_buckets(void **state)
{
	(void)state;
	rng_state = 42;
	ok("CREATE TABLE w (h STRING, g INT, v DOUBLE, ts TIMESTAMP(3) TIME INDEX, PRIMARY KEY (h, g)) "
	   "PARTITION ON COLUMNS (h) (h < 'm', h >= 'm')");
	int64_t t0 = 1451606400000LL; /* 2016-01-01, a Friday */
	int64_t span = 400LL * 86400000LL; /* more than a year: month/year buckets matter */
	/* memtable only */
	insert_random(t0, span, 3000);
	check_random_queries(t0, span, 150);
	/* SSTs + newer rows in the memtable, rewrites and deletes */
	ok("ADMIN FLUSH_TABLE('w')");
	insert_random(t0, span, 1500);
	char sql[256];
	for (int i = 0; i < 20; i++) {
		int64_t a = t0 + (int64_t)rnd((uint32_t)(span / 1000)) * 1000;
		snprintf(sql, sizeof(sql), "DELETE FROM w WHERE h = '%s' AND ts >= %lld AND ts < %lld",
			 hosts[rnd(6)], (long long)a, (long long)(a + span / 50));
		ok(sql);
	}
	check_random_queries(t0, span, 150);
	ok("ADMIN FLUSH_TABLE('w')");
	insert_random(t0 + span / 2, span / 4, 500);
	check_random_queries(t0, span, 150);
}

/* Hand-made edge cases: fewer buckets than k, a single row, empty
 * ranges, ties between groups of one bucket, bounds on bucket edges. */
static void test_edges(void **state)
{
	(void)state;
	ok("CREATE TABLE e (h STRING, v DOUBLE, ts TIMESTAMP(3) TIME INDEX, PRIMARY KEY (h))");
	const char *b = "SELECT date_trunc('minute', ts) AS m, count(*), sum(v) FROM e";
	char base[400];
	snprintf(base, sizeof(base), "%s GROUP BY m", b);
	same_as_unlimited(base, "m DESC", 5, 0); /* empty table */
	ok("INSERT INTO e VALUES ('x', 1.5, '2020-01-01 00:00:30')");
	same_as_unlimited(base, "m DESC", 5, 0);
	ok("INSERT INTO e VALUES ('x', 2, '2020-01-01 00:01:00'), ('y', NULL, '2020-01-01 00:01:59.999'),"
	   " ('x', 3, '2020-01-01 00:05:00'), ('y', 4, '2020-03-01 00:00:00'),"
	   " ('x', 5, '1969-12-31 23:59:59.999'), ('x', 6, '1970-01-01 00:00:00')");
	static const char *const wheres[] = {
	    "", "WHERE ts < '2020-01-01 00:01:00'", "WHERE ts < '2020-01-01 00:01:00.001'",
	    "WHERE ts >= '2020-01-01 00:01:00' AND ts < '2020-01-01 00:05:00'",
	    "WHERE ts > '2030-01-01 00:00:00'", "WHERE ts < '1970-01-01 00:00:00'",
	    "WHERE ts >= '2020-01-01 00:01:59.999'",
	};
	for (size_t w = 0; w < sizeof(wheres) / sizeof(wheres[0]); w++)
		for (uint32_t k = 1; k <= 8; k++) {
			snprintf(base, sizeof(base), "%s %s GROUP BY m", b, wheres[w]);
			same_as_unlimited(base, "m DESC", k, 0);
			same_as_unlimited(base, "m ASC", k, 0);
			snprintf(base, sizeof(base),
				 "SELECT date_trunc('minute', ts) AS m, h, max(v) FROM e %s GROUP BY m, h",
				 wheres[w]);
			same_as_unlimited(base, "m DESC, h", k, 0);
			same_as_unlimited(base, "m, h DESC", k, 1);
		}
}

/* The windowed plan really reads less: the scan of a LIMIT 2 query over
 * 1,000 minutes returns only rows of the last minutes. */
static void test_reads_less(void **state)
{
	(void)state;
	ok("CREATE TABLE r (h STRING, v DOUBLE, ts TIMESTAMP(3) TIME INDEX, PRIMARY KEY (h))");
	char sql[65536];
	for (int part = 0; part < 5; part++) {
		size_t w = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO r VALUES ");
		for (int i = 0; i < 200; i++) {
			int m = part * 200 + i;
			w += (size_t)snprintf(sql + w, sizeof(sql) - w, "%s('h', %d, %lld)", i ? ", " : "",
					      m, (long long)m * 60000LL + 1000);
		}
		ok(sql);
	}
	struct outcome o;
	run("EXPLAIN ANALYZE SELECT date_trunc('minute', ts) AS m, max(v) FROM r "
	    "GROUP BY m ORDER BY m DESC LIMIT 2", &o);
	assert_non_null(strstr((char *)o.text.data, "SeqScan: table=r"));
	const char *scan = strstr((char *)o.text.data, "SeqScan: table=r");
	const char *rows = strstr(scan, "output_rows: ");
	assert_non_null(rows);
	long n = strtol(rows + strlen("output_rows: "), NULL, 10);
	assert_true(n >= 2 && n < 100);
	outcome_free(&o);
	same_as_unlimited("SELECT date_trunc('minute', ts) AS m, max(v) FROM r GROUP BY m", "m DESC",
			  2, 0);
	/* no LIMIT: the whole table */
	run("EXPLAIN ANALYZE SELECT date_trunc('minute', ts) AS m, max(v) FROM r "
	    "GROUP BY m ORDER BY m DESC", &o);
	scan = strstr((char *)o.text.data, "SeqScan: table=r");
	rows = strstr(scan, "output_rows: ");
	assert_int_equal(strtol(rows + strlen("output_rows: "), NULL, 10), 1000);
	outcome_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_random_top_buckets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reads_less, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
