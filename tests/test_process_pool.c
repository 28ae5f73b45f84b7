/* test_process_pool.c -- the process pool: bytes across the process
 * boundary, dying workers (broken pool, no hang, no zombie, no leaked
 * descriptor), max_tasks_per_child, task_timeout, and forking while the
 * caller's other threads hold locks. */
#include "lib_check.h"

#define MIB (1u << 20)

START_TEST(test_one_mib_crosses_both_ways) {
    int fds = lt_count_fds();
    cf_executor *ex = lt_new_process(2, 0, 0);
    unsigned char *in = malloc(MIB);
    ck_assert_ptr_nonnull(in);
    for (size_t i = 0; i < MIB; i++)
        in[i] = lt_pattern(i);
    cf_future *inc = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_inc, in, MIB, &inc), 0);
    char n[16];
    snprintf(n, sizeof n, "%u", MIB);
    cf_future *gen = lt_submit_str(ex, lt_t_gen, n);

    const void *data;
    size_t len;
    ck_assert_int_eq(cf_future_result(inc, 20.0, &data, &len), 0);
    ck_assert_uint_eq(len, MIB);
    const unsigned char *p = data;
    for (size_t i = 0; i < MIB; i++)
        if (p[i] != (unsigned char)(in[i] + 1))
            ck_abort_msg("byte %zu: got %u want %u", i, p[i], in[i] + 1u);
    ck_assert_int_eq(cf_future_result(gen, 20.0, &data, &len), 0);
    ck_assert_uint_eq(len, MIB);
    ck_assert_mem_eq(data, in, MIB);
    free(in);
    cf_future_free(inc);
    cf_future_free(gen);
    cf_executor_free(ex);
    lt_expect_no_children();
    ck_assert_int_eq(lt_count_fds(), fds);
}
END_TEST

START_TEST(test_task_error_crosses_boundary) {
    cf_executor *ex = lt_new_process(2, 0, 0);
    cf_future *f = lt_submit_str(ex, lt_t_fail, "far away");
    ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_ETASK);
    const char *msg;
    ck_assert_int_eq(cf_future_error(f, &msg), 7);
    ck_assert_str_eq(msg, "failed on 'far away'");
    /* The pool is not broken by a task that fails normally. */
    cf_future *g = lt_submit_str(ex, lt_t_echo, "still here");
    lt_expect_result(g, "still here");
    cf_future_free(f);
    cf_future_free(g);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_tasks_run_in_other_processes) {
    cf_executor *ex = lt_new_process(2, 0, 0);
    for (int i = 0; i < 10; i++) {
        cf_future *f = lt_submit_str(ex, lt_t_whoami, "");
        const void *data;
        ck_assert_int_eq(cf_future_result(f, 20.0, &data, NULL), 0);
        long pid;
        int idx;
        ck_assert_int_eq(sscanf(data, "%ld %d", &pid, &idx), 2);
        ck_assert_int_ne(pid, (long)getpid());
        ck_assert(idx >= 0 && idx < 2);
        cf_future_free(f);
    }
    cf_executor_free(ex);
}
END_TEST

/* ---- dying workers ---------------------------------------------------- */

static const char *deaths[] = {"segv", "abort", "exit", "kill", "outside"};

/* One worker is held at a gate that never opens, the other dies in a task,
 * more tasks wait behind them. Everything unfinished fails with CF_EBROKEN
 * and a message, later submits are refused, and freeing the pool returns
 * (the held worker must be stopped) leaving no child and no descriptor. */
START_TEST(test_dying_worker_breaks_pool) {
    const char *how = deaths[_i];
    lt_gate g;
    lt_gate_init(&g);
    int fds = lt_count_fds();
    cf_executor *ex = lt_new_process(2, 0, 0);
    cf_future *held = lt_submit_gate(ex, &g);
    cf_future *dying;
    char pidpath[160];
    if (strcmp(how, "outside") == 0) {
        snprintf(pidpath, sizeof pidpath, "%s/pid", g.dir);
        dying = lt_submit_str(ex, lt_t_pidfile, pidpath);
    } else {
        dying = lt_submit_str(ex, lt_t_crash, how);
    }
    cf_future *after[3];
    for (int i = 0; i < 3; i++) {
        /* The pool may already know it is broken. */
        after[i] = NULL;
        int rc = cf_submit(ex, lt_t_echo, "after", 5, &after[i]);
        ck_assert_msg(rc == 0 || rc == CF_EBROKEN, "submit: %s", cf_err_name(rc));
    }
    if (strcmp(how, "outside") == 0) ck_assert_int_eq(kill(lt_read_pidfile(pidpath), SIGKILL), 0);

    ck_assert_int_eq(cf_future_result(dying, 20.0, NULL, NULL), CF_EBROKEN);
    ck_assert_int_eq(cf_future_outcome(dying), CF_EBROKEN);
    const char *msg = NULL;
    cf_future_error(dying, &msg);
    ck_assert_ptr_nonnull(msg);
    ck_assert_uint_gt(strlen(msg), 0);

    ck_assert_int_eq(cf_future_result(held, 20.0, NULL, NULL), CF_EBROKEN);
    cf_future_error(held, &msg);
    ck_assert_uint_gt(strlen(msg), 0);
    for (int i = 0; i < 3; i++) {
        /* One may have slipped onto the dying worker's queue and run
         * before its neighbour died; none may hang or fail otherwise. */
        if (after[i] == NULL) continue;
        int rc = cf_future_result(after[i], 20.0, NULL, NULL);
        ck_assert_msg(rc == 0 || rc == CF_EBROKEN, "after[%d]: %s", i, cf_err_name(rc));
    }
    cf_future *late = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_echo, "x", 1, &late), CF_EBROKEN);
    cf_executor_free(ex);
    lt_expect_no_children();
    ck_assert_int_eq(lt_count_fds(), fds);
    cf_future_free(held);
    cf_future_free(dying);
    for (int i = 0; i < 3; i++)
        cf_future_free(after[i]);
    lt_gate_fini(&g);
}
END_TEST

/* A broken pool also refuses map. */
START_TEST(test_broken_pool_refuses_map) {
    cf_executor *ex = lt_new_process(1, 0, 0);
    cf_future *f = lt_submit_str(ex, lt_t_crash, "exit");
    ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_EBROKEN);
    const void *data[1] = {"1"};
    size_t len[1] = {1};
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map_array(ex, lt_t_sq, data, len, 1, NULL, &m), CF_EBROKEN);
    cf_future_free(f);
    cf_executor_free(ex);
    lt_expect_no_children();
}
END_TEST

START_TEST(test_normal_lifecycle_leaves_no_child_or_descriptor) {
    int fds = lt_count_fds();
    for (int round = 0; round < 3; round++) {
        cf_executor *ex = lt_new_process(2, 0, 0);
        cf_future *f = lt_submit_str(ex, lt_t_sq, "7");
        lt_expect_result(f, "49");
        cf_future_free(f);
        cf_executor_free(ex);
        lt_expect_no_children();
        ck_assert_int_eq(lt_count_fds(), fds);
    }
}
END_TEST

/* ---- max_tasks_per_child ---------------------------------------------- */

static int count_distinct_pids(cf_future **fs, int n, int workers) {
    long pids[64];
    int distinct = 0;
    ck_assert_int_le(n, 64);
    for (int i = 0; i < n; i++) {
        const void *data;
        ck_assert_int_eq(cf_future_result(fs[i], 20.0, &data, NULL), 0);
        long pid;
        int idx;
        ck_assert_int_eq(sscanf(data, "%ld %d", &pid, &idx), 2);
        ck_assert(idx >= 0 && idx < workers);
        int j;
        for (j = 0; j < distinct; j++)
            if (pids[j] == pid) break;
        if (j == distinct) pids[distinct++] = pid;
    }
    return distinct;
}

START_TEST(test_max_tasks_per_child_replaces_workers) {
    int fds = lt_count_fds();
    cf_executor *ex = lt_new_process(2, 2, 0);
    cf_future *fs[20];
    for (int i = 0; i < 20; i++)
        fs[i] = lt_submit_str(ex, lt_t_whoami, "");
    /* Each process serves at most 2 tasks: at least 10 processes. */
    int distinct = count_distinct_pids(fs, 20, 2);
    ck_assert_int_ge(distinct, 10);
    for (int i = 0; i < 20; i++)
        cf_future_free(fs[i]);
    cf_executor_free(ex);
    lt_expect_no_children();
    ck_assert_int_eq(lt_count_fds(), fds);
}
END_TEST

START_TEST(test_without_max_tasks_workers_are_kept) {
    cf_executor *ex = lt_new_process(2, 0, 0);
    cf_future *fs[20];
    for (int i = 0; i < 20; i++)
        fs[i] = lt_submit_str(ex, lt_t_whoami, "");
    ck_assert_int_le(count_distinct_pids(fs, 20, 2), 2);
    for (int i = 0; i < 20; i++)
        cf_future_free(fs[i]);
    cf_executor_free(ex);
}
END_TEST

/* ---- task_timeout ----------------------------------------------------- */

START_TEST(test_task_timeout_kills_and_replaces_worker) {
    lt_gate g;
    lt_gate_init(&g);
    int fds = lt_count_fds();
    cf_executor *ex = lt_new_process(1, 0, 0.3);
    cf_future *before = lt_submit_str(ex, lt_t_whoami, "");
    const void *data;
    ck_assert_int_eq(cf_future_result(before, 20.0, &data, NULL), 0);
    long pid_before = strtol(data, NULL, 10);

    cf_future *stuck = lt_submit_gate(ex, &g); /* never opened */
    ck_assert_int_eq(cf_future_result(stuck, 20.0, NULL, NULL), CF_ETIMEDOUT);
    ck_assert_int_eq(cf_future_done(stuck), 1);
    ck_assert_int_eq(cf_future_outcome(stuck), CF_ETIMEDOUT);
    const char *msg = NULL;
    cf_future_error(stuck, &msg);
    ck_assert_uint_gt(strlen(msg), 0);

    for (int i = 0; i < 3; i++) {
        cf_future *f = lt_submit_str(ex, lt_t_whoami, "");
        ck_assert_int_eq(cf_future_result(f, 20.0, &data, NULL), 0);
        ck_assert_int_ne(strtol(data, NULL, 10), pid_before);
        cf_future_free(f);
    }
    /* Fast tasks are not affected by the limit. */
    cf_future *ok = lt_submit_str(ex, lt_t_sleep, "50");
    lt_expect_result(ok, "50");
    cf_future_free(ok);
    cf_future_free(before);
    cf_future_free(stuck);
    cf_executor_free(ex);
    lt_expect_no_children();
    ck_assert_int_eq(lt_count_fds(), fds);
    lt_gate_fini(&g);
}
END_TEST

/* Tasks that finished in the worker just before one that hangs keep their
 * results when task_timeout kills that worker: only the hung one fails.
 * (Timing decides whether their answers were still held back in the
 * worker; six fresh pools make a loss show.) */
START_TEST(test_task_timeout_keeps_results_of_tasks_done_before_it) {
    lt_gate g;
    lt_gate_init(&g);
    const cf_task *tasks[] = {lt_t_echo, lt_t_echo, lt_t_fail};
    for (int round = 0; round < 6; round++) {
        cf_executor *ex = lt_new_process(1, 0, 0.2);
        cf_future *fs[3];
        for (int i = 0; i < 3; i++)
            fs[i] = lt_submit_str(ex, tasks[i], "x");
        cf_future *hung = lt_submit_gate(ex, &g); /* never opened */
        ck_assert_int_eq(cf_future_result(hung, 20.0, NULL, NULL), CF_ETIMEDOUT);
        for (int i = 0; i < 3; i++) {
            int rc = cf_future_result(fs[i], 20.0, NULL, NULL);
            ck_assert_msg(rc == (i == 2 ? CF_ETASK : 0), "round %d, task %d: %s", round, i,
                          cf_err_name(rc));
            cf_future_free(fs[i]);
        }
        cf_future_free(hung);
        cf_executor_free(ex);
    }
    lt_expect_no_children();
    lt_gate_fini(&g);
}
END_TEST

/* ---- forking while other threads are busy ----------------------------- */

/* GCC 12's ASan allocator takes no lock around fork(): a child forked while
 * another thread is inside malloc inherits a held allocator lock and hangs
 * at its first malloc. glibc's malloc (plain and TSan builds) is fork-safe,
 * so only ASan builds keep the other threads away from the allocator. */
#if defined(__SANITIZE_ADDRESS__)
#define HAMMER_MALLOC 0
#else
#define HAMMER_MALLOC 1
#endif

typedef struct busy {
    atomic_int stop;
    pthread_mutex_t mu;   /* held often and long by its thread */
    cf_executor *threads; /* a thread pool kept busy at the same time */
} busy;

static void *hammer(void *arg) {
    busy *b = arg;
    char name[32];
    unsigned i = 0;
    while (!atomic_load(&b->stop)) {
        pthread_mutex_lock(&b->mu);
        cf_task_find("lt.echo"); /* the registry's lock, too */
        if (HAMMER_MALLOC) {
            void *p[16];
            for (int k = 0; k < 16; k++)
                p[k] = malloc(16u << (k % 12));
            for (int k = 0; k < 16; k++)
                free(p[k]);
            snprintf(name, sizeof name, "pp.h%u", i++ % 64);
            cf_task_register(name, lt_echo);
            cf_future *f = NULL;
            if (cf_submit(b->threads, lt_t_echo, "h", 1, &f) == 0) {
                cf_future_result(f, 20.0, NULL, NULL);
                cf_future_free(f);
            }
        } else {
            lt_sleep_ms(1); /* hold the lock a while */
        }
        pthread_mutex_unlock(&b->mu);
    }
    return NULL;
}

START_TEST(test_pool_works_while_caller_threads_hold_locks) {
    busy b = {.mu = PTHREAD_MUTEX_INITIALIZER};
    b.threads = lt_new(CF_THREAD, 2);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &b), 0);
    /* A child per task maximises forks while the hammers run. */
    for (int round = 0; round < 3; round++) {
        cf_executor *ex = lt_new_process(2, 1, 0);
        cf_future *fs[8];
        char n[16];
        for (int i = 0; i < 8; i++) {
            snprintf(n, sizeof n, "%d", 1000 * (i + 1));
            fs[i] = lt_submit_str(ex, lt_t_gen, n); /* mallocs in child */
        }
        for (int i = 0; i < 8; i++) {
            const void *data;
            size_t len;
            ck_assert_int_eq(cf_future_result(fs[i], 20.0, &data, &len), 0);
            ck_assert_uint_eq(len, 1000u * (i + 1));
            ck_assert_int_eq(((const unsigned char *)data)[len - 1], lt_pattern(len - 1));
            cf_future_free(fs[i]);
        }
        cf_executor_free(ex);
    }
    atomic_store(&b.stop, 1);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    cf_executor_free(b.threads);
}
END_TEST

/* ---- the start method in a threaded program ---------------------------- */

/* A lock of the program's that a task takes too, held in a tight loop by
 * a thread of the program, 0.3 ms at a time: a worker forked while it is
 * held inherits it held, and its task waits for ever. */
static pthread_mutex_t prog_mu = PTHREAD_MUTEX_INITIALIZER;
static const cf_task *t_takes_lock;

static int takes_lock(const void *in, size_t len, cf_out *out) {
    pthread_mutex_lock(&prog_mu);
    pthread_mutex_unlock(&prog_mu);
    void *p = malloc(64 + len); /* the allocator's locks, too */
    free(p);
    return cf_out_set(out, in, len);
}

static void *hold_prog_lock(void *arg) {
    atomic_int *stop = arg;
    while (!atomic_load(stop)) {
        pthread_mutex_lock(&prog_mu);
        double until = lt_now() + 0.0003;
        while (lt_now() < until) {
        }
        pthread_mutex_unlock(&prog_mu);
    }
    return NULL;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REPLACE_TASKS 300 /* a sanitized fork costs 10-50x more */
#else
#define REPLACE_TASKS 2000
#endif

/* Runs `n` tasks through a pool of 2 that replaces its worker after every
 * task; 1 if all finished within `secs`, 0 if the pool hung (its workers
 * are then killed). */
static int replace_workers(cf_start_method how, int n, double secs, cf_start_method *used) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 2;
    o.max_tasks_per_child = 1;
    o.start_method = how;
    o.fork_warning_off = 1;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(CF_PROCESS, &o, &ex), 0);
    cf_future **fs = calloc((size_t)n, sizeof *fs);
    ck_assert_ptr_nonnull(fs);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(cf_submit(ex, t_takes_lock, "x", 1, &fs[i]), 0);
    int rc = cf_wait(fs, (size_t)n, secs, CF_ALL_COMPLETED, NULL);
    int done = rc == n;
    for (int i = 0; done && i < n; i++)
        done = cf_future_result(fs[i], 0, NULL, NULL) == 0;
    if (used) *used = cf_executor_start_method(ex);
    if (rc != n) cf_executor_kill_workers(ex);
    for (int i = 0; i < n; i++)
        cf_future_free(fs[i]);
    free(fs);
    cf_executor_free(ex);
    return done;
}

START_TEST(test_auto_start_never_forks_into_a_held_lock) {
    atomic_int stop = 0;
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, hold_prog_lock, &stop), 0);
    cf_start_method used = CF_START_AUTO;
    int ok = replace_workers(CF_START_AUTO, REPLACE_TASKS, 40.0, &used);
    /* Forced to fork, the same pool may hang: say how often, assert nothing. */
    int hung = 0, runs = 3;
    for (int r = 0; r < runs; r++)
        hung += !replace_workers(CF_START_FORK, 200, 2.0, NULL);
    printf("test_process_pool: %d tasks, worker replaced after each, beside a thread holding "
           "their lock: auto (%s) finished; forced fork hung %d of %d runs of 200\n",
           REPLACE_TASKS, cf_start_method_name(used), hung, runs);
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    ck_assert_msg(ok, "CF_START_AUTO hung beside a thread holding the tasks' lock");
    ck_assert_str_eq(cf_start_method_name(used), "forkserver");
}
END_TEST

START_TEST(test_auto_start_forks_without_other_threads) {
    cf_start_method used = CF_START_AUTO;
    ck_assert(replace_workers(CF_START_AUTO, 20, 30.0, &used));
    ck_assert_str_eq(cf_start_method_name(used), "fork");
    lt_expect_no_children();
}
END_TEST

/* What a process pool writes to stderr while it is made: fd 2 through a file. */
static void stderr_of_new_pool(cf_options *o, char *buf, size_t n) {
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    fflush(stderr);
    int saved = dup(2);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(fileno(tmp), 2), 2);
    cf_executor *ex = NULL;
    int rc = cf_executor_new(CF_PROCESS, o, &ex);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_int_eq(rc, 0);
    cf_executor_free(ex);
    rewind(tmp);
    size_t got = fread(buf, 1, n - 1, tmp);
    buf[got] = '\0';
    fclose(tmp);
}

START_TEST(test_forced_fork_in_a_threaded_program_warns_once) {
    atomic_int stop = 0;
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, hold_prog_lock, &stop), 0);
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 1;
    o.start_method = CF_START_FORK;
    o.fork_warning_off = _i; /* the loop's second run: silenced */
    char first[1024], second[1024];
    stderr_of_new_pool(&o, first, sizeof first);
    stderr_of_new_pool(&o, second, sizeof second);
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    if (_i) {
        ck_assert_msg(first[0] == '\0', "silenced, yet it wrote: %s", first);
    } else {
        ck_assert_msg(strncmp(first, "cfutures: warning: ", 19) == 0, "no warning: '%s'", first);
        ck_assert_msg(strstr(first, "1 other thread run") != NULL, "%s", first);
        ck_assert_ptr_eq(strchr(first, '\n'), first + strlen(first) - 1); /* one line */
    }
    ck_assert_msg(second[0] == '\0', "warned twice: %s", second);
}
END_TEST

static Suite *process_pool_suite(void) {
    Suite *s = suite_create("process_pool");
    TCase *io = tcase_create("bytes");
    tcase_set_timeout(io, 30);
    tcase_add_test(io, test_one_mib_crosses_both_ways);
    tcase_add_test(io, test_task_error_crosses_boundary);
    tcase_add_test(io, test_tasks_run_in_other_processes);
    suite_add_tcase(s, io);

    TCase *die = tcase_create("broken");
    tcase_set_timeout(die, 30);
    tcase_add_loop_test(die, test_dying_worker_breaks_pool, 0,
                        (int)(sizeof deaths / sizeof deaths[0]));
    tcase_add_test(die, test_broken_pool_refuses_map);
    tcase_add_test(die, test_normal_lifecycle_leaves_no_child_or_descriptor);
    suite_add_tcase(s, die);

    TCase *life = tcase_create("recycling");
    tcase_set_timeout(life, 30);
    tcase_add_test(life, test_max_tasks_per_child_replaces_workers);
    tcase_add_test(life, test_without_max_tasks_workers_are_kept);
    tcase_add_test(life, test_task_timeout_kills_and_replaces_worker);
    tcase_add_test(life, test_task_timeout_keeps_results_of_tasks_done_before_it);
    suite_add_tcase(s, life);

    TCase *fork = tcase_create("fork");
    tcase_set_timeout(fork, 60);
    tcase_add_test(fork, test_pool_works_while_caller_threads_hold_locks);
    tcase_add_test(fork, test_auto_start_never_forks_into_a_held_lock);
    tcase_add_test(fork, test_auto_start_forks_without_other_threads);
    tcase_add_loop_test(fork, test_forced_fork_in_a_threaded_program_warns_once, 0, 2);
    suite_add_tcase(s, fork);
    return s;
}

int main(void) {
    lt_register_tasks();
    t_takes_lock = cf_task_register("pp.takes_lock", takes_lock);
    return lt_run_suite(process_pool_suite());
}
