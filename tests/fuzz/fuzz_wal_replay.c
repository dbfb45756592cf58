/*
 * fuzz_wal_replay: WAL recovery (storage/wal.h) on arbitrary segment
 * files: the input is written as segment file(s) of a log folder, then
 * wal_open (scan, CRC checks, torn-tail truncation), wal_regions and
 * wal_replay of every region (each payload also goes through
 * batch_decode, as a region's recovery does), wal_close.
 *
 * Input: u8 flags, then the bytes of segment 1 (header included):
 *   bit 0  fix the segment header (magic "SWAL", version 1, id 1) so the
 *          mutations go to the records
 *   bit 1  fix every record's CRC that can be located (walking the length
 *          fields from offset 16), so records pass the CRC check and the
 *          length / tail logic is what gets fuzzed
 *   bit 2  also write the same bytes as segment 2 (with id 2 when bit 0),
 *          so damage sits in a non-last segment too
 * Checks: wal_open either fails cleanly or gives a log whose replay
 * returns entries with a seq above the asked one, of a region that
 * wal_regions reported, and never more entries than fit in the input.
 * The log folder lives under /dev/shm (or $TMPDIR) and is emptied after
 * every input. No OOM pass: wal_open's allocations are few and the
 * target is I/O bound.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/column_codec.h"
#include "base/crc32c.h"
#include "fuzz/fuzz_util.h"
#include "storage/wal.h"

#define SEG_HDR 16
#define REC_HDR 24
#define MAX_REGIONS 64

static char dir[256];

static void rm_dir_contents(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

static void cleanup(void)
{
	rm_dir_contents();
	rmdir(dir);
}

static void write_seg(uint64_t id, const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%020llu.wal", dir, (unsigned long long)id);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
	close(fd);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fix_crcs(uint8_t *p, size_t n)
{
	size_t off = SEG_HDR;
	while (off + REC_HDR <= n) {
		uint32_t len = get_u32(p + off + 4);
		if (len > n - off - REC_HDR)
			break;
		put_u32(p + off, crc32c(0, p + off + 4, 20 + (size_t)len));
		off += REC_HDR + len;
	}
}

struct regions {
	uint64_t ids[MAX_REGIONS];
	uint64_t max_seq[MAX_REGIONS];
	uint32_t n;
	bool overflow;
};

static void on_region(void *arg, uint64_t region_id, uint64_t max_seq)
{
	struct regions *r = arg;
	if (r->n == MAX_REGIONS) {
		r->overflow = true;
		return;
	}
	r->ids[r->n] = region_id;
	r->max_seq[r->n++] = max_seq;
}

struct replay {
	uint64_t after, max_seq;
	size_t entries, bytes;
};

static int on_entry(void *arg, uint64_t seq, const uint8_t *payload, size_t len)
{
	struct replay *x = arg;
	FUZZ_CHECK(seq > x->after);
	FUZZ_CHECK(seq <= x->max_seq);
	x->entries++;
	x->bytes += len;
	struct batch b;
	if (batch_decode(payload, len, &b) == 0) {
		fuzz_walk_batch(&b);
		batch_free(&b);
	}
	return 0;
}

static void run(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	uint8_t flags = data[0];
	size_t n = size - 1;
	uint8_t *seg = malloc(n ? n : 1);
	if (!seg)
		return;
	memcpy(seg, data + 1, n);
	if ((flags & 1) && n >= SEG_HDR) {
		memcpy(seg, "SWAL", 4);
		put_u32(seg + 4, 1);
		put_u64(seg + 8, 1);
	}
	if (flags & 2)
		fix_crcs(seg, n);
	write_seg(1, seg, n);
	if (flags & 4) {
		if ((flags & 1) && n >= SEG_HDR)
			put_u64(seg + 8, 2);
		write_seg(2, seg, n);
	}
	size_t segs = (flags & 4) ? 2 : 1;
	free(seg);

	struct wal_options o = {.dir = dir, .sync = WAL_SYNC_NONE};
	struct wal *w = NULL;
	if (wal_open(&o, &w) == 0) {
		struct regions rs;
		memset(&rs, 0, sizeof(rs));
		FUZZ_CHECK(wal_regions(w, on_region, &rs) == 0);
		size_t total = 0;
		for (uint32_t i = 0; i < rs.n; i++) {
			for (int k = 0; k < 2; k++) {
				struct replay x = {.after = k ? rs.max_seq[i] / 2 : 0,
						   .max_seq = rs.max_seq[i]};
				if (x.after == 0 && k)
					continue;
				if (wal_replay(w, rs.ids[i], x.after, on_entry, &x) == 0 && !k)
					total += x.entries * REC_HDR + x.bytes;
			}
		}
		FUZZ_CHECK(rs.overflow || total <= segs * n);
		/* a replay of a region the log never saw finds nothing */
		struct replay none = {.after = 0, .max_seq = 0};
		bool seen = false;
		for (uint32_t i = 0; i < rs.n; i++)
			seen |= rs.ids[i] == 0xfeedfacecafef00dull;
		if (!seen && !rs.overflow) {
			wal_replay(w, 0xfeedfacecafef00dull, 0, on_entry, &none);
			FUZZ_CHECK(none.entries == 0);
		}
		wal_close(w);
	}
	rm_dir_contents();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/strata_fuzz_wal.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}
