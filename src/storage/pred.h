/*
 * pred: evaluation of scan predicates (scan.h) over batches and single
 * values, SQL style: a comparison with NULL (either side) is false, IN
 * matches when the value equals a non-null list entry, IS [NOT] NULL test
 * presence. UINT64 compares unsigned, strings and binaries bytewise
 * (shorter first on a common prefix), floats with C semantics (NaN never
 * compares true except through NE).
 */
#ifndef STRATA_STORAGE_PRED_H
#define STRATA_STORAGE_PRED_H

#include <stdbool.h>
#include <stdint.h>

#include "base/column.h"
#include "storage/scan.h"
#include "storage/schema.h"

/* AND the conjunction of preds[0..n) into sel[0..b->nrows) (1 = keep). Rows
 * whose sel is already 0 may be skipped. Every referenced column must be
 * filled (len == nrows) and the literal's physical kind must match the
 * column's: ERR_BAD_INPUT otherwise. Column indexes are batch columns
 * (region columns for a schema-layout or internal batch). */
int pred_eval(const struct scan_pred *preds, uint32_t n, const struct batch *b, uint8_t *sel);
/* ERR_BAD_INPUT unless p's operator is known and its literal(s) have the
 * physical kind of a column of type coltype. */
int pred_validate(const struct scan_pred *p, enum dtype coltype);
/* One predicate against one value (v->type is the column's type). */
bool pred_match_datum(const struct scan_pred *p, const struct datum *v);
/* True when p is on a tag or on the time index of s (part of the row's
 * identity, so it may be applied before dedup). */
bool pred_is_tag_or_ts(const struct region_schema *s, const struct scan_pred *p);

#endif
