/* json_num: checked JSON number -> integer conversion. See json_num.h. */
#include "base/json_num.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>

#include "base/err.h"

int json_get_u64(const struct cJSON *j, const char *what, const char *field, uint64_t max,
		 uint64_t *out)
{
	if (!cJSON_IsNumber(j))
		return err_set(ERR_CORRUPT, "%s: %s is missing or not a number", what, field);
	if (max > JSON_NUM_EXACT_MAX)
		max = JSON_NUM_EXACT_MAX;
	double d = j->valuedouble;
	/* !(a && b) also rejects NaN; the range test comes before the cast. */
	if (!(d >= 0 && d <= (double)max) || d != floor(d))
		return err_set(ERR_CORRUPT, "%s: %s is not an integer in [0, %" PRIu64 "]", what,
			       field, max);
	*out = (uint64_t)d;
	return ERR_OK;
}
