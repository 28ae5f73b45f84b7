/* forkserver.c -- the fork server (CF_START_FORKSERVER).
 *
 * Forking a program costs in proportion to its memory (the kernel copies
 * its page tables, then every page either side writes is copied on the
 * fault), and in a threaded program each of those faults also interrupts
 * the other CPUs to flush their TLBs. The fork server takes that off the
 * pool's start: it is the program again, started with posix_spawn (no
 * copy) of /proc/self/exe, so it holds only what the program's start-up
 * gives it, whatever the caller has grown to since. It never returns to
 * main: this file's constructor sees the variable it was started with and
 * serves from there. Python 3.14 starts its pools the same way on Linux.
 *
 *   caller (any thread)              fork server (one thread)
 *   cf__forkserver_spawn ─request─►  recvmsg: the worker's settings and
 *     (SOCK_SEQPACKET, SCM_RIGHTS:     descriptors (pipes, shared memory,
 *      pipes, memfd, status pipe)       status pipe's write end)
 *                        ◄─── pid ─  fork ─► worker: cf__worker_main
 *   status pipe readable ◄─ status ─ SIGCHLD (signalfd): waitpid, write
 *                                    the wait status, close
 *
 * What crosses. A worker from the server shares no memory with the caller
 * but the pool's memfd, so functions cross as (object name, offset in
 * it), found again with dl_iterate_phdr in the server (dlopen-ing an
 * object the server lacks), and initarg as initarg_len bytes. The task
 * registry crosses whole with every request, in id order.
 *
 * Lifetime. One server per process (a fork of the process starts its own),
 * started by the first pool that asks, or early by cf_forkserver_start().
 * The server ends when its owner does (it watches the owner's pidfd) or
 * closes the socket; its workers have PR_SET_PDEATHSIG and end with it.
 * It is not the owner's child (see forkserver_maybe_serve): init reaps it
 * when it ends, killed or crashed, and the next request, seeing its pidfd
 * readable, starts a new one. It ignores
 * SIGINT, as workers do: Ctrl-C is the owner's to handle.
 *
 * This file is the server; the caller's side, which starts it and
 * encodes the requests it decodes here, is forkserver_client.c.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forkserver.h"
#include "internal.h"
#include "worker.h"
#include "xio.h"

#define SPARE_QUIET_MS 5               /* make spares after this long without requests */

/* ---- reading a request --------------------------------------------------- */

typedef struct rd {
    const unsigned char *p, *end;
    int bad;
} rd;

static const void *take(rd *r, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const void *at = r->p;
    r->p += n;
    return at;
}

static uint64_t take_u64(rd *r) {
    uint64_t v = 0;
    const void *at = take(r, sizeof v);
    if (at) memcpy(&v, at, sizeof v);
    return v;
}

/* A string of the message: its bytes (not NUL-terminated) and *len. */
static const unsigned char *take_str(rd *r, size_t *len) {
    *len = (size_t)take_u64(r);
    if (*len > FS_MAX_MSG) r->bad = 1;
    return take(r, r->bad ? 0 : *len);
}

/* ---- functions found again by (object, offset) ------------------------- */

typedef struct by_name {
    const char *name;
    uintptr_t base;
    int found;
} by_name;

static int find_by_name(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    by_name *b = arg;
    if (strcmp(info->dlpi_name ? info->dlpi_name : "", b->name) != 0) return 0;
    b->base = info->dlpi_addr;
    b->found = 1;
    return 1;
}

/* Reads a function put by put_fn and finds it here; NULL if there was
 * none, or (*lost set) if it cannot be found here. */
static void (*take_fn(rd *r, int *lost))(void) {
    uint64_t kind = take_u64(r);
    *lost = kind != 0;
    if (kind != 1) return NULL;
    size_t n;
    const unsigned char *s = take_str(r, &n);
    uint64_t off = take_u64(r);
    if (r->bad || n >= PATH_MAX) return NULL;
    char name[PATH_MAX];
    memcpy(name, s, n);
    name[n] = '\0';
    by_name b = {name, 0, 0};
    dl_iterate_phdr(find_by_name, &b);
    if (!b.found && name[0] && dlopen(name, RTLD_NOW | RTLD_GLOBAL) != NULL)
        dl_iterate_phdr(find_by_name, &b); /* one the caller had dlopen-ed */
    if (!b.found) return NULL;
    void (*fn)(void);
    uintptr_t at = b.base + (uintptr_t)off;
    memcpy(&fn, &at, sizeof fn);
    *lost = 0;
    return fn;
}

/* ---- the server --------------------------------------------------------- */

typedef struct child {
    pid_t pid;
    int stfd;
} child;

static child *kids;
static size_t nkids, capkids;

/* In the new worker: maps the pool's memory, finds the functions and runs
 * the worker. Exits CF_WX_SETUP if it cannot. */
static void __attribute__((noreturn)) be_worker(rd *r, pid_t server, const int *fds) {
    cf_wconf c;
    memset(&c, 0, sizeof c);
    c.slot = (int)take_u64(r);
    int nslots = (int)take_u64(r);
    const void *name = take(r, sizeof c.name);
    size_t shm_len = (size_t)take_u64(r);
    c.mask = take_u64(r);
    c.task_timeout_ns = (int64_t)take_u64(r);
    c.max_tasks_per_child = (int)take_u64(r);
    void (*init)(void) = take_fn(r, &c.init_lost);
    memcpy(&c.initializer, &init, sizeof init);
    int has_arg = take_u64(r) != 0;
    size_t arglen;
    const unsigned char *arg = take_str(r, &arglen);
    if (r->bad || !name || c.slot < 0 || c.slot >= nslots ||
        shm_len < cf__shm_size(nslots, c.mask + 1))
        _exit(CF_WX_SETUP);
    memcpy(c.name, name, sizeof c.name);
    c.name[sizeof c.name - 1] = '\0';
    if (has_arg) {
        void *copy = malloc(arglen ? arglen : 1);
        if (!copy) _exit(CF_WX_NOMEM);
        memcpy(copy, arg, arglen);
        c.initarg = copy;
    }
    size_t n = (size_t)take_u64(r);
    if (n > FS_MAX_MSG) _exit(CF_WX_SETUP);
    cf_task *tasks = calloc(n ? n : 1, sizeof *tasks);
    const cf_task **table = calloc(n ? n : 1, sizeof *table);
    if (!tasks || !table) _exit(CF_WX_NOMEM);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const unsigned char *s = take_str(r, &len);
        int lost;
        void (*fn)(void) = take_fn(r, &lost);
        char *nm = r->bad ? NULL : strndup((const char *)s, len);
        if (r->bad || !nm) _exit(CF_WX_SETUP);
        tasks[i].name = nm;
        memcpy(&tasks[i].fn, &fn, sizeof fn);
        tasks[i].id = (uint32_t)i;
        table[i] = tasks[i].fn ? &tasks[i] : NULL; /* not found: CF_ENOTASK */
    }
    c.tasks = table;
    c.ntasks = (uint32_t)n;
    void *shm = mmap(NULL, shm_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[2], 0);
    if (shm == MAP_FAILED) _exit(CF_WX_SETUP);
    c.me = (cf_wshared *)shm + c.slot;
    c.word = cf__shm_words(shm, nslots);
    c.parent = server;
    cf__worker_main(&c, fds[0], fds[1]); /* closes everything else */
}

int cf__fs_send_fds(int sock, const void *msg, size_t len, const int *fds) {
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(FS_NFDS * sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)msg, len};
    struct msghdr mh = {NULL, 0, &iov, 1, ctl.buf, sizeof ctl.buf, 0};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(FS_NFDS * sizeof(int));
    memcpy(CMSG_DATA(c), fds, FS_NFDS * sizeof(int));
    ssize_t w;
    CF_RETRY(w, sendmsg(sock, &mh, MSG_NOSIGNAL));
    return w < 0 ? -1 : 0;
}

/* Receives one message into msg[0..FS_MAX_MSG) and its descriptors (at
 * most FS_NFDS kept, close-on-exec). Returns its length (0 if it was cut
 * short), or -1 at end of file or on error. */
static ssize_t recv_fds(int sock, unsigned char *msg, int *fds, int *nfds) {
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(FS_NFDS * sizeof(int))];
    } ctl;
    struct iovec iov = {msg, FS_MAX_MSG};
    struct msghdr mh = {NULL, 0, &iov, 1, ctl.buf, sizeof ctl.buf, 0};
    ssize_t n;
    CF_RETRY(n, recvmsg(sock, &mh, MSG_CMSG_CLOEXEC));
    *nfds = 0;
    if (n <= 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (*nfds < FS_NFDS)
                    fds[(*nfds)++] = fd;
                else
                    close(fd);
            }
        }
    return (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? 0 : n;
}

static unsigned char msg[FS_MAX_MSG]; /* the server's (or a spare's) request */

/* A valid request with its descriptors? Then *r reads it past the magic. */
static int request_ok(rd *r, size_t len, int nfds) {
    *r = (rd){msg, msg + len, 0};
    return nfds == FS_NFDS && take_u64(r) == FS_MAGIC && !r->bad;
}

/* Spares: workers forked ahead of need, waiting for their request, so that
 * a pool's start does not wait for fork. */
typedef struct spare {
    pid_t pid;
    int sock; /* the server's end */
} spare;

static spare spares[8];
static int nspares, want_spares;

/* In a spare: waits for its request on fd 3, then becomes that worker. */
static void __attribute__((noreturn)) be_spare(pid_t server) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != server) _exit(CF_WX_ORPHAN);
    prctl(PR_SET_NAME, "cf-spare"); /* the worker names itself once it has a pool */
    int fds[FS_NFDS], nfds;
    ssize_t n = recv_fds(3, msg, fds, &nfds);
    rd r;
    if (n <= 0 || !request_ok(&r, (size_t)n, nfds)) _exit(CF_WX_STOPPED); /* not needed */
    be_worker(&r, server, fds);
}

/* Forks one more spare; quietly none if it cannot. */
static void add_spare(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return;
    pid_t server = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* Hold nothing of the server's: other workers' status pipes
         * would otherwise stay open here. */
        if (dup3(sv[1], 3, O_CLOEXEC) < 0) _exit(CF_WX_SETUP);
        close_range(4, ~0U, 0);
        be_spare(server);
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return;
    }
    spares[nspares++] = (spare){pid, sv[0]};
}

/* Starts the worker for the request in msg: a spare takes it if one is
 * left (it was forked already), else a fork. Its pid, or -errno. */
static pid_t start_worker(rd *r, size_t len, int *fds) {
    while (nspares > 0) {
        spare s = spares[--nspares];
        int sent = cf__fs_send_fds(s.sock, msg, len, fds) == 0;
        close(s.sock);
        if (sent) return s.pid;
        kill(s.pid, SIGKILL); /* it died waiting: reap_kids() collects it */
    }
    pid_t server = getpid();
    pid_t pid = fork();
    if (pid == 0) be_worker(r, server, fds);
    return pid < 0 ? -errno : pid;
}

/* Serves one request; answers with the worker's pid or -errno. */
static void serve_one(int sock, size_t len, int *fds, int nfds) {
    int32_t answer = -EPROTO;
    rd r;
    if (request_ok(&r, len, nfds)) {
        child *k = kids;
        if (nkids == capkids) {
            size_t cap = capkids ? 2 * capkids : 16;
            k = realloc(kids, cap * sizeof *k);
            if (k) {
                kids = k;
                capkids = cap;
            }
        }
        pid_t pid = k ? start_worker(&r, len, fds) : -ENOMEM;
        if (pid > 0) {
            kids[nkids++] = (child){pid, fds[3]};
            fds[3] = -1; /* the server writes the status there */
        }
        answer = (int32_t)pid;
    }
    for (int i = 0; i < nfds; i++)
        if (fds[i] >= 0) close(fds[i]);
    if (send(sock, &answer, sizeof answer, MSG_NOSIGNAL) < 0) _exit(0); /* owner gone */
}

/* Reaps every worker that ended and tells its pool how. */
static int64_t tv_ns(struct timeval t) {
    return (int64_t)t.tv_sec * 1000000000 + (int64_t)t.tv_usec * 1000;
}

static void reap_kids(void) {
    int status;
    pid_t pid;
    struct rusage ru;
    while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0)
        for (size_t i = 0; i < nkids; i++)
            if (kids[i].pid == pid) {
                cf_fs_exit x = {status, 0, tv_ns(ru.ru_utime), tv_ns(ru.ru_stime)};
                if (write(kids[i].stfd, &x, sizeof x) < 0) {
                } /* the pool is gone: nobody to tell */
                close(kids[i].stfd);
                kids[i] = kids[--nkids];
                break;
            }
}

static void __attribute__((noreturn)) serve(int sock, pid_t owner) {
    prctl(PR_SET_NAME, "cf-forkserver");
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    int ofd = (int)syscall(SYS_pidfd_open, owner, 0);
    if (sfd < 0 || (ofd < 0 && kill(owner, 0) != 0)) _exit(0);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    want_spares = cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus;
    int32_t hello = (int32_t)getpid();
    if (send(sock, &hello, sizeof hello, MSG_NOSIGNAL) < 0) _exit(0);
    for (;;) {
        /* Make spares once nothing was asked for SPARE_QUIET_MS, one per
         * turn: a pool's requests come in a burst, and a fork beside
         * them would only compete with them for the CPUs. */
        int more = nspares < want_spares;
        struct pollfd pfd[3] = {{sock, POLLIN, 0}, {sfd, POLLIN, 0}, {ofd, POLLIN, 0}};
        int r = poll(pfd, ofd >= 0 ? 3 : 2, more ? SPARE_QUIET_MS : ofd >= 0 ? -1 : 1000);
        if (r < 0 && errno != EINTR) _exit(0);
        if (pfd[2].revents || (ofd < 0 && kill(owner, 0) != 0)) _exit(0); /* the owner ended */
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {
            }
            reap_kids();
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int fds[FS_NFDS], nfds;
            ssize_t n = recv_fds(sock, msg, fds, &nfds);
            if (n < 0) _exit(0); /* the owner closed it */
            serve_one(sock, (size_t)n, fds, nfds);
        } else if (r == 0 && more) {
            add_spare();
        }
    }
}

/* In a program started as a fork server, serve instead of running main.
 * The process the owner spawned forks the server and exits, so the server
 * is not the owner's child: it is reaped by init (or the nearest
 * subreaper) when it ends, never left a zombie of the owner's, and the
 * owner needs no thread to wait for it. Nothing else runs yet here: the
 * fork copies no lock. */
__attribute__((constructor)) static void forkserver_maybe_serve(void) {
    const char *v = getenv(FS_ENV);
    int sock;
    long owner;
    if (!v || sscanf(v, "%d:%ld", &sock, &owner) != 2) return;
    unsetenv(FS_ENV); /* not for the workers, nor what they start */
    pid_t pid = fork();
    if (pid != 0) _exit(pid < 0); /* the owner reaps this one */
    serve(sock, (pid_t)owner);
}

