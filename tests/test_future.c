/* test_future.c -- futures: results, timeouts, cancel, states, callbacks,
 * references, task errors and traced times, on every executor kind. */
#include "lib_check.h"

START_TEST(test_result_gives_task_output) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f = lt_submit_str(ex, lt_t_sq, "12");
    const void *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(cf_future_result(f, CF_FOREVER, &data, &len), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(data, "144", 4); /* NUL-terminated too */
    ck_assert_int_eq(cf_future_done(f), 1);
    ck_assert_int_eq(cf_future_running(f), 0);
    ck_assert_int_eq(cf_future_cancelled(f), 0);
    ck_assert_int_eq(cf_future_outcome(f), 0);
    ck_assert_int_eq(cf_future_error(f, NULL), 0);
    /* Asking again gives the same bytes; NULL out-pointers are fine. */
    ck_assert_int_eq(cf_future_result(f, 0, NULL, NULL), 0);
    ck_assert_int_eq(cf_future_wait(f, 0), 0);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_empty_input_gives_empty_terminated_output) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_echo, NULL, 0, &f), 0);
    const void *data = NULL;
    size_t len = 99;
    ck_assert_int_eq(cf_future_result(f, 20.0, &data, &len), 0);
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_nonnull(data);
    ck_assert_int_eq(((const char *)data)[0], '\0');
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_task_status_and_message_reach_caller) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f = lt_submit_str(ex, lt_t_fail, "input-42");
    ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_ETASK);
    ck_assert_int_eq(cf_future_done(f), 1);
    ck_assert_int_eq(cf_future_outcome(f), CF_ETASK);
    const char *msg = NULL;
    ck_assert_int_eq(cf_future_error(f, &msg), 7);
    ck_assert_str_eq(msg, "failed on 'input-42'");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_submit_rejects_bad_arguments) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = NULL;
    ck_assert_int_eq(cf_submit(ex, NULL, "x", 1, &f), CF_EINVAL);
    ck_assert_int_eq(cf_submit(ex, lt_t_echo, "x", 1, NULL), CF_EINVAL);
    size_t big = (size_t)CF_MAX_BYTES + 1;
    char *buf = calloc(1, big); /* untouched pages: cheap */
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(cf_submit(ex, lt_t_echo, buf, big, &f), CF_ETOOBIG);
    free(buf);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_result_times_out_while_task_blocked) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f = lt_submit_gate(ex, &g);

    double t0 = lt_now();
    ck_assert_int_eq(cf_future_result(f, 0.05, NULL, NULL), CF_ETIMEDOUT);
    ck_assert(lt_now() - t0 >= 0.045);
    ck_assert_int_eq(cf_future_result(f, 0, NULL, NULL), CF_ETIMEDOUT);
    ck_assert_int_eq(cf_future_wait(f, 0.01), CF_ETIMEDOUT);
    ck_assert_int_eq(cf_future_done(f), 0);
    ck_assert_int_eq(cf_future_outcome(f), CF_EINVAL);

    lt_gate_open(&g);
    lt_expect_result(f, "open");
    ck_assert_int_eq(cf_future_done(f), 1);
    ck_assert_int_eq(cf_future_running(f), 0);
    cf_future_free(f);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_running_future_cannot_be_cancelled) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_gate(ex, &g);
    ck_assert_msg(LT_POLL(cf_future_running(f), 10.0), "never ran");
    ck_assert_int_eq(cf_future_cancel(f), 0);
    ck_assert_int_eq(cf_future_cancelled(f), 0);
    ck_assert_int_eq(cf_future_done(f), 0);
    lt_gate_open(&g);
    lt_expect_result(f, "open");
    cf_future_free(f);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

static atomic_int cancel_cb_calls;
static void count_cancel_cb(cf_future *f, void *arg) {
    (void)arg;
    if (cf_future_cancelled(f) && cf_future_done(f)) atomic_fetch_add(&cancel_cb_calls, 1);
}

/* One worker held by a gate; of the tasks queued behind it, the last cannot
 * have started (a pool may hand one or two ahead to a worker's queue). */
START_TEST(test_pending_future_can_be_cancelled) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *held = lt_submit_gate(ex, &g);
    cf_future *q[4];
    for (int i = 0; i < 4; i++)
        q[i] = lt_submit_str(ex, lt_t_echo, "queued");
    ck_assert_msg(LT_POLL(cf_future_running(held), 10.0), "never ran");

    atomic_store(&cancel_cb_calls, 0);
    ck_assert_int_eq(cf_future_add_done_callback(q[3], count_cancel_cb, NULL), 0);
    ck_assert_int_eq(atomic_load(&cancel_cb_calls), 0);
    ck_assert_int_eq(cf_future_running(q[3]), 0);
    ck_assert_int_eq(cf_future_cancel(q[3]), 1);
    ck_assert_int_eq(cf_future_cancel(q[3]), 1); /* still cancelled */
    ck_assert_int_eq(cf_future_cancelled(q[3]), 1);
    ck_assert_int_eq(cf_future_done(q[3]), 1);
    ck_assert_int_eq(cf_future_running(q[3]), 0);
    ck_assert_int_eq(cf_future_outcome(q[3]), CF_ECANCELLED);
    ck_assert_int_eq(cf_future_result(q[3], CF_FOREVER, NULL, NULL), CF_ECANCELLED);
    const char *msg = NULL;
    ck_assert_int_eq(cf_future_error(q[3], &msg), 0);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(LT_POLL(atomic_load(&cancel_cb_calls) == 1, 10.0),
                  "callback not told of the cancel");

    lt_gate_open(&g);
    lt_expect_result(held, "open");
    for (int i = 0; i < 3; i++)
        lt_expect_result(q[i], "queued");
    ck_assert_int_eq(atomic_load(&cancel_cb_calls), 1);
    for (int i = 0; i < 4; i++)
        cf_future_free(q[i]);
    cf_future_free(held);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_done_future_cannot_be_cancelled) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_str(ex, lt_t_echo, "x");
    lt_expect_result(f, "x");
    ck_assert_int_eq(cf_future_cancel(f), 0);
    ck_assert_int_eq(cf_future_cancelled(f), 0);
    ck_assert_int_eq(cf_future_outcome(f), 0);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* ---- callbacks -------------------------------------------------------- */

typedef struct cb_log {
    pthread_mutex_t mu;
    int order[8];
    int n;
    int saw_not_done;
    pthread_t thread;
} cb_log;

typedef struct cb_arg {
    cb_log *log;
    int id;
} cb_arg;

static void log_cb(cf_future *f, void *arg) {
    cb_arg *a = arg;
    pthread_mutex_lock(&a->log->mu);
    if (a->log->n < 8) a->log->order[a->log->n] = a->id;
    a->log->n++;
    if (!cf_future_done(f)) a->log->saw_not_done = 1;
    a->log->thread = pthread_self();
    pthread_mutex_unlock(&a->log->mu);
}

static int log_count(cb_log *log) {
    pthread_mutex_lock(&log->mu);
    int n = log->n;
    pthread_mutex_unlock(&log->mu);
    return n;
}

START_TEST(test_callbacks_run_once_in_order_added) {
    lt_gate g;
    lt_gate_init(&g);
    cb_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cb_arg args[3] = {{&log, 1}, {&log, 2}, {&log, 3}};
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_gate(ex, &g);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(cf_future_add_done_callback(f, log_cb, &args[i]), 0);
    ck_assert_int_eq(log_count(&log), 0); /* the gate is shut */

    lt_gate_open(&g);
    lt_expect_result(f, "open");
    ck_assert_msg(LT_POLL(log_count(&log) == 3, 10.0), "callbacks missing");
    cf_future_free(f);
    cf_executor_free(ex);
    ck_assert_int_eq(log.n, 3);
    ck_assert_int_eq(log.order[0], 1);
    ck_assert_int_eq(log.order[1], 2);
    ck_assert_int_eq(log.order[2], 3);
    ck_assert_int_eq(log.saw_not_done, 0);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_callback_on_done_future_runs_at_once_in_caller) {
    cb_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cb_arg a1 = {&log, 1}, a2 = {&log, 2};
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f = lt_submit_str(ex, lt_t_fail, "x");
    ck_assert_int_eq(cf_future_wait(f, 20.0), 0);
    /* wait() may return before the completing thread ran the callbacks
     * (none here); adding now must run at once, here. */
    ck_assert_int_eq(cf_future_add_done_callback(f, log_cb, &a1), 0);
    ck_assert_int_eq(log.n, 1);
    ck_assert(pthread_equal(log.thread, pthread_self()));
    ck_assert_int_eq(cf_future_add_done_callback(f, log_cb, &a2), 0);
    ck_assert_int_eq(log.n, 2);
    ck_assert_int_eq(log.order[0], 1);
    ck_assert_int_eq(log.order[1], 2);
    ck_assert_int_eq(log.saw_not_done, 0);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* A callback may query the future it is given, even its result. */
static void result_cb(cf_future *f, void *arg) {
    const void *data = NULL;
    size_t len = 0;
    if (cf_future_result(f, 0, &data, &len) == 0 && len == 2 && memcmp(data, "ok", 2) == 0)
        atomic_store((atomic_int *)arg, 1);
    else
        atomic_store((atomic_int *)arg, -1);
}

START_TEST(test_callback_can_read_result) {
    atomic_int seen = 0;
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f = lt_submit_str(ex, lt_t_echo, "ok");
    ck_assert_int_eq(cf_future_add_done_callback(f, result_cb, &seen), 0);
    ck_assert_int_eq(cf_future_wait(f, 20.0), 0);
    ck_assert_msg(LT_POLL(atomic_load(&seen) != 0, 10.0), "callback missing");
    ck_assert_int_eq(atomic_load(&seen), 1);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* ---- references and lifetime ------------------------------------------ */

START_TEST(test_ref_keeps_future_alive_after_first_free) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_str(ex, lt_t_echo, "kept");
    cf_future *g = cf_future_ref(f);
    ck_assert_ptr_eq(g, f);
    cf_future_free(f);
    lt_expect_result(g, "kept");
    cf_future_free(g);
    cf_future_free(NULL);
    cf_executor_free(ex);
}
END_TEST

/* The worker still holds the future the caller dropped; ASan sees misuse. */
START_TEST(test_free_while_running_is_safe) {
    lt_gate g;
    lt_gate_init(&g);
    cb_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
    cb_arg a = {&log, 1};
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_gate(ex, &g);
    ck_assert_int_eq(cf_future_add_done_callback(f, log_cb, &a), 0);
    cf_future_free(f);
    lt_gate_open(&g);
    ck_assert_msg(LT_POLL(log_count(&log) == 1, 10.0), "never completed");
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_future_outlives_its_executor) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f = lt_submit_str(ex, lt_t_sq, "9");
    cf_executor_free(ex); /* waits for the task */
    ck_assert_int_eq(cf_future_done(f), 1);
    lt_expect_result(f, "81");
    cf_future_free(f);
}
END_TEST

/* ---- times ------------------------------------------------------------ */

START_TEST(test_times_recorded_in_order_with_trace) {
    cf_kind kind = lt_kinds[_i];
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 2;
    o.trace = 1;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(kind, &o, &ex), 0);
    int64_t before = cf_now_ns();
    cf_future *f = lt_submit_str(ex, lt_t_sleep, "20");
    lt_expect_result(f, "20");
    int64_t after = cf_now_ns();

    cf_times t;
    memset(&t, 0x55, sizeof t);
    ck_assert_int_eq(cf_future_times(f, &t), 0);
    ck_assert_int_le(before, t.submit);
    ck_assert_int_le(t.submit, t.start);
    ck_assert_int_le(t.start, t.end);
    ck_assert_int_le(t.end, t.collect);
    ck_assert_int_le(t.collect, after);
    ck_assert_int_ge(t.end - t.start, 20000000); /* the task slept 20 ms */
    if (kind == CF_THREAD) ck_assert_int_eq(t.collect, t.end);
    if (kind == CF_SEQUENTIAL)
        ck_assert(t.worker == -1 || t.worker == 0);
    else
        ck_assert(t.worker >= 0 && t.worker < 2);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_times_zero_without_trace) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_str(ex, lt_t_echo, "x");
    lt_expect_result(f, "x");
    cf_times t;
    memset(&t, 0x55, sizeof t);
    ck_assert_int_eq(cf_future_times(f, &t), 0);
    ck_assert_int_eq(t.submit, 0);
    ck_assert_int_eq(t.start, 0);
    ck_assert_int_eq(t.end, 0);
    ck_assert_int_eq(t.collect, 0);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* Results just below, at and above what a future keeps inline (15
 * bytes) and the old inline size (24), by submit, by map in one chunk,
 * and by cf_future_set_result: every byte comes back, NUL-terminated. */
START_TEST(test_results_around_the_inline_size_come_back_whole) {
    static const size_t sizes[] = {0, 1, 14, 15, 16, 17, 24, 25, 100, 5000};
    enum { N = sizeof sizes / sizeof sizes[0] };
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    char in[N][16];
    const void *ptr[N];
    size_t len[N];
    for (size_t k = 0; k < N; k++) {
        len[k] = (size_t)snprintf(in[k], sizeof in[k], "%zu", sizes[k]);
        ptr[k] = in[k];
        cf_future *f = lt_submit_str(ex, lt_t_gen, in[k]);
        const void *data = NULL;
        size_t n = 99;
        ck_assert_int_eq(cf_future_result(f, CF_FOREVER, &data, &n), 0);
        ck_assert_uint_eq(n, sizes[k]);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(((const unsigned char *)data)[i], lt_pattern(i));
        ck_assert_uint_eq(((const unsigned char *)data)[n], 0);
        cf_future_free(f);
        cf_future *own = NULL;
        ck_assert_int_eq(cf_future_new(&own), 0);
        ck_assert_int_eq(cf_future_set_result(own, in[k], len[k]), 0);
        ck_assert_int_eq(cf_future_result(own, 0, &data, &n), 0);
        ck_assert_uint_eq(n, len[k]);
        ck_assert_mem_eq(data, in[k], n + 1);
        cf_future_free(own);
    }
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = N;
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map_array(ex, lt_t_gen, ptr, len, N, &mo, &m), 0);
    for (size_t k = 0; k < N; k++) {
        const void *data = NULL;
        size_t n = 99;
        ck_assert_int_eq(cf_map_next(m, &data, &n), 0);
        ck_assert_uint_eq(n, sizes[k]);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(((const unsigned char *)data)[i], lt_pattern(i));
        ck_assert_uint_eq(((const unsigned char *)data)[n], 0);
    }
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

static Suite *future_suite(void) {
    Suite *s = suite_create("future");
    TCase *res = tcase_create("result");
    tcase_set_timeout(res, 30);
    LT_ALL_KINDS(res, test_result_gives_task_output);
    LT_ALL_KINDS(res, test_empty_input_gives_empty_terminated_output);
    LT_ALL_KINDS(res, test_results_around_the_inline_size_come_back_whole);
    LT_ALL_KINDS(res, test_task_status_and_message_reach_caller);
    LT_ALL_KINDS(res, test_submit_rejects_bad_arguments);
    LT_POOL_KINDS(res, test_result_times_out_while_task_blocked);
    suite_add_tcase(s, res);

    TCase *can = tcase_create("cancel");
    tcase_set_timeout(can, 30);
    LT_POOL_KINDS(can, test_running_future_cannot_be_cancelled);
    LT_POOL_KINDS(can, test_pending_future_can_be_cancelled);
    LT_ALL_KINDS(can, test_done_future_cannot_be_cancelled);
    suite_add_tcase(s, can);

    TCase *cb = tcase_create("callbacks");
    tcase_set_timeout(cb, 30);
    LT_POOL_KINDS(cb, test_callbacks_run_once_in_order_added);
    LT_ALL_KINDS(cb, test_callback_on_done_future_runs_at_once_in_caller);
    LT_ALL_KINDS(cb, test_callback_can_read_result);
    suite_add_tcase(s, cb);

    TCase *life = tcase_create("lifetime");
    tcase_set_timeout(life, 30);
    LT_ALL_KINDS(life, test_ref_keeps_future_alive_after_first_free);
    LT_POOL_KINDS(life, test_free_while_running_is_safe);
    LT_ALL_KINDS(life, test_future_outlives_its_executor);
    suite_add_tcase(s, life);

    TCase *tm = tcase_create("times");
    tcase_set_timeout(tm, 30);
    LT_ALL_KINDS(tm, test_times_recorded_in_order_with_trace);
    LT_ALL_KINDS(tm, test_times_zero_without_trace);
    suite_add_tcase(s, tm);
    return s;
}

int main(void) {
    lt_register_tasks();
    return lt_run_suite(future_suite());
}
