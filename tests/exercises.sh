#!/bin/bash
# tests/exercises.sh -- a reader who does the short exercises leaves the
# reference alone: each command block of tutorial.md marked <!-- try -->
# runs as written (its "$ " prompts dropped), in a fresh tree made of this
# one's sources and build with its own copy of results/reference/; then
# results/reference/ and plots/reference/ (here and in the copy) must be
# byte for byte as before, and `make check-tutorial` must still pass
# against the copy. Run by `make test` (plain build).
set -u
cd "$(dirname "$0")/.."
root=$PWD pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
sums() { (cd "$1" && find results/reference plots/reference -type f 2> /dev/null | LC_ALL=C sort | xargs -r sha1sum); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
for d in build bench plots workloads examples lib; do ln -s "$root/$d" "$tmp/$d"; done
mkdir -p "$tmp/results" && cp -r results/reference "$tmp/results/reference"
before=$(sums "$root")
# The marked blocks, prompts dropped: one script.
awk '/<!-- try -->/ { want = 1; next }
     /^ *```/ { if (want && !code) { code = 1; next } if (code) { code = 0; want = 0; next } }
     code { sub(/^ *\$ /, ""); print }' tutorial.md > "$tmp/try.sh"
n=$(grep -c . "$tmp/try.sh")
if [ "$n" -eq 0 ]; then
    bad "tutorial.md marks no block <!-- try -->"
else
    t0=$(date +%s)
    if (cd "$tmp" && bash -e try.sh > try.log 2>&1); then
        ok "the marked exercise commands ran as written ($n lines, $(($(date +%s) - t0)) s)"
    else
        bad "a marked exercise command failed:"; tail -n 5 "$tmp/try.log"
    fi
    [ -d "$tmp/results/exercises" ] && ok "they wrote under results/exercises/" ||
        bad "nothing under results/exercises/"
fi
[ "$(sums "$root")" = "$before" ] && ok "results/reference/ and plots/reference/ unchanged" ||
    bad "the exercises changed the reference"
[ "$(sums "$tmp" | grep ' results/')" = "$(printf '%s\n' "$before" | grep ' results/')" ] &&
    ok "the fresh tree's copy of the reference unchanged" || bad "the exercises changed the copy"
if python3 bench/check_tutorial.py --ref "$tmp/results/reference" tutorial.md > "$tmp/check.log" 2>&1; then
    ok "make check-tutorial passes after the exercises"
else
    bad "make check-tutorial fails after the exercises:"; head -n 5 "$tmp/check.log"
fi
echo "exercises: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
