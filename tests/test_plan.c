/* test_plan.c -- tests for bench/plan.c: which points a command line
 * gives, in what order their runs go, and how many runs there are. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/plan.h"

static run_config c;

/* Parses "run ARGS..." into c; the test fails on a refused line. */
static void parse(const char *const *args) {
    char *argv[32] = {"run"};
    int argc = 1;
    for (; args[argc - 1] != NULL; argc++)
        argv[argc] = (char *)args[argc - 1];
    config_free(&c);
    ck_assert_int_eq(config_parse(argc, argv, &c), 0);
}

static void teardown(void) {
    config_free(&c);
}

static void setup(void) {
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(workloads_init(), 0);
}

START_TEST(default_modes_give_one_point_each_loop_first_and_async_only_for_download) {
    const char *args[] = {NULL};
    point *p;
    size_t n;
    parse(args);
    ck_assert_int_eq(plan_points(&c, workload_find("hash"), 4, &p, &n), 0);
    ck_assert_uint_eq(n, 5);
    static const int want[] = {M_LOOP, M_SEQ, M_THREAD, M_PROCESS, M_THREAD_GIL};
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(p[i].mode, want[i]);
        ck_assert_int_eq(p[i].impl, IMPL_C);
        ck_assert_int_eq(p[i].chunksize, 1);
    }
    ck_assert_int_eq(p[0].workers, 1);
    ck_assert_int_eq(p[1].workers, 1);
    ck_assert_int_eq(p[2].workers, cf_default_workers(CF_THREAD));
    ck_assert_int_eq(p[3].workers, cf_default_workers(CF_PROCESS));
    free(p);
    ck_assert_int_eq(plan_points(&c, workload_find("download"), 16, &p, &n), 0);
    ck_assert_uint_eq(n, 6);
    ck_assert_int_eq(p[4].mode, M_ASYNC);
    ck_assert_int_eq(p[2].workers, 16); /* one thread per file */
    ck_assert_int_eq(p[4].workers, 16); /* every transfer at once */
    free(p);
}
END_TEST

START_TEST(a_worker_sweep_and_chunksize_apply_to_pools_but_not_loop_or_seq) {
    const char *args[] = {"--mode", "loop,seq,process", "--workers", "1,2,4", "--chunksize", "8",
                          NULL};
    point *p;
    size_t n;
    parse(args);
    ck_assert_int_eq(plan_points(&c, workload_find("prime"), 100, &p, &n), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(p[0].mode, M_LOOP);
    ck_assert_int_eq(p[1].mode, M_SEQ);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(p[i].workers, 1);
        ck_assert_int_eq(p[i].chunksize, 1);
    }
    /* Three workloads x 5 points x (1 warmup + 5 reps): no reference pass. */
    ck_assert_uint_eq(plan_count_runs(&c), 3 * 5 * 6);
    for (size_t i = 2; i < 5; i++) {
        ck_assert_int_eq(p[i].mode, M_PROCESS);
        ck_assert_int_eq(p[i].workers, 1 << (i - 2));
        ck_assert_int_eq(p[i].chunksize, 8);
    }
    free(p);
}
END_TEST

START_TEST(python_points_follow_the_c_points_with_the_same_sweep) {
    const char *args[] = {"--mode", "seq,thread", "--workers", "2,3", "--impl", "all", NULL};
    point *p;
    size_t n;
    parse(args);
    c.py_modes = config_py_modes(c.modes); /* as run.c sets it once Python is found */
    ck_assert_int_eq(plan_points(&c, workload_find("hash"), 4, &p, &n), 0);
    ck_assert_uint_eq(n, 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq(p[i].impl, i < 3 ? IMPL_C : IMPL_PY);
    ck_assert_str_eq(point_mode_name(&p[1]), "thread");
    ck_assert_str_eq(point_mode_name(&p[3]), "py-loop"); /* Python's seq is its loop */
    ck_assert_str_eq(point_mode_name(&p[4]), "py-thread");
    ck_assert_int_eq(p[5].workers, 3);
    /* Three workloads x 6 points x (1 warmup + 5 reps). */
    ck_assert_uint_eq(plan_count_runs(&c), 3 * 6 * 6);
    free(p);
}
END_TEST

/* Every (point, round) of the C points exactly once; Python's none. */
static void check_complete(const step *s, size_t ns, size_t npoints, long rounds) {
    ck_assert_uint_eq(ns, npoints * (size_t)rounds);
    for (size_t i = 0; i < npoints; i++)
        for (long r = 0; r < rounds; r++) {
            int seen = 0;
            for (size_t k = 0; k < ns; k++)
                seen += s[k].point == i && s[k].round == r;
            ck_assert_int_eq(seen, 1);
        }
}

START_TEST(interleave_runs_round_by_round_and_grouped_point_by_point) {
    const char *il[] = {"--workload", "hash", "--mode", "seq,thread", "--repeat", "2", NULL};
    const char *gr[] = {"--workload", "hash",    "--mode",  "seq,thread", "--repeat",
                        "2",          "--order", "grouped", NULL};
    point *p;
    step *s;
    size_t n, ns;
    parse(il);
    ck_assert_int_eq(plan_points(&c, workload_find("hash"), 4, &p, &n), 0);
    ck_assert_int_eq(plan_schedule(&c, p, n, 1, &s, &ns), 0);
    check_complete(s, ns, 2, 3);
    for (size_t k = 0; k < ns; k++) {
        ck_assert_uint_eq(s[k].point, k % 2);
        ck_assert_int_eq(s[k].round, (long)(k / 2));
    }
    free(s);
    parse(gr);
    ck_assert_int_eq(plan_schedule(&c, p, n, 1, &s, &ns), 0);
    for (size_t k = 0; k < ns; k++) {
        ck_assert_uint_eq(s[k].point, k / 3);
        ck_assert_int_eq(s[k].round, (long)(k % 3));
    }
    free(s);
    free(p);
}
END_TEST

START_TEST(random_order_shuffles_each_round_puts_the_reference_first_and_repeats_for_a_seed) {
    const char *args[] = {"--workload", "prime",   "--workers", "1,2,3,4", "--repeat",
                          "4",          "--order", "random",    NULL};
    point *p;
    step *s, *again;
    size_t n, ns, ns2;
    int shuffled = 0;
    parse(args);
    c.py_modes = 1u << M_LOOP; /* a Python point, never scheduled */
    ck_assert_int_eq(plan_points(&c, workload_find("prime"), 10, &p, &n), 0);
    ck_assert_uint_eq(n, 2 + 3 * 4 + 1);
    ck_assert_int_eq(plan_schedule(&c, p, n, 42, &s, &ns), 0);
    check_complete(s, ns, n - 1, 5);
    ck_assert_int_eq(p[s[0].point].mode, M_LOOP);
    for (size_t k = 0; k < ns; k++) {
        ck_assert_int_eq(s[k].round, (long)(k / (n - 1))); /* rounds stay in order */
        shuffled |= s[k].point != k % (n - 1);
    }
    ck_assert(shuffled);
    ck_assert_int_eq(plan_schedule(&c, p, n, 42, &again, &ns2), 0);
    ck_assert_mem_eq(s, again, ns * sizeof *s);
    free(again);
    free(s);
    free(p);
}
END_TEST

START_TEST(check_refuses_a_plan_with_nothing_to_run_and_names_skipped_workloads) {
    const char *only_async[] = {"--workload", "hash,prime", "--mode", "async", NULL};
    const char *some[] = {"--workload", "download,hash", "--mode", "seq,async", NULL};
    char skipped[128];
    parse(only_async);
    ck_assert_int_eq(plan_check(&c, skipped, sizeof skipped), -1);
    parse(some);
    ck_assert_int_eq(plan_check(&c, skipped, sizeof skipped), 0);
    ck_assert_str_eq(skipped, "hash");
}
END_TEST

START_TEST(the_reference_is_the_loop_or_seq_where_no_loop_is_asked) {
    ck_assert_int_eq(plan_reference_mode(0), M_LOOP);
    ck_assert_int_eq(plan_reference_mode(1u << M_SEQ | 1u << M_THREAD), M_SEQ);
    ck_assert_int_eq(plan_reference_mode(1u << M_SEQ | 1u << M_LOOP), M_LOOP);
    /* Python has no sequential executor: seq asked of it is its loop. */
    ck_assert_uint_eq(config_py_modes(1u << M_SEQ | 1u << M_ASYNC), 1u << M_LOOP);
    ck_assert_uint_eq(config_py_modes(1u << M_THREAD), 1u << M_THREAD);
}
END_TEST

START_TEST(count_runs_adds_the_reference_pass_when_neither_loop_nor_seq_is_asked) {
    const char *args[] = {"--workload", "hash", "--mode",   "thread", "--workers", "1,2",
                          "--repeat",   "3",    "--warmup", "1",      NULL};
    parse(args);
    ck_assert_uint_eq(plan_count_runs(&c), 1 + 2 * 4);
    const char *noref[] = {"--workload", "hash", "--mode",   "thread", "--workers",      "1,2",
                           "--repeat",   "3",    "--warmup", "1",      "--no-reference", NULL};
    parse(noref);
    ck_assert_uint_eq(plan_count_runs(&c), 2 * 4);
}
END_TEST

START_TEST(the_parser_keeps_the_switch_interval_and_size_limit_in_the_config) {
    const char *args[] = {"--switch-interval", "7", "--max-bytes", "2M", NULL};
    parse(args);
    ck_assert_int_eq(c.switch_interval_ms, 7);
    ck_assert_uint_eq(c.max_bytes, 2u << 20);
    const char *none[] = {"--max-bytes", "0", NULL};
    parse(none);
    ck_assert_uint_eq(c.max_bytes, 0);
    const char *dflt[] = {NULL};
    parse(dflt);
    ck_assert_int_eq(c.switch_interval_ms, 5);
    ck_assert_uint_eq(c.max_bytes, 1u << 30);
}
END_TEST

static Suite *plan_suite(void) {
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, default_modes_give_one_point_each_loop_first_and_async_only_for_download);
    tcase_add_test(tc, a_worker_sweep_and_chunksize_apply_to_pools_but_not_loop_or_seq);
    tcase_add_test(tc, python_points_follow_the_c_points_with_the_same_sweep);
    tcase_add_test(tc, interleave_runs_round_by_round_and_grouped_point_by_point);
    tcase_add_test(
        tc, random_order_shuffles_each_round_puts_the_reference_first_and_repeats_for_a_seed);
    tcase_add_test(tc, the_reference_is_the_loop_or_seq_where_no_loop_is_asked);
    tcase_add_test(tc, check_refuses_a_plan_with_nothing_to_run_and_names_skipped_workloads);
    tcase_add_test(tc, count_runs_adds_the_reference_pass_when_neither_loop_nor_seq_is_asked);
    tcase_add_test(tc, the_parser_keeps_the_switch_interval_and_size_limit_in_the_config);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(plan_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
