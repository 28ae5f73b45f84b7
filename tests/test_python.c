/* test_python.c -- tests for bench/python.c and `--impl python`: the
 * Python runner (workloads/python/bench.py) does the C workloads' work
 * exactly (its results pass the C verifier and its digest is the C
 * sequential one) in every mode; wrong or missing Python output is caught;
 * bad --impl values exit 2; no Python means one line and a skip; a
 * download follows only http and https, as the C one does.
 *
 * Needs python3 (3.8+); without it the Python tests say so and pass.
 * Runs the built program: $CFBENCH (set by `make test`), else
 * build/cfbench. */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/python.h"
#include "../bench/http_server.h"
#include "../workloads/download.h"
#include "../workloads/workload.h"
#include "cfbench_check.h"

static char tmp[64];
static char exe[256], root[PATH_MAX];
static int have_python;

static void setup(void) {
    char why[256];
    ck_assert_int_eq(workloads_init(), 0);
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-test-py-XXXXXX");
    have_python = py_find(exe, sizeof exe, why, sizeof why) == 0;
    if (!have_python) fprintf(stderr, "test_python: %s: Python tests skipped\n", why);
    ck_assert_int_eq(py_root(root, sizeof root), 0);
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

/* The C sequential digest of wl at size quick: every input through the
 * sequential executor, checked by verify(). */
static void c_seq_digest(const workload *wl, wl_plan *plan, char digest[65]) {
    cf_executor *ex;
    wl_result *res = calloc(plan->n, sizeof *res);
    cf_future **fs = calloc(plan->n, sizeof *fs);
    char err[256];
    size_t failed = 1;
    ck_assert_ptr_nonnull(res);
    ck_assert_ptr_nonnull(fs);
    ck_assert_int_eq(cf_executor_new(CF_SEQUENTIAL, NULL, &ex), 0);
    for (size_t i = 0; i < plan->n; i++) {
        ck_assert_int_eq(cf_submit(ex, plan->task, plan->in[i], plan->in_len[i], &fs[i]), 0);
        ck_assert_int_eq(cf_future_result(fs[i], CF_FOREVER, &res[i].data, &res[i].len), 0);
        res[i].msg = "";
    }
    ck_assert_int_eq(wl->verify(plan, res, digest, &failed, err, sizeof err), 0);
    ck_assert_uint_eq(failed, 0);
    for (size_t i = 0; i < plan->n; i++)
        cf_future_free(fs[i]);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    cf_executor_free(ex);
    free(fs);
    free(res);
}

static void prepare(const workload *wl, wl_plan *plan) {
    wl_params p;
    char err[256];
    memset(&p, 0, sizeof p);
    memset(plan, 0, sizeof *plan);
    p.size = WL_QUICK;
    ck_assert_msg(wl->prepare(&p, plan, err, sizeof err) == 0, "%s", err);
}

/* loop index: workload (0 prime, 1 hash) x mode (loop, thread, process). */
START_TEST(python_digest_equals_the_c_seq_digest_in_every_mode) {
    static const char *const wls[] = {"prime", "hash"};
    static const char *const modes[] = {"loop", "thread", "process"};
    const workload *wl = workload_find(wls[_i / 3]);
    const char *mode = modes[_i % 3];
    wl_plan plan;
    char want[65], err[256];
    py_outcome o;

    if (!have_python) return;
    ck_assert_ptr_nonnull(wl);
    prepare(wl, &plan);
    c_seq_digest(wl, &plan, want);
    /* Chunksize 3 does not divide the task count: the last chunk is short. */
    py_point p = {mode, _i % 3 == 0 ? 1 : 2, _i % 3 == 0 ? 1 : 3, 2, 0, "quick", NULL, 0, NULL,
                  NULL};
    ck_assert_msg(py_run_point(exe, root, wl, &plan, &p, &o, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(o.verified, "%s %s: %s", wl->name, mode, o.first_error);
    ck_assert_uint_eq(o.failed, 0);
    ck_assert_str_eq(o.digest, want);
    ck_assert_uint_eq(o.nreps, 2);
    for (size_t k = 0; k < o.nreps; k++) {
        ck_assert_str_eq(o.reps[k].digest, want);
        ck_assert_int_eq(o.reps[k].rep, (long)k + 1);
        ck_assert_uint_eq(o.reps[k].tasks, plan.n);
        ck_assert_int_eq(o.reps[k].workers, p.workers);
        ck_assert(o.reps[k].wall_ms > 0.0);
    }
    py_outcome_free(&o);
    wl->release(&plan);
}
END_TEST

/* Writes a copy of the Python scripts under tmp/NAME with `sed` applied to
 * cf_workloads.py (or bench.py replaced by `runner` if not NULL). */
static void fake_root(const char *name, const char *sed, const char *runner, char *out,
                      size_t len) {
    char cmd[PATH_MAX * 3];
    snprintf(out, len, "%s/%s", tmp, name);
    snprintf(
        cmd, sizeof cmd,
        "mkdir -p '%s/workloads/python' && cp '%s'/workloads/python/*.py '%s/workloads/python/'",
        out, root, out);
    ck_assert_int_eq(system(cmd), 0);
    if (sed != NULL) {
        snprintf(cmd, sizeof cmd, "sed -i '%s' '%s/workloads/python/cf_workloads.py'", sed, out);
        ck_assert_int_eq(system(cmd), 0);
    }
    if (runner != NULL) {
        snprintf(cmd, sizeof cmd, "printf '%%s\\n' '%s' > '%s/workloads/python/bench.py'", runner,
                 out);
        ck_assert_int_eq(system(cmd), 0);
    }
}

START_TEST(wrong_python_results_fail_the_c_verifier) {
    const workload *wl = workload_find("prime");
    wl_plan plan;
    char fake[PATH_MAX], err[256];
    py_outcome o;

    if (!have_python) return;
    /* Every number "not prime": same shape, wrong answers. */
    fake_root("wrong", "s/1 if is_prime(n) else 0/0/", NULL, fake, sizeof fake);
    prepare(wl, &plan);
    py_point p = {"seq", 1, 1, 1, 0, "quick", NULL, 0, NULL, NULL};
    ck_assert_msg(py_run_point(exe, fake, wl, &plan, &p, &o, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.verified, 0);
    ck_assert_ptr_nonnull(strstr(o.first_error, "prime"));
    py_outcome_free(&o);
    wl->release(&plan);
}
END_TEST

START_TEST(other_work_in_python_is_refused) {
    const workload *wl = workload_find("hash");
    wl_plan plan;
    char fake[PATH_MAX], err[256];
    py_outcome o;

    if (!have_python) return;
    /* One task fewer than the C plan: not the same work. */
    fake_root("fewer", "s/return \\[(n, unit)\\] \\* tasks/return [(n, unit)] * (tasks - 1)/", NULL,
              fake, sizeof fake);
    prepare(wl, &plan);
    py_point p = {"seq", 1, 1, 1, 0, "quick", NULL, 0, NULL, NULL};
    ck_assert_int_eq(py_run_point(exe, fake, wl, &plan, &p, &o, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "tasks") != NULL, "%s", err);
    wl->release(&plan);
}
END_TEST

START_TEST(a_failing_runner_is_an_error_not_a_row) {
    const workload *wl = workload_find("prime");
    wl_plan plan;
    char fake[PATH_MAX], err[256];
    py_outcome o;

    if (!have_python) return;
    fake_root("exit3", NULL, "import sys; sys.exit(3)", fake, sizeof fake);
    prepare(wl, &plan);
    py_point p = {"seq", 1, 1, 1, 0, "quick", NULL, 0, NULL, NULL};
    ck_assert_int_eq(py_run_point(exe, fake, wl, &plan, &p, &o, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "status 3") != NULL, "%s", err);
    ck_assert_ptr_null(o.reps);

    fake_root("garbage", NULL, "print(\"rep,nonsense\")", fake, sizeof fake);
    ck_assert_int_eq(py_run_point(exe, fake, wl, &plan, &p, &o, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "header") != NULL, "%s", err);
    wl->release(&plan);
}
END_TEST

/* Runs cfbench with args (NULL-terminated), env var `env` set if not
 * NULL, stdout to tmp/stdout and stderr to tmp/stderr; returns its exit
 * status, stderr (cut to errlen) in errbuf and its lines in *lines. */
static int run_cfbench(const char *const *args, const char *env, size_t *lines, char *errbuf,
                       size_t errlen) {
    cb_opts so = {.env = env};
    cb_outcome o;
    cb_run(cb_exe(), NULL, args, tmp, &so, &o);
    snprintf(errbuf, errlen, "%s", o.err);
    *lines = cb_count_lines(errbuf);
    ck_assert_msg(o.status >= 0, "cannot run %s", cb_exe());
    int status = o.status;
    cb_outcome_free(&o);
    return status;
}

START_TEST(bad_impl_exits_2_with_one_line_and_no_files) {
    char out[128], err[4096];
    size_t lines;
    struct stat st;
    snprintf(out, sizeof out, "%s/out", tmp);
    const char *run[] = {"run", "--impl", "ruby", "--size", "quick", "--out", out, NULL};
    ck_assert_int_eq(run_cfbench(run, NULL, &lines, err, sizeof err), 2);
    ck_assert_uint_eq(lines, 1);
    ck_assert_ptr_nonnull(strstr(err, "--impl"));
    ck_assert_int_ne(stat(out, &st), 0);

    const char *empty[] = {"run", "--impl", "", "--out", out, NULL};
    ck_assert_int_eq(run_cfbench(empty, NULL, &lines, err, sizeof err), 2);
    ck_assert_uint_eq(lines, 1);
    ck_assert_ptr_nonnull(strstr(err, "--impl"));

    /* Python has no async or thread-gil mode: nothing to run. */
    const char *gil[] = {"run", "--impl", "python", "--mode", "thread-gil", "--out", out, NULL};
    ck_assert_int_eq(run_cfbench(gil, NULL, &lines, err, sizeof err), 2);
    ck_assert_uint_eq(lines, 1);
    ck_assert_ptr_nonnull(strstr(err, "--impl"));
    ck_assert_int_ne(stat(out, &st), 0);

    const char *ov[] = {"overhead", "--impl", "java", NULL};
    ck_assert_int_eq(run_cfbench(ov, NULL, &lines, err, sizeof err), 2);
    ck_assert_uint_eq(lines, 1);
    ck_assert_ptr_nonnull(strstr(err, "--impl"));
}
END_TEST

START_TEST(without_python_impl_python_says_so_and_skips) {
    char out[128], err[4096];
    size_t lines;
    struct stat st;
    snprintf(out, sizeof out, "%s/out", tmp);
    const char *run[] = {"run",    "--impl", "python", "--workload", "prime",
                         "--size", "quick",  "--out",  out,          NULL};
    ck_assert_int_eq(
        run_cfbench(run, "CFBENCH_PYTHON=/nonexistent/python3", &lines, err, sizeof err), 0);
    ck_assert_uint_eq(lines, 1);
    ck_assert_ptr_nonnull(strstr(err, "Python is not available"));
    ck_assert_int_ne(stat(out, &st), 0);
}
END_TEST

/* Counts lines of path that contain `needle`. */
static size_t count_matching(const char *path, const char *needle) {
    FILE *f = fopen(path, "r");
    char line[1024];
    size_t n = 0;
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

START_TEST(impl_all_writes_python_rows_beside_c_with_their_own_speedup) {
    char out[128], path[160], err[8192];
    size_t lines;
    if (!have_python) return;
    snprintf(out, sizeof out, "%s/out", tmp);
    const char *run[] = {"run",     "--impl",   "all",    "--workload",  "prime",
                         "--size",  "quick",    "--mode", "seq,process", "--workers",
                         "2",       "--repeat", "2",      "--warmup",    "0",
                         "--quiet", "--out",    out,      NULL};
    ck_assert_msg(run_cfbench(run, NULL, &lines, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/bench.csv", out);
    /* Python has no sequential executor: asked for seq, it runs its loop
     * (the list comprehension), its own base. */
    ck_assert_uint_eq(count_matching(path, ",c,prime,seq,1,1,"), 2);
    ck_assert_uint_eq(count_matching(path, ",python,prime,loop,1,1,"), 2);
    ck_assert_uint_eq(count_matching(path, ",python,prime,seq,"), 0);
    ck_assert_uint_eq(count_matching(path, ",python,prime,process,2,1,"), 2);
    FILE *rows = fopen(path, "r");
    char row[2048];
    ck_assert_ptr_nonnull(rows);
    while (fgets(row, sizeof row, rows) != NULL) { /* no ok=0 row */
        char *ok = row;
        for (int k = 0; k < 13 && ok != NULL; k++)
            if ((ok = strchr(ok, ',')) != NULL) ok++;
        ck_assert_msg(ok != NULL && strncmp(ok, "0,", 2) != 0, "%s", row);
    }
    fclose(rows);
    /* Python's loop is Python's baseline: speedup exactly 1. */
    snprintf(path, sizeof path, "%s/summary.csv", out);
    ck_assert_uint_eq(count_matching(path, "python,prime,loop,1,1,quick,1000,2,"), 1);
    FILE *f = fopen(path, "r");
    char line[2048];
    int seen = 0;
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "python,prime,loop,", 18) != 0) continue;
        /* field 14 is the speedup */
        char *p = line;
        for (int k = 1; k < 14; k++)
            p = strchr(p, ',') + 1;
        ck_assert_msg(strncmp(p, "1.000,", 6) == 0, "%s", line);
        seen = 1;
    }
    fclose(f);
    ck_assert(seen);
}
END_TEST

START_TEST(overhead_impl_python_prints_py_rows_in_the_same_columns) {
    char path[128], err[4096];
    size_t lines;
    if (!have_python) return;
    const char *ov[] = {"overhead", "--impl", "python", "--tasks", "200", "--repeat", "1", NULL};
    ck_assert_msg(run_cfbench(ov, NULL, &lines, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/stdout", tmp);
    ck_assert_uint_eq(count_matching(path, "executor,method,chunksize,tasks,us_per_task"), 1);
    ck_assert_uint_eq(count_matching(path, "py-thread,submit,1,200,"), 1);
    ck_assert_uint_eq(count_matching(path, "py-process,map,64,200,"), 1);
    ck_assert_uint_eq(count_matching(path, "py-process,startup,0,2,"), 1);
    ck_assert_uint_eq(count_matching(path, "seq,"), 0); /* no C rows asked for */
}
END_TEST

/* ---- download: http and https only ------------------------------------- */

/* Appends s to out (cap bytes) percent-encoded, all but unreserved bytes. */
static void pct_append(char *out, size_t cap, const char *s) {
    size_t n = strlen(out);
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < cap; p++) {
        if (isalnum(*p) || strchr("-._~", *p) != NULL)
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", *p);
    }
    out[n] = '\0';
}

/* A listening socket on 127.0.0.1 that never accepts: a connection to it
 * waits in its queue, so decoy_contacted() sees it afterwards. */
static int decoy_listen(int *port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static int decoy_contacted(int fd) {
    int c = accept(fd, NULL, NULL);
    if (c >= 0) close(c);
    ck_assert_msg(c >= 0 || errno == EAGAIN || errno == EWOULDBLOCK, "accept: %s", strerror(errno));
    return c >= 0;
}

/* Runs the one-URL download plan through the C sequential executor; returns
 * the task's failure message (static), or NULL if it succeeded. */
static const char *c_seq_download(const wl_plan *plan) {
    static char msg[256];
    cf_executor *ex;
    cf_future *f;
    const void *data;
    size_t len;
    const char *m = "";
    ck_assert_int_eq(cf_executor_new(CF_SEQUENTIAL, NULL, &ex), 0);
    ck_assert_int_eq(cf_submit(ex, plan->task, plan->in[0], plan->in_len[0], &f), 0);
    int rc = cf_future_result(f, CF_FOREVER, &data, &len);
    if (rc != 0) (void)cf_future_error(f, &m);
    snprintf(msg, sizeof msg, "%s", m ? m : "");
    cf_future_free(f);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    cf_executor_free(ex);
    return rc == 0 ? NULL : msg;
}

/* A redirect (or a URL given) to ftp:, file: or through an http hop to ftp:
 * fails its task in the Python twin as in C, with the same words; the ftp
 * port is never contacted and nothing is written. http -> http still
 * works. */
START_TEST(python_download_fetches_only_http_and_https_redirects_included) {
    const workload *wl = workload_find("download");
    srv *server;
    srv_options so = {0, 0, 0, 4096, NULL};
    char err[256] = "", dir[128], ftp[128], hop[512], list[512];
    int port;

    if (!have_python) return;
    /* A contacted decoy never answers: fail such a transfer in 2 s. */
    setenv(DL_ENV_STALL, "2", 1);
    int decoy = decoy_listen(&port);
    ck_assert_msg(srv_start(&so, &server, err, sizeof err) == 0, "%s", err);
    const char *base = srv_base_url(server);
    snprintf(dir, sizeof dir, "%s/dl", tmp);
    snprintf(ftp, sizeof ftp, "ftp://127.0.0.1:%d/x.pdf", port);
    snprintf(hop, sizeof hop, "%s/location/hop.pdf?to=", base);
    pct_append(hop, sizeof hop, ftp); /* http -> http (hop) -> ftp */

    const struct {
        const char *route, *to; /* to NULL: the URL given is ftp: itself */
        const char *why;        /* NULL: fetched */
    } cases[] = {
        {"/location/ftp.pdf?to=", ftp, "Protocol \"ftp\""},
        {"/location/file.pdf?to=", "file:///etc/passwd", "Protocol \"file\""},
        {"/location/chain.pdf?to=", hop, "Protocol \"ftp\""},
        {NULL, NULL, "Protocol \"ftp\""},
        {"/location/moved.pdf?to=", "/files/moved.pdf?size=1000", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[1024];
        if (cases[i].to == NULL) {
            snprintf(url, sizeof url, "ftp://127.0.0.1:%d/direct.pdf", port);
        } else {
            snprintf(url, sizeof url, "%s%s", base, cases[i].route);
            pct_append(url, sizeof url, cases[i].to);
        }
        const char *urls[] = {url};
        wl_params p = {.size = WL_QUICK, .out_dir = dir, .urls = urls, .nurls = 1};
        wl_plan plan;
        py_outcome o;
        memset(&plan, 0, sizeof plan);
        ck_assert_msg(wl->prepare(&p, &plan, err, sizeof err) == 0, "%s", err);

        const char *cmsg = c_seq_download(&plan);
        ck_assert_msg(!decoy_contacted(decoy), "C %s: the ftp port was contacted", url);
        py_point pt = {"seq", 1, 1, 1, 0, "quick", urls, 1, NULL, dir};
        ck_assert_msg(py_run_point(exe, root, wl, &plan, &pt, &o, err, sizeof err) == 0, "%s", err);
        ck_assert_msg(!decoy_contacted(decoy), "Python %s: the ftp port was contacted (%s)", url,
                      o.first_error);
        if (cases[i].why == NULL) {
            ck_assert_msg(cmsg == NULL, "C %s: %s", url, cmsg);
            ck_assert_msg(o.failed == 0, "Python %s: %s", url, o.first_error);
        } else {
            ck_assert_msg(cmsg != NULL && strstr(cmsg, cases[i].why) != NULL, "C %s: %s", url,
                          cmsg ? cmsg : "fetched");
            ck_assert_msg(o.failed == 1 && strstr(o.first_error, cases[i].why) != NULL,
                          "Python %s: failed %zu: %s", url, o.failed, o.first_error);
        }
        ck_assert_msg(o.verified, "%s", o.first_error);
        py_outcome_free(&o);
        wl->release(&plan);
    }
    /* Only the http -> http file, whole; no temporary file left. */
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    ck_assert_int_ge(n, 0);
    list[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(ents[i]->d_name, ".") != 0 && strcmp(ents[i]->d_name, "..") != 0)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s ", ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
    ck_assert_str_eq(list, "moved.pdf ");
    srv_stop(server);
    close(decoy);
}
END_TEST

static Suite *python_suite(void) {
    Suite *s = suite_create("python");
    TCase *tc = tcase_create("runner");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, python_digest_equals_the_c_seq_digest_in_every_mode, 0, 6);
    tcase_add_test(tc, wrong_python_results_fail_the_c_verifier);
    tcase_add_test(tc, other_work_in_python_is_refused);
    tcase_add_test(tc, a_failing_runner_is_an_error_not_a_row);
    tcase_add_test(tc, python_download_fetches_only_http_and_https_redirects_included);
    suite_add_tcase(s, tc);

    TCase *cli = tcase_create("cli");
    tcase_add_checked_fixture(cli, setup, teardown);
    tcase_set_timeout(cli, 60);
    tcase_add_test(cli, bad_impl_exits_2_with_one_line_and_no_files);
    tcase_add_test(cli, without_python_impl_python_says_so_and_skips);
    tcase_add_test(cli, impl_all_writes_python_rows_beside_c_with_their_own_speedup);
    tcase_add_test(cli, overhead_impl_python_prints_py_rows_in_the_same_columns);
    suite_add_tcase(s, cli);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(python_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
