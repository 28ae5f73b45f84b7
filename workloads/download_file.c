/* download_file.c -- where a download lands: the file name a URL gives,
 * and a file that appears under that name only whole.
 *
 * Two guarantees live here. No file is written outside the output folder:
 * dl_file_name() accepts only a name that is one plain entry of it. No half
 * file stands under its final name: the body streams into a hidden
 * temporary file (".cfdl-XXXXXX") in the same folder, which
 * dl_file_commit() renames into place once the transfer has checked the
 * body whole, and dl_file_discard() removes otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "download_internal.h"

static int hex_value(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The start of the URL's path, NULL (err set) for a URL with no path. */
static const char *url_path(const char *url, const char *end, char *err, size_t errlen) {
    const char *scheme = strstr(url, "://");
    if (scheme == NULL || scheme >= end) return url;
    /* Skip the authority: the name comes from the path only. */
    const char *path = memchr(scheme + 3, '/', (size_t)(end - (scheme + 3)));
    if (path == NULL) snprintf(err, errlen, "the URL has no path, so no file name");
    return path;
}

/* Why byte c may not stand in a file name, or NULL. Checked per decoded
 * byte so that a decoded NUL cannot hide what follows. */
static const char *bad_name_byte(int c) {
    if (c == 0) return "file name holds a NUL byte";
    if (c == '/' || c == '\\') return "file name holds a slash or backslash";
    if (c < 0x20 || c == 0x7f) return "file name holds a control character";
    return NULL;
}

/* Percent-decodes seg[0..end) into name. Returns its length, or -1 with
 * err set. */
static int decode_name(const char *seg, const char *end, char name[DL_NAME_MAX + 1], char *err,
                       size_t errlen) {
    size_t len = 0;
    for (const char *p = seg; p < end; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = p + 1 < end ? hex_value(p[1]) : -1;
            int lo = p + 2 < end ? hex_value(p[2]) : -1;
            if (hi < 0 || lo < 0) {
                snprintf(err, errlen, "bad percent-escape in the file name");
                return -1;
            }
            c = hi * 16 + lo;
            p += 2;
        }
        if (len == DL_NAME_MAX) {
            snprintf(err, errlen, "file name longer than %d bytes", DL_NAME_MAX);
            return -1;
        }
        const char *why = bad_name_byte(c);
        if (why != NULL) {
            snprintf(err, errlen, "%s", why);
            return -1;
        }
        name[len++] = (char)c;
    }
    name[len] = '\0';
    return (int)len;
}

int dl_file_name(const char *url, char name[DL_NAME_MAX + 1], char *err, size_t errlen) {
    const char *end = url + strcspn(url, "?#");
    const char *path = url_path(url, end, err, errlen);
    if (path == NULL) return -1;
    const char *seg = path;
    for (const char *p = path; p < end; p++)
        if (*p == '/') seg = p + 1;

    int len = decode_name(seg, end, name, err, errlen);
    if (len < 0) return -1;
    if (len == 0) {
        snprintf(err, errlen, "empty file name");
        return -1;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        snprintf(err, errlen, "file name '%s' is not a file", name);
        return -1;
    }
    const char *dot = strrchr(name, '.');
    if (dot == NULL || dot == name || dot[1] == '\0') {
        snprintf(err, errlen, "URL does not contain an extension");
        return -1;
    }
    return 0;
}

static char *join_path(const char *dir, const char *name) {
    size_t dl = strlen(dir), nl = strlen(name);
    char *p = malloc(dl + 1 + nl + 1);
    if (p == NULL) return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl + 1);
    return p;
}

void dl_file_init(dl_file *f) {
    *f = (dl_file){NULL, NULL, -1};
}

int dl_file_create(dl_file *f, const char *dir, const char *name, const char *url, char *msg,
                   size_t msglen) {
    f->dst = join_path(dir, name);
    f->tmp = join_path(dir, ".cfdl-XXXXXX");
    if (f->dst == NULL || f->tmp == NULL) {
        dl_msgf(msg, msglen, URL_FMT ": out of memory", URL_ARG(url));
        return -1;
    }
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        free(f->tmp); /* nothing was created under this name */
        f->tmp = NULL;
        dl_msgf(msg, msglen, "%.100s: cannot create a temporary file: %s", dir, strerror(e));
        return -1;
    }
    /* mkostemp makes the file 0600; the result is an ordinary download. */
    if (fchmod(f->fd, 0644) != 0) {
        dl_msgf(msg, msglen, "%.100s: fchmod: %s", f->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

int dl_file_write(dl_file *f, const char *data, size_t n) {
    for (size_t done = 0; done < n;) {
        ssize_t w = write(f->fd, data + done, n - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        done += (size_t)w;
    }
    return 0;
}

int dl_file_commit(dl_file *f, const char *url, const char *name, char *msg, size_t msglen) {
    int fd = f->fd;
    f->fd = -1;
    if (close(fd) != 0) {
        dl_msgf(msg, msglen, URL_FMT ": closing %.60s: %s", URL_ARG(url), name, strerror(errno));
        return -1;
    }
    if (rename(f->tmp, f->dst) != 0) {
        dl_msgf(msg, msglen, URL_FMT ": renaming into %.60s: %s", URL_ARG(url), name,
                strerror(errno));
        return -1;
    }
    free(f->tmp);
    f->tmp = NULL;
    return 0;
}

void dl_file_discard(dl_file *f) {
    /* Errors are ignored on purpose: the file is being thrown away, and
     * one we cannot remove keeps a hidden name that is never reused. */
    if (f->fd >= 0) (void)close(f->fd);
    if (f->tmp != NULL) (void)unlink(f->tmp);
    free(f->tmp);
    free(f->dst);
    dl_file_init(f);
}
