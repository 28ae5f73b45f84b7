#!/bin/sh
# tests/check_tutorial.sh -- tests bench/check_tutorial.py on a tiny fixture
# (tests/tutorial/): good.md must pass; bad.md, the same text with numbers
# and an output line gone wrong, must fail with exactly bad.expected (one
# FILE:LINE per wrong number); --update must bring a stale output block
# of good.md back in line. Then checks the files given (tutorial.md, README.md).
set -u
cd "$(dirname "$0")/.."
check=bench/check_tutorial.py fix=tests/tutorial fail=0
python3 $check --ref $fix/ref $fix/good.md 2>/dev/null || { echo "check-tutorial: good.md should pass"; fail=1; }
got=$(python3 $check --ref $fix/ref $fix/bad.md 2>/dev/null) && { echo "check-tutorial: bad.md should fail"; fail=1; }
[ "$got" = "$(cat $fix/bad.expected)" ] || { echo "check-tutorial: bad.md gave:"; echo "$got"; fail=1; }
tmp=$(mktemp)
sed 's/^  took 7.41 s/  took 9.99 s/' $fix/good.md > "$tmp"
python3 $check --ref $fix/ref "$tmp" > /dev/null 2>&1 && { echo "check-tutorial: a stale block should fail"; fail=1; }
python3 $check --ref $fix/ref --update "$tmp" > /dev/null 2>&1 || { echo "check-tutorial: --update should fix a stale block"; fail=1; }
rm -f "$tmp"
# A command quoted in a code block writes under results/exercises/ or a
# temporary folder, never into the reference a reader's run would spoil.
for f in "$@"; do
    awk -v f="$f" '/^```/ { code = !code; next }
        code && /(--out|>|plots\/draw) *(results|plots)\/reference/ {
            printf "%s:%d: a quoted command writes into the reference: %s\n", f, NR, $0; bad = 1 }
        END { exit bad }' "$f" || fail=1
done
[ $fail -eq 0 ] || exit 1
exec python3 $check "$@"
