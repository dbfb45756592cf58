/*
 * cluster_driver: a command-line client of a running cluster, built on
 * cluster_client.h only (what a frontend would use), for the cluster
 * suites (tests/suites/cluster_*.sh).
 *
 *   cluster_driver --meta HOST:PORT COMMAND [ARGS]
 *
 * Test table (like the read-replica example): ts TIMESTAMP(3) TIME INDEX,
 * i INT PRIMARY KEY, s STRING; with 2 regions partitioned i <= 0 | i > 0.
 * Row k has i = k, ts = 1000 + k, s = "s<k>" ("v2-s<k>" with --v2).
 *
 * Commands (exit 0 = success; failures print "error CODE: message"):
 *   wait-alive N MS             until N datanodes are ALIVE
 *   wait-status ID STATUS MS    until datanode ID has STATUS; prints ms
 *   nodes                       cluster_info, one node per line
 *   create NAME NREGIONS [L,..] create the test table; prints its id
 *   route T                     "region RID leader L followers F,F"
 *   add-table-follower T [IDS] | remove-table-follower T
 *   add-region-follower RID DN | remove-region-follower RID DN
 *   write T FROM TO [--v2]      one row per call to the leader; "ack K" per
 *                               acknowledged row; stops at the first error
 *   read T PREF                 every row (sorted) read with READ_PREFERENCE
 *                               PREF; "served RID NODE leader|follower" on
 *                               stderr
 *   read-at T NODE              every row of the regions NODE holds, read
 *                               there directly (leader or follower read by
 *                               its role in the route; others skipped)
 *   count-reads NODE FIELD      sum of FIELD over the node's regions
 *   set-fetch NODE on|off       follower memtable fetch of a datanode
 *   faults NODE SPEC            arm fault points (STRATA_FAULTS syntax; ""
 *                               disarms) on a datanode started with
 *                               STRATA_FAULTS_RUNTIME=1
 *   flush T | truncate T | drop T
 *   compact T                   a forced compaction of every region of T on
 *                               its leader
 *   flush-visible T K MS        with fetch off: write row K, check a follower
 *                               read misses it, flush, then poll follower
 *                               reads until it shows; prints ms (fails > MS)
 *   verify-acks T FILE          every "ack K" of FILE present exactly once
 *   debug NODE|meta             node_debug JSON
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "meta/catalog.h"

static struct cluster_client *cc;
static bool v2;

static int fail(int rc)
{
	printf("error %s: %s\n", err_code_name(rc), err_msg());
	return 3;
}

static struct region_schema *test_schema(void)
{
	struct column_schema cols[3] = {
	    {.name = "ts", .type = DT_TS_MS, .sem = SEM_TIMESTAMP, .column_id = 0},
	    {.name = "i", .type = DT_INT32, .sem = SEM_TAG, .nullable = true, .column_id = 1},
	    {.name = "s", .type = DT_STRING, .sem = SEM_FIELD, .nullable = true, .column_id = 2},
	};
	uint32_t pk[1] = {1};
	struct region_schema s = {.ncols = 3, .cols = cols, .ts_col = 0, .npk = 1, .pk_cols = pk};
	return region_schema_clone(&s);
}

static int load(uint32_t tid, struct table_info **info, struct table_route **tr)
{
	int rc = catalog_get_table_by_id(cluster_client_kv(cc), tid, info);
	if (rc == ERR_OK)
		rc = cluster_client_get_route(cc, tid, tr);
	return rc;
}

static uint32_t region_of(const struct table_route *tr, int64_t k)
{
	return tr->nregions == 1 ? 0 : k <= 0 ? 0 : 1;
}

static int cmd_compact(uint32_t tid)
{
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	int rc = load(tid, &info, &tr);
	for (uint32_t r = 0; rc == ERR_OK && r < tr->nregions; r++)
		rc = cluster_client_region_compact(cc, tr->regions[r].leader,
		                                   tr->regions[r].region_id, true);
	table_route_free(tr);
	table_info_free(info);
	return rc ? fail(rc) : 0;
}

static int parse_ids(const char *s, uint64_t *ids, uint32_t *n)
{
	*n = 0;
	char *copy = strdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t && *n < 64; t = strtok_r(NULL, ",", &save))
		ids[(*n)++] = strtoull(t, NULL, 10);
	free(copy);
	return ERR_OK;
}

static void print_route(const struct table_route *tr)
{
	for (uint32_t i = 0; i < tr->nregions; i++) {
		const struct region_route *rr = &tr->regions[i];
		printf("region %" PRIu64 " leader %" PRIu64 " followers ", rr->region_id,
		       rr->leader);
		for (uint32_t k = 0; k < rr->nfollowers; k++)
			printf("%s%" PRIu64, k ? "," : "", rr->followers[k]);
		printf("%s\n", rr->nfollowers ? "" : "-");
	}
}

/* ---- commands ------------------------------------------------------------- */

static int count_status(enum node_status st, uint64_t id, bool one, int *count)
{
	struct cluster_nodes ns;
	int rc = cluster_client_nodes(cc, &ns);
	if (rc)
		return rc;
	*count = 0;
	for (uint32_t i = 0; i < ns.n; i++)
		if (ns.nodes[i].type == CLUSTER_NODE_DATANODE && ns.nodes[i].status == st &&
		    (!one || ns.nodes[i].id == id))
			(*count)++;
	cluster_nodes_free(&ns);
	return ERR_OK;
}

static int cmd_wait(bool one, uint64_t id, enum node_status st, int want, int64_t ms)
{
	int64_t t0 = clock_now_ms();
	int n = 0, rc = ERR_OK;
	while (clock_now_ms() - t0 <= ms) {
		rc = count_status(st, id, one, &n);
		if (rc == ERR_OK && n >= want) {
			printf("%" PRId64 "\n", clock_now_ms() - t0);
			return 0;
		}
		clock_sleep_ms(20);
	}
	if (rc)
		return fail(rc);
	printf("error TIMEOUT: %d datanode(s) %s after %" PRId64 " ms\n", n, node_status_name(st),
	       ms);
	return 3;
}

static int cmd_nodes(void)
{
	struct cluster_nodes ns;
	int rc = cluster_client_nodes(cc, &ns);
	if (rc)
		return fail(rc);
	for (uint32_t i = 0; i < ns.n; i++) {
		const struct cluster_node *nd = &ns.nodes[i];
		printf("%s %" PRIu64 " %s %s regions %u\n", cluster_node_type_name(nd->type),
		       nd->id, nd->addr, node_status_name(nd->status), nd->nstats);
	}
	cluster_nodes_free(&ns);
	return 0;
}

static int cmd_create(const char *name, int nregions, const char *leaders)
{
	static char *rules[2] = {"i <= 0", "i > 0"};
	static char *pcols[1] = {"i"};
	struct table_info t = {.catalog = CATALOG_DEFAULT,
	                       .schema = SCHEMA_DEFAULT,
	                       .name = (char *)name,
	                       .engine = "mito",
	                       .comment = "",
	                       .region_schema = test_schema()};
	if (nregions == 2) {
		t.nrules = 2;
		t.rules = rules;
		t.npartition_cols = 1;
		t.partition_cols = pcols;
	}
	uint64_t ids[64];
	uint32_t n = 0;
	if (leaders)
		parse_ids(leaders, ids, &n);
	struct table_route *tr = NULL;
	bool created;
	int rc = cluster_client_create_table(cc, &t, ids, n, false, &created, &tr);
	region_schema_free(t.region_schema);
	if (rc)
		return fail(rc);
	printf("table_id %u\n", t.table_id);
	print_route(tr);
	table_route_free(tr);
	return 0;
}

static int cmd_route(uint32_t tid)
{
	struct table_route *tr;
	int rc = cluster_client_get_route(cc, tid, &tr);
	if (rc)
		return fail(rc);
	print_route(tr);
	table_route_free(tr);
	return 0;
}

static int print_changes(int rc, struct follower_result *r)
{
	if (rc)
		return fail(rc);
	for (uint32_t i = 0; i < r->n; i++)
		printf("%s region %" PRIu64 " datanode %" PRIu64 "\n",
		       r->changes[i].added ? "added" : "removed", r->changes[i].region_id,
		       r->changes[i].datanode_id);
	follower_result_free(r);
	return 0;
}

static void row_batch(int64_t k, struct batch *b)
{
	enum dtype types[3] = {DT_TS_MS, DT_INT32, DT_STRING};
	batch_init(b, 3, types);
	char s[64];
	snprintf(s, sizeof(s), "%ss%" PRId64, v2 ? "v2-" : "", k);
	colvec_push_i64(&b->cols[0], 1000 + k);
	colvec_push_i64(&b->cols[1], k);
	colvec_push_bytes(&b->cols[2], s, strlen(s));
	b->nrows = 1;
}

static int write_row(const struct table_route *tr, int64_t k)
{
	struct batch b;
	row_batch(k, &b);
	int rc = cluster_client_region_write(cc, &tr->regions[region_of(tr, k)], OP_PUT, &b, NULL);
	batch_free(&b);
	return rc;
}

static int cmd_write(uint32_t tid, int64_t from, int64_t to)
{
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	int rc = load(tid, &info, &tr);
	for (int64_t k = from; rc == ERR_OK && k < to; k++) {
		rc = write_row(tr, k);
		if (rc == ERR_OK) {
			printf("ack %" PRId64 "\n", k);
			fflush(stdout);
		}
	}
	table_info_free(info);
	table_route_free(tr);
	return rc ? fail(rc) : 0;
}

struct row {
	int64_t i, ts;
	char s[48];
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->i != y->i)
		return x->i < y->i ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Every row of the table read under pref (sorted by i, ts). */
static int read_all(uint32_t tid, enum read_preference pref, bool quiet, struct row **rows,
                    size_t *n)
{
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	*rows = NULL;
	*n = 0;
	size_t cap = 0;
	int rc = load(tid, &info, &tr);
	for (uint32_t r = 0; rc == ERR_OK && r < tr->nregions; r++) {
		struct batch b;
		struct peer_choice pc;
		rc = cluster_client_read_region(cc, &tr->regions[r], pref, NULL,
		                                info->region_schema, &b, &pc);
		if (rc)
			break;
		if (!quiet)
			fprintf(stderr, "served %" PRIu64 " %" PRIu64 " %s\n",
			        tr->regions[r].region_id, pc.node_id,
			        pc.is_leader ? "leader" : "follower");
		for (uint32_t i = 0; i < b.nrows; i++) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 256;
				*rows = realloc(*rows, cap * sizeof(**rows));
			}
			struct row *rw = &(*rows)[(*n)++];
			rw->ts = b.cols[0].i64[i];
			rw->i = b.cols[1].i64[i];
			uint32_t len;
			const char *s = colvec_bytes(&b.cols[2], i, &len);
			snprintf(rw->s, sizeof(rw->s), "%.*s", (int)len, s);
		}
		batch_free(&b);
	}
	if (*n)
		qsort(*rows, *n, sizeof(**rows), row_cmp);
	table_info_free(info);
	table_route_free(tr);
	return rc;
}

static int parse_pref(const char *s, enum read_preference *p)
{
	static const char *names[] = {"leader", "follower", "follower_preferred", "random"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*p = (enum read_preference)i;
			return ERR_OK;
		}
	return err_set(ERR_BAD_INPUT, "unknown preference %s", s);
}

static int cmd_read(uint32_t tid, const char *prefs)
{
	enum read_preference pref = READ_PREF_LEADER;
	struct row *rows = NULL;
	size_t n = 0;
	int rc = parse_pref(prefs, &pref);
	if (rc == ERR_OK)
		rc = read_all(tid, pref, false, &rows, &n);
	if (rc)
		return fail(rc);
	for (size_t i = 0; i < n; i++)
		printf("%" PRId64 ",%" PRId64 ",%s\n", rows[i].i, rows[i].ts, rows[i].s);
	free(rows);
	return 0;
}

static int cmd_read_at(uint32_t tid, uint64_t node)
{
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc = load(tid, &info, &tr);
	for (uint32_t r = 0; rc == ERR_OK && r < tr->nregions; r++) {
		const struct region_route *rr = &tr->regions[r];
		bool follower = false;
		for (uint32_t f = 0; f < rr->nfollowers; f++)
			follower |= rr->followers[f] == node;
		if (rr->leader != node && !follower)
			continue;
		struct batch b;
		rc = cluster_client_region_scan(cc, node, rr->region_id,
		                                rr->leader == node ? RPC_READ_LEADER : RPC_READ_FOLLOWER,
		                                NULL, info->region_schema, &b);
		for (uint32_t i = 0; rc == ERR_OK && i < b.nrows; i++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				rows = realloc(rows, cap * sizeof(*rows));
			}
			struct row *rw = &rows[n++];
			rw->ts = b.cols[0].i64[i];
			rw->i = b.cols[1].i64[i];
			uint32_t len;
			const char *s = colvec_bytes(&b.cols[2], i, &len);
			snprintf(rw->s, sizeof(rw->s), "%.*s", (int)len, s);
		}
		if (rc == ERR_OK)
			batch_free(&b);
	}
	table_info_free(info);
	table_route_free(tr);
	if (rc) {
		free(rows);
		return fail(rc);
	}
	if (n)
		qsort(rows, n, sizeof(*rows), row_cmp);
	for (size_t i = 0; i < n; i++)
		printf("%" PRId64 ",%" PRId64 ",%s\n", rows[i].i, rows[i].ts, rows[i].s);
	free(rows);
	return 0;
}

static int node_debug(const char *node, const char *key, const char *val, cJSON **out)
{
	char *json;
	uint64_t id = !strcmp(node, "meta") ? CLUSTER_METASRV_NODE : strtoull(node, NULL, 10);
	int rc = cluster_client_node_debug(cc, id, key, val, &json);
	if (rc)
		return rc;
	*out = cJSON_Parse(json);
	mem_free(json);
	return *out ? ERR_OK : err_set(ERR_PROTOCOL, "debug answer is not JSON");
}

static int cmd_count(const char *node, const char *field)
{
	cJSON *j;
	int rc = node_debug(node, NULL, NULL, &j);
	if (rc)
		return fail(rc);
	double sum = 0;
	const cJSON *regions = cJSON_GetObjectItemCaseSensitive(j, "regions"), *r;
	cJSON_ArrayForEach(r, regions)
	{
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, field);
		if (cJSON_IsNumber(v))
			sum += v->valuedouble;
	}
	cJSON_Delete(j);
	printf("%.0f\n", sum);
	return 0;
}

static bool has_row(const struct row *rows, size_t n, int64_t k)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].i == k)
			return true;
	return false;
}

static int cmd_flush_visible(uint32_t tid, int64_t k, int64_t limit_ms)
{
	struct table_info *info = NULL;
	struct table_route *tr = NULL;
	struct row *rows = NULL;
	size_t n = 0;
	int rc = load(tid, &info, &tr);
	if (rc == ERR_OK)
		rc = write_row(tr, k);
	if (rc == ERR_OK)
		rc = read_all(tid, READ_PREF_FOLLOWER, true, &rows, &n);
	if (rc == ERR_OK && has_row(rows, n, k)) {
		free(rows);
		table_info_free(info);
		table_route_free(tr);
		printf("error FETCH_ON: row %" PRId64 " seen on a follower before any flush\n", k);
		return 3;
	}
	free(rows);
	rows = NULL;
	if (rc == ERR_OK)
		rc = cluster_client_region_flush(cc, tr->regions[region_of(tr, k)].leader,
		                                 tr->regions[region_of(tr, k)].region_id);
	int64_t t0 = clock_mono_ns();
	int64_t ms = 0;
	bool seen = false;
	while (rc == ERR_OK && !seen) {
		rc = read_all(tid, READ_PREF_FOLLOWER, true, &rows, &n);
		seen = rc == ERR_OK && has_row(rows, n, k);
		free(rows);
		rows = NULL;
		ms = (clock_mono_ns() - t0) / 1000000;
		if (!seen && ms > limit_ms * 5)
			break;
		if (!seen)
			clock_sleep_ms(5);
	}
	table_info_free(info);
	table_route_free(tr);
	if (rc)
		return fail(rc);
	printf("%" PRId64 "\n", ms);
	if (!seen || ms > limit_ms) {
		printf("error SLOW: row %" PRId64 " %s on the follower after %" PRId64
		       " ms (limit %" PRId64 ")\n",
		       k, seen ? "visible only" : "not visible", ms, limit_ms);
		return 3;
	}
	return 0;
}

static int cmd_verify(uint32_t tid, const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		printf("error IO: cannot open %s\n", file);
		return 3;
	}
	struct row *rows;
	size_t n;
	int rc = read_all(tid, READ_PREF_LEADER, true, &rows, &n);
	if (rc) {
		fclose(f);
		return fail(rc);
	}
	char line[128];
	size_t acked = 0, missing = 0;
	while (fgets(line, sizeof(line), f)) {
		long long k;
		if (sscanf(line, "ack %lld", &k) != 1)
			continue;
		acked++;
		size_t found = 0;
		for (size_t i = 0; i < n; i++)
			found += rows[i].i == k;
		if (found != 1) {
			printf("row %lld found %zu times\n", k, found);
			missing++;
		}
	}
	fclose(f);
	for (size_t i = 1; i < n; i++)
		if (rows[i].i == rows[i - 1].i && rows[i].ts == rows[i - 1].ts)
			missing++, printf("duplicate row %" PRId64 "\n", rows[i].i);
	free(rows);
	printf("%zu acknowledged, %zu rows in the table, %zu problems\n", acked, n, missing);
	return missing ? 3 : 0;
}

int main(int argc, char **argv)
{
	log_set_tag("driver");
	log_set_level(LOG_WARN);
	const char *meta = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--meta") && i + 1 < argc)
			meta = argv[++i];
		else if (!strcmp(argv[i], "--v2"))
			v2 = true;
	}
	if (!meta || i >= argc) {
		fprintf(stderr, "usage: cluster_driver --meta HOST:PORT [--v2] COMMAND ...\n");
		return 2;
	}
	struct cluster_client_options o = {
	    .metasrv_addrs = meta, .node_cache_ms = 100, .request_timeout_ms = 10000};
	int rc = cluster_client_open(&o, &cc);
	if (rc)
		return fail(rc);
	const char *cmd = argv[i];
	char **a = argv + i + 1;
	int na = argc - i - 1;
	int ret = 2;
	uint64_t ids[64];
	uint32_t nids = 0;
	struct follower_result fr;
	if (!strcmp(cmd, "wait-alive") && na == 2)
		ret = cmd_wait(false, 0, NODE_ALIVE, atoi(a[0]), atoll(a[1]));
	else if (!strcmp(cmd, "wait-status") && na == 3) {
		int st = -1;
		for (int k = 0; k < 4; k++)
			if (!strcmp(a[1], node_status_name((unsigned)k)))
				st = k;
		ret = st < 0 ? 2
		             : cmd_wait(true, strtoull(a[0], NULL, 10), (enum node_status)st, 1,
		                        atoll(a[2]));
	} else if (!strcmp(cmd, "nodes") && na == 0)
		ret = cmd_nodes();
	else if (!strcmp(cmd, "create") && (na == 2 || na == 3))
		ret = cmd_create(a[0], atoi(a[1]), na == 3 ? a[2] : NULL);
	else if (!strcmp(cmd, "route") && na == 1)
		ret = cmd_route((uint32_t)atoi(a[0]));
	else if (!strcmp(cmd, "add-table-follower") && (na == 1 || na == 2)) {
		if (na == 2)
			parse_ids(a[1], ids, &nids);
		ret = print_changes(
		    cluster_client_add_table_follower(cc, (uint32_t)atoi(a[0]), ids, nids, &fr),
		    &fr);
	} else if (!strcmp(cmd, "remove-table-follower") && na == 1)
		ret = print_changes(
		    cluster_client_remove_table_follower(cc, (uint32_t)atoi(a[0]), &fr), &fr);
	else if (!strcmp(cmd, "add-region-follower") && na == 2)
		ret =
		    print_changes(cluster_client_add_region_follower(cc, strtoull(a[0], NULL, 10),
		                                                     strtoull(a[1], NULL, 10), &fr),
		                  &fr);
	else if (!strcmp(cmd, "remove-region-follower") && na == 2)
		ret =
		    print_changes(cluster_client_remove_region_follower(
		                      cc, strtoull(a[0], NULL, 10), strtoull(a[1], NULL, 10), &fr),
		                  &fr);
	else if (!strcmp(cmd, "write") && na == 3)
		ret = cmd_write((uint32_t)atoi(a[0]), atoll(a[1]), atoll(a[2]));
	else if (!strcmp(cmd, "read") && na == 2)
		ret = cmd_read((uint32_t)atoi(a[0]), a[1]);
	else if (!strcmp(cmd, "read-at") && na == 2)
		ret = cmd_read_at((uint32_t)atoi(a[0]), strtoull(a[1], NULL, 10));
	else if (!strcmp(cmd, "count-reads") && na == 2)
		ret = cmd_count(a[0], a[1]);
	else if (!strcmp(cmd, "set-fetch") && na == 2) {
		cJSON *j = NULL;
		rc = node_debug(a[0], "follower_memtable_fetch", a[1], &j);
		cJSON_Delete(j);
		ret = rc ? fail(rc) : 0;
	} else if (!strcmp(cmd, "faults") && na == 2) {
		cJSON *j = NULL;
		rc = node_debug(a[0], "faults", a[1], &j);
		cJSON_Delete(j);
		ret = rc ? fail(rc) : 0;
	} else if (!strcmp(cmd, "flush") && na == 1)
		ret = (rc = cluster_client_flush_table(cc, (uint32_t)atoi(a[0]))) ? fail(rc) : 0;
	else if (!strcmp(cmd, "compact") && na == 1)
		ret = cmd_compact((uint32_t)atoi(a[0]));
	else if (!strcmp(cmd, "truncate") && na == 1)
		ret = (rc = cluster_client_truncate_table(cc, (uint32_t)atoi(a[0]))) ? fail(rc) : 0;
	else if (!strcmp(cmd, "drop") && na == 1)
		ret = (rc = cluster_client_drop_table(cc, (uint32_t)atoi(a[0]))) ? fail(rc) : 0;
	else if (!strcmp(cmd, "flush-visible") && na == 3)
		ret = cmd_flush_visible((uint32_t)atoi(a[0]), atoll(a[1]), atoll(a[2]));
	else if (!strcmp(cmd, "verify-acks") && na == 2)
		ret = cmd_verify((uint32_t)atoi(a[0]), a[1]);
	else if (!strcmp(cmd, "debug") && na == 1) {
		cJSON *j = NULL;
		rc = node_debug(a[0], NULL, NULL, &j);
		char *s = j ? cJSON_Print(j) : NULL;
		if (s)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(j);
		ret = rc ? fail(rc) : 0;
	} else
		fprintf(stderr, "cluster_driver: bad command or arguments: %s\n", cmd);
	cluster_client_close(cc);
	return ret;
}
