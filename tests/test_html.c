/* test_html.c -- tests for `cfbench report` (bench/html.c) without a
 * browser: the escape function, a report of a known folder (its tables,
 * notes, verdicts and the markup in it shown as text), the command
 * line's refusals, and folders from elsewhere: markup, quotes and control
 * characters in every field read, values that are not finite numbers, a
 * 20 kB note over two lines. tests/report.sh loads the page in Chromium.
 *
 * Runs the built program: $CFBENCH (set by `make test`), else
 * build/cfbench. */
#include <check.h>
#include <errno.h>
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
        fprintf(f, "r%d,c,prime" MARK ",process,2,1,100,quick,%d,%d,1,1,1000,1,0,abc,0,0,0,0,1\n",
                i, i + 1, 10 + i);
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

START_TEST(report_takes_the_loop_as_base_and_marks_a_shared_row) {
    char dir[128], p[192];
    snprintf(dir, sizeof dir, "%s/loop", tmp);
    ck_assert(mkdir(dir, 0755) == 0);
    snprintf(p, sizeof p, "%s/summary.csv", dir);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "impl,workload,mode,workers,chunksize,size,tasks,reps,mean_ms,stddev_ms,median_ms,"
               "speedup,speedup_lo,speedup_hi,util,notes,other_cpu,shared\n"
               "c,prime,loop,1,1,quick,100,5,4,1,4,1.000,1,1,0.99,,0.01,0\n"
               "c,prime,seq,1,1,quick,100,5,10,1,10,0.400,0.38,0.42,0.99,,0.02,0\n"
               "c,prime,process,2,1,quick,100,5,5,1,5,0.800,0.7,0.9,0.95,,0.90,1\n");
    fclose(f);
    const char *args[] = {dir, NULL};
    cb_outcome o;
    cb_run(cb_exe(), "report", args, tmp, NULL, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = cb_slurp(p, NULL);
    ck_assert_ptr_nonnull(html);
    /* The loop is the baseline row; seq is a row measured against it. */
    ck_assert_ptr_nonnull(strstr(html, "<tr class=\"base\"><td class=\"t\">loop</td>"));
    ck_assert_ptr_nonnull(strstr(html, "<tr><td class=\"t\">seq</td>"));
    ck_assert_ptr_nonnull(strstr(html, "0.4×"));
    /* Only the row that shared the machine says so. */
    char *mark = strstr(html, "class=\"shared\"");
    ck_assert_ptr_nonnull(mark);
    ck_assert_ptr_null(strstr(mark + 1, "class=\"shared\""));
    ck_assert_ptr_nonnull(strstr(html, "<td class=\"t\">process <span class=\"shared\""));
    free(html);
    cb_outcome_free(&o);
}
END_TEST

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

#define SUMMARY_HEADER                                                                             \
    "impl,workload,mode,workers,chunksize,size,tasks,reps,mean_ms,stddev_ms,median_ms,"            \
    "speedup,speedup_lo,speedup_hi,util,notes"

/* dir/summary.csv: the header, then `rows` as given; dir is created. */
static void write_summary(const char *dir, const char *rows) {
    char p[256];
    FILE *f;
    ck_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
    snprintf(p, sizeof p, "%s/summary.csv", dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fprintf(f, "%s\n%s", SUMMARY_HEADER, rows);
    fclose(f);
    /* A chart, so that report does not run plots/draw. */
    snprintf(p, sizeof p, "%s/plots", dir);
    ck_assert(mkdir(p, 0755) == 0 || errno == EEXIST);
    snprintf(p, sizeof p, "%s/plots/speedup.svg", dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>\n");
    fclose(f);
}

/* Runs `cfbench report dir`; the outcome in *o. */
static void report(const char *dir, cb_outcome *o) {
    const char *args[] = {dir, NULL};
    cb_run(cb_exe(), "report", args, tmp, NULL, o);
}

/* Markup, quotes and an ampersand, as a name and as a note. */
#define HOSTILE "<script>x</script>\"'&"
#define HOSTILE_CSV "\"<script>x</script>\"\"'&\""

START_TEST(hostile_text_in_every_field_read_is_escaped) {
    char dir[128], sub[256], p[300];
    snprintf(dir, sizeof dir, "%s/r", tmp);
    /* Two impls, so that the impl column is shown; every text field read
     * holds markup: impl, workload, mode, notes. */
    write_summary(dir,
                  HOSTILE_CSV "," HOSTILE_CSV ",seq,1,1,quick,10,5,10,1,10,1,1,1,0.9,\n" HOSTILE_CSV
                              "," HOSTILE_CSV "," HOSTILE_CSV
                              ",2,4,quick,10,5,5,1,5,2,1.8,2.2,0.9," HOSTILE_CSV "\n"
                              "py," HOSTILE_CSV ",seq,1,1,quick,10,5,20,1,20,1,1,1,0.9,\n");
    FILE *f;
    snprintf(p, sizeof p, "%s/bench.csv", dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fprintf(f, "%s\n", CB_BENCH_HEADER);
    for (int i = 0; i < 5; i++)
        fprintf(f,
                "r%d," HOSTILE_CSV "," HOSTILE_CSV "," HOSTILE_CSV ",2,1,100," HOSTILE_CSV
                ",%d,%d,1,1,1000,1,0,abc,0,0\n",
                i, i + 1, 10 + i);
    fclose(f);
    /* meta.txt is no CSV: its key and value may hold anything, control
     * characters included. */
    snprintf(p, sizeof p, "%s/meta.txt", dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    fprintf(f, "k" HOSTILE ": v" HOSTILE "\x1b[2J\x07\x7f\n");
    fclose(f);
    snprintf(sub, sizeof sub, "%s/<img src=x onerror=alert(3)>\"'&", dir); /* no '/' */
    write_summary(sub, "c,prime,seq,1,1,quick,10,5,10,1,10,1,1,1,0.9,\n");
    const char *args[] = {dir, "--compare", dir, NULL};
    cb_outcome o;
    cb_run(cb_exe(), "report", args, tmp, NULL, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    snprintf(p, sizeof p, "%s/report.html", dir);
    size_t len;
    char *html = cb_slurp(p, &len);
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "<img src=x"));
    ck_assert_ptr_nonnull(
        strstr(html, "id=\"results-&lt;img src=x onerror=alert(3)&gt;&quot;&#39;&amp;\""));
    ck_assert_ptr_null(strstr(html, "\"'&\""));
    for (size_t i = 0; i < len; i++)
        ck_assert_msg((unsigned char)html[i] >= 0x20 && html[i] != 0x7f ? 1 : html[i] == '\n',
                      "control byte 0x%02x at %zu", (unsigned char)html[i], i);
    /* Shown, escaped: in the tables, the notes, the verdicts, meta.txt,
     * the subfolder's heading and anchor. */
    const char *shown = "&lt;script&gt;x&lt;/script&gt;&quot;&#39;&amp;";
    size_t n = 0;
    for (const char *at = html; (at = strstr(at, shown)) != NULL; at++)
        n++;
    ck_assert_msg(n >= 10, "escaped text shown %zu times", n);
    ck_assert_ptr_nonnull(
        strstr(html, "v&lt;script&gt;x&lt;/script&gt;&quot;&#39;&amp;\xef\xbf\xbd"));
    free(html);
    cb_outcome_free(&o);
}
END_TEST

/* A summary.csv row (line 3) holding one bad value. */
static const char *const bad_rows[][2] = {
    {"speedup 'inf'", "c,prime,thread,2,1,quick,10,5,5,1,5,inf,1,1,0.9,\n"},
    {"median_ms 'nan'", "c,prime,thread,2,1,quick,10,5,5,1,nan,2,1,1,0.9,\n"},
    {"util '1e999'", "c,prime,thread,2,1,quick,10,5,5,1,5,2,1,1,1e999,\n"},
    {"stddev_ms '-1'", "c,prime,thread,2,1,quick,10,5,5,-1,5,2,1,1,0.9,\n"},
    {"speedup_lo '0x10'", "c,prime,thread,2,1,quick,10,5,5,1,5,2,0x10,1,0.9,\n"},
    {"workers '2<b>'", "c,prime,thread,2<b>,1,quick,10,5,5,1,5,2,1,1,0.9,\n"},
    {"a control character in mode", "c,prime,thr\x1b"
                                    "ead,2,1,quick,10,5,5,1,5,2,1,1,0.9,\n"},
};

START_TEST(bad_value_in_summary_is_refused_with_one_line) {
    char dir[128], rows[256];
    snprintf(dir, sizeof dir, "%s/r", tmp);
    snprintf(rows, sizeof rows, "c,prime,seq,1,1,quick,10,5,10,1,10,1,1,1,0.9,\n%s",
             bad_rows[_i][1]);
    write_summary(dir, rows);
    cb_outcome o;
    report(dir, &o);
    ck_assert_msg(o.status == 1, "%s: exit %d", bad_rows[_i][0], o.status);
    ck_assert_msg(cb_count_lines(o.err) == 1 && strstr(o.err, "summary.csv:3: ") != NULL, "%s: %s",
                  bad_rows[_i][0], o.err);
    ck_assert_ptr_null(strchr(o.err, '\x1b'));
    cb_outcome_free(&o);
}
END_TEST

START_TEST(quoted_note_of_20k_over_two_lines_is_one_row) {
    char dir[128], p[256];
    size_t n = 20000;
    char *note = malloc(n + 1), *rows = malloc(n + 512);
    ck_assert(note != NULL && rows != NULL);
    memset(note, 'n', n);
    note[n] = '\0';
    note[10] = ','; /* a comma and a line break inside the quotes */
    note[20] = '\n';
    snprintf(dir, sizeof dir, "%s/r", tmp);
    snprintf(rows, n + 512,
             "c,prime,seq,1,1,quick,10,5,10,1,10,1,1,1,0.9,\"%s\"\n"    /* lines 2-3 */
             "c,prime,thread,2,1,quick,10,5,5,1,5,2,1.8,2.2,0.9,end\n", /* line 4 */
             note);
    write_summary(dir, rows);
    cb_outcome o;
    report(dir, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = cb_slurp(p, NULL);
    ck_assert_ptr_nonnull(strstr(html, note + 21)); /* the note, whole */
    ck_assert_ptr_nonnull(strstr(html, "</b>: end</li>"));
    free(html);
    cb_outcome_free(&o);

    /* A bad value after it is reported on its own line, 5. */
    size_t len = strlen(rows);
    snprintf(rows + len, n + 512 - len, "c,prime,process,2,1,quick,10,5,5,1,5,inf,1,1,0.9,\n");
    write_summary(dir, rows);
    report(dir, &o);
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(cb_count_lines(o.err) == 1 && strstr(o.err, "summary.csv:5: ") != NULL, "%s",
                  o.err);
    cb_outcome_free(&o);
    free(note);
    free(rows);
}
END_TEST

static Suite *html_suite(void) {
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, escape_turns_markup_into_text);
    tcase_add_test(tc, report_shows_tables_notes_verdicts_and_markup_as_text);
    tcase_add_test(tc, report_takes_the_loop_as_base_and_marks_a_shared_row);
    tcase_add_loop_test(tc, bad_command_line_exits_2_with_one_line, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, missing_folder_exits_1);
    tcase_add_test(tc, hostile_text_in_every_field_read_is_escaped);
    tcase_add_loop_test(tc, bad_value_in_summary_is_refused_with_one_line, 0,
                        (int)(sizeof bad_rows / sizeof bad_rows[0]));
    tcase_add_test(tc, quoted_note_of_20k_over_two_lines_is_one_row);
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
