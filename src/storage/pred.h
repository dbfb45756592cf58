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

/*
 * Scan hint "last row per series". A reader that only needs the last row
 * (highest ts, after dedup) of each series - e.g. SELECT DISTINCT ON (tags)
 * ... ORDER BY tags, ts DESC - adds this predicate to its scan request. It
 * is `time index IS NOT NULL` (always true: the time index has no nulls),
 * marked by its list pointer (a private marker; nlist stays 0, so nothing
 * reads the list), so a reader that does not know the hint (an older peer,
 * the RPC codec, another provider) treats it as a predicate that keeps
 * every row. A region that knows it may return, of the rows the other
 * predicates select, only a subset holding the last row of every series;
 * the reader must still pick the last rows itself. Only valid when every
 * other predicate is on a tag or the time index (a field predicate would
 * pick a different row); ignored otherwise.
 */
void scan_hint_last_per_series(uint32_t ts_col, enum dtype ts_type, struct scan_pred *out);
bool scan_pred_is_hint(const struct scan_pred *p);
/* req carries the hint, every other predicate is on a tag or the time
 * index of s, and s deduplicates (not append mode). */
bool scan_req_last_per_series(const struct region_schema *s, const struct scan_request *req);

#endif
