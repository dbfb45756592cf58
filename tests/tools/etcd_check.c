/*
 * etcd_check: drives the etcd metadata store backend and the leader
 * election against a live etcd cluster (tests/suites/etcd_backend.sh) and
 * prints TAP. Every run works under its own key prefix
 * "/etcdcheck-<pid>-<ms>" and deletes it at the end.
 *
 *   etcd_check                 KV and election checks on a 1-member cluster
 *   etcd_check cluster         failover checks on a 3-member cluster: kill
 *                              the raft leader member, then a second one,
 *                              then restart both (needs STRATA_ETCD_PIDS and
 *                              STRATA_ETCD_DIR from scripts/etcd-up.sh)
 *   etcd_check candidate ID TTL_MS PREFIX
 *                              (internal) one election candidate: prints
 *                              "elected ID TERM" / "lost ID" lines and
 *                              resigns when its stdin closes
 *
 * Endpoints: STRATA_ETCD_ENDPOINTS ("http://127.0.0.1:P1,...").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "meta/election.h"
#include "meta/etcd_int.h"
#include "meta/kv.h"

extern char **environ;

static int tap_n, tap_failed;
static char root[128];        /* this run's prefix */
static const char *endpoints; /* STRATA_ETCD_ENDPOINTS */

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

static int64_t mono_ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* A store on root + "/" + sub (sub may be ""). */
static struct kv *open_kv(const char *eps, const char *sub, int timeout_ms, int page)
{
	char prefix[256];
	snprintf(prefix, sizeof(prefix), "%s%s%s", root, sub[0] ? "/" : "", sub);
	struct kv_etcd_options o = {eps, prefix, timeout_ms, page};
	struct kv *kv = NULL;
	if (kv_open_etcd(&o, &kv) != ERR_OK)
		fprintf(stderr, "etcd_check: open: %s\n", err_msg());
	return kv;
}

static int get_is(struct kv *kv, const char *key, const void *want, size_t n)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int rc = kv_get(kv, key, &v, &len);
	int ok = rc == ERR_OK && len == n && (n == 0 || memcmp(v, want, n) == 0) && v[len] == 0;
	mem_free(v);
	return ok;
}

static int get_rc(struct kv *kv, const char *key)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int rc = kv_get(kv, key, &v, &len);
	mem_free(v);
	return rc;
}

/* Delete every key under root (raw client call). */
static void cleanup_root(const char *eps)
{
	struct etcd_client *c;
	if (etcd_client_open(eps, 5000, &c))
		return;
	uint8_t *end;
	size_t elen;
	struct buf b;
	buf_init(&b);
	cJSON *j = NULL;
	if (!etcd_prefix_end(root, strlen(root), &end, &elen)) {
		if (!etcd_req_range(&b, root, strlen(root), end, elen, 0, 0))
			etcd_call(c, "/v3/kv/deleterange", &b, 0, &j);
		mem_free(end);
	}
	cJSON_Delete(j);
	buf_free(&b);
	etcd_client_close(c);
}

/* ================================================================ KV checks */

static void check_basic(void)
{
	struct kv *kv = open_kv(endpoints, "basic", 0, 0);
	if (!kv) {
		tap(0, "basic: open");
		return;
	}
	tap(strcmp(kv->ops->name, "etcd") == 0, "backend name is etcd");
	tap(get_rc(kv, "a/1") == ERR_NOT_FOUND, "get of a missing key is NOT_FOUND");
	int rc = kv_put_str(kv, "a/1", "one") | kv_put_str(kv, "a/2", "two") |
	         kv_put_str(kv, "b/1", "bee");
	tap(rc == ERR_OK, "put three keys");
	tap(get_is(kv, "a/1", "one", 3), "get returns the value, NUL-terminated");
	struct kv_list l;
	rc = kv_range(kv, "a/", &l);
	tap(rc == ERR_OK && l.n == 2 && !strcmp(l.items[0].key, "a/1") &&
	        !strcmp(l.items[1].key, "a/2") && l.items[1].len == 3 &&
	        !strcmp((char *)l.items[1].value, "two"),
	    "range a/ returns a/1, a/2 in order with values");
	kv_list_free(&l);
	rc = kv_range(kv, "", &l);
	tap(rc == ERR_OK && l.n == 3 && !strcmp(l.items[2].key, "b/1"),
	    "range \"\" returns every key of the store (%zu)", l.n);
	kv_list_free(&l);
	tap(kv_put_str(kv, "a/1", "uno") == ERR_OK && get_is(kv, "a/1", "uno", 3),
	    "put overwrites");
	tap(kv_delete(kv, "a/1") == ERR_OK && get_rc(kv, "a/1") == ERR_NOT_FOUND,
	    "delete removes the key");
	tap(kv_delete(kv, "a/1") == ERR_OK, "deleting a missing key is fine");
	kv_close(kv);
	kv = open_kv(endpoints, "basic", 0, 0);
	tap(kv && get_is(kv, "b/1", "bee", 3), "data persists across handles");
	kv_close(kv);
}

static void check_values(void)
{
	struct kv *kv = open_kv(endpoints, "values", 0, 0);
	if (!kv) {
		tap(0, "values: open");
		return;
	}
	const uint8_t bin[] = {0, 1, 0xff, 0xfe, '=', 0, 'x'};
	tap(kv_put(kv, "bin", bin, sizeof(bin)) == ERR_OK && get_is(kv, "bin", bin, sizeof(bin)),
	    "binary value with NUL and 0xff bytes round-trips");
	tap(kv_put(kv, "empty", "", 0) == ERR_OK && get_is(kv, "empty", "", 0),
	    "empty value is stored (and is not 'absent')");
	for (size_t n = 1; n <= 5; n++) { /* every base64 padding case */
		char k[16];
		snprintf(k, sizeof(k), "pad%zu", n);
		if (kv_put(kv, k, "abcde", n) || !get_is(kv, k, "abcde", n)) {
			tap(0, "value of %zu bytes round-trips", n);
			goto out;
		}
	}
	tap(1, "values of 1..5 bytes round-trip (every padding case)");
	size_t big = 300 * 1024;
	uint8_t *v = mem_alloc(big);
	for (size_t i = 0; i < big; i++)
		v[i] = (uint8_t)(i * 131 + 7);
	tap(v && kv_put(kv, "big", v, big) == ERR_OK && get_is(kv, "big", v, big),
	    "300 KiB value round-trips");
	mem_free(v);
	tap(kv_put_str(kv, "k\xc3\xa9/\xe2\x82\xac", "utf8") == ERR_OK &&
	        get_is(kv, "k\xc3\xa9/\xe2\x82\xac", "utf8", 4),
	    "UTF-8 key round-trips");
	struct kv_cmp empty_eq = {"empty", "", 0};
	struct kv_op op = {KV_PUT, "after-empty", "1", 1};
	tap(kv_txn(kv, &empty_eq, 1, &op, 1) == ERR_OK, "compare equal to an empty value passes");
	struct kv_cmp absent_eq_empty = {"nothing-here", "", 0};
	tap(kv_txn(kv, &absent_eq_empty, 1, &op, 1) == ERR_CONFLICT,
	    "compare value \"\" on an absent key fails");
out:
	kv_close(kv);
}

static void check_txn(void)
{
	struct kv *kv = open_kv(endpoints, "txn", 0, 0);
	if (!kv) {
		tap(0, "txn: open");
		return;
	}
	struct kv_cmp absent = {"k", NULL, 0};
	struct kv_op ops[2] = {{KV_PUT, "k", "v1", 2}, {KV_PUT, "k2", "x", 1}};
	tap(kv_txn(kv, &absent, 1, ops, 2) == ERR_OK && get_is(kv, "k", "v1", 2) &&
	        get_is(kv, "k2", "x", 1),
	    "create-if-absent applies both puts");
	struct kv_op op3 = {KV_PUT, "k3", "y", 1};
	int rc = kv_txn(kv, &absent, 1, &op3, 1);
	char msg[256];
	snprintf(msg, sizeof(msg), "%s", err_msg());
	tap(rc == ERR_CONFLICT && get_rc(kv, "k3") == ERR_NOT_FOUND,
	    "create-if-absent on an existing key is ERR_CONFLICT and applies nothing");
	tap(rc == ERR_CONFLICT && strstr(msg, "key k ") != NULL,
	    "conflict message names the key (%s)", msg);
	struct kv_cmp wrong = {"k", "zz", 2};
	tap(kv_txn(kv, &wrong, 1, &op3, 1) == ERR_CONFLICT && get_rc(kv, "k3") == ERR_NOT_FOUND,
	    "compare on a different value is ERR_CONFLICT");
	struct kv_cmp prefix_of = {"k", "v", 1};
	tap(kv_txn(kv, &prefix_of, 1, &op3, 1) == ERR_CONFLICT,
	    "compare on a prefix of the value is ERR_CONFLICT");
	struct kv_cmp right = {"k", "v1", 2};
	tap(kv_txn(kv, &right, 1, &op3, 1) == ERR_OK && get_is(kv, "k3", "y", 1),
	    "compare on the right value applies");
	struct kv_cmp two[2] = {{"k", "v1", 2}, {"k2", "nope", 4}};
	struct kv_op del = {KV_DELETE, "k", NULL, 0};
	tap(kv_txn(kv, two, 2, &del, 1) == ERR_CONFLICT && get_is(kv, "k", "v1", 2),
	    "all compares must hold (one of two fails: nothing applied)");
	struct kv_op mixed[3] = {
	    {KV_DELETE, "k", NULL, 0}, {KV_PUT, "k4", "z", 1}, {KV_DELETE, "k2", NULL, 0}};
	tap(kv_txn(kv, &right, 1, mixed, 3) == ERR_OK && get_rc(kv, "k") == ERR_NOT_FOUND &&
	        get_rc(kv, "k2") == ERR_NOT_FOUND && get_is(kv, "k4", "z", 1),
	    "puts and deletes in one txn");
	struct kv_op same[3] = {
	    {KV_PUT, "d", "1", 1}, {KV_DELETE, "d", NULL, 0}, {KV_PUT, "d", "3", 1}};
	tap(kv_txn(kv, NULL, 0, same, 3) == ERR_OK && get_is(kv, "d", "3", 1),
	    "several ops on one key: the last one wins (put, delete, put)");
	tap(kv_txn(kv, NULL, 0, same, 2) == ERR_OK && get_rc(kv, "d") == ERR_NOT_FOUND,
	    "several ops on one key: the last one wins (put, delete)");
	enum { NOPS = 200 };
	struct kv_op *many = mem_calloc(NOPS, sizeof(*many));
	char(*keys)[24] = mem_calloc(NOPS, 24);
	for (int i = 0; i < NOPS; i++) {
		snprintf(keys[i], 24, "many/%03d", i);
		many[i] = (struct kv_op){KV_PUT, keys[i], "m", 1};
	}
	rc = kv_txn(kv, NULL, 0, many, NOPS);
	tap(rc == ERR_BAD_INPUT && strstr(err_msg(), "too many operations"),
	    "a txn over etcd's op limit is ERR_BAD_INPUT (%s)", err_msg());
	mem_free(many);
	mem_free(keys);
	kv_close(kv);
}

static void check_prefix_isolation(void)
{
	struct kv *a = open_kv(endpoints, "iso/p1", 0, 0);
	struct kv *a2 = open_kv(endpoints, "iso/p1/", 0, 0);
	struct kv *b = open_kv(endpoints, "iso/p1x", 0, 0);
	struct kv *raw = open_kv(endpoints, "", 0, 0);
	if (!a || !a2 || !b || !raw) {
		tap(0, "prefix isolation: open");
		goto out;
	}
	int rc = kv_put_str(a, "t/1", "A") | kv_put_str(b, "t/1", "B") | kv_put_str(b, "t/2", "B2");
	tap(rc == ERR_OK && get_is(a, "t/1", "A", 1) && get_is(b, "t/1", "B", 1),
	    "same key under two prefixes holds two values");
	tap(get_rc(a, "t/2") == ERR_NOT_FOUND, "a key of one prefix is invisible to the other");
	struct kv_list l;
	rc = kv_range(a, "", &l);
	tap(rc == ERR_OK && l.n == 1 && !strcmp(l.items[0].key, "t/1"),
	    "range \"\" stays inside the prefix (p1 does not see p1x)");
	kv_list_free(&l);
	tap(get_is(a2, "t/1", "A", 1), "prefix \"p\" and \"p/\" name the same store");
	tap(get_is(raw, "iso/p1/t/1", "A", 1), "key K is stored at etcd key <prefix>/K");
	rc = kv_range(raw, "iso/", &l);
	tap(rc == ERR_OK && l.n == 3, "the parent prefix sees both stores' keys (%zu)", l.n);
	kv_list_free(&l);
out:
	kv_close(a);
	kv_close(a2);
	kv_close(b);
	kv_close(raw);
}

static void check_paging(void)
{
	enum { N = 1000, BATCH = 100 };
	struct kv *kv = open_kv(endpoints, "paging", 0, 64);
	struct kv *kv_def = open_kv(endpoints, "paging", 0, 0);
	if (!kv || !kv_def) {
		tap(0, "paging: open");
		goto out;
	}
	static char keys[N][16], vals[N][16];
	struct kv_op ops[BATCH];
	int rc = ERR_OK;
	for (int i = 0; i < N && !rc; i += BATCH) {
		for (int j = 0; j < BATCH; j++) {
			snprintf(keys[i + j], 16, "p/%04d", i + j);
			snprintf(vals[i + j], 16, "v%d", (i + j) * 7);
			ops[j] =
			    (struct kv_op){KV_PUT, keys[i + j], vals[i + j], strlen(vals[i + j])};
		}
		rc = kv_txn(kv, NULL, 0, ops, BATCH);
	}
	kv_put_str(kv, "p", "not under p/");
	kv_put_str(kv, "q/0", "after");
	tap(rc == ERR_OK, "wrote %d keys in txns of %d", N, BATCH);
	struct kv *pair[2] = {kv, kv_def};
	const char *names[2] = {"64-key pages", "default pages"};
	for (int p = 0; p < 2; p++) {
		struct kv_list l;
		rc = kv_range(pair[p], "p/", &l);
		int ok = rc == ERR_OK && l.n == N;
		for (size_t i = 0; ok && i < l.n; i++)
			ok = !strcmp(l.items[i].key, keys[i]) &&
			     l.items[i].len == strlen(vals[i]) &&
			     !memcmp(l.items[i].value, vals[i], l.items[i].len);
		tap(ok, "range over %d keys with %s: all, in order, right values (%zu)", N,
		    names[p], l.n);
		kv_list_free(&l);
	}
	struct kv_list l;
	rc = kv_range(kv, "p/09", &l);
	tap(rc == ERR_OK && l.n == 100 && !strcmp(l.items[0].key, "p/0900") &&
	        !strcmp(l.items[99].key, "p/0999"),
	    "sub-prefix range p/09 finds exactly 100 keys across pages");
	kv_list_free(&l);
out:
	kv_close(kv);
	kv_close(kv_def);
}

struct bump_arg {
	struct kv *shared; /* NULL: open an own handle */
	uint64_t ids[50];
	int rc;
};

static void *bump(void *p)
{
	struct bump_arg *a = p;
	struct kv *kv = a->shared ? a->shared : open_kv(endpoints, "counter", 0, 0);
	if (!kv) {
		a->rc = ERR_IO;
		return NULL;
	}
	for (int i = 0; i < 50 && !a->rc; i++)
		a->rc = kv_next_id(kv, a->shared ? "__table_id_shared" : "__table_id", 1024,
		                   &a->ids[i]);
	if (!a->shared)
		kv_close(kv);
	return NULL;
}

static int ids_unique(struct bump_arg *args, int n, uint64_t base)
{
	uint8_t seen[200] = {0};
	for (int i = 0; i < n; i++) {
		if (args[i].rc)
			return 0;
		for (int j = 0; j < 50; j++) {
			uint64_t v = args[i].ids[j];
			if (v < base || v >= base + 150 || seen[v - base]++)
				return 0;
		}
	}
	return 1;
}

static void check_counter(void)
{
	struct bump_arg args[3];
	memset(args, 0, sizeof(args));
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, bump, &args[i]);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	tap(ids_unique(args, 3, 1024), "kv_next_id: 3 threads x 50 ids (own handles) are unique "
	                               "and dense from 1024");
	struct kv *shared = open_kv(endpoints, "counter", 0, 0);
	memset(args, 0, sizeof(args));
	for (int i = 0; i < 3; i++) {
		args[i].shared = shared;
		pthread_create(&t[i], NULL, bump, &args[i]);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	tap(shared && ids_unique(args, 3, 1024),
	    "kv_next_id: 3 threads x 50 ids on one shared handle are unique");
	kv_close(shared);
}

static void check_errors(void)
{
	struct kv *kv = NULL;
	struct kv_etcd_options none = {NULL, root, 0, 0};
	tap(kv_open_etcd(&none, &kv) == ERR_BAD_INPUT && !kv, "no endpoints: ERR_BAD_INPUT");
	struct kv_etcd_options blank = {" , ,", root, 0, 0};
	tap(kv_open_etcd(&blank, &kv) == ERR_BAD_INPUT, "only blanks and commas: ERR_BAD_INPUT");
	struct kv_etcd_options ftp = {"ftp://127.0.0.1:1", root, 0, 0};
	tap(kv_open_etcd(&ftp, &kv) == ERR_BAD_INPUT, "ftp:// endpoint: ERR_BAD_INPUT");

	/* port 1: privileged, nothing listens there */
	char dead[64] = "http://127.0.0.1:1";
	kv = open_kv(dead, "errors", 800, 0);
	int64_t t0 = mono_ms();
	int rc = kv ? kv_put_str(kv, "x", "1") : ERR_INTERNAL;
	int64_t took = mono_ms() - t0;
	tap(rc == ERR_UNAVAILABLE && took >= 700 && took < 3000,
	    "only a dead endpoint: ERR_UNAVAILABLE after the 800 ms deadline (%" PRId64 " ms: %s)",
	    took, err_msg());
	kv_close(kv);

	char both[512];
	snprintf(both, sizeof(both), "127.0.0.1:1, %s", endpoints);
	kv = open_kv(both, "errors", 3000, 0);
	t0 = mono_ms();
	rc = kv ? kv_put_str(kv, "x", "1") : ERR_INTERNAL;
	took = mono_ms() - t0;
	tap(rc == ERR_OK && kv && get_is(kv, "x", "1", 1),
	    "dead endpoint first, live second: rotates and works (%" PRId64 " ms)", took);
	kv_close(kv);
}

/* ================================================================ election */

static atomic_int leaders_now, leaders_max;

struct cand {
	struct election *e;
	uint64_t id;
	atomic_int elected, lost;
	atomic_llong term;
	atomic_llong elected_at;
};

static void on_elected(void *arg, int64_t term)
{
	struct cand *c = arg;
	int n = atomic_fetch_add(&leaders_now, 1) + 1;
	int m = atomic_load(&leaders_max);
	while (n > m && !atomic_compare_exchange_weak(&leaders_max, &m, n)) {
	}
	atomic_store(&c->term, term);
	atomic_store(&c->elected_at, mono_ms());
	atomic_fetch_add(&c->elected, 1);
}

static void on_lost(void *arg)
{
	struct cand *c = arg;
	atomic_fetch_sub(&leaders_now, 1);
	atomic_fetch_add(&c->lost, 1);
}

static int cand_start(struct cand *c, uint64_t id, int ttl_ms, const char *eps)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	char addr[64], prefix[160];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", 3000 + (int)id);
	snprintf(prefix, sizeof(prefix), "%s/elect", root);
	struct election_options o = {.etcd = {eps, prefix, 3000, 0},
	                             .id = id,
	                             .addr = addr,
	                             .ttl_ms = ttl_ms,
	                             .on_elected = on_elected,
	                             .on_lost = on_lost,
	                             .arg = c};
	return election_start(&o, &c->e);
}

/* Wait until exactly one of n candidates leads; returns its index or -1. */
static int wait_one_leader(struct cand *c, int n, int64_t deadline_ms)
{
	while (mono_ms() < deadline_ms) {
		int who = -1, count = 0;
		for (int i = 0; i < n; i++)
			if (c[i].e && election_is_leader(c[i].e)) {
				who = i;
				count++;
			}
		if (count == 1)
			return who;
		clock_sleep_ms(20);
	}
	return -1;
}

/* Does every running candidate see `id` as the leader (within the deadline)? */
static int all_see(struct cand *c, int n, uint64_t id, int64_t deadline_ms)
{
	while (mono_ms() < deadline_ms) {
		int ok = 1;
		for (int i = 0; i < n && ok; i++) {
			uint64_t got;
			char addr[64], want[64];
			snprintf(want, sizeof(want), "127.0.0.1:%d", 3000 + (int)id);
			if (!c[i].e)
				continue;
			ok = election_leader(c[i].e, &got, addr, sizeof(addr)) == ERR_OK &&
			     got == id && !strcmp(addr, want);
		}
		if (ok)
			return 1;
		clock_sleep_ms(20);
	}
	return 0;
}

/* The leader key's lease, read raw. */
static int64_t leader_lease(void)
{
	struct etcd_client *c;
	int64_t lease = 0;
	if (etcd_client_open(endpoints, 3000, &c))
		return 0;
	char key[256];
	snprintf(key, sizeof(key), "%s/elect/%s", root, ELECTION_KEY);
	struct buf b;
	buf_init(&b);
	cJSON *j = NULL;
	struct etcd_range r = {0};
	if (!etcd_req_range(&b, key, strlen(key), NULL, 0, 0, 0) &&
	    !etcd_call(c, "/v3/kv/range", &b, 0, &j) && !etcd_parse_range(j, &r) && r.n == 1)
		lease = r.kvs[0].lease;
	etcd_range_free(&r);
	cJSON_Delete(j);
	buf_free(&b);
	etcd_client_close(c);
	return lease;
}

static int raw_post(const char *path, const char *body)
{
	struct etcd_client *c;
	if (etcd_client_open(endpoints, 3000, &c))
		return err_code();
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s", body);
	cJSON *j = NULL;
	int rc = etcd_call(c, path, &b, 0, &j);
	cJSON_Delete(j);
	buf_free(&b);
	etcd_client_close(c);
	return rc;
}

static void check_election_in_process(void)
{
	struct cand c[2];
	atomic_store(&leaders_now, 0);
	atomic_store(&leaders_max, 0);
	int rc = cand_start(&c[0], 1, 2000, endpoints) | cand_start(&c[1], 2, 2000, endpoints);
	tap(rc == ERR_OK, "two candidates start");
	if (rc) {
		election_stop(c[0].e);
		election_stop(c[1].e);
		return;
	}
	int w = wait_one_leader(c, 2, mono_ms() + 5000);
	tap(w >= 0, "exactly one of two candidates leads");
	if (w < 0)
		goto out;
	int o = 1 - w;
	tap(all_see(c, 2, c[w].id, mono_ms() + 3000),
	    "both see candidate %" PRIu64 " and its address as leader", c[w].id);
	struct kv *kv = open_kv(endpoints, "elect", 0, 0);
	uint64_t id = 0;
	char addr[64] = "";
	rc = kv ? election_lookup(kv, &id, addr, sizeof(addr)) : ERR_INTERNAL;
	tap(rc == ERR_OK && id == c[w].id && !strcmp(addr, w ? "127.0.0.1:3002" : "127.0.0.1:3001"),
	    "election_lookup through the KV store names the leader (%" PRIu64 " at %s)", id, addr);
	int64_t term1 = atomic_load(&c[w].term);
	tap(term1 > 0 && atomic_load(&c[w].elected) == 1 && atomic_load(&c[o].elected) == 0,
	    "on_elected ran once, on the winner only (term %lld)", (long long)term1);

	/* Resign: the other takes over at once (the key is deleted). */
	int64_t t0 = mono_ms();
	election_stop(c[w].e);
	c[w].e = NULL;
	tap(atomic_load(&c[w].lost) == 1, "resigning calls on_lost");
	int w2 = wait_one_leader(c, 2, t0 + 3000);
	int64_t took = mono_ms() - t0;
	tap(w2 == o && took < 1500,
	    "after a resign the other candidate leads within %" PRId64 " ms", took);
	tap(atomic_load(&c[o].term) > term1, "the new term is higher (%lld > %lld)",
	    (long long)atomic_load(&c[o].term), (long long)term1);

	/* Lease revoked behind the leader's back: it notices and steps down,
	 * then the election converges again (it may win again). */
	int64_t lease = leader_lease();
	char body[64];
	snprintf(body, sizeof(body), "{\"ID\":\"%" PRId64 "\"}", lease);
	int64_t term2 = atomic_load(&c[o].term);
	t0 = mono_ms();
	rc = lease ? raw_post("/v3/lease/revoke", body) : ERR_NOT_FOUND;
	int lost = 0;
	while (mono_ms() - t0 < 3000 && !(lost = atomic_load(&c[o].lost)))
		clock_sleep_ms(10);
	tap(rc == ERR_OK && lost == 1,
	    "revoking the leader's lease: it steps down in %" PRId64 " ms", mono_ms() - t0);
	w2 = wait_one_leader(c, 2, mono_ms() + 4000);
	tap(w2 == o && atomic_load(&c[o].term) > term2 && atomic_load(&c[o].elected) == 2,
	    "... and leads again with a new lease and a higher term");

	/* Key deleted behind the leader's back. */
	char key[256], *k64;
	snprintf(key, sizeof(key), "%s/elect/%s", root, ELECTION_KEY);
	k64 = etcd_b64_encode(key, strlen(key));
	struct buf bb;
	buf_init(&bb);
	buf_printf(&bb, "{\"key\":\"%s\"}", k64);
	mem_free(k64);
	t0 = mono_ms();
	rc = raw_post("/v3/kv/deleterange", buf_cstr(&bb));
	buf_free(&bb);
	while (mono_ms() - t0 < 3000 && atomic_load(&c[o].lost) < 2)
		clock_sleep_ms(10);
	tap(rc == ERR_OK && atomic_load(&c[o].lost) == 2,
	    "deleting the leader key: the leader steps down (%" PRId64 " ms)", mono_ms() - t0);
	tap(wait_one_leader(c, 2, mono_ms() + 4000) == o, "... and the election converges again");
	tap(atomic_load(&leaders_max) == 1, "never two leaders at once in this process");
	kv_close(kv);
out:
	election_stop(c[0].e);
	election_stop(c[1].e);
	tap(atomic_load(&leaders_now) == 0, "every on_elected was followed by on_lost");
}

static void check_election_unreachable(void)
{
	struct cand c;
	int rc = cand_start(&c, 9, 2000, "http://127.0.0.1:1");
	clock_sleep_ms(300);
	uint64_t id;
	char addr[32];
	tap(rc == ERR_OK && !election_is_leader(c.e) &&
	        election_leader(c.e, &id, addr, sizeof(addr)) == ERR_NOT_FOUND,
	    "with etcd unreachable a candidate neither leads nor knows a leader");
	int64_t t0 = mono_ms();
	election_stop(c.e);
	int64_t took = mono_ms() - t0;
	tap(took < 1500, "... and stops promptly (%" PRId64 " ms)", took);
	struct election_options bad = {.etcd = {endpoints, root, 0, 0}, .id = 1, .addr = NULL};
	struct election *e = NULL;
	tap(election_start(&bad, &e) == ERR_BAD_INPUT && !e, "no address: ERR_BAD_INPUT");
}

/* ---------------------------------------------------------------- children */

struct child {
	pid_t pid;
	int in_fd, out_fd;
	char line[256];
	size_t len;
};

static int child_spawn(struct child *ch, uint64_t id, int ttl_ms)
{
	int in[2], out[2];
	memset(ch, 0, sizeof(*ch));
	ch->pid = -1;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return ERR_IO;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	char ids[24], ttl[24], prefix[160];
	snprintf(ids, sizeof(ids), "%" PRIu64, id);
	snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	snprintf(prefix, sizeof(prefix), "%s/elect", root);
	char *argv[] = {"etcd_check", "candidate", ids, ttl, prefix, NULL};
	int rc = posix_spawn(&ch->pid, "/proc/self/exe", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	ch->in_fd = in[1];
	ch->out_fd = out[0];
	return rc ? ERR_IO : ERR_OK;
}

/* Next line from any child before the deadline: returns the child's index
 * and copies the line, or -1. */
static int next_line(struct child *ch, int n, char *line, size_t cap, int64_t deadline)
{
	for (;;) {
		for (int i = 0; i < n; i++) {
			char *nl = ch[i].len ? memchr(ch[i].line, '\n', ch[i].len) : NULL;
			if (nl) {
				size_t k = (size_t)(nl - ch[i].line);
				snprintf(line, cap, "%.*s", (int)k, ch[i].line);
				memmove(ch[i].line, nl + 1, ch[i].len - k - 1);
				ch[i].len -= k + 1;
				return i;
			}
		}
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return -1;
		struct pollfd p[8];
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){ch[i].out_fd, POLLIN, 0};
		if (poll(p, (nfds_t)n, (int)left) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP)) || ch[i].out_fd < 0)
				continue;
			ssize_t got = read(ch[i].out_fd, ch[i].line + ch[i].len,
			                   sizeof(ch[i].line) - 1 - ch[i].len);
			if (got > 0) {
				ch[i].len += (size_t)got;
			} else {
				close(ch[i].out_fd);
				ch[i].out_fd = -1; /* poll ignores negative fds */
			}
		}
	}
}

static void child_reap(struct child *ch, int sig)
{
	if (ch->pid > 0) {
		if (sig)
			kill(ch->pid, sig);
		if (ch->in_fd >= 0)
			close(ch->in_fd);
		ch->in_fd = -1;
		waitpid(ch->pid, NULL, 0);
		ch->pid = -1;
	}
	if (ch->in_fd >= 0)
		close(ch->in_fd);
	if (ch->out_fd >= 0)
		close(ch->out_fd);
	ch->in_fd = ch->out_fd = -1;
}

/* Two candidate processes; SIGKILL the winner; the other must lead within
 * ~3 s (TTL 2 s). */
static void check_election_failover(const char *what)
{
	struct child ch[2];
	int rc = child_spawn(&ch[0], 11, 2000);
	rc |= child_spawn(&ch[1], 12, 2000);
	tap(rc == ERR_OK, "%s: two candidate processes start", what);
	char line[256];
	int w = -1;
	int64_t deadline = mono_ms() + 8000;
	while (w < 0) {
		int i = next_line(ch, 2, line, sizeof(line), deadline);
		if (i < 0)
			break;
		if (!strncmp(line, "elected ", 8))
			w = i;
	}
	tap(w >= 0, "%s: one candidate process is elected", what);
	if (w < 0)
		goto out;
	/* the loser must stay quiet while the winner lives */
	int other = next_line(ch, 2, line, sizeof(line), mono_ms() + 1000);
	tap(other < 0, "%s: the other process is not elected while the winner lives%s%s", what,
	    other >= 0 ? ": " : "", other >= 0 ? line : "");
	int64_t t0 = mono_ms();
	kill(ch[w].pid, SIGKILL);
	int got = -1;
	deadline = t0 + 6000;
	while (got < 0) {
		int i = next_line(ch, 2, line, sizeof(line), deadline);
		if (i < 0)
			break;
		if (i == 1 - w && !strncmp(line, "elected ", 8))
			got = i;
	}
	int64_t took = mono_ms() - t0;
	tap(got == 1 - w && took <= 3500,
	    "%s: after SIGKILL of the leader the other process leads in %" PRId64
	    " ms (TTL 2000 ms, target ~3 s)",
	    what, took);
	/* the survivor resigns when its stdin closes: the key is gone */
	close(ch[1 - w].in_fd);
	ch[1 - w].in_fd = -1;
	int st = -1;
	waitpid(ch[1 - w].pid, &st, 0);
	ch[1 - w].pid = -1;
	struct kv *kv = open_kv(endpoints, "elect", 0, 0);
	uint64_t id;
	char addr[64];
	tap(WIFEXITED(st) && WEXITSTATUS(st) == 0 && kv &&
	        election_lookup(kv, &id, addr, sizeof(addr)) == ERR_NOT_FOUND,
	    "%s: the survivor resigns cleanly on shutdown and the leader key is gone", what);
	kv_close(kv);
out:
	child_reap(&ch[0], SIGKILL);
	child_reap(&ch[1], SIGKILL);
}

static void print_elected(void *arg, int64_t term)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "elected %" PRIu64 " %" PRId64 "\n", *(uint64_t *)arg,
	                 term);
	if (write(1, line, (size_t)n) < 0)
		_exit(3);
}

static void print_lost(void *arg)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "lost %" PRIu64 "\n", *(uint64_t *)arg);
	if (write(1, line, (size_t)n) < 0)
		_exit(3);
}

static int candidate_main(int argc, char **argv)
{
	if (argc != 5 || !endpoints)
		return 2;
	uint64_t id = strtoull(argv[2], NULL, 10);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%" PRIu64, 3000 + id);
	struct election_options o = {.etcd = {endpoints, argv[4], 3000, 0},
	                             .id = id,
	                             .addr = addr,
	                             .ttl_ms = atoi(argv[3]),
	                             .on_elected = print_elected,
	                             .on_lost = print_lost,
	                             .arg = &id};
	struct election *e;
	if (election_start(&o, &e)) {
		fprintf(stderr, "candidate %" PRIu64 ": %s\n", id, err_msg());
		return 1;
	}
	char c;
	while (read(0, &c, 1) > 0) {
	}
	election_stop(e);
	return 0;
}

/* ================================================================ cluster */

static int split_list(const char *s, char out[][128], int max)
{
	int n = 0;
	while (s && *s && n < max) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		snprintf(out[n++], 128, "%.*s", (int)len, s);
		s = comma ? comma + 1 : NULL;
	}
	return n;
}

/* Which endpoint's member is the raft leader? -1 when unknown. */
static int raft_leader(char eps[][128], int n, const int *dead)
{
	for (int i = 0; i < n; i++) {
		if (dead[i])
			continue;
		struct etcd_client *c;
		if (etcd_client_open(eps[i], 1000, &c))
			continue;
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "{}");
		cJSON *j = NULL;
		int found = 0;
		if (!etcd_call(c, "/v3/maintenance/status", &b, 0, &j)) {
			/* member ids are uint64: compare them as the strings they are */
			const cJSON *leader = cJSON_GetObjectItemCaseSensitive(j, "leader");
			const cJSON *me = cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItemCaseSensitive(j, "header"), "member_id");
			found = cJSON_IsString(leader) && cJSON_IsString(me) &&
			        !strcmp(leader->valuestring, me->valuestring);
		}
		cJSON_Delete(j);
		buf_free(&b);
		etcd_client_close(c);
		if (found)
			return i;
	}
	return -1;
}

static int is_etcd(pid_t pid)
{
	char path[64], comm[32] = "";
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return !strcmp(comm, "etcd\n");
}

/* Start member i again with the command line etcd-up.sh saved. */
static pid_t restart_member(const char *dir, int i)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/n%d.cmd", dir, i + 1);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	static char args[32][512];
	char *argv[33];
	int n = 0;
	while (n < 32 && fgets(args[n], sizeof(args[n]), f)) {
		args[n][strcspn(args[n], "\n")] = 0;
		argv[n] = args[n];
		n++;
	}
	fclose(f);
	argv[n] = NULL;
	snprintf(path, sizeof(path), "%s/n%d.log", dir, i + 1);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid = -1;
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ))
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	if (pid > 0) {
		snprintf(path, sizeof(path), "%s/n%d.pid", dir, i + 1);
		FILE *pf = fopen(path, "w");
		if (pf) {
			fprintf(pf, "%d\n", (int)pid);
			fclose(pf);
		}
	}
	return pid;
}

static int cluster_main(void)
{
	const char *pids_s = getenv("STRATA_ETCD_PIDS");
	const char *dir = getenv("STRATA_ETCD_DIR");
	char eps[3][128], pids[3][128];
	int n = split_list(endpoints, eps, 3);
	if (n != 3 || split_list(pids_s, pids, 3) != 3 || !dir) {
		tap(0, "cluster mode needs 3 endpoints, STRATA_ETCD_PIDS and STRATA_ETCD_DIR");
		return 1;
	}
	int dead[3] = {0, 0, 0};
	pid_t pid[3];
	for (int i = 0; i < 3; i++)
		pid[i] = (pid_t)atoi(pids[i]);

	struct kv *kv = open_kv(endpoints, "cluster", 5000, 0);
	tap(kv && kv_put_str(kv, "before", "1") == ERR_OK && get_is(kv, "before", "1", 1),
	    "all members up: put/get work");

	int L = raft_leader(eps, 3, dead);
	tap(L >= 0 && is_etcd(pid[L]), "found the raft leader member (n%d)", L + 1);
	if (L < 0 || !is_etcd(pid[L]))
		goto out;
	/* a client whose first endpoint is the leader that is about to die */
	char order[512];
	snprintf(order, sizeof(order), "%s,%s,%s", eps[L], eps[(L + 1) % 3], eps[(L + 2) % 3]);
	struct kv *kv2 = open_kv(order, "cluster", 5000, 0);
	tap(kv2 && get_is(kv2, "before", "1", 1), "client with the leader's endpoint first works");
	kill(pid[L], SIGKILL);
	waitpid(pid[L], NULL, WNOHANG);
	dead[L] = 1;
	int64_t t0 = mono_ms();
	int rc = kv2 ? kv_put_str(kv2, "after-kill", "2") : ERR_INTERNAL;
	int64_t took = mono_ms() - t0;
	tap(rc == ERR_OK,
	    "leader member SIGKILLed: the next put succeeds via another endpoint in "
	    "%" PRId64 " ms",
	    took);
	struct kv_list l;
	rc = kv2 ? kv_range(kv2, "", &l) : ERR_INTERNAL;
	tap(rc == ERR_OK && l.n == 2 && !strcmp(l.items[0].key, "after-kill"),
	    "range works after the kill (%zu keys)", rc ? (size_t)0 : l.n);
	if (!rc)
		kv_list_free(&l);
	struct kv_cmp cmp = {"before", "1", 1};
	struct kv_op op = {KV_PUT, "before", "1b", 2};
	tap(kv2 && kv_txn(kv2, &cmp, 1, &op, 1) == ERR_OK && get_is(kv, "before", "1b", 2),
	    "txn works after the kill, and the other client sees it");
	uint64_t a = 0, b = 0;
	tap(kv2 && kv_next_id(kv2, "id", 1, &a) == ERR_OK &&
	        kv_next_id(kv, "id", 1, &b) == ERR_OK && a == 1 && b == 2,
	    "kv_next_id works from both clients after the kill");

	/* An election on the two surviving members. */
	struct cand c[2];
	atomic_store(&leaders_now, 0);
	atomic_store(&leaders_max, 0);
	rc = cand_start(&c[0], 1, 2000, order) | cand_start(&c[1], 2, 2000, order);
	int w = rc ? -1 : wait_one_leader(c, 2, mono_ms() + 6000);
	tap(w >= 0, "election on 2 of 3 members (dead endpoint first): one leader");
	election_stop(c[0].e);
	election_stop(c[1].e);

	/* Quorum lost: operations fail within their deadline instead of hanging. */
	int S = (L + 1) % 3;
	if (is_etcd(pid[S])) {
		kill(pid[S], SIGKILL);
		waitpid(pid[S], NULL, WNOHANG);
		dead[S] = 1;
	}
	struct kv *kv3 = open_kv(order, "cluster", 1500, 0);
	t0 = mono_ms();
	rc = kv3 ? kv_put_str(kv3, "no-quorum", "x") : ERR_INTERNAL;
	took = mono_ms() - t0;
	tap(rc == ERR_UNAVAILABLE && took < 4000,
	    "2 of 3 members dead: put fails with ERR_UNAVAILABLE in %" PRId64 " ms (deadline 1500)",
	    took);
	t0 = mono_ms();
	rc = kv3 ? get_rc(kv3, "before") : ERR_INTERNAL;
	took = mono_ms() - t0;
	tap(rc == ERR_UNAVAILABLE && took < 4000,
	    "2 of 3 members dead: linearizable get fails with ERR_UNAVAILABLE in %" PRId64 " ms",
	    took);
	kv_close(kv3);

	/* Restart both: the cluster heals and the data is there. */
	for (int i = 0; i < 3; i++)
		if (dead[i]) {
			pid[i] = restart_member(dir, i);
			dead[i] = pid[i] <= 0;
		}
	t0 = mono_ms();
	int ok = 0;
	while (!ok && mono_ms() - t0 < 15000)
		ok = kv2 && get_is(kv2, "before", "1b", 2) &&
		     kv_put_str(kv2, "healed", "3") == ERR_OK;
	tap(ok && !dead[L] && !dead[S],
	    "both members restarted: reads and writes work again after %" PRId64 " ms, data kept",
	    mono_ms() - t0);
	kv_close(kv2);
out:
	kv_close(kv);
	return 0;
}

/* ================================================================ main */

int main(int argc, char **argv)
{
	endpoints = getenv("STRATA_ETCD_ENDPOINTS");
	if (argc > 1 && !strcmp(argv[1], "candidate")) {
		log_set_level(LOG_ERROR);
		return candidate_main(argc, argv);
	}
	if (!endpoints || !endpoints[0]) {
		printf("not ok 1 - STRATA_ETCD_ENDPOINTS is not set\n1..1\n");
		return 1;
	}
	if (!getenv("STRATA_LOG"))
		log_set_level(LOG_ERROR);
	snprintf(root, sizeof(root), "/etcdcheck-%d-%" PRId64, (int)getpid(), clock_now_ms());
	if (argc > 1 && !strcmp(argv[1], "cluster")) {
		cluster_main();
	} else {
		check_basic();
		check_values();
		check_txn();
		check_prefix_isolation();
		check_paging();
		check_counter();
		check_errors();
		check_election_in_process();
		check_election_unreachable();
		check_election_failover("two processes");
	}
	cleanup_root(endpoints);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
