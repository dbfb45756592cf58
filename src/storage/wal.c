/*
 * wal: the datanode's write-ahead log (API and lifecycle in wal.h).
 *
 * FILES. The log is a folder of segment files named {id:020}.wal, where id
 * is a counter that starts at 1 and grows by one per new segment (ids may
 * have gaps once old segments are deleted), plus a LOCK file that holds an
 * exclusive flock while the log is open. New records always go to the
 * segment with the highest id (the active segment); it rolls over to id+1
 * when a group is about to be written and the active segment has grown to
 * segment_bytes or more, so a segment ends a little past segment_bytes.
 *
 * SEGMENT LAYOUT (little-endian):
 *   offset 0   segment header, 16 bytes
 *     u8[4]    magic "SWAL"
 *     u32      format version, 1
 *     u64      segment id (equal to the number in the file name)
 *   offset 16  records, back to back, no padding:
 *     u32      crc32c (base/crc32c.h, seed 0) of the 20 header bytes that
 *              follow it and the payload, i.e. of bytes [4, 24 + length)
 *     u32      length of the payload, <= WAL_MAX_PAYLOAD (256 MiB)
 *     u64      region_id
 *     u64      seq (per region; the WAL neither checks nor orders it)
 *     u8[len]  payload (opaque here; a column_codec batch in practice)
 *   the file ends right after the last record.
 *
 * RECOVERY (wal_open) reads every segment in id order and verifies every
 * record. A record is bad when its header is incomplete, its length is
 * over the cap or runs past the end of the file, or its CRC does not
 * match. In the LAST segment a bad record is a torn tail, left by a crash
 * in the middle of a group write, and everything from it to the end of the
 * file is cut off (ftruncate + fdatasync, log_warn) - unless its length is
 * sane and the record right after it verifies, which means good data
 * follows the damage: that is ERR_CORRUPT, as we never drop data silently.
 * Such a tail can only hold records whose group was never acknowledged,
 * because an append returns only after its whole group is durable. In any
 * other segment every bad record is ERR_CORRUPT (file, offset): those
 * segments were complete and synced before the next one was created (at
 * rollover the old segment is fdatasync'ed in every sync mode). A last
 * segment whose header is incomplete, or that holds only a bad header (a
 * crash while creating it), gets a fresh header. Appending continues at the
 * end of the last good record of the last segment.
 *
 * GROUP COMMIT. wal_append computes its record header and CRC in the
 * caller's thread, then queues a `struct pending` (on its own stack) under
 * w->mu. If no thread is leading, it becomes the leader: it takes the whole
 * queue, drops the lock, writes every queued record with pwritev (header
 * and payload iovecs, no copy), issues one fdatasync (WAL_SYNC_FSYNC),
 * then retakes the lock, records the new segment size and per-segment
 * region maps, marks every pending done with the result and broadcasts.
 * Appenders that queued meanwhile form the next group, led by the first of
 * them to wake. If the write or the sync fails, the file is truncated back
 * to where the group started (and that is synced), so records whose append
 * failed never reappear; if the truncation itself fails the log is marked
 * broken and refuses appends until reopened.
 *
 * TRIMMING. Each segment keeps, per region, the highest seq it holds
 * (filled at open and on append). w->flushed maps region -> flushed seq
 * (UINT64_MAX once forgotten). A segment other than the active one is
 * deleted when every region in it has flushed >= its max seq there.
 * The check runs on every wal_mark_flushed / wal_forget_region and right
 * after a rollover (the old active segment may be obsolete already).
 * Deleting an older segment never makes a newer one unreadable: segments
 * are independent.
 *
 * LOCKING. w->mu protects the segment list, the region maps, the flushed
 * map, the queue and the stats. The current leader alone owns fd,
 * write_off and the iovec array (w->leading says one exists); it changes
 * the segment list (rollover) only under w->mu. Replay opens the segments
 * it needs under w->mu, so a concurrent deletion only unlinks a name.
 */
#include "storage/wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/fs.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/mem.h"

#define SEG_HDR      16
#define SEG_VERSION  1
#define REC_HDR      24
#define READ_CHUNK   (1u << 20)
#define MAX_IOV      1024
#define ERRMSG_BYTES 200

static const uint8_t seg_magic[4] = {'S', 'W', 'A', 'L'};

/* ---- a small open-addressing map uint64 -> uint64 ---- */

struct slot {
	uint64_t key;
	uint64_t val;
	int used;
};

struct u64map {
	struct slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t n;
};

static size_t slot_of(const struct u64map *m, uint64_t key)
{
	return (size_t)hash_u64(key) & (m->cap - 1);
}

static struct slot *map_find(const struct u64map *m, uint64_t key)
{
	if (m->cap == 0)
		return NULL;
	for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].used)
			return NULL;
		if (m->slots[i].key == key)
			return &m->slots[i];
	}
}

/* Make room for `extra` new keys without further allocation. */
static int map_reserve(struct u64map *m, size_t extra)
{
	if ((m->n + extra) * 2 <= m->cap)
		return ERR_OK;
	size_t ncap = m->cap ? m->cap : 8;
	while ((m->n + extra) * 2 > ncap)
		ncap *= 2;
	struct slot *s = mem_calloc(ncap, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	struct u64map nm = {s, ncap, 0};
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].used)
			continue;
		size_t j = slot_of(&nm, m->slots[i].key);
		while (s[j].used)
			j = (j + 1) & (ncap - 1);
		s[j] = m->slots[i];
		nm.n++;
	}
	mem_free(m->slots);
	*m = nm;
	return ERR_OK;
}

/* Insert key, or raise its value to val. Never allocates after a
 * successful map_reserve for this key. */
static int map_put_max(struct u64map *m, uint64_t key, uint64_t val)
{
	struct slot *s = map_find(m, key);
	if (s) {
		if (val > s->val)
			s->val = val;
		return ERR_OK;
	}
	if (map_reserve(m, 1))
		return ERR_NOMEM;
	size_t i = slot_of(m, key);
	while (m->slots[i].used)
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = (struct slot){key, val, 1};
	m->n++;
	return ERR_OK;
}

static void map_free(struct u64map *m)
{
	mem_free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- the log ---- */

struct seg {
	uint64_t id;
	uint64_t size;         /* bytes of header + complete records */
	struct u64map regions; /* region -> max seq in this segment */
};

struct pending {
	uint8_t hdr[REC_HDR];
	const void *payload;
	size_t len;
	uint64_t region;
	uint64_t seq;
	struct pending *next;
	int done;
	int rc;
	char msg[ERRMSG_BYTES];
};

struct wal {
	char *dir;
	int dir_fd;
	int lock_fd;
	enum wal_sync_mode sync;
	uint64_t seg_bytes;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct seg **segs; /* sorted by id; segs[nsegs-1] is active */
	size_t nsegs;
	size_t segs_cap;
	struct u64map flushed;
	struct pending *q_head;
	struct pending *q_tail;
	int leading;
	int broken;
	char broken_msg[ERRMSG_BYTES];
	struct wal_stats st;

	/* owned by the current leader (or by open/close) */
	int fd;
	uint64_t active_id;
	uint64_t write_off;
	struct iovec *iov;
	size_t iov_cap;
};

static void seg_path(const struct wal *w, uint64_t id, char *out, size_t n)
{
	snprintf(out, n, "%s/%020llu.wal", w->dir, (unsigned long long)id);
}

static void seg_free(struct seg *s)
{
	if (!s)
		return;
	map_free(&s->regions);
	mem_free(s);
}

static int io_err(const char *what, const char *path)
{
	return err_set(ERR_IO, "wal: %s %s: %s", what, path, strerror(errno));
}

static int full_pwrite(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = pwrite(fd, b, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static void seg_header(uint8_t *h, uint64_t id)
{
	memcpy(h, seg_magic, 4);
	le_put_u32(h + 4, SEG_VERSION);
	le_put_u64(h + 8, id);
}

/* Write a fresh header at offset 0 of fd (already truncated) and sync it. */
static int write_seg_header(int fd, uint64_t id, const char *path)
{
	uint8_t h[SEG_HDR];
	seg_header(h, id);
	if (full_pwrite(fd, h, SEG_HDR, 0) || fdatasync(fd))
		return io_err("write header of", path);
	return ERR_OK;
}

/* Append s to the sorted segment list (ids only grow). Caller holds mu or
 * is in open. */
static int segs_push(struct wal *w, struct seg *s)
{
	if (w->nsegs == w->segs_cap) {
		void *p = w->segs;
		if (mem_grow(&p, &w->segs_cap, w->nsegs + 1, sizeof(*w->segs)))
			return ERR_NOMEM;
		w->segs = p;
	}
	w->segs[w->nsegs++] = s;
	return ERR_OK;
}

/* ---- reading records ---- */

enum rec_status { REC_OK, REC_END, REC_TORN, REC_BAD_LEN, REC_BAD_CRC, REC_IOERR };

struct reader {
	int fd;
	const char *path;
	uint64_t limit; /* bytes of the file that belong to the log */
	uint64_t off;   /* file offset of the next record */
	uint8_t *buf;
	size_t cap;
	uint64_t buf_off; /* file offset of buf[0] */
	size_t buf_len;
};

struct rec {
	uint64_t off;
	uint64_t region;
	uint64_t seq;
	const uint8_t *payload;
	uint32_t len;
};

static void reader_init(struct reader *r, int fd, const char *path, uint64_t start, uint64_t limit)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->path = path;
	r->off = start;
	r->limit = limit;
	r->buf_off = start;
}

static void reader_free(struct reader *r)
{
	mem_free(r->buf);
}

/* Make file bytes [off, off+n) available; off + n <= limit. Returns a
 * pointer into the buffer, or NULL with the error set. */
static const uint8_t *reader_fill(struct reader *r, uint64_t off, size_t n)
{
	if (off >= r->buf_off && off + n <= r->buf_off + r->buf_len)
		return r->buf + (off - r->buf_off);
	if (off >= r->buf_off && off <= r->buf_off + r->buf_len) {
		size_t keep = (size_t)(r->buf_off + r->buf_len - off);
		if (keep)
			memmove(r->buf, r->buf + (off - r->buf_off), keep);
		r->buf_len = keep;
	} else {
		r->buf_len = 0;
	}
	r->buf_off = off;
	if (n > r->cap || r->cap < READ_CHUNK) {
		size_t ncap = n > READ_CHUNK ? n : READ_CHUNK;
		void *p = mem_realloc(r->buf, ncap);
		if (!p)
			return NULL;
		r->buf = p;
		r->cap = ncap;
	}
	while (r->buf_len < n) {
		uint64_t at = r->buf_off + r->buf_len;
		size_t want = r->cap - r->buf_len;
		if (want > r->limit - at)
			want = (size_t)(r->limit - at);
		ssize_t k = pread(r->fd, r->buf + r->buf_len, want, (off_t)at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			io_err("read", r->path);
			return NULL;
		}
		if (k == 0) {
			err_set(ERR_CORRUPT, "wal: %s: file ends at %llu, expected %llu bytes",
			        r->path, (unsigned long long)at, (unsigned long long)r->limit);
			return NULL;
		}
		r->buf_len += (size_t)k;
	}
	return r->buf;
}

/* Read the record at r->off. On REC_OK, rec is filled and r->off advanced;
 * on REC_BAD_CRC, rec->off/len describe it and r->off is moved past it. */
static enum rec_status reader_next(struct reader *r, struct rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->off = r->off;
	if (r->off == r->limit)
		return REC_END;
	if (r->limit - r->off < REC_HDR)
		return REC_TORN;
	const uint8_t *p = reader_fill(r, r->off, REC_HDR);
	if (!p)
		return REC_IOERR;
	uint32_t len = le_get_u32(p + 4);
	rec->len = len;
	if (len > WAL_MAX_PAYLOAD)
		return REC_BAD_LEN;
	if (r->limit - r->off - REC_HDR < len)
		return REC_TORN;
	p = reader_fill(r, r->off, REC_HDR + (size_t)len);
	if (!p)
		return REC_IOERR;
	uint32_t want = le_get_u32(p);
	r->off += REC_HDR + (uint64_t)len;
	if (crc32c(0, p + 4, REC_HDR - 4 + (size_t)len) != want)
		return REC_BAD_CRC;
	rec->region = le_get_u64(p + 8);
	rec->seq = le_get_u64(p + 16);
	rec->payload = p + REC_HDR;
	return REC_OK;
}

static const char *rec_status_name(enum rec_status s)
{
	switch (s) {
	case REC_TORN:
		return "incomplete record";
	case REC_BAD_LEN:
		return "record length over the cap";
	case REC_BAD_CRC:
		return "CRC mismatch";
	default:
		return "bad record";
	}
}

/* ---- open: scanning and repairing segments ---- */

static int parse_seg_name(const char *name, uint64_t *id)
{
	if (strlen(name) != 24 || strcmp(name + 20, ".wal") != 0)
		return 0;
	uint64_t v = 0;
	for (int i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		uint64_t d = (uint64_t)(name[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*id = v;
	return v != 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int list_segments(struct wal *w, uint64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	size_t cap = 0;
	DIR *d = opendir(w->dir);
	if (!d)
		return io_err("list", w->dir);
	int rc = ERR_OK;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		uint64_t id;
		if (!parse_seg_name(e->d_name, &id))
			continue;
		void *p = *ids;
		if (mem_grow(&p, &cap, *n + 1, sizeof(uint64_t))) {
			rc = ERR_NOMEM;
			break;
		}
		*ids = p;
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	if (rc) {
		mem_free(*ids);
		*ids = NULL;
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(*ids, *n, sizeof(uint64_t), cmp_u64);
	return ERR_OK;
}

/* Cut the last segment at `off`, where its torn tail begins. */
static int cut_tail(struct wal *w, int fd, const char *path, uint64_t off, uint64_t size,
                    const char *why)
{
	log_warn("wal: %s: torn tail at offset %llu (%s), truncating %llu bytes", path,
	         (unsigned long long)off, why, (unsigned long long)(size - off));
	if (ftruncate(fd, (off_t)off) || fdatasync(fd))
		return io_err("truncate", path);
	w->st.torn_bytes += size - off;
	return ERR_OK;
}

/* Verify one segment, build its region map and set its size. The last
 * segment is opened read-write and repaired; others must be intact. */
static int scan_segment(struct wal *w, struct seg *s, int is_last)
{
	char path[PATH_MAX];
	seg_path(w, s->id, path, sizeof(path));
	int fd = open(path, (is_last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return io_err("open", path);
	int rc = ERR_OK;
	struct reader r;
	reader_init(&r, fd, path, SEG_HDR, 0);
	struct stat sb;
	if (fstat(fd, &sb)) {
		rc = io_err("stat", path);
		goto out;
	}
	uint64_t size = (uint64_t)sb.st_size;
	uint8_t h[SEG_HDR], want[SEG_HDR];
	seg_header(want, s->id);
	int hdr_ok =
	    size >= SEG_HDR && pread(fd, h, SEG_HDR, 0) == SEG_HDR && memcmp(h, want, SEG_HDR) == 0;
	if (!hdr_ok) {
		if (is_last && size <= SEG_HDR) {
			log_warn("wal: %s: incomplete segment header (%llu bytes), rewriting it",
			         path, (unsigned long long)size);
			if (ftruncate(fd, 0)) {
				rc = io_err("truncate", path);
				goto out;
			}
			rc = write_seg_header(fd, s->id, path);
			s->size = SEG_HDR;
			goto out;
		}
		rc = err_set(ERR_CORRUPT,
		             "wal: %s: bad segment header (want magic SWAL, version %u, id %llu)",
		             path, SEG_VERSION, (unsigned long long)s->id);
		goto out;
	}
	r.limit = size;
	for (;;) {
		struct rec rec;
		enum rec_status st = reader_next(&r, &rec);
		if (st == REC_OK) {
			rc = map_put_max(&s->regions, rec.region, rec.seq);
			if (rc)
				goto out;
			continue;
		}
		if (st == REC_END) {
			s->size = size;
			break;
		}
		if (st == REC_IOERR) {
			rc = err_code() ? err_code() : ERR_IO;
			goto out;
		}
		if (!is_last) {
			rc = err_set(ERR_CORRUPT,
			             "wal: %s: %s at offset %llu (not the last segment)", path,
			             rec_status_name(st), (unsigned long long)rec.off);
			goto out;
		}
		if (st == REC_BAD_CRC && r.off < size) {
			struct rec next;
			if (reader_next(&r, &next) == REC_OK) {
				rc = err_set(ERR_CORRUPT,
				             "wal: %s: CRC mismatch at offset %llu, followed by a "
				             "valid record at %llu",
				             path, (unsigned long long)rec.off,
				             (unsigned long long)next.off);
				goto out;
			}
		}
		rc = cut_tail(w, fd, path, rec.off, size, rec_status_name(st));
		s->size = rec.off;
		break;
	}
out:
	reader_free(&r);
	close(fd);
	return rc;
}

/* Create segment `id` with its header, synced, and sync the folder.
 * Returns the open write fd in *fd. */
static int create_segment(struct wal *w, uint64_t id, int *fd)
{
	char path[PATH_MAX];
	seg_path(w, id, path, sizeof(path));
	*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (*fd < 0)
		return io_err("create", path);
	int rc = write_seg_header(*fd, id, path);
	if (!rc && fsync(w->dir_fd))
		rc = io_err("sync directory", w->dir);
	if (rc) {
		close(*fd);
		*fd = -1;
		unlink(path);
	}
	return rc;
}

int wal_open(const struct wal_options *opt, struct wal **out)
{
	*out = NULL;
	if (!opt || !opt->dir || !*opt->dir)
		return err_set(ERR_BAD_INPUT, "wal: no directory given");
	if (opt->sync != WAL_SYNC_FSYNC && opt->sync != WAL_SYNC_NONE)
		return err_set(ERR_BAD_INPUT, "wal: bad sync mode %d", (int)opt->sync);
	int rc = fs_mkdir_p(opt->dir) ? err_wrap("wal: bad directory '%s'", opt->dir) : ERR_OK;
	if (rc)
		return rc;
	struct wal *w = mem_calloc(1, sizeof(*w));
	if (!w)
		return ERR_NOMEM;
	w->dir_fd = w->lock_fd = w->fd = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->sync = opt->sync;
	w->seg_bytes = opt->segment_bytes ? opt->segment_bytes : WAL_DEFAULT_SEGMENT_BYTES;
	uint64_t *ids = NULL;
	size_t nids = 0;
	w->dir = mem_strdup(opt->dir);
	if (!w->dir) {
		rc = ERR_NOMEM;
		goto out;
	}
	w->dir_fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dir_fd < 0) {
		rc = io_err("open directory", w->dir);
		goto out;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/LOCK", w->dir);
	w->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (w->lock_fd < 0) {
		rc = io_err("open", path);
		goto out;
	}
	if (flock(w->lock_fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK
		         ? err_set(ERR_CONFLICT, "wal: %s is in use by another wal", w->dir)
		         : io_err("lock", path);
		goto out;
	}
	rc = list_segments(w, &ids, &nids);
	if (rc)
		goto out;
	for (size_t i = 0; i < nids; i++) {
		struct seg *s = mem_calloc(1, sizeof(*s));
		if (!s) {
			rc = ERR_NOMEM;
			goto out;
		}
		s->id = ids[i];
		if ((rc = segs_push(w, s))) {
			seg_free(s);
			goto out;
		}
		if ((rc = scan_segment(w, s, i + 1 == nids)))
			goto out;
		w->st.disk_bytes += s->size;
	}
	if (w->nsegs == 0) {
		struct seg *s = mem_calloc(1, sizeof(*s));
		if (!s) {
			rc = ERR_NOMEM;
			goto out;
		}
		s->id = 1;
		s->size = SEG_HDR;
		if ((rc = segs_push(w, s))) {
			seg_free(s);
			goto out;
		}
		if ((rc = create_segment(w, 1, &w->fd)))
			goto out;
		w->st.disk_bytes += SEG_HDR;
	} else {
		struct seg *a = w->segs[w->nsegs - 1];
		seg_path(w, a->id, path, sizeof(path));
		w->fd = open(path, O_RDWR | O_CLOEXEC);
		if (w->fd < 0) {
			rc = io_err("open", path);
			goto out;
		}
	}
	w->write_off = w->segs[w->nsegs - 1]->size;
	w->active_id = w->segs[w->nsegs - 1]->id;
	log_info("wal: opened %s: %zu segments, appending to %020llu.wal at %llu", w->dir, w->nsegs,
	         (unsigned long long)w->segs[w->nsegs - 1]->id, (unsigned long long)w->write_off);
out:
	mem_free(ids);
	if (rc) {
		wal_close(w);
		return rc;
	}
	*out = w;
	return ERR_OK;
}

void wal_close(struct wal *w)
{
	if (!w)
		return;
	if (w->fd >= 0) {
		if (w->sync == WAL_SYNC_NONE && fdatasync(w->fd))
			log_warn("wal: sync at close of %s: %s", w->dir, strerror(errno));
		close(w->fd);
	}
	if (w->dir_fd >= 0)
		close(w->dir_fd);
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	for (size_t i = 0; i < w->nsegs; i++)
		seg_free(w->segs[i]);
	mem_free(w->segs);
	map_free(&w->flushed);
	mem_free(w->iov);
	mem_free(w->dir);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	mem_free(w);
}

/* ---- appending ---- */

/* Leader only, without mu: start a new segment after the active one. The
 * old segment is synced first in every mode, so that only the last
 * segment can ever have a torn tail. */
static int roll_segment(struct wal *w)
{
	if (w->sync == WAL_SYNC_NONE && fdatasync(w->fd))
		return err_set(ERR_IO, "wal: sync %s/%020llu.wal: %s", w->dir,
		               (unsigned long long)w->active_id, strerror(errno));
	struct seg *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->id = w->active_id + 1;
	s->size = SEG_HDR;
	int fd;
	int rc = create_segment(w, s->id, &fd);
	if (rc) {
		seg_free(s);
		return rc;
	}
	pthread_mutex_lock(&w->mu);
	rc = segs_push(w, s);
	if (!rc)
		w->st.disk_bytes += SEG_HDR;
	pthread_mutex_unlock(&w->mu);
	if (rc) {
		char path[PATH_MAX];
		seg_path(w, s->id, path, sizeof(path));
		close(fd);
		unlink(path);
		seg_free(s);
		return rc;
	}
	close(w->fd);
	w->fd = fd;
	w->active_id = s->id;
	w->write_off = SEG_HDR;
	return ERR_OK;
}

/* Leader only, without mu: undo a failed group by cutting the file back.
 * Returns 0, or -1 when the file could not be restored. */
static int undo_group(struct wal *w, uint64_t off)
{
	if (ftruncate(w->fd, (off_t)off))
		return -1;
	if (w->sync == WAL_SYNC_FSYNC && fdatasync(w->fd))
		return -1;
	return 0;
}

/* Leader only, without mu: write the group's records at w->write_off and
 * make them durable per the sync mode. */
static int write_group(struct wal *w, struct pending *grp, size_t n, uint64_t bytes, int *synced)
{
	*synced = 0;
	if (w->iov_cap < 2 * n) {
		void *p = w->iov;
		if (mem_grow(&p, &w->iov_cap, 2 * n, sizeof(struct iovec)))
			return ERR_NOMEM;
		w->iov = p;
	}
	size_t k = 0;
	for (struct pending *p = grp; p; p = p->next) {
		w->iov[k++] = (struct iovec){p->hdr, REC_HDR};
		if (p->len)
			w->iov[k++] = (struct iovec){(void *)p->payload, p->len};
	}
	uint64_t start = w->write_off, off = start;
	struct iovec *iov = w->iov;
	int rc = ERR_OK;
	while (k > 0) {
		int cnt = k > MAX_IOV ? MAX_IOV : (int)k;
		ssize_t got = pwritev(w->fd, iov, cnt, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = err_set(ERR_IO, "wal: write %s/%020llu.wal at %llu: %s", w->dir,
			             (unsigned long long)w->active_id, (unsigned long long)off,
			             got ? strerror(errno) : "no progress");
			break;
		}
		off += (uint64_t)got;
		size_t left = (size_t)got;
		while (k > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			k--;
		}
		if (left) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	if (!rc && w->sync == WAL_SYNC_FSYNC) {
		rc = fault_hit(FAULT_WAL_FSYNC);
		if (!rc) {
			*synced = 1;
			if (fdatasync(w->fd))
				rc = err_set(ERR_IO, "wal: fdatasync %s: %s", w->dir,
				             strerror(errno));
		}
	}
	if (rc) {
		if (undo_group(w, start))
			return -rc; /* negative: the log is now broken */
		return rc;
	}
	w->write_off = start + bytes;
	return ERR_OK;
}

static int trim_locked(struct wal *w);

/* Called with mu held and no leader: write everything queued. Returns with
 * mu held. */
static void lead(struct wal *w)
{
	struct pending *grp = w->q_head;
	w->q_head = w->q_tail = NULL;
	w->leading = 1;
	size_t n = 0;
	uint64_t bytes = 0;
	for (struct pending *p = grp; p; p = p->next) {
		n++;
		bytes += REC_HDR + p->len;
	}
	int need_roll = w->write_off > SEG_HDR && w->write_off >= w->seg_bytes;
	int rc = ERR_OK, synced = 0;
	if (w->broken) {
		/* queued before an earlier group broke the log */
		rc = err_set(ERR_IO, "wal: %s is unusable after a failed write (%s); reopen it",
		             w->dir, w->broken_msg);
		need_roll = 0;
		goto done;
	}
	pthread_mutex_unlock(&w->mu);

	if (need_roll)
		rc = roll_segment(w);
	if (!rc) {
		pthread_mutex_lock(&w->mu);
		rc = map_reserve(&w->segs[w->nsegs - 1]->regions, n);
		pthread_mutex_unlock(&w->mu);
	}
	if (!rc)
		rc = write_group(w, grp, n, bytes, &synced);

	pthread_mutex_lock(&w->mu);
done:
	if (rc < 0) {
		rc = -rc;
		w->broken = 1;
		snprintf(w->broken_msg, sizeof(w->broken_msg), "%s", err_msg());
		log_error("wal: %s: a failed write could not be undone; refusing appends: %s",
		          w->dir, err_msg());
	}
	if (!rc) {
		struct seg *a = w->segs[w->nsegs - 1];
		for (struct pending *p = grp; p; p = p->next)
			map_put_max(&a->regions, p->region, p->seq); /* reserved: cannot fail */
		a->size = w->write_off;
		w->st.appends += n;
		w->st.groups++;
		w->st.bytes_appended += bytes;
		w->st.disk_bytes += bytes;
	}
	/* the segment that just stopped being active may be obsolete already */
	if (need_roll && !rc && trim_locked(w))
		log_warn("wal: %s", err_msg());
	w->st.syncs += (uint64_t)synced;
	for (struct pending *p = grp, *next; p; p = next) {
		next = p->next;
		p->rc = rc;
		if (rc)
			snprintf(p->msg, sizeof(p->msg), "%s", err_msg());
		p->done = 1;
	}
	w->leading = 0;
	pthread_cond_broadcast(&w->cv);
}

int wal_append(struct wal *w, uint64_t region_id, uint64_t seq, const void *payload, size_t len)
{
	if (len > WAL_MAX_PAYLOAD)
		return err_set(ERR_LIMIT, "wal: entry of %zu bytes is over the %u byte cap", len,
		               WAL_MAX_PAYLOAD);
	struct pending me;
	me.payload = payload;
	me.len = len;
	me.region = region_id;
	me.seq = seq;
	me.next = NULL;
	me.done = 0;
	me.rc = 0;
	me.msg[0] = '\0';
	le_put_u32(me.hdr + 4, (uint32_t)len);
	le_put_u64(me.hdr + 8, region_id);
	le_put_u64(me.hdr + 16, seq);
	uint32_t crc = crc32c(0, me.hdr + 4, REC_HDR - 4);
	if (len)
		crc = crc32c(crc, payload, len);
	le_put_u32(me.hdr, crc);

	pthread_mutex_lock(&w->mu);
	if (w->broken) {
		pthread_mutex_unlock(&w->mu);
		return err_set(ERR_IO, "wal: %s is unusable after a failed write (%s); reopen it",
		               w->dir, w->broken_msg);
	}
	if (w->q_tail)
		w->q_tail->next = &me;
	else
		w->q_head = &me;
	w->q_tail = &me;
	while (!me.done) {
		if (!w->leading)
			lead(w);
		else
			pthread_cond_wait(&w->cv, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	if (me.rc)
		return err_set(me.rc, "%s", me.msg);
	return fault_hit(FAULT_WAL_APPEND_AFTER);
}

/* ---- replay ---- */

struct replay_seg {
	int fd;
	uint64_t id;
	uint64_t limit;
};

int wal_replay(struct wal *w, uint64_t region_id, uint64_t after_seq,
               int (*cb)(void *arg, uint64_t seq, const uint8_t *payload, size_t len), void *arg)
{
	int rc = ERR_OK;
	size_t n = 0;
	char path[PATH_MAX];
	pthread_mutex_lock(&w->mu);
	struct replay_seg *rs = mem_calloc(w->nsegs, sizeof(*rs));
	if (!rs)
		rc = ERR_NOMEM;
	for (size_t i = 0; !rc && i < w->nsegs; i++) {
		struct seg *s = w->segs[i];
		struct slot *sl = map_find(&s->regions, region_id);
		if (!sl || sl->val <= after_seq)
			continue;
		seg_path(w, s->id, path, sizeof(path));
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = io_err("open", path);
			break;
		}
		rs[n++] = (struct replay_seg){fd, s->id, s->size};
	}
	pthread_mutex_unlock(&w->mu);

	for (size_t i = 0; !rc && i < n; i++) {
		seg_path(w, rs[i].id, path, sizeof(path));
		struct reader r;
		reader_init(&r, rs[i].fd, path, SEG_HDR, rs[i].limit);
		for (;;) {
			struct rec rec;
			enum rec_status st = reader_next(&r, &rec);
			if (st == REC_END)
				break;
			if (st == REC_IOERR) {
				rc = err_code() ? err_code() : ERR_IO;
				break;
			}
			if (st != REC_OK) {
				rc =
				    err_set(ERR_CORRUPT, "wal: %s: %s at offset %llu during replay",
				            path, rec_status_name(st), (unsigned long long)rec.off);
				break;
			}
			if (rec.region != region_id || rec.seq <= after_seq)
				continue;
			rc = cb(arg, rec.seq, rec.payload, rec.len);
			if (rc)
				break;
		}
		reader_free(&r);
	}
	for (size_t i = 0; i < n; i++)
		close(rs[i].fd);
	mem_free(rs);
	return rc;
}

/* ---- trimming ---- */

static int seg_obsolete(const struct wal *w, const struct seg *s)
{
	for (size_t i = 0; i < s->regions.cap; i++) {
		const struct slot *sl = &s->regions.slots[i];
		if (!sl->used)
			continue;
		const struct slot *f = map_find(&w->flushed, sl->key);
		if (!f || f->val < sl->val)
			return 0;
	}
	return 1;
}

/* With mu held: delete every non-active segment whose entries are all
 * obsolete. */
static int trim_locked(struct wal *w)
{
	int rc = ERR_OK;
	size_t keep = 0;
	for (size_t i = 0; i < w->nsegs; i++) {
		struct seg *s = w->segs[i];
		if (i + 1 < w->nsegs && seg_obsolete(w, s)) {
			char path[PATH_MAX];
			seg_path(w, s->id, path, sizeof(path));
			if (unlink(path) == 0 || errno == ENOENT) {
				log_debug("wal: deleted %s", path);
				w->st.disk_bytes -= s->size;
				w->st.segments_deleted++;
				seg_free(s);
				continue;
			}
			if (!rc)
				rc = io_err("delete", path);
		}
		w->segs[keep++] = s;
	}
	w->nsegs = keep;
	return rc;
}

static int set_flushed(struct wal *w, uint64_t region_id, uint64_t seq)
{
	pthread_mutex_lock(&w->mu);
	int rc = ERR_OK;
	struct slot *f = map_find(&w->flushed, region_id);
	if (f) {
		if (seq > f->val)
			f->val = seq;
	} else {
		rc = map_put_max(&w->flushed, region_id, seq);
	}
	if (!rc)
		rc = trim_locked(w);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int wal_mark_flushed(struct wal *w, uint64_t region_id, uint64_t seq)
{
	return set_flushed(w, region_id, seq);
}

int wal_forget_region(struct wal *w, uint64_t region_id)
{
	return set_flushed(w, region_id, UINT64_MAX);
}

int wal_regions(struct wal *w, void (*cb)(void *arg, uint64_t region_id, uint64_t max_seq),
                void *arg)
{
	struct u64map all = {0};
	int rc = ERR_OK;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; !rc && i < w->nsegs; i++) {
		const struct u64map *m = &w->segs[i]->regions;
		for (size_t j = 0; !rc && j < m->cap; j++)
			if (m->slots[j].used)
				rc = map_put_max(&all, m->slots[j].key, m->slots[j].val);
	}
	if (!rc)
		for (size_t j = 0; j < all.cap; j++)
			if (all.slots[j].used)
				cb(arg, all.slots[j].key, all.slots[j].val);
	pthread_mutex_unlock(&w->mu);
	map_free(&all);
	return rc;
}

void wal_stats(struct wal *w, struct wal_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->st;
	out->segments = w->nsegs;
	out->first_segment = w->nsegs ? w->segs[0]->id : 0;
	out->active_segment = w->nsegs ? w->segs[w->nsegs - 1]->id : 0;
	out->broken = w->broken;
	pthread_mutex_unlock(&w->mu);
}
