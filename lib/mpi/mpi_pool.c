/* mpi_pool.c -- the MPI executor (CF_MPI): MPI ranks running this same
 * program serve tasks that one manager thread in the client feeds them.
 *
 * How a call flows (concurrent/futures/process.py draws the same):
 *
 *   cf_submit -> queue (mu) -> manager: dispatch into a slot's window ->
 *   TAG_WORK message to the worker rank (wire.h task frames, several
 *   futures a message, each a job numbered per slot) -> the worker claims
 *   and runs them -> TAG_RESULT message(s) (answers batched, flushed after
 *   50 µs) -> manager completes each job's future, found by its number.
 *
 * Claims. Ranks may share no memory, so the worker holding a job decides
 * alone whether it runs: a claim word per job in the worker's memory,
 * which the serving thread swaps to RUNNING just before it runs the job
 * and a cancel swaps to CANCELLED; whoever swaps first wins. A job sent
 * is PENDING in the client (cf__future_hold) until the worker says it
 * started (a STARTED frame, sent by the worker's listener thread once the
 * job has run a tick, LISTEN_NS; a short job's result says it instead).
 * cf_future_cancel of a sent job asks the manager, which sends TAG_CANCEL;
 * the worker's listener (while a task runs) or its serving thread (when
 * idle) answers SKIPPED (cancelled: the future ends so) or KEPT (too late:
 * RUNNING), and cancel returns that answer, a millisecond or so later. A
 * done callback that cancels runs on the manager, which then asks and
 * takes the answer itself (cancel_here). So a future is RUNNING only once
 * its worker has started it, and cancel works until then, however large
 * the window a warm-up left.
 *
 * Workers: under `mpiexec -n N`, ranks 1..N-1 wait inside
 * cf_mpi_serve_or_continue for rank 0's pools, one pool at a time (a pool
 * created while another holds them spawns its own). Otherwise (a program
 * started alone, or mpiexec -n 1) a pool spawns its workers with
 * MPI_Comm_spawn, running /proc/self/exe with the same arguments; they find
 * their parent communicator in cf_mpi_serve_or_continue and serve it.
 *
 * Lifecycle: cf__mpi_new starts the manager thread, which (MPI initialised
 * first if the program started alone) takes or spawns the workers and sends
 * each a TAG_START: its slot, the client's task names in id order, the
 * initializer. Each answers TAG_HELLO: pid, host, and whether its names
 * match and its initializer ran; a mismatch fails cf_executor_new with
 * CF_ENOTASK (cf_mpi_last_error names the task). Shutdown lets the queue
 * drain, then sends TAG_END: spawned workers disconnect and exit, world
 * workers wait for the next pool; at exit the client sends TAG_EXIT to the
 * world workers and finalises MPI.
 *
 * Threading: MPI_THREAD_SERIALIZED. Every MPI call of this file holds the
 * process-wide `cf__mpi_mu`, so several pools (one manager thread each) never
 * call MPI at once; a program that calls MPI itself while a pool runs must
 * initialise MPI_THREAD_MULTIPLE. Per pool, `mu` guards the queue and flags
 * (never held across an MPI call nor while callbacks run); slots belong to
 * the manager alone. Lock order: mu -> future mu; cf__mpi_mu is taken alone.
 * A worker has two threads: the serving one and the listener, sharing
 * the claim words and `running` (atomics); the listener sends STARTED
 * under cf__mpi_mu after checking the job still runs, so it always leaves
 * before that job's result.
 *
 * Idle without burning a core: Open MPI's blocking receive busy-polls, so
 * nothing here blocks in MPI. Waiting is MPI_Improbe with backoff: for
 * 50 µs after a message it probes without pause (the next one often
 * follows at once), then a worker sleeps 10 µs doubling to 1 ms between
 * probes (10 ms once idle for a second: a probe and its wake-up cost ~25
 * µs here), and the manager waits on its condition variable (submit wakes
 * it) 10 µs doubling to 100 µs while results are due, with no MPI call at
 * all when none are. Idle ranks use about 1% of a core.
 *
 * Failures: Open MPI tells a client nothing when a spawned worker dies (it
 * aborts the spawned job; sends to it hang), so the manager checks the
 * workers on its own host every 10 ms while work is out (a pidfd each,
 * readable the moment the process exits; /proc where the kernel has no
 * pidfd), and so sees a death within about 10 ms: a death
 * breaks the pool as Python's BrokenProcessPool (every unfinished future
 * fails with CF_EBROKEN naming the rank and pid), the other local workers
 * are killed, and nothing more is sent to them. Under mpiexec, mpiexec
 * ends the whole job about a second after a rank dies, with a message
 * naming the rank. Workers on other hosts are not checked: a spawned one
 * that dies there leaves its futures waiting (Open MPI aborts its job and
 * says so on stderr). A worker whose client vanished exits within a second.
 * A pool still running when the program exits (MPI finalised) breaks.
 *
 * Files: this one holds the public calls and the executor's ops;
 * mpi_manager.c the manager loop; mpi_start.c start-up (spawn, the
 * universe, greeting) and release; mpi_worker.c a worker rank's serving
 * loop and listener; mpi_msg.c the process-wide MPI state and messages;
 * mpi_internal.h what they share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi_internal.h"

static __thread char last_err[512];

const char *cf_mpi_last_error(void) {
    return last_err;
}

int cf_mpi_world_rank(void) {
    return atomic_load(&cf__mpi_rank);
}

static int launched_by_mpi(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

static int mpi_new(const cf_options *o, cf_executor **out);

/* Linking this object is what makes CF_MPI available. */
__attribute__((constructor)) static void hook(void) {
    cf__mpi_new = mpi_new;
}

int cf_mpi_serve_or_continue(int *argc, char ***argv) {
    cf__mpi_new = mpi_new;
    if (!launched_by_mpi()) return 0; /* alone: MPI starts with the first pool */
    char why[128];
    pthread_mutex_lock(&cf__mpi_mu);
    int r = cf__mpi_ensure(argc, argv, why, sizeof why);
    MPI_Comm parent = MPI_COMM_NULL;
    int rank = 0, size = 1;
    if (!r) {
        MPI_Comm_get_parent(&parent);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    if (!r && parent == MPI_COMM_NULL && size > 1) { /* collective: every rank is here */
        MPI_Comm_dup(MPI_COMM_WORLD, &cf__mpi_world);
        MPI_Comm_set_errhandler(cf__mpi_world, MPI_ERRORS_RETURN);
        cf__mpi_have_world = rank == 0;
        cf__mpi_world_n = size - 1;
    }
    pthread_mutex_unlock(&cf__mpi_mu);
    if (r) return r;
    if (parent != MPI_COMM_NULL) {
        MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
        cf__mpi_serve(parent, 1);
    }
    if (rank > 0) cf__mpi_serve(cf__mpi_world, 0);
    return 0;
}

/* ---- the executor ops ------------------------------------------------- */

static int mp_submit(cf_executor *ex, cf_future *f) {
    mpool *p = (mpool *)ex;
    int r = 0;
    pthread_mutex_lock(&p->mu);
    if (p->broken) {
        r = CF_EBROKEN;
    } else if (p->shutdown) {
        r = CF_ESHUTDOWN;
    } else {
        cf__fifo_push(&p->queue, f);
        if (p->sleeping) pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

static int mp_shutdown(cf_executor *ex, int wait, int cancel) {
    mpool *p = (mpool *)ex;
    cf_fifo q = {NULL, NULL};
    pthread_mutex_lock(&p->mu);
    p->shutdown = 1;
    if (cancel) {
        q = cf__fifo_take(&p->queue);
        p->cancel_all = 1; /* and what the workers hold but have not started */
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    cf__fifo_fail(&q, CF_ECANCELLED, NULL); /* queued futures are PENDING: this cancels */
    if (wait) {
        pthread_mutex_lock(&p->join_mu);
        if (!p->joined) {
            pthread_join(p->mgr, NULL);
            p->joined = 1;
        }
        pthread_mutex_unlock(&p->join_mu);
    }
    return 0;
}

static void mp_destroy(cf_executor *ex) {
    mpool *p = (mpool *)ex;
    for (int i = 0; p->slots && i < p->n; i++) {
        if (p->slots[i].pidfd >= 0) close(p->slots[i].pidfd);
        cf__buf_free(&p->slots[i].pend);
        cf__buf_free(&p->slots[i].sending);
    }
    cf__buf_free(&p->rbuf);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->join_mu);
    pthread_cond_destroy(&p->cv);
    free(p->slots);
    free(p);
}

/* Cancel of a job a worker holds: the manager asks the worker, whose
 * claim word decides; returns 1 while the answer is to come. */
static int mp_ask_cancel(cf_executor *ex, cf_future *f) {
    mpool *p = (mpool *)ex;
    if (!cf__future_ask_cancel(f)) return 0;
    if (cf__manager_of == ex) {
        cf__mpi_cancel_here(p, f); /* decided when it returns */
        return 0;
    }
    pthread_mutex_lock(&p->mu);
    p->cancels_asked++;
    if (p->sleeping) pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 1;
}

static const cf_ops mp_ops = {.submit = mp_submit,
                              .shutdown = mp_shutdown,
                              .destroy = mp_destroy,
                              .ask_cancel = mp_ask_cancel};

/* CF_MPI_SILENCE: seconds a worker holding work may send nothing before
 * the pool breaks (default SILENCE_S; 0: never). Unreadable: the default. */
static int64_t silence_ns(void) {
    const char *v = getenv("CF_MPI_SILENCE");
    char *end;
    double s = v && *v ? strtod(v, &end) : SILENCE_S;
    if (v && *v && (*end || !(s >= 0) || s > 1e6)) s = SILENCE_S;
    return (int64_t)(s * 1e9);
}

static int refuse(int err, const char *why) {
    snprintf(last_err, sizeof last_err, "%s", why);
    return err;
}

static int mpi_new(const cf_options *o, cf_executor **out) {
    last_err[0] = '\0';
    if (o->max_tasks_per_child || o->task_timeout > 0)
        return refuse(CF_EINVAL, "MPI pools support neither max_tasks_per_child nor task_timeout");
    mpool *p = calloc(1, sizeof *p);
    if (!p) return CF_ENOMEM;
    cf__executor_init(&p->ex, CF_MPI, 0, o, &mp_ops); /* workers: counted at start */
    if (gethostname(p->host, sizeof p->host - 1)) snprintf(p->host, sizeof p->host, "?");
    p->silence_ns = silence_ns();
    if (o->initializer) {
        memcpy(&p->init.addr, &o->initializer, sizeof o->initializer);
        dl_iterate_phdr(cf__mpi_find_place, &p->init);
        p->arg.addr = o->initarg;
        if (o->initarg) dl_iterate_phdr(cf__mpi_find_place, &p->arg);
        if (!p->init.found || (o->initarg && !p->arg.found)) {
            free(p);
            return refuse(CF_EINVAL, "an MPI pool's initializer must be a function of the "
                                     "program and its initarg NULL or static data: only such "
                                     "addresses mean the same in the workers");
        }
    }
    int err;
    /* The pthread calls return an errno value. */
    if ((err = -pthread_mutex_init(&p->mu, NULL))) goto fail;
    if ((err = -pthread_mutex_init(&p->join_mu, NULL))) goto fail_mu;
    if ((err = cf__cond_init(&p->cv))) goto fail_join_mu;
    if ((err = -cf__thread_start(&p->mgr, cf__mpi_manager, p))) goto fail_cv;
    pthread_mutex_lock(&p->mu);
    while (!p->started)
        pthread_cond_wait(&p->cv, &p->mu);
    err = p->start_err;
    snprintf(last_err, sizeof last_err, "%s", p->why);
    pthread_mutex_unlock(&p->mu);
    if (err) {
        pthread_join(p->mgr, NULL);
        p->joined = 1;
        mp_destroy(&p->ex);
        return err;
    }
    *out = &p->ex;
    return 0;
fail_cv:
    pthread_cond_destroy(&p->cv);
fail_join_mu:
    pthread_mutex_destroy(&p->join_mu);
fail_mu:
    pthread_mutex_destroy(&p->mu);
fail:
    free(p);
    return err;
}
