/*
 * s3_check: drives the s3 object store backend against a live S3 endpoint
 * (radosgw in tests/suites/s3_backend.sh) and prints TAP.
 *
 *   s3_check            every check below, under a fresh root prefix
 *                       "s3check-<pid>-<ms>/" that is emptied at the end
 *   s3_check startup    only objstore_s3_check; prints "ok" or
 *                       "<ERR_NAME>: <message>" on stderr; exit 0 / 1
 *
 * Endpoint and credentials: STRATA_S3_ENDPOINT, STRATA_S3_BUCKET,
 * STRATA_S3_REGION, STRATA_S3_ACCESS_KEY_ID, STRATA_S3_SECRET_ACCESS_KEY (the
 * backend falls back to the AWS_* variables for the ones left unset).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore.h"

static int tap_n, tap_failed;
static char root[128];

static void tap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(int ok, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok && err_msg()[0])
		printf(" [last error: %s: %s]", err_code_name(err_code()), err_msg());
	printf("\n");
	fflush(stdout);
}

static struct objstore_s3_options base_opts(void)
{
	struct objstore_s3_options o = {0};
	o.endpoint = getenv("STRATA_S3_ENDPOINT");
	o.bucket = getenv("STRATA_S3_BUCKET");
	o.region = getenv("STRATA_S3_REGION");
	o.access_key_id = getenv("STRATA_S3_ACCESS_KEY_ID");
	o.secret_access_key = getenv("STRATA_S3_SECRET_ACCESS_KEY");
	o.root = root;
	return o;
}

static struct objstore *open_with(struct objstore_s3_options o)
{
	struct objstore *s = NULL;
	if (objstore_open_s3(&o, &s) != ERR_OK) {
		fprintf(stderr, "s3_check: open: %s\n", err_msg());
		return NULL;
	}
	return s;
}

static int put_s(struct objstore *s, const char *key, const char *v)
{
	return objstore_put(s, key, v, strlen(v), 0);
}

/* get == want (n bytes)? */
static int get_is(struct objstore *s, const char *key, const void *want, size_t n)
{
	uint8_t *d;
	size_t len;
	if (objstore_get(s, key, &d, &len) != ERR_OK)
		return 0;
	int same = len == n && (n == 0 || memcmp(d, want, n) == 0);
	mem_free(d);
	return same;
}

static int range_is(struct objstore *s, const char *key, uint64_t off, uint64_t len,
                    const void *want, size_t n)
{
	uint8_t *d;
	size_t got;
	if (objstore_get_range(s, key, off, len, &d, &got) != ERR_OK)
		return 0;
	int same = got == n && (n == 0 || memcmp(d, want, n) == 0);
	mem_free(d);
	return same;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static void check_basic(struct objstore *s)
{
	static const uint8_t bin[] = {0, 1, 2, 0xff, 0, 'x', '\n', 0x80};
	tap(objstore_s3_check(s) == ERR_OK, "startup check passes with good credentials");
	tap(objstore_put(s, "basic/bin", bin, sizeof(bin), 0) == ERR_OK &&
	        get_is(s, "basic/bin", bin, sizeof(bin)),
	    "put then get returns the same bytes (binary, with NULs)");
	tap(objstore_put(s, "basic/empty", "", 0, 0) == ERR_OK && get_is(s, "basic/empty", "", 0),
	    "an empty object round-trips");
	uint8_t *d = NULL;
	size_t n = 7;
	int rc = objstore_get(s, "basic/missing", &d, &n);
	tap(rc == ERR_NOT_FOUND && d == NULL && n == 0,
	    "get of a missing key is ERR_NOT_FOUND (%s)", err_code_name(rc));
	uint64_t sz = 0;
	int64_t mt = 0, now = clock_now_ms();
	rc = objstore_head(s, "basic/bin", &sz, &mt);
	tap(rc == ERR_OK && sz == sizeof(bin) && mt > now - 600000 && mt < now + 600000,
	    "head gives size %" PRIu64 " and an mtime near now (%" PRId64 " ms off)", sz, mt - now);
	rc = objstore_head(s, "basic/missing", &sz, &mt);
	tap(rc == ERR_NOT_FOUND && sz == 0, "head of a missing key is ERR_NOT_FOUND");
	tap(put_s(s, "basic/over", "first") == ERR_OK && put_s(s, "basic/over", "second!") == 0 &&
	        get_is(s, "basic/over", "second!", 7),
	    "a plain put overwrites");
}

static void check_ranges(struct objstore *s)
{
	const char *v = "0123456789abcdefghijklmnopqrstuvwxyz";
	put_s(s, "range/obj", v);
	tap(range_is(s, "range/obj", 6, 6, "6789ab", 6), "range 6+6 is bytes=6-11");
	tap(range_is(s, "range/obj", 0, 1, "0", 1), "range 0+1 is the first byte");
	tap(range_is(s, "range/obj", 30, 100, "uvwxyz", 6), "a range past the end is clamped");
	tap(range_is(s, "range/obj", 36, 5, "", 0), "a range starting at the end is empty");
	tap(range_is(s, "range/obj", 1000, 5, "", 0), "a range starting past the end is empty");
	tap(range_is(s, "range/obj", 3, 0, "", 0), "a zero-length range is empty");
	tap(range_is(s, "range/obj", 30, UINT64_MAX, "uvwxyz", 6),
	    "a range whose end overflows reads to the end");
	uint8_t *d;
	size_t n;
	int rc = objstore_get_range(s, "range/missing", 0, 4, &d, &n);
	tap(rc == ERR_NOT_FOUND, "a range of a missing key is ERR_NOT_FOUND");
	rc = objstore_get_range(s, "range/missing", 0, 0, &d, &n);
	tap(rc == ERR_NOT_FOUND, "a zero-length range of a missing key is ERR_NOT_FOUND");
	put_s(s, "range/empty", "");
	tap(range_is(s, "range/empty", 0, 10, "", 0), "a range of an empty object is empty");
}

static void check_encoding(struct objstore *s)
{
	static const char *keys[] = {
	    "enc/a b+c=d:e,f@g~h(1)!$&'*;.txt",
	    "enc/\xc3\xbcn\xc3\xaf/\xe6\x97\xa5\xe6\x9c\xac",
	    "enc/q?x=1&y=%2F#frag",
	    "enc/<tag>&amp;\"quoted\"",
	};
	size_t nk = sizeof(keys) / sizeof(keys[0]);
	int ok = 1;
	for (size_t i = 0; i < nk; i++)
		if (put_s(s, keys[i], keys[i]) != ERR_OK ||
		    !get_is(s, keys[i], keys[i], strlen(keys[i])))
			ok = 0;
	tap(ok, "keys with spaces, reserved characters, UTF-8 and XML specials round-trip");
	struct objstore_list l;
	ok = objstore_list(s, "enc/", &l) == ERR_OK && l.n == nk;
	for (size_t i = 0; ok && i < nk; i++) {
		int found = 0;
		for (size_t j = 0; j < l.n; j++)
			found |= !strcmp(l.keys[j], keys[i]) && l.sizes[j] == strlen(keys[i]);
		ok = found;
	}
	tap(ok, "list hands back those keys decoded, with sizes");
	objstore_list_free(&l);
	ok = objstore_list(s, "enc/a b+", &l) == ERR_OK && l.n == 1 && !strcmp(l.keys[0], keys[0]);
	tap(ok, "a list prefix with encoded characters matches");
	objstore_list_free(&l);
}

static void check_list(void)
{
	struct objstore_s3_options o = base_opts();
	o.list_page_size = 3;
	struct objstore *s = open_with(o);
	if (!s) {
		tap(0, "open with list page size 3");
		return;
	}
	char key[64];
	int ok = 1;
	for (int i = 10; i >= 0; i--) { /* out of order on purpose */
		snprintf(key, sizeof(key), "list/k%02d", i);
		ok &= objstore_put(s, key, key, (size_t)i, 0) == ERR_OK;
	}
	ok &= put_s(s, "list/sub/deeper/x", "x") == ERR_OK;
	ok &= put_s(s, "listx", "y") == ERR_OK;
	ok &= put_s(s, "lis", "z") == ERR_OK;
	tap(ok, "14 keys written for listing");
	struct objstore_list l;
	int rc = objstore_list(s, "list/", &l);
	ok = rc == ERR_OK && l.n == 12;
	for (size_t i = 0; ok && i < 11; i++) {
		snprintf(key, sizeof(key), "list/k%02zu", i);
		ok = !strcmp(l.keys[i], key) && l.sizes[i] == i;
	}
	ok = ok && !strcmp(l.keys[11], "list/sub/deeper/x");
	tap(ok, "list over 4 pages of 3 (continuation tokens): 12 keys, sorted, sizes right (%zu)",
	    l.n);
	objstore_list_free(&l);
	rc = objstore_list(s, "list/k0", &l);
	tap(rc == ERR_OK && l.n == 10 && !strcmp(l.keys[0], "list/k00") &&
	        !strcmp(l.keys[9], "list/k09"),
	    "a partial-segment prefix lists list/k00..k09");
	objstore_list_free(&l);
	rc = objstore_list(s, "nothing-here/", &l);
	tap(rc == ERR_OK && l.n == 0, "an empty listing is ERR_OK with no keys");
	objstore_list_free(&l);
	rc = objstore_list(s, "", &l);
	int saw_root_leak = 0, saw_lis = 0;
	for (size_t i = 0; rc == ERR_OK && i < l.n; i++) {
		saw_root_leak |= !strncmp(l.keys[i], "s3check-", 8);
		saw_lis |= !strcmp(l.keys[i], "lis");
		if (i && strcmp(l.keys[i - 1], l.keys[i]) >= 0)
			saw_root_leak = 1;
	}
	tap(rc == ERR_OK && saw_lis && !saw_root_leak,
	    "list of \"\" gives keys relative to the root, sorted");
	objstore_list_free(&l);

	/* A store with another root sees none of these keys. */
	struct objstore_s3_options o2 = base_opts();
	char other[160];
	snprintf(other, sizeof(other), "/%sother/", root);
	o2.root = other;
	struct objstore *s2 = open_with(o2);
	rc = s2 ? objstore_list(s2, "", &l) : ERR_IO;
	tap(rc == ERR_OK && l.n == 0, "a store rooted elsewhere lists nothing");
	if (rc == ERR_OK)
		objstore_list_free(&l);
	uint64_t sz;
	tap(s2 && objstore_head(s2, "lis", &sz, NULL) == ERR_NOT_FOUND,
	    "and does not see the key 'lis' of the first root");
	objstore_close(s2);
	objstore_close(s);
}

static void check_delete(struct objstore *s)
{
	put_s(s, "del/a", "a");
	tap(objstore_delete(s, "del/a") == ERR_OK && !get_is(s, "del/a", "a", 1) &&
	        err_code() == ERR_NOT_FOUND,
	    "delete removes the object");
	tap(objstore_delete(s, "del/a") == ERR_OK, "deleting a missing key succeeds");
}

static void check_if_absent(struct objstore *s)
{
	int rc = objstore_put(s, "cond/m", "one", 3, OBJSTORE_PUT_IF_ABSENT);
	tap(rc == ERR_OK, "put-if-absent of a new key succeeds");
	rc = objstore_put(s, "cond/m", "two", 3, OBJSTORE_PUT_IF_ABSENT);
	tap(rc == ERR_EXISTS && get_is(s, "cond/m", "one", 3),
	    "put-if-absent of an existing key is ERR_EXISTS and keeps the old bytes (%s: %s)",
	    err_code_name(rc), err_msg());
}

struct racer {
	struct objstore *s;
	int id, rc;
};

static void *race_put(void *arg)
{
	struct racer *r = arg;
	char v[32];
	snprintf(v, sizeof(v), "writer-%d", r->id);
	r->rc = objstore_put(r->s, "cond/race", v, strlen(v), OBJSTORE_PUT_IF_ABSENT);
	return NULL;
}

static void check_race(struct objstore *s)
{
	struct racer r[6];
	pthread_t t[6];
	for (int i = 0; i < 6; i++) {
		r[i] = (struct racer){s, i, -1};
		pthread_create(&t[i], NULL, race_put, &r[i]);
	}
	int won = -1, wins = 0, exists = 0;
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		if (r[i].rc == ERR_OK)
			wins++, won = i;
		else if (r[i].rc == ERR_EXISTS)
			exists++;
	}
	char v[32];
	snprintf(v, sizeof(v), "writer-%d", won);
	tap(wins == 1 && exists == 5 && get_is(s, "cond/race", v, strlen(v)),
	    "6 racing put-if-absent writers: exactly one wins and its bytes stay (%d won, %d "
	    "exists)",
	    wins, exists);
}

struct mp_racer {
	struct objstore *s;
	const uint8_t *data;
	size_t n;
	int rc;
};

static void *mp_race(void *arg)
{
	struct mp_racer *r = arg;
	r->rc = objstore_put(r->s, "mp/race", r->data, r->n, OBJSTORE_PUT_IF_ABSENT);
	return NULL;
}

static void check_multipart(void)
{
	struct objstore_s3_options o = base_opts();
	o.multipart_threshold = 6u << 20;
	o.part_size = 5u << 20;
	struct objstore *s = open_with(o);
	size_t n = (13u << 20) + 12345;
	uint8_t *big = malloc(n);
	if (!s || !big) {
		tap(0, "multipart setup");
		objstore_close(s);
		free(big);
		return;
	}
	fill(big, n, 7);
	int64_t t0 = clock_mono_ns();
	int rc = objstore_put(s, "mp/big", big, n, 0);
	int64_t ms = (clock_mono_ns() - t0) / 1000000;
	tap(rc == ERR_OK && get_is(s, "mp/big", big, n),
	    "multipart put of %zu bytes (3 parts) reads back equal (%" PRId64 " ms)", n, ms);
	uint64_t sz = 0;
	rc = objstore_head(s, "mp/big", &sz, NULL);
	tap(rc == ERR_OK && sz == n, "head of the multipart object gives %" PRIu64, sz);
	uint64_t off = (5u << 20) - 100;
	tap(range_is(s, "mp/big", off, 300, big + off, 300), "a range across a part boundary");
	fill(big, n, 8);
	rc = objstore_put(s, "mp/big", big, n, OBJSTORE_PUT_IF_ABSENT);
	tap(rc == ERR_EXISTS,
	    "put-if-absent above the multipart threshold, existing key: ERR_EXISTS (%s)",
	    err_code_name(rc));
	rc = objstore_put(s, "mp/new", big, n, OBJSTORE_PUT_IF_ABSENT);
	tap(rc == ERR_OK && get_is(s, "mp/new", big, n),
	    "put-if-absent above the multipart threshold, new key: succeeds");
	/* Two put-if-absent writers of 13 MiB race for a new key. Above the
	 * multipart threshold, but put-if-absent stays one PUT (radosgw 16
	 * ignores If-None-Match on a multipart complete): one must lose. */
	struct mp_racer r[2] = {{s, big, n, -1}, {s, big, n, -1}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, mp_race, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	tap((r[0].rc == ERR_OK) + (r[1].rc == ERR_OK) == 1 &&
	        (r[0].rc == ERR_EXISTS) + (r[1].rc == ERR_EXISTS) == 1,
	    "2 racing 13 MiB put-if-absent writers: one wins, one gets ERR_EXISTS (%s, %s)",
	    err_code_name(r[0].rc), err_code_name(r[1].rc));
	struct objstore_s3_options small = base_opts();
	small.multipart_threshold = 1u << 20; /* parts of the minimum size */
	objstore_close(s);
	s = open_with(small);
	rc = s ? objstore_put(s, "mp/exact", big, 10u << 20, 0) : ERR_IO;
	tap(rc == ERR_OK && get_is(s, "mp/exact", big, 10u << 20),
	    "multipart with default 8 MiB parts: 8 MiB + 2 MiB");
	objstore_close(s);
	free(big);
}

struct worker {
	struct objstore *s;
	int id, bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char key[64], val[64];
	for (int i = 0; i < 15; i++) {
		snprintf(key, sizeof(key), "par/t%d/%d", w->id, i);
		snprintf(val, sizeof(val), "value %d/%d", w->id, i);
		if (put_s(w->s, key, val) != ERR_OK || !get_is(w->s, key, val, strlen(val)))
			w->bad++;
	}
	return NULL;
}

static void check_threads(struct objstore *s)
{
	struct worker w[8];
	pthread_t t[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){s, i, 0};
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	int bad = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		bad += w[i].bad;
	}
	struct objstore_list l;
	int rc = objstore_list(s, "par/", &l);
	tap(bad == 0 && rc == ERR_OK && l.n == 120,
	    "8 threads x 15 put+get on one store: %d failures, %zu keys", bad, l.n);
	if (rc == ERR_OK)
		objstore_list_free(&l);
}

static void check_failures(void)
{
	struct objstore_s3_options o = base_opts();
	o.endpoint = "http://127.0.0.1:1"; /* nothing listens on port 1 */
	o.deadline_ms = 1500;
	struct objstore *s = open_with(o);
	int64_t t0 = clock_mono_ns();
	uint8_t *d;
	size_t n;
	int rc = s ? objstore_get(s, "x", &d, &n) : ERR_INTERNAL;
	int64_t ms = (clock_mono_ns() - t0) / 1000000;
	/* the last backoff is skipped when it would cross the deadline, so
	 * with jitter the give-up lands anywhere in the deadline's last third */
	tap(rc == ERR_IO && strstr(err_msg(), "gave up after") && ms >= 700 && ms < 5000,
	    "connection refused is retried until the deadline, then ERR_IO (%" PRId64 " ms: %s)",
	    ms, err_msg());
	objstore_close(s);

	o = base_opts();
	o.bucket = "no-such-bucket-strata";
	s = open_with(o);
	rc = s ? objstore_s3_check(s) : ERR_INTERNAL;
	tap(rc == ERR_IO && strstr(err_msg(), "NoSuchBucket"),
	    "startup check on a missing bucket: ERR_IO naming NoSuchBucket (%s)", err_msg());
	rc = s ? objstore_get(s, "k", &d, &n) : ERR_INTERNAL;
	tap(rc == ERR_IO, "get in a missing bucket is ERR_IO, not ERR_NOT_FOUND");
	objstore_close(s);
}

static void check_stats(struct objstore *s)
{
	struct objstore_stats st;
	objstore_get_stats(s, &st);
	tap(st.puts > 20 && st.gets > 20 && st.range_gets >= 9 && st.lists >= 3 && st.deletes >= 2,
	    "stats count requests (puts %" PRIu64 ", gets %" PRIu64 ", errors %" PRIu64 ")",
	    st.puts, st.gets, st.errors);
}

static void cleanup(void)
{
	struct objstore *s = open_with(base_opts());
	struct objstore_list l;
	if (!s || objstore_list(s, "", &l) != ERR_OK) {
		tap(0, "cleanup: list");
		objstore_close(s);
		return;
	}
	int bad = 0;
	for (size_t i = 0; i < l.n; i++)
		bad += objstore_delete(s, l.keys[i]) != ERR_OK;
	objstore_list_free(&l);
	int rc = objstore_list(s, "", &l);
	tap(bad == 0 && rc == ERR_OK && l.n == 0, "cleanup: every test key deleted");
	if (rc == ERR_OK)
		objstore_list_free(&l);
	objstore_close(s);
}

static int startup_only(void)
{
	struct objstore *s = open_with(base_opts());
	if (!s)
		return 1;
	int rc = objstore_s3_check(s);
	if (rc == ERR_OK)
		fprintf(stderr, "ok\n");
	else
		fprintf(stderr, "%s: %s\n", err_code_name(rc), err_msg());
	objstore_close(s);
	return rc == ERR_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	snprintf(root, sizeof(root), "s3check-%d-%" PRId64 "/", (int)getpid(), clock_now_ms());
	if (argc > 1 && !strcmp(argv[1], "startup"))
		return startup_only();
	if (!getenv("STRATA_S3_ENDPOINT") && !getenv("AWS_ENDPOINT_URL")) {
		printf("1..1\nnot ok 1 - no endpoint: set STRATA_S3_ENDPOINT (see "
		       "tests/suites/s3_backend.sh)\n");
		return 1;
	}
	struct objstore *s = open_with(base_opts());
	if (!s) {
		printf("1..1\nnot ok 1 - open the s3 store: %s\n", err_msg());
		return 1;
	}
	check_basic(s);
	check_ranges(s);
	check_encoding(s);
	check_list();
	check_delete(s);
	check_if_absent(s);
	check_race(s);
	check_multipart();
	check_threads(s);
	check_failures();
	check_stats(s);
	objstore_close(s);
	cleanup();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
