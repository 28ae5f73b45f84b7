/* process_pool.h -- what the process pool's files share: its structs and
 * the steps each file gives the others (see process_pool.c). Internal. */
#ifndef CF_PROCESS_POOL_H
#define CF_PROCESS_POOL_H

#include <sys/types.h>

#include "internal.h"
#include "wire.h"
#include "worker.h"

#define TARGET_BATCH_NS 200000 /* keep ~200 µs of work queued per worker */
#define MAX_WINDOW 256
/* A fresh worker's window, before its first answer times a job. With 1,
 * the first map of a fresh pool learnt it job by job: 0.0471 against
 * 0.0438 µs a task with 64 (20,000 no-op tasks at chunksize 64, medians of
 * 20 alternations, best of 5 fresh pools each; 16: 0.0464 against
 * 0.0450). A job sent behind a long one is not stuck there: once the
 * long one has run STEAL_NS, an idle worker gets it (cf__rebalance). */
#define FIRST_WINDOW 64
#define STEAL_NS 1000000 /* take work back from a job running this long */

enum slot_state {
    SLOT_EMPTY,    /* no process */
    SLOT_WORKING,  /* takes jobs */
    SLOT_DRAINING, /* sent its last job (max_tasks_per_child): exits after */
};

typedef struct pslot {
    int index;
    enum slot_state state;
    pid_t pid;
    int wfd, rfd, pidfd; /* pidfd -1: the kernel has none; EOF tells */
    int stfd;            /* from the fork server: its exit status comes here */
    cf_executor *ex;     /* the pool: reaping adds to its unseen CPU */
    int rfd_eof;         /* the result pipe ended before the process did */
    cf_fifo jobs;        /* sent, not answered, in seq order */
    int inflight;
    int sent;      /* jobs sent to this process */
    double svc_ns; /* recent time per job in the worker */
    cf_buf wbuf, rbuf;
} pslot;

typedef struct ppool {
    cf_executor ex;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* the manager started, or did what was asked */
    /* Guarded by mu. */
    cf_fifo queue; /* submitted, not yet sent */
    int shutdown;
    int broken;
    int started, start_err;        /* start_err: 0, CF_ENOMEM or -errno */
    int sleeping, wake_pending;    /* manager in poll() / eventfd written */
    int cancel_req, signal_req;    /* asked of the manager: cancel what the
                                      workers hold unstarted; send a signal */
    unsigned long asked, answered; /* requests made / carried out */
    int ended;                     /* the manager returned */
    /* Set before the manager starts, then read-only. */
    int efd;
    pthread_t mgr;
    pslot *slots;
    int n;
    pid_t parent;
    cf_wshared *ws;          /* n of them, then the words */
    _Atomic(uint64_t) *word; /* nwords claim words */
    uint64_t mask;           /* nwords - 1 */
    size_t shm_len;
    int shmfd;             /* the memfd of ws, for fork-server workers; else -1 */
    cf_start_method first; /* how the first workers start (never AUTO) */
    /* Manager thread only. */
    uint64_t next_seq;
    const cf_task **tasks; /* registry snapshot for the children */
    uint32_t ntasks;
    char brokenmsg[256];
    /* Serialises joining the manager. */
    pthread_mutex_t join_mu;
    int joined; /* guarded by join_mu */
} ppool;

/* ---- process_slots.c: the worker processes ----------------------------- */

/* The start method for a worker starting now, CF_START_AUTO resolved. */
cf_start_method cf__choose_start(const cf_options *o);

/* Starts the slot's process `how`: 0, CF_ENOMEM or -errno. */
int cf__slot_spawn(ppool *p, pslot *s, cf_start_method how);

/* Signals the slot's process; waits for it to end (its wait status, -1
 * if its fork server ended without telling); closes its descriptors;
 * kills, reaps and closes. */
void cf__slot_kill(const pslot *s, int sig);
int cf__slot_reap(const pslot *s);
void cf__slot_close(pslot *s);
void cf__slot_end(pslot *s);

/* Fails every unfinished future, kills and reaps every worker. */
void cf__pool_break(ppool *p, const char *why);

/* ---- process_dispatch.c: jobs out, answers back ------------------------- */

/* Takes a job back from a worker that has not claimed it; 1 if won. */
int cf__take_back(cf_future *f);

/* How many more jobs slot s may take now (<= 0: none). */
int cf__slot_room(const ppool *p, const pslot *s, int64_t now);

/* Puts futures back at the front of the queue, in their order. */
void cf__requeue_front(ppool *p, cf_fifo *list);

/* Moves queued futures into slots with room; takes unstarted jobs back
 * from workers stuck in a long one (1: one may soon be, look again);
 * writes what it can of each slot's buffer. */
void cf__dispatch(ppool *p, int64_t now);
int cf__rebalance(ppool *p, int64_t now);
void cf__flush_slots(ppool *p);

/* Reads and handles everything slot s has sent; -1 on end of file. */
int cf__read_slot(ppool *p, pslot *s);

/* ---- process_manager.c: the manager thread ------------------------------ */

/* The manager thread's function (arg: the ppool). */
void *cf__manager(void *arg);

/* Cancels what the workers hold unstarted and/or signals them (manager
 * only, or a done callback running on it). */
void cf__carry_out(ppool *p, int cancel, int sig);

#endif
