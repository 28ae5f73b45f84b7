/* download.h -- the download workload's building blocks, for tests and the
 * embedded server.
 *
 * One task downloads one URL into a folder, as the blog's download_one()
 * does: the file is named after the URL's last path segment, which must
 * have an extension. The task input is the URL, the folder and the size
 * limit in decimal, each NUL-terminated ("URL\0DIR\0MAX\0", made by
 * dl_input()); the result is
 * DL_RESULT_LEN bytes: the SHA-256 of the body, then its size as a
 * big-endian uint64, so that every mode yields the same bytes.
 *
 * The embedded server (bench/http_server.c) serves bodies made by dl_body_fill(),
 * so that verify can recompute what each file must hash to; the harness
 * starts it with the link dl_link_for() gives for the size.
 */
#ifndef WORKLOADS_DOWNLOAD_H
#define WORKLOADS_DOWNLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

/* The name the task is registered under. */
#define DL_TASK "download_one"

/* Result bytes: 32 of SHA-256, 8 of size. */
#define DL_RESULT_LEN 40

/* Longest file name the task accepts, in bytes (NAME_MAX on Linux). */
#define DL_NAME_MAX 255

/* Environment variables read by every transfer (task or async), so that
 * tests can shorten the limits in every executor kind:
 * CFBENCH_DL_STALL_S    seconds below 1 KiB/s before a transfer fails
 *                       (default 10; the stall detector)
 * CFBENCH_DL_TIMEOUT_S  whole-transfer limit in seconds (default 300) */
#define DL_ENV_STALL "CFBENCH_DL_STALL_S"
#define DL_ENV_TIMEOUT "CFBENCH_DL_TIMEOUT_S"

/* Derives the file name a URL is saved under: its last path segment (query
 * and fragment stripped), percent-decoded. Refuses, with a one-line reason
 * in err: a URL with no path, a bad %-escape, an empty name, "." or "..",
 * a name holding '/', '\\', NUL or another control character after
 * decoding, a name longer than DL_NAME_MAX, and a name with no extension
 * (Python's Path.suffix rule: a '.' that is neither the first nor the last
 * character). A name that passes is one plain entry of the folder, so the
 * file cannot land outside it. Writes the name (NUL-terminated) to
 * name[DL_NAME_MAX + 1]. Returns 0 or -1. */
int dl_file_name(const char *url, char name[DL_NAME_MAX + 1], char *err, size_t errlen);

/* Builds a task input from url, dir and max_bytes (the largest body the
 * task accepts; 0: no limit) into a new buffer (malloc, owned by the
 * caller) and sets *len. Returns NULL if out of memory. A body over the
 * limit fails its task with "larger than the N-byte limit" and leaves no
 * file. */
void *dl_input(const char *url, const char *dir, uint64_t max_bytes, size_t *len);

/* The slow link a size imitates: the server settings that make one file
 * take about ttfb + file_size / rate. */
typedef struct dl_link {
    int ttfb_ms;    /* time to first byte */
    long rate;      /* body bytes per second per connection */
    long file_size; /* bytes per file */
} dl_link;

/* The link of `size` into *out. Returns 0, or -1 for an unknown size. */
int dl_link_for(wl_size size, dl_link *out);

/* Fills buf with bytes [off, off + len) of the generated body of the file
 * called `name` (the whole last path segment, extension included). The
 * bytes depend only on the name and the offset, so a body of any size is a
 * prefix of a longer one and can be produced in pieces. */
void dl_body_fill(const char *name, uint64_t off, void *buf, size_t len);

/* The result bytes a task must give for the generated body of `name` with
 * `size` bytes. Returns 0, or -1 if OpenSSL fails. */
int dl_body_result(const char *name, uint64_t size, unsigned char out[DL_RESULT_LEN]);

#endif
