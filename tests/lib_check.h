/* lib_check.h -- tasks, gates and helpers shared by the executor core tests.
 *
 * Every test binary of lib/ includes this once. The tasks here work on every
 * executor kind: they talk to the test only through their input and output
 * bytes and the file system, because on a process pool they run in a forked
 * child. A "gate" is a file that does not exist yet: lt.gate blocks until the
 * test creates it, which lets a test hold a task running for as long as it
 * needs without guessing with sleeps. lt_register_tasks() must run in main()
 * before any pool exists, so that forked workers know the tasks.
 */
#ifndef LIB_CHECK_H
#define LIB_CHECK_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cfutures.h"

/* Loop tests index this with Check's _i: LT_ALL_KINDS() walks every kind,
 * LT_POOL_KINDS() the pools only (where a task can be held pending or
 * running, which the sequential executor never shows). */
static const cf_kind lt_kinds[] = {CF_SEQUENTIAL, CF_THREAD, CF_PROCESS};
#define LT_ALL_KINDS(tc, fn) tcase_add_loop_test(tc, fn, LT_FIRST_KIND(0), 3)
#define LT_POOL_KINDS(tc, fn) tcase_add_loop_test(tc, fn, LT_FIRST_KIND(1), 3)
/* Under CF_TEST_START_METHOD=forkserver only the process pool changes:
 * the loops run its iteration alone. */
#define LT_FIRST_KIND(first) (lt_start_method() != CF_START_FORKSERVER ? (first) : 2)

/* CF_TEST_START_METHOD=forkserver (or fork): process pools made by these
 * helpers (and lt_options) start their workers that way, as CPython runs
 * its process pool tests once per start method; unset, the default
 * (CF_START_AUTO). */
static inline cf_start_method lt_start_method(void) {
    const char *m = getenv("CF_TEST_START_METHOD");
    if (m && strcmp(m, "forkserver") == 0) return CF_START_FORKSERVER;
    return m && strcmp(m, "fork") == 0 ? CF_START_FORK : CF_START_AUTO;
}

/* CF_OPTIONS_INIT with the start method above. */
static inline cf_options lt_options(void) {
    cf_options o = CF_OPTIONS_INIT;
    o.start_method = lt_start_method();
    return o;
}

/* Longest a gate waits before giving up, so that a worker left behind by a
 * broken test cannot live for ever. Longer than any tcase timeout. */
#define LT_GATE_MAX_S 60

static inline void lt_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static inline double lt_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls `expr` every millisecond until it holds or `secs` pass; evaluates
 * to its last value. Only for conditions that must become true soon. */
#define LT_POLL(expr, secs)                                                                        \
    ({                                                                                             \
        double lt_deadline_ = lt_now() + (secs);                                                   \
        int lt_ok_;                                                                                \
        while (!(lt_ok_ = !!(expr)) && lt_now() < lt_deadline_)                                    \
            lt_sleep_ms(1);                                                                        \
        lt_ok_;                                                                                    \
    })

/* Copies a task's input into a NUL-terminated buffer of `cap` bytes. */
static inline void lt_in_str(const void *in, size_t len, char *buf, size_t cap) {
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(buf, in, n);
    buf[n] = '\0';
}

static inline long lt_in_long(const void *in, size_t len) {
    char buf[32];
    lt_in_str(in, len, buf, sizeof buf);
    return strtol(buf, NULL, 10);
}

static inline int lt_out_printf(cf_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int lt_out_printf(cf_out *out, const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return cf_out_set(out, buf, (size_t)n);
}

/* ---- tasks ------------------------------------------------------------ */

/* Output = input. */
static inline int lt_echo(const void *in, size_t len, cf_out *out) {
    return cf_out_set(out, in, len) == 0 ? 0 : 99;
}

/* Fails with status 7 and a message naming its input. */
static inline int lt_fail(const void *in, size_t len, cf_out *out) {
    cf_out_error(out, "failed on '%.*s'", (int)len, (const char *)in);
    return 7;
}

/* Input: decimal n. Output: n*n; fails (status 3, "bad n") when n%5 == 3. */
static inline int lt_sq5(const void *in, size_t len, cf_out *out) {
    long n = lt_in_long(in, len);
    if (n % 5 == 3) {
        cf_out_error(out, "bad %ld", n);
        return 3;
    }
    return lt_out_printf(out, "%ld", n * n) == 0 ? 0 : 99;
}

/* Input: decimal n. Output: n*n. */
static inline int lt_sq(const void *in, size_t len, cf_out *out) {
    long n = lt_in_long(in, len);
    return lt_out_printf(out, "%ld", n * n) == 0 ? 0 : 99;
}

/* Input: milliseconds. Sleeps that long, output = input. */
static inline int lt_sleep(const void *in, size_t len, cf_out *out) {
    lt_sleep_ms(lt_in_long(in, len));
    return cf_out_set(out, in, len) == 0 ? 0 : 99;
}

/* Input: a path. Waits until the file exists; output "open". */
static inline int lt_gate_task(const void *in, size_t len, cf_out *out) {
    char path[256];
    lt_in_str(in, len, path, sizeof path);
    for (long i = 0; i < LT_GATE_MAX_S * 1000L; i++) {
        if (access(path, F_OK) == 0) return cf_out_set(out, "open", 4) == 0 ? 0 : 99;
        lt_sleep_ms(1);
    }
    cf_out_error(out, "gate %s never opened", path);
    return 1;
}

/* Input: a path. Writes the worker's pid there (atomically, by rename), then
 * blocks like a gate that is never opened: the test kills it. */
static inline int lt_pidfile(const void *in, size_t len, cf_out *out) {
    char path[256], tmp[300];
    lt_in_str(in, len, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    if (fp == NULL) return 2;
    fprintf(fp, "%ld\n", (long)getpid());
    if (fclose(fp) != 0 || rename(tmp, path) != 0) return 2;
    snprintf(tmp, sizeof tmp, "%s.never", path);
    return lt_gate_task(tmp, strlen(tmp), out);
}

/* Output: "pid worker_index". */
static inline int lt_whoami(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    return lt_out_printf(out, "%ld %d", (long)getpid(), cf_worker_index()) == 0 ? 0 : 99;
}

/* Input: "segv", "abort", "exit" or "kill". Kills its own process. */
static inline int lt_crash(const void *in, size_t len, cf_out *out) {
    char how[16];
    (void)out;
    lt_in_str(in, len, how, sizeof how);
    if (strcmp(how, "segv") == 0) {
        /* A real fault at an address the compiler cannot see is bad. */
        volatile uintptr_t addr = 16;
        *(volatile int *)addr = 1;
    } else if (strcmp(how, "abort") == 0) {
        abort();
    } else if (strcmp(how, "exit") == 0) {
        _exit(3);
    } else if (strcmp(how, "kill") == 0) {
        kill(getpid(), SIGKILL);
    }
    lt_sleep_ms(5000); /* a signal may take a moment to land */
    return 1;
}

/* Output: the input with every byte plus one. */
static inline int lt_inc(const void *in, size_t len, cf_out *out) {
    unsigned char *p = cf_out_reserve(out, len);
    if (p == NULL && len > 0) return 99;
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)(((const unsigned char *)in)[i] + 1);
    return 0;
}

/* The byte at offset i of the pattern lt_gen writes. */
static inline unsigned char lt_pattern(size_t i) {
    return (unsigned char)((i * 31u + (i >> 11)) & 0xff);
}

/* Input: decimal n. Output: n bytes of lt_pattern. */
static inline int lt_gen(const void *in, size_t len, cf_out *out) {
    size_t n = (size_t)lt_in_long(in, len);
    unsigned char *p = cf_out_reserve(out, n);
    if (p == NULL && n > 0) return 99;
    for (size_t i = 0; i < n; i++)
        p[i] = lt_pattern(i);
    return 0;
}

/* Initializer bookkeeping: calls in this process, and per worker thread. */
static atomic_int lt_init_calls;
static _Thread_local int lt_tl_init_calls;
static _Thread_local void *lt_tl_init_arg;

static inline int lt_init_ok(void *arg) {
    atomic_fetch_add(&lt_init_calls, 1);
    lt_tl_init_calls++;
    lt_tl_init_arg = arg;
    return 0;
}

static inline int lt_init_fail(void *arg) {
    (void)arg;
    atomic_fetch_add(&lt_init_calls, 1);
    return -1;
}

/* Output: "calls arg" as seen by the worker running it: how often the
 * initializer ran in this worker and the argument it was given. */
static inline int lt_initinfo(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    return lt_out_printf(out, "%d %p", lt_tl_init_calls, lt_tl_init_arg) == 0 ? 0 : 99;
}

static const cf_task *lt_t_echo, *lt_t_fail, *lt_t_sq, *lt_t_sq5, *lt_t_sleep, *lt_t_gate,
    *lt_t_pidfile, *lt_t_whoami, *lt_t_crash, *lt_t_inc, *lt_t_gen, *lt_t_initinfo;

/* A task of a test binary: its name, its function, and where its handle
 * goes. */
typedef struct lt_task_def {
    const cf_task **slot;
    const char *name;
    cf_task_fn fn;
} lt_task_def;

/* Registers the n tasks of `all`, or with `find` looks them up: a second
 * source file of a test binary whose main() registered them fills its own
 * copies of the handles so. Exits if one is refused or missing. */
static inline void lt_task_table(const lt_task_def *all, size_t n, int find) {
    for (size_t i = 0; i < n; i++) {
        *all[i].slot = find ? cf_task_find(all[i].name) : cf_task_register(all[i].name, all[i].fn);
        if (*all[i].slot == NULL) {
            fprintf(stderr, "cannot %s %s\n", find ? "find" : "register", all[i].name);
            exit(1);
        }
    }
}

/* The tasks above, registered or found (lt_task_table). */
static inline void lt_tasks(int find) {
    const lt_task_def all[] = {
        {&lt_t_echo, "lt.echo", lt_echo},
        {&lt_t_fail, "lt.fail", lt_fail},
        {&lt_t_sq, "lt.sq", lt_sq},
        {&lt_t_sq5, "lt.sq5", lt_sq5},
        {&lt_t_sleep, "lt.sleep", lt_sleep},
        {&lt_t_gate, "lt.gate", lt_gate_task},
        {&lt_t_pidfile, "lt.pidfile", lt_pidfile},
        {&lt_t_whoami, "lt.whoami", lt_whoami},
        {&lt_t_crash, "lt.crash", lt_crash},
        {&lt_t_inc, "lt.inc", lt_inc},
        {&lt_t_gen, "lt.gen", lt_gen},
        {&lt_t_initinfo, "lt.initinfo", lt_initinfo},
    };
    lt_task_table(all, sizeof all / sizeof all[0], find);
}

static inline void lt_register_tasks(void) {
    lt_tasks(0);
    /* Started here, the server's socket and pidfd are among the descriptors
     * a test counts before its first pool (a test's fork trades them for
     * its own), whether its pools ask the server (CF_START_FORKSERVER, or
     * CF_START_AUTO beside other threads) or not. */
    if (lt_start_method() != CF_START_FORK && cf_forkserver_start() != 0) {
        fprintf(stderr, "cannot start the fork server\n");
        exit(1);
    }
}

/* ---- gates ------------------------------------------------------------ */

typedef struct lt_gate {
    char dir[64];
    char path[128]; /* the file lt.gate waits for */
} lt_gate;

static inline void lt_gate_init(lt_gate *g) {
    snprintf(g->dir, sizeof g->dir, "/tmp/cftest.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g->dir));
    snprintf(g->path, sizeof g->path, "%s/gate", g->dir);
}

static inline void lt_gate_open(lt_gate *g) {
    int fd = open(g->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(close(fd), 0);
}

/* Removes the gate and whatever a pidfile task left beside it. */
static inline void lt_gate_fini(lt_gate *g) {
    DIR *d = opendir(g->dir);
    if (d != NULL) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "%s/%s", g->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g->dir);
}

/* Submits lt.gate on g (asserting success) and returns the future. */
static inline cf_future *lt_submit_gate(cf_executor *ex, const lt_gate *g) {
    cf_future *f = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_gate, g->path, strlen(g->path), &f), 0);
    ck_assert_ptr_nonnull(f);
    return f;
}

/* ---- small helpers ---------------------------------------------------- */

static inline cf_executor *lt_new(cf_kind kind, int workers) {
    cf_options o = lt_options();
    cf_executor *ex = NULL;
    o.max_workers = workers;
    ck_assert_int_eq(cf_executor_new(kind, &o, &ex), 0);
    ck_assert_ptr_nonnull(ex);
    return ex;
}

/* A process pool with max_tasks_per_child and task_timeout set. */
static inline cf_executor *lt_new_process(int workers, int per_child, double task_timeout) {
    cf_options o = lt_options();
    o.max_workers = workers;
    o.max_tasks_per_child = per_child;
    o.task_timeout = task_timeout;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(CF_PROCESS, &o, &ex), 0);
    return ex;
}

/* After a process pool is freed no child of this process may remain,
 * reaped or not (Check runs each test in its own process, so the pool's
 * workers are its only children). */
/* The children of process pid (every thread's), up to max, from /proc. */
static inline int lt_children_of(pid_t pid, pid_t *out, int max) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char cp[300];
        snprintf(cp, sizeof cp, "/proc/%d/task/%.200s/children", (int)pid, e->d_name);
        FILE *fp = fopen(cp, "r");
        long c;
        while (fp && n < max && fscanf(fp, "%ld", &c) == 1)
            out[n++] = (pid_t)c;
        if (fp) fclose(fp);
    }
    if (d) closedir(d);
    return n;
}

/* Process pid's name (/proc/pid/comm), "" if it is gone. */
static inline void lt_comm(pid_t pid, char *buf, size_t cap) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    FILE *fp = fopen(path, "r");
    buf[0] = '\0';
    if (fp && fgets(buf, (int)cap, fp)) buf[strcspn(buf, "\n")] = '\0';
    if (fp) fclose(fp);
}

/* No worker process is left: no child of ours at all (the fork server is
 * not one: its spawn exits), and none of the fork server's children but
 * its spares (not yet workers). */
static inline void lt_expect_no_children(void) {
    int st;
    errno = 0;
    ck_assert_int_eq(waitpid(-1, &st, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
    pid_t server = (pid_t)cf_forkserver_pid(), kids[64];
    int n = server > 0 ? lt_children_of(server, kids, 64) : 0;
    for (int i = 0; i < n; i++) {
        char name[32];
        lt_comm(kids[i], name, sizeof name);
        /* a spare is named cf-spare once it runs, cf-forkserver before */
        ck_assert_msg(!strcmp(name, "cf-spare") || !strcmp(name, "cf-forkserver") || !name[0],
                      "worker %d (%s) is left", (int)kids[i], name);
    }
}

/* Reads the pid a lt.pidfile task wrote at path, once it is there. */
static inline pid_t lt_read_pidfile(const char *path) {
    ck_assert_msg(LT_POLL(access(path, F_OK) == 0, 10.0), "no pid file");
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    long pid = 0;
    ck_assert_int_eq(fscanf(fp, "%ld", &pid), 1);
    fclose(fp);
    ck_assert_int_gt(pid, 1);
    return (pid_t)pid;
}

static inline cf_future *lt_submit_str(cf_executor *ex, const cf_task *t, const char *s) {
    cf_future *f = NULL;
    ck_assert_int_eq(cf_submit(ex, t, s, strlen(s), &f), 0);
    ck_assert_ptr_nonnull(f);
    return f;
}

/* Waits for f and asserts it succeeded with output `want`. */
static inline void lt_expect_result(cf_future *f, const char *want) {
    const void *data = NULL;
    size_t len = 0;
    int rc = cf_future_result(f, 20.0, &data, &len);
    if (rc == CF_ETASK) {
        const char *msg = NULL;
        int st = cf_future_error(f, &msg);
        ck_abort_msg("task failed: status %d, message '%s'", st, msg);
    }
    ck_assert_msg(rc == 0, "result: %s (%d)", cf_err_name(rc), rc);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq((const char *)data, want);
}

/* Entries in /proc/self/fd, which counts this process's open descriptors. */
static inline int lt_count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

static inline int lt_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
    return CPU_COUNT(&set);
}

/* Runs a suite and turns its result into main()'s exit status. */
static inline int lt_run_suite(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}

#endif
