/*
 * objstore: the thin wrappers every caller goes through (see objstore.h).
 *
 * Each wrapper, in order: validates the key (or list prefix), clears the
 * output parameters, hits the operation's fault point, dispatches to the
 * backend op and counts the request. Fault points:
 *   put                 FAULT_OBJSTORE_PUT    ("objstore.put")
 *   get, get_range      FAULT_OBJSTORE_GET    ("objstore.get")
 *   list                FAULT_OBJSTORE_LIST   ("objstore.list")
 *   delete              FAULT_OBJSTORE_DELETE ("objstore.delete")
 *   head                none
 * A request refused by validation or by a fault point is still counted (as
 * a request and an error), so stats show what callers asked for.
 *
 * Counters (struct objstore_stats): one per request kind; bytes_written
 * counts the payload of successful puts, bytes_read the bytes handed back
 * by successful get/get_range. `errors` counts failed requests except the
 * two answers that are not failures: ERR_NOT_FOUND (get/get_range/head of a
 * missing key) and ERR_EXISTS (put-if-absent of a present key).
 *
 * Keys: at most OBJSTORE_KEY_MAX bytes, no leading '/', no empty, "." or
 * ".." segment (so no trailing '/' and no "//").
 */
#include "objstore/objstore.h"

#include <string.h>

#include "base/err.h"
#include "base/fault.h"
#include "base/mem.h"
#include "objstore/objstore_int.h"

void objstore_base_init(struct objstore *s, const struct objstore_ops *ops)
{
	s->ops = ops;
	atomic_init(&s->stats.puts, 0);
	atomic_init(&s->stats.gets, 0);
	atomic_init(&s->stats.range_gets, 0);
	atomic_init(&s->stats.heads, 0);
	atomic_init(&s->stats.lists, 0);
	atomic_init(&s->stats.deletes, 0);
	atomic_init(&s->stats.bytes_written, 0);
	atomic_init(&s->stats.bytes_read, 0);
	atomic_init(&s->stats.errors, 0);
}

/* Check segments of `p` up to `end`; `partial_tail` allows the text after
 * the last '/' to be any non-empty prefix (used for list prefixes). */
static int check_path(const char *what, const char *p, int partial_tail)
{
	if (p == NULL)
		return err_set(ERR_BAD_INPUT, "object %s is NULL", what);
	size_t n = strlen(p);
	if (n > OBJSTORE_KEY_MAX)
		return err_set(ERR_BAD_INPUT, "object %s longer than %d bytes", what,
			       OBJSTORE_KEY_MAX);
	if (n == 0) {
		if (partial_tail)
			return ERR_OK;
		return err_set(ERR_BAD_INPUT, "object %s is empty", what);
	}
	if (p[0] == '/')
		return err_set(ERR_BAD_INPUT, "object %s '%s' starts with '/'", what, p);
	const char *seg = p;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
		int last = slash == NULL;
		if (last && partial_tail)
			break; /* "" (after a trailing '/'), ".", ".." are prefixes of names */
		if (len == 0)
			return err_set(ERR_BAD_INPUT, "object %s '%s' has an empty segment", what,
				       p);
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return err_set(ERR_BAD_INPUT, "object %s '%s' has a '.' or '..' segment",
				       what, p);
		if (last)
			break;
		seg = slash + 1;
	}
	return ERR_OK;
}

int objstore_check_key(const char *key) { return check_path("key", key, 0); }

int objstore_check_prefix(const char *prefix) { return check_path("prefix", prefix, 1); }

static void count_result(struct objstore *s, int rc)
{
	if (rc != ERR_OK && rc != ERR_NOT_FOUND && rc != ERR_EXISTS)
		atomic_fetch_add_explicit(&s->stats.errors, 1, memory_order_relaxed);
}

static void bump(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

int objstore_put(struct objstore *s, const char *key, const void *data, size_t len, unsigned flags)
{
	bump(&s->stats.puts, 1);
	int rc = objstore_check_key(key);
	if (rc == ERR_OK && data == NULL && len > 0)
		rc = err_set(ERR_BAD_INPUT, "put %s: NULL data", key);
	if (rc == ERR_OK)
		rc = fault_hit(FAULT_OBJSTORE_PUT);
	if (rc == ERR_OK)
		rc = s->ops->put(s, key, data, len, flags);
	if (rc == ERR_OK)
		bump(&s->stats.bytes_written, len);
	count_result(s, rc);
	return rc;
}

int objstore_get(struct objstore *s, const char *key, uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	bump(&s->stats.gets, 1);
	int rc = objstore_check_key(key);
	if (rc == ERR_OK)
		rc = fault_hit(FAULT_OBJSTORE_GET);
	if (rc == ERR_OK)
		rc = s->ops->get(s, key, data, len);
	if (rc == ERR_OK) {
		bump(&s->stats.bytes_read, *len);
	} else {
		mem_free(*data); /* a backend breaking the contract must not leak */
		*data = NULL;
		*len = 0;
	}
	count_result(s, rc);
	return rc;
}

int objstore_get_range(struct objstore *s, const char *key, uint64_t off, uint64_t len,
		       uint8_t **data, size_t *outlen)
{
	*data = NULL;
	*outlen = 0;
	bump(&s->stats.range_gets, 1);
	int rc = objstore_check_key(key);
	if (rc == ERR_OK)
		rc = fault_hit(FAULT_OBJSTORE_GET);
	if (rc == ERR_OK)
		rc = s->ops->get_range(s, key, off, len, data, outlen);
	if (rc == ERR_OK) {
		bump(&s->stats.bytes_read, *outlen);
	} else {
		mem_free(*data);
		*data = NULL;
		*outlen = 0;
	}
	count_result(s, rc);
	return rc;
}

int objstore_head(struct objstore *s, const char *key, uint64_t *size, int64_t *mtime_ms)
{
	uint64_t sz = 0;
	int64_t mt = 0;
	bump(&s->stats.heads, 1);
	int rc = objstore_check_key(key);
	if (rc == ERR_OK)
		rc = s->ops->head(s, key, &sz, &mt);
	if (rc != ERR_OK)
		sz = 0, mt = 0;
	if (size)
		*size = sz;
	if (mtime_ms)
		*mtime_ms = mt;
	count_result(s, rc);
	return rc;
}

int objstore_list(struct objstore *s, const char *prefix, struct objstore_list *out)
{
	memset(out, 0, sizeof(*out));
	bump(&s->stats.lists, 1);
	int rc = objstore_check_prefix(prefix);
	if (rc == ERR_OK)
		rc = fault_hit(FAULT_OBJSTORE_LIST);
	if (rc == ERR_OK)
		rc = s->ops->list(s, prefix, out);
	if (rc != ERR_OK)
		objstore_list_free(out);
	count_result(s, rc);
	return rc;
}

int objstore_delete(struct objstore *s, const char *key)
{
	bump(&s->stats.deletes, 1);
	int rc = objstore_check_key(key);
	if (rc == ERR_OK)
		rc = fault_hit(FAULT_OBJSTORE_DELETE);
	if (rc == ERR_OK)
		rc = s->ops->del(s, key);
	count_result(s, rc);
	return rc;
}

void objstore_close(struct objstore *s)
{
	if (s)
		s->ops->close(s);
}

void objstore_get_stats(struct objstore *s, struct objstore_stats *out)
{
	out->puts = atomic_load_explicit(&s->stats.puts, memory_order_relaxed);
	out->gets = atomic_load_explicit(&s->stats.gets, memory_order_relaxed);
	out->range_gets = atomic_load_explicit(&s->stats.range_gets, memory_order_relaxed);
	out->heads = atomic_load_explicit(&s->stats.heads, memory_order_relaxed);
	out->lists = atomic_load_explicit(&s->stats.lists, memory_order_relaxed);
	out->deletes = atomic_load_explicit(&s->stats.deletes, memory_order_relaxed);
	out->bytes_written = atomic_load_explicit(&s->stats.bytes_written, memory_order_relaxed);
	out->bytes_read = atomic_load_explicit(&s->stats.bytes_read, memory_order_relaxed);
	out->errors = atomic_load_explicit(&s->stats.errors, memory_order_relaxed);
}

const char *objstore_backend_name(const struct objstore *s) { return s->ops->name; }

void objstore_list_free(struct objstore_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		mem_free(l->keys[i]);
	mem_free(l->keys);
	mem_free(l->sizes);
	memset(l, 0, sizeof(*l));
}
