/* stats.c -- summary statistics and speedups on top of GSL. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "stats.h"

int stats_summarize(const double *x, size_t n, stats_summary *out) {
    double *sorted, *work;
    int rc = -1;

    if (n == 0) return -1;
    sorted = malloc(n * sizeof *sorted);
    work = malloc(n * sizeof *work);
    if (sorted == NULL || work == NULL) goto cleanup;
    memcpy(sorted, x, n * sizeof *sorted);
    gsl_sort(sorted, 1, n);

    memset(out, 0, sizeof *out);
    out->n = n;
    out->mean = gsl_stats_mean(x, 1, n);
    /* GSL divides by n - 1 and gives NaN for one sample; a single run has
     * no measured spread, which 0 says in a CSV that stays numeric. */
    out->stddev = n > 1 ? gsl_stats_sd_m(x, 1, n, out->mean) : 0.0;
    out->median = gsl_stats_median_from_sorted_data(sorted, 1, n);
    out->min = sorted[0];
    out->max = sorted[n - 1];
    out->q1 = gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.25);
    out->q3 = gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.75);
    out->mad = gsl_stats_mad0(x, 1, n, work);

    if (n >= 4) {
        double iqr = out->q3 - out->q1;
        double lo = out->q1 - 1.5 * iqr, hi = out->q3 + 1.5 * iqr;
        int first_top = 1;
        for (size_t i = 0; i < n; i++)
            if (x[i] < lo || x[i] > hi) out->outliers++;
        for (size_t i = 1; i < n; i++)
            if (x[i] >= x[0]) first_top = 0;
        out->slow_first = first_top && x[0] > hi;
    }
    rc = 0;

cleanup:
    free(sorted);
    free(work);
    return rc;
}

double stats_median_se(const stats_summary *s) {
    if (s->n < 2) return 0.0;
    return sqrt(M_PI / 2.0) * 1.4826 * s->mad / sqrt((double)s->n);
}

int stats_speedup(const stats_summary *base, const stats_summary *s, double *speedup, double *err) {
    if (!(base->median > 0.0) || !(s->median > 0.0)) {
        *speedup = NAN;
        *err = NAN;
        return -1;
    }
    double rb = stats_median_se(base) / base->median;
    double rs = stats_median_se(s) / s->median;
    *speedup = base->median / s->median;
    *err = *speedup * sqrt(rb * rb + rs * rs);
    return 0;
}
