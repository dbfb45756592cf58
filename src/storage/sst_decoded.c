/*
 * sst_decoded: the SST cache's decoded column cache, serving lean reads of
 * cached files (sst.c's read path; sst_int.h holds what the files share).
 *
 * Decoded column cache: a lean read of a file held by the SST cache takes
 * whole row-group columns, decoded once and kept with the file's cache
 * entry (cached_file.dec, counted in the same byte budget, freed with the
 * entry), instead of decompressing and decoding pages on every scan; page
 * pruning still picks the candidate row ranges. A group is taken whole
 * when a read's candidate rows are a quarter of it, or - for reads with
 * no row predicate - when it is decoded already or such reads' page-read
 * candidate rows add up to a quarter of it (sst_dec_admit). The vectors are shared and
 * never written after they are installed. When the request selects rows by
 * the time range alone (no row predicate), every column is in the file,
 * none holds a null and no key needs padding, the selected rows of each
 * candidate range are runs (rows are sorted by key, then ts) and each run
 * is handed out as a view into the shared vectors (a byte column's view
 * keeps absolute offsets into the shared bytes); otherwise the selected
 * rows are copied, run by run when they form long runs.
 */
#include "storage/sst_int.h"

#include <pthread.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "storage/parquet.h"

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

/* sst_decoded_rg: decode the wanted columns fcols lacks (whole row group rg)
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
		sst_evict_locked(c); /* f stays alive: s references it */
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
bool sst_dec_admit(struct sst_source *s, uint32_t rg, uint32_t rows, uint64_t cand)
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

int sst_decoded_rg(struct sst_source *s, uint32_t rg, uint32_t rows, struct colvec **fcols)
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

/* The next pending run of a decoded row group (sst_run_views) as a view of
 * the cached vectors: no copy. */
void sst_next_run_view(struct sst_source *s, const struct batch **out)
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
int sst_run_views(struct sst_source *s, struct colvec **cols, uint32_t nr, bool *ok)
{
	uint32_t ncols = s->schema->ncols + SCHEMA_INTERNAL_COLS;
	*ok = false;
	if (s->nrow_preds || s->pk_pad)
		return ERR_OK;
	for (uint32_t c = 0; c < ncols; c++)
		if (!cols[c] || (cols[c]->len && cols[c]->validity))
			return ERR_OK;
	const int64_t *ts = cols[s->schema->ts_col]->i64;
	int64_t mn, mx;
	scan_request_ts_window(&s->req, &mn, &mx);
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
