/*
 * parquet_read: opens a Parquet file through ranged reads (or over memory)
 * and decodes row groups into batches (see parquet.h for the API).
 *
 * Accepted: flat schemas (a root group whose children are all primitive
 * leaves), REQUIRED or OPTIONAL leaves (max definition level 1), physical
 * types BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY with the logical /
 * converted types that parquet.h maps to dtypes, codecs UNCOMPRESSED and
 * ZSTD, v1 and v2 data pages, PLAIN and dictionary (RLE_DICTIONARY,
 * PLAIN_DICTIONARY) value encodings, RLE definition levels. Anything else
 * is ERR_UNSUPPORTED with a message naming it.
 *
 * Hostile input: every length, count and offset from the file is checked
 * before use and violations are ERR_CORRUPT with a message; nothing is
 * read outside the bytes fetched. Allocation caps: footer structures are
 * bounded by the footer's size (thrift list counts <= bytes left); a row
 * group holds at most MAX_RG_ROWS rows; a page's uncompressed size is at
 * most MAX_PAGE_BYTES and at most 65536x its compressed size (zstd cannot
 * expand more); a dictionary has at most one entry per 4 bytes of its page
 * (per bit for BOOLEAN); decoded byte arrays of one column of one row group
 * are capped at MAX_COLUMN_BYTES (ERR_LIMIT).
 *
 * Invariants of a decoded column: len == row group rows, slots of nulls
 * hold 0 / 0.0 / "", validity is NULL when the chunk had no null.
 *
 * Page-level reads, page decoding and the page index: see parquet_page.c.
 */
#include <string.h>
#include <zstd.h>

#include "base/err.h"
#include "base/mem.h"
#include "storage/page_cache.h"
#include "storage/parquet.h"
#include "storage/parquet_int.h"
#include "storage/parquet_read_int.h"

#define TAIL_READ        (64u << 10)
#define MAX_RG_ROWS      (1u << 26)

/* a SchemaElement as parsed */
struct selem {
	int32_t type, repetition, num_children, converted;
	const uint8_t *name;
	uint32_t name_len;
	int logical;
	int int_bits;
	bool int_signed;
	int unit;
};

/* ---- helpers ---- */

static char *dup_bytes(const uint8_t *p, uint32_t n)
{
	char *s = mem_alloc((size_t)n + 1);
	if (s) {
		if (n)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

int pq_get_range(struct parquet_reader *r, uint64_t off, uint64_t len, const uint8_t **p,
                 uint8_t **owned)
{
	*owned = NULL;
	*p = NULL;
	if (off > r->size || len > r->size - off)
		return corrupt("byte range beyond the end of the file");
	if (r->mem) {
		*p = r->mem + off;
		return ERR_OK;
	}
	if (len == 0) {
		*p = (const uint8_t *)"";
		return ERR_OK;
	}
	uint8_t *d = NULL;
	size_t n = 0;
	int rc = r->fn(r->ctx, off, len, &d, &n);
	if (rc) {
		mem_free(d);
		return rc;
	}
	if (n != len || !d) {
		mem_free(d);
		return err_set(ERR_CORRUPT, "parquet: short read: %zu of %llu bytes at offset %llu",
		               n, (unsigned long long)len, (unsigned long long)off);
	}
	*p = d;
	*owned = d;
	return ERR_OK;
}

/* ---- footer ---- */

static void parse_time_unit(struct tcr *t, struct selem *se)
{
	int16_t id;
	uint8_t ty;
	tcr_struct_begin(t);
	while (tcr_field(t, &id, &ty)) {
		if (id >= 1 && id <= 3)
			se->unit = id;
		tcr_skip(t, ty);
	}
}

static void parse_logical(struct tcr *t, struct selem *se)
{
	int16_t id, id2;
	uint8_t ty, ty2;
	tcr_struct_begin(t);
	while (tcr_field(t, &id, &ty)) {
		if (ty != TC_STRUCT) {
			tcr_fail(t, "LogicalType member is not a struct");
			return;
		}
		se->logical = id;
		if (id != PQL_TIMESTAMP && id != PQL_TIME && id != PQL_INTEGER) {
			tcr_skip(t, ty);
			continue;
		}
		tcr_struct_begin(t);
		while (tcr_field(t, &id2, &ty2)) {
			if (id == PQL_INTEGER && id2 == 1)
				se->int_bits = (int)tcr_i64(t, ty2);
			else if (id == PQL_INTEGER && id2 == 2)
				se->int_signed = tcr_bool(t, ty2);
			else if (id != PQL_INTEGER && id2 == 2 && ty2 == TC_STRUCT)
				parse_time_unit(t, se);
			else
				tcr_skip(t, ty2);
		}
	}
}

static void parse_selem(struct tcr *t, struct selem *se)
{
	int16_t id;
	uint8_t ty;
	memset(se, 0, sizeof(*se));
	se->type = se->repetition = se->num_children = se->converted = -1;
	se->int_signed = true;
	tcr_struct_begin(t);
	while (tcr_field(t, &id, &ty)) {
		switch (id) {
		case 1:
			se->type = tcr_i32(t, ty);
			break;
		case 3:
			se->repetition = tcr_i32(t, ty);
			break;
		case 4:
			se->name = tcr_binary(t, ty, &se->name_len);
			break;
		case 5:
			se->num_children = tcr_i32(t, ty);
			break;
		case 6:
			se->converted = tcr_i32(t, ty);
			break;
		case 10:
			if (ty != TC_STRUCT)
				tcr_fail(t, "logicalType is not a struct");
			else
				parse_logical(t, se);
			break;
		default:
			tcr_skip(t, ty);
			break;
		}
	}
	if (!t->err && !se->name)
		tcr_fail(t, "SchemaElement without a name");
}

static void parse_stats(struct tcr *t, struct rchunk *c)
{
	int16_t id;
	uint8_t ty;
	tcr_struct_begin(t);
	while (tcr_field(t, &id, &ty)) {
		switch (id) {
		case 1:
			c->lmax = tcr_binary(t, ty, &c->lmax_n);
			break;
		case 2:
			c->lmin = tcr_binary(t, ty, &c->lmin_n);
			break;
		case 3:
			c->null_count = tcr_i64(t, ty);
			c->has_nulls = true;
			break;
		case 5:
			c->smax = tcr_binary(t, ty, &c->smax_n);
			break;
		case 6:
			c->smin = tcr_binary(t, ty, &c->smin_n);
			break;
		default:
			tcr_skip(t, ty);
			break;
		}
	}
}

static void parse_colmeta(struct tcr *t, struct rchunk *c)
{
	int16_t id;
	uint8_t ty, elem;
	unsigned seen = 0;
	tcr_struct_begin(t);
	while (tcr_field(t, &id, &ty)) {
		switch (id) {
		case 1:
			c->phys = tcr_i32(t, ty);
			seen |= 1;
			break;
		case 2: {
			uint32_t n = tcr_list(t, ty, &elem);
			for (uint32_t i = 0; i < n && !t->err; i++) {
				int32_t e = tcr_elem_i32(t, elem);
				if (e == PQE_RLE_DICTIONARY || e == PQE_PLAIN_DICTIONARY)
					c->dict_enc = true;
			}
			break;
		}
		case 3: {
			c->npath = tcr_list(t, ty, &elem);
			for (uint32_t i = 0; i < c->npath && !t->err; i++) {
				uint32_t n;
				const uint8_t *p = tcr_elem_binary(t, elem, &n);
				if (i == 0) {
					c->path = p;
					c->path_len = n;
				}
			}
			break;
		}
		case 4:
			c->codec = tcr_i32(t, ty);
			seen |= 2;
			break;
		case 5:
			c->num_values = tcr_i64(t, ty);
			seen |= 4;
			break;
		case 7:
			c->total_comp = tcr_i64(t, ty);
			seen |= 8;
			break;
		case 9:
			c->data_off = tcr_i64(t, ty);
			seen |= 16;
			break;
		case 11:
			c->dict_off = tcr_i64(t, ty);
			break;
		case 12:
			if (ty != TC_STRUCT)
				tcr_fail(t, "statistics is not a struct");
			else
				parse_stats(t, c);
			break;
		default:
			tcr_skip(t, ty);
			break;
		}
	}
	if (!t->err && seen != 31)
		tcr_fail(t, "ColumnMetaData lacks a required field");
}

static int parse_chunk(struct tcr *t, struct rchunk *c)
{
	int16_t id;
	uint8_t ty;
	bool meta = false;
	int unsupported = 0;
	tcr_struct_begin(t);
	while (tcr_field(t, &id, &ty)) {
		if (id == 3 && ty == TC_STRUCT) {
			parse_colmeta(t, c);
			meta = true;
		} else {
			if (id == 1 || id == 8 || id == 9)
				unsupported = id;
			tcr_skip(t, ty);
		}
	}
	if (t->err)
		return ERR_CORRUPT;
	if (unsupported == 1)
		return err_set(ERR_UNSUPPORTED, "parquet: column data in another file");
	if (unsupported)
		return err_set(ERR_UNSUPPORTED, "parquet: encrypted columns");
	if (!meta)
		return err_set(ERR_UNSUPPORTED, "parquet: column chunk without meta_data");
	return ERR_OK;
}

static int parse_rowgroup(struct tcr *t, struct rgroup *g)
{
	int16_t id;
	uint8_t ty, elem;
	bool has_rows = false;
	int rc = ERR_OK;
	g->num_rows = -1;
	tcr_struct_begin(t);
	while (tcr_field(t, &id, &ty)) {
		if (id == 1 && !g->chunks) {
			uint32_t n = tcr_list(t, ty, &elem);
			if (t->err)
				break;
			if (elem != TC_STRUCT) {
				tcr_fail(t, "RowGroup.columns is not a list of structs");
				break;
			}
			g->chunks = mem_calloc(n ? n : 1, sizeof(struct rchunk));
			if (!g->chunks)
				return ERR_NOMEM;
			g->nchunks = n;
			for (uint32_t i = 0; i < n && !t->err; i++)
				if ((rc = parse_chunk(t, &g->chunks[i])))
					return t->err ? ERR_CORRUPT : rc;
		} else if (id == 3) {
			g->num_rows = tcr_i64(t, ty);
			has_rows = true;
		} else {
			tcr_skip(t, ty);
		}
	}
	if (!t->err && (!g->chunks || !has_rows))
		tcr_fail(t, "RowGroup lacks columns or num_rows");
	return t->err ? ERR_CORRUPT : ERR_OK;
}

static int parse_kv(struct parquet_reader *r, struct tcr *t, uint8_t ty)
{
	uint8_t elem;
	uint32_t n = tcr_list(t, ty, &elem);
	if (t->err || n == 0)
		return ERR_OK;
	if (elem != TC_STRUCT) {
		tcr_fail(t, "key_value_metadata is not a list of structs");
		return ERR_OK;
	}
	if (r->kv_keys)
		return ERR_OK; /* duplicate field: keep the first */
	r->kv_keys = mem_calloc(n, sizeof(char *));
	r->kv_vals = mem_calloc(n, sizeof(char *));
	if (!r->kv_keys || !r->kv_vals)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < n && !t->err; i++) {
		int16_t id;
		uint8_t fty;
		const uint8_t *k = NULL, *v = NULL;
		uint32_t kn = 0, vn = 0;
		tcr_struct_begin(t);
		while (tcr_field(t, &id, &fty)) {
			if (id == 1)
				k = tcr_binary(t, fty, &kn);
			else if (id == 2)
				v = tcr_binary(t, fty, &vn);
			else
				tcr_skip(t, fty);
		}
		if (t->err)
			break;
		if (!k) {
			tcr_fail(t, "KeyValue without a key");
			break;
		}
		r->kv_keys[r->nkv] = dup_bytes(k, kn);
		r->kv_vals[r->nkv] = dup_bytes(v ? v : (const uint8_t *)"", vn);
		if (!r->kv_keys[r->nkv] || !r->kv_vals[r->nkv]) {
			mem_free(r->kv_keys[r->nkv]);
			mem_free(r->kv_vals[r->nkv]);
			return ERR_NOMEM;
		}
		r->nkv++;
	}
	return ERR_OK;
}

/* Map a leaf to a dtype; ERR_UNSUPPORTED for what Strata has no type for. */
static int map_dtype(const struct selem *se, const char *name, struct rcol *col)
{
	int conv = se->converted, lg = se->logical;
	enum dtype dt;
	col->u32 = false;
	switch (se->type) {
	case PQT_BOOLEAN:
		dt = DT_BOOL;
		break;
	case PQT_INT32: {
		int bits = 32;
		bool sign = true;
		if (lg == PQL_INTEGER) {
			bits = se->int_bits;
			sign = se->int_signed;
		} else if (lg == PQL_DATE || conv == PQC_DATE) {
			dt = DT_DATE;
			break;
		} else if (lg != PQL_NONE ||
		           (conv != PQC_NONE && (conv < PQC_UINT_8 || conv > PQC_INT_64))) {
			goto unsupported;
		} else if (conv >= PQC_UINT_8 && conv <= PQC_UINT_64) {
			bits = 8 << (conv - PQC_UINT_8);
			sign = false;
		} else if (conv >= PQC_INT_8 && conv <= PQC_INT_64) {
			bits = 8 << (conv - PQC_INT_8);
		}
		if (bits == 8)
			dt = sign ? DT_INT8 : DT_UINT8;
		else if (bits == 16)
			dt = sign ? DT_INT16 : DT_UINT16;
		else if (bits == 32)
			dt = sign ? DT_INT32 : DT_UINT32;
		else
			goto unsupported;
		col->u32 = !sign;
		break;
	}
	case PQT_INT64:
		if (lg == PQL_TIMESTAMP) {
			if (se->unit == PQU_MILLIS)
				dt = DT_TS_MS;
			else if (se->unit == PQU_MICROS)
				dt = DT_TS_US;
			else if (se->unit == PQU_NANOS)
				dt = DT_TS_NS;
			else
				goto unsupported;
		} else if (lg == PQL_INTEGER) {
			if (se->int_bits != 64)
				goto unsupported;
			dt = se->int_signed ? DT_INT64 : DT_UINT64;
		} else if (lg != PQL_NONE) {
			goto unsupported;
		} else if (conv == PQC_TIMESTAMP_MILLIS) {
			dt = DT_TS_MS;
		} else if (conv == PQC_TIMESTAMP_MICROS) {
			dt = DT_TS_US;
		} else if (conv == PQC_UINT_64) {
			dt = DT_UINT64;
		} else if (conv == PQC_NONE || conv == PQC_INT_64) {
			dt = DT_INT64;
		} else {
			goto unsupported;
		}
		break;
	case PQT_FLOAT:
		dt = DT_FLOAT32;
		break;
	case PQT_DOUBLE:
		dt = DT_FLOAT64;
		break;
	case PQT_BYTE_ARRAY:
		if (conv == PQC_DECIMAL)
			goto unsupported;
		if (lg == PQL_STRING || lg == PQL_ENUM || lg == PQL_JSON || conv == PQC_UTF8 ||
		    conv == PQC_ENUM || conv == PQC_JSON)
			dt = DT_STRING;
		else if (lg == PQL_NONE || lg == PQL_BSON)
			dt = DT_BINARY;
		else
			goto unsupported;
		break;
	default:
		goto unsupported;
	}
	col->def.type = dt;
	col->phys = (enum pq_type)se->type;
	return ERR_OK;
unsupported:
	return err_set(
	    ERR_UNSUPPORTED,
	    "parquet: column %s: unsupported type (physical %d, logical %d, converted %d)", name,
	    se->type, lg, conv);
}

static int build_schema(struct parquet_reader *r, const struct selem *se, uint32_t nse)
{
	if (nse < 2)
		return corrupt("schema has no columns");
	if (se[0].num_children != (int32_t)(nse - 1))
		return err_set(ERR_UNSUPPORTED,
		               "parquet: nested schema (root has %d children of %u)",
		               se[0].num_children, nse - 1);
	r->ncols = nse - 1;
	r->cols = mem_calloc(r->ncols, sizeof(struct rcol));
	if (!r->cols)
		return ERR_NOMEM;
	for (uint32_t i = 0; i < r->ncols; i++) {
		const struct selem *e = &se[i + 1];
		struct rcol *c = &r->cols[i];
		char *name = dup_bytes(e->name, e->name_len);
		if (!name)
			return ERR_NOMEM;
		c->def.name = name;
		if (e->num_children > 0 || e->type < 0)
			return err_set(ERR_UNSUPPORTED,
			               "parquet: column %s is a group (nested schema)", name);
		if (e->repetition == PQR_REPEATED)
			return err_set(ERR_UNSUPPORTED, "parquet: column %s is repeated", name);
		if (e->repetition > PQR_REPEATED)
			return err_set(ERR_CORRUPT, "parquet: column %s: bad repetition %d", name,
			               e->repetition);
		c->def.nullable = e->repetition == PQR_OPTIONAL;
		int rc = map_dtype(e, name, c);
		if (rc)
			return rc;
	}
	/* TS_S columns, recorded by our writer in key-value metadata */
	for (uint32_t k = 0; k < r->nkv; k++) {
		const char *key = r->kv_keys[k];
		size_t pl = strlen(PARQUET_KV_DTYPE_PREFIX);
		if (strncmp(key, PARQUET_KV_DTYPE_PREFIX, pl) != 0 ||
		    strcmp(r->kv_vals[k], dtype_name(DT_TS_S)) != 0)
			continue;
		int ci = parquet_reader_find_column(r, key + pl);
		if (ci >= 0 && r->cols[ci].def.type == DT_TS_MS) {
			r->cols[ci].def.type = DT_TS_S;
			r->cols[ci].ts_s = true;
		}
	}
	return ERR_OK;
}

/* Decode a PLAIN statistics value into d; false when unusable. */
bool pq_stat_datum(const struct rcol *col, const uint8_t *p, uint32_t n, bool is_max,
                   struct datum *d)
{
	d->type = col->def.type;
	d->is_null = false;
	switch (col->phys) {
	case PQT_BOOLEAN:
		if (n != 1)
			return false;
		d->v.i = p[0] != 0;
		return true;
	case PQT_INT32: {
		if (n != 4)
			return false;
		uint32_t u = le_get_u32(p);
		d->v.i = col->u32 ? (int64_t)u : (int64_t)(int32_t)u;
		return true;
	}
	case PQT_INT64: {
		if (n != 8)
			return false;
		int64_t x = (int64_t)le_get_u64(p);
		if (col->ts_s) { /* floor for min, ceiling for max: still bounds */
			int64_t q = x / 1000, m = x % 1000;
			if (m && ((m < 0) != is_max))
				q += is_max ? 1 : -1;
			x = q;
		}
		d->v.i = x;
		return true;
	}
	case PQT_FLOAT: {
		if (n != 4)
			return false;
		float f;
		memcpy(&f, p, 4);
		d->v.f = f;
		return d->v.f == d->v.f;
	}
	case PQT_DOUBLE:
		if (n != 8)
			return false;
		memcpy(&d->v.f, p, 8);
		return d->v.f == d->v.f;
	case PQT_BYTE_ARRAY:
		d->v.s.p = (const char *)p;
		d->v.s.n = n;
		return true;
	default:
		return false;
	}
}

static void build_stats(const struct rcol *col, struct rchunk *c)
{
	struct parquet_stats *s = &c->stats;
	s->has_null_count = c->has_nulls && c->null_count >= 0;
	s->null_count = s->has_null_count ? (uint64_t)c->null_count : 0;
	const uint8_t *mn = c->smin, *mx = c->smax;
	uint32_t mnn = c->smin_n, mxn = c->smax_n;
	bool signed_order = col->phys != PQT_BYTE_ARRAY && !col->u32 && col->def.type != DT_UINT64;
	if ((!mn || !mx) && signed_order) { /* legacy fields: signed order only */
		mn = c->lmin;
		mx = c->lmax;
		mnn = c->lmin_n;
		mxn = c->lmax_n;
	}
	s->has_min_max = mn && mx && pq_stat_datum(col, mn, mnn, false, &s->min) &&
	                 pq_stat_datum(col, mx, mxn, true, &s->max);
	if (!s->has_min_max) {
		memset(&s->min, 0, sizeof(s->min));
		memset(&s->max, 0, sizeof(s->max));
		s->min.type = s->max.type = col->def.type;
		s->min.is_null = s->max.is_null = true;
	}
}

static int check_rowgroups(struct parquet_reader *r)
{
	int64_t total = 0;
	for (uint32_t g = 0; g < r->nrg; g++) {
		struct rgroup *rg = &r->rgs[g];
		if (rg->nchunks != r->ncols)
			return err_set(ERR_CORRUPT,
			               "parquet: row group %u has %u columns, schema %u", g,
			               rg->nchunks, r->ncols);
		if (rg->num_rows < 0)
			return err_set(ERR_CORRUPT, "parquet: row group %u: negative row count", g);
		if (rg->num_rows > MAX_RG_ROWS)
			return err_set(ERR_UNSUPPORTED,
			               "parquet: row group %u has %lld rows (limit %u)", g,
			               (long long)rg->num_rows, MAX_RG_ROWS);
		total += rg->num_rows;
		for (uint32_t c = 0; c < r->ncols; c++) {
			struct rchunk *ch = &rg->chunks[c];
			struct rcol *col = &r->cols[c];
			if (ch->phys != (int32_t)col->phys)
				return err_set(
				    ERR_CORRUPT,
				    "parquet: row group %u column %s: type %d, schema %d", g,
				    col->def.name, ch->phys, col->phys);
			if (ch->npath != 1 || ch->path_len != strlen(col->def.name) ||
			    memcmp(ch->path, col->def.name, ch->path_len) != 0)
				return err_set(
				    ERR_CORRUPT,
				    "parquet: row group %u column %u: path does not match schema",
				    g, c);
			if (ch->num_values != rg->num_rows)
				return err_set(
				    ERR_CORRUPT,
				    "parquet: row group %u column %s: %lld values, %lld rows", g,
				    col->def.name, (long long)ch->num_values,
				    (long long)rg->num_rows);
			int64_t start = ch->data_off;
			if (ch->dict_off > 0 && ch->dict_off < start)
				start = ch->dict_off;
			if (start < 4 || ch->total_comp <= 0 || (uint64_t)start > r->data_end ||
			    (uint64_t)ch->total_comp > r->data_end - (uint64_t)start ||
			    (ch->dict_off > 0 && (uint64_t)ch->dict_off >= r->data_end) ||
			    (uint64_t)ch->data_off >= r->data_end)
				return err_set(
				    ERR_CORRUPT,
				    "parquet: row group %u column %s: chunk outside the data", g,
				    col->def.name);
			ch->start = (uint64_t)start;
			if (ch->dict_off > 0 || ch->dict_enc)
				col->def.dictionary = true;
			build_stats(col, ch);
		}
	}
	if (total != r->num_rows)
		return err_set(ERR_CORRUPT, "parquet: row groups hold %lld rows, footer says %lld",
		               (long long)total, (long long)r->num_rows);
	return ERR_OK;
}

static int parse_footer(struct parquet_reader *r, const uint8_t *p, size_t n)
{
	struct tcr t;
	struct selem *se = NULL;
	uint32_t nse = 0;
	int16_t id;
	uint8_t ty, elem;
	unsigned seen = 0;
	int rc = ERR_OK;
	tcr_init(&t, p, n);
	tcr_struct_begin(&t);
	while (!rc && tcr_field(&t, &id, &ty)) {
		switch (id) {
		case 2: {
			if (se) {
				tcr_fail(&t, "two schemas");
				break;
			}
			nse = tcr_list(&t, ty, &elem);
			if (t.err)
				break;
			if (elem != TC_STRUCT) {
				tcr_fail(&t, "schema is not a list of structs");
				break;
			}
			se = mem_calloc(nse ? nse : 1, sizeof(*se));
			if (!se) {
				rc = ERR_NOMEM;
				break;
			}
			for (uint32_t i = 0; i < nse && !t.err; i++)
				parse_selem(&t, &se[i]);
			seen |= 1;
			break;
		}
		case 3:
			r->num_rows = tcr_i64(&t, ty);
			seen |= 2;
			break;
		case 4: {
			if (r->rgs) {
				tcr_fail(&t, "two row group lists");
				break;
			}
			uint32_t ng = tcr_list(&t, ty, &elem);
			if (t.err)
				break;
			if (elem != TC_STRUCT) {
				tcr_fail(&t, "row_groups is not a list of structs");
				break;
			}
			r->rgs = mem_calloc(ng ? ng : 1, sizeof(struct rgroup));
			if (!r->rgs) {
				rc = ERR_NOMEM;
				break;
			}
			for (uint32_t i = 0; i < ng && !rc && !t.err; i++) {
				r->nrg++;
				rc = parse_rowgroup(&t, &r->rgs[i]);
			}
			seen |= 4;
			break;
		}
		case 5:
			rc = parse_kv(r, &t, ty);
			break;
		case 6:
			if (!r->created_by) {
				uint32_t len;
				const uint8_t *s = tcr_binary(&t, ty, &len);
				if (s && !(r->created_by = dup_bytes(s, len)))
					rc = ERR_NOMEM;
			} else {
				tcr_skip(&t, ty);
			}
			break;
		case 8:
		case 9:
			rc = err_set(ERR_UNSUPPORTED, "parquet: encrypted file");
			break;
		default:
			tcr_skip(&t, ty);
			break;
		}
	}
	if (t.err && (rc == ERR_OK || rc == ERR_CORRUPT))
		rc = err_set(ERR_CORRUPT, "parquet: corrupt footer: %s (footer of %zu bytes)",
		             t.what ? t.what : "?", n);
	if (!rc && seen != 7)
		rc = corrupt("footer lacks schema, num_rows or row_groups");
	if (!rc && r->num_rows < 0)
		rc = corrupt("negative row count");
	if (!rc)
		rc = build_schema(r, se, nse);
	if (!rc)
		rc = check_rowgroups(r);
	mem_free(se);
	return rc;
}

static int reader_open(parquet_read_fn fn, void *ctx, const uint8_t *mem, uint64_t size,
                       struct parquet_reader **out)
{
	*out = NULL;
	struct parquet_reader *r = mem_calloc(1, sizeof(*r));
	if (!r)
		return ERR_NOMEM;
	r->fn = fn;
	r->ctx = ctx;
	r->mem = mem;
	r->size = size;
	int rc;
	const uint8_t *tp, *fp;
	uint8_t *owned = NULL;
	if (size < 12) {
		rc = err_set(ERR_CORRUPT, "parquet: file too small (%llu bytes)",
		             (unsigned long long)size);
		goto fail;
	}
	uint64_t tail = size < TAIL_READ ? size : TAIL_READ;
	if ((rc = pq_get_range(r, size - tail, tail, &tp, &owned)))
		goto fail;
	r->footer_owned = owned;
	if (memcmp(tp + tail - 4, "PAR1", 4) != 0) {
		rc = memcmp(tp + tail - 4, "PARE", 4) == 0
		         ? err_set(ERR_UNSUPPORTED, "parquet: encrypted footer")
		         : corrupt("bad magic at the end of the file");
		goto fail;
	}
	if (tail == size && memcmp(tp, "PAR1", 4) != 0) {
		rc = corrupt("bad magic at the start of the file");
		goto fail;
	}
	uint32_t flen = le_get_u32(tp + tail - 8);
	if (flen > size - 12 || flen == 0) {
		rc = err_set(ERR_CORRUPT, "parquet: footer length %u does not fit a %llu byte file",
		             flen, (unsigned long long)size);
		goto fail;
	}
	r->data_end = size - 8 - flen;
	if ((uint64_t)flen + 8 <= tail) {
		fp = tp + tail - 8 - flen;
	} else {
		mem_free(r->footer_owned);
		r->footer_owned = NULL;
		if ((rc = pq_get_range(r, r->data_end, flen, &fp, &owned)))
			goto fail;
		r->footer_owned = owned;
	}
	if ((rc = parse_footer(r, fp, flen)))
		goto fail;
	/* the zstd context is made at the first page decompressed: a reader
	 * that answers from metadata alone never pays for one */
	*out = r;
	return ERR_OK;
fail:
	parquet_reader_free(r);
	return rc;
}

int parquet_reader_open(parquet_read_fn fn, void *ctx, uint64_t file_size,
                        struct parquet_reader **out)
{
	return reader_open(fn, ctx, NULL, file_size, out);
}

int parquet_reader_open_mem(const uint8_t *data, size_t len, struct parquet_reader **out)
{
	static const uint8_t empty[1];
	return reader_open(NULL, NULL, data ? data : empty, len, out);
}

void parquet_reader_free(struct parquet_reader *r)
{
	if (!r)
		return;
	if (r->cols)
		for (uint32_t i = 0; i < r->ncols; i++)
			mem_free((char *)r->cols[i].def.name);
	mem_free(r->cols);
	if (r->rgs)
		for (uint32_t g = 0; g < r->nrg; g++)
			mem_free(r->rgs[g].chunks);
	mem_free(r->rgs);
	for (uint32_t i = 0; i < r->nkv; i++) {
		mem_free(r->kv_keys[i]);
		mem_free(r->kv_vals[i]);
	}
	mem_free(r->kv_keys);
	mem_free(r->kv_vals);
	mem_free(r->created_by);
	mem_free(r->footer_owned);
	ZSTD_freeDCtx(r->dctx);
	buf_free(&r->page);
	mem_free(r->idx);
	mem_free(r->dense);
	mem_free(r->pvalid);
	mem_free(r->dict8);
	mem_free(r->dict_off);
	buf_free(&r->dict_bytes);
	mem_free(r->pages);
	buf_free(&r->page_stat_bytes);
	for (size_t i = 0; r->cidx && i < (size_t)r->nrg * r->ncols; i++) {
		mem_free(r->cidx[i].info);
		mem_free(r->cidx[i].hdr_pos);
		mem_free(r->cidx[i].end_pos);
		mem_free(r->cidx[i].hdrs);
	}
	mem_free(r->cidx);
	mem_free(r->pwant);
	if (r->pin)
		page_cache_unpin(r->pc, r->pin);
	mem_free(r);
}

void parquet_reader_set_page_cache(struct parquet_reader *r, struct page_cache *pc,
                                   uint64_t owner)
{
	if (r->pin)
		page_cache_unpin(r->pc, r->pin);
	r->pin = NULL;
	r->pc = pc;
	r->pc_owner = owner;
}

/* ---- accessors ---- */

uint32_t parquet_reader_num_columns(const struct parquet_reader *r)
{
	return r->ncols;
}

const struct parquet_column_def *parquet_reader_column(const struct parquet_reader *r, uint32_t i)
{
	return i < r->ncols ? &r->cols[i].def : NULL;
}

int parquet_reader_find_column(const struct parquet_reader *r, const char *name)
{
	for (uint32_t i = 0; i < r->ncols; i++)
		if (strcmp(r->cols[i].def.name, name) == 0)
			return (int)i;
	return -1;
}

uint32_t parquet_reader_num_row_groups(const struct parquet_reader *r)
{
	return r->nrg;
}

uint64_t parquet_reader_row_group_rows(const struct parquet_reader *r, uint32_t rg)
{
	return rg < r->nrg ? (uint64_t)r->rgs[rg].num_rows : 0;
}

uint64_t parquet_reader_num_rows(const struct parquet_reader *r)
{
	return (uint64_t)r->num_rows;
}

const struct parquet_stats *parquet_reader_stats(const struct parquet_reader *r, uint32_t rg,
                                                 uint32_t col)
{
	if (rg >= r->nrg || col >= r->ncols)
		return NULL;
	return &r->rgs[rg].chunks[col].stats;
}

const char *parquet_reader_kv(const struct parquet_reader *r, const char *key)
{
	for (uint32_t i = 0; i < r->nkv; i++)
		if (strcmp(r->kv_keys[i], key) == 0)
			return r->kv_vals[i];
	return NULL;
}

uint32_t parquet_reader_kv_count(const struct parquet_reader *r)
{
	return r->nkv;
}

void parquet_reader_kv_at(const struct parquet_reader *r, uint32_t i, const char **key,
                          const char **value)
{
	*key = i < r->nkv ? r->kv_keys[i] : NULL;
	*value = i < r->nkv ? r->kv_vals[i] : NULL;
}

const char *parquet_reader_created_by(const struct parquet_reader *r)
{
	return r->created_by ? r->created_by : "";
}

/* Set out up (reused or fresh) with the file's columns, all empty. */
static int prepare_batch(struct parquet_reader *r, struct batch *out)
{
	bool same = out->cols && out->ncols == r->ncols;
	for (uint32_t c = 0; same && c < r->ncols; c++)
		same = out->cols[c].type == r->cols[c].def.type;
	if (same) {
		batch_reset(out);
		return ERR_OK;
	}
	batch_free(out);
	enum dtype *types = mem_alloc(sizeof(enum dtype) * r->ncols);
	if (!types)
		return ERR_NOMEM;
	for (uint32_t c = 0; c < r->ncols; c++)
		types[c] = r->cols[c].def.type;
	int rc = batch_init(out, r->ncols, types);
	mem_free(types);
	if (rc)
		batch_free(out);
	return rc;
}

int parquet_read_row_group(struct parquet_reader *r, uint32_t rg, const bool *want,
                           struct batch *out)
{
	if (rg >= r->nrg) {
		batch_free(out);
		return err_set(ERR_BAD_INPUT, "parquet: row group %u of %u", rg, r->nrg);
	}
	int rc = prepare_batch(r, out);
	if (rc)
		return rc;
	uint32_t rows = (uint32_t)r->rgs[rg].num_rows;
	for (uint32_t c = 0; c < r->ncols; c++) {
		if (want && !want[c])
			continue;
		struct colvec *v = &out->cols[c];
		if ((rc = colvec_reserve(v, rows ? rows : 1)))
			goto fail;
		if ((rc = pq_read_chunk(r, rg, c, v, NULL, 0, NULL))) {
			err_wrap("row group %u column %s", rg, r->cols[c].def.name);
			goto fail;
		}
	}
	out->nrows = rows;
	return ERR_OK;
fail:
	batch_free(out);
	return rc;
}

int parquet_read_row_ranges(struct parquet_reader *r, uint32_t rg, const bool *want,
                            const struct parquet_row_range *ranges, uint32_t n,
                            struct batch *out)
{
	if (rg >= r->nrg) {
		batch_free(out);
		return err_set(ERR_BAD_INPUT, "parquet: row group %u of %u", rg, r->nrg);
	}
	uint32_t rows = (uint32_t)r->rgs[rg].num_rows;
	uint64_t total = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (ranges[i].from >= ranges[i].to || ranges[i].to > rows ||
		    (i && ranges[i].from < ranges[i - 1].to)) {
			batch_free(out);
			return err_set(ERR_BAD_INPUT, "parquet: bad row range %u [%u, %u)", i,
			               ranges[i].from, ranges[i].to);
		}
		total += ranges[i].to - ranges[i].from;
	}
	int rc = prepare_batch(r, out);
	if (rc || n == 0)
		return rc; /* no range: an empty batch */
	for (uint32_t c = 0; c < r->ncols; c++) {
		if (want && !want[c])
			continue;
		struct colvec *v = &out->cols[c];
		if ((rc = colvec_reserve(v, (uint32_t)total)))
			goto fail;
		if ((rc = pq_read_chunk(r, rg, c, v, ranges, n, NULL))) {
			err_wrap("row group %u column %s", rg, r->cols[c].def.name);
			goto fail;
		}
		if (v->len != total) {
			rc = err_set(ERR_CORRUPT, "parquet: row group %u column %s: %u of %llu rows",
			             rg, r->cols[c].def.name, v->len, (unsigned long long)total);
			goto fail;
		}
	}
	out->nrows = (uint32_t)total;
	return ERR_OK;
fail:
	batch_free(out);
	return rc;
}

int parquet_read_dict_ids(struct parquet_reader *r, uint32_t rg, uint32_t col,
                          const struct parquet_row_range *ranges, uint32_t n, uint32_t *ids,
                          uint32_t *nids)
{
	*nids = 0;
	if (rg >= r->nrg || col >= r->ncols)
		return err_set(ERR_BAD_INPUT, "parquet: no column chunk %u/%u", rg, col);
	uint32_t rows = (uint32_t)r->rgs[rg].num_rows;
	uint64_t total = 0;
	for (uint32_t i = 0; ranges && i < n; i++) {
		if (ranges[i].from >= ranges[i].to || ranges[i].to > rows ||
		    (i && ranges[i].from < ranges[i - 1].to))
			return err_set(ERR_BAD_INPUT, "parquet: bad row range %u [%u, %u)", i,
			               ranges[i].from, ranges[i].to);
		total += ranges[i].to - ranges[i].from;
	}
	if (!ranges)
		total = rows;
	if (r->cols[col].phys != PQT_BYTE_ARRAY)
		return err_set(ERR_UNSUPPORTED, "parquet: column %s is not a byte array",
		               r->cols[col].def.name);
	if (total == 0)
		return ERR_OK;
	struct colvec counter; /* only its len is used */
	colvec_init(&counter, DT_BINARY);
	int rc = pq_read_chunk(r, rg, col, &counter, ranges, ranges ? n : 0, ids);
	if (rc == ERR_OK && counter.len != total)
		rc = err_set(ERR_CORRUPT, "parquet: row group %u column %s: %u of %llu rows", rg,
		             r->cols[col].def.name, counter.len, (unsigned long long)total);
	*nids = counter.len;
	return rc;
}
