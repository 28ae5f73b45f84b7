/* test_load.c -- load tests: a million no-op tasks through each executor
 * kind by lazy map with flat peak memory, and 500 downloads at once through
 * the download workload's async mode against an in-process server.
 *
 * Peak memory is the process's high-water mark (VmHWM), read after a short
 * warm-up run and again after the long run: a lazy map (buffersize > 0)
 * holds a bounded window of futures, so the mark must not move by more than
 * a few MiB whatever the number of tasks; an eager one would grow by about
 * 100 bytes a task. Under AddressSanitizer (freed memory sits in a
 * quarantine) and ThreadSanitizer (shadow memory) the mark means nothing
 * and each task costs ~10x more, so there the count drops to LOAD_SAN_TASKS
 * and only the results are checked. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/http_server.h"
#include "../lib/cfutures.h"
#include "../workloads/download.h"
#include "../workloads/workload.h"
#include "cfbench_check.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LOAD_SANITIZED 1
#else
#define LOAD_SANITIZED 0
#endif

#define LOAD_TASKS 1000000
#define LOAD_SAN_TASKS 20000
#define LOAD_WARMUP_TASKS 10000
#define LOAD_BUFFERSIZE 256
/* Allowed growth of the high-water mark from the warm-up run to the long
 * one, in KiB. An eager map of 10^6 futures needs well over 100 MiB. */
#define LOAD_RSS_SLACK_KB (16 * 1024)
#define LOAD_DOWNLOADS 500

static int noop(const void *in, size_t len, cf_out *out) {
    (void)in;
    (void)len;
    (void)out;
    return 0;
}

static const cf_task *t_noop;

/* Inputs for map: none, until i reaches the count in *arg. */
static int count_input(void *arg, size_t i, const void **data, size_t *len) {
    if (i >= *(const size_t *)arg) return CF_EOF;
    *data = NULL;
    *len = 0;
    return 0;
}

/* The process's peak resident set, in KiB, from /proc/self/status. */
static long peak_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
    fclose(f);
    ck_assert_int_gt(kb, 0);
    return kb;
}

/* Maps n no-op tasks lazily through ex and checks that every result comes
 * back, in order, empty and successful. */
static void map_noops(cf_executor *ex, size_t n, int chunksize) {
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    cf_map_iter *m = NULL;
    mo.chunksize = chunksize;
    mo.buffersize = LOAD_BUFFERSIZE;
    ck_assert_int_eq(cf_map(ex, t_noop, count_input, &n, &mo, &m), 0);
    size_t got = 0;
    int rc;
    const void *data;
    size_t len;
    while ((rc = cf_map_next(m, &data, &len)) == 0) {
        if (cf_map_index(m) != got || len != 0) break;
        got++;
    }
    ck_assert_msg(rc == CF_EOF, "item %zu: %s", got, cf_strerror(rc));
    ck_assert_uint_eq(got, n);
    cf_map_free(m);
}

static const cf_kind kinds[] = {CF_SEQUENTIAL, CF_THREAD, CF_PROCESS};

START_TEST(test_a_million_noops_by_lazy_map_keep_peak_memory_flat) {
    cf_kind kind = kinds[_i];
    cf_options o = CF_OPTIONS_INIT;
    cf_executor *ex = NULL;
    size_t n = LOAD_SANITIZED ? LOAD_SAN_TASKS : LOAD_TASKS;
    /* Chunks of 16 keep the process pool's million messages to a few
     * seconds; the other kinds take one task at a time. */
    int chunk = kind == CF_PROCESS ? 16 : 1;

    o.max_workers = kind == CF_SEQUENTIAL ? 1 : 2;
    ck_assert_int_eq(cf_executor_new(kind, &o, &ex), 0);
    map_noops(ex, LOAD_WARMUP_TASKS, chunk);
    long before = peak_rss_kb();
    map_noops(ex, n, chunk);
    long after = peak_rss_kb();
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    cf_executor_free(ex);
    if (!LOAD_SANITIZED)
        ck_assert_msg(after - before < LOAD_RSS_SLACK_KB,
                      "%s: peak RSS grew %ld KiB over %zu tasks", cf_kind_name(kind),
                      after - before, n);
}
END_TEST

/* ---- 500 downloads at once ---------------------------------------------- */

static char root[64];

static void dl_setup(void) {
    snprintf(root, sizeof root, "/tmp/cfload-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
}

static void dl_teardown(void) {
    (void)cb_rm_tree(root);
}

/* Entries of dir not starting with '.', and those that do (temporaries). */
static void count_entries(const char *dir, int *plain, int *hidden) {
    DIR *d = opendir(dir);
    struct dirent *e;
    *plain = *hidden = 0;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (e->d_name[0] == '.')
            ++*hidden;
        else
            ++*plain;
    }
    closedir(d);
}

START_TEST(test_500_concurrent_async_downloads_all_arrive_whole) {
    const workload *wl = workload_find("download");
    srv *server = NULL;
    srv_options so = {0, 50, 0, 2048, NULL};
    char err[256] = "", out_dir[128];
    static char urls_buf[LOAD_DOWNLOADS][128];
    const char *urls[LOAD_DOWNLOADS];
    static wl_result res[LOAD_DOWNLOADS];

    ck_assert_ptr_nonnull(wl);
    /* A time to first byte makes all 500 connections open at once. */
    ck_assert_msg(srv_start(&so, &server, err, sizeof err) == 0, "%s", err);
    snprintf(out_dir, sizeof out_dir, "%s/out", root);
    for (size_t i = 0; i < LOAD_DOWNLOADS; i++) {
        snprintf(urls_buf[i], sizeof urls_buf[i], "%s/files/f%03zu.bin?size=%zu",
                 srv_base_url(server), i, 1000 + i);
        urls[i] = urls_buf[i];
    }
    wl_params p;
    wl_plan plan;
    memset(&p, 0, sizeof p);
    memset(&plan, 0, sizeof plan);
    p.out_dir = out_dir;
    p.urls = urls;
    p.nurls = LOAD_DOWNLOADS;
    ck_assert_msg(wl->prepare(&p, &plan, err, sizeof err) == 0, "%s", err);

    ck_assert_msg(wl->run_async(&plan, 0, res, NULL, err, sizeof err) == 0, "%s", err);
    for (size_t i = 0; i < LOAD_DOWNLOADS; i++) {
        char name[32];
        unsigned char want[DL_RESULT_LEN];
        snprintf(name, sizeof name, "f%03zu.bin", i);
        ck_assert_msg(res[i].status == 0, "%s: %s", name, res[i].msg);
        ck_assert_int_eq(res[i].len, DL_RESULT_LEN);
        ck_assert_int_eq(dl_body_result(name, 1000 + i, want), 0);
        ck_assert_msg(memcmp(res[i].data, want, DL_RESULT_LEN) == 0, "%s: wrong body", name);
    }
    int plain, hidden;
    count_entries(out_dir, &plain, &hidden);
    ck_assert_int_eq(plain, LOAD_DOWNLOADS);
    ck_assert_int_eq(hidden, 0);
    wl->release(&plan);
    srv_stop(server);
}
END_TEST

static Suite *load_suite(void) {
    Suite *s = suite_create("load");
    TCase *tc = tcase_create("noops");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_a_million_noops_by_lazy_map_keep_peak_memory_flat, 0, 3);
    suite_add_tcase(s, tc);

    TCase *dl = tcase_create("downloads");
    tcase_set_timeout(dl, 120);
    tcase_add_checked_fixture(dl, dl_setup, dl_teardown);
    tcase_add_test(dl, test_500_concurrent_async_downloads_all_arrive_whole);
    suite_add_tcase(s, dl);
    return s;
}

int main(void) {
    if (workloads_init() != 0) return 1;
    t_noop = cf_task_register("load.noop", noop);
    if (t_noop == NULL) return 1;
    SRunner *sr = srunner_create(load_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
