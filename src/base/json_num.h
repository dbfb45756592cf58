/*
 * json_num: checked reading of JSON numbers (cJSON) as integers.
 *
 * cJSON keeps every number as a double; casting one to an integer type is
 * undefined behaviour when it is out of range or not finite, and silently
 * wrong when it is negative or fractional. Every decoder of stored JSON
 * (schemas, catalog entries) reads integers through here instead.
 *
 * Invariant: a value is accepted only when it is a finite, whole number
 * in [0, max] with max clamped to 2^53 (the largest range a double holds
 * exactly, so the value survives a to_json / from_json round trip).
 */
#ifndef STRATA_BASE_JSON_NUM_H
#define STRATA_BASE_JSON_NUM_H

#include <stdint.h>

struct cJSON;

#define JSON_NUM_EXACT_MAX ((uint64_t)1 << 53)

/*
 * Read j as an integer in [0, max]. On success stores it in *out and
 * returns ERR_OK. Otherwise returns ERR_CORRUPT with the message
 * "<what>: <field> is not an integer in [0, max]" (or "... is missing /
 * not a number") and leaves *out unchanged.
 */
int json_get_u64(const struct cJSON *j, const char *what, const char *field, uint64_t max,
		 uint64_t *out);

#endif
