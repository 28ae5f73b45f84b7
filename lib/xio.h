/* xio.h -- system calls retried on EINTR, as git's xread/xwrite.
 *
 * A signal that lands while a thread of the library blocks makes the call
 * fail with EINTR; each wrapper here calls again, so that no caller spells
 * the retry loop itself. Other failures return as the call gives them (-1
 * and errno), but cf__write_all, which returns -errno.
 */
#ifndef CF_XIO_H
#define CF_XIO_H

#include <errno.h>
#include <sys/types.h>

/* Evaluates `call` into `r` again while it fails with EINTR; for calls
 * with no wrapper below (sendmsg, recv, poll). */
#define CF_RETRY(r, call)                                                                          \
    do {                                                                                           \
        (r) = (call);                                                                              \
    } while ((r) < 0 && errno == EINTR)

/* read(), write(), waitpid(), retried on EINTR. */
ssize_t cf__xread(int fd, void *buf, size_t n);
ssize_t cf__xwrite(int fd, const void *buf, size_t n);
pid_t cf__xwaitpid(pid_t pid, int *status, int flags);

/* Writes all of buf[0..n) to a blocking descriptor. Returns 0 or -errno. */
int cf__write_all(int fd, const void *buf, size_t n);

#endif
