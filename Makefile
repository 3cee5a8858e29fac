# crm — a Unix toolkit for customer-relationship management.
# GNU make, one flat Makefile: libcrm/libcrm.a and one pattern rule per program.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=

CC       ?= cc
WARN      = -Wall -Wextra -Wpedantic -Wmissing-prototypes -Wstrict-prototypes \
            -Wpointer-arith -Wwrite-strings -Wformat=2 -Wvla -Wshadow -fno-common
CFLAGS   ?= -O2 -g
HARDEN   ?= -D_FORTIFY_SOURCE=2 -fstack-protector-strong
WERROR   ?= -Werror
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(WERROR) $(HARDEN) $(CFLAGS) \
             -DCRM_VERSION='"$(VERSION)"' -iquote libcrm -MMD -MP
LDLIBS    = -lsqlite3 -lcsv -lunistring -lm -lpthread

LIB_SRC  = $(sort $(wildcard libcrm/*.c))
LIB_OBJ  = $(LIB_SRC:.c=.o)
PROGS    = cmd/crm $(patsubst %.c,%,$(sort $(wildcard cmd/crm-*.c)))
CMD_OBJ  = cmd/common.o
UNIT_SRC = $(sort $(wildcard tests/unit/test-*.c))
UNITS    = $(UNIT_SRC:.c=)
MAN1     = $(wildcard man/*.1)
MAN5     = $(wildcard man/*.5)
MAN7     = $(wildcard man/*.7)

# V=1 shows the commands.
ifeq ($(V),1)
Q =
else
Q = @
endif

all: $(PROGS) scripts/gen-data-bin

# The test-data generator (scripts/gen-data runs it).
scripts/gen-data-bin: scripts/gen-data.c
	@echo "  CC      $@"
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(WERROR) $(CFLAGS) $(LDFLAGS) -o $@ $< -lm

# Made afresh: ar r keeps members whose source is gone (a file split or
# renamed), and their old definitions clash with the new ones.
libcrm/libcrm.a: $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $(LIB_OBJ)

%.o: %.c
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

cmd/crm: cmd/crm.o
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ cmd/crm.o

cmd/crm-%: cmd/crm-%.o $(CMD_OBJ) libcrm/libcrm.a
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(CMD_OBJ) libcrm/libcrm.a $(LDLIBS)

tests/unit/test-%: tests/unit/test-%.o libcrm/libcrm.a
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< libcrm/libcrm.a $(LDLIBS)

units: $(UNITS)

# deps runs scripts/install-deps only when something is missing.
deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

check: deps
	@$(MAKE) --no-print-directory all units
	@scripts/demo --quiet
	@tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

sanitize: deps
	@$(MAKE) --no-print-directory clean
	@$(MAKE) --no-print-directory all units \
	    CFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
	    LDFLAGS='-fsanitize=address,undefined' HARDEN=
	@rm -rf tests/sanlog && mkdir -p tests/sanlog
	@CRM_SANLOG=$(CURDIR)/tests/sanlog \
	    ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/tests/sanlog/asan \
	    UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/tests/sanlog/ubsan \
	    tests/run; rc=$$?; $(MAKE) --no-print-directory clean; rm -rf tests/sanlog; exit $$rc

# The shape of libcrm: no cycle between its modules (include or symbol),
# no .c file over 1,200 lines. tests/cli/0005-modules.bats runs both.
check-modules: libcrm/libcrm.a
	@scripts/check-modules

check-size:
	@scripts/check-size

valgrind: all units
	@CRM_VALGRIND=1 CRM_JOBS=$${CRM_JOBS:-$$(nproc)} tests/run

# make fuzz: build the libFuzzer targets of tests/fuzz with clang, ASan and
# UBSan (objects in tests/fuzz/build, apart from the normal build) and run
# each for FUZZ_SECONDS; FUZZ_TARGETS picks some, FUZZ_JOBS runs that many
# at once. Crashes are left in tests/fuzz/build/crash-<target>/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_FLAGS    = -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all \
                -iquote libcrm
FUZZ_SRC     = $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BIN     = $(patsubst tests/fuzz/%.c,tests/fuzz/build/%,$(FUZZ_SRC))
FUZZ_LIBOBJ  = $(patsubst libcrm/%.c,tests/fuzz/build/%.o,$(LIB_SRC))
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz-%.c,%,$(FUZZ_SRC))

tests/fuzz/build/%.o: libcrm/%.c
	@mkdir -p tests/fuzz/build
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

tests/fuzz/build/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIBOBJ)
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBOBJ) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
	    tests/fuzz/run $(FUZZ_TARGETS)

bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	cp $(PROGS) $(DESTDIR)$(BINDIR)/
	cp $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	cp $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	cp $(MAN7) $(DESTDIR)$(MANDIR)/man7/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))

clean:
	rm -f libcrm/*.o libcrm/*.d libcrm/libcrm.a cmd/*.o cmd/*.d $(PROGS) \
	    tests/unit/*.o tests/unit/*.d $(UNITS) scripts/gen-data-bin

# Keeps the fuzzing corpora; rm -rf tests/fuzz/build for a fresh start.
fuzz-clean:
	rm -f tests/fuzz/build/*.o tests/fuzz/build/*.d $(FUZZ_BIN)

.PHONY: all units deps check check-modules check-size demo sanitize valgrind \
        bench install uninstall clean fuzz fuzz-build fuzz-clean
.SECONDARY:

-include $(wildcard libcrm/*.d cmd/*.d tests/unit/*.d tests/fuzz/build/*.d)
