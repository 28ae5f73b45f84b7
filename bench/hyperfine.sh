#!/bin/sh
# bench/hyperfine.sh -- whole-process times (hyperfine) beside cfbench's
# in-process medians, to show what process start, workload setup (the
# download server) and output cost on top of the timed block.
#
# usage: bench/hyperfine.sh CFBENCH RESULTS_DIR
#
# 1. `CFBENCH run --size quick` into a scratch folder gives the in-process
#    medians (its summary.csv; copied to RESULTS_DIR/hyperfine_inproc.csv).
# 2. hyperfine times, for each (workload, mode) of that summary, a whole
#    `CFBENCH run --workload W --mode M --size quick --repeat 1 --quiet`
#    process (--warmup 0 and --no-reference so that the process runs the
#    mode exactly once; its CSV go to the scratch folder) and exports
#    RESULTS_DIR/hyperfine.csv and hyperfine.json.
# 3. RESULTS_DIR/hyperfine_vs_timeit.csv sets the two medians side by side
#    and the table is printed.
set -eu

[ $# -eq 2 ] || { echo "usage: bench/hyperfine.sh CFBENCH RESULTS_DIR" >&2; exit 2; }
cfbench=$1 results=$2
command -v hyperfine >/dev/null 2>&1 || { echo "hyperfine.sh: hyperfine not found" >&2; exit 1; }
[ -x "$cfbench" ] || { echo "hyperfine.sh: $cfbench is not executable" >&2; exit 1; }
case "$cfbench" in /*) ;; *) cfbench=$(pwd)/$cfbench ;; esac
case "$cfbench" in *"'"*) echo "hyperfine.sh: quote in $cfbench" >&2; exit 2 ;; esac
mkdir -p "$results"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "in-process: $cfbench run --size quick --quiet" >&2
"$cfbench" run --size quick --quiet --out "$scratch/inproc"
cp "$scratch/inproc/summary.csv" "$results/hyperfine_inproc.csv"

# Build hyperfine's argument list: -n NAME 'COMMAND' per (workload, mode).
set --
for pair in $(awk -F, 'NR > 1 { print $2 ":" $3 }' "$scratch/inproc/summary.csv"); do
    w=${pair%%:*} m=${pair#*:}
    set -- "$@" -n "$w,$m" \
        "'$cfbench' run --workload $w --mode $m --size quick --repeat 1 --warmup 0 --no-reference --quiet --out '$scratch/whole'"
done
[ $# -gt 0 ] || { echo "hyperfine.sh: the in-process run measured nothing" >&2; exit 1; }

hyperfine --warmup 1 --runs 5 --style basic \
    --export-csv "$results/hyperfine.csv" \
    --export-json "$results/hyperfine.json" "$@" >&2

# hyperfine.csv: command,mean,stddev,median,user,system,min,max (seconds);
# the command column holds our "workload,mode" name, quoted.
awk -F, '
    NR == FNR { if (FNR > 1) { key = $2 "," $3; inproc[key] = $11; workers[key] = $4 } next }
    FNR == 1 { print "workload,mode,workers,inproc_median_ms,process_median_ms,process_mean_ms,process_stddev_ms,outside_ms,ratio"; next }
    {
        gsub(/"/, "")                 # "w,m" split into $1, $2
        key = $1 "," $2
        med = $5 * 1000; mean = $3 * 1000; sd = $4 * 1000
        in_ms = inproc[key]
        printf "%s,%s,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.2f\n", $1, $2, workers[key], in_ms, med, mean, sd, med - in_ms, (in_ms > 0 ? med / in_ms : 0)
    }' "$scratch/inproc/summary.csv" "$results/hyperfine.csv" > "$results/hyperfine_vs_timeit.csv"

echo
echo "whole process (hyperfine) vs in-process timer, size quick; ms"
awk -F, '
    NR == 1 { printf "%-9s %-10s %7s %12s %13s %11s %8s\n", "workload", "mode", "workers", "in-process", "whole proc", "outside", "ratio"; next }
    { printf "%-9s %-10s %7s %12.2f %13.2f %11.2f %7.1fx\n", $1, $2, $3, $4, $5, $8, $9 }' \
    "$results/hyperfine_vs_timeit.csv"
echo "(outside = whole-process median - in-process median: exec, setup, output)"
echo "files: $results/hyperfine.csv $results/hyperfine.json $results/hyperfine_vs_timeit.csv"
