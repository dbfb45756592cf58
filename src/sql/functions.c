/*
 * functions: the scalar function library of the query engine.
 *
 * Each function has a bind step (check argument types, insert casts, fix
 * the result type, fold constant arguments such as a date_bin stride into
 * the node) and a vectorized eval step. Names and result types follow
 * DataFusion / GreptimeDB: math on integers gives Float64 (abs keeps the
 * type), length() is character_length() and gives Int32, date_part gives
 * Int32 (Float64 for epoch), date_bin / date_trunc keep the timestamp
 * type, date_add / date_sub / date_format are GreptimeDB's.
 *
 * Time arithmetic is in UTC, as DataFusion does for zone-less timestamps,
 * except date_format, which renders in the session time zone as
 * GreptimeDB's does. Functions not listed here are forwarded to the
 * caller (exec_env.call_function) with constant arguments.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/expr.h"

#define NS_PER_SEC 1000000000LL

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static struct xexpr **ARGS(struct xexpr *e) { return e->u.fn.args; }

static int sig_err(struct xexpr *e, const char *want)
{
	struct buf b;
	buf_init(&b);
	for (uint32_t i = 0; i < e->u.fn.nargs; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", xtype_arrow_name(ARGS(e)[i]->type));
	int rc = plan_err("Error during planning: Function '%s' expects %s, but received (%s)",
			  e->u.fn.def->name, want, buf_cstr(&b) ? buf_cstr(&b) : "");
	buf_free(&b);
	return rc;
}

/* Cast argument i to type t (in place). */
static int arg_cast(struct xctx *cx, struct xexpr *e, uint32_t i, int t)
{
	struct xexpr *c = xcast(cx, ARGS(e)[i], t);
	if (!c)
		return err_code() ? err_code() : ERR_NOMEM;
	ARGS(e)[i] = c;
	return 0;
}

static bool is_const(const struct xexpr *a) { return a->kind == X_CONST; }

/* A constant string argument (NULL if it is not one). */
static const char *const_str(struct xctx *cx, const struct xexpr *a, uint32_t *n)
{
	if (!is_const(a) || a->u.c.is_null || a->type != DT_STRING)
		return NULL;
	(void)cx;
	*n = a->u.c.v.s.n;
	return a->u.c.v.s.p;
}

/* ---- output helpers -------------------------------------------------------- */

static int out_fixed(struct xexpr *e, uint32_t n, const struct xval *a, const struct xval *b,
		     struct xval *out)
{
	int rc = vec_fixed(&e->out, e->type, n);
	if (!rc)
		rc = vec_and_validity(&e->out, a, b, n);
	out->v = &e->out;
	return rc;
}

/* ---- math ---------------------------------------------------------------- */

static int bind_float_unary(struct xctx *cx, struct xexpr *e)
{
	for (uint32_t i = 0; i < e->u.fn.nargs; i++) {
		int t = ARGS(e)[i]->type;
		if (t == XT_NULL || xtype_is_int(t) || t == DT_STRING || t == DT_FLOAT32)
			t = DT_FLOAT64;
		if (!xtype_is_float(t))
			return sig_err(e, "numeric arguments");
		if (arg_cast(cx, e, i, DT_FLOAT64))
			return err_code();
	}
	e->type = DT_FLOAT64;
	return 0;
}

enum {
	M_CEIL, M_FLOOR, M_SQRT, M_LN, M_LOG10, M_LOG2, M_EXP, M_CBRT, M_SIN, M_COS, M_TAN,
	M_ASIN, M_ACOS, M_ATAN, M_DEGREES, M_RADIANS, M_SIGNUM, M_TRUNC,
};

static double math1(int k, double x)
{
	switch (k) {
	case M_CEIL: return ceil(x);
	case M_FLOOR: return floor(x);
	case M_SQRT: return sqrt(x);
	case M_LN: return log(x);
	case M_LOG10: return log10(x);
	case M_LOG2: return log2(x);
	case M_EXP: return exp(x);
	case M_CBRT: return cbrt(x);
	case M_SIN: return sin(x);
	case M_COS: return cos(x);
	case M_TAN: return tan(x);
	case M_ASIN: return asin(x);
	case M_ACOS: return acos(x);
	case M_ATAN: return atan(x);
	case M_DEGREES: return x * 180.0 / M_PI;
	case M_RADIANS: return x * M_PI / 180.0;
	case M_SIGNUM: return x > 0 ? 1 : (x < 0 ? -1 : 0);
	case M_TRUNC: return trunc(x);
	default: return x;
	}
}

#define MATH1(fname, K)                                                                        \
	static int fname(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,  \
			 struct xval *out)                                                     \
	{                                                                                      \
		(void)cx;                                                                      \
		int rc = out_fixed(e, n, &a[0], NULL, out);                                    \
		if (rc)                                                                        \
			return rc;                                                             \
		double *r = e->out.f64;                                                        \
		if (a[0].v)                                                                    \
			for (uint32_t i = 0; i < n; i++)                                       \
				r[i] = math1(K, a[0].v->f64[i]);                               \
		else                                                                           \
			r[0] = math1(K, a[0].c.v.f);                                           \
		return 0;                                                                      \
	}
MATH1(f_ceil, M_CEIL)
MATH1(f_floor, M_FLOOR)
MATH1(f_sqrt, M_SQRT)
MATH1(f_ln, M_LN)
MATH1(f_log10, M_LOG10)
MATH1(f_log2, M_LOG2)
MATH1(f_exp, M_EXP)
MATH1(f_cbrt, M_CBRT)
MATH1(f_sin, M_SIN)
MATH1(f_cos, M_COS)
MATH1(f_tan, M_TAN)
MATH1(f_asin, M_ASIN)
MATH1(f_acos, M_ACOS)
MATH1(f_atan, M_ATAN)
MATH1(f_degrees, M_DEGREES)
MATH1(f_radians, M_RADIANS)
MATH1(f_signum, M_SIGNUM)

static int f_round_like(struct xexpr *e, const struct xval *a, uint32_t n, struct xval *out,
			bool trunc_)
{
	int rc = out_fixed(e, n, &a[0], e->u.fn.nargs > 1 ? &a[1] : NULL, out);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		double x = xval_f64(&a[0], i);
		int64_t d = e->u.fn.nargs > 1 ? xval_i64(&a[1], i) : 0;
		if (d > 300)
			d = 300;
		if (d < -300)
			d = -300;
		double m = pow(10.0, (double)d);
		double r = trunc_ ? trunc(x * m) / m : round(x * m) / m;
		if (d == 0)
			r = trunc_ ? trunc(x) : round(x);
		e->out.f64[i] = r;
	}
	return 0;
}
static int f_round(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		   struct xval *out)
{
	(void)cx;
	return f_round_like(e, a, n, out, false);
}
static int f_trunc(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		   struct xval *out)
{
	(void)cx;
	return f_round_like(e, a, n, out, true);
}
static int bind_round(struct xctx *cx, struct xexpr *e)
{
	int t = ARGS(e)[0]->type;
	if (!(t == XT_NULL || xtype_is_numeric(t)))
		return sig_err(e, "numeric arguments");
	if (arg_cast(cx, e, 0, DT_FLOAT64))
		return err_code();
	if (e->u.fn.nargs > 1) {
		if (!xtype_is_int(ARGS(e)[1]->type) && ARGS(e)[1]->type != XT_NULL)
			return sig_err(e, "(numeric, integer)");
		if (arg_cast(cx, e, 1, DT_INT64))
			return err_code();
	}
	e->type = DT_FLOAT64;
	return 0;
}

static int bind_abs(struct xctx *cx, struct xexpr *e)
{
	int t = ARGS(e)[0]->type;
	if (t == XT_NULL) {
		t = DT_INT64;
		if (arg_cast(cx, e, 0, t))
			return err_code();
	}
	if (!xtype_is_numeric(t))
		return sig_err(e, "a numeric argument");
	e->type = t;
	return 0;
}
static int f_abs(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		 struct xval *out)
{
	(void)cx;
	int rc = out_fixed(e, n, &a[0], NULL, out);
	if (rc)
		return rc;
	if (xtype_is_float(e->type)) {
		for (uint32_t i = 0; i < n; i++)
			e->out.f64[i] = fabs(xval_f64(&a[0], i));
		return 0;
	}
	bool u = dtype_is_unsigned(e->type);
	for (uint32_t i = 0; i < n; i++) {
		int64_t x = xval_i64(&a[0], i);
		if (!u && x == INT64_MIN && vec_valid(&e->out, i))
			return exec_err("Arithmetic overflow: Int64 overflow on abs(%" PRId64 ")", x);
		e->out.i64[i] = u || x >= 0 ? x : -x;
	}
	return 0;
}

static int bind_power(struct xctx *cx, struct xexpr *e)
{
	int a = ARGS(e)[0]->type, b = ARGS(e)[1]->type;
	bool ai = xtype_is_int(a) || a == XT_NULL, bi = xtype_is_int(b) || b == XT_NULL;
	if (!(xtype_is_numeric(a) || a == XT_NULL) || !(xtype_is_numeric(b) || b == XT_NULL))
		return sig_err(e, "numeric arguments");
	int t = ai && bi ? DT_INT64 : DT_FLOAT64;
	if (arg_cast(cx, e, 0, t) || arg_cast(cx, e, 1, t))
		return err_code();
	e->type = t;
	return 0;
}
static int f_power(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		   struct xval *out)
{
	(void)cx;
	int rc = out_fixed(e, n, &a[0], &a[1], out);
	if (rc)
		return rc;
	if (e->type == DT_FLOAT64) {
		for (uint32_t i = 0; i < n; i++)
			e->out.f64[i] = pow(xval_f64(&a[0], i), xval_f64(&a[1], i));
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		int64_t base = xval_i64(&a[0], i), ex = xval_i64(&a[1], i), r = 1;
		if (!vec_valid(&e->out, i)) {
			e->out.i64[i] = 0;
			continue;
		}
		if (ex < 0)
			return exec_err("Arrow error: Compute error: Exponent %" PRId64 " in integer computation is out of bounds.", ex);
		bool ovf = false;
		while (ex-- > 0 && !ovf)
			ovf = __builtin_mul_overflow(r, base, &r);
		if (ovf)
			return exec_err("Arithmetic overflow: Overflow happened on: %" PRId64 " ^ %" PRId64,
					base, xval_i64(&a[1], i));
		e->out.i64[i] = r;
	}
	return 0;
}

static int bind_log(struct xctx *cx, struct xexpr *e)
{
	return bind_float_unary(cx, e);
}
static int f_log(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		 struct xval *out)
{
	if (e->u.fn.nargs == 1)
		return f_log10(cx, e, a, n, out);
	int rc = out_fixed(e, n, &a[0], &a[1], out);
	for (uint32_t i = 0; i < n && !rc; i++)
		e->out.f64[i] = log(xval_f64(&a[1], i)) / log(xval_f64(&a[0], i));
	return rc;
}
static int f_atan2(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		   struct xval *out)
{
	(void)cx;
	int rc = out_fixed(e, n, &a[0], &a[1], out);
	for (uint32_t i = 0; i < n && !rc; i++)
		e->out.f64[i] = atan2(xval_f64(&a[0], i), xval_f64(&a[1], i));
	return rc;
}

static int bind_none_f64(struct xctx *cx, struct xexpr *e)
{
	(void)cx;
	e->type = DT_FLOAT64;
	return 0;
}
static int f_pi(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		struct xval *out)
{
	(void)cx, (void)a;
	int rc = out_fixed(e, n, NULL, NULL, out);
	for (uint32_t i = 0; i < n && !rc; i++)
		e->out.f64[i] = M_PI;
	return rc;
}
static int f_random(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		    struct xval *out)
{
	(void)cx, (void)a;
	int rc = out_fixed(e, n, NULL, NULL, out);
	for (uint32_t i = 0; i < n && !rc; i++)
		e->out.f64[i] = (double)random() / ((double)RAND_MAX + 1.0);
	return rc;
}

/* ---- conditional --------------------------------------------------------- */

static int bind_common(struct xctx *cx, struct xexpr *e)
{
	int t = XT_NULL;
	for (uint32_t i = 0; i < e->u.fn.nargs; i++) {
		int c = x_common_type(t, ARGS(e)[i]->type);
		if (c < 0)
			return sig_err(e, "arguments of one type");
		t = c;
	}
	if (t == XT_NULL)
		t = DT_INT64;
	for (uint32_t i = 0; i < e->u.fn.nargs; i++)
		if (arg_cast(cx, e, i, t))
			return err_code();
	e->type = t;
	return 0;
}

/* coalesce / greatest / least: row by row over datums */
static int pick_kernel(struct xexpr *e, const struct xval *a, uint32_t n, struct xval *out, int mode)
{
	int rc = vec_empty(&e->out, e->type, n);
	for (uint32_t i = 0; i < n && !rc; i++) {
		struct datum best;
		memset(&best, 0, sizeof(best));
		best.is_null = true;
		for (uint32_t k = 0; k < e->u.fn.nargs; k++) {
			struct datum d;
			xval_get(&a[k], e->type, i, &d);
			if (d.is_null)
				continue;
			if (mode == 0) {
				best = d;
				break;
			}
			if (best.is_null) {
				best = d;
				continue;
			}
			int c = datum_cmp(&d, &best);
			if ((mode == 1 && c > 0) || (mode == 2 && c < 0))
				best = d;
		}
		best.type = e->type;
		rc = colvec_push_datum(&e->out, &best);
	}
	out->v = &e->out;
	return rc;
}
static int f_coalesce(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		      struct xval *out)
{
	(void)cx;
	return pick_kernel(e, a, n, out, 0);
}
static int f_greatest(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		      struct xval *out)
{
	(void)cx;
	return pick_kernel(e, a, n, out, 1);
}
static int f_least(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		   struct xval *out)
{
	(void)cx;
	return pick_kernel(e, a, n, out, 2);
}
static int f_nullif(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		    struct xval *out)
{
	(void)cx;
	int rc = vec_empty(&e->out, e->type, n);
	for (uint32_t i = 0; i < n && !rc; i++) {
		struct datum x, y;
		xval_get(&a[0], e->type, i, &x);
		xval_get(&a[1], e->type, i, &y);
		x.type = e->type;
		if (!x.is_null && !y.is_null && datum_cmp(&x, &y) == 0)
			x.is_null = true;
		rc = colvec_push_datum(&e->out, &x);
	}
	out->v = &e->out;
	return rc;
}

/* ---- strings ---------------------------------------------------------------- */

static int bind_str_args(struct xctx *cx, struct xexpr *e, uint32_t from, uint32_t to, int rtype)
{
	for (uint32_t i = from; i < to && i < e->u.fn.nargs; i++) {
		int t = ARGS(e)[i]->type;
		if (t == DT_BINARY)
			continue;
		if (arg_cast(cx, e, i, DT_STRING))
			return err_code();
	}
	e->type = rtype;
	return 0;
}
static int bind_str1(struct xctx *cx, struct xexpr *e)
{
	return bind_str_args(cx, e, 0, e->u.fn.nargs, DT_STRING);
}
static int bind_str_len(struct xctx *cx, struct xexpr *e)
{
	return bind_str_args(cx, e, 0, 1, DT_INT32);
}
static int bind_str_int(struct xctx *cx, struct xexpr *e)
{
	/* (string, int[, int / string]) */
	if (bind_str_args(cx, e, 0, 1, DT_STRING))
		return err_code();
	for (uint32_t i = 1; i < e->u.fn.nargs; i++) {
		int t = ARGS(e)[i]->type;
		int want = (strcmp(e->u.fn.def->name, "lpad") == 0 || strcmp(e->u.fn.def->name, "rpad") == 0) && i == 2
				   ? DT_STRING
				   : DT_INT64;
		if (want == DT_INT64 && !(xtype_is_int(t) || t == XT_NULL))
			return sig_err(e, "(Utf8, Int64...)");
		if (arg_cast(cx, e, i, want))
			return err_code();
	}
	return 0;
}

static uint32_t utf8_len(const char *s, uint32_t n)
{
	uint32_t c = 0;
	for (uint32_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* Byte offset of character k (0-based) in s, clamped to n. */
static uint32_t utf8_off(const char *s, uint32_t n, int64_t k)
{
	uint32_t i = 0;
	while (i < n && k > 0) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		k--;
	}
	return i;
}

typedef int (*str_map_fn)(struct buf *b, const char *s, uint32_t n, const struct xval *a,
			  uint32_t i, struct xexpr *e);

static int str_map(struct xexpr *e, const struct xval *a, uint32_t n, struct xval *out, str_map_fn f)
{
	int rc = vec_empty(&e->out, DT_STRING, n);
	struct buf b;
	buf_init(&b);
	for (uint32_t i = 0; i < n && !rc; i++) {
		bool null = false;
		for (uint32_t k = 0; k < e->u.fn.nargs; k++)
			null |= xval_null(&a[k], i);
		if (null) {
			rc = colvec_push_null(&e->out);
			continue;
		}
		uint32_t sn;
		const char *s = xval_bytes(&a[0], i, &sn);
		buf_reset(&b);
		rc = f(&b, s, sn, a, i, e);
		if (rc == 1) {
			rc = colvec_push_null(&e->out);
			continue;
		}
		if (!rc)
			rc = colvec_push_bytes(&e->out, b.data ? (const char *)b.data : "", b.len);
	}
	buf_free(&b);
	out->v = &e->out;
	return rc;
}

static int m_lower(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		   struct xexpr *e)
{
	(void)a, (void)i, (void)e;
	if (buf_reserve(b, n))
		return ERR_NOMEM;
	for (uint32_t k = 0; k < n; k++)
		b->data[k] = (uint8_t)tolower((unsigned char)s[k]);
	b->len = n;
	return 0;
}
static int m_upper(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		   struct xexpr *e)
{
	(void)a, (void)i, (void)e;
	if (buf_reserve(b, n))
		return ERR_NOMEM;
	for (uint32_t k = 0; k < n; k++)
		b->data[k] = (uint8_t)toupper((unsigned char)s[k]);
	b->len = n;
	return 0;
}
static int m_initcap(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		     struct xexpr *e)
{
	(void)a, (void)i, (void)e;
	if (buf_reserve(b, n))
		return ERR_NOMEM;
	bool start = true;
	for (uint32_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];
		b->data[k] = (uint8_t)(start ? toupper(c) : tolower(c));
		start = !isalnum(c);
	}
	b->len = n;
	return 0;
}
static int m_reverse(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		     struct xexpr *e)
{
	(void)a, (void)i, (void)e;
	if (buf_reserve(b, n))
		return ERR_NOMEM;
	uint32_t k = n;
	while (k > 0) {
		uint32_t st = k - 1;
		while (st > 0 && ((unsigned char)s[st] & 0xC0) == 0x80)
			st--;
		buf_append(b, s + st, k - st);
		k = st;
	}
	return 0;
}
/* trim kind in e->u.fn.iarg: 0 both, 1 left, 2 right */
static int m_trim(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		  struct xexpr *e)
{
	const char *chars = " ";
	uint32_t nc = 1;
	if (e->u.fn.nargs > 1)
		chars = xval_bytes(&a[1], i, &nc);
	uint32_t lo = 0, hi = n;
	if (e->u.fn.iarg != 2)
		while (lo < hi && memchr(chars, s[lo], nc))
			lo++;
	if (e->u.fn.iarg != 1)
		while (hi > lo && memchr(chars, s[hi - 1], nc))
			hi--;
	return buf_append(b, s + lo, hi - lo);
}
static int m_substr(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		    struct xexpr *e)
{
	int64_t start = xval_i64(&a[1], i); /* 1-based */
	int64_t len = INT64_MAX;
	if (e->u.fn.nargs > 2) {
		len = xval_i64(&a[2], i);
		if (len < 0)
			return exec_err("Execution error: negative substring length not allowed: substr(<str>, %" PRId64 ", %" PRId64 ")",
					start, len);
	}
	int64_t from = start - 1, to;
	if (__builtin_add_overflow(from, len, &to))
		to = INT64_MAX;
	if (from < 0)
		from = 0;
	if (to <= from)
		return 0;
	uint32_t bo = utf8_off(s, n, from);
	uint32_t eo = to == INT64_MAX ? n : bo + utf8_off(s + bo, n - bo, to - from);
	return buf_append(b, s + bo, eo - bo);
}
static int m_left(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		  struct xexpr *e)
{
	int64_t k = xval_i64(&a[1], i);
	uint32_t cl = utf8_len(s, n);
	bool right = e->u.fn.iarg == 1;
	if (k < 0)
		k = (int64_t)cl + k < 0 ? 0 : (int64_t)cl + k;
	if (k > (int64_t)cl)
		k = cl;
	if (!right)
		return buf_append(b, s, utf8_off(s, n, k));
	uint32_t o = utf8_off(s, n, (int64_t)cl - k);
	return buf_append(b, s + o, n - o);
}
static int m_replace(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		     struct xexpr *e)
{
	(void)e;
	uint32_t fn, tn;
	const char *f = xval_bytes(&a[1], i, &fn), *t = xval_bytes(&a[2], i, &tn);
	if (fn == 0 || n == 0)
		return buf_append(b, s, n);
	uint32_t k = 0;
	while (k < n) {
		const char *hit = memmem(s + k, n - k, f, fn);
		if (!hit)
			break;
		uint32_t h = (uint32_t)(hit - s);
		if (buf_append(b, s + k, h - k) || buf_append(b, t, tn))
			return ERR_NOMEM;
		k = h + fn;
	}
	return buf_append(b, s + k, n - k);
}
static int m_repeat(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		    struct xexpr *e)
{
	(void)e;
	int64_t k = xval_i64(&a[1], i);
	if (k > 0 && (uint64_t)k * n > (64u << 20))
		return exec_err("Execution error: repeat() result too large");
	for (int64_t r = 0; r < k; r++)
		if (buf_append(b, s, n))
			return ERR_NOMEM;
	return 0;
}
static int m_pad(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
		 struct xexpr *e)
{
	int64_t len = xval_i64(&a[1], i);
	const char *f = " ";
	uint32_t fn = 1;
	if (e->u.fn.nargs > 2)
		f = xval_bytes(&a[2], i, &fn);
	if (len < 0)
		len = 0;
	if (len > (16 << 20))
		return exec_err("Execution error: pad length too large");
	uint32_t cl = utf8_len(s, n);
	if ((int64_t)cl >= len)
		return buf_append(b, s, utf8_off(s, n, len));
	int64_t need = len - cl;
	bool left = e->u.fn.iarg == 0;
	if (!left && buf_append(b, s, n))
		return ERR_NOMEM;
	if (fn) {
		uint32_t fl = utf8_len(f, fn);
		while (need > 0) {
			int64_t take = need < (int64_t)fl ? need : fl;
			if (buf_append(b, f, utf8_off(f, fn, take)))
				return ERR_NOMEM;
			need -= take;
		}
	}
	if (left && buf_append(b, s, n))
		return ERR_NOMEM;
	return 0;
}
static int m_split_part(struct buf *b, const char *s, uint32_t n, const struct xval *a, uint32_t i,
			struct xexpr *e)
{
	(void)e;
	uint32_t dn;
	const char *d = xval_bytes(&a[1], i, &dn);
	int64_t k = xval_i64(&a[2], i);
	if (k == 0)
		return exec_err("Execution error: field position must not be zero");
	/* collect parts */
	uint32_t starts[1024], ends[1024], np = 0, pos = 0;
	while (np < 1024) {
		const char *hit = dn && pos < n ? memmem(s + pos, n - pos, d, dn) : NULL;
		uint32_t e2 = hit ? (uint32_t)(hit - s) : n;
		starts[np] = pos;
		ends[np++] = e2;
		if (!hit)
			break;
		pos = e2 + dn;
	}
	int64_t idx = k > 0 ? k - 1 : (int64_t)np + k;
	if (idx < 0 || idx >= (int64_t)np)
		return 0;
	return buf_append(b, s + starts[idx], ends[idx] - starts[idx]);
}

#define STRMAP(fname, m)                                                                      \
	static int fname(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n, \
			 struct xval *out)                                                    \
	{                                                                                     \
		(void)cx;                                                                     \
		return str_map(e, a, n, out, m);                                              \
	}
STRMAP(f_lower, m_lower)
STRMAP(f_upper, m_upper)
STRMAP(f_initcap, m_initcap)
STRMAP(f_reverse, m_reverse)
STRMAP(f_trim, m_trim)
STRMAP(f_substr, m_substr)
STRMAP(f_left, m_left)
STRMAP(f_replace, m_replace)
STRMAP(f_repeat, m_repeat)
STRMAP(f_pad, m_pad)
STRMAP(f_split_part, m_split_part)

static int bind_trim_kind(struct xctx *cx, struct xexpr *e, int kind)
{
	e->u.fn.iarg = kind;
	return bind_str1(cx, e);
}
static int bind_trim(struct xctx *cx, struct xexpr *e) { return bind_trim_kind(cx, e, 0); }
static int bind_ltrim(struct xctx *cx, struct xexpr *e) { return bind_trim_kind(cx, e, 1); }
static int bind_rtrim(struct xctx *cx, struct xexpr *e) { return bind_trim_kind(cx, e, 2); }
static int bind_left(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 0;
	return bind_str_int(cx, e);
}
static int bind_right(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 1;
	return bind_str_int(cx, e);
}
static int bind_lpad(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 0;
	return bind_str_int(cx, e);
}
static int bind_rpad(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 1;
	return bind_str_int(cx, e);
}
static int bind_split_part(struct xctx *cx, struct xexpr *e)
{
	if (bind_str_args(cx, e, 0, 2, DT_STRING))
		return err_code();
	if (!(xtype_is_int(ARGS(e)[2]->type) || ARGS(e)[2]->type == XT_NULL))
		return sig_err(e, "(Utf8, Utf8, Int64)");
	return arg_cast(cx, e, 2, DT_INT64);
}

/* length kinds (iarg): 0 chars, 1 octets, 2 bits */
static int f_length(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		    struct xval *out)
{
	(void)cx;
	int rc = out_fixed(e, n, &a[0], NULL, out);
	for (uint32_t i = 0; i < n && !rc; i++) {
		if (xval_null(&a[0], i)) {
			e->out.i64[i] = 0;
			continue;
		}
		uint32_t sn;
		const char *s = xval_bytes(&a[0], i, &sn);
		e->out.i64[i] = e->u.fn.iarg == 0 ? utf8_len(s, sn) : e->u.fn.iarg == 1 ? sn : 8 * (int64_t)sn;
	}
	return rc;
}
static int bind_octet_length(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 1;
	return bind_str_len(cx, e);
}
static int bind_bit_length(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 2;
	return bind_str_len(cx, e);
}

static int f_concat(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		    struct xval *out)
{
	(void)cx;
	bool ws = e->u.fn.iarg == 1;
	int rc = vec_empty(&e->out, DT_STRING, n);
	struct buf b;
	buf_init(&b);
	for (uint32_t i = 0; i < n && !rc; i++) {
		buf_reset(&b);
		uint32_t sepn = 0;
		const char *sep = NULL;
		if (ws) {
			if (xval_null(&a[0], i)) {
				rc = colvec_push_null(&e->out);
				continue;
			}
			sep = xval_bytes(&a[0], i, &sepn);
		}
		bool first = true;
		for (uint32_t k = ws ? 1 : 0; k < e->u.fn.nargs && !rc; k++) {
			if (xval_null(&a[k], i))
				continue;
			uint32_t l;
			const char *p = xval_bytes(&a[k], i, &l);
			if (ws && !first)
				rc = buf_append(&b, sep, sepn);
			if (!rc)
				rc = buf_append(&b, p, l);
			first = false;
		}
		if (!rc)
			rc = colvec_push_bytes(&e->out, b.data ? (const char *)b.data : "", b.len);
	}
	buf_free(&b);
	out->v = &e->out;
	return rc;
}
static int bind_concat_ws(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 1;
	return bind_str1(cx, e);
}

/* strpos / starts_with / ends_with / ascii: kinds in iarg */
static int f_strpred(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		     struct xval *out)
{
	(void)cx;
	int rc = out_fixed(e, n, &a[0], e->u.fn.nargs > 1 ? &a[1] : NULL, out);
	for (uint32_t i = 0; i < n && !rc; i++) {
		if (!vec_valid(&e->out, i)) {
			e->out.i64[i] = 0;
			continue;
		}
		uint32_t sn, pn = 0;
		const char *s = xval_bytes(&a[0], i, &sn), *p = "";
		if (e->u.fn.nargs > 1)
			p = xval_bytes(&a[1], i, &pn);
		int64_t r = 0;
		switch (e->u.fn.iarg) {
		case 0: { /* strpos */
			const char *h = !pn ? s : sn ? memmem(s, sn, p, pn) : NULL;
			r = h ? (int64_t)utf8_len(s, (uint32_t)(h - s)) + 1 : 0;
			break;
		}
		case 1: r = sn >= pn && (pn == 0 || memcmp(s, p, pn) == 0); break;
		case 2: r = sn >= pn && (pn == 0 || memcmp(s + sn - pn, p, pn) == 0); break;
		case 3: r = sn ? (unsigned char)s[0] : 0; break;
		}
		e->out.i64[i] = r;
	}
	return rc;
}
static int bind_strpos(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 0;
	return bind_str_args(cx, e, 0, 2, DT_INT32);
}
static int bind_starts_with(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 1;
	return bind_str_args(cx, e, 0, 2, DT_BOOL);
}
static int bind_ends_with(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 2;
	return bind_str_args(cx, e, 0, 2, DT_BOOL);
}
static int bind_ascii(struct xctx *cx, struct xexpr *e)
{
	e->u.fn.iarg = 3;
	return bind_str_args(cx, e, 0, 1, DT_INT32);
}

static int bind_chr(struct xctx *cx, struct xexpr *e)
{
	if (arg_cast(cx, e, 0, DT_INT64))
		return err_code();
	e->type = DT_STRING;
	return 0;
}
static int f_chr(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		 struct xval *out)
{
	(void)cx;
	int rc = vec_empty(&e->out, DT_STRING, n);
	for (uint32_t i = 0; i < n && !rc; i++) {
		if (xval_null(&a[0], i)) {
			rc = colvec_push_null(&e->out);
			continue;
		}
		int64_t c = xval_i64(&a[0], i);
		char u[4];
		uint32_t l;
		if (c <= 0 || c > 0x10FFFF)
			return exec_err("Execution error: requested character not compatible for encoding.");
		if (c < 0x80) {
			u[0] = (char)c;
			l = 1;
		} else if (c < 0x800) {
			u[0] = (char)(0xC0 | (c >> 6));
			u[1] = (char)(0x80 | (c & 0x3F));
			l = 2;
		} else if (c < 0x10000) {
			u[0] = (char)(0xE0 | (c >> 12));
			u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
			u[2] = (char)(0x80 | (c & 0x3F));
			l = 3;
		} else {
			u[0] = (char)(0xF0 | (c >> 18));
			u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
			u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
			u[3] = (char)(0x80 | (c & 0x3F));
			l = 4;
		}
		rc = colvec_push_bytes(&e->out, u, l);
	}
	out->v = &e->out;
	return rc;
}

/* ---- time ---------------------------------------------------------------------- */

static int bind_now(struct xctx *cx, struct xexpr *e)
{
	(void)cx;
	e->type = DT_TS_MS;
	return 0;
}
static int f_now(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		 struct xval *out)
{
	(void)a;
	int rc = out_fixed(e, n, NULL, NULL, out);
	for (uint32_t i = 0; i < n && !rc; i++)
		e->out.i64[i] = cx->now_ms;
	return rc;
}
static int bind_current_date(struct xctx *cx, struct xexpr *e)
{
	(void)cx;
	e->type = DT_DATE;
	return 0;
}
static int f_current_date(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
			  struct xval *out)
{
	(void)a;
	int rc = out_fixed(e, n, NULL, NULL, out);
	for (uint32_t i = 0; i < n && !rc; i++)
		e->out.i64[i] = floordiv(cx->now_ms, 86400000LL);
	return rc;
}

/* Make argument i a timestamp (strings are parsed as milliseconds). */
static int arg_timestamp(struct xctx *cx, struct xexpr *e, uint32_t i, bool allow_date)
{
	int t = ARGS(e)[i]->type;
	if (dtype_is_timestamp(t) || (allow_date && t == DT_DATE))
		return 0;
	if (t == DT_STRING || t == XT_NULL || t == DT_DATE || xtype_is_int(t))
		return arg_cast(cx, e, i, DT_TS_MS);
	return sig_err(e, "a timestamp argument");
}

/* An interval from a constant argument (INTERVAL literal or string). */
static int arg_interval(struct xctx *cx, struct xexpr *e, uint32_t i, struct interval *iv)
{
	struct xexpr *a = ARGS(e)[i];
	uint32_t n;
	const char *s;
	if (a->kind == X_CONST && a->type == XT_INTERVAL) {
		*iv = a->u.iv;
		return 0;
	}
	if ((s = const_str(cx, a, &n)))
		return parse_interval(s, n, NULL, iv);
	return plan_err("Error during planning: Function '%s' expects a constant interval argument",
			e->u.fn.def->name);
}

static int bind_date_bin(struct xctx *cx, struct xexpr *e)
{
	struct interval iv;
	int rc = arg_interval(cx, e, 0, &iv);
	if (rc)
		return rc;
	if (iv.months)
		return exec_err("Execution error: DATE_BIN stride does not support month intervals");
	int64_t ns;
	if (__builtin_mul_overflow(iv.days, 86400LL * NS_PER_SEC, &ns) ||
	    __builtin_add_overflow(ns, iv.nanos, &ns) || ns <= 0)
		return exec_err("Execution error: DATE_BIN stride must be non-zero");
	e->u.fn.iv = iv;
	e->u.fn.iarg = ns;
	if ((rc = arg_timestamp(cx, e, 1, false)))
		return rc;
	e->type = ARGS(e)[1]->type;
	if (e->u.fn.nargs > 2 && (rc = arg_cast(cx, e, 2, e->type)))
		return rc;
	return 0;
}
static int f_date_bin(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		      struct xval *out)
{
	(void)cx;
	int rc = out_fixed(e, n, &a[1], e->u.fn.nargs > 2 ? &a[2] : NULL, out);
	if (rc)
		return rc;
	int64_t ups = dtype_ts_units_per_sec(e->type);
	int64_t unit_ns = NS_PER_SEC / ups;
	int64_t stride_ns = e->u.fn.iarg;
	int64_t *r = e->out.i64;
	if (stride_ns % unit_ns == 0 && (e->u.fn.nargs < 3 || !a[2].v)) {
		int64_t st = stride_ns / unit_ns;
		int64_t origin = e->u.fn.nargs > 2 ? a[2].c.v.i : 0;
		if (a[1].v) {
			const int64_t *v = a[1].v->i64;
			if (origin == 0) {
				for (uint32_t i = 0; i < n; i++) {
					int64_t x = v[i];
					int64_t q = x / st, m = x % st;
					r[i] = (q - (m < 0)) * st;
				}
			} else {
				for (uint32_t i = 0; i < n; i++)
					r[i] = floordiv(v[i] - origin, st) * st + origin;
			}
		} else {
			for (uint32_t i = 0; i < n; i++)
				r[i] = floordiv(a[1].c.v.i - origin, st) * st + origin;
		}
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		int64_t x = ts_to_ns_floor(xval_i64(&a[1], i), e->type);
		int64_t o = e->u.fn.nargs > 2 ? ts_to_ns_floor(xval_i64(&a[2], i), e->type) : 0;
		int64_t b = floordiv(x - o, stride_ns) * stride_ns + o;
		r[i] = floordiv(b, unit_ns);
	}
	return 0;
}

enum tunit { TU_NANO, TU_MICRO, TU_MILLI, TU_SECOND, TU_MINUTE, TU_HOUR, TU_DAY, TU_WEEK,
	     TU_MONTH, TU_QUARTER, TU_YEAR, TU_DOW, TU_DOY, TU_EPOCH, TU_DECADE, TU_CENTURY,
	     TU_MILLENNIUM, TU_ISODOW };

static int unit_from(const char *s, uint32_t n)
{
	static const struct {
		const char *name;
		int u;
	} t[] = {
		{"nanosecond", TU_NANO},   {"nanoseconds", TU_NANO}, {"ns", TU_NANO},
		{"microsecond", TU_MICRO}, {"microseconds", TU_MICRO}, {"us", TU_MICRO},
		{"millisecond", TU_MILLI}, {"milliseconds", TU_MILLI}, {"ms", TU_MILLI},
		{"second", TU_SECOND},     {"seconds", TU_SECOND},   {"s", TU_SECOND},
		{"minute", TU_MINUTE},     {"minutes", TU_MINUTE},   {"hour", TU_HOUR},
		{"hours", TU_HOUR},        {"h", TU_HOUR},           {"day", TU_DAY},
		{"days", TU_DAY},          {"d", TU_DAY},            {"week", TU_WEEK},
		{"weeks", TU_WEEK},        {"month", TU_MONTH},      {"months", TU_MONTH},
		{"quarter", TU_QUARTER},   {"year", TU_YEAR},        {"years", TU_YEAR},
		{"dow", TU_DOW},           {"doy", TU_DOY},          {"epoch", TU_EPOCH},
		{"decade", TU_DECADE},     {"century", TU_CENTURY},  {"millennium", TU_MILLENNIUM},
		{"isodow", TU_ISODOW},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].name) == n && strncasecmp(t[i].name, s, n) == 0)
			return t[i].u;
	return -1;
}

static int bind_date_trunc(struct xctx *cx, struct xexpr *e)
{
	uint32_t n;
	const char *s = const_str(cx, ARGS(e)[0], &n);
	if (!s)
		return plan_err("Error during planning: date_trunc expects a constant granularity");
	int u = unit_from(s, n);
	if (u < 0 || u > TU_YEAR)
		return exec_err("Execution error: Unsupported date_trunc granularity: '%.*s'. Supported values are: microsecond, millisecond, second, minute, hour, day, week, month, quarter, year",
				(int)n, s);
	e->u.fn.iarg = u;
	int rc = arg_timestamp(cx, e, 1, false);
	if (rc)
		return rc;
	e->type = ARGS(e)[1]->type;
	return 0;
}

static int64_t trunc_ts(int64_t v, enum dtype t, int u)
{
	int64_t ups = dtype_ts_units_per_sec(t);
	int64_t unit_ns = NS_PER_SEC / ups;
	int64_t step_ns = 0;
	switch (u) {
	case TU_NANO: step_ns = 1; break;
	case TU_MICRO: step_ns = 1000; break;
	case TU_MILLI: step_ns = 1000000; break;
	case TU_SECOND: step_ns = NS_PER_SEC; break;
	case TU_MINUTE: step_ns = 60 * NS_PER_SEC; break;
	case TU_HOUR: step_ns = 3600 * NS_PER_SEC; break;
	case TU_DAY: step_ns = 86400 * NS_PER_SEC; break;
	default: break;
	}
	if (step_ns) {
		if (step_ns <= unit_ns)
			return v;
		int64_t st = step_ns / unit_ns;
		return floordiv(v, st) * st;
	}
	int64_t units_per_day = 86400 * ups;
	int64_t days = floordiv(v, units_per_day);
	int64_t y;
	int m, d;
	if (u == TU_WEEK) {
		/* 1970-01-01 was a Thursday; weeks start on Monday */
		int64_t dow = ((days % 7) + 7 + 3) % 7; /* 0 = Monday */
		return (days - dow) * units_per_day;
	}
	vfmt_civil_from_days(days, &y, &m, &d);
	if (u == TU_MONTH)
		d = 1;
	else if (u == TU_QUARTER) {
		m = (m - 1) / 3 * 3 + 1;
		d = 1;
	} else {
		m = 1;
		d = 1;
	}
	return vfmt_days_from_civil(y, m, d) * units_per_day;
}

static int f_date_trunc(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
			struct xval *out)
{
	(void)cx;
	int rc = out_fixed(e, n, &a[1], NULL, out);
	if (rc)
		return rc;
	int u = (int)e->u.fn.iarg;
	if (a[1].v && u <= TU_DAY) {
		/* fixed-length units: one floor division per row */
		static const int64_t step_ns[] = {[TU_NANO] = 1, [TU_MICRO] = 1000,
						  [TU_MILLI] = 1000000, [TU_SECOND] = NS_PER_SEC,
						  [TU_MINUTE] = 60 * NS_PER_SEC, [TU_HOUR] = 3600 * NS_PER_SEC,
						  [TU_DAY] = 86400 * NS_PER_SEC};
		int64_t unit_ns = NS_PER_SEC / dtype_ts_units_per_sec(e->type);
		const int64_t *v = a[1].v->i64;
		if (step_ns[u] <= unit_ns) {
			if (n)
				memcpy(e->out.i64, v, (size_t)n * sizeof(int64_t));
			return 0;
		}
		int64_t st = step_ns[u] / unit_ns;
		/* sorted runs: a value in the last bucket needs no division */
		int64_t lo = 0;
		bool have = false;
		for (uint32_t i = 0; i < n; i++) {
			int64_t x = v[i];
			if (!have || x < lo || (uint64_t)x - (uint64_t)lo >= (uint64_t)st) {
				int64_t q = x / st;
				lo = (q - (x % st < 0)) * st;
				have = true;
			}
			e->out.i64[i] = lo;
		}
		return 0;
	}
	for (uint32_t i = 0; i < n; i++)
		e->out.i64[i] = trunc_ts(xval_i64(&a[1], i), e->type, u);
	return 0;
}

static int bind_date_part(struct xctx *cx, struct xexpr *e)
{
	uint32_t n;
	const char *s = const_str(cx, ARGS(e)[0], &n);
	if (!s)
		return plan_err("Error during planning: date_part expects a constant field");
	int u = unit_from(s, n);
	if (u < 0 || u == TU_WEEK + 100)
		return exec_err("Execution error: Date part '%.*s' not supported", (int)n, s);
	e->u.fn.iarg = u;
	int rc = arg_timestamp(cx, e, 1, true);
	if (rc)
		return rc;
	e->type = u == TU_EPOCH ? DT_FLOAT64 : DT_INT32;
	return 0;
}

static int64_t part_of(int64_t v, int t, int u, double *fout)
{
	int64_t ups = t == DT_DATE ? 1 : dtype_ts_units_per_sec(t);
	int64_t secs = t == DT_DATE ? v * 86400 : floordiv(v, ups);
	int64_t frac_ns = t == DT_DATE ? 0 : (v - secs * ups) * (NS_PER_SEC / ups);
	int64_t days = floordiv(secs, 86400), sod = secs - days * 86400;
	int64_t y;
	int m, d;
	vfmt_civil_from_days(days, &y, &m, &d);
	switch (u) {
	case TU_YEAR: return y;
	case TU_QUARTER: return (m - 1) / 3 + 1;
	case TU_MONTH: return m;
	case TU_DAY: return d;
	case TU_HOUR: return sod / 3600;
	case TU_MINUTE: return sod / 60 % 60;
	case TU_SECOND: return sod % 60;
	case TU_MILLI: return (sod % 60) * 1000 + frac_ns / 1000000;
	case TU_MICRO: return (sod % 60) * 1000000 + frac_ns / 1000;
	case TU_NANO: return (sod % 60) * NS_PER_SEC + frac_ns;
	case TU_DOW: return ((days % 7) + 7 + 4) % 7; /* Sunday = 0 */
	case TU_ISODOW: return ((days % 7) + 7 + 3) % 7 + 1;
	case TU_DOY: return days - vfmt_days_from_civil(y, 1, 1) + 1;
	case TU_DECADE: return floordiv(y, 10);
	case TU_CENTURY: return y > 0 ? (y + 99) / 100 : -((-y) / 100 + 1);
	case TU_MILLENNIUM: return y > 0 ? (y + 999) / 1000 : -((-y) / 1000 + 1);
	case TU_WEEK: {
		/* ISO 8601 week number */
		int64_t dow = ((days % 7) + 7 + 3) % 7; /* Monday 0 */
		int64_t thursday = days - dow + 3;
		int64_t ty;
		int tm, td;
		vfmt_civil_from_days(thursday, &ty, &tm, &td);
		return (thursday - vfmt_days_from_civil(ty, 1, 1)) / 7 + 1;
	}
	case TU_EPOCH: *fout = (double)secs + (double)frac_ns / 1e9; return 0;
	default: return 0;
	}
}

static int f_date_part(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		       struct xval *out)
{
	(void)cx;
	int rc = out_fixed(e, n, &a[1], NULL, out);
	int t = ARGS(e)[1]->type;
	for (uint32_t i = 0; i < n && !rc; i++) {
		double f = 0;
		int64_t r = part_of(xval_i64(&a[1], i), t, (int)e->u.fn.iarg, &f);
		if (e->type == DT_FLOAT64)
			e->out.f64[i] = f;
		else
			e->out.i64[i] = r;
	}
	return rc;
}

static int bind_date_add(struct xctx *cx, struct xexpr *e)
{
	int rc = arg_timestamp(cx, e, 0, true);
	if (rc || (rc = arg_interval(cx, e, 1, &e->u.fn.iv)))
		return rc;
	e->type = ARGS(e)[0]->type;
	return 0;
}
static int date_add_sub(struct xexpr *e, const struct xval *a, uint32_t n, struct xval *out,
			int sign)
{
	int rc = out_fixed(e, n, &a[0], NULL, out);
	for (uint32_t i = 0; i < n && !rc; i++) {
		if (!vec_valid(&e->out, i)) {
			e->out.i64[i] = 0;
			continue;
		}
		rc = ts_add_interval(xval_i64(&a[0], i), e->type, &e->u.fn.iv, sign, &e->out.i64[i]);
	}
	return rc;
}
static int f_date_add(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		      struct xval *out)
{
	(void)cx;
	return date_add_sub(e, a, n, out, 1);
}
static int f_date_sub(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		      struct xval *out)
{
	(void)cx;
	return date_add_sub(e, a, n, out, -1);
}

static int bind_date_format(struct xctx *cx, struct xexpr *e)
{
	int rc = arg_timestamp(cx, e, 0, true);
	if (rc || (rc = arg_cast(cx, e, 1, DT_STRING)))
		return rc;
	e->type = DT_STRING;
	return 0;
}

static const char *const wday_name[7] = {"Sunday", "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday"};
static const char *const mon_name[12] = {"January", "February", "March",     "April",
					 "May",     "June",     "July",      "August",
					 "September", "October", "November", "December"};

/* chrono-style strftime of a broken-down time. */
static int strftime_chrono(struct buf *b, const char *f, uint32_t fn, const struct vfmt_tm *tm,
			   int64_t nanos, int64_t days, int64_t epoch_s, int32_t off)
{
	int rc = 0;
	int64_t dow = ((days % 7) + 7 + 4) % 7;
	for (uint32_t i = 0; i < fn && !rc; i++) {
		if (f[i] != '%' || i + 1 >= fn) {
			rc = buf_putc(b, (uint8_t)f[i]);
			continue;
		}
		char c = f[++i];
		int width = 0;
		if (c >= '1' && c <= '9' && i + 1 < fn && f[i + 1] == 'f') {
			width = c - '0';
			c = f[++i];
		} else if (c == '.' && ((i + 1 < fn && f[i + 1] == 'f') ||
				       (i + 2 < fn && f[i + 2] == 'f' && f[i + 1] >= '1' && f[i + 1] <= '9'))) {
			/* %.3f %.6f %.9f or %.f */
			char w = f[i + 1];
			i += w == 'f' ? 1 : 2;
			int wd = w >= '1' && w <= '9' ? w - '0' : 0;
			if (!wd && nanos == 0)
				continue;
			if (!wd)
				wd = nanos % 1000000 == 0 ? 3 : nanos % 1000 == 0 ? 6 : 9;
			char tmp[16];
			snprintf(tmp, sizeof(tmp), "%09" PRId64, nanos);
			rc = buf_printf(b, ".%.*s", wd, tmp);
			continue;
		}
		switch (c) {
		case 'Y': rc = buf_printf(b, "%04" PRId64, tm->year); break;
		case 'C': rc = buf_printf(b, "%02" PRId64, tm->year / 100); break;
		case 'y': rc = buf_printf(b, "%02" PRId64, ((tm->year % 100) + 100) % 100); break;
		case 'm': rc = buf_printf(b, "%02d", tm->mon); break;
		case 'b':
		case 'h': rc = buf_printf(b, "%.3s", mon_name[tm->mon - 1]); break;
		case 'B': rc = buf_printf(b, "%s", mon_name[tm->mon - 1]); break;
		case 'd': rc = buf_printf(b, "%02d", tm->day); break;
		case 'e': rc = buf_printf(b, "%2d", tm->day); break;
		case 'a': rc = buf_printf(b, "%.3s", wday_name[dow]); break;
		case 'A': rc = buf_printf(b, "%s", wday_name[dow]); break;
		case 'w': rc = buf_printf(b, "%d", (int)dow); break;
		case 'u': rc = buf_printf(b, "%d", dow == 0 ? 7 : (int)dow); break;
		case 'j':
			rc = buf_printf(b, "%03" PRId64, days - vfmt_days_from_civil(tm->year, 1, 1) + 1);
			break;
		case 'H': rc = buf_printf(b, "%02d", tm->hour); break;
		case 'k': rc = buf_printf(b, "%2d", tm->hour); break;
		case 'I': rc = buf_printf(b, "%02d", tm->hour % 12 ? tm->hour % 12 : 12); break;
		case 'l': rc = buf_printf(b, "%2d", tm->hour % 12 ? tm->hour % 12 : 12); break;
		case 'p': rc = buf_printf(b, "%s", tm->hour < 12 ? "AM" : "PM"); break;
		case 'P': rc = buf_printf(b, "%s", tm->hour < 12 ? "am" : "pm"); break;
		case 'M': rc = buf_printf(b, "%02d", tm->min); break;
		case 'S': rc = buf_printf(b, "%02d", tm->sec); break;
		case 'f': {
			char tmp[16];
			snprintf(tmp, sizeof(tmp), "%09" PRId64, nanos);
			rc = buf_printf(b, "%.*s", width ? width : 9, tmp);
			break;
		}
		case 's': rc = buf_printf(b, "%" PRId64, epoch_s); break;
		case 'T': rc = buf_printf(b, "%02d:%02d:%02d", tm->hour, tm->min, tm->sec); break;
		case 'R': rc = buf_printf(b, "%02d:%02d", tm->hour, tm->min); break;
		case 'D':
			rc = buf_printf(b, "%02d/%02d/%02" PRId64, tm->mon, tm->day,
					((tm->year % 100) + 100) % 100);
			break;
		case 'F': rc = buf_printf(b, "%04" PRId64 "-%02d-%02d", tm->year, tm->mon, tm->day); break;
		case 'z':
			rc = buf_printf(b, "%c%02d%02d", off < 0 ? '-' : '+', abs(off) / 3600,
					abs(off) / 60 % 60);
			break;
		case ':':
			if (i + 1 < fn && f[i + 1] == 'z') {
				i++;
				rc = buf_printf(b, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 3600,
						abs(off) / 60 % 60);
			} else {
				rc = buf_printf(b, "%%:");
			}
			break;
		case 'Z': rc = buf_printf(b, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 3600, abs(off) / 60 % 60); break;
		case 'n': rc = buf_putc(b, '\n'); break;
		case 't': rc = buf_putc(b, '\t'); break;
		case '%': rc = buf_putc(b, '%'); break;
		default: rc = buf_printf(b, "%%%c", c); break;
		}
	}
	return rc;
}

static int f_date_format(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
			 struct xval *out)
{
	int rc = vec_empty(&e->out, DT_STRING, n);
	int t = ARGS(e)[0]->type;
	struct buf b;
	buf_init(&b);
	for (uint32_t i = 0; i < n && !rc; i++) {
		if (xval_null(&a[0], i) || xval_null(&a[1], i)) {
			rc = colvec_push_null(&e->out);
			continue;
		}
		int64_t v = xval_i64(&a[0], i);
		struct vfmt_tm tm;
		int64_t nanos = 0, secs;
		int32_t off = 0;
		if (t == DT_DATE) {
			memset(&tm, 0, sizeof(tm));
			vfmt_civil_from_days(v, &tm.year, &tm.mon, &tm.day);
			secs = v * 86400;
		} else {
			vfmt_ts_split(v, t, &cx->tz, &tm);
			int64_t ups = dtype_ts_units_per_sec(t);
			secs = floordiv(v, ups);
			nanos = (v - secs * ups) * (NS_PER_SEC / ups);
			off = vfmt_tz_offset_at(&cx->tz, secs);
		}
		int64_t local_days = vfmt_days_from_civil(tm.year, tm.mon, tm.day);
		uint32_t fn;
		const char *f = xval_bytes(&a[1], i, &fn);
		buf_reset(&b);
		rc = strftime_chrono(&b, f, fn, &tm, nanos, local_days, secs, off);
		if (!rc)
			rc = colvec_push_bytes(&e->out, b.data ? (const char *)b.data : "", b.len);
	}
	buf_free(&b);
	out->v = &e->out;
	return rc;
}

static int bind_to_unixtime(struct xctx *cx, struct xexpr *e)
{
	int t = ARGS(e)[0]->type;
	if (t == DT_STRING) {
		if (arg_cast(cx, e, 0, DT_TS_NS))
			return err_code();
	} else if (!(xtype_is_temporal(t) || xtype_is_int(t) || t == XT_NULL)) {
		return sig_err(e, "a timestamp, date, integer or string argument");
	}
	e->type = DT_INT64;
	return 0;
}
static int f_to_unixtime(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
			 struct xval *out)
{
	(void)cx;
	int rc = out_fixed(e, n, &a[0], NULL, out);
	int t = ARGS(e)[0]->type;
	for (uint32_t i = 0; i < n && !rc; i++) {
		int64_t v = xval_i64(&a[0], i);
		if (t == DT_DATE)
			v *= 86400;
		else if (dtype_is_timestamp(t))
			v = floordiv(v, dtype_ts_units_per_sec(t));
		e->out.i64[i] = v;
	}
	return rc;
}

/* to_timestamp family: iarg = target type */
static int bind_to_ts_kind(struct xctx *cx, struct xexpr *e, int target)
{
	int t = ARGS(e)[0]->type;
	e->type = target;
	if (t == DT_STRING || dtype_is_timestamp(t) || t == DT_DATE || t == XT_NULL)
		return arg_cast(cx, e, 0, target);
	if (xtype_is_int(t)) {
		/* integers are counts of the target unit (seconds for to_timestamp) */
		e->u.fn.iarg = 1;
		return arg_cast(cx, e, 0, DT_INT64);
	}
	if (xtype_is_float(t)) {
		e->u.fn.iarg = 2;
		return arg_cast(cx, e, 0, DT_FLOAT64);
	}
	return sig_err(e, "a string, integer or timestamp argument");
}
static int bind_to_timestamp(struct xctx *cx, struct xexpr *e)
{
	int t = ARGS(e)[0]->type;
	if (xtype_is_int(t) || xtype_is_float(t)) {
		/* DataFusion: integers are seconds */
		int rc = bind_to_ts_kind(cx, e, DT_TS_S);
		return rc;
	}
	return bind_to_ts_kind(cx, e, DT_TS_NS);
}
static int bind_to_ts_s(struct xctx *cx, struct xexpr *e) { return bind_to_ts_kind(cx, e, DT_TS_S); }
static int bind_to_ts_ms(struct xctx *cx, struct xexpr *e) { return bind_to_ts_kind(cx, e, DT_TS_MS); }
static int bind_to_ts_us(struct xctx *cx, struct xexpr *e) { return bind_to_ts_kind(cx, e, DT_TS_US); }
static int bind_to_ts_ns(struct xctx *cx, struct xexpr *e) { return bind_to_ts_kind(cx, e, DT_TS_NS); }
static int f_to_timestamp(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
			  struct xval *out)
{
	(void)cx;
	if (e->u.fn.iarg == 0) {
		*out = a[0];
		return 0;
	}
	int rc = out_fixed(e, n, &a[0], NULL, out);
	for (uint32_t i = 0; i < n && !rc; i++)
		e->out.i64[i] = e->u.fn.iarg == 1 ? xval_i64(&a[0], i)
						  : (int64_t)floor(xval_f64(&a[0], i) * (double)dtype_ts_units_per_sec(e->type));
	return rc;
}

/* ---- misc ----------------------------------------------------------------------- */

static int bind_str0(struct xctx *cx, struct xexpr *e)
{
	(void)cx;
	e->type = DT_STRING;
	return 0;
}
static int const_string_out(struct xexpr *e, uint32_t n, const char *s, struct xval *out)
{
	int rc = vec_empty(&e->out, DT_STRING, n);
	for (uint32_t i = 0; i < n && !rc; i++)
		rc = colvec_push_bytes(&e->out, s, strlen(s));
	out->v = &e->out;
	return rc;
}
static int f_database(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		      struct xval *out)
{
	(void)a;
	return const_string_out(e, n, cx->s ? cx->s->schema : "public", out);
}
static int f_timezone(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		      struct xval *out)
{
	(void)a;
	const char *tz = cx->s && cx->s->time_zone[0] ? cx->s->time_zone : "UTC";
	return const_string_out(e, n, tz, out);
}
static int f_user(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		  struct xval *out)
{
	(void)a;
	return const_string_out(e, n, cx->s && cx->s->user[0] ? cx->s->user : "greptime", out);
}
static int bind_u64(struct xctx *cx, struct xexpr *e)
{
	(void)cx;
	e->type = DT_UINT64;
	return 0;
}
static int f_connection_id(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
			   struct xval *out)
{
	(void)a;
	int rc = out_fixed(e, n, NULL, NULL, out);
	for (uint32_t i = 0; i < n && !rc; i++)
		e->out.i64[i] = cx->s ? cx->s->conn_id : 0;
	return rc;
}
static int f_version(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		     struct xval *out)
{
	(void)a;
	struct datum d;
	if (cx->env && cx->env->call_function &&
	    xfunc_call_env(cx, "version", NULL, 0, &d) == 0 && !d.is_null &&
	    xphys(d.type) == PHYS_BYTES) {
		int rc = vec_empty(&e->out, DT_STRING, n);
		for (uint32_t i = 0; i < n && !rc; i++)
			rc = colvec_push_bytes(&e->out, d.v.s.p, d.v.s.n);
		out->v = &e->out;
		return rc;
	}
	err_clear();
	return const_string_out(e, n, "8.4.2", out);
}

static int bind_typeof(struct xctx *cx, struct xexpr *e)
{
	(void)cx;
	e->type = DT_STRING;
	return 0;
}
static int f_typeof(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		    struct xval *out)
{
	(void)cx, (void)a;
	return const_string_out(e, n, xtype_arrow_name(ARGS(e)[0]->type), out);
}

/* arrow_cast(x, 'Timestamp(ms)') as GreptimeDB writes casts to timestamps */
static int bind_arrow_cast(struct xctx *cx, struct xexpr *e)
{
	uint32_t n;
	const char *s = const_str(cx, ARGS(e)[1], &n);
	if (!s)
		return plan_err("Error during planning: arrow_cast requires its second argument to be a constant string");
	for (int t = 0; t < DT__COUNT; t++) {
		const char *an = xtype_arrow_name(t);
		if (strlen(an) == n && memcmp(an, s, n) == 0) {
			if (!x_can_cast(ARGS(e)[0]->type, t))
				break;
			e->type = t;
			return arg_cast(cx, e, 0, t);
		}
	}
	static const struct {
		const char *n;
		int t;
	} alt[] = {{"Timestamp(Second, None)", DT_TS_S},
		   {"Timestamp(Millisecond, None)", DT_TS_MS},
		   {"Timestamp(Microsecond, None)", DT_TS_US},
		   {"Timestamp(Nanosecond, None)", DT_TS_NS},
		   {"Timestamp(us)", DT_TS_US}};
	for (size_t i = 0; i < sizeof(alt) / sizeof(alt[0]); i++)
		if (strlen(alt[i].n) == n && memcmp(alt[i].n, s, n) == 0) {
			e->type = alt[i].t;
			return arg_cast(cx, e, 0, alt[i].t);
		}
	return plan_err("Error during planning: Unsupported type '%.*s'", (int)n, s);
}
static int f_identity(struct xctx *cx, struct xexpr *e, const struct xval *a, uint32_t n,
		      struct xval *out)
{
	(void)cx, (void)e, (void)n;
	*out = a[0];
	return 0;
}

/* ---- registry ---------------------------------------------------------------------- */

static const struct xfunc_def funcs[] = {
	{"abs", 1, 1, bind_abs, f_abs, false},
	{"ceil", 1, 1, bind_float_unary, f_ceil, false},
	{"floor", 1, 1, bind_float_unary, f_floor, false},
	{"round", 1, 2, bind_round, f_round, false},
	{"trunc", 1, 2, bind_round, f_trunc, false},
	{"sqrt", 1, 1, bind_float_unary, f_sqrt, false},
	{"cbrt", 1, 1, bind_float_unary, f_cbrt, false},
	{"ln", 1, 1, bind_float_unary, f_ln, false},
	{"log10", 1, 1, bind_float_unary, f_log10, false},
	{"log2", 1, 1, bind_float_unary, f_log2, false},
	{"log", 1, 2, bind_log, f_log, false},
	{"exp", 1, 1, bind_float_unary, f_exp, false},
	{"power", 2, 2, bind_power, f_power, false},
	{"sin", 1, 1, bind_float_unary, f_sin, false},
	{"cos", 1, 1, bind_float_unary, f_cos, false},
	{"tan", 1, 1, bind_float_unary, f_tan, false},
	{"asin", 1, 1, bind_float_unary, f_asin, false},
	{"acos", 1, 1, bind_float_unary, f_acos, false},
	{"atan", 1, 1, bind_float_unary, f_atan, false},
	{"atan2", 2, 2, bind_float_unary, f_atan2, false},
	{"degrees", 1, 1, bind_float_unary, f_degrees, false},
	{"radians", 1, 1, bind_float_unary, f_radians, false},
	{"signum", 1, 1, bind_float_unary, f_signum, false},
	{"pi", 0, 0, bind_none_f64, f_pi, false},
	{"random", 0, 0, bind_none_f64, f_random, true},
	{"coalesce", 1, 1000, bind_common, f_coalesce, false},
	{"greatest", 1, 1000, bind_common, f_greatest, false},
	{"least", 1, 1000, bind_common, f_least, false},
	{"nullif", 2, 2, bind_common, f_nullif, false},
	{"lower", 1, 1, bind_str1, f_lower, false},
	{"upper", 1, 1, bind_str1, f_upper, false},
	{"initcap", 1, 1, bind_str1, f_initcap, false},
	{"reverse", 1, 1, bind_str1, f_reverse, false},
	{"character_length", 1, 1, bind_str_len, f_length, false},
	{"octet_length", 1, 1, bind_octet_length, f_length, false},
	{"bit_length", 1, 1, bind_bit_length, f_length, false},
	{"concat", 1, 1000, bind_str1, f_concat, false},
	{"concat_ws", 2, 1000, bind_concat_ws, f_concat, false},
	{"substr", 2, 3, bind_str_int, f_substr, false},
	{"left", 2, 2, bind_left, f_left, false},
	{"right", 2, 2, bind_right, f_left, false},
	{"lpad", 2, 3, bind_lpad, f_pad, false},
	{"rpad", 2, 3, bind_rpad, f_pad, false},
	{"repeat", 2, 2, bind_str_int, f_repeat, false},
	{"btrim", 1, 2, bind_trim, f_trim, false},
	{"ltrim", 1, 2, bind_ltrim, f_trim, false},
	{"rtrim", 1, 2, bind_rtrim, f_trim, false},
	{"replace", 3, 3, bind_str1, f_replace, false},
	{"split_part", 3, 3, bind_split_part, f_split_part, false},
	{"strpos", 2, 2, bind_strpos, f_strpred, false},
	{"starts_with", 2, 2, bind_starts_with, f_strpred, false},
	{"ends_with", 2, 2, bind_ends_with, f_strpred, false},
	{"ascii", 1, 1, bind_ascii, f_strpred, false},
	{"chr", 1, 1, bind_chr, f_chr, false},
	{"now", 0, 0, bind_now, f_now, false},
	{"current_date", 0, 0, bind_current_date, f_current_date, false},
	{"date_bin", 2, 3, bind_date_bin, f_date_bin, false},
	{"date_trunc", 2, 2, bind_date_trunc, f_date_trunc, false},
	{"date_part", 2, 2, bind_date_part, f_date_part, false},
	{"date_add", 2, 2, bind_date_add, f_date_add, false},
	{"date_sub", 2, 2, bind_date_add, f_date_sub, false},
	{"date_format", 2, 2, bind_date_format, f_date_format, false},
	{"to_unixtime", 1, 1, bind_to_unixtime, f_to_unixtime, false},
	{"to_timestamp", 1, 1, bind_to_timestamp, f_to_timestamp, false},
	{"to_timestamp_seconds", 1, 1, bind_to_ts_s, f_to_timestamp, false},
	{"to_timestamp_millis", 1, 1, bind_to_ts_ms, f_to_timestamp, false},
	{"to_timestamp_micros", 1, 1, bind_to_ts_us, f_to_timestamp, false},
	{"to_timestamp_nanos", 1, 1, bind_to_ts_ns, f_to_timestamp, false},
	{"database", 0, 0, bind_str0, f_database, false},
	{"current_schema", 0, 0, bind_str0, f_database, false},
	{"timezone", 0, 0, bind_str0, f_timezone, false},
	{"current_user", 0, 0, bind_str0, f_user, false},
	{"version", 0, 0, bind_str0, f_version, false},
	{"connection_id", 0, 0, bind_u64, f_connection_id, false},
	{"arrow_typeof", 1, 1, bind_typeof, f_typeof, false},
	{"arrow_cast", 2, 2, bind_arrow_cast, f_identity, false},
};

static const struct {
	const char *alias, *name;
} aliases[] = {
	{"ceiling", "ceil"},
	{"pow", "power"},
	{"char_length", "character_length"},
	{"length", "character_length"},
	{"len", "character_length"},
	{"substring", "substr"},
	{"trim", "btrim"},
	{"current_timestamp", "now"},
	{"localtimestamp", "now"},
	{"datepart", "date_part"},
	{"datetrunc", "date_trunc"},
	{"ifnull", "coalesce"},
	{"nvl", "coalesce"},
	{"instr", "strpos"},
	{"position", "strpos"},
	{"schema", "current_schema"},
	{"user", "current_user"},
	{"session_user", "current_user"},
	{"pg_backend_pid", "connection_id"},
	{"lcase", "lower"},
	{"ucase", "upper"},
};

const struct xfunc_def *xfunc_find(const char *name)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].alias, name) == 0) {
			name = aliases[i].name;
			break;
		}
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strcmp(funcs[i].name, name) == 0)
			return &funcs[i];
	return NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	size_t prev[65], cur[65];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t c = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < c)
				c = prev[j] + 1;
			if (cur[j - 1] + 1 < c)
				c = cur[j - 1] + 1;
			cur[j] = c;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

const char *xfunc_suggest(const char *name)
{
	static const char *const aggs[] = {"count", "sum", "avg", "min", "max", "first_value",
					   "last_value", NULL};
	const char *best = NULL;
	size_t bd = SIZE_MAX;
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		size_t d = edit_distance(name, funcs[i].name);
		if (d < bd) {
			bd = d;
			best = funcs[i].name;
		}
	}
	for (size_t i = 0; aggs[i]; i++) {
		size_t d = edit_distance(name, aggs[i]);
		if (d < bd) {
			bd = d;
			best = aggs[i];
		}
	}
	return best;
}

int xfunc_call_env(struct xctx *cx, const char *name, struct xexpr **args, uint32_t nargs,
		   struct datum *out)
{
	if (!cx->env || !cx->env->call_function)
		return err_set(ERR_NOT_FOUND, "no such function");
	struct datum *d = NULL;
	int rc = 0;
	if (nargs) {
		d = arena_alloc(cx->a, nargs * sizeof(*d));
		if (!d)
			return ERR_NOMEM;
		for (uint32_t i = 0; i < nargs && !rc; i++) {
			if (args[i]->kind != X_CONST || args[i]->type == XT_INTERVAL)
				return plan_err("Error during planning: Function '%s' takes constant arguments only", name);
			d[i] = args[i]->u.c;
			if (args[i]->type == XT_NULL) {
				d[i].type = DT_STRING;
				d[i].is_null = true;
			}
		}
	}
	memset(out, 0, sizeof(*out));
	rc = cx->env->call_function(cx->env->ctx, cx->s, name, d, nargs, cx->a, out);
	if (!rc)
		rc = datum_to_arena(cx->a, out);
	return rc;
}
