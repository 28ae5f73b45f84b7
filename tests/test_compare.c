/* test_compare.c -- tests for `cfbench compare` (bench/compare.c) on
 * result sets whose answer is known: B clearly faster, B clearly slower
 * (with ties), B within noise, too few runs to tell, rows that failed left
 * out, and the command line's refusals; then files from elsewhere: rows
 * longer than any buffer, a row crafted to split in two, values that are
 * not finite numbers and names holding control characters.
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
        fprintf(f, "r-%zu,%s,%s,%s,%d,1,10,quick,%zu,%.3f,1,1,1000,%d,0,abc,0,0,0.000,0.000,0.50\n",
                i, impl, wl, mode, workers, i + 1, w[i], ok);
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

/* A bench.csv row of prime/seq/1 whose digest field is `digest` (written
 * as given: quote it yourself) and whose wall time and ok are given. */
static void long_row(FILE *f, int rep, const char *digest, const char *wall, int ok) {
    fprintf(f, "r-%d,c,prime,seq,1,1,10,quick,%d,%s,1,1,1000,%d,0,%s,0,0,0.000,0.000,0.50\n", rep,
            rep, wall, ok, digest);
}

/* n bytes of c, NUL-terminated (caller frees). */
static char *filled(size_t n, char c) {
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* The n_a field of the --csv line of prime,seq,1 in `out`, or -1. */
static long runs_of_prime_seq(const char *out) {
    const char *l = strstr(out, "\nprime,seq,1,1,quick,");
    return l ? strtol(l + strlen("\nprime,seq,1,1,quick,"), NULL, 10) : -1;
}

START_TEST(row_of_20k_is_one_row_and_later_lines_keep_their_numbers) {
    char p[128], *out, *err;
    char *plain = filled(20000, 'd'), *quoted = filled(20000 + 4, 'q');
    /* A quoted 20 kB field holding a comma, a doubled quote and a line
     * break: the record spans lines 3 and 4. */
    quoted[0] = '"';
    memcpy(quoted + 100, ",\"\"\n", 4);
    quoted[20003] = '"';
    snprintf(p, sizeof p, "%s/line20k.csv", tmp);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n", CB_BENCH_HEADER);
    long_row(f, 1, plain, "10.000", 1);  /* line 2 */
    long_row(f, 2, quoted, "11.000", 1); /* lines 3-4 */
    long_row(f, 3, "abc", "12.000", 1);  /* line 5 */
    fclose(f);
    const char *args[] = {p, p, "--csv", NULL};
    ck_assert_msg(run_compare(args, &out, &err) == 0, "stderr: %s", err);
    ck_assert_int_eq(runs_of_prime_seq(out), 3);
    free(out);
    free(err);

    /* A bad value after them is reported on its own line, 6. */
    f = fopen(p, "a");
    ck_assert_ptr_nonnull(f);
    long_row(f, 4, "abc", "fast", 1);
    fclose(f);
    ck_assert_int_eq(run_compare(args, &out, &err), 1);
    ck_assert_msg(cb_count_lines(err) == 1 && strstr(err, "line20k.csv:6: ") != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "wall_ms"));
    free(out);
    free(err);
    free(plain);
    free(quoted);
}
END_TEST

/* A row cut at 8,191 bytes by a fixed-size line buffer: its first part
 * is a failed run (ok = 0) whose digest ends at byte 8,190 followed by a
 * comma; the rest reads as one more successful run. */
static char *crafted_row(void) {
    char head[128], *row = malloc(9000);
    const char *tail = "r-9,c,prime,seq,1,1,10,quick,9,10.500,1,1,1000,1,0,abc,0,0";
    ck_assert_ptr_nonnull(row);
    int n = snprintf(head, sizeof head, "r-0,c,prime,seq,1,1,10,quick,0,99.000,1,1,1000,0,0,");
    memcpy(row, head, (size_t)n);
    memset(row + n, 'd', 8190 - (size_t)n);
    row[8190] = ','; /* the 8,191st byte */
    strcpy(row + 8191, tail);
    return row;
}

START_TEST(crafted_8k_row_adds_no_run) {
    char p[128], *out, *err, *row = crafted_row();
    const double w[] = {10, 11, 12, 13, 14};
    snprintf(p, sizeof p, "%s/crafted.csv", tmp);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n%s\n", CB_BENCH_HEADER, row); /* line 2 */
    rows(f, "c", "prime", "seq", 1, w, 5, 1);
    fclose(f);
    const char *args[] = {p, p, "--csv", NULL};
    int status = run_compare(args, &out, &err);
    /* Not 6 runs: the row has more fields than the header's 21. */
    ck_assert_msg(status == 1, "exit %d, %ld runs: %s", status, runs_of_prime_seq(out), out);
    ck_assert_msg(cb_count_lines(err) == 1 && strstr(err, "crafted.csv:2: ") != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "fields"));
    free(out);
    free(err);

    /* The same bytes inside a quoted field are one field of a failed
     * run: 5 runs count. */
    f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    row[strlen("r-0,c,prime,seq,1,1,10,quick,0,99.000,1,1,1000,0,0,")] = '"';
    fprintf(f, "%s\n%s\",0,0,0.000,0.000,0.50\n", CB_BENCH_HEADER, row);
    rows(f, "c", "prime", "seq", 1, w, 5, 1);
    fclose(f);
    ck_assert_msg(run_compare(args, &out, &err) == 0, "stderr: %s", err);
    ck_assert_int_eq(runs_of_prime_seq(out), 5);
    free(out);
    free(err);
    free(row);
}
END_TEST

/* Wall times that are not finite numbers, or not written as the harness
 * writes numbers. */
static const char *const bad_walls[] = {"inf", "nan", "1e999", "-inf", "0x10", " 5", "5 ", ""};

START_TEST(non_finite_wall_time_is_refused_with_one_line) {
    char p[128], *out, *err;
    const double w[] = {10, 11, 12};
    snprintf(p, sizeof p, "%s/nonfinite.csv", tmp);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n", CB_BENCH_HEADER);
    rows(f, "c", "prime", "seq", 1, w, 3, 1);
    long_row(f, 7, "abc", bad_walls[_i], 1); /* line 5 */
    fclose(f);
    const char *args[] = {p, p, "--csv", NULL};
    ck_assert_int_eq(run_compare(args, &out, &err), 1);
    ck_assert_msg(cb_count_lines(err) == 1 && strstr(err, "nonfinite.csv:5: ") != NULL,
                  "wall '%s': %s", bad_walls[_i], err);
    ck_assert_ptr_nonnull(strstr(err, "wall_ms"));
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}
END_TEST

/* Names no harness writes: a terminal escape, a line break, a bell. */
static const char *const bad_names[] = {"pri\x1b[2Jme", "\"pri\nme\"", "prime\x07"};

START_TEST(control_character_in_a_name_is_refused) {
    char p[128], *out, *err;
    const double w[] = {10, 11, 12};
    snprintf(p, sizeof p, "%s/names.csv", tmp);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n", CB_BENCH_HEADER);
    rows(f, "c", "prime", "seq", 1, w, 3, 1);
    rows(f, "c", bad_names[_i], "seq", 1, w, 1, 1); /* line 5 */
    fclose(f);
    const char *args[] = {p, p, NULL};
    ck_assert_int_eq(run_compare(args, &out, &err), 1);
    ck_assert_msg(cb_count_lines(err) == 1 && strstr(err, "names.csv:5: ") != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "control character"));
    ck_assert_ptr_null(strchr(err, '\x1b'));
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
    tcase_add_test(tc, row_of_20k_is_one_row_and_later_lines_keep_their_numbers);
    tcase_add_test(tc, crafted_8k_row_adds_no_run);
    tcase_add_loop_test(tc, non_finite_wall_time_is_refused_with_one_line, 0,
                        (int)(sizeof bad_walls / sizeof bad_walls[0]));
    tcase_add_loop_test(tc, control_character_in_a_name_is_refused, 0,
                        (int)(sizeof bad_names / sizeof bad_names[0]));
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
