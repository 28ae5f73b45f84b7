/* mpi_manager.c -- the MPI pool's manager thread: dispatches queued
 * futures into the workers' windows, sends, receives results, passes on
 * cancels, and breaks the pool when a worker dies. */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "mpi_internal.h"

/* While results are due the manager probes at most every MANAGER_SLEEP_NS,
 * or a twentieth of the quickest worker's time per task when tasks are
 * long (up to 5 ms): probing costs CPU the workers need on a full machine,
 * and a long task's answer loses little by waiting. */
static long manager_sleep_max(double svc_ns) {
    double ns = svc_ns / 20;
    if (ns < MANAGER_SLEEP_NS) return MANAGER_SLEEP_NS;
    return ns > 5000000 ? 5000000 : (long)ns;
}

/* Is the local worker alive? Its pidfd turns readable the moment it
 * exits (no waiting for whoever reaps it); without one, /proc says. */
static int worker_alive(const mslot *s) {
    if (s->pidfd < 0) return cf__mpi_pid_alive(s->pid);
    struct pollfd pfd = {s->pidfd, POLLIN, 0};
    return poll(&pfd, 1, 0) == 0;
}

/* Fails every unfinished future; with dead, kills the local workers. */
static void break_pool(mpool *p, const char *why, int dead) {
    if (!p->brokenmsg[0]) snprintf(p->brokenmsg, sizeof p->brokenmsg, "%s", why);
    pthread_mutex_lock(&p->mu);
    p->broken = 1;
    cf_fifo q = cf__fifo_take(&p->queue);
    pthread_mutex_unlock(&p->mu);
    p->dead |= dead;
    for (int i = 0; i < p->n; i++) {
        mslot *s = &p->slots[i];
        if (dead && s->local && s->pid > 0 && worker_alive(s)) kill(s->pid, SIGKILL);
        cf__fifo_fail(&s->sent, CF_EBROKEN, p->brokenmsg);
        s->inflight = s->asked = 0;
    }
    cf__fifo_fail(&q, CF_EBROKEN, p->brokenmsg);
}

static int window(const mslot *s) {
    if (s->svc_ns <= 0) return 1;
    double w = TARGET_BATCH_NS / (s->svc_ns + 500.0);
    if (w < 1) return 1;
    return w > MAX_WINDOW ? MAX_WINDOW : (int)w;
}

static size_t message_bytes(const cf_future *f) {
    size_t b = sizeof(cf_wire_hdr);
    for (size_t i = 0; i < f->nitems; i++)
        b += 4 + f->item[i].in_len;
    return b;
}

/* Puts f into the slot's next message, as job s->seq. It stays PENDING
 * until the worker says it started it; until then the worker decides
 * cancel (cf__future_hold). */
static void add_to_slot(mslot *s, cf_future *f) {
    f->queued = s->seq;
    if (!s->inflight && !s->asked) s->heard = cf_now_ns(); /* silence counts from here */
    if (!cf__future_hold(f, s->index)) {
        cf__future_unref(f); /* cancelled meanwhile */
        return;
    }
    if (message_bytes(f) > INT_MAX) {
        cf__future_finish(f, CF_ETOOBIG, "the task's message is over 2 GiB");
        cf__future_unref(f);
        return;
    }
    if (cf__wire_put_task(&s->pend, f, s->seq++)) {
        cf__future_finish(f, CF_ENOMEM, "out of memory sending the task");
        cf__future_unref(f);
        return;
    }
    cf__fifo_push(&s->sent, f);
    s->inflight++;
}

/* Moves queued futures into slots with room, one slot after the other so
 * that a short queue spreads over the workers; returns how many. */
static int dispatch(mpool *p) {
    int total = 0;
    for (int i = 0; i < p->n; i++) {
        mslot *s = &p->slots[i];
        s->room = s->pend.len > MAX_MSG ? 0 : window(s) - s->inflight;
        if (s->room > 0) total += s->room;
    }
    if (!total) return 0;
    pthread_mutex_lock(&p->mu);
    cf_fifo batch = {NULL, NULL};
    int taken = 0;
    for (cf_future *f; taken < total && (f = cf__fifo_pop(&p->queue)); taken++)
        cf__fifo_push(&batch, f);
    pthread_mutex_unlock(&p->mu);
    for (cf_future *f; (f = cf__fifo_pop(&batch));) {
        mslot *s;
        do {
            s = &p->slots[p->next_slot];
            p->next_slot = (p->next_slot + 1) % p->n;
        } while (s->room <= 0);
        s->room--;
        add_to_slot(s, f);
    }
    return taken;
}

/* Completes sends and starts the next one of each slot; returns 1 if
 * anything moved. */
static int pump_sends(mpool *p) {
    int moved = 0;
    pthread_mutex_lock(&cf__mpi_mu);
    for (int i = 0; i < p->n && !cf__mpi_down; i++) {
        mslot *s = &p->slots[i];
        if (s->req != MPI_REQUEST_NULL) {
            int done = 0;
            MPI_Test(&s->req, &done, MPI_STATUS_IGNORE);
            if (!done) continue;
            s->sending.len = 0;
            moved = 1;
        }
        if (s->pend.len == 0 || s->pend.len > INT_MAX) continue;
        cf_buf t = s->sending;
        s->sending = s->pend;
        s->pend = t;
        MPI_Isend(s->sending.p, (int)s->sending.len, MPI_BYTE, s->rank, TAG_WORK, p->comm, &s->req);
        moved = 1;
    }
    pthread_mutex_unlock(&cf__mpi_mu);
    return moved;
}

/* Takes job seq out of the slot's list; NULL if it is not there (done). */
static cf_future *unlink_job(mslot *s, uint64_t seq) {
    cf_future *prev = NULL, *f = s->sent.head;
    while (f && f->queued != seq) /* nearly always the head */
        prev = f, f = f->next;
    if (!f) return NULL;
    if (prev)
        prev->next = f->next;
    else
        s->sent.head = f->next;
    if (s->sent.tail == f) s->sent.tail = prev;
    f->next = NULL;
    s->inflight--;
    return f;
}

static cf_future *find_job(mslot *s, uint64_t seq) {
    cf_future *f = s->sent.head;
    while (f && f->queued != seq)
        f = f->next;
    return f;
}

/* Handles one frame from the slot's worker: a RESULT or SKIPPED ends its
 * job; STARTED, and KEPT (the answer to a cancel that came too late),
 * make it RUNNING. Returns 0, or -1 if the frame makes no sense. A job
 * leaves the list before it completes, since completing runs callbacks
 * (which may cancel, and so take frames themselves: cancel_here). */
static int take_frame(mslot *s, const cf_wire_hdr *h, const unsigned char *pl) {
    cf_future *f;
    int64_t took = 0;
    switch (CF_WIRE_TYPE(h)) {
    case CF_MSG_KEPT:
        if (s->asked <= 0) return -1;
        s->asked--;
        /* fall through */
    case CF_MSG_STARTED:
        if ((f = find_job(s, h->seq))) cf__future_start(f, s->index);
        return 0;
    case CF_MSG_SKIPPED:
        if (s->asked <= 0 || !(f = unlink_job(s, h->seq))) return -1;
        s->asked--;
        cf__future_finish(f, CF_ECANCELLED, "cancelled before it started");
        cf__future_unref(f);
        return 0;
    case CF_MSG_RESULT:
        if (!(f = unlink_job(s, h->seq))) return -1;
        int outcome = cf__wire_take_result(f, h, pl, &took);
        if (outcome == -1) {
            cf__future_finish(f, CF_EBROKEN, "malformed result");
            cf__future_unref(f);
            return -1;
        }
        s->svc_ns = s->svc_ns > 0 ? 0.8 * s->svc_ns + 0.2 * (double)took : (double)took;
        if (s->svc_ns < 1) s->svc_ns = 1; /* measured, even if too short to see */
        cf__future_finish(f, outcome, NULL);
        cf__future_unref(f);
        return 0;
    }
    return -1;
}

/* Handles a TAG_RESULT message from the slot's worker, received into b. */
static void take_results(mpool *p, mslot *s, cf_buf *b) {
    while (b->off < b->len && !p->broken) {
        cf_wire_hdr h;
        size_t m = cf__wire_frame(b->p + b->off, b->len - b->off, &h);
        if (m == 0 || m == (size_t)-1 || take_frame(s, &h, b->p + b->off + sizeof h)) {
            char why[96];
            snprintf(why, sizeof why, "malformed message from MPI worker rank %d", s->rank);
            break_pool(p, why, 0);
            return;
        }
        b->off += m;
    }
}

/* Receives what the workers answered; returns 1 if anything came. */
static int receive(mpool *p) {
    int got = 0;
    for (int k = 0; k < 64 && !p->broken; k++) {
        MPI_Status st;
        int r = cf__mpi_recv(p->comm, MPI_ANY_SOURCE, TAG_RESULT, &p->rbuf, &st);
        if (r == -2) break_pool(p, "MPI was finalised: the program is exiting", 0);
        if (r == -1) break_pool(p, "MPI failed receiving results", 1);
        if (r <= 0) break;
        mslot *s = cf__mpi_slot_of(p, st.MPI_SOURCE);
        if (!s) continue;
        s->heard = cf_now_ns(); /* an empty message is a heartbeat */
        take_results(p, s, &p->rbuf);
        got = 1;
    }
    return got;
}

static void describe(const mpool *p, const mslot *s, char *buf, size_t n) {
    snprintf(buf, n, "MPI worker rank %d (%s, pid %d on %s) died", s->rank,
             p->spawned ? "spawned by this pool" : "of mpiexec's job", (int)s->pid, s->host);
}

/* Breaks the pool if a local worker died, or if a worker holding work
 * has sent nothing, not even a heartbeat, for silence_ns: its host or the
 * link to it is down, and TCP would take minutes to say so. Nothing more
 * is sent to any worker then (a send to the silent one could block). */
static void check_workers(mpool *p) {
    int64_t now = cf_now_ns();
    for (int i = 0; i < p->n; i++) {
        mslot *s = &p->slots[i];
        char why[256];
        if (s->local && !worker_alive(s)) {
            describe(p, s, why, sizeof why);
        } else if ((s->inflight > 0 || s->asked > 0) && p->silence_ns > 0 &&
                   now - s->heard > p->silence_ns) {
            snprintf(why, sizeof why,
                     "MPI worker rank %d (pid %d on %s) sent nothing for %g s with work "
                     "outstanding: its host or the link to it is down (CF_MPI_SILENCE)",
                     s->rank, (int)s->pid, s->host, (double)p->silence_ns / 1e9);
            if (!p->spawned) {
                pthread_mutex_lock(&cf__mpi_mu);
                cf__mpi_world_lost = 1;
                pthread_mutex_unlock(&cf__mpi_mu);
            }
        } else {
            continue;
        }
        break_pool(p, why, 1);
        return;
    }
}

/* Asks the slot's worker to cancel f's job; it answers SKIPPED or KEPT. */
static void ask_worker(mpool *p, mslot *s, cf_future *f) {
    uint64_t seq = f->queued;
    if (p->dead || cf__mpi_send(p->comm, s->rank, TAG_CANCEL, &seq, sizeof seq)) {
        break_pool(p, "MPI failed sending a cancel to a worker", 1);
        return;
    }
    s->asked++;
}

/* Passes on the cancels asked since the last look (and, after a shutdown
 * that cancels futures, asks for every held job); returns 1 if it looked. */
static int send_cancels(mpool *p) {
    pthread_mutex_lock(&p->mu);
    unsigned asked = p->cancels_asked;
    int all = p->cancel_all;
    p->cancel_all = 0;
    pthread_mutex_unlock(&p->mu);
    if (asked == p->cancels_seen && !all) return 0;
    p->cancels_seen = asked;
    for (int i = 0; i < p->n && !p->broken; i++) {
        mslot *s = &p->slots[i];
        for (cf_future *f = s->sent.head; f && !p->broken; f = f->next) {
            if (all) cf__future_ask_cancel(f);
            if (cf__future_take_cancel(f)) ask_worker(p, s, f);
        }
    }
    return 1;
}

/* cf_future_cancel in a done callback, on the manager thread itself:
 * nobody else would carry the question, so this asks the worker and
 * takes its answers here until f is decided (or the pool breaks). */
void cf__mpi_cancel_here(mpool *p, cf_future *f) {
    mslot *s = &p->slots[f->worker];
    if (cf__future_take_cancel(f)) ask_worker(p, s, f);
    cf_buf b = {0}; /* not p->rbuf: the caller may be reading that */
    int64_t checked = cf_now_ns();
    while (!p->broken && atomic_load(&f->state) == CF_PENDING) {
        MPI_Status st;
        int r = cf__mpi_recv(p->comm, s->rank, TAG_RESULT, &b, &st);
        if (r == -2) break_pool(p, "MPI was finalised: the program is exiting", 0);
        if (r == -1) break_pool(p, "MPI failed receiving results", 1);
        if (r > 0) {
            s->heard = cf_now_ns();
            take_results(p, s, &b);
        }
        if (r != 0) continue;
        if (cf_now_ns() - checked > LIVENESS_NS) {
            checked = cf_now_ns();
            check_workers(p);
        }
        sleep_ns(10000);
    }
    cf__buf_free(&b);
}

void *cf__mpi_manager(void *arg) {
    mpool *p = arg;
    pthread_setname_np(pthread_self(), "cf-mpi-manager"); /* first: threads.c reads it */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to other threads */
    cf__manager_of = &p->ex;
    prctl(PR_SET_TIMERSLACK, 1000UL); /* short naps while results are due */
    char why[512] = "";
    int err = cf__mpi_start(p, why, sizeof why);
    pthread_mutex_lock(&p->mu);
    p->started = 1;
    p->start_err = err;
    snprintf(p->why, sizeof p->why, "%s", err ? why : p->brokenmsg);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (err) return NULL;

    backoff bo;
    backoff_reset(&bo);
    int64_t checked = cf_now_ns();
    for (;;) {
        int moved = dispatch(p);
        moved |= send_cancels(p);
        moved |= pump_sends(p);
        moved |= receive(p);
        int busy = 0, room = 0, asked = 0;
        double shortest = 0; /* the quickest busy worker's time per task */
        for (int i = 0; i < p->n; i++) {
            mslot *s = &p->slots[i];
            int b = s->inflight > 0 || s->pend.len > 0 || s->req != MPI_REQUEST_NULL || s->asked;
            busy |= b;
            asked |= s->asked > 0;
            room |= s->inflight < window(s) && s->pend.len <= MAX_MSG;
            if (b && (shortest == 0 || s->svc_ns < shortest)) shortest = s->svc_ns;
        }
        int64_t now = cf_now_ns();
        if (busy && !p->broken && now - checked > LIVENESS_NS) {
            checked = now;
            check_workers(p);
        }
        if (moved) backoff_reset(&bo);
        pthread_mutex_lock(&p->mu);
        int stop = p->broken || (p->shutdown && !p->queue.head && !busy);
        int work = (p->queue.head && room) || p->cancels_asked != p->cancels_seen || p->cancel_all;
        if (!stop && !moved && !work) {
            /* Nothing due: sleep until submit, cancel or shutdown signals.
             * Results due: a short sleep, growing while none come (but
             * short while a cancel waits for its answer). */
            long max = asked ? MANAGER_SLEEP_NS : manager_sleep_max(shortest);
            long ns = busy ? backoff_next(&bo, max) : 100000000;
            if (ns) {
                p->sleeping = 1;
                cf__cond_wait(&p->cv, &p->mu, cf_now_ns() + ns);
                p->sleeping = 0;
            }
        }
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
    }
    cf__mpi_release_workers(p);
    return NULL;
}
