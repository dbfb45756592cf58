/* Unit tests for src/objstore: key rules, the fs backend, the wrappers'
 * stats and fault points, and the test backend's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/mem.h"
#include "objstore/objstore.h"

struct fixture {
	char dir[64];
	struct objstore *os;
};

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/strata-objstore-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	char root[128];
	snprintf(root, sizeof(root), "%s/root/", fx->dir); /* trailing '/' on purpose */
	if (objstore_open_fs(root, &fx->os) != ERR_OK)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	objstore_close(fx->os);
	fault_disarm_all();
	nftw(fx->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void put_str(struct objstore *os, const char *key, const char *s)
{
	assert_int_equal(objstore_put(os, key, s, strlen(s), 0), ERR_OK);
}

static void assert_object(struct objstore *os, const char *key, const char *want)
{
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(os, key, &d, &n), ERR_OK);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(d, want, n);
	mem_free(d);
}

static int path_exists(struct fixture *fx, const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", fx->dir, rel);
	return stat(p, &st) == 0;
}

static void test_key_rules(void **state)
{
	(void)state;
	const char *good[] = {"a", "a/b.c", "data/greptime/public/1024/1024_0000000000/x.json",
			      ".hidden", "a/..b", "a/b..", "_last_checkpoint"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(objstore_check_key(good[i]), ERR_OK);
	const char *bad[] = {"", "/abs", "../x", "a//b", "a/", "a/./b", "a/..", ".", "..", "a/../b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(objstore_check_key(bad[i]), ERR_BAD_INPUT);
		assert_true(strlen(err_msg()) > 0);
	}
	assert_int_equal(objstore_check_key(NULL), ERR_BAD_INPUT);
	char longkey[1100];
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(objstore_check_key(longkey), ERR_BAD_INPUT);
	longkey[1024] = '\0';
	assert_int_equal(objstore_check_key(longkey), ERR_OK);
}

static void test_put_get_overwrite(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	assert_string_equal(objstore_backend_name(os), "fs");
	put_str(os, "a/b/c/obj", "hello");
	assert_true(path_exists(fx, "root/a/b/c/obj"));
	assert_object(os, "a/b/c/obj", "hello");
	put_str(os, "a/b/c/obj", "second version");
	assert_object(os, "a/b/c/obj", "second version");
	/* empty object */
	assert_int_equal(objstore_put(os, "empty", NULL, 0, 0), ERR_OK);
	assert_object(os, "empty", "");
	/* binary payload with NULs */
	uint8_t bin[300];
	for (int i = 0; i < 300; i++)
		bin[i] = (uint8_t)(i * 7);
	assert_int_equal(objstore_put(os, "bin", bin, sizeof(bin), 0), ERR_OK);
	uint8_t *d = (uint8_t *)1;
	size_t n = 99;
	assert_int_equal(objstore_get(os, "bin", &d, &n), ERR_OK);
	assert_int_equal(n, 300);
	assert_memory_equal(d, bin, 300);
	mem_free(d);
	/* missing: outputs cleared */
	d = (uint8_t *)1;
	n = 99;
	assert_int_equal(objstore_get(os, "no/such/key", &d, &n), ERR_NOT_FOUND);
	assert_null(d);
	assert_int_equal(n, 0);
	/* a folder is not an object; a key below an object is missing */
	assert_int_equal(objstore_get(os, "a/b", &d, &n), ERR_NOT_FOUND);
	assert_int_equal(objstore_get(os, "bin/below", &d, &n), ERR_NOT_FOUND);
	/* no temporary files left behind */
	struct objstore_list l;
	assert_int_equal(objstore_list(os, "", &l), ERR_OK);
	assert_int_equal(l.n, 3);
	objstore_list_free(&l);
}

static void test_get_range(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	put_str(os, "r", "0123456789");
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get_range(os, "r", 2, 5, &d, &n), ERR_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(d, "23456", 5);
	mem_free(d);
	assert_int_equal(objstore_get_range(os, "r", 7, 100, &d, &n), ERR_OK); /* clamped */
	assert_int_equal(n, 3);
	assert_memory_equal(d, "789", 3);
	mem_free(d);
	assert_int_equal(objstore_get_range(os, "r", 0, UINT64_MAX, &d, &n), ERR_OK);
	assert_int_equal(n, 10);
	mem_free(d);
	assert_int_equal(objstore_get_range(os, "r", 10, 5, &d, &n), ERR_OK); /* at end */
	assert_int_equal(n, 0);
	mem_free(d);
	assert_int_equal(objstore_get_range(os, "r", UINT64_MAX - 1, 5, &d, &n), ERR_OK);
	assert_int_equal(n, 0);
	mem_free(d);
	assert_int_equal(objstore_get_range(os, "r", 3, 0, &d, &n), ERR_OK);
	assert_int_equal(n, 0);
	mem_free(d);
	assert_int_equal(objstore_get_range(os, "missing", 0, 1, &d, &n), ERR_NOT_FOUND);
	assert_null(d);
	assert_int_equal(n, 0);
}

static void test_head(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	int64_t before = clock_now_ms();
	put_str(os, "h/obj", "12345");
	uint64_t size = 0;
	int64_t mt = 0;
	assert_int_equal(objstore_head(os, "h/obj", &size, &mt), ERR_OK);
	assert_int_equal(size, 5);
	assert_true(mt >= before - 2000 && mt <= clock_now_ms() + 2000);
	size = 7;
	assert_int_equal(objstore_head(os, "h/none", &size, &mt), ERR_NOT_FOUND);
	assert_int_equal(size, 0);
	assert_int_equal(objstore_head(os, "h", &size, &mt), ERR_NOT_FOUND); /* a folder */
}

static void expect_list(struct objstore *os, const char *prefix, const char **want, size_t nwant)
{
	struct objstore_list l;
	assert_int_equal(objstore_list(os, prefix, &l), ERR_OK);
	if (l.n != nwant) {
		for (size_t i = 0; i < l.n; i++)
			fprintf(stderr, "  got %s\n", l.keys[i]);
	}
	assert_int_equal(l.n, nwant);
	for (size_t i = 0; i < nwant; i++) {
		assert_string_equal(l.keys[i], want[i]);
		assert_int_equal(l.sizes[i], strlen(want[i])); /* content == key */
	}
	objstore_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.keys);
}

static void test_list_prefix_sorted(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	/* put in scrambled order; content = key so sizes are checkable */
	const char *keys[] = {"b", "a/c", "ab", "a/b/2", "a.x", "a/b/1", "a/b/10", "m/0001.json",
			      "m/0000.json", "m/_last"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_str(os, keys[i], keys[i]);
	/* a stale temporary file from a crashed writer is invisible */
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s/root/a/.tmp-123-4-5", fx->dir);
	int fd = open(tmp, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);

	/* bytewise order: '.' (0x2e) < '/' (0x2f) < '0' ... < 'b' */
	const char *all[] = {"a.x",   "a/b/1", "a/b/10",      "a/b/2",       "a/c",
			     "ab",    "b",     "m/0000.json", "m/0001.json", "m/_last"};
	expect_list(os, "", all, 10);
	const char *under_a[] = {"a/b/1", "a/b/10", "a/b/2", "a/c"};
	expect_list(os, "a/", under_a, 4);
	const char *starts_a[] = {"a.x", "a/b/1", "a/b/10", "a/b/2", "a/c", "ab"};
	expect_list(os, "a", starts_a, 6);
	const char *ab1[] = {"a/b/1", "a/b/10"};
	expect_list(os, "a/b/1", ab1, 2);
	const char *mjson[] = {"m/0000.json", "m/0001.json"};
	expect_list(os, "m/0", mjson, 2);
	expect_list(os, "zzz", NULL, 0);
	expect_list(os, "no/such/folder/", NULL, 0);
	expect_list(os, "b/", NULL, 0); /* "b" is an object, not a folder */

	/* reserved temp names can't be read or written through the store */
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(os, "a/.tmp-123-4-5", &d, &n), ERR_BAD_INPUT);
	assert_int_equal(objstore_put(os, ".tmp-x/y", "z", 1, 0), ERR_BAD_INPUT);

	struct objstore_list l;
	assert_int_equal(objstore_list(os, "/a", &l), ERR_BAD_INPUT);
	assert_int_equal(l.n, 0);
	assert_int_equal(objstore_list(os, "../", &l), ERR_BAD_INPUT);
	assert_int_equal(objstore_list(os, "a//", &l), ERR_BAD_INPUT);
}

static void test_delete(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	put_str(os, "d/e/f/obj", "x");
	put_str(os, "d/keep", "y");
	assert_int_equal(objstore_delete(os, "d/e/f/obj"), ERR_OK);
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(os, "d/e/f/obj", &d, &n), ERR_NOT_FOUND);
	assert_false(path_exists(fx, "root/d/e")); /* empty folders pruned */
	assert_true(path_exists(fx, "root/d/keep"));
	assert_int_equal(objstore_delete(os, "d/e/f/obj"), ERR_OK); /* idempotent */
	assert_int_equal(objstore_delete(os, "never/there"), ERR_OK);
	assert_int_equal(objstore_delete(os, "d"), ERR_OK); /* a folder: no such object */
	assert_object(os, "d/keep", "y");
	assert_int_equal(objstore_delete(os, "d/keep"), ERR_OK);
	assert_false(path_exists(fx, "root/d"));
	assert_true(path_exists(fx, "root")); /* the root stays */
	/* put recreates pruned folders */
	put_str(os, "d/e/f/obj", "again");
	assert_object(os, "d/e/f/obj", "again");
}

static void test_bad_keys_refused(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	const char *bad[] = {"../x", "/abs", "a//b", "a/", "./x", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *d = (uint8_t *)1;
		size_t n = 1;
		uint64_t sz;
		int64_t mt;
		assert_int_equal(objstore_put(os, bad[i], "v", 1, 0), ERR_BAD_INPUT);
		assert_int_equal(objstore_get(os, bad[i], &d, &n), ERR_BAD_INPUT);
		assert_null(d);
		assert_int_equal(objstore_get_range(os, bad[i], 0, 1, &d, &n), ERR_BAD_INPUT);
		assert_int_equal(objstore_head(os, bad[i], &sz, &mt), ERR_BAD_INPUT);
		assert_int_equal(objstore_delete(os, bad[i]), ERR_BAD_INPUT);
	}
	/* nothing escaped the root */
	assert_false(path_exists(fx, "x"));
	assert_false(path_exists(fx, "root/a"));
	struct objstore_list l;
	assert_int_equal(objstore_list(os, "", &l), ERR_OK);
	assert_int_equal(l.n, 0);
	objstore_list_free(&l);
}

struct race_arg {
	struct objstore *os;
	const char *key;
	int id;
	pthread_barrier_t *bar;
	int rc;
};

static void *race_put(void *p)
{
	struct race_arg *a = p;
	char val[64];
	snprintf(val, sizeof(val), "writer-%d", a->id);
	pthread_barrier_wait(a->bar);
	a->rc = objstore_put(a->os, a->key, val, strlen(val), OBJSTORE_PUT_IF_ABSENT);
	return NULL;
}

static void test_put_if_absent(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	assert_int_equal(objstore_put(os, "pia/k", "one", 3, OBJSTORE_PUT_IF_ABSENT), ERR_OK);
	assert_int_equal(objstore_put(os, "pia/k", "two", 3, OBJSTORE_PUT_IF_ABSENT), ERR_EXISTS);
	assert_object(os, "pia/k", "one");
	/* a plain put still overwrites */
	put_str(os, "pia/k", "three");
	assert_object(os, "pia/k", "three");

	enum { NT = 8, ROUNDS = 6 };
	for (int round = 0; round < ROUNDS; round++) {
		char key[32];
		snprintf(key, sizeof(key), "race/%d/v", round);
		pthread_barrier_t bar;
		pthread_barrier_init(&bar, NULL, NT);
		pthread_t th[NT];
		struct race_arg args[NT];
		for (int i = 0; i < NT; i++) {
			args[i] = (struct race_arg){os, key, i, &bar, -1};
			pthread_create(&th[i], NULL, race_put, &args[i]);
		}
		int winners = 0, winner = -1;
		for (int i = 0; i < NT; i++) {
			pthread_join(th[i], NULL);
			if (args[i].rc == ERR_OK) {
				winners++;
				winner = i;
			} else {
				assert_int_equal(args[i].rc, ERR_EXISTS);
			}
		}
		pthread_barrier_destroy(&bar);
		assert_int_equal(winners, 1);
		char want[64];
		snprintf(want, sizeof(want), "writer-%d", winner);
		assert_object(os, key, want);
	}
	/* losers left no temporary files */
	struct objstore_list l;
	assert_int_equal(objstore_list(os, "race/", &l), ERR_OK);
	assert_int_equal(l.n, ROUNDS);
	objstore_list_free(&l);
}

/* Readers racing a plain overwrite see a whole old or whole new object. */
struct atom_arg {
	struct objstore *os;
	int stop;
	int bad;
};

static void *atom_reader(void *p)
{
	struct atom_arg *a = p;
	while (!__atomic_load_n(&a->stop, __ATOMIC_RELAXED)) {
		uint8_t *d;
		size_t n;
		if (objstore_get(a->os, "atom", &d, &n) != ERR_OK) {
			a->bad++;
			continue;
		}
		if (n != 4096)
			a->bad++;
		for (size_t i = 1; i < n; i++)
			if (d[i] != d[0]) {
				a->bad++;
				break;
			}
		mem_free(d);
	}
	return NULL;
}

static void test_put_atomic_for_readers(void **state)
{
	struct fixture *fx = *state;
	static uint8_t payload[4096];
	memset(payload, 'A', sizeof(payload));
	assert_int_equal(objstore_put(fx->os, "atom", payload, sizeof(payload), 0), ERR_OK);
	struct atom_arg a = {fx->os, 0, 0};
	pthread_t th;
	pthread_create(&th, NULL, atom_reader, &a);
	for (int i = 0; i < 40; i++) {
		memset(payload, 'A' + i % 26, sizeof(payload));
		assert_int_equal(objstore_put(fx->os, "atom", payload, sizeof(payload), 0), ERR_OK);
	}
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	assert_int_equal(a.bad, 0);
}

/* delete prunes empty folders while another writer fills them: put must
 * recreate the folder and succeed every time. */
struct prune_arg {
	struct objstore *os;
	int id;
	int failures;
};

static void *prune_worker(void *p)
{
	struct prune_arg *a = p;
	for (int i = 0; i < 60; i++) {
		char key[64];
		snprintf(key, sizeof(key), "p/q/r/w%d-%d", a->id, i);
		if (objstore_put(a->os, key, "v", 1, 0) != ERR_OK)
			a->failures++;
		if (objstore_delete(a->os, key) != ERR_OK)
			a->failures++;
	}
	return NULL;
}

static void test_put_delete_prune_race(void **state)
{
	struct fixture *fx = *state;
	enum { NT = 3 };
	pthread_t th[NT];
	struct prune_arg args[NT];
	for (int i = 0; i < NT; i++) {
		args[i] = (struct prune_arg){fx->os, i, 0};
		pthread_create(&th[i], NULL, prune_worker, &args[i]);
	}
	int failures = 0;
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		failures += args[i].failures;
	}
	assert_int_equal(failures, 0);
	assert_false(path_exists(fx, "root/p"));
}

static void test_stats(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	struct objstore_stats st;
	objstore_get_stats(os, &st);
	assert_int_equal(st.puts + st.gets + st.errors + st.bytes_written, 0);
	put_str(os, "s/a", "abcd");
	put_str(os, "s/b", "xy");
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(os, "s/a", &d, &n), ERR_OK);
	mem_free(d);
	assert_int_equal(objstore_get_range(os, "s/a", 1, 2, &d, &n), ERR_OK);
	mem_free(d);
	assert_int_equal(objstore_get(os, "s/missing", &d, &n), ERR_NOT_FOUND);
	assert_int_equal(objstore_put(os, "s/a", "z", 1, OBJSTORE_PUT_IF_ABSENT), ERR_EXISTS);
	assert_int_equal(objstore_put(os, "../bad", "z", 1, 0), ERR_BAD_INPUT);
	assert_int_equal(objstore_head(os, "s/b", NULL, NULL), ERR_OK);
	struct objstore_list l;
	assert_int_equal(objstore_list(os, "s/", &l), ERR_OK);
	objstore_list_free(&l);
	assert_int_equal(objstore_delete(os, "s/b"), ERR_OK);
	objstore_get_stats(os, &st);
	assert_int_equal(st.puts, 4);
	assert_int_equal(st.gets, 2);
	assert_int_equal(st.range_gets, 1);
	assert_int_equal(st.heads, 1);
	assert_int_equal(st.lists, 1);
	assert_int_equal(st.deletes, 1);
	assert_int_equal(st.bytes_written, 6);
	assert_int_equal(st.bytes_read, 4 + 2);
	assert_int_equal(st.errors, 1); /* only the bad key; NOT_FOUND/EXISTS are answers */
}

static void test_fault_points(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	assert_int_equal(fault_arm_spec("objstore.put=fail"), ERR_OK);
	assert_int_equal(objstore_put(os, "f/a", "v", 1, 0), ERR_IO);
	assert_non_null(strstr(err_msg(), "objstore.put"));
	assert_int_equal(objstore_put(os, "f/a", "v", 1, 0), ERR_IO); /* count 0 = forever */
	fault_disarm_all();
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(os, "f/a", &d, &n), ERR_NOT_FOUND); /* nothing written */
	put_str(os, "f/a", "v");

	assert_int_equal(fault_arm_spec("objstore.get=fail:0:1"), ERR_OK);
	assert_int_equal(objstore_get(os, "f/a", &d, &n), ERR_IO);
	assert_null(d);
	assert_object(os, "f/a", "v"); /* one-shot */
	fault_arm(FAULT_OBJSTORE_GET, FAULT_FAIL, 0, 0, 1);
	assert_int_equal(objstore_get_range(os, "f/a", 0, 1, &d, &n), ERR_IO);

	assert_int_equal(fault_arm_spec("objstore.list=fail:0:1"), ERR_OK);
	struct objstore_list l;
	assert_int_equal(objstore_list(os, "f/", &l), ERR_IO);
	assert_int_equal(l.n, 0);
	assert_null(l.keys);

	assert_int_equal(fault_arm_spec("objstore.delete=fail:0:1"), ERR_OK);
	assert_int_equal(objstore_delete(os, "f/a"), ERR_IO);
	assert_object(os, "f/a", "v");
	assert_int_equal(fault_fired(FAULT_OBJSTORE_DELETE), 1);
	struct objstore_stats st;
	objstore_get_stats(os, &st);
	assert_int_equal(st.errors, 6); /* 2 puts, get, get_range, list, delete */
}

static void test_open_fs_errors(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = (struct objstore *)1;
	assert_int_equal(objstore_open_fs("", &os), ERR_BAD_INPUT);
	assert_null(os);
	char p[256];
	snprintf(p, sizeof(p), "%s/afile", fx->dir);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	close(fd);
	assert_int_equal(objstore_open_fs(p, &os), ERR_IO); /* root is a file */
	assert_null(os);
	snprintf(p, sizeof(p), "%s/deep/er/root", fx->dir);
	assert_int_equal(objstore_open_fs(p, &os), ERR_OK); /* mkdir -p */
	put_str(os, "k", "v");
	assert_true(path_exists(fx, "deep/er/root/k"));
	objstore_close(os);
	objstore_close(NULL);
	/* a second store on the same root sees the data */
	assert_int_equal(objstore_open_fs(p, &os), ERR_OK);
	assert_object(os, "k", "v");
	objstore_close(os);
	/* a parent that is an object */
	put_str(fx->os, "obj", "v");
	assert_int_not_equal(objstore_put(fx->os, "obj/child", "v", 1, 0), ERR_OK);
}

/* Out of memory at every allocation: ERR_NOMEM or success, never a crash,
 * a leak (ASan) or a half-visible object. */
static void test_out_of_memory(void **state)
{
	struct fixture *fx = *state;
	struct objstore *os = fx->os;
	for (int i = 0; i < 5; i++) {
		char key[32];
		snprintf(key, sizeof(key), "o/%d/k", i);
		put_str(os, key, "payload");
	}
	int done[3] = {0, 0, 0};
	for (long n = 0; n < 200 && !(done[0] && done[1] && done[2]); n++) {
		char key[32];
		snprintf(key, sizeof(key), "new/%ld", n);
		mem_fail_after(n);
		int rc = objstore_put(os, key, "v", 1, OBJSTORE_PUT_IF_ABSENT);
		mem_fail_after(-1);
		assert_true(rc == ERR_OK || rc == ERR_NOMEM);
		uint8_t *d;
		size_t len;
		int grc = objstore_get(os, key, &d, &len);
		assert_int_equal(grc, rc == ERR_OK ? ERR_OK : ERR_NOT_FOUND);
		if (grc == ERR_OK) {
			mem_free(d);
			done[0] = 1;
			assert_int_equal(objstore_delete(os, key), ERR_OK);
		}
		mem_fail_after(n);
		rc = objstore_get(os, "o/1/k", &d, &len);
		mem_fail_after(-1);
		assert_true(rc == ERR_OK || rc == ERR_NOMEM);
		if (rc == ERR_OK) {
			assert_int_equal(len, 7);
			mem_free(d);
			done[1] = 1;
		}
		struct objstore_list l;
		mem_fail_after(n);
		rc = objstore_list(os, "o/", &l);
		mem_fail_after(-1);
		assert_true(rc == ERR_OK || rc == ERR_NOMEM);
		if (rc == ERR_OK) {
			assert_int_equal(l.n, 5);
			objstore_list_free(&l);
			done[2] = 1;
		} else {
			assert_null(l.keys);
		}
	}
	assert_true(done[0] && done[1] && done[2]);
	struct objstore_list l;
	assert_int_equal(objstore_list(os, "", &l), ERR_OK);
	assert_int_equal(l.n, 5); /* no temporary files or leftovers */
	objstore_list_free(&l);
}

/* --- test backend ------------------------------------------------------- */

static struct objstore *open_test(struct fixture *fx)
{
	struct objstore *inner, *t;
	char root[128];
	snprintf(root, sizeof(root), "%s/troot", fx->dir);
	assert_int_equal(objstore_open_fs(root, &inner), ERR_OK);
	assert_int_equal(objstore_open_test(inner, &t), ERR_OK);
	assert_string_equal(objstore_backend_name(t), "test");
	return t;
}

static void test_backend_fail_rules(void **state)
{
	struct fixture *fx = *state;
	struct objstore *t = open_test(fx);
	/* only keys containing "manifest", twice */
	assert_int_equal(objstore_test_rule(t, "put", "manifest", 2, 0, 0, 0), ERR_OK);
	assert_int_equal(objstore_put(t, "r/manifest/1.json", "a", 1, 0), ERR_IO);
	assert_non_null(strstr(err_msg(), "r/manifest/1.json"));
	put_str(t, "r/data.parquet", "p"); /* no match */
	assert_int_equal(objstore_put(t, "r/manifest/1.json", "a", 1, 0), ERR_IO);
	put_str(t, "r/manifest/1.json", "a"); /* count used up */
	assert_object(t, "r/manifest/1.json", "a");
	/* custom error code, any key, get only */
	assert_int_equal(objstore_test_rule(t, "get", NULL, 1, ERR_UNAVAILABLE, 0, 0), ERR_OK);
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(t, "r/data.parquet", &d, &n), ERR_UNAVAILABLE);
	assert_null(d);
	assert_object(t, "r/data.parquet", "p");
	/* "*" matches every op, forever until cleared */
	assert_int_equal(objstore_test_rule(t, "*", "data", -1, ERR_RETRY, 0, 0), ERR_OK);
	struct objstore_list l;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(objstore_head(t, "r/data.parquet", NULL, NULL), ERR_RETRY);
		assert_int_equal(objstore_get_range(t, "r/data.parquet", 0, 1, &d, &n), ERR_RETRY);
		assert_int_equal(objstore_list(t, "r/data", &l), ERR_RETRY);
		assert_int_equal(objstore_delete(t, "r/data.parquet"), ERR_RETRY);
	}
	assert_int_equal(objstore_list(t, "r/", &l), ERR_OK); /* prefix lacks "data" */
	assert_int_equal(l.n, 2);
	objstore_list_free(&l);
	assert_int_equal(objstore_test_rule(t, "*", "data", 0, 0, 0, 0), ERR_OK); /* clear */
	assert_int_equal(objstore_head(t, "r/data.parquet", NULL, NULL), ERR_OK);
	/* bad arguments */
	assert_int_equal(objstore_test_rule(t, "frobnicate", NULL, 1, 0, 0, 0), ERR_BAD_INPUT);
	assert_int_equal(objstore_test_rule(t, NULL, NULL, 1, 0, 0, 0), ERR_BAD_INPUT);
	assert_int_equal(objstore_test_rule(t, "put", NULL, 1, 9999, 0, 0), ERR_BAD_INPUT);
	assert_int_equal(objstore_test_rule(fx->os, "put", NULL, 1, 0, 0, 0), ERR_BAD_INPUT);
	/* wrapper stats count the outer store's requests, errors included */
	struct objstore_stats st;
	objstore_get_stats(t, &st);
	assert_true(st.errors >= 2 + 1 + 12);
	/* re-arming replaces: the second arming's count applies */
	assert_int_equal(objstore_test_rule(t, "delete", "x", 5, 0, 0, 0), ERR_OK);
	assert_int_equal(objstore_test_rule(t, "delete", "x", 1, 0, 0, 0), ERR_OK);
	assert_int_equal(objstore_delete(t, "x"), ERR_IO);
	assert_int_equal(objstore_delete(t, "x"), ERR_OK);
	objstore_close(t);
}

static void test_backend_drop_and_delay(void **state)
{
	struct fixture *fx = *state;
	struct objstore *t = open_test(fx);
	/* drop: acknowledged, not stored */
	assert_int_equal(objstore_test_rule(t, "put", "lost", 1, 0, 0, 1), ERR_OK);
	assert_int_equal(objstore_put(t, "lost", "v", 1, 0), ERR_OK);
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(t, "lost", &d, &n), ERR_NOT_FOUND);
	put_str(t, "lost", "v");
	/* dropped delete: acknowledged, object still there */
	assert_int_equal(objstore_test_rule(t, "delete", NULL, 1, 0, 0, 1), ERR_OK);
	assert_int_equal(objstore_delete(t, "lost"), ERR_OK);
	assert_object(t, "lost", "v");
	/* delay-only (err < 0): succeeds, late */
	assert_int_equal(objstore_test_rule(t, "get", "lost", 1, -1, 60, 0), ERR_OK);
	int64_t t0 = clock_mono_ns();
	assert_object(t, "lost", "v");
	assert_true(clock_mono_ns() - t0 >= 55 * 1000000LL);
	/* delay then fail */
	assert_int_equal(objstore_test_rule(t, "head", NULL, 1, ERR_IO, 30, 0), ERR_OK);
	t0 = clock_mono_ns();
	assert_int_equal(objstore_head(t, "lost", NULL, NULL), ERR_IO);
	assert_true(clock_mono_ns() - t0 >= 25 * 1000000LL);
	/* drop on a read op is ignored: the error applies */
	assert_int_equal(objstore_test_rule(t, "get", NULL, 1, ERR_IO, 0, 1), ERR_OK);
	assert_int_equal(objstore_get(t, "lost", &d, &n), ERR_IO);
	objstore_close(t);
}

struct rule_arg {
	struct objstore *os;
	int id;
	int fails;
	int other;
};

static void *rule_worker(void *p)
{
	struct rule_arg *a = p;
	for (int i = 0; i < 10; i++) {
		char key[32];
		snprintf(key, sizeof(key), "t%d/k%d", a->id, i);
		int rc = objstore_put(a->os, key, "v", 1, 0);
		if (rc == ERR_IO)
			a->fails++;
		else if (rc != ERR_OK)
			a->other++; /* no cmocka asserts off the main thread */
	}
	return NULL;
}

static void test_backend_rules_threadsafe(void **state)
{
	struct fixture *fx = *state;
	struct objstore *t = open_test(fx);
	assert_int_equal(objstore_test_rule(t, "put", NULL, 7, 0, 0, 0), ERR_OK);
	enum { NT = 6 };
	pthread_t th[NT];
	struct rule_arg args[NT];
	for (int i = 0; i < NT; i++) {
		args[i] = (struct rule_arg){t, i, 0, 0};
		pthread_create(&th[i], NULL, rule_worker, &args[i]);
	}
	int fails = 0;
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		fails += args[i].fails;
		assert_int_equal(args[i].other, 0);
	}
	assert_int_equal(fails, 7);
	struct objstore_list l;
	assert_int_equal(objstore_list(t, "", &l), ERR_OK);
	assert_int_equal(l.n, NT * 10 - 7);
	objstore_list_free(&l);
	objstore_close(t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_rules),
		T(test_put_get_overwrite),
		T(test_get_range),
		T(test_head),
		T(test_list_prefix_sorted),
		T(test_delete),
		T(test_bad_keys_refused),
		T(test_put_if_absent),
		T(test_put_atomic_for_readers),
		T(test_put_delete_prune_race),
		T(test_stats),
		T(test_fault_points),
		T(test_open_fs_errors),
		T(test_out_of_memory),
		T(test_backend_fail_rules),
		T(test_backend_drop_and_delay),
		T(test_backend_rules_threadsafe),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
