/* overhead_rows.h -- what `cfbench overhead`'s rows share: the rusage
 * columns, one CSV row, a timed submit run, and the load rows (contention,
 * memory per pending future, payloads) of overhead_rows.c. */
#ifndef BENCH_OVERHEAD_ROWS_H
#define BENCH_OVERHEAD_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/cfutures.h"

/* Minor page faults and context switches, of this process and of its
 * waited-for children: ov_usage_since() gives the difference. */
typedef struct {
    double minflt, csw, child_minflt, child_csw;
} ov_usage;

ov_usage ov_usage_now(void);
ov_usage ov_usage_since(ov_usage a);

/* Prints one row; per = tasks for a per-task row, 1 for a startup row (per
 * pool). */
void ov_row(const char *ex, const char *method, int chunk, long tasks, double us, ov_usage u,
            double per);

/* Nanoseconds as seconds. */
double ov_secs(int64_t ns);

/* One timed run: submit n no-op tasks of t to ex, then each result;
 * returns seconds or a negative CF_E* code. fs has room for n. */
double ov_run_submit(cf_executor *ex, const cf_task *t, size_t n, cf_future **fs);

/* The rows of issue 25 beyond the no-op figures: four threads submitting
 * to one thread pool (submit-4p), the bytes a pending future holds in each
 * pool (pending-bytes: the figure is bytes, not µs), and payloads of 4 KiB,
 * 64 KiB and 1 MiB through the process pool (payload-4k..: µs per task;
 * bytes / µs is MB/s each way). t is the no-op task, fs room for `tasks`.
 * Returns 0 or 1 (said on stderr). */
int overhead_load_rows(const cf_task *t, cf_future **fs, long tasks, int workers, long repeat);

#endif
