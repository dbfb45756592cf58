/* Unit tests for src/config (the TOML subset, flags, sizes, validation,
 * opening stores from a config) and src/objstore/cache.c (the SST cache:
 * fill on put and first read, LRU eviction, corrupt / partial files
 * detected and fetched again, manifests never cached). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/mem.h"
#include "config/config.h"
#include "meta/kv.h"
#include "objstore/cache.h"
#include "objstore/objstore.h"

static int parse(struct strata_config *c, const char *text)
{
	return config_parse(c, text, strlen(text), "t.toml");
}

static void test_full_example(void **state)
{
	(void)state;
	const char *text = "# Strata\n"
	                   "[storage]\n"
	                   "type = \"s3\"   # object storage\n"
	                   "bucket = 'strata-data'\n"
	                   "root = \"prod/\"\n"
	                   "endpoint = \"http://127.0.0.1:7480\"\n"
	                   "region = \"us-east-1\"\n"
	                   "access_key_id = \"AK\"\n"
	                   "secret_access_key = \"S\\\"K\\\\\"\n"
	                   "\n"
	                   "[storage.cache]\r\n"
	                   "path = \"/var/cache/strata\"\n"
	                   "size = \"2GiB\"\n"
	                   "[metadata]\n"
	                   "  type = \"etcd\"\n"
	                   "endpoints = [\"http://a:2379\", 'http://b:2379',]\n"
	                   "prefix = \"/strata\"\n"
	                   "lease_ttl_ms = 2_000\n"
	                   "[heartbeat]\n"
	                   "interval_ms = 500";
	struct strata_config c;
	config_init(&c);
	assert_int_equal(parse(&c, text), ERR_OK);
	assert_string_equal(c.storage.type, "s3");
	assert_string_equal(c.storage.bucket, "strata-data");
	assert_string_equal(c.storage.root, "prod/");
	assert_string_equal(c.storage.endpoint, "http://127.0.0.1:7480");
	assert_string_equal(c.storage.secret_access_key, "S\"K\\");
	assert_string_equal(c.storage.cache_path, "/var/cache/strata");
	assert_int_equal(c.storage.cache_size, 2ull << 30);
	assert_string_equal(c.metadata.type, "etcd");
	assert_string_equal(c.metadata.endpoints, "http://a:2379,http://b:2379");
	assert_int_equal(c.metadata.lease_ttl_ms, 2000);
	assert_int_equal(c.heartbeat_interval_ms, 500);
	assert_int_equal(config_validate(&c), ERR_OK);
	assert_true(config_uses_etcd(&c));
	config_free(&c);
}

/* Each malformed input fails with the line it is on. */
static void test_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"[storage]\ntype = fs\n", "t.toml:2: 'type' wants a quoted string"},
	    {"[storage]\nbukket = \"x\"\n", "t.toml:2: unknown key 'bukket' in [storage]"},
	    {"\n\n[nosuch]\n", "t.toml:3: unknown section [nosuch]"},
	    {"type = \"fs\"\n", "t.toml:1: key 'type' outside any [section]"},
	    {"[storage]\ntype = \"fs\n", "t.toml:2: unterminated string"},
	    {"[storage\n", "t.toml:1: bad section header"},
	    {"[storage]\n[storage]\n", "t.toml:2: section [storage] appears twice"},
	    {"[storage]\ntype = \"fs\"\ntype = \"s3\"\n", "t.toml:3: key 'type' appears twice"},
	    {"[heartbeat]\ninterval_ms = \"500\"\n", "t.toml:2: 'interval_ms' wants a non-negative"},
	    {"[heartbeat]\ninterval_ms = 5x\n", "t.toml:2: 'interval_ms' wants a non-negative"},
	    {"[heartbeat]\ninterval_ms = -1\n", "t.toml:2: 'interval_ms' wants a non-negative"},
	    {"[heartbeat]\ninterval_ms = true\n", "t.toml:2: 'interval_ms' does not take a boolean"},
	    {"[heartbeat]\ninterval_ms = 99999999999999999999999\n", "t.toml:2:"},
	    {"[heartbeat]\ninterval_ms =\n", "t.toml:2: missing value"},
	    {"[heartbeat]\ninterval_ms 5\n", "t.toml:2: expected '='"},
	    {"[storage]\ntype = \"fs\" extra\n", "t.toml:2: unexpected text after the value"},
	    {"[storage]\ntype = \"a\\qb\"\n", "t.toml:2: unknown escape \\q"},
	    {"[metadata]\nendpoints = [\"a\" \"b\"]\n", "t.toml:2: expected ',' or ']'"},
	    {"[metadata]\nendpoints = [1, 2]\n", "t.toml:2: arrays hold strings only"},
	    {"[metadata]\nendpoints = [\"a\",\n\"b\"]\n", "t.toml:2: arrays hold strings only"},
	    {"[storage.cache]\nsize = \"12 parsecs\"\n", "t.toml:2: bad size unit"},
	    {"[storage.cache]\nsize = \"-1\"\n", "t.toml:2: bad size"},
	    {"= 5\n", "t.toml:1: expected a key"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strata_config c;
		config_init(&c);
		int rc = parse(&c, cases[i].text);
		if (rc != ERR_BAD_INPUT || !strstr(err_msg(), cases[i].msg))
			fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err_msg(),
			         cases[i].msg);
		config_free(&c);
	}
	/* a NUL byte, and line counting past CRLF */
	struct strata_config c;
	config_init(&c);
	const char nul[] = "[storage]\r\n\r\ntype = \"f\0s\"\n";
	assert_int_equal(config_parse(&c, nul, sizeof(nul) - 1, "t.toml"), ERR_BAD_INPUT);
	assert_non_null(strstr(err_msg(), "t.toml:3: NUL byte"));
	config_free(&c);
	/* truncated everywhere: never a crash, an error or a prefix that parses */
	const char *full = "[storage]\ntype = \"s3\"\nbucket = \"b\"\n[metadata]\n"
	                   "endpoints = [\"x\", \"y\"]\n";
	for (size_t n = 0; n <= strlen(full); n++) {
		config_init(&c);
		int rc = config_parse(&c, full, n, "t.toml");
		assert_true(rc == ERR_OK || rc == ERR_BAD_INPUT);
		config_free(&c);
	}
}

static void test_flags_override(void **state)
{
	(void)state;
	struct strata_config c;
	config_init(&c);
	assert_int_equal(parse(&c, "[storage]\ntype = \"fs\"\nroot = \"/a\"\n"
	                           "[heartbeat]\ninterval_ms = 3000\n"),
	                 ERR_OK);
	bool used;
	assert_int_equal(config_flag(&c, "--store-type", "s3", &used), ERR_OK);
	assert_true(used);
	assert_int_equal(config_flag(&c, "--s3-bucket", "bk", &used), ERR_OK);
	assert_int_equal(config_flag(&c, "--heartbeat-interval-ms", "500", &used), ERR_OK);
	assert_int_equal(config_flag(&c, "--metadata", "etcd", &used), ERR_OK);
	assert_int_equal(config_flag(&c, "--node-id", "3", &used), ERR_OK);
	assert_false(used);
	assert_string_equal(c.storage.type, "s3");
	assert_string_equal(c.storage.root, "/a");
	assert_int_equal(c.heartbeat_interval_ms, 500);
	assert_int_equal(config_flag(&c, "--s3-root", "pre/", &used), ERR_OK);
	assert_string_equal(c.storage.root, "pre/");
	/* etcd without endpoints does not validate */
	assert_int_equal(config_validate(&c), ERR_BAD_INPUT);
	assert_non_null(strstr(err_msg(), "--etcd-endpoints"));
	assert_int_equal(config_flag(&c, "--etcd-endpoints", "http://x:1", &used), ERR_OK);
	assert_int_equal(config_validate(&c), ERR_OK);
	assert_int_equal(config_flag(&c, "--heartbeat-interval-ms", "fast", &used), ERR_BAD_INPUT);
	assert_non_null(strstr(err_msg(), "--heartbeat-interval-ms"));
	assert_int_equal(config_flag(&c, "--cache-size", NULL, &used), ERR_BAD_INPUT);
	assert_int_equal(config_flag(&c, "--store-type", "ftp", &used), ERR_OK);
	assert_int_equal(config_validate(&c), ERR_BAD_INPUT);
	assert_true(config_is_flag("--s3-secret-access-key"));
	assert_false(config_is_flag("--data-home"));
	config_free(&c);
	config_init(&c);
	assert_int_equal(config_flag(&c, "--store-type", "s3", &used), ERR_OK);
	assert_int_equal(config_validate(&c), ERR_BAD_INPUT); /* no bucket */
	config_free(&c);
}

static void test_sizes(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(config_parse_size("1GiB", &v), ERR_OK);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(config_parse_size("512MiB", &v), ERR_OK);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(config_parse_size("64KB", &v), ERR_OK);
	assert_int_equal(v, 64000);
	assert_int_equal(config_parse_size("1000", &v), ERR_OK);
	assert_int_equal(v, 1000);
	assert_int_equal(config_parse_size("3 MB", &v), ERR_OK);
	assert_int_equal(v, 3000000);
	assert_int_equal(config_parse_size("99999999999TiB", &v), ERR_BAD_INPUT);
	assert_int_equal(config_parse_size("GiB", &v), ERR_BAD_INPUT);
	assert_int_equal(config_parse_size("1Gib", &v), ERR_BAD_INPUT);
	assert_int_equal(config_parse_size("", &v), ERR_BAD_INPUT);
}

/* ---- files ------------------------------------------------------------------ */

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void rm_rf(const char *d)
{
	nftw(d, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_and_open(void **state)
{
	(void)state;
	char dir[] = "/tmp/strata_cfgtest.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[512], root[256], toml[1024], sq[256];
	snprintf(path, sizeof(path), "%s/strata.toml", dir);
	snprintf(root, sizeof(root), "%s/store", dir);
	snprintf(sq, sizeof(sq), "%s/meta.sqlite", dir);
	snprintf(toml, sizeof(toml),
	         "[storage]\ntype = \"fs\"\nroot = \"%s\"\n[storage.cache]\npath = \"%s/cache\"\n"
	         "size = \"1MiB\"\n[metadata]\ntype = \"sqlite\"\n",
	         root, dir);
	write_file(path, toml);
	struct strata_config c;
	config_init(&c);
	assert_int_equal(config_load_file(&c, path), ERR_OK);
	struct objstore *s;
	assert_int_equal(config_open_objstore(&c, NULL, &s), ERR_OK);
	assert_string_equal(objstore_backend_name(s), "cache");
	assert_int_equal(objstore_put(s, "a/b.parquet", "xyz", 3, 0), ERR_OK);
	objstore_close(s);
	struct stat sb;
	snprintf(path, sizeof(path), "%s/a/b.parquet", root);
	assert_int_equal(stat(path, &sb), 0); /* went through to the fs store */
	struct kv *kv;
	assert_int_equal(config_open_kv(&c, sq, &kv), ERR_OK);
	assert_int_equal(kv_put_str(kv, "k", "v"), ERR_OK);
	kv_close(kv);
	config_free(&c);

	/* a missing file, and etcd on a dead endpoint: clear startup errors */
	config_init(&c);
	assert_int_equal(config_load_file(&c, "/nonexistent/strata.toml"), ERR_IO);
	assert_non_null(strstr(err_msg(), "/nonexistent/strata.toml"));
	bool used;
	config_flag(&c, "--metadata", "etcd", &used);
	config_flag(&c, "--etcd-endpoints", "http://127.0.0.1:1", &used);
	assert_int_not_equal(config_open_kv(&c, sq, &kv), ERR_OK);
	assert_non_null(strstr(err_msg(), "etcd metadata store at http://127.0.0.1:1"));
	config_free(&c);
	rm_rf(dir);
}

/* ---- the SST cache ------------------------------------------------------------ */

struct cache_fx {
	char dir[64];
	char cdir[96];
	struct objstore *inner_view; /* the fs store seen directly */
	struct objstore *s;
};

static void cache_open(struct cache_fx *fx, uint64_t max)
{
	char root[128];
	snprintf(root, sizeof(root), "%s/store", fx->dir);
	struct objstore *fs;
	assert_int_equal(objstore_open_fs(root, &fs), ERR_OK);
	assert_int_equal(objstore_open_cache(fs, fx->cdir, max, &fx->s), ERR_OK);
}

static void cache_setup(struct cache_fx *fx)
{
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/strata_cachetest.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->cdir, sizeof(fx->cdir), "%s/cache", fx->dir);
	char root[128];
	snprintf(root, sizeof(root), "%s/store", fx->dir);
	assert_int_equal(objstore_open_fs(root, &fx->inner_view), ERR_OK);
}

static void cache_teardown(struct cache_fx *fx)
{
	objstore_close(fx->s);
	objstore_close(fx->inner_view);
	rm_rf(fx->dir);
}

static struct objstore_cache_stats cstats(struct objstore *s)
{
	struct objstore_cache_stats st;
	assert_int_equal(objstore_cache_get_stats(s, &st), ERR_OK);
	return st;
}

static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_cache_fill_and_evict(void **state)
{
	(void)state;
	struct cache_fx fx;
	cache_setup(&fx);
	cache_open(&fx, 250);
	char data[100];
	memset(data, 'a', sizeof(data));
	/* filled on put (flush) */
	assert_int_equal(objstore_put(fx.s, "r/1.parquet", data, 100, 0), ERR_OK);
	data[0] = 'b';
	assert_int_equal(objstore_put(fx.s, "r/2.parquet", data, 100, 0), ERR_OK);
	assert_int_equal(cstats(fx.s).fills, 2);
	assert_int_equal(cstats(fx.s).bytes, 200);
	/* a hit does not touch the inner store */
	struct objstore_stats before, after;
	objstore_get_stats(fx.s, &before);
	uint8_t *got;
	size_t n;
	assert_int_equal(objstore_get_range(fx.s, "r/1.parquet", 10, 5, &got, &n), ERR_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(got, "aaaaa", 5);
	mem_free(got);
	assert_int_equal(cstats(fx.s).hits, 1);
	/* 1 is now more recent than 2: adding 3 evicts 2 */
	data[0] = 'c';
	assert_int_equal(objstore_put(fx.s, "r/3.parquet", data, 100, 0), ERR_OK);
	struct objstore_cache_stats st = cstats(fx.s);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.entries, 2);
	assert_true(st.bytes <= 250);
	assert_int_equal(count_files(fx.cdir), 2);
	/* 2 is fetched again from the inner store (a miss), then cached */
	assert_int_equal(objstore_get(fx.s, "r/2.parquet", &got, &n), ERR_OK);
	assert_int_equal(n, 100);
	assert_int_equal(got[0], 'b');
	mem_free(got);
	assert_int_equal(cstats(fx.s).misses, 1);
	/* range clamped at the end, on a hit */
	assert_int_equal(objstore_get_range(fx.s, "r/2.parquet", 95, 50, &got, &n), ERR_OK);
	assert_int_equal(n, 5);
	mem_free(got);
	/* manifests are never cached */
	assert_int_equal(objstore_put(fx.s, "r/manifest/00000000000000000001.json", "{}", 2, 0),
	                 ERR_OK);
	assert_int_equal(objstore_put(fx.inner_view, "r/manifest/00000000000000000001.json",
	                              "{\"v\":2}", 7, 0),
	                 ERR_OK);
	assert_int_equal(objstore_get(fx.s, "r/manifest/00000000000000000001.json", &got, &n),
	                 ERR_OK);
	assert_int_equal(n, 7);
	mem_free(got);
	/* an object larger than the cache passes through uncached */
	char big[300];
	memset(big, 'z', sizeof(big));
	st = cstats(fx.s);
	assert_int_equal(objstore_put(fx.s, "r/big.parquet", big, sizeof(big), 0), ERR_OK);
	assert_int_equal(cstats(fx.s).fills, st.fills);
	/* delete removes the local copy */
	assert_int_equal(objstore_delete(fx.s, "r/3.parquet"), ERR_OK);
	assert_int_equal(objstore_get(fx.s, "r/3.parquet", &got, &n), ERR_NOT_FOUND);
	objstore_get_stats(fx.s, &after);
	(void)before;
	cache_teardown(&fx);
}

/* Corrupt every byte class of a cache file: it is detected, dropped and
 * the right bytes come from the inner store. Files survive a reopen. */
static void test_cache_corrupt(void **state)
{
	(void)state;
	struct cache_fx fx;
	cache_setup(&fx);
	cache_open(&fx, 1 << 20);
	const char *payload = "0123456789abcdefghij";
	assert_int_equal(objstore_put(fx.s, "t/x.parquet", payload, 20, 0), ERR_OK);
	objstore_close(fx.s);
	/* find the one cache file */
	char file[400] = "";
	DIR *d = opendir(fx.cdir);
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			snprintf(file, sizeof(file), "%s/%s", fx.cdir, de->d_name);
	closedir(d);
	assert_true(file[0]);
	FILE *f = fopen(file, "rb");
	uint8_t orig[64];
	size_t flen = fread(orig, 1, sizeof(orig), f);
	fclose(f);
	assert_int_equal(flen, 36);
	/* a clean reopen hits */
	cache_open(&fx, 1 << 20);
	uint8_t *got;
	size_t n;
	assert_int_equal(objstore_get(fx.s, "t/x.parquet", &got, &n), ERR_OK);
	assert_memory_equal(got, payload, 20);
	mem_free(got);
	assert_int_equal(cstats(fx.s).hits, 1);
	objstore_close(fx.s);
	/* flipped payload byte, flipped trailer, truncated, empty, junk */
	for (int kind = 0; kind < 5; kind++) {
		f = fopen(file, "wb");
		uint8_t b[64];
		memcpy(b, orig, flen);
		size_t wl = flen;
		if (kind == 0)
			b[3] ^= 1;
		else if (kind == 1)
			b[flen - 1] ^= 0xff;
		else if (kind == 2)
			wl = flen - 5;
		else if (kind == 3)
			wl = 0;
		else
			memset(b, 'q', wl);
		fwrite(b, 1, wl, f);
		fclose(f);
		cache_open(&fx, 1 << 20);
		assert_int_equal(objstore_get_range(fx.s, "t/x.parquet", 2, 4, &got, &n), ERR_OK);
		assert_int_equal(n, 4);
		assert_memory_equal(got, "2345", 4);
		mem_free(got);
		struct objstore_cache_stats st = cstats(fx.s);
		if (kind != 3) /* an empty file is not even indexed */
			assert_int_equal(st.corrupt, 1);
		assert_int_equal(st.misses, 1);
		assert_int_equal(st.fills, 1); /* fetched again and re-cached */
		/* and the new copy is good */
		assert_int_equal(objstore_get(fx.s, "t/x.parquet", &got, &n), ERR_OK);
		assert_memory_equal(got, payload, 20);
		mem_free(got);
		assert_int_equal(cstats(fx.s).hits, 1);
		objstore_close(fx.s);
	}
	/* a leftover .tmp is removed at open */
	char tmp[400];
	snprintf(tmp, sizeof(tmp), "%s/abc.sst.1.tmp", fx.cdir);
	write_file(tmp, "partial");
	cache_open(&fx, 1 << 20);
	struct stat sb;
	assert_int_not_equal(stat(tmp, &sb), 0);
	assert_int_equal(objstore_cache_get_stats(fx.inner_view, &(struct objstore_cache_stats){0}),
	                 ERR_BAD_INPUT);
	cache_teardown(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_example),   cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_flags_override), cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_load_and_open),  cmocka_unit_test(test_cache_fill_and_evict),
	    cmocka_unit_test(test_cache_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
