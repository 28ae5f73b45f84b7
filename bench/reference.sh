#!/bin/bash
# bench/reference.sh -- `make reference`: every file under results/reference/
# and plots/reference/ made again in one sitting: one commit, one machine,
# one meta.txt per set (each with its other_cpu), on a quiet machine.
#
# It refuses to start while other work keeps more than MAX cores busy over
# 10 s (`cfbench quiet`), or with uncommitted changes outside the reference
# folders (the sets' meta.txt name the commit). Each step of
# bench/tutorial.sh then runs into a temporary folder, after a shorter
# check that the machine is still quiet; load arriving mid-way stops it, and
# so does a failed command. Only when every step has run does the new set
# replace results/reference/ and plots/reference/ (two renames each), so a
# stopped run leaves them as they were. quiet.txt keeps every check's line
# (other work in cores, steal, load) for the text to cite. FORCE=1 skips the checks of the
# machine and says so in every meta.txt.
#
# usage: bench/reference.sh          (make reference; FORCE=1 MAX=0.2)
set -u
cd "$(dirname "$0")/.."
cf=${CFBENCH:-build/cfbench}  # tests/quiet.sh gives a stand-in
max=${MAX:-0.2}
force=${FORCE:-0}
new=results/.reference.new new_plots=plots/.reference.new
say() { echo "make reference: $*"; }

# quiet SECONDS WHEN: 0 when the machine is quiet enough (or FORCE=1);
# each check's line is kept for quiet.txt, the set's record of quietness.
quiet() {
    local got
    got=$($cf quiet --seconds "$1" --max "$max") && { checks+="$2: $got"$'\n'; return 0; }
    checks+="$2: $got"$'\n'
    if [ "$force" = 1 ]; then say "$got; FORCE=1: going on"; forced="$forced; $got"; return 0; fi
    say "$got"
    return 1
}

[ -x "$cf" ] || make all > /dev/null || exit 1
forced="" checks=""
if ! quiet 10 "before the first step"; then
    say "refused: the machine is busy (other work over $max cores); nothing was written"
    exit 1
fi
if ! git diff --quiet HEAD -- . ':!results/reference' ':!plots/reference' 2> /dev/null; then
    say "uncommitted changes: commit first (each set's meta.txt names the commit)"
    [ "$force" = 1 ] || exit 1
fi
rm -rf "$new" "$new_plots"
mkdir -p "$new" "$new_plots" || exit 1
trap 'rm -rf "$new" "$new_plots"' EXIT
for step in $(bench/tutorial.sh --list); do
    if [ "$step" != build ] && ! quiet 3 "before step $step"; then
        say "stopped before step $step: load arrived; results/reference/ is as it was"
        exit 1
    fi
    log=$(TUTORIAL_REF=$new TUTORIAL_PLOTS=$new_plots bench/tutorial.sh "$step" 2>&1)
    printf '%s\n' "$log" | grep -v '^done; now'
    if printf '%s\n' "$log" | grep -q ': rc=[1-9]'; then
        say "stopped: step $step failed; results/reference/ is as it was"
        exit 1
    fi
done
# What the machine did, checked before each step: the tutorial cites it.
printf '%s' "$checks" > "$new/quiet.txt"
# Every set says what else ran; forced ones say they were forced.
find "$new" -name meta.txt | while read -r m; do
    grep -q '^other_cpu: ' "$m" || echo "other_cpu: unknown (no timed run)" >> "$m"
    [ "$force" = 1 ] && echo "forced: FORCE=1, the machine's checks overridden${forced}" >> "$m"
done
for d in results/reference:$new plots/reference:$new_plots; do
    old=${d%%:*} tmp=${d#*:}
    rm -rf "$old.old" && { [ ! -e "$old" ] || mv "$old" "$old.old"; } && mv "$tmp" "$old" &&
        rm -rf "$old.old" || { say "could not swap $old in"; exit 1; }
done
trap - EXIT
say "done: results/reference/ and plots/reference/ rebuilt; now make check-tutorial"
