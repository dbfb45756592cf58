/*
 * rpc_int: what the files of src/rpc share and nothing else may use: the
 * frame codec and socket I/O (frame.c), the method registry, the protobuf
 * allocator, and the encoders the client's typed calls use (codec.c).
 * Frame byte layout: see the top of frame.c.
 */
#ifndef STRATA_RPC_RPC_INT_H
#define STRATA_RPC_RPC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "rpc/rpc.h"

#define RPC_FRAME_MAGIC       0x50525453u /* bytes 'S' 'T' 'R' 'P' read as a LE u32 */
#define RPC_FRAME_VERSION     1
#define RPC_FRAME_HEADER_SIZE 20

enum rpc_frame_kind {
	RPC_KIND_REQUEST = 1,
	RPC_KIND_RESPONSE = 2, /* final response */
	RPC_KIND_CHUNK = 3,    /* a response frame; more follow */
	RPC_KIND_ERROR = 4,    /* final: ErrorReply */
};

struct rpc_frame {
	uint32_t magic;
	uint8_t version;
	uint8_t kind;
	uint16_t method;
	uint32_t req_id;
	uint32_t len;
	uint32_t crc;
	/* decoded from a buffer: points into it; read from a socket: owned
	 * (mem_free), NULL when len == 0 */
	uint8_t *payload;
	bool eof;          /* rpc_frame_read: peer closed before a frame began */
	bool header_valid; /* magic matched: the header fields are meaningful */
};

struct rpc_method_info {
	const char *name;
	const ProtobufCMessageDescriptor *req;
	const ProtobufCMessageDescriptor *resp;
};

/* NULL when `method` is not in RPC_METHODS. */
const struct rpc_method_info *rpc_method_info(unsigned method);

/* protobuf-c allocations through mem_alloc / mem_free. */
extern ProtobufCAllocator rpc_pb_allocator;

/* Append a whole frame (header + packed msg, which may be NULL for an
 * empty payload) to out. ERR_LIMIT if the payload exceeds max_payload. */
int rpc_frame_pack(struct buf *out, uint8_t kind, uint16_t method, uint32_t req_id,
                   const ProtobufCMessage *msg, uint32_t max_payload);
/* Append a frame carrying raw payload bytes (tests build hostile frames). */
int rpc_frame_pack_raw(struct buf *out, uint8_t kind, uint16_t method, uint32_t req_id,
                       const void *payload, size_t len);
/* Append an error frame: ErrorReply{code, msg}. */
int rpc_frame_pack_error(struct buf *out, uint16_t method, uint32_t req_id, int code,
                         const char *msg);

/* Parse and check a header (magic, version, kind, method, length cap).
 * Fills *f as far as it got. */
int rpc_frame_header_decode(const uint8_t *p, uint32_t max_payload, struct rpc_frame *f);
/* Parse one frame from p[0, n). ERR_OK with *consumed = 0 when the bytes
 * hold only part of a frame; otherwise f->payload points into p and
 * *consumed is the frame size. Errors: ERR_PROTOCOL (bad header), ERR_LIMIT
 * (too long), ERR_CORRUPT (checksum). */
int rpc_frame_decode(const uint8_t *p, size_t n, uint32_t max_payload, struct rpc_frame *f,
                     size_t *consumed);

/*
 * Socket I/O on non-blocking fds. Deadlines are clock_mono_ns() values, 0 =
 * none. wake_fd (-1 = none) aborts a wait when it becomes readable (server
 * stop): ERR_UNAVAILABLE "stopping". Timeouts: ERR_UNAVAILABLE "timed out".
 */
int rpc_io_write(int fd, const void *p, size_t n, int64_t deadline);
/* Read one frame. The wait for its first byte ends at first_deadline; once
 * it began, the rest must arrive within body_timeout_ns (0 = first_deadline
 * again). On success f->payload is owned by the caller. A peer that closes
 * at a frame boundary sets f->eof (ERR_UNAVAILABLE "connection closed");
 * mid-frame it is ERR_PROTOCOL "truncated". */
int rpc_frame_read(int fd, int wake_fd, int64_t first_deadline, int64_t body_timeout_ns,
                   uint32_t max_payload, struct rpc_frame *f);
void rpc_frame_free(struct rpc_frame *f);

/* The server's chunk_bytes option (rpc_server.c). */
uint32_t rpc_reply_chunk_bytes(const struct rpc_reply *r);

int rpc_set_nonblocking(int fd);
/* "ip:port" of a socket address. */
void rpc_sockaddr_str(const void *sa, char *out, size_t n);

/* Encoders for the typed calls; every allocation comes from `a`. */
int rpc_scan_request_encode(const struct scan_request *req, uint32_t ncols, struct arena *a,
                            RPC_PB(ScanRequest) * *out);
/* Encode b into `bytes` (reset first; the caller frees it); *out points
 * into it. */
int rpc_batch_encode(const struct batch *b, struct buf *bytes, ProtobufCBinaryData *out);
/* Append every row of src to *dst, initialising dst from src's types when
 * dst has no columns; src is freed (ownership moves). */
int rpc_batch_append(struct batch *dst, struct batch *src);

#endif
