/* Unit tests for src/server/http_server and src/server/json_out: a server
 * on a free port in-process with a tiny handler and ingest callback,
 * driven by libcurl. Covers /v1/sql JSON shapes (rows, affected rows,
 * errors), parameters and headers reaching the session, the InfluxDB write
 * endpoints, /health, /ping, /metrics, 404/405/413/415, authentication,
 * concurrency, and the JSON value formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "server/http_server.h"
#include "server/json_out.h"
#include "server/line_protocol.h"

/* ---- the test engine ----------------------------------------------------------- */

struct engine {
	pthread_mutex_t mu;
	/* last session seen by execute / ingest */
	char catalog[64], schema[128], tz[64], user[64];
	int pref;
	char last_sql[256];
	atomic_int running, max_running;
	atomic_int sessions_done;
	/* ingest */
	int ingest_calls;
	int ingest_rc;
	uint32_t ntables;
	uint64_t nrows;
	char first_table[64];
	char first_tag[64];
	int64_t first_ts;
	double first_field;
};

static void remember_session(struct engine *e, const struct session *s)
{
	pthread_mutex_lock(&e->mu);
	snprintf(e->catalog, sizeof(e->catalog), "%s", s->catalog);
	snprintf(e->schema, sizeof(e->schema), "%s", s->schema);
	snprintf(e->tz, sizeof(e->tz), "%s", s->time_zone);
	snprintf(e->user, sizeof(e->user), "%s", s->user);
	e->pref = s->read_preference;
	pthread_mutex_unlock(&e->mu);
}

static int emit_rows(query_emit_fn emit, void *ectx)
{
	const char *names[] = {"i", "f", "s", "b", "ts", "u", "d", "bin", "f32"};
	enum dtype types[] = {DT_INT64,  DT_FLOAT64, DT_STRING, DT_BOOL,   DT_TS_MS,
	                      DT_UINT64, DT_DATE,    DT_BINARY, DT_FLOAT32};
	struct query_result q = {.kind = QUERY_ROWS};
	if (result_set_init(&q.rs, 9, names, types))
		return ERR_NOMEM;
	struct colvec *c = q.rs.rows.cols;
	colvec_push_i64(&c[0], -7);
	colvec_push_null(&c[0]);
	colvec_push_f64(&c[1], 0.1);
	colvec_push_f64(&c[1], NAN);
	colvec_push_bytes(&c[2], "a\"b\n", 4);
	colvec_push_bytes(&c[2], "\xe6\x9d\xb1\xe4\xba\xac", 6);
	colvec_push_i64(&c[3], 1);
	colvec_push_i64(&c[3], 0);
	colvec_push_i64(&c[4], 1667446797450);
	colvec_push_null(&c[4]);
	colvec_push_i64(&c[5], -1); /* UINT64_MAX */
	colvec_push_i64(&c[5], 0);
	colvec_push_i64(&c[6], 19000);
	colvec_push_i64(&c[6], -1);
	colvec_push_bytes(&c[7], "\x01\xff", 2);
	colvec_push_bytes(&c[7], "", 0);
	colvec_push_f64(&c[8], (double)0.1f);
	colvec_push_f64(&c[8], 1e16);
	q.rs.rows.nrows = 2;
	int rc = emit(ectx, &q);
	result_set_free(&q.rs);
	(void)rc;
	return ERR_OK;
}

static int test_execute(void *ctx, struct session *s, const char *sql, size_t len,
                        query_emit_fn emit, void *ectx)
{
	struct engine *e = ctx;
	remember_session(e, s);
	char q[256];
	snprintf(q, sizeof(q), "%.*s", (int)(len < 255 ? len : 255), sql);
	pthread_mutex_lock(&e->mu);
	snprintf(e->last_sql, sizeof(e->last_sql), "%s", q);
	pthread_mutex_unlock(&e->mu);
	if (!strcmp(q, "select rows"))
		return emit_rows(emit, ectx);
	if (!strcmp(q, "insert")) {
		struct query_result r = {.kind = QUERY_AFFECTED, .affected = 3};
		emit(ectx, &r);
		return ERR_OK;
	}
	if (!strcmp(q, "set")) {
		struct query_result r = {.kind = QUERY_OK};
		emit(ectx, &r);
		return ERR_OK;
	}
	if (!strcmp(q, "multi")) {
		emit_rows(emit, ectx);
		struct query_result r = {.kind = QUERY_AFFECTED, .affected = 1};
		emit(ectx, &r);
		return ERR_OK;
	}
	if (!strcmp(q, "bad")) {
		struct query_result r = {.kind = QUERY_ERROR,
		                         .err = ERR_SYNTAX,
		                         .greptime_status = 2000,
		                         .err_msg =
		                             "Invalid SQL syntax: sql parser error: \"bad\""};
		emit(ectx, &r);
		return ERR_OK;
	}
	if (!strcmp(q, "partial")) {
		struct query_result r = {.kind = QUERY_AFFECTED, .affected = 1};
		emit(ectx, &r);
		struct query_result x = {.kind = QUERY_ERROR,
		                         .err = ERR_NOT_FOUND,
		                         .err_msg = "Table not found: greptime.public.nope"};
		emit(ectx, &x);
		return ERR_OK;
	}
	if (!strcmp(q, "fail"))
		return err_set(ERR_INTERNAL, "engine exploded");
	if (!strcmp(q, "sleep")) {
		int now = atomic_fetch_add(&e->running, 1) + 1;
		int m = atomic_load(&e->max_running);
		while (now > m && !atomic_compare_exchange_weak(&e->max_running, &m, now))
			;
		clock_sleep_ms(300);
		atomic_fetch_sub(&e->running, 1);
		struct query_result r = {.kind = QUERY_OK};
		emit(ectx, &r);
		return ERR_OK;
	}
	return ERR_OK; /* anything else: no statements */
}

static void test_session_done(void *ctx, struct session *s)
{
	(void)s;
	struct engine *e = ctx;
	atomic_fetch_add(&e->sessions_done, 1);
}

static int test_ingest(void *ctx, struct session *s, const struct lp_batch *b)
{
	struct engine *e = ctx;
	remember_session(e, s);
	pthread_mutex_lock(&e->mu);
	e->ingest_calls++;
	e->ntables = b->ntables;
	e->nrows = b->nrows;
	if (b->ntables) {
		const struct lp_table *t = b->tables[0];
		snprintf(e->first_table, sizeof(e->first_table), "%s", t->name);
		int hc = lp_table_col(t, "host");
		if (hc >= 0) {
			uint32_t n;
			const char *p = colvec_bytes(&t->rows.cols[hc], 0, &n);
			snprintf(e->first_tag, sizeof(e->first_tag), "%.*s", (int)n, p);
		}
		e->first_ts = t->rows.cols[t->ts_col].i64[0];
		int fc = lp_table_col(t, "cpu");
		if (fc >= 0)
			e->first_field = t->rows.cols[fc].f64[0];
	}
	int rc = e->ingest_rc;
	pthread_mutex_unlock(&e->mu);
	if (rc)
		return err_set(rc, "ingest failed on purpose");
	return ERR_OK;
}

static int engine_metrics(void *ctx, struct buf *out)
{
	(void)ctx;
	return buf_printf(out, "# TYPE test_metric gauge\ntest_metric 42\n");
}

/* ---- fixture and client ------------------------------------------------------------ */

struct fixture {
	struct engine e;
	struct http_server *srv;
	char base[64];
};

static int start(void **state, const struct wire_user *users, size_t nusers, size_t max_body)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	pthread_mutex_init(&fx->e.mu, NULL);
	struct http_options o;
	http_options_default(&o);
	o.bind_addr = "127.0.0.1";
	o.port = 0;
	o.handler.ctx = &fx->e;
	o.handler.execute = test_execute;
	o.session_done = test_session_done;
	o.ingest = test_ingest;
	o.ingest_ctx = &fx->e;
	o.metrics = engine_metrics;
	o.max_body_bytes = max_body;
	o.users = users;
	o.nusers = nusers;
	if (http_server_start(&o, &fx->srv) != ERR_OK)
		return -1;
	snprintf(fx->base, sizeof(fx->base), "http://127.0.0.1:%u", http_server_port(fx->srv));
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return start(state, NULL, 0, 4096);
}

static int setup_default_limit(void **state)
{
	return start(state, NULL, 0, 0);
}

static int setup_auth(void **state)
{
	static const struct wire_user users[] = {{"alice", "pw"}, {"bob", "b:o:b"}};
	return start(state, users, 2, 4096);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	http_server_stop(fx->srv);
	pthread_mutex_destroy(&fx->e.mu);
	free(fx);
	return 0;
}

struct resp {
	long status;
	struct buf body;
	struct buf headers;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	buf_append(ud, p, sz * n);
	return sz * n;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t on_read(char *dst, size_t sz, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = sz * n < u->left ? sz * n : u->left;
	memcpy(dst, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* Perform a request; body may be NULL. `chunked` streams the body with
 * Transfer-Encoding: chunked. hdrs: NULL-terminated list. */
static void request(struct fixture *fx, const char *method, const char *path, const char *body,
                    size_t blen, int chunked, const char **hdrs, struct resp *out)
{
	CURL *c = curl_easy_init();
	assert_non_null(c);
	char url[4096];
	snprintf(url, sizeof(url), "%s%s", fx->base, path);
	buf_init(&out->body);
	buf_init(&out->headers);
	struct curl_slist *hl = NULL;
	for (const char **h = hdrs; h && *h; h++)
		hl = curl_slist_append(hl, *h);
	struct upload up = {body, blen};
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body && chunked) {
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	}
	if (hl)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		fail_msg("curl %s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	buf_cstr(&out->body);
	buf_cstr(&out->headers);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
}

static void get(struct fixture *fx, const char *path, struct resp *out)
{
	request(fx, "GET", path, NULL, 0, 0, NULL, out);
}

static void post(struct fixture *fx, const char *path, const char *body, struct resp *out)
{
	request(fx, "POST", path, body, strlen(body), 0, NULL, out);
}

static void resp_free(struct resp *r)
{
	buf_free(&r->body);
	buf_free(&r->headers);
}

static const char *body(const struct resp *r)
{
	return r->body.data ? (char *)r->body.data : "";
}

/* The body with the trailing "execution_time_ms":N} cut at the number. */
static void assert_body_prefix(const struct resp *r, const char *want)
{
	const char *b = body(r);
	const char *cut = strstr(b, "\"execution_time_ms\":");
	assert_non_null(cut);
	size_t n = (size_t)(cut - b) + strlen("\"execution_time_ms\":");
	if (strlen(want) != n || strncmp(b, want, n))
		fail_msg("body\n  %s\nwant prefix\n  %s", b, want);
	const char *p = b + n;
	while (*p >= '0' && *p <= '9')
		p++;
	assert_string_equal(p, "}");
}

static int has_header(const struct resp *r, const char *line)
{
	return strcasestr((const char *)r->headers.data, line) != NULL;
}

/* ---- json_out ---------------------------------------------------------------------- */

static void test_json_double(void **state)
{
	(void)state;
	struct {
		double d;
		const char *want;
	} cases[] = {
	    {0.1, "0.1"},
	    {1.0, "1.0"},
	    {100.0, "100.0"},
	    {-0.0, "-0.0"},
	    {0.0, "0.0"},
	    {66.6, "66.6"},
	    {123456.789, "123456.789"},
	    {1e15, "1000000000000000.0"},
	    {1e16, "1e16"},
	    {1.5e16, "1.5e16"},
	    {2.5e20, "2.5e20"},
	    {1.23e22, "1.23e22"},
	    {0.0001, "0.0001"},
	    {0.00001, "0.00001"},
	    {1.5e-5, "0.000015"},
	    {1e-6, "1e-6"},
	    {1.5e-7, "1.5e-7"},
	    {5e-324, "5e-324"},
	    {1.7976931348623157e308, "1.7976931348623157e308"},
	    {0.30000000000000004, "0.30000000000000004"},
	    {-2.5, "-2.5"},
	    {(double)0.1f, "0.10000000149011612"},
	    {NAN, "null"},
	    {INFINITY, "null"},
	    {-INFINITY, "null"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b);
		assert_int_equal(json_out_double(&b, cases[i].d), ERR_OK);
		buf_cstr(&b);
		if (strcmp((char *)b.data, cases[i].want))
			fail_msg("%.17g: got %s want %s", cases[i].d, (char *)b.data,
			         cases[i].want);
		buf_free(&b);
	}
	/* every output reads back to the same double */
	unsigned seed = 7;
	for (int i = 0; i < 20000; i++) {
		uint64_t bits = 0;
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			bits = bits << 16 | (seed >> 8 & 0xffff);
		}
		double d;
		memcpy(&d, &bits, 8);
		if (!isfinite(d))
			continue;
		struct buf b;
		buf_init(&b);
		json_out_double(&b, d);
		buf_cstr(&b);
		double back = strtod((char *)b.data, NULL);
		if (memcmp(&back, &d, 8))
			fail_msg("%.17g printed as %s", d, (char *)b.data);
		buf_free(&b);
	}
}

static void test_json_string(void **state)
{
	(void)state;
	struct {
		const char *in;
		size_t n;
		const char *want;
	} cases[] = {
	    {"plain", 5, "\"plain\""},
	    {"q\"b\\s/", 6, "\"q\\\"b\\\\s/\""},
	    {"\n\r\t\b\f\x01\x1f\x7f", 8, "\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\""},
	    {"\xe6\x9d\xb1", 3, "\"\xe6\x9d\xb1\""},
	    {"a\xff"
	     "b",
	     3,
	     "\"a\xef\xbf\xbd"
	     "b\""},
	    {"\xe6\x9d", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"nul\0x", 5, "\"nul\\u0000x\""},
	    {"", 0, "\"\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b);
		assert_int_equal(json_out_string(&b, cases[i].in, cases[i].n), ERR_OK);
		buf_cstr(&b);
		assert_string_equal((char *)b.data, cases[i].want);
		/* always valid JSON */
		cJSON *j = cJSON_Parse((char *)b.data);
		assert_non_null(j);
		cJSON_Delete(j);
		buf_free(&b);
	}
	struct {
		int g, http;
	} st[] = {{0, 200},    {1001, 400}, {1004, 400}, {2000, 400}, {3000, 400}, {4001, 400},
	          {4004, 400}, {1003, 500}, {1000, 500}, {3001, 500}, {5000, 503}, {4010, 503},
	          {7002, 401}, {7003, 401}, {7005, 403}, {6001, 429}, {1005, 504}, {4007, 401}};
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		assert_int_equal(json_http_status(st[i].g), st[i].http);
}

/* ---- /v1/sql ------------------------------------------------------------------------- */

#define ROWS_JSON                                                                                  \
	"{\"records\":{\"schema\":{\"column_schemas\":["                                           \
	"{\"name\":\"i\",\"data_type\":\"Int64\"},{\"name\":\"f\",\"data_type\":\"Float64\"},"     \
	"{\"name\":\"s\",\"data_type\":\"String\"},{\"name\":\"b\",\"data_type\":\"Boolean\"},"    \
	"{\"name\":\"ts\",\"data_type\":\"TimestampMillisecond\"},"                                \
	"{\"name\":\"u\",\"data_type\":\"UInt64\"},{\"name\":\"d\",\"data_type\":\"Date\"},"       \
	"{\"name\":\"bin\",\"data_type\":\"Binary\"},{\"name\":\"f32\",\"data_type\":\"Float32\"}" \
	"]},\"rows\":["                                                                            \
	"[-7,0.1,\"a\\\"b\\n\",true,1667446797450,18446744073709551615,19000,[1,255],"             \
	"0.10000000149011612],"                                                                    \
	"[null,null,\"\xe6\x9d\xb1\xe4\xba\xac\",false,null,0,-1,[],1e16]"                         \
	"],\"total_rows\":2}}"

static void test_sql_rows(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	post(fx, "/v1/sql", "sql=select+rows", &r);
	assert_int_equal(r.status, 200);
	assert_body_prefix(&r, "{\"output\":[" ROWS_JSON "],\"execution_time_ms\":");
	assert_true(has_header(&r, "content-type: application/json"));
	assert_true(has_header(&r, "x-greptime-format: greptimedb_v1"));
	assert_true(has_header(&r, "x-greptime-execution-time: "));
	cJSON *j = cJSON_Parse(body(&r));
	assert_non_null(j);
	cJSON_Delete(j);
	resp_free(&r);

	/* GET with the query string works the same; db reaches the session */
	get(fx, "/v1/sql?sql=select%20rows&db=metrics", &r);
	assert_int_equal(r.status, 200);
	assert_body_prefix(&r, "{\"output\":[" ROWS_JSON "],\"execution_time_ms\":");
	assert_string_equal(fx->e.schema, "metrics");
	assert_string_equal(fx->e.catalog, "greptime");
	assert_string_equal(fx->e.user, "greptime");
	resp_free(&r);

	/* limit truncates rows but keeps total_rows */
	post(fx, "/v1/sql?limit=1", "sql=select+rows", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(body(&r), "\"rows\":[[-7,"));
	assert_null(strstr(body(&r), "[null,null"));
	assert_non_null(strstr(body(&r), "\"total_rows\":2"));
	resp_free(&r);

	/* several statements: one output each */
	post(fx, "/v1/sql", "sql=multi", &r);
	assert_int_equal(r.status, 200);
	assert_body_prefix(&r, "{\"output\":[" ROWS_JSON
	                       ",{\"affectedrows\":1}],\"execution_time_ms\":");
	resp_free(&r);
}

static void test_sql_affected_and_empty(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	post(fx, "/v1/sql?db=greptime-public", "sql=insert", &r);
	assert_int_equal(r.status, 200);
	assert_body_prefix(&r, "{\"output\":[{\"affectedrows\":3}],\"execution_time_ms\":");
	assert_string_equal(fx->e.catalog, "greptime");
	assert_string_equal(fx->e.schema, "public");
	resp_free(&r);
	/* form body parameters, percent-encoded */
	post(fx, "/v1/sql", "db=cat%2Done-my+db&sql=set", &r);
	assert_int_equal(r.status, 200);
	assert_body_prefix(&r, "{\"output\":[{\"affectedrows\":0}],\"execution_time_ms\":");
	assert_string_equal(fx->e.catalog, "cat");
	assert_string_equal(fx->e.schema, "one-my db");
	resp_free(&r);
	/* no statement at all */
	post(fx, "/v1/sql", "sql=--+nothing", &r);
	assert_int_equal(r.status, 200);
	assert_body_prefix(&r, "{\"execution_time_ms\":");
	assert_string_equal(fx->e.last_sql, "-- nothing");
	resp_free(&r);
	/* every executed request's session was handed back */
	assert_int_equal(atomic_load(&fx->e.sessions_done), 3);
}

static void test_sql_errors(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	post(fx, "/v1/sql", "sql=bad", &r);
	assert_int_equal(r.status, 400);
	assert_body_prefix(&r, "{\"code\":2000,\"error\":\"Invalid SQL syntax: sql parser error: "
	                       "\\\"bad\\\"\",\"execution_time_ms\":");
	assert_true(has_header(&r, "x-greptime-err-code: 2000"));
	resp_free(&r);
	/* an error after a success fails the whole request with the error */
	post(fx, "/v1/sql", "sql=partial", &r);
	assert_int_equal(r.status, 400);
	assert_body_prefix(&r, "{\"code\":4001,\"error\":\"Table not found: greptime.public.nope\","
	                       "\"execution_time_ms\":");
	resp_free(&r);
	/* execute itself failing */
	post(fx, "/v1/sql", "sql=fail", &r);
	assert_int_equal(r.status, 500);
	assert_body_prefix(&r,
	                   "{\"code\":1003,\"error\":\"engine exploded\",\"execution_time_ms\":");
	resp_free(&r);
	/* no sql parameter */
	post(fx, "/v1/sql", "db=public", &r);
	assert_int_equal(r.status, 400);
	assert_body_prefix(&r, "{\"code\":1004,\"error\":\"sql parameter is required.\","
	                       "\"execution_time_ms\":");
	resp_free(&r);
	get(fx, "/v1/sql", &r);
	assert_int_equal(r.status, 400);
	resp_free(&r);
	/* a body that is not a form */
	const char *json_ct[] = {"Content-Type: application/json", NULL};
	request(fx, "POST", "/v1/sql", "{\"sql\":\"x\"}", 11, 0, json_ct, &r);
	assert_int_equal(r.status, 415);
	resp_free(&r);
	/* a bad limit, a bad db */
	post(fx, "/v1/sql?limit=-1", "sql=insert", &r);
	assert_int_equal(r.status, 400);
	resp_free(&r);
	post(fx, "/v1/sql?db=-x", "sql=insert", &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(body(&r), "Invalid database name"));
	resp_free(&r);
}

static void test_sql_headers(void **state)
{
	struct fixture *fx = *state;
	struct {
		const char *value;
		int want;
	} cases[] = {
	    {"follower", READ_PREF_FOLLOWER},
	    {"FOLLOWER", READ_PREF_FOLLOWER},
	    {"Follower_Preferred", READ_PREF_FOLLOWER_PREFERRED},
	    {"random", READ_PREF_RANDOM},
	    {"leader", READ_PREF_LEADER},
	    {"bogus", READ_PREF_LEADER}, /* invalid: ignored */
	    {"", READ_PREF_LEADER},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char h[128];
		snprintf(h, sizeof(h), "x-greptime-read-preference: %s", cases[i].value);
		const char *hdrs[] = {h, "X-Greptime-Timezone: +08:00", NULL};
		struct resp r;
		request(fx, "POST", "/v1/sql", "sql=insert", 10, 0, hdrs, &r);
		assert_int_equal(r.status, 200);
		if (fx->e.pref != cases[i].want)
			fail_msg("read preference '%s': got %d want %d", cases[i].value, fx->e.pref,
			         cases[i].want);
		assert_string_equal(fx->e.tz, "+08:00");
		resp_free(&r);
	}
	/* db from the x-greptime-db-name header when no parameter */
	const char *hdrs[] = {"x-greptime-db-name: fromheader", NULL};
	struct resp r;
	request(fx, "POST", "/v1/sql", "sql=insert", 10, 0, hdrs, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(fx->e.schema, "fromheader");
	resp_free(&r);
}

/* ---- InfluxDB ------------------------------------------------------------------------- */

static void test_influx_write(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	const char *lines = "monitor,host=127.0.0.1 cpu=0.1,memory=0.4 1667446797450\n"
	                    "monitor,host=127.0.0.2 cpu=0.2,memory=0.3 1667446798450\n"
	                    "monitor,host=127.0.0.1 cpu=0.5,memory=0.2 1667446798450\n";
	post(fx, "/v1/influxdb/write?db=public&precision=ms", lines, &r);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body.len, 0);
	resp_free(&r);
	assert_int_equal(fx->e.ingest_calls, 1);
	assert_int_equal(fx->e.ntables, 1);
	assert_int_equal(fx->e.nrows, 3);
	assert_string_equal(fx->e.first_table, "monitor");
	assert_string_equal(fx->e.first_tag, "127.0.0.1");
	assert_true(fx->e.first_ts == 1667446797450LL * 1000000);
	assert_true(fx->e.first_field == 0.1);
	assert_string_equal(fx->e.schema, "public");

	/* v2 API: bucket names the database; default precision ns */
	post(fx, "/v1/influxdb/api/v2/write?bucket=b1&db=ignored", "m,host=h cpu=1 5\n", &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
	assert_int_equal(fx->e.ingest_calls, 2);
	assert_string_equal(fx->e.schema, "b1");
	assert_true(fx->e.first_ts == 5);
	post(fx, "/v1/influxdb/api/v2/write?db=d2&precision=s", "m,host=h cpu=1 5\n", &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
	assert_string_equal(fx->e.schema, "d2");
	assert_true(fx->e.first_ts == 5000000000LL);
	/* chunked bodies are read too */
	request(fx, "POST", "/v1/influxdb/write?precision=h", "c,host=z cpu=2 1\n", 17, 1, NULL,
	        &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
	assert_string_equal(fx->e.first_tag, "z");
	assert_true(fx->e.first_ts == 3600000000000LL);
	assert_int_equal(fx->e.ingest_calls, 4);
}

/* A 10k-line body (1.4 MB) through HTTP under the default limit. */
static void test_influx_large(void **state)
{
	struct fixture *fx = *state;
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 10000; i++)
		buf_printf(&b,
		           "monitor,host=h%d,dc=d%d cpu=%d.5,memory=%di,ok=t,note=\"n %d\" %lld\n",
		           i % 50, i % 3, i, i * 2, i, 1700000000000000000LL + i);
	struct resp r;
	request(fx, "POST", "/v1/influxdb/write", (char *)b.data, b.len, 0, NULL, &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
	assert_int_equal(fx->e.ingest_calls, 1);
	assert_int_equal(fx->e.nrows, 10000);
	assert_string_equal(fx->e.first_tag, "h0");
	assert_true(fx->e.first_ts == 1700000000000000000LL);
	assert_true(fx->e.first_field == 0.5);
	/* chunked too */
	request(fx, "POST", "/v1/influxdb/write", (char *)b.data, b.len, 1, NULL, &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
	assert_int_equal(fx->e.nrows, 10000);
	buf_free(&b);
}

static void test_influx_errors(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	post(fx, "/v1/influxdb/write", "m f=1 1\nm f= 2\n", &r);
	assert_int_equal(r.status, 400);
	cJSON *j = cJSON_Parse(body(&r));
	assert_non_null(j);
	cJSON *e = cJSON_GetObjectItem(j, "error");
	assert_true(cJSON_IsString(e));
	assert_non_null(strstr(e->valuestring, "line 2: missing field value"));
	cJSON_Delete(j);
	resp_free(&r);
	assert_int_equal(fx->e.ingest_calls, 0);

	post(fx, "/v1/influxdb/write?precision=fortnight", "m f=1 1\n", &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(body(&r), "Invalid time precision"));
	resp_free(&r);

	const char *gz[] = {"Content-Encoding: gzip", NULL};
	request(fx, "POST", "/v1/influxdb/write", "xx", 2, 0, gz, &r);
	assert_int_equal(r.status, 415);
	resp_free(&r);
	assert_int_equal(fx->e.ingest_calls, 0);

	/* the ingest callback's error code picks the status */
	struct {
		int rc;
		long status;
	} cases[] = {{ERR_NOT_FOUND, 400},
	             {ERR_BAD_INPUT, 400},
	             {ERR_UNAVAILABLE, 503},
	             {ERR_INTERNAL, 500},
	             {ERR_NOMEM, 500}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx->e.ingest_rc = cases[i].rc;
		post(fx, "/v1/influxdb/write", "m f=1 1\n", &r);
		assert_int_equal(r.status, cases[i].status);
		assert_string_equal(body(&r), "{\"error\":\"ingest failed on purpose\"}");
		resp_free(&r);
	}
	fx->e.ingest_rc = 0;
}

/* ---- other routes ------------------------------------------------------------------------- */

static void test_health_ping(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	get(fx, "/health", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(body(&r), "{}");
	resp_free(&r);
	post(fx, "/health", "", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	get(fx, "/v1/influxdb/health", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	get(fx, "/ping", &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
	get(fx, "/v1/influxdb/ping", &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
	request(fx, "HEAD", "/v1/influxdb/ping", NULL, 0, 0, NULL, &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
}

static void test_not_found_and_methods(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	get(fx, "/v1/nope", &r);
	assert_int_equal(r.status, 404);
	cJSON *j = cJSON_Parse(body(&r));
	assert_non_null(j);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "error")));
	cJSON_Delete(j);
	resp_free(&r);
	get(fx, "/v1/influxdb/write", &r);
	assert_int_equal(r.status, 405);
	assert_true(has_header(&r, "allow: POST"));
	j = cJSON_Parse(body(&r));
	assert_non_null(j);
	cJSON_Delete(j);
	resp_free(&r);
	request(fx, "DELETE", "/v1/sql", NULL, 0, 0, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(body(&r), "{\"error\":\"Method DELETE not allowed on /v1/sql\"}");
	assert_true(has_header(&r, "allow: GET, HEAD, POST"));
	resp_free(&r);
	request(fx, "PUT", "/metrics", "x", 1, 0, NULL, &r);
	assert_int_equal(r.status, 405);
	resp_free(&r);
}

static void test_body_limit(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	char *big = malloc(10000);
	memcpy(big, "m f=1 1\n", 8);
	memset(big + 8, '#', 10000 - 8);
	/* Content-Length over the limit: refused before reading */
	request(fx, "POST", "/v1/influxdb/write", big, 10000, 0, NULL, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(body(&r), "exceeds the limit"));
	resp_free(&r);
	/* chunked: noticed while reading */
	request(fx, "POST", "/v1/influxdb/write", big, 10000, 1, NULL, &r);
	assert_int_equal(r.status, 413);
	resp_free(&r);
	/* exactly the limit is fine */
	request(fx, "POST", "/v1/influxdb/write", big, 4096, 0, NULL, &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
	free(big);
	assert_int_equal(fx->e.ingest_calls, 1);
	/* and the server still serves */
	get(fx, "/health", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
}

static void test_metrics(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	for (int i = 0; i < 3; i++) {
		get(fx, "/health", &r);
		resp_free(&r);
	}
	post(fx, "/v1/sql", "sql=bad", &r);
	resp_free(&r);
	get(fx, "/nowhere", &r);
	resp_free(&r);
	get(fx, "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "content-type: text/plain; version=0.0.4"));
	const char *b = body(&r);
	assert_non_null(strstr(b, "test_metric 42\n"));
	assert_non_null(
	    strstr(b, "strata_http_requests_total{path=\"/health\",status=\"200\"} 3\n"));
	assert_non_null(
	    strstr(b, "strata_http_requests_total{path=\"/v1/sql\",status=\"400\"} 1\n"));
	assert_non_null(strstr(b, "strata_http_requests_total{path=\"other\",status=\"404\"} 1\n"));
	assert_non_null(strstr(b, "strata_http_received_bytes_total 7\n"));
	assert_non_null(strstr(b, "strata_http_sent_bytes_total "));
	assert_non_null(strstr(b, "strata_http_request_seconds_total{path=\"/health\"} "));
	resp_free(&r);
}

struct worker {
	struct fixture *fx;
	long status;
};

static void *concurrent_worker(void *arg)
{
	struct worker *w = arg;
	struct resp r;
	request(w->fx, "POST", "/v1/sql", "sql=sleep", 9, 0, NULL, &r);
	w->status = r.status;
	resp_free(&r);
	return NULL;
}

static void test_concurrent(void **state)
{
	struct fixture *fx = *state;
	pthread_t th[4];
	struct worker w[4];
	int64_t t0 = clock_mono_ns();
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){fx, 0};
		pthread_create(&th[i], NULL, concurrent_worker, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	int64_t ms = (clock_mono_ns() - t0) / 1000000;
	for (int i = 0; i < 4; i++)
		assert_int_equal(w[i].status, 200);
	/* the four 300 ms statements overlapped */
	assert_true(atomic_load(&fx->e.max_running) >= 2);
	assert_true(ms < 1150);
}

static void test_auth(void **state)
{
	struct fixture *fx = *state;
	struct resp r;
	post(fx, "/v1/sql", "sql=insert", &r);
	assert_int_equal(r.status, 401);
	assert_body_prefix(&r, "{\"code\":7003,\"error\":\"Not found http or grpc authorization "
	                       "header\",\"execution_time_ms\":");
	resp_free(&r);
	/* alice:pw */
	const char *ok[] = {"Authorization: Basic YWxpY2U6cHc=", NULL};
	request(fx, "POST", "/v1/sql", "sql=insert", 10, 0, ok, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(fx->e.user, "alice");
	resp_free(&r);
	/* bob's password contains colons: b:o:b */
	const char *bob[] = {"x-greptime-auth: Basic Ym9iOmI6bzpi", NULL};
	request(fx, "POST", "/v1/sql", "sql=insert", 10, 0, bob, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(fx->e.user, "bob");
	resp_free(&r);
	/* alice:bad */
	const char *bad[] = {"Authorization: Basic YWxpY2U6YmFk", NULL};
	request(fx, "POST", "/v1/sql", "sql=insert", 10, 0, bad, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(body(&r), "\"code\":7002"));
	resp_free(&r);
	/* carol:pw */
	const char *who[] = {"Authorization: Basic Y2Fyb2w6cHc=", NULL};
	request(fx, "POST", "/v1/sql", "sql=insert", 10, 0, who, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(body(&r), "\"code\":7000"));
	resp_free(&r);
	const char *junk[] = {"Authorization: Basic !!!", NULL};
	request(fx, "POST", "/v1/sql", "sql=insert", 10, 0, junk, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(body(&r), "\"code\":7004"));
	resp_free(&r);
	/* InfluxDB credentials: u/p parameters and Token */
	post(fx, "/v1/influxdb/write", "m f=1 1\n", &r);
	assert_int_equal(r.status, 401);
	resp_free(&r);
	post(fx, "/v1/influxdb/write?u=alice&p=pw", "m f=1 1\n", &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
	const char *tok[] = {"Authorization: Token bob:b:o:b", NULL};
	request(fx, "POST", "/v1/influxdb/api/v2/write", "m f=1 1\n", 8, 0, tok, &r);
	assert_int_equal(r.status, 204);
	assert_string_equal(fx->e.user, "bob");
	resp_free(&r);
	assert_int_equal(fx->e.ingest_calls, 2);
	/* health and ping need no credentials */
	get(fx, "/health", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);
	get(fx, "/ping", &r);
	assert_int_equal(r.status, 204);
	resp_free(&r);
}

static void test_start_errors(void **state)
{
	(void)state;
	struct http_options o;
	http_options_default(&o);
	assert_int_equal(o.port, HTTP_DEFAULT_PORT);
	assert_int_equal(o.max_body_bytes, 64u << 20);
	o.bind_addr = "not-an-address";
	struct http_server *s = (void *)1;
	assert_int_equal(http_server_start(&o, &s), ERR_BAD_INPUT);
	assert_null(s);
	/* a port already in use */
	o.bind_addr = "127.0.0.1";
	o.port = 0;
	struct http_server *a;
	assert_int_equal(http_server_start(&o, &a), ERR_OK);
	o.port = http_server_port(a);
	assert_int_equal(http_server_start(&o, &s), ERR_IO);
	http_server_stop(a);
	http_server_stop(NULL);
	/* IPv6 loopback, when the host has it */
	o.bind_addr = "::1";
	o.port = 0;
	if (http_server_start(&o, &a) == ERR_OK) {
		/* no handler: /v1/sql and the write endpoints answer 503 */
		char url[64];
		snprintf(url, sizeof(url), "http://[::1]:%u/v1/sql?sql=x", http_server_port(a));
		CURL *c = curl_easy_init();
		struct buf b;
		buf_init(&b);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		assert_int_equal(curl_easy_perform(c), CURLE_OK);
		long st;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
		assert_int_equal(st, 503);
		curl_easy_cleanup(c);
		buf_free(&b);
		http_server_stop(a);
	}
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_double),
	    cmocka_unit_test(test_json_string),
	    T(test_sql_rows),
	    T(test_sql_affected_and_empty),
	    T(test_sql_errors),
	    T(test_sql_headers),
	    T(test_influx_write),
	    T(test_influx_errors),
	    cmocka_unit_test_setup_teardown(test_influx_large, setup_default_limit, teardown),
	    T(test_health_ping),
	    T(test_not_found_and_methods),
	    T(test_body_limit),
	    T(test_metrics),
	    T(test_concurrent),
	    cmocka_unit_test_setup_teardown(test_auth, setup_auth, teardown),
	    cmocka_unit_test(test_start_errors),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
