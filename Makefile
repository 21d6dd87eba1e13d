# clusterd: one plain GNU Makefile (STYLE B25).
#   make            build ./clusterd
#   make run        install missing packages, build, start --all-in-one
#   make test       install test packages, then unit + corpus replay + integration
#   make SANITIZE=address,undefined test
#   make FAULT=1    the fault build (-DCD_FAULT, lib/fault.h) in build-fault/
#   make faultsim   the whole fault loop (tests/it/test_t8_faultsim.py)
#   make fuzz       build the libFuzzer targets with clang (tests/fuzz/README.md)
#   make deb        build clusterd_<version>_<arch>.deb (tools/mkdeb.sh)
#   make man        the man page clusterd(8), generated from the flag table
.SUFFIXES:

CC ?= cc
PREFIX ?= /usr/local
WERROR ?= 1
SANITIZE ?=
FAULT ?=
BUILD ?= build
PYTHON ?= /usr/bin/python3

PKGS := libevent libevent_openssl openssl jansson lmdb libcurl zlib ldns libarchive
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
# ThreadSanitizer objects cannot be linked with ASan ones: their own folder.
BUILD := build-san$(if $(findstring thread,$(SANITIZE)),-thread)
endif

# The fault build (STYLE B27.3): CD_FAULT() points compiled in and armed
# from CLUSTERD_FAULTS, in a directory of its own next to the release
# objects (build-fault/, or build-san-fault/ with SANITIZE). Its binary is
# $(BUILD)/clusterd; ./clusterd is always a release build.
FAULT_DIR := $(BUILD)-fault
ifeq ($(FAULT),1)
CFLAGS += -DCD_FAULT
BUILD := $(FAULT_DIR)
endif

DIRS := lib master agent scheduler containerizer ui cmd
# Role folders may have one level of subfolders by subject (scheduler/app/ ...).
SRCS := $(foreach d,$(DIRS),$(wildcard $(d)/*.c $(d)/*/*.c))
HDRS := $(foreach d,$(DIRS),$(wildcard $(d)/*.h $(d)/*/*.h))
# The web UI's files, embedded into a generated source in the build directory
# (tools/embed.sh; ui/ui_assets.h is its contract). Never committed.
UI_FILES := $(shell find ui/www ! -name '.*' 2>/dev/null)
UI_ASSETS_C := $(BUILD)/ui/ui_assets.c
OBJS := $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/ui/ui_assets.o
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
FUZZ_OBJS := $(filter-out $(FUZZ_DIR)/obj/cmd/main.o,$(SRCS:%.c=$(FUZZ_DIR)/obj/%.o)) \
	$(FUZZ_DIR)/obj/ui/ui_assets.o
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)

ifneq ($(FAULT),1)
all: clusterd

clusterd: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)
else
all: $(BUILD)/clusterd

clusterd:
	@echo "make FAULT=1 builds $(BUILD)/clusterd; ./clusterd stays a release build" >&2; exit 1
endif

# The same binary inside the build directory (make deb builds one of its own).
$(BUILD)/clusterd: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(UI_ASSETS_C): tools/embed.sh $(UI_FILES)
	@mkdir -p $(dir $@)
	sh tools/embed.sh ui/www $@

$(BUILD)/ui/ui_assets.o: $(UI_ASSETS_C) ui/ui_assets.h
	$(CC) $(CFLAGS) -c -o $@ $<

# What the unit tests share (a private directory, a loop runner, the
# master tests' fake framework).
UNIT_SHARED_OBJS := $(BUILD)/tests/unit/unit_util.o $(BUILD)/tests/unit/unit_fw.o

$(BUILD)/tests/unit/%: tests/unit/%.c $(UNIT_SHARED_OBJS) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(UNIT_SHARED_OBJS) $(LIB_OBJS) $(LDLIBS) -lcmocka

$(BUILD)/tests/fuzz/%-replay: tests/fuzz/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DTEST_DRIVER $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/obj/ui/ui_assets.o: $(UI_ASSETS_C) ui/ui_assets.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

-include $(OBJS:.o=.d)
-include $(wildcard $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/obj/*/*/*.d)

.PHONY: all run deps test-deps unit it replay test check-deps check-includes check-cycles check-headers \
	format-check install clean fuzz fuzz-deps fuzz-build man deb pkg-deps ui-size

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
# (bench/run.sh: private dockerds, loopback only, about 75 minutes). Results
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

# tests/zk/zk_drive: lib/zk, lib/leader and lib/zkstore on a real loop, driven
# by tests/it/test_t6_zk_*.py against a ZooKeeper those tests start.
ZK_DRIVE := $(BUILD)/tests/zk/zk_drive
.PHONY: zk-drive
zk-drive: $(ZK_DRIVE)

$(BUILD)/tests/zk/%: tests/zk/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

run: deps
	$(MAKE) clusterd
	./clusterd --all-in-one $(RUN_FLAGS)

# LSAN_OPTIONS: libzookeeper_mt's own leak at close (tests/lsan.supp).
unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
		LSAN_OPTIONS="suppressions=$(CURDIR)/tests/lsan.supp:$$LSAN_OPTIONS" $$t; done

replay: $(FUZZ_REPLAY)
	@set -e; for t in $(FUZZ_REPLAY); do \
		n=$$(basename $$t -replay); n=$${n#fuzz_}; \
		echo "== replay $$n"; $$t tests/fuzz/corpus/$$n/*; done

# The fault tests (t8) run the fault build's binaries: CLUSTERD_FAULT_BIN,
# and CLUSTERD_FAULT_ZK_DRIVE for the ZooKeeper fault loop.
FAULT_BIN := $(FAULT_DIR)/clusterd
FAULT_ZK_DRIVE := $(FAULT_DIR)/tests/zk/zk_drive
FAULT_ENV := CLUSTERD_FAULT_BIN=$(CURDIR)/$(FAULT_BIN) \
	CLUSTERD_FAULT_ZK_DRIVE=$(CURDIR)/$(FAULT_ZK_DRIVE)
.PHONY: fault-build faultsim
fault-build:
	$(MAKE) FAULT=1 $(FAULT_BIN) $(FAULT_ZK_DRIVE)

it: clusterd $(ZK_DRIVE) fault-build
	CLUSTERD_BIN=$(CURDIR)/clusterd CLUSTERD_ZK_DRIVE=$(CURDIR)/$(ZK_DRIVE) $(FAULT_ENV) \
		$(PYTHON) -m pytest -ra $(PYTEST_ARGS) tests/it

# make faultsim: the fault loop of tests/it/test_t8_faultsim.py in full
# (every scenario, every point, k = 1, 2, ... until no fault fires; long).
# make test runs a bounded version of it.
faultsim: clusterd $(ZK_DRIVE) fault-build
	CLUSTERD_BIN=$(CURDIR)/clusterd CLUSTERD_ZK_DRIVE=$(CURDIR)/$(ZK_DRIVE) $(FAULT_ENV) \
		CLUSTERD_FAULTSIM=full $(PYTHON) -m pytest -ra $(PYTEST_ARGS) \
		tests/it/test_t8_faultsim.py tests/it/test_t8_faultsim_zk.py

test: test-deps
	$(MAKE) check-deps
	$(MAKE) clusterd
	$(MAKE) unit
	$(MAKE) replay
	$(MAKE) it

# The include layering (tools/check-deps.sh with tools/layers.txt: role
# folders, their sub-folders, lib/ layers) and the file-level call cycles
# (tools/check-cycles.py, from the objects' symbols: none larger than 3
# files, each smaller one documented where it lives).
check-deps: check-includes check-cycles

check-includes:
	@sh tools/check-deps.sh

check-cycles: clusterd
	@$(PYTHON) tools/check-cycles.py $(BUILD)

check-headers:
	@set -e; for h in $(HDRS); do \
		echo '#include "'$$h'"' | $(CC) $(CFLAGS) -x c -fsyntax-only - ; done

format-check:
	@clang-format --dry-run --Werror $(SRCS) $(HDRS)

# The man page: tools/mkman.c prints the flag table of cmd/cmd_flags.c (the
# same table --help prints) into the prose of pkg/clusterd.8.in.
MAN := $(BUILD)/clusterd.8

$(BUILD)/tools/mkman: tools/mkman.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(MAN): $(BUILD)/tools/mkman pkg/clusterd.8.in
	$(BUILD)/tools/mkman pkg/clusterd.8.in $(VERSION) >$@.tmp
	mv $@.tmp $@

man: $(MAN)

# make ui-size: what the web UI costs on the wire (gzip), against its budget.
ui-size:
	@sh tools/embed.sh ui/www -

pkg-deps:
	@sh tools/install-deps.sh pkg

# make deb: clusterd_<version>_<arch>.deb in the repository root, built with
# dpkg-deb from a hardened build of its own (tools/mkdeb.sh; needs the `pkg`
# packages: lintian to check it).
deb: pkg-deps
	sh tools/mkdeb.sh $(VERSION)

install: clusterd $(MAN)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)/lib/systemd/system \
		$(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 clusterd $(DESTDIR)$(PREFIX)/sbin/clusterd
	for u in systemd/*.service; do \
		sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|' $$u >$(DESTDIR)/lib/systemd/system/$$(basename $$u); \
		chmod 0644 $(DESTDIR)/lib/systemd/system/$$(basename $$u); done
	install -m 0644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man8/clusterd.8

clean:
	rm -rf build build-san build-san-thread build-fault build-san-fault build-fuzz build-deb clusterd
