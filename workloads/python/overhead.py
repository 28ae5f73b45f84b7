#!/usr/bin/env python3
"""overhead.py -- per-task cost of Python's concurrent.futures on no-op tasks.

The Python side of `cfbench overhead --impl python`, measured as
bench/overhead.c measures the C executors: no-op tasks through a pool that
is already running, wall time divided by tasks, best of --repeat runs.
Methods: "submit" (submit every task, then result() of each) and "map"
(list(executor.map(...)) at chunksize 1, and 64 for the process pool;
ThreadPoolExecutor.map ignores chunksize). "startup" is one pool's
creation, first no-op task and shutdown, in microseconds per pool: Python
starts its workers lazily, on the first submit, so an idle pool would
measure nothing.

Prints CSV on stdout, the columns of `cfbench overhead`:
  executor,method,chunksize,tasks,us_per_task
with executors py-thread and py-process.

example: python3 workloads/python/overhead.py --tasks 20000 --workers 2
"""

import argparse
import concurrent.futures as cf
import sys
import time


def noop(_=None):
    return None


def warm(ex, workers):
    """Starts every worker before the clock does, as the C pools are."""
    for f in [ex.submit(noop) for _ in range(4 * workers)]:
        f.result()


def run_submit(ex, n):
    t0 = time.perf_counter()
    fs = [ex.submit(noop) for _ in range(n)]
    for f in fs:
        f.result()
    return time.perf_counter() - t0


def run_map(ex, n, chunksize):
    t0 = time.perf_counter()
    for _ in ex.map(noop, range(n), chunksize=chunksize):
        pass
    return time.perf_counter() - t0


def run_startup(kind, workers):
    t0 = time.perf_counter()
    with kind(max_workers=workers) as ex:
        ex.submit(noop).result()
    return time.perf_counter() - t0


def main(argv):
    p = argparse.ArgumentParser(description="Per-task cost of concurrent.futures pools.")
    p.add_argument("--tasks", type=int, default=20000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args(argv)
    if a.tasks < 1 or a.workers < 1 or a.repeat < 1:
        sys.stderr.write("overhead.py: --tasks, --workers and --repeat must be at least 1\n")
        return 2

    kinds = (
        ("py-thread", cf.ThreadPoolExecutor, (("submit", 1), ("map", 1))),
        ("py-process", cf.ProcessPoolExecutor, (("submit", 1), ("map", 1), ("map", 64))),
    )
    print("executor,method,chunksize,tasks,us_per_task", flush=True)
    for name, kind, methods in kinds:
        for method, chunk in methods:
            best = None
            for _ in range(a.repeat):
                with kind(max_workers=a.workers) as ex:
                    warm(ex, a.workers)
                    s = run_submit(ex, a.tasks) if method == "submit" else run_map(ex, a.tasks, chunk)
                best = s if best is None or s < best else best
            print("%s,%s,%d,%d,%.4f" % (name, method, chunk, a.tasks, best / a.tasks * 1e6),
                  flush=True)
        best = min(run_startup(kind, a.workers) for _ in range(a.repeat))
        print("%s,startup,0,%d,%.1f" % (name, a.workers, best * 1e6), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
