/*
 * fuzz_column_codec: batch_decode (base/column_codec.h) on arbitrary
 * bytes, the WAL payload / RPC row format.
 *
 * On success: the batch invariants hold (fuzz_walk_batch); its encoding
 * is batch_encoded_size() bytes, no longer than the input, decodes to the
 * same values and nulls and re-encodes to the same bytes. (The input
 * itself need not be canonical: a column may carry a validity bitmap
 * without any null, which the encoder does not write.) Then an OOM pass.
 */
#include <string.h>

#include "base/buf.h"
#include "base/column_codec.h"
#include "fuzz/fuzz_util.h"

/* Same values (and nulls) in the same places. */
static void check_equal(const struct batch *a, const struct batch *b)
{
	FUZZ_CHECK(a->nrows == b->nrows && a->ncols == b->ncols);
	for (uint32_t c = 0; c < a->ncols; c++) {
		FUZZ_CHECK(a->cols[c].type == b->cols[c].type);
		for (uint32_t i = 0; i < a->nrows; i++) {
			FUZZ_CHECK(colvec_is_null(&a->cols[c], i) == colvec_is_null(&b->cols[c], i));
			if (colvec_is_null(&a->cols[c], i))
				continue;
			if (dtype_phys(a->cols[c].type) == PHYS_F64) {
				/* compare bit patterns: NaN != NaN as doubles */
				FUZZ_CHECK(memcmp(&a->cols[c].f64[i], &b->cols[c].f64[i],
						  sizeof(double)) == 0);
				continue;
			}
			FUZZ_CHECK(colvec_eq(&a->cols[c], i, &b->cols[c], i));
		}
	}
}

static void run(const uint8_t *p, size_t n, int check)
{
	struct batch b, b2;
	struct buf e1, e2;
	buf_init(&e1);
	buf_init(&e2);
	memset(&b2, 0, sizeof(b2));
	if (batch_decode(p, n, &b))
		return;
	fuzz_walk_batch(&b);
	if (!check || batch_encode(&b, &e1))
		goto out;
	FUZZ_CHECK(batch_encoded_size(&b) == e1.len);
	/* the encoding of a decoded batch decodes to the same values and is a
	 * fixed point of decode + encode (the input itself may differ only in
	 * a validity flag without nulls) */
	FUZZ_CHECK(e1.len <= n);
	int rc = batch_decode(e1.data, e1.len, &b2);
	FUZZ_CHECK(rc == 0 || rc == ERR_NOMEM);
	if (rc)
		goto out;
	check_equal(&b, &b2);
	if (batch_encode(&b2, &e2) == 0)
		FUZZ_CHECK(e2.len == e1.len && memcmp(e1.data, e2.data, e1.len) == 0);
out:
	buf_free(&e1);
	buf_free(&e2);
	batch_free(&b);
	batch_free(&b2);
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
	run(p, size, 1);
	fuzz_oom_begin(data, size);
	run(p, size, 0);
	fuzz_oom_end();
	return 0;
}
