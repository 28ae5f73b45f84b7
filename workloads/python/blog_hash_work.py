# blog_hash_work.py -- how much PBKDF2 work the blog's two hash_all(20) versions do.
# The blog's hash_all(20): sequential runs hash_one(20) twenty times; its
# "parallel" version maps hash_one over range(20). Same hash_one, timed in
# one process, one after the other, no pool.
import hashlib, time
def hash_one(n):
    for i in range(1, n):
        hashlib.pbkdf2_hmac("sha256", b"password", b"salt", i * 10000)
iters = lambda ns: sum(i * 10000 for n in ns for i in range(1, n))
for label, ns in (("sequential: hash_one(20) x 20", [20] * 20), ("blog's parallel map: hash_one(k), k in range(20)", list(range(20)))):
    t = time.perf_counter()
    for n in ns: hash_one(n)
    print(f"{label}: {iters(ns):,} PBKDF2 iterations, {time.perf_counter() - t:.2f} s in one process")
