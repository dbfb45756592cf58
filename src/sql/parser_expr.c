/*
 * parser_expr: expressions and data types.
 *
 * Precedence climbing. Levels, loosest first (an operator at level L
 * takes a right operand parsed at level L, so binary operators associate
 * to the left):
 *    1  OR            2  XOR           3  AND           4  NOT (prefix)
 *    5  = == <> != < <= > >= <=> IS [NOT] IN/LIKE/ILIKE/BETWEEN, ~ regex
 *    6  | ||          7  ^             8  &             9  << >>
 *   10  + -          11  * / % DIV MOD 12  unary - + ~   13  :: [ ] -> ->>
 * Every nested expression passes through p_expr_prec, which counts depth,
 * so hostile input ("((((((...", "- - - - ...") stops at SQL_MAX_DEPTH.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/datatype.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/parser.h"
#include "sql/parser_int.h"

enum {
	PREC_OR = 1,
	PREC_XOR = 2,
	PREC_AND = 3,
	PREC_NOT = 4,
	PREC_CMP = 5,
	PREC_PIPE = 6,
	PREC_CARET = 7,
	PREC_AMP = 8,
	PREC_SHIFT = 9,
	PREC_ADD = 10,
	PREC_MUL = 11,
	PREC_UNARY = 12,
	PREC_POSTFIX = 13,
};

static struct sql_expr *new_expr(struct parser *p, int kind, uint32_t off)
{
	struct sql_expr *e = sql_expr_new(p->a, kind, off);
	if (!e)
		p_nomem(p);
	return e;
}

/* ---- types ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int kind;
	int dtype;
} type_names[] = {
	{"string", SQL_TYPE_DTYPE, DT_STRING},
	{"text", SQL_TYPE_DTYPE, DT_STRING},
	{"tinytext", SQL_TYPE_DTYPE, DT_STRING},
	{"mediumtext", SQL_TYPE_DTYPE, DT_STRING},
	{"longtext", SQL_TYPE_DTYPE, DT_STRING},
	{"varchar", SQL_TYPE_DTYPE, DT_STRING},
	{"nvarchar", SQL_TYPE_DTYPE, DT_STRING},
	{"char", SQL_TYPE_DTYPE, DT_STRING},
	{"character", SQL_TYPE_DTYPE, DT_STRING},
	{"bpchar", SQL_TYPE_DTYPE, DT_STRING},
	{"binary", SQL_TYPE_DTYPE, DT_BINARY},
	{"varbinary", SQL_TYPE_DTYPE, DT_BINARY},
	{"bytea", SQL_TYPE_DTYPE, DT_BINARY},
	{"blob", SQL_TYPE_DTYPE, DT_BINARY},
	{"tinyblob", SQL_TYPE_DTYPE, DT_BINARY},
	{"mediumblob", SQL_TYPE_DTYPE, DT_BINARY},
	{"longblob", SQL_TYPE_DTYPE, DT_BINARY},
	{"boolean", SQL_TYPE_DTYPE, DT_BOOL},
	{"bool", SQL_TYPE_DTYPE, DT_BOOL},
	{"tinyint", SQL_TYPE_DTYPE, DT_INT8},
	{"smallint", SQL_TYPE_DTYPE, DT_INT16},
	{"int2", SQL_TYPE_DTYPE, DT_INT16},
	{"int16", SQL_TYPE_DTYPE, DT_INT16},
	{"int", SQL_TYPE_DTYPE, DT_INT32},
	{"integer", SQL_TYPE_DTYPE, DT_INT32},
	{"mediumint", SQL_TYPE_DTYPE, DT_INT32},
	{"int4", SQL_TYPE_DTYPE, DT_INT32},
	{"int32", SQL_TYPE_DTYPE, DT_INT32},
	{"bigint", SQL_TYPE_DTYPE, DT_INT64},
	{"int8", SQL_TYPE_DTYPE, DT_INT64}, /* 8 bytes, the SQL meaning */
	{"int64", SQL_TYPE_DTYPE, DT_INT64},
	{"uint8", SQL_TYPE_DTYPE, DT_UINT8},
	{"uint16", SQL_TYPE_DTYPE, DT_UINT16},
	{"uint32", SQL_TYPE_DTYPE, DT_UINT32},
	{"uint64", SQL_TYPE_DTYPE, DT_UINT64},
	{"unsignedtinyint", SQL_TYPE_DTYPE, DT_UINT8},
	{"unsignedsmallint", SQL_TYPE_DTYPE, DT_UINT16},
	{"unsignedint", SQL_TYPE_DTYPE, DT_UINT32},
	{"unsignedbigint", SQL_TYPE_DTYPE, DT_UINT64},
	{"float", SQL_TYPE_DTYPE, DT_FLOAT32},
	{"float4", SQL_TYPE_DTYPE, DT_FLOAT32},
	{"float32", SQL_TYPE_DTYPE, DT_FLOAT32},
	{"real", SQL_TYPE_DTYPE, DT_FLOAT32},
	{"double", SQL_TYPE_DTYPE, DT_FLOAT64},
	{"float8", SQL_TYPE_DTYPE, DT_FLOAT64},
	{"float64", SQL_TYPE_DTYPE, DT_FLOAT64},
	{"date", SQL_TYPE_DTYPE, DT_DATE},
	{"datetime", SQL_TYPE_DTYPE, DT_TS_US},
	{"timestamp", SQL_TYPE_DTYPE, DT_TS_MS},
	{"timestamptz", SQL_TYPE_DTYPE, DT_TS_MS},
	{"timestamp_s", SQL_TYPE_DTYPE, DT_TS_S},
	{"timestamp_sec", SQL_TYPE_DTYPE, DT_TS_S},
	{"timestamp_second", SQL_TYPE_DTYPE, DT_TS_S},
	{"timestampsecond", SQL_TYPE_DTYPE, DT_TS_S},
	{"timestamp_ms", SQL_TYPE_DTYPE, DT_TS_MS},
	{"timestamp_millisecond", SQL_TYPE_DTYPE, DT_TS_MS},
	{"timestampmillisecond", SQL_TYPE_DTYPE, DT_TS_MS},
	{"timestamp_us", SQL_TYPE_DTYPE, DT_TS_US},
	{"timestamp_microsecond", SQL_TYPE_DTYPE, DT_TS_US},
	{"timestampmicrosecond", SQL_TYPE_DTYPE, DT_TS_US},
	{"timestamp_ns", SQL_TYPE_DTYPE, DT_TS_NS},
	{"timestamp_nanosecond", SQL_TYPE_DTYPE, DT_TS_NS},
	{"timestampnanosecond", SQL_TYPE_DTYPE, DT_TS_NS},
	{"decimal", SQL_TYPE_DECIMAL, -1},
	{"numeric", SQL_TYPE_DECIMAL, -1},
	{"dec", SQL_TYPE_DECIMAL, -1},
	{"time", SQL_TYPE_TIME, -1},
	{"timetz", SQL_TYPE_TIME, -1},
	{"interval", SQL_TYPE_INTERVAL, -1},
	{"json", SQL_TYPE_JSON, -1},
	{"jsonb", SQL_TYPE_JSON, -1},
	{"vector", SQL_TYPE_VECTOR, -1},
	{"duration", SQL_TYPE_DURATION, -1},
	{"durationsecond", SQL_TYPE_DURATION, -1},
	{"durationmillisecond", SQL_TYPE_DURATION, -1},
	{"durationmicrosecond", SQL_TYPE_DURATION, -1},
	{"durationnanosecond", SQL_TYPE_DURATION, -1},
};

static int type_lookup(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strlen(type_names[i].name) == n && strncasecmp(type_names[i].name, s, n) == 0)
			return (int)i;
	return -1;
}

static bool word_is(const struct sql_token *t, const char *s)
{
	return t->kind == SQL_TK_WORD && strlen(s) == t->vlen && strcasecmp(t->val, s) == 0;
}

static int unsigned_of(int dtype)
{
	switch (dtype) {
	case DT_INT8: return DT_UINT8;
	case DT_INT16: return DT_UINT16;
	case DT_INT32: return DT_UINT32;
	case DT_INT64: return DT_UINT64;
	default: return -1;
	}
}

/* A small non-negative integer token (type arguments). */
static int small_int(struct parser *p, int *out)
{
	const struct sql_token *t = p_peek(p);
	if (t->kind != SQL_TK_NUMBER)
		return p_expected(p, "literal int");
	long v = 0;
	for (uint32_t i = 0; i < t->vlen; i++) {
		if (t->val[i] < '0' || t->val[i] > '9')
			return p_expected(p, "literal int");
		v = v * 10 + (t->val[i] - '0');
		if (v > 1000000)
			return p_expected(p, "a smaller number");
	}
	p_next(p);
	*out = (int)v;
	return 0;
}

/* Normalised text of the tokens [from, to): single spaces between words,
 * none around ( ) , [ ]. */
static const char *type_text(struct parser *p, size_t from, size_t to)
{
	size_t cap = 1;
	for (size_t i = from; i < to; i++)
		cap += p->toks[i].len + 1;
	char *s = arena_alloc(p->a, cap);
	if (!s) {
		p_nomem(p);
		return NULL;
	}
	size_t n = 0;
	for (size_t i = from; i < to; i++) {
		const struct sql_token *t = &p->toks[i];
		bool word = t->kind == SQL_TK_WORD || t->kind == SQL_TK_QIDENT;
		bool prev_word = i > from && (p->toks[i - 1].kind == SQL_TK_WORD ||
					      p->toks[i - 1].kind == SQL_TK_QIDENT);
		if (word && prev_word)
			s[n++] = ' ';
		if (t->kind == SQL_TK_COMMA) {
			s[n++] = ',';
			s[n++] = ' ';
			continue;
		}
		memcpy(s + n, p->src + t->off, t->len);
		n += t->len;
	}
	s[n] = '\0';
	return s;
}

int p_type(struct parser *p, struct sql_type *out)
{
	const struct sql_token *t = p_peek(p);
	size_t from = p->pos;
	memset(out, 0, sizeof(*out));
	out->precision = -1;
	out->scale = -1;
	out->dtype = -1;
	out->off = t->off;
	if (t->kind != SQL_TK_WORD && t->kind != SQL_TK_QIDENT)
		return p_expected(p, "a data type name");
	p_next(p);
	int idx = t->kind == SQL_TK_WORD ? type_lookup(t->val, t->vlen) : -1;
	if (idx < 0) {
		out->kind = SQL_TYPE_OTHER;
		/* qualified names such as pg_catalog.int4 */
		while (p_is(p, SQL_TK_DOT) && p_peek_at(p, 1)->kind == SQL_TK_WORD) {
			p_next(p);
			const struct sql_token *w = p_next(p);
			int k = type_lookup(w->val, w->vlen);
			if (k >= 0) {
				idx = k;
				out->kind = type_names[k].kind;
				out->dtype = type_names[k].dtype;
			}
		}
	} else {
		out->kind = type_names[idx].kind;
		out->dtype = type_names[idx].dtype;
	}
	/* multi-word spellings */
	if (word_is(t, "double"))
		p_accept_kw(p, KW_PRECISION);
	if ((word_is(t, "character") || word_is(t, "char")) && p_accept_kw(p, KW_VARYING))
		out->dtype = DT_STRING;
	/* (n) or (p, s) */
	if (p_is(p, SQL_TK_LPAREN) && p_peek_at(p, 1)->kind == SQL_TK_NUMBER) {
		p_next(p);
		if (small_int(p, &out->precision))
			return p->err;
		if (p_accept(p, SQL_TK_COMMA) && small_int(p, &out->scale))
			return p->err;
		if (p_expect(p, SQL_TK_RPAREN, ")"))
			return p->err;
	}
	if (out->kind == SQL_TYPE_DTYPE && unsigned_of(out->dtype) >= 0) {
		if (p_accept_kw(p, KW_UNSIGNED))
			out->dtype = unsigned_of(out->dtype);
		else
			p_accept_word(p, "SIGNED");
	}
	if (word_is(t, "timestamp") || word_is(t, "time") || word_is(t, "datetime")) {
		if (p_is_kw(p, KW_WITH) && p_is_kw_at(p, 1, KW_TIME) && p_is_kw_at(p, 2, KW_ZONE)) {
			p->pos += 3;
			out->with_tz = true;
		} else if (p_is_kw(p, KW_WITHOUT) && p_is_kw_at(p, 1, KW_TIME) &&
			   p_is_kw_at(p, 2, KW_ZONE)) {
			p->pos += 3;
		}
	}
	if (word_is(t, "timestamptz"))
		out->with_tz = true;
	if (out->kind == SQL_TYPE_DTYPE && out->precision >= 0 &&
	    (word_is(t, "timestamp") || word_is(t, "timestamptz") || word_is(t, "datetime"))) {
		switch (out->precision) {
		case 0: out->dtype = DT_TS_S; break;
		case 3: out->dtype = DT_TS_MS; break;
		case 6: out->dtype = DT_TS_US; break;
		case 9: out->dtype = DT_TS_NS; break;
		default:
			/* GreptimeDB accepts only 0, 3, 6, 9; leave the
			 * rejection with a clear message to the planner. */
			out->kind = SQL_TYPE_OTHER;
			out->dtype = -1;
			break;
		}
	}
	/* PostgreSQL array suffix: text[] */
	while (p_is(p, SQL_TK_LBRACKET) && p_peek_at(p, 1)->kind == SQL_TK_RBRACKET) {
		p->pos += 2;
		out->kind = SQL_TYPE_OTHER;
		out->dtype = -1;
	}
	out->text = type_text(p, from, p->pos);
	return out->text ? 0 : p->err;
}

bool p_is_type_literal_start(const struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	if (t->kind != SQL_TK_WORD || p_peek_at(p, 1)->kind != SQL_TK_STRING)
		return false;
	return word_is(t, "date") || word_is(t, "time") || word_is(t, "timestamp") ||
	       word_is(t, "timestamptz") || word_is(t, "datetime");
}

/* ---- literals ----------------------------------------------------------------- */

/* strtod of a number token (digits[.digits][e[+-]digits]). Plain decimals
 * with a mantissa <= 2^53 and a power of ten within +-22 are computed with
 * one correctly rounded IEEE operation, which is exactly strtod's answer
 * (Clinger's fast path); the rest go to strtod. */
static double number_value(const char *s, uint32_t n)
{
	static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	uint64_t mant = 0;
	int e10 = 0, ndig = 0;
	uint32_t i = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndig++)
		mant = mant * 10 + (uint64_t)(s[i] - '0');
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndig++, e10--)
			mant = mant * 10 + (uint64_t)(s[i] - '0');
	if (i != n || ndig == 0 || ndig > 15 || mant > (1ull << 53) || e10 < -22)
		return strtod(s, NULL);
	return e10 ? (double)mant / p10[-e10] : (double)mant;
}

static struct sql_expr *number_literal(struct parser *p, const struct sql_token *t)
{
	struct sql_expr *e = new_expr(p, SQL_E_NUMBER, t->off);
	if (!e)
		return NULL;
	e->v.num.text = t->val;
	bool is_float = false;
	for (uint32_t i = 0; i < t->vlen; i++)
		if (t->val[i] == '.' || t->val[i] == 'e' || t->val[i] == 'E')
			is_float = true;
	if (is_float) {
		e->v.num.kind = SQL_NUM_FLOAT;
		e->v.num.f = number_value(t->val, t->vlen);
		return e;
	}
	uint64_t v = 0;
	bool overflow = false;
	for (uint32_t i = 0; i < t->vlen; i++) {
		uint64_t d = (uint64_t)(t->val[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			overflow = true;
			break;
		}
		v = v * 10 + d;
	}
	if (overflow) {
		e->v.num.kind = SQL_NUM_BIG;
		e->v.num.f = strtod(t->val, NULL);
	} else if (v > (uint64_t)INT64_MAX) {
		e->v.num.kind = SQL_NUM_UINT;
		e->v.num.u = v;
		e->v.num.f = (double)v;
	} else {
		e->v.num.kind = SQL_NUM_INT;
		e->v.num.i = (int64_t)v;
		e->v.num.u = v;
		e->v.num.f = (double)v;
	}
	return e;
}

static struct sql_expr *string_literal(struct parser *p, const struct sql_token *t)
{
	struct sql_expr *e = new_expr(p, t->kind == SQL_TK_HEXSTR ? SQL_E_HEXSTR : SQL_E_STRING,
				      t->off);
	if (!e)
		return NULL;
	e->v.str.s = t->val;
	e->v.str.len = t->vlen;
	e->v.str.quote = t->quote;
	return e;
}

/* 'a' 'b' is 'ab' (MySQL, and PostgreSQL across lines). */
static struct sql_expr *adjacent_strings(struct parser *p, const struct sql_token *first)
{
	size_t n = first->vlen;
	size_t k = p->pos;
	while (p->toks[k].kind == SQL_TK_STRING)
		n += p->toks[k++].vlen;
	char *s = arena_alloc(p->a, n + 1);
	struct sql_expr *e = string_literal(p, first);
	if (!s || !e) {
		p_nomem(p);
		return NULL;
	}
	memcpy(s, first->val, first->vlen);
	n = first->vlen;
	while (p_is(p, SQL_TK_STRING)) {
		const struct sql_token *t = p_next(p);
		memcpy(s + n, t->val, t->vlen);
		n += t->vlen;
	}
	s[n] = '\0';
	e->v.str.s = s;
	e->v.str.len = n;
	return e;
}

/* ---- compound primaries ------------------------------------------------------- */

int p_expr_list(struct parser *p, struct sql_expr ***out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (;;) {
		struct sql_expr *e = p_expr(p);
		if (!e || p_push(p, out, n, &cap, &e, sizeof(e)))
			return p->err;
		if (!p_accept(p, SQL_TK_COMMA))
			return 0;
	}
}

static int window_spec(struct parser *p, struct sql_window **out)
{
	struct sql_window *w = p_node(p, sizeof(*w));
	if (!w)
		return p->err;
	if (p_is_ident_start(p) && !p_is(p, SQL_TK_LPAREN)) {
		/* OVER name: a named window; keep it as the frame text */
		struct sql_ident id;
		if (p_ident(p, &id, "window name"))
			return p->err;
		w->name = id.name;
		*out = w;
		return 0;
	}
	if (p_expect(p, SQL_TK_LPAREN, "("))
		return p->err;
	if (p_accept_kws(p, KW_PARTITION, KW_BY, KW_NONE) &&
	    p_expr_list(p, &w->partition_by, &w->npartition))
		return p->err;
	if (p_accept_kws(p, KW_ORDER, KW_BY, KW_NONE) && p_order_by(p, &w->order_by, &w->norder))
		return p->err;
	if (p_is_kw(p, KW_ROWS) || p_is_word(p, "RANGE") || p_is_word(p, "GROUPS")) {
		uint32_t start = p_peek(p)->off;
		int depth = 0;
		while (!p_is(p, SQL_TK_EOF) && !(depth == 0 && p_is(p, SQL_TK_RPAREN))) {
			if (p_is(p, SQL_TK_LPAREN))
				depth++;
			if (p_is(p, SQL_TK_RPAREN))
				depth--;
			p_next(p);
		}
		w->frame = p_span(p, start, p_prev_end(p));
		if (!w->frame)
			return p->err;
	}
	if (p_expect(p, SQL_TK_RPAREN, ")"))
		return p->err;
	*out = w;
	return 0;
}

/* name ( [DISTINCT|ALL] args | * ) [FILTER (WHERE e)] [OVER w]; name parsed. */
static struct sql_expr *function_call(struct parser *p, const struct sql_name *name, uint32_t off)
{
	struct sql_expr *e = new_expr(p, SQL_E_FUNC, off);
	if (!e)
		return NULL;
	e->v.func.name = *name;
	p_next(p); /* ( */
	if (p_accept(p, SQL_TK_STAR)) {
		e->v.func.star = true;
	} else if (!p_is(p, SQL_TK_RPAREN)) {
		if (p_accept_kw(p, KW_DISTINCT))
			e->v.func.distinct = true;
		else
			p_accept_kw(p, KW_ALL);
		if (p_expr_list(p, &e->v.func.args, &e->v.func.nargs))
			return NULL;
		/* aggregate ORDER BY inside the call (string_agg(x, ',' ORDER BY y)) */
		if (p_accept_kws(p, KW_ORDER, KW_BY, KW_NONE) &&
		    p_order_by(p, &e->v.func.order_by, &e->v.func.norder))
			return NULL;
	}
	if (p_expect(p, SQL_TK_RPAREN, ")"))
		return NULL;
	if (p_is_word(p, "FILTER") && p_peek_at(p, 1)->kind == SQL_TK_LPAREN) {
		p->pos += 2;
		if (p_expect_kw(p, KW_WHERE))
			return NULL;
		e->v.func.filter = p_expr(p);
		if (!e->v.func.filter || p_expect(p, SQL_TK_RPAREN, ")"))
			return NULL;
	}
	if (p_accept_kw(p, KW_OVER) && window_spec(p, &e->v.func.over))
		return NULL;
	return e;
}

static struct sql_expr *make_func(struct parser *p, const char *fname, uint32_t off,
				  struct sql_expr **args, size_t nargs)
{
	struct sql_expr *e = new_expr(p, SQL_E_FUNC, off);
	if (!e)
		return NULL;
	e->v.func.name.n = 1;
	if (sql_ident_init(p->a, &e->v.func.name.part[0], fname, strlen(fname), 0, off)) {
		p_nomem(p);
		return NULL;
	}
	e->v.func.args = p_node(p, sizeof(*args) * (nargs ? nargs : 1));
	if (!e->v.func.args)
		return NULL;
	memcpy(e->v.func.args, args, sizeof(*args) * nargs);
	e->v.func.nargs = nargs;
	return e;
}

/* POSITION(a IN b), SUBSTRING(x FROM a [FOR b]), TRIM([BOTH|LEADING|TRAILING] [c] FROM x) */
static struct sql_expr *special_call(struct parser *p, const struct sql_token *t)
{
	struct sql_expr *args[3];
	size_t n = 0;
	p->pos += 2; /* name ( */
	if (t->kw == KW_POSITION) {
		if (!(args[0] = p_expr_prec(p, PREC_CMP)) || p_expect_kw(p, KW_IN) ||
		    !(args[1] = p_expr(p)) || p_expect(p, SQL_TK_RPAREN, ")"))
			return NULL;
		return make_func(p, "strpos", t->off, (struct sql_expr *[]){args[1], args[0]}, 2);
	}
	if (t->kw == KW_SUBSTRING) {
		if (!(args[n++] = p_expr(p)))
			return NULL;
		if (p_accept_kw(p, KW_FROM) || p_accept(p, SQL_TK_COMMA)) {
			if (!(args[n++] = p_expr(p)))
				return NULL;
			if ((p_accept_kw(p, KW_FOR) || p_accept(p, SQL_TK_COMMA)) &&
			    !(args[n++] = p_expr(p)))
				return NULL;
		}
		if (p_expect(p, SQL_TK_RPAREN, ")"))
			return NULL;
		return make_func(p, "substr", t->off, args, n);
	}
	/* TRIM */
	const char *fname = "trim";
	if (p_accept_kw(p, KW_BOTH))
		fname = "btrim";
	else if (p_accept_kw(p, KW_LEADING))
		fname = "ltrim";
	else if (p_accept_kw(p, KW_TRAILING))
		fname = "rtrim";
	struct sql_expr *chars = NULL, *x;
	if (p_accept_kw(p, KW_FROM)) {
		x = p_expr(p);
	} else {
		x = p_expr(p);
		if (x && p_accept_kw(p, KW_FROM)) {
			chars = x;
			x = p_expr(p);
		} else if (x && p_accept(p, SQL_TK_COMMA)) {
			chars = p_expr(p);
			if (!chars)
				return NULL;
		}
	}
	if (!x || p_expect(p, SQL_TK_RPAREN, ")"))
		return NULL;
	args[n++] = x;
	if (chars)
		args[n++] = chars;
	return make_func(p, fname, t->off, args, n);
}

static struct sql_expr *case_expr(struct parser *p, uint32_t off)
{
	struct sql_expr *e = new_expr(p, SQL_E_CASE, off);
	size_t cw = 0, ct = 0, nt = 0;
	if (!e)
		return NULL;
	p_next(p); /* CASE */
	if (!p_is_kw(p, KW_WHEN) && !(e->v.case_.operand = p_expr(p)))
		return NULL;
	if (!p_is_kw(p, KW_WHEN)) {
		p_expected(p, "WHEN");
		return NULL;
	}
	while (p_accept_kw(p, KW_WHEN)) {
		struct sql_expr *w = p_expr(p), *th;
		if (!w || p_expect_kw(p, KW_THEN) || !(th = p_expr(p)))
			return NULL;
		if (p_push(p, &e->v.case_.when, &e->v.case_.nwhen, &cw, &w, sizeof(w)) ||
		    p_push(p, &e->v.case_.then, &nt, &ct, &th, sizeof(th)))
			return NULL;
	}
	if (p_accept_kw(p, KW_ELSE) && !(e->v.case_.else_ = p_expr(p)))
		return NULL;
	if (p_expect_kw(p, KW_END))
		return NULL;
	return e;
}

static struct sql_expr *cast_expr(struct parser *p, const struct sql_token *t)
{
	struct sql_expr *e = new_expr(p, SQL_E_CAST, t->off);
	if (!e)
		return NULL;
	e->v.cast.style = t->kw == KW_TRY_CAST ? SQL_CAST_TRY : SQL_CAST_FUNC;
	p->pos += 2; /* CAST ( */
	if (!(e->v.cast.arg = p_expr(p)) || p_expect_kw(p, KW_AS) ||
	    p_type(p, &e->v.cast.type) || p_expect(p, SQL_TK_RPAREN, ")"))
		return NULL;
	return e;
}

static struct sql_expr *extract_expr(struct parser *p, uint32_t off)
{
	struct sql_expr *e = new_expr(p, SQL_E_EXTRACT, off);
	if (!e)
		return NULL;
	p->pos += 2; /* EXTRACT ( */
	const struct sql_token *f = p_peek(p);
	if (f->kind != SQL_TK_WORD && f->kind != SQL_TK_STRING && f->kind != SQL_TK_QIDENT) {
		p_expected(p, "date/time field");
		return NULL;
	}
	p_next(p);
	char *field = p_strdup(p, f->val, f->vlen);
	if (!field)
		return NULL;
	for (char *c = field; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	e->v.extract.field = field;
	if (p_expect_kw(p, KW_FROM) || !(e->v.extract.arg = p_expr(p)) ||
	    p_expect(p, SQL_TK_RPAREN, ")"))
		return NULL;
	return e;
}

static bool is_interval_unit(const struct sql_token *t)
{
	static const char *const units[] = {
		"YEAR", "YEARS", "MONTH", "MONTHS", "WEEK", "WEEKS", "DAY", "DAYS", "HOUR",
		"HOURS", "MINUTE", "MINUTES", "SECOND", "SECONDS", "MILLISECOND",
		"MILLISECONDS", "MICROSECOND", "MICROSECONDS", "NANOSECOND", "NANOSECONDS",
		"QUARTER", "DECADE", "CENTURY", "MILLENNIUM",
	};
	if (t->kind != SQL_TK_WORD)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (word_is(t, units[i]))
			return true;
	return false;
}

static struct sql_expr *interval_expr(struct parser *p, uint32_t off)
{
	struct sql_expr *e = new_expr(p, SQL_E_INTERVAL, off);
	if (!e)
		return NULL;
	p_next(p); /* INTERVAL */
	if (p_is(p, SQL_TK_STRING)) {
		e->v.interval.value = string_literal(p, p_next(p));
	} else {
		e->v.interval.value = p_expr_prec(p, PREC_MUL);
	}
	if (!e->v.interval.value)
		return NULL;
	if (is_interval_unit(p_peek(p))) {
		uint32_t start = p_peek(p)->off;
		p_next(p);
		if (p_is_kw(p, KW_TO) && is_interval_unit(p_peek_at(p, 1)))
			p->pos += 2;
		char *u = p_span(p, start, p_prev_end(p));
		if (!u)
			return NULL;
		for (char *c = u; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		e->v.interval.unit = u;
	}
	return e;
}

static struct sql_expr *variable(struct parser *p)
{
	const struct sql_token *t = p_next(p); /* @ or @@ */
	struct sql_expr *e = new_expr(p, SQL_E_VAR, t->off);
	if (!e)
		return NULL;
	e->v.var.system = t->kind == SQL_TK_ATAT;
	const struct sql_token *n = p_peek(p);
	if (n->kind == SQL_TK_STRING) {
		p_next(p);
		if (sql_ident_init(p->a, &e->v.var.ident, n->val, n->vlen, '\'', n->off)) {
			p_nomem(p);
			return NULL;
		}
		return e;
	}
	if (p_ident(p, &e->v.var.ident, "variable name"))
		return NULL;
	if (e->v.var.system && p_is(p, SQL_TK_DOT)) {
		const char *s = e->v.var.ident.name;
		if (strcmp(s, "session") == 0 || strcmp(s, "global") == 0 ||
		    strcmp(s, "local") == 0 || strcmp(s, "persist") == 0) {
			p_next(p);
			e->v.var.scope = s;
			if (p_ident(p, &e->v.var.ident, "variable name"))
				return NULL;
		}
	}
	return e;
}

/* ( query ) | ( expr ) | ( expr, expr ... ) */
static struct sql_expr *paren_expr(struct parser *p)
{
	const struct sql_token *lp = p_peek(p);
	if (p_is_kw_at(p, 1, KW_SELECT) || p_is_kw_at(p, 1, KW_WITH) ||
	    p_is_kw_at(p, 1, KW_VALUES)) {
		p_next(p);
		struct sql_expr *e = new_expr(p, SQL_E_SUBQUERY, lp->off);
		if (!e || !(e->v.query = p_query(p)) || p_expect(p, SQL_TK_RPAREN, ")"))
			return NULL;
		return e;
	}
	p_next(p);
	struct sql_expr *first = p_expr(p);
	if (!first)
		return NULL;
	if (p_accept(p, SQL_TK_RPAREN)) {
		struct sql_expr *e = new_expr(p, SQL_E_NESTED, lp->off);
		if (e)
			e->v.inner = first;
		return e;
	}
	struct sql_expr *e = new_expr(p, SQL_E_TUPLE, lp->off);
	size_t cap = 0;
	if (!e || p_push(p, &e->v.list.items, &e->v.list.n, &cap, &first, sizeof(first)))
		return NULL;
	while (p_accept(p, SQL_TK_COMMA)) {
		struct sql_expr *x = p_expr(p);
		if (!x || p_push(p, &e->v.list.items, &e->v.list.n, &cap, &x, sizeof(x)))
			return NULL;
	}
	if (p_expect(p, SQL_TK_RPAREN, ")"))
		return NULL;
	return e;
}

static struct sql_expr *array_literal(struct parser *p, uint32_t off)
{
	struct sql_expr *e = new_expr(p, SQL_E_ARRAY, off);
	if (!e)
		return NULL;
	p_next(p); /* [ */
	if (!p_accept(p, SQL_TK_RBRACKET)) {
		if (p_expr_list(p, &e->v.list.items, &e->v.list.n) ||
		    p_expect(p, SQL_TK_RBRACKET, "]"))
			return NULL;
	}
	return e;
}

static bool is_niladic_func(int kw)
{
	return kw == KW_CURRENT_TIMESTAMP || kw == KW_CURRENT_DATE || kw == KW_CURRENT_TIME ||
	       kw == KW_LOCALTIME || kw == KW_LOCALTIMESTAMP || kw == KW_CURRENT_USER;
}

/* Column reference, t.*, or a function call. */
static struct sql_expr *name_expr(struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	struct sql_name name;
	memset(&name, 0, sizeof(name));
	for (;;) {
		if (name.n == SQL_NAME_MAX) {
			p_expected(p, "end of name (at most 4 parts)");
			return NULL;
		}
		if (p_ident(p, &name.part[name.n], "identifier"))
			return NULL;
		name.n++;
		if (!p_is(p, SQL_TK_DOT))
			break;
		p_next(p);
		if (p_is(p, SQL_TK_STAR)) {
			p_next(p);
			struct sql_expr *e = new_expr(p, SQL_E_STAR, t->off);
			if (e)
				e->v.name = name;
			return e;
		}
	}
	if (p_is(p, SQL_TK_LPAREN))
		return function_call(p, &name, t->off);
	if (name.n == 1 && t->kind == SQL_TK_WORD && is_niladic_func(t->kw)) {
		struct sql_expr *e = new_expr(p, SQL_E_FUNC, t->off);
		if (e) {
			e->v.func.name = name;
			e->v.func.no_parens = true;
		}
		return e;
	}
	struct sql_expr *e = new_expr(p, SQL_E_COLUMN, t->off);
	if (e)
		e->v.name = name;
	return e;
}

static struct sql_expr *primary(struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	struct sql_expr *e;
	switch (t->kind) {
	case SQL_TK_NUMBER:
		p_next(p);
		return number_literal(p, t);
	case SQL_TK_STRING:
		p_next(p);
		if (p_is(p, SQL_TK_STRING))
			return adjacent_strings(p, t);
		return string_literal(p, t);
	case SQL_TK_HEXSTR:
		p_next(p);
		return string_literal(p, t);
	case SQL_TK_PARAM:
		p_next(p);
		e = new_expr(p, SQL_E_PARAM, t->off);
		if (!e)
			return NULL;
		if (t->num) {
			e->v.param = (int)t->num;
			if ((int)t->num > p->max_param)
				p->max_param = (int)t->num;
		} else {
			e->v.param = ++p->qmarks;
		}
		return e;
	case SQL_TK_QIDENT:
		return name_expr(p);
	case SQL_TK_LPAREN:
		return paren_expr(p);
	case SQL_TK_AT:
	case SQL_TK_ATAT:
		return variable(p);
	case SQL_TK_LBRACKET:
		return array_literal(p, t->off);
	case SQL_TK_STAR:
		p_next(p);
		return new_expr(p, SQL_E_STAR, t->off);
	case SQL_TK_WORD:
		break;
	default:
		p_expected(p, "an expression");
		return NULL;
	}
	const struct sql_token *n1 = p_peek_at(p, 1);
	bool call = n1->kind == SQL_TK_LPAREN;
	switch (t->kw) {
	case KW_NULL:
		p_next(p);
		return new_expr(p, SQL_E_NULL, t->off);
	case KW_TRUE:
	case KW_FALSE:
		p_next(p);
		e = new_expr(p, SQL_E_BOOL, t->off);
		if (e)
			e->v.b = t->kw == KW_TRUE;
		return e;
	case KW_DEFAULT:
		if (call)
			break;
		p_next(p);
		return new_expr(p, SQL_E_DEFAULT, t->off);
	case KW_CASE:
		return case_expr(p, t->off);
	case KW_CAST:
	case KW_TRY_CAST:
		if (call)
			return cast_expr(p, t);
		break;
	case KW_EXTRACT:
		if (call)
			return extract_expr(p, t->off);
		break;
	case KW_POSITION:
	case KW_SUBSTRING:
	case KW_TRIM:
		if (call)
			return special_call(p, t);
		break;
	case KW_INTERVAL:
		if (n1->kind == SQL_TK_STRING || n1->kind == SQL_TK_NUMBER ||
		    n1->kind == SQL_TK_LPAREN || n1->kind == SQL_TK_MINUS ||
		    n1->kind == SQL_TK_PARAM)
			return interval_expr(p, t->off);
		break;
	case KW_EXISTS:
		if (call && (p_is_kw_at(p, 2, KW_SELECT) || p_is_kw_at(p, 2, KW_WITH))) {
			e = new_expr(p, SQL_E_EXISTS, t->off);
			p->pos += 2;
			if (!e || !(e->v.exists.query = p_query(p)) ||
			    p_expect(p, SQL_TK_RPAREN, ")"))
				return NULL;
			return e;
		}
		break;
	default:
		break;
	}
	if (p_is_type_literal_start(p)) {
		e = new_expr(p, SQL_E_TYPED_STR, t->off);
		if (!e || p_type(p, &e->v.typed.type))
			return NULL;
		e->v.typed.s = p_next(p)->val;
		return e;
	}
	if (word_is(t, "ARRAY") && n1->kind == SQL_TK_LBRACKET) {
		p_next(p);
		return array_literal(p, t->off);
	}
	if (p_reserved_for_expr(t->kw) && !call) {
		p_expected(p, "an expression");
		return NULL;
	}
	return name_expr(p);
}

/* Prefix operators, then a primary and its postfix operators. */
static struct sql_expr *prefix(struct parser *p)
{
	const struct sql_token *t = p_peek(p);
	int op = -1, arg_prec = 0;
	if (t->kind == SQL_TK_MINUS) {
		op = SQL_UOP_NEG;
		arg_prec = PREC_UNARY;
	} else if (t->kind == SQL_TK_PLUS) {
		op = SQL_UOP_PLUS;
		arg_prec = PREC_UNARY;
	} else if (t->kind == SQL_TK_TILDE) {
		op = SQL_UOP_BITNOT;
		arg_prec = PREC_UNARY;
	} else if ((t->kind == SQL_TK_WORD && t->kw == KW_NOT) || t->kind == SQL_TK_EXCL) {
		op = SQL_UOP_NOT;
		arg_prec = t->kind == SQL_TK_EXCL ? PREC_UNARY : PREC_NOT;
	}
	if (op < 0)
		return primary(p);
	p_next(p);
	struct sql_expr *arg = p_expr_prec(p, arg_prec);
	if (!arg)
		return NULL;
	if (op == SQL_UOP_NOT && arg->kind == SQL_E_EXISTS && !arg->v.exists.negated) {
		arg->v.exists.negated = true;
		arg->off = t->off;
		return arg;
	}
	struct sql_expr *e = new_expr(p, SQL_E_UNARY, t->off);
	if (e) {
		e->v.unary.op = op;
		e->v.unary.arg = arg;
	}
	return e;
}

/* The binary operator at the cursor: its precedence (0 if none) and op. */
static int infix_info(const struct parser *p, int *op)
{
	const struct sql_token *t = p_peek(p);
	*op = -1;
	switch (t->kind) {
	case SQL_TK_EQ:
	case SQL_TK_EQEQ: *op = SQL_BOP_EQ; return PREC_CMP;
	case SQL_TK_NE: *op = SQL_BOP_NE; return PREC_CMP;
	case SQL_TK_LT: *op = SQL_BOP_LT; return PREC_CMP;
	case SQL_TK_LE: *op = SQL_BOP_LE; return PREC_CMP;
	case SQL_TK_GT: *op = SQL_BOP_GT; return PREC_CMP;
	case SQL_TK_GE: *op = SQL_BOP_GE; return PREC_CMP;
	case SQL_TK_NSEQ: *op = SQL_BOP_NSEQ; return PREC_CMP;
	case SQL_TK_TILDE:
		*op = p_peek_at(p, 1)->kind == SQL_TK_STAR &&
				      p_peek_at(p, 1)->off == t->off + 1
			      ? SQL_BOP_REGEX_I
			      : SQL_BOP_REGEX;
		return PREC_CMP;
	case SQL_TK_EXCL:
		if (p_peek_at(p, 1)->kind == SQL_TK_TILDE) {
			const struct sql_token *t2 = p_peek_at(p, 2);
			*op = t2->kind == SQL_TK_STAR && t2->off == p_peek_at(p, 1)->off + 1
				      ? SQL_BOP_NOT_REGEX_I
				      : SQL_BOP_NOT_REGEX;
			return PREC_CMP;
		}
		return 0;
	case SQL_TK_PIPE: *op = SQL_BOP_BITOR; return PREC_PIPE;
	case SQL_TK_CONCAT: *op = SQL_BOP_CONCAT; return PREC_PIPE;
	case SQL_TK_CARET: *op = SQL_BOP_BITXOR; return PREC_CARET;
	case SQL_TK_AMP: *op = SQL_BOP_BITAND; return PREC_AMP;
	case SQL_TK_SHL: *op = SQL_BOP_SHL; return PREC_SHIFT;
	case SQL_TK_SHR: *op = SQL_BOP_SHR; return PREC_SHIFT;
	case SQL_TK_PLUS: *op = SQL_BOP_ADD; return PREC_ADD;
	case SQL_TK_MINUS: *op = SQL_BOP_SUB; return PREC_ADD;
	case SQL_TK_STAR: *op = SQL_BOP_MUL; return PREC_MUL;
	case SQL_TK_SLASH: *op = SQL_BOP_DIV; return PREC_MUL;
	case SQL_TK_PERCENT: *op = SQL_BOP_MOD; return PREC_MUL;
	case SQL_TK_ARROW: *op = SQL_BOP_ARROW; return PREC_POSTFIX;
	case SQL_TK_LARROW: *op = SQL_BOP_LARROW; return PREC_POSTFIX;
	case SQL_TK_DCOLON:
	case SQL_TK_LBRACKET: return PREC_POSTFIX;
	case SQL_TK_WORD: break;
	default: return 0;
	}
	switch (t->kw) {
	case KW_OR: *op = SQL_BOP_OR; return PREC_OR;
	case KW_XOR: *op = SQL_BOP_XOR; return PREC_XOR;
	case KW_AND: *op = SQL_BOP_AND; return PREC_AND;
	case KW_DIV: *op = SQL_BOP_INTDIV; return PREC_MUL;
	case KW_IS:
	case KW_IN:
	case KW_LIKE:
	case KW_ILIKE:
	case KW_BETWEEN: return PREC_CMP;
	case KW_NOT: {
		const struct sql_token *n = p_peek_at(p, 1);
		if (n->kind == SQL_TK_WORD && (n->kw == KW_IN || n->kw == KW_LIKE ||
					       n->kw == KW_ILIKE || n->kw == KW_BETWEEN))
			return PREC_CMP;
		return 0;
	}
	default:
		if (word_is(t, "MOD")) {
			*op = SQL_BOP_MOD;
			return PREC_MUL;
		}
		return 0;
	}
}

static struct sql_expr *is_expr(struct parser *p, struct sql_expr *left, uint32_t off)
{
	struct sql_expr *e = new_expr(p, SQL_E_IS, off);
	if (!e)
		return NULL;
	e->v.is.arg = left;
	e->v.is.negated = p_accept_kw(p, KW_NOT);
	if (p_accept_kw(p, KW_NULL))
		e->v.is.what = SQL_IS_NULL;
	else if (p_accept_kw(p, KW_TRUE))
		e->v.is.what = SQL_IS_TRUE;
	else if (p_accept_kw(p, KW_FALSE))
		e->v.is.what = SQL_IS_FALSE;
	else if (p_accept_kw(p, KW_UNKNOWN))
		e->v.is.what = SQL_IS_UNKNOWN;
	else if (p_accept_kws(p, KW_DISTINCT, KW_FROM, KW_NONE)) {
		e->v.is.what = SQL_IS_DISTINCT_FROM;
		if (!(e->v.is.other = p_expr_prec(p, PREC_CMP)))
			return NULL;
	} else {
		p_expected(p, "[NOT] NULL or TRUE|FALSE or [NOT] DISTINCT FROM after IS");
		return NULL;
	}
	return e;
}

static struct sql_expr *in_expr(struct parser *p, struct sql_expr *left, bool neg, uint32_t off)
{
	struct sql_expr *e = new_expr(p, SQL_E_IN_LIST, off);
	if (!e || p_expect(p, SQL_TK_LPAREN, "("))
		return NULL;
	e->v.in.arg = left;
	e->v.in.negated = neg;
	if (p_is_kw(p, KW_SELECT) || p_is_kw(p, KW_WITH) || p_is_kw(p, KW_VALUES)) {
		e->kind = SQL_E_IN_QUERY;
		if (!(e->v.in.query = p_query(p)))
			return NULL;
	} else if (p_expr_list(p, &e->v.in.list, &e->v.in.nlist)) {
		return NULL;
	}
	if (p_expect(p, SQL_TK_RPAREN, ")"))
		return NULL;
	return e;
}

static struct sql_expr *infix(struct parser *p, struct sql_expr *left, int prec, int op)
{
	const struct sql_token *t = p_peek(p);
	uint32_t off = left->off;
	struct sql_expr *e;
	if (t->kind == SQL_TK_DCOLON) {
		p_next(p);
		e = new_expr(p, SQL_E_CAST, off);
		if (!e || p_type(p, &e->v.cast.type))
			return NULL;
		e->v.cast.arg = left;
		e->v.cast.style = SQL_CAST_DCOLON;
		return e;
	}
	if (t->kind == SQL_TK_LBRACKET) {
		p_next(p);
		e = new_expr(p, SQL_E_SUBSCRIPT, off);
		if (!e)
			return NULL;
		e->v.binary.op = SQL_BOP_SUBSCRIPT;
		e->v.binary.left = left;
		if (!(e->v.binary.right = p_expr(p)) || p_expect(p, SQL_TK_RBRACKET, "]"))
			return NULL;
		return e;
	}
	if (t->kind == SQL_TK_WORD && op < 0) {
		bool neg = false;
		if (t->kw == KW_IS) {
			p_next(p);
			return is_expr(p, left, off);
		}
		if (t->kw == KW_NOT) {
			p_next(p);
			neg = true;
			t = p_peek(p);
		}
		p_next(p);
		if (t->kw == KW_IN)
			return in_expr(p, left, neg, off);
		if (t->kw == KW_BETWEEN) {
			e = new_expr(p, SQL_E_BETWEEN, off);
			if (!e)
				return NULL;
			e->v.between.arg = left;
			e->v.between.negated = neg;
			if (!(e->v.between.low = p_expr_prec(p, PREC_CMP)) ||
			    p_expect_kw(p, KW_AND) || !(e->v.between.high = p_expr_prec(p, PREC_CMP)))
				return NULL;
			return e;
		}
		/* LIKE / ILIKE */
		e = new_expr(p, SQL_E_LIKE, off);
		if (!e)
			return NULL;
		e->v.like.arg = left;
		e->v.like.negated = neg;
		e->v.like.ilike = t->kw == KW_ILIKE;
		if (!(e->v.like.pattern = p_expr_prec(p, PREC_CMP)))
			return NULL;
		if (p_accept_kw(p, KW_ESCAPE) && !(e->v.like.escape = p_expr_prec(p, PREC_CMP)))
			return NULL;
		return e;
	}
	/* plain binary operator */
	p_next(p);
	if (op == SQL_BOP_REGEX_I || op == SQL_BOP_NOT_REGEX)
		p_next(p);
	else if (op == SQL_BOP_NOT_REGEX_I)
		p->pos += 2;
	struct sql_expr *right = p_expr_prec(p, prec);
	if (!right)
		return NULL;
	e = new_expr(p, SQL_E_BINARY, off);
	if (!e)
		return NULL;
	e->v.binary.op = op;
	e->v.binary.left = left;
	e->v.binary.right = right;
	return e;
}

struct sql_expr *p_expr_prec(struct parser *p, int prec)
{
	if (p_enter(p))
		return NULL;
	struct sql_expr *left = prefix(p);
	int links = 0;
	while (left) {
		int op;
		int next = infix_info(p, &op);
		if (next <= prec)
			break;
		if (p_chain(p)) {
			left = NULL;
			break;
		}
		links++;
		left = infix(p, left, next, op);
	}
	p_unchain(p, links);
	p_leave(p);
	return left;
}

struct sql_expr *p_expr(struct parser *p) { return p_expr_prec(p, 0); }
