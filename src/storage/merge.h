/*
 * merge: the k-way merge of sorted runs (scan.h) into one sorted run, with
 * the region's dedup rules. Used by scans (memtables + SSTs, or a
 * follower's SSTs + the leader's memtable rows), flush and compaction.
 *
 * Rules, per row identity (primary key, ts), versions newest (highest
 * sequence) first:
 *   dedup, MERGE_LAST_ROW       the newest version wins; a winning delete
 *                               removes the row.
 *   dedup, MERGE_LAST_NON_NULL  the newest version is the row; each of its
 *                               null fields is taken from the newest older
 *                               version where it is not null, looking no
 *                               further than the first delete; a newest
 *                               delete removes the row.
 *   no dedup (append mode)      every put is kept, down to the first delete,
 *                               which removes itself and everything older.
 *   keep_deletes                (compaction) the deletes that decided
 *                               something stay in the output as tombstones:
 *                               a winning delete, the delete that cut a
 *                               last_non_null fill or an append-mode group.
 * After dedup the rows failing req's field predicates are dropped (so a
 * predicate never resurrects an old version) and only the time index, the
 * internal columns, the projected columns and the columns predicates name
 * are filled; the others are left empty. Those columns must be filled by
 * every source (ERR_INTERNAL otherwise).
 */
#ifndef STRATA_STORAGE_MERGE_H
#define STRATA_STORAGE_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/scan.h"
#include "storage/schema.h"

struct merge_options {
	const struct region_schema *schema; /* copied: need not outlive the merge */
	const struct scan_request *req;     /* may be NULL; copied */
	bool dedup;          /* false for append_mode */
	enum merge_mode mode;
	bool keep_deletes;   /* compaction output keeps (deduped) tombstones */
	bool recheck_keys;   /* also apply req's time range and its tag / time
			      * predicates (for sources that filter coarsely) */
	bool passthrough;    /* exactly one source, known to hold no delete and
			      * no two versions of one identity: its batches
			      * are handed out as they are (no copy), only
			      * filtered by the predicates the merge applies;
			      * the source may leave the internal columns
			      * empty */
};

/*
 * Scan hint "any series order" (a marked predicate, like pred.h's
 * last-row hint: `time index IS NOT NULL`, always true, marked by its list
 * pointer; a reader that does not know it keeps every row). A reader that
 * does not need the (pk, ts) order of a region scan - an aggregation whose
 * result does not depend on the order of its input rows - adds it; the
 * region may then hand out the rows of each series in ts order, but the
 * series interleaved across batches (region.c: disjoint scan). The hint
 * asks nothing else: the rows are the same.
 */
void scan_hint_any_order(uint32_t ts_col, enum dtype ts_type, struct scan_pred *out);
bool scan_pred_is_any_order(const struct scan_pred *p);
/* req carries the hint (on the time index of a schema with ts_col). */
bool scan_req_any_order(uint32_t ts_col, const struct scan_request *req);

/* Merge srcs[0..n) into *out. Takes ownership of the sources (closed by
 * the merge's close, or here on failure) but not of the srcs array. */
int merge_open(struct sorted_source **srcs, uint32_t n, const struct merge_options *o,
	       struct sorted_source **out);

#endif
