"""cancel_queued.py -- which futures can still be cancelled, in Python's
thread and process pools: one worker, four tasks of 0.3 s submitted at
once, then future.cancel() on each, in order.

A thread pool's queued task stays PENDING until a worker takes it, so
only the running one refuses. A process pool also moves tasks into its
call queue ahead of the workers (one more than it has workers) and marks
them RUNNING there, before any worker has begun them: those refuse too.

usage: python3 workloads/python/cancel_queued.py
"""
import concurrent.futures as cf
import time


def nap(x):
    time.sleep(0.3)
    return x


def main():
    for name, pool in (("thread", cf.ThreadPoolExecutor), ("process", cf.ProcessPoolExecutor)):
        with pool(max_workers=1) as ex:
            if name == "process":
                ex.submit(nap, -1).result()  # the worker is up before the four go in
            fs = [ex.submit(nap, i) for i in range(4)]
            time.sleep(0.1)  # the first has started
            states = [f._state for f in fs]
            got = [f.cancel() for f in fs]
            print(f"{name} pool, 1 worker, 4 tasks: cancel() gave",
                  ", ".join(str(g) for g in got), "; states before:", ", ".join(states))


if __name__ == "__main__":
    main()
