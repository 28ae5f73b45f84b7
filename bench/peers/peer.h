/* peer.h -- what every peer program shares: its clock, its counters and its CSV row.
 *
 * Each peer times no-op tasks through one real task pool, the way
 * `cfbench overhead` times ours: best of PEER_REPEAT runs, wall time divided
 * by tasks, and beside it the minor page faults and context switches per
 * task of the kept run (getrusage around the timed part; for a forked
 * worker, RUSAGE_CHILDREN once it has been waited for). Usage of every
 * peer: NAME [TASKS [WORKERS]], default 100000 tasks and 2 workers.
 */
#ifndef PEER_H
#define PEER_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define PEER_REPEAT 5
#define PEER_HEADER                                                                                \
    "executor,method,chunksize,tasks,us_per_task,minflt_per_task,csw_per_task,"                    \
    "child_minflt_per_task,child_csw_per_task"

/* One run's cost: seconds, then page faults and context switches of this
 * process (self) and of its waited-for children (child). */
typedef struct {
    double secs, minflt, csw, child_minflt, child_csw;
} peer_cost;

static inline double peer_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Snapshot at the start of a run; peer_stop() turns it into the run's cost. */
static inline peer_cost peer_start(void) {
    struct rusage s, c;
    getrusage(RUSAGE_SELF, &s);
    getrusage(RUSAGE_CHILDREN, &c);
    return (peer_cost){peer_now(), (double)s.ru_minflt, (double)(s.ru_nvcsw + s.ru_nivcsw),
                       (double)c.ru_minflt, (double)(c.ru_nvcsw + c.ru_nivcsw)};
}

static inline peer_cost peer_stop(peer_cost a) {
    peer_cost b = peer_start();
    return (peer_cost){b.secs - a.secs, b.minflt - a.minflt, b.csw - a.csw,
                       b.child_minflt - a.child_minflt, b.child_csw - a.child_csw};
}

/* Keeps the faster of two runs (best of PEER_REPEAT, as cfbench overhead). */
static inline void peer_keep(peer_cost *best, peer_cost run) {
    if (best->secs <= 0 || run.secs < best->secs) *best = run;
}

static inline void peer_row(const char *executor, const char *method, int chunk, long tasks,
                            peer_cost c) {
    double n = (double)tasks;
    printf("%s,%s,%d,%ld,%.4f,%.4f,%.4f,%.4f,%.4f\n", executor, method, chunk, tasks,
           c.secs / n * 1e6, c.minflt / n, c.csw / n, c.child_minflt / n, c.child_csw / n);
    fflush(stdout);
}

/* argv: [TASKS [WORKERS]]; prints the header. Exits 2 on a bad argument. */
static inline void peer_args(int argc, char **argv, long *tasks, int *workers) {
    *tasks = argc > 1 ? atol(argv[1]) : 100000;
    *workers = argc > 2 ? atoi(argv[2]) : 2;
    if (argc > 3 || *tasks < 1 || *workers < 1) {
        fprintf(stderr, "usage: %s [TASKS [WORKERS]]\n", argv[0]);
        exit(2);
    }
    printf("%s\n", PEER_HEADER);
}

#endif
