/* hash.c -- the CPU-bound workload: the blog's hash_one(n), PBKDF2 in a loop.
 *
 * Every task does the same work (hash_one(n) at the size's n), so the
 * result of every task is the same 32 bytes and every mode runs exactly
 * `tasks` calls. The blog's parallel version mapped hash_one over
 * range(n), which does less work than its serial hash_all; we keep the
 * serial amount everywhere so that the modes stay comparable.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "hash.h"
#include "internal.h"

/* Each size: how many tasks, and the hash_one(n) each task runs at `unit`
 * PBKDF2 iterations per step. Default was measured on the project's 2-core
 * machine (OpenSSL 3.0 with SHA extensions) at about 1.9 s sequential. */
static const struct {
    uint32_t tasks, n, unit;
} sizes[] = {
    [WL_QUICK] = {4, 4, 1000},     /* ~5 ms */
    [WL_DEFAULT] = {8, 12, 10000}, /* ~1 s */
    [WL_BLOG] = {20, 20, 10000},   /* the blog's hash_all(20), ~7 s */
};

int wl_pbkdf2_sha256(const void *pass, size_t passlen, const void *salt, size_t saltlen,
                     uint32_t iter, unsigned char *out, size_t dklen) {
    /* OpenSSL takes ints; refuse what would not fit rather than wrap. */
    if (iter < 1 || iter > 0x7fffffffu || passlen > 0x7fffffff || saltlen > 0x7fffffff ||
        dklen > 0x7fffffff)
        return -1;
    if (PKCS5_PBKDF2_HMAC(pass, (int)passlen, salt, (int)saltlen, (int)iter, EVP_sha256(),
                          (int)dklen, out) != 1)
        return -1;
    return 0;
}

static int hash_args_ok(uint32_t n, uint32_t unit) {
    return n >= 1 && n <= WL_HASH_MAX_N && unit >= 1 &&
           (uint64_t)(n - 1) * unit <= WL_HASH_MAX_ITER;
}

int wl_hash_one(uint32_t n, uint32_t unit, unsigned char out[32]) {
    static const char pass[] = "password", salt[] = "salt";
    unsigned char key[32];
    unsigned int mdlen = 0;
    int rc = -1;
    EVP_MD_CTX *ctx;

    if (!hash_args_ok(n, unit)) return -1;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) goto cleanup;
    for (uint32_t i = 1; i < n; i++) {
        /* The blog throws each key away; folding them into one digest
         * gives the run something to verify at no measurable cost. */
        /* CPython's hashlib runs PBKDF2 without the GIL: so do we. */
        cf_gil_release();
        int bad = wl_pbkdf2_sha256(pass, sizeof pass - 1, salt, sizeof salt - 1, i * unit, key,
                                   sizeof key) != 0;
        cf_gil_acquire();
        if (bad || EVP_DigestUpdate(ctx, key, sizeof key) != 1) goto cleanup;
    }
    if (EVP_DigestFinal_ex(ctx, out, &mdlen) != 1 || mdlen != 32) goto cleanup;
    rc = 0;

cleanup:
    EVP_MD_CTX_free(ctx);
    return rc;
}

static void put_le32(unsigned char *b, uint32_t v) {
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

void wl_hash_input(uint32_t n, uint32_t unit, unsigned char in[WL_HASH_INPUT_LEN]) {
    put_le32(in, n);
    put_le32(in + 4, unit);
}

/* Decodes and checks an input; -1 with a reason in err if it is bad. */
static int hash_decode(const void *in, size_t in_len, uint32_t *n, uint32_t *unit, char *err,
                       size_t errlen) {
    if (in == NULL || in_len != WL_HASH_INPUT_LEN) {
        snprintf(err, errlen, "hash_one: input is %zu bytes, want %d", in_len, WL_HASH_INPUT_LEN);
        return -1;
    }
    *n = get_le32(in);
    *unit = get_le32((const unsigned char *)in + 4);
    if (!hash_args_ok(*n, *unit)) {
        snprintf(err, errlen,
                 "hash_one: n=%u unit=%u out of range (1 <= n <= %u, "
                 "(n-1)*unit <= %u)",
                 *n, *unit, WL_HASH_MAX_N, WL_HASH_MAX_ITER);
        return -1;
    }
    return 0;
}

/* The registered task: one hash_one(n) call, 32 bytes out. */
static int hash_task(const void *in, size_t in_len, cf_out *out) {
    char err[160];
    uint32_t n, unit;
    unsigned char *res;

    if (hash_decode(in, in_len, &n, &unit, err, sizeof err) != 0) {
        cf_out_error(out, "%s", err);
        return 1;
    }
    res = cf_out_reserve(out, 32);
    if (res == NULL) {
        cf_out_error(out, "hash_one: out of memory");
        return 2;
    }
    if (wl_hash_one(n, unit, res) != 0) {
        cf_out_error(out, "hash_one: OpenSSL PBKDF2 failed");
        return 3;
    }
    return 0;
}

int wl_hash_init(void) {
    return cf_task_register(WL_HASH_TASK, hash_task) != NULL ? 0 : CF_ENOMEM;
}

static int hash_prepare(const wl_params *p, wl_plan *plan, char *err, size_t errlen) {
    unsigned char in[WL_HASH_INPUT_LEN];
    uint32_t tasks, n, unit;

    if (p == NULL || (unsigned)p->size >= sizeof sizes / sizeof sizes[0]) {
        snprintf(err, errlen, "hash: unknown size");
        return -1;
    }
    plan->task = cf_task_find(WL_HASH_TASK);
    if (plan->task == NULL) {
        snprintf(err, errlen, "hash: task not registered (workloads_init)");
        return -1;
    }
    tasks = sizes[p->size].tasks;
    n = sizes[p->size].n;
    unit = sizes[p->size].unit;
    if (wl_plan_alloc(plan, tasks) != 0) goto nomem;
    wl_hash_input(n, unit, in);
    for (uint32_t i = 0; i < tasks; i++)
        if (wl_plan_set(plan, i, in, sizeof in) != 0) goto nomem;
    snprintf(plan->label, sizeof plan->label, "%u x hash_one(%u), %u iter/step", tasks, n, unit);
    return 0;

nomem:
    wl_plan_free_inputs(plan);
    plan->task = NULL;
    snprintf(err, errlen, "hash: out of memory");
    return -1;
}

static int hash_verify(const wl_plan *plan, const wl_result *res, char digest[65], size_t *failed,
                       char *err, size_t errlen) {
    unsigned char want[32];
    size_t nfailed = 0, first_ok = plan->n;
    int rc = 0;

    for (size_t i = 0; i < plan->n; i++) {
        if (res[i].status != 0)
            nfailed++;
        else if (first_ok == plan->n)
            first_ok = i;
    }
    *failed = nfailed;
    wl_digest(res, plan->n, digest);
    if (first_ok == plan->n) return 0; /* nothing succeeded, so nothing can be wrong */

    /* prepare() gives every task the same input, so one direct call gives
     * the value every ok result must have. */
    uint32_t n, unit;
    if (hash_decode(plan->in[first_ok], plan->in_len[first_ok], &n, &unit, err, errlen) != 0)
        return -1;
    if (wl_hash_one(n, unit, want) != 0) {
        snprintf(err, errlen, "hash: cannot recompute the expected result");
        return -1;
    }
    for (size_t i = first_ok; i < plan->n && rc == 0; i++) {
        if (res[i].status != 0) continue;
        if (plan->in_len[i] != plan->in_len[first_ok] ||
            memcmp(plan->in[i], plan->in[first_ok], plan->in_len[i]) != 0) {
            snprintf(err, errlen, "hash: task %zu has another input", i);
            rc = -1;
        } else if (res[i].len != sizeof want || res[i].data == NULL ||
                   memcmp(res[i].data, want, sizeof want) != 0) {
            snprintf(err, errlen, "hash: task %zu gave a wrong result", i);
            rc = -1;
        }
    }
    return rc;
}

static void hash_release(wl_plan *plan) {
    wl_plan_free_inputs(plan);
}

const workload wl_hash = {
    .name = "hash",
    .prepare = hash_prepare,
    .verify = hash_verify,
    .run_async = NULL,
    .release = hash_release,
};
