/* Cluster tests with real datanodes in one process: a metasrv and three
 * datanodes (heartbeat 100 ms, one shared fs object store) used through
 * cluster_client. Follower reads equal leader reads (all columns, a
 * projection, predicates, across flushes), a snapshot handed in by the
 * caller, hostile region requests refused, the memtable-fetch fault point,
 * lease expiry demoting leaders (no writes) and heartbeats promoting them
 * again with every acknowledged row, truncate and drop reaching followers;
 * a region_reader retries another peer only before the first frame
 * (follower_preferred -> leader), never after rows arrived. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/log.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "datanode/datanode.h"
#include "helpers/region_fixture.h"
#include "meta/catalog.h"
#include "meta/metasrv.h"

#define NDN 3
#define IV  100

static char *dir;
static struct metasrv *ms;
static struct datanode *dns[NDN];
static struct cluster_client *cc;
static struct table_info *tinfo;
static struct table_route *troute;

static bool wait_for(bool (*cond)(void *), void *arg, int64_t limit_ms)
{
	int64_t end = clock_now_ms() + limit_ms;
	while (clock_now_ms() < end) {
		if (cond(arg))
			return true;
		clock_sleep_ms(10);
	}
	return cond(arg);
}

static bool all_alive(void *arg)
{
	(void)arg;
	struct cluster_nodes ns;
	if (cluster_client_nodes(cc, &ns))
		return false;
	int alive = 0;
	for (uint32_t i = 0; i < ns.n; i++)
		alive +=
		    ns.nodes[i].type == CLUSTER_NODE_DATANODE && ns.nodes[i].status == NODE_ALIVE;
	cluster_nodes_free(&ns);
	return alive == NDN;
}

static int group_setup(void **state)
{
	(void)state;
	dir = fx_tempdir("cluster-nodes");
	char path[512], meta[64], store[512];
	snprintf(path, sizeof(path), "%s/meta", dir);
	snprintf(store, sizeof(store), "%s/shared", dir);
	struct metasrv_options mo = {
	    .bind_addr = "127.0.0.1:0", .data_home = path, .heartbeat_interval_ms = IV};
	if (metasrv_start(&mo, &ms))
		return -1;
	snprintf(meta, sizeof(meta), "127.0.0.1:%u", metasrv_port(ms));
	for (int i = 0; i < NDN; i++) {
		snprintf(path, sizeof(path), "%s/dn%d", dir, i);
		struct datanode_options o = {.node_id = (uint64_t)i,
		                             .rpc_addr = "127.0.0.1:0",
		                             .metasrv_addrs = meta,
		                             .data_home = path,
		                             .store_root = store,
		                             .heartbeat_interval_ms = IV};
		if (datanode_start(&o, &dns[i]))
			return -1;
	}
	struct cluster_client_options co = {.metasrv_addrs = meta, .node_cache_ms = 1};
	if (cluster_client_open(&co, &cc) || !wait_for(all_alive, NULL, 10000))
		return -1;
	static char *rules[2] = {"host <= 'm'", "host > 'm'"};
	static char *pcols[1] = {"host"};
	struct table_info t = {.catalog = CATALOG_DEFAULT,
	                       .schema = SCHEMA_DEFAULT,
	                       .name = "cpu",
	                       .engine = "mito",
	                       .comment = "",
	                       .region_schema = fx_schema(false, MERGE_LAST_ROW),
	                       .nrules = 2,
	                       .rules = rules,
	                       .npartition_cols = 1,
	                       .partition_cols = pcols};
	tinfo = table_info_clone(&t);
	region_schema_free(t.region_schema);
	uint64_t leaders[2] = {1, 2};
	bool created;
	if (cluster_client_create_table(cc, tinfo, leaders, 2, false, &created, NULL) || !created)
		return -1;
	struct follower_result fr;
	uint64_t all[3] = {0, 1, 2};
	if (cluster_client_add_table_follower(cc, tinfo->table_id, all, 3, &fr))
		return -1;
	troute = fr.route;
	fr.route = NULL;
	follower_result_free(&fr);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fault_disarm_all();
	table_route_free(troute);
	table_info_free(tinfo);
	cluster_client_close(cc);
	for (int i = 0; i < NDN; i++)
		datanode_stop(dns[i]);
	metasrv_stop(ms);
	fx_rmrf(dir);
	mem_free(dir);
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static int write_rows(uint32_t region, const struct fx_row *rows, size_t n)
{
	struct batch b;
	fx_batch(rows, n, &b);
	int rc = cluster_client_region_write(cc, &troute->regions[region], OP_PUT, &b, NULL);
	batch_free(&b);
	return rc;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Canonical text of a user-column batch (sorted rows, NULLs and empty
 * projected-out columns shown). */
static char *canon(const struct batch *b)
{
	char **lines = calloc(b->nrows + 1, sizeof(char *));
	size_t total = 1;
	for (uint32_t i = 0; i < b->nrows; i++) {
		char line[256];
		int off = 0;
		for (uint32_t c = 0; c < b->ncols; c++) {
			const struct colvec *v = &b->cols[c];
			if (v->len == 0)
				off += snprintf(line + off, sizeof(line) - off, "-|");
			else if (colvec_is_null(v, i))
				off += snprintf(line + off, sizeof(line) - off, "NULL|");
			else if (dtype_phys(v->type) == PHYS_BYTES) {
				uint32_t n;
				const char *s = colvec_bytes(v, i, &n);
				off += snprintf(line + off, sizeof(line) - off, "%.*s|", (int)n, s);
			} else if (dtype_phys(v->type) == PHYS_F64)
				off += snprintf(line + off, sizeof(line) - off, "%g|", v->f64[i]);
			else
				off += snprintf(line + off, sizeof(line) - off, "%lld|",
				                (long long)v->i64[i]);
		}
		lines[i] = strdup(line);
		total += strlen(line) + 1;
	}
	qsort(lines, b->nrows, sizeof(char *), cmp_line);
	char *out = calloc(1, total);
	for (uint32_t i = 0; i < b->nrows; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
		free(lines[i]);
	}
	free(lines);
	return out;
}

/* Read region r on its leader and on its follower; both must succeed and
 * agree. Returns the row count. */
static uint32_t leader_equals_follower(uint32_t r, const struct scan_request *req)
{
	const struct region_route *rr = &troute->regions[r];
	struct batch lb, fb;
	assert_int_equal(cluster_client_region_scan(cc, rr->leader, rr->region_id, RPC_READ_LEADER,
	                                            req, tinfo->region_schema, &lb),
	                 ERR_OK);
	int rc = cluster_client_region_scan(cc, rr->followers[0], rr->region_id, RPC_READ_FOLLOWER,
	                                    req, tinfo->region_schema, &fb);
	if (rc)
		fail_msg("follower read: %s", err_msg());
	char *a = canon(&lb), *b = canon(&fb);
	assert_string_equal(a, b);
	uint32_t n = lb.nrows;
	free(a);
	free(b);
	batch_free(&lb);
	batch_free(&fb);
	return n;
}

static uint32_t count_rows(uint64_t node, uint32_t r, enum rpc_read_mode mode)
{
	struct batch b;
	int rc = cluster_client_region_scan(cc, node, troute->regions[r].region_id, mode, NULL,
	                                    tinfo->region_schema, &b);
	if (rc)
		return UINT32_MAX;
	uint32_t n = b.nrows;
	batch_free(&b);
	return n;
}

/* ---- tests -------------------------------------------------------------- */

static void test_follower_reads_equal_leader_reads(void **state)
{
	(void)state;
	assert_int_equal(troute->regions[0].leader, 1);
	assert_int_equal(troute->regions[0].followers[0], 0);
	assert_int_equal(troute->regions[1].followers[0], 1);
	struct fx_row a[4] = {{"a", 1, 1.5, false, 10, false},
	                      {"b", 2, 0, true, 20, false},
	                      {"c", 3, 3.5, false, 0, true},
	                      {"a", 4, 4.5, false, 40, false}};
	struct fx_row z[2] = {{"x", 1, 9, false, 1, false}, {"y", 2, 8, false, 2, false}};
	assert_int_equal(write_rows(0, a, 4), ERR_OK);
	assert_int_equal(write_rows(1, z, 2), ERR_OK);
	assert_int_equal(leader_equals_follower(0, NULL), 4);
	assert_int_equal(leader_equals_follower(1, NULL), 2);
	/* part in SSTs, part in the memtable, with an overwrite across them */
	assert_int_equal(cluster_client_flush_table(cc, tinfo->table_id), ERR_OK);
	struct fx_row more[2] = {{"a", 1, 100, false, 11, false}, {"d", 5, 5, false, 5, false}};
	assert_int_equal(write_rows(0, more, 2), ERR_OK);
	assert_int_equal(leader_equals_follower(0, NULL), 5);
	/* a projection and predicates */
	bool proj[4] = {false, true, true, false};
	struct scan_pred p = {.col = 0, .op = PRED_EQ, .lit = {.type = DT_STRING, .v.s = {"a", 1}}};
	struct scan_request req;
	scan_request_init(&req);
	req.projection = proj;
	req.preds = &p;
	req.npreds = 1;
	assert_int_equal(leader_equals_follower(0, &req), 2);
	req.ts_min = 2;
	assert_int_equal(leader_equals_follower(0, &req), 1);
	/* the follower's answer has the new value of the overwritten row */
	struct batch b;
	req.ts_min = INT64_MIN;
	req.projection = NULL;
	assert_int_equal(cluster_client_region_scan(cc, 0, troute->regions[0].region_id,
	                                            RPC_READ_FOLLOWER, &req, tinfo->region_schema,
	                                            &b),
	                 ERR_OK);
	char *text = canon(&b);
	assert_string_equal(text, "a|1|100|11|\na|4|4.5|40|\n");
	free(text);
	batch_free(&b);
	/* READ_PREFERENCE follower picks the follower */
	struct peer_choice pc;
	assert_int_equal(cluster_client_read_region(cc, &troute->regions[1], READ_PREF_FOLLOWER,
	                                            NULL, tinfo->region_schema, &b, &pc),
	                 ERR_OK);
	assert_false(pc.is_leader);
	assert_int_equal(pc.node_id, 1);
	assert_int_equal(b.nrows, 2);
	batch_free(&b);
}

static void test_snapshot_passed_by_the_caller(void **state)
{
	(void)state;
	const struct region_route *rr = &troute->regions[0];
	uint64_t version;
	struct batch snap;
	assert_int_equal(cluster_client_region_snapshot(cc, rr->leader, rr->region_id, NULL,
	                                                tinfo->region_schema->ncols, &version,
	                                                &snap),
	                 ERR_OK);
	assert_true(snap.nrows >= 2); /* memtable rows since the flush */
	assert_true(version >= 1);
	struct rpc_client *c;
	assert_int_equal(cluster_client_peer(cc, rr->followers[0], &c), ERR_OK);
	struct rpc_scan_args a = {.region_id = rr->region_id,
	                          .mode = RPC_READ_FOLLOWER,
	                          .leader_rows = &snap,
	                          .leader_version = version};
	struct batch out;
	assert_int_equal(rpc_region_scan(c, &a, &out), ERR_OK);
	assert_int_equal(out.nrows, 5);
	batch_free(&out);
	batch_free(&snap);
}

static int raw(uint64_t node, enum rpc_method m, const ProtobufCMessage *req)
{
	struct rpc_client *c;
	int rc = cluster_client_peer(cc, node, &c);
	ProtobufCMessage *resp = NULL;
	if (rc == ERR_OK)
		rc = rpc_call(c, m, req, &resp, 0);
	rpc_message_free(resp);
	return rc;
}

static void test_hostile_region_requests(void **state)
{
	(void)state;
	uint64_t rid = troute->regions[0].region_id; /* leader dn1, follower dn0 */
	RPC_PB(RegionScanRequest) s = STRATA__REGION_SCAN_REQUEST__INIT;
	RPC_PB(ScanRequest) sr = STRATA__SCAN_REQUEST__INIT;
	s.region_id = rid;
	s.scan = &sr;
	sr.ts_min = INT64_MIN;
	sr.ts_max = INT64_MAX;
	protobuf_c_boolean proj[2] = {1, 1};
	sr.projection = proj;
	sr.n_projection = 2;
	assert_int_equal(raw(1, RPC_REGION_SCAN, &s.base), ERR_BAD_INPUT);
	assert_non_null(strstr(err_msg(), "projection has 2 flags"));
	sr.n_projection = 0;
	RPC_PB(Predicate) p = STRATA__PREDICATE__INIT;
	RPC_PB(Predicate) * pp[1] = {&p};
	RPC_PB(Datum) d = STRATA__DATUM__INIT;
	sr.predicates = pp;
	sr.n_predicates = 1;
	p.column = 9;
	p.op = PRED_EQ;
	p.literal = &d;
	d.dtype = DT_INT64;
	d.value_case = STRATA__DATUM__VALUE_I;
	assert_int_equal(raw(1, RPC_REGION_SCAN, &s.base), ERR_BAD_INPUT);
	p.column = 0; /* host, a string: an integer literal must not be read as one */
	assert_int_equal(raw(1, RPC_REGION_SCAN, &s.base), ERR_BAD_INPUT);
	s.read_mode = RPC_READ_FOLLOWER;
	assert_int_equal(raw(0, RPC_REGION_SCAN, &s.base), ERR_BAD_INPUT);
	RPC_PB(RegionSnapshotRequest) sn = STRATA__REGION_SNAPSHOT_REQUEST__INIT;
	sn.region_id = rid;
	sn.scan = &sr;
	assert_int_equal(raw(1, RPC_REGION_SNAPSHOT, &sn.base), ERR_BAD_INPUT);
	sr.n_predicates = 0;
	s.read_mode = 7;
	assert_int_equal(raw(0, RPC_REGION_SCAN, &s.base), ERR_PROTOCOL);
	/* a leader read sent to a follower: the caller's route is stale */
	s.read_mode = RPC_READ_LEADER;
	assert_int_equal(raw(0, RPC_REGION_SCAN, &s.base), ERR_UNAVAILABLE);
	assert_non_null(strstr(err_msg(), "is a follower on datanode 0"));
	s.region_id = 12345;
	assert_int_equal(raw(0, RPC_REGION_SCAN, &s.base), ERR_NOT_FOUND);
	/* followers neither write nor give snapshots */
	struct fx_row row = {"a", 9, 1, false, 1, false};
	struct batch b;
	fx_batch(&row, 1, &b);
	struct rpc_client *c;
	assert_int_equal(cluster_client_peer(cc, 0, &c), ERR_OK);
	assert_int_equal(rpc_region_write(c, rid, OP_PUT, &b, NULL), ERR_READONLY);
	batch_free(&b);
	sn.scan = NULL;
	assert_int_equal(raw(0, RPC_REGION_SNAPSHOT, &sn.base), ERR_READONLY);
	/* malformed admin requests */
	RPC_PB(RegionCreateRequest) cr = STRATA__REGION_CREATE_REQUEST__INIT;
	cr.region_id = REGION_ID(5000, 0);
	cr.dir = "data/x/5000/5000_0000000000/";
	cr.schema_json = "{\"columns\":";
	assert_int_equal(raw(2, RPC_REGION_CREATE, &cr.base), ERR_PROTOCOL);
	cr.dir = "";
	assert_int_equal(raw(2, RPC_REGION_CREATE, &cr.base), ERR_BAD_INPUT);
	RPC_PB(RegionOpenRequest) op = STRATA__REGION_OPEN_REQUEST__INIT;
	op.region_id = REGION_ID(5000, 0);
	op.dir = "data/x/";
	op.role = 9;
	assert_int_equal(raw(2, RPC_REGION_OPEN, &op.base), ERR_PROTOCOL);
	op.role = REGION_ROLE_FOLLOWER;
	op.dir = "../../etc/";
	assert_int_not_equal(raw(2, RPC_REGION_OPEN, &op.base), ERR_OK);
	RPC_PB(NodeDebugRequest) nd = STRATA__NODE_DEBUG_REQUEST__INIT;
	nd.set_key = "nope";
	assert_int_equal(raw(2, RPC_NODE_DEBUG, &nd.base), ERR_BAD_INPUT);
	nd.set_key = "follower_memtable_fetch";
	nd.set_value = "maybe";
	assert_int_equal(raw(2, RPC_NODE_DEBUG, &nd.base), ERR_BAD_INPUT);
	/* the datanodes serve no metasrv method */
	RPC_PB(KvGetRequest) g = STRATA__KV_GET_REQUEST__INIT;
	g.key = "x";
	assert_int_equal(raw(2, RPC_KV_GET, &g.base), ERR_UNSUPPORTED);
	/* and still answer properly */
	assert_int_equal(leader_equals_follower(0, NULL), 5);
}

static void test_memtable_fetch_fault_and_switch(void **state)
{
	(void)state;
	fault_arm(FAULT_MEMTABLE_FETCH, FAULT_FAIL, 0, 0, 1);
	assert_int_equal(count_rows(0, 0, RPC_READ_FOLLOWER), UINT32_MAX);
	assert_int_equal(err_code(), ERR_IO);
	assert_non_null(strstr(err_msg(), "memtable.fetch"));
	assert_int_equal(count_rows(0, 0, RPC_READ_FOLLOWER), 5);
	fault_disarm_all();
	/* fetch off: the follower serves what its installed SSTs hold */
	char *json;
	assert_int_equal(cluster_client_node_debug(cc, 0, "follower_memtable_fetch", "off", &json),
	                 ERR_OK);
	assert_non_null(strstr(json, "\"follower_memtable_fetch\":false"));
	mem_free(json);
	uint32_t sst_only = count_rows(0, 0, RPC_READ_FOLLOWER);
	assert_true(sst_only < 5); /* the two rows after the flush are not in SSTs */
	assert_int_equal(cluster_client_node_debug(cc, 0, "follower_memtable_fetch", "on", &json),
	                 ERR_OK);
	mem_free(json);
	assert_int_equal(count_rows(0, 0, RPC_READ_FOLLOWER), 5);
}

/* A fake metasrv that always reports the three datanodes ALIVE. */
static int fake_info(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)ctx, (void)req;
	RPC_PB(NodeInfo) n[NDN];
	RPC_PB(NodeInfo) * np[NDN];
	for (int i = 0; i < NDN; i++) {
		strata__node_info__init(&n[i]);
		n[i].type = CLUSTER_NODE_DATANODE;
		n[i].id = (uint64_t)i;
		n[i].addr = (char *)datanode_addr(dns[i]);
		n[i].status = NODE_ALIVE;
		np[i] = &n[i];
	}
	RPC_PB(ClusterInfoResponse) resp = STRATA__CLUSTER_INFO_RESPONSE__INIT;
	resp.nodes = np;
	resp.n_nodes = NDN;
	return rpc_reply_send(r, &resp.base);
}

static void test_follower_without_leader_address(void **state)
{
	(void)state;
	struct rpc_server *fake;
	struct rpc_handlers h = {.cluster_info = fake_info};
	assert_int_equal(rpc_server_start(NULL, 0, &h, NULL, &fake), ERR_OK);
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", rpc_server_port(fake));
	struct cluster_client *cc2;
	struct cluster_client_options co = {.metasrv_addrs = addr, .node_cache_ms = 1};
	assert_int_equal(cluster_client_open(&co, &cc2), ERR_OK);
	/* no heartbeat may tell dn0 its leader during the test */
	fault_arm(FAULT_HEARTBEAT_SEND, FAULT_FAIL, 0, 0, 0);
	clock_sleep_ms(2 * IV);
	const struct region_route *rr = &troute->regions[0];
	char rdir[256];
	assert_int_equal(
	    region_dir_format(rdir, sizeof(rdir), CATALOG_DEFAULT, SCHEMA_DEFAULT, rr->region_id),
	    ERR_OK);
	RPC_PB(RegionOpenRequest) op = STRATA__REGION_OPEN_REQUEST__INIT;
	op.region_id = rr->region_id;
	op.dir = rdir;
	op.role = REGION_ROLE_FOLLOWER;
	op.leader_node_id = 99; /* another leader, address unknown */
	assert_int_equal(raw(0, RPC_REGION_OPEN, &op.base), ERR_OK);
	assert_int_equal(count_rows(0, 0, RPC_READ_FOLLOWER), UINT32_MAX);
	assert_int_equal(err_code(), ERR_UNAVAILABLE);
	assert_non_null(strstr(err_msg(), "address is not known"));
	/* the client takes the leader's snapshot itself and hands it over */
	struct batch b;
	struct peer_choice pc;
	assert_int_equal(cluster_client_read_region(cc2, rr, READ_PREF_FOLLOWER, NULL,
	                                            tinfo->region_schema, &b, &pc),
	                 ERR_OK);
	assert_false(pc.is_leader);
	assert_int_equal(pc.node_id, 0);
	assert_int_equal(b.nrows, 5);
	batch_free(&b);
	fault_disarm_all();
	cluster_client_close(cc2);
	rpc_server_stop(fake);
	/* the next heartbeats tell dn0 again */
	assert_true(wait_for(all_alive, NULL, 10000));
	int64_t end = clock_now_ms() + 5000;
	while (count_rows(0, 0, RPC_READ_FOLLOWER) != 5 && clock_now_ms() < end)
		clock_sleep_ms(10);
	assert_int_equal(count_rows(0, 0, RPC_READ_FOLLOWER), 5);
}

/* ---- region_reader: retries only before the peer sent anything ---------- */

/* A fake metasrv reporting the three datanodes and a fourth one, id 3, at
 * *(const char **)ctx, all ALIVE. */
static int fake_info4(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)req;
	RPC_PB(NodeInfo) n[NDN + 1];
	RPC_PB(NodeInfo) * np[NDN + 1];
	for (int i = 0; i <= NDN; i++) {
		strata__node_info__init(&n[i]);
		n[i].type = CLUSTER_NODE_DATANODE;
		n[i].id = (uint64_t)i;
		n[i].addr = (char *)(i < NDN ? datanode_addr(dns[i]) : *(const char **)ctx);
		n[i].status = NODE_ALIVE;
		np[i] = &n[i];
	}
	RPC_PB(ClusterInfoResponse) resp = STRATA__CLUSTER_INFO_RESPONSE__INIT;
	resp.nodes = np;
	resp.n_nodes = NDN + 1;
	return rpc_reply_send(r, &resp.base);
}

/* Datanode 3: sends two rows of the fixture schema, then fails with
 * ERR_UNAVAILABLE (a follower losing its leader mid-answer). */
static int half_scan(void *ctx, const RPC_PB(RegionScanRequest) * req, struct rpc_reply *r)
{
	(void)ctx, (void)req;
	struct fx_row rows[2] = {{"q", 1, 1, false, 1, false}, {"r", 2, 2, false, 2, false}};
	struct batch b;
	fx_batch(rows, 2, &b);
	int rc = rpc_reply_rows(r, &b);
	batch_free(&b);
	return rc ? rc : err_set(ERR_UNAVAILABLE, "follower lost its leader (test)");
}

static void test_region_reader_retry_rule(void **state)
{
	(void)state;
	/* a port where nothing listens: datanode 3 is dead */
	struct rpc_server *tmp;
	assert_int_equal(rpc_server_start(NULL, 0, &(struct rpc_handlers){0}, NULL, &tmp), ERR_OK);
	char dead[32];
	snprintf(dead, sizeof(dead), "127.0.0.1:%u", rpc_server_port(tmp));
	rpc_server_stop(tmp);
	const char *addr3 = dead;
	struct rpc_server *fake;
	struct rpc_handlers h = {.cluster_info = fake_info4, .ctx = &addr3};
	assert_int_equal(rpc_server_start(NULL, 0, &h, NULL, &fake), ERR_OK);
	char maddr[32];
	snprintf(maddr, sizeof(maddr), "127.0.0.1:%u", rpc_server_port(fake));
	struct cluster_client *cc2;
	struct cluster_client_options co = {.metasrv_addrs = maddr, .node_cache_ms = 60000};
	assert_int_equal(cluster_client_open(&co, &cc2), ERR_OK);
	/* region 0 with its only follower on datanode 3 */
	struct region_route rr = troute->regions[0];
	rr.nfollowers = 1;
	rr.followers[0] = 3;
	uint32_t want = count_rows(rr.leader, 0, RPC_READ_LEADER);
	assert_true(want > 0 && want != UINT32_MAX);
	/* follower_preferred: the follower fails before sending anything -> the leader */
	struct region_reader *rd;
	struct peer_choice pc;
	assert_int_equal(cluster_client_region_read_open(cc2, &rr, READ_PREF_FOLLOWER_PREFERRED, NULL,
	                                                 tinfo->region_schema, NULL, 0, NULL, NULL,
	                                                 &rd, &pc),
	                 ERR_OK);
	assert_true(pc.is_leader);
	assert_int_equal(pc.node_id, rr.leader);
	uint32_t got = 0;
	for (;;) {
		struct batch b;
		bool end;
		assert_int_equal(region_reader_next(rd, &b, &end), ERR_OK);
		if (end)
			break;
		assert_int_equal(b.ncols, tinfo->region_schema->ncols);
		got += b.nrows;
		batch_free(&b);
	}
	assert_true(region_reader_done(rd));
	region_reader_close(rd);
	assert_int_equal(got, want);
	/* 'follower' has no fallback: the error names the dead peer */
	assert_int_equal(cluster_client_region_read_open(cc2, &rr, READ_PREF_FOLLOWER, NULL,
	                                                 tinfo->region_schema, NULL, 0, NULL, NULL,
	                                                 &rd, &pc),
	                 ERR_UNAVAILABLE);
	assert_non_null(strstr(err_msg(), dead));
	/* datanode 3 alive but failing after two rows: those rows arrive, then
	 * the error - no retry on the leader (its rows would be duplicated) */
	struct rpc_server *half;
	struct rpc_handlers hh = {.region_scan = half_scan};
	assert_int_equal(rpc_server_start(NULL, 0, &hh, NULL, &half), ERR_OK);
	char live[32];
	snprintf(live, sizeof(live), "127.0.0.1:%u", rpc_server_port(half));
	struct cluster_client *cc3;
	addr3 = live;
	assert_int_equal(cluster_client_open(&co, &cc3), ERR_OK);
	assert_int_equal(cluster_client_region_read_open(cc3, &rr, READ_PREF_FOLLOWER_PREFERRED, NULL,
	                                                 tinfo->region_schema, NULL, 0, NULL, NULL,
	                                                 &rd, &pc),
	                 ERR_OK);
	assert_false(pc.is_leader);
	assert_int_equal(pc.node_id, 3);
	struct batch b;
	bool end;
	assert_int_equal(region_reader_next(rd, &b, &end), ERR_OK);
	assert_false(end);
	assert_int_equal(b.nrows, 2);
	batch_free(&b);
	assert_int_equal(region_reader_next(rd, &b, &end), ERR_UNAVAILABLE);
	assert_non_null(strstr(err_msg(), "lost its leader (test)"));
	assert_false(end);
	assert_false(region_reader_done(rd));
	region_reader_close(rd);
	/* the collecting read: the same rule, an error rather than 2 + N rows */
	assert_int_equal(cluster_client_read_region(cc3, &rr, READ_PREF_FOLLOWER_PREFERRED, NULL,
	                                            tinfo->region_schema, &b, &pc),
	                 ERR_UNAVAILABLE);
	cluster_client_close(cc3);
	rpc_server_stop(half);
	cluster_client_close(cc2);
	rpc_server_stop(fake);
}

struct role_arg {
	uint64_t node;
	uint64_t rid;
	enum region_role role;
};

static bool has_role(void *arg)
{
	struct role_arg *a = arg;
	struct region_stat *st;
	uint32_t n;
	if (cluster_client_region_stats(cc, a->node, &st, &n))
		return false;
	bool ok = false;
	for (uint32_t i = 0; i < n; i++)
		ok |= st[i].region_id == a->rid && st[i].role == a->role;
	mem_free(st);
	return ok;
}

static bool write_ok(void *arg)
{
	struct fx_row *row = arg;
	return write_rows(0, row, 1) == ERR_OK;
}

static void test_lease_expiry_demotes_and_heartbeats_promote(void **state)
{
	(void)state;
	struct role_arg leader = {1, troute->regions[0].region_id, REGION_ROLE_FOLLOWER};
	fault_arm(FAULT_HEARTBEAT_SEND, FAULT_FAIL, 0, 0, 0); /* every heartbeat lost */
	int64_t t0 = clock_now_ms();
	assert_true(wait_for(has_role, &leader, 10000));
	int64_t demoted_after = clock_now_ms() - t0;
	print_message("# leader demoted %lld ms after heartbeats stopped (lease %d ms)\n",
	              (long long)demoted_after, 3 * IV + 1000);
	assert_true(demoted_after >= 3 * IV + 1000 - 2 * IV);
	struct fx_row row = {"e", 6, 6, false, 6, false};
	assert_int_not_equal(write_rows(0, &row, 1), ERR_OK);
	fault_disarm_all();
	leader.role = REGION_ROLE_LEADER;
	assert_true(wait_for(has_role, &leader, 10000));
	assert_true(wait_for(write_ok, &row, 10000));
	/* every acknowledged row survived the demotion (WAL replay on promotion) */
	assert_true(wait_for(all_alive, NULL, 10000));
	assert_int_equal(leader_equals_follower(0, NULL), 6);
}

static bool rows_are(void *arg)
{
	uint32_t want = *(uint32_t *)arg;
	return count_rows(1, 0, RPC_READ_LEADER) == want &&
	       count_rows(0, 0, RPC_READ_FOLLOWER) == want &&
	       count_rows(2, 1, RPC_READ_LEADER) == want &&
	       count_rows(1, 1, RPC_READ_FOLLOWER) == want;
}

static bool gone(void *arg)
{
	(void)arg;
	for (uint64_t node = 0; node < NDN; node++) {
		struct region_stat *st;
		uint32_t n;
		if (cluster_client_region_stats(cc, node, &st, &n))
			return false;
		bool any = false;
		for (uint32_t i = 0; i < n; i++)
			any |= REGION_TABLE_ID(st[i].region_id) == tinfo->table_id;
		mem_free(st);
		if (any)
			return false;
	}
	return true;
}

static void test_truncate_and_drop_reach_followers(void **state)
{
	(void)state;
	/* installed SSTs on the follower before the truncate */
	assert_int_equal(cluster_client_flush_table(cc, tinfo->table_id), ERR_OK);
	assert_int_equal(cluster_client_truncate_table(cc, tinfo->table_id), ERR_OK);
	uint32_t zero = 0;
	assert_true(wait_for(rows_are, &zero, 5000));
	/* with fetch off too: the follower installed the Truncate version */
	char *json;
	assert_int_equal(cluster_client_node_debug(cc, 0, "follower_memtable_fetch", "off", &json),
	                 ERR_OK);
	mem_free(json);
	assert_int_equal(count_rows(0, 0, RPC_READ_FOLLOWER), 0);
	assert_int_equal(cluster_client_node_debug(cc, 0, "follower_memtable_fetch", "on", &json),
	                 ERR_OK);
	mem_free(json);
	assert_int_equal(cluster_client_drop_table(cc, tinfo->table_id), ERR_OK);
	assert_true(wait_for(gone, NULL, 5000));
	struct table_route *tr;
	assert_int_equal(cluster_client_get_route(cc, tinfo->table_id, &tr), ERR_NOT_FOUND);
	assert_int_equal(cluster_client_drop_table(cc, tinfo->table_id), ERR_NOT_FOUND);
}

int main(void)
{
	log_set_level(getenv("STRATA_LOG") ? LOG_INFO : LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_follower_reads_equal_leader_reads),
	    cmocka_unit_test(test_snapshot_passed_by_the_caller),
	    cmocka_unit_test(test_hostile_region_requests),
	    cmocka_unit_test(test_memtable_fetch_fault_and_switch),
	    cmocka_unit_test(test_follower_without_leader_address),
	    cmocka_unit_test(test_region_reader_retry_rule),
	    cmocka_unit_test(test_lease_expiry_demotes_and_heartbeats_promote),
	    cmocka_unit_test(test_truncate_and_drop_reach_followers),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
