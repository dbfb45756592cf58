# proto.mk: protobuf-c code generation for the internal RPC (src/rpc/).
#
# Included by the Makefile after LIB_OBJ, CMD_OBJ and HELPER_OBJ are
# defined. For every proto/<name>.proto it generates
#     $(BUILD)/gen/proto/<name>.pb-c.c and .h   (protoc-c --c_out=$(BUILD)/gen)
# compiles the .c into $(BUILD)/gen/proto/<name>.pb-c.o, and lists those
# objects in PROTO_OBJ, which the Makefile adds to libstrata.a. Sources
# include the headers as "proto/<name>.pb-c.h" (-I$(BUILD)/gen). Every
# source object waits for the generated headers (order-only: -MMD tracks
# the real dependency after the first build).

PROTOC_C ?= protoc-c
# Rules here must not become the default goal when included early.
proto_saved_goal := $(.DEFAULT_GOAL)
PROTO_SRC := $(wildcard proto/*.proto)
PROTO_GEN_C := $(PROTO_SRC:proto/%.proto=$(BUILD)/gen/proto/%.pb-c.c)
PROTO_GEN_H := $(PROTO_SRC:proto/%.proto=$(BUILD)/gen/proto/%.pb-c.h)
PROTO_OBJ := $(PROTO_GEN_C:.c=.o)
# Generated code compiles cleanly today; never let a new compiler warning in
# code we do not write break the build.
PROTO_CFLAGS := -Wno-error

# One protoc-c run writes both files (a grouped pattern rule). Any .proto
# may be imported by another, so regenerate on a change to any of them.
$(BUILD)/gen/proto/%.pb-c.c $(BUILD)/gen/proto/%.pb-c.h: proto/%.proto $(PROTO_SRC)
	@mkdir -p $(BUILD)/gen
	$(PROTOC_C) --proto_path=. --c_out=$(BUILD)/gen $<

.SECONDARY: $(PROTO_GEN_C) $(PROTO_GEN_H)

$(PROTO_OBJ): $(BUILD)/gen/proto/%.pb-c.o: $(BUILD)/gen/proto/%.pb-c.c | $(PROTO_GEN_H)
	$(CC) $(CFLAGS_ALL) $(PROTO_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_OBJ) $(CMD_OBJ) $(HELPER_OBJ): | $(PROTO_GEN_H)

-include $(PROTO_OBJ:.o=.d)

.DEFAULT_GOAL := $(proto_saved_goal)
