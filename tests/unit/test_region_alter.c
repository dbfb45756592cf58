/*
 * Region schema change tests (region_alter, schema_alter.h): rows in SSTs
 * before and after an ADD, DEFAULT fill, a follower installing the change,
 * WAL replay after an ADD (old-schema rows in the WAL before the change),
 * an added tag (older keys extended with NULL, dedup with new rows),
 * a dropped column's data ignored even when the name comes back with
 * another type, compaction across two schema versions, refused changes,
 * hostile DEFAULT texts and hostile schema metadata in an SST.
 */
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
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/region.h"
#include "storage/schema_alter.h"

struct env {
	char *dir;
	char path[512];
	char wal[600];
	struct objstore *store;
	struct region_engine *le;
	struct region_engine *fe;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->dir = fx_tempdir("region_alter");
	snprintf(e->path, sizeof(e->path), "%s/objects", e->dir);
	assert_int_equal(objstore_open_fs(e->path, &e->store), ERR_OK);
	snprintf(e->wal, sizeof(e->wal), "%s/wal", e->dir);
	struct region_engine_options o = {.store = e->store, .wal_dir = e->wal, .gc_lingering_ms = 1};
	assert_int_equal(region_engine_open(&o, &e->le), ERR_OK);
	struct region_engine_options fo = {.store = e->store, .gc_lingering_ms = 1};
	assert_int_equal(region_engine_open(&fo, &e->fe), ERR_OK);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	region_engine_close(e->le);
	region_engine_close(e->fe);
	objstore_close(e->store);
	fx_rmrf(e->dir);
	mem_free(e->dir);
	free(e);
	return 0;
}

static const char *DIR1 = "data/greptime/public/1024/1024_0000000000/";
#define RID REGION_ID(1024, 0)

/* ---- helpers ------------------------------------------------------------ */

/* s + column (name, type, id, default) appended as a field, version + 1 */
static struct region_schema *with_added(const struct region_schema *s, const char *name,
					enum dtype type, uint32_t id, const char *def)
{
	struct region_schema *n = region_schema_clone(s);
	n->cols = mem_realloc(n->cols, (n->ncols + 1) * sizeof(*n->cols));
	struct column_schema *c = &n->cols[n->ncols++];
	memset(c, 0, sizeof(*c));
	c->name = mem_strdup(name);
	c->type = type;
	c->sem = SEM_FIELD;
	c->nullable = true;
	c->column_id = id;
	c->default_sql = def ? mem_strdup(def) : NULL;
	n->version = s->version + 1;
	return n;
}

/* s + a nullable STRING tag appended to the primary key, version + 1 */
static struct region_schema *with_tag(const struct region_schema *s, const char *name, uint32_t id)
{
	struct region_schema *n = with_added(s, name, DT_STRING, id, NULL);
	n->cols[n->ncols - 1].sem = SEM_TAG;
	n->pk_cols = mem_realloc(n->pk_cols, (n->npk + 1) * sizeof(uint32_t));
	n->pk_cols[n->npk++] = n->ncols - 1;
	return n;
}

/* s without column `name` (a field), version + 1 */
static struct region_schema *with_dropped(const struct region_schema *s, const char *name)
{
	struct region_schema *n = region_schema_clone(s);
	int k = region_schema_find(n, name);
	assert_true(k >= 0);
	mem_free(n->cols[k].name);
	mem_free(n->cols[k].default_sql);
	memmove(&n->cols[k], &n->cols[k + 1], (n->ncols - k - 1) * sizeof(n->cols[0]));
	n->ncols--;
	if (n->ts_col > (uint32_t)k)
		n->ts_col--;
	for (uint32_t i = 0; i < n->npk; i++)
		if (n->pk_cols[i] > (uint32_t)k)
			n->pk_cols[i]--;
	n->version = s->version + 1;
	return n;
}

/* One row as text values per column ("~" = NULL), in schema order. */
static void push_row(struct batch *b, const struct region_schema *s, const char *const *vals)
{
	for (uint32_t c = 0; c < s->ncols; c++) {
		struct colvec *v = &b->cols[c];
		if (!strcmp(vals[c], "~"))
			assert_int_equal(colvec_push_null(v), ERR_OK);
		else if (dtype_phys(s->cols[c].type) == PHYS_BYTES)
			assert_int_equal(colvec_push_bytes(v, vals[c], strlen(vals[c])), ERR_OK);
		else if (dtype_phys(s->cols[c].type) == PHYS_F64)
			assert_int_equal(colvec_push_f64(v, atof(vals[c])), ERR_OK);
		else
			assert_int_equal(colvec_push_i64(v, atoll(vals[c])), ERR_OK);
	}
	b->nrows++;
}

/* Write rows of `ncols` text values each with the region's current schema. */
static void write_text(struct region *r, const char *const *vals, uint32_t nrows)
{
	const struct region_schema *s = region_schema(r);
	enum dtype types[64];
	for (uint32_t c = 0; c < s->ncols; c++)
		types[c] = s->cols[c].type;
	struct batch b;
	assert_int_equal(batch_init(&b, s->ncols, types), ERR_OK);
	for (uint32_t i = 0; i < nrows; i++)
		push_row(&b, s, vals + (size_t)i * s->ncols);
	assert_int_equal(region_write(r, &b, OP_PUT, NULL), ERR_OK);
	batch_free(&b);
}

static void cell(struct buf *o, const struct colvec *v, uint32_t i)
{
	if (colvec_is_null(v, i)) {
		buf_printf(o, "~");
	} else if (dtype_phys(v->type) == PHYS_BYTES) {
		uint32_t n;
		const char *p = colvec_bytes(v, i, &n);
		buf_printf(o, "%.*s", (int)n, p);
	} else if (dtype_phys(v->type) == PHYS_F64) {
		buf_printf(o, "%g", v->f64[i]);
	} else {
		buf_printf(o, "%lld", (long long)v->i64[i]);
	}
}

/* Drain src into "a|1|x;b|2|y;" (user columns of schema s). */
static char *dump(struct sorted_source *src, const struct region_schema *s)
{
	struct buf o;
	buf_init(&o);
	const struct batch *b;
	while (sorted_source_next(src, &b) == ERR_OK && b) {
		for (uint32_t i = 0; i < b->nrows; i++) {
			for (uint32_t c = 0; c < s->ncols; c++) {
				assert_true(b->cols[c].len == b->nrows);
				if (c)
					buf_printf(&o, "|");
				cell(&o, &b->cols[c], i);
			}
			buf_printf(&o, ";");
		}
	}
	sorted_source_close(src);
	buf_cstr(&o);
	char *txt = mem_strdup(o.data ? (const char *)o.data : "");
	buf_free(&o);
	return txt;
}

static void expect_scan(struct region *r, const char *want)
{
	struct sorted_source *src;
	assert_int_equal(region_scan(r, NULL, &src), ERR_OK);
	char *got = dump(src, region_schema(r));
	if (strcmp(got, want))
		fail_msg("scan:\n got  %s\n want %s", got, want);
	mem_free(got);
}

static struct region *create(struct env *e)
{
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct region *r = NULL;
	assert_int_equal(region_create(e->le, RID, DIR1, s, &r), ERR_OK);
	region_schema_free(s);
	return r;
}

static void alter(struct region *r, struct region_schema *n)
{
	assert_int_equal(region_alter(r, n), ERR_OK);
	region_schema_free(n);
}

/* ---- tests -------------------------------------------------------------- */

static void test_add_column_ssts_before_and_after(void **state)
{
	struct env *e = *state;
	struct region *r = create(e);
	const char *a[] = {"a", "1", "1.5", "10", "b", "2", "2.5", "~"};
	write_text(r, a, 2);
	assert_int_equal(region_flush(r), ERR_OK);
	const char *b[] = {"c", "3", "3.5", "30"};
	write_text(r, b, 1); /* memtable only: the change flushes it */
	alter(r, with_added(region_schema(r), "m", DT_INT64, 4, "7"));
	struct region_stat st;
	region_get_stat(r, &st);
	assert_int_equal(st.memtable_rows, 0);
	assert_int_equal(st.sst_num, 2);
	assert_int_equal(region_schema(r)->ncols, 5);
	assert_int_equal(region_schema(r)->version, 1);
	expect_scan(r, "a|1|1.5|10|7;b|2|2.5|~|7;c|3|3.5|30|7;");
	/* a batch of the old layout is refused, nothing written */
	struct region_schema *old = fx_schema(false, MERGE_LAST_ROW);
	struct batch ob;
	enum dtype t4[] = {DT_STRING, DT_TS_MS, DT_FLOAT64, DT_INT64};
	batch_init(&ob, 4, t4);
	push_row(&ob, old, b);
	assert_int_equal(region_write(r, &ob, OP_PUT, NULL), ERR_BAD_INPUT);
	batch_free(&ob);
	region_schema_free(old);
	/* new rows (one overwriting an old row) in memtable, then in an SST */
	const char *c[] = {"d", "4", "4.5", "40", "44", "a", "1", "9.5", "~", "~"};
	write_text(r, c, 2);
	expect_scan(r, "a|1|9.5|~|~;b|2|2.5|~|7;c|3|3.5|30|7;d|4|4.5|40|44;");
	assert_int_equal(region_flush(r), ERR_OK);
	expect_scan(r, "a|1|9.5|~|~;b|2|2.5|~|7;c|3|3.5|30|7;d|4|4.5|40|44;");
	region_close(r);
}

static void test_follower_installs_change(void **state)
{
	struct env *e = *state;
	struct region *l = create(e);
	struct region *f = NULL;
	assert_int_equal(region_open_follower(e->fe, RID, DIR1, 0, &f), ERR_OK);
	const struct region_schema *fs0 = region_schema(f);
	assert_int_equal(fs0->ncols, 4);
	const char *a[] = {"a", "1", "1", "1"};
	write_text(l, a, 1);
	alter(l, with_added(region_schema(l), "s", DT_STRING, 4, "'it''s'"));
	const char *b[] = {"b", "2", "2", "2", "new"};
	write_text(l, b, 1);
	/* fresh follower read: snapshot at the new version, installed first */
	uint64_t v;
	struct batch rows;
	assert_int_equal(region_snapshot(l, NULL, &v, &rows), ERR_OK);
	assert_int_equal(rows.nrows, 1);
	struct sorted_source *src;
	assert_int_equal(region_follower_scan(f, NULL, v, &rows, &src), ERR_OK);
	assert_int_equal(region_schema(f)->ncols, 5);
	char *got = dump(src, region_schema(f));
	assert_string_equal(got, "a|1|1|1|it's;b|2|2|2|new;");
	mem_free(got);
	batch_free(&rows);
	/* the schema object a reader saw before the install is still valid */
	assert_int_equal(fs0->ncols, 4);
	assert_string_equal(fs0->cols[3].name, "n");
	/* an SST-only scan on the follower after install */
	assert_int_equal(region_flush(l), ERR_OK);
	struct region_stat st;
	region_get_stat(l, &st);
	assert_int_equal(region_install(f, st.manifest_version), ERR_OK);
	expect_scan(f, "a|1|1|1|it's;b|2|2|2|new;");
	region_close(f);
	region_close(l);
}

/* DROP COLUMN n, ADD COLUMN m of the same type in one change: a leader
 * memtable snapshot taken before it is in the old layout, and a follower
 * that installed the change since refuses to merge it (it would read n's
 * values as m's); a snapshot taken after it merges exactly. The leader
 * refuses a batch built for the old version (the write fence), and a
 * legacy writer (no version) once the schema changed. */
static void test_follower_refuses_older_snapshot(void **state)
{
	struct env *e = *state;
	struct region *l = create(e);
	struct region *f = NULL;
	assert_int_equal(region_open_follower(e->fe, RID, DIR1, 0, &f), ERR_OK);
	const char *a[] = {"a", "1", "1.5", "10"};
	write_text(l, a, 1);
	uint64_t v0;
	struct batch old_rows;
	assert_int_equal(region_snapshot(l, NULL, &v0, &old_rows), ERR_OK);
	assert_int_equal(old_rows.nrows, 1);
	/* an old-layout batch, accepted at version 0 (fenced or legacy) */
	struct region_schema *s0 = region_schema_clone(region_schema(l));
	enum dtype t4[] = {DT_STRING, DT_TS_MS, DT_FLOAT64, DT_INT64};
	struct batch ob;
	batch_init(&ob, 4, t4);
	const char *o[] = {"o", "5", "5.5", "50"};
	push_row(&ob, s0, o);
	assert_int_equal(region_write_at_version(l, &ob, OP_PUT, true, 0, NULL), ERR_OK);
	assert_int_equal(region_write_at_version(l, &ob, OP_PUT, false, 0, NULL), ERR_OK);
	struct region_schema *d = with_dropped(s0, "n");
	struct region_schema *m = with_added(d, "m", DT_INT64, 4, NULL);
	m->version = s0->version + 1;
	region_schema_free(d);
	alter(l, m);
	/* the same batch, same physical types, after the change: refused */
	assert_int_equal(region_write_at_version(l, &ob, OP_PUT, true, 0, NULL), ERR_CONFLICT);
	assert_true(region_schema_mismatch_error(ERR_CONFLICT));
	assert_int_equal(region_write_at_version(l, &ob, OP_PUT, false, 0, NULL), ERR_CONFLICT);
	assert_true(region_schema_mismatch_error(ERR_CONFLICT));
	assert_int_equal(region_write_at_version(l, &ob, OP_PUT, true, 2, NULL), ERR_CONFLICT);
	const char *b[] = {"b", "2", "2.5", "20"};
	batch_free(&ob);
	batch_init(&ob, 4, t4);
	push_row(&ob, region_schema(l), b);
	assert_int_equal(region_write_at_version(l, &ob, OP_PUT, true, 1, NULL), ERR_OK);
	batch_free(&ob);
	region_schema_free(s0);
	/* the follower installs the change, then gets the older snapshot */
	struct region_stat st;
	region_get_stat(l, &st);
	assert_int_equal(region_install(f, st.manifest_version), ERR_OK);
	assert_int_equal(region_schema(f)->version, 1);
	struct sorted_source *src = NULL;
	assert_int_equal(region_follower_scan(f, NULL, v0, &old_rows, &src), ERR_RETRY);
	assert_null(src);
	assert_non_null(strstr(err_msg(), "predates"));
	batch_free(&old_rows);
	/* a snapshot at the new version merges: n's 10 and 50 never show as m */
	uint64_t v1;
	struct batch rows;
	assert_int_equal(region_snapshot(l, NULL, &v1, &rows), ERR_OK);
	assert_int_equal(region_follower_scan(f, NULL, v1, &rows, &src), ERR_OK);
	char *got = dump(src, region_schema(f));
	assert_string_equal(got, "a|1|1.5|~;b|2|2.5|20;o|5|5.5|~;");
	mem_free(got);
	batch_free(&rows);
	/* no snapshot rows (nothing to reinterpret): an old version is fine */
	assert_int_equal(region_follower_scan(f, NULL, v0, NULL, &src), ERR_OK);
	sorted_source_close(src);
	region_close(f);
	region_close(l);
}

static void test_wal_replay_after_add(void **state)
{
	struct env *e = *state;
	struct region *r = create(e);
	const char *a[] = {"a", "1", "1", "1", "b", "2", "2", "2"};
	write_text(r, a, 2); /* in the WAL, flushed by the change */
	alter(r, with_added(region_schema(r), "m", DT_INT32, 4, "-3"));
	const char *b[] = {"c", "3", "3", "3", "33", "a", "1", "5", "5", "55"};
	write_text(r, b, 2); /* in the WAL only, new layout */
	const char *want = "a|1|5|5|55;b|2|2|2|-3;c|3|3|3|33;";
	expect_scan(r, want);
	region_close(r); /* a crash: nothing flushed since the change */
	assert_int_equal(region_open_leader(e->le, RID, DIR1, &r), ERR_OK);
	assert_int_equal(region_schema(r)->ncols, 5);
	expect_scan(r, want);
	/* sequences continue: a new write still wins */
	const char *c[] = {"b", "2", "8", "8", "88"};
	write_text(r, c, 1);
	expect_scan(r, "a|1|5|5|55;b|2|8|8|88;c|3|3|3|33;");
	region_close(r);
	/* once more, now replaying on top of a flushed change */
	assert_int_equal(region_open_leader(e->le, RID, DIR1, &r), ERR_OK);
	expect_scan(r, "a|1|5|5|55;b|2|8|8|88;c|3|3|3|33;");
	region_close(r);
}

static void test_drop_then_readd_ignores_old_data(void **state)
{
	struct env *e = *state;
	struct region *r = create(e);
	const char *a[] = {"a", "1", "1.5", "10"};
	write_text(r, a, 1);
	assert_int_equal(region_flush(r), ERR_OK);
	alter(r, with_dropped(region_schema(r), "v"));
	expect_scan(r, "a|1|10;");
	const char *b[] = {"b", "2", "20"};
	write_text(r, b, 1);
	/* "v" comes back as a STRING with a new id: the old doubles stay hidden */
	alter(r, with_added(region_schema(r), "v", DT_STRING, 4, NULL));
	expect_scan(r, "a|1|10|~;b|2|20|~;");
	const char *c[] = {"c", "3", "30", "three"};
	write_text(r, c, 1);
	assert_int_equal(region_flush(r), ERR_OK);
	expect_scan(r, "a|1|10|~;b|2|20|~;c|3|30|three;");
	region_close(r);
	assert_int_equal(region_open_leader(e->le, RID, DIR1, &r), ERR_OK);
	expect_scan(r, "a|1|10|~;b|2|20|~;c|3|30|three;");
	region_close(r);
}

static void test_compaction_merges_two_schema_versions(void **state)
{
	struct env *e = *state;
	struct region *r = create(e);
	const char *a[] = {"a", "1", "1", "1", "b", "2", "2", "2"};
	write_text(r, a, 2);
	assert_int_equal(region_flush(r), ERR_OK);
	alter(r, with_added(region_schema(r), "f", DT_FLOAT64, 4, "0.25"));
	const char *b[] = {"a", "1", "9", "9", "0.5", "c", "3", "3", "3", "~"};
	write_text(r, b, 2);
	assert_int_equal(region_flush(r), ERR_OK);
	const char *want = "a|1|9|9|0.5;b|2|2|2|0.25;c|3|3|3|~;";
	expect_scan(r, want);
	struct region_stat st;
	region_get_stat(r, &st);
	assert_int_equal(st.sst_num, 2);
	assert_int_equal(region_compact(r, true), ERR_OK);
	region_get_stat(r, &st);
	assert_int_equal(st.sst_num, 1);
	expect_scan(r, want);
	/* the compacted file is of the new schema: a later drop still works */
	alter(r, with_dropped(region_schema(r), "n"));
	expect_scan(r, "a|1|9|0.5;b|2|2|0.25;c|3|3|~;");
	region_close(r);
}

static void test_add_tag(void **state)
{
	struct env *e = *state;
	struct region *r = create(e);
	const char *a[] = {"a", "1", "1", "1", "b", "2", "2", "2", "a", "3", "3", "3"};
	write_text(r, a, 3);
	assert_int_equal(region_flush(r), ERR_OK);
	struct region *f = NULL;
	assert_int_equal(region_open_follower(e->fe, RID, DIR1, 0, &f), ERR_OK);
	alter(r, with_tag(region_schema(r), "zone", 4));
	assert_int_equal(region_schema(r)->npk, 2);
	/* old rows: zone NULL, keys extended, still in key order */
	expect_scan(r, "a|1|1|1|~;a|3|3|3|~;b|2|2|2|~;");
	/* a new row with zone NULL is the same series: it replaces (a, 1);
	 * zone 'z' is another series, sorted after (a, NULL) */
	const char *b[] = {"a", "1", "9", "9", "~", "a", "1", "5", "5", "z", "b", "0", "0", "0", "y"};
	write_text(r, b, 3);
	const char *want = "a|1|9|9|~;a|3|3|3|~;a|1|5|5|z;b|2|2|2|~;b|0|0|0|y;";
	expect_scan(r, want);
	assert_int_equal(region_flush(r), ERR_OK);
	expect_scan(r, want);
	assert_int_equal(region_compact(r, true), ERR_OK);
	struct region_stat st;
	region_get_stat(r, &st);
	assert_int_equal(st.sst_num, 1);
	expect_scan(r, want);
	/* the follower installs the change and reads the same */
	assert_int_equal(region_install(f, st.manifest_version), ERR_OK);
	expect_scan(f, want);
	region_close(f);
	region_close(r);
	assert_int_equal(region_open_leader(e->le, RID, DIR1, &r), ERR_OK);
	expect_scan(r, want);
	region_close(r);
}

static void test_add_tag_before_compaction(void **state)
{
	/* old and new files merged: the old file's keys are extended on read */
	struct env *e = *state;
	struct region *r = create(e);
	const char *a[] = {"a", "1", "1", "1", "c", "2", "2", "2"};
	write_text(r, a, 2);
	assert_int_equal(region_flush(r), ERR_OK);
	alter(r, with_tag(region_schema(r), "zone", 4));
	const char *b[] = {"a", "1", "7", "7", "~", "b", "5", "5", "5", "q"};
	write_text(r, b, 2);
	assert_int_equal(region_flush(r), ERR_OK);
	const char *want = "a|1|7|7|~;b|5|5|5|q;c|2|2|2|~;";
	expect_scan(r, want);
	assert_int_equal(region_compact(r, true), ERR_OK);
	expect_scan(r, want);
	region_close(r);
}

static void test_refused_changes(void **state)
{
	struct env *e = *state;
	struct region *r = create(e);
	const struct region_schema *s = region_schema(r);
	/* version must be current + 1 */
	struct region_schema *n = with_added(s, "m", DT_INT64, 4, NULL);
	n->version = 5;
	assert_int_equal(region_alter(r, n), ERR_BAD_INPUT);
	region_schema_free(n);
	/* a surviving column changes type */
	n = region_schema_clone(s);
	n->version = 1;
	n->cols[2].type = DT_INT64;
	assert_int_equal(region_alter(r, n), ERR_BAD_INPUT);
	region_schema_free(n);
	/* an added column reuses an id */
	n = with_added(s, "m", DT_INT64, 2, NULL);
	assert_int_equal(region_alter(r, n), ERR_BAD_INPUT);
	region_schema_free(n);
	/* an added tag with a default, or not nullable */
	n = with_tag(s, "zone", 4);
	n->cols[4].default_sql = mem_strdup("'z'");
	assert_int_equal(region_alter(r, n), ERR_BAD_INPUT);
	region_schema_free(n);
	n = with_tag(s, "zone", 4);
	n->cols[4].nullable = false;
	assert_int_equal(region_alter(r, n), ERR_BAD_INPUT);
	region_schema_free(n);
	/* an existing field turned into a tag */
	n = region_schema_clone(s);
	n->version = 1;
	n->cols[2].sem = SEM_TAG;
	n->pk_cols = mem_realloc(n->pk_cols, 2 * sizeof(uint32_t));
	n->pk_cols[n->npk++] = 2;
	assert_int_equal(region_alter(r, n), ERR_BAD_INPUT);
	region_schema_free(n);
	/* dropping the tag */
	n = region_schema_clone(s);
	n->version = 1;
	n->npk = 0;
	n->cols[0].sem = SEM_FIELD;
	assert_int_equal(region_alter(r, n), ERR_BAD_INPUT);
	region_schema_free(n);
	assert_int_equal(region_schema(r)->version, 0);
	/* a follower cannot change its schema */
	struct region *f = NULL;
	assert_int_equal(region_open_follower(e->fe, RID, DIR1, 0, &f), ERR_OK);
	n = with_added(s, "m", DT_INT64, 4, NULL);
	assert_int_equal(region_alter(f, n), ERR_READONLY);
	region_schema_free(n);
	region_close(f);
	region_close(r);
}

/* Overwrite the first occurrence of `from` in every SST of the region with
 * `to` (same length): a hostile schema metadata entry. */
static void patch_ssts(struct env *e, const char *from, const char *to)
{
	struct objstore_list l;
	assert_int_equal(objstore_list(e->store, DIR1, &l), ERR_OK);
	size_t patched = 0, fl = strlen(from);
	for (size_t i = 0; i < l.n; i++) {
		size_t kl = strlen(l.keys[i]);
		if (kl < 8 || strcmp(l.keys[i] + kl - 8, ".parquet"))
			continue;
		uint8_t *data;
		size_t len;
		assert_int_equal(objstore_get(e->store, l.keys[i], &data, &len), ERR_OK);
		for (size_t k = 0; k + fl <= len; k++)
			if (!memcmp(data + k, from, fl)) {
				memcpy(data + k, to, fl);
				patched++;
				break;
			}
		assert_int_equal(objstore_put(e->store, l.keys[i], data, len, 0), ERR_OK);
		mem_free(data);
	}
	objstore_list_free(&l);
	assert_true(patched > 0);
}

static void test_hostile_sst_schema_metadata(void **state)
{
	struct env *e = *state;
	struct region *r = create(e);
	const char *a[] = {"a", "1", "1", "1"};
	write_text(r, a, 1);
	assert_int_equal(region_flush(r), ERR_OK);
	alter(r, with_added(region_schema(r), "m", DT_INT64, 4, "7"));
	region_close(r);
	/* metadata that is not JSON, then JSON that is not a schema: a clear
	 * ERR_CORRUPT naming the SST (the follower engine reads cold) */
	static const char *const cases[][2] = {{"{\"columns\"", "#\"columns\""},
					       {"#\"columns\"", "{\"xolumns\""}};
	for (size_t i = 0; i < 2; i++) {
		patch_ssts(e, cases[i][0], cases[i][1]);
		struct region *f = NULL;
		assert_int_equal(region_open_follower(e->fe, RID, DIR1, 0, &f), ERR_OK);
		struct sorted_source *src = NULL;
		assert_int_equal(region_scan(f, NULL, &src), ERR_CORRUPT);
		assert_non_null(strstr(err_msg(), ".parquet"));
		assert_null(src);
		region_close(f);
	}
}

static void check_fill(enum dtype t, const char *def, int want_rc, const char *want)
{
	struct column_schema cs = {.name = "c", .type = t, .sem = SEM_FIELD, .nullable = true,
				   .default_sql = (char *)def};
	struct datum d;
	char *owned = NULL;
	int rc = column_fill_datum(&cs, &d, &owned);
	assert_int_equal(rc, want_rc);
	if (rc == ERR_OK) {
		struct colvec v;
		colvec_init(&v, t);
		assert_int_equal(colvec_push_datum(&v, &d), ERR_OK);
		struct buf o;
		buf_init(&o);
		cell(&o, &v, 0);
		buf_cstr(&o);
		assert_string_equal((const char *)o.data, want);
		buf_free(&o);
		colvec_free(&v);
	}
	mem_free(owned);
}

static void test_fill_datum(void **state)
{
	(void)state;
	check_fill(DT_INT64, NULL, ERR_OK, "~");
	check_fill(DT_INT64, "NULL", ERR_OK, "~");
	check_fill(DT_INT32, "-7", ERR_OK, "-7");
	check_fill(DT_UINT64, "18446744073709551615", ERR_OK, "-1");
	check_fill(DT_FLOAT64, "1.25", ERR_OK, "1.25");
	check_fill(DT_FLOAT64, "-3", ERR_OK, "-3");
	check_fill(DT_BOOL, "true", ERR_OK, "1");
	check_fill(DT_STRING, "'a''b'", ERR_OK, "a'b");
	check_fill(DT_STRING, "''", ERR_OK, "");
	check_fill(DT_TS_MS, "1000", ERR_OK, "1000");
	/* hostile or non-constant: a clear error, never a crash */
	const char *bad[] = {"'abc", "'", "'a'b'", "now()", "current_timestamp()", "",
			     "--1", "1e999x", "99999999999999999999", "1.5", "abc", "'x'"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_fill(i == 1 || i == 2 || i == 11 ? DT_STRING : DT_INT64, bad[i],
			   i == 11 ? ERR_OK : ERR_UNSUPPORTED, "x");
	check_fill(DT_INT8, "128", ERR_UNSUPPORTED, NULL);
	check_fill(DT_UINT8, "-1", ERR_UNSUPPORTED, NULL);
	check_fill(DT_BOOL, "1", ERR_UNSUPPORTED, NULL);
	check_fill(DT_DATE, "'2024-01-01'", ERR_UNSUPPORTED, NULL);
	check_fill(DT_INT64, "'7'", ERR_UNSUPPORTED, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_column_ssts_before_and_after, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_follower_installs_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follower_refuses_older_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wal_replay_after_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_then_readd_ignores_old_data, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compaction_merges_two_schema_versions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_add_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_tag_before_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_sst_schema_metadata, setup, teardown),
		cmocka_unit_test(test_fill_datum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
