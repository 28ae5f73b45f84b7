/* test_tls.c -- proves that the download workload verifies TLS certificates
 * in every mode, against a loopback HTTPS server with a throwaway
 * self-signed certificate.
 *
 * Each test makes a fresh EC key and self-signed certificate for 127.0.0.1
 * in memory (OpenSSL 3; no `openssl` tool, which CI may lack) and starts a
 * libmicrohttpd HTTPS server with them on 127.0.0.1. A client that trusts
 * exactly that certificate gets its files, so the server is sound; the
 * download task, which trusts only the system's CA store, must refuse it:
 * fail with curl's certificate message, leave the folder empty, and never
 * send the request (the server counts what it was asked for). The URLs use
 * the IP, not a name: under ThreadSanitizer libcurl resolves names in a
 * thread, which a forked process-pool worker may not start. If
 * libmicrohttpd was built without TLS, every test passes with a note.
 */
#include <check.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../lib/cfutures.h"
#include "../workloads/download.h"
#include "../workloads/workload.h"

#define BODY "served over TLS\n"

static char *cert_pem, *key_pem; /* this test's certificate and key (malloc) */
static struct MHD_Daemon *daemon_;
static int port;
static int tls_ok; /* libmicrohttpd can serve TLS: the server is up */
static char dir[64];
static atomic_int asked_ok, asked_secret; /* requests the server saw */

/* ---- a self-signed certificate ----------------------------------------- */

/* Copies what bio holds into a new NUL-terminated string. */
static char *bio_string(BIO *bio) {
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    ck_assert_int_gt(len, 0);
    char *s = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, data, (size_t)len);
    s[len] = '\0';
    return s;
}

/* Adds extension `nid` with value `value` (OpenSSL's config syntax). */
static void add_ext(X509 *x, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ck_assert_ptr_nonnull(ext);
    ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* Makes a P-256 key and a certificate for 127.0.0.1 (CN and IP SAN) that
 * it signs itself with SHA-256, valid from now for one day, as PEM in
 * cert_pem and key_pem. EC keys are made in microseconds, RSA's take
 * long under the sanitizers. */
static void make_certificate(void) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    ck_assert(key != NULL && x != NULL);
    ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
    ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), (long)getpid()), 1);
    ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600L));
    X509_NAME *name = X509_get_subject_name(x);
    ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"127.0.0.1", -1, -1, 0),
                     1);
    ck_assert_int_eq(X509_set_issuer_name(x, name), 1);
    ck_assert_int_eq(X509_set_pubkey(x, key), 1);
    add_ext(x, NID_subject_alt_name, "IP:127.0.0.1");
    add_ext(x, NID_basic_constraints, "critical,CA:FALSE");
    ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);

    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    ck_assert(cb != NULL && kb != NULL);
    ck_assert_int_eq(PEM_write_bio_X509(cb, x), 1);
    ck_assert_int_eq(PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL), 1);
    cert_pem = bio_string(cb);
    key_pem = bio_string(kb);
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(key);
}

/* ---- the HTTPS server -------------------------------------------------- */

/* Answers every GET with BODY, counting the two paths the tests use. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **con_cls) {
    (void)cls, (void)method, (void)version, (void)upload, (void)upload_len, (void)con_cls;
    if (strcmp(url, "/files/ok.txt") == 0) atomic_fetch_add(&asked_ok, 1);
    if (strcmp(url, "/files/secret.pdf") == 0) atomic_fetch_add(&asked_secret, 1);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(BODY), (void *)BODY, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

static void setup(void) {
    ck_assert_int_eq(workloads_init(), 0);
    /* A proxy from the environment would turn the handshake into the
     * proxy's business; the workload bypasses proxies for http:// on
     * loopback only. A transfer limit keeps a broken server from hanging. */
    static const char *const proxies[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    setenv(DL_ENV_TIMEOUT, "20", 1);
    atomic_store(&asked_ok, 0);
    atomic_store(&asked_secret, 0);
    snprintf(dir, sizeof dir, "/tmp/cftls-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));

    tls_ok = MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
    if (!tls_ok) {
        printf("test_tls: libmicrohttpd was built without TLS support; "
               "TLS verification NOT tested\n");
        fflush(stdout);
        return;
    }
    make_certificate();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = 0;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon_ = MHD_start_daemon(MHD_USE_TLS | MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
                               on_request, NULL, MHD_OPTION_SOCK_ADDR, &sin,
                               MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT,
                               cert_pem, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    ck_assert_msg(daemon_ != NULL, "libmicrohttpd refused the TLS server");
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert(di != NULL && di->port != 0);
    port = di->port;
}

static void teardown(void) {
    if (daemon_ != NULL) MHD_stop_daemon(daemon_);
    daemon_ = NULL;
    free(cert_pem);
    free(key_pem);
    cert_pem = key_pem = NULL;
    rmdir(dir); /* fails, leaving the evidence, if a test left a file */
}

/* ---- helpers ----------------------------------------------------------- */

static void url_of(const char *path, char *buf, size_t len) {
    snprintf(buf, len, "https://127.0.0.1:%d%s", port, path);
}

/* The names in dir, joined by ' ' into buf. Returns the count. */
static int list_dir(char *buf, size_t cap) {
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int count = 0;
    buf[0] = '\0';
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        size_t used = strlen(buf);
        snprintf(buf + used, cap - used, "%s%s", count++ ? " " : "", e->d_name);
    }
    ck_assert_int_eq(closedir(d), 0);
    return count;
}

/* What every refused download must show: a failure that names the
 * certificate, no file in the folder, no request reaching the server. */
static void assert_refused(const char *mode, int status, const char *msg) {
    char names[512];
    ck_assert_msg(status != 0, "%s: the download of a self-signed server succeeded", mode);
    ck_assert_msg(strstr(msg, "certificate") != NULL,
                  "%s: message does not name the certificate: %s", mode, msg);
    ck_assert_msg(list_dir(names, sizeof names) == 0, "%s: left in the folder: %s", mode, names);
    ck_assert_int_eq(atomic_load(&asked_secret), 0);
    printf("test_tls: %s refused: %s\n", mode, msg);
    fflush(stdout);
}

typedef struct sink {
    char buf[256];
    size_t len;
} sink;

static size_t to_sink(char *data, size_t size, size_t nmemb, void *arg) {
    sink *s = arg;
    size_t n = size * nmemb;
    if (n > sizeof s->buf - 1 - s->len) return 0;
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(test_server_serves_tls_that_verifies_against_its_own_certificate) {
    if (!tls_ok) return;
    char url[128], err[CURL_ERROR_SIZE] = "";
    sink s = {"", 0};
    struct curl_blob ca = {cert_pem, strlen(cert_pem), CURL_BLOB_COPY};
    url_of("/files/ok.txt", url, sizeof url);
    CURL *e = curl_easy_init();
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_URL, url), CURLE_OK);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca), CURLE_OK);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_PROXY, ""), CURLE_OK);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_TIMEOUT, 20L), CURLE_OK);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err), CURLE_OK);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, to_sink), CURLE_OK);
    ck_assert_int_eq(curl_easy_setopt(e, CURLOPT_WRITEDATA, &s), CURLE_OK);
    CURLcode rc = curl_easy_perform(e);
    long code = 0;
    ck_assert_int_eq(curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
    curl_easy_cleanup(e);
    ck_assert_msg(rc == CURLE_OK, "%s: %s %s", url, curl_easy_strerror(rc), err);
    ck_assert_int_eq(code, 200);
    ck_assert_str_eq(s.buf, BODY);
    ck_assert_int_eq(atomic_load(&asked_ok), 1);
}
END_TEST

/* _i indexes kinds: the task on the sequential executor, a thread pool and
 * a process pool (forked workers, which inherit nothing of the test's
 * curl handles). */
static const cf_kind kinds[] = {CF_SEQUENTIAL, CF_THREAD, CF_PROCESS};

START_TEST(test_download_task_refuses_a_self_signed_server_in_every_executor) {
    if (!tls_ok) return;
    char url[128];
    url_of("/files/secret.pdf", url, sizeof url);
    size_t len;
    void *in = dl_input(url, dir, 0, &len);
    ck_assert_ptr_nonnull(in);
    const cf_task *task = cf_task_find(DL_TASK);
    ck_assert_ptr_nonnull(task);
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 1;
    /* The default start method: this process runs the TLS server's threads,
     * so a forked worker could inherit a lock one of them held (under ASan
     * the allocator's: it hung one run in three when this test forced
     * fork); CF_START_AUTO must see them and use the fork server. */
    cf_executor *ex;
    ck_assert_int_eq(cf_executor_new(kinds[_i], &o, &ex), 0);
    cf_future *f;
    ck_assert_int_eq(cf_submit(ex, task, in, len, &f), 0);
    int rc = cf_future_result(f, 30, NULL, NULL);
    const char *msg;
    int status = cf_future_error(f, &msg);
    ck_assert_msg(rc == CF_ETASK, "%s: the download of a self-signed server gave %s (%s)",
                  cf_kind_name(kinds[_i]), cf_err_name(rc), msg);
    if (kinds[_i] == CF_PROCESS)
        ck_assert_str_eq(cf_start_method_name(cf_executor_start_method(ex)), "forkserver");
    assert_refused(cf_kind_name(kinds[_i]), status, msg);
    cf_future_free(f);
    cf_executor_free(ex);
    free(in);
}
END_TEST

START_TEST(test_async_download_refuses_a_self_signed_server) {
    if (!tls_ok) return;
    const workload *wl = workload_find("download");
    ck_assert_ptr_nonnull(wl);
    ck_assert_ptr_nonnull(wl->run_async);
    char url[128], err[256] = "";
    url_of("/files/secret.pdf", url, sizeof url);
    const char *urls[] = {url};
    wl_params p;
    memset(&p, 0, sizeof p);
    p.size = WL_QUICK;
    p.out_dir = dir;
    p.urls = urls;
    p.nurls = 1;
    wl_plan plan;
    memset(&plan, 0, sizeof plan);
    ck_assert_msg(wl->prepare(&p, &plan, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(plan.n, 1);
    wl_result res[1];
    ck_assert_msg(wl->run_async(&plan, 0, res, NULL, err, sizeof err) == 0, "%s", err);
    assert_refused("async", res[0].status, res[0].msg);
    wl->release(&plan);
}
END_TEST

static Suite *tls_suite(void) {
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("tls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_server_serves_tls_that_verifies_against_its_own_certificate);
    tcase_add_loop_test(tc, test_download_task_refuses_a_self_signed_server_in_every_executor, 0,
                        3);
    tcase_add_test(tc, test_async_download_refuses_a_self_signed_server);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(tls_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
