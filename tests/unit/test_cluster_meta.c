/* Cluster metadata tests: placement rules (leaders round-robin, the
 * documented follower placement), the node status state machine on a fake
 * clock, and an in-process metasrv driven over RPC: the KV proxy behind
 * kv_open_remote (catalog.c unchanged on top of it), hostile KV requests,
 * heartbeat convergence instructions for fake datanodes, cluster_info,
 * procedure errors; and hostile answers from fake peers (KV range,
 * cluster_info, scan rows) that the client must reject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "helpers/region_fixture.h"
#include "meta/catalog.h"
#include "meta/kv.h"
#include "meta/metasrv.h"
#include "meta/metasrv_int.h"

/* ---- placement ---------------------------------------------------------- */

static struct table_route *route_of(uint32_t tid, uint32_t n, const uint64_t *leaders)
{
	struct table_route *tr = mem_calloc(1, sizeof(*tr));
	tr->table_id = tid;
	tr->nregions = n;
	tr->regions = mem_calloc(n, sizeof(*tr->regions));
	for (uint32_t i = 0; i < n; i++) {
		tr->regions[i].region_id = REGION_ID(tid, i);
		tr->regions[i].leader = leaders[i];
	}
	return tr;
}

static void test_place_leaders(void **state)
{
	(void)state;
	uint64_t alive[3] = {0, 1, 2}, out[4];
	metasrv_place_leaders(alive, 3, 0, 1, out);
	assert_int_equal(out[0], 0);
	/* the cursor moved by one region: the next 2-region table goes to dn1, dn2 */
	metasrv_place_leaders(alive, 3, 1, 2, out);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	metasrv_place_leaders(alive, 3, 2, 4, out);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 1);
	assert_int_equal(out[3], 2);
	uint64_t sparse[2] = {3, 7};
	metasrv_place_leaders(sparse, 2, 5, 2, out);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 3);
}

static void test_place_followers_documented_example(void **state)
{
	(void)state;
	uint64_t leaders[2] = {1, 2};
	struct table_route *cur = route_of(1025, 2, leaders), *next;
	uint64_t cands[4] = {2, 1, 0, 1}; /* unsorted, repeated: same as '0,1,2' */
	assert_int_equal(metasrv_place_table_followers(cur, cands, 4, &next), ERR_OK);
	assert_int_equal(next->regions[0].nfollowers, 1);
	assert_int_equal(next->regions[0].followers[0], 0);
	assert_int_equal(next->regions[1].nfollowers, 1);
	assert_int_equal(next->regions[1].followers[0], 1);
	assert_int_equal(cur->regions[0].nfollowers, 0); /* input untouched */
	/* a second round: only the datanodes left for each region */
	struct table_route *third;
	uint64_t all[3] = {0, 1, 2};
	assert_int_equal(metasrv_place_table_followers(next, all, 3, &third), ERR_OK);
	assert_int_equal(third->regions[0].nfollowers, 2);
	assert_int_equal(third->regions[0].followers[1], 2);
	assert_int_equal(third->regions[1].followers[1], 0);
	/* a third round: nothing left for region 0 - all or nothing */
	struct table_route *fourth = (struct table_route *)1;
	assert_int_equal(metasrv_place_table_followers(third, all, 3, &fourth), ERR_BAD_INPUT);
	assert_null(fourth);
	assert_non_null(strstr(err_msg(), "region 4402341478400(1025, 0)"));
	table_route_free(third);
	table_route_free(next);
	table_route_free(cur);
}

static void test_place_followers_fewest_then_lowest(void **state)
{
	(void)state;
	uint64_t leaders[3] = {0, 0, 0};
	struct table_route *cur = route_of(2000, 3, leaders), *next;
	uint64_t cands[3] = {0, 1, 2};
	assert_int_equal(metasrv_place_table_followers(cur, cands, 3, &next), ERR_OK);
	assert_int_equal(next->regions[0].followers[0], 1); /* tie: lowest */
	assert_int_equal(next->regions[1].followers[0], 2); /* dn1 has one already */
	assert_int_equal(next->regions[2].followers[0], 1); /* tie again */
	table_route_free(next);
	/* existing followers count: dn1 already follows two regions */
	cur->regions[0].followers[0] = 1;
	cur->regions[0].nfollowers = 1;
	cur->regions[1].followers[0] = 1;
	cur->regions[1].nfollowers = 1;
	assert_int_equal(metasrv_place_table_followers(cur, cands, 3, &next), ERR_OK);
	assert_int_equal(next->regions[0].followers[1], 2);
	assert_int_equal(next->regions[1].followers[1], 2);
	assert_int_equal(next->regions[2].followers[0], 1); /* dn1 and dn2 both at 2: lowest */
	table_route_free(next);
	table_route_free(cur);
}

static void test_place_followers_limits(void **state)
{
	(void)state;
	uint64_t leaders[1] = {0};
	struct table_route *cur = route_of(2001, 1, leaders), *next = NULL;
	for (uint32_t i = 0; i < ROUTE_MAX_FOLLOWERS; i++)
		cur->regions[0].followers[i] = 100 + i;
	cur->regions[0].nfollowers = ROUTE_MAX_FOLLOWERS;
	uint64_t c[1] = {1};
	assert_int_equal(metasrv_place_table_followers(cur, c, 1, &next), ERR_LIMIT);
	assert_null(next);
	/* no candidate at all */
	cur->regions[0].nfollowers = 0;
	assert_int_equal(metasrv_place_table_followers(cur, c, 0, &next), ERR_BAD_INPUT);
	table_route_free(cur);
}

/* ---- registry state machine --------------------------------------------- */

static int hb(struct registry *r, uint64_t id, int64_t start, uint32_t iv, int64_t now,
              bool *joined)
{
	struct registry_hb h = {.type = CLUSTER_NODE_DATANODE,
	                        .id = id,
	                        .addr = "127.0.0.1:1",
	                        .start_time_ms = start,
	                        .interval_ms = iv};
	return registry_heartbeat_locked(r, &h, now, joined);
}

static enum node_status status_of(struct registry *r, uint64_t id)
{
	struct node_entry *e = registry_find_locked(r, CLUSTER_NODE_DATANODE, id);
	assert_non_null(e);
	return e->status;
}

static void test_registry_transitions(void **state)
{
	(void)state;
	struct registry r;
	registry_init(&r, 200);
	bool joined;
	assert_int_equal(hb(&r, 1, 111, 0, 0, &joined), ERR_OK);
	assert_true(joined);
	assert_int_equal(status_of(&r, 1), NODE_JOINING);
	assert_int_equal(hb(&r, 1, 111, 0, 100, &joined), ERR_OK);
	assert_false(joined);
	assert_int_equal(status_of(&r, 1), NODE_ALIVE);
	registry_tick_locked(&r, 100 + 2 * 200); /* exactly 2 intervals: not yet */
	assert_int_equal(status_of(&r, 1), NODE_ALIVE);
	registry_tick_locked(&r, 100 + 2 * 200 + 1);
	assert_int_equal(status_of(&r, 1), NODE_SUSPECT);
	assert_int_equal(hb(&r, 1, 111, 0, 600, &joined), ERR_OK);
	assert_int_equal(status_of(&r, 1), NODE_ALIVE);
	registry_tick_locked(&r, 600 + 5 * 200 + 1); /* both steps in one tick */
	assert_int_equal(status_of(&r, 1), NODE_DEAD);
	assert_int_equal(hb(&r, 1, 111, 0, 2000, &joined), ERR_OK);
	assert_true(joined);
	assert_int_equal(status_of(&r, 1), NODE_JOINING);
	assert_int_equal(hb(&r, 1, 111, 0, 2100, &joined), ERR_OK);
	assert_int_equal(status_of(&r, 1), NODE_ALIVE);
	/* a restart (new start time) rejoins at once */
	assert_int_equal(hb(&r, 1, 222, 0, 2200, &joined), ERR_OK);
	assert_true(joined);
	assert_int_equal(status_of(&r, 1), NODE_JOINING);
	/* another process claiming id 1 while it is alive is refused */
	assert_int_equal(hb(&r, 1, 222, 0, 2250, &joined), ERR_OK);
	struct registry_hb other = {
	    .type = CLUSTER_NODE_DATANODE, .id = 1, .addr = "127.0.0.1:2", .start_time_ms = 333};
	assert_int_equal(registry_heartbeat_locked(&r, &other, 2260, &joined), ERR_EXISTS);
	assert_non_null(strstr(err_msg(), "already used by 127.0.0.1:1"));
	/* ... but takes over once the first one went silent */
	assert_int_equal(registry_heartbeat_locked(&r, &other, 2250 + 401, &joined), ERR_OK);
	assert_true(joined);
	assert_string_equal(registry_find_locked(&r, CLUSTER_NODE_DATANODE, 1)->addr,
	                    "127.0.0.1:2");
	/* each node is judged by its own interval */
	assert_int_equal(hb(&r, 2, 5, 1000, 2200, &joined), ERR_OK);
	assert_int_equal(hb(&r, 2, 5, 1000, 2300, &joined), ERR_OK);
	registry_tick_locked(&r, 2300 + 1500);
	assert_int_equal(status_of(&r, 2), NODE_ALIVE);
	assert_int_equal(status_of(&r, 1), NODE_DEAD); /* joining, silent: suspect, dead */
	/* nodes remembered from the store start SUSPECT */
	assert_int_equal(registry_load_locked(&r, 9, "127.0.0.1:9", 77, 5000), ERR_OK);
	assert_int_equal(status_of(&r, 9), NODE_SUSPECT);
	assert_int_equal(hb(&r, 9, 77, 0, 5100, &joined), ERR_OK);
	assert_int_equal(status_of(&r, 9), NODE_ALIVE);
	registry_tick_locked(&r, 5100 + 5 * 200 + 1);
	assert_int_equal(status_of(&r, 9), NODE_DEAD);
	assert_int_equal(status_of(&r, 2), NODE_SUSPECT); /* 3.8 s of silence: > 2 of its 1 s */
	assert_int_equal(hb(&r, 2, 5, 1000, 6101, &joined), ERR_OK);
	assert_false(joined);
	assert_int_equal(status_of(&r, 2), NODE_ALIVE);
	/* alive list, ascending */
	uint64_t *ids;
	uint32_t n;
	assert_int_equal(registry_datanodes_locked(&r, NODE_ALIVE, &ids, &n), ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 2);
	mem_free(ids);
	/* leader versions never go back */
	assert_int_equal(registry_set_leader_version_locked(&r, 10, 5), ERR_OK);
	assert_int_equal(registry_set_leader_version_locked(&r, 10, 3), ERR_OK);
	assert_int_equal(registry_set_leader_version_locked(&r, 4, 1), ERR_OK);
	assert_int_equal(registry_leader_version_locked(&r, 10), 5);
	assert_int_equal(registry_leader_version_locked(&r, 4), 1);
	assert_int_equal(registry_leader_version_locked(&r, 11), 0);
	registry_destroy(&r);
}

/* ---- an in-process metasrv ------------------------------------------------ */

struct env {
	char *dir;
	struct kv *kv;
	struct metasrv *ms;
	char addr[64];
	struct rpc_client *raw;
	struct cluster_client *cc;
};

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->dir = fx_tempdir("cluster-meta");
	char path[512];
	snprintf(path, sizeof(path), "%s/meta.sqlite", e->dir);
	assert_int_equal(kv_open_sqlite(path, &e->kv), ERR_OK);
	struct metasrv_options o = {
	    .bind_addr = "127.0.0.1:0", .kv = e->kv, .heartbeat_interval_ms = 100};
	assert_int_equal(metasrv_start(&o, &e->ms), ERR_OK);
	snprintf(e->addr, sizeof(e->addr), "127.0.0.1:%u", metasrv_port(e->ms));
	assert_int_equal(rpc_client_create(e->addr, NULL, &e->raw), ERR_OK);
	struct cluster_client_options co = {.metasrv_addrs = e->addr, .node_cache_ms = 1};
	assert_int_equal(cluster_client_open(&co, &e->cc), ERR_OK);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	cluster_client_close(e->cc);
	rpc_client_destroy(e->raw);
	metasrv_stop(e->ms);
	kv_close(e->kv);
	fx_rmrf(e->dir);
	mem_free(e->dir);
	free(e);
	return 0;
}

static struct table_info *test_table(const char *name, uint32_t nrules)
{
	static char *rules[2] = {"i <= 0", "i > 0"};
	static char *pcols[1] = {"i"};
	struct table_info t = {.catalog = CATALOG_DEFAULT,
	                       .schema = SCHEMA_DEFAULT,
	                       .name = (char *)name,
	                       .engine = "mito",
	                       .comment = "",
	                       .region_schema = fx_schema(false, MERGE_LAST_ROW)};
	if (nrules) {
		t.nrules = nrules;
		t.rules = rules;
		t.npartition_cols = 1;
		t.partition_cols = pcols;
	}
	struct table_info *c = table_info_clone(&t);
	region_schema_free(t.region_schema);
	return c;
}

static void test_kv_remote_runs_the_catalog(void **state)
{
	struct env *e = *state;
	struct kv *kv;
	assert_int_equal(kv_open_remote(e->addr, &kv), ERR_OK);
	/* the metasrv bootstrapped greptime.public in its store */
	assert_true(catalog_schema_exists(kv, CATALOG_DEFAULT, SCHEMA_DEFAULT));
	bool created;
	assert_int_equal(catalog_create_schema(kv, CATALOG_DEFAULT, "metrics", false, &created),
	                 ERR_OK);
	assert_true(created);
	assert_int_equal(catalog_create_schema(kv, CATALOG_DEFAULT, "metrics", false, &created),
	                 ERR_EXISTS);
	/* a table written through the proxy is what the store holds */
	struct table_info *t = test_table("cpu", 2);
	uint64_t leaders[2] = {1, 2};
	struct table_route *tr = route_of(0, 2, leaders);
	assert_int_equal(catalog_create_table(kv, t, tr, false, &created), ERR_OK);
	assert_int_equal(t->table_id, MIN_USER_TABLE_ID);
	struct table_info *back;
	assert_int_equal(catalog_get_table(e->kv, CATALOG_DEFAULT, SCHEMA_DEFAULT, "cpu", &back),
	                 ERR_OK);
	assert_int_equal(back->table_id, t->table_id);
	assert_int_equal(back->nrules, 2);
	table_info_free(back);
	assert_int_equal(catalog_get_table(kv, CATALOG_DEFAULT, SCHEMA_DEFAULT, "nope", &back),
	                 ERR_NOT_FOUND);
	assert_non_null(strstr(err_msg(), "Table not found"));
	/* get: NUL-terminated; absent: NOT_FOUND */
	uint8_t *v;
	size_t n;
	assert_int_equal(kv_put(kv, "x/bin", "a\0b", 3), ERR_OK);
	assert_int_equal(kv_get(kv, "x/bin", &v, &n), ERR_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "a\0b", 4);
	mem_free(v);
	assert_int_equal(kv_get(kv, "x/none", &v, &n), ERR_NOT_FOUND);
	/* txn: a failed compare applies nothing */
	struct kv_cmp cmp = {"x/bin", "zz", 2};
	struct kv_op op = {KV_PUT, "x/other", "1", 1};
	assert_int_equal(kv_txn(kv, &cmp, 1, &op, 1), ERR_CONFLICT);
	assert_int_equal(kv_get(e->kv, "x/other", &v, &n), ERR_NOT_FOUND);
	struct kv_cmp absent = {"x/other", NULL, 0};
	assert_int_equal(kv_txn(kv, &absent, 1, &op, 1), ERR_OK);
	assert_int_equal(kv_delete(kv, "x/other"), ERR_OK);
	assert_int_equal(kv_get(e->kv, "x/other", &v, &n), ERR_NOT_FOUND);
	/* counters and sorted ranges */
	uint64_t id1, id2;
	assert_int_equal(kv_next_id(kv, "x/seq", 7, &id1), ERR_OK);
	assert_int_equal(kv_next_id(kv, "x/seq", 7, &id2), ERR_OK);
	assert_int_equal(id1, 7);
	assert_int_equal(id2, 8);
	struct kv_list l;
	assert_int_equal(kv_range(kv, "x/", &l), ERR_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].key, "x/bin");
	assert_string_equal(l.items[1].key, "x/seq");
	assert_string_equal((char *)l.items[1].value, "9");
	kv_list_free(&l);
	/* the route CAS of catalog.c works through the proxy */
	struct table_route *cur, *next;
	assert_int_equal(catalog_get_route(kv, t->table_id, &cur), ERR_OK);
	next = table_route_clone(cur);
	next->regions[0].followers[0] = 0;
	next->regions[0].nfollowers = 1;
	assert_int_equal(catalog_cas_route(kv, cur, next), ERR_OK);
	assert_int_equal(catalog_cas_route(kv, cur, next), ERR_CONFLICT);
	table_route_free(cur);
	table_route_free(next);
	table_route_free(tr);
	table_info_free(t);
	kv_close(kv);
	/* a metasrv list whose first entry is down: the next one answers */
	char addrs[128];
	snprintf(addrs, sizeof(addrs), "127.0.0.1:1,%s", e->addr);
	assert_int_equal(kv_open_remote(addrs, &kv), ERR_OK);
	assert_true(catalog_schema_exists(kv, CATALOG_DEFAULT, "metrics"));
	assert_int_equal(kv_get(kv, "x/seq", &v, &n), ERR_OK);
	mem_free(v);
	kv_close(kv);
	assert_int_equal(kv_open_remote("127.0.0.1:1", &kv), ERR_OK);
	assert_int_equal(kv_get(kv, "x/seq", &v, &n), ERR_UNAVAILABLE);
	kv_close(kv);
	assert_int_equal(kv_open_remote("", &kv), ERR_BAD_INPUT);
	assert_int_equal(kv_open_remote("nohost", &kv), ERR_BAD_INPUT);
}

static int raw_call(struct env *e, enum rpc_method m, const ProtobufCMessage *req)
{
	ProtobufCMessage *resp = NULL;
	int rc = rpc_call(e->raw, m, req, &resp, 0);
	rpc_message_free(resp);
	return rc;
}

static void test_kv_proxy_rejects_hostile_requests(void **state)
{
	struct env *e = *state;
	RPC_PB(KvGetRequest) g = STRATA__KV_GET_REQUEST__INIT;
	g.key = "";
	assert_int_equal(raw_call(e, RPC_KV_GET, &g.base), ERR_BAD_INPUT);
	g.key = "a\001b";
	assert_int_equal(raw_call(e, RPC_KV_GET, &g.base), ERR_BAD_INPUT);
	char *big = malloc(5000);
	memset(big, 'k', 4999);
	big[4999] = 0;
	g.key = big;
	assert_int_equal(raw_call(e, RPC_KV_GET, &g.base), ERR_BAD_INPUT);
	RPC_PB(KvRangeRequest) rg = STRATA__KV_RANGE_REQUEST__INIT;
	rg.prefix = big;
	assert_int_equal(raw_call(e, RPC_KV_RANGE, &rg.base), ERR_BAD_INPUT);
	free(big);

	RPC_PB(KvOp) op = STRATA__KV_OP__INIT;
	RPC_PB(KvOp) * ops[1] = {&op};
	RPC_PB(KvTxnRequest) t = STRATA__KV_TXN_REQUEST__INIT;
	t.ops = ops;
	t.n_ops = 1;
	op.type = 7;
	op.key = "x/1";
	assert_int_equal(raw_call(e, RPC_KV_TXN, &t.base), ERR_PROTOCOL);
	op.type = KV_DELETE;
	op.value.data = (uint8_t *)"v";
	op.value.len = 1;
	assert_int_equal(raw_call(e, RPC_KV_TXN, &t.base), ERR_PROTOCOL);
	op.type = KV_PUT;
	op.key = NULL; /* absent string field */
	assert_int_equal(raw_call(e, RPC_KV_TXN, &t.base), ERR_BAD_INPUT);
	/* a compare without a key */
	RPC_PB(KvCompare) c = STRATA__KV_COMPARE__INIT;
	RPC_PB(KvCompare) * cs[1] = {&c};
	t.n_ops = 0;
	t.compares = cs;
	t.n_compares = 1;
	assert_int_equal(raw_call(e, RPC_KV_TXN, &t.base), ERR_BAD_INPUT);
	/* nothing was written by any of them */
	struct kv_list l;
	assert_int_equal(kv_range(e->kv, "x/", &l), ERR_OK);
	assert_int_equal(l.n, 0);
	kv_list_free(&l);
	/* the metasrv serves no region method */
	RPC_PB(RegionIdRequest) rr = STRATA__REGION_ID_REQUEST__INIT;
	assert_int_equal(raw_call(e, RPC_REGION_FLUSH, &rr.base), ERR_UNSUPPORTED);
}

/* Send a heartbeat as datanode `id` reporting stats; *resp: the reply. */
static int send_hb(struct env *e, uint64_t id, const char *addr, const struct region_stat *st,
                   uint32_t n, RPC_PB(HeartbeatResponse) * *resp)
{
	RPC_PB(RegionStat) items[8];
	RPC_PB(RegionStat) * ptrs[8];
	for (uint32_t i = 0; i < n; i++) {
		rpc_region_stat_encode(&st[i], &items[i]);
		ptrs[i] = &items[i];
	}
	RPC_PB(HeartbeatRequest) req = STRATA__HEARTBEAT_REQUEST__INIT;
	req.node_id = id;
	req.addr = (char *)addr;
	req.stats = ptrs;
	req.n_stats = n;
	req.start_time_ms = 1000 + (int64_t)id;
	req.heartbeat_interval_ms = 10000; /* fake nodes stay ALIVE through the test */
	return rpc_call(e->raw, RPC_HEARTBEAT, &req.base, (ProtobufCMessage **)resp, 0);
}

static const RPC_PB(RegionInstruction) *
    find_instr(const RPC_PB(HeartbeatResponse) * r, uint64_t rid, enum rpc_instr_kind k)
{
	for (size_t i = 0; i < r->n_instructions; i++)
		if (r->instructions[i]->region_id == rid && r->instructions[i]->kind == (uint32_t)k)
			return r->instructions[i];
	return NULL;
}

static void test_heartbeat_convergence(void **state)
{
	struct env *e = *state;
	/* table 1024: region 0 led by dn1 with a follower on dn0 */
	struct table_info *t = test_table("conv", 0);
	uint64_t leaders[1] = {1};
	struct table_route *tr = route_of(0, 1, leaders);
	tr->regions[0].followers[0] = 0;
	tr->regions[0].nfollowers = 1;
	bool created;
	assert_int_equal(catalog_create_table(cluster_client_kv(e->cc), t, tr, false, &created),
	                 ERR_OK);
	uint64_t rid = REGION_ID(t->table_id, 0);
	char dir[256];
	assert_int_equal(region_dir_format(dir, sizeof(dir), CATALOG_DEFAULT, SCHEMA_DEFAULT, rid),
	                 ERR_OK);

	RPC_PB(HeartbeatResponse) *r = NULL;
	/* the leader reports nothing: open it as leader; lease 3 x 10 s + 1 s */
	assert_int_equal(send_hb(e, 1, "127.0.0.1:5001", NULL, 0, &r), ERR_OK);
	assert_int_equal(r->lease_ms, 31000);
	const RPC_PB(RegionInstruction) *in = find_instr(r, rid, RPC_INSTR_OPEN);
	assert_non_null(in);
	assert_int_equal(in->role, REGION_ROLE_LEADER);
	assert_string_equal(in->dir, dir);
	rpc_message_free(&r->base);
	/* the follower reports nothing: open as follower, knowing its leader */
	assert_int_equal(send_hb(e, 0, "127.0.0.1:5000", NULL, 0, &r), ERR_OK);
	in = find_instr(r, rid, RPC_INSTR_OPEN);
	assert_non_null(in);
	assert_int_equal(in->role, REGION_ROLE_FOLLOWER);
	assert_string_equal(in->leader_addr, "127.0.0.1:5001");
	assert_int_equal(in->leader_node_id, 1);
	rpc_message_free(&r->base);
	/* the leader reports version 5; no follower has reported: hint 0 */
	struct region_stat st = {
	    .region_id = rid, .role = REGION_ROLE_LEADER, .manifest_version = 5};
	assert_int_equal(send_hb(e, 1, "127.0.0.1:5001", &st, 1, &r), ERR_OK);
	assert_null(find_instr(r, rid, RPC_INSTR_OPEN));
	assert_int_equal(r->n_leader_regions, 1);
	assert_int_equal(r->leader_regions[0]->min_follower_version, 0);
	rpc_message_free(&r->base);
	/* the follower at version 3 is told the leader's 5 and where it is */
	st.role = REGION_ROLE_FOLLOWER;
	st.manifest_version = 3;
	struct region_stat stray = {.region_id = REGION_ID(4000, 1), .role = REGION_ROLE_LEADER};
	struct region_stat both[2] = {st, stray};
	assert_int_equal(send_hb(e, 0, "127.0.0.1:5000", both, 2, &r), ERR_OK);
	assert_null(find_instr(r, rid, RPC_INSTR_OPEN));
	in = find_instr(r, rid, RPC_INSTR_INSTALL);
	assert_non_null(in);
	assert_int_equal(in->manifest_version, 5);
	assert_string_equal(in->leader_addr, "127.0.0.1:5001");
	/* a region no route gives the node is closed */
	assert_non_null(find_instr(r, REGION_ID(4000, 1), RPC_INSTR_CLOSE));
	rpc_message_free(&r->base);
	/* now the leader learns its follower installed version 3 */
	st.role = REGION_ROLE_LEADER;
	st.manifest_version = 6;
	assert_int_equal(send_hb(e, 1, "127.0.0.1:5001", &st, 1, &r), ERR_OK);
	assert_int_equal(r->leader_regions[0]->min_follower_version, 3);
	rpc_message_free(&r->base);
	/* a node holding the region in the wrong role is told to change */
	st.role = REGION_ROLE_LEADER;
	assert_int_equal(send_hb(e, 0, "127.0.0.1:5000", &st, 1, &r), ERR_OK);
	in = find_instr(r, rid, RPC_INSTR_OPEN);
	assert_non_null(in);
	assert_int_equal(in->role, REGION_ROLE_FOLLOWER);
	rpc_message_free(&r->base);

	/* hostile heartbeats */
	RPC_PB(HeartbeatRequest) bad = STRATA__HEARTBEAT_REQUEST__INIT;
	bad.node_id = 3;
	bad.addr = "";
	assert_int_equal(raw_call(e, RPC_HEARTBEAT, &bad.base), ERR_PROTOCOL); /* no address */
	bad.addr = "127.0.0.1:1";
	bad.node_type = 9;
	assert_int_equal(raw_call(e, RPC_HEARTBEAT, &bad.base), ERR_PROTOCOL);
	bad.node_type = CLUSTER_NODE_DATANODE;
	RPC_PB(RegionStat) bs = STRATA__REGION_STAT__INIT;
	RPC_PB(RegionStat) * bsp[1] = {&bs};
	bs.role = 7;
	bad.stats = bsp;
	bad.n_stats = 1;
	assert_int_equal(raw_call(e, RPC_HEARTBEAT, &bad.base), ERR_PROTOCOL);
	/* none of them registered datanode 3 */
	char a[64];
	enum node_status s;
	assert_int_equal(cluster_client_datanode(e->cc, 3, a, sizeof(a), &s), ERR_UNAVAILABLE);
	assert_non_null(strstr(err_msg(), "The target peer is unavailable temporally: 3"));
	table_route_free(tr);
	table_info_free(t);
}

static void test_cluster_info_and_procedure_errors(void **state)
{
	struct env *e = *state;
	RPC_PB(HeartbeatResponse) *r = NULL;
	/* no datanode yet: creating a table has nowhere to go */
	struct table_info *t = test_table("nowhere", 2);
	bool created;
	assert_int_equal(cluster_client_create_table(e->cc, t, NULL, 0, false, &created, NULL),
	                 ERR_UNAVAILABLE);
	assert_non_null(strstr(err_msg(), "No alive datanode"));
	assert_null(strstr(err_msg(), "peer ")); /* the metasrv's words, unprefixed */
	/* a malformed table info */
	RPC_PB(CreateTableRequest) ct = STRATA__CREATE_TABLE_REQUEST__INIT;
	ct.table_info_json = "{not json";
	assert_int_equal(raw_call(e, RPC_CREATE_TABLE, &ct.base), ERR_BAD_INPUT);
	ct.table_info_json = "{\"name\":\"x\"}";
	assert_int_not_equal(raw_call(e, RPC_CREATE_TABLE, &ct.base), ERR_OK);

	for (uint64_t id = 0; id < 2; id++)
		for (int k = 0; k < 2; k++) { /* two heartbeats: JOINING -> ALIVE */
			char addr[32];
			snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)(6000 + id));
			assert_int_equal(send_hb(e, id, addr, NULL, 0, &r), ERR_OK);
			rpc_message_free(&r->base);
		}
	assert_int_equal(cluster_client_frontend_heartbeat(e->cc, 1, "127.0.0.1:4001", 99, 100),
	                 ERR_OK);
	struct cluster_nodes ns;
	assert_int_equal(cluster_client_nodes(e->cc, &ns), ERR_OK);
	assert_int_equal(ns.n, 4);
	assert_int_equal(ns.nodes[0].type, CLUSTER_NODE_METASRV);
	assert_string_equal(ns.nodes[0].addr, e->addr);
	assert_int_equal(ns.nodes[1].type, CLUSTER_NODE_DATANODE);
	assert_int_equal(ns.nodes[1].id, 0);
	assert_int_equal(ns.nodes[1].status, NODE_ALIVE);
	assert_string_equal(ns.nodes[2].addr, "127.0.0.1:6001");
	assert_int_equal(ns.nodes[2].start_time_ms, 1001);
	assert_true(ns.nodes[2].last_heartbeat_ms > 0);
	assert_int_equal(ns.nodes[3].type, CLUSTER_NODE_FRONTEND);
	assert_int_equal(ns.nodes[3].status, NODE_JOINING);
	cluster_nodes_free(&ns);
	/* the leaders cannot be reached (nothing listens): the create rolls back */
	assert_int_not_equal(cluster_client_create_table(e->cc, t, NULL, 0, false, &created, NULL),
	                     ERR_OK);
	assert_non_null(strstr(err_msg(), "create region"));
	struct table_info *gone;
	assert_int_equal(
	    catalog_get_table(e->kv, CATALOG_DEFAULT, SCHEMA_DEFAULT, "nowhere", &gone),
	    ERR_NOT_FOUND);
	/* follower procedures on a route written directly */
	struct table_info *t2 = test_table("proc", 2);
	uint64_t leaders[2] = {1, 0};
	struct table_route *tr = route_of(0, 2, leaders);
	assert_int_equal(catalog_create_table(cluster_client_kv(e->cc), t2, tr, false, &created),
	                 ERR_OK);
	uint64_t r0 = REGION_ID(t2->table_id, 0);
	struct follower_result fr;
	assert_int_equal(cluster_client_add_region_follower(e->cc, r0, 1, &fr), ERR_BAD_INPUT);
	assert_non_null(strstr(err_msg(), "holds the leader of region"));
	assert_int_equal(cluster_client_add_region_follower(e->cc, r0, 5, &fr), ERR_UNAVAILABLE);
	assert_string_equal(err_msg(), "The target peer is unavailable temporally: 5");
	assert_int_equal(
	    cluster_client_add_region_follower(e->cc, REGION_ID(t2->table_id, 7), 0, &fr),
	    ERR_NOT_FOUND);
	/* the datanode cannot be told right away: the route still changes */
	assert_int_equal(cluster_client_add_region_follower(e->cc, r0, 0, &fr), ERR_OK);
	assert_int_equal(fr.n, 1);
	assert_true(fr.changes[0].added);
	assert_int_equal(fr.route->regions[0].followers[0], 0);
	follower_result_free(&fr);
	assert_int_equal(cluster_client_add_region_follower(e->cc, r0, 0, &fr), ERR_BAD_INPUT);
	assert_int_equal(cluster_client_add_table_follower(e->cc, t2->table_id, NULL, 0, &fr),
	                 ERR_BAD_INPUT); /* region 0: dn1 leads, dn0 follows */
	assert_int_equal(cluster_client_remove_table_follower(e->cc, t2->table_id, &fr), ERR_OK);
	assert_int_equal(fr.n, 1);
	assert_false(fr.changes[0].added);
	follower_result_free(&fr);
	assert_int_equal(cluster_client_add_table_follower(e->cc, t2->table_id, NULL, 0, &fr),
	                 ERR_OK);
	assert_int_equal(fr.route->regions[0].followers[0], 0);
	assert_int_equal(fr.route->regions[1].followers[0], 1);
	follower_result_free(&fr);
	assert_int_equal(cluster_client_drop_table(e->cc, 4242), ERR_NOT_FOUND);
	/* READ_PREFERENCE peer choice */
	struct table_route *cur;
	assert_int_equal(cluster_client_get_route(e->cc, t2->table_id, &cur), ERR_OK);
	struct peer_choice pc;
	assert_int_equal(cluster_client_pick_peer(e->cc, &cur->regions[0], READ_PREF_LEADER, &pc),
	                 ERR_OK);
	assert_true(pc.is_leader);
	assert_int_equal(pc.node_id, 1);
	assert_int_equal(cluster_client_pick_peer(e->cc, &cur->regions[0], READ_PREF_FOLLOWER, &pc),
	                 ERR_OK);
	assert_false(pc.is_leader);
	assert_int_equal(pc.node_id, 0);
	struct region_route none = cur->regions[0];
	none.nfollowers = 0;
	assert_int_equal(cluster_client_pick_peer(e->cc, &none, READ_PREF_FOLLOWER, &pc),
	                 ERR_UNAVAILABLE);
	assert_non_null(
	    strstr(err_msg(), "No available follower for region 4402341478400(1025, 0)"));
	assert_int_equal(cluster_client_pick_peer(e->cc, &none, READ_PREF_FOLLOWER_PREFERRED, &pc),
	                 ERR_OK);
	assert_true(pc.is_leader);
	int leader = 0, follower = 0;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(
		    cluster_client_pick_peer(e->cc, &cur->regions[0], READ_PREF_RANDOM, &pc),
		    ERR_OK);
		leader += pc.is_leader;
		follower += !pc.is_leader;
	}
	assert_true(leader > 20 && follower > 20);
	table_route_free(cur);
	table_route_free(tr);
	table_info_free(t2);
	table_info_free(t);
}

/* ---- hostile answers from fake peers -------------------------------------- */

static int fake_mode;

static int f_range(void *ctx, const RPC_PB(KvRangeRequest) * req, struct rpc_reply *r)
{
	(void)ctx, (void)req;
	RPC_PB(KvPair) p[2] = {STRATA__KV_PAIR__INIT, STRATA__KV_PAIR__INIT};
	RPC_PB(KvPair) * pp[2] = {&p[0], &p[1]};
	p[0].key = fake_mode == 0 ? "a/2" : "zzz";
	p[1].key = "a/1";
	RPC_PB(KvRangeResponse) resp = STRATA__KV_RANGE_RESPONSE__INIT;
	resp.pairs = pp;
	resp.n_pairs = 2;
	return rpc_reply_send(r, &resp.base);
}

static int f_info(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)ctx, (void)req;
	RPC_PB(NodeInfo) n = STRATA__NODE_INFO__INIT;
	RPC_PB(NodeInfo) * np[1] = {&n};
	RPC_PB(RegionStat) st = STRATA__REGION_STAT__INIT;
	RPC_PB(RegionStat) * sp[1] = {&st};
	n.type = CLUSTER_NODE_DATANODE;
	n.addr = "127.0.0.1:1";
	n.status = fake_mode == 0 ? 9 : NODE_ALIVE;
	st.role = 5;
	n.stats = sp;
	n.n_stats = fake_mode == 0 ? 0 : 1;
	RPC_PB(ClusterInfoResponse) resp = STRATA__CLUSTER_INFO_RESPONSE__INIT;
	resp.nodes = np;
	resp.n_nodes = 1;
	return rpc_reply_send(r, &resp.base);
}

static int f_info_ok(void *ctx, const RPC_PB(Empty) * req, struct rpc_reply *r)
{
	(void)req;
	uint16_t port = *(uint16_t *)ctx;
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	RPC_PB(NodeInfo) n = STRATA__NODE_INFO__INIT;
	RPC_PB(NodeInfo) * np[1] = {&n};
	n.type = CLUSTER_NODE_DATANODE;
	n.id = 0;
	n.addr = addr;
	n.status = NODE_ALIVE;
	RPC_PB(ClusterInfoResponse) resp = STRATA__CLUSTER_INFO_RESPONSE__INIT;
	resp.nodes = np;
	resp.n_nodes = 1;
	return rpc_reply_send(r, &resp.base);
}

/* A scan answer of the wrong shape: 2 columns, or the right count with a
 * wrong type. */
static int f_scan(void *ctx, const RPC_PB(RegionScanRequest) * req, struct rpc_reply *r)
{
	(void)ctx, (void)req;
	enum dtype types[4] = {DT_STRING, DT_TS_MS, DT_FLOAT64, DT_STRING};
	struct batch b;
	uint32_t nc = fake_mode == 0 ? 2 : 4;
	batch_init(&b, nc, types);
	colvec_push_bytes(&b.cols[0], "h", 1);
	colvec_push_i64(&b.cols[1], 1);
	if (nc == 4) {
		colvec_push_f64(&b.cols[2], 1.5);
		colvec_push_bytes(&b.cols[3], "x", 1);
	}
	b.nrows = 1;
	int rc = rpc_reply_rows(r, &b);
	batch_free(&b);
	return rc;
}

static void test_client_rejects_hostile_answers(void **state)
{
	(void)state;
	uint16_t port = 0;
	struct rpc_server *data, *meta;
	struct rpc_handlers dh = {.region_scan = f_scan};
	assert_int_equal(rpc_server_start(NULL, 0, &dh, NULL, &data), ERR_OK);
	port = rpc_server_port(data);
	struct rpc_handlers mh = {.ctx = &port, .kv_range = f_range, .cluster_info = f_info};
	assert_int_equal(rpc_server_start(NULL, 0, &mh, NULL, &meta), ERR_OK);
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", rpc_server_port(meta));
	struct kv *kv;
	assert_int_equal(kv_open_remote(addr, &kv), ERR_OK);
	struct kv_list l;
	fake_mode = 0; /* keys out of order */
	assert_int_equal(kv_range(kv, "a/", &l), ERR_PROTOCOL);
	assert_int_equal(l.n, 0);
	fake_mode = 1; /* a key outside the prefix */
	assert_int_equal(kv_range(kv, "a/", &l), ERR_PROTOCOL);
	kv_close(kv);

	struct cluster_client *cc;
	struct cluster_client_options co = {.metasrv_addrs = addr, .node_cache_ms = 1};
	assert_int_equal(cluster_client_open(&co, &cc), ERR_OK);
	struct cluster_nodes ns;
	fake_mode = 0; /* a status out of range */
	assert_int_equal(cluster_client_nodes(cc, &ns), ERR_PROTOCOL);
	fake_mode = 1; /* a stat with an unknown role */
	assert_int_equal(cluster_client_nodes(cc, &ns), ERR_PROTOCOL);
	cluster_client_close(cc);
	rpc_server_stop(meta);

	/* scan rows that do not fit the region schema */
	mh.cluster_info = f_info_ok;
	assert_int_equal(rpc_server_start(NULL, 0, &mh, NULL, &meta), ERR_OK);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", rpc_server_port(meta));
	assert_int_equal(cluster_client_open(&co, &cc), ERR_OK);
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	struct batch out;
	fake_mode = 0;
	assert_int_equal(cluster_client_region_scan(cc, 0, 1, RPC_READ_LEADER, NULL, s, &out),
	                 ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "expected 4"));
	fake_mode = 1;
	assert_int_equal(cluster_client_region_scan(cc, 0, 1, RPC_READ_LEADER, NULL, s, &out),
	                 ERR_PROTOCOL);
	assert_non_null(strstr(err_msg(), "column 3 is String"));
	/* a projection of two columns: the same 2-column answer fits */
	bool proj[4] = {true, true, false, false};
	struct scan_request req;
	scan_request_init(&req);
	req.projection = proj;
	fake_mode = 0;
	assert_int_equal(cluster_client_region_scan(cc, 0, 1, RPC_READ_LEADER, &req, s, &out),
	                 ERR_OK);
	assert_int_equal(out.ncols, 4);
	assert_int_equal(out.nrows, 1);
	assert_int_equal(out.cols[1].i64[0], 1);
	assert_int_equal(out.cols[2].len, 0); /* left out of the projection */
	batch_free(&out);
	/* unknown datanode */
	assert_int_equal(cluster_client_region_scan(cc, 3, 1, RPC_READ_LEADER, NULL, s, &out),
	                 ERR_UNAVAILABLE);
	region_schema_free(s);
	cluster_client_close(cc);
	rpc_server_stop(meta);
	rpc_server_stop(data);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_place_leaders),
	    cmocka_unit_test(test_place_followers_documented_example),
	    cmocka_unit_test(test_place_followers_fewest_then_lowest),
	    cmocka_unit_test(test_place_followers_limits),
	    cmocka_unit_test(test_registry_transitions),
	    cmocka_unit_test_setup_teardown(test_kv_remote_runs_the_catalog, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_kv_proxy_rejects_hostile_requests, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_heartbeat_convergence, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_cluster_info_and_procedure_errors, env_setup,
	                                    env_teardown),
	    cmocka_unit_test(test_client_rejects_hostile_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
