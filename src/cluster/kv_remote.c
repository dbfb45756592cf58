/*
 * kv_remote: a struct kv (meta/kv.h) whose operations run on the metasrv's
 * metadata store, over the kv_get / kv_range / kv_txn methods
 * (proto/cluster.proto). catalog.c works unchanged on top of it, so a
 * frontend reads and writes the catalog exactly like standalone does.
 *
 * Semantics are the backend's: get returns ERR_NOT_FOUND for an absent key
 * and a NUL-terminated value; range is sorted by key; a txn whose compare
 * fails applies nothing and is ERR_CONFLICT. The answer of the metasrv is
 * checked like any untrusted input (every key of a range starts with the
 * prefix and keys ascend strictly) before anything is handed out.
 *
 * Also the metasrv connection every cluster_client call uses (meta_conn,
 * cluster_int.h): a call goes to the metasrv that answered last, and on
 * ERR_UNAVAILABLE (connection refused, timeout, or a follower metasrv's
 * "not the leader") to the next address; with several addresses it goes
 * round again for up to META_FAILOVER_WAIT_MS, the time a leader election
 * takes. Retrying on the next metasrv after ERR_UNAVAILABLE is
 * safe for reads; a txn may then be applied twice only when the first
 * metasrv applied it and the reply was lost - its compares make that a
 * conflict in the catalog's uses.
 */
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "cluster/cluster_client.h"
#include "cluster/cluster_int.h"
#include "meta/kv.h"

/* ---- metasrv connection --------------------------------------------------- */

int meta_conn_open(const char *addrs, int request_timeout_ms, struct meta_conn *m)
{
	memset(m, 0, sizeof(*m));
	atomic_init(&m->cur, 0);
	if (!addrs || !addrs[0])
		return err_set(ERR_BAD_INPUT, "no metasrv address given");
	char *copy = mem_strdup(addrs);
	if (!copy)
		return ERR_NOMEM;
	uint32_t cap = 1;
	for (const char *p = addrs; *p; p++)
		cap += *p == ',';
	int rc = ERR_OK;
	if (!(m->c = mem_calloc(cap, sizeof(*m->c))))
		rc = ERR_NOMEM;
	struct rpc_client_options o;
	rpc_client_options_init(&o);
	if (request_timeout_ms > 0)
		o.request_timeout_ms = request_timeout_ms;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); rc == ERR_OK && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		rc = rpc_client_create(tok, &o, &m->c[m->n]);
		if (rc == ERR_OK)
			m->n++;
	}
	mem_free(copy);
	if (rc == ERR_OK && m->n == 0)
		rc = err_set(ERR_BAD_INPUT, "no metasrv address in '%s'", addrs);
	if (rc)
		meta_conn_close(m);
	return rc;
}

void meta_conn_close(struct meta_conn *m)
{
	for (uint32_t i = 0; i < m->n; i++)
		rpc_client_destroy(m->c[i]);
	mem_free(m->c);
	m->c = NULL;
	m->n = 0;
}

/* With several metasrv (high availability), every one of them may refuse
 * for a few seconds while a new leader is elected (a follower answers
 * ERR_UNAVAILABLE "not the leader", a dead one refuses the connection):
 * go round the list again until this deadline. A lone metasrv fails at
 * once, as before. */
#define META_FAILOVER_WAIT_MS 8000
#define META_ROUND_PAUSE_MS   200

int meta_conn_call(struct meta_conn *m, enum rpc_method method, const ProtobufCMessage *req,
                   ProtobufCMessage **resp)
{
	*resp = NULL;
	int rc = ERR_UNAVAILABLE;
	int64_t deadline = clock_mono_ns() / 1000000 + META_FAILOVER_WAIT_MS;
	for (;;) {
		uint32_t start = atomic_load(&m->cur);
		for (uint32_t k = 0; k < m->n; k++) {
			uint32_t i = (start + k) % m->n;
			rc = rpc_call(m->c[i], method, req, resp, 0);
			if (rc != ERR_UNAVAILABLE) {
				if (i != start)
					atomic_store(&m->cur, i);
				return rc;
			}
		}
		if (m->n < 2 || clock_mono_ns() / 1000000 + META_ROUND_PAUSE_MS > deadline)
			return rc;
		struct timespec ts = {0, META_ROUND_PAUSE_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* ---- struct kv over RPC ------------------------------------------------------ */

struct kv_remote {
	struct kv base;
	struct meta_conn mc;
};

static int r_get(struct kv *kv, const char *key, uint8_t **value, size_t *len)
{
	struct kv_remote *k = (struct kv_remote *)kv;
	RPC_PB(KvGetRequest) req = STRATA__KV_GET_REQUEST__INIT;
	req.key = (char *)key;
	ProtobufCMessage *resp;
	int rc = meta_conn_call(&k->mc, RPC_KV_GET, &req.base, &resp);
	if (rc)
		return rc;
	const RPC_PB(KvGetResponse) *g = (const RPC_PB(KvGetResponse) *)resp;
	if (!g->found) {
		rc = err_set(ERR_NOT_FOUND, "key %s not found", key);
	} else if (!(*value = mem_alloc(g->value.len + 1))) {
		rc = ERR_NOMEM;
	} else {
		if (g->value.len)
			memcpy(*value, g->value.data, g->value.len);
		(*value)[g->value.len] = 0;
		*len = g->value.len;
	}
	rpc_message_free(resp);
	return rc;
}

static int r_range(struct kv *kv, const char *prefix, struct kv_list *out)
{
	struct kv_remote *k = (struct kv_remote *)kv;
	RPC_PB(KvRangeRequest) req = STRATA__KV_RANGE_REQUEST__INIT;
	req.prefix = (char *)prefix;
	ProtobufCMessage *resp;
	int rc = meta_conn_call(&k->mc, RPC_KV_RANGE, &req.base, &resp);
	if (rc)
		return rc;
	const RPC_PB(KvRangeResponse) *g = (const RPC_PB(KvRangeResponse) *)resp;
	size_t plen = strlen(prefix);
	if (g->n_pairs && !(out->items = mem_calloc(g->n_pairs, sizeof(*out->items))))
		rc = ERR_NOMEM;
	for (size_t i = 0; rc == ERR_OK && i < g->n_pairs; i++) {
		const RPC_PB(KvPair) *p = g->pairs[i];
		if (!p->key || strncmp(p->key, prefix, plen)) {
			rc = err_set(ERR_PROTOCOL, "metasrv range answer: key outside prefix '%s'",
			             prefix);
			break;
		}
		if (i && strcmp(g->pairs[i - 1]->key, p->key) >= 0) {
			rc = err_set(ERR_PROTOCOL, "metasrv range answer: keys out of order");
			break;
		}
		struct kv_pair *it = &out->items[i];
		it->key = mem_strdup(p->key);
		it->value = mem_alloc(p->value.len + 1);
		out->n = i + 1;
		if (!it->key || !it->value) {
			rc = ERR_NOMEM;
			break;
		}
		if (p->value.len)
			memcpy(it->value, p->value.data, p->value.len);
		it->value[p->value.len] = 0;
		it->len = p->value.len;
	}
	rpc_message_free(resp);
	if (rc)
		kv_list_free(out);
	return rc;
}

static int r_txn(struct kv *kv, const struct kv_cmp *cmps, size_t ncmp, const struct kv_op *ops,
                 size_t nops)
{
	struct kv_remote *k = (struct kv_remote *)kv;
	RPC_PB(KvCompare) *c = mem_calloc(ncmp + 1, sizeof(*c));
	RPC_PB(KvCompare) **cp = mem_calloc(ncmp + 1, sizeof(*cp));
	RPC_PB(KvOp) *o = mem_calloc(nops + 1, sizeof(*o));
	RPC_PB(KvOp) **op = mem_calloc(nops + 1, sizeof(*op));
	ProtobufCMessage *resp = NULL;
	int rc = ERR_OK;
	if (!c || !cp || !o || !op) {
		rc = ERR_NOMEM;
		goto out;
	}
	RPC_PB(KvTxnRequest) req = STRATA__KV_TXN_REQUEST__INIT;
	for (size_t i = 0; i < ncmp; i++) {
		strata__kv_compare__init(&c[i]);
		c[i].key = (char *)cmps[i].key;
		c[i].absent = cmps[i].value == NULL;
		c[i].value.data = (uint8_t *)cmps[i].value;
		c[i].value.len = cmps[i].value ? cmps[i].len : 0;
		cp[i] = &c[i];
	}
	for (size_t i = 0; i < nops; i++) {
		strata__kv_op__init(&o[i]);
		o[i].type = (uint32_t)ops[i].type;
		o[i].key = (char *)ops[i].key;
		if (ops[i].type == KV_PUT) {
			o[i].value.data = (uint8_t *)ops[i].value;
			o[i].value.len = ops[i].len;
		}
		op[i] = &o[i];
	}
	req.compares = cp;
	req.n_compares = ncmp;
	req.ops = op;
	req.n_ops = nops;
	rc = meta_conn_call(&k->mc, RPC_KV_TXN, &req.base, &resp);
	if (rc == ERR_OK) {
		const RPC_PB(KvTxnResponse) *t = (const RPC_PB(KvTxnResponse) *)resp;
		if (!t->succeeded)
			rc = err_set(ERR_CONFLICT, "%s",
			             t->message && t->message[0] ? t->message
			                                         : "metadata changed concurrently");
	}
out:
	rpc_message_free(resp);
	mem_free(c);
	mem_free(cp);
	mem_free(o);
	mem_free(op);
	return rc;
}

static void r_close(struct kv *kv)
{
	struct kv_remote *k = (struct kv_remote *)kv;
	meta_conn_close(&k->mc);
	mem_free(k);
}

static const struct kv_ops remote_ops = {"remote", r_get, r_range, r_txn, r_close};

int kv_open_remote(const char *metasrv_addrs, struct kv **out)
{
	*out = NULL;
	struct kv_remote *k = mem_calloc(1, sizeof(*k));
	if (!k)
		return ERR_NOMEM;
	int rc = meta_conn_open(metasrv_addrs, 0, &k->mc);
	if (rc) {
		mem_free(k);
		return rc;
	}
	k->base.ops = &remote_ops;
	*out = &k->base;
	return ERR_OK;
}
