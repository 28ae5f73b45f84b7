/* lot.c -- the one clock (CLOCK_MONOTONIC, in ns), deadlines and
 * condition variables on it, and the parking lot's pairs (lot.h). */
#include <errno.h>
#include <time.h>

#include "lot.h"

lot_pair cf__lot[NLOT];
int cf__lot_err;

int64_t cf_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int64_t cf__deadline(double timeout) {
    /* Negative, NaN (refused by callers first), +inf, or past 31 years. */
    if (!(timeout >= 0) || timeout > 1e9) return INT64_MAX;
    return cf_now_ns() + (int64_t)(timeout * 1e9);
}

/* One attribute object for every condition variable (CLOCK_MONOTONIC):
 * made once, so that a future costs one pthread_cond_init, not four calls. */
static pthread_condattr_t mono_attr;
static pthread_once_t mono_once = PTHREAD_ONCE_INIT;
static int mono_err; /* an errno value */

static void mono_init(void) {
    mono_err = pthread_condattr_init(&mono_attr);
    if (!mono_err) mono_err = pthread_condattr_setclock(&mono_attr, CLOCK_MONOTONIC);
}

int cf__cond_init(pthread_cond_t *cv) {
    pthread_once(&mono_once, mono_init);
    if (mono_err) return -mono_err;
    return -pthread_cond_init(cv, &mono_attr);
}

int cf__cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline) {
    if (deadline == INT64_MAX) return pthread_cond_wait(cv, mu);
    struct timespec ts = {deadline / 1000000000, deadline % 1000000000};
    return pthread_cond_timedwait(cv, mu, &ts);
}

/* The lot's pairs, at load; again in the child of a fork, where a pair
 * that another thread held at the fork would stay locked for good. */
static void lot_init(void) {
    for (int i = 0; i < NLOT; i++) {
        cf__lot[i].mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
        int e = cf__cond_init(&cf__lot[i].cv);
        if (e) cf__lot_err = -e;
    }
}

__attribute__((constructor)) static void lot_start(void) {
    lot_init();
    pthread_atfork(NULL, NULL, lot_init); /* fails only out of memory: then as before */
}

