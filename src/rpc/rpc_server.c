/*
 * rpc_server: accepts RPC connections and runs the method handlers.
 *
 * Threads: one acceptor, plus one thread per connection (at most
 * max_connections; one more gets an error frame "too many connections"
 * and is closed). A connection thread reads a request frame, decodes the
 * message, runs the handler on its own thread, and writes the response
 * frames before it reads the next request; so request ids on a connection
 * are answered in order and never interleave.
 *
 * Connection lifecycle:
 *     accepted -> serving (loop: read frame -> handler -> reply) -> done
 *       -> reaped (joined by the acceptor or by stop)
 * A connection ends when the peer closes it, on any protocol error (after
 * an error frame when the header was readable), when a reply cannot be
 * written, or at stop. The connection thread closes its own socket under
 * the server mutex (fd = -1), so stop never shuts down a reused fd number.
 *
 * Stop: the wake pipe becomes readable, which ends the acceptor and every
 * wait for a request; handlers already running finish and send their reply;
 * after stop_grace_ms the sockets left are shut down; then every thread is
 * joined.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "rpc/rpc_int.h"

struct conn {
	struct rpc_server *srv;
	int fd; /* -1 once the thread closed it (under srv->mu) */
	pthread_t thread;
	bool done;
	char peer[64];
	struct conn *next;
};

struct rpc_server {
	struct rpc_handlers h;
	struct rpc_server_options o;
	int listen_fd;
	int wake[2]; /* wake[1] is written once, at stop; wake[0] stays readable */
	uint16_t port;
	pthread_t acceptor;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a connection thread finished */
	struct conn *conns;
	uint32_t nconns;                      /* not yet reaped */
	uint32_t nlive;                       /* threads still running */
	uint64_t accepted, refused, requests; /* under mu */
	atomic_bool stopping;
};

struct rpc_reply {
	struct conn *conn;
	const struct rpc_method_info *mi;
	enum rpc_method method;
	uint32_t req_id;
	bool final_sent;
	bool broken; /* a write failed: the connection is closed after the handler */
	uint32_t chunk_bytes; /* rpc_reply_set_chunk_bytes; 0 = the server's */
	struct arena *arena;
	struct buf *out;
};

void rpc_server_options_init(struct rpc_server_options *o)
{
	o->max_connections = RPC_DEFAULT_MAX_CONNECTIONS;
	o->max_frame = RPC_DEFAULT_MAX_FRAME;
	o->chunk_bytes = RPC_DEFAULT_CHUNK_BYTES;
	o->io_timeout_ms = RPC_DEFAULT_IO_TIMEOUT_MS;
	o->stop_grace_ms = 2000;
}

uint16_t rpc_server_port(const struct rpc_server *s)
{
	return s->port;
}

void rpc_server_get_stats(struct rpc_server *s, struct rpc_server_stats *out)
{
	pthread_mutex_lock(&s->mu);
	out->accepted = s->accepted;
	out->refused = s->refused;
	out->requests = s->requests;
	out->live = s->nlive;
	pthread_mutex_unlock(&s->mu);
}

/* ---- replies ----------------------------------------------------------- */

struct arena *rpc_reply_arena(struct rpc_reply *r)
{
	return r->arena;
}
const char *rpc_reply_peer(const struct rpc_reply *r)
{
	return r->conn->peer;
}
enum rpc_method rpc_reply_method(const struct rpc_reply *r)
{
	return r->method;
}

uint32_t rpc_reply_chunk_bytes(const struct rpc_reply *r)
{
	uint32_t n = r->conn->srv->o.chunk_bytes;
	return r->chunk_bytes && r->chunk_bytes < n ? r->chunk_bytes : n;
}

void rpc_reply_set_chunk_bytes(struct rpc_reply *r, uint32_t n)
{
	r->chunk_bytes = n;
}

static int64_t io_deadline(const struct rpc_server *s)
{
	return clock_mono_ns() + (int64_t)s->o.io_timeout_ms * 1000000;
}

static int write_frame(struct rpc_reply *r)
{
	struct conn *c = r->conn;
	int rc = rpc_io_write(c->fd, r->out->data, r->out->len, io_deadline(c->srv));
	if (rc) {
		r->broken = true;
		err_wrap("reply to %s", c->peer);
	}
	return rc;
}

static int send_msg(struct rpc_reply *r, uint8_t kind, const ProtobufCMessage *msg)
{
	if (r->broken)
		return err_set(ERR_UNAVAILABLE, "connection to %s is broken", r->conn->peer);
	if (r->final_sent)
		return err_set(ERR_INTERNAL, "%s: response already sent", r->mi->name);
	if (!msg || msg->descriptor != r->mi->resp)
		return err_set(ERR_INTERNAL, "%s: reply must be a %s", r->mi->name,
		               r->mi->resp->name);
	buf_reset(r->out);
	int rc = rpc_frame_pack(r->out, kind, (uint16_t)r->method, r->req_id, msg,
	                        r->conn->srv->o.max_frame);
	if (rc)
		return rc;
	if (kind != RPC_KIND_CHUNK)
		r->final_sent = true;
	return write_frame(r);
}

int rpc_reply_chunk(struct rpc_reply *r, const ProtobufCMessage *msg)
{
	return send_msg(r, RPC_KIND_CHUNK, msg);
}

int rpc_reply_send(struct rpc_reply *r, const ProtobufCMessage *msg)
{
	return send_msg(r, RPC_KIND_RESPONSE, msg);
}

static int send_error(struct rpc_reply *r, int code, const char *msg)
{
	buf_reset(r->out);
	int rc = rpc_frame_pack_error(r->out, (uint16_t)r->method, r->req_id, code, msg);
	if (rc)
		return rc;
	r->final_sent = true;
	return write_frame(r);
}

static int send_empty(struct rpc_reply *r)
{
	ProtobufCMessage *m = mem_alloc(r->mi->resp->sizeof_message);
	if (!m)
		return ERR_NOMEM;
	protobuf_c_message_init(r->mi->resp, m);
	int rc = send_msg(r, RPC_KIND_RESPONSE, m);
	mem_free(m);
	return rc;
}

/* ---- serving ----------------------------------------------------------- */

static int dispatch(const struct rpc_handlers *h, const ProtobufCMessage *msg, struct rpc_reply *r)
{
	switch (r->method) {
#define X(id, NAME, name, ReqT, req_s, RespT, resp_s)                                              \
	case RPC_##NAME:                                                                           \
		if (!h->name)                                                                      \
			return err_set(ERR_UNSUPPORTED, "method %s is not served here", #name);    \
		return h->name(h->ctx, (const RPC_PB(ReqT) *)msg, r);
		RPC_METHODS(X)
#undef X
	default:
		return err_set(ERR_PROTOCOL, "unknown method %d", (int)r->method);
	}
}

/* Serve one request frame. Returns non-zero when the connection must close. */
static int serve(struct rpc_server *s, struct conn *c, const struct rpc_frame *f, struct buf *out)
{
	struct rpc_reply r = {
	    .conn = c,
	    .mi = rpc_method_info(f->method),
	    .method = (enum rpc_method)f->method,
	    .req_id = f->req_id,
	    .out = out,
	};
	int rc;
	err_clear();
	ProtobufCMessage *msg =
	    protobuf_c_message_unpack(r.mi->req, &rpc_pb_allocator, f->len, f->payload);
	if (!msg) {
		rc = err_code() == ERR_NOMEM
		         ? ERR_NOMEM
		         : err_set(ERR_PROTOCOL, "malformed %s request (%u bytes)", r.mi->name,
		                   f->len);
		send_error(&r, rc, err_msg());
		goto out;
	}
	r.arena = arena_create(0);
	if (!r.arena) {
		send_error(&r, ERR_NOMEM, err_msg());
		goto out;
	}
	rc = dispatch(&s->h, msg, &r);
	if (r.broken)
		goto out;
	if (rc == ERR_OK) {
		if (!r.final_sent && send_empty(&r) && !r.broken)
			send_error(&r, err_code(), err_msg());
	} else if (!r.final_sent) {
		if (rc < 0 || rc >= ERR__COUNT)
			rc = ERR_INTERNAL;
		const char *m = err_code() == rc && err_msg()[0] ? err_msg() : err_code_name(rc);
		send_error(&r, rc, m);
	} else {
		log_warn("rpc: %s handler failed after its reply: %s", r.mi->name, err_msg());
	}
out:
	arena_destroy(r.arena);
	if (msg)
		protobuf_c_message_free_unpacked(msg, &rpc_pb_allocator);
	/* No final frame could be built (out of memory): hanging up is the
	 * only answer left that the client cannot wait on forever. */
	return r.broken || !r.final_sent;
}

/* Best effort, bounded: tell the peer why its connection is being closed. */
static void send_conn_error(int fd, uint16_t method, uint32_t req_id, int code, const char *msg)
{
	struct buf b;
	buf_init(&b);
	if (rpc_frame_pack_error(&b, method, req_id, code, msg) == ERR_OK)
		(void)rpc_io_write(fd, b.data, b.len, clock_mono_ns() + 200 * 1000000LL);
	buf_free(&b);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct rpc_server *s = c->srv;
	struct buf out;
	buf_init(&out);
	int64_t body_ns = (int64_t)s->o.io_timeout_ms * 1000000;
	while (!atomic_load(&s->stopping)) {
		struct rpc_frame f;
		int rc = rpc_frame_read(c->fd, s->wake[0], 0, body_ns, s->o.max_frame, &f);
		if (rc) {
			if (f.eof || atomic_load(&s->stopping))
				break;
			if (rc == ERR_UNAVAILABLE) /* reset, timeout: the peer's business */
				log_debug("rpc: connection from %s: %s", c->peer, err_msg());
			else
				log_warn("rpc: connection from %s: %s", c->peer, err_msg());
			if (f.header_valid) {
				char m[512];
				snprintf(m, sizeof(m), "%s", err_msg());
				send_conn_error(c->fd, rpc_method_info(f.method) ? f.method : 0,
				                f.req_id, rc, m);
			}
			break;
		}
		if (f.kind != RPC_KIND_REQUEST) {
			log_warn("rpc: connection from %s sent a frame of kind %u", c->peer,
			         f.kind);
			send_conn_error(c->fd, f.method, f.req_id, ERR_PROTOCOL,
			                "expected a request frame");
			rpc_frame_free(&f);
			break;
		}
		pthread_mutex_lock(&s->mu);
		s->requests++;
		pthread_mutex_unlock(&s->mu);
		rc = serve(s, c, &f, &out);
		rpc_frame_free(&f);
		if (rc)
			break;
	}
	buf_free(&out);
	pthread_mutex_lock(&s->mu);
	close(c->fd);
	c->fd = -1;
	c->done = true;
	s->nlive--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Join and free finished connections (all of them when `all`). */
static void reap(struct rpc_server *s, bool all)
{
	struct conn *dead = NULL;
	pthread_mutex_lock(&s->mu);
	struct conn **pp = &s->conns;
	while (*pp) {
		struct conn *c = *pp;
		if (c->done || all) {
			*pp = c->next;
			c->next = dead;
			dead = c;
			s->nconns--;
		} else {
			pp = &c->next;
		}
	}
	pthread_mutex_unlock(&s->mu);
	while (dead) {
		struct conn *n = dead->next;
		pthread_join(dead->thread, NULL);
		mem_free(dead);
		dead = n;
	}
}

static void accept_one(struct rpc_server *s)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(s->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
			log_warn("rpc: accept: %s", strerror(errno));
			clock_sleep_ms(50); /* the backlog stays readable: do not spin */
		}
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	reap(s, false);

	struct conn *c = NULL;
	pthread_mutex_lock(&s->mu);
	bool full = s->nconns >= s->o.max_connections;
	if (full)
		s->refused++;
	pthread_mutex_unlock(&s->mu);
	if (full) {
		send_conn_error(fd, 0, 0, ERR_UNAVAILABLE, "too many connections");
		goto fail;
	}
	c = mem_calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->srv = s;
	c->fd = fd;
	rpc_sockaddr_str(&ss, c->peer, sizeof(c->peer));
	pthread_mutex_lock(&s->mu);
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
	s->nlive++;
	int rc = pthread_create(&c->thread, NULL, conn_main, c);
	if (rc) {
		s->conns = c->next;
		s->nconns--;
		s->nlive--;
	} else {
		s->accepted++;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc == 0)
		return;
	log_warn("rpc: cannot start a connection thread: %s", strerror(rc));
fail:
	mem_free(c);
	close(fd);
}

static void *accept_main(void *arg)
{
	struct rpc_server *s = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = s->listen_fd, .events = POLLIN},
		                      {.fd = s->wake[0], .events = POLLIN}};
		int n = poll(p, 2, 1000);
		if (n < 0 && errno != EINTR) {
			log_error("rpc: poll on the listening socket: %s", strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (n > 0 && p[0].revents)
			accept_one(s);
		else
			reap(s, false);
	}
	return NULL;
}

/* ---- start / stop ------------------------------------------------------ */

static int listen_on(struct rpc_server *s, const char *host, uint16_t port)
{
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int g = getaddrinfo(host, ps, &hints, &ai);
	if (g)
		return err_set(ERR_BAD_INPUT, "rpc listen address %s: %s", host, gai_strerror(g));
	int rc = ERR_OK, fd = -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = err_set(ERR_IO, "socket: %s", strerror(errno));
		goto out;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
		rc = err_set(ERR_IO, "rpc listen on %s:%u: %s", host, port, strerror(errno));
		goto out;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		rc = err_set(ERR_IO, "getsockname: %s", strerror(errno));
		goto out;
	}
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                         : ((struct sockaddr_in *)&ss)->sin_port);
	s->listen_fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

int rpc_server_start(const char *bind_addr, uint16_t port, const struct rpc_handlers *h,
                     const struct rpc_server_options *o, struct rpc_server **out)
{
	*out = NULL;
	struct rpc_server *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->listen_fd = -1;
	s->wake[0] = s->wake[1] = -1;
	if (h)
		s->h = *h;
	rpc_server_options_init(&s->o);
	if (o) {
		if (o->max_connections)
			s->o.max_connections = o->max_connections;
		if (o->max_frame)
			s->o.max_frame = o->max_frame;
		if (o->chunk_bytes)
			s->o.chunk_bytes = o->chunk_bytes;
		if (o->io_timeout_ms > 0)
			s->o.io_timeout_ms = o->io_timeout_ms;
		if (o->stop_grace_ms > 0)
			s->o.stop_grace_ms = o->stop_grace_ms;
	}
	int rc = listen_on(s, bind_addr ? bind_addr : "127.0.0.1", port);
	if (rc)
		goto fail;
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK)) {
		rc = err_set(ERR_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->mu, NULL);
	int e = pthread_create(&s->acceptor, NULL, accept_main, s);
	if (e) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		rc = err_set(ERR_IO, "rpc: cannot start the acceptor thread: %s", strerror(e));
		goto fail;
	}
	*out = s;
	return ERR_OK;
fail:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	mem_free(s);
	return rc;
}

void rpc_server_stop(struct rpc_server *s)
{
	if (!s)
		return;
	atomic_store(&s->stopping, true);
	ssize_t w;
	do
		w = write(s->wake[1], "x", 1);
	while (w < 0 && errno == EINTR);
	pthread_join(s->acceptor, NULL);
	close(s->listen_fd);

	pthread_mutex_lock(&s->mu);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t until =
	    (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + (int64_t)s->o.stop_grace_ms * 1000000;
	ts.tv_sec = until / 1000000000;
	ts.tv_nsec = until % 1000000000;
	while (s->nlive > 0)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
			break;
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->mu);

	reap(s, true);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	mem_free(s);
}
