/*
 * sst_tail: an SST's tail summary - built while sst_write drains its rows,
 * encoded into the file's key-value metadata, decoded and checked once per
 * cached file for tail-mode readers - and tail mode's reads of data pages
 * when the summary cannot answer (sst_tail_next). sst.c describes the read
 * modes; sst_int.h holds what the files share.
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
 * and for files without the entry, tail mode reads pages as sst.c describes (sst_tail_next).
 */
#include "storage/sst_int.h"

#include <pthread.h>
#include <string.h>

#include <zstd.h>

#include "base/buf.h"
#include "base/column_codec.h"
#include "base/err.h"
#include "base/mem.h"
#include "storage/parquet.h"
#include "storage/pred.h"

void sst_tail_free(struct sst_tail *t)
{
	if (t) {
		batch_free(&t->rows);
		mem_free(t);
	}
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

int sst_tb_add(struct tail_builder *t, const struct batch *b)
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
int sst_tb_encode(struct tail_builder *t, struct buf *out)
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

void sst_tb_free(struct tail_builder *t)
{
	buf_free(&t->prev_pk);
	batch_free(&t->cur);
	batch_free(&t->rows);
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
int sst_tail_load(struct sst_source *s, const char *key)
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
bool sst_tail_usable(const struct sst_source *s)
{
	const struct sst_tail *t = s->sum;
	if (!t || (t->rows.nrows && (s->req.ts_min > t->ts_min || s->req.ts_max <= t->ts_max)))
		return false;
	for (uint32_t i = 0; i < s->nrow_preds; i++)
		if (s->row_preds[i].col == s->schema->ts_col && !scan_pred_is_hint(&s->row_preds[i]))
			return false;
	return true;
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
int sst_tail_next(struct sst_source *s, uint32_t rg, uint32_t rows, uint32_t nr,
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
	if ((rc = sst_grow_u32(&s->rowno, &s->rowno_cap, n)))
		return rc;
	for (uint32_t r = 0, j = 0; r < nr; r++)
		for (uint32_t x = s->rr[0][r].from; x < s->rr[0][r].to; x++)
			s->rowno[j++] = x;
	/* series runs */
	uint32_t pkc = (uint32_t)s->colmap[sch->ncols], nids = 0;
	if ((rc = sst_grow_u32(&s->runid, &s->runid_cap, n)))
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
		if ((rc = sst_grow_u32(&s->cand, &s->cand_cap, nk)))
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
		if ((rc = sst_select_rows(s, cols, nk, &kept)))
			return rc;
		if (kept == 0 && !windowed)
			return ERR_OK;
		if ((rc = sst_grow_u32(&s->idx, &s->idx_cap, nk)))
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
		if ((rc = sst_grow_u32(&s->ident, &s->ident_cap, k)))
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
			rc = sst_gather_rows(dst, &s->raw.cols[fc], s->idx, k);
		else if (s->want_rest[fc])
			rc = sst_gather_rows(dst, &s->raw2.cols[fc], s->ident, k);
		if (rc)
			return rc;
	}
	s->out.nrows = k;
	*out = &s->out;
	return ERR_OK;
}
