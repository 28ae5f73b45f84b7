/* summary.c -- each point's samples reduced to its summary and notes. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "probe.h"
#include "summary.h"

int summary_add(point_stats *ps, const run_result *r) {
    double *grown = realloc(ps->wall, (ps->n + 1) * sizeof *grown);
    if (grown == NULL) return -1;
    ps->wall = grown;
    grown = realloc(ps->cpu, (ps->n + 1) * sizeof *grown);
    if (grown == NULL) return -1;
    ps->cpu = grown;
    if (!isnan(r->t.other_ms)) {
        ps->other_ms += r->t.other_ms;
        ps->other_wall_ms += r->t.wall_ms;
    }
    ps->gil_acq += r->gil_acq;
    ps->gil_forced += r->gil_forced;
    ps->wall[ps->n] = r->t.wall_ms;
    ps->cpu[ps->n++] = r->t.user_ms + r->t.sys_ms;
    return 0;
}

int summary_add_twin(point_stats *ps, const run_result *r, const cf_times *times) {
    double *grown;
    if (budget_add(&ps->budget, times, ps->tasks, ps->p.mode, ps->p.workers, r->t0_ns,
                   r->t.wall_ms) != 0)
        return -1;
    if (times == NULL || ps->tasks == 0) return 0;
    for (int k = 0; k < 3; k++) {
        grown = realloc(ps->lat[k], (ps->nlat + ps->tasks) * sizeof *grown);
        if (grown == NULL) return -1;
        ps->lat[k] = grown;
    }
    for (size_t i = 0; i < ps->tasks; i++, ps->nlat++) {
        const cf_times *t = &times[i];
        ps->lat[0][ps->nlat] = (double)(t->start - t->submit) / 1e3;
        ps->lat[1][ps->nlat] = (double)(t->end - t->start) / 1e3;
        ps->lat[2][ps->nlat] = (double)(t->collect - t->end) / 1e3;
    }
    return 0;
}

/* Stats of one point on its own: summary, percentiles, utilization (the
 * share of the cores the pool could use that the run kept busy). */
static void summarize_point(point_stats *ps, int cores) {
    ps->speedup = ps->speedup_err = NAN;
    ps->speedup_lo = ps->speedup_hi = ps->util = NAN;
    ps->notes[0] = '\0';
    for (int k = 0; k < 3; k++)
        (void)stats_percentiles(ps->lat[k], ps->nlat, &ps->pct[k]);
    if (ps->n > 0) {
        double *u = malloc(ps->n * sizeof *u);
        double p = ps->p.workers < cores ? ps->p.workers : cores;
        for (size_t k = 0; u != NULL && k < ps->n; k++)
            u[k] = ps->wall[k] > 0.0 ? ps->cpu[k] / (ps->wall[k] * (p > 0 ? p : 1)) : 0.0;
        stats_pcts up;
        if (u != NULL && stats_percentiles(u, ps->n, &up) == 0) ps->util = up.p50;
        free(u);
    }
    ps->summarized = ps->n > 0 && stats_summarize(ps->wall, ps->n, &ps->st) == 0;
    /* Pooled over the reps, unclamped per rep: the ticks' rounding evens
     * out instead of adding up. Shared only beyond that rounding. */
    ps->other_cpu = machine_cores(ps->other_ms, ps->other_wall_ms);
    ps->shared = ps->other_cpu - machine_resolution(ps->other_wall_ms) > MACHINE_SHARED_CORES;
}

void summary_note(point_stats *ps, const char *fmt, ...) {
    size_t used = strlen(ps->notes);
    if (used > 0 && used + 2 < sizeof ps->notes) {
        memcpy(ps->notes + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->notes + used, sizeof ps->notes - used, fmt, ap);
    va_end(ap);
}

/* What sharing the machine did to the figure, appended to the notes. */
static void machine_note(point_stats *ps) {
    if (!ps->shared) return;
    summary_note(ps,
                 "shared the machine: %.2f cores of other work on average (over %.1f) took CPU "
                 "from these runs: times too slow and noisy and a pool that wants every core "
                 "loses most so its speedup reads low; rerun on a quiet machine",
                 ps->other_cpu, MACHINE_SHARED_CORES);
}

/* How often the emulated GIL changed hands, and how often the switch
 * interval forced it, per run (cf_gil_stats), in a thread-gil point's notes. */
static void gil_note(point_stats *ps, long switch_ms) {
    if (!run_modes[ps->p.mode].gil || ps->p.impl != IMPL_C || ps->n == 0) return;
    summary_note(ps,
                 "GIL per run: taken %.0f times with %.1f of them forced by the %ld ms switch "
                 "interval (cf_gil_stats; mean of %zu runs)",
                 ps->gil_acq / (double)ps->n, ps->gil_forced / (double)ps->n, switch_ms, ps->n);
}

/* The sequential executor's cost over the plain loop, per task. */
static void bookkeeping_note(point_stats *ps, const point_stats *base) {
    if (ps->p.mode != M_SEQ || base == NULL || base->p.mode != M_LOOP || ps->tasks == 0) return;
    double per = base->st.median * 1e3 / (double)ps->tasks; /* µs of loop per task */
    if (!(ps->speedup_hi < 1.0)) { /* the interval reaches 1 (or there is none) */
        summary_note(ps, "seq and the loop differ by less than their noise here: no executor "
                         "bookkeeping to read off");
        return;
    }
    /* seq = loop / speedup: its interval gives the cost's. */
    summary_note(ps, "seq = executor bookkeeping over the loop: %.2f µs/task (%.2f-%.2f)",
                 (ps->st.median - base->st.median) * 1e3 / (double)ps->tasks,
                 per * (1 / ps->speedup_hi - 1), per * (1 / ps->speedup_lo - 1));
}

const point_stats *summary_base(const point_stats *ps, size_t n, int impl) {
    const point_stats *seq = NULL;
    for (size_t i = 0; i < n; i++) {
        if (ps[i].p.impl != impl || !ps[i].summarized) continue;
        if (ps[i].p.mode == M_LOOP) return &ps[i];
        if (ps[i].p.mode == M_SEQ && seq == NULL) seq = &ps[i];
    }
    return seq;
}

/* The speedup of ps against seq (the base); `rank` (the point's place among its
 * implementation's) seeds the bootstrap, so one result set gives one
 * interval. */
static void speedup(point_stats *ps, const point_stats *seq, size_t rank, long resamples) {
    if (ps == seq) { /* against itself: exactly 1, with no error */
        ps->speedup = ps->speedup_lo = ps->speedup_hi = 1.0;
        ps->speedup_err = 0.0;
        return;
    }
    (void)stats_speedup(&seq->st, &ps->st, &ps->speedup, &ps->speedup_err);
    (void)stats_bootstrap_ratio(seq->wall, seq->n, ps->wall, ps->n, (size_t)resamples, 0.95,
                                1000 + rank, &ps->speedup_lo, &ps->speedup_hi);
}

/* The teaching notes of a C point; seq is its baseline or NULL. */
static void notes(point_stats *ps, const point_stats *seq, int cores, const run_config *c) {
    const mode_info *m = &run_modes[ps->p.mode];
    stats_note_input in = {0};
    in.pool = !m->async && !m->plain && ps->p.mode != M_SEQ;
    in.workers = ps->p.workers;
    in.cores = cores;
    in.speedup = ps->speedup;
    in.mean = ps->st.mean;
    in.stddev = ps->st.stddev;
    in.reps = ps->n;
    in.slow_first = ps->st.slow_first;
    in.task_us = in.pool_cost_us = NAN;
    if (seq != NULL && ps->tasks > 0) {
        /* CPU-bound: the sequential run kept its one core busy. */
        in.cpu_bound = seq->util >= 0.8;
        in.task_us = seq->st.median * 1e3 / (double)ps->tasks;
        /* Only tiny tasks can lose to the pool: measure only then. */
        if (in.pool && in.task_us < 1000.0) {
            cf_options o = CF_OPTIONS_INIT;
            o.max_workers = ps->p.workers;
            o.start_method = c->start_method;
            o.fork_warning_off = 1; /* as execute.c's pools */
            if (m->gil) o.gil_interval = (double)c->switch_interval_ms / 1000.0;
            in.pool_cost_us = probe_pool_cost_us(m->kind, &o, (int)ps->p.chunksize);
        }
    }
    (void)stats_notes(&in, ps->notes, sizeof ps->notes);
}

void summary_compute(point_stats *ps, size_t n, const run_config *c) {
    int cores = cf_default_workers(CF_PROCESS);
    for (size_t i = 0; i < n; i++)
        summarize_point(&ps[i], cores);
    for (int impl = 0; impl < NIMPLS; impl++) {
        const point_stats *seq = summary_base(ps, n, impl);
        for (size_t i = 0, rank = 0; i < n; i++) {
            if (ps[i].p.impl != impl) continue;
            if (seq != NULL && ps[i].summarized) speedup(&ps[i], seq, rank, c->resamples);
            rank++;
            /* The notes weigh this library's pool cost: Python's carry none. */
            if (impl == IMPL_C && ps[i].summarized) notes(&ps[i], seq, cores, c);
            if (ps[i].summarized) bookkeeping_note(&ps[i], seq);
            if (ps[i].summarized) gil_note(&ps[i], (long)c->switch_interval_ms);
            if (ps[i].summarized) machine_note(&ps[i]);
        }
    }
    budget_points(ps, n, c);
}

void summary_free(point_stats *ps, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(ps[i].wall);
        free(ps[i].cpu);
        for (int k = 0; k < 3; k++)
            free(ps[i].lat[k]);
        budget_point_free(&ps[i].budget);
    }
}
