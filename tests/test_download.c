/* test_download.c -- tests of workloads/download*.c: file-name rules, the
 * temp-then-rename discipline, failing routes, the size limit, and the
 * workload on every executor kind and in async mode, against an in-process
 * loopback server, or the `cfbench serve` child the harness starts. */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/server_child.h"
#include "../lib/cfutures.h"
#include "../workloads/download.h"
#include "../workloads/workload.h"
#include "cfbench_check.h"

static srv *server;
static char root[64];    /* fresh mkdtemp folder per test */
static char out_dir[96]; /* root/out: where downloads must land */
static const workload *wl;

static void setup(void) {
    ck_assert_int_eq(workloads_init(), 0);
    wl = workload_find("download");
    ck_assert_ptr_nonnull(wl);
    /* Short stall limit so /stall fails in about a second in every kind
     * (process workers inherit the environment at fork). */
    setenv(DL_ENV_STALL, "1", 1);
    srv_options o = {0, 5, 0, 4096, NULL};
    char err[256] = "";
    ck_assert_msg(srv_start(&o, &server, err, sizeof err) == 0, "%s", err);
    snprintf(root, sizeof root, "/tmp/cfdl-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(out_dir, sizeof out_dir, "%s/out", root);
}

static void teardown(void) {
    srv_stop(server);
    server = NULL;
    (void)cb_rm_tree(root);
}

/* Names in folder dir, sorted, joined by ' ' into buf. Returns the count. */
static int list_dir(const char *dir, char *buf, size_t cap) {
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort), count = 0;
    ck_assert_int_ge(n, 0);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(ents[i]->d_name, ".") != 0 && strcmp(ents[i]->d_name, "..") != 0) {
            size_t len = strlen(buf);
            snprintf(buf + len, cap - len, "%s%s", count ? " " : "", ents[i]->d_name);
            count++;
        }
        free(ents[i]);
    }
    free(ents);
    return count;
}

/* ---- file names -------------------------------------------------------- */

START_TEST(test_file_name_rules_accept_plain_names_and_refuse_the_rest) {
    char longname[400], longurl[450], maxname[300], maxurl[350];
    memset(longname, 'a', 296);
    memcpy(longname + 296, ".txt", 5); /* 300 bytes */
    snprintf(longurl, sizeof longurl, "http://h/%s", longname);
    memset(maxname, 'b', 251);
    memcpy(maxname + 251, ".txt", 5); /* exactly 255 bytes */
    snprintf(maxurl, sizeof maxurl, "http://h/d/%s", maxname);

    static const struct {
        const char *url, *want; /* want: the name, or NULL if refused */
        const char *why;        /* part of the refusal message */
    } cases[] = {
        {"http://h/x/f1040.pdf", "f1040.pdf", NULL},
        {"http://h/a%20b.pdf?x=1/y.z#frag", "a b.pdf", NULL},
        {"http://h/dir/file.tar.gz", "file.tar.gz", NULL},
        {"https://h:8443/p/%41.TXT", "A.TXT", NULL},
        {"http://h/%2e%2e%2f", NULL, "slash"},
        {"http://h/..%2f", NULL, "slash"},
        {"http://h/a%2fb.txt", NULL, "slash"},
        {"http://h/a%5Cb.txt", NULL, "slash"},
        {"http://h/%00", NULL, "NUL"},
        {"http://h/a%00.txt", NULL, "NUL"},
        {"http://h/a%0a.txt", NULL, "control"},
        {"http://h/noext", NULL, "extension"},
        {"http://h/.hidden", NULL, "extension"},
        {"http://h/trailing.", NULL, "extension"},
        {"http://h/", NULL, "empty"},
        {"http://h/f.pdf/", NULL, "empty"},
        {"http://h", NULL, "no path"},
        {"http://h?q=a.pdf", NULL, "no path"},
        {"http://h/.", NULL, "not a file"},
        {"http://h/..", NULL, "not a file"},
        {"http://h/%2e%2e", NULL, "not a file"},
        {"http://h/bad%zz.pdf", NULL, "percent"},
        {"http://h/bad.pdf%2", NULL, "percent"},
    };
    char name[DL_NAME_MAX + 1], err[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int rc = dl_file_name(cases[i].url, name, err, sizeof err);
        if (cases[i].want != NULL) {
            ck_assert_msg(rc == 0, "%s refused: %s", cases[i].url, err);
            ck_assert_str_eq(name, cases[i].want);
        } else {
            ck_assert_msg(rc == -1, "%s accepted as '%s'", cases[i].url, name);
            ck_assert_msg(strstr(err, cases[i].why) != NULL, "%s: message '%s' lacks '%s'",
                          cases[i].url, err, cases[i].why);
        }
    }
    ck_assert_int_eq(dl_file_name(longurl, name, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "longer") != NULL, "%s", err);
    ck_assert_int_eq(dl_file_name(maxurl, name, err, sizeof err), 0);
    ck_assert_int_eq(strlen(name), 255);
}
END_TEST

START_TEST(test_body_is_a_prefix_whatever_the_pieces) {
    unsigned char whole[1000], parts[1000];
    dl_body_fill("x.pdf", 0, whole, sizeof whole);
    dl_body_fill("x.pdf", 0, parts, 3);
    dl_body_fill("x.pdf", 3, parts + 3, 500);
    dl_body_fill("x.pdf", 503, parts + 503, 497);
    ck_assert(memcmp(whole, parts, sizeof whole) == 0);
    dl_body_fill("y.pdf", 0, parts, sizeof parts);
    ck_assert(memcmp(whole, parts, sizeof whole) != 0);
}
END_TEST

/* ---- running the workload --------------------------------------------- */

typedef struct run {
    cf_future **fs;
    wl_result *res;
    size_t n;
} run;

/* Runs every task of plan on a fresh executor of `kind`, waits for all. */
static void run_on(cf_kind kind, const wl_plan *plan, run *r) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = kind == CF_SEQUENTIAL ? 0 : 4;
    cf_executor *ex;
    ck_assert_int_eq(cf_executor_new(kind, &o, &ex), 0);
    r->n = plan->n;
    r->fs = calloc(plan->n, sizeof *r->fs);
    r->res = calloc(plan->n, sizeof *r->res);
    ck_assert(r->fs != NULL && r->res != NULL);
    for (size_t i = 0; i < plan->n; i++)
        ck_assert_int_eq(cf_submit(ex, plan->task, plan->in[i], plan->in_len[i], &r->fs[i]), 0);
    for (size_t i = 0; i < plan->n; i++) {
        int rc = cf_future_result(r->fs[i], 60, &r->res[i].data, &r->res[i].len);
        ck_assert_msg(rc == 0 || rc == CF_ETASK, "task %zu: %s", i, cf_strerror(rc));
        r->res[i].status = cf_future_error(r->fs[i], &r->res[i].msg);
        if (rc != 0 && r->res[i].status == 0) r->res[i].status = rc;
    }
    cf_executor_free(ex);
}

static void run_free(run *r) {
    for (size_t i = 0; i < r->n; i++)
        cf_future_free(r->fs[i]);
    free(r->fs);
    free(r->res);
}

static void prepare_base(wl_plan *plan) {
    wl_params p;
    memset(&p, 0, sizeof p);
    p.size = WL_QUICK;
    p.out_dir = out_dir;
    p.base_url = srv_base_url(server);
    char err[256] = "";
    memset(plan, 0, sizeof *plan);
    ck_assert_msg(wl->prepare(&p, plan, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(plan->n, 4);
}

START_TEST(test_quick_size_verifies_with_one_digest_in_every_mode) {
    wl_plan plan;
    prepare_base(&plan);
    char first[65] = "", digest[65], err[256], list[512];
    size_t failed;
    static const cf_kind kinds[] = {CF_SEQUENTIAL, CF_THREAD, CF_PROCESS};

    for (size_t k = 0; k < 3; k++) {
        run r;
        run_on(kinds[k], &plan, &r);
        for (size_t i = 0; i < r.n; i++)
            ck_assert_msg(r.res[i].status == 0, "%s task %zu: %s", cf_kind_name(kinds[k]), i,
                          r.res[i].msg);
        ck_assert_msg(wl->verify(&plan, r.res, digest, &failed, err, sizeof err) == 0, "%s: %s",
                      cf_kind_name(kinds[k]), err);
        ck_assert_int_eq(failed, 0);
        if (k == 0) memcpy(first, digest, 65);
        ck_assert_str_eq(digest, first);
        run_free(&r);
    }
    for (int conc = 0; conc <= 2; conc += 2) {
        wl_result res[4];
        memset(res, 0, sizeof res);
        ck_assert_msg(wl->run_async(&plan, conc, res, NULL, err, sizeof err) == 0, "%s", err);
        for (size_t i = 0; i < 4; i++)
            ck_assert_msg(res[i].status == 0, "async task %zu: %s", i, res[i].msg);
        ck_assert_int_eq(wl->verify(&plan, res, digest, &failed, err, sizeof err), 0);
        ck_assert_int_eq(failed, 0);
        ck_assert_str_eq(digest, first);
    }
    /* The files are there, whole, and nothing else is, in or beside the
     * output folder. */
    ck_assert_int_eq(list_dir(out_dir, list, sizeof list), 4);
    ck_assert_str_eq(list, "doc-00.pdf doc-01.pdf doc-02.pdf doc-03.pdf");
    ck_assert_int_eq(list_dir(root, list, sizeof list), 1);
    ck_assert_str_eq(list, "out");
    char path[160];
    snprintf(path, sizeof path, "%s/doc-02.pdf", out_dir);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 16 << 10);
    wl->release(&plan);
}
END_TEST

START_TEST(test_verify_rejects_a_wrong_body_and_counts_failures) {
    wl_plan plan;
    prepare_base(&plan);
    wl_result res[4];
    char digest[65], err[256] = "";
    size_t failed;
    ck_assert_int_eq(wl->run_async(&plan, 0, res, NULL, err, sizeof err), 0);
    unsigned char bad[DL_RESULT_LEN];
    memcpy(bad, res[1].data, DL_RESULT_LEN);
    bad[0] ^= 1;
    res[1].data = bad;
    ck_assert_int_eq(wl->verify(&plan, res, digest, &failed, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "doc-01.pdf") != NULL, "%s", err);
    res[1].status = 1;
    res[1].msg = "failed on purpose";
    ck_assert_int_eq(wl->verify(&plan, res, digest, &failed, err, sizeof err), 0);
    ck_assert_int_eq(failed, 1);
    wl->release(&plan);
}
END_TEST

START_TEST(test_earlier_files_are_replaced_and_parents_made) {
    snprintf(out_dir, sizeof out_dir, "%s/a/b/out", root);
    wl_plan plan;
    prepare_base(&plan);
    char path[160], err[256];
    snprintf(path, sizeof path, "%s/doc-00.pdf", out_dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("stale", f);
    fclose(f);
    wl_result res[4];
    ck_assert_int_eq(wl->run_async(&plan, 1, res, NULL, err, sizeof err), 0);
    ck_assert_msg(res[0].status == 0, "%s", res[0].msg);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 16 << 10);
    wl->release(&plan);
}
END_TEST

/* ---- failures ---------------------------------------------------------- */

static const struct {
    const char *path, *why; /* why: NULL for a success */
} mixed[] = {
    {"/files/good-1.pdf?size=3000", NULL},
    {"/status/404/nf.pdf", "HTTP 404"},
    {"/status/500/ise.pdf", "HTTP 500"},
    {"/stall/stall.pdf?size=100000", "stalled"},
    {"/reset/reset.pdf?size=200000", ""},
    {"/short/short.pdf?size=200000", "cut short"},
    {"/files/noext", "extension"},
    {"/files/%2e%2e%2fevil.pdf", "slash"},
    {"/redirect/2/moved.pdf?size=500", NULL},
    {"/redirect/7/far.pdf", "redirect"},
    {"/files/good-2.txt", NULL},
};
#define NMIXED (sizeof mixed / sizeof mixed[0])

static void prepare_mixed(wl_plan *plan, const char **urls, char (*buf)[256]) {
    for (size_t i = 0; i < NMIXED; i++) {
        snprintf(buf[i], 256, "%s%s", srv_base_url(server), mixed[i].path);
        urls[i] = buf[i];
    }
    wl_params p;
    memset(&p, 0, sizeof p);
    p.out_dir = out_dir;
    p.urls = urls;
    p.nurls = NMIXED;
    char err[256] = "";
    memset(plan, 0, sizeof *plan);
    ck_assert_msg(wl->prepare(&p, plan, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(plan->n, NMIXED);
}

static void check_mixed(const wl_result *res, const char *mode) {
    char list[512];
    for (size_t i = 0; i < NMIXED; i++) {
        if (mixed[i].why == NULL) {
            ck_assert_msg(res[i].status == 0, "%s %s: %s", mode, mixed[i].path, res[i].msg);
            ck_assert_int_eq(res[i].len, DL_RESULT_LEN);
        } else {
            ck_assert_msg(res[i].status != 0, "%s %s succeeded", mode, mixed[i].path);
            ck_assert_msg(strstr(res[i].msg, mixed[i].why) != NULL &&
                              strstr(res[i].msg, "127.0.0.1") != NULL,
                          "%s %s: message '%s'", mode, mixed[i].path, res[i].msg);
        }
    }
    /* Only the successes have files; no temporary file is left behind and
     * nothing landed beside the output folder. */
    ck_assert_int_eq(list_dir(out_dir, list, sizeof list), 3);
    ck_assert_str_eq(list, "good-1.pdf good-2.txt moved.pdf");
    ck_assert_int_eq(list_dir(root, list, sizeof list), 1);
    ck_assert_str_eq(list, "out");
}

START_TEST(test_failing_routes_fail_their_task_and_leave_no_file_threads) {
    const char *urls[NMIXED];
    char buf[NMIXED][256];
    wl_plan plan;
    prepare_mixed(&plan, urls, buf);
    run r;
    run_on(CF_THREAD, &plan, &r);
    check_mixed(r.res, "thread");
    /* Real URLs: verify counts failures but has no bodies to compare. */
    char digest[65], err[256];
    size_t failed;
    ck_assert_int_eq(wl->verify(&plan, r.res, digest, &failed, err, sizeof err), 0);
    ck_assert_int_eq(failed, NMIXED - 3);
    run_free(&r);
    wl->release(&plan);
}
END_TEST

START_TEST(test_failing_routes_fail_their_task_and_leave_no_file_processes) {
    const char *urls[NMIXED];
    char buf[NMIXED][256];
    wl_plan plan;
    prepare_mixed(&plan, urls, buf);
    run r;
    run_on(CF_PROCESS, &plan, &r);
    check_mixed(r.res, "process");
    run_free(&r);
    wl->release(&plan);
}
END_TEST

START_TEST(test_failing_routes_fail_their_transfer_and_leave_no_file_async) {
    const char *urls[NMIXED];
    char buf[NMIXED][256];
    wl_plan plan;
    prepare_mixed(&plan, urls, buf);
    wl_result res[NMIXED];
    char err[256] = "";
    ck_assert_msg(wl->run_async(&plan, 0, res, NULL, err, sizeof err) == 0, "%s", err);
    check_mixed(res, "async");
    wl->release(&plan);
}
END_TEST

START_TEST(test_malformed_input_fails_the_task) {
    const cf_task *t = cf_task_find(DL_TASK);
    ck_assert_ptr_nonnull(t);
    cf_executor *ex;
    ck_assert_int_eq(cf_executor_new(CF_SEQUENTIAL, NULL, &ex), 0);
    cf_future *f;
    ck_assert_int_eq(cf_submit(ex, t, "http://h/x.pdf", 14, &f), 0);
    ck_assert_int_eq(cf_future_result(f, 10, NULL, NULL), CF_ETASK);
    const char *msg;
    ck_assert_int_ne(cf_future_error(f, &msg), 0);
    ck_assert_msg(strstr(msg, "malformed") != NULL, "%s", msg);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* Runs one download task on a fresh executor of kind; returns
 * cf_future_result()'s code and copies the task's message to msg. */
static int one_task(cf_kind kind, const char *url, const char *dir, uint64_t max_bytes, char *msg,
                    size_t msglen) {
    size_t len;
    void *in = dl_input(url, dir, max_bytes, &len);
    ck_assert_ptr_nonnull(in);
    cf_executor *ex;
    ck_assert_int_eq(cf_executor_new(kind, NULL, &ex), 0);
    cf_future *f;
    ck_assert_int_eq(cf_submit(ex, cf_task_find(DL_TASK), in, len, &f), 0);
    free(in);
    int rc = cf_future_result(f, 10, NULL, NULL);
    const char *m = "";
    (void)cf_future_error(f, &m);
    snprintf(msg, msglen, "%s", m ? m : "");
    cf_future_free(f);
    cf_executor_free(ex);
    return rc;
}

START_TEST(test_missing_folder_fails_the_task_with_its_name) {
    char dir[128], url[256], msg[256];
    snprintf(dir, sizeof dir, "%s/missing", root);
    snprintf(url, sizeof url, "%s/files/a.pdf", srv_base_url(server));
    ck_assert_int_eq(one_task(CF_SEQUENTIAL, url, dir, 0, msg, sizeof msg), CF_ETASK);
    ck_assert_msg(strstr(msg, "missing") != NULL, "%s", msg);
}
END_TEST

/* ---- the size limit ---------------------------------------------------- */

/* A file over --max-bytes fails its task with the limit in the message and
 * leaves no file (final or temporary); one within it downloads. */
START_TEST(test_a_file_over_the_size_limit_fails_and_leaves_no_file) {
    static const cf_kind kinds[] = {CF_SEQUENTIAL, CF_THREAD, CF_PROCESS};
    char url[256], list[512], dir[128], msg[256];
    for (size_t k = 0; k < 3; k++) {
        snprintf(dir, sizeof dir, "%s/%zu", out_dir, k);
        ck_assert_int_eq(wl_make_dirs(dir), 0);
        snprintf(url, sizeof url, "%s/files/big.pdf?size=5000", srv_base_url(server));
        ck_assert_int_eq(one_task(kinds[k], url, dir, 1000, msg, sizeof msg), CF_ETASK);
        ck_assert_msg(strstr(msg, "larger than the 1000-byte limit (--max-bytes)") != NULL, "%s",
                      msg);
        ck_assert_int_eq(list_dir(dir, list, sizeof list), 0);
        snprintf(url, sizeof url, "%s/files/small.pdf?size=1000", srv_base_url(server));
        ck_assert_int_eq(one_task(kinds[k], url, dir, 1000, msg, sizeof msg), 0);
        ck_assert_int_eq(list_dir(dir, list, sizeof list), 1);
        ck_assert_str_eq(list, "small.pdf");
    }
}
END_TEST

START_TEST(test_async_transfers_over_the_size_limit_fail_and_leave_no_file) {
    wl_params p;
    memset(&p, 0, sizeof p);
    p.size = WL_QUICK; /* 16 KiB files */
    p.out_dir = out_dir;
    p.base_url = srv_base_url(server);
    p.max_bytes = 16 << 10; /* exactly the size: allowed */
    wl_plan plan;
    memset(&plan, 0, sizeof plan);
    char err[256] = "", list[512], digest[65];
    size_t failed;
    wl_result res[4];
    ck_assert_msg(wl->prepare(&p, &plan, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(wl->run_async(&plan, 0, res, NULL, err, sizeof err), 0);
    ck_assert_int_eq(wl->verify(&plan, res, digest, &failed, err, sizeof err), 0);
    ck_assert_int_eq(failed, 0);
    wl->release(&plan);
    (void)cb_rm_tree(out_dir);

    p.max_bytes = (16 << 10) - 1;
    ck_assert_msg(wl->prepare(&p, &plan, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(wl->run_async(&plan, 0, res, NULL, err, sizeof err), 0);
    for (size_t i = 0; i < 4; i++)
        ck_assert_msg(res[i].status != 0 && strstr(res[i].msg, "16383-byte limit") != NULL,
                      "task %zu: %s", i, res[i].msg);
    ck_assert_int_eq(wl->verify(&plan, res, digest, &failed, err, sizeof err), 0);
    ck_assert_int_eq(failed, 4);
    ck_assert_int_eq(list_dir(out_dir, list, sizeof list), 0);
    wl->release(&plan);
}
END_TEST

/* ---- the harness's server child ---------------------------------------- */

START_TEST(test_serve_start_reports_a_child_that_never_gives_a_url) {
    static const struct {
        const char *exe, *why;
    } cases[] = {{"/bin/false", "exited"},
                 {"/bin/echo", "not a URL"},
                 {"/nonexistent/cfbench", "cannot run"}};
    for (size_t i = 0; i < 3; i++) {
        srv_options o = {0, 1, 0, 1024, NULL};
        served s;
        char err[256] = "";
        ck_assert_int_eq(serve_start(cases[i].exe, &o, &s, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].why) != NULL, "%s: %s", cases[i].exe, err);
        ck_assert_int_eq(s.c.pid, 0);
        serve_stop(&s); /* safe after a failed start */
    }
}
END_TEST

/* The harness's path: `cfbench serve` with the size's link, its base URL
 * handed to prepare(). */
START_TEST(test_serve_start_gives_the_workload_a_base_url_and_serve_stop_ends_it) {
    const char *exe = getenv("CFBENCH");
    if (exe == NULL || access(exe, X_OK) != 0)
        return; /* only under `make test`, which names the binary */
    dl_link link;
    ck_assert_int_eq(dl_link_for(WL_QUICK, &link), 0);
    srv_options o = {0, link.ttfb_ms, link.rate, link.file_size, NULL};
    served s;
    char err[256] = "", digest[65];
    ck_assert_msg(serve_start(exe, &o, &s, err, sizeof err) == 0, "%s", err);
    wl_params p;
    memset(&p, 0, sizeof p);
    p.size = WL_QUICK;
    p.out_dir = out_dir;
    p.base_url = s.base_url;
    wl_plan plan;
    memset(&plan, 0, sizeof plan);
    ck_assert_msg(wl->prepare(&p, &plan, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(strstr(plan.label, "ttfb") != NULL, "%s", plan.label);
    wl_result res[4];
    size_t failed;
    ck_assert_int_eq(wl->run_async(&plan, 0, res, NULL, err, sizeof err), 0);
    ck_assert_int_eq(wl->verify(&plan, res, digest, &failed, err, sizeof err), 0);
    ck_assert_int_eq(failed, 0);
    wl->release(&plan);
    pid_t pid = s.c.pid;
    serve_stop(&s);
    ck_assert_int_eq(kill(pid, 0), -1); /* reaped: gone */
}
END_TEST

static Suite *download_suite(void) {
    Suite *s = suite_create("download");
    TCase *tc = tcase_create("download");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_file_name_rules_accept_plain_names_and_refuse_the_rest);
    tcase_add_test(tc, test_body_is_a_prefix_whatever_the_pieces);
    tcase_add_test(tc, test_quick_size_verifies_with_one_digest_in_every_mode);
    tcase_add_test(tc, test_verify_rejects_a_wrong_body_and_counts_failures);
    tcase_add_test(tc, test_earlier_files_are_replaced_and_parents_made);
    tcase_add_test(tc, test_failing_routes_fail_their_task_and_leave_no_file_threads);
    tcase_add_test(tc, test_failing_routes_fail_their_task_and_leave_no_file_processes);
    tcase_add_test(tc, test_failing_routes_fail_their_transfer_and_leave_no_file_async);
    tcase_add_test(tc, test_malformed_input_fails_the_task);
    tcase_add_test(tc, test_missing_folder_fails_the_task_with_its_name);
    tcase_add_test(tc, test_a_file_over_the_size_limit_fails_and_leaves_no_file);
    tcase_add_test(tc, test_async_transfers_over_the_size_limit_fail_and_leave_no_file);
    tcase_add_test(tc, test_serve_start_reports_a_child_that_never_gives_a_url);
    tcase_add_test(tc, test_serve_start_gives_the_workload_a_base_url_and_serve_stop_ends_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(download_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
