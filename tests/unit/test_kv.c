/* Metadata KV store tests (sqlite backend): get/put/delete/range, txn
 * compares, counters under concurrency, persistence across reopen. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/err.h"
#include "base/mem.h"
#include "helpers/region_fixture.h"
#include "meta/kv.h"

static char *dir;
static char path[512];

static int setup(void **state)
{
	(void)state;
	dir = fx_tempdir("kv");
	snprintf(path, sizeof(path), "%s/meta.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_rmrf(dir);
	mem_free(dir);
	return 0;
}

static void test_basic_ops(void **state)
{
	(void)state;
	struct kv *kv;
	assert_int_equal(kv_open_sqlite(path, &kv), ERR_OK);
	uint8_t *v;
	size_t n;
	assert_int_equal(kv_get(kv, "a/1", &v, &n), ERR_NOT_FOUND);
	assert_int_equal(kv_put_str(kv, "a/1", "one"), ERR_OK);
	assert_int_equal(kv_put_str(kv, "a/2", "two"), ERR_OK);
	assert_int_equal(kv_put_str(kv, "b/1", "bee"), ERR_OK);
	assert_int_equal(kv_get(kv, "a/1", &v, &n), ERR_OK);
	assert_int_equal(n, 3);
	assert_string_equal((char *)v, "one");
	mem_free(v);
	struct kv_list l;
	assert_int_equal(kv_range(kv, "a/", &l), ERR_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].key, "a/1");
	assert_string_equal((char *)l.items[1].value, "two");
	kv_list_free(&l);
	assert_int_equal(kv_delete(kv, "a/1"), ERR_OK);
	assert_int_equal(kv_get(kv, "a/1", &v, &n), ERR_NOT_FOUND);
	kv_close(kv);
	/* persisted */
	assert_int_equal(kv_open_sqlite(path, &kv), ERR_OK);
	assert_int_equal(kv_get(kv, "b/1", &v, &n), ERR_OK);
	mem_free(v);
	kv_close(kv);
}

static void test_txn_compare(void **state)
{
	(void)state;
	struct kv *kv;
	assert_int_equal(kv_open_sqlite(path, &kv), ERR_OK);
	struct kv_cmp absent = {"k", NULL, 0};
	struct kv_op ops[2] = {{KV_PUT, "k", "v1", 2}, {KV_PUT, "k2", "x", 1}};
	assert_int_equal(kv_txn(kv, &absent, 1, ops, 2), ERR_OK);
	/* create-if-absent again fails and applies nothing */
	struct kv_op op3 = {KV_PUT, "k3", "y", 1};
	assert_int_equal(kv_txn(kv, &absent, 1, &op3, 1), ERR_CONFLICT);
	uint8_t *v;
	size_t n;
	assert_int_equal(kv_get(kv, "k3", &v, &n), ERR_NOT_FOUND);
	struct kv_cmp wrong = {"k", "zz", 2};
	assert_int_equal(kv_txn(kv, &wrong, 1, &op3, 1), ERR_CONFLICT);
	struct kv_cmp right = {"k", "v1", 2};
	assert_int_equal(kv_txn(kv, &right, 1, &op3, 1), ERR_OK);
	assert_int_equal(kv_get(kv, "k3", &v, &n), ERR_OK);
	mem_free(v);
	kv_close(kv);
}

static void *bump(void *arg)
{
	struct kv *kv;
	uint64_t *ids = arg;
	if (kv_open_sqlite(path, &kv)) {
		fprintf(stderr, "open: %s\n", err_msg());
		return NULL;
	}
	for (int i = 0; i < 50; i++)
		if (kv_next_id(kv, "__table_id", 1024, &ids[i]))
			fprintf(stderr, "next_id: %s\n", err_msg());
	kv_close(kv);
	return NULL;
}

static void test_counter_is_unique_across_connections(void **state)
{
	(void)state;
	uint64_t ids[3][50];
	memset(ids, 0, sizeof(ids));
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, bump, ids[i]);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	uint8_t seen[200] = {0};
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 50; j++) {
			assert_true(ids[i][j] >= 1024 && ids[i][j] < 1024 + 150);
			assert_int_equal(seen[ids[i][j] - 1024]++, 0);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_compare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_is_unique_across_connections, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
