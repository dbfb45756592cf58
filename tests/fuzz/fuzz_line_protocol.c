/*
 * fuzz_line_protocol: the InfluxDB line protocol parser
 * (server/line_protocol.h) on arbitrary request bodies.
 *
 * The input is parsed twice into the same batch (the second call with
 * precision "s", so the scaling overflow checks and the "same column,
 * other type in an earlier call" paths run too). After each successful
 * call the documented invariants are checked: every column of a table
 * holds rows.nrows values, the table's column list matches its batch,
 * tags hold no NUL and column names are unique; every value is walked.
 * lp_batch_find / lp_table_col are asked for every name. Then an OOM pass.
 */
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "server/line_protocol.h"

static void check_batch(const struct lp_batch *b)
{
	uint64_t rows = 0;
	for (uint32_t t = 0; t < b->ntables; t++) {
		const struct lp_table *tb = b->tables[t];
		FUZZ_CHECK(tb && tb->name && strlen(tb->name) == tb->name_len);
		FUZZ_CHECK(tb->rows.ncols == tb->ncols);
		FUZZ_CHECK(tb->ts_col < tb->ncols);
		FUZZ_CHECK(tb->cols[tb->ts_col].kind == LP_TIMESTAMP);
		FUZZ_CHECK(lp_batch_find(b, tb->name) == tb);
		fuzz_walk_batch(&tb->rows);
		rows += tb->rows.nrows;
		for (uint32_t c = 0; c < tb->ncols; c++) {
			const struct lp_column *col = &tb->cols[c];
			FUZZ_CHECK(col->name && strlen(col->name) == col->name_len);
			FUZZ_CHECK(col->type == tb->rows.cols[c].type);
			FUZZ_CHECK(lp_table_col(tb, col->name) == (int)c);
			if (col->kind != LP_TAG)
				continue;
			FUZZ_CHECK(col->type == DT_STRING);
			const struct colvec *v = &tb->rows.cols[c];
			for (uint32_t i = 0; i < v->len; i++) {
				uint32_t n;
				const char *s = colvec_bytes(v, i, &n);
				FUZZ_CHECK(n == 0 || memchr(s, 0, n) == NULL);
			}
		}
	}
	FUZZ_CHECK(rows == b->nrows);
}

static void run(const char *text, size_t len)
{
	struct lp_batch b;
	lp_batch_init(&b);
	const int64_t now = 1700000000123456789ll;
	if (lp_parse(&b, text, len, LP_PREC_NS, now) == 0) {
		check_batch(&b);
		if (lp_parse(&b, text, len, LP_PREC_S, now) == 0)
			check_batch(&b);
	}
	lp_batch_free(&b);
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
	char *text = (char *)fuzz_guarded_copy(data, size);
	if (!text)
		return 0;
	run(text, size);
	fuzz_oom_begin(data, size);
	run(text, size);
	fuzz_oom_end();
	return 0;
}
