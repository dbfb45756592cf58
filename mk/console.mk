# console.mk: the web console (console/*) built into libstrata.
#
# Included by the Makefile after mk/fuzz.mk. mk/embed_console.sh turns the
# files console/*.{html,js,css,svg} into $(BUILD)/gen/console_assets.c
# (byte arrays + a table, see src/server/console_assets.h); its object is
# added to libstrata.a (and to the fuzz build's libstrata.a) as an extra
# prerequisite: both archive rules pack $^. Any change to a console file or
# to the script regenerates it.

console_saved_goal := $(.DEFAULT_GOAL)
CONSOLE_SRC := $(sort $(wildcard console/*.html console/*.js console/*.css console/*.svg))
CONSOLE_GEN := $(BUILD)/gen/console_assets.c
CONSOLE_OBJ := $(BUILD)/gen/console_assets.o

$(CONSOLE_GEN): $(CONSOLE_SRC) mk/embed_console.sh
	@mkdir -p $(dir $@)
	sh mk/embed_console.sh $@ $(CONSOLE_SRC)

$(CONSOLE_OBJ): $(CONSOLE_GEN) src/server/console_assets.h
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/libstrata.a: $(CONSOLE_OBJ)

FUZZ_CONSOLE_OBJ := $(FUZZ_BUILD)/gen/console_assets.o
$(FUZZ_CONSOLE_OBJ): $(CONSOLE_GEN) src/server/console_assets.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libstrata.a: $(FUZZ_CONSOLE_OBJ)

.DEFAULT_GOAL := $(console_saved_goal)
