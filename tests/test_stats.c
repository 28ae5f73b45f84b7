/* test_stats.c -- tests for bench/stats.c: summaries, speedups, outliers. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

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
