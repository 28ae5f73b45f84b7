/* test_demo.c -- `cfbench demo` (bench/cmd/demo.c): every lesson runs to its
 * answer at quick size without waiting, prints no escape codes when its
 * output is not a terminal, and a bad lesson name exits 2 with one line. */
#include <check.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfbench_check.h"

#define LESSON_LIMIT_S 30

static const char *const lessons[] = {"threads-vs-processes", "tiny-tasks", "downloads", "gil",
                                      "deadlock"};
static char tmp[64];
static char exe[PATH_MAX];

static void setup(void) {
    cb_exe_path(exe);
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-demo-test-XXXXXX");
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

static void demo(const char *const *args, cb_outcome *o) {
    cb_opts so = {.cwd = tmp, .limit_s = LESSON_LIMIT_S};
    cb_run(exe, "demo", args, tmp, &so, o);
}

START_TEST(test_each_lesson_runs_to_its_answer_without_waiting) {
    const char *args[] = {lessons[_i], "--size", "quick", "--no-wait", NULL};
    cb_outcome o;
    demo(args, &o);
    ck_assert_msg(o.status == 0, "%s: exit %d: %s", lessons[_i], o.status, o.err);
    ck_assert_msg(strstr(o.out, "Question: ") != NULL, "%s: no question:\n%s", lessons[_i], o.out);
    ck_assert_msg(strstr(o.out, "\nAnswer: ") != NULL, "%s: no answer:\n%s", lessons[_i], o.out);
    ck_assert_msg(strchr(o.out, '\033') == NULL, "%s: escape codes off a terminal", lessons[_i]);
    cb_outcome_free(&o);
}
END_TEST

START_TEST(test_list_names_every_lesson) {
    const char *args[] = {"--list", NULL};
    cb_outcome o;
    demo(args, &o);
    ck_assert_int_eq(o.status, 0);
    for (size_t i = 0; i < sizeof lessons / sizeof lessons[0]; i++)
        ck_assert_msg(strstr(o.out, lessons[i]) != NULL, "--list lacks %s", lessons[i]);
    cb_outcome_free(&o);
}
END_TEST

START_TEST(test_unknown_lesson_exits_2_with_one_line) {
    const char *args[] = {"no-such-lesson", "--no-wait", NULL};
    cb_outcome o;
    demo(args, &o);
    cb_expect_refused(&o, "no-such-lesson", "unknown lesson");
    cb_outcome_free(&o);
}
END_TEST

START_TEST(test_blog_size_is_refused) {
    const char *args[] = {"gil", "--size", "blog", NULL};
    cb_outcome o;
    demo(args, &o);
    cb_expect_refused(&o, "--size", "--size blog");
    cb_outcome_free(&o);
}
END_TEST

/* The answer is set against the run: each of the lesson's claims, and the
 * other work measured meanwhile. Two busy loops beside it must show as a
 * shared machine, whatever the claims then say. */
START_TEST(test_answer_is_checked_against_the_run_and_its_load) {
    pid_t spin[2];
    for (int k = 0; k < 2; k++) {
        spin[k] = fork();
        ck_assert_int_ge(spin[k], 0);
        if (spin[k] == 0)
            for (;;) {
            }
    }
    const char *args[] = {"threads-vs-processes", "--size", "quick", "--no-wait", NULL};
    cb_outcome o;
    demo(args, &o);
    for (int k = 0; k < 2; k++) {
        kill(spin[k], SIGKILL);
        waitpid(spin[k], NULL, 0);
    }
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    ck_assert_msg(strstr(o.out, "The answer against this run:\n") != NULL, "%s", o.out);
    ck_assert_msg(strstr(o.out, "threads beat the loop by 1.3x or more: measured ") != NULL, "%s",
                  o.out);
    const char *w = strstr(o.out, "Other work on this machine during the run: ");
    ck_assert_msg(w != NULL, "%s", o.out);
    ck_assert_msg(strstr(w, "(shared: over 0.2)") != NULL, "two busy loops, yet: %.80s", w);
    ck_assert_msg(strstr(o.out, "This run agrees with the answer.") ||
                      strstr(o.out, "This run disagrees, beside other work"),
                  "%s", o.out);
    ck_assert(strstr(o.out, "The answer against this run:") < strstr(o.out, "\nAnswer: "));
    cb_outcome_free(&o);
}
END_TEST

static Suite *demo_suite(void) {
    Suite *s = suite_create("demo");
    TCase *tc = tcase_create("lessons");
    tcase_set_timeout(tc, 2 * LESSON_LIMIT_S);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_each_lesson_runs_to_its_answer_without_waiting, 0,
                        (int)(sizeof lessons / sizeof lessons[0]));
    tcase_add_test(tc, test_list_names_every_lesson);
    tcase_add_test(tc, test_unknown_lesson_exits_2_with_one_line);
    tcase_add_test(tc, test_blog_size_is_refused);
    tcase_add_test(tc, test_answer_is_checked_against_the_run_and_its_load);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(demo_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
