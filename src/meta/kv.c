/* kv: backend-independent wrappers of the metadata store. See kv.h. */
#include "meta/kv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"

void kv_list_free(struct kv_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		mem_free(l->items[i].key);
		mem_free(l->items[i].value);
	}
	mem_free(l->items);
	l->items = NULL;
	l->n = 0;
}

int kv_get(struct kv *kv, const char *key, uint8_t **value, size_t *len)
{
	*value = NULL;
	*len = 0;
	return kv->ops->get(kv, key, value, len);
}

int kv_put(struct kv *kv, const char *key, const void *value, size_t len)
{
	struct kv_op op = {KV_PUT, key, value, len};
	return kv->ops->txn(kv, NULL, 0, &op, 1);
}

int kv_put_str(struct kv *kv, const char *key, const char *value)
{
	return kv_put(kv, key, value, strlen(value));
}

int kv_delete(struct kv *kv, const char *key)
{
	struct kv_op op = {KV_DELETE, key, NULL, 0};
	return kv->ops->txn(kv, NULL, 0, &op, 1);
}

int kv_range(struct kv *kv, const char *prefix, struct kv_list *out)
{
	memset(out, 0, sizeof(*out));
	return kv->ops->range(kv, prefix, out);
}

int kv_txn(struct kv *kv, const struct kv_cmp *cmps, size_t ncmp, const struct kv_op *ops,
	   size_t nops)
{
	return kv->ops->txn(kv, cmps, ncmp, ops, nops);
}

int kv_next_id(struct kv *kv, const char *key, uint64_t initial, uint64_t *out)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		uint8_t *old = NULL;
		size_t len = 0;
		int rc = kv_get(kv, key, &old, &len);
		if (rc && rc != ERR_NOT_FOUND)
			return rc;
		uint64_t next = rc == ERR_NOT_FOUND ? initial : strtoull((char *)old, NULL, 10);
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%" PRIu64, next + 1);
		struct kv_cmp cmp = {key, rc == ERR_NOT_FOUND ? NULL : old, len};
		struct kv_op op = {KV_PUT, key, buf, (size_t)n};
		rc = kv_txn(kv, &cmp, 1, &op, 1);
		mem_free(old);
		if (rc == ERR_OK) {
			*out = next;
			return ERR_OK;
		}
		if (rc != ERR_CONFLICT)
			return rc;
	}
	return err_set(ERR_CONFLICT, "counter %s: too much contention", key);
}

void kv_close(struct kv *kv)
{
	if (kv)
		kv->ops->close(kv);
}
