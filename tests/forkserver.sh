#!/bin/sh
# forkserver.sh -- the process pool tests again with every pool's workers
# started by the fork server (CF_TEST_START_METHOD=forkserver, read by
# tests/lib_check.h), as CPython runs its process pool tests once per start
# method (the process pool's iterations only: lib_check.h's loops skip the
# other kinds then). $TEST_DIR holds the test binaries (set by `make test`). Prints
# what Check prints, then one "N passed, N failed" line for tests/run.
d=${TEST_DIR:?TEST_DIR names the folder of the test binaries}
# Sanitizer builds run test_forkserver (the server's own code) and not
# this: the same pool code again, at a minute of CI time.
if [ -n "${SANITIZE:-}" ]; then
    echo "forkserver.sh: skipped in the $SANITIZE build: 0 passed, 0 failed"
    exit 0
fi
passed=0; failed=0
for t in "$d"/test_conformance_* "$d"/test_process_pool; do
    case $t in *.[od]) continue ;; esac # the suites' objects and dependencies
    t=${t##*/}
    out=$(CF_TEST_START_METHOD=forkserver "$d/$t" 2>&1); rc=$?
    printf '%s\n' "$out" | sed "s/^/forkserver $t: /"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
    c=$(printf '%s' "$line" | sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p')
    set -- ${c:-0 0 0}
    f=$(($2 + $3))
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1 # it crashed, or failed without saying
    passed=$((passed + $1 - $2 - $3)); failed=$((failed + f))
done
echo "forkserver.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
