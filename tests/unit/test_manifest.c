/* Unit tests for src/storage/manifest: commit/reopen, checkpoints, follower
 * install (with checkpoint fallback), conflicts, GC, hostile objects and
 * object-store failures in the middle of a commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/fault.h"
#include "base/mem.h"
#include "objstore/objstore.h"
#include "storage/manifest.h"
#include "storage/schema.h"

#define R "data/greptime/public/1024/1024_0000000000/"
#define MD R "manifest/"

struct fixture {
	char dir[64];
	struct objstore *os;
	struct region_schema *schema;
};

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static struct region_schema *make_schema(int with_extra)
{
	struct region_schema *s = mem_calloc(1, sizeof(*s));
	s->ncols = with_extra ? 4 : 3;
	s->cols = mem_calloc(s->ncols, sizeof(*s->cols));
	const char *names[] = {"ts", "host", "cpu", "mem"};
	enum dtype types[] = {DT_TS_MS, DT_STRING, DT_FLOAT64, DT_FLOAT64};
	enum semantic_type sems[] = {SEM_TIMESTAMP, SEM_TAG, SEM_FIELD, SEM_FIELD};
	for (uint32_t i = 0; i < s->ncols; i++) {
		s->cols[i].name = mem_strdup(names[i]);
		s->cols[i].type = types[i];
		s->cols[i].sem = sems[i];
		s->cols[i].nullable = i != 0;
		s->cols[i].column_id = i;
	}
	s->ts_col = 0;
	s->npk = 1;
	s->pk_cols = mem_calloc(1, sizeof(uint32_t));
	s->pk_cols[0] = 1;
	s->version = with_extra ? 1 : 0;
	return s;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/strata-manifest-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	if (objstore_open_fs(fx->dir, &fx->os) != ERR_OK)
		return -1;
	fx->schema = make_schema(0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	objstore_close(fx->os);
	region_schema_free(fx->schema);
	fault_disarm_all();
	nftw(fx->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static struct manifest_file mkfile(const char *id, uint64_t seq)
{
	struct manifest_file f;
	memset(&f, 0, sizeof(f));
	snprintf(f.file_id, sizeof(f.file_id), "%s", id);
	f.level = 0;
	f.ts_min = 1000 * (int64_t)seq;
	f.ts_max = 1000 * (int64_t)seq + 999;
	f.num_rows = 10 * seq;
	f.file_size = 4096 + seq;
	f.max_sequence = seq;
	return f;
}

static struct manifest_action edit(const struct manifest_file *add, uint32_t nadd,
				   const struct manifest_file *rm, uint32_t nrm, uint64_t flushed)
{
	struct manifest_action a = {.type = MANIFEST_EDIT,
				    .nadd = nadd,
				    .add = add,
				    .nremove = nrm,
				    .remove = rm,
				    .flushed_sequence = flushed};
	return a;
}

/* Commit one file "f<i>" with flushed sequence i; returns the version. */
static uint64_t commit_file(struct manifest *m, int i)
{
	char id[32];
	snprintf(id, sizeof(id), "f%04d", i);
	struct manifest_file f = mkfile(id, (uint64_t)i);
	struct manifest_action a = edit(&f, 1, NULL, 0, (uint64_t)i);
	uint64_t v = 0;
	assert_int_equal(manifest_commit(m, &a, 1, &v), ERR_OK);
	return v;
}

static void assert_file_eq(const struct manifest_file *a, const struct manifest_file *b)
{
	assert_string_equal(a->file_id, b->file_id);
	assert_int_equal(a->level, b->level);
	assert_true(a->ts_min == b->ts_min);
	assert_true(a->ts_max == b->ts_max);
	assert_true(a->num_rows == b->num_rows);
	assert_true(a->file_size == b->file_size);
	assert_true(a->max_sequence == b->max_sequence);
}

static void assert_same_state(struct manifest *a, struct manifest *b)
{
	struct manifest_state x, y;
	assert_int_equal(manifest_state_copy(a, &x), ERR_OK);
	assert_int_equal(manifest_state_copy(b, &y), ERR_OK);
	assert_true(x.version == y.version);
	assert_int_equal(x.nfiles, y.nfiles);
	for (uint32_t i = 0; i < x.nfiles; i++)
		assert_file_eq(&x.files[i], &y.files[i]);
	assert_true(x.flushed_sequence == y.flushed_sequence);
	assert_true(x.truncated_sequence == y.truncated_sequence);
	assert_true(x.compaction_window_s == y.compaction_window_s);
	assert_int_equal(x.removed, y.removed);
	assert_int_equal(x.schema->ncols, y.schema->ncols);
	manifest_state_free(&x);
	manifest_state_free(&y);
}

static int exists(struct objstore *os, const char *key)
{
	return objstore_head(os, key, NULL, NULL) == ERR_OK;
}

static char *get_text(struct objstore *os, const char *key)
{
	uint8_t *d;
	size_t n;
	assert_int_equal(objstore_get(os, key, &d, &n), ERR_OK);
	char *s = mem_alloc(n + 1);
	memcpy(s, d, n);
	s[n] = '\0';
	mem_free(d);
	return s;
}

static void test_create_commit_reopen(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m, *m2;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	assert_int_equal(manifest_version(m), 0);
	assert_true(exists(fx->os, MD "00000000000000000000.json"));
	char *t = get_text(fx->os, MD "00000000000000000000.json");
	assert_non_null(strstr(t, "{\"actions\":[{\"Change\":{\"schema\":{\"columns\":"));
	mem_free(t);
	/* create twice: refused, with or without trailing slash */
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m2), ERR_EXISTS);
	assert_null(m2);
	assert_int_equal(manifest_create(fx->os, "data/greptime/public/1024/1024_0000000000",
					 fx->schema, &m2),
			 ERR_EXISTS);

	struct manifest_file f[3] = {mkfile("a1", 5), mkfile("b2", 7), mkfile("c3", 9)};
	struct manifest_action a = edit(f, 2, NULL, 0, 100);
	uint64_t v = 0;
	assert_int_equal(manifest_commit(m, &a, 1, &v), ERR_OK);
	assert_int_equal(v, 1);
	/* remove a1, add c3; flushed 50 must not lower 100; window set */
	a = edit(&f[2], 1, &f[0], 1, 50);
	a.compaction_window_s = 3600;
	assert_int_equal(manifest_commit(m, &a, 1, &v), ERR_OK);
	assert_int_equal(v, 2);
	t = get_text(fx->os, MD "00000000000000000002.json");
	assert_non_null(strstr(t, "\"files_to_remove\":[{\"file_id\":\"a1\"}]"));
	assert_non_null(strstr(t, "\"time_range\":[9000,9999]"));
	assert_non_null(strstr(t, "\"compaction_time_window_s\":3600"));
	mem_free(t);

	struct manifest_state st;
	assert_int_equal(manifest_state_copy(m, &st), ERR_OK);
	assert_int_equal(st.version, 2);
	assert_int_equal(st.nfiles, 2);
	assert_file_eq(&st.files[0], &f[1]);
	assert_file_eq(&st.files[1], &f[2]);
	assert_int_equal(st.flushed_sequence, 100);
	assert_int_equal(st.compaction_window_s, 3600);
	assert_false(st.removed);
	assert_int_equal(st.schema->ncols, 3);
	assert_string_equal(st.schema->cols[1].name, "host");
	manifest_state_free(&st);

	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
	assert_int_equal(manifest_version(m2), 2);
	assert_same_state(m, m2);
	manifest_close(m2);
	manifest_close(m);
}

static void test_open_missing_and_bad_dir(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m = (struct manifest *)1;
	assert_int_equal(manifest_open(fx->os, R, &m), ERR_NOT_FOUND);
	assert_null(m);
	assert_int_equal(manifest_open_at(fx->os, R, 0, &m), ERR_NOT_FOUND);
	assert_int_equal(manifest_open(fx->os, "../x/", &m), ERR_BAD_INPUT);
	assert_int_equal(manifest_open(fx->os, "", &m), ERR_BAD_INPUT);
	assert_int_equal(manifest_create(fx->os, "/abs/r", fx->schema, &m), ERR_BAD_INPUT);
	/* a schema that fails validation is refused before anything is written */
	struct region_schema *bad = make_schema(0);
	bad->cols[0].sem = SEM_FIELD; /* no time index */
	assert_int_equal(manifest_create(fx->os, R, bad, &m), ERR_BAD_INPUT);
	region_schema_free(bad);
	assert_false(exists(fx->os, MD "00000000000000000000.json"));
}

static void test_big_numbers_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m, *m2;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	struct manifest_file f = mkfile("big", 1);
	f.max_sequence = UINT64_MAX;
	f.num_rows = (UINT64_C(1) << 53) + 1; /* not representable as a double */
	f.file_size = UINT64_C(1) << 53;      /* largest exact one: a plain number */
	f.ts_min = INT64_MIN;
	f.ts_max = INT64_MAX;
	f.level = UINT32_MAX;
	struct manifest_action a = edit(&f, 1, NULL, 0, UINT64_MAX - 1);
	assert_int_equal(manifest_commit(m, &a, 1, NULL), ERR_OK);
	char *t = get_text(fx->os, MD "00000000000000000001.json");
	assert_non_null(strstr(t, "\"num_rows\":\"9007199254740993\""));
	assert_non_null(strstr(t, "\"file_size\":9007199254740992"));
	assert_non_null(strstr(t, "\"max_sequence\":\"18446744073709551615\""));
	assert_non_null(strstr(t, "\"time_range\":[\"-9223372036854775808\""));
	mem_free(t);
	/* reach a checkpoint so the checkpoint form is read too */
	for (int i = 2; i <= 10; i++)
		commit_file(m, i);
	assert_true(exists(fx->os, MD "00000000000000000010.checkpoint"));
	for (int from_checkpoint = 0; from_checkpoint < 2; from_checkpoint++) {
		if (from_checkpoint)
			assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
		else
			assert_int_equal(manifest_open_at(fx->os, R, 1, &m2), ERR_OK);
		struct manifest_state st;
		assert_int_equal(manifest_state_copy(m2, &st), ERR_OK);
		assert_file_eq(&st.files[0], &f);
		assert_true(st.flushed_sequence == UINT64_MAX - 1);
		manifest_state_free(&st);
		manifest_close(m2);
	}
	manifest_close(m);
}

static void test_checkpoints(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m, *m2;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	for (int i = 1; i <= 25; i++)
		assert_int_equal(commit_file(m, i), (uint64_t)i);
	assert_true(exists(fx->os, MD "00000000000000000010.checkpoint"));
	assert_true(exists(fx->os, MD "00000000000000000020.checkpoint"));
	assert_false(exists(fx->os, MD "00000000000000000005.checkpoint"));
	assert_false(exists(fx->os, MD "00000000000000000000.checkpoint"));
	assert_false(exists(fx->os, MD "00000000000000000025.checkpoint"));
	char *t = get_text(fx->os, MD "_last_checkpoint");
	assert_string_equal(t, "{\"version\":20}");
	mem_free(t);
	t = get_text(fx->os, MD "00000000000000000020.checkpoint");
	assert_non_null(strstr(t, "\"version\":20,\"schema\":{"));
	assert_non_null(strstr(t, "\"removed\":false"));
	mem_free(t);

	/* reopening reads the newest checkpoint and only the deltas after it */
	struct objstore_stats before, after;
	objstore_get_stats(fx->os, &before);
	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
	objstore_get_stats(fx->os, &after);
	assert_int_equal(after.gets - before.gets, 1 + 5 + 1); /* checkpoint, 21..25, miss */
	assert_int_equal(manifest_version(m2), 25);
	assert_same_state(m, m2);
	manifest_close(m2);

	/* the checkpoint alone suffices: drop every delta up to 20 by hand */
	for (int v = 0; v <= 20; v++) {
		char key[128];
		snprintf(key, sizeof(key), MD "%020d.json", v);
		assert_int_equal(objstore_delete(fx->os, key), ERR_OK);
	}
	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
	assert_same_state(m, m2);
	struct manifest_state st;
	assert_int_equal(manifest_state_copy(m2, &st), ERR_OK);
	assert_int_equal(st.nfiles, 25);
	assert_string_equal(st.files[24].file_id, "f0025");
	assert_int_equal(st.flushed_sequence, 25);
	manifest_state_free(&st);
	manifest_close(m2);
	/* versions before the checkpoint are gone, versions after are there */
	assert_int_equal(manifest_open_at(fx->os, R, 15, &m2), ERR_NOT_FOUND);
	assert_int_equal(manifest_open_at(fx->os, R, 20, &m2), ERR_OK);
	assert_int_equal(manifest_version(m2), 20);
	manifest_close(m2);
	assert_int_equal(manifest_open_at(fx->os, R, 23, &m2), ERR_OK);
	assert_int_equal(manifest_state_copy(m2, &st), ERR_OK);
	assert_int_equal(st.nfiles, 23);
	manifest_state_free(&st);
	manifest_close(m2);
	assert_int_equal(manifest_open_at(fx->os, R, 26, &m2), ERR_NOT_FOUND);
	manifest_close(m);
}

static void test_open_at(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m, *m2;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	for (int i = 1; i <= 12; i++)
		commit_file(m, i);
	for (uint64_t v = 0; v <= 12; v += 3) {
		assert_int_equal(manifest_open_at(fx->os, R, v, &m2), ERR_OK);
		struct manifest_state st;
		assert_int_equal(manifest_state_copy(m2, &st), ERR_OK);
		assert_int_equal(st.version, v);
		assert_int_equal(st.nfiles, v);
		assert_int_equal(st.flushed_sequence, v);
		manifest_state_free(&st);
		manifest_close(m2);
	}
	manifest_close(m);
}

static void test_install_from_behind(void **state)
{
	struct fixture *fx = *state;
	struct manifest *leader, *follower;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &leader), ERR_OK);
	for (int i = 1; i <= 3; i++)
		commit_file(leader, i);
	assert_int_equal(manifest_open(fx->os, R, &follower), ERR_OK);
	assert_int_equal(manifest_version(follower), 3);
	for (int i = 4; i <= 14; i++)
		commit_file(leader, i);
	assert_int_equal(manifest_install(follower, 8), ERR_OK);
	assert_int_equal(manifest_version(follower), 8);
	assert_int_equal(manifest_install(follower, 5), ERR_OK); /* behind: no-op */
	assert_int_equal(manifest_version(follower), 8);
	assert_int_equal(manifest_install(follower, 14), ERR_OK);
	assert_same_state(leader, follower);
	/* beyond the leader: not reachable, state untouched */
	assert_int_equal(manifest_install(follower, 15), ERR_NOT_FOUND);
	assert_int_equal(manifest_version(follower), 14);
	assert_same_state(leader, follower);
	manifest_close(follower);
	manifest_close(leader);
}

static void test_install_checkpoint_fallback(void **state)
{
	struct fixture *fx = *state;
	struct manifest *leader, *follower;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &leader), ERR_OK);
	for (int i = 1; i <= 2; i++)
		commit_file(leader, i);
	assert_int_equal(manifest_open(fx->os, R, &follower), ERR_OK);
	for (int i = 3; i <= 23; i++)
		commit_file(leader, i);
	/* GC up to 23: newest checkpoint <= 23 is 20; older objects go */
	assert_int_equal(manifest_delete_before(leader, 23), ERR_OK);
	assert_false(exists(fx->os, MD "00000000000000000003.json"));
	assert_false(exists(fx->os, MD "00000000000000000019.json"));
	assert_false(exists(fx->os, MD "00000000000000000010.checkpoint"));
	assert_true(exists(fx->os, MD "00000000000000000020.checkpoint"));
	assert_true(exists(fx->os, MD "00000000000000000020.json"));
	assert_true(exists(fx->os, MD "00000000000000000021.json"));
	/* 15 is unreachable now (deltas gone, no checkpoint <= 15) */
	assert_int_equal(manifest_install(follower, 15), ERR_NOT_FOUND);
	assert_int_equal(manifest_version(follower), 2);
	/* 23 via checkpoint 20 + deltas 21..23 */
	assert_int_equal(manifest_install(follower, 23), ERR_OK);
	assert_same_state(leader, follower);
	/* and back on the delta path afterwards */
	commit_file(leader, 24);
	assert_int_equal(manifest_install(follower, 24), ERR_OK);
	assert_same_state(leader, follower);
	/* the leader itself still reopens */
	struct manifest *m2;
	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
	assert_same_state(leader, m2);
	manifest_close(m2);
	manifest_close(follower);
	manifest_close(leader);
}

static void test_delete_before(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m, *m2;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	for (int i = 1; i <= 8; i++)
		commit_file(m, i);
	assert_int_equal(manifest_delete_before(m, 8), ERR_OK); /* no checkpoint: no-op */
	assert_true(exists(fx->os, MD "00000000000000000000.json"));
	for (int i = 9; i <= 25; i++)
		commit_file(m, i);
	assert_int_equal(manifest_delete_before(m, 15), ERR_OK); /* keeps checkpoint 10 */
	assert_false(exists(fx->os, MD "00000000000000000009.json"));
	assert_true(exists(fx->os, MD "00000000000000000010.json"));
	assert_true(exists(fx->os, MD "00000000000000000010.checkpoint"));
	/* a crash between checkpoint 20 and its _last_checkpoint: GC repairs it */
	assert_int_equal(objstore_put(fx->os, MD "_last_checkpoint", "{\"version\":10}", 14, 0),
			 ERR_OK);
	assert_int_equal(manifest_delete_before(m, 1000), ERR_OK); /* capped at current (25) */
	assert_false(exists(fx->os, MD "00000000000000000010.checkpoint"));
	assert_false(exists(fx->os, MD "00000000000000000019.json"));
	assert_true(exists(fx->os, MD "00000000000000000020.checkpoint"));
	char *t = get_text(fx->os, MD "_last_checkpoint");
	assert_string_equal(t, "{\"version\":20}");
	mem_free(t);
	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
	assert_same_state(m, m2);
	manifest_close(m2);
	/* an unreadable checkpoint is never used to drop history */
	for (int i = 26; i <= 30; i++)
		commit_file(m, i);
	assert_int_equal(objstore_put(fx->os, MD "00000000000000000030.checkpoint", "{", 1, 0),
			 ERR_OK);
	assert_int_equal(manifest_delete_before(m, 30), ERR_CORRUPT);
	assert_true(exists(fx->os, MD "00000000000000000020.checkpoint"));
	manifest_close(m);
}

struct writer_arg {
	struct manifest *m;
	pthread_barrier_t *bar;
	const char *id;
	int rc;
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	struct manifest_file f = mkfile(a->id, 1);
	struct manifest_action act = edit(&f, 1, NULL, 0, 1);
	pthread_barrier_wait(a->bar);
	a->rc = manifest_commit(a->m, &act, 1, NULL);
	return NULL;
}

static void test_second_writer_conflict(void **state)
{
	struct fixture *fx = *state;
	struct manifest *a, *b;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &a), ERR_OK);
	assert_int_equal(manifest_open(fx->os, R, &b), ERR_OK);
	commit_file(a, 1);
	struct manifest_file f = mkfile("other", 1);
	struct manifest_action act = edit(&f, 1, NULL, 0, 1);
	assert_int_equal(manifest_commit(b, &act, 1, NULL), ERR_CONFLICT);
	assert_non_null(strstr(err_msg(), "00000000000000000001.json"));
	assert_int_equal(manifest_version(b), 0); /* unchanged */
	/* the winner's delta is intact */
	manifest_close(b);
	assert_int_equal(manifest_open(fx->os, R, &b), ERR_OK);
	assert_same_state(a, b);
	manifest_close(b);

	/* racing writers on the same version: exactly one wins */
	struct manifest *c, *d;
	assert_int_equal(manifest_open(fx->os, R, &c), ERR_OK);
	assert_int_equal(manifest_open(fx->os, R, &d), ERR_OK);
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, 2);
	struct writer_arg wa[2] = {{c, &bar, "from-c", -1}, {d, &bar, "from-d", -1}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, writer, &wa[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
	assert_true((wa[0].rc == ERR_OK && wa[1].rc == ERR_CONFLICT) ||
		    (wa[1].rc == ERR_OK && wa[0].rc == ERR_CONFLICT));
	struct manifest *winner = wa[0].rc == ERR_OK ? c : d;
	assert_int_equal(manifest_install(a, 2), ERR_OK);
	assert_same_state(a, winner);
	manifest_close(c);
	manifest_close(d);
	manifest_close(a);
}

static void test_retry_of_same_delta_is_idempotent(void **state)
{
	struct fixture *fx = *state;
	struct manifest *a, *b;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &a), ERR_OK);
	assert_int_equal(manifest_open(fx->os, R, &b), ERR_OK);
	/* b commits the very bytes a already wrote (an earlier attempt that landed
	 * although its acknowledgement was lost): success, same version */
	commit_file(a, 1);
	uint64_t v = 0;
	struct manifest_file f = mkfile("f0001", 1);
	struct manifest_action act = edit(&f, 1, NULL, 0, 1);
	assert_int_equal(manifest_commit(b, &act, 1, &v), ERR_OK);
	assert_int_equal(v, 1);
	assert_same_state(a, b);
	manifest_close(a);
	manifest_close(b);
}

static void test_files_bookkeeping(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	struct manifest_file f[4] = {mkfile("a", 1), mkfile("b", 2), mkfile("c", 3),
				     mkfile("ghost", 9)};
	struct manifest_action a = edit(f, 3, NULL, 0, 3);
	assert_int_equal(manifest_commit(m, &a, 1, NULL), ERR_OK);
	/* remove b and an unknown file in one edit */
	struct manifest_file rm[2] = {f[1], f[3]};
	a = edit(NULL, 0, rm, 2, 0);
	assert_int_equal(manifest_commit(m, &a, 1, NULL), ERR_OK);
	/* re-add b; replace c with a compacted version (same id, new level) */
	struct manifest_file c2 = f[2];
	c2.level = 1;
	c2.num_rows = 777;
	struct manifest_file add[2] = {f[1], c2};
	a = edit(add, 2, NULL, 0, 0);
	assert_int_equal(manifest_commit(m, &a, 1, NULL), ERR_OK);
	/* two actions in one delta, applied in order */
	struct manifest_file d = mkfile("d", 4);
	struct manifest_action two[2] = {edit(&d, 1, NULL, 0, 4), edit(NULL, 0, &f[0], 1, 0)};
	assert_int_equal(manifest_commit(m, two, 2, NULL), ERR_OK);

	struct manifest_state st;
	assert_int_equal(manifest_state_copy(m, &st), ERR_OK);
	assert_int_equal(st.version, 4);
	assert_int_equal(st.nfiles, 3);
	assert_string_equal(st.files[0].file_id, "c");
	assert_int_equal(st.files[0].level, 1);
	assert_int_equal(st.files[0].num_rows, 777);
	assert_string_equal(st.files[1].file_id, "b");
	assert_string_equal(st.files[2].file_id, "d");
	assert_int_equal(st.flushed_sequence, 4);
	manifest_state_free(&st);

	/* malformed edits: refused, nothing written, state unchanged */
	struct manifest_file dup[2] = {mkfile("x", 1), mkfile("x", 2)};
	a = edit(dup, 2, NULL, 0, 0);
	assert_int_equal(manifest_commit(m, &a, 1, NULL), ERR_BAD_INPUT);
	struct manifest_file badid = mkfile("../etc", 1);
	a = edit(&badid, 1, NULL, 0, 0);
	assert_int_equal(manifest_commit(m, &a, 1, NULL), ERR_BAD_INPUT);
	struct manifest_file empty = mkfile("", 1);
	a = edit(&empty, 1, NULL, 0, 0);
	assert_int_equal(manifest_commit(m, &a, 1, NULL), ERR_BAD_INPUT);
	struct manifest_file inverted = mkfile("inv", 1);
	inverted.ts_min = inverted.ts_max + 1;
	a = edit(&inverted, 1, NULL, 0, 0);
	assert_int_equal(manifest_commit(m, &a, 1, NULL), ERR_BAD_INPUT);
	a = edit(NULL, 3, NULL, 0, 0);
	assert_int_equal(manifest_commit(m, &a, 1, NULL), ERR_BAD_INPUT);
	assert_int_equal(manifest_commit(m, &a, 0, NULL), ERR_BAD_INPUT);
	struct manifest_action nochange = {.type = MANIFEST_CHANGE};
	assert_int_equal(manifest_commit(m, &nochange, 1, NULL), ERR_BAD_INPUT);
	struct manifest_action weird = {.type = (enum manifest_action_type)42};
	assert_int_equal(manifest_commit(m, &weird, 1, NULL), ERR_BAD_INPUT);
	assert_int_equal(manifest_version(m), 4);
	assert_false(exists(fx->os, MD "00000000000000000005.json"));

	struct manifest *m2;
	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
	assert_same_state(m, m2);
	manifest_close(m2);
	manifest_close(m);
}

static void test_change_truncate_remove(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m, *m2;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	for (int i = 1; i <= 3; i++)
		commit_file(m, i);
	/* schema change */
	struct region_schema *s2 = make_schema(1);
	struct manifest_action ch = {.type = MANIFEST_CHANGE, .schema = s2};
	assert_int_equal(manifest_commit(m, &ch, 1, NULL), ERR_OK);
	region_schema_free(s2);
	/* truncate: no files, flushed = truncated = 500 */
	struct manifest_action tr = {.type = MANIFEST_TRUNCATE, .truncated_sequence = 500};
	assert_int_equal(manifest_commit(m, &tr, 1, NULL), ERR_OK);
	char *t = get_text(fx->os, MD "00000000000000000005.json");
	assert_string_equal(t, "{\"actions\":[{\"Truncate\":{\"truncated_sequence\":500}}]}");
	mem_free(t);
	struct manifest_state st;
	assert_int_equal(manifest_state_copy(m, &st), ERR_OK);
	assert_int_equal(st.nfiles, 0);
	assert_int_equal(st.flushed_sequence, 500);
	assert_int_equal(st.truncated_sequence, 500);
	assert_int_equal(st.schema->ncols, 4);
	assert_string_equal(st.schema->cols[3].name, "mem");
	manifest_state_free(&st);
	commit_file(m, 7); /* flushed 7 < 500: stays 500 */
	/* remove */
	struct manifest_action rm = {.type = MANIFEST_REMOVE};
	assert_int_equal(manifest_commit(m, &rm, 1, NULL), ERR_OK);
	t = get_text(fx->os, MD "00000000000000000007.json");
	assert_string_equal(t, "{\"actions\":[{\"Remove\":{}}]}");
	mem_free(t);
	struct manifest_file f = mkfile("late", 8);
	struct manifest_action late = edit(&f, 1, NULL, 0, 8);
	assert_int_equal(manifest_commit(m, &late, 1, NULL), ERR_NOT_FOUND);
	assert_int_equal(manifest_version(m), 7);

	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
	assert_same_state(m, m2);
	assert_int_equal(manifest_state_copy(m2, &st), ERR_OK);
	assert_true(st.removed);
	assert_int_equal(st.nfiles, 1);
	assert_int_equal(st.flushed_sequence, 500);
	assert_int_equal(st.schema->ncols, 4);
	manifest_state_free(&st);
	manifest_close(m2);
	manifest_close(m);
}

/* Put `text` as delta 1 of a fresh region and expect open to fail with
 * ERR_CORRUPT naming the object. */
static void expect_corrupt_delta(struct fixture *fx, const char *text, size_t len)
{
	struct manifest *m;
	assert_int_equal(objstore_put(fx->os, MD "00000000000000000001.json", text, len, 0),
			 ERR_OK);
	int rc = manifest_open(fx->os, R, &m);
	if (rc != ERR_CORRUPT)
		fprintf(stderr, "accepted bad delta (rc %d): %.*s\n", rc, (int)len, text);
	assert_int_equal(rc, ERR_CORRUPT);
	assert_null(m);
	assert_non_null(strstr(err_msg(), "00000000000000000001.json"));
}

static void test_corrupt_deltas(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	manifest_close(m);
	const char *bad[] = {
		"",
		"{not json",
		"[1,2,3]",
		"{\"actions\":[]}",
		"{\"actions\":{}}",
		"{\"nothing\":1}",
		"{\"actions\":[{\"Frobnicate\":{}}]}",
		"{\"actions\":[{\"Edit\":{},\"Remove\":{}}]}",
		"{\"actions\":[{}]}",
		"{\"actions\":[7]}",
		"{\"actions\":[{\"Edit\":[]}]}",
		"{\"actions\":[{\"Edit\":{\"flushed_sequence\":-1}}]}",
		"{\"actions\":[{\"Edit\":{\"flushed_sequence\":1.5}}]}",
		"{\"actions\":[{\"Edit\":{\"flushed_sequence\":\"12x\"}}]}",
		"{\"actions\":[{\"Edit\":{\"flushed_sequence\":\"99999999999999999999\"}}]}",
		"{\"actions\":[{\"Edit\":{\"flushed_sequence\":1152921504606846976}}]}",
		"{\"actions\":[{\"Edit\":{\"flushed_sequence\":1e300}}]}",
		"{\"actions\":[{\"Edit\":{\"files_to_add\":{}}}]}",
		"{\"actions\":[{\"Edit\":{\"files_to_add\":[{\"file_id\":\"../x\",\"level\":0,"
		"\"time_range\":[1,2],\"num_rows\":1,\"file_size\":1,\"max_sequence\":1}]}}]}",
		"{\"actions\":[{\"Edit\":{\"files_to_add\":[{\"file_id\":\"a\",\"level\":0,"
		"\"time_range\":[3,2],\"num_rows\":1,\"file_size\":1,\"max_sequence\":1}]}}]}",
		"{\"actions\":[{\"Edit\":{\"files_to_add\":[{\"file_id\":\"a\",\"level\":0,"
		"\"time_range\":[1],\"num_rows\":1,\"file_size\":1,\"max_sequence\":1}]}}]}",
		"{\"actions\":[{\"Edit\":{\"files_to_add\":[{\"file_id\":\"a\",\"level\":0,"
		"\"time_range\":[1,2],\"file_size\":1,\"max_sequence\":1}]}}]}",
		"{\"actions\":[{\"Edit\":{\"files_to_add\":[{\"file_id\":\"a\",\"level\":4294967296,"
		"\"time_range\":[1,2],\"num_rows\":1,\"file_size\":1,\"max_sequence\":1}]}}]}",
		"{\"actions\":[{\"Edit\":{\"files_to_remove\":[\"a\"]}}]}",
		"{\"actions\":[{\"Truncate\":{}}]}",
		"{\"actions\":[{\"Change\":{}}]}",
		"{\"actions\":[{\"Change\":{\"schema\":{\"columns\":[]}}}]}",
		"{\"actions\":[{\"Remove\":{}}]} trailing",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_corrupt_delta(fx, bad[i], strlen(bad[i]));

	/* a valid delta parses ... */
	const char *good = "{\"actions\":[{\"Edit\":{\"files_to_add\":[{\"file_id\":\"a\","
			   "\"level\":0,\"time_range\":[\"-5\",2],\"num_rows\":\"3\","
			   "\"file_size\":1,\"max_sequence\":\"18446744073709551615\"}],"
			   "\"flushed_sequence\":\"9007199254740993\"}}]}\n";
	assert_int_equal(objstore_put(fx->os, MD "00000000000000000001.json", good, strlen(good),
				      0),
			 ERR_OK);
	assert_int_equal(manifest_open(fx->os, R, &m), ERR_OK);
	struct manifest_state st;
	assert_int_equal(manifest_state_copy(m, &st), ERR_OK);
	assert_true(st.flushed_sequence == (UINT64_C(1) << 53) + 1);
	assert_true(st.files[0].max_sequence == UINT64_MAX);
	assert_true(st.files[0].ts_min == -5);
	manifest_state_free(&st);
	manifest_close(m);
	/* ... and every truncation of it is corrupt, never a crash */
	size_t glen = strlen(good) - 1; /* without the newline */
	for (size_t cut = 0; cut < glen; cut++)
		expect_corrupt_delta(fx, good, cut);
}

static void test_corrupt_checkpoint_and_install(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m, *f;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	assert_int_equal(manifest_open(fx->os, R, &f), ERR_OK);
	for (int i = 1; i <= 10; i++)
		commit_file(m, i);
	char *cp = get_text(fx->os, MD "00000000000000000010.checkpoint");
	size_t cplen = strlen(cp);
	struct manifest *m2;
	/* every truncation of the checkpoint is corrupt */
	for (size_t cut = 0; cut < cplen; cut += 7) {
		assert_int_equal(objstore_put(fx->os, MD "00000000000000000010.checkpoint", cp,
					      cut, 0),
				 ERR_OK);
		assert_int_equal(manifest_open(fx->os, R, &m2), ERR_CORRUPT);
		assert_non_null(strstr(err_msg(), "00000000000000000010.checkpoint"));
	}
	/* a checkpoint whose version disagrees with its name */
	const char *wrong = "{\"version\":9,\"schema\":{},\"files\":[],\"flushed_sequence\":0,"
			    "\"truncated_sequence\":0,\"removed\":false}";
	assert_int_equal(objstore_put(fx->os, MD "00000000000000000010.checkpoint", wrong,
				      strlen(wrong), 0),
			 ERR_OK);
	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_CORRUPT);
	assert_int_equal(objstore_put(fx->os, MD "00000000000000000010.checkpoint", cp, cplen, 0),
			 ERR_OK);
	mem_free(cp);
	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
	assert_same_state(m, m2);
	manifest_close(m2);

	/* install hitting a corrupt delta: ERR_CORRUPT, follower unchanged */
	assert_int_equal(objstore_put(fx->os, MD "00000000000000000004.json", "{\"act", 5, 0),
			 ERR_OK);
	assert_int_equal(manifest_install(f, 6), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "00000000000000000004.json"));
	assert_int_equal(manifest_version(f), 0);
	struct manifest_state st;
	assert_int_equal(manifest_state_copy(f, &st), ERR_OK);
	assert_int_equal(st.nfiles, 0);
	manifest_state_free(&st);
	manifest_close(f);
	manifest_close(m);
}

static void test_store_failures_mid_commit(void **state)
{
	struct fixture *fx = *state;
	char root[128];
	snprintf(root, sizeof(root), "%s/t", fx->dir);
	struct objstore *inner, *ts;
	assert_int_equal(objstore_open_fs(root, &inner), ERR_OK);
	assert_int_equal(objstore_open_test(inner, &ts), ERR_OK);
	struct manifest *m, *m2;
	assert_int_equal(manifest_create(ts, R, fx->schema, &m), ERR_OK);
	commit_file(m, 1);
	struct manifest_state before, after;
	assert_int_equal(manifest_state_copy(m, &before), ERR_OK);

	/* the delta put fails: error, state and store unchanged */
	assert_int_equal(objstore_test_rule(ts, "put", ".json", 1, ERR_UNAVAILABLE, 0, 0), ERR_OK);
	struct manifest_file f = mkfile("x", 2);
	struct manifest_action a = edit(&f, 1, NULL, 0, 2);
	uint64_t v = 99;
	assert_int_equal(manifest_commit(m, &a, 1, &v), ERR_UNAVAILABLE);
	assert_int_equal(v, 99);
	assert_int_equal(manifest_version(m), 1);
	assert_int_equal(manifest_state_copy(m, &after), ERR_OK);
	assert_int_equal(after.nfiles, before.nfiles);
	assert_true(after.flushed_sequence == before.flushed_sequence);
	manifest_state_free(&after);
	assert_false(exists(ts, MD "00000000000000000002.json"));
	/* the same commit goes through once the store recovers */
	assert_int_equal(manifest_commit(m, &a, 1, &v), ERR_OK);
	assert_int_equal(v, 2);

	/* the fault point fails the put the same way */
	assert_int_equal(fault_arm_spec("objstore.put=fail:0:1"), ERR_OK);
	assert_int_equal(manifest_commit(m, &a, 1, &v), ERR_IO);
	assert_int_equal(manifest_version(m), 2);
	for (int i = 3; i <= 9; i++)
		commit_file(m, i);

	/* a failed checkpoint doesn't fail the commit; it is retried next time */
	assert_int_equal(objstore_test_rule(ts, "put", ".checkpoint", 1, 0, 0, 0), ERR_OK);
	assert_int_equal(commit_file(m, 10), 10);
	assert_false(exists(ts, MD "00000000000000000010.checkpoint"));
	assert_false(exists(ts, MD "_last_checkpoint"));
	assert_int_equal(commit_file(m, 11), 11);
	assert_true(exists(ts, MD "00000000000000000011.checkpoint"));
	char *t = get_text(ts, MD "_last_checkpoint");
	assert_string_equal(t, "{\"version\":11}");
	mem_free(t);

	/* manifest.write.mid=fail: committed, checkpoint skipped */
	for (int i = 12; i <= 19; i++)
		commit_file(m, i);
	fault_arm(FAULT_MANIFEST_WRITE_MID, FAULT_FAIL, 0, 0, 1);
	assert_int_equal(commit_file(m, 20), 20);
	assert_false(exists(ts, MD "00000000000000000020.checkpoint"));
	/* manifest.write.after=fail: durable and applied, caller told ERR_IO */
	fault_arm(FAULT_MANIFEST_WRITE_AFTER, FAULT_FAIL, 0, 0, 1);
	struct manifest_file g = mkfile("g", 21);
	a = edit(&g, 1, NULL, 0, 21);
	assert_int_equal(manifest_commit(m, &a, 1, &v), ERR_IO);
	assert_int_equal(manifest_version(m), 21);
	assert_true(exists(ts, MD "00000000000000000021.checkpoint")); /* owed one */

	/* a dropped (lost) delta put: the reader stops at the gap */
	assert_int_equal(objstore_test_rule(ts, "put", ".json", 1, 0, 0, 1), ERR_OK);
	assert_int_equal(commit_file(m, 22), 22);
	assert_int_equal(manifest_open(ts, R, &m2), ERR_OK);
	assert_int_equal(manifest_version(m2), 21);
	assert_int_equal(manifest_install(m2, 22), ERR_NOT_FOUND);
	manifest_close(m2);

	/* list failing during open is reported, not mistaken for "no manifest" */
	assert_int_equal(objstore_test_rule(ts, "list", NULL, 1, ERR_IO, 0, 0), ERR_OK);
	assert_int_equal(manifest_open(ts, R, &m2), ERR_IO);

	manifest_state_free(&before);
	manifest_close(m);
	objstore_close(ts);
}

struct reader_arg {
	struct manifest *m;
	int stop;
	int bad;
};

static void *reader(void *p)
{
	struct reader_arg *a = p;
	while (!__atomic_load_n(&a->stop, __ATOMIC_RELAXED)) {
		struct manifest_state st;
		if (manifest_state_copy(a->m, &st) != ERR_OK) {
			a->bad++;
			continue;
		}
		if (st.nfiles != st.version || !st.schema)
			a->bad++;
		manifest_state_free(&st);
	}
	return NULL;
}

static void test_readers_during_commits(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	struct reader_arg ra = {m, 0, 0};
	pthread_t th;
	pthread_create(&th, NULL, reader, &ra);
	for (int i = 1; i <= 15; i++)
		commit_file(m, i);
	__atomic_store_n(&ra.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	assert_int_equal(ra.bad, 0);
	manifest_close(m);
}

/* Out of memory at every allocation of open and commit: a clean error (or
 * success), no crash, no leak (ASan), and a commit either happened fully or
 * not at all. */
static void test_out_of_memory(void **state)
{
	struct fixture *fx = *state;
	struct manifest *m, *m2;
	assert_int_equal(manifest_create(fx->os, R, fx->schema, &m), ERR_OK);
	for (int i = 1; i <= 9; i++)
		commit_file(m, i);
	int opened = 0, committed = 0;
	for (long n = 0; n < 2000 && !opened; n++) {
		mem_fail_after(n);
		int rc = manifest_open(fx->os, R, &m2);
		mem_fail_after(-1);
		if (rc == ERR_OK) {
			opened = 1;
			assert_same_state(m, m2);
			manifest_close(m2);
		} else {
			assert_int_equal(rc, ERR_NOMEM);
			assert_null(m2);
		}
	}
	/* commit 10 needs a checkpoint too; a failed one only becomes owed */
	for (long n = 0; n < 2000 && !committed; n++) {
		uint64_t before = manifest_version(m);
		struct manifest_file f = mkfile("oom", 10);
		struct manifest_action a = edit(&f, 1, NULL, 0, 10);
		mem_fail_after(n);
		int rc = manifest_commit(m, &a, 1, NULL);
		mem_fail_after(-1);
		if (rc == ERR_OK) {
			committed = 1;
			assert_int_equal(manifest_version(m), before + 1);
		} else {
			assert_int_equal(rc, ERR_NOMEM);
			assert_int_equal(manifest_version(m), before);
		}
	}
	assert_true(opened && committed);
	/* whatever happened, the store and memory agree */
	assert_int_equal(manifest_open(fx->os, R, &m2), ERR_OK);
	assert_same_state(m, m2);
	manifest_close(m2);
	manifest_close(m);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_commit_reopen),
		T(test_open_missing_and_bad_dir),
		T(test_big_numbers_round_trip),
		T(test_checkpoints),
		T(test_open_at),
		T(test_install_from_behind),
		T(test_install_checkpoint_fallback),
		T(test_delete_before),
		T(test_second_writer_conflict),
		T(test_retry_of_same_delta_is_idempotent),
		T(test_files_bookkeeping),
		T(test_change_truncate_remove),
		T(test_corrupt_deltas),
		T(test_corrupt_checkpoint_and_install),
		T(test_store_failures_mid_commit),
		T(test_readers_during_commits),
		T(test_out_of_memory),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
