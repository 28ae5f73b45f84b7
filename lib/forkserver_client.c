/* forkserver_client.c -- the fork server's caller's side: starts the
 * server, encodes a worker's settings as a request, asks for the worker
 * (see forkserver.c for the server and what crosses). */
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forkserver.h"
#include "internal.h"
#include "wire.h"
#include "xio.h"

extern char **environ;

/* ---- the request -------------------------------------------------------- */

static int put_u64(cf_buf *b, uint64_t v) {
    return cf__buf_put(b, &v, sizeof v);
}

static int put_str(cf_buf *b, const char *s, size_t n) {
    return put_u64(b, n) || cf__buf_put(b, s, n);
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

static void (*as_fn(const void *p, size_t n))(void) {
    void (*fn)(void) = NULL;
    memcpy(&fn, p, n < sizeof fn ? n : sizeof fn);
    return fn;
}

static int encode(cf_buf *b, const cf_fs_worker *w) {
    const cf_options *o = w->opts;
    int r =
        put_u64(b, FS_MAGIC) || put_u64(b, (uint64_t)w->slot) || put_u64(b, (uint64_t)w->nslots) ||
        cf__buf_put(b, w->name, sizeof w->name) || put_u64(b, w->shm_len) || put_u64(b, w->mask) ||
        put_u64(b, (uint64_t)w->task_timeout_ns) || put_u64(b, (uint64_t)o->max_tasks_per_child);
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

/* ---- the server, seen from here ----------------------------------------- */

static pthread_mutex_t fs_mu = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by fs_mu. */
static int fs_sock = -1;
static pid_t fs_pid, fs_owner;
static int fs_pidfd = -1; /* the server's: it is not our child */

/* Whether the server has ended (its pidfd readable); without a pidfd,
 * a failed request tells. */
static int server_ended_locked(void) {
    struct pollfd p = {fs_pidfd, POLLIN, 0};
    return fs_pidfd >= 0 && poll(&p, 1, 0) > 0;
}

static void stop_server_locked(void) {
    if (fs_sock >= 0) close(fs_sock); /* the server exits when it reads EOF */
    fs_sock = -1;
    if (fs_pidfd >= 0 && fs_owner == getpid() &&
        syscall(SYS_pidfd_send_signal, fs_pidfd, SIGKILL, NULL, 0) == 0) {
        struct pollfd p = {fs_pidfd, POLLIN, 0};
        int r;
        CF_RETRY(r, poll(&p, 1, 1000)); /* until it has ended */
        (void)r;
    }
    if (fs_pidfd >= 0) close(fs_pidfd);
    fs_pidfd = -1;
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
            if (!e)
                e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
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
    fs_sock = sv[0];
    fs_owner = getpid();
    /* It says hello once it serves; a program that does not run this
     * file's constructor refuses FS_ARG and exits instead. */
    struct pollfd pfd = {fs_sock, POLLIN, 0};
    int32_t hello = 0;
    int r;
    CF_RETRY(r, poll(&pfd, 1, FS_HELLO_MS));
    int ok = r > 0 && recv(fs_sock, &hello, sizeof hello, 0) == sizeof hello && hello > 0;
    /* What we spawned forks the server and exits at once (or refuses
     * FS_ARG and exits): reap it here, and no child of ours is left. */
    if (!ok) kill(pid, SIGKILL);
    cf__xwaitpid(pid, NULL, 0);
    if (!ok) {
        stop_server_locked();
        return r == 0 ? -ETIMEDOUT : -ECHILD;
    }
    fs_pid = hello;
    fs_pidfd = (int)syscall(SYS_pidfd_open, fs_pid, 0); /* close-on-exec; -1 under valgrind */
    return 0;
}

static int ensure_locked(void) {
    if (fs_sock >= 0 && fs_owner != getpid()) { /* a fork: the server is the parent's */
        close(fs_sock);
        if (fs_pidfd >= 0) close(fs_pidfd);
        fs_sock = fs_pidfd = -1;
        fs_pid = 0;
    }
    if (fs_sock >= 0 && server_ended_locked()) stop_server_locked(); /* it died: a new one */
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

long cf_forkserver_pid(void) {
    pthread_mutex_lock(&fs_mu);
    long pid = fs_sock >= 0 && fs_owner == getpid() ? (long)fs_pid : 0;
    pthread_mutex_unlock(&fs_mu);
    return pid;
}

/* One request on the server's socket: 1 if the server is gone. */
static int ask_locked(const cf_buf *b, const int *fds, int32_t *answer) {
    if (cf__fs_send_fds(fs_sock, b->p, b->len, fds)) return 1;
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
