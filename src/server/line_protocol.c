/*
 * line_protocol: InfluxDB line protocol into per-measurement column
 * batches. See line_protocol.h for the accepted syntax, the output layout
 * and the error rules.
 *
 * How it stays fast: the body is validated as UTF-8 (and NUL-free) in one
 * word-at-a-time pass, then parsed in a single forward scan with byte-class
 * tables. Values go straight into the table's colvecs; only escaped text is
 * copied once through a reused scratch buffer. Names are looked up through
 * two caches before any hashing: the previous line's measurement (compared
 * byte for byte) and, per table, the previous line's key order (the key at
 * position k of this line is first compared with the key at position k of
 * the previous one). Columns a line does not mention are padded with NULLs
 * lazily, when the column is next written or when the parse ends.
 *
 * Fast paths (lp_batch.slow_path turns them off; tests compare both):
 *  - key hint: when the column at key position k of the previous line has a
 *    "plain" name (no byte a key scan stops at) and the text spells exactly
 *    that name followed by '=', the key is taken without scanning, hashing
 *    or unescaping (hint_key);
 *  - names and tag values are scanned eight bytes at a time (scan_stop);
 *  - an unquoted "-?digits(.digits)?" value of at most 18 digits is parsed
 *    in the same pass that finds its end, with the same arithmetic as
 *    parse_f64's exact branch (fast_float, SWAR digit conversion).
 * Anything else falls through to the plain path, which alone reports errors.
 */
#include "server/line_protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/utf8.h"
#include "base/mem.h"

/* ---- byte classes ------------------------------------------------------ */

enum {
	C_MEAS = 1, /* ends a measurement: , space tab \n */
	C_KEY = 2,  /* ends a tag key / field key: , = space tab \n */
	C_TVAL = 4, /* ends a tag value: , space tab \n */
	C_FVAL = 8, /* ends an unquoted field value / timestamp: , space tab \r \n */
	C_WS = 16,  /* separator whitespace: space tab */
	C_DIGIT = 32,
};

#define D_ALL (C_MEAS | C_KEY | C_TVAL | C_FVAL)
/* a backslash stops name scans so the scanner can skip the escaped byte */
#define ESC_STOP (C_MEAS | C_KEY | C_TVAL)
static const uint8_t cls[256] = {
    [','] = D_ALL,   ['\n'] = D_ALL,  [' '] = D_ALL | C_WS, ['\t'] = D_ALL | C_WS,
    ['='] = C_KEY,   ['\r'] = C_FVAL, ['\\'] = ESC_STOP,    ['0'] = C_DIGIT,
    ['1'] = C_DIGIT, ['2'] = C_DIGIT, ['3'] = C_DIGIT,      ['4'] = C_DIGIT,
    ['5'] = C_DIGIT, ['6'] = C_DIGIT, ['7'] = C_DIGIT,      ['8'] = C_DIGIT,
    ['9'] = C_DIGIT,
};

/* ---- private state ----------------------------------------------------- */

struct lp_table_int {
	uint32_t *slots; /* open addressing: column index + 1, 0 = empty */
	uint32_t nslots; /* power of two, > 2 * ncols */
	uint32_t cols_cap;
	uint32_t *hint; /* column indices of the previous line, in order */
	uint32_t hint_cap;
	uint64_t *first_line; /* line where each column first appeared */
	uint8_t *plain;       /* per column: the name has no byte a key scan stops at */
};

struct lp_state {
	struct arena *names;
	uint32_t *slots; /* measurement hash: table index + 1 */
	uint32_t nslots;
	uint32_t tables_cap;
	struct buf scratch; /* unescaped text */
	struct buf numtmp;  /* NUL-terminated copy of a long float */
	struct lp_table *last;
	const char *last_raw; /* previous line's measurement bytes (this call) */
	size_t last_raw_len;
};

/* One lp_parse call. */
struct cur {
	struct lp_batch *b;
	struct lp_state *st;
	const char *p, *end;
	uint64_t line;       /* physical line of p */
	uint64_t start_line; /* line where the current point starts */
	int64_t prec_mul;
	int64_t default_ts;
};

static int fail(struct cur *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct cur *c, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->b->err_line = c->start_line;
	return err_set(code, "line %llu: %s", (unsigned long long)c->start_line, msg);
}

/* ---- precision, clock --------------------------------------------------- */

static const int64_t prec_mul[] = {
    [LP_PREC_NS] = 1,
    [LP_PREC_US] = 1000,
    [LP_PREC_MS] = 1000000,
    [LP_PREC_S] = 1000000000,
    [LP_PREC_M] = 60LL * 1000000000,
    [LP_PREC_H] = 3600LL * 1000000000,
};

int lp_precision_parse(const char *s, enum lp_precision *out)
{
	static const struct {
		const char *name;
		enum lp_precision p;
	} names[] = {
	    {"n", LP_PREC_NS},  {"ns", LP_PREC_NS},       {"u", LP_PREC_US},
	    {"us", LP_PREC_US}, {"\xc2\xb5", LP_PREC_US}, {"ms", LP_PREC_MS},
	    {"s", LP_PREC_S},   {"m", LP_PREC_M},         {"h", LP_PREC_H},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name)) {
			*out = names[i].p;
			return ERR_OK;
		}
	return err_set(ERR_BAD_INPUT, "Invalid time precision: %.32s", s);
}

int64_t lp_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- batch lifecycle ------------------------------------------------------ */

void lp_batch_init(struct lp_batch *b)
{
	memset(b, 0, sizeof(*b));
}

static void table_free(struct lp_table *t)
{
	if (!t)
		return;
	batch_free(&t->rows);
	mem_free(t->cols);
	if (t->in) {
		mem_free(t->in->slots);
		mem_free(t->in->hint);
		mem_free(t->in->first_line);
		mem_free(t->in->plain);
		mem_free(t->in);
	}
	mem_free(t);
}

void lp_batch_free(struct lp_batch *b)
{
	for (uint32_t i = 0; i < b->ntables; i++)
		table_free(b->tables[i]);
	mem_free(b->tables);
	if (b->st) {
		if (b->st->names)
			arena_destroy(b->st->names);
		mem_free(b->st->slots);
		buf_free(&b->st->scratch);
		buf_free(&b->st->numtmp);
		mem_free(b->st);
	}
	memset(b, 0, sizeof(*b));
}

static int state_get(struct lp_batch *b)
{
	if (b->st)
		return ERR_OK;
	struct lp_state *st = mem_calloc(1, sizeof(*st));
	if (!st)
		return ERR_NOMEM;
	st->names = arena_create(16 * 1024);
	if (!st->names) {
		mem_free(st);
		return ERR_NOMEM;
	}
	buf_init(&st->scratch);
	buf_init(&st->numtmp);
	b->st = st;
	return ERR_OK;
}

const struct lp_table *lp_batch_find(const struct lp_batch *b, const char *name)
{
	size_t n = strlen(name);
	for (uint32_t i = 0; i < b->ntables; i++)
		if (b->tables[i]->name_len == n && !memcmp(b->tables[i]->name, name, n))
			return b->tables[i];
	return NULL;
}

int lp_table_col(const struct lp_table *t, const char *name)
{
	size_t n = strlen(name);
	for (uint32_t i = 0; i < t->ncols; i++)
		if (t->cols[i].name_len == n && !memcmp(t->cols[i].name, name, n))
			return (int)i;
	return -1;
}

/* ---- measurement and column interning ---------------------------------- */

static int rehash_tables(struct lp_batch *b)
{
	struct lp_state *st = b->st;
	uint32_t n = st->nslots ? st->nslots * 2 : 64;
	uint32_t *s = mem_calloc(n, sizeof(uint32_t));
	if (!s)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < b->ntables; i++) {
		uint32_t h =
		    (uint32_t)hash_bytes(b->tables[i]->name, b->tables[i]->name_len, 0) & (n - 1);
		while (s[h])
			h = (h + 1) & (n - 1);
		s[h] = i + 1;
	}
	mem_free(st->slots);
	st->slots = s;
	st->nslots = n;
	return ERR_OK;
}

static int find_table(struct cur *c, const char *name, size_t n, struct lp_table **out)
{
	struct lp_batch *b = c->b;
	struct lp_state *st = c->st;
	uint32_t h = (uint32_t)hash_bytes(name, n, 0);
	if (st->nslots) {
		for (uint32_t i = h & (st->nslots - 1);; i = (i + 1) & (st->nslots - 1)) {
			uint32_t s = st->slots[i];
			if (!s)
				break;
			struct lp_table *t = b->tables[s - 1];
			if (t->name_len == n && !memcmp(t->name, name, n)) {
				*out = t;
				return ERR_OK;
			}
		}
	}
	if (b->ntables >= LP_MAX_TABLES)
		return fail(c, ERR_LIMIT, "more than %d measurements in one request",
		            LP_MAX_TABLES);
	if (b->ntables == st->tables_cap) {
		size_t cap = st->tables_cap;
		void *p = b->tables;
		if (mem_grow(&p, &cap, (size_t)b->ntables + 1, sizeof(*b->tables)))
			return ERR_NOMEM;
		b->tables = p;
		st->tables_cap = (uint32_t)cap;
	}
	struct lp_table *t = mem_calloc(1, sizeof(*t));
	if (!t)
		return ERR_NOMEM;
	t->in = mem_calloc(1, sizeof(*t->in));
	char *nm = arena_strndup(st->names, name, n);
	if (!t->in || !nm) {
		table_free(t);
		return ERR_NOMEM;
	}
	t->name = nm;
	t->name_len = (uint32_t)n;
	t->ts_col = UINT32_MAX;
	b->tables[b->ntables++] = t;
	if ((uint64_t)b->ntables * 2 > st->nslots) {
		if (rehash_tables(b))
			return ERR_NOMEM;
	} else {
		uint32_t i = h & (st->nslots - 1);
		while (st->slots[i])
			i = (i + 1) & (st->nslots - 1);
		st->slots[i] = b->ntables;
	}
	*out = t;
	return ERR_OK;
}

static int rehash_cols(struct lp_table *t)
{
	struct lp_table_int *in = t->in;
	uint32_t n = in->nslots ? in->nslots * 2 : 32;
	uint32_t *s = mem_calloc(n, sizeof(uint32_t));
	if (!s)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < t->ncols; i++) {
		uint32_t h =
		    (uint32_t)hash_bytes(t->cols[i].name, t->cols[i].name_len, 0) & (n - 1);
		while (s[h])
			h = (h + 1) & (n - 1);
		s[h] = i + 1;
	}
	mem_free(in->slots);
	in->slots = s;
	in->nslots = n;
	return ERR_OK;
}

static int64_t col_lookup(const struct lp_table *t, const char *name, size_t n)
{
	const struct lp_table_int *in = t->in;
	if (!in->nslots)
		return -1;
	for (uint32_t i = (uint32_t)hash_bytes(name, n, 0) & (in->nslots - 1);;
	     i = (i + 1) & (in->nslots - 1)) {
		uint32_t s = in->slots[i];
		if (!s)
			return -1;
		const struct lp_column *col = &t->cols[s - 1];
		if (col->name_len == n && !memcmp(col->name, name, n))
			return s - 1;
	}
}

static int add_col(struct cur *c, struct lp_table *t, const char *name, size_t n,
                   enum lp_col_kind kind, enum dtype type, uint32_t *out)
{
	struct lp_table_int *in = t->in;
	if (t->ncols >= LP_MAX_COLUMNS)
		return fail(c, ERR_LIMIT, "measurement \"%.64s\" has more than %d columns", t->name,
		            LP_MAX_COLUMNS);
	if (t->ncols == in->cols_cap) {
		uint32_t cap = in->cols_cap ? in->cols_cap * 2 : 8;
		void *a = mem_realloc(t->cols, (size_t)cap * sizeof(*t->cols));
		if (!a)
			return ERR_NOMEM;
		t->cols = a;
		void *v = mem_realloc(t->rows.cols, (size_t)cap * sizeof(*t->rows.cols));
		if (!v)
			return ERR_NOMEM;
		t->rows.cols = v;
		void *f = mem_realloc(in->first_line, (size_t)cap * sizeof(uint64_t));
		if (!f)
			return ERR_NOMEM;
		in->first_line = f;
		void *pl = mem_realloc(in->plain, cap);
		if (!pl)
			return ERR_NOMEM;
		in->plain = pl;
		in->cols_cap = cap;
	}
	char *nm = arena_strndup(c->st->names, name, n);
	if (!nm)
		return ERR_NOMEM;
	uint32_t i = t->ncols;
	t->cols[i] =
	    (struct lp_column){.name = nm, .name_len = (uint32_t)n, .kind = kind, .type = type};
	colvec_init(&t->rows.cols[i], type);
	in->first_line[i] = c->start_line;
	in->plain[i] = 1;
	for (size_t k = 0; k < n; k++)
		if (cls[(uint8_t)name[k]] & C_KEY)
			in->plain[i] = 0;
	t->ncols++;
	t->rows.ncols = t->ncols;
	if ((uint64_t)t->ncols * 2 > in->nslots) {
		if (rehash_cols(t))
			return ERR_NOMEM;
	} else {
		uint32_t h = (uint32_t)hash_bytes(name, n, 0) & (in->nslots - 1);
		while (in->slots[h])
			h = (h + 1) & (in->nslots - 1);
		in->slots[h] = i + 1;
	}
	*out = i;
	return ERR_OK;
}

static const char *kind_name(enum lp_col_kind k)
{
	return k == LP_TAG ? "tag" : k == LP_FIELD ? "field" : "time index";
}

/* Resolve key `name` (unescaped) at position `pos` of the current line to a
 * column of kind `kind` and type `type`, creating it on first use. */
static int resolve_col(struct cur *c, struct lp_table *t, const char *name, size_t n, uint32_t pos,
                       enum lp_col_kind kind, enum dtype type, uint32_t *out)
{
	struct lp_table_int *in = t->in;
	int64_t ci = -1;
	if (pos < in->hint_cap && in->hint[pos] < t->ncols) {
		const struct lp_column *h = &t->cols[in->hint[pos]];
		if (h->name_len == n && !memcmp(h->name, name, n))
			ci = in->hint[pos];
	}
	if (ci < 0)
		ci = col_lookup(t, name, n);
	if ((ci < 0 || t->cols[ci].kind == LP_TIMESTAMP) && n == sizeof(LP_TS_COLUMN) - 1 &&
	    !memcmp(name, LP_TS_COLUMN, n))
		return fail(c, ERR_BAD_INPUT, "%s key \"%s\" is reserved for the time index",
		            kind_name(kind), LP_TS_COLUMN);
	if (ci < 0) {
		uint32_t ni;
		int rc = add_col(c, t, name, n, kind, type, &ni);
		if (rc)
			return rc;
		ci = ni;
	} else {
		const struct lp_column *col = &t->cols[ci];
		if (col->kind != kind)
			return fail(
			    c, ERR_BAD_INPUT,
			    "\"%.64s\" is a %s of measurement \"%.64s\" here but a %s in line %llu",
			    col->name, kind_name(kind), t->name, kind_name(col->kind),
			    (unsigned long long)in->first_line[ci]);
		if (col->type != type)
			return fail(c, ERR_BAD_INPUT,
			            "field \"%.64s\" of measurement \"%.64s\" is %s here but %s in "
			            "line %llu",
			            col->name, t->name, dtype_name(type), dtype_name(col->type),
			            (unsigned long long)in->first_line[ci]);
	}
	if (pos >= in->hint_cap) {
		uint32_t cap = in->hint_cap ? in->hint_cap * 2 : 16;
		while (cap <= pos)
			cap *= 2;
		uint32_t *h = mem_realloc(in->hint, (size_t)cap * sizeof(uint32_t));
		if (!h)
			return ERR_NOMEM;
		for (uint32_t i = in->hint_cap; i < cap; i++)
			h[i] = UINT32_MAX;
		in->hint = h;
		in->hint_cap = cap;
	}
	in->hint[pos] = (uint32_t)ci;
	*out = (uint32_t)ci;
	return ERR_OK;
}

/* Column ci of t, padded with NULLs up to the current row; a column that
 * already has a value for this row means the key repeats in the line. */
static int col_for_row(struct cur *c, struct lp_table *t, uint32_t ci, struct colvec **out)
{
	struct colvec *v = &t->rows.cols[ci];
	uint32_t row = t->rows.nrows;
	if (v->len > row)
		return fail(c, ERR_BAD_INPUT, "duplicate %s key \"%.64s\"",
		            kind_name(t->cols[ci].kind), t->cols[ci].name);
	while (v->len < row)
		if (colvec_push_null(v))
			return ERR_NOMEM;
	*out = v;
	return ERR_OK;
}

/* ---- scanning helpers --------------------------------------------------- */

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* High bit set in the lowest byte of x that is zero (bytes above it may be
 * flagged too: only the lowest flag is exact). */
static inline uint64_t zero_bytes(uint64_t x)
{
	return (x - ONES) & ~x & HIGHS;
}

/* First byte at or after p of class `stop` (C_MEAS, C_TVAL: , space tab
 * \n backslash; C_KEY: those and =), or end. Eight bytes at a time while
 * eight remain; the lowest flagged byte of the OR of the masks is the
 * first match, the same byte the class-table loop stops at. */
static inline const char *scan_stop(const char *p, const char *end, int stop, bool slow)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (!slow) {
		const uint64_t eq = stop == C_KEY ? ONES * '=' : ONES * ',';
		while (end - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			uint64_t m = zero_bytes(w ^ (ONES * ',')) | zero_bytes(w ^ (ONES * ' ')) |
			             zero_bytes(w ^ (ONES * '\t')) | zero_bytes(w ^ (ONES * '\n')) |
			             zero_bytes(w ^ (ONES * '\\')) | zero_bytes(w ^ eq);
			if (m)
				return p + (__builtin_ctzll(m) >> 3);
			p += 8;
		}
	}
#else
	(void)slow;
#endif
	while (p < end && !(cls[(uint8_t)*p] & stop))
		p++;
	return p;
}

/* Scan a name or tag value starting at c->p up to a byte of class `stop`;
 * a backslash escapes the following byte. Sets *esc when any backslash was
 * seen. */
static int scan_name(struct cur *c, int stop, const char **end_out, int *esc)
{
	const char *p = c->p, *end = c->end;
	bool slow = c->b->slow_path;
	*esc = 0;
	for (;;) {
		p = scan_stop(p, end, stop, slow);
		if (p < end && *p == '\\') {
			if (p + 1 >= end || p[1] == '\n')
				return fail(c, ERR_BAD_INPUT,
				            "measurements, tag keys and values, and field keys may "
				            "not end with a backslash");
			*esc = 1;
			p += 2;
			continue;
		}
		break;
	}
	*end_out = p;
	return ERR_OK;
}

/* Unescape [s, s+n) into the scratch buffer: "\X" becomes X when X is in
 * `set`, any other backslash stays. */
static int unescape(struct cur *c, const char *s, size_t n, const char *set, const char **out,
                    size_t *out_n)
{
	struct buf *sc = &c->st->scratch;
	buf_reset(sc);
	if (buf_reserve(sc, n))
		return ERR_NOMEM;
	char *d = (char *)sc->data;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && strchr(set, s[i + 1])) {
			d[k++] = s[++i];
			continue;
		}
		d[k++] = s[i];
	}
	sc->len = k;
	*out = d;
	*out_n = k;
	return ERR_OK;
}

#define MEAS_ESC ", \\"
#define KEY_ESC  ",= \\"

static void skip_ws(struct cur *c)
{
	while (c->p < c->end && (cls[(uint8_t)*c->p] & C_WS))
		c->p++;
}

static int at_line_end(const struct cur *c)
{
	return c->p >= c->end || *c->p == '\n';
}

/* ---- numbers ------------------------------------------------------------ */

static int parse_i64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (i == n)
		return -1;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (!(cls[(uint8_t)s[i]] & C_DIGIT))
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -2;
		*out = (int64_t)(0 - v);
	} else {
		if (v > (uint64_t)INT64_MAX)
			return -2;
		*out = (int64_t)v;
	}
	return 0;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	if (n == 0)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(cls[(uint8_t)s[i]] & C_DIGIT))
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static const double pow10_tab[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Float grammar: -?(digits(.digits?)?|.digits)([eE][+-]?digits)?. Values
 * with at most 19 significant digits, mantissa <= 2^53 and a decimal
 * exponent within +-22 are computed exactly with one IEEE operation
 * (Clinger's fast path); the rest go through strtod. -1 syntax, -2 range. */
static int parse_f64(struct cur *c, const char *s, size_t n, double *out)
{
	size_t i = 0;
	int neg = 0, ndig = 0, many = 0;
	uint64_t mant = 0;
	int64_t e10 = 0;
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n && (cls[(uint8_t)s[i]] & C_DIGIT); i++, ndig++) {
		if (mant < 1000000000000000000ULL)
			mant = mant * 10 + (unsigned)(s[i] - '0');
		else {
			many = 1;
			e10++;
		}
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && (cls[(uint8_t)s[i]] & C_DIGIT); i++, ndig++) {
			if (mant < 1000000000000000000ULL) {
				mant = mant * 10 + (unsigned)(s[i] - '0');
				e10--;
			} else
				many = 1;
		}
	}
	if (ndig == 0)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		int eneg = 0;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i == n)
			return -1;
		int64_t ev = 0;
		for (; i < n; i++) {
			if (!(cls[(uint8_t)s[i]] & C_DIGIT))
				return -1;
			if (ev < 100000)
				ev = ev * 10 + (s[i] - '0');
		}
		e10 += eneg ? -ev : ev;
	}
	if (i != n)
		return -1;
	double d;
	if (!many && mant <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
		d = (double)mant;
		d = e10 < 0 ? d / pow10_tab[-e10] : d * pow10_tab[e10];
		if (neg)
			d = -d;
	} else {
		struct buf *t = &c->st->numtmp;
		buf_reset(t);
		if (buf_append(t, s, n) || !buf_cstr(t))
			return -3;
		d = strtod((const char *)t->data, NULL);
	}
	if (d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
		return -2;
	*out = d;
	return 0;
}

static int parse_bool(const char *s, size_t n, int64_t *out)
{
	switch (n) {
	case 1:
		if (*s == 't' || *s == 'T')
			return *out = 1, 0;
		if (*s == 'f' || *s == 'F')
			return *out = 0, 0;
		return -1;
	case 4:
		if (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4))
			return *out = 1, 0;
		return -1;
	case 5:
		if (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5))
			return *out = 0, 0;
		return -1;
	default:
		return -1;
	}
}

/* ---- one point ----------------------------------------------------------- */

/* Key fast path: the column the previous line of t had at key position
 * pos, when the text at c->p is exactly its name followed by '='. The name
 * holds no byte a key scan stops at (no separator, no backslash), so
 * scan_name would end the key at that '=' with nothing to unescape and
 * resolve_col would find this same column (kind checked here; a field's
 * type is checked by the caller). Returns the column or -1 (slow path). */
static inline int64_t hint_key(const struct cur *c, const struct lp_table *t, uint32_t pos,
                               enum lp_col_kind kind)
{
	const struct lp_table_int *in = t->in;
	if (pos >= in->hint_cap || c->b->slow_path)
		return -1;
	uint32_t ci = in->hint[pos];
	if (ci >= t->ncols || !in->plain[ci])
		return -1;
	const struct lp_column *col = &t->cols[ci];
	size_t n = col->name_len;
	if (col->kind != kind || (size_t)(c->end - c->p) <= n || c->p[n] != '=' ||
	    !mem_eq_short(c->p, col->name, n))
		return -1;
	return ci;
}

/* The key of the next tag or field (kind LP_TAG / LP_FIELD) at c->p, and
 * c->p past its '='. *hit >= 0: the line repeats the previous line's key
 * at this position (hint_key) and *hit is its column. Otherwise the key
 * is scanned as written (*kesc: it holds escapes, undone by finish_key). */
static int parse_key(struct cur *c, const struct lp_table *t, uint32_t pos, int kind,
		     const char **k, size_t *kn, int *kesc, int64_t *hit)
{
	const char *what = kind == LP_TAG ? "tag" : "field";
	*kesc = 0;
	*hit = hint_key(c, t, pos, kind);
	if (*hit >= 0) {
		*k = c->p;
		*kn = t->cols[*hit].name_len;
		c->p += *kn + 1;
		return 0;
	}
	const char *kend;
	int rc = scan_name(c, C_KEY, &kend, kesc);
	if (rc)
		return rc;
	*k = c->p;
	*kn = (size_t)(kend - *k);
	if (*kn == 0)
		return fail(c, ERR_BAD_INPUT, "missing %s key", what);
	if (kend >= c->end || *kend != '=')
		return fail(c, ERR_BAD_INPUT, "missing %s value for %s key \"%.*s\"", what, what,
			    (int)(*kn > 64 ? 64 : *kn), *k);
	c->p = kend + 1;
	return 0;
}

/* A scanned key (not the hint's) made ready for resolve_col: escapes
 * undone (into scratch), its length checked. */
static int finish_key(struct cur *c, int kind, int kesc, const char **k, size_t *kn)
{
	int rc;
	if (kesc && (rc = unescape(c, *k, *kn, KEY_ESC, k, kn)))
		return rc;
	if (*kn > LP_MAX_NAME)
		return fail(c, ERR_LIMIT, "%s key longer than %d bytes",
			    kind == LP_TAG ? "tag" : "field", LP_MAX_NAME);
	return 0;
}

static int parse_tags(struct cur *c, struct lp_table *t, uint32_t *pos)
{
	while (c->p < c->end && *c->p == ',') {
		c->p++;
		const char *vend, *k, *v;
		size_t kn, vn;
		int kesc, vesc, rc;
		uint32_t ci = 0;
		int64_t hit;
		if ((rc = parse_key(c, t, *pos, LP_TAG, &k, &kn, &kesc, &hit)))
			return rc;
		if (hit >= 0)
			ci = (uint32_t)hit;
		if ((rc = scan_name(c, C_TVAL, &vend, &vesc)))
			return rc;
		v = c->p;
		vn = (size_t)(vend - v);
		if (vn == 0)
			return fail(c, ERR_BAD_INPUT, "missing tag value for tag key \"%.*s\"",
			            (int)(kn > 64 ? 64 : kn), k);
		c->p = vend;
		if (hit >= 0) {
			(*pos)++;
		} else {
			if ((rc = finish_key(c, LP_TAG, kesc, &k, &kn)) ||
			    (rc = resolve_col(c, t, k, kn, (*pos)++, LP_TAG, DT_STRING, &ci)))
				return rc;
		}
		struct colvec *col;
		if ((rc = col_for_row(c, t, ci, &col)))
			return rc;
		if (vesc && (rc = unescape(c, v, vn, KEY_ESC, &v, &vn)))
			return rc;
		rc = colvec_push_bytes(col, v, vn);
		if (rc)
			return rc == ERR_LIMIT ? fail(c, ERR_LIMIT, "tag column exceeds 4 GiB")
			                       : ERR_NOMEM;
	}
	return ERR_OK;
}

/* A quoted string starting at c->p (the opening quote). */
static int parse_string(struct cur *c, const char **s, size_t *n, int *esc)
{
	const char *p = c->p + 1, *end = c->end;
	*esc = 0;
	for (;;) {
		const char *q = p;
		while (q < end && *q != '"' && *q != '\\' && *q != '\n')
			q++;
		if (q >= end)
			return fail(c, ERR_BAD_INPUT, "unterminated string field value");
		if (*q == '"') {
			*s = c->p + 1;
			*n = (size_t)(q - *s);
			c->p = q + 1;
			return ERR_OK;
		}
		if (*q == '\n') {
			c->line++;
			p = q + 1;
			continue;
		}
		/* backslash: it escapes the next byte from ending the string */
		*esc = 1;
		if (q + 1 >= end)
			return fail(c, ERR_BAD_INPUT, "unterminated string field value");
		if (q[1] == '\n')
			c->line++;
		p = q + 2;
	}
}

static const uint64_t pow10_u64[] = {
    1ULL,         10ULL,         100ULL,         1000ULL,         10000ULL,
    100000ULL,    1000000ULL,    10000000ULL,    100000000ULL,
};

/* Value of the k (0..8) decimal digits in the low k bytes of x (digit
 * values 0..9, the first digit in the lowest byte): moved to the top bytes
 * (leading zeros below) and combined pairwise, then in fours, then eights. */
static inline uint64_t swar_digits(uint64_t x, unsigned k)
{
	if (k == 0)
		return 0;
	x <<= 8 * (8 - k);
	x = (x * 2561) >> 8 & 0x00ff00ff00ff00ffULL;
	x = (x * 6553601) >> 16 & 0x0000ffff0000ffffULL;
	return (x * 42949672960001ULL) >> 32;
}

/* Non-digit bytes of w flagged (high bit); the lowest flag is exact. x =
 * w ^ '0' holds 0..9 in digit bytes; x + 0x76 reaches 0x80 exactly when
 * x >= 10, and a carry out of a byte only flags bytes above a flagged one. */
static inline uint64_t nondigits(uint64_t w, uint64_t *x)
{
	*x = w ^ (ONES * '0');
	return ((*x + ONES * 0x76) | *x) & HIGHS;
}

/* Float fast path: an unquoted value "-?digits(.digits)?" of at most 18
 * digits, mantissa <= 2^53, ending at a field-value terminator. It is what
 * the slow path would scan, type (first byte not t/f, last byte not i/u)
 * and compute: parse_f64 accumulates the same mantissa and exponent and
 * takes its Clinger branch, whose one IEEE division (or none) is done here
 * the same way. On success sets *out, advances c->p and returns true; false
 * leaves c->p alone (the slow path decides). With 17 bytes left the digit
 * runs (up to 7 each) are found and converted eight bytes at a time. */
static inline bool fast_float(struct cur *c, double *out)
{
	const char *q = c->p, *end = c->end;
	bool neg = false;
	if (q < end && *q == '-') {
		neg = true;
		q++;
	}
	uint64_t mant = 0;
	int nd = 0, frac = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (end - q >= 16) {
		uint64_t w, x, x2 = 0;
		memcpy(&w, q, 8);
		uint64_t m = nondigits(w, &x);
		if (!m)
			return false; /* 8+ integer digits: rare, slow path */
		unsigned ni = (unsigned)__builtin_ctzll(m) >> 3, nf = 0;
		const char *r = q + ni;
		if (*r == '.') {
			memcpy(&w, r + 1, 8);
			uint64_t m2 = nondigits(w, &x2);
			if (!m2)
				return false;
			nf = (unsigned)__builtin_ctzll(m2) >> 3;
			r += 1 + nf;
		}
		if (ni + nf == 0 || !(cls[(uint8_t)*r] & C_FVAL))
			return false;
		mant = swar_digits(x, ni) * pow10_u64[nf] + swar_digits(x2, nf);
		double d = (double)mant;
		if (nf)
			d = d / pow10_tab[nf];
		*out = neg ? -d : d;
		c->p = r;
		return true;
	}
#endif
	while (q < end && (unsigned)(*q - '0') < 10) {
		mant = mant * 10 + (unsigned)(*q - '0');
		q++;
		nd++;
	}
	if (q < end && *q == '.') {
		q++;
		while (q < end && (unsigned)(*q - '0') < 10) {
			mant = mant * 10 + (unsigned)(*q - '0');
			q++;
			nd++;
			frac++;
		}
	}
	if (nd == 0 || nd > 18 || mant > (1ULL << 53) ||
	    (q < end && !(cls[(uint8_t)*q] & C_FVAL)))
		return false;
	double d = (double)mant;
	if (frac)
		d = d / pow10_tab[frac];
	*out = neg ? -d : d;
	c->p = q;
	return true;
}

static int parse_fields(struct cur *c, struct lp_table *t, uint32_t *pos)
{
	for (;;) {
		const char *k;
		size_t kn;
		int kesc, rc;
		int64_t hit;
		if ((rc = parse_key(c, t, *pos, LP_FIELD, &k, &kn, &kesc, &hit)))
			return rc;
		/* an unescaped key lives in scratch until resolve_col has
		 * interned it; the value is unescaped only after that */
		if (hit < 0 && (rc = finish_key(c, LP_FIELD, kesc, &k, &kn)))
			return rc;
		const char *v = c->p;
		size_t vn;
		enum dtype type;
		int64_t iv = 0;
		double fv = 0;
		int vesc = 0;
		if (!c->b->slow_path && fast_float(c, &fv)) {
			type = DT_FLOAT64;
		} else if (v < c->end && *v == '"') {
			if ((rc = parse_string(c, &v, &vn, &vesc)))
				return rc;
			if (c->p < c->end && !(cls[(uint8_t)*c->p] & C_FVAL))
				return fail(c, ERR_BAD_INPUT,
				            "unexpected text after string field value");
			type = DT_STRING;
		} else {
			const char *e = v;
			while (e < c->end && !(cls[(uint8_t)*e] & C_FVAL))
				e++;
			vn = (size_t)(e - v);
			c->p = e;
			if (vn == 0)
				return fail(c, ERR_BAD_INPUT,
				            "missing field value for field key \"%.*s\"",
				            (int)(kn > 64 ? 64 : kn), k);
			char last = v[vn - 1];
			char first = v[0];
			int r;
			if (first == 't' || first == 'T' || first == 'f' || first == 'F') {
				if (parse_bool(v, vn, &iv))
					return fail(c, ERR_BAD_INPUT,
					            "invalid boolean field value \"%.*s\"",
					            (int)(vn > 64 ? 64 : vn), v);
				type = DT_BOOL;
			} else if (last == 'i') {
				if ((r = parse_i64(v, vn - 1, &iv)))
					return fail(c, ERR_BAD_INPUT,
					            "%s integer field value \"%.*s\"",
					            r == -2 ? "out of range" : "invalid",
					            (int)(vn > 64 ? 64 : vn), v);
				type = DT_INT64;
			} else if (last == 'u') {
				uint64_t u;
				if ((r = parse_u64(v, vn - 1, &u)))
					return fail(c, ERR_BAD_INPUT,
					            "%s unsigned field value \"%.*s\"",
					            r == -2 ? "out of range" : "invalid",
					            (int)(vn > 64 ? 64 : vn), v);
				iv = (int64_t)u;
				type = DT_UINT64;
			} else {
				if ((r = parse_f64(c, v, vn, &fv))) {
					if (r == -3)
						return ERR_NOMEM;
					return fail(c, ERR_BAD_INPUT,
					            "%s float field value \"%.*s\"",
					            r == -2 ? "out of range" : "invalid",
					            (int)(vn > 64 ? 64 : vn), v);
				}
				type = DT_FLOAT64;
			}
		}
		uint32_t ci;
		struct colvec *col;
		if (hit >= 0 && t->cols[hit].type == type) {
			ci = (uint32_t)hit;
			(*pos)++;
		} else if ((rc = resolve_col(c, t, k, kn, (*pos)++, LP_FIELD, type, &ci))) {
			return rc;
		}
		if ((rc = col_for_row(c, t, ci, &col)))
			return rc;
		if (type == DT_STRING) {
			if (vesc && (rc = unescape(c, v, vn, "\"\\", &v, &vn)))
				return rc;
			rc = colvec_push_bytes(col, v, vn);
			if (rc)
				return rc == ERR_LIMIT
				           ? fail(c, ERR_LIMIT, "string column exceeds 4 GiB")
				           : ERR_NOMEM;
		} else if (type == DT_FLOAT64) {
			if (colvec_push_f64(col, fv))
				return ERR_NOMEM;
		} else if (colvec_push_i64(col, iv)) {
			return ERR_NOMEM;
		}
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		return ERR_OK;
	}
}

static int parse_timestamp(struct cur *c, int64_t *ts)
{
	/* spaces, tabs and a CR may separate the fields from the timestamp */
	while (c->p < c->end && ((cls[(uint8_t)*c->p] & C_WS) || *c->p == '\r'))
		c->p++;
	if (at_line_end(c)) {
		*ts = c->default_ts;
		return ERR_OK;
	}
	const char *s = c->p, *e = s;
	while (e < c->end && !(cls[(uint8_t)*e] & C_FVAL))
		e++;
	size_t n = (size_t)(e - s);
	c->p = e;
	if (n == 0 || (e < c->end && *e == ','))
		return fail(c, ERR_BAD_INPUT, "invalid timestamp");
	int64_t v;
	int r = parse_i64(s, n, &v);
	if (r)
		return fail(c, ERR_BAD_INPUT, "%s timestamp \"%.*s\"",
		            r == -2 ? "out of range" : "invalid", (int)(n > 64 ? 64 : n), s);
	if (__builtin_mul_overflow(v, c->prec_mul, ts))
		return fail(c, ERR_BAD_INPUT, "timestamp \"%.*s\" out of range at this precision",
		            (int)(n > 64 ? 64 : n), s);
	while (c->p < c->end && ((cls[(uint8_t)*c->p] & C_WS) || *c->p == '\r'))
		c->p++;
	if (!at_line_end(c))
		return fail(c, ERR_BAD_INPUT, "unexpected text after timestamp");
	return ERR_OK;
}

static int parse_point(struct cur *c)
{
	struct lp_state *st = c->st;
	const char *mend;
	int esc, rc;
	if (*c->p == ',')
		return fail(c, ERR_BAD_INPUT, "missing measurement");
	if ((rc = scan_name(c, C_MEAS, &mend, &esc)))
		return rc;
	const char *raw = c->p;
	size_t raw_n = (size_t)(mend - raw);
	c->p = mend;
	struct lp_table *t = NULL;
	if (st->last && raw_n == st->last_raw_len && !memcmp(raw, st->last_raw, raw_n)) {
		t = st->last;
	} else {
		const char *m = raw;
		size_t mn = raw_n;
		if (esc && (rc = unescape(c, raw, raw_n, MEAS_ESC, &m, &mn)))
			return rc;
		if (mn > LP_MAX_NAME)
			return fail(c, ERR_LIMIT, "measurement longer than %d bytes", LP_MAX_NAME);
		if ((rc = find_table(c, m, mn, &t)))
			return rc;
		st->last = t;
		st->last_raw = raw;
		st->last_raw_len = raw_n;
	}
	uint32_t pos = 0;
	if ((rc = parse_tags(c, t, &pos)))
		return rc;
	if (c->p >= c->end || !(cls[(uint8_t)*c->p] & C_WS))
		return fail(c, ERR_BAD_INPUT, "missing fields");
	skip_ws(c);
	if (at_line_end(c) || *c->p == '\r')
		return fail(c, ERR_BAD_INPUT, "missing fields");
	if ((rc = parse_fields(c, t, &pos)))
		return rc;
	if (c->p < c->end && !(cls[(uint8_t)*c->p] & C_WS) && *c->p != '\r' && *c->p != '\n')
		return fail(c, ERR_BAD_INPUT, "invalid field format");
	int64_t ts = 0;
	if ((rc = parse_timestamp(c, &ts)))
		return rc;
	if (t->ts_col == UINT32_MAX) {
		uint32_t ci;
		if ((rc = add_col(c, t, LP_TS_COLUMN, sizeof(LP_TS_COLUMN) - 1, LP_TIMESTAMP,
		                  LP_TS_TYPE, &ci)))
			return rc;
		t->ts_col = ci;
	}
	struct colvec *tv;
	if ((rc = col_for_row(c, t, t->ts_col, &tv)))
		return rc;
	if (colvec_push_i64(tv, ts))
		return ERR_NOMEM;
	t->rows.nrows++;
	c->b->nrows++;
	return ERR_OK;
}

/* ---- UTF-8 / NUL check ---------------------------------------------------- */

/* Offset of the first NUL byte or invalid UTF-8 sequence, or len. */
static size_t utf8_check(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			uint64_t hi = w & 0x8080808080808080ULL;
			uint64_t zero = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
			if (!hi && !zero) {
				i += 8;
				continue;
			}
		}
		uint8_t b0 = s[i];
		if (b0 == 0)
			return i;
		if (b0 < 0x80) {
			i++;
			continue;
		}
		size_t l = utf8_seq_len(s + i, len - i);
		if (l == 0)
			return i;
		i += l;
	}
	return len;
}

/* ---- entry point ------------------------------------------------------------ */

int lp_parse(struct lp_batch *b, const char *text, size_t len, enum lp_precision prec,
             int64_t now_ns)
{
	int rc;
	b->err_line = 0;
	if ((unsigned)prec > LP_PREC_H)
		return err_set(ERR_BAD_INPUT, "invalid precision");
	if ((rc = state_get(b)))
		return rc;
	struct cur c = {
	    .b = b,
	    .st = b->st,
	    .p = text,
	    .end = text + len,
	    .line = 1,
	    .prec_mul = prec_mul[prec],
	};
	c.default_ts = now_ns - now_ns % c.prec_mul;
	if (now_ns < 0 && now_ns % c.prec_mul)
		c.default_ts -= c.prec_mul;
	c.st->last = NULL;
	c.st->last_raw = NULL;
	c.st->last_raw_len = 0;

	size_t bad = utf8_check((const uint8_t *)text, len);
	if (bad < len) {
		c.start_line = 1;
		for (const char *q = text; (q = memchr(q, '\n', (size_t)(text + bad - q))); q++)
			c.start_line++;
		return fail(&c, ERR_BAD_INPUT, text[bad] ? "invalid UTF-8" : "NUL byte");
	}

	while (c.p < c.end) {
		while (c.p < c.end && ((cls[(uint8_t)*c.p] & C_WS) || *c.p == '\r'))
			c.p++;
		if (c.p >= c.end)
			break;
		if (*c.p == '\n') {
			c.p++;
			c.line++;
			continue;
		}
		if (*c.p == '#') {
			const char *nl = memchr(c.p, '\n', (size_t)(c.end - c.p));
			c.p = nl ? nl : c.end;
			continue;
		}
		c.start_line = c.line;
		if ((rc = parse_point(&c))) {
			if (rc == ERR_NOMEM && !b->err_line) {
				b->err_line = c.start_line;
				err_set(ERR_NOMEM, "line %llu: out of memory",
				        (unsigned long long)c.start_line);
			}
			return rc;
		}
	}

	/* pad the columns a table's last lines did not mention */
	for (uint32_t i = 0; i < b->ntables; i++) {
		struct lp_table *t = b->tables[i];
		for (uint32_t k = 0; k < t->ncols; k++) {
			struct colvec *v = &t->rows.cols[k];
			while (v->len < t->rows.nrows)
				if (colvec_push_null(v))
					return ERR_NOMEM;
		}
	}
	return ERR_OK;
}
