#!/bin/sh
# tests/quiet.sh -- `cfbench quiet` (is the machine quiet?) and the refusal
# of `make reference` (bench/reference.sh) on a busy machine. A /proc/stat
# that does not move reads as quiet; two processes spinning for 2 s read as
# busy; reference.sh, told busy by a stand-in cfbench, refuses at once and
# writes nothing. Ends with "quiet: N passed, N failed" (tests/run).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
exe=${CFBENCH:-build/cfbench}
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac
passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
bad() { echo "FAIL - $1"; failed=$((failed + 1)); }
tmp=$(mktemp -d /tmp/cfbench-test-quiet-XXXXXX) || exit 1
spin1="" spin2=""
trap '[ -n "$spin1" ] && kill $spin1 $spin2 2>/dev/null; rm -rf "$tmp"' EXIT

printf 'cpu  100 0 100 1000 0 0 0 0 0 0\ncpu0 100 0 100 1000 0 0 0 0 0 0\n' > "$tmp/stat"
out=$(CFBENCH_PROC_STAT=$tmp/stat "$exe" quiet --seconds 1); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '^other_cpu: 0.00 cores over 1.0 s.*: quiet'; then
    ok "a still /proc/stat is a quiet machine"
else bad "still /proc/stat: rc $rc: $out"; fi

out=$(CFBENCH_PROC_STAT=$tmp/none "$exe" quiet --seconds 1 2>&1); rc=$?
if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q 'cannot read'; then
    ok "an unreadable /proc/stat is not taken for quiet"
else bad "unreadable /proc/stat: rc $rc: $out"; fi

sh -c 'while :; do :; done' & spin1=$!
sh -c 'while :; do :; done' & spin2=$!
out=$("$exe" quiet --seconds 2); rc=$?
kill $spin1 $spin2; wait $spin1 $spin2 2>/dev/null; spin1=""
cores=$(printf '%s' "$out" | sed -n 's/^other_cpu: \([0-9.]*\) cores.*/\1/p')
if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q ': busy' &&
    awk -v c="${cores:-0}" 'BEGIN { exit !(c > 0.5) }'; then
    ok "two spinning processes make it busy ($cores cores)"
else bad "two spinners: rc $rc: $out"; fi

# reference.sh asks its cfbench whether the machine is quiet; this one
# says busy and notes any other command it is asked to run.
cat > "$tmp/cfbench" <<STUB
#!/bin/sh
[ "\$1" = quiet ] || { echo "\$*" >> "$tmp/ran"; exit 99; }
echo "other_cpu: 1.95 cores over 10.0 s (steal 0.00, load 2.10): busy (over 0.2 is busy)"
exit 1
STUB
chmod +x "$tmp/cfbench"
before=$(cd "$root" && ls -a results plots | cksum)
out=$(CFBENCH=$tmp/cfbench "$root/bench/reference.sh" 2>&1); rc=$?
after=$(cd "$root" && ls -a results plots | cksum)
if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q 'refused: the machine is busy' &&
    [ ! -e "$tmp/ran" ] && [ "$before" = "$after" ]; then
    ok "make reference refuses a busy machine and writes nothing"
else bad "reference.sh on a busy machine: rc $rc, ran: $(cat "$tmp/ran" 2>/dev/null): $out"; fi

echo "quiet: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
