/* test_usage.c -- bad command lines for `cfbench` itself, `cfbench serve`
 * and `cfbench overhead` (bench/main.c, cmd/serve.c, cmd/overhead.c), plus the
 * out-of-range worker counts and chunk sizes of `cfbench run` that
 * tests/test_cli.c leaves out. Every bad line must exit 2 with one line on
 * stderr naming the option (or word) and what is wrong, print nothing on
 * stdout and create nothing in the working folder.
 *
 * Runs the built program ($CFBENCH, else build/cfbench) in a fresh empty
 * folder per case; a program that wrongly accepts its line (serve would
 * then serve for ever) is killed after CASE_LIMIT_S and the case fails. */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfbench_check.h"

#define CASE_LIMIT_S 20

static char tmp[64];  /* fresh per test: holds work/, stdout, stderr */
static char work[96]; /* the child's working folder; must stay empty */
static char exe[PATH_MAX];

static void setup(void) {
    cb_exe_path(exe);
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-usage-XXXXXX");
    snprintf(work, sizeof work, "%s/work", tmp);
    ck_assert_int_eq(mkdir(work, 0755), 0);
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

/* Runs `cfbench ARGS...` (NULL-terminated) in work/ and waits for it, at
 * most CASE_LIMIT_S seconds (then kills it: status -1). */
static void run(const char *const *args, cb_outcome *o) {
    cb_opts so = {.cwd = work, .limit_s = CASE_LIMIT_S};
    cb_run(exe, NULL, args, tmp, &so, o);
}

/* Entries in work/. */
static int work_entries(void) {
    DIR *d = opendir(work);
    struct dirent *e;
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* A bad command line and the text its one error line must contain. */
typedef struct bad_case {
    const char *args[7];
    const char *names;
} bad_case;

/* Asserts the contract of a bad line: exit 2, one stderr line naming
 * c->names, nothing on stdout, nothing created. */
static void expect_refused(const bad_case *c, int i) {
    char what[160];
    cb_outcome o;
    run(c->args, &o);
    snprintf(what, sizeof what, "case %d (%s %s %s)", i, c->args[0] ? c->args[0] : "",
             c->args[0] && c->args[1] ? c->args[1] : "",
             c->args[0] && c->args[1] && c->args[2] ? c->args[2] : "");
    cb_expect_refused(&o, c->names, what);
    ck_assert_msg(work_entries() == 0, "case %d: created a file", i);
    cb_outcome_free(&o);
}

static const bad_case top_bad[] = {
    {{NULL}, "command"},
    {{"bogus", NULL}, "bogus"},
    {{"--bogus", NULL}, "--bogus"},
    {{"", NULL}, "command"},
};

START_TEST(test_cfbench_without_a_known_command_exits_2_with_one_line) {
    expect_refused(&top_bad[_i], _i);
}
END_TEST

static const bad_case serve_bad[] = {
    {{"serve", "--port", NULL}, "--port"},
    {{"serve", "--port=", NULL}, "--port"},
    {{"serve", "--port", "--rate", "1K", NULL}, "--port"},
    {{"serve", "--port", "-1", NULL}, "--port"},
    {{"serve", "--port", "65536", NULL}, "--port"},
    {{"serve", "--port", "99999999999999999999999", NULL}, "--port"},
    {{"serve", "--port", "abc", NULL}, "--port"},
    {{"serve", "--port", "0x50", NULL}, "--port"},
    {{"serve", "--port", "+80", NULL}, "--port"},
    {{"serve", "--port", " 80", NULL}, "--port"},
    {{"serve", "--ttfb-ms", NULL}, "--ttfb-ms"},
    {{"serve", "--ttfb-ms", "-1", NULL}, "--ttfb-ms"},
    {{"serve", "--ttfb-ms", "600001", NULL}, "--ttfb-ms"},
    {{"serve", "--ttfb-ms", "1.5", NULL}, "--ttfb-ms"},
    {{"serve", "--rate", NULL}, "--rate"},
    {{"serve", "--rate", "-1", NULL}, "--rate"},
    {{"serve", "--rate", "12x", NULL}, "--rate"},
    {{"serve", "--rate", "1.5M", NULL}, "--rate"},
    {{"serve", "--rate", "2G", NULL}, "--rate"},
    {{"serve", "--rate", "99999999999999999999999", NULL}, "--rate"},
    {{"serve", "--size", NULL}, "--size"},
    {{"serve", "--size=", NULL}, "--size"},
    {{"serve", "--size", "0", NULL}, "--size"},
    {{"serve", "--size", "-5", NULL}, "--size"},
    {{"serve", "--size", "17G", NULL}, "--size"},
    {{"serve", "--size", "1KB2", NULL}, "--size"},
    {{"serve", "--addr", NULL}, "--addr"},
    {{"serve", "--addr", "localhost", NULL}, "--addr"},
    {{"serve", "--addr", "1.2.3", NULL}, "--addr"},
    {{"serve", "--die-with-parent=1", NULL}, "--die-with-parent"},
    {{"serve", "--bogus", NULL}, "--bogus"},
    {{"serve", "--bogus=3", NULL}, "--bogus"},
    {{"serve", "-p", "80", NULL}, "-p"},
    {{"serve", "stray", NULL}, "stray"},
};

START_TEST(test_serve_bad_line_exits_2_with_one_line_and_serves_nothing) {
    expect_refused(&serve_bad[_i], _i);
}
END_TEST

static const bad_case overhead_bad[] = {
    {{"overhead", "--tasks", NULL}, "--tasks"},
    {{"overhead", "--tasks=", NULL}, "--tasks"},
    {{"overhead", "--tasks", "0", NULL}, "--tasks"},
    {{"overhead", "--tasks", "-1", NULL}, "--tasks"},
    {{"overhead", "--tasks", "abc", NULL}, "--tasks"},
    {{"overhead", "--tasks", "4x", NULL}, "--tasks"},
    {{"overhead", "--tasks", "+4", NULL}, "--tasks"},
    {{"overhead", "--tasks", " 4", NULL}, "--tasks"},
    {{"overhead", "--tasks", "1e3", NULL}, "--tasks"},
    {{"overhead", "--tasks", "99999999999999999999", NULL}, "--tasks"},
    {{"overhead", "--tasks", "--workers", "2", NULL}, "--tasks"},
    {{"overhead", "--workers", NULL}, "--workers"},
    {{"overhead", "--workers", "0", NULL}, "--workers"},
    {{"overhead", "--workers", "-2", NULL}, "--workers"},
    {{"overhead", "--workers", "100000", NULL}, "--workers"},
    {{"overhead", "--workers", "two", NULL}, "--workers"},
    {{"overhead", "--repeat", NULL}, "--repeat"},
    {{"overhead", "--repeat", "0", NULL}, "--repeat"},
    {{"overhead", "--repeat", "-1", NULL}, "--repeat"},
    {{"overhead", "--repeat", "1001", NULL}, "--repeat"},
    {{"overhead", "--bogus", NULL}, "--bogus"},
    {{"overhead", "-x", NULL}, "-x"},
    {{"overhead", "stray", NULL}, "stray"},
    {{"overhead", "--help=3", NULL}, "--help"},
};

START_TEST(test_overhead_bad_line_exits_2_with_one_line_and_no_csv) {
    expect_refused(&overhead_bad[_i], _i);
}
END_TEST

/* What test_cli.c does not try: worker counts and chunk sizes far out of
 * range, alone and inside a sweep. */
static const bad_case run_bad[] = {
    {{"run", "--size", "quick", "--workers", "100000", NULL}, "--workers"},
    {{"run", "--size", "quick", "--workers", "1,100000", NULL}, "--workers"},
    {{"run", "--size", "quick", "--workers", "0,2", NULL}, "--workers"},
    {{"run", "--size", "quick", "--workers", "-2,2", NULL}, "--workers"},
    {{"run", "--size", "quick", "--chunksize", "0", NULL}, "--chunksize"},
    {{"run", "--size", "quick", "--chunksize", "-1", NULL}, "--chunksize"},
    {{"run", "--size", "quick", "--chunksize", "99999999999999999999", NULL}, "--chunksize"},
    {{"run", "--size", "quick", "--chunksize", "2,4", NULL}, "--chunksize"},
    {{"run", "--size", "quick", "--repeat", "99999999999999999999", NULL}, "--repeat"},
};

START_TEST(test_run_out_of_range_workers_and_chunksize_exit_2) {
    expect_refused(&run_bad[_i], _i);
}
END_TEST

/* Every command `cfbench --help` lists (compare too, once it exists)
 * refuses an unknown option the same way. */
START_TEST(test_every_listed_command_refuses_an_unknown_option) {
    const char *help[] = {"--help", NULL};
    cb_outcome o;
    int commands = 0;
    run(help, &o);
    ck_assert_int_eq(o.status, 0);
    char *save = NULL;
    for (char *line = strtok_r(o.out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char name[32];
        /* Command lines are indented two spaces: "  run       ...". */
        if (strncmp(line, "  ", 2) != 0 || line[2] == ' ' || sscanf(line, " %31[a-z-]", name) != 1)
            continue;
        bad_case c = {{name, "--no-such-option", NULL}, "--no-such-option"};
        expect_refused(&c, commands);
        commands++;
    }
    ck_assert_int_ge(commands, 3);
    cb_outcome_free(&o);
}
END_TEST

#define NCASES(a) ((int)(sizeof a / sizeof a[0]))

static Suite *usage_suite(void) {
    Suite *s = suite_create("usage");
    TCase *tc = tcase_create("bad lines");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_cfbench_without_a_known_command_exits_2_with_one_line, 0,
                        NCASES(top_bad));
    tcase_add_loop_test(tc, test_serve_bad_line_exits_2_with_one_line_and_serves_nothing, 0,
                        NCASES(serve_bad));
    tcase_add_loop_test(tc, test_overhead_bad_line_exits_2_with_one_line_and_no_csv, 0,
                        NCASES(overhead_bad));
    tcase_add_loop_test(tc, test_run_out_of_range_workers_and_chunksize_exit_2, 0, NCASES(run_bad));
    tcase_add_test(tc, test_every_listed_command_refuses_an_unknown_option);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(usage_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
