#!/bin/sh
# tests/hostile_plots.sh -- results folders are data, not code: plots/draw
# and `cfbench report` (which runs plots/draw) on folders whose names
# (workload, mode, impl, size, notes, executor, method, run_id, meta.txt's
# cpu_model) hold gnuplot and shell syntax, quotes, backslashes, CSV
# quoting, control characters and very long text, and on a folder with
# numbers that are not finite and a CSV that does not parse. Nothing in
# them may run (a marker file must never appear); each command must end
# within its timeout, with charts (status 0) or with one error line.
# Ends with "hostile_plots: N passed, N failed" (counted by tests/run).
# $CFBENCH is the cfbench to test (default build/cfbench).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
exe=${CFBENCH:-build/cfbench}
case "$exe" in /*) ;; *) exe=$(pwd)/$exe ;; esac
passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
bad() { echo "FAIL - $1"; failed=$((failed + 1)); }
finish() { echo "hostile_plots: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

tmp=$(mktemp -d /tmp/cfbench-test-hostile-XXXXXX) || exit 1
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
if ! command -v gnuplot >/dev/null 2>&1; then
    bad "gnuplot not found (.ci/deps bench installs it)"
    finish
fi
mark=$tmp/MARK

# The names. Each would run `touch $mark` if it reached gnuplot's or the
# shell's parser: gnuplot double- and single-quoted strings, backslash
# escapes, backquotes (gnuplot runs `...` in a command line), macros, the
# shell's $(...), an awk program's quotes.
q="'" bq='`'
soh=$(printf '\001') esc=$(printf '\033') tab=$(printf '\t')
long=$(printf '%02000d' 0 | tr 0 x)
names="a\" 1); system \"touch $mark\"; set xtics (\"b
w\"; system \"touch $mark\"; set label \"v
x$q; system(${q}touch $mark$q); y=$q
${bq}touch $mark${bq}
\$(touch $mark)
\\\"; system \"touch $mark\"; \\\"
@term; eval \"system('touch $mark')\"
a,\"quoted\", ${q}comma$q
$q\"}; system(\"touch $mark\"); {\"$q
ctl${soh}x${esc}[31mred${tab}tab
%n%s%d %999999999f %%
$long\"; system \"touch $mark\"; \""

# csv FIELD...: one CSV row, fields quoted as RFC 4180 says when needed.
csv() {
    sep=""
    for f in "$@"; do
        case "$f" in
        *[,\"]*) printf '%s"%s"' "$sep" "$(printf '%s' "$f" | sed 's/"/""/g')" ;;
        *) printf '%s%s' "$sep" "$f" ;;
        esac
        sep=,
    done
    printf '\n'
}
sum_header=impl,workload,mode,workers,chunksize,size,tasks,reps,mean_ms,stddev_ms,median_ms,min_ms,max_ms,speedup,speedup_err,outliers,speedup_lo,speedup_hi,util,queue_p50_us,queue_p95_us,queue_p99_us,run_p50_us,run_p95_us,run_p99_us,back_p50_us,back_p95_us,back_p99_us,notes
# sum IMPL WORKLOAD MODE WORKERS CHUNKSIZE SIZE NOTES: a summary.csv row.
sum() {
    s=2.000 ms=$((40 / $4 + $5 % 7)).5
    [ "$3" = seq ] && s=1.000 ms=40.5
    csv "$1" "$2" "$3" "$4" "$5" "$6" 16 3 "$ms" 0.5 "$ms" 39 42 "$s" 0.05 0 \
        1.9 2.1 0.6 "" "" "" "" "" "" "" "" "" "$7"
}
# summary FILE: sane rows, then each name in every name field.
summary() {
    {
        echo "$sum_header"
        for cs in 1 4 16; do
            for w in 1 2 4; do
                [ "$w" = 1 ] && [ "$cs" = 1 ] && sum c prime seq 1 1 quick ""
                sum c prime thread "$w" "$cs" quick ""
                sum python prime process "$w" "$cs" quick ""
            done
        done
        printf '%s\n' "$names" | while IFS= read -r n; do
            sum c "$n" seq 1 1 "$n" "$n"
            sum c "$n" thread 2 1 quick "$n"
            sum c prime "$n" 1 4 quick ""
            sum c prime "$n" 2 4 quick ""
            sum "$n" prime process 2 16 quick ""
        done
    } >"$1"
}
# tasks FILE: a traced prime run per mode, then each name as run_id,
# impl, workload and mode.
tasks() {
    {
        echo run_id,impl,workload,mode,workers,chunksize,rep,task,worker,submit_us,start_us,end_us,collect_us,ok
        for t in 0 1 2 3; do
            csv r1 c prime seq 1 1 1 "$t" 0 "$t"0.0 "$t"0.5 "$t"9.0 "$t"9.5 1
            csv r2 c prime thread 2 1 1 "$t" $((t % 2)) 1.0 2.0 "$t"8.0 "$t"8.5 1
        done
        printf '%s\n' "$names" | while IFS= read -r n; do
            csv "$n" c prime process 2 1 1 0 1 1.0 2.0 30.0 31.0 1
            csv "r-$n" "$n" prime "$n" 2 1 1 0 1 1.0 2.0 20.0 21.0 1
            csv "$n" "$n" "$n" thread 2 1 1 0 0 1.0 2.0 20.0 21.0 1
        done
    } >"$1"
}
overhead() {
    {
        echo executor,method,chunksize,tasks,us_per_task
        csv seq submit 1 1000 0.25
        csv thread submit 1 1000 5.5
        csv libuv-threadpool queue_work 1 1000 2.5
        csv thread startup 2 2 150
        printf '%s\n' "$names" | while IFS= read -r n; do
            csv "$n" submit 1 1000 3.5
            csv thread "$n" 64 1000 1.5
            csv "$n" startup 2 2 900
        done
    } >"$1"
}
meta() {
    {
        echo "date: 2026-01-01T00:00:00Z"
        printf 'cpu_model: %s\n' "$(printf '%s' "$names" | tr '\n' ' ')"
        echo "cores_usable: 2; system \"touch $mark\""
    } >"$1"
}

# Two folders of names: one with every top-level file (tasks.csv, the
# worker sweep in summary.csv), one with the subfolders cfbench and make
# write (sweep/, chunks/, trace/, trace64/).
a=$tmp/names-top b=$tmp/names-sub c=$tmp/broken
mkdir -p "$a" "$b/sweep" "$b/chunks" "$b/trace" "$b/trace64" "$c" || exit 1
summary "$a/summary.csv" && tasks "$a/tasks.csv" && overhead "$a/overhead.csv" && meta "$a/meta.txt"
summary "$b/summary.csv" && summary "$b/sweep/summary.csv" && summary "$b/chunks/summary.csv"
tasks "$b/trace/tasks.csv" && tasks "$b/trace64/tasks.csv" && meta "$b/meta.txt"
# Numbers that are not finite or not numbers, and a quoted field that is
# never closed: charts from what can be read, or one error line.
{
    echo "$sum_header"
    sum c prime seq 1 1 quick ""
    sum c prime thread 2 1 quick ""
    for v in inf -inf nan NaN 1e999 -1e999 0x10 abc "1,5" ""; do
        csv c prime process 2 1 quick 16 3 "$v" 0.5 "$v" 39 42 "$v" 0.05 0 "$v" 2.1 "$v"
    done
} >"$c/summary.csv"
overhead "$c/overhead.csv" && printf '"thread,submit,1,1000,5.5\n' >>"$c/overhead.csv"
echo run_id,impl,workload,mode,workers,chunksize,rep,task,worker,submit_us,start_us,end_us,collect_us,ok >"$c/tasks.csv"
printf 'cpu_model: \001\033[2J"\\\n' >"$c/meta.txt"

# expect NAME CHART... -- status 0 and each PLOTS/CHART.svg and .png
# there, or a status other than 0 with one line on stderr.
expect() {
    what=$1 rc=$2 plots=$3
    shift 3
    if [ -e "$mark" ]; then
        bad "$what: ran a command from the data (marker created)"
        rm -f "$mark"
    else
        ok "$what: nothing from the data ran"
    fi
    if [ "$rc" -eq 124 ]; then
        bad "$what: still running after 60 s"
    elif [ "$rc" -ne 0 ]; then
        lines=$(grep -c . "$tmp/err")
        if [ "$lines" -eq 1 ]; then
            ok "$what: status $rc with one error line: $(cat "$tmp/err")"
        else
            bad "$what: status $rc with $lines lines on stderr:"
            head -c 600 "$tmp/err"; echo
        fi
    else
        missing=""
        for chart in "$@"; do
            [ -s "$plots/$chart.svg" ] && [ -s "$plots/$chart.png" ] || missing="$missing $chart"
        done
        if [ -z "$missing" ]; then
            ok "$what: status 0 with its charts"
        else
            bad "$what: status 0 without charts:$missing; stderr:"
            head -c 600 "$tmp/err"; echo
        fi
    fi
}
# check DIR CHART...: plots/draw DIR, then cfbench report on a copy.
check() {
    dir=$1 name=${1##*/}
    shift
    (cd "$tmp" && timeout 60 "$root/plots/draw" "$dir" "$dir/drawn" >"$tmp/out" 2>"$tmp/err")
    expect "plots/draw $name" $? "$dir/drawn" "$@"
    cp -r "$dir" "$dir-report" && rm -rf "$dir-report/drawn"
    (cd "$tmp" && timeout 60 "$exe" report "$dir-report" >"$tmp/out" 2>"$tmp/err")
    rc=$?
    [ "$rc" -eq 0 ] && [ ! -s "$dir-report/report.html" ] && echo "no report.html" >>"$tmp/err" && rc=1
    expect "cfbench report $name" $rc "$dir-report/plots" "$@"
}
check "$a" speedup abstime scaling overhead utilization timeline-prime
check "$b" speedup abstime scaling chunksize utilization timeline-prime
check "$c" speedup utilization
finish
