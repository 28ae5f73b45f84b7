#!/usr/bin/env python3
"""mpi_overhead.py -- per-task cost of mpi4py.futures.MPIPoolExecutor on no-op tasks.

The Python twin of `cfbench overhead --impl mpi` (cfutures' CF_MPI pool), measured
as `cfbench overhead` measures every executor: no-op tasks through a pool
that is already running, wall time divided by tasks, best of --repeat runs.
Methods: "submit" (submit every task, then result() of each) and "map"
(list(executor.map(...)) at chunksize 1 and 64). "startup" is one pool's
creation, first no-op task and shutdown, in microseconds per pool (the pool
starts its workers lazily, on the first submit).

Alone, the pool spawns its workers (MPI_Comm_spawn), as the C pool does;
run under `mpiexec -n N python3 -m mpi4py.futures mpi_overhead.py` it uses
the other ranks instead.

Prints CSV on stdout, the columns of `cfbench overhead` (which relays these
rows for --impl mpi):
  executor,method,chunksize,tasks,us_per_task,minflt_per_task,csw_per_task,
  child_minflt_per_task,child_csw_per_task
with executor py-mpi (the child columns stay 0: MPI's workers are not this
process's children).

example: /usr/bin/python3 workloads/python/mpi_overhead.py --tasks 20000 --workers 2
(Debian's python3-mpi4py installs for /usr/bin/python3.)
"""

import argparse
import sys
import time

from mpi4py.futures import MPIPoolExecutor

# The same timing as the concurrent.futures pools: the workers import it too.
from overhead import HEADER, noop, row, run_map, run_submit, since, usage, warm


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

    print(HEADER, flush=True)
    with MPIPoolExecutor(max_workers=a.workers, mpi_info=INFO) as ex:
        warm(ex, a.workers)
        for method, chunk in (("submit", 1), ("map", 1), ("map", 64)):
            best = None
            for _ in range(a.repeat):
                u0 = usage()
                s = run_submit(ex, a.tasks) if method == "submit" else run_map(ex, a.tasks, chunk)
                u = since(u0)[:2] + (0, 0)
                best = (s, u) if best is None or s < best[0] else best
            row("py-mpi", method, chunk, a.tasks, best[0] / a.tasks * 1e6, best[1], a.tasks)
    best = None
    for _ in range(a.repeat):
        u0 = usage()
        t0 = time.perf_counter()
        with MPIPoolExecutor(max_workers=a.workers, mpi_info=INFO) as ex:
            ex.submit(noop).result()
        s = time.perf_counter() - t0
        u = since(u0)[:2] + (0, 0)
        best = (s, u) if best is None or s < best[0] else best
    row("py-mpi", "startup", 0, a.workers, best[0] * 1e6, best[1], 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
