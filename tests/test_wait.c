/* test_wait.c -- cf_wait's three conditions and timeout, and cf_as_completed
 * order, timeout and end, on every executor kind. */
#include "lib_check.h"

START_TEST(test_wait_first_completed_returns_on_first) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *fs[2];
    fs[0] = lt_submit_gate(ex, &g);
    fs[1] = lt_submit_str(ex, lt_t_echo, "quick");
    unsigned char done[2] = {9, 9};
    ck_assert_int_eq(cf_wait(fs, 2, CF_FOREVER, CF_FIRST_COMPLETED, done), 1);
    ck_assert_int_eq(done[0], 0);
    ck_assert_int_eq(done[1], 1);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_wait(fs, 2, 20.0, CF_ALL_COMPLETED, done), 2);
    ck_assert_int_eq(done[0], 1);
    for (int i = 0; i < 2; i++)
        cf_future_free(fs[i]);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_wait_first_exception_returns_on_failure) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    cf_future *fs[3];
    fs[0] = lt_submit_gate(ex, &g);
    fs[1] = lt_submit_str(ex, lt_t_echo, "fine");
    fs[2] = lt_submit_str(ex, lt_t_fail, "bad");
    unsigned char done[3];
    int n = cf_wait(fs, 3, CF_FOREVER, CF_FIRST_EXCEPTION, done);
    ck_assert_int_ge(n, 1);
    ck_assert_int_eq(done[0], 0);
    ck_assert_int_eq(done[2], 1);
    ck_assert_int_eq(n, 1 + done[1]);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_wait(fs, 3, 20.0, CF_ALL_COMPLETED, NULL), 3);
    for (int i = 0; i < 3; i++)
        cf_future_free(fs[i]);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* Without a failure, FIRST_EXCEPTION waits for all, like ALL_COMPLETED. */
START_TEST(test_wait_first_exception_without_failure_waits_for_all) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *fs[3];
    fs[0] = lt_submit_str(ex, lt_t_sleep, "40");
    fs[1] = lt_submit_str(ex, lt_t_echo, "a");
    fs[2] = lt_submit_str(ex, lt_t_sleep, "20");
    unsigned char done[3] = {0};
    ck_assert_int_eq(cf_wait(fs, 3, 20.0, CF_FIRST_EXCEPTION, done), 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(done[i], 1);
        ck_assert_int_eq(cf_future_done(fs[i]), 1);
        cf_future_free(fs[i]);
    }
    cf_executor_free(ex);
}
END_TEST

/* A cancelled future is done but not an exception (Python's exception()
 * is None for it): FIRST_EXCEPTION waits on until the held one ends. */
START_TEST(test_wait_first_exception_does_not_count_cancelled) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *held = lt_submit_gate(ex, &g);
    cf_future *q[4];
    for (int i = 0; i < 4; i++)
        q[i] = lt_submit_str(ex, lt_t_echo, "q");
    ck_assert_int_eq(cf_future_cancel(q[3]), 1);
    cf_future *fs[2] = {held, q[3]};
    unsigned char done[2];
    ck_assert_int_eq(cf_wait(fs, 2, 0.2, CF_FIRST_EXCEPTION, done), 1);
    ck_assert_int_eq(done[0], 0);
    ck_assert_int_eq(done[1], 1);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_wait(fs, 2, CF_FOREVER, CF_FIRST_EXCEPTION, done), 2);
    cf_executor_free(ex);
    cf_future_free(held);
    for (int i = 0; i < 4; i++)
        cf_future_free(q[i]);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_wait_all_completed_waits_for_every_future) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *fs[4];
    fs[0] = lt_submit_str(ex, lt_t_sleep, "50");
    fs[1] = lt_submit_str(ex, lt_t_fail, "x");
    fs[2] = lt_submit_str(ex, lt_t_echo, "y");
    fs[3] = lt_submit_str(ex, lt_t_sleep, "30");
    unsigned char done[4] = {0};
    ck_assert_int_eq(cf_wait(fs, 4, CF_FOREVER, CF_ALL_COMPLETED, done), 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(done[i], 1);
        ck_assert_int_eq(cf_future_done(fs[i]), 1);
        cf_future_free(fs[i]);
    }
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_wait_timeout_returns_count_so_far) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *fs[2];
    fs[0] = lt_submit_str(ex, lt_t_echo, "done");
    ck_assert_int_eq(cf_future_wait(fs[0], 20.0), 0);
    fs[1] = lt_submit_gate(ex, &g);
    unsigned char done[2];
    double t0 = lt_now();
    ck_assert_int_eq(cf_wait(fs, 2, 0.1, CF_ALL_COMPLETED, done), 1);
    ck_assert(lt_now() - t0 >= 0.09);
    ck_assert_int_eq(done[0], 1);
    ck_assert_int_eq(done[1], 0);
    /* timeout 0 only polls */
    ck_assert_int_eq(cf_wait(fs, 2, 0, CF_ALL_COMPLETED, done), 1);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_wait(fs, 2, 20.0, CF_ALL_COMPLETED, done), 2);
    for (int i = 0; i < 2; i++)
        cf_future_free(fs[i]);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_wait_on_nothing_returns_zero) {
    unsigned char done[1] = {7};
    ck_assert_int_eq(cf_wait(NULL, 0, CF_FOREVER, CF_ALL_COMPLETED, done), 0);
    ck_assert_int_eq(cf_wait(NULL, 0, CF_FOREVER, CF_FIRST_COMPLETED, NULL), 0);
}
END_TEST

START_TEST(test_wait_on_done_futures_returns_all) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *fs[3];
    for (int i = 0; i < 3; i++)
        fs[i] = lt_submit_str(ex, lt_t_echo, "z");
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(cf_future_wait(fs[i], 20.0), 0);
    for (int w = CF_FIRST_COMPLETED; w <= CF_ALL_COMPLETED; w++)
        ck_assert_int_eq(cf_wait(fs, 3, 0, (cf_return_when)w, NULL), 3);
    for (int i = 0; i < 3; i++)
        cf_future_free(fs[i]);
    cf_executor_free(ex);
}
END_TEST

/* ---- as_completed ----------------------------------------------------- */

/* Already-done futures come first, then the others as they finish: two
 * gates opened in reverse order of submission decide the rest. */
START_TEST(test_as_completed_gives_futures_in_completion_order) {
    lt_gate ga, gb;
    lt_gate_init(&ga);
    lt_gate_init(&gb);
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    cf_future *fs[3];
    fs[0] = lt_submit_gate(ex, &ga);
    fs[1] = lt_submit_gate(ex, &gb);
    fs[2] = lt_submit_str(ex, lt_t_echo, "quick");
    ck_assert_int_eq(cf_future_wait(fs[2], 20.0), 0);

    cf_as_completed *it = NULL;
    ck_assert_int_eq(cf_as_completed_new(fs, 3, CF_FOREVER, &it), 0);
    ck_assert_ptr_nonnull(it);
    cf_future *f = NULL;
    size_t index = 99;
    ck_assert_int_eq(cf_as_completed_next(it, &f, &index), 0);
    ck_assert_uint_eq(index, 2);
    ck_assert_ptr_eq(f, fs[2]);
    lt_gate_open(&gb);
    ck_assert_int_eq(cf_as_completed_next(it, &f, &index), 0);
    ck_assert_uint_eq(index, 1);
    ck_assert_ptr_eq(f, fs[1]);
    ck_assert_int_eq(cf_future_done(fs[0]), 0);
    lt_gate_open(&ga);
    ck_assert_int_eq(cf_as_completed_next(it, &f, NULL), 0);
    ck_assert_ptr_eq(f, fs[0]);
    ck_assert_int_eq(cf_as_completed_next(it, &f, &index), CF_EOF);
    ck_assert_int_eq(cf_as_completed_next(it, NULL, NULL), CF_EOF);
    cf_as_completed_free(it);
    for (int i = 0; i < 3; i++)
        cf_future_free(fs[i]);
    cf_executor_free(ex);
    lt_gate_fini(&ga);
    lt_gate_fini(&gb);
}
END_TEST

/* Each future exactly once, whatever finishes first; failures included. */
START_TEST(test_as_completed_gives_each_future_once) {
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    cf_future *fs[20];
    char buf[16];
    for (int i = 0; i < 20; i++) {
        snprintf(buf, sizeof buf, "%d", (i * 7) % 11);
        fs[i] = lt_submit_str(ex, i % 4 ? lt_t_sleep : lt_t_fail, buf);
    }
    cf_as_completed *it = NULL;
    ck_assert_int_eq(cf_as_completed_new(fs, 20, 20.0, &it), 0);
    int seen[20] = {0};
    cf_future *f;
    size_t index;
    for (int k = 0; k < 20; k++) {
        ck_assert_int_eq(cf_as_completed_next(it, &f, &index), 0);
        ck_assert_uint_lt(index, 20);
        ck_assert_ptr_eq(f, fs[index]);
        ck_assert_int_eq(cf_future_done(f), 1);
        seen[index]++;
    }
    ck_assert_int_eq(cf_as_completed_next(it, &f, &index), CF_EOF);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(seen[i], 1);
    cf_as_completed_free(it);
    for (int i = 0; i < 20; i++)
        cf_future_free(fs[i]);
    cf_executor_free(ex);
}
END_TEST

static void *open_gate_later(void *arg) {
    lt_sleep_ms(100);
    lt_gate_open(arg);
    return NULL;
}

/* Python's as_completed is a generator: its clock starts at the first
 * next(), not when it is made (map's starts at the call). */
START_TEST(test_as_completed_times_out_from_the_first_next) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *fs[2];
    fs[0] = lt_submit_str(ex, lt_t_echo, "a");
    ck_assert_int_eq(cf_future_wait(fs[0], 20.0), 0);
    fs[1] = lt_submit_gate(ex, &g);
    cf_as_completed *it = NULL;
    ck_assert_int_eq(cf_as_completed_new(fs, 2, 0.5, &it), 0);
    lt_sleep_ms(600); /* past creation + timeout */
    pthread_t opener;
    ck_assert_int_eq(pthread_create(&opener, NULL, open_gate_later, &g), 0);
    size_t index;
    ck_assert_int_eq(cf_as_completed_next(it, NULL, &index), 0);
    ck_assert_uint_eq(index, 0);
    /* Opened 0.1 s after the first next, within its 0.5 s. */
    ck_assert_int_eq(cf_as_completed_next(it, NULL, &index), 0);
    ck_assert_uint_eq(index, 1);
    ck_assert_int_eq(cf_as_completed_next(it, NULL, &index), CF_EOF);
    pthread_join(opener, NULL);
    cf_as_completed_free(it);

    /* Once started, the deadline stays: a later call does not wait anew. */
    lt_gate h;
    lt_gate_init(&h);
    cf_future *gf = lt_submit_gate(ex, &h);
    ck_assert_int_eq(cf_as_completed_new(&gf, 1, 0.1, &it), 0);
    double t0 = lt_now();
    ck_assert_int_eq(cf_as_completed_next(it, NULL, &index), CF_ETIMEDOUT);
    ck_assert(lt_now() - t0 >= 0.09);
    double t1 = lt_now();
    ck_assert_int_eq(cf_as_completed_next(it, NULL, &index), CF_ETIMEDOUT);
    ck_assert(lt_now() - t1 < 0.09 + 1.0);
    cf_as_completed_free(it);
    lt_gate_open(&h);
    lt_expect_result(gf, "open");
    cf_future_free(gf);
    lt_expect_result(fs[1], "open");
    for (int i = 0; i < 2; i++)
        cf_future_free(fs[i]);
    cf_executor_free(ex);
    lt_gate_fini(&g);
    lt_gate_fini(&h);
}
END_TEST

START_TEST(test_as_completed_on_nothing_ends_at_once) {
    cf_as_completed *it = NULL;
    ck_assert_int_eq(cf_as_completed_new(NULL, 0, CF_FOREVER, &it), 0);
    ck_assert_int_eq(cf_as_completed_next(it, NULL, NULL), CF_EOF);
    cf_as_completed_free(it);
    cf_as_completed_free(NULL);
}
END_TEST

static Suite *wait_suite(void) {
    Suite *s = suite_create("wait");
    TCase *w = tcase_create("wait");
    tcase_set_timeout(w, 30);
    LT_POOL_KINDS(w, test_wait_first_completed_returns_on_first);
    LT_POOL_KINDS(w, test_wait_first_exception_returns_on_failure);
    LT_ALL_KINDS(w, test_wait_first_exception_without_failure_waits_for_all);
    LT_POOL_KINDS(w, test_wait_first_exception_does_not_count_cancelled);
    LT_ALL_KINDS(w, test_wait_all_completed_waits_for_every_future);
    LT_POOL_KINDS(w, test_wait_timeout_returns_count_so_far);
    tcase_add_test(w, test_wait_on_nothing_returns_zero);
    LT_ALL_KINDS(w, test_wait_on_done_futures_returns_all);
    suite_add_tcase(s, w);

    TCase *ac = tcase_create("as_completed");
    tcase_set_timeout(ac, 30);
    LT_POOL_KINDS(ac, test_as_completed_gives_futures_in_completion_order);
    LT_ALL_KINDS(ac, test_as_completed_gives_each_future_once);
    LT_POOL_KINDS(ac, test_as_completed_times_out_from_the_first_next);
    tcase_add_test(ac, test_as_completed_on_nothing_ends_at_once);
    suite_add_tcase(s, ac);
    return s;
}

int main(void) {
    lt_register_tasks();
    return lt_run_suite(wait_suite());
}
