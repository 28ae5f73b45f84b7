/* test_trace.c -- tests for `cfbench run --trace` (bench/cmd/run.c): one
 * tasks.csv row per task of every timed run, in every workload and mode,
 * with times in order, worker ids in range and run_ids that join
 * bench.csv.
 *
 * Runs the built program: $CFBENCH (set by `make test`), else
 * build/cfbench. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/csv.h"
#include "cfbench_check.h"

#define TASKS_HEADER                                                                               \
    "run_id,impl,workload,mode,workers,chunksize,rep,task,worker,submit_us,"                       \
    "start_us,end_us,collect_us,ok"

static char tmp[64];
static char outdir[128];

static void setup(void) {
    strcpy(tmp, "/tmp/cfbench-test-trace-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(outdir, sizeof outdir, "%s/out", tmp);
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

static const char *cfbench(void) {
    const char *p = getenv("CFBENCH");
    return p && *p ? p : "build/cfbench";
}

/* Runs `cfbench run ARGS...` with output in files; returns the exit
 * status (-1 if killed). */
static int run_cfbench(const char *const *args) {
    char logp[128];
    const char *argv[32];
    size_t n = 0;

    argv[n++] = cfbench();
    argv[n++] = "run";
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    snprintf(logp, sizeof logp, "%s/log", tmp);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One bench.csv row: what the tasks rows must match. */
typedef struct run_row {
    char id[80], workload[16], mode[16];
    long workers, chunksize, tasks, rep;
    long seen; /* tasks rows found */
    unsigned char *task_seen;
} run_row;

static FILE *open_in(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s missing", path);
    return f;
}

static void chomp(char *s) {
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* Reads bench.csv into rows[]; returns how many. */
static size_t read_runs(run_row *rows, size_t max) {
    char line[1024];
    size_t n = 0;
    FILE *f = open_in("bench.csv");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f) != NULL) {
        char *fld[40];
        chomp(line);
        ck_assert_int_ge(csv_split(line, fld, 40), 16);
        ck_assert_uint_lt(n, max);
        run_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        snprintf(r->id, sizeof r->id, "%s", fld[0]);
        snprintf(r->workload, sizeof r->workload, "%s", fld[2]);
        snprintf(r->mode, sizeof r->mode, "%s", fld[3]);
        r->workers = atol(fld[4]);
        r->chunksize = atol(fld[5]);
        r->tasks = atol(fld[6]);
        r->rep = atol(fld[8]);
        r->task_seen = calloc((size_t)r->tasks + 1, 1);
        ck_assert_ptr_nonnull(r->task_seen);
    }
    fclose(f);
    return n;
}

/* Checks every tasks.csv row against its run; returns the row count. */
static size_t check_tasks(run_row *runs, size_t nruns) {
    char line[1024];
    size_t rows = 0;
    FILE *f = open_in("tasks.csv");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    chomp(line);
    ck_assert_str_eq(line, TASKS_HEADER);
    while (fgets(line, sizeof line, f) != NULL) {
        char *fld[20];
        chomp(line);
        ck_assert_int_eq(csv_split(line, fld, 20), 14);
        run_row *r = NULL;
        for (size_t i = 0; i < nruns && r == NULL; i++)
            if (!strcmp(runs[i].id, fld[0])) r = &runs[i];
        ck_assert_msg(r != NULL, "run_id %s not in bench.csv", fld[0]);
        ck_assert_str_eq(fld[2], r->workload);
        ck_assert_str_eq(fld[3], r->mode);
        ck_assert_int_eq(atol(fld[4]), r->workers);
        ck_assert_int_eq(atol(fld[5]), r->chunksize);
        ck_assert_int_eq(atol(fld[6]), r->rep);
        long task = atol(fld[7]), worker = atol(fld[8]);
        ck_assert_int_ge(task, 0);
        ck_assert_int_lt(task, r->tasks);
        ck_assert_msg(!r->task_seen[task], "task %ld twice in %s", task, r->id);
        r->task_seen[task] = 1;
        ck_assert_msg(worker >= 0 && worker < r->workers, "%s %s: worker %ld of %ld", r->workload,
                      r->mode, worker, r->workers);
        double submit = atof(fld[9]), start = atof(fld[10]), end = atof(fld[11]),
               collect = atof(fld[12]);
        ck_assert_msg(submit >= 0.0 && submit <= start && start <= end && end <= collect,
                      "%s %s task %ld: %s <= %s <= %s <= %s fails", r->workload, r->mode, task,
                      fld[9], fld[10], fld[11], fld[12]);
        ck_assert_str_eq(fld[13], "1");
        r->seen++;
        rows++;
    }
    fclose(f);
    for (size_t i = 0; i < nruns; i++) {
        ck_assert_msg(runs[i].seen == runs[i].tasks, "%s %s: %ld rows for %ld tasks",
                      runs[i].workload, runs[i].mode, runs[i].seen, runs[i].tasks);
        free(runs[i].task_seen);
    }
    return rows;
}

START_TEST(trace_writes_one_ordered_row_per_task_in_every_workload_and_mode) {
    const char *args[] = {"--size",  "quick",   "--repeat", "2",    "--warmup", "1",
                          "--trace", "--quiet", "--out",    outdir, NULL};
    run_row runs[64];

    ck_assert_int_eq(run_cfbench(args), 0);
    size_t n = read_runs(runs, 64);
    /* download: loop, seq, thread, process, async, thread-gil; hash and
     * prime: the five others; 2 reps each (warmups are not recorded). The
     * loop's tasks are timed around each call, in order. */
    ck_assert_uint_eq(n, 2 * (6 + 5 + 5));
    long want = 0;
    for (size_t i = 0; i < n; i++)
        want += runs[i].tasks;
    ck_assert_uint_eq(check_tasks(runs, n), (size_t)want);
}
END_TEST

START_TEST(chunked_trace_keeps_each_task_and_its_order) {
    const char *args[] = {
        "--size",    "quick", "--workload",  "prime",   "--mode",   "seq,process,thread",
        "--workers", "2",     "--chunksize", "16",      "--repeat", "1",
        "--warmup",  "0",     "--trace",     "--order", "random",   "--quiet",
        "--out",     outdir,  NULL};
    run_row runs[8];

    ck_assert_int_eq(run_cfbench(args), 0);
    size_t n = read_runs(runs, 8);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(check_tasks(runs, n), 3 * 1000);
}
END_TEST

START_TEST(untraced_run_writes_no_tasks_file_and_no_latency) {
    const char *args[] = {"--size",     "quick",    "--workload", "prime",    "--mode",
                          "seq,thread", "--repeat", "1",          "--warmup", "0",
                          "--quiet",    "--out",    outdir,       NULL};
    char path[256], line[2048];

    ck_assert_int_eq(run_cfbench(args), 0);
    snprintf(path, sizeof path, "%s/tasks.csv", outdir);
    ck_assert_int_ne(access(path, F_OK), 0);
    FILE *f = open_in("summary.csv");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f) != NULL) {
        char *fld[40];
        chomp(line);
        ck_assert_int_eq(csv_split(line, fld, 40), 40);
        ck_assert_str_eq(fld[19], ""); /* queue_p50_us: nothing traced */
        for (int k = 31; k < 40; k++)  /* no budget, no prediction untraced */
            ck_assert_str_eq(fld[k], "");
        ck_assert(atof(fld[18]) > 0.0); /* util is always measured */
    }
    fclose(f);
}
END_TEST

static Suite *trace_suite(void) {
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("run");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, trace_writes_one_ordered_row_per_task_in_every_workload_and_mode);
    tcase_add_test(tc, chunked_trace_keeps_each_task_and_its_order);
    tcase_add_test(tc, untraced_run_writes_no_tasks_file_and_no_latency);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(trace_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
