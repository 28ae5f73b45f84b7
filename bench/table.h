/* table.h -- what a person sees in the terminal: the results table per
 * workload and a progress bar.
 *
 * Colour (green faster, red slower) only goes to a terminal and only while
 * NO_COLOR is unset; the progress bar only to a terminal on stderr, so
 * that redirected output and CSV stay clean.
 */
#ifndef BENCH_TABLE_H
#define BENCH_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* 1 if escape colours may be written to f: f is a terminal and NO_COLOR is
 * not set. */
int table_use_color(FILE *f);

/* "4.9x faster", "24x slower", "1.0x (same)" for a speedup (base time /
 * this time), or "-" for NaN. Within 5% of 1 counts as the same. */
void table_speedup_words(double speedup, char *buf, size_t len);

/* A duration for people: "850 us", "12.3 ms", "4.56 s". */
void table_format_ms(double ms, char *buf, size_t len);

/* One line of the table. */
typedef struct table_row {
    const char *mode;
    int workers;
    size_t reps;
    double median_ms;
    double spread_ms; /* shown as "± spread" */
    double speedup;   /* NaN: no sequential baseline */
    size_t outliers;
    double speedup_lo, speedup_hi; /* 95% interval; 0 or NaN: none shown */
    int base;                      /* the speedups' base (loop, or seq where no loop ran) */
    int shared;                    /* its runs shared the machine (summary.h) */
    const char *below;             /* a line under the row (the budget); NULL, "": none */
} table_row;

/* Prints a titled table of rows[0..n) to f, coloured if color is set. The
 * speedup carries its interval when there is one: "4.9x faster
 * (4.5-5.2x)"; its column is headed by the base row's mode ("vs loop"). */
void table_print(FILE *f, const char *title, const table_row *rows, size_t n, int color);

/* The detail view of a traced run: where each task's time went, as
 * quantiles over every task of every repetition of the point. */
typedef struct table_latency_row {
    const char *mode;
    int workers;
    double queue[3]; /* start - submit, µs: p50, p95, p99 */
    double run[3];   /* end - start */
    double back[3];  /* collect - end: the result's trip to the caller */
} table_latency_row;

/* Prints the latency breakdown of rows[0..n) to f. */
void table_print_latency(FILE *f, const table_latency_row *rows, size_t n);

/* A one-line progress bar redrawn in place on stderr. */
typedef struct progress {
    int enabled; /* 0: every call does nothing */
    size_t total, done;
    int drawn; /* a bar is on screen and must be erased */
} progress;

/* Enables the bar if stderr is a terminal and quiet is 0. */
void progress_init(progress *p, size_t total, int quiet);

/* Redraws the bar with `label` (what runs now). */
void progress_show(progress *p, const char *label);

/* Counts one run as done. */
void progress_step(progress *p);

/* Erases the bar so that ordinary output can follow. */
void progress_clear(progress *p);

#endif
