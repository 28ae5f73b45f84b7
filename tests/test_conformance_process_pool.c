/* test_conformance_process_pool.c -- CPython's test_process_pool.py
 * (ProcessPoolExecutorTest) and test_deadlock.py (ExecutorDeadlockTest) on
 * cfutures (conformance.h says how the port reads). */
#include "conformance.h"

/* ==== test_process_pool.py: ProcessPoolExecutorTest ===================== */

/* Submits lt.pidfile and returns the pid of the worker running it. */
static pid_t submit_pidfile(cf_executor *ex, const lt_gate *g, cf_future **f) {
    char path[160];
    snprintf(path, sizeof path, "%s/pid", g->dir);
    *f = lt_submit_str(ex, lt_t_pidfile, path);
    return lt_read_pidfile(path);
}

START_TEST(test_process_pool__killed_child) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(CF_PROCESS, 2);
    cf_future *f;
    ck_assert_int_eq(kill(submit_pidfile(ex, &g, &f), SIGTERM), 0);
    ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_EBROKEN);
    cf_future *late = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_sq, "2", 1, &late), CF_EBROKEN);
    cf_future_free(f);
    cf_executor_free(ex);
    lt_expect_no_children();
    lt_gate_fini(&g);
}
END_TEST

/* On every kind. */
START_TEST(test_process_pool__map_chunksize) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    expect_map_squares(ex, 40, 6, 0);
    expect_map_squares(ex, 40, 50, 0);
    expect_map_squares(ex, 40, 40, 0);
    numbers in = {.n = 40};
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = -1;
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), CF_EINVAL);
    cf_executor_free(ex);
}
END_TEST

/* A task's message (C's traceback) reaches the caller whole. */
START_TEST(test_process_pool__traceback) {
    cf_executor *ex = lt_new(CF_PROCESS, 2);
    cf_future *f = lt_submit_str(ex, lt_t_fail, "raise RuntimeError(123) # some comment");
    ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_ETASK);
    const char *msg = NULL;
    ck_assert_int_eq(cf_future_error(f, &msg), 7);
    ck_assert_str_eq(msg, "failed on 'raise RuntimeError(123) # some comment'");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* test_ressources_gced_in_workers: about the garbage collector.
 * test_max_tasks_per_child_defaults_to_spawn_context: no start methods.
 * test_python_finalization_error: about interpreter finalization. */

static long pid_of(cf_future *f) {
    const void *data;
    ck_assert_int_eq(cf_future_result(f, 20.0, &data, NULL), 0);
    return strtol(data, NULL, 10);
}

/* Python refuses max_tasks_per_child with fork; cfutures forks and allows
 * it, so the spawn/forkserver expectations hold. */
START_TEST(test_process_pool__max_tasks_per_child) {
    cf_executor *ex = lt_new_process(1, 3, 0);
    cf_future *fs[4];
    long pids[4];
    for (int i = 0; i < 4; i++) {
        fs[i] = lt_submit_str(ex, lt_t_whoami, "");
        pids[i] = pid_of(fs[i]);
    }
    ck_assert_int_eq(pids[1], pids[0]);
    ck_assert_int_eq(pids[2], pids[0]);
    ck_assert_int_ne(pids[3], pids[0]);
    ck_assert_int_eq(cf_executor_workers(ex), 1);
    free_all(fs, 4);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_process_pool__max_tasks_early_shutdown) {
    cf_executor *ex = lt_new_process(3, 1, 0);
    cf_future *fs[6];
    char in[8], want[8];
    for (int i = 0; i < 6; i++) {
        snprintf(in, sizeof in, "%d", i);
        fs[i] = lt_submit_str(ex, lt_t_sq, in);
    }
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    for (int i = 0; i < 6; i++) {
        snprintf(want, sizeof want, "%d", i * i);
        lt_expect_result(fs[i], want);
    }
    free_all(fs, 6);
    cf_executor_free(ex);
    lt_expect_no_children();
}
END_TEST

/* test_terminate_workers, test_kill_workers and
 * test_force_shutdown_workers_invalid_op mock private methods; the
 * test_force_shutdown_workers* below check what they stand for. Loop index:
 * 0 terminate_workers, 1 kill_workers. */
static int force_shutdown(cf_executor *ex, int how) {
    return how == 0 ? cf_executor_terminate_workers(ex) : cf_executor_kill_workers(ex);
}

/* Refused work: the pool is shut down and broken. */
static void expect_refused(cf_executor *ex) {
    cf_future *f = NULL;
    int rc = cf_submit(ex, lt_t_sq, "2", 1, &f);
    ck_assert_msg(rc == CF_EBROKEN || rc == CF_ESHUTDOWN, "submit: %s", cf_err_name(rc));
    ck_assert_ptr_null(f);
}

/* The running task fails CF_EBROKEN (its worker got the signal), the
 * queued ones are cancelled, the pool refuses work, no child is left. */
START_TEST(test_process_pool__force_shutdown_workers) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(CF_PROCESS, 1);
    cf_future *running;
    pid_t pid = submit_pidfile(ex, &g, &running);
    cf_future *queued[3];
    for (int i = 0; i < 3; i++)
        queued[i] = lt_submit_str(ex, c_t_touch, g.path); /* would open the gate */
    ck_assert_int_eq(force_shutdown(ex, _i), 0);
    ck_assert_int_eq(cf_future_result(running, 5.0, NULL, NULL), CF_EBROKEN);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(cf_future_result(queued[i], 5.0, NULL, NULL), CF_ECANCELLED);
    expect_refused(ex);
    cf_executor_free(ex);
    lt_expect_no_children();
    ck_assert_int_eq(kill(pid, 0), -1);
    ck_assert_int_eq(access(g.path, F_OK), -1);
    cf_future_free(running);
    free_all(queued, 3);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_process_pool__force_shutdown_workers_dead_workers) {
    cf_executor *ex = lt_new(CF_PROCESS, 1);
    cf_future *f = lt_submit_str(ex, lt_t_crash, "exit");
    ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_EBROKEN);
    ck_assert_int_eq(force_shutdown(ex, _i), 0); /* broken: still fine */
    cf_future_free(f);
    cf_executor_free(ex);
    lt_expect_no_children();
}
END_TEST

START_TEST(test_process_pool__force_shutdown_workers_not_started_yet) {
    cf_executor *ex = lt_new(CF_PROCESS, 1);
    ck_assert_int_eq(force_shutdown(ex, _i), 0); /* idle, nothing ever ran */
    expect_refused(ex);
    cf_executor_free(ex);
    lt_expect_no_children();
}
END_TEST

START_TEST(test_process_pool__force_shutdown_workers_stops_pool) {
    cf_executor *ex = lt_new(CF_PROCESS, 1);
    cf_future *task = lt_submit_str(ex, lt_t_sleep, "0");
    lt_expect_result(task, "0");
    ck_assert_int_eq(force_shutdown(ex, _i), 0);
    expect_refused(ex);
    cf_future_free(task);
    cf_executor_free(ex);
    lt_expect_no_children();
}
END_TEST

/* No CPython test (Python's thread pool has no such methods): the other
 * kinds refuse, and keep working. */
START_TEST(test_process_pool__force_shutdown_workers_other_kinds) {
    for (int k = 0; k < 2; k++) {
        cf_executor *ex = lt_new(k == 0 ? CF_SEQUENTIAL : CF_THREAD, 2);
        ck_assert_int_eq(force_shutdown(ex, _i), CF_EINVAL);
        cf_future *f = lt_submit_str(ex, lt_t_sq, "5");
        lt_expect_result(f, "25");
        cf_future_free(f);
        cf_executor_free(ex);
    }
}
END_TEST

/* ==== test_deadlock.py: ExecutorDeadlockTest (process pool) ============= */

/* _check_error: the future fails with `want` and the pool shuts down. */
static void check_error(int want, const cf_task *task, const char *in) {
    cf_executor *ex = lt_new(CF_PROCESS, 2);
    cf_future *res = lt_submit_str(ex, task, in);
    ck_assert_int_eq(cf_future_result(res, 20.0, NULL, NULL), want);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    cf_future_free(res);
    cf_executor_free(ex);
    lt_expect_no_children();
}

/* test_error_at_task_pickle, test_*_at_task_unpickle, test_*_result_pickle*,
 * test_*_result_unpickle*: tasks take and give bytes; nothing is pickled. */

START_TEST(test_deadlock__crash_during_func_exec_on_worker) {
    check_error(CF_EBROKEN, lt_t_crash, "segv");
}
END_TEST

/* Python's sys.exit() raises SystemExit in the task; C's exit ends the
 * worker process, which breaks the pool. */
START_TEST(test_deadlock__exit_during_func_exec_on_worker) {
    check_error(CF_EBROKEN, lt_t_crash, "exit");
}
END_TEST

START_TEST(test_deadlock__error_during_func_exec_on_worker) {
    check_error(CF_ETASK, lt_t_fail, "RuntimeError");
}
END_TEST

START_TEST(test_deadlock__shutdown_deadlock) {
    cf_executor *ex = lt_new(CF_PROCESS, 2);
    cf_future *f = lt_submit_str(ex, c_t_crash, "later");
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_EBROKEN);
    cf_future_free(f);
    cf_executor_free(ex);
    lt_expect_no_children();
}
END_TEST

/* A worker crashes while 1 MiB inputs are being written to it. */
START_TEST(test_deadlock__crash_big_data) {
    size_t big = 1u << 20;
    char *data = malloc(big);
    ck_assert_ptr_nonnull(data);
    memset(data, 'a', big);
    const void *in[10];
    size_t len[10];
    for (int i = 0; i < 10; i++) {
        in[i] = data;
        len[i] = big;
    }
    cf_executor *ex = lt_new(CF_PROCESS, 2);
    cf_map_iter *m = NULL;
    /* The pool may break while map is still submitting, as in Python. */
    int rc = cf_map_array(ex, c_t_crash, in, len, 10, NULL, &m);
    while (rc == 0 && (rc = cf_map_next(m, NULL, NULL)) == 0)
        ;
    ck_assert_msg(rc == CF_EBROKEN, "%s", cf_err_name(rc));
    cf_map_free(m);
    cf_executor_free(ex);
    free(data);
    lt_expect_no_children();
}
END_TEST

/* Many submissions before the manager gets to read its wake-ups. */
START_TEST(test_deadlock__gh105829_should_not_deadlock_if_wakeup_pipe_full) {
    cf_executor *ex = lt_new(CF_PROCESS, 2);
    expect_map_squares(ex, 1000, 1, 0);
    cf_executor_free(ex);
}
END_TEST

static Suite *process_pool_suite(void) {
    Suite *s = suite_create("conformance process pool");
    TCase *pp = conf_tcase(s, "test_process_pool", 15);
    tcase_add_test(pp, test_process_pool__killed_child);
    ALL(pp, test_process_pool__map_chunksize);
    tcase_add_test(pp, test_process_pool__traceback);
    tcase_add_test(pp, test_process_pool__max_tasks_per_child);
    tcase_add_test(pp, test_process_pool__max_tasks_early_shutdown);
    tcase_add_loop_test(pp, test_process_pool__force_shutdown_workers, 0, 2);
    tcase_add_loop_test(pp, test_process_pool__force_shutdown_workers_dead_workers, 0, 2);
    tcase_add_loop_test(pp, test_process_pool__force_shutdown_workers_not_started_yet, 0, 2);
    tcase_add_loop_test(pp, test_process_pool__force_shutdown_workers_stops_pool, 0, 2);
    tcase_add_loop_test(pp, test_process_pool__force_shutdown_workers_other_kinds, 0, 2);

    TCase *dl = conf_tcase(s, "test_deadlock", 15);
    tcase_add_test(dl, test_deadlock__crash_during_func_exec_on_worker);
    tcase_add_test(dl, test_deadlock__exit_during_func_exec_on_worker);
    tcase_add_test(dl, test_deadlock__error_during_func_exec_on_worker);
    tcase_add_test(dl, test_deadlock__shutdown_deadlock);
    tcase_add_test(dl, test_deadlock__crash_big_data);
    tcase_add_test(dl, test_deadlock__gh105829_should_not_deadlock_if_wakeup_pipe_full);
    return s;
}

int main(void) {
    conf_register_tasks();
    return lt_run_suite(process_pool_suite());
}
