/* test_mpi_pool.c -- the MPI executor (lib/mpi/mpi_pool.c): the whole API on
 * CF_MPI, the same results as the sequential executor, the task-name check,
 * the initializer, cancel of work a worker holds (after a warm-up that
 * makes the pool send many tasks at once), a worker killed in mid-task,
 * idle workers that sleep, and both ways a pool finds its workers
 * (mpi_check.h says how the tests meet MPI). */
#include "mpi_check.h"

static cf_executor *mt_new(int workers) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = workers;
    cf_executor *ex = NULL;
    int r = cf_executor_new(CF_MPI, &o, &ex);
    ck_assert_msg(r == 0, "cf_executor_new(CF_MPI): %s: %s", cf_err_name(r), cf_mpi_last_error());
    return ex;
}

static long mt_read_pid(const char *path) {
    ck_assert_msg(LT_POLL(access(path, F_OK) == 0, 20), "no pid file %s", path);
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    long pid = 0;
    ck_assert_int_eq(fscanf(fp, "%ld", &pid), 1);
    fclose(fp);
    return pid;
}

/* After the warm-up, kills the worker running a task (it wrote its pid to
 * dir/pid) while the other is busy too; returns the seconds until the
 * victim's future failed with CF_EBROKEN, or -1. */
static double mt_kill_after_warm_up(cf_executor *ex, const char *dir) {
    char path[256], gate[256];
    snprintf(path, sizeof path, "%s/pid", dir);
    snprintf(gate, sizeof gate, "%s/gate", dir);
    if (mt_warm_up(ex)) return -1;
    cf_future *victim = NULL, *other = NULL;
    if (cf_submit(ex, lt_t_pidfile, path, strlen(path), &victim) ||
        cf_submit(ex, lt_t_gate, gate, strlen(gate), &other))
        return -1;
    FILE *fp = NULL;
    long pid = 0;
    if (!LT_POLL((fp = fopen(path, "r")) != NULL, 20) || fscanf(fp, "%ld", &pid) != 1) return -1;
    fclose(fp);
    unlink(path);
    double t0 = lt_now();
    kill((pid_t)pid, SIGKILL);
    int r = cf_future_result(victim, 30, NULL, NULL);
    double took = lt_now() - t0;
    cf_future_result(other, 30, NULL, NULL);
    cf_future_free(victim);
    cf_future_free(other);
    return r == CF_EBROKEN ? took : -1;
}
/* Runs `$MPIEXEC -n 3 self --scenario name`, output in *out (malloc'd);
 * returns its wait status and the seconds it took in *secs. */
static int mpiexec_scenario(const char *name, char **out, double *secs) {
    char cmd[1024], self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ck_assert_int_gt(n, 0);
    self[n] = '\0';
    const char *mpiexec = getenv("MPIEXEC");
    snprintf(cmd, sizeof cmd, "timeout -s KILL 50 %s -n 3 %s --scenario %s 2>&1",
             mpiexec && *mpiexec ? mpiexec : "mpiexec --oversubscribe --allow-run-as-root", self,
             name);
    double t0 = lt_now();
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t r;
    while ((r = fread(buf + len, 1, cap - 1 - len, p)) > 0)
        len += r;
    buf[len] = '\0';
    int st = pclose(p);
    *secs = lt_now() - t0;
    *out = buf;
    return st;
}

/* Runs a scenario that must succeed; returns its output (malloc'd). */
static char *mpiexec_ok(const char *name) {
    char *out;
    double secs;
    int st = mpiexec_scenario(name, &out, &secs);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d, output:\n%s", st, out);
    return out;
}

/* ---- pools started alone: the pool spawns its workers ------------------ */

START_TEST(test_kind_name_workers_and_where_tasks_run) {
    cf_executor *ex = mt_new(2);
    ck_assert_int_eq(cf_executor_kind(ex), CF_MPI);
    ck_assert_str_eq(cf_kind_name(CF_MPI), "mpi");
    ck_assert_int_eq(cf_executor_workers(ex), 2);
    int seen[2] = {0, 0};
    for (int round = 0; round < 20 && !(seen[0] && seen[1]); round++) {
        cf_future *fs[4];
        for (int i = 0; i < 4; i++)
            fs[i] = lt_submit_str(ex, mt_t_where, "");
        for (int i = 0; i < 4; i++) {
            const void *d;
            ck_assert_int_eq(cf_future_result(fs[i], 20, &d, NULL), 0);
            int rank, slot;
            long pid;
            ck_assert_int_eq(sscanf(d, "%d %d %ld", &rank, &slot, &pid), 3);
            ck_assert_int_ne(pid, (long)getpid()); /* another process */
            ck_assert_int_eq(rank, slot);          /* spawned: rank = slot */
            ck_assert(slot == 0 || slot == 1);
            seen[slot] = 1;
            cf_future_free(fs[i]);
        }
    }
    ck_assert_msg(seen[0] && seen[1], "one worker never ran a task");
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_submit_result_status_message_and_bytes) {
    cf_executor *ex = mt_new(2);
    cf_future *ok = lt_submit_str(ex, lt_t_sq, "12");
    cf_future *bad = lt_submit_str(ex, lt_t_fail, "x");
    lt_expect_result(ok, "144");
    ck_assert_int_eq(cf_future_result(bad, 20, NULL, NULL), CF_ETASK);
    const char *msg;
    ck_assert_int_eq(cf_future_error(bad, &msg), 7);
    ck_assert_str_eq(msg, "failed on 'x'");
    /* A MiB each way. */
    size_t mib = 1u << 20;
    unsigned char *in = malloc(mib);
    ck_assert_ptr_nonnull(in);
    for (size_t i = 0; i < mib; i++)
        in[i] = lt_pattern(i);
    cf_future *inc;
    ck_assert_int_eq(cf_submit(ex, lt_t_inc, in, mib, &inc), 0);
    const void *d;
    size_t len;
    ck_assert_int_eq(cf_future_result(inc, 20, &d, &len), 0);
    ck_assert_uint_eq(len, mib);
    for (size_t i = 0; i < mib; i++)
        if (((const unsigned char *)d)[i] != (unsigned char)(in[i] + 1))
            ck_abort_msg("byte %zu", i);
    free(in);
    cf_future_free(ok);
    cf_future_free(bad);
    cf_future_free(inc);
    cf_executor_free(ex);
}
END_TEST

/* Same outputs, statuses and messages as the sequential executor, for
 * submit and for map at several chunk sizes, eager and lazy. */
START_TEST(test_same_results_as_seq) {
    enum { N = 300 };
    static char buf[N][8];
    const void *in[N];
    size_t len[N];
    for (int i = 0; i < N; i++) {
        len[i] = (size_t)snprintf(buf[i], sizeof buf[i], "%d", i);
        in[i] = buf[i];
    }
    cf_executor *seq = lt_new(CF_SEQUENTIAL, 1), *ex = mt_new(2);
    const int chunks[] = {1, 7, 64}, buffers[] = {0, 2, 0};
    for (int c = 0; c < 3; c++) {
        cf_map_options mo = CF_MAP_OPTIONS_INIT;
        mo.chunksize = chunks[c];
        mo.buffersize = buffers[c];
        cf_map_iter *a, *b;
        ck_assert_int_eq(cf_map_array(seq, lt_t_sq5, in, len, N, &mo, &a), 0);
        ck_assert_int_eq(cf_map_array(ex, lt_t_sq5, in, len, N, &mo, &b), 0);
        for (int i = 0;; i++) {
            const void *da, *db;
            size_t la, lb;
            int ra = cf_map_next(a, &da, &la), rb = cf_map_next(b, &db, &lb);
            ck_assert_int_eq(ra, rb);
            if (ra == CF_EOF) break;
            ck_assert_uint_eq(cf_map_index(b), (size_t)i);
            if (ra == 0) {
                ck_assert_uint_eq(la, lb);
                ck_assert_mem_eq(da, db, la);
            } else {
                const char *ma, *mb;
                ck_assert_int_eq(cf_map_error(a, &ma), cf_map_error(b, &mb));
                ck_assert_str_eq(ma, mb);
            }
        }
        cf_map_free(a);
        cf_map_free(b);
    }
    cf_future *f = lt_submit_str(ex, lt_t_sq5, "8");
    ck_assert_int_eq(cf_future_result(f, 20, NULL, NULL), CF_ETASK);
    const char *msg;
    ck_assert_int_eq(cf_future_error(f, &msg), 3);
    ck_assert_str_eq(msg, "bad 8");
    cf_future_free(f);
    cf_executor_free(seq);
    cf_executor_free(ex);
}
END_TEST

static atomic_int mt_cb_calls;
static void mt_cb(cf_future *f, void *arg) {
    ck_assert_ptr_eq(arg, &mt_cb_calls);
    ck_assert(cf_future_done(f));
    atomic_fetch_add(&mt_cb_calls, 1);
}

/* Result with a timeout, cancel of pending work, callbacks, wait and
 * as_completed, while gate tasks hold both workers. */
START_TEST(test_timeout_cancel_callbacks_wait_as_completed) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = mt_new(2);
    cf_future *run[2], *queued[3];
    for (int i = 0; i < 2; i++)
        run[i] = lt_submit_gate(ex, &g);
    ck_assert(LT_POLL(cf_future_running(run[0]) && cf_future_running(run[1]), 20));
    for (int i = 0; i < 3; i++)
        queued[i] = lt_submit_str(ex, lt_t_sq, "3");
    ck_assert_int_eq(cf_future_result(run[0], 0.1, NULL, NULL), CF_ETIMEDOUT);
    ck_assert(!cf_future_done(run[0]));
    ck_assert_int_eq(cf_future_cancel(run[0]), 0); /* running: too late */
    ck_assert_int_eq(cf_future_cancel(queued[1]), 1);
    ck_assert(cf_future_cancelled(queued[1]));
    ck_assert_int_eq(cf_future_result(queued[1], 0, NULL, NULL), CF_ECANCELLED);
    atomic_store(&mt_cb_calls, 0);
    ck_assert_int_eq(cf_future_add_done_callback(run[1], mt_cb, &mt_cb_calls), 0);
    ck_assert_int_eq(cf_future_add_done_callback(queued[1], mt_cb, &mt_cb_calls), 0);
    ck_assert_int_eq(atomic_load(&mt_cb_calls), 1); /* already done: at once */
    unsigned char done[2];
    ck_assert_int_eq(cf_wait(run, 2, 0.1, CF_FIRST_COMPLETED, done), 0);

    lt_gate_open(&g);
    ck_assert_int_eq(cf_wait(run, 2, 20, CF_ALL_COMPLETED, done), 2);
    ck_assert(LT_POLL(atomic_load(&mt_cb_calls) == 2, 5));
    cf_future *all[5] = {run[0], run[1], queued[0], queued[1], queued[2]};
    cf_as_completed *it;
    ck_assert_int_eq(cf_as_completed_new(all, 5, 20, &it), 0);
    int n = 0, seen = 0;
    cf_future *f;
    size_t idx;
    while (cf_as_completed_next(it, &f, &idx) == 0) {
        ck_assert_ptr_eq(f, all[idx]);
        seen |= 1 << idx;
        n++;
    }
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(seen, 31);
    cf_as_completed_free(it);
    lt_expect_result(run[1], "open");
    lt_expect_result(queued[2], "9");
    for (int i = 0; i < 2; i++)
        cf_future_free(run[i]);
    for (int i = 0; i < 3; i++)
        cf_future_free(queued[i]);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_shutdown_cancel_futures_and_submit_after) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = mt_new(1);
    cf_future *run = lt_submit_gate(ex, &g);
    ck_assert(LT_POLL(cf_future_running(run), 20));
    cf_future *q = lt_submit_str(ex, lt_t_sq, "4");
    ck_assert_int_eq(cf_executor_shutdown(ex, 0, 1), 0); /* no wait: returns now */
    ck_assert(cf_future_cancelled(q));
    cf_future *late = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_sq, "1", 1, &late), CF_ESHUTDOWN);
    ck_assert_ptr_null(late);
    ck_assert(!cf_future_done(run)); /* running work still finishes */
    lt_gate_open(&g);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    lt_expect_result(run, "open");
    cf_future_free(run);
    cf_future_free(q);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

START_TEST(test_initializer_runs_in_each_worker_with_static_arg) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 2;
    o.initializer = mt_init;
    o.initarg = (void *)mt_init_word;
    cf_executor *ex;
    int r = cf_executor_new(CF_MPI, &o, &ex);
    ck_assert_msg(r == 0, "%s: %s", cf_err_name(r), cf_mpi_last_error());
    for (int i = 0; i < 4; i++) {
        cf_future *f = lt_submit_str(ex, mt_t_initseen, "");
        lt_expect_result(f, "static-arg");
        cf_future_free(f);
    }
    cf_executor_free(ex);
    /* The client's own copy never ran it. */
    ck_assert_str_eq(mt_init_seen, "none");
    /* A heap argument means nothing in another process: refused. */
    char *heap = strdup("x");
    o.initarg = heap;
    ck_assert_int_eq(cf_executor_new(CF_MPI, &o, &ex), CF_EINVAL);
    ck_assert_ptr_nonnull(strstr(cf_mpi_last_error(), "initarg"));
    free(heap);
    /* A failing initializer breaks the pool, as in Python. */
    o.initializer = lt_init_fail;
    o.initarg = NULL;
    ck_assert_int_eq(cf_executor_new(CF_MPI, &o, &ex), 0);
    ck_assert_ptr_nonnull(strstr(cf_mpi_last_error(), "initializer failed"));
    cf_future *f = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_sq, "1", 1, &f), CF_EBROKEN);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_unsupported_options_are_refused) {
    cf_options o = CF_OPTIONS_INIT;
    o.task_timeout = 1;
    cf_executor *ex;
    ck_assert_int_eq(cf_executor_new(CF_MPI, &o, &ex), CF_EINVAL);
    ck_assert_ptr_nonnull(strstr(cf_mpi_last_error(), "task_timeout"));
}
END_TEST

START_TEST(test_task_names_must_match) {
    ck_assert_ptr_nonnull(cf_task_register("mt.only_in_the_client", mt_no_task));
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 2;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(CF_MPI, &o, &ex), CF_ENOTASK);
    ck_assert_ptr_null(ex);
    const char *why = cf_mpi_last_error();
    ck_assert_msg(strstr(why, "mt.only_in_the_client") && strstr(why, "rank"), "message: %s", why);
}
END_TEST

/* kill -9 of a spawned worker in mid-task: the pool breaks in well under
 * the test's timeout, naming the rank and pid; nothing hangs. */
START_TEST(test_worker_killed_mid_task_breaks_the_pool) {
    lt_gate g;
    lt_gate_init(&g);
    cf_executor *ex = mt_new(2);
    char path[200];
    snprintf(path, sizeof path, "%s/pid", g.dir);
    cf_future *victim = lt_submit_str(ex, lt_t_pidfile, path);
    cf_future *other = lt_submit_gate(ex, &g); /* the other worker, busy */
    long pid = mt_read_pid(path);
    double t0 = lt_now();
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    ck_assert_int_eq(cf_future_result(victim, 20, NULL, NULL), CF_EBROKEN);
    double took = lt_now() - t0;
    const char *msg;
    cf_future_error(victim, &msg);
    char want[64];
    snprintf(want, sizeof want, "pid %ld", pid);
    ck_assert_msg(strstr(msg, want) && strstr(msg, "rank") && strstr(msg, "died"), "msg: %s", msg);
    ck_assert_int_eq(cf_future_result(other, 20, NULL, NULL), CF_EBROKEN);
    ck_assert_msg(took < 5, "took %.2f s to notice", took);
    fprintf(stderr, "test_mpi_pool: spawned worker killed: pool broken after %.2f s\n", took);
    cf_future *late = NULL;
    ck_assert_int_eq(cf_submit(ex, lt_t_sq, "1", 1, &late), CF_EBROKEN);
    cf_future_free(victim);
    cf_future_free(other);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* A worker that falls silent with work outstanding (SIGSTOP stands for a
 * host whose link is cut) breaks the pool after CF_MPI_SILENCE seconds,
 * naming its rank and host; a task running longer than that is no
 * silence (its listener beats every second); shutdown completes. */
START_TEST(test_silent_worker_breaks_the_pool_after_cf_mpi_silence) {
    lt_gate g;
    lt_gate_init(&g);
    setenv("CF_MPI_SILENCE", "1.5", 1);
    cf_executor *ex = mt_new(2);
    unsetenv("CF_MPI_SILENCE");
    cf_future *slow = lt_submit_gate(ex, &g); /* longer than the silence */
    cf_future *other = lt_submit_str(ex, lt_t_sq, "7");
    ck_assert_int_eq(cf_future_result(other, 20, NULL, NULL), 0);
    cf_future_free(other);
    usleep(3000000);
    lt_gate_open(&g);
    ck_assert_int_eq(cf_future_result(slow, 20, NULL, NULL), 0);
    cf_future_free(slow);

    char path[200];
    snprintf(path, sizeof path, "%s/pid", g.dir);
    cf_future *victim = lt_submit_str(ex, lt_t_pidfile, path);
    long pid = mt_read_pid(path);
    ck_assert_int_eq(kill((pid_t)pid, SIGSTOP), 0);
    double t0 = lt_now();
    ck_assert_int_eq(cf_future_result(victim, 20, NULL, NULL), CF_EBROKEN);
    double took = lt_now() - t0;
    const char *msg;
    cf_future_error(victim, &msg);
    char want[64];
    snprintf(want, sizeof want, "pid %ld on ", pid);
    ck_assert_msg(strstr(msg, want) && strstr(msg, "sent nothing for 1.5 s"), "msg: %s", msg);
    ck_assert_msg(took > 1 && took < 5, "took %.2f s to notice", took);
    fprintf(stderr, "test_mpi_pool: stopped worker: pool broken after %.2f s\n", took);
    kill((pid_t)pid, SIGCONT); /* killed already, unless the pool failed to */
    cf_future_free(victim);
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* Cancel works on whatever a worker has not started, even after a warm-up
 * made the pool send each worker many tasks at once. */
START_TEST(test_cancel_after_warm_up_spares_what_has_not_started) {
    cf_executor *ex = mt_new(2);
    char msg[256];
    int bad = mt_cancel_after_warm_up(ex, msg, sizeof msg);
    fprintf(stderr, "test_mpi_pool: spawned: cancel after warm-up: %s\n", msg);
    ck_assert_msg(!bad, "%s", msg);
    cf_executor_free(ex);
}
END_TEST

static atomic_int mt_cancel_seen;
static void mt_cancel_cb(cf_future *f, void *arg) {
    (void)f;
    atomic_store(&mt_cancel_seen, 1 + cf_future_cancel(arg)); /* on the manager thread */
}

/* A done callback runs on the manager thread, which itself carries the
 * cancel of a job the worker holds: A's callback cancels C while the only
 * worker runs B, with C already at the worker. */
START_TEST(test_cancel_from_a_done_callback) {
    cf_executor *ex = mt_new(1);
    ck_assert_int_eq(mt_warm_up(ex), 0);
    cf_future *a = lt_submit_str(ex, lt_t_sleep, "100"), *b = lt_submit_str(ex, lt_t_sleep, "100"),
              *c = lt_submit_str(ex, lt_t_sleep, "100");
    atomic_store(&mt_cancel_seen, 0);
    ck_assert_int_eq(cf_future_add_done_callback(a, mt_cancel_cb, c), 0);
    lt_expect_result(a, "100");
    lt_expect_result(b, "100");
    ck_assert_int_eq(cf_future_result(c, 20, NULL, NULL), CF_ECANCELLED);
    ck_assert_int_eq(atomic_load(&mt_cancel_seen), 2);
    cf_future_free(a);
    cf_future_free(b);
    cf_future_free(c);
    cf_executor_free(ex);
}
END_TEST

/* A death is seen within the liveness interval (10 ms), the first one of
 * a pool too, after a warm-up: each of two rounds under 1 s, and the
 * quicker under 50 ms (one slow round is allowed on a loaded machine). */
START_TEST(test_worker_death_after_warm_up_is_seen_quickly) {
    lt_gate g;
    lt_gate_init(&g);
    double best = 1e9;
    for (int round = 0; round < 2; round++) {
        cf_executor *ex = mt_new(2);
        double took = mt_kill_after_warm_up(ex, g.dir);
        fprintf(stderr, "test_mpi_pool: spawned worker killed after warm-up: seen after %.3f s\n",
                took);
        ck_assert_msg(took >= 0, "the pool did not break");
        ck_assert_msg(took < 1, "round %d: took %.3f s to notice", round, took);
        best = took < best ? took : best;
        cf_executor_free(ex);
    }
    ck_assert_msg(best < 0.05, "the quicker of two deaths took %.3f s to notice", best);
    lt_gate_fini(&g);
}
END_TEST

static double cpu_secs(long pid) {
    double s = mt_cpu_secs(pid);
    ck_assert_msg(s >= 0, "no /proc/%ld/stat", pid);
    return s;
}

/* An idle worker sleeps between probes: well under 5% of a core. */
START_TEST(test_idle_workers_do_not_spin) {
    cf_executor *ex = mt_new(2);
    long pids[2] = {0, 0};
    for (int round = 0; round < 50 && !(pids[0] && pids[1]); round++) {
        cf_future *f = lt_submit_str(ex, mt_t_where, "");
        const void *d;
        ck_assert_int_eq(cf_future_result(f, 20, &d, NULL), 0);
        int rank, slot;
        long pid;
        ck_assert_int_eq(sscanf(d, "%d %d %ld", &rank, &slot, &pid), 3);
        pids[slot] = pid;
        cf_future_free(f);
    }
    ck_assert(pids[0] && pids[1]);
    lt_sleep_ms(1200); /* past the first second of short naps */
    double c0[2] = {cpu_secs(pids[0]), cpu_secs(pids[1])}, me0 = cpu_secs(getpid());
    lt_sleep_ms(2000);
    for (int i = 0; i < 2; i++) {
        double pct = (cpu_secs(pids[i]) - c0[i]) / 2.0 * 100;
        fprintf(stderr, "test_mpi_pool: idle worker %ld: %.1f%% CPU over 2 s\n", pids[i], pct);
        ck_assert_msg(pct < 5, "worker %ld used %.1f%% of a core while idle", pids[i], pct);
    }
    double me = (cpu_secs(getpid()) - me0) / 2.0 * 100;
    ck_assert_msg(me < 5, "the idle client used %.1f%% of a core", me);
    cf_executor_free(ex);
}
END_TEST

/* ---- under mpiexec: rank 0 the client, ranks 1-2 the workers ----------- */

START_TEST(test_mpiexec_world_workers) {
    char *out = mpiexec_ok("basic");
    ck_assert_msg(strstr(out, "scenario basic ok") && strstr(out, "workers 2") &&
                      strstr(out, "second pool workers 1") && strstr(out, "sum 328350") &&
                      strstr(out, "spawned beside: where 0 0 "),
                  "output:\n%s", out);
    /* World ranks 1 and 2 are slots 0 and 1, other processes than rank 0. */
    ck_assert_msg(strstr(out, "where 1 0 ") || strstr(out, "where 2 1 "), "output:\n%s", out);
    free(out);
}
END_TEST

START_TEST(test_mpiexec_task_names_must_match) {
    char *out = mpiexec_ok("names");
    ck_assert_msg(strstr(out, "names: CF_ENOTASK") && strstr(out, "mt.only_in_the_client"),
                  "output:\n%s", out);
    free(out);
}
END_TEST

START_TEST(test_mpiexec_idle_ranks_do_not_spin) {
    char *out = mpiexec_ok("idle");
    for (char *l = strstr(out, "idle "); l; l = strstr(l + 1, "idle "))
        fprintf(stderr, "test_mpi_pool: mpiexec %.*s\n", (int)strcspn(l, "\n"), l);
    free(out);
}
END_TEST

/* kill -9 of a world rank in mid-task: the client sees CF_EBROKEN naming
 * the rank, or mpiexec ends the job naming it; within seconds either way. */
START_TEST(test_mpiexec_rank_killed_mid_task) {
    char *out;
    double secs;
    int st = mpiexec_scenario("kill", &out, &secs);
    ck_assert_msg(secs < 30, "took %.1f s:\n%s", secs, out);
    ck_assert_msg(strstr(out, "killing worker pid"), "output:\n%s", out);
    int told = strstr(out, "CF_EBROKEN") && strstr(out, "rank");
    int ended = strstr(out, "noticed that process rank") != NULL;
    ck_assert_msg(told || ended, "status %d, output:\n%s", st, out);
    const char *after = strstr(out, "after ");
    fprintf(stderr, "test_mpi_pool: mpiexec rank killed: mpiexec exited %d after %.2f s; %.60s\n",
            WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st), secs, after ? after : "");
    free(out);
}
END_TEST

START_TEST(test_mpiexec_cancel_after_warm_up) {
    char *out = mpiexec_ok("cancel");
    const char *l = strstr(out, "cancel: ");
    fprintf(stderr, "test_mpi_pool: mpiexec %.*s\n", l ? (int)strcspn(l, "\n") : 0, l ? l : "");
    ck_assert_msg(strstr(out, "scenario cancel ok"), "output:\n%s", out);
    free(out);
}
END_TEST

int main(int argc, char **argv) {
    mt_tasks(0);
    /* Workers (spawned, or ranks > 0 under mpiexec) serve in here. */
    if (cf_mpi_serve_or_continue(&argc, &argv)) return 1;
    if (argc == 3 && !strcmp(argv[1], "--scenario")) return mt_scenario(argv[2]);

    Suite *s = suite_create("mpi_pool");
    TCase *tc = tcase_create("alone");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_kind_name_workers_and_where_tasks_run);
    tcase_add_test(tc, test_submit_result_status_message_and_bytes);
    tcase_add_test(tc, test_same_results_as_seq);
    tcase_add_test(tc, test_timeout_cancel_callbacks_wait_as_completed);
    tcase_add_test(tc, test_shutdown_cancel_futures_and_submit_after);
    tcase_add_test(tc, test_initializer_runs_in_each_worker_with_static_arg);
    tcase_add_test(tc, test_unsupported_options_are_refused);
    tcase_add_test(tc, test_task_names_must_match);
    tcase_add_test(tc, test_worker_killed_mid_task_breaks_the_pool);
    tcase_add_test(tc, test_silent_worker_breaks_the_pool_after_cf_mpi_silence);
    tcase_add_test(tc, test_cancel_after_warm_up_spares_what_has_not_started);
    tcase_add_test(tc, test_cancel_from_a_done_callback);
    tcase_add_test(tc, test_worker_death_after_warm_up_is_seen_quickly);
    tcase_add_test(tc, test_idle_workers_do_not_spin);
    suite_add_tcase(s, tc);
    TCase *tw = tcase_create("mpiexec");
    tcase_set_timeout(tw, 60);
    tcase_add_test(tw, test_mpiexec_world_workers);
    tcase_add_test(tw, test_mpiexec_task_names_must_match);
    tcase_add_test(tw, test_mpiexec_idle_ranks_do_not_spin);
    tcase_add_test(tw, test_mpiexec_rank_killed_mid_task);
    tcase_add_test(tw, test_mpiexec_cancel_after_warm_up);
    suite_add_tcase(s, tw);
    return lt_run_suite(s);
}
