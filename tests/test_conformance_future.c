/* test_conformance_future.c -- CPython's test_future.py (FutureTests) on
 * cfutures' free-standing futures (conformance.h says how the port reads). */
#include "conformance.h"

/* ==== test_future.py: FutureTests ====================================== */

/* What a done callback saw of its future. */
typedef struct seen {
    atomic_int calls;
    int rc, cancelled, status;
    char data[16], msg[64];
    pthread_t thread;
} seen;

static void seen_cb(cf_future *f, void *arg) {
    seen *s = arg;
    const void *data = NULL;
    const char *msg = NULL;
    size_t len = 0;
    s->rc = cf_future_result(f, 0, &data, &len);
    if (s->rc == 0) snprintf(s->data, sizeof s->data, "%.*s", (int)len, (const char *)data);
    s->cancelled = cf_future_cancelled(f);
    s->status = cf_future_error(f, &msg);
    snprintf(s->msg, sizeof s->msg, "%s", msg ? msg : "(null)");
    s->thread = pthread_self();
    atomic_fetch_add(&s->calls, 1);
}

START_TEST(test_future__done_callback_with_result) {
    seen s = {0};
    cf_future *f = create_future(PENDING);
    ck_assert_int_eq(cf_future_add_done_callback(f, seen_cb, &s), 0);
    ck_assert_int_eq(atomic_load(&s.calls), 0);
    ck_assert_int_eq(cf_future_set_result(f, "5", 1), 0);
    ck_assert_int_eq(atomic_load(&s.calls), 1);
    ck_assert_int_eq(s.rc, 0);
    ck_assert_str_eq(s.data, "5");
    cf_future_free(f);
}
END_TEST

START_TEST(test_future__done_callback_with_exception) {
    seen s = {0};
    cf_future *f = create_future(PENDING);
    ck_assert_int_eq(cf_future_add_done_callback(f, seen_cb, &s), 0);
    ck_assert_int_eq(cf_future_set_error(f, 9, "test"), 0);
    ck_assert_int_eq(atomic_load(&s.calls), 1);
    ck_assert_int_eq(s.rc, CF_ETASK);
    ck_assert_int_eq(s.status, 9);
    ck_assert_str_eq(s.msg, "test");
    cf_future_free(f);
}
END_TEST

START_TEST(test_future__done_callback_with_cancel) {
    seen s = {0};
    cf_future *f = create_future(PENDING);
    ck_assert_int_eq(cf_future_add_done_callback(f, seen_cb, &s), 0);
    ck_assert_int_eq(cf_future_cancel(f), 1);
    ck_assert_int_eq(atomic_load(&s.calls), 1);
    ck_assert_int_eq(s.cancelled, 1);
    ck_assert_int_eq(s.rc, CF_ECANCELLED);
    cf_future_free(f);
}
END_TEST

/* test_done_callback_raises, test_done_callback_raises_already_succeeded:
 * a C callback cannot raise, so there is nothing to log and go on from. */

START_TEST(test_future__done_callback_already_successful) {
    seen s = {0};
    cf_future *f = create_future(SUCCESSFUL);
    ck_assert_int_eq(cf_future_add_done_callback(f, seen_cb, &s), 0);
    ck_assert_int_eq(atomic_load(&s.calls), 1); /* at once, in the caller */
    ck_assert(pthread_equal(s.thread, pthread_self()));
    ck_assert_int_eq(s.rc, 0);
    ck_assert_str_eq(s.data, "42");
    cf_future_free(f);
}
END_TEST

START_TEST(test_future__done_callback_already_failed) {
    seen s = {0};
    cf_future *f = create_future(EXCEPTION);
    ck_assert_int_eq(cf_future_add_done_callback(f, seen_cb, &s), 0);
    ck_assert_int_eq(atomic_load(&s.calls), 1);
    ck_assert_int_eq(s.rc, CF_ETASK);
    ck_assert_int_eq(s.status, 5);
    ck_assert_str_eq(s.msg, "OSError");
    cf_future_free(f);
}
END_TEST

START_TEST(test_future__done_callback_already_cancelled) {
    seen s = {0};
    cf_future *f = create_future(PENDING);
    ck_assert_int_eq(cf_future_cancel(f), 1);
    ck_assert_int_eq(cf_future_add_done_callback(f, seen_cb, &s), 0);
    ck_assert_int_eq(atomic_load(&s.calls), 1);
    ck_assert_int_eq(s.cancelled, 1);
    cf_future_free(f);
}
END_TEST

/* test_repr, test_class_str: C futures have no repr and no classes.
 * test_get_snapshot: tests a private method of Python's Future. */

START_TEST(test_future__cancel) {
    cf_future *f1 = create_future(PENDING);
    cf_future *f2 = create_future(RUNNING);
    cf_future *f3 = create_future(PENDING);
    ck_assert_int_eq(cf_future_cancel(f3), 1); /* Python's CANCELLED */
    cf_future *f4 = create_future(CANCELLED_AND_NOTIFIED);
    cf_future *f5 = create_future(EXCEPTION);
    cf_future *f6 = create_future(SUCCESSFUL);

    ck_assert_int_eq(cf_future_cancel(f1), 1);
    ck_assert_int_eq(cf_future_cancelled(f1), 1);
    ck_assert_int_eq(cf_future_cancel(f2), 0);
    ck_assert_int_eq(cf_future_running(f2), 1);
    ck_assert_int_eq(cf_future_cancel(f3), 1);
    ck_assert_int_eq(cf_future_cancelled(f3), 1);
    ck_assert_int_eq(cf_future_cancel(f4), 1);
    ck_assert_int_eq(cf_future_cancelled(f4), 1);
    ck_assert_int_eq(cf_future_cancel(f5), 0);
    ck_assert_int_eq(cf_future_outcome(f5), CF_ETASK);
    ck_assert_int_eq(cf_future_cancel(f6), 0);
    ck_assert_int_eq(cf_future_outcome(f6), 0);
    cf_future *fs[] = {f1, f2, f3, f4, f5, f6};
    free_all(fs, 6);
}
END_TEST

/* test_cancelled, test_done, test_running: the three queries over the
 * five states, as one table. */
START_TEST(test_future__cancelled_done_running) {
    static const struct {
        fstate state;
        int cancelled, done, running;
    } want[] = {
        {PENDING, 0, 0, 0},   {RUNNING, 0, 0, 1},    {CANCELLED_AND_NOTIFIED, 1, 1, 0},
        {EXCEPTION, 0, 1, 0}, {SUCCESSFUL, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cf_future *f = create_future(want[i].state);
        ck_assert_int_eq(cf_future_cancelled(f), want[i].cancelled);
        ck_assert_int_eq(cf_future_done(f), want[i].done);
        ck_assert_int_eq(cf_future_running(f), want[i].running);
        cf_future_free(f);
    }
}
END_TEST

START_TEST(test_future__result_with_timeout) {
    cf_future *fs[5];
    for (int s = PENDING; s <= SUCCESSFUL; s++)
        fs[s] = create_future((fstate)s);
    const void *data = NULL;
    ck_assert_int_eq(cf_future_result(fs[PENDING], 0, NULL, NULL), CF_ETIMEDOUT);
    ck_assert_int_eq(cf_future_result(fs[RUNNING], 0, NULL, NULL), CF_ETIMEDOUT);
    ck_assert_int_eq(cf_future_result(fs[CANCELLED_AND_NOTIFIED], 0, NULL, NULL), CF_ECANCELLED);
    ck_assert_int_eq(cf_future_result(fs[EXCEPTION], 0, NULL, NULL), CF_ETASK);
    ck_assert_int_eq(cf_future_result(fs[SUCCESSFUL], 0, &data, NULL), 0);
    ck_assert_str_eq((const char *)data, "42");
    free_all(fs, 5);
}
END_TEST

/* What another thread does to a future after 0.1 s (Python: 1 s). */
typedef enum later_op { SET_RESULT, CANCEL, SET_ERROR } later_op;
typedef struct later {
    cf_future *f;
    later_op op;
    pthread_t thread;
} later;

static void *later_main(void *arg) {
    later *l = arg;
    lt_sleep_ms(100);
    if (l->op == SET_RESULT) cf_future_set_result(l->f, "42", 2);
    if (l->op == CANCEL) cf_future_cancel(l->f);
    if (l->op == SET_ERROR) cf_future_set_error(l->f, 5, "OSError");
    return NULL;
}

static void do_later(later *l, cf_future *f, later_op op) {
    l->f = f;
    l->op = op;
    ck_assert_int_eq(pthread_create(&l->thread, NULL, later_main, l), 0);
}

START_TEST(test_future__result_with_success) {
    cf_future *f1 = create_future(PENDING);
    later l;
    do_later(&l, f1, SET_RESULT);
    const void *data = NULL;
    ck_assert_int_eq(cf_future_result(f1, 5.0, &data, NULL), 0);
    ck_assert_str_eq((const char *)data, "42");
    ck_assert_int_eq(pthread_join(l.thread, NULL), 0);
    cf_future_free(f1);
}
END_TEST

START_TEST(test_future__result_with_cancel) {
    cf_future *f1 = create_future(PENDING);
    later l;
    do_later(&l, f1, CANCEL);
    ck_assert_int_eq(cf_future_result(f1, 5.0, NULL, NULL), CF_ECANCELLED);
    ck_assert_int_eq(pthread_join(l.thread, NULL), 0);
    cf_future_free(f1);
}
END_TEST

/* C has no exception(): cf_future_wait() then the outcome and status. */
START_TEST(test_future__exception_with_timeout) {
    cf_future *fs[5];
    for (int s = PENDING; s <= SUCCESSFUL; s++)
        fs[s] = create_future((fstate)s);
    ck_assert_int_eq(cf_future_wait(fs[PENDING], 0), CF_ETIMEDOUT);
    ck_assert_int_eq(cf_future_wait(fs[RUNNING], 0), CF_ETIMEDOUT);
    ck_assert_int_eq(cf_future_wait(fs[CANCELLED_AND_NOTIFIED], 0), 0);
    ck_assert_int_eq(cf_future_outcome(fs[CANCELLED_AND_NOTIFIED]), CF_ECANCELLED);
    ck_assert_int_eq(cf_future_wait(fs[EXCEPTION], 0), 0);
    ck_assert_int_eq(cf_future_outcome(fs[EXCEPTION]), CF_ETASK);
    ck_assert_int_eq(cf_future_error(fs[EXCEPTION], NULL), 5);
    ck_assert_int_eq(cf_future_wait(fs[SUCCESSFUL], 0), 0);
    ck_assert_int_eq(cf_future_error(fs[SUCCESSFUL], NULL), 0);
    free_all(fs, 5);
}
END_TEST

START_TEST(test_future__exception_with_success) {
    cf_future *f1 = create_future(PENDING);
    later l;
    do_later(&l, f1, SET_ERROR);
    ck_assert_int_eq(cf_future_wait(f1, 5.0), 0);
    ck_assert_int_eq(cf_future_outcome(f1), CF_ETASK);
    const char *msg = NULL;
    ck_assert_int_eq(cf_future_error(f1, &msg), 5);
    ck_assert_str_eq(msg, "OSError");
    ck_assert_int_eq(pthread_join(l.thread, NULL), 0);
    cf_future_free(f1);
}
END_TEST

START_TEST(test_future__multiple_set_result) {
    cf_future *f = create_future(PENDING);
    ck_assert_int_eq(cf_future_set_result(f, "1", 1), 0);
    ck_assert_int_eq(cf_future_set_result(f, "2", 1), CF_ESTATE);
    ck_assert_int_eq(cf_future_set_error(f, 3, "late"), CF_ESTATE);
    ck_assert_int_eq(cf_future_done(f), 1);
    const void *data = NULL;
    ck_assert_int_eq(cf_future_result(f, 0, &data, NULL), 0);
    ck_assert_str_eq((const char *)data, "1");
    cf_future_free(f);
}
END_TEST

START_TEST(test_future__multiple_set_exception) {
    cf_future *f = create_future(PENDING);
    ck_assert_int_eq(cf_future_set_error(f, 4, "ValueError"), 0);
    ck_assert_int_eq(cf_future_set_error(f, 5, "Exception"), CF_ESTATE);
    ck_assert_int_eq(cf_future_set_result(f, "x", 1), CF_ESTATE);
    const char *msg = NULL;
    ck_assert_int_eq(cf_future_error(f, &msg), 4);
    ck_assert_str_eq(msg, "ValueError");
    cf_future_free(f);
}
END_TEST

/* No CPython test of its own: the rest of Future's InvalidStateError /
 * RuntimeError rules (base.py), which the header states with CF_ESTATE. */
START_TEST(test_future__set_result_invalid_state) {
    seen s = {0};
    cf_future *f = create_future(PENDING);
    ck_assert_int_eq(cf_future_add_done_callback(f, seen_cb, &s), 0);
    /* A cancelled future takes no result and no error. */
    ck_assert_int_eq(cf_future_cancel(f), 1);
    ck_assert_int_eq(cf_future_set_result(f, "x", 1), CF_ESTATE);
    ck_assert_int_eq(cf_future_set_error(f, 1, "x"), CF_ESTATE);
    ck_assert_int_eq(cf_future_outcome(f), CF_ECANCELLED);
    ck_assert_int_eq(cf_future_set_running_or_notify_cancel(f), 0);
    ck_assert_int_eq(atomic_load(&s.calls), 1); /* told once, whatever came after */
    cf_future_free(f);

    /* set_running_or_notify_cancel works once, and not on a done future. */
    f = create_future(PENDING);
    ck_assert_int_eq(cf_future_set_running_or_notify_cancel(f), 1);
    ck_assert_int_eq(cf_future_set_running_or_notify_cancel(f), CF_ESTATE);
    ck_assert_int_eq(cf_future_cancel(f), 0);
    ck_assert_int_eq(cf_future_set_result(f, "ok", 2), 0); /* running -> done */
    ck_assert_int_eq(cf_future_set_running_or_notify_cancel(f), CF_ESTATE);
    ck_assert_int_eq(cf_future_outcome(f), 0);
    cf_future_free(f);
    ck_assert_int_eq(cf_future_set_running_or_notify_cancel(NULL), CF_EINVAL);

    /* Bad arguments leave the future pending. */
    f = create_future(PENDING);
    ck_assert_int_eq(cf_future_set_error(f, 0, "no status"), CF_EINVAL);
    ck_assert_int_eq(cf_future_set_error(NULL, 1, "x"), CF_EINVAL);
    ck_assert_int_eq(cf_future_set_result(NULL, "x", 1), CF_EINVAL);
    size_t big = (size_t)CF_MAX_BYTES + 1;
    char *buf = calloc(1, big); /* untouched pages: cheap */
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(cf_future_set_result(f, buf, big), CF_ETOOBIG);
    free(buf);
    ck_assert_int_eq(cf_future_done(f), 0);
    /* A future with no executor can only time out, never deadlock. */
    ck_assert_int_eq(cf_future_wait(f, 0.01), CF_ETIMEDOUT);
    ck_assert_int_eq(cf_future_set_error(f, 2, NULL), 0);
    const char *msg = NULL;
    ck_assert_int_eq(cf_future_error(f, &msg), 2);
    ck_assert_str_eq(msg, "");
    cf_future_free(f);
}
END_TEST

/* No CPython test: Python runs callbacks in the thread that completes the
 * future, which the header promises for set_result too. */
START_TEST(test_future__callbacks_run_in_the_setting_thread) {
    seen s = {0};
    cf_future *f = create_future(PENDING);
    ck_assert_int_eq(cf_future_add_done_callback(f, seen_cb, &s), 0);
    later l;
    do_later(&l, f, SET_RESULT);
    ck_assert_int_eq(cf_future_wait(f, 5.0), 0);
    ck_assert_int_eq(pthread_join(l.thread, NULL), 0);
    ck_assert_int_eq(atomic_load(&s.calls), 1);
    ck_assert(pthread_equal(s.thread, l.thread));
    cf_future_free(f);
}
END_TEST

static Suite *future_suite(void) {
    Suite *s = suite_create("conformance future");
    TCase *fu = conf_tcase(s, "test_future", 10);
    tcase_add_test(fu, test_future__done_callback_with_result);
    tcase_add_test(fu, test_future__done_callback_with_exception);
    tcase_add_test(fu, test_future__done_callback_with_cancel);
    tcase_add_test(fu, test_future__done_callback_already_successful);
    tcase_add_test(fu, test_future__done_callback_already_failed);
    tcase_add_test(fu, test_future__done_callback_already_cancelled);
    tcase_add_test(fu, test_future__cancel);
    tcase_add_test(fu, test_future__cancelled_done_running);
    tcase_add_test(fu, test_future__result_with_timeout);
    tcase_add_test(fu, test_future__result_with_success);
    tcase_add_test(fu, test_future__result_with_cancel);
    tcase_add_test(fu, test_future__exception_with_timeout);
    tcase_add_test(fu, test_future__exception_with_success);
    tcase_add_test(fu, test_future__multiple_set_result);
    tcase_add_test(fu, test_future__multiple_set_exception);
    tcase_add_test(fu, test_future__set_result_invalid_state);
    tcase_add_test(fu, test_future__callbacks_run_in_the_setting_thread);
    return s;
}

int main(void) {
    conf_register_tasks();
    return lt_run_suite(future_suite());
}
