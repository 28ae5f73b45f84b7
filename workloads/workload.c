/* workload.c -- what every workload shares: sizes, the registry, the digest
 * and the plan helpers. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "internal.h"

static const char *const size_names[] = {
    [WL_QUICK] = "quick", [WL_DEFAULT] = "default", [WL_BLOG] = "blog"};

const char *wl_size_name(wl_size s) {
    if ((unsigned)s >= sizeof size_names / sizeof size_names[0]) return "?";
    return size_names[s];
}

int wl_size_parse(const char *name, wl_size *out) {
    if (name == NULL || out == NULL) return -1;
    for (size_t i = 0; i < sizeof size_names / sizeof size_names[0]; i++) {
        if (strcmp(name, size_names[i]) == 0) {
            *out = (wl_size)i;
            return 0;
        }
    }
    return -1;
}

/* pthread_once gives us both idempotence and thread safety; the result of
 * the one real attempt is what every caller gets. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void init_all(void) {
    /* Every module gets its chance even if an earlier one failed, so that
     * the other workloads still work; the first error is reported. */
    int rc = wl_download_init();
    int r2 = wl_hash_init();
    int r3 = wl_prime_init();
    if (rc == 0) rc = r2;
    if (rc == 0) rc = r3;
    init_result = rc;
}

int workloads_init(void) {
    int e = pthread_once(&init_once, init_all);
    return e ? -e : init_result;
}

static const workload *const all_workloads[] = {&wl_download, &wl_hash, &wl_prime, NULL};

const workload *workload_find(const char *name) {
    if (name == NULL) return NULL;
    for (size_t i = 0; all_workloads[i] != NULL; i++)
        if (strcmp(all_workloads[i]->name, name) == 0) return all_workloads[i];
    return NULL;
}

const workload *const *workload_all(void) {
    return all_workloads;
}

static void put_le64(unsigned char b[8], uint64_t v) {
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

void wl_digest(const wl_result *res, size_t n, char digest[65]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) goto cleanup;
    for (size_t i = 0; i < n; i++) {
        /* Per task: index, ok flag, length, bytes. Failures count through
         * the flag but neither their status code nor their message does:
         * those differ between modes (a CF_E* code from a broken pool, a
         * task's own status) while the work done is the same. */
        unsigned char head[17];
        int good = res[i].status == 0;
        size_t len = good ? res[i].len : 0;
        put_le64(head, (uint64_t)i);
        head[8] = (unsigned char)good;
        put_le64(head + 9, (uint64_t)len);
        if (EVP_DigestUpdate(ctx, head, sizeof head) != 1) goto cleanup;
        if (len > 0 && EVP_DigestUpdate(ctx, res[i].data, len) != 1) goto cleanup;
    }
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) goto cleanup;
    ok = 1;

cleanup:
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        /* Only out of memory gets here; an impossible digest value makes
         * sure no run compares equal to another by accident. */
        memset(digest, 'x', 64);
        digest[64] = '\0';
        return;
    }
    for (unsigned int i = 0; i < mdlen; i++) {
        digest[2 * i] = hex[md[i] >> 4];
        digest[2 * i + 1] = hex[md[i] & 15];
    }
    digest[64] = '\0';
}

int wl_plan_alloc(wl_plan *plan, size_t n) {
    /* calloc of 0 may return NULL; ask for at least one slot. */
    void **in = calloc(n ? n : 1, sizeof *in);
    size_t *in_len = calloc(n ? n : 1, sizeof *in_len);
    if (in == NULL || in_len == NULL) {
        free(in);
        free(in_len);
        return -1;
    }
    plan->in = in;
    plan->in_len = in_len;
    plan->n = n;
    return 0;
}

int wl_plan_set(wl_plan *plan, size_t i, const void *data, size_t len) {
    if (plan->in == NULL || i >= plan->n || (len > 0 && data == NULL)) return -1;
    /* One spare byte so an empty input still has a distinct pointer. */
    void *copy = malloc(len ? len : 1);
    if (copy == NULL) return -1;
    if (len > 0) memcpy(copy, data, len);
    free(plan->in[i]);
    plan->in[i] = copy;
    plan->in_len[i] = len;
    return 0;
}

void wl_plan_free_inputs(wl_plan *plan) {
    if (plan == NULL) return;
    if (plan->in != NULL)
        for (size_t i = 0; i < plan->n; i++)
            free(plan->in[i]);
    free(plan->in);
    free(plan->in_len);
    plan->in = NULL;
    plan->in_len = NULL;
}

int wl_make_dirs(const char *dir) {
    char *p = strdup(dir);
    if (p == NULL) return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0777);
    free(p);
    if (rc != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(dir, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}
