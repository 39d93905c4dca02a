# secbench: `make` builds build/secbench; `make test` runs every test; `make bench` runs the
# default matrix and draws the charts; `make deps` installs the Debian packages needed.
# Sources are found by wildcard, so a new module or stack needs no edit here.

CC      ?= cc
BUILD   ?= build
# OpenSSL before wolfSSL: the few symbols both export (SSL_SESSION_set1_id, ...) must bind to
# OpenSSL's own, which libssl itself calls.
PKGS    := libssl libcrypto wolfssl libcoap-3-notls libpcap libnetfilter_queue
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter $(if $(findstring clang,$(CC)),,-Wno-format-truncation)
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -fno-omit-frame-pointer -I$(BUILD)/gen $(CFLAGS) \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread

SRC      := $(wildcard bench/*.c protocols/*.c netem/*.c)
MAIN     := bench/main.c
LIBSRC   := $(filter-out $(MAIN),$(SRC))
TESTSRC  := $(wildcard tests/test_*.c)
FUZZSRC  := $(wildcard tests/fuzz_*.c)
HDRS     := $(wildcard bench/*.h protocols/*.h netem/*.h)

OBJ      := $(LIBSRC:%.c=$(BUILD)/obj/%.o)
TESTBIN  := $(TESTSRC:tests/%.c=$(BUILD)/tests/%)
DEPS_OK  := $(BUILD)/.deps-ok

Q := $(if $(V),,@)

.PHONY: FORCE all deps test test-asan bench fuzz check-size size-baseline size-history clean format

all: $(BUILD)/secbench

# Pull in the Debian packages when something is missing (a fresh machine), once per build dir.
$(DEPS_OK): scripts/deps.sh
	@mkdir -p $(BUILD)
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh
	@touch $@

deps:
	scripts/deps.sh

# The commit the binary is built from, for every row's `commit` (a row must name the code
# that measured it, not whatever the tree holds when it runs). Rewritten only on change.
COMMIT := $(shell c=$$(git rev-parse --short HEAD 2>/dev/null) && { git diff --quiet HEAD -- 2>/dev/null || c="$$c+dirty"; echo "$$c"; } || echo unknown)
$(BUILD)/gen/commit.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define SB_BUILD_COMMIT "$(COMMIT)"' >$@.tmp; cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/obj/bench/env.o: $(BUILD)/gen/commit.h
FORCE:

$(BUILD)/obj/%.o: %.c $(HDRS) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/secbench: $(BUILD)/obj/bench/main.o $(OBJ)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(OBJ) $(HDRS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -DSB_TESTING -o $@ $< $(OBJ) $(LDLIBS) -lcmocka

# Every test: unit tests (cmocka), integration tests (tests/*.sh), an ASan/UBSan build, a short
# fuzz run and the quick benchmark pipeline. tests/run.sh prints the summary line.
test: $(BUILD)/secbench $(TESTBIN)
	@tests/run.sh

# The same sources under AddressSanitizer and UBSan (heap interposition is compiled out there,
# as ASan owns malloc).
test-asan: | $(DEPS_OK)
	$(MAKE) BUILD=build/asan CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -DSB_NO_HEAP_HOOK" all $(patsubst $(BUILD)/%,build/asan/%,$(TESTBIN))

fuzz: | $(DEPS_OK)
	scripts/fuzz.sh $(or $(SECONDS_PER_TARGET),60)

bench: $(BUILD)/secbench
	scripts/bench.sh

check-size: $(BUILD)/secbench
	scripts/check-size.sh

size-baseline: $(BUILD)/secbench
	scripts/check-size.sh --write-baseline

size-history: $(BUILD)/secbench
	scripts/size-history.sh $(or $(N),20)

format:
	clang-format -i $(SRC) $(HDRS) $(TESTSRC) $(FUZZSRC)

clean:
	rm -rf $(BUILD)
