/* summary.h -- the samples of each point and what they add up to: median,
 * spread, speedup against the same implementation's loop (its seq where no
 * loop ran), utilization, per-task latency percentiles, the other work the
 * machine did meanwhile and the teaching notes.
 */
#ifndef BENCH_SUMMARY_H
#define BENCH_SUMMARY_H

#include <stddef.h>

#include "budget.h"
#include "execute.h"
#include "stats.h"

/* One point's recorded reps, then its summary. */
typedef struct point_stats {
    point p;
    size_t tasks;
    double *wall; /* wall_ms of each recorded rep */
    double *cpu;  /* user + sys ms of each recorded rep */
    size_t n;
    double *lat[3]; /* traced: queue, run, hand-back µs of every task of
                       every recorded rep */
    size_t nlat;
    int dead;                       /* a run could not start: no more */
    double other_ms, other_wall_ms; /* the reps' other work and wall where /proc told */
    double gil_acq, gil_forced;     /* thread-gil: summed over the reps (cf_gil_stats) */

    /* Filled by summary_compute(). */
    int summarized; /* at least one rep, and stats_summarize took them */
    stats_summary st;
    double speedup, speedup_err;   /* against the base of the same impl; NaN: none */
    double speedup_lo, speedup_hi; /* bootstrap 95% interval; NaN: none */
    double util;                   /* median (user + sys) / (wall x min(workers, cores)) */
    stats_pcts pct[3];             /* of lat[]; NaN when not traced */
    double other_cpu;              /* cores of other work, pooled over the reps; NaN: unknown */
    int shared;                    /* other_cpu above MACHINE_SHARED_CORES, beyond its resolution */
    char notes[768];               /* teaching notes (stats_notes; the machine's for all) */
    budget_point budget;           /* traced: where the time went (budget.h) */
} point_stats;

/* Records one timed rep (untraced): its wall and CPU time. Returns 0 or
 * -1 (out of memory). */
int summary_add(point_stats *ps, const run_result *r);

/* Records one traced twin run (--trace; never a timed sample): its
 * budget (budget_add) and, from times (ps->tasks entries), each task's
 * queue wait, run time and hand-back in µs. Returns 0 or -1 (out of
 * memory). */
int summary_add_twin(point_stats *ps, const run_result *r, const cf_times *times);

/* Appends one note (printf format) to ps->notes, after "; " when some
 * note is there already; cut short at the buffer's end. */
void summary_note(point_stats *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The base of impl's speedups among ps[0..n): its summarized loop point,
 * else its seq point (results from before the loop existed), else NULL. */
const point_stats *summary_base(const point_stats *ps, size_t n, int impl);

/* Summarizes ps[0..n) (one workload's points): stats, then each point's
 * speedup against the base of its own implementation (summary_base), keyed
 * by impl and not by position, and the teaching notes, whose pool-cost probe runs
 * here (never inside a timed run), with c's switch interval; c also
 * gives the bootstrap's resamples. Then each traced point's time budget
 * and the model's prediction (budget_points). */
void summary_compute(point_stats *ps, size_t n, const run_config *c);

/* Frees the samples of ps[0..n). */
void summary_free(point_stats *ps, size_t n);

#endif
