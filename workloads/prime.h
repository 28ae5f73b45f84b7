/* prime.h -- the prime workload's building blocks, for tests and the harness.
 *
 * One task tests one or more numbers: its input is the numbers as
 * little-endian uint64 (8 bytes each, made by wl_prime_input()), its result
 * one byte per number, 1 for prime and 0 for not.
 */
#ifndef WORKLOADS_PRIME_H
#define WORKLOADS_PRIME_H

#include <stddef.h>
#include <stdint.h>

/* The name the task is registered under. */
#define WL_PRIME_TASK "is_prime"

/* Largest number a task accepts (2^53): trial division of a prime this
 * size takes under a second, so a corrupt input cannot stall a worker. */
#define WL_PRIME_MAX (UINT64_C(1) << 53)

/* 1 if n is prime, else 0: the blog's trial division by odd numbers up to
 * floor(sqrt(n)). Any n works; time grows with sqrt(n). */
int wl_is_prime(uint64_t n);

/* Encodes nums[0..count) into in, which must hold 8 * count bytes. */
void wl_prime_input(const uint64_t *nums, size_t count, unsigned char *in);

#endif
