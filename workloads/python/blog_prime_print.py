# blog_prime_print.py -- the blog's prime loop, timed with and without its
# print(). Run it in a terminal: the time printing takes is the terminal's.
import math, sys, time
PRIMES = range(19000, 20000)
def is_prime(n):
    if n < 2: return False
    if n == 2: return True
    if n % 2 == 0: return False
    for i in range(3, int(math.floor(math.sqrt(n))) + 1, 2):
        if n % i == 0: return False
    return True
t = time.perf_counter()
for n in PRIMES: is_prime(n)
quiet = time.perf_counter() - t
t = time.perf_counter()
for n in PRIMES: print(f"{n} is prime: {is_prime(n)}")
loud = time.perf_counter() - t
print(f"without print: {quiet * 1e3:.2f} ms; with print to this terminal: {loud * 1e3:.2f} ms", file=sys.stderr)
