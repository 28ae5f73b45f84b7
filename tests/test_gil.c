/* test_gil.c -- the emulated GIL (lib/gil.c): one runner at a time, forced
 * hand-off, release around blocking calls, no starvation. */
#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cfutures.h"

static atomic_int inside;     /* threads between two checks right now */
static atomic_int max_inside; /* the most ever seen at once */
static atomic_int released;   /* threads inside a released section */
static atomic_int both_released;

/* CPU work with a check every few µs; counts concurrency of the work. */
static int spin(const void *in, size_t len, cf_out *out) {
    (void)len;
    (void)out;
    int64_t until = cf_now_ns() + (int64_t)(*(const double *)in * 1e9);
    while (cf_now_ns() < until) {
        int now = atomic_fetch_add(&inside, 1) + 1;
        int m = atomic_load(&max_inside);
        while (now > m && !atomic_compare_exchange_weak(&max_inside, &m, now)) {
        }
        for (volatile int i = 0; i < 2000; i++) {
        }
        atomic_fetch_sub(&inside, 1);
        cf_gil_check();
    }
    return 0;
}

/* Waits, without the GIL, until the other task is also without it. */
static int release_and_meet(const void *in, size_t len, cf_out *out) {
    (void)in;
    (void)len;
    (void)out;
    cf_gil_release();
    atomic_fetch_add(&released, 1);
    int64_t until = cf_now_ns() + 5000000000LL;
    while (atomic_load(&released) < 2 && cf_now_ns() < until)
        usleep(1000);
    if (atomic_load(&released) >= 2) atomic_store(&both_released, 1);
    cf_gil_acquire();
    return 0;
}

static const cf_task *t_spin, *t_meet;

static void setup(void) {
    t_spin = cf_task_register("gil.spin", spin);
    t_meet = cf_task_register("gil.meet", release_and_meet);
    atomic_store(&inside, 0);
    atomic_store(&max_inside, 0);
    atomic_store(&released, 0);
    atomic_store(&both_released, 0);
    cf_gil_stats_reset();
}

static cf_executor *gil_pool(int workers) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = workers;
    o.gil_interval = 0.005;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(CF_THREAD, &o, &ex), 0);
    return ex;
}

START_TEST(test_gil_lets_one_thread_compute_at_a_time) {
    cf_executor *ex = gil_pool(4);
    double secs = 0.15;
    cf_future *fs[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(cf_submit(ex, t_spin, &secs, sizeof secs, &fs[i]), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(cf_future_result(fs[i], CF_FOREVER, NULL, NULL), 0);
        cf_future_free(fs[i]);
    }
    cf_executor_free(ex);
    ck_assert_int_eq(atomic_load(&max_inside), 1);
}
END_TEST

START_TEST(test_gil_waiting_thread_forces_a_switch) {
    cf_executor *ex = gil_pool(2);
    double secs = 0.2;
    cf_future *a, *b;
    ck_assert_int_eq(cf_submit(ex, t_spin, &secs, sizeof secs, &a), 0);
    ck_assert_int_eq(cf_submit(ex, t_spin, &secs, sizeof secs, &b), 0);
    ck_assert_int_eq(cf_future_result(a, CF_FOREVER, NULL, NULL), 0);
    ck_assert_int_eq(cf_future_result(b, CF_FOREVER, NULL, NULL), 0);
    cf_future_free(a);
    cf_future_free(b);
    cf_executor_free(ex);
    cf_gil_stats st;
    cf_gil_stats_get(&st);
    /* Each spins 0.2 s while the other waits: with a 5 ms interval both
     * must have been forced to hand over several times. */
    ck_assert_uint_ge(st.forced, 4);
    ck_assert_uint_ge(st.acquisitions, 6);
}
END_TEST

START_TEST(test_gil_no_task_starves) {
    /* Two spinners share the GIL for 0.3 s each: neither may get more
     * than its share plus a hand-off, so both finish in well under the
     * time a starved one would take (the sum, 0.6 s, plus their waits).
     * What is asserted is progress, not speed: both end. */
    cf_executor *ex = gil_pool(2);
    double secs = 0.3;
    cf_future *fs[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(cf_submit(ex, t_spin, &secs, sizeof secs, &fs[i]), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(cf_future_result(fs[i], 30, NULL, NULL), 0);
        cf_future_free(fs[i]);
    }
    cf_executor_free(ex);
    cf_gil_stats st;
    cf_gil_stats_get(&st);
    ck_assert_uint_gt(st.forced, 0);
}
END_TEST

START_TEST(test_gil_released_around_blocking_calls) {
    cf_executor *ex = gil_pool(2);
    cf_future *a, *b;
    ck_assert_int_eq(cf_submit(ex, t_meet, NULL, 0, &a), 0);
    ck_assert_int_eq(cf_submit(ex, t_meet, NULL, 0, &b), 0);
    ck_assert_int_eq(cf_future_result(a, CF_FOREVER, NULL, NULL), 0);
    ck_assert_int_eq(cf_future_result(b, CF_FOREVER, NULL, NULL), 0);
    cf_future_free(a);
    cf_future_free(b);
    cf_executor_free(ex);
    ck_assert_int_eq(atomic_load(&both_released), 1);
}
END_TEST

START_TEST(test_gil_calls_do_nothing_outside_gil_pools) {
    cf_gil_check();
    cf_gil_release();
    cf_gil_acquire();
    cf_executor *ex;
    ck_assert_int_eq(cf_executor_new(CF_THREAD, NULL, &ex), 0);
    double secs = 0.05;
    cf_future *fs[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(cf_submit(ex, t_spin, &secs, sizeof secs, &fs[i]), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(cf_future_result(fs[i], CF_FOREVER, NULL, NULL), 0);
        cf_future_free(fs[i]);
    }
    cf_executor_free(ex);
    cf_gil_stats st;
    cf_gil_stats_get(&st);
    ck_assert_uint_eq(st.acquisitions, 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("gil");
    TCase *tc = tcase_create("gil");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_gil_lets_one_thread_compute_at_a_time);
    tcase_add_test(tc, test_gil_waiting_thread_forces_a_switch);
    tcase_add_test(tc, test_gil_no_task_starves);
    tcase_add_test(tc, test_gil_released_around_blocking_calls);
    tcase_add_test(tc, test_gil_calls_do_nothing_outside_gil_pools);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
