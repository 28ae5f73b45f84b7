/* xio.c -- system calls retried on EINTR (see xio.h). */
#include <sys/wait.h>
#include <unistd.h>

#include "xio.h"

ssize_t cf__xread(int fd, void *buf, size_t n) {
    ssize_t r;
    CF_RETRY(r, read(fd, buf, n));
    return r;
}

ssize_t cf__xwrite(int fd, const void *buf, size_t n) {
    ssize_t r;
    CF_RETRY(r, write(fd, buf, n));
    return r;
}

pid_t cf__xwaitpid(pid_t pid, int *status, int flags) {
    pid_t r;
    CF_RETRY(r, waitpid(pid, status, flags));
    return r;
}

int cf__write_all(int fd, const void *buf, size_t n) {
    const unsigned char *p = buf;
    while (n) {
        ssize_t w = cf__xwrite(fd, p, n);
        if (w < 0) return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}
