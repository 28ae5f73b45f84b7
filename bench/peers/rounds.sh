#!/bin/sh
# rounds.sh -- `make overhead`'s sitting: ours and the peers in turn, ROUNDS times.
#
# A single run on a shared machine says little, so each goal is judged on
# the median of ROUNDS alternations: round r runs `cfbench overhead --impl
# c`, then `--impl peers`, back to back, so that ours and its peer meet the
# same load. Python's pools cost 10-1000x ours (a five-repeat run takes
# about a minute here) and no goal needs their spread: they run once, in
# round 1, with --repeat 1. Prints the CSV of `cfbench overhead` with a last
# column, round; bench/peers/median.awk makes it one row per figure.
# usage: bench/peers/rounds.sh CFBENCH ROUNDS TASKS > results/overhead-rounds.csv
set -eu
[ $# -eq 3 ] || { echo "usage: bench/peers/rounds.sh CFBENCH ROUNDS TASKS" >&2; exit 2; }
cfbench=$1 rounds=$2 tasks=$3
tag() { awk -F, -v r="$1" -v head="$2" 'NR == 1 { if (head) print $0 ",round"; next } { print $0 "," r }'; }
r=1
while [ "$r" -le "$rounds" ]; do
    echo "overhead: round $r of $rounds" >&2
    "$cfbench" overhead --impl c --tasks "$tasks" | tag "$r" "$([ "$r" = 1 ] && echo 1)"
    "$cfbench" overhead --impl peers --tasks "$tasks" | tag "$r" ""
    [ "$r" = 1 ] && "$cfbench" overhead --impl python --tasks "$tasks" --repeat 1 | tag "$r" ""
    r=$((r + 1))
done
