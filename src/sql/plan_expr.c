/*
 * plan_expr: binding of AST expressions into typed expressions (expr.h).
 *
 * Resolves column names against the input scope (qualified names match a
 * suffix of the relation qualifier: `t.a` finds a column of `public.t`),
 * falling back to SELECT aliases where SQL allows them; applies
 * DataFusion's coercions (numeric promotion, string literals compared with
 * timestamps/dates/numbers are parsed into that type, integer literals
 * compared with a timestamp are counts of its unit, timestamp +/-
 * INTERVAL, NULL takes the other side's type) by inserting casts; folds
 * constant sub-expressions (leaving ones that fail, such as 1/0, to fail
 * when they run, as DataFusion does); and gives every node the name
 * DataFusion displays for it: `t.a`, `Int64(1)`, `Utf8("x")`,
 * `sum(t.a)`, `t.a + Int64(1)`, `date_part(Utf8("YEAR"),t.ts)`, casts
 * show their argument (`t.a`), casts to timestamps show GreptimeDB's
 * rewrite `arrow_cast(Utf8("..."),Utf8("Timestamp(ms)"))`.
 *
 * Errors are ERR_PLAN ("Failed to plan SQL: No field named x. Valid
 * fields are t.a, t.b.", "... Invalid function 'foo'.\nDid you mean
 * 'floor'?"); failures while folding a literal (a timestamp that does not
 * parse) are ERR_EXEC as in GreptimeDB.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/parser.h"
#include "sql/plan.h"

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (!p) {
		err_set(ERR_NOMEM, "out of memory");
		return NULL;
	}
	if ((size_t)n < sizeof(small)) {
		memcpy(p, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return p;
}

static char *buf_to_arena(struct arena *a, struct buf *b)
{
	char *p = arena_strndup(a, b->data ? (const char *)b->data : "", b->len);
	buf_free(b);
	if (!p)
		err_set(ERR_NOMEM, "out of memory");
	return p;
}

static int nomem(void) { return err_set(ERR_NOMEM, "out of memory"); }

/* ---- scope lookups --------------------------------------------------------- */

void scope_use(const struct scope *sc, uint32_t i)
{
	const struct scope_col *c = &sc->cols[i];
	if (c->scan && c->scan->u.scan.proj)
		c->scan->u.scan.proj[c->scan_col] = true;
}

/* Does the written qualifier (parts q[0..nq)) match relation qualifier
 * `rq` ("db.t")? It must equal a dot-aligned suffix. */
static bool qual_match(const char *rq, const struct sql_ident *q, int nq)
{
	if (!rq)
		return false;
	char want[512];
	size_t w = 0;
	for (int i = 0; i < nq; i++) {
		size_t l = strlen(q[i].name);
		if (w + l + 2 > sizeof(want))
			return false;
		if (i)
			want[w++] = '.';
		memcpy(want + w, q[i].name, l);
		w += l;
	}
	want[w] = 0;
	size_t rl = strlen(rq);
	if (rl < w || strcmp(rq + rl - w, want) != 0)
		return false;
	return rl == w || rq[rl - w - 1] == '.';
}

static bool needs_quote(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return true;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return true;
	return false;
}

static void put_field(struct buf *b, const char *qual, const char *name)
{
	if (qual)
		buf_printf(b, "%s.", qual);
	if (needs_quote(name))
		buf_printf(b, "\"%s\"", name);
	else
		buf_printf(b, "%s", name);
}

static int no_field(const struct scope *sc, const struct sql_name *n)
{
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < n->n; i++)
		buf_printf(&b, "%s%s", i ? "." : "", n->part[i].name);
	buf_printf(&b, ". Valid fields are ");
	for (uint32_t i = 0; sc && i < sc->n; i++) {
		if (i)
			buf_printf(&b, ", ");
		put_field(&b, sc->cols[i].qual, sc->cols[i].name);
	}
	buf_printf(&b, ".");
	int rc = plan_err("No field named %s", buf_cstr(&b) ? buf_cstr(&b) : "");
	buf_free(&b);
	return rc;
}

static char *col_display(struct arena *a, const char *qual, const char *name)
{
	return qual ? arena_printf(a, "%s.%s", qual, name) : arena_strndup(a, name, strlen(name));
}

static int bind_alias(struct binder *bd, uint32_t k, struct xexpr **out);

static int resolve_column(struct binder *bd, const struct sql_name *n, struct xexpr **out)
{
	const struct scope *sc = bd->sc;
	const char *col = n->part[n->n - 1].name;
	int found = -1;
	for (uint32_t i = 0; sc && i < sc->n; i++) {
		if (strcmp(sc->cols[i].name, col) != 0)
			continue;
		/* columns without a qualifier (computed ones, a predicate's batch)
		 * answer to any qualifier */
		if (n->n > 1 && sc->cols[i].qual && !qual_match(sc->cols[i].qual, n->part, n->n - 1))
			continue;
		if (found >= 0) {
			if (n->n > 1 || (sc->cols[found].qual && sc->cols[i].qual &&
					 strcmp(sc->cols[found].qual, sc->cols[i].qual) == 0))
				return plan_err("Schema error: Schema contains duplicate qualified field name %s",
						col);
			return plan_err("Schema error: Ambiguous reference to unqualified field %s", col);
		}
		found = (int)i;
	}
	if (found < 0 && n->n == 1 && bd->aliases) {
		for (uint32_t k = 0; k < bd->aliases->n; k++)
			if (bd->aliases->names[k] && strcmp(bd->aliases->names[k], col) == 0)
				return bind_alias(bd, k, out);
	}
	if (found < 0)
		return no_field(sc, n);
	const struct scope_col *c = &sc->cols[found];
	struct xexpr *e = xnew(bd->cx, X_COL, c->type);
	if (!e)
		return ERR_NOMEM;
	e->u.col = (uint32_t)found;
	e->qual = c->qual;
	e->name = col_display(bd->a, c->qual, c->name);
	if (!e->name)
		return nomem();
	scope_use(sc, (uint32_t)found);
	*out = e;
	return 0;
}

static int bind_alias(struct binder *bd, uint32_t k, struct xexpr **out)
{
	const struct alias_map *am = bd->aliases;
	if (!am->exprs[k]) {
		*out = xcopy(bd->cx, am->bound[k]);
		return *out ? 0 : nomem();
	}
	/* no alias recursion while expanding one */
	bd->aliases = NULL;
	int rc = bind_expr(bd, am->exprs[k], out);
	bd->aliases = am;
	return rc;
}

/* ---- names ---------------------------------------------------------------- */

static const char *df_op(int op)
{
	switch (op) {
	case SQL_BOP_NE: return "!=";
	case SQL_BOP_NSEQ: return "IS NOT DISTINCT FROM";
	case SQL_BOP_INTDIV: return "DIV";
	case SQL_BOP_BITXOR: return "BIT_XOR";
	default: return sql_binop_text(op);
	}
}

static char *lit_name(struct arena *a, const struct datum *d)
{
	struct buf b;
	buf_init(&b);
	format_literal_name(&b, d);
	return buf_to_arena(a, &b);
}

/* ---- folding ---------------------------------------------------------------- */

static bool foldable_children(const struct xexpr *e)
{
	switch (e->kind) {
	case X_BIN: return e->u.bin.a->kind == X_CONST && e->u.bin.b->kind == X_CONST;
	case X_NOT:
	case X_NEG:
	case X_CAST: return e->u.un.a->kind == X_CONST;
	case X_IS: return e->u.is.a->kind == X_CONST;
	case X_IN: return e->u.in.a->kind == X_CONST;
	case X_LIKE: return e->u.like.a->kind == X_CONST && e->u.like.pat->kind == X_CONST;
	case X_FUNC:
		if (e->u.fn.def->volatile_)
			return false;
		for (uint32_t i = 0; i < e->u.fn.nargs; i++)
			if (e->u.fn.args[i]->kind != X_CONST)
				return false;
		return true;
	case X_CASE: {
		if (e->u.cs.operand && e->u.cs.operand->kind != X_CONST)
			return false;
		for (uint32_t i = 0; i < e->u.cs.nwhen; i++)
			if (e->u.cs.when[i]->kind != X_CONST || e->u.cs.then[i]->kind != X_CONST)
				return false;
		return !e->u.cs.else_ || e->u.cs.else_->kind == X_CONST;
	}
	default: return false;
	}
}

/* Replace *pe by its value when it is constant and evaluates cleanly. */
static int fold(struct binder *bd, struct xexpr **pe)
{
	struct xexpr *e = *pe;
	if (e->type == XT_INTERVAL || !foldable_children(e))
		return 0;
	/* a duration stays an expression: the result column is marked as one
	 * for the protocols (plan_col_is_duration) */
	if (e->kind == X_BIN && e->u.bin.op == XOP_TS_DIFF)
		return 0;
	struct datum d;
	if (x_eval_const(bd->cx, e, &d)) {
		if (err_code() == ERR_NOMEM)
			return ERR_NOMEM;
		err_clear();
		return 0;
	}
	d.type = e->type;
	struct xexpr *c = xconst(bd->cx, &d, e->name);
	if (!c)
		return nomem();
	*pe = c;
	return 0;
}

/* ---- literals --------------------------------------------------------------- */

static int mk_const(struct binder *bd, const struct datum *d, const char *name,
		    struct xexpr **out)
{
	struct datum c = *d;
	if (datum_to_arena(bd->a, &c))
		return ERR_NOMEM;
	if (!name && !(name = lit_name(bd->a, &c)))
		return ERR_NOMEM;
	*out = xconst(bd->cx, &c, name);
	return *out ? 0 : nomem();
}

static int bind_number(struct binder *bd, const struct sql_expr *e, bool neg, struct xexpr **out)
{
	struct datum d;
	memset(&d, 0, sizeof(d));
	switch (e->v.num.kind) {
	case SQL_NUM_INT:
		d.type = DT_INT64;
		d.v.i = neg ? -e->v.num.i : e->v.num.i;
		break;
	case SQL_NUM_UINT:
		if (neg) {
			if (e->v.num.u == (uint64_t)INT64_MAX + 1) {
				d.type = DT_INT64;
				d.v.i = INT64_MIN;
			} else {
				d.type = DT_FLOAT64;
				d.v.f = -(double)e->v.num.u;
			}
		} else {
			d.type = DT_UINT64;
			d.v.i = (int64_t)e->v.num.u;
		}
		break;
	default:
		d.type = DT_FLOAT64;
		d.v.f = neg ? -e->v.num.f : e->v.num.f;
		break;
	}
	return mk_const(bd, &d, NULL, out);
}

static int bind_string(struct binder *bd, const char *s, size_t n, struct xexpr **out)
{
	struct datum d;
	memset(&d, 0, sizeof(d));
	d.type = DT_STRING;
	d.v.s.p = s;
	d.v.s.n = (uint32_t)n;
	return mk_const(bd, &d, NULL, out);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int bind_hex(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	size_t n = e->v.str.len;
	if (n % 2)
		return plan_err("Error during planning: Invalid HexStringLiteral '%s'", e->v.str.s);
	char *p = arena_alloc(bd->a, n / 2 + 1);
	if (!p)
		return nomem();
	for (size_t i = 0; i < n; i += 2) {
		int h = hexval(e->v.str.s[i]), l = hexval(e->v.str.s[i + 1]);
		if (h < 0 || l < 0)
			return plan_err("Error during planning: Invalid HexStringLiteral '%s'", e->v.str.s);
		p[i / 2] = (char)(h * 16 + l);
	}
	struct datum d;
	memset(&d, 0, sizeof(d));
	d.type = DT_BINARY;
	d.v.s.p = p;
	d.v.s.n = (uint32_t)(n / 2);
	return mk_const(bd, &d, NULL, out);
}

/* Map an SQL type to a dtype; *time set for TIME (rendered as text). */
static int sql_type_dtype(const struct sql_type *t, int *out, bool *time)
{
	*time = false;
	switch (t->kind) {
	case SQL_TYPE_DTYPE:
		*out = t->dtype;
		if (t->dtype == DT_TS_MS && t->precision >= 0) {
			static const int byp[] = {DT_TS_S, DT_TS_S, DT_TS_S, DT_TS_MS, DT_TS_MS, DT_TS_MS,
						  DT_TS_US, DT_TS_US, DT_TS_US, DT_TS_NS};
			if (t->precision <= 9)
				*out = byp[t->precision];
		}
		return 0;
	case SQL_TYPE_DECIMAL: *out = DT_FLOAT64; return 0;
	case SQL_TYPE_TIME:
		*time = true;
		*out = DT_STRING;
		return 0;
	case SQL_TYPE_INTERVAL: *out = XT_INTERVAL; return 0;
	default:
		return plan_err("This feature is not implemented: Unsupported SQL type %s",
				t->text ? t->text : "?");
	}
}

static int normalize_ws(struct arena *a, const char *s, char **out)
{
	size_t n = strlen(s);
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return nomem();
	size_t w = 0;
	bool sp = false;
	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i])) {
			sp = w > 0;
			continue;
		}
		if (sp)
			p[w++] = ' ';
		sp = false;
		p[w++] = s[i];
	}
	p[w] = 0;
	*out = p;
	return 0;
}

static int time_of_day(struct binder *bd, struct xexpr *a, struct xexpr **out);

static int bind_typed_str(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	int t;
	bool time;
	int rc = sql_type_dtype(&e->v.typed.type, &t, &time);
	if (rc)
		return rc;
	char *norm = NULL;
	if ((rc = normalize_ws(bd->a, e->v.typed.s, &norm)))
		return rc;
	struct xexpr *s;
	if ((rc = bind_string(bd, norm, strlen(norm), &s)))
		return rc;
	if (time) {
		struct xexpr *ts = xcast(bd->cx, s, DT_TS_NS);
		if (!ts)
			return err_code();
		return time_of_day(bd, ts, out);
	}
	if (t == XT_INTERVAL) {
		struct interval iv;
		if ((rc = parse_interval(norm, strlen(norm), NULL, &iv)))
			return rc;
		struct xexpr *c = xnew(bd->cx, X_CONST, XT_INTERVAL);
		if (!c)
			return nomem();
		c->u.iv = iv;
		struct buf b;
		buf_init(&b);
		format_interval_name(&b, &iv);
		c->name = buf_to_arena(bd->a, &b);
		*out = c;
		return 0;
	}
	/* the value is parsed now; the name stays the string's */
	struct datum d;
	if ((rc = datum_cast(bd->cx, &s->u.c, t, &d)))
		return rc;
	return mk_const(bd, &d, s->name, out);
}

static int bind_interval(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	const struct sql_expr *v = e->v.interval.value;
	const char *text;
	char num[64];
	if (v->kind == SQL_E_STRING) {
		text = v->v.str.s;
	} else if (v->kind == SQL_E_NUMBER) {
		text = v->v.num.text;
	} else if (v->kind == SQL_E_UNARY && v->v.unary.op == SQL_UOP_NEG &&
		   v->v.unary.arg->kind == SQL_E_NUMBER) {
		snprintf(num, sizeof(num), "-%s", v->v.unary.arg->v.num.text);
		text = num;
	} else {
		return plan_err("This feature is not implemented: Unsupported interval argument. Expected string literal or number literal");
	}
	struct interval iv;
	int rc = parse_interval(text, strlen(text), e->v.interval.unit, &iv);
	if (rc)
		return rc;
	struct xexpr *c = xnew(bd->cx, X_CONST, XT_INTERVAL);
	if (!c)
		return nomem();
	c->u.iv = iv;
	struct buf b;
	buf_init(&b);
	format_interval_name(&b, &iv);
	if (!(c->name = buf_to_arena(bd->a, &b)))
		return ERR_NOMEM;
	*out = c;
	return 0;
}

/* ---- comparisons and arithmetic ---------------------------------------------- */

static struct xexpr *cast_or_null(struct binder *bd, struct xexpr *a, int t)
{
	(void)bd;
	return xcast(bd->cx, a, t);
}

/* Coerce both sides of a comparison to one type: *ct. */
static int coerce_cmp(struct binder *bd, struct xexpr **l, struct xexpr **r, const char *optext,
		      int *ct)
{
	int tl = (*l)->type, tr = (*r)->type;
	if (tl == XT_NULL && tr == XT_NULL) {
		*ct = DT_INT64;
	} else if (tl == XT_NULL) {
		*ct = tr;
	} else if (tr == XT_NULL) {
		*ct = tl;
	} else {
		struct xexpr *x = *l, *y = *r;
		for (int side = 0; side < 2; side++) {
			struct xexpr *k = side ? x : y;      /* maybe a literal */
			struct xexpr *other = side ? y : x;
			int to = other->type;
			if (k->kind != X_CONST)
				continue;
			bool try_cast = false;
			if (k->type == DT_STRING && (xtype_is_numeric(to) || xtype_is_temporal(to) || to == DT_BOOL))
				try_cast = true;
			if (xtype_is_int(k->type) && dtype_is_timestamp(to))
				try_cast = true;
			if (xtype_is_int(k->type) && xtype_is_int(to) && k->type != to && !k->u.c.is_null) {
				/* a literal that fits the column type keeps the column uncast */
				struct datum d;
				if (datum_cast(bd->cx, &k->u.c, to, &d) == 0)
					try_cast = true;
				else
					err_clear();
			}
			if (!try_cast)
				continue;
			struct xexpr *c = xcast(bd->cx, k, to);
			if (!c) {
				if (err_code() == ERR_NOMEM || xtype_is_temporal(to))
					return err_code();
				err_clear();
				continue;
			}
			if (side)
				*l = c;
			else
				*r = c;
			*ct = to;
			goto cast;
		}
		*ct = x_common_type(tl, tr);
		if (*ct < 0 || *ct == XT_INTERVAL)
			return plan_err("Error during planning: Cannot infer common argument type for comparison operation %s %s %s",
					xtype_arrow_name(tl), optext, xtype_arrow_name(tr));
	}
cast:
	*l = cast_or_null(bd, *l, *ct);
	if (!*l)
		return err_code();
	*r = cast_or_null(bd, *r, *ct);
	if (!*r)
		return err_code();
	return 0;
}

static int mk_bin(struct binder *bd, int op, int ct, int type, struct xexpr *l, struct xexpr *r,
		  const char *name, struct xexpr **out)
{
	struct xexpr *e = xnew(bd->cx, X_BIN, type);
	if (!e)
		return nomem();
	e->u.bin.op = op;
	e->u.bin.ct = ct;
	e->u.bin.a = l;
	e->u.bin.b = r;
	e->name = name;
	*out = e;
	return fold(bd, out);
}

static int xop_of_cmp(int op)
{
	switch (op) {
	case SQL_BOP_EQ: return XOP_EQ;
	case SQL_BOP_NE: return XOP_NE;
	case SQL_BOP_LT: return XOP_LT;
	case SQL_BOP_LE: return XOP_LE;
	case SQL_BOP_GT: return XOP_GT;
	case SQL_BOP_GE: return XOP_GE;
	case SQL_BOP_NSEQ: return XOP_NOTDISTINCT;
	default: return -1;
	}
}

/* Comparison l OP r (xop) with coercion; name may be NULL (computed). */
static int mk_cmp(struct binder *bd, int xop, const char *optext, struct xexpr *l, struct xexpr *r,
		  const char *name, struct xexpr **out)
{
	if (!name && !(name = arena_printf(bd->a, "%s %s %s", l->name, optext, r->name)))
		return ERR_NOMEM;
	int ct = DT_INT64;
	int rc = coerce_cmp(bd, &l, &r, optext, &ct);
	if (rc)
		return rc;
	return mk_bin(bd, xop, ct, DT_BOOL, l, r, name, out);
}

static int mk_logic(struct binder *bd, int xop, struct xexpr *l, struct xexpr *r, const char *name,
		    struct xexpr **out)
{
	if (!name && !(name = arena_printf(bd->a, "%s %s %s", l->name, xop == XOP_AND ? "AND" : "OR",
					   r->name)))
		return ERR_NOMEM;
	for (int s = 0; s < 2; s++) {
		struct xexpr **x = s ? &r : &l;
		if ((*x)->type == XT_NULL && !(*x = xcast(bd->cx, *x, DT_BOOL)))
			return err_code();
		if ((*x)->type != DT_BOOL)
			return plan_err("Error during planning: Cannot infer common argument type for logical boolean operation %s %s %s",
					xtype_arrow_name(l->type), xop == XOP_AND ? "AND" : "OR",
					xtype_arrow_name(r->type));
	}
	return mk_bin(bd, xop, DT_BOOL, DT_BOOL, l, r, name, out);
}

static int temporal_err(int tl, const char *op, int tr)
{
	return plan_err("Error during planning: Cannot get result type for temporal operation %s %s %s: Invalid argument error: Invalid timestamp arithmetic operation: %s %s %s",
			xtype_arrow_name(tl), op, xtype_arrow_name(tr), xtype_arrow_name(tl), op,
			xtype_arrow_name(tr));
}

static int mk_arith(struct binder *bd, int sqlop, struct xexpr *l, struct xexpr *r, const char *name,
		    struct xexpr **out)
{
	int xop;
	switch (sqlop) {
	case SQL_BOP_ADD: xop = XOP_ADD; break;
	case SQL_BOP_SUB: xop = XOP_SUB; break;
	case SQL_BOP_MUL: xop = XOP_MUL; break;
	case SQL_BOP_DIV:
	case SQL_BOP_INTDIV: xop = XOP_DIV; break;
	default: xop = XOP_MOD; break;
	}
	const char *optext = df_op(sqlop);
	int tl = l->type, tr = r->type;
	/* interval arithmetic */
	if (tl == XT_INTERVAL && xtype_is_temporal(tr) && xop == XOP_ADD) {
		struct xexpr *t = l;
		l = r;
		r = t;
		tl = l->type;
		tr = r->type;
	}
	if (tr == XT_INTERVAL && (xtype_is_temporal(tl) || tl == DT_STRING || tl == XT_NULL)) {
		if (xop != XOP_ADD && xop != XOP_SUB)
			return temporal_err(tl, optext, tr);
		if (tl == DT_STRING || tl == XT_NULL) {
			if (!(l = xcast(bd->cx, l, DT_TS_MS)))
				return err_code();
			tl = DT_TS_MS;
		}
		struct xexpr *e = xnew(bd->cx, X_BIN, tl);
		if (!e)
			return nomem();
		e->u.bin.op = xop == XOP_ADD ? XOP_TS_ADD_IV : XOP_TS_SUB_IV;
		e->u.bin.ct = tl;
		e->u.bin.a = l;
		e->u.bin.b = r;
		e->u.bin.iv = r->u.iv;
		e->name = name;
		*out = e;
		return fold(bd, out);
	}
	if (tl == XT_INTERVAL || tr == XT_INTERVAL)
		return plan_err("Error during planning: Cannot coerce arithmetic expression %s %s %s to valid types",
				xtype_arrow_name(tl), optext, xtype_arrow_name(tr));
	if (xtype_is_temporal(tl) || xtype_is_temporal(tr)) {
		/* a string literal on the other side is a time */
		if (xtype_is_temporal(tl) && r->kind == X_CONST && tr == DT_STRING) {
			if (!(r = xcast(bd->cx, r, tl)))
				return err_code();
			tr = tl;
		} else if (xtype_is_temporal(tr) && l->kind == X_CONST && tl == DT_STRING) {
			if (!(l = xcast(bd->cx, l, tr)))
				return err_code();
			tl = tr;
		}
		if (!(xtype_is_temporal(tl) && xtype_is_temporal(tr)) || xop != XOP_SUB) {
			if (xtype_is_temporal(tl) && xtype_is_temporal(tr))
				return temporal_err(tl, optext, tr);
			return plan_err("Error during planning: Cannot coerce arithmetic expression %s %s %s to valid types",
					xtype_arrow_name(tl), optext, xtype_arrow_name(tr));
		}
		int ct = x_common_type(tl, tr);
		if (!(l = xcast(bd->cx, l, ct)) || !(r = xcast(bd->cx, r, ct)))
			return err_code();
		if (ct == DT_DATE)
			return mk_bin(bd, XOP_DATE_DIFF, ct, DT_INT64, l, r, name, out);
		return mk_bin(bd, XOP_TS_DIFF, ct, DT_STRING, l, r, name, out);
	}
	/* string literals meeting numbers are numbers */
	if (l->kind == X_CONST && tl == DT_STRING && xtype_is_numeric(tr)) {
		if (!(l = xcast(bd->cx, l, DT_FLOAT64)))
			return err_code();
		tl = DT_FLOAT64;
	}
	if (r->kind == X_CONST && tr == DT_STRING && xtype_is_numeric(tl)) {
		if (!(r = xcast(bd->cx, r, DT_FLOAT64)))
			return err_code();
		tr = DT_FLOAT64;
	}
	int rt = x_arith_type(xop, tl, tr);
	if (rt < 0)
		return plan_err("Error during planning: Cannot coerce arithmetic expression %s %s %s to valid types",
				xtype_arrow_name(tl), optext, xtype_arrow_name(tr));
	if (sqlop == SQL_BOP_INTDIV && xtype_is_float(rt))
		rt = DT_INT64;
	if (!(l = xcast(bd->cx, l, rt)) || !(r = xcast(bd->cx, r, rt)))
		return err_code();
	return mk_bin(bd, xop, rt, rt, l, r, name, out);
}

static int bind_binary(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	int op = e->v.binary.op;
	struct xexpr *l, *r;
	int rc;
	if ((rc = bind_expr(bd, e->v.binary.left, &l)) || (rc = bind_expr(bd, e->v.binary.right, &r)))
		return rc;
	const char *optext = df_op(op);
	char *name = arena_printf(bd->a, "%s %s %s", l->name, optext, r->name);
	if (!name)
		return ERR_NOMEM;
	switch (op) {
	case SQL_BOP_AND: return mk_logic(bd, XOP_AND, l, r, name, out);
	case SQL_BOP_OR: return mk_logic(bd, XOP_OR, l, r, name, out);
	case SQL_BOP_XOR: {
		if ((l->type != DT_BOOL && l->type != XT_NULL) || (r->type != DT_BOOL && r->type != XT_NULL))
			return plan_err("Error during planning: Cannot infer common argument type for logical boolean operation %s XOR %s",
					xtype_arrow_name(l->type), xtype_arrow_name(r->type));
		return mk_cmp(bd, XOP_NE, "XOR", l, r, name, out);
	}
	case SQL_BOP_EQ:
	case SQL_BOP_NE:
	case SQL_BOP_LT:
	case SQL_BOP_LE:
	case SQL_BOP_GT:
	case SQL_BOP_GE:
	case SQL_BOP_NSEQ: return mk_cmp(bd, xop_of_cmp(op), optext, l, r, name, out);
	case SQL_BOP_ADD:
	case SQL_BOP_SUB:
	case SQL_BOP_MUL:
	case SQL_BOP_DIV:
	case SQL_BOP_MOD:
	case SQL_BOP_INTDIV: return mk_arith(bd, op, l, r, name, out);
	case SQL_BOP_CONCAT:
		if (!(l = xcast(bd->cx, l, DT_STRING)) || !(r = xcast(bd->cx, r, DT_STRING)))
			return err_code();
		return mk_bin(bd, XOP_CONCAT, DT_STRING, DT_STRING, l, r, name, out);
	case SQL_BOP_BITAND:
	case SQL_BOP_BITOR:
	case SQL_BOP_BITXOR:
	case SQL_BOP_SHL:
	case SQL_BOP_SHR: {
		int ct = x_common_type(l->type, r->type);
		if (ct == XT_NULL)
			ct = DT_INT64;
		if (ct < 0 || !xtype_is_int(ct))
			return plan_err("Error during planning: Cannot infer common type for bitwise operation %s %s %s",
					xtype_arrow_name(l->type), optext, xtype_arrow_name(r->type));
		if (!(l = xcast(bd->cx, l, ct)) || !(r = xcast(bd->cx, r, ct)))
			return err_code();
		int xop = op == SQL_BOP_BITAND ? XOP_BITAND : op == SQL_BOP_BITOR ? XOP_BITOR
			: op == SQL_BOP_BITXOR ? XOP_BITXOR : op == SQL_BOP_SHL ? XOP_SHL : XOP_SHR;
		return mk_bin(bd, xop, ct, ct, l, r, name, out);
	}
	case SQL_BOP_REGEX:
	case SQL_BOP_NOT_REGEX:
	case SQL_BOP_REGEX_I:
	case SQL_BOP_NOT_REGEX_I: {
		if (!(l = xcast(bd->cx, l, DT_STRING)) || !(r = xcast(bd->cx, r, DT_STRING)))
			return err_code();
		if ((rc = mk_bin(bd, XOP_REGEX, DT_STRING, DT_BOOL, l, r, name, out)))
			return rc;
		if ((*out)->kind == X_BIN) {
			(*out)->u.bin.ci = op == SQL_BOP_REGEX_I || op == SQL_BOP_NOT_REGEX_I;
			(*out)->u.bin.neg = op == SQL_BOP_NOT_REGEX || op == SQL_BOP_NOT_REGEX_I;
		}
		return 0;
	}
	default:
		return plan_err("This feature is not implemented: Unsupported SQL binary operator %s",
				sql_binop_text(op));
	}
}

/* ---- functions and aggregates -------------------------------------------------- */

static int add_agg(struct binder *bd, struct xexpr *e)
{
	for (uint32_t i = 0; i < *bd->nagg; i++)
		if (xequal((*bd->agg_list)[i], e))
			return 0;
	if (*bd->nagg == *bd->cap_agg) {
		uint32_t cap = *bd->cap_agg ? *bd->cap_agg * 2 : 8;
		struct xexpr **n = arena_alloc(bd->a, cap * sizeof(*n));
		if (!n)
			return nomem();
		if (*bd->nagg)
			memcpy(n, *bd->agg_list, *bd->nagg * sizeof(*n));
		*bd->agg_list = n;
		*bd->cap_agg = cap;
	}
	(*bd->agg_list)[(*bd->nagg)++] = e;
	return 0;
}

static int bind_args(struct binder *bd, struct sql_expr *const *args, size_t n, struct xexpr ***out)
{
	*out = NULL;
	if (!n)
		return 0;
	struct xexpr **v = arena_alloc(bd->a, n * sizeof(*v));
	if (!v)
		return nomem();
	for (size_t i = 0; i < n; i++) {
		int rc = bind_expr(bd, args[i], &v[i]);
		if (rc)
			return rc;
	}
	*out = v;
	return 0;
}

static char *args_name(struct arena *a, const char *fname, struct xexpr **args, size_t n,
		       const char *prefix)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s(%s", fname, prefix ? prefix : "");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", args[i]->name);
	buf_putc(&b, ')');
	return buf_to_arena(a, &b);
}

static int bind_aggregate(struct binder *bd, const struct sql_expr *e, const struct agg_def *def,
			  struct xexpr **out)
{
	if (!bd->allow_agg) {
		if (bd->agg_list == NULL || bd->agg_context)
			return plan_err("Error during planning: Aggregate functions are not allowed in %s",
					bd->agg_context ? bd->agg_context : "this context");
		return plan_err("Error during planning: Aggregate function calls cannot be nested");
	}
	if (e->v.func.over)
		return plan_err("This feature is not implemented: Window functions are not supported");
	size_t nargs = e->v.func.nargs;
	bool star = e->v.func.star;
	if (def->kind == AGG_COUNT) {
		if (!star && nargs != 1)
			return plan_err("Error during planning: count requires exactly one argument");
	} else if (star || nargs != 1) {
		return plan_err("Error during planning: The function '%s' expects 1 argument", def->name);
	}
	struct xexpr **args;
	const char *ctx = bd->agg_context;
	bd->allow_agg = false;
	bd->agg_context = NULL;
	int rc = bind_args(bd, e->v.func.args, nargs, &args);
	struct xexpr *order = NULL, *filter = NULL;
	bool order_desc = false;
	if (!rc && e->v.func.norder) {
		rc = bind_expr(bd, e->v.func.order_by[0].expr, &order);
		order_desc = e->v.func.order_by[0].desc;
	}
	if (!rc && e->v.func.filter)
		rc = bind_expr(bd, e->v.func.filter, &filter);
	bd->allow_agg = true;
	bd->agg_context = ctx;
	if (rc)
		return rc;
	if (filter && filter->type != DT_BOOL && !(filter = xcast(bd->cx, filter, DT_BOOL)))
		return err_code();
	/* an untyped NULL argument is an Int64 one */
	if (nargs && args[0]->type == XT_NULL && !(args[0] = xcast(bd->cx, args[0], DT_INT64)))
		return err_code();
	int at = nargs ? args[0]->type : XT_NULL;
	int rt;
	if ((rc = agg_result_type(def, at, &rt)))
		return rc;
	if (def->kind == AGG_FIRST || def->kind == AGG_LAST) {
		if (!order && bd->ts_hint_col >= 0 && bd->ts_scope == bd->sc) {
			const struct scope_col *c = &bd->sc->cols[bd->ts_hint_col];
			order = xnew(bd->cx, X_COL, c->type);
			if (!order)
				return nomem();
			order->u.col = (uint32_t)bd->ts_hint_col;
			order->name = col_display(bd->a, c->qual, c->name);
			scope_use(bd->sc, (uint32_t)bd->ts_hint_col);
		}
		if (order && xphys(order->type < DT__COUNT ? order->type : DT_INT64) != PHYS_I64)
			return plan_err("This feature is not implemented: %s ordering by %s", def->name,
					xtype_arrow_name(order->type));
		if (order && order_desc) {
			/* a descending order is the other end of an ascending one */
			def = agg_find(def->kind == AGG_FIRST ? "last_value" : "first_value");
		}
	}
	struct xexpr *x = xnew(bd->cx, X_AGG, rt);
	if (!x)
		return nomem();
	x->u.agg.def = def;
	x->u.agg.args = args;
	x->u.agg.nargs = (uint32_t)nargs;
	x->u.agg.distinct = e->v.func.distinct;
	x->u.agg.order = order;
	x->u.agg.order_desc = order_desc;
	x->u.agg.filter = filter;
	x->u.agg.src = e;
	const struct agg_def *shown = agg_find(e->v.func.name.part[e->v.func.name.n - 1].name);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s(%s", shown ? shown->name : def->name, e->v.func.distinct ? "DISTINCT " : "");
	if (star)
		buf_printf(&b, "*");
	for (size_t i = 0; i < nargs; i++)
		buf_printf(&b, "%s%s", i ? "," : "", args[i]->name);
	buf_putc(&b, ')');
	if (filter)
		buf_printf(&b, " FILTER (WHERE %s)", filter->name);
	if (e->v.func.norder && order)
		buf_printf(&b, " ORDER BY [%s %s NULLS %s]", order->name, order_desc ? "DESC" : "ASC",
			   order_desc ? "FIRST" : "LAST");
	if (!(x->name = buf_to_arena(bd->a, &b)))
		return ERR_NOMEM;
	if ((rc = add_agg(bd, x)))
		return rc;
	*out = x;
	return 0;
}

static int bind_scalar_call(struct binder *bd, const struct xfunc_def *def, struct xexpr **args,
			    uint32_t nargs, const char *name, struct xexpr **out)
{
	if ((int)nargs < def->min_args || (int)nargs > def->max_args) {
		if (def->min_args == def->max_args)
			return plan_err("Error during planning: The function '%s' expects %d arguments, but %u were provided",
					def->name, def->min_args, nargs);
		return plan_err("Error during planning: The function '%s' expects %d to %d arguments, but %u were provided",
				def->name, def->min_args, def->max_args, nargs);
	}
	struct xexpr *x = xnew(bd->cx, X_FUNC, DT_INT64);
	if (!x)
		return nomem();
	x->u.fn.def = def;
	x->u.fn.args = args;
	x->u.fn.nargs = nargs;
	x->name = name;
	int rc = def->bind(bd->cx, x);
	if (rc)
		return rc;
	x->out.type = x->type < DT__COUNT ? (enum dtype)x->type : DT_INT64;
	*out = x;
	return fold(bd, out);
}

static int bind_func(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	const char *fname = e->v.func.name.part[e->v.func.name.n - 1].name;
	char lname[128];
	size_t l = strlen(fname);
	if (l >= sizeof(lname))
		l = sizeof(lname) - 1;
	for (size_t i = 0; i < l; i++)
		lname[i] = (char)tolower((unsigned char)fname[i]);
	lname[l] = 0;
	const struct agg_def *ad = agg_find(lname);
	if (ad)
		return bind_aggregate(bd, e, ad, out);
	if (e->v.func.over)
		return plan_err("This feature is not implemented: Window functions are not supported");
	if (e->v.func.star)
		return plan_err("Error during planning: %s(*) is not supported", lname);
	struct xexpr **args;
	int rc = bind_args(bd, e->v.func.args, e->v.func.nargs, &args);
	if (rc)
		return rc;
	uint32_t nargs = (uint32_t)e->v.func.nargs;
	const struct xfunc_def *def = xfunc_find(lname);
	if (def && strcmp(def->name, "version") != 0) {
		char *name = args_name(bd->a, def->name, args, nargs, NULL);
		if (!name)
			return ERR_NOMEM;
		return bind_scalar_call(bd, def, args, nargs, name, out);
	}
	/* the caller's functions */
	char *name = args_name(bd->a, lname, args, nargs, NULL);
	if (!name)
		return ERR_NOMEM;
	struct datum d;
	rc = xfunc_call_env(bd->cx, lname, args, nargs, &d);
	if (rc == 0)
		return mk_const(bd, &d, name, out);
	if (rc != ERR_NOT_FOUND)
		return rc;
	if (def) /* version() without an override */
		return bind_scalar_call(bd, def, args, nargs, name, out);
	err_clear();
	const char *sug = xfunc_suggest(lname);
	return plan_err("Error during planning: Invalid function '%s'.\nDid you mean '%s'?", lname,
			sug ? sug : "now");
}

/* A synthesized call of a registered function (EXTRACT, ::TIME). */
static int call_registered(struct binder *bd, const char *fname, struct xexpr **args, uint32_t n,
			   struct xexpr **out)
{
	const struct xfunc_def *def = xfunc_find(fname);
	if (!def)
		return err_set(ERR_INTERNAL, "function %s missing", fname);
	char *name = args_name(bd->a, def->name, args, n, NULL);
	if (!name)
		return ERR_NOMEM;
	return bind_scalar_call(bd, def, args, n, name, out);
}

static int time_of_day(struct binder *bd, struct xexpr *a, struct xexpr **out)
{
	/* TIME values are shown as text: date_format(ts, '%H:%M:%S%.f') */
	struct xexpr *fmt;
	int rc = bind_string(bd, "%H:%M:%S%.f", 11, &fmt);
	if (rc)
		return rc;
	if (!xtype_is_temporal(a->type) && !(a = xcast(bd->cx, a, DT_TS_NS)))
		return err_code();
	struct xexpr **args = arena_alloc(bd->a, 2 * sizeof(*args));
	if (!args)
		return nomem();
	args[0] = a;
	args[1] = fmt;
	const char *keep = a->name;
	if ((rc = call_registered(bd, "date_format", args, 2, out)))
		return rc;
	(*out)->name = keep;
	return 0;
}

static int bind_extract(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	struct xexpr **args = arena_alloc(bd->a, 2 * sizeof(*args));
	if (!args)
		return nomem();
	int rc = bind_string(bd, e->v.extract.field, strlen(e->v.extract.field), &args[0]);
	if (rc || (rc = bind_expr(bd, e->v.extract.arg, &args[1])))
		return rc;
	return call_registered(bd, "date_part", args, 2, out);
}

static int bind_cast(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	struct xexpr *a;
	int rc = bind_expr(bd, e->v.cast.arg, &a);
	if (rc)
		return rc;
	int t;
	bool time;
	if ((rc = sql_type_dtype(&e->v.cast.type, &t, &time)))
		return rc;
	if (time)
		return time_of_day(bd, a, out);
	if (t == XT_INTERVAL) {
		if (a->kind != X_CONST || a->type != DT_STRING)
			return plan_err("This feature is not implemented: Unsupported CAST to INTERVAL");
		struct interval iv;
		if ((rc = parse_interval(a->u.c.v.s.p, a->u.c.v.s.n, NULL, &iv)))
			return rc;
		struct xexpr *c = xnew(bd->cx, X_CONST, XT_INTERVAL);
		if (!c)
			return nomem();
		c->u.iv = iv;
		c->name = a->name;
		*out = c;
		return 0;
	}
	if (!x_can_cast(a->type, t))
		return plan_err("Error during planning: Cannot automatically convert %s to %s",
				xtype_arrow_name(a->type), xtype_arrow_name(t));
	const char *name = a->name;
	if (dtype_is_timestamp(t)) {
		static const char *const unit[] = {"s", "ms", "\xc2\xb5s", "ns"};
		name = arena_printf(bd->a, "arrow_cast(%s,Utf8(\"Timestamp(%s)\"))", a->name,
				    unit[t - DT_TS_S]);
		if (!name)
			return ERR_NOMEM;
	}
	if (a->type == t) {
		struct xexpr *c = xcopy(bd->cx, a);
		if (!c)
			return nomem();
		c->name = name;
		*out = c;
		return 0;
	}
	struct xexpr *c = xnew(bd->cx, X_CAST, t);
	if (!c)
		return nomem();
	c->u.un.a = a;
	c->name = name;
	*out = c;
	if (e->v.cast.style == SQL_CAST_TRY && a->kind == X_CONST) {
		struct datum d;
		if (x_eval_const(bd->cx, c, &d)) {
			err_clear();
			memset(&d, 0, sizeof(d));
			d.type = t;
			d.is_null = true;
			return mk_const(bd, &d, name, out);
		}
	}
	return fold(bd, out);
}

/* ---- IN / BETWEEN / LIKE / IS / CASE --------------------------------------------- */

static int cmp_datum_qsort(const void *a, const void *b)
{
	return datum_cmp(a, b);
}

static int bind_in_values(struct binder *bd, struct xexpr *arg, struct xexpr **items, size_t n,
			  bool neg, const char *name, struct xexpr **out)
{
	bool all_const = true;
	int ct = arg->type;
	for (size_t i = 0; i < n; i++) {
		if (items[i]->kind != X_CONST || items[i]->type == XT_INTERVAL)
			all_const = false;
	}
	if (!all_const) {
		/* equalities joined by OR (AND for NOT IN), as a balanced tree so
		 * that evaluation depth stays logarithmic in the list length */
		struct xexpr **v = arena_alloc(bd->a, (n + 1) * sizeof(*v));
		if (!v)
			return nomem();
		for (size_t i = 0; i < n; i++) {
			struct xexpr *ac = xcopy(bd->cx, arg);
			if (!ac)
				return nomem();
			int rc = mk_cmp(bd, neg ? XOP_NE : XOP_EQ, neg ? "!=" : "=", ac, items[i], "in", &v[i]);
			if (rc)
				return rc;
		}
		for (size_t m = n; m > 1; m = (m + 1) / 2)
			for (size_t i = 0; i < m / 2; i++) {
				int rc = mk_logic(bd, neg ? XOP_AND : XOP_OR, v[2 * i], v[2 * i + 1], "in", &v[i]);
				if (rc)
					return rc;
				if (m % 2 && i == m / 2 - 1)
					v[i + 1] = v[m - 1];
			}
		v[0]->name = name;
		*out = v[0];
		return 0;
	}
	/* the common type: literals follow a column's type when they fit */
	for (size_t i = 0; i < n && ct != XT_NULL; i++) {
		int it = items[i]->type;
		if (it == XT_NULL || it == ct)
			continue;
		bool lit_follows = (it == DT_STRING && (xtype_is_numeric(ct) || xtype_is_temporal(ct))) ||
				   (xtype_is_int(it) && (dtype_is_timestamp(ct) || xtype_is_int(ct)));
		if (lit_follows) {
			struct datum d;
			if (datum_cast(bd->cx, &items[i]->u.c, ct, &d) == 0)
				continue;
			if (xtype_is_temporal(ct))
				return err_code();
			err_clear();
		}
		int c = x_common_type(ct, it);
		if (c < 0)
			return plan_err("Error during planning: Cannot infer common argument type for comparison operation %s IN %s",
					xtype_arrow_name(ct), xtype_arrow_name(it));
		ct = c;
	}
	if (ct == XT_NULL)
		ct = DT_INT64;
	if (!(arg = xcast(bd->cx, arg, ct)))
		return err_code();
	struct datum *list = arena_alloc(bd->a, (n + 1) * sizeof(*list));
	if (!list)
		return nomem();
	uint32_t k = 0;
	bool has_null = false;
	for (size_t i = 0; i < n; i++) {
		struct datum d;
		int rc = datum_cast(bd->cx, &items[i]->u.c, ct, &d);
		if (rc)
			return rc;
		if (d.is_null) {
			has_null = true;
			continue;
		}
		list[k++] = d;
	}
	qsort(list, k, sizeof(*list), cmp_datum_qsort);
	uint32_t w = 0;
	for (uint32_t i = 0; i < k; i++)
		if (w == 0 || datum_cmp(&list[w - 1], &list[i]) != 0)
			list[w++] = list[i];
	struct xexpr *x = xnew(bd->cx, X_IN, DT_BOOL);
	if (!x)
		return nomem();
	x->u.in.a = arg;
	x->u.in.list = list;
	x->u.in.nlist = w;
	x->u.in.has_null = has_null;
	x->u.in.neg = neg;
	x->name = name;
	*out = x;
	return fold(bd, out);
}

static int bind_in_list(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	struct xexpr *arg, **items;
	int rc = bind_expr(bd, e->v.in.arg, &arg);
	if (rc || (rc = bind_args(bd, e->v.in.list, e->v.in.nlist, &items)))
		return rc;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s %sIN ([", arg->name, e->v.in.negated ? "NOT " : "");
	for (size_t i = 0; i < e->v.in.nlist; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", items[i]->name);
	buf_printf(&b, "])");
	char *name = buf_to_arena(bd->a, &b);
	if (!name)
		return ERR_NOMEM;
	return bind_in_values(bd, arg, items, e->v.in.nlist, e->v.in.negated, name, out);
}

static int bind_in_query(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	struct xexpr *arg;
	int rc = bind_expr(bd, e->v.in.arg, &arg);
	if (rc)
		return rc;
	struct batch res;
	int *types;
	uint32_t nc;
	if ((rc = plan_subquery(bd, e->v.in.query, &res, &types, &nc)))
		return rc;
	if (nc != 1) {
		batch_free(&res);
		return plan_err("Error during planning: InSubquery should only return one column, but found %u", nc);
	}
	struct xexpr **items = arena_alloc(bd->a, (res.nrows + 1) * sizeof(*items));
	if (!items) {
		batch_free(&res);
		return nomem();
	}
	for (uint32_t i = 0; i < res.nrows && !rc; i++) {
		struct datum d;
		struct xval xv = {&res.cols[0], {0}};
		xval_get(&xv, types[0] == XT_NULL ? DT_STRING : types[0], i, &d);
		if (types[0] == XT_NULL)
			d.type = (enum dtype)XT_NULL;
		rc = mk_const(bd, &d, "?", &items[i]);
	}
	uint32_t n = res.nrows;
	batch_free(&res);
	if (rc)
		return rc;
	char *name = arena_printf(bd->a, "%s %sIN (<subquery>)", arg->name, e->v.in.negated ? "NOT " : "");
	if (!name)
		return ERR_NOMEM;
	return bind_in_values(bd, arg, items, n, e->v.in.negated, name, out);
}

static int bind_between(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	struct xexpr *a, *lo, *hi;
	int rc;
	if ((rc = bind_expr(bd, e->v.between.arg, &a)) || (rc = bind_expr(bd, e->v.between.low, &lo)) ||
	    (rc = bind_expr(bd, e->v.between.high, &hi)))
		return rc;
	bool neg = e->v.between.negated;
	char *name = arena_printf(bd->a, "%s %sBETWEEN %s AND %s", a->name, neg ? "NOT " : "",
				  lo->name, hi->name);
	if (!name)
		return ERR_NOMEM;
	struct xexpr *a2 = xcopy(bd->cx, a), *c1, *c2;
	if (!a2)
		return nomem();
	if ((rc = mk_cmp(bd, neg ? XOP_LT : XOP_GE, neg ? "<" : ">=", a, lo, NULL, &c1)) ||
	    (rc = mk_cmp(bd, neg ? XOP_GT : XOP_LE, neg ? ">" : "<=", a2, hi, NULL, &c2)))
		return rc;
	return mk_logic(bd, neg ? XOP_OR : XOP_AND, c1, c2, name, out);
}

static int bind_like(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	struct xexpr *a, *p;
	int rc;
	if ((rc = bind_expr(bd, e->v.like.arg, &a)) || (rc = bind_expr(bd, e->v.like.pattern, &p)))
		return rc;
	char esc = '\\';
	if (e->v.like.escape) {
		const struct sql_expr *x = e->v.like.escape;
		if (x->kind != SQL_E_STRING || x->v.str.len > 1)
			return plan_err("Error during planning: Invalid escape character in LIKE expression");
		esc = x->v.str.len ? x->v.str.s[0] : 0;
	}
	bool neg = e->v.like.negated, ci = e->v.like.ilike;
	char *name = arena_printf(bd->a, "%s %s%s %s", a->name, neg ? "NOT " : "", ci ? "ILIKE" : "LIKE",
				  p->name);
	if (!name)
		return ERR_NOMEM;
	if (!(a = xcast(bd->cx, a, DT_STRING)) || !(p = xcast(bd->cx, p, DT_STRING)))
		return err_code();
	struct xexpr *x = xnew(bd->cx, X_LIKE, DT_BOOL);
	if (!x)
		return nomem();
	x->u.like.a = a;
	x->u.like.pat = p;
	x->u.like.esc = esc;
	x->u.like.ci = ci;
	x->u.like.neg = neg;
	x->name = name;
	*out = x;
	return fold(bd, out);
}

static int bind_is(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	struct xexpr *a;
	int rc = bind_expr(bd, e->v.is.arg, &a);
	if (rc)
		return rc;
	bool neg = e->v.is.negated;
	if (e->v.is.what == SQL_IS_DISTINCT_FROM) {
		struct xexpr *o;
		if ((rc = bind_expr(bd, e->v.is.other, &o)))
			return rc;
		char *name = arena_printf(bd->a, "%s IS %sDISTINCT FROM %s", a->name, neg ? "NOT " : "", o->name);
		if (!name)
			return ERR_NOMEM;
		return mk_cmp(bd, neg ? XOP_NOTDISTINCT : XOP_DISTINCT, "IS DISTINCT FROM", a, o, name, out);
	}
	static const char *const what[] = {"NULL", "TRUE", "FALSE", "UNKNOWN"};
	int w = e->v.is.what;
	char *name = arena_printf(bd->a, "%s IS %s%s", a->name, neg ? "NOT " : "", what[w]);
	if (!name)
		return ERR_NOMEM;
	if (w == SQL_IS_TRUE || w == SQL_IS_FALSE || w == SQL_IS_UNKNOWN) {
		if (a->type == XT_NULL && !(a = xcast(bd->cx, a, DT_BOOL)))
			return err_code();
		if (a->type != DT_BOOL)
			return plan_err("Error during planning: Cannot infer common argument type for comparison operation %s IS DISTINCT FROM Boolean",
					xtype_arrow_name(a->type));
	}
	struct xexpr *x = xnew(bd->cx, X_IS, DT_BOOL);
	if (!x)
		return nomem();
	x->u.is.a = a;
	x->u.is.what = w == SQL_IS_NULL ? XIS_NULL : w == SQL_IS_TRUE ? XIS_TRUE
		: w == SQL_IS_FALSE ? XIS_FALSE : XIS_UNKNOWN;
	x->u.is.neg = neg;
	x->name = name;
	*out = x;
	return fold(bd, out);
}

static int bind_case(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	size_t nw = e->v.case_.nwhen;
	struct xexpr *operand = NULL, *else_ = NULL, **when, **then;
	int rc = 0;
	if (e->v.case_.operand && (rc = bind_expr(bd, e->v.case_.operand, &operand)))
		return rc;
	if ((rc = bind_args(bd, e->v.case_.when, nw, &when)) ||
	    (rc = bind_args(bd, e->v.case_.then, nw, &then)))
		return rc;
	if (e->v.case_.else_ && (rc = bind_expr(bd, e->v.case_.else_, &else_)))
		return rc;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "CASE ");
	if (operand)
		buf_printf(&b, "%s ", operand->name);
	for (size_t i = 0; i < nw; i++)
		buf_printf(&b, "WHEN %s THEN %s ", when[i]->name, then[i]->name);
	if (else_)
		buf_printf(&b, "ELSE %s ", else_->name);
	buf_printf(&b, "END");
	char *name = buf_to_arena(bd->a, &b);
	if (!name)
		return ERR_NOMEM;
	/* conditions */
	for (size_t i = 0; i < nw; i++) {
		if (operand) {
			struct xexpr *oc = xcopy(bd->cx, operand);
			if (!oc || (rc = mk_cmp(bd, XOP_EQ, "=", oc, when[i], NULL, &when[i])))
				return rc ? rc : nomem();
		} else {
			if (when[i]->type == XT_NULL && !(when[i] = xcast(bd->cx, when[i], DT_BOOL)))
				return err_code();
			if (when[i]->type != DT_BOOL)
				return plan_err("Error during planning: WHEN expression must be a boolean, got %s",
						xtype_arrow_name(when[i]->type));
		}
	}
	/* result type */
	int t = XT_NULL;
	for (size_t i = 0; i <= nw; i++) {
		struct xexpr *r = i < nw ? then[i] : else_;
		if (!r)
			continue;
		int c = x_common_type(t, r->type);
		if (c < 0)
			return plan_err("Error during planning: Failed to coerce then (%s) and else (%s) to common types in CASE WHEN expression",
					xtype_arrow_name(t), xtype_arrow_name(r->type));
		t = c;
	}
	if (t == XT_NULL || t == XT_INTERVAL)
		t = DT_INT64;
	for (size_t i = 0; i < nw; i++)
		if (!(then[i] = xcast(bd->cx, then[i], t)))
			return err_code();
	if (else_ && !(else_ = xcast(bd->cx, else_, t)))
		return err_code();
	struct xexpr *x = xnew(bd->cx, X_CASE, t);
	if (!x)
		return nomem();
	x->u.cs.when = when;
	x->u.cs.then = then;
	x->u.cs.nwhen = (uint32_t)nw;
	x->u.cs.else_ = else_;
	x->name = name;
	*out = x;
	return fold(bd, out);
}

/* ---- variables and subqueries --------------------------------------------------- */

static int bind_var(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	const char *v = e->v.var.ident.name;
	const char *val = bd->s ? session_get_var(bd->s, v) : NULL;
	char tmp[64];
	if (!val) {
		static const struct {
			const char *n, *v;
		} defs[] = {
			{"version", "8.4.2"},
			{"version_comment", "Greptime"},
			{"system_time_zone", "UTC"},
			{"transaction_isolation", "REPEATABLE-READ"},
			{"tx_isolation", "REPEATABLE-READ"},
			{"tx_read_only", "0"},
			{"transaction_read_only", "0"},
			{"autocommit", "1"},
			{"max_allowed_packet", "134217728"},
			{"sql_mode", "ONLY_FULL_GROUP_BY STRICT_TRANS_TABLES NO_ZERO_IN_DATE NO_ZERO_DATE ERROR_FOR_DIVISION_BY_ZERO NO_ENGINE_SUBSTITUTION"},
			{"character_set_client", "utf8mb4"},
			{"character_set_connection", "utf8mb4"},
			{"character_set_results", "utf8mb4"},
			{"character_set_server", "utf8mb4"},
			{"collation_connection", "utf8mb4_0900_ai_ci"},
			{"collation_server", "utf8mb4_0900_ai_ci"},
			{"lower_case_table_names", "0"},
			{"interactive_timeout", "31536000"},
			{"wait_timeout", "31536000"},
			{"net_write_timeout", "31536000"},
			{"init_connect", ""},
			{"license", "Apache-2.0"},
			{"performance_schema", "0"},
			{"query_cache_size", "0"},
			{"query_cache_type", "OFF"},
			{"session.auto_increment_increment", "1"},
			{"auto_increment_increment", "1"},
		};
		if (strcmp(v, "time_zone") == 0) {
			snprintf(tmp, sizeof(tmp), "%s", bd->s && bd->s->time_zone[0] ? bd->s->time_zone : "UTC");
			val = tmp;
		}
		for (size_t i = 0; !val && i < sizeof(defs) / sizeof(defs[0]); i++)
			if (strcmp(defs[i].n, v) == 0)
				val = defs[i].v;
	}
	char *name = arena_printf(bd->a, "%s%s%s%s", e->v.var.system ? "@@" : "@",
				  e->v.var.scope ? e->v.var.scope : "", e->v.var.scope ? "." : "",
				  e->v.var.ident.raw);
	if (!name)
		return ERR_NOMEM;
	struct datum d;
	memset(&d, 0, sizeof(d));
	if (!val) {
		if (e->v.var.system)
			return plan_err("Error during planning: Unknown system variable '%s'", v);
		d.type = (enum dtype)XT_NULL;
		d.is_null = true;
	} else {
		d.type = DT_STRING;
		d.v.s.p = val;
		d.v.s.n = (uint32_t)strlen(val);
		/* numeric variables come back as numbers */
		char *end;
		long long n = strtoll(val, &end, 10);
		if (*val && !*end) {
			d.type = DT_INT64;
			d.v.i = n;
		}
	}
	return mk_const(bd, &d, name, out);
}

static int bind_scalar_subquery(struct binder *bd, const struct sql_query *q, struct xexpr **out)
{
	struct batch res;
	int *types;
	uint32_t nc;
	int rc = plan_subquery(bd, q, &res, &types, &nc);
	if (rc)
		return rc;
	if (nc != 1) {
		batch_free(&res);
		return plan_err("Error during planning: Scalar subquery should only return one column, but found %u: ", nc);
	}
	if (res.nrows > 1) {
		batch_free(&res);
		return exec_err("Execution error: Scalar subquery returned more than one row");
	}
	struct datum d;
	memset(&d, 0, sizeof(d));
	d.type = (enum dtype)types[0];
	d.is_null = true;
	if (res.nrows == 1) {
		struct xval xv = {&res.cols[0], {0}};
		xval_get(&xv, types[0], 0, &d);
	}
	if ((int)d.type == XT_NULL)
		d.is_null = true;
	rc = datum_to_arena(bd->a, &d);
	batch_free(&res);
	if (rc)
		return rc;
	return mk_const(bd, &d, "(<subquery>)", out);
}

static int bind_exists(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	struct batch res;
	int *types;
	uint32_t nc;
	int rc = plan_subquery(bd, e->v.exists.query, &res, &types, &nc);
	if (rc)
		return rc;
	struct datum d;
	memset(&d, 0, sizeof(d));
	d.type = DT_BOOL;
	d.v.i = (res.nrows > 0) != e->v.exists.negated;
	batch_free(&res);
	return mk_const(bd, &d, e->v.exists.negated ? "NOT EXISTS (<subquery>)" : "EXISTS (<subquery>)", out);
}

/* ---- dispatch ---------------------------------------------------------------------- */

int bind_expr(struct binder *bd, const struct sql_expr *e, struct xexpr **out)
{
	*out = NULL;
	if (++bd->depth > SQL_MAX_HEIGHT + 64) {
		bd->depth--;
		return err_set(ERR_LIMIT, "expression nested too deeply");
	}
	int rc;
	struct datum d;
	memset(&d, 0, sizeof(d));
	switch (e->kind) {
	case SQL_E_NULL:
		d.type = (enum dtype)XT_NULL;
		d.is_null = true;
		rc = mk_const(bd, &d, "NULL", out);
		break;
	case SQL_E_BOOL:
		d.type = DT_BOOL;
		d.v.i = e->v.b;
		rc = mk_const(bd, &d, NULL, out);
		break;
	case SQL_E_NUMBER: rc = bind_number(bd, e, false, out); break;
	case SQL_E_STRING: rc = bind_string(bd, e->v.str.s, e->v.str.len, out); break;
	case SQL_E_HEXSTR: rc = bind_hex(bd, e, out); break;
	case SQL_E_TYPED_STR: rc = bind_typed_str(bd, e, out); break;
	case SQL_E_INTERVAL: rc = bind_interval(bd, e, out); break;
	case SQL_E_COLUMN: rc = resolve_column(bd, &e->v.name, out); break;
	case SQL_E_STAR: rc = plan_err("Error during planning: Wildcard is not supported here"); break;
	case SQL_E_PARAM:
		rc = plan_err("Error during planning: Placeholder $%d was not substituted", e->v.param);
		break;
	case SQL_E_VAR: rc = bind_var(bd, e, out); break;
	case SQL_E_UNARY: {
		int op = e->v.unary.op;
		if (op == SQL_UOP_NEG && e->v.unary.arg->kind == SQL_E_NUMBER) {
			rc = bind_number(bd, e->v.unary.arg, true, out);
			break;
		}
		struct xexpr *a;
		if ((rc = bind_expr(bd, e->v.unary.arg, &a)))
			break;
		if (op == SQL_UOP_PLUS) {
			*out = a;
			break;
		}
		if (op == SQL_UOP_BITNOT) {
			rc = plan_err("This feature is not implemented: Unsupported SQL unary operator ~");
			break;
		}
		int t = a->type;
		if (op == SQL_UOP_NOT) {
			if (t == XT_NULL && !(a = xcast(bd->cx, a, DT_BOOL))) {
				rc = err_code();
				break;
			}
			if (a->type != DT_BOOL) {
				rc = plan_err("Error during planning: Cannot infer common argument type for logical boolean operation NOT %s",
					      xtype_arrow_name(a->type));
				break;
			}
		} else if (!(xtype_is_numeric(t) || t == XT_NULL)) {
			rc = plan_err("Error during planning: Negation only supports numeric, interval and timestamp types");
			break;
		} else if (t == XT_NULL && !(a = xcast(bd->cx, a, DT_INT64))) {
			rc = err_code();
			break;
		}
		struct xexpr *x = xnew(bd->cx, op == SQL_UOP_NOT ? X_NOT : X_NEG, a->type);
		if (!x) {
			rc = nomem();
			break;
		}
		x->u.un.a = a;
		x->name = op == SQL_UOP_NOT ? arena_printf(bd->a, "NOT %s", a->name)
					    : arena_printf(bd->a, "(- %s)", a->name);
		*out = x;
		rc = x->name ? fold(bd, out) : ERR_NOMEM;
		break;
	}
	case SQL_E_BINARY: rc = bind_binary(bd, e, out); break;
	case SQL_E_FUNC: rc = bind_func(bd, e, out); break;
	case SQL_E_CAST: rc = bind_cast(bd, e, out); break;
	case SQL_E_IS: rc = bind_is(bd, e, out); break;
	case SQL_E_IN_LIST: rc = bind_in_list(bd, e, out); break;
	case SQL_E_IN_QUERY: rc = bind_in_query(bd, e, out); break;
	case SQL_E_BETWEEN: rc = bind_between(bd, e, out); break;
	case SQL_E_LIKE: rc = bind_like(bd, e, out); break;
	case SQL_E_CASE: rc = bind_case(bd, e, out); break;
	case SQL_E_EXTRACT: rc = bind_extract(bd, e, out); break;
	case SQL_E_SUBQUERY: rc = bind_scalar_subquery(bd, e->v.query, out); break;
	case SQL_E_EXISTS: rc = bind_exists(bd, e, out); break;
	case SQL_E_NESTED: rc = bind_expr(bd, e->v.inner, out); break;
	case SQL_E_DEFAULT: rc = plan_err("Error during planning: DEFAULT is not allowed here"); break;
	default:
		rc = plan_err("This feature is not implemented: Unsupported expression %s",
			      e->kind == SQL_E_TUPLE ? "tuple" : e->kind == SQL_E_ARRAY ? "array" : "subscript");
		break;
	}
	bd->depth--;
	if (!rc && !*out)
		rc = err_set(ERR_INTERNAL, "expression bound to nothing");
	return rc;
}
