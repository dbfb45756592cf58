/*
 * etcd_int: what the etcd pieces of the metadata store share (private to
 * src/meta/ and its tests):
 *   - the codec for etcd's v3 JSON gateway (etcd_codec.c): pure functions
 *     that build request bodies and decode responses, unit-tested with
 *     canned JSON;
 *   - the HTTP client with endpoint rotation (kv_etcd.c), used by the KV
 *     backend and by the leader election (election.c).
 *
 * Gateway encoding rules the codec follows (proto3 JSON, etcd 3.4/3.5):
 * key/value/range_end are base64 (standard alphabet, padded) of raw bytes;
 * every int64 is a JSON string in responses (numbers are accepted too);
 * fields at their zero value are omitted, so an absent "succeeded", "more",
 * "count", "kvs", "TTL", "type" means false / 0 / empty / PUT.
 *
 * Keys: the KV layer stores key K under "<prefix>K", where the configured
 * prefix is normalised by etcd_norm_prefix ("" stays "", "/strata" and
 * "/strata/" both become "/strata/"). Builders that take (prefix, key)
 * concatenate the two before encoding.
 */
#ifndef STRATA_META_ETCD_INT_H
#define STRATA_META_ETCD_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "meta/kv.h"

/* ------------------------------------------------------------ codec */

/* Standard padded base64 of n bytes, NUL-terminated, mem_alloc'd (NULL
 * and ERR_NOMEM / ERR_LIMIT on failure). */
char *etcd_b64_encode(const void *p, size_t n);
/* Append the base64 of n bytes to b. */
int etcd_b64_append(struct buf *b, const void *p, size_t n);
/* Decode n characters of standard padded base64. *out is mem_alloc'd and
 * NUL-terminated (the NUL is not counted in *len). ERR_PROTOCOL on a bad
 * length, a character outside the alphabet or misplaced padding. */
int etcd_b64_decode(const char *s, size_t n, uint8_t **out, size_t *len);

/* "" -> "", "p" -> "p/", "p/" -> "p/" (mem_alloc'd). */
char *etcd_norm_prefix(const char *prefix);
/* The range_end that selects every key starting with p[0..n): p with its
 * last byte below 0xff incremented and the rest cut off; when there is no
 * such byte (or n == 0) the end is the single byte 0 ("to the end of the
 * keyspace"). *end is mem_alloc'd. */
int etcd_prefix_end(const void *p, size_t n, uint8_t **end, size_t *elen);

/* Parse a complete JSON document (trailing whitespace allowed, nothing
 * else). NULL with ERR_PROTOCOL when it is not JSON. */
cJSON *etcd_json_parse(const char *body, size_t len);
/* obj[name] as int64: absent or null = 0; a decimal string or an integral
 * number; anything else is ERR_PROTOCOL. */
int etcd_json_i64(const cJSON *obj, const char *name, int64_t *out);
/* obj[name] as bool: absent or null = false. */
int etcd_json_bool(const cJSON *obj, const char *name, bool *out);
/* obj[name] as base64 bytes: absent or null = empty (*out still allocated). */
int etcd_json_bytes(const cJSON *obj, const char *name, uint8_t **out, size_t *len);

/* One mvccpb.KeyValue. key and value are NUL-terminated. */
struct etcd_kv {
	uint8_t *key;
	size_t klen;
	uint8_t *value;
	size_t vlen;
	int64_t create_rev, mod_rev, version, lease;
};
void etcd_kv_free(struct etcd_kv *kv);
int etcd_parse_kv(const cJSON *j, struct etcd_kv *out);

/* A RangeResponse (also the response_range inside a txn). */
struct etcd_range {
	int64_t revision; /* header.revision */
	int64_t count;
	bool more;
	size_t n;
	struct etcd_kv *kvs;
};
void etcd_range_free(struct etcd_range *r);
int etcd_parse_range(const cJSON *j, struct etcd_range *out);

/* A TxnResponse. `range` is the first response_range among the responses
 * (n == 0 when there is none). */
struct etcd_txn {
	int64_t revision;
	bool succeeded;
	struct etcd_range range;
};
void etcd_txn_free(struct etcd_txn *t);
int etcd_parse_txn(const cJSON *j, struct etcd_txn *out);

/* A LeaseGrantResponse, or a keepalive answer ({"result":{...}}). ttl 0
 * (field absent) on a keepalive means the lease is gone. */
struct etcd_lease {
	int64_t id;
	int64_t ttl;
};
int etcd_parse_lease(const cJSON *j, struct etcd_lease *out);

/* One message of a watch stream ({"result":{...}}). */
enum etcd_event_type { ETCD_EVENT_PUT, ETCD_EVENT_DELETE };
struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv;
};
struct etcd_watch_msg {
	int64_t revision;
	bool created;
	bool canceled;
	int64_t compact_revision;
	size_t n;
	struct etcd_event *events;
};
void etcd_watch_msg_free(struct etcd_watch_msg *m);
int etcd_parse_watch(const cJSON *j, struct etcd_watch_msg *out);

/* An error body: {"error":"...","message":"...","code":N} or, inside a
 * stream, {"error":{"grpc_code":N,"message":"..."}}. Returns 1 and fills
 * code/msg when body is such an error, 0 otherwise (msg then holds a
 * printable excerpt of the body). */
int etcd_parse_error(const char *body, size_t len, int *grpc_code, char *msg, size_t cap);
/* gRPC status code -> enum err_code (3 -> BAD_INPUT, 5 -> NOT_FOUND,
 * 11 -> RETRY (compacted), 4/14 -> UNAVAILABLE, ...). */
int etcd_grpc_err(int grpc_code);

/* Request bodies, appended to b. Keys are prefix + key (prefix may be "").
 * range: end == NULL selects one key; limit/revision 0 are left out. */
int etcd_req_range(struct buf *b, const void *key, size_t klen, const void *end, size_t elen,
                   int64_t limit, int64_t revision);
/* txn: every cmp is "value == cmp.value" or, with cmp.value == NULL,
 * "create_revision == 0" (absent); success = ops (puts carry `lease` when
 * non-zero); failure = a range of fail_range_key when non-NULL. */
int etcd_req_txn(struct buf *b, const char *prefix, const struct kv_cmp *cmps, size_t ncmp,
                 const struct kv_op *ops, size_t nops, int64_t lease, const char *fail_range_key);
/* watch create_request on one key from start_revision (0 = now). */
int etcd_req_watch(struct buf *b, const void *key, size_t klen, int64_t start_revision);

/* ------------------------------------------------------------ client */

/* A thread-safe client for a list of endpoints. A call POSTs to the current
 * endpoint; on a connection error, a timeout, an HTTP 5xx or 429 it moves
 * to the next endpoint (for every thread) and tries again until the call's
 * deadline passes (ERR_UNAVAILABLE naming the last failure). Other HTTP
 * errors are final and mapped through etcd_grpc_err. */
struct etcd_client;
int etcd_client_open(const char *endpoints, int timeout_ms, struct etcd_client **out);
void etcd_client_close(struct etcd_client *c);
int etcd_client_timeout_ms(const struct etcd_client *c);
/* POST body to path ("/v3/kv/range"); timeout_ms <= 0 means the client's.
 * On success *out is the parsed 2xx response (cJSON_Delete it). */
int etcd_call(struct etcd_client *c, const char *path, const struct buf *body, int timeout_ms,
              cJSON **out);
/* The same, given up (ERR_UNAVAILABLE "canceled") soon after *cancel
 * becomes true: between attempts at once, within an attempt in about a
 * second at most. */
int etcd_call_cancel(struct etcd_client *c, const char *path, const struct buf *body,
                     int timeout_ms, const atomic_bool *cancel, cJSON **out);

/* Called for each watch message; return non-zero to end the watch. */
typedef int (*etcd_watch_fn)(void *arg, const struct etcd_watch_msg *m);
/* Open one watch stream (body from etcd_req_watch) on the current endpoint
 * and feed its messages to fn until fn asks to stop, max_ms passes, or
 * *stop becomes true (noticed within about a second) - all ERR_OK - or the
 * stream fails (an error; a transport failure also moves the client to the
 * next endpoint). A watch canceled by etcd (compacted start revision) is
 * ERR_RETRY. */
int etcd_watch(struct etcd_client *c, const struct buf *body, int max_ms, const atomic_bool *stop,
               etcd_watch_fn fn, void *arg);

#endif
