/*
 * schema_alter: rules for changing a region's schema (ALTER TABLE ADD /
 * DROP COLUMN, line-protocol auto-add) and the storage-side evaluation of
 * a column's DEFAULT, used to fill a column that older data lacks.
 *
 * Schema evolution invariants (checked by region_schema_check_change):
 *  - columns are identified by column_id, never by position; a surviving
 *    column keeps its id, name, type and semantic type;
 *  - the time index is unchanged; the primary key keeps its tags, in
 *    order, and may gain new tags at its end (nullable, no DEFAULT);
 *  - an added column is a FIELD or such a TAG, with an id above every id
 *    of the old schema (the caller keeps a high-water mark so that a
 *    dropped column's id is never reused, see ddl.c); tags are never
 *    dropped;
 *  - the new schema's version is the old one's + 1.
 * Readers of data written under an older schema (SSTs; memtables never
 * hold two schemas because the leader flushes before a change) map
 * columns by column_id: a column the data lacks reads as its DEFAULT (or
 * NULL), a column the data has but the schema dropped is ignored, and
 * the __primary_key of data written with fewer tags gets one NULL element
 * (the byte 0x00, pk_codec.h) per added tag appended, which keeps the
 * order of the data (elements are self-delimiting) and makes an old row
 * equal to a new row whose added tags are NULL.
 */
#ifndef STRATA_STORAGE_SCHEMA_ALTER_H
#define STRATA_STORAGE_SCHEMA_ALTER_H

#include "base/column.h"
#include "storage/schema.h"

/* ERR_BAD_INPUT with a message when `nw` is not a valid successor of
 * `old` (see the invariants above). */
int region_schema_check_change(const struct region_schema *old, const struct region_schema *nw);

/* The value a row lacking column `cs` reads as: its DEFAULT when that is
 * a constant literal (number, 'string', TRUE/FALSE, NULL), else NULL when
 * the column has no default. ERR_UNSUPPORTED when the default is not a
 * constant storage can evaluate (e.g. now()) or does not fit the type.
 * out->v.s may point at *owned (a new allocation the caller frees; NULL
 * when nothing was allocated) or into cs->default_sql. */
int column_fill_datum(const struct column_schema *cs, struct datum *out, char **owned);

/* Highest column_id of s (0 when it has no columns). */
uint32_t region_schema_max_column_id(const struct region_schema *s);

/* Write fencing across a schema change: region_write_at_version
 * (storage/region.h). */

#endif
