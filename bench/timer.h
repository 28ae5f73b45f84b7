/* timer.h -- times one benchmark run the way a `with` block would see it.
 *
 * timer_start() is called before the executor is created and timer_stop()
 * after it has shut down, so a run's time includes starting and joining
 * the pool, as Python's timeit around a `with ...Executor()` block does.
 *
 * What is measured:
 *  - wall: cf_now_ns() (CLOCK_MONOTONIC), immune to clock changes.
 *  - user/sys CPU: getrusage(RUSAGE_SELF) delta plus getrusage
 *    (RUSAGE_CHILDREN) delta. A child's time reaches RUSAGE_CHILDREN only
 *    once it has been reaped, which pool shutdown does, so a process pool's
 *    workers count in the run that used them.
 *  - peak RSS: the larger of this process's peak during the run and the
 *    children's peak. The kernel's peak for this process is reset at
 *    timer_start() through /proc/self/clear_refs (Linux >= 4.0; if that
 *    fails the value is the process's lifetime peak). The children's peak
 *    cannot be reset: it is the largest reaped child so far.
 *  - context switches: voluntary (the run blocked: a lock, a pipe, I/O)
 *    and involuntary (the scheduler took the CPU away: more runnable
 *    threads than cores), from the same two getrusage deltas, so a
 *    process pool's workers count once reaped.
 *  - the rest of the machine (machine.h): other processes' CPU, steal
 *    and load while the run ran, from /proc/stat read at both ends.
 */
#ifndef BENCH_TIMER_H
#define BENCH_TIMER_H

#include <stdint.h>
#include <sys/resource.h>

#include "machine.h"

typedef struct bench_timer {
    int64_t t0_ns; /* cf_now_ns() at the start */
    struct rusage self0, child0;
    machine_sample m0;
} bench_timer;

typedef struct bench_times {
    double wall_ms, user_ms, sys_ms;
    long max_rss_kb;
    long vol_cs, invol_cs; /* context switches, this process + children */
    double other_ms;       /* busy ms of other work (machine_other_ms); NaN: unknown */
    double other_cpu;      /* the same in cores over the run, 0..online CPUs */
    double steal_cpu;      /* steal, in cores over the run */
    double load;           /* 1-minute load average at the end */
} bench_times;

/* Starts the clocks. Returns 0, or -1 if a clock could not be read (errno
 * set). */
int timer_start(bench_timer *t);

/* Reads the clocks again and stores the run's times in *out. Returns 0 or
 * -1 (errno set). */
int timer_stop(const bench_timer *t, bench_times *out);

/* When the run started, in cf_now_ns()'s clock (CLOCK_MONOTONIC ns): the
 * origin of a traced run's per-task times. */
long long timer_start_ns(const bench_timer *t);

#endif
