# map_order.py -- examples/map_order.c with Python's concurrent.futures:
# as_completed gives completion order, map gives input order lazily, map's
# timeout is one deadline from the call, and it cannot fire once a `with`
# block has waited for every task.
import concurrent.futures as cf, time
t0 = 0.0
def at(): return f"  at {(time.perf_counter() - t0) * 1e3:3.0f} ms:"
def nap(ms): time.sleep(ms / 1e3); return ms
def drain(it, inputs):
    try:
        for i, r in enumerate(it): print(at(), f"input {i} ({r} ms)")
    except cf.TimeoutError: print(at(), "TimeoutError")
    print(at(), "end of the iteration")
print("1. as_completed: completion order")
with cf.ThreadPoolExecutor(4) as ex:
    t0 = time.perf_counter()
    fs = {ex.submit(nap, ms): i for i, ms in enumerate([80, 60, 40, 20])}
    for f in cf.as_completed(fs): print(at(), f"input {fs[f]} ({f.result()} ms)")
    print("2. map: input order, each result as soon as it and those before it are done")
    t0 = time.perf_counter()
    it = ex.map(nap, [20, 40, 60, 80])
    print(at(), "map returned")
    drain(it, None)
print("3. map, one worker, four 50 ms tasks, timeout 120 ms: one deadline for all")
with cf.ThreadPoolExecutor(1) as ex:
    t0 = time.perf_counter()
    drain(ex.map(nap, [50] * 4, timeout=0.120), None)
print("4. the same, iterated after the with block (shutdown(wait))")
t0 = time.perf_counter()
with cf.ThreadPoolExecutor(1) as ex:
    it = ex.map(nap, [50] * 4, timeout=0.120)
print(at(), "the with block ended")
drain(it, None)
