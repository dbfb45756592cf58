/*
 * election: leader election over etcd (see election.h for the protocol and
 * the value layout). One thread per candidate runs this state machine:
 *
 *            txn create-if-absent won
 *   FOLLOWER ------------------------> LEADER
 *      ^  | txn lost: watch the key       |
 *      |  +-- until deleted / window end  | lease gone or late, key gone
 *      +----------------------------------+ or no longer on our lease
 *                 (on_lost)
 *   either --election_stop--> STOPPED (lease revoked; on_lost if LEADER)
 *
 * The lease belongs to the candidate for its whole life, leader or not: it
 * is kept alive every ttl/3 (a follower's watch window ends at the next
 * keepalive), and re-granted when etcd reports it gone. Locally it counts
 * as valid until (send time of the last successful grant/keepalive) + ttl
 * - margin; etcd cannot expire it earlier, because it restarts the TTL no
 * sooner than it receives the request. A leader whose lease is past that
 * point steps down on its own, before another candidate can win.
 *
 * A campaign txn retried after an unknown outcome may find the key already
 * created by its own first attempt: the failure branch reads the key, and
 * a key on our lease means we won.
 */
#include "meta/election.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "meta/etcd_int.h"

#define DEFAULT_TTL_MS 2000
#define RETRY_PAUSE_MS 100

enum election_state { ELECTION_FOLLOWER, ELECTION_LEADER, ELECTION_STOPPED };

struct election {
	struct etcd_client *c;
	char *prefix; /* normalised store prefix */
	char *key;    /* full etcd key: prefix + ELECTION_KEY */
	size_t klen;
	uint64_t id;
	char *addr;
	struct buf value; /* our leader record */
	int ttl_ms;
	int margin_ms;
	void (*on_elected)(void *arg, int64_t term);
	void (*on_lost)(void *arg);
	void *cb_arg;

	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t mu; /* guards the fields below and pairs with wake */
	pthread_cond_t wake;
	enum election_state state;
	int64_t term;
	bool have_leader;
	uint64_t leader_id;
	char leader_addr[ELECTION_ADDR_MAX + 1];

	/* owned by the election thread */
	int64_t lease;       /* 0 = none */
	int64_t lease_until; /* local validity end (monotonic ms) */
	int64_t next_keepalive;
};

static int64_t now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* ------------------------------------------------------------ value codec */

int election_value_encode(uint64_t id, const char *addr, struct buf *out)
{
	if (!addr || strlen(addr) > ELECTION_ADDR_MAX)
		return err_set(ERR_BAD_INPUT, "election: address missing or longer than %d bytes",
		               ELECTION_ADDR_MAX);
	cJSON *j = cJSON_CreateObject();
	char idbuf[24];
	snprintf(idbuf, sizeof(idbuf), "%" PRIu64, id);
	char *s = NULL;
	if (j && cJSON_AddStringToObject(j, "id", idbuf) &&
	    cJSON_AddStringToObject(j, "addr", addr))
		s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s)
		return err_set(ERR_NOMEM, "election: out of memory");
	int rc = buf_append(out, s, strlen(s));
	cJSON_free(s);
	return rc;
}

int election_value_decode(const void *p, size_t n, uint64_t *id, char *addr, size_t cap)
{
	*id = 0;
	if (cap)
		addr[0] = 0;
	cJSON *j = n ? cJSON_ParseWithLength(p, n) : NULL;
	int rc = ERR_OK;
	const cJSON *jid = cJSON_GetObjectItemCaseSensitive(j, "id");
	const cJSON *ja = cJSON_GetObjectItemCaseSensitive(j, "addr");
	if (!cJSON_IsObject(j) || !cJSON_IsString(jid) || !cJSON_IsString(ja)) {
		rc = err_set(ERR_CORRUPT, "election: leader record is not {\"id\",\"addr\"}");
		goto out;
	}
	const char *s = jid->valuestring;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || errno || *end) {
		rc = err_set(ERR_CORRUPT, "election: leader id \"%.32s\" is not a number", s);
		goto out;
	}
	if (strlen(ja->valuestring) > ELECTION_ADDR_MAX) {
		rc = err_set(ERR_CORRUPT, "election: leader address too long");
		goto out;
	}
	*id = v;
	if (cap)
		snprintf(addr, cap, "%s", ja->valuestring);
out:
	cJSON_Delete(j);
	return rc;
}

int election_lookup(struct kv *kv, uint64_t *id, char *addr, size_t cap)
{
	uint8_t *v = NULL;
	size_t n = 0;
	*id = 0;
	if (cap)
		addr[0] = 0;
	int rc = kv_get(kv, ELECTION_KEY, &v, &n);
	if (rc == ERR_NOT_FOUND)
		rc = err_set(ERR_NOT_FOUND, "no metasrv leader");
	else if (!rc)
		rc = election_value_decode(v, n, id, addr, cap);
	mem_free(v);
	return rc;
}

/* ------------------------------------------------------------ helpers */

/* Sleep until `until` (monotonic ms) or until stop; returns stop. */
static bool wait_until(struct election *e, int64_t until)
{
	pthread_mutex_lock(&e->mu);
	while (!atomic_load(&e->stop)) {
		int64_t left = until - now_ms();
		if (left <= 0)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t ns = (int64_t)ts.tv_nsec + left % 1000 * 1000000;
		ts.tv_sec += (time_t)(left / 1000 + ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_cond_timedwait(&e->wake, &e->mu, &ts);
	}
	pthread_mutex_unlock(&e->mu);
	return atomic_load(&e->stop);
}

static void set_leader(struct election *e, bool have, uint64_t id, const char *addr)
{
	pthread_mutex_lock(&e->mu);
	e->have_leader = have;
	e->leader_id = have ? id : 0;
	snprintf(e->leader_addr, sizeof(e->leader_addr), "%s", have && addr ? addr : "");
	pthread_mutex_unlock(&e->mu);
}

/* The leader named by a record read from etcd (an unreadable record still
 * means "someone leads": id 0, no address). */
static void learn_leader(struct election *e, const struct etcd_kv *kv)
{
	uint64_t id;
	char addr[ELECTION_ADDR_MAX + 1];
	if (election_value_decode(kv->value, kv->vlen, &id, addr, sizeof(addr)))
		log_warn("election: unreadable leader record: %s", err_msg());
	set_leader(e, true, id, addr);
}

static void set_state(struct election *e, enum election_state s, int64_t term)
{
	pthread_mutex_lock(&e->mu);
	e->state = s;
	e->term = term;
	pthread_mutex_unlock(&e->mu);
}

/* A request that election_stop cuts short. */
static int call(struct election *e, const char *path, const struct buf *b, int timeout_ms,
                cJSON **out)
{
	return etcd_call_cancel(e->c, path, b, timeout_ms, &e->stop, out);
}

/* ------------------------------------------------------------ lease */

static void lease_refreshed(struct election *e, int64_t sent)
{
	e->lease_until = sent + e->ttl_ms - e->margin_ms;
	e->next_keepalive = sent + e->ttl_ms / 3;
}

static int lease_grant(struct election *e)
{
	struct buf b;
	buf_init(&b);
	cJSON *j = NULL;
	struct etcd_lease l;
	int64_t sent = now_ms();
	int rc = buf_printf(&b, "{\"TTL\":\"%d\"}", (e->ttl_ms + 999) / 1000);
	if (!rc)
		rc = call(e, "/v3/lease/grant", &b, 0, &j);
	if (!rc)
		rc = etcd_parse_lease(j, &l);
	if (!rc && (l.id == 0 || l.ttl <= 0))
		rc = err_set(ERR_PROTOCOL, "etcd: lease grant without ID or TTL");
	if (!rc) {
		e->lease = l.id;
		lease_refreshed(e, sent);
	}
	cJSON_Delete(j);
	buf_free(&b);
	return rc;
}

/* One keepalive. ERR_NOT_FOUND when etcd says the lease is gone. */
static int lease_keepalive(struct election *e, int timeout_ms)
{
	struct buf b;
	buf_init(&b);
	cJSON *j = NULL;
	struct etcd_lease l;
	int64_t sent = now_ms();
	int rc = buf_printf(&b, "{\"ID\":\"%" PRId64 "\"}", e->lease);
	if (!rc)
		rc = call(e, "/v3/lease/keepalive", &b, timeout_ms, &j);
	if (!rc)
		rc = etcd_parse_lease(j, &l);
	if (!rc && l.ttl <= 0)
		rc = err_set(ERR_NOT_FOUND, "etcd: lease %" PRId64 " expired", e->lease);
	if (!rc)
		lease_refreshed(e, sent);
	cJSON_Delete(j);
	buf_free(&b);
	return rc;
}

static void lease_revoke(struct election *e)
{
	if (!e->lease)
		return;
	struct buf b;
	buf_init(&b);
	cJSON *j = NULL;
	int t = etcd_client_timeout_ms(e->c);
	if (!buf_printf(&b, "{\"ID\":\"%" PRId64 "\"}", e->lease) &&
	    etcd_call(e->c, "/v3/lease/revoke", &b, t < 2000 ? t : 2000, &j) &&
	    err_code() != ERR_NOT_FOUND)
		log_warn("election: revoking lease %" PRId64 ": %s", e->lease, err_msg());
	cJSON_Delete(j);
	buf_free(&b);
	e->lease = 0;
}

/* Keep the lease alive when due, or grant one when there is none. ERR_OK
 * while we hold a locally valid lease. A lease that lapsed locally or that
 * etcd reports gone (ERR_NOT_FOUND) is dropped and reported as an error
 * without granting a new one in the same call, so a leader steps down first. */
static int lease_tick(struct election *e)
{
	int64_t now = now_ms();
	if (e->lease && now >= e->lease_until) {
		e->lease = 0;
		return err_set(ERR_UNAVAILABLE, "lease not renewed within its TTL");
	}
	if (!e->lease)
		return lease_grant(e);
	if (now < e->next_keepalive)
		return ERR_OK;
	int64_t left = e->lease_until - now;
	int t = etcd_client_timeout_ms(e->c);
	int rc = lease_keepalive(e, left < t ? (int)left : t);
	if (rc == ERR_NOT_FOUND) {
		e->lease = 0;
		return rc;
	}
	if (rc) {
		log_debug("election: keepalive: %s", err_msg());
		e->next_keepalive = now_ms() + RETRY_PAUSE_MS; /* again soon */
		if (now_ms() >= e->lease_until) {
			e->lease = 0;
			return err_set(ERR_UNAVAILABLE, "lease not renewed within its TTL");
		}
	}
	return ERR_OK;
}

/* ------------------------------------------------------------ transitions */

static void become_leader(struct election *e, int64_t term)
{
	set_state(e, ELECTION_LEADER, term);
	set_leader(e, true, e->id, e->addr);
	log_info("election: candidate %" PRIu64 " leads (term %" PRId64 ")", e->id, term);
	if (e->on_elected)
		e->on_elected(e->cb_arg, term);
}

static void step_down(struct election *e, const char *why)
{
	set_state(e, ELECTION_FOLLOWER, 0);
	set_leader(e, false, 0, NULL);
	log_warn("election: candidate %" PRIu64 " steps down: %s", e->id, why);
	if (e->on_lost)
		e->on_lost(e->cb_arg);
}

/* ------------------------------------------------------------ follower */

struct watch_arg {
	struct election *e;
};

static int on_watch(void *arg, const struct etcd_watch_msg *m)
{
	struct election *e = ((struct watch_arg *)arg)->e;
	for (size_t i = 0; i < m->n; i++) {
		const struct etcd_event *ev = &m->events[i];
		if (ev->kv.klen != e->klen || memcmp(ev->kv.key, e->key, e->klen))
			continue;
		if (ev->type == ETCD_EVENT_DELETE) {
			set_leader(e, false, 0, NULL);
			return 1; /* campaign now */
		}
		learn_leader(e, &ev->kv);
	}
	return 0;
}

/* One campaign: txn create-if-absent; on loss, watch the key until it is
 * deleted or the next keepalive is due. */
static void follow_tick(struct election *e)
{
	struct kv_cmp cmp = {ELECTION_KEY, NULL, 0};
	struct kv_op op = {KV_PUT, ELECTION_KEY, e->value.data, e->value.len};
	struct buf b;
	buf_init(&b);
	cJSON *j = NULL;
	struct etcd_txn t = {0};
	int64_t left = e->lease_until - now_ms();
	int t_ms = etcd_client_timeout_ms(e->c);
	int rc = etcd_req_txn(&b, e->prefix, &cmp, 1, &op, 1, e->lease, ELECTION_KEY);
	if (!rc)
		rc = call(e, "/v3/kv/txn", &b, left < t_ms ? (int)(left > 1 ? left : 1) : t_ms, &j);
	if (!rc)
		rc = etcd_parse_txn(j, &t);
	cJSON_Delete(j);
	if (rc == ERR_NOT_FOUND) { /* our lease is gone */
		e->lease = 0;
		goto out;
	}
	if (rc) {
		log_warn("election: campaign: %s", err_msg());
		wait_until(e, now_ms() + RETRY_PAUSE_MS);
		goto out;
	}
	bool won = t.succeeded || (t.range.n == 1 && t.range.kvs[0].lease == e->lease);
	if (won && now_ms() >= e->lease_until) {
		/* The answer came after our lease's local validity: etcd may
		 * expire it any moment, so leading is unsafe. Give the key up. */
		log_warn("election: won too late for our lease; resigning at once");
		lease_revoke(e);
		goto out;
	}
	if (t.succeeded) {
		become_leader(e, t.revision);
		goto out;
	}
	if (won) {
		become_leader(e, t.range.kvs[0].create_rev); /* our earlier attempt won */
		goto out;
	}
	if (t.range.n == 1)
		learn_leader(e, &t.range.kvs[0]);
	int64_t window = e->next_keepalive - now_ms();
	if (window < 50)
		window = 50;
	buf_reset(&b);
	struct watch_arg wa = {e};
	rc = etcd_req_watch(&b, e->key, e->klen, t.revision + 1);
	if (!rc)
		rc = etcd_watch(e->c, &b, (int)window, &e->stop, on_watch, &wa);
	if (rc) {
		log_debug("election: watch: %s", err_msg());
		wait_until(e, now_ms() + RETRY_PAUSE_MS);
	}
out:
	etcd_txn_free(&t);
	buf_free(&b);
}

/* ------------------------------------------------------------ leader */

/* Is the key still ours? ERR_OK yes, ERR_CONFLICT no, other = unknown. */
static int check_key(struct election *e, int timeout_ms)
{
	struct buf b;
	buf_init(&b);
	cJSON *j = NULL;
	struct etcd_range r = {0};
	int rc = etcd_req_range(&b, e->key, e->klen, NULL, 0, 0, 0);
	if (!rc)
		rc = call(e, "/v3/kv/range", &b, timeout_ms, &j);
	if (!rc)
		rc = etcd_parse_range(j, &r);
	if (!rc && (r.n != 1 || r.kvs[0].lease != e->lease))
		rc = ERR_CONFLICT;
	if (rc == ERR_CONFLICT && r.n == 1)
		learn_leader(e, &r.kvs[0]);
	etcd_range_free(&r);
	cJSON_Delete(j);
	buf_free(&b);
	return rc;
}

static void lead_tick(struct election *e)
{
	int64_t left = e->lease_until - now_ms();
	if (left > 0 && check_key(e, (int)left) == ERR_CONFLICT) {
		step_down(e, "the leader key was deleted or taken over");
		return;
	}
	wait_until(e, e->next_keepalive);
}

/* ------------------------------------------------------------ thread */

static void *run(void *arg)
{
	struct election *e = arg;
	while (!atomic_load(&e->stop)) {
		int rc = lease_tick(e);
		bool leading = e->state == ELECTION_LEADER;
		if (rc) {
			if (leading)
				step_down(e, err_msg());
			else
				log_debug("election: lease: %s", err_msg());
			if (rc != ERR_NOT_FOUND)
				wait_until(e, now_ms() + RETRY_PAUSE_MS);
			continue;
		}
		if (leading)
			lead_tick(e);
		else
			follow_tick(e);
	}
	/* Stop acting as leader before the key goes, so that two candidates
	 * never both believe they lead. */
	bool was_leader = e->state == ELECTION_LEADER;
	set_state(e, ELECTION_STOPPED, 0);
	set_leader(e, false, 0, NULL);
	if (was_leader) {
		log_info("election: candidate %" PRIu64 " resigns", e->id);
		if (e->on_lost)
			e->on_lost(e->cb_arg);
	}
	lease_revoke(e);
	return NULL;
}

/* ------------------------------------------------------------ public */

static void free_election(struct election *e)
{
	etcd_client_close(e->c);
	mem_free(e->prefix);
	mem_free(e->key);
	mem_free(e->addr);
	buf_free(&e->value);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->mu);
	mem_free(e);
}

int election_start(const struct election_options *o, struct election **out)
{
	*out = NULL;
	if (!o)
		return err_set(ERR_BAD_INPUT, "election: no options");
	if (o->ttl_ms < 0 || o->ttl_ms > 3600 * 1000)
		return err_set(ERR_BAD_INPUT, "election: ttl %d ms out of range", o->ttl_ms);
	struct election *e = mem_calloc(1, sizeof(*e));
	if (!e)
		return ERR_NOMEM;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&e->mu, NULL);
	buf_init(&e->value);
	atomic_init(&e->stop, false);
	e->id = o->id;
	e->ttl_ms = o->ttl_ms ? o->ttl_ms : DEFAULT_TTL_MS;
	e->margin_ms = e->ttl_ms / 10 < 200 ? e->ttl_ms / 10 : 200;
	e->on_elected = o->on_elected;
	e->on_lost = o->on_lost;
	e->cb_arg = o->arg;
	e->state = ELECTION_FOLLOWER;
	int rc = election_value_encode(o->id, o->addr, &e->value);
	if (rc)
		goto fail;
	e->addr = mem_strdup(o->addr);
	e->prefix = etcd_norm_prefix(o->etcd.prefix);
	if (!e->addr || !e->prefix) {
		rc = ERR_NOMEM;
		goto fail;
	}
	e->klen = strlen(e->prefix) + strlen(ELECTION_KEY);
	e->key = mem_alloc(e->klen + 1);
	if (!e->key) {
		rc = ERR_NOMEM;
		goto fail;
	}
	snprintf(e->key, e->klen + 1, "%s%s", e->prefix, ELECTION_KEY);
	if ((rc = etcd_client_open(o->etcd.endpoints, o->etcd.timeout_ms, &e->c)))
		goto fail;
	if (pthread_create(&e->thread, NULL, run, e)) {
		rc = err_set(ERR_INTERNAL, "election: cannot start a thread");
		goto fail;
	}
	*out = e;
	return ERR_OK;
fail:
	free_election(e);
	return rc;
}

int election_leader(struct election *e, uint64_t *id, char *addr, size_t cap)
{
	pthread_mutex_lock(&e->mu);
	bool have = e->have_leader;
	*id = e->leader_id;
	if (cap)
		snprintf(addr, cap, "%s", e->leader_addr);
	pthread_mutex_unlock(&e->mu);
	return have ? ERR_OK : err_set(ERR_NOT_FOUND, "no metasrv leader known");
}

bool election_is_leader(struct election *e)
{
	pthread_mutex_lock(&e->mu);
	bool l = e->state == ELECTION_LEADER;
	pthread_mutex_unlock(&e->mu);
	return l;
}

void election_stop(struct election *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->mu);
	atomic_store(&e->stop, true);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->thread, NULL);
	free_election(e);
}
