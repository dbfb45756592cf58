/*
 * fs: the object store backend on a local folder ("fs", the default).
 *
 * Layout: key "a/b/c" is the file ROOT/a/b/c; folders are created on
 * demand by put and removed again by delete once empty (never ROOT itself).
 *
 * Invariants:
 *   - put never exposes a partial object: the bytes go to a temporary file
 *     ".tmp-<pid>-<counter>-<ns>" in the target folder, which is fsynced,
 *     then renamed over the key (plain put) or moved into place only if the
 *     key is still absent (OBJSTORE_PUT_IF_ABSENT: renameat2 with
 *     RENAME_NOREPLACE, falling back to link()+unlink() where the file
 *     system lacks it). Both are atomic in the kernel, so of two racing
 *     put-if-absent writers exactly one succeeds and the other gets
 *     ERR_EXISTS. The folder is fsynced afterwards (as is the parent of any
 *     folder put created), so a successful put is durable.
 *   - temporary files are never visible: every path segment starting with
 *     ".tmp-" is skipped by list, and keys with such a segment are refused
 *     (ERR_BAD_INPUT) by every op. A crash can leave a temporary file behind;
 *     it is garbage, harmless to readers.
 *   - list walks the folders under the prefix's folder part, keeps regular
 *     files whose key starts with the prefix and sorts keys bytewise
 *     (strcmp), as S3 does; symlinks and other special files are ignored.
 *   - a folder that vanishes while put is filling it (a concurrent delete
 *     pruned it) makes put recreate it and retry.
 *
 * Errors: a missing key (or a key whose parent is a file) is ERR_NOT_FOUND
 * for get/get_range/head; every other system failure is ERR_IO with the
 * path and strerror in the message.
 */
#include "objstore/objstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore_int.h"

#define TMP_MARK ".tmp-"
#define PUT_RETRIES 16

struct fs_store {
	struct objstore base;
	char *root;
	size_t rootlen;
};

static atomic_ulong tmp_counter;

static struct fs_store *fs_of(struct objstore *s) { return (struct fs_store *)s; }

static int io_err(const char *op, const char *path, int e)
{
	return err_set(ERR_IO, "objstore fs %s %s: %s", op, path, strerror(e));
}

/* Refuse keys that would name (or hide under) a temporary file. */
static int check_fs_key(const char *key)
{
	const char *seg = key;
	for (;;) {
		if (strncmp(seg, TMP_MARK, strlen(TMP_MARK)) == 0)
			return err_set(ERR_BAD_INPUT,
				       "object key '%s': segments starting with '" TMP_MARK
				       "' are reserved",
				       key);
		const char *slash = strchr(seg, '/');
		if (!slash)
			return ERR_OK;
		seg = slash + 1;
	}
}

/* ROOT/key, or NULL on OOM. */
static char *key_path(struct fs_store *fs, const char *key)
{
	size_t klen = strlen(key);
	char *p = mem_alloc(fs->rootlen + 1 + klen + 1);
	if (!p)
		return NULL;
	memcpy(p, fs->root, fs->rootlen);
	p[fs->rootlen] = '/';
	memcpy(p + fs->rootlen + 1, key, klen + 1);
	return p;
}

/* fsync a file or folder. A folder that vanished (pruned by a concurrent
 * delete) gives ERR_RETRY so that callers can tell it from an I/O error. */
static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(ERR_RETRY, "objstore fs %s vanished", path);
		return io_err("open", path, errno);
	}
	int rc = ERR_OK;
	if (fsync(fd) != 0 && errno != EINVAL) /* EINVAL: fs without dir fsync */
		rc = io_err("fsync", path, errno);
	close(fd);
	return rc;
}

/* The folder part of `path` (everything before the last '/') into a new string. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return mem_strndup(path, slash ? (size_t)(slash - path) : 0);
}

/* Create every missing folder of `path` (a file path) below `base_len`
 * characters (the root), fsyncing the parent of each folder created.
 * ERR_RETRY when a concurrent delete pruned a folder under our feet. */
static int make_parents(const char *path, size_t base_len)
{
	char *p = mem_strdup(path);
	if (!p)
		return ERR_NOMEM;
	int rc = ERR_OK;
	for (char *s = p + base_len + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0755) == 0) {
			char *parent = dir_of(p);
			if (!parent) {
				rc = ERR_NOMEM;
				break;
			}
			rc = fsync_path(parent, O_RDONLY | O_DIRECTORY);
			mem_free(parent);
			if (rc)
				break;
		} else if (errno == ENOENT) {
			rc = err_set(ERR_RETRY, "objstore fs mkdir %s: parent vanished", p);
			break;
		} else if (errno != EEXIST) {
			rc = errno == ENOTDIR ? err_set(ERR_IO,
							"objstore fs mkdir %s: a parent is an "
							"object, not a folder",
							p)
					      : io_err("mkdir", p, errno);
			break;
		}
		*s = '/';
	}
	mem_free(p);
	return rc;
}

static int write_all(int fd, const void *data, size_t len, const char *path)
{
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return io_err("write", path, errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return ERR_OK;
}

/* Move tmp to path unless path exists. ERR_EXISTS when it does. */
static int move_if_absent(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return ERR_OK;
	if (errno == EEXIST)
		return err_set(ERR_EXISTS, "object %s already exists", path);
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return io_err("rename", path, errno);
	/* No RENAME_NOREPLACE here: link() fails with EEXIST just as atomically. */
	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			return err_set(ERR_EXISTS, "object %s already exists", path);
		return io_err("link", path, errno);
	}
	unlink(tmp);
	return ERR_OK;
}

static int fs_put(struct objstore *s, const char *key, const void *data, size_t len,
		  unsigned flags)
{
	struct fs_store *fs = fs_of(s);
	char *path = NULL, *dir = NULL;
	struct buf tmp;
	int fd = -1, made_tmp = 0;
	buf_init(&tmp);
	int rc = check_fs_key(key);
	if (rc)
		goto out;
	path = key_path(fs, key);
	dir = path ? dir_of(path) : NULL;
	if (!dir) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (int attempt = 0; fd < 0; attempt++) {
		rc = make_parents(path, fs->rootlen);
		if (rc == ERR_RETRY && attempt + 1 < PUT_RETRIES)
			continue;
		if (rc)
			goto out;
		buf_reset(&tmp);
		unsigned long c = atomic_fetch_add(&tmp_counter, 1);
		if (buf_printf(&tmp, "%s/" TMP_MARK "%ld-%lu-%lld", dir, (long)getpid(), c,
			       (long long)clock_mono_ns())) {
			rc = ERR_NOMEM;
			goto out;
		}
		fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && (errno != ENOENT || attempt + 1 >= PUT_RETRIES)) {
			rc = io_err("create", buf_cstr(&tmp), errno);
			goto out;
		}
	}
	made_tmp = 1;
	rc = write_all(fd, data, len, buf_cstr(&tmp));
	if (rc)
		goto out;
	if (fsync(fd) != 0) {
		rc = io_err("fsync", buf_cstr(&tmp), errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = io_err("close", buf_cstr(&tmp), errno);
		goto out;
	}
	fd = -1;
	if (flags & OBJSTORE_PUT_IF_ABSENT) {
		rc = move_if_absent(buf_cstr(&tmp), path);
		if (rc == ERR_EXISTS)
			err_set(ERR_EXISTS, "object %s already exists", key);
	} else if (rename(buf_cstr(&tmp), path) != 0) {
		rc = io_err("rename", path, errno);
	}
	if (rc)
		goto out;
	made_tmp = 0;
	rc = fsync_path(dir, O_RDONLY | O_DIRECTORY);
	if (rc == ERR_RETRY) /* a concurrent delete already removed the object */
		rc = err_set(ERR_OK, NULL);
out:
	if (fd >= 0)
		close(fd);
	if (made_tmp)
		unlink(buf_cstr(&tmp));
	buf_free(&tmp);
	mem_free(dir);
	mem_free(path);
	return rc;
}

/* Open key for reading; ERR_NOT_FOUND when absent or not a regular file. */
static int open_object(struct fs_store *fs, const char *key, int *fdp, struct stat *st)
{
	*fdp = -1;
	int rc = check_fs_key(key);
	if (rc)
		return rc;
	char *path = key_path(fs, key);
	if (!path)
		return ERR_NOMEM;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			rc = err_set(ERR_NOT_FOUND, "object %s not found", key);
		else
			rc = io_err("open", path, errno);
		goto out;
	}
	if (fstat(fd, st) != 0) {
		rc = io_err("stat", path, errno);
		close(fd);
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		rc = err_set(ERR_NOT_FOUND, "object %s not found (not a file)", key);
		close(fd);
		goto out;
	}
	*fdp = fd;
out:
	mem_free(path);
	return rc;
}

/* Read up to `len` bytes at `off` into a new buffer; short only at EOF. */
static int read_at(int fd, uint64_t off, size_t len, const char *key, uint8_t **data,
		   size_t *outlen)
{
	uint8_t *p = mem_alloc(len);
	if (!p)
		return ERR_NOMEM;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			mem_free(p);
			return err_set(ERR_IO, "objstore fs read %s: %s", key, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*data = p;
	*outlen = got;
	return ERR_OK;
}

static int fs_get(struct objstore *s, const char *key, uint8_t **data, size_t *len)
{
	int fd;
	struct stat st;
	int rc = open_object(fs_of(s), key, &fd, &st);
	if (rc)
		return rc;
	rc = read_at(fd, 0, (size_t)st.st_size, key, data, len);
	close(fd);
	return rc;
}

static int fs_get_range(struct objstore *s, const char *key, uint64_t off, uint64_t len,
			uint8_t **data, size_t *outlen)
{
	int fd;
	struct stat st;
	int rc = open_object(fs_of(s), key, &fd, &st);
	if (rc)
		return rc;
	uint64_t size = (uint64_t)st.st_size;
	uint64_t n = off >= size ? 0 : size - off;
	if (len < n)
		n = len;
	rc = read_at(fd, off, (size_t)n, key, data, outlen);
	close(fd);
	return rc;
}

static int fs_head(struct objstore *s, const char *key, uint64_t *size, int64_t *mtime_ms)
{
	int fd;
	struct stat st;
	int rc = open_object(fs_of(s), key, &fd, &st);
	if (rc)
		return rc;
	close(fd);
	*size = (uint64_t)st.st_size;
	*mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	return ERR_OK;
}

struct entry {
	char *key;
	uint64_t size;
};

struct lister {
	struct entry *v;
	size_t n, cap;
	struct buf rel; /* the key of the folder being walked, with trailing '/' */
};

static const char *rel_name(struct lister *L)
{
	const char *s = buf_cstr(&L->rel);
	return s ? s : "?";
}

/* Walk the open folder `dirfd` (taking ownership), whose key prefix is
 * L->rel; at the top level only names starting with `tail` count. */
static int walk(struct lister *L, int fd, const char *tail)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return err_set(ERR_IO, "objstore fs list %s: %s", rel_name(L), strerror(e));
	}
	int rc = ERR_OK;
	size_t tlen = tail ? strlen(tail) : 0;
	size_t base = L->rel.len;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				rc = err_set(ERR_IO, "objstore fs list %s: %s", rel_name(L),
					     strerror(errno));
			break;
		}
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (!strncmp(name, TMP_MARK, strlen(TMP_MARK)))
			continue;
		if (tlen && strncmp(name, tail, tlen) != 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* deleted under us */
		L->rel.len = base;
		if (buf_append(&L->rel, name, strlen(name))) {
			rc = ERR_NOMEM;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (buf_putc(&L->rel, '/')) {
				rc = ERR_NOMEM;
				break;
			}
			int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				continue; /* pruned by a concurrent delete */
			rc = walk(L, sub, NULL);
			if (rc)
				break;
		} else if (S_ISREG(st.st_mode)) {
			void *v = L->v;
			if (mem_grow(&v, &L->cap, L->n + 1, sizeof(*L->v))) {
				rc = ERR_NOMEM;
				break;
			}
			L->v = v;
			char *k = mem_strndup((const char *)L->rel.data, L->rel.len);
			if (!k) {
				rc = ERR_NOMEM;
				break;
			}
			L->v[L->n].key = k;
			L->v[L->n].size = (uint64_t)st.st_size;
			L->n++;
		}
	}
	L->rel.len = base;
	closedir(d);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static int fs_list(struct objstore *s, const char *prefix, struct objstore_list *out)
{
	struct fs_store *fs = fs_of(s);
	struct lister L = {0};
	buf_init(&L.rel);
	char *dirpath = NULL;
	int rc = ERR_OK;
	const char *slash = strrchr(prefix, '/');
	size_t dlen = slash ? (size_t)(slash - prefix) + 1 : 0; /* with the '/' */
	const char *tail = prefix + dlen;
	dirpath = mem_alloc(fs->rootlen + 1 + dlen + 1);
	if (buf_append(&L.rel, prefix, dlen) || !dirpath) {
		rc = ERR_NOMEM;
		goto out;
	}
	memcpy(dirpath, fs->root, fs->rootlen);
	dirpath[fs->rootlen] = '/';
	memcpy(dirpath + fs->rootlen + 1, prefix, dlen);
	dirpath[fs->rootlen + 1 + dlen] = '\0';
	int fd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			rc = io_err("list", dirpath, errno);
		goto out; /* no such folder: nothing under the prefix */
	}
	rc = walk(&L, fd, tail);
	if (rc)
		goto out;
	if (L.n > 1)
		qsort(L.v, L.n, sizeof(*L.v), cmp_entry);
	out->keys = mem_calloc(L.n, sizeof(*out->keys));
	out->sizes = mem_calloc(L.n, sizeof(*out->sizes));
	if (!out->keys || !out->sizes) {
		mem_free(out->keys);
		mem_free(out->sizes);
		out->keys = NULL;
		out->sizes = NULL;
		rc = ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < L.n; i++) {
		out->keys[i] = L.v[i].key;
		out->sizes[i] = L.v[i].size;
	}
	out->n = L.n;
	L.n = 0; /* keys now belong to out */
out:
	for (size_t i = 0; i < L.n; i++)
		mem_free(L.v[i].key);
	mem_free(L.v);
	buf_free(&L.rel);
	mem_free(dirpath);
	return rc;
}

static int fs_del(struct objstore *s, const char *key)
{
	struct fs_store *fs = fs_of(s);
	int rc = check_fs_key(key);
	if (rc)
		return rc;
	char *path = key_path(fs, key);
	if (!path)
		return ERR_NOMEM;
	if (unlink(path) != 0) {
		if (errno != ENOENT && errno != ENOTDIR && errno != EISDIR)
			rc = io_err("unlink", path, errno);
		goto out;
	}
	/* Prune folders left empty, up to (not including) the root. A racing
	 * put that loses its folder recreates it (see fs_put). */
	for (char *sl = strrchr(path, '/'); sl && (size_t)(sl - path) > fs->rootlen;
	     sl = strrchr(path, '/')) {
		*sl = '\0';
		if (rmdir(path) != 0)
			break;
	}
out:
	mem_free(path);
	return rc;
}

static void fs_close(struct objstore *s)
{
	struct fs_store *fs = fs_of(s);
	mem_free(fs->root);
	mem_free(fs);
}

static const struct objstore_ops fs_ops = {
	.name = "fs",
	.put = fs_put,
	.get = fs_get,
	.get_range = fs_get_range,
	.head = fs_head,
	.list = fs_list,
	.del = fs_del,
	.close = fs_close,
};

/* mkdir -p */
static int make_root(char *root)
{
	for (char *s = root + 1;; s++) {
		char c = *s;
		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		int r = mkdir(root, 0755);
		int e = errno;
		*s = c;
		if (r != 0 && e != EEXIST)
			return io_err("mkdir", root, e);
		if (c == '\0')
			break;
	}
	struct stat st;
	if (stat(root, &st) != 0)
		return io_err("stat", root, errno);
	if (!S_ISDIR(st.st_mode))
		return err_set(ERR_IO, "objstore fs root %s is not a folder", root);
	return ERR_OK;
}

int objstore_open_fs(const char *root, struct objstore **out)
{
	*out = NULL;
	if (!root || !*root)
		return err_set(ERR_BAD_INPUT, "objstore fs: empty root");
	struct fs_store *fs = mem_calloc(1, sizeof(*fs));
	if (!fs)
		return ERR_NOMEM;
	fs->root = mem_strdup(root);
	if (!fs->root) {
		mem_free(fs);
		return ERR_NOMEM;
	}
	fs->rootlen = strlen(fs->root);
	while (fs->rootlen > 1 && fs->root[fs->rootlen - 1] == '/')
		fs->root[--fs->rootlen] = '\0';
	int rc = make_root(fs->root);
	if (rc) {
		fs_close(&fs->base);
		return rc;
	}
	objstore_base_init(&fs->base, &fs_ops);
	*out = &fs->base;
	return ERR_OK;
}
