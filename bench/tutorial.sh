#!/bin/bash
# bench/tutorial.sh -- runs every measurement tutorial.md and README.md cite,
# on a quiet machine, in about ten minutes, and keeps each where the text
# says: CSV under results/reference/NAME/, each command's output in
# results/reference/NAME.txt (its first line the command), and the charts
# drawn from them into plots/reference/. Then `make check-tutorial` says
# which numbers in the text no longer match. `make reference`
# (bench/reference.sh) runs it step by step into a temporary folder, on a
# machine it has checked is quiet, and swaps the result in at the end.
#
# usage: bench/tutorial.sh [STEP...]   (default: every step, in order)
#        bench/tutorial.sh --list
set -u
cd "$(dirname "$0")/.."
ref=${TUTORIAL_REF:-results/reference}  # another folder: a trial run that the text does not cite
plots_ref=${TUTORIAL_PLOTS:-plots/reference}  # where the charts go
cf=build/cfbench
# The command as one would type it: words with odd characters quoted.
quoted() {
    local out="" a
    for a in "$@"; do
        if [[ $a =~ [^A-Za-z0-9_./,=:@%+-] ]]; then out+=" '${a//\'/\'\\\'\'}'"; else out+=" $a"; fi
    done
    echo "${out# }"
}
# name: the text's name for an output; the rest: the command.
run() { name=$1; shift; { echo "\$ $(quoted "$@")"; "$@"; } > "$ref/$name.txt" 2>&1; echo "$name: rc=$?"; }
# Same, for a command line that needs a shell (a redirection).
run_sh() { name=$1; shift; { echo "\$ $*"; sh -c "$*"; } > "$ref/$name.txt" 2>&1; echo "$name: rc=$?"; }
fresh() { rm -rf "${@/#/$ref/}"; }
# A traced run's budget is in its summary.csv; its per-task rows (up to
# 10000 per run) stay out of the reference, but for the trace step's.
untask() { rm -f "$ref/$1/tasks.csv"; }

step_build() { make all peers > /dev/null; }
step_bench() {
    fresh summary.csv bench.csv meta.txt tasks.csv
    run bench $cf run --workload all --size default --trace --out $ref
    untask .
}
# make overhead's sitting: ours and the peers in turn five times; the
# medians (overhead.csv) are the figures the text shows, each goal's median
# ratio with its spread in overhead-ratios.txt.
step_overhead() {
    run_sh overhead "bench/peers/rounds.sh $cf 5 20000 > $ref/overhead-rounds.csv && awk -f bench/peers/median.awk $ref/overhead-rounds.csv > $ref/overhead.csv && cat $ref/overhead.csv"
    run_sh overhead-ratios "awk -f bench/peers/ratios.awk $ref/overhead-rounds.csv"
}
# Process pool start-up by start method, beside the bare fork + exit floor.
step_startup() { run_sh overhead-startup "$cf overhead --tasks 20000 --repeat 9 > $ref/overhead-startup.csv && cat $ref/overhead-startup.csv"; }
step_python() { fresh python; run python $cf run --impl all --workload all --size default --mode loop,seq,thread,process,thread-gil --trace --out $ref/python; untask python; }
step_blog() {
    fresh blog-hash blog-download blog-prime chunk64
    run blog-hash $cf run --impl all --workload hash --size blog --mode loop,seq,thread,process,thread-gil --repeat 1 --warmup 0 --out $ref/blog-hash
    run blog-download $cf run --impl all --workload download --size blog --mode loop,seq,thread,process,async,thread-gil --repeat 1 --warmup 0 --out $ref/blog-download
    run blog-prime $cf run --impl all --workload prime --size blog --mode loop,seq,thread,process,thread-gil --trace --out $ref/blog-prime
    run chunk64 $cf run --impl all --workload prime --size blog --mode loop,seq,thread,process --chunksize 64 --trace --out $ref/chunk64
    untask blog-prime; untask chunk64
}
# When distributing pays: MPI's per-task cost beside the local pools, and
# the hash workload with 1..3 worker ranks (mpiexec -n 2..4).
step_mpi() {
    command -v mpiexec > /dev/null 2>&1 || { echo "mpi: no mpiexec; skipped"; return; }
    # --bind-to none: bound to one core (Open MPI binds each rank to a core
    # when -n 2), rank 0 would keep its seq and process runs on that core.
    local mpiexec="mpiexec --oversubscribe --bind-to none"
    [ "$(id -u)" = 0 ] && mpiexec+=" --allow-run-as-root"
    run_sh overhead-mpi "$cf overhead --impl c,mpi --tasks 20000 > $ref/overhead-mpi.csv && cat $ref/overhead-mpi.csv"
    for n in 2 3 4; do
        fresh mpi-n$n
        NO_COLOR=1 run mpi-n$n $mpiexec -n $n $cf run --workload hash --mode loop,seq,process,mpi --out $ref/mpi-n$n
    done
    # The model's whole-round prediction for 1..8 workers (tutorial §15).
    awk -F, -v P="$(nproc)" -f bench/mpi_predict.awk $ref/overhead-mpi.csv $ref/mpi-n2/summary.csv > $ref/mpi-predict.csv
    echo "mpi-predict: rc=$?"
}
# The MPI pool and mpi4py.futures across three network-namespace hosts,
# in turn, with the round trip and the cost model (as root; else skipped).
step_mpi_hosts() { fresh mpi-hosts; run mpi-hosts bench/mpi_hosts_overhead.sh $ref/mpi-hosts; }
step_sweep() { fresh sweep8; run sweep8 $cf run --workload hash,prime --mode loop,seq,thread,process,thread-gil --workers 1,2,4,8 --repeat 3 --trace --out $ref/sweep8; untask sweep8; }
step_trace() { fresh trace; run trace $cf run --workload hash,prime --size quick --trace --repeat 3 --quiet --out $ref/trace; }
# Processes for downloads, with as many workers as threads had.
step_download_workers() { fresh download-workers; run download-workers $cf run --workload download --size default --mode loop,seq,thread,process --workers 2,5,16 --repeat 3 --trace --out $ref/download-workers; untask download-workers; }
# Where chunksize starts to pay for prime, and what too large a chunk costs.
step_prime_chunks() {
    fresh prime-chunks; mkdir -p $ref/prime-chunks
    for c in 1 4 16 64 256 1024 5000 10000; do
        run prime-chunks/c$c $cf run --workload prime --size default --mode loop,seq,thread,process --workers 2 --chunksize $c --repeat 5 --trace --out $ref/prime-chunks/c$c
        untask prime-chunks/c$c
    done
}
step_gil_switch() {
    fresh gil-switch; mkdir -p $ref/gil-switch
    for ms in 1 5 20; do
        run gil-switch/$ms $cf run --workload prime --size default --mode loop,seq,thread,thread-gil --switch-interval $ms --repeat 5 --trace --out $ref/gil-switch/$ms
        untask gil-switch/$ms
    done
}
step_examples() {
    run deadlock build/examples/deadlock
    run submit_map build/examples/submit_map
    run map_order build/examples/map_order
    run map_order_py python3 workloads/python/map_order.py
    run cancel_queued build/examples/cancel_queued
    run cancel_queued_py python3 workloads/python/cancel_queued.py
    # Default worker counts on one allowed CPU: Python 3.11 counts the
    # machine's CPUs (os.cpu_count()), cfutures the ones it may run on.
    run submit_map_cpu0 taskset -c 0 build/examples/submit_map
    run demo-deadlock $cf demo deadlock --no-wait
    run demo-tiny-tasks $cf demo tiny-tasks --no-wait
}
step_python_scripts() {
    run python-version python3 --version
    run maxworkers python3 -c 'import os, concurrent.futures as f; print("cpus:", os.cpu_count(), "ThreadPoolExecutor()._max_workers:", f.ThreadPoolExecutor()._max_workers, "ProcessPoolExecutor()._max_workers:", f.ProcessPoolExecutor()._max_workers)'
    run maxworkers_cpu0 taskset -c 0 python3 -c 'import os, concurrent.futures as f; print("cpus:", os.cpu_count(), "allowed:", len(os.sched_getaffinity(0)), "ThreadPoolExecutor()._max_workers:", f.ThreadPoolExecutor()._max_workers, "ProcessPoolExecutor()._max_workers:", f.ProcessPoolExecutor()._max_workers)'
    run blogwork python3 workloads/python/blog_hash_work.py
    run blog-hash-chunks python3 workloads/python/blog_hash_chunks.py 1,2,4,10
    run blog-primes-undefined python3 workloads/python/blog_primes_undefined.py
}
# A real terminal (tmux's pty), as the blog's readers ran it.
step_blogprint() {
    command -v tmux > /dev/null 2>&1 || { echo "blogprint: no tmux; skipped"; return; }
    tmux kill-session -t tut 2> /dev/null
    tmux new-session -d -s tut -x 120 -y 40 "python3 workloads/python/blog_prime_print.py 2>$ref/blogprint.err; tmux wait-for -S tut-done"
    tmux wait-for tut-done
    { echo "\$ python3 workloads/python/blog_prime_print.py   (in a tmux terminal; stderr:)"; cat "$ref/blogprint.err"; } > "$ref/blogprint.txt"
    rm -f "$ref/blogprint.err"
    echo "blogprint: rc=0"
}
step_hyperfine() { fresh hyperfine; run hyperfine bench/hyperfine.sh $cf $ref/hyperfine; }
# Draws DIR's charts into OUT; a DIR without meta.txt (the core count the
# fits need) borrows the main run's.
draw() {
    src=$1
    if [ ! -f "$1/meta.txt" ]; then
        src=$2.in; mkdir -p "$src"; cp "$1"/*.csv $ref/meta.txt "$src"/
    fi
    ./plots/draw "$src" "$2" > /dev/null
}
# The charts the text and the README show, and nothing else.
step_plots() {
    tmp=$(mktemp -d)
    draw $ref "$tmp/main"
    draw $ref/python "$tmp/python"
    draw $ref/sweep8 "$tmp/sweep8"
    mkdir -p "$plots_ref"
    for f in overhead.png overhead.svg speedup.png speedup.svg utilization.png timeline-hash.png timeline-prime.png; do
        cp "$tmp/main/$f" "$plots_ref"/
    done
    cp "$tmp/python/speedup.png" "$plots_ref"/speedup-python.png
    cp "$tmp/sweep8/scaling.png" "$plots_ref"/scaling.png
    rm -rf "$tmp"
    echo "plots: $plots_ref/"
}
# The README's picture of a report: the default-size run of the bench step
# (a quick run's tiny tasks would tell a newcomer that threads slow hashing
# down), as `cfbench report` draws it, in headless Chromium
# (tests/browser_check.py).
step_report() {
    command -v chromium > /dev/null 2>&1 || { echo "report: no chromium; skipped"; return; }
    tmp=$(mktemp -d)
    mkdir -p "$tmp/r" && cp $ref/bench.csv $ref/summary.csv $ref/meta.txt "$tmp/r"/ &&
        ./plots/draw "$tmp/r" "$tmp/r/plots" > /dev/null && $cf report "$tmp/r" --plots "$tmp/r/plots" > /dev/null &&
        python3 tests/browser_check.py "$tmp/r/report.html" --screenshot "$plots_ref/report.png" > /dev/null
    echo "report: rc=$?"
    rm -rf "$tmp"
}
steps="build bench overhead startup python blog sweep trace download_workers prime_chunks gil_switch examples python_scripts blogprint hyperfine mpi mpi_hosts plots report"
if [ "${1:-}" = --list ]; then echo "$steps"; exit 0; fi
mkdir -p $ref/prime-chunks $ref/gil-switch
for s in ${@:-$steps}; do
    case " $steps " in *" $s "*) "step_$s" ;; *) echo "tutorial.sh: no step '$s' (--list)" >&2; exit 2 ;; esac
done
# The downloaded files are not results.
find $ref -type d -name downloads -prune -exec rm -rf {} +
echo "done; now: make check-tutorial"
