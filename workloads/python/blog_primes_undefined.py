# blog_primes_undefined.py -- the blog's pooled prime examples, reduced to
# their names: they build the inputs as `num_list` but zip the results with
# `PRIMES`, a name only its sequential example defines. Run on its own, as
# printed, each stops before printing a single line.
import concurrent.futures as cf
num_list = list(range(19000, 20000))
try:
    with cf.ThreadPoolExecutor() as executor:
        for number, prime in zip(PRIMES, executor.map(abs, num_list)):  # noqa: F821
            print(number, prime)
except NameError as e:
    print(f"NameError: {e}")
