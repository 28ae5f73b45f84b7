/* plan.h -- the points a run_config asks for and the order their runs go
 * in: pure functions of the config, no I/O, no clock.
 *
 * A point is one (workload, mode, workers, chunksize, impl) to time; a
 * workload's points are its C points, modes in run_modes[] order (loop
 * first) and each mode's worker sweep, then Python's. Each C point runs
 * warmup + repeat times; the schedule interleaves, groups or shuffles
 * those runs (--order). Python's points run after the C ones, each in one
 * runner process, so they are not scheduled here.
 */
#ifndef BENCH_PLAN_H
#define BENCH_PLAN_H

#include <stddef.h>

#include "config.h"

typedef struct point {
    const workload *wl;
    int mode;    /* index into run_modes[] */
    int impl;    /* IMPL_C or IMPL_PY */
    int workers; /* pool size (seq: 1; async: transfers at once) */
    long chunksize;
} point;

/* One run of the schedule: run number `round` (warmups first, then reps)
 * of point `point`. */
typedef struct step {
    size_t point;
    long round;
} step;

/* The point's mode as people read it: Python's are "py-loop", "py-thread"
 * and "py-process". */
const char *point_mode_name(const point *p);

/* The mode whose digest every other run of a workload must reproduce,
 * and whose median is the base of the speedups: loop, or seq where modes
 * (a mask of run_modes[]) holds seq but no loop. When neither is asked
 * for, loop (run once, unrecorded, for its digest). */
int plan_reference_mode(unsigned modes);

/* Does mode apply to wl? (async only where the workload has run_async.) */
int plan_applies(const workload *wl, int mode);

/* The pool size of a (workload, mode) point when --workers is not given:
 * Python's defaults, one thread per task for a workload with an async
 * mode (the blog sized its pool to the URL list) and every task at once
 * for async; `tasks` is the prepared workload's task count. */
int plan_default_workers(const workload *wl, int mode, size_t tasks);

/* The points of workload wl, which has `tasks` tasks: *out (malloc, the
 * caller frees) holds *n points, C's then Python's (c->py_modes). Returns
 * 0 or -1 (out of memory; *out NULL). */
int plan_points(const run_config *c, const workload *wl, size_t tasks, point **out, size_t *n);

/* The order of the C points' runs: every round (warmup + repeat) of each
 * of the n points, as --order asks, into *out (malloc, *nsteps entries).
 * ORDER_RANDOM shuffles the points in each round with a generator seeded
 * by `seed`, and puts the reference mode first in the first round so that
 * its digest is known before any other mode is checked. Python points are skipped.
 * Returns 0 or -1 (out of memory). */
int plan_schedule(const run_config *c, const point *pts, size_t n, unsigned long seed, step **out,
                  size_t *nsteps);

/* How many runs the whole invocation makes (the progress bar's total):
 * reference loop passes, C runs and Python runs. */
size_t plan_count_runs(const run_config *c);

/* Checks that the chosen modes leave something to run. Returns 0, or -1
 * when nothing applies. When async was asked by name but skipped for some
 * workloads, writes their names ("hash, prime") to skipped, else "". */
int plan_check(const run_config *c, char *skipped, size_t len);

#endif
