#!/usr/bin/env python3
"""mpi_overhead.py -- per-task cost of mpi4py.futures.MPIPoolExecutor on no-op tasks.

The Python twin of bench/mpi/mpi_overhead.c (cfutures' CF_MPI pool), measured
as `cfbench overhead` measures every executor: no-op tasks through a pool
that is already running, wall time divided by tasks, best of --repeat runs.
Methods: "submit" (submit every task, then result() of each) and "map"
(list(executor.map(...)) at chunksize 1 and 64). "startup" is one pool's
creation, first no-op task and shutdown, in microseconds per pool (the pool
starts its workers lazily, on the first submit).

Alone, the pool spawns its workers (MPI_Comm_spawn), as the C program does;
run under `mpiexec -n N python3 -m mpi4py.futures mpi_overhead.py` it uses
the other ranks instead.

Prints CSV on stdout, the columns of `cfbench overhead`:
  executor,method,chunksize,tasks,us_per_task
with executor py-mpi.

example: /usr/bin/python3 workloads/python/mpi_overhead.py --tasks 20000 --workers 2
(Debian's python3-mpi4py installs for /usr/bin/python3.)
"""

import argparse
import sys
import time

from mpi4py.futures import MPIPoolExecutor

# The same timing as the concurrent.futures pools: the workers import it too.
from overhead import noop, run_map, run_submit, warm


# As the C pool asks: as many workers as requested, past the core count.
INFO = {"map_by": ":OVERSUBSCRIBE"}


def main(argv):
    p = argparse.ArgumentParser(description="Per-task cost of mpi4py.futures.MPIPoolExecutor.")
    p.add_argument("--tasks", type=int, default=20000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args(argv)
    if a.tasks < 1 or a.workers < 1 or a.repeat < 1:
        sys.stderr.write("mpi_overhead.py: --tasks, --workers and --repeat must be at least 1\n")
        return 2

    print("executor,method,chunksize,tasks,us_per_task", flush=True)
    with MPIPoolExecutor(max_workers=a.workers, mpi_info=INFO) as ex:
        warm(ex, a.workers)
        for method, chunk in (("submit", 1), ("map", 1), ("map", 64)):
            best = None
            for _ in range(a.repeat):
                s = run_submit(ex, a.tasks) if method == "submit" else run_map(ex, a.tasks, chunk)
                best = s if best is None or s < best else best
            print("py-mpi,%s,%d,%d,%.4f" % (method, chunk, a.tasks, best / a.tasks * 1e6),
                  flush=True)
    best = None
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        with MPIPoolExecutor(max_workers=a.workers, mpi_info=INFO) as ex:
            ex.submit(noop).result()
        s = time.perf_counter() - t0
        best = s if best is None or s < best else best
    print("py-mpi,startup,0,%d,%.1f" % (a.workers, best * 1e6), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
