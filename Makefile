# Makefile -- cfutures: libcfutures, cfbench, tests, benchmarks and charts.
# make SANITIZE=asan|tsan builds into build/asan or build/tsan.
SANITIZE ?=
BUILD    := build$(if $(SANITIZE),/$(SANITIZE))
CC       ?= cc
PKGS     := libcurl openssl libmicrohttpd gsl
TEST_PKGS := check
OPT      ?= -O2 -g
SAN_asan := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_tsan := -fsanitize=thread
# pkg-config runs once, after `.ci/deps` has had its chance to install packages.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
TEST_LIBS  = $(eval TEST_LIBS := $(shell pkg-config --libs $(TEST_PKGS)))$(TEST_LIBS)
CFLAGS   += $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread $(SAN_$(SANITIZE))
LDFLAGS  += -pthread $(SAN_$(SANITIZE))
LDLIBS   += -lm
SIZE     ?= default
TIMEOUT  ?= 60
STRESS_SECS ?= 60
MAKEFLAGS += -j$(shell nproc)
PREFIX   ?= /usr/local
VERSION  := $(shell awk '/define CF_VERSION_STRING/ { gsub(/"/, "", $$3); print $$3 }' lib/cfutures.h)
SOMAJOR  := $(firstword $(subst ., ,$(VERSION)))

LIB_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard lib/*.c))
APP_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard workloads/*.c) $(filter-out bench/main.c,$(wildcard bench/*.c bench/cmd/*.c)))
TESTS     := $(patsubst tests/%.c,$(BUILD)/tests/%,$(filter-out %_mpi_pool.c,$(wildcard tests/test_*.c)))
EXAMPLES  := $(patsubst examples/%.c,$(BUILD)/examples/%,$(filter-out examples/mpi_%,$(wildcard examples/*.c)))
LIBA      := $(BUILD)/libcfutures.a
LIBSO     := $(BUILD)/libcfutures.so.$(VERSION)
CFBENCH   := $(BUILD)/cfbench
# MPI (lib/mpi, its test and demo, cfbench's mpi mode): only where pkg-config finds Open MPI.
MPI_PC    := $(shell pkg-config --exists ompi-c 2>/dev/null && echo ompi-c)
MPI_LIBS   = $(shell pkg-config --libs ompi-c)
MPIEXEC   := mpiexec --oversubscribe $(if $(filter 0,$(shell id -u)),--allow-run-as-root)
LIBMPIA   := $(BUILD)/libcfutures_mpi.a
MPI_BINS  := $(BUILD)/tests/test_mpi_pool $(BUILD)/examples/mpi_demo

# The configuration (compiler, flags, Open MPI found or not), rewritten only
# when it changes: every object depends on it, so a change rebuilds them all.
CONFIG    := $(BUILD)/config.stamp
CONFIG_IS := $(CC) $(CFLAGS) $(LDFLAGS) mpi=$(MPI_PC)
ifneq ($(file <$(CONFIG)),$(CONFIG_IS))
$(shell mkdir -p $(BUILD))$(file >$(CONFIG),$(CONFIG_IS))
endif

.SECONDARY:
.PHONY: all deps tests test check-sanitize stress bench plots hyperfine compare-python fuzz clean \
    install uninstall mpi
# `all` builds what `make bench` runs; the test binaries need Check, which
# only `make test` (and check-sanitize) installs and builds.
all: $(CFBENCH) $(EXAMPLES) $(LIBSO) $(BUILD)/cfbench.1 \
    $(if $(MPI_PC),$(BUILD)/examples/mpi_demo)

# One .ci/deps run per make, for the groups the goals given need.
goals_need = $(if $(filter $(1),$(MAKECMDGOALS)),$(2))
DEPS := build $(call goals_need,bench plots hyperfine compare-python sweep chunksweep overhead peers reference,bench) \
    $(call goals_need,tests test stress,test) $(call goals_need,check-sanitize,sanitize) \
    $(call goals_need,fuzz,fuzz)
deps:
	@./.ci/deps $(DEPS)

$(BUILD)/%.o: %.c $(CONFIG) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/pic/%.o: %.c $(CONFIG) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@
$(BUILD)/examples/%.o: CFLAGS += -Ilib
$(BUILD)/bench/meta.o: CFLAGS += -DCF_BUILD_FLAGS='"$(OPT) -std=c11 -D_GNU_SOURCE $(SAN_$(SANITIZE))"'
$(LIBA): $(LIB_OBJ)
	$(AR) rcs $@ $^
$(LIBSO): $(patsubst %.c,$(BUILD)/pic/%.o,$(wildcard lib/*.c))
	$(CC) -shared -Wl,-soname,libcfutures.so.$(SOMAJOR) $(LDFLAGS) $^ -lm -o $@
	ln -sf $(@F) $(BUILD)/libcfutures.so.$(SOMAJOR) && ln -sf $(@F) $(BUILD)/libcfutures.so
$(BUILD)/cfbench.1: $(CFBENCH) bench/manpage.sh
	./bench/manpage.sh $(CFBENCH) > $@
# With Open MPI, cfbench links the MPI pool (--mode mpi, overhead --impl mpi); main.c says so.
$(BUILD)/bench/main.o: CFLAGS += $(if $(MPI_PC),-DCF_WITH_MPI)
$(CFBENCH): $(BUILD)/bench/main.o $(APP_OBJ) $(if $(MPI_PC),$(LIBMPIA)) $(LIBA)
	$(CC) $(LDFLAGS) $^ $(PKG_LIBS) $(if $(MPI_PC),$(MPI_LIBS)) $(LDLIBS) -o $@
$(BUILD)/examples/%: $(BUILD)/examples/%.o $(LIBA)
	$(CC) $(LDFLAGS) $^ $(PKG_LIBS) $(LDLIBS) -o $@
$(BUILD)/tests/%: $(BUILD)/tests/%.o $(APP_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) $^ $(PKG_LIBS) $(TEST_LIBS) $(LDLIBS) -o $@
MPI_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard lib/mpi/*.c))
$(MPI_OBJ): CFLAGS += $(shell pkg-config --cflags-only-I ompi-c | sed 's/-I/-isystem /g')
$(LIBMPIA): $(MPI_OBJ)
	$(AR) rcs $@ $^
# test_mpi_pool: the Check tests, and the scenarios rank 0 runs under mpiexec.
$(BUILD)/tests/test_mpi_pool: $(BUILD)/tests/mpi_scenarios.o
$(MPI_BINS): $(BUILD)/%: $(BUILD)/%.o $(LIBMPIA) $(LIBA)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(filter %.a,$^) $(PKG_LIBS) $(if $(findstring /tests/,$@),$(TEST_LIBS)) $(MPI_LIBS) $(LDLIBS) -o $@

# Each test binary runs on its own; Check kills a test after CK_DEFAULT_TIMEOUT.
# test_mpi_pool runs its pools alone (spawned workers) and under $(MPIEXEC) itself;
# mpi_hosts.sh runs cfbench's across network namespaces (as root; else it skips).
MPI_SKIP  := $(if $(MPI_PC),$(if $(filter tsan,$(SANITIZE)),under TSan: it reports a lock-order \
             inversion inside Open MPI (mca_btl_tcp_add_procs in MPI_Init)),Open MPI not found (pkg-config ompi-c))
tests: all $(TESTS) $(if $(MPI_PC),$(BUILD)/tests/test_mpi_pool)
test: tests
	@./tests/check_tutorial.sh tutorial.md README.md
	@$(if $(MPI_SKIP),echo "test_mpi_pool and mpi_hosts.sh: skipped: $(MPI_SKIP)")
	@CFBENCH=$(CFBENCH) CK_DEFAULT_TIMEOUT=$(TIMEOUT) SANITIZE=$(SANITIZE) SAN_FLAGS='$(SAN_$(SANITIZE))' \
	    MPIEXEC="$(MPIEXEC)" MPI_TEST=$(BUILD)/tests/test_mpi_pool MPI_SKIP="$(MPI_SKIP)" \
	    CFBENCH_MPI=$(if $(MPI_PC),yes,no) TEST_DIR=$(BUILD)/tests \
	    ./tests/run $(filter-out $(NO_TSAN:%=$(BUILD)/tests/%),$(TESTS)) tests/forkserver.sh \
	    $(SCRIPT_TESTS_$(or $(SANITIZE),plain)) \
	    $(if $(MPI_SKIP),,tests/mpi_pool.sh $(if $(SANITIZE),,tests/mpi_hosts.sh))
# The harness's scripts test gnuplot, Chromium and make install, not threads:
# the plain build runs them all, ASan the hostile files (cfbench report's
# reading), TSan none (CI's 15 minutes).
SCRIPT_TESTS_plain := tests/report.sh tests/hostile_plots.sh tests/install.sh tests/quiet.sh tests/exercises.sh
SCRIPT_TESTS_asan  := tests/hostile_plots.sh
# Under TSan, the suites of single-threaded code (parsers, statistics, the
# report, the Python twin's driver) prove nothing more than the plain and
# ASan builds do: TSan runs the rest.
NO_TSAN := $(if $(filter tsan,$(SANITIZE)),test_budget test_compare test_csv test_csvread \
           test_demo test_html test_overhead test_plan test_python test_stats test_trace test_usage)
# Seeded random mixes of every operation (tests/stress.c); STRESS_ARGS=--seed N replays one.
stress: $(BUILD)/tests/stress
	$(BUILD)/tests/stress --seconds $(STRESS_SECS) $(STRESS_ARGS)
# An MPI pool both ways: under mpiexec (rank 0 the client), then alone (it spawns its workers).
mpi: $(if $(MPI_PC),$(BUILD)/examples/mpi_demo)
	@$(if $(MPI_PC),,echo "make mpi: Open MPI not found (pkg-config ompi-c)"; exit 1)
	$(MPIEXEC) -n 3 $(BUILD)/examples/mpi_demo
	$(BUILD)/examples/mpi_demo
# Only the public header is installed; DESTDIR stages a package.
install: $(LIBA) $(LIBSO) $(CFBENCH) $(BUILD)/cfbench.1
	@D=$(DESTDIR)$(PREFIX); set -e; install -d $$D/include $$D/lib/pkgconfig $$D/bin $$D/share/man/man1; \
	install -m 644 lib/cfutures.h $$D/include; install -m 644 $(LIBA) $$D/lib; \
	install -m 755 $(LIBSO) $$D/lib; ln -sf $(notdir $(LIBSO)) $$D/lib/libcfutures.so.$(SOMAJOR); \
	ln -sf libcfutures.so.$(SOMAJOR) $$D/lib/libcfutures.so; install -m 755 $(CFBENCH) $$D/bin; \
	install -m 644 $(BUILD)/cfbench.1 $$D/share/man/man1; \
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' cfutures.pc.in > $$D/lib/pkgconfig/cfutures.pc
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,include/cfutures.h lib/libcfutures.a lib/libcfutures.so \
	    lib/libcfutures.so.$(SOMAJOR) lib/$(notdir $(LIBSO)) lib/pkgconfig/cfutures.pc bin/cfbench \
	    share/man/man1/cfbench.1)
# A sanitizer report ends the test process, so Check counts it as an error.
check-sanitize: export ASAN_OPTIONS = halt_on_error=1:detect_leaks=1
check-sanitize: export UBSAN_OPTIONS = halt_on_error=1:print_stacktrace=1
# die_after_fork=0: libcurl's resolver starts a thread inside forked workers.
check-sanitize: export TSAN_OPTIONS = halt_on_error=1:second_deadlock_stack=1:die_after_fork=0
check-sanitize: deps
	$(MAKE) SANITIZE=asan test TIMEOUT=120
	$(MAKE) SANITIZE=tsan test TIMEOUT=180
	$(MAKE) SANITIZE=asan stress STRESS_SECS=10
	$(MAKE) SANITIZE=tsan stress STRESS_SECS=10
	$(MAKE) fuzz FUZZ_SECS=10
	$(MAKE) tests && ./tests/leaks.sh build
# libFuzzer targets (clang), each run FUZZ_SECS s; corpora grow in build/fuzz.
FUZZ_CC   ?= clang
FUZZ_SECS ?= 60
FUZZERS   := $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/fuzz_*.c))
# What a target may call: the library, the workloads, bench/'s reader of untrusted files.
FUZZ_SRC  := $(wildcard lib/*.c workloads/*.c) bench/csvread.c
build/fuzz/%: fuzz/%.c $(FUZZ_SRC) | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -std=c11 -D_GNU_SOURCE -pthread -fsanitize=fuzzer,address,undefined \
	    $(PKG_CFLAGS) $^ $(PKG_LIBS) -lm -o $@
fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do mkdir -p $$f.corpus; \
	    $$f -max_total_time=$(FUZZ_SECS) $$f.corpus fuzz/corpus/$${f##*/} > $$f.log 2>&1 \
	    || { tail -n 40 $$f.log; exit 1; }; echo "$${f##*/}: $$(tail -n 1 $$f.log)"; done

bench: all | deps
	$(CFBENCH) run --workload all --size $(SIZE) --out results
	$(CFBENCH) run --workload hash --mode loop,seq,thread,process --workers 1,2,4 --size $(SIZE) \
	    --repeat 3 --warmup 0 --quiet --out results/sweep
	$(CFBENCH) run --workload hash,prime --size quick --trace --repeat 3 --quiet --out results/trace
	$(CFBENCH) run --workload hash,prime --size quick --trace --repeat 3 --quiet --chunksize 64 \
	    --out results/trace64
	$(CFBENCH) overhead --tasks 20000 > results/overhead.csv
	@./plots/draw results plots --terminal
	$(CFBENCH) report results --plots plots
plots: | deps
	@./plots/draw results plots
hyperfine: all | deps
	@./bench/hyperfine.sh $(CFBENCH) results
# C and Python's concurrent.futures side by side (impl column): results/python, charts in it.
compare-python: all | deps
	@if python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null; then \
	    $(CFBENCH) run --impl all --workload all --size $(SIZE) --out results/python && \
	    ./plots/draw results/python results/python/plots && \
	    $(CFBENCH) report results/python; \
	else echo "compare-python: Python 3.8+ (python3) not available; skipped"; fi
# Speedup against workers, past the core count on purpose.
sweep: all | deps
	$(CFBENCH) run --workload hash,prime --mode loop,seq,thread,process,thread-gil \
	    --workers 1,2,4,8,16 --size $(SIZE) --repeat 3 --out results/sweep
	@./plots/draw results plots
# A lesson for a class, live in the terminal: make demo LESSON=gil (default: all in turn).
LESSON ?= $(shell $(CFBENCH) demo --list 2>/dev/null | cut -d' ' -f1)
demo: $(CFBENCH)
	@for l in $(LESSON); do $(CFBENCH) demo $$l || exit 1; done
# Every file under results/reference/ and plots/reference/ again, on a quiet
# machine, swapped in at the end (bench/reference.sh; FORCE=1 overrides).
reference: all | deps
	@./bench/reference.sh
# Every number tutorial.md and README.md cite must still match its source.
check-tutorial:
	@./tests/check_tutorial.sh tutorial.md README.md
# map's chunksize from 1 to 1024, prime and hash, threads and processes, C and
# Python: one run per chunksize in results/chunks/cN, all in its summary.csv.
CHUNKS ?= 1 2 4 8 16 32 64 128 256 512 1024
chunksweep: all | deps
	@rm -rf results/chunks
	@for c in $(CHUNKS); do m=thread,process; [ $$c = $(firstword $(CHUNKS)) ] && m=loop,seq,$$m; \
	    $(CFBENCH) run --impl all --workload prime,hash --mode $$m --workers 2 --chunksize $$c \
	        --size $(SIZE) --repeat 3 --warmup 1 --quiet --out results/chunks/c$$c || exit 1; done
	@{ head -n 1 results/chunks/c$(firstword $(CHUNKS))/summary.csv; for c in $(CHUNKS); do \
	    tail -n +2 results/chunks/c$$c/summary.csv; done; } > results/chunks/summary.csv
	@./plots/draw results plots
.PHONY: overhead sweep chunksweep demo check-tutorial reference
# Ours and the peers in turn, ROUNDS times (bench/peers/rounds.sh): each goal
# is judged on the median ratio, printed with its spread.
ROUNDS ?= 5
overhead: all peers | deps
	@mkdir -p results
	./bench/peers/rounds.sh $(CFBENCH) $(ROUNDS) 20000 > results/overhead-rounds.csv
	@awk -f bench/peers/median.awk results/overhead-rounds.csv > results/overhead.csv
	@cat results/overhead.csv && echo && awk -f bench/peers/ratios.awk results/overhead-rounds.csv
	@./plots/draw results plots
clean:
	rm -rf build

include bench/peers/peers.mk

-include $(shell find build -name '*.d' 2>/dev/null)
