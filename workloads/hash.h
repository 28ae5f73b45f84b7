/* hash.h -- the hash workload's building blocks, for tests and the harness.
 *
 * The workload reproduces the blog's hash_one(n): PBKDF2-HMAC-SHA256 of
 * "password" with salt "salt" at i * unit iterations for i = 1 .. n-1. One
 * task is one hash_one call; its input is WL_HASH_INPUT_LEN bytes made by
 * wl_hash_input() and its result is 32 bytes.
 */
#ifndef WORKLOADS_HASH_H
#define WORKLOADS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Task input: n then unit, each a little-endian uint32. */
#define WL_HASH_INPUT_LEN 8

/* Limits the task checks its input against, so that a corrupt input fails
 * at once instead of running for hours: 1 <= n <= WL_HASH_MAX_N, 1 <= unit,
 * and (n - 1) * unit <= WL_HASH_MAX_ITER (PBKDF2 takes an int count). */
#define WL_HASH_MAX_N 1000u
#define WL_HASH_MAX_ITER 0x7fffffffu

/* The name the task is registered under. */
#define WL_HASH_TASK "hash_one"

/* Derives dklen bytes into out with PBKDF2-HMAC-SHA256 (OpenSSL). Returns 0,
 * or -1 if OpenSSL fails or an argument is out of its range. */
int wl_pbkdf2_sha256(const void *pass, size_t passlen, const void *salt, size_t saltlen,
                     uint32_t iter, unsigned char *out, size_t dklen);

/* The blog's hash_one(n) at `unit` iterations per step: writes SHA-256 over
 * the n-1 derived 32-byte keys, in order, to out. Returns 0, or -1 if the
 * arguments break the limits above or OpenSSL fails. */
int wl_hash_one(uint32_t n, uint32_t unit, unsigned char out[32]);

/* Encodes a task input for hash_one(n) at `unit` into in. */
void wl_hash_input(uint32_t n, uint32_t unit, unsigned char in[WL_HASH_INPUT_LEN]);

#endif
