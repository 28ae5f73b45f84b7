/* test_stats.c -- tests for bench/stats.c: summaries, speedups, outliers. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/stats.h"

START_TEST(summary_of_known_data_matches_hand_computed_values) {
    /* 1..9 in shuffled order: the input order must not matter. */
    const double x[] = {5, 1, 9, 3, 7, 2, 8, 4, 6};
    stats_summary s;
    ck_assert_int_eq(stats_summarize(x, 9, &s), 0);
    ck_assert_uint_eq(s.n, 9);
    ck_assert_double_eq_tol(s.mean, 5.0, 1e-12);
    ck_assert_double_eq_tol(s.median, 5.0, 1e-12);
    ck_assert_double_eq_tol(s.min, 1.0, 1e-12);
    ck_assert_double_eq_tol(s.max, 9.0, 1e-12);
    /* Sample variance of 1..9 is 7.5. */
    ck_assert_double_eq_tol(s.stddev, sqrt(7.5), 1e-12);
    /* Type-7 quantiles: positions 2 and 6 (0-based) of the sorted data. */
    ck_assert_double_eq_tol(s.q1, 3.0, 1e-12);
    ck_assert_double_eq_tol(s.q3, 7.0, 1e-12);
    /* |x - 5| = 0,1,1,2,2,3,3,4,4: median 2. */
    ck_assert_double_eq_tol(s.mad, 2.0, 1e-12);
    ck_assert_uint_eq(s.outliers, 0);
    ck_assert_int_eq(s.slow_first, 0);
}
END_TEST

START_TEST(even_count_median_interpolates_and_input_is_unchanged) {
    double x[] = {4, 1, 3, 2};
    stats_summary s;
    ck_assert_int_eq(stats_summarize(x, 4, &s), 0);
    ck_assert_double_eq_tol(s.median, 2.5, 1e-12);
    ck_assert_double_eq_tol(s.q1, 1.75, 1e-12);
    ck_assert_double_eq_tol(s.q3, 3.25, 1e-12);
    ck_assert(x[0] == 4 && x[1] == 1 && x[2] == 3 && x[3] == 2);
}
END_TEST

START_TEST(single_sample_has_zero_spread_and_no_outliers) {
    const double x[] = {42.0};
    stats_summary s;
    ck_assert_int_eq(stats_summarize(x, 1, &s), 0);
    ck_assert_double_eq(s.median, 42.0);
    ck_assert_double_eq(s.stddev, 0.0);
    ck_assert(!isnan(s.stddev));
    ck_assert_uint_eq(s.outliers, 0);
    ck_assert_double_eq(stats_median_se(&s), 0.0);
}
END_TEST

START_TEST(empty_input_is_refused) {
    stats_summary s;
    ck_assert_int_eq(stats_summarize(NULL, 0, &s), -1);
}
END_TEST

START_TEST(tukey_fences_count_outliers_on_both_sides) {
    /* Sorted: 0.5 10 10.5 10.5 11 11 11.5 11.5 12 100; q1 = 10.5,
     * q3 = 11.5, fences 9 and 13: only 0.5 and 100 lie outside. */
    const double x[] = {10, 10.5, 11, 11.5, 12, 11, 10.5, 11.5, 100, 0.5};
    stats_summary s;
    ck_assert_int_eq(stats_summarize(x, 10, &s), 0);
    ck_assert_uint_eq(s.outliers, 2);
    ck_assert_int_eq(s.slow_first, 0);
}
END_TEST

START_TEST(slow_first_run_is_flagged) {
    const double x[] = {50, 10, 10.2, 9.9, 10.1, 10};
    stats_summary s;
    ck_assert_int_eq(stats_summarize(x, 6, &s), 0);
    ck_assert_int_eq(s.slow_first, 1);
    ck_assert_uint_eq(s.outliers, 1);
}
END_TEST

START_TEST(speedup_is_ratio_of_medians) {
    const double seq[] = {100, 100, 100};
    const double par[] = {25, 25, 25};
    stats_summary a, b;
    double sp, err;
    ck_assert_int_eq(stats_summarize(seq, 3, &a), 0);
    ck_assert_int_eq(stats_summarize(par, 3, &b), 0);
    ck_assert_int_eq(stats_speedup(&a, &b, &sp, &err), 0);
    ck_assert_double_eq_tol(sp, 4.0, 1e-12);
    ck_assert_double_eq_tol(err, 0.0, 1e-12); /* no spread, no error */
    /* The other way round is a slowdown, below 1. */
    ck_assert_int_eq(stats_speedup(&b, &a, &sp, &err), 0);
    ck_assert_double_eq_tol(sp, 0.25, 1e-12);
}
END_TEST

START_TEST(speedup_error_propagates_relative_errors_in_quadrature) {
    /* seq: median 100, MAD 10; par: median 50, MAD 5; n = 5 each. */
    const double seq[] = {80, 90, 100, 110, 120};
    const double par[] = {40, 45, 50, 55, 60};
    stats_summary a, b;
    double sp, err;
    ck_assert_int_eq(stats_summarize(seq, 5, &a), 0);
    ck_assert_int_eq(stats_summarize(par, 5, &b), 0);
    ck_assert_double_eq_tol(a.mad, 10.0, 1e-12);
    ck_assert_double_eq_tol(b.mad, 5.0, 1e-12);
    double se_a = sqrt(M_PI / 2) * 1.4826 * 10.0 / sqrt(5.0);
    ck_assert_double_eq_tol(stats_median_se(&a), se_a, 1e-9);
    ck_assert_int_eq(stats_speedup(&a, &b, &sp, &err), 0);
    ck_assert_double_eq_tol(sp, 2.0, 1e-12);
    /* Both sides have relative se r = se_a / 100: err = 2 * sqrt(2) * r. */
    double r = se_a / 100.0;
    ck_assert_double_eq_tol(err, 2.0 * sqrt(2.0) * r, 1e-9);
    ck_assert(err > 0.0);
}
END_TEST

START_TEST(speedup_of_nonpositive_median_is_nan_and_fails) {
    const double z[] = {0, 0, 0};
    const double one[] = {1, 1, 1};
    stats_summary a, b;
    double sp, err;
    ck_assert_int_eq(stats_summarize(z, 3, &a), 0);
    ck_assert_int_eq(stats_summarize(one, 3, &b), 0);
    ck_assert_int_eq(stats_speedup(&b, &a, &sp, &err), -1);
    ck_assert(isnan(sp) && isnan(err));
}
END_TEST

START_TEST(percentiles_follow_type_7_and_sort_in_place) {
    /* 0..100 shuffled: quantile q sits at exactly 100 q. */
    double x[101];
    for (int i = 0; i <= 100; i++)
        x[i] = (double)((i * 37) % 101);
    stats_pcts p;
    ck_assert_int_eq(stats_percentiles(x, 101, &p), 0);
    ck_assert_double_eq_tol(p.p50, 50.0, 1e-12);
    ck_assert_double_eq_tol(p.p95, 95.0, 1e-12);
    ck_assert_double_eq_tol(p.p99, 99.0, 1e-12);
    ck_assert(x[0] == 0.0 && x[100] == 100.0);
    ck_assert_int_eq(stats_percentiles(x, 0, &p), -1);
    ck_assert(isnan(p.p50));
}
END_TEST

START_TEST(bootstrap_of_single_samples_is_the_plain_ratio) {
    const double a[] = {100}, b[] = {25};
    double lo, hi;
    ck_assert_int_eq(stats_bootstrap_ratio(a, 1, b, 1, 500, 0.95, 7, &lo, &hi), 0);
    ck_assert_double_eq_tol(lo, 4.0, 1e-12);
    ck_assert_double_eq_tol(hi, 4.0, 1e-12);
}
END_TEST

START_TEST(bootstrap_interval_brackets_the_ratio_and_is_reproducible) {
    const double seq[] = {95, 100, 105, 98, 102, 110, 90};
    const double par[] = {48, 50, 52, 49, 51, 55, 45};
    double lo, hi, lo2, hi2;
    ck_assert_int_eq(stats_bootstrap_ratio(seq, 7, par, 7, 2000, 0.95, 42, &lo, &hi), 0);
    ck_assert(lo < 2.0 && hi > 2.0); /* medians 100 and 50 */
    ck_assert(lo > 1.6 && hi < 2.5);
    ck_assert_int_eq(stats_bootstrap_ratio(seq, 7, par, 7, 2000, 0.95, 42, &lo2, &hi2), 0);
    ck_assert(lo == lo2 && hi == hi2);
    /* A narrower level gives a narrower interval. */
    ck_assert_int_eq(stats_bootstrap_ratio(seq, 7, par, 7, 2000, 0.5, 42, &lo2, &hi2), 0);
    ck_assert(lo2 >= lo && hi2 <= hi);
}
END_TEST

START_TEST(bootstrap_refuses_empty_or_nonpositive_data) {
    const double a[] = {1, 2}, z[] = {0, 0};
    double lo, hi;
    ck_assert_int_eq(stats_bootstrap_ratio(a, 0, a, 2, 100, 0.95, 1, &lo, &hi), -1);
    ck_assert(isnan(lo) && isnan(hi));
    ck_assert_int_eq(stats_bootstrap_ratio(a, 2, z, 2, 100, 0.95, 1, &lo, &hi), -1);
    ck_assert_int_eq(stats_bootstrap_ratio(a, 2, a, 2, 0, 0.95, 1, &lo, &hi), -1);
}
END_TEST

START_TEST(mann_whitney_exact_p_of_separated_samples) {
    const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
    stats_mw mw;
    ck_assert_int_eq(stats_mann_whitney(a, 5, b, 5, &mw), 0);
    ck_assert_int_eq(mw.exact, 1);
    ck_assert_double_eq_tol(mw.u, 0.0, 1e-12);
    ck_assert_double_eq_tol(mw.p, 2.0 / 252.0, 1e-12); /* C(10, 5) = 252 */
    ck_assert_double_eq_tol(mw.p_min, 2.0 / 252.0, 1e-12);
    /* The test is symmetric: swapping sides keeps p, U becomes m n - U. */
    ck_assert_int_eq(stats_mann_whitney(b, 5, a, 5, &mw), 0);
    ck_assert_double_eq_tol(mw.u, 25.0, 1e-12);
    ck_assert_double_eq_tol(mw.p, 2.0 / 252.0, 1e-12);
}
END_TEST

START_TEST(mann_whitney_exact_p_matches_a_hand_count) {
    /* a = {1, 4}, b = {2, 3}: U_a = 2 (4 beats both). Of the C(4, 2) = 6
     * rankings, U <= 2 in 4 (U = 0, 1, 2, 2): P = 4/6, two-sided 1. And
     * a = {1, 2}, b = {3, 4}: U = 0, P(U <= 0) = 1/6, p = 1/3. */
    const double a[] = {1, 4}, b[] = {2, 3}, c[] = {1, 2}, d[] = {3, 4};
    stats_mw mw;
    ck_assert_int_eq(stats_mann_whitney(a, 2, b, 2, &mw), 0);
    ck_assert_double_eq_tol(mw.u, 2.0, 1e-12);
    ck_assert_double_eq_tol(mw.p, 1.0, 1e-12);
    ck_assert_int_eq(stats_mann_whitney(c, 2, d, 2, &mw), 0);
    ck_assert_double_eq_tol(mw.p, 1.0 / 3.0, 1e-12);
    ck_assert_double_eq_tol(mw.p_min, 1.0 / 3.0, 1e-12);
}
END_TEST

START_TEST(mann_whitney_with_ties_uses_the_normal_approximation) {
    const double a[] = {10, 10, 10, 10, 10, 10}, b[] = {20, 20, 20, 20, 20, 20};
    stats_mw mw;
    ck_assert_int_eq(stats_mann_whitney(a, 6, b, 6, &mw), 0);
    ck_assert_int_eq(mw.exact, 0);
    ck_assert_double_eq_tol(mw.u, 0.0, 1e-12);
    /* var = 36/12 (13 - 420/132); z = (18 - 0.5) / sqrt(var). */
    double var = 3.0 * (13.0 - 420.0 / 132.0);
    double z = 17.5 / sqrt(var);
    ck_assert_double_eq_tol(mw.p, erfc(z / sqrt(2.0)), 1e-9);
    /* Every value equal: nothing tells the sides apart. */
    ck_assert_int_eq(stats_mann_whitney(a, 6, a, 6, &mw), 0);
    ck_assert_double_eq_tol(mw.p, 1.0, 1e-12);
}
END_TEST

START_TEST(mann_whitney_too_few_reps_cannot_reach_five_percent) {
    const double a[] = {1, 2, 3}, b[] = {4, 5, 6};
    stats_mw mw;
    ck_assert_int_eq(stats_mann_whitney(a, 3, b, 3, &mw), 0);
    ck_assert_double_eq_tol(mw.p_min, 0.1, 1e-12); /* 2 / C(6, 3) */
    ck_assert(mw.p_min > 0.05);
    ck_assert_int_eq(stats_mann_whitney(a, 0, b, 3, &mw), -1);
}
END_TEST

START_TEST(notes_fire_on_each_condition_and_stay_quiet_otherwise) {
    char buf[512];
    stats_note_input in = {0};
    in.pool = 1;
    in.cpu_bound = 1;
    in.workers = 2;
    in.cores = 2;
    in.task_us = 500.0;
    in.pool_cost_us = 2.0;
    in.speedup = 1.9;
    in.mean = 100.0;
    in.stddev = 2.0;
    in.reps = 5;
    ck_assert_int_eq(stats_notes(&in, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "");

    in.task_us = 0.4;
    ck_assert_int_eq(stats_notes(&in, buf, sizeof buf), 1);
    ck_assert_ptr_nonnull(strstr(buf, "0.4 µs"));
    ck_assert_ptr_nonnull(strstr(buf, "2 µs per task"));
    ck_assert_ptr_nonnull(strstr(buf, "chunksize"));
    in.task_us = 500.0;

    in.workers = 6;
    ck_assert_int_eq(stats_notes(&in, buf, sizeof buf), 1);
    ck_assert_ptr_nonnull(strstr(buf, "6 CPU-bound workers on 2 cores"));
    in.cpu_bound = 0; /* I/O-bound pools may be larger than the machine */
    ck_assert_int_eq(stats_notes(&in, buf, sizeof buf), 0);
    in.cpu_bound = 1;
    in.workers = 2;

    in.speedup = 3.5;
    ck_assert_int_eq(stats_notes(&in, buf, sizeof buf), 1);
    ck_assert_ptr_nonnull(strstr(buf, "above the 2 cores"));
    in.speedup = 1.9;

    in.stddev = 15.0;
    in.slow_first = 1;
    ck_assert_int_eq(stats_notes(&in, buf, sizeof buf), 2);
    ck_assert_ptr_nonnull(strstr(buf, "noisy"));
    ck_assert_ptr_nonnull(strstr(buf, "; "));
    ck_assert_ptr_nonnull(strstr(buf, "--warmup"));
    ck_assert_ptr_null(strchr(buf, ',')); /* a CSV field without quoting */
}
END_TEST

static Suite *stats_suite(void) {
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, summary_of_known_data_matches_hand_computed_values);
    tcase_add_test(tc, even_count_median_interpolates_and_input_is_unchanged);
    tcase_add_test(tc, single_sample_has_zero_spread_and_no_outliers);
    tcase_add_test(tc, empty_input_is_refused);
    tcase_add_test(tc, tukey_fences_count_outliers_on_both_sides);
    tcase_add_test(tc, slow_first_run_is_flagged);
    tcase_add_test(tc, speedup_is_ratio_of_medians);
    tcase_add_test(tc, speedup_error_propagates_relative_errors_in_quadrature);
    tcase_add_test(tc, speedup_of_nonpositive_median_is_nan_and_fails);
    tcase_add_test(tc, percentiles_follow_type_7_and_sort_in_place);
    tcase_add_test(tc, bootstrap_of_single_samples_is_the_plain_ratio);
    tcase_add_test(tc, bootstrap_interval_brackets_the_ratio_and_is_reproducible);
    tcase_add_test(tc, bootstrap_refuses_empty_or_nonpositive_data);
    tcase_add_test(tc, mann_whitney_exact_p_of_separated_samples);
    tcase_add_test(tc, mann_whitney_exact_p_matches_a_hand_count);
    tcase_add_test(tc, mann_whitney_with_ties_uses_the_normal_approximation);
    tcase_add_test(tc, mann_whitney_too_few_reps_cannot_reach_five_percent);
    tcase_add_test(tc, notes_fire_on_each_condition_and_stay_quiet_otherwise);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(stats_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
