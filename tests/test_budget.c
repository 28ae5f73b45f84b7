/* test_budget.c -- tests for bench/budget.c: a run's worker-time split
 * into work, start-up, hand-off and idle, on hand-built schedules whose
 * parts are known, and summary.csv's budget columns from a quick traced
 * run, adding up to workers x median within 5%.
 *
 * The integration test runs the built program: $CFBENCH (set by `make
 * test`), else build/cfbench. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/budget.h"
#include "../bench/csv.h"
#include "cfbench_check.h"

#define T0 1000000000LL /* the run's start, ns */
#define US 1000LL       /* one µs in ns */

/* A task submitted at sub, run on worker w from start to end, its result
 * collected at col: µs after T0. */
static cf_times task(int w, long sub, long start, long end, long col) {
    return (cf_times){T0 + sub * US, T0 + start * US, T0 + end * US, T0 + col * US, w};
}

static double sum(const budget *b) {
    return b->work + budget_startup(b) + b->handoff + budget_idle(b);
}

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.9f, want %.9f", #a, (a), (b))

/* Two workers, 100 µs of run:
 *   w0: starts at 10; task A 10-30, B (submitted 0) 32-50, C (submitted 0)
 *       60-70; then nothing to 90 (the last result), shutdown to 100.
 *   w1: starts at 20; task D 20-40, E submitted at 45 (after D ended)
 *       starts 47, ends 80, collected 90 (a process pool's trip home).
 * Gaps between jobs: w0 2 (A-B) and 10 (B-C), w1 7 (D-E: 5 starved, 2
 * queued): queued parts 2, 10, 2, usual (median) 2. So B's gap is 2
 * hand-off, C's 2 hand-off + 8 stall, E's 5 starved + 2 hand-off. */
START_TEST(parts_of_a_hand_built_schedule) {
    cf_times t[] = {
        task(0, 0, 10, 30, 30), task(0, 0, 32, 50, 50),  task(0, 0, 60, 70, 70),
        task(1, 0, 20, 40, 40), task(1, 45, 47, 80, 90),
    };
    /* Distinct submits: each task its own job. */
    t[1].submit += 1;
    t[2].submit += 2;
    t[3].submit += 3;
    budget b;
    ck_assert_int_eq(budget_run(t, 5, 2, 0, T0, 0.1, &b), 0);
    NEAR(b.wall_ms, 0.1);
    NEAR(sum(&b), 2 * 0.1);
    NEAR(b.work, (20 + 18 + 10 + 20 + 33) / 1e3);
    NEAR(b.startup, (10 + 20) / 1e3);
    NEAR(b.shutdown, 2 * 10 / 1e3);
    /* 2 + 2 + 2 in gaps, then E's trip home 80-90. */
    NEAR(b.handoff, (2 + 2 + 2 + 10) / 1e3);
    NEAR(b.idle_stall, 8 / 1e3);
    NEAR(b.idle_starved, 5 / 1e3);
    NEAR(b.idle_tail, (90 - 70) / 1e3); /* w0 after C, while w1 ran */
    NEAR(b.gap_us, 2.0);
    ck_assert_uint_eq(b.tasks, 5);
}
END_TEST

/* Items of one job (a map chunk: one submit) follow each other on their
 * worker: every gap between them is the executor's, however long. */
START_TEST(gaps_inside_a_chunk_are_hand_off) {
    cf_times t[] = {task(0, 0, 5, 10, 40), task(0, 0, 30, 40, 40)};
    budget b;
    ck_assert_int_eq(budget_run(t, 2, 1, 0, T0, 0.05, &b), 0);
    NEAR(b.handoff, 20 / 1e3);
    NEAR(budget_idle(&b), 0.0);
    NEAR(b.startup, 5 / 1e3);
    NEAR(b.shutdown, 10 / 1e3);
    NEAR(sum(&b), 0.05);
}
END_TEST

/* The sequential executor: the caller runs each task as it submits it,
 * so the time between tasks is its bookkeeping, not a starved worker. */
START_TEST(caller_run_gaps_are_hand_off) {
    cf_times t[] = {task(0, 1, 2, 10, 10), task(0, 14, 15, 20, 20), task(0, 24, 25, 30, 30)};
    budget b;
    ck_assert_int_eq(budget_run(t, 3, 1, 1, T0, 0.032, &b), 0);
    NEAR(b.work, 18 / 1e3);
    NEAR(b.handoff, 10 / 1e3);
    NEAR(budget_idle(&b), 0.0);
    NEAR(budget_startup(&b), 4 / 1e3);
    NEAR(sum(&b), 0.032);
}
END_TEST

/* A worker that ran nothing was idle all along; a task with no worker or
 * outside the run's window counts only inside it. */
START_TEST(unused_worker_and_odd_times_still_add_up) {
    cf_times t[] = {task(0, 0, 5, 500, 500), task(-1, 0, 0, 0, 0), task(7, 0, 1, 2, 2)};
    budget b;
    ck_assert_int_eq(budget_run(t, 3, 3, 0, T0, 0.1, &b), 0);
    ck_assert_uint_eq(b.tasks, 1);
    NEAR(b.work, 95 / 1e3); /* clipped at the run's end */
    NEAR(b.idle_tail, 2 * 0.1);
    NEAR(sum(&b), 3 * 0.1);
    /* Nothing traced: no budget. */
    cf_times none[2] = {{0, 0, 0, 0, -1}, {0, 0, 0, 0, -1}};
    ck_assert_int_eq(budget_run(none, 2, 2, 0, T0, 1.0, &b), -1);
    ck_assert_uint_eq(b.tasks, 0);
}
END_TEST

/* Whole rounds, real worker counts: 8 equal tasks of 176 ms on 6 or 7
 * workers take 2 rounds (352 ms), on 8 one; the cores bound CPU work,
 * not waiting (a download at 1% utilization on 16 workers). */
START_TEST(model_counts_whole_rounds_and_cores) {
    double base = 8 * 176.0;
    ck_assert_double_eq_tol(budget_model_work_ms(8, 1, 6, 16, base, 1.0), 352.0, 1e-9);
    ck_assert_double_eq_tol(budget_model_work_ms(8, 1, 7, 16, base, 1.0), 352.0, 1e-9);
    ck_assert_double_eq_tol(budget_model_work_ms(8, 1, 8, 16, base, 1.0), 176.0, 1e-9);
    ck_assert_double_eq_tol(budget_model_work_ms(8, 1, 3, 2, base, 1.0), base / 2, 1e-9);
    ck_assert_double_eq_tol(budget_model_work_ms(16, 1, 16, 2, 3600.0, 0.01), 225.0, 1e-9);
    /* chunks: 10 tasks in chunks of 4 are 3 chunks, 2 rounds on 2 workers */
    ck_assert_double_eq_tol(budget_model_work_ms(10, 4, 2, 2, 10.0, 1.0), 8.0, 1e-9);
    ck_assert_double_eq_tol(budget_model_work_ms(10, 100, 2, 2, 10.0, 1.0), 10.0, 1e-9);
}
END_TEST

static char tmp[64];

static void setup(void) {
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-test-budget-XXXXXX");
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

/* The columns, by name, in summary.csv's header line h. */
static int column(char *const *h, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(h[i], name)) return i;
    ck_abort_msg("summary.csv has no column %s", name);
    return -1;
}

START_TEST(traced_run_budgets_every_mode_within_five_percent) {
    char out[128], path[160];
    snprintf(out, sizeof out, "%s/out", tmp);
    const char *args[] = {
        "--size",    "quick",   "--workload", "prime", "--mode",   "seq,thread,process",
        "--workers", "2",       "--repeat",   "3",     "--warmup", "0",
        "--trace",   "--quiet", "--out",      out,     NULL};
    cb_outcome o;
    cb_run(cb_exe(), "run", args, tmp, NULL, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    cb_outcome_free(&o);

    snprintf(path, sizeof path, "%s/summary.csv", out);
    char *csv = cb_slurp(path, NULL), *save, *line = strtok_r(csv, "\n", &save);
    char *h[64];
    int nh = csv_split(line, h, 64);
    ck_assert_int_gt(nh, 0);
    /* Appended last: readers by position keep their columns. */
    ck_assert_str_eq(h[nh - 1], "budget_idle_starved_ms");
    int mode = column(h, nh, "mode"), workers = column(h, nh, "workers"),
        med = column(h, nh, "median_ms"), pred = column(h, nh, "predicted_ms"),
        twin = column(h, nh, "budget_wall_ms"), notes = column(h, nh, "notes");
    int kind[3] = {column(h, nh, "budget_idle_tail_ms"), column(h, nh, "budget_idle_stall_ms"),
                   column(h, nh, "budget_idle_starved_ms")};
    int part[4] = {column(h, nh, "budget_work_ms"), column(h, nh, "budget_startup_ms"),
                   column(h, nh, "budget_handoff_ms"), column(h, nh, "budget_idle_ms")};
    size_t rows = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[64];
        ck_assert_int_eq(csv_split(line, f, 64), nh);
        double total = 0;
        for (int k = 0; k < 4; k++) {
            ck_assert_msg(*f[part[k]] != '\0', "%s: no %s", f[mode], h[part[k]]);
            total += atof(f[part[k]]);
        }
        /* The parts sum to workers x the traced twin's wall; the twin is
         * the median's within 5%, or the row says it is not. */
        double want = atof(f[workers]) * atof(f[twin]);
        ck_assert_msg(fabs(total - want) <= 0.001 * want + 0.004, "%s: parts %.4f, workers x twin %.4f",
                      f[mode], total, want);
        /* The idle kinds make up the idle part. */
        double idle = atof(f[kind[0]]) + atof(f[kind[1]]) + atof(f[kind[2]]);
        ck_assert_msg(fabs(idle - atof(f[part[3]])) <= 0.004 + 0.001 * idle,
                      "%s: idle %s, its kinds %.4f", f[mode], f[part[3]], idle);
        double off = fabs(atof(f[twin]) / atof(f[med]) - 1);
        ck_assert_msg(off <= 0.05 || strstr(f[notes], "budget from a traced twin run of") != NULL,
                      "%s: twin %s ms is %.0f%% off the median %s ms, and the notes do not say so",
                      f[mode], f[twin], 100 * off, f[med]);
        ck_assert(atof(f[part[0]]) > 0.0); /* the task bodies ran */
        /* The model predicts the pools against seq, not seq itself. */
        if (strcmp(f[mode], "seq") != 0) ck_assert(atof(f[pred]) > 0.0);
        rows++;
    }
    ck_assert_uint_eq(rows, 3);
    free(csv);
}
END_TEST

/* The thread-gil row says how often the emulated GIL was taken and how
 * often the switch interval forced a drop: every task takes it at least
 * once, so "taken" is at least the task count (1000 at quick size). */
START_TEST(gil_row_counts_the_lock_taken_and_the_forced_switches) {
    char out[128], path[160];
    snprintf(out, sizeof out, "%s/gil", tmp);
    const char *args[] = {"--size",   "quick", "--workload", "prime", "--mode", "loop,thread-gil",
                          "--repeat", "2",     "--warmup",   "0",     "--quiet", "--out",
                          out,        NULL};
    cb_outcome o;
    cb_run(cb_exe(), "run", args, tmp, NULL, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    cb_outcome_free(&o);
    snprintf(path, sizeof path, "%s/summary.csv", out);
    char *csv = cb_slurp(path, NULL);
    const char *at = strstr(csv, "GIL per run: taken ");
    ck_assert_msg(at != NULL, "no GIL note in %s", csv);
    double taken = 0, forced = -1;
    long ms = 0;
    ck_assert_int_eq(sscanf(at, "GIL per run: taken %lf times with %lf of them forced by the %ld ms",
                            &taken, &forced, &ms),
                     3);
    ck_assert_msg(taken >= 1000, "taken %.0f times for 1000 tasks", taken);
    ck_assert(forced >= 0 && forced <= taken);
    ck_assert_int_eq(ms, 5); /* the default switch interval */
    free(csv);
}
END_TEST

static Suite *budget_suite(void) {
    Suite *s = suite_create("budget");
    TCase *tc = tcase_create("arithmetic");
    tcase_add_test(tc, parts_of_a_hand_built_schedule);
    tcase_add_test(tc, gaps_inside_a_chunk_are_hand_off);
    tcase_add_test(tc, caller_run_gaps_are_hand_off);
    tcase_add_test(tc, unused_worker_and_odd_times_still_add_up);
    tcase_add_test(tc, model_counts_whole_rounds_and_cores);
    suite_add_tcase(s, tc);
    tc = tcase_create("run");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, traced_run_budgets_every_mode_within_five_percent);
    tcase_add_test(tc, gil_row_counts_the_lock_taken_and_the_forced_switches);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(budget_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
