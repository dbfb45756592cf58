/*
 * mysql_server: connection lifecycle and commands of the MySQL protocol.
 * Codecs live in mysql_codec.c, password checks in mysql_auth.c.
 *
 * Connection lifecycle (one thread each, see netio.h):
 *
 *   greeting --> auth [--> auth switch] [--> sha2 full auth] --> commands
 *      |            \--> ERR 1045 + close
 *      \--> over the connection limit: ERR 1040 + close
 *
 * Greeting (HandshakeV10, sequence 0):
 *   u8 10 | version NUL | u32 conn_id | salt[0..8] | u8 0 | u16 caps_lo |
 *   u8 charset (45 utf8mb4_general_ci) | u16 status | u16 caps_hi |
 *   u8 21 | 10 x 0 | salt[8..20] | u8 0 | auth plugin name NUL
 *
 * Every command resets the sequence to 0; every reply continues it. A
 * frame with a wrong sequence id, a payload above max_packet, a truncated
 * frame or a malformed handshake gets an ERR packet (when the socket still
 * works) and the connection is closed; other clients are unaffected.
 *
 * Results: each statement's result is rendered as soon as the handler
 * emits it. The terminal packet of a result (OK, or EOF / OK-0xFE after
 * rows) is held back until the next result or the end, so that its
 * SERVER_MORE_RESULTS_EXISTS flag can be set when another result follows.
 * Error messages follow GreptimeDB: "(StatusName): message".
 */
#include "server/mysql_server.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "server/mysql_int.h"
#include "server/netio.h"
#include "server/sqltext.h"
#include "server/value_format.h"

#define SERVER_CAPS                                                                         \
	(MY_CLIENT_LONG_PASSWORD | MY_CLIENT_FOUND_ROWS | MY_CLIENT_LONG_FLAG |             \
	 MY_CLIENT_CONNECT_WITH_DB | MY_CLIENT_PROTOCOL_41 | MY_CLIENT_TRANSACTIONS |       \
	 MY_CLIENT_SECURE_CONNECTION | MY_CLIENT_MULTI_STATEMENTS | MY_CLIENT_MULTI_RESULTS | \
	 MY_CLIENT_PS_MULTI_RESULTS | MY_CLIENT_PLUGIN_AUTH | MY_CLIENT_CONNECT_ATTRS |     \
	 MY_CLIENT_PLUGIN_AUTH_LENENC | MY_CLIENT_DEPRECATE_EOF | MY_CLIENT_INTERACTIVE |   \
	 MY_CLIENT_IGNORE_SPACE)

#define NATIVE_PLUGIN     "mysql_native_password"
#define SHA2_PLUGIN       "caching_sha2_password"
#define FLUSH_AT          (256 * 1024)
#define MAX_STMTS         1024
#define HANDSHAKE_MAX_PKT (64 * 1024)

enum {
	COM_QUIT = 0x01, COM_INIT_DB = 0x02, COM_QUERY = 0x03, COM_FIELD_LIST = 0x04,
	COM_STATISTICS = 0x09, COM_PING = 0x0e, COM_STMT_PREPARE = 0x16,
	COM_STMT_EXECUTE = 0x17, COM_STMT_SEND_LONG_DATA = 0x18, COM_STMT_CLOSE = 0x19,
	COM_STMT_RESET = 0x1a, COM_SET_OPTION = 0x1b, COM_RESET_CONNECTION = 0x1f,
};

struct mysql_server {
	struct netsrv *net;
	struct query_handler h;
	struct mysql_server_opts o;
	char version[64];
	const char *plugin;
	struct wire_user *users;
	size_t nusers;
	struct my_rsa *rsa;
	pthread_mutex_t cache_mu; /* guards the caching_sha2 cache */
	char (*cache)[64];
	size_t ncache, cache_cap;
	int64_t started_ms;
};

struct my_stmt {
	struct my_stmt *next;
	uint32_t id;
	char *sql;
	size_t len;
	uint16_t nparams;
	uint8_t *types; /* 2 bytes per parameter, as last bound */
	bool types_set;
	struct buf *long_data; /* nparams buffers, NULL until SEND_LONG_DATA */
	bool *has_long;
};

struct my_conn {
	struct mysql_server *srv;
	struct netio_conn *nc;
	int fd;
	struct session sess;
	uint32_t caps;
	uint8_t seq;
	uint16_t status;
	struct buf in, out, pkt, val, term;
	size_t term_status_off;
	bool has_term, binary_rows, got_error, broken;
	struct vfmt_tz tz;
	uint8_t salt[20];
	struct my_stmt *stmts;
	uint32_t next_stmt_id, nstmts;
	uint64_t questions;
};

/* ---- error texts ---------------------------------------------------- */

static const char *my_sqlstate(int code)
{
	switch (code) {
	case 1040: case 1251: return "08004";
	case 1045: return "28000";
	case 1046: return "3D000";
	case 1047: case 1153: case 1156: case 1043: return "08S01";
	case 1044: case 1049: case 1064: case 1065: case 1235: return "42000";
	case 1050: return "42S01";
	case 1054: return "42S22";
	case 1146: return "42S02";
	case 1213: return "40001";
	case 1317: return "70100";
	case 3159: return "HY000";
	default: return "HY000";
	}
}

static const char *greptime_status_name(int st)
{
	static const struct {
		int code;
		const char *name;
	} t[] = {
		{0, "Success"}, {1000, "Unknown"}, {1001, "Unsupported"}, {1002, "Unexpected"},
		{1003, "Internal"}, {1004, "InvalidArguments"}, {1005, "Cancelled"},
		{1006, "IllegalState"}, {2000, "InvalidSyntax"}, {3000, "PlanQuery"},
		{3001, "EngineExecuteQuery"}, {4000, "TableAlreadyExists"}, {4001, "TableNotFound"},
		{4002, "TableColumnNotFound"}, {4003, "TableColumnExists"},
		{4004, "DatabaseNotFound"}, {4005, "RegionNotFound"}, {4006, "RegionAlreadyExists"},
		{4007, "RegionReadonly"}, {4008, "RegionNotReady"}, {4009, "RegionBusy"},
		{4010, "TableUnavailable"}, {4011, "DatabaseAlreadyExists"},
		{5000, "StorageUnavailable"}, {5001, "RequestOutdated"},
		{6000, "RuntimeResourcesExhausted"}, {6001, "RateLimited"}, {7000, "UserNotFound"},
		{7001, "UnsupportedPasswordType"}, {7002, "UserPasswordMismatch"},
		{7005, "AccessDenied"}, {7006, "PermissionDenied"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == st)
			return t[i].name;
	return "Unknown";
}

/* ---- output --------------------------------------------------------- */

static void flush_out(struct my_conn *c)
{
	if (c->broken || c->out.len == 0) {
		buf_reset(&c->out);
		return;
	}
	if (netio_send(c->nc, c->out.data, c->out.len, c->srv->o.io_timeout_ms))
		c->broken = true;
	buf_reset(&c->out);
}

/* Frame c->pkt as the next packet(s). */
static void put_pkt(struct my_conn *c)
{
	if (my_frame(&c->out, &c->seq, c->pkt.data, c->pkt.len))
		c->broken = true;
	buf_reset(&c->pkt);
	if (c->out.len >= FLUSH_AT)
		flush_out(c);
}

static void build_ok(struct buf *b, uint64_t affected, uint16_t status, size_t *status_off)
{
	buf_reset(b);
	buf_putc(b, 0x00);
	my_put_lenenc(b, affected);
	my_put_lenenc(b, 0);
	if (status_off)
		*status_off = b->len;
	buf_put_u16le(b, status);
	buf_put_u16le(b, 0);
}

/* The end of a column list or of rows: EOF, or OK with 0xFE header when
 * CLIENT_DEPRECATE_EOF was negotiated (status at offset 3 in both). */
static void build_eof(struct my_conn *c, struct buf *b, bool allow_ok)
{
	buf_reset(b);
	buf_putc(b, 0xFE);
	if (allow_ok && (c->caps & MY_CLIENT_DEPRECATE_EOF)) {
		buf_putc(b, 0);
		buf_putc(b, 0);
		buf_put_u16le(b, c->status);
		buf_put_u16le(b, 0);
	} else {
		buf_put_u16le(b, 0);
		buf_put_u16le(b, c->status);
	}
}

static void send_ok(struct my_conn *c, uint64_t affected)
{
	build_ok(&c->pkt, affected, c->status, NULL);
	put_pkt(c);
}

static void send_err(struct my_conn *c, int code, const char *msg)
{
	buf_reset(&c->pkt);
	buf_putc(&c->pkt, 0xFF);
	buf_put_u16le(&c->pkt, (uint16_t)code);
	buf_putc(&c->pkt, '#');
	buf_append(&c->pkt, my_sqlstate(code), 5);
	size_t n = strlen(msg);
	buf_append(&c->pkt, msg, n > 8000 ? 8000 : n);
	put_pkt(c);
}

static void send_err_result(struct my_conn *c, int err, int status, int my_errno, const char *msg)
{
	if (status == 0)
		status = err_greptime_status(err);
	struct buf m;
	buf_init(&m);
	buf_printf(&m, "(%s): %s", greptime_status_name(status), msg ? msg : "");
	send_err(c, my_errno ? my_errno : err_mysql_errno(err),
		 m.data ? (const char *)buf_cstr(&m) : "error");
	buf_free(&m);
}

/* ---- input ---------------------------------------------------------- */

/* Read one logical packet (all its frames) into c->in. first_timeout is
 * the wait for its first byte. Returns ERR_OK, ERR_IO (closed / truncated),
 * ERR_RETRY (idle), ERR_PROTOCOL (sequence), ERR_LIMIT (too large). */
static int read_packet(struct my_conn *c, int first_timeout, size_t max)
{
	buf_reset(&c->in);
	int first = 1;
	int io = c->srv->o.io_timeout_ms;
	for (;;) {
		uint8_t h[4];
		int rc = netio_recv(c->nc, h, 1, first ? first_timeout : io, NULL);
		if (rc)
			return rc;
		if ((rc = netio_recv(c->nc, h + 1, 3, io, NULL)))
			return ERR_IO;
		size_t len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
		if (h[3] != c->seq)
			return err_set(ERR_PROTOCOL, "Got packets out of order");
		c->seq++;
		if (len > max || c->in.len + len > max)
			return err_set(ERR_LIMIT, "Got a packet bigger than 'max_allowed_packet' bytes");
		if (buf_reserve(&c->in, len))
			return ERR_NOMEM;
		if (len && netio_recv(c->nc, c->in.data + c->in.len, len, io, NULL))
			return ERR_IO;
		c->in.len += len;
		if (len < MY_MAX_FRAME)
			return ERR_OK;
		first = 0;
	}
}

/* ---- result rendering ------------------------------------------------ */

static void put_coldef(struct my_conn *c, const char *name, enum dtype t, bool param)
{
	struct my_coldef cd;
	my_coldef_of(t, &cd);
	if (param) {
		cd.type = MY_TYPE_VAR_STRING;
		cd.charset = 63;
		cd.flags = 128;
		cd.length = 0;
		cd.decimals = 0;
	}
	struct buf *b = &c->pkt;
	buf_reset(b);
	my_put_lenenc_str(b, "def", 3);
	my_put_lenenc_str(b, param ? "" : c->sess.schema, param ? 0 : strlen(c->sess.schema));
	my_put_lenenc_str(b, "", 0);
	my_put_lenenc_str(b, "", 0);
	my_put_lenenc_str(b, name, strlen(name));
	my_put_lenenc_str(b, name, strlen(name));
	buf_putc(b, 0x0c);
	buf_put_u16le(b, cd.charset);
	buf_put_u32le(b, cd.length);
	buf_putc(b, cd.type);
	buf_put_u16le(b, cd.flags);
	buf_putc(b, cd.decimals);
	buf_put_u16le(b, 0);
	put_pkt(c);
}

static uint32_t rs_rows(const struct result_set *rs)
{
	uint32_t n = rs->rows.nrows;
	for (uint32_t i = 0; i < rs->ncols && i < rs->rows.ncols; i++)
		if (rs->rows.cols[i].len < n)
			n = rs->rows.cols[i].len;
	return rs->rows.ncols < rs->ncols ? 0 : n;
}

static int put_binary_value(struct my_conn *c, const struct colvec *v, uint32_t i)
{
	struct buf *b = &c->pkt;
	switch (v->type) {
	case DT_BOOL:
	case DT_INT8:
	case DT_UINT8:
		return buf_putc(b, (uint8_t)v->i64[i]);
	case DT_INT16:
	case DT_UINT16:
		return buf_put_u16le(b, (uint16_t)v->i64[i]);
	case DT_INT32:
	case DT_UINT32:
		return buf_put_u32le(b, (uint32_t)v->i64[i]);
	case DT_INT64:
	case DT_UINT64:
		return buf_put_u64le(b, (uint64_t)v->i64[i]);
	case DT_FLOAT32: {
		float f = (float)v->f64[i];
		uint32_t u;
		memcpy(&u, &f, 4);
		return buf_put_u32le(b, u);
	}
	case DT_FLOAT64: {
		uint64_t u;
		memcpy(&u, &v->f64[i], 8);
		return buf_put_u64le(b, u);
	}
	case DT_STRING:
	case DT_BINARY: {
		uint32_t n;
		const char *p = colvec_bytes(v, i, &n);
		return my_put_lenenc_str(b, p, n);
	}
	case DT_DATE: {
		int64_t y;
		int m, d;
		vfmt_civil_from_days(v->i64[i], &y, &m, &d);
		buf_putc(b, 4);
		buf_put_u16le(b, (uint16_t)y);
		buf_putc(b, (uint8_t)m);
		return buf_putc(b, (uint8_t)d);
	}
	default: {
		struct vfmt_tm tm;
		vfmt_ts_split(v->i64[i], v->type, &c->tz, &tm);
		bool us = v->type != DT_TS_S;
		buf_putc(b, us ? 11 : 7);
		buf_put_u16le(b, (uint16_t)tm.year);
		buf_putc(b, (uint8_t)tm.mon);
		buf_putc(b, (uint8_t)tm.day);
		buf_putc(b, (uint8_t)tm.hour);
		buf_putc(b, (uint8_t)tm.min);
		int rc = buf_putc(b, (uint8_t)tm.sec);
		return us ? buf_put_u32le(b, (uint32_t)tm.usec) : rc;
	}
	}
}

static void render_rows(struct my_conn *c, const struct result_set *rs)
{
	buf_reset(&c->pkt);
	my_put_lenenc(&c->pkt, rs->ncols);
	put_pkt(c);
	for (uint32_t i = 0; i < rs->ncols; i++)
		put_coldef(c, rs->names[i] ? rs->names[i] : "", rs->types[i], false);
	if (!(c->caps & MY_CLIENT_DEPRECATE_EOF)) {
		build_eof(c, &c->pkt, false);
		put_pkt(c);
	}
	uint32_t nrows = rs_rows(rs);
	size_t nb = (rs->ncols + 7 + 2) / 8;
	for (uint32_t r = 0; r < nrows && !c->broken; r++) {
		struct buf *b = &c->pkt;
		buf_reset(b);
		if (c->binary_rows) {
			buf_putc(b, 0x00);
			size_t bm = b->len;
			for (size_t k = 0; k < nb; k++)
				buf_putc(b, 0);
			for (uint32_t col = 0; col < rs->ncols; col++) {
				const struct colvec *v = &rs->rows.cols[col];
				if (colvec_is_null(v, r)) {
					size_t bit = col + 2;
					b->data[bm + bit / 8] |= (uint8_t)(1u << (bit % 8));
					continue;
				}
				if (put_binary_value(c, v, r))
					c->broken = true;
			}
		} else {
			for (uint32_t col = 0; col < rs->ncols; col++) {
				const struct colvec *v = &rs->rows.cols[col];
				if (colvec_is_null(v, r)) {
					buf_putc(b, 0xFB);
					continue;
				}
				buf_reset(&c->val);
				if (vfmt_text(&c->val, v, r, VFMT_MYSQL, &c->tz) ||
				    my_put_lenenc_str(b, c->val.data, c->val.len))
					c->broken = true;
			}
		}
		put_pkt(c);
	}
	build_eof(c, &c->term, true);
	c->term_status_off = 3;
	c->has_term = true;
}

/* Send the held-back terminal packet, flagged when more results follow. */
static void release_term(struct my_conn *c, bool more)
{
	if (!c->has_term)
		return;
	if (more) {
		uint16_t st = (uint16_t)(c->term.data[c->term_status_off] |
					 c->term.data[c->term_status_off + 1] << 8);
		st |= MY_STATUS_MORE_RESULTS;
		c->term.data[c->term_status_off] = (uint8_t)st;
		c->term.data[c->term_status_off + 1] = (uint8_t)(st >> 8);
	}
	if (my_frame(&c->out, &c->seq, c->term.data, c->term.len))
		c->broken = true;
	c->has_term = false;
}

static int my_emit(void *ctx, const struct query_result *r)
{
	struct my_conn *c = ctx;
	if (c->broken || c->got_error)
		return 1;
	release_term(c, true);
	vfmt_tz_resolve(c->sess.time_zone, &c->tz);
	switch (r->kind) {
	case QUERY_ROWS:
		render_rows(c, &r->rs);
		break;
	case QUERY_AFFECTED:
	case QUERY_OK:
		build_ok(&c->term, r->kind == QUERY_AFFECTED ? r->affected : 0, c->status,
			 &c->term_status_off);
		c->has_term = true;
		break;
	case QUERY_ERROR:
	default:
		send_err_result(c, r->err, r->greptime_status, r->mysql_errno, r->err_msg);
		c->got_error = true;
		break;
	}
	if (c->out.len >= FLUSH_AT)
		flush_out(c);
	return c->broken ? 1 : 0;
}

/* BEGIN / START TRANSACTION / COMMIT / ROLLBACK are answered here. */
static bool txn_stmt(struct my_conn *c, const char *sql, size_t len)
{
	char verb[40];
	sqltext_verb(sql, len, SQL_DIALECT_MYSQL, 2, verb, sizeof(verb));
	bool begin = !strcmp(verb, "BEGIN") || !strcmp(verb, "BEGIN WORK") ||
		     !strcmp(verb, "START TRANSACTION");
	bool end = !strncmp(verb, "COMMIT", 6) || !strncmp(verb, "ROLLBACK", 8);
	if (!begin && !end)
		return false;
	if (begin)
		c->status |= MY_STATUS_IN_TRANS;
	else
		c->status &= (uint16_t)~MY_STATUS_IN_TRANS;
	struct query_result ok = {.kind = QUERY_OK};
	my_emit(c, &ok);
	return true;
}

static void run_text(struct my_conn *c, const char *sql, size_t len, bool binary)
{
	c->binary_rows = binary;
	c->got_error = false;
	c->has_term = false;
	c->questions++;
	size_t pos = 0, b, e;
	uint32_t n = 0;
	while (!c->got_error && !c->broken &&
	       sqltext_next_stmt(sql, len, SQL_DIALECT_MYSQL, &pos, &b, &e)) {
		if (++n == 2 && !(c->caps & MY_CLIENT_MULTI_STATEMENTS)) {
			struct query_result er = {
				.kind = QUERY_ERROR, .err = ERR_SYNTAX,
				.err_msg = "multiple statements need CLIENT_MULTI_STATEMENTS"};
			my_emit(c, &er);
			break;
		}
		if (txn_stmt(c, sql + b, e - b))
			continue;
		session_clear_cancel(&c->sess);
		err_clear();
		int rc = c->srv->h.execute(c->srv->h.ctx, &c->sess, sql + b, e - b, my_emit, c);
		if (rc && !c->got_error && !c->broken) {
			struct query_result er = {.kind = QUERY_ERROR,
						  .err = err_code() ? err_code() : rc,
						  .err_msg = (char *)err_msg()};
			my_emit(c, &er);
		}
	}
	if (n == 0) {
		send_err(c, 1065, "Query was empty");
		c->got_error = true;
	}
	release_term(c, false);
	flush_out(c);
}

/* Run "USE `db`" through the handler; true on success (nothing sent). */
static bool use_schema(struct my_conn *c, const char *db, size_t n)
{
	struct buf q;
	buf_init(&q);
	buf_append(&q, "USE `", 5);
	for (size_t i = 0; i < n; i++) {
		if (db[i] == '`')
			buf_putc(&q, '`');
		buf_putc(&q, (uint8_t)db[i]);
	}
	buf_putc(&q, '`');
	c->got_error = false;
	c->has_term = false;
	err_clear();
	int rc = q.data ? c->srv->h.execute(c->srv->h.ctx, &c->sess, (const char *)q.data, q.len,
					     my_emit, c)
			: ERR_NOMEM;
	buf_free(&q);
	if (rc && !c->got_error)
		send_err_result(c, err_code() ? err_code() : rc, 0, 0, err_msg());
	bool ok = !rc && !c->got_error;
	c->has_term = false; /* the caller sends its own OK */
	return ok;
}

/* ---- prepared statements -------------------------------------------- */

static struct my_stmt *find_stmt(struct my_conn *c, uint32_t id)
{
	for (struct my_stmt *s = c->stmts; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static void clear_long_data(struct my_stmt *s)
{
	if (!s->long_data)
		return;
	for (uint16_t i = 0; i < s->nparams; i++) {
		buf_free(&s->long_data[i]);
		s->has_long[i] = false;
	}
}

static void free_stmt(struct my_stmt *s)
{
	clear_long_data(s);
	mem_free(s->long_data);
	mem_free(s->has_long);
	mem_free(s->types);
	mem_free(s->sql);
	mem_free(s);
}

static void drop_stmt(struct my_conn *c, uint32_t id)
{
	for (struct my_stmt **pp = &c->stmts; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			struct my_stmt *s = *pp;
			*pp = s->next;
			free_stmt(s);
			c->nstmts--;
			return;
		}
}

/*
 * COM_STMT_PREPARE reply: u8 0 | u32 stmt_id | u16 ncols (0: columns are
 * sent with each execution) | u16 nparams | u8 0 | u16 warnings, then one
 * column definition per parameter and an EOF (unless DEPRECATE_EOF).
 */
static void com_prepare(struct my_conn *c, const char *sql, size_t len)
{
	uint32_t np = sqltext_count_qmarks(sql, len);
	if (np > 65535) {
		send_err(c, 1390, "Prepared statement contains too many placeholders");
		return;
	}
	if (c->nstmts >= MAX_STMTS) {
		send_err(c, 1461, "Can't create more than max_prepared_stmt_count statements");
		return;
	}
	struct my_stmt *s = mem_calloc(1, sizeof(*s));
	if (!s || !(s->sql = mem_strndup(sql, len)) ||
	    (np && !(s->types = mem_calloc(np, 2)))) {
		if (s)
			free_stmt(s);
		send_err(c, 1041, "Out of memory");
		return;
	}
	s->len = len;
	s->nparams = (uint16_t)np;
	s->id = ++c->next_stmt_id;
	s->next = c->stmts;
	c->stmts = s;
	c->nstmts++;
	buf_reset(&c->pkt);
	buf_putc(&c->pkt, 0);
	buf_put_u32le(&c->pkt, s->id);
	buf_put_u16le(&c->pkt, 0);
	buf_put_u16le(&c->pkt, s->nparams);
	buf_putc(&c->pkt, 0);
	buf_put_u16le(&c->pkt, 0);
	put_pkt(c);
	for (uint32_t i = 0; i < np; i++)
		put_coldef(c, "?", DT_STRING, true);
	if (np && !(c->caps & MY_CLIENT_DEPRECATE_EOF)) {
		build_eof(c, &c->pkt, false);
		put_pkt(c);
	}
	flush_out(c);
}

struct exec_ctx {
	struct my_stmt *s;
	struct rd *r;
	const uint8_t *nulls;
};

static int exec_param(void *ctx, uint32_t idx, struct buf *out)
{
	struct exec_ctx *x = ctx;
	if (idx >= x->s->nparams)
		return err_set(ERR_PROTOCOL, "parameter %u out of range", idx);
	if (x->nulls[idx / 8] & (1u << (idx % 8)))
		return buf_append(out, "NULL", 4);
	if (x->s->has_long && x->s->has_long[idx]) {
		struct buf *ld = &x->s->long_data[idx];
		return sqltext_quote(out, (const char *)ld->data, ld->len, SQL_DIALECT_MYSQL);
	}
	uint8_t type = x->s->types[2 * idx];
	bool uns = (x->s->types[2 * idx + 1] & 0x80) != 0;
	return my_param_literal(x->r, type, uns, out);
}

/*
 * COM_STMT_EXECUTE: u32 stmt_id | u8 flags | u32 iterations (1) |
 * [nparams > 0: null bitmap ((n+7)/8) | u8 new_params_bound |
 *  [bound: n x (u8 type, u8 0x80-if-unsigned)] | values]
 */
static void com_execute(struct my_conn *c, struct rd *r)
{
	uint32_t id = rd_u32le(r);
	rd_u8(r);
	rd_u32le(r);
	if (r->err) {
		send_err(c, 1835, "Malformed COM_STMT_EXECUTE packet");
		return;
	}
	struct my_stmt *s = find_stmt(c, id);
	if (!s) {
		char m[128];
		snprintf(m, sizeof(m),
			 "Unknown prepared statement handler (%u) given to mysqld_stmt_execute", id);
		send_err(c, 1243, m);
		return;
	}
	struct exec_ctx x = {.s = s, .r = r};
	uint8_t zero = 0;
	x.nulls = &zero;
	if (s->nparams) {
		x.nulls = rd_bytes(r, ((size_t)s->nparams + 7) / 8);
		uint8_t bound = rd_u8(r);
		if (!r->err && bound) {
			const uint8_t *t = rd_bytes(r, (size_t)s->nparams * 2);
			if (t) {
				memcpy(s->types, t, (size_t)s->nparams * 2);
				s->types_set = true;
			}
		}
		if (r->err) {
			send_err(c, 1835, "Malformed COM_STMT_EXECUTE packet");
			return;
		}
		if (!s->types_set) {
			send_err(c, 1210, "Incorrect arguments to mysqld_stmt_execute");
			return;
		}
	}
	struct buf sql;
	buf_init(&sql);
	int rc = sqltext_substitute(s->sql, s->len, SQL_DIALECT_MYSQL, &sql, exec_param, &x);
	clear_long_data(s);
	if (rc) {
		send_err(c, rc == ERR_NOMEM ? 1041 : 1210, err_msg());
		buf_free(&sql);
		return;
	}
	run_text(c, sql.data ? (const char *)sql.data : "", sql.len, true);
	buf_free(&sql);
}

static void com_long_data(struct my_conn *c, struct rd *r)
{
	uint32_t id = rd_u32le(r);
	uint16_t p = rd_u16le(r);
	struct my_stmt *s = r->err ? NULL : find_stmt(c, id);
	if (!s || p >= s->nparams)
		return; /* no reply to SEND_LONG_DATA, errors show at execute */
	if (!s->long_data) {
		s->long_data = mem_calloc(s->nparams, sizeof(struct buf));
		s->has_long = mem_calloc(s->nparams, sizeof(bool));
		if (!s->long_data || !s->has_long) {
			mem_free(s->long_data);
			mem_free(s->has_long);
			s->long_data = NULL;
			s->has_long = NULL;
			return;
		}
	}
	size_t n = rd_left(r);
	if (s->long_data[p].len + n <= c->srv->o.max_packet) {
		buf_append(&s->long_data[p], rd_bytes(r, n), n);
		s->has_long[p] = true;
	}
}

/* ---- connection ----------------------------------------------------- */

static bool user_password(struct mysql_server *srv, const char *user, const char **pw)
{
	for (size_t i = 0; i < srv->nusers; i++)
		if (!strcmp(srv->users[i].name, user)) {
			*pw = srv->users[i].password;
			return true;
		}
	return false;
}

static bool cache_has(struct mysql_server *srv, const char *user)
{
	bool found = false;
	pthread_mutex_lock(&srv->cache_mu);
	for (size_t i = 0; i < srv->ncache && !found; i++)
		found = !strcmp(srv->cache[i], user);
	pthread_mutex_unlock(&srv->cache_mu);
	return found;
}

static void cache_add(struct mysql_server *srv, const char *user)
{
	pthread_mutex_lock(&srv->cache_mu);
	bool found = false;
	for (size_t i = 0; i < srv->ncache && !found; i++)
		found = !strcmp(srv->cache[i], user);
	if (!found && strlen(user) < 64) {
		void *p = srv->cache;
		if (!mem_grow(&p, &srv->cache_cap, srv->ncache + 1, 64)) {
			srv->cache = p;
			strcpy(srv->cache[srv->ncache++], user);
		}
	}
	pthread_mutex_unlock(&srv->cache_mu);
}

static void send_packet_bytes(struct my_conn *c, const void *p, size_t n)
{
	buf_reset(&c->pkt);
	buf_append(&c->pkt, p, n);
	put_pkt(c);
	flush_out(c);
}

static void deny(struct my_conn *c, const char *user, bool with_pw)
{
	char host[64];
	snprintf(host, sizeof(host), "%s", c->nc->peer);
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = '\0';
	char m[256];
	snprintf(m, sizeof(m), "Access denied for user '%s'@'%s' (using password: %s)", user, host,
		 with_pw ? "YES" : "NO");
	send_err(c, 1045, m);
	flush_out(c);
}

/* caching_sha2_password after a correct or absent fast-path scramble. */
static bool sha2_full_auth(struct my_conn *c, const char *pw)
{
	static const uint8_t full[2] = {0x01, 0x04};
	send_packet_bytes(c, full, 2);
	if (read_packet(c, c->srv->o.io_timeout_ms, HANDSHAKE_MAX_PKT) || c->broken)
		return false;
	if (netio_is_tls(c->nc)) {
		/* secure transport: the password itself, NUL-terminated */
		size_t n = c->in.len;
		if (n > 0 && c->in.data[n - 1] == 0)
			n--;
		bool ok = n == strlen(pw) && !memcmp(c->in.data, pw, n);
		memset(c->in.data, 0, c->in.len);
		return ok;
	}
	if (c->in.len == 1 && c->in.data[0] == 0x02) {
		size_t n;
		const char *pem = my_rsa_pem(c->srv->rsa, &n);
		buf_reset(&c->pkt);
		buf_putc(&c->pkt, 0x01);
		buf_append(&c->pkt, pem, n);
		put_pkt(c);
		flush_out(c);
		if (read_packet(c, c->srv->o.io_timeout_ms, HANDSHAKE_MAX_PKT) || c->broken)
			return false;
	}
	if (c->in.len != my_rsa_size(c->srv->rsa)) {
		log_debug("mysql: %s: caching_sha2 full auth got %zu bytes, not an RSA block",
			  c->nc->peer, c->in.len);
		send_err(c, 1251,
			 "Authentication requires secure connection: request the server's public "
			 "key (no TLS on this server)");
		flush_out(c);
		return false;
	}
	char got[512];
	if (my_rsa_password(c->srv->rsa, c->salt, c->in.data, c->in.len, got, sizeof(got)))
		return false;
	bool ok = strlen(got) == strlen(pw) && !memcmp(got, pw, strlen(pw));
	memset(got, 0, sizeof(got));
	return ok;
}

static bool authenticate(struct my_conn *c, struct my_handshake_resp *hr)
{
	struct mysql_server *srv = c->srv;
	if (srv->nusers == 0)
		return true;
	const char *pw = NULL;
	bool known = user_password(srv, hr->user, &pw);
	const uint8_t *tok = hr->auth;
	size_t ntok = hr->auth_len;
	/* The client's own choice of the two plugins is taken as is (both
	 * scramble the same salt); anything else is switched to ours. */
	const char *plugin = srv->plugin;
	if (c->caps & MY_CLIENT_PLUGIN_AUTH) {
		if (!strcmp(hr->plugin, NATIVE_PLUGIN))
			plugin = NATIVE_PLUGIN;
		else if (!strcmp(hr->plugin, SHA2_PLUGIN))
			plugin = SHA2_PLUGIN;
	} else if (strcmp(srv->plugin, NATIVE_PLUGIN)) {
		plugin = NATIVE_PLUGIN; /* pre-4.1 style clients only know this one */
	}
	/* A client that picked the other plugin may leave the token empty and
	 * wait for a switch to it (MariaDB's --default-auth): give it one. */
	bool empty_other = strcmp(plugin, srv->plugin) && ntok == 0;
	if ((c->caps & MY_CLIENT_PLUGIN_AUTH) && (strcmp(hr->plugin, plugin) || empty_other)) {
		/* AuthSwitchRequest: 0xFE | plugin NUL | salt(20) NUL */
		buf_reset(&c->pkt);
		buf_putc(&c->pkt, 0xFE);
		buf_append(&c->pkt, plugin, strlen(plugin) + 1);
		buf_append(&c->pkt, c->salt, 20);
		buf_putc(&c->pkt, 0);
		put_pkt(c);
		flush_out(c);
		if (read_packet(c, srv->o.io_timeout_ms, HANDSHAKE_MAX_PKT) || c->broken)
			return false;
		tok = c->in.data;
		ntok = c->in.len;
	}
	bool with_pw = ntok > 0 && !(ntok == 1 && tok[0] == 0);
	if (!strcmp(plugin, NATIVE_PLUGIN)) {
		if (known && my_native_check(c->salt, pw, tok, ntok))
			return true;
		deny(c, hr->user, with_pw);
		return false;
	}
	/* caching_sha2_password */
	if (!known || !my_sha2_check(c->salt, pw, tok, ntok)) {
		deny(c, hr->user, with_pw);
		return false;
	}
	if (!*pw)
		return true;
	if (cache_has(srv, hr->user)) {
		static const uint8_t fast[2] = {0x01, 0x03};
		send_packet_bytes(c, fast, 2);
		return true;
	}
	if (sha2_full_auth(c, pw)) {
		cache_add(srv, hr->user);
		return true;
	}
	if (!c->broken)
		deny(c, hr->user, true);
	return false;
}

static void make_salt(uint8_t salt[20])
{
	if (RAND_bytes(salt, 20) != 1)
		for (int i = 0; i < 20; i++)
			salt[i] = (uint8_t)(i * 37 + 11);
	for (int i = 0; i < 20; i++) {
		salt[i] &= 0x7f;
		if (salt[i] == 0 || salt[i] == '$')
			salt[i]++;
	}
}

static bool handshake(struct my_conn *c)
{
	struct mysql_server *srv = c->srv;
	make_salt(c->salt);
	struct buf *b = &c->pkt;
	buf_reset(b);
	buf_putc(b, 10);
	buf_append(b, srv->version, strlen(srv->version) + 1);
	buf_put_u32le(b, c->sess.conn_id);
	buf_append(b, c->salt, 8);
	buf_putc(b, 0);
	uint32_t caps = SERVER_CAPS | (srv->o.tls ? MY_CLIENT_SSL : 0);
	buf_put_u16le(b, (uint16_t)caps);
	buf_putc(b, 45);
	buf_put_u16le(b, c->status);
	buf_put_u16le(b, (uint16_t)(caps >> 16));
	buf_putc(b, 21);
	for (int i = 0; i < 10; i++)
		buf_putc(b, 0);
	buf_append(b, c->salt + 8, 12);
	buf_putc(b, 0);
	buf_append(b, srv->plugin, strlen(srv->plugin) + 1);
	c->seq = 0;
	put_pkt(c);
	flush_out(c);
	if (c->broken)
		return false;

	int rc = read_packet(c, srv->o.io_timeout_ms, HANDSHAKE_MAX_PKT);
	if (rc) {
		if (rc == ERR_PROTOCOL || rc == ERR_LIMIT) {
			send_err(c, 1043, "Bad handshake");
			flush_out(c);
		}
		return false;
	}
	struct my_handshake_resp hr;
	if (my_parse_handshake_response(c->in.data, c->in.len, &hr)) {
		log_debug("mysql: bad handshake from %s: %s", c->nc->peer, err_msg());
		send_err(c, 1043, "Bad handshake");
		flush_out(c);
		return false;
	}
	if (hr.ssl_request) {
		/* SSLRequest (seq 1): TLS now, then the real response (seq 2) */
		if (!srv->o.tls) {
			send_err(c, 1043, "SSL is not supported by this server");
			flush_out(c);
			return false;
		}
		if (netio_start_tls(c->nc, srv->o.tls, srv->o.io_timeout_ms)) {
			log_debug("mysql: %s: %s", c->nc->peer, err_msg());
			return false;
		}
		if (read_packet(c, srv->o.io_timeout_ms, HANDSHAKE_MAX_PKT))
			return false;
		if (my_parse_handshake_response(c->in.data, c->in.len, &hr) || hr.ssl_request) {
			send_err(c, 1043, "Bad handshake");
			flush_out(c);
			return false;
		}
	} else if (srv->o.tls_required) {
		send_err(c, 3159, "Connections using insecure transport are prohibited while "
				  "--require_secure_transport=ON.");
		flush_out(c);
		return false;
	}
	c->caps = hr.caps & SERVER_CAPS;
	snprintf(c->sess.user, sizeof(c->sess.user), "%s", hr.user);
	if (!authenticate(c, &hr))
		return false;
	if (hr.db[0] && !use_schema(c, hr.db, strlen(hr.db))) {
		flush_out(c);
		return false;
	}
	send_ok(c, 0);
	flush_out(c);
	return !c->broken;
}

static void reset_connection(struct my_conn *c)
{
	while (c->stmts)
		drop_stmt(c, c->stmts->id);
	struct session old = c->sess;
	session_init(&c->sess, SESSION_MYSQL, old.conn_id);
	memcpy(c->sess.user, old.user, sizeof(old.user));
	memcpy(c->sess.schema, old.schema, sizeof(old.schema));
	memcpy(c->sess.catalog, old.catalog, sizeof(old.catalog));
	c->sess.engine = old.engine;
	c->status = MY_STATUS_AUTOCOMMIT;
}

/* Serve commands until the client quits or the connection breaks. */
static void command_loop(struct my_conn *c)
{
	struct mysql_server *srv = c->srv;
	while (!c->broken) {
		c->seq = 0;
		int rc = read_packet(c, srv->o.idle_timeout_ms, srv->o.max_packet);
		if (rc == ERR_LIMIT || rc == ERR_PROTOCOL) {
			send_err(c, rc == ERR_LIMIT ? 1153 : 1156, err_msg());
			flush_out(c);
			return;
		}
		if (rc)
			return;
		if (c->in.len == 0) {
			send_err(c, 1047, "Unknown command");
			flush_out(c);
			return;
		}
		uint8_t cmd = c->in.data[0];
		const char *arg = (const char *)c->in.data + 1;
		size_t alen = c->in.len - 1;
		struct rd r;
		rd_init(&r, c->in.data + 1, alen);
		switch (cmd) {
		case COM_QUIT:
			return;
		case COM_PING:
			send_ok(c, 0);
			flush_out(c);
			break;
		case COM_QUERY:
			run_text(c, arg, alen, false);
			break;
		case COM_INIT_DB:
			if (use_schema(c, arg, alen))
				send_ok(c, 0);
			flush_out(c);
			break;
		case COM_FIELD_LIST:
			build_eof(c, &c->pkt, true);
			put_pkt(c);
			flush_out(c);
			break;
		case COM_STATISTICS: {
			char m[160];
			int n = snprintf(m, sizeof(m),
					 "Uptime: %lld  Threads: %d  Questions: %llu  Slow queries: 0  "
					 "Opens: 0  Open tables: 0",
					 (long long)((clock_now_ms() - srv->started_ms) / 1000),
					 netsrv_live(srv->net),
					 (unsigned long long)c->questions);
			send_packet_bytes(c, m, (size_t)n);
			break;
		}
		case COM_SET_OPTION: {
			uint16_t opt = rd_u16le(&r);
			if (r.err || opt > 1) {
				send_err(c, 1047, "Unknown command");
			} else {
				if (opt == 0)
					c->caps |= MY_CLIENT_MULTI_STATEMENTS;
				else
					c->caps &= ~MY_CLIENT_MULTI_STATEMENTS;
				build_eof(c, &c->pkt, true);
				put_pkt(c);
			}
			flush_out(c);
			break;
		}
		case COM_RESET_CONNECTION:
			reset_connection(c);
			send_ok(c, 0);
			flush_out(c);
			break;
		case COM_STMT_PREPARE:
			com_prepare(c, arg, alen);
			break;
		case COM_STMT_EXECUTE:
			com_execute(c, &r);
			flush_out(c);
			break;
		case COM_STMT_SEND_LONG_DATA:
			com_long_data(c, &r);
			break;
		case COM_STMT_CLOSE: {
			uint32_t id = rd_u32le(&r);
			if (!r.err)
				drop_stmt(c, id);
			break;
		}
		case COM_STMT_RESET: {
			uint32_t id = rd_u32le(&r);
			struct my_stmt *s = r.err ? NULL : find_stmt(c, id);
			if (!s) {
				send_err(c, 1243, "Unknown prepared statement handler given to "
						  "mysqld_stmt_reset");
			} else {
				clear_long_data(s);
				send_ok(c, 0);
			}
			flush_out(c);
			break;
		}
		default:
			send_err(c, 1047, "Unknown command");
			flush_out(c);
			break;
		}
	}
}

static void serve(void *arg, struct netio_conn *nc)
{
	struct mysql_server *srv = arg;
	struct my_conn *c = mem_calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = srv;
	c->nc = nc;
	c->fd = nc->fd;
	c->status = MY_STATUS_AUTOCOMMIT;
	buf_init(&c->in);
	buf_init(&c->out);
	buf_init(&c->pkt);
	buf_init(&c->val);
	buf_init(&c->term);
	session_init(&c->sess, SESSION_MYSQL, nc->conn_id);
	if (nc->over_limit) {
		c->seq = 0;
		send_err(c, 1040, "Too many connections");
		flush_out(c);
	} else if (handshake(c)) {
		command_loop(c);
	}
	while (c->stmts)
		drop_stmt(c, c->stmts->id);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->pkt);
	buf_free(&c->val);
	buf_free(&c->term);
	mem_free(c);
}

static void free_server(struct mysql_server *s)
{
	for (size_t i = 0; i < s->nusers; i++) {
		mem_free((char *)s->users[i].name);
		mem_free((char *)s->users[i].password);
	}
	mem_free(s->users);
	mem_free(s->cache);
	my_rsa_free(s->rsa);
	pthread_mutex_destroy(&s->cache_mu);
	mem_free(s);
}

int mysql_server_start(const char *addr, uint16_t port, const struct query_handler *h,
		       const struct mysql_server_opts *o, struct mysql_server **out)
{
	*out = NULL;
	struct mysql_server *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	pthread_mutex_init(&s->cache_mu, NULL);
	s->started_ms = clock_now_ms();
	s->h = *h;
	if (o)
		s->o = *o;
	if (s->o.max_packet == 0)
		s->o.max_packet = 64u << 20;
	if (s->o.max_packet > (1u << 30))
		s->o.max_packet = 1u << 30;
	if (s->o.idle_timeout_ms <= 0)
		s->o.idle_timeout_ms = -1;
	if (s->o.io_timeout_ms <= 0)
		s->o.io_timeout_ms = 30000;
	snprintf(s->version, sizeof(s->version), "%s", s->o.version ? s->o.version : "8.4.2");
	s->o.version = NULL;
	int rc = ERR_OK;
	if (s->o.auth_plugin && !strcmp(s->o.auth_plugin, SHA2_PLUGIN)) {
		s->plugin = SHA2_PLUGIN;
	} else if (!s->o.auth_plugin || !strcmp(s->o.auth_plugin, NATIVE_PLUGIN)) {
		s->plugin = NATIVE_PLUGIN;
	} else {
		rc = err_set(ERR_BAD_INPUT, "unknown MySQL auth plugin %s", s->o.auth_plugin);
		goto fail;
	}
	s->o.auth_plugin = NULL;
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
		/* either plugin may be used by a client: keep the key ready */
		if ((rc = my_rsa_create(&s->rsa)))
			goto fail;
	}
	s->o.users = NULL;
	struct netio_opts no = {.max_connections = s->o.max_connections, .name = "mysql"};
	if ((rc = netsrv_start(addr, port, &no, serve, s, &s->net)))
		goto fail;
	*out = s;
	return ERR_OK;
fail:
	free_server(s);
	return rc;
}

uint16_t mysql_server_port(const struct mysql_server *s) { return netsrv_port(s->net); }

void mysql_server_stop(struct mysql_server *s)
{
	if (!s)
		return;
	netsrv_stop(s->net);
	free_server(s);
}
