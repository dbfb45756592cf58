# Strata build. `make run` and `make test` are the two user-facing commands
# (see README.md); both install what they need first (scripts/install-deps.sh).
#
# Layout: every src/<module>/*.c except src/cmd/ goes into libstrata.a; the
# strata binary is src/cmd/*.c; every tests/unit/test_*.c is one cmocka
# binary. Two build trees: build/ (optimised) and build-asan/ (ASan+UBSan).

CC ?= cc
comma := ,
BUILD ?= build
SAN ?= 0

WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Werror
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g -pthread -Isrc -I$(BUILD)/gen $(WARN)
ifeq ($(SAN),1)
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
OPT := -O2
endif
CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(EXTRA_CFLAGS)
LDFLAGS_ALL := -pthread $(if $(filter 1,$(SAN)),-fsanitize=address$(comma)undefined)
LIBS := -lzstd -lcjson -lcurl -lssl -lcrypto -lsqlite3 -lmicrohttpd -lprotobuf-c -lm

LIB_SRC := $(filter-out src/cmd/%,$(wildcard src/*/*.c))
CMD_SRC := $(wildcard src/cmd/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
HELPER_SRC := $(wildcard tests/helpers/*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ := $(CMD_SRC:%.c=$(BUILD)/%.o)
HELPER_OBJ := $(HELPER_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c) $(wildcard bench/*.c)
TOOL_BIN := $(patsubst %.c,$(BUILD)/%,$(TOOL_SRC))

include mk/proto.mk
include mk/fuzz.mk
include mk/console.mk

.PHONY: all build asan deps test-deps run test unit clean format bench soak

all: build

build: $(BUILD)/strata $(UNIT_BIN) $(TOOL_BIN)

$(BUILD)/libstrata.a: $(LIB_OBJ) $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/strata: $(CMD_OBJ) $(BUILD)/libstrata.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CMD_OBJ) $(BUILD)/libstrata.a $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(HELPER_OBJ) $(BUILD)/libstrata.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $< $(HELPER_OBJ) $(BUILD)/libstrata.a $(LIBS) -lcmocka $(LDFLAGS_ALL)

$(BUILD)/tests/tools/%: tests/tools/%.c $(HELPER_OBJ) $(BUILD)/libstrata.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $< $(HELPER_OBJ) $(BUILD)/libstrata.a $(LIBS) $(LDFLAGS_ALL)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libstrata.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libstrata.a $(LIBS) $(LDFLAGS_ALL)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -MMD -MP -c -o $@ $<

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(HELPER_OBJ:.o=.d)

asan:
	$(MAKE) BUILD=build-asan SAN=1 build

deps:
	scripts/install-deps.sh run

test-deps:
	scripts/install-deps.sh test

# The README's database command.
run: deps
	$(MAKE) build
	$(BUILD)/strata cluster start --datanodes 3 --data-home ./strata_data/cluster

# The README's test command: every suite, optimised and under ASan+UBSan.
test: test-deps
	$(MAKE) build
	$(MAKE) asan
	tests/run.sh

unit: build
	tests/run.sh --unit-only

bench: build
	bench/run.sh

# Bounded soak of a 3-datanode cluster (SOAK_SECONDS, default 180): mixed
# ingest and queries with followers; memory, fds and logs checked.
soak: test-deps build
	/usr/bin/python3 tests/soak/soak.py

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan
