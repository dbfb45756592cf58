/*
 * objstore: the object store every datanode shares (SSTs and manifests).
 *
 * A store is a table of operations (struct objstore_ops) plus backend
 * state; backends are chosen by name: "fs" (a local folder, the default),
 * "s3" (later), "test" (wraps another store and fails, delays or drops a
 * named request on command). Callers use the objstore_* wrappers below,
 * never the ops directly: the wrappers count requests and bytes, hit the
 * fault points (FAULT_OBJSTORE_*) and validate keys.
 *
 * Keys are relative paths with '/' separators ("data/greptime/public/1024/
 * 1024_0000000000/manifest/00000000000000000001.json"): no leading '/', no
 * "." or ".." segments, no empty segments, no NUL.
 *
 * Semantics every backend guarantees:
 *   put       atomic: a reader sees the old object, nothing, or the whole new
 *             one; when OBJSTORE_PUT_IF_ABSENT is given and the key exists,
 *             fails with ERR_EXISTS and changes nothing. Durable on success.
 *   get       whole object; ERR_NOT_FOUND when absent.
 *   get_range bytes [off, off+len) clamped to the object's end.
 *   head      size (and mtime in ms) or ERR_NOT_FOUND.
 *   list      every key starting with prefix, sorted ascending.
 *   delete    idempotent: deleting a missing key succeeds.
 * Returned buffers are owned by the caller (mem_free).
 */
#ifndef STRATA_OBJSTORE_OBJSTORE_H
#define STRATA_OBJSTORE_OBJSTORE_H

#include <stddef.h>
#include <stdint.h>

#define OBJSTORE_PUT_IF_ABSENT 1u

struct objstore;

struct objstore_list {
	size_t n;
	char **keys;      /* sorted */
	uint64_t *sizes;
};
void objstore_list_free(struct objstore_list *l);

struct objstore_ops {
	const char *name;
	int (*put)(struct objstore *s, const char *key, const void *data, size_t len, unsigned flags);
	int (*get)(struct objstore *s, const char *key, uint8_t **data, size_t *len);
	int (*get_range)(struct objstore *s, const char *key, uint64_t off, uint64_t len,
			 uint8_t **data, size_t *outlen);
	int (*head)(struct objstore *s, const char *key, uint64_t *size, int64_t *mtime_ms);
	int (*list)(struct objstore *s, const char *prefix, struct objstore_list *out);
	int (*del)(struct objstore *s, const char *key);
	void (*close)(struct objstore *s);
};

struct objstore_stats {
	uint64_t puts, gets, range_gets, heads, lists, deletes;
	uint64_t bytes_written, bytes_read;
	uint64_t errors;
};

/* Open the fs backend rooted at `root` (created if missing). */
int objstore_open_fs(const char *root, struct objstore **out);
/* The s3 backend: path-style requests http(s)://endpoint/bucket/root/key,
 * signed with AWS SigV4 (libcurl). NULL / 0 fields take the default in
 * brackets; the environment is read once, at open. */
struct objstore_s3_options {
	const char *endpoint;          /* [AWS_ENDPOINT_URL(_S3), else https://s3.<region>.amazonaws.com] */
	const char *bucket;            /* required */
	const char *root;              /* key prefix inside the bucket ["": none] */
	const char *region;            /* [AWS_REGION, AWS_DEFAULT_REGION, else "us-east-1"] */
	const char *access_key_id;     /* [AWS_ACCESS_KEY_ID] */
	const char *secret_access_key; /* [AWS_SECRET_ACCESS_KEY] */
	uint64_t multipart_threshold;  /* puts above this go multipart [16 MiB] */
	uint64_t part_size;            /* multipart part size, >= 5 MiB [8 MiB] */
	int deadline_ms;               /* bound on one request and its retries [30000] */
	int list_page_size;            /* max-keys per ListObjectsV2 page, 1..1000 [1000] */
};
int objstore_open_s3(const struct objstore_s3_options *o, struct objstore **out);
/* Startup check of an s3 store: lists one key of the bucket, so a wrong
 * endpoint, bucket or secret fails here with a readable message. */
int objstore_s3_check(struct objstore *s);
/* Wrap `inner` (taking ownership) in the test backend. */
int objstore_open_test(struct objstore *inner, struct objstore **out);
/* Test backend control: the next `count` requests of operation `op`
 * ("put", "get", "get_range", "head", "list", "delete", or "*") whose key
 * contains `key_substr` (NULL = any) fail with `err` (ERR_IO by default)
 * after `delay_ms`; with drop != 0 a put is acknowledged but not stored.
 * count 0 clears the rule. Several rules may be armed at once. */
int objstore_test_rule(struct objstore *s, const char *op, const char *key_substr, int count,
		       int err, int delay_ms, int drop);

int objstore_put(struct objstore *s, const char *key, const void *data, size_t len, unsigned flags);
int objstore_get(struct objstore *s, const char *key, uint8_t **data, size_t *len);
int objstore_get_range(struct objstore *s, const char *key, uint64_t off, uint64_t len,
		       uint8_t **data, size_t *outlen);
int objstore_head(struct objstore *s, const char *key, uint64_t *size, int64_t *mtime_ms);
int objstore_list(struct objstore *s, const char *prefix, struct objstore_list *out);
int objstore_delete(struct objstore *s, const char *key);
void objstore_close(struct objstore *s);
void objstore_get_stats(struct objstore *s, struct objstore_stats *out);
const char *objstore_backend_name(const struct objstore *s);
/* ERR_OK when key is well formed, else ERR_BAD_INPUT with a message. */
int objstore_check_key(const char *key);

#endif
