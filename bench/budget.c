/* budget.c -- each pool run's worker-time split into work, start-up,
 * hand-off and idle, and the cost model's prediction beside it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "probe.h"
#include "summary.h"

double budget_idle(const budget *b) {
    return b->idle_tail + b->idle_stall + b->idle_starved;
}

double budget_startup(const budget *b) {
    return b->startup + b->shutdown;
}

/* The run's window [lo, hi]: every time is read inside it. */
typedef struct window {
    int64_t lo, hi;
} window;

static int64_t clamp(window w, int64_t x) {
    return x < w.lo ? w.lo : x > w.hi ? w.hi : x;
}

static int64_t max64(int64_t a, int64_t b) {
    return a > b ? a : b;
}

static const cf_times *sort_base; /* qsort has no context argument */

/* By worker, then start. */
static int by_worker_start(const void *a, const void *b) {
    const cf_times *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];
    if (x->worker != y->worker) return x->worker < y->worker ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int by_value(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* One gap on a worker's line, before task `next`, from `free_at` (its
 * previous task's end) to `start`: the part before next was submitted
 * (starved) and the part after (queued). */
typedef struct gap {
    int64_t starved, queued;
    int same_job; /* next belongs to the job (map chunk) of the task before */
} gap;

static gap gap_before(window w, const cf_times *prev, const cf_times *next, int64_t free_at,
                      int64_t start) {
    int64_t len = start - free_at, sub = clamp(w, next->submit) - free_at;
    int64_t starved = sub < 0 ? 0 : sub > len ? len : sub;
    return (gap){starved, len - starved, prev->submit == next->submit};
}

/* The median queued part of the gaps between jobs, in ns: the usual cost
 * of moving a worker on to its next job. 0 when there is no such gap. */
static int64_t usual_gap(window w, const cf_times *t, const size_t *idx, size_t n) {
    int64_t *q = malloc((n ? n : 1) * sizeof *q), usual = 0;
    size_t m = 0;
    if (q == NULL) return 0;
    for (size_t k = 1; k < n; k++) {
        const cf_times *prev = &t[idx[k - 1]], *next = &t[idx[k]];
        if (prev->worker != next->worker) continue;
        int64_t free_at = clamp(w, max64(prev->end, prev->start));
        int64_t start = max64(clamp(w, next->start), free_at);
        gap g = gap_before(w, prev, next, free_at, start);
        if (!g.same_job) q[m++] = g.queued;
    }
    if (m > 0) {
        qsort(q, m, sizeof *q, by_value);
        usual = m % 2 ? q[m / 2] : (q[m / 2 - 1] + q[m / 2]) / 2;
    }
    free(q);
    return usual;
}

/* Adds worker w's line (its tasks idx[0..n), sorted by start) to *b, in ns:
 * `last` is when the run's last result reached the caller. */
static void worker_line(window w, const cf_times *t, const size_t *idx, size_t n, int64_t last,
                        int64_t usual, int caller_runs, budget *b) {
    double ms = 1e-6;
    if (n == 0) { /* never ran a task */
        b->idle_tail += (double)(w.hi - w.lo) * ms;
        return;
    }
    int64_t cursor = clamp(w, t[idx[0]].start);
    b->startup += (double)(cursor - w.lo) * ms;
    for (size_t k = 0; k < n; k++) {
        const cf_times *x = &t[idx[k]];
        int64_t s = max64(clamp(w, x->start), cursor), e = max64(clamp(w, x->end), s);
        if (k > 0) {
            gap g = gap_before(w, &t[idx[k - 1]], x, cursor, s);
            if (caller_runs) {
                b->handoff += (double)(s - cursor) * ms;
            } else {
                int64_t h = g.same_job || g.queued < usual ? g.queued : usual;
                b->idle_starved += (double)g.starved * ms;
                b->handoff += (double)h * ms;
                b->idle_stall += (double)(g.queued - h) * ms;
            }
        }
        b->work += (double)(e - s) * ms;
        cursor = e;
    }
    /* Its last result's trip to the caller, then nothing left for it. */
    const cf_times *x = &t[idx[n - 1]];
    int64_t back = clamp(w, max64(x->collect, x->end)) - cursor, tail = last - cursor;
    back = back < 0 ? 0 : back > tail ? tail : back;
    b->handoff += (double)back * ms;
    b->idle_tail += (double)(tail - back) * ms;
    b->shutdown += (double)(w.hi - last) * ms;
}

int budget_run(const cf_times *t, size_t n, int workers, int caller_runs, int64_t t0_ns,
               double wall_ms, budget *out) {
    window w = {t0_ns, t0_ns + (int64_t)llround(wall_ms * 1e6)};
    size_t *idx = malloc((n ? n : 1) * sizeof *idx), m = 0;

    memset(out, 0, sizeof *out);
    if (idx == NULL || workers < 1) goto fail;
    for (size_t i = 0; i < n; i++)
        if (t[i].worker >= 0 && t[i].worker < workers && t[i].start > 0) idx[m++] = i;
    if (m == 0) goto fail;
    sort_base = t;
    qsort(idx, m, sizeof *idx, by_worker_start);
    int64_t last = w.lo;
    for (size_t k = 0; k < m; k++)
        last = max64(last, clamp(w, max64(t[idx[k]].collect, t[idx[k]].end)));
    int64_t usual = usual_gap(w, t, idx, m);
    out->workers = workers;
    out->wall_ms = (double)(w.hi - w.lo) / 1e6;
    out->gap_us = (double)usual / 1e3;
    out->tasks = m;
    for (size_t k = 0, wk = 0; wk < (size_t)workers; wk++) {
        size_t first = k;
        while (k < m && t[idx[k]].worker == (int)wk)
            k++;
        worker_line(w, t, idx + first, k - first, last, usual, caller_runs, out);
    }
    free(idx);
    return 0;
fail:
    free(idx);
    memset(out, 0, sizeof *out);
    return -1;
}

int budget_add(budget_point *bp, const cf_times *times, size_t tasks, int mode, int workers,
               int64_t t0_ns, double wall_ms) {
    budget *grown = realloc(bp->runs, (bp->nruns + 1) * sizeof *grown);
    if (grown == NULL) return -1;
    bp->runs = grown;
    budget *b = &bp->runs[bp->nruns++];
    memset(b, 0, sizeof *b);
    const mode_info *m = &run_modes[mode];
    if (times != NULL && !m->async)
        (void)budget_run(times, tasks, workers, m->kind == CF_SEQUENTIAL, t0_ns, wall_ms, b);
    return 0;
}

void budget_point_free(budget_point *bp) {
    free(bp->runs);
    memset(bp, 0, sizeof *bp);
}

/* The baseline of impl among ps[0..n): its "loop" point, else its seq. */
static const point_stats *baseline(const point_stats *ps, size_t n, int impl) {
    const point_stats *seq = NULL;
    for (size_t i = 0; i < n; i++) {
        if (ps[i].p.impl != impl || !ps[i].summarized) continue;
        if (!strcmp(run_modes[ps[i].p.mode].name, "loop")) return &ps[i];
        if (ps[i].p.mode == M_SEQ && seq == NULL) seq = &ps[i];
    }
    return seq;
}

double budget_model_work_ms(size_t tasks, long chunksize, int workers, int cores, double base_ms,
                            double base_util) {
    size_t chunk = chunksize > 1 ? (size_t)chunksize : 1, w = workers > 0 ? (size_t)workers : 1;
    if (tasks == 0) tasks = 1;
    if (chunk > tasks) chunk = tasks;
    size_t chunks = (tasks + chunk - 1) / chunk, rounds = (chunks + w - 1) / w;
    double by_workers = (double)rounds * (double)chunk * base_ms / (double)tasks;
    double busy = isnan(base_util) ? 1.0 : base_util < 1.0 ? base_util : 1.0;
    double by_cores = base_ms * busy / (cores > 0 ? cores : 1);
    return by_workers > by_cores ? by_workers : by_cores;
}

/* The model's terms for point ps against the baseline's median. */
static void predict(point_stats *ps, const point_stats *base, int cores, const run_config *c) {
    budget_point *bp = &ps->budget;
    const mode_info *m = &run_modes[ps->p.mode];
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = ps->p.workers;
    o.start_method = c->start_method;
    o.fork_warning_off = 1; /* as execute.c's pools */
    if (m->gil) o.gil_interval = (double)c->switch_interval_ms / 1000.0;
    double startup_us = probe_pool_startup_us(m->kind, &o);
    double task_us = probe_pool_cost_us(m->kind, &o, (int)ps->p.chunksize);
    if (isnan(startup_us) || isnan(task_us)) return;
    bp->pred_work_ms = budget_model_work_ms(ps->tasks, ps->p.chunksize, ps->p.workers, cores,
                                             base->st.median, base->util);
    bp->pred_startup_ms = startup_us / 1e3;
    bp->pred_handoff_ms = (double)ps->tasks * task_us / 1e3;
    bp->pred_ms = bp->pred_work_ms + bp->pred_startup_ms + bp->pred_handoff_ms;
}

/* Appends to buf (used bytes so far in *used). */
static void add(char *buf, size_t len, size_t *used, const char *fmt, double a, double b) {
    if (*used >= len) return;
    int k = snprintf(buf + *used, len - *used, fmt, a, b);
    if (k > 0) *used += (size_t)k;
}

typedef struct residual {
    const char *name;
    double ms;
} residual;

/* The residual (wall ms) split by part: the measured part per worker
 * minus the model's, largest first. */
static void residual_words(const budget_point *bp, const point_stats *base, char *buf, size_t len,
                           size_t *used) {
    const budget *b = &bp->b;
    double W = b->workers, base_ms = base->st.median;
    residual r[4] = {
        {"work", (b->work - base_ms) / W},
        {"start-up", budget_startup(b) / W - bp->pred_startup_ms},
        {"hand-off", b->handoff / W - bp->pred_handoff_ms},
        {"idle", (budget_idle(b) - (W * bp->pred_work_ms - base_ms)) / W},
    };
    for (int i = 0; i < 4; i++) /* by size, largest first */
        for (int j = i + 1; j < 4; j++)
            if (fabs(r[j].ms) > fabs(r[i].ms)) {
                residual s = r[i];
                r[i] = r[j];
                r[j] = s;
            }
    for (int i = 0; i < 4; i++) {
        add(buf, len, used, i ? ", " : " (", 0, 0);
        add(buf, len, used, r[i].name, 0, 0);
        add(buf, len, used, " %+.3g", r[i].ms, 0);
    }
    add(buf, len, used, ")", 0, 0);
}

/* 1 when the budget's twin run is more than 5% off ps's untraced median. */
static int twin_differs(const point_stats *ps) {
    return fabs(ps->budget.b.wall_ms - ps->st.median) > 0.05 * ps->st.median;
}

/* The terminal's line: the parts in worker-ms and shares, the idle kinds,
 * the model and its residual. */
static void make_line(point_stats *ps, const point_stats *base) {
    budget_point *bp = &ps->budget;
    const budget *b = &bp->b;
    double total = b->workers * b->wall_ms, idle = budget_idle(b);
    size_t used = 0, len = sizeof bp->line;
    char *buf = bp->line;
    if (total <= 0) total = 1;
    add(buf, len, &used, "budget, worker-ms of %.4g: ", total, 0);
    add(buf, len, &used, "work %.3g (%.0f%%)", b->work, 100 * b->work / total);
    add(buf, len, &used, ", start-up %.3g (%.0f%%)", budget_startup(b),
        100 * budget_startup(b) / total);
    add(buf, len, &used, ", hand-off %.3g (%.0f%%)", b->handoff, 100 * b->handoff / total);
    add(buf, len, &used, ", idle %.3g (%.0f%%", idle, 100 * idle / total);
    if (idle > 0) {
        add(buf, len, &used, ": tail %.2g, stall %.2g", b->idle_tail, b->idle_stall);
        add(buf, len, &used, ", starved %.2g", b->idle_starved, 0);
    }
    add(buf, len, &used, ")", 0, 0);
    if (!isnan(bp->pred_ms)) {
        add(buf, len, &used, "; model %.3g ms, residual %+.3g ms", bp->pred_ms,
            ps->st.median - bp->pred_ms);
        residual_words(bp, base, buf, len, &used);
    }
    if (twin_differs(ps))
        add(buf, len, &used, "; from a traced twin of %.3g ms (%+.0f%% on the median)",
            b->wall_ms, 100 * (b->wall_ms / ps->st.median - 1));
}

/* Says in the point's notes (summary.csv's row) that its budget comes
 * from a traced twin whose wall is more than 5% off the untraced median:
 * the parts sum to workers x the twin's wall, not the median's. */
static void twin_note(point_stats *ps) {
    const budget_point *bp = &ps->budget;
    if (!twin_differs(ps)) return;
    summary_note(ps,
                 "budget from a traced twin run of %.3g ms (%+.0f%% on the untraced median): "
                 "its parts sum to workers x that run and the median has no tracing in it",
                 bp->b.wall_ms, 100 * (bp->b.wall_ms / ps->st.median - 1));
}

/* The median wall of bp's budgeted twins; NaN if none (or no memory). */
static double twin_median(const budget_point *bp) {
    double *w = malloc((bp->nruns ? bp->nruns : 1) * sizeof *w);
    size_t n = 0;
    stats_pcts p = {NAN, NAN, NAN};
    for (size_t k = 0; w != NULL && k < bp->nruns; k++)
        if (bp->runs[k].tasks > 0) w[n++] = bp->runs[k].wall_ms;
    if (w != NULL) (void)stats_percentiles(w, n, &p);
    free(w);
    return p.p50;
}

void budget_points(point_stats *ps, size_t n, const run_config *c) {
    int cores = cf_default_workers(CF_PROCESS);
    for (size_t i = 0; i < n; i++) {
        budget_point *bp = &ps[i].budget;
        bp->ok = 0;
        bp->pred_ms = NAN;
        bp->pred_work_ms = bp->pred_startup_ms = bp->pred_handoff_ms = 0.0;
        bp->line[0] = '\0';
        if (!ps[i].summarized) continue;
        long best = -1;
        double mid = twin_median(bp);
        for (size_t k = 0; k < bp->nruns; k++)
            if (bp->runs[k].tasks > 0 &&
                (best < 0 || fabs(bp->runs[k].wall_ms - mid) < fabs(bp->runs[best].wall_ms - mid)))
                best = (long)k;
        if (best < 0) continue;
        bp->ok = 1;
        bp->b = bp->runs[best];
        const point_stats *base = baseline(ps, n, ps[i].p.impl);
        /* The probes measure this library's pools. */
        if (ps[i].p.impl == IMPL_C && base != NULL && base != &ps[i])
            predict(&ps[i], base, cores, c);
        make_line(&ps[i], base);
        twin_note(&ps[i]);
    }
}
