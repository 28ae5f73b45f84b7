/* deadlock.c -- detects waits inside pool workers that can never finish.
 *
 * Python hangs when a task waits on a future that no free worker can run
 * (one worker, waiting on a task queued behind itself) or when two tasks
 * wait on each other. Here, before a pool worker blocks without a time
 * limit, it registers what it waits on and the detector decides, over all
 * live thread pools, which blocked workers can never wake:
 *
 *   a future can still finish unless it is not done and either runs on a
 *   stuck worker or is queued in a pool whose workers are all stuck;
 *   a blocked worker is stuck unless its wait can still be satisfied.
 *
 * This is a greatest fixed point: start with every blocked worker stuck and
 * free those whose wait can be satisfied until nothing changes. If the
 * worker about to block is still stuck, its wait fails with CF_EDEADLK
 * instead; its task goes on and can fail, which frees the others. Futures of
 * process pools and of the sequential executor always count as able to
 * finish. All of this happens under one global lock, taken only when a pool
 * worker is about to block, never on the per-task path. Lock order:
 * dl_mu -> future lock.
 */
#include <stdlib.h>

#include "internal.h"

__thread cf_worker *cf__self;
__thread cf_executor *cf__manager_of;

typedef struct dl_pool {
    cf_executor *ex;
    cf_worker *workers;
    int n;
    struct dl_pool *next;
} dl_pool;

static pthread_mutex_t dl_mu = PTHREAD_MUTEX_INITIALIZER;
static dl_pool *pools; /* guarded by dl_mu, like every worker's blocked,
                          waits, nwaits, all and stuck fields */

void cf__dl_pool_add(cf_executor *ex, cf_worker *workers, int n) {
    dl_pool *p = malloc(sizeof *p);
    pthread_mutex_lock(&dl_mu);
    if (p) { /* without memory the pool is just not watched */
        p->ex = ex;
        p->workers = workers;
        p->n = n;
        p->next = pools;
        pools = p;
    }
    pthread_mutex_unlock(&dl_mu);
}

void cf__dl_pool_remove(cf_executor *ex) {
    pthread_mutex_lock(&dl_mu);
    for (dl_pool **pp = &pools; *pp; pp = &(*pp)->next) {
        if ((*pp)->ex == ex) {
            dl_pool *p = *pp;
            *pp = p->next;
            free(p);
            break;
        }
    }
    pthread_mutex_unlock(&dl_mu);
}

static dl_pool *pool_of(const cf_executor *ex) {
    for (dl_pool *p = pools; p; p = p->next)
        if (p->ex == ex) return p;
    return NULL;
}

static int future_stuck(cf_future *f) {
    int worker;
    int state = cf__future_state(f, &worker);
    if (state == CF_DONE) return 0;
    dl_pool *p = pool_of(f->ex);
    if (!p) return 0;
    if (state == CF_RUNNING) return worker >= 0 && worker < p->n && p->workers[worker].stuck;
    for (int i = 0; i < p->n; i++)
        if (!p->workers[i].stuck) return 0;
    return 1;
}

static int can_wake(const cf_worker *w) {
    for (size_t i = 0; i < w->nwaits; i++) {
        int stuck = future_stuck(w->waits[i]);
        if (w->all && stuck) return 0;
        if (!w->all && !stuck) return 1;
    }
    return w->all || w->nwaits == 0;
}

int cf__dl_block(cf_future *const *fs, size_t n, int all) {
    cf_worker *self = cf__self;
    if (!self || !self->ex) return 0;
    pthread_mutex_lock(&dl_mu);
    self->blocked = 1;
    self->waits = fs;
    self->nwaits = n;
    self->all = all;
    for (dl_pool *p = pools; p; p = p->next)
        for (int i = 0; i < p->n; i++)
            p->workers[i].stuck = p->workers[i].blocked;
    for (int changed = 1; changed;) {
        changed = 0;
        for (dl_pool *p = pools; p; p = p->next)
            for (int i = 0; i < p->n; i++) {
                cf_worker *w = &p->workers[i];
                if (w->stuck && can_wake(w)) {
                    w->stuck = 0;
                    changed = 1;
                }
            }
    }
    int deadlock = self->stuck;
    if (deadlock) {
        self->blocked = 0;
        self->waits = NULL;
        self->nwaits = 0;
    }
    pthread_mutex_unlock(&dl_mu);
    return deadlock ? CF_EDEADLK : 0;
}

void cf__dl_unblock(void) {
    cf_worker *self = cf__self;
    if (!self || !self->ex) return;
    pthread_mutex_lock(&dl_mu);
    self->blocked = 0;
    self->waits = NULL;
    self->nwaits = 0;
    pthread_mutex_unlock(&dl_mu);
}

int cf_worker_index(void) {
    return cf__self ? cf__self->index : -1;
}
