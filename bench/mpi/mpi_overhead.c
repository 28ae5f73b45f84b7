/* mpi_overhead.c -- what an MPI pool (CF_MPI) costs per task, in the CSV
 * columns of `cfbench overhead`, beside workloads/python/mpi_overhead.py
 * (mpi4py.futures.MPIPoolExecutor measured the same way).
 *
 * No-op tasks (empty input and output) through a pool that is already
 * running: submit every task then collect every result ("submit"), and map
 * at chunksize 1 and 64 ("map"); wall time divided by tasks, best of
 * --repeat runs. "startup" is one pool's creation and shutdown in µs.
 * Prints: executor,method,chunksize,tasks,us_per_task
 *
 * build/bench/mpi/mpi_overhead --tasks 20000 --workers 2        (spawns)
 * mpiexec -n 3 build/bench/mpi/mpi_overhead --tasks 20000     (world) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cfutures_mpi.h"

static int noop(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len, (void)out;
    return 0;
}

static int empty_input(void *arg, size_t i, const void **data, size_t *len) {
    if (i >= *(size_t *)arg) return CF_EOF;
    *data = NULL;
    *len = 0;
    return 0;
}

/* Seconds for one run, or a negative CF_E* code. */
static double run_submit(cf_executor *ex, const cf_task *t, size_t n, cf_future **fs) {
    int64_t t0 = cf_now_ns();
    for (size_t i = 0; i < n; i++)
        if (cf_submit(ex, t, NULL, 0, &fs[i])) return CF_ENOMEM;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bad |= cf_future_result(fs[i], CF_FOREVER, NULL, NULL) != 0;
        cf_future_free(fs[i]);
    }
    return bad ? CF_ETASK : (double)(cf_now_ns() - t0) / 1e9;
}

static double run_map(cf_executor *ex, const cf_task *t, size_t n, int chunk) {
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = chunk;
    cf_map_iter *m;
    int64_t t0 = cf_now_ns();
    int r = cf_map(ex, t, empty_input, &n, &mo, &m);
    if (r) return r;
    size_t got = 0;
    while ((r = cf_map_next(m, NULL, NULL)) == 0)
        got++;
    cf_map_free(m);
    return r == CF_EOF && got == n ? (double)(cf_now_ns() - t0) / 1e9 : CF_ETASK;
}

static long arg_long(int argc, char **argv, const char *name, long def) {
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return strtol(argv[i + 1], NULL, 10);
    return def;
}

int main(int argc, char **argv) {
    const cf_task *t = cf_task_register("overhead.noop", noop);
    if (cf_mpi_serve_or_continue(&argc, &argv)) return 1;
    long tasks = arg_long(argc, argv, "--tasks", 20000);
    long workers = arg_long(argc, argv, "--workers", 2);
    long repeat = arg_long(argc, argv, "--repeat", 5);
    if (tasks < 1 || workers < 1 || repeat < 1) {
        fprintf(stderr, "usage: mpi_overhead [--tasks N] [--workers N] [--repeat N]\n");
        return 2;
    }
    cf_future **fs = malloc((size_t)tasks * sizeof *fs);
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = (int)workers;
    cf_executor *ex;
    int r = cf_executor_new(CF_MPI, &o, &ex);
    if (!fs || r) {
        fprintf(stderr, "mpi_overhead: %s: %s\n", cf_strerror(r), cf_mpi_last_error());
        return 1;
    }
    printf("executor,method,chunksize,tasks,us_per_task\n");
    const struct {
        const char *method;
        int chunk;
    } rows[] = {{"submit", 1}, {"map", 1}, {"map", 64}};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        double best = 0;
        for (long i = 0; i < repeat; i++) {
            double s = rows[k].chunk && !strcmp(rows[k].method, "map")
                           ? run_map(ex, t, (size_t)tasks, rows[k].chunk)
                           : run_submit(ex, t, (size_t)tasks, fs);
            if (s < 0) {
                fprintf(stderr, "mpi_overhead: %s\n", cf_strerror((int)s));
                return 1;
            }
            if (i == 0 || s < best) best = s;
        }
        printf("mpi,%s,%d,%ld,%.4f\n", rows[k].method, rows[k].chunk, tasks, best / tasks * 1e6);
        fflush(stdout);
    }
    cf_executor_free(ex);
    double best = 0;
    for (long i = 0; i < repeat; i++) {
        int64_t t0 = cf_now_ns();
        if (cf_executor_new(CF_MPI, &o, &ex)) return 1;
        cf_executor_free(ex);
        double s = (double)(cf_now_ns() - t0) / 1e9;
        if (i == 0 || s < best) best = s;
    }
    printf("mpi,startup,0,%ld,%.1f\n", workers, best * 1e6);
    free(fs);
    return 0;
}
