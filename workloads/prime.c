/* prime.c -- the tiny-task workload: the blog's is_prime over a range.
 *
 * Each number needs microseconds at most, so with one number per task (the
 * default) the executor's per-task cost dominates: this is the workload
 * where pools lose to a plain loop unless map's chunksize amortises them.
 * A task takes one or more numbers so that other groupings stay possible.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "prime.h"

/* Each size: the range first .. first+count-1, numbers per task, and how
 * many primes the range holds (checked by verify when every task succeeds;
 * 104 is the blog's range, 487 was counted for the default one). */
static const struct {
    uint64_t first;
    uint32_t count, per_task;
    uint32_t primes;
} sizes[] = {
    [WL_QUICK] = {19000, 1000, 1, 104},
    /* ~18 ms of trial division in a plain loop on the project's machine:
     * short, yet large enough for chunked pools to gain on it. */
    [WL_DEFAULT] = {1000000000, 10000, 1, 487},
    [WL_BLOG] = {19000, 1000, 1, 104},
};

/* What verify needs beyond the inputs: the prime count the range must
 * give. Owned by the plan (plan->state), freed by release(). */
typedef struct prime_state {
    uint32_t expect_primes;
} prime_state;

int wl_is_prime(uint64_t n) {
    /* The blog's algorithm: odd divisors up to floor(sqrt(n)). The double
     * square root can be off by one for large n, so it is corrected with
     * divisions, which cannot overflow as r * r could near 2^64. */
    if (n < 2) return 0;
    if (n == 2) return 1;
    if (n % 2 == 0) return 0;
    uint64_t r = (uint64_t)floor(sqrt((double)n));
    while (r > n / r)
        r--;
    while (r + 1 <= n / (r + 1))
        r++;
    for (uint64_t d = 3; d <= r; d += 2) {
        if (n % d == 0) return 0;
        /* Where the interpreter could switch threads (thread-gil mode). */
        if ((d & 1023) == 1) cf_gil_check();
    }
    return 1;
}

static uint64_t get_le64(const unsigned char *b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static void put_le64(unsigned char *b, uint64_t v) {
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

void wl_prime_input(const uint64_t *nums, size_t count, unsigned char *in) {
    for (size_t i = 0; i < count; i++)
        put_le64(in + 8 * i, nums[i]);
}

/* The registered task: one result byte per input number. */
static int prime_task(const void *in, size_t in_len, cf_out *out) {
    const unsigned char *p = in;
    unsigned char *res;
    size_t count;

    if (in == NULL || in_len == 0 || in_len % 8 != 0) {
        cf_out_error(out, "is_prime: input is %zu bytes, want a multiple of 8", in_len);
        return 1;
    }
    count = in_len / 8;
    for (size_t i = 0; i < count; i++) {
        uint64_t n = get_le64(p + 8 * i);
        if (n > WL_PRIME_MAX) {
            cf_out_error(out, "is_prime: %llu is above the limit %llu", (unsigned long long)n,
                         (unsigned long long)WL_PRIME_MAX);
            return 1;
        }
    }
    res = cf_out_reserve(out, count);
    if (res == NULL) {
        cf_out_error(out, "is_prime: out of memory");
        return 2;
    }
    for (size_t i = 0; i < count; i++)
        res[i] = (unsigned char)wl_is_prime(get_le64(p + 8 * i));
    return 0;
}

int wl_prime_init(void) {
    return cf_task_register(WL_PRIME_TASK, prime_task) != NULL ? 0 : CF_ENOMEM;
}

static int prime_prepare(const wl_params *p, wl_plan *plan, char *err, size_t errlen) {
    unsigned char *buf = NULL;
    uint64_t *nums = NULL;
    prime_state *st = NULL;
    size_t ntasks, per;

    if (p == NULL || (unsigned)p->size >= sizeof sizes / sizeof sizes[0]) {
        snprintf(err, errlen, "prime: unknown size");
        return -1;
    }
    plan->task = cf_task_find(WL_PRIME_TASK);
    if (plan->task == NULL) {
        snprintf(err, errlen, "prime: task not registered (workloads_init)");
        return -1;
    }
    per = sizes[p->size].per_task;
    ntasks = (sizes[p->size].count + per - 1) / per;
    buf = malloc(8 * per);
    nums = malloc(sizeof *nums * per);
    st = malloc(sizeof *st);
    if (buf == NULL || nums == NULL || st == NULL || wl_plan_alloc(plan, ntasks) != 0) goto nomem;
    for (size_t t = 0; t < ntasks; t++) {
        size_t lo = t * per, k = 0;
        for (; k < per && lo + k < sizes[p->size].count; k++)
            nums[k] = sizes[p->size].first + lo + k;
        wl_prime_input(nums, k, buf);
        if (wl_plan_set(plan, t, buf, 8 * k) != 0) goto nomem;
    }
    st->expect_primes = sizes[p->size].primes;
    plan->state = st;
    snprintf(plan->label, sizeof plan->label, "%u numbers from %llu, %zu/task",
             sizes[p->size].count, (unsigned long long)sizes[p->size].first, per);
    free(buf);
    free(nums);
    return 0;

nomem:
    wl_plan_free_inputs(plan);
    plan->task = NULL;
    free(buf);
    free(nums);
    free(st);
    snprintf(err, errlen, "prime: out of memory");
    return -1;
}

/* An independent primality check for verify: divides by 2, 3 and then
 * 6k +- 1 only, so a bug in the task's loop is not repeated here. */
static int check_prime(uint64_t n) {
    if (n < 4) return n >= 2;
    if (n % 2 == 0 || n % 3 == 0) return 0;
    for (uint64_t d = 5; d <= n / d; d += 6)
        if (n % d == 0 || n % (d + 2) == 0) return 0;
    return 1;
}

static int prime_verify(const wl_plan *plan, const wl_result *res, char digest[65], size_t *failed,
                        char *err, size_t errlen) {
    const prime_state *st = plan->state;
    size_t nfailed = 0, nprimes = 0;
    int rc = 0;

    for (size_t t = 0; t < plan->n; t++) {
        const unsigned char *in = plan->in[t], *out = res[t].data;
        size_t count = plan->in_len[t] / 8;
        if (res[t].status != 0) {
            nfailed++;
            continue;
        }
        if (rc != 0) continue;
        if (res[t].len != count || (count > 0 && out == NULL)) {
            snprintf(err, errlen, "prime: task %zu gave %zu bytes, want %zu", t, res[t].len, count);
            rc = -1;
            continue;
        }
        for (size_t i = 0; i < count; i++) {
            uint64_t n = get_le64(in + 8 * i);
            if (out[i] != check_prime(n)) {
                snprintf(err, errlen, "prime: task %zu says %llu is %s", t, (unsigned long long)n,
                         out[i] == 1   ? "prime"
                         : out[i] == 0 ? "not prime"
                                       : "neither (bad byte)");
                rc = -1;
                break;
            }
            nprimes += out[i];
        }
    }
    *failed = nfailed;
    wl_digest(res, plan->n, digest);
    /* The count guards the checker itself: a broken check_prime would
     * agree with a broken task but not with the known count. */
    if (rc == 0 && nfailed == 0 && st != NULL && st->expect_primes != 0 &&
        nprimes != st->expect_primes) {
        snprintf(err, errlen, "prime: %zu primes, the range has %u", nprimes, st->expect_primes);
        rc = -1;
    }
    return rc;
}

static void prime_release(wl_plan *plan) {
    wl_plan_free_inputs(plan);
    free(plan->state);
    plan->state = NULL;
}

const workload wl_prime = {
    .name = "prime",
    .prepare = prime_prepare,
    .verify = prime_verify,
    .run_async = NULL,
    .release = prime_release,
};
