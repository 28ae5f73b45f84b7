/* test_conformance_executor.c -- CPython's executor.py (ExecutorTest, on
 * every kind) and test_thread_pool.py (ThreadPoolExecutorTest) on cfutures
 * (conformance.h says how the port reads). */
#include "conformance.h"

/* ==== executor.py: ExecutorTest (every kind) ============================ */

START_TEST(test_executor__submit) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f = lt_submit_str(ex, lt_t_sq, "16"); /* pow(2, 8) */
    lt_expect_result(f, "256");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* test_submit_keyword: C tasks take bytes, not keyword arguments. */

START_TEST(test_executor__map) {
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    expect_map_squares(ex, 10, 1, 0);
    expect_map_squares(ex, 10, 3, 0);
    cf_executor_free(ex);
}
END_TEST

/* Runs map(lt.sq5) over `inputs` (n%5 == 3 fails) and checks each result
 * ("!" for a failure), then the end, twice. */
static void expect_map_sq5(cf_executor *ex, const char *const *inputs, const char *const *want,
                           size_t n, int chunksize, double timeout) {
    size_t len[8];
    for (size_t i = 0; i < n; i++)
        len[i] = strlen(inputs[i]);
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = chunksize;
    mo.timeout = timeout;
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map_array(ex, lt_t_sq5, (const void *const *)inputs, len, n, &mo, &m), 0);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(want[i], "!") == 0) {
            ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_ETASK);
            ck_assert_int_eq(cf_map_error(m, NULL), 3);
            ck_assert_uint_eq(cf_map_index(m), i);
        } else {
            expect_next(m, want[i]);
        }
    }
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
}

START_TEST(test_executor__map_exception) {
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    expect_map_sq5(ex, (const char *[]){"1", "2", "3", "4"}, (const char *[]){"1", "4", "!", "16"},
                   4, 1, CF_FOREVER);
    expect_map_sq5(ex, (const char *[]){"1", "3", "2", "4"}, (const char *[]){"1", "!", "4", "16"},
                   4, 3, CF_FOREVER);
    cf_executor_free(ex);
}
END_TEST

/* A task's own failure is not the map's timeout, with or without one. */
START_TEST(test_executor__map_timeout_from_callable) {
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    const char *in[] = {"0", "3", "2", "4"}, *want[] = {"0", "!", "4", "16"};
    expect_map_sq5(ex, in, want, 4, 1, CF_FOREVER);
    expect_map_sq5(ex, in, want, 4, 1, 20.0);
    cf_executor_free(ex);
}
END_TEST

/* map(time.sleep, [0, 0, 6], timeout=5) as gates: two open, one shut. */
START_TEST(test_executor__map_timeout) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    const void *paths[3] = {g.dir, g.dir, g.path}; /* a folder exists: open */
    size_t len[3] = {strlen(g.dir), strlen(g.dir), strlen(g.path)};
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.timeout = 0.3;
    cf_map_iter *m = NULL;
    double t0 = lt_now();
    ck_assert_int_eq(cf_map_array(ex, lt_t_gate, paths, len, 3, &mo, &m), 0);
    int results = 0, rc;
    const void *data;
    while ((rc = cf_map_next(m, &data, NULL)) == 0) {
        ck_assert_str_eq((const char *)data, "open");
        results++;
    }
    ck_assert_msg(rc == CF_ETIMEDOUT, "%s", cf_err_name(rc));
    ck_assert_int_le(results, 2); /* gh-110097: a slow start may give fewer */
    ck_assert(lt_now() - t0 >= 0.28);
    /* The remaining calls are cancelled, so the iterator is exhausted. */
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    lt_gate_open(&g);
    cf_map_free(m);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* test_map_close: cf_map_free closes and frees at once; nothing is left to
 * call next on (test_map.c checks that it cancels what has not started). */

START_TEST(test_executor__map_buffersize_value_validation) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    numbers in = {.n = 4};
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.buffersize = -1; /* 0 is Python's None here, so only negatives fail */
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), CF_EINVAL);
    ck_assert_ptr_null(m);
    cf_executor_free(ex);
}
END_TEST

/* test_map_buffersize_type_validation: C's types are checked at compile
 * time. test_map_buffersize_on_multiple_iterables and
 * ..._on_multiple_infinite_iterables: a task takes one input. */

START_TEST(test_executor__map_buffersize) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    int sizes[] = {1, 2, 4, 8};
    for (int k = 0; k < 4; k++)
        expect_map_squares(ex, 4, 1, sizes[k]);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_executor__map_buffersize_on_infinite_iterable) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    numbers in = {.n = -1};
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.buffersize = 2;
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), 0);
    expect_next(m, "0");
    expect_next(m, "1");
    expect_next(m, "4");
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

/* ..._on_empty_iterable, and _without_iterable (no inputs at all in C). */
START_TEST(test_executor__map_buffersize_on_empty_iterable) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    numbers in = {.n = 0};
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.buffersize = 2;
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), 0);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_executor__map_buffersize_when_buffer_is_full) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    numbers in = {.n = 4};
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.buffersize = 2;
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), 0);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0); /* the tasks complete */
    ck_assert_int_eq(atomic_load(&in.read), 2);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_executor__shutdown_race_issue12456) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    numbers in = {.n = cf_executor_workers(ex) + 1};
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, NULL, &m), 0);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

/* test_no_stale_references, test_free_reference: about the garbage
 * collector. test_swallows_falsey_exceptions: about Python truthiness. */

START_TEST(test_executor__max_workers_negative) {
    cf_options o = lt_options();
    o.max_workers = -1; /* 0 is Python's None here: the default */
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(lt_kinds[_i], &o, &ex), CF_EINVAL);
}
END_TEST

/* ==== test_thread_pool.py: ThreadPoolExecutorTest ======================= */

/* Maps c_touch over paths dir/0 .. dir/n-1; returns the iterator. */
static cf_map_iter *map_touch(cf_executor *ex, const lt_gate *g, int n, double timeout) {
    static char paths[16][160];
    const void *data[16];
    size_t len[16];
    ck_assert_int_le(n, 16);
    for (int i = 0; i < n; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/touched.%d", g->dir, i);
        data[i] = paths[i];
        len[i] = strlen(paths[i]);
    }
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.timeout = timeout;
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map_array(ex, c_t_touch, data, len, (size_t)n, &mo, &m), 0);
    return m;
}

static int count_touched(const lt_gate *g, int n) {
    char path[160];
    int k = 0;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/touched.%d", g->dir, i);
        k += access(path, F_OK) == 0;
    }
    return k;
}

/* On every kind. */
START_TEST(test_thread_pool__map_submits_without_iteration) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_map_iter *m = map_touch(ex, &g, 10, CF_FOREVER);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    ck_assert_int_eq(count_touched(&g, 10), 10);
    cf_map_free(m);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_thread_pool__default_workers) {
    int want = lt_cpus() + 4 < 32 ? lt_cpus() + 4 : 32;
    ck_assert_int_eq(cf_default_workers(CF_THREAD), want);
    cf_executor *ex = lt_new(CF_THREAD, 0);
    ck_assert_int_eq(cf_executor_workers(ex), want);
    cf_executor_free(ex);
}
END_TEST

/* ThreadPoolExecutorTest.test_saturation and its ProcessPoolExecutorTest
 * twin: with 15 tasks a worker, exactly max_workers run at once. */
START_TEST(test_thread_pool__saturation) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 4);
    cf_future *fs[60];
    for (int i = 0; i < 60; i++)
        fs[i] = lt_submit_gate(ex, &g);
    ck_assert_msg(LT_POLL(count_running(fs, 60) == 4, 10.0), "%d running", count_running(fs, 60));
    lt_sleep_ms(50);
    ck_assert_int_eq(count_running(fs, 60), 4);
    ck_assert_int_eq(cf_executor_workers(ex), 4);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_wait(fs, 60, 20.0, CF_ALL_COMPLETED, NULL), 60);
    free_all(fs, 60);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* test_idle_thread_reuse (and test_idle_process_reuse_*): cfutures starts
 * every worker at creation, as Python's fork-based process pool does, so
 * there is no on-demand spawning to observe. */

/* Forking process pools over and over while a thread pool is busy. */
START_TEST(test_thread_pool__hang_global_shutdown_lock) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *threads = lt_new(CF_THREAD, 1);
    cf_future *busy = lt_submit_gate(threads, &g);
    for (int i = 0; i < 20; i++) {
        cf_executor *workers = lt_new(CF_PROCESS, 1);
        cf_future *f = lt_submit_str(workers, lt_t_echo, "tuple");
        lt_expect_result(f, "tuple");
        cf_future_free(f);
        cf_executor_free(workers);
    }
    lt_gate_open(&g);
    lt_expect_result(busy, "open");
    cf_future_free(busy);
    cf_executor_free(threads);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_thread_pool__process_fork_from_a_threadpool) {
    cf_executor *ex = lt_new(CF_THREAD, 1);
    cf_future *f = lt_submit_str(ex, c_t_fork_child, "");
    lt_expect_result(f, "exit=0");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* One worker held by "first"; map(timeout=0) times out on "second", which
 * is cancelled with "third": neither ever runs (issue 11), on both pools. */
START_TEST(test_thread_pool__executor_map_current_future_cancel) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *first = lt_submit_gate(ex, &g);
    ck_assert_msg(LT_POLL(cf_future_running(first), 10.0), "never ran");
    cf_map_iter *m = map_touch(ex, &g, 2, 0);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_ETIMEDOUT);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    lt_gate_open(&g);
    lt_expect_result(first, "open");
    cf_map_free(m);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    ck_assert_int_eq(count_touched(&g, 2), 0);
    cf_future_free(first);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

static Suite *executor_suite(void) {
    Suite *s = suite_create("conformance executor");
    TCase *ex = conf_tcase(s, "test_executor", 10);
    ALL(ex, test_executor__submit);
    ALL(ex, test_executor__map);
    ALL(ex, test_executor__map_exception);
    ALL(ex, test_executor__map_timeout_from_callable);
    POOLS(ex, test_executor__map_timeout);
    ALL(ex, test_executor__map_buffersize_value_validation);
    ALL(ex, test_executor__map_buffersize);
    ALL(ex, test_executor__map_buffersize_on_infinite_iterable);
    ALL(ex, test_executor__map_buffersize_on_empty_iterable);
    ALL(ex, test_executor__map_buffersize_when_buffer_is_full);
    ALL(ex, test_executor__shutdown_race_issue12456);
    ALL(ex, test_executor__max_workers_negative);

    TCase *tp = conf_tcase(s, "test_thread_pool", 15);
    ALL(tp, test_thread_pool__map_submits_without_iteration);
    tcase_add_test(tp, test_thread_pool__default_workers);
    POOLS(tp, test_thread_pool__saturation);
    tcase_add_test(tp, test_thread_pool__hang_global_shutdown_lock);
    tcase_add_test(tp, test_thread_pool__process_fork_from_a_threadpool);
    POOLS(tp, test_thread_pool__executor_map_current_future_cancel);
    return s;
}

int main(void) {
    conf_register_tasks();
    return lt_run_suite(executor_suite());
}
