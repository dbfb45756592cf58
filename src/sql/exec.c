/*
 * exec: entry points of the SQL query engine (see exec.h).
 *
 * Each call builds a `struct plan` in the statement arena, binds the AST
 * into it (plan.c), runs it (operators.c) and tears the runtime state
 * down: every operator is closed, every table provider released and every
 * expression's scratch vector freed, whatever the outcome. The error
 * record of a failure survives the teardown.
 *
 * Cancellation and statement timeout: the operators poll
 * session_cancelled() between batches (every scan batch in op_next, the
 * accumulating loops of aggregate and sort, each root batch in plan_run)
 * and fail with ERR_EXEC "Query was cancelled". session_cancelled() is
 * true after a cancel request and also once the session's statement
 * deadline (session.deadline_ms, set per statement by the servers' limits
 * wrapper, server/limits.h) has passed; the wrapper reports the latter as
 * a timeout. A check costs one atomic load and one monotonic clock read
 * per batch, so new long loops should poll it too.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "sql/exec.h"
#include "sql/plan.h"

static int nomem(void) { return err_set(ERR_NOMEM, "out of memory"); }

static struct plan *plan_new(struct exec_env *env, struct session *s, struct arena *a)
{
	struct plan *p = arena_alloc(a, sizeof(*p));
	if (!p) {
		nomem();
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	xctx_init(&p->cx, env, s, a);
	if (s && s->time_zone[0] && vfmt_tz_resolve(s->time_zone, &p->cx.tz))
		err_clear(); /* an unknown zone was refused at SET; use UTC */
	return p;
}

static void binder_init(struct binder *bd, struct plan *p, struct exec_env *env, struct session *s,
			struct arena *a)
{
	memset(bd, 0, sizeof(*bd));
	bd->p = p;
	bd->cx = &p->cx;
	bd->env = env;
	bd->s = s;
	bd->a = a;
	bd->ts_hint_col = -1;
}

/* Close every operator, release the tables, free scratch vectors. */
static void plan_teardown(struct plan *p, int rc)
{
	/* the error survives the teardown (closing operators may touch the
	 * error record); heap copy: planner errors can be a few KB */
	char *msg = NULL;
	int code = err_code();
	if (rc)
		msg = mem_strdup(err_msg());
	for (uint32_t i = 0; i < p->nops; i++)
		op_close(p->ops[i]);
	for (uint32_t i = 0; i < p->nproviders; i++)
		if (p->providers[i]->release)
			p->providers[i]->release(p->providers[i]);
	p->nproviders = 0;
	p->nops = 0;
	xctx_release(&p->cx);
	if (rc) {
		if (msg)
			err_set(code ? code : rc, "%s", msg);
		else
			err_set(code ? code : rc, "%s", err_code_name(code ? code : rc));
	}
	mem_free(msg);
}

static int plan_build(struct plan *p, struct exec_env *env, struct session *s, struct arena *a,
		      const struct sql_query *q)
{
	struct binder bd;
	binder_init(&bd, p, env, s, a);
	struct op *root;
	struct scope sc;
	int rc = plan_query(&bd, q, &root, &sc);
	if (rc)
		return rc;
	p->root = root;
	p->ncols = root->ncols;
	p->types = root->types;
	p->names = arena_alloc(a, (root->ncols + 1) * sizeof(char *));
	if (!p->names)
		return nomem();
	for (uint32_t i = 0; i < root->ncols; i++)
		p->names[i] = i < sc.n && sc.cols[i].name ? sc.cols[i].name : root->names[i];
	return 0;
}

int sql_exec_query(struct exec_env *env, struct session *s, const struct sql_query *q,
		   struct arena *a, struct result_set *rs)
{
	memset(rs, 0, sizeof(*rs));
	struct plan *p = plan_new(env, s, a);
	if (!p)
		return ERR_NOMEM;
	int rc = plan_build(p, env, s, a, q);
	if (!rc)
		rc = plan_run(p, s, rs);
	plan_teardown(p, rc);
	return rc;
}

int sql_exec_explain(struct exec_env *env, struct session *s, const struct sql_stmt *st,
		     struct arena *a, struct result_set *rs)
{
	memset(rs, 0, sizeof(*rs));
	const struct sql_stmt *inner = st;
	bool analyze = false, verbose = false;
	if (st->kind == SQL_STMT_EXPLAIN) {
		inner = st->u.explain.stmt;
		analyze = st->u.explain.analyze;
		verbose = st->u.explain.verbose;
	}
	if (!inner || inner->kind != SQL_STMT_QUERY)
		return err_set(ERR_UNSUPPORTED, "SQL statement is not supported, keyword: EXPLAIN of %s",
			       inner ? sql_stmt_kind_name(inner->kind) : "nothing");
	struct plan *p = plan_new(env, s, a);
	if (!p)
		return ERR_NOMEM;
	p->analyze = analyze;
	int rc = plan_build(p, env, s, a, inner->u.query);
	if (!rc)
		rc = plan_explain(p, analyze, verbose, rs);
	plan_teardown(p, rc);
	return rc;
}

int sql_eval_const(struct exec_env *env, struct session *s, const struct sql_expr *e,
		   enum dtype target, struct arena *a, struct datum *out)
{
	memset(out, 0, sizeof(*out));
	out->type = target;
	/* GreptimeDB's literal rules first */
	if (e->kind == SQL_E_NUMBER &&
	    (target == DT_STRING || target == DT_BINARY || target == DT_BOOL)) {
		static const char *const tn[] = {[DT_STRING] = "String(StringType { size_type: Utf8 })",
						 [DT_BINARY] = "Binary(BinaryType)",
						 [DT_BOOL] = "Boolean(BooleanType)"};
		return err_set(ERR_SYNTAX,
			       "Failed to parse value: Fail to parse number %s, invalid column type: %s",
			       e->v.num.text ? e->v.num.text : "?", tn[target]);
	}
	struct plan *p = plan_new(env, s, a);
	if (!p)
		return ERR_NOMEM;
	struct binder bd;
	binder_init(&bd, p, env, s, a);
	struct scope empty = {0, NULL};
	bd.sc = &empty;
	bd.agg_context = "VALUES";
	int rc;
	struct xexpr *x = NULL;
	if (e->kind == SQL_E_COLUMN && e->v.name.n == 1 && e->v.name.part[0].quote == '"') {
		/* GreptimeDB takes "x" as a string value in INSERT */
		struct datum d;
		memset(&d, 0, sizeof(d));
		d.type = DT_STRING;
		d.v.s.p = e->v.name.part[0].raw;
		d.v.s.n = (uint32_t)strlen(e->v.name.part[0].raw);
		x = xconst(&p->cx, &d, "x");
		rc = x ? 0 : nomem();
	} else {
		rc = bind_expr(&bd, e, &x);
	}
	struct datum v;
	if (!rc)
		rc = x_eval_const(&p->cx, x, &v);
	if (!rc) {
		if ((int)v.type == XT_INTERVAL || x->type == XT_INTERVAL)
			rc = err_set(ERR_BAD_INPUT, "Invalid value: an interval cannot be stored in a %s column",
				     dtype_name(target));
		else if (!x_can_cast(x->type, target))
			rc = err_set(ERR_BAD_INPUT, "Failed to cast %s to %s", xtype_arrow_name(x->type),
				     dtype_name(target));
		else
			rc = datum_cast(&p->cx, &v, target, out);
		if (rc == ERR_EXEC) {
			char m[512];
			snprintf(m, sizeof(m), "%s", err_msg());
			rc = err_set(ERR_BAD_INPUT, "%s", m);
		}
		if (!rc) {
			out->type = target;
			rc = datum_to_arena(a, out);
		}
	}
	plan_teardown(p, rc);
	if (rc) {
		memset(out, 0, sizeof(*out));
		out->type = target;
	}
	return rc;
}

int sql_eval_predicate(struct exec_env *env, struct session *s, const struct sql_expr *e,
		       const struct batch *b, const char *const *names, struct arena *a,
		       uint8_t *sel)
{
	struct plan *p = plan_new(env, s, a);
	if (!p)
		return ERR_NOMEM;
	struct binder bd;
	binder_init(&bd, p, env, s, a);
	struct scope sc;
	sc.n = b->ncols;
	sc.cols = arena_alloc(a, (b->ncols + 1) * sizeof(*sc.cols));
	uint32_t *idx = NULL;
	int rc = 0;
	if (!sc.cols) {
		rc = nomem();
		goto out;
	}
	memset(sc.cols, 0, (b->ncols + 1) * sizeof(*sc.cols));
	for (uint32_t i = 0; i < b->ncols; i++) {
		sc.cols[i].name = names[i];
		sc.cols[i].type = b->cols[i].type;
	}
	bd.sc = &sc;
	bd.agg_context = "WHERE clause";
	struct xexpr *x;
	if ((rc = bind_expr(&bd, e, &x)))
		goto out;
	if (x->type == XT_NULL && !(x = xcast(&p->cx, x, DT_BOOL))) {
		rc = err_code();
		goto out;
	}
	if (x->type != DT_BOOL) {
		rc = plan_err("Error during planning: Cannot create filter with non-boolean predicate '%s' returning %s",
			      x->name, xtype_arrow_name(x->type));
		goto out;
	}
	idx = mem_alloc(((size_t)b->nrows + 1) * sizeof(uint32_t));
	if (!idx) {
		rc = nomem();
		goto out;
	}
	uint32_t k;
	if ((rc = x_eval_filter(&p->cx, x, b, idx, &k)))
		goto out;
	memset(sel, 0, b->nrows);
	for (uint32_t i = 0; i < k; i++)
		sel[idx[i]] = 1;
out:
	mem_free(idx);
	plan_teardown(p, rc);
	return rc;
}
