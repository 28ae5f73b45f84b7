/* wait.c -- waiting on many futures: cf_wait and cf_as_completed. */
#include <errno.h>
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
    pthread_mutex_lock(&w.mu);
    while (!satisfied(&w, n, when) && timeout != 0)
        if (cf__cond_wait(&w.cv, &w.mu, deadline) == ETIMEDOUT) break;
    pthread_mutex_unlock(&w.mu);
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

struct cf_as_completed {
    cf_future **fs;
    size_t n, given;
    int64_t deadline;
    cf_waiter w;
    cf_wnode *nodes;
};

int cf_as_completed_new(cf_future *const *fs, size_t n, double timeout, cf_as_completed **out) {
    if ((!fs && n) || !out) return CF_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!fs[i]) return CF_EINVAL;
    cf_as_completed *it = calloc(1, sizeof *it);
    if (!it) return CF_ENOMEM;
    it->fs = malloc((n ? n : 1) * sizeof *it->fs);
    it->nodes = malloc((n ? n : 1) * sizeof *it->nodes);
    if (!it->fs || !it->nodes || cf__waiter_init(&it->w, n)) {
        free(it->fs);
        free(it->nodes);
        free(it);
        return CF_ENOMEM;
    }
    if (n) memcpy(it->fs, fs, n * sizeof *fs);
    it->n = n;
    it->deadline = cf__deadline(timeout);
    cf__waiter_attach(&it->w, it->fs, n, it->nodes);
    *out = it;
    return 0;
}

int cf_as_completed_next(cf_as_completed *it, cf_future **f, size_t *index) {
    if (!it) return CF_EINVAL;
    if (it->given == it->n) return CF_EOF;
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
    pthread_mutex_lock(&it->w.mu);
    while (it->w.nring == it->given)
        if (cf__cond_wait(&it->w.cv, &it->w.mu, it->deadline) == ETIMEDOUT) break;
    if (it->w.nring > it->given) {
        size_t i = it->w.ring[it->given++];
        if (f) *f = it->fs[i];
        if (index) *index = i;
    } else {
        r = CF_ETIMEDOUT;
    }
    pthread_mutex_unlock(&it->w.mu);
    if (blocked) cf__dl_unblock();
    return r;
}

void cf_as_completed_free(cf_as_completed *it) {
    if (!it) return;
    cf__waiter_detach(it->fs, it->n, it->nodes);
    cf__waiter_destroy(&it->w);
    free(it->fs);
    free(it->nodes);
    free(it);
}
