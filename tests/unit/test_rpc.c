/* Client/server tests for src/rpc over real TCP on 127.0.0.1 (ephemeral
 * ports): a round trip for every method against an in-test handler table,
 * chunked results, remote errors, timeouts, dead peers, server stop with
 * clients connected, concurrent clients, hostile bytes, limits, OOM; and
 * the codec's conversions including hostile messages. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/column_codec.h"
#include "base/err.h"
#include "base/mem.h"
#include "rpc/rpc.h"
#include "rpc/rpc_int.h"

/* ---- test data ---------------------------------------------------------- */

/* Row i of a 3-column batch: INT64 i+base, FLOAT64 i/2, STRING "row-i"
 * (null every 7th row). No asserts: handlers call it under OOM tests. */
static int build_batch(struct batch *b, uint32_t n, int64_t base)
{
	enum dtype types[3] = {DT_INT64, DT_FLOAT64, DT_STRING};
	int rc = batch_init(b, 3, types);
	for (uint32_t i = 0; rc == ERR_OK && i < n; i++) {
		rc = colvec_push_i64(&b->cols[0], base + i);
		if (rc == ERR_OK)
			rc = colvec_push_f64(&b->cols[1], i / 2.0);
		if (rc == ERR_OK && i % 7 == 3) {
			rc = colvec_push_null(&b->cols[2]);
		} else if (rc == ERR_OK) {
			char s[32];
			int len = snprintf(s, sizeof(s), "row-%u", i);
			rc = colvec_push_bytes(&b->cols[2], s, (size_t)len);
		}
	}
	b->nrows = n;
	if (rc)
		batch_free(b);
	return rc;
}

static void make_batch(struct batch *b, uint32_t n, int64_t base)
{
	assert_int_equal(build_batch(b, n, base), ERR_OK);
}

/* The first n rows of b are make_batch(.., base)'s. */
static void check_batch(const struct batch *b, uint32_t n, int64_t base)
{
	assert_true(b->nrows >= n);
	assert_int_equal(b->ncols, 3);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(b->cols[0].i64[i], base + i);
		assert_true(b->cols[1].f64[i] == i / 2.0);
		if (i % 7 == 3) {
			assert_true(colvec_is_null(&b->cols[2], i));
		} else {
			char s[32];
			int len = snprintf(s, sizeof(s), "row-%u", i);
			uint32_t sn;
			const char *p = colvec_bytes(&b->cols[2], i, &sn);
			assert_false(colvec_is_null(&b->cols[2], i));
			assert_int_equal(sn, (uint32_t)len);
			assert_memory_equal(p, s, sn);
		}
	}
}

static void make_stat(struct region_stat *s, uint64_t id)
{
	memset(s, 0, sizeof(*s));
	s->region_id = id;
	s->role = id & 1 ? REGION_ROLE_FOLLOWER : REGION_ROLE_LEADER;
	s->manifest_version = id + 1;
	s->flushed_sequence = id + 2;
	s->committed_sequence = id + 3;
	s->memtable_rows = id + 4;
	s->memtable_bytes = id + 5;
	s->sst_rows = id + 6;
	s->sst_bytes = id + 7;
	s->sst_num = (uint32_t)id + 8;
	s->manifest_bytes = id + 9;
	s->pending_deletes = id + 10;
	s->last_install_ms = -(int64_t)id;
}

/* ---- the in-test server ------------------------------------------------- */

struct tstate {
	pthread_mutex_t mu;
	int calls[RPC_METHOD__COUNT + 1];
	uint64_t region;
	uint32_t extra; /* op / force / role */
	char dir[64];
	uint64_t version;
	uint32_t write_rows;
	int64_t write_first;
	uint32_t scan_rows;       /* rows a scan / snapshot returns */
	int sleep_ms;             /* ping sleeps this long */
	struct scan_request scan; /* copy of the scalars of the last scan */
	uint32_t scan_nproj, scan_npreds;
	struct scan_pred pred0;
	char pred0_str[32];
	uint32_t pred_in_n;
	int64_t pred_in_last;
	enum rpc_read_mode mode;
	bool has_snap;
	uint32_t leader_rows;
	uint32_t schema_ncols;
	char schema_col1[32];
	uint32_t schema_pk0;
	struct rpc_heartbeat hb;
	struct region_stat hb_stat1;
	char hb_addr[64];
};

static struct tstate *ts_of(void *ctx)
{
	struct tstate *t = ctx;
	return t;
}

static void count(struct tstate *t, enum rpc_method m)
{
	pthread_mutex_lock(&t->mu);
	t->calls[m]++;
	pthread_mutex_unlock(&t->mu);
}

static int h_ping(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)req;
	(void)r;
	struct tstate *t = ts_of(ctx);
	count(t, RPC_PING);
	if (t->sleep_ms)
		clock_sleep_ms(t->sleep_ms);
	return ERR_OK; /* the server sends the empty response */
}

static int h_write(void *ctx, const RPC_PB(RegionWriteRequest) * req, struct rpc_reply *r)
{
	struct tstate *t = ts_of(ctx);
	count(t, RPC_REGION_WRITE);
	if (req->region_id == 404)
		return err_set(ERR_NOT_FOUND, "region 404 not found");
	enum op_type op;
	int rc = rpc_op_decode(req->op, &op);
	if (rc)
		return rc;
	struct batch b;
	rc = rpc_batch_decode(req->rows, &b);
	if (rc)
		return rc;
	pthread_mutex_lock(&t->mu);
	t->region = req->region_id;
	t->extra = op;
	t->write_rows = b.nrows;
	t->write_first = b.nrows ? b.cols[0].i64[0] : -1;
	pthread_mutex_unlock(&t->mu);
	RPC_PB(RegionWriteResponse) resp = STRATA__REGION_WRITE_RESPONSE__INIT;
	resp.affected_rows = b.nrows;
	batch_free(&b);
	return rpc_reply_send(r, &resp.base);
}

static void record_scan(struct tstate *t, const struct scan_request *s)
{
	t->scan = *s;
	t->scan_nproj = 0;
	if (s->projection)
		for (uint32_t c = 0; c < 5; c++)
			t->scan_nproj += s->projection[c];
	t->scan_npreds = s->npreds;
	if (s->npreds) {
		t->pred0 = s->preds[0];
		t->pred0_str[0] = 0;
		if (!s->preds[0].lit.is_null && dtype_phys(s->preds[0].lit.type) == PHYS_BYTES)
			snprintf(t->pred0_str, sizeof(t->pred0_str), "%.*s",
			         (int)s->preds[0].lit.v.s.n, s->preds[0].lit.v.s.p);
		const struct scan_pred *last = &s->preds[s->npreds - 1];
		t->pred_in_n = last->op == PRED_IN ? last->nlist : 0;
		t->pred_in_last = t->pred_in_n ? last->list[last->nlist - 1].v.i : 0;
	}
}

static int h_scan(void *ctx, const RPC_PB(RegionScanRequest) * req, struct rpc_reply *r)
{
	struct tstate *t = ts_of(ctx);
	count(t, RPC_REGION_SCAN);
	struct scan_request s;
	int rc = rpc_scan_request_decode(req->scan, rpc_reply_arena(r), &s);
	if (rc)
		return rc;
	enum rpc_read_mode mode;
	if ((rc = rpc_read_mode_decode(req->read_mode, &mode)))
		return rc;
	struct batch leader = {0};
	if (req->has_leader_snapshot && (rc = rpc_batch_decode(req->leader_rows, &leader)))
		return rc;
	pthread_mutex_lock(&t->mu);
	t->region = req->region_id;
	record_scan(t, &s);
	t->mode = mode;
	t->has_snap = req->has_leader_snapshot;
	t->version = req->leader_version;
	t->leader_rows = leader.nrows;
	uint32_t n = t->scan_rows;
	pthread_mutex_unlock(&t->mu);
	batch_free(&leader);

	/* the result in two calls, as a storage scan yields several batches */
	struct batch b1 = {0}, b2 = {0};
	/* rows 0..n/3-1 then n/3..n-1; b2's strings restart at row-0 */
	rc = build_batch(&b1, n / 3, 0);
	if (rc == ERR_OK)
		rc = build_batch(&b2, n - n / 3, n / 3);
	if (rc == ERR_OK)
		rc = rpc_reply_rows(r, &b1);
	if (rc == ERR_OK && req->region_id == 500)
		rc = err_set(ERR_IO, "disk on fire after the first chunk");
	if (rc == ERR_OK)
		rc = rpc_reply_rows(r, &b2);
	batch_free(&b1);
	batch_free(&b2);
	return rc;
}

static int h_snapshot(void *ctx, const RPC_PB(RegionSnapshotRequest) * req, struct rpc_reply *r)
{
	struct tstate *t = ts_of(ctx);
	count(t, RPC_REGION_SNAPSHOT);
	struct scan_request s;
	int rc = rpc_scan_request_decode(req->scan, rpc_reply_arena(r), &s);
	if (rc)
		return rc;
	pthread_mutex_lock(&t->mu);
	t->region = req->region_id;
	record_scan(t, &s);
	uint32_t n = t->scan_rows;
	pthread_mutex_unlock(&t->mu);
	struct batch b;
	rc = build_batch(&b, n, 100);
	if (rc)
		return rc;
	rc = rpc_reply_snapshot(r, 42, &b);
	batch_free(&b);
	return rc;
}

static void record(struct tstate *t, enum rpc_method m, uint64_t region, uint32_t extra)
{
	pthread_mutex_lock(&t->mu);
	t->calls[m]++;
	t->region = region;
	t->extra = extra;
	pthread_mutex_unlock(&t->mu);
}

static int h_flush(void *ctx, const RPC_PB(RegionIdRequest) * req, struct rpc_reply *r)
{
	(void)r;
	record(ctx, RPC_REGION_FLUSH, req->region_id, 0);
	return ERR_OK;
}

static int h_compact(void *ctx, const RPC_PB(RegionCompactRequest) * req, struct rpc_reply *r)
{
	(void)r;
	record(ctx, RPC_REGION_COMPACT, req->region_id, req->force);
	return ERR_OK;
}

static int h_truncate(void *ctx, const RPC_PB(RegionIdRequest) * req, struct rpc_reply *r)
{
	(void)r;
	record(ctx, RPC_REGION_TRUNCATE, req->region_id, 0);
	return ERR_OK;
}

static int h_drop(void *ctx, const RPC_PB(RegionIdRequest) * req, struct rpc_reply *r)
{
	(void)r;
	record(ctx, RPC_REGION_DROP, req->region_id, 0);
	return ERR_OK;
}

static int h_open(void *ctx, const RPC_PB(RegionOpenRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct tstate *t = ts_of(ctx);
	enum region_role role;
	int rc = rpc_role_decode(req->role, &role);
	if (rc)
		return rc;
	record(t, RPC_REGION_OPEN, req->region_id, role);
	pthread_mutex_lock(&t->mu);
	snprintf(t->dir, sizeof(t->dir), "%s", req->dir);
	pthread_mutex_unlock(&t->mu);
	return ERR_OK;
}

static int h_close(void *ctx, const RPC_PB(RegionIdRequest) * req, struct rpc_reply *r)
{
	(void)r;
	record(ctx, RPC_REGION_CLOSE, req->region_id, 0);
	return ERR_OK;
}

static int h_install(void *ctx, const RPC_PB(RegionInstallRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct tstate *t = ts_of(ctx);
	record(t, RPC_REGION_INSTALL, req->region_id, 0);
	pthread_mutex_lock(&t->mu);
	t->version = req->manifest_version;
	pthread_mutex_unlock(&t->mu);
	return ERR_OK;
}

static int h_stats(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)req;
	count(ctx, RPC_REGION_STATS);
	struct region_stat st[3];
	for (int i = 0; i < 3; i++)
		make_stat(&st[i], 1000 + (uint64_t)i);
	return rpc_reply_region_stats(r, st, 3);
}

static int h_create(void *ctx, const RPC_PB(RegionCreateRequest) * req, struct rpc_reply *r)
{
	(void)r;
	struct tstate *t = ts_of(ctx);
	struct region_schema *s;
	int rc = rpc_region_schema_decode(req->schema_json, &s);
	if (rc)
		return rc;
	record(t, RPC_REGION_CREATE, req->region_id, 0);
	pthread_mutex_lock(&t->mu);
	snprintf(t->dir, sizeof(t->dir), "%s", req->dir);
	t->schema_ncols = s->ncols;
	snprintf(t->schema_col1, sizeof(t->schema_col1), "%s", s->cols[1].name);
	t->schema_pk0 = s->npk ? s->pk_cols[0] : 99;
	pthread_mutex_unlock(&t->mu);
	region_schema_free(s);
	return ERR_OK;
}

static int h_heartbeat(void *ctx, const RPC_PB(HeartbeatRequest) * req, struct rpc_reply *r)
{
	struct tstate *t = ts_of(ctx);
	count(t, RPC_HEARTBEAT);
	struct rpc_heartbeat hb;
	int rc = rpc_heartbeat_decode(req, rpc_reply_arena(r), &hb);
	if (rc)
		return rc;
	pthread_mutex_lock(&t->mu);
	t->hb = hb;
	snprintf(t->hb_addr, sizeof(t->hb_addr), "%s", hb.addr);
	t->hb.addr = NULL;
	t->hb.stats = NULL;
	if (hb.nstats > 1)
		t->hb_stat1 = hb.stats[1];
	pthread_mutex_unlock(&t->mu);
	struct rpc_region_instr in[3] = {
	    {.region_id = 7,
	     .kind = RPC_INSTR_INSTALL,
	     .role = REGION_ROLE_FOLLOWER,
	     .manifest_version = 19},
	    {.region_id = 8,
	     .kind = RPC_INSTR_OPEN,
	     .role = REGION_ROLE_FOLLOWER,
	     .dir = "data/greptime/public/1024/1024_0000000008/"},
	    {.region_id = 9, .kind = RPC_INSTR_CLOSE},
	};
	struct rpc_heartbeat_reply rep = {.lease_ms = 3000, .ninstr = 3, .instr = in};
	return rpc_reply_heartbeat(r, &rep);
}

struct fixture {
	struct tstate t;
	struct rpc_server *srv;
	struct rpc_client *cli;
	char addr[64];
};

static const struct rpc_handlers handlers_template = {
    .ping = h_ping,
    .region_write = h_write,
    .region_scan = h_scan,
    .region_snapshot = h_snapshot,
    .region_flush = h_flush,
    .region_compact = h_compact,
    .region_truncate = h_truncate,
    .region_drop = h_drop,
    .region_open = h_open,
    .region_close = h_close,
    .region_install = h_install,
    .region_stats = h_stats,
    .region_create = h_create,
    .heartbeat = h_heartbeat,
};

static struct fixture *start(const struct rpc_server_options *so,
                             const struct rpc_client_options *co)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	pthread_mutex_init(&fx->t.mu, NULL);
	fx->t.scan_rows = 10;
	struct rpc_handlers h = handlers_template;
	h.ctx = &fx->t;
	assert_int_equal(rpc_server_start(NULL, 0, &h, so, &fx->srv), ERR_OK);
	assert_true(rpc_server_port(fx->srv) > 0);
	snprintf(fx->addr, sizeof(fx->addr), "127.0.0.1:%u", rpc_server_port(fx->srv));
	assert_int_equal(rpc_client_create(fx->addr, co, &fx->cli), ERR_OK);
	return fx;
}

static void finish(struct fixture *fx)
{
	rpc_client_destroy(fx->cli);
	rpc_server_stop(fx->srv);
	pthread_mutex_destroy(&fx->t.mu);
	free(fx);
}

static int setup(void **state)
{
	*state = start(NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	finish(*state);
	return 0;
}

/* ---- round trips -------------------------------------------------------- */

static void test_ping_and_write(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(rpc_ping(fx->cli), ERR_OK);
	assert_int_equal(fx->t.calls[RPC_PING], 1);
	struct batch b;
	make_batch(&b, 100, 5000);
	uint64_t affected = 0;
	assert_int_equal(rpc_region_write(fx->cli, 1024ull << 32 | 1, OP_DELETE, &b, &affected),
	                 ERR_OK);
	assert_int_equal(affected, 100);
	assert_int_equal(fx->t.region, 1024ull << 32 | 1);
	assert_int_equal(fx->t.extra, OP_DELETE);
	assert_int_equal(fx->t.write_rows, 100);
	assert_int_equal(fx->t.write_first, 5000);
	batch_free(&b);
	/* an empty write has no rows */
	assert_int_equal(rpc_region_write(fx->cli, 5, OP_PUT, NULL, &affected), ERR_OK);
	assert_int_equal(affected, 0);
	assert_int_equal(fx->t.write_rows, 0);
	assert_int_equal(fx->t.calls[RPC_REGION_WRITE], 2);
	/* the pool reused one connection for all of it */
	struct rpc_server_stats ss;
	rpc_server_get_stats(fx->srv, &ss);
	assert_int_equal(ss.accepted, 1);
	assert_int_equal(ss.live, 1);
	assert_int_equal(ss.requests, 3);
}

static void test_scan_roundtrip(void **state)
{
	struct fixture *fx = *state;
	bool proj[5] = {true, false, true, true, false};
	struct datum in_list[3];
	for (int i = 0; i < 3; i++)
		in_list[i] = (struct datum){.type = DT_INT64, .v.i = 10 * i};
	struct scan_pred preds[3] = {
	    {.col = 1, .op = PRED_EQ, .lit = {.type = DT_STRING, .v.s = {"host-1", 6}}},
	    {.col = 3, .op = PRED_IS_NULL, .lit = {.type = DT_FLOAT64, .is_null = true}},
	    {.col = 2, .op = PRED_IN, .nlist = 3, .list = in_list},
	};
	struct scan_request req = {
	    .projection = proj, .ts_min = -5, .ts_max = INT64_MAX, .npreds = 3, .preds = preds};
	struct rpc_scan_args a = {.region_id = 77, .req = &req, .ncols = 5};
	struct batch out;
	assert_int_equal(rpc_region_scan(fx->cli, &a, &out), ERR_OK);
	check_batch(&out, 3, 0); /* the first 10/3 rows */
	assert_int_equal(out.nrows, 10);
	assert_int_equal(out.cols[0].i64[9], 9);
	batch_free(&out);

	struct tstate *t = &fx->t;
	assert_int_equal(t->region, 77);
	assert_int_equal(t->scan.ts_min, -5);
	assert_int_equal(t->scan.ts_max, INT64_MAX);
	assert_int_equal(t->scan_nproj, 3);
	assert_int_equal(t->scan_npreds, 3);
	assert_int_equal(t->pred0.col, 1);
	assert_int_equal(t->pred0.op, PRED_EQ);
	assert_int_equal(t->pred0.lit.type, DT_STRING);
	assert_string_equal(t->pred0_str, "host-1");
	assert_int_equal(t->pred_in_n, 3);
	assert_int_equal(t->pred_in_last, 20);
	assert_int_equal(t->mode, RPC_READ_LEADER);
	assert_false(t->has_snap);

	/* no request = everything; follower read carrying the leader's rows */
	struct batch leader;
	make_batch(&leader, 17, 0);
	a = (struct rpc_scan_args){.region_id = 78,
	                           .mode = RPC_READ_FOLLOWER,
	                           .leader_rows = &leader,
	                           .leader_version = 12};
	assert_int_equal(rpc_region_scan(fx->cli, &a, &out), ERR_OK);
	assert_int_equal(out.nrows, 10);
	batch_free(&out);
	batch_free(&leader);
	assert_int_equal(t->scan.ts_min, INT64_MIN);
	assert_int_equal(t->scan_npreds, 0);
	assert_int_equal(t->scan_nproj, 0);
	assert_int_equal(t->mode, RPC_READ_FOLLOWER);
	assert_true(t->has_snap);
	assert_int_equal(t->version, 12);
	assert_int_equal(t->leader_rows, 17);

	/* no rows at all: an empty batch */
	t->scan_rows = 0;
	assert_int_equal(rpc_region_scan(fx->cli, &a, &out), ERR_OK);
	assert_int_equal(out.nrows, 0);
	batch_free(&out);
}

static int count_batches(void *ctx, struct batch *b)
{
	int *n = ctx;
	(*n)++;
	batch_free(b);
	return ERR_OK;
}

static void test_chunked_scan_and_snapshot(void **state)
{
	(void)state;
	struct rpc_server_options so;
	rpc_server_options_init(&so);
	so.chunk_bytes = 4096;
	struct fixture *fx = start(&so, NULL);
	fx->t.scan_rows = 6000;
	struct rpc_scan_args a = {.region_id = 1};
	struct batch out;
	assert_int_equal(rpc_region_scan(fx->cli, &a, &out), ERR_OK);
	assert_int_equal(out.nrows, 6000);
	/* rows arrive complete and in order across the chunks */
	for (uint32_t i = 0; i < 6000; i++)
		assert_int_equal(out.cols[0].i64[i], i);
	check_batch(&out, 2000, 0);
	batch_free(&out);

	int nb = 0;
	assert_int_equal(rpc_region_scan_stream(fx->cli, &a, count_batches, &nb), ERR_OK);
	assert_true(nb > 20); /* ~30 bytes a row, 4 KiB chunks */

	uint64_t version = 0;
	assert_int_equal(rpc_region_snapshot(fx->cli, 9, NULL, 0, &version, &out), ERR_OK);
	assert_int_equal(version, 42);
	assert_int_equal(out.nrows, 6000);
	check_batch(&out, 6000, 100);
	assert_int_equal(out.nrows, 6000);
	batch_free(&out);
	finish(fx);
}

static void test_admin_methods(void **state)
{
	struct fixture *fx = *state;
	struct tstate *t = &fx->t;
	assert_int_equal(rpc_region_flush(fx->cli, 11), ERR_OK);
	assert_int_equal(t->calls[RPC_REGION_FLUSH], 1);
	assert_int_equal(t->region, 11);
	assert_int_equal(rpc_region_compact(fx->cli, 12, true), ERR_OK);
	assert_int_equal(t->region, 12);
	assert_int_equal(t->extra, 1);
	assert_int_equal(rpc_region_truncate(fx->cli, 13), ERR_OK);
	assert_int_equal(t->calls[RPC_REGION_TRUNCATE], 1);
	assert_int_equal(t->region, 13);
	assert_int_equal(rpc_region_drop(fx->cli, 14), ERR_OK);
	assert_int_equal(t->calls[RPC_REGION_DROP], 1);
	assert_int_equal(rpc_region_open(fx->cli, 15, "data/x/15", REGION_ROLE_FOLLOWER), ERR_OK);
	assert_int_equal(t->region, 15);
	assert_int_equal(t->extra, REGION_ROLE_FOLLOWER);
	assert_string_equal(t->dir, "data/x/15");
	assert_int_equal(rpc_region_close(fx->cli, 16), ERR_OK);
	assert_int_equal(t->calls[RPC_REGION_CLOSE], 1);
	assert_int_equal(t->region, 16);
	assert_int_equal(rpc_region_install(fx->cli, 17, 31), ERR_OK);
	assert_int_equal(t->region, 17);
	assert_int_equal(t->version, 31);

	struct region_stat *st;
	uint32_t n;
	assert_int_equal(rpc_region_stats(fx->cli, &st, &n), ERR_OK);
	assert_int_equal(n, 3);
	for (uint32_t i = 0; i < n; i++) {
		struct region_stat want;
		make_stat(&want, 1000 + i);
		assert_memory_equal(&st[i], &want, sizeof(want));
	}
	mem_free(st);
}

static void test_create_region(void **state)
{
	struct fixture *fx = *state;
	struct column_schema cols[3] = {
	    {.name = "ts", .type = DT_TS_MS, .sem = SEM_TIMESTAMP, .column_id = 0},
	    {.name = "host", .type = DT_STRING, .sem = SEM_TAG, .nullable = true, .column_id = 1},
	    {.name = "cpu", .type = DT_FLOAT64, .sem = SEM_FIELD, .nullable = true, .column_id = 2},
	};
	uint32_t pk[1] = {1};
	struct region_schema s = {.ncols = 3, .cols = cols, .ts_col = 0, .npk = 1, .pk_cols = pk};
	assert_int_equal(region_schema_validate(&s), ERR_OK);
	assert_int_equal(
	    rpc_region_create(fx->cli, 1024ull << 32, "data/greptime/public/1024/", &s), ERR_OK);
	assert_int_equal(fx->t.region, 1024ull << 32);
	assert_string_equal(fx->t.dir, "data/greptime/public/1024/");
	assert_int_equal(fx->t.schema_ncols, 3);
	assert_string_equal(fx->t.schema_col1, "host");
	assert_int_equal(fx->t.schema_pk0, 1);
}

static void test_heartbeat(void **state)
{
	struct fixture *fx = *state;
	struct region_stat st[2];
	make_stat(&st[0], 1);
	make_stat(&st[1], 2);
	struct rpc_heartbeat hb = {
	    .node_id = 3, .addr = "127.0.0.1:3001", .nstats = 2, .stats = st};
	struct rpc_heartbeat_reply rep;
	assert_int_equal(rpc_heartbeat(fx->cli, &hb, &rep), ERR_OK);
	assert_int_equal(fx->t.hb.node_id, 3);
	assert_string_equal(fx->t.hb_addr, "127.0.0.1:3001");
	assert_int_equal(fx->t.hb.nstats, 2);
	assert_memory_equal(&fx->t.hb_stat1, &st[1], sizeof(st[1]));
	assert_int_equal(rep.lease_ms, 3000);
	assert_int_equal(rep.ninstr, 3);
	assert_int_equal(rep.instr[0].kind, RPC_INSTR_INSTALL);
	assert_int_equal(rep.instr[0].region_id, 7);
	assert_int_equal(rep.instr[0].manifest_version, 19);
	assert_int_equal(rep.instr[1].kind, RPC_INSTR_OPEN);
	assert_int_equal(rep.instr[1].role, REGION_ROLE_FOLLOWER);
	assert_string_equal(rep.instr[1].dir, "data/greptime/public/1024/1024_0000000008/");
	assert_int_equal(rep.instr[2].kind, RPC_INSTR_CLOSE);
	assert_null(rep.instr[2].dir);
	rpc_heartbeat_reply_free(&rep);
}

/* The generic API: rpc_call with a raw message, type checks. */
static void test_generic_call(void **state)
{
	struct fixture *fx = *state;
	RPC_PB(RegionCompactRequest) req = STRATA__REGION_COMPACT_REQUEST__INIT;
	req.region_id = 5;
	ProtobufCMessage *resp = NULL;
	assert_int_equal(rpc_call(fx->cli, RPC_REGION_COMPACT, &req.base, &resp, 1000), ERR_OK);
	assert_non_null(resp);
	assert_ptr_equal(resp->descriptor, &strata__empty__descriptor);
	rpc_message_free(resp);
	/* wrong request type for the method: refused locally */
	assert_int_equal(rpc_call(fx->cli, RPC_REGION_FLUSH, &req.base, &resp, 1000),
	                 ERR_BAD_INPUT);
	assert_null(resp);
	assert_int_equal(rpc_call(fx->cli, (enum rpc_method)99, &req.base, &resp, 1000),
	                 ERR_BAD_INPUT);
	/* a streamed method through rpc_call is a protocol error, and the
	 * connection (abandoned mid-stream) is not reused */
	fx->t.scan_rows = 5;
	RPC_PB(RegionScanRequest) sreq = STRATA__REGION_SCAN_REQUEST__INIT;
	assert_int_equal(rpc_call(fx->cli, RPC_REGION_SCAN, &sreq.base, &resp, 1000), ERR_PROTOCOL);
	assert_null(resp);
	assert_int_equal(rpc_ping(fx->cli), ERR_OK);
}

/* ---- errors ------------------------------------------------------------- */

static void test_remote_errors(void **state)
{
	struct fixture *fx = *state;
	struct batch b;
	make_batch(&b, 3, 0);
	assert_int_equal(rpc_region_write(fx->cli, 404, OP_PUT, &b, NULL), ERR_NOT_FOUND);
	char want[128];
	snprintf(want, sizeof(want), "peer %s: region 404 not found", fx->addr);
	assert_string_equal(err_msg(), want);
	/* the connection stays good */
	assert_int_equal(rpc_region_write(fx->cli, 1, OP_PUT, &b, NULL), ERR_OK);
	batch_free(&b);

	/* bad enum values are caught by the server's decoder */
	RPC_PB(RegionOpenRequest) req = STRATA__REGION_OPEN_REQUEST__INIT;
	req.role = 9;
	ProtobufCMessage *resp;
	assert_int_equal(rpc_call(fx->cli, RPC_REGION_OPEN, &req.base, &resp, 0), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "unknown region role 9"));

	/* corrupt rows inside a well-formed message */
	RPC_PB(RegionWriteRequest) w = STRATA__REGION_WRITE_REQUEST__INIT;
	w.op = OP_PUT;
	w.rows.data = (uint8_t *)"\x01\xff\xff";
	w.rows.len = 3;
	assert_int_equal(rpc_call(fx->cli, RPC_REGION_WRITE, &w.base, &resp, 0), ERR_CORRUPT);

	/* a bad schema */
	RPC_PB(RegionCreateRequest) cr = STRATA__REGION_CREATE_REQUEST__INIT;
	cr.schema_json = "{not json";
	assert_int_equal(rpc_call(fx->cli, RPC_REGION_CREATE, &cr.base, &resp, 0), ERR_PROTOCOL);
	cr.schema_json = "{\"columns\":[]}";
	assert_int_not_equal(rpc_call(fx->cli, RPC_REGION_CREATE, &cr.base, &resp, 0), ERR_OK);

	/* an error after some chunks were sent: the whole call fails */
	fx->t.scan_rows = 3000;
	struct rpc_scan_args a = {.region_id = 500};
	struct batch out;
	assert_int_equal(rpc_region_scan(fx->cli, &a, &out), ERR_IO);
	assert_non_null(strstr(err_msg(), "disk on fire"));
	assert_int_equal(out.nrows, 0);
	assert_null(out.cols);
	assert_int_equal(rpc_ping(fx->cli), ERR_OK);
}

static void test_unserved_method(void **state)
{
	(void)state;
	struct rpc_handlers h = {.ping = h_ping};
	struct tstate t = {0};
	pthread_mutex_init(&t.mu, NULL);
	h.ctx = &t;
	struct rpc_server *srv;
	assert_int_equal(rpc_server_start("127.0.0.1", 0, &h, NULL, &srv), ERR_OK);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", rpc_server_port(srv));
	struct rpc_client *c;
	assert_int_equal(rpc_client_create(addr, NULL, &c), ERR_OK);
	assert_int_equal(rpc_region_flush(c, 1), ERR_UNSUPPORTED);
	assert_non_null(strstr(err_msg(), "region_flush is not served here"));
	assert_int_equal(rpc_ping(c), ERR_OK);
	rpc_client_destroy(c);
	rpc_server_stop(srv);
	pthread_mutex_destroy(&t.mu);
}

static void test_timeout(void **state)
{
	(void)state;
	struct rpc_client_options co;
	rpc_client_options_init(&co);
	co.request_timeout_ms = 100;
	struct fixture *fx = start(NULL, &co);
	fx->t.sleep_ms = 400;
	int64_t t0 = clock_mono_ns();
	assert_int_equal(rpc_ping(fx->cli), ERR_UNAVAILABLE);
	int64_t took = (clock_mono_ns() - t0) / 1000000;
	assert_non_null(strstr(err_msg(), "timed out"));
	assert_non_null(strstr(err_msg(), fx->addr));
	assert_true(took >= 90 && took < 350);
	/* the timed-out connection is dropped, never reused: a late reply on it
	 * cannot be taken for the next call's */
	fx->t.sleep_ms = 0;
	assert_int_equal(rpc_ping(fx->cli), ERR_OK);
	struct rpc_server_stats ss;
	rpc_server_get_stats(fx->srv, &ss);
	assert_int_equal(ss.accepted, 2);
	/* the first connection's thread ends once its handler wakes up */
	for (int i = 0; i < 300; i++) {
		rpc_server_get_stats(fx->srv, &ss);
		if (ss.live == 1)
			break;
		clock_sleep_ms(10);
	}
	assert_int_equal(ss.live, 1);
	assert_int_equal(rpc_ping(fx->cli), ERR_OK);
	rpc_server_get_stats(fx->srv, &ss);
	assert_int_equal(ss.accepted, 2);
	finish(fx);
}

static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void test_dead_peer(void **state)
{
	(void)state;
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", free_port());
	struct rpc_client *c;
	assert_int_equal(rpc_client_create(addr, NULL, &c), ERR_OK);
	int64_t t0 = clock_mono_ns();
	assert_int_equal(rpc_ping(c), ERR_UNAVAILABLE);
	assert_true(clock_mono_ns() - t0 < 500 * 1000000LL);
	char want[128];
	snprintf(want, sizeof(want), "peer %s unavailable: connection refused", addr);
	assert_string_equal(err_msg(), want);
	rpc_client_destroy(c);

	/* bad addresses */
	assert_int_equal(rpc_client_create("nohost", NULL, &c), ERR_BAD_INPUT);
	assert_null(c);
	assert_int_equal(rpc_client_create("127.0.0.1:0", NULL, &c), ERR_BAD_INPUT);
	assert_int_equal(rpc_client_create("127.0.0.1:70000", NULL, &c), ERR_BAD_INPUT);
	assert_int_equal(rpc_client_create(":3001", NULL, &c), ERR_BAD_INPUT);
	assert_int_equal(rpc_client_create("[::1]:3001", NULL, &c), ERR_OK);
	rpc_client_destroy(c);
}

struct slow_call {
	struct rpc_client *c;
	int rc;
};

static void *slow_ping(void *arg)
{
	struct slow_call *s = arg;
	s->rc = rpc_ping(s->c);
	return NULL;
}

static void test_stop_with_clients(void **state)
{
	(void)state;
	struct fixture *fx = start(NULL, NULL);
	/* an idle pooled connection, and a call in progress on another client */
	assert_int_equal(rpc_region_flush(fx->cli, 1), ERR_OK);
	struct rpc_client *c2;
	assert_int_equal(rpc_client_create(fx->addr, NULL, &c2), ERR_OK);
	fx->t.sleep_ms = 300;
	struct slow_call sc = {c2, -1};
	pthread_t th;
	pthread_create(&th, NULL, slow_ping, &sc);
	while (fx->t.calls[RPC_PING] == 0)
		clock_sleep_ms(5);
	int64_t t0 = clock_mono_ns();
	rpc_server_stop(fx->srv);
	int64_t took = (clock_mono_ns() - t0) / 1000000;
	fx->srv = NULL;
	pthread_join(th, NULL);
	/* the running handler finished and its reply went out */
	assert_int_equal(sc.rc, ERR_OK);
	assert_true(took < 1500);
	/* the idle connection was closed: the client notices, no hang */
	assert_int_equal(rpc_region_flush(fx->cli, 1), ERR_UNAVAILABLE);
	assert_non_null(strstr(err_msg(), "connection refused"));
	rpc_client_destroy(c2);
	rpc_client_destroy(fx->cli);
	pthread_mutex_destroy(&fx->t.mu);
	free(fx);
}

/* A handler that never finishes in time: stop shuts its socket after the
 * grace period and still joins it. */
static void test_stop_grace(void **state)
{
	(void)state;
	struct rpc_server_options so;
	rpc_server_options_init(&so);
	so.stop_grace_ms = 100;
	struct rpc_client_options co;
	rpc_client_options_init(&co);
	co.request_timeout_ms = 5000;
	struct fixture *fx = start(&so, &co);
	fx->t.sleep_ms = 600;
	struct slow_call sc = {fx->cli, -1};
	pthread_t th;
	pthread_create(&th, NULL, slow_ping, &sc);
	while (fx->t.calls[RPC_PING] == 0)
		clock_sleep_ms(5);
	int64_t t0 = clock_mono_ns();
	rpc_server_stop(fx->srv);
	fx->srv = NULL;
	int64_t took = (clock_mono_ns() - t0) / 1000000;
	pthread_join(th, NULL);
	assert_true(took >= 80 && took < 2000);
	assert_int_equal(sc.rc, ERR_UNAVAILABLE); /* the reply could not be sent */
	rpc_client_destroy(fx->cli);
	pthread_mutex_destroy(&fx->t.mu);
	free(fx);
}

/* ---- concurrency, limits, hostile peers --------------------------------- */

struct worker {
	struct fixture *fx;
	int id;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	/* even workers share the fixture's client (and its pool), odd ones
	 * have their own */
	struct rpc_client *cli = w->fx->cli;
	if (w->id & 1 && rpc_client_create(w->fx->addr, NULL, &cli)) {
		w->failures++;
		return NULL;
	}
	for (int i = 0; i < 100; i++) {
		struct batch b;
		uint32_t n = (uint32_t)(w->id * 1000 + i + 1);
		enum dtype types[1] = {DT_INT64};
		if (batch_init(&b, 1, types)) {
			w->failures++;
			continue;
		}
		for (uint32_t k = 0; k < n; k++)
			colvec_push_i64(&b.cols[0], k);
		b.nrows = n;
		uint64_t affected = 0;
		if (rpc_region_write(cli, (uint64_t)w->id, OP_PUT, &b, &affected) || affected != n)
			w->failures++;
		batch_free(&b);
		if (i % 10 == 0) {
			struct rpc_scan_args a = {.region_id = (uint64_t)w->id};
			struct batch out;
			if (rpc_region_scan(cli, &a, &out) || out.nrows != 10)
				w->failures++;
			batch_free(&out);
		}
	}
	if (cli != w->fx->cli)
		rpc_client_destroy(cli);
	return NULL;
}

static void test_concurrent_clients(void **state)
{
	struct fixture *fx = *state;
	struct worker w[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){fx, i, 0};
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(fx->t.calls[RPC_REGION_WRITE], 400);
	assert_int_equal(fx->t.calls[RPC_REGION_SCAN], 40);
	/* at most one connection per concurrent caller, reused throughout */
	struct rpc_server_stats ss;
	rpc_server_get_stats(fx->srv, &ss);
	assert_true(ss.accepted >= 2 && ss.accepted <= 4);
	assert_int_equal(ss.requests, 440);
}

static int raw_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(rpc_set_nonblocking(fd), ERR_OK);
	return fd;
}

static int64_t in_ms(int ms)
{
	return clock_mono_ns() + (int64_t)ms * 1000000;
}

static void test_garbage_then_normal(void **state)
{
	struct fixture *fx = *state;
	uint16_t port = rpc_server_port(fx->srv);
	struct rpc_frame f;

	/* random garbage (one header's worth, so that the server's close is a
	 * FIN, not a reset for unread bytes): the server hangs up without a word */
	int fd = raw_connect(port);
	uint8_t junk[RPC_FRAME_HEADER_SIZE];
	srand(99);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	assert_int_equal(rpc_io_write(fd, junk, sizeof(junk), in_ms(1000)), ERR_OK);
	assert_int_equal(rpc_frame_read(fd, -1, in_ms(2000), 0, 1 << 20, &f), ERR_UNAVAILABLE);
	assert_true(f.eof);
	close(fd);

	/* right magic, unknown method: an error frame says why, then EOF */
	fd = raw_connect(port);
	struct buf b;
	buf_init(&b);
	assert_int_equal(rpc_frame_pack_raw(&b, RPC_KIND_REQUEST, 1, 77, "", 0), ERR_OK);
	b.data[6] = 200; /* method 200 */
	assert_int_equal(rpc_io_write(fd, b.data, b.len, in_ms(1000)), ERR_OK);
	assert_int_equal(rpc_frame_read(fd, -1, in_ms(2000), 0, 1 << 20, &f), ERR_OK);
	assert_int_equal(f.kind, RPC_KIND_ERROR);
	assert_int_equal(f.req_id, 77);
	RPC_PB(ErrorReply) *er = (RPC_PB(ErrorReply) *)protobuf_c_message_unpack(
	    &strata__error_reply__descriptor, &rpc_pb_allocator, f.len, f.payload);
	assert_non_null(er);
	assert_int_equal(er->code, ERR_PROTOCOL);
	assert_string_equal(er->message, "unknown method 200");
	protobuf_c_message_free_unpacked(&er->base, &rpc_pb_allocator);
	rpc_frame_free(&f);
	assert_int_equal(rpc_frame_read(fd, -1, in_ms(2000), 0, 1 << 20, &f), ERR_UNAVAILABLE);
	assert_true(f.eof);
	close(fd);

	/* a valid frame holding a malformed message: an error, connection kept */
	fd = raw_connect(port);
	buf_reset(&b);
	assert_int_equal(
	    rpc_frame_pack_raw(&b, RPC_KIND_REQUEST, RPC_REGION_WRITE, 5, "\xff\xff\xff\xff", 4),
	    ERR_OK);
	RPC_PB(Empty) e = STRATA__EMPTY__INIT;
	assert_int_equal(rpc_frame_pack(&b, RPC_KIND_REQUEST, RPC_PING, 6, &e.base, 100), ERR_OK);
	assert_int_equal(rpc_io_write(fd, b.data, b.len, in_ms(1000)), ERR_OK);
	assert_int_equal(rpc_frame_read(fd, -1, in_ms(2000), 0, 1 << 20, &f), ERR_OK);
	assert_int_equal(f.kind, RPC_KIND_ERROR);
	assert_int_equal(f.req_id, 5);
	rpc_frame_free(&f);
	assert_int_equal(rpc_frame_read(fd, -1, in_ms(2000), 0, 1 << 20, &f), ERR_OK);
	assert_int_equal(f.kind, RPC_KIND_RESPONSE);
	assert_int_equal(f.req_id, 6);
	assert_int_equal(f.method, RPC_PING);
	rpc_frame_free(&f);
	/* a response frame sent to a server is a protocol error */
	buf_reset(&b);
	assert_int_equal(rpc_frame_pack(&b, RPC_KIND_RESPONSE, RPC_PING, 7, &e.base, 100), ERR_OK);
	assert_int_equal(rpc_io_write(fd, b.data, b.len, in_ms(1000)), ERR_OK);
	assert_int_equal(rpc_frame_read(fd, -1, in_ms(2000), 0, 1 << 20, &f), ERR_OK);
	assert_int_equal(f.kind, RPC_KIND_ERROR);
	rpc_frame_free(&f);
	close(fd);

	/* half a frame, then the peer leaves */
	fd = raw_connect(port);
	assert_int_equal(rpc_io_write(fd, "STRP\x01", 5, in_ms(1000)), ERR_OK);
	close(fd);
	buf_free(&b);

	/* and the server still serves normal clients */
	assert_int_equal(rpc_ping(fx->cli), ERR_OK);
	struct batch out;
	struct rpc_scan_args a = {.region_id = 3};
	assert_int_equal(rpc_region_scan(fx->cli, &a, &out), ERR_OK);
	assert_int_equal(out.nrows, 10);
	batch_free(&out);
}

static void test_frame_limits(void **state)
{
	(void)state;
	struct rpc_server_options so;
	rpc_server_options_init(&so);
	so.max_frame = 2048;
	struct rpc_client_options co;
	rpc_client_options_init(&co);
	co.max_frame = 1024;
	struct fixture *fx = start(&so, &co);
	struct batch b;
	make_batch(&b, 200, 0);
	/* the client refuses to send more than its own cap */
	assert_int_equal(rpc_region_write(fx->cli, 1, OP_PUT, &b, NULL), ERR_LIMIT);
	assert_int_equal(fx->t.calls[RPC_REGION_WRITE], 0);
	batch_free(&b);
	/* a reply above the client's cap: refused before allocating */
	fx->t.scan_rows = 100;
	struct batch out;
	struct rpc_scan_args a = {.region_id = 1};
	assert_int_equal(rpc_region_scan(fx->cli, &a, &out), ERR_LIMIT);
	assert_non_null(strstr(err_msg(), "exceeds the limit"));
	rpc_client_destroy(fx->cli);

	/* the server refuses a request above its cap with an error frame */
	co.max_frame = 1 << 20;
	assert_int_equal(rpc_client_create(fx->addr, &co, &fx->cli), ERR_OK);
	make_batch(&b, 200, 0);
	int rc = rpc_region_write(fx->cli, 1, OP_PUT, &b, NULL);
	assert_int_equal(rc, ERR_LIMIT);
	assert_non_null(strstr(err_msg(), "exceeds the limit of 2048"));
	assert_int_equal(fx->t.calls[RPC_REGION_WRITE], 0);
	batch_free(&b);
	assert_int_equal(rpc_ping(fx->cli), ERR_OK);
	finish(fx);
}

static void test_max_connections(void **state)
{
	(void)state;
	struct rpc_server_options so;
	rpc_server_options_init(&so);
	so.max_connections = 1;
	struct fixture *fx = start(&so, NULL);
	assert_int_equal(rpc_ping(fx->cli), ERR_OK); /* holds the one slot */
	struct rpc_client *c2;
	assert_int_equal(rpc_client_create(fx->addr, NULL, &c2), ERR_OK);
	assert_int_equal(rpc_ping(c2), ERR_UNAVAILABLE);
	struct rpc_server_stats ss;
	rpc_server_get_stats(fx->srv, &ss);
	assert_int_equal(ss.refused, 1);
	/* the slot frees when the first client leaves */
	rpc_client_destroy(fx->cli);
	fx->cli = NULL;
	int rc = ERR_UNAVAILABLE;
	for (int i = 0; i < 200 && rc; i++) {
		clock_sleep_ms(10);
		rc = rpc_ping(c2);
	}
	assert_int_equal(rc, ERR_OK);
	rpc_client_destroy(c2);
	finish(fx);
}

static void test_oom(void **state)
{
	struct fixture *fx = *state;
	struct batch b;
	make_batch(&b, 50, 0);
	struct rpc_scan_args a = {.region_id = 2};
	int writes_ok = 0, scans_ok = 0;
	for (long n = 0; n < 120; n++) {
		mem_fail_after(n);
		int rc = rpc_region_write(fx->cli, 1, OP_PUT, &b, NULL);
		struct batch out;
		int rc2 = rpc_region_scan(fx->cli, &a, &out);
		mem_fail_after(-1);
		writes_ok += rc == ERR_OK;
		scans_ok += rc2 == ERR_OK;
		if (rc2 == ERR_OK)
			batch_free(&out);
		else
			assert_null(out.cols);
		assert_true(rc == ERR_OK || rc == ERR_NOMEM || rc == ERR_UNAVAILABLE ||
		            rc == ERR_PROTOCOL);
	}
	batch_free(&b);
	/* both failure and success were in range */
	assert_true(writes_ok > 0 && writes_ok < 120);
	assert_true(scans_ok < 120);
	fprintf(stderr, "# oom: %d writes and %d scans succeeded of 120\n", writes_ok, scans_ok);
	assert_int_equal(rpc_ping(fx->cli), ERR_OK);
}

/* ---- codec -------------------------------------------------------------- */

static void test_codec_scan_request_hostile(void **state)
{
	(void)state;
	struct arena *a = arena_create(0);
	struct scan_request out;
	RPC_PB(Datum) d = STRATA__DATUM__INIT;
	RPC_PB(Datum) * dl[1] = {&d};
	RPC_PB(Predicate) p = STRATA__PREDICATE__INIT;
	RPC_PB(Predicate) * pl[1] = {&p};
	RPC_PB(ScanRequest) s = STRATA__SCAN_REQUEST__INIT;
	s.n_predicates = 1;
	s.predicates = pl;
	p.op = PRED_LT;
	p.literal = &d;

	d.dtype = DT_INT64; /* no value */
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_PROTOCOL);
	d.value_case = STRATA__DATUM__VALUE_F; /* a double for an int */
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "predicate 0"));
	d.value_case = STRATA__DATUM__VALUE_I;
	d.i = -3;
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_OK);
	assert_int_equal(out.preds[0].lit.v.i, -3);
	d.dtype = DT__COUNT;
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_PROTOCOL);
	d.dtype = DT_STRING;
	d.is_null = true; /* a null literal needs no value */
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_OK);
	assert_true(out.preds[0].lit.is_null);
	p.op = PRED_IS_NOT_NULL + 1;
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_PROTOCOL);
	p.op = PRED_LT;
	p.literal = NULL;
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_PROTOCOL);
	p.op = PRED_IS_NULL; /* no literal needed */
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_OK);
	p.n_list = 1;
	p.list = dl;
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_PROTOCOL); /* list w/o IN */
	p.op = PRED_IN;
	d.is_null = false;
	d.dtype = DT_INT64; /* value case I from above */
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_OK);
	assert_int_equal(out.preds[0].nlist, 1);
	s.predicates[0] = NULL;
	assert_int_equal(rpc_scan_request_decode(&s, a, &out), ERR_PROTOCOL);
	arena_destroy(a);

	enum op_type op;
	enum region_role role;
	enum rpc_read_mode mode;
	assert_int_equal(rpc_op_decode(2, &op), ERR_PROTOCOL);
	assert_int_equal(rpc_role_decode(2, &role), ERR_PROTOCOL);
	assert_int_equal(rpc_read_mode_decode(2, &mode), ERR_PROTOCOL);
}

/* Encode -> pack -> unpack -> decode gives back the same request. */
static void test_codec_scan_request_roundtrip(void **state)
{
	(void)state;
	struct arena *a = arena_create(0);
	bool proj[4] = {false, true, false, true};
	struct datum lst[2] = {{.type = DT_STRING, .v.s = {"ab", 2}},
	                       {.type = DT_STRING, .is_null = true}};
	struct scan_pred preds[2] = {
	    {.col = 0, .op = PRED_GE, .lit = {.type = DT_FLOAT64, .v.f = 2.5}},
	    {.col = 2, .op = PRED_IN, .nlist = 2, .list = lst},
	};
	struct scan_request req = {
	    .projection = proj, .ts_min = INT64_MIN, .ts_max = 77, .npreds = 2, .preds = preds};
	RPC_PB(ScanRequest) * pb;
	assert_int_equal(rpc_scan_request_encode(&req, 4, a, &pb), ERR_OK);
	size_t n = protobuf_c_message_get_packed_size(&pb->base);
	uint8_t *bytes = mem_alloc(n);
	protobuf_c_message_pack(&pb->base, bytes);
	RPC_PB(ScanRequest) *back = (RPC_PB(ScanRequest) *)protobuf_c_message_unpack(
	    &strata__scan_request__descriptor, &rpc_pb_allocator, n, bytes);
	assert_non_null(back);
	struct scan_request out;
	assert_int_equal(rpc_scan_request_decode(back, a, &out), ERR_OK);
	assert_int_equal(out.ts_min, INT64_MIN);
	assert_int_equal(out.ts_max, 77);
	assert_memory_equal(out.projection, proj, sizeof(proj));
	assert_int_equal(out.npreds, 2);
	assert_int_equal(out.preds[0].op, PRED_GE);
	assert_true(out.preds[0].lit.v.f == 2.5);
	assert_int_equal(out.preds[1].nlist, 2);
	assert_int_equal(out.preds[1].list[0].v.s.n, 2);
	assert_memory_equal(out.preds[1].list[0].v.s.p, "ab", 2);
	assert_true(out.preds[1].list[1].is_null);
	protobuf_c_message_free_unpacked(&back->base, &rpc_pb_allocator);
	mem_free(bytes);
	/* a projection needs the column count */
	assert_int_equal(rpc_scan_request_encode(&req, 0, a, &pb), ERR_BAD_INPUT);
	arena_destroy(a);
}

static void test_codec_batch_append(void **state)
{
	(void)state;
	struct batch dst = {0}, x, y;
	make_batch(&x, 5, 0);
	assert_int_equal(rpc_batch_append(&dst, &x), ERR_OK);
	assert_null(x.cols); /* moved */
	make_batch(&y, 5, 5);
	assert_int_equal(rpc_batch_append(&dst, &y), ERR_OK);
	assert_int_equal(dst.nrows, 10);
	assert_int_equal(dst.cols[0].i64[9], 9);
	/* different columns: refused, src freed */
	enum dtype t1[1] = {DT_INT64};
	struct batch z;
	batch_init(&z, 1, t1);
	assert_int_equal(rpc_batch_append(&dst, &z), ERR_PROTOCOL);
	assert_null(z.cols);
	batch_free(&dst);
	/* empty bytes decode to an empty batch; garbage to an error */
	ProtobufCBinaryData e = {0, NULL};
	assert_int_equal(rpc_batch_decode(e, &dst), ERR_OK);
	assert_int_equal(dst.ncols, 0);
	ProtobufCBinaryData g = {5, (uint8_t *)"\x01\x05\x00\x00\x00"};
	assert_int_equal(rpc_batch_decode(g, &dst), ERR_CORRUPT);
	assert_null(dst.cols);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ping_and_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_roundtrip, setup, teardown),
	    cmocka_unit_test(test_chunked_scan_and_snapshot),
	    cmocka_unit_test_setup_teardown(test_admin_methods, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_region, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generic_call, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote_errors, setup, teardown),
	    cmocka_unit_test(test_unserved_method),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_dead_peer),
	    cmocka_unit_test(test_stop_with_clients),
	    cmocka_unit_test(test_stop_grace),
	    cmocka_unit_test_setup_teardown(test_concurrent_clients, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_then_normal, setup, teardown),
	    cmocka_unit_test(test_frame_limits),
	    cmocka_unit_test(test_max_connections),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	    cmocka_unit_test(test_codec_scan_request_hostile),
	    cmocka_unit_test(test_codec_scan_request_roundtrip),
	    cmocka_unit_test(test_codec_batch_append),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
