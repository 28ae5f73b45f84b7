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

/* Quantiles of one distribution (per-task latencies), type 7 as above. */
typedef struct stats_pcts {
    double p50, p95, p99;
} stats_pcts;

/* Sorts x[0..n) in place and stores its 50/95/99% quantiles in *out.
 * Returns 0, or -1 (outputs NaN) if n is 0. */
int stats_percentiles(double *x, size_t n, stats_pcts *out);

/* Percentile bootstrap of a ratio of medians, median(num) / median(den):
 * `resamples` times, each side is resampled with replacement on its own
 * (gsl_ran_sample; the two are independent runs), the ratio of the
 * resampled medians recorded; *lo and *hi are its (1 - level) / 2 and
 * (1 + level) / 2 quantiles. The generator (MT19937) is seeded with
 * `seed`, so a result set gives the same interval every time. A side with
 * one sample always resamples to itself: with one sample on each side the
 * interval is the single ratio. Returns 0, or -1 (outputs NaN) if a side is
 * empty, a median is not positive, resamples is 0 or memory runs out. */
int stats_bootstrap_ratio(const double *num, size_t nn, const double *den, size_t nd,
                          size_t resamples, double level, unsigned long seed, double *lo,
                          double *hi);

/* Mann-Whitney U test (Wilcoxon rank-sum), two-sided: are samples from a
 * and b drawn from one distribution? u is a's U (pairs with a > b, ties
 * counting one half). With no ties and both sides at most
 * STATS_MW_EXACT_MAX, p is exact (the count of rankings as extreme as this
 * one, from the rank-sum recurrence); otherwise it comes from the normal
 * approximation with tie and continuity corrections (gsl_cdf_ugaussian_Q).
 * p_min is the smallest two-sided p any outcome could give at these sizes
 * (2 / C(na + nb, na)): when it is above the chosen level, no data of this
 * size can show a difference, and the caller should say that there are
 * too few repetitions rather than "no difference". */
#define STATS_MW_EXACT_MAX 20
typedef struct stats_mw {
    double u, p, p_min;
    int exact; /* 1: p is exact */
} stats_mw;

/* Runs the test on a[0..na) and b[0..nb). Returns 0, or -1 if a side is
 * empty or memory runs out. */
int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, stats_mw *out);

/* What the teaching notes look at, for one (workload, mode, workers)
 * point. Unknown numbers are NaN (or 0 for the flags) and switch their
 * note off. */
typedef struct stats_note_input {
    int pool;            /* a thread or process executor (not seq/async) */
    int cpu_bound;       /* the workload keeps a core busy (seq's CPU/wall) */
    int workers, cores;  /* pool size; usable cores */
    double task_us;      /* time of one task alone (seq median / tasks) */
    double pool_cost_us; /* the executor's measured cost per no-op task */
    double speedup;      /* against seq */
    double mean, stddev; /* of the wall times */
    size_t reps;
    int slow_first; /* the first timed run was the slowest by far */
} stats_note_input;

/* Writes the notes that apply to `in` into buf (one sentence each, joined
 * by "; "; "" if none; no commas or newlines, so that a CSV field needs no
 * quoting): tasks shorter than the pool's cost per task, more CPU-bound
 * workers than cores, a speedup above the core count, noisy runs (stddev
 * above 10% of the mean) or a slow first run. Returns the number of notes. */
int stats_notes(const stats_note_input *in, char *buf, size_t len);

#endif
