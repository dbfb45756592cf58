/*
 * fuzz_catalog_json: the catalog's JSON decoders (meta/catalog.h
 * table_info_from_json, table_route_from_json) on arbitrary JSON - what
 * the metadata store hands back (and, in a cluster, the metasrv).
 *
 * Input: u8 selector (bit 0: route, else table info), then JSON text
 * (parsed by cJSON, which is not under test). On success the value must
 * round-trip: to_json -> from_json succeeds and prints the same JSON.
 * Then an OOM pass.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "fuzz/fuzz_json.h"
#include "fuzz/fuzz_util.h"
#include "meta/catalog.h"

static char *print_info(const struct table_info *t)
{
	cJSON *j = table_info_to_json(t);
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	return s;
}

static char *print_route(const struct table_route *r)
{
	cJSON *j = table_route_to_json(r);
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	return s;
}

static void run(int route, const cJSON *j, int check)
{
	char *t1 = NULL, *t2 = NULL;
	cJSON *j2 = NULL;
	if (route) {
		struct table_route *r = NULL, *r2 = NULL;
		if (table_route_from_json(j, &r))
			return;
		if (check && (t1 = print_route(r)) && (j2 = cJSON_Parse(t1))) {
			int rc = table_route_from_json(j2, &r2);
			if (rc)
				fprintf(stderr, "re-reading our own route JSON failed: %s\n%s\n",
					err_msg(), t1);
			FUZZ_CHECK(rc == 0);
			t2 = print_route(r2);
			FUZZ_CHECK(t2 && strcmp(t1, t2) == 0);
		}
		table_route_free(r);
		table_route_free(r2);
	} else {
		struct table_info *t = NULL, *tt = NULL;
		if (table_info_from_json(j, &t))
			return;
		if (check && (t1 = print_info(t)) && (j2 = cJSON_Parse(t1))) {
			int rc = table_info_from_json(j2, &tt);
			if (rc)
				fprintf(stderr, "re-reading our own table JSON failed: %s\n%s\n",
					err_msg(), t1);
			FUZZ_CHECK(rc == 0);
			t2 = print_info(tt);
			FUZZ_CHECK(t2 && strcmp(t1, t2) == 0);
		}
		table_info_free(t);
		table_info_free(tt);
	}
	cJSON_Delete(j2);
	cJSON_free(t1);
	cJSON_free(t2);
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
	if (size < 1)
		return 0;
	cJSON *j = cJSON_ParseWithLength((const char *)data + 1, size - 1);
	if (!j)
		return 0;
	int check = !fuzz_json_odd_numbers(j) || !fuzz_known("F8-catalog-unchecked-numbers");
	run(data[0] & 1, j, check);
	fuzz_oom_begin(data, size);
	run(data[0] & 1, j, 0);
	fuzz_oom_end();
	cJSON_Delete(j);
	return 0;
}
