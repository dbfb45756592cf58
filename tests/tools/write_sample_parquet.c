/*
 * write_sample_parquet: writes a Parquet file with known rows for the
 * DuckDB interop suite (tests/suites/duckdb_interop.sh).
 *
 * Usage: write_sample_parquet OUT.parquet
 *        write_sample_parquet --dump IN.parquet
 *
 * --dump reads any Parquet file with our reader (through ranged pread()s,
 * as from an object store) and prints it as one JSON object:
 *   {"columns":[{"name":..,"type":<dtype name>,"nullable":..}],
 *    "row_groups":N, "rows":[[v,...],...]}
 * with integers as strings (64-bit exact), doubles as numbers, booleans,
 * strings as JSON strings and binaries as hex strings; on error it prints
 * the error record to stderr and exits 1 (the interop suite reads files
 * written by DuckDB this way).
 *
 * 1000 rows, row groups of 400 (so 3 row groups), columns and row i:
 *   host   STRING dict            "host_" + (i % 10)
 *   region STRING dict nullable   NULL when i % 7 == 3, else
 *                                 ["us-east-1","eu-west-2","ap-south-1"][i % 3]
 *   ts     TS_MS                  1700000000000 + i * 1000
 *   usage  FLOAT64 nullable       NULL when i % 5 == 0, else i * 0.5
 *   n      INT64                  i * 1000003 - 500000000
 *   flag   BOOL                   i % 2 == 0
 *   small  INT32                  i % 200 - 100
 *   u      UINT64                 2^64-1 for i == 0, else i * 7
 * key-value metadata: "strata.sample" = "v1".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/column.h"
#include "base/err.h"
#include "base/mem.h"
#include "storage/parquet.h"

#define NROWS 1000

static int fill(struct batch *b)
{
	static const char *regions[] = {"us-east-1", "eu-west-2", "ap-south-1"};
	int rc = 0;
	for (int i = 0; i < NROWS && !rc; i++) {
		char host[16];
		int hn = snprintf(host, sizeof(host), "host_%d", i % 10);
		rc |= colvec_push_bytes(&b->cols[0], host, (size_t)hn);
		if (i % 7 == 3)
			rc |= colvec_push_null(&b->cols[1]);
		else
			rc |=
			    colvec_push_bytes(&b->cols[1], regions[i % 3], strlen(regions[i % 3]));
		rc |= colvec_push_i64(&b->cols[2], 1700000000000ll + (int64_t)i * 1000);
		if (i % 5 == 0)
			rc |= colvec_push_null(&b->cols[3]);
		else
			rc |= colvec_push_f64(&b->cols[3], i * 0.5);
		rc |= colvec_push_i64(&b->cols[4], (int64_t)i * 1000003 - 500000000);
		rc |= colvec_push_i64(&b->cols[5], i % 2 == 0);
		rc |= colvec_push_i64(&b->cols[6], i % 200 - 100);
		rc |= colvec_push_i64(&b->cols[7], i == 0 ? -1 : (int64_t)i * 7);
	}
	b->nrows = NROWS;
	return rc ? ERR_NOMEM : ERR_OK;
}

static int pread_fn(void *ctx, uint64_t off, uint64_t len, uint8_t **data, size_t *outlen)
{
	int fd = *(int *)ctx;
	uint8_t *p = mem_alloc(len ? len : 1);
	if (!p)
		return ERR_NOMEM;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mem_free(p);
			return err_set(ERR_IO, "pread: %s", strerror(errno));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*data = p;
	*outlen = got;
	return ERR_OK;
}

static void print_value(const struct colvec *v, uint32_t i)
{
	if (colvec_is_null(v, i)) {
		fputs("null", stdout);
		return;
	}
	switch (v->type) {
	case DT_BOOL:
		fputs(v->i64[i] ? "true" : "false", stdout);
		return;
	case DT_UINT64:
		printf("\"%llu\"", (unsigned long long)v->i64[i]);
		return;
	case DT_FLOAT32:
	case DT_FLOAT64:
		printf("%.17g", v->f64[i]);
		return;
	case DT_STRING:
	case DT_BINARY: {
		uint32_t n;
		const char *p = colvec_bytes(v, i, &n);
		putchar('"');
		for (uint32_t k = 0; k < n; k++) {
			unsigned char c = (unsigned char)p[k];
			if (v->type == DT_BINARY)
				printf("%02x", c);
			else if (c == '"' || c == '\\')
				printf("\\%c", c);
			else if (c < 0x20)
				printf("\\u%04x", c);
			else
				putchar(c);
		}
		putchar('"');
		return;
	}
	default:
		printf("\"%lld\"", (long long)v->i64[i]);
		return;
	}
}

static int dump(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		return 1;
	}
	struct parquet_reader *r = NULL;
	struct batch b = {0};
	int rc = parquet_reader_open(pread_fn, &fd, (uint64_t)st.st_size, &r);
	if (!rc) {
		uint32_t nc = parquet_reader_num_columns(r);
		printf("{\"columns\":[");
		for (uint32_t c = 0; c < nc; c++) {
			const struct parquet_column_def *d = parquet_reader_column(r, c);
			printf("%s{\"name\":\"%s\",\"type\":\"%s\",\"nullable\":%s}", c ? "," : "",
			       d->name, dtype_name(d->type), d->nullable ? "true" : "false");
		}
		printf("],\"row_groups\":%u,\"rows\":[", parquet_reader_num_row_groups(r));
		bool first = true;
		for (uint32_t g = 0; !rc && g < parquet_reader_num_row_groups(r); g++) {
			if ((rc = parquet_read_row_group(r, g, NULL, &b)))
				break;
			for (uint32_t i = 0; i < b.nrows; i++) {
				printf("%s[", first ? "" : ",");
				first = false;
				for (uint32_t c = 0; c < nc; c++) {
					if (c)
						putchar(',');
					print_value(&b.cols[c], i);
				}
				putchar(']');
			}
		}
		printf("]}\n");
	}
	if (rc)
		fprintf(stderr, "dump %s: %s: %s\n", path, err_code_name(rc), err_msg());
	batch_free(&b);
	parquet_reader_free(r);
	close(fd);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT.parquet | --dump IN.parquet\n", argv[0]);
		return 2;
	}
	static const struct parquet_column_def defs[] = {
	    {"host", DT_STRING, false, true},  {"region", DT_STRING, true, true},
	    {"ts", DT_TS_MS, false, false},    {"usage", DT_FLOAT64, true, false},
	    {"n", DT_INT64, false, false},     {"flag", DT_BOOL, false, false},
	    {"small", DT_INT32, false, false}, {"u", DT_UINT64, false, false},
	};
	enum { NC = sizeof(defs) / sizeof(defs[0]) };
	enum dtype types[NC];
	for (int c = 0; c < NC; c++)
		types[c] = defs[c].type;
	struct batch b = {0};
	struct buf file;
	buf_init(&file);
	struct parquet_writer *w = NULL;
	struct parquet_write_options opt = {.row_group_rows = 400};
	int rc = batch_init(&b, NC, types);
	if (!rc)
		rc = fill(&b);
	if (!rc)
		rc = parquet_writer_open(defs, NC, &opt, &w);
	if (!rc)
		rc = parquet_writer_set_kv(w, "strata.sample", "v1");
	if (!rc)
		rc = parquet_writer_write(w, &b);
	if (!rc)
		rc = parquet_writer_finish(w, &file);
	if (rc) {
		fprintf(stderr, "write_sample_parquet: %s\n", err_msg());
	} else {
		FILE *f = fopen(argv[1], "wb");
		if (!f || fwrite(file.data, 1, file.len, f) != file.len || fclose(f) != 0) {
			perror(argv[1]);
			rc = ERR_IO;
		}
	}
	parquet_writer_free(w);
	buf_free(&file);
	batch_free(&b);
	return rc ? 1 : 0;
}
