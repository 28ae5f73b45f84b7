/* test_executor.c -- executor lifecycle for every kind: creation, default
 * worker counts, shutdown (wait, cancel_futures), initializer, volume. */
#include "lib_check.h"

START_TEST(test_create_shutdown_free) {
    cf_kind kind = lt_kinds[_i];
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(kind, NULL, &ex), 0);
    ck_assert_ptr_nonnull(ex);
    ck_assert_int_eq(cf_executor_kind(ex), kind);
    ck_assert_int_eq(cf_executor_workers(ex), cf_default_workers(kind));
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0); /* again: fine */
    ck_assert_int_eq(cf_executor_shutdown(ex, 0, 1), 0);
    cf_executor_free(ex);
    cf_executor_free(NULL);
}
END_TEST

START_TEST(test_free_without_shutdown_finishes_tasks) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f[6];
    for (int i = 0; i < 6; i++)
        f[i] = lt_submit_str(ex, lt_t_sleep, "10");
    cf_executor_free(ex);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(cf_future_done(f[i]), 1);
        lt_expect_result(f[i], "10");
        cf_future_free(f[i]);
    }
}
END_TEST

START_TEST(test_default_worker_counts_follow_python) {
    int cpus = lt_cpus();
    int threads = cpus + 4 < 32 ? cpus + 4 : 32;
    ck_assert_int_eq(cf_default_workers(CF_THREAD), threads);
    ck_assert_int_eq(cf_default_workers(CF_PROCESS), cpus);
    ck_assert_int_eq(cf_default_workers(CF_SEQUENTIAL), 1);
}
END_TEST

START_TEST(test_explicit_worker_count_is_kept) {
    cf_kind kind = lt_kinds[_i];
    cf_executor *ex = lt_new(kind, 3);
    ck_assert_int_eq(cf_executor_workers(ex), 3);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_bad_options_are_refused) {
    cf_kind kind = lt_kinds[_i];
    cf_executor *ex = NULL;
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = -1;
    if (kind != CF_SEQUENTIAL) ck_assert_int_eq(cf_executor_new(kind, &o, &ex), CF_EINVAL);
    ck_assert_int_eq(cf_executor_new((cf_kind)7, NULL, &ex), CF_EINVAL);
    ck_assert_int_eq(cf_executor_new(kind, NULL, NULL), CF_EINVAL);
    /* CF_MPI needs libcfutures_mpi, which this test does not link. */
    ck_assert_int_eq(cf_executor_new(CF_MPI, NULL, &ex), CF_EINVAL);
    ck_assert_ptr_null(ex);
}
END_TEST

START_TEST(test_submit_after_shutdown_is_refused) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = NULL;
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    ck_assert_int_eq(cf_submit(ex, lt_t_echo, "x", 1, &f), CF_ESHUTDOWN);
    ck_assert_int_eq(cf_executor_shutdown(ex, 0, 0), 0);
    ck_assert_int_eq(cf_submit(ex, lt_t_echo, "x", 1, &f), CF_ESHUTDOWN);
    cf_executor_free(ex);
}
END_TEST

/* shutdown(wait=0) returns while a task is still held; the task finishes
 * afterwards and its future gets the result. */
START_TEST(test_shutdown_without_wait_returns_at_once) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_gate(ex, &g);
    ck_assert_msg(LT_POLL(cf_future_running(f), 10.0), "never ran");
    ck_assert_int_eq(cf_executor_shutdown(ex, 0, 0), 0);
    ck_assert_int_eq(cf_future_done(f), 0); /* the gate is still shut */
    cf_future *late = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_echo, "x", 1, &late), CF_ESHUTDOWN);
    lt_gate_open(&g);
    lt_expect_result(f, "open");
    cf_executor_free(ex);
    cf_future_free(f);
    lt_gate_fini(&g);
}
END_TEST

/* With one worker held, the futures queued behind it are cancelled by
 * shutdown(cancel_futures). A process pool may already have handed one or
 * two to a worker (then they run); the last one cannot have been. */
START_TEST(test_shutdown_cancel_futures_cancels_pending) {
    cf_kind kind = lt_kinds[_i];
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(kind, 1);
    cf_future *held = lt_submit_gate(ex, &g);
    cf_future *q[5];
    for (int i = 0; i < 5; i++)
        q[i] = lt_submit_str(ex, lt_t_echo, "q");
    ck_assert_msg(LT_POLL(cf_future_running(held), 10.0), "never ran");
    ck_assert_int_eq(cf_executor_shutdown(ex, 0, 1), 0);
    ck_assert_int_eq(cf_future_cancelled(held), 0);
    ck_assert_int_eq(cf_future_cancelled(q[4]), 1);
    ck_assert_int_eq(cf_future_result(q[4], 0, NULL, NULL), CF_ECANCELLED);
    if (kind == CF_THREAD)
        for (int i = 0; i < 5; i++)
            ck_assert_int_eq(cf_future_cancelled(q[i]), 1);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    lt_expect_result(held, "open");
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(cf_future_done(q[i]), 1);
        int out = cf_future_outcome(q[i]);
        ck_assert(out == 0 || out == CF_ECANCELLED);
        cf_future_free(q[i]);
    }
    cf_future_free(held);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* shutdown(wait=1) returns only once started tasks are finished. */
START_TEST(test_shutdown_with_wait_waits_for_running_tasks) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f[4];
    for (int i = 0; i < 4; i++)
        f[i] = lt_submit_str(ex, lt_t_sleep, "30");
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(cf_future_done(f[i]), 1);
        lt_expect_result(f[i], "30");
        cf_future_free(f[i]);
    }
    cf_executor_free(ex);
}
END_TEST

/* The sequential executor runs the task in the caller, inside submit. */
static pthread_t ran_on;
static int record_thread(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len, (void)out;
    ran_on = pthread_self();
    return 0;
}

static const cf_task *t_record;

START_TEST(test_sequential_runs_task_inside_submit) {
    cf_executor *ex = lt_new(CF_SEQUENTIAL, 0);
    ck_assert_int_eq(cf_executor_workers(ex), 1);
    cf_future *f = lt_submit_str(ex, t_record, "");
    ck_assert_int_eq(cf_future_done(f), 1);
    ck_assert(pthread_equal(ran_on, pthread_self()));
    ck_assert_int_eq(cf_future_outcome(f), 0);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* ---- initializer ------------------------------------------------------ */

static int dummy_arg;

START_TEST(test_initializer_runs_once_in_each_worker) {
    cf_kind kind = lt_kinds[_i];
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 3;
    o.initializer = lt_init_ok;
    o.initarg = &dummy_arg;
    cf_executor *ex = NULL;
    atomic_store(&lt_init_calls, 0);
    ck_assert_int_eq(cf_executor_new(kind, &o, &ex), 0);
    cf_future *f[30];
    for (int i = 0; i < 30; i++) {
        ck_assert_int_eq(cf_submit(ex, lt_t_initinfo, NULL, 0, &f[i]), 0);
    }
    char want[64];
    snprintf(want, sizeof want, "1 %p", (void *)&dummy_arg);
    for (int i = 0; i < 30; i++) {
        lt_expect_result(f[i], want);
        cf_future_free(f[i]);
    }
    cf_executor_free(ex);
    /* Threads ran it here, once each; forked workers ran their own copy. */
    if (kind == CF_THREAD)
        ck_assert_int_eq(atomic_load(&lt_init_calls), 3);
    else
        ck_assert_int_eq(atomic_load(&lt_init_calls), 0);
}
END_TEST

/* A failing initializer breaks the pool: the first future fails with
 * CF_EBROKEN (or submit already says so), and then submit does. */
START_TEST(test_failing_initializer_breaks_pool) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 2;
    o.initializer = lt_init_fail;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(lt_kinds[_i], &o, &ex), 0);
    cf_future *f = NULL;
    int rc = cf_submit(ex, lt_t_echo, "x", 1, &f);
    if (rc == 0) {
        ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_EBROKEN);
        const char *msg = NULL;
        cf_future_error(f, &msg);
        ck_assert_ptr_nonnull(msg);
        ck_assert_uint_gt(strlen(msg), 0);
        cf_future_free(f);
    } else {
        ck_assert_int_eq(rc, CF_EBROKEN);
    }
    f = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_echo, "x", 1, &f), CF_EBROKEN);
    cf_executor_free(ex);
}
END_TEST

/* ---- volume ----------------------------------------------------------- */

START_TEST(test_many_tasks_all_get_their_own_result) {
    cf_kind kind = lt_kinds[_i];
    int n = kind == CF_PROCESS ? 500 : 2000;
    cf_executor *ex = lt_new(kind, 4);
    cf_future **f = calloc((size_t)n, sizeof *f);
    ck_assert_ptr_nonnull(f);
    char buf[32];
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        f[i] = lt_submit_str(ex, lt_t_sq, buf);
    }
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "%ld", (long)i * i);
        lt_expect_result(f[i], buf);
        cf_future_free(f[i]);
    }
    free(f);
    cf_executor_free(ex);
}
END_TEST

/* A done callback runs on the pool's own thread (a thread worker, or a
 * process pool's manager): waiting there for the pool to shut down would
 * wait for itself. */
static atomic_int callback_shutdown_result = 1;
static void shutdown_from_callback(cf_future *f, void *arg) {
    (void)f;
    callback_shutdown_result = cf_executor_shutdown(arg, 1, 0);
}

START_TEST(test_shutdown_with_wait_from_a_done_callback_is_a_deadlock) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_gate(ex, &g);
    callback_shutdown_result = 1;
    ck_assert_int_eq(cf_future_add_done_callback(f, shutdown_from_callback, ex), 0);
    lt_gate_open(&g);
    lt_expect_result(f, "open");
    /* Waiters may wake before the callbacks have run: wait for it. */
    for (int i = 0; i < 5000 && callback_shutdown_result == 1; i++)
        lt_sleep_ms(1);
    ck_assert_int_eq(callback_shutdown_result, CF_EDEADLK);
    cf_future_free(f);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* A child of fork() can use the library: its futures come from slabs of
 * its own (the parent's were not copied, MADV_DONTFORK), even though the
 * parent had futures live at the fork. The pool is shut down first: a
 * child of a process with other threads may call only async-signal-safe
 * functions (POSIX), which the library's calls are not. */
START_TEST(test_fork_child_makes_its_own_futures) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *held[64];
    for (int i = 0; i < 64; i++) /* live in the parent at the fork */
        held[i] = lt_submit_str(ex, lt_t_sq, "3");
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0); /* this thread alone */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cf_executor *seq = NULL;
        if (cf_executor_new(CF_SEQUENTIAL, NULL, &seq)) _exit(10);
        for (int i = 0; i < 1000; i++) {
            cf_future *f = NULL;
            const void *data;
            size_t len;
            if (cf_submit(seq, lt_t_sq, "5", 1, &f)) _exit(11);
            if (cf_future_result(f, 10, &data, &len) || len != 2 || memcmp(data, "25", 2)) _exit(12);
            cf_future_free(f);
        }
        cf_executor_free(seq);
        cf_executor_free(ex); /* ours too: a copy, shut down before the fork */
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: status %d", st);
    for (int i = 0; i < 64; i++) {
        lt_expect_result(held[i], "9");
        cf_future_free(held[i]);
    }
    cf_executor_free(ex);
}
END_TEST

static Suite *executor_suite(void) {
    Suite *s = suite_create("executor");
    TCase *life = tcase_create("lifecycle");
    tcase_set_timeout(life, 30);
    LT_ALL_KINDS(life, test_create_shutdown_free);
    LT_ALL_KINDS(life, test_free_without_shutdown_finishes_tasks);
    tcase_add_test(life, test_default_worker_counts_follow_python);
    tcase_add_loop_test(life, test_explicit_worker_count_is_kept, 1, 3);
    LT_ALL_KINDS(life, test_bad_options_are_refused);
    tcase_add_test(life, test_sequential_runs_task_inside_submit);
    suite_add_tcase(s, life);

    TCase *sd = tcase_create("shutdown");
    tcase_set_timeout(sd, 30);
    LT_ALL_KINDS(sd, test_submit_after_shutdown_is_refused);
    LT_POOL_KINDS(sd, test_shutdown_without_wait_returns_at_once);
    LT_POOL_KINDS(sd, test_shutdown_cancel_futures_cancels_pending);
    LT_ALL_KINDS(sd, test_shutdown_with_wait_waits_for_running_tasks);
    LT_POOL_KINDS(sd, test_shutdown_with_wait_from_a_done_callback_is_a_deadlock);
    suite_add_tcase(s, sd);

    TCase *init = tcase_create("initializer");
    tcase_set_timeout(init, 30);
    LT_POOL_KINDS(init, test_initializer_runs_once_in_each_worker);
    LT_POOL_KINDS(init, test_failing_initializer_breaks_pool);
    suite_add_tcase(s, init);

    TCase *vol = tcase_create("volume");
    tcase_set_timeout(vol, 60);
    LT_ALL_KINDS(vol, test_many_tasks_all_get_their_own_result);
    suite_add_tcase(s, vol);

    TCase *fk = tcase_create("fork");
    tcase_set_timeout(fk, 30);
    LT_ALL_KINDS(fk, test_fork_child_makes_its_own_futures);
    suite_add_tcase(s, fk);
    return s;
}

int main(void) {
    lt_register_tasks();
    t_record = cf_task_register("ex.record_thread", record_thread);
    return lt_run_suite(executor_suite());
}
