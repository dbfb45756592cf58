/*
 * s3: the object store backend on an S3-compatible service ("s3"), spoken
 * with libcurl and its built-in AWS SigV4 signer.
 *
 * Addressing is path-style: key K is http(s)://ENDPOINT/BUCKET/ROOT/K, where
 * ROOT is the configured prefix (normalised to "" or "some/prefix/"). Lists
 * ask for ROOT+prefix and hand back keys with ROOT stripped, sorted.
 *
 * Signing (libcurl 7.88 quirks, see the test-infra notes 2.3/2.4): curl signs
 * the path and query exactly as written, so s3_build_url percent-encodes key
 * bytes outside A-Za-z0-9-._~/ and sorts and fully encodes the query
 * ("prefix=a%2F", "uploads="). curl does not add x-amz-content-sha256, so we
 * send the hex SHA-256 of every body (of "" for body-less requests); a
 * verifying server (radosgw, AWS) then also checks the payload.
 *
 * Requests (one attempt loop, s3_do):
 *   put        PUT, body in memory; OBJSTORE_PUT_IF_ABSENT adds
 *              "If-None-Match: *", and 412 PreconditionFailed is ERR_EXISTS.
 *              Bodies above multipart_threshold (put-if-absent: above 5 GiB,
 *              the single-PUT limit, because radosgw 16 ignores the condition
 *              on a multipart complete) go multipart: POST ?uploads=,
 *              PUT ?partNumber=N&uploadId=U per part_size slice (ETags kept),
 *              POST ?uploadId=U with the CompleteMultipartUpload XML (also
 *              "If-None-Match: *" when absent-only); any failure after the
 *              initiate aborts the upload (DELETE ?uploadId=U).
 *   get        GET; get_range adds "Range: bytes=A-B" (206, or 200 sliced
 *              locally when a server ignores ranges; 416 = past the end = empty).
 *   head       HEAD: Content-Length and Last-Modified.
 *   list       ListObjectsV2 pages (GET ?continuation-token=&list-type=2&
 *              max-keys=&prefix=) until IsTruncated is false.
 *   delete     DELETE; 204, 200 and 404 all mean "gone".
 *
 * Retries: a transport error, 408, 429, 500, 502, 503, 504 or an S3 Code
 * such as SlowDown/RequestTimeout is retried after s3_backoff_ms (exponential,
 * jittered) until the request's deadline (deadline_ms from its first
 * attempt; every attempt's curl timeout is the time left). Other 4xx are
 * final. A put-if-absent retried after an attempt whose outcome is unknown
 * (transport error or 5xx) may meet its own earlier write as 412: then the
 * stored object is fetched and compared, and identical bytes count as
 * success.
 *
 * Errors: messages read "S3 <METHOD> <key>: <status> <Code>: <Message>
 * (<hint>)", the Code and Message parsed from the XML error body.
 * s3_status_err maps status to code (404 -> ERR_NOT_FOUND, 412 ->
 * ERR_EXISTS, bad keys -> ERR_BAD_INPUT, the rest ERR_IO).
 *
 * Threads: the store is shared by every thread. CURL easy handles (each with
 * its connection cache) live in a small pool under a mutex: a request takes
 * one (or makes one), and puts it back (or frees it past S3_POOL_MAX).
 */
#include "objstore/objstore.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/sha.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore_int.h"
#include "objstore/s3_int.h"

#define MIB                    ((uint64_t)1 << 20)
#define S3_DEFAULT_REGION      "us-east-1"
#define S3_DEFAULT_DEADLINE_MS 30000
#define S3_DEFAULT_THRESHOLD   (16 * MIB)
#define S3_DEFAULT_PART        (8 * MIB)
#define S3_MIN_PART            (5 * MIB)
#define S3_MAX_PARTS           10000
#define S3_MAX_SINGLE_PUT      ((uint64_t)5 << 30)
#define S3_POOL_MAX            16
#define S3_ERRBODY_MAX         65536
#define S3_LIST_BODY_MAX       (64 * MIB)
#define S3_CONNECT_TIMEOUT_MS  10000
#define S3_MAX_HEADERS         6

/* ---------------------------------------------------------------- pure */

static const char hexd[] = "0123456789ABCDEF";

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int s3_uri_encode(struct buf *b, const char *s, size_t n, int keep_slash)
{
	if (buf_reserve(b, n * 3))
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			b->data[b->len++] = c;
		} else {
			b->data[b->len++] = '%';
			b->data[b->len++] = (uint8_t)hexd[c >> 4];
			b->data[b->len++] = (uint8_t)hexd[c & 15];
		}
	}
	return ERR_OK;
}

int s3_build_query(struct buf *b, const struct s3_param *p, size_t n)
{
	if (n == 0)
		return ERR_OK;
	if (n > S3_MAX_PARAMS)
		return err_set(ERR_BAD_INPUT, "S3: %zu query parameters (at most %d)", n,
		               S3_MAX_PARAMS);
	const struct s3_param *v[S3_MAX_PARAMS];
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		/* insertion sort by name: the parameter names are plain ASCII, so
		 * their byte order is the order of their encodings */
		while (j > 0 && strcmp(v[j - 1]->name, p[i].name) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = &p[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (buf_putc(b, i ? '&' : '?') ||
		    s3_uri_encode(b, v[i]->name, strlen(v[i]->name), 0) || buf_putc(b, '='))
			return ERR_NOMEM;
		if (v[i]->value && s3_uri_encode(b, v[i]->value, strlen(v[i]->value), 0))
			return ERR_NOMEM;
	}
	return ERR_OK;
}

int s3_build_url(struct buf *b, const char *endpoint, const char *bucket, const char *root,
                 const char *key, const struct s3_param *p, size_t n)
{
	buf_reset(b);
	if (buf_append(b, endpoint, strlen(endpoint)) || buf_putc(b, '/') ||
	    s3_uri_encode(b, bucket, strlen(bucket), 0))
		return ERR_NOMEM;
	if (key) {
		if (buf_putc(b, '/') || s3_uri_encode(b, root, strlen(root), 1) ||
		    s3_uri_encode(b, key, strlen(key), 1))
			return ERR_NOMEM;
	}
	int rc = s3_build_query(b, p, n);
	if (rc)
		return rc;
	return buf_cstr(b) ? ERR_OK : ERR_NOMEM;
}

int s3_range_header(char *out, size_t cap, uint64_t off, uint64_t len)
{
	int w;
	if (len == 0)
		return -1;
	if (len - 1 > UINT64_MAX - off)
		w = snprintf(out, cap, "Range: bytes=%" PRIu64 "-", off);
	else
		w = snprintf(out, cap, "Range: bytes=%" PRIu64 "-%" PRIu64, off, off + len - 1);
	return w < 0 || (size_t)w >= cap ? -1 : w;
}

/* Parse decimal digits at s[*i..n) into *v; at least one digit, no overflow. */
static int parse_u64(const char *s, size_t n, size_t *i, uint64_t *v)
{
	size_t start = *i;
	uint64_t x = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		unsigned d = (unsigned)(s[*i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
		(*i)++;
	}
	if (*i == start)
		return -1;
	*v = x;
	return 0;
}

int s3_parse_content_range(const char *v, size_t n, uint64_t *first, uint64_t *last,
                           uint64_t *total)
{
	size_t i = 0;
	if (n < 6 || strncasecmp(v, "bytes ", 6) != 0)
		goto bad;
	i = 6;
	if (parse_u64(v, n, &i, first) || i >= n || v[i++] != '-' || parse_u64(v, n, &i, last) ||
	    i >= n || v[i++] != '/')
		goto bad;
	if (i + 1 == n && v[i] == '*')
		*total = UINT64_MAX;
	else if (parse_u64(v, n, &i, total) || i != n)
		goto bad;
	if (*last < *first || (*total != UINT64_MAX && *last >= *total))
		goto bad;
	return ERR_OK;
bad:
	return err_set(ERR_PROTOCOL, "S3: bad Content-Range '%.*s'", (int)(n > 80 ? 80 : n), v);
}

int s3_header_value(const char *line, size_t n, const char *name, const char **v, size_t *vn)
{
	size_t nl = strlen(name);
	if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
		return 0;
	size_t a = nl + 1, e = n;
	while (a < e && (line[a] == ' ' || line[a] == '\t'))
		a++;
	while (e > a && (line[e - 1] == '\r' || line[e - 1] == '\n' || line[e - 1] == ' ' ||
	                 line[e - 1] == '\t'))
		e--;
	*v = line + a;
	*vn = e - a;
	return 1;
}

size_t s3_xml_elem(const char *x, size_t len, size_t from, const char *name, const char **v,
                   size_t *vn)
{
	size_t nl = strlen(name);
	size_t i = from;
	while (i < len) {
		const char *lt = memchr(x + i, '<', len - i);
		if (!lt)
			return 0;
		size_t p = (size_t)(lt - x) + 1; /* just after '<' */
		if (len - p < nl + 1 || memcmp(x + p, name, nl) != 0) {
			i = p;
			continue;
		}
		size_t q = p + nl;
		char c = x[q];
		if (c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			i = p; /* "<KeyCount>" when looking for "Key" */
			continue;
		}
		const char *gt = memchr(x + q, '>', len - q);
		if (!gt)
			return 0;
		size_t body = (size_t)(gt - x) + 1;
		if (gt[-1] == '/') { /* <name/> */
			*v = x + body;
			*vn = 0;
			return body;
		}
		/* the closing tag: "</name>" */
		for (size_t j = body; j + nl + 3 <= len; j++) {
			const char *c2 = memchr(x + j, '<', len - j);
			if (!c2)
				return 0;
			j = (size_t)(c2 - x);
			if (j + nl + 3 > len)
				return 0;
			if (x[j + 1] == '/' && memcmp(x + j + 2, name, nl) == 0 &&
			    x[j + 2 + nl] == '>') {
				*v = x + body;
				*vn = j - body;
				return j + nl + 3;
			}
		}
		return 0;
	}
	return 0;
}

static int put_utf8(struct buf *out, uint32_t cp)
{
	uint8_t t[4];
	size_t n;
	if (cp < 0x80) {
		t[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		t[0] = (uint8_t)(0xC0 | cp >> 6);
		t[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		t[0] = (uint8_t)(0xE0 | cp >> 12);
		t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		t[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		t[0] = (uint8_t)(0xF0 | cp >> 18);
		t[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
		t[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		t[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return buf_append(out, t, n);
}

int s3_xml_unescape(struct buf *out, const char *s, size_t n)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
	size_t i = 0;
	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		size_t run = amp ? (size_t)(amp - (s + i)) : n - i;
		if (buf_append(out, s + i, run))
			return ERR_NOMEM;
		i += run;
		if (i >= n)
			break;
		const char *semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
		if (!semi)
			return err_set(ERR_PROTOCOL, "S3 XML: unterminated entity");
		const char *ent = s + i + 1;
		size_t el = (size_t)(semi - ent);
		i = (size_t)(semi - s) + 1;
		if (el >= 2 && ent[0] == '#') {
			uint32_t cp = 0;
			int hex = ent[1] == 'x' || ent[1] == 'X';
			size_t k = hex ? 2 : 1;
			if (k >= el)
				return err_set(ERR_PROTOCOL, "S3 XML: empty character reference");
			for (; k < el; k++) {
				int d;
				char c = ent[k];
				if (c >= '0' && c <= '9')
					d = c - '0';
				else if (hex && c >= 'a' && c <= 'f')
					d = c - 'a' + 10;
				else if (hex && c >= 'A' && c <= 'F')
					d = c - 'A' + 10;
				else
					return err_set(ERR_PROTOCOL,
					               "S3 XML: bad character reference");
				cp = cp * (hex ? 16u : 10u) + (uint32_t)d;
				if (cp > 0x10FFFF)
					return err_set(ERR_PROTOCOL, "S3 XML: character reference "
					                             "out of range");
			}
			if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
				return err_set(ERR_PROTOCOL, "S3 XML: invalid character reference");
			if (put_utf8(out, cp))
				return ERR_NOMEM;
			continue;
		}
		size_t t;
		for (t = 0; t < sizeof(named) / sizeof(named[0]); t++)
			if (strlen(named[t].name) == el && memcmp(named[t].name, ent, el) == 0)
				break;
		if (t == sizeof(named) / sizeof(named[0]))
			return err_set(ERR_PROTOCOL, "S3 XML: unknown entity '&%.*s;'", (int)el,
			               ent);
		if (buf_putc(out, (uint8_t)named[t].c))
			return ERR_NOMEM;
	}
	return ERR_OK;
}

int s3_xml_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		int rc;
		switch (*s) {
		case '&':
			rc = buf_append(out, "&amp;", 5);
			break;
		case '<':
			rc = buf_append(out, "&lt;", 4);
			break;
		case '>':
			rc = buf_append(out, "&gt;", 4);
			break;
		case '"':
			rc = buf_append(out, "&quot;", 6);
			break;
		default:
			rc = buf_putc(out, (uint8_t)*s);
		}
		if (rc)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/* Decoded text of an element into a new string (no embedded NUL). */
static int xml_text_dup(const char *v, size_t vn, char **out)
{
	struct buf b;
	buf_init(&b);
	int rc = s3_xml_unescape(&b, v, vn);
	if (rc == ERR_OK && memchr(b.data, 0, b.len))
		rc = err_set(ERR_PROTOCOL, "S3 XML: NUL in text");
	if (rc == ERR_OK && !buf_cstr(&b))
		rc = ERR_NOMEM;
	if (rc) {
		buf_free(&b);
		return rc;
	}
	*out = (char *)buf_steal(&b, NULL);
	return ERR_OK;
}

void s3_listing_free(struct s3_listing *L)
{
	for (size_t i = 0; i < L->n; i++)
		mem_free(L->keys[i]);
	mem_free(L->keys);
	mem_free(L->sizes);
	mem_free(L->next_token);
	memset(L, 0, sizeof(*L));
}

int s3_parse_list(const char *x, size_t len, struct s3_listing *L)
{
	const char *v, *root;
	size_t vn, rootn;
	if (!s3_xml_elem(x, len, 0, "ListBucketResult", &root, &rootn))
		return err_set(ERR_PROTOCOL, "S3 list: the reply is not a ListBucketResult");
	mem_free(L->next_token);
	L->next_token = NULL;
	L->truncated = 0;
	size_t pos = 0, next;
	while ((next = s3_xml_elem(root, rootn, pos, "Contents", &v, &vn)) != 0) {
		const char *kv, *sv;
		size_t kn, sn;
		uint64_t size = 0;
		pos = next;
		if (!s3_xml_elem(v, vn, 0, "Key", &kv, &kn) || kn == 0)
			return err_set(ERR_PROTOCOL, "S3 list: an entry without a Key");
		if (s3_xml_elem(v, vn, 0, "Size", &sv, &sn)) {
			size_t i = 0;
			if (parse_u64(sv, sn, &i, &size) || i != sn)
				return err_set(ERR_PROTOCOL, "S3 list: bad Size '%.*s'",
				               (int)(sn > 40 ? 40 : sn), sv);
		}
		if (L->n == L->cap) {
			size_t cap = L->cap;
			void *k = L->keys, *s = L->sizes;
			if (mem_grow(&k, &cap, L->n + 1, sizeof(char *)))
				return ERR_NOMEM;
			L->keys = k;
			cap = L->cap;
			if (mem_grow(&s, &cap, L->n + 1, sizeof(uint64_t)))
				return ERR_NOMEM;
			L->sizes = s;
			L->cap = cap;
		}
		char *key;
		int rc = xml_text_dup(kv, kn, &key);
		if (rc)
			return rc;
		L->keys[L->n] = key;
		L->sizes[L->n] = size;
		L->n++;
	}
	/* IsTruncated and NextContinuationToken sit outside the Contents
	 * entries; text never holds a raw '<', so a search cannot land inside
	 * a key. */
	if (s3_xml_elem(root, rootn, 0, "IsTruncated", &v, &vn)) {
		if (vn == 4 && memcmp(v, "true", 4) == 0)
			L->truncated = 1;
		else if (!(vn == 5 && memcmp(v, "false", 5) == 0))
			return err_set(ERR_PROTOCOL, "S3 list: bad IsTruncated '%.*s'",
			               (int)(vn > 20 ? 20 : vn), v);
	}
	if (s3_xml_elem(root, rootn, 0, "NextContinuationToken", &v, &vn) && vn > 0) {
		int rc = xml_text_dup(v, vn, &L->next_token);
		if (rc)
			return rc;
	}
	if (L->truncated && !L->next_token)
		return err_set(ERR_PROTOCOL,
		               "S3 list: IsTruncated without a NextContinuationToken");
	return ERR_OK;
}

/* Decoded element text into a fixed buffer, truncated, NUL-terminated. */
static void xml_text_into(const char *v, size_t vn, char *out, size_t cap)
{
	struct buf b;
	buf_init(&b);
	if (cap == 0)
		return;
	out[0] = '\0';
	if (s3_xml_unescape(&b, v, vn) != ERR_OK) {
		b.len = 0; /* keep the raw text instead */
		if (buf_append(&b, v, vn)) {
			buf_free(&b);
			return;
		}
	}
	size_t n = b.len < cap - 1 ? b.len : cap - 1;
	for (size_t i = 0; i < n; i++) /* keep messages printable */
		out[i] = (b.data[i] < 0x20 || b.data[i] == 0x7f) ? ' ' : (char)b.data[i];
	out[n] = '\0';
	buf_free(&b);
}

int s3_parse_error(const char *x, size_t len, char *code, size_t code_cap, char *msg,
                   size_t msg_cap)
{
	const char *root, *v;
	size_t rootn, vn;
	if (code_cap)
		code[0] = '\0';
	if (msg_cap)
		msg[0] = '\0';
	if (!x || !s3_xml_elem(x, len, 0, "Error", &root, &rootn))
		return 0;
	if (s3_xml_elem(root, rootn, 0, "Code", &v, &vn))
		xml_text_into(v, vn, code, code_cap);
	if (s3_xml_elem(root, rootn, 0, "Message", &v, &vn))
		xml_text_into(v, vn, msg, msg_cap);
	return 1;
}

int s3_parse_upload_id(const char *x, size_t len, char **upload_id)
{
	const char *root, *v;
	size_t rootn, vn;
	*upload_id = NULL;
	if (!s3_xml_elem(x, len, 0, "InitiateMultipartUploadResult", &root, &rootn) ||
	    !s3_xml_elem(root, rootn, 0, "UploadId", &v, &vn) || vn == 0)
		return err_set(ERR_PROTOCOL, "S3: no UploadId in the multipart initiate reply");
	return xml_text_dup(v, vn, upload_id);
}

int s3_status_err(long status, const char *code)
{
	if (status >= 200 && status < 300)
		return ERR_OK;
	if (status == 404)
		return (!code[0] || !strcmp(code, "NoSuchKey")) ? ERR_NOT_FOUND : ERR_IO;
	if (status == 412)
		return ERR_EXISTS;
	if (status == 400 &&
	    (!strcmp(code, "InvalidArgument") || !strcmp(code, "KeyTooLongError") ||
	     !strcmp(code, "InvalidObjectName")))
		return ERR_BAD_INPUT;
	return ERR_IO;
}

int s3_should_retry(long status, int curl_code, const char *code)
{
	static const char *const retry_codes[] = {"RequestTimeout",
	                                          "SlowDown",
	                                          "InternalError",
	                                          "ServiceUnavailable",
	                                          "ConditionalRequestConflict",
	                                          "RequestTimeTooSkewed"};
	if (curl_code != 0) {
		switch (curl_code) {
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			return 1;
		default:
			return 0;
		}
	}
	switch (status) {
	case 408:
	case 429:
	case 500:
	case 502:
	case 503:
	case 504:
		return 1;
	default:
		break;
	}
	if (status >= 200 && status < 300)
		return 0;
	for (size_t i = 0; i < sizeof(retry_codes) / sizeof(retry_codes[0]); i++)
		if (code && !strcmp(code, retry_codes[i]))
			return 1;
	return 0;
}

int64_t s3_backoff_ms(unsigned attempt, uint64_t rnd)
{
	int64_t d = S3_BACKOFF_CAP_MS;
	if (attempt < 16 && ((int64_t)S3_BACKOFF_BASE_MS << attempt) < S3_BACKOFF_CAP_MS)
		d = (int64_t)S3_BACKOFF_BASE_MS << attempt;
	return d / 2 + (int64_t)(rnd % (uint64_t)(d / 2 + 1));
}

const char *s3_error_hint(const char *code)
{
	static const struct {
		const char *code, *hint;
	} hints[] = {
	    {"SignatureDoesNotMatch", "the secret access key (or region) is wrong"},
	    {"InvalidAccessKeyId", "the access key id is unknown to the server"},
	    {"AccessDenied", "the credentials may not use this bucket"},
	    {"NoSuchBucket", "the bucket does not exist"},
	    {"RequestTimeTooSkewed", "the local clock is off"},
	    {"AuthorizationHeaderMalformed", "the region is wrong"},
	    {"XAmzContentSHA256Mismatch", "the body changed in transit"},
	};
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (!strcmp(code, hints[i].code))
			return hints[i].hint;
	return "";
}

void s3_sha256_hex(const void *data, size_t n, char out[65])
{
	static const char lx[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(n ? data : (const void *)"", n, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = lx[md[i] >> 4];
		out[2 * i + 1] = lx[md[i] & 15];
	}
	out[64] = '\0';
}

/* ---------------------------------------------------------------- store */

struct s3_store {
	struct objstore base;
	char *endpoint; /* no trailing '/' */
	char *bucket;
	char *root;  /* "" or "a/b/" */
	char *sigv4; /* "aws:amz:<region>:s3" */
	char *access_key, *secret_key;
	uint64_t threshold, part_size;
	int deadline_ms;
	int page_size;
	_Atomic uint64_t rng;
	pthread_mutex_t mu;
	CURL *pool[S3_POOL_MAX];
	size_t npool;
};

static struct s3_store *s3_of(struct objstore *s)
{
	return (struct s3_store *)s;
}

/* One request as the ops describe it. */
struct s3_req {
	const char *method; /* GET HEAD PUT POST DELETE */
	const char *what;   /* for messages: the caller's key, or a description */
	const char *key;    /* object key below root, or NULL for the bucket */
	const struct s3_param *params;
	size_t nparams;
	const void *body; /* PUT / POST body */
	size_t body_len;
	const char *headers[S3_MAX_HEADERS]; /* extra "Name: value" lines, NULL-ended */
	size_t body_max;                     /* keep at most this much of a 2xx body (0 = all) */
	int error_in_200;                    /* a 200 may carry an <Error> (multipart complete) */
};

struct s3_resp {
	long status; /* final HTTP status */
	struct buf body;
	int have_len;
	uint64_t content_length;
	int64_t mtime_ms;
	char etag[160];
	char content_range[96];
	int attempts;
	int ambiguous; /* an earlier attempt may have taken effect */
	int oom;
	size_t keep_max;
	char code[128]; /* S3 error Code, when the body was an Error */
	char msg[512];  /* S3 error Message */
	char curlerr[CURL_ERROR_SIZE];
};

struct upload {
	const uint8_t *p;
	size_t len, pos;
};

static size_t on_read(char *dst, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t want = size * nmemb, left = u->len - u->pos;
	size_t n = want < left ? want : left;
	if (n)
		memcpy(dst, u->p + u->pos, n);
	u->pos += n;
	return n;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
	struct upload *u = ud;
	if (origin != SEEK_SET || off < 0 || (uint64_t)off > u->len)
		return CURL_SEEKFUNC_CANTSEEK;
	u->pos = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static size_t on_write(char *src, size_t size, size_t nmemb, void *ud)
{
	struct s3_resp *r = ud;
	size_t n = size * nmemb;
	size_t keep = n;
	if (r->keep_max && r->body.len + keep > r->keep_max)
		keep = r->body.len >= r->keep_max ? 0 : r->keep_max - r->body.len;
	if (keep && buf_append(&r->body, src, keep)) {
		r->oom = 1;
		return 0; /* aborts the transfer */
	}
	return n;
}

static void copy_hdr(char *dst, size_t cap, const char *v, size_t vn)
{
	size_t n = vn < cap - 1 ? vn : cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
	struct s3_resp *r = ud;
	size_t n = size * nmemb;
	const char *v;
	size_t vn;
	if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* a new response (after 100 Continue or a redirect): drop the old */
		r->have_len = 0;
		r->etag[0] = r->content_range[0] = '\0';
		r->mtime_ms = 0;
	} else if (s3_header_value(line, n, "Content-Length", &v, &vn)) {
		size_t i = 0;
		r->have_len = parse_u64(v, vn, &i, &r->content_length) == 0 && i == vn;
	} else if (s3_header_value(line, n, "ETag", &v, &vn)) {
		copy_hdr(r->etag, sizeof(r->etag), v, vn);
	} else if (s3_header_value(line, n, "Content-Range", &v, &vn)) {
		copy_hdr(r->content_range, sizeof(r->content_range), v, vn);
	} else if (s3_header_value(line, n, "Last-Modified", &v, &vn)) {
		char tmp[80];
		copy_hdr(tmp, sizeof(tmp), v, vn);
		time_t t = curl_getdate(tmp, NULL);
		r->mtime_ms = t > 0 ? (int64_t)t * 1000 : 0;
	}
	return n;
}

static CURL *take_handle(struct s3_store *st)
{
	CURL *h = NULL;
	pthread_mutex_lock(&st->mu);
	if (st->npool > 0)
		h = st->pool[--st->npool];
	pthread_mutex_unlock(&st->mu);
	if (!h)
		h = curl_easy_init();
	return h;
}

static void give_handle(struct s3_store *st, CURL *h)
{
	pthread_mutex_lock(&st->mu);
	if (st->npool < S3_POOL_MAX) {
		st->pool[st->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&st->mu);
	if (h)
		curl_easy_cleanup(h);
}

static uint64_t next_rand(struct s3_store *st)
{
	/* splitmix64 over a shared counter: good enough for jitter */
	uint64_t z =
	    atomic_fetch_add_explicit(&st->rng, 0x9E3779B97F4A7C15ull, memory_order_relaxed);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* One attempt on handle h. Returns the CURLcode; r->status is the HTTP
 * status when it is CURLE_OK. */
static CURLcode attempt(struct s3_store *st, CURL *h, const struct s3_req *rq, const char *url,
                        struct curl_slist *hdrs, struct s3_resp *r, int64_t left_ms)
{
	struct upload up = {rq->body, rq->body_len, 0};
	buf_reset(&r->body);
	r->status = 0;
	r->have_len = 0;
	r->etag[0] = r->content_range[0] = '\0';
	r->mtime_ms = 0;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->curlerr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, st->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, st->access_key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, st->secret_key);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(left_ms < S3_CONNECT_TIMEOUT_MS ? left_ms : S3_CONNECT_TIMEOUT_MS));
	if (!strcmp(rq->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(rq->method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_len);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &up);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, &up);
	} else if (!strcmp(rq->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &up);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, &up);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	CURLcode cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	return cc;
}

/* Run a request with retries until it gets a final answer or its deadline
 * passes. ERR_OK means an HTTP answer is in r (any status; the S3 error
 * Code/Message of a non-2xx are parsed into r->code / r->msg); ERR_IO when
 * every attempt failed in transport, ERR_NOMEM on OOM. */
static int s3_do(struct s3_store *st, const struct s3_req *rq, struct s3_resp *r)
{
	struct buf url;
	struct curl_slist *hdrs = NULL;
	char sha[65], shahdr[100];
	int rc = ERR_OK;
	buf_init(&url);
	r->attempts = 0;
	r->ambiguous = 0;
	r->code[0] = r->msg[0] = '\0';
	rc = s3_build_url(&url, st->endpoint, st->bucket, st->root, rq->key, rq->params,
	                  rq->nparams);
	if (rc)
		goto out;
	s3_sha256_hex(rq->body, rq->body_len, sha);
	snprintf(shahdr, sizeof(shahdr), "x-amz-content-sha256: %s", sha);
	struct curl_slist *t;
	if (!(t = curl_slist_append(hdrs, shahdr)))
		goto oom;
	hdrs = t;
	/* No "Expect:" line to switch 100-continue off: curl 7.88 lists such an
	 * emptied header in SignedHeaders without sending it (403). */
	if (rq->body && !(t = curl_slist_append(hdrs, "Content-Type: application/octet-stream")))
		goto oom;
	hdrs = t;
	for (int i = 0; i < S3_MAX_HEADERS && rq->headers[i]; i++) {
		if (!(t = curl_slist_append(hdrs, rq->headers[i])))
			goto oom;
		hdrs = t;
	}
	CURL *h = take_handle(st);
	if (!h)
		goto oom;
	int64_t start = clock_mono_ns() / 1000000;
	int64_t deadline = start + st->deadline_ms;
	for (;;) {
		int64_t left = deadline - clock_mono_ns() / 1000000;
		r->oom = 0;
		r->keep_max = rq->body_max;
		r->curlerr[0] = '\0';
		CURLcode cc = attempt(st, h, rq, buf_cstr(&url), hdrs, r, left > 1 ? left : 1);
		r->attempts++;
		if (r->oom) {
			rc = err_set(ERR_NOMEM, "S3 %s %s: out of memory for the reply", rq->method,
			             rq->what);
			break;
		}
		if (cc == CURLE_OK) {
			int is_err = r->status < 200 || r->status >= 300;
			if ((is_err || rq->error_in_200) &&
			    s3_parse_error((const char *)r->body.data, r->body.len, r->code,
			                   sizeof(r->code), r->msg, sizeof(r->msg)) &&
			    !is_err)
				r->status = 500; /* a 200 carrying an Error (see the top) */
			if (!s3_should_retry(r->status, 0, r->code)) {
				rc = ERR_OK;
				break;
			}
		} else {
			r->status = 0;
			if (!r->curlerr[0])
				snprintf(r->curlerr, sizeof(r->curlerr), "%s",
				         curl_easy_strerror(cc));
			if (!s3_should_retry(0, (int)cc, NULL)) {
				rc = err_set(ERR_IO, "S3 %s %s: %s", rq->method, rq->what,
				             r->curlerr);
				break;
			}
		}
		r->ambiguous |= cc != CURLE_OK || r->status >= 500; /* may have landed */
		int64_t wait = s3_backoff_ms((unsigned)(r->attempts - 1), next_rand(st));
		int64_t now = clock_mono_ns() / 1000000;
		if (now + wait >= deadline) {
			if (cc == CURLE_OK) {
				rc = ERR_OK; /* the caller reports the last answer */
				break;
			}
			rc = err_set(ERR_IO,
			             "S3 %s %s: %s (gave up after %d attempts in %" PRId64 " ms)",
			             rq->method, rq->what, r->curlerr, r->attempts, now - start);
			break;
		}
		clock_sleep_ms(wait);
	}
	give_handle(st, h);
	goto out;
oom:
	rc = err_set(ERR_NOMEM, "S3 %s %s: out of memory", rq->method, rq->what);
out:
	curl_slist_free_all(hdrs);
	buf_free(&url);
	return rc;
}

static const char *reason(long status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 412:
		return "Precondition Failed";
	case 416:
		return "Range Not Satisfiable";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "";
	}
}

/* err_set for a final non-2xx answer: "S3 PUT k: 403 SignatureDoesNotMatch:
 * msg (hint)", with the code from s3_status_err. */
static int resp_err(const struct s3_req *rq, const struct s3_resp *r)
{
	int code = s3_status_err(r->status, r->code);
	const char *hint = s3_error_hint(r->code);
	char tries[64] = "";
	if (r->attempts > 1)
		snprintf(tries, sizeof(tries), " [after %d attempts]", r->attempts);
	return err_set(code, "S3 %s %s: %ld %s%s%s%s%s%s%s", rq->method, rq->what, r->status,
	               r->code[0] ? r->code : reason(r->status), r->msg[0] ? ": " : "", r->msg,
	               hint[0] ? " (" : "", hint, hint[0] ? ")" : "", tries);
}

static void resp_init(struct s3_resp *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body);
}

/* Body of a successful GET as a caller-owned buffer (never NULL). */
static int take_body(struct s3_resp *r, uint8_t **data, size_t *len)
{
	if (r->body.len == 0) {
		buf_free(&r->body);
		*data = mem_alloc(0);
		*len = 0;
		return *data ? ERR_OK : ERR_NOMEM;
	}
	*data = buf_steal(&r->body, len);
	return ERR_OK;
}

/* ---------------------------------------------------------------- ops */

static int s3_get(struct objstore *s, const char *key, uint8_t **data, size_t *len)
{
	struct s3_store *st = s3_of(s);
	struct s3_req rq = {.method = "GET", .what = key, .key = key};
	struct s3_resp r;
	resp_init(&r);
	int rc = s3_do(st, &rq, &r);
	if (rc == ERR_OK && r.status != 200)
		rc = resp_err(&rq, &r);
	if (rc == ERR_OK && r.have_len && r.content_length != r.body.len)
		rc = err_set(ERR_IO, "S3 GET %s: got %zu of %" PRIu64 " bytes", key, r.body.len,
		             r.content_length);
	if (rc == ERR_OK)
		rc = take_body(&r, data, len);
	buf_free(&r.body);
	return rc;
}

static int s3_head(struct objstore *s, const char *key, uint64_t *size, int64_t *mtime_ms)
{
	struct s3_store *st = s3_of(s);
	struct s3_req rq = {.method = "HEAD", .what = key, .key = key};
	struct s3_resp r;
	resp_init(&r);
	int rc = s3_do(st, &rq, &r);
	if (rc == ERR_OK && r.status != 200)
		rc = resp_err(&rq, &r);
	if (rc == ERR_OK && !r.have_len)
		rc = err_set(ERR_PROTOCOL, "S3 HEAD %s: no Content-Length", key);
	if (rc == ERR_OK) {
		*size = r.content_length;
		*mtime_ms = r.mtime_ms;
	}
	buf_free(&r.body);
	return rc;
}

static int s3_get_range(struct objstore *s, const char *key, uint64_t off, uint64_t len,
                        uint8_t **data, size_t *outlen)
{
	struct s3_store *st = s3_of(s);
	char range[80];
	if (len == 0) { /* nothing to read, but the object must exist */
		uint64_t sz;
		int64_t mt;
		int rc = s3_head(s, key, &sz, &mt);
		if (rc)
			return rc;
		*data = mem_alloc(0);
		return *data ? ERR_OK : ERR_NOMEM;
	}
	if (s3_range_header(range, sizeof(range), off, len) < 0)
		return err_set(ERR_INTERNAL, "S3 GET %s: range header", key);
	struct s3_req rq = {.method = "GET", .what = key, .key = key, .headers = {range}};
	struct s3_resp r;
	resp_init(&r);
	int rc = s3_do(st, &rq, &r);
	if (rc)
		goto out;
	if (r.status == 416) { /* off at or past the end: clamped to nothing */
		buf_free(&r.body);
		rc = take_body(&r, data, outlen);
		goto out;
	}
	if (r.status == 200) { /* the server ignored Range: cut it here */
		size_t n = r.body.len;
		size_t a = off >= n ? n : (size_t)off;
		size_t b = len > n - a ? n : a + (size_t)len;
		memmove(r.body.data, r.body.data + a, b - a);
		r.body.len = b - a;
		rc = take_body(&r, data, outlen);
		goto out;
	}
	if (r.status != 206) {
		rc = resp_err(&rq, &r);
		goto out;
	}
	uint64_t first, last, total;
	if (s3_parse_content_range(r.content_range, strlen(r.content_range), &first, &last,
	                           &total) != ERR_OK ||
	    first != off || last - first + 1 != r.body.len || r.body.len > len) {
		rc = err_set(ERR_PROTOCOL,
		             "S3 GET %s: asked for %" PRIu64 "+%" PRIu64
		             ", got %zu bytes with Content-Range '%s'",
		             key, off, len, r.body.len, r.content_range);
		goto out;
	}
	rc = take_body(&r, data, outlen);
out:
	buf_free(&r.body);
	return rc;
}

/* After an ambiguous put-if-absent got 412: is the stored object ours? */
static int same_object(struct objstore *s, const char *key, const void *data, size_t len)
{
	uint8_t *got = NULL;
	size_t n = 0;
	int same =
	    s3_get(s, key, &got, &n) == ERR_OK && n == len && (!len || !memcmp(got, data, len));
	mem_free(got);
	return same;
}

static int put_simple(struct objstore *s, const char *key, const void *data, size_t len,
                      unsigned flags)
{
	struct s3_store *st = s3_of(s);
	struct s3_req rq = {.method = "PUT",
	                    .what = key,
	                    .key = key,
	                    .body = data ? data : "",
	                    .body_len = len,
	                    .body_max = S3_ERRBODY_MAX};
	if (flags & OBJSTORE_PUT_IF_ABSENT)
		rq.headers[0] = "If-None-Match: *";
	struct s3_resp r;
	resp_init(&r);
	int rc = s3_do(st, &rq, &r);
	if (rc == ERR_OK && r.status != 200) {
		if (r.status == 412 && r.ambiguous && same_object(s, key, data, len))
			rc = ERR_OK; /* our own earlier attempt landed */
		else if (r.status == 412)
			rc = err_set(ERR_EXISTS, "S3 PUT %s: already exists (412 %s)", key,
			             r.code[0] ? r.code : "PreconditionFailed");
		else
			rc = resp_err(&rq, &r);
	}
	buf_free(&r.body);
	return rc;
}

static void abort_upload(struct s3_store *st, const char *key, const char *upload_id)
{
	struct s3_param q[] = {{"uploadId", upload_id}};
	struct s3_req rq = {.method = "DELETE",
	                    .what = key,
	                    .key = key,
	                    .params = q,
	                    .nparams = 1,
	                    .body_max = S3_ERRBODY_MAX};
	struct s3_resp r;
	resp_init(&r);
	if (s3_do(st, &rq, &r) == ERR_OK && r.status != 204 && r.status != 200 && r.status != 404)
		(void)resp_err(&rq, &r);
	buf_free(&r.body);
}

static int put_multipart(struct objstore *s, const char *key, const uint8_t *data, size_t len,
                         unsigned flags)
{
	struct s3_store *st = s3_of(s);
	char *upload_id = NULL;
	char **etags = NULL;
	struct buf xml;
	struct s3_resp r;
	int rc;
	buf_init(&xml);
	resp_init(&r);
	uint64_t part = st->part_size;
	if ((len + part - 1) / part > S3_MAX_PARTS)
		part = (len + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
	size_t nparts = (size_t)((len + part - 1) / part);

	if (flags & OBJSTORE_PUT_IF_ABSENT) {
		/* Only above 5 GiB. Cheap early answer; the complete below repeats
		 * the condition (atomic on AWS, ignored by radosgw 16). */
		uint64_t sz;
		int64_t mt;
		rc = s3_head(s, key, &sz, &mt);
		if (rc == ERR_OK)
			return err_set(ERR_EXISTS, "S3 PUT %s: already exists", key);
		if (rc != ERR_NOT_FOUND)
			return rc;
	}
	struct s3_param init_q[] = {{"uploads", NULL}};
	struct s3_req rq = {.method = "POST",
	                    .what = key,
	                    .key = key,
	                    .params = init_q,
	                    .nparams = 1,
	                    .body = "",
	                    .body_len = 0};
	rc = s3_do(st, &rq, &r);
	if (rc == ERR_OK && r.status != 200)
		rc = resp_err(&rq, &r);
	if (rc == ERR_OK)
		rc = s3_parse_upload_id((const char *)r.body.data, r.body.len, &upload_id);
	if (rc)
		goto out;
	etags = mem_calloc(nparts, sizeof(*etags));
	if (!etags) {
		rc = ERR_NOMEM;
		goto abort;
	}
	for (size_t i = 0; i < nparts; i++) {
		char num[24];
		snprintf(num, sizeof(num), "%zu", i + 1);
		struct s3_param q[] = {{"partNumber", num}, {"uploadId", upload_id}};
		uint64_t off = (uint64_t)i * part;
		struct s3_req pr = {.method = "PUT",
		                    .what = key,
		                    .key = key,
		                    .params = q,
		                    .nparams = 2,
		                    .body = data + off,
		                    .body_len = (size_t)(len - off < part ? len - off : part),
		                    .body_max = S3_ERRBODY_MAX};
		rc = s3_do(st, &pr, &r);
		if (rc == ERR_OK && r.status != 200)
			rc = resp_err(&pr, &r);
		if (rc == ERR_OK && !r.etag[0])
			rc = err_set(ERR_PROTOCOL, "S3 PUT %s part %zu: no ETag", key, i + 1);
		if (rc == ERR_OK && !(etags[i] = mem_strdup(r.etag)))
			rc = ERR_NOMEM;
		if (rc)
			goto abort;
	}
	if (buf_printf(&xml, "<CompleteMultipartUpload>"))
		goto nomem;
	for (size_t i = 0; i < nparts; i++) {
		if (buf_printf(&xml, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1) ||
		    s3_xml_escape(&xml, etags[i]) || buf_printf(&xml, "</ETag></Part>"))
			goto nomem;
	}
	if (buf_printf(&xml, "</CompleteMultipartUpload>"))
		goto nomem;
	struct s3_param done_q[] = {{"uploadId", upload_id}};
	struct s3_req cr = {.method = "POST",
	                    .what = key,
	                    .key = key,
	                    .params = done_q,
	                    .nparams = 1,
	                    .body = xml.data,
	                    .body_len = xml.len,
	                    .body_max = S3_ERRBODY_MAX,
	                    .error_in_200 = 1};
	if (flags & OBJSTORE_PUT_IF_ABSENT)
		cr.headers[0] = "If-None-Match: *";
	rc = s3_do(st, &cr, &r);
	if (rc == ERR_OK && r.status == 412) {
		rc = err_set(ERR_EXISTS, "S3 PUT %s: already exists (412 on complete)", key);
		goto abort;
	}
	if (rc == ERR_OK && r.status == 404 && !strcmp(r.code, "NoSuchUpload") && r.ambiguous &&
	    same_object(s, key, data, len))
		goto out; /* an earlier complete attempt went through */
	if (rc == ERR_OK && r.status != 200)
		rc = resp_err(&cr, &r);
	if (rc)
		goto abort;
	goto out;
nomem:
	rc = err_set(ERR_NOMEM, "S3 PUT %s: out of memory", key);
abort : {
	/* keep the first error's message across the abort request */
	char saved[512];
	snprintf(saved, sizeof(saved), "%s", err_msg());
	abort_upload(st, key, upload_id);
	err_set(rc, "%s", saved);
}
out:
	if (etags)
		for (size_t i = 0; i < nparts; i++)
			mem_free(etags[i]);
	mem_free(etags);
	mem_free(upload_id);
	buf_free(&xml);
	buf_free(&r.body);
	return rc;
}

static int s3_put(struct objstore *s, const char *key, const void *data, size_t len, unsigned flags)
{
	struct s3_store *st = s3_of(s);
	/* put-if-absent stays a single PUT up to S3's 5 GiB limit: radosgw 16
	 * ignores If-None-Match on CompleteMultipartUpload, so two multipart
	 * writers could both "win" (seen in tests/tools/s3_check). */
	uint64_t limit = (flags & OBJSTORE_PUT_IF_ABSENT) ? S3_MAX_SINGLE_PUT : st->threshold;
	if (len > limit)
		return put_multipart(s, key, data, len, flags);
	return put_simple(s, key, data, len, flags);
}

static int cmp_idx(const void *a, const void *b, void *keys)
{
	char **k = keys;
	return strcmp(k[*(const size_t *)a], k[*(const size_t *)b]);
}

static int s3_list(struct objstore *s, const char *prefix, struct objstore_list *out)
{
	struct s3_store *st = s3_of(s);
	struct s3_listing L = {0};
	struct s3_resp r;
	char *full = NULL, *token = NULL;
	size_t *idx = NULL;
	char pagesz[16];
	int rc = ERR_OK;
	size_t rootlen = strlen(st->root);
	resp_init(&r);
	snprintf(pagesz, sizeof(pagesz), "%d", st->page_size);
	full = mem_alloc(rootlen + strlen(prefix) + 1);
	if (!full) {
		rc = ERR_NOMEM;
		goto out;
	}
	memcpy(full, st->root, rootlen);
	strcpy(full + rootlen, prefix);
	for (unsigned page = 0;; page++) {
		struct s3_param q[4] = {{"list-type", "2"}, {"max-keys", pagesz}};
		size_t nq = 2;
		if (full[0])
			q[nq++] = (struct s3_param){"prefix", full};
		if (token)
			q[nq++] = (struct s3_param){"continuation-token", token};
		struct s3_req rq = {.method = "GET",
		                    .what = prefix[0] ? prefix : "(all keys)",
		                    .params = q,
		                    .nparams = nq,
		                    .body_max = S3_LIST_BODY_MAX};
		rc = s3_do(st, &rq, &r);
		if (rc == ERR_OK && r.status != 200)
			rc = resp_err(&rq, &r);
		if (rc == ERR_OK)
			rc = s3_parse_list((const char *)r.body.data, r.body.len, &L);
		if (rc) {
			err_wrap("S3 list %s (page %u)", prefix, page + 1);
			goto out;
		}
		if (!L.truncated)
			break;
		if (token && !strcmp(token, L.next_token)) {
			rc = err_set(ERR_PROTOCOL, "S3 list %s: the continuation token repeats",
			             prefix);
			goto out;
		}
		mem_free(token);
		token = L.next_token;
		L.next_token = NULL;
	}
	/* Keys come back under ROOT+prefix; hand them back relative to ROOT,
	 * sorted (S3 sorts by UTF-8 bytes already; a copy of a different
	 * server might not). */
	out->keys = mem_calloc(L.n ? L.n : 1, sizeof(char *));
	out->sizes = mem_calloc(L.n ? L.n : 1, sizeof(uint64_t));
	idx = mem_alloc((L.n ? L.n : 1) * sizeof(size_t));
	if (!out->keys || !out->sizes || !idx) {
		rc = ERR_NOMEM;
		goto out;
	}
	size_t m = 0;
	for (size_t i = 0; i < L.n; i++)
		if (strncmp(L.keys[i], full, strlen(full)) == 0 && L.keys[i][rootlen])
			idx[m++] = i;
	qsort_r(idx, m, sizeof(size_t), cmp_idx, L.keys);
	for (size_t i = 0; i < m; i++) {
		char *k = mem_strdup(L.keys[idx[i]] + rootlen);
		if (!k) {
			rc = ERR_NOMEM;
			goto out;
		}
		out->keys[out->n] = k;
		out->sizes[out->n] = L.sizes[idx[i]];
		out->n++;
	}
out:
	mem_free(idx);
	mem_free(token);
	mem_free(full);
	s3_listing_free(&L);
	buf_free(&r.body);
	return rc; /* the wrapper frees a partial `out` on failure */
}

static int s3_del(struct objstore *s, const char *key)
{
	struct s3_store *st = s3_of(s);
	struct s3_req rq = {
	    .method = "DELETE", .what = key, .key = key, .body_max = S3_ERRBODY_MAX};
	struct s3_resp r;
	resp_init(&r);
	int rc = s3_do(st, &rq, &r);
	if (rc == ERR_OK && r.status != 204 && r.status != 200 &&
	    !(r.status == 404 && s3_status_err(404, r.code) == ERR_NOT_FOUND))
		rc = resp_err(&rq, &r);
	buf_free(&r.body);
	return rc;
}

static void s3_close(struct objstore *s)
{
	struct s3_store *st = s3_of(s);
	for (size_t i = 0; i < st->npool; i++)
		curl_easy_cleanup(st->pool[i]);
	pthread_mutex_destroy(&st->mu);
	mem_free(st->endpoint);
	mem_free(st->bucket);
	mem_free(st->root);
	mem_free(st->sigv4);
	mem_free(st->access_key);
	mem_free(st->secret_key);
	mem_free(st);
}

static const struct objstore_ops s3_ops = {
    .name = "s3",
    .put = s3_put,
    .get = s3_get,
    .get_range = s3_get_range,
    .head = s3_head,
    .list = s3_list,
    .del = s3_del,
    .close = s3_close,
};

int objstore_s3_check(struct objstore *s)
{
	if (!s || s->ops != &s3_ops)
		return err_set(ERR_BAD_INPUT, "objstore_s3_check: not an s3 store");
	struct s3_store *st = s3_of(s);
	char what[300];
	snprintf(what, sizeof(what), "bucket '%s' at %s", st->bucket, st->endpoint);
	struct s3_param q[] = {{"list-type", "2"}, {"max-keys", "1"}};
	struct s3_req rq = {
	    .method = "GET", .what = what, .params = q, .nparams = 2, .body_max = S3_ERRBODY_MAX};
	struct s3_resp r;
	resp_init(&r);
	int rc = s3_do(st, &rq, &r);
	if (rc == ERR_OK && r.status != 200) {
		rc = resp_err(&rq, &r);
		if (rc == ERR_NOT_FOUND) /* a 404 without a body: still no bucket */
			rc = err_set(ERR_IO, "%s", err_msg());
	}
	buf_free(&r.body);
	return rc;
}

/* ---------------------------------------------------------------- open */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static const char *pick(const char *opt, const char *env1, const char *env2)
{
	if (opt && opt[0])
		return opt;
	const char *v = env1 ? getenv(env1) : NULL;
	if (v && v[0])
		return v;
	v = env2 ? getenv(env2) : NULL;
	return v && v[0] ? v : NULL;
}

static char *join(const char *a, const char *b, const char *c)
{
	size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
	char *p = mem_alloc(na + nb + nc + 1);
	if (p) {
		memcpy(p, a, na);
		memcpy(p + na, b, nb);
		memcpy(p + na + nb, c, nc + 1);
	}
	return p;
}

int objstore_open_s3(const struct objstore_s3_options *o, struct objstore **out)
{
	struct objstore_s3_options none = {0};
	struct s3_store *st = NULL;
	int rc;
	*out = NULL;
	if (!o)
		o = &none;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return err_set(ERR_INTERNAL, "S3: curl_global_init: %s",
		               curl_easy_strerror(curl_init_rc));
	const char *region = pick(o->region, "AWS_REGION", "AWS_DEFAULT_REGION");
	if (!region)
		region = S3_DEFAULT_REGION;
	const char *endpoint = pick(o->endpoint, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
	const char *akey = pick(o->access_key_id, "AWS_ACCESS_KEY_ID", NULL);
	const char *skey = pick(o->secret_access_key, "AWS_SECRET_ACCESS_KEY", NULL);
	const char *root = o->root ? o->root : "";

	if (!o->bucket || !o->bucket[0])
		return err_set(ERR_BAD_INPUT, "S3: no bucket given");
	for (const char *c = o->bucket; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_')
			return err_set(ERR_BAD_INPUT, "S3: bad bucket name '%s'", o->bucket);
	if (strlen(o->bucket) > 255)
		return err_set(ERR_BAD_INPUT, "S3: bucket name too long");
	if (!akey || !skey)
		return err_set(ERR_BAD_INPUT, "S3: no %s (set it in the options or in %s)",
		               akey ? "secret access key" : "access key id",
		               akey ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	for (const char *c = region; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
			return err_set(ERR_BAD_INPUT, "S3: bad region '%s'", region);
	if (endpoint && strncmp(endpoint, "http://", 7) != 0 &&
	    strncmp(endpoint, "https://", 8) != 0)
		return err_set(ERR_BAD_INPUT, "S3: endpoint '%s' is not http:// or https://",
		               endpoint);
	if (o->part_size && o->part_size < S3_MIN_PART)
		return err_set(ERR_BAD_INPUT, "S3: part size %" PRIu64 " below the 5 MiB minimum",
		               o->part_size);
	if (o->list_page_size < 0 || o->list_page_size > 1000 || o->deadline_ms < 0)
		return err_set(ERR_BAD_INPUT, "S3: list page size must be 1..1000 and the "
		                              "deadline positive");
	/* the root: no leading or trailing '/', and a valid key prefix */
	while (*root == '/')
		root++;
	size_t rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		rl--;

	st = mem_calloc(1, sizeof(*st));
	if (!st)
		return ERR_NOMEM;
	objstore_base_init(&st->base, &s3_ops);
	pthread_mutex_init(&st->mu, NULL);
	atomic_init(&st->rng, (uint64_t)clock_mono_ns() ^ (uint64_t)(uintptr_t)st);
	st->threshold = o->multipart_threshold ? o->multipart_threshold : S3_DEFAULT_THRESHOLD;
	st->part_size = o->part_size ? o->part_size : S3_DEFAULT_PART;
	st->deadline_ms = o->deadline_ms ? o->deadline_ms : S3_DEFAULT_DEADLINE_MS;
	st->page_size = o->list_page_size ? o->list_page_size : 1000;
	if (endpoint) {
		size_t el = strlen(endpoint);
		while (el > 0 && endpoint[el - 1] == '/')
			el--;
		st->endpoint = mem_strndup(endpoint, el);
	} else {
		st->endpoint = join("https://s3.", region, ".amazonaws.com");
	}
	st->bucket = mem_strdup(o->bucket);
	st->root = rl ? mem_alloc(rl + 2) : mem_strdup("");
	if (rl && st->root) {
		memcpy(st->root, root, rl);
		st->root[rl] = '/';
		st->root[rl + 1] = '\0';
	}
	st->sigv4 = join("aws:amz:", region, ":s3");
	st->access_key = mem_strdup(akey);
	st->secret_key = mem_strdup(skey);
	if (!st->endpoint || !st->bucket || !st->root || !st->sigv4 || !st->access_key ||
	    !st->secret_key) {
		rc = ERR_NOMEM;
		goto fail;
	}
	if (rl) {
		st->root[rl] = '\0'; /* check "a/b" as a key, then put the '/' back */
		rc = objstore_check_key(st->root);
		st->root[rl] = '/';
		if (rc) {
			err_wrap("S3 root prefix");
			goto fail;
		}
	}
	*out = &st->base;
	return ERR_OK;
fail:
	s3_close(&st->base);
	return rc;
}
