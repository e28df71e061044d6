# petrel: one binary, build/petrel. `make` builds, `make test` runs every test,
# `make run` starts a development server on ./var (see README.md).

CC      ?= gcc
PKGS    := openssl libevent_core libevent_pthreads sqlite3 libcrypt inih libutf8proc zlib
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

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*/*.c src/*/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test test-unit test-asan fuzz run clean bench
all: $(BUILD)/petrel $(UNIT_BIN)

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

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libpetrel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libpetrel.a $(LDLIBS)

# The mixed-session load generator of the benchmark (bench/loadgen/loadgen.c):
# libc only, not part of `all`.
$(BUILD)/loadgen: bench/loadgen/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

test: all
	scripts/install-deps --test
	tests/run-all

test-unit: $(UNIT_BIN)
	tests/run-all --only unit

test-asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g" SAN="$(ASAN_SAN)" all
	PETREL_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run-all

build-fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Isrc $(shell pkg-config --cflags $(PKGS)) \
		-o $@ $< $(LIB_SRC) $(LDLIBS)

fuzz: $(FUZZ_BIN)
	scripts/fuzz-run $(FUZZ_TIME) $(FUZZ_BIN)

run:
	scripts/dev-run

# `make bench`: petrel and Dovecot side by side over IMAP on 127.0.0.1
# (bench/README.md): the scale figures of a 100,000-message mailbox, idle
# sessions, and 1/10/100 clients running a mixed session; `make bench
# QUICK=1` in under 2 minutes. Prints a table, writes build/bench/results.json.
bench: $(BUILD)/petrel $(BUILD)/loadgen
	scripts/install-deps --bench
	python3 bench/run.py --petrel $(BUILD)/petrel --loadgen $(BUILD)/loadgen $(if $(filter-out 0 no,$(QUICK)),--quick)

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d
