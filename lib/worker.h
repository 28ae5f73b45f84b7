/* worker.h -- the process pool's worker: the loop a worker process runs,
 * whichever way it was started (forked by the pool's manager, or by the
 * fork server), and what it shares with the manager.
 *
 * Internal to the library; process_slots.c and forkserver.c use it.
 */
#ifndef CF_WORKER_H
#define CF_WORKER_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfutures.h"

/* How a worker process ends (its exit status). */
enum cf_worker_exit {
    CF_WX_STOPPED = 0,     /* told to stop, or its max_tasks_per_child reached */
    CF_WX_INIT_FAILED = 1, /* the initializer returned non-zero */
    CF_WX_ORPHAN = 120,    /* its parent was gone before it started */
    CF_WX_SETUP = 121,     /* could not arrange its descriptors or memory */
    CF_WX_PROTO = 122,     /* a message it could not parse */
    CF_WX_NOMEM = 123,     /* out of memory */
    CF_WX_WRITE = 124,     /* could not write its results */
    CF_WX_READ = 126,      /* could not read its requests */
};

/* What a worker publishes for the manager (its own cache line), in memory
 * shared with it: the pool's n of these, then the claim words. */
typedef struct cf_wshared {
    _Atomic(int64_t) start; /* when its current item started; 0: idle */
    _Atomic(int) ready;     /* its initializer is done */
    char pad[64 - sizeof(int64_t) - sizeof(int)];
} cf_wshared;

/* The pool's shared memory: n cf_wshared, then nwords claim words. Its
 * size, and where the words start. */
static inline size_t cf__shm_size(int n, uint64_t nwords) {
    return (size_t)n * sizeof(cf_wshared) + nwords * sizeof(uint64_t);
}
static inline _Atomic(uint64_t) *cf__shm_words(void *shm, int n) {
    return (_Atomic(uint64_t) *)((cf_wshared *)shm + n);
}

/* Everything a worker needs, as plain data. */
typedef struct cf_wconf {
    int slot;                 /* its index in the pool (for its name) */
    char name[16];            /* process name (prctl PR_SET_NAME) */
    pid_t parent;             /* exit at once if its parent is not this one */
    cf_wshared *me;           /* its own published words */
    _Atomic(uint64_t) *word;  /* the claim words */
    uint64_t mask;            /* number of claim words - 1 */
    const cf_task *const *tasks; /* the registry, by id */
    uint32_t ntasks;
    cf_init_fn initializer;   /* NULL: none */
    int init_lost;            /* the pool has an initializer this copy of the
                                 program cannot find: it fails, as one that
                                 returned non-zero */
    void *initarg;
    int max_tasks_per_child;  /* 0: no limit */
    int64_t task_timeout_ns;  /* 0: none (answers are then sent at once) */
} cf_wconf;

/* Runs the worker on request descriptor rfd and result descriptor wfd:
 * resets signals, keeps only stdio and its two pipes (as 3 and 4,
 * close-on-exec), names itself, runs the initializer, then claims and runs
 * jobs until STOP, end of file or max_tasks_per_child. Never returns. */
void cf__worker_main(const cf_wconf *c, int rfd, int wfd) __attribute__((noreturn));

#endif
