/* Unit tests for src/base: errors, buffers, readers, CRC, columns, faults. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/fs.h"
#include "base/hash.h"
#include "base/hostport.h"
#include "base/mem.h"
#include "base/utf8.h"

static void test_err_record(void **state)
{
	(void)state;
	assert_int_equal(err_set(ERR_NOT_FOUND, "table %s", "t"), ERR_NOT_FOUND);
	assert_string_equal(err_msg(), "table t");
	err_wrap("scan");
	assert_string_equal(err_msg(), "scan: table t");
	assert_int_equal(err_code(), ERR_NOT_FOUND);
	assert_string_equal(err_sqlstate(ERR_NOT_FOUND), "42P01");
	assert_int_equal(err_mysql_errno(ERR_SYNTAX), 1064);
	assert_string_equal(err_code_name(ERR_CORRUPT), "CORRUPT");
}

static void test_crc32c_vector(void **state)
{
	(void)state;
	/* RFC 3720 test vector: 32 bytes of zeros -> 0x8A9136AA */
	uint8_t z[32] = {0};
	assert_int_equal(crc32c(0, z, 32), 0x8A9136AA);
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283);
	/* incremental == one-shot */
	uint32_t c = crc32c(0, "12345", 5);
	assert_int_equal(crc32c(c, "6789", 4), 0xE3069283);
}

static void test_reader_bounds(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_put_u32le(&b, 0xdeadbeef);
	buf_put_uvarint(&b, 300);
	struct rd r;
	rd_init(&r, b.data, b.len);
	assert_int_equal(rd_u32le(&r), 0xdeadbeef);
	assert_int_equal(rd_uvarint(&r), 300);
	assert_int_equal(r.err, 0);
	assert_int_equal(rd_u64le(&r), 0); /* past the end */
	assert_int_equal(r.err, ERR_CORRUPT);
	/* truncated varint */
	uint8_t bad[2] = {0x80, 0x80};
	rd_init(&r, bad, 2);
	rd_uvarint(&r);
	assert_int_equal(r.err, ERR_CORRUPT);
	buf_free(&b);
}

static void test_colvec_nulls_and_strings(void **state)
{
	(void)state;
	struct colvec v;
	colvec_init(&v, DT_STRING);
	assert_int_equal(colvec_push_bytes(&v, "abc", 3), 0);
	assert_int_equal(colvec_push_null(&v), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(colvec_push_bytes(&v, "xy", 2), 0);
	assert_int_equal(v.len, 102);
	assert_false(colvec_is_null(&v, 0));
	assert_true(colvec_is_null(&v, 1));
	assert_false(colvec_is_null(&v, 101));
	uint32_t n;
	const char *p = colvec_bytes(&v, 0, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "abc", 3);
	assert_true(colvec_cmp(&v, 1, &v, 0) < 0); /* null first */
	assert_true(colvec_cmp(&v, 0, &v, 2) < 0); /* "abc" < "xy" */
	struct colvec w;
	colvec_init(&w, DT_STRING);
	assert_int_equal(colvec_append_range(&w, &v, 0, 3), 0);
	assert_true(colvec_is_null(&w, 1));
	assert_true(colvec_eq(&w, 2, &v, 2));
	colvec_free(&v);
	colvec_free(&w);

	/* F2: only empty strings: bytes stays NULL, colvec_bytes still gives a
	 * valid pointer (NULL + 0 is undefined behaviour) */
	colvec_init(&v, DT_STRING);
	assert_int_equal(colvec_push_bytes(&v, "", 0), 0);
	assert_int_equal(colvec_push_null(&v), 0);
	assert_null(v.bytes);
	for (uint32_t i = 0; i < 2; i++) {
		n = 7;
		p = colvec_bytes(&v, i, &n);
		assert_non_null(p);
		assert_int_equal(n, 0);
		assert_string_equal(p, "");
	}
	colvec_init(&w, DT_STRING);
	assert_int_equal(colvec_push_from(&w, &v, 0), 0);
	assert_true(colvec_eq(&w, 0, &v, 0));
	assert_int_equal(colvec_cmp(&w, 0, &v, 0), 0);
	colvec_free(&v);
	colvec_free(&w);
}

static void test_oom_is_an_error(void **state)
{
	(void)state;
	mem_fail_after(0);
	void *p = mem_alloc(10);
	mem_fail_after(-1);
	assert_null(p);
	assert_int_equal(err_code(), ERR_NOMEM);
}

static void test_fault_points(void **state)
{
	(void)state;
	assert_int_equal(fault_arm_spec("objstore.put=fail:1:2"), ERR_OK);
	assert_int_equal(fault_hit(FAULT_OBJSTORE_PUT), ERR_OK); /* skipped */
	assert_int_equal(fault_hit(FAULT_OBJSTORE_PUT), ERR_IO);
	assert_int_equal(fault_hit(FAULT_OBJSTORE_PUT), ERR_IO);
	assert_int_equal(fault_hit(FAULT_OBJSTORE_PUT), ERR_OK); /* count exhausted */
	assert_int_equal(fault_arm_spec("no.such.point=fail"), ERR_BAD_INPUT);
	fault_disarm_all();
}

/* Arenas of one thread reuse a spare default-size block (mem.c): two
 * arenas alive at once never share a block, a reused block serves
 * allocations as a fresh one does, and a thread's spare block is freed
 * when it exits (under ASan, a leak otherwise). */
static void fill_arena(struct arena *a, unsigned char tag, unsigned char **first)
{
	for (int i = 0; i < 40; i++) { /* 40 x 4000 bytes: several blocks */
		unsigned char *p = arena_alloc(a, 4000);
		assert_non_null(p);
		memset(p, tag, 4000);
		if (i == 0)
			*first = p;
	}
}

static void *arena_thread(void *arg)
{
	(void)arg;
	unsigned char *p;
	struct arena *a = arena_create(0);
	fill_arena(a, 7, &p);
	arena_destroy(a); /* leaves a spare block behind */
	return NULL;
}

static void test_arena_spare_block(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++) {
		struct arena *a = arena_create(0), *b = arena_create(0);
		assert_non_null(a);
		assert_non_null(b);
		unsigned char *pa, *pb;
		fill_arena(a, 0xA1, &pa);
		fill_arena(b, 0xB2, &pb);
		for (int i = 0; i < 4000; i++) {
			assert_int_equal(pa[i], 0xA1);
			assert_int_equal(pb[i], 0xB2);
		}
		arena_reset(a); /* keeps its oldest block, gives the rest back */
		fill_arena(a, 0xC3, &pa);
		for (int i = 0; i < 4000; i++)
			assert_int_equal(pb[i], 0xB2);
		arena_destroy(a);
		arena_destroy(b);
	}
	for (int t = 0; t < 4; t++) {
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, arena_thread, NULL), 0);
		assert_int_equal(pthread_join(th, NULL), 0);
	}
}

static void test_hostport_split(void **state)
{
	(void)state;
	struct {
		const char *addr, *host;
		int port; /* -1: refused */
	} cases[] = {
	    {"localhost:4000", "localhost", 4000}, {"127.0.0.1:0", "127.0.0.1", 0},
	    {"[::1]:4001", "::1", 4001},           {"h:65535", "h", 65535},
	    {"a.b-c_d:007", "a.b-c_d", 7},         {"h", NULL, -1},
	    {":80", NULL, -1},                     {"h:", NULL, -1},
	    {"h:-1", NULL, -1},                    {"h:+1", NULL, -1},
	    {"h: 1", NULL, -1},                    {"h:65536", NULL, -1},
	    {"h:80x", NULL, -1},                   {"[]:80", NULL, -1},
	    {"h:99999999999999999999", NULL, -1},  {"", NULL, -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[16] = "unchanged";
		uint16_t port = 12345;
		int rc = hostport_split(cases[i].addr, host, sizeof(host), &port);
		if (cases[i].port < 0) {
			assert_int_equal(rc, ERR_BAD_INPUT);
			assert_non_null(strstr(err_msg(), "want host:port"));
			assert_string_equal(host, "unchanged");
			assert_int_equal(port, 12345);
		} else {
			assert_int_equal(rc, ERR_OK);
			assert_string_equal(host, cases[i].host);
			assert_int_equal(port, cases[i].port);
		}
	}
	/* a host that does not fit the caller's buffer */
	char small[4];
	uint16_t port;
	assert_int_equal(hostport_split("abcd:1", small, sizeof(small), &port), ERR_BAD_INPUT);
	assert_int_equal(hostport_split("abc:1", small, sizeof(small), &port), ERR_OK);
	assert_string_equal(small, "abc");
}

static void test_fs_mkdir_p(void **state)
{
	(void)state;
	char root[] = "/tmp/strata-fs-XXXXXX";
	assert_non_null(mkdtemp(root));
	char path[256], file[256];
	snprintf(path, sizeof(path), "%s/a/b/c", root);
	assert_int_equal(fs_mkdir_p(path), ERR_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fs_mkdir_p(path), ERR_OK); /* exists already */
	snprintf(path, sizeof(path), "%s/a/b/c/", root); /* trailing slash */
	assert_int_equal(fs_mkdir_p(path), ERR_OK);
	/* a regular file in the way: an I/O error naming the folder */
	snprintf(file, sizeof(file), "%s/f", root);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/f/x", root);
	assert_int_equal(fs_mkdir_p(path), ERR_IO);
	assert_non_null(strstr(err_msg(), "/f/x"));
	assert_int_equal(fs_mkdir_p(""), ERR_BAD_INPUT);
	char long_path[5000];
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(fs_mkdir_p(long_path), ERR_BAD_INPUT);
	/* clean up */
	assert_int_equal(unlink(file), 0);
	const char *dirs[] = {"a/b/c", "a/b", "a", ""};
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		assert_int_equal(rmdir(path), 0);
	}
}

/* hash_bytes: every byte, the length and the seed count; the low bits alone
 * spread keys like the hash tables' ("host_N", keys that differ only at
 * the end) evenly over power-of-two slot counts. */
static void test_hash_bytes(void **state)
{
	(void)state;
	uint8_t buf[40];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(buf); n++) {
		uint64_t h = hash_bytes(buf, n, 0);
		assert_true(h == hash_bytes(buf, n, 0));
		assert_true(h != hash_bytes(buf, n, 1));
		for (size_t i = 0; i < n; i++) /* each byte and each of its bits */
			for (int bit = 0; bit < 8; bit++) {
				buf[i] ^= (uint8_t)(1u << bit);
				assert_true(hash_bytes(buf, n, 0) != h);
				buf[i] ^= (uint8_t)(1u << bit);
			}
	}
	/* zero bytes at the end change the hash: "a" vs "a\0" vs "a\0\0" ... */
	uint8_t z[17] = {'a'};
	for (size_t n = 1; n < sizeof(z); n++)
		assert_true(hash_bytes(z, n, 0) != hash_bytes(z, n + 1, 0));
	assert_true(hash_bytes(NULL, 0, 0) != hash_bytes(NULL, 0, 7));
	/* slot spread: 4096 hostnames into 1024 slots by the low 10 bits */
	uint32_t slots[1024] = {0};
	for (uint32_t k = 0; k < 4096; k++) {
		char name[32];
		int len = snprintf(name, sizeof(name), "host_%u", k);
		slots[hash_bytes(name, (size_t)len, 0) & 1023]++;
	}
	uint32_t max = 0, empty = 0;
	for (int i = 0; i < 1024; i++) {
		max = slots[i] > max ? slots[i] : max;
		empty += slots[i] == 0;
	}
	/* a uniform hash: about 1024 * e^-4 = 19 empty slots, the fullest
	 * near 12; a hash whose low bits ignore part of the key is far off */
	assert_true(empty < 45);
	assert_true(max <= 16);
	/* hash_u64: neighbouring integers land in different low bits */
	uint32_t seen[64] = {0};
	for (uint64_t x = 0; x < 64; x++)
		seen[hash_u64(x << 32) & 63]++;
	uint32_t used = 0;
	for (int i = 0; i < 64; i++)
		used += seen[i] != 0;
	assert_true(used >= 32);
}

/* utf8_seq_len at every boundary RFC 3629 draws. */
static void test_utf8_seq_len(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t n, want;
	} cases[] = {
	    {"a", 1, 1},
	    {"\0", 1, 1},
	    {"\x7f", 1, 1},
	    {"\xc2\x80", 2, 2},         /* U+0080, the smallest two-byte */
	    {"\xc1\xbf", 2, 0},         /* overlong U+007F */
	    {"\xc0\x80", 2, 0},         /* overlong NUL */
	    {"\xdf\xbf", 2, 2},         /* U+07FF */
	    {"\xe0\xa0\x80", 3, 3},     /* U+0800 */
	    {"\xe0\x9f\xbf", 3, 0},     /* overlong U+07FF */
	    {"\xed\x9f\xbf", 3, 3},     /* U+D7FF */
	    {"\xed\xa0\x80", 3, 0},     /* U+D800, a surrogate */
	    {"\xed\xbf\xbf", 3, 0},     /* U+DFFF */
	    {"\xee\x80\x80", 3, 3},     /* U+E000 */
	    {"\xef\xbf\xbf", 3, 3},     /* U+FFFF */
	    {"\xf0\x90\x80\x80", 4, 4}, /* U+10000 */
	    {"\xf0\x8f\xbf\xbf", 4, 0}, /* overlong U+FFFF */
	    {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF */
	    {"\xf4\x90\x80\x80", 4, 0}, /* U+110000 */
	    {"\xf8\x88\x80\x80", 4, 0}, /* a five-byte lead */
	    {"\x80", 1, 0},             /* a stray continuation byte */
	    {"\xe2\x82", 2, 0},         /* cut short */
	    {"\xe2\x82\xac", 2, 0},     /* cut short by n, not by the bytes */
	    {"\xe2\x28\xac", 3, 0},     /* a non-continuation in the middle */
	    {"\xe2\x82\xacx", 4, 3},    /* the euro sign, then more text */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = utf8_seq_len((const uint8_t *)cases[i].bytes, cases[i].n);
		if (got != cases[i].want)
			fail_msg("case %zu: %zu, want %zu", i, got, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_record),
		cmocka_unit_test(test_crc32c_vector),
		cmocka_unit_test(test_reader_bounds),
		cmocka_unit_test(test_colvec_nulls_and_strings),
		cmocka_unit_test(test_oom_is_an_error),
		cmocka_unit_test(test_fault_points),
		cmocka_unit_test(test_arena_spare_block),
		cmocka_unit_test(test_hostport_split),
		cmocka_unit_test(test_fs_mkdir_p),
		cmocka_unit_test(test_hash_bytes),
		cmocka_unit_test(test_utf8_seq_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
