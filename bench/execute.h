/* execute.h -- one point in, one run result out: the timed run, Python's
 * runs, the verdict on each, and the signal watcher that cuts a run short.
 *
 * A C run is timer_start, create the executor, map every input through it
 * with the chunksize, collect results in input order, shut the executor
 * down, timer_stop; then verify outside the timed part. A Python point is
 * one runner process for all its reps (bench/python.c), each rep becoming
 * a run_result like a C run's, so one verdict function judges both.
 *
 * ^C and SIGTERM: the handler records the signal and wakes the watcher
 * thread through a pipe; the watcher cancels what the current run has not
 * started (cf_executor_shutdown is not async-signal-safe, so the handler
 * cannot). The run then ends and the caller starts no further run.
 */
#ifndef BENCH_EXECUTE_H
#define BENCH_EXECUTE_H

#include <stddef.h>

#include "plan.h"
#include "timer.h"

/* What one run gives back. */
typedef struct run_result {
    bench_times t;
    char digest[65];       /* wl_digest() of the results */
    char checked[65];      /* the digest verify() accepted (Python: of its first rep) */
    size_t failed;         /* failed tasks */
    int verified;          /* verify() found every result right */
    char first_error[160]; /* why verify refused, or the first failed task */
    long rep;              /* Python: the runner's rep number */
    long long t0_ns;       /* when the run started (cf_now_ns clock) */
    double gil_acq;        /* thread-gil: the GIL taken (cf_gil_stats) during the run */
    double gil_forced;     /* thread-gil: of those, drops the switch interval forced */
} run_result;

/* Where Python and a download's server are, for Python points. */
typedef struct py_setup {
    const char *exe, *root; /* python3 and the project root (bench/python.h) */
    const char *base_url;   /* download: the harness's server, or NULL */
    const char *dir;        /* download: the folder files go to */
} py_setup;

/* Runs C point p once over plan's tasks and fills *out. With times and
 * task_ok (plan->n entries each, the caller's), records each task's times
 * and whether it succeeded. Returns 0, or -1 with err set if the run could
 * not start (task failures are not errors: out->failed counts them). */
/* Which start methods this process's process pools used, so far: "fork",
 * "forkserver", "fork,forkserver", or "" if none ran. */
void execute_start_methods(char *buf, size_t len);

int execute_run(const point *p, wl_plan *plan, const run_config *c, cf_times *times,
                unsigned char *task_ok, run_result *out, char *err, size_t errlen);

/* Runs Python point p (its warmups and c->repeat reps in one runner) and
 * returns each timed rep in *reps (malloc, *n entries, the caller frees),
 * checked by the C workload's verify(). Returns 0, or -1 with err set. */
int execute_python(const point *p, const wl_plan *plan, const run_config *c, const py_setup *py,
                   run_result **reps, size_t *n, char *err, size_t errlen);

/* The verdict on a run against the reference digest (the seq run's; ""
 * while unknown). */
typedef enum verdict {
    VERDICT_OK,          /* verified, the reference digest, no failed task */
    VERDICT_OK_FAILURES, /* as OK, but some tasks failed (as in seq) */
    VERDICT_WRONG,       /* verify() refused a result */
    VERDICT_DIFFERS,     /* verified, but not the reference digest */
} verdict;

verdict run_verdict(const run_result *r, const char ref[65]);

/* The verdict in words for the user, without the point's name: "wrong
 * result: ...", "digest ... differs from seq's ...", "2 failed tasks, as in
 * seq (...)". `seq` names the reference ("seq", or "C seq" for Python). */
void verdict_words(verdict v, const run_result *r, const char ref[65], const char *seq, char *buf,
                   size_t len);

/* Installs the SIGINT/SIGTERM handler and starts the watcher. SA_RESTART:
 * blocking calls carry on; pool workers ignore SIGINT, so a ^C sent to the
 * whole terminal group does not kill them mid-task. Returns 0 or -1
 * (errno). */
int signals_start(void);

/* Restores the default handlers and joins the watcher. */
void signals_stop(void);

/* The signal that asked to stop, or 0. */
int signals_caught(void);

#endif
