/* internal.h -- what the modules of libcfutures share; not installed.
 *
 * A future carries one job: a task and one or more items (one for submit,
 * `chunksize` for a map chunk). Each executor kind embeds struct
 * cf_executor first and fills in its ops. The states of a future go
 * PENDING -> RUNNING -> DONE, or PENDING -> DONE when cancelled; `state` is
 * written under the future lock and may be read without it (atomic loads)
 * by code that only needs a hint or a monotonic fact ("is done"). The
 * future lock ("mu" below) is one of a few mutexes futures share by
 * address (future.c says how); only future.c takes it.
 */
#ifndef CF_INTERNAL_H
#define CF_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "cfutures.h"

#define CF_INLINE 24 /* result bytes a task writes on the stack before they are copied */

/* Largest initarg a fork-server worker gets a copy of (cf_options.initarg_len). */
#define CF_FORKSERVER_MAX_INITARG (64u << 10)

struct cf_task {
    const char *name;
    cf_task_fn fn;
    uint32_t id; /* index in the registry: what crosses to a worker */
};

/* Where a job sent to a worker without shared memory (an MPI rank) stands
 * as far as cancel is concerned; guarded by the future lock. */
enum cf_hold {
    CF_HOLD_NONE,       /* not held by such a worker: cancel decides here */
    CF_HOLD_SENT,       /* held, PENDING until the worker says it started */
    CF_HOLD_ASKED,      /* cancel asked the executor to ask the worker */
    CF_HOLD_CANCELLING, /* the executor asked it: the worker answers */
};

/* Looks a task up by the id a worker process received. */
const cf_task *cf__task_by_id(uint32_t id);

/* How many tasks are registered: ids 0 .. count-1 (entries never go). */
uint32_t cf__task_count(void);

/* Starts a thread of the library's own (threads.c), as pthread_create
 * does with default attributes, counted until `fn` returns. Returns 0 or
 * an errno value. */
int cf__thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* How many threads of this process are neither the library's own nor one
 * more (the program's thread that makes or owns a pool): 0 means a fork
 * copies no lock a thread of the program holds but that one's. -1 if
 * /proc cannot tell. */
int cf__other_threads(void);

struct cf_out {
    unsigned char *data; /* the result: inline, heap or NULL */
    size_t len;
    unsigned char *heap; /* owned, if the result did not fit inline */
    unsigned char *small;
    size_t small_cap;
    char msg[256];
};

/* Prepares `o` to take a result, using small[0..cap) while it fits. */
void cf__out_init(cf_out *o, unsigned char *small, size_t cap);

/* Releases what `o` allocated (after its result was copied or taken). */
void cf__out_release(cf_out *o);

/* Results of up to CF_ITEM_INLINE bytes (and the NUL after them) live in
 * the item itself, in out[], whose bytes 4..11 otherwise hold a pointer:
 * to a heap copy of a longer result, or to the item's message. An item
 * with a message (a failed one) has no result. An item has no pointer to
 * its input either: the inputs follow one another in the future's block
 * (cf__future_input()). So a one-item future pays for none of them. */
#define CF_ITEM_INLINE 11

typedef struct cf_item {
    /* First, so that an inline result is 8-byte aligned as a heap one
     * is (a caller may read a long from it). */
    unsigned char out[CF_ITEM_INLINE + 1]; /* inline, NUL-terminated; or +4: a pointer */
    uint32_t in_len;                       /* <= CF_MAX_BYTES */
    int status;                            /* the task's return value */
    uint32_t out_len : 30;                 /* <= CF_MAX_BYTES */
    /* out_len > CF_ITEM_INLINE: the heap copy is cf__block_alloc's
     * (out_len + 1 bytes), else malloc's */
    uint32_t out_block : 1;
    /* out+4 points at the message (heap, NUL-terminated; out_len is 0):
     * why the task failed, or, in item[0] of a future that ends neither
     * with its result nor failed by its task (cancelled, broken, timed
     * out), the executor's explanation. */
    uint32_t has_msg : 1;
} cf_item;

/* The pointer in out[4..11] (unaligned: memcpy). */
static inline void *cf__item_ptr(const cf_item *it) {
    void *p;
    memcpy(&p, it->out + 4, sizeof p);
    return p;
}

static inline unsigned char *cf__item_heap(const cf_item *it) {
    return cf__item_ptr(it);
}

static inline void cf__item_set_heap(cf_item *it, unsigned char *p, int block) {
    memcpy(it->out + 4, &p, sizeof p);
    it->out_block = block ? 1u : 0u;
}

/* The item's message, or NULL. */
static inline char *cf__item_msg(const cf_item *it) {
    return it->has_msg ? cf__item_ptr(it) : NULL;
}

/* Gives the item the message m (owned; NULL: none), in place of its
 * result and former message. future.c. */
void cf__item_set_msg(cf_item *it, char *m);

/* The result bytes of an item, NUL-terminated; "" before there is one. */
static inline unsigned char *cf__item_out(cf_item *it) {
    return it->out_len > CF_ITEM_INLINE ? cf__item_heap(it) : it->out;
}

/* Trace times (cf_options.trace): the future's, then each item's start and
 * end. Only a traced future has them, in its block after its items
 * (cf__trace(f)). */
typedef struct cf_trace {
    cf_times times; /* times.worker unused: f->worker says it */
    struct {
        int64_t start, end;
    } item[];
} cf_trace;

enum { CF_PENDING = 0, CF_RUNNING = 1, CF_DONE = 2 };

typedef struct cf_cbnode {
    cf_done_fn fn;
    void *arg;
    struct cf_cbnode *next;
} cf_cbnode;

typedef struct cf_waiter cf_waiter;
typedef struct cf_wnode {
    cf_waiter *w;
    size_t index;
    struct cf_wnode *next, *prev;
} cf_wnode;

/* Laid out for a small pending future: a one-item future with no input
 * (cf_future 64 + cf_item 24) fills an 88-byte slab block. What only a
 * traced future or a process pool needs lives elsewhere: the trace times
 * after the items, the claim word in the executor (ex->claim_words); the
 * executor's explanation of a failure in item[0]'s message; the count of
 * threads parked waiting in the parking lot's pair (lot.h). */
struct cf_future {
    /* Set at creation, then read-only. */
    struct cf_executor *ex; /* borrowed: not used after completion */
    const cf_task *task;
    atomic_int refs;
    uint32_t nitems;

    /* Guarded by mu, the future lock (future.c), but state, an atomic, may
     * be read without it. */
    int worker; /* slot that runs it, -1 before */
    _Atomic(uint8_t) state;
    /* MPI pools: the worker that holds the job decides the claim itself,
     * so cancel asks the executor (ops->ask_cancel) while not NONE
     * (an enum cf_hold). */
    uint8_t hold;
    /* Process pools: 1 while the job sits in a worker's pipe: the shared
     * word a worker must claim before it runs it is cf__claim_word(f)
     * (see process_pool.c), and `queued` the value it holds meanwhile. */
    uint8_t claimed;
    uint8_t traced; /* set at creation: cf__trace(f) has its times */
    cf_wnode *waiters;
    union {                    /* which one: state */
        cf_cbnode *callbacks; /* until DONE (finish takes them) */
        int outcome;          /* once DONE: 0 or CF_E* */
    };
    /* Process pools: the claim word's value while queued (kept after the
     * job left the pipe: it names the job); MPI pools: the job's number
     * at its worker. */
    uint64_t queued;

    /* Owned by the executor's queue: guarded by its lock (the thread
     * pool: written before the push that publishes f, see thread_pool.c). */
    struct cf_future *next;

    /* The items, then in the same allocation the trace times (if any) and
     * the input bytes of each item, one after the other. */
    cf_item item[];
};
_Static_assert(sizeof(struct cf_future) == 64 && sizeof(cf_item) == 24,
               "a one-item future fills 88 bytes");

/* A traced future's times (written by whoever runs the job before it
 * finishes, the future's times under mu); NULL unless the executor traces. */
static inline cf_trace *cf__trace(const cf_future *f) {
    return f->traced ? (cf_trace *)(void *)(f->item + f->nitems) : NULL;
}

/* The input bytes of item 0; item i's follow item i-1's (in_len). */
static inline unsigned char *cf__future_input(const cf_future *f) {
    unsigned char *p = (unsigned char *)(void *)(f->item + f->nitems);
    if (f->traced) p += sizeof(cf_trace) + f->nitems * sizeof(((cf_trace *)0)->item[0]);
    return p;
}

/* ---- memory for futures (slab.c) ------------------------------------- */

/* A block of n bytes (up to 24 KiB from slabs kept for reuse and not
 * inherited by fork; larger ones from malloc, kept for reuse when freed,
 * up to a bound), or NULL. Free it with the same n. Thread-safe. */
#define CF_SLAB_MAX (24u << 10) /* larger blocks are big ones */
void *cf__block_alloc(size_t n);
void cf__block_free(void *p, size_t n);

/* Pages for a message buffer (cf_buf): at least n bytes, a power of two
 * from 4 KiB (its size in *got), not inherited by fork, and kept for
 * reuse when freed (up to 1 MiB each, a bound in all): a process pool's
 * buffers then fault in no page, not even a copy-on-write one after the
 * pool forks, once a first pool has used them. NULL if out of memory.
 * Free with the size *got said. Thread-safe. */
void *cf__pages_alloc(size_t n, size_t *got);
void cf__pages_free(void *p, size_t size);

/* This process's generation of pages: it changes in the child of a fork,
 * where pages allocated before (in another generation) are not mapped. */
unsigned cf__pages_gen(void);

/* Grows p (of `size` bytes from cf__pages_alloc, or NULL) to at least n
 * bytes, keeping its first len bytes: into kept pages if there are some
 * (a copy), else the pages move (mremap) rather than being copied into
 * new ones that would each fault in. NULL if out of memory (p is then
 * still valid). */
void *cf__pages_grow(void *p, size_t size, size_t len, size_t n, size_t *got);

/* ---- the FIFO of futures both pools queue work in --------------------- */

/* Futures linked through their `next`; the owner's lock guards it. */
typedef struct cf_fifo {
    cf_future *head, *tail;
} cf_fifo;

static inline void cf__fifo_push(cf_fifo *q, cf_future *f) {
    f->next = NULL;
    if (q->tail)
        q->tail->next = f;
    else
        q->head = f;
    q->tail = f;
}

static inline cf_future *cf__fifo_pop(cf_fifo *q) {
    cf_future *f = q->head;
    if (f) {
        q->head = f->next;
        if (!q->head) q->tail = NULL;
        f->next = NULL;
    }
    return f;
}

/* Puts every future of `in` ahead of q's, in their order; empties `in`. */
static inline void cf__fifo_prepend(cf_fifo *q, cf_fifo *in) {
    if (!in->head) return;
    in->tail->next = q->head;
    q->head = in->head;
    if (!q->tail) q->tail = in->tail;
    in->head = in->tail = NULL;
}

/* Completes every future of `q` with `outcome` and `msg` (CF_ECANCELLED:
 * cancels them, as cf_future_cancel) and drops the executor's reference
 * to each; empties q. future.c. */
void cf__fifo_fail(cf_fifo *q, int outcome, const char *msg);

/* Takes the whole queue. */
static inline cf_fifo cf__fifo_take(cf_fifo *q) {
    cf_fifo all = *q;
    q->head = q->tail = NULL;
    return all;
}

/* Creates a future for `task` with n items whose inputs are in[i]/len[i]
 * (copied), refs = 1. */
cf_future *cf__future_new(cf_executor *ex, const cf_task *task, size_t n, const void *const *in,
                          const size_t *len);

/* Its state and the worker that runs it, read together under the future
 * lock (for the deadlock detector). */
int cf__future_state(const cf_future *f, int *worker);

/* Drops one reference (the executor's or an owner's). */
void cf__future_unref(cf_future *f);

/* PENDING -> RUNNING on `worker`; returns 0 if it was cancelled (then the
 * executor drops it). Wakes a cancel waiting for a held job's worker. */
int cf__future_start(cf_future *f, int worker);

/* MPI pools. Marks a PENDING future as held by `worker`, which decides
 * whether it runs: from now on cf_future_cancel calls ops->ask_cancel.
 * Returns 0 if the future is no longer pending (cancelled: drop it). */
int cf__future_hold(cf_future *f, int worker);

/* Cancels f without waiting for the answer of a worker that holds it (it
 * ends cancelled, or runs): for callers that wait for f anyway, or drop
 * it (map's clean-up), so that many such cancels overlap. */
void cf__future_cancel_nowait(cf_future *f);

/* ops->ask_cancel's steps. Ask: SENT -> ASKED; returns 0 if there is nothing
 * to ask (not held, done or started). Take: ASKED -> CANCELLING, for the
 * executor, which then asks the worker; returns 1 if it must. Await:
 * blocks until the future is no longer PENDING (the worker answered, the
 * result came or the pool broke); returns 1 if it ended cancelled. */
int cf__future_ask_cancel(cf_future *f);
int cf__future_take_cancel(cf_future *f);
int cf__future_await_decision(cf_future *f);

/* Process pools: the shared claim word of a job is (seq << 2) | state.
 * The manager writes QUEUED; a worker (RUNNING), cancel (CANCELLED) or the
 * manager taking the job back (REVOKED) moves it once. */
enum cf_claim {
    CF_CLAIM_QUEUED = 0,
    CF_CLAIM_RUNNING = 1,
    CF_CLAIM_CANCELLED = 2,
    CF_CLAIM_REVOKED = 3
};
#define CF_CLAIM(seq, st) ((uint64_t)(seq) << 2 | (uint64_t)(st))
#define CF_CLAIM_SEQ(word) ((word) >> 2)
#define CF_CLAIM_STATE(word) ((word)&3)

/* Process pools. Hooks a PENDING future to its shared word (ex->claim_words
 * at queued's seq), which the caller has set to `queued`: from now on
 * cancel must win that word from `queued` (compare-and-swap) before it
 * may cancel, and running() reads it. Returns 0 if the future is no
 * longer pending (cancelled: drop it). */
int cf__future_attach_claim(cf_future *f, uint64_t queued, int worker);

/* Unhooks it (its worker skipped it). */
void cf__future_detach_claim(cf_future *f);

/* Takes the job back from the worker it was sent to, if no worker claimed
 * it and it was not cancelled: swaps the word to `revoked` and unhooks it.
 * Returns 1 if won (the future is PENDING, ready to be sent again). */
int cf__future_revoke(cf_future *f, uint64_t revoked);

/* Completes the future as failed before its task could run (CF_ETASK,
 * every item with `status`, a CF_E* code, and a copy of msg). Returns 0
 * if it was already done. */
int cf__future_fail_items(cf_future *f, int status, const char *msg);

/* Moves to DONE with `outcome` (xmsg copied, may be NULL), wakes waiters,
 * runs callbacks. Returns 0 if it was already done (then nothing happens). */
int cf__future_finish(cf_future *f, int outcome, const char *xmsg);

/* Between cf__wakes_defer() and cf__wakes_flush(), futures this thread
 * completes wake the threads parked on them at the flush, once per lot
 * pair, not one completion at a time. For a thread that completes a batch
 * at once (a process pool's manager reading a run of answers): woken one
 * at a time, a waiter on the same CPU preempted the manager at every
 * completion and parked again on the next (a sched_switch trace of a
 * process map at chunksize 64: two context switches and four futex calls
 * a chunk). Callbacks still run at each completion, after a flush: a
 * callback that blocks never waits on a wake-up held back here. */
void cf__wakes_defer(void);
void cf__wakes_flush(void);

/* The times of a done future (zeros unless traced) and its worker. */
void cf__future_times(const cf_future *f, cf_times *out);

/* Runs every item of f's job in this thread, storing results and trace
 * times; returns the outcome (0, or CF_ETASK if an item failed). */
int cf__run_items(cf_future *f);

/* Stores a copy of a result for item `it` (inline if it fits). */
int cf__item_set_out(cf_future *f, cf_item *it, const void *data, size_t len);

/* The executor kinds. */
typedef struct cf_ops {
    int (*submit)(cf_executor *ex, cf_future *f); /* takes f's extra ref */
    int (*shutdown)(cf_executor *ex, int wait, int cancel_futures);
    void (*destroy)(cf_executor *ex);
    int (*signal_workers)(cf_executor *ex, int sig); /* NULL: not supported */
    /* Cancel of a held future (cf__future_hold), without the future lock: asks its
     * worker; returns 1 if the answer is still to come (await it with
     * cf__future_await_decision), 0 if f is already decided. */
    int (*ask_cancel)(cf_executor *ex, cf_future *f);
    /* Several new futures at once, in order, all or none (each takes its
     * extra ref). NULL: one submit each. */
    int (*submit_many)(cf_executor *ex, cf_future *const *fs, size_t n);
} cf_ops;

struct cf_executor {
    cf_kind kind;
    int nworkers;
    cf_options opts; /* opts.thread_name_prefix points at name */
    const cf_ops *ops;
    int64_t task_timeout_ns; /* 0: none */
    char name[16];           /* worker name prefix, NUL-terminated */
    atomic_int started_by;   /* process pools: the cf_start_method of the
                                latest worker started; else CF_START_AUTO */
    _Atomic int64_t unseen_user_ns, unseen_sys_ns; /* cf_executor_unseen_cpu */
    /* Process pools: the shared claim words (set before the first submit,
     * then read-only), a future's at CF_CLAIM_SEQ(queued) & claim_mask;
     * NULL elsewhere. */
    _Atomic(uint64_t) *claim_words;
    uint64_t claim_mask;
};

/* Fills the common part of a new executor (copies opts; the name prefix
 * into ex->name; task_timeout into ns, 0 for none). */
void cf__executor_init(cf_executor *ex, cf_kind kind, int nworkers, const cf_options *o,
                       const cf_ops *ops);

/* "PREFIX-index", cut to the kernel's 15 bytes, into name. */
void cf__worker_name(const cf_executor *ex, int index, char name[16]);

/* Names the calling thread so (pthread_setname_np). */
void cf__name_thread(const cf_executor *ex, int index);

int cf__seq_new(const cf_options *o, cf_executor **out);
int cf__thread_new(const cf_options *o, cf_executor **out);
int cf__process_new(const cf_options *o, cf_executor **out);
/* Set by lib/mpi/mpi_pool.c when libcfutures_mpi is linked in; NULL (CF_MPI
 * refused with CF_EINVAL) otherwise, so the core never links MPI. It gets
 * max_workers 0 when the caller left it to the default. */
extern int (*cf__mpi_new)(const cf_options *o, cf_executor **out);

/* Hands a new future (refs 1, the caller's) to the executor, which takes a
 * second reference. Returns 0 or an error (then f is untouched). */
int cf__submit_future(cf_executor *ex, cf_future *f);

/* The same for fs[0..n), in order (map's chunks): *done says how many the
 * executor took (the first ones); the others are untouched. Returns 0 if
 * it took all, else its error. */
int cf__submit_futures(cf_executor *ex, cf_future *const *fs, size_t n, size_t *done);

/* ---- worker identity and deadlock detection (deadlock.c) -------------- */

/* Every pool worker thread has one; the process pool's manager too. */
typedef struct cf_worker {
    cf_executor *ex; /* thread pool it belongs to (NULL: not a pool) */
    int index;
    /* Guarded by the global wait-for lock. */
    int blocked;
    cf_future *const *waits; /* what it blocks on */
    size_t nwaits;
    int all;   /* needs all of them (else any) */
    int stuck; /* scratch of the detector */
} cf_worker;

extern __thread cf_worker *cf__self;

/* The process pool whose manager thread this is (NULL elsewhere): done
 * callbacks run there, and must not wait for that pool to shut down. */
extern __thread cf_executor *cf__manager_of;

/* Thread pools tell the detector how many workers they have, and whether a
 * future still queued there could be picked up: registered while alive. */
void cf__dl_pool_add(cf_executor *ex, cf_worker *workers, int n);
void cf__dl_pool_remove(cf_executor *ex);

/* Called by a pool worker before it blocks without time limit on fs[0..n)
 * (all: needs every one). Returns CF_EDEADLK if that wait can never end,
 * else 0 and the worker is marked blocked until cf__dl_unblock(). No-op
 * (0) outside pool workers. */
int cf__dl_block(cf_future *const *fs, size_t n, int all);
void cf__dl_unblock(void);

/* ---- the emulated GIL (gil.c) ---------------------------------------- */

/* A thread-pool worker with opts.gil_interval > 0 takes the GIL before a
 * task (enter) and drops it after (leave). */
void cf__gil_enter(double interval);
void cf__gil_leave(void);

/* Around a blocking wait: drops the GIL if this thread holds it (returns
 * 1), and takes it back after (resume with what pause returned). */
int cf__gil_pause(void);
void cf__gil_resume(int paused);

/* ---- waiters (future.c) ----------------------------------------------- */

struct cf_waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* Guarded by mu. */
    size_t *ring; /* indices of futures done, in completion order */
    size_t nring, ringcap;
    size_t ndone, nfailed;
};

int cf__waiter_init(cf_waiter *w, size_t n);
void cf__waiter_destroy(cf_waiter *w);

/* Hooks w on fs[0..n); futures already done are reported at once. */
void cf__waiter_attach(cf_waiter *w, cf_future *const *fs, size_t n, cf_wnode *nodes);
/* With the future lock of the future at fs[index] held: tells w it is done
 * (failed: it failed). */
void cf__waiter_notify(cf_waiter *w, size_t index, int failed);
void cf__waiter_detach(cf_future *const *fs, size_t n, cf_wnode *nodes);

/* Absolute deadline for a timeout in seconds (INT64_MAX for forever). */
int64_t cf__deadline(double timeout);

/* pthread_cond_wait until the deadline; returns ETIMEDOUT or 0. The cond
 * uses CLOCK_MONOTONIC (see cf__cond_init). */
int cf__cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline);
int cf__cond_init(pthread_cond_t *cv);

/* Is the outcome a failure for FIRST_EXCEPTION? Python's exception() is
 * None for a cancelled future, so cancelled is not one. */
static inline int cf__failed(int outcome) {
    return outcome != 0 && outcome != CF_ECANCELLED;
}

#endif
