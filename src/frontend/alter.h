/*
 * alter: changing a table's columns (ALTER TABLE ADD/DROP COLUMN in
 * ddl.c, line-protocol auto-add in ingest.c). Implemented in ddl.c.
 */
#ifndef STRATA_FRONTEND_ALTER_H
#define STRATA_FRONTEND_ALTER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/datatype.h"

struct fe_ctx;
struct frontend;
struct table_info;

/* A column to add: nullable, no default; a tag joins the end of the
 * primary key. */
struct fe_new_field {
	const char *name;
	enum dtype type;
	bool tag;
};

/* Add columns (names the table lacks) to table t (as read from the
 * catalog; updated in place on success): every region changes its schema,
 * then the catalog entry. Caller holds the DDL lock exclusively. */
int fe_alter_add_fields(struct fe_ctx *c, struct table_info *t, const struct fe_new_field *f,
                        uint32_t n);

/* Standalone: when the table's regions are at a newer schema version
 * than its catalog entry t (a crash between an ALTER's region changes
 * and its catalog update), finish that ALTER: regions still behind take
 * the newest schema, then t (updated in place) is stored with it (the
 * COMMENT of a column added then is lost). No-op otherwise and in
 * cluster mode (the metasrv's procedure is retried instead). Caller
 * holds the DDL lock exclusively. */
int fe_alter_reconcile(struct frontend *fe, struct table_info *t);

#endif
