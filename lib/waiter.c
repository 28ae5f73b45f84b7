/* waiter.c -- waiting on many futures at once (cf_wait, as_completed): a
 * cf_waiter hooked on each future, told by each completion under that
 * future's lock (lock order: future lock -> waiter). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lot.h"

/* With f's future lock held: records that fs[index] finished. */
void cf__waiter_notify(cf_waiter *w, size_t index, int failed) {
    pthread_mutex_lock(&w->mu);
    if (w->nring < w->ringcap) w->ring[w->nring++] = index;
    w->ndone++;
    if (failed) w->nfailed++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int cf__waiter_init(cf_waiter *w, size_t n) {
    memset(w, 0, sizeof *w);
    w->ring = malloc((n ? n : 1) * sizeof *w->ring);
    if (!w->ring) return CF_ENOMEM;
    w->ringcap = n;
    int err = -pthread_mutex_init(&w->mu, NULL);
    if (err) goto fail;
    if ((err = cf__cond_init(&w->cv))) {
        pthread_mutex_destroy(&w->mu);
        goto fail;
    }
    return 0;
fail:
    free(w->ring);
    return err;
}

void cf__waiter_destroy(cf_waiter *w) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->ring);
}

void cf__waiter_attach(cf_waiter *w, cf_future *const *fs, size_t n, cf_wnode *nodes) {
    for (size_t i = 0; i < n; i++) {
        cf_future *f = fs[i];
        cf_wnode *node = &nodes[i];
        node->w = NULL;
        node->index = i;
        node->prev = node->next = NULL;
        lock(f);
        if (atomic_load_explicit(&f->state, memory_order_relaxed) == CF_DONE) {
            cf__waiter_notify(w, i, cf__failed(f->outcome));
        } else {
            node->w = w;
            node->next = f->waiters;
            if (f->waiters) f->waiters->prev = node;
            f->waiters = node;
        }
        unlock(f);
    }
}

void cf__waiter_detach(cf_future *const *fs, size_t n, cf_wnode *nodes) {
    for (size_t i = 0; i < n; i++) {
        cf_wnode *node = &nodes[i];
        if (!node->w) continue;
        cf_future *f = fs[i];
        lock(f);
        if (node->prev)
            node->prev->next = node->next;
        else
            f->waiters = node->next;
        if (node->next) node->next->prev = node->prev;
        unlock(f);
        node->w = NULL;
    }
}
