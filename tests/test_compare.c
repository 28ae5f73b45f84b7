/* test_compare.c -- tests for `cfbench compare` (bench/compare.c) on
 * result sets whose answer is known: B clearly faster, B clearly slower
 * (with ties), B within noise, too few runs to tell, rows that failed left
 * out, and the command line's refusals.
 *
 * Runs the built program: $CFBENCH (set by `make test`), else
 * build/cfbench. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../bench/csv.h"
#include "cfbench_check.h"

static char tmp[64];

static void setup(void) {
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-test-compare-XXXXXX");
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

/* Runs `cfbench compare ARGS...`; *out and *err get what it printed. */
static int run_compare(const char *const *args, char **out, char **err) {
    cb_outcome o;
    cb_run(cb_exe(), "compare", args, tmp, NULL, &o);
    *out = o.out;
    *err = o.err;
    return o.status;
}

/* Appends rows of one configuration to f: wall times w[0..n), ok flag. */
static void rows(FILE *f, const char *impl, const char *wl, const char *mode, int workers,
                 const double *w, size_t n, int ok) {
    for (size_t i = 0; i < n; i++)
        fprintf(f, "r-%zu,%s,%s,%s,%d,1,10,quick,%zu,%.3f,1,1,1000,%d,0,abc,0,0\n", i, impl, wl,
                mode, workers, i + 1, w[i], ok);
}

/* Writes the two known result sets to tmp/a.csv and tmp/b.csv. */
static void write_sets(void) {
    char pa[128], pb[128];
    snprintf(pa, sizeof pa, "%s/a.csv", tmp);
    snprintf(pb, sizeof pb, "%s/b.csv", tmp);
    FILE *a = fopen(pa, "w"), *b = fopen(pb, "w");
    ck_assert(a != NULL && b != NULL);
    fprintf(a, "%s\n", CB_BENCH_HEADER);
    fprintf(b, "%s\n", CB_BENCH_HEADER);
    const double slow[] = {10, 11, 12, 13, 14}, fast[] = {5, 5.5, 6, 6.5, 7};
    const double mixed[] = {10.5, 11.5, 12.5, 13.5, 11.2};
    const double ten[] = {10, 10, 10, 10, 10, 10}, twenty[] = {20, 20, 20, 20, 20, 20};
    const double three_a[] = {1, 2, 3}, three_b[] = {4, 5, 6}, huge[] = {1000};
    rows(a, "c", "prime", "process", 2, slow, 5, 1);
    rows(a, "c", "prime", "process", 2, huge, 1, 0); /* failed: must not count */
    rows(b, "c", "prime", "process", 2, fast, 5, 1);
    rows(a, "c", "prime", "thread", 2, slow, 5, 1);
    rows(b, "c", "prime", "thread", 2, mixed, 5, 1);
    rows(a, "c", "prime", "seq", 1, ten, 6, 1);
    rows(b, "c", "prime", "seq", 1, twenty, 6, 1);
    rows(a, "c", "hash", "seq", 1, three_a, 3, 1);
    rows(b, "c", "hash", "seq", 1, three_b, 3, 1);
    rows(a, "c", "hash", "thread", 4, slow, 5, 1); /* only in A */
    fclose(a);
    fclose(b);
}

/* The --csv line of one configuration ("prime,process,2"), split. */
static int find_line(char *out, const char *key, char **f) {
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (!strncmp(l, key, strlen(key)) && l[strlen(key)] == ',') return csv_split(l, f, 20);
    return -1;
}

START_TEST(known_sets_get_known_verdicts) {
    char pa[128], pb[128], *out, *err, *f[20];
    write_sets();
    snprintf(pa, sizeof pa, "%s/a.csv", tmp);
    snprintf(pb, sizeof pb, "%s/b.csv", tmp);
    const char *args[] = {pa, pb, "--csv", NULL};
    ck_assert_int_eq(run_compare(args, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "workload,mode,workers,chunksize,size,n_a,n_b,median_a_ms,"
                                      "median_b_ms,ratio,ratio_lo,ratio_hi,p_value,verdict\n"));
    /* The configuration only in A is reported on stderr. */
    ck_assert_ptr_nonnull(strstr(err, "1 configuration(s) of A"));

    char *copy = strdup(out);
    /* Separated 5 vs 5: U = 0, exact p = 2 / C(10, 5) = 2/252. The failed
     * row of A is left out: 5 runs, median 12. */
    ck_assert_int_eq(find_line(copy, "prime,process,2", f), 14);
    ck_assert_str_eq(f[5], "5");
    ck_assert_str_eq(f[7], "12.000");
    ck_assert_str_eq(f[8], "6.000");
    ck_assert_str_eq(f[9], "0.500");
    ck_assert(atof(f[10]) <= 0.5 && atof(f[11]) >= 0.5 && atof(f[11]) < 1.0);
    ck_assert_double_eq_tol(atof(f[12]), 2.0 / 252.0, 1e-4);
    ck_assert_str_eq(f[13], "faster");
    free(copy);

    copy = strdup(out);
    ck_assert_int_eq(find_line(copy, "prime,thread,2", f), 14);
    ck_assert_str_eq(f[13], "within noise");
    ck_assert(atof(f[12]) > 0.05);
    free(copy);

    copy = strdup(out);
    /* All tied within each side: the normal approximation, clearly slower. */
    ck_assert_int_eq(find_line(copy, "prime,seq,1", f), 14);
    ck_assert_str_eq(f[9], "2.000");
    ck_assert_str_eq(f[10], "2.000");
    ck_assert_str_eq(f[11], "2.000");
    ck_assert(atof(f[12]) < 0.01);
    ck_assert_str_eq(f[13], "slower");
    free(copy);

    copy = strdup(out);
    /* 3 vs 3 can never reach 5% (best p = 2/20): say so. */
    ck_assert_int_eq(find_line(copy, "hash,seq,1", f), 14);
    ck_assert_str_eq(f[13], "too few reps");
    free(copy);
    ck_assert_ptr_null(strstr(out, "hash,thread,4"));
    free(out);
    free(err);
}
END_TEST

START_TEST(table_names_both_sets_and_the_verdicts) {
    char pa[128], *out, *err;
    write_sets();
    snprintf(pa, sizeof pa, "%s/a.csv", tmp);
    /* A folder stands for its bench.csv. */
    char dir[128], pb[160];
    snprintf(dir, sizeof dir, "%s/b", tmp);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(pb, sizeof pb, "%s/bench.csv", dir);
    char from[128];
    snprintf(from, sizeof from, "%s/b.csv", tmp);
    ck_assert_int_eq(rename(from, pb), 0);
    const char *args[] = {pa, dir, NULL};
    ck_assert_int_eq(run_compare(args, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "faster"));
    ck_assert_ptr_nonnull(strstr(out, "slower"));
    ck_assert_ptr_nonnull(strstr(out, "within noise"));
    ck_assert_ptr_nonnull(strstr(out, "too few reps"));
    ck_assert_ptr_nonnull(strstr(out, "b/bench.csv"));
    free(out);
    free(err);
}
END_TEST

START_TEST(two_impls_in_one_file_need_a_choice) {
    char p[128], *out, *err;
    snprintf(p, sizeof p, "%s/both.csv", tmp);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n", CB_BENCH_HEADER);
    const double c[] = {1, 1.1, 1.2, 1.3, 1.4}, py[] = {10, 11, 12, 13, 14};
    rows(f, "c", "prime", "seq", 1, c, 5, 1);
    rows(f, "python", "prime", "seq", 1, py, 5, 1);
    fclose(f);

    const char *plain[] = {p, p, NULL};
    ck_assert_int_eq(run_compare(plain, &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--impl-a"));
    free(out);
    free(err);

    const char *chosen[] = {p, p, "--impl-a", "c", "--impl-b", "python", "--csv", NULL};
    ck_assert_int_eq(run_compare(chosen, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "prime,seq,1,1,quick,5,5,1.200,12.000,10.000,"));
    ck_assert_ptr_nonnull(strstr(out, ",slower\n"));
    free(out);
    free(err);
}
END_TEST

/* Bad command lines, each ended by NULL (the fifth slot ends a full row). */
static const char *const bad[][5] = {
    {"only-one.csv", NULL},           {"a", "b", "c", NULL},
    {"a", "b", "--frobnicate", NULL}, {"a", "b", "--resamples", "0"},
    {"a", "b", "--resamples", NULL},  {"a", "b", "--impl-a", NULL},
};

START_TEST(bad_command_line_exits_2_with_one_line) {
    char *out, *err;
    ck_assert_int_eq(run_compare(bad[_i], &out, &err), 2);
    ck_assert_msg(cb_count_lines(err) == 1, "case %d: %s", _i, err);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}
END_TEST

START_TEST(missing_or_foreign_file_exits_1) {
    char p[128], *out, *err;
    const char *args[] = {"/nonexistent/a.csv", "/nonexistent/b.csv", NULL};
    ck_assert_int_eq(run_compare(args, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/a.csv"));
    free(out);
    free(err);
    snprintf(p, sizeof p, "%s/other.csv", tmp);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "executor,method,chunksize,tasks,us_per_task\nseq,map,1,10,0.2\n");
    fclose(f);
    const char *other[] = {p, p, NULL};
    ck_assert_int_eq(run_compare(other, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "not a bench.csv"));
    free(out);
    free(err);
}
END_TEST

static Suite *compare_suite(void) {
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, known_sets_get_known_verdicts);
    tcase_add_test(tc, table_names_both_sets_and_the_verdicts);
    tcase_add_test(tc, two_impls_in_one_file_need_a_choice);
    tcase_add_loop_test(tc, bad_command_line_exits_2_with_one_line, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, missing_or_foreign_file_exits_1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(compare_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
