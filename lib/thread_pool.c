/* thread_pool.c -- the thread pool executor.
 *
 * Lifecycle: cf__thread_new starts every worker at once (Python starts
 * them lazily; starting them up front keeps the deadlock detector's count of
 * workers exact and costs ~20 µs a thread). Each worker runs the
 * initializer, then takes futures in submission order until the pool is
 * shut down and nothing is queued. shutdown(cancel_futures) empties the
 * queue by cancelling; shutdown(wait) joins the workers.
 *
 * The queue is two lists. Submitters push onto `top`, a stack that one
 * compare-and-swap updates, so that no submitter waits on a lock held by a
 * worker or by another submitter; the stack's low bits are the pool's
 * flags (CLOSED: shut down, BROKEN: an initializer failed), so that a push
 * and a shutdown cannot cross: a push that succeeded came before the close
 * and will run. A worker takes futures from `queue`, a FIFO under
 * `take_mu`; when it is empty, the worker takes the whole stack at once and
 * reverses it onto the FIFO, so futures run in the order of their pushes.
 *
 * Sleeping: a worker that finds nothing lists itself in `parked` (under
 * `sleep_mu`), counted in `nparked`, looks at `top` one last time, and
 * sleeps on its own condition variable. A submitter reads `nparked` after
 * its push and, only if some worker is parked, takes one off the list and
 * wakes it: one wake-up per sleeping worker, not one per submit while the
 * woken worker waits for a core. Both sides are sequentially consistent,
 * so either the worker sees the push or the submitter sees the sleeper.
 *
 * Locks: take_mu and sleep_mu are never held together, nor while a task
 * runs. The future lock (shared by address, see future.c) is taken by the
 * worker that starts and finishes a future (and by waiters), never while
 * either is held.
 *
 * Failures: a task's failure is its future's outcome, nothing more. An
 * initializer that fails breaks the pool (as Python's BrokenThreadPool):
 * queued futures fail with CF_EBROKEN and later submits are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Flags in the low bits of `top` (futures are at least 8-byte aligned). */
enum { CLOSED = 1, BROKEN = 2, FLAGS = 3 };
_Static_assert(_Alignof(cf_future) > FLAGS, "a future's address leaves the flag bits free");

/* A worker's place to sleep: its own condition variable (with the pool's
 * sleep_mu), so that a submitter wakes one chosen worker, once. */
typedef struct sleeper {
    pthread_cond_t cv;
    struct sleeper *next; /* in parked; guarded by sleep_mu */
    int woken;            /* guarded by sleep_mu: a waker took it off parked */
} sleeper;

typedef struct tpool {
    cf_executor ex;
    /* The submission stack and the flags, on a cache line of its own:
     * every submit writes it. */
    _Alignas(64) _Atomic uintptr_t top;
    _Alignas(64) pthread_mutex_t take_mu;
    cf_fifo queue; /* guarded by take_mu */
    _Alignas(64) pthread_mutex_t sleep_mu;
    sleeper *parked;    /* guarded by sleep_mu: parked, not yet woken */
    atomic_int nparked; /* how many; written under sleep_mu */
    /* Written before the workers start, then read-only. */
    sleeper *sleepers; /* one per worker */
    pthread_t *threads;
    cf_worker *workers;
    int nthreads;
    /* Serialises joining when several threads shut down with wait. */
    pthread_mutex_t join_mu;
    int joined; /* guarded by join_mu */
} tpool;

static cf_future *stack_of(uintptr_t top) {
    return (cf_future *)(top & ~(uintptr_t)FLAGS);
}

/* Sets `flags` in top; with `take`, empties the stack too and returns
 * what it held, in push order. */
static cf_fifo close_stack(tpool *p, uintptr_t flags, int take) {
    uintptr_t t = atomic_load(&p->top);
    uintptr_t want;
    do
        want = take ? (t & FLAGS) | flags : t | flags;
    while (!atomic_compare_exchange_weak(&p->top, &t, want));
    cf_fifo q = {NULL, NULL};
    if (take)
        for (cf_future *f = stack_of(t), *next; f; f = next) {
            next = f->next;
            f->next = q.head; /* reversed: push order */
            q.head = f;
            if (!q.tail) q.tail = f;
        }
    return q;
}

/* The next future to run, or NULL if none is queued; then *closed says
 * whether the pool was closed when the stack was seen empty: if so, no
 * more can come. Reads `top` only when the FIFO is empty, so that a busy
 * worker leaves the submitters' cache line alone. */
static cf_future *take(tpool *p, int *closed) {
    pthread_mutex_lock(&p->take_mu);
    cf_future *f = cf__fifo_pop(&p->queue);
    if (!f) {
        uintptr_t t = atomic_load(&p->top);
        if (stack_of(t)) {
            p->queue = close_stack(p, 0, 1); /* the FIFO was empty */
            f = cf__fifo_pop(&p->queue);
        }
        *closed = (t & CLOSED) != 0;
    }
    pthread_mutex_unlock(&p->take_mu);
    return f;
}

/* Parks until the stack holds work, the pool closes, or a submitter wakes
 * this worker. */
static void wait_for_work(tpool *p, sleeper *me) {
    pthread_mutex_lock(&p->sleep_mu);
    me->woken = 0;
    me->next = p->parked;
    p->parked = me;
    atomic_fetch_add(&p->nparked, 1);
    while (!me->woken && atomic_load(&p->top) == 0) /* empty, not closed */
        pthread_cond_wait(&me->cv, &p->sleep_mu);
    if (!me->woken) { /* still listed: unlist */
        sleeper **pp = &p->parked;
        while (*pp != me)
            pp = &(*pp)->next;
        *pp = me->next;
        atomic_fetch_sub(&p->nparked, 1);
    }
    pthread_mutex_unlock(&p->sleep_mu);
}

/* Wakes one parked worker, or all of them. */
static void wake(tpool *p, int all) {
    pthread_mutex_lock(&p->sleep_mu);
    sleeper *s;
    while ((s = p->parked)) {
        p->parked = s->next;
        atomic_fetch_sub(&p->nparked, 1);
        s->woken = 1;
        pthread_cond_signal(&s->cv);
        if (!all) break;
    }
    pthread_mutex_unlock(&p->sleep_mu);
}

/* The initializer failed: no more submits, and what is queued fails. */
static void break_pool(tpool *p, int index) {
    char msg[96];
    snprintf(msg, sizeof msg, "initializer failed in thread worker %d", index);
    cf_fifo in = close_stack(p, CLOSED | BROKEN, 1);
    pthread_mutex_lock(&p->take_mu);
    cf_fifo q = cf__fifo_take(&p->queue);
    pthread_mutex_unlock(&p->take_mu);
    wake(p, 1);
    cf__fifo_fail(&q, CF_EBROKEN, msg);
    cf__fifo_fail(&in, CF_EBROKEN, msg);
}

static void run_one(tpool *p, cf_worker *self, cf_future *f) {
    if (cf__future_start(f, self->index)) {
        double gil = p->ex.opts.gil_interval;
        if (gil > 0) cf__gil_enter(gil);
        int outcome = cf__run_items(f);
        if (gil > 0) cf__gil_leave();
        cf__future_finish(f, outcome, NULL);
    }
    cf__future_unref(f);
}

static void *worker_main(void *arg) {
    cf_worker *self = arg;
    tpool *p = (tpool *)self->ex;
    cf__self = self;
    cf__name_thread(&p->ex, self->index);
    if (p->ex.opts.initializer && p->ex.opts.initializer(p->ex.opts.initarg)) {
        break_pool(p, self->index);
        return NULL;
    }
    for (;;) {
        int closed = 0;
        cf_future *f = take(p, &closed);
        if (f)
            run_one(p, self, f);
        else if (closed)
            break;
        else
            wait_for_work(p, &p->sleepers[self->index]);
    }
    return NULL;
}

/* Pushes fs[0..n) in that order with one compare-and-swap; wakes one
 * parked worker, or all of them for a batch. */
static int tp_submit_many(cf_executor *ex, cf_future *const *fs, size_t n) {
    tpool *p = (tpool *)ex;
    if (n == 0) return 0;
    for (size_t i = 1; i < n; i++)
        fs[i]->next = fs[i - 1];
    uintptr_t t = atomic_load_explicit(&p->top, memory_order_relaxed);
    do {
        if (t & BROKEN) return CF_EBROKEN;
        if (t & CLOSED) return CF_ESHUTDOWN;
        fs[0]->next = stack_of(t);
    } while (!atomic_compare_exchange_weak(&p->top, &t, (uintptr_t)fs[n - 1]));
    if (atomic_load(&p->nparked)) wake(p, n > 1);
    return 0;
}

static int tp_submit(cf_executor *ex, cf_future *f) {
    return tp_submit_many(ex, &f, 1);
}

static void join_all(tpool *p) {
    pthread_mutex_lock(&p->join_mu);
    if (!p->joined) {
        for (int i = 0; i < p->nthreads; i++)
            pthread_join(p->threads[i], NULL);
        p->joined = 1;
    }
    pthread_mutex_unlock(&p->join_mu);
}

static int tp_shutdown(cf_executor *ex, int wait, int cancel) {
    tpool *p = (tpool *)ex;
    cf_fifo q = {NULL, NULL};
    cf_fifo in = close_stack(p, CLOSED, cancel);
    if (cancel) {
        pthread_mutex_lock(&p->take_mu);
        q = cf__fifo_take(&p->queue);
        pthread_mutex_unlock(&p->take_mu);
    }
    wake(p, 1);
    cf__fifo_fail(&q, CF_ECANCELLED, NULL);
    cf__fifo_fail(&in, CF_ECANCELLED, NULL);
    if (wait) join_all(p);
    return 0;
}

static void tp_destroy(cf_executor *ex) {
    tpool *p = (tpool *)ex;
    cf__dl_pool_remove(ex);
    pthread_mutex_destroy(&p->take_mu);
    pthread_mutex_destroy(&p->sleep_mu);
    pthread_mutex_destroy(&p->join_mu);
    for (int i = 0; i < p->ex.nworkers; i++)
        pthread_cond_destroy(&p->sleepers[i].cv);
    free(p->sleepers);
    free(p->threads);
    free(p->workers);
    free(p);
}

static const cf_ops tp_ops = {.submit = tp_submit,
                              .shutdown = tp_shutdown,
                              .destroy = tp_destroy,
                              .submit_many = tp_submit_many};

int cf__thread_new(const cf_options *o, cf_executor **out) {
    tpool *p = aligned_alloc(_Alignof(tpool), sizeof(tpool));
    if (!p) return CF_ENOMEM;
    memset(p, 0, sizeof *p);
    int n = o->max_workers, ncv = 0;
    cf__executor_init(&p->ex, CF_THREAD, n, o, &tp_ops);
    atomic_init(&p->top, 0);
    atomic_init(&p->nparked, 0);
    p->threads = calloc(n, sizeof *p->threads);
    p->workers = calloc(n, sizeof *p->workers);
    p->sleepers = calloc(n, sizeof *p->sleepers);
    if (!p->threads || !p->workers || !p->sleepers) goto nomem;
    if (pthread_mutex_init(&p->take_mu, NULL)) goto nomem;
    if (pthread_mutex_init(&p->sleep_mu, NULL)) goto nomem_take;
    if (pthread_mutex_init(&p->join_mu, NULL)) goto nomem_sleep;
    for (; ncv < n; ncv++)
        if (pthread_cond_init(&p->sleepers[ncv].cv, NULL)) goto nomem_cv;
    for (int i = 0; i < n; i++) {
        p->workers[i].ex = &p->ex;
        p->workers[i].index = i;
    }
    cf__dl_pool_add(&p->ex, p->workers, n);
    for (int i = 0; i < n; i++) {
        int e = cf__thread_start(&p->threads[i], worker_main, &p->workers[i]);
        if (e) {
            p->nthreads = i;
            tp_shutdown(&p->ex, 1, 1);
            tp_destroy(&p->ex);
            return -e;
        }
    }
    p->nthreads = n;
    *out = &p->ex;
    return 0;
nomem_cv:
    while (ncv--)
        pthread_cond_destroy(&p->sleepers[ncv].cv);
    pthread_mutex_destroy(&p->join_mu);
nomem_sleep:
    pthread_mutex_destroy(&p->sleep_mu);
nomem_take:
    pthread_mutex_destroy(&p->take_mu);
nomem:
    free(p->sleepers);
    free(p->threads);
    free(p->workers);
    free(p);
    return CF_ENOMEM;
}
