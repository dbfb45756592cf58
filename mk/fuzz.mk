# Fuzzing with libFuzzer (clang). Included from the top-level Makefile:
#     include mk/fuzz.mk
#
#   make fuzz-build   libstrata built with clang + ASan/UBSan + fuzzer
#                     coverage into build-fuzz/, and one binary per
#                     tests/fuzz/fuzz_<name>.c: build-fuzz/fuzz_<name>
#   make fuzz         runs every target for FUZZ_SECONDS (60) seconds from
#                     its seed corpus tests/fuzz/corpus/<name>/ (new inputs go
#                     to build-fuzz/corpus/<name>/); fails on any crash,
#                     leak, timeout, OOM or sanitizer report
#   make fuzz-smoke   the same for 10 seconds per target
#   make fuzz-one T=sql_parser [FUZZ_SECONDS=..]  a single target
#
# Everything here is prefixed FUZZ_ / fuzz- so it cannot collide with the
# main Makefile's variables and targets. The libFuzzer runtime comes with
# Debian's clang (package libclang-rt-14-dev).

FUZZ_CC ?= clang
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fsanitize-ignorelist=tests/fuzz/ubsan_ignore.txt
FUZZ_WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Werror
# Warnings clang raises in other modules' files that gcc does not (reported
# to their owners; kept narrow): none so far.
FUZZ_WNO :=
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -pthread -Isrc \
	-I$(FUZZ_BUILD)/gen $(FUZZ_WARN) $(FUZZ_WNO) $(FUZZ_SAN)
FUZZ_LIBS := -lzstd -lcjson -lcurl -lssl -lcrypto -lsqlite3 -lmicrohttpd -lprotobuf-c -lm

FUZZ_LIB_SRC := $(filter-out src/cmd/%,$(wildcard src/*/*.c))
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
# tests/fuzz/helper_*.c: code shared by targets, linked into every one
FUZZ_HELPER_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(wildcard tests/fuzz/helper_*.c))
# (only named in a pattern rule: keep make from deleting them as intermediates)
.SECONDARY: $(FUZZ_HELPER_OBJ)

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-one fuzz-seeds fuzz-clean

fuzz-build: $(FUZZ_BIN)

$(FUZZ_BUILD)/libstrata.a: $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Library objects: coverage instrumentation only (no libFuzzer main).
$(FUZZ_BUILD)/src/%.o: src/%.c tests/fuzz/ubsan_ignore.txt
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/tests/fuzz/%.o: tests/fuzz/%.c $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_HELPER_OBJ) \
		$(FUZZ_BUILD)/libstrata.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests -fsanitize=fuzzer -o $@ $< $(FUZZ_HELPER_OBJ) \
		$(FUZZ_BUILD)/libstrata.a $(FUZZ_LIBS)

# Seed generator (plain build of the same library, no fuzzer main).
$(FUZZ_BUILD)/gen_seeds: tests/fuzz/gen_seeds.c $(FUZZ_BUILD)/libstrata.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests -fsanitize=fuzzer-no-link -o $@ $< \
		$(FUZZ_BUILD)/libstrata.a $(FUZZ_LIBS)

-include $(FUZZ_LIB_OBJ:.o=.d)

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	tests/fuzz/run.sh 10

fuzz-one: fuzz-build
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(T)

# Regenerate the binary seeds (parquet files, batches, packets, WAL
# segments) under tests/fuzz/corpus/.
fuzz-seeds: $(FUZZ_BUILD)/gen_seeds
	$(FUZZ_BUILD)/gen_seeds tests/fuzz/corpus

fuzz-clean:
	rm -rf $(FUZZ_BUILD)
