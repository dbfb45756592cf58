/*
 * memtable: written rows of one region, in memory. See memtable.h.
 *
 * Storage. Rows are appended, in arrival order, to chunks of up to
 * MT_CHUNK_ROWS rows; a row's id is its arrival number, so row r lives at
 * offset r % MT_CHUNK_ROWS of chunk r / MT_CHUNK_ROWS. A chunk holds one
 * colvec per non-tag column (the time index and the fields; tag colvecs
 * stay empty), the sequence and the op type. Writes copy whole column
 * ranges (memcpy), so their cost per row is mostly finding the row's
 * series. The first chunk grows by doubling; later chunks are allocated
 * whole.
 *
 * Write = 4 steps: (1) find or create each row's series, (2) reserve room
 * for every row (chunks, series row ids), (3) copy, (4) append rows to
 * their series. Only (1) and (2) allocate; a failure there leaves at most
 * empty series and spare capacity behind, never a visible row (all or
 * nothing).
 *
 * Series. A series is one primary key: its memcomparable key (pk_codec.h),
 * its tag values (strings copied into the memtable's arena) and the ids of
 * its rows. Series are found through an open-addressing hash table keyed
 * by a hash of the tag values and probed by comparing the values with the
 * series' (equal values <=> equal keys: the key encoding is injective), so
 * only a new series encodes its key; a row whose tags equal the previous
 * row's (compared
 * value by value, floats bit by bit) reuses that row's series without
 * encoding. Each series remembers the bounds of its rows' ts and
 * sequences, so scans skip whole series.
 *
 * Scan. Each series' row ids are kept in (ts asc, seq desc) order: a write
 * appends a row whose ts is above the series' newest, and inserts one
 * whose place is among the series' MT_INSERT_WINDOW newest rows (batches
 * that arrive swapped from concurrent clients, a repeated ts), so in-order
 * and slightly late data is never sorted and its first scan costs nothing
 * extra; rows further back are left unsorted, and the next scan sorts and
 * merges them in, so repeated scans never re-sort. A scan lists the
 * series matching its tag predicates in key order, narrows each one's
 * cached rows to the time range by binary search (seq windows and residual
 * time predicates pick rows one by one) and gathers the rows column by
 * column (tags and the key repeated per series). A frozen memtable brings
 * every cache up to date once (under its mutex, on the first scan) and its
 * sources read the memtable's memory lazily, batch by batch; an active
 * memtable copies the selected rows into batches before returning, so
 * later writes cannot disturb the source. Options (memtable_scan_ex): tail
 * mode for last-row-per-series scans; lean mode, which leaves the internal
 * columns empty and applies field predicates when the selected rows hold
 * no delete and no duplicate identity (nothing for a merge to do).
 *
 * Memory: memtable_mem_size counts the allocated capacity of every buffer
 * (chunks, series, their row ids, hash table, arena blocks, the frozen
 * index).
 *
 * Invariants: every row id < nrows is in exactly one series' srt;
 * chunks, series and the arena only grow while ACTIVE and never change
 * once FROZEN; all-or-nothing writes (see memtable_write).
 */
#include "storage/memtable.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "storage/pk_codec.h"
#include "storage/pred.h"

#define MT_CHUNK_SHIFT 13
#define MT_CHUNK_ROWS (1u << MT_CHUNK_SHIFT)
#define MT_CHUNK_MASK (MT_CHUNK_ROWS - 1)
#define MT_OUT_ROWS 4096
#define MT_MAX_ROWS (UINT32_MAX - MT_CHUNK_ROWS)
#define MT_PREFETCH 16 /* rows ahead a gather prefetches */
#define MT_SMALL_IDS 4 /* row ids of a new series, from the arena */
#define MT_INSERT_WINDOW 256 /* a late row joins the order among this many newest */

struct chunk {
	uint32_t len;      /* rows stored */
	uint32_t cap;      /* capacity of seq/op */
	uint64_t *seq;
	uint8_t *op;
	struct colvec *cols; /* ncols; tag columns unused */
};

struct series {
	uint64_t hash;
	const uint8_t *pk;   /* arena; NULL when pk_len == 0 */
	uint32_t pk_len;
	uint32_t nrows;
	int64_t min_ts, max_ts;    /* bounds of the rows, to skip whole series */
	uint64_t min_seq, max_seq;
	struct datum *tags;  /* npk values in primary-key order, arena */
	/* The series' row ids, srt[0, nrows): srt[0, srt_n) is in (ts asc,
	 * seq desc) order, the rest in arrival order. A write keeps srt_n ==
	 * nrows while it can place each row in order (series_append: at the
	 * end, or among the MT_INSERT_WINDOW newest); a scan sorts and merges
	 * the rest in (ensure_sorted, under the caller's lock or the frozen
	 * index lock). srt has srt_cap slots: the first MT_SMALL_IDS
	 * from the arena, more from the heap (srt_heap). ndup counts adjacent
	 * sorted rows with equal ts (duplicate identities); ndel counts the
	 * delete rows. pend counts the rows of the write in progress (room
	 * reserved, not yet appended). */
	uint32_t *srt;
	uint32_t srt_n, srt_cap, pend;
	uint32_t ndup, ndel;
	bool srt_heap;
};

/* Series ids in key order (their rows are in each series' srt cache). */
struct mt_index {
	uint32_t nseries;
	uint32_t *order; /* series ids */
};

struct memtable {
	enum memtable_state state;
	struct region_schema *schema;
	int32_t *tag_pos; /* ncols: position in the primary key, -1 if no tag */

	struct chunk **chunks;
	size_t nchunks, chunks_cap;
	size_t closed_mem; /* mem of chunks before the last one */
	uint32_t nrows;

	struct series *series;
	size_t nseries, series_cap;
	uint32_t *slots; /* series id + 1; 0 = empty */
	size_t nslots;   /* power of two */
	struct arena *arena;

	struct buf key;     /* scratch: encoded key */
	uint32_t *sid;      /* scratch: series id per written row */
	size_t sid_cap;

	uint64_t min_seq, max_seq;
	int64_t ts_min, ts_max;
	uint64_t ndel; /* delete rows written (memtable_has_delete) */

	size_t srt_mem;       /* bytes of the series' sorted-order caches */
	pthread_mutex_t lock; /* guards the frozen index build */
	_Atomic(struct mt_index *) frozen_ix;
};

/* ---- helpers ---------------------------------------------------------- */

static inline const struct chunk *row_chunk(const struct memtable *m, uint32_t row)
{
	return m->chunks[row >> MT_CHUNK_SHIFT];
}

static inline int64_t row_ts(const struct memtable *m, uint32_t row)
{
	return row_chunk(m, row)->cols[m->schema->ts_col].i64[row & MT_CHUNK_MASK];
}

static inline uint64_t row_seq(const struct memtable *m, uint32_t row)
{
	return row_chunk(m, row)->seq[row & MT_CHUNK_MASK];
}

static size_t colvec_mem(const struct colvec *v)
{
	size_t n = v->bytes_cap + (v->validity ? ((size_t)v->cap + 7) / 8 : 0);
	if (v->cap)
		n += (size_t)v->cap * (dtype_phys(v->type) == PHYS_BYTES ? 4 : 8) + 4;
	return n;
}

static size_t chunk_mem(const struct memtable *m, const struct chunk *c)
{
	size_t n = sizeof(*c) + (size_t)m->schema->ncols * sizeof(struct colvec);
	n += (size_t)c->cap * (sizeof(uint64_t) + sizeof(uint8_t));
	for (uint32_t i = 0; i < m->schema->ncols; i++)
		n += colvec_mem(&c->cols[i]);
	return n;
}

static void chunk_free(const struct memtable *m, struct chunk *c)
{
	if (!c)
		return;
	if (c->cols)
		for (uint32_t i = 0; i < m->schema->ncols; i++)
			colvec_free(&c->cols[i]);
	mem_free(c->cols);
	mem_free(c->seq);
	mem_free(c->op);
	mem_free(c);
}

static void index_free(struct mt_index *ix)
{
	if (!ix)
		return;
	mem_free(ix->order);
	mem_free(ix);
}

static size_t index_mem(const struct mt_index *ix)
{
	if (!ix)
		return 0;
	return sizeof(*ix) + (size_t)ix->nseries * 4;
}

/* ---- lifecycle -------------------------------------------------------- */

int memtable_create(const struct region_schema *s, struct memtable **out)
{
	*out = NULL;
	struct memtable *m = mem_calloc(1, sizeof(*m));
	if (!m)
		return ERR_NOMEM;
	m->state = MEMTABLE_ACTIVE;
	m->min_seq = 0;
	m->max_seq = 0;
	m->ts_min = INT64_MAX;
	m->ts_max = INT64_MIN;
	buf_init(&m->key);
	pthread_mutex_init(&m->lock, NULL);
	atomic_init(&m->frozen_ix, NULL);
	m->schema = region_schema_clone(s);
	m->tag_pos = mem_alloc((size_t)(s->ncols ? s->ncols : 1) * sizeof(int32_t));
	m->arena = arena_create(16 * 1024);
	m->nslots = 64;
	m->slots = mem_calloc(m->nslots, sizeof(uint32_t));
	if (!m->schema || !m->tag_pos || !m->arena || !m->slots) {
		memtable_free(m);
		return ERR_NOMEM;
	}
	for (uint32_t c = 0; c < s->ncols; c++)
		m->tag_pos[c] = -1;
	for (uint32_t k = 0; k < s->npk; k++)
		m->tag_pos[s->pk_cols[k]] = (int32_t)k;
	*out = m;
	return ERR_OK;
}

void memtable_freeze(struct memtable *m)
{
	assert(m->state == MEMTABLE_ACTIVE);
	m->state = MEMTABLE_FROZEN;
	/* the write path's lookup table and scratch space are no longer needed */
	buf_free(&m->key);
	mem_free(m->sid);
	m->sid = NULL;
	m->sid_cap = 0;
	mem_free(m->slots);
	m->slots = NULL;
	m->nslots = 0;
}

enum memtable_state memtable_get_state(const struct memtable *m) { return m->state; }

void memtable_free(struct memtable *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nchunks; i++)
		chunk_free(m, m->chunks[i]);
	mem_free(m->chunks);
	for (size_t i = 0; i < m->nseries; i++)
		if (m->series[i].srt_heap)
			mem_free(m->series[i].srt);
	mem_free(m->series);
	mem_free(m->slots);
	arena_destroy(m->arena);
	buf_free(&m->key);
	mem_free(m->sid);
	index_free(atomic_load(&m->frozen_ix));
	pthread_mutex_destroy(&m->lock);
	mem_free(m->tag_pos);
	region_schema_free(m->schema);
	mem_free(m);
}

/* ---- stats ------------------------------------------------------------ */

size_t memtable_mem_size(const struct memtable *m)
{
	size_t n = sizeof(*m) + m->closed_mem + arena_used(m->arena);
	if (m->nchunks)
		n += chunk_mem(m, m->chunks[m->nchunks - 1]);
	n += m->chunks_cap * sizeof(struct chunk *);
	n += m->series_cap * sizeof(struct series) + m->nslots * sizeof(uint32_t);
	n += m->key.cap + m->sid_cap * sizeof(uint32_t) + m->srt_mem;
	n += index_mem(atomic_load(&((struct memtable *)m)->frozen_ix));
	return n;
}

uint64_t memtable_num_rows(const struct memtable *m) { return m->nrows; }
uint32_t memtable_num_series(const struct memtable *m) { return (uint32_t)m->nseries; }
bool memtable_has_delete(const struct memtable *m)
{
	return m->ndel > 0;
}

bool memtable_is_empty(const struct memtable *m) { return m->nrows == 0; }
uint64_t memtable_min_seq(const struct memtable *m) { return m->min_seq; }
uint64_t memtable_max_seq(const struct memtable *m) { return m->max_seq; }
int64_t memtable_ts_min(const struct memtable *m) { return m->ts_min; }
int64_t memtable_ts_max(const struct memtable *m) { return m->ts_max; }

/* ---- write path ------------------------------------------------------- */

static int check_rows(const struct memtable *m, const struct batch *rows, uint64_t first_seq,
		      enum op_type op)
{
	const struct region_schema *s = m->schema;
	if (op != OP_PUT && op != OP_DELETE)
		return err_set(ERR_BAD_INPUT, "memtable write: bad op type %d", (int)op);
	if (rows->ncols != s->ncols)
		return err_set(ERR_BAD_INPUT, "memtable write: %u columns, schema has %u",
			       rows->ncols, s->ncols);
	for (uint32_t c = 0; c < s->ncols; c++) {
		const struct colvec *v = &rows->cols[c];
		if (v->type != s->cols[c].type)
			return err_set(ERR_BAD_INPUT, "memtable write: column %s is %s, expected %s",
				       s->cols[c].name, dtype_name(v->type),
				       dtype_name(s->cols[c].type));
		if (v->len != rows->nrows)
			return err_set(ERR_BAD_INPUT, "memtable write: column %s has %u values, "
				       "batch has %u rows", s->cols[c].name, v->len, rows->nrows);
	}
	const struct colvec *ts = &rows->cols[s->ts_col];
	if (ts->validity)
		for (uint32_t i = 0; i < rows->nrows; i++)
			if (colvec_is_null(ts, i))
				return err_set(ERR_BAD_INPUT, "memtable write: time index %s is null",
					       s->cols[s->ts_col].name);
	if (first_seq == 0)
		return err_set(ERR_BAD_INPUT, "memtable write: sequences start at 1");
	if (first_seq > UINT64_MAX - rows->nrows)
		return err_set(ERR_BAD_INPUT, "memtable write: sequence overflow");
	if ((uint64_t)m->nrows + rows->nrows > MT_MAX_ROWS)
		return err_set(ERR_LIMIT, "memtable write: memtable full (%u rows)", m->nrows);
	return ERR_OK;
}

/* Tags of rows a and b of one batch are the same values (so the same key). */
static bool same_tags(const struct region_schema *s, const struct batch *b, uint32_t i, uint32_t j)
{
	for (uint32_t k = 0; k < s->npk; k++) {
		const struct colvec *c = &b->cols[s->pk_cols[k]];
		bool ni = colvec_is_null(c, i), nj = colvec_is_null(c, j);
		if (ni || nj) {
			if (ni != nj)
				return false;
			continue;
		}
		switch (dtype_phys(c->type)) {
		case PHYS_I64:
			if (c->i64[i] != c->i64[j])
				return false;
			break;
		case PHYS_F64:
			if (memcmp(&c->f64[i], &c->f64[j], sizeof(double)))
				return false;
			break;
		default: {
			uint32_t ni2, nj2;
			const char *pi = colvec_bytes(c, i, &ni2);
			const char *pj = colvec_bytes(c, j, &nj2);
			if (ni2 != nj2 || (ni2 && memcmp(pi, pj, ni2)))
				return false;
			break;
		}
		}
	}
	return true;
}

static int grow_slots(struct memtable *m)
{
	size_t n = m->nslots * 2;
	uint32_t *t = mem_calloc(n, sizeof(uint32_t));
	if (!t)
		return ERR_NOMEM;
	for (size_t i = 0; i < m->nseries; i++) {
		size_t h = (size_t)m->series[i].hash & (n - 1);
		while (t[h])
			h = (h + 1) & (n - 1);
		t[h] = (uint32_t)i + 1;
	}
	mem_free(m->slots);
	m->slots = t;
	m->nslots = n;
	return ERR_OK;
}

static int new_series(struct memtable *m, const struct batch *rows, uint32_t row, uint64_t h,
		      size_t slot, uint32_t *sid)
{
	const struct region_schema *s = m->schema;
	if (m->nseries >= UINT32_MAX - 1)
		return err_set(ERR_LIMIT, "memtable: too many series");
	if (m->nseries == m->series_cap) {
		void *p = m->series;
		if (mem_grow(&p, &m->series_cap, m->nseries + 1, sizeof(struct series)))
			return ERR_NOMEM;
		m->series = p;
	}
	struct series se = {.hash = h, .pk_len = (uint32_t)m->key.len, .min_ts = INT64_MAX,
			    .max_ts = INT64_MIN, .min_seq = UINT64_MAX, .max_seq = 0};
	if (m->key.len) {
		uint8_t *pk = arena_alloc(m->arena, m->key.len);
		if (!pk)
			return ERR_NOMEM;
		memcpy(pk, m->key.data, m->key.len);
		se.pk = pk;
	}
	if (s->npk) {
		se.tags = arena_alloc(m->arena, s->npk * sizeof(struct datum));
		if (!se.tags)
			return ERR_NOMEM;
		for (uint32_t k = 0; k < s->npk; k++) {
			const struct colvec *c = &rows->cols[s->pk_cols[k]];
			struct datum *d = &se.tags[k];
			memset(d, 0, sizeof(*d));
			d->type = c->type;
			d->is_null = colvec_is_null(c, row);
			if (d->is_null)
				continue;
			switch (dtype_phys(c->type)) {
			case PHYS_I64: d->v.i = c->i64[row]; break;
			case PHYS_F64: d->v.f = c->f64[row]; break;
			default: {
				uint32_t n;
				const char *p = colvec_bytes(c, row, &n);
				const char *q = n ? arena_strndup(m->arena, p, n) : "";
				if (!q)
					return ERR_NOMEM;
				d->v.s.p = q;
				d->v.s.n = n;
				break;
			}
			}
		}
	}
	*sid = (uint32_t)m->nseries;
	m->series[m->nseries++] = se;
	m->slots[slot] = *sid + 1;
	if (m->nseries * 2 > m->nslots)
		return grow_slots(m);
	return ERR_OK;
}

#define MT_PH_MAX 32 /* primary keys up to this many tags cache their kinds */

/* Physical kinds of the primary-key columns of `b` into ph[] (npk <=
 * MT_PH_MAX) and returns ph, else NULL (then asked per value). */
static const enum phys_kind *pk_kinds(const struct region_schema *s, const struct batch *b,
                                      enum phys_kind *ph)
{
	if (s->npk > MT_PH_MAX)
		return NULL;
	for (uint32_t k = 0; k < s->npk; k++)
		ph[k] = dtype_phys(b->cols[s->pk_cols[k]].type);
	return ph;
}

static inline uint64_t mix64(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 31);
}

/* Hash of row `row`'s tag values (null flags, integer and float bits,
 * string lengths and bytes) in primary-key order: a function of what the
 * key encodes, so rows with one key get one hash. */
static uint64_t tags_hash(const struct region_schema *s, const enum phys_kind *ph,
                          const struct batch *b, uint32_t row)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ s->npk;
	for (uint32_t k = 0; k < s->npk; k++) {
		const struct colvec *c = &b->cols[s->pk_cols[k]];
		if (colvec_is_null(c, row)) {
			h = mix64(h, 0x5bd1e9955bd1e995ull);
			continue;
		}
		switch (ph ? ph[k] : dtype_phys(c->type)) {
		case PHYS_I64: h = mix64(h, (uint64_t)c->i64[row]); break;
		case PHYS_F64: {
			uint64_t x;
			memcpy(&x, &c->f64[row], 8);
			h = mix64(h, x);
			break;
		}
		default: {
			uint32_t n;
			const char *p = colvec_bytes(c, row, &n);
			h = mix64(h, n);
			uint64_t w;
			for (; n >= 8; n -= 8, p += 8) {
				memcpy(&w, p, 8);
				h = mix64(h, w);
			}
			if (n >= 4) {
				uint32_t a, z;
				memcpy(&a, p, 4);
				memcpy(&z, p + n - 4, 4);
				h = mix64(h, (uint64_t)a << 32 | z);
			} else if (n) {
				w = 0;
				for (uint32_t i = 0; i < n; i++)
					w = w << 8 | (uint8_t)p[i];
				h = mix64(h, w);
			}
			break;
		}
		}
	}
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 29);
}

/* Row `row`'s tags equal series se's: compared value by value (floats bit
 * by bit), which is equality of the memcomparable keys (pk_codec encodes
 * every value injectively). */
static bool tags_match(const struct region_schema *s, const enum phys_kind *ph,
                       const struct batch *b, uint32_t row, const struct series *se)
{
	for (uint32_t k = 0; k < s->npk; k++) {
		const struct colvec *c = &b->cols[s->pk_cols[k]];
		const struct datum *d = &se->tags[k];
		bool null = colvec_is_null(c, row);
		if (null || d->is_null) {
			if (null != d->is_null)
				return false;
			continue;
		}
		switch (ph ? ph[k] : dtype_phys(c->type)) {
		case PHYS_I64:
			if (c->i64[row] != d->v.i)
				return false;
			break;
		case PHYS_F64:
			if (memcmp(&c->f64[row], &d->v.f, sizeof(double)))
				return false;
			break;
		default: {
			uint32_t n;
			const char *p = colvec_bytes(c, row, &n);
			if (n != d->v.s.n || (n && memcmp(p, d->v.s.p, n)))
				return false;
			break;
		}
		}
	}
	return true;
}

/* The series of row `row`, created when new. The table is keyed by
 * tags_hash and probed by comparing tag values, so an existing series is
 * found without encoding the row's key; only a new series encodes it. */
static int find_series(struct memtable *m, const enum phys_kind *ph, const struct batch *rows,
                       uint32_t row, uint32_t *sid)
{
	const struct region_schema *s = m->schema;
	uint64_t h = tags_hash(s, ph, rows, row);
	size_t mask = m->nslots - 1, i = (size_t)h & mask;
	for (;;) {
		uint32_t v = m->slots[i];
		if (!v)
			break;
		const struct series *se = &m->series[v - 1];
		if (se->hash == h && tags_match(s, ph, rows, row, se)) {
			*sid = v - 1;
			return ERR_OK;
		}
		i = (i + 1) & mask;
	}
	buf_reset(&m->key);
	int rc = pk_encode_row(s, rows, row, &m->key);
	if (rc)
		return rc;
	return new_series(m, rows, row, h, i, sid);
}

static bool range_has_null(const struct colvec *v, uint32_t from, uint32_t n)
{
	if (!v->validity)
		return false;
	for (uint32_t i = from; i < from + n; i++)
		if (colvec_is_null(v, i))
			return true;
	return false;
}

/* Make room in chunk c for n more rows copied from rows[from, from+n). */
static int chunk_reserve(struct memtable *m, struct chunk *c, const struct batch *rows,
			 uint32_t from, uint32_t n)
{
	const struct region_schema *s = m->schema;
	/* the first chunk grows by doubling (small memtables stay small); later
	 * ones are allocated whole, saving the copies of regrowth */
	uint32_t want = m->nchunks > 1 ? MT_CHUNK_ROWS - c->len : n;
	uint32_t need = c->len + want;
	if (need > c->cap) {
		uint32_t cap = c->cap ? c->cap : 64;
		while (cap < need)
			cap *= 2;
		void *p;
		if (!(p = mem_realloc(c->seq, (size_t)cap * sizeof(uint64_t))))
			return ERR_NOMEM;
		c->seq = p;
		if (!(p = mem_realloc(c->op, cap)))
			return ERR_NOMEM;
		c->op = p;
		c->cap = cap;
	}
	for (uint32_t col = 0; col < s->ncols; col++) {
		if (m->tag_pos[col] >= 0)
			continue;
		struct colvec *d = &c->cols[col];
		const struct colvec *src = &rows->cols[col];
		if (colvec_reserve(d, want))
			return ERR_NOMEM;
		if (dtype_phys(d->type) == PHYS_BYTES) {
			int rc = colvec_reserve_bytes(d, src->offs[from + n] - src->offs[from],
						  "memtable: string column chunk over 4 GiB");
			if (rc)
				return rc;
		}
		if (!d->validity && range_has_null(src, from, n)) {
			size_t nb = ((size_t)d->cap + 7) / 8;
			d->validity = mem_alloc(nb);
			if (!d->validity)
				return ERR_NOMEM;
			memset(d->validity, 0xff, nb);
		}
	}
	return ERR_OK;
}

/* Copy rows[from, from+n) into chunk c (room reserved: cannot fail). */
static void chunk_copy(struct memtable *m, struct chunk *c, const struct batch *rows,
		       uint32_t from, uint32_t n, uint64_t seq, enum op_type op)
{
	const struct region_schema *s = m->schema;
	for (uint32_t col = 0; col < s->ncols; col++) {
		if (m->tag_pos[col] >= 0)
			continue;
		struct colvec *d = &c->cols[col];
		const struct colvec *src = &rows->cols[col];
		switch (dtype_phys(d->type)) {
		case PHYS_I64:
			memcpy(d->i64 + d->len, src->i64 + from, (size_t)n * 8);
			break;
		case PHYS_F64:
			memcpy(d->f64 + d->len, src->f64 + from, (size_t)n * 8);
			break;
		default: {
			uint32_t base = d->offs[d->len], s0 = src->offs[from];
			for (uint32_t i = 0; i < n; i++)
				d->offs[d->len + i + 1] = base + (src->offs[from + i + 1] - s0);
			if (src->offs[from + n] > s0)
				memcpy(d->bytes + base, src->bytes + s0, src->offs[from + n] - s0);
			break;
		}
		}
		if (d->validity)
			for (uint32_t i = 0; i < n; i++) {
				uint32_t at = d->len + i;
				if (colvec_is_null(src, from + i))
					d->validity[at >> 3] &= (uint8_t)~(1u << (at & 7));
				else
					d->validity[at >> 3] |= (uint8_t)(1u << (at & 7));
			}
		d->len += n;
	}
	for (uint32_t i = 0; i < n; i++) {
		c->seq[c->len + i] = seq + i;
		c->op[c->len + i] = (uint8_t)op;
	}
	c->len += n;
}

/* Room for `need` row ids in se->srt (the first MT_SMALL_IDS from the
 * arena: most series of a high-cardinality load hold few rows). */
static int series_reserve(struct memtable *m, struct series *se, uint32_t need)
{
	if (need <= se->srt_cap)
		return ERR_OK;
	if (!se->srt_cap && need <= MT_SMALL_IDS) {
		if (!(se->srt = arena_alloc(m->arena, MT_SMALL_IDS * sizeof(uint32_t))))
			return ERR_NOMEM;
		se->srt_cap = MT_SMALL_IDS;
		return ERR_OK;
	}
	size_t cap = (size_t)se->srt_cap * 2;
	if (cap < need)
		cap = need;
	uint32_t *p = se->srt_heap ? mem_realloc(se->srt, cap * sizeof(uint32_t))
				   : mem_alloc(cap * sizeof(uint32_t));
	if (!p)
		return ERR_NOMEM;
	if (!se->srt_heap && se->nrows)
		memcpy(p, se->srt, (size_t)se->nrows * sizeof(uint32_t));
	m->srt_mem += (cap - (se->srt_heap ? se->srt_cap : 0)) * sizeof(uint32_t);
	se->srt = p;
	se->srt_cap = (uint32_t)cap;
	se->srt_heap = true;
	return ERR_OK;
}

/* Row (t, q) sorts before row x in (ts asc, seq desc) order (a row
 * written later, with the same ts and sequence, sorts after). */
static inline bool sorts_before(const struct memtable *m, int64_t t, uint64_t q, uint32_t x)
{
	int64_t xt = row_ts(m, x);
	return t < xt || (t == xt && q > row_seq(m, x));
}

/* Append row id (ts t, sequence q) to se's row ids (room reserved). While
 * they are all sorted, a row that does not go last is inserted in place
 * when its place is among the MT_INSERT_WINDOW newest rows (batches that
 * arrived swapped, a repeated ts); a row further back starts the unsorted
 * tail the next scan sorts (ensure_sorted). */
static inline void series_append(struct memtable *m, struct series *se, uint32_t id, int64_t t,
				 uint64_t q)
{
	uint32_t n = se->nrows, *ids = se->srt;
	se->nrows = n + 1;
	if (se->srt_n != n || !n || t > se->max_ts) {
		ids[n] = id;
		se->srt_n += se->srt_n == n;
		return;
	}
	uint32_t lo = n > MT_INSERT_WINDOW ? n - MT_INSERT_WINDOW : 0, hi = n;
	if (lo && sorts_before(m, t, q, ids[lo - 1])) {
		ids[n] = id; /* too far back: unsorted from here */
		return;
	}
	while (lo < hi) { /* the first row (t, q) sorts before */
		uint32_t mid = lo + (hi - lo) / 2;
		if (sorts_before(m, t, q, ids[mid]))
			hi = mid;
		else
			lo = mid + 1;
	}
	memmove(ids + lo + 1, ids + lo, (size_t)(n - lo) * sizeof(uint32_t));
	ids[lo] = id;
	se->ndup += (lo > 0 && row_ts(m, ids[lo - 1]) == t) || (lo < n && row_ts(m, ids[lo + 1]) == t);
	se->srt_n = n + 1;
}

static int add_chunk(struct memtable *m)
{
	if (m->nchunks == m->chunks_cap) {
		void *p = m->chunks;
		if (mem_grow(&p, &m->chunks_cap, m->nchunks + 1, sizeof(struct chunk *)))
			return ERR_NOMEM;
		m->chunks = p;
	}
	struct chunk *c = mem_calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	c->cols = mem_calloc(m->schema->ncols, sizeof(struct colvec));
	if (!c->cols) {
		mem_free(c);
		return ERR_NOMEM;
	}
	for (uint32_t i = 0; i < m->schema->ncols; i++)
		colvec_init(&c->cols[i], m->schema->cols[i].type);
	if (m->nchunks)
		m->closed_mem += chunk_mem(m, m->chunks[m->nchunks - 1]);
	m->chunks[m->nchunks++] = c;
	return ERR_OK;
}

int memtable_write(struct memtable *m, const struct batch *rows, uint64_t first_seq,
		   enum op_type op)
{
	assert(m->state == MEMTABLE_ACTIVE);
	if (m->state != MEMTABLE_ACTIVE)
		return err_set(ERR_INTERNAL, "memtable write after freeze");
	int rc = check_rows(m, rows, first_seq, op);
	if (rc || rows->nrows == 0)
		return rc;
	const struct region_schema *s = m->schema;
	uint32_t n = rows->nrows;

	/* 1: the series of every row (new series stay empty on failure) */
	if (n > m->sid_cap) {
		mem_free(m->sid);
		m->sid_cap = 0;
		m->sid = mem_alloc((size_t)n * sizeof(uint32_t));
		if (!m->sid)
			return ERR_NOMEM;
		m->sid_cap = n;
	}
	enum phys_kind phbuf[MT_PH_MAX];
	const enum phys_kind *ph = pk_kinds(s, rows, phbuf);
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0 && same_tags(s, rows, i, i - 1)) {
			m->sid[i] = m->sid[i - 1];
			continue;
		}
		if ((rc = find_series(m, ph, rows, i, &m->sid[i])))
			return rc;
	}

	/* 2: room for every row, in the chunks and in its series' row ids
	 * (spare capacity is harmless on failure) */
	for (uint32_t i = 0; i < n; i++) {
		struct series *se = &m->series[m->sid[i]];
		if (se->nrows + ++se->pend > se->srt_cap &&
		    (rc = series_reserve(m, se, se->nrows + se->pend))) {
			for (uint32_t j = 0; j <= i; j++)
				m->series[m->sid[j]].pend = 0;
			return rc;
		}
	}
	uint32_t first = m->nrows;
	for (uint32_t done = 0; done < n;) {
		uint32_t at = first + done;
		size_t ci = at >> MT_CHUNK_SHIFT;
		if (ci >= m->nchunks && (rc = add_chunk(m)))
			return rc;
		uint32_t take = MT_CHUNK_ROWS - (at & MT_CHUNK_MASK);
		if (take > n - done)
			take = n - done;
		if ((rc = chunk_reserve(m, m->chunks[ci], rows, done, take))) {
			for (uint32_t j = 0; j < n; j++)
				m->series[m->sid[j]].pend = 0;
			return rc;
		}
		done += take;
	}

	/* 3: copy; nothing below fails */
	for (uint32_t done = 0; done < n;) {
		uint32_t at = first + done;
		struct chunk *c = m->chunks[at >> MT_CHUNK_SHIFT];
		uint32_t take = MT_CHUNK_ROWS - (at & MT_CHUNK_MASK);
		if (take > n - done)
			take = n - done;
		chunk_copy(m, c, rows, done, take, first_seq + done, op);
		done += take;
	}

	/* 4: append each row to its series (in order while ts increases) */
	const int64_t *ts = rows->cols[s->ts_col].i64;
	for (uint32_t i = 0; i < n; i++) {
		struct series *se = &m->series[m->sid[i]];
		uint32_t id = first + i;
		uint64_t seq = first_seq + i;
		series_append(m, se, id, ts[i], seq);
		se->pend = 0;
		se->ndel += op == OP_DELETE;
		m->ndel += op == OP_DELETE;
		if (ts[i] < se->min_ts)
			se->min_ts = ts[i];
		if (ts[i] > se->max_ts)
			se->max_ts = ts[i];
		if (seq < se->min_seq)
			se->min_seq = seq;
		if (seq > se->max_seq)
			se->max_seq = seq;
		if (ts[i] < m->ts_min)
			m->ts_min = ts[i];
		if (ts[i] > m->ts_max)
			m->ts_max = ts[i];
	}
	uint64_t last_seq = first_seq + n - 1;
	if (m->nrows == 0 || first_seq < m->min_seq)
		m->min_seq = first_seq;
	if (m->nrows == 0 || last_seq > m->max_seq)
		m->max_seq = last_seq;
	m->nrows += n;
	return ERR_OK;
}

/* ---- per-series sorted order ------------------------------------------ */

static inline int row_op(const struct memtable *m, uint32_t row)
{
	return row_chunk(m, row)->op[row & MT_CHUNK_MASK];
}

struct row_key {
	int64_t ts;
	uint64_t seq;
	uint32_t row;
};

static int cmp_row_key(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq > y->seq ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Scratch space of ensure_sorted, reused across series. */
struct sort_scratch {
	struct row_key *keys;
	size_t keys_cap;
	uint32_t *merged;
	size_t merged_cap;
};

static void sort_scratch_free(struct sort_scratch *sc)
{
	mem_free(sc->keys);
	mem_free(sc->merged);
}

/*
 * Sort se's row ids: the rows after the sorted prefix srt[0, srt_n) (the
 * ones a write could not append in order) are sorted and merged with it,
 * so each out-of-order row is sorted once.
 */
static int ensure_sorted(struct memtable *m, struct series *se, struct sort_scratch *sc)
{
	uint32_t old = se->srt_n, k = se->nrows;
	if (old == k)
		return ERR_OK;
	uint32_t nn = k - old;
	if (nn > sc->keys_cap) {
		mem_free(sc->keys);
		sc->keys_cap = 0;
		if (!(sc->keys = mem_alloc((size_t)nn * sizeof(*sc->keys))))
			return ERR_NOMEM;
		sc->keys_cap = nn;
	}
	if (k > sc->merged_cap) {
		mem_free(sc->merged);
		sc->merged_cap = 0;
		if (!(sc->merged = mem_alloc((size_t)k * sizeof(uint32_t))))
			return ERR_NOMEM;
		sc->merged_cap = k;
	}
	for (uint32_t j = 0; j < nn; j++) {
		uint32_t row = se->srt[old + j];
		sc->keys[j] = (struct row_key){row_ts(m, row), row_seq(m, row), row};
	}
	qsort(sc->keys, nn, sizeof(*sc->keys), cmp_row_key);
	uint32_t i = 0, j = 0, o = 0;
	while (i < old && j < nn) {
		uint32_t a = se->srt[i];
		struct row_key ka = {row_ts(m, a), row_seq(m, a), a};
		if (cmp_row_key(&ka, &sc->keys[j]) <= 0)
			sc->merged[o++] = se->srt[i++];
		else
			sc->merged[o++] = sc->keys[j++].row;
	}
	while (i < old)
		sc->merged[o++] = se->srt[i++];
	while (j < nn)
		sc->merged[o++] = sc->keys[j++].row;
	memcpy(se->srt, sc->merged, (size_t)k * sizeof(uint32_t));
	se->ndup = 0;
	for (i = 1; i < k; i++)
		se->ndup += row_ts(m, se->srt[i]) == row_ts(m, se->srt[i - 1]);
	se->srt_n = k;
	return ERR_OK;
}

/* ---- index ------------------------------------------------------------ */

struct key_ref {
	const uint8_t *pk;
	uint32_t len;
	uint32_t id;
};

static int cmp_key_ref(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	return pk_cmp(x->pk, x->len, y->pk, y->len);
}

/* What a scan selects. The time range is inclusive on both ends. */
struct mt_filter {
	uint64_t seq_lo; /* exclusive */
	uint64_t seq_hi; /* inclusive */
	int64_t ts_lo, ts_hi;
	bool empty;
	uint32_t nts_preds; /* residual predicates on the time index (NE, IN) */
	struct scan_pred *ts_preds;
	const struct scan_pred *tag_preds; /* only used while opening */
	uint32_t ntag_preds;
};

static bool series_matches(const struct memtable *m, const struct series *se,
			   const struct mt_filter *f)
{
	if (se->max_seq <= f->seq_lo || se->min_seq > f->seq_hi || se->max_ts < f->ts_lo ||
	    se->min_ts > f->ts_hi)
		return false;
	for (uint32_t k = 0; k < f->ntag_preds; k++) {
		const struct scan_pred *p = &f->tag_preds[k];
		if (m->tag_pos[p->col] < 0)
			continue;
		if (!pred_match_datum(p, &se->tags[m->tag_pos[p->col]]))
			return false;
	}
	return true;
}

static inline bool row_selected(const struct mt_filter *f, int64_t ts, uint64_t seq)
{
	if (seq <= f->seq_lo || seq > f->seq_hi || ts < f->ts_lo || ts > f->ts_hi)
		return false;
	for (uint32_t k = 0; k < f->nts_preds; k++) {
		struct datum d = {.type = DT_INT64, .is_null = false, .v.i = ts};
		if (!pred_match_datum(&f->ts_preds[k], &d))
			return false;
	}
	return true;
}

/*
 * The series (matching f, when given) in key order, each with its sorted
 * cache brought up to date. Caller holds the memtable's serialisation
 * (active) or its lock (frozen).
 */
static int index_build(struct memtable *m, const struct mt_filter *f, struct mt_index **out)
{
	*out = NULL;
	int rc = ERR_NOMEM;
	struct key_ref *keys = NULL;
	struct sort_scratch sc = {0};
	struct mt_index *ix = mem_calloc(1, sizeof(*ix));
	if (!ix)
		goto out;
	keys = mem_alloc((m->nseries ? m->nseries : 1) * sizeof(*keys));
	ix->order = mem_alloc((m->nseries ? m->nseries : 1) * sizeof(uint32_t));
	if (!keys || !ix->order)
		goto out;
	size_t nk = 0;
	for (size_t i = 0; i < m->nseries; i++) {
		struct series *se = &m->series[i];
		if (!se->nrows || (f && !series_matches(m, se, f)))
			continue;
		if ((rc = ensure_sorted(m, se, &sc)))
			goto out;
		keys[nk++] = (struct key_ref){se->pk, se->pk_len, (uint32_t)i};
	}
	qsort(keys, nk, sizeof(*keys), cmp_key_ref);
	for (size_t k = 0; k < nk; k++)
		ix->order[k] = keys[k].id;
	ix->nseries = (uint32_t)nk;
	*out = ix;
	ix = NULL;
	rc = ERR_OK;
out:
	index_free(ix);
	mem_free(keys);
	sort_scratch_free(&sc);
	return rc;
}

/* The frozen memtable's shared index, built on first use. */
static int frozen_index(struct memtable *m, const struct mt_index **out)
{
	struct mt_index *ix = atomic_load(&m->frozen_ix);
	int rc = ERR_OK;
	if (!ix) {
		pthread_mutex_lock(&m->lock);
		ix = atomic_load(&m->frozen_ix);
		if (!ix && !(rc = index_build(m, NULL, &ix)))
			atomic_store(&m->frozen_ix, ix);
		pthread_mutex_unlock(&m->lock);
	}
	*out = ix;
	return rc;
}

/* ---- scan ------------------------------------------------------------- */

/* Selected rows of one series: srt[from, from+n) of the series, or
 * own_rows[from, from+n) of the source when rows had to be picked one by
 * one. */
struct mt_seg {
	uint32_t sid;
	uint32_t from, n;
	bool own;
};

struct mt_source {
	struct sorted_source base;
	const struct memtable *m;
	struct mt_filter f;
	bool *need;                /* ncols: columns to fill */
	enum dtype *types;         /* internal layout */
	uint8_t *phys;             /* ncols: physical kind of each column */
	struct mt_seg *segs;
	uint32_t nsegs, seg, off;  /* cursor: segs[seg], row off */
	uint32_t *own_rows;
	size_t own_len, own_cap;
	bool lean;                 /* internal columns left empty */
	struct batch out;          /* frozen: the batch handed out */
	struct batch *done;        /* active: the materialised batches */
	uint32_t ndone, next_done;
};

static void narrow_ts(struct mt_filter *f, const struct scan_pred *p)
{
	if (p->op == PRED_IS_NOT_NULL)
		return;
	if (p->op == PRED_IS_NULL || (p->op != PRED_IN && p->lit.is_null)) {
		f->empty = true;
		return;
	}
	int64_t v = p->lit.v.i;
	switch (p->op) {
	case PRED_EQ:
		if (v > f->ts_lo)
			f->ts_lo = v;
		if (v < f->ts_hi)
			f->ts_hi = v;
		break;
	case PRED_LT:
		if (v == INT64_MIN)
			f->empty = true;
		else if (v - 1 < f->ts_hi)
			f->ts_hi = v - 1;
		break;
	case PRED_LE:
		if (v < f->ts_hi)
			f->ts_hi = v;
		break;
	case PRED_GT:
		if (v == INT64_MAX)
			f->empty = true;
		else if (v + 1 > f->ts_lo)
			f->ts_lo = v + 1;
		break;
	case PRED_GE:
		if (v > f->ts_lo)
			f->ts_lo = v;
		break;
	default:
		break;
	}
}

/* Turn req into a filter (copying what a lazy source needs later). */
static int filter_init(const struct memtable *m, const struct scan_request *req,
		       uint64_t min_seq_excl, uint64_t max_seq_incl, struct mt_filter *f)
{
	const struct region_schema *s = m->schema;
	memset(f, 0, sizeof(*f));
	f->seq_lo = min_seq_excl;
	f->seq_hi = max_seq_incl;
	f->ts_lo = INT64_MIN;
	f->ts_hi = INT64_MAX;
	if (max_seq_incl <= min_seq_excl)
		f->empty = true;
	if (!req)
		return ERR_OK;
	f->ts_lo = req->ts_min;
	if (req->ts_max == INT64_MIN)
		f->empty = true;
	else if (req->ts_max != INT64_MAX)
		f->ts_hi = req->ts_max - 1;
	f->tag_preds = req->preds;
	f->ntag_preds = req->npreds;
	uint32_t nres = 0;
	for (uint32_t k = 0; k < req->npreds; k++) {
		const struct scan_pred *p = &req->preds[k];
		if (p->col >= s->ncols)
			return err_set(ERR_BAD_INPUT, "scan predicate on column %u of %u", p->col,
				       s->ncols);
		int rc = pred_validate(p, s->cols[p->col].type);
		if (rc)
			return rc;
		if (p->col == s->ts_col) {
			narrow_ts(f, p);
			nres += p->op == PRED_NE || p->op == PRED_IN;
		}
	}
	if (f->ts_lo > f->ts_hi)
		f->empty = true;
	if (!nres)
		return ERR_OK;
	f->ts_preds = mem_calloc(nres, sizeof(struct scan_pred));
	if (!f->ts_preds)
		return ERR_NOMEM;
	for (uint32_t k = 0; k < req->npreds; k++) {
		const struct scan_pred *p = &req->preds[k];
		if (p->col != s->ts_col || (p->op != PRED_NE && p->op != PRED_IN))
			continue;
		struct scan_pred *q = &f->ts_preds[f->nts_preds++];
		*q = *p;
		q->list = NULL;
		q->nlist = 0;
		if (p->op == PRED_IN && p->nlist) {
			q->list = mem_dup(p->list, (size_t)p->nlist * sizeof(struct datum));
			if (!q->list)
				return ERR_NOMEM;
			q->nlist = p->nlist;
		}
	}
	return ERR_OK;
}

static void filter_free(struct mt_filter *f)
{
	for (uint32_t k = 0; k < f->nts_preds; k++)
		mem_free(f->ts_preds[k].list);
	mem_free(f->ts_preds);
	f->ts_preds = NULL;
	f->nts_preds = 0;
}

static inline void mark_valid_range(struct colvec *d, uint32_t at, uint32_t k)
{
	if (d->validity)
		for (uint32_t i = at; i < at + k; i++)
			d->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* Append k copies of the 8-byte word x. */
static int repeat_word(struct colvec *d, enum phys_kind pk, const void *x, uint32_t k)
{
	if (colvec_reserve(d, k))
		return ERR_NOMEM;
	uint32_t at = d->len;
	if (pk == PHYS_I64) {
		int64_t v;
		memcpy(&v, x, 8);
		for (uint32_t i = 0; i < k; i++)
			d->i64[at + i] = v;
	} else {
		double v;
		memcpy(&v, x, 8);
		for (uint32_t i = 0; i < k; i++)
			d->f64[at + i] = v;
	}
	mark_valid_range(d, at, k);
	d->len += k;
	return ERR_OK;
}

/* Append k copies of the byte string p[0, n). */
static int repeat_bytes(struct colvec *d, const void *p, uint32_t n, uint32_t k)
{
	if (colvec_reserve(d, k))
		return ERR_NOMEM;
	uint32_t at = d->len;
	int rc = colvec_reserve_bytes(d, (uint64_t)n * k, "memtable: string column over 4 GiB");
	if (rc)
		return rc;
	size_t used = d->offs[at];
	/* one copy, then double the copied run (few large memcpys) */
	size_t total = (size_t)n * k, done = 0;
	if (total) {
		memcpy(d->bytes + used, p, n);
		done = n;
		while (done < total) {
			size_t c = done < total - done ? done : total - done;
			memcpy(d->bytes + used + done, d->bytes + used, c);
			done += c;
		}
	}
	uint32_t *offs = d->offs + at + 1;
	uint32_t o = (uint32_t)used;
	for (uint32_t i = 0; i < k; i++) {
		o += n;
		offs[i] = o;
	}
	mark_valid_range(d, at, k);
	d->len += k;
	return ERR_OK;
}

static int repeat_datum(struct colvec *d, const struct datum *v, enum phys_kind pk, uint32_t k)
{
	if (v->is_null) {
		for (uint32_t i = 0; i < k; i++)
			if (colvec_push_null(d))
				return ERR_NOMEM;
		return ERR_OK;
	}
	if (pk == PHYS_I64)
		return repeat_word(d, pk, &v->v.i, k);
	if (pk == PHYS_F64)
		return repeat_word(d, pk, &v->v.f, k);
	return repeat_bytes(d, v->v.s.p, (uint32_t)v->v.s.n, k);
}

/* Append column c of rows[0, k) (a field or the time index). */
static int gather(const struct memtable *m, struct colvec *d, uint32_t c, enum phys_kind pk,
		  const uint32_t *rows, uint32_t k)
{
	if (pk == PHYS_BYTES) {
		for (uint32_t i = 0; i < k; i++) {
			const struct colvec *v = &row_chunk(m, rows[i])->cols[c];
			uint32_t off = rows[i] & MT_CHUNK_MASK;
			int rc = colvec_is_null(v, off) ? colvec_push_null(d)
							: colvec_push_from(d, v, off);
			if (rc)
				return rc;
		}
		return ERR_OK;
	}
	if (colvec_reserve(d, k))
		return ERR_NOMEM;
	uint32_t at = d->len;
	bool nulls = false;
	/* i64 and f64 share the 8-byte slot: copy words. The chunk of the
	 * previous row is remembered (a series' rows come in increasing row
	 * ids, many per chunk); the data is prefetched MT_PREFETCH rows ahead. */
	uint64_t *dst = (uint64_t *)(pk == PHYS_I64 ? (void *)(d->i64 + at) : (void *)(d->f64 + at));
	uint32_t cur_chunk = UINT32_MAX, pf_chunk = UINT32_MAX;
	const uint64_t *base = NULL, *pf_base = NULL;
	for (uint32_t i = 0; i < k; i++) {
		if (i + MT_PREFETCH < k) { /* rows of a series are scattered */
			uint32_t r = rows[i + MT_PREFETCH];
			if (r >> MT_CHUNK_SHIFT != pf_chunk) {
				pf_chunk = r >> MT_CHUNK_SHIFT;
				const struct colvec *pv = &m->chunks[pf_chunk]->cols[c];
				pf_base = (const uint64_t *)(pk == PHYS_I64 ? (const void *)pv->i64
									     : (const void *)pv->f64);
			}
			__builtin_prefetch(pf_base + (r & MT_CHUNK_MASK));
		}
		uint32_t r = rows[i];
		if (r >> MT_CHUNK_SHIFT != cur_chunk) {
			cur_chunk = r >> MT_CHUNK_SHIFT;
			const struct colvec *v = &m->chunks[cur_chunk]->cols[c];
			nulls |= v->validity != NULL;
			base = (const uint64_t *)(pk == PHYS_I64 ? (const void *)v->i64
								 : (const void *)v->f64);
		}
		dst[i] = base[r & MT_CHUNK_MASK];
	}
	mark_valid_range(d, at, k);
	d->len += k;
	if (nulls)
		for (uint32_t i = 0; i < k; i++) {
			const struct colvec *v = &row_chunk(m, rows[i])->cols[c];
			if (colvec_is_null(v, rows[i] & MT_CHUNK_MASK) && colvec_set_null(d, at + i))
				return ERR_NOMEM;
		}
	return ERR_OK;
}

/* Append rows[0, k) of series se to src->out, column by column. */
static int emit_rows(struct mt_source *src, const struct series *se, const uint32_t *rows,
		     uint32_t k)
{
	const struct memtable *m = src->m;
	const struct region_schema *s = m->schema;
	struct batch *b = &src->out;
	int rc;
	for (uint32_t c = 0; c < s->ncols; c++) {
		if (!src->need[c])
			continue;
		struct colvec *d = &b->cols[c];
		enum phys_kind pk = src->phys[c];
		if (m->tag_pos[c] >= 0)
			rc = repeat_datum(d, &se->tags[m->tag_pos[c]], pk, k);
		else
			rc = gather(m, d, c, pk, rows, k);
		if (rc)
			return rc;
	}
	if (src->lean) {
		b->nrows += k;
		return ERR_OK;
	}
	if ((rc = repeat_bytes(&b->cols[s->ncols], se->pk, se->pk_len, k)))
		return rc;
	struct colvec *seq = &b->cols[s->ncols + 1], *op = &b->cols[s->ncols + 2];
	if (colvec_reserve(seq, k) || colvec_reserve(op, k))
		return ERR_NOMEM;
	for (uint32_t i = 0; i < k; i++) {
		const struct chunk *ch = row_chunk(m, rows[i]);
		uint32_t off = rows[i] & MT_CHUNK_MASK;
		seq->i64[seq->len + i] = (int64_t)ch->seq[off];
		op->i64[op->len + i] = ch->op[off];
	}
	mark_valid_range(seq, seq->len, k);
	mark_valid_range(op, op->len, k);
	seq->len += k;
	op->len += k;
	b->nrows += k;
	return ERR_OK;
}

/* Refill src->out with up to MT_OUT_ROWS selected rows (0 at the end). */
static int fill(struct mt_source *src)
{
	const struct memtable *m = src->m;
	batch_reset(&src->out);
	if (src->seg < src->nsegs)
		for (uint32_t c = 0; c < src->out.ncols; c++)
			if ((c >= m->schema->ncols || src->need[c]) &&
			    colvec_reserve(&src->out.cols[c], MT_OUT_ROWS))
				return ERR_NOMEM;
	while (src->out.nrows < MT_OUT_ROWS && src->seg < src->nsegs) {
		const struct mt_seg *g = &src->segs[src->seg];
		const struct series *se = &m->series[g->sid];
		uint32_t k = g->n - src->off;
		if (k > MT_OUT_ROWS - src->out.nrows)
			k = MT_OUT_ROWS - src->out.nrows;
		const uint32_t *rows = (g->own ? src->own_rows : se->srt) + g->from + src->off;
		int rc = emit_rows(src, se, rows, k);
		if (rc)
			return rc;
		src->off += k;
		if (src->off == g->n) {
			src->seg++;
			src->off = 0;
		}
	}
	return ERR_OK;
}

static int frozen_next(struct sorted_source *base, const struct batch **out)
{
	struct mt_source *src = (struct mt_source *)base;
	*out = NULL;
	int rc = fill(src);
	if (rc)
		return rc;
	if (src->out.nrows)
		*out = &src->out;
	return ERR_OK;
}

static int active_next(struct sorted_source *base, const struct batch **out)
{
	struct mt_source *src = (struct mt_source *)base;
	*out = NULL;
	/* the batch handed out last time is no longer needed */
	if (src->next_done > 0)
		batch_free(&src->done[src->next_done - 1]);
	if (src->next_done < src->ndone)
		*out = &src->done[src->next_done++];
	return ERR_OK;
}

static void source_close(struct sorted_source *base)
{
	struct mt_source *src = (struct mt_source *)base;
	if (!src)
		return;
	for (uint32_t i = 0; i < src->ndone; i++)
		batch_free(&src->done[i]);
	mem_free(src->done);
	batch_free(&src->out);
	filter_free(&src->f);
	mem_free(src->need);
	mem_free(src->segs);
	mem_free(src->own_rows);
	mem_free(src->types);
	mem_free(src->phys);
	mem_free(src);
}

/* Copy every selected row into src->done (active memtables). */
static int materialise(struct mt_source *src)
{
	size_t cap = 0;
	for (;;) {
		int rc = fill(src);
		if (rc)
			return rc;
		if (!src->out.nrows)
			return ERR_OK;
		if (src->ndone == cap) {
			void *p = src->done;
			if (mem_grow(&p, &cap, src->ndone + 1, sizeof(struct batch)))
				return ERR_NOMEM;
			src->done = p;
		}
		src->done[src->ndone++] = src->out;
		memset(&src->out, 0, sizeof(src->out));
		if (batch_init(&src->out, src->m->schema->ncols + SCHEMA_INTERNAL_COLS, src->types))
			return ERR_NOMEM;
	}
}

/* First position in rows[lo, hi) whose ts >= t (rows sorted by ts). */
static uint32_t lower_bound_ts(const struct memtable *m, const uint32_t *rows, uint32_t lo,
			       uint32_t hi, int64_t t)
{
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (row_ts(m, rows[mid]) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* In tail mode: the start of the rows a last-row-per-series scan needs
 * from rows[0, n) (sorted): the last identity whose newest version is a
 * put, and everything after it (deletes that must still reach the merge);
 * 0 when every identity ends in a delete. */
static uint32_t tail_start(const struct memtable *m, const uint32_t *rows, uint32_t n)
{
	uint32_t e = n;
	while (e > 0) {
		int64_t t = row_ts(m, rows[e - 1]);
		uint32_t g = e - 1;
		while (g > 0 && row_ts(m, rows[g - 1]) == t)
			g--;
		if (row_op(m, rows[g]) != OP_DELETE)
			return g;
		e = g;
	}
	return 0;
}

/* rows[0, n) hold no two versions of one identity and no delete. */
static bool rows_unique(const struct memtable *m, const uint32_t *rows, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (row_op(m, rows[i]) == OP_DELETE)
			return false;
		if (i && row_ts(m, rows[i]) == row_ts(m, rows[i - 1]))
			return false;
	}
	return true;
}

static int add_seg(struct mt_source *src, size_t *cap, struct mt_seg g)
{
	if (src->nsegs == *cap) {
		void *p = src->segs;
		if (mem_grow(&p, cap, src->nsegs + 1, sizeof(struct mt_seg)))
			return ERR_NOMEM;
		src->segs = p;
	}
	src->segs[src->nsegs++] = g;
	return ERR_OK;
}

/* The selected rows of every indexed series, as segments. */
static int plan_segments(struct mt_source *src, const struct mt_index *ix, bool tail,
			 bool *unique)
{
	const struct memtable *m = src->m;
	const struct mt_filter *f = &src->f;
	size_t cap = 0;
	*unique = true;
	for (uint32_t p = 0; p < ix->nseries; p++) {
		uint32_t sid = ix->order[p];
		const struct series *se = &m->series[sid];
		if (!series_matches(m, se, f))
			continue;
		uint32_t lo = lower_bound_ts(m, se->srt, 0, se->srt_n, f->ts_lo);
		uint32_t hi = f->ts_hi == INT64_MAX
				  ? se->srt_n
				  : lower_bound_ts(m, se->srt, lo, se->srt_n, f->ts_hi + 1);
		if (lo >= hi)
			continue;
		struct mt_seg g = {sid, lo, hi - lo, false};
		bool all = se->min_seq > f->seq_lo && se->max_seq <= f->seq_hi && !f->nts_preds;
		if (!all) {
			/* pick the rows one by one */
			size_t need = src->own_len + (hi - lo);
			if (need > src->own_cap) {
				void *q = src->own_rows;
				if (mem_grow(&q, &src->own_cap, need, sizeof(uint32_t)))
					return ERR_NOMEM;
				src->own_rows = q;
			}
			g.own = true;
			g.from = (uint32_t)src->own_len;
			g.n = 0;
			for (uint32_t i = lo; i < hi; i++) {
				uint32_t r = se->srt[i];
				if (row_selected(f, row_ts(m, r), row_seq(m, r)))
					src->own_rows[src->own_len + g.n++] = r;
			}
			src->own_len += g.n;
			if (!g.n)
				continue;
		}
		const uint32_t *rows = (g.own ? src->own_rows : se->srt) + g.from;
		if (tail) {
			uint32_t t = tail_start(m, rows, g.n);
			g.from += t;
			g.n -= t;
			rows += t;
		}
		if (*unique && (se->ndel || se->ndup))
			*unique = rows_unique(m, rows, g.n);
		int rc = add_seg(src, &cap, g);
		if (rc)
			return rc;
	}
	return ERR_OK;
}

/* Row r passes predicate p on a field. */
static inline bool row_passes(const struct memtable *m, const struct scan_pred *p, uint32_t r)
{
	const struct colvec *v = &row_chunk(m, r)->cols[p->col];
	uint32_t off = r & MT_CHUNK_MASK;
	bool null = colvec_is_null(v, off);
	struct datum d;
	memset(&d, 0, sizeof(d));
	d.type = v->type;
	d.is_null = null;
	if (!null) {
		switch (dtype_phys(v->type)) {
		case PHYS_I64: d.v.i = v->i64[off]; break;
		case PHYS_F64: d.v.f = v->f64[off]; break;
		default: {
			uint32_t n;
			d.v.s.p = colvec_bytes(v, off, &n);
			d.v.s.n = n;
			break;
		}
		}
	}
	return pred_match_datum(p, &d);
}

/* Keep those of rows[0, n) (in place) that pass field predicate p;
 * returns how many. A comparison of a double column with a literal is
 * evaluated directly (pred_match_datum's rules: a null never passes). */
static uint32_t filter_rows(const struct memtable *m, const struct scan_pred *p, uint32_t *rows,
			    uint32_t n)
{
	uint32_t k = 0;
	bool cmp = p->op == PRED_EQ || p->op == PRED_NE || p->op == PRED_LT || p->op == PRED_LE ||
		   p->op == PRED_GT || p->op == PRED_GE;
	if (!cmp || dtype_phys(m->schema->cols[p->col].type) != PHYS_F64) {
		for (uint32_t i = 0; i < n; i++)
			if (row_passes(m, p, rows[i]))
				rows[k++] = rows[i];
		return k;
	}
	if (p->lit.is_null)
		return 0;
	double l = p->lit.v.f;
	for (uint32_t i = 0; i < n; i++) {
		const struct colvec *v = &row_chunk(m, rows[i])->cols[p->col];
		uint32_t off = rows[i] & MT_CHUNK_MASK;
		double x = v->f64[off];
		bool ok;
		switch (p->op) {
		case PRED_EQ: ok = x == l; break;
		case PRED_NE: ok = x != l; break;
		case PRED_LT: ok = x < l; break;
		case PRED_LE: ok = x <= l; break;
		case PRED_GT: ok = x > l; break;
		default: ok = x >= l; break;
		}
		if (ok && !colvec_is_null(v, off))
			rows[k++] = rows[i];
	}
	return k;
}

/* Keep, in every segment, only the rows passing req's field predicates
 * (valid once the rows are known unique: no older version to fall back
 * to), one predicate at a time. */
static int apply_field_preds(struct mt_source *src, const struct scan_request *req)
{
	const struct memtable *m = src->m;
	bool any = false;
	for (uint32_t k = 0; k < req->npreds && !any; k++)
		any = !pred_is_tag_or_ts(m->schema, &req->preds[k]);
	if (!any)
		return ERR_OK;
	size_t total = 0;
	for (uint32_t g = 0; g < src->nsegs; g++)
		total += src->segs[g].n;
	uint32_t *kept = mem_alloc((total ? total : 1) * sizeof(uint32_t));
	if (!kept)
		return ERR_NOMEM;
	size_t at = 0;
	uint32_t nsegs = 0;
	for (uint32_t g = 0; g < src->nsegs; g++) {
		struct mt_seg seg = src->segs[g];
		const uint32_t *rows =
			(seg.own ? src->own_rows : m->series[seg.sid].srt) + seg.from;
		memcpy(kept + at, rows, (size_t)seg.n * sizeof(uint32_t));
		uint32_t n = seg.n;
		for (uint32_t k = 0; k < req->npreds && n; k++)
			if (!pred_is_tag_or_ts(m->schema, &req->preds[k]))
				n = filter_rows(m, &req->preds[k], kept + at, n);
		if (n)
			src->segs[nsegs++] = (struct mt_seg){seg.sid, (uint32_t)at, n, true};
		at += n;
	}
	mem_free(src->own_rows);
	src->own_rows = kept;
	src->own_len = at;
	src->own_cap = total ? total : 1;
	src->nsegs = nsegs;
	return ERR_OK;
}

int memtable_scan_ex(struct memtable *m, const struct scan_request *req, uint64_t min_seq_excl,
		     uint64_t max_seq_incl, const struct memtable_scan_opts *o,
		     struct sorted_source **out, bool *unique)
{
	*out = NULL;
	bool uniq = true;
	const struct region_schema *s = m->schema;
	uint32_t ntot = s->ncols + SCHEMA_INTERNAL_COLS;
	int rc = ERR_NOMEM;
	struct mt_index *own_ix = NULL;
	struct mt_source *src = mem_calloc(1, sizeof(*src));
	if (!src)
		return ERR_NOMEM;
	src->m = m;
	src->base.next = m->state == MEMTABLE_FROZEN ? frozen_next : active_next;
	src->base.close = source_close;
	if ((rc = filter_init(m, req, min_seq_excl, max_seq_incl, &src->f)))
		goto fail;
	rc = ERR_NOMEM;
	src->types = mem_alloc(ntot * sizeof(enum dtype));
	if (!src->types)
		goto fail;
	region_schema_internal_types(s, src->types);
	if (batch_init(&src->out, ntot, src->types))
		goto fail;
	src->need = mem_calloc(s->ncols, sizeof(bool));
	src->phys = mem_alloc(s->ncols);
	if (!src->need || !src->phys)
		goto fail;
	for (uint32_t c = 0; c < s->ncols; c++)
		src->phys[c] = (uint8_t)dtype_phys(s->cols[c].type);
	for (uint32_t c = 0; c < s->ncols; c++)
		src->need[c] = !req || !req->projection || req->projection[c] || c == s->ts_col;
	if (req)
		for (uint32_t k = 0; k < req->npreds; k++)
			src->need[req->preds[k].col] = true;

	if (!src->f.empty) {
		const struct mt_index *ix;
		if (m->state == MEMTABLE_FROZEN) {
			rc = frozen_index(m, &ix);
		} else {
			rc = index_build(m, &src->f, &own_ix);
			ix = own_ix;
		}
		if (rc || (rc = plan_segments(src, ix, o && o->last_per_series, &uniq)))
			goto fail;
		if (req && o && (o->lean_if_unique || o->exclusive) && uniq &&
		    (rc = apply_field_preds(src, req)))
			goto fail;
	}
	src->lean = o && o->lean_if_unique && uniq;
	src->f.tag_preds = NULL; /* req is not referenced after open */
	src->f.ntag_preds = 0;
	if (m->state == MEMTABLE_ACTIVE) {
		if ((rc = materialise(src)))
			goto fail;
		batch_free(&src->out);
		mem_free(src->segs);
		src->segs = NULL;
		src->nsegs = 0;
	}
	index_free(own_ix);
	if (unique)
		*unique = uniq;
	*out = &src->base;
	return ERR_OK;
fail:
	index_free(own_ix);
	source_close(&src->base);
	return rc;
}

int memtable_scan(struct memtable *m, const struct scan_request *req, uint64_t min_seq_excl,
		  uint64_t max_seq_incl, struct sorted_source **out)
{
	return memtable_scan_ex(m, req, min_seq_excl, max_seq_incl, NULL, out, NULL);
}
