# SPDX-License-Identifier: Apache-2.0
# userbpf: one non-recursive Makefile. Targets: all (default), test, fuzz, bench, install, clean.
# Sanitizers: make SAN=address,undefined test   (objects go to build-san/)

CC      ?= gcc
CLANG   ?= clang
SAN     ?=
BUILD   ?= build$(if $(SAN),-san)
PREFIX  ?= /usr/local
WERROR  ?=
VERSION := 0.1.0
SOMAJOR := 0

WARN    := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) $(if $(WERROR),-Werror) -fPIC -fvisibility=hidden \
           -Iinclude -Isrc -D_GNU_SOURCE -pthread
ifneq ($(SAN),)
CFLAGS  += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif
# Libraries the library itself needs (the loader, the JIT disassembler and pcap tools add theirs).
LIBDEPS := -pthread -lelf -lz -lcapstone -lbpf

# src/agent/ is not part of the library: it is the LD_PRELOAD agent of `userbpf trace`.
LIB_SRCS  := $(sort $(shell find src -name '*.c' -not -path 'src/agent/*'))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_SRCS  := $(sort $(wildcard cli/*.c))
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
# Every tests/unit/*.c and tests/*.c (runners of data suites) is one test program.
TEST_SRCS := $(sort $(wildcard tests/unit/*.c tests/*.c))
# Differential tests against the live Linux kernel (tests/kernel/*.c; they also use libbpf).
TEST_SRCS += $(sort $(wildcard tests/kernel/*.c))
TEST_BINS := $(addprefix $(BUILD)/tests/,$(basename $(notdir $(TEST_SRCS))))
BENCH_SRCS:= $(sort $(wildcard bench/*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/*.c))

STATIC  := $(BUILD)/libuserbpf.a
SHARED  := $(BUILD)/libuserbpf.so.$(VERSION)
CLI     := $(BUILD)/userbpf

.PHONY: all test fuzz bench install clean demo
all: $(STATIC) $(SHARED) $(CLI) $(BUILD)/userbpf.pc $(BUILD)/libuserbpf-agent.so

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJS) src/libuserbpf.map
	$(CC) -shared -Wl,-soname,libuserbpf.so.$(SOMAJOR) -Wl,--version-script=src/libuserbpf.map \
		$(LDFLAGS) -o $@ $(LIB_OBJS) $(LIBDEPS)
	ln -sf libuserbpf.so.$(VERSION) $(BUILD)/libuserbpf.so.$(SOMAJOR)
	ln -sf libuserbpf.so.$(VERSION) $(BUILD)/libuserbpf.so

# The `userbpf trace` agent (hooks): the library's objects plus src/agent, preloaded into the
# traced command; only its constructor runs, nothing is exported.
$(BUILD)/libuserbpf-agent.so: $(BUILD)/src/agent/agent.o $(LIB_OBJS) src/agent/agent.map
	$(CC) -shared -Wl,--version-script=src/agent/agent.map $(LDFLAGS) -o $@ \
		$(BUILD)/src/agent/agent.o $(LIB_OBJS) $(LIBDEPS)

$(CLI): $(CLI_OBJS) $(STATIC)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(STATIC) $(LIBDEPS) -lpcap

$(BUILD)/userbpf.pc: Makefile
	@mkdir -p $(BUILD)
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: userbpf\nDescription: eBPF runtime for user space\nVersion: %s\nLibs: -L$${libdir} -luserbpf\nLibs.private: %s\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(VERSION)' '$(LIBDEPS)' > $@

# Unit tests may use internal (ub_*) symbols: they link the static library.
$(BUILD)/tests/%: tests/unit/%.c tests/test.h $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(STATIC) $(LDFLAGS) $(LIBDEPS) -lpcap -lm
$(BUILD)/tests/%: tests/%.c tests/test.h $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(STATIC) $(LDFLAGS) $(LIBDEPS) -lpcap -lm
$(BUILD)/tests/%: tests/kernel/%.c tests/kernel/kbpf.h tests/test.h $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -Itests/kernel -o $@ $< $(STATIC) $(LDFLAGS) $(LIBDEPS) -lbpf -lm

# The loader's corpus: tests/progs/*.bpf.c compiled by clang at test time (tests find them in
# $(BUILD)/progs/).
PROG_SRCS := $(sort $(wildcard tests/progs/*.bpf.c))
PROG_OBJS := $(PROG_SRCS:tests/progs/%.c=$(BUILD)/progs/%.o)
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_x86 -I/usr/include/$(shell uname -m)-linux-gnu
$(BUILD)/progs/%.bpf.o: tests/progs/%.bpf.c
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
test: $(PROG_OBJS)

test: all $(TEST_BINS)
	BUILD=$(BUILD) SAN=$(SAN) bash tests/run.sh

demo: all
	bash examples/demo.sh $(BUILD)

FUZZ_FLAGS := -std=gnu11 -g -O1 -Iinclude -Isrc -D_GNU_SOURCE -pthread \
              -fsanitize=fuzzer,address,undefined
fuzz: $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRCS) -lelf -lz -lcapstone

bench: all $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
	bash bench/run.sh $(BUILD)
$(BUILD)/bench/%: bench/%.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O2 -o $@ $< $(STATIC) $(LIBDEPS) -lm

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/userbpf \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/userbpf/*.h $(DESTDIR)$(PREFIX)/include/userbpf/
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libuserbpf.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libuserbpf.so.$(SOMAJOR)
	ln -sf libuserbpf.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libuserbpf.so
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/userbpf.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

clean:
	rm -rf build build-san

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
