/* mpi_scenarios.c -- what rank 0 of `$MPIEXEC -n 3 test_mpi_pool
 * --scenario NAME` runs, outside Check: the pool on the world's ranks
 * (test_mpi_pool.c's mpiexec tests read what it prints). */
#include "mpi_check.h"

/* Scenarios print what went wrong and return 1: no ck_assert here. */
static cf_executor *sc_new(int workers) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = workers;
    cf_executor *ex = NULL;
    int r = cf_executor_new(CF_MPI, &o, &ex);
    if (r) printf("cf_executor_new: %s: %s\n", cf_err_name(r), cf_mpi_last_error());
    return ex;
}

static cf_future *sc_submit(cf_executor *ex, const cf_task *t, const char *s) {
    cf_future *f = NULL;
    int r = cf_submit(ex, t, s, strlen(s), &f);
    if (r) printf("cf_submit: %s\n", cf_err_name(r));
    return f;
}

/* Submit and map on the world workers; prints what ran where. */
static int sc_basic(void) {
    cf_executor *ex = sc_new(0);
    if (!ex) return 1;
    printf("workers %d\n", cf_executor_workers(ex));
    cf_future *fs[8];
    for (int i = 0; i < 8; i++)
        if (cf_submit(ex, mt_t_where, NULL, 0, &fs[i])) return 1;
    for (int i = 0; i < 8; i++) {
        const void *d;
        if (cf_future_result(fs[i], 30, &d, NULL)) return 1;
        printf("where %s\n", (const char *)d);
        cf_future_free(fs[i]);
    }
    char buf[100][8];
    const void *in[100];
    size_t len[100];
    for (int i = 0; i < 100; i++) {
        len[i] = (size_t)snprintf(buf[i], sizeof buf[i], "%d", i);
        in[i] = buf[i];
    }
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = 7;
    cf_map_iter *m;
    if (cf_map_array(ex, lt_t_sq, in, len, 100, &mo, &m)) return 1;
    long sum = 0;
    const void *d;
    while (cf_map_next(m, &d, NULL) == 0)
        sum += strtol(d, NULL, 10);
    cf_map_free(m);
    /* A pool made while this one holds the world workers spawns its own. */
    cf_executor *beside = sc_new(1);
    cf_future *w = beside ? sc_submit(beside, mt_t_where, "") : NULL;
    if (!w || cf_future_result(w, 30, &d, NULL) || strncmp(d, "0 0 ", 4)) return 1;
    printf("spawned beside: where %s\n", (const char *)d);
    cf_future_free(w);
    cf_executor_free(beside);
    cf_executor_free(ex);
    /* A later pool reuses the same world workers. */
    ex = sc_new(1);
    cf_future *f = ex ? sc_submit(ex, lt_t_sq, "12") : NULL;
    if (!f || cf_future_result(f, 30, &d, NULL) || strcmp(d, "144")) return 1;
    printf("second pool workers %d\n", cf_executor_workers(ex));
    cf_future_free(f);
    cf_executor_free(ex);
    printf("sum %ld\nscenario basic ok\n", sum);
    return 0;
}

/* Rank 0 knows a task the workers do not. */
static int sc_names(void) {
    if (!cf_task_register("mt.only_in_the_client", mt_no_task)) return 1;
    cf_executor *ex = NULL;
    int r = cf_executor_new(CF_MPI, NULL, &ex);
    printf("names: %s: %s\n", cf_err_name(r), cf_mpi_last_error());
    if (r == 0) cf_executor_free(ex);
    return r == CF_ENOTASK ? 0 : 1;
}

/* Kills the rank running a task; prints how long until the client knew. */
static int sc_kill(void) {
    cf_executor *ex = sc_new(2);
    char dir[] = "/tmp/cfmpi.XXXXXX", path[64];
    if (!ex || !mkdtemp(dir)) return 1;
    snprintf(path, sizeof path, "%s/pid", dir);
    cf_future *f = sc_submit(ex, lt_t_pidfile, path);
    FILE *fp = NULL;
    long pid = 0;
    if (!f || !LT_POLL((fp = fopen(path, "r")) != NULL, 20) || fscanf(fp, "%ld", &pid) != 1)
        return 1;
    fclose(fp);
    unlink(path);
    rmdir(dir);
    printf("killing worker pid %ld\n", pid);
    fflush(stdout);
    double t0 = lt_now();
    kill((pid_t)pid, SIGKILL);
    int r = cf_future_result(f, 30, NULL, NULL);
    const char *msg = "";
    cf_future_error(f, &msg);
    printf("after %.2f s: %s: %s\n", lt_now() - t0, cf_err_name(r), msg);
    fflush(stdout);
    cf_future_free(f);
    cf_executor_free(ex);
    return 0;
}

/* Prints the CPU share of each rank and of rank 0 over 3 idle seconds,
 * while a pool is idle and then between pools. */
static int sc_idle(void) {
    cf_executor *ex = sc_new(2);
    long pids[2] = {0, 0};
    for (int round = 0; ex && round < 50 && !(pids[0] && pids[1]); round++) {
        cf_future *f = sc_submit(ex, mt_t_where, "");
        const void *d;
        int rank, slot;
        long pid;
        if (!f || cf_future_result(f, 30, &d, NULL) ||
            sscanf(d, "%d %d %ld", &rank, &slot, &pid) != 3 || slot < 0 || slot > 1)
            return 1;
        pids[slot] = pid;
        cf_future_free(f);
    }
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1) cf_executor_free(ex);
        lt_sleep_ms(1200);
        double c0[3] = {mt_cpu_secs(pids[0]), mt_cpu_secs(pids[1]), mt_cpu_secs(getpid())};
        lt_sleep_ms(3000);
        double c1[3] = {mt_cpu_secs(pids[0]), mt_cpu_secs(pids[1]), mt_cpu_secs(getpid())};
        printf("idle %s: rank 1 %.1f%%, rank 2 %.1f%%, rank 0 %.1f%%\n",
               phase ? "between pools" : "pool", (c1[0] - c0[0]) / 3 * 100,
               (c1[1] - c0[1]) / 3 * 100, (c1[2] - c0[2]) / 3 * 100);
        for (int i = 0; i < 3; i++)
            if ((c1[i] - c0[i]) / 3 > 0.05) return 1;
    }
    return 0;
}

/* Cancel after a warm-up, on the world workers. */
static int sc_cancel(void) {
    cf_executor *ex = sc_new(2);
    char msg[256];
    int bad = !ex || mt_cancel_after_warm_up(ex, msg, sizeof msg);
    printf("cancel: %s\nscenario cancel %s\n", ex ? msg : "no pool", bad ? "failed" : "ok");
    if (ex) cf_executor_free(ex);
    return bad;
}

int mt_scenario(const char *name) {
    mt_tasks(1);
    if (!strcmp(name, "cancel")) return sc_cancel();
    if (!strcmp(name, "idle")) return sc_idle();
    if (!strcmp(name, "basic")) return sc_basic();
    if (!strcmp(name, "names")) return sc_names();
    if (!strcmp(name, "kill")) return sc_kill();
    fprintf(stderr, "unknown scenario %s\n", name);
    return 2;
}
