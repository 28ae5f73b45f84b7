/* python.h -- the Python side of a comparison: finds python3 and the
 * project's scripts, runs them, reads what they print.
 *
 * `cfbench run --impl python` times each workload with Python's own
 * concurrent.futures (workloads/python/bench.py) on the same task inputs as
 * the C run, and checks the Python results with the C workload's verify():
 * a Python run counts only if it computed what the C sequential run did.
 * `cfbench overhead --impl python` finds Python and the scripts here too.
 */
#ifndef BENCH_PYTHON_H
#define BENCH_PYTHON_H

#include <stddef.h>

#include "../workloads/workload.h"

/* Oldest Python the scripts run on (math.isqrt, 3.8). */
#define PY_MIN_MINOR 8

/* Finds a Python 3.8 or newer: $CFBENCH_PYTHON if set, else python3 on
 * PATH; writes the command to exe (exelen bytes). Returns 0, or -1 with one
 * line in why: not found, too old, or not answering. */
int py_find(char *exe, size_t exelen, char *why, size_t whylen);

/* As py_find(), for a Python that imports mpi4py.futures: py_find()'s,
 * else /usr/bin/python3 (where Debian's python3-mpi4py installs). Returns
 * 0, or -1 with one line in why (also under mpiexec, where a child's MPI
 * cannot start). */
int py_find_mpi4py(char *exe, size_t exelen, char *why, size_t whylen);

/* Finds the project root, the folder holding workloads/python/bench.py:
 * $CFBENCH_ROOT if set, else the nearest folder above the running program
 * (/proc/self/exe), else above the working folder. Returns 0 with the path
 * in root, or -1. */
int py_root(char *root, size_t rootlen);

/* One point of the plan for the Python runner. */
typedef struct py_point {
    const char *mode;        /* "seq", "thread" or "process" */
    int workers;             /* pool size (seq: 1) */
    long chunksize;          /* passed to Executor.map */
    long repeat, warmup;     /* timed and untimed runs */
    const char *size;        /* "quick", "default", "blog" */
    const char *const *urls; /* download: real URLs, or NULL for the
                                embedded server at base_url */
    size_t nurls;
    const char *base_url; /* download: the harness's server, without urls */
    const char *dir;      /* download: the folder the files go to */
} py_point;

/* One timed repetition as the runner measured it. */
typedef struct py_rep {
    long rep;
    int workers;
    size_t tasks, failed;
    double wall_ms, user_ms, sys_ms;
    long max_rss_kb;
    long vol_cs, invol_cs; /* context switches, runner + its workers */
    char digest[65];       /* the runner's own wl_digest() of its results */
} py_rep;

/* What one point gave: its reps, and the C verdict on the first one. */
typedef struct py_outcome {
    py_rep *reps; /* nreps timed reps, in order (malloc) */
    size_t nreps;
    int verified;          /* wl->verify() found every result right */
    char digest[65];       /* wl->verify()'s digest of the first rep */
    size_t failed;         /* failed tasks in the first rep */
    char first_error[160]; /* why verify refused, or the first failure */
} py_outcome;

/* Runs workloads/python/bench.py with python `exe` from project `root` for
 * workload wl (its plan already prepared; for download the server at
 * p->base_url is running) at point p, and checks the first timed rep's results with
 * wl->verify(). Fills *out (free with py_outcome_free). Returns 0, or -1
 * with err set if the runner failed or printed something unreadable. */
int py_run_point(const char *exe, const char *root, const workload *wl, const wl_plan *plan,
                 const py_point *p, py_outcome *out, char *err, size_t errlen);

/* Frees what py_run_point() allocated; safe on a zeroed outcome. */
void py_outcome_free(py_outcome *o);

#endif
