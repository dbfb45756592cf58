/*
 * flush_sample_sst: writes known rows into a region, flushes them through
 * the real flush path (memtable -> merge -> Parquet -> fs object store ->
 * manifest) and prints the path of the SST that the manifest names, for
 * the DuckDB interop suite.
 *   flush_sample_sst DIR   (object store root DIR/objects)
 * Rows: host_{i%3}, ts = 1700000000000 + i*1000, v = i*0.5 (NULL when
 * i%4==3), n = i*10, for i in 0..999; then a delete of (host_0, ts of i=0).
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "helpers/region_fixture.h"
#include "objstore/objstore.h"
#include "storage/region.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	char path[1024];
	snprintf(path, sizeof(path), "%s/objects", argv[1]);
	struct objstore *os;
	struct region_engine *e;
	struct region *r;
	const char *dir = "data/greptime/public/1024/1024_0000000000/";
	if (objstore_open_fs(path, &os))
		goto fail;
	struct region_engine_options o = {.store = os};
	if (region_engine_open(&o, &e))
		goto fail;
	struct region_schema *s = fx_schema(false, MERGE_LAST_ROW);
	if (region_create(e, REGION_ID(1024, 0), dir, s, &r))
		goto fail;
	region_schema_free(s);
	struct fx_row rows[1000];
	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < 1000; i++) {
		snprintf(rows[i].host, sizeof(rows[i].host), "host_%d", i % 3);
		rows[i].ts = 1700000000000LL + i * 1000;
		rows[i].v = i * 0.5;
		rows[i].v_null = i % 4 == 3;
		rows[i].n = i * 10;
	}
	struct batch b;
	fx_batch(rows, 1000, &b);
	if (region_write(r, &b, OP_PUT, NULL))
		goto fail;
	batch_free(&b);
	fx_batch(rows, 1, &b);
	if (region_write(r, &b, OP_DELETE, NULL))
		goto fail;
	batch_free(&b);
	if (region_flush(r))
		goto fail;
	struct objstore_list l;
	if (objstore_list(os, dir, &l))
		goto fail;
	int found = 0;
	for (size_t i = 0; i < l.n; i++)
		if (strstr(l.keys[i], ".parquet")) {
			printf("%s/%s\n", path, l.keys[i]);
			found++;
		}
	objstore_list_free(&l);
	region_close(r);
	region_engine_close(e);
	objstore_close(os);
	return found == 1 ? 0 : 1;
fail:
	fprintf(stderr, "flush_sample_sst: %s\n", err_msg());
	return 1;
}
