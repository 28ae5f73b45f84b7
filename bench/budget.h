/* budget.h -- where a pool run's time went: its worker-time (workers x
 * wall) split into named parts that add up to it, and the cost model's
 * prediction beside it.
 *
 * The parts come from the per-task times a traced run records (cf_times:
 * submit, start, end, collect, worker). Each worker's line, from the run's
 * start (the timer starts just before the pool is made) to its end (the
 * pool shut down), is cut into segments, each counted once:
 *
 *   start-up   before the worker's first task starts (the pool being made,
 *              the worker started), and shutdown: after the run's last
 *              result reached the caller, to the run's end;
 *   work       the task bodies (end - start);
 *   hand-off   between two of its tasks, the part after the next one was
 *              submitted, up to the run's usual gap between jobs (the median:
 *              the executor's own cost of moving a worker on), every gap
 *              inside one job (a map chunk), and its last result's trip to
 *              the caller (end -> collect, process pools);
 *   idle       the rest, by kind:
 *              - tail: after its last task while others still ran (or no
 *                task at all): imbalance at the end;
 *              - stall: the part of a gap beyond the usual hand-off while
 *                its next task was already submitted: a batch not yet
 *                delivered, a lock held by another, the worker descheduled;
 *              - starved: before its next task was even submitted: the
 *                caller (the submitter) was behind.
 *
 * Where the caller is the worker (the sequential executor), the time
 * between two tasks is the executor's own bookkeeping: hand-off.
 *
 * The budget needs --trace, and never comes from a timed run: with --trace
 * each timed rep (untraced, the samples of the median) is followed by a
 * traced twin, whose per-task times feed the budget, the latencies and
 * tasks.csv. The budget of a point is that of its twin whose wall is
 * nearest the twins' median, so its parts sum to workers x that twin's
 * wall; where that wall is more than 5% off the untraced median (tracing
 * costs a few clock reads per task, which weighs on tasks of a
 * microsecond), its line and its notes say so.
 *
 * The model (budget_points): predicted wall = start-up + tasks x per-task
 * cost + the work: the longer of ceil(chunks / workers) whole rounds of
 * one chunk's share of the work each (chunks = ceil(tasks / chunksize);
 * the tasks taken as equal) and the work's CPU time (the baseline's
 * median x its utilization) over the cores; with start-up (an idle pool made
 * and shut down) and per-task cost (no-op tasks through a started pool)
 * from bench/probe.c, measured untraced with the run's options, and the
 * work the baseline's median (mode "loop" if the workload ran it, else
 * "seq"). The residual (median - predicted) is split by part: the
 * measured part per worker minus the model's share of it, which names
 * what the model missed.
 */
#ifndef BENCH_BUDGET_H
#define BENCH_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/cfutures.h"
#include "config.h"

/* One run's worker-time in ms (worker-milliseconds): the parts sum to
 * workers x wall_ms. */
typedef struct budget {
    int workers;
    double wall_ms;
    double work, startup, shutdown, handoff;
    double idle_tail, idle_stall, idle_starved;
    double gap_us; /* the usual gap between jobs on a worker (median), µs */
    size_t tasks;  /* tasks counted (a run, worker and times recorded) */
} budget;

/* The idle kinds together. */
double budget_idle(const budget *b);

/* start-up with shutdown, as summary.csv's budget_startup_ms. */
double budget_startup(const budget *b);

/* Splits one run's worker-time: t[0..n) the tasks' times, workers the pool
 * size, t0_ns the run's start (cf_now_ns clock), wall_ms its length;
 * caller_runs 1 when the caller runs the tasks (sequential executor).
 * Tasks without a worker in [0, workers) or a start are left out. Returns
 * 0, or -1 when no task counts or memory runs out (*out zeroed). */
int budget_run(const cf_times *t, size_t n, int workers, int caller_runs, int64_t t0_ns,
               double wall_ms, budget *out);

/* A point's budgets, one per traced twin, and what budget_points() makes of
 * them. Zeroed: no budget. */
typedef struct budget_point {
    budget *runs; /* owned: one per recorded rep (tasks 0: none) */
    size_t nruns;

    /* Filled by budget_points(). */
    int ok;                                                /* b holds a budget */
    budget b;                                              /* the rep nearest the median */
    double pred_ms;                                        /* the model's wall; NaN: none */
    double pred_work_ms, pred_startup_ms, pred_handoff_ms; /* its terms, wall ms */
    char line[400];  /* the terminal's line; "" none */
} budget_point;

/* Adds rep k's budget to bp (times NULL or the mode not a pool: an empty
 * one). Returns 0 or -1 (out of memory). */
int budget_add(budget_point *bp, const cf_times *times, size_t tasks, int mode, int workers,
               int64_t t0_ns, double wall_ms);

/* The model's work term, wall ms, for tasks equal tasks in chunks of
 * chunksize on workers workers and cores cores, whose loop took base_ms
 * with utilization base_util (CPU time / wall; NaN: taken as 1): the
 * longer of ceil(chunks / workers) whole rounds of one chunk each, and
 * the CPU time over the cores. A task that waits (a download) uses no
 * core while it waits. */
double budget_model_work_ms(size_t tasks, long chunksize, int workers, int cores, double base_ms,
                            double base_util);

struct point_stats;

/* For each summarized point of ps[0..n) (one workload's), picks the budget
 * of the rep nearest its median, runs the probes (never inside a timed run)
 * and computes the prediction, its residual and the terminal line. */
void budget_points(struct point_stats *ps, size_t n, const run_config *c);

/* Frees what bp holds; safe on a zeroed one. */
void budget_point_free(budget_point *bp);

/* One mode's bar in report.html, as summary.csv has it: the parts in
 * worker-ms (work, start-up, hand-off, idle), its median and the model's
 * wall (NaN: none). */
enum { BUDGET_NPARTS = 4 };
typedef struct budget_bar {
    const char *label; /* "process ×2"; escaped when written */
    double part[BUDGET_NPARTS];
    double median_ms, predicted_ms;
} budget_bar;

/* Writes the "where the time went" chart of bars[0..n) to f: one stacked
 * bar per mode in HTML with inline CSS (budget_html.c); nothing if n is 0. */
void budget_html(FILE *f, const budget_bar *bars, size_t n);

#endif
