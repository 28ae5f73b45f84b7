/* test_html.c -- tests for `cfbench report` (bench/html.c) without a
 * browser: the escape function, a report of a known folder (its tables,
 * notes, verdicts and the markup in it shown as text), and the command
 * line's refusals. tests/report.sh loads the page in Chromium.
 *
 * Runs the built program: $CFBENCH (set by `make test`), else
 * build/cfbench. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../bench/html.h"
#include "cfbench_check.h"

static char tmp[64];

static void setup(void) {
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-test-html-XXXXXX");
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

static char *escaped(const char *s) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    html_escape(f, s);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

START_TEST(escape_turns_markup_into_text) {
    char *s = escaped("<script>alert('x & \"y\"')</script>");
    ck_assert_str_eq(s, "&lt;script&gt;alert(&#39;x &amp; &quot;y&quot;&#39;)&lt;/script&gt;");
    free(s);
    s = escaped("plain µs, 3.6×");
    ck_assert_str_eq(s, "plain µs, 3.6×");
    free(s);
}
END_TEST

#define MARK "<script>alert(1)</script>"

/* A results folder: meta.txt, summary.csv with a note, bench.csv; the
 * workload name and the command line hold MARK. */
static void write_results(const char *dir) {
    char p[256];
    FILE *f;
    ck_assert(mkdir(dir, 0755) == 0);
    snprintf(p, sizeof p, "%s/meta.txt", dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fprintf(f, "date: 2026-12-01T00:00:00Z\ncommand: cfbench run --urls http://x/" MARK "\n"
               "cores_usable: 2\n");
    fclose(f);
    snprintf(p, sizeof p, "%s/summary.csv", dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fprintf(f, "impl,workload,mode,workers,chunksize,size,tasks,reps,mean_ms,stddev_ms,median_ms,"
               "speedup,speedup_lo,speedup_hi,util,notes\n"
               "c,prime" MARK ",seq,1,1,quick,100,5,10,1,10,1.000,1,1,0.99,\n"
               "c,prime" MARK ",process,2,1,quick,100,5,5,1,5,2.000,1.8,2.2,0.95,"
               "tasks too small: raise --chunksize\n");
    fclose(f);
    snprintf(p, sizeof p, "%s/bench.csv", dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fprintf(f, "%s\n", CB_BENCH_HEADER);
    for (int i = 0; i < 5; i++)
        fprintf(f, "r%d,c,prime" MARK ",process,2,1,100,quick,%d,%d,1,1,1000,1,0,abc,0,0\n", i,
                i + 1, 10 + i);
    fclose(f);
    snprintf(p, sizeof p, "%s/plots", dir);
    ck_assert(mkdir(p, 0755) == 0);
    snprintf(p, sizeof p, "%s/plots/speedup.svg", dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>\n");
    fclose(f);
}

START_TEST(report_shows_tables_notes_verdicts_and_markup_as_text) {
    char dir[128], page[160];
    snprintf(dir, sizeof dir, "%s/r", tmp);
    write_results(dir);
    const char *args[] = {dir, "--compare", dir, NULL};
    cb_outcome o;
    cb_run(cb_exe(), "report", args, tmp, NULL, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    snprintf(page, sizeof page, "%s/report.html", dir);
    ck_assert_ptr_nonnull(strstr(o.out, page));
    char *html = cb_slurp(page, NULL);
    ck_assert_ptr_nonnull(html);
    ck_assert_ptr_nonnull(strstr(html, "<!DOCTYPE html>"));
    ck_assert_ptr_nonnull(strstr(html, "@media print"));
    ck_assert_ptr_nonnull(strstr(html, "tasks too small: raise --chunksize"));
    ck_assert_ptr_nonnull(strstr(html, "\">2×</span> <span class=\"ci\">(1.8–2.2)</span>"));
    ck_assert_ptr_nonnull(strstr(html, "too few reps"));                   /* the verdict */
    ck_assert_ptr_nonnull(strstr(html, "data:image/svg+xml;base64,PHN2")); /* "<sv" */
    ck_assert_ptr_nonnull(strstr(html, "prime&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_ptr_null(strstr(html, "<script"));
    free(html);
    cb_outcome_free(&o);
}
END_TEST

static const char *const bad[][3] = {
    {NULL},
    {"--frobnicate", NULL},
    {"a", "b", NULL},
    {"a", "--compare", NULL},
};

START_TEST(bad_command_line_exits_2_with_one_line) {
    cb_outcome o;
    cb_run(cb_exe(), "report", bad[_i], tmp, NULL, &o);
    cb_expect_refused(&o, "cfbench report", "bad report command line");
    cb_outcome_free(&o);
}
END_TEST

START_TEST(missing_folder_exits_1) {
    const char *args[] = {"/nonexistent/cfbench-results", NULL};
    cb_outcome o;
    cb_run(cb_exe(), "report", args, tmp, NULL, &o);
    ck_assert_int_eq(o.status, 1);
    ck_assert_ptr_nonnull(strstr(o.err, "not a folder"));
    cb_outcome_free(&o);
}
END_TEST

static Suite *html_suite(void) {
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, escape_turns_markup_into_text);
    tcase_add_test(tc, report_shows_tables_notes_verdicts_and_markup_as_text);
    tcase_add_loop_test(tc, bad_command_line_exits_2_with_one_line, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, missing_folder_exits_1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(html_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
