/*
 * http_server: GreptimeDB's HTTP API on libmicrohttpd. See http_server.h
 * for the routes and the callback contract.
 *
 * Request lifecycle (MHD calls on_request several times per request):
 *
 *   headers --(first call)--> route + method + Content-Length checks
 *       |                      |-> 404 / 405 / 413 answered at once
 *       v
 *   body chunks --(calls with data)--> appended to req.body, or dropped
 *       |                               once over the limit (too_large)
 *       v
 *   complete --(last call, no data)--> handler runs, response queued
 *       v
 *   done --(NOTIFY_COMPLETED)--> counters updated, req freed
 *
 * A response is built fully in memory before it is queued. Counters are
 * relaxed atomics indexed by route and status slot; /metrics renders them.
 */
#include "server/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "server/http_console.h"
#include "server/json_out.h"
#include "server/line_protocol.h"

/* ---- routes and counters --------------------------------------------------- */

enum { M_GET = 1, M_HEAD = 2, M_POST = 4, M_OTHER = 8 };

/* X(enum suffix, path, methods, Allow header) */
#define HTTP_ROUTES(X)                                                                             \
	X(SQL, "/v1/sql", M_GET | M_HEAD | M_POST, "GET, HEAD, POST")                              \
	X(INFLUX_WRITE, "/v1/influxdb/write", M_POST, "POST")                                      \
	X(INFLUX_WRITE_V2, "/v1/influxdb/api/v2/write", M_POST, "POST")                            \
	X(INFLUX_PING, "/v1/influxdb/ping", M_GET | M_HEAD, "GET, HEAD")                           \
	X(PING, "/ping", M_GET | M_HEAD, "GET, HEAD")                                              \
	X(INFLUX_HEALTH, "/v1/influxdb/health", M_GET | M_HEAD, "GET, HEAD")                       \
	X(HEALTH, "/health", M_GET | M_HEAD | M_POST, "GET, HEAD, POST")                           \
	X(METRICS, "/metrics", M_GET | M_HEAD, "GET, HEAD")                                        \
	X(DASHBOARD, "/dashboard/", M_GET | M_HEAD, "GET, HEAD")                                   \
	X(CLUSTER, "/v1/cluster/", M_GET | M_HEAD, "GET, HEAD")

enum route {
#define X(e, p, m, a) R_##e,
	HTTP_ROUTES(X)
#undef X
	    R_OTHER,
	R__COUNT
};

static const struct {
	const char *path;
	unsigned methods;
	const char *allow;
} routes[R__COUNT] = {
#define X(e, p, m, a) {p, m, a},
    HTTP_ROUTES(X)
#undef X
        {"other", 0, ""},
};

static const int status_slots[] = {200, 204, 400, 401, 403, 404, 405, 413, 415, 429, 500, 503, 504};
#define NSLOTS (sizeof(status_slots) / sizeof(status_slots[0]) + 1) /* + "other" */

struct http_counters {
	atomic_uint_fast64_t requests[R__COUNT][NSLOTS];
	atomic_uint_fast64_t micros[R__COUNT];
	atomic_uint_fast64_t bytes_in;
	atomic_uint_fast64_t bytes_out;
};

struct http_server {
	struct MHD_Daemon *d;
	struct http_options o;
	size_t max_body;
	uint16_t port;
	struct wire_user *users;
	char **user_strs;
	atomic_uint conn_seq;
	struct http_counters ctr;
};

struct req {
	enum route route;
	int method;
	struct buf body;
	uint64_t received;
	int too_large;
	int oom;
	int answered;
	int counted; /* the request is in the counters */
	int status;
	size_t sent;
	int64_t start_ns;
};

static int status_slot(int status)
{
	for (size_t i = 0; i < NSLOTS - 1; i++)
		if (status_slots[i] == status)
			return (int)i;
	return NSLOTS - 1;
}

/* ---- responses ---------------------------------------------------------------- */

/* Queue `body` (taken over; left empty) with status and content type, plus
 * optional extra headers as name/value pairs ending in NULL. */
static enum MHD_Result send_body(struct MHD_Connection *c, struct req *r, unsigned status,
                                 const char *ctype, struct buf *body, ...)
{
	size_t len;
	uint8_t *data = buf_steal(body, &len);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer_with_free_callback(len, data, mem_free);
	if (!resp) {
		mem_free(data);
		return MHD_NO;
	}
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	va_list ap;
	va_start(ap, body);
	for (;;) {
		const char *name = va_arg(ap, const char *);
		if (!name)
			break;
		const char *value = va_arg(ap, const char *);
		MHD_add_response_header(resp, name, value);
	}
	va_end(ap);
	enum MHD_Result ok = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	r->answered = 1;
	r->status = (int)status;
	r->sent = len;
	return ok;
}

static enum MHD_Result send_empty(struct MHD_Connection *c, struct req *r, unsigned status)
{
	struct buf b;
	buf_init(&b);
	return send_body(c, r, status, NULL, &b, NULL);
}

/* {"error":"..."} (the InfluxDB endpoints' and generic errors' shape). */
static enum MHD_Result send_plain_error(struct MHD_Connection *c, struct req *r, unsigned status,
                                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum MHD_Result send_plain_error(struct MHD_Connection *c, struct req *r, unsigned status,
                                        const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct buf b;
	buf_init(&b);
	if (buf_append(&b, "{\"error\":", 9) || json_out_string(&b, msg, strlen(msg)) ||
	    buf_putc(&b, '}')) {
		buf_free(&b);
		return MHD_NO;
	}
	return send_body(c, r, status, "application/json", &b, NULL);
}

/* GreptimeDB's error response: {"code":N,"error":"...","execution_time_ms":N}. */
static enum MHD_Result send_greptime_error(struct MHD_Connection *c, struct req *r, unsigned status,
                                           int gstatus, const char *msg, uint64_t ms)
{
	struct buf b;
	buf_init(&b);
	if (json_out_error(&b, gstatus, msg, ms)) {
		buf_free(&b);
		return MHD_NO;
	}
	char code[16], msbuf[24];
	snprintf(code, sizeof(code), "%d", gstatus);
	snprintf(msbuf, sizeof(msbuf), "%llu", (unsigned long long)ms);
	return send_body(c, r, status ? status : (unsigned)json_http_status(gstatus),
	                 "application/json", &b, "x-greptime-err-code", code,
	                 "x-greptime-execution-time", msbuf, "x-greptime-format", "greptimedb_v1",
	                 NULL);
}

/* ---- request parameters -------------------------------------------------------- */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte;
 * a malformed escape stays as it is. */
static int form_decode(struct buf *out, const char *s, size_t n)
{
	buf_reset(out);
	if (buf_reserve(out, n + 1))
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '+')
			out->data[out->len++] = ' ';
		else if (s[i] == '%' && i + 2 < n && (h = hexval((uint8_t)s[i + 1])) >= 0 &&
		         (l = hexval((uint8_t)s[i + 2])) >= 0) {
			out->data[out->len++] = (uint8_t)(h << 4 | l);
			i += 2;
		} else
			out->data[out->len++] = (uint8_t)s[i];
	}
	out->data[out->len] = '\0';
	return ERR_OK;
}

/* Value of `key` in a form body, decoded into out. 1 found, 0 not, <0 OOM. */
static int form_get(const char *body, size_t len, const char *key, struct buf *out)
{
	struct buf k;
	buf_init(&k);
	size_t klen = strlen(key);
	int found = 0;
	size_t i = 0;
	while (i < len && !found) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t pend = amp ? (size_t)(amp - body) : len;
		const char *eq = memchr(body + i, '=', pend - i);
		size_t kend = eq ? (size_t)(eq - body) : pend;
		if (form_decode(&k, body + i, kend - i)) {
			found = -1;
			break;
		}
		if (k.len == klen && !memcmp(k.data, key, klen)) {
			size_t vs = eq ? kend + 1 : pend;
			if (form_decode(out, body + vs, pend - vs))
				found = -1;
			else
				found = 1;
		}
		i = pend + 1;
	}
	buf_free(&k);
	return found;
}

/* A request parameter from the query string (MHD decodes it) or, when
 * `form` is set, from the form body; decoded into out, NUL-terminated.
 * Returns 1 found, 0 not found, -1 out of memory. */
static int param_get(struct MHD_Connection *c, const struct req *r, int form, const char *key,
                     struct buf *out)
{
	const char *v = NULL;
	size_t vlen = 0;
	if (MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, key, strlen(key), &v, &vlen) ==
	    MHD_YES) {
		buf_reset(out);
		if ((vlen && buf_append(out, v, vlen)) || !buf_cstr(out))
			return -1;
		return 1;
	}
	if (form && r->body.len)
		return form_get((const char *)r->body.data, r->body.len, key, out);
	return 0;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static int is_form(struct MHD_Connection *c)
{
	const char *ct = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	return !ct || !strncasecmp(ct, "application/x-www-form-urlencoded", 33);
}

/* "schema" or "catalog-schema" into the session. */
static int set_db(struct session *s, const char *db)
{
	const char *dash = strchr(db, '-');
	const char *schema = dash ? dash + 1 : db;
	if (dash) {
		size_t cl = (size_t)(dash - db);
		if (cl == 0 || cl >= sizeof(s->catalog))
			return err_set(ERR_BAD_INPUT, "Invalid database name: %.128s", db);
		memcpy(s->catalog, db, cl);
		s->catalog[cl] = '\0';
	}
	size_t sl = strlen(schema);
	if (sl == 0 || sl >= sizeof(s->schema))
		return err_set(ERR_BAD_INPUT, "Invalid database name: %.128s", db);
	memcpy(s->schema, schema, sl + 1);
	return ERR_OK;
}

static void apply_headers(struct MHD_Connection *c, struct session *s)
{
	static const struct {
		const char *name;
		int pref;
	} prefs[] = {
	    {"leader", READ_PREF_LEADER},
	    {"follower", READ_PREF_FOLLOWER},
	    {"follower_preferred", READ_PREF_FOLLOWER_PREFERRED},
	    {"random", READ_PREF_RANDOM},
	};
	const char *rp = header(c, "x-greptime-read-preference");
	if (rp)
		for (size_t i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++)
			if (!strcasecmp(rp, prefs[i].name))
				s->read_preference = prefs[i].pref;
}

static int apply_timezone(struct MHD_Connection *c, struct session *s)
{
	const char *tz = header(c, "x-greptime-timezone");
	if (!tz)
		return ERR_OK;
	size_t n = strlen(tz);
	if (n == 0 || n >= sizeof(s->time_zone))
		return err_set(ERR_BAD_INPUT, "Invalid timezone: %.64s", tz);
	memcpy(s->time_zone, tz, n + 1);
	return ERR_OK;
}

/* ---- authentication ------------------------------------------------------------ */

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Standard base64 with optional padding into out (cap bytes incl. NUL). */
static int b64_decode(const char *s, char *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (; *s && *s != '='; s++) {
		int v = b64val((uint8_t)*s);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	while (*s == '=')
		s++;
	if (*s)
		return -1;
	out[o] = '\0';
	return 0;
}

static int ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned diff = (unsigned)(la ^ lb);
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned)(uint8_t)a[i] ^ (unsigned)(uint8_t)(i < lb ? b[i] : 0);
	return diff == 0;
}

struct auth_err {
	int gstatus;
	char msg[192];
};

/* Check credentials; sets s->user. influx: also accept u/p parameters and
 * "Token user:password". */
static int authenticate(struct http_server *srv, struct MHD_Connection *c, int influx,
                        struct session *s, struct auth_err *ae)
{
	if (srv->o.nusers == 0) {
		snprintf(s->user, sizeof(s->user), "greptime");
		return ERR_OK;
	}
	char cred[512];
	const char *user = NULL, *pass = NULL;
	const char *h = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h)
		h = header(c, "x-greptime-auth");
	if (h) {
		while (*h == ' ')
			h++;
		if (!strncasecmp(h, "Basic ", 6)) {
			if (b64_decode(h + 6, cred, sizeof(cred)) == 0) {
				char *colon = strchr(cred, ':');
				if (colon) {
					*colon = '\0';
					user = cred;
					pass = colon + 1;
				}
			}
		} else if (influx && !strncasecmp(h, "Token ", 6)) {
			snprintf(cred, sizeof(cred), "%s", h + 6);
			char *colon = strchr(cred, ':');
			if (colon) {
				*colon = '\0';
				user = cred;
				pass = colon + 1;
			}
		}
		if (!user) {
			ae->gstatus = 7004;
			snprintf(ae->msg, sizeof(ae->msg), "Invalid http authorization header");
			return ERR_BAD_INPUT;
		}
	} else if (influx) {
		user = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "u");
		pass = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "p");
	}
	if (!user || !pass) {
		ae->gstatus = 7003;
		snprintf(ae->msg, sizeof(ae->msg), "Not found http or grpc authorization header");
		return ERR_BAD_INPUT;
	}
	for (size_t i = 0; i < srv->o.nusers; i++) {
		if (strcmp(srv->users[i].name, user))
			continue;
		if (!ct_equal(srv->users[i].password, pass)) {
			ae->gstatus = 7002;
			snprintf(ae->msg, sizeof(ae->msg),
			         "Username and password does not match, username: %.64s", user);
			return ERR_BAD_INPUT;
		}
		snprintf(s->user, sizeof(s->user), "%.63s", user);
		return ERR_OK;
	}
	ae->gstatus = 7000;
	snprintf(ae->msg, sizeof(ae->msg), "User not found, username: %.64s", user);
	return ERR_BAD_INPUT;
}

/* ---- /v1/sql -------------------------------------------------------------------- */

struct sql_out {
	struct buf out; /* "{"output":[" then the outputs, comma separated */
	unsigned nout;
	uint64_t limit;
	int failed;
	int gstatus;
	char *errmsg;
	int oom;
};

static int sql_emit(void *ctx, const struct query_result *q)
{
	struct sql_out *x = ctx;
	if (x->failed || x->oom)
		return 1;
	if (q->kind == QUERY_ERROR) {
		x->failed = 1;
		x->gstatus = q->greptime_status ? q->greptime_status : err_greptime_status(q->err);
		x->errmsg = mem_strdup(q->err_msg ? q->err_msg : err_code_name(q->err));
		return 0;
	}
	if (x->nout++ && buf_putc(&x->out, ','))
		goto oom;
	int rc;
	switch (q->kind) {
	case QUERY_ROWS:
		rc = json_out_records(&x->out, &q->rs, x->limit);
		break;
	case QUERY_AFFECTED:
		rc = json_out_affected(&x->out, q->affected);
		break;
	default:
		rc = json_out_affected(&x->out, 0);
		break;
	}
	if (rc)
		goto oom;
	return 0;
oom:
	x->oom = 1;
	return 1;
}

static enum MHD_Result handle_sql(struct http_server *srv, struct MHD_Connection *c, struct req *r)
{
	int64_t t0 = clock_mono_ns();
	struct buf sql, val;
	buf_init(&sql);
	buf_init(&val);
	struct sql_out x = {.limit = UINT64_MAX};
	buf_init(&x.out);
	struct session s;
	session_init(&s, SESSION_HTTP, atomic_fetch_add(&srv->conn_seq, 1) + 1);
	int session_used = 0;
	enum MHD_Result ret;
	int form = r->method == M_POST && is_form(c);
	int found = param_get(c, r, form, "sql", &sql);
	if (found < 0)
		goto oom;
	if (!found) {
		if (r->method == M_POST && !form && r->body.len)
			ret = send_greptime_error(c, r, 415, 1004,
			                          "Form requests must have `Content-Type: "
			                          "application/x-www-form-urlencoded`",
			                          0);
		else
			ret = send_greptime_error(c, r, 0, 1004, "sql parameter is required.", 0);
		goto out;
	}
	int got = param_get(c, r, form, "db", &val);
	if (got < 0)
		goto oom;
	if (!got) {
		const char *h = header(c, "x-greptime-db-name");
		if (h) {
			buf_reset(&val);
			if (buf_append(&val, h, strlen(h)) || !buf_cstr(&val))
				goto oom;
			got = 1;
		}
	}
	if (got && set_db(&s, (const char *)val.data)) {
		ret = send_greptime_error(c, r, 0, 1004, err_msg(), 0);
		goto out;
	}
	if ((got = param_get(c, r, form, "limit", &val)) < 0)
		goto oom;
	if (got) {
		char *end;
		unsigned long long l = strtoull((const char *)val.data, &end, 10);
		if (end == (char *)val.data || *end || ((const char *)val.data)[0] == '-') {
			ret = send_greptime_error(c, r, 0, 1004, "Invalid limit parameter", 0);
			goto out;
		}
		x.limit = l;
	}
	apply_headers(c, &s);
	if (apply_timezone(c, &s)) {
		ret = send_greptime_error(c, r, 0, 1004, err_msg(), 0);
		goto out;
	}
	struct auth_err ae;
	if (authenticate(srv, c, 0, &s, &ae)) {
		ret = send_greptime_error(c, r, 401, ae.gstatus, ae.msg, 0);
		goto out;
	}
	if (!srv->o.handler.execute) {
		ret =
		    send_greptime_error(c, r, 503, 1003, "SQL is not available on this server", 0);
		goto out;
	}
	if (buf_append(&x.out, "{\"output\":[", 11))
		goto oom;
	session_used = 1;
	int rc = srv->o.handler.execute(srv->o.handler.ctx, &s, (const char *)sql.data, sql.len,
	                                sql_emit, &x);
	uint64_t ms = (uint64_t)((clock_mono_ns() - t0) / 1000000);
	if (x.oom)
		goto oom;
	if (x.failed) {
		ret = send_greptime_error(c, r, 0, x.gstatus, x.errmsg ? x.errmsg : "", ms);
		goto out;
	}
	if (rc) {
		ret = send_greptime_error(c, r, 500, err_greptime_status(rc),
		                          err_msg()[0] ? err_msg() : err_code_name(rc), ms);
		goto out;
	}
	char msbuf[24];
	snprintf(msbuf, sizeof(msbuf), "%llu", (unsigned long long)ms);
	if (x.nout == 0)
		buf_reset(&x.out);
	if (buf_append(&x.out, x.nout ? "],\"execution_time_ms\":" : "{\"execution_time_ms\":",
	               x.nout ? 22 : 21) ||
	    buf_append(&x.out, msbuf, strlen(msbuf)) || buf_putc(&x.out, '}'))
		goto oom;
	ret = send_body(c, r, 200, "application/json", &x.out, "x-greptime-format", "greptimedb_v1",
	                "x-greptime-execution-time", msbuf, NULL);
	goto out;
oom:
	ret = send_greptime_error(c, r, 500, 1003, "out of memory", 0);
out:
	if (session_used && srv->o.session_done)
		srv->o.session_done(srv->o.handler.ctx, &s);
	buf_free(&sql);
	buf_free(&val);
	buf_free(&x.out);
	mem_free(x.errmsg);
	return ret;
}

/* ---- InfluxDB write ---------------------------------------------------------------- */

static unsigned ingest_status(int code)
{
	if (code == ERR_NOMEM)
		return 500;
	return (unsigned)json_http_status(err_greptime_status(code));
}

static enum MHD_Result handle_influx_write(struct http_server *srv, struct MHD_Connection *c,
                                           struct req *r, int v2)
{
	struct session s;
	session_init(&s, SESSION_HTTP, atomic_fetch_add(&srv->conn_seq, 1) + 1);
	const char *db = NULL;
	if (v2)
		db = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "bucket");
	if (!db)
		db = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "db");
	if (db && set_db(&s, db))
		return send_plain_error(c, r, 400, "%s", err_msg());
	enum lp_precision prec = LP_PREC_NS;
	const char *p = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "precision");
	if (p && lp_precision_parse(p, &prec))
		return send_plain_error(c, r, 400, "%s", err_msg());
	const char *enc = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (enc && strcasecmp(enc, "identity"))
		return send_plain_error(c, r, 415, "unsupported Content-Encoding: %.32s", enc);
	apply_headers(c, &s);
	if (apply_timezone(c, &s))
		return send_plain_error(c, r, 400, "%s", err_msg());
	struct auth_err ae;
	if (authenticate(srv, c, 1, &s, &ae))
		return send_plain_error(c, r, 401, "%s", ae.msg);
	if (!srv->o.ingest)
		return send_plain_error(c, r, 503,
		                        "InfluxDB line protocol writes are not available");

	struct lp_batch b;
	lp_batch_init(&b);
	enum MHD_Result ret;
	int rc = lp_parse(&b, (const char *)r->body.data, r->body.len, prec, lp_now_ns());
	if (rc) {
		ret = send_plain_error(c, r, rc == ERR_NOMEM ? 500 : 400,
		                       "Failed to parse InfluxDB line protocol: %s", err_msg());
		goto out;
	}
	/* the parsed batch owns copies of everything; the body can go */
	buf_free(&r->body);
	rc = srv->o.ingest(srv->o.ingest_ctx, &s, &b);
	if (srv->o.session_done)
		srv->o.session_done(srv->o.handler.ctx, &s);
	if (rc)
		ret = send_plain_error(c, r, ingest_status(rc), "%s",
		                       err_msg()[0] ? err_msg() : err_code_name(rc));
	else
		ret = send_empty(c, r, 204);
out:
	lp_batch_free(&b);
	return ret;
}

/* ---- /metrics ---------------------------------------------------------------------- */

static int render_counters(struct http_server *srv, struct buf *b)
{
	struct http_counters *ct = &srv->ctr;
	int rc =
	    buf_printf(b, "# HELP strata_http_requests_total HTTP requests by path and status.\n"
	                  "# TYPE strata_http_requests_total counter\n");
	for (int rt = 0; rt < R__COUNT && !rc; rt++)
		for (size_t sl = 0; sl < NSLOTS && !rc; sl++) {
			uint64_t v =
			    atomic_load_explicit(&ct->requests[rt][sl], memory_order_relaxed);
			if (!v)
				continue;
			char st[8];
			if (sl < NSLOTS - 1)
				snprintf(st, sizeof(st), "%d", status_slots[sl]);
			else
				snprintf(st, sizeof(st), "other");
			rc = buf_printf(
			    b, "strata_http_requests_total{path=\"%s\",status=\"%s\"} %llu\n",
			    routes[rt].path, st, (unsigned long long)v);
		}
	if (!rc)
		rc = buf_printf(b, "# HELP strata_http_request_seconds_total Time spent "
		                   "serving HTTP requests by path.\n"
		                   "# TYPE strata_http_request_seconds_total counter\n");
	for (int rt = 0; rt < R__COUNT && !rc; rt++) {
		uint64_t us = atomic_load_explicit(&ct->micros[rt], memory_order_relaxed);
		if (us)
			rc = buf_printf(b, "strata_http_request_seconds_total{path=\"%s\"} %.6f\n",
			                routes[rt].path, (double)us / 1e6);
	}
	if (!rc)
		rc = buf_printf(
		    b,
		    "# HELP strata_http_received_bytes_total HTTP request body bytes received.\n"
		    "# TYPE strata_http_received_bytes_total counter\n"
		    "strata_http_received_bytes_total %llu\n"
		    "# HELP strata_http_sent_bytes_total HTTP response body bytes sent.\n"
		    "# TYPE strata_http_sent_bytes_total counter\n"
		    "strata_http_sent_bytes_total %llu\n",
		    (unsigned long long)atomic_load(&ct->bytes_in),
		    (unsigned long long)atomic_load(&ct->bytes_out));
	return rc;
}

static enum MHD_Result handle_metrics(struct http_server *srv, struct MHD_Connection *c,
                                      struct req *r)
{
	struct buf b;
	buf_init(&b);
	if (srv->o.metrics) {
		int rc = srv->o.metrics(srv->o.metrics_ctx, &b);
		if (rc) {
			buf_free(&b);
			return send_plain_error(c, r, 500, "metrics: %s",
			                        err_msg()[0] ? err_msg() : err_code_name(rc));
		}
		if (b.len && b.data[b.len - 1] != '\n' && buf_putc(&b, '\n'))
			goto oom;
	}
	if (render_counters(srv, &b))
		goto oom;
	return send_body(c, r, 200, "text/plain; version=0.0.4; charset=utf-8", &b, NULL);
oom:
	buf_free(&b);
	return send_plain_error(c, r, 500, "out of memory");
}

/* ---- MHD callbacks --------------------------------------------------------------------- */

static int method_bit(const char *m)
{
	if (!strcmp(m, MHD_HTTP_METHOD_GET))
		return M_GET;
	if (!strcmp(m, MHD_HTTP_METHOD_HEAD))
		return M_HEAD;
	if (!strcmp(m, MHD_HTTP_METHOD_POST))
		return M_POST;
	return M_OTHER;
}

/* Exact paths, plus the two prefix routes: /dashboard (itself redirected)
 * and everything under /dashboard/ and /v1/cluster/. */
static enum route find_route(const char *url)
{
	for (int i = 0; i < R_OTHER; i++)
		if (!strcmp(url, routes[i].path))
			return (enum route)i;
	if (!strcmp(url, "/dashboard") || !strncmp(url, "/dashboard/", 11))
		return R_DASHBOARD;
	if (!strncmp(url, "/v1/cluster/", 12))
		return R_CLUSTER;
	return R_OTHER;
}

/* ---- the web console and /v1/cluster/ ------------------------------------------------- */

static enum MHD_Result handle_dashboard(struct MHD_Connection *c, struct req *r, const char *url)
{
	struct buf b;
	buf_init(&b);
	if (!strcmp(url, "/dashboard"))
		return send_body(c, r, 301, "text/plain; charset=utf-8", &b, MHD_HTTP_HEADER_LOCATION,
		                 "/dashboard/", NULL);
	const struct console_asset *a = console_asset_find(url + 11);
	if (!a)
		return send_plain_error(c, r, 404, "Not found: %.200s", url);
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    a->len, (void *)(uintptr_t)a->data, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, console_content_type(a->name));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ok = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	r->answered = 1;
	r->status = 200;
	r->sent = a->len;
	return ok;
}

static enum MHD_Result handle_cluster(struct http_server *srv, struct MHD_Connection *c,
                                      struct req *r, const char *url)
{
	struct session s;
	session_init(&s, SESSION_HTTP, atomic_fetch_add(&srv->conn_seq, 1) + 1);
	struct auth_err ae;
	if (authenticate(srv, c, 0, &s, &ae))
		return send_greptime_error(c, r, 401, ae.gstatus, ae.msg, 0);
	int64_t t0 = clock_mono_ns();
	struct buf b;
	buf_init(&b);
	unsigned status = 500;
	int rc = http_cluster_api(&srv->o.handler, &s, url + 12, &status, &b);
	if (srv->o.handler.execute && srv->o.session_done)
		srv->o.session_done(srv->o.handler.ctx, &s);
	if (rc) {
		buf_free(&b);
		return send_greptime_error(c, r, 500, 1003, "out of memory", 0);
	}
	char msbuf[24];
	snprintf(msbuf, sizeof(msbuf), "%llu",
	         (unsigned long long)((clock_mono_ns() - t0) / 1000000));
	return send_body(c, r, status, "application/json", &b, "x-greptime-execution-time", msbuf,
	                 MHD_HTTP_HEADER_CACHE_CONTROL, "no-store", NULL);
}

static enum MHD_Result dispatch(struct http_server *srv, struct MHD_Connection *c, struct req *r,
                                const char *url)
{
	struct buf b;
	switch (r->route) {
	case R_SQL:
		return handle_sql(srv, c, r);
	case R_INFLUX_WRITE:
		return handle_influx_write(srv, c, r, 0);
	case R_INFLUX_WRITE_V2:
		return handle_influx_write(srv, c, r, 1);
	case R_INFLUX_PING:
	case R_PING:
		return send_empty(c, r, 204);
	case R_INFLUX_HEALTH:
		return send_empty(c, r, 200);
	case R_HEALTH:
		buf_init(&b);
		if (buf_append(&b, "{}", 2))
			return MHD_NO;
		return send_body(c, r, 200, "application/json", &b, NULL);
	case R_METRICS:
		return handle_metrics(srv, c, r);
	case R_DASHBOARD:
		return handle_dashboard(c, r, url);
	case R_CLUSTER:
		return handle_cluster(srv, c, r, url);
	default:
		return send_plain_error(c, r, 404, "not found");
	}
}

/* Count a request in the /metrics counters once. Called as soon as its
 * response is queued, before libmicrohttpd sends it: a client that reads
 * /metrics right after a response must see that response counted (the
 * completion callback runs only after the bytes went out). */
static void count_request(struct http_server *srv, struct req *r)
{
	if (r->counted)
		return;
	r->counted = 1;
	struct http_counters *ct = &srv->ctr;
	if (r->answered) {
		atomic_fetch_add_explicit(&ct->requests[r->route][status_slot(r->status)], 1,
		                          memory_order_relaxed);
		atomic_fetch_add_explicit(&ct->bytes_out, r->sent, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&ct->bytes_in, r->received, memory_order_relaxed);
	int64_t us = (clock_mono_ns() - r->start_ns) / 1000;
	atomic_fetch_add_explicit(&ct->micros[r->route], (uint64_t)(us > 0 ? us : 1),
	                          memory_order_relaxed);
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls);

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	enum MHD_Result ok =
	    handle_request(cls, c, url, method, version, upload_data, upload_data_size, con_cls);
	struct req *r = *con_cls;
	/* counted once the whole body is in and the answer queued */
	if (r && r->answered && !*upload_data_size)
		count_request(cls, r);
	return ok;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
	(void)version;
	struct http_server *srv = cls;
	struct req *r = *con_cls;
	if (!r) {
		r = mem_calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		buf_init(&r->body);
		r->start_ns = clock_mono_ns();
		r->route = find_route(url);
		r->method = method_bit(method);
		*con_cls = r;
		if (r->route == R_OTHER)
			return send_plain_error(c, r, 404, "Not found: %.200s", url);
		if (!(routes[r->route].methods & (unsigned)r->method)) {
			char msg[128];
			snprintf(msg, sizeof(msg), "Method %.16s not allowed on %s", method,
			         routes[r->route].path);
			struct buf b;
			buf_init(&b);
			if (buf_append(&b, "{\"error\":", 9) ||
			    json_out_string(&b, msg, strlen(msg)) || buf_putc(&b, '}')) {
				buf_free(&b);
				return MHD_NO;
			}
			return send_body(c, r, 405, "application/json", &b, MHD_HTTP_HEADER_ALLOW,
			                 routes[r->route].allow, NULL);
		}
		const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end;
			unsigned long long n = strtoull(cl, &end, 10);
			if (n > srv->max_body)
				return send_plain_error(
				    c, r, 413,
				    "request body of %llu bytes exceeds the limit of %zu bytes", n,
				    srv->max_body);
			/* reserve up front, but not more than a lying client
			 * could make us hold without sending anything */
			if (n && buf_reserve(&r->body, (size_t)(n < (8u << 20) ? n : (8u << 20))))
				r->oom = 1;
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		r->received += n;
		if (!r->answered && !r->too_large && !r->oom) {
			if (r->body.len + n > srv->max_body) {
				r->too_large = 1;
				buf_free(&r->body);
			} else if (buf_append(&r->body, upload_data, n)) {
				r->oom = 1;
				buf_free(&r->body);
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	if (r->too_large)
		return send_plain_error(c, r, 413, "request body exceeds the limit of %zu bytes",
		                        srv->max_body);
	if (r->oom)
		return send_plain_error(c, r, 500, "out of memory reading the request body");
	err_clear();
	return dispatch(srv, c, r, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)c;
	(void)toe;
	struct http_server *srv = cls;
	struct req *r = *con_cls;
	if (!r)
		return;
	count_request(srv, r); /* no-op unless the request ended unanswered */
	buf_free(&r->body);
	mem_free(r);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("http: %s", msg);
}

/* ---- start / stop ------------------------------------------------------------------------ */

void http_options_default(struct http_options *o)
{
	memset(o, 0, sizeof(*o));
	o->bind_addr = "0.0.0.0";
	o->port = HTTP_DEFAULT_PORT;
	o->max_body_bytes = HTTP_DEFAULT_MAX_BODY;
}

static void free_server(struct http_server *s)
{
	if (s->user_strs) {
		for (size_t i = 0; i < 2 * s->o.nusers; i++)
			mem_free(s->user_strs[i]);
		mem_free(s->user_strs);
	}
	mem_free(s->users);
	mem_free(s);
}

int http_server_start(const struct http_options *o, struct http_server **out)
{
	*out = NULL;
	struct http_server *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->o = *o;
	s->o.bind_addr = NULL; /* not kept */
	s->max_body = o->max_body_bytes ? o->max_body_bytes : HTTP_DEFAULT_MAX_BODY;
	atomic_init(&s->conn_seq, 0);
	if (o->nusers) {
		s->users = mem_calloc(o->nusers, sizeof(*s->users));
		s->user_strs = mem_calloc(2 * o->nusers, sizeof(char *));
		if (!s->users || !s->user_strs) {
			s->o.nusers = 0;
			free_server(s);
			return ERR_NOMEM;
		}
		for (size_t i = 0; i < o->nusers; i++) {
			s->user_strs[2 * i] = mem_strdup(o->users[i].name ? o->users[i].name : "");
			s->user_strs[2 * i + 1] =
			    mem_strdup(o->users[i].password ? o->users[i].password : "");
			if (!s->user_strs[2 * i] || !s->user_strs[2 * i + 1]) {
				free_server(s);
				return ERR_NOMEM;
			}
			s->users[i].name = s->user_strs[2 * i];
			s->users[i].password = s->user_strs[2 * i + 1];
		}
		s->o.users = s->users;
	}

	const char *addr = o->bind_addr ? o->bind_addr : "0.0.0.0";
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	                 MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(o->port);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(o->port);
		flags |= MHD_USE_IPv6;
	} else {
		free_server(s);
		return err_set(ERR_BAD_INPUT, "http: bad bind address %s", addr);
	}
	s->d = MHD_start_daemon(
	    flags, o->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	    s, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)(o->max_connections ? o->max_connections : 1024),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->idle_timeout_s ? o->idle_timeout_s : 300),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)256 * 1024, MHD_OPTION_END);
	if (!s->d) {
		free_server(s);
		return err_set(ERR_IO, "http: cannot listen on %s:%u", addr, (unsigned)o->port);
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	log_info("http: listening on %s:%u", addr, (unsigned)s->port);
	*out = s;
	return ERR_OK;
}

uint16_t http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free_server(s);
}
