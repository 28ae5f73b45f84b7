/* test_cli.c -- tests for `cfbench run`'s command line (bench/config.c,
 * bench/run.c, bench/cli.c): bad values exit 2 with one line and write nothing; a good
 * quick run writes bench.csv and summary.csv with the contracted columns.
 *
 * Runs the built program: $CFBENCH (set by `make test`), else
 * build/cfbench. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/cli.h"
#include "cfbench_check.h"

#define SUMMARY_HEADER                                                                             \
    "impl,workload,mode,workers,chunksize,size,tasks,reps,mean_ms,"                                \
    "stddev_ms,median_ms,min_ms,max_ms,speedup,speedup_err,outliers,"                              \
    "speedup_lo,speedup_hi,util,queue_p50_us,queue_p95_us,queue_p99_us,"                           \
    "run_p50_us,run_p95_us,run_p99_us,back_p50_us,back_p95_us,back_p99_us,notes,other_cpu,"        \
    "shared,budget_work_ms,budget_startup_ms,budget_handoff_ms,budget_idle_ms,predicted_ms,budget_wall_ms,budget_idle_tail_ms,budget_idle_stall_ms,budget_idle_starved_ms"

static char tmp[64];
static char outdir[128];

static void setup(void) {
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-test-cli-XXXXXX");
    snprintf(outdir, sizeof outdir, "%s/out", tmp);
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

/* Runs `cfbench run ARGS...` (args NULL-terminated) with stdout and stderr
 * in files, and waits for it. */
static void run_cfbench(const char *const *args, cb_outcome *o) {
    cb_run(cb_exe(), "run", args, tmp, NULL, o);
}

/* A bad command line: the arguments after "--out OUTDIR" and the text its
 * one error line must contain (the option's name). */
typedef struct bad_case {
    const char *args[6];
    const char *names;
} bad_case;

static const bad_case bad[] = {
    {{"--workers", NULL}, "--workers"},
    {{"--workers", "", NULL}, "--workers"},
    {{"--workers", "abc", NULL}, "--workers"},
    {{"--workers", "-1", NULL}, "--workers"},
    {{"--workers", "0", NULL}, "--workers"},
    {{"--workers", "1025", NULL}, "--workers"},
    {{"--workers", "99999999999999999999999", NULL}, "--workers"},
    {{"--workers", "4x", NULL}, "--workers"},
    {{"--workers", "+4", NULL}, "--workers"},
    {{"--workers", "1,,2", NULL}, "--workers"},
    {{"--workers", "1,2,", NULL}, "--workers"},
    {{"--workers", "2,2", NULL}, "--workers"},
    {{"--workers", "--quiet", NULL}, "--workers"},
    {{"--workers=", NULL}, "--workers"},
    {{"--chunksize", NULL}, "--chunksize"},
    {{"--chunksize", "0", NULL}, "--chunksize"},
    {{"--chunksize", "-1", NULL}, "--chunksize"},
    {{"--chunksize", "1.5", NULL}, "--chunksize"},
    {{"--chunksize", "1000001", NULL}, "--chunksize"},
    {{"--chunksize", "18446744073709551617", NULL}, "--chunksize"},
    {{"--repeat", NULL}, "--repeat"},
    {{"--repeat", "0", NULL}, "--repeat"},
    {{"--repeat", "-3", NULL}, "--repeat"},
    {{"--repeat", "five", NULL}, "--repeat"},
    {{"--repeat", "10001", NULL}, "--repeat"},
    {{"--warmup", NULL}, "--warmup"},
    {{"--warmup", "-1", NULL}, "--warmup"},
    {{"--warmup", "1e3", NULL}, "--warmup"},
    {{"--warmup", "1001", NULL}, "--warmup"},
    {{"--size", NULL}, "--size"},
    {{"--size", "huge", NULL}, "--size"},
    {{"--size", "", NULL}, "--size"},
    {{"--workload", NULL}, "--workload"},
    {{"--workload", "nope", NULL}, "--workload"},
    {{"--workload", "prime,", NULL}, "--workload"},
    {{"--workload", "prime,all", NULL}, "--workload"},
    {{"--mode", NULL}, "--mode"},
    {{"--mode", "fast", NULL}, "--mode"},
    {{"--mode", "thread,,seq", NULL}, "--mode"},
    {{"--mode", "async", "--workload", "prime,hash", NULL}, "--mode"},
    {{"--switch-interval", NULL}, "--switch-interval"},
    {{"--switch-interval", "0", NULL}, "--switch-interval"},
    {{"--switch-interval", "-5", NULL}, "--switch-interval"},
    {{"--switch-interval", "5ms", NULL}, "--switch-interval"},
    {{"--switch-interval", "10001", NULL}, "--switch-interval"},
    {{"--urls", NULL}, "--urls"},
    {{"--urls", "/nonexistent/urls.txt", NULL}, "--urls"},
    {{"--urls", "ftp://example.com/a.txt", NULL}, "--urls"},
    {{"--out", NULL}, "--out"},
    {{"--out=", NULL}, "--out"},
    {{"--frobnicate", NULL}, "--frobnicate"},
    {{"--frobnicate=3", NULL}, "--frobnicate"},
    {{"-x", NULL}, "-x"},
    {{"stray", NULL}, "stray"},
    {{"--quiet=1", NULL}, "--quiet"},
    {{"--json=yes", NULL}, "--json"},
    {{"--trace=1", NULL}, "--trace"},
    {{"--order", NULL}, "--order"},
    {{"--order", "sorted", NULL}, "--order"},
    {{"--order", "grouped,random", NULL}, "--order"},
    {{"--resamples", "0", NULL}, "--resamples"},
    {{"--resamples", "1000001", NULL}, "--resamples"},
    {{"--max-bytes", NULL}, "--max-bytes"},
    {{"--max-bytes", "-1", NULL}, "--max-bytes"},
    {{"--max-bytes", "12Q", NULL}, "--max-bytes"},
    {{"--serve-addr", NULL}, "--serve-addr"},
    {{"--serve-addr", "localhost", NULL}, "--serve-addr"},
    {{"--serve-addr", "198.18.0.256", NULL}, "--serve-addr"},
    {{"--serve-addr", "::1", NULL}, "--serve-addr"},
};

START_TEST(bad_value_exits_2_with_one_line_naming_the_option_and_no_files) {
    const bad_case *c = &bad[_i];
    const char *args[12] = {"--out", outdir, "--size", "quick"};
    size_t n = 4;
    char what[128];
    cb_outcome o;

    for (size_t i = 0; c->args[i] != NULL; i++)
        args[n++] = c->args[i];
    args[n] = NULL;
    run_cfbench(args, &o);
    snprintf(what, sizeof what, "case %d (%s %s)", _i, c->args[0], c->args[1] ? c->args[1] : "");
    cb_expect_refused(&o, c->names, what);
    ck_assert_msg(access(outdir, F_OK) != 0, "case %d: %s was created", _i, outdir);
    cb_outcome_free(&o);
}
END_TEST

START_TEST(help_documents_every_option_and_exits_0) {
    const char *args[] = {"--help", NULL};
    const char *opts[] = {"--workload",   "--mode",   "--workers", "--chunksize", "--size",
                          "--repeat",     "--warmup", "--out",     "--urls",      "--quiet",
                          "--json",       "--trace",  "--order",   "--resamples", "--max-bytes",
                          "--serve-addr", "examples"};
    cb_outcome o;
    run_cfbench(args, &o);
    ck_assert_int_eq(o.status, 0);
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        ck_assert_msg(strstr(o.out, opts[i]) != NULL, "help lacks %s", opts[i]);
    ck_assert_str_eq(o.err, "");
    cb_outcome_free(&o);
}
END_TEST

/* Splits a CSV line without quoted fields (ours have none) in place. */
static size_t split(char *line, char **f, size_t max) {
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ',') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

START_TEST(quick_run_writes_one_row_per_run_with_contract_columns) {
    const char *args[] = {"--size", "quick", "--workload", "prime,hash", "--repeat",
                          "1",      "--out", outdir,       NULL};
    char path[256];
    cb_outcome o;

    run_cfbench(args, &o);
    ck_assert_msg(o.status == 0, "exit %d, stderr: %s", o.status, o.err);
    /* The table names both workloads and says how each mode compares. */
    ck_assert_ptr_nonnull(strstr(o.out, "prime"));
    ck_assert_ptr_nonnull(strstr(o.out, "hash"));
    ck_assert_ptr_nonnull(strstr(o.out, "process"));

    snprintf(path, sizeof path, "%s/bench.csv", outdir);
    char *csv = cb_slurp(path, NULL), *save = NULL, *line;
    size_t rows = 0;
    line = strtok_r(csv, "\n", &save);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(line, CB_BENCH_HEADER);
    char loop_digest[2][65] = {"", ""}, seq_digest[2][65] = {"", ""};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[40];
        ck_assert_uint_eq(split(line, f, 40), 21);
        ck_assert_str_eq(f[1], "c");
        ck_assert(!strcmp(f[2], "prime") || !strcmp(f[2], "hash"));
        ck_assert(!strcmp(f[3], "loop") || !strcmp(f[3], "seq") || !strcmp(f[3], "thread") ||
                  !strcmp(f[3], "process") || !strcmp(f[3], "thread-gil"));
        int w = !strcmp(f[2], "hash");
        if (!strcmp(f[3], "loop")) snprintf(loop_digest[w], 65, "%s", f[15]);
        if (!strcmp(f[3], "seq")) snprintf(seq_digest[w], 65, "%s", f[15]);
        /* The rest of the machine, in cores: never negative, never more
         * than the machine has. */
        ck_assert_msg(*f[18] && atof(f[18]) >= 0.0 && atof(f[18]) <= (double)cores, "%s", f[18]);
        ck_assert(*f[19] && atof(f[19]) >= 0.0 && atof(f[19]) <= (double)cores);
        ck_assert(*f[20] && atof(f[20]) >= 0.0);
        ck_assert_str_eq(f[7], "quick");
        ck_assert_str_eq(f[8], "1");
        ck_assert(atof(f[9]) > 0.0);
        ck_assert_str_eq(f[13], "1"); /* digest matched seq */
        ck_assert_str_eq(f[14], "0"); /* no task failed */
        ck_assert_uint_eq(strlen(f[15]), 64);
        ck_assert(atol(f[16]) >= 0 && atol(f[17]) >= 0); /* context switches */
        rows++;
    }
    /* 2 workloads x (loop, seq, thread, process, thread-gil) x 1 rep;
     * warmups unrecorded. The loop computes what the executor does. */
    ck_assert_uint_eq(rows, 10);
    for (int w = 0; w < 2; w++) {
        ck_assert_uint_eq(strlen(loop_digest[w]), 64);
        ck_assert_str_eq(loop_digest[w], seq_digest[w]);
    }
    free(csv);

    snprintf(path, sizeof path, "%s/summary.csv", outdir);
    csv = cb_slurp(path, NULL);
    rows = 0;
    line = strtok_r(csv, "\n", &save);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(line, SUMMARY_HEADER);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[40];
        /* Notes may hold no comma: the split is exact. */
        ck_assert_uint_eq(split(line, f, 40), 40);
        ck_assert_str_eq(f[7], "1");  /* reps */
        ck_assert(atof(f[13]) > 0.0); /* speedup against the loop */
        /* One rep a side: the bootstrap interval is the speedup itself. */
        ck_assert_str_eq(f[16], f[13]);
        ck_assert_str_eq(f[17], f[13]);
        ck_assert(atof(f[18]) > 0.0); /* utilization */
        /* The loop is the base; seq is measured against it. */
        if (!strcmp(f[2], "loop")) ck_assert_str_eq(f[13], "1.000");
        ck_assert(!strcmp(f[30], "0") || !strcmp(f[30], "1")); /* shared */
        ck_assert(atof(f[29]) >= 0.0 && atof(f[29]) <= (double)cores);
        rows++;
    }
    ck_assert_uint_eq(rows, 10);
    free(csv);

    snprintf(path, sizeof path, "%s/meta.txt", outdir);
    char *meta = cb_slurp(path, NULL);
    ck_assert_ptr_nonnull(strstr(meta, "cpu_model: "));
    ck_assert_ptr_nonnull(strstr(meta, "command: cfbench run"));
    free(meta);
    cb_outcome_free(&o);
}
END_TEST

START_TEST(second_run_appends_rows_and_rewrites_summary) {
    const char *args[] = {"--size",    "quick", "--workload", "prime", "--mode",   "seq,thread",
                          "--workers", "1,2",   "--repeat",   "2",     "--warmup", "0",
                          "--quiet",   "--out", outdir,       NULL};
    char path[256];
    cb_outcome o;

    run_cfbench(args, &o);
    ck_assert_msg(o.status == 0, "exit %d, stderr: %s", o.status, o.err);
    ck_assert_str_eq(o.out, ""); /* --quiet */
    cb_outcome_free(&o);
    run_cfbench(args, &o);
    ck_assert_int_eq(o.status, 0);
    cb_outcome_free(&o);

    snprintf(path, sizeof path, "%s/bench.csv", outdir);
    char *csv = cb_slurp(path, NULL);
    /* header + 2 invocations x (seq + thread x1 + thread x2) x 2 reps. */
    ck_assert_uint_eq(cb_count_lines(csv), 1 + 2 * 3 * 2);
    free(csv);
    snprintf(path, sizeof path, "%s/summary.csv", outdir);
    csv = cb_slurp(path, NULL);
    /* Summary covers this invocation only: seq, thread x1, thread x2. */
    ck_assert_uint_eq(cb_count_lines(csv), 1 + 3);
    ck_assert_ptr_nonnull(strstr(csv, "c,prime,thread,2,1,quick,"));
    free(csv);
}
END_TEST

START_TEST(json_prints_the_summary_instead_of_the_table) {
    const char *args[] = {"--size",      "quick",    "--workload", "prime",    "--mode",
                          "seq,process", "--repeat", "1",          "--warmup", "0",
                          "--json",      "--out",    outdir,       NULL};
    cb_outcome o;
    run_cfbench(args, &o);
    ck_assert_msg(o.status == 0, "exit %d, stderr: %s", o.status, o.err);
    ck_assert_int_eq(o.out[0], '[');
    ck_assert_ptr_nonnull(strstr(o.out, "\"mode\": \"process\""));
    ck_assert_ptr_nonnull(strstr(o.out, "\"speedup\": "));
    ck_assert_ptr_null(strstr(o.out, "vs seq")); /* no table */
    cb_outcome_free(&o);
}
END_TEST

START_TEST(other_cpu_rises_with_a_busy_loop_beside_the_run) {
    /* Three loop runs of about 0.1 s each beside a process that spins: it
     * keeps most of a core busy (never below 0.3 of one, however loaded
     * the machine, as it gets its share), and what else the machine does
     * only adds to it. */
    const char *args[] = {"--size",  "default",  "--workload", "prime",    "--mode",
                          "loop",    "--repeat", "3",          "--warmup", "0",
                          "--quiet", "--out",    outdir,       NULL};
    char path[256];
    cb_outcome o;
    pid_t spin = fork();
    ck_assert_int_ge(spin, 0);
    if (spin == 0)
        for (;;) {
        }
    run_cfbench(args, &o);
    ck_assert_int_eq(kill(spin, SIGKILL), 0);
    ck_assert_int_eq(waitpid(spin, NULL, 0), spin);
    ck_assert_msg(o.status == 0, "exit %d, stderr: %s", o.status, o.err);
    snprintf(path, sizeof path, "%s/summary.csv", outdir);
    char *csv = cb_slurp(path, NULL), *save = NULL, *line = strtok_r(csv, "\n", &save), *f[40];
    ck_assert_ptr_nonnull(line = strtok_r(NULL, "\n", &save));
    ck_assert_uint_eq(split(line, f, 40), 40);
    ck_assert_msg(atof(f[29]) > 0.3, "other_cpu %s", f[29]);
    ck_assert_str_eq(f[30], "1"); /* flagged: the runs shared the machine */
    ck_assert_ptr_nonnull(strstr(f[28], "shared the machine"));
    free(csv);
    snprintf(path, sizeof path, "%s/meta.txt", outdir);
    char *meta = cb_slurp(path, NULL);
    ck_assert_ptr_nonnull(strstr(meta, "other_cpu: "));
    free(meta);
    cb_outcome_free(&o);
}
END_TEST

START_TEST(download_runs_against_the_embedded_server_in_every_mode) {
    const char *args[] = {"--size",   "quick", "--workload", "download", "--repeat", "1",
                          "--warmup", "0",     "--quiet",    "--out",    outdir,     NULL};
    char path[256];
    cb_outcome o;

    run_cfbench(args, &o);
    ck_assert_msg(o.status == 0, "exit %d, stderr: %s", o.status, o.err);
    snprintf(path, sizeof path, "%s/bench.csv", outdir);
    char *csv = cb_slurp(path, NULL);
    /* loop, seq, thread, process, async (download is the async workload)
     * and thread-gil, each with every task done and the loop's digest. */
    ck_assert_uint_eq(cb_count_lines(csv), 1 + 6);
    ck_assert_ptr_nonnull(strstr(csv, ",download,async,"));
    char *save = NULL, *line = strtok_r(csv, "\n", &save);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[40];
        ck_assert_uint_eq(split(line, f, 40), 21);
        ck_assert_str_eq(f[13], "1");
        ck_assert_str_eq(f[14], "0");
    }
    free(csv);
    cb_outcome_free(&o);
}
END_TEST

/* The (mode, rep) of each bench.csv row, joined: "seq1 thread1 seq2 ...". */
static void row_order(const char *path, char *buf, size_t len) {
    char *csv = cb_slurp(path, NULL), *save = NULL, *line = strtok_r(csv, "\n", &save);
    buf[0] = '\0';
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[40];
        ck_assert_uint_eq(split(line, f, 40), 21);
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s%s", used ? " " : "", f[3], f[8]);
    }
    free(csv);
}

START_TEST(order_interleaves_reps_by_default_and_groups_on_request) {
    const char *args[] = {"--size",   "quick", "--workload", "prime", "--mode",  "seq,thread",
                          "--repeat", "2",     "--warmup",   "1",     "--quiet", "--out",
                          outdir,     NULL,    NULL,         NULL};
    char path[256], got[512];
    cb_outcome o;

    snprintf(path, sizeof path, "%s/bench.csv", outdir);
    run_cfbench(args, &o);
    ck_assert_msg(o.status == 0, "exit %d, stderr: %s", o.status, o.err);
    cb_outcome_free(&o);
    row_order(path, got, sizeof got);
    ck_assert_str_eq(got, "seq1 thread1 seq2 thread2");

    ck_assert_int_eq(unlink(path), 0);
    args[13] = "--order";
    args[14] = "grouped";
    run_cfbench(args, &o);
    ck_assert_msg(o.status == 0, "exit %d, stderr: %s", o.status, o.err);
    cb_outcome_free(&o);
    row_order(path, got, sizeof got);
    ck_assert_str_eq(got, "seq1 seq2 thread1 thread2");

    /* Random: every run once, whatever the order. */
    ck_assert_int_eq(unlink(path), 0);
    args[14] = "random";
    run_cfbench(args, &o);
    ck_assert_msg(o.status == 0, "exit %d, stderr: %s", o.status, o.err);
    cb_outcome_free(&o);
    row_order(path, got, sizeof got);
    ck_assert_uint_eq(strlen(got), strlen("seq1 thread1 seq2 thread2"));
    ck_assert_ptr_nonnull(strstr(got, "thread1"));
    ck_assert_ptr_nonnull(strstr(got, "thread2"));
    ck_assert_ptr_nonnull(strstr(got, "seq2"));
}
END_TEST

/* The parsers themselves, without a process in between. */
START_TEST(parsers_accept_good_values_and_name_the_option_on_bad_ones) {
    char err[256];
    long v, list[CLI_LIST_MAX];
    size_t n;
    unsigned long long sz;
    unsigned mask;
    const char *const choices[] = {"a", "bb", NULL};

    ck_assert_int_eq(cli_parse_long("--n", "17", 1, 20, &v, err, sizeof err), 0);
    ck_assert_int_eq(v, 17);
    ck_assert_int_eq(cli_parse_long("--n", "21", 1, 20, &v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--n"));
    ck_assert_int_eq(cli_parse_long_list("--w", "1,2,4,8", 1, 8, list, &n, err, sizeof err), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(list[3], 8);
    ck_assert_int_eq(cli_parse_size("--s", "64K", 1, 1ull << 30, &sz, err, sizeof err), 0);
    ck_assert_uint_eq(sz, 65536);
    ck_assert_int_eq(cli_parse_size("--s", "2MiB", 1, 1ull << 30, &sz, err, sizeof err), 0);
    ck_assert_uint_eq(sz, 2u << 20);
    ck_assert_int_eq(cli_parse_size("--s", "2X", 1, 1ull << 30, &sz, err, sizeof err), -1);
    ck_assert_int_eq(cli_parse_size("--s", "-2K", 1, 1ull << 30, &sz, err, sizeof err), -1);
    ck_assert_int_eq(cli_parse_size("--s", "2G", 1, 1ull << 30, &sz, err, sizeof err), -1);
    ck_assert_int_eq(cli_parse_choices("--c", "bb,a", choices, 0, &mask, err, sizeof err), 0);
    ck_assert_uint_eq(mask, 3);
    ck_assert_int_eq(cli_parse_choices("--c", "all", choices, 1, &mask, err, sizeof err), 0);
    ck_assert_uint_eq(mask, 3);
    ck_assert_int_eq(cli_parse_choices("--c", "b", choices, 1, &mask, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "a, bb, all"));
}
END_TEST

static void no_usage(FILE *to) {
    (void)to;
}

/* cli_parse() over a table: every kind lands in its destination, operands
 * are kept in order, and a bad line ends the command with status 2. */
START_TEST(table_parser_fills_each_destination_and_refuses_a_bad_line) {
    static const char *const names[] = {"x", "y", NULL};
    long n = 0, list[CLI_LIST_MAX];
    size_t count = 0;
    unsigned long long bytes = 0;
    unsigned mask = 0;
    int flag = 0, one = 0, status = -1;
    const char *text = NULL, *addr = NULL, *ops[2] = {NULL, NULL};
    const cli_option opts[] = {
        CLI_OPT_LONG("--n", &n, 1, 9),
        CLI_OPT_LONGS("--list", list, &count, 1, 9),
        CLI_OPT_SIZE("--bytes", &bytes, 0, 1L << 20),
        CLI_OPT_CHOICES("--some", &mask, names),
        CLI_OPT_ONE_OF("--one", &one, names),
        CLI_OPT_TEXT("--text", &text),
        CLI_OPT_IPV4("--addr", &addr),
        CLI_OPT_FLAG("--flag", &flag),
        CLI_OPT_END,
    };
    const cli_command cmd = {.name = "test", .usage = no_usage, .options = opts,
                             .operands = ops, .max_operands = 2};
    char *good[] = {"test", "--n", "3", "--list=1,2", "A", "--bytes", "2K", "--some", "all",
                     "--one", "y", NULL};
    ck_assert_int_eq(cli_parse(&cmd, 11, good, &status), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_uint_eq(count, 2);
    ck_assert_int_eq(list[1], 2);
    ck_assert_uint_eq(bytes, 2048);
    ck_assert_uint_eq(mask, 3);
    ck_assert_int_eq(one, 1);
    ck_assert_str_eq(ops[0], "A");
    char *rest[] = {"test", "--text", "t", "B", "--addr", "10.0.0.1", "--flag", NULL};
    ck_assert_int_eq(cli_parse(&cmd, 7, rest, &status), 0);
    ck_assert_str_eq(text, "t");
    ck_assert_str_eq(addr, "10.0.0.1");
    ck_assert_int_eq(flag, 1);
    ck_assert_str_eq(ops[0], "B"); /* each line from the first operand */

    /* "--text --flag": a forgotten value, not the text "--flag". */
    char *bad[][4] = {{"test", "--flag=1"}, {"test", "--n", "10"},   {"test", "--one", "x,y"},
                      {"test", "--addr", "::1"}, {"test", "--text", "--flag"}, {"test", "--nope"},
                      {"test", "a", "b", "c"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int argc = bad[i][3] ? 4 : bad[i][2] ? 3 : 2;
        ops[0] = ops[1] = NULL;
        status = -1;
        ck_assert_int_eq(cli_parse(&cmd, argc, bad[i], &status), 1);
        ck_assert_int_eq(status, 2);
    }
    char *help[] = {"test", "--n", "2", "-h", "--nope", NULL};
    ck_assert_int_eq(cli_parse(&cmd, 5, help, &status), 1);
    ck_assert_int_eq(status, 0);
}
END_TEST

static Suite *cli_suite(void) {
    Suite *s = suite_create("cli");
    TCase *bad_tc = tcase_create("bad");
    tcase_add_checked_fixture(bad_tc, setup, teardown);
    tcase_add_loop_test(bad_tc, bad_value_exits_2_with_one_line_naming_the_option_and_no_files, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(bad_tc, help_documents_every_option_and_exits_0);
    tcase_add_test(bad_tc, parsers_accept_good_values_and_name_the_option_on_bad_ones);
    tcase_add_test(bad_tc, table_parser_fills_each_destination_and_refuses_a_bad_line);
    suite_add_tcase(s, bad_tc);

    TCase *run_tc = tcase_create("run");
    tcase_add_checked_fixture(run_tc, setup, teardown);
    tcase_set_timeout(run_tc, 120);
    tcase_add_test(run_tc, quick_run_writes_one_row_per_run_with_contract_columns);
    tcase_add_test(run_tc, other_cpu_rises_with_a_busy_loop_beside_the_run);
    tcase_add_test(run_tc, second_run_appends_rows_and_rewrites_summary);
    tcase_add_test(run_tc, json_prints_the_summary_instead_of_the_table);
    tcase_add_test(run_tc, download_runs_against_the_embedded_server_in_every_mode);
    tcase_add_test(run_tc, order_interleaves_reps_by_default_and_groups_on_request);
    suite_add_tcase(s, run_tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
