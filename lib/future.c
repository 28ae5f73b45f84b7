/* future.c -- futures: states, results, cancel, callbacks, waiters.
 *
 * The future lock. A future has no mutex of its own: it borrows one of
 * NLOT mutex + condition variable pairs (the "parking lot"), chosen by
 * hashing its address. That lock guards the fields internal.h marks
 * "guarded by mu" for every future that hashes to it; a thread that waits
 * for one future sleeps on the pair's condition variable, counted in the
 * pair's nwait, and re-checks its own future's state after each wake-up,
 * since a completion broadcasts to everyone parked on the pair. Sharing
 * costs a spurious wake-up now and then; owning one cost each future 88
 * bytes and a mutex and condvar init (54 instructions of a submit's ~770).
 *
 * Lock order: a pool's lock (its mu), or the deadlock detector's, may be
 * held when a future lock is taken, never the reverse; one future lock is
 * held at a time (two futures may share one, and it is not recursive).
 * Waiting on many futures (cf_wait, as_completed) hooks a cf_waiter on
 * each; completion reports to every hooked waiter while holding the future
 * lock, so the order is future lock -> waiter. Callbacks run after the
 * future lock is released, in the thread that completed the future.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "lot.h"

/* The size of the block of a future of n items, traced or not, whose
 * inputs add up to `bytes`. */
static size_t block_bytes(size_t n, int traced, size_t bytes) {
    size_t tbytes = traced ? sizeof(cf_trace) + n * sizeof(((cf_trace *)0)->item[0]) : 0;
    return sizeof(cf_future) + n * sizeof(cf_item) + tbytes + bytes;
}

cf_future *cf__future_new(cf_executor *ex, const cf_task *task, size_t n, const void *const *in,
                          const size_t *len) {
    size_t bytes = 0;
    if (n > UINT32_MAX) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (len[i] > CF_MAX_BYTES) return NULL;
        bytes += len[i];
    }
    int trace = ex && ex->opts.trace;
    size_t total = block_bytes(n, trace, bytes);
    if (cf__lot_err) return NULL;
    cf_future *f = cf__block_alloc(total);
    if (!f) return NULL;
    memset(f, 0, sizeof *f);
    f->ex = ex;
    f->task = task;
    f->nitems = (uint32_t)n;
    f->traced = (uint8_t)trace;
    atomic_init(&f->refs, 1);
    atomic_init(&f->state, CF_PENDING);
    f->worker = -1;
    if (trace) memset(f->item + n, 0, sizeof(cf_trace) + n * sizeof(((cf_trace *)0)->item[0]));
    unsigned char *p = cf__future_input(f);
    for (size_t i = 0; i < n; i++) {
        cf_item *it = &f->item[i];
        memset(it, 0, sizeof *it);
        it->in_len = (uint32_t)len[i];
        if (len[i]) memcpy(p, in[i], len[i]);
        p += len[i];
    }
    return f;
}

cf_future *cf_future_ref(cf_future *f) {
    if (f) atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

static void item_free_out(cf_item *it) {
    if (it->out_len > CF_ITEM_INLINE && it->out_block)
        cf__block_free(cf__item_heap(it), (size_t)it->out_len + 1);
    else if (it->out_len > CF_ITEM_INLINE)
        free(cf__item_heap(it));
    it->out_len = 0;
    it->out[0] = '\0';
}

/* Drops the result and the message. */
static void item_clear(cf_item *it) {
    item_free_out(it);
    if (it->has_msg) free(cf__item_msg(it));
    it->has_msg = 0;
}

void cf__item_set_msg(cf_item *it, char *m) {
    item_clear(it);
    if (m) {
        memcpy(it->out + 4, &m, sizeof m);
        it->has_msg = 1;
    }
}

void cf__future_unref(cf_future *f) {
    if (!f) return;
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
    size_t bytes = 0;
    for (size_t i = 0; i < f->nitems; i++) {
        cf_item *it = &f->item[i];
        if (it->out_len > CF_ITEM_INLINE) item_free_out(it);
        if (it->has_msg) free(cf__item_msg(it));
        bytes += it->in_len;
    }
    /* Callbacks are left only on a future that never completed. */
    while (atomic_load_explicit(&f->state, memory_order_relaxed) != CF_DONE && f->callbacks) {
        cf_cbnode *c = f->callbacks;
        f->callbacks = c->next;
        free(c);
    }
    cf__block_free(f, block_bytes(f->nitems, f->traced, bytes));
}

void cf_future_free(cf_future *f) {
    cf__future_unref(f);
}

int cf__item_set_out(cf_future *f, cf_item *it, const void *data, size_t len) {
    (void)f;
    item_clear(it);
    unsigned char *out = it->out;
    if (len > CF_ITEM_INLINE) {
        /* Big ones are recycled (slab.c): a fresh megabyte faults in 256
         * pages. */
        int block = len + 1 > CF_SLAB_MAX;
        out = block ? cf__block_alloc(len + 1) : malloc(len + 1);
        if (!out) return CF_ENOMEM;
        cf__item_set_heap(it, out, block);
    }
    if (len) memcpy(out, data, len);
    out[len] = '\0';
    it->out_len = (uint32_t)len;
    return 0;
}

int cf__run_items(cf_future *f) {
    int outcome = 0;
    cf_trace *trace = cf__trace(f);
    const unsigned char *in = cf__future_input(f);
    for (size_t i = 0; i < f->nitems; i++) {
        cf_item *it = &f->item[i];
        cf_out o;
        cf__out_init(&o, it->out, CF_ITEM_INLINE);
        if (trace) trace->item[i].start = cf_now_ns();
        it->status = f->task->fn(in, it->in_len, &o);
        in += it->in_len;
        if (trace) trace->item[i].end = cf_now_ns();
        if (o.data && o.data != it->out && o.len <= CF_ITEM_INLINE)
            memcpy(it->out, o.data, o.len); /* a heap result that fits */
        else if (o.data && o.data != it->out) {
            cf__item_set_heap(it, o.heap, 0); /* taken: reserve left room for the NUL */
            o.heap = NULL;
        }
        if (o.data) {
            it->out_len = (uint32_t)o.len;
            cf__item_out(it)[o.len] = '\0';
        }
        cf__out_release(&o);
        if (it->status != 0) {
            outcome = CF_ETASK;
            if (o.msg[0]) cf__item_set_msg(it, strdup(o.msg));
        }
    }
    return outcome;
}

int cf__future_start(cf_future *f, int worker) {
    int ok = 0;
    lock(f);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) == CF_PENDING) {
        atomic_store_explicit(&f->state, CF_RUNNING, memory_order_release);
        f->worker = worker;
        if (f->traced) cf__trace(f)->times.start = cf_now_ns();
        if (f->hold != CF_HOLD_NONE) unpark(f); /* a cancel awaits the decision */
        f->hold = CF_HOLD_NONE;
        ok = 1;
    }
    unlock(f);
    return ok;
}

int cf__future_hold(cf_future *f, int worker) {
    lock(f);
    int ok = atomic_load_explicit(&f->state, memory_order_relaxed) == CF_PENDING;
    if (ok) {
        f->hold = CF_HOLD_SENT;
        f->worker = worker;
    }
    unlock(f);
    return ok;
}

int cf__future_ask_cancel(cf_future *f) {
    lock(f);
    int pending = atomic_load_explicit(&f->state, memory_order_relaxed) == CF_PENDING;
    if (pending && f->hold == CF_HOLD_SENT) f->hold = CF_HOLD_ASKED;
    int r = pending && f->hold != CF_HOLD_NONE; /* asked now or by another thread */
    unlock(f);
    return r;
}

int cf__future_take_cancel(cf_future *f) {
    lock(f);
    int r = atomic_load_explicit(&f->state, memory_order_relaxed) == CF_PENDING &&
            f->hold == CF_HOLD_ASKED;
    if (r) f->hold = CF_HOLD_CANCELLING;
    unlock(f);
    return r;
}

int cf__future_await_decision(cf_future *f) {
    lock(f);
    while (atomic_load_explicit(&f->state, memory_order_relaxed) == CF_PENDING)
        park(f, INT64_MAX);
    int r = atomic_load_explicit(&f->state, memory_order_relaxed) == CF_DONE &&
            f->outcome == CF_ECANCELLED;
    unlock(f);
    return r;
}

static void finish_unlock(cf_future *f, lot_pair *p, int outcome, const char *xmsg);

/* The shared word a process pool's worker claims f's job by, while f is
 * attached to one (f->claimed); NULL otherwise. */
static _Atomic(uint64_t) *claim_word(const cf_future *f) {
    if (!f->claimed) return NULL;
    return &f->ex->claim_words[CF_CLAIM_SEQ(f->queued) & f->ex->claim_mask];
}

int cf__future_attach_claim(cf_future *f, uint64_t queued, int worker) {
    lock(f);
    int ok = atomic_load_explicit(&f->state, memory_order_relaxed) == CF_PENDING;
    if (ok) {
        f->claimed = 1;
        f->queued = queued;
        f->worker = worker;
    }
    unlock(f);
    return ok;
}

void cf__future_detach_claim(cf_future *f) {
    lock(f);
    f->claimed = 0;
    unlock(f);
}

int cf__future_revoke(cf_future *f, uint64_t revoked) {
    lock(f);
    uint64_t q = f->queued;
    _Atomic(uint64_t) *w = claim_word(f);
    int won = w && atomic_compare_exchange_strong_explicit(w, &q, revoked, memory_order_acq_rel,
                                                           memory_order_acquire);
    if (won) f->claimed = 0;
    unlock(f);
    return won;
}

int cf__future_fail_items(cf_future *f, int status, const char *msg) {
    lot_pair *p = lock(f);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) == CF_DONE) {
        unlock(f);
        return 0;
    }
    for (size_t i = 0; i < f->nitems; i++) {
        f->item[i].status = status;
        cf__item_set_msg(&f->item[i], strdup(msg)); /* NULL if out of memory: "" then */
    }
    finish_unlock(f, p, CF_ETASK, NULL);
    return 1;
}

/* With the future lock held: has a worker process claimed f's job? The word moved
 * away from `queued`: claimed, or reused for a later job, which happens
 * only once this one has started. Cancel's own CAS moves it to CANCELLED,
 * but then f is DONE and nobody asks. */
static int claimed_locked(const cf_future *f) {
    _Atomic(uint64_t) *w = claim_word(f);
    return w && atomic_load_explicit(w, memory_order_acquire) != f->queued;
}

/* Keeps the executor's explanation of an outcome that is not the task's:
 * its items are not used then, and item[0]'s message says it
 * (internal.h). Apart from finish_unlock, which every task passes. */
__attribute__((noinline, cold)) static void explain(cf_future *f, int outcome, const char *xmsg) {
    if (outcome != 0 && outcome != CF_ETASK && !f->item[0].has_msg)
        cf__item_set_msg(&f->item[0], strdup(xmsg));
}

/* cf__wakes_defer's state: whether this thread defers, and the lot pairs
 * (a bit each) to wake at the flush. */
static _Thread_local int deferring;
static _Thread_local uint64_t deferred;
_Static_assert(NLOT <= 64, "one bit a pair");

void cf__wakes_defer(void) {
    deferring = 1;
}

static void wake_deferred(void) {
    while (deferred) {
        int i = __builtin_ctzll(deferred);
        deferred &= deferred - 1;
        pthread_cond_broadcast(&cf__lot[i].cv);
    }
}

void cf__wakes_flush(void) {
    deferring = 0;
    wake_deferred();
}

/* With the future lock (pair p) held and f not done: marks it done, tells
 * the cf_waiters hooked on it, unlocks, wakes the threads parked on p, and
 * runs the callbacks (in the order added) unlocked.
 *
 * The parked threads are woken after the unlock, not under it: a thread
 * woken under it first blocks on the lock the waker still holds. A
 * sched_switch trace of a process map showed it, the consumer and the
 * manager sharing a CPU: wake, switch to the consumer, it blocks on the
 * lock, switch back, unlock, wake it again: four context switches per
 * completion for one. Broadcasting unlocked is safe here: the pair is
 * static (it outlives f), a thread that parked before the unlock is
 * counted in nwait, read under the lock, and one that comes after sees
 * DONE before it parks. */
static void finish_unlock(cf_future *f, lot_pair *p, int outcome, const char *xmsg) {
    cf_cbnode *cbs = f->callbacks, *rev = NULL;
    f->callbacks = NULL;
    f->outcome = outcome; /* in the callbacks' place */
    f->claimed = 0;
    f->hold = CF_HOLD_NONE;
    if (xmsg) explain(f, outcome, xmsg);
    cf_trace *tr = cf__trace(f);
    if (tr) {
        cf_times *t = &tr->times;
        int64_t now = cf_now_ns();
        if (tr->item[0].start) t->start = tr->item[0].start;
        if (tr->item[f->nitems - 1].end) t->end = tr->item[f->nitems - 1].end;
        if (!t->end) t->end = now;
        if (!t->start) t->start = t->end;
        /* In-process results are in the caller's hands when they end. */
        t->collect = f->ex->kind == CF_PROCESS || f->ex->kind == CF_MPI ? now : t->end;
    }
    atomic_store_explicit(&f->state, CF_DONE, memory_order_release);
    for (cf_wnode *n = f->waiters; n; n = n->next)
        cf__waiter_notify(n->w, n->index, cf__failed(outcome));
    int parked = p->nwait;
    pthread_mutex_unlock(&p->mu);
    if (parked && deferring)
        deferred |= UINT64_C(1) << (p - cf__lot);
    else if (parked)
        pthread_cond_broadcast(&p->cv);
    if (cbs) wake_deferred(); /* a callback may block: nothing waits on us then */
    while (cbs) { /* stored newest first: reverse */
        cf_cbnode *c = cbs;
        cbs = c->next;
        c->next = rev;
        rev = c;
    }
    while (rev) {
        cf_cbnode *next = rev->next;
        rev->fn(f, rev->arg);
        free(rev);
        rev = next;
    }
}

int cf__future_finish(cf_future *f, int outcome, const char *xmsg) {
    lot_pair *p = lock(f);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) == CF_DONE) {
        unlock(f);
        return 0;
    }
    finish_unlock(f, p, outcome, xmsg);
    return 1;
}

void cf__fifo_fail(cf_fifo *q, int outcome, const char *msg) {
    cf_future *f;
    while ((f = cf__fifo_pop(q))) {
        if (outcome == CF_ECANCELLED)
            cf_future_cancel(f);
        else
            cf__future_finish(f, outcome, msg);
        cf__future_unref(f);
    }
}

int cf_future_cancel(cf_future *f) {
    if (!f) return 0;
    lock(f);
    int st = atomic_load_explicit(&f->state, memory_order_relaxed);
    if (st == CF_PENDING && f->hold != CF_HOLD_NONE) { /* its worker decides */
        unlock(f);
        return f->ex->ops->ask_cancel(f->ex, f) ? cf__future_await_decision(f)
                                                : cf_future_cancelled(f);
    }
    uint64_t q = f->queued;
    _Atomic(uint64_t) *w = claim_word(f);
    if (st == CF_PENDING && w &&
        !atomic_compare_exchange_strong_explicit(
            w, &q, CF_CLAIM(CF_CLAIM_SEQ(f->queued), CF_CLAIM_CANCELLED), memory_order_acq_rel,
            memory_order_acquire))
        st = CF_RUNNING; /* a worker process started it first */
    if (st != CF_PENDING) {
        int r = st == CF_DONE && f->outcome == CF_ECANCELLED;
        unlock(f);
        return r;
    }
    finish_unlock(f, pair_of(f), CF_ECANCELLED, "cancelled before it started");
    return 1;
}

void cf__future_cancel_nowait(cf_future *f) {
    lock(f);
    int held = atomic_load_explicit(&f->state, memory_order_relaxed) == CF_PENDING &&
               f->hold != CF_HOLD_NONE;
    unlock(f);
    if (held)
        f->ex->ops->ask_cancel(f->ex, f);
    else
        cf_future_cancel(f);
}

int cf__future_state(const cf_future *f, int *worker) {
    lock(f);
    int st = atomic_load_explicit(&f->state, memory_order_relaxed);
    *worker = f->worker;
    unlock(f);
    return st;
}

int cf_future_done(const cf_future *f) {
    return f && atomic_load_explicit(&f->state, memory_order_acquire) == CF_DONE;
}

int cf_future_running(const cf_future *f) {
    if (!f) return 0;
    int st = atomic_load_explicit(&f->state, memory_order_acquire);
    if (st != CF_PENDING) return st == CF_RUNNING;
    lock(f);
    int r =
        atomic_load_explicit(&f->state, memory_order_relaxed) == CF_PENDING && claimed_locked(f);
    unlock(f);
    return r;
}

int cf_future_cancelled(const cf_future *f) {
    return cf_future_done(f) && f->outcome == CF_ECANCELLED;
}

int cf_future_outcome(const cf_future *f) {
    if (!cf_future_done(f)) return CF_EINVAL;
    return f->outcome;
}

int cf_future_error(const cf_future *f, const char **msg) {
    if (msg) *msg = "";
    if (!cf_future_done(f)) return 0;
    const cf_item *it = &f->item[0];
    if (msg && it->has_msg) *msg = cf__item_msg(it); /* the task's, or the executor's */
    return f->outcome == CF_ETASK ? it->status : 0;
}

int cf_future_wait(cf_future *f, double timeout) {
    if (!f || timeout != timeout) return CF_EINVAL;
    if (cf_future_done(f)) return 0;
    if (timeout == 0) return CF_ETIMEDOUT;
    int64_t deadline = cf__deadline(timeout);
    int blocked = 0;
    if (deadline == INT64_MAX && cf__self) {
        int r = cf__dl_block(&f, 1, 1);
        if (r) return r;
        blocked = 1;
    }
    int gil = cf__gil_pause(); /* CPython waits without its GIL too */
    lock(f);
    while (atomic_load_explicit(&f->state, memory_order_relaxed) != CF_DONE)
        if (park(f, deadline) == ETIMEDOUT) break;
    int done = atomic_load_explicit(&f->state, memory_order_relaxed) == CF_DONE;
    unlock(f);
    cf__gil_resume(gil);
    if (blocked) cf__dl_unblock();
    return done ? 0 : CF_ETIMEDOUT;
}

int cf_future_result(cf_future *f, double timeout, const void **data, size_t *len) {
    int r = cf_future_wait(f, timeout);
    if (r) return r;
    if (f->outcome == 0) {
        if (data) *data = cf__item_out(&f->item[0]);
        if (len) *len = f->item[0].out_len;
    }
    return f->outcome;
}

/* ---- futures without an executor ------------------------------------- */

int cf_future_new(cf_future **out) {
    if (!out) return CF_EINVAL;
    size_t none = 0;
    const void *in[1] = {NULL};
    *out = cf__future_new(NULL, NULL, 1, in, &none);
    return *out ? 0 : CF_ENOMEM;
}

int cf_future_set_running_or_notify_cancel(cf_future *f) {
    if (!f) return CF_EINVAL;
    lock(f);
    int st = atomic_load_explicit(&f->state, memory_order_relaxed);
    int r = st == CF_PENDING ? 1 : st == CF_DONE && f->outcome == CF_ECANCELLED ? 0 : CF_ESTATE;
    if (r == 1) atomic_store_explicit(&f->state, CF_RUNNING, memory_order_release);
    unlock(f);
    return r;
}

/* Completes f (any executor or none) with an outcome the caller built:
 * item 0 already holds the result or error. CF_ESTATE if done. */
static int set_outcome(cf_future *f, int outcome, int status, const void *data, size_t len,
                       const char *msg) {
    lock(f);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) == CF_DONE) {
        unlock(f);
        return CF_ESTATE;
    }
    cf_item *it = &f->item[0];
    int r = cf__item_set_out(f, it, data, len);
    char *m = msg ? strdup(msg) : NULL;
    if (r || (msg && !m)) {
        unlock(f);
        free(m);
        return CF_ENOMEM;
    }
    it->status = status;
    if (m) cf__item_set_msg(it, m); /* set_error: no result to lose */
    finish_unlock(f, pair_of(f), outcome, NULL);
    return 0;
}

int cf_future_set_result(cf_future *f, const void *data, size_t len) {
    if (!f || (!data && len)) return CF_EINVAL;
    if (len > CF_MAX_BYTES) return CF_ETOOBIG;
    return set_outcome(f, 0, 0, data, len, NULL);
}

int cf_future_set_error(cf_future *f, int status, const char *msg) {
    if (!f || status == 0) return CF_EINVAL;
    return set_outcome(f, CF_ETASK, status, NULL, 0, msg);
}

int cf_future_add_done_callback(cf_future *f, cf_done_fn fn, void *arg) {
    if (!f || !fn) return CF_EINVAL;
    cf_cbnode *c = malloc(sizeof *c);
    if (!c) return CF_ENOMEM;
    c->fn = fn;
    c->arg = arg;
    lock(f);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) != CF_DONE) {
        c->next = f->callbacks;
        f->callbacks = c;
        c = NULL;
    }
    unlock(f);
    if (c) { /* already done: run now, in the caller */
        fn(f, arg);
        free(c);
    }
    return 0;
}

int cf_future_times(const cf_future *f, cf_times *out) {
    if (!f || !out) return CF_EINVAL;
    if (!cf_future_done(f)) {
        memset(out, 0, sizeof *out);
        out->worker = -1;
        return CF_EINVAL;
    }
    cf__future_times(f, out);
    return 0;
}

void cf__future_times(const cf_future *f, cf_times *out) {
    if (f->traced)
        *out = cf__trace(f)->times;
    else
        memset(out, 0, sizeof *out);
    out->worker = f->worker;
}
