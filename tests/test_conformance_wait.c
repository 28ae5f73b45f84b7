/* test_conformance_wait.c -- CPython's test_wait.py and test_as_completed.py
 * on cfutures (conformance.h says how the port reads), and the header's
 * timeout contract for every call that waits, which has no CPython
 * counterpart. */
#include <math.h>

#include "conformance.h"

/* A pool and a gate: the frame of the tests that hold one task. */
typedef struct held {
    lt_gate g;
    cf_executor *ex;
} held;

static cf_executor *held_begin(held *h, cf_kind kind, int workers) {
    lt_gate_init(&h->g);
    h->ex = lt_new(kind, workers);
    return h->ex;
}

/* Opens the gate, checks that the held future `f` then succeeds, and frees
 * fs[0..n), the pool and the gate. */
static void held_end(held *h, cf_future *f, cf_future **fs, size_t n) {
    lt_gate_open(&h->g);
    lt_expect_result(f, "open");
    free_all(fs, n);
    cf_executor_free(h->ex);
    lt_gate_fini(&h->g);
}

/* Asserts done[i] == want[i] for i < n. */
static void expect_done(const unsigned char *done, const unsigned char *want, size_t n) {
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(done[i] == want[i], "done[%zu] = %d, want %d", i, done[i], want[i]);
}

/* ==== test_wait.py: WaitTests (thread, process) ========================= */

START_TEST(test_wait__20369) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *future = lt_submit_str(ex, lt_t_sq, "2");
    cf_future *fs[2] = {future, future};
    unsigned char done[2] = {0};
    ck_assert_int_eq(cf_wait(fs, 2, CF_FOREVER, CF_ALL_COMPLETED, done), 2);
    ck_assert(done[0] && done[1]);
    cf_future_free(future);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_wait__first_completed) {
    held h;
    cf_executor *ex = held_begin(&h, lt_kinds[_i], 2);
    cf_future *fs[3];
    fs[0] = create_future(PENDING); /* stands in for CANCELLED_FUTURE */
    fs[1] = lt_submit_str(ex, lt_t_sq, "21");
    fs[2] = lt_submit_gate(ex, &h.g);
    unsigned char done[3];
    ck_assert_int_eq(cf_wait(fs, 3, CF_FOREVER, CF_FIRST_COMPLETED, done), 1);
    expect_done(done, (unsigned char[]){0, 1, 0}, 3);
    held_end(&h, fs[2], fs, 3);
}
END_TEST

START_TEST(test_wait__first_completed_some_already_completed) {
    held h;
    cf_executor *ex = held_begin(&h, lt_kinds[_i], 2);
    cf_future *fs[3];
    fs[0] = create_future(CANCELLED_AND_NOTIFIED);
    fs[1] = create_future(SUCCESSFUL);
    fs[2] = lt_submit_gate(ex, &h.g);
    unsigned char done[3];
    ck_assert_int_eq(cf_wait(fs, 3, CF_FOREVER, CF_FIRST_COMPLETED, done), 2);
    expect_done(done, (unsigned char[]){1, 1, 0}, 3);
    held_end(&h, fs[2], fs, 3);
}
END_TEST

/* Opens gate `g` once `f` is done, from another thread. */
typedef struct open_after {
    cf_future *f;
    lt_gate *g;
    pthread_t thread;
} open_after;

static void *open_after_main(void *arg) {
    open_after *o = arg;
    cf_future_wait(o->f, 20.0);
    int fd = open(o->g->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
    return NULL;
}

START_TEST(test_wait__first_exception) {
    lt_gate g1, g2;
    lt_gate_init(&g1);
    lt_gate_init(&g2);
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    cf_future *fs[3];
    fs[0] = lt_submit_str(ex, lt_t_sq, "21");
    fs[1] = lt_submit_str(ex, c_t_gate_fail, g1.path);
    fs[2] = lt_submit_gate(ex, &g2);
    open_after t = {fs[0], &g1, 0};
    ck_assert_int_eq(pthread_create(&t.thread, NULL, open_after_main, &t), 0);
    unsigned char done[3];
    ck_assert_int_eq(cf_wait(fs, 3, CF_FOREVER, CF_FIRST_EXCEPTION, done), 2);
    expect_done(done, (unsigned char[]){1, 1, 0}, 3);
    ck_assert_int_eq(cf_future_outcome(fs[1]), CF_ETASK);
    ck_assert_int_eq(pthread_join(t.thread, NULL), 0);
    lt_gate_open(&g2);
    lt_expect_result(fs[2], "open");
    free_all(fs, 3);
    cf_executor_free(ex);
    lt_gate_fini(&g1);
    lt_gate_fini(&g2);
}
END_TEST

START_TEST(test_wait__first_exception_some_already_complete) {
    held h;
    cf_executor *ex = held_begin(&h, lt_kinds[_i], 2);
    cf_future *fs[5];
    fs[0] = create_future(SUCCESSFUL);
    fs[1] = create_future(PENDING); /* stands in for CANCELLED_FUTURE */
    fs[2] = create_future(CANCELLED_AND_NOTIFIED);
    fs[3] = lt_submit_str(ex, lt_t_fail, "divmod(21, 0)");
    fs[4] = lt_submit_gate(ex, &h.g);
    unsigned char done[5];
    /* The cancelled future is done but no exception: only fs[3] ends it. */
    ck_assert_int_eq(cf_wait(fs, 5, CF_FOREVER, CF_FIRST_EXCEPTION, done), 3);
    expect_done(done, (unsigned char[]){1, 0, 1, 1, 0}, 5);
    held_end(&h, fs[4], fs, 5);
}
END_TEST

START_TEST(test_wait__first_exception_one_already_failed) {
    held h;
    cf_executor *ex = held_begin(&h, lt_kinds[_i], 2);
    cf_future *fs[2];
    fs[0] = create_future(EXCEPTION);
    fs[1] = lt_submit_gate(ex, &h.g);
    unsigned char done[2];
    ck_assert_int_eq(cf_wait(fs, 2, CF_FOREVER, CF_FIRST_EXCEPTION, done), 1);
    expect_done(done, (unsigned char[]){1, 0}, 2);
    held_end(&h, fs[1], fs, 2);
}
END_TEST

/* No CPython test of its own (issue 11): FIRST_EXCEPTION must not return
 * because of cancelled futures, free-standing or of a pool; with nothing
 * failed it waits for all, here until its timeout. */
START_TEST(test_wait__first_exception_ignores_cancelled) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *fs[3];
    fs[0] = lt_submit_gate(ex, &g);
    fs[1] = lt_submit_str(ex, lt_t_echo, "queued");
    fs[2] = create_future(CANCELLED_AND_NOTIFIED);
    ck_assert_msg(LT_POLL(cf_future_running(fs[0]), 10.0), "never ran");
    ck_assert_int_eq(cf_future_cancel(fs[1]), 1);
    unsigned char done[3];
    double t0 = lt_now();
    ck_assert_int_eq(cf_wait(fs, 3, 0.3, CF_FIRST_EXCEPTION, done), 2);
    ck_assert_msg(lt_now() - t0 >= 0.28, "returned after %.3f s", lt_now() - t0);
    expect_done(done, (unsigned char[]){0, 1, 1}, 3);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_wait(fs, 3, 20.0, CF_FIRST_EXCEPTION, done), 3);
    free_all(fs, 3);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_wait__all_completed) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *fs[5];
    fs[0] = create_future(SUCCESSFUL);
    fs[1] = create_future(CANCELLED_AND_NOTIFIED);
    fs[2] = create_future(EXCEPTION);
    fs[3] = lt_submit_str(ex, lt_t_fail, "divmod(2, 0)");
    fs[4] = lt_submit_str(ex, lt_t_sq, "21");
    unsigned char done[5];
    ck_assert_int_eq(cf_wait(fs, 5, CF_FOREVER, CF_ALL_COMPLETED, done), 5);
    expect_done(done, (unsigned char[]){1, 1, 1, 1, 1}, 5);
    free_all(fs, 5);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_wait__timeout) {
    held h;
    cf_executor *ex = held_begin(&h, lt_kinds[_i], 2);
    cf_future *fs[4];
    fs[0] = create_future(CANCELLED_AND_NOTIFIED);
    fs[1] = create_future(EXCEPTION);
    fs[2] = create_future(SUCCESSFUL);
    fs[3] = lt_submit_gate(ex, &h.g);
    unsigned char done[4];
    double t0 = lt_now();
    ck_assert_int_eq(cf_wait(fs, 4, 0.05, CF_ALL_COMPLETED, done), 3);
    ck_assert(lt_now() - t0 >= 0.045);
    expect_done(done, (unsigned char[]){1, 1, 1, 0}, 4);
    held_end(&h, fs[3], fs, 4);
}
END_TEST

/* ThreadPoolWaitTests.test_pending_calls_race; run on both pools. */
START_TEST(test_wait__pending_calls_race) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = lt_new(lt_kinds[_i], 4);
    cf_future *fs[100];
    for (int i = 0; i < 100; i++)
        fs[i] = lt_submit_gate(ex, &g);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_wait(fs, 100, CF_FOREVER, CF_ALL_COMPLETED, NULL), 100);
    free_all(fs, 100);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* ==== test_as_completed.py: AsCompletedTests ============================ */

/* Iterates it to its end or first error; marks what it gave in got[].
 * Returns the code that ended it. */
static int drain(cf_as_completed *it, cf_future **fs, size_t n, int *got) {
    cf_future *f;
    size_t index;
    int rc;
    while ((rc = cf_as_completed_next(it, &f, &index)) == 0) {
        ck_assert_uint_lt(index, n);
        ck_assert_ptr_eq(f, fs[index]);
        ck_assert_int_eq(cf_future_done(f), 1);
        got[index]++;
    }
    return rc;
}

START_TEST(test_as_completed__no_timeout) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *fs[5];
    fs[0] = create_future(CANCELLED_AND_NOTIFIED);
    fs[1] = create_future(EXCEPTION);
    fs[2] = create_future(SUCCESSFUL);
    fs[3] = lt_submit_str(ex, lt_t_sq, "2");
    fs[4] = lt_submit_str(ex, lt_t_sq, "7");
    cf_as_completed *it = NULL;
    ck_assert_int_eq(cf_as_completed_new(fs, 5, CF_FOREVER, &it), 0);
    int got[5] = {0};
    ck_assert_int_eq(drain(it, fs, 5, got), CF_EOF);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(got[i], 1);
    cf_as_completed_free(it);
    free_all(fs, 5);
    cf_executor_free(ex);
}
END_TEST

/* The three done futures come, then the timeout; the held one never. */
static void as_completed_times_out(cf_kind kind, double timeout) {
    held h;
    cf_executor *ex = held_begin(&h, kind, 2);
    cf_future *fs[4];
    fs[0] = create_future(CANCELLED_AND_NOTIFIED);
    fs[1] = create_future(EXCEPTION);
    fs[2] = create_future(SUCCESSFUL);
    fs[3] = lt_submit_gate(ex, &h.g);
    cf_as_completed *it = NULL;
    double t0 = lt_now();
    ck_assert_int_eq(cf_as_completed_new(fs, 4, timeout, &it), 0);
    int got[4] = {0};
    ck_assert_int_eq(drain(it, fs, 4, got), CF_ETIMEDOUT);
    ck_assert(lt_now() - t0 >= timeout * 0.9);
    ck_assert(lt_now() - t0 < timeout + 1.0);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(got[i], i < 3);
    ck_assert_str_eq(cf_as_completed_message(it), "1 (of 4) futures unfinished");
    cf_as_completed_free(it);
    held_end(&h, fs[3], fs, 4);
}

START_TEST(test_as_completed__future_times_out) {
    as_completed_times_out(lt_kinds[_i], 0.1);
}
END_TEST

/* The timeout-0 subtest of test_future_times_out (test_zero_timeout before
 * CPython 3.13). */
START_TEST(test_as_completed__zero_timeout) {
    as_completed_times_out(lt_kinds[_i], 0);
}
END_TEST

START_TEST(test_as_completed__duplicate_futures) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *future1 = lt_submit_str(ex, lt_t_sleep, "100");
    cf_future *fs[3] = {future1, future1, future1};
    cf_as_completed *it = NULL;
    ck_assert_int_eq(cf_as_completed_new(fs, 3, CF_FOREVER, &it), 0);
    cf_future *f = NULL;
    size_t index = 99;
    ck_assert_int_eq(cf_as_completed_next(it, &f, &index), 0);
    ck_assert_ptr_eq(f, future1);
    ck_assert_uint_eq(index, 0);
    ck_assert_int_eq(cf_as_completed_next(it, &f, &index), CF_EOF);
    cf_as_completed_free(it);
    cf_future_free(future1);
    cf_executor_free(ex);
}
END_TEST

/* test_free_reference_yielded_future: about the garbage collector. */

START_TEST(test_as_completed__correct_timeout_exception_msg) {
    cf_future *fs[4];
    fs[0] = create_future(CANCELLED_AND_NOTIFIED);
    fs[1] = create_future(PENDING);
    fs[2] = create_future(RUNNING);
    fs[3] = create_future(SUCCESSFUL);
    cf_as_completed *it = NULL;
    ck_assert_int_eq(cf_as_completed_new(fs, 4, 0, &it), 0);
    ck_assert_str_eq(cf_as_completed_message(it), "");
    int got[4] = {0};
    ck_assert_int_eq(drain(it, fs, 4, got), CF_ETIMEDOUT);
    ck_assert_str_eq(cf_as_completed_message(it), "2 (of 4) futures unfinished");
    cf_as_completed_free(it);
    /* M counts distinct futures, as Python's set(fs). */
    cf_future *dup[3] = {fs[1], fs[1], fs[3]};
    ck_assert_int_eq(cf_as_completed_new(dup, 3, 0, &it), 0);
    ck_assert_int_eq(drain(it, dup, 3, got), CF_ETIMEDOUT);
    ck_assert_str_eq(cf_as_completed_message(it), "1 (of 2) futures unfinished");
    cf_as_completed_free(it);
    free_all(fs, 4);
}
END_TEST

/* Opens a gate from another thread after `ms` milliseconds, so that a call
 * that must wait without limit can be seen to wait and then return. */
typedef struct opener {
    lt_gate *gate;
    long ms;
    pthread_t thread;
} opener;

static void *opener_main(void *arg) {
    opener *o = arg;
    lt_sleep_ms(o->ms);
    int fd = open(o->gate->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
    return NULL;
}

static void open_later(opener *o, lt_gate *g, long ms) {
    o->gate = g;
    o->ms = ms;
    ck_assert_int_eq(pthread_create(&o->thread, NULL, opener_main, o), 0);
}

static void opener_join(opener *o) {
    ck_assert_int_eq(pthread_join(o->thread, NULL), 0);
}

/* ==== the header's timeout contract (no CPython counterpart) ============ */

/* Loop index: value * 2 + pool (0 thread, 1 process). Each wait must last
 * until a gate opened after 0.1 s, then succeed: no overflow to "now", no
 * hang. NaN is refused (test_embed.c). */
static const double forever_values[] = {INFINITY, 1e300, CF_FOREVER, -1e300};

START_TEST(test_timeouts__forever_values_wait_until_done) {
    double timeout = forever_values[_i / 2];
    cf_kind kind = _i % 2 ? CF_PROCESS : CF_THREAD;
    cf_executor *ex = lt_new(kind, 2);
    for (int call = 0; call < 5; call++) {
        lt_gate g;
        lt_gate_init(&g);
        opener o;
        double t0 = lt_now();
        cf_future *f = call < 4 ? lt_submit_gate(ex, &g) : NULL;
        open_later(&o, &g, 100);
        int rc = -1;
        cf_as_completed *it = NULL;
        cf_map_iter *m = NULL;
        const void *data = NULL;
        switch (call) {
        case 0: rc = cf_future_result(f, timeout, &data, NULL); break;
        case 1: rc = cf_future_wait(f, timeout); break;
        case 2: rc = cf_wait(&f, 1, timeout, CF_ALL_COMPLETED, NULL) == 1 ? 0 : -1; break;
        case 3:
            ck_assert_int_eq(cf_as_completed_new(&f, 1, timeout, &it), 0);
            rc = cf_as_completed_next(it, NULL, NULL);
            break;
        case 4: {
            const void *in[1] = {g.path};
            size_t len[1] = {strlen(g.path)};
            cf_map_options mo = CF_MAP_OPTIONS_INIT;
            mo.timeout = timeout;
            ck_assert_int_eq(cf_map_array(ex, lt_t_gate, in, len, 1, &mo, &m), 0);
            rc = cf_map_next(m, &data, NULL);
            break;
        }
        }
        double took = lt_now() - t0;
        ck_assert_msg(rc == 0, "call %d, timeout %g: %s", call, timeout, cf_err_name(rc));
        ck_assert_msg(took >= 0.09, "call %d, timeout %g: returned after %.3f s", call, timeout,
                      took);
        if (data != NULL) ck_assert_str_eq((const char *)data, "open");
        opener_join(&o);
        cf_as_completed_free(it);
        cf_map_free(m);
        cf_future_free(f);
        lt_gate_fini(&g);
    }
    cf_executor_free(ex);
}
END_TEST

/* task_timeout: +inf and values past the nanosecond range mean none; NaN
 * is refused, as are the map's NaN and a NaN or negative GIL interval. */
START_TEST(test_timeouts__task_timeout_and_options) {
    double nones[] = {INFINITY, 1e300, 1e19};
    for (int k = 0; k < 3; k++) {
        cf_executor *ex = lt_new_process(1, 0, nones[k]);
        cf_future *f = lt_submit_str(ex, lt_t_sleep, "100");
        lt_expect_result(f, "100");
        cf_future_free(f);
        cf_executor_free(ex);
    }
    cf_options o = lt_options();
    cf_executor *ex = NULL;
    o.task_timeout = NAN;
    ck_assert_int_eq(cf_executor_new(CF_PROCESS, &o, &ex), CF_EINVAL);
    o.task_timeout = 0;
    o.gil_interval = NAN;
    ck_assert_int_eq(cf_executor_new(CF_THREAD, &o, &ex), CF_EINVAL);
    o.gil_interval = -0.005;
    ck_assert_int_eq(cf_executor_new(CF_THREAD, &o, &ex), CF_EINVAL);

    ex = lt_new(CF_THREAD, 1);
    numbers in = {.n = 3};
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.timeout = NAN;
    cf_map_iter *m = NULL;
    double t0 = lt_now();
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), CF_EINVAL);
    ck_assert(lt_now() - t0 < 1.0);
    ck_assert_ptr_null(m);
    cf_executor_free(ex);
}
END_TEST

static Suite *wait_suite(void) {
    Suite *s = suite_create("conformance wait");
    TCase *wa = conf_tcase(s, "test_wait", 10);
    ALL(wa, test_wait__20369);
    POOLS(wa, test_wait__first_completed);
    POOLS(wa, test_wait__first_completed_some_already_completed);
    POOLS(wa, test_wait__first_exception);
    POOLS(wa, test_wait__first_exception_some_already_complete);
    POOLS(wa, test_wait__first_exception_one_already_failed);
    POOLS(wa, test_wait__first_exception_ignores_cancelled);
    ALL(wa, test_wait__all_completed);
    POOLS(wa, test_wait__timeout);
    POOLS(wa, test_wait__pending_calls_race);

    TCase *ac = conf_tcase(s, "test_as_completed", 10);
    ALL(ac, test_as_completed__no_timeout);
    POOLS(ac, test_as_completed__future_times_out);
    POOLS(ac, test_as_completed__zero_timeout);
    ALL(ac, test_as_completed__duplicate_futures);
    tcase_add_test(ac, test_as_completed__correct_timeout_exception_msg);

    TCase *to = conf_tcase(s, "timeouts", 15);
    tcase_add_loop_test(to, test_timeouts__forever_values_wait_until_done, 0,
                        2 * (int)(sizeof forever_values / sizeof forever_values[0]));
    tcase_add_test(to, test_timeouts__task_timeout_and_options);
    return s;
}

int main(void) {
    conf_register_tasks();
    return lt_run_suite(wait_suite());
}
