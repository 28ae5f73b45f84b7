/* process_manager.c -- the process pool's manager thread: its loop of
 * named steps, worker exits and timeouts, requests from other threads. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "process_pool.h"
#include "xio.h"

/* The descriptor that becomes readable when the slot's process ended:
 * its pidfd, or from the fork server its status pipe; -1: none (the
 * result pipe's end of file tells). */
static int exit_fd(const pslot *s) {
    return s->stfd >= 0 ? s->stfd : s->pidfd;
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

/* A slot's process ended (its pidfd, or without one its pipe's EOF): a
 * planned exit is replaced, anything else breaks the pool. */
static void slot_ended(ppool *p, pslot *s) {
    pid_t pid = s->pid;
    if (cf__read_slot(p, s) == 0 && p->broken) return; /* what it said last */
    int planned = s->state == SLOT_DRAINING && s->inflight == 0;
    if (!planned || exit_fd(s) < 0) cf__slot_kill(s, SIGKILL); /* EOF alone proves no exit */
    int status = cf__slot_reap(s);
    cf__slot_close(s);
    if (planned && WIFEXITED(status) && WEXITSTATUS(status) == CF_WX_STOPPED) {
        if (cf__slot_spawn(p, s, cf__choose_start(&p->ex.opts)) == 0) return;
        cf__pool_break(p, "could not start a replacement worker process");
        return;
    }
    char why[160];
    describe_exit(why, sizeof why, pid, status);
    cf__pool_break(p, why);
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
        cf__slot_kill(s, SIGKILL);
        cf__slot_reap(s);
        if (cf__read_slot(p, s) == 0 && p->broken) return; /* answers sent before */
        char why[160];
        snprintf(why, sizeof why,
                 "task ran longer than %g s: worker process %d was killed and replaced",
                 p->ex.opts.task_timeout, (int)pid);
        cf_fifo back = {NULL, NULL};
        cf_future *f;
        while ((f = cf__fifo_pop(&s->jobs))) {
            if (cf__take_back(f)) { /* never started: first in line again */
                cf__fifo_push(&back, f);
                continue;
            }
            if (!cf_future_done(f)) cf__future_finish(f, CF_ETIMEDOUT, why);
            cf__future_unref(f);
        }
        cf__slot_close(s);
        s->inflight = 0;
        cf__requeue_front(p, &back);
        if (cf__slot_spawn(p, s, cf__choose_start(&p->ex.opts)))
            cf__pool_break(p, "could not start a replacement worker process");
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
        if (write(s->wfd, &stop, sizeof stop) != (ssize_t)sizeof stop) cf__slot_kill(s, SIGKILL);
    }
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        if (s->pid > 0) cf__slot_reap(s);
        cf__slot_close(s);
    }
}

/* shutdown(cancel_futures) cancels the jobs waiting in the workers' pipes
 * too (they skip them); terminate/kill_workers signals every worker, and
 * the pidfds then report the deaths, which break the pool. Manager only. */
void cf__carry_out(ppool *p, int cancel, int sig) {
    for (int i = 0; cancel && i < p->n; i++)
        for (cf_future *f = p->slots[i].jobs.head; f; f = f->next)
            cf_future_cancel(f); /* loses to a worker that claimed it */
    for (int i = 0; sig && i < p->n; i++)
        cf__slot_kill(&p->slots[i], sig);
}

static void answer_requests(ppool *p) {
    pthread_mutex_lock(&p->mu);
    int cancel = p->cancel_req, sig = p->signal_req;
    unsigned long asked = p->asked;
    p->cancel_req = p->signal_req = 0;
    pthread_mutex_unlock(&p->mu);
    if (asked == p->answered) return; /* read unlocked: only we write it */
    cf__carry_out(p, cancel, sig);
    pthread_mutex_lock(&p->mu);
    p->answered = asked;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* The manager's poll set: the eventfd that wakes it, then each slot's
 * three descriptors (-1 where there is nothing to watch), which poll()
 * reads as one array. */
typedef struct slot_fds {
    struct pollfd result;  /* the result pipe: answers, or its end */
    struct pollfd request; /* the request pipe, while jobs wait to be written */
    struct pollfd exit;    /* exit_fd(): readable once the process ended */
} slot_fds;

typedef struct poll_set {
    struct pollfd wake;
    slot_fds slot[];
} poll_set;

#define POLLFDS_PER_SLOT (sizeof(slot_fds) / sizeof(struct pollfd))
_Static_assert(sizeof(slot_fds) == 3 * sizeof(struct pollfd) &&
                   offsetof(poll_set, slot) == sizeof(struct pollfd),
               "poll() reads a poll_set as an array of pollfd");

static void become_manager(ppool *p) {
    pthread_setname_np(pthread_self(), "cf-manager"); /* first: threads.c reads it */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to other threads */
    cf__manager_of = &p->ex;
}

/* Starts every worker and tells cf__process_new how it went. Returns the
 * poll set, or NULL if a worker could not start (every slot is closed). */
static poll_set *start_workers(ppool *p) {
    int err = 0;
    for (int i = 0; i < p->n && !err; i++)
        err = cf__slot_spawn(p, &p->slots[i], p->first);
    poll_set *ps = err ? NULL : calloc(1, sizeof *ps + (size_t)p->n * sizeof *ps->slot);
    if (!err && !ps) err = CF_ENOMEM;
    pthread_mutex_lock(&p->mu);
    p->started = 1;
    p->start_err = err;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; err && i < p->n; i++)
        cf__slot_end(&p->slots[i]);
    return ps;
}

enum next_step {
    STEP_STOP,  /* broken, or shut down with nothing left */
    STEP_AGAIN, /* more to dispatch, or a request to answer */
    STEP_SLEEP  /* wait for the workers or a wake-up */
};

/* After a round of dispatching: what the loop does next. Asks submitters
 * to wake the manager only when it could take new work. */
static enum next_step next_step(ppool *p, int64_t now) {
    int busy = 0, free_room = 0;
    for (int i = 0; i < p->n; i++) {
        busy |= p->slots[i].inflight > 0;
        free_room |= cf__slot_room(p, &p->slots[i], now) > 0;
    }
    pthread_mutex_lock(&p->mu);
    int stop = p->broken || (p->shutdown && !p->queue.head && !busy);
    int work = p->queue.head != NULL && free_room;
    p->sleeping = !work && !stop && (free_room || !p->queue.head);
    int asked = p->asked != p->answered;
    pthread_mutex_unlock(&p->mu);
    if (stop) return STEP_STOP;
    return work || asked ? STEP_AGAIN : STEP_SLEEP;
}

static void watch_slot(const pslot *s, slot_fds *fd) {
    int out = s->wbuf.len > s->wbuf.off && s->wfd >= 0;
    fd->result = (struct pollfd){.fd = s->rfd_eof ? -1 : s->rfd, .events = POLLIN};
    fd->request = (struct pollfd){.fd = out ? s->wfd : -1, .events = POLLOUT};
    fd->exit = (struct pollfd){.fd = exit_fd(s), .events = POLLIN};
}

/* Sleeps in poll() on the wake-up eventfd and every slot. Returns how
 * many descriptors have events (0: timeout or a signal), or -1. */
static int wait_for_events(ppool *p, poll_set *ps, int timeout_ms) {
    ps->wake = (struct pollfd){.fd = p->efd, .events = POLLIN};
    for (int i = 0; i < p->n; i++)
        watch_slot(&p->slots[i], &ps->slot[i]);
    int r = poll((struct pollfd *)ps, 1 + (nfds_t)p->n * POLLFDS_PER_SLOT, timeout_ms);
    if (r < 0 && errno == EINTR) r = 0;
    pthread_mutex_lock(&p->mu);
    p->sleeping = 0;
    p->wake_pending = 0;
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* Empties the eventfd submitters write to (nonblocking: EAGAIN if another
 * wake-up emptied it first). */
static void drain_wakeups(ppool *p) {
    uint64_t v;
    cf__xread(p->efd, &v, sizeof v);
}

/* What poll() saw on a slot: answers to read, the process's end. */
static void handle_slot_events(ppool *p, pslot *s, const slot_fds *fd) {
    if (s->pid <= 0) return;
    int eof = 0;
    if (fd->result.revents & (POLLIN | POLLHUP | POLLERR)) eof = cf__read_slot(p, s) < 0;
    if (p->broken) return;
    s->rfd_eof |= eof; /* a task closed fd 4, or it is dying */
    /* With a pidfd, only the process's own exit counts: a pipe end held
     * by a stranger neither hides nor fakes one. */
    int gone = (fd->exit.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    if (exit_fd(s) >= 0 ? gone : eof) slot_ended(p, s);
}

/* After the loop: carries out what was asked meanwhile, stops the
 * workers (a broken pool's are gone already) and says it has ended. */
static void end_manager(ppool *p) {
    answer_requests(p);
    if (!p->broken) stop_workers(p);
    pthread_mutex_lock(&p->mu);
    p->ended = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void *cf__manager(void *arg) {
    ppool *p = arg;
    become_manager(p);
    poll_set *ps = start_workers(p);
    if (!ps) return NULL;
    for (;;) {
        answer_requests(p);
        int64_t now = cf_now_ns();
        int pending = cf__rebalance(p, now);
        cf__dispatch(p, now);
        cf__flush_slots(p);
        enum next_step next = next_step(p, now);
        if (next == STEP_STOP) break;
        if (next == STEP_AGAIN) continue;
        int r = wait_for_events(p, ps, poll_timeout_ms(p, now, pending));
        if (r < 0) {
            cf__pool_break(p, "poll failed in the pool manager");
            break;
        }
        if (r > 0 && (ps->wake.revents & POLLIN)) drain_wakeups(p);
        for (int i = 0; r > 0 && i < p->n && !p->broken; i++)
            handle_slot_events(p, &p->slots[i], &ps->slot[i]);
        if (!p->broken) check_timeouts(p, cf_now_ns());
    }
    free(ps);
    end_manager(p);
    return NULL;
}
