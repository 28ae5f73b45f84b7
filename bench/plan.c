/* plan.c -- a run_config's points and the order of their runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "plan.h"

const char *point_mode_name(const point *p) {
    static const char *const py[NMODES] = {[M_LOOP] = "py-loop",
                                           [M_SEQ] = "py-seq",
                                           [M_THREAD] = "py-thread",
                                           [M_PROCESS] = "py-process",
                                           [M_MPI] = "py-mpi"};
    return p->impl == IMPL_PY && py[p->mode] != NULL ? py[p->mode] : run_modes[p->mode].name;
}

int plan_reference_mode(unsigned modes) {
    return modes & 1u << M_SEQ && !(modes & 1u << M_LOOP) ? M_SEQ : M_LOOP;
}

int plan_applies(const workload *wl, int mode) {
    return !run_modes[mode].async || wl->run_async != NULL;
}

int plan_default_workers(const workload *wl, int mode, size_t tasks) {
    const mode_info *m = &run_modes[mode];
    if (mode == M_SEQ || m->plain) return 1;
    /* Under `mpiexec -n N` (Open MPI says N in its environment) the pool
     * takes ranks 1..N-1; alone it spawns as many as the CPUs. */
    const char *world = mode == M_MPI ? getenv("OMPI_COMM_WORLD_SIZE") : NULL;
    if (world != NULL && atoi(world) > 1) return atoi(world) - 1;
    if (m->async) return (int)(tasks > WORKERS_MAX ? WORKERS_MAX : tasks);
    if (m->kind == CF_THREAD && wl->run_async != NULL && tasks > 0)
        return (int)(tasks > WORKERS_MAX ? WORKERS_MAX : tasks);
    return cf_default_workers(m->kind);
}

/* The worker counts of (wl, mode): the sweep, or the one default. */
static size_t worker_counts(const run_config *c, const workload *wl, int mode, size_t tasks,
                            int *out) {
    if (mode == M_SEQ || run_modes[mode].plain || c->nworkers == 0) {
        out[0] = plan_default_workers(wl, mode, tasks);
        return 1;
    }
    for (size_t w = 0; w < c->nworkers; w++)
        out[w] = (int)c->workers[w];
    return c->nworkers;
}

int plan_points(const run_config *c, const workload *wl, size_t tasks, point **out, size_t *n) {
    int counts[CLI_LIST_MAX];
    size_t cap = 2 * NMODES * CLI_LIST_MAX;
    point *p = malloc(cap * sizeof *p);

    *out = NULL;
    *n = 0;
    if (p == NULL) return -1;
    for (int impl = 0; impl < NIMPLS; impl++) {
        unsigned modes = impl == IMPL_C ? c->modes : c->py_modes;
        for (int m = 0; m < NMODES; m++) {
            if (!(modes & 1u << m) || !plan_applies(wl, m)) continue;
            size_t k = worker_counts(c, wl, m, tasks, counts);
            long chunk = run_modes[m].async || run_modes[m].plain || m == M_SEQ ? 1 : c->chunksize;
            for (size_t w = 0; w < k; w++)
                p[(*n)++] = (point){wl, m, impl, counts[w], chunk};
        }
    }
    *out = p;
    return 0;
}

int plan_schedule(const run_config *c, const point *pts, size_t n, unsigned long seed, step **out,
                  size_t *nsteps) {
    long rounds = c->warmup + c->repeat;
    size_t most = (size_t)rounds * n, k = 0, nc = 0;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    step *s = malloc((most ? most : 1) * sizeof *s);
    gsl_rng *rng = NULL;
    int rc = -1;

    *out = NULL;
    *nsteps = 0;
    if (order == NULL || s == NULL ||
        (c->order == ORDER_RANDOM && (rng = gsl_rng_alloc(gsl_rng_mt19937)) == NULL))
        goto cleanup;
    if (rng != NULL) gsl_rng_set(rng, seed);
    int ref = plan_reference_mode(c->modes);
    for (size_t i = 0; i < n; i++)
        if (pts[i].impl == IMPL_C) order[nc++] = i;
    if (c->order == ORDER_GROUPED) {
        for (size_t i = 0; i < nc; i++)
            for (long r = 0; r < rounds; r++)
                s[k++] = (step){order[i], r};
    } else {
        for (long r = 0; r < rounds; r++) {
            if (rng != NULL) {
                gsl_ran_shuffle(rng, order, nc, sizeof *order);
                /* The reference first in the first round: its digest checks
                 * the rest. */
                for (size_t i = 0; r == 0 && i < nc; i++)
                    if (pts[order[i]].mode == ref) {
                        size_t t = order[0];
                        order[0] = order[i];
                        order[i] = t;
                        break;
                    }
            }
            for (size_t i = 0; i < nc; i++)
                s[k++] = (step){order[i], r};
        }
    }
    *out = s;
    *nsteps = k;
    s = NULL;
    rc = 0;

cleanup:
    gsl_rng_free(rng);
    free(order);
    free(s);
    return rc;
}

size_t plan_count_runs(const run_config *c) {
    const workload *const *all = workload_all();
    size_t total = 0;
    for (size_t i = 0; all[i] != NULL; i++) {
        if (!(c->workloads & 1u << i)) continue;
        if (!(c->modes & (1u << M_LOOP | 1u << M_SEQ)) && !c->no_reference) total++;
        for (int impl = 0; impl < NIMPLS; impl++) {
            unsigned modes = impl == IMPL_C ? c->modes : c->py_modes;
            for (int m = 0; m < NMODES; m++) {
                if (!(modes & 1u << m) || !plan_applies(all[i], m)) continue;
                size_t points =
                    m == M_SEQ || run_modes[m].plain || c->nworkers == 0 ? 1 : c->nworkers;
                total += points * (size_t)(c->warmup + c->repeat);
            }
        }
    }
    return total;
}

int plan_check(const run_config *c, char *skipped, size_t len) {
    const workload *const *all = workload_all();
    int any = 0;

    skipped[0] = '\0';
    for (size_t i = 0; all[i] != NULL; i++) {
        if (!(c->workloads & 1u << i)) continue;
        for (int m = 0; m < NMODES; m++) {
            if (!(c->modes & 1u << m)) continue;
            if (plan_applies(all[i], m)) {
                any = 1;
            } else if (!c->modes_all) {
                size_t used = strlen(skipped);
                snprintf(skipped + used, len - used, "%s%s", used ? ", " : "", all[i]->name);
            }
        }
    }
    return any ? 0 : -1;
}
