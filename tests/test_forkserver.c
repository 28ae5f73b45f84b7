/* test_forkserver.c -- process pools with CF_START_FORKSERVER.
 *
 * The workers are forked by the fork server (this test program run again,
 * lib/forkserver.c), not by this process: they see the program as it
 * starts up, get tasks by name, the initializer by address and initarg as
 * bytes, and their exits come back through the server. CPython runs its
 * process pool tests once per start method (ProcessPoolForkserverMixin);
 * `make test` runs the test_conformance_* suites and test_process_pool
 * again with CF_TEST_START_METHOD=forkserver for that, and this file covers
 * what only the fork server has.
 */
#include <sys/mman.h>

#include <sys/resource.h>

#include "lib_check.h"

/* Set in main() after start-up: a fork-server worker never sees the value. */
static int g_set_in_main = 1;

/* Output: g_set_in_main, and whether the parent of this process is the
 * process that made the pool (input: its pid). */
static int t_globals(const void *in, size_t len, cf_out *out) {
    long owner = lt_in_long(in, len);
    return lt_out_printf(out, "%d %s", g_set_in_main, getppid() == owner ? "child" : "other") == 0
               ? 0
               : 99;
}

/* The initializer keeps its argument's bytes; t_initarg returns them. */
static char g_initarg[64];
static int init_copy(void *arg) {
    snprintf(g_initarg, sizeof g_initarg, "%s", (const char *)arg);
    return strcmp(g_initarg, "bad") == 0;
}

static int t_initarg(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    return cf_out_set(out, g_initarg, strlen(g_initarg)) == 0 ? 0 : 99;
}

/* Registered only after the fork server started (see main). */
static int t_late(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    return cf_out_set(out, "late", 4) == 0 ? 0 : 99;
}

static const cf_task *t_t_globals, *t_t_initarg, *t_t_late, *t_t_spin;

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Uses as many milliseconds of CPU as its input names (CPU, not wall
 * time: a loaded machine stretches it, never shortens it). */
static int t_spin(const void *in, size_t len, cf_out *out) {
    double until = cpu_now() + (double)lt_in_long(in, len) / 1000.0;
    while (cpu_now() < until) {
    }
    return cf_out_set(out, "", 0);
}

/* A pool of `kind` with o's settings (workers set here). */
static cf_executor *lt_new_opts(cf_kind kind, int workers, cf_options *o) {
    o->max_workers = workers;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(kind, o, &ex), 0);
    return ex;
}

static cf_executor *fs_pool(int workers, cf_options *o) {
    cf_options d = CF_OPTIONS_INIT;
    if (!o) o = &d;
    o->start_method = CF_START_FORKSERVER;
    return lt_new_opts(CF_PROCESS, workers, o);
}

/* A task submitted to a pool whose initializer failed: refused, if the
 * pool broke first (as Python's), else failed with CF_EBROKEN and the
 * initializer's message. */
static void expect_broken_by_initializer(cf_executor *ex, const cf_task *t, const char *in) {
    cf_future *f = NULL;
    int rc = cf_submit(ex, t, in, strlen(in), &f);
    if (rc != 0) {
        ck_assert_int_eq(rc, CF_EBROKEN);
        return;
    }
    ck_assert_int_eq(cf_future_result(f, 30, NULL, NULL), CF_EBROKEN);
    const char *msg = NULL;
    cf_future_error(f, &msg);
    ck_assert_ptr_nonnull(strstr(msg, "initializer failed"));
    cf_future_free(f);
}

static void expect_str(cf_future *f, const char *want) {
    const void *data;
    size_t len;
    ck_assert_int_eq(cf_future_result(f, 30, &data, &len), 0);
    ck_assert_int_eq((int)len, (int)strlen(want));
    ck_assert_int_eq(memcmp(data, want, len), 0);
}

START_TEST(test_forkserver_map_results) {
    cf_executor *ex = fs_pool(2, NULL);
    char buf[32][8];
    const void *in[32];
    size_t len[32];
    for (int i = 0; i < 32; i++) {
        len[i] = (size_t)snprintf(buf[i], sizeof buf[i], "%d", i);
        in[i] = buf[i];
    }
    cf_map_iter *m = NULL;
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = 3;
    ck_assert_int_eq(cf_map_array(ex, lt_t_sq, in, len, 32, &mo, &m), 0);
    for (int i = 0; i < 32; i++) {
        const void *data;
        size_t n;
        ck_assert_int_eq(cf_map_next(m, &data, &n), 0);
        char want[16];
        snprintf(want, sizeof want, "%d", i * i);
        ck_assert_int_eq((int)n, (int)strlen(want));
        ck_assert_int_eq(memcmp(data, want, n), 0);
    }
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

/* Workers are the server's children and see globals as the program
 * starts, not as this process has changed them. */
START_TEST(test_forkserver_workers_see_the_program_not_the_parent) {
    cf_executor *ex = fs_pool(1, NULL);
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    cf_future *f = lt_submit_str(ex, t_t_globals, pid);
    expect_str(f, "1 other");
    cf_future_free(f);
    cf_executor_free(ex);
    /* The same task forked from here: the parent's value, our child. */
    cf_executor *fx = lt_new(CF_PROCESS, 1);
    f = lt_submit_str(fx, t_t_globals, pid);
    expect_str(f, "2 child");
    cf_future_free(f);
    cf_executor_free(fx);
}
END_TEST

START_TEST(test_forkserver_initarg_crosses_as_bytes) {
    char arg[] = "hello from main";
    cf_options o = CF_OPTIONS_INIT;
    o.initializer = init_copy;
    o.initarg = arg;
    o.initarg_len = sizeof arg;
    cf_executor *ex = fs_pool(2, &o);
    memcpy(arg, "changed after!!", sizeof arg); /* the workers have their copy */
    cf_future *f = lt_submit_str(ex, t_t_initarg, "");
    expect_str(f, "hello from main");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_forkserver_failing_initializer_breaks_pool) {
    char arg[] = "bad";
    cf_options o = CF_OPTIONS_INIT;
    o.initializer = init_copy;
    o.initarg = arg;
    o.initarg_len = sizeof arg;
    cf_executor *ex = fs_pool(1, &o);
    expect_broken_by_initializer(ex, t_t_initarg, "");
    cf_future *f = NULL;
    ck_assert_int_eq(cf_submit(ex, t_t_initarg, "", 0, &f), CF_EBROKEN);
    cf_executor_free(ex);
}
END_TEST

/* An initializer the server's copy of the program cannot have (code made
 * at run time, in no object) fails the pool as a failing one would, never
 * silently skipped. Forked workers have it, and it runs. */
START_TEST(test_forkserver_initializer_in_no_object_breaks_pool) {
#if defined(__x86_64__)
    static const unsigned char ret0[] = {0x31, 0xc0, 0xc3}; /* xor eax,eax; ret */
    void *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(code, MAP_FAILED);
    memcpy(code, ret0, sizeof ret0);
    ck_assert_int_eq(mprotect(code, 4096, PROT_READ | PROT_EXEC), 0);
    cf_options o = CF_OPTIONS_INIT;
    memcpy(&o.initializer, &code, sizeof code);
    o.start_method = CF_START_FORK;
    cf_executor *fx = lt_new_opts(CF_PROCESS, 1, &o);
    cf_future *f = lt_submit_str(fx, lt_t_sq, "2");
    expect_str(f, "4"); /* forked: the code is there */
    cf_future_free(f);
    cf_executor_free(fx);
    cf_executor *ex = fs_pool(1, &o);
    expect_broken_by_initializer(ex, lt_t_sq, "2");
    cf_executor_free(ex);
    munmap(code, 4096);
#endif
}
END_TEST

START_TEST(test_forkserver_bad_options_einval) {
    cf_options o = CF_OPTIONS_INIT;
    cf_executor *ex = NULL;
    char arg[] = "x";
    o.start_method = CF_START_FORKSERVER;
    o.initializer = init_copy;
    o.initarg = arg; /* a pointer with no length cannot cross */
    ck_assert_int_eq(cf_executor_new(CF_PROCESS, &o, &ex), CF_EINVAL);
    o.initarg_len = (64u << 10) + 1;
    ck_assert_int_eq(cf_executor_new(CF_PROCESS, &o, &ex), CF_EINVAL);
    o = (cf_options)CF_OPTIONS_INIT;
    o.start_method = (cf_start_method)7;
    ck_assert_int_eq(cf_executor_new(CF_PROCESS, &o, &ex), CF_EINVAL);
    ck_assert_ptr_null(ex);
}
END_TEST

/* A task registered after the server started still reaches its workers:
 * the registry crosses with every request. */
START_TEST(test_forkserver_task_registered_late) {
    cf_executor *ex = fs_pool(1, NULL);
    cf_future *f = lt_submit_str(ex, t_t_late, "");
    expect_str(f, "late");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* A worker's death reaches the pool through the server, with its cause. */
START_TEST(test_forkserver_worker_death_names_signal) {
    static const struct {
        const char *how, *want;
    } cases[] = {{"kill", "killed by signal 9"}, {"exit", "exited with status 3"}};
    cf_executor *ex = fs_pool(2, NULL);
    cf_future *f = lt_submit_str(ex, lt_t_crash, cases[_i].how);
    ck_assert_int_eq(cf_future_result(f, 30, NULL, NULL), CF_EBROKEN);
    const char *msg = NULL;
    cf_future_error(f, &msg);
    ck_assert_msg(msg && strstr(msg, cases[_i].want), "message: %s", msg ? msg : "(none)");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* max_tasks_per_child: each worker is replaced by a new one from the
 * server, and every task still runs once. */
START_TEST(test_forkserver_max_tasks_per_child_replaces) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_tasks_per_child = 1;
    cf_executor *ex = fs_pool(1, &o);
    long pids[4];
    for (int i = 0; i < 4; i++) {
        cf_future *f = lt_submit_str(ex, lt_t_whoami, "");
        const void *data;
        size_t len;
        ck_assert_int_eq(cf_future_result(f, 30, &data, &len), 0);
        char s[64];
        lt_in_str(data, len, s, sizeof s);
        pids[i] = atol(s);
        cf_future_free(f);
        for (int j = 0; j < i; j++)
            ck_assert_int_ne(pids[i], pids[j]);
    }
    cf_executor_free(ex);
}
END_TEST

/* task_timeout kills the worker (through its pidfd: not our child) and a
 * replacement runs the next task. */
START_TEST(test_forkserver_task_timeout_replaces) {
    cf_options o = CF_OPTIONS_INIT;
    o.task_timeout = 0.2;
    cf_executor *ex = fs_pool(1, &o);
    cf_future *slow = lt_submit_str(ex, lt_t_sleep, "20000");
    cf_future *next = lt_submit_str(ex, lt_t_sq, "7");
    ck_assert_int_eq(cf_future_result(slow, 30, NULL, NULL), CF_ETIMEDOUT);
    expect_str(next, "49");
    cf_future_free(slow);
    cf_future_free(next);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_forkserver_kill_workers) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = fs_pool(2, NULL);
    cf_future *f = lt_submit_gate(ex, &g);
    ck_assert(LT_POLL(cf_future_running(f), 10.0));
    ck_assert_int_eq(cf_executor_kill_workers(ex), 0);
    ck_assert_int_eq(cf_future_result(f, 30, NULL, NULL), CF_EBROKEN);
    cf_future_free(f);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* A fork of this process starts its own server; the parent's still works. */
START_TEST(test_forkserver_fork_starts_its_own) {
    ck_assert_int_eq(cf_forkserver_start(), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cf_options o = CF_OPTIONS_INIT;
        o.max_workers = 1;
        o.start_method = CF_START_FORKSERVER;
        cf_executor *ex = NULL;
        if (cf_executor_new(CF_PROCESS, &o, &ex)) _exit(10);
        cf_future *f = NULL;
        if (cf_submit(ex, lt_t_sq, "3", 1, &f)) _exit(11);
        const void *data;
        size_t len;
        int ok = cf_future_result(f, 30, &data, &len) == 0 && len == 1 && *(const char *)data == '9';
        cf_future_free(f);
        cf_executor_free(ex);
        _exit(ok ? 0 : 12);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 0);
    cf_executor *ex = fs_pool(1, NULL);
    cf_future *f = lt_submit_str(ex, lt_t_sq, "4");
    expect_str(f, "16");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* Shutdown waits for every worker to end: none is left behind, and the
 * server has no child left once the pools are gone. */
START_TEST(test_forkserver_shutdown_leaves_no_worker) {
    cf_executor *ex = fs_pool(3, NULL);
    pid_t pids[3];
    cf_future *fs[3];
    for (int i = 0; i < 3; i++)
        fs[i] = lt_submit_str(ex, lt_t_whoami, "");
    for (int i = 0; i < 3; i++) {
        const void *data;
        size_t len;
        char s[64];
        ck_assert_int_eq(cf_future_result(fs[i], 30, &data, &len), 0);
        lt_in_str(data, len, s, sizeof s);
        pids[i] = (pid_t)atol(s);
        cf_future_free(fs[i]);
    }
    cf_executor_free(ex);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(kill(pids[i], 0) < 0 && errno == ESRCH, "worker %d still there",
                      (int)pids[i]);
}
END_TEST

/* The server is never a zombie child of ours: not our child at all (its
 * spawn exits once it runs), so a killed one is reaped by init, and the
 * next pool gets a new one. */
START_TEST(test_forkserver_killed_server_is_reaped) {
    ck_assert_int_eq(cf_forkserver_start(), 0);
    pid_t server = (pid_t)cf_forkserver_pid();
    ck_assert_int_gt(server, 0);
    int st;
    errno = 0;
    ck_assert_int_eq(waitpid(-1, &st, WNOHANG), -1); /* no child at all */
    ck_assert_int_eq(errno, ECHILD);
    ck_assert_int_eq(kill(server, SIGKILL), 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", (int)server);
    ck_assert_msg(LT_POLL(access(path, F_OK) != 0, 5.0),
                  "the killed fork server %d is still there (a zombie?) after 5 s", (int)server);
    errno = 0;
    ck_assert_int_eq(waitpid(-1, &st, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
    cf_executor *ex = fs_pool(2, NULL);
    cf_future *f = lt_submit_str(ex, lt_t_echo, "again");
    lt_expect_result(f, "again");
    ck_assert_int_ne(cf_forkserver_pid(), server);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* A fork-server worker is the server's child, not ours: the CPU it used
 * reaches us with its exit status, where RUSAGE_CHILDREN cannot see it. */
START_TEST(test_forkserver_workers_cpu_is_relayed) {
    struct rusage before, after;
    ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &before), 0);
    cf_executor *ex = fs_pool(2, NULL);
    cf_future *f[2];
    for (int i = 0; i < 2; i++)
        f[i] = lt_submit_str(ex, t_t_spin, "150");
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(cf_future_result(f[i], 30, NULL, NULL), 0);
        cf_future_free(f[i]);
    }
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    int64_t user = 0, sys = 0;
    ck_assert_int_eq(cf_executor_unseen_cpu(ex, &user, &sys), 0);
    ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &after), 0);
    /* 300 ms of CPU in the tasks alone. */
    ck_assert_msg(user + sys >= 250000000, "relayed %.0f ms of CPU", (double)(user + sys) / 1e6);
    /* Our children's CPU grew by the server's launcher at most (it starts
     * the program, forks the server and exits), not by the spinning. */
    long grew_us = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1000000L +
                   (after.ru_utime.tv_usec - before.ru_utime.tv_usec);
    ck_assert_msg(grew_us < 150000, "RUSAGE_CHILDREN grew %ld us", grew_us);
    cf_executor_free(ex);
    cf_executor *fx = lt_new(CF_THREAD, 1);
    ck_assert_int_eq(cf_executor_unseen_cpu(fx, &user, &sys), 0);
    ck_assert_int_eq(user + sys, 0);
    cf_executor_free(fx);
}
END_TEST

static Suite *forkserver_suite(void) {
    Suite *s = suite_create("forkserver");
    TCase *tc = tcase_create("forkserver");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_forkserver_map_results);
    tcase_add_test(tc, test_forkserver_workers_see_the_program_not_the_parent);
    tcase_add_test(tc, test_forkserver_initarg_crosses_as_bytes);
    tcase_add_test(tc, test_forkserver_failing_initializer_breaks_pool);
    tcase_add_test(tc, test_forkserver_initializer_in_no_object_breaks_pool);
    tcase_add_test(tc, test_forkserver_bad_options_einval);
    tcase_add_test(tc, test_forkserver_task_registered_late);
    tcase_add_loop_test(tc, test_forkserver_worker_death_names_signal, 0, 2);
    tcase_add_test(tc, test_forkserver_max_tasks_per_child_replaces);
    tcase_add_test(tc, test_forkserver_task_timeout_replaces);
    tcase_add_test(tc, test_forkserver_kill_workers);
    tcase_add_test(tc, test_forkserver_fork_starts_its_own);
    tcase_add_test(tc, test_forkserver_shutdown_leaves_no_worker);
    tcase_add_test(tc, test_forkserver_killed_server_is_reaped);
    tcase_add_test(tc, test_forkserver_workers_cpu_is_relayed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    lt_register_tasks();
    t_t_globals = cf_task_register("fs.globals", t_globals);
    t_t_initarg = cf_task_register("fs.initarg", t_initarg);
    t_t_spin = cf_task_register("fs.spin", t_spin);
    if (!t_t_globals || !t_t_initarg || cf_forkserver_start() != 0) {
        fprintf(stderr, "test_forkserver: setup failed\n");
        return 1;
    }
    t_t_late = cf_task_register("fs.late", t_late); /* after the server started */
    g_set_in_main = 2;
    return lt_run_suite(forkserver_suite());
}
