/*
 * Unit tests for streamed region answers (rpc_stream / rpc_region_scan_open
 * in src/rpc, the datanode side of the statement limits in
 * src/datanode/partial_agg.c), over a real RPC server on 127.0.0.1:
 *   - rows arrive frame by frame, cut to the chunk size the client asked
 *     for; the server writes as it produces and TCP flow control stops it
 *     while the client does not read (its handler is blocked, far from the
 *     end of its answer);
 *   - early close: the connection is dropped (not pooled half-read), the
 *     server's handler sees its write fail and stops, the next call on the
 *     same client works;
 *   - an error frame mid-stream: the rows before it, then the error with
 *     its code; the stream is over;
 *   - a peer that dies mid-stream, a truncated frame, a corrupt frame, a
 *     final frame that never comes (frame timeout, statement deadline):
 *     clear errors, never an end of stream;
 *   - the request carries timeout_ms / mem_limit / chunk_bytes;
 *   - a partial aggregation under an impossible memory limit or a passed
 *     deadline fails with the frontend's codes and words.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "datanode/datanode_int.h"
#include "helpers/region_fixture.h"
#include "rpc/rpc.h"
#include "rpc/rpc_int.h"
#include "server/handler.h"

/* ---- a scan server whose handler streams `nbatches` batches of `rows` -- */

struct srv_ctx {
	uint32_t nbatches, rows;
	int fail_after; /* >= 0: return an error after this many batches */
	int sleep_after; /* >= 0: sleep 1.5 s after this many batches, then end */
	atomic_uint sent;       /* batches written */
	atomic_bool finished;   /* the handler returned */
	atomic_int last_rc;
	/* what the last request carried */
	uint64_t timeout_ms, mem_limit;
	uint32_t chunk_bytes;
};

static int build(struct batch *b, uint32_t n, int64_t base)
{
	enum dtype t[2] = {DT_INT64, DT_STRING};
	int rc = batch_init(b, 2, t);
	for (uint32_t i = 0; rc == ERR_OK && i < n; i++) {
		char s[48];
		int len = snprintf(s, sizeof(s), "payload-%020lld", (long long)(base + i));
		rc = colvec_push_i64(&b->cols[0], base + i);
		if (rc == ERR_OK)
			rc = colvec_push_bytes(&b->cols[1], s, (size_t)len);
	}
	b->nrows = n;
	return rc;
}

static int h_scan(void *ctx, const RPC_PB(RegionScanRequest) * req, struct rpc_reply *r)
{
	struct srv_ctx *x = ctx;
	x->timeout_ms = req->timeout_ms;
	x->mem_limit = req->mem_limit;
	x->chunk_bytes = req->chunk_bytes;
	if (req->chunk_bytes)
		rpc_reply_set_chunk_bytes(r, req->chunk_bytes);
	int rc = ERR_OK;
	for (uint32_t i = 0; rc == ERR_OK && i < x->nbatches; i++) {
		if (x->fail_after >= 0 && i == (uint32_t)x->fail_after) {
			rc = err_set(ERR_CORRUPT, "sst block checksum mismatch (test)");
			break;
		}
		if (x->sleep_after >= 0 && i == (uint32_t)x->sleep_after) {
			clock_sleep_ms(1500);
			break;
		}
		struct batch b;
		rc = build(&b, x->rows, (int64_t)i * x->rows);
		if (rc == ERR_OK)
			rc = rpc_reply_rows(r, &b);
		batch_free(&b);
		if (rc == ERR_OK)
			atomic_fetch_add(&x->sent, 1);
	}
	atomic_store(&x->last_rc, rc);
	atomic_store(&x->finished, true);
	return rc;
}

struct fx {
	struct srv_ctx ctx;
	struct rpc_server *srv;
	struct rpc_client *cli;
	char addr[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->ctx.fail_after = -1;
	f->ctx.sleep_after = -1;
	struct rpc_handlers h = {.ctx = &f->ctx, .region_scan = h_scan};
	struct rpc_server_options o;
	rpc_server_options_init(&o);
	o.io_timeout_ms = 3000;
	assert_int_equal(rpc_server_start("127.0.0.1", 0, &h, &o, &f->srv), ERR_OK);
	snprintf(f->addr, sizeof(f->addr), "127.0.0.1:%u", rpc_server_port(f->srv));
	assert_int_equal(rpc_client_create(f->addr, NULL, &f->cli), ERR_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	rpc_client_destroy(f->cli);
	rpc_server_stop(f->srv);
	free(f);
	return 0;
}

static void wait_finished(struct srv_ctx *x)
{
	for (int i = 0; i < 500 && !atomic_load(&x->finished); i++)
		clock_sleep_ms(10);
	assert_true(atomic_load(&x->finished));
}

/* Read the whole stream: rows, batches and the sum of column 0. */
static int drain(struct rpc_scan_stream *s, uint64_t *rows, uint32_t *nb, int64_t *sum)
{
	*rows = 0, *nb = 0, *sum = 0;
	for (;;) {
		struct batch b;
		bool end;
		int rc = rpc_region_scan_next(s, &b, &end);
		if (rc || end)
			return rc;
		*rows += b.nrows;
		(*nb)++;
		for (uint32_t i = 0; i < b.nrows; i++)
			*sum += b.cols[0].i64[i];
		batch_free(&b);
	}
}

static void test_stream_all_rows_small_frames(void **state)
{
	struct fx *f = *state;
	f->ctx.nbatches = 4;
	f->ctx.rows = 5000;
	struct rpc_scan_args a = {.region_id = 1, .mode = RPC_READ_LEADER, .chunk_bytes = 16384,
	                          .mem_limit = 123456,
	                          .deadline_ms = clock_mono_ns() / 1000000 + 60000};
	struct rpc_scan_stream *s;
	assert_int_equal(rpc_region_scan_open(f->cli, &a, &s), ERR_OK);
	assert_false(rpc_region_scan_received(s));
	uint64_t rows;
	uint32_t nb;
	int64_t sum;
	assert_int_equal(drain(s, &rows, &nb, &sum), ERR_OK);
	assert_true(rpc_region_scan_received(s));
	rpc_region_scan_close(s);
	uint64_t n = 20000;
	assert_int_equal(rows, n);
	assert_true(sum == (int64_t)(n * (n - 1) / 2));
	/* ~40 bytes a row in 16 KiB frames: many frames, none over the ask */
	assert_true(nb >= 40);
	assert_int_equal(f->ctx.chunk_bytes, 16384);
	assert_int_equal(f->ctx.mem_limit, 123456);
	assert_true(f->ctx.timeout_ms > 50000 && f->ctx.timeout_ms <= 60000);
	wait_finished(&f->ctx);
	assert_int_equal(atomic_load(&f->ctx.last_rc), ERR_OK);
}

/* The server blocks in its writes while the client does not read; closing
 * early drops the connection, the handler stops, the client still works. */
static void test_flow_control_and_early_close(void **state)
{
	struct fx *f = *state;
	f->ctx.nbatches = 400; /* 400 x 20000 rows x ~40 bytes: ~320 MB */
	f->ctx.rows = 20000;
	struct rpc_scan_args a = {.region_id = 1, .mode = RPC_READ_LEADER};
	struct rpc_scan_stream *s;
	assert_int_equal(rpc_region_scan_open(f->cli, &a, &s), ERR_OK);
	struct batch b;
	bool end;
	assert_int_equal(rpc_region_scan_next(s, &b, &end), ERR_OK);
	assert_false(end);
	assert_int_equal(b.cols[0].i64[0], 0);
	batch_free(&b);
	clock_sleep_ms(300);
	/* socket buffers hold a few MB at most: the handler waits in a write */
	unsigned sent = atomic_load(&f->ctx.sent);
	assert_true(sent < 40);
	assert_false(atomic_load(&f->ctx.finished));
	rpc_region_scan_close(s); /* LIMIT: done after one batch */
	wait_finished(&f->ctx);
	assert_int_not_equal(atomic_load(&f->ctx.last_rc), ERR_OK); /* its write failed */
	assert_true(atomic_load(&f->ctx.sent) < 60);
	/* the same client: a fresh connection, a whole answer */
	atomic_store(&f->ctx.finished, false);
	atomic_store(&f->ctx.sent, 0);
	f->ctx.nbatches = 3;
	f->ctx.rows = 10;
	assert_int_equal(rpc_region_scan_open(f->cli, &a, &s), ERR_OK);
	uint64_t rows;
	uint32_t nb;
	int64_t sum;
	assert_int_equal(drain(s, &rows, &nb, &sum), ERR_OK);
	assert_int_equal(rows, 30);
	assert_int_equal(sum, 29 * 30 / 2);
	rpc_region_scan_close(s);
	/* a plain call too (ping is not served here: a clean remote answer) */
	assert_int_equal(rpc_ping(f->cli), ERR_UNSUPPORTED);
}

static void test_error_frame_mid_stream(void **state)
{
	struct fx *f = *state;
	f->ctx.nbatches = 5;
	f->ctx.rows = 100;
	f->ctx.fail_after = 2;
	struct rpc_scan_args a = {.region_id = 1, .mode = RPC_READ_LEADER};
	struct rpc_scan_stream *s;
	assert_int_equal(rpc_region_scan_open(f->cli, &a, &s), ERR_OK);
	uint64_t rows;
	uint32_t nb;
	int64_t sum;
	assert_int_equal(drain(s, &rows, &nb, &sum), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "checksum mismatch (test)"));
	assert_non_null(strstr(err_msg(), f->addr));
	assert_int_equal(rows, 200); /* what came before the error, not an end */
	/* the stream is over: no more rows, no end either */
	struct batch b;
	bool end;
	assert_int_not_equal(rpc_region_scan_next(s, &b, &end), ERR_OK);
	assert_false(end);
	rpc_region_scan_close(s);
	/* an error frame ends a response cleanly: the client keeps working */
	f->ctx.fail_after = -1;
	f->ctx.nbatches = 1;
	assert_int_equal(rpc_region_scan_open(f->cli, &a, &s), ERR_OK);
	assert_int_equal(drain(s, &rows, &nb, &sum), ERR_OK);
	assert_int_equal(rows, 100);
	rpc_region_scan_close(s);
}

static void test_final_frame_never_comes(void **state)
{
	struct fx *f = *state;
	f->ctx.nbatches = 5;
	f->ctx.rows = 10;
	f->ctx.sleep_after = 1;
	/* the wait for each frame is bounded */
	struct rpc_scan_args a = {.region_id = 1, .mode = RPC_READ_LEADER, .frame_timeout_ms = 200};
	struct rpc_scan_stream *s;
	assert_int_equal(rpc_region_scan_open(f->cli, &a, &s), ERR_OK);
	uint64_t rows;
	uint32_t nb;
	int64_t sum;
	int64_t t0 = clock_mono_ns();
	assert_int_equal(drain(s, &rows, &nb, &sum), ERR_UNAVAILABLE);
	assert_non_null(strstr(err_msg(), "timed out"));
	assert_int_equal(rows, 10);
	assert_true(clock_mono_ns() - t0 < 1200 * 1000000LL);
	rpc_region_scan_close(s);
	wait_finished(&f->ctx);
	/* ... and never past the statement deadline */
	atomic_store(&f->ctx.finished, false);
	a.frame_timeout_ms = 0;
	a.deadline_ms = clock_mono_ns() / 1000000 + 300;
	assert_int_equal(rpc_region_scan_open(f->cli, &a, &s), ERR_OK);
	t0 = clock_mono_ns();
	assert_int_equal(drain(s, &rows, &nb, &sum), ERR_UNAVAILABLE);
	assert_non_null(strstr(err_msg(), "timed out"));
	assert_true(clock_mono_ns() - t0 < 1200 * 1000000LL);
	rpc_region_scan_close(s);
	wait_finished(&f->ctx);
}

/* ---- a hand-made peer: answers the request with given bytes, then closes */

struct raw_peer {
	int lfd;
	pthread_t th;
	int mode; /* 0: a chunk then close; 1: a chunk then half a frame; 2: bad crc */
};

static void *raw_main(void *arg)
{
	struct raw_peer *p = arg;
	int fd = accept(p->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	uint8_t hdr[RPC_FRAME_HEADER_SIZE];
	size_t got = 0;
	while (got < sizeof(hdr)) {
		ssize_t r = recv(fd, hdr + got, sizeof(hdr) - got, 0);
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	uint32_t len = (uint32_t)hdr[12] | (uint32_t)hdr[13] << 8 | (uint32_t)hdr[14] << 16 |
	               (uint32_t)hdr[15] << 24;
	uint32_t id = (uint32_t)hdr[8] | (uint32_t)hdr[9] << 8 | (uint32_t)hdr[10] << 16 |
	              (uint32_t)hdr[11] << 24;
	uint8_t *body = malloc(len ? len : 1);
	got = 0;
	while (got < len) {
		ssize_t r = recv(fd, body + got, len - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	free(body);
	struct batch b;
	build(&b, 7, 0);
	struct buf rows, out;
	buf_init(&rows);
	buf_init(&out);
	ProtobufCBinaryData d;
	rpc_batch_encode(&b, &rows, &d);
	RPC_PB(RegionScanResponse) m = STRATA__REGION_SCAN_RESPONSE__INIT;
	m.rows = d;
	rpc_frame_pack(&out, RPC_KIND_CHUNK, RPC_REGION_SCAN, id, &m.base, UINT32_MAX);
	size_t one = out.len;
	rpc_frame_pack(&out, RPC_KIND_CHUNK, RPC_REGION_SCAN, id, &m.base, UINT32_MAX);
	if (p->mode == 0)
		out.len = one; /* one frame, then a clean close */
	else if (p->mode == 1)
		out.len = one + (out.len - one) / 2; /* the second frame cut */
	else
		out.data[out.len - 1] ^= 0x5a; /* the second frame's payload flipped */
	send(fd, out.data, out.len, MSG_NOSIGNAL);
	batch_free(&b);
	buf_free(&rows);
	buf_free(&out);
out:
	clock_sleep_ms(50);
	close(fd);
	return NULL;
}

static void raw_case(int mode, int want, const char *words)
{
	struct raw_peer p = {.mode = mode};
	p.lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(p.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p.lfd, 4), 0);
	socklen_t sl = sizeof(sa);
	getsockname(p.lfd, (struct sockaddr *)&sa, &sl);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sa.sin_port));
	pthread_create(&p.th, NULL, raw_main, &p);
	struct rpc_client *c;
	assert_int_equal(rpc_client_create(addr, NULL, &c), ERR_OK);
	struct rpc_scan_args a = {.region_id = 1, .mode = RPC_READ_LEADER, .frame_timeout_ms = 3000};
	struct rpc_scan_stream *s;
	assert_int_equal(rpc_region_scan_open(c, &a, &s), ERR_OK);
	uint64_t rows;
	uint32_t nb;
	int64_t sum;
	assert_int_equal(drain(s, &rows, &nb, &sum), want);
	assert_non_null(strstr(err_msg(), words));
	assert_int_equal(rows, 7); /* the first frame was good */
	rpc_region_scan_close(s);
	rpc_client_destroy(c);
	pthread_join(p.th, NULL);
	close(p.lfd);
}

static void test_peer_dies_mid_stream(void **state)
{
	(void)state;
	raw_case(0, ERR_UNAVAILABLE, "connection closed by the peer");
}

static void test_truncated_frame(void **state)
{
	(void)state;
	raw_case(1, ERR_UNAVAILABLE, "connection lost (truncated frame");
}

static void test_corrupt_frame(void **state)
{
	(void)state;
	raw_case(2, ERR_CORRUPT, "checksum");
}

/* ---- the datanode's partial aggregation under the statement's limits ---- */

struct gen_source {
	struct sorted_source s;
	struct batch b;
	uint32_t left;
	uint32_t next_host;
};

static int gen_next(struct sorted_source *src, const struct batch **out)
{
	struct gen_source *g = (struct gen_source *)src;
	*out = NULL;
	if (!g->left)
		return ERR_OK;
	g->left--;
	batch_free(&g->b);
	struct fx_row rows[256];
	memset(rows, 0, sizeof(rows));
	for (uint32_t i = 0; i < 256; i++) {
		snprintf(rows[i].host, sizeof(rows[i].host), "h%u", g->next_host++);
		rows[i].ts = i;
		rows[i].v = i;
		rows[i].n = i;
	}
	fx_batch(rows, 256, &g->b);
	*out = &g->b;
	return ERR_OK;
}

static void gen_close(struct sorted_source *src)
{
	struct gen_source *g = (struct gen_source *)src;
	batch_free(&g->b);
}

static void test_partial_agg_limits(void **state)
{
	(void)state;
	struct region_schema *schema = fx_schema(false, MERGE_LAST_ROW);
	RPC_PB(RegionScanRequest) req = STRATA__REGION_SCAN_REQUEST__INIT;
	req.partial_agg_version = RPC_PARTIAL_AGG_VERSION;
	req.partial_agg_sql = "SELECT host, count(v) FROM m GROUP BY host";
	req.partial_agg_protocol = SESSION_MYSQL;
	/* an impossible memory limit: 40 x 256 distinct groups */
	req.mem_limit = 4096;
	struct gen_source g = {.s = {gen_next, gen_close}, .left = 40};
	int rc = dn_partial_agg(&req, schema, &g.s, 0, NULL);
	assert_int_equal(rc, ERR_NOMEM);
	assert_non_null(strstr(err_msg(), "Query exceeded the memory limit of 4096 bytes"));
	gen_close(&g.s);
	/* a deadline that passed */
	req.mem_limit = 0;
	memset(&g, 0, sizeof(g));
	g.s = (struct sorted_source){gen_next, gen_close};
	g.left = 40;
	rc = dn_partial_agg(&req, schema, &g.s, clock_mono_ns() / 1000000 - 1, NULL);
	assert_int_equal(rc, ERR_EXEC);
	assert_non_null(strstr(err_msg(), "maximum statement execution time exceeded"));
	gen_close(&g.s);
	region_schema_free(schema);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_stream_all_rows_small_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flow_control_and_early_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_frame_mid_stream, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_final_frame_never_comes, setup, teardown),
	    cmocka_unit_test(test_peer_dies_mid_stream),
	    cmocka_unit_test(test_truncated_frame),
	    cmocka_unit_test(test_corrupt_frame),
	    cmocka_unit_test(test_partial_agg_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
