/* Unit tests for the s3 backend without a real S3 server: the pure pieces of
 * src/objstore/s3.c (URI encoding, query and URL building, range headers,
 * the XML readers with hostile input, status mapping, the retry schedule),
 * option checks, and the request flow against a scripted fake server on
 * loopback (libmicrohttpd): retries, deadlines, error messages, conditional
 * puts, multipart abort, list paging, ranges. The real-server checks live in
 * tests/suites/s3_backend.sh (radosgw). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore.h"
#include "objstore/s3_int.h"

/* ------------------------------------------------------------ pure */

static char *enc(const char *s, int keep_slash)
{
	static char out[1024];
	struct buf b;
	buf_init(&b);
	assert_int_equal(s3_uri_encode(&b, s, strlen(s), keep_slash), ERR_OK);
	assert_true(b.len < sizeof(out));
	if (b.len)
		memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	buf_free(&b);
	return out;
}

static void test_uri_encode(void **state)
{
	(void)state;
	assert_string_equal(enc("a b+c=d/x~._-Z9", 1), "a%20b%2Bc%3Dd/x~._-Z9");
	assert_string_equal(enc("a/b", 0), "a%2Fb");
	assert_string_equal(enc("\xc3\xa9:%?#&*", 1), "%C3%A9%3A%25%3F%23%26%2A");
	assert_string_equal(enc("", 1), "");
	char all[256];
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	const char *e = enc(all, 0);
	/* every byte is unreserved or a %XX triple with upper-case hex */
	for (const char *p = e; *p;) {
		if (*p == '%') {
			assert_true(strchr("0123456789ABCDEF", p[1]) &&
			            strchr("0123456789ABCDEF", p[2]));
			p += 3;
		} else {
			assert_true(strchr("-._~", *p) || (*p >= '0' && *p <= '9') ||
			            (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'));
			p++;
		}
	}
}

static const char *query(const struct s3_param *p, size_t n, int *rc)
{
	static char out[512];
	struct buf b;
	buf_init(&b);
	*rc = s3_build_query(&b, p, n);
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data ? (char *)b.data : "");
	buf_free(&b);
	return out;
}

static void test_query(void **state)
{
	(void)state;
	int rc;
	struct s3_param list[] = {{"prefix", "data/greptime/"},
	                          {"max-keys", "3"},
	                          {"list-type", "2"},
	                          {"continuation-token", "1/x+y=="}};
	assert_string_equal(query(list, 4, &rc),
	                    "?continuation-token=1%2Fx%2By%3D%3D&list-type=2&max-keys=3&prefix="
	                    "data%2Fgreptime%2F");
	assert_int_equal(rc, ERR_OK);
	struct s3_param up[] = {{"uploads", NULL}};
	assert_string_equal(query(up, 1, &rc), "?uploads=");
	struct s3_param part[] = {{"uploadId", "2~a b"}, {"partNumber", "12"}};
	assert_string_equal(query(part, 2, &rc), "?partNumber=12&uploadId=2~a%20b");
	assert_string_equal(query(NULL, 0, &rc), "");
	assert_int_equal(rc, ERR_OK);
	struct s3_param many[S3_MAX_PARAMS + 1];
	for (size_t i = 0; i < S3_MAX_PARAMS + 1; i++)
		many[i] = (struct s3_param){"a", "b"};
	query(many, S3_MAX_PARAMS + 1, &rc);
	assert_int_equal(rc, ERR_BAD_INPUT);
}

static void test_url(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	assert_int_equal(
	    s3_build_url(&b, "http://127.0.0.1:7480", "tsdb", "root/", "a b/c:d", NULL, 0), ERR_OK);
	assert_string_equal((char *)b.data, "http://127.0.0.1:7480/tsdb/root/a%20b/c%3Ad");
	struct s3_param q[] = {{"max-keys", "1"}, {"list-type", "2"}};
	assert_int_equal(
	    s3_build_url(&b, "https://s3.eu-west-1.amazonaws.com", "b", "", NULL, q, 2), ERR_OK);
	assert_string_equal((char *)b.data,
	                    "https://s3.eu-west-1.amazonaws.com/b?list-type=2&max-keys=1");
	buf_free(&b);
}

static void test_range_header(void **state)
{
	(void)state;
	char h[64];
	assert_true(s3_range_header(h, sizeof(h), 6, 6) > 0);
	assert_string_equal(h, "Range: bytes=6-11");
	s3_range_header(h, sizeof(h), 0, 1);
	assert_string_equal(h, "Range: bytes=0-0");
	s3_range_header(h, sizeof(h), 5, UINT64_MAX);
	assert_string_equal(h, "Range: bytes=5-");
	s3_range_header(h, sizeof(h), UINT64_MAX - 1, 1);
	assert_string_equal(h, "Range: bytes=18446744073709551614-18446744073709551614");
	s3_range_header(h, sizeof(h), 0, UINT64_MAX);
	assert_string_equal(h, "Range: bytes=0-18446744073709551614");
	assert_int_equal(s3_range_header(h, sizeof(h), 3, 0), -1);
	assert_int_equal(s3_range_header(h, 10, 6, 6), -1); /* does not fit */
}

static int cr(const char *v, uint64_t *a, uint64_t *b, uint64_t *t)
{
	return s3_parse_content_range(v, strlen(v), a, b, t);
}

static void test_content_range(void **state)
{
	(void)state;
	uint64_t a, b, t;
	assert_int_equal(cr("bytes 6-11/29", &a, &b, &t), ERR_OK);
	assert_true(a == 6 && b == 11 && t == 29);
	assert_int_equal(cr("bytes 0-0/*", &a, &b, &t), ERR_OK);
	assert_true(t == UINT64_MAX);
	static const char *bad[] = {"",
	                            "bytes",
	                            "items 1-2/3",
	                            "bytes 5-3/10",
	                            "bytes 1-2/2",
	                            "bytes 1-2/",
	                            "bytes 1-2/3x",
	                            "bytes -2/3",
	                            "bytes 1-/3",
	                            "bytes 99999999999999999999-1/2",
	                            "bytes 1-2/3/4",
	                            "bytes */29"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cr(bad[i], &a, &b, &t), ERR_PROTOCOL);
}

static void test_header_value(void **state)
{
	(void)state;
	const char *v;
	size_t n;
	const char *l = "etag:   \"abc-2\" \r\n";
	assert_true(s3_header_value(l, strlen(l), "ETag", &v, &n));
	assert_int_equal(n, 7);
	assert_memory_equal(v, "\"abc-2\"", 7);
	l = "ETagX: 1\r\n";
	assert_false(s3_header_value(l, strlen(l), "ETag", &v, &n));
	l = "Content-Length:5";
	assert_true(s3_header_value(l, strlen(l), "content-length", &v, &n));
	assert_true(n == 1 && v[0] == '5');
	assert_false(s3_header_value("ETag", 4, "ETag", &v, &n));
}

static void test_xml_elem(void **state)
{
	(void)state;
	const char *x = "<?xml version=\"1.0\"?><R a=\"1\"><KeyCount>2</KeyCount><Key>k&amp;1</Key>"
	                "<E/><Key >two</Key></R>";
	size_t len = strlen(x);
	const char *v;
	size_t n;
	size_t next = s3_xml_elem(x, len, 0, "Key", &v, &n);
	assert_true(next > 0);
	assert_int_equal(n, 7);
	assert_memory_equal(v, "k&amp;1", 7);
	next = s3_xml_elem(x, len, next, "Key", &v, &n);
	assert_true(next > 0 && n == 3 && !memcmp(v, "two", 3));
	assert_int_equal(s3_xml_elem(x, len, next, "Key", &v, &n), 0);
	assert_true(s3_xml_elem(x, len, 0, "E", &v, &n) > 0 && n == 0);
	assert_true(s3_xml_elem(x, len, 0, "R", &v, &n) > 0);
	assert_int_equal(s3_xml_elem(x, len, 0, "Missing", &v, &n), 0);
	/* every truncation: never reads past the end (ASan), finds no Key
	 * whose closing tag was cut */
	for (size_t cut = 0; cut < len; cut++) {
		char *p = malloc(cut ? cut : 1);
		memcpy(p, x, cut);
		size_t pos = 0, got;
		while ((got = s3_xml_elem(p, cut, pos, "Key", &v, &n)) != 0) {
			assert_true(got <= cut && v >= p && v + n <= p + cut);
			pos = got;
		}
		s3_xml_elem(p, cut, 0, "R", &v, &n);
		free(p);
	}
}

static const char *unesc(const char *s, int *rc)
{
	static char out[128];
	struct buf b;
	buf_init(&b);
	*rc = s3_xml_unescape(&b, s, strlen(s));
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data ? (char *)b.data : "");
	buf_free(&b);
	return out;
}

static void test_xml_unescape(void **state)
{
	(void)state;
	int rc;
	assert_string_equal(unesc("a&lt;b&gt;&amp;&quot;&apos;", &rc), "a<b>&\"'");
	assert_int_equal(rc, ERR_OK);
	assert_string_equal(unesc("&#65;&#x42;&#xe9;&#x65E5;&#x1F600;", &rc),
	                    "AB\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80");
	assert_int_equal(rc, ERR_OK);
	static const char *bad[] = {"&foo;", "&#0;", "&#xD800;", "&#x110000;", "&amp",
	                            "&#;",   "&#x;", "&#12a;",   "&;",         "x&#99999999999;"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unesc(bad[i], &rc);
		assert_int_equal(rc, ERR_PROTOCOL);
	}
	struct buf b;
	buf_init(&b);
	assert_int_equal(s3_xml_escape(&b, "\"a\"<&>"), ERR_OK);
	assert_int_equal(buf_cstr(&b) != NULL, 1);
	assert_string_equal((char *)b.data, "&quot;a&quot;&lt;&amp;&gt;");
	buf_free(&b);
}

static const char page1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>tsdb</Name><Prefix>r/</Prefix>"
    "<MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><KeyCount>2</KeyCount>"
    "<NextContinuationToken>tok/1+&amp;</NextContinuationToken>"
    "<Contents><Key>r/a&amp;b</Key><LastModified>2026-11-27T03:20:01.123Z</LastModified>"
    "<ETag>&quot;d41d&quot;</ETag><Size>123</Size><StorageClass>STANDARD</StorageClass>"
    "</Contents><Contents><Key>r/&lt;c&gt;</Key><Size>0</Size></Contents>"
    "</ListBucketResult>";

static void test_parse_list(void **state)
{
	(void)state;
	struct s3_listing L = {0};
	assert_int_equal(s3_parse_list(page1, strlen(page1), &L), ERR_OK);
	assert_int_equal(L.n, 2);
	assert_string_equal(L.keys[0], "r/a&b");
	assert_string_equal(L.keys[1], "r/<c>");
	assert_true(L.sizes[0] == 123 && L.sizes[1] == 0);
	assert_true(L.truncated);
	assert_string_equal(L.next_token, "tok/1+&");
	const char *last =
	    "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>r/d</Key>"
	    "<Size>18446744073709551615</Size></Contents></ListBucketResult>";
	assert_int_equal(s3_parse_list(last, strlen(last), &L), ERR_OK);
	assert_int_equal(L.n, 3);
	assert_true(!L.truncated && L.next_token == NULL && L.sizes[2] == UINT64_MAX);
	s3_listing_free(&L);

	static const char *bad[] = {
	    "<Error><Code>x</Code></Error>",
	    "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key></Key></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>a</Key><Size>18446744073709551616</Size></Contents>"
	    "</ListBucketResult>",
	    "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
	    "<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>a&#0;b</Key></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
	    "<ListBucketResult>",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct s3_listing B = {0};
		assert_int_equal(s3_parse_list(bad[i], strlen(bad[i]), &B), ERR_PROTOCOL);
		s3_listing_free(&B);
	}
}

static void test_parse_list_hostile(void **state)
{
	(void)state;
	size_t len = strlen(page1);
	/* every truncation and many byte flips: a clean answer or ERR_PROTOCOL */
	for (size_t cut = 0; cut <= len; cut++) {
		char *p = malloc(cut ? cut : 1);
		memcpy(p, page1, cut);
		struct s3_listing L = {0};
		int rc = s3_parse_list(p, cut, &L);
		assert_true(rc == ERR_OK || rc == ERR_PROTOCOL);
		if (rc == ERR_OK)
			assert_true(cut == len || L.n <= 2);
		s3_listing_free(&L);
		free(p);
	}
	uint32_t x = 12345;
	char *p = malloc(len);
	for (int round = 0; round < 3000; round++) {
		memcpy(p, page1, len);
		for (int k = 0; k < 3; k++) {
			x = x * 1103515245u + 12345u;
			p[(x >> 8) % len] = (char)(x >> 24);
		}
		struct s3_listing L = {0};
		int rc = s3_parse_list(p, len, &L);
		assert_true(rc == ERR_OK || rc == ERR_PROTOCOL);
		for (size_t i = 0; i < L.n; i++)
			assert_true(strlen(L.keys[i]) > 0);
		s3_listing_free(&L);
	}
	free(p);
}

static void test_parse_error(void **state)
{
	(void)state;
	char code[32], msg[16];
	const char *rgw =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch"
	    "</Code><Message></Message><RequestId>tx0</RequestId></Error>";
	assert_true(s3_parse_error(rgw, strlen(rgw), code, sizeof(code), msg, sizeof(msg)));
	assert_string_equal(code, "SignatureDoesNotMatch");
	assert_string_equal(msg, "");
	const char *aws =
	    "<Error><Code>NoSuchKey</Code><Message>The key &lt;x&gt;\n does not exist "
	    "at all</Message></Error>";
	assert_true(s3_parse_error(aws, strlen(aws), code, sizeof(code), msg, sizeof(msg)));
	assert_string_equal(code, "NoSuchKey");
	assert_string_equal(msg, "The key <x>  do"); /* truncated, control chars blanked */
	assert_false(
	    s3_parse_error("<ListBucketResult/>", 19, code, sizeof(code), msg, sizeof(msg)));
	assert_string_equal(code, "");
	assert_false(s3_parse_error(NULL, 0, code, sizeof(code), msg, sizeof(msg)));
	const char *cut = "<Error><Code>Slow";
	assert_false(s3_parse_error(cut, strlen(cut), code, sizeof(code), msg, sizeof(msg)));
}

static void test_parse_upload_id(void **state)
{
	(void)state;
	char *id;
	const char *ok = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
	                 "<UploadId>2~abc&amp;d</UploadId></InitiateMultipartUploadResult>";
	assert_int_equal(s3_parse_upload_id(ok, strlen(ok), &id), ERR_OK);
	assert_string_equal(id, "2~abc&d");
	mem_free(id);
	const char *empty = "<InitiateMultipartUploadResult><UploadId></UploadId>"
	                    "</InitiateMultipartUploadResult>";
	assert_int_equal(s3_parse_upload_id(empty, strlen(empty), &id), ERR_PROTOCOL);
	assert_null(id);
	assert_int_equal(s3_parse_upload_id("<UploadId>x</UploadId>", 22, &id), ERR_PROTOCOL);
}

static void test_status_and_retry(void **state)
{
	(void)state;
	assert_int_equal(s3_status_err(200, ""), ERR_OK);
	assert_int_equal(s3_status_err(206, ""), ERR_OK);
	assert_int_equal(s3_status_err(404, "NoSuchKey"), ERR_NOT_FOUND);
	assert_int_equal(s3_status_err(404, ""), ERR_NOT_FOUND);
	assert_int_equal(s3_status_err(404, "NoSuchBucket"), ERR_IO);
	assert_int_equal(s3_status_err(404, "NoSuchUpload"), ERR_IO);
	assert_int_equal(s3_status_err(412, "PreconditionFailed"), ERR_EXISTS);
	assert_int_equal(s3_status_err(403, "SignatureDoesNotMatch"), ERR_IO);
	assert_int_equal(s3_status_err(400, "KeyTooLongError"), ERR_BAD_INPUT);
	assert_int_equal(s3_status_err(400, "EntityTooSmall"), ERR_IO);
	assert_int_equal(s3_status_err(503, "SlowDown"), ERR_IO);

	assert_true(s3_should_retry(503, 0, "SlowDown"));
	assert_true(s3_should_retry(500, 0, ""));
	assert_true(s3_should_retry(502, 0, ""));
	assert_true(s3_should_retry(504, 0, ""));
	assert_true(s3_should_retry(429, 0, ""));
	assert_true(s3_should_retry(408, 0, ""));
	assert_true(s3_should_retry(400, 0, "RequestTimeout"));
	assert_true(s3_should_retry(409, 0, "ConditionalRequestConflict"));
	assert_false(s3_should_retry(501, 0, "NotImplemented"));
	assert_false(s3_should_retry(403, 0, "SignatureDoesNotMatch"));
	assert_false(s3_should_retry(404, 0, "NoSuchKey"));
	assert_false(s3_should_retry(412, 0, "PreconditionFailed"));
	assert_false(s3_should_retry(400, 0, "EntityTooSmall"));
	assert_false(s3_should_retry(200, 0, ""));
	assert_true(s3_should_retry(0, 7 /* CURLE_COULDNT_CONNECT */, NULL));
	assert_true(s3_should_retry(0, 28 /* CURLE_OPERATION_TIMEDOUT */, NULL));
	assert_true(s3_should_retry(0, 52 /* CURLE_GOT_NOTHING */, NULL));
	assert_true(s3_should_retry(0, 56 /* CURLE_RECV_ERROR */, NULL));
	assert_false(s3_should_retry(0, 1 /* CURLE_UNSUPPORTED_PROTOCOL */, NULL));
	assert_false(s3_should_retry(0, 3 /* CURLE_URL_MALFORMAT */, NULL));

	assert_string_equal(s3_error_hint("SignatureDoesNotMatch"),
	                    "the secret access key (or region) is wrong");
	assert_string_equal(s3_error_hint("Whatever"), "");
}

static void test_backoff(void **state)
{
	(void)state;
	uint32_t x = 1;
	for (unsigned a = 0; a < 40; a++) {
		int64_t d = S3_BACKOFF_CAP_MS;
		if (a < 16 && ((int64_t)S3_BACKOFF_BASE_MS << a) < d)
			d = (int64_t)S3_BACKOFF_BASE_MS << a;
		assert_int_equal(s3_backoff_ms(a, 0), d / 2);
		assert_int_equal(s3_backoff_ms(a, (uint64_t)(d / 2)), d);
		for (int k = 0; k < 50; k++) {
			x = x * 1103515245u + 12345u;
			int64_t w = s3_backoff_ms(a, ((uint64_t)x << 32) | x);
			assert_true(w >= d / 2 && w <= d);
		}
	}
	assert_int_equal(s3_backoff_ms(0, 0), 25);
	assert_int_equal(s3_backoff_ms(1, 0), 50);
	assert_int_equal(s3_backoff_ms(5, 0), 800);
	assert_int_equal(s3_backoff_ms(6, 0), 1000); /* capped at 2000 ms */
	assert_int_equal(s3_backoff_ms(UINT32_MAX, 0), 1000);
	/* with the default 30 s deadline the schedule allows ~20 attempts */
	int64_t total = 0;
	unsigned n = 0;
	while (total + s3_backoff_ms(n, UINT64_MAX / 2) < 30000)
		total += s3_backoff_ms(n++, UINT64_MAX / 2);
	assert_true(n >= 12 && n <= 40);
}

static void test_sha256(void **state)
{
	(void)state;
	char h[65];
	s3_sha256_hex("", 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	s3_sha256_hex(NULL, 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	s3_sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void clear_env(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
}

static void test_open_options(void **state)
{
	(void)state;
	struct objstore *s = (void *)1;
	clear_env();
	struct objstore_s3_options o = {
	    .bucket = "b", .access_key_id = "AK", .secret_access_key = "SK"};
	assert_int_equal(objstore_open_s3(&o, &s), ERR_OK);
	assert_string_equal(objstore_backend_name(s), "s3");
	objstore_close(s);

	struct objstore_s3_options bad = o;
	bad.bucket = NULL;
	assert_int_equal(objstore_open_s3(&bad, &s), ERR_BAD_INPUT);
	assert_null(s);
	bad.bucket = "a/b";
	assert_int_equal(objstore_open_s3(&bad, &s), ERR_BAD_INPUT);
	bad = o;
	bad.secret_access_key = NULL;
	assert_int_equal(objstore_open_s3(&bad, &s), ERR_BAD_INPUT);
	assert_non_null(strstr(err_msg(), "AWS_SECRET_ACCESS_KEY"));
	bad = o;
	bad.endpoint = "ftp://x";
	assert_int_equal(objstore_open_s3(&bad, &s), ERR_BAD_INPUT);
	bad = o;
	bad.part_size = 1 << 20;
	assert_int_equal(objstore_open_s3(&bad, &s), ERR_BAD_INPUT);
	bad = o;
	bad.root = "a/../b";
	assert_int_equal(objstore_open_s3(&bad, &s), ERR_BAD_INPUT);
	bad = o;
	bad.region = "us east";
	assert_int_equal(objstore_open_s3(&bad, &s), ERR_BAD_INPUT);
	bad = o;
	bad.list_page_size = 1001;
	assert_int_equal(objstore_open_s3(&bad, &s), ERR_BAD_INPUT);

	/* credentials and region from the environment */
	setenv("AWS_ACCESS_KEY_ID", "envkey", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	struct objstore_s3_options env = {.bucket = "b"};
	assert_int_equal(objstore_open_s3(&env, &s), ERR_OK);
	objstore_close(s);
	clear_env();

	struct objstore *fs = NULL;
	char dir[] = "/tmp/strata-s3-XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_int_equal(objstore_open_fs(dir, &fs), ERR_OK);
	assert_int_equal(objstore_s3_check(fs), ERR_BAD_INPUT);
	objstore_close(fs);
	rmdir(dir);
}

/* ------------------------------------------------------------ fake server */

struct reply {
	int status;
	const char *body;
	const char *h1, *h2; /* "Name: value" or NULL */
	size_t body_len;     /* 0: strlen(body) */
};

struct seen {
	char method[8];
	char url[512];   /* raw path, not unescaped */
	char query[512]; /* raw "k=v&k=v" in arrival order */
	char range[64], if_none_match[16], sha[80], auth[256];
	size_t body_len;
	char body_sha[65];
};

#define MAX_SEEN 64
static struct {
	pthread_mutex_t mu;
	struct MHD_Daemon *d;
	int port;
	struct reply script[16];
	int nscript, next, repeat_last;
	struct seen seen[MAX_SEEN];
	int nseen;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER};

struct conn {
	struct buf body;
};

static size_t raw_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	(void)kind;
	struct seen *sn = cls;
	size_t n = strlen(sn->query);
	snprintf(sn->query + n, sizeof(sn->query) - n, "%s%s=%s", n ? "&" : "", key,
	         value ? value : "");
	return MHD_YES;
}

static void hdr_copy(struct MHD_Connection *c, const char *name, char *out, size_t cap)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	snprintf(out, cap, "%s", v ? v : "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	(void)cls;
	(void)version;
	struct conn *cn = *con_cls;
	if (!cn) {
		cn = calloc(1, sizeof(*cn));
		*con_cls = cn;
		return MHD_YES;
	}
	if (*upload_size) {
		buf_append(&cn->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&fake.mu);
	if (fake.nseen < MAX_SEEN) {
		struct seen *sn = &fake.seen[fake.nseen++];
		memset(sn, 0, sizeof(*sn));
		snprintf(sn->method, sizeof(sn->method), "%s", method);
		snprintf(sn->url, sizeof(sn->url), "%s", url);
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, sn);
		hdr_copy(c, "Range", sn->range, sizeof(sn->range));
		hdr_copy(c, "If-None-Match", sn->if_none_match, sizeof(sn->if_none_match));
		hdr_copy(c, "x-amz-content-sha256", sn->sha, sizeof(sn->sha));
		hdr_copy(c, "Authorization", sn->auth, sizeof(sn->auth));
		sn->body_len = cn->body.len;
		s3_sha256_hex(cn->body.data, cn->body.len, sn->body_sha);
	}
	struct reply r = {500, "<Error><Code>ScriptExhausted</Code></Error>", NULL, NULL, 0};
	if (fake.next < fake.nscript)
		r = fake.script[fake.next++];
	else if (fake.repeat_last && fake.nscript)
		r = fake.script[fake.nscript - 1];
	pthread_mutex_unlock(&fake.mu);
	size_t n = r.body_len ? r.body_len : strlen(r.body);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(n, (void *)r.body, MHD_RESPMEM_MUST_COPY);
	const char *hs[] = {r.h1, r.h2};
	for (int i = 0; i < 2; i++) {
		if (!hs[i])
			continue;
		char name[64];
		const char *colon = strchr(hs[i], ':');
		snprintf(name, sizeof(name), "%.*s", (int)(colon - hs[i]), hs[i]);
		MHD_add_response_header(resp, name, colon + 2);
	}
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct conn *cn = *con_cls;
	if (cn) {
		buf_free(&cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

static void script(const struct reply *r, int n, int repeat_last)
{
	pthread_mutex_lock(&fake.mu);
	memcpy(fake.script, r, (size_t)n * sizeof(*r));
	fake.nscript = n;
	fake.next = 0;
	fake.nseen = 0;
	fake.repeat_last = repeat_last;
	pthread_mutex_unlock(&fake.mu);
}

static int fake_setup(void **state)
{
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fake.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, NULL,
	                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                          MHD_OPTION_UNESCAPE_CALLBACK, raw_unescape, NULL,
	                          MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
	if (!fake.d)
		return -1;
	fake.port = MHD_get_daemon_info(fake.d, MHD_DAEMON_INFO_BIND_PORT)->port;
	char ep[64];
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d/", fake.port);
	struct objstore_s3_options o = {.endpoint = ep,
	                                .bucket = "tsdb",
	                                .root = "/root/",
	                                .region = "eu-west-3",
	                                .access_key_id = "AKID",
	                                .secret_access_key = "SECRET",
	                                .multipart_threshold = 6 << 20,
	                                .part_size = 5 << 20,
	                                .deadline_ms = 3000};
	struct objstore *s;
	if (objstore_open_s3(&o, &s) != ERR_OK)
		return -1;
	*state = s;
	return 0;
}

static int fake_teardown(void **state)
{
	objstore_close(*state);
	MHD_stop_daemon(fake.d);
	return 0;
}

#define RGW_ERR(code)                                                                              \
	"<?xml version=\"1.0\"?><Error><Code>" code "</Code><Message></Message></Error>"

static void test_fake_retry_then_ok(void **state)
{
	struct objstore *s = *state;
	struct reply r[] = {{503, RGW_ERR("SlowDown"), NULL, NULL, 0},
	                    {500, RGW_ERR("InternalError"), NULL, NULL, 0},
	                    {200, "hello", NULL, NULL, 0}};
	script(r, 3, 0);
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(s, "a b/c", &d, &n), ERR_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(d, "hello", 5);
	mem_free(d);
	assert_int_equal(fake.nseen, 3);
	assert_string_equal(fake.seen[0].method, "GET");
	assert_string_equal(fake.seen[0].url, "/tsdb/root/a%20b/c");
	assert_string_equal(fake.seen[0].sha,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_non_null(strstr(fake.seen[0].auth, "AWS4-HMAC-SHA256 Credential=AKID/"));
	assert_non_null(strstr(fake.seen[0].auth, "/eu-west-3/s3/aws4_request"));
	assert_non_null(strstr(fake.seen[0].auth, "x-amz-content-sha256"));
}

static void test_fake_no_retry_on_4xx(void **state)
{
	struct objstore *s = *state;
	struct reply r[] = {{403,
	                     "<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
	                     "signature we calculated does not match</Message></Error>",
	                     NULL, NULL, 0}};
	script(r, 1, 1);
	assert_int_equal(objstore_put(s, "data/x", "abc", 3, 0), ERR_IO);
	assert_string_equal(err_msg(), "S3 PUT data/x: 403 SignatureDoesNotMatch: The request "
	                               "signature we calculated does not match (the secret access "
	                               "key (or region) is wrong)");
	assert_int_equal(fake.nseen, 1);
	assert_string_equal(fake.seen[0].method, "PUT");
	assert_int_equal(fake.seen[0].body_len, 3);
	assert_string_equal(fake.seen[0].sha, fake.seen[0].body_sha); /* real payload hash */
	assert_string_equal(fake.seen[0].if_none_match, "");

	struct reply nf[] = {{404, RGW_ERR("NoSuchKey"), NULL, NULL, 0}};
	script(nf, 1, 1);
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(s, "k", &d, &n), ERR_NOT_FOUND);
	assert_int_equal(fake.nseen, 1);
	struct reply nb[] = {{404, RGW_ERR("NoSuchBucket"), NULL, NULL, 0}};
	script(nb, 1, 1);
	assert_int_equal(objstore_get(s, "k", &d, &n), ERR_IO);
	assert_non_null(strstr(err_msg(), "404 NoSuchBucket"));
}

static void test_fake_deadline(void **state)
{
	struct objstore *s = *state; /* deadline 3000 ms */
	struct reply r[] = {{503, RGW_ERR("SlowDown"), NULL, NULL, 0}};
	script(r, 1, 1);
	int64_t t0 = clock_mono_ns();
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(s, "k", &d, &n), ERR_IO);
	int64_t ms = (clock_mono_ns() - t0) / 1000000;
	assert_true(ms >= 1000 && ms <= 4000);
	assert_true(fake.nseen >= 4 && fake.nseen <= 20);
	assert_non_null(strstr(err_msg(), "S3 GET k: 503 SlowDown"));
	assert_non_null(strstr(err_msg(), "attempts]"));
}

static void test_fake_put_if_absent(void **state)
{
	struct objstore *s = *state;
	struct reply r[] = {{412, RGW_ERR("PreconditionFailed"), NULL, NULL, 0}};
	script(r, 1, 0);
	assert_int_equal(objstore_put(s, "m/1.json", "{}", 2, OBJSTORE_PUT_IF_ABSENT), ERR_EXISTS);
	assert_int_equal(fake.nseen, 1);
	assert_string_equal(fake.seen[0].if_none_match, "*");

	/* an attempt that failed with 500 may have landed: the 412 that
	 * follows is checked against the stored bytes */
	struct reply amb[] = {{500, RGW_ERR("InternalError"), NULL, NULL, 0},
	                      {412, RGW_ERR("PreconditionFailed"), NULL, NULL, 0},
	                      {200, "{}", NULL, NULL, 0}};
	script(amb, 3, 0);
	assert_int_equal(objstore_put(s, "m/2.json", "{}", 2, OBJSTORE_PUT_IF_ABSENT), ERR_OK);
	assert_int_equal(fake.nseen, 3);
	assert_string_equal(fake.seen[2].method, "GET");
	struct reply other[] = {{500, RGW_ERR("InternalError"), NULL, NULL, 0},
	                        {412, RGW_ERR("PreconditionFailed"), NULL, NULL, 0},
	                        {200, "{\"other\":1}", NULL, NULL, 0}};
	script(other, 3, 0);
	assert_int_equal(objstore_put(s, "m/3.json", "{}", 2, OBJSTORE_PUT_IF_ABSENT), ERR_EXISTS);
}

static void test_fake_multipart_abort(void **state)
{
	struct objstore *s = *state; /* threshold 6 MiB, parts of 5 MiB */
	size_t n = 11u << 20;
	uint8_t *big = calloc(1, n);
	struct reply r[] = {{200,
	                     "<InitiateMultipartUploadResult><UploadId>up/1+</UploadId>"
	                     "</InitiateMultipartUploadResult>",
	                     NULL, NULL, 0},
	                    {200, "", "ETag: \"e1\"", NULL, 0},
	                    {400, RGW_ERR("InvalidPart"), NULL, NULL, 0},
	                    {204, "", NULL, NULL, 0}};
	script(r, 4, 0);
	assert_int_equal(objstore_put(s, "big", big, n, 0), ERR_IO);
	assert_non_null(strstr(err_msg(), "400 InvalidPart")); /* not the abort's answer */
	assert_int_equal(fake.nseen, 4);
	assert_string_equal(fake.seen[0].method, "POST");
	assert_string_equal(fake.seen[0].query, "uploads=");
	assert_string_equal(fake.seen[1].query, "partNumber=1&uploadId=up%2F1%2B");
	assert_int_equal(fake.seen[1].body_len, 5u << 20);
	assert_string_equal(fake.seen[1].sha, fake.seen[1].body_sha);
	assert_string_equal(fake.seen[2].query, "partNumber=2&uploadId=up%2F1%2B");
	assert_string_equal(fake.seen[3].method, "DELETE");
	assert_string_equal(fake.seen[3].query, "uploadId=up%2F1%2B");
	assert_string_equal(fake.seen[3].url, "/tsdb/root/big");

	/* a complete that answers 200 with an <Error> inside is retried */
	struct reply ok[] = {{200,
	                      "<InitiateMultipartUploadResult><UploadId>u2</UploadId>"
	                      "</InitiateMultipartUploadResult>",
	                      NULL, NULL, 0},
	                     {200, "", "ETag: \"e1\"", NULL, 0},
	                     {200, "", "ETag: \"e2\"", NULL, 0},
	                     {200, "", "ETag: \"e3\"", NULL, 0},
	                     {200, RGW_ERR("InternalError"), NULL, NULL, 0},
	                     {200,
	                      "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag>"
	                      "</CompleteMultipartUploadResult>",
	                      NULL, NULL, 0}};
	script(ok, 6, 0);
	assert_int_equal(objstore_put(s, "big", big, n, 0), ERR_OK);
	assert_int_equal(fake.nseen, 6);
	assert_int_equal(fake.seen[3].body_len, 1u << 20);
	assert_string_equal(fake.seen[5].query, "uploadId=u2");
	free(big);
}

static void test_fake_list_paging(void **state)
{
	struct objstore *s = *state;
	struct reply r[] = {
	    {200,
	     "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>"
	     "t/1+=</NextContinuationToken><Contents><Key>root/p/z</Key><Size>3</Size>"
	     "</Contents><Contents><Key>root/p/b</Key><Size>2</Size></Contents>"
	     "</ListBucketResult>",
	     NULL, NULL, 0},
	    {200,
	     "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>root/p/a"
	     "</Key><Size>1</Size></Contents><Contents><Key>elsewhere/x</Key></Contents>"
	     "</ListBucketResult>",
	     NULL, NULL, 0}};
	script(r, 2, 0);
	struct objstore_list l;
	assert_int_equal(objstore_list(s, "p/", &l), ERR_OK);
	assert_int_equal(l.n, 3); /* the key outside root+prefix is dropped */
	assert_string_equal(l.keys[0], "p/a");
	assert_string_equal(l.keys[1], "p/b");
	assert_string_equal(l.keys[2], "p/z");
	assert_true(l.sizes[0] == 1 && l.sizes[1] == 2 && l.sizes[2] == 3);
	objstore_list_free(&l);
	assert_int_equal(fake.nseen, 2);
	assert_string_equal(fake.seen[0].url, "/tsdb");
	assert_string_equal(fake.seen[0].query, "list-type=2&max-keys=1000&prefix=root%2Fp%2F");
	assert_string_equal(
	    fake.seen[1].query,
	    "continuation-token=t%2F1%2B%3D&list-type=2&max-keys=1000&prefix=root%2Fp%2F");

	struct reply loop[] = {{200,
	                        "<ListBucketResult><IsTruncated>true</IsTruncated>"
	                        "<NextContinuationToken>same</NextContinuationToken>"
	                        "</ListBucketResult>",
	                        NULL, NULL, 0}};
	script(loop, 1, 1);
	assert_int_equal(objstore_list(s, "p/", &l), ERR_PROTOCOL);
	assert_int_equal(fake.nseen, 2);
	struct reply junk[] = {{200, "<html>proxy error</html>", NULL, NULL, 0}};
	script(junk, 1, 0);
	assert_int_equal(objstore_list(s, "", &l), ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "not a ListBucketResult"));
}

static void test_fake_ranges_and_head(void **state)
{
	struct objstore *s = *state;
	uint8_t *d;
	size_t n;
	struct reply r206[] = {{206, "6789ab", "Content-Range: bytes 6-11/36", NULL, 0}};
	script(r206, 1, 0);
	assert_int_equal(objstore_get_range(s, "o", 6, 6, &d, &n), ERR_OK);
	assert_true(n == 6 && !memcmp(d, "6789ab", 6));
	mem_free(d);
	assert_string_equal(fake.seen[0].range, "bytes=6-11");

	struct reply r200[] = {{200, "0123456789", NULL, NULL, 0}}; /* Range ignored */
	script(r200, 1, 0);
	assert_int_equal(objstore_get_range(s, "o", 8, 5, &d, &n), ERR_OK);
	assert_true(n == 2 && !memcmp(d, "89", 2));
	mem_free(d);

	struct reply wrong[] = {{206, "6789ab", "Content-Range: bytes 7-12/36", NULL, 0}};
	script(wrong, 1, 0);
	assert_int_equal(objstore_get_range(s, "o", 6, 6, &d, &n), ERR_PROTOCOL);
	assert_null(d);
	struct reply norange[] = {{206, "6789ab", NULL, NULL, 0}};
	script(norange, 1, 0);
	assert_int_equal(objstore_get_range(s, "o", 6, 6, &d, &n), ERR_PROTOCOL);

	struct reply r416[] = {{416, RGW_ERR("InvalidRange"), NULL, NULL, 0}};
	script(r416, 1, 0);
	assert_int_equal(objstore_get_range(s, "o", 100, 6, &d, &n), ERR_OK);
	assert_true(n == 0 && d != NULL);
	mem_free(d);

	struct reply head[] = {
	    {200, "", "Last-Modified: Fri, 27 Nov 2026 03:20:01 GMT", "x-amz-meta-a: b", 0}};
	script(head, 1, 0);
	uint64_t sz;
	int64_t mt;
	assert_int_equal(objstore_head(s, "o", &sz, &mt), ERR_OK);
	assert_int_equal(sz, 0);
	assert_int_equal(mt, 1795749601000LL);
	assert_string_equal(fake.seen[0].method, "HEAD");
	struct reply h404[] = {{404, "", NULL, NULL, 0}};
	script(h404, 1, 0);
	assert_int_equal(objstore_head(s, "o", &sz, &mt), ERR_NOT_FOUND);

	struct reply del[] = {{404, RGW_ERR("NoSuchKey"), NULL, NULL, 0}};
	script(del, 1, 0);
	assert_int_equal(objstore_delete(s, "gone"), ERR_OK);
	assert_string_equal(fake.seen[0].method, "DELETE");
	struct reply delbad[] = {{403, RGW_ERR("AccessDenied"), NULL, NULL, 0}};
	script(delbad, 1, 0);
	assert_int_equal(objstore_delete(s, "gone"), ERR_IO);
	assert_non_null(strstr(err_msg(), "S3 DELETE gone: 403 AccessDenied"));

	struct reply chk[] = {{403, RGW_ERR("SignatureDoesNotMatch"), NULL, NULL, 0}};
	script(chk, 1, 0);
	assert_int_equal(objstore_s3_check(s), ERR_IO);
	assert_non_null(strstr(err_msg(), "bucket 'tsdb'"));
	assert_non_null(strstr(err_msg(), "403 SignatureDoesNotMatch"));
	assert_string_equal(fake.seen[0].query, "list-type=2&max-keys=1");
}

static void test_fake_oom(void **state)
{
	struct objstore *s = *state;
	struct reply r[] = {{200, "payload", NULL, NULL, 0}};
	/* every allocation count from 0 up: a clean ERR_NOMEM or success,
	 * never a crash or leak */
	for (long k = 0; k < 40; k++) {
		script(r, 1, 1);
		uint8_t *d = NULL;
		size_t n;
		mem_fail_after(k);
		int rc = objstore_get(s, "k", &d, &n);
		mem_fail_after(-1);
		assert_true(rc == ERR_OK || rc == ERR_NOMEM);
		if (rc == ERR_OK) {
			assert_true(n == 7 && !memcmp(d, "payload", 7));
			mem_free(d);
			break;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uri_encode),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_url),
	    cmocka_unit_test(test_range_header),
	    cmocka_unit_test(test_content_range),
	    cmocka_unit_test(test_header_value),
	    cmocka_unit_test(test_xml_elem),
	    cmocka_unit_test(test_xml_unescape),
	    cmocka_unit_test(test_parse_list),
	    cmocka_unit_test(test_parse_list_hostile),
	    cmocka_unit_test(test_parse_error),
	    cmocka_unit_test(test_parse_upload_id),
	    cmocka_unit_test(test_status_and_retry),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_sha256),
	    cmocka_unit_test(test_open_options),
	    cmocka_unit_test_setup_teardown(test_fake_retry_then_ok, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_fake_no_retry_on_4xx, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_fake_deadline, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_fake_put_if_absent, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_fake_multipart_abort, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_fake_list_paging, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_fake_ranges_and_head, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_fake_oom, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests_name("s3", tests, NULL, NULL);
}
