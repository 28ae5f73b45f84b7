/* test_embed.c -- the pools inside real programs (issue 17): tasks that
 * start background processes, programs that fork children of their own,
 * long initializers under a task timeout, a warmed-up pool that must still
 * spread slow work, NaN timeouts, and tasks that wait on their own pool
 * under the emulated GIL. Time bounds here are correctness bounds with wide
 * margins (what must not take seconds), not benchmarks. */
#include <math.h>

#include "lib_check.h"

/* Input: a shell command. Runs it with system(); output its status. */
static int e_system(const void *in, size_t len, cf_out *out) {
    char cmd[256];
    lt_in_str(in, len, cmd, sizeof cmd);
    return lt_out_printf(out, "status=%d", system(cmd)) == 0 ? 0 : 99;
}

/* The pool the nested task submits to and waits in. Set before submitting. */
static cf_executor *own_pool;

/* Submits lt.echo to own_pool, waits for it without limit, and reports the
 * wait's return code as "rc=N". */
static int e_wait_own_pool(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    cf_future *inner = NULL;
    int rc = cf_submit(own_pool, lt_t_echo, "inner", 5, &inner);
    if (rc == 0) rc = cf_future_result(inner, CF_FOREVER, NULL, NULL);
    cf_future_free(inner);
    return lt_out_printf(out, "rc=%d", rc) == 0 ? 0 : 99;
}

/* An initializer that takes 1.5 s. */
static int e_slow_init(void *arg) {
    (void)arg;
    lt_sleep_ms(1500);
    return 0;
}

static const cf_task *e_t_system, *e_t_wait_own_pool;

/* Runs `n` tiny tasks: a pool that has seen them measures tasks as short
 * and may batch more work onto each worker. */
static void warm_up(cf_executor *ex, int n) {
    for (int done = 0; done < n; done += 500) {
        cf_future *fs[500];
        for (int i = 0; i < 500; i++)
            fs[i] = lt_submit_str(ex, lt_t_echo, "t");
        ck_assert_int_eq(cf_wait(fs, 500, 20.0, CF_ALL_COMPLETED, NULL), 500);
        for (int i = 0; i < 500; i++)
            cf_future_free(fs[i]);
    }
}

/* (a) A task leaves a background process that inherited the worker's
 * descriptors. With max_tasks_per_child=1 its worker is replaced at once,
 * and a later crash is reported at once: neither waits for the 4 s the
 * background process lives. */
START_TEST(test_background_process_of_a_task_delays_neither_replacement_nor_crash) {
    cf_executor *ex = lt_new_process(1, 1, 0);
    cf_future *bg = lt_submit_str(ex, e_t_system, "sleep 4 </dev/null >/dev/null 2>&1 &");
    lt_expect_result(bg, "status=0");

    double t0 = lt_now();
    cf_future *next = lt_submit_str(ex, lt_t_whoami, "");
    int rc = cf_future_result(next, 20.0, NULL, NULL);
    ck_assert_msg(rc == 0, "%s", cf_err_name(rc));
    ck_assert_msg(lt_now() - t0 < 2.0, "replacement took %.2f s", lt_now() - t0);

    t0 = lt_now();
    cf_future *crash = lt_submit_str(ex, lt_t_crash, "abort");
    ck_assert_int_eq(cf_future_result(crash, 20.0, NULL, NULL), CF_EBROKEN);
    ck_assert_msg(lt_now() - t0 < 2.0, "crash reported after %.2f s", lt_now() - t0);

    t0 = lt_now();
    cf_executor_free(ex);
    ck_assert_msg(lt_now() - t0 < 2.0, "free took %.2f s", lt_now() - t0);
    cf_future_free(bg);
    cf_future_free(next);
    cf_future_free(crash);
}
END_TEST

/* (b) The program forks a child of its own, which inherits the pool's
 * descriptors and sleeps 5 s: freeing the idle pool must not wait for it. */
START_TEST(test_unrelated_forked_child_does_not_delay_free) {
    cf_executor *ex = lt_new_process(2, 0, 0);
    cf_future *f = lt_submit_str(ex, lt_t_echo, "ready");
    lt_expect_result(f, "ready");
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        lt_sleep_ms(5000);
        _exit(0);
    }
    double t0 = lt_now();
    cf_executor_free(ex);
    double took = lt_now() - t0;
    ck_assert_int_eq(kill(child, SIGKILL), 0);
    int st;
    ck_assert_int_eq(waitpid(child, &st, 0), child);
    ck_assert_msg(took < 1.0, "free took %.2f s", took);
    cf_future_free(f);
}
END_TEST

/* (c) Two workers, after thousands of tiny tasks: a slow task then an
 * instant one. The instant one runs on the other worker at once, and never
 * inherits the slow one's timeout. Loop: 0 without task_timeout (the slow
 * task is a gate opened afterwards), 1 with task_timeout=1 (the slow task
 * never ends and times out). */
START_TEST(test_instant_task_is_not_queued_behind_a_slow_one) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new_process(2, 0, _i == 0 ? 0 : 1.0);
    warm_up(ex, 3000);
    cf_future *slow = lt_submit_gate(ex, &g);
    double t0 = lt_now();
    cf_future *instant = lt_submit_str(ex, lt_t_echo, "instant");
    int rc = cf_future_result(instant, 5.0, NULL, NULL);
    double took = lt_now() - t0;
    ck_assert_msg(rc == 0, "instant task: %s", cf_err_name(rc));
    ck_assert_msg(took < 1.0, "instant task took %.2f s", took);
    ck_assert_int_eq(cf_future_done(slow), 0);
    if (_i == 0) {
        lt_gate_open(&g);
        lt_expect_result(slow, "open");
    } else {
        ck_assert_int_eq(cf_future_result(slow, 20.0, NULL, NULL), CF_ETIMEDOUT);
    }
    cf_future_free(slow);
    cf_future_free(instant);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* (d) The initializer's 1.5 s do not count against task_timeout=1. */
START_TEST(test_initializer_time_does_not_count_against_task_timeout) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 2;
    o.task_timeout = 1.0;
    o.initializer = e_slow_init;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(CF_PROCESS, &o, &ex), 0);
    cf_future *fs[4];
    for (int i = 0; i < 4; i++)
        fs[i] = lt_submit_str(ex, lt_t_echo, "fine");
    for (int i = 0; i < 4; i++) {
        lt_expect_result(fs[i], "fine");
        cf_future_free(fs[i]);
    }
    cf_executor_free(ex);
}
END_TEST

/* (e) NaN (either sign) is refused with CF_EINVAL at once, even while the
 * future it would wait for is pending (here held by a gate). */
START_TEST(test_nan_timeouts_are_refused_promptly) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_gate(ex, &g);
    double nans[] = {NAN, -NAN};
    for (int k = 0; k < 2; k++) {
        double t0 = lt_now();
        cf_as_completed *it = NULL;
        ck_assert_int_eq(cf_future_result(f, nans[k], NULL, NULL), CF_EINVAL);
        ck_assert_int_eq(cf_future_wait(f, nans[k]), CF_EINVAL);
        ck_assert_int_eq(cf_wait(&f, 1, nans[k], CF_ALL_COMPLETED, NULL), CF_EINVAL);
        ck_assert_int_eq(cf_as_completed_new(&f, 1, nans[k], &it), CF_EINVAL);
        ck_assert_ptr_null(it);
        ck_assert_msg(lt_now() - t0 < 0.5, "NaN took %.2f s", lt_now() - t0);
    }
    ck_assert_int_eq(cf_future_done(f), 0);
    lt_gate_open(&g);
    lt_expect_result(f, "open");
    cf_future_free(f);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* (f) Under the emulated GIL a task waits without limit on a future of
 * its own pool. Loop 0: one worker, the inner task can never run:
 * CF_EDEADLK, not a hang. Loop 1: two workers, it can: the waiting thread
 * must let go of the GIL so that it does. */
START_TEST(test_gil_task_waiting_on_its_own_pool) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = _i + 1;
    o.gil_interval = 0.005;
    ck_assert_int_eq(cf_executor_new(CF_THREAD, &o, &own_pool), 0);
    cf_future *f = lt_submit_str(own_pool, e_t_wait_own_pool, "");
    char want[32];
    snprintf(want, sizeof want, "rc=%d", _i == 0 ? CF_EDEADLK : 0);
    lt_expect_result(f, want);
    cf_future_free(f);
    cf_executor_free(own_pool);
    own_pool = NULL;
}
END_TEST

static Suite *embed_suite(void) {
    Suite *s = suite_create("embed");
    TCase *proc = tcase_create("process pool in a program");
    tcase_set_timeout(proc, 20);
    tcase_add_test(proc, test_background_process_of_a_task_delays_neither_replacement_nor_crash);
    tcase_add_test(proc, test_unrelated_forked_child_does_not_delay_free);
    tcase_add_loop_test(proc, test_instant_task_is_not_queued_behind_a_slow_one, 0, 2);
    tcase_add_test(proc, test_initializer_time_does_not_count_against_task_timeout);
    suite_add_tcase(s, proc);

    TCase *wait = tcase_create("waits");
    tcase_set_timeout(wait, 10);
    LT_POOL_KINDS(wait, test_nan_timeouts_are_refused_promptly);
    tcase_add_loop_test(wait, test_gil_task_waiting_on_its_own_pool, 0, 2);
    suite_add_tcase(s, wait);
    return s;
}

int main(void) {
    lt_register_tasks();
    e_t_system = cf_task_register("embed.system", e_system);
    e_t_wait_own_pool = cf_task_register("embed.wait_own_pool", e_wait_own_pool);
    if (e_t_system == NULL || e_t_wait_own_pool == NULL) return 1;
    return lt_run_suite(embed_suite());
}
