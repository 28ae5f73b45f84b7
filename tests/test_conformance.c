/* test_conformance.c -- CPython's Lib/test/test_concurrent_futures, test by
 * test, on cfutures.
 *
 * Each test is named test_<CPython file>__<CPython test> and says which
 * CPython class it comes from; pool tests loop over the thread and process
 * pools (Check's _i indexes lt_kinds), and over the sequential executor too
 * where nothing needs to be held pending. Python's module-level futures in a
 * given state (PENDING_FUTURE, SUCCESSFUL_FUTURE, ...) are free-standing
 * futures here (cf_future_new). Python's CANCELLED (cancelled, waiters not
 * yet told) is a transient state a C cancel never leaves visible: where a
 * CPython test puts CANCELLED_FUTURE among the unfinished, a PENDING future
 * stands in for it. Python sleeps of seconds are gates or tenths of a
 * second here so that each test runs well under two seconds. Tests that
 * cannot map to C are listed with the reason in a one-line comment where
 * they would be. The last tcase checks the header's timeout contract, which
 * has no CPython counterpart. */
#include <math.h>
#include <sys/prctl.h>

#include "lib_check.h"

/* ---- tasks of this file ----------------------------------------------- */

/* Input: a gate path. Waits for it, then fails (wait_and_raise). */
static int c_gate_fail(const void *in, size_t len, cf_out *out) {
    int rc = lt_gate_task(in, len, out);
    if (rc != 0) return rc;
    cf_out_error(out, "this is an exception");
    return 7;
}

/* Input: a path. Creates the file: the side effect tells that it ran. */
static int c_touch(const void *in, size_t len, cf_out *out) {
    char path[256];
    lt_in_str(in, len, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || close(fd) != 0) return 2;
    return cf_out_set(out, "touched", 7) == 0 ? 0 : 99;
}

/* Input: milliseconds. Sleeps, then outputs the worker index. */
static int c_sleep_index(const void *in, size_t len, cf_out *out) {
    lt_sleep_ms(lt_in_long(in, len));
    return lt_out_printf(out, "%d", cf_worker_index()) == 0 ? 0 : 99;
}

/* Output: the name of the thread running the task. */
static int c_name(const void *in, size_t len, cf_out *out) {
    char name[32] = {0};
    (void)in, (void)len;
    if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0) return 2;
    return cf_out_set(out, name, strlen(name)) == 0 ? 0 : 99;
}

/* Forks a child that exits at once; output "exit=N", its exit status. */
static int c_fork_child(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) _exit(0);
    int st;
    if (waitpid(pid, &st, 0) != pid) return 3;
    return lt_out_printf(out, "exit=%d", WIFEXITED(st) ? WEXITSTATUS(st) : -1) == 0 ? 0 : 99;
}

/* Ignores its input (which may be large) and dies of a segfault, after
 * input "later" has waited 0.1 s. */
static int c_crash(const void *in, size_t len, cf_out *out) {
    if (len == 5 && memcmp(in, "later", 5) == 0) lt_sleep_ms(100);
    return lt_crash("segv", 4, out);
}

static const cf_task *c_t_gate_fail, *c_t_touch, *c_t_sleep_index, *c_t_name, *c_t_fork_child,
    *c_t_crash;

static void register_tasks(void) {
    lt_register_tasks();
    struct {
        const cf_task **slot;
        const char *name;
        cf_task_fn fn;
    } all[] = {
        {&c_t_gate_fail, "conf.gate_fail", c_gate_fail},       {&c_t_touch, "conf.touch", c_touch},
        {&c_t_sleep_index, "conf.sleep_index", c_sleep_index}, {&c_t_name, "conf.name", c_name},
        {&c_t_fork_child, "conf.fork_child", c_fork_child},    {&c_t_crash, "conf.crash", c_crash},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        *all[i].slot = cf_task_register(all[i].name, all[i].fn);
        if (*all[i].slot == NULL) {
            fprintf(stderr, "cannot register %s\n", all[i].name);
            exit(1);
        }
    }
}

/* ---- helpers ---------------------------------------------------------- */

/* Python's util.create_future() states, as free-standing futures. */
typedef enum fstate { PENDING, RUNNING, CANCELLED_AND_NOTIFIED, EXCEPTION, SUCCESSFUL } fstate;

static cf_future *create_future(fstate state) {
    cf_future *f = NULL;
    ck_assert_int_eq(cf_future_new(&f), 0);
    ck_assert_ptr_nonnull(f);
    switch (state) {
    case PENDING: break;
    case RUNNING: ck_assert_int_eq(cf_future_set_running_or_notify_cancel(f), 1); break;
    case CANCELLED_AND_NOTIFIED:
        ck_assert_int_eq(cf_future_cancel(f), 1);
        ck_assert_int_eq(cf_future_set_running_or_notify_cancel(f), 0);
        break;
    case EXCEPTION: ck_assert_int_eq(cf_future_set_error(f, 5, "OSError"), 0); break;
    case SUCCESSFUL: ck_assert_int_eq(cf_future_set_result(f, "42", 2), 0); break;
    }
    return f;
}

static cf_executor *new_pool(cf_kind kind, int workers, int trace) {
    cf_options o = lt_options();
    o.max_workers = workers;
    o.trace = trace;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(kind, &o, &ex), 0);
    return ex;
}

static void free_all(cf_future **fs, size_t n) {
    for (size_t i = 0; i < n; i++)
        cf_future_free(fs[i]);
}

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

static int count_running(cf_future **fs, int n) {
    int k = 0;
    for (int i = 0; i < n; i++)
        k += cf_future_running(fs[i]);
    return k;
}

/* Map inputs "0", "1", ..., n-1 (for ever when n < 0), counting reads. */
typedef struct numbers {
    long n;
    atomic_long read; /* inputs given */
    char buf[32];
} numbers;

static int number_input(void *arg, size_t i, const void **data, size_t *len) {
    numbers *in = arg;
    if (in->n >= 0 && (long)i >= in->n) return CF_EOF;
    atomic_fetch_add(&in->read, 1);
    int k = snprintf(in->buf, sizeof in->buf, "%zu", i);
    *data = in->buf;
    *len = (size_t)k;
    return 0;
}

/* Reads the next map result and asserts it is `want`. */
static void expect_next(cf_map_iter *m, const char *want) {
    const void *data = NULL;
    size_t len = 0;
    int rc = cf_map_next(m, &data, &len);
    ck_assert_msg(rc == 0, "map next: %s, want '%s'", cf_err_name(rc), want);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq((const char *)data, want);
}

/* Maps lt.sq over 0..n-1 with `chunksize` and `buffersize` and checks every
 * square, in order, then the end. */
static void expect_map_squares(cf_executor *ex, long n, int chunksize, int buffersize) {
    numbers in = {.n = n};
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = chunksize;
    mo.buffersize = buffersize;
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), 0);
    char want[32];
    for (long i = 0; i < n; i++) {
        snprintf(want, sizeof want, "%ld", i * i);
        expect_next(m, want);
    }
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
}

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

/* ---- suite ------------------------------------------------------------ */

#define POOLS(tc, fn) LT_POOL_KINDS(tc, fn)
#define ALL(tc, fn) LT_ALL_KINDS(tc, fn)

static TCase *tcase(Suite *s, const char *name, int timeout) {
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *conformance_suite(void) {
    Suite *s = suite_create("conformance");
    TCase *fu = tcase(s, "test_future", 10);
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

    TCase *wa = tcase(s, "test_wait", 10);
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

    TCase *ac = tcase(s, "test_as_completed", 10);
    ALL(ac, test_as_completed__no_timeout);
    POOLS(ac, test_as_completed__future_times_out);
    POOLS(ac, test_as_completed__zero_timeout);
    ALL(ac, test_as_completed__duplicate_futures);
    tcase_add_test(ac, test_as_completed__correct_timeout_exception_msg);

    TCase *sh = tcase(s, "test_shutdown", 15);
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

    TCase *ex = tcase(s, "test_executor", 10);
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

    TCase *tp = tcase(s, "test_thread_pool", 15);
    ALL(tp, test_thread_pool__map_submits_without_iteration);
    tcase_add_test(tp, test_thread_pool__default_workers);
    POOLS(tp, test_thread_pool__saturation);
    tcase_add_test(tp, test_thread_pool__hang_global_shutdown_lock);
    tcase_add_test(tp, test_thread_pool__process_fork_from_a_threadpool);
    POOLS(tp, test_thread_pool__executor_map_current_future_cancel);

    TCase *pp = tcase(s, "test_process_pool", 15);
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

    TCase *dl = tcase(s, "test_deadlock", 15);
    tcase_add_test(dl, test_deadlock__crash_during_func_exec_on_worker);
    tcase_add_test(dl, test_deadlock__exit_during_func_exec_on_worker);
    tcase_add_test(dl, test_deadlock__error_during_func_exec_on_worker);
    tcase_add_test(dl, test_deadlock__shutdown_deadlock);
    tcase_add_test(dl, test_deadlock__crash_big_data);
    tcase_add_test(dl, test_deadlock__gh105829_should_not_deadlock_if_wakeup_pipe_full);

    TCase *to = tcase(s, "timeouts", 15);
    tcase_add_loop_test(to, test_timeouts__forever_values_wait_until_done, 0,
                        2 * (int)(sizeof forever_values / sizeof forever_values[0]));
    tcase_add_test(to, test_timeouts__task_timeout_and_options);
    return s;
}

int main(void) {
    register_tasks();
    return lt_run_suite(conformance_suite());
}
