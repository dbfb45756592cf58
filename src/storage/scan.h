/*
 * scan: what a reader asks of a region, and the sorted-run iterator every
 * scan source (memtable, SST, rows fetched from a leader) implements.
 *
 * A scan_request is a projection, a half-open time range on the time index
 * (in the column's unit) and a conjunction of simple predicates
 * (column OP literal). The storage engine may use predicates on tags and
 * the time index before dedup (they cannot change which version of a row
 * wins, because they are part of the row identity); predicates on fields
 * are applied only after dedup. The SQL layer re-checks anything it did not
 * push down.
 */
#ifndef STRATA_STORAGE_SCAN_H
#define STRATA_STORAGE_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/column.h"

enum pred_op { PRED_EQ, PRED_NE, PRED_LT, PRED_LE, PRED_GT, PRED_GE, PRED_IN, PRED_IS_NULL,
	       PRED_IS_NOT_NULL };

struct scan_pred {
	uint32_t col;       /* region column index */
	enum pred_op op;
	struct datum lit;   /* for comparisons; same dtype as the column */
	uint32_t nlist;     /* for PRED_IN */
	struct datum *list;
};

/*
 * A bound on the time index that tightens while a scan runs. A top-k sort
 * on the time index (ORDER BY ts DESC LIMIT k) raises lo to the time of
 * the k-th row it holds once it holds k (ascending: lowers hi), and from
 * then on it rejects every row outside [lo, hi]. A reader may therefore
 * skip data outside the bound as it reads it at any moment (row groups,
 * pages, rows), before dedup: when it leaves out one version of a (series,
 * time) key, a delete or a newer put, the versions it exposes have the
 * same time and are rejected too. Rows outside may still be returned.
 * Read and written in the scan's thread; not carried over RPC.
 */
struct scan_ts_bound {
	int64_t lo; /* inclusive; INT64_MIN = none */
	int64_t hi; /* inclusive; INT64_MAX = none */
};

struct scan_request {
	const bool *projection; /* ncols flags; NULL = all columns */
	int64_t ts_min;         /* inclusive; INT64_MIN = unbounded */
	int64_t ts_max;         /* exclusive; INT64_MAX = unbounded */
	uint32_t npreds;
	const struct scan_pred *preds;
	const struct scan_ts_bound *ts_bound; /* NULL = none */
	/* The reader may stop after the first rows (LIMIT without ORDER BY):
	 * sources should deliver their first rows without reading much more
	 * (SSTs read row groups in slices). Changes no answer. */
	bool first_rows;
};

void scan_request_init(struct scan_request *r); /* everything, no filter */

/* [*lo, *hi) = the request's time range narrowed by its bound as it is now
 * (*lo >= *hi: empty). */
void scan_request_ts_window(const struct scan_request *r, int64_t *lo, int64_t *hi);

/*
 * A sorted run of internal batches (layout in schema.h), ordered by
 * (__primary_key, ts asc, __sequence desc). next() sets *out to a batch
 * owned by the source, valid until the following next() or close(); *out
 * is NULL at the end. Returns ERR_OK or an error code (error record set).
 */
struct sorted_source {
	int (*next)(struct sorted_source *src, const struct batch **out);
	void (*close)(struct sorted_source *src);
};

static inline int sorted_source_next(struct sorted_source *s, const struct batch **out)
{
	return s->next(s, out);
}
static inline void sorted_source_close(struct sorted_source *s)
{
	if (s)
		s->close(s);
}

#endif
