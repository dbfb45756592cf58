/*
 * fuzz_pk_codec: pk_decode (storage/pk_codec.h), the memcomparable
 * primary keys read back from SST files, on arbitrary bytes.
 *
 * Input: u8 selector (schema: selector % 3), then the key. Schemas (tags in
 * primary-key order): 0 = one STRING; 1 = INT64, STRING, UINT32;
 * 2 = BINARY, FLOAT64, BOOL, STRING, TS_MS. On success the format must be
 * canonical: pk_encode_datums of the decoded values gives back exactly
 * the input bytes, and decoded strings lie inside the input. Then an OOM
 * pass.
 */
#include <string.h>

#include "base/buf.h"
#include "fuzz/fuzz_util.h"
#include "storage/pk_codec.h"
#include "storage/schema.h"

#define MAX_TAGS 5

static struct region_schema schemas[3];
static struct column_schema cols[3][MAX_TAGS + 1];
static uint32_t pks[3][MAX_TAGS];

static void make(int k, const enum dtype *tags, uint32_t ntags)
{
	static char names[3][MAX_TAGS + 1][8];
	struct region_schema *s = &schemas[k];
	s->ncols = ntags + 1;
	s->cols = cols[k];
	s->npk = ntags;
	s->pk_cols = pks[k];
	s->ts_col = ntags;
	for (uint32_t i = 0; i <= ntags; i++) {
		snprintf(names[k][i], sizeof(names[k][i]), "c%u", i);
		cols[k][i].name = names[k][i];
		cols[k][i].type = i < ntags ? tags[i] : DT_TS_MS;
		cols[k][i].sem = i < ntags ? SEM_TAG : SEM_TIMESTAMP;
		cols[k][i].nullable = i < ntags;
		cols[k][i].column_id = i;
		if (i < ntags)
			pks[k][i] = i;
	}
	FUZZ_CHECK(region_schema_validate(s) == 0);
}

static void run(const uint8_t *p, size_t n, int check)
{
	if (n < 1)
		return;
	const struct region_schema *s = &schemas[p[0] % 3];
	p++;
	n--;
	struct datum vals[MAX_TAGS];
	memset(vals, 0, sizeof(vals));
	if (pk_decode(s, p, n, vals))
		return;
	if (!check)
		return;
	for (uint32_t i = 0; i < s->npk; i++) {
		const struct datum *d = &vals[i];
		if (!d->is_null && dtype_phys(s->cols[s->pk_cols[i]].type) == PHYS_BYTES)
			FUZZ_CHECK(d->v.s.n == 0 || ((const uint8_t *)d->v.s.p >= p &&
						     (const uint8_t *)d->v.s.p + d->v.s.n <= p + n));
	}
	struct buf out;
	buf_init(&out);
	if (pk_encode_datums(s, vals, &out) == 0)
		FUZZ_CHECK(out.len == n && (n == 0 || memcmp(out.data, p, n) == 0));
	buf_free(&out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	static const enum dtype s0[] = {DT_STRING};
	static const enum dtype s1[] = {DT_INT64, DT_STRING, DT_UINT32};
	static const enum dtype s2[] = {DT_BINARY, DT_FLOAT64, DT_BOOL, DT_STRING, DT_TS_MS};
	make(0, s0, 1);
	make(1, s1, 3);
	make(2, s2, 5);
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
