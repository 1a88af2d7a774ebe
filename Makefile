# tether — build, test, benchmark and demo.  See README.md.
#
#   make deps       installs what the machine lacks (apt-get); nothing else does
#   make            static binaries in build/ (musl-gcc; CC=gcc works too)
#   make check      before every commit: unit tests and the host suites
#   make test       every test suite; ends with "N passed, N failed"
#   make test-vm-full   the VM suites in every cgroup shape (tests/vm)
#   make asan       the suites again under ASan/UBSan (build/asan/)
#   make bench      side-by-side benchmarks against the peers
#   make demo       the main job, end to end
#   make install    PREFIX=/usr/local DESTDIR=

# musl-gcc unless the user names a compiler (make CC=gcc).
CC_ORIGIN := $(origin CC)
ifeq ($(CC_ORIGIN),default)
CC := musl-gcc
endif

# Other architectures: make ARCH=arm64 (or s390x, or amd64 from another
# host) cross-builds every role static with musl into build/<arch>/, with
# Debian's cross compiler and that architecture's musl (musl-dev:<arch>
# through multiarch, its musl-gcc.specs), the kernel headers of the
# target (linux-libc-dev-<arch>-cross) and seccomp filters generated for
# the target (its AUDIT_ARCH and system-call numbers).  `make` alone
# builds the host's, in build/.  Installing: tests/install-deps.sh arch.
HOST_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
ARCH ?= $(HOST_ARCH)
ARCH_GNU_amd64 := x86_64-linux-gnu
ARCH_GNU_arm64 := aarch64-linux-gnu
ARCH_GNU_s390x := s390x-linux-gnu
ARCH_SECCOMP_amd64 := x86_64
ARCH_SECCOMP_arm64 := aarch64
ARCH_SECCOMP_s390x := s390x
SECCOMP_ARCH := $(ARCH_SECCOMP_$(ARCH))
KHDRS := /usr/include
KASM = /usr/include/$(if $(MULTIARCH),$(MULTIARCH)/)asm
ifneq ($(ARCH),$(HOST_ARCH))
ifeq ($(ARCH_GNU_$(ARCH)),)
$(error ARCH=$(ARCH): not one of amd64, arm64, s390x)
endif
ARCH_GNU := $(ARCH_GNU_$(ARCH))
ARCH_MUSL := $(subst -gnu,-musl,$(ARCH_GNU))
ifeq ($(CC_ORIGIN),default)
CC := $(ARCH_GNU)-gcc -specs /usr/lib/$(ARCH_MUSL)/musl-gcc.specs
endif
ifeq ($(origin AR),default)
AR := $(ARCH_GNU)-ar
endif
BUILD ?= build/$(ARCH)
KHDRS := /usr/$(ARCH_GNU)/include
KASM := $(KHDRS)/asm
endif
# make arches: every other architecture's build (make test checks their
# binaries and boots a smoke VM of each); make test-arch: the role suites
# on each architecture's own kernel (tests/vm/run --arch).
OTHER_ARCHES := $(filter-out $(HOST_ARCH),amd64 arm64 s390x)
arches:
	for a in $(OTHER_ARCHES); do $(MAKE) ARCH=$$a all || exit 1; done
test-arch: deps
	$(MAKE) arches
	tests/vm/run --arch
.PHONY: arches test-arch

HOSTCC ?= gcc
BUILD ?= build

# Building never installs: `make deps` does (and so make test, demo, bench
# and asan, which run it first and then build in a second make).  Any
# other goal stops here, in one line, when the build lacks something.
INSTALLING_GOALS := deps test test-vm-full asan bench peers demo
ifeq ($(filter $(INSTALLING_GOALS),$(MAKECMDGOALS)),)
ifneq ($(filter-out clean units,$(or $(MAKECMDGOALS),all)),)
BUILD_MISSING := $(shell tests/install-deps.sh missing $(firstword $(CC)))
ifneq ($(BUILD_MISSING),)
$(error the build lacks $(BUILD_MISSING): run 'make deps' as root (everything the tests need too) or 'tests/install-deps.sh build' (the build's alone))
endif
endif
endif
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := $(shell cat VERSION)

CFLAGS ?= -Os
# Every role runs as PID 1 or as root: all are built with the stack
# protector and buffer-size checks.  glibc has _FORTIFY_SOURCE; musl's
# headers implement none of it (a -D_FORTIFY_SOURCE alone would be a lie),
# so there lib/fortify.h does the checks.  What it costs, in size and in
# speed: bench/bench_hardening.sh (make bench), which builds the binaries
# again with HARDEN=-fno-stack-protector to compare.
ifneq ($(findstring musl,$(CC)),)
HARDEN ?= -fstack-protector-strong -include lib/fortify.h
else
HARDEN ?= -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
# Flags the code needs; CFLAGS stays the user's (make asan sets it).
TCFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-DTETHER_VERSION='"$(VERSION)"' \
	-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	$(HARDEN) -Ilib -I$(BUILD)/gen
# musl's start-up code in a static binary never applies RELRO, so its page
# padding (and separate-code's) would only add size.  common-page-size=32:
# with the default (4096) ld starts the data segment on a fresh page of the
# file whenever that saves a page of memory, so a few bytes more code could
# add 4 KB to a binary (tether-supervise: 96 bytes of code, +4064 bytes).
LDFLAGS ?= -static -s -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro \
	-Wl,-z,common-page-size=32 -Wl,--build-id=none
LDLIBS ?=

# musl-gcc sees only musl's headers; the few Linux UAPI headers we use
# (seccomp, capabilities, cgroup clone flags) come from linux-libc-dev.
ifneq ($(findstring musl,$(CC)),)
KINC := $(BUILD)/kinc
TCFLAGS += -isystem $(KINC)
MULTIARCH := $(shell $(HOSTCC) -print-multiarch 2>/dev/null)
KINC_LINKS := linux:$(KHDRS)/linux asm-generic:$(KHDRS)/asm-generic asm:$(KASM)
endif

LIB_SRCS := $(filter-out lib/seccomp-gen.c,$(wildcard lib/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libtether.a

# Each role folder has a build.mk that adds its binaries to BINS and sets
# <bin>_SRCS (and, optionally, <bin>_DEPS for generated headers).
.DEFAULT_GOAL := all
BINS :=
TEST_HELPERS :=
include $(wildcard */build.mk)

all: $(addprefix $(BUILD)/,$(BINS)) $(TEST_HELPERS)

# The kernel headers musl-gcc may see, as links into /usr/include.  Checked
# on every make (three readlinks): a link that dangles, names another
# multiarch's asm/, or is missing (a make stopped half-way) has the whole
# directory made again aside and moved into place.
$(KINC): FORCE
	@ok=1; for l in $(KINC_LINKS); do \
		[ "$$(readlink $@/$${l%%:*})" = "$${l#*:}" ] && [ -d $@/$${l%%:*}/ ] || ok=; \
	done; [ -n "$$ok" ] || { \
	for l in $(KINC_LINKS); do [ -d $${l#*:}/ ] || { \
		echo "kernel headers: no $${l#*:}/ (multiarch '$(MULTIARCH)'): run 'make deps' (linux-libc-dev)" >&2; \
		exit 1; }; done; \
	rm -rf $@.new && mkdir -p $@.new && \
	for l in $(KINC_LINKS); do ln -s $${l#*:} $@.new/$${l%%:*} || exit 1; done && \
	rm -rf $@ && mv $@.new $@ && echo "kernel headers: $@ -> $(KINC_LINKS)"; }

# The compiler's identity.  Every object depends on it, so a build made
# with another compiler (cc before musl-tools was installed, make CC=gcc)
# is rebuilt rather than kept; the file is rewritten only when it changes.
# tests/binaries reads it to tell a glibc build asked for from one that is not.
CC_ID := $(BUILD)/cc.id
$(CC_ID): FORCE
	@mkdir -p $(dir $@)
	@{ echo "origin $(CC_ORIGIN)"; echo "cc $(CC)"; \
	   echo "path $$(command -v $(firstword $(CC)))"; \
	   $(CC) -v 2>&1 | tail -n 1; \
	   echo "cflags $(CFLAGS) $(TCFLAGS)"; echo "ldflags $(LDFLAGS)"; \
	   echo "kinc $(KINC_LINKS)"; } >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# -MMD -MP: an object is rebuilt when any header it includes changes.
# ROLE_CFLAGS: a binary's own flags (<bin>_CFLAGS in its build.mk).
$(BUILD)/%.o: %.c $(CC_ID) | $(KINC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TCFLAGS) $(ROLE_CFLAGS) -MMD -MP -c -o $@ $<
-include $(wildcard $(BUILD)/*/*.d)

$(LIB): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

# Per binary: <bin>_SRCS, optional <bin>_DEPS (generated headers its
# objects need), <bin>_CFLAGS (its objects only, after the common flags)
# and <bin>_LDFLAGS.  Every binary links the one lib/.
define BIN_RULE
$(BUILD)/$(1): $$($(1)_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	$$(CC) $$(CFLAGS) $$(TCFLAGS) $$($(1)_CFLAGS) $$(LDFLAGS) $$($(1)_LDFLAGS) -o $$@ $$^ $$(LDLIBS)
$$($(1)_SRCS:%.c=$(BUILD)/%.o): $$($(1)_DEPS)
$$($(1)_SRCS:%.c=$(BUILD)/%.o): ROLE_CFLAGS := $$($(1)_CFLAGS)
endef
$(foreach b,$(BINS),$(eval $(call BIN_RULE,$(b))))

# Small static programs the suites run (signal recorders and the like).
$(BUILD)/helpers/%: tests/helpers/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TCFLAGS) $(LDFLAGS) -MMD -MP -MF $@.d -o $@ $< $(LIB)

# Build-host tool for seccomp filters (glibc, libseccomp).
$(BUILD)/seccomp-gen: lib/seccomp-gen.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -Wall -Wextra -Werror -o $@ $< -lseccomp

$(BUILD)/gen/%_filter.h: %/seccomp.list $(BUILD)/seccomp-gen $(CC_ID)
	@mkdir -p $(dir $@)
	$(BUILD)/seccomp-gen $(notdir $*) $(SECCOMP_ACTION_$(notdir $*)) $(SECCOMP_ARCH) < $< > $@.tmp
	mv $@.tmp $@

# C unit tests: plain host binaries over the pure parts of lib/ and roles.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
# A test includes role sources (../../init/config.c) and is compiled with
# all of lib/ in one command, where -MMD would record only the last file:
# so it depends on every source and header (five small tests, rebuilt fast).
$(BUILD)/unit/%: tests/unit/%.c $(LIB_SRCS) $(wildcard */*.h */*.c tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -g -Ilib -Iinit \
		-I$(BUILD)/gen -fsanitize=address,undefined -o $@ $< $(LIB_SRCS)

units: $(UNIT_BINS)

# Before every commit: the unit tests and the host suites of every role, a
# few minutes on 2 cores (tests/README.md).  Left to make test: the suites
# that stress (4 x 5000 connections), need a real libvirt or virtiofsd, the
# virt-launcher-monitor drop-in's timeouts and retries, the Makefile's own,
# the images and pods, the ASan/UBSan pass and the VMs.
CHECK_LATER := tests/sockets/test_connections.sh tests/supervisor/test_libvirt.sh \
	tests/virtiofs/test_real_virtiofsd.sh tests/supervisor/test_monitor.sh
CHECK_SUITES := $(filter-out $(CHECK_LATER),$(sort $(wildcard \
	tests/binaries/test_*.sh tests/init/test_*.sh tests/sockets/test_*.sh \
	tests/supervisor/test_*.sh tests/virtiofs/test_*.sh))) \
	tests/make/test_includes.sh
check: all units
	TETHER_BUILD=$(BUILD) tests/run --units $(CHECK_SUITES)

deps:
	@tests/install-deps.sh

ASAN_MAKE = $(MAKE) BUILD=build/asan CC=gcc LDFLAGS="-fsanitize=address,undefined" \
	CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

# Every suite twice: the static binaries, then the same under ASan/UBSan.
test: deps
	$(MAKE) all units
	$(MAKE) arches
	$(ASAN_MAKE) all
	TETHER_ASAN_BUILD=build/asan tests/run

# Every VM suite in every cgroup shape (make test runs tether-enter's in
# all three and the others once, on v2): see tests/vm/run.
test-vm-full: deps
	$(MAKE) all units
	tests/vm/run --full

# Fault injection over every role, fully (tests/faults/README.md; make
# test runs its bounded smoke form, tests/faults/test_*.sh), and long life:
# each role through its storm with fds, RSS and the log sampled (tests/soak).
# Both take the shared test lock themselves, per scenario.
test-faults: deps
	$(MAKE) all
	tests/faults/faults.py --lock --report $(BUILD)/faults.json all

soak: deps
	$(MAKE) all
	tests/soak/soak.py --lock --report $(BUILD)/soak.json all

.PHONY: test-faults soak

asan: deps
	$(ASAN_MAKE) all
	$(MAKE) units
	TETHER_BUILD=build/asan TETHER_SANITIZED=1 tests/run

# The peers built with musl from Debian's sources (build/peers/).
peers:
	tests/install-deps.sh peers
	bench/peers/build.sh

# After deps, in a second make: with -j, a prerequisite beside deps could
# start compiling before deps has installed the compiler.
# make bench reports each architecture's sizes (bench/bench_arch.sh): it
# builds them (arches) after deps, as test does.
bench: deps
	$(MAKE) all peers arches
	bench/run

demo: deps
	$(MAKE) all
	tests/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(addprefix $(BUILD)/,$(BINS)) $(DESTDIR)$(PREFIX)/bin/

# $(BUILD) whatever state a make left it in (kinc's links are removed, never
# followed); another BUILD only if it is one (its cc.id, or empty).  With
# other goals (`make clean all`) the goals run one after the other.
clean:
	@[ '$(BUILD)' = build ] || [ ! -e '$(BUILD)' ] || [ -e '$(BUILD)/cc.id' ] || \
		[ -z "$$(ls -A '$(BUILD)')" ] || \
		{ echo "make clean: $(BUILD) holds no cc.id, so it is not a build directory: left alone" >&2; exit 1; }
	rm -rf -- '$(BUILD)'
ifneq ($(filter clean,$(MAKECMDGOALS)),)
.NOTPARALLEL:
endif

.PHONY: all units check deps test test-vm-full asan bench peers demo install clean FORCE
FORCE:
.DELETE_ON_ERROR:
