/*
 * fuzz_parquet_reader: Strata's Parquet reader (storage/parquet.h) on
 * arbitrary files: parquet_reader_open_mem, then every accessor (columns,
 * find_column, row group sizes, statistics of every chunk, key-value
 * metadata, created_by) and parquet_read_row_group of every row group -
 * first with all columns into a fresh batch, then with every other column
 * into the same batch (the memory-reuse path). A decoded row group must
 * hold exactly parquet_reader_row_group_rows() rows of the file's column
 * types. Then an OOM pass.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "storage/parquet.h"

static void check_rg(const struct parquet_reader *r, uint32_t rg, const struct batch *b,
		     const bool *want)
{
	uint32_t nc = parquet_reader_num_columns(r);
	FUZZ_CHECK(b->ncols == nc);
	FUZZ_CHECK(b->nrows == parquet_reader_row_group_rows(r, rg));
	struct colvec *cols = nc ? malloc(nc * sizeof(*cols)) : NULL;
	struct batch view = {.nrows = b->nrows, .ncols = 0, .cols = cols};
	for (uint32_t c = 0; c < nc; c++) {
		const struct parquet_column_def *d = parquet_reader_column(r, c);
		FUZZ_CHECK(d && b->cols[c].type == d->type);
		if (want && !want[c])
			FUZZ_CHECK(b->cols[c].len == 0);
		else if (cols)
			cols[view.ncols++] = b->cols[c];
	}
	fuzz_walk_batch(&view);
	free(cols);
}

static void run(const uint8_t *p, size_t n)
{
	struct parquet_reader *r;
	if (parquet_reader_open_mem(p, n, &r))
		return;
	uint32_t nc = parquet_reader_num_columns(r);
	uint32_t nrg = parquet_reader_num_row_groups(r);
	uint64_t total = 0;
	for (uint32_t c = 0; c < nc; c++) {
		const struct parquet_column_def *d = parquet_reader_column(r, c);
		FUZZ_CHECK(d && d->name);
		FUZZ_CHECK((unsigned)d->type < DT__COUNT);
		int at = parquet_reader_find_column(r, d->name);
		FUZZ_CHECK(at >= 0 && (uint32_t)at <= c);
	}
	FUZZ_CHECK(parquet_reader_column(r, nc) == NULL);
	FUZZ_CHECK(parquet_reader_stats(r, nrg, 0) == NULL);
	for (uint32_t i = 0; i < parquet_reader_kv_count(r); i++) {
		const char *k, *v;
		parquet_reader_kv_at(r, i, &k, &v);
		FUZZ_CHECK(k != NULL);
		parquet_reader_kv(r, k);
	}
	FUZZ_CHECK(parquet_reader_created_by(r) != NULL);
	bool *want = nc ? malloc(nc * sizeof(bool)) : NULL;
	for (uint32_t c = 0; c < nc && want; c++)
		want[c] = c % 2 == 0;
	for (uint32_t rg = 0; rg < nrg; rg++) {
		total += parquet_reader_row_group_rows(r, rg);
		for (uint32_t c = 0; c < nc; c++) {
			const struct parquet_stats *st = parquet_reader_stats(r, rg, c);
			FUZZ_CHECK(st != NULL);
			if (st->has_min_max && dtype_phys(parquet_reader_column(r, c)->type) ==
						       PHYS_BYTES) {
				volatile uint8_t x = 0;
				for (uint32_t k = 0; k < st->min.v.s.n; k++)
					x ^= (uint8_t)st->min.v.s.p[k];
				for (uint32_t k = 0; k < st->max.v.s.n; k++)
					x ^= (uint8_t)st->max.v.s.p[k];
				(void)x;
			}
		}
		struct batch b;
		memset(&b, 0, sizeof(b));
		if (parquet_read_row_group(r, rg, NULL, &b) == 0) {
			check_rg(r, rg, &b, NULL);
			if (want && parquet_read_row_group(r, rg, want, &b) == 0)
				check_rg(r, rg, &b, want);
		}
		batch_free(&b);
	}
	FUZZ_CHECK(total == parquet_reader_num_rows(r));
	free(want);
	parquet_reader_free(r);
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
	uint8_t *p = fuzz_guarded_copy(data, size);
	if (!p)
		return 0;
	run(p, size);
	fuzz_oom_begin(data, size);
	run(p, size);
	fuzz_oom_end();
	return 0;
}
