/* probe.c -- what a pool costs per task, measured with no-op tasks. */
#include <math.h>
#include <unistd.h>

#include "probe.h"

static int noop(const void *in, size_t len, cf_out *out) {
    (void)in;
    (void)len;
    (void)out;
    return 0;
}

static int echo(const void *in, size_t len, cf_out *out) {
    return cf_out_set(out, in, len) != 0;
}

static _Atomic int *gate_word;

void probe_gate_use(_Atomic int *word) {
    gate_word = word;
}

static int gate(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len, (void)out;
    while (gate_word != NULL && !atomic_load(gate_word))
        usleep(1000);
    return 0;
}

/* All three, always in this order: an MPI worker holds the client's names
 * in the client's order (bench/main.c). */
const cf_task *probe_task(void) {
    const cf_task *t = cf_task_find("cfbench.noop");
    if (t != NULL) return t;
    t = cf_task_register("cfbench.noop", noop);
    if (!cf_task_register("cfbench.echo", echo) || !cf_task_register("cfbench.gate", gate))
        return NULL;
    return t;
}

/* Input i of n, all empty. */
static int empty_input(void *arg, size_t i, const void **data, size_t *len) {
    if (i >= *(size_t *)arg) return CF_EOF;
    *data = NULL;
    *len = 0;
    return 0;
}

double probe_map_s(cf_executor *ex, size_t n, int chunksize) {
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    const cf_task *t = probe_task();
    cf_map_iter *m;
    size_t got = 0;
    int r;

    if (t == NULL) return CF_ENOMEM;
    mo.chunksize = chunksize;
    int64_t t0 = cf_now_ns();
    if ((r = cf_map(ex, t, empty_input, &n, &mo, &m)) != 0) return r;
    while ((r = cf_map_next(m, NULL, NULL)) == 0)
        got++;
    cf_map_free(m);
    int64_t t1 = cf_now_ns();
    return r == CF_EOF && got == n ? (double)(t1 - t0) / 1e9 : CF_ETASK;
}

double probe_pool_cost_us(cf_kind kind, const cf_options *o, int chunksize) {
    enum { N = 2000 };
    double best = NAN;
    for (int r = 0; r < 3; r++) {
        cf_executor *ex;
        if (cf_executor_new(kind, o, &ex) != 0) break;
        double s = probe_map_s(ex, N, chunksize);
        cf_executor_free(ex);
        if (s >= 0 && (isnan(best) || s * 1e6 / N < best)) best = s * 1e6 / N;
    }
    return best;
}

double probe_pool_startup_us(cf_kind kind, const cf_options *o) {
    double best = NAN;
    for (int r = 0; r < 3; r++) {
        cf_executor *ex;
        int64_t t0 = cf_now_ns();
        if (cf_executor_new(kind, o, &ex) != 0) break;
        cf_executor_free(ex);
        double us = (double)(cf_now_ns() - t0) / 1e3;
        if (isnan(best) || us < best) best = us;
    }
    return best;
}
