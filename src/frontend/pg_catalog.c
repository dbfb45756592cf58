/*
 * pg_catalog: what PostgreSQL clients ask of the catalog.
 *
 * Placeholder until the pg_catalog tables and psql's describe queries are
 * implemented: nothing is resolved and nothing is intercepted.
 */
#include "base/err.h"
#include "frontend/frontend_int.h"

const struct vtable *pgcat_find(const char *name)
{
	(void)name;
	return NULL;
}

int pgcat_provider(struct fe_ctx *c, const struct vtable *t, struct table_provider **out)
{
	(void)c;
	(void)t;
	*out = NULL;
	return ERR_NOT_FOUND;
}

int fe_pg_compat(struct fe_ctx *c, const char *sql, struct query_result *out, int *rc)
{
	(void)c;
	(void)sql;
	(void)out;
	(void)rc;
	return 0;
}
