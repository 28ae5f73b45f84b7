/* test_conformance_shutdown.c -- CPython's test_shutdown.py
 * (ExecutorShutdownTest and its subclasses) on cfutures (conformance.h says
 * how the port reads). */
#include "conformance.h"

/* ==== test_shutdown.py: ExecutorShutdownTest and subclasses ============= */

START_TEST(test_shutdown__run_after_shutdown) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    cf_future *f = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_sq, "2", 1, &f), CF_ESHUTDOWN);
    numbers in = {.n = 3};
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, NULL, &m), CF_ESHUTDOWN);
    cf_executor_free(ex);
}
END_TEST

/* test_interpreter_shutdown, test_submit_after_interpreter_shutdown,
 * test_hang_gh83386: about atexit hooks of the interpreter; a C program
 * frees its executor itself. */

START_TEST(test_shutdown__hang_issue12364) {
    cf_executor *ex = lt_new(lt_kinds[_i], 5);
    cf_future *fs[50];
    for (int i = 0; i < 50; i++)
        fs[i] = lt_submit_str(ex, lt_t_sleep, "20");
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    for (int i = 0; i < 50; i++)
        lt_expect_result(fs[i], "20");
    free_all(fs, 50);
    cf_executor_free(ex);
}
END_TEST

/* Python asserts more than 20 of 50 cancelled; cfutures promises cancel on
 * everything not started, so at most the 5 running (and a margin of 2 for
 * the moment the shutdown takes) may finish. Tasks sleep 0.3 s (Python:
 * 0.1 s) so that a loaded machine cannot start a second round first. */
#define CANCEL_MARGIN 2

static void shutdown_cancels_all_but_running(cf_executor *ex, cf_future **fs, int n) {
    /* Python's pool marks queued work RUNNING at once; wait for a start. */
    ck_assert_msg(LT_POLL(count_running(fs, n) > 0, 10.0), "nothing started");
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 1), 0);
    int cancelled = 0, others = 0;
    char ran[256] = ""; /* which ran, and when they started (with trace) */
    for (int i = 0; i < n; i++) {
        if (cf_future_cancelled(fs[i])) {
            cancelled++;
            continue;
        }
        others++;
        ck_assert_msg(cf_future_done(fs[i]), "future %d not done after shutdown", i);
        ck_assert_int_eq(cf_future_outcome(fs[i]), 0);
        cf_times t;
        cf_future_times(fs[i], &t);
        size_t at = strlen(ran);
        snprintf(ran + at, sizeof ran - at, " %d@%d+%.3fs", i, t.worker,
                 t.start ? (t.start - t.submit) / 1e9 : 0.0);
    }
    ck_assert_msg(others <= cf_executor_workers(ex) + CANCEL_MARGIN, "%d of %d ran:%s", others, n,
                  ran);
    ck_assert_int_gt(others, 0);
}

START_TEST(test_shutdown__cancel_futures) {
    cf_executor *ex = lt_new(lt_kinds[_i], 5);
    cf_future *fs[50];
    for (int i = 0; i < 50; i++)
        fs[i] = lt_submit_str(ex, lt_t_sleep, "300");
    shutdown_cancels_all_but_running(ex, fs, 50);
    free_all(fs, 50);
    cf_executor_free(ex);
}
END_TEST

/* A pool of `workers`, tracing its futures' times when `trace`. */
static cf_executor *new_pool(cf_kind kind, int workers, int trace) {
    cf_options o = lt_options();
    o.max_workers = workers;
    o.trace = trace;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(kind, &o, &ex), 0);
    return ex;
}

/* test_cancel_futures once the pool has run thousands of tiny tasks (issue
 * 11: a process pool then sent many tasks ahead to one worker, where they
 * could be neither cancelled nor spread). The five workers must each start
 * one task, explicit cancels must succeed on every task not started, and
 * shutdown(cancel_futures) must cancel the rest. The tasks last 1 s so that
 * "5 running at once" cannot be one worker's first task ending and its
 * next starting while a fifth worker idles. */
START_TEST(test_shutdown__cancel_futures_after_many_tiny_tasks) {
    cf_executor *ex = new_pool(lt_kinds[_i], 5, 1);
    for (int round = 0; round < 3; round++) {
        cf_future *tiny[1000];
        for (int i = 0; i < 1000; i++)
            tiny[i] = lt_submit_str(ex, lt_t_echo, "t");
        ck_assert_int_eq(cf_wait(tiny, 1000, 20.0, CF_ALL_COMPLETED, NULL), 1000);
        free_all(tiny, 1000);
    }
    cf_future *fs[50];
    double t0 = lt_now();
    for (int i = 0; i < 50; i++)
        fs[i] = lt_submit_str(ex, c_t_sleep_index, "1000");
    ck_assert_msg(LT_POLL(count_running(fs, 50) == 5, 3.0), "%d running, want all 5 workers",
                  count_running(fs, 50));
    /* Whatever order the pool starts them in, each one not started yet must
     * be cancelled. No worker is free before the first tasks end at 1 s, so
     * until then nothing can start while we go: no margin. */
    char refused[512] = "";
    int n_refused = 0;
    for (int i = 49; i >= 25; i--) {
        int started = cf_future_running(fs[i]) || cf_future_done(fs[i]);
        if (cf_future_cancel(fs[i]) || started) continue;
        n_refused++;
        size_t at = strlen(refused);
        snprintf(refused + at, sizeof refused - at, " %d(%s)", i,
                 cf_future_running(fs[i]) ? "running"
                 : cf_future_done(fs[i])  ? "done"
                                          : "pending");
    }
    int margin = lt_now() - t0 < 0.9 ? 0 : CANCEL_MARGIN;
    ck_assert_msg(n_refused <= margin, "cancel refused on not started:%s", refused);
    shutdown_cancels_all_but_running(ex, fs, 50);
    int workers_used[5] = {0};
    for (int i = 0; i < 50; i++) {
        if (cf_future_cancelled(fs[i])) continue;
        const void *data;
        ck_assert_int_eq(cf_future_result(fs[i], 0, &data, NULL), 0);
        int w = atoi(data);
        ck_assert(w >= 0 && w < 5);
        workers_used[w]++;
        cf_times t;
        ck_assert_int_eq(cf_future_times(fs[i], &t), 0);
        ck_assert_int_eq(t.worker, w);
    }
    for (int w = 0; w < 5; w++)
        ck_assert_msg(workers_used[w] > 0, "worker %d ran nothing: %d %d %d %d %d", w,
                      workers_used[0], workers_used[1], workers_used[2], workers_used[3],
                      workers_used[4]);
    free_all(fs, 50);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_shutdown__hang_gh94440) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_str(ex, lt_t_sq, "3");
    lt_expect_result(f, "9");
    cf_future *g = lt_submit_str(ex, lt_t_sq, "4");
    cf_future_cancel(g);
    double t0 = lt_now();
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    ck_assert(lt_now() - t0 < 2.0);
    ck_assert_int_eq(cf_future_done(g), 1);
    cf_future_free(f);
    cf_future_free(g);
    cf_executor_free(ex);
}
END_TEST

/* ThreadPoolShutdownTest.test_threads_terminate and
 * ProcessPoolShutdownTest.test_processes_terminate: all workers exist from
 * the start (as with fork), and shutdown(wait) ends and reaps them. */
START_TEST(test_shutdown__processes_terminate) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 5);
    cf_future *fs[3];
    for (int i = 0; i < 3; i++)
        fs[i] = lt_submit_gate(ex, &g);
    ck_assert_int_eq(cf_executor_workers(ex), 5);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(cf_future_outcome(fs[i]), 0);
    if (lt_kinds[_i] == CF_PROCESS) lt_expect_no_children();
    free_all(fs, 3);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* test_context_manager_shutdown: C has no with statement.
 * test_del_shutdown: about the garbage collector freeing the executor. */

START_TEST(test_shutdown__shutdown_no_wait) {
    cf_executor *ex = lt_new(lt_kinds[_i], 5);
    numbers in = {.n = 10};
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, NULL, &m), 0);
    ck_assert_int_eq(cf_executor_shutdown(ex, 0, 0), 0);
    char want[16];
    for (int i = 0; i < 10; i++) {
        snprintf(want, sizeof want, "%d", i * i);
        expect_next(m, want);
    }
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
    cf_executor_free(ex);
    if (lt_kinds[_i] == CF_PROCESS) lt_expect_no_children();
}
END_TEST

/* Every task's worker name matches PREFIX-N, N < workers. */
static void expect_worker_names(cf_executor *ex, const char *prefix, int workers) {
    cf_future *fs[20];
    for (int i = 0; i < 20; i++)
        fs[i] = lt_submit_str(ex, c_t_name, "");
    size_t plen = strlen(prefix);
    for (int i = 0; i < 20; i++) {
        const void *data;
        ck_assert_int_eq(cf_future_result(fs[i], 20.0, &data, NULL), 0);
        const char *name = data;
        ck_assert_msg(strncmp(name, prefix, plen) == 0 && name[plen] == '-', "name '%s'", name);
        char *end;
        long n = strtol(name + plen + 1, &end, 10);
        ck_assert_msg(*end == '\0' && end != name + plen + 1 && n >= 0 && n < workers, "name '%s'",
                      name);
    }
    free_all(fs, 20);
}

START_TEST(test_shutdown__thread_names_assigned) {
    cf_options o = lt_options();
    o.max_workers = 5;
    o.thread_name_prefix = "SpecialPool";
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(lt_kinds[_i], &o, &ex), 0);
    expect_worker_names(ex, "SpecialPool", 5);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_shutdown__thread_names_default) {
    cf_executor *ex = lt_new(lt_kinds[_i], 5);
    expect_worker_names(ex, lt_kinds[_i] == CF_THREAD ? "cf-thread" : "cf-proc", 5);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_shutdown__cancel_futures_wait_false) {
    cf_executor *ex = lt_new(lt_kinds[_i], 0);
    cf_future *f = lt_submit_str(ex, lt_t_sleep, "100");
    double t0 = lt_now();
    ck_assert_int_eq(cf_executor_shutdown(ex, 0, 1), 0);
    ck_assert(lt_now() - t0 < 0.5);
    int rc = cf_future_result(f, 20.0, NULL, NULL);
    ck_assert_msg(rc == 0 || rc == CF_ECANCELLED, "%s", cf_err_name(rc));
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* ProcessPoolShutdownTest._run_test_issue_gh_132969, with 2 workers
 * (case_1) and 4 (case_2): a failed task, max_tasks_per_child=1 and a
 * shutdown without wait neither fail nor hang. */
START_TEST(test_shutdown__gh_132969) {
    cf_executor *ex = lt_new_process(_i == 0 ? 2 : 4, 1, 0);
    cf_future *f1 = lt_submit_str(ex, lt_t_sleep, "100");
    cf_future *f2 = lt_submit_str(ex, lt_t_fail, "2");
    cf_future *f3 = lt_submit_str(ex, lt_t_sleep, "300");
    lt_expect_result(f1, "100");
    ck_assert_int_eq(cf_future_result(f2, 20.0, NULL, NULL), CF_ETASK);
    ck_assert_int_eq(cf_executor_shutdown(ex, 0, 0), 0);
    lt_sleep_ms(200);
    cf_executor_free(ex);
    ck_assert_int_eq(cf_future_done(f3), 1);
    lt_expect_no_children();
    cf_future_free(f1);
    cf_future_free(f2);
    cf_future_free(f3);
}
END_TEST

static Suite *shutdown_suite(void) {
    Suite *s = suite_create("conformance shutdown");
    TCase *sh = conf_tcase(s, "test_shutdown", 15);
    ALL(sh, test_shutdown__run_after_shutdown);
    POOLS(sh, test_shutdown__hang_issue12364);
    POOLS(sh, test_shutdown__cancel_futures);
    POOLS(sh, test_shutdown__cancel_futures_after_many_tiny_tasks);
    POOLS(sh, test_shutdown__hang_gh94440);
    POOLS(sh, test_shutdown__processes_terminate);
    ALL(sh, test_shutdown__shutdown_no_wait);
    POOLS(sh, test_shutdown__thread_names_assigned);
    POOLS(sh, test_shutdown__thread_names_default);
    POOLS(sh, test_shutdown__cancel_futures_wait_false);
    tcase_add_loop_test(sh, test_shutdown__gh_132969, 0, 2);
    return s;
}

int main(void) {
    conf_register_tasks();
    return lt_run_suite(shutdown_suite());
}
