/* thread_pool.c -- the thread pool executor.
 *
 * Lifecycle: cf__thread_new starts every worker at once (Python starts
 * them lazily; starting them up front keeps the deadlock detector's count of
 * workers exact and costs ~20 µs a thread). Each worker runs the
 * initializer, then takes futures from one FIFO queue until the pool is
 * shut down and the queue is empty. shutdown(cancel_futures) empties the
 * queue by cancelling; shutdown(wait) joins the workers.
 *
 * Locks: one mutex `mu` guards the queue and the flags below; `work_cv`
 * wakes idle workers. No lock is held while a task runs. The future lock
 * (shared by address, see future.c) is taken by the worker that starts and
 * finishes a future (and by waiters), never while `mu` is held.
 *
 * Failures: a task's failure is its future's outcome, nothing more. An
 * initializer that fails breaks the pool (as Python's BrokenThreadPool):
 * queued futures fail with CF_EBROKEN and later submits are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct tpool {
    cf_executor ex;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    /* Guarded by mu. */
    cf_fifo queue;
    int idle;     /* workers waiting on work_cv */
    int shutdown; /* no more submits */
    int broken;   /* an initializer failed */
    /* Written before the workers start, then read-only. */
    pthread_t *threads;
    cf_worker *workers;
    int nthreads;
    /* Serialises joining when several threads shut down with wait. */
    pthread_mutex_t join_mu;
    int joined; /* guarded by join_mu */
} tpool;

static void *worker_main(void *arg) {
    cf_worker *self = arg;
    tpool *p = (tpool *)self->ex;
    cf__self = self;
    cf__name_thread(&p->ex, self->index);
    if (p->ex.opts.initializer && p->ex.opts.initializer(p->ex.opts.initarg)) {
        char msg[96];
        snprintf(msg, sizeof msg, "initializer failed in thread worker %d", self->index);
        pthread_mutex_lock(&p->mu);
        p->broken = 1;
        cf_fifo q = cf__fifo_take(&p->queue);
        pthread_cond_broadcast(&p->work_cv);
        pthread_mutex_unlock(&p->mu);
        cf__fifo_fail(&q, CF_EBROKEN, msg);
        return NULL;
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->queue.head && !p->shutdown && !p->broken) {
            p->idle++;
            pthread_cond_wait(&p->work_cv, &p->mu);
            p->idle--;
        }
        cf_future *f = cf__fifo_pop(&p->queue);
        if (!f) break;
        pthread_mutex_unlock(&p->mu);
        if (cf__future_start(f, self->index)) {
            double gil = p->ex.opts.gil_interval;
            if (gil > 0) cf__gil_enter(gil);
            int outcome = cf__run_items(f);
            if (gil > 0) cf__gil_leave();
            cf__future_finish(f, outcome, NULL);
        }
        cf__future_unref(f);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int tp_submit(cf_executor *ex, cf_future *f) {
    tpool *p = (tpool *)ex;
    int r = 0;
    pthread_mutex_lock(&p->mu);
    if (p->broken) {
        r = CF_EBROKEN;
    } else if (p->shutdown) {
        r = CF_ESHUTDOWN;
    } else {
        cf__fifo_push(&p->queue, f);
        if (p->idle) pthread_cond_signal(&p->work_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return r;
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
    pthread_mutex_lock(&p->mu);
    p->shutdown = 1;
    if (cancel) q = cf__fifo_take(&p->queue);
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    cf__fifo_fail(&q, CF_ECANCELLED, NULL);
    if (wait) join_all(p);
    return 0;
}

static void tp_destroy(cf_executor *ex) {
    tpool *p = (tpool *)ex;
    cf__dl_pool_remove(ex);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->join_mu);
    pthread_cond_destroy(&p->work_cv);
    free(p->threads);
    free(p->workers);
    free(p);
}

static const cf_ops tp_ops = {.submit = tp_submit, .shutdown = tp_shutdown, .destroy = tp_destroy};

int cf__thread_new(const cf_options *o, cf_executor **out) {
    tpool *p = calloc(1, sizeof *p);
    if (!p) return CF_ENOMEM;
    int n = o->max_workers;
    cf__executor_init(&p->ex, CF_THREAD, n, o, &tp_ops);
    p->threads = calloc(n, sizeof *p->threads);
    p->workers = calloc(n, sizeof *p->workers);
    if (!p->threads || !p->workers) goto nomem;
    if (pthread_mutex_init(&p->mu, NULL)) goto nomem;
    if (pthread_mutex_init(&p->join_mu, NULL)) {
        pthread_mutex_destroy(&p->mu);
        goto nomem;
    }
    if (pthread_cond_init(&p->work_cv, NULL)) {
        pthread_mutex_destroy(&p->mu);
        pthread_mutex_destroy(&p->join_mu);
        goto nomem;
    }
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
nomem:
    free(p->threads);
    free(p->workers);
    free(p);
    return CF_ENOMEM;
}
