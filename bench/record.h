/* record.h -- bench.csv and tasks.csv: one row per timed run and, with
 * --trace, one per task of its traced twin, both laid out by one table of
 * columns (record.c).
 *
 * Rows are appended as each run ends and flushed, so an interrupted
 * benchmark keeps what it measured. bench.csv's last columns say what
 * the rest of the machine did meanwhile (machine.h): other_cpu (cores busy
 * with other work), steal_cpu and load_avg. A run's id, "STAMP-PID-SEQ", joins its
 * tasks.csv rows to its bench.csv row.
 */
#ifndef BENCH_RECORD_H
#define BENCH_RECORD_H

#include <stddef.h>
#include <stdio.h>

#include "execute.h"

/* What record_open() opens and record_close() closes. */
typedef struct recorder {
    FILE *bench;         /* DIR/bench.csv */
    FILE *tasks;         /* DIR/tasks.csv (--trace), or NULL */
    const char *size;    /* the size's name, on every row */
    char run_prefix[64]; /* "STAMP-PID" */
    size_t run_seq;      /* runs recorded so far */
    char last_id[96];    /* the last bench.csv row's run id */
} recorder;

/* The header of bench.csv (tasks = 0) or tasks.csv (tasks = 1). */
const char *record_header(int tasks);

/* Opens DIR/bench.csv, and with trace DIR/tasks.csv, for appending under
 * their headers (an existing file must have the same header). Returns 0,
 * or -1 with err set (nothing left open). */
int record_open(recorder *rec, const char *dir, int trace, wl_size size, char *err, size_t errlen);

/* Appends the row of one timed rep of point p (tasks tasks; ok: its
 * verdict) to bench.csv. Returns 0, or RECORD_BENCH when it could not be
 * written (errno set). */
enum { RECORD_BENCH = 1, RECORD_TASKS = 2 };
int record_run(recorder *rec, const point *p, size_t tasks, long rep, const run_result *r, int ok);

/* Appends to tasks.csv the rows of r, the traced twin of the rep last
 * given to record_run(): each task's times (in µs from the twin's start)
 * and task_ok, under that rep's run id and number. A timed rep is never
 * traced (--trace runs a twin after it), so bench.csv's times carry no
 * tracing. Returns 0, or RECORD_TASKS (errno set); 0 without tasks.csv. */
int record_twin(recorder *rec, const point *p, size_t tasks, long rep, const run_result *r,
                const cf_times *times, const unsigned char *task_ok);

/* Closes both files. Returns 0, or the mask of those whose close failed. */
int record_close(recorder *rec);

#endif
