/*
 * s3_int: the pure pieces of the s3 backend (s3.c), exposed for its unit
 * tests (tests/unit/test_s3.c): URI encoding, URL and query building, the
 * tiny XML readers, status -> error mapping, the retry schedule and header
 * parsing. None of them touch the network. Nothing outside src/objstore/ and
 * its tests includes this file.
 */
#ifndef STRATA_OBJSTORE_S3_INT_H
#define STRATA_OBJSTORE_S3_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Append `s[0..n)` percent-encoded the SigV4 way: bytes outside
 * A-Za-z0-9-._~ become %XX (upper-case hex); '/' is kept when keep_slash. */
int s3_uri_encode(struct buf *b, const char *s, size_t n, int keep_slash);

/* A query parameter; value NULL is sent as "name=" (sub-resources such as
 * "uploads=" need the '='). */
struct s3_param {
	const char *name;
	const char *value;
};
#define S3_MAX_PARAMS 8

/* Append "?n1=v1&n2=v2" with names and values encoded (including '/') and
 * the parameters sorted by name, as SigV4 signs them; nothing when n == 0.
 * ERR_BAD_INPUT when n > S3_MAX_PARAMS. */
int s3_build_query(struct buf *b, const struct s3_param *p, size_t n);

/* Path-style URL into b (reset first): endpoint "/" bucket, then "/" and
 * the encoded root+key when key != NULL, then the query. `root` is "" or
 * ends with '/'. The result is NUL-terminated (buf_cstr). */
int s3_build_url(struct buf *b, const char *endpoint, const char *bucket, const char *root,
                 const char *key, const struct s3_param *p, size_t n);

/* "Range: bytes=FIRST-LAST" for [off, off+len) into out; len must be > 0.
 * When off+len-1 overflows, "bytes=FIRST-" (to the end). Returns the length
 * written, or -1 when it does not fit. */
int s3_range_header(char *out, size_t cap, uint64_t off, uint64_t len);

/* Parse the value of a Content-Range header ("bytes 6-11/29", "bytes
 * 6-11/ *" gives total UINT64_MAX). ERR_OK or ERR_PROTOCOL. */
int s3_parse_content_range(const char *v, size_t n, uint64_t *first, uint64_t *last,
                           uint64_t *total);

/* When the header line `line[0..n)` is "Name: value" with Name equal to
 * `name` (case-insensitive), point *v at the trimmed value and return 1. */
int s3_header_value(const char *line, size_t n, const char *name, const char **v, size_t *vn);

/* Find the first element <name>...</name> in x[from..len). Sets *v / *vn to
 * its raw content (an empty element <name/> gives vn 0) and returns the
 * offset just past it; returns 0 when there is none. Never reads outside
 * x[0..len). */
size_t s3_xml_elem(const char *x, size_t len, size_t from, const char *name, const char **v,
                   size_t *vn);
/* Append XML text s[0..n) with the five named entities and &#N; / &#xN;
 * decoded (UTF-8). ERR_PROTOCOL on a malformed or NUL reference. */
int s3_xml_unescape(struct buf *out, const char *s, size_t n);
/* Append s with &, <, >, " escaped. */
int s3_xml_escape(struct buf *out, const char *s);

/* One ListObjectsV2 page (ListBucketResult) appended to a growing list. */
struct s3_listing {
	size_t n, cap;
	char **keys; /* full bucket keys, decoded */
	uint64_t *sizes;
	int truncated;    /* of the last page parsed */
	char *next_token; /* NextContinuationToken of the last page, or NULL */
};
/* Parse a page into L (keys appended, truncated/next_token replaced).
 * ERR_PROTOCOL (with a message) for anything that is not a well-formed
 * ListBucketResult, including IsTruncated true without a token. */
int s3_parse_list(const char *x, size_t len, struct s3_listing *L);
void s3_listing_free(struct s3_listing *L);

/* <Error><Code>..</Code><Message>..</Message></Error>: copies both
 * (decoded, truncated to fit, NUL-terminated; "" when absent). Returns 1
 * when the body is an S3 Error document, else 0. */
int s3_parse_error(const char *x, size_t len, char *code, size_t code_cap, char *msg,
                   size_t msg_cap);

/* InitiateMultipartUploadResult/UploadId into a new string (mem_free).
 * ERR_PROTOCOL when absent or empty. */
int s3_parse_upload_id(const char *x, size_t len, char **upload_id);

/* The error code for a final HTTP status (and S3 error Code, "" when the
 * body had none): 404 NoSuchKey (or no code) -> ERR_NOT_FOUND, 412 ->
 * ERR_EXISTS, 400 InvalidArgument / KeyTooLongError / InvalidObjectName ->
 * ERR_BAD_INPUT, other non-2xx -> ERR_IO (NoSuchBucket included: a missing
 * bucket is a configuration error, never "the object is absent"). */
int s3_status_err(long status, const char *code);

/* Whether a failed attempt is worth retrying: a transport error (curl_code
 * != 0: connect, timeout, send/receive, partial body), HTTP 408, 429, 500,
 * 502, 503, 504, or an S3 Code of RequestTimeout, SlowDown, InternalError,
 * ServiceUnavailable, ConditionalRequestConflict. Not 501 or other 4xx. */
int s3_should_retry(long status, int curl_code, const char *code);

/* Sleep before retry number `attempt` (0 = after the first failure):
 * exponential from S3_BACKOFF_BASE_MS doubling up to S3_BACKOFF_CAP_MS,
 * with "equal jitter": a value in [d/2, d] chosen by `rnd`. */
#define S3_BACKOFF_BASE_MS 50
#define S3_BACKOFF_CAP_MS  2000
int64_t s3_backoff_ms(unsigned attempt, uint64_t rnd);

/* Readable hint for a few S3 error Codes ("" when none). */
const char *s3_error_hint(const char *code);

/* Lower-case hex SHA-256 of data[0..n) into out[65]. */
void s3_sha256_hex(const void *data, size_t n, char out[65]);

#endif
