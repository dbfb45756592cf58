/*
 * replica_bench: read-replica measurements on a running cluster, through
 * cluster_client.h (what a frontend uses). Driven by bench/replica_bench.sh,
 * which starts the cluster, pins processes and writes the report.
 *
 *   replica_bench --meta HOST:PORT visibility --samples N
 *       Table rb_vis (1 region, leader on datanode 0, follower on 1).
 *       N times: write one row to the leader; from the acknowledgement,
 *       poll follower reads on datanode 1 until the row is there. First
 *       with memtable fetch on (the follower merges the leader's memtable
 *       rows), then with fetch off (SST-only: the row needs a flush on the
 *       leader, issued right after the acknowledgement, and a manifest sync
 *       to the follower through the heartbeat). Prints per mode the
 *       median, p90 and max ms.
 *
 *   replica_bench --meta HOST:PORT add-follower --rows N --table NAME
 *       Creates NAME (1 region, leader on datanode 0), loads N rows in
 *       10,000-row batches, flushes, then times ADD_REGION_FOLLOWER onto
 *       datanode 1 (the procedure) and until a follower read on datanode 1
 *       answers a read of the newest timestamp (ready), then one full read
 *       on the follower (checked to return all N rows). Prints all in ms.
 *
 *   replica_bench --meta HOST:PORT load --rows N --table NAME
 *       Creates NAME like add-follower, loads N rows and adds the follower
 *       on datanode 1 (setup for ingest/query).
 *   replica_bench --meta HOST:PORT ingest --table NAME --seconds S
 *       1,000-row batches to the leader for S seconds; prints rows/s.
 *   replica_bench --meta HOST:PORT scan --table NAME --node N --repeat R
 *       R full reads of NAME's region 0 on datanode N as a follower read;
 *       waits (up to 60 s) for the first to succeed (a restarted node is
 *       reopening its regions); prints rows and ms of each.
 *   replica_bench --meta HOST:PORT query --table NAME --pref P --seconds S
 *       Full-table reads under READ_PREFERENCE P in a loop for S seconds;
 *       prints queries and rows read.
 *
 * Table shape: ts TIMESTAMP(3) TIME INDEX, host STRING PRIMARY KEY,
 * v DOUBLE; 100 hosts.
 */
#include <inttypes.h>
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

static int fail(int rc)
{
	printf("error %s: %s\n", err_code_name(rc), err_msg());
	return 3;
}

static double now_ms(void)
{
	return (double)clock_mono_ns() / 1e6;
}

static int create(const char *name, struct table_info **info, struct table_route **route)
{
	struct column_schema cols[3] = {
	    {.name = "ts", .type = DT_TS_MS, .sem = SEM_TIMESTAMP, .column_id = 0},
	    {.name = "host", .type = DT_STRING, .sem = SEM_TAG, .nullable = true, .column_id = 1},
	    {.name = "v", .type = DT_FLOAT64, .sem = SEM_FIELD, .nullable = true, .column_id = 2},
	};
	uint32_t pk[1] = {1};
	struct region_schema rs = {.ncols = 3, .cols = cols, .ts_col = 0, .npk = 1, .pk_cols = pk};
	struct table_info t = {.catalog = CATALOG_DEFAULT,
	                       .schema = SCHEMA_DEFAULT,
	                       .name = (char *)name,
	                       .engine = "mito",
	                       .comment = "",
	                       .region_schema = region_schema_clone(&rs)};
	if (!t.region_schema)
		return ERR_NOMEM;
	uint64_t leader = 0;
	bool created;
	int rc = cluster_client_create_table(cc, &t, &leader, 1, false, &created, route);
	region_schema_free(t.region_schema);
	if (rc == ERR_OK)
		rc = catalog_get_table_by_id(cluster_client_kv(cc), t.table_id, info);
	return rc;
}

static int open_table(const char *name, struct table_info **info, struct table_route **route)
{
	int rc = catalog_get_table(cluster_client_kv(cc), CATALOG_DEFAULT, SCHEMA_DEFAULT, name,
	                           info);
	if (rc == ERR_OK)
		rc = cluster_client_get_route(cc, (*info)->table_id, route);
	return rc;
}

/* rows [from, to): host h = k % 100, ts = k / 100 * 10 s. */
static int write_rows(const struct table_route *tr, int64_t from, int64_t to)
{
	enum dtype types[3] = {DT_TS_MS, DT_STRING, DT_FLOAT64};
	struct batch b;
	int rc = batch_init(&b, 3, types);
	for (int64_t k = from; rc == ERR_OK && k < to; k++) {
		char h[32];
		int len = snprintf(h, sizeof(h), "host_%" PRId64, k % 100);
		if ((rc = colvec_push_i64(&b.cols[0], k / 100 * 10000)) ||
		    (rc = colvec_push_bytes(&b.cols[1], h, (uint32_t)len)) ||
		    (rc = colvec_push_f64(&b.cols[2], (double)k * 0.5)))
			break;
		b.nrows++;
	}
	if (rc == ERR_OK)
		rc = cluster_client_region_write(cc, &tr->regions[0], OP_PUT, &b, NULL);
	batch_free(&b);
	return rc;
}

static int load(const struct table_route *tr, int64_t rows)
{
	int rc = ERR_OK;
	for (int64_t k = 0; rc == ERR_OK && k < rows; k += 10000)
		rc = write_rows(tr, k, k + 10000 < rows ? k + 10000 : rows);
	return rc;
}

/* Rows a follower read on datanode 1 returns (with ts == want_ts when
 * want_ts >= 0: counted in *hit). */
static int follower_count(const struct table_info *info, const struct table_route *tr,
                          int64_t want_ts, uint32_t *rows, bool *hit)
{
	struct batch b;
	int rc = cluster_client_region_scan(cc, 1, tr->regions[0].region_id, RPC_READ_FOLLOWER,
	                                    NULL, info->region_schema, &b);
	if (rc)
		return rc;
	*rows = b.nrows;
	if (hit) {
		*hit = false;
		for (uint32_t i = 0; i < b.nrows && !*hit; i++)
			*hit = b.cols[0].i64[i] == want_ts;
	}
	batch_free(&b);
	return ERR_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int set_fetch(bool on)
{
	for (uint64_t dn = 0; dn < 2; dn++) {
		char *json = NULL;
		int rc = cluster_client_node_debug(cc, dn, "follower_memtable_fetch", on ? "on" : "off",
		                                   &json);
		mem_free(json);
		if (rc)
			return rc;
	}
	return ERR_OK;
}

static int cmd_visibility(int samples)
{
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	int rc = create("rb_vis", &info, &tr);
	if (rc == ERR_OK)
		rc = cluster_client_add_region_follower(cc, tr->regions[0].region_id, 1, NULL);
	double *ms = calloc((size_t)samples, sizeof(double));
	int64_t k = 1000000;
	for (int mode = 0; rc == ERR_OK && mode < 2; mode++) {
		bool fetch = mode == 0;
		rc = set_fetch(fetch);
		for (int s = 0; rc == ERR_OK && s < samples; s++, k += 100) {
			rc = write_rows(tr, k, k + 1);
			double t0 = now_ms();
			if (rc == ERR_OK && !fetch)
				rc = cluster_client_region_flush(cc, 0, tr->regions[0].region_id);
			bool hit = false;
			uint32_t n;
			while (rc == ERR_OK && !hit) {
				rc = follower_count(info, tr, k / 100 * 10000, &n, &hit);
				if (now_ms() - t0 > 30000)
					rc = err_set(ERR_INTERNAL, "row not visible after 30 s");
			}
			ms[s] = now_ms() - t0;
		}
		if (rc)
			break;
		qsort(ms, (size_t)samples, sizeof(double), cmp_double);
		printf("visibility %s samples %d median_ms %.2f p90_ms %.2f max_ms %.2f\n",
		       fetch ? "memtable_fetch" : "sst_only_flush", samples, ms[samples / 2],
		       ms[samples * 9 / 10], ms[samples - 1]);
	}
	if (rc == ERR_OK)
		rc = set_fetch(true);
	free(ms);
	table_info_free(info);
	table_route_free(tr);
	return rc ? fail(rc) : 0;
}

static int cmd_load(const char *name, int64_t rows, bool timed)
{
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	int rc = create(name, &info, &tr);
	double t0 = now_ms();
	if (rc == ERR_OK)
		rc = load(tr, rows);
	if (rc == ERR_OK)
		rc = cluster_client_region_flush(cc, 0, tr->regions[0].region_id);
	double t1 = now_ms();
	if (rc == ERR_OK)
		printf("loaded %" PRId64 " rows in %.0f ms (flushed)\n", rows, t1 - t0);
	/* ready = the follower answers a read of the newest timestamp (its
	 * region is open and has installed the leader's manifest); then one
	 * full read, whose cost grows with the data whatever the replica */
	int64_t last_ts = (rows - 1) / 100 * 10000;
	struct scan_request req;
	scan_request_init(&req);
	req.ts_min = last_ts;
	req.ts_max = last_ts + 1;
	double ta = now_ms();
	if (rc == ERR_OK)
		rc = cluster_client_add_region_follower(cc, tr->regions[0].region_id, 1, NULL);
	double tb = now_ms();
	bool ready = false;
	while (rc == ERR_OK && !ready) {
		struct batch b;
		rc = cluster_client_region_scan(cc, 1, tr->regions[0].region_id, RPC_READ_FOLLOWER,
		                                &req, info->region_schema, &b);
		if (rc == ERR_OK) {
			ready = b.nrows > 0 && b.cols[0].i64[0] == last_ts;
			batch_free(&b);
		} else if (rc == ERR_UNAVAILABLE || rc == ERR_NOT_FOUND) {
			err_clear(); /* the follower region is still opening */
			rc = ERR_OK;
		}
		if (now_ms() - ta > 60000)
			rc = err_set(ERR_INTERNAL, "follower not ready after 60 s");
	}
	double tc = now_ms();
	uint32_t n = 0;
	if (rc == ERR_OK)
		rc = follower_count(info, tr, -1, &n, NULL);
	if (rc == ERR_OK && n != rows)
		rc = err_set(ERR_INTERNAL, "follower returned %u of %" PRId64 " rows", n, rows);
	double td = now_ms();
	if (rc == ERR_OK && timed)
		printf("add_follower rows %" PRId64 " procedure_ms %.1f ready_ms %.1f "
		       "first_full_read_ms %.1f\n",
		       rows, tb - ta, tc - ta, td - tc);
	table_info_free(info);
	table_route_free(tr);
	return rc ? fail(rc) : 0;
}

static int cmd_ingest(const char *name, int seconds)
{
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	int rc = open_table(name, &info, &tr);
	int64_t k = 100000000, rows = 0;
	double t0 = now_ms(), end = t0 + seconds * 1000.0;
	while (rc == ERR_OK && now_ms() < end) {
		rc = write_rows(tr, k, k + 1000);
		k += 1000;
		rows += 1000;
	}
	double el = now_ms() - t0;
	if (rc == ERR_OK)
		printf("ingest rows %" PRId64 " seconds %.2f rows_per_s %.0f\n", rows, el / 1000,
		       rows / (el / 1000));
	table_info_free(info);
	table_route_free(tr);
	return rc ? fail(rc) : 0;
}

static int cmd_scan(const char *name, uint64_t node, int repeat)
{
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	int rc = open_table(name, &info, &tr);
	double t_wait = now_ms();
	for (int i = 0; rc == ERR_OK && i < repeat; i++) {
		struct batch b;
		double t0 = now_ms();
		rc = cluster_client_region_scan(cc, node, tr->regions[0].region_id, RPC_READ_FOLLOWER,
		                                NULL, info->region_schema, &b);
		if (rc && i == 0 && now_ms() - t_wait < 60000) {
			err_clear(); /* still opening */
			rc = ERR_OK;
			i--;
			clock_sleep_ms(50);
			continue;
		}
		if (rc)
			break;
		printf("scan node %" PRIu64 " rows %u ms %.1f\n", node, b.nrows, now_ms() - t0);
		batch_free(&b);
	}
	table_info_free(info);
	table_route_free(tr);
	return rc ? fail(rc) : 0;
}

static int cmd_query(const char *name, const char *pref_s, int seconds)
{
	static const char *names[] = {"leader", "follower", "follower_preferred", "random"};
	enum read_preference pref = READ_PREF_LEADER;
	bool known = false;
	for (int i = 0; i < 4; i++)
		if (!strcmp(pref_s, names[i])) {
			pref = (enum read_preference)i;
			known = true;
		}
	if (!known)
		return fail(err_set(ERR_BAD_INPUT, "unknown preference %s", pref_s));
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	int rc = open_table(name, &info, &tr);
	int64_t queries = 0, rows = 0, by_follower = 0;
	double end = now_ms() + seconds * 1000.0;
	while (rc == ERR_OK && now_ms() < end) {
		struct batch b;
		struct peer_choice pc;
		rc = cluster_client_read_region(cc, &tr->regions[0], pref, NULL, info->region_schema,
		                                &b, &pc);
		if (rc)
			break;
		queries++;
		rows += b.nrows;
		by_follower += !pc.is_leader;
		batch_free(&b);
	}
	if (rc == ERR_OK)
		printf("query pref %s queries %" PRId64 " rows %" PRId64 " served_by_followers %" PRId64
		       "\n",
		       pref_s, queries, rows, by_follower);
	table_info_free(info);
	table_route_free(tr);
	return rc ? fail(rc) : 0;
}

int main(int argc, char **argv)
{
	log_set_tag("replica_bench");
	log_set_level(LOG_WARN);
	const char *meta = NULL, *cmd = NULL, *table = "rb", *pref = "leader";
	int samples = 50, seconds = 10, repeat = 1;
	uint64_t node = 1;
	int64_t rows = 100000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-') {
			cmd = a;
			continue;
		}
		if (!v)
			break;
		i++;
		if (!strcmp(a, "--meta"))
			meta = v;
		else if (!strcmp(a, "--samples"))
			samples = atoi(v);
		else if (!strcmp(a, "--rows"))
			rows = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--table"))
			table = v;
		else if (!strcmp(a, "--pref"))
			pref = v;
		else if (!strcmp(a, "--seconds"))
			seconds = atoi(v);
		else if (!strcmp(a, "--node"))
			node = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--repeat"))
			repeat = atoi(v);
	}
	if (!meta || !cmd || samples < 1 || rows < 1 || seconds < 1) {
		fprintf(stderr, "usage: replica_bench --meta HOST:PORT visibility|add-follower|load|"
		                "ingest|scan|query [--samples N] [--rows N] [--table T] [--pref P] "
		                "[--seconds S] [--node N] [--repeat R]\n");
		return 2;
	}
	struct cluster_client_options o = {
	    .metasrv_addrs = meta, .node_cache_ms = 100, .request_timeout_ms = 30000};
	int rc = cluster_client_open(&o, &cc);
	if (rc)
		return fail(rc);
	if (!strcmp(cmd, "visibility"))
		rc = cmd_visibility(samples);
	else if (!strcmp(cmd, "add-follower"))
		rc = cmd_load(table, rows, true);
	else if (!strcmp(cmd, "load"))
		rc = cmd_load(table, rows, false);
	else if (!strcmp(cmd, "ingest"))
		rc = cmd_ingest(table, seconds);
	else if (!strcmp(cmd, "scan"))
		rc = cmd_scan(table, node, repeat);
	else if (!strcmp(cmd, "query"))
		rc = cmd_query(table, pref, seconds);
	else
		rc = 2;
	cluster_client_close(cc);
	return rc;
}
