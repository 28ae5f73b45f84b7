#!/usr/bin/env python3
"""overhead.py -- per-task cost of Python's concurrent.futures on no-op tasks.

The Python side of `cfbench overhead --impl python`, measured as
bench/cmd/overhead.c measures the C executors: no-op tasks through a pool that
is already running, wall time divided by tasks, best of --repeat runs.
Methods: "submit" (submit every task, then result() of each) and "map"
(list(executor.map(...)) at chunksize 1, and 64 for the process pool;
ThreadPoolExecutor.map ignores chunksize). "startup" is one pool's
creation, first no-op task and shutdown, in microseconds per pool: Python
starts its workers lazily, on the first submit, so an idle pool would
measure nothing.

Prints CSV on stdout, the columns of `cfbench overhead`:
  executor,method,chunksize,tasks,us_per_task,minflt_per_task,csw_per_task,
  child_minflt_per_task,child_csw_per_task
with executors py-thread and py-process: minor page faults and context
switches of this process around the timed part, and of the pool's worker
processes over the pool's life (RUSAGE_CHILDREN, once they are joined).

example: python3 workloads/python/overhead.py --tasks 20000 --workers 2
"""

import argparse
import concurrent.futures as cf
import resource
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


HEADER = ("executor,method,chunksize,tasks,us_per_task,minflt_per_task,csw_per_task,"
          "child_minflt_per_task,child_csw_per_task")


def usage():
    """(minor faults, context switches) of this process, then of its
    waited-for children."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (s.ru_minflt, s.ru_nvcsw + s.ru_nivcsw, c.ru_minflt, c.ru_nvcsw + c.ru_nivcsw)


def since(u0):
    return tuple(b - a for a, b in zip(u0, usage()))


def run_startup(kind, workers):
    u0 = usage()
    t0 = time.perf_counter()
    with kind(max_workers=workers) as ex:
        ex.submit(noop).result()
    return time.perf_counter() - t0, since(u0)


def row(name, method, chunk, tasks, us, u, per):
    print("%s,%s,%d,%d,%.4f,%.4f,%.4f,%.4f,%.4f"
          % ((name, method, chunk, tasks, us) + tuple(x / per for x in u)), flush=True)


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
    print(HEADER, flush=True)
    for name, kind, methods in kinds:
        for method, chunk in methods:
            best = None
            for _ in range(a.repeat):
                life = usage()
                with kind(max_workers=a.workers) as ex:
                    warm(ex, a.workers)
                    u0 = usage()
                    s = run_submit(ex, a.tasks) if method == "submit" else run_map(ex, a.tasks, chunk)
                    u = since(u0)
                u = u[:2] + since(life)[2:]
                best = (s, u) if best is None or s < best[0] else best
            row(name, method, chunk, a.tasks, best[0] / a.tasks * 1e6, best[1], a.tasks)
        s, u = min((run_startup(kind, a.workers) for _ in range(a.repeat)), key=lambda b: b[0])
        row(name, "startup", 0, a.workers, s * 1e6, u, 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
