/* process_dispatch.c -- the process pool's jobs: sent to workers in
 * batches, claimed, taken back from busy workers, answered. */
#include <errno.h>
#include <stdio.h>

#include "process_pool.h"
#include "xio.h"

static uint64_t job_seq(const cf_future *f) {
    return CF_CLAIM_SEQ(f->queued);
}

/* Takes a job back from a worker that has not claimed it; 1 if won. */
int cf__take_back(cf_future *f) {
    return cf__future_revoke(f, CF_CLAIM(job_seq(f), CF_CLAIM_REVOKED));
}

/* How many jobs a worker may hold: ~TARGET_BATCH_NS of work at its recent
 * time per job, plus 1 µs per job for the hand-off itself (an estimate of
 * 5 µs here held no-op tasks to 33 per worker, and the workers slept and
 * were woken every few dozen tasks: process map c=1 took 1.04 µs per task,
 * with 1 µs 0.4-0.7 µs); FIRST_WINDOW until a job has come back. */
static int window(const pslot *s) {
    if (s->svc_ns <= 0) return FIRST_WINDOW;
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

int cf__slot_room(const ppool *p, const pslot *s, int64_t now) {
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
    if (!cf__future_attach_claim(f, CF_CLAIM(seq, CF_CLAIM_QUEUED), s->index)) {
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
void cf__requeue_front(ppool *p, cf_fifo *list) {
    if (!list->head) return;
    pthread_mutex_lock(&p->mu);
    cf__fifo_prepend(&p->queue, list);
    pthread_mutex_unlock(&p->mu);
}

/* Moves queued futures into slots with room, round-robin. */
void cf__dispatch(ppool *p, int64_t now) {
    int total = 0;
    for (int i = 0; i < p->n; i++) {
        int r = cf__slot_room(p, &p->slots[i], now);
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
        if (p->slots[i].inflight == 0 && cf__slot_room(p, &p->slots[i], now) > 0)
            send_job(p, &p->slots[i], cf__fifo_pop(&batch));
    while (batch.head) {
        int sent = 0;
        for (int i = 0; i < p->n && batch.head; i++) {
            pslot *s = &p->slots[i];
            if (cf__slot_room(p, s, now) <= 0) continue;
            send_job(p, s, cf__fifo_pop(&batch));
            sent = 1;
        }
        if (!sent) break; /* a slot filled up (max_tasks_per_child) */
    }
    cf__requeue_front(p, &batch);
}

/* Takes back, from workers busy with a long job (or a slow initializer),
 * the jobs they have not started, when another worker is idle and the
 * queue is empty: the idle ones get them at the next dispatch. */
int cf__rebalance(ppool *p, int64_t now) {
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
            if (cf__take_back(f)) {
                s->inflight--;
                cf__fifo_push(&back, f);
            } else {
                cf__fifo_push(&keep, f);
            }
        }
        s->jobs = keep;
    }
    cf__requeue_front(p, &back);
    return waiting;
}

/* Writes what it can of each slot's buffer. */
void cf__flush_slots(ppool *p) {
    for (int i = 0; i < p->n; i++) {
        pslot *s = &p->slots[i];
        while (s->wfd >= 0 && s->wbuf.len > s->wbuf.off) {
            ssize_t w = cf__xwrite(s->wfd, s->wbuf.p + s->wbuf.off, s->wbuf.len - s->wbuf.off);
            if (w < 0) break; /* EAGAIN: poll for POLLOUT; EPIPE: its death shows soon */
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
    cf__requeue_front(p, &one);
}

/* Handles one message from a worker; -1 if it makes no sense. */
static int on_message(ppool *p, pslot *s, const cf_wire_hdr *h, const unsigned char *pl) {
    char why[96];
    switch (CF_WIRE_TYPE(h)) {
    case CF_MSG_RESULT: return complete_head(s, h, pl);
    case CF_MSG_SKIPPED: skipped(p, s, h->seq); return 0;
    case CF_MSG_INIT_FAILED:
        snprintf(why, sizeof why, "initializer failed in worker process %d", (int)s->pid);
        cf__pool_break(p, why);
        return 0;
    }
    return -1;
}

/* cf__read_slot, its waiters woken as each job completes. */
static int read_slot(ppool *p, pslot *s) {
    for (;;) {
        unsigned char *q = cf__buf_room(&s->rbuf, 65536);
        if (!q) {
            cf__pool_break(p, "out of memory reading results");
            return 0;
        }
        ssize_t r = cf__xread(s->rfd, q, s->rbuf.cap - s->rbuf.len);
        if (r < 0) return errno == EAGAIN ? 0 : -1;
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
                cf__pool_break(p, why);
                return 0;
            }
            if (p->broken) return 0;
            s->rbuf.off += m;
        }
        if (s->rbuf.off == s->rbuf.len) s->rbuf.off = s->rbuf.len = 0;
    }
}

/* Reads and handles everything a slot has sent; returns -1 on EOF. The
 * waiters of the jobs it completes are woken once it has read them all
 * (cf__wakes_defer). */
int cf__read_slot(ppool *p, pslot *s) {
    cf__wakes_defer();
    int r = read_slot(p, s);
    cf__wakes_flush();
    return r;
}
