/* process_pool.c -- the process pool executor: forked workers fed through
 * pipes by one manager thread.
 *
 * Lifecycle: cf__process_new starts the manager thread, which forks every
 * worker (all forks happen there, so PR_SET_PDEATHSIG, which follows the
 * forking thread, ends the workers with the pool or the process). Each
 * worker slot has its own request pipe and result pipe. Submit only queues
 * a future and, if the manager sleeps in poll(), wakes it through an
 * eventfd. The manager moves queued futures into slots (a future is RUNNING
 * from then on, as in Python), writes the messages, reads results, and
 * completes futures in submission order per slot. Shutdown lets the queue
 * drain, then closes the request pipes: workers read EOF and exit; the
 * manager reaps them and ends.
 *
 * Batching: a slot takes several messages at once when tasks are short (the
 * window follows the workers' measured time per message, 1 for long tasks
 * so that they spread evenly); the manager writes all of a slot's messages
 * with one write, and a worker answers a batch with one write too, unless
 * an answer has waited for 50 µs. That is what makes a tiny task cost about
 * a microsecond rather than two context switches.
 *
 * Locks: `mu` guards the queue and flags; it is never held across a system
 * call other than the eventfd write, nor while a future's callbacks run.
 * Lock order: mu -> future mu. Slots belong to the manager thread alone.
 *
 * Failures: a worker that dies (signal, exit, crash) breaks the pool as
 * Python's BrokenProcessPool: every unfinished future fails with CF_EBROKEN
 * and a message naming the pid and the signal or exit status, the other
 * workers are killed and every one is reaped. A worker that exits because
 * it reached max_tasks_per_child, with nothing in flight, is replaced. A
 * task that runs past task_timeout fails with CF_ETIMEDOUT; its worker is
 * killed and replaced, and what was queued behind it is sent again.
 *
 * Fork safety: the child never touches a lock of this library (it uses a
 * snapshot of the task registry taken before the fork), resets signal
 * handlers and mask, ignores SIGINT (the parent decides when to stop), and
 * closes every descriptor but stdio and its two pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "wire.h"

#define TARGET_BATCH_NS 200000 /* keep ~200 µs of work queued per worker */
#define MAX_WINDOW 256
#define FLUSH_NS 50000 /* a worker holds answers back at most this long */

typedef struct pslot {
    int index;
    pid_t pid; /* 0: no process */
    int wfd, rfd;
    cf_future *head, *tail; /* in flight, in the order sent */
    int inflight;
    int sent;           /* messages sent to this process */
    int draining;       /* it will exit after max_tasks_per_child */
    int64_t head_since; /* when the head message began, roughly */
    double svc_ns;      /* recent time per message in the worker */
    cf_buf wbuf, rbuf;
} pslot;

typedef struct ppool {
    cf_executor ex;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* the manager's start-up */
    /* Guarded by mu. */
    cf_future *head, *tail; /* queued, not yet in a slot */
    int shutdown;
    int broken;
    int started, start_err;
    int sleeping, wake_pending; /* manager in poll() / eventfd written */
    int has_room;               /* manager may take more now */
    /* Set before the manager starts, then read-only. */
    int efd;
    pthread_t mgr;
    pslot *slots;
    int n;
    pid_t parent;
    /* Manager thread only. */
    const cf_task **tasks; /* registry snapshot for the children */
    uint32_t ntasks;
    char brokenmsg[256];
    /* Serialises joining the manager. */
    pthread_mutex_t join_mu;
    int joined; /* guarded by join_mu */
} ppool;

/* ---- the worker process ----------------------------------------------- */

static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int append_result(cf_buf *out, const cf_wire_item *it, const void *data, const char *msg) {
    unsigned char *q = cf__buf_room(out, sizeof *it + it->out_len + it->msg_len);
    if (!q) return -1;
    memcpy(q, it, sizeof *it);
    if (it->out_len) memcpy(q + sizeof *it, data, it->out_len);
    if (it->msg_len) memcpy(q + sizeof *it + it->out_len, msg, it->msg_len);
    out->len += sizeof *it + it->out_len + it->msg_len;
    return 0;
}

/* Runs one task message, appending its result message to `out`. */
static int child_run(ppool *p, const cf_wire_hdr *h, const unsigned char *pl, cf_buf *out) {
    const cf_task *task = h->task < p->ntasks ? p->tasks[h->task] : NULL;
    size_t hdr_at = out->len;
    cf_wire_hdr rh = {CF_WIRE_MAGIC, CF_MSG_RESULT, h->nitems, h->task, 0};
    if (!cf__buf_room(out, sizeof rh)) return -1;
    out->len += sizeof rh;
    const unsigned char *end = pl + h->bytes;
    unsigned char small[CF_INLINE + 1];
    for (uint32_t i = 0; i < h->nitems; i++) {
        const unsigned char *in;
        uint32_t in_len;
        if (cf__wire_next_input(&pl, end, &in, &in_len)) return -1;
        cf_out o;
        cf__out_init(&o, small, CF_INLINE);
        cf_wire_item it = {0, 0, 0, 0, cf_now_ns(), 0};
        if (task) {
            it.status = task->fn(in, in_len, &o);
        } else {
            it.status = CF_ENOTASK;
            snprintf(o.msg, sizeof o.msg, "task %u is not registered in the worker", h->task);
        }
        it.end = cf_now_ns();
        it.out_len = (uint32_t)o.len;
        it.msg_len = it.status ? (uint32_t)strlen(o.msg) : 0;
        int r = append_result(out, &it, o.data, o.msg);
        cf__out_release(&o);
        if (r) return -1;
    }
    rh.bytes = out->len - hdr_at - sizeof rh;
    memcpy(out->p + hdr_at, &rh, sizeof rh);
    return 0;
}

static void child_setup(int *rfd, int *wfd) {
    sigset_t none;
    sigemptyset(&none);
    for (int s = 1; s < NSIG; s++) {
        struct sigaction sa;
        if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
            sa.sa_handler = SIG_DFL;
            sa.sa_flags = 0;
            sigaction(s, &sa, NULL);
        }
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_DFL);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    /* Keep stdio and our pipes as 3 and 4; close everything else, so that
     * no other pool's pipe stays open here. */
    int a = fcntl(*rfd, F_DUPFD_CLOEXEC, 10), b = fcntl(*wfd, F_DUPFD_CLOEXEC, 10);
    if (a < 0 || b < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0) _exit(121);
    if (close_range(5, ~0U, 0) < 0)
        for (int fd = 5; fd < 1024; fd++)
            close(fd);
    *rfd = 3;
    *wfd = 4;
}

static void __attribute__((noreturn)) child_main(ppool *p, int slot, int rfd, int wfd) {
    static cf_worker me;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != p->parent) _exit(120);
    child_setup(&rfd, &wfd);
    me.index = slot;
    cf__self = &me;
    cf_buf in = {0}, out = {0};
    if (p->ex.opts.initializer && p->ex.opts.initializer(p->ex.opts.initarg)) {
        cf_wire_hdr h = {CF_WIRE_MAGIC, CF_MSG_INIT_FAILED, 0, 0, 0};
        write_all(wfd, (const unsigned char *)&h, sizeof h);
        _exit(1);
    }
    int done = 0, max = p->ex.opts.max_tasks_per_child;
    for (;;) {
        /* Run every complete message we hold, answering in batches. */
        int64_t oldest = 0;
        for (;;) {
            cf_wire_hdr h;
            size_t m = cf__wire_frame(in.p + in.off, in.len - in.off, &h);
            if (m == 0) break;
            if (m == (size_t)-1 || h.type != CF_MSG_TASK) _exit(122);
            if (!oldest) oldest = cf_now_ns();
            if (child_run(p, &h, in.p + in.off + sizeof h, &out)) _exit(123);
            in.off += m;
            done++;
            if ((max && done >= max) || cf_now_ns() - oldest > FLUSH_NS) {
                if (write_all(wfd, out.p, out.len)) _exit(124);
                out.len = 0;
                oldest = 0;
                if (max && done >= max) _exit(0);
            }
        }
        if (out.len) {
            if (write_all(wfd, out.p, out.len)) _exit(124);
            out.len = 0;
        }
        if (in.off == in.len) in.off = in.len = 0;
        unsigned char *q = cf__buf_room(&in, 65536);
        if (!q) _exit(125);
        ssize_t r = read(rfd, q, in.cap - in.len);
        if (r == 0) _exit(0); /* the pool shut down */
        if (r < 0) {
            if (errno == EINTR) continue;
            _exit(126);
        }
        in.len += (size_t)r;
    }
}

/* ---- the manager thread ----------------------------------------------- */

static void snapshot_tasks(ppool *p) {
    uint32_t n = 0;
    while (cf__task_by_id(n))
        n++;
    const cf_task **t = realloc(p->tasks, (n ? n : 1) * sizeof *t);
    if (!t) return; /* keep the old snapshot */
    for (uint32_t i = 0; i < n; i++)
        t[i] = cf__task_by_id(i);
    p->tasks = t;
    p->ntasks = n;
}

static int reap(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

static int spawn(ppool *p, pslot *s) {
    int req[2], resp[2];
    if (pipe2(req, O_CLOEXEC) < 0) return CF_ESYS;
    if (pipe2(resp, O_CLOEXEC) < 0) {
        close(req[0]);
        close(req[1]);
        return CF_ESYS;
    }
    snapshot_tasks(p);
    fflush(NULL); /* or the child could write the parent's buffers again */
    pid_t pid = fork();
    if (pid == 0) {
        close(req[1]);
        close(resp[0]);
        child_main(p, s->index, req[0], resp[1]);
    }
    close(req[0]);
    close(resp[1]);
    if (pid < 0) {
        close(req[1]);
        close(resp[0]);
        return CF_ESYS;
    }
    /* The manager's ends never block it; the worker's ends do block. */
    if (fcntl(req[1], F_SETFL, O_NONBLOCK) < 0 || fcntl(resp[0], F_SETFL, O_NONBLOCK) < 0) {
        kill(pid, SIGKILL);
        reap(pid);
        close(req[1]);
        close(resp[0]);
        return CF_ESYS;
    }
    if (fcntl(req[1], F_SETPIPE_SZ, 1 << 18) < 0) {
        /* best effort: a bigger pipe only means fewer wake-ups */
    }
    s->pid = pid;
    s->wfd = req[1];
    s->rfd = resp[0];
    s->head = s->tail = NULL;
    s->inflight = s->sent = s->draining = 0;
    s->wbuf.len = s->wbuf.off = s->rbuf.len = s->rbuf.off = 0;
    return 0;
}

static void close_slot(pslot *s) {
    if (s->wfd >= 0) close(s->wfd);
    if (s->rfd >= 0) close(s->rfd);
    s->wfd = s->rfd = -1;
}

static void describe_exit(char *buf, size_t n, pid_t pid, int status) {
    if (WIFSIGNALED(status))
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
    cf_future *q = p->head;
    p->head = p->tail = NULL;
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        if (s->pid > 0) {
            kill(s->pid, SIGKILL);
            reap(s->pid);
            s->pid = 0;
        }
        close_slot(s);
        for (cf_future *f = s->head, *next; f; f = next) {
            next = f->next;
            cf__future_finish(f, CF_EBROKEN, p->brokenmsg);
            cf__future_unref(f);
        }
        s->head = s->tail = NULL;
        s->inflight = 0;
    }
    for (cf_future *next; q; q = next) {
        next = q->next;
        cf__future_finish(q, CF_EBROKEN, p->brokenmsg);
        cf__future_unref(q);
    }
}

static int window(const pslot *s) {
    if (s->svc_ns <= 0) return 1;
    double w = TARGET_BATCH_NS / (s->svc_ns + 5000.0);
    if (w < 1) return 1;
    return w > MAX_WINDOW ? MAX_WINDOW : (int)w;
}

/* Encodes f's task message into the slot's write buffer. */
static int encode(pslot *s, cf_future *f) {
    size_t bytes = 0;
    for (size_t i = 0; i < f->nitems; i++)
        bytes += 4 + f->items[i].in_len;
    unsigned char *q = cf__buf_room(&s->wbuf, sizeof(cf_wire_hdr) + bytes);
    if (!q) return CF_ENOMEM;
    cf_wire_hdr h = {CF_WIRE_MAGIC, CF_MSG_TASK, (uint32_t)f->nitems, f->task->id, bytes};
    memcpy(q, &h, sizeof h);
    q += sizeof h;
    for (size_t i = 0; i < f->nitems; i++) {
        uint32_t len = (uint32_t)f->items[i].in_len;
        memcpy(q, &len, 4);
        if (len) memcpy(q + 4, f->items[i].in, len);
        q += 4 + len;
    }
    s->wbuf.len += sizeof(cf_wire_hdr) + bytes;
    return 0;
}

/* Puts a list of futures (linked through next, in order) back at the
 * front of the queue, ahead of everything submitted since. */
static void requeue_front(ppool *p, cf_future *list) {
    if (!list) return;
    cf_future *last = list;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&p->mu);
    last->next = p->head;
    p->head = list;
    if (!p->tail) p->tail = last;
    pthread_mutex_unlock(&p->mu);
}

/* Moves queued futures into slots with room. */
static void dispatch(ppool *p) {
    int64_t now = cf_now_ns();
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        int room = s->pid > 0 && !s->draining ? window(s) - s->inflight : 0;
        if (room <= 0) continue;
        pthread_mutex_lock(&p->mu);
        cf_future *batch = NULL, **tailp = &batch;
        while (room > 0 && p->head) {
            cf_future *f = p->head;
            p->head = f->next;
            if (!p->head) p->tail = NULL;
            f->next = NULL;
            *tailp = f;
            tailp = &f->next;
            room--;
        }
        pthread_mutex_unlock(&p->mu);
        for (cf_future *f = batch, *next; f; f = next) {
            next = f->next;
            f->next = NULL;
            /* A future sent again after a timeout is RUNNING already. */
            if (!cf_future_running(f) && !cf__future_start(f, s->index)) {
                cf__future_unref(f); /* cancelled meanwhile */
                continue;
            }
            if (encode(s, f)) {
                cf__future_finish(f, CF_ENOMEM, "out of memory sending the task");
                cf__future_unref(f);
                continue;
            }
            if (!s->head) s->head_since = now;
            if (s->tail)
                s->tail->next = f;
            else
                s->head = f;
            s->tail = f;
            s->inflight++;
            s->sent++;
            int max = p->ex.opts.max_tasks_per_child;
            if (max && s->sent >= max) {
                s->draining = 1;
                requeue_front(p, next); /* what we took beyond its last message */
                break;
            }
        }
    }
}

/* Writes what it can of each slot's buffer. */
static void flush_slots(ppool *p) {
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        while (s->wfd >= 0 && s->wbuf.len > s->wbuf.off) {
            ssize_t w = write(s->wfd, s->wbuf.p + s->wbuf.off, s->wbuf.len - s->wbuf.off);
            if (w < 0) {
                if (errno == EINTR) continue;
                break; /* EAGAIN: poll for POLLOUT; EPIPE: EOF shows soon */
            }
            s->wbuf.off += (size_t)w;
        }
        if (s->wbuf.off == s->wbuf.len) s->wbuf.off = s->wbuf.len = 0;
    }
}

/* Completes the slot's head future from a result message. */
static int complete_head(ppool *p, pslot *s, const cf_wire_hdr *h, const unsigned char *pl) {
    cf_future *f = s->head;
    if (!f || h->type != CF_MSG_RESULT || h->nitems != f->nitems) return -1;
    const unsigned char *end = pl + h->bytes;
    int outcome = 0;
    int64_t first = 0, last = 0;
    for (size_t i = 0; i < f->nitems; i++) {
        cf_wire_item wi;
        const unsigned char *out, *msg;
        if (cf__wire_next_result(&pl, end, &wi, &out, &msg)) return -1;
        cf_item *it = &f->items[i];
        it->status = wi.status;
        it->start = wi.start;
        it->end = wi.end;
        if (!first) first = wi.start;
        last = wi.end;
        if (cf__item_set_out(f, it, out, wi.out_len)) outcome = CF_ENOMEM;
        if (wi.status) {
            if (!outcome) outcome = CF_ETASK;
            if (wi.msg_len) it->msg = strndup((const char *)msg, wi.msg_len);
        }
    }
    double took = (double)(last - first);
    s->svc_ns = s->svc_ns > 0 ? 0.8 * s->svc_ns + 0.2 * took : took;
    s->head = f->next;
    if (!s->head) s->tail = NULL;
    f->next = NULL;
    s->inflight--;
    s->head_since = cf_now_ns();
    (void)p;
    cf__future_finish(f, outcome, NULL);
    cf__future_unref(f);
    return 0;
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
            if (m != (size_t)-1 && h.type == CF_MSG_INIT_FAILED) {
                char why[96];
                snprintf(why, sizeof why, "initializer failed in worker process %d", (int)s->pid);
                break_pool(p, why);
                return 0;
            }
            if (m == (size_t)-1 || complete_head(p, s, &h, pl)) {
                char why[96];
                snprintf(why, sizeof why, "malformed message from worker process %d", (int)s->pid);
                break_pool(p, why);
                return 0;
            }
            s->rbuf.off += m;
        }
        if (s->rbuf.off == s->rbuf.len) s->rbuf.off = s->rbuf.len = 0;
    }
}

/* A slot's result pipe reached EOF: a planned exit or a death. */
static void slot_ended(ppool *p, pslot *s) {
    pid_t pid = s->pid;
    int planned = s->draining && s->inflight == 0;
    if (!planned) kill(pid, SIGKILL); /* it may only have closed the pipe */
    int status = reap(pid);
    s->pid = 0;
    close_slot(s);
    if (planned && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (spawn(p, s) == 0) return;
        break_pool(p, "could not start a replacement worker process");
        return;
    }
    char why[160];
    describe_exit(why, sizeof why, pid, status);
    break_pool(p, why);
}

/* Kills the worker whose head task ran too long and sends the rest again. */
static void check_timeouts(ppool *p, int64_t now) {
    double limit = p->ex.opts.task_timeout;
    if (limit <= 0) return;
    for (int i = 0; i < p->n && !p->broken; i++) {
        pslot *s = &p->slots[i];
        if (!s->head || s->pid <= 0) continue;
        int64_t max = (int64_t)(limit * 1e9 * (double)s->head->nitems);
        if (now - s->head_since < max) continue;
        cf_future *late = s->head, *rest = late->next;
        kill(s->pid, SIGKILL);
        reap(s->pid);
        char why[160];
        snprintf(why, sizeof why,
                 "task ran longer than %g s: worker process %d was killed and replaced", limit,
                 (int)s->pid);
        s->pid = 0;
        close_slot(s);
        s->head = s->tail = NULL;
        s->inflight = 0;
        late->next = NULL;
        cf__future_finish(late, CF_ETIMEDOUT, why);
        cf__future_unref(late);
        requeue_front(p, rest); /* not started: first in line again */
        if (spawn(p, s)) break_pool(p, "could not start a replacement worker process");
    }
}

static int poll_timeout_ms(ppool *p, int64_t now) {
    double limit = p->ex.opts.task_timeout;
    if (limit <= 0) return -1;
    int64_t soonest = INT64_MAX;
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        if (!s->head) continue;
        int64_t at = s->head_since + (int64_t)(limit * 1e9 * (double)s->head->nitems);
        if (at < soonest) soonest = at;
    }
    if (soonest == INT64_MAX) return -1;
    int64_t ms = (soonest - now) / 1000000 + 1;
    return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

static void stop_workers(ppool *p) {
    for (int i = 0; i < p->n; i++)
        if (p->slots[i].wfd >= 0) {
            close(p->slots[i].wfd); /* EOF: the worker exits */
            p->slots[i].wfd = -1;
        }
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        if (s->pid > 0) reap(s->pid);
        s->pid = 0;
        close_slot(s);
    }
}

static void *manager(void *arg) {
    ppool *p = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to other threads */
    cf__manager_of = &p->ex;
    int err = 0;
    for (int i = 0; i < p->n && !err; i++)
        err = spawn(p, &p->slots[i]);
    pthread_mutex_lock(&p->mu);
    p->started = 1;
    p->start_err = err;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (err) {
        stop_workers(p);
        return NULL;
    }
    struct pollfd *pfd = calloc(2 * (size_t)p->n + 1, sizeof *pfd);
    if (!pfd) {
        break_pool(p, "out of memory in the pool manager");
        return NULL;
    }
    for (;;) {
        dispatch(p);
        flush_slots(p);

        int busy = 0, room = 0;
        for (int i = 0; i < p->n; i++) {
            busy |= p->slots[i].inflight > 0;
            room |= p->slots[i].pid > 0 && !p->slots[i].draining &&
                    p->slots[i].inflight < window(&p->slots[i]);
        }
        pthread_mutex_lock(&p->mu);
        int stop = p->broken || (p->shutdown && !p->head && !busy);
        int work = p->head != NULL && room;
        /* Ask to be woken for new work only when we could take it. */
        p->sleeping = !work && !stop && (room || !p->head);
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
        if (work) continue;

        int64_t now = cf_now_ns();
        pfd[0] = (struct pollfd){.fd = p->efd, .events = POLLIN};
        for (int i = 0; i < p->n; i++) {
            pslot *s = &p->slots[i];
            int out = s->wbuf.len > s->wbuf.off && s->wfd >= 0;
            pfd[1 + 2 * i] = (struct pollfd){.fd = s->rfd, .events = POLLIN};
            pfd[2 + 2 * i] = (struct pollfd){.fd = out ? s->wfd : -1, .events = POLLOUT};
        }
        int to = poll_timeout_ms(p, now);
        int r = poll(pfd, (nfds_t)(2 * p->n + 1), to);
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
        for (int i = 0; i < p->n && !p->broken; i++) {
            pslot *s = &p->slots[i];
            if (s->rfd < 0 || !(pfd[1 + 2 * i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (read_slot(p, s) < 0 && !p->broken) slot_ended(p, s);
        }
        if (!p->broken) check_timeouts(p, cf_now_ns());
    }
    free(pfd);
    if (!p->broken) stop_workers(p);
    return NULL;
}

/* ---- the executor ops ------------------------------------------------- */

static int pp_submit(cf_executor *ex, cf_future *f) {
    ppool *p = (ppool *)ex;
    int r = 0, wake = 0;
    f->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->broken) {
        r = CF_EBROKEN;
    } else if (p->shutdown) {
        r = CF_ESHUTDOWN;
    } else {
        if (p->tail)
            p->tail->next = f;
        else
            p->head = f;
        p->tail = f;
        if (p->sleeping && !p->wake_pending) wake = p->wake_pending = 1;
    }
    pthread_mutex_unlock(&p->mu);
    if (wake) {
        uint64_t one = 1;
        if (write(p->efd, &one, sizeof one) < 0) {
        } /* full: already awake */
    }
    return r;
}

static void wake_manager(ppool *p) {
    uint64_t one = 1;
    if (write(p->efd, &one, sizeof one) < 0) {
    }
}

static int pp_shutdown(cf_executor *ex, int wait, int cancel) {
    ppool *p = (ppool *)ex;
    cf_future *q = NULL;
    pthread_mutex_lock(&p->mu);
    p->shutdown = 1;
    if (cancel) {
        q = p->head;
        p->head = p->tail = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    cf_future *keep = NULL, **keep_tail = &keep;
    for (cf_future *next; q; q = next) {
        next = q->next;
        q->next = NULL;
        if (cf_future_cancel(q) || cf_future_done(q)) {
            cf__future_unref(q);
        } else { /* sent again after a timeout: it must still run */
            *keep_tail = q;
            keep_tail = &q->next;
        }
    }
    requeue_front(p, keep); /* in their order, unlike one at a time */
    wake_manager(p);
    if (wait) {
        pthread_mutex_lock(&p->join_mu);
        if (!p->joined) {
            pthread_join(p->mgr, NULL);
            p->joined = 1;
        }
        pthread_mutex_unlock(&p->join_mu);
    }
    return 0;
}

static void pp_destroy(cf_executor *ex) {
    ppool *p = (ppool *)ex;
    for (int i = 0; i < p->n; i++) {
        cf__buf_free(&p->slots[i].wbuf);
        cf__buf_free(&p->slots[i].rbuf);
    }
    close(p->efd);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->join_mu);
    pthread_cond_destroy(&p->cv);
    free(p->tasks);
    free(p->slots);
    free(p);
}

static const cf_ops pp_ops = {pp_submit, pp_shutdown, pp_destroy};

int cf__process_new(const cf_options *o, cf_executor **out) {
    ppool *p = calloc(1, sizeof *p);
    if (!p) return CF_ENOMEM;
    p->ex.kind = CF_PROCESS;
    p->ex.nworkers = o->max_workers;
    p->ex.opts = *o;
    p->ex.ops = &pp_ops;
    p->n = o->max_workers;
    p->parent = getpid();
    p->slots = calloc((size_t)p->n, sizeof *p->slots);
    if (!p->slots) {
        free(p);
        return CF_ENOMEM;
    }
    for (int i = 0; i < p->n; i++) {
        p->slots[i].index = i;
        p->slots[i].wfd = p->slots[i].rfd = -1;
    }
    p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->efd < 0) {
        free(p->slots);
        free(p);
        return CF_ESYS;
    }
    if (pthread_mutex_init(&p->mu, NULL) || pthread_mutex_init(&p->join_mu, NULL) ||
        pthread_cond_init(&p->cv, NULL) || pthread_create(&p->mgr, NULL, manager, p)) {
        p->joined = 1;
        pp_destroy(&p->ex);
        return CF_ESYS;
    }
    pthread_mutex_lock(&p->mu);
    while (!p->started)
        pthread_cond_wait(&p->cv, &p->mu);
    int err = p->start_err;
    pthread_mutex_unlock(&p->mu);
    if (err) {
        pthread_join(p->mgr, NULL);
        p->joined = 1;
        pp_destroy(&p->ex);
        return err;
    }
    *out = &p->ex;
    return 0;
}
