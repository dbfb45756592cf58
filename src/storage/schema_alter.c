/*
 * schema_alter: schema change rules and constant DEFAULT evaluation for
 * storage readers. See schema_alter.h.
 */
#include "storage/schema_alter.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"

uint32_t region_schema_max_column_id(const struct region_schema *s)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < s->ncols; i++)
		if (s->cols[i].column_id > m)
			m = s->cols[i].column_id;
	return m;
}

static int find_id(const struct region_schema *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->ncols; i++)
		if (s->cols[i].column_id == id)
			return (int)i;
	return -1;
}

int region_schema_check_change(const struct region_schema *old, const struct region_schema *nw)
{
	int rc = region_schema_validate(nw);
	if (rc)
		return rc;
	if (nw->version != old->version + 1)
		return err_set(ERR_BAD_INPUT, "schema change: version %llu does not follow %llu",
			       (unsigned long long)nw->version, (unsigned long long)old->version);
	if (old->cols[old->ts_col].column_id != nw->cols[nw->ts_col].column_id)
		return err_set(ERR_BAD_INPUT, "schema change: the time index cannot change");
	if (nw->npk < old->npk)
		return err_set(ERR_BAD_INPUT, "schema change: the primary key cannot lose a column");
	for (uint32_t k = 0; k < old->npk; k++)
		if (old->cols[old->pk_cols[k]].column_id != nw->cols[nw->pk_cols[k]].column_id)
			return err_set(ERR_BAD_INPUT, "schema change: the primary key cannot change");
	/* added tags: appended to the key, nullable, no DEFAULT (older rows'
	 * keys are extended with NULL elements) */
	for (uint32_t k = old->npk; k < nw->npk; k++) {
		const struct column_schema *c = &nw->cols[nw->pk_cols[k]];
		if (find_id(old, c->column_id) >= 0 || !c->nullable || c->default_sql)
			return err_set(ERR_BAD_INPUT,
				       "schema change: added primary key column %s must be new, "
				       "nullable and without a default",
				       c->name);
	}
	uint32_t max_old = region_schema_max_column_id(old);
	for (uint32_t i = 0; i < nw->ncols; i++) {
		const struct column_schema *c = &nw->cols[i];
		for (uint32_t j = 0; j < i; j++)
			if (nw->cols[j].column_id == c->column_id)
				return err_set(ERR_BAD_INPUT, "schema change: column id %u used twice",
					       c->column_id);
		int o = find_id(old, c->column_id);
		if (o < 0) {
			if (c->sem == SEM_TIMESTAMP)
				return err_set(ERR_BAD_INPUT,
					       "schema change: added column %s cannot be a time index",
					       c->name);
			if (c->column_id <= max_old)
				return err_set(ERR_BAD_INPUT,
					       "schema change: added column %s reuses id %u", c->name,
					       c->column_id);
			continue;
		}
		const struct column_schema *oc = &old->cols[o];
		if (strcmp(oc->name, c->name) || oc->type != c->type || oc->sem != c->sem)
			return err_set(ERR_BAD_INPUT, "schema change: column %s (id %u) changed",
				       oc->name, c->column_id);
	}
	for (uint32_t i = 0; i < old->ncols; i++)
		if (old->cols[i].sem != SEM_FIELD && find_id(nw, old->cols[i].column_id) < 0)
			return err_set(ERR_BAD_INPUT, "schema change: column %s cannot be dropped",
				       old->cols[i].name);
	return ERR_OK;
}

static int unsupported(const struct column_schema *cs)
{
	return err_set(ERR_UNSUPPORTED,
		       "default %s of column %s is not a constant that existing rows can take",
		       cs->default_sql, cs->name);
}

/* Integer range of an integer type; false for other types. */
static bool int_range(enum dtype t, long double *lo, long double *hi)
{
	switch (t) {
	case DT_INT8: *lo = -128; *hi = 127; return true;
	case DT_INT16: *lo = -32768; *hi = 32767; return true;
	case DT_INT32: *lo = -2147483648.0L; *hi = 2147483647.0L; return true;
	case DT_INT64: *lo = -9223372036854775808.0L; *hi = 9223372036854775807.0L; return true;
	case DT_UINT8: *lo = 0; *hi = 255; return true;
	case DT_UINT16: *lo = 0; *hi = 65535; return true;
	case DT_UINT32: *lo = 0; *hi = 4294967295.0L; return true;
	case DT_UINT64: *lo = 0; *hi = 18446744073709551615.0L; return true;
	default: return false;
	}
}

int column_fill_datum(const struct column_schema *cs, struct datum *out, char **owned)
{
	memset(out, 0, sizeof(*out));
	*owned = NULL;
	out->type = cs->type;
	const char *d = cs->default_sql;
	if (!d || !strcasecmp(d, "NULL")) {
		out->is_null = true;
		return ERR_OK;
	}
	size_t n = strlen(d);
	enum phys_kind pk = dtype_phys(cs->type);
	if (d[0] == '\'') {
		if (pk != PHYS_BYTES || n < 2 || d[n - 1] != '\'')
			return unsupported(cs);
		char *s = mem_alloc(n);
		if (!s)
			return ERR_NOMEM;
		size_t k = 0;
		for (size_t i = 1; i + 1 < n; i++) {
			if (d[i] == '\'') {
				if (d[i + 1] != '\'' || i + 2 >= n) {
					mem_free(s);
					return unsupported(cs);
				}
				i++;
			}
			s[k++] = d[i];
		}
		s[k] = 0;
		*owned = s;
		out->v.s.p = s;
		out->v.s.n = (uint32_t)k;
		return ERR_OK;
	}
	if (cs->type == DT_BOOL) {
		if (!strcasecmp(d, "true"))
			out->v.i = 1;
		else if (!strcasecmp(d, "false"))
			out->v.i = 0;
		else
			return unsupported(cs);
		return ERR_OK;
	}
	if (pk == PHYS_BYTES || cs->type == DT_DATE)
		return unsupported(cs);
	/* a number: optional sign, digits, optional fraction / exponent */
	const char *p = d;
	if (*p == '-' || *p == '+')
		p++;
	if (!isdigit((unsigned char)*p) && *p != '.')
		return unsupported(cs);
	errno = 0;
	char *end;
	if (pk == PHYS_F64) {
		double v = strtod(d, &end);
		if (*end || errno)
			return unsupported(cs);
		out->v.f = cs->type == DT_FLOAT32 ? (double)(float)v : v;
		return ERR_OK;
	}
	long double lo, hi;
	if (dtype_is_timestamp(cs->type)) {
		lo = -9223372036854775808.0L;
		hi = 9223372036854775807.0L;
	} else if (!int_range(cs->type, &lo, &hi)) {
		return unsupported(cs);
	}
	if (strpbrk(d, ".eE"))
		return unsupported(cs);
	if (d[0] == '-') {
		long long v = strtoll(d, &end, 10);
		if (*end || errno || (long double)v < lo)
			return unsupported(cs);
		out->v.i = v;
	} else {
		unsigned long long v = strtoull(d, &end, 10);
		if (*end || errno || (long double)v > hi)
			return unsupported(cs);
		out->v.i = (int64_t)v;
	}
	return ERR_OK;
}
