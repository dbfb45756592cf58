/*
 * testbackend: the "test" object store backend. It wraps another store
 * (owned) and forwards every request to it, except those an armed rule
 * matches; tests use it to make one named request fail, stall or vanish.
 *
 * A rule (objstore_test_rule) is (op, key_substr, count, err, delay_ms,
 * drop):
 *   op          "put", "get", "get_range", "head", "list", "delete" or "*"
 *   key_substr  the request's key (the prefix, for list) must contain it;
 *               NULL or "" matches every key
 *   count       how many matching requests the rule applies to; a negative
 *               count means every one until cleared; 0 clears the rule with
 *               the same op and key_substr
 *   delay_ms    sleep this long before acting (the store lock is not held)
 *   err         > 0: the request fails with this code (a message names the
 *               op and key); 0: fails with ERR_IO; < 0: does not fail, it is
 *               forwarded after the delay (a delay-only rule)
 *   drop        != 0: a put or delete is acknowledged (ERR_OK) but not
 *               forwarded, as a store that loses a write would; for other
 *               ops drop is ignored and err applies
 * Arming a rule with the same op and key_substr as an armed one replaces
 * it. When several rules match a request, the first armed one applies and
 * only its count is used up. Rules live under one mutex, so a store with
 * rules can be used from any number of threads; a count of N fires exactly
 * N times however the requests race.
 */
#include "objstore/objstore.h"

#include <pthread.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "objstore/objstore_int.h"

enum test_op { TOP_PUT, TOP_GET, TOP_GET_RANGE, TOP_HEAD, TOP_LIST, TOP_DELETE, TOP_ANY, TOP__COUNT };

static const char *const op_names[TOP__COUNT] = {"put",  "get",    "get_range", "head",
						 "list", "delete", "*"};

struct rule {
	struct rule *next;
	enum test_op op;
	char *substr; /* NULL = any key */
	int count;    /* < 0 = forever */
	int err;
	int delay_ms;
	int drop;
};

struct test_store {
	struct objstore base;
	struct objstore *inner;
	pthread_mutex_t mu;
	struct rule *rules; /* in arming order */
};

static const struct objstore_ops test_ops;

static struct test_store *ts_of(struct objstore *s) { return (struct test_store *)s; }

/* What an armed rule decided for one request. */
struct verdict {
	int matched;
	int err; /* < 0: forward */
	int delay_ms;
	int drop;
};

static struct verdict judge(struct test_store *t, enum test_op op, const char *key)
{
	struct verdict v = {0, -1, 0, 0};
	pthread_mutex_lock(&t->mu);
	for (struct rule **pp = &t->rules; *pp; pp = &(*pp)->next) {
		struct rule *r = *pp;
		if (r->op != TOP_ANY && r->op != op)
			continue;
		if (r->substr && !strstr(key, r->substr))
			continue;
		v.matched = 1;
		v.err = r->err == 0 ? ERR_IO : r->err;
		v.delay_ms = r->delay_ms;
		v.drop = r->drop && (op == TOP_PUT || op == TOP_DELETE);
		if (r->count > 0 && --r->count == 0) {
			*pp = r->next;
			mem_free(r->substr);
			mem_free(r);
		}
		break;
	}
	pthread_mutex_unlock(&t->mu);
	return v;
}

/* Returns 1 when the request must not be forwarded; *rc is its result. */
static int intercept(struct test_store *t, enum test_op op, const char *key, int *rc)
{
	struct verdict v = judge(t, op, key);
	if (!v.matched)
		return 0;
	if (v.delay_ms > 0)
		clock_sleep_ms(v.delay_ms);
	if (v.drop) {
		*rc = ERR_OK;
		return 1;
	}
	if (v.err < 0)
		return 0;
	*rc = err_set(v.err, "objstore test: injected %s failure on %s", op_names[op], key);
	return 1;
}

static int t_put(struct objstore *s, const char *key, const void *data, size_t len,
		 unsigned flags)
{
	struct test_store *t = ts_of(s);
	int rc;
	if (intercept(t, TOP_PUT, key, &rc))
		return rc;
	return t->inner->ops->put(t->inner, key, data, len, flags);
}

static int t_get(struct objstore *s, const char *key, uint8_t **data, size_t *len)
{
	struct test_store *t = ts_of(s);
	int rc;
	if (intercept(t, TOP_GET, key, &rc))
		return rc;
	return t->inner->ops->get(t->inner, key, data, len);
}

static int t_get_range(struct objstore *s, const char *key, uint64_t off, uint64_t len,
		       uint8_t **data, size_t *outlen)
{
	struct test_store *t = ts_of(s);
	int rc;
	if (intercept(t, TOP_GET_RANGE, key, &rc))
		return rc;
	return t->inner->ops->get_range(t->inner, key, off, len, data, outlen);
}

static int t_head(struct objstore *s, const char *key, uint64_t *size, int64_t *mtime_ms)
{
	struct test_store *t = ts_of(s);
	int rc;
	if (intercept(t, TOP_HEAD, key, &rc))
		return rc;
	return t->inner->ops->head(t->inner, key, size, mtime_ms);
}

static int t_list(struct objstore *s, const char *prefix, struct objstore_list *out)
{
	struct test_store *t = ts_of(s);
	int rc;
	if (intercept(t, TOP_LIST, prefix, &rc))
		return rc;
	return t->inner->ops->list(t->inner, prefix, out);
}

static int t_del(struct objstore *s, const char *key)
{
	struct test_store *t = ts_of(s);
	int rc;
	if (intercept(t, TOP_DELETE, key, &rc))
		return rc;
	return t->inner->ops->del(t->inner, key);
}

static void t_close(struct objstore *s)
{
	struct test_store *t = ts_of(s);
	objstore_close(t->inner);
	for (struct rule *r = t->rules, *n; r; r = n) {
		n = r->next;
		mem_free(r->substr);
		mem_free(r);
	}
	pthread_mutex_destroy(&t->mu);
	mem_free(t);
}

static const struct objstore_ops test_ops = {
	.name = "test",
	.put = t_put,
	.get = t_get,
	.get_range = t_get_range,
	.head = t_head,
	.list = t_list,
	.del = t_del,
	.close = t_close,
};

int objstore_open_test(struct objstore *inner, struct objstore **out)
{
	*out = NULL;
	if (!inner)
		return err_set(ERR_BAD_INPUT, "objstore test: no inner store");
	struct test_store *t = mem_calloc(1, sizeof(*t));
	if (!t) {
		objstore_close(inner); /* ownership was handed to us */
		return ERR_NOMEM;
	}
	pthread_mutex_init(&t->mu, NULL);
	t->inner = inner;
	objstore_base_init(&t->base, &test_ops);
	*out = &t->base;
	return ERR_OK;
}

static int same_substr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int objstore_test_rule(struct objstore *s, const char *op, const char *key_substr, int count,
		       int err, int delay_ms, int drop)
{
	if (!s || s->ops != &test_ops)
		return err_set(ERR_BAD_INPUT, "objstore_test_rule: not a test store");
	int o = -1;
	for (int i = 0; op && i < TOP__COUNT; i++)
		if (!strcmp(op, op_names[i]))
			o = i;
	if (o < 0)
		return err_set(ERR_BAD_INPUT, "objstore_test_rule: unknown op '%s'",
			       op ? op : "(null)");
	if (err >= ERR__COUNT)
		return err_set(ERR_BAD_INPUT, "objstore_test_rule: bad error code %d", err);
	if (key_substr && !*key_substr)
		key_substr = NULL;
	struct test_store *t = ts_of(s);
	struct rule *nr = NULL;
	if (count != 0) {
		nr = mem_calloc(1, sizeof(*nr));
		if (!nr || (key_substr && !(nr->substr = mem_strdup(key_substr)))) {
			mem_free(nr);
			return ERR_NOMEM;
		}
		nr->op = (enum test_op)o;
		nr->count = count;
		nr->err = err;
		nr->delay_ms = delay_ms;
		nr->drop = drop;
	}
	pthread_mutex_lock(&t->mu);
	struct rule **pp = &t->rules;
	while (*pp) {
		struct rule *r = *pp;
		if (r->op == (enum test_op)o && same_substr(r->substr, key_substr)) {
			if (nr) {
				nr->next = r->next;
				*pp = nr;
				nr = NULL;
			} else {
				*pp = r->next;
			}
			mem_free(r->substr);
			mem_free(r);
			break;
		}
		pp = &r->next;
	}
	if (nr)
		*pp = nr; /* pp is the list's tail */
	pthread_mutex_unlock(&t->mu);
	return ERR_OK;
}
