/*
 * Unit tests for the SQL query engine (src/sql/exec.h): SQL text goes
 * through sql_parse and sql_exec_query over in-memory table providers, and
 * the result is rendered as the sqlness .result files show it (Arrow's
 * pretty printer), so expectations are copied from GreptimeDB's peer cases
 * where they exist.
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
#include "server/handler.h"
#include "sql/exec.h"
#include "sql/expr.h"
#include "sql/parser.h"

/* ---- in-memory tables ------------------------------------------------------ */

#define MT_MAX_COLS 16

struct mem_table {
	struct table_provider tp;
	char name[64];
	struct table_column cols[MT_MAX_COLS];
	char colnames[MT_MAX_COLS][32];
	struct batch data;
	uint32_t batch_rows;
	/* what the last scan asked for */
	struct scan_request last_req;
	bool last_proj[MT_MAX_COLS];
	bool last_proj_all;
	struct scan_pred last_preds[32];
	struct datum last_lists[32][4]; /* copies: the request dies with the statement */
	char last_bytes[32][16];
	uint32_t last_npreds;
	int scans, releases;
	const char *describe;
	/* rows sorted by the time index: a scan starts at the first row at or
	 * after the requested ts_min (and still returns rows past ts_max) */
	bool skip_below_min;
};

struct mem_stream {
	struct batch_stream bs;
	struct mem_table *t;
	uint32_t pos;
	bool proj[MT_MAX_COLS];
	struct batch out;
	bool out_init;
};

static int ms_next(struct batch_stream *s, const struct batch **out)
{
	struct mem_stream *m = (struct mem_stream *)s;
	struct mem_table *t = m->t;
	*out = NULL;
	if (m->pos >= t->data.nrows)
		return 0;
	uint32_t n = t->data.nrows - m->pos;
	if (t->batch_rows && n > t->batch_rows)
		n = t->batch_rows;
	/* allocation failures (mem_fail_after) are errors, as in a real scan */
	if (!m->out_init) {
		enum dtype tt[MT_MAX_COLS];
		for (uint32_t c = 0; c < t->tp.ncols; c++)
			tt[c] = t->cols[c].type;
		if (batch_init(&m->out, t->tp.ncols, tt))
			return ERR_NOMEM;
		m->out_init = true;
	}
	batch_reset(&m->out);
	for (uint32_t c = 0; c < t->tp.ncols; c++)
		if (m->proj[c] && colvec_append_range(&m->out.cols[c], &t->data.cols[c], m->pos, n))
			return ERR_NOMEM;
	m->out.nrows = n;
	m->pos += n;
	*out = &m->out;
	return 0;
}

static void ms_close(struct batch_stream *s)
{
	struct mem_stream *m = (struct mem_stream *)s;
	if (m->out_init)
		batch_free(&m->out);
	free(m);
}

static int mt_scan(struct table_provider *tp, const struct scan_request *req, struct batch_stream **out)
{
	struct mem_table *t = tp->ctx;
	struct mem_stream *m = calloc(1, sizeof(*m));
	m->bs.next = ms_next;
	m->bs.close = ms_close;
	m->t = t;
	t->scans++;
	t->last_req = *req;
	t->last_proj_all = req->projection == NULL;
	for (uint32_t c = 0; c < tp->ncols; c++) {
		m->proj[c] = !req->projection || req->projection[c];
		t->last_proj[c] = m->proj[c];
	}
	for (uint32_t c = 0; c < tp->ncols && t->skip_below_min; c++)
		if (t->cols[c].is_time_index)
			while (m->pos < t->data.nrows && t->data.cols[c].i64[m->pos] < req->ts_min)
				m->pos++;
	t->last_npreds = req->npreds < 32 ? req->npreds : 32;
	for (uint32_t i = 0; i < t->last_npreds; i++) {
		struct scan_pred *p = &t->last_preds[i];
		*p = req->preds[i];
		for (uint32_t k = 0; k < p->nlist && k < 4; k++)
			t->last_lists[i][k] = p->list[k];
		p->list = t->last_lists[i];
		if (!p->lit.is_null && dtype_phys(p->lit.type) == PHYS_BYTES) {
			uint32_t n = p->lit.v.s.n < 16 ? p->lit.v.s.n : 16;
			if (n)
				memcpy(t->last_bytes[i], p->lit.v.s.p, n);
			p->lit.v.s.p = t->last_bytes[i];
		}
	}
	*out = &m->bs;
	return 0;
}

static void mt_release(struct table_provider *tp)
{
	struct mem_table *t = tp->ctx;
	t->releases++;
}

static const char *mt_describe(struct table_provider *tp)
{
	struct mem_table *t = tp->ctx;
	return t->describe;
}

static struct mem_table *tables[16];
static int ntables;

/* spec: "a:Int32,b:String,ts:TimestampMillisecond:ti,host:String:tag" */
static struct mem_table *mt_create(const char *name, const char *spec)
{
	struct mem_table *t = calloc(1, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s", spec);
	enum dtype types[MT_MAX_COLS];
	uint32_t n = 0;
	for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *c1 = strchr(tok, ':');
		*c1++ = 0;
		char *c2 = strchr(c1, ':');
		if (c2)
			*c2++ = 0;
		snprintf(t->colnames[n], sizeof(t->colnames[n]), "%s", tok);
		int ty = dtype_from_name(c1);
		assert_true(ty >= 0);
		t->cols[n].name = t->colnames[n];
		t->cols[n].type = (enum dtype)ty;
		t->cols[n].nullable = true;
		t->cols[n].is_time_index = c2 && strcmp(c2, "ti") == 0;
		t->cols[n].is_tag = c2 && strcmp(c2, "tag") == 0;
		types[n] = (enum dtype)ty;
		n++;
	}
	t->tp.name = t->name;
	t->tp.ncols = n;
	t->tp.cols = t->cols;
	t->tp.scan = mt_scan;
	t->tp.release = mt_release;
	t->tp.describe_scan = mt_describe;
	t->tp.ctx = t;
	assert_int_equal(batch_init(&t->data, n, types), 0);
	tables[ntables++] = t;
	return t;
}

/* "1|hello|NULL|1000": ints/timestamps as numbers, floats, strings raw */
static void mt_row(struct mem_table *t, const char *row)
{
	char tmp[1024];
	snprintf(tmp, sizeof(tmp), "%s", row);
	char *p = tmp;
	for (uint32_t c = 0; c < t->tp.ncols; c++) {
		char *bar = strchr(p, '|');
		if (bar)
			*bar = 0;
		struct colvec *v = &t->data.cols[c];
		if (strcmp(p, "NULL") == 0)
			assert_int_equal(colvec_push_null(v), 0);
		else if (dtype_phys(v->type) == PHYS_I64)
			assert_int_equal(colvec_push_i64(v, strcmp(p, "true") == 0 ? 1 : strcmp(p, "false") == 0 ? 0 : strtoll(p, NULL, 10)), 0);
		else if (dtype_phys(v->type) == PHYS_F64)
			assert_int_equal(colvec_push_f64(v, strtod(p, NULL)), 0);
		else
			assert_int_equal(colvec_push_bytes(v, p, strlen(p)), 0);
		p = bar ? bar + 1 : p + strlen(p);
	}
	t->data.nrows++;
}

static void mt_free_all(void)
{
	for (int i = 0; i < ntables; i++) {
		batch_free(&tables[i]->data);
		free(tables[i]);
	}
	ntables = 0;
}

static int resolve(void *ctx, struct session *s, const struct sql_name *name,
		   struct table_provider **out)
{
	(void)ctx, (void)s;
	const char *n = name->part[name->n - 1].name;
	for (int i = 0; i < ntables; i++)
		if (strcmp(tables[i]->name, n) == 0) {
			*out = &tables[i]->tp;
			return 0;
		}
	return err_set(ERR_NOT_FOUND, "Table not found: greptime.public.%s", n);
}

static int env_calls;

static int call_fn(void *ctx, struct session *s, const char *name, const struct datum *args,
		   uint32_t nargs, struct arena *a, struct datum *out)
{
	(void)ctx, (void)s, (void)a;
	env_calls++;
	if (strcmp(name, "read_preference") == 0) {
		out->type = DT_STRING;
		out->v.s.p = "LEADER";
		out->v.s.n = 6;
		return 0;
	}
	if (strcmp(name, "flush_table") == 0 && nargs == 1 && args[0].type == DT_STRING) {
		out->type = DT_UINT64;
		out->v.i = 0;
		return 0;
	}
	return ERR_NOT_FOUND;
}

/* ---- running SQL -------------------------------------------------------------- */

static struct session sess;
static struct exec_env env;

static int setup(void **state)
{
	(void)state;
	session_init(&sess, SESSION_HTTP, 1);
	memset(&env, 0, sizeof(env));
	env.resolve_table = resolve;
	env.call_function = call_fn;
	env.now_ms = 1700000000123LL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mt_free_all();
	return 0;
}

/* Render like the sqlness .result files (Arrow's pretty printer). */
static char *render(const struct result_set *rs)
{
	struct buf b;
	buf_init(&b);
	if (rs->rows.nrows == 0) {
		buf_printf(&b, "++\n++\n");
		return buf_cstr(&b);
	}
	uint32_t nc = rs->ncols, nr = rs->rows.nrows;
	char ***cells = calloc(nr + 1, sizeof(char **));
	size_t *w = calloc(nc + 1, sizeof(size_t));
	struct vfmt_tz utc = {0, NULL};
	for (uint32_t c = 0; c < nc; c++)
		for (const char *q = rs->names[c]; *q; q++)
			w[c] += ((unsigned char)*q & 0xC0) != 0x80;
	for (uint32_t r = 0; r < nr; r++) {
		cells[r] = calloc(nc + 1, sizeof(char *));
		for (uint32_t c = 0; c < nc; c++) {
			struct buf cb;
			buf_init(&cb);
			const struct colvec *v = &rs->rows.cols[c];
			assert_true(v->len == nr);
			if (!colvec_is_null(v, r)) {
				struct xval x = {v, {0}};
				struct datum d;
				xval_get(&x, v->type, r, &d);
				format_value(&cb, &d, &utc);
			}
			cells[r][c] = strdup(buf_cstr(&cb) ? buf_cstr(&cb) : "");
			buf_free(&cb);
			/* width in characters */
			size_t l = 0;
			for (const char *q = cells[r][c]; *q; q++)
				l += ((unsigned char)*q & 0xC0) != 0x80;
			if (l > w[c])
				w[c] = l;
		}
	}
	for (int pass = 0; pass < 3; pass++) {
		/* separator */
		buf_putc(&b, '+');
		for (uint32_t c = 0; c < nc; c++) {
			for (size_t k = 0; k < w[c] + 2; k++)
				buf_putc(&b, '-');
			buf_putc(&b, '+');
		}
		buf_putc(&b, '\n');
		if (pass == 0) {
			buf_putc(&b, '|');
			for (uint32_t c = 0; c < nc; c++) {
				size_t l = 0;
				for (const char *q = rs->names[c]; *q; q++)
					l += ((unsigned char)*q & 0xC0) != 0x80;
				buf_printf(&b, " %s%*s |", rs->names[c], (int)(w[c] - l), "");
			}
			buf_putc(&b, '\n');
		} else if (pass == 1) {
			for (uint32_t r = 0; r < nr; r++) {
				buf_putc(&b, '|');
				for (uint32_t c = 0; c < nc; c++) {
					size_t l = 0;
					for (const char *q = cells[r][c]; *q; q++)
						l += ((unsigned char)*q & 0xC0) != 0x80;
					buf_printf(&b, " %s%*s |", cells[r][c], (int)(w[c] - l), "");
				}
				buf_putc(&b, '\n');
			}
		}
	}
	for (uint32_t r = 0; r < nr; r++) {
		for (uint32_t c = 0; c < nc; c++)
			free(cells[r][c]);
		free(cells[r]);
	}
	free(cells);
	free(w);
	return buf_cstr(&b);
}

/* Run one query; on success *text is the rendered table (malloc'd). */
static int run(const char *sql, char **text, struct result_set *keep)
{
	struct arena *a = arena_create(4096);
	struct sql_stmt_list l;
	int rc = sql_parse(sql, a, &l);
	if (rc) {
		arena_destroy(a);
		return rc;
	}
	assert_int_equal(l.n, 1);
	struct result_set rs;
	const struct sql_stmt *st = l.items[0];
	if (st->kind == SQL_STMT_EXPLAIN)
		rc = sql_exec_explain(&env, &sess, st, a, &rs);
	else {
		assert_int_equal(st->kind, SQL_STMT_QUERY);
		rc = sql_exec_query(&env, &sess, st->u.query, a, &rs);
	}
	if (!rc) {
		if (text)
			*text = render(&rs);
		if (keep)
			*keep = rs;
		else
			result_set_free(&rs);
	}
	arena_destroy(a);
	return rc;
}

static void check_(const char *sql, const char *expect, int line)
{
	char *got = NULL;
	int rc = run(sql, &got, NULL);
	if (rc) {
		fprintf(stderr, "line %d: %s\n  failed: %s (%s)\n", line, sql, err_msg(), err_code_name(rc));
		fail();
	}
	if (strcmp(got, expect) != 0) {
		fprintf(stderr, "line %d: %.300s\n--- expected\n%s--- got\n%s", line, sql, expect, got);
		free(got);
		fail();
	}
	free(got);
}
#define check(sql, expect) check_(sql, expect, __LINE__)

static void check_err_(const char *sql, int code, const char *msg, int line)
{
	char *got = NULL;
	int rc = run(sql, &got, NULL);
	if (rc == 0) {
		fprintf(stderr, "line %d: %s\n  expected an error, got\n%s", line, sql, got);
		free(got);
		fail();
	}
	bool prefix = msg && msg[0] == '^';
	if (prefix)
		msg++;
	if (rc != code || (msg && (prefix ? strncmp(err_msg(), msg, strlen(msg)) : strcmp(err_msg(), msg)) != 0)) {
		fprintf(stderr, "line %d: %s\n  expected %s: %s\n  got      %s: %s\n", line, sql,
			err_code_name(code), msg ? msg : "(any)", err_code_name(rc), err_msg());
		fail();
	}
}
#define check_err(sql, code, msg) check_err_(sql, code, msg, __LINE__)


/* Compact rendering: "name|name\nv|v\n", NULL for nulls. */
static char *render_compact(const struct result_set *rs)
{
	struct buf b;
	buf_init(&b);
	struct vfmt_tz utc = {0, NULL};
	for (uint32_t c = 0; c < rs->ncols; c++)
		buf_printf(&b, "%s%s", c ? "|" : "", rs->names[c]);
	buf_putc(&b, '\n');
	for (uint32_t r = 0; r < rs->rows.nrows; r++) {
		for (uint32_t c = 0; c < rs->ncols; c++) {
			const struct colvec *v = &rs->rows.cols[c];
			assert_int_equal(v->len, rs->rows.nrows);
			if (c)
				buf_putc(&b, '|');
			if (colvec_is_null(v, r)) {
				buf_printf(&b, "NULL");
				continue;
			}
			struct xval x = {v, {0}};
			struct datum d;
			xval_get(&x, v->type, r, &d);
			format_value(&b, &d, &utc);
		}
		buf_putc(&b, '\n');
	}
	return buf_cstr(&b) ? buf_cstr(&b) : strdup("");
}

static void rows_(const char *sql, const char *expect, int line)
{
	struct result_set rs;
	int rc = run(sql, NULL, &rs);
	if (rc) {
		fprintf(stderr, "line %d: %s\n  failed: %s (%s)\n", line, sql, err_msg(), err_code_name(rc));
		fail();
	}
	char *got = render_compact(&rs);
	result_set_free(&rs);
	if (strcmp(got, expect) != 0) {
		fprintf(stderr, "line %d: %.300s\n--- expected\n%s--- got\n%s", line, sql, expect, got);
		free(got);
		fail();
	}
	free(got);
}
#define rows(sql, expect) rows_(sql, expect, __LINE__)

/* The type of each result column, as "Int64,Utf8,...". */
static void types_(const char *sql, const char *expect, int line)
{
	struct result_set rs;
	int rc = run(sql, NULL, &rs);
	if (rc) {
		fprintf(stderr, "line %d: %s\n  failed: %s\n", line, sql, err_msg());
		fail();
	}
	char got[512] = "";
	for (uint32_t c = 0; c < rs.ncols; c++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", c ? "," : "",
			 dtype_name(rs.types[c]));
	result_set_free(&rs);
	if (strcmp(got, expect) != 0) {
		fprintf(stderr, "line %d: %s\n  expected types %s, got %s\n", line, sql, expect, got);
		fail();
	}
}
#define types(sql, expect) types_(sql, expect, __LINE__)

/* ---- fixtures ------------------------------------------------------------------ */

static void make_test_ab(void)
{
	struct mem_table *t = mt_create("test", "a:Int32,b:Int32,ts:TimestampMillisecond:ti");
	mt_row(t, "11|22|1");
	mt_row(t, "12|21|2");
	mt_row(t, "13|22|3");
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_order_by_peer(void **state)
{
	(void)state;
	make_test_ab();
	check("select b from test where a = 12;",
	      "+----+\n| b  |\n+----+\n| 21 |\n+----+\n");
	check("SELECT b FROM test ORDER BY a DESC;",
	      "+----+\n| b  |\n+----+\n| 22 |\n| 21 |\n| 22 |\n+----+\n");
	check("SELECT a, b FROM test ORDER BY b, a;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 12 | 21 |\n| 11 | 22 |\n| 13 | 22 |\n+----+----+\n");
	check("SELECT a, b FROM test ORDER BY 2, 1;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 12 | 21 |\n| 11 | 22 |\n| 13 | 22 |\n+----+----+\n");
	check("SELECT a, b FROM test ORDER BY b DESC, a;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 11 | 22 |\n| 13 | 22 |\n| 12 | 21 |\n+----+----+\n");
	check("SELECT a, b FROM test ORDER BY b, a DESC LIMIT 1 OFFSET 1;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 13 | 22 |\n+----+----+\n");
	check("SELECT a, b FROM test ORDER BY b, a DESC OFFSET 1;",
	      "+----+----+\n| a  | b  |\n+----+----+\n| 13 | 22 |\n| 11 | 22 |\n+----+----+\n");
	check("SELECT b, a FROM test WHERE a < 13 ORDER BY b DESC;",
	      "+----+----+\n| b  | a  |\n+----+----+\n| 22 | 11 |\n| 21 | 12 |\n+----+----+\n");
	check("SELECT b % 2 AS f, SUM(a) FROM test GROUP BY f ORDER BY b % 2;",
	      "+---+-------------+\n| f | sum(test.a) |\n+---+-------------+\n| 0 | 24          |\n| 1 | 12          |\n+---+-------------+\n");
	check("SELECT b % 2 AS f, a FROM test ORDER BY b % 2, a;",
	      "+---+----+\n| f | a  |\n+---+----+\n| 0 | 11 |\n| 0 | 13 |\n| 1 | 12 |\n+---+----+\n");
	check("SELECT b % 2 AS f, SUM(a) FROM test GROUP BY f ORDER BY f;",
	      "+---+-------------+\n| f | sum(test.a) |\n+---+-------------+\n| 0 | 24          |\n| 1 | 12          |\n+---+-------------+\n");
	check("SELECT b % 2 AS f, SUM(a) FROM test GROUP BY f ORDER BY 1;",
	      "+---+-------------+\n| f | sum(test.a) |\n+---+-------------+\n| 0 | 24          |\n| 1 | 12          |\n+---+-------------+\n");
	check("SELECT a-10 AS k FROM test UNION SELECT a-10 AS l FROM test ORDER BY k;",
	      "+---+\n| k |\n+---+\n| 1 |\n| 2 |\n| 3 |\n+---+\n");
	check_err("SELECT a-10 AS k FROM test UNION SELECT a-10 AS l FROM test ORDER BY l;", ERR_PLAN,
		  "Failed to plan SQL: No field named l. Valid fields are k.");
	check("SELECT a-10 AS k FROM test UNION SELECT a-10 AS l FROM test ORDER BY 1-k;",
	      "+---+\n| k |\n+---+\n| 3 |\n| 2 |\n| 1 |\n+---+\n");
	check_err("SELECT a-10 AS k FROM test UNION SELECT a-10 AS l FROM test ORDER BY a-10;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: For SELECT DISTINCT, ORDER BY expressions a must appear in select list");
}

static void test_order_by_nulls(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("test", "c1:Int32,c2:Int32,c3:String,c4:Float64,ts:TimestampMillisecond:ti");
	mt_row(t, "1|NULL|a|3.0|1");
	mt_row(t, "2|3|b|4.0|2");
	mt_row(t, "3|4|c|5.0|3");
	check("SELECT c1, c3 FROM test ORDER BY c2;",
	      "+----+----+\n| c1 | c3 |\n+----+----+\n| 2  | b  |\n| 3  | c  |\n| 1  | a  |\n+----+----+\n");
	check("SELECT c1, c3 FROM test ORDER BY c2 NULLS FIRST;",
	      "+----+----+\n| c1 | c3 |\n+----+----+\n| 1  | a  |\n| 2  | b  |\n| 3  | c  |\n+----+----+\n");
	check("SELECT c1 FROM test ORDER BY c2 DESC;",
	      "+----+\n| c1 |\n+----+\n| 1  |\n| 3  |\n| 2  |\n+----+\n");
	check("SELECT c2 FROM test ORDER BY ts;",
	      "+----+\n| c2 |\n+----+\n|    |\n| 3  |\n| 4  |\n+----+\n");
}

static void test_min_max_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("strings", "s:String,g:Int32,ts:TimestampMillisecond:ti");
	mt_row(t, "hello|0|1000");
	mt_row(t, "world|1|2000");
	mt_row(t, "NULL|0|3000");
	mt_row(t, "r|1|4000");
	check("SELECT COUNT(*), COUNT(s), MIN(s), MAX(s) FROM strings;",
	      "+----------+------------------+----------------+----------------+\n"
	      "| count(*) | count(strings.s) | min(strings.s) | max(strings.s) |\n"
	      "+----------+------------------+----------------+----------------+\n"
	      "| 4        | 3                | hello          | world          |\n"
	      "+----------+------------------+----------------+----------------+\n");
	check("SELECT COUNT(*), COUNT(s), MIN(s), MAX(s) FROM strings WHERE s IS NULL;",
	      "+----------+------------------+----------------+----------------+\n"
	      "| count(*) | count(strings.s) | min(strings.s) | max(strings.s) |\n"
	      "+----------+------------------+----------------+----------------+\n"
	      "| 1        | 0                |                |                |\n"
	      "+----------+------------------+----------------+----------------+\n");
	check("SELECT g, COUNT(*), COUNT(s), MIN(s), MAX(s) FROM strings WHERE s IS NULL OR s <> 'hello' GROUP BY g ORDER BY g;",
	      "+---+----------+------------------+----------------+----------------+\n"
	      "| g | count(*) | count(strings.s) | min(strings.s) | max(strings.s) |\n"
	      "+---+----------+------------------+----------------+----------------+\n"
	      "| 0 | 1        | 0                |                |                |\n"
	      "| 1 | 2        | 2                | r              | world          |\n"
	      "+---+----------+------------------+----------------+----------------+\n");
	struct mem_table *b = mt_create("booleans", "b:Boolean,g:Int32,ts:TimestampMillisecond:ti");
	mt_row(b, "false|0|1000");
	mt_row(b, "true|1|2000");
	mt_row(b, "NULL|0|3000");
	mt_row(b, "false|1|4000");
	check("SELECT g, COUNT(*), COUNT(b), MIN(b), MAX(b) FROM booleans GROUP BY g ORDER BY g;",
	      "+---+----------+-------------------+-----------------+-----------------+\n"
	      "| g | count(*) | count(booleans.b) | min(booleans.b) | max(booleans.b) |\n"
	      "+---+----------+-------------------+-----------------+-----------------+\n"
	      "| 0 | 2        | 1                 | false           | false           |\n"
	      "| 1 | 2        | 2                 | false           | true            |\n"
	      "+---+----------+-------------------+-----------------+-----------------+\n");
	struct mem_table *d = mt_create("doubles", "d:Float64,g:Int32,ts:TimestampMillisecond:ti");
	mt_row(d, "1.5|0|1000");
	mt_row(d, "5.5|1|2000");
	mt_row(d, "NULL|0|3000");
	mt_row(d, "3.5|1|4000");
	mt_row(d, "2.5|0|5000");
	check("SELECT g, MIN(d), MAX(d) FROM doubles GROUP BY g ORDER BY g;",
	      "+---+----------------+----------------+\n"
	      "| g | min(doubles.d) | max(doubles.d) |\n"
	      "+---+----------------+----------------+\n"
	      "| 0 | 1.5            | 2.5            |\n"
	      "| 1 | 3.5            | 5.5            |\n"
	      "+---+----------------+----------------+\n");
}

static void test_sum_peer(void **state)
{
	(void)state;
	struct mem_table *n = mt_create("numbers", "number:UInt32");
	for (int i = 0; i < 100; i++) {
		char r[16];
		snprintf(r, sizeof(r), "%d", i);
		mt_row(n, r);
	}
	check("SELECT SUM(number) FROM numbers;",
	      "+---------------------+\n| sum(numbers.number) |\n+---------------------+\n| 4950                |\n+---------------------+\n");
	check("SELECT SUM(1) FROM numbers;",
	      "+---------------+\n| sum(Int64(1)) |\n+---------------+\n| 100           |\n+---------------+\n");
	check("SELECT SUM(-1) FROM numbers;",
	      "+----------------+\n| sum(Int64(-1)) |\n+----------------+\n| -100           |\n+----------------+\n");
	check("SELECT SUM(-1) FROM numbers WHERE number=-1;",
	      "+----------------+\n| sum(Int64(-1)) |\n+----------------+\n|                |\n+----------------+\n");
	check("SELECT SUM(-1) FROM numbers WHERE number>10000 limit 1000;",
	      "+----------------+\n| sum(Int64(-1)) |\n+----------------+\n|                |\n+----------------+\n");
	struct mem_table *b = mt_create("bigints", "b:Int64,ts:TimestampMillisecond:ti");
	mt_row(b, "4611686018427387904|1");
	mt_row(b, "4611686018427388904|2");
	mt_row(b, "1|3");
	check("SELECT SUM(b) FROM bigints;",
	      "+----------------------+\n| sum(bigints.b)       |\n+----------------------+\n| -9223372036854774807 |\n+----------------------+\n");
	struct mem_table *d = mt_create("doubles", "n:Float64,ts:TimestampMillisecond:ti");
	mt_row(d, "9007199254740992|1");
	mt_row(d, "1|2");
	mt_row(d, "1|3");
	mt_row(d, "0|4");
	check("SELECT sum(n) from doubles;",
	      "+--------------------+\n| sum(doubles.n)     |\n+--------------------+\n| 9007199254740992.0 |\n+--------------------+\n");
}

static void test_basic_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("system_metrics",
					"host:String:tag,idc:String:tag,cpu_util:Float64,memory_util:Float64,disk_util:Float64,ts:TimestampMillisecond:ti");
	mt_row(t, "host1|idc_a|11.8|10.3|10.3|1667446797450");
	mt_row(t, "host1|idc_b|50.0|66.7|40.6|1667446797450");
	mt_row(t, "host2|idc_a|80.0|70.3|90.0|1667446797450");
	check("SELECT * FROM system_metrics;",
	      "+-------+-------+----------+-------------+-----------+-------------------------+\n"
	      "| host  | idc   | cpu_util | memory_util | disk_util | ts                      |\n"
	      "+-------+-------+----------+-------------+-----------+-------------------------+\n"
	      "| host1 | idc_a | 11.8     | 10.3        | 10.3      | 2022-11-03T03:39:57.450 |\n"
	      "| host1 | idc_b | 50.0     | 66.7        | 40.6      | 2022-11-03T03:39:57.450 |\n"
	      "| host2 | idc_a | 80.0     | 70.3        | 90.0      | 2022-11-03T03:39:57.450 |\n"
	      "+-------+-------+----------+-------------+-----------+-------------------------+\n");
	check("SELECT count(*) FROM system_metrics;",
	      "+----------+\n| count(*) |\n+----------+\n| 3        |\n+----------+\n");
	check("SELECT avg(cpu_util) FROM system_metrics;",
	      "+------------------------------+\n| avg(system_metrics.cpu_util) |\n+------------------------------+\n| 47.26666666666667            |\n+------------------------------+\n");
	check("SELECT idc, avg(memory_util) FROM system_metrics GROUP BY idc ORDER BY idc;",
	      "+-------+---------------------------------+\n"
	      "| idc   | avg(system_metrics.memory_util) |\n"
	      "+-------+---------------------------------+\n"
	      "| idc_a | 40.3                            |\n"
	      "| idc_b | 66.7                            |\n"
	      "+-------+---------------------------------+\n");
	/* count(*) needs no column */
	assert_int_equal(run("SELECT count(*) FROM system_metrics", NULL, NULL), 0);
	for (uint32_t c = 0; c < t->tp.ncols; c++)
		assert_false(t->last_proj[c]);
	assert_int_equal(t->releases, t->scans);
}

static void test_date_functions_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("dates", "d:Date,ts:TimestampMillisecond:ti");
	mt_row(t, "8035|1");   /* 1992-01-01 */
	mt_row(t, "8764|2");   /* 1993-12-30 */
	mt_row(t, "19697|3");  /* 2023-12-06 */
	check("SELECT date_add('2023-12-06 07:39:46.222'::TIMESTAMP_MS, INTERVAL '5 day');",
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| date_add(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 5, nanoseconds: 0 }\")) |\n"
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-11T07:39:46.222                                                                                                                                         |\n"
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add('2023-12-06 07:39:46.222'::TIMESTAMP_MS, '5 day');",
	      "+-------------------------------------------------------------------------------------------+\n"
	      "| date_add(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),Utf8(\"5 day\")) |\n"
	      "+-------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-11T07:39:46.222                                                                   |\n"
	      "+-------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add('2023-12-06'::DATE, INTERVAL '3 month 5 day');",
	      "+------------------------------------------------------------------------------------------------------------------+\n"
	      "| date_add(Utf8(\"2023-12-06\"),IntervalMonthDayNano(\"IntervalMonthDayNano { months: 3, days: 5, nanoseconds: 0 }\")) |\n"
	      "+------------------------------------------------------------------------------------------------------------------+\n"
	      "| 2024-03-11                                                                                                       |\n"
	      "+------------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add('2023-12-06'::DATE, '3 month 5 day');",
	      "+----------------------------------------------------+\n"
	      "| date_add(Utf8(\"2023-12-06\"),Utf8(\"3 month 5 day\")) |\n"
	      "+----------------------------------------------------+\n"
	      "| 2024-03-11                                         |\n"
	      "+----------------------------------------------------+\n");
	check("SELECT date_sub('2023-12-06 07:39:46.222'::TIMESTAMP_MS, INTERVAL '5 day');",
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| date_sub(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 5, nanoseconds: 0 }\")) |\n"
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-01T07:39:46.222                                                                                                                                         |\n"
	      "+-----------------------------------------------------------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub('2023-12-06 07:39:46.222'::TIMESTAMP_MS, '5 day');",
	      "+-------------------------------------------------------------------------------------------+\n"
	      "| date_sub(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),Utf8(\"5 day\")) |\n"
	      "+-------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-01T07:39:46.222                                                                   |\n"
	      "+-------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub('2023-12-06'::DATE, INTERVAL '3 month 5 day');",
	      "+------------------------------------------------------------------------------------------------------------------+\n"
	      "| date_sub(Utf8(\"2023-12-06\"),IntervalMonthDayNano(\"IntervalMonthDayNano { months: 3, days: 5, nanoseconds: 0 }\")) |\n"
	      "+------------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-09-01                                                                                                       |\n"
	      "+------------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub('2023-12-06'::DATE, '3 month 5 day');",
	      "+----------------------------------------------------+\n"
	      "| date_sub(Utf8(\"2023-12-06\"),Utf8(\"3 month 5 day\")) |\n"
	      "+----------------------------------------------------+\n"
	      "| 2023-09-01                                         |\n"
	      "+----------------------------------------------------+\n");
	check("SELECT date_format('2023-12-06 07:39:46.222'::TIMESTAMP_MS, '%Y-%m-%d %H:%M:%S:%3f');",
	      "+--------------------------------------------------------------------------------------------------------------+\n"
	      "| date_format(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(ms)\")),Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+--------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-06 07:39:46:222                                                                                      |\n"
	      "+--------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_format('2023-12-06 07:39:46.222'::TIMESTAMP_S, '%Y-%m-%d %H:%M:%S:%3f');",
	      "+-------------------------------------------------------------------------------------------------------------+\n"
	      "| date_format(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(s)\")),Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+-------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-06 07:39:46:000                                                                                     |\n"
	      "+-------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_format('2023-12-06 07:39:46.222'::DATETIME, '%Y-%m-%d %H:%M:%S:%3f');",
	      "+--------------------------------------------------------------------------------------------------------------+\n"
	      "| date_format(arrow_cast(Utf8(\"2023-12-06 07:39:46.222\"),Utf8(\"Timestamp(µs)\")),Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+--------------------------------------------------------------------------------------------------------------+\n"
	      "| 2023-12-06 07:39:46:222                                                                                      |\n"
	      "+--------------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_format('2023-12-06'::DATE, '%m-%d');",
	      "+-----------------------------------------------+\n"
	      "| date_format(Utf8(\"2023-12-06\"),Utf8(\"%m-%d\")) |\n"
	      "+-----------------------------------------------+\n"
	      "| 12-06                                         |\n"
	      "+-----------------------------------------------+\n");
	check("SELECT date_add(d, INTERVAL '1 year 2 month 3 day') from dates;",
	      "+--------------------------------------------------------------------------------------------------------+\n"
	      "| date_add(dates.d,IntervalMonthDayNano(\"IntervalMonthDayNano { months: 14, days: 3, nanoseconds: 0 }\")) |\n"
	      "+--------------------------------------------------------------------------------------------------------+\n"
	      "| 1993-03-04                                                                                             |\n"
	      "| 1995-03-03                                                                                             |\n"
	      "| 2025-02-09                                                                                             |\n"
	      "+--------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add(d, '1 year 2 month 3 day') from dates;",
	      "+------------------------------------------------+\n"
	      "| date_add(dates.d,Utf8(\"1 year 2 month 3 day\")) |\n"
	      "+------------------------------------------------+\n"
	      "| 1993-03-04                                     |\n"
	      "| 1995-03-03                                     |\n"
	      "| 2025-02-09                                     |\n"
	      "+------------------------------------------------+\n");
	check("SELECT date_add(ts, INTERVAL '1 year 2 month 3 day') from dates;",
	      "+---------------------------------------------------------------------------------------------------------+\n"
	      "| date_add(dates.ts,IntervalMonthDayNano(\"IntervalMonthDayNano { months: 14, days: 3, nanoseconds: 0 }\")) |\n"
	      "+---------------------------------------------------------------------------------------------------------+\n"
	      "| 1971-03-04T00:00:00.001                                                                                 |\n"
	      "| 1971-03-04T00:00:00.002                                                                                 |\n"
	      "| 1971-03-04T00:00:00.003                                                                                 |\n"
	      "+---------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_add(ts, '1 year 2 month 3 day') from dates;",
	      "+-------------------------------------------------+\n"
	      "| date_add(dates.ts,Utf8(\"1 year 2 month 3 day\")) |\n"
	      "+-------------------------------------------------+\n"
	      "| 1971-03-04T00:00:00.001                         |\n"
	      "| 1971-03-04T00:00:00.002                         |\n"
	      "| 1971-03-04T00:00:00.003                         |\n"
	      "+-------------------------------------------------+\n");
	check("SELECT date_sub(d, INTERVAL '1 year 2 month 3 day') from dates;",
	      "+--------------------------------------------------------------------------------------------------------+\n"
	      "| date_sub(dates.d,IntervalMonthDayNano(\"IntervalMonthDayNano { months: 14, days: 3, nanoseconds: 0 }\")) |\n"
	      "+--------------------------------------------------------------------------------------------------------+\n"
	      "| 1990-10-29                                                                                             |\n"
	      "| 1992-10-27                                                                                             |\n"
	      "| 2022-10-03                                                                                             |\n"
	      "+--------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub(d, '1 year 2 month 3 day') from dates;",
	      "+------------------------------------------------+\n"
	      "| date_sub(dates.d,Utf8(\"1 year 2 month 3 day\")) |\n"
	      "+------------------------------------------------+\n"
	      "| 1990-10-29                                     |\n"
	      "| 1992-10-27                                     |\n"
	      "| 2022-10-03                                     |\n"
	      "+------------------------------------------------+\n");
	check("SELECT date_sub(ts, INTERVAL '1 year 2 month 3 day') from dates;",
	      "+---------------------------------------------------------------------------------------------------------+\n"
	      "| date_sub(dates.ts,IntervalMonthDayNano(\"IntervalMonthDayNano { months: 14, days: 3, nanoseconds: 0 }\")) |\n"
	      "+---------------------------------------------------------------------------------------------------------+\n"
	      "| 1968-10-29T00:00:00.001                                                                                 |\n"
	      "| 1968-10-29T00:00:00.002                                                                                 |\n"
	      "| 1968-10-29T00:00:00.003                                                                                 |\n"
	      "+---------------------------------------------------------------------------------------------------------+\n");
	check("SELECT date_sub(ts, '1 year 2 month 3 day') from dates;",
	      "+-------------------------------------------------+\n"
	      "| date_sub(dates.ts,Utf8(\"1 year 2 month 3 day\")) |\n"
	      "+-------------------------------------------------+\n"
	      "| 1968-10-29T00:00:00.001                         |\n"
	      "| 1968-10-29T00:00:00.002                         |\n"
	      "| 1968-10-29T00:00:00.003                         |\n"
	      "+-------------------------------------------------+\n");
	check("SELECT date_format(d, '%Y-%m-%d %H:%M:%S:%3f') from dates;",
	      "+----------------------------------------------------+\n"
	      "| date_format(dates.d,Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+----------------------------------------------------+\n"
	      "| 1992-01-01 00:00:00:000                            |\n"
	      "| 1993-12-30 00:00:00:000                            |\n"
	      "| 2023-12-06 00:00:00:000                            |\n"
	      "+----------------------------------------------------+\n");
	check("SELECT date_format(ts, '%Y-%m-%d %H:%M:%S:%3f') from dates;",
	      "+-----------------------------------------------------+\n"
	      "| date_format(dates.ts,Utf8(\"%Y-%m-%d %H:%M:%S:%3f\")) |\n"
	      "+-----------------------------------------------------+\n"
	      "| 1970-01-01 00:00:00:001                             |\n"
	      "| 1970-01-01 00:00:00:002                             |\n"
	      "| 1970-01-01 00:00:00:003                             |\n"
	      "+-----------------------------------------------------+\n");
}

static void test_timestamp_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("timestamp", "t:TimestampMillisecond,ts:TimestampMillisecond:ti");
	mt_row(t, "1199145601000|1");
	mt_row(t, "NULL|2");
	mt_row(t, "1167609601000|3");
	mt_row(t, "1201824001000|4");
	mt_row(t, "1199232001000|5");
	mt_row(t, "1199181600000|6");
	mt_row(t, "1199146200000|7");
	mt_row(t, "1199145610000|8");
	check("SELECT timestamp '2017-07-23 13:10:11';",
	      "+-----------------------------+\n"
	      "| Utf8(\"2017-07-23 13:10:11\") |\n"
	      "+-----------------------------+\n"
	      "| 2017-07-23T13:10:11         |\n"
	      "+-----------------------------+\n");
	check("SELECT timestamp '2017-07-23T13:10:11',timestamp '2017-07-23T13:10:11Z';",
	      "+-----------------------------+------------------------------+\n"
	      "| Utf8(\"2017-07-23T13:10:11\") | Utf8(\"2017-07-23T13:10:11Z\") |\n"
	      "+-----------------------------+------------------------------+\n"
	      "| 2017-07-23T13:10:11         | 2017-07-23T13:10:11          |\n"
	      "+-----------------------------+------------------------------+\n");
	check("SELECT timestamp '    2017-07-23     13:10:11    ';",
	      "+-----------------------------+\n"
	      "| Utf8(\"2017-07-23 13:10:11\") |\n"
	      "+-----------------------------+\n"
	      "| 2017-07-23T13:10:11         |\n"
	      "+-----------------------------+\n");
	check_err("SELECT timestamp '    2017-07-23     13:10:11    AA';", ERR_EXEC,
		  "Parser error: Invalid timezone \"AA\": failed to parse timezone");
	check_err("SELECT timestamp 'AA2017-07-23 13:10:11';", ERR_EXEC,
		  "Parser error: Error parsing timestamp from 'AA2017-07-23 13:10:11': error parsing date");
	check_err("SELECT timestamp '2017-07-23A13:10:11';", ERR_EXEC,
		  "Parser error: Error parsing timestamp from '2017-07-23A13:10:11': invalid timestamp separator");
	check("SELECT t FROM timestamp ORDER BY t;",
	      "+---------------------+\n"
	      "| t                   |\n"
	      "+---------------------+\n"
	      "| 2007-01-01T00:00:01 |\n"
	      "| 2008-01-01T00:00:01 |\n"
	      "| 2008-01-01T00:00:10 |\n"
	      "| 2008-01-01T00:10:00 |\n"
	      "| 2008-01-01T10:00:00 |\n"
	      "| 2008-01-02T00:00:01 |\n"
	      "| 2008-02-01T00:00:01 |\n"
	      "|                     |\n"
	      "+---------------------+\n");
	check("SELECT MIN(t) FROM timestamp;",
	      "+---------------------+\n"
	      "| min(timestamp.t)    |\n"
	      "+---------------------+\n"
	      "| 2007-01-01T00:00:01 |\n"
	      "+---------------------+\n");
	check("SELECT MAX(t) FROM timestamp;",
	      "+---------------------+\n"
	      "| max(timestamp.t)    |\n"
	      "+---------------------+\n"
	      "| 2008-02-01T00:00:01 |\n"
	      "+---------------------+\n");
	check_err("SELECT SUM(t) FROM timestamp;", ERR_PLAN,
		  "^Failed to plan SQL: Error during planning: Execution error: Function 'sum' failed to match any signature");
	check_err("SELECT AVG(t) FROM timestamp;", ERR_PLAN,
		  "^Failed to plan SQL: Error during planning: Execution error: Function 'avg' failed to match any signature");
	check_err("SELECT t+t FROM timestamp;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot get result type for temporal operation Timestamp(ms) + Timestamp(ms): Invalid argument error: Invalid timestamp arithmetic operation: Timestamp(ms) + Timestamp(ms)");
	check_err("SELECT t*t FROM timestamp;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot get result type for temporal operation Timestamp(ms) * Timestamp(ms): Invalid argument error: Invalid timestamp arithmetic operation: Timestamp(ms) * Timestamp(ms)");
	check_err("SELECT t/t FROM timestamp;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot get result type for temporal operation Timestamp(ms) / Timestamp(ms): Invalid argument error: Invalid timestamp arithmetic operation: Timestamp(ms) / Timestamp(ms)");
	check_err("SELECT t%t FROM timestamp;", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot get result type for temporal operation Timestamp(ms) % Timestamp(ms): Invalid argument error: Invalid timestamp arithmetic operation: Timestamp(ms) % Timestamp(ms)");
	check("SELECT t-t FROM timestamp;",
	      "+---------------------------+\n"
	      "| timestamp.t - timestamp.t |\n"
	      "+---------------------------+\n"
	      "| P0D                       |\n"
	      "|                           |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "| P0D                       |\n"
	      "+---------------------------+\n");
	check("SELECT EXTRACT(YEAR from TIMESTAMP '1992-01-01 01:01:01');",
	      "+-----------------------------------------------------+\n"
	      "| date_part(Utf8(\"YEAR\"),Utf8(\"1992-01-01 01:01:01\")) |\n"
	      "+-----------------------------------------------------+\n"
	      "| 1992                                                |\n"
	      "+-----------------------------------------------------+\n");
	check("SELECT EXTRACT(YEAR from TIMESTAMP '1992-01-01 01:01:01'::DATE);",
	      "+-----------------------------------------------------+\n"
	      "| date_part(Utf8(\"YEAR\"),Utf8(\"1992-01-01 01:01:01\")) |\n"
	      "+-----------------------------------------------------+\n"
	      "| 1992                                                |\n"
	      "+-----------------------------------------------------+\n");
	check("SELECT (TIMESTAMP '1992-01-01 01:01:01')::DATE;",
	      "+-----------------------------+\n"
	      "| Utf8(\"1992-01-01 01:01:01\") |\n"
	      "+-----------------------------+\n"
	      "| 1992-01-01                  |\n"
	      "+-----------------------------+\n");
	check("SELECT (TIMESTAMP '1992-01-01 01:01:01')::TIME;",
	      "+-----------------------------+\n"
	      "| Utf8(\"1992-01-01 01:01:01\") |\n"
	      "+-----------------------------+\n"
	      "| 01:01:01                    |\n"
	      "+-----------------------------+\n");
	check("SELECT t::DATE FROM timestamp WHERE EXTRACT(YEAR from t)=2007 ORDER BY 1;",
	      "+-------------+\n"
	      "| timestamp.t |\n"
	      "+-------------+\n"
	      "| 2007-01-01  |\n"
	      "+-------------+\n");
	check("SELECT t::TIME FROM timestamp WHERE EXTRACT(YEAR from t)=2007 ORDER BY 1;",
	      "+-------------+\n"
	      "| timestamp.t |\n"
	      "+-------------+\n"
	      "| 00:00:01    |\n"
	      "+-------------+\n");
	check("SELECT (DATE '1992-01-01')::TIMESTAMP;",
	      "+------------------------------------------------------+\n"
	      "| arrow_cast(Utf8(\"1992-01-01\"),Utf8(\"Timestamp(ms)\")) |\n"
	      "+------------------------------------------------------+\n"
	      "| 1992-01-01T00:00:00                                  |\n"
	      "+------------------------------------------------------+\n");
	check("SELECT TIMESTAMP '2008-01-01 00:00:01.5'::VARCHAR;",
	      "+-------------------------------+\n"
	      "| Utf8(\"2008-01-01 00:00:01.5\") |\n"
	      "+-------------------------------+\n"
	      "| 2008-01-01T00:00:01.500       |\n"
	      "+-------------------------------+\n");
	check_err("SELECT TIMESTAMP '-8-01-01 00:00:01.5'::VARCHAR;", ERR_EXEC,
		  "Parser error: Error parsing timestamp from '-8-01-01 00:00:01.5': error parsing date");
	check_err("SELECT TIMESTAMP '100000-01-01 00:00:01.5'::VARCHAR;", ERR_EXEC,
		  "Parser error: Error parsing timestamp from '100000-01-01 00:00:01.5': error parsing date");
	/* the peer ran this one over PostgreSQL: an interval in its style */
	sess.protocol = SESSION_PG;
	check("SELECT '2025-04-14 20:42:19.021000'::TIMESTAMP - '2025-04-14 20:42:18.103000'::TIMESTAMP;",
	      "+---------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| arrow_cast(Utf8(\"2025-04-14 20:42:19.021000\"),Utf8(\"Timestamp(ms)\")) - arrow_cast(Utf8(\"2025-04-14 20:42:18.103000\"),Utf8(\"Timestamp(ms)\")) |\n"
	      "+---------------------------------------------------------------------------------------------------------------------------------------------+\n"
	      "| 00:00:00.918000                                                                                                                             |\n"
	      "+---------------------------------------------------------------------------------------------------------------------------------------------+\n");
}

static void test_date_type_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("dates", "i:Date,ts:TimestampMillisecond:ti");
	mt_row(t, "8626|1000"); /* 1993-08-14 */
	mt_row(t, "NULL|2000");
	struct mem_table *f = mt_create("date_formats", "d:Date,ts:TimestampMillisecond:ti");
	mt_row(f, "18687|1000"); /* 2021-03-01 */
	mt_row(f, "18992|2000"); /* 2021-12-31 */
	mt_row(f, "10957|3000"); /* 2000-01-01 */
	mt_row(f, "0|4000");
	check("SELECT * FROM dates ORDER BY ts;",
	      "+------------+---------------------+\n"
	      "| i          | ts                  |\n"
	      "+------------+---------------------+\n"
	      "| 1993-08-14 | 1970-01-01T00:00:01 |\n"
	      "|            | 1970-01-01T00:00:02 |\n"
	      "+------------+---------------------+\n");
	check("SELECT extract(year FROM i) FROM dates ORDER BY ts;",
	      "+---------------------------------+\n"
	      "| date_part(Utf8(\"YEAR\"),dates.i) |\n"
	      "+---------------------------------+\n"
	      "| 1993                            |\n"
	      "|                                 |\n"
	      "+---------------------------------+\n");
	check("SELECT CAST(i AS VARCHAR) FROM dates ORDER BY ts;",
	      "+------------+\n"
	      "| dates.i    |\n"
	      "+------------+\n"
	      "| 1993-08-14 |\n"
	      "|            |\n"
	      "+------------+\n");
	check("SELECT i + INTERVAL '5 days' FROM dates ORDER BY ts;",
	      "+-----------------------------------------------------------------------------------------------+\n"
	      "| dates.i + IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 5, nanoseconds: 0 }\") |\n"
	      "+-----------------------------------------------------------------------------------------------+\n"
	      "| 1993-08-19                                                                                    |\n"
	      "|                                                                                               |\n"
	      "+-----------------------------------------------------------------------------------------------+\n");
	check("SELECT i - INTERVAL '5 days' FROM dates ORDER BY ts;",
	      "+-----------------------------------------------------------------------------------------------+\n"
	      "| dates.i - IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 5, nanoseconds: 0 }\") |\n"
	      "+-----------------------------------------------------------------------------------------------+\n"
	      "| 1993-08-09                                                                                    |\n"
	      "|                                                                                               |\n"
	      "+-----------------------------------------------------------------------------------------------+\n");
	check("SELECT i - DATE '1993-08-14' FROM dates ORDER BY ts;",
	      "+------------------------------+\n"
	      "| dates.i - Utf8(\"1993-08-14\") |\n"
	      "+------------------------------+\n"
	      "| 0                            |\n"
	      "|                              |\n"
	      "+------------------------------+\n");
	check("SELECT d,  extract(year FROM d), extract(month FROM d), extract(day FROM d) FROM date_formats ORDER BY d;",
	      "+------------+----------------------------------------+-----------------------------------------+---------------------------------------+\n"
	      "| d          | date_part(Utf8(\"YEAR\"),date_formats.d) | date_part(Utf8(\"MONTH\"),date_formats.d) | date_part(Utf8(\"DAY\"),date_formats.d) |\n"
	      "+------------+----------------------------------------+-----------------------------------------+---------------------------------------+\n"
	      "| 1970-01-01 | 1970                                   | 1                                       | 1                                     |\n"
	      "| 2000-01-01 | 2000                                   | 1                                       | 1                                     |\n"
	      "| 2021-03-01 | 2021                                   | 3                                       | 1                                     |\n"
	      "| 2021-12-31 | 2021                                   | 12                                      | 31                                    |\n"
	      "+------------+----------------------------------------+-----------------------------------------+---------------------------------------+\n");
	check("SELECT d FROM date_formats WHERE d > '2000-01-01' ORDER BY d;",
	      "+------------+\n"
	      "| d          |\n"
	      "+------------+\n"
	      "| 2021-03-01 |\n"
	      "| 2021-12-31 |\n"
	      "+------------+\n");
	check("SELECT d FROM date_formats WHERE d BETWEEN '2000-01-01' AND '2021-06-01' ORDER BY d;",
	      "+------------+\n"
	      "| d          |\n"
	      "+------------+\n"
	      "| 2000-01-01 |\n"
	      "| 2021-03-01 |\n"
	      "+------------+\n");
	mt_row(f, "NULL|5000");
	check("SELECT COUNT(*), COUNT(d) FROM date_formats;",
	      "+----------+-----------------------+\n"
	      "| count(*) | count(date_formats.d) |\n"
	      "+----------+-----------------------+\n"
	      "| 5        | 4                     |\n"
	      "+----------+-----------------------+\n");
}

static void test_step_aggr_peer(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("integers", "host:String:tag,i:Int64,ts:TimestampMillisecond:ti");
	mt_row(t, "220-A|2|1672531200000");
	mt_row(t, "220-B|3|1672531200000");
	mt_row(t, "550-A|1|1672531200000");
	mt_row(t, "550-B|5|1672531200000");
	mt_row(t, "550-A|2|1672534800000");
	mt_row(t, "550-W|3|1672538400000");
	mt_row(t, "550-Z|4|1672538400000");
	mt_row(t, "550-W|5|1672542000000");
	mt_row(t, "550-Z|6|1672542000000");
	t->batch_rows = 4;
	check("SELECT\n    count(i)\nFROM\n    integers;",
	      "+-------------------+\n"
	      "| count(integers.i) |\n"
	      "+-------------------+\n"
	      "| 9                 |\n"
	      "+-------------------+\n");
	check("SELECT\n    ts,\n    count(i)\nFROM\n    integers\nGROUP BY\n    ts\nORDER BY\n    ts,\n    count(i);",
	      "+---------------------+-------------------+\n"
	      "| ts                  | count(integers.i) |\n"
	      "+---------------------+-------------------+\n"
	      "| 2023-01-01T00:00:00 | 4                 |\n"
	      "| 2023-01-01T01:00:00 | 1                 |\n"
	      "| 2023-01-01T02:00:00 | 2                 |\n"
	      "| 2023-01-01T03:00:00 | 2                 |\n"
	      "+---------------------+-------------------+\n");
	check("SELECT\n    date_bin('1 hour' :: INTERVAL, ts) as time_window,\n    count(i)\nFROM\n    integers\nGROUP BY\n    time_window\nORDER BY\n    time_window,\n    count(i);",
	      "+---------------------+-------------------+\n"
	      "| time_window         | count(integers.i) |\n"
	      "+---------------------+-------------------+\n"
	      "| 2023-01-01T00:00:00 | 4                 |\n"
	      "| 2023-01-01T01:00:00 | 1                 |\n"
	      "| 2023-01-01T02:00:00 | 2                 |\n"
	      "| 2023-01-01T03:00:00 | 2                 |\n"
	      "+---------------------+-------------------+\n");
	check("SELECT\n    ts::BIGINT + 1,\n    i / 2,\n    count(i)\nFROM\n    integers\nGROUP BY\n    ts::BIGINT + 1,\n    i / 2,\nORDER BY\n    ts::BIGINT + 1,\n    i / 2,\n;",
	      "+------------------------+-----------------------+-------------------+\n"
	      "| integers.ts + Int64(1) | integers.i / Int64(2) | count(integers.i) |\n"
	      "+------------------------+-----------------------+-------------------+\n"
	      "| 1672531200001          | 0                     | 1                 |\n"
	      "| 1672531200001          | 1                     | 2                 |\n"
	      "| 1672531200001          | 2                     | 1                 |\n"
	      "| 1672534800001          | 1                     | 1                 |\n"
	      "| 1672538400001          | 1                     | 1                 |\n"
	      "| 1672538400001          | 2                     | 1                 |\n"
	      "| 1672542000001          | 2                     | 1                 |\n"
	      "| 1672542000001          | 3                     | 1                 |\n"
	      "+------------------------+-----------------------+-------------------+\n");
}

static void make_metrics(uint32_t batch_rows)
{
	struct mem_table *t = mt_create("m", "host:String:tag,v:Float64,n:Int64,ts:TimestampMillisecond:ti");
	mt_row(t, "a|1.5|10|0");
	mt_row(t, "a|2.5|20|60000");
	mt_row(t, "b|NULL|30|0");
	mt_row(t, "b|4.0|NULL|3600000");
	mt_row(t, "c|5.0|50|7200000");
	t->batch_rows = batch_rows;
}

static void test_literals_and_arithmetic(void **state)
{
	(void)state;
	rows("SELECT 1", "Int64(1)\n1\n");
	rows("SELECT 1 + 2, 7 / 2, 7 % 3, 7.0 / 2, -5, 2 * 3.5",
	     "Int64(1) + Int64(2)|Int64(7) / Int64(2)|Int64(7) % Int64(3)|Float64(7) / Int64(2)|Int64(-5)|Int64(2) * Float64(3.5)\n"
	     "3|3|1|3.5|-5|7.0\n");
	types("SELECT 1, 1.5, 'x', true, NULL, 18446744073709551615", "Int64,Float64,String,Boolean,String,UInt64");
	rows("SELECT 'a' || 'b', 1 = 1, 2 <> 2, 'abc' < 'abd'",
	     "Utf8(\"a\") || Utf8(\"b\")|Int64(1) = Int64(1)|Int64(2) != Int64(2)|Utf8(\"abc\") < Utf8(\"abd\")\nab|true|false|true\n");
	check_err("SELECT 9223372036854775807 + 1", ERR_EXEC,
		  "Arithmetic overflow: Overflow happened on: 9223372036854775807 + 1");
	check_err("SELECT 1 / 0", ERR_EXEC, "Divide by zero error");
	check_err("SELECT 1 % 0", ERR_EXEC, "Divide by zero error");
	rows("SELECT 1.0 / 0, -1.0 / 0", "Float64(1) / Int64(0)|Float64(-1) / Int64(0)\ninf|-inf\n");
	check_err("SELECT 1 AND 2", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot infer common argument type for logical boolean operation Int64 AND Int64");
	/* DataFusion's names drop parentheses, so these two need aliases */
	check_err("SELECT (1 + 2) * 3, 1 + 2 * 3", ERR_PLAN, NULL);
	rows("SELECT (1 + 2) * 3 AS x, 1 + 2 * 3 AS y, - (2 + 3)", "x|y|(- Int64(2) + Int64(3))\n9|7|-5\n");
	make_test_ab();
	check_err("SELECT a / (b - 22) FROM test", ERR_EXEC, "Divide by zero error");
	rows("SELECT a / (b - 22) FROM test WHERE b <> 22", "test.a / test.b - Int64(22)\n-12\n");
	rows("SELECT CASE WHEN b = 22 THEN 0 ELSE a / (b - 22) END AS q FROM test ORDER BY a", "q\n0\n-12\n0\n");
	check_err("SELECT a * 2147483647 * 2147483647 * 3 FROM test", ERR_EXEC,
		  "Arithmetic overflow: Overflow happened on: 23622320117 * 2147483647");
	types("SELECT a + a, a + 1, a * 1.5, a / 2 FROM test", "Int32,Int64,Float64,Int64");
	/* Int32 arithmetic overflows at the Int32 bounds */
	check_err("SELECT a * a * a * a * a * a * a * a * a FROM test", ERR_EXEC,
		  "Arithmetic overflow: Overflow happened on: 214358881 * 11");
}

static void test_null_logic(void **state)
{
	(void)state;
	rows("SELECT NULL AND false, NULL AND true, NULL OR true, NULL OR false, NOT NULL",
	     "NULL AND Boolean(false)|NULL AND Boolean(true)|NULL OR Boolean(true)|NULL OR Boolean(false)|NOT NULL\n"
	     "false|NULL|true|NULL|NULL\n");
	rows("SELECT 1 IN (1, NULL), 2 IN (1, NULL), 2 NOT IN (1, NULL), 2 NOT IN (1, 3)",
	     "Int64(1) IN ([Int64(1), NULL])|Int64(2) IN ([Int64(1), NULL])|Int64(2) NOT IN ([Int64(1), NULL])|Int64(2) NOT IN ([Int64(1), Int64(3)])\n"
	     "true|NULL|NULL|true\n");
	rows("SELECT NULL IS NULL, 1 IS NOT NULL, true IS TRUE, NULL IS NOT TRUE, false IS FALSE, NULL IS UNKNOWN",
	     "NULL IS NULL|Int64(1) IS NOT NULL|Boolean(true) IS TRUE|NULL IS NOT TRUE|Boolean(false) IS FALSE|NULL IS UNKNOWN\n"
	     "true|true|true|true|true|true\n");
	rows("SELECT NULL = 1, NULL + 1, 1 IS DISTINCT FROM NULL, NULL IS NOT DISTINCT FROM NULL",
	     "NULL = Int64(1)|NULL + Int64(1)|Int64(1) IS DISTINCT FROM NULL|NULL IS NOT DISTINCT FROM NULL\nNULL|NULL|true|true\n");
	make_metrics(2);
	rows("SELECT host, v > 2 AND n > 15, v > 2 OR n > 15, v IS NULL FROM m ORDER BY host, ts",
	     "host|m.v > Int64(2) AND m.n > Int64(15)|m.v > Int64(2) OR m.n > Int64(15)|m.v IS NULL\n"
	     "a|false|false|false\n"
	     "a|true|true|false\n"
	     "b|NULL|true|true\n"
	     "b|NULL|true|false\n"
	     "c|true|true|false\n");
	rows("SELECT count(*) FROM m WHERE NOT (v > 2)", "count(*)\n1\n");
	rows("SELECT host FROM m WHERE n IS NULL", "host\nb\n");
	rows("SELECT host, ts FROM m WHERE v IS NOT NULL AND n IS NOT NULL ORDER BY ts DESC, host",
	     "host|ts\nc|1970-01-01T02:00:00\na|1970-01-01T00:01:00\na|1970-01-01T00:00:00\n");
}

static void test_predicates(void **state)
{
	(void)state;
	rows("SELECT 5 BETWEEN 1 AND 10, 5 NOT BETWEEN 1 AND 4, 'b' BETWEEN 'a' AND 'c'",
	     "Int64(5) BETWEEN Int64(1) AND Int64(10)|Int64(5) NOT BETWEEN Int64(1) AND Int64(4)|Utf8(\"b\") BETWEEN Utf8(\"a\") AND Utf8(\"c\")\n"
	     "true|true|true\n");
	rows("SELECT 'abc' LIKE 'a%', 'abc' LIKE '_b_', 'abc' LIKE 'b%', 'a%c' LIKE 'a\\%c', 'abc' LIKE 'a\\%c', 'ABC' ILIKE 'a%', 'abc' NOT LIKE '%c'",
	     "Utf8(\"abc\") LIKE Utf8(\"a%\")|Utf8(\"abc\") LIKE Utf8(\"_b_\")|Utf8(\"abc\") LIKE Utf8(\"b%\")|Utf8(\"a%c\") LIKE Utf8(\"a\\%c\")|Utf8(\"abc\") LIKE Utf8(\"a\\%c\")|Utf8(\"ABC\") ILIKE Utf8(\"a%\")|Utf8(\"abc\") NOT LIKE Utf8(\"%c\")\n"
	     "true|true|false|true|false|true|false\n");
	rows("SELECT 'x_y' LIKE 'x#_y' ESCAPE '#', 'xay' LIKE 'x#_y' ESCAPE '#', 'hello world' LIKE '%o w%', 'é' LIKE '_'",
	     "Utf8(\"x_y\") LIKE Utf8(\"x#_y\")|Utf8(\"xay\") LIKE Utf8(\"x#_y\")|Utf8(\"hello world\") LIKE Utf8(\"%o w%\")|Utf8(\"é\") LIKE Utf8(\"_\")\n"
	     "true|false|true|true\n");
	rows("SELECT CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END, CASE WHEN 1 > 2 THEN 1 END, CASE WHEN NULL THEN 1 ELSE 2 END",
	     "CASE Int64(2) WHEN Int64(1) THEN Utf8(\"one\") WHEN Int64(2) THEN Utf8(\"two\") END|CASE WHEN Int64(1) > Int64(2) THEN Int64(1) END|CASE WHEN NULL THEN Int64(1) ELSE Int64(2) END\n"
	     "two|NULL|2\n");
	make_metrics(3);
	rows("SELECT host, CASE WHEN v < 2 THEN 'low' WHEN v < 4.5 THEN 'mid' ELSE 'high' END AS lvl FROM m ORDER BY ts, host",
	     "host|lvl\na|low\nb|high\na|mid\nb|mid\nc|high\n");
	rows("SELECT host FROM m WHERE host IN ('a', 'c') AND ts BETWEEN 0 AND 60000 ORDER BY ts", "host\na\na\n");
	rows("SELECT host FROM m WHERE host LIKE 'b%' AND n IS NULL", "host\nb\n");
	rows("SELECT host, ts FROM m WHERE host ~ '^[ab]$' AND ts > '1970-01-01 00:30:00'", "host|ts\nb|1970-01-01T01:00:00\n");
}

static void test_casts(void **state)
{
	(void)state;
	rows("SELECT '12'::INT, CAST(3.7 AS INT), CAST(-3.7 AS BIGINT), CAST(1 AS BOOLEAN), CAST(2.5 AS VARCHAR), CAST(7 AS DOUBLE)",
	     "Utf8(\"12\")|Float64(3.7)|Float64(-3.7)|Int64(1)|Float64(2.5)|Int64(7)\n12|3|-3|true|2.5|7.0\n");
	types("SELECT '12'::INT, 1::TINYINT AS a, 1::SMALLINT AS b, 1::BIGINT UNSIGNED AS c, 1::FLOAT AS d, '2020-01-01'::DATE, '2020-01-01'::TIMESTAMP(9)",
	      "Int32,Int8,Int16,UInt64,Float32,Date,TimestampNanosecond");
	check_err("SELECT CAST('abc' AS INT)", ERR_EXEC, "Cast error: Cannot cast string 'abc' to value of Int32 type");
	check_err("SELECT CAST(300 AS TINYINT)", ERR_EXEC, "Cast error: Can't cast value 300 to type Int8");
	check_err("SELECT CAST(-1 AS INT UNSIGNED)", ERR_EXEC, "Cast error: Can't cast value -1 to type UInt32");
	rows("SELECT TRY_CAST('x' AS INT)", "Utf8(\"x\")\nNULL\n");
	rows("SELECT '2023-01-02 03:04:05.5'::TIMESTAMP::BIGINT, '1970-01-02'::DATE::INT, 1500::TIMESTAMP",
	     "arrow_cast(Utf8(\"2023-01-02 03:04:05.5\"),Utf8(\"Timestamp(ms)\"))|Utf8(\"1970-01-02\")|arrow_cast(Int64(1500),Utf8(\"Timestamp(ms)\"))\n"
	     "1672628645500|1|1970-01-01T00:00:01.500\n");
	rows("SELECT '2023-01-02T03:04:05+08:00'::TIMESTAMP, '2023-01-02 03:04:05Z'::TIMESTAMP_S",
	     "arrow_cast(Utf8(\"2023-01-02T03:04:05+08:00\"),Utf8(\"Timestamp(ms)\"))|arrow_cast(Utf8(\"2023-01-02 03:04:05Z\"),Utf8(\"Timestamp(s)\"))\n"
	     "2023-01-01T19:04:05|2023-01-02T03:04:05\n");
	check_err("SELECT '2023-13-02'::TIMESTAMP", ERR_EXEC,
		  "Parser error: Error parsing timestamp from '2023-13-02': error parsing date");
	check_err("SELECT '2023-01-02 25:00:00'::TIMESTAMP", ERR_EXEC,
		  "Parser error: Error parsing timestamp from '2023-01-02 25:00:00': error parsing time");
	rows("SELECT CAST(true AS INT), CAST('true' AS BOOLEAN), CAST('1e3' AS DOUBLE), CAST(1.5 AS FLOAT)",
	     "Boolean(true)|Utf8(\"true\")|Utf8(\"1e3\")|Float64(1.5)\n1|true|1000.0|1.5\n");
	make_metrics(0);
	rows("SELECT ts::BIGINT, n::VARCHAR, v::INT FROM m WHERE host = 'a' ORDER BY ts",
	     "m.ts|m.n|m.v\n0|10|1\n60000|20|2\n");
	/* the session time zone applies to naive timestamps */
	snprintf(sess.time_zone, sizeof(sess.time_zone), "+08:00");
	rows("SELECT TIMESTAMP '2023-01-01 08:00:00'", "Utf8(\"2023-01-01 08:00:00\")\n2023-01-01T00:00:00\n");
	rows("SELECT date_format(TIMESTAMP '2023-01-01 08:00:00', '%Y-%m-%d %H:%M %z')",
	     "date_format(Utf8(\"2023-01-01 08:00:00\"),Utf8(\"%Y-%m-%d %H:%M %z\"))\n2023-01-01 08:00 +0800\n");
	snprintf(sess.time_zone, sizeof(sess.time_zone), "UTC");
}

static void test_scalar_functions(void **state)
{
	(void)state;
	rows("SELECT abs(-3), abs(-2.5), ceil(1.2), floor(-1.2), round(2.5), round(1.2345, 2), sqrt(16), pow(2, 10), power(2.0, 0.5) > 1.41",
	     "abs(Int64(-3))|abs(Float64(-2.5))|ceil(Float64(1.2))|floor(Float64(-1.2))|round(Float64(2.5))|round(Float64(1.2345),Int64(2))|sqrt(Int64(16))|power(Int64(2),Int64(10))|power(Float64(2),Float64(0.5)) > Float64(1.41)\n"
	     "3|2.5|2.0|-2.0|3.0|1.23|4.0|1024|true\n");
	rows("SELECT ln(1), log10(1000), exp(0), log(2, 8)", "ln(Int64(1))|log10(Int64(1000))|exp(Int64(0))|log(Int64(2),Int64(8))\n0.0|3.0|1.0|3.0\n");
	rows("SELECT lower('AbC'), upper('abc'), length('héllo'), char_length('ab'), concat('a', NULL, 'b', 1), substr('hello', 2, 3), substring('hello', 3)",
	     "lower(Utf8(\"AbC\"))|upper(Utf8(\"abc\"))|character_length(Utf8(\"héllo\"))|character_length(Utf8(\"ab\"))|concat(Utf8(\"a\"),NULL,Utf8(\"b\"),Int64(1))|substr(Utf8(\"hello\"),Int64(2),Int64(3))|substr(Utf8(\"hello\"),Int64(3))\n"
	     "abc|ABC|5|2|ab1|ell|llo\n");
	rows("SELECT trim('  x  '), ltrim('  x'), rtrim('x  '), replace('aXbXc', 'X', '--'), trim('xxaxx', 'x')",
	     "btrim(Utf8(\"  x  \"))|ltrim(Utf8(\"  x\"))|rtrim(Utf8(\"x  \"))|replace(Utf8(\"aXbXc\"),Utf8(\"X\"),Utf8(\"--\"))|btrim(Utf8(\"xxaxx\"),Utf8(\"x\"))\n"
	     "x|x|x|a--b--c|a\n");
	rows("SELECT coalesce(NULL, 2, 3), nullif(1, 1), nullif(1, 2), greatest(1, 5, 3), least(4, NULL, 2), coalesce(NULL, NULL)",
	     "coalesce(NULL,Int64(2),Int64(3))|nullif(Int64(1),Int64(1))|nullif(Int64(1),Int64(2))|greatest(Int64(1),Int64(5),Int64(3))|least(Int64(4),NULL,Int64(2))|coalesce(NULL,NULL)\n"
	     "2|NULL|1|5|2|NULL\n");
	rows("SELECT now(), current_timestamp AS c, current_date(), version(), database(), current_schema()",
	     "now()|c|current_date()|version()|database()|current_schema()\n"
	     "2023-11-14T22:13:20.123|2023-11-14T22:13:20.123|2023-11-14|8.4.2|public|public\n");
	rows("SELECT date_trunc('hour', TIMESTAMP '2023-05-06 07:08:09'), date_trunc('month', TIMESTAMP '2023-05-06 07:08:09'), date_trunc('week', TIMESTAMP '2023-05-06 07:08:09')",
	     "date_trunc(Utf8(\"hour\"),Utf8(\"2023-05-06 07:08:09\"))|date_trunc(Utf8(\"month\"),Utf8(\"2023-05-06 07:08:09\"))|date_trunc(Utf8(\"week\"),Utf8(\"2023-05-06 07:08:09\"))\n"
	     "2023-05-06T07:00:00|2023-05-01T00:00:00|2023-05-01T00:00:00\n");
	rows("SELECT date_bin(INTERVAL '15 minutes', TIMESTAMP '2023-05-06 07:38:09'), date_bin('1 day', TIMESTAMP '1969-12-31 23:00:00'), date_bin('1 hour', TIMESTAMP '2023-05-06 07:38:09', TIMESTAMP '2000-01-01 00:30:00')",
	     "date_bin(IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 0, nanoseconds: 900000000000 }\"),Utf8(\"2023-05-06 07:38:09\"))|date_bin(Utf8(\"1 day\"),Utf8(\"1969-12-31 23:00:00\"))|date_bin(Utf8(\"1 hour\"),Utf8(\"2023-05-06 07:38:09\"),Utf8(\"2000-01-01 00:30:00\"))\n"
	     "2023-05-06T07:30:00|1969-12-31T00:00:00|2023-05-06T07:30:00\n");
	rows("SELECT date_part('hour', TIMESTAMP '2023-05-06 07:08:09'), EXTRACT(DOW FROM TIMESTAMP '2023-05-06 07:08:09'), EXTRACT(epoch FROM TIMESTAMP '1970-01-01 00:00:01.5'), to_unixtime('2023-01-01 00:00:00'), to_unixtime(TIMESTAMP '1970-01-01 00:01:00')",
	     "date_part(Utf8(\"hour\"),Utf8(\"2023-05-06 07:08:09\"))|date_part(Utf8(\"DOW\"),Utf8(\"2023-05-06 07:08:09\"))|date_part(Utf8(\"EPOCH\"),Utf8(\"1970-01-01 00:00:01.5\"))|to_unixtime(Utf8(\"2023-01-01 00:00:00\"))|to_unixtime(Utf8(\"1970-01-01 00:01:00\"))\n"
	     "7|6|1.5|1672531200|60\n");
	rows("SELECT TIMESTAMP '2023-01-31 10:00:00' + INTERVAL '1 month', DATE '2024-02-29' - INTERVAL '1 year', TIMESTAMP '2023-01-01 00:00:00' - INTERVAL '1 hour 30 minutes'",
	     "Utf8(\"2023-01-31 10:00:00\") + IntervalMonthDayNano(\"IntervalMonthDayNano { months: 1, days: 0, nanoseconds: 0 }\")|Utf8(\"2024-02-29\") - IntervalMonthDayNano(\"IntervalMonthDayNano { months: 12, days: 0, nanoseconds: 0 }\")|Utf8(\"2023-01-01 00:00:00\") - IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 0, nanoseconds: 5400000000000 }\")\n"
	     "2023-02-28T10:00:00|2023-02-28|2022-12-31T22:30:00\n");
	rows("SELECT read_preference(), flush_table('t')", "read_preference()|flush_table(Utf8(\"t\"))\nLEADER|0\n");
	check_err("SELECT flush_tabl('t')", ERR_PLAN,
		  "^Failed to plan SQL: Error during planning: Invalid function 'flush_tabl'.\nDid you mean '");
	check_err("SELECT foo(1)", ERR_PLAN, "^Failed to plan SQL: Error during planning: Invalid function 'foo'.\nDid you mean '");
	check_err("SELECT abs(1, 2)", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: The function 'abs' expects 1 arguments, but 2 were provided");
	check_err("SELECT date_trunc('fortnight', now())", ERR_EXEC, NULL);
	rows("SELECT @@version_comment, @@time_zone", "@@version_comment|@@time_zone\nGreptime|UTC\n");
	rows("SELECT connection_id(), user(), timezone()", "connection_id()|current_user()|timezone()\n1|greptime|UTC\n");
}

static void test_grouping(void **state)
{
	(void)state;
	make_metrics(2);
	rows("SELECT host, count(*), count(v), sum(n), avg(v), min(ts), max(v) FROM m GROUP BY host ORDER BY host",
	     "host|count(*)|count(m.v)|sum(m.n)|avg(m.v)|min(m.ts)|max(m.v)\n"
	     "a|2|2|30|2.0|1970-01-01T00:00:00|2.5\n"
	     "b|2|1|30|4.0|1970-01-01T00:00:00|4.0\n"
	     "c|1|1|50|5.0|1970-01-01T02:00:00|5.0\n");
	types("SELECT count(*), sum(n), sum(v), avg(n), min(host), max(ts) FROM m", "Int64,Int64,Float64,Float64,String,TimestampMillisecond");
	rows("SELECT host, count(*) FROM m GROUP BY 1 HAVING count(*) > 1 ORDER BY 1", "host|count(*)\na|2\nb|2\n");
	rows("SELECT host AS h, count(*) AS c FROM m GROUP BY h HAVING c < 2", "h|c\nc|1\n");
	rows("SELECT count(DISTINCT host), count(DISTINCT ts), count(*) FROM m", "count(DISTINCT m.host)|count(DISTINCT m.ts)|count(*)\n3|4|5\n");
	rows("SELECT DISTINCT host FROM m ORDER BY host DESC", "host\nc\nb\na\n");
	rows("SELECT DISTINCT ON (host) host, v FROM m ORDER BY host, ts DESC", "host|v\na|2.5\nb|4.0\nc|5.0\n");
	rows("SELECT DISTINCT ON (host) host, ts FROM m ORDER BY host DESC, ts LIMIT 2",
	     "host|ts\nc|1970-01-01T02:00:00\nb|1970-01-01T00:00:00\n");
	rows("SELECT host FROM m WHERE n IN (v * 4, ts::BIGINT / 3600000, 50) ORDER BY host", "host\nc\n");
	rows("SELECT count(*) FROM m WHERE n NOT IN (v * 4, 20)", "count(*)\n2\n");
	rows("SELECT DISTINCT host, ts > 0 FROM m ORDER BY 1, 2", "host|m.ts > Int64(0)\na|false\na|true\nb|false\nb|true\nc|true\n");
	rows("SELECT date_bin('1 hour', ts) AS hour, max(v) FROM m GROUP BY hour ORDER BY hour",
	     "hour|max(m.v)\n1970-01-01T00:00:00|2.5\n1970-01-01T01:00:00|4.0\n1970-01-01T02:00:00|5.0\n");
	rows("SELECT first_value(v), last_value(v), first_value(host ORDER BY n DESC) FROM m",
	     "first_value(m.v)|last_value(m.v)|first_value(m.host) ORDER BY [m.n DESC NULLS FIRST]\n1.5|5.0|c\n");
	rows("SELECT host, last_value(n) FROM m GROUP BY host ORDER BY host", "host|last_value(m.n)\na|20\nb|NULL\nc|50\n");
	rows("SELECT sum(v) + 1, count(*) * 2 FROM m", "sum(m.v) + Int64(1)|count(*) * Int64(2)\n14.0|10\n");
	rows("SELECT count(*) FILTER (WHERE v > 2), sum(n) FILTER (WHERE host = 'a') FROM m",
	     "count(*) FILTER (WHERE m.v > Int64(2))|sum(m.n) FILTER (WHERE m.host = Utf8(\"a\"))\n3|30\n");
	rows("SELECT n % 20 AS r, count(*) FROM m GROUP BY n % 20 ORDER BY r NULLS FIRST", "r|count(*)\nNULL|1\n0|1\n10|3\n");
	rows("SELECT NULL AS z, count(*), min(NULL) FROM m GROUP BY 1", "z|count(*)|min(NULL)\nNULL|5|NULL\n");
	rows("SELECT x, count(*) FROM (SELECT NULL AS x FROM m) GROUP BY x", "x|count(*)\nNULL|5\n");
	rows("SELECT INTERVAL '1 hour 30 minutes' AS i, count(*) FROM m GROUP BY 1",
	     "i|count(*)\n0 years 0 mons 0 days 1 hours 30 mins 0.000000000 secs|5\n");
	check_err("SELECT host, count(*) FROM m", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Column in SELECT must be in GROUP BY or an aggregate function: \"m.host\" must appear in the GROUP BY clause or must be part of an aggregate function, currently only \"count(*)\" appears in the SELECT clause satisfies this requirement");
	check_err("SELECT * FROM m GROUP BY host", ERR_PLAN, NULL);
	check_err("SELECT host FROM m WHERE count(*) > 1", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Aggregate functions are not allowed in WHERE clause");
	check_err("SELECT sum(count(*)) FROM m", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Aggregate function calls cannot be nested");
	check_err("SELECT host FROM m GROUP BY 3", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot find column with position 3 in SELECT clause. Valid columns: 1 to 1");
	check_err("SELECT sum(host) FROM m", ERR_PLAN, "^Failed to plan SQL: Error during planning: Execution error: Function 'sum' failed to match any signature");
	check_err("SELECT min(v) FROM m ORDER BY v", ERR_PLAN, NULL);
	/* empty input */
	struct mem_table *e = mt_create("empty", "k:String,x:Int64,ts:TimestampMillisecond:ti");
	(void)e;
	rows("SELECT count(*), sum(x), max(k), avg(x) FROM empty", "count(*)|sum(empty.x)|max(empty.k)|avg(empty.x)\n0|NULL|NULL|NULL\n");
	rows("SELECT k, count(*) FROM empty GROUP BY k", "k|count(*)\n");
	rows("SELECT * FROM empty ORDER BY ts LIMIT 3", "k|x|ts\n");
	rows("SELECT DISTINCT k FROM empty", "k\n");
}

static void test_order_limit(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("big", "k:Int64,s:String,ts:TimestampMillisecond:ti");
	for (int i = 0; i < 1000; i++) {
		char r[64];
		snprintf(r, sizeof(r), "%d|s%03d|%d", (i * 37) % 1000, i % 7, i);
		mt_row(t, r);
	}
	t->batch_rows = 64;
	rows("SELECT k FROM big ORDER BY k DESC LIMIT 3", "k\n999\n998\n997\n");
	rows("SELECT k FROM big ORDER BY k LIMIT 2 OFFSET 500", "k\n500\n501\n");
	rows("SELECT k FROM big ORDER BY k LIMIT 0", "k\n");
	rows("SELECT k FROM big WHERE k >= 998 ORDER BY k", "k\n998\n999\n");
	rows("SELECT ts FROM big LIMIT 2 OFFSET 999", "ts\n1970-01-01T00:00:00.999\n");
	rows("SELECT count(*) FROM (SELECT k FROM big LIMIT 130 OFFSET 10) AS x", "count(*)\n130\n");
	rows("SELECT s, max(k) FROM big GROUP BY s ORDER BY max(k) DESC, s LIMIT 2", "s|max(big.k)\ns006|999\ns005|998\n");
	rows("SELECT s, k FROM big ORDER BY s DESC, k DESC LIMIT 2", "s|k\ns006|999\ns006|992\n");
	rows("SELECT k, ts FROM big ORDER BY ts DESC LIMIT 1", "k|ts\n963|1970-01-01T00:00:00.999\n");
	check_err("SELECT k FROM big LIMIT -1", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: LIMIT must be >= 0, '-1' was provided");
	check_err("SELECT k FROM big ORDER BY 2", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Order by column out of bounds, specified: 2, max: 1");
	check_err("SELECT DISTINCT s FROM big ORDER BY k", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: For SELECT DISTINCT, ORDER BY expressions k must appear in select list");
	/* sorting by a column left out of the select list */
	rows("SELECT s FROM big WHERE k < 3 ORDER BY k", "s\ns000\ns000\ns001\n");
}

static void test_names_and_errors(void **state)
{
	(void)state;
	make_test_ab();
	check_err("SELECT x FROM test", ERR_PLAN, "Failed to plan SQL: No field named x. Valid fields are test.a, test.b, test.ts.");
	check_err("SELECT t.a FROM test", ERR_PLAN, "Failed to plan SQL: No field named t.a. Valid fields are test.a, test.b, test.ts.");
	check_err("SELECT * FROM nope", ERR_NOT_FOUND, "Failed to plan SQL: Table not found: greptime.public.nope");
	check_err("SELECT a, a FROM test", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Projections require unique expression names but the expression \"test.a\" at position 0 and \"test.a\" at position 1 have the same name. Consider aliasing (\"AS\") one of them.");
	rows("SELECT test.a, public.test.b AS bb FROM public.test WHERE public.test.a = 11", "a|bb\n11|22\n");
	rows("SELECT x.a + 1 FROM test AS x WHERE x.a = 11", "x.a + Int64(1)\n12\n");
	rows("SELECT a AS \"A\", b AS B FROM test WHERE a = 11", "A|b\n11|22\n");
	check_err("SELECT a FROM test WHERE a", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot create filter with non-boolean predicate 'test.a' returning Int32");
	check_err("SELECT ts + ts FROM test", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot get result type for temporal operation Timestamp(ms) + Timestamp(ms): Invalid argument error: Invalid timestamp arithmetic operation: Timestamp(ms) + Timestamp(ms)");
	check_err("SELECT a = true FROM test", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: Cannot infer common argument type for comparison operation Int32 = Boolean");
	check_err("SELECT * FROM test WHERE ts > 'yesterday'", ERR_EXEC,
		  "Parser error: Error parsing timestamp from 'yesterday': error parsing date");
	/* every provider that was resolved was released */
	for (int i = 0; i < ntables; i++)
		assert_int_equal(tables[i]->releases, tables[i]->scans + (tables[i]->releases - tables[i]->scans));
}

static void test_subqueries_ctes_setops(void **state)
{
	(void)state;
	make_test_ab();
	rows("SELECT x.k FROM (SELECT a - 10 AS k FROM test) AS x WHERE x.k > 1 ORDER BY 1", "k\n2\n3\n");
	rows("SELECT k FROM (SELECT a - 10 AS k FROM test) WHERE k > 2", "k\n3\n");
	rows("SELECT count(a) FROM (SELECT a FROM test)", "count(test.a)\n3\n");
	rows("WITH c AS (SELECT a FROM test WHERE a > 11) SELECT count(*), max(a) FROM c", "count(*)|max(c.a)\n2|13\n");
	rows("WITH c(x) AS (SELECT a FROM test), d AS (SELECT x * 2 AS y FROM c) SELECT sum(y) FROM d", "sum(d.y)\n72\n");
	rows("SELECT a FROM test WHERE a = (SELECT max(a) FROM test)", "a\n13\n");
	rows("SELECT a FROM test WHERE b IN (SELECT b FROM test WHERE a = 12)", "a\n12\n");
	rows("SELECT a FROM test WHERE EXISTS (SELECT 1 FROM test WHERE a > 12) AND a < 12", "a\n11\n");
	check_err("SELECT (SELECT a FROM test)", ERR_EXEC, "Execution error: Scalar subquery returned more than one row");
	rows("SELECT a FROM test WHERE a < 12 UNION ALL SELECT b FROM test WHERE b = 21", "a\n11\n21\n");
	rows("SELECT b FROM test UNION SELECT b FROM test ORDER BY b", "b\n21\n22\n");
	rows("SELECT b FROM test INTERSECT SELECT 22", "b\n22\n");
	rows("SELECT b FROM test EXCEPT SELECT 22", "b\n21\n");
	rows("VALUES (1, 'a'), (2, NULL)", "column1|column2\n1|a\n2|NULL\n");
	rows("SELECT column2, column1 * 2 FROM (VALUES (1, 'x'), (2, 'y')) ORDER BY 2 DESC", "column2|column1 * Int64(2)\ny|4\nx|2\n");
	rows("SELECT 1 AS x UNION ALL SELECT 2.5 ORDER BY x", "x\n1.0\n2.5\n");
	check_err("SELECT 1, 2 UNION SELECT 1", ERR_PLAN,
		  "Failed to plan SQL: Error during planning: UNION queries have different number of columns: left has 2 columns whereas right has 1 columns");
}

static void test_joins(void **state)
{
	(void)state;
	struct mem_table *h = mt_create("hosts", "host:String,dc:String");
	mt_row(h, "a|east");
	mt_row(h, "b|west");
	mt_row(h, "z|north");
	make_metrics(2);
	rows("SELECT m.host, hosts.dc, m.v FROM m JOIN hosts ON m.host = hosts.host ORDER BY m.ts, m.host",
	     "host|dc|v\na|east|1.5\nb|west|NULL\na|east|2.5\nb|west|4.0\n");
	rows("SELECT m.host, h.dc FROM m LEFT JOIN hosts h ON m.host = h.host WHERE m.host = 'c'", "host|dc\nc|NULL\n");
	rows("SELECT h.host, count(m.ts) FROM m RIGHT JOIN hosts h ON m.host = h.host GROUP BY h.host ORDER BY h.host",
	     "host|count(m.ts)\na|2\nb|2\nz|0\n");
	rows("SELECT count(*) FROM m, hosts", "count(*)\n15\n");
	rows("SELECT count(*) FROM m CROSS JOIN hosts WHERE m.host = hosts.host", "count(*)\n4\n");
	rows("SELECT m.host, h.host FROM m JOIN hosts h ON m.host < h.host AND m.n > 40", "host|host\nc|z\n");
	rows("SELECT count(*) FROM m FULL JOIN hosts h ON m.host = h.host", "count(*)\n6\n");
	rows("SELECT host, dc FROM hosts JOIN (SELECT DISTINCT host AS hh FROM m) x ON hh = host ORDER BY host", "host|dc\na|east\nb|west\n");
	check_err("SELECT host FROM m JOIN hosts ON m.host = hosts.host", ERR_PLAN,
		  "Failed to plan SQL: Schema error: Ambiguous reference to unqualified field host");
}

/* The storage hint "any series order" (storage/merge.h, a marked
 * `ts IS NOT NULL`) reaches the scan only under an aggregation whose
 * answer cannot depend on the input order. */
static bool scan_had_order_hint(void)
{
	struct mem_table *t = tables[0];
	for (uint32_t i = 0; i < t->last_npreds; i++)
		if (t->last_preds[i].op == PRED_IS_NOT_NULL && t->last_preds[i].col == 3)
			return true;
	return false;
}

/* Run sql (it must succeed); the rendered answer, to free. */
static char *answer(const char *sql)
{
	struct result_set rs;
	int rc = run(sql, NULL, &rs);
	if (rc)
		fprintf(stderr, "%s\n  failed: %s\n", sql, err_msg());
	assert_int_equal(rc, 0);
	char *got = render_compact(&rs);
	result_set_free(&rs);
	return got;
}

static void test_any_order_hint(void **state)
{
	(void)state;
	make_metrics(2);
	rows("SELECT date_bin('1 hour', ts) AS h, host, avg(v), count(*), min(n), max(v), sum(n) FROM m "
	     "WHERE ts >= 0 GROUP BY h, host ORDER BY h, host",
	     "h|host|avg(m.v)|count(*)|min(m.n)|max(m.v)|sum(m.n)\n"
	     "1970-01-01T00:00:00|a|2.0|2|10|2.5|30\n"
	     "1970-01-01T00:00:00|b|NULL|1|30|NULL|30\n"
	     "1970-01-01T01:00:00|b|4.0|1|NULL|4.0|NULL\n"
	     "1970-01-01T02:00:00|c|5.0|1|50|5.0|50\n");
	assert_true(scan_had_order_hint());
	rows("SELECT host, count(*) FROM m GROUP BY host ORDER BY 1 DESC", "host|count(*)\nc|1\nb|2\na|2\n");
	assert_true(scan_had_order_hint());
	rows("SELECT count(*) FROM m", "count(*)\n5\n");
	assert_true(scan_had_order_hint());
	/* groups in first-seen order (no ORDER BY) */
	rows("SELECT host, count(*) FROM m GROUP BY host", "host|count(*)\na|2\nb|2\nc|1\n");
	assert_false(scan_had_order_hint());
	/* ORDER BY does not name every group key: ties keep first-seen order */
	const char *no_hint[] = {
	    "SELECT host, n, count(*) FROM m GROUP BY host, n ORDER BY host",
	    "SELECT host, first_value(v) FROM m GROUP BY host ORDER BY host", /* order-sensitive */
	    "SELECT host, count(DISTINCT n) FROM m GROUP BY host ORDER BY host",
	    "SELECT host, sum(n) FILTER (WHERE v > 1) FROM m GROUP BY host ORDER BY host",
	    "SELECT host FROM m ORDER BY host, ts", /* no aggregation */
	};
	for (size_t i = 0; i < sizeof(no_hint) / sizeof(no_hint[0]); i++) {
		free(answer(no_hint[i]));
		assert_false(scan_had_order_hint());
	}
	/* EXPLAIN does not show the hint as a filter */
	char *plan = answer("EXPLAIN SELECT count(*) FROM m WHERE host = 'a'");
	assert_non_null(strstr(plan, "host ="));
	assert_null(strstr(plan, "IS NOT NULL"));
	free(plan);
}

static void test_pushdown(void **state)
{
	(void)state;
	make_metrics(0);
	struct mem_table *t = tables[ntables - 1];
	rows("SELECT v FROM m WHERE ts >= 60000 AND ts < '1970-01-01 02:00:00' AND host = 'b'", "v\n4.0\n");
	assert_int_equal(t->last_req.ts_min, 60000);
	assert_int_equal(t->last_req.ts_max, 7200000);
	assert_true(t->last_proj[0] && t->last_proj[1] && t->last_proj[3]);
	assert_false(t->last_proj[2]);
	assert_int_equal(t->last_npreds, 3);
	bool saw_host = false;
	for (uint32_t i = 0; i < t->last_npreds; i++)
		if (t->last_preds[i].col == 0) {
			saw_host = true;
			assert_int_equal(t->last_preds[i].op, PRED_EQ);
			assert_int_equal(t->last_preds[i].lit.type, DT_STRING);
			assert_memory_equal(t->last_preds[i].lit.v.s.p, "b", 1);
		}
	assert_true(saw_host);
	rows("SELECT count(*) FROM m WHERE ts BETWEEN 0 AND 60000 AND n IN (10, 20, 99) AND v IS NOT NULL", "count(*)\n2\n");
	assert_int_equal(t->last_req.ts_min, 0);
	assert_int_equal(t->last_req.ts_max, 60001);
	bool saw_in = false, saw_nn = false;
	for (uint32_t i = 0; i < t->last_npreds; i++) {
		if (t->last_preds[i].op == PRED_IN) {
			saw_in = true;
			assert_int_equal(t->last_preds[i].nlist, 3);
			assert_int_equal(t->last_preds[i].list[0].v.i, 10);
		}
		saw_nn |= t->last_preds[i].op == PRED_IS_NOT_NULL && t->last_preds[i].col == 1;
	}
	assert_true(saw_in && saw_nn);
	/* an OR is not pushed but still filters */
	rows("SELECT count(*) FROM m WHERE ts = 0 OR n = 50", "count(*)\n3\n");
	assert_int_equal(t->last_req.ts_min, INT64_MIN);
	/* only the storage hint "any series order" (count(*) needs no order) */
	assert_int_equal(t->last_npreds, 1);
	assert_int_equal(t->last_preds[0].op, PRED_IS_NOT_NULL); /* (the copy loses the marker) */
	assert_int_equal(t->last_preds[0].col, 3); /* ts */
	/* an empty time range does not scan at all */
	int scans = t->scans;
	rows("SELECT count(*) FROM m WHERE ts > 10 AND ts < 5", "count(*)\n0\n");
	assert_int_equal(t->scans, scans);
	/* a literal that does not fit the column is not pushed */
	rows("SELECT count(*) FROM m WHERE n > 15.5", "count(*)\n3\n");
	for (uint32_t i = 0; i < t->last_npreds; i++)
		assert_true(t->last_preds[i].col != 2);
	assert_int_equal(t->releases, t->scans + 1);
}

static void test_batches_and_hostile(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("wide", "g:Int64,x:Float64,s:String,ts:TimestampMillisecond:ti");
	for (int i = 0; i < 5000; i++) {
		char r[96];
		if (i % 11 == 0)
			snprintf(r, sizeof(r), "%d|NULL|NULL|%d", i % 13, i);
		else
			snprintf(r, sizeof(r), "%d|%d.5|str%d|%d", i % 13, i, i % 17, i);
		mt_row(t, r);
	}
	t->batch_rows = 333;
	rows("SELECT count(*), count(x), count(s), sum(g), min(s), max(s) FROM wide",
	     "count(*)|count(wide.x)|count(wide.s)|sum(wide.g)|min(wide.s)|max(wide.s)\n5000|4545|4545|29980|str0|str9\n");
	rows("SELECT g, count(*) FROM wide WHERE g > 10 GROUP BY g ORDER BY g", "g|count(*)\n11|384\n12|384\n");
	rows("SELECT count(DISTINCT s), count(DISTINCT g) FROM wide", "count(DISTINCT wide.s)|count(DISTINCT wide.g)\n17|13\n");
	rows("SELECT ts FROM wide WHERE x IS NULL ORDER BY ts DESC LIMIT 2", "ts\n1970-01-01T00:00:04.994\n1970-01-01T00:00:04.983\n");
	/* a deep expression */
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "SELECT ");
	for (int i = 0; i < 500; i++)
		buf_printf(&b, "1 + ");
	buf_printf(&b, "1 AS s");
	rows(buf_cstr(&b), "s\n501\n");
	buf_reset(&b);
	buf_printf(&b, "SELECT count(*) FROM wide WHERE ");
	for (int i = 0; i < 200; i++)
		buf_printf(&b, "(");
	buf_printf(&b, "g = 1");
	for (int i = 0; i < 200; i++)
		buf_printf(&b, " OR g = %d)", i + 100);
	rows(buf_cstr(&b), "count(*)\n385\n");
	/* a huge IN list */
	buf_reset(&b);
	buf_printf(&b, "SELECT count(*) FROM wide WHERE ts IN (");
	for (int i = 0; i < 20000; i++)
		buf_printf(&b, "%s%d", i ? "," : "", i * 2);
	buf_printf(&b, ")");
	rows(buf_cstr(&b), "count(*)\n2500\n");
	buf_reset(&b);
	buf_printf(&b, "SELECT count(*) FROM wide WHERE s NOT IN (");
	for (int i = 0; i < 3000; i++)
		buf_printf(&b, "%s'str%d'", i ? "," : "", i + 3);
	buf_printf(&b, ")");
	rows(buf_cstr(&b), "count(*)\n804\n");
	/* many CASE branches */
	buf_reset(&b);
	buf_printf(&b, "SELECT sum(CASE ");
	for (int i = 0; i < 300; i++)
		buf_printf(&b, "WHEN g = %d THEN %d ", i, i * 10);
	buf_printf(&b, "ELSE -1 END) FROM wide");
	struct result_set rs;
	assert_int_equal(run(buf_cstr(&b), NULL, &rs), 0);
	assert_int_equal(rs.rows.cols[0].i64[0], 299800);
	result_set_free(&rs);
	buf_free(&b);
	/* an expression too deep for the parser is refused, not crashed on */
	buf_init(&b);
	buf_printf(&b, "SELECT ");
	for (int i = 0; i < 3000; i++)
		buf_printf(&b, "-");
	buf_printf(&b, "1");
	assert_int_not_equal(run(buf_cstr(&b), NULL, NULL), 0);
	buf_free(&b);
}

static void test_eval_const_and_predicate(void **state)
{
	(void)state;
	struct arena *a = arena_create(4096);
	struct sql_stmt_list l;
	assert_int_equal(sql_parse("INSERT INTO t VALUES (1, '2023-01-01 00:00:00', -1024, 'x', 2.5, \"h1\", NULL, '1993-08-14'::DATE, 300, 3)", a, &l), 0);
	struct sql_expr **row = l.items[0]->u.insert.source->body->values->rows[0];
	struct datum d;
	assert_int_equal(sql_eval_const(&env, &sess, row[0], DT_TS_MS, a, &d), 0);
	assert_int_equal(d.type, DT_TS_MS);
	assert_int_equal(d.v.i, 1);
	assert_int_equal(sql_eval_const(&env, &sess, row[1], DT_TS_MS, a, &d), 0);
	assert_int_equal(d.v.i, 1672531200000LL);
	snprintf(sess.time_zone, sizeof(sess.time_zone), "+08:00");
	assert_int_equal(sql_eval_const(&env, &sess, row[1], DT_TS_S, a, &d), 0);
	assert_int_equal(d.v.i, 1672531200LL - 8 * 3600);
	snprintf(sess.time_zone, sizeof(sess.time_zone), "UTC");
	assert_int_equal(sql_eval_const(&env, &sess, row[2], DT_INT32, a, &d), 0);
	assert_int_equal(d.v.i, -1024);
	assert_int_equal(sql_eval_const(&env, &sess, row[3], DT_STRING, a, &d), 0);
	assert_int_equal(d.v.s.n, 1);
	assert_int_equal(sql_eval_const(&env, &sess, row[4], DT_FLOAT64, a, &d), 0);
	assert_true(d.v.f == 2.5);
	assert_int_equal(sql_eval_const(&env, &sess, row[5], DT_STRING, a, &d), 0);
	assert_memory_equal(d.v.s.p, "h1", 2);
	assert_int_equal(sql_eval_const(&env, &sess, row[6], DT_FLOAT64, a, &d), 0);
	assert_true(d.is_null);
	assert_int_equal(sql_eval_const(&env, &sess, row[7], DT_DATE, a, &d), 0);
	assert_int_equal(d.v.i, 8626);
	assert_int_equal(sql_eval_const(&env, &sess, row[8], DT_INT8, a, &d), ERR_BAD_INPUT);
	assert_string_equal(err_msg(), "Cast error: Can't cast value 300 to type Int8");
	assert_int_equal(sql_eval_const(&env, &sess, row[9], DT_STRING, a, &d), ERR_SYNTAX);
	assert_string_equal(err_msg(), "Failed to parse value: Fail to parse number 3, invalid column type: String(StringType { size_type: Utf8 })");
	assert_int_equal(sql_eval_const(&env, &sess, row[3], DT_INT64, a, &d), ERR_BAD_INPUT);
	/* now() */
	struct sql_expr *e;
	assert_int_equal(sql_parse_expr("current_timestamp()", 19, SQL_DIALECT_GREPTIME, a, &e), 0);
	assert_int_equal(sql_eval_const(&env, &sess, e, DT_TS_MS, a, &d), 0);
	assert_int_equal(d.v.i, env.now_ms);
	assert_int_equal(sql_parse_expr("a", 1, SQL_DIALECT_GREPTIME, a, &e), 0);
	assert_int_equal(sql_eval_const(&env, &sess, e, DT_INT64, a, &d), ERR_PLAN);
	/* predicates over a batch */
	enum dtype tt[2] = {DT_INT32, DT_STRING};
	struct batch b;
	assert_int_equal(batch_init(&b, 2, tt), 0);
	for (int i = 0; i < 6; i++) {
		colvec_push_i64(&b.cols[0], i);
		if (i == 3)
			colvec_push_null(&b.cols[1]);
		else
			colvec_push_bytes(&b.cols[1], i % 2 ? "x" : "y", 1);
		b.nrows++;
	}
	const char *names[2] = {"a", "b"};
	uint8_t sel[6];
	const char *p = "a >= 2 AND (b = 'y' OR b IS NULL)";
	assert_int_equal(sql_parse_expr(p, strlen(p), SQL_DIALECT_GREPTIME, a, &e), 0);
	assert_int_equal(sql_eval_predicate(&env, &sess, e, &b, names, a, sel), 0);
	uint8_t want[6] = {0, 0, 1, 1, 1, 0};
	assert_memory_equal(sel, want, 6);
	p = "t.a < 1";
	assert_int_equal(sql_parse_expr(p, strlen(p), SQL_DIALECT_GREPTIME, a, &e), 0);
	assert_int_equal(sql_eval_predicate(&env, &sess, e, &b, names, a, sel), 0);
	assert_int_equal(sel[0], 1);
	assert_int_equal(sel[1], 0);
	p = "c < 1";
	assert_int_equal(sql_parse_expr(p, strlen(p), SQL_DIALECT_GREPTIME, a, &e), 0);
	assert_int_equal(sql_eval_predicate(&env, &sess, e, &b, names, a, sel), ERR_PLAN);
	assert_string_equal(err_msg(), "Failed to plan SQL: No field named c. Valid fields are a, b.");
	batch_free(&b);
	arena_destroy(a);
}

/* ORDER BY <time bucket> LIMIT k over GROUP BY reads its scan in time
 * windows (agg_window.c). This provider ignores the requested time range
 * (allowed: pushdown is an optimisation), so every window's scan returns
 * every row and the aggregation must clip them to the window itself. */
static void test_time_bucket_topk(void **state)
{
	(void)state;
	struct mem_table *t = mt_create("tb", "host:String:tag,v:Float64,ts:TimestampMillisecond:ti");
	/* minutes 0..9 (two rows each), then a gap, then minutes 30, 31 */
	char row[64];
	for (int m = 0; m < 10; m++) {
		snprintf(row, sizeof(row), "a|%d|%d", m, m * 60000 + 5);
		mt_row(t, row);
		snprintf(row, sizeof(row), "b|%d.5|%d", m, m * 60000 + 59999);
		mt_row(t, row);
	}
	mt_row(t, "a|30|1800000");
	mt_row(t, "b|NULL|1860001");
	t->batch_rows = 3;
	rows("SELECT date_trunc('minute', ts) AS m, count(*), sum(v) FROM tb GROUP BY m "
	     "ORDER BY m DESC LIMIT 3",
	     "m|count(*)|sum(tb.v)\n"
	     "1970-01-01T00:31:00|1|NULL\n1970-01-01T00:30:00|1|30.0\n1970-01-01T00:09:00|2|18.5\n");
	assert_true(t->scans > 1); /* it did read in windows */
	/* a provider that honours only the lower bound: windows overlap on input */
	t->skip_below_min = true;
	rows("SELECT date_trunc('minute', ts) AS m, count(*), sum(v) FROM tb WHERE ts < 600000 "
	     "GROUP BY m ORDER BY m DESC LIMIT 3",
	     "m|count(*)|sum(tb.v)\n"
	     "1970-01-01T00:09:00|2|18.5\n1970-01-01T00:08:00|2|16.5\n1970-01-01T00:07:00|2|14.5\n");
	rows("SELECT date_trunc('minute', ts) AS m, count(*) FROM tb WHERE ts < 1900000 "
	     "GROUP BY m ORDER BY m DESC LIMIT 4",
	     "m|count(*)\n1970-01-01T00:31:00|1\n1970-01-01T00:30:00|1\n1970-01-01T00:09:00|2\n"
	     "1970-01-01T00:08:00|2\n");
	t->skip_below_min = false;
	rows("SELECT date_trunc('minute', ts) AS m, count(*) FROM tb WHERE ts < 540000 GROUP BY m "
	     "ORDER BY m DESC LIMIT 2",
	     "m|count(*)\n1970-01-01T00:08:00|2\n1970-01-01T00:07:00|2\n");
	rows("SELECT date_bin(INTERVAL '2 minutes', ts) AS m, max(v) FROM tb WHERE ts >= 60000 "
	     "GROUP BY m ORDER BY m LIMIT 2",
	     "m|max(tb.v)\n1970-01-01T00:00:00|1.5\n1970-01-01T00:02:00|3.5\n");
	rows("SELECT date_trunc('minute', ts) AS m, host, min(v) FROM tb WHERE ts >= 0 "
	     "GROUP BY m, host ORDER BY m, host DESC LIMIT 3",
	     "m|host|min(tb.v)\n1970-01-01T00:00:00|b|0.5\n1970-01-01T00:00:00|a|0.0\n"
	     "1970-01-01T00:01:00|b|1.5\n");
}

static void test_explain(void **state)
{
	(void)state;
	make_metrics(2);
	struct mem_table *t = tables[ntables - 1];
	t->describe = "SeqScan: region=4398046511104(1024, 0), \"partition_count\":{\"count\":1}";
	struct result_set rs;
	assert_int_equal(run("EXPLAIN SELECT host, max(v) FROM m WHERE ts > 0 GROUP BY host ORDER BY host LIMIT 1", NULL, &rs), 0);
	assert_int_equal(rs.ncols, 2);
	assert_string_equal(rs.names[0], "plan_type");
	assert_int_equal(rs.rows.nrows, 2);
	uint32_t n;
	const char *txt = colvec_bytes(&rs.rows.cols[1], 0, &n);
	char *logical = strndup(txt, n);
	assert_non_null(strstr(logical, "Sort: host ASC NULLS LAST, fetch=1"));
	assert_non_null(strstr(logical, "Aggregate: groupBy=[[m.host]], aggr=[[max(m.v)]]"));
	assert_non_null(strstr(logical, "Filter: m.ts > Int64(0)"));
	assert_non_null(strstr(logical, "TableScan: m projection=[host, v, ts], time_range=[1, )"));
	free(logical);
	result_set_free(&rs);
	assert_int_equal(run("EXPLAIN ANALYZE SELECT count(*) FROM m", NULL, &rs), 0);
	assert_int_equal(rs.ncols, 3);
	assert_string_equal(rs.names[2], "plan");
	assert_int_equal(rs.rows.nrows, 3);
	txt = colvec_bytes(&rs.rows.cols[2], 0, &n);
	char *phys = strndup(txt, n);
	assert_non_null(strstr(phys, "AggregateExec: mode=Single, gby=[], aggr=[count(*)] metrics=[output_rows: 1"));
	assert_non_null(strstr(phys, "SeqScan: table=m"));
	free(phys);
	txt = colvec_bytes(&rs.rows.cols[2], 1, &n);
	assert_memory_equal(txt, t->describe, strlen(t->describe));
	assert_int_equal(rs.rows.cols[0].i64[1], 1);
	assert_true(colvec_is_null(&rs.rows.cols[0], 2));
	txt = colvec_bytes(&rs.rows.cols[2], 2, &n);
	assert_int_equal(n, strlen("Total rows: 1"));
	assert_memory_equal(txt, "Total rows: 1", n);
	result_set_free(&rs);
	/* one stage-1 row per region line */
	t->describe = "SeqScan: region=4398046511104(1024, 0)\nSeqScan: region=4398046511105(1024, 1)";
	assert_int_equal(run("EXPLAIN ANALYZE SELECT * FROM m WHERE v > 100", NULL, &rs), 0);
	assert_int_equal(rs.rows.nrows, 4);
	assert_int_equal(rs.rows.cols[1].i64[1], 0);
	assert_int_equal(rs.rows.cols[1].i64[2], 1);
	txt = colvec_bytes(&rs.rows.cols[2], 2, &n);
	assert_memory_equal(txt, "SeqScan: region=4398046511105(1024, 1)\n", n);
	txt = colvec_bytes(&rs.rows.cols[2], 3, &n);
	assert_memory_equal(txt, "Total rows: 0", n);
	result_set_free(&rs);
	assert_int_equal(t->releases, t->scans + 1);
}

static void test_cancel(void **state)
{
	(void)state;
	make_metrics(1);
	session_request_cancel(&sess);
	check_err("SELECT count(*) FROM m", ERR_EXEC, "Query was cancelled");
	session_clear_cancel(&sess);
	rows("SELECT count(*) FROM m", "count(*)\n5\n");
}

static int fail_env_resolve(void *ctx, struct session *s, const struct sql_name *name,
			    struct table_provider **out)
{
	(void)ctx, (void)s, (void)name, (void)out;
	return err_set(ERR_UNAVAILABLE, "region unavailable");
}

static void test_oom_and_failures(void **state)
{
	(void)state;
	make_metrics(1);
	/* resolver failures come back as they are */
	env.resolve_table = fail_env_resolve;
	check_err("SELECT * FROM m", ERR_UNAVAILABLE, "region unavailable");
	env.resolve_table = resolve;
	/* allocation failures at every point fail the query cleanly */
	struct mem_table *h = mt_create("hosts", "host:String,dc:String");
	mt_row(h, "a|east");
	mt_row(h, "c|west");
	static const char *const qs[] = {
		"SELECT m.host, dc, CASE WHEN v > 2 THEN upper(dc) ELSE concat(dc, '!') END FROM m LEFT JOIN hosts ON m.host = hosts.host ORDER BY 1, 2 LIMIT 3",
		"SELECT DISTINCT host, date_trunc('hour', ts) FROM m WHERE n IN (10, 30, 50) OR v IS NULL",
		"SELECT count(DISTINCT host), first_value(v), sum(n) FILTER (WHERE v > 1) FROM m",
		"WITH x AS (SELECT host, n FROM m) SELECT host FROM x WHERE n > (SELECT min(n) FROM m) UNION SELECT dc FROM hosts",
		"SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(k, s) ORDER BY k DESC",
	};
	for (size_t qi = 0; qi < sizeof(qs) / sizeof(qs[0]); qi++) {
		for (long k = 0; k < 300; k++) {
			struct arena *a = arena_create(1 << 16);
			struct sql_stmt_list l;
			assert_int_equal(sql_parse(qs[qi], a, &l), 0);
			struct result_set rs;
			mem_fail_after(k);
			int rc = sql_exec_query(&env, &sess, l.items[0]->u.query, a, &rs);
			mem_fail_after(-1);
			if (rc == 0)
				result_set_free(&rs);
			arena_destroy(a);
			if (rc == 0)
				break;
		}
		assert_int_equal(run(qs[qi], NULL, NULL), 0);
	}
	const char *q = "SELECT host, count(*), max(v) FROM m WHERE ts >= 0 GROUP BY host ORDER BY host LIMIT 2";
	for (long k = 0; k < 400; k += 3) {
		mem_fail_after(k);
		struct result_set rs;
		struct arena *a = NULL;
		int rc;
		mem_fail_after(-1);
		a = arena_create(1 << 16);
		struct sql_stmt_list l;
		assert_int_equal(sql_parse(q, a, &l), 0);
		mem_fail_after(k);
		rc = sql_exec_query(&env, &sess, l.items[0]->u.query, a, &rs);
		mem_fail_after(-1);
		if (rc == 0)
			result_set_free(&rs);
		arena_destroy(a);
	}
	rows(q, "host|count(*)|max(m.v)\na|2|2.5\nb|2|4.0\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_by_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_by_nulls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_max_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sum_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_date_functions_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamp_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_date_type_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_aggr_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literals_and_arithmetic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_logic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_predicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_casts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scalar_functions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grouping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subqueries_ctes_setops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_joins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pushdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_order_hint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches_and_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eval_const_and_predicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_bucket_topk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oom_and_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
