/* Unit tests for src/rpc/frame.c: the frame byte layout, header checks,
 * truncated / corrupt / oversized / random input, socket reads with
 * deadlines, and the method registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/mem.h"
#include "rpc/rpc_int.h"

static void pack_write(struct buf *b, uint32_t req_id)
{
	RPC_PB(RegionWriteRequest) req = STRATA__REGION_WRITE_REQUEST__INIT;
	req.region_id = 1024ull << 32 | 3;
	req.op = OP_PUT;
	req.rows.data = (uint8_t *)"rowbytes";
	req.rows.len = 8;
	assert_int_equal(rpc_frame_pack(b, RPC_KIND_REQUEST, RPC_REGION_WRITE, req_id, &req.base,
	                                RPC_DEFAULT_MAX_FRAME),
	                 ERR_OK);
}

static void test_layout_and_roundtrip(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	pack_write(&b, 0x01020304);
	assert_true(b.len > RPC_FRAME_HEADER_SIZE);
	/* the documented byte layout */
	assert_memory_equal(b.data, "STRP", 4);
	assert_int_equal(b.data[4], RPC_FRAME_VERSION);
	assert_int_equal(b.data[5], RPC_KIND_REQUEST);
	assert_int_equal(b.data[6], RPC_REGION_WRITE);
	assert_int_equal(b.data[7], 0);
	assert_int_equal(le_get_u32(b.data + 8), 0x01020304);
	uint32_t len = le_get_u32(b.data + 12);
	assert_int_equal(len, b.len - RPC_FRAME_HEADER_SIZE);
	assert_int_equal(le_get_u32(b.data + 16), crc32c(0, b.data + 20, len));

	struct rpc_frame f;
	size_t used;
	assert_int_equal(rpc_frame_decode(b.data, b.len, RPC_DEFAULT_MAX_FRAME, &f, &used), ERR_OK);
	assert_int_equal(used, b.len);
	assert_int_equal(f.kind, RPC_KIND_REQUEST);
	assert_int_equal(f.method, RPC_REGION_WRITE);
	assert_int_equal(f.req_id, 0x01020304);
	RPC_PB(RegionWriteRequest) *m = (RPC_PB(RegionWriteRequest) *)protobuf_c_message_unpack(
	    &strata__region_write_request__descriptor, &rpc_pb_allocator, f.len, f.payload);
	assert_non_null(m);
	assert_int_equal(m->region_id, 1024ull << 32 | 3);
	assert_int_equal(m->op, OP_PUT);
	assert_int_equal(m->rows.len, 8);
	assert_memory_equal(m->rows.data, "rowbytes", 8);
	protobuf_c_message_free_unpacked(&m->base, &rpc_pb_allocator);

	/* every proper prefix is "need more", never an error */
	for (size_t n = 0; n < b.len; n++) {
		assert_int_equal(rpc_frame_decode(b.data, n, RPC_DEFAULT_MAX_FRAME, &f, &used),
		                 ERR_OK);
		assert_int_equal(used, 0);
	}
	/* two frames back to back */
	pack_write(&b, 7);
	assert_int_equal(rpc_frame_decode(b.data, b.len, RPC_DEFAULT_MAX_FRAME, &f, &used), ERR_OK);
	size_t first = used;
	assert_int_equal(
	    rpc_frame_decode(b.data + first, b.len - first, RPC_DEFAULT_MAX_FRAME, &f, &used),
	    ERR_OK);
	assert_int_equal(first + used, b.len);
	assert_int_equal(f.req_id, 7);
	buf_free(&b);
}

static void test_empty_payload_and_error_frame(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	RPC_PB(Empty) e = STRATA__EMPTY__INIT;
	assert_int_equal(rpc_frame_pack(&b, RPC_KIND_RESPONSE, RPC_PING, 9, &e.base, 0), ERR_OK);
	assert_int_equal(b.len, RPC_FRAME_HEADER_SIZE);
	struct rpc_frame f;
	size_t used;
	assert_int_equal(rpc_frame_decode(b.data, b.len, 0, &f, &used), ERR_OK);
	assert_int_equal(used, RPC_FRAME_HEADER_SIZE);
	assert_int_equal(f.len, 0);
	assert_null(f.payload);

	buf_reset(&b);
	assert_int_equal(rpc_frame_pack_error(&b, 0, 0, ERR_UNAVAILABLE, "too many connections"),
	                 ERR_OK);
	assert_int_equal(rpc_frame_decode(b.data, b.len, 1024, &f, &used), ERR_OK);
	assert_int_equal(f.kind, RPC_KIND_ERROR);
	assert_int_equal(f.method, 0); /* method 0 is allowed only here */
	RPC_PB(ErrorReply) *er = (RPC_PB(ErrorReply) *)protobuf_c_message_unpack(
	    &strata__error_reply__descriptor, &rpc_pb_allocator, f.len, f.payload);
	assert_non_null(er);
	assert_int_equal(er->code, ERR_UNAVAILABLE);
	assert_string_equal(er->message, "too many connections");
	protobuf_c_message_free_unpacked(&er->base, &rpc_pb_allocator);

	/* a message larger than the sender's cap is refused, nothing appended */
	buf_reset(&b);
	RPC_PB(RegionWriteRequest) big = STRATA__REGION_WRITE_REQUEST__INIT;
	uint8_t blob[300] = {0};
	big.rows.data = blob;
	big.rows.len = sizeof(blob);
	assert_int_equal(rpc_frame_pack(&b, RPC_KIND_REQUEST, RPC_REGION_WRITE, 1, &big.base, 100),
	                 ERR_LIMIT);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static int decode_err(const uint8_t *p, size_t n, uint32_t max)
{
	struct rpc_frame f;
	size_t used;
	return rpc_frame_decode(p, n, max, &f, &used);
}

static void test_bad_headers(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	pack_write(&b, 1);
	uint8_t *h = mem_dup(b.data, b.len);
	size_t n = b.len;

	h[0] = 'X';
	assert_int_equal(decode_err(h, n, RPC_DEFAULT_MAX_FRAME), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "magic"));
	h[0] = 'S';

	h[4] = 2;
	assert_int_equal(decode_err(h, n, RPC_DEFAULT_MAX_FRAME), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "version 2"));
	h[4] = RPC_FRAME_VERSION;

	for (int k = 0; k < 256; k++) {
		h[5] = (uint8_t)k;
		int rc = decode_err(h, n, RPC_DEFAULT_MAX_FRAME);
		if (k >= RPC_KIND_REQUEST && k <= RPC_KIND_ERROR)
			assert_int_equal(rc, ERR_OK);
		else
			assert_int_equal(rc, ERR_PROTOCOL);
	}
	h[5] = RPC_KIND_REQUEST;

	/* method 0 in a request, and ids past the table */
	h[6] = 0;
	assert_int_equal(decode_err(h, n, RPC_DEFAULT_MAX_FRAME), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "unknown method 0"));
	h[6] = RPC_METHOD__COUNT + 1;
	assert_int_equal(decode_err(h, n, RPC_DEFAULT_MAX_FRAME), ERR_PROTOCOL);
	h[6] = 0xe7;
	h[7] = 0x03; /* 999 */
	assert_int_equal(decode_err(h, n, RPC_DEFAULT_MAX_FRAME), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "unknown method 999"));
	h[6] = RPC_REGION_WRITE;
	h[7] = 0;

	/* length over the cap: rejected from the header alone */
	assert_int_equal(decode_err(h, RPC_FRAME_HEADER_SIZE, (uint32_t)(n - 21)), ERR_LIMIT);
	assert_non_null(strstr(err_msg(), "exceeds the limit"));
	le_put_u32(h + 12, 0xffffffffu);
	assert_int_equal(decode_err(h, RPC_FRAME_HEADER_SIZE, RPC_DEFAULT_MAX_FRAME), ERR_LIMIT);
	le_put_u32(h + 12, (uint32_t)(n - RPC_FRAME_HEADER_SIZE));

	/* any flipped payload bit or checksum bit is caught */
	for (size_t i = RPC_FRAME_HEADER_SIZE - 4; i < n; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			h[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(decode_err(h, n, RPC_DEFAULT_MAX_FRAME), ERR_CORRUPT);
			h[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(decode_err(h, n, RPC_DEFAULT_MAX_FRAME), ERR_OK);
	mem_free(h);
	buf_free(&b);
}

static void test_random_bytes(void **state)
{
	(void)state;
	srand(1234);
	uint8_t p[256];
	int ok = 0, bad = 0;
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)(rand() % (int)sizeof(p));
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)rand();
		/* half the time a plausible header prefix, so the deeper checks run */
		if (iter & 1 && n >= 8) {
			memcpy(p, "STRP", 4);
			p[4] = RPC_FRAME_VERSION;
			p[5] = (uint8_t)(1 + rand() % 4);
			p[6] = (uint8_t)(rand() % (RPC_METHOD__COUNT + 2));
			p[7] = 0;
			if (n >= RPC_FRAME_HEADER_SIZE && rand() % 2)
				le_put_u32(p + 12, (uint32_t)(rand() % 300));
		}
		struct rpc_frame f;
		size_t used;
		int rc = rpc_frame_decode(p, n, 200, &f, &used);
		assert_true(rc == ERR_OK || rc == ERR_PROTOCOL || rc == ERR_LIMIT ||
		            rc == ERR_CORRUPT);
		if (rc == ERR_OK && used) {
			ok++;
			assert_true(used <= n);
			/* a frame that passed: its payload must not crash the decoder */
			const struct rpc_method_info *mi = rpc_method_info(f.method);
			if (mi) {
				ProtobufCMessage *m = protobuf_c_message_unpack(
				    mi->req, &rpc_pb_allocator, f.len, f.payload);
				if (m)
					protobuf_c_message_free_unpacked(m, &rpc_pb_allocator);
			}
		} else if (rc) {
			bad++;
		}
	}
	assert_true(bad > 1000);
}

static void test_method_registry(void **state)
{
	(void)state;
	assert_null(rpc_method_info(0));
	assert_null(rpc_method_info(RPC_METHOD__COUNT + 1));
	assert_string_equal(rpc_method_name(RPC_REGION_SCAN), "region_scan");
	assert_string_equal(rpc_method_name(RPC_HEARTBEAT), "heartbeat");
	assert_string_equal(rpc_method_name(4242), "unknown");
	for (unsigned m = 1; m <= RPC_METHOD__COUNT; m++) {
		const struct rpc_method_info *mi = rpc_method_info(m);
		assert_non_null(mi);
		assert_non_null(mi->name);
		assert_non_null(mi->req);
		assert_non_null(mi->resp);
		assert_int_equal(mi->req->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
	}
	assert_ptr_equal(rpc_method_info(RPC_REGION_SNAPSHOT)->resp,
	                 &strata__region_snapshot_response__descriptor);
}

/* ---- reads from a socket ---------------------------------------------- */

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(rpc_set_nonblocking(sv[0]), ERR_OK);
}

static int64_t in_ms(int ms)
{
	return clock_mono_ns() + (int64_t)ms * 1000000;
}

static void test_read_socket(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	pack_write(&b, 5);
	pack_write(&b, 6);
	int sv[2];
	pair(sv);
	assert_int_equal(write(sv[1], b.data, b.len), (ssize_t)b.len);
	struct rpc_frame f;
	assert_int_equal(rpc_frame_read(sv[0], -1, in_ms(1000), 0, RPC_DEFAULT_MAX_FRAME, &f),
	                 ERR_OK);
	assert_int_equal(f.req_id, 5);
	assert_non_null(f.payload);
	rpc_frame_free(&f);
	assert_int_equal(rpc_frame_read(sv[0], -1, in_ms(1000), 0, RPC_DEFAULT_MAX_FRAME, &f),
	                 ERR_OK);
	assert_int_equal(f.req_id, 6);
	rpc_frame_free(&f);

	/* nothing arrives: a timeout, not a hang */
	int64_t t0 = clock_mono_ns();
	assert_int_equal(rpc_frame_read(sv[0], -1, in_ms(50), 0, RPC_DEFAULT_MAX_FRAME, &f),
	                 ERR_UNAVAILABLE);
	assert_string_equal(err_msg(), "timed out");
	assert_false(f.eof);
	assert_true(clock_mono_ns() - t0 < 1000 * 1000000LL);

	/* the wake fd aborts the wait */
	int wake[2];
	assert_int_equal(pipe(wake), 0);
	assert_int_equal(write(wake[1], "x", 1), 1);
	assert_int_equal(rpc_frame_read(sv[0], wake[0], 0, 0, RPC_DEFAULT_MAX_FRAME, &f),
	                 ERR_UNAVAILABLE);
	assert_string_equal(err_msg(), "stopping");
	close(wake[0]);
	close(wake[1]);

	/* peer closes between frames: a clean end */
	close(sv[1]);
	assert_int_equal(rpc_frame_read(sv[0], -1, in_ms(1000), 0, RPC_DEFAULT_MAX_FRAME, &f),
	                 ERR_UNAVAILABLE);
	assert_true(f.eof);
	close(sv[0]);
	buf_free(&b);
}

static void test_read_truncated(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	pack_write(&b, 5);
	/* cut in the header, and in the payload */
	size_t cuts[] = {1,
	                 7,
	                 RPC_FRAME_HEADER_SIZE - 1,
	                 RPC_FRAME_HEADER_SIZE,
	                 RPC_FRAME_HEADER_SIZE + 3,
	                 b.len - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		int sv[2];
		pair(sv);
		assert_int_equal(write(sv[1], b.data, cuts[i]), (ssize_t)cuts[i]);
		close(sv[1]);
		struct rpc_frame f;
		assert_int_equal(
		    rpc_frame_read(sv[0], -1, in_ms(1000), 0, RPC_DEFAULT_MAX_FRAME, &f),
		    ERR_PROTOCOL);
		assert_non_null(strstr(err_msg(), "truncated"));
		assert_false(f.eof);
		assert_null(f.payload);
		close(sv[0]);
	}

	/* a started frame that stalls hits the body timeout */
	int sv[2];
	pair(sv);
	assert_int_equal(write(sv[1], b.data, 10), 10);
	struct rpc_frame f;
	int64_t t0 = clock_mono_ns();
	assert_int_equal(rpc_frame_read(sv[0], -1, 0, 50 * 1000000LL, RPC_DEFAULT_MAX_FRAME, &f),
	                 ERR_UNAVAILABLE);
	assert_string_equal(err_msg(), "timed out");
	assert_true(clock_mono_ns() - t0 < 1000 * 1000000LL);
	close(sv[0]);
	close(sv[1]);
	buf_free(&b);
}

static void test_read_oversized_allocates_nothing(void **state)
{
	(void)state;
	uint8_t h[RPC_FRAME_HEADER_SIZE];
	memcpy(h, "STRP", 4);
	h[4] = RPC_FRAME_VERSION;
	h[5] = RPC_KIND_REQUEST;
	h[6] = RPC_REGION_WRITE;
	h[7] = 0;
	le_put_u32(h + 8, 1);
	le_put_u32(h + 12, 3000000000u); /* 3 GB claimed */
	le_put_u32(h + 16, 0);
	int sv[2];
	pair(sv);
	assert_int_equal(write(sv[1], h, sizeof(h)), (ssize_t)sizeof(h));
	struct rpc_frame f;
	mem_fail_after(0); /* any allocation would turn the error into NOMEM */
	int rc = rpc_frame_read(sv[0], -1, in_ms(1000), 0, RPC_DEFAULT_MAX_FRAME, &f);
	mem_fail_after(-1);
	assert_int_equal(rc, ERR_LIMIT);
	assert_true(f.header_valid);
	assert_int_equal(f.req_id, 1);
	close(sv[0]);
	close(sv[1]);

	/* a corrupt payload read from a socket is freed and reported */
	struct buf b;
	buf_init(&b);
	pack_write(&b, 2);
	b.data[b.len - 1] ^= 0x40;
	pair(sv);
	assert_int_equal(write(sv[1], b.data, b.len), (ssize_t)b.len);
	assert_int_equal(rpc_frame_read(sv[0], -1, in_ms(1000), 0, RPC_DEFAULT_MAX_FRAME, &f),
	                 ERR_CORRUPT);
	assert_null(f.payload);
	close(sv[0]);
	close(sv[1]);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_and_roundtrip),
	    cmocka_unit_test(test_empty_payload_and_error_frame),
	    cmocka_unit_test(test_bad_headers),
	    cmocka_unit_test(test_random_bytes),
	    cmocka_unit_test(test_method_registry),
	    cmocka_unit_test(test_read_socket),
	    cmocka_unit_test(test_read_truncated),
	    cmocka_unit_test(test_read_oversized_allocates_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
