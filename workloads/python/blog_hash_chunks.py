# blog_hash_chunks.py -- how the blog's chunksize=2 bounds its own hash speedup.
# Its parallel version maps hash_one over range(20): task k runs PBKDF2 with
# 10000, 20000, ... (k-1) x 10000 iterations, so the tasks grow with k. map
# cuts the inputs into chunks of `chunksize` in order, and a chunk runs on
# one worker: the run cannot end before its largest chunk has, whatever the
# number of workers. For each chunksize this prints that chunk's share of
# all iterations, the bound it sets (total / largest chunk), the bound as
# measured (the whole work in one process / the largest chunk alone, each
# the best of three, measured in turn), and the speedup of the blog's pool
# (10 processes) on this machine against the first line's time.
# usage: python3 blog_hash_chunks.py [CHUNKSIZES, default 1,2,4,10] [UNIT]
import concurrent.futures as cf, hashlib, os, sys, time
UNIT = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
def hash_one(n):
    for i in range(1, n):
        hashlib.pbkdf2_hmac("sha256", b"password", b"salt", i * UNIT)
def iters(ns): return sum(i * UNIT for n in ns for i in range(1, n))
def timed(f, reps=3):
    """The best of reps runs: the least disturbed by other work."""
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter(); f(); best = min(best, time.perf_counter() - t)
    return best
if __name__ == "__main__":
    sizes = [int(c) for c in (sys.argv[1] if len(sys.argv) > 1 else "1,2,4,10").split(",")]
    ks = list(range(20))
    run_all = lambda: [hash_one(k) for k in ks]
    whole = timed(run_all)
    print(f"hash_one(k), k in range(20): {iters(ks):,} iterations, {whole:.2f} s in one process; {os.cpu_count()} cpus")
    print("chunksize  largest chunk  share  bound  bound measured  10 processes")
    for c in sizes:
        chunks = [ks[i:i + c] for i in range(0, len(ks), c)]
        big = max(chunks, key=iters)
        # The whole and the chunk alone, one after the other, best of three
        # pairs: a machine whose load changes disturbs both alike.
        pairs = [(timed(run_all, 1), timed(lambda: [hash_one(k) for k in big], 1)) for _ in range(3)]
        whole_here, alone = min(p[0] for p in pairs), min(p[1] for p in pairs)
        with cf.ProcessPoolExecutor(10) as ex:
            t = time.perf_counter()
            list(ex.map(hash_one, ks, chunksize=c))
            pool = time.perf_counter() - t
        print(f"{c:9d}  k = {big[0]:2d}..{big[-1]:2d}  {iters(big) / iters(ks):6.1%}  {iters(ks) / iters(big):4.1f}x  {whole_here / alone:13.1f}x  {whole / pool:11.1f}x")
