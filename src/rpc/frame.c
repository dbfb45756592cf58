/*
 * frame: the RPC frame codec, the method registry and socket I/O with
 * deadlines.
 *
 * Every message on an RPC connection is one frame: a fixed 20-byte header
 * and a payload. All integers are little-endian.
 *
 *   offset size field
 *   0      4    magic       the bytes 'S' 'T' 'R' 'P' (0x50525453 as a LE u32)
 *   4      1    version     RPC_FRAME_VERSION (1)
 *   5      1    kind        1 request, 2 response (final), 3 response chunk
 *                           (more frames of the same response follow),
 *                           4 error (final; payload is an ErrorReply)
 *   6      2    method      enum rpc_method (rpc.h RPC_METHODS); 0 only in an
 *                           error frame about the connection itself (e.g.
 *                           "too many connections")
 *   8      4    request id  chosen by the client, unique per connection
 *                           among outstanding calls; every response, chunk
 *                           or error frame echoes it; 0 = no request
 *   12     4    length      payload bytes that follow; at most the
 *                           receiver's max_frame (default 256 MiB)
 *   16     4    crc32c      CRC-32C (base/crc32c.h) of the payload bytes
 *   20     len  payload     the protobuf-c encoding of the method's request
 *                           or response message (proto/<name>.proto), or of an
 *                           ErrorReply for kind 4
 *
 * A response to request id N is: zero or more chunk frames, then exactly
 * one response or error frame, all with id N and the request's method.
 *
 * Receivers check, in this order and before allocating anything: magic,
 * version, kind, method, length cap; then they read the whole payload and
 * check its CRC. Any failure is a protocol error after which the stream
 * cannot be trusted: the connection is closed (the server first sends an
 * error frame if the magic was right, so a confused peer learns why). A
 * peer that closes mid-frame is ERR_PROTOCOL ("truncated"), never a crash;
 * closing between frames is an ordinary end of the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/mem.h"
#include "rpc/rpc_int.h"

/* Dense ids 1..RPC_METHOD__COUNT: an id past the end does not compile, a
 * repeated one trips -Woverride-init (-Wextra), so the table has no gaps. */
static const struct rpc_method_info methods[RPC_METHOD__COUNT + 1] = {
#define X(id, NAME, name, ReqT, req_s, RespT, resp_s)                                              \
	[id] = {#name, &RPC_PB_DESC(req_s), &RPC_PB_DESC(resp_s)},
    RPC_METHODS(X)
#undef X
};

const struct rpc_method_info *rpc_method_info(unsigned method)
{
	if (method == 0 || method > RPC_METHOD__COUNT)
		return NULL;
	return &methods[method];
}

const char *rpc_method_name(unsigned method)
{
	const struct rpc_method_info *mi = rpc_method_info(method);
	return mi ? mi->name : "unknown";
}

static void *pb_alloc(void *data, size_t n)
{
	(void)data;
	return mem_alloc(n);
}

static void pb_free(void *data, void *p)
{
	(void)data;
	mem_free(p);
}

ProtobufCAllocator rpc_pb_allocator = {pb_alloc, pb_free, NULL};

/* ---- encoding ---------------------------------------------------------- */

static void header_put(uint8_t *h, uint8_t kind, uint16_t method, uint32_t req_id,
                       const uint8_t *payload, uint32_t len)
{
	le_put_u32(h, RPC_FRAME_MAGIC);
	h[4] = RPC_FRAME_VERSION;
	h[5] = kind;
	h[6] = (uint8_t)method;
	h[7] = (uint8_t)(method >> 8);
	le_put_u32(h + 8, req_id);
	le_put_u32(h + 12, len);
	le_put_u32(h + 16, crc32c(0, payload, len));
}

int rpc_frame_pack(struct buf *out, uint8_t kind, uint16_t method, uint32_t req_id,
                   const ProtobufCMessage *msg, uint32_t max_payload)
{
	size_t n = msg ? protobuf_c_message_get_packed_size(msg) : 0;
	if (n > max_payload)
		return err_set(ERR_LIMIT,
		               "%s message of %zu bytes exceeds the frame limit of %u bytes",
		               rpc_method_name(method), n, max_payload);
	if (buf_reserve(out, RPC_FRAME_HEADER_SIZE + n))
		return ERR_NOMEM;
	uint8_t *h = out->data + out->len;
	if (n && protobuf_c_message_pack(msg, h + RPC_FRAME_HEADER_SIZE) != n)
		return err_set(ERR_INTERNAL, "protobuf pack size mismatch");
	header_put(h, kind, method, req_id, h + RPC_FRAME_HEADER_SIZE, (uint32_t)n);
	out->len += RPC_FRAME_HEADER_SIZE + n;
	return ERR_OK;
}

int rpc_frame_pack_raw(struct buf *out, uint8_t kind, uint16_t method, uint32_t req_id,
                       const void *payload, size_t len)
{
	if (len > UINT32_MAX)
		return err_set(ERR_LIMIT, "payload of %zu bytes cannot be framed", len);
	if (buf_reserve(out, RPC_FRAME_HEADER_SIZE + len))
		return ERR_NOMEM;
	uint8_t *h = out->data + out->len;
	if (len)
		memcpy(h + RPC_FRAME_HEADER_SIZE, payload, len);
	header_put(h, kind, method, req_id, h + RPC_FRAME_HEADER_SIZE, (uint32_t)len);
	out->len += RPC_FRAME_HEADER_SIZE + len;
	return ERR_OK;
}

int rpc_frame_pack_error(struct buf *out, uint16_t method, uint32_t req_id, int code,
                         const char *msg)
{
	RPC_PB(ErrorReply) er = STRATA__ERROR_REPLY__INIT;
	er.code = (uint32_t)code;
	er.message = (char *)(msg ? msg : "");
	return rpc_frame_pack(out, RPC_KIND_ERROR, method, req_id, &er.base, UINT32_MAX);
}

/* ---- decoding ---------------------------------------------------------- */

int rpc_frame_header_decode(const uint8_t *p, uint32_t max_payload, struct rpc_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->magic = le_get_u32(p);
	if (f->magic != RPC_FRAME_MAGIC)
		return err_set(ERR_PROTOCOL, "bad frame magic 0x%08x (not a Strata RPC peer?)",
		               f->magic);
	f->header_valid = true;
	f->version = p[4];
	f->kind = p[5];
	f->method = (uint16_t)(p[6] | p[7] << 8);
	f->req_id = le_get_u32(p + 8);
	f->len = le_get_u32(p + 12);
	f->crc = le_get_u32(p + 16);
	if (f->version != RPC_FRAME_VERSION)
		return err_set(ERR_PROTOCOL, "unsupported frame version %u (this peer speaks %u)",
		               f->version, RPC_FRAME_VERSION);
	if (f->kind < RPC_KIND_REQUEST || f->kind > RPC_KIND_ERROR)
		return err_set(ERR_PROTOCOL, "bad frame kind %u", f->kind);
	if (!rpc_method_info(f->method) && !(f->method == 0 && f->kind == RPC_KIND_ERROR))
		return err_set(ERR_PROTOCOL, "unknown method %u", f->method);
	if (f->len > max_payload)
		return err_set(ERR_LIMIT, "frame payload of %u bytes exceeds the limit of %u bytes",
		               f->len, max_payload);
	return ERR_OK;
}

static int check_crc(const struct rpc_frame *f, const uint8_t *payload)
{
	uint32_t c = crc32c(0, payload, f->len);
	if (c != f->crc)
		return err_set(ERR_CORRUPT, "frame checksum mismatch (%s, %u bytes)",
		               rpc_method_name(f->method), f->len);
	return ERR_OK;
}

int rpc_frame_decode(const uint8_t *p, size_t n, uint32_t max_payload, struct rpc_frame *f,
                     size_t *consumed)
{
	*consumed = 0;
	if (n < RPC_FRAME_HEADER_SIZE) {
		memset(f, 0, sizeof(*f));
		return ERR_OK;
	}
	int rc = rpc_frame_header_decode(p, max_payload, f);
	if (rc)
		return rc;
	if (n - RPC_FRAME_HEADER_SIZE < f->len)
		return ERR_OK;
	const uint8_t *payload = p + RPC_FRAME_HEADER_SIZE;
	rc = check_crc(f, payload);
	if (rc)
		return rc;
	f->payload = f->len ? (uint8_t *)payload : NULL;
	*consumed = RPC_FRAME_HEADER_SIZE + (size_t)f->len;
	return ERR_OK;
}

void rpc_frame_free(struct rpc_frame *f)
{
	mem_free(f->payload);
	f->payload = NULL;
}

/* ---- socket I/O -------------------------------------------------------- */

int rpc_set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return err_set(ERR_IO, "fcntl O_NONBLOCK: %s", strerror(errno));
	return ERR_OK;
}

void rpc_sockaddr_str(const void *sa, char *out, size_t n)
{
	const struct sockaddr *s = sa;
	char ip[INET6_ADDRSTRLEN] = "?";
	if (s->sa_family == AF_INET) {
		const struct sockaddr_in *in = sa;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, n, "%s:%u", ip, ntohs(in->sin_port));
	} else if (s->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, n, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(out, n, "?");
	}
}

/* Wait until fd is ready for ev, the deadline passes or wake_fd fires. */
static int wait_fd(int fd, short ev, int64_t deadline, int wake_fd)
{
	for (;;) {
		int ms = -1;
		if (deadline) {
			int64_t left = deadline - clock_mono_ns();
			if (left <= 0)
				return err_set(ERR_UNAVAILABLE, "timed out");
			int64_t lm = (left + 999999) / 1000000;
			ms = lm > INT_MAX ? INT_MAX : (int)lm;
		}
		struct pollfd p[2] = {{.fd = fd, .events = ev}, {.fd = wake_fd, .events = POLLIN}};
		int n = poll(p, wake_fd >= 0 ? 2 : 1, ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_set(ERR_IO, "poll: %s", strerror(errno));
		}
		if (wake_fd >= 0 && p[1].revents)
			return err_set(ERR_UNAVAILABLE, "stopping");
		if (n > 0 && p[0].revents)
			return ERR_OK; /* errors and hang-ups surface in recv/send */
	}
}

int rpc_io_write(int fd, const void *p, size_t n, int64_t deadline)
{
	const uint8_t *b = p;
	size_t done = 0;
	while (done < n) {
		ssize_t w = send(fd, b + done, n - done, MSG_NOSIGNAL);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int rc = wait_fd(fd, POLLOUT, deadline, -1);
			if (rc)
				return rc;
			continue;
		}
		return err_set(ERR_UNAVAILABLE, "send: %s",
		               w < 0 ? strerror(errno) : "no progress");
	}
	return ERR_OK;
}

/* Read exactly n bytes; *got says how many arrived (also on failure).
 * *eof is set when the peer closed the connection. */
static int read_full(int fd, uint8_t *p, size_t n, int64_t deadline, int wake_fd, size_t *got,
                     bool *eof)
{
	*eof = false;
	while (*got < n) {
		ssize_t r = recv(fd, p + *got, n - *got, 0);
		if (r > 0) {
			*got += (size_t)r;
			continue;
		}
		if (r == 0) {
			*eof = true;
			return err_set(ERR_UNAVAILABLE, "connection closed");
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int rc = wait_fd(fd, POLLIN, deadline, wake_fd);
			if (rc)
				return rc;
			continue;
		}
		return err_set(ERR_UNAVAILABLE, "recv: %s", strerror(errno));
	}
	return ERR_OK;
}

int rpc_frame_read(int fd, int wake_fd, int64_t first_deadline, int64_t body_timeout_ns,
                   uint32_t max_payload, struct rpc_frame *f)
{
	uint8_t h[RPC_FRAME_HEADER_SIZE];
	size_t got = 0;
	bool eof;
	memset(f, 0, sizeof(*f));

	/* The first byte: an idle connection may wait long for it. */
	int rc = read_full(fd, h, 1, first_deadline, wake_fd, &got, &eof);
	if (rc) {
		f->eof = eof;
		return rc;
	}
	int64_t deadline = first_deadline;
	if (body_timeout_ns > 0) {
		int64_t d = clock_mono_ns() + body_timeout_ns;
		if (!deadline || d < deadline)
			deadline = d;
	}
	rc = read_full(fd, h, sizeof(h), deadline, wake_fd, &got, &eof);
	if (rc) {
		if (eof)
			return err_set(ERR_PROTOCOL,
			               "truncated frame: peer closed after %zu of %d header bytes",
			               got, RPC_FRAME_HEADER_SIZE);
		return rc;
	}
	rc = rpc_frame_header_decode(h, max_payload, f);
	if (rc)
		return rc;
	if (f->len == 0)
		return check_crc(f, NULL);
	uint8_t *payload = mem_alloc(f->len);
	if (!payload)
		return ERR_NOMEM;
	got = 0;
	rc = read_full(fd, payload, f->len, deadline, wake_fd, &got, &eof);
	if (rc) {
		mem_free(payload);
		if (eof)
			return err_set(ERR_PROTOCOL,
			               "truncated frame: peer closed after %zu of %u payload bytes",
			               got, f->len);
		return rc;
	}
	rc = check_crc(f, payload);
	if (rc) {
		mem_free(payload);
		return rc;
	}
	f->payload = payload;
	return ERR_OK;
}
