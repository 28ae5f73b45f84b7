/* process_slots.c -- the process pool's worker processes: started (forked
 * here or by the fork server), signalled, reaped, replaced; a broken pool. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_pool.h"
#include "forkserver.h"
#include "xio.h"

static void snapshot_tasks(ppool *p) {
    uint32_t n = cf__task_count();
    const cf_task **t = realloc(p->tasks, (n ? n : 1) * sizeof *t);
    if (!t) return; /* keep the old snapshot */
    for (uint32_t i = 0; i < n; i++)
        t[i] = cf__task_by_id(i);
    p->tasks = t;
    p->ntasks = n;
}

/* Signals the slot's process. A fork-server worker is not our child: its
 * pid may be reaped and reused before we hear, so its pidfd is used. */
void cf__slot_kill(const pslot *s, int sig) {
    if (s->pid <= 0) return;
    if (s->stfd >= 0 && s->pidfd >= 0) {
        if (syscall(SYS_pidfd_send_signal, s->pidfd, sig, NULL, 0) == 0 || errno == ESRCH) return;
    }
    kill(s->pid, sig);
}

/* Waits for the slot's process to end; its wait status, or -1 if its fork
 * server ended without telling. */
int cf__slot_reap(const pslot *s) {
    int status = 0;
    if (s->stfd >= 0) {
        cf_fs_exit x;
        if (cf__xread(s->stfd, &x, sizeof x) != sizeof x) return -1;
        atomic_fetch_add(&s->ex->unseen_user_ns, x.user_ns);
        atomic_fetch_add(&s->ex->unseen_sys_ns, x.sys_ns);
        return x.status;
    }
    cf__xwaitpid(s->pid, &status, 0);
    return status;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

void cf__slot_close(pslot *s) {
    close_fd(&s->wfd);
    close_fd(&s->rfd);
    close_fd(&s->pidfd);
    close_fd(&s->stfd);
    s->state = SLOT_EMPTY;
    s->pid = 0;
}

/* Kills the slot's process (if any), waits for it and closes the slot. */
void cf__slot_end(pslot *s) {
    if (s->pid > 0) {
        cf__slot_kill(s, SIGKILL);
        cf__slot_reap(s);
    }
    cf__slot_close(s);
}

/* Forks the worker here; its pid, or -errno. */
static pid_t fork_worker(ppool *p, pslot *s, int rfd, int wfd, int other1, int other2) {
    snapshot_tasks(p);
    cf_wconf c = {.slot = s->index,
                  .parent = p->parent,
                  .me = &p->ws[s->index],
                  .word = p->word,
                  .mask = p->mask,
                  .tasks = p->tasks,
                  .ntasks = p->ntasks,
                  .initializer = p->ex.opts.initializer,
                  .initarg = p->ex.opts.initarg,
                  .max_tasks_per_child = p->ex.opts.max_tasks_per_child,
                  .task_timeout_ns = p->ex.task_timeout_ns};
    cf__worker_name(&p->ex, s->index, c.name);
    fflush(NULL); /* or the child could write the parent's buffers again */
    pid_t pid = fork();
    if (pid == 0) {
        close(other1);
        close(other2);
        cf__worker_main(&c, rfd, wfd);
    }
    return pid < 0 ? -errno : pid;
}

/* Has the fork server fork the worker; its pid, or a negative code. */
static pid_t serve_worker(ppool *p, pslot *s, int rfd, int wfd) {
    cf_fs_worker w = {.slot = s->index,
                      .nslots = p->n,
                      .shm_len = p->shm_len,
                      .mask = p->mask,
                      .opts = &p->ex.opts,
                      .task_timeout_ns = p->ex.task_timeout_ns};
    cf__worker_name(&p->ex, s->index, w.name);
    pid_t pid;
    int e = cf__forkserver_spawn(&w, rfd, wfd, p->shmfd, &pid, &s->stfd);
    return e ? e : pid;
}

/* Says once per process, on stderr, that a pool forks with threads of the
 * program running (cf_start_method in cfutures.h): the library's only
 * output, asked for as Python 3.12 warns. */
static void warn_fork(int others, const char *why) {
    static atomic_int warned;
    if (atomic_exchange(&warned, 1)) return;
    fprintf(stderr,
            "cfutures: warning: %s%sa process pool forks a worker while %d other thread%s "
            "run: a lock one of them holds stays locked in the worker, which may hang "
            "(CF_START_AUTO uses the fork server; fork_warning_off silences this)\n",
            why ? why : "", why ? "; " : "", others, others == 1 ? "" : "s");
}

/* The start method for a worker starting now, CF_START_AUTO resolved. The
 * count of other threads is taken now: at the pool's creation in the
 * caller, at a replacement in the manager. */
cf_start_method cf__choose_start(const cf_options *o) {
    int others = cf__other_threads();
    cf_start_method m = o->start_method;
    int can_serve = !(o->initarg && !o->initarg_len); /* a bare pointer must fork */
    if (m == CF_START_AUTO) m = others > 0 && can_serve ? CF_START_FORKSERVER : CF_START_FORK;
    if (m == CF_START_FORK && others > 0 && !o->fork_warning_off) warn_fork(others, NULL);
    return m;
}

/* Starts the slot's process `how`: 0, CF_ENOMEM or -errno. */
int cf__slot_spawn(ppool *p, pslot *s, cf_start_method how) {
    int req[2], resp[2];
    if (pipe2(req, O_CLOEXEC) < 0) return -errno;
    if (pipe2(resp, O_CLOEXEC) < 0) {
        int err = -errno;
        close(req[0]);
        close(req[1]);
        return err;
    }
    atomic_store(&p->ws[s->index].start, 0);
    atomic_store(&p->ws[s->index].ready, 0);
    pid_t pid = 0;
    if (how == CF_START_FORKSERVER) {
        pid = serve_worker(p, s, req[0], resp[1]);
        if (pid < 0 && p->ex.opts.start_method == CF_START_AUTO) { /* e.g. dlopen-ed */
            how = CF_START_FORK;
            if (!p->ex.opts.fork_warning_off)
                warn_fork(cf__other_threads(), "the fork server could not start");
        }
    }
    if (how == CF_START_FORK) pid = fork_worker(p, s, req[0], resp[1], req[1], resp[0]);
    close(req[0]);
    close(resp[1]);
    if (pid < 0) {
        close(req[1]);
        close(resp[0]);
        return pid;
    }
    atomic_store(&p->ex.started_by, how);
    s->pid = pid;
    s->wfd = req[1];
    s->rfd = resp[0];
    s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec */
    /* The manager's ends never block it; the worker's ends do block. */
    if (fcntl(s->wfd, F_SETFL, O_NONBLOCK) < 0 || fcntl(s->rfd, F_SETFL, O_NONBLOCK) < 0) {
        int err = -errno;
        cf__slot_end(s);
        return err;
    }
    if (fcntl(s->wfd, F_SETPIPE_SZ, 1 << 18) < 0) {
        /* best effort: a bigger pipe only means fewer wake-ups */
    }
    s->state = SLOT_WORKING;
    s->rfd_eof = 0;
    s->jobs.head = s->jobs.tail = NULL;
    s->inflight = s->sent = 0;
    s->wbuf.len = s->wbuf.off = s->rbuf.len = s->rbuf.off = 0;
    return 0;
}

/* Fails every unfinished future, kills and reaps every worker. */
void cf__pool_break(ppool *p, const char *why) {
    if (!p->brokenmsg[0]) snprintf(p->brokenmsg, sizeof p->brokenmsg, "%s", why);
    pthread_mutex_lock(&p->mu);
    p->broken = 1;
    cf_fifo q = cf__fifo_take(&p->queue);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        cf__slot_end(s);
        cf__fifo_fail(&s->jobs, CF_EBROKEN, p->brokenmsg);
        s->inflight = 0;
    }
    cf__fifo_fail(&q, CF_EBROKEN, p->brokenmsg);
}
