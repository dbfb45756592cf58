/*
 * rpc_client: calls to one RPC peer, over a small pool of connections, and
 * the typed wrappers for every method.
 *
 * A call takes an idle pooled connection (or connects), writes the request
 * frame, then reads response frames until the final one, all under one
 * deadline (poll-based). Invariants:
 *  - A connection goes back to the pool only when the call ended exactly at
 *    a frame boundary of a complete response (a final response, or an
 *    error frame answering our request id). Any local error, timeout,
 *    protocol violation or abandoned stream closes it: a broken connection
 *    is never reused.
 *  - A pooled connection that became readable while idle (the peer closed
 *    it, or sent something unasked) is discarded before use.
 *  - Every call is a struct rpc_stream underneath: rpc_call / rpc_call_stream
 *    read all its frames at once under one deadline; rpc_stream_* hand them
 *    out one per next() (timeout per frame, optional overall deadline) and
 *    the stream holds the connection in between. A stream closed before its
 *    final frame closes the connection: draining could cost the rest of a
 *    large answer, a fresh connect costs one round trip.
 *  - A peer that hangs up inside a frame is ERR_UNAVAILABLE ("connection
 *    lost (truncated frame ...)"); between frames "connection closed by the
 *    peer"; a frame failing its CRC ERR_CORRUPT.
 *  - Requests are never retried here: a write may have been applied even
 *    when its reply was lost. Callers that know an operation is idempotent
 *    retry themselves.
 * Errors name the peer: "peer 127.0.0.1:3001 unavailable: connection
 * refused", "peer 127.0.0.1:3001: region_scan: timed out", and a remote
 * error keeps its code with "peer <addr>: <remote message>".
 */
#include <errno.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/hostport.h"
#include "base/mem.h"
#include "rpc/rpc_int.h"

struct rpc_client {
	char *addr;
	char *host;
	char port[8];
	struct rpc_client_options o;
	pthread_mutex_t mu;
	int *idle; /* pool_size slots */
	uint32_t nidle;
	atomic_uint next_id;
};

void rpc_client_options_init(struct rpc_client_options *o)
{
	o->connect_timeout_ms = RPC_DEFAULT_CONNECT_TIMEOUT_MS;
	o->request_timeout_ms = RPC_DEFAULT_REQUEST_TIMEOUT_MS;
	o->max_frame = RPC_DEFAULT_MAX_FRAME;
	o->pool_size = RPC_DEFAULT_POOL_SIZE;
}

const char *rpc_client_addr(const struct rpc_client *c)
{
	return c->addr;
}

/* Split "host:port" / "[v6]:port"; a peer's port is never 0. */
static int parse_addr(struct rpc_client *c, const char *addr)
{
	char host[256];
	uint16_t port;
	if (hostport_split(addr, host, sizeof(host), &port) || port == 0)
		return err_set(ERR_BAD_INPUT, "bad peer address '%s' (want host:port)", addr);
	c->host = mem_strndup(host, strlen(host));
	if (!c->host)
		return ERR_NOMEM;
	snprintf(c->port, sizeof(c->port), "%u", (unsigned)port);
	return ERR_OK;
}

int rpc_client_create(const char *addr, const struct rpc_client_options *o, struct rpc_client **out)
{
	*out = NULL;
	struct rpc_client *c = mem_calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	rpc_client_options_init(&c->o);
	if (o) {
		if (o->connect_timeout_ms > 0)
			c->o.connect_timeout_ms = o->connect_timeout_ms;
		if (o->request_timeout_ms > 0)
			c->o.request_timeout_ms = o->request_timeout_ms;
		if (o->max_frame)
			c->o.max_frame = o->max_frame;
		if (o->pool_size)
			c->o.pool_size = o->pool_size;
	}
	int rc = parse_addr(c, addr ? addr : "");
	if (rc)
		goto fail;
	c->addr = mem_strdup(addr);
	c->idle = mem_calloc(c->o.pool_size, sizeof(int));
	if (!c->addr || !c->idle) {
		rc = ERR_NOMEM;
		goto fail;
	}
	pthread_mutex_init(&c->mu, NULL);
	atomic_init(&c->next_id, 1);
	*out = c;
	return ERR_OK;
fail:
	mem_free(c->idle);
	mem_free(c->addr);
	mem_free(c->host);
	mem_free(c);
	return rc;
}

void rpc_client_destroy(struct rpc_client *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->nidle; i++)
		close(c->idle[i]);
	pthread_mutex_destroy(&c->mu);
	mem_free(c->idle);
	mem_free(c->addr);
	mem_free(c->host);
	mem_free(c);
}

/* ---- connections ------------------------------------------------------- */

static int unavailable(struct rpc_client *c, int e)
{
	char m[128];
	snprintf(m, sizeof(m), "%s", strerror(e));
	m[0] = (char)tolower((unsigned char)m[0]);
	return err_set(ERR_UNAVAILABLE, "peer %s unavailable: %s", c->addr, m);
}

static int connect_one(const struct addrinfo *ai, int64_t deadline, int *fd_out, int *e)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*e = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		*e = errno;
		goto fail;
	}
	for (;;) {
		int64_t left = deadline - clock_mono_ns();
		if (left <= 0) {
			*e = ETIMEDOUT;
			goto fail;
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int n = poll(&p, 1, (int)((left + 999999) / 1000000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*e = errno;
			goto fail;
		}
		if (n > 0)
			break;
	}
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
		*e = soerr ? soerr : errno;
		goto fail;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd_out = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

static int connect_peer(struct rpc_client *c, int64_t deadline, int *fd_out)
{
	int64_t cd = clock_mono_ns() + (int64_t)c->o.connect_timeout_ms * 1000000;
	if (cd < deadline)
		deadline = cd;
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int g = getaddrinfo(c->host, c->port, &hints, &ai);
	if (g)
		return err_set(ERR_UNAVAILABLE, "peer %s unavailable: %s", c->addr,
		               gai_strerror(g));
	int e = ECONNREFUSED;
	int rc = ERR_UNAVAILABLE;
	for (struct addrinfo *p = ai; p; p = p->ai_next)
		if (connect_one(p, deadline, fd_out, &e) == 0) {
			rc = ERR_OK;
			break;
		}
	freeaddrinfo(ai);
	if (rc == ERR_OK)
		return ERR_OK;
	if (e == ETIMEDOUT)
		return err_set(ERR_UNAVAILABLE, "peer %s unavailable: connect timed out", c->addr);
	return unavailable(c, e);
}

/* An idle connection is usable while nothing at all is readable on it. */
static bool idle_conn_ok(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 0;
}

static int get_conn(struct rpc_client *c, int64_t deadline, int *fd)
{
	pthread_mutex_lock(&c->mu);
	while (c->nidle) {
		int f = c->idle[--c->nidle];
		pthread_mutex_unlock(&c->mu);
		if (idle_conn_ok(f)) {
			*fd = f;
			return ERR_OK;
		}
		close(f);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return connect_peer(c, deadline, fd);
}

static void put_conn(struct rpc_client *c, int fd)
{
	pthread_mutex_lock(&c->mu);
	if (c->nidle < c->o.pool_size) {
		c->idle[c->nidle++] = fd;
		fd = -1;
	}
	pthread_mutex_unlock(&c->mu);
	if (fd >= 0)
		close(fd);
}

/* ---- calls ------------------------------------------------------------- */

/* May take ownership of *msg by setting it to NULL. */
typedef int (*take_fn)(void *ctx, ProtobufCMessage **msg, bool last);

static int remote_error(struct rpc_client *c, const struct rpc_frame *f)
{
	RPC_PB(ErrorReply) *er = (RPC_PB(ErrorReply) *)protobuf_c_message_unpack(
	    &strata__error_reply__descriptor, &rpc_pb_allocator, f->len, f->payload);
	if (!er)
		return err_set(ERR_PROTOCOL, "peer %s: malformed error frame", c->addr);
	int rc;
	if (er->code == ERR_OK || er->code >= ERR__COUNT)
		rc = err_set(ERR_PROTOCOL, "peer %s: error frame with unknown code %u: %s", c->addr,
		             er->code, er->message);
	else
		rc = err_set((int)er->code, "peer %s: %s", c->addr, er->message);
	protobuf_c_message_free_unpacked(&er->base, &rpc_pb_allocator);
	return rc;
}

/* One call in progress: the connection it owns until the final frame (or
 * an error) ends it. */
struct rpc_stream {
	struct rpc_client *c;
	const struct rpc_method_info *mi;
	enum rpc_method m;
	uint32_t id;
	int fd;           /* -1 once handed back to the pool or closed */
	int64_t deadline; /* the whole call, mono ns; 0 = none */
	int64_t frame_ns; /* each frame within this of the next() call; 0 = none */
	bool ended;       /* the final frame (or an error) was seen */
	int err;          /* sticky error once failed */
};

static int stream_begin(struct rpc_stream *st, struct rpc_client *c, enum rpc_method m,
                        const ProtobufCMessage *req, int64_t deadline, int64_t frame_ns)
{
	memset(st, 0, sizeof(*st));
	st->c = c;
	st->fd = -1;
	st->m = m;
	st->deadline = deadline;
	st->frame_ns = frame_ns;
	st->mi = rpc_method_info(m);
	if (!st->mi)
		return st->err = err_set(ERR_BAD_INPUT, "unknown rpc method %d", (int)m);
	if (!req || req->descriptor != st->mi->req)
		return st->err = err_set(ERR_BAD_INPUT, "%s: the request must be a %s",
		                         st->mi->name, st->mi->req->name);
	uint32_t id = atomic_fetch_add(&c->next_id, 1);
	if (id == 0) /* 0 is "no request" */
		id = atomic_fetch_add(&c->next_id, 1);
	st->id = id;
	int64_t first = deadline;
	if (frame_ns > 0 && (!first || clock_mono_ns() + frame_ns < first))
		first = clock_mono_ns() + frame_ns;
	struct buf out;
	buf_init(&out);
	int rc = rpc_frame_pack(&out, RPC_KIND_REQUEST, (uint16_t)m, id, req, c->o.max_frame);
	if (rc == ERR_OK)
		rc = get_conn(c, first, &st->fd);
	if (rc == ERR_OK) {
		rc = rpc_io_write(st->fd, out.data, out.len, first);
		if (rc)
			err_wrap("peer %s: %s", c->addr, st->mi->name);
	}
	buf_free(&out);
	if (rc) {
		st->err = rc;
		st->ended = true;
	}
	return rc;
}

/* End the call: the connection goes back to the pool only when `reusable`
 * (the response ended exactly at a frame boundary), else it is closed. */
static void stream_release(struct rpc_stream *st, bool reusable)
{
	if (st->fd >= 0) {
		if (reusable)
			put_conn(st->c, st->fd);
		else
			close(st->fd);
	}
	st->fd = -1;
	st->ended = true;
}

/* The next response message (*msg owned by the caller); *last on the final
 * one. After the final frame or an error the connection is released. */
static int stream_next(struct rpc_stream *st, ProtobufCMessage **msg, bool *last)
{
	*msg = NULL;
	*last = false;
	if (st->err)
		return err_set(st->err, "%s: the call already failed", st->mi ? st->mi->name : "rpc");
	if (st->ended)
		return err_set(ERR_INTERNAL, "%s: read past the final frame", st->mi->name);
	struct rpc_client *c = st->c;
	const struct rpc_method_info *mi = st->mi;
	int64_t deadline = st->deadline;
	if (st->frame_ns > 0 && (!deadline || clock_mono_ns() + st->frame_ns < deadline))
		deadline = clock_mono_ns() + st->frame_ns;
	struct rpc_frame f = {0};
	bool reusable = false;
	int rc = rpc_frame_read(st->fd, -1, deadline, 0, c->o.max_frame, &f);
	if (rc) {
		if (f.eof)
			rc = err_set(ERR_UNAVAILABLE, "peer %s: %s: connection closed by the peer",
			             c->addr, mi->name);
		else if (rc == ERR_PROTOCOL && strstr(err_msg(), "truncated frame")) {
			/* the peer hung up inside a frame: a dead peer, not a confused one */
			char why[256];
			snprintf(why, sizeof(why), "%s", err_msg());
			rc = err_set(ERR_UNAVAILABLE, "peer %s: %s: connection lost (%s)", c->addr,
			             mi->name, why);
		} else
			err_wrap("peer %s: %s", c->addr, mi->name);
		goto fail;
	}
	if (f.kind == RPC_KIND_ERROR && f.req_id == 0) {
		rc = remote_error(c, &f); /* about the connection: it is closing */
		goto fail;
	}
	if (f.kind == RPC_KIND_REQUEST || f.req_id != st->id ||
	    (f.method != st->m && !(f.kind == RPC_KIND_ERROR && f.method == 0))) {
		rc = err_set(ERR_PROTOCOL,
		             "peer %s: %s: unexpected frame (kind %u, method %u, id %u; "
		             "expected id %u)",
		             c->addr, mi->name, f.kind, f.method, f.req_id, st->id);
		goto fail;
	}
	if (f.kind == RPC_KIND_ERROR) {
		rc = remote_error(c, &f);
		/* the server hangs up after a frame it could not take */
		reusable = rc != ERR_PROTOCOL && rc != ERR_LIMIT && rc != ERR_CORRUPT;
		goto fail;
	}
	err_clear();
	*msg = protobuf_c_message_unpack(mi->resp, &rpc_pb_allocator, f.len, f.payload);
	if (!*msg) {
		rc = err_code() == ERR_NOMEM
		         ? ERR_NOMEM
		         : err_set(ERR_PROTOCOL, "peer %s: malformed %s response (%u bytes)", c->addr,
		                   mi->name, f.len);
		goto fail;
	}
	*last = f.kind == RPC_KIND_RESPONSE;
	rpc_frame_free(&f);
	if (*last)
		stream_release(st, true);
	return ERR_OK;
fail:
	rpc_frame_free(&f);
	st->err = rc;
	stream_release(st, reusable);
	return rc;
}

static int call(struct rpc_client *c, enum rpc_method m, const ProtobufCMessage *req, take_fn fn,
                void *ctx, int timeout_ms)
{
	int tmo = timeout_ms > 0 ? timeout_ms : c->o.request_timeout_ms;
	struct rpc_stream st;
	int rc = stream_begin(&st, c, m, req, clock_mono_ns() + (int64_t)tmo * 1000000, 0);
	while (rc == ERR_OK) {
		ProtobufCMessage *msg;
		bool last;
		if ((rc = stream_next(&st, &msg, &last)))
			break;
		rc = fn(ctx, &msg, last);
		if (msg)
			protobuf_c_message_free_unpacked(msg, &rpc_pb_allocator);
		if (last)
			break;
	}
	stream_release(&st, false); /* abandoned mid-response: never reused */
	return rc;
}

int rpc_stream_open(struct rpc_client *c, enum rpc_method m, const ProtobufCMessage *req,
                    const struct rpc_stream_options *o, struct rpc_stream **out)
{
	*out = NULL;
	struct rpc_stream *st = mem_alloc(sizeof(*st));
	if (!st)
		return ERR_NOMEM;
	int ft = o && o->frame_timeout_ms > 0 ? o->frame_timeout_ms : c->o.request_timeout_ms;
	int64_t deadline = o && o->deadline_ms > 0 ? o->deadline_ms * 1000000 : 0;
	int rc = stream_begin(st, c, m, req, deadline, (int64_t)ft * 1000000);
	if (rc) {
		stream_release(st, false);
		mem_free(st);
		return rc;
	}
	*out = st;
	return ERR_OK;
}

int rpc_stream_next(struct rpc_stream *st, ProtobufCMessage **msg, bool *last)
{
	return stream_next(st, msg, last);
}

bool rpc_stream_ended(const struct rpc_stream *st)
{
	return st->ended;
}

void rpc_stream_close(struct rpc_stream *st)
{
	if (!st)
		return;
	stream_release(st, false);
	mem_free(st);
}

struct stream_ctx {
	rpc_msg_fn fn;
	void *ctx;
};

static int stream_adapter(void *ctx, ProtobufCMessage **msg, bool last)
{
	struct stream_ctx *s = ctx;
	return s->fn(s->ctx, *msg, last);
}

int rpc_call_stream(struct rpc_client *c, enum rpc_method m, const ProtobufCMessage *req,
                    rpc_msg_fn fn, void *ctx, int timeout_ms)
{
	struct stream_ctx s = {fn, ctx};
	return call(c, m, req, stream_adapter, &s, timeout_ms);
}

static int take_final(void *ctx, ProtobufCMessage **msg, bool last)
{
	if (!last)
		return err_set(ERR_PROTOCOL, "unexpected chunked reply (use rpc_call_stream)");
	*(ProtobufCMessage **)ctx = *msg;
	*msg = NULL;
	return ERR_OK;
}

int rpc_call(struct rpc_client *c, enum rpc_method m, const ProtobufCMessage *req,
             ProtobufCMessage **resp, int timeout_ms)
{
	*resp = NULL;
	return call(c, m, req, take_final, resp, timeout_ms);
}

void rpc_message_free(ProtobufCMessage *m)
{
	if (m)
		protobuf_c_message_free_unpacked(m, &rpc_pb_allocator);
}

/* ---- typed calls ------------------------------------------------------- */

/* A call whose response carries nothing we need. */
static int call_void(struct rpc_client *c, enum rpc_method m, const ProtobufCMessage *req)
{
	ProtobufCMessage *resp = NULL;
	int rc = rpc_call(c, m, req, &resp, 0);
	rpc_message_free(resp);
	return rc;
}

static int call_region(struct rpc_client *c, enum rpc_method m, uint64_t region_id)
{
	RPC_PB(RegionIdRequest) req = STRATA__REGION_ID_REQUEST__INIT;
	req.region_id = region_id;
	return call_void(c, m, &req.base);
}

int rpc_ping(struct rpc_client *c)
{
	RPC_PB(Empty) req = STRATA__EMPTY__INIT;
	return call_void(c, RPC_PING, &req.base);
}

static int region_write_call(struct rpc_client *c, uint64_t region_id, enum op_type op,
                             const struct batch *rows, bool has_version, uint64_t version,
                             uint64_t *affected);

int rpc_region_write(struct rpc_client *c, uint64_t region_id, enum op_type op,
                     const struct batch *rows, uint64_t *affected)
{
	return region_write_call(c, region_id, op, rows, false, 0, affected);
}

int rpc_region_write_at(struct rpc_client *c, uint64_t region_id, enum op_type op,
                        const struct batch *rows, uint64_t version, uint64_t *affected)
{
	return region_write_call(c, region_id, op, rows, true, version, affected);
}

static int region_write_call(struct rpc_client *c, uint64_t region_id, enum op_type op,
                             const struct batch *rows, bool has_version, uint64_t version,
                             uint64_t *affected)
{
	struct buf bytes;
	buf_init(&bytes);
	RPC_PB(RegionWriteRequest) req = STRATA__REGION_WRITE_REQUEST__INIT;
	req.region_id = region_id;
	req.op = (uint32_t)op;
	req.has_schema_version = has_version;
	req.schema_version = version;
	ProtobufCMessage *resp = NULL;
	int rc = rpc_batch_encode(rows, &bytes, &req.rows);
	if (rc == ERR_OK)
		rc = rpc_call(c, RPC_REGION_WRITE, &req.base, &resp, 0);
	if (rc == ERR_OK && affected)
		*affected = ((RPC_PB(RegionWriteResponse) *)resp)->affected_rows;
	rpc_message_free(resp);
	buf_free(&bytes);
	return rc;
}

struct rpc_scan_stream {
	struct rpc_stream *st;
	bool partial; /* a partial aggregation: the final frame must say so */
	bool received;
	bool end;
};

/* The RegionScanRequest of a (all allocations from ar / bytes). */
static int scan_request_build(const struct rpc_scan_args *a, struct arena *ar, struct buf *bytes,
                              RPC_PB(RegionScanRequest) * req)
{
	strata__region_scan_request__init(req);
	req->region_id = a->region_id;
	req->read_mode = (uint32_t)a->mode;
	int rc = rpc_scan_request_encode(a->req, a->ncols, ar, &req->scan);
	if (rc == ERR_OK && a->leader_rows) {
		req->has_leader_snapshot = true;
		req->leader_version = a->leader_version;
		rc = rpc_batch_encode(a->leader_rows, bytes, &req->leader_rows);
	}
	if (a->agg) {
		req->partial_agg_version = RPC_PARTIAL_AGG_VERSION;
		req->partial_agg_sql = (char *)a->agg->sql;
		req->partial_agg_protocol = a->agg->protocol;
		req->partial_agg_time_zone = (char *)(a->agg->time_zone ? a->agg->time_zone : "");
		req->partial_agg_now_ms = a->agg->now_ms;
	}
	if (a->deadline_ms > 0) {
		int64_t left = a->deadline_ms - clock_mono_ns() / 1000000;
		req->timeout_ms = left > 0 ? (uint64_t)left : 1; /* 0 would mean none */
	}
	req->mem_limit = a->mem_limit;
	req->chunk_bytes = a->chunk_bytes;
	return rc;
}

int rpc_region_scan_open(struct rpc_client *c, const struct rpc_scan_args *a,
                         struct rpc_scan_stream **out)
{
	*out = NULL;
	struct rpc_scan_stream *s = mem_calloc(1, sizeof(*s));
	struct arena *ar = arena_create(0);
	if (!s || !ar) {
		mem_free(s);
		arena_destroy(ar);
		return ERR_NOMEM;
	}
	s->partial = a->agg != NULL;
	struct buf bytes;
	buf_init(&bytes);
	RPC_PB(RegionScanRequest) req;
	int rc = scan_request_build(a, ar, &bytes, &req);
	struct rpc_stream_options o = {.frame_timeout_ms = a->frame_timeout_ms,
	                               .deadline_ms = a->deadline_ms};
	if (rc == ERR_OK)
		rc = rpc_stream_open(c, RPC_REGION_SCAN, &req.base, &o, &s->st);
	buf_free(&bytes);
	arena_destroy(ar);
	if (rc) {
		mem_free(s);
		return rc;
	}
	*out = s;
	return ERR_OK;
}

int rpc_region_scan_next(struct rpc_scan_stream *s, struct batch *out, bool *end)
{
	memset(out, 0, sizeof(*out));
	*end = false;
	while (!s->end) {
		ProtobufCMessage *msg;
		bool last;
		int rc = rpc_stream_next(s->st, &msg, &last);
		if (rc)
			return rc;
		s->received = true;
		const RPC_PB(RegionScanResponse) *r = (const RPC_PB(RegionScanResponse) *)msg;
		if (last && s->partial && r->partial_agg_version != RPC_PARTIAL_AGG_VERSION)
			rc = err_set(ERR_PROTOCOL,
			             "the peer did not run the partial aggregation (reply version %u, "
			             "expected %u): an older datanode? (STRATA_AGG_PUSHDOWN=0 turns "
			             "pushdown off)",
			             r->partial_agg_version, RPC_PARTIAL_AGG_VERSION);
		bool rows = rc == ERR_OK && r->rows.len > 0;
		if (rows)
			rc = rpc_batch_decode(r->rows, out);
		rpc_message_free(msg);
		if (last)
			s->end = true;
		if (rc)
			return rc;
		if (rows && out->nrows > 0)
			return ERR_OK;
		if (rows)
			batch_free(out);
	}
	*end = true;
	return ERR_OK;
}

bool rpc_region_scan_received(const struct rpc_scan_stream *s)
{
	return s->received;
}

void rpc_region_scan_close(struct rpc_scan_stream *s)
{
	if (!s)
		return;
	rpc_stream_close(s->st);
	mem_free(s);
}

int rpc_region_scan_stream(struct rpc_client *c, const struct rpc_scan_args *a, rpc_batch_fn fn,
                           void *ctx)
{
	struct rpc_scan_stream *s;
	int rc = rpc_region_scan_open(c, a, &s);
	while (rc == ERR_OK) {
		struct batch b;
		bool end;
		if ((rc = rpc_region_scan_next(s, &b, &end)) || end)
			break;
		rc = fn(ctx, &b);
	}
	rpc_region_scan_close(s); /* open leaves s NULL when it fails */
	return rc;
}

static int append_batch(void *ctx, struct batch *b)
{
	return rpc_batch_append(ctx, b);
}

int rpc_region_scan(struct rpc_client *c, const struct rpc_scan_args *a, struct batch *out)
{
	memset(out, 0, sizeof(*out));
	int rc = rpc_region_scan_stream(c, a, append_batch, out);
	if (rc)
		batch_free(out);
	return rc;
}

struct snap_ctx {
	struct batch *rows;
	uint64_t version;
};

static int snapshot_frame(void *ctx, const ProtobufCMessage *msg, bool last)
{
	struct snap_ctx *s = ctx;
	const RPC_PB(RegionSnapshotResponse) *r = (const RPC_PB(RegionSnapshotResponse) *)msg;
	if (last)
		s->version = r->manifest_version;
	if (r->rows.len == 0)
		return ERR_OK;
	struct batch b;
	int rc = rpc_batch_decode(r->rows, &b);
	if (rc)
		return rc;
	return rpc_batch_append(s->rows, &b);
}

int rpc_region_snapshot(struct rpc_client *c, uint64_t region_id, const struct scan_request *req,
                        uint32_t ncols, uint64_t *version, struct batch *rows)
{
	memset(rows, 0, sizeof(*rows));
	*version = 0;
	struct arena *ar = arena_create(0);
	if (!ar)
		return ERR_NOMEM;
	RPC_PB(RegionSnapshotRequest) pb = STRATA__REGION_SNAPSHOT_REQUEST__INIT;
	pb.region_id = region_id;
	struct snap_ctx s = {rows, 0};
	int rc = rpc_scan_request_encode(req, ncols, ar, &pb.scan);
	if (rc == ERR_OK)
		rc = rpc_call_stream(c, RPC_REGION_SNAPSHOT, &pb.base, snapshot_frame, &s, 0);
	arena_destroy(ar);
	if (rc)
		batch_free(rows);
	else
		*version = s.version;
	return rc;
}

int rpc_region_flush(struct rpc_client *c, uint64_t region_id)
{
	return call_region(c, RPC_REGION_FLUSH, region_id);
}

int rpc_region_compact(struct rpc_client *c, uint64_t region_id, bool force)
{
	RPC_PB(RegionCompactRequest) req = STRATA__REGION_COMPACT_REQUEST__INIT;
	req.region_id = region_id;
	req.force = force;
	return call_void(c, RPC_REGION_COMPACT, &req.base);
}

int rpc_region_truncate(struct rpc_client *c, uint64_t region_id)
{
	return call_region(c, RPC_REGION_TRUNCATE, region_id);
}

int rpc_region_drop(struct rpc_client *c, uint64_t region_id)
{
	return call_region(c, RPC_REGION_DROP, region_id);
}

int rpc_region_open(struct rpc_client *c, uint64_t region_id, const char *dir,
                    enum region_role role)
{
	RPC_PB(RegionOpenRequest) req = STRATA__REGION_OPEN_REQUEST__INIT;
	req.region_id = region_id;
	req.dir = (char *)(dir ? dir : "");
	req.role = (uint32_t)role;
	return call_void(c, RPC_REGION_OPEN, &req.base);
}

int rpc_region_close(struct rpc_client *c, uint64_t region_id)
{
	return call_region(c, RPC_REGION_CLOSE, region_id);
}

int rpc_region_install(struct rpc_client *c, uint64_t region_id, uint64_t version)
{
	RPC_PB(RegionInstallRequest) req = STRATA__REGION_INSTALL_REQUEST__INIT;
	req.region_id = region_id;
	req.manifest_version = version;
	return call_void(c, RPC_REGION_INSTALL, &req.base);
}

int rpc_region_stats(struct rpc_client *c, struct region_stat **out, uint32_t *n)
{
	*out = NULL;
	*n = 0;
	RPC_PB(Empty) req = STRATA__EMPTY__INIT;
	ProtobufCMessage *resp = NULL;
	struct region_stat *st = NULL;
	int rc = rpc_call(c, RPC_REGION_STATS, &req.base, &resp, 0);
	if (rc)
		goto out;
	const RPC_PB(RegionStatsResponse) *r = (const RPC_PB(RegionStatsResponse) *)resp;
	if (r->n_stats > UINT32_MAX) {
		rc = err_set(ERR_PROTOCOL, "peer %s: too many region stats", c->addr);
		goto out;
	}
	st = mem_calloc(r->n_stats ? r->n_stats : 1, sizeof(*st));
	if (!st) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < r->n_stats; i++) {
		rc = rpc_region_stat_decode(r->stats[i], &st[i]);
		if (rc) {
			err_wrap("peer %s: region_stats", c->addr);
			goto out;
		}
	}
	*out = st;
	*n = (uint32_t)r->n_stats;
	st = NULL;
out:
	mem_free(st);
	rpc_message_free(resp);
	return rc;
}

int rpc_region_alter(struct rpc_client *c, uint64_t region_id, const struct region_schema *schema)
{
	cJSON *j = region_schema_to_json(schema);
	char *json = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!json)
		return err_set(ERR_NOMEM, "cannot render the region schema as JSON");
	RPC_PB(RegionAlterRequest) req = STRATA__REGION_ALTER_REQUEST__INIT;
	req.region_id = region_id;
	req.schema_json = json;
	int rc = call_void(c, RPC_REGION_ALTER, &req.base);
	cJSON_free(json);
	return rc;
}

int rpc_region_create(struct rpc_client *c, uint64_t region_id, const char *dir,
                      const struct region_schema *schema)
{
	cJSON *j = region_schema_to_json(schema);
	char *json = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!json)
		return err_set(ERR_NOMEM, "cannot render the region schema as JSON");
	RPC_PB(RegionCreateRequest) req = STRATA__REGION_CREATE_REQUEST__INIT;
	req.region_id = region_id;
	req.dir = (char *)(dir ? dir : "");
	req.schema_json = json;
	int rc = call_void(c, RPC_REGION_CREATE, &req.base);
	cJSON_free(json);
	return rc;
}

void rpc_heartbeat_reply_free(struct rpc_heartbeat_reply *r)
{
	if (!r)
		return;
	for (uint32_t i = 0; i < r->ninstr; i++)
		mem_free((char *)r->instr[i].dir);
	mem_free(r->instr);
	memset(r, 0, sizeof(*r));
}

static int instr_decode(const RPC_PB(RegionInstruction) * p, struct rpc_region_instr *in)
{
	memset(in, 0, sizeof(*in));
	if (!p)
		return err_set(ERR_PROTOCOL, "missing instruction");
	if (p->kind > RPC_INSTR_CLOSE)
		return err_set(ERR_PROTOCOL, "unknown instruction kind %u", p->kind);
	in->region_id = p->region_id;
	in->kind = (enum rpc_instr_kind)p->kind;
	in->manifest_version = p->manifest_version;
	int rc = rpc_role_decode(p->role, &in->role);
	if (rc)
		return rc;
	if (in->kind == RPC_INSTR_OPEN) {
		in->dir = mem_strdup(p->dir ? p->dir : "");
		if (!in->dir)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

int rpc_heartbeat(struct rpc_client *c, const struct rpc_heartbeat *hb,
                  struct rpc_heartbeat_reply *out)
{
	memset(out, 0, sizeof(*out));
	struct arena *ar = arena_create(0);
	if (!ar)
		return ERR_NOMEM;
	ProtobufCMessage *resp = NULL;
	int rc = ERR_OK;
	RPC_PB(HeartbeatRequest) req = STRATA__HEARTBEAT_REQUEST__INIT;
	req.node_id = hb->node_id;
	req.addr = (char *)(hb->addr ? hb->addr : "");
	if (hb->nstats) {
		RPC_PB(RegionStat) *items = arena_alloc(ar, hb->nstats * sizeof(*items));
		req.stats = arena_alloc(ar, hb->nstats * sizeof(*req.stats));
		if (!items || !req.stats) {
			rc = ERR_NOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < hb->nstats; i++) {
			rpc_region_stat_encode(&hb->stats[i], &items[i]);
			req.stats[i] = &items[i];
		}
		req.n_stats = hb->nstats;
	}
	rc = rpc_call(c, RPC_HEARTBEAT, &req.base, &resp, 0);
	if (rc)
		goto out;
	const RPC_PB(HeartbeatResponse) *r = (const RPC_PB(HeartbeatResponse) *)resp;
	if (r->n_instructions > UINT32_MAX) {
		rc = err_set(ERR_PROTOCOL, "peer %s: too many instructions", c->addr);
		goto out;
	}
	out->lease_ms = r->lease_ms;
	if (r->n_instructions) {
		out->instr = mem_calloc(r->n_instructions, sizeof(*out->instr));
		if (!out->instr) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < r->n_instructions; i++) {
		rc = instr_decode(r->instructions[i], &out->instr[i]);
		out->ninstr = (uint32_t)i + 1; /* so that free sees a partial dir */
		if (rc) {
			err_wrap("peer %s: heartbeat instruction %zu", c->addr, i);
			goto out;
		}
	}
out:
	if (rc)
		rpc_heartbeat_reply_free(out);
	rpc_message_free(resp);
	arena_destroy(ar);
	return rc;
}
