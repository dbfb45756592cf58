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
 *   "unique" tells); "strata.sst.tail" = the tail summary (below). Data
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
 * candidate rows, the other columns for the selected rows only.
 * Read path per row group: row-group statistics prune whole groups; page
 * statistics of the time index and of tag columns under EQ / IN
 * predicates narrow the group to candidate row ranges (candidate_ranges),
 * and only pages overlapping them are decompressed and decoded
 * (parquet_read_row_ranges). Row filters then apply as before
 * (select_rows; a predicate on a tag the file lacks sees its fill value).
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
 *   tail (last-row-per-series hint: tail_next) - only when no primary key
 *   needs padding (pk_pad == 0: no tag added since the file was written),
 *   because it finds series from the file's key dictionary and returns
 *   file keys; a file with pk_pad != 0 is read by the normal path (the
 *   caller's last-row pick then does the work). Fields added since the
 *   file was written are filled in tail mode as in the normal path.
 *
 * Tail summary (key-value "strata.sst.tail", written by sst_write through
 * tail_builder): standard padded base64 of one zstd frame (content size
 * in its header, at most SST_TAIL_MAX_RAW) of batch_encode (column_codec.h)
 * of the rows tail mode returns for the whole file with no selection -
 * per series, its rows from the newest (pk, ts) group whose first row
 * (newest version) is a put to the series' end, every column of the file
 * in file order, rows in file order (pk, ts, seq desc). Left out when the
 * rows lack internal columns or the summary would exceed
 * SST_TAIL_MAX_ROWS rows / SST_TAIL_MAX_RAW encoded / SST_TAIL_MAX_BYTES
 * of text. A tail-mode reader decodes it once per cached file (struct sst_tail on the cache entry;
 * checked: column count and physical types equal the file's, rows sorted
 * by (pk, ts); anything else is ERR_CORRUPT) and answers from it - through
 * colmap, fills and row filters like page rows, one batch, no data page
 * read - when the scan cannot cut a summarised tail: the time range holds
 * every summary row and no row predicate other than the hint is on the
 * time index (tag predicates keep or drop a series' tail whole). Else,
 * and for files without the entry, tail mode reads pages as above.
 *
 * Page cache (page_cache.h): row-range reads of a file held by the SST
 * cache take decompressed pages from the cache's page cache, keyed by the
 * file entry's id (cached_file.id, never reused) and the page's offset, and
 * leave the pages they decompress there. Its budget is what the file
 * bytes and decoded columns leave of the cache's capacity (files first:
 * pages never evict a file); a file's pages go when it leaves the cache
 * and again when its entry is freed (pages read meanwhile by sources that
 * still held it). sst_write prefetches a new file's pages into the free
 * part of that budget (never evicting), so that first reads of new data
 * skip zstd as well.
 *
 * Decoded column cache: a lean read of a file held by the SST cache takes
 * whole row-group columns, decoded once and kept with the file's cache
 * entry (cached_file.dec, counted in the same byte budget, freed with the
 * entry), instead of decompressing and decoding pages on every scan; page
 * pruning still picks the candidate row ranges. A group is taken whole
 * when a read's candidate rows are a quarter of it, or - for reads with
 * no row predicate - when it is decoded already or such reads' page-read
 * candidate rows add up to a quarter of it (dec_admit). The vectors are shared and
 * never written after they are installed. When the request selects rows by
 * the time range alone (no row predicate), every column is in the file,
 * none holds a null and no key needs padding, the selected rows of each
 * candidate range are runs (rows are sorted by key, then ts) and each run
 * is handed out as a view into the shared vectors (a byte column's view
 * keeps absolute offsets into the shared bytes); otherwise the selected
 * rows are copied, run by run when they form long runs.
 */
#include "storage/sst.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <zstd.h>

#include "base/buf.h"
#include "base/column_codec.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore.h"
#include "storage/page_cache.h"
#include "storage/parquet.h"
#include "storage/pred.h"
#include "storage/schema_alter.h"

#define SST_OUT_ROWS 4096
/* Rows per data page of an SST: small enough that a one-series or short
 * time-range scan decodes few rows, large enough to compress well. */
#define SST_PAGE_ROWS 1024
/* A page also ends where a new series starts once it holds this many rows
 * (series-aligned pages: a page's time range is one series' range, so a
 * short time range skips the neighbours' pages; short series still share
 * pages). */
#define SST_PAGE_BREAK_MIN_ROWS (SST_PAGE_ROWS / 4)

/* ---- cache ------------------------------------------------------------ */

/* Readers over a cached file kept for the next scan (each has its footer
 * parsed and the page index of the chunks it read: parquet_read.c; about
 * 80 bytes per indexed page, not counted in the cache's capacity). */
#define SST_IDLE_READERS 2

/* A file's decoded tail summary (SST_KV_TAIL): rows in the file's own
 * column layout, validated, with their time range. */
struct sst_tail {
	struct batch rows;
	int64_t ts_min, ts_max;
};

static void sst_tail_free(struct sst_tail *t)
{
	if (t) {
		batch_free(&t->rows);
		mem_free(t);
	}
}

struct cached_file {
	char *key;
	uint8_t *data;
	size_t len;
	uint64_t id; /* owner of the file's pages in the page cache */
	/* the decoded tail summary once a reader needed it (tail_loaded; NULL
	 * = the file has none); set once under the cache's mu */
	struct sst_tail *tail;
	bool tail_loaded;
	int refs; /* the cache's own reference counts as one while cached */
	bool cached;
	uint64_t last_use;
	struct cached_file *next;
	struct parquet_reader *idle[SST_IDLE_READERS]; /* over data; not in use */
	uint32_t nidle;
	/* decoded whole row-group columns (lean reads, decoded_rg): dec[rg *
	 * dec_ncols + col], NULL until first read; each, once set, stays
	 * until the entry is freed. Counted in the cache's `used` with the
	 * file's bytes while cached. */
	struct colvec **dec;
	uint32_t dec_nrg, dec_ncols;
	size_t dec_bytes;
	/* per row group: candidate rows that lean reads eligible for run
	 * views decoded from pages (dec_admit); below a quarter of it */
	uint32_t *dec_paged;
};

struct sst_cache {
	pthread_mutex_t mu;
	size_t capacity, used;
	uint64_t clock;
	struct cached_file *head;
	/* decompressed pages of row-range reads of cached files, budgeted
	 * with capacity - used (files and decoded columns come first) */
	struct page_cache *pages;
	uint64_t next_id;
};

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

void sst_cache_page_stats(struct sst_cache *c, struct page_cache_stats *out)
{
	page_cache_get_stats(c->pages, out);
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

static void evict_locked(struct sst_cache *c)
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
		evict_locked(c);
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

/* A file just written and cached: its pages go to the page cache now,
 * in what is free of its budget (like RocksDB's prepopulating the block
 * cache on flush), so that the first selective reads of new data skip
 * zstd too. Best effort: a failure only leaves pages out. */
static void prefetch_pages(struct sst_cache *c, struct cached_file *f)
{
	pthread_mutex_lock(&c->mu);
	bool cached = f->cached;
	pthread_mutex_unlock(&c->mu);
	struct parquet_reader *r = NULL;
	if (!cached || parquet_reader_open_mem(f->data, f->len, &r)) {
		err_clear();
		return;
	}
	parquet_reader_set_page_cache(r, c->pages, f->id);
	uint64_t n = 0;
	if (parquet_prefetch_pages(r, &n))
		err_clear();
	reader_give(c, f, r); /* the first scan reuses its parsed footer */
}

/* ---- names ------------------------------------------------------------ *//* ---- names ------------------------------------------------------------ */

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

/* ---- tail summary ---------------------------------------------------- */

/* A file's tail summary holds at most this many rows and this many
 * encoded bytes; a file with more series simply has none. */
#define SST_TAIL_MAX_ROWS 16384
#define SST_TAIL_MAX_BYTES (512u << 10)
/* ... and at most this many bytes of batch encoding (before zstd) */
#define SST_TAIL_MAX_RAW (16u << 20)

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard padded base64 of p[0, n), NUL-terminated, into out. */
static int b64_encode(const uint8_t *p, size_t n, struct buf *out)
{
	char q[4];
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64_alphabet[v >> 18 & 63];
		q[1] = b64_alphabet[v >> 12 & 63];
		q[2] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64_alphabet[v & 63] : '=';
		if (buf_append(out, q, 4))
			return ERR_NOMEM;
	}
	return buf_append(out, "", 1) ? ERR_NOMEM : ERR_OK;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode standard padded base64 text t (NUL-terminated) into out. */
static int b64_decode(const char *t, struct buf *out)
{
	size_t n = strlen(t);
	if (n % 4)
		return err_set(ERR_CORRUPT, "base64 of %zu characters", n);
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++) {
			v[k] = b64_value(t[i + k]);
			bool pad_ok = i + 4 == n && k >= 2 && t[i + k] == '=' &&
				      (k == 3 || t[i + 3] == '=');
			if (v[k] < 0 && !pad_ok)
				return err_set(ERR_CORRUPT, "bad base64 character at %zu", i + k);
		}
		uint8_t b[3] = {(uint8_t)(v[0] << 2 | v[1] >> 4),
				(uint8_t)((v[1] & 15) << 4 | (v[2] < 0 ? 0 : v[2] >> 2)),
				(uint8_t)((v[2] < 0 ? 0 : (v[2] & 3) << 6) | (v[3] < 0 ? 0 : v[3]))};
		size_t m = v[2] < 0 ? 1 : v[3] < 0 ? 2 : 3;
		if (buf_append(out, b, m))
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/*
 * Builds a file's tail summary while sst_write drains its sorted rows:
 * per series (pk run), the rows tail mode would return for the whole file
 * - from the newest (pk, ts) group whose first row (newest version) is a
 * put, to the series' end (every row when no group starts with a put).
 * `cur` holds the current series' candidate tail carried over batch
 * boundaries; `rows` the finished series. Gives up (off) when the
 * summary grows past SST_TAIL_MAX_ROWS.
 */
struct tail_builder {
	bool off;
	bool have_prev;
	int64_t prev_ts;
	struct buf prev_pk;
	struct batch cur, rows;
	uint32_t pk_col, ts_col, op_col;
};

static int tb_append(struct tail_builder *t, struct batch *dst, const struct batch *b,
		     uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		for (uint32_t c = 0; c < b->ncols; c++) {
			int rc = colvec_push_from(&dst->cols[c], &b->cols[c], i);
			if (rc)
				return rc;
		}
		dst->nrows++;
	}
	if (dst->nrows > SST_TAIL_MAX_ROWS || t->rows.nrows + t->cur.nrows > SST_TAIL_MAX_ROWS)
		t->off = true;
	return ERR_OK;
}

/* cur's rows go to rows (the series ended). */
static int tb_finish_series(struct tail_builder *t)
{
	int rc = tb_append(t, &t->rows, &t->cur, 0, t->cur.nrows);
	batch_reset(&t->cur);
	return rc;
}

static int tb_add(struct tail_builder *t, const struct batch *b)
{
	if (t->off)
		return ERR_OK;
	const struct colvec *pk = &b->cols[t->pk_col], *op = &b->cols[t->op_col];
	const int64_t *ts = b->cols[t->ts_col].i64;
	if (pk->len != b->nrows || op->len != b->nrows) {
		t->off = true; /* internal columns left out: no summary */
		return ERR_OK;
	}
	uint32_t start = 0, pn = (uint32_t)t->prev_pk.len;
	const char *pp = (const char *)t->prev_pk.data;
	int rc = ERR_OK;
	for (uint32_t i = 0; i < b->nrows && rc == ERR_OK && !t->off; i++) {
		uint32_t n;
		const char *p = colvec_bytes(pk, i, &n);
		bool same = (i > 0 || t->have_prev) && n == pn && (n == 0 || !memcmp(p, pp, n));
		if (!same) {
			if ((rc = tb_append(t, &t->cur, b, start, i)) == ERR_OK)
				rc = tb_finish_series(t);
			start = i;
		} else if (ts[i] != (i > 0 ? ts[i - 1] : t->prev_ts) && op->i64[i] == OP_PUT) {
			batch_reset(&t->cur); /* a newer put group: older rows do not matter */
			start = i;
		}
		pp = p;
		pn = n;
	}
	if (rc == ERR_OK && !t->off)
		rc = tb_append(t, &t->cur, b, start, b->nrows);
	if (rc == ERR_OK && b->nrows) {
		uint32_t n;
		const char *p = colvec_bytes(pk, b->nrows - 1, &n);
		buf_reset(&t->prev_pk);
		rc = buf_append(&t->prev_pk, p, n) ? ERR_NOMEM : ERR_OK;
		t->prev_ts = ts[b->nrows - 1];
		t->have_prev = true;
	}
	if (t->off) {
		batch_free(&t->cur);
		batch_free(&t->rows);
	}
	return rc;
}

/* The summary's key-value text (base64 of a zstd frame of batch_encode)
 * into out; out stays empty when there is none (given up, or over
 * SST_TAIL_MAX_RAW / SST_TAIL_MAX_BYTES). */
static int tb_encode(struct tail_builder *t, struct buf *out)
{
	if (t->off)
		return ERR_OK;
	int rc = tb_finish_series(t);
	if (rc || t->off)
		return rc;
	if (batch_encoded_size(&t->rows) > SST_TAIL_MAX_RAW)
		return ERR_OK;
	struct buf enc;
	buf_init(&enc);
	rc = batch_encode(&t->rows, &enc);
	size_t bound = ZSTD_compressBound(enc.len);
	uint8_t *z = rc ? NULL : mem_alloc(bound);
	if (rc == ERR_OK && !z)
		rc = ERR_NOMEM;
	if (rc == ERR_OK) {
		size_t zn = ZSTD_compress(z, bound, enc.data, enc.len, 3);
		if (ZSTD_isError(zn))
			rc = err_set(ERR_INTERNAL, "SST tail summary: zstd: %s",
				     ZSTD_getErrorName(zn));
		else if ((zn + 2) / 3 * 4 < SST_TAIL_MAX_BYTES)
			rc = b64_encode(z, zn, out);
	}
	mem_free(z);
	buf_free(&enc);
	return rc;
}

static void tb_free(struct tail_builder *t)
{
	buf_free(&t->prev_pk);
	batch_free(&t->cur);
	batch_free(&t->rows);
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
		if ((rc = parquet_writer_write(w, b)) || (rc = tb_add(&tb, b)))
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
	if ((rc = tb_encode(&tb, &tail_txt)))
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
		prefetch_pages(cache, cf);
		cache_release(cache, cf);
	} else if (!cache) {
		mem_free(bytes);
	}
out:
	tb_free(&tb);
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

struct sst_source {
	struct sorted_source base;
	struct sst_cache *cache;
	struct cached_file *file;
	uint8_t *owned; /* file bytes when not cached */
	struct parquet_reader *reader;
	const struct region_schema *schema;
	struct scan_request req;
	struct scan_pred *row_preds; /* tag / time-index predicates */
	uint32_t nrow_preds;
	int *colmap;     /* internal column -> file column, -1 = absent */
	enum dtype *types; /* internal layout types */
	bool *want;      /* per file column */
	uint32_t rg, nrg;
	struct batch raw;   /* file layout */
	struct batch out;   /* internal layout */
	struct batch view;  /* internal layout borrowing raw's vectors (cols owned, not their data) */
	struct datum *fill; /* per region column the file lacks: its DEFAULT/NULL */
	char **fill_owned;
	uint32_t pk_pad;    /* tags added since the file was written (NULL elements) */
	struct colvec pk_tmp;
	uint8_t *sel;
	size_t sel_cap;
	uint32_t *idx;      /* kept row numbers */
	size_t idx_cap;
	uint32_t *runs;     /* kept rows as runs: (first row, count) pairs */
	size_t runs_cap;
	uint32_t nruns, run_at; /* run views: runs of the current row group, next one */
	struct colvec **vcols;  /* run views: internal column -> decoded vector */
	/* row ranges of the current row group that may match (page pruning) */
	struct parquet_row_range *rr[3];
	size_t rr_cap[3];
	bool lean; /* internal columns not read (sst_open_opts) */
	/* sst_source_set_exclusive: field predicates applied here, and the
	 * columns read in two steps - want_filter (time index, predicate
	 * columns) for the candidate rows, want_late for the selected rows */
	struct scan_pred *field_preds;
	uint32_t nfield_preds;
	bool *want_filter, *want_late;
	/* sst_source_set_exclusive on a non-lean source: __sequence and
	 * __op_type are not read; every row gets seq_fill (the file's
	 * max_sequence) and OP_PUT (synth_internal) */
	bool synth;
	uint64_t seq_fill;
	struct colvec none; /* empty: a column a decoded read does not fill */
	bool tail; /* last-row-per-series tail mode (sst_open_opts) */
	bool no_delete; /* the file is known to hold no delete (sst_source_no_delete) */
	/* tail mode answered from the file's tail summary (no data page read):
	 * sum borrowed from the cache entry or owned (sum_owned) */
	const struct sst_tail *sum;
	struct sst_tail *sum_owned;
	bool sum_done;
	bool *want_keys, *want_rest; /* tail mode: read first / for the kept rows only */
	struct batch raw2;           /* tail mode: want_rest columns of the kept rows */
	uint32_t *rowno;             /* tail mode: raw row -> row group row */
	size_t rowno_cap;
	uint32_t *ident;             /* 0, 1, 2, ... */
	size_t ident_cap;
	uint32_t *runid;             /* tail mode: series run id per candidate row */
	size_t runid_cap;
	uint32_t *cand;              /* tail mode: key row -> candidate row */
	size_t cand_cap;
};

/* dst (empty, same physical kind) = src rows idx[0, k). */
static int gather_rows(struct colvec *dst, const struct colvec *src, const uint32_t *idx,
		       uint32_t k)
{
	if (colvec_reserve(dst, k))
		return ERR_NOMEM;
	enum phys_kind pk = dtype_phys(src->type);
	if (pk == PHYS_BYTES) {
		uint64_t total = 0;
		for (uint32_t i = 0; i < k; i++)
			total += src->offs[idx[i] + 1] - src->offs[idx[i]];
		size_t used = dst->offs[dst->len];
		if (used + total > UINT32_MAX)
			return err_set(ERR_LIMIT, "SST: string column over 4 GiB");
		if (used + total > dst->bytes_cap) {
			void *b = dst->bytes;
			if (mem_grow(&b, &dst->bytes_cap, used + total, 1))
				return ERR_NOMEM;
			dst->bytes = b;
		}
		uint32_t cur = (uint32_t)used;
		for (uint32_t i = 0; i < k; i++) {
			uint32_t o = src->offs[idx[i]], l = src->offs[idx[i] + 1] - o;
			if (l)
				memcpy(dst->bytes + cur, src->bytes + o, l);
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
		size_t used = dst->offs[at];
		if (used + total > UINT32_MAX)
			return err_set(ERR_LIMIT, "SST: string column over 4 GiB");
		if (used + total > dst->bytes_cap) {
			void *b = dst->bytes;
			if (mem_grow(&b, &dst->bytes_cap, used + total, 1))
				return ERR_NOMEM;
			dst->bytes = b;
		}
		uint32_t cur = (uint32_t)used, j = at;
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
		if (st && st->has_min_max &&
		    (st->max.v.i < s->req.ts_min || st->min.v.i >= s->req.ts_max))
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
	bool ts_bounded = s->req.ts_min != INT64_MIN || s->req.ts_max != INT64_MAX;
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
					  (pg[k].max.v.i >= s->req.ts_min && pg[k].min.v.i < s->req.ts_max);
			else
				keep[k] = page_may_match(p, &pg[k]);
			any_drop |= !keep[k];
		}
		if (any_drop && (rc = intersect_pages(s, pg, np, keep, n)))
			return rc;
	}
	return ERR_OK;
}

/* s->sel[0..n) = the rows of the raw batch (columns cols, internal
 * layout) inside the time range and matching the tag / time predicates;
 * *kept = their count. */
static int select_rows(struct sst_source *s, struct colvec **cols, uint32_t n, uint32_t *kept)
{
	uint32_t ncols = s->schema->ncols + SCHEMA_INTERNAL_COLS;
	void *p = s->sel;
	int rc = mem_grow(&p, &s->sel_cap, n ? n : 1, 1);
	if (rc)
		return rc;
	s->sel = p;
	const int64_t *ts = cols[s->schema->ts_col]->i64, mn = s->req.ts_min, mx = s->req.ts_max;
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

static int grow_u32(uint32_t **a, size_t *cap, size_t n)
{
	void *p = *a;
	if (mem_grow(&p, cap, n ? n : 1, sizeof(uint32_t)))
		return ERR_NOMEM;
	*a = p;
	return ERR_OK;
}

static bool same_bytes(const struct colvec *v, uint32_t i, uint32_t j)
{
	uint32_t a, b;
	const char *pa = colvec_bytes(v, i, &a), *pb = colvec_bytes(v, j, &b);
	return a == b && (a == 0 || memcmp(pa, pb, a) == 0);
}

/* Rows per series first read in tail mode: enough for the last version
 * unless deletes or many versions sit at the end of the series. */
#define TAIL_WINDOW 16

/* Walk one series' rows [lo, hi) of the key columns backwards: append to
 * idx (from *k on) the rows of its trailing (ts) groups, down to and
 * including the newest group whose first row (newest version) is a put.
 * Returns true when that group was found and starts after lo (so rows
 * before lo cannot matter). */
static bool walk_run(const uint8_t *sel, const int64_t *ts, const int64_t *op, uint32_t lo,
		     uint32_t hi, uint32_t *idx, uint32_t *k)
{
	int64_t j = (int64_t)hi - 1;
	while (j >= (int64_t)lo) {
		if (!sel[j]) {
			j--;
			continue;
		}
		int64_t t = ts[j], g_end = j;
		while (j >= (int64_t)lo && sel[j] && ts[j] == t)
			j--;
		for (int64_t x = g_end; x > j; x--)
			idx[(*k)++] = (uint32_t)x;
		if (op[j + 1] == OP_PUT)
			return j + 1 > (int64_t)lo;
	}
	return false;
}

/*
 * Tail mode (the file is the only source, last-row-per-series hint): of
 * row group rg's candidate ranges rr[0..nr), find the series runs from the
 * primary key's dictionary indexes (equal index = equal key; equal keys
 * under different indexes only split a run, which keeps more rows, never
 * fewer; without a dictionary, from the decoded keys). Read the key and
 * predicate columns of the last TAIL_WINDOW rows of every run and keep per
 * run its trailing (ts) groups down to the newest group whose newest
 * version (first row: seq desc) is a put (walk_run); when a window does
 * not settle its run, read every candidate row instead. Then read the
 * other columns for the kept rows only. A run cut by a row group boundary
 * is handled per row group: each part keeps its own tail, a superset of
 * what is needed (a group split across the boundary has all its versions
 * kept on both sides, because the earlier part ends with it). *out is
 * NULL when no row is kept.
 */
static int tail_next(struct sst_source *s, uint32_t rg, uint32_t rows, uint32_t nr,
		     const struct batch **out)
{
	const struct region_schema *sch = s->schema;
	uint32_t ncols = sch->ncols + SCHEMA_INTERNAL_COLS;
	bool full = nr == 1 && s->rr[0][0].from == 0 && s->rr[0][0].to == rows;
	uint32_t n = 0;
	for (uint32_t r = 0; r < nr; r++)
		n += s->rr[0][r].to - s->rr[0][r].from;
	int rc;
	/* candidate row -> row group row */
	if ((rc = grow_u32(&s->rowno, &s->rowno_cap, n)))
		return rc;
	for (uint32_t r = 0, j = 0; r < nr; r++)
		for (uint32_t x = s->rr[0][r].from; x < s->rr[0][r].to; x++)
			s->rowno[j++] = x;
	/* series runs */
	uint32_t pkc = (uint32_t)s->colmap[sch->ncols], nids = 0;
	if ((rc = grow_u32(&s->runid, &s->runid_cap, n)))
		return rc;
	rc = parquet_read_dict_ids(s->reader, rg, pkc, full ? NULL : s->rr[0], nr, s->runid, &nids);
	if (rc == ERR_UNSUPPORTED) {
		bool *only = s->want_rest; /* reuse: pk alone */
		bool saved[parquet_reader_num_columns(s->reader)];
		memcpy(saved, only, sizeof(saved));
		memset(only, 0, sizeof(saved));
		only[pkc] = true;
		rc = full ? parquet_read_row_group(s->reader, rg, only, &s->raw2)
			  : parquet_read_row_ranges(s->reader, rg, only, s->rr[0], nr, &s->raw2);
		memcpy(only, saved, sizeof(saved));
		if (rc)
			return rc;
		nids = s->raw2.nrows;
		for (uint32_t x = 0; x < nids; x++)
			s->runid[x] = x && same_bytes(&s->raw2.cols[pkc], x, x - 1) ? s->runid[x - 1]
										  : x;
	} else if (rc) {
		return rc;
	}
	if (nids != n)
		return err_set(ERR_CORRUPT, "SST: primary key has %u of %u rows", nids, n);
	/* windows: key-row space = the windows' candidate rows, concatenated */
	uint32_t m = 0, k = 0;
	for (uint32_t hi = n; hi > 0;) {
		uint32_t lo = hi - 1;
		while (lo > 0 && s->runid[lo - 1] == s->runid[hi - 1])
			lo--;
		m += hi - lo < TAIL_WINDOW ? hi - lo : TAIL_WINDOW;
		hi = lo;
	}
	bool windowed = m < n;
	for (int pass = windowed ? 0 : 1; pass < 2; pass++) {
		windowed = pass == 0;
		/* s->cand: key row -> candidate row; rr[2]: their row group rows */
		uint32_t nk = windowed ? m : n, nrr = 0;
		if ((rc = grow_u32(&s->cand, &s->cand_cap, nk)))
			return rc;
		if (windowed) {
			uint32_t at = m;
			for (uint32_t hi = n; hi > 0;) {
				uint32_t lo = hi - 1;
				while (lo > 0 && s->runid[lo - 1] == s->runid[hi - 1])
					lo--;
				uint32_t w = hi - lo < TAIL_WINDOW ? hi - lo : TAIL_WINDOW;
				for (uint32_t x = 0; x < w; x++)
					s->cand[at - w + x] = hi - w + x;
				at -= w;
				hi = lo;
			}
			void *q = s->rr[2];
			if (mem_grow(&q, &s->rr_cap[2], nk, sizeof(struct parquet_row_range)))
				return ERR_NOMEM;
			s->rr[2] = q;
			for (uint32_t x = 0; x < nk; x++) {
				uint32_t row = s->rowno[s->cand[x]];
				if (nrr && s->rr[2][nrr - 1].to == row)
					s->rr[2][nrr - 1].to++;
				else
					s->rr[2][nrr++] = (struct parquet_row_range){row, row + 1};
			}
			rc = parquet_read_row_ranges(s->reader, rg, s->want_keys, s->rr[2], nrr,
						     &s->raw);
		} else {
			for (uint32_t x = 0; x < nk; x++)
				s->cand[x] = x;
			rc = full ? parquet_read_row_group(s->reader, rg, s->want_keys, &s->raw)
				  : parquet_read_row_ranges(s->reader, rg, s->want_keys, s->rr[0],
							    nr, &s->raw);
		}
		if (rc)
			return rc;
		if (s->raw.nrows != nk)
			return err_set(ERR_CORRUPT, "SST: %u of %u key rows", s->raw.nrows, nk);
		struct colvec *cols[ncols];
		for (uint32_t c = 0; c < ncols; c++)
			cols[c] = s->colmap[c] >= 0 ? &s->raw.cols[s->colmap[c]] : NULL;
		uint32_t kept = 0;
		if ((rc = select_rows(s, cols, nk, &kept)))
			return rc;
		if (kept == 0 && !windowed)
			return ERR_OK;
		if ((rc = grow_u32(&s->idx, &s->idx_cap, nk)))
			return rc;
		const int64_t *ts = cols[sch->ts_col]->i64, *op = cols[sch->ncols + 2]->i64;
		bool settled = true;
		k = 0;
		/* runs (whole, or their windows) from the last one back */
		for (uint32_t hi = nk; hi > 0 && settled;) {
			uint32_t lo = hi - 1;
			while (lo > 0 && s->runid[s->cand[lo - 1]] == s->runid[s->cand[hi - 1]])
				lo--;
			/* a window settles its run unless the run starts before it */
			bool run_starts_here = s->cand[lo] == 0 ||
					       s->runid[s->cand[lo] - 1] != s->runid[s->cand[lo]];
			if (!walk_run(s->sel, ts, op, lo, hi, s->idx, &k) && windowed &&
			    !run_starts_here)
				settled = false;
			hi = lo;
		}
		if (settled)
			break;
	}
	if (k == 0)
		return ERR_OK;
	for (uint32_t a = 0, b = k - 1; a < b; a++, b--) {
		uint32_t t = s->idx[a];
		s->idx[a] = s->idx[b];
		s->idx[b] = t;
	}
	/* the other columns, for the kept rows only */
	bool rest = false;
	for (uint32_t c = 0; c < parquet_reader_num_columns(s->reader); c++)
		rest |= s->want_rest[c];
	if (rest) {
		uint32_t mr = 0;
		for (uint32_t x = 0; x < k; x++) {
			uint32_t row = s->rowno[s->cand[s->idx[x]]];
			if (mr && s->rr[1][mr - 1].to == row) {
				s->rr[1][mr - 1].to++;
				continue;
			}
			void *q = s->rr[1];
			if (mem_grow(&q, &s->rr_cap[1], (size_t)mr + 1,
				     sizeof(struct parquet_row_range)))
				return ERR_NOMEM;
			s->rr[1] = q;
			s->rr[1][mr++] = (struct parquet_row_range){row, row + 1};
		}
		if ((rc = parquet_read_row_ranges(s->reader, rg, s->want_rest, s->rr[1], mr,
						  &s->raw2)))
			return rc;
		if ((rc = grow_u32(&s->ident, &s->ident_cap, k)))
			return rc;
		for (uint32_t x = 0; x < k; x++)
			s->ident[x] = x;
	}
	batch_reset(&s->out);
	for (uint32_t c = 0; c < ncols; c++) {
		struct colvec *dst = &s->out.cols[c];
		int fc = s->colmap[c];
		if (fc < 0) {
			/* a column the file predates (a field: tail mode needs
			 * pk_pad == 0): its DEFAULT (or NULL) when projected */
			bool wanted = c < sch->ncols && (!s->req.projection || s->req.projection[c]);
			for (uint32_t x = 0; wanted && x < k; x++)
				if ((rc = colvec_push_datum(dst, &s->fill[c])))
					return rc;
			continue;
		}
		if (s->want_keys[fc])
			rc = gather_rows(dst, &s->raw.cols[fc], s->idx, k);
		else if (s->want_rest[fc])
			rc = gather_rows(dst, &s->raw2.cols[fc], s->ident, k);
		if (rc)
			return rc;
	}
	s->out.nrows = k;
	*out = &s->out;
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

/*
 * Two-step read of row group rg's candidate ranges rr[0..nr) for a source
 * with field predicates (sst_source_set_exclusive): the filter columns of
 * every candidate row, then the other columns of the selected rows only
 * (pages without one are not decompressed, byte values of the others not
 * copied). *out is NULL when no row is selected.
 */
static int late_next(struct sst_source *s, uint32_t rg, uint32_t rows, uint32_t nr,
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
	if ((rc = select_rows(s, cols, n, &kept)) || kept == 0)
		return rc;
	/* selected rows: raw row numbers (idx) and row group row ranges (rr[1]) */
	if ((rc = grow_u32(&s->idx, &s->idx_cap, kept)) ||
	    (rc = grow_u32(&s->ident, &s->ident_cap, kept)))
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
	if ((rc = parquet_read_row_ranges(s->reader, rg, s->want_late, s->rr[1], m, &s->raw2)))
		return rc;
	batch_reset(&s->out);
	for (uint32_t c = 0; c < ncols; c++) {
		struct colvec *dst = &s->out.cols[c];
		int fc = s->colmap[c];
		if (fc < 0) {
			/* a column the file predates: its DEFAULT (or NULL) when
			 * projected */
			bool wanted = c < sch->ncols && (!s->req.projection || s->req.projection[c]);
			for (uint32_t i = 0; wanted && i < kept; i++)
				if ((rc = colvec_push_datum(dst, &s->fill[c])))
					return rc;
			continue;
		}
		if (s->want_filter[fc] || (s->synth && c > sch->ncols))
			rc = gather_rows(dst, &s->raw.cols[fc], s->idx, kept);
		else if (s->want_late[fc])
			rc = gather_rows(dst, &s->raw2.cols[fc], s->ident, kept);
		if (rc)
			return rc;
	}
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
	if ((rc = select_rows(s, cols, n, &kept)))
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
			     : gather_rows(dst, cols[c], s->idx, kept);
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

/* Bytes a decoded vector holds. */
static size_t colvec_held(const struct colvec *v)
{
	size_t n = v->validity ? ((size_t)v->cap + 7) / 8 : 0;
	switch (dtype_phys(v->type)) {
	case PHYS_I64:
	case PHYS_F64:
		return n + (size_t)v->cap * 8;
	default:
		return n + ((size_t)v->cap + 1) * 4 + v->bytes_cap;
	}
}

/* decoded_rg: decode the wanted columns fcols lacks (whole row group rg)
 * and install them in the file's entry. */
static int decode_missing(struct sst_source *s, uint32_t rg, struct colvec **fcols)
{
	struct cached_file *f = s->file;
	struct sst_cache *c = s->cache;
	uint32_t nf = f->dec_ncols;
	bool *need = mem_calloc(nf ? nf : 1, sizeof(bool));
	if (!need)
		return ERR_NOMEM;
	for (uint32_t fc = 0; fc < nf; fc++)
		need[fc] = s->want[fc] && !fcols[fc];
	struct batch tmp;
	memset(&tmp, 0, sizeof(tmp));
	int rc = parquet_read_row_group(s->reader, rg, need, &tmp);
	if (rc) {
		mem_free(need);
		return rc;
	}
	pthread_mutex_lock(&c->mu);
	for (uint32_t fc = 0; fc < nf; fc++) {
		if (!need[fc])
			continue;
		struct colvec **slot = &f->dec[(size_t)rg * nf + fc];
		if (!*slot) {
			struct colvec *v = mem_alloc(sizeof(*v));
			if (!v) {
				rc = ERR_NOMEM;
				break;
			}
			*v = tmp.cols[fc];
			colvec_init(&tmp.cols[fc], v->type); /* stolen */
			*slot = v;
			size_t held = colvec_held(v);
			f->dec_bytes += held;
			if (f->cached)
				c->used += held;
		}
		fcols[fc] = *slot;
	}
	if (f->cached)
		evict_locked(c); /* f stays alive: s references it */
	pthread_mutex_unlock(&c->mu);
	batch_free(&tmp);
	mem_free(need);
	return rc;
}

/*
 * Decoded column cache (lean reads of a cached file): fcols[fc] = the
 * whole of row group rg's column fc, decoded, for every wanted column
 * (NULL for the others). The vectors are shared and read-only; they live
 * as long as the file's cache entry, which s references. Columns not
 * decoded yet are decoded here (whole row group) and kept in the entry,
 * so that later scans of the file skip decompression and decoding; a
 * concurrent scan that decoded the same column first wins (ours is
 * dropped).
 */
/* f->dec and f->dec_paged shaped for s's file (caller holds the cache's
 * mu); an error code when they cannot be. */
static int dec_shape_locked(struct sst_source *s, uint32_t nf)
{
	struct cached_file *f = s->file;
	if (!f->dec) {
		f->dec = mem_calloc((size_t)s->nrg * (nf ? nf : 1), sizeof(*f->dec));
		f->dec_paged = mem_calloc(s->nrg ? s->nrg : 1, sizeof(*f->dec_paged));
		if (!f->dec || !f->dec_paged) {
			mem_free(f->dec);
			mem_free(f->dec_paged);
			f->dec = NULL;
			f->dec_paged = NULL;
			return ERR_NOMEM;
		}
		f->dec_nrg = s->nrg;
		f->dec_ncols = nf;
	}
	if (f->dec_nrg != s->nrg || f->dec_ncols != nf)
		return err_set(ERR_INTERNAL, "SST: decoded cache shape");
	return ERR_OK;
}

/*
 * Whether a lean read of a cached file takes row group rg from the
 * decoded column cache, given its `cand` candidate rows of `rows`. A read
 * with a quarter of the rows or more always does. A selective read that
 * qualifies for run views (no row predicate, no key to pad: its cost is
 * its candidate rows, not the group's) does when every column it wants is
 * decoded already, or when the candidate rows that such reads of rg have
 * decoded from pages, this one included, reach a quarter of the rows:
 * decoding the group whole once costs about what those page reads cost
 * together, and every later such read of rg is then served from memory
 * (a repeated short-range read - a newest-buckets top-k at any end time -
 * stops decompressing pages). Otherwise the pages are read, as before,
 * and counted. False (pages) also when the counts cannot be kept.
 */
static bool dec_admit(struct sst_source *s, uint32_t rg, uint32_t rows, uint64_t cand)
{
	if (cand * 4 >= rows)
		return true;
	if (s->nrow_preds || s->pk_pad)
		return false;
	struct cached_file *f = s->file;
	uint32_t nf = parquet_reader_num_columns(s->reader);
	bool admit = false;
	pthread_mutex_lock(&s->cache->mu);
	if (dec_shape_locked(s, nf) == ERR_OK) {
		bool warm = true;
		for (uint32_t fc = 0; fc < nf && warm; fc++)
			warm = !s->want[fc] || f->dec[(size_t)rg * nf + fc];
		uint64_t seen = f->dec_paged[rg] + cand;
		admit = warm || seen * 4 >= rows;
		if (!admit)
			f->dec_paged[rg] = (uint32_t)seen; /* < rows / 4 */
	}
	pthread_mutex_unlock(&s->cache->mu);
	err_clear();
	return admit;
}

static int decoded_rg(struct sst_source *s, uint32_t rg, uint32_t rows, struct colvec **fcols)
{
	struct cached_file *f = s->file;
	struct sst_cache *c = s->cache;
	uint32_t nf = parquet_reader_num_columns(s->reader);
	bool missing = false;
	pthread_mutex_lock(&c->mu);
	int rc = dec_shape_locked(s, nf);
	for (uint32_t fc = 0; rc == ERR_OK && fc < nf; fc++) {
		fcols[fc] = s->want[fc] ? f->dec[(size_t)rg * nf + fc] : NULL;
		missing |= s->want[fc] && !fcols[fc];
	}
	pthread_mutex_unlock(&c->mu);
	if (rc == ERR_OK && missing)
		rc = decode_missing(s, rg, fcols);
	for (uint32_t fc = 0; rc == ERR_OK && fc < nf; fc++)
		if (fcols[fc] && fcols[fc]->len != rows)
			rc = err_set(ERR_CORRUPT, "SST: column %u has %u of %u rows", fc,
				     fcols[fc]->len, rows);
	return rc;
}

/* The next pending run of a decoded row group (run_views) as a view of
 * the cached vectors: no copy. */
static void next_run_view(struct sst_source *s, const struct batch **out)
{
	uint32_t ncols = s->schema->ncols + SCHEMA_INTERNAL_COLS;
	uint32_t from = s->runs[2 * s->run_at], cnt = s->runs[2 * s->run_at + 1];
	s->run_at++;
	for (uint32_t c = 0; c < ncols; c++) {
		const struct colvec *v = s->vcols[c];
		struct colvec *d = &s->view.cols[c];
		memset(d, 0, sizeof(*d));
		d->type = s->types[c];
		if (v->len == 0)
			continue;
		switch (dtype_phys(v->type)) {
		case PHYS_I64: d->i64 = v->i64 + from; break;
		case PHYS_F64: d->f64 = v->f64 + from; break;
		default:
			d->offs = v->offs + from; /* absolute offsets into v's bytes */
			d->bytes = v->bytes;
			d->bytes_cap = v->bytes_cap;
			break;
		}
		d->len = d->cap = cnt;
	}
	s->view.nrows = cnt;
	*out = &s->view;
}

/*
 * Run views: a decoded row group (shared, read-only vectors) whose rows
 * the request selects by the time range alone (no row predicate), with
 * every column in the file, none holding nulls, and no key to pad: the
 * selected rows are runs (per series, rows are sorted by ts) found in the
 * candidate ranges; each run is handed out as a view into the vectors.
 * False when the row group does not qualify (the copying path runs).
 */
static int run_views(struct sst_source *s, struct colvec **cols, uint32_t nr, bool *ok)
{
	uint32_t ncols = s->schema->ncols + SCHEMA_INTERNAL_COLS;
	*ok = false;
	if (s->nrow_preds || s->pk_pad)
		return ERR_OK;
	for (uint32_t c = 0; c < ncols; c++)
		if (!cols[c] || (cols[c]->len && cols[c]->validity))
			return ERR_OK;
	const int64_t *ts = cols[s->schema->ts_col]->i64, mn = s->req.ts_min, mx = s->req.ts_max;
	uint32_t m = 0;
	for (uint32_t r = 0; r < nr; r++) {
		uint32_t i = s->rr[0][r].from, to = s->rr[0][r].to;
		while (i < to) {
			while (i < to && !(ts[i] >= mn && ts[i] < mx))
				i++;
			if (i == to)
				break;
			uint32_t j = i + 1;
			while (j < to && ts[j] >= mn && ts[j] < mx)
				j++;
			/* a run cut by a range boundary continues in the next
			 * range when they touch */
			if (m && s->runs[2 * (m - 1)] + s->runs[2 * (m - 1) + 1] == i) {
				s->runs[2 * (m - 1) + 1] += j - i;
			} else {
				void *q = s->runs;
				if (mem_grow(&q, &s->runs_cap, (size_t)(m + 1) * 2, sizeof(uint32_t)))
					return ERR_NOMEM;
				s->runs = q;
				s->runs[2 * m] = i;
				s->runs[2 * m + 1] = j - i;
				m++;
			}
			i = j;
		}
	}
	for (uint32_t c = 0; c < ncols; c++)
		s->vcols[c] = cols[c];
	s->nruns = m;
	s->run_at = 0;
	*ok = true;
	return ERR_OK;
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
		next_run_view(s, out);
		return ERR_OK;
	}
	while (s->rg < s->nrg) {
		uint32_t rg = s->rg++;
		if (!rg_may_match(s, rg))
			continue;
		uint32_t rows = (uint32_t)parquet_reader_row_group_rows(s->reader, rg), nr = 0;
		int rc = candidate_ranges(s, rg, rows, &nr);
		if (rc)
			return rc;
		if (nr == 0)
			continue;
		if (s->tail) {
			if ((rc = tail_next(s, rg, rows, nr, out)) || *out)
				return rc;
			continue;
		}
		if (s->nfield_preds) {
			if ((rc = late_next(s, rg, rows, nr, out)) || *out)
				return rc;
			continue;
		}
		/* a lean read of a cached file: the whole row group from the
		 * decoded column cache (select_rows then applies the range),
		 * when the candidate rows are a good part of the row group or
		 * the read is served by run views and the group is (or by now
		 * should be) decoded (dec_admit): otherwise a selective read
		 * decodes (and filters) the few pages it needs faster than it
		 * filters a whole group */
		uint32_t nfile = parquet_reader_num_columns(s->reader);
		struct colvec *fcols[nfile ? nfile : 1];
		bool dec = false;
		if (s->lean && s->file) {
			uint64_t cand = 0;
			for (uint32_t k = 0; k < nr; k++)
				cand += s->rr[0][k].to - s->rr[0][k].from;
			dec = dec_admit(s, rg, rows, cand);
			if (dec && (rc = decoded_rg(s, rg, rows, fcols)))
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
		if ((rc = run_views(s, cols, nr, &views)))
			return rc;
		if (views) {
			if (s->run_at < s->nruns) {
				next_run_view(s, out);
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

/* Decode and check the tail summary text of file `key` (columns: the
 * reader's; pk_fc / ts_fc: the file's key and time index columns). */
static int tail_decode(struct parquet_reader *rd, const char *key, const char *txt, int pk_fc,
		       int ts_fc, struct sst_tail **out)
{
	*out = NULL;
	struct buf raw;
	buf_init(&raw);
	struct sst_tail *t = mem_calloc(1, sizeof(*t));
	int rc = t ? b64_decode(txt, &raw) : ERR_NOMEM;
	uint8_t *plain = NULL;
	size_t pn = 0;
	if (rc == ERR_OK) {
		/* one zstd frame that states its (bounded) size */
		unsigned long long want = ZSTD_getFrameContentSize(raw.data, raw.len);
		if (want == ZSTD_CONTENTSIZE_UNKNOWN || want == ZSTD_CONTENTSIZE_ERROR ||
		    want > SST_TAIL_MAX_RAW)
			rc = err_set(ERR_CORRUPT, "not a zstd frame of at most %u bytes",
				     SST_TAIL_MAX_RAW);
		else if (!(plain = mem_alloc(want ? (size_t)want : 1)))
			rc = ERR_NOMEM;
		else if (ZSTD_isError(pn = ZSTD_decompress(plain, (size_t)want, raw.data, raw.len)) ||
			 pn != want)
			rc = err_set(ERR_CORRUPT, "zstd frame does not decompress");
	}
	if (rc == ERR_OK)
		rc = batch_decode(plain, pn, &t->rows);
	mem_free(plain);
	buf_free(&raw);
	uint32_t nfile = parquet_reader_num_columns(rd);
	if (rc == ERR_OK && t->rows.ncols != nfile)
		rc = err_set(ERR_CORRUPT, "%u columns, the file has %u", t->rows.ncols, nfile);
	for (uint32_t c = 0; rc == ERR_OK && c < nfile; c++) {
		const struct parquet_column_def *d = parquet_reader_column(rd, c);
		if (dtype_phys(d->type) != dtype_phys(t->rows.cols[c].type))
			rc = err_set(ERR_CORRUPT, "column %s has type %s, the file %s", d->name,
				     dtype_name(t->rows.cols[c].type), dtype_name(d->type));
	}
	if (rc == ERR_OK && (pk_fc < 0 || ts_fc < 0 ||
			     dtype_phys(t->rows.cols[pk_fc].type) != PHYS_BYTES ||
			     dtype_phys(t->rows.cols[ts_fc].type) != PHYS_I64))
		rc = err_set(ERR_CORRUPT, "no key or time index column");
	if (rc == ERR_OK) {
		/* rows sorted by (pk, ts), as the merge needs */
		const struct colvec *pk = &t->rows.cols[pk_fc];
		const int64_t *ts = t->rows.cols[ts_fc].i64;
		t->ts_min = INT64_MAX;
		t->ts_max = INT64_MIN;
		for (uint32_t i = 0; i < t->rows.nrows && rc == ERR_OK; i++) {
			t->ts_min = ts[i] < t->ts_min ? ts[i] : t->ts_min;
			t->ts_max = ts[i] > t->ts_max ? ts[i] : t->ts_max;
			if (i == 0)
				continue;
			uint32_t a, b;
			const char *pa = colvec_bytes(pk, i - 1, &a), *pb = colvec_bytes(pk, i, &b);
			uint32_t m = a < b ? a : b;
			int d = m ? memcmp(pa, pb, m) : 0;
			if (d == 0)
				d = a < b ? -1 : a > b ? 1 : 0;
			if (d > 0 || (d == 0 && ts[i - 1] > ts[i]))
				rc = err_set(ERR_CORRUPT, "rows out of order at %u", i);
		}
	}
	if (rc == ERR_NOMEM) {
		sst_tail_free(t);
		return rc;
	}
	if (rc) {
		sst_tail_free(t);
		return err_wrap("SST %s: tail summary", key);
	}
	*out = t;
	return ERR_OK;
}

/* s->sum = the file's tail summary, when it has one (decoded once per
 * cached file). */
static int tail_load(struct sst_source *s, const char *key)
{
	struct cached_file *f = s->file;
	if (f) {
		pthread_mutex_lock(&s->cache->mu);
		bool loaded = f->tail_loaded;
		s->sum = f->tail;
		pthread_mutex_unlock(&s->cache->mu);
		if (loaded)
			return ERR_OK;
	}
	const char *txt = parquet_reader_kv(s->reader, SST_KV_TAIL);
	struct sst_tail *t = NULL;
	if (txt) {
		int rc = tail_decode(s->reader, key, txt, s->colmap[s->schema->ncols],
				     s->colmap[s->schema->ts_col], &t);
		if (rc)
			return rc;
	}
	if (!f) {
		s->sum = s->sum_owned = t;
		return ERR_OK;
	}
	pthread_mutex_lock(&s->cache->mu);
	if (!f->tail_loaded) {
		f->tail = t;
		f->tail_loaded = true;
		t = NULL;
	}
	s->sum = f->tail;
	pthread_mutex_unlock(&s->cache->mu);
	sst_tail_free(t); /* another reader installed it first */
	return ERR_OK;
}

/* The summary answers this scan exactly: the request's time range holds
 * every summary row (so no series' tail is cut) and every other row
 * predicate is on a tag (constant within a series: it keeps or drops a
 * series' tail whole). */
static bool tail_usable(const struct sst_source *s)
{
	const struct sst_tail *t = s->sum;
	if (!t || (t->rows.nrows && (s->req.ts_min > t->ts_min || s->req.ts_max <= t->ts_max)))
		return false;
	for (uint32_t i = 0; i < s->nrow_preds; i++)
		if (s->row_preds[i].col == s->schema->ts_col && !scan_pred_is_hint(&s->row_preds[i]))
			return false;
	return true;
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
 * range [ts_min, ts_max), which select_rows applies to every row anyway
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
		if ((rc = tail_load(s, key)))
			goto fail;
		if (!tail_usable(s))
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
