/*
 * pg_server: connection lifecycle, simple and extended query protocol of
 * PostgreSQL. Codecs in pg_codec.c, password exchanges in pg_auth.c.
 *
 * Connection lifecycle (one thread each, see netio.h):
 *
 *   startup [SSLRequest/GSSENCRequest -> 'N', repeat] --> auth --> ready
 *      |-- CancelRequest: flag the matching session, close
 *      \-- over the connection limit: FATAL 53300 "Too many connections"
 *   ready: Query | Parse/Bind/Describe/Execute/Close/Flush/Sync | Terminate
 *
 * Extended protocol state: named and unnamed prepared statements and
 * portals per connection. A portal is executed the first time it is
 * described or executed; its whole result is captured (copied) then and
 * later Executes page through it (max_rows, PortalSuspended). Describing
 * a statement that returns rows runs it once with NULL parameters to learn
 * the columns. After an error, messages are skipped until Sync.
 *
 * DataRow encoding (data_rows): text doubles, strings and timestamps go
 * straight into the output buffer after one room check per row (room for
 * each string column's longest value, VFMT_DOUBLE_MAX per double,
 * VFMT_TS_MAX per timestamp); other types and binary formats take the
 * generic codec path, which reserves its own room.
 *
 * Transaction status byte of ReadyForQuery: 'I' idle, 'T' after BEGIN,
 * 'E' after an error inside BEGIN (then only COMMIT/ROLLBACK are accepted,
 * both leave 'I').
 *
 * Message framing limits: a startup packet is at most 10000 bytes, any
 * other message at most max_message; the length is checked before
 * anything is allocated; a bad length or unknown message type ends the
 * connection with a FATAL ErrorResponse.
 */
#include "server/pg_server.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "server/netio.h"
#include "server/pg_int.h"
#include "server/sqltext.h"
#include "server/value_format.h"

#define FLUSH_AT       (256 * 1024)
#define MAX_STMTS      4096
#define SCRAM_ITERS    4096
#define DEFAULT_VERSION "16.3-greptimedb-strata"

enum auth_method { AUTH_TRUST, AUTH_PASSWORD, AUTH_MD5, AUTH_SCRAM };

struct pg_conn;

struct pg_server {
	struct netsrv *net;
	struct query_handler h;
	struct pg_server_opts o;
	char version[64];
	enum auth_method auth;
	struct wire_user *users;
	size_t nusers;
	uint8_t scram_salt[16];
	pthread_mutex_t reg_mu; /* guards the cancel registry */
	struct pg_conn *registry;
};

/* A captured statement result. */
struct captured {
	bool has;
	enum query_result_kind kind;
	uint64_t affected;
	char tag[64];
	int err;
	char sqlstate[6];
	char *msg;
	struct result_set rs;
	uint32_t nrows;
};

struct pg_stmt {
	struct pg_stmt *next;
	char *name;
	char *sql;
	size_t len;
	uint32_t nparams;
	uint32_t *oids;
};

struct pg_portal {
	struct pg_portal *next;
	char *name;
	char *sql;
	size_t len;
	int16_t *rfmts;
	uint16_t nrfmt;
	bool executed;
	struct captured res;
	uint32_t cursor;
};

struct pg_conn {
	struct pg_server *srv;
	struct netio_conn *nc;
	int fd;
	struct session sess;
	struct buf in, out;
	uint8_t type;
	char txn;
	bool skip_to_sync, broken, got_error;
	uint32_t secret;
	struct pg_stmt *stmts;
	uint32_t nstmts;
	struct pg_portal *portals;
	struct vfmt_tz tz;
	const char *cur_sql;
	size_t cur_len;
	struct captured *capture;
	struct pg_conn *reg_next;
};

/* ---- output --------------------------------------------------------- */

static void flush_out(struct pg_conn *c)
{
	if (!c->broken && c->out.len &&
	    netio_send(c->nc, c->out.data, c->out.len, c->srv->o.io_timeout_ms))
		c->broken = true;
	buf_reset(&c->out);
}

static void maybe_flush(struct pg_conn *c)
{
	if (c->out.len >= FLUSH_AT)
		flush_out(c);
}

static void msg_simple(struct pg_conn *c, uint8_t type)
{
	size_t m = pg_msg_begin(&c->out, type);
	pg_msg_end(&c->out, m);
}

static void send_error(struct pg_conn *c, bool fatal, const char *sqlstate, const char *msg)
{
	size_t m = pg_msg_begin(&c->out, 'E');
	const char *sev = fatal ? "FATAL" : "ERROR";
	buf_putc(&c->out, 'S');
	buf_append(&c->out, sev, strlen(sev) + 1);
	buf_putc(&c->out, 'V');
	buf_append(&c->out, sev, strlen(sev) + 1);
	buf_putc(&c->out, 'C');
	buf_append(&c->out, sqlstate, strlen(sqlstate) + 1);
	buf_putc(&c->out, 'M');
	size_t n = strlen(msg);
	buf_append(&c->out, msg, n > 8000 ? 8000 : n);
	buf_putc(&c->out, 0);
	buf_putc(&c->out, 0);
	pg_msg_end(&c->out, m);
	if (fatal)
		flush_out(c);
}

static void send_ready(struct pg_conn *c)
{
	size_t m = pg_msg_begin(&c->out, 'Z');
	buf_putc(&c->out, (uint8_t)c->txn);
	pg_msg_end(&c->out, m);
	flush_out(c);
}

static void send_complete(struct pg_conn *c, const char *tag)
{
	size_t m = pg_msg_begin(&c->out, 'C');
	buf_append(&c->out, tag, strlen(tag) + 1);
	pg_msg_end(&c->out, m);
}

static void param_status(struct pg_conn *c, const char *k, const char *v)
{
	size_t m = pg_msg_begin(&c->out, 'S');
	buf_append(&c->out, k, strlen(k) + 1);
	buf_append(&c->out, v, strlen(v) + 1);
	pg_msg_end(&c->out, m);
}

/* ---- input ---------------------------------------------------------- */

/* Read one typed message into c->type / c->in. */
static int read_message(struct pg_conn *c, int first_timeout)
{
	uint8_t h[5];
	buf_reset(&c->in);
	int rc = netio_recv(c->nc, h, 1, first_timeout, NULL);
	if (rc)
		return rc;
	if (netio_recv(c->nc, h + 1, 4, c->srv->o.io_timeout_ms, NULL))
		return ERR_IO;
	uint32_t len = pg_get_u32(h + 1);
	c->type = h[0];
	if (len < 4)
		return err_set(ERR_PROTOCOL, "invalid message length %u", len);
	if (len - 4 > c->srv->o.max_message)
		return err_set(ERR_LIMIT, "message of %u bytes exceeds the limit of %zu bytes",
			       len, c->srv->o.max_message);
	if (buf_reserve(&c->in, len - 4 + 1))
		return ERR_NOMEM;
	if (len > 4 && netio_recv(c->nc, c->in.data, len - 4, c->srv->o.io_timeout_ms, NULL))
		return ERR_IO;
	c->in.len = len - 4;
	c->in.data[c->in.len] = 0; /* guard for string helpers; not part of the body */
	return ERR_OK;
}

/* ---- result rendering ------------------------------------------------ */

static uint32_t rs_rows(const struct result_set *rs)
{
	uint32_t n = rs->rows.nrows;
	if (rs->rows.ncols < rs->ncols)
		return 0;
	for (uint32_t i = 0; i < rs->ncols; i++)
		if (rs->rows.cols[i].len < n)
			n = rs->rows.cols[i].len;
	return n;
}

static int col_format(const int16_t *rf, uint16_t nrf, uint32_t i)
{
	if (nrf == 0)
		return 0;
	return rf[nrf == 1 ? 0 : i];
}

static void row_description(struct pg_conn *c, const struct result_set *rs, const int16_t *rf,
			    uint16_t nrf)
{
	size_t m = pg_msg_begin(&c->out, 'T');
	pg_put_u16(&c->out, (uint16_t)rs->ncols);
	for (uint32_t i = 0; i < rs->ncols; i++) {
		const char *name = rs->names[i] ? rs->names[i] : "";
		buf_append(&c->out, name, strlen(name) + 1);
		pg_put_u32(&c->out, 0);
		pg_put_u16(&c->out, 0);
		bool iv = result_set_kind(rs, i) == RS_KIND_DURATION;
		pg_put_u32(&c->out, iv ? PG_OID_INTERVAL : pg_oid_of(rs->types[i]));
		pg_put_u16(&c->out, (uint16_t)(iv ? 16 : pg_typlen_of(rs->types[i])));
		pg_put_u32(&c->out, 0xFFFFFFFFu);
		pg_put_u16(&c->out, (uint16_t)col_format(rf, nrf, i));
	}
	pg_msg_end(&c->out, m);
}

static void put_len(uint8_t *p, uint32_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t be = __builtin_bswap32(n); /* one store */
	memcpy(p, &be, 4);
#else
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
#endif
}

/* How data_rows renders a column: text of a double, a string or a
 * timestamp straight into the output (room reserved once per row), or the
 * generic path (binary formats, other types). */
enum { COL_GENERIC, COL_F64, COL_STR, COL_TS };

static uint8_t col_kind(const struct result_set *rs, const int16_t *rf, uint16_t nrf,
			uint32_t col)
{
	if (col_format(rf, nrf, col))
		return COL_GENERIC;
	switch (rs->rows.cols[col].type) {
	case DT_FLOAT64: return COL_F64;
	case DT_STRING: return COL_STR;
	case DT_TS_S:
	case DT_TS_MS:
	case DT_TS_US:
	case DT_TS_NS: return COL_TS;
	default: return COL_GENERIC;
	}
}

/* A generic-path value of row r, column col, length-prefixed; false when
 * it failed. */
static bool generic_value(struct pg_conn *c, const struct result_set *rs, uint32_t col,
			  uint32_t r, const int16_t *rf, uint16_t nrf)
{
	const struct colvec *v = &rs->rows.cols[col];
	size_t at = c->out.len;
	pg_put_u32(&c->out, 0);
	int rc;
	if (col_format(rf, nrf, col) && result_set_kind(rs, col) == RS_KIND_DURATION &&
	    v->type == DT_STRING) {
		uint32_t n;
		const char *s = colvec_bytes(v, r, &n);
		rc = pg_interval_binary(&c->out, s, n);
	} else {
		rc = col_format(rf, nrf, col) ? pg_binary_value(&c->out, v, r, &c->tz)
					      : vfmt_text(&c->out, v, r, VFMT_PG, &c->tz);
	}
	if (rc || at + 4 > c->out.len)
		return false;
	put_len(c->out.data + at, (uint32_t)(c->out.len - at - 4));
	return true;
}

static void data_rows(struct pg_conn *c, const struct result_set *rs, uint32_t from, uint32_t to,
		      const int16_t *rf, uint16_t nrf)
{
	uint32_t ncols = rs->ncols;
	uint8_t kind[ncols ? ncols : 1];
	for (uint32_t col = 0; col < ncols; col++)
		kind[col] = col_kind(rs, rf, nrf, col);
	const struct colvec *cols = rs->rows.cols;
	struct buf *o = &c->out;
	/* room for the header and every fast value of any row: the longest
	 * string of each string column, the most a double or timestamp takes */
	size_t need = 7;
	for (uint32_t col = 0; col < ncols; col++) {
		const struct colvec *v = &cols[col];
		if (kind[col] == COL_STR) {
			uint32_t mx = 0;
			for (uint32_t r = from; r < to; r++)
				if (v->offs[r + 1] - v->offs[r] > mx)
					mx = v->offs[r + 1] - v->offs[r];
			need += 4 + (size_t)mx;
		} else if (kind[col] == COL_F64) {
			need += 4 + VFMT_DOUBLE_MAX;
		} else if (kind[col] == COL_TS) {
			need += 4 + VFMT_TS_MAX;
		}
	}
	for (uint32_t r = from; r < to && !c->broken; r++) {
		if (o->cap - o->len < need && buf_reserve(o, need)) {
			c->broken = true;
			break;
		}
		size_t m = o->len + 1;
		o->data[o->len] = 'D';
		o->len += 5; /* length set by pg_msg_end */
		o->data[o->len++] = (uint8_t)(ncols >> 8);
		o->data[o->len++] = (uint8_t)ncols;
		for (uint32_t col = 0; col < ncols; col++) {
			const struct colvec *v = &cols[col];
			uint8_t *p = o->data + o->len;
			size_t n;
			if (colvec_is_null(v, r)) {
				put_len(p, 0xFFFFFFFFu);
				o->len += 4;
				continue;
			}
			switch (kind[col]) {
			case COL_F64:
				n = vfmt_double((char *)p + 4, v->f64[r], 0, VFMT_PG);
				break;
			case COL_STR: {
				uint32_t len;
				const char *s = colvec_bytes(v, r, &len);
				mem_copy_short(p + 4, s, len);
				n = len;
				break;
			}
			case COL_TS:
				n = vfmt_ts_text((char *)p + 4, v->i64[r], v->type, &c->tz);
				break;
			default:
				if (!generic_value(c, rs, col, r, rf, nrf))
					c->broken = true;
				/* the generic path may have moved the buffer: the
				 * next fast value needs its room again */
				if (!c->broken && col + 1 < ncols &&
				    buf_reserve(o, need))
					c->broken = true;
				if (c->broken)
					goto row_end;
				continue;
			}
			put_len(p, (uint32_t)n);
			o->len += 4 + n;
		}
	row_end:
		pg_msg_end(o, m);
		maybe_flush(c);
	}
}

/* CommandComplete tag of a non-row result of the current statement. */
static void make_tag(const char *sql, size_t len, enum query_result_kind kind, uint64_t affected,
		     const char *given, char *out, size_t outsz)
{
	char verb[64];
	sqltext_verb(sql, len, SQL_DIALECT_PG, 1, verb, sizeof(verb));
	if (kind == QUERY_ROWS) {
		snprintf(out, outsz, "%s %llu", given ? given : "SELECT", (unsigned long long)affected);
		return;
	}
	if (kind == QUERY_AFFECTED) {
		if (!strcmp(verb, "INSERT") || (given && !strcmp(given, "INSERT"))) {
			snprintf(out, outsz, "INSERT 0 %llu", (unsigned long long)affected);
			return;
		}
		if (!strcmp(verb, "DELETE") || !strcmp(verb, "UPDATE") || !strcmp(verb, "COPY") ||
		    !strcmp(verb, "MERGE")) {
			snprintf(out, outsz, "%s %llu", given ? given : verb,
				 (unsigned long long)affected);
			return;
		}
	}
	if (given) {
		snprintf(out, outsz, "%s", given);
		return;
	}
	if (!strcmp(verb, "CREATE") || !strcmp(verb, "DROP") || !strcmp(verb, "ALTER")) {
		char two[64];
		sqltext_verb(sql, len, SQL_DIALECT_PG, 2, two, sizeof(two));
		snprintf(out, outsz, "%s", two);
		return;
	}
	snprintf(out, outsz, "%s", verb[0] ? verb : "OK");
}

static const char *sqlstate_of(struct pg_conn *c, const struct query_result *r)
{
	if (r && r->sqlstate)
		return r->sqlstate;
	int err = r ? r->err : ERR_INTERNAL;
	return session_cancelled(&c->sess) ? "57014" : err_sqlstate(err);
}

/* emit for the simple query protocol: render at once */
static int emit_simple(void *ctx, const struct query_result *r)
{
	struct pg_conn *c = ctx;
	if (c->broken || c->got_error)
		return 1;
	vfmt_tz_resolve(c->sess.time_zone, &c->tz);
	char tag[80];
	switch (r->kind) {
	case QUERY_ROWS: {
		uint32_t n = rs_rows(&r->rs);
		row_description(c, &r->rs, NULL, 0);
		data_rows(c, &r->rs, 0, n, NULL, 0);
		make_tag(c->cur_sql, c->cur_len, QUERY_ROWS, n, r->tag, tag, sizeof(tag));
		send_complete(c, tag);
		break;
	}
	case QUERY_AFFECTED:
	case QUERY_OK:
		make_tag(c->cur_sql, c->cur_len, r->kind, r->affected, r->tag, tag, sizeof(tag));
		send_complete(c, tag);
		break;
	default:
		send_error(c, false, sqlstate_of(c, r), r->err_msg ? r->err_msg : "error");
		c->got_error = true;
		break;
	}
	maybe_flush(c);
	return c->broken ? 1 : 0;
}

static void captured_free(struct captured *k)
{
	mem_free(k->msg);
	result_set_free(&k->rs);
	memset(k, 0, sizeof(*k));
}

static int copy_rs(struct result_set *dst, const struct result_set *src, uint32_t nrows)
{
	int rc = result_set_init(dst, src->ncols, (const char *const *)src->names, src->types);
	for (uint32_t i = 0; !rc && i < src->ncols; i++)
		rc = result_set_set_kind(dst, i, result_set_kind(src, i));
	for (uint32_t i = 0; !rc && i < src->ncols && nrows; i++)
		rc = colvec_append_range(&dst->rows.cols[i], &src->rows.cols[i], 0, nrows);
	if (rc)
		result_set_free(dst);
	else
		dst->rows.nrows = nrows;
	return rc;
}

/* emit for the extended protocol: capture the first result */
static int emit_capture(void *ctx, const struct query_result *r)
{
	struct pg_conn *c = ctx;
	struct captured *k = c->capture;
	if (k->has)
		return 1; /* one statement per portal */
	k->has = true;
	k->kind = r->kind;
	k->affected = r->affected;
	if (r->tag)
		snprintf(k->tag, sizeof(k->tag), "%s", r->tag);
	if (r->kind == QUERY_ERROR) {
		k->err = r->err;
		snprintf(k->sqlstate, sizeof(k->sqlstate), "%s", sqlstate_of(c, r));
		k->msg = mem_strdup(r->err_msg ? r->err_msg : "error");
	} else if (r->kind == QUERY_ROWS) {
		k->nrows = rs_rows(&r->rs);
		if (copy_rs(&k->rs, &r->rs, k->nrows)) {
			k->kind = QUERY_ERROR;
			k->err = ERR_NOMEM;
			snprintf(k->sqlstate, sizeof(k->sqlstate), "%s", err_sqlstate(ERR_NOMEM));
			k->msg = mem_strdup("out of memory while buffering the result");
			k->nrows = 0;
		}
	}
	return 0;
}

/* ---- statements the server answers itself ----------------------------- */

enum local_kind { LOCAL_NONE, LOCAL_BEGIN, LOCAL_COMMIT, LOCAL_ROLLBACK, LOCAL_SET };

static bool is_driver_setting(const char *name)
{
	static const char *names[] = {"extra_float_digits", "application_name", "client_encoding",
				      "datestyle", "intervalstyle", "statement_timeout",
				      "lock_timeout", "idle_in_transaction_session_timeout",
				      "client_min_messages", "bytea_output"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(name, names[i]))
			return true;
	return false;
}

static enum local_kind local_kind(const char *sql, size_t len)
{
	char verb[80];
	sqltext_verb(sql, len, SQL_DIALECT_PG, 3, verb, sizeof(verb));
	if (!strncmp(verb, "BEGIN", 5) || !strncmp(verb, "START TRANSACTION", 17))
		return LOCAL_BEGIN;
	if (!strncmp(verb, "COMMIT", 6) || !strncmp(verb, "END", 3))
		return verb[0] == 'E' && verb[3] && verb[3] != ' ' ? LOCAL_NONE : LOCAL_COMMIT;
	if (!strncmp(verb, "ROLLBACK", 8) || !strncmp(verb, "ABORT", 5))
		return LOCAL_ROLLBACK;
	if (!strncmp(verb, "SET SESSION CHARACTERISTICS", 27))
		return LOCAL_SET;
	if (!strncmp(verb, "SET ", 4)) {
		const char *name = verb + 4;
		if (!strncmp(name, "SESSION ", 8))
			name += 8;
		else if (!strncmp(name, "LOCAL ", 6))
			name += 6;
		if (is_driver_setting(name))
			return LOCAL_SET;
	}
	return LOCAL_NONE;
}

/* Record "SET name = value" of a driver setting in the session. */
static void apply_local_set(struct pg_conn *c, const char *sql, size_t len)
{
	char verb[80];
	sqltext_verb(sql, len, SQL_DIALECT_PG, 3, verb, sizeof(verb));
	const char *name = verb + 4;
	if (!strncmp(name, "SESSION ", 8))
		name += 8;
	else if (!strncmp(name, "LOCAL ", 6))
		name += 6;
	if (!is_driver_setting(name))
		return;
	const char *p = memchr(sql, '=', len);
	const char *to = NULL;
	for (size_t i = 0; i + 4 <= len; i++)
		if (!strncasecmp(sql + i, " TO ", 4)) {
			to = sql + i + 3;
			break;
		}
	if (!p || (to && to < p))
		p = to;
	if (!p)
		return;
	p++;
	const char *e = sql + len;
	while (p < e && (*p == ' ' || *p == '\'' || *p == '"'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\'' || e[-1] == '"' || e[-1] == ';'))
		e--;
	char val[SESSION_VAR_VALUE_MAX];
	snprintf(val, sizeof(val), "%.*s", (int)(e - p), p);
	char lname[SESSION_VAR_NAME_MAX];
	snprintf(lname, sizeof(lname), "%.63s", name);
	session_set_var(&c->sess, lname, val);
}

/* Answer a statement the server handles itself; returns its tag. */
static const char *run_local(struct pg_conn *c, enum local_kind k, const char *sql, size_t len)
{
	switch (k) {
	case LOCAL_BEGIN:
		if (c->txn == 'I')
			c->txn = 'T';
		return "BEGIN";
	case LOCAL_COMMIT: {
		bool failed = c->txn == 'E';
		c->txn = 'I';
		return failed ? "ROLLBACK" : "COMMIT";
	}
	case LOCAL_ROLLBACK:
		c->txn = 'I';
		return "ROLLBACK";
	default:
		apply_local_set(c, sql, len);
		return "SET";
	}
}

static bool txn_aborted(struct pg_conn *c, enum local_kind k)
{
	return c->txn == 'E' && k != LOCAL_COMMIT && k != LOCAL_ROLLBACK;
}

static const char *aborted_msg =
	"current transaction is aborted, commands ignored until end of transaction block";

/* ---- simple query ----------------------------------------------------- */

static void run_simple_stmt(struct pg_conn *c, const char *sql, size_t len)
{
	enum local_kind k = local_kind(sql, len);
	if (txn_aborted(c, k)) {
		send_error(c, false, "25P02", aborted_msg);
		c->got_error = true;
		return;
	}
	if (k != LOCAL_NONE) {
		send_complete(c, run_local(c, k, sql, len));
		return;
	}
	c->cur_sql = sql;
	c->cur_len = len;
	session_clear_cancel(&c->sess);
	err_clear();
	int rc = c->srv->h.execute(c->srv->h.ctx, &c->sess, sql, len, emit_simple, c);
	if (rc && !c->got_error && !c->broken) {
		int code = err_code() ? err_code() : rc;
		struct query_result er = {.kind = QUERY_ERROR, .err = code};
		send_error(c, false, sqlstate_of(c, &er), err_msg()[0] ? err_msg() : "internal error");
		c->got_error = true;
	}
}

static void simple_query(struct pg_conn *c)
{
	if (c->in.len == 0 || c->in.data[c->in.len - 1] != 0) {
		send_error(c, true, "08P01", "invalid Query message: not NUL-terminated");
		c->broken = true;
		return;
	}
	const char *sql = (const char *)c->in.data;
	size_t len = c->in.len - 1;
	size_t pos = 0, b, e;
	uint32_t n = 0;
	c->got_error = false;
	while (!c->got_error && !c->broken &&
	       sqltext_next_stmt(sql, len, SQL_DIALECT_PG, &pos, &b, &e)) {
		n++;
		run_simple_stmt(c, sql + b, e - b);
	}
	if (c->got_error && c->txn == 'T')
		c->txn = 'E';
	if (n == 0)
		msg_simple(c, 'I');
	send_ready(c);
}

/* ---- extended protocol ------------------------------------------------ */

static struct pg_stmt *find_stmt(struct pg_conn *c, const char *name)
{
	for (struct pg_stmt *s = c->stmts; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static struct pg_portal *find_portal(struct pg_conn *c, const char *name)
{
	for (struct pg_portal *p = c->portals; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

static void free_stmt(struct pg_stmt *s)
{
	mem_free(s->name);
	mem_free(s->sql);
	mem_free(s->oids);
	mem_free(s);
}

static void free_portal(struct pg_portal *p)
{
	mem_free(p->name);
	mem_free(p->sql);
	mem_free(p->rfmts);
	captured_free(&p->res);
	mem_free(p);
}

static void drop_stmt(struct pg_conn *c, const char *name)
{
	for (struct pg_stmt **pp = &c->stmts; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, name)) {
			struct pg_stmt *s = *pp;
			*pp = s->next;
			free_stmt(s);
			c->nstmts--;
			return;
		}
}

static void drop_portal(struct pg_conn *c, const char *name)
{
	for (struct pg_portal **pp = &c->portals; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, name)) {
			struct pg_portal *p = *pp;
			*pp = p->next;
			free_portal(p);
			return;
		}
}

static void drop_all_portals(struct pg_conn *c)
{
	while (c->portals) {
		struct pg_portal *p = c->portals;
		c->portals = p->next;
		free_portal(p);
	}
}

static void ext_error(struct pg_conn *c, const char *sqlstate, const char *msg)
{
	send_error(c, false, sqlstate, msg);
	c->skip_to_sync = true;
	if (c->txn == 'T')
		c->txn = 'E';
}

/* Parse: name NUL | query NUL | i16 n | n x i32 oid */
static void msg_parse(struct pg_conn *c)
{
	struct rd r;
	rd_init(&r, c->in.data, c->in.len);
	const char *name = pg_rd_str(&r);
	const char *sql = pg_rd_str(&r);
	uint16_t n = pg_rd_u16(&r);
	const uint8_t *oidp = rd_bytes(&r, (size_t)n * 4);
	if (r.err || rd_left(&r)) {
		ext_error(c, "08P01", "malformed Parse message");
		return;
	}
	size_t len = strlen(sql);
	if (sqltext_count_stmts(sql, len, SQL_DIALECT_PG) > 1) {
		ext_error(c, "42601", "cannot insert multiple commands into a prepared statement");
		return;
	}
	if (*name && find_stmt(c, name)) {
		char m[200];
		snprintf(m, sizeof(m), "prepared statement \"%.100s\" already exists", name);
		ext_error(c, "42P05", m);
		return;
	}
	if (c->nstmts >= MAX_STMTS && *name) {
		ext_error(c, "54000", "too many prepared statements");
		return;
	}
	uint32_t maxd = sqltext_max_dollar(sql, len);
	if (maxd > 65535) {
		ext_error(c, "42P02", "too many parameters");
		return;
	}
	uint32_t np = maxd > n ? maxd : n;
	struct pg_stmt *s = mem_calloc(1, sizeof(*s));
	if (!s || !(s->name = mem_strdup(name)) || !(s->sql = mem_strndup(sql, len)) ||
	    (np && !(s->oids = mem_calloc(np, sizeof(uint32_t))))) {
		if (s)
			free_stmt(s);
		ext_error(c, "53200", "out of memory");
		return;
	}
	s->len = len;
	s->nparams = np;
	for (uint16_t i = 0; i < n; i++)
		s->oids[i] = pg_get_u32(oidp + 4 * i);
	drop_stmt(c, name); /* the unnamed statement is replaced */
	s->next = c->stmts;
	c->stmts = s;
	c->nstmts++;
	msg_simple(c, '1');
}

struct bind_ctx {
	const struct pg_stmt *s;
	const struct pg_bind *b; /* NULL: every parameter is NULL */
};

static int bind_param(void *ctx, uint32_t idx, struct buf *out)
{
	struct bind_ctx *x = ctx;
	if (idx >= x->s->nparams)
		return err_set(ERR_BAD_INPUT, "there is no parameter $%u", idx + 1);
	if (!x->b)
		return buf_append(out, "NULL", 4);
	int rc = pg_param_literal(out, x->s->oids[idx], pg_bind_param_format(x->b, (uint16_t)idx),
				  x->b->vals[idx], x->b->lens[idx]);
	if (rc && rc != ERR_NOMEM)
		err_wrap("parameter $%u", idx + 1);
	return rc;
}

static void msg_bind(struct pg_conn *c)
{
	struct pg_bind b;
	if (pg_parse_bind(c->in.data, c->in.len, &b)) {
		ext_error(c, "08P01", err_msg());
		return;
	}
	char m[300];
	struct pg_stmt *s = find_stmt(c, b.stmt);
	struct pg_portal *p = NULL;
	struct buf sql;
	buf_init(&sql);
	if (!s) {
		snprintf(m, sizeof(m), "prepared statement \"%.100s\" does not exist", b.stmt);
		ext_error(c, "26000", m);
		goto out;
	}
	if (b.nparams != s->nparams) {
		snprintf(m, sizeof(m),
			 "bind message supplies %u parameters, but prepared statement \"%.100s\" "
			 "requires %u",
			 b.nparams, b.stmt, s->nparams);
		ext_error(c, "08P01", m);
		goto out;
	}
	if (*b.portal && find_portal(c, b.portal)) {
		snprintf(m, sizeof(m), "portal \"%.100s\" already exists", b.portal);
		ext_error(c, "42P03", m);
		goto out;
	}
	struct bind_ctx x = {s, &b};
	int rc = sqltext_substitute(s->sql, s->len, SQL_DIALECT_PG, &sql, bind_param, &x);
	if (rc) {
		ext_error(c, rc == ERR_NOMEM ? "53200" : rc == ERR_UNSUPPORTED ? "0A000" : "22P02",
			  err_msg());
		goto out;
	}
	p = mem_calloc(1, sizeof(*p));
	if (!p || !(p->name = mem_strdup(b.portal)) ||
	    (b.nrfmt && !(p->rfmts = mem_dup(b.rfmts, b.nrfmt * sizeof(int16_t))))) {
		ext_error(c, "53200", "out of memory");
		goto out;
	}
	p->nrfmt = b.nrfmt;
	p->len = sql.len;
	p->sql = sql.len ? (char *)buf_steal(&sql, &p->len) : mem_strdup("");
	if (!p->sql) {
		ext_error(c, "53200", "out of memory");
		goto out;
	}
	drop_portal(c, b.portal);
	p->next = c->portals;
	c->portals = p;
	p = NULL;
	msg_simple(c, '2');
out:
	if (p)
		free_portal(p);
	buf_free(&sql);
	pg_bind_free(&b);
}

/* Run sql (one statement) and capture its result into k. */
static void run_capture(struct pg_conn *c, const char *sql, size_t len, struct captured *k)
{
	memset(k, 0, sizeof(*k));
	c->capture = k;
	c->cur_sql = sql;
	c->cur_len = len;
	session_clear_cancel(&c->sess);
	err_clear();
	int rc = c->srv->h.execute(c->srv->h.ctx, &c->sess, sql, len, emit_capture, c);
	c->capture = NULL;
	if (!k->has) {
		k->has = true;
		if (rc) {
			k->kind = QUERY_ERROR;
			k->err = err_code() ? err_code() : rc;
			struct query_result er = {.kind = QUERY_ERROR, .err = k->err};
			snprintf(k->sqlstate, sizeof(k->sqlstate), "%s", sqlstate_of(c, &er));
			k->msg = mem_strdup(err_msg()[0] ? err_msg() : "internal error");
		} else {
			k->kind = QUERY_OK;
		}
	}
}

static bool is_empty_sql(const char *sql, size_t len)
{
	return sqltext_count_stmts(sql, len, SQL_DIALECT_PG) == 0;
}

static void execute_portal_now(struct pg_conn *c, struct pg_portal *p)
{
	if (p->executed)
		return;
	p->executed = true;
	if (is_empty_sql(p->sql, p->len))
		return;
	enum local_kind k = local_kind(p->sql, p->len);
	if (txn_aborted(c, k)) {
		p->res.has = true;
		p->res.kind = QUERY_ERROR;
		snprintf(p->res.sqlstate, sizeof(p->res.sqlstate), "25P02");
		p->res.msg = mem_strdup(aborted_msg);
		return;
	}
	if (k != LOCAL_NONE) {
		p->res.has = true;
		p->res.kind = QUERY_OK;
		snprintf(p->res.tag, sizeof(p->res.tag), "%s", run_local(c, k, p->sql, p->len));
		return;
	}
	run_capture(c, p->sql, p->len, &p->res);
}

static bool rows_verb(const char *sql, size_t len)
{
	char v[32];
	sqltext_verb(sql, len, SQL_DIALECT_PG, 1, v, sizeof(v));
	return !strcmp(v, "SELECT") || !strcmp(v, "WITH") || !strcmp(v, "SHOW") ||
	       !strcmp(v, "DESC") || !strcmp(v, "DESCRIBE") || !strcmp(v, "EXPLAIN") ||
	       !strcmp(v, "VALUES") || !strcmp(v, "TABLE") || !strcmp(v, "TQL");
}

static bool check_formats(struct pg_conn *c, uint32_t ncols, uint16_t nrf)
{
	if (nrf > 1 && nrf != ncols) {
		char m[160];
		snprintf(m, sizeof(m), "bind message has %u result formats but query has %u columns",
			 nrf, ncols);
		ext_error(c, "08P01", m);
		return false;
	}
	return true;
}

static void msg_describe(struct pg_conn *c)
{
	struct rd r;
	rd_init(&r, c->in.data, c->in.len);
	uint8_t what = rd_u8(&r);
	const char *name = pg_rd_str(&r);
	char m[200];
	if (r.err || rd_left(&r) || (what != 'S' && what != 'P')) {
		ext_error(c, "08P01", "malformed Describe message");
		return;
	}
	if (what == 'P') {
		struct pg_portal *p = find_portal(c, name);
		if (!p) {
			snprintf(m, sizeof(m), "portal \"%.100s\" does not exist", name);
			ext_error(c, "34000", m);
			return;
		}
		execute_portal_now(c, p);
		if (p->res.has && p->res.kind == QUERY_ERROR) {
			ext_error(c, p->res.sqlstate, p->res.msg ? p->res.msg : "error");
			return;
		}
		if (p->res.has && p->res.kind == QUERY_ROWS) {
			if (check_formats(c, p->res.rs.ncols, p->nrfmt))
				row_description(c, &p->res.rs, p->rfmts, p->nrfmt);
		} else {
			msg_simple(c, 'n');
		}
		return;
	}
	struct pg_stmt *s = find_stmt(c, name);
	if (!s) {
		snprintf(m, sizeof(m), "prepared statement \"%.100s\" does not exist", name);
		ext_error(c, "26000", m);
		return;
	}
	size_t at = pg_msg_begin(&c->out, 't');
	pg_put_u16(&c->out, (uint16_t)s->nparams);
	for (uint32_t i = 0; i < s->nparams; i++)
		pg_put_u32(&c->out, s->oids[i] ? s->oids[i] : PG_OID_TEXT);
	pg_msg_end(&c->out, at);
	if (!rows_verb(s->sql, s->len) || local_kind(s->sql, s->len) != LOCAL_NONE) {
		msg_simple(c, 'n');
		return;
	}
	struct buf sql;
	buf_init(&sql);
	struct bind_ctx x = {s, NULL};
	struct captured k;
	memset(&k, 0, sizeof(k));
	if (sqltext_substitute(s->sql, s->len, SQL_DIALECT_PG, &sql, bind_param, &x)) {
		ext_error(c, "53200", err_msg());
	} else {
		run_capture(c, sql.data ? (const char *)sql.data : "", sql.len, &k);
		if (k.kind == QUERY_ERROR)
			ext_error(c, k.sqlstate, k.msg ? k.msg : "error");
		else if (k.kind == QUERY_ROWS)
			row_description(c, &k.rs, NULL, 0);
		else
			msg_simple(c, 'n');
	}
	captured_free(&k);
	buf_free(&sql);
}

static void msg_execute(struct pg_conn *c)
{
	struct rd r;
	rd_init(&r, c->in.data, c->in.len);
	const char *name = pg_rd_str(&r);
	uint32_t max_rows = pg_rd_u32(&r);
	if (r.err || rd_left(&r)) {
		ext_error(c, "08P01", "malformed Execute message");
		return;
	}
	struct pg_portal *p = find_portal(c, name);
	if (!p) {
		char m[200];
		snprintf(m, sizeof(m), "portal \"%.100s\" does not exist", name);
		ext_error(c, "34000", m);
		return;
	}
	execute_portal_now(c, p);
	struct captured *k = &p->res;
	if (!k->has) {
		msg_simple(c, 'I'); /* empty query */
		return;
	}
	vfmt_tz_resolve(c->sess.time_zone, &c->tz);
	char tag[80];
	switch (k->kind) {
	case QUERY_ERROR:
		ext_error(c, k->sqlstate, k->msg ? k->msg : "error");
		return;
	case QUERY_ROWS: {
		if (!check_formats(c, k->rs.ncols, p->nrfmt))
			return;
		uint32_t left = k->nrows - p->cursor;
		uint32_t n = max_rows && max_rows < left ? max_rows : left;
		data_rows(c, &k->rs, p->cursor, p->cursor + n, p->rfmts, p->nrfmt);
		p->cursor += n;
		if (p->cursor < k->nrows) {
			msg_simple(c, 's');
			return;
		}
		make_tag(p->sql, p->len, QUERY_ROWS, n, k->tag[0] ? k->tag : NULL, tag, sizeof(tag));
		break;
	}
	default:
		make_tag(p->sql, p->len, k->kind, k->affected, k->tag[0] ? k->tag : NULL, tag,
			 sizeof(tag));
		break;
	}
	send_complete(c, tag);
}

static void msg_close(struct pg_conn *c)
{
	struct rd r;
	rd_init(&r, c->in.data, c->in.len);
	uint8_t what = rd_u8(&r);
	const char *name = pg_rd_str(&r);
	if (r.err || rd_left(&r) || (what != 'S' && what != 'P')) {
		ext_error(c, "08P01", "malformed Close message");
		return;
	}
	if (what == 'S')
		drop_stmt(c, name);
	else
		drop_portal(c, name);
	msg_simple(c, '3');
}

/* ---- startup and authentication --------------------------------------- */

static void registry_add(struct pg_conn *c)
{
	pthread_mutex_lock(&c->srv->reg_mu);
	c->reg_next = c->srv->registry;
	c->srv->registry = c;
	pthread_mutex_unlock(&c->srv->reg_mu);
}

static void registry_remove(struct pg_conn *c)
{
	pthread_mutex_lock(&c->srv->reg_mu);
	for (struct pg_conn **pp = &c->srv->registry; *pp; pp = &(*pp)->reg_next)
		if (*pp == c) {
			*pp = c->reg_next;
			break;
		}
	pthread_mutex_unlock(&c->srv->reg_mu);
}

static void handle_cancel(struct pg_server *srv, uint32_t pid, uint32_t key)
{
	pthread_mutex_lock(&srv->reg_mu);
	for (struct pg_conn *c = srv->registry; c; c = c->reg_next)
		if (c->sess.conn_id == pid && c->secret == key)
			session_request_cancel(&c->sess);
	pthread_mutex_unlock(&srv->reg_mu);
}

static void auth_request(struct pg_conn *c, uint32_t code, const void *extra, size_t n)
{
	size_t m = pg_msg_begin(&c->out, 'R');
	pg_put_u32(&c->out, code);
	if (n)
		buf_append(&c->out, extra, n);
	pg_msg_end(&c->out, m);
	flush_out(c);
}

/* Read the client's 'p' message during authentication. */
static bool read_password_msg(struct pg_conn *c)
{
	int rc = read_message(c, c->srv->o.io_timeout_ms);
	if (rc == ERR_LIMIT || rc == ERR_PROTOCOL)
		send_error(c, true, "08P01", err_msg());
	if (rc)
		return false;
	if (c->type != 'p') {
		send_error(c, true, "08P01", "expected a password response");
		return false;
	}
	return true;
}

static const char *user_password(struct pg_server *srv, const char *user)
{
	for (size_t i = 0; i < srv->nusers; i++)
		if (!strcmp(srv->users[i].name, user))
			return srv->users[i].password;
	return NULL;
}

static bool scram_auth(struct pg_conn *c, const char *pw)
{
	static const char mech[] = "SCRAM-SHA-256\0";
	auth_request(c, 10, mech, sizeof(mech));
	if (!read_password_msg(c))
		return false;
	/* SASLInitialResponse: mechanism NUL | i32 len | data */
	struct rd r;
	rd_init(&r, c->in.data, c->in.len);
	const char *m = pg_rd_str(&r);
	int32_t n = (int32_t)pg_rd_u32(&r);
	const uint8_t *data = n > 0 ? rd_bytes(&r, (size_t)n) : NULL;
	if (r.err || !data || rd_left(&r) || strcmp(m, "SCRAM-SHA-256")) {
		send_error(c, true, "08P01", "malformed SASLInitialResponse");
		return false;
	}
	uint8_t rnd[18];
	char snonce[32];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || pg_b64_encode(rnd, sizeof(rnd), snonce, sizeof(snonce)))
		return false;
	struct pg_scram s;
	/* unknown users get a made-up password so the exchange looks the same */
	if (pg_scram_first(&s, pw ? pw : "\x01unknown", c->srv->scram_salt,
			   sizeof(c->srv->scram_salt), SCRAM_ITERS, snonce, data, (size_t)n)) {
		send_error(c, true, "08P01", err_msg());
		return false;
	}
	auth_request(c, 11, s.server_first, strlen(s.server_first));
	if (!read_password_msg(c))
		return false;
	char final[128];
	int rc = pg_scram_final(&s, c->in.data, c->in.len, final, sizeof(final));
	memset(&s, 0, sizeof(s));
	if (rc == ERR_PROTOCOL) {
		send_error(c, true, "08P01", err_msg());
		return false;
	}
	if (rc || !pw)
		return false;
	auth_request(c, 12, final, strlen(final));
	return true;
}

static bool authenticate(struct pg_conn *c)
{
	struct pg_server *srv = c->srv;
	if (srv->auth == AUTH_TRUST)
		return true;
	const char *pw = user_password(srv, c->sess.user);
	bool ok = false;
	if (srv->auth == AUTH_SCRAM) {
		ok = scram_auth(c, pw);
	} else if (srv->auth == AUTH_MD5) {
		uint8_t salt[4];
		if (RAND_bytes(salt, 4) != 1)
			return false;
		auth_request(c, 5, salt, 4);
		if (!read_password_msg(c))
			return false;
		char want[36];
		ok = pw && !pg_md5_response(c->sess.user, pw, salt, want) && c->in.len == 36 &&
		     c->in.data[35] == 0 && !memcmp(want, c->in.data, 35);
	} else {
		auth_request(c, 3, NULL, 0);
		if (!read_password_msg(c))
			return false;
		ok = pw && c->in.len == strlen(pw) + 1 && !memcmp(pw, c->in.data, c->in.len);
	}
	if (!ok && !c->broken) {
		char m[200];
		snprintf(m, sizeof(m), "password authentication failed for user \"%.64s\"",
			 c->sess.user);
		send_error(c, true, "28P01", m);
	}
	return ok;
}

/* database -> [catalog-]schema, checked through the handler with USE. */
static bool use_database(struct pg_conn *c, const char *db)
{
	const char *schema = db;
	const char *dash = strchr(db, '-');
	if (dash && dash != db && dash[1]) {
		snprintf(c->sess.catalog, sizeof(c->sess.catalog), "%.*s", (int)(dash - db), db);
		schema = dash + 1;
	}
	struct buf q;
	buf_init(&q);
	buf_append(&q, "USE \"", 5);
	for (const char *p = schema; *p; p++) {
		if (*p == '"')
			buf_putc(&q, '"');
		buf_putc(&q, (uint8_t)*p);
	}
	buf_putc(&q, '"');
	struct captured k;
	run_capture(c, q.data ? (const char *)q.data : "", q.len, &k);
	buf_free(&q);
	bool ok = k.kind != QUERY_ERROR;
	if (!ok)
		send_error(c, true, "3D000", k.msg ? k.msg : "database does not exist");
	captured_free(&k);
	return ok;
}

static bool startup(struct pg_conn *c)
{
	struct pg_server *srv = c->srv;
	uint8_t *body = NULL;
	bool ok = false;
	struct pg_startup st;
	for (int round = 0; round < 4; round++) {
		uint8_t h[4];
		if (netio_recv(c->nc, h, 4, srv->o.io_timeout_ms, NULL))
			goto out;
		uint32_t len = pg_get_u32(h);
		if (len < 8 || len > PG_STARTUP_MAX) {
			send_error(c, true, "08P01", "invalid length of startup packet");
			goto out;
		}
		mem_free(body);
		body = mem_alloc(len - 4);
		if (!body || netio_recv(c->nc, body, len - 4, srv->o.io_timeout_ms, NULL))
			goto out;
		int rc = pg_parse_startup(body, len - 4, &st);
		if (rc) {
			send_error(c, true, rc == ERR_UNSUPPORTED ? "0A000" : "08P01", err_msg());
			goto out;
		}
		if (st.code == PG_SSL_CODE && srv->o.tls && !netio_is_tls(c->nc)) {
			/* 'S', then the TLS handshake; the startup packet follows
			 * inside TLS */
			buf_putc(&c->out, 'S');
			flush_out(c);
			if (c->broken || netio_start_tls(c->nc, srv->o.tls, srv->o.io_timeout_ms)) {
				log_debug("postgres: %s: %s", c->nc->peer, err_msg());
				goto out;
			}
			continue;
		}
		if (st.code == PG_SSL_CODE || st.code == PG_GSS_CODE) {
			buf_putc(&c->out, 'N');
			flush_out(c);
			continue;
		}
		if (st.code == PG_CANCEL_CODE) {
			handle_cancel(srv, st.cancel_pid, st.cancel_key);
			goto out;
		}
		break;
	}
	if (st.code == PG_SSL_CODE || st.code == PG_GSS_CODE || st.code == PG_CANCEL_CODE) {
		send_error(c, true, "08P01", "too many encryption requests");
		goto out;
	}
	if (c->nc->over_limit) {
		send_error(c, true, "53300", "Too many connections");
		goto out;
	}
	if (srv->o.tls_required && !netio_is_tls(c->nc)) {
		send_error(c, true, "28000",
			   "SSL connection is required (the server runs with --tls-mode require)");
		goto out;
	}
	const char *user = pg_startup_get(&st, "user");
	if (!user || !*user) {
		send_error(c, true, "28000", "no PostgreSQL user name specified in startup packet");
		goto out;
	}
	snprintf(c->sess.user, sizeof(c->sess.user), "%s", user);
	const char *app = pg_startup_get(&st, "application_name");
	if (app)
		session_set_var(&c->sess, "application_name", app);
	const char *efd = pg_startup_get(&st, "extra_float_digits");
	if (efd)
		session_set_var(&c->sess, "extra_float_digits", efd);
	if ((st.code & 0xffff) != 0) {
		/* NegotiateProtocolVersion: newest minor we speak + unknown options */
		size_t m = pg_msg_begin(&c->out, 'v');
		pg_put_u32(&c->out, PG_PROTO_V3);
		uint32_t nopt = 0;
		for (uint32_t i = 0; i < st.nparams; i++)
			nopt += !strncmp(st.keys[i], "_pq_.", 5);
		pg_put_u32(&c->out, nopt);
		for (uint32_t i = 0; i < st.nparams; i++)
			if (!strncmp(st.keys[i], "_pq_.", 5))
				buf_append(&c->out, st.keys[i], strlen(st.keys[i]) + 1);
		pg_msg_end(&c->out, m);
	}
	if (!authenticate(c))
		goto out;
	auth_request(c, 0, NULL, 0);
	const char *db = pg_startup_get(&st, "database");
	if (db && *db && !use_database(c, db))
		goto out;
	param_status(c, "server_version", srv->version);
	param_status(c, "server_encoding", "UTF8");
	param_status(c, "client_encoding", "UTF8");
	param_status(c, "DateStyle", "ISO, YMD");
	param_status(c, "IntervalStyle", "postgres");
	param_status(c, "integer_datetimes", "on");
	param_status(c, "standard_conforming_strings", "on");
	param_status(c, "TimeZone", c->sess.time_zone);
	param_status(c, "is_superuser", "on");
	param_status(c, "session_authorization", c->sess.user);
	param_status(c, "application_name", app ? app : "");
	size_t m = pg_msg_begin(&c->out, 'K');
	pg_put_u32(&c->out, c->sess.conn_id);
	pg_put_u32(&c->out, c->secret);
	pg_msg_end(&c->out, m);
	c->txn = 'I';
	send_ready(c);
	ok = !c->broken;
out:
	mem_free(body);
	return ok;
}

static void message_loop(struct pg_conn *c)
{
	struct pg_server *srv = c->srv;
	while (!c->broken) {
		int rc = read_message(c, srv->o.idle_timeout_ms);
		if (rc == ERR_LIMIT) {
			/* as PostgreSQL: "invalid message length", a protocol
			 * violation; the rest of the message is never read */
			send_error(c, true, "08P01", err_msg());
			return;
		}
		if (rc == ERR_PROTOCOL || rc == ERR_NOMEM) {
			send_error(c, true, rc == ERR_NOMEM ? "53200" : "08P01", err_msg());
			return;
		}
		if (rc)
			return;
		if (c->type == 'X')
			return;
		if (c->skip_to_sync && c->type != 'S')
			continue;
		switch (c->type) {
		case 'Q':
			simple_query(c);
			break;
		case 'P':
			msg_parse(c);
			break;
		case 'B':
			msg_bind(c);
			break;
		case 'D':
			msg_describe(c);
			break;
		case 'E':
			msg_execute(c);
			break;
		case 'C':
			msg_close(c);
			break;
		case 'H':
			flush_out(c);
			break;
		case 'S':
			c->skip_to_sync = false;
			if (c->txn == 'I')
				drop_all_portals(c);
			send_ready(c);
			break;
		case 'd':
		case 'c':
		case 'f':
			break; /* COPY data outside COPY: ignored, as PostgreSQL does */
		case 'F':
			ext_error(c, "0A000", "function call messages are not supported");
			break;
		default: {
			char m[80];
			snprintf(m, sizeof(m), "invalid frontend message type %d", c->type);
			send_error(c, true, "08P01", m);
			return;
		}
		}
		maybe_flush(c);
	}
}

static void serve(void *arg, struct netio_conn *nc)
{
	struct pg_server *srv = arg;
	struct pg_conn *c = mem_calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = srv;
	c->nc = nc;
	c->fd = nc->fd;
	c->txn = 'I';
	buf_init(&c->in);
	buf_init(&c->out);
	session_init(&c->sess, SESSION_PG, nc->conn_id);
	if (RAND_bytes((uint8_t *)&c->secret, sizeof(c->secret)) != 1)
		c->secret = nc->conn_id * 2654435761u;
	registry_add(c);
	if (startup(c))
		message_loop(c);
	registry_remove(c);
	while (c->stmts)
		drop_stmt(c, c->stmts->name);
	drop_all_portals(c);
	buf_free(&c->in);
	buf_free(&c->out);
	mem_free(c);
}

static void free_server(struct pg_server *s)
{
	for (size_t i = 0; i < s->nusers; i++) {
		mem_free((char *)s->users[i].name);
		mem_free((char *)s->users[i].password);
	}
	mem_free(s->users);
	pthread_mutex_destroy(&s->reg_mu);
	mem_free(s);
}

int pg_server_start(const char *addr, uint16_t port, const struct query_handler *h,
		    const struct pg_server_opts *o, struct pg_server **out)
{
	*out = NULL;
	struct pg_server *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	pthread_mutex_init(&s->reg_mu, NULL);
	s->h = *h;
	if (o)
		s->o = *o;
	if (s->o.max_message == 0)
		s->o.max_message = 64u << 20;
	if (s->o.max_message > (1u << 30))
		s->o.max_message = 1u << 30;
	if (s->o.idle_timeout_ms <= 0)
		s->o.idle_timeout_ms = -1;
	if (s->o.io_timeout_ms <= 0)
		s->o.io_timeout_ms = 30000;
	snprintf(s->version, sizeof(s->version), "%s",
		 s->o.server_version ? s->o.server_version : DEFAULT_VERSION);
	s->o.server_version = NULL;
	int rc = ERR_OK;
	const char *m = s->o.auth_method;
	if (s->o.nusers == 0 || (m && !strcmp(m, "trust"))) {
		s->auth = AUTH_TRUST;
	} else if (!m || !strcmp(m, "scram-sha-256")) {
		s->auth = AUTH_SCRAM;
	} else if (!strcmp(m, "md5")) {
		s->auth = AUTH_MD5;
	} else if (!strcmp(m, "password")) {
		s->auth = AUTH_PASSWORD;
	} else {
		rc = err_set(ERR_BAD_INPUT, "unknown PostgreSQL auth method %s", m);
		goto fail;
	}
	s->o.auth_method = NULL;
	if (s->o.nusers) {
		s->users = mem_calloc(s->o.nusers, sizeof(*s->users));
		if (!s->users) {
			rc = ERR_NOMEM;
			goto fail;
		}
		for (size_t i = 0; i < s->o.nusers; i++) {
			s->users[i].name = mem_strdup(o->users[i].name);
			s->users[i].password = mem_strdup(o->users[i].password ? o->users[i].password : "");
			s->nusers++;
			if (!s->users[i].name || !s->users[i].password) {
				rc = ERR_NOMEM;
				goto fail;
			}
		}
	}
	s->o.users = NULL;
	if (RAND_bytes(s->scram_salt, sizeof(s->scram_salt)) != 1) {
		rc = err_set(ERR_INTERNAL, "no random bytes for the SCRAM salt");
		goto fail;
	}
	struct netio_opts no = {.max_connections = s->o.max_connections, .name = "postgres"};
	if ((rc = netsrv_start(addr, port, &no, serve, s, &s->net)))
		goto fail;
	*out = s;
	return ERR_OK;
fail:
	free_server(s);
	return rc;
}

uint16_t pg_server_port(const struct pg_server *s) { return netsrv_port(s->net); }

void pg_server_stop(struct pg_server *s)
{
	if (!s)
		return;
	netsrv_stop(s->net);
	free_server(s);
}
