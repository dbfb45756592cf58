/*
 * region: leader and follower regions of one datanode. See region.h for
 * the model and invariants.
 *
 * Locks (always taken in this order):
 *   flush_mu  serialises manifest commits (flush, compaction, truncate)
 *   write_mu  serialises writers: sequence assignment, WAL append and
 *             memtable insert happen as one step per batch, so a frozen
 *             memtable always holds a prefix of the sequence space
 *   state_mu  protects the memtable list and the cached manifest state;
 *             held briefly (scan setup, memtable insert, state swaps)
 *
 * Flushes. A write that takes the active memtable over its budget freezes
 * it. With the engine's background flush (region_engine_options) the
 * frozen memtable goes to the engine's flusher thread, which runs at the
 * lowest CPU priority: while writers keep the cores busy the flush waits,
 * so a burst of writes is not slowed down by writing SSTs of its own
 * earlier rows (its rows are in the WAL and the memtables; scans read
 * frozen memtables). Back-pressure: a write that finds a frozen memtable
 * still waiting flushes inline (region_flush), so at most one frozen
 * memtable waits per region. Without background flush (the default) the
 * write that froze the memtable flushes it before returning.
 * Lock order: fq_mu is never held while taking a region lock; the flusher
 * takes flush_mu with fq_mu released and a region being closed waits for
 * the flusher to be done with it (flusher_forget).
 *
 * WAL entry of a region write: seq = last sequence of the batch,
 * payload = [u8 op_type][batch_encode(rows)]; the batch's rows have
 * sequences seq-nrows+1 .. seq.
 *
 * Last-row-per-series scans (pred.h hint; never in append mode, never with
 * a field predicate). A source in tail mode returns, per series, its rows
 * from its newest identity (pk, ts) whose newest version is a put on
 * (memtable.h, sst.h). A source's tail is enough when no source that may
 * hold a newer version of one of its identities holds a delete: then that
 * put (or a newer put version of the same identity) survives the merge,
 * so the series' answer is at that ts or later, and every version at the
 * answer's ts T is in the tail of every source holding one (T is at or
 * above each such source's own newest put), which is what the merge needs
 * for last_row and last_non_null alike. Sources are ordered: the active
 * memtable is newer than the frozen ones, which are newer than every SST
 * (flush order; memtable rows are read with seq > flushed); SSTs among
 * themselves are taken as unordered. Hence (region_scan):
 *   - the active memtable always reads in tail mode (nothing newer);
 *   - an SST or a memtable that is the only source reads in tail mode
 *     (nothing newer);
 *   - otherwise, when no memtable holds a delete (memtable_has_delete,
 *     counted at write whatever the row's sequence), the frozen memtables
 *     read in tail mode, and so do all SSTs when, in addition, none of the
 *     overlapping files holds a delete (sst_source_no_delete: the file's
 *     strata.sst.no_delete or strata.sst.unique flag); else all SSTs
 *     read in full.
 * TTL and truncate change which files exist and where memtable reads
 * start, never the rule (a delete that is not read hides nothing read).
 * Follower scans (files + the leader's snapshot rows, the newest source,
 * read whole) read the files in tail mode by the same rule when the
 * snapshot rows it reads (seq above the follower's flushed sequence) hold
 * no delete; otherwise in full.
 *
 * An SST in tail mode answers from its tail summary (sst.h SST_KV_TAIL,
 * decoded once per cached file) when the file has one and the scan's time
 * range and predicates cannot cut a summarised tail; else from its pages.
 *
 * Query scans leave out, one by one, the memtables with no row in the
 * request's time range (mt_overlaps), and a file source whose time range
 * meets no other source of the scan (no file, no memtable read) is
 * exclusive: no other source holds a version of its identities, so a
 * unique file skips its internal columns and applies field predicates
 * itself (mark_exclusive_files, sst_source_set_exclusive). Likewise a
 * memtable (query_memtables_locked): when its range, clipped to the
 * request's, meets no other source's, it applies the field predicates
 * itself if its selected rows are unique; when it is the only source it
 * also leaves the internal columns empty and the merge passes its rows
 * through.
 *
 * Disjoint scans (hint "any series order", merge.h; not with the last-row
 * hint). The row identity includes ts, so sources whose time ranges
 * (memtables: memtable_ts_min/max over every row written; files: the
 * manifest's ts_min/ts_max), clipped to the request's range, are pairwise
 * disjoint hold no version of a common identity: deduplicating each one
 * on its own (its own one-source merge: dedup, deletes, merge mode and
 * append mode exactly as the k-way merge would apply them to its rows) is
 * the merged answer. The sources are handed out one after another in
 * ascending time, so each series' rows stay in ts order (a float sum per
 * series adds in the same order as after the merge); a source whose rows
 * are unique (the memtable's own check; a file's strata.sst.unique) reads
 * lean and passes through (no internal column is read or built). Touching
 * ranges (one source's newest ts = another's oldest) overlap. A source
 * whose range overlaps another's is read ahead when the request has no
 * field predicate: if it returns no row it holds no identity the answer
 * can contain and is left out (one late row no longer drags a whole
 * memtable or file into every window it spans). Any overlap left falls
 * back to the merge. TTL and truncate change which files and rows exist,
 * never the rule.
 */
#include "storage/region.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/column_codec.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/log.h"
#include "base/mem.h"
#include "objstore/objstore.h"
#include "storage/manifest.h"
#include "storage/memtable.h"
#include "storage/merge.h"
#include "storage/pred.h"
#include "storage/schema_alter.h"
#include "storage/sst.h"
#include "storage/wal.h"

#define DEFAULT_MEMTABLE_BUDGET (64u << 20)
#define DEFAULT_LINGERING_MS 60000
#define DEFAULT_TRIGGER 4
#define DEFAULT_CACHE_BYTES ((size_t)256 << 20)
#define MAX_FROZEN 16

/* The engine's background flusher (background_flush): regions with a
 * frozen memtable waiting, flushed one at a time in queue order. */
struct flusher {
	pthread_t thread;
	pthread_mutex_t fq_mu;
	pthread_cond_t fq_cv;         /* queue not empty, or stop */
	pthread_cond_t done_cv;       /* current changed */
	struct region **queue;        /* each region at most once */
	size_t n, cap;
	struct region *current;       /* being flushed, fq_mu released */
	bool stop;
};

struct region_engine {
	struct region_engine_options opt;
	struct wal *wal;
	struct sst_cache *cache;
	struct flusher *flusher; /* NULL without background_flush */
};

/* A memtable shared by the region and open scans over it. The count is
 * atomic and the struct points to nothing of the region's, because a scan
 * may outlive the region (DROP TABLE while a query still reads). */
struct mt_ref {
	struct memtable *mt;
	atomic_int refs;
};

struct pending_delete {
	char file_id[40];
	uint64_t removed_version;
	int64_t removed_at_ms;
};

struct region {
	struct region_engine *e;
	uint64_t id;
	char *dir;
	enum region_role role;
	pthread_mutex_t flush_mu;
	pthread_mutex_t write_mu;
	pthread_mutex_t state_mu;
	struct manifest *manifest;
	struct manifest_state state; /* copy of the manifest at its current version */
	struct mt_ref *active;       /* leader only */
	struct mt_ref *frozen[MAX_FROZEN];
	uint32_t nfrozen;
	uint64_t next_seq;
	uint64_t written_bytes;
	struct pending_delete *pending;
	size_t npending, pending_cap;
	int64_t opened_at_ms;
	int64_t last_install_ms;
	/* Schemas replaced by a schema change, kept until the region is freed:
	 * state.schema is read without state_mu on hot paths (writes, the
	 * datanode's schema copies), so a schema object is never freed while
	 * the region lives (refresh_state_locked keeps an unchanged schema's
	 * object and retires a changed one here). */
	struct region_schema **retired;
	size_t nretired;
	/* Manifest version from which state.schema holds: the version that
	 * installed a change seen while open, else (at open, where the
	 * change's own version is not known) the version opened, which is
	 * conservative. A follower refuses to merge a leader memtable
	 * snapshot older than this (its rows may be in an older layout). */
	uint64_t schema_since;
};

/* ---- engine ---------------------------------------------------------- */

static int flusher_start(struct region_engine *e);
static void flusher_stop(struct region_engine *e);
static void flusher_forget(struct region_engine *e, struct region *r);

int region_engine_open(const struct region_engine_options *o, struct region_engine **out)
{
	*out = NULL;
	if (!o->store)
		return err_set(ERR_BAD_INPUT, "region engine needs an object store");
	struct region_engine *e = mem_calloc(1, sizeof(*e));
	if (!e)
		return ERR_NOMEM;
	e->opt = *o;
	if (!e->opt.memtable_budget)
		e->opt.memtable_budget = DEFAULT_MEMTABLE_BUDGET;
	if (!e->opt.gc_lingering_ms)
		e->opt.gc_lingering_ms = DEFAULT_LINGERING_MS;
	if (!e->opt.compaction_trigger)
		e->opt.compaction_trigger = DEFAULT_TRIGGER;
	int rc = sst_cache_create(o->sst_cache_bytes ? o->sst_cache_bytes : DEFAULT_CACHE_BYTES,
				  &e->cache);
	if (rc)
		goto fail;
	if (o->wal_dir) {
		struct wal_options wo = {.dir = o->wal_dir, .sync = (enum wal_sync_mode)o->wal_sync};
		rc = wal_open(&wo, &e->wal);
		if (rc)
			goto fail;
	}
	if (o->background_flush && (rc = flusher_start(e)))
		goto fail;
	*out = e;
	return ERR_OK;
fail:
	if (e->wal)
		wal_close(e->wal);
	sst_cache_free(e->cache);
	mem_free(e);
	return rc;
}

void region_engine_close(struct region_engine *e)
{
	if (!e)
		return;
	flusher_stop(e);
	if (e->wal)
		wal_close(e->wal);
	sst_cache_free(e->cache);
	mem_free(e);
}

int region_dir_format(char *out, size_t n, const char *catalog, const char *schema,
		      uint64_t region_id)
{
	int w = snprintf(out, n, "data/%s/%s/%" PRIu32 "/%" PRIu32 "_%010" PRIu32 "/", catalog,
			 schema, REGION_TABLE_ID(region_id), REGION_TABLE_ID(region_id),
			 REGION_NUMBER(region_id));
	if (w < 0 || (size_t)w >= n)
		return err_set(ERR_BAD_INPUT, "region dir too long");
	return ERR_OK;
}

/* ---- memtable references ---------------------------------------------- */

static struct mt_ref *mt_ref_new(struct region *r)
{
	struct mt_ref *m = mem_calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (memtable_create(r->state.schema, &m->mt)) {
		mem_free(m);
		return NULL;
	}
	atomic_init(&m->refs, 1);
	return m;
}

static void mt_unref(struct mt_ref *m)
{
	if (m && atomic_fetch_sub(&m->refs, 1) == 1) {
		memtable_free(m->mt);
		mem_free(m);
	}
}

/* A source that keeps a memtable alive while a scan reads it. */
struct ref_source {
	struct sorted_source base;
	struct sorted_source *inner;
	struct mt_ref *ref;
};

static int ref_source_next(struct sorted_source *s, const struct batch **out)
{
	struct ref_source *rs = (struct ref_source *)s;
	return sorted_source_next(rs->inner, out);
}

static void ref_source_close(struct sorted_source *s)
{
	struct ref_source *rs = (struct ref_source *)s;
	sorted_source_close(rs->inner);
	mt_unref(rs->ref);
	mem_free(rs);
}

/* Caller holds state_mu. */
static int memtable_source(struct mt_ref *m, const struct scan_request *req, uint64_t min_seq,
			   const struct memtable_scan_opts *o, struct sorted_source **out,
			   bool *unique)
{
	*out = NULL;
	struct ref_source *rs = mem_calloc(1, sizeof(*rs));
	if (!rs)
		return ERR_NOMEM;
	int rc = memtable_scan_ex(m->mt, req, min_seq, UINT64_MAX, o, &rs->inner, unique);
	if (rc) {
		mem_free(rs);
		return rc;
	}
	rs->base.next = ref_source_next;
	rs->base.close = ref_source_close;
	rs->ref = m;
	atomic_fetch_add(&m->refs, 1);
	*out = &rs->base;
	return ERR_OK;
}

/* ---- a sorted source over one in-memory batch ------------------------- */

struct batch_source {
	struct sorted_source base;
	struct batch rows;
	bool done;
};

static int batch_source_next(struct sorted_source *s, const struct batch **out)
{
	struct batch_source *bs = (struct batch_source *)s;
	*out = bs->done || bs->rows.nrows == 0 ? NULL : &bs->rows;
	bs->done = true;
	return ERR_OK;
}

static void batch_source_close(struct sorted_source *s)
{
	struct batch_source *bs = (struct batch_source *)s;
	batch_free(&bs->rows);
	mem_free(bs);
}

/* Copy the rows of `in` (internal layout, sorted) with seq > min_seq. */
static int batch_source_open(const struct region_schema *sch, const struct batch *in,
			     uint64_t min_seq, struct sorted_source **out)
{
	*out = NULL;
	uint32_t ncols = sch->ncols + SCHEMA_INTERNAL_COLS;
	struct batch_source *bs = mem_calloc(1, sizeof(*bs));
	if (!bs)
		return ERR_NOMEM;
	enum dtype types[ncols];
	region_schema_internal_types(sch, types);
	int rc = batch_init(&bs->rows, ncols, types);
	if (rc)
		goto fail;
	if (in && in->nrows) {
		if (in->ncols != ncols) {
			rc = err_set(ERR_BAD_INPUT, "leader rows have %u columns, expected %u",
				     in->ncols, ncols);
			goto fail;
		}
		const struct colvec *seq = &in->cols[sch->ncols + 1];
		for (uint32_t i = 0; i < in->nrows; i++) {
			if ((uint64_t)seq->i64[i] <= min_seq)
				continue;
			for (uint32_t c = 0; c < ncols; c++) {
				const struct colvec *v = &in->cols[c];
				if (v->len == 0)
					continue; /* column outside the projection */
				if ((rc = colvec_push_from(&bs->rows.cols[c], v, i)))
					goto fail;
			}
			bs->rows.nrows++;
		}
	}
	bs->base.next = batch_source_next;
	bs->base.close = batch_source_close;
	*out = &bs->base;
	return ERR_OK;
fail:
	batch_free(&bs->rows);
	mem_free(bs);
	return rc;
}

/* ---- open / close ----------------------------------------------------- */

static struct region *region_alloc(struct region_engine *e, uint64_t id, const char *dir,
				   enum region_role role)
{
	struct region *r = mem_calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->dir = mem_strdup(dir);
	if (!r->dir) {
		mem_free(r);
		return NULL;
	}
	r->e = e;
	r->id = id;
	r->role = role;
	pthread_mutex_init(&r->flush_mu, NULL);
	pthread_mutex_init(&r->write_mu, NULL);
	pthread_mutex_init(&r->state_mu, NULL);
	r->opened_at_ms = clock_now_ms();
	return r;
}

static void region_release(struct region *r)
{
	if (!r)
		return;
	flusher_forget(r->e, r);
	pthread_mutex_lock(&r->state_mu);
	mt_unref(r->active);
	for (uint32_t i = 0; i < r->nfrozen; i++)
		mt_unref(r->frozen[i]);
	pthread_mutex_unlock(&r->state_mu);
	if (r->manifest)
		manifest_close(r->manifest);
	manifest_state_free(&r->state);
	for (size_t i = 0; i < r->nretired; i++)
		region_schema_free(r->retired[i]);
	mem_free(r->retired);
	pthread_mutex_destroy(&r->flush_mu);
	pthread_mutex_destroy(&r->write_mu);
	pthread_mutex_destroy(&r->state_mu);
	mem_free(r->pending);
	mem_free(r->dir);
	mem_free(r);
}

void region_close(struct region *r) { region_release(r); }

static bool schemas_equal(const struct region_schema *a, const struct region_schema *b)
{
	struct cJSON *ja = region_schema_to_json(a), *jb = region_schema_to_json(b);
	bool same = ja && jb && cJSON_Compare(ja, jb, true);
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	return same;
}

/* Re-read the manifest's state into r->state. Caller holds state_mu. */
static int refresh_state_locked(struct region *r)
{
	struct manifest_state st;
	memset(&st, 0, sizeof(st));
	int rc = manifest_state_copy(r->manifest, &st);
	if (rc)
		return rc;
	/* keep the schema object stable (see struct region.retired) */
	struct region_schema *old = r->state.schema;
	if (old && st.schema && schemas_equal(old, st.schema)) {
		region_schema_free(st.schema);
		st.schema = old;
	} else if (!old || old->version != (st.schema ? st.schema->version : 0)) {
		r->schema_since = st.version;
	}
	if (old && st.schema != old) {
		void *p = r->retired;
		size_t cap = r->nretired;
		if (mem_grow(&p, &cap, r->nretired + 1, sizeof(*r->retired))) {
			manifest_state_free(&st);
			return ERR_NOMEM;
		}
		r->retired = p;
		r->retired[r->nretired++] = old;
	}
	/* Free the old state's parts except its schema (kept or retired above).
	 * r->state.schema is never NULL or dangling in between: unlocked
	 * readers see the kept pointer or, after a change, the new one. */
	struct manifest_state prev = r->state;
	prev.schema = NULL;
	r->state = st;
	manifest_state_free(&prev);
	return ERR_OK;
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

int region_create(struct region_engine *e, uint64_t region_id, const char *dir,
		  const struct region_schema *schema, struct region **out)
{
	*out = NULL;
	int rc = region_schema_validate(schema);
	if (rc)
		return rc;
	struct region *r = region_alloc(e, region_id, dir, REGION_ROLE_LEADER);
	if (!r)
		return ERR_NOMEM;
	if ((rc = manifest_create(e->opt.store, dir, schema, &r->manifest)))
		goto fail;
	if ((rc = refresh_state_locked(r)))
		goto fail;
	if (!(r->active = mt_ref_new(r))) {
		rc = ERR_NOMEM;
		goto fail;
	}
	r->next_seq = 1;
	*out = r;
	return ERR_OK;
fail:
	region_release(r);
	return rc;
}

struct replay_ctx {
	struct region *r;
	uint64_t last;
};

static int replay_entry(void *arg, uint64_t seq, const uint8_t *payload, size_t len)
{
	struct replay_ctx *c = arg;
	if (len < 1)
		return err_set(ERR_CORRUPT, "WAL entry %" PRIu64 " of region %" PRIu64 " is empty",
			       seq, c->r->id);
	struct batch b;
	int rc = batch_decode(payload + 1, len - 1, &b);
	if (rc)
		return err_wrap("WAL entry %" PRIu64, seq);
	if (b.nrows == 0 || (uint64_t)b.nrows > seq) {
		batch_free(&b);
		return err_set(ERR_CORRUPT, "WAL entry %" PRIu64 " has %u rows", seq, b.nrows);
	}
	rc = memtable_write(c->r->active->mt, &b, seq - b.nrows + 1, (enum op_type)payload[0]);
	batch_free(&b);
	if (rc == ERR_OK)
		c->last = seq;
	return rc;
}

/* Replay the WAL into a fresh active memtable. */
static int replay_wal(struct region *r)
{
	struct replay_ctx c = {r, 0};
	uint64_t after = max_u64(r->state.flushed_sequence, r->state.truncated_sequence);
	if (r->e->wal) {
		int rc = wal_replay(r->e->wal, r->id, after, replay_entry, &c);
		if (rc)
			return rc;
	}
	r->next_seq = max_u64(after, c.last) + 1;
	if (r->e->wal)
		wal_mark_flushed(r->e->wal, r->id, after);
	if (c.last)
		log_info("region %" PRIu64 ": replayed WAL up to sequence %" PRIu64, r->id, c.last);
	return ERR_OK;
}

int region_open_leader(struct region_engine *e, uint64_t region_id, const char *dir,
		       struct region **out)
{
	*out = NULL;
	struct region *r = region_alloc(e, region_id, dir, REGION_ROLE_LEADER);
	if (!r)
		return ERR_NOMEM;
	int rc = manifest_open(e->opt.store, dir, &r->manifest);
	if (rc)
		goto fail;
	if ((rc = refresh_state_locked(r)))
		goto fail;
	if (r->state.removed) {
		rc = err_set(ERR_NOT_FOUND, "region %" PRIu64 " was dropped", region_id);
		goto fail;
	}
	if (!(r->active = mt_ref_new(r))) {
		rc = ERR_NOMEM;
		goto fail;
	}
	if ((rc = replay_wal(r)))
		goto fail;
	*out = r;
	return ERR_OK;
fail:
	region_release(r);
	return rc;
}

int region_open_follower(struct region_engine *e, uint64_t region_id, const char *dir,
			 uint64_t version, struct region **out)
{
	*out = NULL;
	struct region *r = region_alloc(e, region_id, dir, REGION_ROLE_FOLLOWER);
	if (!r)
		return ERR_NOMEM;
	int rc = version ? manifest_open_at(e->opt.store, dir, version, &r->manifest)
			 : manifest_open(e->opt.store, dir, &r->manifest);
	if (rc)
		goto fail;
	if ((rc = refresh_state_locked(r)))
		goto fail;
	r->last_install_ms = clock_now_ms();
	*out = r;
	return ERR_OK;
fail:
	region_release(r);
	return rc;
}

enum region_role region_role(struct region *r) { return r->role; }
uint64_t region_id(struct region *r) { return r->id; }
const struct region_schema *region_schema(struct region *r) { return r->state.schema; }

/* ---- writes ----------------------------------------------------------- */

static int check_batch(const struct region_schema *s, const struct batch *b, enum op_type op)
{
	if (b->ncols != s->ncols)
		return err_set(ERR_BAD_INPUT, "batch has %u columns, region has %u", b->ncols,
			       s->ncols);
	if (b->nrows == 0)
		return err_set(ERR_BAD_INPUT, "empty batch");
	for (uint32_t c = 0; c < s->ncols; c++) {
		const struct colvec *v = &b->cols[c];
		const struct column_schema *cs = &s->cols[c];
		if (v->len != b->nrows)
			return err_set(ERR_BAD_INPUT, "column %s has %u values, expected %u",
				       cs->name, v->len, b->nrows);
		if (dtype_phys(v->type) != dtype_phys(cs->type))
			return err_set(ERR_BAD_INPUT, "column %s: got %s, expected %s", cs->name,
				       dtype_name(v->type), dtype_name(cs->type));
		bool must_have = c == s->ts_col || (op == OP_PUT && !cs->nullable &&
						    cs->sem == SEM_FIELD);
		if (must_have && v->validity)
			for (uint32_t i = 0; i < b->nrows; i++)
				if (colvec_is_null(v, i))
					return err_set(ERR_BAD_INPUT,
						       "column %s is not nullable but row %u is NULL",
						       cs->name, i);
	}
	return ERR_OK;
}

static int freeze_locked(struct region *r);
static void flusher_enqueue(struct region_engine *e, struct region *r);

static bool over_budget(struct region *r)
{
	uint64_t budget = r->state.schema->opts.write_buffer_size;
	if (!budget)
		budget = r->e->opt.memtable_budget;
	return memtable_mem_size(r->active->mt) >= budget;
}

/* How a write is fenced against a concurrent schema change: FENCE_NONE
 * (in-process callers that hold off schema changes themselves: the
 * standalone frontend's DDL lock, tests), FENCE_VERSION (the batch's
 * schema version must be the region's), FENCE_LEGACY (a remote writer
 * that sent no version: only while the schema has never changed). */
enum fence { FENCE_NONE, FENCE_VERSION, FENCE_LEGACY };
static int write_rows(struct region *r, const struct batch *rows, enum op_type op,
                      enum fence fence, uint64_t version, uint64_t *last_seq);

int region_write(struct region *r, const struct batch *rows, enum op_type op, uint64_t *last_seq)
{
	return write_rows(r, rows, op, FENCE_NONE, 0, last_seq);
}

bool region_schema_mismatch_error(int rc)
{
	return rc == ERR_CONFLICT && strstr(err_msg(), REGION_SCHEMA_MISMATCH) != NULL;
}

/* The write fence (region.h). Caller holds write_mu (region_alter
 * changes the schema under it). */
static int check_version_locked(struct region *r, enum fence fence, uint64_t version)
{
	uint64_t have = r->state.schema->version;
	if (fence == FENCE_NONE || (fence == FENCE_VERSION ? have == version : have == 0))
		return ERR_OK;
	if (fence == FENCE_LEGACY)
		return err_set(ERR_CONFLICT,
		               REGION_SCHEMA_MISMATCH ": region %" PRIu64 " is at schema version %" PRIu64
		                                      ", a write without a schema version is refused "
		                                      "after a schema change (reload the table)",
		               r->id, have);
	return err_set(ERR_CONFLICT,
	               REGION_SCHEMA_MISMATCH ": region %" PRIu64 " is at schema version %" PRIu64
	                                      ", the write was built for version %" PRIu64
	                                      " (reload the table and retry)",
	               r->id, have, version);
}

int region_write_at_version(struct region *r, const struct batch *rows, enum op_type op,
                            bool check_version, uint64_t version, uint64_t *last_seq)
{
	return write_rows(r, rows, op, check_version ? FENCE_VERSION : FENCE_LEGACY, version,
	                  last_seq);
}

static int write_rows(struct region *r, const struct batch *rows, enum op_type op,
                      enum fence fence, uint64_t version, uint64_t *last_seq)
{
	if (r->role != REGION_ROLE_LEADER)
		return err_set(ERR_READONLY, "region %" PRIu64 " is a follower and read-only", r->id);
	struct buf payload;
	buf_init(&payload);
	int rc;
	if ((rc = buf_putc(&payload, (uint8_t)op)) || (rc = batch_encode(rows, &payload))) {
		buf_free(&payload);
		return rc;
	}
	bool flush = false, queue = false;
	pthread_mutex_lock(&r->write_mu);
	/* under write_mu: the schema cannot change between this check and the append */
	if ((rc = check_version_locked(r, fence, version)) ||
	    (rc = check_batch(r->state.schema, rows, op))) {
		pthread_mutex_unlock(&r->write_mu);
		buf_free(&payload);
		return rc;
	}
	uint64_t first = r->next_seq;
	uint64_t last = first + rows->nrows - 1;
	if (r->e->wal)
		rc = wal_append(r->e->wal, r->id, last, payload.data, payload.len);
	if (rc == ERR_OK) {
		pthread_mutex_lock(&r->state_mu);
		rc = memtable_write(r->active->mt, rows, first, op);
		if (rc == ERR_OK) {
			r->next_seq = last + 1;
			r->written_bytes += payload.len;
			flush = over_budget(r);
			/* background: freeze now, flush later, unless a frozen
			 * memtable still waits (then this writer flushes both) */
			if (flush && r->e->flusher && r->nfrozen == 0 &&
			    freeze_locked(r) == ERR_OK) {
				flush = false;
				queue = true;
			}
			err_clear();
		}
		pthread_mutex_unlock(&r->state_mu);
	}
	pthread_mutex_unlock(&r->write_mu);
	buf_free(&payload);
	if (rc)
		return rc;
	if (last_seq)
		*last_seq = last;
	if (queue)
		flusher_enqueue(r->e, r);
	if (flush && (rc = region_flush(r)))
		log_warn("region %" PRIu64 ": flush after write failed (will retry): %s", r->id,
			 err_msg());
	return ERR_OK;
}

/* ---- flush ------------------------------------------------------------ */

/* Move the active memtable to the frozen list. Caller holds write_mu and
 * state_mu. Returns ERR_OK with nothing to do when it is empty. */
static int freeze_locked(struct region *r)
{
	if (memtable_is_empty(r->active->mt))
		return ERR_OK;
	if (r->nfrozen == MAX_FROZEN)
		return err_set(ERR_RETRY, "region %" PRIu64 ": too many memtables waiting for flush",
			       r->id);
	struct mt_ref *fresh = mt_ref_new(r);
	if (!fresh)
		return ERR_NOMEM;
	memtable_freeze(r->active->mt);
	r->frozen[r->nfrozen++] = r->active;
	r->active = fresh;
	return ERR_OK;
}

static struct merge_options merge_opts(const struct region_schema *s,
				       const struct scan_request *req, bool keep_deletes)
{
	struct merge_options o = {.schema = s,
				  .req = req,
				  .dedup = !s->opts.append_mode,
				  .mode = s->opts.merge_mode,
				  .keep_deletes = keep_deletes};
	return o;
}

/* Write the oldest frozen memtable to an SST and commit it. Caller holds
 * flush_mu. */
static int flush_one(struct region *r)
{
	pthread_mutex_lock(&r->state_mu);
	struct mt_ref *m = r->frozen[0];
	atomic_fetch_add(&m->refs, 1);
	struct sorted_source *src = NULL;
	int rc = memtable_scan(m->mt, NULL, 0, UINT64_MAX, &src);
	uint64_t flushed = memtable_max_seq(m->mt);
	struct region_schema *schema = region_schema_clone(r->state.schema);
	pthread_mutex_unlock(&r->state_mu);
	struct sorted_source *merged = NULL;
	struct manifest_file meta;
	memset(&meta, 0, sizeof(meta));
	if (rc)
		goto out;
	if (!schema) {
		sorted_source_close(src);
		rc = ERR_NOMEM;
		goto out;
	}
	struct merge_options mo = merge_opts(schema, NULL, true);
	if ((rc = merge_open(&src, 1, &mo, &merged)))
		goto out;
	rc = sst_write(r->e->opt.store, r->e->cache, r->dir, schema, merged,
		       r->e->opt.sst_row_group_rows, &meta);
	merged = NULL; /* sst_write closed it */
	if (rc)
		goto out;
	if ((rc = fault_hit(FAULT_SST_UPLOAD_AFTER)))
		goto out;
	struct manifest_action act = {.type = MANIFEST_EDIT,
				      .nadd = meta.num_rows ? 1 : 0,
				      .add = &meta,
				      .flushed_sequence = flushed};
	uint64_t version;
	if ((rc = manifest_commit(r->manifest, &act, 1, &version)))
		goto out;
	pthread_mutex_lock(&r->state_mu);
	rc = refresh_state_locked(r);
	/* the manifest now holds these rows: the frozen memtable can go */
	memmove(&r->frozen[0], &r->frozen[1], (r->nfrozen - 1) * sizeof(r->frozen[0]));
	r->nfrozen--;
	mt_unref(m);
	pthread_mutex_unlock(&r->state_mu);
	if (r->e->wal)
		wal_mark_flushed(r->e->wal, r->id, flushed);
	log_debug("region %" PRIu64 ": flushed %" PRIu64 " rows to %s (version %" PRIu64 ")",
		  r->id, meta.num_rows, meta.file_id, version);
out:
	sorted_source_close(merged);
	region_schema_free(schema);
	pthread_mutex_lock(&r->state_mu);
	mt_unref(m);
	pthread_mutex_unlock(&r->state_mu);
	if (rc)
		err_wrap("flush region %" PRIu64, r->id);
	return rc;
}

int region_flush(struct region *r)
{
	if (r->role != REGION_ROLE_LEADER)
		return err_set(ERR_READONLY, "region %" PRIu64 " is a follower", r->id);
	pthread_mutex_lock(&r->flush_mu);
	pthread_mutex_lock(&r->write_mu);
	pthread_mutex_lock(&r->state_mu);
	int rc = freeze_locked(r);
	pthread_mutex_unlock(&r->state_mu);
	pthread_mutex_unlock(&r->write_mu);
	while (rc == ERR_OK && r->nfrozen > 0)
		rc = flush_one(r);
	pthread_mutex_unlock(&r->flush_mu);
	return rc;
}

/* ---- background flusher ------------------------------------------------ */

/* Lowest CPU priority for the calling thread (Linux: nice applies per
 * thread). Best effort: a failure leaves the default priority. */
static void lower_thread_priority(void)
{
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19))
		log_debug("flusher: cannot lower its priority: %s", strerror(errno));
}

static void *flusher_main(void *arg)
{
	struct region_engine *e = arg;
	struct flusher *f = e->flusher;
	lower_thread_priority();
	pthread_mutex_lock(&f->fq_mu);
	for (;;) {
		while (!f->stop && f->n == 0)
			pthread_cond_wait(&f->fq_cv, &f->fq_mu);
		if (f->stop)
			break;
		struct region *r = f->queue[0];
		memmove(&f->queue[0], &f->queue[1], (f->n - 1) * sizeof(f->queue[0]));
		f->n--;
		f->current = r;
		pthread_mutex_unlock(&f->fq_mu);
		/* as region_flush, without freezing: the writer froze it; a
		 * region that stopped leading (drop, role change) has nothing
		 * to flush any more. Tests delay or fail the flusher here. */
		int rc = fault_hit(FAULT_REGION_FLUSH_BACKGROUND);
		pthread_mutex_lock(&r->flush_mu);
		while (rc == ERR_OK && r->role == REGION_ROLE_LEADER && r->nfrozen > 0)
			rc = flush_one(r);
		pthread_mutex_unlock(&r->flush_mu);
		if (rc)
			log_warn("region %" PRIu64 ": background flush failed (the next write "
				 "over budget retries): %s",
				 r->id, err_msg());
		err_clear();
		pthread_mutex_lock(&f->fq_mu);
		f->current = NULL;
		pthread_cond_broadcast(&f->done_cv);
	}
	pthread_mutex_unlock(&f->fq_mu);
	return NULL;
}

static int flusher_start(struct region_engine *e)
{
	struct flusher *f = mem_calloc(1, sizeof(*f));
	if (!f)
		return ERR_NOMEM;
	pthread_mutex_init(&f->fq_mu, NULL);
	pthread_cond_init(&f->fq_cv, NULL);
	pthread_cond_init(&f->done_cv, NULL);
	e->flusher = f;
	if (pthread_create(&f->thread, NULL, flusher_main, e)) {
		e->flusher = NULL;
		pthread_cond_destroy(&f->done_cv);
		pthread_cond_destroy(&f->fq_cv);
		pthread_mutex_destroy(&f->fq_mu);
		mem_free(f);
		return err_set(ERR_IO, "cannot start the flusher thread");
	}
	return ERR_OK;
}

static void flusher_stop(struct region_engine *e)
{
	struct flusher *f = e->flusher;
	if (!f)
		return;
	pthread_mutex_lock(&f->fq_mu);
	f->stop = true;
	pthread_cond_broadcast(&f->fq_cv);
	pthread_mutex_unlock(&f->fq_mu);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->done_cv);
	pthread_cond_destroy(&f->fq_cv);
	pthread_mutex_destroy(&f->fq_mu);
	mem_free(f->queue);
	mem_free(f);
	e->flusher = NULL;
}

/* Queue r (once). Out of memory for the queue: flush inline instead. */
static void flusher_enqueue(struct region_engine *e, struct region *r)
{
	struct flusher *f = e->flusher;
	pthread_mutex_lock(&f->fq_mu);
	bool queued = f->current == r;
	for (size_t i = 0; i < f->n && !queued; i++)
		queued = f->queue[i] == r;
	int rc = ERR_OK;
	if (!queued) {
		void *p = f->queue;
		rc = mem_grow(&p, &f->cap, f->n + 1, sizeof(*f->queue));
		if (rc == ERR_OK) {
			f->queue = p;
			f->queue[f->n++] = r;
			pthread_cond_signal(&f->fq_cv);
		}
	}
	pthread_mutex_unlock(&f->fq_mu);
	if (rc && region_flush(r))
		log_warn("region %" PRIu64 ": flush after write failed (will retry): %s", r->id,
			 err_msg());
}

/* Before r is freed: out of the queue, and not being flushed. */
static void flusher_forget(struct region_engine *e, struct region *r)
{
	struct flusher *f = e->flusher;
	if (!f)
		return;
	pthread_mutex_lock(&f->fq_mu);
	for (size_t i = 0; i < f->n; i++) {
		if (f->queue[i] == r) {
			memmove(&f->queue[i], &f->queue[i + 1], (f->n - i - 1) * sizeof(f->queue[0]));
			f->n--;
			break;
		}
	}
	while (f->current == r)
		pthread_cond_wait(&f->done_cv, &f->fq_mu);
	pthread_mutex_unlock(&f->fq_mu);
}

/* ---- scans ------------------------------------------------------------ */

static bool file_overlaps(const struct manifest_file *f, const struct scan_request *req)
{
	if (!req)
		return true;
	return f->ts_max >= req->ts_min && f->ts_min < req->ts_max;
}

/* Open SST sources for `files`, appending to srcs. With `tail` (a
 * last-row-per-series query whose memtable sources hold no delete) every
 * file reads in tail mode when no file holds a delete either (see
 * region_scan); otherwise the files read in full. */
static int open_file_sources(struct region *r, const struct region_schema *s,
			     const struct manifest_file *files, uint32_t nfiles,
			     const struct scan_request *req, bool query, bool tail,
			     struct sorted_source **srcs, uint32_t *n)
{
	/* a file that is a query's only source may read lean / in tail mode
	 * (never for compaction: its merge needs the internal columns) */
	uint32_t overlapping = 0, first = *n;
	for (uint32_t i = 0; i < nfiles; i++)
		overlapping += file_overlaps(&files[i], req);
	struct sst_open_opts so = {.only_source = query && *n == 0 && overlapping == 1,
				   .tail = query && tail};
	bool no_delete = true;
	for (uint32_t i = 0; i < nfiles; i++) {
		if (!file_overlaps(&files[i], req))
			continue;
		int rc = sst_open_source_opts(r->e->opt.store, r->e->cache, r->dir, s, &files[i],
					      req, &so, &srcs[*n]);
		if (rc)
			return err_wrap("region %" PRIu64 " SST %s", r->id, files[i].file_id);
		no_delete = no_delete && sst_source_no_delete(srcs[*n]);
		(*n)++;
	}
	/* a delete in one file may hide another file's newest put: full reads
	 * (the only source keeps its own tail mode: nothing older to hide) */
	if (so.tail && !so.only_source && !no_delete)
		for (uint32_t i = first; i < *n; i++)
			sst_source_untail(srcs[i]);
	return ERR_OK;
}

static void close_sources(struct sorted_source **srcs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sorted_source_close(srcs[i]);
}

/* A consistent view of the region for one scan. */
struct view {
	struct manifest_file *files;
	uint32_t nfiles;
	uint64_t version;
	uint64_t flushed;
	struct region_schema *schema;
};

static void view_free(struct view *v)
{
	mem_free(v->files);
	region_schema_free(v->schema);
}

/* Caller holds state_mu. */
static int view_take_locked(struct region *r, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->nfiles = r->state.nfiles;
	v->version = r->state.version;
	v->flushed = max_u64(r->state.flushed_sequence, r->state.truncated_sequence);
	v->files = mem_dup(r->state.files, (size_t)r->state.nfiles * sizeof(*r->state.files));
	v->schema = region_schema_clone(r->state.schema);
	if (!v->files || !v->schema) {
		view_free(v);
		return ERR_NOMEM;
	}
	return ERR_OK;
}

/* The non-empty memtables of r, the frozen ones oldest first, then the
 * active one (the order of their sequences):
 *     uint32_t it = 0;
 *     for (struct mt_ref *m; (m = mt_iter_next(r, &it));)
 * Caller holds state_mu. */
static struct mt_ref *mt_iter_next(struct region *r, uint32_t *it)
{
	while (*it <= r->nfrozen) {
		struct mt_ref *m = *it < r->nfrozen ? r->frozen[*it] : r->active;
		(*it)++;
		if (m && !memtable_is_empty(m->mt))
			return m;
	}
	return NULL;
}

/* No memtable of r (active or frozen) holds a delete. Caller holds
 * state_mu. */
static bool memtables_delete_free_locked(struct region *r)
{
	uint32_t it = 0;
	for (struct mt_ref *m; (m = mt_iter_next(r, &it));)
		if (memtable_has_delete(m->mt))
			return false;
	return true;
}

/* Non-empty memtable m may hold a row in req's time range: its [ts_min,
 * ts_max] meets [req->ts_min, req->ts_max). Those bounds cover every row
 * written, whatever its sequence, and a delete outside the range hides
 * only rows outside it (a delete's identity includes its ts), so a scan
 * may leave out a memtable that misses the range. */
static bool mt_overlaps(const struct memtable *m, const struct scan_request *req)
{
	return !req || (memtable_ts_max(m) >= req->ts_min && memtable_ts_min(m) < req->ts_max);
}

/* [alo, ahi] and [blo, bhi] (inclusive) share no time. */
static bool ts_disjoint(int64_t alo, int64_t ahi, int64_t blo, int64_t bhi)
{
	return ahi < blo || bhi < alo;
}

/* A query's file sources srcs[0..n) (opened by open_file_sources from
 * v->files: the files overlapping req, in order) whose time range meets
 * no other file source's nor the memtable sources' [mem_lo, mem_hi]: no
 * other source can hold a version of one of their identities (the time
 * index is part of the identity), so they may skip the internal columns
 * and apply field predicates before the merge (sst_source_set_exclusive). */
static void mark_exclusive_files(const struct view *v, const struct scan_request *req,
				 struct sorted_source **srcs, uint32_t n, int64_t mem_lo,
				 int64_t mem_hi)
{
	if (n == 0)
		return;
	uint32_t fi[n];
	uint32_t k = 0;
	for (uint32_t i = 0; i < v->nfiles && k < n; i++)
		if (file_overlaps(&v->files[i], req))
			fi[k++] = i;
	if (k != n)
		return;
	for (uint32_t a = 0; a < n; a++) {
		const struct manifest_file *f = &v->files[fi[a]];
		bool alone = mem_lo > mem_hi || ts_disjoint(f->ts_min, f->ts_max, mem_lo, mem_hi);
		for (uint32_t b = 0; b < n && alone; b++)
			alone = a == b || ts_disjoint(f->ts_min, f->ts_max, v->files[fi[b]].ts_min,
						      v->files[fi[b]].ts_max);
		if (alone)
			sst_source_set_exclusive(srcs[a]);
	}
}

/* Raw sources over every memtable's rows with seq > min_seq (no tail
 * mode, internal columns filled). Caller holds state_mu. */
static int memtable_sources_locked(struct region *r, const struct scan_request *req,
				   uint64_t min_seq, struct sorted_source **srcs, uint32_t *n)
{
	int rc = ERR_OK;
	uint32_t it = 0;
	for (struct mt_ref *m; rc == ERR_OK && (m = mt_iter_next(r, &it));)
		if ((rc = memtable_source(m, req, min_seq, NULL, &srcs[*n], NULL)) == ERR_OK)
			(*n)++;
	return rc;
}

/* [lo, hi] (inclusive) clipped to req's time range; lo > hi when empty. */
static void clip_range(const struct scan_request *req, int64_t *lo, int64_t *hi)
{
	if (!req)
		return;
	if (*lo < req->ts_min)
		*lo = req->ts_min;
	if (req->ts_max != INT64_MAX && *hi > req->ts_max - 1)
		*hi = req->ts_max - 1;
}

/*
 * A query's memtable sources, appended to srcs: the memtables with a row in
 * req's time range (mt_overlaps), oldest first, rows with seq > v->flushed.
 * With `last` (a last-row-per-series scan) the active memtable, the newest
 * source, reads in tail mode, and so do the frozen ones with `tail_all`
 * (no memtable holds a delete; see the top of this file). A memtable that
 * is the query's only source (no other memtable and no file in range)
 * reads lean (memtable_scan_opts.lean_if_unique; in tail mode with `last`:
 * nothing newer) and sets *single when its rows are unique (the merge may
 * pass them through). A memtable whose time range, clipped to the
 * request's, meets no other source's (memtables read, files in range)
 * holds the only versions of its identities: it applies the field
 * predicates itself when its rows are unique (memtable_scan_opts
 * .exclusive). [*lo, *hi]: the union of the time ranges of the memtables
 * read (*lo > *hi when none). Caller holds state_mu.
 */
static int query_memtables_locked(struct region *r, const struct view *v,
				  const struct scan_request *req, bool last, bool tail_all,
				  struct sorted_source **srcs, uint32_t *n, bool *single, int64_t *lo,
				  int64_t *hi)
{
	struct mt_ref *ms[MAX_FROZEN + 1];
	int64_t mlo[MAX_FROZEN + 1], mhi[MAX_FROZEN + 1];
	uint32_t k = 0, nfiles = 0, it = 0;
	*single = false;
	*lo = INT64_MAX;
	*hi = INT64_MIN;
	for (struct mt_ref *m; (m = mt_iter_next(r, &it));) {
		if (!mt_overlaps(m->mt, req))
			continue;
		ms[k] = m;
		mlo[k] = memtable_ts_min(m->mt);
		mhi[k] = memtable_ts_max(m->mt);
		if (mlo[k] < *lo)
			*lo = mlo[k];
		if (mhi[k] > *hi)
			*hi = mhi[k];
		clip_range(req, &mlo[k], &mhi[k]);
		k++;
	}
	for (uint32_t i = 0; i < v->nfiles; i++)
		nfiles += file_overlaps(&v->files[i], req);
	for (uint32_t i = 0; i < k; i++) {
		bool only = k == 1 && nfiles == 0;
		bool alone = true;
		for (uint32_t j = 0; j < k && alone; j++)
			alone = i == j || ts_disjoint(mlo[i], mhi[i], mlo[j], mhi[j]);
		for (uint32_t f = 0; f < v->nfiles && alone; f++) {
			if (!file_overlaps(&v->files[f], req))
				continue;
			int64_t flo = v->files[f].ts_min, fhi = v->files[f].ts_max;
			clip_range(req, &flo, &fhi);
			alone = ts_disjoint(mlo[i], mhi[i], flo, fhi);
		}
		struct memtable_scan_opts o = {
			.last_per_series = last && (only || tail_all || ms[i] == r->active),
			.lean_if_unique = only,
			.exclusive = alone && !last};
		bool unique = false;
		int rc = memtable_source(ms[i], req, v->flushed, &o, &srcs[*n], &unique);
		if (rc)
			return rc;
		(*n)++;
		*single = only && unique;
	}
	return ERR_OK;
}

/*
 * The last row of each primary key of a sorted, deduplicated run (a
 * last-row-per-series scan): drains the inner source and hands out one
 * batch. Columns the inner source leaves empty stay empty.
 */
struct last_source {
	struct sorted_source base;
	struct sorted_source *inner;
	uint32_t pk_col;
	struct batch out;
	bool done;
};

static int last_source_next(struct sorted_source *s, const struct batch **out)
{
	struct last_source *ls = (struct last_source *)s;
	*out = NULL;
	if (ls->done)
		return ERR_OK;
	ls->done = true;
	struct batch *o = &ls->out;
	const struct batch *b;
	int rc;
	while ((rc = sorted_source_next(ls->inner, &b)) == ERR_OK && b) {
		for (uint32_t i = 0; i < b->nrows; i++) {
			uint32_t na, nb;
			const char *pb = colvec_bytes(&b->cols[ls->pk_col], i, &nb);
			if (o->nrows) {
				const char *pa = colvec_bytes(&o->cols[ls->pk_col], o->nrows - 1, &na);
				if (na == nb && (!na || !memcmp(pa, pb, na))) {
					/* a later row of the same key replaces the kept one */
					for (uint32_t c = 0; c < o->ncols; c++)
						if (o->cols[c].len == o->nrows)
							o->cols[c].len--;
					o->nrows--;
				}
			}
			for (uint32_t c = 0; c < o->ncols; c++)
				if (b->cols[c].len == b->nrows &&
				    (rc = colvec_push_from(&o->cols[c], &b->cols[c], i)))
					return rc;
			o->nrows++;
		}
	}
	if (rc)
		return rc;
	if (o->nrows)
		*out = o;
	return ERR_OK;
}

static void last_source_close(struct sorted_source *s)
{
	struct last_source *ls = (struct last_source *)s;
	sorted_source_close(ls->inner);
	batch_free(&ls->out);
	mem_free(ls);
}

/* Wrap *src (taking it) in a last_source. */
static int last_source_open(const struct region_schema *sch, struct sorted_source **src)
{
	uint32_t ncols = sch->ncols + SCHEMA_INTERNAL_COLS;
	struct last_source *ls = mem_calloc(1, sizeof(*ls));
	enum dtype *types = mem_alloc(ncols * sizeof(*types));
	if (!ls || !types) {
		mem_free(ls);
		mem_free(types);
		sorted_source_close(*src);
		*src = NULL;
		return ERR_NOMEM;
	}
	region_schema_internal_types(sch, types);
	int rc = batch_init(&ls->out, ncols, types);
	mem_free(types);
	if (rc) {
		mem_free(ls);
		sorted_source_close(*src);
		*src = NULL;
		return rc;
	}
	ls->inner = *src;
	ls->pk_col = sch->ncols;
	ls->base.next = last_source_next;
	ls->base.close = last_source_close;
	*src = &ls->base;
	return ERR_OK;
}

/* Hands the region's schema to a merged source for as long as it lives. */
struct owned_source {
	struct sorted_source base;
	struct sorted_source *inner;
	struct region_schema *schema;
	struct scan_request req;
};

static int owned_next(struct sorted_source *s, const struct batch **out)
{
	return sorted_source_next(((struct owned_source *)s)->inner, out);
}

static void owned_close(struct sorted_source *s)
{
	struct owned_source *o = (struct owned_source *)s;
	sorted_source_close(o->inner);
	region_schema_free(o->schema);
	mem_free(o);
}

/* Merge srcs[0..n) (taking ownership of them and of v->schema). With
 * `passthrough` the single source needs no dedup (merge.h). */
static int finish_scan(struct view *v, const struct scan_request *req,
		       struct sorted_source **srcs, uint32_t n, bool passthrough,
		       struct sorted_source **out)
{
	struct owned_source *o = mem_calloc(1, sizeof(*o));
	if (!o) {
		close_sources(srcs, n);
		return ERR_NOMEM;
	}
	if (req)
		o->req = *req;
	else
		scan_request_init(&o->req);
	o->schema = v->schema;
	v->schema = NULL;
	struct merge_options mo = merge_opts(o->schema, &o->req, false);
	mo.passthrough = passthrough;
	int rc = merge_open(srcs, n, &mo, &o->inner);
	if (rc) {
		region_schema_free(o->schema);
		mem_free(o);
		return rc;
	}
	o->base.next = owned_next;
	o->base.close = owned_close;
	*out = &o->base;
	return ERR_OK;
}

/* ---- disjoint scan (see the top of this file) -------------------------- */

/* The sources of a disjoint scan handed out one after another. Owns the
 * schema and the request (predicates without the hint) the sources read. */
struct concat_source {
	struct sorted_source base;
	struct sorted_source **srcs;
	uint32_t n, at;
	struct region_schema *schema;
	struct scan_pred *preds;
};

static int concat_next(struct sorted_source *s, const struct batch **out)
{
	struct concat_source *c = (struct concat_source *)s;
	*out = NULL;
	while (c->at < c->n) {
		int rc = sorted_source_next(c->srcs[c->at], out);
		if (rc || *out)
			return rc;
		sorted_source_close(c->srcs[c->at]); /* done: release it early */
		c->srcs[c->at++] = NULL;
	}
	return ERR_OK;
}

static void concat_close(struct sorted_source *s)
{
	struct concat_source *c = (struct concat_source *)s;
	if (c->srcs)
		close_sources(c->srcs, c->n);
	mem_free(c->srcs);
	mem_free(c->preds);
	region_schema_free(c->schema);
	mem_free(c);
}

/* One source of a disjoint scan: a memtable or a file, with its time range
 * clipped to the request's, and once opened its source. */
struct dj_part {
	int64_t lo, hi; /* inclusive */
	struct mt_ref *mt;
	const struct manifest_file *f;
	struct sorted_source *src;
	bool lean;    /* src's rows are unique: internal columns empty */
	bool overlap; /* [lo, hi] meets another part's */
	bool empty;   /* src returned no row of the request: left out */
};

static int dj_cmp(const void *a, const void *b)
{
	const struct dj_part *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Add [lo, hi] clipped to req's range to parts (nothing when empty). */
static void dj_add(struct dj_part *parts, uint32_t *n, const struct scan_request *req,
		   int64_t lo, int64_t hi, struct mt_ref *mt, const struct manifest_file *f)
{
	clip_range(req, &lo, &hi);
	if (lo > hi)
		return;
	parts[(*n)++] = (struct dj_part){.lo = lo, .hi = hi, .mt = mt, .f = f};
}

/* Mark the parts (sorted by lo) that meet another one, leaving out the
 * empty ones; true when none does. */
static bool dj_mark_overlaps(struct dj_part *parts, uint32_t n)
{
	bool disjoint = true;
	for (uint32_t i = 0; i < n; i++)
		parts[i].overlap = false;
	for (uint32_t i = 0; i < n; i++) {
		if (parts[i].empty)
			continue;
		for (uint32_t j = i + 1; j < n && parts[j].lo <= parts[i].hi; j++)
			if (!parts[j].empty)
				parts[i].overlap = parts[j].overlap = true;
		disjoint = disjoint && !parts[i].overlap;
	}
	return disjoint;
}

/* Wrap *src (taking it) in a one-source merge: passthrough when it is
 * lean (unique rows, internal columns empty), else deduplicating. */
static int dj_wrap(const struct region_schema *sch, const struct scan_request *req, bool lean,
		   struct sorted_source **src)
{
	struct merge_options mo = merge_opts(sch, req, false);
	mo.passthrough = lean;
	struct sorted_source *one = *src;
	*src = NULL;
	return merge_open(&one, 1, &mo, src);
}

/* A source whose first batch was read ahead (dj_peek) hands it out first. */
struct peek_source {
	struct sorted_source base;
	struct sorted_source *inner;
	const struct batch *first;
	bool handed;
};

static int peek_next(struct sorted_source *s, const struct batch **out)
{
	struct peek_source *p = (struct peek_source *)s;
	if (!p->handed) {
		p->handed = true;
		*out = p->first;
		return ERR_OK;
	}
	return sorted_source_next(p->inner, out);
}

static void peek_close(struct sorted_source *s)
{
	struct peek_source *p = (struct peek_source *)s;
	sorted_source_close(p->inner);
	mem_free(p);
}

/* Read part's first batch: none - the part is empty (its source closed);
 * else its source becomes a peek_source that hands the batch out first. */
static int dj_peek(struct dj_part *part)
{
	const struct batch *b = NULL;
	int rc = sorted_source_next(part->src, &b);
	if (rc == ERR_OK && !b) {
		sorted_source_close(part->src);
		part->src = NULL;
		part->empty = true;
		return ERR_OK;
	}
	struct peek_source *p = rc ? NULL : mem_calloc(1, sizeof(*p));
	if (rc == ERR_OK && !p)
		rc = ERR_NOMEM;
	if (rc)
		return rc;
	p->inner = part->src;
	p->first = b;
	p->base.next = peek_next;
	p->base.close = peek_close;
	part->src = &p->base;
	return ERR_OK;
}

/* req holds a predicate on a field (not the time index, not a tag). */
static bool has_field_pred(const struct region_schema *sch, const struct scan_request *req)
{
	for (uint32_t k = 0; k < req->npreds; k++)
		if (!scan_pred_is_hint(&req->preds[k]) && !scan_pred_is_any_order(&req->preds[k]) &&
		    !pred_is_tag_or_ts(sch, &req->preds[k]))
			return true;
	return false;
}

/* Open part's source (a file; memtables are opened under state_mu). */
static int dj_open_file(struct region *r, const struct view *v, const struct scan_request *rq,
			struct dj_part *part)
{
	struct sst_open_opts so = {.disjoint = true};
	if (sst_open_source_opts(r->e->opt.store, r->e->cache, r->dir, v->schema, part->f, rq, &so,
				 &part->src))
		return err_wrap("region %" PRIu64 " SST %s", r->id, part->f->file_id);
	part->lean = sst_source_lean(part->src);
	return ERR_OK;
}

/*
 * Disjoint scan (hint "any series order", merge.h; never with the last-row
 * hint). When the sources' time ranges, clipped to the request's, are
 * pairwise disjoint, no two sources hold a version of one identity (the
 * identity includes ts), so deduplicating each source on its own is the
 * merge's answer: the sources are read one after another, in ascending
 * time, each through its own one-source merge (dedup, deletes, merge mode
 * and append mode as usual) - a passthrough when its rows are unique (a
 * memtable's own check, a file's strata.sst.unique flag), which reads no
 * internal column at all. Each series' rows stay in ts order; series
 * interleave across sources. A single source in range (the others hold
 * no row of it) is the same case.
 *
 * Ranges that overlap need not share a row: one late row widens a
 * memtable's or a file's range over its neighbours'. When the request has
 * no field predicate, each source whose range overlaps another's is read
 * ahead (its first batch): a source that returns nothing holds no row of
 * any version in the request's range and selected series, hence no
 * identity of the answer, and is left out; the others must then be
 * disjoint. (A field predicate may drop every row of a source whose newer
 * versions still hide older ones elsewhere: then the ranges decide.)
 * *done false (nothing left open) when the ranges still overlap:
 * region_scan's merge then runs.
 */
static int disjoint_scan(struct region *r, const struct scan_request *req,
			 struct sorted_source **out, bool *done)
{
	*out = NULL;
	*done = false;
	struct view v;
	pthread_mutex_lock(&r->state_mu);
	int rc = view_take_locked(r, &v);
	uint32_t max = v.nfiles + MAX_FROZEN + 1, n = 0;
	struct dj_part *parts = rc ? NULL : mem_calloc(max, sizeof(*parts));
	struct concat_source *c = rc ? NULL : mem_calloc(1, sizeof(*c));
	if (rc == ERR_OK && (!parts || !c))
		rc = ERR_NOMEM;
	uint32_t it = 0;
	for (struct mt_ref *m; rc == ERR_OK && r->role == REGION_ROLE_LEADER &&
			       (m = mt_iter_next(r, &it));)
		dj_add(parts, &n, req, memtable_ts_min(m->mt), memtable_ts_max(m->mt), m, NULL);
	for (uint32_t i = 0; rc == ERR_OK && i < v.nfiles; i++)
		dj_add(parts, &n, req, v.files[i].ts_min, v.files[i].ts_max, NULL, &v.files[i]);
	bool disjoint = false, peek = false;
	if (rc == ERR_OK) {
		qsort(parts, n, sizeof(*parts), dj_cmp);
		disjoint = dj_mark_overlaps(parts, n);
		peek = !disjoint && !has_field_pred(v.schema, req);
	}
	/* the request without the hint: sources need not see it */
	struct scan_request rq = *req;
	if (disjoint || peek) {
		c->preds = mem_calloc(req->npreds ? req->npreds : 1, sizeof(*c->preds));
		c->srcs = mem_calloc(n ? n : 1, sizeof(*c->srcs));
		if (!c->preds || !c->srcs)
			rc = ERR_NOMEM;
		rq.npreds = 0;
		rq.preds = c->preds;
		for (uint32_t k = 0; rc == ERR_OK && k < req->npreds; k++)
			if (!scan_pred_is_any_order(&req->preds[k]))
				c->preds[rq.npreds++] = req->preds[k];
	}
	/* memtables under state_mu, in their slots (the overlapping ones
	 * read ahead) */
	struct memtable_scan_opts mo = {.lean_if_unique = true};
	for (uint32_t i = 0; (disjoint || peek) && rc == ERR_OK && i < n; i++) {
		if (!parts[i].mt)
			continue;
		rc = memtable_source(parts[i].mt, &rq, v.flushed, &mo, &parts[i].src, &parts[i].lean);
		if (rc == ERR_OK && parts[i].overlap)
			rc = dj_peek(&parts[i]);
	}
	pthread_mutex_unlock(&r->state_mu);
	/* overlapping files read ahead; what is left must be disjoint */
	for (uint32_t i = 0; peek && rc == ERR_OK && i < n; i++)
		if (parts[i].f && parts[i].overlap && (rc = dj_open_file(r, &v, &rq, &parts[i])) == ERR_OK)
			rc = dj_peek(&parts[i]);
	if (peek && rc == ERR_OK)
		disjoint = dj_mark_overlaps(parts, n);
	for (uint32_t i = 0; disjoint && rc == ERR_OK && i < n; i++)
		if (parts[i].f && !parts[i].src && !parts[i].empty)
			rc = dj_open_file(r, &v, &rq, &parts[i]);
	/* the concat source takes the parts' sources */
	for (uint32_t i = 0; parts && i < n; i++) {
		if (!parts[i].src)
			continue;
		if (rc == ERR_OK && disjoint) {
			c->srcs[c->n] = parts[i].src;
			rc = dj_wrap(v.schema, &rq, parts[i].lean, &c->srcs[c->n]);
			c->n += c->srcs[c->n] != NULL;
		} else {
			sorted_source_close(parts[i].src);
		}
		parts[i].src = NULL;
	}
	mem_free(parts);
	if (rc == ERR_OK && disjoint) {
		c->base.next = concat_next;
		c->base.close = concat_close;
		c->schema = v.schema; /* the sources read it */
		v.schema = NULL;
		*out = &c->base;
		*done = true;
	} else if (c) {
		concat_close(&c->base);
	}
	view_free(&v);
	return rc;
}

int region_scan(struct region *r, const struct scan_request *req, struct sorted_source **out)
{
	*out = NULL;
	if (req && scan_req_any_order(r->state.schema->ts_col, req) &&
	    !scan_req_last_per_series(r->state.schema, req)) {
		bool done;
		int rc = disjoint_scan(r, req, out, &done);
		if (rc || done)
			return rc;
	}
	struct view v;
	uint32_t n = 0;
	bool last = false;
	pthread_mutex_lock(&r->state_mu);
	int rc = view_take_locked(r, &v);
	struct sorted_source **srcs =
		rc ? NULL : mem_calloc((size_t)v.nfiles + MAX_FROZEN + 2, sizeof(*srcs));
	if (rc == ERR_OK && !srcs)
		rc = ERR_NOMEM;
	if (rc == ERR_OK)
		last = scan_req_last_per_series(v.schema, req);
	/* Tail mode for every source (see the top of this file): no memtable
	 * holds a delete here, and open_file_sources checks the files. */
	bool tail_all = last && r->role == REGION_ROLE_LEADER && memtables_delete_free_locked(r);
	/* memtables with no row in the request's time range add nothing (so
	 * that a single SST can be the only source, sst_open_opts); a
	 * memtable alone, with unique rows, needs no dedup (and left the
	 * internal columns empty) */
	bool single = false;
	int64_t mem_lo = INT64_MAX, mem_hi = INT64_MIN;
	if (rc == ERR_OK && r->role == REGION_ROLE_LEADER)
		rc = query_memtables_locked(r, &v, req, last, tail_all, srcs, &n, &single, &mem_lo,
					    &mem_hi);
	uint32_t nmem = n;
	pthread_mutex_unlock(&r->state_mu);
	if (rc == ERR_OK)
		rc = open_file_sources(r, v.schema, v.files, v.nfiles, req, true, tail_all, srcs,
				       &n);
	if (rc == ERR_OK)
		mark_exclusive_files(&v, req, srcs + nmem, n - nmem, mem_lo, mem_hi);
	if (rc == ERR_OK) {
		struct region_schema *sch = v.schema;
		/* or one SST, the only source, read lean (unique rows) */
		bool pass = n == 1 && (single || sst_source_lean(srcs[0]));
		rc = finish_scan(&v, req, srcs, n, pass, out);
		n = 0;
		/* tail mode over unique rows already yields one row per series */
		if (rc == ERR_OK && last && !pass)
			rc = last_source_open(sch, out);
	}
	close_sources(srcs, n);
	mem_free(srcs);
	view_free(&v);
	return rc;
}

/* Append every batch of src to dst (same layout), closing src. */
static int drain_into(struct sorted_source *src, struct batch *dst)
{
	int rc;
	const struct batch *b;
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		for (uint32_t c = 0; c < dst->ncols; c++)
			if (b->cols[c].len &&
			    (rc = colvec_append_range(&dst->cols[c], &b->cols[c], 0, b->nrows)))
				goto out;
		dst->nrows += b->nrows;
	}
out:
	sorted_source_close(src);
	return rc;
}

int region_snapshot(struct region *r, const struct scan_request *req, uint64_t *version,
		    struct batch *rows)
{
	memset(rows, 0, sizeof(*rows));
	if (r->role != REGION_ROLE_LEADER)
		return err_set(ERR_READONLY, "region %" PRIu64 " is not a leader", r->id);
	struct sorted_source *srcs[MAX_FROZEN + 2];
	uint32_t n = 0;
	pthread_mutex_lock(&r->state_mu);
	uint64_t flushed = max_u64(r->state.flushed_sequence, r->state.truncated_sequence);
	*version = r->state.version;
	struct region_schema *schema = region_schema_clone(r->state.schema);
	int rc = schema ? memtable_sources_locked(r, req, flushed, srcs, &n) : ERR_NOMEM;
	pthread_mutex_unlock(&r->state_mu);
	if (rc)
		goto out;
	uint32_t ncols = schema->ncols + SCHEMA_INTERNAL_COLS;
	enum dtype *types = mem_calloc(ncols, sizeof(*types));
	if (!types) {
		rc = ERR_NOMEM;
		goto out;
	}
	region_schema_internal_types(schema, types);
	rc = batch_init(rows, ncols, types);
	mem_free(types);
	if (rc)
		goto out;
	/* Raw rows: tombstones and every version stay, so that the follower's
	 * merge with its SSTs decides exactly like the leader's would. */
	struct merge_options mo = {.schema = schema, .dedup = false, .keep_deletes = true,
				   .mode = schema->opts.merge_mode};
	struct sorted_source *merged = NULL;
	rc = merge_open(srcs, n, &mo, &merged);
	n = 0;
	if (rc == ERR_OK)
		rc = drain_into(merged, rows);
out:
	close_sources(srcs, n);
	region_schema_free(schema);
	if (rc)
		batch_free(rows);
	return rc;
}

int region_install(struct region *r, uint64_t version)
{
	if (r->role != REGION_ROLE_FOLLOWER)
		return ERR_OK; /* a leader's manifest is always current */
	pthread_mutex_lock(&r->flush_mu);
	int rc = ERR_OK;
	if (version > manifest_version(r->manifest)) {
		rc = manifest_install(r->manifest, version);
		if (rc == ERR_OK) {
			pthread_mutex_lock(&r->state_mu);
			rc = refresh_state_locked(r);
			pthread_mutex_unlock(&r->state_mu);
		}
	}
	if (rc == ERR_OK)
		r->last_install_ms = clock_now_ms();
	pthread_mutex_unlock(&r->flush_mu);
	if (rc)
		err_wrap("region %" PRIu64 ": install manifest version %" PRIu64, r->id, version);
	return rc;
}

/* No row of a leader snapshot (internal layout) with seq > min_seq is a
 * delete (false when its op column is left out). */
static bool rows_delete_free(const struct region_schema *s, const struct batch *rows,
			     uint64_t min_seq)
{
	if (!rows || rows->nrows == 0)
		return true;
	if (rows->ncols != s->ncols + SCHEMA_INTERNAL_COLS)
		return false;
	const struct colvec *seq = &rows->cols[s->ncols + 1], *op = &rows->cols[s->ncols + 2];
	if (seq->len != rows->nrows || op->len != rows->nrows)
		return false;
	for (uint32_t i = 0; i < rows->nrows; i++)
		if ((uint64_t)seq->i64[i] > min_seq && op->i64[i] != OP_PUT)
			return false;
	return true;
}

int region_follower_scan(struct region *r, const struct scan_request *req, uint64_t version,
			 const struct batch *leader_rows, struct sorted_source **out)
{
	*out = NULL;
	int rc = region_install(r, version);
	if (rc)
		return rc;
	struct view v;
	pthread_mutex_lock(&r->state_mu);
	uint64_t since = r->schema_since;
	rc = view_take_locked(r, &v);
	pthread_mutex_unlock(&r->state_mu);
	if (rc)
		return rc;
	/* The snapshot's rows are in the layout of the leader's schema at
	 * manifest version `version`; installing it made ours at least that
	 * new. When ours took effect after it (a schema change installed
	 * since), the rows may be in an older layout: refuse, never
	 * reinterpret them by position. */
	if (leader_rows && version < since) {
		rc = err_set(ERR_RETRY,
		             "region %" PRIu64 ": the leader's memtable snapshot (manifest version "
		             "%" PRIu64 ") predates this follower's schema version %" PRIu64
		             " (since manifest version %" PRIu64 "): retry the read",
		             r->id, version, v.schema ? v.schema->version : 0, since);
		view_free(&v);
		return rc;
	}
	uint32_t n = 0;
	struct sorted_source **srcs = mem_calloc((size_t)v.nfiles + 1, sizeof(*srcs));
	if (!srcs)
		rc = ERR_NOMEM;
	if (rc == ERR_OK && (rc = batch_source_open(v.schema, leader_rows, v.flushed, &srcs[0])) ==
				    ERR_OK)
		n = 1;
	/* a last-row scan reads the files in tail mode when the leader's rows
	 * (the newest source, read in full) hold no delete; open_file_sources
	 * checks the files (see the top of this file) */
	bool last = rc == ERR_OK && scan_req_last_per_series(v.schema, req);
	bool tail = last && rows_delete_free(v.schema, leader_rows, v.flushed);
	if (rc == ERR_OK)
		rc = open_file_sources(r, v.schema, v.files, v.nfiles, req, tail, tail, srcs, &n);
	if (rc == ERR_OK) {
		struct region_schema *sch = v.schema;
		rc = finish_scan(&v, req, srcs, n, false, out);
		n = 0;
		if (rc == ERR_OK && last)
			rc = last_source_open(sch, out);
	}
	close_sources(srcs, n);
	mem_free(srcs);
	view_free(&v);
	return rc;
}

/* ---- compaction, TTL, truncate, drop ---------------------------------- */

static int64_t pick_window_s(const struct manifest_state *st)
{
	static const int64_t windows[] = {3600, 7200, 43200, 86400, 604800, 31536000};
	if (st->schema->opts.compaction_window_s > 0)
		return st->schema->opts.compaction_window_s;
	if (st->compaction_window_s > 0)
		return st->compaction_window_s;
	int64_t ups = dtype_ts_units_per_sec(st->schema->cols[st->schema->ts_col].type);
	int64_t span = 0;
	for (uint32_t i = 0; i < st->nfiles; i++) {
		int64_t s = (st->files[i].ts_max - st->files[i].ts_min) / (ups ? ups : 1);
		if (s > span)
			span = s;
	}
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		if (windows[i] >= span)
			return windows[i];
	return windows[sizeof(windows) / sizeof(windows[0]) - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int add_pending(struct region *r, const struct manifest_file *f, uint64_t version)
{
	void *p = r->pending;
	if (mem_grow(&p, &r->pending_cap, r->npending + 1, sizeof(*r->pending)))
		return ERR_NOMEM;
	r->pending = p;
	struct pending_delete *d = &r->pending[r->npending++];
	memcpy(d->file_id, f->file_id, sizeof(d->file_id));
	d->removed_version = version;
	d->removed_at_ms = clock_now_ms();
	return ERR_OK;
}

/* Merge `inputs` into one SST and commit {add output, remove inputs}
 * (plus `expired`). Caller holds flush_mu. */
static int compact_files(struct region *r, struct view *v, const struct manifest_file *inputs,
			 uint32_t ninputs, const struct manifest_file *expired, uint32_t nexpired,
			 int64_t window_s)
{
	struct sorted_source **srcs = mem_calloc((size_t)ninputs + 1, sizeof(*srcs));
	if (!srcs)
		return ERR_NOMEM;
	uint32_t n = 0;
	struct manifest_file out;
	memset(&out, 0, sizeof(out));
	int rc = open_file_sources(r, v->schema, inputs, ninputs, NULL, false, false, srcs, &n);
	if (rc == ERR_OK && ninputs) {
		/* tombstones may be dropped only when no older file survives */
		bool all = ninputs == v->nfiles;
		struct merge_options mo = merge_opts(v->schema, NULL, !all);
		struct sorted_source *merged = NULL;
		rc = merge_open(srcs, n, &mo, &merged);
		n = 0;
		if (rc == ERR_OK)
			rc = sst_write(r->e->opt.store, r->e->cache, r->dir, v->schema, merged,
				       r->e->opt.sst_row_group_rows, &out);
		out.level = 1;
	}
	close_sources(srcs, n);
	mem_free(srcs);
	if (rc)
		return rc;
	uint32_t nremove = ninputs + nexpired;
	struct manifest_file *remove = mem_calloc(nremove ? nremove : 1, sizeof(*remove));
	if (!remove)
		return ERR_NOMEM;
	if (ninputs)
		memcpy(remove, inputs, ninputs * sizeof(*remove));
	if (nexpired)
		memcpy(remove + ninputs, expired, nexpired * sizeof(*remove));
	struct manifest_action act = {.type = MANIFEST_EDIT,
				      .nadd = out.num_rows ? 1 : 0,
				      .add = &out,
				      .nremove = nremove,
				      .remove = remove,
				      .flushed_sequence = v->flushed,
				      .compaction_window_s = window_s};
	uint64_t version = 0;
	rc = manifest_commit(r->manifest, &act, 1, &version);
	if (rc == ERR_OK) {
		pthread_mutex_lock(&r->state_mu);
		rc = refresh_state_locked(r);
		for (uint32_t i = 0; i < nremove && rc == ERR_OK; i++)
			rc = add_pending(r, &remove[i], version);
		pthread_mutex_unlock(&r->state_mu);
	}
	mem_free(remove);
	return rc;
}

int region_compact(struct region *r, bool force)
{
	if (r->role != REGION_ROLE_LEADER)
		return err_set(ERR_READONLY, "region %" PRIu64 " is a follower", r->id);
	pthread_mutex_lock(&r->flush_mu);
	struct view v;
	pthread_mutex_lock(&r->state_mu);
	int rc = view_take_locked(r, &v);
	int64_t window_s = rc ? 0 : pick_window_s(&r->state);
	pthread_mutex_unlock(&r->state_mu);
	if (rc) {
		pthread_mutex_unlock(&r->flush_mu);
		return rc;
	}
	const struct region_schema *s = v.schema;
	int64_t ups = dtype_ts_units_per_sec(s->cols[s->ts_col].type);
	int64_t window = window_s * ups;
	struct manifest_file *expired = mem_calloc(v.nfiles + 1, sizeof(*expired));
	struct manifest_file *group = mem_calloc(v.nfiles + 1, sizeof(*group));
	bool *done = mem_calloc(v.nfiles + 1, sizeof(bool));
	uint32_t nexpired = 0;
	if (!expired || !group || !done) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (s->opts.ttl_ms > 0) {
		int64_t cutoff = (clock_now_ms() - s->opts.ttl_ms) * (ups / 1000 ? ups / 1000 : 1);
		if (ups < 1000)
			cutoff = (clock_now_ms() - s->opts.ttl_ms) / 1000;
		for (uint32_t i = 0; i < v.nfiles; i++)
			if (v.files[i].ts_max < cutoff) {
				expired[nexpired++] = v.files[i];
				done[i] = true;
			}
	}
	bool committed_expired = false;
	for (uint32_t i = 0; i < v.nfiles && rc == ERR_OK; i++) {
		if (done[i])
			continue;
		int64_t w = floor_div(v.files[i].ts_max, window);
		uint32_t ng = 0;
		for (uint32_t j = i; j < v.nfiles; j++)
			if (!done[j] && floor_div(v.files[j].ts_max, window) == w) {
				group[ng++] = v.files[j];
				done[j] = true;
			}
		if (ng >= r->e->opt.compaction_trigger || (force && ng > 1)) {
			rc = compact_files(r, &v, group, ng, committed_expired ? NULL : expired,
					   committed_expired ? 0 : nexpired, window_s);
			committed_expired = true;
		}
	}
	if (rc == ERR_OK && !committed_expired && nexpired)
		rc = compact_files(r, &v, NULL, 0, expired, nexpired, window_s);
out:
	mem_free(expired);
	mem_free(group);
	mem_free(done);
	view_free(&v);
	pthread_mutex_unlock(&r->flush_mu);
	if (rc)
		err_wrap("compact region %" PRIu64, r->id);
	return rc;
}

int region_truncate(struct region *r)
{
	if (r->role != REGION_ROLE_LEADER)
		return err_set(ERR_READONLY, "region %" PRIu64 " is a follower", r->id);
	pthread_mutex_lock(&r->flush_mu);
	pthread_mutex_lock(&r->write_mu);
	uint64_t upto = r->next_seq - 1;
	struct manifest_action act = {.type = MANIFEST_TRUNCATE, .truncated_sequence = upto};
	uint64_t version = 0;
	int rc = manifest_commit(r->manifest, &act, 1, &version);
	if (rc == ERR_OK) {
		pthread_mutex_lock(&r->state_mu);
		for (uint32_t i = 0; i < r->state.nfiles && rc == ERR_OK; i++)
			rc = add_pending(r, &r->state.files[i], version);
		if (rc == ERR_OK)
			rc = refresh_state_locked(r);
		struct mt_ref *fresh = mt_ref_new(r);
		if (fresh) {
			mt_unref(r->active);
			r->active = fresh;
			for (uint32_t i = 0; i < r->nfrozen; i++)
				mt_unref(r->frozen[i]);
			r->nfrozen = 0;
		} else if (rc == ERR_OK) {
			rc = ERR_NOMEM;
		}
		pthread_mutex_unlock(&r->state_mu);
		if (r->e->wal)
			wal_mark_flushed(r->e->wal, r->id, upto);
	}
	pthread_mutex_unlock(&r->write_mu);
	pthread_mutex_unlock(&r->flush_mu);
	return rc;
}

/* Schema change: flush every memtable (so that no memtable, frozen
 * memtable or WAL entry after the flushed sequence holds rows of the old
 * schema), then commit [Edit flushed_sequence = last written, Change] as
 * one version and start a fresh memtable of the new schema. Writers are
 * held off (write_mu) for the whole step. */
int region_alter(struct region *r, const struct region_schema *schema)
{
	if (r->role != REGION_ROLE_LEADER)
		return err_set(ERR_READONLY, "region %" PRIu64 " is a follower", r->id);
	pthread_mutex_lock(&r->flush_mu);
	pthread_mutex_lock(&r->write_mu);
	int rc = region_schema_check_change(r->state.schema, schema);
	if (rc == ERR_OK) {
		pthread_mutex_lock(&r->state_mu);
		rc = freeze_locked(r);
		pthread_mutex_unlock(&r->state_mu);
	}
	while (rc == ERR_OK && r->nfrozen > 0)
		rc = flush_one(r);
	uint64_t upto = r->next_seq - 1;
	struct manifest_action acts[2] = {
		{.type = MANIFEST_EDIT, .flushed_sequence = upto},
		{.type = MANIFEST_CHANGE, .schema = schema},
	};
	uint64_t version = 0;
	if (rc == ERR_OK)
		rc = manifest_commit(r->manifest, acts, 2, &version);
	if (rc == ERR_OK) {
		pthread_mutex_lock(&r->state_mu);
		rc = refresh_state_locked(r);
		struct mt_ref *fresh = rc == ERR_OK ? mt_ref_new(r) : NULL;
		if (fresh) {
			mt_unref(r->active);
			r->active = fresh;
		} else if (rc == ERR_OK) {
			rc = ERR_NOMEM;
		}
		pthread_mutex_unlock(&r->state_mu);
		if (r->e->wal)
			wal_mark_flushed(r->e->wal, r->id, upto);
		log_info("region %" PRIu64 ": schema version %" PRIu64 " (manifest version %" PRIu64
			 ")",
			 r->id, schema->version, version);
	}
	pthread_mutex_unlock(&r->write_mu);
	pthread_mutex_unlock(&r->flush_mu);
	if (rc)
		err_wrap("alter region %" PRIu64, r->id);
	return rc;
}

int region_drop(struct region *r)
{
	if (r->role != REGION_ROLE_LEADER)
		return err_set(ERR_READONLY, "region %" PRIu64 " is a follower", r->id);
	pthread_mutex_lock(&r->flush_mu);
	struct manifest_action act = {.type = MANIFEST_REMOVE};
	uint64_t version;
	int rc = manifest_commit(r->manifest, &act, 1, &version);
	if (rc == ERR_OK && r->e->wal)
		wal_forget_region(r->e->wal, r->id);
	if (rc == ERR_OK)
		r->role = REGION_ROLE_FOLLOWER; /* no more writes */
	pthread_mutex_unlock(&r->flush_mu);
	return rc;
}

int region_set_role(struct region *r, enum region_role role)
{
	if (r->role == role)
		return ERR_OK;
	pthread_mutex_lock(&r->flush_mu);
	pthread_mutex_lock(&r->write_mu);
	int rc = ERR_OK;
	if (role == REGION_ROLE_FOLLOWER) {
		pthread_mutex_lock(&r->state_mu);
		mt_unref(r->active);
		r->active = NULL;
		for (uint32_t i = 0; i < r->nfrozen; i++)
			mt_unref(r->frozen[i]);
		r->nfrozen = 0;
		r->role = REGION_ROLE_FOLLOWER;
		pthread_mutex_unlock(&r->state_mu);
	} else {
		/* catch up with the latest manifest, then replay the WAL */
		struct manifest *m = NULL;
		rc = manifest_open(r->e->opt.store, r->dir, &m);
		if (rc == ERR_OK) {
			pthread_mutex_lock(&r->state_mu);
			manifest_close(r->manifest);
			r->manifest = m;
			rc = refresh_state_locked(r);
			if (rc == ERR_OK && !(r->active = mt_ref_new(r)))
				rc = ERR_NOMEM;
			pthread_mutex_unlock(&r->state_mu);
		}
		if (rc == ERR_OK)
			rc = replay_wal(r);
		if (rc == ERR_OK)
			r->role = REGION_ROLE_LEADER;
	}
	pthread_mutex_unlock(&r->write_mu);
	pthread_mutex_unlock(&r->flush_mu);
	return rc;
}

/* ---- garbage collection ------------------------------------------------ */

static bool in_state(const struct manifest_state *st, const char *file_id)
{
	for (uint32_t i = 0; i < st->nfiles; i++)
		if (!strcmp(st->files[i].file_id, file_id))
			return true;
	return false;
}

int region_gc(struct region *r, int64_t now_ms, uint64_t min_follower_version)
{
	int64_t linger = r->e->opt.gc_lingering_ms;
	char path[1024];
	int rc = ERR_OK;
	pthread_mutex_lock(&r->flush_mu);
	/* 1. files dropped by compaction / TTL / truncate */
	size_t keep = 0;
	for (size_t i = 0; i < r->npending; i++) {
		struct pending_delete *d = &r->pending[i];
		bool ok = now_ms - d->removed_at_ms >= linger &&
			  min_follower_version >= d->removed_version;
		if (ok) {
			sst_path(path, sizeof(path), r->dir, d->file_id);
			if (objstore_delete(r->e->opt.store, path) == ERR_OK) {
				sst_cache_drop(r->e->cache, path);
				continue;
			}
			log_warn("gc: delete %s failed: %s", path, err_msg());
		}
		r->pending[keep++] = *d;
	}
	r->npending = keep;
	/* 2. orphans (uploaded by a flush that never committed, or dropped
	 * before a restart): only once every follower runs the current version
	 * and this leader has been up for the lingering time. */
	if (r->role == REGION_ROLE_LEADER && min_follower_version >= r->state.version &&
	    now_ms - r->opened_at_ms >= linger) {
		struct objstore_list l;
		memset(&l, 0, sizeof(l));
		rc = objstore_list(r->e->opt.store, r->dir, &l);
		for (size_t i = 0; rc == ERR_OK && i < l.n; i++) {
			const char *name = l.keys[i] + strlen(r->dir);
			size_t len = strlen(name);
			if (strchr(name, '/') || len < 9 || strcmp(name + len - 8, ".parquet"))
				continue;
			char id[40];
			if (len - 8 >= sizeof(id))
				continue;
			memcpy(id, name, len - 8);
			id[len - 8] = '\0';
			pthread_mutex_lock(&r->state_mu);
			bool live = in_state(&r->state, id);
			for (size_t k = 0; !live && k < r->npending; k++)
				live = !strcmp(r->pending[k].file_id, id);
			pthread_mutex_unlock(&r->state_mu);
			int64_t mtime = 0;
			uint64_t size;
			if (live || objstore_head(r->e->opt.store, l.keys[i], &size, &mtime))
				continue;
			if (now_ms - mtime >= linger)
				objstore_delete(r->e->opt.store, l.keys[i]);
		}
		objstore_list_free(&l);
	}
	pthread_mutex_unlock(&r->flush_mu);
	return rc;
}

/* ---- stats ------------------------------------------------------------- */

void region_get_stat(struct region *r, struct region_stat *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->state_mu);
	out->region_id = r->id;
	out->role = r->role;
	out->manifest_version = r->state.version;
	out->flushed_sequence = r->state.flushed_sequence;
	out->committed_sequence = r->next_seq ? r->next_seq - 1 : 0;
	if (r->active) {
		out->memtable_rows += memtable_num_rows(r->active->mt);
		out->memtable_bytes += memtable_mem_size(r->active->mt);
	}
	for (uint32_t i = 0; i < r->nfrozen; i++) {
		out->memtable_rows += memtable_num_rows(r->frozen[i]->mt);
		out->memtable_bytes += memtable_mem_size(r->frozen[i]->mt);
	}
	for (uint32_t i = 0; i < r->state.nfiles; i++) {
		out->sst_rows += r->state.files[i].num_rows;
		out->sst_bytes += r->state.files[i].file_size;
	}
	out->sst_num = r->state.nfiles;
	out->frozen_memtables = r->nfrozen;
	out->manifest_bytes = 512 + (uint64_t)r->state.nfiles * 160;
	out->pending_deletes = r->npending;
	out->last_install_ms = r->last_install_ms;
	pthread_mutex_unlock(&r->state_mu);
}

int region_batch_strip_internal(const struct region_schema *s, const struct batch *in,
				struct batch *out)
{
	enum dtype types[s->ncols];
	for (uint32_t c = 0; c < s->ncols; c++)
		types[c] = s->cols[c].type;
	int rc = batch_init(out, s->ncols, types);
	for (uint32_t c = 0; rc == ERR_OK && c < s->ncols; c++)
		if (in->cols[c].len)
			rc = colvec_append_range(&out->cols[c], &in->cols[c], 0, in->nrows);
	if (rc)
		batch_free(out);
	else
		out->nrows = in->nrows;
	return rc;
}
