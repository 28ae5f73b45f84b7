#!/bin/sh
# tests/leaks.sh -- valgrind memcheck over one quick `cfbench run` (every
# workload, every mode; forked pool workers included) and over the executor
# core's test binaries run without Check's fork (CK_FORK=no), so that every
# test's allocations live in one process that memcheck sees end.
#
# usage: tests/leaks.sh [BUILD]   (BUILD: a non-sanitized build, default
# build). Any definite or indirect leak, or any memory error, in any process
# fails the script and prints valgrind's report. About a minute.
#
# The download workload fetches from a `cfbench serve` started here,
# natively, through --urls: under valgrind cfbench cannot re-run itself as
# /proc/self/exe for its embedded server.
set -eu
build=${1:-build}
cfbench=$(cd "$build" && pwd)/cfbench
here=$(pwd)
if ! command -v valgrind >/dev/null 2>&1; then
    echo "leaks: valgrind is not installed (apt-get install valgrind)" >&2
    exit 1
fi
[ -x "$cfbench" ] || { echo "leaks: no $cfbench (make all first)" >&2; exit 1; }
work=$(mktemp -d /tmp/cfbench-leaks.XXXXXX)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

vg() { # vg NAME COMMAND...: memcheck, one log per process under $work/logs
    name=$1; shift
    valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
        --suppressions="$here/tests/leaks.supp" \
        --log-file="$work/logs/$name.%p" "$@"
}
mkdir -p "$work/logs" "$work/run"

# The server prints its URL first; a FIFO lets us read it while it runs.
mkfifo "$work/url"
"$cfbench" serve --port 0 --ttfb-ms 0 --size 16K > "$work/url" &
server=$!
read -r base < "$work/url"
urls="$base/files/a.pdf,$base/files/b.pdf,$base/files/c.txt,$base/status/404/d.pdf"

status=0
cd "$work/run"
vg run "$cfbench" run --size quick --workload prime,hash --repeat 1 --warmup 0 \
    --quiet --out out > /dev/null || status=1
vg download "$cfbench" run --workload download --repeat 1 --warmup 0 \
    --quiet --out out --urls "$urls" > /dev/null || status=1
cd "$here"
for t in test_future test_map test_wait test_thread_pool test_executor test_csv test_forkserver; do
    [ -x "$build/tests/$t" ] || continue
    CK_FORK=no vg "$t" "$build/tests/$t" > "$work/$t.out" 2>&1 || {
        status=1; tail -n 5 "$work/$t.out"; }
done

# -q leaves a log empty unless valgrind found something, in any process.
# Valgrind 3.19 does not know pidfd_open (434): it answers ENOSYS, the pool
# falls back to its pipes' end of file, and that warning is no finding.
for log in "$work"/logs/*; do
    sed -i -e '/unhandled amd64-linux syscall: 434/,/bug_reports.html/d' "$log"
    grep -q '[^[:space:]]' "$log" || continue
    echo "leaks: $(basename "$log"):" >&2
    cat "$log" >&2
    status=1
done
n=$(ls "$work/logs" | wc -l)
[ "$status" -eq 0 ] && echo "leaks: clean ($n processes checked)"
exit "$status"
