# petrel: one binary, build/petrel. `make` builds, `make test` runs every test,
# `make run` starts a development server on ./var (see README.md).

CC      ?= gcc
PKGS    := openssl libevent_core libevent_pthreads sqlite3 libcrypt inih libutf8proc zlib libzstd libpq
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  := $(OPT) $(SAN) -std=c17 -D_GNU_SOURCE $(WARN) -Isrc $(shell pkg-config --cflags $(PKGS))
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lpthread
BUILD   ?= build

# `make test-asan`: the same suite against a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (any report fails the run).
ASAN_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# `make fuzz`: libFuzzer targets built with clang, FUZZ_TIME seconds each.
FUZZ_TIME ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE -g -O1 -fno-sanitize-recover=all $(WARN) -Isrc \
	$(shell pkg-config --cflags $(PKGS))

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*/*.c src/*/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test test-unit test-asan fuzz run clean bench
all: $(BUILD)/petrel $(UNIT_BIN) $(BUILD)/store-contract $(BUILD)/pg-base-test

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libpetrel.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The server runs on jemalloc (docs/ARCHITECTURE.md: memory): freed output
# goes back to the system instead of staying in glibc's arenas. Not in the
# sanitizer builds, whose runtime brings its own allocator.
ifeq ($(SAN),)
MALLOC_DEF  := -DPETREL_JEMALLOC
MALLOC_LIBS := $(shell pkg-config --libs jemalloc)
endif

$(BUILD)/src/main.o: CFLAGS += $(MALLOC_DEF)

$(BUILD)/petrel: $(BUILD)/src/main.o $(BUILD)/libpetrel.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(MALLOC_LIBS)

# Every object and binary also writes a .d file of the headers it includes
# (-MMD -MP, included at the end), so a header change rebuilds exactly what
# includes it: unit binaries (build/tests/test-X.d) and fuzz targets too.
# A binary without its .d (made before it had one) is rebuilt once.
.SECONDEXPANSION:
NO_DEPFILE = $$(if $$(wildcard $$@.d),,FORCE)
FORCE:
.PHONY: FORCE
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libpetrel.a $(NO_DEPFILE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP -MF $@.d -MT $@ -o $@ $< $(BUILD)/libpetrel.a $(LDLIBS)

# The store contract suite (tests/store-contract/): one program of several
# files, against store.h only; run by tests/run-all as suite store-contract.
CONTRACT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/store-contract/*.c))
$(BUILD)/store-contract: $(CONTRACT_OBJ) $(BUILD)/libpetrel.a
	$(CC) $(CFLAGS) -o $@ $(CONTRACT_OBJ) $(BUILD)/libpetrel.a $(LDLIBS)

# The PostgreSQL backend's base against a server tests/pg/test_pg.py starts
# (suite pg-base): one program taking a conninfo.
PG_TEST_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/pg/*.c))
$(BUILD)/pg-base-test: $(PG_TEST_OBJ) $(BUILD)/libpetrel.a
	$(CC) $(CFLAGS) -o $@ $(PG_TEST_OBJ) $(BUILD)/libpetrel.a $(LDLIBS)

# The mixed-session load generator of the benchmark (bench/loadgen/loadgen.c):
# libc only, not part of `all`.
$(BUILD)/loadgen: bench/loadgen/loadgen.c $(NO_DEPFILE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d -MT $@ -o $@ $<

test: all
	scripts/install-deps --test
	tests/run-all

test-unit: $(UNIT_BIN)
	tests/run-all --only unit

test-asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g" SAN="$(ASAN_SAN)" all
	PETREL_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run-all

# Fuzz targets: the library built once with libFuzzer's coverage
# instrumentation (fuzzer-no-link), each target's own file with the fuzzer's
# main, linked together.
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

build-fuzz/libpetrel.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BIN): build-fuzz/%: build-fuzz/obj/tests/fuzz/%.o build-fuzz/libpetrel.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz: $(FUZZ_BIN)
	scripts/fuzz-run $(FUZZ_TIME) $(FUZZ_BIN)

run:
	scripts/dev-run

# `make bench`: petrel and Dovecot side by side over IMAP on 127.0.0.1
# (bench/README.md): the scale figures of a 100,000-message mailbox, APPEND
# rates (one session pipelined, four sessions at once), memory per connected
# user (one TLS IDLE session each) and per idle session, the data directory
# over the raw mail, 1/10/100 clients running a mixed session, and imaptest's
# stress mix; `make bench QUICK=1` is the short run. Prints a table, writes
# build/bench/results.json.
bench: $(BUILD)/petrel $(BUILD)/loadgen
	scripts/install-deps --bench
	python3 bench/run.py --petrel $(BUILD)/petrel --loadgen $(BUILD)/loadgen $(if $(filter-out 0 no,$(QUICK)),--quick)

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d $(UNIT_BIN:%=%.d) $(BUILD)/loadgen.d \
	$(CONTRACT_OBJ:.o=.d) $(PG_TEST_OBJ:.o=.d)
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_SRC:%.c=build-fuzz/obj/%.d)
