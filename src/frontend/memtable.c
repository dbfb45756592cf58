/*
 * memtable: a table provider over one in-memory batch (information_schema
 * and pg_catalog tables, SHOW results filtered by WHERE).
 *
 * The provider owns its batch, column definitions and names; a scan hands
 * out the whole batch once (the engine applies every filter itself).
 */
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "frontend/frontend_int.h"

struct mem_table {
	struct table_provider p;
	struct table_column *cols;
	struct batch rows;
	char *name;
};

struct mem_stream {
	struct batch_stream s;
	struct mem_table *t;
	bool done;
};

static int ms_next(struct batch_stream *s, const struct batch **out)
{
	struct mem_stream *m = (struct mem_stream *)s;
	*out = NULL;
	if (!m->done && m->t->rows.nrows > 0)
		*out = &m->t->rows;
	m->done = true;
	return ERR_OK;
}

static void ms_close(struct batch_stream *s)
{
	mem_free(s);
}

static int mt_scan(struct table_provider *p, const struct scan_request *req,
                   struct batch_stream **out)
{
	(void)req;
	struct mem_stream *m = mem_calloc(1, sizeof(*m));
	if (!m)
		return ERR_NOMEM;
	m->s.next = ms_next;
	m->s.close = ms_close;
	m->t = (struct mem_table *)p;
	*out = &m->s;
	return ERR_OK;
}

static void mt_release(struct table_provider *p)
{
	struct mem_table *t = (struct mem_table *)p;
	for (uint32_t i = 0; t->cols && i < p->ncols; i++)
		mem_free((char *)t->cols[i].name);
	mem_free(t->cols);
	if (t->rows.cols)
		batch_free(&t->rows);
	mem_free(t->name);
	mem_free(t);
}

int fe_mem_table(const char *name, uint32_t ncols, const struct table_column *cols,
                 struct batch *rows, struct table_provider **out)
{
	*out = NULL;
	struct mem_table *t = mem_calloc(1, sizeof(*t));
	if (!t) {
		batch_free(rows);
		return ERR_NOMEM;
	}
	t->rows = *rows;
	memset(rows, 0, sizeof(*rows));
	t->name = mem_strdup(name);
	t->cols = mem_calloc(ncols ? ncols : 1, sizeof(*t->cols));
	t->p.ncols = ncols;
	if (!t->name || !t->cols)
		goto fail;
	for (uint32_t i = 0; i < ncols; i++) {
		t->cols[i] = cols[i];
		t->cols[i].name = mem_strdup(cols[i].name);
		if (!t->cols[i].name)
			goto fail;
	}
	t->p.name = t->name;
	t->p.cols = t->cols;
	t->p.scan = mt_scan;
	t->p.release = mt_release;
	t->p.ctx = t;
	*out = &t->p;
	return ERR_OK;
fail:
	mt_release(&t->p);
	return ERR_NOMEM;
}

int fe_mem_table_rs(const char *name, struct result_set *rs, struct table_provider **out)
{
	struct table_column *cols = mem_calloc(rs->ncols ? rs->ncols : 1, sizeof(*cols));
	if (!cols) {
		result_set_free(rs);
		return ERR_NOMEM;
	}
	for (uint32_t i = 0; i < rs->ncols; i++) {
		cols[i].name = rs->names[i];
		cols[i].type = rs->types[i];
		cols[i].nullable = true;
	}
	struct batch rows = rs->rows;
	memset(&rs->rows, 0, sizeof(rs->rows));
	int rc = fe_mem_table(name, rs->ncols, cols, &rows, out);
	mem_free(cols);
	result_set_free(rs);
	return rc;
}
