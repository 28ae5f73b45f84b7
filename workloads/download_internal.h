/* download_internal.h -- what the download workload's files share: one
 * transfer, its file, the messages and the workload's state.
 *
 * download_file.c keeps a transfer's file safe (a name that stays inside
 * the output folder, a hidden temporary file renamed only when whole);
 * download_transfer.c runs one transfer's easy handle into that file;
 * download.c (the task, prepare, verify) and download_async.c (many
 * transfers on one multi handle) drive transfers. Not for use outside
 * workloads/download*.c: download.h is the module's public face.
 */
#ifndef WORKLOADS_DOWNLOAD_INTERNAL_H
#define WORKLOADS_DOWNLOAD_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "download.h"

/* Longest failure message a transfer writes (cf_out_error keeps 255). */
#define DL_MSG_MAX 256

/* A URL shortened for messages, so that the reason still fits in the 255
 * bytes a task message keeps: msgf(msg, len, URL_FMT ": ...", URL_ARG(u)). */
#define URL_FMT "%.100s%s"
#define URL_ARG(u) (u), strlen(u) > 100 ? "..." : ""

/* snprintf for messages that may be cut short on purpose (the compiler
 * warns about every direct snprintf that might truncate). */
void dl_msgf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What prepare() keeps for verify(), run_async() and release(); all owned
 * (malloc), freed by release(). */
typedef struct dl_state {
    int generated;                             /* bodies come from our server */
    char (*names)[DL_NAME_MAX + 1];            /* n file names, when generated */
    unsigned char (*expect)[DL_RESULT_LEN];    /* n results, when generated */
    unsigned char (*async_out)[DL_RESULT_LEN]; /* run_async's results */
    char (*async_msg)[DL_MSG_MAX];             /* and messages */
} dl_state;

/* The file one transfer writes. A file appears under its final name dst
 * only whole: the body goes to the hidden temporary file tmp in the same
 * folder, renamed to dst by dl_file_commit(). tmp and dst are owned
 * (malloc); tmp is NULL once renamed or removed, fd -1 once closed. */
typedef struct dl_file {
    char *tmp, *dst;
    int fd;
} dl_file;

/* Makes f empty (nothing to release), so dl_file_discard() is safe. */
void dl_file_init(dl_file *f);

/* Creates f's hidden temporary file (mode 0644) in dir, for the final name
 * `name` (from dl_file_name(), so one plain entry of dir). Returns 0, or -1
 * with msg set (naming url where that helps); either way the caller ends
 * with dl_file_discard(f). */
int dl_file_create(dl_file *f, const char *dir, const char *name, const char *url, char *msg,
                   size_t msglen);

/* Appends data[0..n) to f's temporary file. Returns 0, or the errno of the
 * failed write. */
int dl_file_write(dl_file *f, const char *data, size_t n);

/* Closes f's temporary file and renames it to its final name. Returns 0,
 * or -1 with msg set ("URL: closing NAME: ...", "URL: renaming into
 * NAME: ..."), the temporary file then left for dl_file_discard(). */
int dl_file_commit(dl_file *f, const char *url, const char *name, char *msg, size_t msglen);

/* Closes and removes f's temporary file if it is still there, frees what f
 * holds and leaves it empty. Safe on an empty f. */
void dl_file_discard(dl_file *f);

/* One transfer. The strings point into the task input; file and md are
 * owned. */
typedef struct xfer {
    CURL *easy;
    const char *url, *dir;
    char name[DL_NAME_MAX + 1];
    dl_file file;
    EVP_MD_CTX *md;
    uint64_t size;
    uint64_t max_bytes; /* largest body accepted; 0: no limit */
    int too_big;        /* on_write() stopped a body past max_bytes */
    int write_errno;    /* why on_write() refused data, 0 if it did not */
    char curl_err[CURL_ERROR_SIZE];
} xfer;

/* Makes x empty, so that dl_xfer_free() is safe whatever happens next. */
void dl_xfer_init(xfer *x);

/* Prepares transfer x for task input in[0..len): file name, temporary
 * file, digest, and an easy handle with every option set (CURLOPT_PRIVATE
 * is x). Returns 0, or -1 with msg set. Either way the caller ends with
 * dl_xfer_free(x). */
int dl_xfer_open(xfer *x, const void *in, size_t len, char *msg, size_t msglen);

/* Ends transfer x, which curl finished with `rc`: if the whole body
 * arrived, writes the result to out and renames the temporary file into
 * place. Returns 0, or -1 with msg set (the temporary file is then left
 * for dl_xfer_free() to remove). */
int dl_xfer_finish(xfer *x, CURLcode rc, unsigned char out[DL_RESULT_LEN], char *msg,
                   size_t msglen);

/* Releases everything x holds (the easy handle too: remove it from a multi
 * handle first) and removes its temporary file if it is still there. */
void dl_xfer_free(xfer *x);

/* The workload's run_async (download_async.c): every task of the plan on
 * one multi handle, as workload.h's run_async says. */
int dl_run_async(wl_plan *plan, int max_concurrent, wl_result *res, cf_times *tr, char *err,
                 size_t errlen);

/* Ends digest md of a `size`-byte body into the result bytes out: the
 * SHA-256, then the size big-endian. Returns 0, or -1 if OpenSSL fails. */
int dl_result_final(EVP_MD_CTX *md, uint64_t size, unsigned char out[DL_RESULT_LEN]);

#endif
