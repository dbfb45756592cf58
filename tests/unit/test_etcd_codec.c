/* etcd v3 JSON gateway codec (no etcd needed): base64 incl. the padding
 * gotcha, int64-as-string and omitted zero fields, request bodies, canned
 * responses (range, txn, lease, watch, errors) as etcd 3.4 sends them, the
 * leader record of the election, and hostile/truncated input. */
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
#include "meta/election.h"
#include "meta/etcd_int.h"

#define HDR                                                                                        \
	"\"header\":{\"cluster_id\":\"5863168093102422034\",\"member_id\":"                        \
	"\"6197502585780177288\",\"revision\":\"4\",\"raft_term\":\"2\"}"

static cJSON *parse(const char *s)
{
	cJSON *j = etcd_json_parse(s, strlen(s));
	assert_non_null(j);
	return j;
}

/* ------------------------------------------------------------ base64 */

static void test_b64_vectors(void **state)
{
	(void)state;
	const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (int i = 0; i < 7; i++) {
		char *e = etcd_b64_encode(plain[i], strlen(plain[i]));
		assert_string_equal(e, enc[i]);
		mem_free(e);
		uint8_t *d;
		size_t n;
		assert_int_equal(etcd_b64_decode(enc[i], strlen(enc[i]), &d, &n), ERR_OK);
		/* EVP_DecodeBlock alone would say 3 for "Zg==": padding must not count */
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(d, plain[i], n);
		assert_int_equal(d[n], 0);
		mem_free(d);
	}
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "x=");
	assert_int_equal(etcd_b64_append(&b, "foob", 4), ERR_OK);
	assert_int_equal(etcd_b64_append(&b, "", 0), ERR_OK);
	assert_string_equal(buf_cstr(&b), "x=Zm9vYg==");
	buf_free(&b);
}

static void test_b64_binary_roundtrip(void **state)
{
	(void)state;
	uint8_t src[300];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 37 + (i >> 3));
	for (size_t n = 0; n <= sizeof(src); n += (n < 20 ? 1 : 37)) {
		char *e = etcd_b64_encode(src, n);
		assert_non_null(e);
		assert_int_equal(strlen(e), (n + 2) / 3 * 4);
		uint8_t *d;
		size_t m;
		assert_int_equal(etcd_b64_decode(e, strlen(e), &d, &m), ERR_OK);
		assert_int_equal(m, n);
		if (n)
			assert_memory_equal(d, src, n);
		mem_free(d);
		mem_free(e);
	}
}

static void test_b64_rejects_bad_input(void **state)
{
	(void)state;
	const char *bad[] = {
	    "Zg=",  "Zg=a", "Z===",     "====",    "Zm9v\n",       "Zm 9v", "Zm9-",
	    "Zm9_", "=Zg=", "Zm9v====", "Zm\x80v", "Zm9v\0\0\0\0", "a",     "ab=c"};
	size_t lens[] = {3, 4, 4, 4, 5, 5, 4, 4, 4, 8, 4, 8, 1, 4};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *d = (uint8_t *)"untouched";
		size_t n = 99;
		assert_int_equal(etcd_b64_decode(bad[i], lens[i], &d, &n), ERR_PROTOCOL);
		assert_null(d);
		assert_int_equal(n, 0);
	}
}

/* ------------------------------------------------------------ keys */

static void test_prefix_end_and_norm(void **state)
{
	(void)state;
	struct {
		const char *in;
		size_t n;
		const char *out;
		size_t on;
	} cases[] = {
	    {"a/", 2, "a0", 2},         {"/meta/", 6, "/meta0", 6}, {"a\xff", 2, "b", 1},
	    {"ab\xff\xff", 4, "ac", 2}, {"\xff\xff", 2, "\0", 1},   {"", 0, "\0", 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *e;
		size_t n;
		assert_int_equal(etcd_prefix_end(cases[i].in, cases[i].n, &e, &n), ERR_OK);
		assert_int_equal(n, cases[i].on);
		assert_memory_equal(e, cases[i].out, n);
		mem_free(e);
	}
	const char *in[] = {NULL, "", "/strata", "/strata/", "a"};
	const char *want[] = {"", "", "/strata/", "/strata/", "a/"};
	for (int i = 0; i < 5; i++) {
		char *p = etcd_norm_prefix(in[i]);
		assert_string_equal(p, want[i]);
		mem_free(p);
	}
}

/* ------------------------------------------------------------ JSON access */

static void test_json_fields(void **state)
{
	(void)state;
	cJSON *j = parse("{\"s\":\"12\",\"neg\":\"-5\",\"num\":7,\"big\":\"9223372036854775807\","
	                 "\"over\":\"9223372036854775808\",\"x\":\"12a\",\"e\":\"\",\"b\":true,"
	                 "\"f\":1.5,\"huge\":1e300,\"n\":null,\"plus\":\"+3\",\"sp\":\" 3\"}\n");
	int64_t v;
	assert_int_equal(etcd_json_i64(j, "s", &v), ERR_OK);
	assert_int_equal(v, 12);
	assert_int_equal(etcd_json_i64(j, "neg", &v), ERR_OK);
	assert_int_equal(v, -5);
	assert_int_equal(etcd_json_i64(j, "num", &v), ERR_OK);
	assert_int_equal(v, 7);
	assert_int_equal(etcd_json_i64(j, "big", &v), ERR_OK);
	assert_true(v == INT64_MAX);
	assert_int_equal(etcd_json_i64(j, "absent", &v), ERR_OK); /* omitted zero */
	assert_int_equal(v, 0);
	assert_int_equal(etcd_json_i64(j, "n", &v), ERR_OK);
	assert_int_equal(v, 0);
	const char *bad[] = {"over", "x", "e", "b", "f", "huge", "plus", "sp"};
	for (int i = 0; i < 8; i++)
		assert_int_equal(etcd_json_i64(j, bad[i], &v), ERR_PROTOCOL);
	bool bv = true;
	assert_int_equal(etcd_json_bool(j, "absent", &bv), ERR_OK);
	assert_false(bv);
	assert_int_equal(etcd_json_bool(j, "b", &bv), ERR_OK);
	assert_true(bv);
	assert_int_equal(etcd_json_bool(j, "s", &bv), ERR_PROTOCOL);
	uint8_t *d;
	size_t n;
	assert_int_equal(etcd_json_bytes(j, "absent", &d, &n), ERR_OK); /* empty bytes omitted */
	assert_int_equal(n, 0);
	assert_int_equal(d[0], 0);
	mem_free(d);
	assert_int_equal(etcd_json_bytes(j, "num", &d, &n), ERR_PROTOCOL);
	assert_int_equal(etcd_json_bytes(j, "x", &d, &n), ERR_PROTOCOL);
	cJSON_Delete(j);
}

static void test_json_parse_strictness(void **state)
{
	(void)state;
	const char *ok[] = {"{}", "{}\n", "{} \r\n", "[1]"};
	for (int i = 0; i < 4; i++) {
		cJSON *j = etcd_json_parse(ok[i], strlen(ok[i]));
		assert_non_null(j);
		cJSON_Delete(j);
	}
	const char *bad[] = {"", "\n", "{", "{}x", "{} {}", "{\"a\":}", "nul", "{\"a\":\"\\u12\"}"};
	for (int i = 0; i < 8; i++) {
		assert_null(etcd_json_parse(bad[i], strlen(bad[i])));
		assert_int_equal(err_code(), ERR_PROTOCOL);
	}
	/* not NUL-terminated: only len bytes count */
	char buf[8] = {'{', '}', 'x', 'x', 'x', 'x', 'x', 'x'};
	cJSON *j = etcd_json_parse(buf, 2);
	assert_non_null(j);
	cJSON_Delete(j);
}

/* ------------------------------------------------------------ responses */

static void test_parse_range(void **state)
{
	(void)state;
	cJSON *j = parse(
	    "{" HDR ",\"kvs\":[{\"key\":\"L21ldGEvYQ==\",\"create_revision\":\"2\","
	    "\"mod_revision\":\"3\",\"version\":\"2\",\"value\":\"aGVsbG8=\","
	    "\"lease\":\"686977180764924686\"},{\"key\":\"L3QvZQ==\",\"create_revision\":"
	    "\"2\",\"mod_revision\":\"2\",\"version\":\"1\"}],\"more\":true,\"count\":\"3\"}");
	struct etcd_range r;
	assert_int_equal(etcd_parse_range(j, &r), ERR_OK);
	assert_int_equal(r.revision, 4);
	assert_int_equal(r.count, 3);
	assert_true(r.more);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.kvs[0].klen, 7);
	assert_memory_equal(r.kvs[0].key, "/meta/a", 7);
	assert_string_equal((char *)r.kvs[0].value, "hello");
	assert_int_equal(r.kvs[0].create_rev, 2);
	assert_int_equal(r.kvs[0].mod_rev, 3);
	assert_int_equal(r.kvs[0].version, 2);
	assert_true(r.kvs[0].lease == 686977180764924686LL);
	/* empty value omitted by the gateway */
	assert_int_equal(r.kvs[1].vlen, 0);
	assert_non_null(r.kvs[1].value);
	assert_int_equal(r.kvs[1].lease, 0);
	etcd_range_free(&r);
	cJSON_Delete(j);

	/* missing key: only the header - no kvs, no count, no more */
	j = parse("{" HDR "}");
	assert_int_equal(etcd_parse_range(j, &r), ERR_OK);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.count, 0);
	assert_false(r.more);
	assert_null(r.kvs);
	cJSON_Delete(j);
	/* numbers instead of strings are accepted too */
	j = parse("{\"header\":{\"revision\":9},\"count\":1,\"kvs\":[{\"key\":\"YQ==\"}]}");
	assert_int_equal(etcd_parse_range(j, &r), ERR_OK);
	assert_int_equal(r.revision, 9);
	assert_int_equal(r.n, 1);
	etcd_range_free(&r);
	cJSON_Delete(j);
}

static void test_parse_range_hostile(void **state)
{
	(void)state;
	const char *bad[] = {
	    "[]",
	    "{\"header\":[]}",
	    "{\"header\":{\"revision\":\"x\"}}",
	    "{\"kvs\":{}}",
	    "{\"kvs\":[1]}",
	    "{\"kvs\":[{\"key\":\"!!!!\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"value\":5}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\"},{\"key\":\"YQ=\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":\"1e3\"}]}",
	    "{\"more\":\"true\"}",
	    "{\"count\":{}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *j = parse(bad[i]);
		struct etcd_range r;
		assert_int_equal(etcd_parse_range(j, &r), ERR_PROTOCOL);
		assert_int_equal(r.n, 0);
		assert_null(r.kvs);
		cJSON_Delete(j);
	}
}

static void test_parse_txn(void **state)
{
	(void)state;
	cJSON *j = parse("{" HDR ",\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":"
	                 "{\"revision\":\"5\"}}}]}");
	struct etcd_txn t;
	assert_int_equal(etcd_parse_txn(j, &t), ERR_OK);
	assert_true(t.succeeded);
	assert_int_equal(t.revision, 4);
	assert_int_equal(t.range.n, 0);
	etcd_txn_free(&t);
	cJSON_Delete(j);
	/* failed compare: no "succeeded" at all; the failure branch's range */
	j = parse("{" HDR ",\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"5\"},"
	          "\"kvs\":[{\"key\":\"L3Qveg==\",\"create_revision\":\"4\",\"mod_revision\":\"4\","
	          "\"version\":\"1\",\"value\":\"MQ==\",\"lease\":\"77\"}],\"count\":\"1\"}}]}");
	assert_int_equal(etcd_parse_txn(j, &t), ERR_OK);
	assert_false(t.succeeded);
	assert_int_equal(t.range.n, 1);
	assert_int_equal(t.range.kvs[0].create_rev, 4);
	assert_int_equal(t.range.kvs[0].lease, 77);
	assert_string_equal((char *)t.range.kvs[0].value, "1");
	etcd_txn_free(&t);
	cJSON_Delete(j);
	/* no compares and no ops */
	j = parse("{" HDR ",\"succeeded\":true}");
	assert_int_equal(etcd_parse_txn(j, &t), ERR_OK);
	assert_true(t.succeeded);
	etcd_txn_free(&t);
	cJSON_Delete(j);
	const char *bad[] = {"{\"succeeded\":1}", "{\"responses\":{}}", "{\"responses\":[3]}",
	                     "{\"responses\":[{\"response_range\":{\"kvs\":[{\"key\":7}]}}]}",
	                     "\"x\""};
	for (int i = 0; i < 5; i++) {
		j = parse(bad[i]);
		assert_int_equal(etcd_parse_txn(j, &t), ERR_PROTOCOL);
		etcd_txn_free(&t);
		cJSON_Delete(j);
	}
}

static void test_parse_lease(void **state)
{
	(void)state;
	struct etcd_lease l;
	cJSON *j = parse("{" HDR ",\"ID\":\"2324035641591035927\",\"TTL\":\"5\"}");
	assert_int_equal(etcd_parse_lease(j, &l), ERR_OK);
	assert_true(l.id == 2324035641591035927LL);
	assert_int_equal(l.ttl, 5);
	cJSON_Delete(j);
	j = parse("{\"result\":{" HDR ",\"ID\":\"2324035641591035927\",\"TTL\":\"5\"}}\n");
	assert_int_equal(etcd_parse_lease(j, &l), ERR_OK);
	assert_int_equal(l.ttl, 5);
	cJSON_Delete(j);
	/* keepalive on an expired lease: no TTL = gone */
	j = parse("{\"result\":{" HDR ",\"ID\":\"12345\"}}");
	assert_int_equal(etcd_parse_lease(j, &l), ERR_OK);
	assert_int_equal(l.id, 12345);
	assert_int_equal(l.ttl, 0);
	cJSON_Delete(j);
	/* an error inside the stream */
	j = parse("{\"error\":{\"grpc_code\":5,\"http_code\":404,\"message\":\"etcdserver: "
	          "requested lease not found\",\"http_status\":\"Not Found\"}}");
	assert_int_equal(etcd_parse_lease(j, &l), ERR_NOT_FOUND);
	assert_non_null(strstr(err_msg(), "requested lease not found"));
	cJSON_Delete(j);
	j = parse("{\"result\":[]}");
	assert_int_equal(etcd_parse_lease(j, &l), ERR_PROTOCOL);
	cJSON_Delete(j);
	j = parse("{\"ID\":\"x\"}");
	assert_int_equal(etcd_parse_lease(j, &l), ERR_PROTOCOL);
	cJSON_Delete(j);
}

static void test_parse_watch(void **state)
{
	(void)state;
	struct etcd_watch_msg m;
	cJSON *j = parse("{\"result\":{" HDR ",\"created\":true}}");
	assert_int_equal(etcd_parse_watch(j, &m), ERR_OK);
	assert_true(m.created);
	assert_false(m.canceled);
	assert_int_equal(m.n, 0);
	etcd_watch_msg_free(&m);
	cJSON_Delete(j);
	/* a PUT has no "type"; a DELETE's kv has no value */
	j = parse("{\"result\":{" HDR
	          ",\"events\":[{\"kv\":{\"key\":\"L3cvaw==\",\"create_revision\":"
	          "\"5\",\"mod_revision\":\"5\",\"version\":\"1\",\"value\":\"dg==\"}},{\"type\":"
	          "\"DELETE\",\"kv\":{\"key\":\"L3cvaw==\",\"mod_revision\":\"6\"}},{\"type\":1,"
	          "\"kv\":{\"key\":\"YQ==\"}}]}}");
	assert_int_equal(etcd_parse_watch(j, &m), ERR_OK);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.events[0].type, ETCD_EVENT_PUT);
	assert_string_equal((char *)m.events[0].kv.value, "v");
	assert_memory_equal(m.events[0].kv.key, "/w/k", 4);
	assert_int_equal(m.events[1].type, ETCD_EVENT_DELETE);
	assert_int_equal(m.events[1].kv.mod_rev, 6);
	assert_int_equal(m.events[1].kv.vlen, 0);
	assert_int_equal(m.events[2].type, ETCD_EVENT_DELETE);
	etcd_watch_msg_free(&m);
	cJSON_Delete(j);
	j = parse("{\"result\":{\"header\":{\"raft_term\":\"2\"},\"canceled\":true,"
	          "\"compact_revision\":\"5\"}}");
	assert_int_equal(etcd_parse_watch(j, &m), ERR_OK);
	assert_true(m.canceled);
	assert_int_equal(m.compact_revision, 5);
	assert_int_equal(m.revision, 0);
	cJSON_Delete(j);
	j = parse("{\"error\":\"unexpected EOF\",\"message\":\"unexpected EOF\",\"code\":2}");
	assert_int_equal(etcd_parse_watch(j, &m), ERR_IO);
	cJSON_Delete(j);
	j = parse("{\"error\":{\"grpc_code\":14,\"message\":\"etcdserver: no leader\"}}");
	assert_int_equal(etcd_parse_watch(j, &m), ERR_UNAVAILABLE);
	cJSON_Delete(j);
	const char *bad[] = {"{}",
	                     "{\"result\":1}",
	                     "{\"result\":{\"events\":[{}]}}",
	                     "{\"result\":{\"events\":[{\"type\":\"PATCH\",\"kv\":{}}]}}",
	                     "{\"result\":{\"events\":[{\"kv\":{\"key\":\"%%%%\"}}]}}",
	                     "{\"result\":{\"events\":[{\"kv\":{}},{\"kv\":3}]}}"};
	for (int i = 0; i < 6; i++) {
		j = parse(bad[i]);
		assert_int_equal(etcd_parse_watch(j, &m), ERR_PROTOCOL);
		assert_int_equal(m.n, 0);
		assert_null(m.events);
		cJSON_Delete(j);
	}
}

static void test_parse_error(void **state)
{
	(void)state;
	int code;
	char msg[64];
	const char *flat = "{\"error\":\"etcdserver: requested lease not found\",\"message\":"
	                   "\"etcdserver: requested lease not found\",\"code\":5}";
	assert_int_equal(etcd_parse_error(flat, strlen(flat), &code, msg, sizeof(msg)), 1);
	assert_int_equal(code, 5);
	assert_string_equal(msg, "etcdserver: requested lease not found");
	const char *nested = "{\"error\":{\"grpc_code\":14,\"message\":\"no\\nleader\"}}";
	assert_int_equal(etcd_parse_error(nested, strlen(nested), &code, msg, sizeof(msg)), 1);
	assert_int_equal(code, 14);
	assert_string_equal(msg, "no leader"); /* control characters flattened */
	const char *only_err = "{\"error\":\"context deadline exceeded\",\"code\":2}";
	assert_int_equal(etcd_parse_error(only_err, strlen(only_err), &code, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "context deadline exceeded");
	const char *text = "404 page not found\n";
	assert_int_equal(etcd_parse_error(text, strlen(text), &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, 0);
	assert_string_equal(msg, "404 page not found ");
	const char *weird = "{\"code\":1e9}";
	assert_int_equal(etcd_parse_error(weird, strlen(weird), &code, msg, sizeof(msg)), 1);
	assert_int_equal(code, 0);
	char tiny[4];
	assert_int_equal(etcd_parse_error(flat, strlen(flat), &code, tiny, sizeof(tiny)), 1);
	assert_string_equal(tiny, "etc");
	assert_int_equal(etcd_grpc_err(3), ERR_BAD_INPUT);
	assert_int_equal(etcd_grpc_err(5), ERR_NOT_FOUND);
	assert_int_equal(etcd_grpc_err(11), ERR_RETRY);
	assert_int_equal(etcd_grpc_err(14), ERR_UNAVAILABLE);
	assert_int_equal(etcd_grpc_err(4), ERR_UNAVAILABLE);
	assert_int_equal(etcd_grpc_err(2), ERR_IO);
	assert_int_equal(etcd_grpc_err(0), ERR_IO);
}

/* ------------------------------------------------------------ requests */

static void test_req_range_and_watch(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(etcd_req_range(&b, "/meta/a", 7, NULL, 0, 0, 0), ERR_OK);
	assert_string_equal(buf_cstr(&b), "{\"key\":\"L21ldGEvYQ==\"}");
	buf_reset(&b);
	assert_int_equal(etcd_req_range(&b, "/meta/", 6, "/meta0", 6, 100, 12), ERR_OK);
	assert_string_equal(buf_cstr(&b), "{\"key\":\"L21ldGEv\",\"range_end\":\"L21ldGEw\","
	                                  "\"limit\":\"100\",\"revision\":\"12\"}");
	buf_reset(&b);
	assert_int_equal(etcd_req_range(&b, "\0", 1, "\0", 1, 0, 0), ERR_OK);
	assert_string_equal(buf_cstr(&b), "{\"key\":\"AA==\",\"range_end\":\"AA==\"}");
	buf_reset(&b);
	assert_int_equal(etcd_req_watch(&b, "/w/k", 4, 13), ERR_OK);
	assert_string_equal(
	    buf_cstr(&b), "{\"create_request\":{\"key\":\"L3cvaw==\",\"start_revision\":\"13\"}}");
	buf_reset(&b);
	assert_int_equal(etcd_req_watch(&b, "/w/k", 4, 0), ERR_OK);
	assert_string_equal(buf_cstr(&b), "{\"create_request\":{\"key\":\"L3cvaw==\"}}");
	buf_free(&b);
}

static void test_req_txn(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	struct kv_cmp cmps[2] = {{"a", "v1", 2}, {"b", NULL, 0}};
	struct kv_op ops[3] = {
	    {KV_PUT, "a", "v2", 2}, {KV_DELETE, "c", NULL, 0}, {KV_PUT, "e", NULL, 0}};
	assert_int_equal(etcd_req_txn(&b, "p/", cmps, 2, ops, 3, 0, NULL), ERR_OK);
	/* p/a = cC9h, p/b = cC9i, p/c = cC9j, p/e = cC9l, v1 = djE=, v2 = djI= */
	assert_string_equal(
	    buf_cstr(&b),
	    "{\"compare\":[{\"key\":\"cC9h\",\"target\":\"VALUE\",\"result\":\"EQUAL\","
	    "\"value\":\"djE=\"},{\"key\":\"cC9i\",\"target\":\"CREATE\",\"result\":\"EQUAL\","
	    "\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":\"cC9h\","
	    "\"value\":\"djI=\"}},{\"request_delete_range\":{\"key\":\"cC9j\"}},{\"request_put\":"
	    "{\"key\":\"cC9l\",\"value\":\"\"}}]}");
	cJSON *j = parse(buf_cstr(&b)); /* valid JSON */
	cJSON_Delete(j);
	buf_reset(&b);
	struct kv_cmp absent = {"__metasrv_leader", NULL, 0};
	struct kv_op put = {KV_PUT, "__metasrv_leader", "x", 1};
	assert_int_equal(etcd_req_txn(&b, "", &absent, 1, &put, 1, 694, "__metasrv_leader"),
	                 ERR_OK);
	assert_string_equal(
	    buf_cstr(&b),
	    "{\"compare\":[{\"key\":\"X19tZXRhc3J2X2xlYWRlcg==\",\"target\":\"CREATE\",\"result\":"
	    "\"EQUAL\",\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":"
	    "\"X19tZXRhc3J2X2xlYWRlcg==\",\"value\":\"eA==\",\"lease\":\"694\"}}],\"failure\":[{"
	    "\"request_range\":{\"key\":\"X19tZXRhc3J2X2xlYWRlcg==\"}}]}");
	buf_reset(&b);
	assert_int_equal(etcd_req_txn(&b, "", NULL, 0, NULL, 0, 0, NULL), ERR_OK);
	assert_string_equal(buf_cstr(&b), "{\"compare\":[],\"success\":[]}");
	buf_reset(&b);
	struct kv_op badop = {(enum kv_op_type)7, "k", NULL, 0};
	assert_int_equal(etcd_req_txn(&b, "", NULL, 0, &badop, 1, 0, NULL), ERR_BAD_INPUT);
	buf_free(&b);
}

/* ------------------------------------------------------------ election record */

static void test_election_value(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(election_value_encode(18446744073709551615ULL, "127.0.0.1:3002", &b),
	                 ERR_OK);
	assert_string_equal(buf_cstr(&b),
	                    "{\"id\":\"18446744073709551615\",\"addr\":\"127.0.0.1:3002\"}");
	uint64_t id;
	char addr[64];
	assert_int_equal(election_value_decode(b.data, b.len, &id, addr, sizeof(addr)), ERR_OK);
	assert_true(id == 18446744073709551615ULL);
	assert_string_equal(addr, "127.0.0.1:3002");
	char small[5];
	assert_int_equal(election_value_decode(b.data, b.len, &id, small, sizeof(small)), ERR_OK);
	assert_string_equal(small, "127.");
	buf_reset(&b);
	assert_int_equal(election_value_encode(7, "we\"ird\\host:1", &b), ERR_OK);
	assert_int_equal(election_value_decode(b.data, b.len, &id, addr, sizeof(addr)), ERR_OK);
	assert_string_equal(addr, "we\"ird\\host:1");
	buf_reset(&b);
	char longaddr[ELECTION_ADDR_MAX + 2];
	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = 0;
	assert_int_equal(election_value_encode(1, longaddr, &b), ERR_BAD_INPUT);
	assert_int_equal(election_value_encode(1, NULL, &b), ERR_BAD_INPUT);
	buf_free(&b);
	const char *bad[] = {"",
	                     "x",
	                     "[]",
	                     "{\"id\":\"1\"}",
	                     "{\"addr\":\"a\"}",
	                     "{\"id\":1,\"addr\":\"a\"}",
	                     "{\"id\":\"-1\",\"addr\":\"a\"}",
	                     "{\"id\":\"1x\",\"addr\":\"a\"}",
	                     "{\"id\":\"\",\"addr\":\"a\"}",
	                     "{\"id\":\"99999999999999999999\",\"addr\":\"a\"}",
	                     "{\"id\":\"1\",\"addr\":2}",
	                     "{\"id\":\"1\",\"addr\":\"a\"",
	                     "{\"id\":\" 1\",\"addr\":\"a\"}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		id = 5;
		assert_int_equal(
		    election_value_decode(bad[i], strlen(bad[i]), &id, addr, sizeof(addr)),
		    ERR_CORRUPT);
		assert_int_equal(id, 0);
	}
	char big[400];
	int n = snprintf(big, sizeof(big), "{\"id\":\"1\",\"addr\":\"%s\"}", longaddr);
	assert_int_equal(election_value_decode(big, (size_t)n, &id, addr, sizeof(addr)),
	                 ERR_CORRUPT);
}

/* ------------------------------------------------------------ truncation sweep */

/* Every prefix of every canned response either fails to parse as JSON or
 * decodes (or is rejected) without crashing or leaking. */
static void test_truncated_responses(void **state)
{
	(void)state;
	const char *canned[] = {
	    "{" HDR ",\"kvs\":[{\"key\":\"L21ldGEvYQ==\",\"create_revision\":\"2\",\"value\":"
	    "\"aGVsbG8=\"}],\"more\":true,\"count\":\"3\"}",
	    "{" HDR ",\"responses\":[{\"response_range\":{\"kvs\":[{\"key\":\"YQ==\",\"lease\":"
	    "\"77\"}]}}]}",
	    "{\"result\":{" HDR ",\"ID\":\"12345\",\"TTL\":\"5\"}}\n",
	    "{\"result\":{" HDR
	    ",\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"L3cvaw==\"}}]}}",
	};
	for (size_t c = 0; c < sizeof(canned) / sizeof(canned[0]); c++) {
		size_t len = strlen(canned[c]);
		for (size_t cut = 0; cut <= len; cut++) {
			char *p = mem_dup(canned[c], cut); /* not NUL-terminated on purpose */
			cJSON *j = etcd_json_parse(p, cut);
			if (j) {
				struct etcd_range r;
				struct etcd_txn t;
				struct etcd_lease l;
				struct etcd_watch_msg m;
				if (!etcd_parse_range(j, &r))
					etcd_range_free(&r);
				if (!etcd_parse_txn(j, &t))
					etcd_txn_free(&t);
				etcd_parse_lease(j, &l);
				if (!etcd_parse_watch(j, &m))
					etcd_watch_msg_free(&m);
				cJSON_Delete(j);
			} else {
				assert_int_equal(err_code(), ERR_PROTOCOL);
			}
			int code;
			char msg[32];
			etcd_parse_error(p, cut, &code, msg, sizeof(msg));
			mem_free(p);
		}
		/* the whole document must parse */
		cJSON *j = etcd_json_parse(canned[c], len);
		assert_non_null(j);
		cJSON_Delete(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_b64_vectors),
	    cmocka_unit_test(test_b64_binary_roundtrip),
	    cmocka_unit_test(test_b64_rejects_bad_input),
	    cmocka_unit_test(test_prefix_end_and_norm),
	    cmocka_unit_test(test_json_fields),
	    cmocka_unit_test(test_json_parse_strictness),
	    cmocka_unit_test(test_parse_range),
	    cmocka_unit_test(test_parse_range_hostile),
	    cmocka_unit_test(test_parse_txn),
	    cmocka_unit_test(test_parse_lease),
	    cmocka_unit_test(test_parse_watch),
	    cmocka_unit_test(test_parse_error),
	    cmocka_unit_test(test_req_range_and_watch),
	    cmocka_unit_test(test_req_txn),
	    cmocka_unit_test(test_election_value),
	    cmocka_unit_test(test_truncated_responses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
