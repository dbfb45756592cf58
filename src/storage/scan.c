/* scan: scan request helpers. See scan.h. */
#include "storage/scan.h"

#include <string.h>

void scan_request_init(struct scan_request *r)
{
	memset(r, 0, sizeof(*r));
	r->ts_min = INT64_MIN;
	r->ts_max = INT64_MAX;
}
