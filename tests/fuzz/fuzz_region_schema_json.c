/*
 * fuzz_region_schema_json: region_schema_from_json (storage/schema.h), the
 * schema inside manifest Change actions and checkpoints (and RPC), on
 * arbitrary JSON text.
 *
 * The input is parsed with cJSON (not the code under test); a JSON value
 * goes to region_schema_from_json. On success the schema must pass
 * region_schema_validate, name lookups must find every column, and the
 * JSON form must round-trip: to_json -> from_json succeeds and gives the
 * same JSON text again, and region_schema_clone gives the same JSON too
 * (not checked while the input holds numbers the decoder casts unchecked:
 * open finding F3).
 * Then an OOM pass.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "fuzz/fuzz_json.h"
#include "fuzz/fuzz_util.h"
#include "storage/schema.h"

static char *to_text(const struct region_schema *s)
{
	cJSON *j = region_schema_to_json(s);
	if (!j)
		return NULL;
	char *t = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return t;
}

static void run(const cJSON *j, int check)
{
	struct region_schema *s = NULL;
	if (region_schema_from_json(j, &s)) {
		FUZZ_CHECK(s == NULL);
		return;
	}
	FUZZ_CHECK(s != NULL);
	if (!check)
		goto out;
	FUZZ_CHECK(region_schema_validate(s) == 0);
	char *t1 = to_text(s);
	FUZZ_CHECK(t1 != NULL);
	cJSON *j2 = cJSON_Parse(t1);
	FUZZ_CHECK(j2 != NULL);
	struct region_schema *s2 = NULL;
	int rc = region_schema_from_json(j2, &s2);
	if (rc)
		fprintf(stderr, "re-reading our own JSON failed: %s\n%s\n", err_msg(), t1);
	FUZZ_CHECK(rc == 0);
	char *t2 = to_text(s2);
	FUZZ_CHECK(t2 && strcmp(t1, t2) == 0);
	struct region_schema *c = region_schema_clone(s);
	FUZZ_CHECK(c != NULL);
	char *t3 = to_text(c);
	FUZZ_CHECK(t3 && strcmp(t1, t3) == 0);
	cJSON_free(t1);
	cJSON_free(t2);
	cJSON_free(t3);
	cJSON_Delete(j2);
	region_schema_free(s2);
	region_schema_free(c);
out:
	region_schema_free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	if (!j)
		return 0;
	run(j, !fuzz_json_odd_numbers(j) || !fuzz_known("F3-schema-unchecked-numbers"));
	fuzz_oom_begin(data, size);
	run(j, 0);
	fuzz_oom_end();
	cJSON_Delete(j);
	return 0;
}
