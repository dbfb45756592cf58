/*
 * show: SHOW statements and DESCRIBE, shaped like GreptimeDB's.
 *
 * Most SHOW forms are queries of an information_schema table, as in
 * GreptimeDB: filter rows by equality on some columns, apply LIKE to one
 * column, sort, project with renamed columns (e.g. schema_name ->
 * "Database"), and finally, for SHOW ... WHERE, filter the renamed rows
 * with the WHERE clause through the SQL engine (the rows are served as the
 * in-memory table "__show"; identifiers in the clause are matched to the
 * shown column names case-insensitively). SHOW TABLES then names its
 * column Tables_in_{schema}.
 *
 * SHOW CREATE TABLE prints GreptimeDB's normalised statement (quoted
 * identifiers - backquotes for MySQL clients, double quotes otherwise - SQL
 * type names, explicit NULL / NOT NULL, TIME INDEX, PRIMARY KEY, the
 * partition rules, ENGINE and the sorted WITH options); DESCRIBE lists
 * Column, Type, Key, Null, Default, Semantic Type.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "frontend/frontend_int.h"
#include "sql/parser.h"

struct proj {
	const char *col;
	const char *as;
};

struct show_q {
	const char *table;
	const char *fcol[3];
	const char *fval[3];
	uint32_t nf;
	const char *like_field;
	bool like_ci;
	const char *sort[2];
	uint32_t nsort;
	const struct proj *proj;
	uint32_t nproj;
};

static int col_index(const struct vtable *vt, const char *name)
{
	for (uint32_t i = 0; i < vt->ncols; i++)
		if (!strcmp(vt->cols[i].name, name))
			return (int)i;
	return -1;
}

static const char *cell_str(const struct colvec *v, uint32_t row, char *buf, size_t n)
{
	if (colvec_is_null(v, row))
		return NULL;
	if (dtype_phys(v->type) == PHYS_BYTES) {
		uint32_t len;
		const char *p = colvec_bytes(v, row, &len);
		if (len >= n)
			len = (uint32_t)n - 1;
		memcpy(buf, p, len);
		buf[len] = 0;
		return buf;
	}
	if (dtype_phys(v->type) == PHYS_F64)
		snprintf(buf, n, "%g", v->f64[row]);
	else if (dtype_is_unsigned(v->type))
		snprintf(buf, n, "%" PRIu64, (uint64_t)v->i64[row]);
	else
		snprintf(buf, n, "%" PRId64, v->i64[row]);
	return buf;
}

/* ---- WHERE over shown rows ------------------------------------------------- */

static void bind_idents(struct sql_expr *e, const struct result_set *rs, int depth)
{
	if (!e || depth > SQL_MAX_DEPTH)
		return;
	switch (e->kind) {
	case SQL_E_COLUMN: {
		struct sql_ident *id = &e->v.name.part[e->v.name.n - 1];
		for (uint32_t i = 0; i < rs->ncols; i++)
			if (!strcasecmp(rs->names[i], id->raw)) {
				id->name = rs->names[i];
				id->raw = rs->names[i];
				id->quote = '"';
				e->v.name.part[0] = *id;
				e->v.name.n = 1;
				break;
			}
		return;
	}
	case SQL_E_BINARY:
	case SQL_E_SUBSCRIPT:
		bind_idents(e->v.binary.left, rs, depth + 1);
		bind_idents(e->v.binary.right, rs, depth + 1);
		return;
	case SQL_E_UNARY:
		bind_idents(e->v.unary.arg, rs, depth + 1);
		return;
	case SQL_E_NESTED:
		bind_idents(e->v.inner, rs, depth + 1);
		return;
	case SQL_E_IS:
		bind_idents(e->v.is.arg, rs, depth + 1);
		bind_idents(e->v.is.other, rs, depth + 1);
		return;
	case SQL_E_IN_LIST:
		bind_idents(e->v.in.arg, rs, depth + 1);
		for (size_t i = 0; i < e->v.in.nlist; i++)
			bind_idents(e->v.in.list[i], rs, depth + 1);
		return;
	case SQL_E_BETWEEN:
		bind_idents(e->v.between.arg, rs, depth + 1);
		bind_idents(e->v.between.low, rs, depth + 1);
		bind_idents(e->v.between.high, rs, depth + 1);
		return;
	case SQL_E_LIKE:
		bind_idents(e->v.like.arg, rs, depth + 1);
		bind_idents(e->v.like.pattern, rs, depth + 1);
		return;
	case SQL_E_FUNC:
		for (size_t i = 0; i < e->v.func.nargs; i++)
			bind_idents(e->v.func.args[i], rs, depth + 1);
		return;
	case SQL_E_CAST:
		bind_idents(e->v.cast.arg, rs, depth + 1);
		return;
	case SQL_E_CASE:
		bind_idents(e->v.case_.operand, rs, depth + 1);
		for (size_t i = 0; i < e->v.case_.nwhen; i++) {
			bind_idents(e->v.case_.when[i], rs, depth + 1);
			bind_idents(e->v.case_.then[i], rs, depth + 1);
		}
		bind_idents(e->v.case_.else_, rs, depth + 1);
		return;
	default:
		return;
	}
}

/* Filter rs (replaced) by a WHERE clause through the engine. */
static int where_filter(struct fe_ctx *c, struct sql_expr *where, struct result_set *rs)
{
	bind_idents(where, rs, 0);
	char *w = sql_expr_to_sql(c->a, where, 0);
	if (!w)
		return ERR_NOMEM;
	struct buf q;
	buf_init(&q);
	buf_printf(&q, "SELECT * FROM __show WHERE %s", w);
	if (!buf_cstr(&q)) {
		buf_free(&q);
		return ERR_NOMEM;
	}
	int rc = fe_mem_table_rs("__show", rs, &c->show_table);
	if (rc == ERR_OK)
		rc = fe_run_query_text(c, (const char *)q.data, rs);
	buf_free(&q);
	if (c->show_table) {
		c->show_table->release(c->show_table);
		c->show_table = NULL;
	}
	return rc;
}

/* ---- SHOW as a query of an information_schema table ------------------------------- */

struct sort_ctx {
	const struct result_set *rs;
	int cols[2];
	uint32_t n;
};
static __thread const struct sort_ctx *t_sc;

static int cmp_idx(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	for (uint32_t k = 0; k < t_sc->n; k++) {
		const struct colvec *v = &t_sc->rs->rows.cols[t_sc->cols[k]];
		int r = colvec_cmp(v, x, v, y);
		if (r)
			return r;
	}
	return x < y ? -1 : x > y;
}

static int show_query(struct fe_ctx *c, const struct show_q *q, const struct sql_show *sh,
                      const char *first_name, struct query_result *out)
{
	const struct vtable *vt = infoschema_find(q->table);
	struct result_set all;
	int rc = infoschema_rows(c, vt, &all);
	if (rc)
		return rc;
	int fidx[3], lidx = -1, pidx[32];
	for (uint32_t i = 0; i < q->nf; i++)
		fidx[i] = col_index(vt, q->fcol[i]);
	if (q->like_field)
		lidx = col_index(vt, q->like_field);
	struct sort_ctx sc = {&all, {0, 0}, q->nsort};
	for (uint32_t i = 0; i < q->nsort; i++)
		sc.cols[i] = col_index(vt, q->sort[i]);
	const char *names[32];
	enum dtype types[32];
	for (uint32_t i = 0; i < q->nproj; i++) {
		pidx[i] = col_index(vt, q->proj[i].col);
		names[i] = q->proj[i].as;
		types[i] = vt->cols[pidx[i]].type;
	}
	uint32_t *idx = mem_alloc((all.rows.nrows + 1) * sizeof(uint32_t));
	uint32_t n = 0;
	if (!idx) {
		result_set_free(&all);
		return ERR_NOMEM;
	}
	char buf[1024];
	for (uint32_t r = 0; r < all.rows.nrows; r++) {
		bool ok = true;
		for (uint32_t i = 0; i < q->nf && ok; i++) {
			const char *v = cell_str(&all.rows.cols[fidx[i]], r, buf, sizeof(buf));
			ok = v && !strcmp(v, q->fval[i]);
		}
		if (ok && sh->like && lidx >= 0) {
			const char *v = cell_str(&all.rows.cols[lidx], r, buf, sizeof(buf));
			ok = v && fe_like(sh->like, v, q->like_ci);
		}
		if (ok)
			idx[n++] = r;
	}
	if (q->nsort) {
		t_sc = &sc;
		qsort(idx, n, sizeof(uint32_t), cmp_idx);
		t_sc = NULL;
	}
	rc = fe_rs_init(&out->rs, q->nproj, names, types);
	for (uint32_t k = 0; rc == ERR_OK && k < n; k++) {
		for (uint32_t i = 0; rc == ERR_OK && i < q->nproj; i++)
			rc = colvec_push_from(&out->rs.rows.cols[i], &all.rows.cols[pidx[i]],
			                      idx[k]);
		out->rs.rows.nrows++;
	}
	mem_free(idx);
	result_set_free(&all);
	if (rc == ERR_OK && sh->where)
		rc = where_filter(c, sh->where, &out->rs);
	if (rc == ERR_OK && first_name && out->rs.ncols > 0) {
		char *nm = mem_strdup(first_name);
		if (!nm)
			rc = ERR_NOMEM;
		else {
			mem_free(out->rs.names[0]);
			out->rs.names[0] = nm;
		}
	}
	if (rc)
		result_set_free(&out->rs);
	else
		out->kind = QUERY_ROWS;
	return rc;
}

static const char *target_schema(struct fe_ctx *c, const struct sql_show *sh)
{
	return sh->db ? sh->db->name : c->s->schema;
}

static int show_databases(struct fe_ctx *c, const struct sql_show *sh, struct query_result *out)
{
	static const struct proj p[] = {{"schema_name", "Database"}, {"options", "Options"}};
	struct show_q q = {.table = "schemata",
	                   .fcol = {"catalog_name"},
	                   .fval = {c->s->catalog},
	                   .nf = 1,
	                   .like_field = "schema_name",
	                   .sort = {"schema_name"},
	                   .nsort = 1,
	                   .proj = p,
	                   .nproj = sh->full ? 2 : 1};
	return show_query(c, &q, sh, NULL, out);
}

static int check_db(struct fe_ctx *c, const char *db)
{
	if (!fe_schema_exists(c, c->s->catalog, db))
		return fe_fail(GT_DATABASE_NOT_FOUND, ERR_NOT_FOUND, "Database not found: %s", db);
	return ERR_OK;
}

static int show_tables(struct fe_ctx *c, const struct sql_show *sh, struct query_result *out)
{
	static const struct proj p[] = {{"table_name", "Tables"}, {"table_type", "Table_type"}};
	const char *db = target_schema(c, sh);
	int rc = check_db(c, db);
	if (rc)
		return rc;
	struct show_q q = {.table = "tables",
	                   .fcol = {"table_schema", "table_catalog"},
	                   .fval = {db, c->s->catalog},
	                   .nf = 2,
	                   .like_field = "table_name",
	                   .sort = {"table_name"},
	                   .nsort = 1,
	                   .proj = p,
	                   .nproj = sh->full ? 2 : 1};
	char name[256];
	snprintf(name, sizeof(name), "Tables_in_%s", db);
	return show_query(c, &q, sh, name, out);
}

static int show_table_status(struct fe_ctx *c, const struct sql_show *sh, struct query_result *out)
{
	static const struct proj p[] = {
	    {"table_name", "Name"},
	    {"engine", "Engine"},
	    {"version", "Version"},
	    {"row_format", "Row_format"},
	    {"table_rows", "Rows"},
	    {"avg_row_length", "Avg_row_length"},
	    {"data_length", "Data_length"},
	    {"max_data_length", "Max_data_length"},
	    {"index_length", "Index_length"},
	    {"data_free", "Data_free"},
	    {"auto_increment", "Auto_increment"},
	    {"create_time", "Create_time"},
	    {"update_time", "Update_time"},
	    {"check_time", "Check_time"},
	    {"table_collation", "Collation"},
	    {"checksum", "Checksum"},
	    {"create_options", "Create_options"},
	    {"table_comment", "Comment"},
	};
	const char *db = target_schema(c, sh);
	int rc = check_db(c, db);
	if (rc)
		return rc;
	struct show_q q = {.table = "tables",
	                   .fcol = {"table_schema", "table_catalog"},
	                   .fval = {db, c->s->catalog},
	                   .nf = 2,
	                   .like_field = "table_name",
	                   .sort = {"table_name"},
	                   .nsort = 1,
	                   .proj = p,
	                   .nproj = sizeof(p) / sizeof(p[0])};
	return show_query(c, &q, sh, NULL, out);
}

static int resolve_target(struct fe_ctx *c, const struct sql_show *sh, const char **cat,
                          const char **sch, const char **tab)
{
	int rc = fe_split_name(c, &sh->target, cat, sch, tab);
	if (rc == ERR_OK && sh->db)
		*sch = sh->db->name;
	return rc;
}

/* The table exists (user or virtual)? Sets the error when not. */
static int check_table(struct fe_ctx *c, const char *cat, const char *sch, const char *tab)
{
	if (!strcmp(sch, FE_INFO_SCHEMA) && infoschema_find(tab))
		return ERR_OK;
	if (!strcmp(sch, SCHEMA_DEFAULT) && !strcmp(tab, "numbers"))
		return ERR_OK;
	struct table_info *t;
	int rc = fe_get_table(c, cat, sch, tab, &t);
	table_info_free(t);
	return rc;
}

static int show_columns(struct fe_ctx *c, const struct sql_show *sh, struct query_result *out)
{
	static const struct proj full[] = {
	    {"column_name", "Field"},
	    {"data_type", "Type"},
	    {"collation_name", "Collation"},
	    {"is_nullable", "Null"},
	    {"column_key", "Key"},
	    {"column_default", "Default"},
	    {"column_comment", "Comment"},
	    {"privileges", "Privileges"},
	    {"extra", "Extra"},
	    {"greptime_data_type", "Greptime_type"},
	};
	static const struct proj brief[] = {
	    {"column_name", "Field"},
	    {"data_type", "Type"},
	    {"is_nullable", "Null"},
	    {"column_key", "Key"},
	    {"column_default", "Default"},
	    {"extra", "Extra"},
	    {"greptime_data_type", "Greptime_type"},
	};
	const char *cat, *sch, *tab;
	int rc = resolve_target(c, sh, &cat, &sch, &tab);
	if (rc || (rc = check_table(c, cat, sch, tab)))
		return rc;
	struct show_q q = {.table = "columns",
	                   .fcol = {"table_name", "table_schema", "table_catalog"},
	                   .fval = {tab, sch, cat},
	                   .nf = 3,
	                   .like_field = "column_name",
	                   .sort = {"column_name"},
	                   .nsort = 1,
	                   .proj = sh->full ? full : brief,
	                   .nproj = sh->full ? 10 : 7};
	return show_query(c, &q, sh, NULL, out);
}

static int show_region(struct fe_ctx *c, const struct sql_show *sh, struct query_result *out)
{
	static const struct proj p[] = {{"table_name", "Table"},
	                                {"region_id", "Region"},
	                                {"peer_id", "Peer"},
	                                {"is_leader", "Leader"}};
	const char *cat, *sch, *tab;
	int rc = resolve_target(c, sh, &cat, &sch, &tab);
	if (rc || (rc = check_table(c, cat, sch, tab)))
		return rc;
	struct show_q q = {.table = "region_peers",
	                   .fcol = {"table_name", "table_schema", "table_catalog"},
	                   .fval = {tab, sch, cat},
	                   .nf = 3,
	                   .sort = {"region_id", "peer_id"},
	                   .nsort = 2,
	                   .proj = p,
	                   .nproj = 4};
	return show_query(c, &q, sh, NULL, out);
}

static int show_simple_info(struct fe_ctx *c, const struct sql_show *sh, const char *table,
                            const struct proj *p, uint32_t np, const char *like_field,
                            struct query_result *out)
{
	struct show_q q = {.table = table, .like_field = like_field, .proj = p, .nproj = np};
	return show_query(c, &q, sh, NULL, out);
}

/* ---- SHOW INDEX --------------------------------------------------------------- */

static int show_index(struct fe_ctx *c, const struct sql_show *sh, struct query_result *out)
{
	static const char *names[] = {"Table",         "Non_unique", "Key_name",    "Seq_in_index",
	                              "Column_name",   "Collation",  "Cardinality", "Sub_part",
	                              "Packed",        "Null",       "Index_type",  "Comment",
	                              "Index_comment", "Visible",    "Expression"};
	enum dtype types[15];
	for (int i = 0; i < 15; i++)
		types[i] = DT_STRING;
	types[1] = DT_INT64;
	types[3] = DT_UINT32;
	const char *cat, *sch, *tab;
	int rc = resolve_target(c, sh, &cat, &sch, &tab);
	struct table_info *t = NULL;
	if (rc || (rc = fe_get_table(c, cat, sch, tab, &t)))
		return rc;
	const struct region_schema *s = t->region_schema;
	rc = fe_rs_init(&out->rs, 15, names, types);
	for (int pass = 0; rc == ERR_OK && pass < 2; pass++) {
		uint32_t n = pass == 0 ? s->npk : 1;
		for (uint32_t k = 0; rc == ERR_OK && k < n; k++) {
			uint32_t col = pass == 0 ? s->pk_cols[k] : s->ts_col;
			struct result_set *r = &out->rs;
			rc = fe_rs_str(r, 0, t->name) || fe_rs_i64(r, 1, pass == 0 ? 0 : 1) ||
			     fe_rs_str(r, 2, pass == 0 ? "PRIMARY" : "TIME INDEX") ||
			     fe_rs_i64(r, 3, k + 1) || fe_rs_str(r, 4, s->cols[col].name) ||
			     fe_rs_str(r, 5, "A") || fe_rs_null(r, 6) || fe_rs_null(r, 7) ||
			     fe_rs_null(r, 8) ||
			     fe_rs_str(r, 9, s->cols[col].nullable ? "YES" : "") ||
			     fe_rs_str(r, 10, pass == 0 ? "PRIMARY" : "TIME") ||
			     fe_rs_str(r, 11, "") || fe_rs_str(r, 12, "") ||
			     fe_rs_str(r, 13, "YES") || fe_rs_null(r, 14);
			if (rc == ERR_OK)
				fe_rs_row(r);
			else
				rc = ERR_NOMEM;
		}
	}
	table_info_free(t);
	if (rc == ERR_OK && sh->where)
		rc = where_filter(c, sh->where, &out->rs);
	if (rc == ERR_OK)
		out->kind = QUERY_ROWS;
	return rc;
}

/* ---- SHOW CREATE TABLE ----------------------------------------------------------- */

static const char *opt(const struct table_info *t, const char *key)
{
	for (uint32_t i = 0; i < t->noptions; i++)
		if (!strcmp(t->options[i].key, key))
			return t->options[i].value;
	return NULL;
}

static void put_quoted_name(struct buf *b, const char *name, char q)
{
	buf_putc(b, (uint8_t)q);
	for (const char *p = name; *p; p++) {
		if (*p == q)
			buf_putc(b, (uint8_t)q);
		buf_putc(b, (uint8_t)*p);
	}
	buf_putc(b, (uint8_t)q);
}

static void put_sql_string(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			buf_putc(b, '\'');
		if (*p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, (uint8_t)*p);
	}
	buf_putc(b, '\'');
}

static bool plain_key(const char *k)
{
	if (!*k || isdigit((unsigned char)*k))
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return false;
	return true;
}

static int opt_cmp(const void *a, const void *b)
{
	return strcmp(((const struct table_option *)a)->key, ((const struct table_option *)b)->key);
}

static int create_table_text(struct fe_ctx *c, const struct table_info *t, struct buf *b)
{
	const struct region_schema *s = t->region_schema;
	char q = c->s->protocol == SESSION_MYSQL ? '`' : '"';
	buf_printf(b, "CREATE TABLE IF NOT EXISTS ");
	put_quoted_name(b, t->name, q);
	buf_printf(b, " (\n");
	for (uint32_t i = 0; i < s->ncols; i++) {
		const struct column_schema *cs = &s->cols[i];
		buf_printf(b, "  ");
		put_quoted_name(b, cs->name, q);
		buf_printf(b, " %s %s", dtype_sql_name(cs->type),
		           cs->nullable ? "NULL" : "NOT NULL");
		if (cs->default_sql)
			buf_printf(b, " DEFAULT %s", cs->default_sql);
		char key[512];
		snprintf(key, sizeof(key), "__comment.%s", cs->name);
		const char *cm = opt(t, key);
		if (cm) {
			buf_printf(b, " COMMENT ");
			put_sql_string(b, cm);
		}
		snprintf(key, sizeof(key), "__index.%s", cs->name);
		const char *ix = opt(t, key);
		if (ix)
			buf_printf(b, " %s", ix);
		buf_printf(b, ",\n");
	}
	buf_printf(b, "  TIME INDEX (");
	put_quoted_name(b, s->cols[s->ts_col].name, q);
	buf_printf(b, ")");
	if (s->npk) {
		buf_printf(b, ",\n  PRIMARY KEY (");
		for (uint32_t k = 0; k < s->npk; k++) {
			if (k)
				buf_printf(b, ", ");
			put_quoted_name(b, s->cols[s->pk_cols[k]].name, q);
		}
		buf_printf(b, ")");
	}
	buf_printf(b, "\n)\n");
	if (t->npartition_cols) {
		buf_printf(b, "PARTITION ON COLUMNS (");
		for (uint32_t k = 0; k < t->npartition_cols; k++) {
			if (k)
				buf_printf(b, ", ");
			put_quoted_name(b, t->partition_cols[k], q);
		}
		buf_printf(b, ") (\n");
		for (uint32_t k = 0; k < t->nrules; k++)
			buf_printf(b, "  %s%s\n", t->rules[k], k + 1 < t->nrules ? "," : "");
		buf_printf(b, ")\n");
	} else {
		buf_printf(b, "\n");
	}
	buf_printf(b, "ENGINE=%s\n", t->engine ? t->engine : "mito");
	struct table_option *opts = mem_calloc(t->noptions + 1, sizeof(*opts));
	if (!opts)
		return ERR_NOMEM;
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->noptions; i++)
		if (strncmp(t->options[i].key, "__", 2))
			opts[n++] = t->options[i];
	qsort(opts, n, sizeof(*opts), opt_cmp);
	if (n) {
		buf_printf(b, "WITH(\n");
		for (uint32_t i = 0; i < n; i++) {
			buf_printf(b, "  ");
			if (plain_key(opts[i].key))
				buf_printf(b, "%s", opts[i].key);
			else
				put_sql_string(b, opts[i].key);
			buf_printf(b, " = ");
			put_sql_string(b, opts[i].value);
			buf_printf(b, "%s\n", i + 1 < n ? "," : "");
		}
		buf_printf(b, ")");
	}
	mem_free(opts);
	return buf_cstr(b) ? ERR_OK : ERR_NOMEM;
}

static const char *pg_type_name(enum dtype t)
{
	switch (t) {
	case DT_BOOL:
		return "BOOL";
	case DT_INT8:
	case DT_INT16:
	case DT_UINT8:
		return "INT2";
	case DT_INT32:
	case DT_UINT16:
	case DT_UINT32:
		return "INT4";
	case DT_INT64:
	case DT_UINT64:
		return "INT8";
	case DT_FLOAT32:
		return "FLOAT4";
	case DT_FLOAT64:
		return "FLOAT8";
	case DT_STRING:
		return "VARCHAR";
	case DT_BINARY:
		return "BYTEA";
	case DT_DATE:
		return "DATE";
	default:
		return "TIMESTAMP";
	}
}

static int foreign_table_text(const struct table_info *t, struct buf *b)
{
	const struct region_schema *s = t->region_schema;
	buf_printf(b, "CREATE FOREIGN TABLE ft_%s (\n", t->name);
	for (uint32_t i = 0; i < s->ncols; i++)
		buf_printf(b, "  \"%s\" %s%s\n", s->cols[i].name, pg_type_name(s->cols[i].type),
		           i + 1 < s->ncols ? "," : "");
	buf_printf(b, ")\nSERVER greptimedb\nOPTIONS (table_name '%s')", t->name);
	return buf_cstr(b) ? ERR_OK : ERR_NOMEM;
}

static int two_strings(struct query_result *out, const char *h1, const char *h2, const char *v1,
                       const char *v2)
{
	const char *names[2] = {h1, h2};
	enum dtype types[2] = {DT_STRING, DT_STRING};
	int rc = fe_rs_init(&out->rs, 2, names, types);
	if (rc == ERR_OK && (fe_rs_str(&out->rs, 0, v1) || fe_rs_str(&out->rs, 1, v2)))
		rc = ERR_NOMEM;
	if (rc) {
		result_set_free(&out->rs);
		return rc;
	}
	fe_rs_row(&out->rs);
	out->kind = QUERY_ROWS;
	return ERR_OK;
}

static int show_create_table(struct fe_ctx *c, const struct sql_show *sh, struct query_result *out)
{
	const char *cat, *sch, *tab;
	int rc = fe_split_name(c, &sh->target, &cat, &sch, &tab);
	if (rc)
		return rc;
	if ((!strcmp(sch, FE_INFO_SCHEMA) && infoschema_find(tab)) ||
	    (!strcmp(sch, SCHEMA_DEFAULT) && !strcmp(tab, "numbers")))
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Show create table only for base table. %s.%s.%s is TEMPORARY", cat,
		               sch, tab);
	struct table_info *t;
	if ((rc = fe_get_table(c, cat, sch, tab, &t)))
		return rc;
	struct buf b;
	buf_init(&b);
	rc = sh->for_pg_foreign_table ? foreign_table_text(t, &b) : create_table_text(c, t, &b);
	if (rc == ERR_OK)
		rc = two_strings(out, "Table", "Create Table", t->name, (const char *)b.data);
	buf_free(&b);
	table_info_free(t);
	return rc;
}

static int show_create_database(struct fe_ctx *c, const struct sql_show *sh,
                                struct query_result *out)
{
	const char *db = sh->target.part[sh->target.n - 1].name;
	int rc = check_db(c, db);
	if (rc)
		return rc;
	char text[512];
	char q = c->s->protocol == SESSION_MYSQL ? '`' : '"';
	snprintf(text, sizeof(text), "CREATE DATABASE IF NOT EXISTS %c%s%c", q, db, q);
	return two_strings(out, "Database", "Create Database", db, text);
}

/* ---- variables ------------------------------------------------------------------ */

static int show_variable(struct fe_ctx *c, const struct sql_show *sh, struct query_result *out)
{
	const char *name = sh->var.n ? sh->var.part[sh->var.n - 1].name : "";
	char up[128];
	size_t i = 0;
	for (; name[i] && i + 1 < sizeof(up); i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	up[i] = 0;
	char buf[128];
	const char *val = NULL;
	const char *col = up;
	if (!strcmp(up, "SYSTEM_TIME_ZONE") || !strcmp(up, "SYSTEM_TIMEZONE"))
		val = "UTC";
	else if (!strcmp(up, "TIME_ZONE") || !strcmp(up, "TIMEZONE"))
		val = c->s->time_zone;
	else if (!strcmp(up, "READ_PREFERENCE"))
		val = read_preference_name(c->s->read_preference);
	else if (!strcmp(up, "DATESTYLE"))
		val = "ISO, MDY";
	else if (!strcmp(up, "MAX_EXECUTION_TIME") && c->s->protocol == SESSION_MYSQL)
		val = fe_var_value(c, "max_execution_time", buf, sizeof(buf));
	else if (!strcmp(up, "STATEMENT_TIMEOUT") && c->s->protocol == SESSION_PG) {
		const char *v = session_get_var(c->s, "statement_timeout");
		snprintf(buf, sizeof(buf), "%sms", v ? v : "0");
		val = buf;
	} else if (!strcmp(up, "SEARCH_PATH")) {
		col = "search_path";
		val = c->s->schema;
	} else if (!strcmp(up, "TRANSACTION_ISOLATION_LEVEL") ||
	           !strcmp(up, "TRANSACTION_ISOLATION")) {
		col = "transaction_isolation";
		val = "read committed";
	} else if (c->s->protocol == SESSION_PG && (val = session_get_var(c->s, name))) {
		col = name;
	} else if (c->s->protocol == SESSION_PG && !strcmp(up, "SERVER_VERSION")) {
		col = "server_version";
		val = "16.3";
	} else if (c->s->protocol == SESSION_PG &&
	           (!strcmp(up, "CLIENT_ENCODING") || !strcmp(up, "SERVER_ENCODING"))) {
		col = name;
		val = "UTF8";
	} else if (c->s->protocol == SESSION_PG && !strcmp(up, "STANDARD_CONFORMING_STRINGS")) {
		col = name;
		val = "on";
	}
	if (!val)
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED, "Unsupported variable: %s", up);
	enum dtype t = DT_STRING;
	int rc = fe_rs_init(&out->rs, 1, &col, &t);
	if (rc == ERR_OK && fe_rs_str(&out->rs, 0, val))
		rc = ERR_NOMEM;
	if (rc) {
		result_set_free(&out->rs);
		return rc;
	}
	fe_rs_row(&out->rs);
	out->kind = QUERY_ROWS;
	return ERR_OK;
}

static int show_variables(struct fe_ctx *c, const struct sql_show *sh, struct query_result *out)
{
	static const char *names_list[] = {"auto_increment_increment",
	                                   "autocommit",
	                                   "character_set_client",
	                                   "character_set_connection",
	                                   "character_set_database",
	                                   "character_set_results",
	                                   "character_set_server",
	                                   "collation_connection",
	                                   "collation_database",
	                                   "collation_server",
	                                   "init_connect",
	                                   "interactive_timeout",
	                                   "license",
	                                   "lower_case_table_names",
	                                   "max_allowed_packet",
	                                   "max_execution_time",
	                                   "net_buffer_length",
	                                   "net_write_timeout",
	                                   "performance_schema",
	                                   "query_cache_size",
	                                   "query_cache_type",
	                                   "read_preference",
	                                   "sql_mode",
	                                   "system_time_zone",
	                                   "time_zone",
	                                   "transaction_isolation",
	                                   "transaction_read_only",
	                                   "tx_isolation",
	                                   "tx_read_only",
	                                   "version",
	                                   "version_comment",
	                                   "wait_timeout"};
	const char *cols[2] = {"Variable_name", "Value"};
	enum dtype types[2] = {DT_STRING, DT_STRING};
	int rc = fe_rs_init(&out->rs, 2, cols, types);
	char buf[128];
	for (size_t i = 0; rc == ERR_OK && i < sizeof(names_list) / sizeof(names_list[0]); i++) {
		if (sh->like && !fe_like(sh->like, names_list[i], true))
			continue;
		const char *v = fe_var_value(c, names_list[i], buf, sizeof(buf));
		if (fe_rs_str(&out->rs, 0, names_list[i]) || fe_rs_str(&out->rs, 1, v ? v : ""))
			rc = ERR_NOMEM;
		else
			fe_rs_row(&out->rs);
	}
	if (rc == ERR_OK && sh->where)
		rc = where_filter(c, sh->where, &out->rs);
	if (rc)
		result_set_free(&out->rs);
	else
		out->kind = QUERY_ROWS;
	return rc;
}

static int empty_result(struct query_result *out, uint32_t n, const char *const *names)
{
	enum dtype types[8];
	for (uint32_t i = 0; i < n; i++)
		types[i] = DT_STRING;
	int rc = fe_rs_init(&out->rs, n, names, types);
	if (rc == ERR_OK)
		out->kind = QUERY_ROWS;
	return rc;
}

int fe_show(struct fe_ctx *c, struct query_result *out)
{
	const struct sql_show *sh = c->st->u.show;
	switch (sh->kind) {
	case SQL_SHOW_DATABASES:
		return show_databases(c, sh, out);
	case SQL_SHOW_TABLES:
		return show_tables(c, sh, out);
	case SQL_SHOW_TABLE_STATUS:
		return show_table_status(c, sh, out);
	case SQL_SHOW_CREATE_TABLE:
		return show_create_table(c, sh, out);
	case SQL_SHOW_CREATE_DATABASE:
		return show_create_database(c, sh, out);
	case SQL_SHOW_COLUMNS:
		return show_columns(c, sh, out);
	case SQL_SHOW_INDEX:
		return show_index(c, sh, out);
	case SQL_SHOW_REGION:
		return show_region(c, sh, out);
	case SQL_SHOW_VARIABLES:
		if ((sh->var.n || sh->var_text) && c->s->protocol == SESSION_MYSQL) {
			/* GreptimeDB's MySQL front door answers SHOW VARIABLES <name>
			 * with one empty (Variable_name, Value) row */
			static const char *n[] = {"Variable_name", "Value"};
			int rc = empty_result(out, 2, n);
			if (rc == ERR_OK &&
			    (fe_rs_str(&out->rs, 0, "") || fe_rs_str(&out->rs, 1, "")))
				rc = ERR_NOMEM;
			if (rc == ERR_OK)
				fe_rs_row(&out->rs);
			return rc;
		}
		if (sh->var.n || sh->var_text)
			return show_variable(c, sh, out);
		return show_variables(c, sh, out);
	case SQL_SHOW_VARIABLE:
		return show_variable(c, sh, out);
	case SQL_SHOW_COLLATION: {
		static const struct proj p[] = {{"collation_name", "Collation"},
		                                {"character_set_name", "Charset"},
		                                {"id", "Id"},
		                                {"is_default", "Default"},
		                                {"is_compiled", "Compiled"},
		                                {"sortlen", "Sortlen"}};
		return show_simple_info(c, sh, "collations", p, 6, "collation_name", out);
	}
	case SQL_SHOW_CHARSET: {
		static const struct proj p[] = {{"character_set_name", "Charset"},
		                                {"description", "Description"},
		                                {"default_collate_name", "Default collation"},
		                                {"maxlen", "Maxlen"}};
		return show_simple_info(c, sh, "character_sets", p, 4, "character_set_name", out);
	}
	case SQL_SHOW_ENGINES: {
		static const struct proj p[] = {
		    {"engine", "Engine"},   {"support", "Support"},
		    {"comment", "Comment"}, {"transactions", "Transactions"},
		    {"xa", "XA"},           {"savepoints", "Savepoints"}};
		return show_simple_info(c, sh, "engines", p, 6, NULL, out);
	}
	case SQL_SHOW_STATUS: {
		static const char *n[] = {"Variable_name", "Value"};
		return empty_result(out, 2, n);
	}
	case SQL_SHOW_PROCESSLIST: {
		static const char *n[] = {"Id", "Catalog", "Query", "Elapsed Time"};
		return empty_result(out, 4, n);
	}
	case SQL_SHOW_WARNINGS:
	case SQL_SHOW_ERRORS: {
		static const char *n[] = {"Level", "Code", "Message"};
		return empty_result(out, 3, n);
	}
	case SQL_SHOW_FLOWS: {
		static const char *n[] = {"Flows"};
		return empty_result(out, 1, n);
	}
	case SQL_SHOW_VIEWS: {
		static const char *n[] = {"Views"};
		return empty_result(out, 1, n);
	}
	default:
		return fe_fail(GT_UNSUPPORTED, ERR_UNSUPPORTED,
		               "Not supported: this SHOW statement");
	}
}

/* ---- DESCRIBE ----------------------------------------------------------------------- */

static int describe_virtual(struct fe_ctx *c, const struct vtable *vt, bool numbers,
                            struct query_result *out)
{
	(void)c;
	static const char *names[] = {"Column", "Type", "Key", "Null", "Default", "Semantic Type"};
	enum dtype types[6] = {DT_STRING, DT_STRING, DT_STRING, DT_STRING, DT_STRING, DT_STRING};
	int rc = fe_rs_init(&out->rs, 6, names, types);
	for (uint32_t i = 0; rc == ERR_OK && i < vt->ncols; i++) {
		const struct vcol *vc = &vt->cols[i];
		struct result_set *r = &out->rs;
		if (fe_rs_str(r, 0, vc->name) ||
		    fe_rs_str(r, 1, vc->type_name ? vc->type_name : dtype_name(vc->type)) ||
		    fe_rs_str(r, 2, numbers ? "PRI" : "") ||
		    fe_rs_str(r, 3, vc->nullable ? "YES" : "NO") || fe_rs_str(r, 4, "") ||
		    fe_rs_str(r, 5, numbers ? "TAG" : "FIELD"))
			rc = ERR_NOMEM;
		else
			fe_rs_row(r);
	}
	if (rc == ERR_OK)
		out->kind = QUERY_ROWS;
	return rc;
}

/* A default as DESCRIBE shows it: functions as stored, strings unquoted,
 * timestamps in GreptimeDB's Value display. */
static const char *default_display(struct fe_ctx *c, const struct column_schema *cs)
{
	const char *d = cs->default_sql;
	if (!d)
		return "";
	size_t n = strlen(d);
	if (n >= 2 && d[0] == '\'' && d[n - 1] == '\'') {
		if (dtype_is_timestamp(cs->type)) {
			struct sql_expr *e;
			struct datum v;
			if (sql_parse_expr(d, n, SQL_DIALECT_GREPTIME, c->a, &e) == ERR_OK &&
			    fe_value_from_expr(c, cs->name, cs->type, e, &v) == ERR_OK) {
				struct buf b;
				buf_init(&b);
				fe_datum_text(&b, &v);
				char *s = buf_cstr(&b)
				              ? arena_strndup(c->a, (const char *)b.data, b.len)
				              : NULL;
				buf_free(&b);
				if (s)
					return s;
			}
			fe_status_reset();
			err_clear();
		}
		return arena_strndup(c->a, d + 1, n - 2);
	}
	return d;
}

int fe_describe(struct fe_ctx *c, const struct sql_name *name, struct query_result *out)
{
	const char *cat, *sch, *tab;
	int rc = fe_split_name(c, name, &cat, &sch, &tab);
	if (rc)
		return rc;
	if (!strcmp(sch, FE_INFO_SCHEMA)) {
		const struct vtable *vt = infoschema_find(tab);
		if (vt)
			return describe_virtual(c, vt, false, out);
	}
	if (!strcmp(sch, SCHEMA_DEFAULT) && !strcmp(tab, "numbers"))
		return describe_virtual(c, numbers_vtable(), true, out);
	struct table_info *t;
	if ((rc = fe_get_table(c, cat, sch, tab, &t)))
		return rc;
	static const char *names[] = {"Column", "Type", "Key", "Null", "Default", "Semantic Type"};
	enum dtype types[6] = {DT_STRING, DT_STRING, DT_STRING, DT_STRING, DT_STRING, DT_STRING};
	rc = fe_rs_init(&out->rs, 6, names, types);
	const struct region_schema *s = t->region_schema;
	for (uint32_t i = 0; rc == ERR_OK && i < s->ncols; i++) {
		const struct column_schema *cs = &s->cols[i];
		struct result_set *r = &out->rs;
		const char *def = default_display(c, cs);
		if (!def)
			rc = ERR_NOMEM;
		else if (fe_rs_str(r, 0, cs->name) || fe_rs_str(r, 1, dtype_name(cs->type)) ||
		         fe_rs_str(r, 2, cs->sem != SEM_FIELD ? "PRI" : "") ||
		         fe_rs_str(r, 3, cs->nullable ? "YES" : "NO") || fe_rs_str(r, 4, def) ||
		         fe_rs_str(r, 5,
		                   cs->sem == SEM_TAG         ? "TAG"
		                   : cs->sem == SEM_TIMESTAMP ? "TIMESTAMP"
		                                              : "FIELD"))
			rc = ERR_NOMEM;
		else
			fe_rs_row(r);
	}
	table_info_free(t);
	if (rc == ERR_OK)
		out->kind = QUERY_ROWS;
	else
		result_set_free(&out->rs);
	return rc;
}
