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

"pending-bytes" (the figure is bytes, not microseconds): each worker held
by a gate task, --pending no-op tasks submitted and unstarted, resident
memory growth divided by their number (the list of futures is allocated
before). "payload-4k", "-64k", "-1m" (process pool): tasks taking and
returning that many bytes, pickled both ways, 16 MiB each way per figure.

Prints CSV on stdout, the columns of `cfbench overhead`:
  executor,method,chunksize,tasks,us_per_task,minflt_per_task,csw_per_task,
  child_minflt_per_task,child_csw_per_task
with executors py-thread and py-process: minor page faults and context
switches of this process around the timed part, and of the pool's worker
processes over the pool's life (RUSAGE_CHILDREN, once they are joined).

example: python3 workloads/python/overhead.py --tasks 20000 --workers 2
"""

import argparse
import os
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


def gate(path):
    """Holds its worker until path exists (a file: it reaches processes too)."""
    while not os.path.exists(path):
        time.sleep(0.001)


def echo(b):
    return b


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def pending_bytes(kind, workers, n):
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "open")
        with kind(max_workers=workers) as ex:
            warm(ex, workers)
            gates = [ex.submit(gate, path) for _ in range(workers)]
            time.sleep(0.05)
            fs = [None] * n
            before = resident_bytes()
            for i in range(n):
                fs[i] = ex.submit(noop)
            after = resident_bytes()
            open(path, "w").close()
            for f in gates + fs:
                f.result()
    return (after - before) / n


def run_payload(ex, size):
    b = bytes(size)
    n = (16 << 20) // size
    t0 = time.perf_counter()
    fs = [ex.submit(echo, b) for _ in range(n)]
    for f in fs:
        if len(f.result()) != size:
            raise RuntimeError("payload came back short")
    return time.perf_counter() - t0, n


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
    p.add_argument("--pending", type=int, default=50000,
                   help="pending futures for the pending-bytes rows (1,000,000 takes its process pool ~150 s to drain)")
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
        row(name, "pending-bytes", 0, a.pending, pending_bytes(kind, a.workers, a.pending),
            (0, 0, 0, 0), 1)
    with cf.ProcessPoolExecutor(max_workers=a.workers) as ex:
        warm(ex, a.workers)
        for name, size in (("payload-4k", 4096), ("payload-64k", 65536), ("payload-1m", 1 << 20)):
            u0 = usage()
            s, n = min(run_payload(ex, size) for _ in range(min(a.repeat, 3)))
            row("py-process", name, 1, n, s / n * 1e6, since(u0), n * min(a.repeat, 3))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
