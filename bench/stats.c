/* stats.c -- summary statistics and speedups on top of GSL. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
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

int stats_percentiles(double *x, size_t n, stats_pcts *out) {
    if (n == 0) {
        out->p50 = out->p95 = out->p99 = NAN;
        return -1;
    }
    gsl_sort(x, 1, n);
    out->p50 = gsl_stats_quantile_from_sorted_data(x, 1, n, 0.50);
    out->p95 = gsl_stats_quantile_from_sorted_data(x, 1, n, 0.95);
    out->p99 = gsl_stats_quantile_from_sorted_data(x, 1, n, 0.99);
    return 0;
}

/* Median of n values drawn with replacement from src[0..n) into work. */
static double resampled_median(const gsl_rng *r, const double *src, size_t n, double *work) {
    gsl_ran_sample(r, work, n, (void *)src, n, sizeof *work);
    gsl_sort(work, 1, n);
    return gsl_stats_median_from_sorted_data(work, 1, n);
}

int stats_bootstrap_ratio(const double *num, size_t nn, const double *den, size_t nd,
                          size_t resamples, double level, unsigned long seed, double *lo,
                          double *hi) {
    double *wn = NULL, *wd = NULL, *ratios = NULL;
    gsl_rng *r = NULL;
    int rc = -1;

    *lo = *hi = NAN;
    if (nn == 0 || nd == 0 || resamples == 0 || !(level > 0.0 && level < 1.0)) return -1;
    wn = malloc(nn * sizeof *wn);
    wd = malloc(nd * sizeof *wd);
    ratios = malloc(resamples * sizeof *ratios);
    r = gsl_rng_alloc(gsl_rng_mt19937);
    if (wn == NULL || wd == NULL || ratios == NULL || r == NULL) goto cleanup;
    gsl_rng_set(r, seed);
    size_t k = 0;
    for (size_t i = 0; i < resamples; i++) {
        double mn = resampled_median(r, num, nn, wn);
        double md = resampled_median(r, den, nd, wd);
        if (!(mn > 0.0) || !(md > 0.0)) goto cleanup;
        ratios[k++] = mn / md;
    }
    gsl_sort(ratios, 1, k);
    *lo = gsl_stats_quantile_from_sorted_data(ratios, 1, k, (1.0 - level) / 2.0);
    *hi = gsl_stats_quantile_from_sorted_data(ratios, 1, k, (1.0 + level) / 2.0);
    rc = 0;

cleanup:
    if (rc != 0) *lo = *hi = NAN;
    gsl_rng_free(r);
    free(wn);
    free(wd);
    free(ratios);
    return rc;
}

/* P(U <= u) for sizes m, n without ties: the number of orderings of m
 * a's and n b's with at most u (a > b) pairs over C(m + n, m). The count
 * follows c(i, j, u) = c(i - 1, j, u - j) + c(i, j - 1, u): the largest
 * element is an a (beating all j b's) or a b. */
static int mw_exact_cdf(size_t m, size_t n, size_t u, double *out) {
    size_t umax = m * n, w = umax + 1;
    double *c = calloc((m + 1) * (n + 1) * w, sizeof *c);
    if (c == NULL) return -1;
#define C(i, j, k) c[((i) * (n + 1) + (j)) * w + (k)]
    for (size_t i = 0; i <= m; i++)
        for (size_t j = 0; j <= n; j++) {
            if (i == 0 || j == 0) {
                C(i, j, 0) = 1.0;
                continue;
            }
            for (size_t k = 0; k <= i * j; k++)
                C(i, j, k) = (k >= j ? C(i - 1, j, k - j) : 0.0) + C(i, j - 1, k);
        }
    double below = 0.0;
    for (size_t k = 0; k <= u && k <= umax; k++)
        below += C(m, n, k);
#undef C
    free(c);
    *out = below / gsl_sf_choose((unsigned)(m + n), (unsigned)m);
    return 0;
}

typedef struct ranked {
    double v;
    int from_a;
} ranked;

static int by_value(const void *x, const void *y) {
    double a = ((const ranked *)x)->v, b = ((const ranked *)y)->v;
    return (a > b) - (a < b);
}

int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, stats_mw *out) {
    size_t n = na + nb;
    ranked *all;
    double ra = 0.0, ties = 0.0;

    memset(out, 0, sizeof *out);
    if (na == 0 || nb == 0) return -1;
    all = malloc(n * sizeof *all);
    if (all == NULL) return -1;
    for (size_t i = 0; i < na; i++)
        all[i] = (ranked){a[i], 1};
    for (size_t i = 0; i < nb; i++)
        all[na + i] = (ranked){b[i], 0};
    qsort(all, n, sizeof *all, by_value);
    /* Tied values share the mean of the ranks they span. */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && all[j + 1].v == all[i].v)
            j++;
        double rank = (double)(i + j + 2) / 2.0, t = (double)(j - i + 1);
        for (size_t k = i; k <= j; k++)
            if (all[k].from_a) ra += rank;
        ties += t * t * t - t;
        i = j + 1;
    }
    free(all);

    double m = (double)na, nn = (double)nb, mean = m * nn / 2.0;
    out->u = ra - m * (m + 1.0) / 2.0;
    /* Past 60 samples C(n, na) nears double's range; p_min is then 0 for
     * any purpose anyway. */
    out->p_min = n > 60 ? 0.0 : fmin(1.0, 2.0 / gsl_sf_choose((unsigned)n, (unsigned)na));
    if (ties == 0.0 && na <= STATS_MW_EXACT_MAX && nb <= STATS_MW_EXACT_MAX) {
        /* U is symmetric about its mean: take the nearer tail, doubled. */
        double lower = fmin(out->u, m * nn - out->u), cdf;
        if (mw_exact_cdf(na, nb, (size_t)lower, &cdf) != 0) return -1;
        out->p = fmin(1.0, 2.0 * cdf);
        out->exact = 1;
        return 0;
    }
    double var = m * nn / 12.0 * ((double)n + 1.0 - ties / ((double)n * ((double)n - 1.0)));
    if (!(var > 0.0)) {
        out->p = 1.0; /* every value equal: nothing tells the sides apart */
        return 0;
    }
    double d = fabs(out->u - mean) - 0.5;
    out->p = d <= 0.0 ? 1.0 : fmin(1.0, 2.0 * gsl_cdf_ugaussian_Q(d / sqrt(var)));
    return 0;
}

/* Appends one note to buf, "; "-separated. */
static void add_note(char *buf, size_t len, int *count, const char *text) {
    size_t used = strlen(buf);
    if (used + 1 >= len) return;
    snprintf(buf + used, len - used, "%s%s", *count ? "; " : "", text);
    (*count)++;
}

/* A duration in µs with about two significant digits. */
static void fmt_us(char *buf, size_t len, double us) {
    if (us >= 10000.0)
        snprintf(buf, len, "%.0f ms", us / 1e3);
    else if (us >= 1000.0)
        snprintf(buf, len, "%.1f ms", us / 1e3);
    else if (us >= 10.0)
        snprintf(buf, len, "%.0f µs", us);
    else
        snprintf(buf, len, "%.2g µs", us);
}

int stats_notes(const stats_note_input *in, char *buf, size_t len) {
    char text[256], a[32], b[32];
    int count = 0;

    if (len == 0) return 0;
    buf[0] = '\0';
    if (in->pool && in->task_us > 0.0 && in->pool_cost_us > 0.0 && in->task_us < in->pool_cost_us) {
        fmt_us(a, sizeof a, in->task_us);
        fmt_us(b, sizeof b, in->pool_cost_us);
        snprintf(text, sizeof text,
                 "each task takes %s and the pool costs %s per task: raise --chunksize or "
                 "stay sequential",
                 a, b);
        add_note(buf, len, &count, text);
    }
    if (in->pool && in->cpu_bound && in->cores > 0 && in->workers > in->cores) {
        snprintf(text, sizeof text,
                 "%d CPU-bound workers on %d cores: the extra ones only wait and switch",
                 in->workers, in->cores);
        add_note(buf, len, &count, text);
    }
    if (in->cpu_bound && in->cores > 0 && in->speedup > (double)in->cores * 1.1) {
        snprintf(text, sizeof text,
                 "speedup %.1fx is above the %d cores: the modes did different work or the "
                 "measurement is broken",
                 in->speedup, in->cores);
        add_note(buf, len, &count, text);
    }
    if (in->reps > 1 && in->mean > 0.0 && in->stddev > 0.1 * in->mean) {
        snprintf(text, sizeof text,
                 "noisy: stddev is %.0f%% of the mean (quiet the machine or raise --repeat)",
                 100.0 * in->stddev / in->mean);
        add_note(buf, len, &count, text);
    }
    if (in->slow_first)
        add_note(buf, len, &count, "the first run was the slowest by far: use --warmup");
    return count;
}
