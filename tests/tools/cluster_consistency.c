/*
 * cluster_consistency: the randomized "fresh and identical" check of
 * follower reads on a running cluster, built on cluster_client.h only.
 *
 *   cluster_consistency --meta HOST:PORT [--seconds S] [--writers W]
 *                       [--readers R] [--keys K] [--seed N] [--table NAME]
 *
 * Creates a 2-region table (ts TIMESTAMP(3) TIME INDEX, i INT PRIMARY KEY,
 * s STRING; regions i <= 0 | i > 0), gives every region two followers
 * (ADD_TABLE_FOLLOWER twice: needs >= 3 datanodes), then for S seconds runs
 *   - W writer threads: each owns the keys k with |k| % W == w, writes
 *     batches of 1..16 rows to the region leaders, half new keys and half
 *     overwrites of its own keys with a higher version; s = "k:version",
 *     ts = 1000 + k, so an overwrite replaces the row (same primary key and
 *     time) and a reader can tell which write it sees;
 *   - one maintenance thread flushing and compacting random regions on
 *     their leaders;
 *   - R reader threads reading the whole table from followers: each region
 *     from an explicitly chosen random follower (follower read: the
 *     follower fetches the leader's snapshot and merges it with its SSTs).
 *
 * Invariants checked for every follower answer, against the writers'
 * state captured just before the query started (acked[k]: highest
 * acknowledged version) and just after it ended (tried[k]: highest version
 * ever sent):
 *   - every key with acked[k] > 0 appears exactly once, with a version in
 *     [acked[k], tried[k]] (fresh: nothing acknowledged is missed; not from
 *     the future: nothing never written);
 *   - no key appears twice, and no key appears that was never written;
 *   - ts and the region of each row agree with its key.
 * After the writers stop (quiescent point), every region is read from its
 * leader and from each of its followers: the answers must be identical.
 *
 * Output: progress lines as TAP comments, then one line
 *   "queries Q violations V rows_acked A identical yes|no"
 * Exit 0 when V == 0, the final answers are identical, and the run made at
 * least one follower query.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "meta/catalog.h"

static struct cluster_client *cc;
static struct table_info *info;
static struct table_route *route; /* with the followers */
static int nkeys = 2000;          /* keys -nkeys..nkeys-1 */
static int nwriters = 2;
static _Atomic int64_t *acked; /* index k + nkeys */
static _Atomic int64_t *tried;
static atomic_bool stop;
static atomic_uint_fast64_t n_queries, n_violations, n_writes, n_maint, n_errors;

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

static uint32_t region_of(int64_t k)
{
	return k <= 0 ? 0 : 1;
}

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...)
{
	/* print the first few in full; count all */
	if (atomic_fetch_add(&n_violations, 1) < 20) {
		va_list ap;
		va_start(ap, fmt);
		printf("# VIOLATION: ");
		vprintf(fmt, ap);
		printf("\n");
		fflush(stdout);
		va_end(ap);
	}
}

static int create_table(const char *name)
{
	struct column_schema cols[3] = {
	    {.name = "ts", .type = DT_TS_MS, .sem = SEM_TIMESTAMP, .column_id = 0},
	    {.name = "i", .type = DT_INT32, .sem = SEM_TAG, .nullable = true, .column_id = 1},
	    {.name = "s", .type = DT_STRING, .sem = SEM_FIELD, .nullable = true, .column_id = 2},
	};
	uint32_t pk[1] = {1};
	struct region_schema rs = {.ncols = 3, .cols = cols, .ts_col = 0, .npk = 1, .pk_cols = pk};
	static char *rules[2] = {"i <= 0", "i > 0"};
	static char *pcols[1] = {"i"};
	struct table_info t = {.catalog = CATALOG_DEFAULT,
	                       .schema = SCHEMA_DEFAULT,
	                       .name = (char *)name,
	                       .engine = "mito",
	                       .comment = "",
	                       .region_schema = region_schema_clone(&rs),
	                       .nrules = 2,
	                       .rules = rules,
	                       .npartition_cols = 1,
	                       .partition_cols = pcols};
	if (!t.region_schema)
		return ERR_NOMEM;
	bool created;
	struct table_route *tr = NULL;
	int rc = cluster_client_create_table(cc, &t, NULL, 0, false, &created, &tr);
	region_schema_free(t.region_schema);
	table_route_free(tr);
	if (rc)
		return rc;
	for (int round = 0; round < 2 && rc == ERR_OK; round++)
		rc = cluster_client_add_table_follower(cc, t.table_id, NULL, 0, NULL);
	if (rc == ERR_OK)
		rc = catalog_get_table_by_id(cluster_client_kv(cc), t.table_id, &info);
	if (rc == ERR_OK)
		rc = cluster_client_get_route(cc, t.table_id, &route);
	return rc;
}

/* ---- writers ---------------------------------------------------------- */

struct writer {
	pthread_t th;
	int id;
	uint64_t seed;
};

static int64_t pick_own_key(int w, uint64_t *seed)
{
	for (;;) {
		int64_t k = (int64_t)(rnd(seed) % (uint32_t)(2 * nkeys)) - nkeys;
		if ((k < 0 ? -k : k) % nwriters == w)
			return k;
	}
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	enum dtype types[3] = {DT_TS_MS, DT_INT32, DT_STRING};
	while (!atomic_load(&stop)) {
		uint32_t region = rnd(&w->seed) % 2;
		uint32_t n = 1 + rnd(&w->seed) % 16;
		struct batch b;
		if (batch_init(&b, 3, types))
			break;
		int64_t keys[16], vers[16];
		uint32_t m = 0;
		for (uint32_t j = 0; j < n * 4 && m < n; j++) {
			int64_t k = pick_own_key(w->id, &w->seed);
			if (region_of(k) != region)
				continue;
			bool dup = false;
			for (uint32_t q = 0; q < m; q++)
				dup |= keys[q] == k;
			if (dup)
				continue;
			int64_t v = atomic_load(&tried[k + nkeys]) + 1;
			atomic_store(&tried[k + nkeys], v); /* only this writer owns k */
			char s[48];
			int len = snprintf(s, sizeof(s), "%" PRId64 ":%" PRId64, k, v);
			if (colvec_push_i64(&b.cols[0], 1000 + k) || colvec_push_i64(&b.cols[1], k) ||
			    colvec_push_bytes(&b.cols[2], s, (uint32_t)len))
				break;
			b.nrows++;
			keys[m] = k;
			vers[m] = v;
			m++;
		}
		int rc = m ? cluster_client_region_write(cc, &route->regions[region], OP_PUT, &b, NULL)
		           : ERR_OK;
		batch_free(&b);
		if (rc) {
			/* unacknowledged: the row may or may not be there, which
			 * the [acked, tried] window allows */
			atomic_fetch_add(&n_errors, 1);
			printf("# write error: %s\n", err_msg());
			clock_sleep_ms(20);
			continue;
		}
		for (uint32_t q = 0; q < m; q++)
			atomic_store(&acked[keys[q] + nkeys], vers[q]);
		atomic_fetch_add(&n_writes, m);
	}
	return NULL;
}

/* ---- maintenance -------------------------------------------------------- */

static void *maint_main(void *arg)
{
	uint64_t seed = *(uint64_t *)arg;
	while (!atomic_load(&stop)) {
		clock_sleep_ms(50 + rnd(&seed) % 200);
		const struct region_route *rr = &route->regions[rnd(&seed) % route->nregions];
		int rc = rnd(&seed) % 3 ? cluster_client_region_flush(cc, rr->leader, rr->region_id)
		                        : cluster_client_region_compact(cc, rr->leader, rr->region_id,
		                                                        true);
		if (rc) {
			atomic_fetch_add(&n_errors, 1);
			printf("# maintenance error: %s\n", err_msg());
		} else {
			atomic_fetch_add(&n_maint, 1);
		}
	}
	return NULL;
}

/* ---- readers ---------------------------------------------------------------- */

static int64_t parse_version(const char *s, uint32_t len, int64_t *key)
{
	char tmp[48];
	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	long long k, v;
	if (sscanf(tmp, "%lld:%lld", &k, &v) != 2)
		return -1;
	*key = k;
	return v;
}

/* Check one region's answer; seen[] counts appearances per key. */
static void check_rows(const struct batch *b, uint32_t region, uint8_t *seen, const int64_t *lo,
                       const char *who)
{
	for (uint32_t r = 0; r < b->nrows; r++) {
		int64_t ts = b->cols[0].i64[r], k = b->cols[1].i64[r], kk;
		uint32_t len;
		const char *s = colvec_bytes(&b->cols[2], r, &len);
		int64_t v = parse_version(s, len, &kk);
		if (k < -nkeys || k >= nkeys || v < 0 || kk != k || ts != 1000 + k ||
		    region_of(k) != region) {
			violation("%s: malformed row i=%" PRId64 " ts=%" PRId64 " s=%.*s in region %u",
			          who, k, ts, (int)len, s, region);
			continue;
		}
		if (seen[k + nkeys]++)
			violation("%s: key %" PRId64 " appears twice", who, k);
		int64_t hi = atomic_load(&tried[k + nkeys]);
		if (v < lo[k + nkeys] || v > hi)
			violation("%s: key %" PRId64 " version %" PRId64
			          " outside [acked %" PRId64 ", written %" PRId64 "]",
			          who, k, v, lo[k + nkeys], hi);
	}
}

static int scan_region(uint32_t region, uint64_t node, enum rpc_read_mode mode, struct batch *out)
{
	return cluster_client_region_scan(cc, node, route->regions[region].region_id, mode, NULL,
	                                  info->region_schema, out);
}

static void *reader_main(void *arg)
{
	uint64_t seed = *(uint64_t *)arg;
	size_t nk = (size_t)(2 * nkeys);
	int64_t *lo = malloc(nk * sizeof(*lo));
	uint8_t *seen = malloc(nk);
	while (lo && seen && !atomic_load(&stop)) {
		for (size_t k = 0; k < nk; k++)
			lo[k] = atomic_load(&acked[k]);
		memset(seen, 0, nk);
		bool ok = true;
		char who[64] = "";
		for (uint32_t r = 0; r < route->nregions && ok; r++) {
			const struct region_route *rr = &route->regions[r];
			uint64_t node = rr->followers[rnd(&seed) % rr->nfollowers];
			snprintf(who, sizeof(who), "follower %" PRIu64 " region %u", node, r);
			struct batch b;
			int rc = scan_region(r, node, RPC_READ_FOLLOWER, &b);
			if (rc) {
				atomic_fetch_add(&n_errors, 1);
				printf("# read error (%s): %s\n", who, err_msg());
				ok = false;
				break;
			}
			check_rows(&b, r, seen, lo, who);
			batch_free(&b);
		}
		if (!ok) {
			clock_sleep_ms(20);
			continue;
		}
		for (size_t k = 0; k < nk; k++)
			if (lo[k] > 0 && !seen[k])
				violation("follower read missed acknowledged key %" PRId64
				          " (version %" PRId64 ")",
				          (int64_t)k - nkeys, lo[k]);
		atomic_fetch_add(&n_queries, 1);
	}
	free(lo);
	free(seen);
	return NULL;
}

/* ---- quiescent comparison ---------------------------------------------------- */

static bool same_batch(const struct batch *a, const struct batch *b)
{
	if (a->nrows != b->nrows)
		return false;
	for (uint32_t r = 0; r < a->nrows; r++) {
		uint32_t la, lb;
		const char *sa = colvec_bytes(&a->cols[2], r, &la);
		const char *sb = colvec_bytes(&b->cols[2], r, &lb);
		if (a->cols[0].i64[r] != b->cols[0].i64[r] || a->cols[1].i64[r] != b->cols[1].i64[r] ||
		    la != lb || memcmp(sa, sb, la))
			return false;
	}
	return true;
}

static bool compare_all(void)
{
	bool same = true;
	for (uint32_t r = 0; r < route->nregions; r++) {
		const struct region_route *rr = &route->regions[r];
		struct batch lead;
		if (scan_region(r, rr->leader, RPC_READ_LEADER, &lead)) {
			printf("# leader read failed: %s\n", err_msg());
			return false;
		}
		/* the final answer must also hold every acknowledged version */
		for (uint32_t q = 0; q < lead.nrows; q++) {
			int64_t k = lead.cols[1].i64[q], kk;
			uint32_t len;
			const char *s = colvec_bytes(&lead.cols[2], q, &len);
			int64_t v = parse_version(s, len, &kk);
			if (k >= -nkeys && k < nkeys && v < atomic_load(&acked[k + nkeys]))
				violation("leader region %u: key %" PRId64 " has version %" PRId64
				          " below acknowledged %" PRId64,
				          r, k, v, atomic_load(&acked[k + nkeys]));
		}
		for (uint32_t f = 0; f < rr->nfollowers; f++) {
			struct batch fb;
			if (scan_region(r, rr->followers[f], RPC_READ_FOLLOWER, &fb)) {
				printf("# follower read failed: %s\n", err_msg());
				same = false;
				continue;
			}
			if (!same_batch(&lead, &fb)) {
				printf("# region %u: follower %" PRIu64 " (%u rows) differs from leader "
				       "(%u rows)\n",
				       r, rr->followers[f], fb.nrows, lead.nrows);
				same = false;
			}
			batch_free(&fb);
		}
		printf("# region %u: leader %" PRIu64 " %u rows, %u followers compared\n", r,
		       rr->leader, lead.nrows, rr->nfollowers);
		batch_free(&lead);
	}
	return same;
}

int main(int argc, char **argv)
{
	log_set_tag("consistency");
	log_set_level(LOG_WARN);
	const char *meta = NULL, *table = "consistency";
	int seconds = 20, nreaders = 2;
	uint64_t seed = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];
		if (!strcmp(a, "--meta"))
			meta = v;
		else if (!strcmp(a, "--seconds"))
			seconds = atoi(v);
		else if (!strcmp(a, "--writers"))
			nwriters = atoi(v);
		else if (!strcmp(a, "--readers"))
			nreaders = atoi(v);
		else if (!strcmp(a, "--keys"))
			nkeys = atoi(v);
		else if (!strcmp(a, "--seed"))
			seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--table"))
			table = v;
	}
	if (!meta || seconds <= 0 || nwriters < 1 || nwriters > 16 || nreaders < 1 ||
	    nreaders > 16 || nkeys < 16) {
		fprintf(stderr, "usage: cluster_consistency --meta HOST:PORT [--seconds S] "
		                "[--writers 1..16] [--readers 1..16] [--keys K>=16] [--seed N] "
		                "[--table NAME]\n");
		return 2;
	}
	if (!seed)
		seed = (uint64_t)clock_mono_ns() | 1;
	printf("# seed %" PRIu64 "\n", seed);
	struct cluster_client_options o = {
	    .metasrv_addrs = meta, .node_cache_ms = 100, .request_timeout_ms = 10000};
	int rc = cluster_client_open(&o, &cc);
	if (rc == ERR_OK)
		rc = create_table(table);
	if (rc) {
		printf("error %s: %s\n", err_code_name(rc), err_msg());
		return 3;
	}
	for (uint32_t r = 0; r < route->nregions; r++)
		if (route->regions[r].nfollowers < 2) {
			printf("error: region %u has %u followers (need 2; are 3 datanodes alive?)\n",
			       r, route->regions[r].nfollowers);
			return 3;
		}
	acked = calloc((size_t)(2 * nkeys), sizeof(*acked));
	tried = calloc((size_t)(2 * nkeys), sizeof(*tried));
	struct writer ws[16];
	pthread_t rs[16], mt;
	uint64_t rseeds[16], mseed = seed * 7919 + 1;
	for (int w = 0; w < nwriters; w++) {
		ws[w].id = w;
		ws[w].seed = seed + (uint64_t)w * 104729 + 1;
		pthread_create(&ws[w].th, NULL, writer_main, &ws[w]);
	}
	pthread_create(&mt, NULL, maint_main, &mseed);
	for (int r = 0; r < nreaders; r++) {
		rseeds[r] = seed * 31 + (uint64_t)r * 15485863 + 3;
		pthread_create(&rs[r], NULL, reader_main, &rseeds[r]);
	}
	int64_t t_end = clock_mono_ns() + (int64_t)seconds * 1000000000;
	while (clock_mono_ns() < t_end) {
		clock_sleep_ms(1000);
		printf("# writes %" PRIuFAST64 " queries %" PRIuFAST64 " flush/compact %" PRIuFAST64
		       " violations %" PRIuFAST64 " errors %" PRIuFAST64 "\n",
		       atomic_load(&n_writes), atomic_load(&n_queries), atomic_load(&n_maint),
		       atomic_load(&n_violations), atomic_load(&n_errors));
		fflush(stdout);
	}
	atomic_store(&stop, true);
	for (int w = 0; w < nwriters; w++)
		pthread_join(ws[w].th, NULL);
	pthread_join(mt, NULL);
	for (int r = 0; r < nreaders; r++)
		pthread_join(rs[r], NULL);
	bool same = compare_all();
	int64_t nacked = 0;
	for (int k = 0; k < 2 * nkeys; k++)
		nacked += atomic_load(&acked[k]) > 0;
	printf("queries %" PRIuFAST64 " violations %" PRIuFAST64 " rows_acked %" PRId64
	       " identical %s\n",
	       atomic_load(&n_queries), atomic_load(&n_violations), nacked, same ? "yes" : "no");
	free(acked);
	free(tried);
	table_info_free(info);
	table_route_free(route);
	cluster_client_close(cc);
	return atomic_load(&n_violations) == 0 && same && atomic_load(&n_queries) > 0 ? 0 : 3;
}
