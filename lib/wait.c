/* wait.c -- waiting on many futures: cf_wait and cf_as_completed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int satisfied(const cf_waiter *w, size_t n, cf_return_when when) {
    if (w->ndone == n) return 1;
    if (when == CF_FIRST_COMPLETED) return w->ndone > 0;
    if (when == CF_FIRST_EXCEPTION) return w->nfailed > 0;
    return 0;
}

int cf_wait(cf_future *const *fs, size_t n, double timeout, cf_return_when when,
            unsigned char *done) {
    if ((!fs && n) || when < CF_FIRST_COMPLETED || when > CF_ALL_COMPLETED) return CF_EINVAL;
    if (timeout != timeout) return CF_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!fs[i]) return CF_EINVAL;
    int64_t deadline = cf__deadline(timeout);
    cf_waiter w;
    cf_wnode *nodes = malloc((n ? n : 1) * sizeof *nodes);
    if (!nodes) return CF_ENOMEM;
    int r = cf__waiter_init(&w, n);
    if (r) {
        free(nodes);
        return r;
    }
    cf__waiter_attach(&w, fs, n, nodes);

    int blocked = 0;
    pthread_mutex_lock(&w.mu);
    int ok = satisfied(&w, n, when);
    pthread_mutex_unlock(&w.mu);
    if (!ok && deadline == INT64_MAX && cf__self && timeout != 0) {
        /* For "any", futures already done (but not enough for `when`)
         * would hide a deadlock among the rest: pass only the rest. */
        cf_future **rest = malloc(n * sizeof *rest);
        size_t k = 0;
        if (!rest) {
            r = CF_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            if (!cf_future_done(fs[i])) rest[k++] = fs[i];
        r = k ? cf__dl_block(rest, k, when == CF_ALL_COMPLETED) : 0;
        free(rest);
        if (r) goto out;
        blocked = k > 0;
    }
    int gil = cf__gil_pause();
    pthread_mutex_lock(&w.mu);
    while (!satisfied(&w, n, when) && timeout != 0)
        if (cf__cond_wait(&w.cv, &w.mu, deadline) == ETIMEDOUT) break;
    pthread_mutex_unlock(&w.mu);
    cf__gil_resume(gil);
    if (blocked) cf__dl_unblock();
out:
    cf__waiter_detach(fs, n, nodes);
    /* Count afresh: a future may have finished after the last wake-up. */
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        int d = cf_future_done(fs[i]);
        if (done) done[i] = (unsigned char)d;
        count += d;
    }
    cf__waiter_destroy(&w);
    free(nodes);
    return r ? r : count;
}

/* The iterator watches the distinct futures of the caller's array (Python's
 * set(fs)): fs[k] is the k-th distinct one, first seen at place at[k]. */
struct cf_as_completed {
    cf_future **fs;
    size_t *at;
    size_t n, given;
    double timeout;
    int64_t deadline; /* from the first next, as Python's generator's */
    int started;
    cf_waiter w;
    cf_wnode *nodes;
    char msg[64]; /* after a timeout */
};

typedef struct ptr_at {
    cf_future *f;
    size_t at;
} ptr_at;

static int by_ptr_then_place(const void *a, const void *b) {
    const ptr_at *x = a, *y = b;
    if (x->f != y->f) return (uintptr_t)x->f < (uintptr_t)y->f ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

static int by_place(const void *a, const void *b) {
    const ptr_at *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Keeps the first place of each distinct future, in the caller's order. */
static size_t distinct(cf_future *const *fs, size_t n, cf_future **out, size_t *at) {
    ptr_at *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return (size_t)-1;
    for (size_t i = 0; i < n; i++)
        v[i] = (ptr_at){fs[i], i};
    qsort(v, n, sizeof *v, by_ptr_then_place);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || v[i].f != v[i - 1].f) v[k++] = v[i];
    qsort(v, k, sizeof *v, by_place);
    for (size_t i = 0; i < k; i++) {
        out[i] = v[i].f;
        at[i] = v[i].at;
    }
    free(v);
    return k;
}

int cf_as_completed_new(cf_future *const *fs, size_t n, double timeout, cf_as_completed **out) {
    if ((!fs && n) || !out || timeout != timeout) return CF_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!fs[i]) return CF_EINVAL;
    cf_as_completed *it = calloc(1, sizeof *it);
    if (!it) return CF_ENOMEM;
    it->fs = malloc((n ? n : 1) * sizeof *it->fs);
    it->at = malloc((n ? n : 1) * sizeof *it->at);
    it->nodes = malloc((n ? n : 1) * sizeof *it->nodes);
    size_t k = it->fs && it->at ? distinct(fs, n, it->fs, it->at) : (size_t)-1;
    if (!it->nodes || k == (size_t)-1 || cf__waiter_init(&it->w, k)) {
        free(it->fs);
        free(it->at);
        free(it->nodes);
        free(it);
        return CF_ENOMEM;
    }
    it->n = k;
    it->timeout = timeout;
    cf__waiter_attach(&it->w, it->fs, k, it->nodes);
    *out = it;
    return 0;
}

int cf_as_completed_next(cf_as_completed *it, cf_future **f, size_t *index) {
    if (!it) return CF_EINVAL;
    if (it->given == it->n) return CF_EOF;
    if (!it->started) { /* Python's as_completed is a generator: its clock starts here */
        it->deadline = cf__deadline(it->timeout);
        it->started = 1;
    }
    int r = 0, blocked = 0;
    pthread_mutex_lock(&it->w.mu);
    int ready = it->w.nring > it->given;
    pthread_mutex_unlock(&it->w.mu);
    if (!ready && it->deadline == INT64_MAX && cf__self) {
        /* The detector must see only the futures not given yet. */
        cf_future **rest = malloc(it->n * sizeof *rest);
        unsigned char *seen = calloc(it->n, 1);
        size_t k = 0;
        if (!rest || !seen) {
            free(rest);
            free(seen);
            return CF_ENOMEM;
        }
        pthread_mutex_lock(&it->w.mu);
        for (size_t i = 0; i < it->w.nring; i++)
            seen[it->w.ring[i]] = 1;
        pthread_mutex_unlock(&it->w.mu);
        for (size_t i = 0; i < it->n; i++)
            if (!seen[i]) rest[k++] = it->fs[i];
        r = k ? cf__dl_block(rest, k, 0) : 0;
        free(rest);
        free(seen);
        if (r) return r;
        blocked = k > 0;
    }
    int gil = cf__gil_pause();
    pthread_mutex_lock(&it->w.mu);
    while (it->w.nring == it->given)
        if (cf__cond_wait(&it->w.cv, &it->w.mu, it->deadline) == ETIMEDOUT) break;
    if (it->w.nring > it->given) {
        size_t i = it->w.ring[it->given++];
        if (f) *f = it->fs[i];
        if (index) *index = it->at[i];
    } else {
        r = CF_ETIMEDOUT;
        snprintf(it->msg, sizeof it->msg, "%zu (of %zu) futures unfinished", it->n - it->given,
                 it->n);
    }
    pthread_mutex_unlock(&it->w.mu);
    cf__gil_resume(gil);
    if (blocked) cf__dl_unblock();
    return r;
}

const char *cf_as_completed_message(const cf_as_completed *it) {
    return it ? it->msg : "";
}

void cf_as_completed_free(cf_as_completed *it) {
    if (!it) return;
    cf__waiter_detach(it->fs, it->n, it->nodes);
    cf__waiter_destroy(&it->w);
    free(it->fs);
    free(it->at);
    free(it->nodes);
    free(it);
}
