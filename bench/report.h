/* report.h -- what a reader gets from the summaries: the terminal table
 * with its warnings, latency breakdown and notes, summary.csv, and --json,
 * the last two laid out by one table of columns (report.c).
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stddef.h>

#include "summary.h"

/* The header of summary.csv. */
const char *report_summary_header(void);

/* Prints workload wl's table on stdout: title (with the plan's label),
 * one row per summarized point, warnings about outliers and a slow first
 * run, then, traced, the latency breakdown and each point's notes. */
void report_table(const run_config *c, const workload *wl, const char *label, const point_stats *ps,
                  size_t n);

/* Writes DIR/summary.csv (replaced atomically): one row per summarized
 * point. Returns 0, or -1 with err set (the old file stays). */
int report_summary_csv(const run_config *c, const point_stats *ps, size_t n, char *err,
                       size_t errlen);

/* Prints the summarized points as a JSON array on stdout. */
void report_json(const run_config *c, const point_stats *ps, size_t n);

#endif
