/*
 * sst: writing sorted runs to Parquet SSTs and reading them back as sorted
 * sources, with an in-memory LRU cache of file bytes. See sst.h.
 *
 * Column layout of an SST = the internal layout of schema.h:
 *   region columns in schema order (tags dictionary-encoded, nullable as
 *   declared; the time index REQUIRED), then __primary_key (BINARY,
 *   dictionary, REQUIRED), __sequence (UINT64, REQUIRED), __op_type (UINT8,
 *   REQUIRED). Key-value metadata: "strata.region_schema" = schema JSON.
 * Readers match columns by name while the region's schema is at version 0;
 * after a schema change (schema_alter.h) they match by column_id through
 * the file's schema metadata, so a column added after the file was
 * written reads as its DEFAULT (or NULL) and a dropped column's data is
 * ignored (even when a new column reuses its name).
 */
#include "storage/sst.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore.h"
#include "storage/parquet.h"
#include "storage/pred.h"
#include "storage/schema_alter.h"

#define SST_OUT_ROWS 4096

/* ---- cache ------------------------------------------------------------ */

struct cached_file {
	char *key;
	uint8_t *data;
	size_t len;
	int refs; /* the cache's own reference counts as one while cached */
	bool cached;
	uint64_t last_use;
	struct cached_file *next;
};

struct sst_cache {
	pthread_mutex_t mu;
	size_t capacity, used;
	uint64_t clock;
	struct cached_file *head;
};

int sst_cache_create(size_t capacity_bytes, struct sst_cache **out)
{
	struct sst_cache *c = mem_calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	pthread_mutex_init(&c->mu, NULL);
	c->capacity = capacity_bytes;
	*out = c;
	return ERR_OK;
}

static void file_release_locked(struct cached_file *f)
{
	if (--f->refs == 0) {
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
	c->used -= f->len;
	f->cached = false;
	file_release_locked(f);
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
	mem_free(c);
}

void sst_cache_drop(struct sst_cache *c, const char *key)
{
	pthread_mutex_lock(&c->mu);
	for (struct cached_file *f = c->head; f; f = f->next)
		if (!strcmp(f->key, key)) {
			unlink_locked(c, f);
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

static void cache_release(struct sst_cache *c, struct cached_file *f)
{
	pthread_mutex_lock(&c->mu);
	file_release_locked(f);
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
	struct parquet_write_options po = {.row_group_rows = row_group_rows};
	struct parquet_writer *w = NULL;
	struct buf file;
	buf_init(&file);
	char *schema_json = NULL;
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
	const struct batch *b;
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		if (b->nrows == 0)
			continue;
		if ((rc = parquet_writer_write(w, b)))
			goto out;
		const struct colvec *ts = &b->cols[s->ts_col];
		const struct colvec *seq = &b->cols[s->ncols + 1];
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
	if (rc || meta->num_rows == 0)
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
	if (cf)
		cache_release(cache, cf);
	else if (!cache)
		mem_free(bytes);
out:
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

static int sst_next(struct sorted_source *base, const struct batch **out)
{
	struct sst_source *s = (struct sst_source *)base;
	*out = NULL;
	uint32_t ncols = s->schema->ncols + SCHEMA_INTERNAL_COLS;
	while (s->rg < s->nrg) {
		uint32_t rg = s->rg++;
		if (!rg_may_match(s, rg))
			continue;
		int rc = parquet_read_row_group(s->reader, rg, s->want, &s->raw);
		if (rc)
			return rc;
		uint32_t n = s->raw.nrows;
		/* map file columns to the internal layout */
		struct colvec *cols[ncols];
		for (uint32_t c = 0; c < ncols; c++)
			cols[c] = s->colmap[c] >= 0 ? &s->raw.cols[s->colmap[c]] : NULL;
		batch_reset(&s->out);
		void *p = s->sel;
		if ((rc = mem_grow(&p, &s->sel_cap, n ? n : 1, 1)))
			return rc;
		s->sel = p;
		memset(s->sel, 1, n);
		const struct colvec *ts = cols[s->schema->ts_col];
		uint32_t kept = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (ts->i64[i] < s->req.ts_min || ts->i64[i] >= s->req.ts_max)
				s->sel[i] = 0;
		}
		if (s->nrow_preds) {
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
			for (uint32_t c = 0; c < ncols; c++)
				if (!cols[c])
					colvec_free(&empty[c]);
			if (rc)
				return rc;
		}
		for (uint32_t i = 0; i < n; i++)
			kept += s->sel[i];
		if (kept == 0)
			continue;
		/* every row kept, every column in the file and no primary key to
		 * pad (a tag added since the file was written): lend raw's vectors */
		bool lend = kept == n && s->pk_pad == 0;
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
		void *q = s->idx;
		if ((rc = mem_grow(&q, &s->idx_cap, kept, sizeof(uint32_t))))
			return rc;
		s->idx = q;
		for (uint32_t i = 0, k = 0; i < n; i++)
			if (s->sel[i])
				s->idx[k++] = i;
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
			if (cols[c]->len == 0)
				continue; /* outside the projection */
			if ((rc = gather_rows(dst, cols[c], s->idx, kept)))
				return rc;
		}
		s->out.nrows = kept;
		if (s->pk_pad && (rc = pad_primary_keys(s)))
			return rc;
		*out = &s->out;
		return ERR_OK;
	}
	return ERR_OK;
}

static void sst_close(struct sorted_source *base)
{
	struct sst_source *s = (struct sst_source *)base;
	parquet_reader_free(s->reader);
	if (s->file)
		cache_release(s->cache, s->file);
	mem_free(s->owned);
	batch_free(&s->raw);
	batch_free(&s->out);
	mem_free(s->view.cols); /* borrowed vectors: not freed here */
	mem_free(s->idx);
	mem_free(s->row_preds);
	mem_free(s->colmap);
	mem_free(s->types);
	mem_free(s->want);
	mem_free(s->sel);
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
	if ((rc = parquet_reader_open_mem(data, len, &s->reader)))
		goto fail;
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
		if (pred_is_tag_or_ts(sch, &s->req.preds[i]))
			s->row_preds[s->nrow_preds++] = s->req.preds[i];
	for (uint32_t c = 0; c < ncols; c++) {
		bool need = c >= sch->ncols || c == sch->ts_col || !s->req.projection ||
			    s->req.projection[c];
		for (uint32_t i = 0; i < s->nrow_preds; i++)
			need = need || s->row_preds[i].col == c;
		if (need && s->colmap[c] >= 0)
			s->want[s->colmap[c]] = true;
	}
	if ((rc = batch_init(&s->out, ncols, s->types)))
		goto fail;
	s->view.ncols = ncols;
	s->view.cols = mem_calloc(ncols, sizeof(struct colvec));
	if (!s->view.cols) {
		rc = ERR_NOMEM;
		goto fail;
	}
	*out = &s->base;
	return ERR_OK;
fail:
	sst_close(&s->base);
	return rc;
}
