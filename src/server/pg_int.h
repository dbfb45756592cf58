/*
 * pg_int: PostgreSQL protocol codecs and auth helpers shared by
 * pg_server.c, pg_codec.c and pg_auth.c, exposed for unit tests. Private to
 * src/server.
 *
 * Frames: the startup packet is  i32 length (including itself) | i32 code |
 * body; every later message is  u8 type | i32 length (including itself,
 * not the type) | body. All integers are big endian.
 */
#ifndef STRATA_SERVER_PG_INT_H
#define STRATA_SERVER_PG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/column.h"

#define PG_PROTO_V3    196608u   /* 3.0 */
#define PG_SSL_CODE    80877103u
#define PG_GSS_CODE    80877104u
#define PG_CANCEL_CODE 80877102u
#define PG_STARTUP_MAX 10000u

/* type oids */
enum {
	PG_OID_BOOL = 16, PG_OID_BYTEA = 17, PG_OID_NAME = 19, PG_OID_INT8 = 20, PG_OID_INT2 = 21,
	PG_OID_INT4 = 23, PG_OID_TEXT = 25, PG_OID_OID = 26, PG_OID_FLOAT4 = 700,
	PG_OID_FLOAT8 = 701, PG_OID_UNKNOWN = 705, PG_OID_BPCHAR = 1042, PG_OID_VARCHAR = 1043,
	PG_OID_DATE = 1082, PG_OID_TIME = 1083, PG_OID_TIMESTAMP = 1114,
	PG_OID_TIMESTAMPTZ = 1184, PG_OID_INTERVAL = 1186, PG_OID_NUMERIC = 1700,
};

/* big-endian helpers */
static inline uint32_t pg_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint16_t pg_get_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
int pg_put_u16(struct buf *b, uint16_t v);
int pg_put_u32(struct buf *b, uint32_t v);
int pg_put_u64(struct buf *b, uint64_t v);
uint16_t pg_rd_u16(struct rd *r);
uint32_t pg_rd_u32(struct rd *r);
/* NUL-terminated string; NULL (and r->err) without a NUL. */
const char *pg_rd_str(struct rd *r);

/* Start a backend message of `type` in b (length patched by pg_msg_end). */
size_t pg_msg_begin(struct buf *b, uint8_t type);
void pg_msg_end(struct buf *b, size_t start);

/* Startup packet body (after the length). */
#define PG_MAX_PARAMS 32
struct pg_startup {
	uint32_t code;
	uint32_t cancel_pid, cancel_key;
	uint32_t nparams;
	const char *keys[PG_MAX_PARAMS];
	const char *vals[PG_MAX_PARAMS];
};
/* Parse `n` bytes of body (code included). Pointers point into p, which
 * must stay alive. ERR_PROTOCOL on malformed input. */
int pg_parse_startup(const uint8_t *p, size_t n, struct pg_startup *o);
const char *pg_startup_get(const struct pg_startup *s, const char *key);

/* Bind message. Values point into the message. */
#define PG_MAX_BIND 65535
struct pg_bind {
	const char *portal, *stmt;
	uint16_t nfmt;
	const uint8_t *fmts;   /* nfmt x i16 */
	uint16_t nparams;
	const uint8_t **vals;  /* NULL for SQL NULL; caller frees the array */
	int32_t *lens;
	uint16_t nrfmt;
	int16_t *rfmts;        /* caller frees */
};
int pg_parse_bind(const uint8_t *p, size_t n, struct pg_bind *o);
void pg_bind_free(struct pg_bind *b);
/* Format code of parameter i per the Bind rules (0 = text, 1 = binary). */
int pg_bind_param_format(const struct pg_bind *b, uint16_t i);

/* Column type of a Strata type: oid and typlen. */
uint32_t pg_oid_of(enum dtype t);
int16_t pg_typlen_of(enum dtype t);
/* Append the binary form of value i of v (not null); timestamps as local
 * time of zone tz (NULL = UTC). */
struct vfmt_tz;
int pg_binary_value(struct buf *out, const struct colvec *v, uint32_t i,
		    const struct vfmt_tz *tz);
/* A duration column (RS_KIND_DURATION) travels as interval (oid 1186,
 * typlen 16). Its value is the engine's text in PostgreSQL's interval
 * style, "[-]N day[s] [-]HH:MM:SS[.ffffff]" (either part may be absent);
 * pg_interval_binary appends the binary form: i64 microseconds, i32 days,
 * i32 months (always 0), big endian. ERR_CORRUPT on any other text. */
int pg_interval_parse(const char *s, size_t n, int64_t *us, int32_t *days);
int pg_interval_binary(struct buf *out, const char *s, size_t n);
/* Append parameter value (format 0 text / 1 binary, of type oid; NULL
 * data = SQL NULL) as an SQL literal. ERR_BAD_INPUT with a message when
 * it does not decode. */
int pg_param_literal(struct buf *sql, uint32_t oid, int format, const uint8_t *p, int32_t n);

/* auth (pg_auth.c) */
/* "md5" + hex(md5(hex(md5(password || user)) || salt)) into out[36]. */
int pg_md5_response(const char *user, const char *pw, const uint8_t salt[4], char out[36]);

struct pg_scram {
	char client_first_bare[512];
	char server_first[512];
	char nonce[160];
	char gs2[16];
	uint8_t salted[32];
};
/* Handle the client-first message; fills server_first (to send). */
int pg_scram_first(struct pg_scram *s, const char *pw, const uint8_t *salt, size_t nsalt,
		   int iters, const char *server_nonce, const uint8_t *msg, size_t n);
/* Verify client-final; on success writes the server-final message
 * ("v=...") into out. ERR_BAD_INPUT when the proof is wrong. */
int pg_scram_final(struct pg_scram *s, const uint8_t *msg, size_t n, char *out, size_t outsz);
/* Base64 helpers (OpenSSL). decode returns -1 on bad input. */
int pg_b64_encode(const uint8_t *p, size_t n, char *out, size_t outsz);
int pg_b64_decode(const char *s, size_t n, uint8_t *out, size_t outsz);

#endif
