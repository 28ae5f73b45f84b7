/* test_server.c -- tests of bench/http_server.c, the loopback HTTP server, through
 * libcurl on 127.0.0.1. */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../bench/commands.h"
#include "../bench/http_server.h"
#include "../workloads/download.h"

static srv *server;

typedef struct fetch {
    CURLcode rc;
    long code;
    long redirects;
    unsigned char *body;
    size_t len, cap;
    double seconds;
} fetch;

static size_t keep(char *data, size_t size, size_t nmemb, void *arg) {
    fetch *f = arg;
    size_t n = size * nmemb;
    if (f->len + n > f->cap) {
        size_t cap = (f->len + n) * 2;
        unsigned char *b = realloc(f->body, cap);
        if (b == NULL) return 0;
        f->body = b;
        f->cap = cap;
    }
    memcpy(f->body + f->len, data, n);
    f->len += n;
    return n;
}

static CURL *easy_for(const char *path, fetch *f, long stall_s) {
    char url[512];
    snprintf(url, sizeof url, "%s%s", srv_base_url(server), path);
    CURL *e = curl_easy_init();
    ck_assert_ptr_nonnull(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, stall_s);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(e, CURLOPT_PRIVATE, f);
    return e;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* GETs base + path; the caller frees f->body. */
static fetch get(const char *path) {
    fetch f;
    memset(&f, 0, sizeof f);
    CURL *e = easy_for(path, &f, 2);
    double t0 = now_s();
    f.rc = curl_easy_perform(e);
    f.seconds = now_s() - t0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &f.code);
    curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &f.redirects);
    curl_easy_cleanup(e);
    return f;
}

static int is_body_of(const fetch *f, const char *name, size_t size) {
    if (f->len != size) return 0;
    unsigned char *want = malloc(size ? size : 1);
    ck_assert_ptr_nonnull(want);
    dl_body_fill(name, 0, want, size);
    int same = memcmp(want, f->body, size) == 0;
    free(want);
    return same;
}

static void start_with(int ttfb_ms, long rate, long file_size) {
    srv_options o = {0, ttfb_ms, rate, file_size, NULL};
    char err[256] = "";
    ck_assert_msg(srv_start(&o, &server, err, sizeof err) == 0, "%s", err);
}

static void setup(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    start_with(0, 0, 5000);
}

static void teardown(void) {
    srv_stop(server);
    server = NULL;
    curl_global_cleanup();
}

START_TEST(test_base_url_is_loopback_with_the_chosen_port) {
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d", srv_port(server));
    ck_assert_int_gt(srv_port(server), 0);
    ck_assert_str_eq(srv_base_url(server), want);
}
END_TEST

START_TEST(test_file_body_is_generated_for_name_and_size) {
    fetch f = get("/files/report.pdf?size=100000");
    ck_assert_int_eq(f.rc, CURLE_OK);
    ck_assert_int_eq(f.code, 200);
    ck_assert_msg(is_body_of(&f, "report.pdf", 100000), "body differs");
    free(f.body);
}
END_TEST

START_TEST(test_file_without_size_uses_the_default_size) {
    fetch f = get("/files/noext");
    ck_assert_int_eq(f.rc, CURLE_OK);
    ck_assert_msg(is_body_of(&f, "noext", 5000), "got %zu bytes", f.len);
    free(f.body);
}
END_TEST

START_TEST(test_same_name_gives_same_body_other_name_differs) {
    fetch a = get("/files/a.bin?size=4096");
    fetch b = get("/files/a.bin?size=4096");
    fetch c = get("/files/c.bin?size=4096");
    ck_assert_int_eq(a.len, 4096);
    ck_assert_int_eq(b.len, 4096);
    ck_assert_int_eq(c.len, 4096);
    ck_assert(memcmp(a.body, b.body, 4096) == 0);
    ck_assert(memcmp(a.body, c.body, 4096) != 0);
    free(a.body);
    free(b.body);
    free(c.body);
}
END_TEST

START_TEST(test_zero_size_file_is_empty) {
    fetch f = get("/files/empty.txt?size=0");
    ck_assert_int_eq(f.rc, CURLE_OK);
    ck_assert_int_eq(f.code, 200);
    ck_assert_int_eq(f.len, 0);
    free(f.body);
}
END_TEST

START_TEST(test_bad_size_is_400) {
    fetch f = get("/files/a.bin?size=12x");
    ck_assert_int_eq(f.rc, CURLE_HTTP_RETURNED_ERROR);
    ck_assert_int_eq(f.code, 400);
    free(f.body);
}
END_TEST

START_TEST(test_status_routes_answer_their_code) {
    static const struct {
        const char *path;
        long code;
    } cases[] = {{"/status/404", 404}, {"/status/500", 500}, {"/status/503/x.pdf", 503},
                 {"/status/418", 418}, {"/nowhere", 404},    {"/status/99", 404}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fetch f = get(cases[i].path);
        ck_assert_msg(f.rc == CURLE_HTTP_RETURNED_ERROR, "%s: curl %d", cases[i].path, f.rc);
        ck_assert_msg(f.code == cases[i].code, "%s: HTTP %ld", cases[i].path, f.code);
        free(f.body);
    }
    fetch ok = get("/status/200");
    ck_assert_int_eq(ok.rc, CURLE_OK);
    ck_assert_int_eq(ok.code, 200);
    free(ok.body);
}
END_TEST

START_TEST(test_stall_times_out_on_the_client) {
    fetch f;
    memset(&f, 0, sizeof f);
    CURL *e = easy_for("/stall/s.pdf?size=100000", &f, 1);
    f.rc = curl_easy_perform(e);
    curl_easy_cleanup(e);
    ck_assert_int_eq(f.rc, CURLE_OPERATION_TIMEDOUT);
    ck_assert_int_gt(f.len, 0);
    ck_assert_int_lt(f.len, 100000);
    free(f.body);
}
END_TEST

START_TEST(test_reset_cuts_the_body_with_an_error) {
    fetch f = get("/reset/r.pdf?size=200000");
    ck_assert_msg(f.rc == CURLE_RECV_ERROR || f.rc == CURLE_PARTIAL_FILE, "curl %d", f.rc);
    ck_assert_int_lt(f.len, 200000);
    free(f.body);
}
END_TEST

START_TEST(test_short_announces_more_than_it_sends) {
    fetch f = get("/short/s.pdf?size=200000");
    ck_assert_int_eq(f.rc, CURLE_PARTIAL_FILE);
    ck_assert_int_eq(f.len, 100000);
    free(f.body);
}
END_TEST

START_TEST(test_redirects_end_at_the_named_file) {
    fetch f = get("/redirect/3/x%20y.pdf?size=777");
    ck_assert_int_eq(f.rc, CURLE_OK);
    ck_assert_int_eq(f.redirects, 3);
    ck_assert_msg(is_body_of(&f, "x y.pdf", 777), "body differs");
    free(f.body);

    fetch d = get("/redirect/1");
    ck_assert_int_eq(d.rc, CURLE_OK);
    ck_assert_msg(is_body_of(&d, "redirect.bin", 5000), "body differs");
    free(d.body);

    fetch many = get("/redirect/9/x.pdf");
    ck_assert_int_eq(many.rc, CURLE_TOO_MANY_REDIRECTS);
    free(many.body);
}
END_TEST

START_TEST(test_location_redirects_once_to_the_url_given) {
    fetch f = get("/location/a.pdf?to=%2Ffiles%2Fb.pdf%3Fsize%3D300");
    ck_assert_int_eq(f.rc, CURLE_OK);
    ck_assert_int_eq(f.redirects, 1);
    ck_assert_msg(is_body_of(&f, "b.pdf", 300), "body differs");
    free(f.body);

    fetch none = get("/location/a.pdf");
    ck_assert_int_eq(none.rc, CURLE_HTTP_RETURNED_ERROR);
    ck_assert_int_eq(none.code, 404);
    free(none.body);
}
END_TEST

START_TEST(test_ttfb_and_rate_slow_each_response) {
    srv_stop(server);
    /* 200 ms to first byte, then 40000 bytes at 200000 B/s: >= 0.4 s. */
    start_with(200, 200000, 40000);
    fetch f = get("/status/204");
    ck_assert_int_eq(f.rc, CURLE_OK);
    ck_assert_msg(f.seconds >= 0.2, "status took %.3f s", f.seconds);
    free(f.body);
    fetch g = get("/files/slow.pdf");
    ck_assert_int_eq(g.rc, CURLE_OK);
    ck_assert_msg(is_body_of(&g, "slow.pdf", 40000), "body differs");
    ck_assert_msg(g.seconds >= 0.39, "file took %.3f s", g.seconds);
    free(g.body);
}
END_TEST

START_TEST(test_port_in_use_fails_with_a_reason) {
    srv_options o = {srv_port(server), 0, 0, 0, NULL};
    srv *other = NULL;
    char err[256] = "";
    ck_assert_int_eq(srv_start(&o, &other, err, sizeof err), -1);
    ck_assert_ptr_null(other);
    ck_assert_msg(strstr(err, "127.0.0.1") != NULL, "err: %s", err);
}
END_TEST

START_TEST(test_stop_ends_a_stalled_response) {
    fetch f;
    memset(&f, 0, sizeof f);
    CURL *e = easy_for("/stall/s.pdf?size=100000", &f, 60);
    CURLM *m = curl_multi_init();
    curl_multi_add_handle(m, e);
    int running = 1;
    while (f.len == 0 && running) {
        ck_assert_int_eq(curl_multi_perform(m, &running), CURLM_OK);
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    ck_assert_int_gt(f.len, 0);
    /* The stall never ends by itself; stop must still return (Check's
     * timeout fails the test otherwise). */
    srv_stop(server);
    server = NULL;
    while (running) {
        ck_assert_int_eq(curl_multi_perform(m, &running), CURLM_OK);
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    int q;
    CURLMsg *msg = curl_multi_info_read(m, &q);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_ne(msg->data.result, CURLE_OK);
    curl_multi_remove_handle(m, e);
    curl_easy_cleanup(e);
    curl_multi_cleanup(m);
    free(f.body);
    start_with(0, 0, 5000); /* for teardown */
}
END_TEST

START_TEST(test_500_concurrent_connections_all_succeed) {
    enum { N = 500 };
    srv_stop(server);
    /* A ttfb holds every connection open at once. */
    start_with(300, 0, 2048);
    static fetch fs[N];
    CURL *es[N];
    char path[64];
    CURLM *m = curl_multi_init();
    ck_assert_ptr_nonnull(m);
    for (int i = 0; i < N; i++) {
        memset(&fs[i], 0, sizeof fs[i]);
        snprintf(path, sizeof path, "/files/c%03d.bin", i);
        es[i] = easy_for(path, &fs[i], 30);
        ck_assert_int_eq(curl_multi_add_handle(m, es[i]), CURLM_OK);
    }
    int running = 1, q;
    while (running) {
        ck_assert_int_eq(curl_multi_perform(m, &running), CURLM_OK);
        if (running) curl_multi_poll(m, NULL, 0, 200, NULL);
    }
    int ok = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &q)) != NULL) {
        fetch *f;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        int i = (int)(f - fs);
        snprintf(path, sizeof path, "c%03d.bin", i);
        ck_assert_msg(msg->data.result == CURLE_OK, "%s: curl %d", path, msg->data.result);
        ck_assert_msg(is_body_of(f, path, 2048), "%s: body differs", path);
        ok++;
    }
    ck_assert_int_eq(ok, N);
    for (int i = 0; i < N; i++) {
        curl_multi_remove_handle(m, es[i]);
        curl_easy_cleanup(es[i]);
        free(fs[i].body);
    }
    curl_multi_cleanup(m);
}
END_TEST

START_TEST(test_serve_refuses_bad_values_with_status_2) {
    static const char *const bad[][3] = {{"serve", "--rate", "12x"},   {"serve", "--port", "70000"},
                                         {"serve", "--ttfb-ms", "-1"}, {"serve", "--size", "0"},
                                         {"serve", "--bogus", NULL},   {"serve", "--port", NULL}};
    /* Check runs each test in its own process: quiet its usage lines. */
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int argc = bad[i][2] != NULL ? 3 : 2;
        ck_assert_msg(cmd_serve(argc, (char **)bad[i]) == 2, "%s %s", bad[i][1],
                      bad[i][2] ? bad[i][2] : "");
    }
    char *help[] = {"serve", "--help", NULL};
    ck_assert_int_eq(cmd_serve(2, help), 0);
}
END_TEST

START_TEST(test_serve_prints_its_url_and_exits_0_on_sigterm) {
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        char *argv[] = {"serve", "--port", "0", "--ttfb-ms", "0", NULL};
        _exit(cmd_serve(5, argv));
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    char line[128] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_msg(strncmp(line, "http://127.0.0.1:", 17) == 0, "%s", line);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *server_suite(void) {
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("routes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_base_url_is_loopback_with_the_chosen_port);
    tcase_add_test(tc, test_file_body_is_generated_for_name_and_size);
    tcase_add_test(tc, test_file_without_size_uses_the_default_size);
    tcase_add_test(tc, test_same_name_gives_same_body_other_name_differs);
    tcase_add_test(tc, test_zero_size_file_is_empty);
    tcase_add_test(tc, test_bad_size_is_400);
    tcase_add_test(tc, test_status_routes_answer_their_code);
    tcase_add_test(tc, test_stall_times_out_on_the_client);
    tcase_add_test(tc, test_reset_cuts_the_body_with_an_error);
    tcase_add_test(tc, test_short_announces_more_than_it_sends);
    tcase_add_test(tc, test_redirects_end_at_the_named_file);
    tcase_add_test(tc, test_location_redirects_once_to_the_url_given);
    tcase_add_test(tc, test_ttfb_and_rate_slow_each_response);
    tcase_add_test(tc, test_port_in_use_fails_with_a_reason);
    tcase_add_test(tc, test_stop_ends_a_stalled_response);
    tcase_add_test(tc, test_500_concurrent_connections_all_succeed);
    suite_add_tcase(s, tc);

    /* No fixture: the process must have no server threads when it forks. */
    TCase *cmd = tcase_create("serve command");
    tcase_set_timeout(cmd, 30);
    tcase_add_test(cmd, test_serve_refuses_bad_values_with_status_2);
    tcase_add_test(cmd, test_serve_prints_its_url_and_exits_0_on_sigterm);
    suite_add_tcase(s, cmd);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(server_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
