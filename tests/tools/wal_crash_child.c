/*
 * wal_crash_child: a small driver for WAL crash tests run as separate
 * processes (tests/suites/wal_crash.sh). Faults come from STRATA_FAULTS,
 * exactly as for a datanode, e.g. STRATA_FAULTS=wal.append.after=kill:5.
 *
 *   wal_crash_child append DIR FROM TO [none|fsync] [PAYLOAD_BYTES]
 *       append region 1, seqs FROM..TO (TO = 0: forever), one at a time;
 *       exit 0 when done
 *   wal_crash_child check DIR LAST
 *       open DIR, replay region 1: exactly seqs 1..LAST, each once, with
 *       their payloads; exit 0 and print "ok", else exit 1 with a reason
 *   wal_crash_child prefix DIR
 *       replay region 1: seqs must be 1..M without gaps or repeats and
 *       with intact payloads; print "M TORN" (TORN = bytes of torn tail cut
 *       at open) and exit 0, else exit 1
 *
 * Payload of seq s: PAYLOAD_BYTES (default 100; the check derives it from
 * the length) bytes, byte i = (s * 131 + i) & 0xff.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "storage/wal.h"

static void fill(uint8_t *p, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seq * 131 + i);
}

struct check {
	uint64_t next;
	int bad;
	uint8_t *tmp;
};

static int check_cb(void *arg, uint64_t seq, const uint8_t *payload, size_t len)
{
	struct check *c = arg;
	if (seq != c->next) {
		fprintf(stderr, "seq %llu where %llu was expected\n", (unsigned long long)seq,
		        (unsigned long long)c->next);
		c->bad = 1;
		return 1;
	}
	uint8_t *want = realloc(c->tmp, len ? len : 1);
	if (!want)
		return 1;
	c->tmp = want;
	fill(want, len, seq);
	if (memcmp(want, payload, len) != 0) {
		fprintf(stderr, "payload of seq %llu differs\n", (unsigned long long)seq);
		c->bad = 1;
		return 1;
	}
	c->next++;
	return 0;
}

int main(int argc, char **argv)
{
	log_set_level(LOG_WARN);
	if (argc < 3) {
		fprintf(stderr, "usage: %s append|check|prefix DIR ...\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	struct wal_options o = {argv[2], WAL_SYNC_FSYNC, 1u << 20};
	if (!strcmp(mode, "append") && argc > 5 && !strcmp(argv[5], "none"))
		o.sync = WAL_SYNC_NONE;
	struct wal *w;
	if (wal_open(&o, &w)) {
		fprintf(stderr, "open: %s\n", err_msg());
		return 1;
	}
	int rc = 0;
	if (!strcmp(mode, "append") && argc >= 5) {
		uint64_t from = strtoull(argv[3], NULL, 10), to = strtoull(argv[4], NULL, 10);
		size_t n = argc > 6 ? (size_t)strtoull(argv[6], NULL, 10) : 100;
		uint8_t *p = malloc(n ? n : 1);
		for (uint64_t s = from; to == 0 || s <= to; s++) {
			fill(p, n, s);
			if (wal_append(w, 1, s, p, n)) {
				fprintf(stderr, "append %llu: %s\n", (unsigned long long)s,
				        err_msg());
				rc = 1;
				break;
			}
		}
		free(p);
	} else if ((!strcmp(mode, "check") && argc >= 4) || !strcmp(mode, "prefix")) {
		struct check c = {1, 0, NULL};
		int r = wal_replay(w, 1, 0, check_cb, &c);
		free(c.tmp);
		if (r && !c.bad)
			fprintf(stderr, "replay: %s\n", err_msg());
		uint64_t got = c.next - 1;
		if (r || c.bad) {
			rc = 1;
		} else if (!strcmp(mode, "check")) {
			uint64_t last = strtoull(argv[3], NULL, 10);
			if (got != last) {
				fprintf(stderr, "log holds seqs 1..%llu, expected 1..%llu\n",
				        (unsigned long long)got, (unsigned long long)last);
				rc = 1;
			} else {
				printf("ok\n");
			}
		} else {
			struct wal_stats st;
			wal_stats(w, &st);
			printf("%llu %llu\n", (unsigned long long)got,
			       (unsigned long long)st.torn_bytes);
		}
	} else {
		fprintf(stderr, "bad arguments\n");
		rc = 2;
	}
	wal_close(w);
	return rc;
}
