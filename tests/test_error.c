/* test_error.c -- lib/error.c's codes, and the header's error contract:
 * every documented error path of every public call returns the code
 * cfutures.h says, and system errors come back as -errno. */
#include <math.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "lib_check.h"

/* Asserts that `call` returns `want`, naming both on failure. */
#define EXPECT(call, want)                                                                         \
    do {                                                                                           \
        int got_ = (call);                                                                         \
        ck_assert_msg(got_ == (want), "%s: %s (%d), want %s", #call, cf_err_name(got_), got_,      \
                      cf_err_name(want));                                                          \
    } while (0)

/* ---- the codes -------------------------------------------------------- */

static const struct {
    int code;
    const char *name, *text;
} codes[] = {
#define XX(name, value, text) {name, #name, text},
    CF_ERRNO_MAP(XX)
#undef XX
};
#define NCODES (sizeof codes / sizeof codes[0])

START_TEST(test_every_code_has_its_name_and_text) {
    ck_assert_uint_ge(NCODES, 13);
    for (size_t i = 0; i < NCODES; i++) {
        ck_assert_str_eq(cf_err_name(codes[i].code), codes[i].name);
        ck_assert_str_eq(cf_strerror(codes[i].code), codes[i].text);
        ck_assert_int_lt(codes[i].code, -4000); /* beyond every errno */
    }
}
END_TEST

START_TEST(test_codes_names_and_texts_are_distinct) {
    for (size_t i = 0; i < NCODES; i++)
        for (size_t j = 0; j < i; j++) {
            ck_assert_int_ne(codes[i].code, codes[j].code);
            ck_assert_str_ne(codes[i].name, codes[j].name);
            ck_assert_str_ne(cf_strerror(codes[i].code), cf_strerror(codes[j].code));
        }
}
END_TEST

START_TEST(test_negative_errno_is_named_and_described) {
    ck_assert_str_eq(cf_err_name(-ENOENT), "ENOENT");
    ck_assert_str_eq(cf_err_name(-EMFILE), "EMFILE");
    ck_assert_str_eq(cf_strerror(-ENOENT), strerror(ENOENT));
    ck_assert_str_eq(cf_err_name(0), "OK");
    ck_assert_str_eq(cf_strerror(0), "success");
}
END_TEST

START_TEST(test_unknown_code_still_gives_text) {
    int odd[] = {-99999, 12345, -4099, -4000, -4012};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        ck_assert_ptr_nonnull(cf_strerror(odd[i]));
        ck_assert_ptr_nonnull(cf_err_name(odd[i]));
    }
    ck_assert_str_eq(cf_err_name(-4012), "UNKNOWN"); /* the retired CF_EPROTO */
}
END_TEST

/* ---- tasks ------------------------------------------------------------ */

START_TEST(test_task_register_refuses_bad_arguments_with_null) {
    ck_assert_ptr_null(cf_task_register(NULL, lt_echo));
    ck_assert_ptr_null(cf_task_register("", lt_echo));
    ck_assert_ptr_null(cf_task_register("err.nofn", NULL));
    ck_assert_ptr_null(cf_task_register("lt.echo", lt_fail)); /* taken by another fn */
    ck_assert_ptr_null(cf_task_find(NULL));
    ck_assert_ptr_null(cf_task_find("err.never"));
}
END_TEST

/* Output: "set reserve" as the two calls answered an input too big. */
static int out_too_big(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    int set = cf_out_set(out, "", (size_t)CF_MAX_BYTES + 1);
    int reserved = cf_out_reserve(out, (size_t)CF_MAX_BYTES + 1) != NULL;
    return lt_out_printf(out, "%d %d", set, reserved) == 0 ? 0 : 99;
}
static const cf_task *t_out_too_big;

START_TEST(test_out_set_and_reserve_refuse_too_big) {
    cf_executor *ex = lt_new(CF_SEQUENTIAL, 1);
    cf_future *f = lt_submit_str(ex, t_out_too_big, "");
    char want[32];
    snprintf(want, sizeof want, "%d 0", CF_ETOOBIG);
    lt_expect_result(f, want);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* ---- executors -------------------------------------------------------- */

START_TEST(test_executor_new_refuses_bad_options_with_einval) {
    cf_executor *ex = (cf_executor *)&ex;
    EXPECT(cf_executor_new(CF_THREAD, NULL, NULL), CF_EINVAL);
    EXPECT(cf_executor_new((cf_kind)9, NULL, &ex), CF_EINVAL);
    ck_assert_ptr_null(ex);
    EXPECT(cf_executor_new(CF_MPI, NULL, &ex), CF_EINVAL); /* libcfutures_mpi not linked */
    static const char arg[] = "x";
    for (int bad = 0; bad < 10; bad++) {
        cf_options o = CF_OPTIONS_INIT;
        switch (bad) {
        case 0: o.max_workers = -1; break;
        case 1: o.max_workers = 4097; break;
        case 2: o.max_tasks_per_child = -1; break;
        case 3: o.task_timeout = NAN; break;
        case 4: o.gil_interval = -1; break;
        case 5: o.gil_interval = NAN; break;
        case 6: o.start_method = (cf_start_method)7; break;
        case 7: o.initarg_len = (64u << 10) + 1; break;
        case 8:
            o.start_method = CF_START_FORKSERVER;
            o.initarg = (void *)arg;
            break;
        case 9: o.start_method = (cf_start_method)-1; break;
        }
        EXPECT(cf_executor_new(CF_PROCESS, &o, &ex), CF_EINVAL);
        ck_assert_ptr_null(ex);
    }
}
END_TEST

/* Runs `fn` in a child with at most `nofile` descriptors; the child's exit
 * status is fn's result negated (a code is negative). */
static int with_nofile(rlim_t nofile, int (*fn)(void)) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit rl = {nofile, nofile};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(255);
        int r = fn();
        _exit(r <= 0 && r > -255 ? -r : 254);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    ck_assert_int_ne(WEXITSTATUS(st), 255);
    return -WEXITSTATUS(st);
}

static int new_process_pool(void) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 64; /* two pipes each: more than the descriptors left */
    o.start_method = CF_START_FORK;
    cf_executor *ex = NULL;
    int r = cf_executor_new(CF_PROCESS, &o, &ex);
    if (r == 0 || ex) return 1;
    return r;
}

static int start_forkserver(void) {
    return cf_forkserver_start();
}

START_TEST(test_system_errors_come_back_as_negative_errno) {
    int fds = lt_count_fds();
    EXPECT(with_nofile((rlim_t)fds + 8, new_process_pool), -EMFILE);
    EXPECT(with_nofile(3, start_forkserver), -EMFILE); /* stdio only: no new descriptor */
}
END_TEST

static cf_executor *own_pool; /* the pool the task below runs in */

/* Output: what shutting its own pool down with wait gave. */
static int shutdown_own_pool(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    return lt_out_printf(out, "%d", cf_executor_shutdown(own_pool, 1, 0)) == 0 ? 0 : 99;
}
static const cf_task *t_shutdown_own;

static void shutdown_on_manager(cf_future *f, void *arg) {
    (void)f;
    atomic_store((atomic_int *)arg, cf_executor_shutdown(own_pool, 1, 0)); /* read by the test */
}

START_TEST(test_executor_shutdown_refuses_null_and_own_threads) {
    EXPECT(cf_executor_shutdown(NULL, 1, 0), CF_EINVAL);
    char want[16];
    snprintf(want, sizeof want, "%d", CF_EDEADLK);
    own_pool = lt_new(CF_THREAD, 1);
    cf_future *f = lt_submit_str(own_pool, t_shutdown_own, "");
    lt_expect_result(f, want);
    cf_future_free(f);
    cf_executor_free(own_pool);

    /* A done callback runs on a process pool's manager thread. */
    own_pool = lt_new(CF_PROCESS, 1);
    cf_future *g = NULL;
    EXPECT(cf_submit(own_pool, lt_t_sleep, "200", 3, &g), 0);
    atomic_int got = 1;
    EXPECT(cf_future_add_done_callback(g, shutdown_on_manager, &got), 0);
    EXPECT(cf_future_wait(g, CF_FOREVER), 0);
    ck_assert(LT_POLL(atomic_load(&got) != 1, 5));
    EXPECT(atomic_load(&got), CF_EDEADLK);
    cf_future_free(g);
    cf_executor_free(own_pool);
}
END_TEST

START_TEST(test_terminate_and_kill_refuse_null_and_other_kinds) {
    EXPECT(cf_executor_terminate_workers(NULL), CF_EINVAL);
    EXPECT(cf_executor_kill_workers(NULL), CF_EINVAL);
    cf_kind kinds[] = {CF_SEQUENTIAL, CF_THREAD};
    for (size_t i = 0; i < 2; i++) {
        cf_executor *ex = lt_new(kinds[i], 1);
        EXPECT(cf_executor_terminate_workers(ex), CF_EINVAL);
        EXPECT(cf_executor_kill_workers(ex), CF_EINVAL);
        cf_executor_free(ex);
    }
    cf_executor *ex = lt_new(CF_PROCESS, 1);
    EXPECT(cf_executor_kill_workers(ex), 0);
    cf_executor_free(ex);
}
END_TEST

/* ---- submit and futures ----------------------------------------------- */

START_TEST(test_submit_error_paths) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = (cf_future *)&f;
    EXPECT(cf_submit(ex, lt_t_echo, "", 0, NULL), CF_EINVAL);
    EXPECT(cf_submit(NULL, lt_t_echo, "", 0, &f), CF_EINVAL);
    ck_assert_ptr_null(f);
    EXPECT(cf_submit(ex, NULL, "", 0, &f), CF_EINVAL);
    EXPECT(cf_submit(ex, lt_t_echo, NULL, 1, &f), CF_EINVAL);
    EXPECT(cf_submit(ex, lt_t_echo, "", (size_t)CF_MAX_BYTES + 1, &f), CF_ETOOBIG);
    EXPECT(cf_executor_shutdown(ex, 1, 0), 0);
    EXPECT(cf_submit(ex, lt_t_echo, "", 0, &f), CF_ESHUTDOWN);
    ck_assert_ptr_null(f);
    cf_executor_free(ex);

    cf_options o = lt_options();
    o.max_workers = 1;
    o.initializer = lt_init_fail;
    ck_assert_int_eq(cf_executor_new(lt_kinds[_i], &o, &ex), 0);
    /* A pool learns of its initializer's failure from its worker. */
    int r = 0;
    for (int tries = 0; tries < 1000 && (r = cf_submit(ex, lt_t_echo, "", 0, &f)) == 0; tries++) {
        cf_future_wait(f, CF_FOREVER);
        cf_future_free(f);
        lt_sleep_ms(10);
    }
    EXPECT(r, CF_EBROKEN);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_future_result_and_wait_error_paths) {
    EXPECT(cf_future_result(NULL, 0, NULL, NULL), CF_EINVAL);
    EXPECT(cf_future_wait(NULL, 0), CF_EINVAL);
    cf_future *f = NULL;
    EXPECT(cf_future_new(&f), 0);
    EXPECT(cf_future_result(f, NAN, NULL, NULL), CF_EINVAL);
    EXPECT(cf_future_wait(f, NAN), CF_EINVAL);
    EXPECT(cf_future_result(f, 0, NULL, NULL), CF_ETIMEDOUT);
    EXPECT(cf_future_wait(f, 0.01), CF_ETIMEDOUT);
    EXPECT(cf_future_outcome(f), CF_EINVAL); /* not done */
    EXPECT(cf_future_outcome(NULL), CF_EINVAL);
    cf_times t;
    EXPECT(cf_future_times(f, &t), CF_EINVAL);
    EXPECT(cf_future_times(NULL, &t), CF_EINVAL);
    EXPECT(cf_future_times(f, NULL), CF_EINVAL);
    EXPECT(cf_future_cancel(f), 1);
    EXPECT(cf_future_result(f, 0, NULL, NULL), CF_ECANCELLED);
    EXPECT(cf_future_cancel(NULL), 0);
    cf_future_free(f);

    cf_executor *ex = lt_new(CF_THREAD, 1);
    f = lt_submit_str(ex, lt_t_fail, "x");
    EXPECT(cf_future_result(f, CF_FOREVER, NULL, NULL), CF_ETASK);
    EXPECT(cf_future_error(f, NULL), 7);
    EXPECT(cf_future_cancel(f), 0); /* done */
    cf_future_free(f);
    cf_executor_free(ex);

    ex = lt_new_process(1, 0, 0.2);
    f = lt_submit_str(ex, lt_t_sleep, "3000");
    EXPECT(cf_future_result(f, CF_FOREVER, NULL, NULL), CF_ETIMEDOUT);
    ck_assert(cf_future_done(f));
    cf_future_free(f);
    f = lt_submit_str(ex, lt_t_crash, "exit");
    EXPECT(cf_future_result(f, CF_FOREVER, NULL, NULL), CF_EBROKEN);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* What the task below waits for. Atomic: the worker reads it after a file
 * gate opens, which orders nothing that TSan can see. */
static _Atomic(cf_future *) waits_on;

/* Output: what waiting, from the pool's one worker, on a future queued
 * behind it gave: result, wait, cf_wait, as_completed_next. */
static int wait_on_queued(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    cf_as_completed *it = NULL;
    cf_future *f = atomic_load(&waits_on);
    int a = cf_future_result(f, CF_FOREVER, NULL, NULL);
    int b = cf_future_wait(f, CF_FOREVER);
    int c = cf_wait(&f, 1, CF_FOREVER, CF_ALL_COMPLETED, NULL);
    int d = cf_as_completed_new(&f, 1, CF_FOREVER, &it);
    if (d == 0) d = cf_as_completed_next(it, NULL, NULL);
    cf_as_completed_free(it);
    return lt_out_printf(out, "%d %d %d %d", a, b, c, d) == 0 ? 0 : 99;
}
static const cf_task *t_wait_on_queued;

START_TEST(test_waits_that_cannot_finish_give_edeadlk) {
    cf_executor *ex = lt_new(CF_THREAD, 1);
    lt_gate g;
    lt_gate_init(&g);
    cf_future *hold = lt_submit_gate(ex, &g); /* keeps the worker until both are queued */
    cf_future *waiter = lt_submit_str(ex, t_wait_on_queued, "");
    cf_future *f = lt_submit_str(ex, lt_t_echo, "x");
    atomic_store(&waits_on, f);
    lt_gate_open(&g);
    char want[64];
    snprintf(want, sizeof want, "%d %d %d %d", CF_EDEADLK, CF_EDEADLK, CF_EDEADLK, CF_EDEADLK);
    lt_expect_result(waiter, want);
    lt_expect_result(f, "x");
    cf_future_free(hold);
    cf_future_free(waiter);
    cf_future_free(f);
    lt_gate_fini(&g);
    cf_executor_free(ex);
}
END_TEST

static void nothing(cf_future *f, void *arg) {
    (void)f, (void)arg;
}

START_TEST(test_futures_without_executor_error_paths) {
    EXPECT(cf_future_new(NULL), CF_EINVAL);
    EXPECT(cf_future_set_running_or_notify_cancel(NULL), CF_EINVAL);
    EXPECT(cf_future_set_result(NULL, "", 0), CF_EINVAL);
    EXPECT(cf_future_set_error(NULL, 1, NULL), CF_EINVAL);
    EXPECT(cf_future_add_done_callback(NULL, nothing, NULL), CF_EINVAL);
    cf_future *f = NULL;
    EXPECT(cf_future_new(&f), 0);
    EXPECT(cf_future_add_done_callback(f, NULL, NULL), CF_EINVAL);
    EXPECT(cf_future_set_result(f, NULL, 1), CF_EINVAL);
    EXPECT(cf_future_set_result(f, "", (size_t)CF_MAX_BYTES + 1), CF_ETOOBIG);
    EXPECT(cf_future_set_error(f, 0, "none"), CF_EINVAL);
    EXPECT(cf_future_set_running_or_notify_cancel(f), 1);
    EXPECT(cf_future_set_running_or_notify_cancel(f), CF_ESTATE);
    EXPECT(cf_future_set_result(f, "ok", 2), 0);
    EXPECT(cf_future_set_result(f, "ok", 2), CF_ESTATE);
    EXPECT(cf_future_set_error(f, 1, NULL), CF_ESTATE);
    cf_future_free(f);
    EXPECT(cf_future_new(&f), 0);
    EXPECT(cf_future_cancel(f), 1);
    EXPECT(cf_future_set_running_or_notify_cancel(f), 0);
    cf_future_free(f);
}
END_TEST

/* ---- waiting on many, map --------------------------------------------- */

START_TEST(test_wait_and_as_completed_error_paths) {
    cf_future *f = NULL, *none = NULL;
    EXPECT(cf_future_new(&f), 0);
    EXPECT(cf_wait(NULL, 1, 0, CF_ALL_COMPLETED, NULL), CF_EINVAL);
    EXPECT(cf_wait(&none, 1, 0, CF_ALL_COMPLETED, NULL), CF_EINVAL);
    EXPECT(cf_wait(&f, 1, NAN, CF_ALL_COMPLETED, NULL), CF_EINVAL);
    EXPECT(cf_wait(&f, 1, 0, (cf_return_when)7, NULL), CF_EINVAL);
    EXPECT(cf_wait(&f, 1, 0, CF_ALL_COMPLETED, NULL), 0); /* a count: none done */
    cf_as_completed *it = NULL;
    EXPECT(cf_as_completed_new(&f, 1, 0, NULL), CF_EINVAL);
    EXPECT(cf_as_completed_new(NULL, 1, 0, &it), CF_EINVAL);
    EXPECT(cf_as_completed_new(&none, 1, 0, &it), CF_EINVAL);
    EXPECT(cf_as_completed_new(&f, 1, NAN, &it), CF_EINVAL);
    EXPECT(cf_as_completed_next(NULL, NULL, NULL), CF_EINVAL);
    EXPECT(cf_as_completed_new(&f, 1, 0.01, &it), 0);
    EXPECT(cf_as_completed_next(it, NULL, NULL), CF_ETIMEDOUT);
    EXPECT(cf_future_set_result(f, "", 0), 0);
    EXPECT(cf_as_completed_next(it, NULL, NULL), 0);
    EXPECT(cf_as_completed_next(it, NULL, NULL), CF_EOF);
    cf_as_completed_free(it);
    cf_future_free(f);
}
END_TEST

/* Inputs "0", "1", then the error -77 (or, with arg, one too big). */
static int two_then_fail(void *arg, size_t i, const void **data, size_t *len) {
    static const char *in[] = {"0", "1"};
    if (i < 2) {
        *data = in[i];
        *len = 1;
        return 0;
    }
    if (!arg) return -77;
    *data = "";
    *len = (size_t)CF_MAX_BYTES + 1;
    return 0;
}

START_TEST(test_map_error_paths) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_map_iter *m = (cf_map_iter *)&m;
    cf_map_options o = CF_MAP_OPTIONS_INIT;
    EXPECT(cf_map(ex, lt_t_echo, two_then_fail, NULL, NULL, NULL), CF_EINVAL);
    EXPECT(cf_map(NULL, lt_t_echo, two_then_fail, NULL, NULL, &m), CF_EINVAL);
    ck_assert_ptr_null(m);
    EXPECT(cf_map(ex, NULL, two_then_fail, NULL, NULL, &m), CF_EINVAL);
    EXPECT(cf_map(ex, lt_t_echo, NULL, NULL, NULL, &m), CF_EINVAL);
    o.chunksize = -1;
    EXPECT(cf_map(ex, lt_t_echo, two_then_fail, NULL, &o, &m), CF_EINVAL);
    o = (cf_map_options)CF_MAP_OPTIONS_INIT;
    o.buffersize = -1;
    EXPECT(cf_map(ex, lt_t_echo, two_then_fail, NULL, &o, &m), CF_EINVAL);
    o = (cf_map_options)CF_MAP_OPTIONS_INIT;
    o.timeout = NAN;
    EXPECT(cf_map(ex, lt_t_echo, two_then_fail, NULL, &o, &m), CF_EINVAL);
    EXPECT(cf_map_array(ex, lt_t_echo, NULL, NULL, 1, NULL, &m), CF_EINVAL);
    EXPECT(cf_map_next(NULL, NULL, NULL), CF_EINVAL);
    EXPECT(cf_map_times(NULL, NULL), CF_EINVAL);

    /* Errors reading the inputs come after the results before them. */
    int bad[] = {-77, CF_ETOOBIG};
    for (int k = 0; k < 2; k++) {
        EXPECT(cf_map(ex, lt_t_echo, two_then_fail, k ? "big" : NULL, NULL, &m), 0);
        EXPECT(cf_map_next(m, NULL, NULL), 0);
        EXPECT(cf_map_next(m, NULL, NULL), 0);
        EXPECT(cf_map_next(m, NULL, NULL), bad[k]);
        EXPECT(cf_map_next(m, NULL, NULL), CF_EOF);
        cf_times t;
        EXPECT(cf_map_times(m, NULL), CF_EINVAL);
        EXPECT(cf_map_times(m, &t), 0);
        cf_map_free(m);
    }
    EXPECT(cf_executor_shutdown(ex, 1, 0), 0);
    EXPECT(cf_map(ex, lt_t_echo, two_then_fail, NULL, NULL, &m), CF_ESHUTDOWN);
    cf_executor_free(ex);
}
END_TEST

/* ---- out of memory ---------------------------------------------------- */

/* Under a sanitizer the address space limit below would stop the
 * sanitizer itself. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LT_NO_RLIMIT_AS 1
#endif

/* In a child whose address space cannot grow by CF_MAX_BYTES: calls that
 * must copy that many bytes. Returns a bit per call that gave CF_ENOMEM. */
static int copies_fail(void) {
    const void *src = mmap(NULL, CF_MAX_BYTES, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (src == MAP_FAILED) return -1;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0) return -1;
    FILE *fp = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!fp || fscanf(fp, "%lu", &pages) != 1) return -1;
    fclose(fp);
    rlim_t now = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
    rl.rlim_cur = now + (16u << 20);
    if (setrlimit(RLIMIT_AS, &rl) != 0) return -1;
    int bits = 0;
    cf_executor *ex = NULL;
    if (cf_executor_new(CF_SEQUENTIAL, NULL, &ex) != 0) return -1;
    cf_future *f = NULL;
    bits |= (cf_submit(ex, lt_t_echo, src, CF_MAX_BYTES, &f) == CF_ENOMEM) << 0;
    cf_executor_free(ex);
    if (cf_future_new(&f) != 0) return -1;
    bits |= (cf_future_set_result(f, src, CF_MAX_BYTES) == CF_ENOMEM) << 1;
    cf_future_free(f);
    return bits;
}

START_TEST(test_copies_that_cannot_be_made_give_enomem) {
#ifdef LT_NO_RLIMIT_AS
    return;
#endif
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) _exit(copies_fail() & 0x7f);
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 3);
}
END_TEST

static Suite *error_suite(void) {
    Suite *s = suite_create("error");
    TCase *codes_tc = tcase_create("codes");
    tcase_add_test(codes_tc, test_every_code_has_its_name_and_text);
    tcase_add_test(codes_tc, test_codes_names_and_texts_are_distinct);
    tcase_add_test(codes_tc, test_negative_errno_is_named_and_described);
    tcase_add_test(codes_tc, test_unknown_code_still_gives_text);
    suite_add_tcase(s, codes_tc);

    TCase *c = tcase_create("contract");
    tcase_set_timeout(c, 60);
    tcase_add_test(c, test_task_register_refuses_bad_arguments_with_null);
    tcase_add_test(c, test_out_set_and_reserve_refuse_too_big);
    tcase_add_test(c, test_executor_new_refuses_bad_options_with_einval);
    tcase_add_test(c, test_system_errors_come_back_as_negative_errno);
    tcase_add_test(c, test_executor_shutdown_refuses_null_and_own_threads);
    tcase_add_test(c, test_terminate_and_kill_refuse_null_and_other_kinds);
    LT_ALL_KINDS(c, test_submit_error_paths);
    tcase_add_test(c, test_future_result_and_wait_error_paths);
    tcase_add_test(c, test_waits_that_cannot_finish_give_edeadlk);
    tcase_add_test(c, test_futures_without_executor_error_paths);
    tcase_add_test(c, test_wait_and_as_completed_error_paths);
    LT_ALL_KINDS(c, test_map_error_paths);
    tcase_add_test(c, test_copies_that_cannot_be_made_give_enomem);
    suite_add_tcase(s, c);
    return s;
}

int main(void) {
    lt_register_tasks();
    t_out_too_big = cf_task_register("err.out_too_big", out_too_big);
    t_shutdown_own = cf_task_register("err.shutdown_own", shutdown_own_pool);
    t_wait_on_queued = cf_task_register("err.wait_on_queued", wait_on_queued);
    return lt_run_suite(error_suite());
}
