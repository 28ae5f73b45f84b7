/* process_pool.c -- the process pool executor: forked workers, one manager
 * thread, and a claim word in shared memory for every job.
 *
 * How a call flows:
 *
 *   cf_submit ─► queue ─► manager: dispatch ─► request pipe ─► worker: claim
 *                (mu)     word[seq] = QUEUED                   CAS QUEUED→RUNNING,
 *                                                              run, or skip if it lost
 *   future done ◄─ manager: read_results ◄─ result pipe ◄─ RESULT / SKIPPED
 *   worker gone ◄─ manager: the worker's pidfd became readable
 *
 * Claims. Each job (a submit, or one map chunk) sent to a worker gets a
 * sequence number and a word in memory shared with the workers (mapped
 * before the first fork). The word reads (seq, QUEUED) until the worker
 * swaps it to (seq, RUNNING) just before it runs the job. cf_future_cancel
 * tries the same swap to (seq, CANCELLED): whoever wins decides. So a
 * future is RUNNING only once a worker has really started it, and cancel
 * works on everything else, even work already in a worker's pipe; the
 * worker skips what it lost. The manager takes work back the same way
 * (REVOKED) to hand it to an idle worker, so a job never waits behind a
 * long one while another worker is idle.
 *
 * Batching. A worker may hold several jobs at once when tasks are short
 * (its window follows the measured time per job; 1 for long tasks), the
 * manager writes each worker's jobs with one write, spreading a batch
 * round-robin, and a worker answers a run of short jobs with one write
 * (held at most FLUSH_NS, and never while it starts a long job). That is
 * what makes a tiny task cost about a microsecond, not two context
 * switches.
 *
 * Lifecycle. cf__process_new maps the shared words and starts the manager,
 * which starts every worker: with CF_START_FORK it forks them itself, so
 * PR_SET_PDEATHSIG (which follows the forking thread) ends the workers
 * with the pool or the process; with CF_START_FORKSERVER it asks the fork
 * server (forkserver.c), handing it the pipes and the shared words as a
 * memfd, and the workers end with the server, which ends with the process.
 * Shutdown lets the queue drain, then sends each worker STOP and reaps it.
 * Worker deaths are seen on the worker's pidfd (from the fork server: on
 * the status pipe it writes the wait status to), never on a pipe's end of
 * file, and every descriptor is close-on-exec: a helper a task started, or
 * a fork elsewhere in the program, can hold a pipe open without holding
 * the pool up. The worker's own loop is worker.c.
 *
 * Locks. `mu` guards the queue and the flags; it is never held across a
 * system call other than the eventfd write, nor while a future's callbacks
 * run. Lock order: mu -> future mu. Slots belong to the manager thread.
 * The shared words are atomics: the manager writes QUEUED, then a worker
 * (RUNNING), cancel (CANCELLED) or the manager (REVOKED) moves it once.
 *
 * Failures. A worker that dies (signal, exit, crash) breaks the pool as
 * Python's BrokenProcessPool: every unfinished future fails with CF_EBROKEN
 * and a message naming the pid and the signal or exit status, the other
 * workers are killed and every one is reaped. A worker that exits because
 * it reached max_tasks_per_child is replaced. Each worker publishes the
 * start of the item it is running (none during its initializer); an item
 * that runs past task_timeout fails with CF_ETIMEDOUT, its worker is killed
 * and replaced, and what it had not started is sent again.
 *
 * Fork safety: see worker.c. A forked child gets a snapshot of the task
 * registry taken before the fork, and never touches a lock of this library.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "forkserver.h"
#include "wire.h"
#include "worker.h"

#define TARGET_BATCH_NS 200000 /* keep ~200 µs of work queued per worker */
#define MAX_WINDOW 256
#define STEAL_NS 1000000 /* take work back from a job running this long */

enum slot_state {
    SLOT_EMPTY,    /* no process */
    SLOT_WORKING,  /* takes jobs */
    SLOT_DRAINING, /* sent its last job (max_tasks_per_child): exits after */
};

typedef struct pslot {
    int index;
    enum slot_state state;
    pid_t pid;
    int wfd, rfd, pidfd; /* pidfd -1: the kernel has none; EOF tells */
    int stfd;            /* from the fork server: its exit status comes here */
    int rfd_eof;         /* the result pipe ended before the process did */
    cf_fifo jobs;        /* sent, not answered, in seq order */
    int inflight;
    int sent;      /* jobs sent to this process */
    double svc_ns; /* recent time per job in the worker */
    cf_buf wbuf, rbuf;
} pslot;

typedef struct ppool {
    cf_executor ex;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* the manager started, or did what was asked */
    /* Guarded by mu. */
    cf_fifo queue; /* submitted, not yet sent */
    int shutdown;
    int broken;
    int started, start_err, start_errno;
    int sleeping, wake_pending;    /* manager in poll() / eventfd written */
    int cancel_req, signal_req;    /* asked of the manager: cancel what the
                                      workers hold unstarted; send a signal */
    unsigned long asked, answered; /* requests made / carried out */
    int ended;                     /* the manager returned */
    /* Set before the manager starts, then read-only. */
    int efd;
    pthread_t mgr;
    pslot *slots;
    int n;
    pid_t parent;
    cf_wshared *ws;          /* n of them, then the words */
    _Atomic(uint64_t) *word; /* nwords claim words */
    uint64_t mask;           /* nwords - 1 */
    size_t shm_len;
    int shmfd; /* CF_START_FORKSERVER: the memfd of ws; else -1 */
    /* Manager thread only. */
    uint64_t next_seq;
    const cf_task **tasks; /* registry snapshot for the children */
    uint32_t ntasks;
    char brokenmsg[256];
    /* Serialises joining the manager. */
    pthread_mutex_t join_mu;
    int joined; /* guarded by join_mu */
} ppool;

static uint64_t job_seq(const cf_future *f) {
    return CF_CLAIM_SEQ(f->queued);
}

/* Takes a job back from a worker that has not claimed it; 1 if won. */
static int take_back(cf_future *f) {
    return cf__future_revoke(f, CF_CLAIM(job_seq(f), CF_CLAIM_REVOKED));
}

/* ---- the manager: workers --------------------------------------------- */

static void snapshot_tasks(ppool *p) {
    uint32_t n = cf__task_count();
    const cf_task **t = realloc(p->tasks, (n ? n : 1) * sizeof *t);
    if (!t) return; /* keep the old snapshot */
    for (uint32_t i = 0; i < n; i++)
        t[i] = cf__task_by_id(i);
    p->tasks = t;
    p->ntasks = n;
}

/* The descriptor that becomes readable when the slot's process ended:
 * its pidfd, or from the fork server its status pipe; -1: none (the
 * result pipe's end of file tells). */
static int exit_fd(const pslot *s) {
    return s->stfd >= 0 ? s->stfd : s->pidfd;
}

/* Signals the slot's process. A fork-server worker is not our child: its
 * pid may be reaped and reused before we hear, so its pidfd is used. */
static void slot_kill(const pslot *s, int sig) {
    if (s->pid <= 0) return;
    if (s->stfd >= 0 && s->pidfd >= 0) {
        if (syscall(SYS_pidfd_send_signal, s->pidfd, sig, NULL, 0) == 0 || errno == ESRCH) return;
    }
    kill(s->pid, sig);
}

/* Waits for the slot's process to end; its wait status, or -1 if its fork
 * server ended without telling. */
static int slot_reap(const pslot *s) {
    int32_t status = 0;
    if (s->stfd >= 0) {
        ssize_t r;
        while ((r = read(s->stfd, &status, sizeof status)) < 0 && errno == EINTR) {
        }
        return r == sizeof status ? status : -1;
    }
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void close_slot(pslot *s) {
    close_fd(&s->wfd);
    close_fd(&s->rfd);
    close_fd(&s->pidfd);
    close_fd(&s->stfd);
    s->state = SLOT_EMPTY;
    s->pid = 0;
}

/* Kills the slot's process (if any), waits for it and closes the slot. */
static void slot_end(pslot *s) {
    if (s->pid > 0) {
        slot_kill(s, SIGKILL);
        slot_reap(s);
    }
    close_slot(s);
}

/* Forks the worker here; its pid, or -1. */
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
    return pid;
}

/* Has the fork server fork the worker; its pid, or -1 (errno set). */
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
    if (e) {
        if (e != CF_ESYS) errno = e == CF_ENOMEM ? ENOMEM : E2BIG;
        return -1;
    }
    return pid;
}

static int spawn(ppool *p, pslot *s) {
    int req[2], resp[2];
    if (pipe2(req, O_CLOEXEC) < 0) return CF_ESYS;
    if (pipe2(resp, O_CLOEXEC) < 0) {
        close(req[0]);
        close(req[1]);
        return CF_ESYS;
    }
    atomic_store(&p->ws[s->index].start, 0);
    atomic_store(&p->ws[s->index].ready, 0);
    pid_t pid = p->shmfd >= 0 ? serve_worker(p, s, req[0], resp[1])
                              : fork_worker(p, s, req[0], resp[1], req[1], resp[0]);
    int e = errno;
    close(req[0]);
    close(resp[1]);
    if (pid < 0) {
        close(req[1]);
        close(resp[0]);
        errno = e;
        return CF_ESYS;
    }
    s->pid = pid;
    s->wfd = req[1];
    s->rfd = resp[0];
    s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec */
    /* The manager's ends never block it; the worker's ends do block. */
    if (fcntl(s->wfd, F_SETFL, O_NONBLOCK) < 0 || fcntl(s->rfd, F_SETFL, O_NONBLOCK) < 0) {
        slot_end(s);
        return CF_ESYS;
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

static void describe_exit(char *buf, size_t n, pid_t pid, int status) {
    if (status == -1)
        snprintf(buf, n, "worker process %d died: its fork server ended", (int)pid);
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "worker process %d died: killed by signal %d (%s)", (int)pid,
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, n, "worker process %d died: exited with status %d", (int)pid,
                 WEXITSTATUS(status));
    else
        snprintf(buf, n, "worker process %d died", (int)pid);
}

/* Fails every unfinished future, kills and reaps every worker. */
static void break_pool(ppool *p, const char *why) {
    if (!p->brokenmsg[0]) snprintf(p->brokenmsg, sizeof p->brokenmsg, "%s", why);
    pthread_mutex_lock(&p->mu);
    p->broken = 1;
    cf_fifo q = cf__fifo_take(&p->queue);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        slot_end(s);
        cf_future *f;
        while ((f = cf__fifo_pop(&s->jobs))) {
            cf__future_finish(f, CF_EBROKEN, p->brokenmsg);
            cf__future_unref(f);
        }
        s->inflight = 0;
    }
    cf_future *f;
    while ((f = cf__fifo_pop(&q))) {
        cf__future_finish(f, CF_EBROKEN, p->brokenmsg);
        cf__future_unref(f);
    }
}

/* ---- the manager: jobs ------------------------------------------------ */

/* How many jobs a worker may hold: ~TARGET_BATCH_NS of work at its recent
 * time per job, plus 1 µs per job for the hand-off itself (an estimate of
 * 5 µs here held no-op tasks to 33 per worker, and the workers slept and
 * were woken every few dozen tasks: process map c=1 took 1.04 µs per task,
 * with 1 µs 0.4-0.7 µs); 1 until a job has come back. */
static int window(const pslot *s) {
    if (s->svc_ns <= 0) return 1;
    double w = TARGET_BATCH_NS / (s->svc_ns + 1000.0);
    if (w < 1) return 1;
    return w > MAX_WINDOW ? MAX_WINDOW : (int)w;
}

/* Slot s is stuck in a long job (or a slow initializer) with more queued
 * behind it: give it nothing more for now, and let others have its queue. */
static int stuck(const ppool *p, const pslot *s, int64_t now) {
    const cf_wshared *w = &p->ws[s->index];
    if (s->inflight == 0) return 0;
    if (!atomic_load_explicit(&w->ready, memory_order_acquire)) return 1;
    int64_t start = atomic_load_explicit(&w->start, memory_order_acquire);
    return start && now - start >= STEAL_NS;
}

static int room(const ppool *p, const pslot *s, int64_t now) {
    if (s->state != SLOT_WORKING || stuck(p, s, now)) return 0;
    return window(s) - s->inflight;
}

/* The next sequence number whose word no job waits on: a word still
 * QUEUED for an older job (one left in a busy worker's pipe while
 * millions passed) is never overwritten. */
static uint64_t next_free_seq(ppool *p) {
    for (;;) {
        uint64_t seq = p->next_seq++;
        uint64_t v = atomic_load_explicit(&p->word[seq & p->mask], memory_order_acquire);
        if (v == 0 || CF_CLAIM_STATE(v) != CF_CLAIM_QUEUED) return seq;
    }
}

/* Sends f to slot s; f goes on the slot's list, or is dropped (cancelled
 * meanwhile) or failed (out of memory). */
static void send_job(ppool *p, pslot *s, cf_future *f) {
    uint64_t seq = next_free_seq(p);
    _Atomic(uint64_t) *w = &p->word[seq & p->mask];
    atomic_store_explicit(w, CF_CLAIM(seq, CF_CLAIM_QUEUED), memory_order_release);
    if (!cf__future_attach_claim(f, w, CF_CLAIM(seq, CF_CLAIM_QUEUED), s->index)) {
        cf__future_unref(f); /* cancelled meanwhile */
        return;
    }
    if (cf__wire_put_task(&s->wbuf, f, seq)) {
        cf__future_fail_items(f, CF_ENOMEM, "out of memory sending the task to a worker process");
        cf__future_unref(f);
        return;
    }
    cf__fifo_push(&s->jobs, f);
    s->inflight++;
    int max = p->ex.opts.max_tasks_per_child;
    if (max && ++s->sent >= max) s->state = SLOT_DRAINING;
}

/* Puts futures back at the front of the queue, ahead of everything
 * submitted since, in their order. */
static void requeue_front(ppool *p, cf_fifo *list) {
    if (!list->head) return;
    pthread_mutex_lock(&p->mu);
    cf__fifo_prepend(&p->queue, list);
    pthread_mutex_unlock(&p->mu);
}

/* Moves queued futures into slots with room, round-robin. */
static void dispatch(ppool *p, int64_t now) {
    int total = 0;
    for (int i = 0; i < p->n; i++) {
        int r = room(p, &p->slots[i], now);
        total += r > 0 ? r : 0;
    }
    if (!total) return;
    cf_fifo batch = {NULL, NULL};
    pthread_mutex_lock(&p->mu);
    for (int k = 0; k < total && p->queue.head; k++)
        cf__fifo_push(&batch, cf__fifo_pop(&p->queue));
    pthread_mutex_unlock(&p->mu);
    /* Idle workers first, one job each: a job never waits behind another
     * while a worker has nothing. Then round-robin. */
    for (int i = 0; i < p->n && batch.head; i++)
        if (p->slots[i].inflight == 0 && room(p, &p->slots[i], now) > 0)
            send_job(p, &p->slots[i], cf__fifo_pop(&batch));
    while (batch.head) {
        int sent = 0;
        for (int i = 0; i < p->n && batch.head; i++) {
            pslot *s = &p->slots[i];
            if (room(p, s, now) <= 0) continue;
            send_job(p, s, cf__fifo_pop(&batch));
            sent = 1;
        }
        if (!sent) break; /* a slot filled up (max_tasks_per_child) */
    }
    requeue_front(p, &batch);
}

/* Takes back, from workers busy with a long job (or a slow initializer),
 * the jobs they have not started, when another worker is idle and the
 * queue is empty: the idle ones get them at the next dispatch. */
static int rebalance(ppool *p, int64_t now) {
    int idle = 0;
    for (int i = 0; i < p->n; i++)
        idle += p->slots[i].state == SLOT_WORKING && p->slots[i].inflight == 0;
    if (!idle) return 0;
    pthread_mutex_lock(&p->mu);
    int queued = p->queue.head != NULL;
    pthread_mutex_unlock(&p->mu);
    if (queued) return 0;
    cf_fifo back = {NULL, NULL};
    int waiting = 0; /* a victim that is not slow enough yet */
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        if (s->inflight < 2 || s->pid <= 0) continue;
        if (!stuck(p, s, now)) {
            waiting = 1;
            continue;
        }
        cf_fifo keep = {NULL, NULL};
        cf_future *f;
        while ((f = cf__fifo_pop(&s->jobs))) {
            if (take_back(f)) {
                s->inflight--;
                cf__fifo_push(&back, f);
            } else {
                cf__fifo_push(&keep, f);
            }
        }
        s->jobs = keep;
    }
    requeue_front(p, &back);
    return waiting;
}

/* Writes what it can of each slot's buffer. */
static void flush_slots(ppool *p) {
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        while (s->wfd >= 0 && s->wbuf.len > s->wbuf.off) {
            ssize_t w = write(s->wfd, s->wbuf.p + s->wbuf.off, s->wbuf.len - s->wbuf.off);
            if (w < 0) {
                if (errno == EINTR) continue;
                break; /* EAGAIN: poll for POLLOUT; EPIPE: its death shows soon */
            }
            s->wbuf.off += (size_t)w;
        }
        if (s->wbuf.off == s->wbuf.len) s->wbuf.off = s->wbuf.len = 0;
    }
}

/* Completes the slot's head job from its RESULT message. */
static int complete_head(pslot *s, const cf_wire_hdr *h, const unsigned char *pl) {
    cf_future *f = s->jobs.head;
    int64_t took = 0;
    if (!f || job_seq(f) != h->seq) return -1;
    int outcome = cf__wire_take_result(f, h, pl, &took);
    if (outcome < 0 && outcome != CF_ETASK) return -1;
    s->svc_ns = s->svc_ns > 0 ? 0.8 * s->svc_ns + 0.2 * (double)took : (double)took;
    cf__fifo_pop(&s->jobs);
    s->inflight--;
    cf__future_finish(f, outcome, NULL);
    cf__future_unref(f);
    return 0;
}

/* The worker skipped a job: cancelled (drop it), or taken back earlier
 * (then it is no longer on the list: nothing to do). */
static void skipped(ppool *p, pslot *s, uint64_t seq) {
    cf_future *f = s->jobs.head;
    if (!f || job_seq(f) != seq) return;
    cf__fifo_pop(&s->jobs);
    s->inflight--;
    if (cf_future_done(f)) {
        cf__future_unref(f);
        return;
    }
    cf__future_detach_claim(f); /* not ours to judge: run it again */
    cf_fifo one = {NULL, NULL};
    cf__fifo_push(&one, f);
    requeue_front(p, &one);
}

/* Handles one message from a worker; -1 if it makes no sense. */
static int on_message(ppool *p, pslot *s, const cf_wire_hdr *h, const unsigned char *pl) {
    char why[96];
    switch (h->type) {
    case CF_MSG_RESULT: return complete_head(s, h, pl);
    case CF_MSG_SKIPPED: skipped(p, s, h->seq); return 0;
    case CF_MSG_INIT_FAILED:
        snprintf(why, sizeof why, "initializer failed in worker process %d", (int)s->pid);
        break_pool(p, why);
        return 0;
    }
    return -1;
}

/* Reads and handles everything a slot has sent; returns -1 on EOF. */
static int read_slot(ppool *p, pslot *s) {
    for (;;) {
        unsigned char *q = cf__buf_room(&s->rbuf, 65536);
        if (!q) {
            break_pool(p, "out of memory reading results");
            return 0;
        }
        ssize_t r = read(s->rfd, q, s->rbuf.cap - s->rbuf.len);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            return -1;
        }
        if (r == 0) return -1;
        s->rbuf.len += (size_t)r;
        for (;;) {
            cf_wire_hdr h;
            size_t m = cf__wire_frame(s->rbuf.p + s->rbuf.off, s->rbuf.len - s->rbuf.off, &h);
            if (m == 0) break;
            const unsigned char *pl = s->rbuf.p + s->rbuf.off + sizeof h;
            if (m == (size_t)-1 || on_message(p, s, &h, pl)) {
                char why[96];
                snprintf(why, sizeof why, "malformed message from worker process %d", (int)s->pid);
                break_pool(p, why);
                return 0;
            }
            if (p->broken) return 0;
            s->rbuf.off += m;
        }
        if (s->rbuf.off == s->rbuf.len) s->rbuf.off = s->rbuf.len = 0;
    }
}

/* A slot's process ended (its pidfd, or without one its pipe's EOF): a
 * planned exit is replaced, anything else breaks the pool. */
static void slot_ended(ppool *p, pslot *s) {
    pid_t pid = s->pid;
    if (read_slot(p, s) == 0 && p->broken) return; /* what it said last */
    int planned = s->state == SLOT_DRAINING && s->inflight == 0;
    if (!planned || exit_fd(s) < 0) slot_kill(s, SIGKILL); /* EOF alone proves no exit */
    int status = slot_reap(s);
    close_slot(s);
    if (planned && WIFEXITED(status) && WEXITSTATUS(status) == CF_WX_STOPPED) {
        if (spawn(p, s) == 0) return;
        break_pool(p, "could not start a replacement worker process");
        return;
    }
    char why[160];
    describe_exit(why, sizeof why, pid, status);
    break_pool(p, why);
}

/* Kills a worker whose current item ran past task_timeout, fails that job,
 * sends the rest again and starts a replacement. */
static void check_timeouts(ppool *p, int64_t now) {
    int64_t limit = p->ex.task_timeout_ns;
    if (!limit) return;
    for (int i = 0; i < p->n && !p->broken; i++) {
        pslot *s = &p->slots[i];
        int64_t start = atomic_load_explicit(&p->ws[i].start, memory_order_acquire);
        if (s->pid <= 0 || !start || now - start < limit) continue;
        pid_t pid = s->pid;
        slot_kill(s, SIGKILL);
        slot_reap(s);
        if (read_slot(p, s) == 0 && p->broken) return; /* answers sent before */
        char why[160];
        snprintf(why, sizeof why,
                 "task ran longer than %g s: worker process %d was killed and replaced",
                 p->ex.opts.task_timeout, (int)pid);
        cf_fifo back = {NULL, NULL};
        cf_future *f;
        while ((f = cf__fifo_pop(&s->jobs))) {
            if (take_back(f)) { /* never started: first in line again */
                cf__fifo_push(&back, f);
                continue;
            }
            if (!cf_future_done(f)) cf__future_finish(f, CF_ETIMEDOUT, why);
            cf__future_unref(f);
        }
        close_slot(s);
        s->inflight = 0;
        requeue_front(p, &back);
        if (spawn(p, s)) break_pool(p, "could not start a replacement worker process");
    }
}

/* How long poll() may sleep: until the soonest task_timeout, or a short
 * while if a worker may soon need relieving; -1 for no limit. */
static int poll_timeout_ms(ppool *p, int64_t now, int rebalance_pending) {
    int64_t soonest = rebalance_pending ? now + STEAL_NS : INT64_MAX;
    int64_t limit = p->ex.task_timeout_ns;
    for (int i = 0; limit && i < p->n; i++) {
        if (!p->slots[i].inflight) continue;
        int64_t start = atomic_load_explicit(&p->ws[i].start, memory_order_acquire);
        int64_t at = (start ? start : now) + limit;
        if (at < soonest) soonest = at;
    }
    if (soonest == INT64_MAX) return -1;
    int64_t ms = (soonest - now) / 1000000 + 1;
    return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* Tells every worker to stop, and reaps them. */
static void stop_workers(ppool *p) {
    cf_wire_hdr stop = {CF_WIRE_MAGIC, CF_MSG_STOP, 0, 0, 0, 0};
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        if (s->wfd < 0) continue;
        /* A few bytes: they fit unless the pipe is full of jobs nobody
         * will run (then the worker is killed instead). */
        if (write(s->wfd, &stop, sizeof stop) != (ssize_t)sizeof stop) slot_kill(s, SIGKILL);
    }
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        if (s->pid > 0) slot_reap(s);
        close_slot(s);
    }
}

/* shutdown(cancel_futures) cancels the jobs waiting in the workers' pipes
 * too (they skip them); terminate/kill_workers signals every worker, and
 * the pidfds then report the deaths, which break the pool. Manager only. */
static void carry_out(ppool *p, int cancel, int sig) {
    for (int i = 0; cancel && i < p->n; i++)
        for (cf_future *f = p->slots[i].jobs.head; f; f = f->next)
            cf_future_cancel(f); /* loses to a worker that claimed it */
    for (int i = 0; sig && i < p->n; i++)
        slot_kill(&p->slots[i], sig);
}

static void answer_requests(ppool *p) {
    pthread_mutex_lock(&p->mu);
    int cancel = p->cancel_req, sig = p->signal_req;
    unsigned long asked = p->asked;
    p->cancel_req = p->signal_req = 0;
    pthread_mutex_unlock(&p->mu);
    if (asked == p->answered) return; /* read unlocked: only we write it */
    carry_out(p, cancel, sig);
    pthread_mutex_lock(&p->mu);
    p->answered = asked;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void *manager(void *arg) {
    ppool *p = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to other threads */
    cf__manager_of = &p->ex;
    pthread_setname_np(pthread_self(), "cf-manager");
    int err = 0, spawned = 0;
    for (; spawned < p->n && !err; spawned++)
        err = spawn(p, &p->slots[spawned]);
    struct pollfd *pfd = err ? NULL : calloc(3 * (size_t)p->n + 1, sizeof *pfd);
    if (!err && !pfd) err = CF_ENOMEM;
    int e = errno;
    pthread_mutex_lock(&p->mu);
    p->started = 1;
    p->start_err = err;
    p->start_errno = err ? e : 0;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (err) {
        for (int i = 0; i < p->n; i++)
            slot_end(&p->slots[i]);
        return NULL;
    }
    for (;;) {
        answer_requests(p);
        int64_t now = cf_now_ns();
        int pending = rebalance(p, now);
        dispatch(p, now);
        flush_slots(p);

        int busy = 0, free_room = 0;
        for (int i = 0; i < p->n; i++) {
            busy |= p->slots[i].inflight > 0;
            free_room |= room(p, &p->slots[i], now) > 0;
        }
        pthread_mutex_lock(&p->mu);
        int stop = p->broken || (p->shutdown && !p->queue.head && !busy);
        int work = p->queue.head != NULL && free_room;
        /* Ask to be woken for new work only when we could take it. */
        p->sleeping = !work && !stop && (free_room || !p->queue.head);
        int asked = p->asked != p->answered;
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
        if (work || asked) continue;

        pfd[0] = (struct pollfd){.fd = p->efd, .events = POLLIN};
        for (int i = 0; i < p->n; i++) {
            pslot *s = &p->slots[i];
            int out = s->wbuf.len > s->wbuf.off && s->wfd >= 0;
            pfd[1 + 3 * i] = (struct pollfd){.fd = s->rfd_eof ? -1 : s->rfd, .events = POLLIN};
            pfd[2 + 3 * i] = (struct pollfd){.fd = out ? s->wfd : -1, .events = POLLOUT};
            pfd[3 + 3 * i] = (struct pollfd){.fd = exit_fd(s), .events = POLLIN};
        }
        int r = poll(pfd, (nfds_t)(3 * p->n + 1), poll_timeout_ms(p, now, pending));
        pthread_mutex_lock(&p->mu);
        p->sleeping = 0;
        p->wake_pending = 0;
        pthread_mutex_unlock(&p->mu);
        if (r > 0 && (pfd[0].revents & POLLIN)) {
            uint64_t v;
            if (read(p->efd, &v, sizeof v) < 0 && errno != EAGAIN) {
            }
        }
        if (r < 0 && errno != EINTR) {
            break_pool(p, "poll failed in the pool manager");
            break;
        }
        for (int i = 0; r > 0 && i < p->n && !p->broken; i++) {
            pslot *s = &p->slots[i];
            if (s->pid <= 0) continue;
            int eof = 0;
            if (pfd[1 + 3 * i].revents & (POLLIN | POLLHUP | POLLERR)) eof = read_slot(p, s) < 0;
            if (p->broken) break;
            s->rfd_eof |= eof; /* a task closed fd 4, or it is dying */
            /* With a pidfd, only the process's own exit counts: a pipe
             * end held by a stranger neither hides nor fakes one. */
            int gone = (pfd[3 + 3 * i].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
            if (exit_fd(s) >= 0 ? gone : eof) slot_ended(p, s);
        }
        if (!p->broken) check_timeouts(p, cf_now_ns());
    }
    free(pfd);
    answer_requests(p);
    if (!p->broken) stop_workers(p);
    pthread_mutex_lock(&p->mu);
    p->ended = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- the executor ops ------------------------------------------------- */

static void wake_manager(ppool *p) {
    uint64_t one = 1;
    if (write(p->efd, &one, sizeof one) < 0) {
    } /* full: it is awake anyway */
}

static int pp_submit(cf_executor *ex, cf_future *f) {
    ppool *p = (ppool *)ex;
    int r = 0, wake = 0;
    pthread_mutex_lock(&p->mu);
    if (p->broken) {
        r = CF_EBROKEN;
    } else if (p->shutdown) {
        r = CF_ESHUTDOWN;
    } else {
        cf__fifo_push(&p->queue, f);
        if (p->sleeping && !p->wake_pending) wake = p->wake_pending = 1;
    }
    pthread_mutex_unlock(&p->mu);
    if (wake) wake_manager(p);
    return r;
}

static void join_manager(ppool *p) {
    pthread_mutex_lock(&p->join_mu);
    if (!p->joined) {
        pthread_join(p->mgr, NULL);
        p->joined = 1;
    }
    pthread_mutex_unlock(&p->join_mu);
}

/* Asks the manager to cancel what the workers hold unstarted and/or to
 * signal them, and waits until it has (at once if we are the manager). */
static void ask_manager(ppool *p, int cancel, int sig) {
    if (cf__manager_of == &p->ex) { /* a done callback, on the manager */
        carry_out(p, cancel, sig);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->cancel_req |= cancel;
    if (sig) p->signal_req = sig;
    unsigned long mine = ++p->asked;
    pthread_mutex_unlock(&p->mu);
    wake_manager(p);
    pthread_mutex_lock(&p->mu);
    while (p->answered < mine && !p->ended)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static int pp_shutdown(cf_executor *ex, int wait, int cancel) {
    ppool *p = (ppool *)ex;
    cf_fifo q = {NULL, NULL};
    pthread_mutex_lock(&p->mu);
    p->shutdown = 1;
    if (cancel) q = cf__fifo_take(&p->queue);
    pthread_mutex_unlock(&p->mu);
    cf_future *f;
    while ((f = cf__fifo_pop(&q))) { /* queued work never started */
        cf_future_cancel(f);
        cf__future_unref(f);
    }
    if (cancel)
        ask_manager(p, 1, 0);
    else
        wake_manager(p);
    if (wait) join_manager(p);
    return 0;
}

static int pp_signal_workers(cf_executor *ex, int sig) {
    ppool *p = (ppool *)ex;
    pp_shutdown(ex, 0, 1);
    ask_manager(p, 0, sig);
    return 0;
}

static void pp_destroy(cf_executor *ex) {
    ppool *p = (ppool *)ex;
    for (int i = 0; i < p->n; i++) {
        cf__buf_free(&p->slots[i].wbuf);
        cf__buf_free(&p->slots[i].rbuf);
    }
    close(p->efd);
    if (p->shmfd >= 0) close(p->shmfd);
    munmap(p->ws, p->shm_len);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->join_mu);
    pthread_cond_destroy(&p->cv);
    free(p->tasks);
    free(p->slots);
    free(p);
}

static const cf_ops pp_ops = {.submit = pp_submit,
                              .shutdown = pp_shutdown,
                              .destroy = pp_destroy,
                              .signal_workers = pp_signal_workers};

int cf__process_new(const cf_options *o, cf_executor **out) {
    ppool *p = calloc(1, sizeof *p);
    if (!p) return CF_ENOMEM;
    cf__executor_init(&p->ex, CF_PROCESS, o->max_workers, o, &pp_ops);
    p->n = o->max_workers;
    p->parent = getpid();
    p->next_seq = 1;
    p->efd = p->shmfd = -1;
    int err = CF_ENOMEM, saved = 0;
    p->slots = calloc((size_t)p->n, sizeof *p->slots);
    if (!p->slots) goto fail_p;
    for (int i = 0; i < p->n; i++) {
        p->slots[i].index = i;
        p->slots[i].wfd = p->slots[i].rfd = p->slots[i].pidfd = p->slots[i].stfd = -1;
    }
    /* Room for every job that can be in flight, twice over. */
    size_t nwords = 1024;
    while (nwords < 2 * (size_t)p->n * MAX_WINDOW)
        nwords *= 2;
    p->mask = nwords - 1;
    p->shm_len = cf__shm_size(p->n, nwords);
    /* Workers forked here inherit the mapping; the fork server's map the
     * same memory from a memfd. */
    void *shm = MAP_FAILED;
    err = CF_ESYS;
    if (o->start_method == CF_START_FORKSERVER) {
        p->shmfd = memfd_create("cf-pool", MFD_CLOEXEC);
        if (p->shmfd < 0 || ftruncate(p->shmfd, (off_t)p->shm_len) < 0) goto fail_memfd;
        shm = mmap(NULL, p->shm_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->shmfd, 0);
    } else {
        shm = mmap(NULL, p->shm_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    }
    if (shm == MAP_FAILED) goto fail_memfd;
    p->ws = shm;
    p->word = cf__shm_words(shm, p->n);
    p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->efd < 0) goto fail_shm;
    if (pthread_mutex_init(&p->mu, NULL)) goto fail_efd;
    if (pthread_mutex_init(&p->join_mu, NULL)) goto fail_mu;
    if (pthread_cond_init(&p->cv, NULL)) goto fail_join_mu;
    if (pthread_create(&p->mgr, NULL, manager, p)) goto fail_cv;
    pthread_mutex_lock(&p->mu);
    while (!p->started)
        pthread_cond_wait(&p->cv, &p->mu);
    err = p->start_err;
    saved = p->start_errno; /* the manager's errno, not ours */
    pthread_mutex_unlock(&p->mu);
    if (err) {
        pthread_join(p->mgr, NULL);
        goto fail_cv;
    }
    *out = &p->ex;
    return 0;
fail_cv: /* CF_ESYS promises the failing call's errno: keep the first */
    if (!saved) saved = errno;
    pthread_cond_destroy(&p->cv);
fail_join_mu:
    if (!saved) saved = errno;
    pthread_mutex_destroy(&p->join_mu);
fail_mu:
    if (!saved) saved = errno;
    pthread_mutex_destroy(&p->mu);
fail_efd:
    if (!saved) saved = errno;
    close(p->efd);
fail_shm:
    if (!saved) saved = errno;
    munmap(shm, p->shm_len);
fail_memfd:
    if (!saved) saved = errno;
    if (p->shmfd >= 0) close(p->shmfd);
    for (int i = 0; i < p->n; i++) {
        cf__buf_free(&p->slots[i].wbuf);
        cf__buf_free(&p->slots[i].rbuf);
    }
    free(p->slots);
    free(p->tasks);
fail_p:
    free(p);
    if (err == CF_ESYS) errno = saved;
    return err;
}
