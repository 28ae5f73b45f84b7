/* test_prime.c -- tests for workloads/prime.c: is_prime, the task on every
 * executor kind, verify. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/prime.h"
#include "../workloads/workload.h"
#include "workload_check.h"

static void setup(void) {
    ck_assert_int_eq(workloads_init(), 0);
}

START_TEST(test_blog_range_has_104_primes) {
    int count = 0;
    for (uint64_t n = 19000; n < 20000; n++)
        count += wl_is_prime(n);
    ck_assert_int_eq(count, 104);
    ck_assert_int_eq(wl_is_prime(19001), 1);
    ck_assert_int_eq(wl_is_prime(19003), 0); /* 31 * 613 */
    ck_assert_int_eq(wl_is_prime(19007), 0); /* 83 * 229 */
}
END_TEST

START_TEST(test_is_prime_edge_cases) {
    ck_assert_int_eq(wl_is_prime(0), 0);
    ck_assert_int_eq(wl_is_prime(1), 0);
    ck_assert_int_eq(wl_is_prime(2), 1);
    ck_assert_int_eq(wl_is_prime(3), 1);
    ck_assert_int_eq(wl_is_prime(4), 0);
    ck_assert_int_eq(wl_is_prime(9), 0);  /* 3 * 3: divisor == sqrt */
    ck_assert_int_eq(wl_is_prime(25), 0); /* 5 * 5 */
    ck_assert_int_eq(wl_is_prime(1000003), 1);
    ck_assert_int_eq(wl_is_prime(1000001), 0); /* 101 * 9901 */
    ck_assert_int_eq(wl_is_prime(2147483647), 1);
    /* A square of a large prime: wrong if floor(sqrt) comes out one low. */
    ck_assert_int_eq(wl_is_prime(UINT64_C(1000003) * 1000003), 0);
    /* Near 2^64 the double root rounds up to 2^32, whose square wraps:
     * the root must still come out right (and fast, 3 divides it). */
    ck_assert_int_eq(wl_is_prime(UINT64_MAX), 0);
    for (uint64_t n = 6; n < 200000; n += 9998)
        ck_assert_int_eq(wl_is_prime(n), 0); /* even numbers */
}
END_TEST

/* The quick range holds 104 primes, whichever executor found them. */
static void expect_104_primes(const wl_plan *plan, const wl_result *res) {
    size_t primes = 0;
    for (size_t i = 0; i < plan->n; i++)
        primes += *(const unsigned char *)res[i].data;
    ck_assert_uint_eq(primes, 104);
}

START_TEST(test_every_kind_verifies_with_the_same_digest) {
    const workload *w = workload_find("prime");
    wl_params p = {.size = WL_QUICK};
    wl_plan plan;
    char err[256] = "";
    memset(&plan, 0, sizeof plan);
    ck_assert_int_eq(w->prepare(&p, &plan, err, sizeof err), 0);
    ck_assert_ptr_eq(plan.task, cf_task_find("is_prime"));
    ck_assert_uint_eq(plan.n, 1000);

    wc_verify_on_every_kind(w, &plan, 1, expect_104_primes);
    w->release(&plan);
    ck_assert_ptr_null(plan.in);
    ck_assert_ptr_null(plan.state);
}
END_TEST

START_TEST(test_task_takes_several_numbers_and_refuses_bad_input) {
    static const uint64_t nums[] = {0, 1, 2, 3, 4, 25, 1000003, 19998};
    static const unsigned char want[] = {0, 0, 1, 1, 0, 0, 1, 0};
    const uint64_t too_big = WL_PRIME_MAX + 1;
    const cf_task *task = cf_task_find("is_prime");
    unsigned char in[8 * 8], big[8];
    ck_assert_ptr_nonnull(task);
    wl_prime_input(nums, 8, in);
    wl_prime_input(&too_big, 1, big);
    for (size_t k = 0; k < WC_NKINDS; k++) {
        cf_executor *ex = NULL;
        cf_future *f = NULL, *bad[3] = {NULL, NULL, NULL};
        const void *data = NULL;
        const char *msg = NULL;
        size_t len = 0;
        ck_assert_int_eq(cf_executor_new(wc_kinds[k], NULL, &ex), 0);
        ck_assert_int_eq(cf_submit(ex, task, in, sizeof in, &f), 0);
        ck_assert_int_eq(cf_submit(ex, task, in, 5, &bad[0]), 0);
        ck_assert_int_eq(cf_submit(ex, task, in, 0, &bad[1]), 0);
        ck_assert_int_eq(cf_submit(ex, task, big, sizeof big, &bad[2]), 0);

        ck_assert_int_eq(cf_future_result(f, 10.0, &data, &len), 0);
        ck_assert_uint_eq(len, sizeof want);
        ck_assert_mem_eq(data, want, sizeof want);
        for (int i = 0; i < 3; i++) {
            ck_assert_int_eq(cf_future_result(bad[i], 10.0, NULL, NULL), CF_ETASK);
            ck_assert_int_ne(cf_future_error(bad[i], &msg), 0);
            ck_assert_msg(strstr(msg, "is_prime") != NULL, "%s bad %d: message '%s'",
                          cf_kind_name(wc_kinds[k]), i, msg);
            cf_future_free(bad[i]);
        }
        cf_future_free(f);
        cf_executor_free(ex);
    }
}
END_TEST

/* A hand-made run of a plan: the right byte for each number. */
static void fake_run(const wl_plan *plan, unsigned char *bytes, wl_result *res) {
    for (size_t i = 0; i < plan->n; i++) {
        const unsigned char *in = plan->in[i];
        uint64_t n = 0;
        ck_assert_uint_eq(plan->in_len[i], 8);
        for (int b = 7; b >= 0; b--)
            n = n << 8 | in[b];
        bytes[i] = (unsigned char)wl_is_prime(n);
        res[i].status = 0;
        res[i].data = &bytes[i];
        res[i].len = 1;
        res[i].msg = "";
    }
}

START_TEST(test_verify_detects_a_tampered_result) {
    const workload *w = workload_find("prime");
    wl_params p = {.size = WL_BLOG};
    wl_plan plan;
    unsigned char bytes[1000];
    wl_result res[1000];
    char err[256] = "", good[65], d[65];
    size_t failed = 99;
    memset(&plan, 0, sizeof plan);
    ck_assert_int_eq(w->prepare(&p, &plan, err, sizeof err), 0);
    ck_assert_uint_eq(plan.n, 1000);
    ck_assert_str_eq(plan.label, "1000 numbers from 19000, 1/task");

    fake_run(&plan, bytes, res);
    ck_assert_int_eq(w->verify(&plan, res, good, &failed, err, sizeof err), 0);
    ck_assert_uint_eq(failed, 0);

    /* 19009 (index 9) is prime: claim it is not. */
    ck_assert_int_eq(bytes[9], 1);
    bytes[9] = 0;
    ck_assert_int_eq(w->verify(&plan, res, d, &failed, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "19009"));
    bytes[9] = 1;

    bytes[0] = 2; /* neither 0 nor 1 */
    ck_assert_int_eq(w->verify(&plan, res, d, &failed, err, sizeof err), -1);
    bytes[0] = 0;

    res[5].len = 2;
    ck_assert_int_eq(w->verify(&plan, res, d, &failed, err, sizeof err), -1);
    res[5].len = 1;

    /* A failed task is counted, not wrong; the digest tells it apart. */
    res[9].status = CF_ETASK;
    ck_assert_int_eq(w->verify(&plan, res, d, &failed, err, sizeof err), 0);
    ck_assert_uint_eq(failed, 1);
    ck_assert_str_ne(d, good);
    res[9].status = 0;

    ck_assert_int_eq(w->verify(&plan, res, d, &failed, err, sizeof err), 0);
    ck_assert_str_eq(d, good);
    w->release(&plan);
}
END_TEST

START_TEST(test_default_size_counts_the_larger_range) {
    const workload *w = workload_find("prime");
    wl_params p = {.size = WL_DEFAULT};
    wl_plan plan;
    char err[256] = "", d[65];
    size_t failed = 99;
    memset(&plan, 0, sizeof plan);
    ck_assert_int_eq(w->prepare(&p, &plan, err, sizeof err), 0);
    ck_assert_uint_eq(plan.n, 10000);
    unsigned char *bytes = malloc(plan.n);
    wl_result *res = calloc(plan.n, sizeof *res);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_ptr_nonnull(res);
    fake_run(&plan, bytes, res);
    /* The known count holds, so verify accepts an honest run... */
    ck_assert_msg(w->verify(&plan, res, d, &failed, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(failed, 0);
    free(bytes);
    free(res);
    w->release(&plan);
}
END_TEST

static Suite *prime_suite(void) {
    Suite *s = suite_create("prime");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_blog_range_has_104_primes);
    tcase_add_test(tc, test_is_prime_edge_cases);
    tcase_add_test(tc, test_every_kind_verifies_with_the_same_digest);
    tcase_add_test(tc, test_task_takes_several_numbers_and_refuses_bad_input);
    tcase_add_test(tc, test_verify_detects_a_tampered_result);
    tcase_add_test(tc, test_default_size_counts_the_larger_range);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(prime_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
