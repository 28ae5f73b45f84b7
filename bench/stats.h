/* stats.h -- summary statistics of repeated runs, and speedups with errors.
 *
 * Medians, not means, carry the results: a benchmark's noise is one-sided
 * (a run can be slowed by the machine, never sped up), so the median is
 * the robust centre and the median absolute deviation (MAD) the robust
 * spread. Quantiles interpolate linearly between order statistics
 * (gsl_stats_quantile_from_sorted_data; R's type 7, numpy's default).
 *
 * Speedup error. speedup = base median / median. Each median's standard
 * error is estimated from the MAD as for normal data:
 *     se(median) = sqrt(pi/2) * 1.4826 * MAD / sqrt(n)
 * (1.4826 * MAD estimates sigma; the median's standard error is
 * sqrt(pi/2) = 1.2533 times the mean's). The relative errors of the two
 * independent medians add in quadrature:
 *     speedup_err = speedup * sqrt((se_b / median_b)^2 + (se / median)^2)
 * A side with a single sample has no known spread and contributes 0.
 *
 * Outliers. A sample below q1 - 1.5 IQR or above q3 + 1.5 IQR (Tukey's
 * fences) counts as an outlier; with fewer than 4 samples there are none.
 * `slow_first` flags a first sample far above the rest (more than the
 * fence and above every other sample), hyperfine's "first run was slower"
 * hint that a warmup run would help.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>

typedef struct stats_summary {
    size_t n;
    double mean, stddev; /* stddev: sample (n - 1); 0 when n == 1 */
    double median, min, max;
    double q1, q3;   /* 25% and 75% quantiles */
    double mad;      /* median absolute deviation (unscaled) */
    size_t outliers; /* samples outside Tukey's fences */
    int slow_first;  /* 1: the first sample is an outlier on top */
} stats_summary;

/* Summarizes x[0..n) (left unchanged; n >= 1) into *out. Returns 0, or -1
 * if n is 0 or memory runs out. */
int stats_summarize(const double *x, size_t n, stats_summary *out);

/* Standard error of s->median as above (0 when s->n < 2). */
double stats_median_se(const stats_summary *s);

/* Speedup of `s` against `base` (base median / s median) and its error as
 * above, in *speedup and *err. Returns 0, or -1 (outputs set to NaN) if a
 * median is not positive. */
int stats_speedup(const stats_summary *base, const stats_summary *s, double *speedup, double *err);

#endif
