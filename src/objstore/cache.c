/*
 * cache: the "cache" object store wrapper - a size-bounded local copy of
 * immutable SST objects, so that follower reads from S3 do not download a
 * hot file again and again.
 *
 * What is cached: only keys ending in ".parquet" (SSTs: written once,
 * never changed, see DESIGN invariant 3). Manifests, checkpoints and every
 * other key always go to the inner store, so a reader never sees a stale
 * manifest from the cache.
 *
 * When: a put of an SST that the inner store acknowledged is copied into
 * the cache (filled on flush); a get or get_range that misses fetches the
 * whole object from the inner store once, stores it, and answers from it
 * (filled on first read). A delete removes the local copy after the inner
 * delete. head and list always go to the inner store (GC needs mtimes).
 *
 * Eviction: least recently used first, whenever the cached payload bytes
 * exceed max_bytes; an object larger than max_bytes is not cached.
 *
 * File layout: {dir}/{sha256(key) as 64 hex}.sst, holding
 *     payload            the object's bytes
 *     u64 le  length     payload length
 *     u32 le  crc32c     of the payload
 *     u32 le  magic      0x31435353 ("SSC1")
 * written to a ".{pid}.{thread}.tmp" name and renamed, so a crash leaves
 * either no file, a stray .tmp (deleted at open) or a whole file. Several
 * processes may share a folder (each indexes what it finds at open and
 * what it fills; a file another one evicted is a miss), but one folder per
 * datanode keeps the size bound exact. A file whose size,
 * trailer or checksum does not match (a partial or corrupt copy) is
 * deleted and the object fetched again from the inner store: the cache
 * never hands out bytes it cannot vouch for. The checksum is verified the
 * first time an entry is used in this process.
 *
 * Threads: the index (entries, LRU clock, byte count) is under one mutex;
 * file I/O happens outside it. A reader that opened a file keeps reading
 * it even when another thread evicts it (unlinked files stay readable).
 */
#include "objstore/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "base/crc32c.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/mem.h"
#include "objstore/objstore.h"
#include "objstore/objstore_int.h"

#define TRAILER    16
#define MAGIC      0x31435353u
#define NAME_LEN   64

struct entry {
	char name[NAME_LEN + 1];
	uint64_t size;     /* payload */
	uint64_t used;     /* LRU clock */
	bool verified;     /* checksum checked in this process */
};

struct cache_store {
	struct objstore base;
	struct objstore *inner;
	char *dir;
	uint64_t max_bytes;
	pthread_mutex_t mu;
	struct entry *e;
	size_t n, cap;
	uint64_t clock;
	struct objstore_cache_stats st;
};

static const struct objstore_ops cache_ops;

int objstore_cache_key_cacheable(const char *key)
{
	size_t n = strlen(key);
	return n > 8 && !strcmp(key + n - 8, ".parquet");
}

static void key_name(const char *key, char name[NAME_LEN + 1])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)key, strlen(key), d);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(name + 2 * i, 3, "%02x", d[i]);
}

static void file_path(const struct cache_store *c, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s.sst", c->dir, name);
}

/* ---- index (caller holds mu) -------------------------------------------------- */

static struct entry *find_locked(struct cache_store *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].name, name))
			return &c->e[i];
	return NULL;
}

static void remove_locked(struct cache_store *c, struct entry *e)
{
	c->st.bytes -= e->size;
	*e = c->e[--c->n];
	c->st.entries = c->n;
}

/* Evict LRU entries (never `keep`) until the payload fits. The files are
 * unlinked under the lock: a concurrent fill of the same name renames a
 * new file in, which is then simply a fresh entry. */
static void evict_locked(struct cache_store *c, const char *keep)
{
	while (c->st.bytes > c->max_bytes && c->n > 0) {
		size_t victim = c->n;
		for (size_t i = 0; i < c->n; i++)
			if ((!keep || strcmp(c->e[i].name, keep)) &&
			    (victim == c->n || c->e[i].used < c->e[victim].used))
				victim = i;
		if (victim == c->n)
			break;
		char path[4200];
		file_path(c, c->e[victim].name, path, sizeof(path));
		unlink(path);
		c->st.evictions++;
		remove_locked(c, &c->e[victim]);
	}
}

static int add_locked(struct cache_store *c, const char *name, uint64_t size, bool verified)
{
	struct entry *e = find_locked(c, name);
	if (e) {
		c->st.bytes -= e->size;
	} else {
		void *p = c->e;
		if (mem_grow(&p, &c->cap, c->n + 1, sizeof(*c->e)))
			return ERR_NOMEM;
		c->e = p;
		e = &c->e[c->n++];
		memcpy(e->name, name, NAME_LEN + 1);
	}
	e->size = size;
	e->used = ++c->clock;
	e->verified = verified;
	c->st.bytes += size;
	c->st.entries = c->n;
	evict_locked(c, name);
	return ERR_OK;
}

/* ---- files ------------------------------------------------------------------------ */

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Store a copy of an object; failures only cost a later miss. */
static void fill(struct cache_store *c, const char *key, const void *data, size_t len)
{
	if (len > c->max_bytes)
		return;
	char name[NAME_LEN + 1], path[4200], tmp[4300];
	key_name(key, name);
	file_path(c, name, path, sizeof(path));
	/* pid and thread: several datanodes may share one cache folder */
	snprintf(tmp, sizeof(tmp), "%s.%ld.%lu.tmp", path, (long)getpid(),
	         (unsigned long)pthread_self());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("sst cache: cannot create %s: %s", tmp, strerror(errno));
		return;
	}
	uint8_t tr[TRAILER];
	put_le(tr, len, 8);
	put_le(tr + 8, crc32c(0, data, len), 4);
	put_le(tr + 12, MAGIC, 4);
	int bad = write_all(fd, data, len) || write_all(fd, tr, TRAILER);
	bad |= close(fd) != 0;
	if (bad || rename(tmp, path)) {
		log_warn("sst cache: cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return;
	}
	pthread_mutex_lock(&c->mu);
	if (add_locked(c, name, len, true) == ERR_OK)
		c->st.fills++;
	pthread_mutex_unlock(&c->mu);
}

static int read_at(int fd, void *p, size_t n, uint64_t off)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = pread(fd, b, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* Drop a bad local copy (partial, corrupt, vanished). */
static void drop(struct cache_store *c, const char *name, const char *why)
{
	char path[4200];
	file_path(c, name, path, sizeof(path));
	pthread_mutex_lock(&c->mu);
	struct entry *e = find_locked(c, name);
	if (e)
		remove_locked(c, e);
	if (why)
		c->st.corrupt++;
	pthread_mutex_unlock(&c->mu);
	unlink(path);
	if (why)
		log_warn("sst cache: %s is %s: dropped, fetching again", path, why);
}

/* Read [off, off+len) of the cached copy of key (len clamped to the
 * object). ERR_NOT_FOUND when not cached or not trustworthy (then
 * dropped). *size gets the object's size. */
static int lookup(struct cache_store *c, const char *key, uint64_t off, uint64_t len,
                  uint8_t **data, size_t *outlen, uint64_t *size)
{
	char name[NAME_LEN + 1], path[4200];
	key_name(key, name);
	pthread_mutex_lock(&c->mu);
	struct entry *e = find_locked(c, name);
	bool verified = e && e->verified;
	if (e)
		e->used = ++c->clock;
	pthread_mutex_unlock(&c->mu);
	if (!e)
		return ERR_NOT_FOUND;
	file_path(c, name, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		drop(c, name, NULL);
		return ERR_NOT_FOUND;
	}
	int rc = ERR_OK;
	const char *why = NULL;
	uint8_t tr[TRAILER], *buf = NULL;
	struct stat sb;
	uint64_t psize = 0;
	if (fstat(fd, &sb) || sb.st_size < TRAILER ||
	    read_at(fd, tr, TRAILER, (uint64_t)sb.st_size - TRAILER) ||
	    get_le(tr + 12, 4) != MAGIC || get_le(tr, 8) != (uint64_t)sb.st_size - TRAILER) {
		why = "partial or not a cache file";
		goto out;
	}
	psize = get_le(tr, 8);
	if (!verified) {
		uint8_t *all = mem_alloc(psize ? psize : 1);
		if (!all) {
			rc = ERR_NOMEM;
			goto out;
		}
		if (read_at(fd, all, psize, 0) || crc32c(0, all, psize) != get_le(tr + 8, 4)) {
			mem_free(all);
			why = "corrupt (checksum mismatch)";
			goto out;
		}
		mem_free(all);
		pthread_mutex_lock(&c->mu);
		if ((e = find_locked(c, name)))
			e->verified = true;
		pthread_mutex_unlock(&c->mu);
	}
	if (off > psize)
		off = psize;
	if (len > psize - off)
		len = psize - off;
	if (!(buf = mem_alloc(len ? len : 1))) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (read_at(fd, buf, len, off)) {
		mem_free(buf);
		buf = NULL;
		why = "unreadable";
		goto out;
	}
	*data = buf;
	*outlen = (size_t)len;
	*size = psize;
out:
	close(fd);
	if (why) {
		drop(c, name, why);
		rc = ERR_NOT_FOUND;
	}
	return rc;
}

/* ---- ops ---------------------------------------------------------------------------------- */

static int c_put(struct objstore *s, const char *key, const void *data, size_t len,
                 unsigned flags)
{
	struct cache_store *c = (void *)s;
	int rc = objstore_put(c->inner, key, data, len, flags);
	if (rc == ERR_OK && objstore_cache_key_cacheable(key))
		fill(c, key, data, len);
	return rc;
}

static int c_range(struct cache_store *c, const char *key, uint64_t off, uint64_t len,
                   bool whole, uint8_t **data, size_t *outlen)
{
	uint64_t size;
	int rc = lookup(c, key, off, whole ? UINT64_MAX : len, data, outlen, &size);
	if (rc != ERR_NOT_FOUND) {
		if (rc == ERR_OK) {
			pthread_mutex_lock(&c->mu);
			c->st.hits++;
			pthread_mutex_unlock(&c->mu);
		}
		return rc;
	}
	pthread_mutex_lock(&c->mu);
	c->st.misses++;
	pthread_mutex_unlock(&c->mu);
	uint8_t *all;
	size_t n;
	if ((rc = objstore_get(c->inner, key, &all, &n)))
		return rc;
	fill(c, key, all, n);
	if (whole) {
		*data = all;
		*outlen = n;
		return ERR_OK;
	}
	if (off > n)
		off = n;
	if (len > n - off)
		len = n - off;
	uint8_t *part = mem_alloc(len ? len : 1);
	if (!part) {
		mem_free(all);
		return ERR_NOMEM;
	}
	memcpy(part, all + off, len);
	mem_free(all);
	*data = part;
	*outlen = (size_t)len;
	return ERR_OK;
}

static int c_get(struct objstore *s, const char *key, uint8_t **data, size_t *len)
{
	struct cache_store *c = (void *)s;
	if (!objstore_cache_key_cacheable(key))
		return objstore_get(c->inner, key, data, len);
	return c_range(c, key, 0, 0, true, data, len);
}

static int c_get_range(struct objstore *s, const char *key, uint64_t off, uint64_t len,
                       uint8_t **data, size_t *outlen)
{
	struct cache_store *c = (void *)s;
	if (!objstore_cache_key_cacheable(key))
		return objstore_get_range(c->inner, key, off, len, data, outlen);
	return c_range(c, key, off, len, false, data, outlen);
}

static int c_head(struct objstore *s, const char *key, uint64_t *size, int64_t *mtime_ms)
{
	/* always the inner store: region GC needs the object's mtime */
	return objstore_head(((struct cache_store *)s)->inner, key, size, mtime_ms);
}

static int c_list(struct objstore *s, const char *prefix, struct objstore_list *out)
{
	return objstore_list(((struct cache_store *)s)->inner, prefix, out);
}

static int c_del(struct objstore *s, const char *key)
{
	struct cache_store *c = (void *)s;
	int rc = objstore_delete(c->inner, key);
	if (rc == ERR_OK && objstore_cache_key_cacheable(key)) {
		char name[NAME_LEN + 1];
		key_name(key, name);
		drop(c, name, NULL);
	}
	return rc;
}

static void c_close(struct objstore *s)
{
	struct cache_store *c = (void *)s;
	objstore_close(c->inner);
	pthread_mutex_destroy(&c->mu);
	mem_free(c->e);
	mem_free(c->dir);
	mem_free(c);
}

static const struct objstore_ops cache_ops = {
    .name = "cache",
    .put = c_put,
    .get = c_get,
    .get_range = c_get_range,
    .head = c_head,
    .list = c_list,
    .del = c_del,
    .close = c_close,
};

/* ---- open ------------------------------------------------------------------------------------ */

/* Index the files of an earlier run (unverified); delete leftovers. */
static int scan_dir(struct cache_store *c)
{
	DIR *d = opendir(c->dir);
	if (!d)
		return err_set(ERR_IO, "sst cache %s: %s", c->dir, strerror(errno));
	struct dirent *de;
	int rc = ERR_OK;
	char path[4200];
	while (rc == ERR_OK && (de = readdir(d))) {
		const char *nm = de->d_name;
		size_t n = strlen(nm);
		if (nm[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->dir, nm);
		struct stat sb;
		if (n != NAME_LEN + 4 || strcmp(nm + NAME_LEN, ".sst") || stat(path, &sb) ||
		    sb.st_size < TRAILER) {
			if (n > 4 && !strcmp(nm + n - 4, ".tmp"))
				unlink(path);
			continue;
		}
		char name[NAME_LEN + 1];
		memcpy(name, nm, NAME_LEN);
		name[NAME_LEN] = 0;
		pthread_mutex_lock(&c->mu);
		rc = add_locked(c, name, (uint64_t)sb.st_size - TRAILER, false);
		pthread_mutex_unlock(&c->mu);
	}
	closedir(d);
	return rc;
}

int objstore_open_cache(struct objstore *inner, const char *dir, uint64_t max_bytes,
                        struct objstore **out)
{
	*out = NULL;
	struct cache_store *c = mem_calloc(1, sizeof(*c));
	if (!c) {
		objstore_close(inner);
		return ERR_NOMEM;
	}
	objstore_base_init(&c->base, &cache_ops);
	c->inner = inner;
	c->max_bytes = max_bytes;
	pthread_mutex_init(&c->mu, NULL);
	int rc = ERR_OK;
	if (!(c->dir = mem_strdup(dir)))
		rc = ERR_NOMEM;
	if (rc == ERR_OK && max_bytes == 0)
		rc = err_set(ERR_BAD_INPUT, "sst cache size must be above 0");
	if (rc == ERR_OK)
		rc = fs_mkdir_p(dir);
	if (rc == ERR_OK)
		rc = scan_dir(c);
	if (rc) {
		c_close(&c->base);
		return rc;
	}
	log_info("sst cache at %s: %zu files, %llu of %llu bytes", dir, c->n,
	         (unsigned long long)c->st.bytes, (unsigned long long)max_bytes);
	*out = &c->base;
	return ERR_OK;
}

int objstore_cache_get_stats(struct objstore *s, struct objstore_cache_stats *out)
{
	if (!s || s->ops != &cache_ops)
		return err_set(ERR_BAD_INPUT, "not an sst cache store");
	struct cache_store *c = (void *)s;
	pthread_mutex_lock(&c->mu);
	*out = c->st;
	pthread_mutex_unlock(&c->mu);
	return ERR_OK;
}
