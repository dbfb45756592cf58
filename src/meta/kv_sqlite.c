/*
 * kv_sqlite: the metadata store in one SQLite file.
 *
 * Table: kv(key TEXT PRIMARY KEY, value BLOB NOT NULL), WAL journal mode,
 * synchronous=FULL (metadata changes are rare and must survive a crash).
 * A txn runs in BEGIN IMMEDIATE ... COMMIT, so compares and writes are
 * atomic against other processes using the same file.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "meta/kv.h"

struct kv_sqlite {
	struct kv base;
	/* The prepared statements are shared: every operation runs under this
	 * (recursive: a txn's compares call s_get) lock. */
	pthread_mutex_t mu;
	sqlite3 *db;
	sqlite3_stmt *get, *put, *del, *range;
};

static int sql_err(struct kv_sqlite *s, const char *what)
{
	return err_set(ERR_IO, "metadata store: %s: %s", what, sqlite3_errmsg(s->db));
}

static int get_locked(struct kv *kv, const char *key, uint8_t **value, size_t *len)
{
	struct kv_sqlite *s = (struct kv_sqlite *)kv;
	sqlite3_reset(s->get);
	sqlite3_bind_text(s->get, 1, key, -1, SQLITE_STATIC);
	int step = sqlite3_step(s->get);
	if (step == SQLITE_DONE)
		return err_set(ERR_NOT_FOUND, "key %s not found", key);
	if (step != SQLITE_ROW)
		return sql_err(s, "get");
	int n = sqlite3_column_bytes(s->get, 0);
	const void *p = sqlite3_column_blob(s->get, 0);
	*value = mem_alloc((size_t)n + 1);
	if (!*value)
		return ERR_NOMEM;
	if (n)
		memcpy(*value, p, (size_t)n);
	(*value)[n] = 0;
	*len = (size_t)n;
	sqlite3_reset(s->get);
	return ERR_OK;
}

static int range_locked(struct kv *kv, const char *prefix, struct kv_list *out)
{
	struct kv_sqlite *s = (struct kv_sqlite *)kv;
	size_t cap = 0;
	sqlite3_reset(s->range);
	size_t plen = strlen(prefix);
	sqlite3_bind_text(s->range, 1, prefix, -1, SQLITE_STATIC);
	/* upper bound: prefix with its last byte incremented (or open-ended) */
	char *hi = mem_strndup(prefix, plen);
	if (!hi)
		return ERR_NOMEM;
	if (plen)
		hi[plen - 1]++;
	sqlite3_bind_text(s->range, 2, plen ? hi : "\x7f\x7f\x7f\x7f", -1, SQLITE_STATIC);
	int rc = ERR_OK, step;
	while ((step = sqlite3_step(s->range)) == SQLITE_ROW) {
		void *p = out->items;
		if ((rc = mem_grow(&p, &cap, out->n + 1, sizeof(*out->items))))
			break;
		out->items = p;
		struct kv_pair *it = &out->items[out->n];
		int n = sqlite3_column_bytes(s->range, 1);
		it->key = mem_strdup((const char *)sqlite3_column_text(s->range, 0));
		it->value = mem_alloc((size_t)n + 1);
		if (!it->key || !it->value) {
			mem_free(it->key);
			mem_free(it->value);
			rc = ERR_NOMEM;
			break;
		}
		if (n)
			memcpy(it->value, sqlite3_column_blob(s->range, 1), (size_t)n);
		it->value[n] = 0;
		it->len = (size_t)n;
		out->n++;
	}
	if (rc == ERR_OK && step != SQLITE_DONE)
		rc = sql_err(s, "range");
	sqlite3_reset(s->range);
	mem_free(hi);
	if (rc)
		kv_list_free(out);
	return rc;
}

static int exec(struct kv_sqlite *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = err_set(ERR_IO, "metadata store: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return rc;
	}
	return ERR_OK;
}

static int txn_locked(struct kv *kv, const struct kv_cmp *cmps, size_t ncmp,
		      const struct kv_op *ops, size_t nops)
{
	struct kv_sqlite *s = (struct kv_sqlite *)kv;
	int rc = exec(s, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	for (size_t i = 0; i < ncmp && rc == ERR_OK; i++) {
		uint8_t *cur = NULL;
		size_t len = 0;
		int g = get_locked(kv, cmps[i].key, &cur, &len);
		if (g && g != ERR_NOT_FOUND)
			rc = g;
		else if (cmps[i].value == NULL ? g != ERR_NOT_FOUND
					       : (g == ERR_NOT_FOUND || len != cmps[i].len ||
						  memcmp(cur, cmps[i].value, len)))
			rc = err_set(ERR_CONFLICT, "metadata key %s changed concurrently",
				     cmps[i].key);
		mem_free(cur);
	}
	for (size_t i = 0; i < nops && rc == ERR_OK; i++) {
		sqlite3_stmt *st = ops[i].type == KV_PUT ? s->put : s->del;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, ops[i].key, -1, SQLITE_STATIC);
		if (ops[i].type == KV_PUT)
			sqlite3_bind_blob(st, 2, ops[i].value ? ops[i].value : "", (int)ops[i].len,
					  SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sql_err(s, ops[i].type == KV_PUT ? "put" : "delete");
		sqlite3_reset(st);
	}
	if (rc == ERR_OK)
		return exec(s, "COMMIT");
	char saved[512];
	snprintf(saved, sizeof(saved), "%s", err_msg());
	int code = rc;
	exec(s, "ROLLBACK");
	return err_set(code, "%s", saved);
}

static int s_get(struct kv *kv, const char *key, uint8_t **value, size_t *len)
{
	struct kv_sqlite *s = (struct kv_sqlite *)kv;
	pthread_mutex_lock(&s->mu);
	int rc = get_locked(kv, key, value, len);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int s_range(struct kv *kv, const char *prefix, struct kv_list *out)
{
	struct kv_sqlite *s = (struct kv_sqlite *)kv;
	pthread_mutex_lock(&s->mu);
	int rc = range_locked(kv, prefix, out);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int s_txn(struct kv *kv, const struct kv_cmp *cmps, size_t ncmp, const struct kv_op *ops,
		 size_t nops)
{
	struct kv_sqlite *s = (struct kv_sqlite *)kv;
	pthread_mutex_lock(&s->mu);
	int rc = txn_locked(kv, cmps, ncmp, ops, nops);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void s_close(struct kv *kv)
{
	struct kv_sqlite *s = (struct kv_sqlite *)kv;
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->range);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->mu);
	mem_free(s);
}

static const struct kv_ops sqlite_ops = {"sqlite", s_get, s_range, s_txn, s_close};

int kv_open_sqlite(const char *path, struct kv **out)
{
	*out = NULL;
	struct kv_sqlite *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->base.ops = &sqlite_ops;
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->mu, &attr);
	pthread_mutexattr_destroy(&attr);
	int rc = ERR_OK;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
						  SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		rc = err_set(ERR_IO, "open metadata store %s: %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* Switching to WAL needs an exclusive lock and SQLite does not always
	 * run the busy handler for it: several processes opening the store at
	 * once retry here instead of failing. */
	for (int attempt = 0;; attempt++) {
		rc = exec(s, "PRAGMA journal_mode=WAL");
		if (rc == ERR_OK || attempt == 200 ||
		    (sqlite3_errcode(s->db) != SQLITE_BUSY && sqlite3_errcode(s->db) != SQLITE_LOCKED))
			break;
		clock_sleep_ms(10);
	}
	if (rc || (rc = exec(s, "PRAGMA synchronous=FULL")) ||
	    (rc = exec(s, "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT "
			  "NULL) WITHOUT ROWID")))
		goto fail;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM kv WHERE key = ?1", -1, &s->get, NULL) ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO kv(key, value) VALUES (?1, ?2)", -1,
			       &s->put, NULL) ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM kv WHERE key = ?1", -1, &s->del, NULL) ||
	    sqlite3_prepare_v2(s->db,
			       "SELECT key, value FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key",
			       -1, &s->range, NULL)) {
		rc = sql_err(s, "prepare");
		goto fail;
	}
	*out = &s->base;
	return ERR_OK;
fail:
	s_close(&s->base);
	return rc;
}
