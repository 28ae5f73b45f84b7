#!/bin/bash
# bench/tutorial.sh -- runs every measurement tutorial.md quotes, on a quiet
# machine, in about 8 minutes. Each output goes to OUT/NAME.txt (default
# /tmp/tutorial), starting with the command that made it; CSV and charts go
# to results/ and plots/ as usual.
set -u
cd "$(dirname "$0")/.."
out=${1:-/tmp/tutorial}
mkdir -p "$out"
run() { name=$1; shift; { echo "\$ $*"; "$@"; } > "$out/$name.txt" 2>&1; echo "$name: rc=$?"; }
rm -rf results/*.csv results/meta.txt results/sweep results/trace results/python results/blog-* results/chunk* results/sweep8
run bench make bench
run overhead sh -c 'build/cfbench overhead --impl all > results/overhead.csv && cat results/overhead.csv'
./plots/draw results plots > /dev/null
run python build/cfbench run --impl all --workload all --size default --mode seq,thread,process,thread-gil --out results/python
./plots/draw results/python results/python/plots > /dev/null
run blog-hash build/cfbench run --impl all --workload hash --size blog --mode seq,thread,process,thread-gil --repeat 1 --warmup 0 --out results/blog-hash
run blog-download build/cfbench run --impl all --workload download --size blog --mode seq,thread,process,async,thread-gil --repeat 1 --warmup 0 --out results/blog-download
run blog-prime build/cfbench run --impl all --workload prime --size blog --mode seq,thread,process,thread-gil --out results/blog-prime
run chunk64 build/cfbench run --impl all --workload prime --size blog --mode seq,thread,process --chunksize 64 --out results/chunk64
run sweep8 build/cfbench run --workload hash,prime --mode seq,thread,process,thread-gil --workers 1,2,4,8 --repeat 3 --out results/sweep8
./plots/draw results/sweep8 results/sweep8/plots > /dev/null
run deadlock build/examples/deadlock
run submit_map build/examples/submit_map
run maxworkers python3 -c 'import os, concurrent.futures as f; print("cpus:", os.cpu_count(), "ThreadPoolExecutor()._max_workers:", f.ThreadPoolExecutor()._max_workers, "ProcessPoolExecutor()._max_workers:", f.ProcessPoolExecutor()._max_workers)'
run blogwork python3 workloads/python/blog_hash_work.py
# A real terminal (tmux's pty), as the blog's readers ran it.
tmux kill-session -t tut 2>/dev/null
if command -v tmux >/dev/null 2>&1; then
    tmux new-session -d -s tut -x 120 -y 40 "python3 workloads/python/blog_prime_print.py 2>$out/blogprint.err; sleep 1"
    sleep 4
    { echo "\$ python3 workloads/python/blog_prime_print.py   (in a tmux terminal; stderr:)"; cat "$out/blogprint.err"; } > "$out/blogprint.txt"
fi
run hyperfine make hyperfine
echo done
