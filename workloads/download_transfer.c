/* download_transfer.c -- one transfer, shared by the task and the async
 * mode so that both apply the same options, file rules and result bytes.
 *
 * A transfer is a `struct xfer` and goes through three steps:
 * dl_xfer_open() reads the task input, derives the file name, creates the
 * hidden temporary file (download_file.c) and an easy handle with every
 * option set; libcurl then calls on_write(), which appends to the
 * temporary file and feeds SHA-256 as the body streams; dl_xfer_finish()
 * decides whether the body arrived whole, and only then renames the
 * temporary file to its final name. dl_xfer_free() removes the temporary
 * file if it is still there, so a failed transfer never leaves a file under
 * the final name nor a stray temporary file.
 *
 * The size limit travels in the task input: CURLOPT_MAXFILESIZE_LARGE
 * refuses a body whose Content-Length is over it before the first byte,
 * and on_write() stops one that grows past it while streaming.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "download_internal.h"

void dl_msgf(char *buf, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

void *dl_input(const char *url, const char *dir, uint64_t max_bytes, size_t *len) {
    char max[24];
    size_t ul = strlen(url) + 1, dl = strlen(dir) + 1;
    size_t ml = (size_t)snprintf(max, sizeof max, "%llu", (unsigned long long)max_bytes) + 1;
    char *in = malloc(ul + dl + ml);
    if (in == NULL) return NULL;
    memcpy(in, url, ul);
    memcpy(in + ul, dir, dl);
    memcpy(in + ul + dl, max, ml);
    *len = ul + dl + ml;
    return in;
}

/* Splits "URL\0DIR\0MAX\0" into its three non-empty fields. */
static int parse_input(const void *in, size_t len, const char **url, const char **dir,
                       uint64_t *max_bytes) {
    const char *f[3], *s = in, *end = s + len;
    for (int k = 0; k < 3; k++) {
        size_t n = strnlen(s, (size_t)(end - s));
        if (n == 0 || s + n == end) return -1; /* empty, or no NUL */
        f[k] = s;
        s += n + 1;
    }
    char *stop;
    errno = 0;
    unsigned long long max = strtoull(f[2], &stop, 10);
    if (s != end || *stop != '\0' || errno != 0 || f[2][0] < '0' || f[2][0] > '9') return -1;
    *url = f[0];
    *dir = f[1];
    *max_bytes = max;
    return 0;
}

static void put_be64(unsigned char b[8], uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (unsigned char)v;
}

int dl_result_final(EVP_MD_CTX *md, uint64_t size, unsigned char out[DL_RESULT_LEN]) {
    if (EVP_DigestFinal_ex(md, out, NULL) != 1) return -1;
    put_be64(out + 32, size);
    return 0;
}

static long env_seconds(const char *var, long dflt) {
    const char *s = getenv(var);
    if (s == NULL || *s == '\0') return dflt;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > 86400) return dflt;
    return v;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg) {
    xfer *x = arg;
    size_t n = size * nmemb;
    if (x->max_bytes > 0 && x->size + n > x->max_bytes) {
        x->too_big = 1;
        return 0;
    }
    if (EVP_DigestUpdate(x->md, data, n) != 1) {
        x->write_errno = ENOMEM;
        return 0; /* anything but n makes curl stop with CURLE_WRITE_ERROR */
    }
    x->write_errno = dl_file_write(&x->file, data, n);
    if (x->write_errno != 0) return 0;
    x->size += n;
    return n;
}

static int is_loopback(const char *url) {
    static const char *const hosts[] = {
        "http://127.0.0.1:",  "http://127.0.0.1/",  "http://localhost:",  "http://localhost/",
        "https://127.0.0.1:", "https://127.0.0.1/", "https://localhost:", "https://localhost/"};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
        if (strncmp(url, hosts[i], strlen(hosts[i])) == 0) return 1;
    return 0;
}

/* Sets every option of x's easy handle. Returns the first failure. */
static CURLcode easy_setup(xfer *x) {
    CURL *e = x->easy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val);                                    \
    } while (0)
    SET(CURLOPT_URL, x->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, 5L);
    SET(CURLOPT_FAILONERROR, 1L);
    SET(CURLOPT_CONNECTTIMEOUT, 10L);
    /* The stall detector: below 1 KiB/s for this long fails the transfer.
     * curl averages the speed over the last few seconds, so a limit well
     * above zero is what makes a stall after some data show up in time. */
    SET(CURLOPT_LOW_SPEED_LIMIT, 1024L);
    SET(CURLOPT_LOW_SPEED_TIME, env_seconds(DL_ENV_STALL, 10));
    SET(CURLOPT_TIMEOUT, env_seconds(DL_ENV_TIMEOUT, 300));
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    /* Threads: no SIGALRM-based timeouts, which are process-wide. */
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_USERAGENT, "cfbench-download/1");
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_ERRORBUFFER, x->curl_err);
    if (x->max_bytes > 0) SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_bytes);
    SET(CURLOPT_PRIVATE, x);
    /* A proxy from the environment must not take loopback traffic. */
    if (is_loopback(x->url)) SET(CURLOPT_PROXY, "");
#undef SET
    return rc;
}

void dl_xfer_init(xfer *x) {
    memset(x, 0, sizeof *x);
    dl_file_init(&x->file);
}

int dl_xfer_open(xfer *x, const void *in, size_t len, char *msg, size_t msglen) {
    char why[128];

    dl_xfer_init(x);
    if (parse_input(in, len, &x->url, &x->dir, &x->max_bytes) != 0) {
        dl_msgf(msg, msglen, "malformed task input (want URL\\0DIR\\0MAX\\0)");
        return -1;
    }
    if (dl_file_name(x->url, x->name, why, sizeof why) != 0) {
        dl_msgf(msg, msglen, URL_FMT ": %s", URL_ARG(x->url), why);
        return -1;
    }
    x->md = EVP_MD_CTX_new();
    x->easy = curl_easy_init();
    if (x->md == NULL || x->easy == NULL || EVP_DigestInit_ex(x->md, EVP_sha256(), NULL) != 1) {
        dl_msgf(msg, msglen, URL_FMT ": out of memory", URL_ARG(x->url));
        return -1;
    }
    if (dl_file_create(&x->file, x->dir, x->name, x->url, msg, msglen) != 0) return -1;
    CURLcode rc = easy_setup(x);
    if (rc != CURLE_OK) {
        dl_msgf(msg, msglen, URL_FMT ": curl setup: %s", URL_ARG(x->url), curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

/* Says in msg why curl ended x with rc, a failure. */
static void say_curl_failure(const xfer *x, CURLcode rc, long code, char *msg, size_t msglen) {
    const char *detail = x->curl_err[0] ? x->curl_err : curl_easy_strerror(rc);

    /* Content-Length over the limit (nothing read), or a body that grew
     * past it (on_write stopped it). */
    if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && x->too_big)) {
        dl_msgf(msg, msglen, URL_FMT ": larger than the %llu-byte limit (--max-bytes)",
                URL_ARG(x->url), (unsigned long long)x->max_bytes);
        return;
    }
    switch (rc) {
    case CURLE_HTTP_RETURNED_ERROR:
        dl_msgf(msg, msglen, URL_FMT ": HTTP %ld", URL_ARG(x->url), code);
        break;
    case CURLE_WRITE_ERROR:
        dl_msgf(msg, msglen, URL_FMT ": writing %.60s: %s", URL_ARG(x->url), x->name,
                x->write_errno ? strerror(x->write_errno) : detail);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        dl_msgf(msg, msglen, URL_FMT ": timed out or stalled: %s", URL_ARG(x->url), detail);
        break;
    case CURLE_PARTIAL_FILE:
        dl_msgf(msg, msglen, URL_FMT ": body cut short: %s", URL_ARG(x->url), detail);
        break;
    default: dl_msgf(msg, msglen, URL_FMT ": %s", URL_ARG(x->url), detail); break;
    }
}

/* Whether x, which curl ended well with HTTP `code`, got the whole file;
 * if not, says why in msg. */
static int body_whole(const xfer *x, long code, char *msg, size_t msglen) {
    curl_off_t want = -1;

    /* A 3xx that was not followed (no Location) is not the file. */
    if (code != 0 && (code < 200 || code > 299)) {
        dl_msgf(msg, msglen, URL_FMT ": HTTP %ld", URL_ARG(x->url), code);
        return 0;
    }
    if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &want) == CURLE_OK &&
        want >= 0 && (uint64_t)want != x->size) {
        dl_msgf(msg, msglen, URL_FMT ": got %llu of %lld bytes", URL_ARG(x->url),
                (unsigned long long)x->size, (long long)want);
        return 0;
    }
    return 1;
}

int dl_xfer_finish(xfer *x, CURLcode rc, unsigned char out[DL_RESULT_LEN], char *msg,
                   size_t msglen) {
    long code = 0;

    if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) code = 0;
    if (rc != CURLE_OK) {
        say_curl_failure(x, rc, code, msg, msglen);
        return -1;
    }
    if (!body_whole(x, code, msg, msglen)) return -1;
    if (dl_result_final(x->md, x->size, out) != 0) {
        dl_msgf(msg, msglen, URL_FMT ": SHA-256 failed", URL_ARG(x->url));
        return -1;
    }
    return dl_file_commit(&x->file, x->url, x->name, msg, msglen);
}

void dl_xfer_free(xfer *x) {
    dl_file_discard(&x->file);
    EVP_MD_CTX_free(x->md);
    if (x->easy != NULL) curl_easy_cleanup(x->easy);
    dl_xfer_init(x);
}
