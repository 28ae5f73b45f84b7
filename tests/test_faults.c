/* test_faults.c -- `cfbench run` under faults, end to end: bad URLs and bad
 * servers become failed tasks counted in bench.csv while the others finish
 * and nothing lands outside the output folder; SIGINT and SIGTERM keep
 * every measured row, cancel what has not started, stop workers and the
 * embedded server and exit 130 / 143; an output folder that cannot be
 * written and a disk that fills give a clear error and keep what was
 * written. (The library's own worker faults are in test_process_pool.c,
 * the workload's failing routes in test_download.c.)
 *
 * Each test runs the built program ($CFBENCH, else build/cfbench) in a
 * fresh folder, in its own process group. The test process is a child
 * subreaper, so any process cfbench leaves behind (a worker, the server)
 * becomes our child and is seen and reaped here. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "../bench/http_server.h"
#include "../workloads/download.h"
#include "../workloads/workload.h"
#include "cfbench_check.h"

/* Longest a cfbench run may take here before the test calls it a hang. */
#define RUN_LIMIT_S 60

static char tmp[64];  /* fresh per test */
static char work[96]; /* cfbench's working folder */
static char out[128]; /* work/out: the --out folder */
static char exe[PATH_MAX];
static srv *server; /* in-process server, for tests that start one */

static void setup(void) {
    cb_exe_path(exe);
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-faults-XXXXXX");
    snprintf(work, sizeof work, "%s/work", tmp);
    snprintf(out, sizeof out, "%s/out", work);
    ck_assert_int_eq(mkdir(work, 0755), 0);
    /* The bad-server routes give up after a second, in every mode. */
    ck_assert_int_eq(setenv(DL_ENV_STALL, "1", 1), 0);
    /* An unknown host must fail fast even where a resolver is configured
     * but unreachable. */
    ck_assert_int_eq(setenv("RES_OPTIONS", "timeout:1 attempts:1", 1), 0);
    server = NULL;
}

static void teardown(void) {
    srv_stop(server);
    server = NULL;
    (void)chmod(tmp, 0700);
    (void)cb_rm_tree(tmp);
}

/* ---- running cfbench ----------------------------------------------------- */

typedef struct spawn_opts {
    int drop_root;        /* run as nobody when we are root */
    long fsize;           /* > 0: RLIMIT_FSIZE in bytes, SIGXFSZ ignored */
    const char *out_path; /* stdout goes here; NULL: tmp/stdout */
} spawn_opts;

/* Starts `cfbench ARGS...` (NULL-terminated) in work/, as the leader of
 * its own process group, stdout and stderr in files. Returns its pid. */
static pid_t start(const char *const *args, const spawn_opts *so) {
    static const spawn_opts none;
    char outp[128], errp[128];
    const char *argv[CB_ARGV_MAX];

    if (so == NULL) so = &none;
    cb_argv(argv, exe, NULL, args);
    snprintf(outp, sizeof outp, "%s/stdout", tmp);
    snprintf(errp, sizeof errp, "%s/stderr", tmp);
    if (so->out_path != NULL) snprintf(outp, sizeof outp, "%s", so->out_path);
    cb_opts co = {.cwd = work, .own_group = 1, .drop_root = so->drop_root, .fsize = so->fsize};
    return cb_spawn(argv, outp, errp, &co);
}

/* Waits for pid at most RUN_LIMIT_S; returns its exit status, or fails the
 * test (after killing its group) if it hangs or dies by a signal. */
static int finish(pid_t pid) {
    int hung, st = cb_wait(pid, RUN_LIMIT_S, 1, &hung);
    if (hung) ck_abort_msg("cfbench did not finish within %d s", RUN_LIMIT_S);
    ck_assert_msg(WIFEXITED(st), "cfbench died by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    ck_assert_msg(WEXITSTATUS(st) != 126 && WEXITSTATUS(st) != 127, "cannot run %s", exe);
    return WEXITSTATUS(st);
}

static int run_cfbench(const char *const *args, const spawn_opts *so) {
    return finish(start(args, so));
}

/* After cfbench exited: every process of its group (workers, the server)
 * must be gone within a few seconds. Leftovers were re-parented to us
 * (subreaper), so they are reaped here and cannot linger as zombies. */
static void expect_group_gone(pid_t pgid) {
    int gone = 0;
    for (int i = 0; i < 1000 && !gone; i++) {
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        gone = kill(-pgid, 0) != 0 && errno == ESRCH;
        if (!gone) cb_sleep_ms(10);
    }
    if (!gone) kill(-pgid, SIGKILL);
    ck_assert_msg(gone, "processes of cfbench's group outlived it");
}

static char *file_in(const char *dir, const char *name) {
    static char path[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
    return path[k];
}

static char *err_text(void) {
    return cb_slurp(file_in(tmp, "stderr"), NULL);
}

/* Polls until path holds at least `lines` lines; fails after RUN_LIMIT_S. */
static void wait_lines(const char *path, size_t lines) {
    for (int i = 0; i < RUN_LIMIT_S * 100; i++) {
        char *t = cb_slurp(path, NULL);
        size_t n = cb_count_lines(t);
        free(t);
        if (n >= lines) return;
        cb_sleep_ms(10);
    }
    ck_abort_msg("%s never reached %zu lines", path, lines);
}

/* ---- bad URLs and bad servers ------------------------------------------- */

/* Regular files under dir, as paths relative to it, sorted and joined by
 * ' ' into files_found. */
static char files_found[4096];
static size_t files_base;

static int note_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)ftw;
    if (flag != FTW_F) return 0;
    size_t used = strlen(files_found);
    snprintf(files_found + used, sizeof files_found - used, "%s%s", used ? " " : "",
             path + files_base);
    return 0;
}

static void list_files(const char *dir) {
    files_found[0] = '\0';
    files_base = strlen(dir) + 1;
    ck_assert_int_eq(nftw(dir, note_file, 16, FTW_PHYS), 0);
}

/* A loopback port that refuses connections: a socket bound to it, never
 * listening. Returns the socket (close it at the end) and the port. */
static int refusing_port(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

START_TEST(test_bad_urls_fail_their_tasks_in_every_mode_and_write_nothing_outside_out) {
    srv_options so = {0, 0, 0, 4096, NULL};
    char err[256] = "";
    ck_assert_msg(srv_start(&so, &server, err, sizeof err) == 0, "%s", err);
    const char *base = srv_base_url(server);

    int port, refuse = refusing_port(&port);

    char longest[DL_NAME_MAX + 1], too_long[DL_NAME_MAX + 32];
    memset(longest, 'n', sizeof longest);
    memcpy(longest + DL_NAME_MAX - 4, ".bin", 5); /* exactly 255 bytes */
    memset(too_long, 'x', sizeof too_long);
    memcpy(too_long + sizeof too_long - 5, ".pdf", 5);

    char urls[16][512];
    int nurl = 0, good = 0;
    /* The good ones first (they must arrive whole), then the bad. */
    snprintf(urls[nurl++], 512, "%s/files/a.pdf?size=3000", base);
    snprintf(urls[nurl++], 512, "%s/files/b.txt", base);
    snprintf(urls[nurl++], 512, "%s/files/%s?size=10", base, longest);
    good = nurl;
    snprintf(urls[nurl++], 512, "%s/status/404/nf.pdf", base);
    snprintf(urls[nurl++], 512, "%s/status/500/ise.pdf", base);
    snprintf(urls[nurl++], 512, "%s/stall/stall.pdf?size=100000", base);
    snprintf(urls[nurl++], 512, "%s/reset/reset.pdf?size=200000", base);
    snprintf(urls[nurl++], 512, "%s/short/short.pdf?size=200000", base);
    snprintf(urls[nurl++], 512, "%s/files/noext", base);
    snprintf(urls[nurl++], 512, "%s/files/%%2e%%2e%%2fevil.pdf", base);
    snprintf(urls[nurl++], 512, "%s/files/%%2e%%2e", base);
    snprintf(urls[nurl++], 512, "%s/files/%s", base, too_long);
#ifndef __SANITIZE_THREAD__
    /* Resolving a name starts a thread in libcurl, and ThreadSanitizer
     * cannot run threads in a child forked from a threaded process (it
     * kills the worker): the process pool would break. Elsewhere it runs. */
    snprintf(urls[nurl++], 512, "http://no-such-host.invalid/u.pdf");
#endif
    snprintf(urls[nurl++], 512, "http://127.0.0.1:%d/files/refused.pdf", port);
    snprintf(urls[nurl++], 512, "http://127.0.0.1:99999/files/badport.pdf");
    snprintf(urls[nurl++], 512, "http://[::1/files/bracket.pdf");

    char *list = file_in(tmp, "urls.txt");
    FILE *f = fopen(list, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < nurl; i++)
        fprintf(f, "%s\n", urls[i]);
    ck_assert_int_eq(fclose(f), 0);

    const char *args[] = {
        "run",       "--workload", "download", "--mode", "seq,thread,process,async",
        "--workers", "4",          "--repeat", "1",      "--warmup",
        "0",         "--out",      out,        "--urls", list,
        NULL};
    pid_t pid = start(args, NULL);
    int status = finish(pid);
    expect_group_gone(pid);
    char *e = err_text();
    /* Failed tasks that fail the same way in every mode are data, not a
     * failed run. */
    ck_assert_msg(status == 0, "exit %d: %s", status, e);

    size_t len;
    char *csv = cb_slurp(file_in(out, "bench.csv"), &len);
    ck_assert_uint_eq(cb_csv_rows(csv, "bench.csv"), 4);
    char want_failed[16], want_tasks[16], buf[80], digest[80] = "";
    snprintf(want_failed, sizeof want_failed, "%d", nurl - good);
    snprintf(want_tasks, sizeof want_tasks, "%d", nurl);
    for (const char *line = strchr(csv, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        ck_assert_str_eq(cb_field(line, cb_col(csv, "ok"), buf, sizeof buf), "1");
        ck_assert_str_eq(cb_field(line, cb_col(csv, "failed"), buf, sizeof buf), want_failed);
        ck_assert_str_eq(cb_field(line, cb_col(csv, "tasks"), buf, sizeof buf), want_tasks);
        if (digest[0] == '\0') cb_field(line, cb_col(csv, "digest"), digest, sizeof digest);
        ck_assert_str_eq(cb_field(line, cb_col(csv, "digest"), buf, sizeof buf), digest);
    }
    free(csv);
    /* The reason is told (for the first failed task). */
    ck_assert_msg(strstr(e, "HTTP 404") != NULL, "no reason given: %s", e);
    free(e);

    /* Only the good files exist, inside the output folder; no temporary
     * file is left, nothing escaped through "..". */
    list_files(work);
    int got = 0;
    char copy[sizeof files_found], *save = NULL;
    snprintf(copy, sizeof copy, "%s", files_found);
    for (char *p = strtok_r(copy, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save)) {
        const char *name = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
        ck_assert_msg(strncmp(p, "out/", 4) == 0, "%s was written outside the output folder", p);
        ck_assert_msg(name[0] != '.', "temporary file %s was left", p);
        if (strcmp(name, "bench.csv") && strcmp(name, "summary.csv") && strcmp(name, "meta.txt")) {
            ck_assert_msg(!strcmp(name, "a.pdf") || !strcmp(name, "b.txt") ||
                              !strcmp(name, longest),
                          "unexpected file %s", p);
            got++;
        }
    }
    ck_assert_msg(got == good, "want %d downloaded files: %s", good, files_found);
    ck_assert_int_ne(access(file_in(tmp, "evil.pdf"), F_OK), 0);
    close(refuse);
}
END_TEST

/* The reasons a task gives for the bad URLs test_download.c does not try. */
START_TEST(test_each_bad_url_fails_with_its_own_reason) {
    const workload *wl = workload_find("download");
    int port, refuse = refusing_port(&port);

    char refused[128], too_long[DL_NAME_MAX + 64];
    snprintf(refused, sizeof refused, "http://127.0.0.1:%d/files/r.pdf", port);
    snprintf(too_long, sizeof too_long, "http://127.0.0.1:1/files/%0*d.pdf", DL_NAME_MAX, 0);
    const struct {
        const char *url, *why;
    } cases[] = {
        {"http://no-such-host.invalid/u.pdf", "resolve"},
        {refused, "connect"},
        {"http://127.0.0.1:99999/files/p.pdf", "127.0.0.1:99999"},
        {"http://[::1/files/b.pdf", "[::1"},
        {"http://127.0.0.1:1/files/%2e%2e", "not a file"},
        {"http://127.0.0.1:1/files/..%2f..%2fx.pdf", "slash"},
        {"http://127.0.0.1:1/files/a%00b.pdf", "NUL"},
        {"http://127.0.0.1:1/files/a%zz.pdf", "percent"},
        {"http://127.0.0.1:1", "no path"},
        {too_long, "longer than"},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    const char *urls[N];
    for (size_t i = 0; i < N; i++)
        urls[i] = cases[i].url;
    ck_assert_ptr_nonnull(wl);
    ck_assert_int_eq(workloads_init(), 0);
    wl_params p;
    wl_plan plan;
    wl_result res[N];
    char err[256] = "";
    memset(&p, 0, sizeof p);
    memset(&plan, 0, sizeof plan);
    p.out_dir = out;
    p.urls = urls;
    p.nurls = N;
    ck_assert_msg(wl->prepare(&p, &plan, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(wl->run_async(&plan, 0, res, NULL, err, sizeof err) == 0, "%s", err);
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(res[i].status != 0 && strstr(res[i].msg, cases[i].why),
                      "%s: status %d, message '%s'", cases[i].url, res[i].status, res[i].msg);
    wl->release(&plan);
    list_files(out);
    ck_assert_str_eq(files_found, "");
    close(refuse);
}
END_TEST

/* ---- interruption --------------------------------------------------------- */

/* Common checks after an interrupted run: bench.csv still starts with what
 * it held before the signal and is whole rows; summary.csv covers every
 * recorded row. */
static void expect_rows_kept(const char *before, size_t before_len) {
    size_t len;
    char *csv = cb_slurp(file_in(out, "bench.csv"), &len);
    ck_assert_uint_ge(len, before_len);
    ck_assert_msg(memcmp(csv, before, before_len) == 0, "rows measured before the signal changed");
    size_t rows = cb_csv_rows(csv, "bench.csv");
    free(csv);

    char *sum = cb_slurp(file_in(out, "summary.csv"), NULL);
    ck_assert_msg(sum[0] != '\0', "no summary.csv after the interruption");
    size_t reps = 0;
    int reps_col = cb_col(sum, "reps");
    char buf[32];
    for (const char *line = strchr(sum, '\n'); line && line[1]; line = strchr(line + 1, '\n'))
        reps += strtoul(cb_field(line + 1, reps_col, buf, sizeof buf), NULL, 10);
    ck_assert_uint_eq(reps, rows);
    free(sum);
}

/* Starts args, sends sig (to cfbench, or to its whole group when
 * whole_group is set) once bench.csv holds `lines` lines, and checks that
 * it exits `want` (saying `says` on stderr, when not NULL), that its group
 * is gone and that every row measured before the signal was kept. */
static void interrupt(const char *const *args, size_t lines, int sig, int whole_group, int want,
                      const char *says) {
    pid_t pid = start(args, NULL);
    char *bench = file_in(out, "bench.csv");
    wait_lines(bench, lines);
    size_t before_len;
    char *before = cb_slurp(bench, &before_len);
    ck_assert_int_eq(kill(whole_group ? -pid : pid, sig), 0);
    int status = finish(pid);
    expect_group_gone(pid);
    char *e = err_text();
    ck_assert_msg(status == want, "exit %d: %s", status, e);
    if (says != NULL) ck_assert_msg(strstr(e, says) != NULL, "stderr: %s", e);
    free(e);
    expect_rows_kept(before, before_len);
    free(before);
}

START_TEST(test_sigint_keeps_every_measured_row_stops_workers_exits_130) {
    const char *args[] = {
        "run",       "--workload", "prime",    "--size", "quick",    "--mode", "seq,thread,process",
        "--workers", "2",          "--repeat", "10000",  "--warmup", "0",      "--quiet",
        "--out",     out,          NULL};
    interrupt(args, 5, SIGINT, 0, 130, "interrupted");
}
END_TEST

START_TEST(test_sigterm_to_the_group_stops_server_and_workers_exits_143) {
    const char *args[] = {
        "run",       "--workload", "download", "--size", "quick",    "--mode", "seq,process,async",
        "--workers", "2",          "--repeat", "10000",  "--warmup", "0",      "--quiet",
        "--out",     out,          NULL};
    /* As `kill -TERM -PGID` or a terminal's hang-up would: cfbench, its
     * workers and the embedded server all get the signal. */
    interrupt(args, 4, SIGTERM, 1, 143, NULL);
}
END_TEST

/* Counts the files called slow-* anywhere under work/. */
static int downloaded(void) {
    char copy[sizeof files_found], *save = NULL;
    int n = 0;
    list_files(work);
    snprintf(copy, sizeof copy, "%s", files_found);
    for (char *p = strtok_r(copy, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save)) {
        const char *name = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
        n += strncmp(name, "slow-", 5) == 0;
    }
    return n;
}

START_TEST(test_sigint_cancels_the_tasks_that_have_not_started) {
    /* Eight files of about 0.7 s each through one thread: when the first
     * has arrived, seven are pending. */
    srv_options so = {0, 700, 0, 1000, NULL};
    char err[256] = "", list[8 * 128] = "";
    ck_assert_msg(srv_start(&so, &server, err, sizeof err) == 0, "%s", err);
    for (int i = 0; i < 8; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s/files/slow-%d.pdf", i ? "," : "",
                 srv_base_url(server), i);
    }
    const char *args[] = {
        "run",     "--workload",     "download", "--mode", "thread",   "--workers",
        "1",       "--no-reference", "--repeat", "1",      "--warmup", "0",
        "--quiet", "--out",          out,        "--urls", list,       NULL};
    pid_t pid = start(args, NULL);
    for (int i = 0; i < RUN_LIMIT_S * 100 && downloaded() == 0; i++)
        cb_sleep_ms(10);
    ck_assert_int_ge(downloaded(), 1);
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    int status = finish(pid);
    expect_group_gone(pid);
    ck_assert_int_eq(status, 130);
    /* The one running when the signal came may finish; no other starts. */
    ck_assert_msg(downloaded() <= 2,
                  "%d of 8 files were fetched after SIGINT: pending tasks "
                  "were not cancelled (%s)",
                  downloaded(), files_found);
}
END_TEST

/* ---- output faults -------------------------------------------------------- */

static const char *const quick_prime[] = {"run",    "--workload", "prime",    "--size", "quick",
                                          "--mode", "seq,thread", "--repeat", "2",      "--warmup",
                                          "0",      "--quiet",    "--out",    NULL};

/* quick_prime + out dir + extra (NULL-terminated) into args. */
static void prime_args(const char **args, const char *const *extra) {
    size_t n = 0;
    for (; quick_prime[n] != NULL; n++)
        args[n] = quick_prime[n];
    args[n++] = out;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        args[n++] = extra[i];
    args[n] = NULL;
}

START_TEST(test_unwritable_output_folder_is_a_clear_error) {
    const char *args[24];
    spawn_opts so = {1, 0, NULL};
    prime_args(args, NULL);
    ck_assert_int_eq(mkdir(out, 0555), 0);
    /* As root, permissions do not bind: the run drops to nobody, who must
     * reach the folder but not write it. */
    ck_assert_int_eq(chmod(tmp, 0755), 0);
    int status = run_cfbench(args, &so);
    char *e = err_text();
    ck_assert_msg(status == 1, "exit %d: %s", status, e);
    ck_assert_msg(strstr(e, "bench.csv") && strstr(e, "Permission denied"), "stderr: %s", e);
    free(e);
    list_files(out);
    ck_assert_str_eq(files_found, "");
}
END_TEST

START_TEST(test_full_disk_at_open_is_a_clear_error) {
    const char *args[24];
    prime_args(args, NULL);
    ck_assert_int_eq(mkdir(out, 0755), 0);
    ck_assert_int_eq(symlink("/dev/full", file_in(out, "bench.csv")), 0);
    int status = run_cfbench(args, NULL);
    char *e = err_text();
    ck_assert_msg(status == 1, "exit %d: %s", status, e);
    ck_assert_msg(strstr(e, "bench.csv") && strstr(e, "No space left"), "stderr: %s", e);
    free(e);
}
END_TEST

START_TEST(test_disk_filling_mid_run_keeps_earlier_rows_whole) {
    const char *args[24];
    prime_args(args, NULL);
    ck_assert_int_eq(run_cfbench(args, NULL), 0);
    size_t before_len;
    char *before = cb_slurp(file_in(out, "bench.csv"), &before_len);
    ck_assert_uint_eq(cb_csv_rows(before, "bench.csv"), 4);

    /* Room for a fraction of one more row: the next write fails half-way. */
    spawn_opts so = {0, (long)before_len + 40, NULL};
    int status = run_cfbench(args, &so);
    char *e = err_text();
    ck_assert_msg(status == 1, "exit %d: %s", status, e);
    ck_assert_msg(strstr(e, "bench.csv") && strstr(e, "File too large"), "stderr: %s", e);
    free(e);
    size_t len;
    char *after = cb_slurp(file_in(out, "bench.csv"), &len);
    ck_assert_msg(len >= before_len && memcmp(after, before, before_len) == 0,
                  "rows written before the disk filled changed");
    /* No torn row: a later run appends under whole rows only. */
    free(after);
    ck_assert_int_eq(run_cfbench(args, NULL), 0);
    after = cb_slurp(file_in(out, "bench.csv"), &len);
    ck_assert_uint_ge(cb_csv_rows(after, "bench.csv"), 8);
    free(after);
    free(before);
}
END_TEST

START_TEST(test_full_stdout_is_an_error_not_a_silent_loss) {
    const char *extra[] = {"--json", NULL};
    const char *args[24];
    spawn_opts so = {0, 0, "/dev/full"};
    prime_args(args, extra);
    int status = run_cfbench(args, &so);
    char *e = err_text();
    ck_assert_msg(status == 1, "run --json > /dev/full: exit %d: %s", status, e);
    ck_assert_msg(strstr(e, "No space left") != NULL, "stderr: %s", e);
    free(e);

    const char *oh[] = {"overhead", "--tasks", "100", "--repeat", "1", NULL};
    status = run_cfbench(oh, &so);
    e = err_text();
    ck_assert_msg(status == 1, "overhead > /dev/full: exit %d: %s", status, e);
    ck_assert_msg(strstr(e, "No space left") != NULL, "stderr: %s", e);
    free(e);
}
END_TEST

static Suite *faults_suite(void) {
    Suite *s = suite_create("faults");
    TCase *urls = tcase_create("bad urls");
    tcase_set_timeout(urls, 90);
    tcase_add_checked_fixture(urls, setup, teardown);
    tcase_add_test(urls,
                   test_bad_urls_fail_their_tasks_in_every_mode_and_write_nothing_outside_out);
    tcase_add_test(urls, test_each_bad_url_fails_with_its_own_reason);
    suite_add_tcase(s, urls);

    TCase *sig = tcase_create("interruption");
    tcase_set_timeout(sig, 90);
    tcase_add_checked_fixture(sig, setup, teardown);
    tcase_add_test(sig, test_sigint_keeps_every_measured_row_stops_workers_exits_130);
    tcase_add_test(sig, test_sigterm_to_the_group_stops_server_and_workers_exits_143);
    tcase_add_test(sig, test_sigint_cancels_the_tasks_that_have_not_started);
    suite_add_tcase(s, sig);

    TCase *outf = tcase_create("output faults");
    tcase_set_timeout(outf, 90);
    tcase_add_checked_fixture(outf, setup, teardown);
    tcase_add_test(outf, test_unwritable_output_folder_is_a_clear_error);
    tcase_add_test(outf, test_full_disk_at_open_is_a_clear_error);
    tcase_add_test(outf, test_disk_filling_mid_run_keeps_earlier_rows_whole);
    tcase_add_test(outf, test_full_stdout_is_an_error_not_a_silent_loss);
    suite_add_tcase(s, outf);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(faults_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
