/* conformance.h -- tasks and helpers shared by the test_conformance_*
 * suites: CPython's Lib/test/test_concurrent_futures, test by test, on
 * cfutures.
 *
 * Each suite follows one or two of CPython's files; each test is named
 * test_<CPython file>__<CPython test> and says which CPython class it comes
 * from; pool tests loop over the thread and process pools (Check's _i
 * indexes lt_kinds), and over the sequential executor too where nothing
 * needs to be held pending. Python's module-level futures in a given state
 * (PENDING_FUTURE, SUCCESSFUL_FUTURE, ...) are free-standing futures here
 * (create_future). Python's CANCELLED (cancelled, waiters not yet told) is a
 * transient state a C cancel never leaves visible: where a CPython test puts
 * CANCELLED_FUTURE among the unfinished, a PENDING future stands in for it.
 * Python sleeps of seconds are gates or tenths of a second here so that
 * each test runs well under two seconds. Tests that cannot map to C are
 * listed with the reason in a one-line comment where they would be.
 * conf_register_tasks() must run in main() before any pool exists.
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <sys/prctl.h>

#include "lib_check.h"

/* ---- tasks of the suites ---------------------------------------------- */

/* Input: a gate path. Waits for it, then fails (wait_and_raise). */
static inline int c_gate_fail(const void *in, size_t len, cf_out *out) {
    int rc = lt_gate_task(in, len, out);
    if (rc != 0) return rc;
    cf_out_error(out, "this is an exception");
    return 7;
}

/* Input: a path. Creates the file: the side effect tells that it ran. */
static inline int c_touch(const void *in, size_t len, cf_out *out) {
    char path[256];
    lt_in_str(in, len, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || close(fd) != 0) return 2;
    return cf_out_set(out, "touched", 7) == 0 ? 0 : 99;
}

/* Input: milliseconds. Sleeps, then outputs the worker index. */
static inline int c_sleep_index(const void *in, size_t len, cf_out *out) {
    lt_sleep_ms(lt_in_long(in, len));
    return lt_out_printf(out, "%d", cf_worker_index()) == 0 ? 0 : 99;
}

/* Output: the name of the thread running the task. */
static inline int c_name(const void *in, size_t len, cf_out *out) {
    char name[32] = {0};
    (void)in, (void)len;
    if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0) return 2;
    return cf_out_set(out, name, strlen(name)) == 0 ? 0 : 99;
}

/* Forks a child that exits at once; output "exit=N", its exit status. */
static inline int c_fork_child(const void *in, size_t len, cf_out *out) {
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
static inline int c_crash(const void *in, size_t len, cf_out *out) {
    if (len == 5 && memcmp(in, "later", 5) == 0) lt_sleep_ms(100);
    return lt_crash("segv", 4, out);
}

static const cf_task *c_t_gate_fail, *c_t_touch, *c_t_sleep_index, *c_t_name, *c_t_fork_child,
    *c_t_crash;

static inline void conf_register_tasks(void) {
    lt_register_tasks();
    const lt_task_def all[] = {
        {&c_t_gate_fail, "conf.gate_fail", c_gate_fail},       {&c_t_touch, "conf.touch", c_touch},
        {&c_t_sleep_index, "conf.sleep_index", c_sleep_index}, {&c_t_name, "conf.name", c_name},
        {&c_t_fork_child, "conf.fork_child", c_fork_child},    {&c_t_crash, "conf.crash", c_crash},
    };
    lt_task_table(all, sizeof all / sizeof all[0], 0);
}

/* ---- helpers ---------------------------------------------------------- */

/* Python's util.create_future() states, as free-standing futures. */
typedef enum fstate { PENDING, RUNNING, CANCELLED_AND_NOTIFIED, EXCEPTION, SUCCESSFUL } fstate;

static inline cf_future *create_future(fstate state) {
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

static inline void free_all(cf_future **fs, size_t n) {
    for (size_t i = 0; i < n; i++)
        cf_future_free(fs[i]);
}

static inline int count_running(cf_future **fs, int n) {
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

static inline int number_input(void *arg, size_t i, const void **data, size_t *len) {
    numbers *in = arg;
    if (in->n >= 0 && (long)i >= in->n) return CF_EOF;
    atomic_fetch_add(&in->read, 1);
    int k = snprintf(in->buf, sizeof in->buf, "%zu", i);
    *data = in->buf;
    *len = (size_t)k;
    return 0;
}

/* Reads the next map result and asserts it is `want`. */
static inline void expect_next(cf_map_iter *m, const char *want) {
    const void *data = NULL;
    size_t len = 0;
    int rc = cf_map_next(m, &data, &len);
    ck_assert_msg(rc == 0, "map next: %s, want '%s'", cf_err_name(rc), want);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq((const char *)data, want);
}

/* Maps lt.sq over 0..n-1 with `chunksize` and `buffersize` and checks every
 * square, in order, then the end. */
static inline void expect_map_squares(cf_executor *ex, long n, int chunksize, int buffersize) {
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

/* Pool tests loop over lt_kinds: the pools only, or every kind. */
#define POOLS(tc, fn) LT_POOL_KINDS(tc, fn)
#define ALL(tc, fn) LT_ALL_KINDS(tc, fn)

/* A tcase of suite `s` whose tests each get `timeout` seconds. */
static inline TCase *conf_tcase(Suite *s, const char *name, int timeout) {
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

#endif
