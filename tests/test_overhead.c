/* test_overhead.c -- `cfbench overhead` (bench/cmd/overhead.c): its columns, its
 * startup rows, and the peer rows it relays from the programs in peers/
 * beside the binary. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfbench_check.h"

#define OV_HEADER                                                                                  \
    "executor,method,chunksize,tasks,us_per_task,minflt_per_task,csw_per_task,"                    \
    "child_minflt_per_task,child_csw_per_task"

static char tmp[64]; /* fresh per test: stdout, stderr, bin/ */

static void setup(void) {
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-overhead-XXXXXX");
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

/* How many times needle occurs in s. */
static size_t count(const char *s, const char *needle) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Commas in the line that starts at l. */
static int commas(const char *l) {
    int n = 0;
    for (; *l && *l != '\n'; l++)
        n += *l == ',';
    return n;
}

/* Runs `cfbench overhead ARGS` from a copy of cfbench in tmp/bin whose
 * peers/ holds one program, the shell script BODY named NAME (cfbench finds
 * its peers through /proc/self/exe, which a link would not change). */
static void run_with_peer(const char *name, const char *body, const char *const *args,
                          cb_outcome *o) {
    char src[PATH_MAX], exe[PATH_MAX], p[PATH_MAX], *data;
    size_t len;
    cb_exe_path(src);
    snprintf(p, sizeof p, "%s/bin", tmp);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/bin/peers", tmp);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(exe, sizeof exe, "%s/bin/cfbench", tmp);
    snprintf(p, sizeof p, "%s/bin/peers/%s", tmp, name);
    data = cb_slurp(src, &len);
    FILE *f = fopen(exe, "w"), *g = fopen(p, "w");
    ck_assert(f != NULL && g != NULL);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fprintf(g, "#!/bin/sh\n%s\n", body);
    ck_assert(fclose(f) == 0 && fclose(g) == 0);
    ck_assert(chmod(exe, 0755) == 0 && chmod(p, 0755) == 0);
    free(data);
    cb_run(exe, "overhead", args, tmp, NULL, o);
}

START_TEST(c_rows_carry_faults_and_switches_and_a_startup_row_with_1_gib_held) {
    const char *args[] = {"--tasks", "200", "--repeat", "1", NULL};
    cb_outcome o;
    cb_run(cb_exe(), "overhead", args, tmp, NULL, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    ck_assert_msg(strncmp(o.out, OV_HEADER "\n", strlen(OV_HEADER) + 1) == 0, "%s", o.out);
    for (const char *l = o.out; *l; l = strchr(l, '\n') + 1)
        ck_assert_msg(commas(l) == 8, "not 9 columns: %.80s", l);
    ck_assert_uint_eq(count(o.out, "\nthread,submit,1,200,"), 1);
    ck_assert_uint_eq(count(o.out, "\nprocess,map,64,200,"), 1);
    ck_assert_uint_eq(count(o.out, "\nprocess,startup,0,2,"), 1);
    ck_assert_uint_eq(count(o.out, "\nprocess,startup-1g,0,2,"), 1);
    ck_assert_uint_eq(count(o.out, "\nthread,startup-1g,"), 0);
    cb_outcome_free(&o);
}
END_TEST

START_TEST(impl_peers_relays_the_rows_of_the_peers_beside_the_binary) {
    const char *args[] = {"--impl", "peers", "--tasks", "300", "--workers", "3", NULL};
    cb_outcome o;
    run_with_peer("pipe",
                  "echo '" OV_HEADER "'; echo \"pipe-echo-process,pipelined,1,$1,0.5,0,0,0,$2\"",
                  args, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    ck_assert_uint_eq(count(o.out, "executor,"), 1); /* the peer's header is not repeated */
    ck_assert_uint_eq(count(o.out, "\npipe-echo-process,pipelined,1,300,0.5,0,0,0,3\n"), 1);
    ck_assert_uint_eq(count(o.out, "\nseq,"), 0); /* no C rows asked for */
    /* The others are not built here: one line each, not an error. */
    ck_assert_msg(strstr(o.err, "peers/libuv") && strstr(o.err, "make peers"), "%s", o.err);
    cb_outcome_free(&o);
}
END_TEST

START_TEST(a_peer_that_prints_something_else_is_an_error) {
    const char *args[] = {"--impl", "peers", "--tasks", "5", NULL};
    cb_outcome o;
    run_with_peer("tbb", "echo 'tbb,run,1,5,0.1'", args, &o);
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.err, "not a row") != NULL, "%s", o.err);
    cb_outcome_free(&o);
}
END_TEST

static Suite *overhead_suite(void) {
    Suite *s = suite_create("overhead");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, c_rows_carry_faults_and_switches_and_a_startup_row_with_1_gib_held);
    tcase_add_test(tc, impl_peers_relays_the_rows_of_the_peers_beside_the_binary);
    tcase_add_test(tc, a_peer_that_prints_something_else_is_an_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(overhead_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
