/*
 * kv: the metadata key-value store behind the metasrv (catalog, routes,
 * sequences, datanode registry). Backends: "sqlite" (a local file; the
 * default for standalone and a single metasrv) and "etcd" (a cluster, for
 * several metasrv in high availability; see kv_etcd.c and election.h).
 *
 * Keys and values are byte strings (keys printable, '/'-separated, e.g.
 * "__table_info/1024"). Every operation is atomic; kv_txn applies a set of
 * puts and deletes all-or-nothing after checking compare conditions, so
 * updates that must not race (allocating a table id, changing a route)
 * compare the old value first and retry on ERR_CONFLICT.
 */
#ifndef STRATA_META_KV_H
#define STRATA_META_KV_H

#include <stddef.h>
#include <stdint.h>

struct kv;

struct kv_pair {
	char *key;
	uint8_t *value;
	size_t len;
};

struct kv_list {
	size_t n;
	struct kv_pair *items; /* sorted by key */
};
void kv_list_free(struct kv_list *l);

enum kv_op_type { KV_PUT, KV_DELETE };
struct kv_op {
	enum kv_op_type type;
	const char *key;
	const void *value;
	size_t len;
};

/* A compare: the key's current value must equal `value` (len bytes), or,
 * with value == NULL, the key must be absent. */
struct kv_cmp {
	const char *key;
	const void *value;
	size_t len;
};

struct kv_ops {
	const char *name;
	int (*get)(struct kv *kv, const char *key, uint8_t **value, size_t *len);
	int (*range)(struct kv *kv, const char *prefix, struct kv_list *out);
	int (*txn)(struct kv *kv, const struct kv_cmp *cmps, size_t ncmp, const struct kv_op *ops,
		   size_t nops);
	void (*close)(struct kv *kv);
};

struct kv {
	const struct kv_ops *ops;
};

int kv_open_sqlite(const char *path, struct kv **out);

/* The etcd backend. Every key K lives at etcd key "<prefix>/K" (no '/'
 * added when prefix is empty or already ends in one). The handle is
 * thread-safe; nothing is contacted before the first operation. */
struct kv_etcd_options {
	const char *endpoints; /* "http://127.0.0.1:2379,http://127.0.0.1:22379" */
	const char *prefix;    /* e.g. "/strata"; NULL or "" = none */
	int timeout_ms;        /* one request, all retries included (a paged
				* range: one page); 0 = 5000 */
	int page_size;         /* keys per range request; 0 = 1000 */
};
int kv_open_etcd(const struct kv_etcd_options *o, struct kv **out);

/* ERR_NOT_FOUND when absent; *value is NUL-terminated (not counted). */
int kv_get(struct kv *kv, const char *key, uint8_t **value, size_t *len);
int kv_put(struct kv *kv, const char *key, const void *value, size_t len);
int kv_put_str(struct kv *kv, const char *key, const char *value);
int kv_delete(struct kv *kv, const char *key);
int kv_range(struct kv *kv, const char *prefix, struct kv_list *out);
/* ERR_CONFLICT when a compare fails (nothing applied). */
int kv_txn(struct kv *kv, const struct kv_cmp *cmps, size_t ncmp, const struct kv_op *ops,
	   size_t nops);
/* Atomically add `delta` to the decimal counter at key (absent = `initial`
 * before the add is applied: the first call returns initial). */
int kv_next_id(struct kv *kv, const char *key, uint64_t initial, uint64_t *out);
void kv_close(struct kv *kv);

#endif
