/*
 * aggregates: aggregate functions and the hash aggregation they run in.
 *
 * Group table: open addressing over power-of-two slots holding group id+1
 * (0 = empty); per group its key values (one colvec per key, group g at
 * index g) and its hash. Each row of a batch finds its group - a row whose
 * keys equal the previous row's takes its group without hashing (sorted
 * input is the common case), others are hashed and probed - giving a
 * group-id vector; the aggregates then update their per-group arrays in
 * tight loops over (group id, value) pairs. No allocation per row.
 *
 * Accumulators (struct acc), per aggregate, arrays indexed by group id:
 *   count            cnt
 *   sum (int)        i (wrapping, as DataFusion's sum of Int64) + has
 *   sum (float)      f + has
 *   avg              f (sum as float) + cnt
 *   min / max        i or f or s (bytes) + has
 *   first / last     i or f or s + ord (ordering key) + has + vnull
 * DISTINCT keeps a set of (group, value) and feeds only new pairs on.
 *
 * Partial/final split (cluster aggregation pushdown, sql/plan_pushdown.c):
 * a peer computes count / sum / min / max per group, and avg as
 * sum(CAST(x AS DOUBLE)) + count(x); the frontend merges those partial
 * columns with sum (wrapping for integers, so the result equals the
 * single-pass sum modulo 2^64 exactly as today), min, max and two merge
 * kinds that are never callable from SQL:
 *   AGG_MERGE_COUNT  cnt += partial count   (result 0, never NULL)
 *   AGG_MERGE_AVG    f += partial sum, cnt += partial count (the ordering
 *                    vector carries the counts); NULL when cnt is 0
 *
 * Result types as DataFusion: count Int64; sum Int64 / UInt64 / Float64;
 * avg Float64; min/max/first/last the argument type.
 */
#include <math.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/expr.h"

static const struct agg_def aggs[] = {
	{"count", AGG_COUNT}, {"sum", AGG_SUM},           {"avg", AGG_AVG},
	{"min", AGG_MIN},     {"max", AGG_MAX},           {"first_value", AGG_FIRST},
	{"last_value", AGG_LAST},
};

const struct agg_def *agg_find(const char *name)
{
	if (strcmp(name, "mean") == 0)
		name = "avg";
	for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		if (strcmp(aggs[i].name, name) == 0)
			return &aggs[i];
	return NULL;
}

/* DataFusion's text for an argument type sum/avg do not take (the whole
 * text is ~1.5 KB; the error record keeps what fits). */
static int signature_err(const struct agg_def *d, int t)
{
	static const char *const sum_sigs[] = {
		"TypeSignatureClass::Decimal",
		"TypeSignatureClass::Native(LogicalType(Native(UInt64), UInt64))",
		"TypeSignatureClass::Native(LogicalType(Native(Int64), Int64))",
		"TypeSignatureClass::Native(LogicalType(Native(Float64), Float64))",
		"TypeSignatureClass::Duration", NULL};
	static const char *const sum_cands[] = {
		"Coercion(TypeSignatureClass::Decimal))",
		"Coercion(TypeSignatureClass::Native(LogicalType(Native(UInt64), UInt64)), implicit_coercion=ImplicitCoercion([Native(LogicalType(Native(UInt8), UInt8)), Native(LogicalType(Native(UInt16), UInt16)), Native(LogicalType(Native(UInt32), UInt32))], default_type=UInt64))",
		"Coercion(TypeSignatureClass::Native(LogicalType(Native(Int64), Int64)), implicit_coercion=ImplicitCoercion([Native(LogicalType(Native(Int8), Int8)), Native(LogicalType(Native(Int16), Int16)), Native(LogicalType(Native(Int32), Int32))], default_type=Int64))",
		"Coercion(TypeSignatureClass::Native(LogicalType(Native(Float64), Float64)), implicit_coercion=ImplicitCoercion([Float], default_type=Float64))",
		"Coercion(TypeSignatureClass::Duration))", NULL};
	static const char *const avg_sigs[] = {
		"TypeSignatureClass::Decimal", "TypeSignatureClass::Duration",
		"TypeSignatureClass::Native(LogicalType(Native(Float64), Float64))", NULL};
	static const char *const avg_cands[] = {
		"Coercion(TypeSignatureClass::Decimal))", "Coercion(TypeSignatureClass::Duration))",
		"Coercion(TypeSignatureClass::Native(LogicalType(Native(Float64), Float64)), implicit_coercion=ImplicitCoercion([Integer, Float], default_type=Float64))",
		NULL};
	bool sum = d->kind == AGG_SUM;
	const char *const *sigs = sum ? sum_sigs : avg_sigs;
	const char *const *cands = sum ? sum_cands : avg_cands;
	const char *tn = xtype_arrow_name(t);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "Failed to plan SQL: Error during planning: Execution error: Function '%s' failed to match any signature, errors: ",
		   d->name);
	for (int i = 0; sigs[i]; i++)
		buf_printf(&b, "%sError during planning: Function '%s' requires %s, but received %s (DataType: %s).",
			   i ? "," : "", d->name, sigs[i], tn, tn);
	buf_printf(&b, " No function matches the given name and argument types '%s(%s)'. You might need to add explicit type casts.\n\tCandidate functions:",
		   d->name, tn);
	/* DataFusion prints a coercion with implicit_coercion without its
	 * closing parenthesis; the candidate texts carry their own */
	for (int i = 0; cands[i]; i++)
		buf_printf(&b, "\n\t%s(%s", d->name, cands[i]);
	int rc = err_set(ERR_PLAN, "%s", buf_cstr(&b) ? buf_cstr(&b) : "");
	buf_free(&b);
	return rc;
}

int agg_result_type(const struct agg_def *d, int t, int *out)
{
	switch (d->kind) {
	case AGG_COUNT: *out = DT_INT64; return 0;
	case AGG_SUM:
		if (xtype_is_float(t))
			*out = DT_FLOAT64;
		else if (dtype_is_unsigned(t))
			*out = DT_UINT64;
		else if (xtype_is_int(t) || t == XT_NULL)
			*out = DT_INT64;
		else
			break;
		return 0;
	case AGG_AVG:
		if (xtype_is_numeric(t) || t == XT_NULL) {
			*out = DT_FLOAT64;
			return 0;
		}
		break;
	default:
		if (t == XT_INTERVAL)
			break;
		*out = t == XT_NULL ? DT_INT64 : t;
		return 0;
	}
	return signature_err(d, t);
}

/* ---- accumulators ------------------------------------------------------------ */

struct sval {
	char *p;
	uint32_t n, cap;
};

/* (group, value) set for DISTINCT */
struct dset {
	uint32_t *slots; /* entry index + 1 */
	uint32_t mask;
	uint32_t *gid;
	uint64_t *hash;
	struct colvec vals;
	uint32_t n, cap;
};

struct acc {
	struct agg_spec spec;
	enum phys_kind pk; /* of the argument */
	int64_t *cnt;
	int64_t *i;
	double *f;
	struct sval *s;
	int64_t *ord;
	uint8_t *has;
	uint8_t *vnull;
	struct dset *ds;
	int64_t seq; /* row counter: the order of unordered first/last */
};

struct hagg {
	uint32_t nkeys;
	struct colvec *keys;
	uint64_t *ghash;
	uint32_t ngroups, gcap;
	uint32_t *slots;
	uint32_t smask;
	uint32_t *gid;
	uint32_t rcap;
	uint32_t naggs;
	struct acc *acc;
	/* scratch for DISTINCT */
	uint32_t *sel;
	uint32_t *sgid;
	struct colvec sarg;
};

static int grow_arr(void **p, size_t elem, uint32_t old, uint32_t cap)
{
	if (!*p)
		return 0;
	void *q = mem_realloc(*p, (size_t)cap * elem);
	if (!q)
		return ERR_NOMEM;
	memset((char *)q + (size_t)old * elem, 0, (size_t)(cap - old) * elem);
	*p = q;
	return 0;
}

static int acc_alloc(struct acc *a, uint32_t cap)
{
	int k = a->spec.def->kind;
	/* the merge kinds keep the state of the aggregate they finish */
	if (k == AGG_MERGE_COUNT)
		k = AGG_COUNT;
	else if (k == AGG_MERGE_AVG)
		k = AGG_AVG;
	bool bytes = a->pk == PHYS_BYTES;
	bool fl = a->pk == PHYS_F64;
	if (k == AGG_COUNT || k == AGG_AVG)
		a->cnt = mem_calloc(cap, sizeof(int64_t));
	if (k == AGG_AVG || ((k == AGG_SUM) && a->spec.res_type == DT_FLOAT64) ||
	    ((k == AGG_MIN || k == AGG_MAX || k == AGG_FIRST || k == AGG_LAST) && fl))
		a->f = mem_calloc(cap, sizeof(double));
	if ((k == AGG_SUM && a->spec.res_type != DT_FLOAT64) ||
	    ((k == AGG_MIN || k == AGG_MAX || k == AGG_FIRST || k == AGG_LAST) && a->pk == PHYS_I64))
		a->i = mem_calloc(cap, sizeof(int64_t));
	if ((k == AGG_MIN || k == AGG_MAX || k == AGG_FIRST || k == AGG_LAST) && bytes)
		a->s = mem_calloc(cap, sizeof(struct sval));
	if (k != AGG_COUNT && k != AGG_AVG)
		a->has = mem_calloc(cap, 1);
	if (k == AGG_FIRST || k == AGG_LAST) {
		a->ord = mem_calloc(cap, sizeof(int64_t));
		a->vnull = mem_calloc(cap, 1);
	}
	if ((k == AGG_COUNT || k == AGG_AVG) && !a->cnt)
		return ERR_NOMEM;
	if ((k != AGG_COUNT && k != AGG_AVG) && !a->has)
		return ERR_NOMEM;
	if ((k == AGG_FIRST || k == AGG_LAST) && (!a->ord || !a->vnull))
		return ERR_NOMEM;
	return 0;
}

static int acc_grow(struct acc *a, uint32_t old, uint32_t cap)
{
	if (grow_arr((void **)&a->cnt, sizeof(int64_t), old, cap) ||
	    grow_arr((void **)&a->i, sizeof(int64_t), old, cap) ||
	    grow_arr((void **)&a->f, sizeof(double), old, cap) ||
	    grow_arr((void **)&a->s, sizeof(struct sval), old, cap) ||
	    grow_arr((void **)&a->ord, sizeof(int64_t), old, cap) ||
	    grow_arr((void **)&a->has, 1, old, cap) || grow_arr((void **)&a->vnull, 1, old, cap))
		return ERR_NOMEM;
	return 0;
}

static void dset_free(struct dset *d)
{
	if (!d)
		return;
	mem_free(d->slots);
	mem_free(d->gid);
	mem_free(d->hash);
	colvec_free(&d->vals);
	mem_free(d);
}

static void acc_free(struct acc *a, uint32_t ngroups)
{
	if (a->s)
		for (uint32_t g = 0; g < ngroups; g++)
			mem_free(a->s[g].p);
	mem_free(a->cnt);
	mem_free(a->i);
	mem_free(a->f);
	mem_free(a->s);
	mem_free(a->ord);
	mem_free(a->has);
	mem_free(a->vnull);
	dset_free(a->ds);
}

static size_t colvec_mem(const struct colvec *v)
{
	return (size_t)v->cap * 8 + v->bytes_cap + (v->validity ? v->cap / 8 + 1 : 0);
}

size_t hagg_mem_size(const struct hagg *h)
{
	if (!h)
		return 0;
	size_t n = sizeof(*h) + (size_t)h->gcap * (8 + 4) + ((size_t)h->smask + 1) * 4 +
	           (size_t)h->rcap * (4 + 1);
	for (uint32_t k = 0; k < h->nkeys; k++)
		n += colvec_mem(&h->keys[k]);
	for (uint32_t a = 0; a < h->naggs; a++) {
		const struct acc *ac = &h->acc[a];
		/* count, int, float, string header, order, has, null flags */
		n += (size_t)h->gcap * (8 + 8 + 8 + sizeof(struct sval) + 8 + 2);
		if (ac->ds)
			n += colvec_mem(&ac->ds->vals) + ((size_t)ac->ds->mask + 1) * 4 +
			     (size_t)ac->ds->cap * (4 + 8);
	}
	return n;
}

void hagg_free(struct hagg *h)
{
	if (!h)
		return;
	for (uint32_t k = 0; h->keys && k < h->nkeys; k++)
		colvec_free(&h->keys[k]);
	mem_free(h->keys);
	mem_free(h->ghash);
	mem_free(h->slots);
	mem_free(h->gid);
	for (uint32_t a = 0; h->acc && a < h->naggs; a++)
		acc_free(&h->acc[a], h->gcap ? h->ngroups : 0);
	mem_free(h->acc);
	mem_free(h->sel);
	mem_free(h->sgid);
	colvec_free(&h->sarg);
	mem_free(h);
}

static int ensure_group_cap(struct hagg *h, uint32_t need)
{
	if (need <= h->gcap)
		return 0;
	uint32_t cap = h->gcap ? h->gcap : 16;
	while (cap < need) {
		if (cap > UINT32_MAX / 4)
			return err_set(ERR_LIMIT, "too many groups");
		cap *= 2;
	}
	void *p = mem_realloc(h->ghash, (size_t)cap * sizeof(uint64_t));
	if (!p)
		return ERR_NOMEM;
	h->ghash = p;
	for (uint32_t a = 0; a < h->naggs; a++)
		if (acc_grow(&h->acc[a], h->gcap, cap))
			return ERR_NOMEM;
	h->gcap = cap;
	return 0;
}

int hagg_create(struct hagg **out, uint32_t nkeys, const enum dtype *key_types, uint32_t naggs,
		const struct agg_spec *specs)
{
	*out = NULL;
	struct hagg *h = mem_calloc(1, sizeof(*h));
	if (!h)
		return ERR_NOMEM;
	h->nkeys = nkeys;
	h->naggs = naggs;
	colvec_init(&h->sarg, DT_INT64);
	h->keys = mem_calloc(nkeys ? nkeys : 1, sizeof(struct colvec));
	h->acc = mem_calloc(naggs ? naggs : 1, sizeof(struct acc));
	if (!h->keys || !h->acc)
		goto nomem;
	for (uint32_t k = 0; k < nkeys; k++)
		colvec_init(&h->keys[k], key_types[k]);
	h->gcap = 16;
	h->ghash = mem_calloc(h->gcap, sizeof(uint64_t));
	if (!h->ghash)
		goto nomem;
	for (uint32_t a = 0; a < naggs; a++) {
		struct acc *ac = &h->acc[a];
		ac->spec = specs[a];
		int at = specs[a].arg_type;
		ac->pk = at >= DT__COUNT ? PHYS_I64 : xphys(at);
		if (acc_alloc(ac, h->gcap))
			goto nomem;
		if (specs[a].distinct) {
			ac->ds = mem_calloc(1, sizeof(struct dset));
			if (!ac->ds)
				goto nomem;
			colvec_init(&ac->ds->vals, at >= DT__COUNT ? DT_INT64 : at);
		}
	}
	h->smask = 63;
	h->slots = mem_calloc(h->smask + 1, sizeof(uint32_t));
	if (!h->slots)
		goto nomem;
	if (nkeys == 0)
		h->ngroups = 1; /* the global group */
	*out = h;
	return 0;
nomem:
	hagg_free(h);
	return ERR_NOMEM;
}

uint32_t hagg_groups(const struct hagg *h) { return h->ngroups; }

/* ---- grouping ------------------------------------------------------------------ */

static inline uint64_t hash_val(const struct colvec *v, uint32_t i)
{
	if (!vec_valid(v, i))
		return 0x5bd1e9955bd1e995ULL;
	switch (xphys(v->type)) {
	case PHYS_I64: return hash_u64((uint64_t)v->i64[i]);
	case PHYS_F64: return vec_hash(v, i);
	default: return hash_bytes(v->bytes + v->offs[i], v->offs[i + 1] - v->offs[i], 0);
	}
}

static inline uint64_t hash_row(const struct colvec *const *keys, uint32_t nk, uint32_t i)
{
	uint64_t h = hash_val(keys[0], i);
	for (uint32_t k = 1; k < nk; k++)
		h = hash_u64(h * 0x9E3779B97F4A7C15ULL ^ hash_val(keys[k], i));
	return h;
}

static inline bool val_eq(const struct colvec *a, uint32_t i, const struct colvec *b, uint32_t j)
{
	bool an = !vec_valid(a, i), bn = !vec_valid(b, j);
	if (an || bn)
		return an == bn;
	switch (xphys(a->type)) {
	case PHYS_I64: return a->i64[i] == b->i64[j];
	case PHYS_F64: {
		double x = a->f64[i], y = b->f64[j];
		return x == y || (isnan(x) && isnan(y));
	}
	default: {
		uint32_t la = a->offs[i + 1] - a->offs[i], lb = b->offs[j + 1] - b->offs[j];
		if (la != lb)
			return false;
		return mem_eq_short(a->bytes + a->offs[i], b->bytes + b->offs[j], la);
	}
	}
}

static int rehash(struct hagg *h)
{
	uint32_t ns = (h->smask + 1) * 2;
	uint32_t *s = mem_calloc(ns, sizeof(uint32_t));
	if (!s)
		return ERR_NOMEM;
	uint32_t mask = ns - 1;
	for (uint32_t g = 0; g < h->ngroups; g++) {
		uint32_t p = (uint32_t)h->ghash[g] & mask;
		while (s[p])
			p = (p + 1) & mask;
		s[p] = g + 1;
	}
	mem_free(h->slots);
	h->slots = s;
	h->smask = mask;
	return 0;
}

/* Every one of the n values of v (no nulls, a string kind) is the same
 * string: equal lengths, and the bytes equal to themselves shifted by one
 * value (a tag column of a batch from one series). */
static bool bytes_all_equal(const struct colvec *v, uint32_t n)
{
	const uint32_t *o = v->offs;
	uint32_t len = o[1] - o[0];
	if (o[n] - o[0] != (uint32_t)((uint64_t)len * n))
		return false;
	/* equal lengths: o[i] = o[0] + i * len for every i (wrapping uint32
	 * arithmetic, as offsets are), four offsets per step */
	typedef uint32_t u32x4 __attribute__((vector_size(16)));
	u32x4 want = {o[0], o[0] + len, o[0] + 2 * len, o[0] + 3 * len}, diff = {0, 0, 0, 0};
	uint32_t step = 4 * len, i = 0;
	for (; i + 4 <= n + 1; i += 4) {
		u32x4 got;
		memcpy(&got, o + i, sizeof(got));
		diff |= got ^ want;
		want += step;
	}
	uint32_t bad = diff[0] | diff[1] | diff[2] | diff[3];
	for (; i <= n; i++)
		bad |= o[i] ^ (o[0] + i * len);
	if (bad)
		return false;
	return len == 0 || memcmp(v->bytes + o[0], v->bytes + o[0] + len, (size_t)(n - 1) * len) == 0;
}

/* The keys (up to 64) whose n values are all the same in this batch, as a
 * bit mask: they never end a run. */
static uint64_t constant_keys(const struct colvec *const *keys, uint32_t nk, uint32_t n)
{
	uint64_t m = 0;
	for (uint32_t k = 0; k < nk && k < 64; k++)
		if (!keys[k]->validity && xphys(keys[k]->type) == PHYS_BYTES && bytes_all_equal(keys[k], n))
			m |= 1ull << k;
	return m;
}

/* The end of the run of rows equal to row i in every key (val_eq's
 * semantics: NULL equals NULL, NaN equals NaN): the first row after i that
 * differs from it, or n. Keys in `constant` are skipped; integer keys
 * without nulls compare directly. */
static uint32_t run_end(const struct colvec *const *keys, uint32_t nk, uint64_t constant,
			uint32_t i, uint32_t n)
{
	uint32_t end = n;
	for (uint32_t k = 0; k < nk && end > i + 1; k++) {
		if (k < 64 && (constant >> k & 1))
			continue;
		const struct colvec *v = keys[k];
		uint32_t j = i + 1;
		if (!v->validity && xphys(v->type) == PHYS_I64) {
			const int64_t *a = v->i64;
			int64_t x = a[i];
			while (j < end && a[j] == x)
				j++;
		} else {
			while (j < end && val_eq(v, j, v, i))
				j++;
		}
		end = j;
	}
	return end;
}

/* Group ids of n rows into h->gid: rows come in runs of equal keys
 * (sorted or per-series input), so each run is looked up in the hash
 * table once and its rows take that group. */
static int assign_groups(struct hagg *h, const struct colvec *const *keys, uint32_t n)
{
	uint32_t nk = h->nkeys;
	uint64_t constant = constant_keys(keys, nk, n);
	uint32_t *gid = h->gid;
	for (uint32_t i = 0; i < n;) {
		uint32_t end = run_end(keys, nk, constant, i, n), g;
		uint64_t hv = hash_row(keys, nk, i);
		uint32_t p = (uint32_t)hv & h->smask;
		for (;;) {
			uint32_t s = h->slots[p];
			if (!s)
				break;
			g = s - 1;
			if (h->ghash[g] == hv) {
				bool same = true;
				for (uint32_t k = 0; k < nk && same; k++)
					same = val_eq(&h->keys[k], g, keys[k], i);
				if (same)
					goto found;
			}
			p = (p + 1) & h->smask;
		}
		/* a new group */
		g = h->ngroups;
		if (g == UINT32_MAX - 1)
			return err_set(ERR_LIMIT, "too many groups");
		if (ensure_group_cap(h, g + 1))
			return ERR_NOMEM;
		for (uint32_t k = 0; k < nk; k++)
			if (colvec_push_from(&h->keys[k], keys[k], i))
				return ERR_NOMEM;
		h->ghash[g] = hv;
		h->ngroups++;
		h->slots[p] = g + 1;
		if ((uint64_t)h->ngroups * 2 > h->smask + 1 && rehash(h))
			return ERR_NOMEM;
	found:
		for (uint32_t t = i; t < end; t++)
			gid[t] = g;
		i = end;
	}
	return 0;
}

/* ---- update kernels ------------------------------------------------------------------ */

static int sval_set(struct sval *s, const char *p, uint32_t n)
{
	if (n > s->cap) {
		uint32_t cap = n < 16 ? 16 : n;
		char *q = mem_realloc(s->p, cap);
		if (!q)
			return ERR_NOMEM;
		s->p = q;
		s->cap = cap;
	}
	if (n)
		memcpy(s->p, p, n);
	s->n = n;
	return 0;
}

static int bytes_cmp(const char *a, uint32_t an, const char *b, uint32_t bn)
{
	uint32_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, m) : 0;
	return c ? c : (an < bn ? -1 : an > bn);
}

/* GID(i): group of row i (0 for a global aggregate) */
#define GID(i) (gid ? gid[i] : 0)

static int update_acc(struct acc *a, const struct colvec *v, const struct colvec *ord,
		      const uint32_t *gid, uint32_t n)
{
	int k = a->spec.def->kind;
	bool nulls = v && v->validity;
	if (k == AGG_MERGE_COUNT) {
		/* v: partial counts (Int64, never null from a peer; a null adds 0) */
		for (uint32_t i = 0; i < n; i++)
			if (vec_valid(v, i))
				a->cnt[GID(i)] += v->i64[i];
		return 0;
	}
	if (k == AGG_MERGE_AVG) {
		/* v: partial sums as Float64 (null: no value), ord: partial counts */
		for (uint32_t i = 0; i < n; i++) {
			uint32_t g = GID(i);
			if (v && vec_valid(v, i))
				a->f[g] += v->f64[i];
			if (ord && vec_valid(ord, i))
				a->cnt[g] += ord->i64[i];
		}
		return 0;
	}
	if (k == AGG_COUNT) {
		if (!v) {
			if (!gid)
				a->cnt[0] += n;
			else
				for (uint32_t i = 0; i < n; i++)
					a->cnt[gid[i]]++;
		} else if (!nulls) {
			if (!gid)
				a->cnt[0] += n;
			else
				for (uint32_t i = 0; i < n; i++)
					a->cnt[gid[i]]++;
		} else {
			for (uint32_t i = 0; i < n; i++)
				a->cnt[GID(i)] += vec_valid(v, i);
		}
		return 0;
	}
	if (k == AGG_SUM && a->i) {
		const int64_t *x = v->i64;
		if (!gid && !nulls) {
			uint64_t s = (uint64_t)a->i[0];
			for (uint32_t i = 0; i < n; i++)
				s += (uint64_t)x[i];
			a->i[0] = (int64_t)s;
			if (n)
				a->has[0] = 1;
			return 0;
		}
		for (uint32_t i = 0; i < n; i++) {
			if (nulls && !vec_valid(v, i))
				continue;
			uint32_t g = GID(i);
			a->i[g] = (int64_t)((uint64_t)a->i[g] + (uint64_t)x[i]);
			a->has[g] = 1;
		}
		return 0;
	}
	if ((k == AGG_SUM || k == AGG_AVG) && a->pk == PHYS_F64 && !nulls) {
		const double *x = v->f64;
		if (!gid) {
			double s = a->f[0];
			for (uint32_t i = 0; i < n; i++)
				s += x[i];
			a->f[0] = s;
			if (k == AGG_AVG)
				a->cnt[0] += n;
			else if (n)
				a->has[0] = 1;
			return 0;
		}
		/* runs of one group (sorted input) add in a register; the
		 * order of the additions per group is unchanged */
		for (uint32_t i = 0; i < n;) {
			uint32_t g = gid[i], j = i;
			double s = a->f[g];
			while (j < n && gid[j] == g)
				s += x[j++];
			a->f[g] = s;
			if (k == AGG_AVG)
				a->cnt[g] += j - i;
			else
				a->has[g] = 1;
			i = j;
		}
		return 0;
	}
	if (k == AGG_SUM || k == AGG_AVG) {
		bool fin = a->pk == PHYS_F64;
		bool uns = v->type == DT_UINT64;
		for (uint32_t i = 0; i < n; i++) {
			if (nulls && !vec_valid(v, i))
				continue;
			uint32_t g = GID(i);
			double x = fin ? v->f64[i] : uns ? (double)(uint64_t)v->i64[i] : (double)v->i64[i];
			a->f[g] += x;
			if (k == AGG_AVG)
				a->cnt[g]++;
			else
				a->has[g] = 1;
		}
		return 0;
	}
	if (k == AGG_MIN || k == AGG_MAX) {
		bool mx = k == AGG_MAX;
		if (a->pk == PHYS_F64) {
			const double *x = v->f64;
			if (!gid && !nulls) {
				double best = a->f[0];
				bool has = a->has[0];
				for (uint32_t i = 0; i < n; i++) {
					double y = x[i];
					if (!has || (mx ? y > best : y < best) || (isnan(y) && mx)) {
						best = y;
						has = true;
					}
				}
				a->f[0] = best;
				a->has[0] = has;
				return 0;
			}
			for (uint32_t i = 0; i < n; i++) {
				if (nulls && !vec_valid(v, i))
					continue;
				uint32_t g = GID(i);
				double y = x[i];
				if (!a->has[g] || (mx ? y > a->f[g] : y < a->f[g]) || (isnan(y) && mx)) {
					a->f[g] = y;
					a->has[g] = 1;
				}
			}
			return 0;
		}
		if (a->pk == PHYS_I64) {
			const int64_t *x = v->i64;
			bool u = v->type == DT_UINT64;
			if (!gid && !nulls && !u) {
				int64_t best = a->i[0];
				bool has = a->has[0];
				for (uint32_t i = 0; i < n; i++) {
					int64_t y = x[i];
					if (!has || (mx ? y > best : y < best)) {
						best = y;
						has = true;
					}
				}
				a->i[0] = best;
				a->has[0] = has;
				return 0;
			}
			for (uint32_t i = 0; i < n; i++) {
				if (nulls && !vec_valid(v, i))
					continue;
				uint32_t g = GID(i);
				int64_t y = x[i];
				bool better;
				if (!a->has[g])
					better = true;
				else if (u)
					better = mx ? (uint64_t)y > (uint64_t)a->i[g] : (uint64_t)y < (uint64_t)a->i[g];
				else
					better = mx ? y > a->i[g] : y < a->i[g];
				if (better) {
					a->i[g] = y;
					a->has[g] = 1;
				}
			}
			return 0;
		}
		for (uint32_t i = 0; i < n; i++) {
			if (nulls && !vec_valid(v, i))
				continue;
			uint32_t g = GID(i);
			uint32_t l = v->offs[i + 1] - v->offs[i];
			const char *p = v->bytes + v->offs[i];
			int c = a->has[g] ? bytes_cmp(p, l, a->s[g].p, a->s[g].n) : 0;
			if (!a->has[g] || (mx ? c > 0 : c < 0)) {
				if (sval_set(&a->s[g], p, l))
					return ERR_NOMEM;
				a->has[g] = 1;
			}
		}
		return 0;
	}
	/* first / last */
	bool last = k == AGG_LAST;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t g = GID(i);
		int64_t o;
		if (ord) {
			if (!vec_valid(ord, i))
				continue;
			o = ord->i64[i];
		} else {
			o = a->seq + i;
		}
		bool better = !a->has[g] || (last ? o >= a->ord[g] : o < a->ord[g]);
		if (!better)
			continue;
		a->has[g] = 1;
		a->ord[g] = o;
		bool isnull = !vec_valid(v, i);
		a->vnull[g] = isnull;
		if (isnull)
			continue;
		switch (a->pk) {
		case PHYS_I64: a->i[g] = v->i64[i]; break;
		case PHYS_F64: a->f[g] = v->f64[i]; break;
		default:
			if (sval_set(&a->s[g], v->bytes + v->offs[i], v->offs[i + 1] - v->offs[i]))
				return ERR_NOMEM;
			break;
		}
	}
	a->seq += n;
	return 0;
}

/* DISTINCT: the rows whose (group, value) is new; nulls are skipped. */
static int distinct_filter(struct hagg *h, struct acc *a, const struct colvec *v, uint32_t n,
			   uint32_t *k)
{
	struct dset *d = a->ds;
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!vec_valid(v, i))
			continue;
		uint32_t g = h->nkeys ? h->gid[i] : 0;
		uint64_t hv = hash_u64(vec_hash(v, i) ^ ((uint64_t)g * 0x9E3779B97F4A7C15ULL));
		if ((uint64_t)(d->n + 1) * 2 > (uint64_t)d->mask + 1 || !d->slots) {
			uint32_t ns = d->slots ? (d->mask + 1) * 2 : 64;
			uint32_t *s = mem_calloc(ns, sizeof(uint32_t));
			if (!s)
				return ERR_NOMEM;
			for (uint32_t e = 0; e < d->n; e++) {
				uint32_t p = (uint32_t)d->hash[e] & (ns - 1);
				while (s[p])
					p = (p + 1) & (ns - 1);
				s[p] = e + 1;
			}
			mem_free(d->slots);
			d->slots = s;
			d->mask = ns - 1;
		}
		uint32_t p = (uint32_t)hv & d->mask;
		bool found = false;
		while (d->slots[p]) {
			uint32_t e = d->slots[p] - 1;
			if (d->hash[e] == hv && d->gid[e] == g && val_eq(&d->vals, e, v, i)) {
				found = true;
				break;
			}
			p = (p + 1) & d->mask;
		}
		if (found)
			continue;
		if (d->n == d->cap) {
			uint32_t cap = d->cap ? d->cap * 2 : 64;
			void *x = mem_realloc(d->gid, (size_t)cap * sizeof(uint32_t));
			if (!x)
				return ERR_NOMEM;
			d->gid = x;
			x = mem_realloc(d->hash, (size_t)cap * sizeof(uint64_t));
			if (!x)
				return ERR_NOMEM;
			d->hash = x;
			d->cap = cap;
		}
		if (colvec_push_from(&d->vals, v, i))
			return ERR_NOMEM;
		d->gid[d->n] = g;
		d->hash[d->n] = hv;
		d->slots[p] = ++d->n;
		h->sel[m] = i;
		h->sgid[m] = g;
		m++;
	}
	*k = m;
	return 0;
}

int hagg_update(struct hagg *h, const struct colvec *const *keys, uint32_t n,
		const struct colvec *const *args, const struct colvec *const *orders)
{
	if (n == 0)
		return 0;
	if (n > h->rcap) {
		mem_free(h->gid);
		mem_free(h->sel);
		mem_free(h->sgid);
		h->gid = mem_alloc((size_t)n * sizeof(uint32_t));
		h->sel = mem_alloc((size_t)n * sizeof(uint32_t));
		h->sgid = mem_alloc((size_t)n * sizeof(uint32_t));
		h->rcap = 0;
		if (!h->gid || !h->sel || !h->sgid)
			return ERR_NOMEM;
		h->rcap = n;
	}
	int rc;
	if (h->nkeys && (rc = assign_groups(h, keys, n)))
		return rc;
	const uint32_t *gid = h->nkeys ? h->gid : NULL;
	for (uint32_t a = 0; a < h->naggs; a++) {
		struct acc *ac = &h->acc[a];
		const struct colvec *v = args[a];
		const struct colvec *o = orders ? orders[a] : NULL;
		if (ac->ds && v) {
			uint32_t k;
			if ((rc = distinct_filter(h, ac, v, n, &k)))
				return rc;
			if ((rc = vec_gather(&h->sarg, v, h->sel, k)) ||
			    (rc = update_acc(ac, &h->sarg, NULL, h->nkeys ? h->sgid : NULL, k)))
				return rc;
			continue;
		}
		if ((rc = update_acc(ac, v, o, gid, n)))
			return rc;
	}
	return 0;
}

int hagg_assign(struct hagg *h, const struct colvec *const *keys, uint32_t n,
		const uint32_t **gids)
{
	*gids = NULL;
	if (n == 0)
		return 0;
	int rc = hagg_update(h, keys, n, NULL, NULL);
	if (!rc)
		*gids = h->gid;
	return rc;
}

/* ---- results ---------------------------------------------------------------------- */

static int finish_acc(const struct acc *a, uint32_t ng, struct colvec *out)
{
	int k = a->spec.def->kind;
	int rt = a->spec.res_type;
	enum phys_kind pk = xphys(rt);
	if (pk == PHYS_BYTES) {
		if (vec_empty(out, rt, ng))
			return ERR_NOMEM;
		for (uint32_t g = 0; g < ng; g++) {
			bool null = !a->has[g] || (a->vnull && a->vnull[g]);
			int rc = null ? colvec_push_null(out) : colvec_push_bytes(out, a->s[g].p, a->s[g].n);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (vec_fixed(out, rt, ng))
		return ERR_NOMEM;
	for (uint32_t g = 0; g < ng; g++) {
		bool null;
		switch (k) {
		case AGG_COUNT:
		case AGG_MERGE_COUNT:
			out->i64[g] = a->cnt[g];
			null = false;
			break;
		case AGG_AVG:
		case AGG_MERGE_AVG:
			null = a->cnt[g] == 0;
			out->f64[g] = null ? 0 : a->f[g] / (double)a->cnt[g];
			break;
		default:
			null = !a->has[g] || (a->vnull && a->vnull[g]);
			if (pk == PHYS_F64)
				out->f64[g] = null ? 0 : a->f[g];
			else
				out->i64[g] = null ? 0 : a->i[g];
			break;
		}
		if (null && vec_set_null(out, g))
			return ERR_NOMEM;
	}
	return 0;
}

int hagg_finish(struct hagg *h, struct batch *out)
{
	uint32_t nc = h->nkeys + h->naggs;
	enum dtype types[nc ? nc : 1];
	for (uint32_t k = 0; k < h->nkeys; k++)
		types[k] = h->keys[k].type;
	for (uint32_t a = 0; a < h->naggs; a++)
		types[h->nkeys + a] = h->acc[a].spec.res_type;
	if (batch_init(out, nc, types))
		return ERR_NOMEM;
	uint32_t ng = h->ngroups;
	for (uint32_t k = 0; k < h->nkeys; k++) {
		/* hand the key vectors over */
		colvec_free(&out->cols[k]);
		out->cols[k] = h->keys[k];
		colvec_init(&h->keys[k], types[k]);
	}
	for (uint32_t a = 0; a < h->naggs; a++)
		if (finish_acc(&h->acc[a], ng, &out->cols[h->nkeys + a])) {
			batch_free(out);
			return ERR_NOMEM;
		}
	out->nrows = ng;
	return 0;
}
