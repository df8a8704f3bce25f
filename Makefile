# ws2spi: the Winsock 2 Service Provider Interface on Linux.
#
#   make                  check prerequisites, build build/lib/libws2_32.so.2
#                         (the Winsock DLL part), build/lib/libws2spi.so.2
#                         (the TCP/IP provider), build/lib/libws2unix.so.2 (the
#                         AF_UNIX provider) and the catalog tool build/bin/ws2ctl
#   make install          PREFIX=/usr/local DESTDIR= (libs, header, pkg-config)
#   make uninstall        remove what `make install` put there
#   make test             every test stage, ending with "N passed, M failed"
#   make demo             load the library with dlopen from a C host and use it
#   make examples         the programs of examples/ and the Swift example, in build/examples
#   make bench            raw Linux sockets vs. the SPI, with targets
#   make fuzz             the SPI fuzzer (sanitizers) for FUZZ_SECONDS=600 [FUZZ_SEED=n]
#                         [FUZZ_THREADS=1-4] [FUZZ_FAMILY=inet|unix|both: the TCP/IP
#                         provider, the AF_UNIX one, or half the time each];
#                         failures with their replay command
#   make clean            remove build/ and .build/
#
# Two libraries (RULINGS §13): libws2_32.so.2, the Winsock DLL part (host
# services, upcalls, catalog, host API; scripts/ws2_32.map), and
# libws2spi.so.2, the TCP/IP provider (the WSP* entry points only;
# scripts/ws2spi.map), linked against the first with a $ORIGIN run path.
# Each is built by SwiftPM with the Swift runtime linked statically, its
# exports fixed by its map and its soname, so a C program needs nothing from
# the Swift toolchain at run time. Both are marked nodelete: dlclose never
# unmaps code that an engine thread or a queued callback may still run.

.DEFAULT_GOAL := all
SHELL := /bin/sh

VERSION      := 2.0.0
SOVERSION    := $(firstword $(subst ., ,$(VERSION)))
LIBNAME      := libws2spi.so
SONAME       := $(LIBNAME).$(SOVERSION)
HOSTNAME_    := libws2_32.so
HOSTSONAME   := $(HOSTNAME_).$(SOVERSION)
UNIXNAME     := libws2unix.so
UNIXSONAME   := $(UNIXNAME).$(SOVERSION)

PREFIX       ?= /usr/local
DESTDIR      ?=
LIBDIR       ?= $(PREFIX)/lib
BINDIR       ?= $(PREFIX)/bin
INCLUDEDIR   ?= $(PREFIX)/include
DATADIR      ?= $(PREFIX)/share
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

# The swift on PATH, else the toolchain in /opt/swift.
SWIFT        ?= $(or $(shell command -v swift 2>/dev/null),/opt/swift/usr/bin/swift)
PKG_CONFIG   ?= pkg-config
# ws2ctl is installed stripped (25 MB with symbols, 15 MB without);
# INSTALL_STRIP= keeps its symbols.
INSTALL_STRIP ?= -s
CFLAGS       ?= -O2 -g -Wall -Wextra

BUILD        := build
LIB_OUT      := $(BUILD)/lib/$(SONAME)
HOST_OUT     := $(BUILD)/lib/$(HOSTSONAME)
UNIX_OUT     := $(BUILD)/lib/$(UNIXSONAME)
CTL_OUT      := $(BUILD)/bin/ws2ctl
PC_OUT       := $(BUILD)/lib/pkgconfig/ws2spi.pc
# The linker: lld from the Swift toolchain when it has one. gold (the
# default) leaves a few Swift symbols that the version script made local in
# .dynsym, as LOCAL entries with GLOB_DAT relocations; lld drops them, so
# `nm -D` shows only the map's symbols. SWIFT_LD= keeps the default linker.
SWIFT_LD     ?= $(if $(wildcard $(dir $(realpath $(SWIFT)))ld.lld),lld)
# $(call swift-lib-flags,PRODUCT,MAP,SONAME): a self-contained C library.
swift-lib-flags = -c release --product $(1) \
	-Xswiftc -static-stdlib \
	$(if $(SWIFT_LD),-Xswiftc -use-ld=$(SWIFT_LD)) \
	-Xlinker --version-script=$(CURDIR)/scripts/$(2) \
	-Xlinker -soname=$(3) \
	-Xlinker -z -Xlinker nodelete
HOST_BUILD_FLAGS := $(call swift-lib-flags,ws2_32,ws2_32.map,$(HOSTSONAME))
# Provider libraries are built by the recipe every provider author gets,
# scripts/ws2spi-build-provider (installed as bin/ws2spi-build-provider with
# share/ws2spi/ws2spi-provider.map): static Swift runtime, scripts/ws2spi.map,
# a soname, nodelete, linked against libws2_32.so.2 (DT_NEEDED; SwiftPM gives
# every product the run path $ORIGIN), then the exports checked.
BUILD_PROVIDER = env SWIFT="$(SWIFT)" bash scripts/ws2spi-build-provider --package-path . \
	--map scripts/ws2spi.map --host-libdir $(CURDIR)/$(BUILD)/lib
# The tests' second provider (Tests/providers/MemDgram), not installed.
TESTPROV_OUT := $(BUILD)/test-provider/libws2memtest.so.2

# Everything the library is built from; `make` relinks only when one changes.
LIB_DEPS := $(shell find Sources -type f 2>/dev/null) \
	$(wildcard Package.swift scripts/ws2spi.map scripts/ws2_32.map include/*.h) Makefile

# pkg-config file from ws2spi.pc.in: $(call make-pc,prefix,libdir,includedir)
# (libdir and includedir may refer to ${prefix}).
define make-pc
sed -e 's|@PREFIX@|$(1)|g' -e 's|@LIBDIR@|$(2)|g' \
    -e 's|@INCLUDEDIR@|$(3)|g' -e 's|@VERSION@|$(VERSION)|g' ws2spi.pc.in
endef
# $(PREFIX)/x becomes ${prefix}/x in the installed .pc file.
pc-rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

.PHONY: all lib prereqs install uninstall test test-provider demo examples bench fuzz clean

all: lib $(PC_OUT) $(CTL_OUT)

lib: $(HOST_OUT) $(LIB_OUT) $(UNIX_OUT)

prereqs:
	@command -v "$(SWIFT)" >/dev/null 2>&1 || { \
	  echo "ws2spi: swift toolchain not found (not on PATH, not at /opt/swift/usr/bin): install Swift 6 from swift.org or set SWIFT=/path/to/swift" >&2; exit 1; }
	@command -v $(firstword $(CC)) >/dev/null 2>&1 || { \
	  echo "ws2spi: C compiler '$(firstword $(CC))' not found: apt-get install gcc (or set CC=clang)" >&2; exit 1; }
	@command -v $(PKG_CONFIG) >/dev/null 2>&1 || { \
	  echo "ws2spi: pkg-config not found: apt-get install pkg-config" >&2; exit 1; }
	@$(PKG_CONFIG) --exists libffi || { \
	  echo "ws2spi: libffi development files not found: apt-get install libffi-dev" >&2; exit 1; }

# SwiftPM compiles the C shim with the CC of the environment when there is
# one (`make test CC=gcc`, a CI job); gcc does not take clang's -target, so
# swift runs without CC/CXX and uses the toolchain's clang.
$(HOST_OUT): $(LIB_DEPS) | prereqs
	@echo "ws2spi: swift build -c release --product ws2_32 (static Swift runtime, soname $(HOSTSONAME))"
	@env -u CC -u CXX "$(SWIFT)" build --quiet $(HOST_BUILD_FLAGS)
	@mkdir -p $(@D)
	@cp -f .build/release/$(HOSTNAME_) $@.tmp && mv -f $@.tmp $@
	@ln -sfn $(HOSTSONAME) $(@D)/$(HOSTNAME_)
	@echo "ws2spi: built $@"

# After the Winsock DLL part, which it links against: one swift build at a time.
$(LIB_OUT): $(LIB_DEPS) scripts/ws2spi-build-provider $(HOST_OUT) | prereqs
	@$(BUILD_PROVIDER) --product ws2spi --soname $(SONAME) --output $(@D) --no-host-rpath >/dev/null
	@ln -sfn $(SONAME) $(@D)/$(LIBNAME)
	@echo "ws2spi: built $@"

# The AF_UNIX provider: Sources/UnixProvider, built from the ProviderKit
# product by the same recipe, as an outside author builds a provider.
$(UNIX_OUT): $(LIB_DEPS) scripts/ws2spi-build-provider $(HOST_OUT) | prereqs $(LIB_OUT)
	@$(BUILD_PROVIDER) --product ws2unix --output $(@D) --no-host-rpath >/dev/null
	@ln -sfn $(UNIXSONAME) $(@D)/$(UNIXNAME)
	@echo "ws2spi: built $@"

# The second provider of the two-provider tests, built as a provider author
# would build one: the recipe of libws2spi.so.2.
test-provider: $(TESTPROV_OUT)
$(TESTPROV_OUT): $(LIB_DEPS) scripts/ws2spi-build-provider $(wildcard Tests/providers/*/*.swift) $(HOST_OUT) | prereqs $(LIB_OUT) $(UNIX_OUT)
	@$(BUILD_PROVIDER) --product ws2memtest --output $(@D) >/dev/null
	@echo "ws2spi: built $@"

# ws2ctl: the same compiler flags as the library (nothing is compiled
# twice), the Swift runtime static so it runs without the toolchain. After
# the library: one swift build at a time.
$(CTL_OUT): $(LIB_DEPS) | prereqs $(LIB_OUT) $(UNIX_OUT)
	@echo "ws2spi: swift build -c release --product ws2ctl (static Swift runtime)"
	@env -u CC -u CXX "$(SWIFT)" build --quiet -c release --product ws2ctl -Xswiftc -static-stdlib \
	  $(if $(SWIFT_LD),-Xswiftc -use-ld=$(SWIFT_LD))
	@mkdir -p $(@D)
	@cp -f .build/release/ws2ctl $@.tmp && mv -f $@.tmp $@
	@echo "ws2spi: built $@"

# The build tree's .pc: headers from include/, library from build/lib.
$(PC_OUT): ws2spi.pc.in Makefile
	@mkdir -p $(@D)
	@$(call make-pc,$(CURDIR),$${prefix}/$(BUILD)/lib,$${prefix}/include) > $@.tmp && mv -f $@.tmp $@

install: all
	install -d "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(INCLUDEDIR)" "$(DESTDIR)$(PKGCONFIGDIR)"
	install -m 0755 $(HOST_OUT) "$(DESTDIR)$(LIBDIR)/$(HOSTSONAME)"
	ln -sfn $(HOSTSONAME) "$(DESTDIR)$(LIBDIR)/$(HOSTNAME_)"
	install -m 0755 $(LIB_OUT) "$(DESTDIR)$(LIBDIR)/$(SONAME)"
	ln -sfn $(SONAME) "$(DESTDIR)$(LIBDIR)/$(LIBNAME)"
	install -m 0755 $(UNIX_OUT) "$(DESTDIR)$(LIBDIR)/$(UNIXSONAME)"
	ln -sfn $(UNIXSONAME) "$(DESTDIR)$(LIBDIR)/$(UNIXNAME)"
	install -m 0644 include/ws2spi.h "$(DESTDIR)$(INCLUDEDIR)/ws2spi.h"
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(DATADIR)/ws2spi"
	install -m 0755 $(INSTALL_STRIP) $(CTL_OUT) "$(DESTDIR)$(BINDIR)/ws2ctl"
	install -m 0755 scripts/ws2spi-build-provider "$(DESTDIR)$(BINDIR)/ws2spi-build-provider"
	install -m 0644 scripts/ws2spi.map "$(DESTDIR)$(DATADIR)/ws2spi/ws2spi-provider.map"
	$(call make-pc,$(PREFIX),$(call pc-rel,$(LIBDIR)),$(call pc-rel,$(INCLUDEDIR))) > "$(DESTDIR)$(PKGCONFIGDIR)/ws2spi.pc"

uninstall:
	rm -f "$(DESTDIR)$(LIBDIR)/$(SONAME)" "$(DESTDIR)$(LIBDIR)/$(LIBNAME)" \
	      "$(DESTDIR)$(LIBDIR)/$(HOSTSONAME)" "$(DESTDIR)$(LIBDIR)/$(HOSTNAME_)" \
	      "$(DESTDIR)$(LIBDIR)/$(UNIXSONAME)" "$(DESTDIR)$(LIBDIR)/$(UNIXNAME)" \
	      "$(DESTDIR)$(INCLUDEDIR)/ws2spi.h" "$(DESTDIR)$(PKGCONFIGDIR)/ws2spi.pc" \
	      "$(DESTDIR)$(BINDIR)/ws2ctl" "$(DESTDIR)$(BINDIR)/ws2spi-build-provider" \
	      "$(DESTDIR)$(DATADIR)/ws2spi/ws2spi-provider.map"

# Stages: header matrix, build, install into build/test-prefix, exports,
# swift test, C tests. Runs them all; fails if any failed.
test:
	@MAKE="$(MAKE)" SWIFT="$(SWIFT)" CC="$(CC)" PKG_CONFIG="$(PKG_CONFIG)" \
	  bash scripts/test-all.sh

# The demo host is not linked with the library: it dlopens it by path.
$(BUILD)/demo-host: examples/demo-host.c $(wildcard include/ws2spi.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iinclude -o $@ $< -pthread -ldl

demo: all $(BUILD)/demo-host
	$(BUILD)/demo-host $(LIB_OUT)

# The examples are built like a user's program: against an install in
# build/examples-prefix, found with pkg-config, with an rpath to it.
EXAMPLES        := echo-eventselect echo-asyncselect two-providers copy-overlapped
EXAMPLES_PREFIX := $(CURDIR)/$(BUILD)/examples-prefix

examples: all
	@rm -rf $(EXAMPLES_PREFIX)
	@$(MAKE) --no-print-directory install PREFIX=$(EXAMPLES_PREFIX) DESTDIR= >/dev/null
	@mkdir -p $(BUILD)/examples
	@set -e; export PKG_CONFIG_PATH=$(EXAMPLES_PREFIX)/lib/pkgconfig; \
	for e in $(EXAMPLES); do \
	  echo "$(CC) $(CFLAGS) \$$($(PKG_CONFIG) --cflags ws2spi) -o $(BUILD)/examples/$$e examples/$$e.c \$$($(PKG_CONFIG) --libs ws2spi) -Wl,-rpath,$(EXAMPLES_PREFIX)/lib -pthread"; \
	  $(CC) $(CFLAGS) $$($(PKG_CONFIG) --cflags ws2spi) -o $(BUILD)/examples/$$e examples/$$e.c \
	    $$($(PKG_CONFIG) --libs ws2spi) -Wl,-rpath,$(EXAMPLES_PREFIX)/lib -pthread; \
	done
	@echo "ws2spi: swift build -c release --product ws2spi-swift-example (Swift, the WS2SPI module; dlopens the library)"
	@env -u CC -u CXX "$(SWIFT)" build --quiet -c release --product ws2spi-swift-example -Xswiftc -static-stdlib \
	  $(if $(SWIFT_LD),-Xswiftc -use-ld=$(SWIFT_LD)) -Xlinker -rpath -Xlinker $(EXAMPLES_PREFIX)/lib
	@cp -f .build/release/ws2spi-swift-example $(BUILD)/examples/ws2spi-swift-example.tmp && \
	  mv -f $(BUILD)/examples/ws2spi-swift-example.tmp $(BUILD)/examples/ws2spi-swift-example
	@echo "ws2spi: built $(addprefix $(BUILD)/examples/,$(EXAMPLES) ws2spi-swift-example); try: $(BUILD)/examples/echo-eventselect --self-test 10"

# Benchmarks link against an install in build/bench-prefix, like a user would.
bench: all
	@rm -rf $(BUILD)/bench-prefix
	@$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(BUILD)/bench-prefix DESTDIR= >/dev/null
	@CC="$(CC)" PKG_CONFIG="$(PKG_CONFIG)" bash scripts/bench.sh $(BUILD)/bench-prefix

# The fuzzer links against an install in build/fuzz-prefix, like a user would
# (scripts/fuzz.sh: FUZZ_SECONDS, FUZZ_SEED, FUZZ_SEEDS, FUZZ_THREADS,
# FUZZ_STEPS, FUZZ_LOWPTR=0, FUZZ_ARGS).
fuzz: all
	@rm -rf $(BUILD)/fuzz-prefix
	@$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(BUILD)/fuzz-prefix DESTDIR= >/dev/null
	@CC="$(CC)" PKG_CONFIG="$(PKG_CONFIG)" FUZZ_SECONDS="$(FUZZ_SECONDS)" FUZZ_SEED="$(FUZZ_SEED)" \
	  FUZZ_THREADS="$(FUZZ_THREADS)" bash scripts/fuzz.sh $(BUILD)/fuzz-prefix

clean:
	rm -rf $(BUILD) .build
