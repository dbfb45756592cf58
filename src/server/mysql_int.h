/*
 * mysql_int: codecs and auth helpers shared by mysql_server.c and
 * mysql_auth.c, exposed for unit tests. Private to src/server.
 *
 * Packet framing (every MySQL packet):
 *   u24le payload_length | u8 sequence_id | payload
 * A payload of 0xFFFFFF bytes or more is sent as several packets of
 * 0xFFFFFF bytes followed by one shorter packet (possibly empty); the
 * receiver concatenates them. Sequence ids count up from 0 at the start of
 * each command and wrap at 256.
 *
 * Length-encoded integer: < 0xFB one byte; 0xFC + u16le; 0xFD + u24le;
 * 0xFE + u64le. 0xFB is NULL in a text row; 0xFF starts an ERR packet.
 */
#ifndef STRATA_SERVER_MYSQL_INT_H
#define STRATA_SERVER_MYSQL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/datatype.h"

/* capability flags */
#define MY_CLIENT_LONG_PASSWORD     0x00000001u
#define MY_CLIENT_FOUND_ROWS        0x00000002u
#define MY_CLIENT_LONG_FLAG         0x00000004u
#define MY_CLIENT_CONNECT_WITH_DB   0x00000008u
#define MY_CLIENT_NO_SCHEMA         0x00000010u
#define MY_CLIENT_COMPRESS          0x00000020u
#define MY_CLIENT_LOCAL_FILES       0x00000080u
#define MY_CLIENT_IGNORE_SPACE      0x00000100u
#define MY_CLIENT_PROTOCOL_41       0x00000200u
#define MY_CLIENT_INTERACTIVE       0x00000400u
#define MY_CLIENT_SSL               0x00000800u
#define MY_CLIENT_TRANSACTIONS      0x00002000u
#define MY_CLIENT_SECURE_CONNECTION 0x00008000u
#define MY_CLIENT_MULTI_STATEMENTS  0x00010000u
#define MY_CLIENT_MULTI_RESULTS     0x00020000u
#define MY_CLIENT_PS_MULTI_RESULTS  0x00040000u
#define MY_CLIENT_PLUGIN_AUTH       0x00080000u
#define MY_CLIENT_CONNECT_ATTRS     0x00100000u
#define MY_CLIENT_PLUGIN_AUTH_LENENC 0x00200000u
#define MY_CLIENT_DEPRECATE_EOF     0x01000000u

/* server status flags */
#define MY_STATUS_IN_TRANS     0x0001
#define MY_STATUS_AUTOCOMMIT   0x0002
#define MY_STATUS_MORE_RESULTS 0x0008

/* column types */
enum my_type {
	MY_TYPE_DECIMAL = 0, MY_TYPE_TINY = 1, MY_TYPE_SHORT = 2, MY_TYPE_LONG = 3,
	MY_TYPE_FLOAT = 4, MY_TYPE_DOUBLE = 5, MY_TYPE_NULL = 6, MY_TYPE_TIMESTAMP = 7,
	MY_TYPE_LONGLONG = 8, MY_TYPE_INT24 = 9, MY_TYPE_DATE = 10, MY_TYPE_TIME = 11,
	MY_TYPE_DATETIME = 12, MY_TYPE_YEAR = 13, MY_TYPE_VARCHAR = 15, MY_TYPE_BIT = 16,
	MY_TYPE_JSON = 245, MY_TYPE_NEWDECIMAL = 246, MY_TYPE_ENUM = 247, MY_TYPE_SET = 248,
	MY_TYPE_TINY_BLOB = 249, MY_TYPE_MEDIUM_BLOB = 250, MY_TYPE_LONG_BLOB = 251,
	MY_TYPE_BLOB = 252, MY_TYPE_VAR_STRING = 253, MY_TYPE_STRING = 254, MY_TYPE_GEOMETRY = 255,
};

#define MY_MAX_FRAME 0xFFFFFFu

int my_put_lenenc(struct buf *b, uint64_t v);
int my_put_lenenc_str(struct buf *b, const void *p, size_t n);
/* *is_null set for 0xFB; rd->err set on truncation or 0xFF. */
uint64_t my_rd_lenenc(struct rd *r, bool *is_null);
const uint8_t *my_rd_lenenc_str(struct rd *r, size_t *n);
/* NUL-terminated string; NULL (and r->err) when no NUL before the end. */
const char *my_rd_nulstr(struct rd *r, size_t *n);

/* Append `payload` to out as framed packets starting at *seq (advanced). */
int my_frame(struct buf *out, uint8_t *seq, const void *payload, size_t n);

/* HandshakeResponse41 (or the 32-byte SSLRequest). */
struct my_handshake_resp {
	uint32_t caps;
	uint32_t max_packet;
	uint8_t charset;
	bool ssl_request;
	char user[64];
	uint8_t auth[256];
	size_t auth_len;
	char db[128];
	char plugin[64];
};
/* Parse a handshake response payload; ERR_PROTOCOL with a message on any
 * malformed or truncated input. */
int my_parse_handshake_response(const uint8_t *p, size_t n, struct my_handshake_resp *out);

/* Column definition of a Strata type. */
struct my_coldef {
	uint8_t type;
	uint16_t flags;
	uint16_t charset;
	uint32_t length;
	uint8_t decimals;
};
void my_coldef_of(enum dtype t, struct my_coldef *cd);

/* Decode one binary-protocol parameter value of type `type` (unsigned
 * when `uns`) from r and append it to sql as a literal. */
int my_param_literal(struct rd *r, uint8_t type, bool uns, struct buf *sql);

/* auth (mysql_auth.c) */
/* What a client sends for mysql_native_password: SHA1(pw) XOR
 * SHA1(salt || SHA1(SHA1(pw))). */
int my_native_token(const uint8_t salt[20], const char *pw, uint8_t out[20]);
/* caching_sha2_password: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || salt). */
int my_sha2_token(const uint8_t salt[20], const char *pw, uint8_t out[32]);
/* Constant-time check of a client token against the stored password; an
 * empty password expects an empty token. */
bool my_native_check(const uint8_t salt[20], const char *pw, const uint8_t *tok, size_t n);
bool my_sha2_check(const uint8_t salt[20], const char *pw, const uint8_t *tok, size_t n);

struct my_rsa;
int my_rsa_create(struct my_rsa **out);
void my_rsa_free(struct my_rsa *k);
const char *my_rsa_pem(const struct my_rsa *k, size_t *n);
size_t my_rsa_size(const struct my_rsa *k);
/* Decrypt an RSA-OAEP block and unmask it with the salt (the caching_sha2
 * full-authentication password); out receives the NUL-stripped password. */
int my_rsa_password(const struct my_rsa *k, const uint8_t salt[20], const uint8_t *in, size_t n,
		    char *out, size_t outsz);

#endif
