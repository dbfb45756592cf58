/*
 * fuzz_util: helpers shared by the libFuzzer targets in tests/fuzz/ (each
 * fuzz_<name>.c includes this once; everything here is static).
 *
 * Conventions of every target:
 *   - LLVMFuzzerTestOneInput decodes the input as the untrusted bytes of
 *     one decoder, frees everything it got back (ASan reports leaks) and
 *     returns 0; an error return from the decoder is fine, a crash, leak,
 *     sanitizer report or failed FUZZ_CHECK is a finding.
 *   - fuzz_oom_pass(): after the normal pass, a target runs the decoder a
 *     second time with mem_fail_after(k), k chosen from a hash of the
 *     input, so that the out-of-memory cleanup paths are fuzzed too (they
 *     must return an error and leak nothing).
 *   - open findings: a check that hits a bug already reported to the
 *     module's owner (listed in tests/fuzz/README.md, with its regression
 *     input in the corpus) asks fuzz_known(id), which tolerates it so the
 *     target keeps searching for new bugs - unless STRATA_FUZZ_STRICT=1,
 *     which makes every open finding fail again. Delete the call once the
 *     bug is fixed.
 *   - decoders get their input through fuzz_guarded_copy(): the bytes end
 *     exactly at an inaccessible page and everything before them is
 *     ASan-poisoned, so a read past the end faults even when it happens
 *     inside libc (strlen, printf's %s, strtod), which ASan does not see,
 *     and a read before the start is an ASan report.
 *   - logging is turned down to errors so that the fuzzer's output stays
 *     readable (STRATA_FUZZ_LOG=1 keeps the default level).
 */
#ifndef STRATA_TESTS_FUZZ_UTIL_H
#define STRATA_TESTS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>
#include <sys/mman.h>

#include "base/column.h"
#include "base/datatype.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant the decoder promises; abort (a finding) when it fails. */
#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (err: %s)\n",     \
				__FILE__, __LINE__, #cond, err_msg());                     \
			abort();                                                           \
		}                                                                          \
	} while (0)

static inline void fuzz_quiet(void)
{
	const char *v = getenv("STRATA_FUZZ_LOG");
	if (!v || !*v || *v == '0')
		log_set_level(LOG_ERROR);
}

/* An open finding `id` was hit: 1 = tolerate it (default), 0 = report
 * it (STRATA_FUZZ_STRICT=1). */
static inline int fuzz_known(const char *id)
{
	const char *v = getenv("STRATA_FUZZ_STRICT");
	if (v && *v && *v != '0') {
		fprintf(stderr, "open finding %s hit\n", id);
		return 0;
	}
	return 1;
}

/* Copy p[0, n) so that it ends right before a PROT_NONE page (see the top
 * of the file). The copy stays valid until the next call. NULL when n is
 * over 1 MiB (targets cap their input far below that). */
static inline uint8_t *fuzz_guarded_copy(const uint8_t *p, size_t n)
{
	static uint8_t *base;
	const size_t cap = 1u << 20, page = 4096;
	if (!base) {
		void *m = mmap(NULL, cap + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (m == MAP_FAILED || mprotect((uint8_t *)m + cap, page, PROT_NONE)) {
			perror("fuzz_guarded_copy");
			abort();
		}
		base = m;
	}
	if (n > cap)
		return NULL;
	ASAN_UNPOISON_MEMORY_REGION(base, cap);
	ASAN_POISON_MEMORY_REGION(base, cap - n);
	if (n)
		memcpy(base + cap - n, p, n);
	return base + cap - n;
}

/* FNV-1a of the input: picks the failing allocation of the OOM pass. */
static inline uint64_t fuzz_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Set while the OOM pass runs: checks that would misread an allocation
 * failure as a wrong result look at it. */
static int fuzz_oom_active;

/* Arm mem_fail_after for the OOM pass (k in [0, 64)); fuzz_oom_end
 * switches failures off again. */
static inline void fuzz_oom_begin(const uint8_t *p, size_t n)
{
	fuzz_oom_active = 1;
	mem_fail_after((long)(fuzz_hash(p, n) % 64));
}

static inline void fuzz_oom_end(void)
{
	mem_fail_after(-1);
	fuzz_oom_active = 0;
	err_clear();
}

/* Walk every value of a decoded batch (so that ASan sees any bad pointer
 * or length) and check the batch invariants: every column holds nrows
 * values, string offsets start at 0, never decrease and stay inside the
 * byte buffer. Returns a checksum so the reads are not optimised away. */
static inline uint64_t fuzz_walk_batch(const struct batch *b)
{
	uint64_t sum = 0;
	FUZZ_CHECK(b->ncols == 0 || b->cols != NULL);
	for (uint32_t c = 0; c < b->ncols; c++) {
		const struct colvec *v = &b->cols[c];
		FUZZ_CHECK(v->len == b->nrows);
		FUZZ_CHECK((unsigned)v->type < DT__COUNT);
		for (uint32_t i = 0; i < v->len; i++) {
			if (v->validity)
				sum += (v->validity[i / 8] >> (i % 8)) & 1;
			switch (dtype_phys(v->type)) {
			case PHYS_I64:
				sum += (uint64_t)v->i64[i];
				break;
			case PHYS_F64:
				sum += (uint64_t)(v->f64[i] == v->f64[i]);
				break;
			case PHYS_BYTES: {
				if (i == 0)
					FUZZ_CHECK(v->offs[0] == 0);
				FUZZ_CHECK(v->offs[i] <= v->offs[i + 1]);
				FUZZ_CHECK(v->offs[i + 1] <= v->bytes_cap);
				for (uint32_t k = v->offs[i]; k < v->offs[i + 1]; k++)
					sum += (uint8_t)v->bytes[k];
				break;
			}
			}
		}
	}
	return sum;
}

#endif
