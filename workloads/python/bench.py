#!/usr/bin/env python3
"""bench.py -- times one workload in one mode with Python's concurrent.futures.

Modes: loop (a list comprehension: Python's sequential code, the base of
its speedups), thread, process, and mpi (mpi4py.futures' MPIPoolExecutor,
which needs mpi4py: Debian's python3-mpi4py). `seq` is kept as another name
for loop, for older command lines: Python has no sequential executor, and
the harness (bench/config.c) runs loop where C runs loop or seq.

The Python side of `cfbench run --impl python`: the same workloads (see
cf_workloads.py), sizes and parameters as the C run, timed the way execute.c
times its own: time.perf_counter() around the with-block (executor creation
to shutdown; the list comprehension for loop), CPU time from getrusage(SELF) plus
getrusage(CHILDREN) deltas (process workers are reaped at shutdown), and the
peak RSS of this process or its largest child.

Prints CSV on stdout, one row per timed repetition:
  rep,workers,tasks,wall_ms,user_ms,sys_ms,max_rss_kb,vol_cs,invol_cs,failed,digest
With --results FILE, also writes the first timed repetition's results, one
line per task in input order: "1 HEX" for a result, "0 MESSAGE" for a
failed task, so that the harness can check them with the C verifier.

Exit status: 0 (even when tasks failed: the rows count them), 1 the run
could not happen, 2 bad usage.

example: python3 workloads/python/bench.py --workload prime --size quick \\
             --mode process --workers 2 --chunksize 16 --repeat 3
"""

import argparse
import concurrent.futures as cf
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cf_workloads as wl  # noqa: E402

MODES = ("loop", "seq", "thread", "process", "mpi")
HERE = os.path.dirname(os.path.abspath(__file__))


def default_workers(workload, mode, ntasks):
    """Python's own defaults (3.8+), and one thread per file for downloads
    as the blog sized its pool (the C harness does the same)."""
    cpus = os.cpu_count() or 1
    if mode in ("loop", "seq"):
        return 1
    if mode == "thread":
        return max(1, ntasks) if workload == "download" else min(32, cpus + 4)
    return cpus


def reset_peak_rss():
    """As bench/timer.c: "5" to clear_refs resets VmHWM, so each run gets
    its own peak. Best effort."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def run_once(task, inputs, mode, workers, chunksize):
    """One timed run; returns (results, wall_ms, user_ms, sys_ms, rss_kb,
    voluntary and involuntary context switches)."""
    reset_peak_rss()
    s0 = resource.getrusage(resource.RUSAGE_SELF)
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    if mode in ("loop", "seq"):
        results = [task(x) for x in inputs]
    elif mode == "mpi":
        # mpi4py.futures: spawned workers (or, under mpiexec -m
        # mpi4py.futures, the other ranks) import cf_workloads from HERE;
        # as many as asked, past the core count, as the C pool does.
        from mpi4py.futures import MPIPoolExecutor
        with MPIPoolExecutor(max_workers=workers, path=[HERE],
                             mpi_info={"map_by": ":OVERSUBSCRIBE"}) as ex:
            results = list(ex.map(task, inputs, chunksize=chunksize))
    else:
        kind = cf.ThreadPoolExecutor if mode == "thread" else cf.ProcessPoolExecutor
        with kind(max_workers=workers) as ex:
            results = list(ex.map(task, inputs, chunksize=chunksize))
    t1 = time.perf_counter()
    s1 = resource.getrusage(resource.RUSAGE_SELF)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    user = (s1.ru_utime - s0.ru_utime) + (c1.ru_utime - c0.ru_utime)
    sys_ = (s1.ru_stime - s0.ru_stime) + (c1.ru_stime - c0.ru_stime)
    rss = max(s1.ru_maxrss, c1.ru_maxrss)
    vcs = (s1.ru_nvcsw - s0.ru_nvcsw) + (c1.ru_nvcsw - c0.ru_nvcsw)
    ics = (s1.ru_nivcsw - s0.ru_nivcsw) + (c1.ru_nivcsw - c0.ru_nivcsw)
    return results, (t1 - t0) * 1e3, user * 1e3, sys_ * 1e3, rss, vcs, ics


def write_results(path, results):
    with open(path, "w") as f:
        for ok, data in results:
            if ok:
                f.write("1 %s\n" % data.hex())
            else:
                f.write("0 %s\n" % " ".join(str(data).split()))


def positive(lo):
    def parse(s):
        try:
            v = int(s, 10)
        except ValueError:
            raise argparse.ArgumentTypeError("'%s' is not a whole number" % s) from None
        if v < lo:
            raise argparse.ArgumentTypeError("'%s' is below %d" % (s, lo))
        return v

    return parse


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, exit 2, as every cfbench command does.
        sys.stderr.write("bench.py: %s\n" % message)
        sys.exit(2)


def main(argv):
    p = Parser(description="Time one workload in one mode with concurrent.futures.")
    p.add_argument("--workload", required=True, choices=wl.WORKLOADS)
    p.add_argument("--size", default="default", choices=wl.SIZES)
    p.add_argument("--mode", required=True, choices=MODES)
    p.add_argument("--workers", type=positive(1), default=0,
                   help="pool size (default: Python's)")
    p.add_argument("--chunksize", type=positive(1), default=1)
    p.add_argument("--repeat", type=positive(1), default=5)
    p.add_argument("--warmup", type=positive(0), default=1)
    p.add_argument("--base-url", help="download: the embedded server's base URL")
    p.add_argument("--urls-file", help="download: real URLs, one a line")
    p.add_argument("--dir", default="downloads", help="download: folder for the files")
    p.add_argument("--results", help="write the first timed run's results here")
    a = p.parse_args(argv)

    urls = None
    if a.urls_file:
        with open(a.urls_file) as f:
            urls = [u.strip() for u in f if u.strip() and not u.lstrip().startswith("#")]
    try:
        inputs = wl.inputs(a.workload, a.size, a.base_url, urls, a.dir)
    except (ValueError, OSError) as e:
        sys.stderr.write("bench.py: %s: %s\n" % (a.workload, e))
        return 1
    task = wl.TASKS[a.workload]
    plain = a.mode in ("loop", "seq")
    workers = 1 if plain else a.workers or default_workers(a.workload, a.mode, len(inputs))
    chunksize = 1 if plain else a.chunksize

    print("rep,workers,tasks,wall_ms,user_ms,sys_ms,max_rss_kb,vol_cs,invol_cs,failed,digest", flush=True)
    for k in range(a.warmup + a.repeat):
        results, wall, user, sys_, rss, vcs, ics = run_once(task, inputs, a.mode, workers, chunksize)
        rep = k - a.warmup + 1
        if rep < 1:
            continue
        if rep == 1 and a.results:
            write_results(a.results, results)
        failed = sum(1 for ok, _ in results if not ok)
        print("%d,%d,%d,%.3f,%.3f,%.3f,%d,%d,%d,%d,%s" % (
            rep, workers, len(inputs), wall, user, sys_, rss, vcs, ics, failed,
            wl.digest(results)),
            flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
