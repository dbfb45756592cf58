/*
 * config_open: open the object store and the metadata store a
 * struct strata_config names, checked at once so that a wrong endpoint,
 * bucket, secret or etcd address stops the process at startup with a
 * clear message instead of failing its first flush.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "config/config.h"
#include "meta/kv.h"
#include "objstore/cache.h"
#include "objstore/objstore.h"

#define DEFAULT_CACHE_SIZE (1024ull * 1024 * 1024)

static bool is_s3(const struct strata_config *c)
{
	return c->storage.type && !strcmp(c->storage.type, "s3");
}

int config_open_objstore(const struct strata_config *c, const char *default_fs_root,
                         struct objstore **out)
{
	*out = NULL;
	int rc = config_validate(c);
	if (rc)
		return rc;
	struct objstore *s = NULL;
	if (is_s3(c)) {
		struct objstore_s3_options o = {
		    .endpoint = c->storage.endpoint,
		    .bucket = c->storage.bucket,
		    .root = c->storage.root,
		    .region = c->storage.region,
		    .access_key_id = c->storage.access_key_id,
		    .secret_access_key = c->storage.secret_access_key,
		};
		if ((rc = objstore_open_s3(&o, &s)))
			return err_wrap("s3 storage");
		if ((rc = objstore_s3_check(s))) {
			err_wrap("s3 storage (bucket %s) failed its startup check", c->storage.bucket);
			objstore_close(s);
			return rc;
		}
	} else {
		const char *root = c->storage.root ? c->storage.root : default_fs_root;
		if (!root)
			return err_set(ERR_BAD_INPUT, "fs storage needs a root folder (--store-root)");
		if ((rc = objstore_open_fs(root, &s)))
			return rc;
	}
	if (c->storage.cache_path && c->storage.cache_path[0]) {
		uint64_t size = c->storage.cache_size ? c->storage.cache_size : DEFAULT_CACHE_SIZE;
		struct objstore *cached;
		if ((rc = objstore_open_cache(s, c->storage.cache_path, size, &cached)))
			return rc; /* s was closed by the wrapper */
		s = cached;
	}
	*out = s;
	return ERR_OK;
}

int config_open_kv(const struct strata_config *c, const char *sqlite_path, struct kv **out)
{
	*out = NULL;
	int rc = config_validate(c);
	if (rc)
		return rc;
	if (!config_uses_etcd(c)) {
		if (!sqlite_path)
			return err_set(ERR_BAD_INPUT, "sqlite metadata needs a file path");
		return kv_open_sqlite(sqlite_path, out);
	}
	struct kv_etcd_options o;
	config_etcd_options(c, &o);
	struct kv *kv;
	if ((rc = kv_open_etcd(&o, &kv)))
		return rc;
	uint8_t *v = NULL;
	size_t n = 0;
	rc = kv_get(kv, "__probe", &v, &n);
	mem_free(v);
	if (rc && rc != ERR_NOT_FOUND) {
		err_wrap("etcd metadata store at %s is not reachable", c->metadata.endpoints);
		kv_close(kv);
		return rc;
	}
	err_clear();
	*out = kv;
	return ERR_OK;
}

void config_etcd_options(const struct strata_config *c, struct kv_etcd_options *o)
{
	memset(o, 0, sizeof(*o));
	o->endpoints = c->metadata.endpoints;
	o->prefix = c->metadata.prefix ? c->metadata.prefix : CONFIG_ETCD_PREFIX;
}
