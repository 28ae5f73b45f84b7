/* mpi_demo.c -- an MPI pool (CF_MPI) both ways mpi4py.futures starts: run
 * under mpiexec, rank 0 submits and maps while the other ranks serve; run
 * alone, the pool spawns its workers (this program again). Each result
 * says which rank, host and pid ran it.
 *
 * mpiexec --oversubscribe -n 3 build/examples/mpi_demo
 * build/examples/mpi_demo
 * mpiexec --hostfile hosts -n 8 build/examples/mpi_demo */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cfutures_mpi.h"

/* A long in; out: "x^2 = y by rank r (slot s) on host, pid p". */
static int square(const void *in, size_t len, cf_out *out) {
    long x;
    char host[64] = "?", buf[160];
    if (len != sizeof x) {
        cf_out_error(out, "want %zu bytes, got %zu", sizeof x, len);
        return 1;
    }
    memcpy(&x, in, sizeof x);
    gethostname(host, sizeof host - 1);
    int n = snprintf(buf, sizeof buf, "%ld^2 = %ld by rank %d (slot %d) on %s, pid %d", x, x * x,
                     cf_mpi_world_rank(), cf_worker_index(), host, (int)getpid());
    return cf_out_set(out, buf, (size_t)n);
}

int main(int argc, char **argv) {
    /* Register first: workers check they know the same task names. */
    const cf_task *t = cf_task_register("demo.square", square);
    /* Workers serve inside this call and never return from it. */
    if (cf_mpi_serve_or_continue(&argc, &argv) != 0) return 1;

    cf_executor *ex;
    int r = cf_executor_new(CF_MPI, NULL, &ex);
    if (r != 0) {
        fprintf(stderr, "mpi_demo: %s: %s\n", cf_strerror(r), cf_mpi_last_error());
        return 1;
    }
    printf("client: rank %d, pid %d, %d MPI workers\n", cf_mpi_world_rank(), (int)getpid(),
           cf_executor_workers(ex));

    long x = 323;
    cf_future *f;
    const void *res;
    if (cf_submit(ex, t, &x, sizeof x, &f) != 0) return 1;
    if (cf_future_result(f, CF_FOREVER, &res, NULL) == 0) printf("submit: %s\n", (const char *)res);
    cf_future_free(f);

    long in[8];
    const void *ptr[8];
    size_t len[8];
    for (int i = 0; i < 8; i++) {
        in[i] = i + 1;
        ptr[i] = &in[i];
        len[i] = sizeof in[i];
    }
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = 2;
    cf_map_iter *m;
    if (cf_map_array(ex, t, ptr, len, 8, &mo, &m) != 0) return 1;
    while (cf_map_next(m, &res, NULL) == 0)
        printf("map:    %s\n", (const char *)res);
    cf_map_free(m);
    cf_executor_free(ex);
    return 0;
}
