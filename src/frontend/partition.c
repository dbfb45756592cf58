/*
 * partition: PARTITION ON COLUMNS rules - compiled for routing rows and
 * pruning regions, GreptimeDB's checkpoint coverage check at CREATE
 * TABLE, and a small row-wise predicate evaluator (shared with DELETE).
 *
 * A rule is a tree of AND / OR over leaves `column OP literal` (or
 * `literal OP column`), OP one of = <> < <= > >=; literals are cast to the
 * column type. Routing: a row goes to the region of the first rule it
 * satisfies, region 0 when none (comparisons with NULL are not satisfied,
 * so rows with a NULL partition key land in region 0).
 *
 * Checkpoint check (GreptimeDB's checker): rules are split into their
 * disjuncts ("atomic exprs"); per partition column the distinct literals
 * v0 < v1 < ... < vn give the checkpoints v0-1/2, v0, v0+1/2, v1, ...,
 * vn, vn+1/2 (in index space); every point of the cartesian product must
 * satisfy exactly one atomic expr, else 1004 "Checkpoint `a=10` is not
 * covered" / "... is overlapped". Points print as `c=v`, `c<v0`,
 * `vi<c<vi+1`, `c>vn`, several columns joined by ", ".
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "frontend/frontend_int.h"
#include "sql/parser.h"

/* Cap on DNF terms and checkpoints: keeps hostile rule sets cheap. */
#define MAX_ATOMS       4096
#define MAX_CHECKPOINTS 200000

enum pn_kind { PN_CMP, PN_AND, PN_OR };

struct pnode {
	int kind;
	uint32_t col; /* schema column index */
	int op;       /* enum pred_op (EQ..GE) with the column on the left */
	struct datum lit;
	struct pnode *l, *r;
};

struct part_rules {
	struct arena *a;
	uint32_t n;
	struct pnode **rules;
	uint32_t npcols;
	uint32_t *pcols; /* schema indexes of the partition columns */
};

/* ---- datum compare ------------------------------------------------------ */

static int cmp_datum(const struct datum *a, const struct datum *b)
{
	if (a->is_null || b->is_null)
		return (a->is_null != b->is_null) ? (a->is_null ? -1 : 1) : 0;
	switch (dtype_phys(a->type)) {
	case PHYS_F64:
		return a->v.f < b->v.f ? -1 : a->v.f > b->v.f;
	case PHYS_BYTES: {
		uint32_t n = a->v.s.n < b->v.s.n ? a->v.s.n : b->v.s.n;
		int r = n ? memcmp(a->v.s.p, b->v.s.p, n) : 0;
		if (r)
			return r < 0 ? -1 : 1;
		return a->v.s.n < b->v.s.n ? -1 : a->v.s.n > b->v.s.n;
	}
	default:
		if (dtype_is_unsigned(a->type))
			return (uint64_t)a->v.i < (uint64_t)b->v.i
			           ? -1
			           : (uint64_t)a->v.i > (uint64_t)b->v.i;
		return a->v.i < b->v.i ? -1 : a->v.i > b->v.i;
	}
}

static bool op_holds(int op, int cmp)
{
	switch (op) {
	case PRED_EQ:
		return cmp == 0;
	case PRED_NE:
		return cmp != 0;
	case PRED_LT:
		return cmp < 0;
	case PRED_LE:
		return cmp <= 0;
	case PRED_GT:
		return cmp > 0;
	case PRED_GE:
		return cmp >= 0;
	default:
		return false;
	}
}

static int flip_op(int op)
{
	switch (op) {
	case PRED_LT:
		return PRED_GT;
	case PRED_LE:
		return PRED_GE;
	case PRED_GT:
		return PRED_LT;
	case PRED_GE:
		return PRED_LE;
	default:
		return op;
	}
}

static int binop_to_pred(int op)
{
	switch (op) {
	case SQL_BOP_EQ:
		return PRED_EQ;
	case SQL_BOP_NE:
		return PRED_NE;
	case SQL_BOP_LT:
		return PRED_LT;
	case SQL_BOP_LE:
		return PRED_LE;
	case SQL_BOP_GT:
		return PRED_GT;
	case SQL_BOP_GE:
		return PRED_GE;
	default:
		return -1;
	}
}

static const char *pred_text(int op)
{
	static const char *t[] = {"=", "<>", "<", "<=", ">", ">="};
	return op >= 0 && op <= PRED_GE ? t[op] : "?";
}

/* ---- compile ------------------------------------------------------------- */

static const struct sql_expr *unnest(const struct sql_expr *e)
{
	while (e && e->kind == SQL_E_NESTED)
		e = e->v.inner;
	return e;
}

static bool is_literal(const struct sql_expr *e)
{
	e = unnest(e);
	switch (e->kind) {
	case SQL_E_NUMBER:
	case SQL_E_STRING:
	case SQL_E_BOOL:
	case SQL_E_NULL:
	case SQL_E_TYPED_STR:
		return true;
	case SQL_E_UNARY:
		return (e->v.unary.op == SQL_UOP_NEG || e->v.unary.op == SQL_UOP_PLUS) &&
		       unnest(e->v.unary.arg)->kind == SQL_E_NUMBER;
	default:
		return false;
	}
}

static int copy_datum(struct arena *a, struct datum *d)
{
	if (d->is_null || dtype_phys(d->type) != PHYS_BYTES)
		return ERR_OK;
	char *p = arena_alloc(a, d->v.s.n + 1);
	if (!p)
		return ERR_NOMEM;
	memcpy(p, d->v.s.p, d->v.s.n);
	p[d->v.s.n] = 0;
	d->v.s.p = p;
	return ERR_OK;
}

static int compile(struct fe_ctx *c, struct arena *a, const struct region_schema *s,
                   const char *const *pcols, uint32_t npcols, const struct sql_expr *e, int depth,
                   struct pnode **out)
{
	e = unnest(e);
	if (depth > SQL_MAX_DEPTH)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_LIMIT, "partition rule nested too deeply");
	struct pnode *n = arena_alloc(a, sizeof(*n));
	if (!n)
		return ERR_NOMEM;
	memset(n, 0, sizeof(*n));
	*out = n;
	if (e->kind != SQL_E_BINARY)
		goto bad;
	int op = e->v.binary.op;
	if (op == SQL_BOP_AND || op == SQL_BOP_OR) {
		n->kind = op == SQL_BOP_AND ? PN_AND : PN_OR;
		int rc = compile(c, a, s, pcols, npcols, e->v.binary.left, depth + 1, &n->l);
		return rc ? rc
		          : compile(c, a, s, pcols, npcols, e->v.binary.right, depth + 1, &n->r);
	}
	int pop = binop_to_pred(op);
	if (pop < 0)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		               "Invalid partition rule: unsupported operator in partition expr %s",
		               sql_binop_text(op));
	const struct sql_expr *lhs = unnest(e->v.binary.left), *rhs = unnest(e->v.binary.right);
	const struct sql_expr *col = NULL, *lit = NULL;
	if (lhs->kind == SQL_E_COLUMN && is_literal(rhs)) {
		col = lhs;
		lit = rhs;
	} else if (rhs->kind == SQL_E_COLUMN && is_literal(lhs)) {
		col = rhs;
		lit = lhs;
		pop = flip_op(pop);
	} else {
		goto bad;
	}
	const char *cname = col->v.name.part[col->v.name.n - 1].name;
	bool listed = false;
	for (uint32_t i = 0; i < npcols; i++)
		if (!strcmp(pcols[i], cname))
			listed = true;
	/* stored rule texts print names unquoted: match case-insensitively */
	for (uint32_t i = 0;
	     !listed && col->v.name.part[col->v.name.n - 1].quote == 0 && i < npcols; i++)
		if (!strcasecmp(pcols[i], cname)) {
			listed = true;
			cname = pcols[i];
		}
	int ci = region_schema_find(s, cname);
	if (!listed || ci < 0)
		return fe_fail(
		    GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
		    "Invalid SQL, error: Column \"%s\" in rule expr is not referenced in "
		    "PARTITION ON",
		    cname);
	n->kind = PN_CMP;
	n->col = (uint32_t)ci;
	n->op = pop;
	int rc = fe_value_from_expr(c, cname, s->cols[ci].type, lit, &n->lit);
	return rc ? rc : copy_datum(a, &n->lit);
bad : {
	char *txt = fe_expr_text(c, e);
	return fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT,
	               "Invalid partition rule: partition expr %s is not of the form `column "
	               "op literal`",
	               txt ? txt : "?");
}
}

int part_rules_compile(const struct table_info *t, struct part_rules **out)
{
	*out = NULL;
	if (t->nrules == 0)
		return ERR_OK;
	struct part_rules *p = mem_calloc(1, sizeof(*p));
	if (!p)
		return ERR_NOMEM;
	p->a = arena_create(4096);
	int rc = ERR_NOMEM;
	if (!p->a)
		goto fail;
	p->rules = arena_alloc(p->a, t->nrules * sizeof(*p->rules));
	p->pcols = arena_alloc(p->a, (t->npartition_cols + 1) * sizeof(uint32_t));
	if (!p->rules || !p->pcols)
		goto fail;
	for (uint32_t i = 0; i < t->npartition_cols; i++) {
		int ci = region_schema_find(t->region_schema, t->partition_cols[i]);
		if (ci < 0) {
			rc = err_set(ERR_CORRUPT, "partition column %s missing",
			             t->partition_cols[i]);
			goto fail;
		}
		p->pcols[p->npcols++] = (uint32_t)ci;
	}
	/* a context only for literal conversion (UTC, no engine needed) */
	struct session sess;
	session_init(&sess, SESSION_HTTP, 0);
	struct fe_ctx c;
	memset(&c, 0, sizeof(c));
	c.s = &sess;
	c.a = p->a;
	c.env.ctx = &c;
	for (uint32_t i = 0; i < t->nrules; i++) {
		struct sql_expr *e;
		rc = sql_parse_expr(t->rules[i], strlen(t->rules[i]), SQL_DIALECT_GREPTIME, p->a,
		                    &e);
		if (rc == ERR_OK)
			rc = compile(&c, p->a, t->region_schema,
			             (const char *const *)t->partition_cols, t->npartition_cols, e,
			             0, &p->rules[i]);
		if (rc)
			goto fail;
		p->n++;
	}
	*out = p;
	return ERR_OK;
fail:
	part_rules_free(p);
	return rc;
}

void part_rules_free(struct part_rules *p)
{
	if (!p)
		return;
	arena_destroy(p->a);
	mem_free(p);
}

/* ---- routing ------------------------------------------------------------- */

static bool eval_row(const struct pnode *n, const struct batch *b, uint32_t row)
{
	switch (n->kind) {
	case PN_AND:
		return eval_row(n->l, b, row) && eval_row(n->r, b, row);
	case PN_OR:
		return eval_row(n->l, b, row) || eval_row(n->r, b, row);
	default: {
		const struct colvec *v = &b->cols[n->col];
		if (colvec_is_null(v, row) || n->lit.is_null)
			return false;
		/* datum_cmp_colvec compares literal with value: flip */
		int cmp = -datum_cmp_colvec(&n->lit, v, row);
		return op_holds(n->op, cmp);
	}
	}
}

int part_rules_route(const struct part_rules *p, const struct batch *rows, uint32_t *region)
{
	for (uint32_t i = 0; i < rows->nrows; i++) {
		region[i] = 0;
		for (uint32_t r = 0; p && r < p->n; r++)
			if (eval_row(p->rules[r], rows, i)) {
				region[i] = r;
				break;
			}
	}
	return ERR_OK;
}

/* ---- pruning ---------------------------------------------------------------- */

/* Can some x satisfy both (x op1 v1) and (x op2 v2)? Dense order assumed,
 * which only ever answers "yes" too often. */
static bool pair_possible(int op1, const struct datum *v1, int op2, const struct datum *v2)
{
	int c = cmp_datum(v1, v2);
	if (op1 == PRED_EQ)
		return op_holds(op2, c);
	if (op2 == PRED_EQ)
		return op_holds(op1, -c);
	if (op1 == PRED_NE || op2 == PRED_NE)
		return true;
	bool low1 = op1 == PRED_GT || op1 == PRED_GE, low2 = op2 == PRED_GT || op2 == PRED_GE;
	if (low1 == low2)
		return true;
	/* one lower bound L, one upper bound U */
	const struct datum *L = low1 ? v1 : v2, *U = low1 ? v2 : v1;
	int lop = low1 ? op1 : op2, uop = low1 ? op2 : op1;
	int lu = cmp_datum(L, U);
	if (lu < 0)
		return true;
	if (lu > 0)
		return false;
	return lop == PRED_GE && uop == PRED_LE;
}

static bool leaf_possible(const struct pnode *n, const struct scan_pred *preds, uint32_t np)
{
	for (uint32_t i = 0; i < np; i++) {
		const struct scan_pred *p = &preds[i];
		if (p->col != n->col)
			continue;
		if (p->op == PRED_IS_NULL)
			return false;
		if (p->op == PRED_IN) {
			bool any = false;
			for (uint32_t k = 0; k < p->nlist && !any; k++)
				if (!p->list[k].is_null && p->list[k].type == n->lit.type)
					any = op_holds(n->op, cmp_datum(&p->list[k], &n->lit));
				else
					any = true;
			if (!any)
				return false;
			continue;
		}
		if (p->op > PRED_GE || p->lit.is_null || p->lit.type != n->lit.type)
			continue;
		if (!pair_possible(p->op, &p->lit, n->op, &n->lit))
			return false;
	}
	return true;
}

static bool node_possible(const struct pnode *n, const struct scan_pred *preds, uint32_t np)
{
	switch (n->kind) {
	case PN_AND:
		return node_possible(n->l, preds, np) && node_possible(n->r, preds, np);
	case PN_OR:
		return node_possible(n->l, preds, np) || node_possible(n->r, preds, np);
	default:
		return leaf_possible(n, preds, np);
	}
}

bool part_rules_may_match(const struct part_rules *p, uint32_t number,
                          const struct scan_pred *preds, uint32_t npreds)
{
	if (!p || number >= p->n)
		return true;
	if (node_possible(p->rules[number], preds, npreds))
		return true;
	if (number != 0)
		return false;
	/* region 0 also holds rows with a NULL partition key: prune it only
	 * when every partition column is compared (which rejects NULLs) */
	for (uint32_t k = 0; k < p->npcols; k++) {
		bool compared = false;
		for (uint32_t i = 0; i < npreds; i++)
			if (preds[i].col == p->pcols[k] && preds[i].op != PRED_IS_NULL &&
			    preds[i].op != PRED_IS_NOT_NULL)
				compared = true;
		if (!compared)
			return true;
	}
	return false;
}

/* ---- checkpoint check --------------------------------------------------------- */

struct atom {
	uint32_t rule;
	uint32_t n;
	const struct pnode **leaves;
};

struct dnf {
	struct arena *a;
	struct atom *atoms;
	uint32_t n, cap;
};

/* DNF of node as a list of leaf conjunctions (arena lists). */
struct conj {
	uint32_t n;
	const struct pnode **leaves;
};
struct conjs {
	uint32_t n;
	struct conj *items;
};

static int to_dnf(struct arena *a, const struct pnode *n, struct conjs *out)
{
	if (n->kind == PN_CMP) {
		out->n = 1;
		out->items = arena_alloc(a, sizeof(struct conj));
		if (!out->items)
			return ERR_NOMEM;
		out->items[0].n = 1;
		out->items[0].leaves = arena_alloc(a, sizeof(struct pnode *));
		if (!out->items[0].leaves)
			return ERR_NOMEM;
		out->items[0].leaves[0] = n;
		return ERR_OK;
	}
	struct conjs l, r;
	int rc = to_dnf(a, n->l, &l);
	if (rc || (rc = to_dnf(a, n->r, &r)))
		return rc;
	if (n->kind == PN_OR) {
		if (l.n + r.n > MAX_ATOMS)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_LIMIT,
			               "partition rules too complex");
		out->n = l.n + r.n;
		out->items = arena_alloc(a, out->n * sizeof(struct conj));
		if (!out->items)
			return ERR_NOMEM;
		memcpy(out->items, l.items, l.n * sizeof(struct conj));
		memcpy(out->items + l.n, r.items, r.n * sizeof(struct conj));
		return ERR_OK;
	}
	if ((uint64_t)l.n * r.n > MAX_ATOMS)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_LIMIT, "partition rules too complex");
	out->n = l.n * r.n;
	out->items = arena_alloc(a, out->n * sizeof(struct conj));
	if (!out->items)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < l.n; i++)
		for (uint32_t j = 0; j < r.n; j++) {
			struct conj *cj = &out->items[i * r.n + j];
			cj->n = l.items[i].n + r.items[j].n;
			cj->leaves = arena_alloc(a, cj->n * sizeof(struct pnode *));
			if (!cj->leaves)
				return ERR_NOMEM;
			memcpy(cj->leaves, l.items[i].leaves,
			       l.items[i].n * sizeof(struct pnode *));
			memcpy(cj->leaves + l.items[i].n, r.items[j].leaves,
			       r.items[j].n * sizeof(struct pnode *));
		}
	return ERR_OK;
}

struct colvals {
	uint32_t col;
	const char *name;
	uint32_t n;
	const struct datum **v; /* sorted distinct */
};

static int dptr_cmp(const void *a, const void *b)
{
	return cmp_datum(*(const struct datum *const *)a, *(const struct datum *const *)b);
}

/* Index of the literal in its column's sorted values. */
static uint32_t value_index(const struct colvals *cv, const struct datum *d)
{
	uint32_t lo = 0, hi = cv->n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int c = cmp_datum(cv->v[mid], d);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void point_text(struct buf *b, const struct colvals *cv, uint32_t ncv, const int *pt)
{
	for (uint32_t k = 0; k < ncv; k++) {
		if (k)
			buf_printf(b, ", ");
		int x = pt[k]; /* 2*index space: even = value, odd = between */
		const struct colvals *c = &cv[k];
		if (x < 0) {
			buf_printf(b, "%s<", c->name);
			fe_datum_text(b, c->v[0]);
		} else if (x % 2 == 0) {
			buf_printf(b, "%s=", c->name);
			fe_datum_text(b, c->v[x / 2]);
		} else if ((uint32_t)(x / 2) + 1 >= c->n) {
			buf_printf(b, "%s>", c->name);
			fe_datum_text(b, c->v[c->n - 1]);
		} else {
			fe_datum_text(b, c->v[x / 2]);
			buf_printf(b, "<%s<", c->name);
			fe_datum_text(b, c->v[x / 2 + 1]);
		}
	}
}

int part_rules_check(struct fe_ctx *c, const struct region_schema *s, const char *const *pcols,
                     uint32_t npcols, struct sql_expr *const *rules, uint32_t nrules)
{
	struct arena *a = c->a;
	struct pnode **comp = arena_alloc(a, nrules * sizeof(*comp));
	if (!comp)
		return ERR_NOMEM;
	int rc;
	for (uint32_t i = 0; i < nrules; i++)
		if ((rc = compile(c, a, s, pcols, npcols, rules[i], 0, &comp[i])))
			return rc;
	/* atoms */
	struct atom *atoms = NULL;
	uint32_t natoms = 0;
	for (uint32_t i = 0; i < nrules; i++) {
		struct conjs d;
		if ((rc = to_dnf(a, comp[i], &d)))
			return rc;
		if (natoms + d.n > MAX_ATOMS)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_LIMIT,
			               "partition rules too complex");
		struct atom *na = arena_alloc(a, (natoms + d.n) * sizeof(*na));
		if (!na)
			return ERR_NOMEM;
		if (natoms)
			memcpy(na, atoms, natoms * sizeof(*na));
		for (uint32_t k = 0; k < d.n; k++)
			na[natoms + k] = (struct atom){i, d.items[k].n, d.items[k].leaves};
		atoms = na;
		natoms += d.n;
	}
	/* distinct values per partition column */
	struct colvals *cv = arena_alloc(a, (npcols + 1) * sizeof(*cv));
	if (!cv)
		return ERR_NOMEM;
	uint32_t ncv = 0;
	for (uint32_t k = 0; k < npcols; k++) {
		int ci = region_schema_find(s, pcols[k]);
		struct colvals *x = &cv[ncv];
		memset(x, 0, sizeof(*x));
		x->col = (uint32_t)ci;
		x->name = pcols[k];
		uint32_t total = 0;
		for (uint32_t i = 0; i < natoms; i++)
			total += atoms[i].n;
		x->v = arena_alloc(a, (total + 1) * sizeof(*x->v));
		if (!x->v)
			return ERR_NOMEM;
		for (uint32_t i = 0; i < natoms; i++)
			for (uint32_t j = 0; j < atoms[i].n; j++)
				if (atoms[i].leaves[j]->col == x->col)
					x->v[x->n++] = &atoms[i].leaves[j]->lit;
		if (x->n == 0)
			continue; /* a column no rule uses adds no checkpoints */
		qsort(x->v, x->n, sizeof(*x->v), dptr_cmp);
		uint32_t u = 0;
		for (uint32_t i = 0; i < x->n; i++)
			if (u == 0 || cmp_datum(x->v[u - 1], x->v[i]) != 0)
				x->v[u++] = x->v[i];
		x->n = u;
		ncv++;
	}
	if (ncv == 0)
		return ERR_OK;
	uint64_t npoints = 1;
	for (uint32_t k = 0; k < ncv; k++) {
		npoints *= 2 * (uint64_t)cv[k].n + 1;
		if (npoints > MAX_CHECKPOINTS)
			return fe_fail(GT_INVALID_ARGUMENTS, ERR_LIMIT,
			               "partition rules have too many checkpoints");
	}
	/* x in [-1, 2n-1]: -1 below v0, 2i = vi, 2i+1 between vi and vi+1 (or above vn) */
	int pt[64];
	if (ncv > 64)
		return fe_fail(GT_INVALID_ARGUMENTS, ERR_LIMIT, "too many partition columns");
	for (uint32_t k = 0; k < ncv; k++)
		pt[k] = -1;
	for (uint64_t p = 0; p < npoints; p++) {
		uint32_t matched = 0;
		for (uint32_t i = 0; i < natoms && matched < 2; i++) {
			bool ok = true;
			for (uint32_t j = 0; j < atoms[i].n && ok; j++) {
				const struct pnode *lf = atoms[i].leaves[j];
				uint32_t k = 0;
				while (k < ncv && cv[k].col != lf->col)
					k++;
				int vi = 2 * (int)value_index(&cv[k], &lf->lit);
				int x = pt[k];
				ok = op_holds(lf->op, x < vi ? -1 : x > vi);
			}
			matched += ok;
		}
		if (matched != 1) {
			struct buf b;
			buf_init(&b);
			point_text(&b, cv, ncv, pt);
			rc = fe_fail(GT_INVALID_ARGUMENTS, ERR_BAD_INPUT, "Checkpoint `%s` is %s",
			             buf_cstr(&b) ? (const char *)b.data : "?",
			             matched ? "overlapped" : "not covered");
			buf_free(&b);
			return rc;
		}
		/* next point: last column fastest */
		for (int k = (int)ncv - 1; k >= 0; k--) {
			if (pt[k] < 2 * (int)cv[k].n - 1) {
				pt[k]++;
				break;
			}
			pt[k] = -1;
		}
	}
	(void)pred_text;
	return ERR_OK;
}

/* ---- simple predicates (DELETE ... WHERE) -------------------------------------- */

/* Kleene values: 0 false, 1 true, 2 unknown */
struct sp_ctx {
	struct fe_ctx *c;
	const struct batch *b;
	const char *const *names;
};

static int col_of(const struct sp_ctx *x, const struct sql_expr *e)
{
	e = unnest(e);
	if (e->kind != SQL_E_COLUMN)
		return -1;
	const char *n = e->v.name.part[e->v.name.n - 1].name;
	for (uint32_t i = 0; i < x->b->ncols; i++)
		if (x->names[i] && !strcmp(x->names[i], n))
			return (int)i;
	return -1;
}

/* Literal converted to the type of column ci; ERR_UNSUPPORTED when it is
 * not a plain literal or does not convert exactly. */
static int lit_for(const struct sp_ctx *x, int ci, const struct sql_expr *e, struct datum *d)
{
	if (!is_literal(e))
		return ERR_UNSUPPORTED;
	int rc = fe_value_from_expr(x->c, x->names[ci], x->b->cols[ci].type, unnest(e), d);
	if (rc) {
		fe_status_reset();
		err_clear();
		return ERR_UNSUPPORTED;
	}
	return ERR_OK;
}

static int cmp_row(const struct colvec *v, uint32_t row, const struct datum *d)
{
	return -datum_cmp_colvec(d, v, row);
}

/* Check the shape once (returns ERR_UNSUPPORTED for anything else). */
static int sp_check(const struct sp_ctx *x, const struct sql_expr *e, int depth)
{
	e = unnest(e);
	if (depth > SQL_MAX_DEPTH)
		return ERR_UNSUPPORTED;
	struct datum d;
	switch (e->kind) {
	case SQL_E_BINARY: {
		int op = e->v.binary.op;
		if (op == SQL_BOP_AND || op == SQL_BOP_OR) {
			int rc = sp_check(x, e->v.binary.left, depth + 1);
			return rc ? rc : sp_check(x, e->v.binary.right, depth + 1);
		}
		if (binop_to_pred(op) < 0)
			return ERR_UNSUPPORTED;
		int cl = col_of(x, e->v.binary.left), cr = col_of(x, e->v.binary.right);
		if (cl >= 0)
			return lit_for(x, cl, e->v.binary.right, &d);
		if (cr >= 0)
			return lit_for(x, cr, e->v.binary.left, &d);
		return ERR_UNSUPPORTED;
	}
	case SQL_E_UNARY:
		return e->v.unary.op == SQL_UOP_NOT ? sp_check(x, e->v.unary.arg, depth + 1)
		                                    : ERR_UNSUPPORTED;
	case SQL_E_IS:
		return e->v.is.what == SQL_IS_NULL && col_of(x, e->v.is.arg) >= 0 ? ERR_OK
		                                                                  : ERR_UNSUPPORTED;
	case SQL_E_IN_LIST: {
		int ci = col_of(x, e->v.in.arg);
		if (ci < 0)
			return ERR_UNSUPPORTED;
		for (size_t i = 0; i < e->v.in.nlist; i++)
			if (lit_for(x, ci, e->v.in.list[i], &d))
				return ERR_UNSUPPORTED;
		return ERR_OK;
	}
	case SQL_E_BETWEEN: {
		int ci = col_of(x, e->v.between.arg);
		if (ci < 0 || lit_for(x, ci, e->v.between.low, &d) ||
		    lit_for(x, ci, e->v.between.high, &d))
			return ERR_UNSUPPORTED;
		return ERR_OK;
	}
	case SQL_E_BOOL:
		return ERR_OK;
	default:
		return ERR_UNSUPPORTED;
	}
}

static int sp_eval(const struct sp_ctx *x, const struct sql_expr *e, uint32_t row)
{
	e = unnest(e);
	struct datum d, d2;
	switch (e->kind) {
	case SQL_E_BOOL:
		return e->v.b;
	case SQL_E_BINARY: {
		int op = e->v.binary.op;
		if (op == SQL_BOP_AND || op == SQL_BOP_OR) {
			int l = sp_eval(x, e->v.binary.left, row);
			if (op == SQL_BOP_AND && l == 0)
				return 0;
			if (op == SQL_BOP_OR && l == 1)
				return 1;
			int r = sp_eval(x, e->v.binary.right, row);
			if (op == SQL_BOP_AND)
				return r == 0 ? 0 : (l == 1 && r == 1 ? 1 : 2);
			return r == 1 ? 1 : (l == 0 && r == 0 ? 0 : 2);
		}
		int pop = binop_to_pred(op);
		int ci = col_of(x, e->v.binary.left);
		const struct sql_expr *lit = e->v.binary.right;
		if (ci < 0) {
			ci = col_of(x, e->v.binary.right);
			lit = e->v.binary.left;
			pop = flip_op(pop);
		}
		lit_for(x, ci, lit, &d);
		const struct colvec *v = &x->b->cols[ci];
		if (d.is_null || colvec_is_null(v, row))
			return 2;
		return op_holds(pop, cmp_row(v, row, &d));
	}
	case SQL_E_UNARY: {
		int r = sp_eval(x, e->v.unary.arg, row);
		return r == 2 ? 2 : !r;
	}
	case SQL_E_IS: {
		int ci = col_of(x, e->v.is.arg);
		bool isnull = colvec_is_null(&x->b->cols[ci], row);
		return e->v.is.negated ? !isnull : isnull;
	}
	case SQL_E_IN_LIST: {
		int ci = col_of(x, e->v.in.arg);
		const struct colvec *v = &x->b->cols[ci];
		if (colvec_is_null(v, row))
			return 2;
		int res = 0;
		for (size_t i = 0; i < e->v.in.nlist; i++) {
			lit_for(x, ci, e->v.in.list[i], &d);
			if (d.is_null)
				res = 2;
			else if (cmp_row(v, row, &d) == 0) {
				res = 1;
				break;
			}
		}
		if (e->v.in.negated)
			return res == 2 ? 2 : !res;
		return res;
	}
	case SQL_E_BETWEEN: {
		int ci = col_of(x, e->v.between.arg);
		const struct colvec *v = &x->b->cols[ci];
		lit_for(x, ci, e->v.between.low, &d);
		lit_for(x, ci, e->v.between.high, &d2);
		if (colvec_is_null(v, row) || d.is_null || d2.is_null)
			return 2;
		int in = cmp_row(v, row, &d) >= 0 && cmp_row(v, row, &d2) <= 0;
		return e->v.between.negated ? !in : in;
	}
	default:
		return 2;
	}
}

int fe_eval_simple_predicate(struct fe_ctx *c, const struct sql_expr *e, const struct batch *b,
                             const char *const *names, uint8_t *sel)
{
	struct sp_ctx x = {c, b, names};
	if (sp_check(&x, e, 0))
		return ERR_UNSUPPORTED;
	for (uint32_t i = 0; i < b->nrows; i++)
		sel[i] = sp_eval(&x, e, i) == 1;
	return ERR_OK;
}
