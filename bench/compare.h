/* compare.h -- two result sets compared per configuration, for `cfbench
 * compare` and for the report's verdict table (bench/html.c).
 *
 * A and B are bench.csv files (or folders holding one). Rows group by
 * configuration (workload, mode, workers, chunksize, size); only rows with
 * ok = 1 count. Each configuration found in both gets the ratio of the
 * medians B/A with a 95% bootstrap interval and a verdict from a two-sided
 * Mann-Whitney U test at 5%: "faster", "slower", "within noise", or "too
 * few reps" when no outcome could reach 5% at these sizes.
 */
#ifndef BENCH_COMPARE_H
#define BENCH_COMPARE_H

#include <stddef.h>

enum { CMP_WORKLOAD, CMP_MODE, CMP_WORKERS, CMP_CHUNK, CMP_SIZE, CMP_NKEY };

/* One configuration found in both sets. Strings are borrowed for the
 * length of the callback. p is NaN when untested; ratio_lo/hi NaN when the
 * bootstrap could not run. */
typedef struct compare_row {
    const char *key[CMP_NKEY];
    size_t n_a, n_b;
    double median_a, median_b, ratio, ratio_lo, ratio_hi, p;
    const char *verdict;
} compare_row;

/* What was compared: the files read (the path as opened, the impl its rows
 * came from), how many configurations matched, and how many of each side
 * had no counterpart. */
typedef struct compare_totals {
    char path[2][4096];
    char impl[2][64];
    size_t matched, only_a, only_b;
} compare_totals;

typedef void (*compare_row_fn)(const compare_row *row, void *arg);

/* Reads A and B (keeping rows of impl_a / impl_b; NULL: the file must
 * hold one impl only), calls fn(row, arg) for each configuration of A that
 * B also has, in A's order, and fills *t. `resamples` sets the bootstrap
 * (2000 is a good default). Returns 0, 1 (a file could not be read or is
 * not a bench.csv) or 2 (a usage problem: several impls and none chosen),
 * with a one-line reason in err. Matching nothing is not an error here:
 * t->matched says so. */
int compare_sets(const char *a, const char *impl_a, const char *b, const char *impl_b,
                 long resamples, compare_row_fn fn, void *arg, compare_totals *t, char *err,
                 size_t errlen);

#endif
