/*
 * fuzz_manifest: the manifest object decoder (storage/manifest.h
 * manifest_decode, the code manifest_open runs on every delta and
 * checkpoint it reads from the object store) on arbitrary bytes.
 *
 * Input: u8 selector, then the object's bytes.
 *   v = selector >> 1 (0..127)
 *   selector bit 0 set: the checkpoint of version v
 *   otherwise: delta v applied to an empty state and, when that works,
 *              the same bytes again as delta v+1 on top (so adds replace
 *              and removes hit)
 * On success the state must be sane: its version, unique file ids of
 * 1..39 characters of [A-Za-z0-9_-], ts_min <= ts_max, a schema that
 * validates when there is one. Then an OOM pass.
 */
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "storage/manifest.h"

static void check_state(const struct manifest_state *s, uint64_t version)
{
	FUZZ_CHECK(s->version == version);
	FUZZ_CHECK(s->nfiles == 0 || s->files != NULL);
	for (uint32_t i = 0; i < s->nfiles; i++) {
		const struct manifest_file *f = &s->files[i];
		size_t n = strnlen(f->file_id, sizeof(f->file_id));
		FUZZ_CHECK(n >= 1 && n < sizeof(f->file_id));
		FUZZ_CHECK(strspn(f->file_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					      "0123456789_-") == n);
		FUZZ_CHECK(f->ts_min <= f->ts_max);
		for (uint32_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(f->file_id, s->files[j].file_id) != 0);
	}
	if (s->schema)
		FUZZ_CHECK(region_schema_validate(s->schema) == 0);
}

static void run(const uint8_t *p, size_t n, int check)
{
	if (n < 1)
		return;
	struct manifest_state s;
	memset(&s, 0, sizeof(s));
	uint64_t v = p[0] >> 1;
	if (p[0] & 1) {
		if (manifest_decode(p + 1, n - 1, true, v, &s) == 0 && check)
			check_state(&s, v);
	} else if (manifest_decode(p + 1, n - 1, false, v, &s) == 0) {
		if (check)
			check_state(&s, v);
		if (manifest_decode(p + 1, n - 1, false, v + 1, &s) == 0 && check)
			check_state(&s, v + 1);
	}
	manifest_state_free(&s);
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
