#!/bin/sh
# mpi_pool.sh -- runs test_mpi_pool ($MPI_TEST, set by `make test`) for
# tests/run, with what Open MPI needs under AddressSanitizer: full stacks
# (Open MPI has no frame pointers) and tests/mpi_lsan.supp for the leaks
# inside Open MPI. The environment reaches the workers it spawns too.
# use_tls=0: GCC 12's LeakSanitizer reads a bogus dynamic-TLS range left by
# Open MPI's dlopen-ed components in spawned workers ("DTLS 10 at
# 0x3afd-0x400004bff", then "Tracer caught signal 11"); not scanning TLS
# as roots can only report more, never hide a leak.
t=${MPI_TEST:?MPI_TEST names the test_mpi_pool binary}
case "$t" in
*/asan/*)
    LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/mpi_lsan.supp:use_tls=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
    export LSAN_OPTIONS ASAN_OPTIONS ;;
esac
exec "$t"
