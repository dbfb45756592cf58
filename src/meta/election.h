/*
 * election: leader election among metasrv instances over etcd, so that
 * several metasrv can run for high availability and exactly one leads.
 *
 * Each candidate holds an etcd lease (TTL ttl_ms, kept alive by its
 * election thread) and tries to create the key "<prefix>/__metasrv_leader"
 * (the KV key ELECTION_KEY under the same prefix as the metadata store)
 * bound to that lease, with a transaction that succeeds only while the key
 * is absent. The winner leads until its lease ends: it resigns (revokes
 * the lease, which deletes the key), dies (the lease expires ttl_ms after
 * its last keepalive), or cannot renew in time (it then steps down by
 * itself before etcd can expire the lease). The others watch the key and
 * campaign again as soon as it is deleted, so a killed leader is replaced
 * within about ttl_ms plus etcd's 0.5 s expiry tick.
 *
 * The key's value names the leader (byte layout, UTF-8 JSON):
 *     {"id":"<candidate id, decimal>","addr":"<host:port it serves on>"}
 * and its create_revision is the leader's term: it grows with every new
 * leadership, so it can fence writes made on behalf of an old leader.
 */
#ifndef STRATA_META_ELECTION_H
#define STRATA_META_ELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "meta/kv.h"

#define ELECTION_KEY      "__metasrv_leader"
#define ELECTION_ADDR_MAX 255

struct election;

struct election_options {
	struct kv_etcd_options etcd; /* endpoints, prefix (as the KV store's), timeout */
	uint64_t id;                 /* this candidate */
	const char *addr;            /* where it serves, at most ELECTION_ADDR_MAX bytes */
	int ttl_ms;                  /* lease TTL; 0 = 2000; etcd grants whole seconds */
	/* Both run on the election thread and must return quickly; they must
	 * not call election_stop. on_elected gets the term (see above);
	 * on_lost follows every on_elected exactly once: lease lost or late,
	 * key deleted or taken over, or election_stop. */
	void (*on_elected)(void *arg, int64_t term);
	void (*on_lost)(void *arg);
	void *arg;
};

/* Start campaigning on a new thread. Nothing is contacted before the
 * thread runs; connection trouble is retried there, never reported here. */
int election_start(const struct election_options *o, struct election **out);
/* The leader as last seen by this candidate (itself when leading):
 * ERR_NOT_FOUND when none is known; addr is truncated to cap. */
int election_leader(struct election *e, uint64_t *id, char *addr, size_t cap);
bool election_is_leader(struct election *e);
/* Resign and free: revokes the lease (deleting the key when we lead, so a
 * follower takes over at once), calls on_lost when leading, joins the
 * thread. NULL is fine. */
void election_stop(struct election *e);

/* The current leader read through any KV handle opened on the same
 * prefix (etcd, or sqlite in a single-metasrv setup): ERR_NOT_FOUND when
 * there is none, ERR_CORRUPT when the value is not a leader record. */
int election_lookup(struct kv *kv, uint64_t *id, char *addr, size_t cap);

/* The leader record codec (pure). encode appends to out; decode checks
 * types and sizes. */
int election_value_encode(uint64_t id, const char *addr, struct buf *out);
int election_value_decode(const void *p, size_t n, uint64_t *id, char *addr, size_t cap);

#endif
