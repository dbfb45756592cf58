/*
 * kv_etcd: the metadata store on an etcd cluster ("etcd"), spoken over
 * etcd's v3 JSON gateway with libcurl, plus the HTTP client shared with the
 * leader election (etcd_int.h).
 *
 * Key layout: kv key K is the etcd key "<prefix>K" (prefix normalised to ""
 * or ending in '/'), so several deployments can share one cluster. Values
 * are stored as given.
 *
 * Operations:
 *   get    POST /v3/kv/range {"key":P+K}; no kvs = ERR_NOT_FOUND.
 *   range  POST /v3/kv/range {"key":P+prefix,"range_end":end,"limit":page};
 *          while "more", the next page starts at last key + "\0" and reads
 *          at the first page's revision, so the whole scan is one snapshot.
 *          A compaction between pages (ERR_RETRY) restarts the scan (3x).
 *   txn    POST /v3/kv/txn: compares become VALUE == v, or CREATE == 0 for
 *          "absent"; ops become request_put / request_delete_range; when
 *          several ops name one key only the last is sent (etcd rejects
 *          duplicate keys; applied in order the last one decides anyway).
 *          No "succeeded" with compares present = ERR_CONFLICT.
 * etcd's own limits apply: at most 128 ops (and compares) per txn and
 * 1.5 MiB per request by default (ERR_BAD_INPUT).
 *
 * Retries and endpoints (etcd_call): a connection error, a timeout, HTTP
 * 5xx ("context deadline exceeded", "leader changed", ...) or 429 moves the
 * shared endpoint cursor to the next endpoint and tries again, until the
 * operation's deadline (timeout_ms from its start; each attempt gets
 * max(timeout/#endpoints, 1 s) of it when there are several endpoints).
 * After a failed round over all endpoints it backs off 50..500 ms. A txn
 * retried after an attempt whose outcome is unknown may find its own first
 * attempt applied and answer ERR_CONFLICT (never a double apply: callers
 * re-read and retry, as kv_next_id does).
 *
 * Threads: everything is shared; curl handles (each with its connection
 * cache) live in a small pool under a mutex.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "meta/etcd_int.h"
#include "meta/kv.h"

#define ETCD_DEFAULT_TIMEOUT_MS 5000
#define ETCD_DEFAULT_PAGE       1000
#define ETCD_MAX_ENDPOINTS      32
#define ETCD_POOL_MAX           8
#define ETCD_MAX_RESPONSE       ((size_t)256 << 20)
#define ETCD_MAX_WATCH_LINE     ((size_t)16 << 20)

/* ================================================================ client */

struct etcd_client {
	char **eps;
	size_t neps;
	int timeout_ms;
	atomic_uint cur; /* index of the endpoint to try first */
	struct curl_slist *hdrs;
	pthread_mutex_t mu;
	CURL *pool[ETCD_POOL_MAX];
	size_t npool;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int add_endpoint(struct etcd_client *c, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '/'))
		n--;
	if (!n)
		return ERR_OK;
	if (c->neps == ETCD_MAX_ENDPOINTS)
		return err_set(ERR_BAD_INPUT, "etcd: more than %d endpoints", ETCD_MAX_ENDPOINTS);
	int has_scheme = memmem(s, n, "://", 3) != NULL;
	if (has_scheme && !(n > 7 && !memcmp(s, "http://", 7)) &&
	    !(n > 8 && !memcmp(s, "https://", 8)))
		return err_set(ERR_BAD_INPUT, "etcd: endpoint %.*s is not http:// or https://",
		               (int)n, s);
	char *e = mem_alloc(n + 8);
	if (!e)
		return ERR_NOMEM;
	snprintf(e, n + 8, "%s%.*s", has_scheme ? "" : "http://", (int)n, s);
	c->eps[c->neps++] = e;
	return ERR_OK;
}

int etcd_client_open(const char *endpoints, int timeout_ms, struct etcd_client **out)
{
	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return err_set(ERR_INTERNAL, "etcd: curl_global_init: %s",
		               curl_easy_strerror(curl_init_rc));
	if (!endpoints || !endpoints[0])
		return err_set(ERR_BAD_INPUT, "etcd: no endpoints given");
	struct etcd_client *c = mem_calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	pthread_mutex_init(&c->mu, NULL);
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : ETCD_DEFAULT_TIMEOUT_MS;
	int rc = ERR_OK;
	c->eps = mem_calloc(ETCD_MAX_ENDPOINTS, sizeof(*c->eps));
	if (!c->eps) {
		rc = ERR_NOMEM;
		goto fail;
	}
	for (const char *p = endpoints;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if ((rc = add_endpoint(c, p, n)))
			goto fail;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (c->neps == 0) {
		rc = err_set(ERR_BAD_INPUT, "etcd: no endpoints in \"%s\"", endpoints);
		goto fail;
	}
	/* Go's server answers "Expect: 100-continue" fine, but the wait costs
	 * a round trip on big bodies. */
	c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *h2 = c->hdrs ? curl_slist_append(c->hdrs, "Expect:") : NULL;
	if (!h2) {
		rc = err_set(ERR_NOMEM, "etcd: out of memory");
		goto fail;
	}
	c->hdrs = h2;
	*out = c;
	return ERR_OK;
fail:
	etcd_client_close(c);
	return rc;
}

void etcd_client_close(struct etcd_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	for (size_t i = 0; i < c->neps; i++)
		mem_free(c->eps[i]);
	mem_free(c->eps);
	curl_slist_free_all(c->hdrs);
	pthread_mutex_destroy(&c->mu);
	mem_free(c);
}

int etcd_client_timeout_ms(const struct etcd_client *c)
{
	return c->timeout_ms;
}

static CURL *take_handle(struct etcd_client *c)
{
	CURL *h = NULL;
	pthread_mutex_lock(&c->mu);
	if (c->npool > 0)
		h = c->pool[--c->npool];
	pthread_mutex_unlock(&c->mu);
	if (!h)
		h = curl_easy_init();
	else
		curl_easy_reset(h); /* keeps the connection cache */
	if (!h)
		err_set(ERR_NOMEM, "etcd: curl_easy_init failed");
	return h;
}

static void give_handle(struct etcd_client *c, CURL *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->npool < ETCD_POOL_MAX) {
		c->pool[c->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	if (h)
		curl_easy_cleanup(h);
}

/* Move the shared cursor off endpoint idx (unless another thread already did). */
static void rotate(struct etcd_client *c, unsigned idx)
{
	unsigned expect = idx;
	atomic_compare_exchange_strong(&c->cur, &expect, (unsigned)((idx + 1) % c->neps));
}

static int64_t now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

struct resp {
	struct buf body;
	int too_big;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct resp *r = ud;
	size_t n = size * nmemb;
	if (r->body.len + n > ETCD_MAX_RESPONSE) {
		r->too_big = 1;
		return 0;
	}
	return buf_append(&r->body, p, n) ? 0 : n;
}

static void set_common(struct etcd_client *c, CURL *h, const char *url, const struct buf *body,
                       int64_t timeout_ms)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	/* never NULL: curl would read the body from stdin */
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->len ? (const char *)body->data : "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(timeout_ms > 0 && timeout_ms < 1000 ? timeout_ms : 1000));
}

static int on_call_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	return atomic_load((const atomic_bool *)ud) ? 1 : 0;
}

/* Sleep ms, in slices so that *cancel cuts it short. */
static void pause_ms(int64_t ms, const atomic_bool *cancel)
{
	int64_t until = now_ms() + ms;
	for (int64_t left = ms; left > 0 && !(cancel && atomic_load(cancel));
	     left = until - now_ms())
		clock_sleep_ms(left < 20 ? left : 20);
}

int etcd_call(struct etcd_client *c, const char *path, const struct buf *body, int timeout_ms,
              cJSON **out)
{
	return etcd_call_cancel(c, path, body, timeout_ms, NULL, out);
}

int etcd_call_cancel(struct etcd_client *c, const char *path, const struct buf *body,
                     int timeout_ms, const atomic_bool *cancel, cJSON **out)
{
	*out = NULL;
	if (timeout_ms <= 0)
		timeout_ms = c->timeout_ms;
	int64_t deadline = now_ms() + timeout_ms;
	int64_t per_try = c->neps > 1 ? timeout_ms / (int64_t)c->neps : timeout_ms;
	if (per_try < 1000)
		per_try = 1000;
	CURL *h = take_handle(c);
	if (!h)
		return ERR_NOMEM;
	struct resp r;
	buf_init(&r.body);
	char url[512], last[400] = "no attempt made";
	unsigned idx = atomic_load(&c->cur) % (unsigned)c->neps;
	int rc = ERR_OK;
	for (unsigned attempt = 0;; attempt++) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			break;
		snprintf(url, sizeof(url), "%s%s", c->eps[idx], path);
		buf_reset(&r.body);
		r.too_big = 0;
		set_common(c, h, url, body, left < per_try ? left : per_try);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
		if (cancel) {
			curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
			curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_call_progress);
			curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)cancel);
		}
		CURLcode cc = curl_easy_perform(h);
		if (cancel && atomic_load(cancel)) {
			rc = err_set(ERR_UNAVAILABLE, "etcd POST %s: canceled", path);
			goto out;
		}
		long status = 0;
		if (cc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (r.too_big) {
			rc = err_set(ERR_LIMIT, "etcd %s via %s: response larger than %zu bytes",
			             path, c->eps[idx], ETCD_MAX_RESPONSE);
			goto out;
		}
		if (cc == CURLE_OK && status >= 200 && status < 300) {
			*out = etcd_json_parse((const char *)r.body.data, r.body.len);
			rc = *out ? ERR_OK : err_wrap("POST %s via %s", path, c->eps[idx]);
			goto out;
		}
		if (cc != CURLE_OK) {
			snprintf(last, sizeof(last), "%s: %s", c->eps[idx], curl_easy_strerror(cc));
		} else {
			int code;
			char msg[256];
			int is_err = etcd_parse_error((const char *)r.body.data, r.body.len, &code,
			                              msg, sizeof(msg));
			snprintf(last, sizeof(last), "%s: HTTP %ld: %s", c->eps[idx], status, msg);
			if (status < 500 && status != 429) {
				rc = err_set(is_err ? etcd_grpc_err(code) : ERR_PROTOCOL,
				             "etcd POST %s via %s", path, last);
				goto out;
			}
		}
		rotate(c, idx);
		idx = (idx + 1) % (unsigned)c->neps;
		if ((attempt + 1) % c->neps == 0) {
			unsigned k = (attempt + 1) / (unsigned)c->neps;
			int64_t pause = k < 4 ? 50LL << k : 500;
			left = deadline - now_ms();
			if (pause > left)
				pause = left;
			if (pause > 0)
				pause_ms(pause, cancel);
		}
	}
	rc = err_set(ERR_UNAVAILABLE, "etcd POST %s: no endpoint answered within %d ms (last: %s)",
	             path, timeout_ms, last);
out:
	buf_free(&r.body);
	give_handle(c, h);
	return rc;
}

/* ---------------------------------------------------------------- watch */

struct watch_ctx {
	CURL *h;
	struct buf pending; /* bytes after the last '\n' */
	etcd_watch_fn fn;
	void *arg;
	const atomic_bool *stop;
	int done; /* fn asked to stop, or stop was set */
	int rc;   /* a parse error or a canceled watch */
};

static int watch_line(struct watch_ctx *w, const char *p, size_t n)
{
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (!n)
		return ERR_OK;
	cJSON *j = etcd_json_parse(p, n);
	if (!j)
		return err_code();
	struct etcd_watch_msg m;
	int rc = etcd_parse_watch(j, &m);
	cJSON_Delete(j);
	if (rc)
		return rc;
	if (m.canceled) {
		rc = err_set(ERR_RETRY, "etcd: watch canceled (compacted at revision %" PRId64 ")",
		             m.compact_revision);
	} else if (w->fn(w->arg, &m)) {
		w->done = 1;
	}
	etcd_watch_msg_free(&m);
	return rc;
}

static size_t on_watch(char *p, size_t size, size_t nmemb, void *ud)
{
	struct watch_ctx *w = ud;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	if (w->pending.len + n > ETCD_MAX_WATCH_LINE) {
		w->rc = err_set(ERR_LIMIT, "etcd: watch message larger than %zu bytes",
		                ETCD_MAX_WATCH_LINE);
		return 0;
	}
	if (buf_append(&w->pending, p, n)) {
		w->rc = ERR_NOMEM;
		return 0;
	}
	if (status != 200)
		return n; /* an error body: judged after the transfer */
	size_t start = 0;
	for (size_t i = 0; i < w->pending.len && !w->done; i++) {
		if (w->pending.data[i] != '\n')
			continue;
		int rc = watch_line(w, (const char *)w->pending.data + start, i - start);
		start = i + 1;
		if (rc) {
			w->rc = rc;
			return 0;
		}
	}
	if (start) {
		memmove(w->pending.data, w->pending.data + start, w->pending.len - start);
		w->pending.len -= start;
	}
	if (w->stop && atomic_load(w->stop))
		w->done = 1;
	return w->done ? 0 : n;
}

static int on_watch_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	struct watch_ctx *w = ud;
	if (w->stop && atomic_load(w->stop)) {
		w->done = 1;
		return 1;
	}
	return 0;
}

int etcd_watch(struct etcd_client *c, const struct buf *body, int max_ms, const atomic_bool *stop,
               etcd_watch_fn fn, void *arg)
{
	struct watch_ctx w = {.fn = fn, .arg = arg, .stop = stop};
	buf_init(&w.pending);
	w.h = take_handle(c);
	if (!w.h)
		return ERR_NOMEM;
	unsigned idx = atomic_load(&c->cur) % (unsigned)c->neps;
	char url[512];
	snprintf(url, sizeof(url), "%s/v3/watch", c->eps[idx]);
	set_common(c, w.h, url, body, max_ms);
	curl_easy_setopt(w.h, CURLOPT_WRITEFUNCTION, on_watch);
	curl_easy_setopt(w.h, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(w.h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(w.h, CURLOPT_XFERINFOFUNCTION, on_watch_progress);
	curl_easy_setopt(w.h, CURLOPT_XFERINFODATA, &w);
	CURLcode cc = curl_easy_perform(w.h);
	long status = 0;
	curl_easy_getinfo(w.h, CURLINFO_RESPONSE_CODE, &status);
	int rc = ERR_OK;
	if (w.rc) {
		rc = w.rc;
	} else if (w.done || cc == CURLE_OPERATION_TIMEDOUT) {
		rc = ERR_OK;
	} else if (cc != CURLE_OK) {
		rotate(c, idx);
		rc = err_set(ERR_UNAVAILABLE, "etcd watch via %s: %s", c->eps[idx],
		             curl_easy_strerror(cc));
	} else if (status != 200) {
		int code;
		char msg[256];
		int is_err = etcd_parse_error((const char *)w.pending.data, w.pending.len, &code,
		                              msg, sizeof(msg));
		if (status >= 500)
			rotate(c, idx);
		rc = err_set(is_err ? etcd_grpc_err(code) : ERR_PROTOCOL,
		             "etcd watch via %s: HTTP %ld: %s", c->eps[idx], status, msg);
	} else {
		/* the server ended the stream (member shutting down): a last
		 * unterminated message still counts */
		if (w.pending.len)
			rc = watch_line(&w, (const char *)w.pending.data, w.pending.len);
		if (!rc && !w.done) {
			rotate(c, idx);
			rc = err_set(ERR_UNAVAILABLE, "etcd watch via %s: stream ended",
			             c->eps[idx]);
		}
	}
	buf_free(&w.pending);
	give_handle(c, w.h);
	return rc;
}

/* ================================================================ kv */

struct kv_etcd {
	struct kv base;
	struct etcd_client *c;
	char *prefix; /* normalised: "" or ends in '/' */
	size_t plen;
	int page;
};

/* prefix + key, NUL-terminated, mem_alloc'd. */
static char *full_key(const struct kv_etcd *s, const char *key, size_t *n)
{
	size_t kn = strlen(key);
	char *p = mem_alloc(s->plen + kn + 1);
	if (p) {
		memcpy(p, s->prefix, s->plen);
		memcpy(p + s->plen, key, kn + 1);
		*n = s->plen + kn;
	}
	return p;
}

static int do_range(struct kv_etcd *s, const void *key, size_t klen, const void *end, size_t elen,
                    int64_t limit, int64_t rev, struct etcd_range *out)
{
	struct buf b;
	buf_init(&b);
	cJSON *j = NULL;
	int rc = etcd_req_range(&b, key, klen, end, elen, limit, rev);
	if (!rc)
		rc = etcd_call(s->c, "/v3/kv/range", &b, 0, &j);
	if (!rc)
		rc = etcd_parse_range(j, out);
	cJSON_Delete(j);
	buf_free(&b);
	return rc;
}

static int e_get(struct kv *kv, const char *key, uint8_t **value, size_t *len)
{
	struct kv_etcd *s = (struct kv_etcd *)kv;
	size_t fn;
	char *fk = full_key(s, key, &fn);
	if (!fk)
		return ERR_NOMEM;
	struct etcd_range r;
	int rc = do_range(s, fk, fn, NULL, 0, 0, 0, &r);
	if (rc) {
		err_wrap("metadata get %s", key);
		goto out;
	}
	if (r.n == 0) {
		rc = err_set(ERR_NOT_FOUND, "key %s not found", key);
	} else if (r.n != 1 || r.kvs[0].klen != fn || memcmp(r.kvs[0].key, fk, fn)) {
		rc = err_set(ERR_PROTOCOL, "etcd: get %s answered another key", key);
	} else {
		*value = r.kvs[0].value; /* NUL-terminated by the decoder */
		*len = r.kvs[0].vlen;
		r.kvs[0].value = NULL;
	}
	etcd_range_free(&r);
out:
	mem_free(fk);
	return rc;
}

/* Move the kvs of one page into out, keys with the store prefix cut off. */
static int take_page(struct kv_etcd *s, struct etcd_range *r, const char *fk, size_t fn,
                     struct kv_list *out, size_t *cap)
{
	for (size_t i = 0; i < r->n; i++) {
		struct etcd_kv *e = &r->kvs[i];
		if (e->klen < fn || memcmp(e->key, fk, fn) || memchr(e->key, 0, e->klen))
			return err_set(ERR_PROTOCOL,
			               "etcd: range returned a key outside the prefix");
		void *p = out->items;
		int rc = mem_grow(&p, cap, out->n + 1, sizeof(*out->items));
		if (rc)
			return rc;
		out->items = p;
		char *k = mem_strndup((const char *)e->key + s->plen, e->klen - s->plen);
		if (!k)
			return ERR_NOMEM;
		struct kv_pair *it = &out->items[out->n++];
		it->key = k;
		it->value = e->value;
		it->len = e->vlen;
		e->value = NULL;
	}
	return ERR_OK;
}

static int range_once(struct kv_etcd *s, const char *fk, size_t fn, struct kv_list *out)
{
	uint8_t *end = NULL, *from = NULL;
	size_t elen = 0, cap = 0, from_len = fn;
	int64_t rev = 0;
	int rc = etcd_prefix_end(fk, fn, &end, &elen);
	if (rc)
		return rc;
	from = mem_dup(fn ? fk : "", fn ? fn : 1); /* "" = key "\0": the whole keyspace */
	if (!from) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (!fn)
		from_len = 1;
	for (;;) {
		struct etcd_range r;
		if ((rc = do_range(s, from, from_len, end, elen, s->page, rev, &r)))
			break;
		if (!rev)
			rev = r.revision;
		rc = take_page(s, &r, fk, fn, out, &cap);
		int more = r.more && r.n > 0;
		if (!rc && more) {
			/* next page: just after the last key */
			struct etcd_kv *lastkv = &r.kvs[r.n - 1];
			uint8_t *nf = mem_alloc(lastkv->klen + 1);
			if (!nf) {
				rc = ERR_NOMEM;
			} else {
				memcpy(nf, lastkv->key, lastkv->klen);
				nf[lastkv->klen] = 0;
				mem_free(from);
				from = nf;
				from_len = lastkv->klen + 1;
			}
		}
		etcd_range_free(&r);
		if (rc || !more)
			break;
	}
out:
	mem_free(from);
	mem_free(end);
	return rc;
}

static int e_range(struct kv *kv, const char *prefix, struct kv_list *out)
{
	struct kv_etcd *s = (struct kv_etcd *)kv;
	size_t fn;
	char *fk = full_key(s, prefix, &fn);
	if (!fk)
		return ERR_NOMEM;
	int rc;
	for (int attempt = 0;; attempt++) {
		rc = range_once(s, fk, fn, out);
		if (!rc)
			break;
		kv_list_free(out);
		if (rc != ERR_RETRY || attempt == 2) {
			err_wrap("metadata range %s", prefix);
			break;
		}
	}
	mem_free(fk);
	return rc;
}

static int e_txn(struct kv *kv, const struct kv_cmp *cmps, size_t ncmp, const struct kv_op *ops,
                 size_t nops)
{
	struct kv_etcd *s = (struct kv_etcd *)kv;
	struct kv_op *kept = NULL;
	size_t nkept = 0;
	if (nops) {
		kept = mem_alloc(nops * sizeof(*kept));
		if (!kept)
			return ERR_NOMEM;
	}
	for (size_t i = 0; i < nops; i++) {
		size_t j = i + 1;
		while (j < nops && strcmp(ops[j].key, ops[i].key))
			j++;
		if (j == nops)
			kept[nkept++] = ops[i];
	}
	struct buf b;
	buf_init(&b);
	cJSON *j = NULL;
	struct etcd_txn t = {0};
	int rc = etcd_req_txn(&b, s->prefix, cmps, ncmp, kept, nkept, 0, NULL);
	if (!rc)
		rc = etcd_call(s->c, "/v3/kv/txn", &b, 0, &j);
	if (!rc)
		rc = etcd_parse_txn(j, &t);
	if (rc)
		err_wrap("metadata txn");
	else if (ncmp && !t.succeeded)
		rc = err_set(ERR_CONFLICT, "metadata key %s changed concurrently", cmps[0].key);
	etcd_txn_free(&t);
	cJSON_Delete(j);
	buf_free(&b);
	mem_free(kept);
	return rc;
}

static void e_close(struct kv *kv)
{
	struct kv_etcd *s = (struct kv_etcd *)kv;
	etcd_client_close(s->c);
	mem_free(s->prefix);
	mem_free(s);
}

static const struct kv_ops etcd_ops = {"etcd", e_get, e_range, e_txn, e_close};

int kv_open_etcd(const struct kv_etcd_options *o, struct kv **out)
{
	*out = NULL;
	if (!o)
		return err_set(ERR_BAD_INPUT, "etcd: no options");
	struct kv_etcd *s = mem_calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->base.ops = &etcd_ops;
	s->page = o->page_size > 0 ? o->page_size : ETCD_DEFAULT_PAGE;
	int rc = ERR_OK;
	s->prefix = etcd_norm_prefix(o->prefix);
	if (!s->prefix) {
		rc = ERR_NOMEM;
		goto fail;
	}
	s->plen = strlen(s->prefix);
	if ((rc = etcd_client_open(o->endpoints, o->timeout_ms, &s->c)))
		goto fail;
	*out = &s->base;
	return ERR_OK;
fail:
	e_close(&s->base);
	return rc;
}
