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
 * A thread of the owner reaps it when it ends (killed, or crashed), and
 * the next request then starts a new one. It ignores
 * SIGINT, as workers do: Ctrl-C is the owner's to handle.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forkserver.h"
#include "internal.h"
#include "wire.h"
#include "worker.h"
#include "xio.h"

#define FS_ENV "CFUTURES_FORKSERVER"
#define FS_ARG "--cfutures-forkserver" /* a program without us refuses it */
#define FS_MAGIC 0x31534643u           /* "CFS1" */
#define FS_MAX_MSG (160u << 10)        /* under the default socket buffer */
#define FS_HELLO_MS 30000              /* a sanitizer build starts slowly */
#define FS_NFDS 4                      /* request pipe, result pipe, memfd, status */
#define SPARE_QUIET_MS 5               /* make spares after this long without requests */

extern char **environ;

/* ---- messages ----------------------------------------------------------- */

static int put_u64(cf_buf *b, uint64_t v) {
    return cf__buf_put(b, &v, sizeof v);
}

static int put_str(cf_buf *b, const char *s, size_t n) {
    return put_u64(b, n) || cf__buf_put(b, s, n);
}

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

/* ---- functions as (object, offset) ------------------------------------ */

typedef struct sym {
    uintptr_t addr;
    const char *obj; /* dlpi_name: "" for the program itself */
    uintptr_t base;
    int found;
} sym;

static int find_obj(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    sym *s = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && s->addr >= lo && s->addr < lo + ph->p_memsz) {
            s->obj = info->dlpi_name ? info->dlpi_name : "";
            s->base = info->dlpi_addr;
            s->found = 1;
            return 1;
        }
    }
    return 0;
}

/* Appends fn as 0 (none), 2 (in no object: cannot cross) or 1, object,
 * offset. */
static int put_fn(cf_buf *b, void (*fn)(void)) {
    sym s = {(uintptr_t)fn, NULL, 0, 0};
    if (fn) dl_iterate_phdr(find_obj, &s);
    if (!s.found) return put_u64(b, fn ? 2 : 0);
    return put_u64(b, 1) || put_str(b, s.obj, strlen(s.obj)) || put_u64(b, s.addr - s.base);
}

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

/* ---- the request -------------------------------------------------------- */

static void (*as_fn(const void *p, size_t n))(void) {
    void (*fn)(void) = NULL;
    memcpy(&fn, p, n < sizeof fn ? n : sizeof fn);
    return fn;
}

static int encode(cf_buf *b, const cf_fs_worker *w) {
    const cf_options *o = w->opts;
    int r = put_u64(b, FS_MAGIC) || put_u64(b, (uint64_t)w->slot) ||
            put_u64(b, (uint64_t)w->nslots) || cf__buf_put(b, w->name, sizeof w->name) ||
            put_u64(b, w->shm_len) || put_u64(b, w->mask) ||
            put_u64(b, (uint64_t)w->task_timeout_ns) ||
            put_u64(b, (uint64_t)o->max_tasks_per_child);
    r = r || put_fn(b, as_fn(&o->initializer, sizeof o->initializer));
    r = r || put_u64(b, o->initarg != NULL) ||
        put_str(b, o->initarg ? o->initarg : "", o->initarg ? o->initarg_len : 0);
    uint32_t n = cf__task_count();
    r = r || put_u64(b, n);
    for (uint32_t i = 0; i < n && !r; i++) {
        const cf_task *t = cf__task_by_id(i);
        r = put_str(b, t->name, strlen(t->name)) || put_fn(b, as_fn(&t->fn, sizeof t->fn));
    }
    return r;
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

/* Sends one message with FS_NFDS descriptors; 0 or -1. */
static int send_fds(int sock, const void *msg, size_t len, const int *fds) {
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
        int sent = send_fds(s.sock, msg, len, fds) == 0;
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
static void reap_kids(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < nkids; i++)
            if (kids[i].pid == pid) {
                int32_t st = status;
                if (write(kids[i].stfd, &st, sizeof st) < 0) {
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
    if (sfd < 0 || getppid() != owner) _exit(0);
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
        if (pfd[2].revents || (ofd < 0 && getppid() != owner)) _exit(0); /* the owner ended */
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

/* In a program started as a fork server, serve instead of running main. */
__attribute__((constructor)) static void forkserver_maybe_serve(void) {
    const char *v = getenv(FS_ENV);
    int sock;
    long owner;
    if (!v || sscanf(v, "%d:%ld", &sock, &owner) != 2) return;
    unsetenv(FS_ENV); /* not for the workers, nor what they start */
    serve(sock, (pid_t)owner);
}

/* ---- the caller's side -------------------------------------------------- */

static pthread_mutex_t fs_mu = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by fs_mu. */
static int fs_sock = -1;
static pid_t fs_pid, fs_owner;
static pthread_t fs_reaper; /* waits for fs_pid, while fs_pid > 0 */
/* Set by the reaper once the server has ended and been reaped. */
static atomic_int fs_dead;

/* The server is our child: a thread of ours waits for it, so that a server
 * that dies (killed, crashed) is reaped at once rather than left a zombie
 * until the next request notices. */
static void *reap_server(void *arg) {
    cf__xwaitpid((pid_t)(intptr_t)arg, NULL, 0);
    atomic_store(&fs_dead, 1);
    return NULL;
}

static void stop_server_locked(void) {
    if (fs_sock >= 0) close(fs_sock);
    fs_sock = -1;
    if (fs_pid > 0 && fs_owner == getpid()) {
        kill(fs_pid, SIGKILL);
        pthread_join(fs_reaper, NULL); /* it reaps; it takes no lock */
    }
    fs_pid = 0;
}

/* Starts the server: 0, CF_ENOMEM or -errno (-ETIMEDOUT or -ECHILD: the
 * copy did not say hello). */
static int start_server_locked(void) {
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len < 0) return -errno;
    if (len == 0) return -ENOENT;
    exe[len] = '\0';
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return -errno;
    /* The server's end becomes its descriptor 3; keep it off 3 here, or
     * the dup2 would keep close-on-exec. */
    int theirs = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    int err = theirs < 0 ? -errno : 0;
    close(sv[1]);
    if (err) {
        close(sv[0]);
        return err;
    }
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    char var[64];
    snprintf(var, sizeof var, "%s=3:%ld", FS_ENV, (long)getpid());
    err = CF_ENOMEM;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dfl;
    sigemptyset(&none);
    sigfillset(&dfl);
    pid_t pid = 0;
    if (env && posix_spawn_file_actions_init(&fa) == 0) {
        if (posix_spawnattr_init(&at) == 0) {
            for (size_t i = 0, j = 0; i < n; i++)
                if (strncmp(environ[i], FS_ENV "=", sizeof FS_ENV) != 0) env[j++] = environ[i];
            for (size_t j = 0;; j++)
                if (!env[j]) {
                    env[j] = var;
                    break;
                }
            char *argv[] = {exe, FS_ARG, NULL};
            int e = posix_spawn_file_actions_adddup2(&fa, theirs, 3);
            if (!e) e = posix_spawn_file_actions_addclosefrom_np(&fa, 4);
            if (!e) e = posix_spawnattr_setsigmask(&at, &none);
            if (!e) e = posix_spawnattr_setsigdefault(&at, &dfl);
            if (!e) e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
            if (!e) e = posix_spawn(&pid, exe, &fa, &at, argv, env);
            err = -e; /* posix_spawn* return an errno value */
            posix_spawnattr_destroy(&at);
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    free(env);
    close(theirs);
    if (err) {
        close(sv[0]);
        return err;
    }
    atomic_store(&fs_dead, 0);
    int e = cf__thread_start(&fs_reaper, reap_server, (void *)(intptr_t)pid);
    if (e) {
        kill(pid, SIGKILL);
        cf__xwaitpid(pid, NULL, 0);
        close(sv[0]);
        return -e;
    }
    fs_sock = sv[0];
    fs_pid = pid;
    fs_owner = getpid();
    /* It says hello once it serves; a program that does not run this
     * file's constructor refuses FS_ARG and exits instead. */
    struct pollfd pfd = {fs_sock, POLLIN, 0};
    int32_t hello = 0;
    int r;
    CF_RETRY(r, poll(&pfd, 1, FS_HELLO_MS));
    if (r <= 0 || recv(fs_sock, &hello, sizeof hello, 0) != sizeof hello || hello != pid) {
        stop_server_locked();
        return r == 0 ? -ETIMEDOUT : -ECHILD;
    }
    return 0;
}

static int ensure_locked(void) {
    if (fs_sock >= 0 && fs_owner != getpid()) { /* a fork: the server is the parent's */
        close(fs_sock);
        fs_sock = -1;
        fs_pid = 0;
    }
    if (fs_sock >= 0 && atomic_load(&fs_dead)) stop_server_locked(); /* reaped: a new one */
    if (fs_sock >= 0) return 0;
    return start_server_locked();
}

int cf__forkserver_ensure(void) {
    pthread_mutex_lock(&fs_mu);
    int r = ensure_locked();
    pthread_mutex_unlock(&fs_mu);
    return r;
}

int cf_forkserver_start(void) {
    return cf__forkserver_ensure();
}

/* One request on the server's socket: 1 if the server is gone. */
static int ask_locked(const cf_buf *b, const int *fds, int32_t *answer) {
    if (send_fds(fs_sock, b->p, b->len, fds)) return 1;
    ssize_t r;
    CF_RETRY(r, recv(fs_sock, answer, sizeof *answer, 0));
    return r != sizeof *answer;
}

int cf__forkserver_spawn(const cf_fs_worker *w, int rfd, int wfd, int shmfd, pid_t *pid,
                         int *stfd) {
    cf_buf b = {0};
    if (encode(&b, w)) {
        cf__buf_free(&b);
        return CF_ENOMEM;
    }
    if (b.len > FS_MAX_MSG) {
        cf__buf_free(&b);
        return -E2BIG;
    }
    int st[2];
    if (pipe2(st, O_CLOEXEC) < 0) {
        int err = -errno;
        cf__buf_free(&b);
        return err;
    }
    int fds[FS_NFDS] = {rfd, wfd, shmfd, st[1]};
    int32_t answer = 0;
    pthread_mutex_lock(&fs_mu);
    int err = ensure_locked();
    if (!err && ask_locked(&b, fds, &answer)) { /* it died: once more with a new one */
        stop_server_locked();
        err = start_server_locked();
        if (!err && ask_locked(&b, fds, &answer)) {
            stop_server_locked();
            err = -ECHILD;
        }
    }
    pthread_mutex_unlock(&fs_mu);
    cf__buf_free(&b);
    close(st[1]);
    if (!err && answer <= 0) err = answer < 0 ? answer : -ECHILD; /* the server's -errno */
    if (err) {
        close(st[0]);
        return err;
    }
    *pid = (pid_t)answer;
    *stfd = st[0];
    return 0;
}
