/* scan: scan request helpers. See scan.h. */
#include "storage/scan.h"

#include <string.h>

void scan_request_init(struct scan_request *r)
{
	memset(r, 0, sizeof(*r));
	r->ts_min = INT64_MIN;
	r->ts_max = INT64_MAX;
}

void scan_request_ts_window(const struct scan_request *r, int64_t *lo, int64_t *hi)
{
	*lo = r->ts_min;
	*hi = r->ts_max;
	const struct scan_ts_bound *b = r->ts_bound;
	if (!b)
		return;
	if (b->lo > *lo)
		*lo = b->lo;
	if (b->hi != INT64_MAX && b->hi + 1 < *hi)
		*hi = b->hi + 1;
}
