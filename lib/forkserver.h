/* forkserver.h -- the fork server: a small copy of the program, started
 * with exec so that it holds none of the caller's memory, that forks
 * process pool workers on request (CF_START_FORKSERVER).
 *
 * Internal to the library; cf_forkserver_start() in cfutures.h is the
 * public way to start it early.
 */
#ifndef CF_FORKSERVER_H
#define CF_FORKSERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfutures.h"

/* What a worker started by the fork server needs, besides its pipes and
 * the pool's shared memory (a memfd of shm_len bytes: nslots cf_wshared
 * then mask + 1 claim words). Functions cross as (object, offset) and
 * are found again in the server's copy of the program. */
typedef struct cf_fs_worker {
    int slot, nslots;
    char name[16];
    size_t shm_len;
    uint64_t mask;
    const cf_options *opts;  /* initializer, initarg + initarg_len, max_tasks_per_child */
    int64_t task_timeout_ns;
} cf_fs_worker;

/* Starts this process's fork server if it has none (a fork of this
 * process has its own), or if its server died. Returns 0, CF_ENOMEM, or
 * -errno (-ETIMEDOUT or -ECHILD if the server did not answer).
 * Thread-safe. */
int cf__forkserver_ensure(void);

/* What the server writes to a worker's status pipe when it has reaped it:
 * the wait status and the CPU time wait4() gave, which the owner, not the
 * worker's parent, cannot get from getrusage(RUSAGE_CHILDREN). */
typedef struct cf_fs_exit {
    int32_t status;
    int32_t unused;
    int64_t user_ns, sys_ns;
} cf_fs_exit;

/* Has the fork server fork a worker that runs cf__worker_main on rfd and
 * wfd with the shared memory shmfd. On success returns 0 and sets *pid and
 * *stfd: a descriptor (close-on-exec) that becomes readable when the
 * worker has exited, with a cf_fs_exit (end of file: the server died
 * first). The caller keeps its descriptors. Returns CF_ENOMEM,
 * -E2BIG (the request exceeds the server's message size), or -errno (a
 * system call here or the server's fork failed; -ECHILD: the server died).
 * Thread-safe. */
int cf__forkserver_spawn(const cf_fs_worker *w, int rfd, int wfd, int shmfd, pid_t *pid,
                         int *stfd);

/* ---- between forkserver.c (the server) and forkserver_client.c ---------- */

#define FS_ENV "CFUTURES_FORKSERVER"
#define FS_ARG "--cfutures-forkserver" /* a program without us refuses it */
#define FS_MAGIC 0x31534643u           /* "CFS1" */
#define FS_MAX_MSG (160u << 10)        /* under the default socket buffer */
#define FS_HELLO_MS 30000              /* a sanitizer build starts slowly */
#define FS_NFDS 4                      /* request pipe, result pipe, memfd, status */

/* Sends one message with FS_NFDS descriptors on a SOCK_SEQPACKET socket;
 * 0 or -1. */
int cf__fs_send_fds(int sock, const void *msg, size_t len, const int *fds);

#endif
