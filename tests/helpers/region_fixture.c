/* region_fixture: shared helpers for storage tests. See region_fixture.h. */
#include "helpers/region_fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/mem.h"

struct region_schema *fx_schema(bool append_mode, enum merge_mode mode)
{
	struct region_schema s;
	memset(&s, 0, sizeof(s));
	struct column_schema cols[4] = {
		{.name = "host", .type = DT_STRING, .sem = SEM_TAG, .nullable = true, .column_id = 0},
		{.name = "ts", .type = DT_TS_MS, .sem = SEM_TIMESTAMP, .column_id = 1},
		{.name = "v", .type = DT_FLOAT64, .sem = SEM_FIELD, .nullable = true, .column_id = 2},
		{.name = "n", .type = DT_INT64, .sem = SEM_FIELD, .nullable = true, .column_id = 3},
	};
	uint32_t pk[1] = {0};
	s.ncols = 4;
	s.cols = cols;
	s.ts_col = 1;
	s.npk = 1;
	s.pk_cols = pk;
	s.opts.append_mode = append_mode;
	s.opts.merge_mode = mode;
	return region_schema_clone(&s);
}

void fx_batch(const struct fx_row *rows, size_t n, struct batch *out)
{
	enum dtype types[4] = {DT_STRING, DT_TS_MS, DT_FLOAT64, DT_INT64};
	batch_init(out, 4, types);
	for (size_t i = 0; i < n; i++) {
		colvec_push_bytes(&out->cols[0], rows[i].host, strlen(rows[i].host));
		colvec_push_i64(&out->cols[1], rows[i].ts);
		if (rows[i].v_null)
			colvec_push_null(&out->cols[2]);
		else
			colvec_push_f64(&out->cols[2], rows[i].v);
		if (rows[i].n_null)
			colvec_push_null(&out->cols[3]);
		else
			colvec_push_i64(&out->cols[3], rows[i].n);
		out->nrows++;
	}
}

static void push(struct fx_rows *r, const struct fx_row *row)
{
	void *p = r->rows;
	mem_grow(&p, &r->cap, r->n + 1, sizeof(*r->rows));
	r->rows = p;
	r->rows[r->n++] = *row;
}

int fx_collect(struct sorted_source *src, struct fx_rows *out)
{
	memset(out, 0, sizeof(*out));
	const struct batch *b;
	int rc;
	while ((rc = sorted_source_next(src, &b)) == ERR_OK && b) {
		for (uint32_t i = 0; i < b->nrows; i++) {
			struct fx_row row;
			memset(&row, 0, sizeof(row));
			uint32_t len;
			const char *h = colvec_bytes(&b->cols[0], i, &len);
			if (len >= sizeof(row.host))
				len = sizeof(row.host) - 1;
			memcpy(row.host, h, len);
			row.ts = b->cols[1].i64[i];
			row.v_null = b->cols[2].len == 0 || colvec_is_null(&b->cols[2], i);
			row.v = row.v_null ? 0 : b->cols[2].f64[i];
			row.n_null = b->cols[3].len == 0 || colvec_is_null(&b->cols[3], i);
			row.n = row.n_null ? 0 : b->cols[3].i64[i];
			push(out, &row);
		}
	}
	sorted_source_close(src);
	return rc;
}

void fx_rows_free(struct fx_rows *r)
{
	mem_free(r->rows);
	memset(r, 0, sizeof(*r));
}

int fx_scan_all(struct region *r, struct fx_rows *out)
{
	struct sorted_source *src;
	memset(out, 0, sizeof(*out));
	int rc = region_scan(r, NULL, &src);
	if (rc)
		return rc;
	return fx_collect(src, out);
}

bool fx_rows_equal(const struct fx_rows *a, const struct fx_rows *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct fx_row *x = &a->rows[i], *y = &b->rows[i];
		if (strcmp(x->host, y->host) || x->ts != y->ts || x->v_null != y->v_null ||
		    x->n_null != y->n_null || (!x->v_null && x->v != y->v) ||
		    (!x->n_null && x->n != y->n))
			return false;
	}
	return true;
}

void fx_rows_print(const char *label, const struct fx_rows *r)
{
	fprintf(stderr, "%s (%zu rows)\n", label, r->n);
	for (size_t i = 0; i < r->n && i < 50; i++) {
		const struct fx_row *x = &r->rows[i];
		fprintf(stderr, "  %s %lld v=%s%g n=%s%lld\n", x->host, (long long)x->ts,
			x->v_null ? "NULL" : "", x->v_null ? 0.0 : x->v, x->n_null ? "NULL" : "",
			x->n_null ? 0LL : (long long)x->n);
	}
}

static uint64_t fx_rng_state = 0x2545f4914f6cdd1dull;

void fx_seed(uint64_t seed)
{
	fx_rng_state = seed ? seed : 0x2545f4914f6cdd1dull;
}

uint64_t fx_rnd(void)
{
	fx_rng_state ^= fx_rng_state << 13;
	fx_rng_state ^= fx_rng_state >> 7;
	fx_rng_state ^= fx_rng_state << 17;
	return fx_rng_state;
}

uint32_t fx_rndn(uint32_t n)
{
	return n ? (uint32_t)(fx_rnd() % n) : 0;
}

void fx_host_name(char *out, uint32_t h)
{
	snprintf(out, sizeof(((struct fx_row *)0)->host), "h%02u", h);
}

int fx_engine_open(const char *tag, struct region_engine_options o, struct fx_engine *out)
{
	memset(out, 0, sizeof(*out));
	out->dir = fx_tempdir(tag);
	if (!out->dir)
		return err_set(ERR_IO, "cannot create a temp directory");
	snprintf(out->path, sizeof(out->path), "%s/objects", out->dir);
	int rc = objstore_open_fs(out->path, &out->store);
	if (rc)
		goto fail;
	char wal[600];
	snprintf(wal, sizeof(wal), "%s/wal", out->dir);
	o.store = out->store;
	o.wal_dir = wal;
	rc = region_engine_open(&o, &out->eng);
	if (rc) {
		objstore_close(out->store);
		goto fail;
	}
	return ERR_OK;
fail:
	fx_rmrf(out->dir);
	mem_free(out->dir);
	memset(out, 0, sizeof(*out));
	return rc;
}

void fx_engine_close(struct fx_engine *e)
{
	region_engine_close(e->eng);
	objstore_close(e->store);
	fx_rmrf(e->dir);
	mem_free(e->dir);
	memset(e, 0, sizeof(*e));
}

int fx_mem_read(void *ctx, uint64_t off, uint64_t len, uint8_t **data, size_t *outlen)
{
	const struct fx_memfile *m = ctx;
	if (off > m->n || len > m->n - off)
		return err_set(ERR_CORRUPT, "read past the end");
	*data = mem_alloc(len ? len : 1);
	if (!*data)
		return ERR_NOMEM;
	memcpy(*data, m->p + off, len);
	*outlen = len;
	return ERR_OK;
}

char *fx_tempdir(const char *tag)
{
	char tmpl[256];
	const char *base = getenv("TMPDIR");
	snprintf(tmpl, sizeof(tmpl), "%s/strata-%s-XXXXXX", base ? base : "/tmp", tag);
	char *d = mkdtemp(tmpl);
	return d ? mem_strdup(d) : NULL;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fx_rmrf(const char *path)
{
	if (path)
		nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}
