/* mpi_check.h -- tasks and helpers shared by test_mpi_pool.c (the Check
 * tests) and mpi_scenarios.c (what rank 0 runs under mpiexec), one binary.
 *
 * Check forks each test, and Open MPI does not survive a fork after
 * MPI_Init, so the Check process itself never starts MPI: each test starts
 * it in its own child (alone: the pool spawns this binary as its workers),
 * and the mpiexec tests run `$MPIEXEC -n 3 <this binary> --scenario NAME`,
 * where rank 0 runs the scenario (mt_scenario) and ranks 1-2 serve. main()
 * registers the tasks (mt_tasks(0)); mpi_scenarios.c finds them by name
 * (mt_tasks(1)) for its own copies of the handles. */
#ifndef MPI_CHECK_H
#define MPI_CHECK_H

#include "lib_check.h"

#include "../lib/cfutures_mpi.h"

/* Output: "rank slot pid". */
static inline int mt_where(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    return lt_out_printf(out, "%d %d %ld", cf_mpi_world_rank(), cf_worker_index(),
                         (long)getpid()) == 0
               ? 0
               : 99;
}

/* What the initializer saw: its argument's text (static data). */
static char mt_init_seen[64] = "none";
static const char mt_init_word[] = "static-arg";

static inline int mt_init(void *arg) {
    snprintf(mt_init_seen, sizeof mt_init_seen, "%s", arg ? (const char *)arg : "NULL");
    return 0;
}

static inline int mt_initseen(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    return cf_out_set(out, mt_init_seen, strlen(mt_init_seen)) == 0 ? 0 : 99;
}

static inline int mt_no_task(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len, (void)out;
    return 0;
}

static const cf_task *mt_t_where, *mt_t_initseen;

/* lib_check.h's tasks and these, registered or found (lt_task_table). */
static inline void mt_tasks(int find) {
    lt_tasks(find);
    const lt_task_def all[] = {
        {&mt_t_where, "mt.where", mt_where},
        {&mt_t_initseen, "mt.initseen", mt_initseen},
    };
    lt_task_table(all, sizeof all / sizeof all[0], find);
}

/* CPU seconds (user + system) the process has used, or -1. */
static inline double mt_cpu_secs(long pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *fp = fopen(path, "r");
    if (!fp) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    unsigned long ut, st;
    const char *p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- shared by a spawned pool and mpiexec's: cancel, death ------------- */

/* 2,000 no-op tasks: the pool learns that tasks are short, and a worker's
 * window grows to hundreds. */
static inline int mt_warm_up(cf_executor *ex) {
    for (int i = 0; i < 2000; i++) {
        cf_future *f = NULL;
        if (cf_submit(ex, lt_t_echo, NULL, 0, &f)) return 1;
        cf_future_free(f);
    }
    cf_future *last = NULL;
    int r = cf_submit(ex, lt_t_echo, NULL, 0, &last) || cf_future_result(last, 30, NULL, NULL);
    cf_future_free(last);
    return r;
}

/* After the warm-up, 20 tasks of 200 ms on 2 workers: 50 ms later at most
 * 2 have started, and cancel works on the rest, though the workers hold
 * them already. Writes what it saw to msg; returns 0 if that is right. */
static inline int mt_cancel_after_warm_up(cf_executor *ex, char *msg, size_t n) {
    enum { N = 20 };
    cf_future *fs[N];
    snprintf(msg, n, "warm-up failed");
    if (mt_warm_up(ex)) return 1;
    double t0 = lt_now();
    for (int i = 0; i < N; i++)
        if (cf_submit(ex, lt_t_sleep, "200", 3, &fs[i])) return 1;
    lt_sleep_ms(50);
    int running = 0, cancelled = 0, ran = 0, wrong = 0, c[N];
    for (int i = 0; i < N; i++)
        running += cf_future_running(fs[i]);
    for (int i = 0; i < N; i++)
        cancelled += c[i] = cf_future_cancel(fs[i]);
    for (int i = 0; i < N; i++) {
        const void *d = NULL;
        int r = cf_future_result(fs[i], 30, &d, NULL);
        if (c[i] ? r != CF_ECANCELLED : r != 0 || strcmp(d, "200")) wrong++;
        ran += r == 0;
        cf_future_free(fs[i]);
    }
    snprintf(msg, n, "after 50 ms %d of %d running; cancelled %d, ran %d, wrong %d, in %.2f s",
             running, N, cancelled, ran, wrong, lt_now() - t0);
    /* A worker runs one task at a time; the two running finish at 200 ms,
     * so even a slow machine cancels most of the 18 that wait. */
    return running > 2 || cancelled < 12 || wrong || cancelled + ran != N;
}

/* Runs scenario `name` as rank 0 under mpiexec (mpi_scenarios.c); prints
 * what it saw and returns main()'s exit status. */
int mt_scenario(const char *name);

#endif
