/*
 * Unit tests for partial aggregation pushdown:
 *   - the merge kinds of the hash aggregation (aggregates.c): partial
 *     counts and avg states with NULLs, groups without values, a global
 *     aggregate over no partial rows, integer sums that wrap;
 *   - the planner's split (sql/plan_pushdown.c) end to end without a
 *     cluster: a provider split into "regions" whose scan_partial runs the
 *     per-region query with the same engine (as the datanode does), the
 *     answer compared with the plain plan over the same rows, and which
 *     queries are pushed at all;
 *   - the wire: the last-per-series hint crosses the scan request codec,
 *     a hint on a wrong operator is refused; the datanode refuses unknown
 *     partial aggregation versions, a missing query, a bad dialect, a query
 *     that does not parse and a statement that is not a query; a reply
 *     whose final frame is not marked as partial aggregation (an older
 *     peer that sent plain rows) is refused.
 */
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
#include "datanode/datanode_int.h"
#include "rpc/rpc_int.h"
#include "server/handler.h"
#include "sql/ast.h"
#include "sql/exec.h"
#include "sql/expr.h"
#include "sql/parser.h"
#include "storage/pred.h"

/* ---- merge kinds ------------------------------------------------------------- */

static const struct agg_def d_mcount = {"count", AGG_MERGE_COUNT};
static const struct agg_def d_mavg = {"avg", AGG_MERGE_AVG};

static void test_merge_states(void **state)
{
	(void)state;
	const struct agg_def *sum = agg_find("sum"), *mn = agg_find("min");
	enum dtype kt[1] = {DT_STRING};
	struct agg_spec specs[4] = {
	    {&d_mcount, DT_INT64, DT_INT64, false, false},
	    {sum, DT_INT64, DT_INT64, false, false},
	    {&d_mavg, DT_FLOAT64, DT_FLOAT64, false, true},
	    {mn, DT_INT64, DT_INT64, false, false},
	};
	struct hagg *h;
	assert_int_equal(hagg_create(&h, 1, kt, 4, specs), 0);
	/* partial rows: (key, count, sum, avg sum, avg count, min) from 2 regions */
	struct colvec k, cnt, s, as, ac, m;
	colvec_init(&k, DT_STRING);
	colvec_init(&cnt, DT_INT64);
	colvec_init(&s, DT_INT64);
	colvec_init(&as, DT_FLOAT64);
	colvec_init(&ac, DT_INT64);
	colvec_init(&m, DT_INT64);
	/* a: region 1 has 2 values; region 2 has only NULLs */
	colvec_push_bytes(&k, "a", 1);
	colvec_push_i64(&cnt, 2);
	colvec_push_i64(&s, INT64_MAX);
	colvec_push_f64(&as, 3.0);
	colvec_push_i64(&ac, 2);
	colvec_push_i64(&m, -5);
	colvec_push_bytes(&k, "a", 1);
	colvec_push_i64(&cnt, 0);
	colvec_push_null(&s);
	colvec_push_null(&as);
	colvec_push_i64(&ac, 0);
	colvec_push_null(&m);
	/* b: only NULL values everywhere */
	colvec_push_bytes(&k, "b", 1);
	colvec_push_i64(&cnt, 0);
	colvec_push_null(&s);
	colvec_push_null(&as);
	colvec_push_i64(&ac, 0);
	colvec_push_null(&m);
	/* a again: the integer sum wraps as a single pass would */
	colvec_push_bytes(&k, "a", 1);
	colvec_push_i64(&cnt, 1);
	colvec_push_i64(&s, 2);
	colvec_push_f64(&as, 6.0);
	colvec_push_i64(&ac, 1);
	colvec_push_i64(&m, -7);
	const struct colvec *keys[1] = {&k};
	const struct colvec *args[4] = {&cnt, &s, &as, &m};
	const struct colvec *ords[4] = {NULL, NULL, &ac, NULL};
	assert_int_equal(hagg_update(h, keys, 4, args, ords), 0);
	struct batch out;
	assert_int_equal(hagg_finish(h, &out), 0);
	assert_int_equal(out.nrows, 2);
	/* a */
	assert_int_equal(out.cols[1].i64[0], 3);
	assert_int_equal(out.cols[2].i64[0], INT64_MIN + 1); /* INT64_MAX + 2 wrapped */
	assert_true(colvec_is_null(&out.cols[3], 0) == false);
	assert_true(out.cols[3].f64[0] == 3.0); /* (3 + 6) / 3 */
	assert_int_equal(out.cols[4].i64[0], -7);
	/* b: count 0, sum / avg / min NULL */
	assert_int_equal(out.cols[1].i64[1], 0);
	assert_false(colvec_is_null(&out.cols[1], 1));
	assert_true(colvec_is_null(&out.cols[2], 1));
	assert_true(colvec_is_null(&out.cols[3], 1));
	assert_true(colvec_is_null(&out.cols[4], 1));
	batch_free(&out);
	hagg_free(h);
	colvec_free(&k);
	colvec_free(&cnt);
	colvec_free(&s);
	colvec_free(&as);
	colvec_free(&ac);
	colvec_free(&m);
}

static void test_merge_global_empty(void **state)
{
	(void)state;
	struct agg_spec specs[2] = {
	    {&d_mcount, DT_INT64, DT_INT64, false, false},
	    {&d_mavg, DT_FLOAT64, DT_FLOAT64, false, true},
	};
	struct hagg *h;
	assert_int_equal(hagg_create(&h, 0, NULL, 2, specs), 0);
	struct batch out;
	assert_int_equal(hagg_finish(h, &out), 0);
	assert_int_equal(out.nrows, 1); /* a global aggregate: one row even over nothing */
	assert_int_equal(out.cols[0].i64[0], 0);
	assert_false(colvec_is_null(&out.cols[0], 0));
	assert_true(colvec_is_null(&out.cols[1], 0));
	batch_free(&out);
	hagg_free(h);
}

/* ---- the split, end to end ------------------------------------------------------ */

#define NREG 3

struct region_prov {
	struct table_provider tp;
	const struct batch *rows;
	bool used;
};

struct split_table {
	struct table_provider tp;
	struct table_column cols[4];
	struct batch region[NREG];
	int partial_calls;
	char last_sql[1024];
};

struct one_stream {
	struct batch_stream bs;
	const struct batch *b;
	bool given;
};

static int one_next(struct batch_stream *s, const struct batch **out)
{
	struct one_stream *o = (struct one_stream *)s;
	*out = o->given || o->b->nrows == 0 ? NULL : o->b;
	o->given = true;
	return 0;
}

static void one_close(struct batch_stream *s)
{
	free(s);
}

/* a stream over a list of batches (owned) */
struct list_stream {
	struct batch_stream bs;
	struct batch b[NREG * 4];
	uint32_t n, pos;
	bool owned;
};

static int list_next(struct batch_stream *s, const struct batch **out)
{
	struct list_stream *l = (struct list_stream *)s;
	*out = NULL;
	while (l->pos < l->n) {
		const struct batch *b = &l->b[l->pos++];
		if (b->nrows) {
			*out = b;
			break;
		}
	}
	return 0;
}

static void list_close(struct batch_stream *s)
{
	struct list_stream *l = (struct list_stream *)s;
	for (uint32_t i = 0; l->owned && i < l->n; i++)
		batch_free(&l->b[i]);
	free(l);
}

static int rp_scan(struct table_provider *tp, const struct scan_request *req,
		   struct batch_stream **out)
{
	(void)req;
	struct region_prov *r = tp->ctx;
	if (r->used)
		return err_set(ERR_UNSUPPORTED, "scanned twice");
	r->used = true;
	struct one_stream *o = calloc(1, sizeof(*o));
	o->bs.next = one_next;
	o->bs.close = one_close;
	o->b = r->rows;
	*out = &o->bs;
	return 0;
}

static void noop_release(struct table_provider *tp)
{
	(void)tp;
}

static int resolve_region(void *ctx, struct session *s, const struct sql_name *name,
			  struct table_provider **out)
{
	(void)s, (void)name;
	*out = ctx;
	return 0;
}

static struct session sess;

static int st_scan(struct table_provider *tp, const struct scan_request *req,
		   struct batch_stream **out)
{
	(void)req;
	struct split_table *t = tp->ctx;
	struct list_stream *l = calloc(1, sizeof(*l));
	l->bs.next = list_next;
	l->bs.close = list_close;
	for (int i = 0; i < NREG; i++)
		l->b[l->n++] = t->region[i]; /* borrowed */
	*out = &l->bs;
	return 0;
}

/* What a datanode does per region: run pa->sql over that region alone. */
static int st_scan_partial(struct table_provider *tp, const struct scan_request *req,
			   const struct partial_agg_req *pa, struct batch_stream **out)
{
	(void)req;
	struct split_table *t = tp->ctx;
	t->partial_calls++;
	snprintf(t->last_sql, sizeof(t->last_sql), "%s", pa->sql);
	struct list_stream *l = calloc(1, sizeof(*l));
	l->bs.next = list_next;
	l->bs.close = list_close;
	l->owned = true;
	for (int i = 0; i < NREG; i++) {
		struct region_prov rp = {0};
		rp.tp = t->tp;
		rp.tp.scan = rp_scan;
		rp.tp.scan_partial = NULL;
		rp.tp.release = noop_release;
		rp.tp.ctx = &rp;
		rp.rows = &t->region[i];
		struct arena *a = arena_create(0);
		struct sql_stmt_list list;
		int rc = sql_parse_ex(pa->sql, strlen(pa->sql), SQL_DIALECT_GREPTIME, a, &list);
		struct result_set rs = {0};
		if (rc == 0) {
			struct exec_env e = {.ctx = &rp.tp, .resolve_table = resolve_region,
					     .now_ms = pa->now_ms};
			rc = sql_exec_query(&e, &sess, list.items[0]->u.query, a, &rs);
		}
		arena_destroy(a);
		if (rc) {
			list_close(&l->bs);
			return rc;
		}
		l->b[l->n++] = rs.rows;
		memset(&rs.rows, 0, sizeof(rs.rows));
		result_set_free(&rs);
	}
	*out = &l->bs;
	return 0;
}

static struct split_table *tbl;

static int resolve_split(void *ctx, struct session *s, const struct sql_name *name,
			 struct table_provider **out)
{
	(void)ctx, (void)s;
	if (strcmp(name->part[name->n - 1].name, "m") != 0)
		return err_set(ERR_NOT_FOUND, "Table not found: %s", name->part[name->n - 1].name);
	*out = &tbl->tp;
	return 0;
}

static void add_row(int r, int64_t ts, const char *host, bool vnull, int64_t v, bool fnull, double f)
{
	struct batch *b = &tbl->region[r];
	colvec_push_i64(&b->cols[0], ts);
	colvec_push_bytes(&b->cols[1], host, strlen(host));
	if (vnull)
		colvec_push_null(&b->cols[2]);
	else
		colvec_push_i64(&b->cols[2], v);
	if (fnull)
		colvec_push_null(&b->cols[3]);
	else
		colvec_push_f64(&b->cols[3], f);
	b->nrows++;
}

static int setup_split(void **state)
{
	(void)state;
	session_init(&sess, SESSION_HTTP, 1);
	tbl = calloc(1, sizeof(*tbl));
	const char *names[4] = {"ts", "host", "v", "f"};
	enum dtype types[4] = {DT_TS_MS, DT_STRING, DT_INT64, DT_FLOAT64};
	for (int c = 0; c < 4; c++) {
		tbl->cols[c].name = names[c];
		tbl->cols[c].type = types[c];
		tbl->cols[c].nullable = c >= 2;
		tbl->cols[c].is_tag = c == 1;
		tbl->cols[c].is_time_index = c == 0;
	}
	for (int r = 0; r < NREG; r++)
		batch_init(&tbl->region[r], 4, types);
	/* hosts spread over regions; NULLs, negatives, an all-NULL host, a
	 * host whose sum wraps, a host in two regions */
	for (int i = 0; i < 90; i++) {
		char h[8];
		snprintf(h, sizeof(h), "h%d", i % 9);
		add_row(i % 9 % NREG, 1000 * i, h, i % 7 == 0, (i * 37) % 201 - 100, i % 5 == 0,
			((i % 13) - 6) * 0.5);
	}
	for (int r = 0; r < NREG; r++) {
		add_row(r, 5000 + r, "hz", true, 0, false, 1.0);
		add_row(r, 6000 + r, "big", false, INT64_MAX - r, true, 0);
	}
	tbl->tp.name = "m";
	tbl->tp.ncols = 4;
	tbl->tp.cols = tbl->cols;
	tbl->tp.scan = st_scan;
	tbl->tp.release = noop_release;
	tbl->tp.ctx = tbl;
	return 0;
}

static int teardown_split(void **state)
{
	(void)state;
	for (int r = 0; r < NREG; r++)
		batch_free(&tbl->region[r]);
	free(tbl);
	return 0;
}

/* rows as text, one line per row */
static char *run(const char *sql, bool pushdown, int *rc_out)
{
	tbl->tp.scan_partial = pushdown ? st_scan_partial : NULL;
	struct arena *a = arena_create(0);
	struct sql_stmt_list list;
	int rc = sql_parse_ex(sql, strlen(sql), SQL_DIALECT_GREPTIME, a, &list);
	struct result_set rs = {0};
	struct exec_env e = {.resolve_table = resolve_split, .now_ms = 1700000000000};
	if (rc == 0)
		rc = sql_exec_query(&e, &sess, list.items[0]->u.query, a, &rs);
	*rc_out = rc;
	struct buf b;
	buf_init(&b);
	struct vfmt_tz utc = {0, NULL};
	for (uint32_t r = 0; rc == 0 && r < rs.rows.nrows; r++) {
		for (uint32_t c = 0; c < rs.ncols; c++) {
			const struct colvec *v = &rs.rows.cols[c];
			if (c)
				buf_putc(&b, '|');
			if (colvec_is_null(v, r)) {
				buf_printf(&b, "NULL");
				continue;
			}
			struct xval x = {v, {0}};
			struct datum d;
			xval_get(&x, v->type, r, &d);
			format_value(&b, &d, &utc);
		}
		buf_putc(&b, '\n');
	}
	result_set_free(&rs);
	arena_destroy(a);
	char *s = strdup(buf_cstr(&b) ? buf_cstr(&b) : "");
	buf_free(&b);
	return s;
}

static void same_answer(const char *sql, bool pushed)
{
	int rc1, rc2;
	tbl->partial_calls = 0;
	char *plain = run(sql, false, &rc1);
	assert_int_equal(tbl->partial_calls, 0);
	char *push = run(sql, true, &rc2);
	if (rc1 || rc2 || strcmp(plain, push) != 0)
		print_error("%s\nplain (%d):\n%s\npushed (%d):\n%s\nerr: %s\n", sql, rc1, plain, rc2,
			    push, err_msg());
	assert_int_equal(rc1, 0);
	assert_int_equal(rc2, 0);
	assert_string_equal(plain, push);
	if (pushed != (tbl->partial_calls > 0))
		print_error("%s: pushed %d, expected %d (%s)\n", sql, tbl->partial_calls, pushed,
			    tbl->last_sql);
	assert_int_equal(tbl->partial_calls > 0, pushed);
	free(plain);
	free(push);
}

static void test_split_same_answers(void **state)
{
	(void)state;
	static const char *const pushed[] = {
	    "SELECT host, count(*), count(v), sum(v), min(v), max(v), avg(v), avg(f), min(host) FROM m GROUP BY host ORDER BY host",
	    "SELECT count(*), count(v), sum(v), min(f), max(f), avg(v), avg(f) FROM m",
	    "SELECT count(*), sum(v), avg(v), max(host) FROM m WHERE v > 1000",
	    "SELECT date_trunc('minute', ts) AS t, count(*), sum(v) FROM m GROUP BY t ORDER BY t",
	    "SELECT host, sum(v) FROM m GROUP BY 1 HAVING sum(v) > 0 ORDER BY 2 DESC, 1 LIMIT 3",
	    "SELECT host, max(v) FROM m WHERE host IN ('h1', 'h4', 'hz') AND f >= 0 GROUP BY host ORDER BY max(v) DESC, host",
	    "SELECT CASE WHEN v < 0 THEN 'neg' ELSE 'pos' END AS sign, count(*), sum(v * 2 + 1) FROM m WHERE host <> 'big' GROUP BY sign ORDER BY sign",
	    "SELECT m.host AS hh, count(v) FILTER (WHERE f > 0), avg(v) FILTER (WHERE f > 0) FROM m GROUP BY hh ORDER BY hh",
	    "SELECT x.host, sum(x.v) FROM m AS x WHERE x.ts >= 10000 GROUP BY x.host ORDER BY x.host",
	    "SELECT sum(v), count(*) FROM m WHERE host = 'big'",
	    "SELECT host, avg(CAST(v AS DOUBLE)) / 2 FROM m GROUP BY host ORDER BY host",
	};
	for (size_t i = 0; i < sizeof(pushed) / sizeof(pushed[0]); i++)
		same_answer(pushed[i], true);
	static const char *const plain[] = {
	    "SELECT count(DISTINCT v) FROM m",
	    "SELECT host, last_value(v) FROM m GROUP BY host ORDER BY host",
	    "SELECT host, count(*) FROM m WHERE v > (SELECT -50) GROUP BY host ORDER BY host",
	    "SELECT host, v, count(*) FROM m GROUP BY host, v ORDER BY host, v LIMIT 5",
	};
	/* the last one is pushable (two keys); the others are not */
	for (size_t i = 0; i < 3; i++)
		same_answer(plain[i], false);
	same_answer(plain[3], true);
}

static void test_split_query_text(void **state)
{
	(void)state;
	int rc;
	char *s = run("SELECT host, avg(v) FROM m WHERE v > 0 GROUP BY host", true, &rc);
	assert_int_equal(rc, 0);
	free(s);
	assert_string_equal(tbl->last_sql,
			    "SELECT host AS pd_c0, sum(CAST((v) AS DOUBLE)) AS pd_c1, count(v) AS pd_c2 "
			    "FROM m WHERE v > 0 GROUP BY 1");
}

/* ---- wire ------------------------------------------------------------------------ */

static void test_hint_codec(void **state)
{
	(void)state;
	struct arena *a = arena_create(0);
	struct scan_pred preds[2];
	memset(preds, 0, sizeof(preds));
	preds[0].col = 1;
	preds[0].op = PRED_EQ;
	preds[0].lit.type = DT_STRING;
	preds[0].lit.v.s.p = "h1";
	preds[0].lit.v.s.n = 2;
	scan_hint_last_per_series(0, DT_TS_MS, &preds[1]);
	struct scan_request req;
	scan_request_init(&req);
	req.preds = preds;
	req.npreds = 2;
	RPC_PB(ScanRequest) *pb;
	assert_int_equal(rpc_scan_request_encode(&req, 4, a, &pb), 0);
	assert_false(pb->predicates[0]->last_per_series_hint);
	assert_true(pb->predicates[1]->last_per_series_hint);
	/* through the bytes */
	size_t n = protobuf_c_message_get_packed_size(&pb->base);
	uint8_t *bytes = malloc(n);
	protobuf_c_message_pack(&pb->base, bytes);
	RPC_PB(ScanRequest) *back = strata__scan_request__unpack(NULL, n, bytes);
	assert_non_null(back);
	struct scan_request got;
	assert_int_equal(rpc_scan_request_decode(back, a, &got), 0);
	assert_int_equal(got.npreds, 2);
	assert_false(scan_pred_is_hint(&got.preds[0]));
	assert_true(scan_pred_is_hint(&got.preds[1]));
	assert_int_equal(got.preds[1].col, 0);
	/* a hint on another operator is refused */
	back->predicates[0]->last_per_series_hint = true;
	assert_int_equal(rpc_scan_request_decode(back, a, &got), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "hint"));
	/* truncated bytes: protobuf refuses them, no crash */
	for (size_t cut = 1; cut < n; cut++) {
		RPC_PB(ScanRequest) *t = strata__scan_request__unpack(NULL, cut, bytes);
		if (t) {
			/* a prefix can be a valid message; it still decodes cleanly or fails */
			int rc = rpc_scan_request_decode(t, a, &got);
			assert_true(rc == 0 || rc == ERR_PROTOCOL);
			strata__scan_request__free_unpacked(t, NULL);
		}
	}
	strata__scan_request__free_unpacked(back, NULL);
	free(bytes);
	arena_destroy(a);
}

static void test_partial_request_checks(void **state)
{
	(void)state;
	RPC_PB(RegionScanRequest) req = STRATA__REGION_SCAN_REQUEST__INIT;
	assert_int_equal(dn_partial_agg_check(&req), 0); /* a plain scan */
	req.partial_agg_version = 2;
	req.partial_agg_sql = "SELECT count(*) FROM m";
	assert_int_equal(dn_partial_agg_check(&req), ERR_UNSUPPORTED);
	assert_non_null(strstr(err_msg(), "version 2"));
	req.partial_agg_version = 1;
	req.partial_agg_sql = "";
	assert_int_equal(dn_partial_agg_check(&req), ERR_PROTOCOL);
	req.partial_agg_sql = "SELECT count(*) FROM m";
	req.partial_agg_protocol = 77;
	assert_int_equal(dn_partial_agg_check(&req), ERR_PROTOCOL);
	req.partial_agg_protocol = SESSION_MYSQL;
	assert_int_equal(dn_partial_agg_check(&req), 0);
	/* a query that does not parse, or a statement that is not a query:
	 * clear errors before any row is read */
	struct region_schema schema;
	memset(&schema, 0, sizeof(schema));
	req.partial_agg_sql = "SELEC count(*) FRM m";
	assert_int_not_equal(dn_partial_agg(&req, &schema, NULL, 0, NULL), 0);
	assert_non_null(strstr(err_msg(), "partial aggregation"));
	req.partial_agg_sql = "DROP TABLE m";
	assert_int_equal(dn_partial_agg(&req, &schema, NULL, 0, NULL), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "expected one query"));
	req.partial_agg_sql = "SELECT 1; SELECT 2";
	assert_int_equal(dn_partial_agg(&req, &schema, NULL, 0, NULL), ERR_PROTOCOL);
}

/* A peer's scan handler: one Int64 column [7]; `mark` says whether it
 * marks the final frame as a partial aggregation reply (an older peer
 * ignores partial_agg_* and sends its plain rows). */
static int scan_plain(void *ctx, const RPC_PB(RegionScanRequest) * req, struct rpc_reply *r)
{
	bool mark = *(bool *)ctx;
	(void)req;
	enum dtype t = DT_INT64;
	struct batch b;
	batch_init(&b, 1, &t);
	colvec_push_i64(&b.cols[0], 7);
	b.nrows = 1;
	int rc = rpc_reply_rows(r, &b);
	batch_free(&b);
	if (rc == 0 && mark)
		rc = rpc_reply_partial_done(r);
	return rc;
}

static int append_rows(void *ctx, struct batch *b)
{
	*(uint32_t *)ctx += b->nrows;
	batch_free(b);
	return 0;
}

static void test_old_peer_refused(void **state)
{
	(void)state;
	bool mark = false;
	struct rpc_handlers h = {.region_scan = scan_plain, .ctx = &mark};
	struct rpc_server *srv;
	assert_int_equal(rpc_server_start("127.0.0.1", 0, &h, NULL, &srv), ERR_OK);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", rpc_server_port(srv));
	struct rpc_client *c;
	assert_int_equal(rpc_client_create(addr, NULL, &c), ERR_OK);
	struct rpc_partial_agg agg = {"SELECT count(v) AS pd_c0 FROM m", SESSION_MYSQL, "UTC", 0};
	struct rpc_scan_args a = {.region_id = 1, .mode = RPC_READ_LEADER, .agg = &agg};
	uint32_t rows = 0;
	/* plain rows where partial states were asked for: an error, not an answer */
	assert_int_equal(rpc_region_scan_stream(c, &a, append_rows, &rows), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "did not run the partial aggregation"));
	/* a plain scan of the same peer is fine */
	a.agg = NULL;
	rows = 0;
	assert_int_equal(rpc_region_scan_stream(c, &a, append_rows, &rows), ERR_OK);
	assert_int_equal(rows, 1);
	/* a peer that ran it */
	mark = true;
	a.agg = &agg;
	rows = 0;
	assert_int_equal(rpc_region_scan_stream(c, &a, append_rows, &rows), ERR_OK);
	assert_int_equal(rows, 1);
	rpc_client_destroy(c);
	rpc_server_stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_states),
	    cmocka_unit_test(test_merge_global_empty),
	    cmocka_unit_test_setup_teardown(test_split_same_answers, setup_split, teardown_split),
	    cmocka_unit_test_setup_teardown(test_split_query_text, setup_split, teardown_split),
	    cmocka_unit_test(test_hint_codec),
	    cmocka_unit_test(test_partial_request_checks),
	    cmocka_unit_test(test_old_peer_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
