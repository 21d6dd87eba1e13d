# clusterd: one plain GNU Makefile (STYLE B25).
#   make            build ./clusterd
#   make run        install missing packages, build, start --all-in-one
#   make test       install test packages, then unit + corpus replay + integration
#   make SANITIZE=address,undefined test
#   make fuzz       build the libFuzzer targets with clang (tests/fuzz/README.md)
.SUFFIXES:

CC ?= cc
PREFIX ?= /usr/local
WERROR ?= 1
SANITIZE ?=
BUILD ?= build
PYTHON ?= /usr/bin/python3

PKGS := libevent jansson lmdb libcurl libarchive
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
	-Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
	-Wformat=2 -Wundef -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS ?= -O2 -g
VERSION := 0.1.0
CFLAGS += -std=c11 -D_GNU_SOURCE -DCLUSTERD_VERSION='"$(VERSION)"' -fno-common -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 $(WARN) -I. $(PKG_CFLAGS)
LDLIBS := $(PKG_LIBS) -lzookeeper_mt -lpthread -lm

ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
BUILD := build-san
endif

DIRS := lib master agent scheduler containerizer cmd
# Role folders may have one level of subfolders by subject (scheduler/app/ ...).
SRCS := $(foreach d,$(DIRS),$(wildcard $(d)/*.c $(d)/*/*.c))
HDRS := $(foreach d,$(DIRS),$(wildcard $(d)/*.h $(d)/*/*.h))
OBJS := $(SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/cmd/main.o
LIB_OBJS := $(filter-out $(MAIN_OBJ),$(OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/fuzz/%-replay)

# libFuzzer (STYLE B28): clang, the project objects instrumented in their own
# directory, UBSan made fatal so that the fuzzer sees it as a crash.
FUZZ_CC ?= clang
FUZZ_DIR := build-fuzz
FUZZ_SAN := address,undefined
FUZZ_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OBJS := $(filter-out $(FUZZ_DIR)/obj/cmd/main.o,$(SRCS:%.c=$(FUZZ_DIR)/obj/%.o))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)

all: clusterd

clusterd: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

$(BUILD)/tests/fuzz/%-replay: tests/fuzz/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DTEST_DRIVER $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

-include $(OBJS:.o=.d)
-include $(wildcard $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/obj/*/*/*.d)

.PHONY: all run deps test-deps unit it replay test check-deps check-cycles check-headers \
	format-check install clean fuzz fuzz-deps fuzz-build

deps:
	@sh tools/install-deps.sh run

test-deps:
	@sh tools/install-deps.sh test

fuzz-deps:
	@sh tools/install-deps.sh fuzz

# make fuzz: install clang, then build every tests/fuzz/fuzz_*.c into
# build-fuzz/ (run them as tests/fuzz/README.md says).
fuzz: fuzz-deps
	$(MAKE) fuzz-build

fuzz-build: $(FUZZ_BINS)
# Keep the instrumented objects: they are only reached through a pattern rule.
.SECONDARY: $(FUZZ_OBJS)

# make bench: install wrk (tools/install-deps.sh bench), build clusterd and
# bench/sim_{alloc,agents}, then run every benchmark of SPEC section 9 side by side
# (bench/run.sh: private dockerds, loopback only, about 20 minutes). Results
# go to bench/results/. Never part of make test.
.PHONY: bench bench-deps bench-build
BENCH_BINS := $(BUILD)/bench/sim_alloc $(BUILD)/bench/sim_agents

bench-deps:
	@sh tools/install-deps.sh bench

bench: bench-deps
	$(MAKE) bench-build
	sh bench/run.sh $(BENCH_ARGS)

bench-build: clusterd $(BENCH_BINS)

$(BUILD)/bench/%: bench/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

run: deps
	$(MAKE) clusterd
	./clusterd --all-in-one $(RUN_FLAGS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

replay: $(FUZZ_REPLAY)
	@set -e; for t in $(FUZZ_REPLAY); do \
		n=$$(basename $$t -replay); n=$${n#fuzz_}; \
		echo "== replay $$n"; $$t tests/fuzz/corpus/$$n/*; done

it: clusterd
	CLUSTERD_BIN=$(CURDIR)/clusterd $(PYTHON) -m pytest -ra $(PYTEST_ARGS) tests/it

test: test-deps
	$(MAKE) check-deps
	$(MAKE) clusterd
	$(MAKE) unit
	$(MAKE) replay
	$(MAKE) it

check-deps:
	@sh tools/check-deps.sh

# File-level call cycles, from the linker's view of the objects (nm): none
# larger than 3 files, and each smaller one documented where it lives.
check-cycles: clusterd
	@$(PYTHON) tools/check-cycles.py $(BUILD)

check-headers:
	@set -e; for h in $(HDRS); do \
		echo '#include "'$$h'"' | $(CC) $(CFLAGS) -x c -fsyntax-only - ; done

format-check:
	@clang-format --dry-run --Werror $(SRCS) $(HDRS)

install: clusterd
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)/lib/systemd/system
	install -m 0755 clusterd $(DESTDIR)$(PREFIX)/sbin/clusterd
	install -m 0644 systemd/*.service $(DESTDIR)/lib/systemd/system/

clean:
	rm -rf build build-san build-fuzz clusterd
