/*
 * test_schema_json: decoding stored JSON numbers - region schemas
 * (storage/schema.c), catalog table info and routes (meta/catalog.c) and
 * the shared checked reader base/json_num.h. Hostile numbers (negative,
 * fractional, huge, non-finite) must be ERR_CORRUPT naming the field,
 * never cast (undefined behaviour) or silently wrapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/json_num.h"
#include "meta/catalog.h"
#include "storage/schema.h"

static const char schema_fmt[] =
	"{\"columns\":[{\"name\":\"host\",\"type\":\"String\",\"semantic\":\"TAG\","
	"\"column_id\":%s},"
	"{\"name\":\"ts\",\"type\":\"TimestampMillisecond\",\"semantic\":\"TIMESTAMP\"}],"
	"\"primary_key\":[%s],\"time_index\":%s,"
	"\"options\":{\"ttl_ms\":%s,\"compaction_window_s\":%s,\"write_buffer_size\":%s},"
	"\"version\":%s}";

/* Decode the schema with the given numbers; returns the error code. */
static int schema_with(const char *cid, const char *pk, const char *ti, const char *ttl,
		       const char *cw, const char *wbs, const char *ver,
		       struct region_schema **out)
{
	char text[1024];
	snprintf(text, sizeof(text), schema_fmt, cid, pk, ti, ttl, cw, wbs, ver);
	cJSON *j = cJSON_Parse(text);
	assert_non_null(j);
	int rc = region_schema_from_json(j, out);
	cJSON_Delete(j);
	return rc;
}

static void test_json_get_u64(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t max;
		int ok;
		uint64_t want;
	} cases[] = {
		{"0", 10, 1, 0},
		{"10", 10, 1, 10},
		{"11", 10, 0, 0},
		{"-1", 10, 0, 0},
		{"-0.5", 10, 0, 0},
		{"1.5", 10, 0, 0},
		{"1e400", UINT64_MAX, 0, 0},   /* cJSON reads it as inf */
		{"-1e400", UINT64_MAX, 0, 0},
		{"9007199254740992", UINT64_MAX, 1, 9007199254740992ull},
		{"18446744073709551616", UINT64_MAX, 0, 0},
		{"\"5\"", 10, 0, 0},
		{"null", 10, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *j = cJSON_Parse(cases[i].text);
		assert_non_null(j);
		uint64_t v = 77;
		int rc = json_get_u64(j, "thing", "field_x", cases[i].max, &v);
		if (cases[i].ok) {
			assert_int_equal(rc, ERR_OK);
			assert_true(v == cases[i].want);
		} else {
			assert_int_equal(rc, ERR_CORRUPT);
			assert_true(v == 77);
			assert_non_null(strstr(err_msg(), "field_x"));
		}
		cJSON_Delete(j);
	}
	uint64_t v;
	assert_int_equal(json_get_u64(NULL, "thing", "f", 1, &v), ERR_CORRUPT);
}

static void test_region_schema_numbers(void **state)
{
	(void)state;
	struct region_schema *s = NULL;
	assert_int_equal(schema_with("7", "0", "1", "3600000", "60", "1048576", "4", &s), ERR_OK);
	assert_int_equal(s->cols[0].column_id, 7);
	assert_int_equal(s->ts_col, 1);
	assert_int_equal(s->opts.ttl_ms, 3600000);
	assert_int_equal(s->opts.compaction_window_s, 60);
	assert_int_equal(s->opts.write_buffer_size, 1048576);
	assert_int_equal(s->version, 4);
	region_schema_free(s);

	static const struct {
		const char *v[7];
		const char *field;
	} bad[] = {
		{{"-1", "0", "1", "0", "0", "0", "0"}, "column_id"},
		{{"4294967296", "0", "1", "0", "0", "0", "0"}, "column_id"},
		{{"1.5", "0", "1", "0", "0", "0", "0"}, "column_id"},
		{{"0", "0.5", "1", "0", "0", "0", "0"}, "primary key"},
		{{"0", "0", "0.9999", "0", "0", "0", "0"}, "time index"},
		{{"0", "0", "1e400", "0", "0", "0", "0"}, "time index"},
		{{"0", "0", "1", "-5", "0", "0", "0"}, "ttl_ms"},
		{{"0", "0", "1", "1e300", "0", "0", "0"}, "ttl_ms"},
		{{"0", "0", "1", "0", "-1e400", "0", "0"}, "compaction_window_s"},
		{{"0", "0", "1", "0", "2.5", "0", "0"}, "compaction_window_s"},
		{{"0", "0", "1", "0", "0", "-1", "0"}, "write_buffer_size"},
		{{"0", "0", "1", "0", "0", "1e20", "0"}, "write_buffer_size"},
		{{"0", "0", "1", "0", "0", "0", "-3"}, "version"},
		{{"0", "0", "1", "0", "0", "0", "0.25"}, "version"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const *v = bad[i].v;
		s = NULL;
		int rc = schema_with(v[0], v[1], v[2], v[3], v[4], v[5], v[6], &s);
		if (rc != ERR_CORRUPT)
			fail_msg("case %zu (%s) gave %d", i, bad[i].field, rc);
		assert_null(s);
		if (!strstr(err_msg(), bad[i].field))
			fail_msg("case %zu: message '%s' does not name %s", i, err_msg(),
				 bad[i].field);
	}
}

static int route_with(const char *tid, const char *rid, const char *leader, const char *fol,
		      const char *down, struct table_route **out)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "{\"table_id\":%s,\"regions\":[{\"region_id\":%s,\"leader\":%s,"
		 "\"followers\":[%s],\"leader_down_since_ms\":%s}]}",
		 tid, rid, leader, fol, down);
	cJSON *j = cJSON_Parse(text);
	assert_non_null(j);
	int rc = table_route_from_json(j, out);
	cJSON_Delete(j);
	return rc;
}

static void test_table_route_numbers(void **state)
{
	(void)state;
	struct table_route *r = NULL;
	assert_int_equal(route_with("1024", "4398046511104", "3", "4, \"x\", 5", "17", &r), ERR_OK);
	assert_int_equal(r->table_id, 1024);
	assert_true(r->regions[0].region_id == 4398046511104ull);
	assert_int_equal(r->regions[0].leader, 3);
	assert_int_equal(r->regions[0].nfollowers, 2);
	assert_int_equal(r->regions[0].followers[1], 5);
	assert_int_equal(r->regions[0].leader_down_since_ms, 17);
	/* round trip */
	cJSON *j = table_route_to_json(r);
	struct table_route *r2 = NULL;
	assert_int_equal(table_route_from_json(j, &r2), ERR_OK);
	assert_true(r2->regions[0].region_id == r->regions[0].region_id);
	cJSON_Delete(j);
	table_route_free(r2);
	table_route_free(r);

	static const struct {
		const char *v[5];
		const char *field;
	} bad[] = {
		{{"-1", "1", "1", "", "0"}, "table_id"},
		{{"4294967296", "1", "1", "", "0"}, "table_id"},
		{{"1", "-1", "1", "", "0"}, "region_id"},
		{{"1", "1.5", "1", "", "0"}, "region_id"},
		{{"1", "1e400", "1", "", "0"}, "region_id"},
		{{"1", "1", "-2", "", "0"}, "leader"},
		{{"1", "1", "1", "2, -3", "0"}, "followers"},
		{{"1", "1", "1", "0.5", "0"}, "followers"},
		{{"1", "1", "1", "", "-1"}, "leader_down_since_ms"},
		{{"1", "1", "1", "", "1e19"}, "leader_down_since_ms"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const *v = bad[i].v;
		r = NULL;
		int rc = route_with(v[0], v[1], v[2], v[3], v[4], &r);
		if (rc != ERR_CORRUPT)
			fail_msg("case %zu (%s) gave %d", i, bad[i].field, rc);
		assert_null(r);
		if (!strstr(err_msg(), bad[i].field))
			fail_msg("case %zu: message '%s' does not name %s", i, err_msg(),
				 bad[i].field);
	}
}

static void test_table_info_numbers(void **state)
{
	(void)state;
	static const char fmt[] =
		"{\"table_id\":%s,\"catalog\":\"greptime\",\"schema\":\"public\",\"name\":\"t\","
		"\"engine\":\"mito\",\"created_ms\":%s,\"region_schema\":"
		"{\"columns\":[{\"name\":\"ts\",\"type\":\"TimestampMillisecond\","
		"\"semantic\":\"TIMESTAMP\"}],\"primary_key\":[],\"time_index\":0}}";
	static const struct {
		const char *tid, *cms;
		int rc;
		const char *field;
	} cases[] = {
		{"1025", "1700000000000", ERR_OK, NULL},
		{"-1", "0", ERR_CORRUPT, "table_id"},
		{"1.5", "0", ERR_CORRUPT, "table_id"},
		{"1e10", "0", ERR_CORRUPT, "table_id"},
		{"1", "-1", ERR_CORRUPT, "created_ms"},
		{"1", "1e400", ERR_CORRUPT, "created_ms"},
		{"1", "0.5", ERR_CORRUPT, "created_ms"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), fmt, cases[i].tid, cases[i].cms);
		cJSON *j = cJSON_Parse(text);
		assert_non_null(j);
		struct table_info *t = NULL;
		int rc = table_info_from_json(j, &t);
		cJSON_Delete(j);
		if (rc != cases[i].rc)
			fail_msg("case %zu gave %d (%s)", i, rc, err_msg());
		if (rc == ERR_OK) {
			assert_int_equal(t->table_id, 1025);
			assert_true(t->created_ms == 1700000000000LL);
			table_info_free(t);
		} else {
			assert_null(t);
			assert_non_null(strstr(err_msg(), cases[i].field));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_get_u64),
		cmocka_unit_test(test_region_schema_numbers),
		cmocka_unit_test(test_table_route_numbers),
		cmocka_unit_test(test_table_info_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
