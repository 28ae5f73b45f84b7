#!/usr/bin/env python3
"""mpi_pingpong.py -- the round trip between two MPI ranks, for the cost model.

Rank 0 sends a small message to rank 1, which sends it back, --rounds
times after --warmup; each round trip is timed alone. Run under
`mpiexec -n 2` (across hosts: one rank each). Prints on rank 0, one
"KEY: value" a line:
  rounds, bytes, rtt_min_us, rtt_median_us, rtt_mean_us
mpi4py's buffer calls (Send/Recv on a bytearray, no pickle) add about a
microsecond of Python to each end; the rest is MPI over its transport.

example: mpiexec -n 2 /usr/bin/python3 workloads/python/mpi_pingpong.py
"""

import argparse
import statistics
import sys
import time

from mpi4py import MPI


def main(argv):
    p = argparse.ArgumentParser(description="MPI round trip between ranks 0 and 1.")
    p.add_argument("--rounds", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--bytes", type=int, default=8)
    a = p.parse_args(argv)
    comm = MPI.COMM_WORLD
    if comm.Get_size() < 2:
        sys.stderr.write("mpi_pingpong.py: run under mpiexec -n 2\n")
        return 2
    rank = comm.Get_rank()
    buf = bytearray(a.bytes)
    times = []
    for i in range(a.warmup + a.rounds):
        if rank == 0:
            t0 = time.perf_counter()
            comm.Send(buf, dest=1)
            comm.Recv(buf, source=1)
            if i >= a.warmup:
                times.append(time.perf_counter() - t0)
        elif rank == 1:
            comm.Recv(buf, source=0)
            comm.Send(buf, dest=0)
    if rank == 0:
        us = [t * 1e6 for t in times]
        print(f"rounds: {a.rounds}")
        print(f"bytes: {a.bytes}")
        print(f"rtt_min_us: {min(us):.2f}")
        print(f"rtt_median_us: {statistics.median(us):.2f}")
        print(f"rtt_mean_us: {statistics.fmean(us):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
