/* test_deadlock.c -- waits that can never finish fail with CF_EDEADLK
 * instead of hanging (the blog's two thread-pool deadlocks), and waits that
 * can finish are left alone. */
#include "lib_check.h"

/* The pool the tasks below submit to and wait in. Set before submitting. */
static cf_executor *pool;

/* Input: a timeout in seconds. Submits lt.echo to the same pool, waits for
 * it, and reports the wait's return code as "rc=N". */
static int nested(const void *in, size_t len, cf_out *out) {
    char buf[32];
    lt_in_str(in, len, buf, sizeof buf);
    double timeout = strtod(buf, NULL);
    cf_future *inner = NULL;
    int rc = cf_submit(pool, lt_t_echo, "inner", 5, &inner);
    if (rc == 0) rc = cf_future_result(inner, timeout, NULL, NULL);
    cf_future_free(inner); /* may still be queued: it runs later */
    return lt_out_printf(out, "rc=%d", rc) == 0 ? 0 : 99;
}

/* Same, waiting through cf_wait(). */
static int nested_wait(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    cf_future *inner = NULL;
    int rc = cf_submit(pool, lt_t_echo, "inner", 5, &inner);
    if (rc == 0) rc = cf_wait(&inner, 1, CF_FOREVER, CF_ALL_COMPLETED, NULL);
    cf_future_free(inner);
    return lt_out_printf(out, "rc=%d", rc) == 0 ? 0 : 99;
}

/* Tasks A and B each wait on the other's future, published by the test
 * once both are submitted. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int published;
    cf_future *a, *b;
} pair = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, NULL};

/* Input "a" or "b": which future to wait on. */
static int wait_other(const void *in, size_t len, cf_out *out) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    int rc = 0;
    pthread_mutex_lock(&pair.mu);
    while (!pair.published && rc == 0)
        rc = pthread_cond_timedwait(&pair.cv, &pair.mu, &until);
    cf_future *other = len > 0 && *(const char *)in == 'a' ? pair.a : pair.b;
    pthread_mutex_unlock(&pair.mu);
    if (other == NULL) {
        cf_out_error(out, "futures never published");
        return 1;
    }
    rc = cf_future_result(other, CF_FOREVER, NULL, NULL);
    return lt_out_printf(out, "rc=%d", rc) == 0 ? 0 : 99;
}

static int shutdown_own_pool(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    int rc = cf_executor_shutdown(pool, 1, 0);
    return lt_out_printf(out, "rc=%d", rc) == 0 ? 0 : 99;
}

static const cf_task *t_nested, *t_nested_wait, *t_wait_other, *t_shutdown;

static void expect_rc(cf_future *f, int want) {
    char buf[32];
    snprintf(buf, sizeof buf, "rc=%d", want);
    lt_expect_result(f, buf);
}

/* Blog deadlock 2: one worker, whose task waits on a task it submitted to
 * the same pool. */
START_TEST(test_single_worker_waiting_on_own_submission_is_deadlock) {
    pool = lt_new(CF_THREAD, 1);
    cf_future *f = lt_submit_str(pool, t_nested, "-1");
    expect_rc(f, CF_EDEADLK);
    cf_future_free(f);
    cf_executor_free(pool);
}
END_TEST

START_TEST(test_single_worker_cf_wait_on_own_submission_is_deadlock) {
    pool = lt_new(CF_THREAD, 1);
    cf_future *f = lt_submit_str(pool, t_nested_wait, "");
    expect_rc(f, CF_EDEADLK);
    cf_future_free(f);
    cf_executor_free(pool);
}
END_TEST

/* Blog deadlock 1: two workers, A waits on B and B waits on A. Whichever
 * wait closes the cycle fails; then the other one can finish. */
START_TEST(test_two_tasks_waiting_on_each_other_is_deadlock) {
    pool = lt_new(CF_THREAD, 2);
    pthread_mutex_lock(&pair.mu);
    pair.published = 0;
    pthread_mutex_unlock(&pair.mu);
    cf_future *a = lt_submit_str(pool, t_wait_other, "b");
    cf_future *b = lt_submit_str(pool, t_wait_other, "a");
    pthread_mutex_lock(&pair.mu);
    pair.a = a;
    pair.b = b;
    pair.published = 1;
    pthread_cond_broadcast(&pair.cv);
    pthread_mutex_unlock(&pair.mu);

    int rc[2];
    cf_future *fs[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        const void *data;
        ck_assert_int_eq(cf_future_result(fs[i], 20.0, &data, NULL), 0);
        ck_assert_int_eq(sscanf(data, "rc=%d", &rc[i]), 1);
    }
    ck_assert_msg(rc[0] == CF_EDEADLK || rc[1] == CF_EDEADLK, "no deadlock reported: %s, %s",
                  cf_err_name(rc[0]), cf_err_name(rc[1]));
    for (int i = 0; i < 2; i++)
        ck_assert_msg(rc[i] == 0 || rc[i] == CF_EDEADLK, "rc[%d] = %s", i, cf_err_name(rc[i]));
    cf_future_free(a);
    cf_future_free(b);
    cf_executor_free(pool);
}
END_TEST

/* No false positive: with a second worker free, the nested task runs. */
START_TEST(test_wait_on_queued_future_with_free_worker_succeeds) {
    pool = lt_new(CF_THREAD, 2);
    cf_future *f = lt_submit_str(pool, t_nested, "-1");
    expect_rc(f, 0);
    cf_future_free(f);
    cf_executor_free(pool);
}
END_TEST

/* A wait with a finite timeout can always finish: it times out. */
START_TEST(test_finite_timeout_wait_is_not_deadlock) {
    pool = lt_new(CF_THREAD, 1);
    cf_future *f = lt_submit_str(pool, t_nested, "0.2");
    expect_rc(f, CF_ETIMEDOUT);
    cf_future_free(f);
    cf_executor_free(pool);
}
END_TEST

/* The sequential executor runs the nested task at once: no deadlock. */
START_TEST(test_sequential_nested_wait_succeeds) {
    pool = lt_new(CF_SEQUENTIAL, 1);
    cf_future *f = lt_submit_str(pool, t_nested, "-1");
    expect_rc(f, 0);
    cf_future_free(f);
    cf_executor_free(pool);
}
END_TEST

/* The caller's own thread is no worker: its waits are never deadlocks. */
START_TEST(test_caller_wait_on_busy_pool_is_not_deadlock) {
    lt_gate g;
    lt_gate_init(&g);
    pool = lt_new(CF_THREAD, 1);
    cf_future *held = lt_submit_gate(pool, &g);
    cf_future *queued = lt_submit_str(pool, lt_t_echo, "q");
    ck_assert_int_eq(cf_future_result(queued, 0.1, NULL, NULL), CF_ETIMEDOUT);
    lt_gate_open(&g);
    lt_expect_result(queued, "q");
    lt_expect_result(held, "open");
    cf_future_free(held);
    cf_future_free(queued);
    cf_executor_free(pool);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_shutdown_with_wait_from_own_worker_is_deadlock) {
    pool = lt_new(CF_THREAD, 2);
    cf_future *f = lt_submit_str(pool, t_shutdown, "");
    expect_rc(f, CF_EDEADLK);
    cf_future_free(f);
    cf_executor_free(pool);
}
END_TEST

static Suite *deadlock_suite(void) {
    Suite *s = suite_create("deadlock");
    TCase *dl = tcase_create("detected");
    tcase_set_timeout(dl, 20);
    tcase_add_test(dl, test_single_worker_waiting_on_own_submission_is_deadlock);
    tcase_add_test(dl, test_single_worker_cf_wait_on_own_submission_is_deadlock);
    tcase_add_test(dl, test_two_tasks_waiting_on_each_other_is_deadlock);
    tcase_add_test(dl, test_shutdown_with_wait_from_own_worker_is_deadlock);
    suite_add_tcase(s, dl);

    TCase *ok = tcase_create("not_deadlock");
    tcase_set_timeout(ok, 20);
    tcase_add_test(ok, test_wait_on_queued_future_with_free_worker_succeeds);
    tcase_add_test(ok, test_finite_timeout_wait_is_not_deadlock);
    tcase_add_test(ok, test_sequential_nested_wait_succeeds);
    tcase_add_test(ok, test_caller_wait_on_busy_pool_is_not_deadlock);
    suite_add_tcase(s, ok);
    return s;
}

int main(void) {
    lt_register_tasks();
    t_nested = cf_task_register("dl.nested", nested);
    t_nested_wait = cf_task_register("dl.nested_wait", nested_wait);
    t_wait_other = cf_task_register("dl.wait_other", wait_other);
    t_shutdown = cf_task_register("dl.shutdown", shutdown_own_pool);
    return lt_run_suite(deadlock_suite());
}
