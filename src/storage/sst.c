/*
 * sst: writing sorted runs to Parquet SSTs and reading them back as sorted
 * sources, with an in-memory LRU cache of file bytes. See sst.h.
 *
 * Column layout of an SST = the internal layout of schema.h:
 *   region columns in schema order (tags dictionary-encoded, nullable as
 *   declared; the time index REQUIRED), then __primary_key (BINARY,
 *   dictionary, REQUIRED), __sequence (UINT64, REQUIRED), __op_type (UINT8,
 *   REQUIRED). Key-value metadata: "strata.region_schema" = schema JSON;
 *   "strata.sst.unique" = "1" when no row is a delete and no two rows share
 *   (pk, ts) (absent in files written before it existed: read as "not
 *   known unique"); "strata.sst.no_delete" = "1" when no row is a delete
 *   (duplicate identities allowed; absent in older files: then only
 *   "unique" tells); "strata.sst.tail" = the tail summary (sst_tail.c). Data
 *   pages hold at most SST_PAGE_ROWS rows, end where a new primary key
 *   starts once they hold SST_PAGE_BREAK_MIN_ROWS rows (all columns
 *   together: page row spans agree across columns), and carry page min/max
 *   in their headers (parquet_write.c); older files have one big page per
 *   chunk and no page statistics, and read the same, only without page
 *   skipping.
 * Readers match columns by name while the region's schema is at version 0;
 * after a schema change (schema_alter.h) they match by column_id through
 * the file's schema metadata, so a column added after the file was
 * written reads as its DEFAULT (or NULL) and a dropped column's data is
 * ignored (even when a new column reuses its name). A file written before
 * a tag was added gets pk_pad NULL elements (0x00) appended to every
 * __primary_key it returns. colmap (region column -> file column, -1 =
 * absent) is the only way any read path reaches a file column: row-group
 * and page statistics are looked up through it, so a column the file
 * lacks is never pruned on (its rows are filtered against the fill value).
 *
 * Readers: a cached file keeps up to SST_IDLE_READERS parsed readers
 * (footer, per-chunk page index) for later scans of it (reader_take /
 * reader_give); a reader serves one source at a time.
 * Exclusive sources (sst_source_set_exclusive; the caller knows no other
 * source of the merge holds one of the file's identities) over a unique
 * file: __sequence / __op_type are not read (synth_internal fills the
 * file's max_sequence and OP_PUT), and field predicates are applied here
 * in two steps (late_next): time index and predicate columns for the
 * candidate rows, the other columns for the selected rows only (their
 * vectors handed over to the output, not copied). Tag EQ predicates that
 * a row group's statistics prove for every candidate row (no NULL in the
 * chunk, every candidate page min == max == the literal: pages of one
 * series) are dropped for that row group: their columns are read with the
 * late columns and not compared.
 * Read path per row group: row-group statistics prune whole groups; page
 * statistics of the time index and of tag columns under EQ / IN
 * predicates narrow the group to candidate row ranges (candidate_ranges),
 * and only pages overlapping them are decompressed and decoded
 * (parquet_read_row_ranges). Row filters then apply as before
 * (sst_select_rows; a predicate on a tag the file lacks sees its fill value).
 * A request with a dynamic time bound (scan.h struct scan_ts_bound: a
 * top-k sort on the time index above) narrows the time range by the bound
 * as it stands at each step, and reads a row group in slices of
 * SST_SLICE_ROWS rows (candidate ranges clipped to the slice,
 * recomputed per slice), so once the sort has its bound only the pages
 * that reach it are read: for ORDER BY ts DESC LIMIT k, a series' newest
 * pages. Such slices never take the decoded-column path, which emits a
 * group whole. A request for its first rows (scan.h first_rows: LIMIT
 * without ORDER BY) is read in the same slices, so the merge's first
 * batches do not decode whole groups of every file.
 * Two modes exist for a file that is a query's only source
 * (sst_open_opts; tail mode also for a file among several sources when
 * the caller knows no newer source holds a delete, sst_open_opts.tail):
 *   lean (unique file: internal columns not read, passthrough merge) -
 *   any file, also one written under an older schema: it is the normal
 *   read path minus the internal columns, so absent columns are filled
 *   and the output has the current schema's layout (there is no key to
 *   pad: __primary_key stays empty);
 *   (a file read lean because no other source of a disjoint scan can
 *   hold its identities, sst_open_opts.disjoint, reads the same way);
 *   tail (last-row-per-series hint: sst_tail_next) - only when no primary key
 *   needs padding (pk_pad == 0: no tag added since the file was written),
 *   because it finds series from the file's key dictionary and returns
 *   file keys; a file with pk_pad != 0 is read by the normal path (the
 *   caller's last-row pick then does the work). Fields added since the
 *   file was written are filled in tail mode as in the normal path.
 *
 * Tail summary (key-value "strata.sst.tail"): see sst_tail.c.
 *
 * Page cache (page_cache.h): row-range reads of a file held by the SST
 * cache take decompressed pages from the cache's page cache, keyed by the
 * file entry's id (cached_file.id, never reused) and the page's offset, and
 * leave the pages they decompress there. Its budget is what the file
 * bytes and decoded columns leave of the cache's capacity (files first:
 * pages never evict a file); a file's pages go when it leaves the cache
 * and again when its entry is freed (pages read meanwhile by sources that
 * still held it). New files are not prefetched into it: decompressing
 * every page of a freshly written file (parquet_prefetch_pages) cost about
 * a fifth of line-protocol ingest throughput on 2 cores, so pages enter
 * the cache when a read first needs them.
 *
 * Decoded column cache (lean reads of cached files): see sst_decoded.c.
 */
#include "storage/sst.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore.h"
#include "storage/page_cache.h"
#include "storage/parquet.h"
#include "storage/pred.h"
#include "storage/schema_alter.h"
#include "storage/sst_int.h"

#define SST_OUT_ROWS 4096
/* Rows per data page of an SST: small enough that a one-series or short
 * time-range scan decodes few rows, large enough to compress well. */
#define SST_PAGE_ROWS 1024
/* zstd level of SST pages. -1 (zstd's fastest levels start below 1): on
 * TSBS pages (8 KiB of doubles / timestamps) 1.2-1.6x the speed of level 1
 * for about 2 % more bytes; flushes compete with ingest for the CPU (the
 * background flusher, or a writer flushing under back-pressure). */
#define SST_ZSTD_LEVEL -1
/* A page also ends where a new series starts once it holds this many rows
 * (series-aligned pages: a page's time range is one series' range, so a
 * short time range skips the neighbours' pages; short series still share
 * pages). */
#define SST_PAGE_BREAK_MIN_ROWS (SST_PAGE_ROWS / 4)

/* ---- cache ------------------------------------------------------------ */

int sst_cache_create(size_t capacity_bytes, struct sst_cache **out)
{
	struct sst_cache *c = mem_calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	if (page_cache_create(capacity_bytes, &c->pages)) {
		mem_free(c);
		return ERR_NOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	c->capacity = capacity_bytes;
	*out = c;
	return ERR_OK;
}

/* The page cache gets what files and decoded columns leave of the budget
 * (caller holds mu). */
static void pages_budget_locked(struct sst_cache *c)
{
	page_cache_set_capacity(c->pages, c->used < c->capacity ? c->capacity - c->used : 0);
}

static void file_release_locked(struct sst_cache *c, struct cached_file *f)
{
	if (--f->refs == 0) {
		/* pages read while f was out of the cache (by sources that
		 * held it) */
		page_cache_drop_owner(c->pages, f->id);
		for (uint32_t i = 0; i < f->nidle; i++)
			parquet_reader_free(f->idle[i]);
		sst_tail_free(f->tail);
		for (size_t i = 0; f->dec && i < (size_t)f->dec_nrg * f->dec_ncols; i++)
			if (f->dec[i]) {
				colvec_free(f->dec[i]);
				mem_free(f->dec[i]);
			}
		mem_free(f->dec);
		mem_free(f->dec_paged);
		mem_free(f->key);
		mem_free(f->data);
		mem_free(f);
	}
}

/* Remove f from the list (caller holds mu). */
static void unlink_locked(struct sst_cache *c, struct cached_file *f)
{
	for (struct cached_file **p = &c->head; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	c->used -= f->len + f->dec_bytes;
	f->cached = false;
	page_cache_drop_owner(c->pages, f->id);
	file_release_locked(c, f);
}

void sst_cache_free(struct sst_cache *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	while (c->head)
		unlink_locked(c, c->head);
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_destroy(&c->mu);
	page_cache_free(c->pages);
	mem_free(c);
}

void sst_cache_drop(struct sst_cache *c, const char *key)
{
	pthread_mutex_lock(&c->mu);
	for (struct cached_file *f = c->head; f; f = f->next)
		if (!strcmp(f->key, key)) {
			unlink_locked(c, f);
			pages_budget_locked(c);
			break;
		}
	pthread_mutex_unlock(&c->mu);
}

void sst_evict_locked(struct sst_cache *c)
{
	while (c->used > c->capacity && c->head) {
		struct cached_file *victim = c->head;
		for (struct cached_file *f = c->head; f; f = f->next)
			if (f->last_use < victim->last_use)
				victim = f;
		unlink_locked(c, victim);
	}
	pages_budget_locked(c);
}

/* Takes ownership of data. Returns a referenced entry (or NULL on OOM,
 * data freed). */
static struct cached_file *cache_insert(struct sst_cache *c, const char *key, uint8_t *data,
					size_t len)
{
	struct cached_file *f = mem_calloc(1, sizeof(*f));
	char *k = mem_strdup(key);
	if (!f || !k) {
		mem_free(f);
		mem_free(k);
		mem_free(data);
		return NULL;
	}
	f->key = k;
	f->data = data;
	f->len = len;
	f->refs = 1; /* the caller's */
	pthread_mutex_lock(&c->mu);
	f->last_use = ++c->clock;
	f->id = ++c->next_id;
	if (len <= c->capacity) {
		f->refs++;
		f->cached = true;
		f->next = c->head;
		c->head = f;
		c->used += len;
		sst_evict_locked(c);
	}
	pthread_mutex_unlock(&c->mu);
	return f;
}

static struct cached_file *cache_lookup(struct sst_cache *c, const char *key)
{
	struct cached_file *hit = NULL;
	pthread_mutex_lock(&c->mu);
	for (struct cached_file *f = c->head; f; f = f->next)
		if (!strcmp(f->key, key)) {
			hit = f;
			f->refs++;
			f->last_use = ++c->clock;
			break;
		}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

/* An idle reader over f (the caller holds a reference to f), or NULL. */
static struct parquet_reader *reader_take(struct sst_cache *c, struct cached_file *f)
{
	struct parquet_reader *r = NULL;
	pthread_mutex_lock(&c->mu);
	if (f->nidle)
		r = f->idle[--f->nidle];
	pthread_mutex_unlock(&c->mu);
	return r;
}

/* Hand r (over f's bytes) back for later scans, or free it when f has
 * left the cache or enough readers wait. The caller still holds its
 * reference to f. */
static void reader_give(struct sst_cache *c, struct cached_file *f, struct parquet_reader *r)
{
	pthread_mutex_lock(&c->mu);
	if (f->cached && f->nidle < SST_IDLE_READERS) {
		f->idle[f->nidle++] = r;
		r = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	parquet_reader_free(r);
}

static void cache_release(struct sst_cache *c, struct cached_file *f)
{
	pthread_mutex_lock(&c->mu);
	file_release_locked(c, f);
	pthread_mutex_unlock(&c->mu);
}

/* ---- names ------------------------------------------------------------ */

void sst_path(char *out, size_t n, const char *region_dir, const char *file_id)
{
	snprintf(out, n, "%s%s.parquet", region_dir, file_id);
}

void sst_new_file_id(char out[40])
{
	uint8_t b[16];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got = f ? fread(b, 1, sizeof(b), f) : 0;
	if (f)
		fclose(f);
	if (got != sizeof(b)) {
		static uint64_t counter;
		uint64_t x = (uint64_t)(uintptr_t)&got ^ ++counter ^ (uint64_t)time(NULL) << 20;
		for (int i = 0; i < 16; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			b[i] = (uint8_t)(x >> 56);
		}
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 40,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

/* ---- write ------------------------------------------------------------ */

static int column_defs(const struct region_schema *s, struct parquet_column_def *defs)
{
	for (uint32_t c = 0; c < s->ncols; c++) {
		const struct column_schema *cs = &s->cols[c];
		defs[c] = (struct parquet_column_def){
			.name = cs->name,
			.type = cs->type,
			.nullable = c != s->ts_col,
			.dictionary = cs->sem == SEM_TAG && dtype_phys(cs->type) == PHYS_BYTES};
	}
	defs[s->ncols] = (struct parquet_column_def){SCHEMA_PK_NAME, DT_BINARY, false, true};
	defs[s->ncols + 1] = (struct parquet_column_def){SCHEMA_SEQ_NAME, DT_UINT64, false, false};
	defs[s->ncols + 2] = (struct parquet_column_def){SCHEMA_OP_NAME, DT_UINT8, false, false};
	return ERR_OK;
}

int sst_write(struct objstore *os, struct sst_cache *cache, const char *region_dir,
	      const struct region_schema *s, struct sorted_source *src, uint32_t row_group_rows,
	      struct manifest_file *meta)
{
	memset(meta, 0, sizeof(*meta));
	meta->ts_min = INT64_MAX;
	meta->ts_max = INT64_MIN;
	uint32_t ncols = s->ncols + SCHEMA_INTERNAL_COLS;
	struct parquet_column_def defs[ncols];
	column_defs(s, defs);
	struct parquet_write_options po = {.row_group_rows = row_group_rows,
					   .zstd_level = SST_ZSTD_LEVEL,
					   .page_rows = SST_PAGE_ROWS,
					   .page_break_col = s->ncols + 1, /* __primary_key */
					   .page_break_min_rows = SST_PAGE_BREAK_MIN_ROWS};
	struct parquet_writer *w = NULL;
	struct buf file;
	buf_init(&file);
	char *schema_json = NULL;
	/* the tail summary (batches zeroed: freeing them before init is safe) */
	struct tail_builder tb = {.pk_col = s->ncols, .ts_col = s->ts_col, .op_col = s->ncols + 2};
	buf_init(&tb.prev_pk);
	struct buf tail_txt;
	buf_init(&tail_txt);
	int rc = parquet_writer_open(defs, ncols, &po, &w);
	if (rc)
		goto out;
	cJSON *j = region_schema_to_json(s);
	schema_json = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!schema_json) {
		rc = err_set(ERR_NOMEM, "schema JSON");
		goto out;
	}
	if ((rc = parquet_writer_set_kv(w, "strata.region_schema", schema_json)))
		goto out;
	{
		enum dtype types[ncols];
		region_schema_internal_types(s, types);
		if ((rc = batch_init(&tb.cur, ncols, types)) ||
		    (rc = batch_init(&tb.rows, ncols, types)))
			goto out;
	}
	const struct batch *b;
	bool unique = true, have_prev = false, no_delete = true;
	int64_t prev_ts = 0;
	struct buf prev_pk;
	buf_init(&prev_pk);
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		if (b->nrows == 0)
			continue;
		if ((rc = parquet_writer_write(w, b)) || (rc = sst_tb_add(&tb, b)))
			break;
		const struct colvec *ts = &b->cols[s->ts_col];
		const struct colvec *seq = &b->cols[s->ncols + 1];
		const struct colvec *pk = &b->cols[s->ncols];
		const struct colvec *op = &b->cols[s->ncols + 2];
		if (pk->len != b->nrows || op->len != b->nrows)
			unique = no_delete = false; /* internal columns left out: unknown */
		for (uint32_t i = 0; i < b->nrows && no_delete; i++)
			no_delete = op->i64[i] == OP_PUT;
		/* rows are sorted by (pk, ts): versions of one identity are adjacent */
		for (uint32_t i = 0; i < b->nrows && unique; i++) {
			if (op->i64[i] != OP_PUT) {
				unique = false;
				break;
			}
			uint32_t n, pn = 0;
			const char *p = colvec_bytes(pk, i, &n), *pp = NULL;
			if (i > 0 && ts->i64[i - 1] == ts->i64[i])
				pp = colvec_bytes(pk, i - 1, &pn);
			else if (i == 0 && have_prev && prev_ts == ts->i64[0])
				pp = (const char *)prev_pk.data, pn = (uint32_t)prev_pk.len;
			if (pp && pn == n && (n == 0 || memcmp(p, pp, n) == 0))
				unique = false;
		}
		if (unique) {
			uint32_t n;
			const char *p = colvec_bytes(pk, b->nrows - 1, &n);
			buf_reset(&prev_pk);
			if (buf_append(&prev_pk, p, n))
				rc = ERR_NOMEM;
			prev_ts = ts->i64[b->nrows - 1];
			have_prev = true;
		}
		if (rc)
			break;
		for (uint32_t i = 0; i < b->nrows; i++) {
			if (ts->i64[i] < meta->ts_min)
				meta->ts_min = ts->i64[i];
			if (ts->i64[i] > meta->ts_max)
				meta->ts_max = ts->i64[i];
			if ((uint64_t)seq->i64[i] > meta->max_sequence)
				meta->max_sequence = (uint64_t)seq->i64[i];
		}
		meta->num_rows += b->nrows;
	}
	buf_free(&prev_pk);
	if (rc || meta->num_rows == 0)
		goto out;
	if (unique && (rc = parquet_writer_set_kv(w, SST_KV_UNIQUE, "1")))
		goto out;
	if (no_delete && (rc = parquet_writer_set_kv(w, SST_KV_NO_DELETE, "1")))
		goto out;
	if ((rc = sst_tb_encode(&tb, &tail_txt)))
		goto out;
	if (tail_txt.len && (rc = parquet_writer_set_kv(w, SST_KV_TAIL, (const char *)tail_txt.data)))
		goto out;
	if ((rc = parquet_writer_finish(w, &file)))
		goto out;
	sst_new_file_id(meta->file_id);
	char key[1024];
	sst_path(key, sizeof(key), region_dir, meta->file_id);
	if ((rc = objstore_put(os, key, file.data, file.len, 0)))
		goto out;
	meta->file_size = file.len;
	size_t len;
	uint8_t *bytes = buf_steal(&file, &len);
	struct cached_file *cf = cache ? cache_insert(cache, key, bytes, len) : NULL;
	if (cf) {
		cache_release(cache, cf);
	} else if (!cache) {
		mem_free(bytes);
	}
out:
	sst_tb_free(&tb);
	buf_free(&tail_txt);
	sorted_source_close(src);
	parquet_writer_free(w);
	buf_free(&file);
	cJSON_free(schema_json);
	if (rc == ERR_OK && meta->num_rows == 0)
		meta->ts_min = meta->ts_max = 0;
	return rc;
}

/* ---- read ------------------------------------------------------------- */

/* Room for `total` more bytes in byte-array column dst (strings of rows
 * appended after its dst->len rows). */
static int reserve_bytes(struct colvec *dst, uint64_t total)
{
	return colvec_reserve_bytes(dst, total, "SST: string column over 4 GiB");
}

/* dst (empty, same physical kind) = src rows idx[0, k). */
int sst_gather_rows(struct colvec *dst, const struct colvec *src, const uint32_t *idx,
		    uint32_t k)
{
	if (colvec_reserve(dst, k))
		return ERR_NOMEM;
	enum phys_kind pk = dtype_phys(src->type);
	if (pk == PHYS_BYTES) {
		uint64_t total = 0;
		for (uint32_t i = 0; i < k; i++)
			total += src->offs[idx[i] + 1] - src->offs[idx[i]];
		int rc = reserve_bytes(dst, total);
		if (rc)
			return rc;
		uint32_t cur = dst->offs[dst->len];
		for (uint32_t i = 0; i < k; i++) {
			uint32_t o = src->offs[idx[i]], l = src->offs[idx[i] + 1] - o;
			mem_copy_short(dst->bytes + cur, src->bytes + o, l);
			cur += l;
			dst->offs[dst->len + i + 1] = cur;
		}
	} else if (pk == PHYS_I64) {
		for (uint32_t i = 0; i < k; i++)
			dst->i64[dst->len + i] = src->i64[idx[i]];
	} else {
		for (uint32_t i = 0; i < k; i++)
			dst->f64[dst->len + i] = src->f64[idx[i]];
	}
	uint32_t at = dst->len;
	dst->len += k;
	if (dst->validity)
		for (uint32_t i = at; i < at + k; i++)
			dst->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
	if (src->validity)
		for (uint32_t i = 0; i < k; i++)
			if (colvec_is_null(src, idx[i]) && colvec_set_null(dst, at + i))
				return ERR_NOMEM;
	return ERR_OK;
}

/* dst (empty, same physical kind) = src rows of runs[0..nruns) ((first,
 * count) pairs, ascending, disjoint), one copy per run and buffer. */
static int gather_runs(struct colvec *dst, const struct colvec *src, const uint32_t *runs,
		       uint32_t nruns)
{
	uint64_t k = 0, total = 0;
	enum phys_kind pk = dtype_phys(src->type);
	for (uint32_t r = 0; r < nruns; r++) {
		k += runs[2 * r + 1];
		if (pk == PHYS_BYTES)
			total += src->offs[runs[2 * r] + runs[2 * r + 1]] - src->offs[runs[2 * r]];
	}
	if (k > UINT32_MAX || colvec_reserve(dst, (uint32_t)k))
		return k > UINT32_MAX ? err_set(ERR_LIMIT, "SST: too many rows") : ERR_NOMEM;
	uint32_t at = dst->len;
	if (pk == PHYS_BYTES) {
		int rc = reserve_bytes(dst, total);
		if (rc)
			return rc;
		uint32_t cur = dst->offs[at], j = at;
		for (uint32_t r = 0; r < nruns; r++) {
			uint32_t from = runs[2 * r], cnt = runs[2 * r + 1];
			uint32_t s0 = src->offs[from], s1 = src->offs[from + cnt];
			if (s1 > s0)
				memcpy(dst->bytes + cur, src->bytes + s0, s1 - s0);
			int64_t shift = (int64_t)cur - (int64_t)s0;
			for (uint32_t i = 1; i <= cnt; i++)
				dst->offs[j + i] = (uint32_t)((int64_t)src->offs[from + i] + shift);
			cur += s1 - s0;
			j += cnt;
		}
	} else {
		uint32_t j = at;
		for (uint32_t r = 0; r < nruns; r++) {
			uint32_t from = runs[2 * r], cnt = runs[2 * r + 1];
			if (pk == PHYS_I64)
				memcpy(dst->i64 + j, src->i64 + from, (size_t)cnt * 8);
			else
				memcpy(dst->f64 + j, src->f64 + from, (size_t)cnt * 8);
			j += cnt;
		}
	}
	dst->len += (uint32_t)k;
	if (dst->validity)
		for (uint32_t i = at; i < dst->len; i++)
			dst->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
	if (src->validity)
		for (uint32_t r = 0, j = at; r < nruns; r++)
			for (uint32_t i = 0; i < runs[2 * r + 1]; i++, j++)
				if (colvec_is_null(src, runs[2 * r] + i) && colvec_set_null(dst, j))
					return ERR_NOMEM;
	return ERR_OK;
}

/* Can row group rg contain rows matching the request? */
static bool rg_may_match(struct sst_source *s, uint32_t rg)
{
	int ts = s->colmap[s->schema->ts_col];
	if (ts >= 0) {
		const struct parquet_stats *st = parquet_reader_stats(s->reader, rg, (uint32_t)ts);
		int64_t lo, hi;
		scan_request_ts_window(&s->req, &lo, &hi);
		if (st && st->has_min_max && (st->max.v.i < lo || st->min.v.i >= hi))
			return false;
	}
	for (uint32_t i = 0; i < s->nrow_preds; i++) {
		const struct scan_pred *p = &s->row_preds[i];
		int fc = s->colmap[p->col];
		if (fc < 0 || p->op != PRED_EQ || p->lit.is_null)
			continue;
		const struct parquet_stats *st = parquet_reader_stats(s->reader, rg, (uint32_t)fc);
		if (!st || !st->has_min_max)
			continue;
		struct colvec tmp;
		colvec_init(&tmp, p->lit.type);
		bool outside = false;
		if (colvec_push_datum(&tmp, &st->min) == ERR_OK &&
		    colvec_push_datum(&tmp, &st->max) == ERR_OK)
			outside = datum_cmp_colvec(&p->lit, &tmp, 0) < 0 ||
				  datum_cmp_colvec(&p->lit, &tmp, 1) > 0;
		colvec_free(&tmp);
		if (outside)
			return false;
	}
	return true;
}

/* Row predicates may name a tag the file predates: give them n copies of
 * its fill value (the caller frees the colvecs it did not borrow). */
static int missing_pred_cols(struct sst_source *s, struct colvec *view, uint32_t ncols, uint32_t n)
{
	for (uint32_t i = 0; i < s->nrow_preds; i++) {
		uint32_t c = s->row_preds[i].col;
		if (c >= ncols || c >= s->schema->ncols || s->colmap[c] >= 0 || view[c].len == n)
			continue;
		colvec_free(&view[c]);
		colvec_init(&view[c], s->schema->cols[c].type);
		for (uint32_t r = 0; r < n; r++) {
			int rc = colvec_push_datum(&view[c], &s->fill[c]);
			if (rc)
				return rc;
		}
	}
	return ERR_OK;
}

/* Extend every __primary_key of s->out by pk_pad NULL elements (0x00). */
static int pad_primary_keys(struct sst_source *s)
{
	struct colvec *pk = &s->out.cols[s->schema->ncols];
	colvec_reset(&s->pk_tmp);
	uint8_t buf[256];
	for (uint32_t i = 0; i < pk->len; i++) {
		uint32_t n;
		const char *p = colvec_bytes(pk, i, &n);
		uint8_t *tmp = n + s->pk_pad <= sizeof(buf) ? buf : mem_alloc(n + s->pk_pad);
		if (!tmp)
			return ERR_NOMEM;
		memcpy(tmp, p, n);
		memset(tmp + n, 0, s->pk_pad);
		int rc = colvec_push_bytes(&s->pk_tmp, tmp, n + s->pk_pad);
		if (tmp != buf)
			mem_free(tmp);
		if (rc)
			return rc;
	}
	struct colvec t = *pk;
	*pk = s->pk_tmp;
	s->pk_tmp = t;
	return ERR_OK;
}

/* Order of two non-null values of one column's physical kind: integers
 * (UINT64 unsigned) and byte strings; *ok false for other kinds. */
static int bound_cmp(const struct datum *a, const struct datum *b, bool *ok)
{
	*ok = true;
	enum phys_kind k = dtype_phys(a->type);
	if (k == PHYS_I64 && dtype_phys(b->type) == PHYS_I64) {
		if (a->type == DT_UINT64)
			return (uint64_t)a->v.i < (uint64_t)b->v.i	 ? -1
			       : (uint64_t)a->v.i > (uint64_t)b->v.i ? 1
								     : 0;
		return a->v.i < b->v.i ? -1 : a->v.i > b->v.i ? 1 : 0;
	}
	if (k == PHYS_BYTES && dtype_phys(b->type) == PHYS_BYTES) {
		size_t n = a->v.s.n < b->v.s.n ? a->v.s.n : b->v.s.n;
		int d = n ? memcmp(a->v.s.p, b->v.s.p, n) : 0;
		if (d)
			return d < 0 ? -1 : 1;
		return a->v.s.n < b->v.s.n ? -1 : a->v.s.n > b->v.s.n ? 1 : 0;
	}
	*ok = false;
	return 0;
}

/* Can a page whose non-null values lie in [mn, mx] hold a row matching p
 * (an EQ or IN predicate with non-null literals, or the time range)? */
static bool page_may_match(const struct scan_pred *p, const struct parquet_page_info *pg)
{
	if (!pg->has_min_max)
		return true;
	uint32_t n = p->op == PRED_IN ? p->nlist : 1;
	for (uint32_t i = 0; i < n; i++) {
		const struct datum *lit = p->op == PRED_IN ? &p->list[i] : &p->lit;
		if (lit->is_null)
			continue;
		bool ok1, ok2;
		struct datum lo = pg->min, hi = pg->max;
		lo.type = hi.type = lit->type;
		int a = bound_cmp(lit, &lo, &ok1), b = bound_cmp(lit, &hi, &ok2);
		if (!ok1 || !ok2 || (a >= 0 && b <= 0))
			return true;
	}
	return false;
}

/* Keep in s->rr[0][0..*n) only the rows of pages that may match (keep_page
 * decides per page), intersecting the two sorted range lists. */
static int intersect_pages(struct sst_source *s, const struct parquet_page_info *pg, uint32_t np,
			   const bool *keep, uint32_t *n)
{
	/* the pages kept, merged, into rr[1] */
	uint32_t m = 0;
	for (uint32_t i = 0; i < np; i++) {
		if (!keep[i] || pg[i].rows == 0)
			continue;
		if (m && s->rr[1][m - 1].to == pg[i].first_row) {
			s->rr[1][m - 1].to = pg[i].first_row + pg[i].rows;
			continue;
		}
		void *q = s->rr[1];
		if (mem_grow(&q, &s->rr_cap[1], (size_t)m + 1, sizeof(struct parquet_row_range)))
			return ERR_NOMEM;
		s->rr[1] = q;
		s->rr[1][m++] = (struct parquet_row_range){pg[i].first_row,
							   pg[i].first_row + pg[i].rows};
	}
	/* rr[2] = rr[0] & rr[1] */
	uint32_t k = 0;
	void *q = s->rr[2];
	if (mem_grow(&q, &s->rr_cap[2], (size_t)*n + m + 1, sizeof(struct parquet_row_range)))
		return ERR_NOMEM;
	s->rr[2] = q;
	for (uint32_t i = 0, j = 0; i < *n && j < m;) {
		uint32_t lo = s->rr[0][i].from > s->rr[1][j].from ? s->rr[0][i].from
								  : s->rr[1][j].from;
		uint32_t hi = s->rr[0][i].to < s->rr[1][j].to ? s->rr[0][i].to : s->rr[1][j].to;
		if (lo < hi)
			s->rr[2][k++] = (struct parquet_row_range){lo, hi};
		if (s->rr[0][i].to < s->rr[1][j].to)
			i++;
		else
			j++;
	}
	struct parquet_row_range *t = s->rr[0];
	size_t tc = s->rr_cap[0];
	s->rr[0] = s->rr[2];
	s->rr_cap[0] = s->rr_cap[2];
	s->rr[2] = t;
	s->rr_cap[2] = tc;
	*n = k;
	return ERR_OK;
}

/* The row ranges of row group rg (of `rows` rows) that may hold rows the
 * request selects, in s->rr[0][0..*n), from the page statistics of the
 * time index and of tag columns under EQ / IN predicates. */
static int candidate_ranges(struct sst_source *s, uint32_t rg, uint32_t rows, uint32_t *n)
{
	void *q = s->rr[0];
	if (mem_grow(&q, &s->rr_cap[0], 1, sizeof(struct parquet_row_range)))
		return ERR_NOMEM;
	s->rr[0] = q;
	s->rr[0][0] = (struct parquet_row_range){0, rows};
	*n = rows ? 1 : 0;
	uint32_t ts_col = s->schema->ts_col;
	int64_t ts_lo, ts_hi;
	scan_request_ts_window(&s->req, &ts_lo, &ts_hi);
	bool ts_bounded = ts_lo != INT64_MIN || ts_hi != INT64_MAX;
	for (int32_t i = ts_bounded ? -1 : 0; i < (int32_t)s->nrow_preds && *n; i++) {
		const struct scan_pred *p = i < 0 ? NULL : &s->row_preds[i];
		if (p && ((p->op != PRED_EQ && p->op != PRED_IN) ||
			  (p->op == PRED_EQ && p->lit.is_null) || scan_pred_is_hint(p)))
			continue;
		int fc = s->colmap[p ? p->col : ts_col];
		if (fc < 0)
			continue;
		const struct parquet_page_info *pg;
		uint32_t np;
		int rc = parquet_column_pages(s->reader, rg, (uint32_t)fc, &pg, &np);
		if (rc)
			return rc;
		if (np <= 1)
			continue;
		bool keep[np];
		bool any_drop = false;
		for (uint32_t k = 0; k < np; k++) {
			if (!p)
				keep[k] = !pg[k].has_min_max ||
					  (pg[k].max.v.i >= ts_lo && pg[k].min.v.i < ts_hi);
			else
				keep[k] = page_may_match(p, &pg[k]);
			any_drop |= !keep[k];
		}
		if (any_drop && (rc = intersect_pages(s, pg, np, keep, n)))
			return rc;
	}
	return ERR_OK;
}

/* Keep of the sorted, disjoint ranges rr[0..*n) their parts inside
 * [from, to). */
static void clip_ranges(struct parquet_row_range *rr, uint32_t *n, uint32_t from, uint32_t to)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < *n; i++) {
		uint32_t a = rr[i].from > from ? rr[i].from : from;
		uint32_t b = rr[i].to < to ? rr[i].to : to;
		if (a < b)
			rr[k++] = (struct parquet_row_range){a, b};
	}
	*n = k;
}

/* s->sel[0..n) = the rows of the raw batch (columns cols, internal
 * layout) inside the time range and matching the tag / time predicates;
 * *kept = their count. */
int sst_select_rows(struct sst_source *s, struct colvec **cols, uint32_t n, uint32_t *kept)
{
	uint32_t ncols = s->schema->ncols + SCHEMA_INTERNAL_COLS;
	void *p = s->sel;
	int rc = mem_grow(&p, &s->sel_cap, n ? n : 1, 1);
	if (rc)
		return rc;
	s->sel = p;
	const int64_t *ts = cols[s->schema->ts_col]->i64;
	int64_t mn, mx;
	scan_request_ts_window(&s->req, &mn, &mx);
	for (uint32_t i = 0; i < n; i++)
		s->sel[i] = (uint8_t)((ts[i] >= mn) & (ts[i] < mx));
	if (s->nrow_preds || s->nfield_preds) {
		/* pred_eval reads columns by region index: build a view */
		struct batch view = {.nrows = n, .ncols = ncols};
		struct colvec empty[ncols];
		view.cols = empty;
		for (uint32_t c = 0; c < ncols; c++) {
			if (cols[c])
				empty[c] = *cols[c];
			else
				colvec_init(&empty[c], DT_BINARY);
		}
		rc = missing_pred_cols(s, empty, ncols, n);
		if (rc == ERR_OK)
			rc = pred_eval(s->row_preds, s->nrow_preds, &view, s->sel);
		if (rc == ERR_OK && s->nfield_preds)
			rc = pred_eval(s->field_preds, s->nfield_preds, &view, s->sel);
		for (uint32_t c = 0; c < ncols; c++)
			if (!cols[c])
				colvec_free(&empty[c]);
		if (rc)
			return rc;
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++)
		k += s->sel[i];
	*kept = k;
	return ERR_OK;
}

int sst_grow_u32(uint32_t **a, size_t *cap, size_t n)
{
	void *p = *a;
	if (mem_grow(&p, cap, n ? n : 1, sizeof(uint32_t)))
		return ERR_NOMEM;
	*a = p;
	return ERR_OK;
}

/* raw (file layout, n rows read) gets its unread __sequence / __op_type
 * columns: seq_fill and OP_PUT in every row (s->synth). */
static int synth_internal(struct sst_source *s, struct batch *raw, uint32_t n)
{
	for (uint32_t k = 1; k <= 2; k++) {
		struct colvec *v = &raw->cols[s->colmap[s->schema->ncols + k]];
		colvec_reset(v);
		if (colvec_reserve(v, n ? n : 1))
			return ERR_NOMEM;
		int64_t x = k == 1 ? (int64_t)s->seq_fill : OP_PUT;
		for (uint32_t i = 0; i < n; i++)
			v->i64[i] = x;
		v->len = n;
	}
	return ERR_OK;
}

/* Exchange the values (buffers, length, validity) of two columns of the
 * same physical kind; each keeps its type label (the reader's batch keeps
 * the file's types, so it is reused as is on the next read). */
static void swap_col_data(struct colvec *a, struct colvec *b)
{
	struct colvec t = *a;
	enum dtype ta = a->type, tb = b->type;
	*a = *b;
	*b = t;
	a->type = ta;
	b->type = tb;
}

/* Page min/max are exact (both attained, never truncated) only in files
 * our writer made (created_by "strata": it leaves long bounds out instead
 * of cutting them). Other writers shorten long byte-array bounds, so
 * min == max would not prove one value there; the proofs below (a tag
 * equality, a constant late column) are made only for our files. */
static bool exact_page_bounds(const struct sst_source *s)
{
	return strcmp(parquet_reader_created_by(s->reader), "strata") == 0;
}

/* Do the statistics of row group rg prove every tag / time predicate true
 * for every row of the candidate ranges rr[0][0..nr)? Each must be an EQ
 * with a non-null literal on a column of the file whose chunk has no NULL
 * (null_count 0) and whose data pages overlapping the ranges all have
 * min == max == the literal (series-aligned pages of one series). The
 * time range is not a predicate here: sst_select_rows applies it. */
static bool row_preds_proved(struct sst_source *s, uint32_t rg, uint32_t nr)
{
	if (s->nrow_preds == 0 || nr == 0 || !exact_page_bounds(s))
		return false;
	for (uint32_t i = 0; i < s->nrow_preds; i++) {
		const struct scan_pred *p = &s->row_preds[i];
		if (p->op != PRED_EQ || p->lit.is_null || scan_pred_is_hint(p) ||
		    p->col == s->schema->ts_col || p->col >= s->schema->ncols)
			return false;
		int fc = s->colmap[p->col];
		if (fc < 0)
			return false;
		const struct parquet_stats *st = parquet_reader_stats(s->reader, rg, (uint32_t)fc);
		if (!st || !st->has_null_count || st->null_count != 0)
			return false;
		const struct parquet_page_info *pg;
		uint32_t np;
		if (parquet_column_pages(s->reader, rg, (uint32_t)fc, &pg, &np) || np == 0) {
			err_clear();
			return false;
		}
		uint32_t k = 0;
		for (uint32_t r = 0; r < nr; r++) {
			const struct parquet_row_range *rr = &s->rr[0][r];
			while (k < np && pg[k].first_row + pg[k].rows <= rr->from)
				k++;
			for (uint32_t j = k; j < np && pg[j].first_row < rr->to; j++) {
				if (!pg[j].has_min_max)
					return false;
				bool ok1, ok2;
				struct datum lo = pg[j].min, hi = pg[j].max;
				lo.type = hi.type = p->lit.type;
				if (bound_cmp(&p->lit, &lo, &ok1) != 0 || !ok1 ||
				    bound_cmp(&p->lit, &hi, &ok2) != 0 || !ok2)
					return false;
			}
		}
	}
	return true;
}

/*
 * Two-step read of row group rg's candidate ranges rr[0..nr) for a source
 * with field predicates (sst_source_set_exclusive): the filter columns of
 * every candidate row, then the other columns of the selected rows only
 * (pages without one are not decompressed, byte values of the others not
 * copied). *out is NULL when no row is selected.
 */
static int late_read(struct sst_source *s, uint32_t rg, uint32_t rows, uint32_t nr,
		     const struct batch **out);

/* Does byte-array file column fc hold one value in every row of ranges
 * rr[0..n) of row group rg? Yes when its chunk has no NULL and every data
 * page overlapping the ranges has statistics with min == max, the same in
 * all of them, in a file with exact bounds (exact_page_bounds); *v = that
 * value (its bytes valid until the next page walk of the reader). */
static bool late_const_bytes(struct sst_source *s, uint32_t rg, uint32_t fc,
			     const struct parquet_row_range *rr, uint32_t n, struct datum *v)
{
	const struct parquet_column_def *def = parquet_reader_column(s->reader, fc);
	if (!def || dtype_phys(def->type) != PHYS_BYTES || n == 0 || !exact_page_bounds(s))
		return false;
	const struct parquet_stats *st = parquet_reader_stats(s->reader, rg, fc);
	if (!st || !st->has_null_count || st->null_count != 0)
		return false;
	const struct parquet_page_info *pg;
	uint32_t np;
	if (parquet_column_pages(s->reader, rg, fc, &pg, &np) || np == 0) {
		err_clear();
		return false;
	}
	const struct datum *first = NULL;
	uint32_t k = 0;
	for (uint32_t r = 0; r < n; r++) {
		while (k < np && pg[k].first_row + pg[k].rows <= rr[r].from)
			k++;
		for (uint32_t j = k; j < np && pg[j].first_row < rr[r].to; j++) {
			bool ok1, ok2;
			if (!pg[j].has_min_max || bound_cmp(&pg[j].min, &pg[j].max, &ok1) != 0 || !ok1)
				return false;
			if (!first)
				first = &pg[j].min;
			else if (bound_cmp(first, &pg[j].min, &ok2) != 0 || !ok2)
				return false;
		}
	}
	if (!first)
		return false;
	*v = *first;
	return true;
}

/* dst (empty, a byte-array column) = k copies of the n bytes at p. */
static int fill_bytes(struct colvec *dst, const char *p, uint32_t n, uint32_t k)
{
	if (colvec_reserve(dst, k))
		return ERR_NOMEM;
	uint64_t total = (uint64_t)n * k;
	int rc = reserve_bytes(dst, total);
	if (rc)
		return rc;
	uint32_t cur = dst->offs[dst->len];
	for (uint32_t i = 0; i < k; i++) {
		mem_copy_short(dst->bytes + cur, p, n);
		cur += n;
		dst->offs[dst->len + i + 1] = cur;
	}
	uint32_t at = dst->len;
	dst->len += k;
	if (dst->validity)
		for (uint32_t i = at; i < at + k; i++)
			dst->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
	return ERR_OK;
}

/*
 * late_next, and when the statistics prove the tag predicates for this row
 * group's candidate rows (row_preds_proved: one series' pages), without
 * them: their columns are not read for every candidate row (only for the
 * selected ones, with the other late columns, when projected) and not
 * compared. The source's flags are restored before returning.
 */
static int late_next(struct sst_source *s, uint32_t rg, uint32_t rows, uint32_t nr,
		     const struct batch **out)
{
	if (!row_preds_proved(s, rg, nr))
		return late_read(s, rg, rows, nr, out);
	uint32_t nfile = parquet_reader_num_columns(s->reader);
	bool keep_f[nfile ? nfile : 1], keep_l[nfile ? nfile : 1];
	memcpy(keep_f, s->want_filter, nfile * sizeof(bool));
	memcpy(keep_l, s->want_late, nfile * sizeof(bool));
	for (uint32_t i = 0; i < s->nrow_preds; i++) {
		int fc = s->colmap[s->row_preds[i].col];
		s->want_filter[fc] = false;
	}
	/* still filter inputs: the time index and the field predicates' columns */
	s->want_filter[s->colmap[s->schema->ts_col]] = true;
	for (uint32_t i = 0; i < s->nfield_preds; i++)
		s->want_filter[s->colmap[s->field_preds[i].col]] = true;
	for (uint32_t c = 0; c < nfile; c++)
		s->want_late[c] = s->want[c] && !s->want_filter[c];
	uint32_t npreds = s->nrow_preds;
	s->nrow_preds = 0;
	int rc = late_read(s, rg, rows, nr, out);
	s->nrow_preds = npreds;
	memcpy(s->want_filter, keep_f, nfile * sizeof(bool));
	memcpy(s->want_late, keep_l, nfile * sizeof(bool));
	return rc;
}

static int late_read(struct sst_source *s, uint32_t rg, uint32_t rows, uint32_t nr,
		     const struct batch **out)
{
	const struct region_schema *sch = s->schema;
	uint32_t ncols = sch->ncols + SCHEMA_INTERNAL_COLS;
	bool full = nr == 1 && s->rr[0][0].from == 0 && s->rr[0][0].to == rows;
	int rc = full ? parquet_read_row_group(s->reader, rg, s->want_filter, &s->raw)
		      : parquet_read_row_ranges(s->reader, rg, s->want_filter, s->rr[0], nr,
						&s->raw);
	if (rc)
		return rc;
	uint32_t n = s->raw.nrows;
	if (s->synth && (rc = synth_internal(s, &s->raw, n)))
		return rc;
	struct colvec *cols[ncols];
	for (uint32_t c = 0; c < ncols; c++)
		cols[c] = s->colmap[c] >= 0 ? &s->raw.cols[s->colmap[c]] : NULL;
	uint32_t kept = 0;
	if ((rc = sst_select_rows(s, cols, n, &kept)) || kept == 0)
		return rc;
	/* selected rows: raw row numbers (idx) and row group row ranges (rr[1]) */
	if ((rc = sst_grow_u32(&s->idx, &s->idx_cap, kept)) ||
	    (rc = sst_grow_u32(&s->ident, &s->ident_cap, kept)))
		return rc;
	uint32_t k = 0, m = 0, x = 0;
	for (uint32_t r = 0; r < nr; r++) {
		for (uint32_t row = s->rr[0][r].from; row < s->rr[0][r].to; row++, x++) {
			if (!s->sel[x])
				continue;
			s->ident[k] = k;
			s->idx[k++] = x;
			if (m && s->rr[1][m - 1].to == row) {
				s->rr[1][m - 1].to++;
				continue;
			}
			void *q = s->rr[1];
			if (mem_grow(&q, &s->rr_cap[1], (size_t)m + 1,
				     sizeof(struct parquet_row_range)))
				return ERR_NOMEM;
			s->rr[1] = q;
			s->rr[1][m++] = (struct parquet_row_range){row, row + 1};
		}
	}
	if (x != n || k != kept)
		return err_set(ERR_CORRUPT, "SST: %u of %u candidate rows read", n, x);
	/* late byte-array columns whose pages over the selected rows all hold
	 * one value (a tag within one series): that value from the page
	 * statistics (copied: they may move on the next page walk), the
	 * pages not read */
	uint32_t nfile = parquet_reader_num_columns(s->reader);
	uint32_t coff[nfile ? nfile : 1], clen[nfile ? nfile : 1];
	bool cst[nfile ? nfile : 1];
	struct buf cbytes;
	buf_init(&cbytes);
	for (uint32_t fc = 0; fc < nfile; fc++) {
		cst[fc] = false;
		struct datum v;
		if (!s->want_late[fc] || !late_const_bytes(s, rg, fc, s->rr[1], m, &v))
			continue;
		coff[fc] = (uint32_t)cbytes.len;
		clen[fc] = v.v.s.n;
		if (v.v.s.n && buf_append(&cbytes, v.v.s.p, v.v.s.n)) {
			buf_free(&cbytes);
			return ERR_NOMEM;
		}
		cst[fc] = true;
		s->want_late[fc] = false;
	}
	rc = parquet_read_row_ranges(s->reader, rg, s->want_late, s->rr[1], m, &s->raw2);
	for (uint32_t fc = 0; fc < nfile; fc++)
		if (cst[fc])
			s->want_late[fc] = true;
	if (rc) {
		buf_free(&cbytes);
		return rc;
	}
	batch_reset(&s->out);
	for (uint32_t c = 0; c < ncols && !rc; c++) {
		struct colvec *dst = &s->out.cols[c];
		int fc = s->colmap[c];
		if (fc < 0) {
			/* a column the file predates: its DEFAULT (or NULL) when
			 * projected */
			bool wanted = c < sch->ncols && (!s->req.projection || s->req.projection[c]);
			for (uint32_t i = 0; wanted && i < kept && !rc; i++)
				rc = colvec_push_datum(dst, &s->fill[c]);
			continue;
		}
		if (cst[fc] && !s->want_filter[fc])
			rc = fill_bytes(dst, (const char *)cbytes.data + coff[fc], clen[fc], kept);
		else if (s->want_filter[fc] || (s->synth && c > sch->ncols))
			rc = sst_gather_rows(dst, &s->raw.cols[fc], s->idx, kept);
		else if (s->want_late[fc] && dst->len == 0 && s->raw2.cols[fc].len == kept)
			swap_col_data(dst, &s->raw2.cols[fc]); /* ident: every row, in order */
		else if (s->want_late[fc])
			rc = sst_gather_rows(dst, &s->raw2.cols[fc], s->ident, kept);
	}
	buf_free(&cbytes);
	if (rc)
		return rc;
	s->out.nrows = kept;
	if (s->pk_pad && (rc = pad_primary_keys(s)))
		return rc;
	*out = &s->out;
	return ERR_OK;
}

/* The rows of n-row columns cols (internal layout: NULL = a column the
 * file lacks, len 0 = not read) the request selects, into *out (NULL when
 * none is kept): absent columns filled, keys padded; with lend_ok, when
 * every row is kept and no column is absent, the vectors are lent instead
 * of copied. File columns outside s->want are left out (synthesised
 * internal columns, s->synth, are kept). Kept rows that form few long runs
 * (a time range over series sorted by key) are copied run by run. */
static int emit_cols(struct sst_source *s, struct colvec **cols, uint32_t n, bool lend_ok,
		     const struct batch **out)
{
	uint32_t ncols = s->schema->ncols + SCHEMA_INTERNAL_COLS;
	*out = NULL;
	int rc;
	batch_reset(&s->out);
	uint32_t kept = 0;
	if ((rc = sst_select_rows(s, cols, n, &kept)))
		return rc;
	if (kept == 0)
		return ERR_OK;
	/* every row kept, every column in the file and no primary key to
	 * pad (a tag added since the file was written): lend the vectors */
	bool lend = lend_ok && kept == n && s->pk_pad == 0;
	for (uint32_t c = 0; c < ncols && lend; c++)
		lend = cols[c] != NULL;
	if (lend) {
		for (uint32_t c = 0; c < ncols; c++) {
			struct colvec *d = &s->view.cols[c];
			if (cols[c]->len == 0) {
				memset(d, 0, sizeof(*d));
				d->type = s->types[c];
			} else {
				*d = *cols[c];
				d->type = s->types[c];
			}
		}
		s->view.nrows = n;
		*out = &s->view;
		return ERR_OK;
	}
	const uint8_t *sel = s->sel;
	uint32_t nruns = sel[0];
	for (uint32_t i = 1; i < n; i++)
		nruns += sel[i] & !sel[i - 1];
	bool by_runs = (uint64_t)nruns * 16 <= kept;
	void *q = by_runs ? (void *)s->runs : (void *)s->idx;
	if ((rc = by_runs ? mem_grow(&q, &s->runs_cap, (size_t)nruns * 2, sizeof(uint32_t))
			  : mem_grow(&q, &s->idx_cap, kept, sizeof(uint32_t))))
		return rc;
	if (by_runs) {
		s->runs = q;
		for (uint32_t i = 0, r = 0; i < n;) {
			if (!sel[i]) {
				i++;
				continue;
			}
			uint32_t j = i + 1;
			while (j < n && sel[j])
				j++;
			s->runs[2 * r] = i;
			s->runs[2 * r + 1] = j - i;
			r++;
			i = j;
		}
	} else {
		s->idx = q;
		for (uint32_t i = 0, k = 0; i < n; i++)
			if (sel[i])
				s->idx[k++] = i;
	}
	for (uint32_t c = 0; c < ncols; c++) {
		struct colvec *dst = &s->out.cols[c];
		if (!cols[c]) {
			/* a column the file predates: its DEFAULT (or NULL)
			 * when projected */
			bool wanted = c < s->schema->ncols &&
				      (!s->req.projection || s->req.projection[c]);
			for (uint32_t i = 0; wanted && i < kept; i++)
				if ((rc = colvec_push_datum(dst, &s->fill[c])))
					return rc;
			continue;
		}
		if (cols[c]->len == 0 ||
		    (!s->want[s->colmap[c]] && !(s->synth && c > s->schema->ncols)))
			continue; /* outside the projection */
		rc = by_runs ? gather_runs(dst, cols[c], s->runs, nruns)
			     : sst_gather_rows(dst, cols[c], s->idx, kept);
		if (rc)
			return rc;
	}
	s->out.nrows = kept;
	if (s->pk_pad && (rc = pad_primary_keys(s)))
		return rc;
	*out = &s->out;
	return ERR_OK;
}

/* emit_cols over raw (file layout: the file's columns), mapped through
 * colmap. */
static int emit_rows(struct sst_source *s, struct batch *raw, bool lend_ok,
		     const struct batch **out)
{
	uint32_t ncols = s->schema->ncols + SCHEMA_INTERNAL_COLS;
	struct colvec *cols[ncols];
	for (uint32_t c = 0; c < ncols; c++)
		cols[c] = s->colmap[c] >= 0 ? &raw->cols[s->colmap[c]] : NULL;
	return emit_cols(s, cols, raw->nrows, lend_ok, out);
}

static int sst_next_rg(struct sorted_source *base, const struct batch **out)
{
	struct sst_source *s = (struct sst_source *)base;
	uint32_t ncols = s->schema->ncols + SCHEMA_INTERNAL_COLS;
	*out = NULL;
	if (s->tail && s->sum) {
		/* the whole file's tail, from its summary: one batch */
		if (s->sum_done)
			return ERR_OK;
		s->sum_done = true;
		return emit_rows(s, (struct batch *)&s->sum->rows, false, out);
	}
	if (s->run_at < s->nruns) {
		sst_next_run_view(s, out);
		return ERR_OK;
	}
	while (s->rg < s->nrg) {
		uint32_t rg = s->rg;
		uint32_t rows = (uint32_t)parquet_reader_row_group_rows(s->reader, rg), nr = 0;
		uint32_t from = s->slice_at, to = rows;
		if ((s->req.ts_bound || s->req.first_rows) && !s->tail &&
		    rows - from > SST_SLICE_ROWS)
			to = from + SST_SLICE_ROWS;
		/* the next call starts after this slice */
		s->slice_at = to < rows ? to : 0;
		s->rg += to < rows ? 0 : 1;
		if (!rg_may_match(s, rg))
			continue;
		int rc = candidate_ranges(s, rg, rows, &nr);
		if (rc)
			return rc;
		bool sliced = from > 0 || to < rows;
		if (sliced)
			clip_ranges(s->rr[0], &nr, from, to);
		if (nr == 0)
			continue;
		if (s->tail) {
			if ((rc = sst_tail_next(s, rg, rows, nr, out)) || *out)
				return rc;
			continue;
		}
		if (s->nfield_preds) {
			if ((rc = late_next(s, rg, rows, nr, out)) || *out)
				return rc;
			continue;
		}
		/* a lean read of a cached file: the whole row group from the
		 * decoded column cache (sst_select_rows then applies the range),
		 * when the candidate rows are a good part of the row group or
		 * the read is served by run views and the group is (or by now
		 * should be) decoded (sst_dec_admit): otherwise a selective read
		 * decodes (and filters) the few pages it needs faster than it
		 * filters a whole group */
		uint32_t nfile = parquet_reader_num_columns(s->reader);
		struct colvec *fcols[nfile ? nfile : 1];
		bool dec = false;
		if (s->lean && s->file && !sliced) { /* (a decoded group is emitted whole) */
			uint64_t cand = 0;
			for (uint32_t k = 0; k < nr; k++)
				cand += s->rr[0][k].to - s->rr[0][k].from;
			dec = sst_dec_admit(s, rg, rows, cand);
			if (dec && (rc = sst_decoded_rg(s, rg, rows, fcols)))
				return rc;
		}
		if (!dec) {
			if (nr == 1 && s->rr[0][0].from == 0 && s->rr[0][0].to == rows)
				rc = parquet_read_row_group(s->reader, rg, s->want, &s->raw);
			else
				rc = parquet_read_row_ranges(s->reader, rg, s->want, s->rr[0], nr,
							     &s->raw);
			if (rc)
				return rc;
			/* (synth is never lean: never a decoded read) */
			if (s->synth && (rc = synth_internal(s, &s->raw, s->raw.nrows)))
				return rc;
			if ((rc = emit_rows(s, &s->raw, true, out)) || *out)
				return rc;
			continue;
		}
		/* map file columns to the internal layout (a column not
		 * decoded: empty) */
		struct colvec *cols[ncols];
		for (uint32_t c = 0; c < ncols; c++) {
			int fc = s->colmap[c];
			cols[c] = fc < 0 ? NULL : fcols[fc] ? fcols[fc] : &s->none;
		}
		bool views = false;
		if ((rc = sst_run_views(s, cols, nr, &views)))
			return rc;
		if (views) {
			if (s->run_at < s->nruns) {
				sst_next_run_view(s, out);
				return ERR_OK;
			}
			continue;
		}
		if ((rc = emit_cols(s, cols, rows, true, out)) || *out)
			return rc;
	}
	return ERR_OK;
}

static void sst_close(struct sorted_source *base)
{
	struct sst_source *s = (struct sst_source *)base;
	if (s->file && s->reader)
		reader_give(s->cache, s->file, s->reader);
	else
		parquet_reader_free(s->reader);
	if (s->file)
		cache_release(s->cache, s->file);
	mem_free(s->owned);
	batch_free(&s->raw);
	batch_free(&s->out);
	mem_free(s->view.cols); /* borrowed vectors: not freed here */
	mem_free(s->idx);
	mem_free(s->runs);
	mem_free(s->vcols);
	mem_free(s->row_preds);
	mem_free(s->colmap);
	mem_free(s->types);
	mem_free(s->want);
	mem_free(s->sel);
	for (int i = 0; i < 3; i++)
		mem_free(s->rr[i]);
	mem_free(s->want_keys);
	mem_free(s->want_rest);
	mem_free(s->field_preds);
	mem_free(s->want_filter);
	mem_free(s->want_late);
	batch_free(&s->raw2);
	mem_free(s->rowno);
	mem_free(s->ident);
	mem_free(s->runid);
	mem_free(s->cand);
	sst_tail_free(s->sum_owned);
	for (uint32_t c = 0; s->fill_owned && c < s->schema->ncols; c++)
		mem_free(s->fill_owned[c]);
	mem_free(s->fill_owned);
	mem_free(s->fill);
	colvec_free(&s->pk_tmp);
	mem_free(s);
}

/* The file's name for region column c when the file was written under an
 * older schema: matched by column_id through the file's schema metadata
 * (a dropped and re-added name is another column). NULL = the file lacks
 * it. Files of the current version, or without the metadata, match by
 * name. */
static const char *file_column_name(const struct region_schema *sch,
				    const struct region_schema *fsch, uint32_t c)
{
	if (!fsch || c >= sch->ncols)
		return c < sch->ncols ? sch->cols[c].name : NULL;
	for (uint32_t i = 0; i < fsch->ncols; i++)
		if (fsch->cols[i].column_id == sch->cols[c].column_id)
			return fsch->cols[i].name;
	return NULL;
}

/* The schema an SST was written with, when it differs from sch (only
 * after a schema change: sch->version > 0). *out NULL otherwise. */
static int sst_file_schema(struct parquet_reader *rd, const struct region_schema *sch,
			   const char *key, struct region_schema **out)
{
	*out = NULL;
	if (sch->version == 0)
		return ERR_OK;
	const char *txt = parquet_reader_kv(rd, "strata.region_schema");
	if (!txt)
		return ERR_OK;
	cJSON *j = cJSON_Parse(txt);
	if (!j)
		return err_set(ERR_CORRUPT, "SST %s: schema metadata does not parse", key);
	int rc = region_schema_from_json(j, out);
	cJSON_Delete(j);
	if (rc)
		return err_wrap("SST %s: schema metadata", key);
	if ((*out)->version == sch->version) {
		region_schema_free(*out);
		*out = NULL;
	}
	return ERR_OK;
}

int sst_open_source(struct objstore *os, struct sst_cache *cache, const char *region_dir,
		    const struct region_schema *sch, const struct manifest_file *f,
		    const struct scan_request *req, struct sorted_source **out)
{
	return sst_open_source_opts(os, cache, region_dir, sch, f, req, NULL, out);
}

/* Rows handed out by every SST source of the process (a statistic). */
static _Atomic uint64_t g_rows_returned;

static int sst_next(struct sorted_source *base, const struct batch **out)
{
	int rc = sst_next_rg(base, out);
	if (rc == ERR_OK && *out)
		atomic_fetch_add_explicit(&g_rows_returned, (*out)->nrows, memory_order_relaxed);
	return rc;
}

bool sst_source_lean(const struct sorted_source *src)
{
	return src && src->next == sst_next && ((const struct sst_source *)src)->lean;
}

bool sst_source_no_delete(const struct sorted_source *src)
{
	return src && src->next == sst_next && ((const struct sst_source *)src)->no_delete;
}

bool sst_source_tail(const struct sorted_source *src)
{
	return src && src->next == sst_next && ((const struct sst_source *)src)->tail;
}

void sst_source_set_exclusive(struct sorted_source *src)
{
	if (!src || src->next != sst_next)
		return;
	struct sst_source *s = (struct sst_source *)src;
	const struct region_schema *sch = s->schema;
	const char *u = parquet_reader_kv(s->reader, SST_KV_UNIQUE);
	if (s->tail || s->synth || s->nfield_preds || sch->opts.append_mode || !u || strcmp(u, "1"))
		return;
	if (!s->lean) {
		/* each row is the only version of its identity in the scan:
		 * its sequence orders nothing and its op type is a put */
		s->synth = true;
		s->want[s->colmap[sch->ncols + 1]] = false;
		s->want[s->colmap[sch->ncols + 2]] = false;
	}
	uint32_t nf = 0;
	for (uint32_t i = 0; i < s->req.npreds; i++) {
		const struct scan_pred *p = &s->req.preds[i];
		if (pred_is_tag_or_ts(sch, p) || scan_pred_is_hint(p))
			continue;
		/* a field the file lacks reads as its fill value: leave it to the merge */
		if (p->col >= sch->ncols || s->colmap[p->col] < 0)
			return;
		nf++;
	}
	if (nf == 0)
		return;
	uint32_t nfile = parquet_reader_num_columns(s->reader);
	s->field_preds = mem_calloc(nf, sizeof(*s->field_preds));
	s->want_filter = mem_calloc(nfile ? nfile : 1, sizeof(bool));
	s->want_late = mem_calloc(nfile ? nfile : 1, sizeof(bool));
	if (!s->field_preds || !s->want_filter || !s->want_late)
		return; /* nfield_preds stays 0: the one-step read */
	for (uint32_t i = 0; i < s->req.npreds; i++) {
		const struct scan_pred *p = &s->req.preds[i];
		if (pred_is_tag_or_ts(sch, p) || scan_pred_is_hint(p))
			continue;
		s->field_preds[s->nfield_preds++] = *p;
		s->want[s->colmap[p->col]] = true; /* the merge filters on it too */
	}
	s->want_filter[s->colmap[sch->ts_col]] = true;
	for (uint32_t i = 0; i < s->nrow_preds; i++)
		if (s->colmap[s->row_preds[i].col] >= 0)
			s->want_filter[s->colmap[s->row_preds[i].col]] = true;
	for (uint32_t i = 0; i < s->nfield_preds; i++)
		s->want_filter[s->colmap[s->field_preds[i].col]] = true;
	for (uint32_t c = 0; c < nfile; c++)
		s->want_late[c] = s->want[c] && !s->want_filter[c];
}

bool sst_source_summary(const struct sorted_source *src)
{
	if (!src || src->next != sst_next)
		return false;
	const struct sst_source *s = (const struct sst_source *)src;
	return s->tail && s->sum;
}

void sst_source_untail(struct sorted_source *src)
{
	if (src && src->next == sst_next)
		((struct sst_source *)src)->tail = false; /* want[] is the normal path's */
	/* (s->sum only serves tail mode) */
}

uint64_t sst_rows_returned(void)
{
	return atomic_load(&g_rows_returned);
}

/* p, a predicate on the time index, holds for every ts in the request's
 * range [ts_min, ts_max), which sst_select_rows applies to every row anyway
 * (or for every ts: IS NOT NULL): evaluating it again per row is wasted. */
static bool ts_pred_implied(const struct region_schema *sch, const struct scan_request *req,
			    const struct scan_pred *p)
{
	if (p->col != sch->ts_col)
		return false;
	if (p->op == PRED_IS_NOT_NULL)
		return true; /* the time index has no nulls (scan hints are such) */
	if (p->lit.is_null || dtype_phys(p->lit.type) != PHYS_I64)
		return false;
	int64_t v = p->lit.v.i;
	switch (p->op) {
	case PRED_GE: return req->ts_min >= v;
	case PRED_GT: return req->ts_min > v;
	case PRED_LT: return req->ts_max <= v;
	case PRED_LE: return req->ts_max != INT64_MIN && req->ts_max - 1 <= v;
	default: return false;
	}
}

int sst_open_source_opts(struct objstore *os, struct sst_cache *cache, const char *region_dir,
			 const struct region_schema *sch, const struct manifest_file *f,
			 const struct scan_request *req, const struct sst_open_opts *oo,
			 struct sorted_source **out)
{
	*out = NULL;
	char key[1024];
	sst_path(key, sizeof(key), region_dir, f->file_id);
	struct sst_source *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->base.next = sst_next;
	s->base.close = sst_close;
	s->cache = cache;
	s->schema = sch;
	colvec_init(&s->pk_tmp, DT_BINARY);
	if (req)
		s->req = *req;
	else
		scan_request_init(&s->req);
	s->seq_fill = f->max_sequence;
	uint32_t ncols = sch->ncols + SCHEMA_INTERNAL_COLS;
	const uint8_t *data;
	size_t len;
	int rc = ERR_OK;
	s->file = cache ? cache_lookup(cache, key) : NULL;
	if (!s->file) {
		uint8_t *bytes = NULL;
		if ((rc = objstore_get(os, key, &bytes, &len)))
			goto fail;
		if (cache) {
			s->file = cache_insert(cache, key, bytes, len);
			if (!s->file) {
				rc = ERR_NOMEM;
				goto fail;
			}
		} else {
			s->owned = bytes;
		}
	}
	data = s->file ? s->file->data : s->owned;
	len = s->file ? s->file->len : len;
	s->reader = s->file ? reader_take(cache, s->file) : NULL;
	if (!s->reader && (rc = parquet_reader_open_mem(data, len, &s->reader)))
		goto fail;
	if (s->file) {
		/* (a file too big for the cache is read without the page cache) */
		pthread_mutex_lock(&cache->mu);
		bool cached = s->file->cached;
		pthread_mutex_unlock(&cache->mu);
		parquet_reader_set_page_cache(s->reader, cached ? cache->pages : NULL,
					      s->file->id);
	}
	s->nrg = parquet_reader_num_row_groups(s->reader);
	uint32_t nfile = parquet_reader_num_columns(s->reader);
	s->types = mem_calloc(ncols, sizeof(*s->types));
	s->colmap = mem_calloc(ncols, sizeof(int));
	s->want = mem_calloc(nfile ? nfile : 1, sizeof(bool));
	s->fill = mem_calloc(sch->ncols ? sch->ncols : 1, sizeof(*s->fill));
	s->fill_owned = mem_calloc(sch->ncols ? sch->ncols : 1, sizeof(char *));
	if (!s->colmap || !s->want || !s->types || !s->fill || !s->fill_owned) {
		rc = ERR_NOMEM;
		goto fail;
	}
	static const char *internal[SCHEMA_INTERNAL_COLS] = {SCHEMA_PK_NAME, SCHEMA_SEQ_NAME,
							      SCHEMA_OP_NAME};
	enum dtype *types = s->types;
	region_schema_internal_types(sch, types);
	struct region_schema *fsch = NULL;
	if ((rc = sst_file_schema(s->reader, sch, key, &fsch)))
		goto fail;
	for (uint32_t c = 0; c < ncols; c++) {
		const char *name = c < sch->ncols ? sch->cols[c].name : internal[c - sch->ncols];
		const char *fname = c < sch->ncols ? file_column_name(sch, fsch, c) : name;
		s->colmap[c] = fname ? parquet_reader_find_column(s->reader, fname) : -1;
		if (s->colmap[c] < 0 && c < sch->ncols && c != sch->ts_col &&
		    (rc = column_fill_datum(&sch->cols[c], &s->fill[c], &s->fill_owned[c]))) {
			/* not a constant: NULL, as before the change */
			err_clear();
			memset(&s->fill[c], 0, sizeof(s->fill[c]));
			s->fill[c].type = sch->cols[c].type;
			s->fill[c].is_null = true;
			rc = ERR_OK;
		}
		if (s->colmap[c] >= 0) {
			const struct parquet_column_def *d =
				parquet_reader_column(s->reader, (uint32_t)s->colmap[c]);
			if (dtype_phys(d->type) != dtype_phys(types[c])) {
				rc = err_set(ERR_CORRUPT, "SST %s: column %s has type %s, expected %s",
					     key, name, dtype_name(d->type), dtype_name(types[c]));
				region_schema_free(fsch);
				goto fail;
			}
		} else if (c == sch->ts_col || c >= sch->ncols) {
			rc = err_set(ERR_CORRUPT, "SST %s lacks column %s", key, name);
			region_schema_free(fsch);
			goto fail;
		}
	}
	if (fsch && fsch->npk < sch->npk)
		s->pk_pad = sch->npk - fsch->npk;
	region_schema_free(fsch);
	/* predicates on tags and the time index filter rows here */
	s->row_preds = mem_calloc(s->req.npreds + 1, sizeof(*s->row_preds));
	if (!s->row_preds) {
		rc = ERR_NOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < s->req.npreds; i++)
		if (pred_is_tag_or_ts(sch, &s->req.preds[i]) &&
		    !ts_pred_implied(sch, &s->req, &s->req.preds[i]))
			s->row_preds[s->nrow_preds++] = s->req.preds[i];
	for (uint32_t c = 0; c < ncols; c++) {
		bool need = c >= sch->ncols || c == sch->ts_col || !s->req.projection ||
			    s->req.projection[c];
		for (uint32_t i = 0; i < s->nrow_preds; i++)
			need = need || s->row_preds[i].col == c;
		if (need && s->colmap[c] >= 0)
			s->want[s->colmap[c]] = true;
	}
	const char *u = parquet_reader_kv(s->reader, SST_KV_UNIQUE);
	const char *nd = parquet_reader_kv(s->reader, SST_KV_NO_DELETE);
	s->no_delete = (u && !strcmp(u, "1")) || (nd && !strcmp(nd, "1"));
	if (oo && (oo->only_source || oo->tail)) {
		/* tail mode returns the file's keys: not when they need padding */
		if (scan_req_last_per_series(sch, &s->req))
			s->tail = s->pk_pad == 0;
		else if (oo->only_source && u && !strcmp(u, "1") && !sch->opts.append_mode)
			s->lean = true;
	}
	if (s->tail) {
		if ((rc = sst_tail_load(s, key)))
			goto fail;
		if (!sst_tail_usable(s))
			s->sum = NULL;
	}
	if (oo && oo->disjoint && !s->tail && u && !strcmp(u, "1") && !sch->opts.append_mode)
		s->lean = true;
	if (s->lean)
		for (uint32_t c = sch->ncols; c < ncols; c++)
			s->want[s->colmap[c]] = false; /* internal columns: present (checked) */
	if (s->tail) {
		s->want_keys = mem_calloc(nfile ? nfile : 1, sizeof(bool));
		s->want_rest = mem_calloc(nfile ? nfile : 1, sizeof(bool));
		if (!s->want_keys || !s->want_rest) {
			rc = ERR_NOMEM;
			goto fail;
		}
		for (uint32_t c = 0; c < ncols; c++) {
			int fc = s->colmap[c];
			if (fc < 0 || !s->want[fc])
				continue;
			/* the primary key is read for the kept rows only */
			bool is_key = c == sch->ts_col || c > sch->ncols;
			for (uint32_t i = 0; i < s->nrow_preds; i++)
				is_key = is_key || s->row_preds[i].col == c;
			s->want_keys[fc] = is_key;
			s->want_rest[fc] = !is_key;
		}
	}
	if ((rc = batch_init(&s->out, ncols, s->types)))
		goto fail;
	s->view.ncols = ncols;
	s->view.cols = mem_calloc(ncols, sizeof(struct colvec));
	s->vcols = mem_calloc(ncols, sizeof(*s->vcols));
	if (!s->view.cols || !s->vcols) {
		rc = ERR_NOMEM;
		goto fail;
	}
	*out = &s->base;
	return ERR_OK;
fail:
	sst_close(&s->base);
	return rc;
}
