/*
 * etcd_codec: request bodies and response decoding for etcd's v3 JSON
 * gateway (see etcd_int.h for the encoding rules). Pure functions: no I/O,
 * no global state; every decoder checks types and rejects malformed input
 * with ERR_PROTOCOL rather than trusting the server.
 *
 * Request bodies written here (keys/values base64, int64 as strings):
 *   range  {"key":K[,"range_end":E][,"limit":"N"][,"revision":"R"]}
 *   txn    {"compare":[C...],"success":[O...][,"failure":[{"request_range":{"key":K}}]]}
 *          C = {"key":K,"target":"VALUE","result":"EQUAL","value":V}
 *            | {"key":K,"target":"CREATE","result":"EQUAL","create_revision":"0"}
 *          O = {"request_put":{"key":K,"value":V[,"lease":"L"]}}
 *            | {"request_delete_range":{"key":K}}
 *   watch  {"create_request":{"key":K[,"start_revision":"R"]}}
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/err.h"
#include "base/mem.h"
#include "meta/etcd_int.h"

#define B64_MAX_IN ((size_t)1 << 30) /* EVP_*Block take int lengths */

/* ------------------------------------------------------------ base64 */

char *etcd_b64_encode(const void *p, size_t n)
{
	if (n > B64_MAX_IN) {
		err_set(ERR_LIMIT, "etcd: %zu bytes is too large to encode", n);
		return NULL;
	}
	char *s = mem_alloc((n + 2) / 3 * 4 + 1);
	if (!s)
		return NULL;
	if (n == 0)
		s[0] = '\0';
	else
		EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

int etcd_b64_append(struct buf *b, const void *p, size_t n)
{
	if (n > B64_MAX_IN)
		return err_set(ERR_LIMIT, "etcd: %zu bytes is too large to encode", n);
	size_t m = (n + 2) / 3 * 4;
	int rc = buf_reserve(b, m + 1);
	if (rc)
		return rc;
	if (n)
		EVP_EncodeBlock(b->data + b->len, p, (int)n); /* writes m bytes + NUL */
	b->len += m;
	return ERR_OK;
}

static int b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int etcd_b64_decode(const char *s, size_t n, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (n % 4 != 0)
		return err_set(ERR_PROTOCOL, "etcd: base64 length %zu is not a multiple of 4", n);
	if (n > B64_MAX_IN)
		return err_set(ERR_LIMIT, "etcd: base64 value of %zu characters is too large", n);
	/* EVP_DecodeBlock skips whitespace and tolerates '=' in odd places, so
	 * check the alphabet and the padding ourselves first. */
	size_t pad = 0;
	if (n >= 4 && s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < n - pad; i++)
		if (!b64_char((unsigned char)s[i]))
			return err_set(ERR_PROTOCOL, "etcd: bad base64 character 0x%02x at %zu",
			               (unsigned char)s[i], i);
	uint8_t *d = mem_alloc(n / 4 * 3 + 1);
	if (!d)
		return ERR_NOMEM;
	int got = n ? EVP_DecodeBlock(d, (const unsigned char *)s, (int)n) : 0;
	if (got < 0 || (size_t)got != n / 4 * 3) {
		mem_free(d);
		return err_set(ERR_PROTOCOL, "etcd: undecodable base64");
	}
	/* EVP_DecodeBlock counts the padding as decoded zero bytes. */
	*len = (size_t)got - pad;
	d[*len] = 0;
	*out = d;
	return ERR_OK;
}

/* ------------------------------------------------------------ keys */

char *etcd_norm_prefix(const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;
	char *p = mem_alloc(n + 2);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, prefix, n);
	if (n && p[n - 1] != '/')
		p[n++] = '/';
	p[n] = 0;
	return p;
}

int etcd_prefix_end(const void *p, size_t n, uint8_t **end, size_t *elen)
{
	const uint8_t *k = p;
	size_t i = n;
	while (i > 0 && k[i - 1] == 0xff)
		i--;
	*end = mem_alloc(i ? i : 1);
	if (!*end)
		return ERR_NOMEM;
	if (i == 0) {
		(*end)[0] = 0;
		*elen = 1;
		return ERR_OK;
	}
	memcpy(*end, k, i);
	(*end)[i - 1]++;
	*elen = i;
	return ERR_OK;
}

/* ------------------------------------------------------------ JSON access */

cJSON *etcd_json_parse(const char *body, size_t len)
{
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' ' ||
	                   body[len - 1] == '\t'))
		len--;
	const char *end = NULL;
	cJSON *j = len ? cJSON_ParseWithLengthOpts(body, len, &end, 0) : NULL;
	if (j && end != body + len) {
		cJSON_Delete(j);
		j = NULL;
	}
	if (!j)
		err_set(ERR_PROTOCOL, "etcd: response is not JSON (%zu bytes)", len);
	return j;
}

int etcd_json_i64(const cJSON *obj, const char *name, int64_t *out)
{
	*out = 0;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!v || cJSON_IsNull(v))
		return ERR_OK;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d != d || d < -9007199254740992.0 || d > 9007199254740992.0 ||
		    d != (double)(int64_t)d)
			return err_set(ERR_PROTOCOL, "etcd: field %s is not an integer", name);
		*out = (int64_t)d;
		return ERR_OK;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return err_set(ERR_PROTOCOL, "etcd: field %s is not an int64", name);
	const char *s = v->valuestring;
	const char *digits = s[0] == '-' ? s + 1 : s;
	if (digits[0] < '0' || digits[0] > '9')
		return err_set(ERR_PROTOCOL, "etcd: field %s = \"%.32s\" is not an int64", name, s);
	char *end = NULL;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || *end)
		return err_set(ERR_PROTOCOL, "etcd: field %s = \"%.32s\" is not an int64", name, s);
	*out = (int64_t)x;
	return ERR_OK;
}

int etcd_json_bool(const cJSON *obj, const char *name, bool *out)
{
	*out = false;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!v || cJSON_IsNull(v))
		return ERR_OK;
	if (!cJSON_IsBool(v))
		return err_set(ERR_PROTOCOL, "etcd: field %s is not a bool", name);
	*out = cJSON_IsTrue(v);
	return ERR_OK;
}

int etcd_json_bytes(const cJSON *obj, const char *name, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!v || cJSON_IsNull(v)) {
		*out = mem_calloc(1, 1);
		return *out ? ERR_OK : ERR_NOMEM;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return err_set(ERR_PROTOCOL, "etcd: field %s is not a base64 string", name);
	int rc = etcd_b64_decode(v->valuestring, strlen(v->valuestring), out, len);
	if (rc)
		err_wrap("field %s", name);
	return rc;
}

/* ------------------------------------------------------------ responses */

void etcd_kv_free(struct etcd_kv *kv)
{
	mem_free(kv->key);
	mem_free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

int etcd_parse_kv(const cJSON *j, struct etcd_kv *out)
{
	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(j))
		return err_set(ERR_PROTOCOL, "etcd: key-value is not an object");
	int rc;
	if ((rc = etcd_json_bytes(j, "key", &out->key, &out->klen)) ||
	    (rc = etcd_json_bytes(j, "value", &out->value, &out->vlen)) ||
	    (rc = etcd_json_i64(j, "create_revision", &out->create_rev)) ||
	    (rc = etcd_json_i64(j, "mod_revision", &out->mod_rev)) ||
	    (rc = etcd_json_i64(j, "version", &out->version)) ||
	    (rc = etcd_json_i64(j, "lease", &out->lease)))
		etcd_kv_free(out);
	return rc;
}

static int header_revision(const cJSON *j, int64_t *rev)
{
	*rev = 0;
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "header");
	if (!h || cJSON_IsNull(h))
		return ERR_OK;
	if (!cJSON_IsObject(h))
		return err_set(ERR_PROTOCOL, "etcd: header is not an object");
	return etcd_json_i64(h, "revision", rev);
}

/* obj[name] as an array (absent = empty); *arr NULL when empty. */
static int get_array(const cJSON *obj, const char *name, const cJSON **arr, size_t *n)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, name);
	*arr = NULL;
	*n = 0;
	if (!a || cJSON_IsNull(a))
		return ERR_OK;
	if (!cJSON_IsArray(a))
		return err_set(ERR_PROTOCOL, "etcd: field %s is not an array", name);
	*arr = a;
	*n = (size_t)cJSON_GetArraySize(a);
	return ERR_OK;
}

void etcd_range_free(struct etcd_range *r)
{
	for (size_t i = 0; i < r->n; i++)
		etcd_kv_free(&r->kvs[i]);
	mem_free(r->kvs);
	memset(r, 0, sizeof(*r));
}

int etcd_parse_range(const cJSON *j, struct etcd_range *out)
{
	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(j))
		return err_set(ERR_PROTOCOL, "etcd: range response is not an object");
	const cJSON *arr;
	size_t n;
	int rc;
	if ((rc = header_revision(j, &out->revision)) ||
	    (rc = etcd_json_i64(j, "count", &out->count)) ||
	    (rc = etcd_json_bool(j, "more", &out->more)) || (rc = get_array(j, "kvs", &arr, &n)))
		return rc;
	if (n) {
		out->kvs = mem_calloc(n, sizeof(*out->kvs));
		if (!out->kvs)
			return ERR_NOMEM;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		if ((rc = etcd_parse_kv(it, &out->kvs[out->n])))
			break;
		out->n++;
	}
	if (rc)
		etcd_range_free(out);
	return rc;
}

void etcd_txn_free(struct etcd_txn *t)
{
	etcd_range_free(&t->range);
	memset(t, 0, sizeof(*t));
}

int etcd_parse_txn(const cJSON *j, struct etcd_txn *out)
{
	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(j))
		return err_set(ERR_PROTOCOL, "etcd: txn response is not an object");
	const cJSON *arr, *it;
	size_t n;
	int rc;
	if ((rc = header_revision(j, &out->revision)) ||
	    (rc = etcd_json_bool(j, "succeeded", &out->succeeded)) ||
	    (rc = get_array(j, "responses", &arr, &n)))
		return rc;
	bool have_range = false;
	cJSON_ArrayForEach(it, arr)
	{
		if (!cJSON_IsObject(it))
			return err_set(ERR_PROTOCOL, "etcd: txn response op is not an object");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(it, "response_range");
		if (r && !have_range) {
			if ((rc = etcd_parse_range(r, &out->range)))
				return rc;
			have_range = true;
		}
	}
	return ERR_OK;
}

int etcd_parse_lease(const cJSON *j, struct etcd_lease *out)
{
	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(j))
		return err_set(ERR_PROTOCOL, "etcd: lease response is not an object");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "result");
	if (res) {
		if (!cJSON_IsObject(res))
			return err_set(ERR_PROTOCOL, "etcd: lease result is not an object");
		j = res;
	} else if (cJSON_GetObjectItemCaseSensitive(j, "error")) {
		char *s = cJSON_PrintUnformatted(j);
		int code = 0;
		char msg[256];
		etcd_parse_error(s ? s : "", s ? strlen(s) : 0, &code, msg, sizeof(msg));
		cJSON_free(s);
		return err_set(etcd_grpc_err(code), "etcd: lease: %s", msg);
	}
	int rc;
	if ((rc = etcd_json_i64(j, "ID", &out->id)) || (rc = etcd_json_i64(j, "TTL", &out->ttl)))
		return rc;
	return ERR_OK;
}

void etcd_watch_msg_free(struct etcd_watch_msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		etcd_kv_free(&m->events[i].kv);
	mem_free(m->events);
	memset(m, 0, sizeof(*m));
}

static int parse_event(const cJSON *e, struct etcd_event *out)
{
	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(e))
		return err_set(ERR_PROTOCOL, "etcd: watch event is not an object");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
	if (!t || cJSON_IsNull(t) || (cJSON_IsString(t) && !strcmp(t->valuestring, "PUT")) ||
	    (cJSON_IsNumber(t) && t->valuedouble == 0))
		out->type = ETCD_EVENT_PUT;
	else if ((cJSON_IsString(t) && !strcmp(t->valuestring, "DELETE")) ||
	         (cJSON_IsNumber(t) && t->valuedouble == 1))
		out->type = ETCD_EVENT_DELETE;
	else
		return err_set(ERR_PROTOCOL, "etcd: unknown watch event type");
	const cJSON *kv = cJSON_GetObjectItemCaseSensitive(e, "kv");
	if (!kv)
		return err_set(ERR_PROTOCOL, "etcd: watch event without kv");
	return etcd_parse_kv(kv, &out->kv);
}

int etcd_parse_watch(const cJSON *j, struct etcd_watch_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(j))
		return err_set(ERR_PROTOCOL, "etcd: watch message is not an object");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "result");
	if (!res) {
		char *s = cJSON_PrintUnformatted(j);
		int code = 0;
		char msg[256];
		int is_err =
		    etcd_parse_error(s ? s : "", s ? strlen(s) : 0, &code, msg, sizeof(msg));
		cJSON_free(s);
		if (is_err)
			return err_set(etcd_grpc_err(code), "etcd: watch: %s", msg);
		return err_set(ERR_PROTOCOL, "etcd: watch message without result: %s", msg);
	}
	if (!cJSON_IsObject(res))
		return err_set(ERR_PROTOCOL, "etcd: watch result is not an object");
	const cJSON *arr, *it;
	size_t n;
	int rc;
	if ((rc = header_revision(res, &out->revision)) ||
	    (rc = etcd_json_bool(res, "created", &out->created)) ||
	    (rc = etcd_json_bool(res, "canceled", &out->canceled)) ||
	    (rc = etcd_json_i64(res, "compact_revision", &out->compact_revision)) ||
	    (rc = get_array(res, "events", &arr, &n)))
		return rc;
	if (n) {
		out->events = mem_calloc(n, sizeof(*out->events));
		if (!out->events)
			return ERR_NOMEM;
	}
	cJSON_ArrayForEach(it, arr)
	{
		if ((rc = parse_event(it, &out->events[out->n])))
			break;
		out->n++;
	}
	if (rc)
		etcd_watch_msg_free(out);
	return rc;
}

/* Copy at most cap-1 bytes of s, replacing control characters. */
static void printable(char *dst, size_t cap, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	if (cap)
		dst[k] = 0;
}

int etcd_parse_error(const char *body, size_t len, int *grpc_code, char *msg, size_t cap)
{
	*grpc_code = 0;
	printable(msg, cap, body, len > 200 ? 200 : len);
	cJSON *j = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return 0;
	}
	int is_err = 0;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *src = j; /* where "code"/"message" live */
	const char *code_name = "code";
	if (cJSON_IsObject(e)) {
		src = e;
		code_name = "grpc_code";
	}
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(src, "message");
	if (!cJSON_IsString(m))
		m = cJSON_IsString(e) ? e : NULL;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(src, code_name);
	if (m || cJSON_IsNumber(c)) {
		is_err = 1;
		if (m)
			printable(msg, cap, m->valuestring, strlen(m->valuestring));
		if (cJSON_IsNumber(c) && c->valuedouble >= 0 && c->valuedouble <= 64)
			*grpc_code = (int)c->valuedouble;
	}
	cJSON_Delete(j);
	return is_err;
}

int etcd_grpc_err(int grpc_code)
{
	switch (grpc_code) {
	case 3: /* InvalidArgument: bad key, too many ops, request too large */
		return ERR_BAD_INPUT;
	case 5: /* NotFound: lease not found */
		return ERR_NOT_FOUND;
	case 6: /* AlreadyExists */
		return ERR_EXISTS;
	case 8: /* ResourceExhausted: too many requests, quota */
		return ERR_LIMIT;
	case 9: /* FailedPrecondition */
		return ERR_CONFLICT;
	case 11: /* OutOfRange: revision compacted / in the future */
		return ERR_RETRY;
	case 4:  /* DeadlineExceeded */
	case 14: /* Unavailable: no leader, leader changed, stopped */
		return ERR_UNAVAILABLE;
	default:
		return ERR_IO;
	}
}

/* ------------------------------------------------------------ requests */

static int put_field_b64(struct buf *b, const char *name, const void *p, size_t n)
{
	int rc;
	if ((rc = buf_printf(b, "\"%s\":\"", name)) || (rc = etcd_b64_append(b, p, n)))
		return rc;
	return buf_putc(b, '"');
}

/* "name":"<base64 of prefix + key>" */
static int put_key_b64(struct buf *b, const char *name, const char *prefix, const char *key)
{
	size_t pn = strlen(prefix), kn = strlen(key);
	uint8_t *full = mem_alloc(pn + kn + 1);
	if (!full)
		return ERR_NOMEM;
	memcpy(full, prefix, pn);
	memcpy(full + pn, key, kn + 1);
	int rc = put_field_b64(b, name, full, pn + kn);
	mem_free(full);
	return rc;
}

int etcd_req_range(struct buf *b, const void *key, size_t klen, const void *end, size_t elen,
                   int64_t limit, int64_t revision)
{
	int rc;
	if ((rc = buf_putc(b, '{')) || (rc = put_field_b64(b, "key", key, klen)))
		return rc;
	if (end && ((rc = buf_putc(b, ',')) || (rc = put_field_b64(b, "range_end", end, elen))))
		return rc;
	if (limit > 0 && (rc = buf_printf(b, ",\"limit\":\"%" PRId64 "\"", limit)))
		return rc;
	if (revision > 0 && (rc = buf_printf(b, ",\"revision\":\"%" PRId64 "\"", revision)))
		return rc;
	return buf_putc(b, '}');
}

static int put_cmp(struct buf *b, const char *prefix, const struct kv_cmp *c)
{
	int rc;
	if ((rc = buf_putc(b, '{')) || (rc = put_key_b64(b, "key", prefix, c->key)))
		return rc;
	if (c->value) {
		if ((rc = buf_printf(b, ",\"target\":\"VALUE\",\"result\":\"EQUAL\",")) ||
		    (rc = put_field_b64(b, "value", c->value, c->len)))
			return rc;
	} else if ((rc = buf_printf(b, ",\"target\":\"CREATE\",\"result\":\"EQUAL\","
	                               "\"create_revision\":\"0\""))) {
		return rc;
	}
	return buf_putc(b, '}');
}

static int put_op(struct buf *b, const char *prefix, const struct kv_op *op, int64_t lease)
{
	int rc;
	if (op->type != KV_PUT && op->type != KV_DELETE)
		return err_set(ERR_BAD_INPUT, "etcd: unknown kv op type %d", (int)op->type);
	if ((rc = buf_printf(b, "{\"%s\":{",
	                     op->type == KV_PUT ? "request_put" : "request_delete_range")) ||
	    (rc = put_key_b64(b, "key", prefix, op->key)))
		return rc;
	if (op->type == KV_PUT) {
		if ((rc = buf_putc(b, ',')) ||
		    (rc = put_field_b64(b, "value", op->value ? op->value : "", op->len)))
			return rc;
		if (lease && (rc = buf_printf(b, ",\"lease\":\"%" PRId64 "\"", lease)))
			return rc;
	}
	return buf_printf(b, "}}");
}

int etcd_req_txn(struct buf *b, const char *prefix, const struct kv_cmp *cmps, size_t ncmp,
                 const struct kv_op *ops, size_t nops, int64_t lease, const char *fail_range_key)
{
	int rc = buf_printf(b, "{\"compare\":[");
	for (size_t i = 0; i < ncmp && !rc; i++)
		if (!(rc = i ? buf_putc(b, ',') : ERR_OK))
			rc = put_cmp(b, prefix, &cmps[i]);
	if (!rc)
		rc = buf_printf(b, "],\"success\":[");
	for (size_t i = 0; i < nops && !rc; i++)
		if (!(rc = i ? buf_putc(b, ',') : ERR_OK))
			rc = put_op(b, prefix, &ops[i], lease);
	if (!rc)
		rc = buf_putc(b, ']');
	if (!rc && fail_range_key) {
		if (!(rc = buf_printf(b, ",\"failure\":[{\"request_range\":{")) &&
		    !(rc = put_key_b64(b, "key", prefix, fail_range_key)))
			rc = buf_printf(b, "}}]");
	}
	if (!rc)
		rc = buf_putc(b, '}');
	return rc;
}

int etcd_req_watch(struct buf *b, const void *key, size_t klen, int64_t start_revision)
{
	int rc;
	if ((rc = buf_printf(b, "{\"create_request\":{")) ||
	    (rc = put_field_b64(b, "key", key, klen)))
		return rc;
	if (start_revision > 0 &&
	    (rc = buf_printf(b, ",\"start_revision\":\"%" PRId64 "\"", start_revision)))
		return rc;
	return buf_printf(b, "}}");
}
