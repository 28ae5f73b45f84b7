/* process_pool.c -- the process pool executor: forked workers, one manager
 * thread, and a claim word in shared memory for every job.
 *
 * How a call flows:
 *
 *   cf_submit ─► queue ─► manager: dispatch ─► request pipe ─► worker: claim
 *                (mu)     word[seq] = QUEUED                   CAS QUEUED→RUNNING,
 *                                                              run, or skip if it lost
 *   future done ◄─ manager: read_results ◄─ result pipe ◄─ RESULT / SKIPPED
 *   worker gone ◄─ manager: the worker's pidfd became readable
 *
 * Claims. Each job (a submit, or one map chunk) sent to a worker gets a
 * sequence number and a word in memory shared with the workers (mapped
 * before the first fork). The word reads (seq, QUEUED) until the worker
 * swaps it to (seq, RUNNING) just before it runs the job. cf_future_cancel
 * tries the same swap to (seq, CANCELLED): whoever wins decides. So a
 * future is RUNNING only once a worker has really started it, and cancel
 * works on everything else, even work already in a worker's pipe; the
 * worker skips what it lost. The manager takes work back the same way
 * (REVOKED) to hand it to an idle worker, so a job never waits behind a
 * long one while another worker is idle.
 *
 * Batching. A worker may hold several jobs at once when tasks are short
 * (its window follows the measured time per job; 1 for long tasks), the
 * manager writes each worker's jobs with one write, spreading a batch
 * round-robin, and a worker answers a run of short jobs with one write
 * (held at most FLUSH_NS, and never while it starts a long job). That is
 * what makes a tiny task cost about a microsecond, not two context
 * switches.
 *
 * Lifecycle. cf__process_new maps the shared words and starts the manager,
 * which starts every worker: forked by itself, so PR_SET_PDEATHSIG (which
 * follows the forking thread) ends the workers with the pool or the
 * process; or by the fork server (forkserver.c), handed the pipes and the
 * shared words as a memfd, so the workers end with the server, which ends
 * with the process. CF_START_AUTO chooses per worker (cf__choose_start or
 * its like in process_slots.c): the first ones from the threads the
 * caller's process runs when it makes the pool, each replacement from
 * those running then; the memfd is made whenever the server may be asked.
 * Shutdown lets the queue drain, then sends each worker STOP and reaps it.
 * Worker deaths are seen on the worker's pidfd (from the fork server: on
 * the status pipe it writes the wait status to), never on a pipe's end of
 * file, and every descriptor is close-on-exec: a helper a task started, or
 * a fork elsewhere in the program, can hold a pipe open without holding
 * the pool up. The worker's own loop is worker.c.
 *
 * Locks. `mu` guards the queue and the flags; it is never held across a
 * system call other than the eventfd write, nor while a future's callbacks
 * run. Lock order: mu -> future lock. Slots belong to the manager thread.
 * The shared words are atomics: the manager writes QUEUED, then a worker
 * (RUNNING), cancel (CANCELLED) or the manager (REVOKED) moves it once.
 *
 * Failures. A worker that dies (signal, exit, crash) breaks the pool as
 * Python's BrokenProcessPool: every unfinished future fails with CF_EBROKEN
 * and a message naming the pid and the signal or exit status, the other
 * workers are killed and every one is reaped. A worker that exits because
 * it reached max_tasks_per_child is replaced. Each worker publishes the
 * start of the item it is running (none during its initializer); an item
 * that runs past task_timeout fails with CF_ETIMEDOUT, its worker is killed
 * and replaced, and what it had not started is sent again.
 *
 * Fork safety: see worker.c. A forked child gets a snapshot of the task
 * registry taken before the fork, and never touches a lock of this library.
 *
 * Files, one stage each, sharing process_pool.h: this one the executor
 * ops (submit, shutdown, create); process_slots.c the worker processes
 * (start, signal, reap, break the pool); process_dispatch.c jobs to the
 * workers and their answers back (windows, claims, batching, stealing);
 * process_manager.c the manager thread's loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "process_pool.h"
#include "xio.h"

static void wake_manager(ppool *p) {
    uint64_t one = 1;
    cf__xwrite(p->efd, &one, sizeof one); /* EAGAIN: full, it is awake anyway */
}

/* Queues fs[0..n) in order, all or none, with one lock and at most one
 * wake-up (a map hands over its chunks this way, BATCH at a time). */
static int pp_submit_many(cf_executor *ex, cf_future *const *fs, size_t n) {
    ppool *p = (ppool *)ex;
    int r = 0, wake = 0;
    pthread_mutex_lock(&p->mu);
    if (p->broken) {
        r = CF_EBROKEN;
    } else if (p->shutdown) {
        r = CF_ESHUTDOWN;
    } else {
        for (size_t i = 0; i < n; i++)
            cf__fifo_push(&p->queue, fs[i]);
        if (p->sleeping && !p->wake_pending) wake = p->wake_pending = 1;
    }
    pthread_mutex_unlock(&p->mu);
    if (wake) wake_manager(p);
    return r;
}

static int pp_submit(cf_executor *ex, cf_future *f) {
    return pp_submit_many(ex, &f, 1);
}

static void join_manager(ppool *p) {
    pthread_mutex_lock(&p->join_mu);
    if (!p->joined) {
        pthread_join(p->mgr, NULL);
        p->joined = 1;
    }
    pthread_mutex_unlock(&p->join_mu);
}

/* Asks the manager to cancel what the workers hold unstarted and/or to
 * signal them, and waits until it has (at once if we are the manager). */
static void ask_manager(ppool *p, int cancel, int sig) {
    if (cf__manager_of == &p->ex) { /* a done callback, on the manager */
        cf__carry_out(p, cancel, sig);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->cancel_req |= cancel;
    if (sig) p->signal_req = sig;
    unsigned long mine = ++p->asked;
    pthread_mutex_unlock(&p->mu);
    wake_manager(p);
    pthread_mutex_lock(&p->mu);
    while (p->answered < mine && !p->ended)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static int pp_shutdown(cf_executor *ex, int wait, int cancel) {
    ppool *p = (ppool *)ex;
    cf_fifo q = {NULL, NULL};
    pthread_mutex_lock(&p->mu);
    p->shutdown = 1;
    if (cancel) q = cf__fifo_take(&p->queue);
    pthread_mutex_unlock(&p->mu);
    cf__fifo_fail(&q, CF_ECANCELLED, NULL); /* queued work never started */
    if (cancel)
        ask_manager(p, 1, 0);
    else
        wake_manager(p);
    if (wait) join_manager(p);
    return 0;
}

static int pp_signal_workers(cf_executor *ex, int sig) {
    ppool *p = (ppool *)ex;
    pp_shutdown(ex, 0, 1);
    ask_manager(p, 0, sig);
    return 0;
}

static void pp_destroy(cf_executor *ex) {
    ppool *p = (ppool *)ex;
    for (int i = 0; i < p->n; i++) {
        cf__buf_free(&p->slots[i].wbuf);
        cf__buf_free(&p->slots[i].rbuf);
    }
    close(p->efd);
    if (p->shmfd >= 0) close(p->shmfd);
    munmap(p->ws, p->shm_len);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->join_mu);
    pthread_cond_destroy(&p->cv);
    free(p->tasks);
    free(p->slots);
    free(p);
}

static const cf_ops pp_ops = {.submit = pp_submit,
                              .submit_many = pp_submit_many,
                              .shutdown = pp_shutdown,
                              .destroy = pp_destroy,
                              .signal_workers = pp_signal_workers};

int cf__process_new(const cf_options *o, cf_executor **out) {
    ppool *p = calloc(1, sizeof *p);
    if (!p) return CF_ENOMEM;
    cf__executor_init(&p->ex, CF_PROCESS, o->max_workers, o, &pp_ops);
    p->n = o->max_workers;
    p->parent = getpid();
    p->next_seq = 1;
    p->efd = p->shmfd = -1;
    int err = CF_ENOMEM;
    p->slots = calloc((size_t)p->n, sizeof *p->slots);
    if (!p->slots) goto fail_p;
    for (int i = 0; i < p->n; i++) {
        p->slots[i].index = i;
        p->slots[i].ex = &p->ex;
        p->slots[i].wfd = p->slots[i].rfd = p->slots[i].pidfd = p->slots[i].stfd = -1;
    }
    /* Room for every job that can be in flight, twice over. */
    size_t nwords = 1024;
    while (nwords < 2 * (size_t)p->n * MAX_WINDOW)
        nwords *= 2;
    p->mask = nwords - 1;
    p->shm_len = cf__shm_size(p->n, nwords);
    /* Workers forked here inherit the mapping; the fork server's map the
     * same memory from a memfd. */
    void *shm = MAP_FAILED;
    p->first = cf__choose_start(o);
    if (o->start_method != CF_START_FORK) {
        p->shmfd = memfd_create("cf-pool", MFD_CLOEXEC);
        if (p->shmfd < 0 || ftruncate(p->shmfd, (off_t)p->shm_len) < 0) goto fail_errno;
        shm = mmap(NULL, p->shm_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->shmfd, 0);
    } else {
        shm = mmap(NULL, p->shm_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    }
    if (shm == MAP_FAILED) goto fail_errno;
    p->ws = shm;
    p->word = cf__shm_words(shm, p->n);
    p->ex.claim_words = p->word; /* how cancel finds a queued job's word */
    p->ex.claim_mask = p->mask;
    p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->efd < 0) {
        err = -errno;
        goto fail_shm;
    }
    /* The pthread calls return an errno value. */
    if ((err = -pthread_mutex_init(&p->mu, NULL))) goto fail_efd;
    if ((err = -pthread_mutex_init(&p->join_mu, NULL))) goto fail_mu;
    if ((err = -pthread_cond_init(&p->cv, NULL))) goto fail_join_mu;
    if ((err = -cf__thread_start(&p->mgr, cf__manager, p))) goto fail_cv;
    pthread_mutex_lock(&p->mu);
    while (!p->started)
        pthread_cond_wait(&p->cv, &p->mu);
    err = p->start_err;
    pthread_mutex_unlock(&p->mu);
    if (err) {
        pthread_join(p->mgr, NULL);
        goto fail_cv;
    }
    *out = &p->ex;
    return 0;
fail_errno:
    err = -errno;
    goto fail_memfd;
fail_cv:
    pthread_cond_destroy(&p->cv);
fail_join_mu:
    pthread_mutex_destroy(&p->join_mu);
fail_mu:
    pthread_mutex_destroy(&p->mu);
fail_efd:
    close(p->efd);
fail_shm:
    munmap(shm, p->shm_len);
fail_memfd:
    if (p->shmfd >= 0) close(p->shmfd);
    for (int i = 0; i < p->n; i++) {
        cf__buf_free(&p->slots[i].wbuf);
        cf__buf_free(&p->slots[i].rbuf);
    }
    free(p->slots);
    free(p->tasks);
fail_p:
    free(p);
    return err;
}
