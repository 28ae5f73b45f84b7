/* lot.h -- the parking lot: the mutex + condition variable pairs futures
 * borrow (future.c's opening comment says who guards what). Internal; the
 * helpers are inline because every future operation takes the lock. */
#ifndef CF_LOT_H
#define CF_LOT_H

#include "internal.h"

#define NLOT 64 /* a power of two */

/* A cache line and more apiece, so that two pairs never share one. */
typedef struct lot_pair {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int nwait; /* threads parked on cv; guarded by mu */
} __attribute__((aligned(128))) lot_pair;

/* The pairs (lot.c); cf__lot_err: their condvars failed to initialise (an
 * errno value). */
extern lot_pair cf__lot[NLOT];
extern int cf__lot_err;

static inline lot_pair *pair_of(const cf_future *f) {
    /* Fibonacci hashing of the block address (blocks 88 bytes or more
     * apart: neighbours differ in the bits from 6 up). */
    uint64_t a = (uint64_t)(uintptr_t)f >> 6;
    return &cf__lot[(a * 0x9E3779B97F4A7C15u) >> 58 & (NLOT - 1)];
}

/* Returns the pair, for park() and finish_unlock() in future.c. */
static inline lot_pair *lock(const cf_future *f) {
    lot_pair *p = pair_of(f);
    pthread_mutex_lock(&p->mu);
    return p;
}

static inline void unlock(const cf_future *f) {
    pthread_mutex_unlock(&pair_of(f)->mu);
}

/* With the future lock held: sleeps until woken or the deadline passes
 * (ETIMEDOUT). The caller re-checks f's state: the wake-up may be for
 * another future sharing the pair. */
static inline int park(cf_future *f, int64_t deadline) {
    lot_pair *p = pair_of(f);
    p->nwait++;
    int r = cf__cond_wait(&p->cv, &p->mu, deadline);
    p->nwait--;
    return r;
}

/* With the pair's lock held: wakes whoever waits on it. */
static inline void wake(lot_pair *p) {
    if (p->nwait) pthread_cond_broadcast(&p->cv);
}

/* With the future lock held: wakes whoever waits for f (and, in passing,
 * for the other futures of its pair). */
static inline void unpark(cf_future *f) {
    wake(pair_of(f));
}

#endif
