/* mpi_worker.c -- a worker rank of the MPI pool: its serving loop, which
 * runs the client's tasks, and its listener thread, which answers the
 * client while a task runs. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "mpi_internal.h"

typedef struct wstate {
    MPI_Comm comm;
    int spawned, rank;
    uint32_t ntasks; /* tasks this session may run: the client's count */
    pid_t client_pid;
    int client_local;
    char host[64];
    cf_buf in, out;
    /* Shared by the serving thread and the listener (atomics). The claim
     * word of job seq is claims[seq % CLAIM_RING]: CF_CLAIM(seq, state),
     * or a word of an older job, which means (seq, QUEUED). */
    _Atomic(uint64_t) claims[CLAIM_RING];
    _Atomic(uint64_t) running; /* seq + 1 of the job running, 0 between */
    atomic_int stop;           /* the listener returns */
    atomic_llong last;         /* the last message from the client */
    uint64_t announced;        /* listener only: seq + 1 last said started */
    uint64_t seen;             /* listener only: `running` at its last look */
} wstate;

/* One frame without payload (STARTED, KEPT, SKIPPED) to the client. */
static int send_note(wstate *w, uint32_t type, uint64_t seq) {
    cf_wire_hdr h = {CF_WIRE_MAGIC, type, 0, 0, 0, seq};
    return cf__mpi_send(w->comm, 0, TAG_RESULT, &h, sizeof h);
}

/* The serving thread, before it runs job seq: claims it, 0 if a cancel
 * won the word first (the cancel answered SKIPPED: nothing to send). */
static int claim_job(wstate *w, uint64_t seq) {
    _Atomic(uint64_t) *word = &w->claims[seq % CLAIM_RING];
    uint64_t old = atomic_load(word);
    do {
        if (old == CF_CLAIM(seq, CF_CLAIM_CANCELLED)) return 0;
    } while (!atomic_compare_exchange_weak(word, &old, CF_CLAIM(seq, CF_CLAIM_RUNNING)));
    return 1;
}

/* A TAG_CANCEL for job seq (maybe before the job itself arrived: another
 * tag may overtake): takes the word if the job has not started, and
 * answers SKIPPED (cancelled, never to run) or KEPT (started, or over).
 * The word decides, so cancel and start never both win. */
static int answer_cancel(wstate *w, uint64_t seq) {
    _Atomic(uint64_t) *word = &w->claims[seq % CLAIM_RING];
    uint64_t old = atomic_load(word);
    int won = 0;
    while (CF_CLAIM_SEQ(old) < seq ||
           (CF_CLAIM_SEQ(old) == seq && CF_CLAIM_STATE(old) == CF_CLAIM_QUEUED)) {
        if (atomic_compare_exchange_weak(word, &old, CF_CLAIM(seq, CF_CLAIM_CANCELLED))) {
            won = 1;
            break;
        }
    }
    return send_note(w, won ? CF_MSG_SKIPPED : CF_MSG_KEPT, seq);
}

/* Answers every TAG_CANCEL waiting; -1 if MPI failed. */
static int answer_cancels(wstate *w) {
    for (;;) {
        uint64_t seq;
        MPI_Status st;
        int flag = 0, r = -1;
        MPI_Message m;
        pthread_mutex_lock(&cf__mpi_mu);
        if (!cf__mpi_down && MPI_Improbe(0, TAG_CANCEL, w->comm, &flag, &m, &st) == MPI_SUCCESS)
            r = !flag ? 0 : MPI_Mrecv(&seq, sizeof seq, MPI_BYTE, &m, &st) == MPI_SUCCESS ? 1 : -1;
        pthread_mutex_unlock(&cf__mpi_mu);
        if (r <= 0) return r;
        if (answer_cancel(w, seq)) return -1;
    }
}

/* Says STARTED for the job that has been running since the last look, so
 * that the client marks it RUNNING; a shorter one's result says it all.
 * Under cf__mpi_mu, so that it leaves before that job's result does. */
static void announce(wstate *w) {
    uint64_t r = atomic_load(&w->running);
    int say = r && r == w->seen && r != w->announced;
    w->seen = r;
    if (!say) return;
    cf_wire_hdr h = {CF_WIRE_MAGIC, CF_MSG_STARTED, 0, 0, 0, r - 1};
    pthread_mutex_lock(&cf__mpi_mu);
    if (!cf__mpi_down && atomic_load(&w->running) == r) {
        MPI_Send(&h, sizeof h, MPI_BYTE, 0, TAG_RESULT, w->comm);
        w->announced = r;
    }
    pthread_mutex_unlock(&cf__mpi_mu);
}

/* The listener: while a task runs, the serving thread cannot answer the
 * client, so this thread does, every LISTEN_NS: cancels of jobs waiting
 * behind the task, and that the task started. */
static void *listener(void *arg) {
    wstate *w = arg;
    pthread_setname_np(pthread_self(), "cf-mpi-listener"); /* first: threads.c reads it */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    prctl(PR_SET_TIMERSLACK, 1000UL);
    int64_t beat = 0; /* the last heartbeat, or when the task was first seen */
    while (!atomic_load(&w->stop)) {
        int busy = atomic_load(&w->running) != 0;
        int drowsy = cf_now_ns() - atomic_load(&w->last) > DROWSY_NS;
        sleep_ns(busy ? LISTEN_NS : drowsy ? WORKER_NAP_NS : LISTEN_IDLE_NS);
        if (!atomic_load(&w->running)) { /* the serving thread listens */
            beat = 0;
            continue;
        }
        answer_cancels(w);
        announce(w);
        /* A long task's worker says it lives (an empty TAG_RESULT): the
         * client breaks the pool when a busy worker falls silent. */
        int64_t now = cf_now_ns();
        if (!beat) {
            beat = now;
        } else if (now - beat >= BEAT_NS) {
            cf__mpi_send(w->comm, 0, TAG_RESULT, NULL, 0);
            beat = now;
        }
    }
    return NULL;
}

/* Compares the client's task names with ours; "" when they match. */
static void check_names(const wstate *w, const start_msg *sm, const char *names, size_t len,
                        char *msg, size_t n) {
    const char *p = names, *end = names + len;
    for (uint32_t i = 0; i < sm->ntasks; i++) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        if (!z) {
            snprintf(msg, n, "malformed task list from the client");
            return;
        }
        const cf_task *t = cf__task_by_id(i);
        if (!t || strcmp(t->name, p)) {
            snprintf(msg, n,
                     "MPI worker rank %d (pid %d on %s) does not know the client's task %u "
                     "'%s'%s%s%s: both must register the same task names in the same order",
                     w->rank, (int)getpid(), w->host, i, p, t ? " (it has '" : "", t ? t->name : "",
                     t ? "' there)" : "");
            return;
        }
        p = z + 1;
    }
    const cf_task *extra = cf__task_by_id(sm->ntasks);
    if (extra)
        snprintf(msg, n,
                 "MPI worker rank %d (pid %d on %s) has task %u '%s', which the client has not "
                 "registered: both must register the same task names in the same order",
                 w->rank, (int)getpid(), w->host, sm->ntasks, extra->name);
}

static void start_session(wstate *w) {
    hello_msg h = {0, (int32_t)getpid(), "", ""};
    snprintf(h.host, sizeof h.host, "%s", w->host);
    start_msg sm;
    if (w->in.len < sizeof sm || (memcpy(&sm, w->in.p, sizeof sm), sm.magic != START_MAGIC) ||
        sm.names_len > w->in.len - sizeof sm) {
        h.status = CF_EINVAL;
        snprintf(h.msg, sizeof h.msg, "malformed start message at MPI worker rank %d", w->rank);
        cf__mpi_send(w->comm, 0, TAG_HELLO, &h, sizeof h);
        return;
    }
    sm.init_obj[sizeof sm.init_obj - 1] = sm.arg_obj[sizeof sm.arg_obj - 1] = '\0';
    sm.host[sizeof sm.host - 1] = '\0';
    w->client_pid = sm.client_pid;
    w->client_local = !strcmp(sm.host, w->host);
    cf__self->index = (int)sm.slot;
    w->ntasks = 0;
    check_names(w, &sm, (const char *)w->in.p + sizeof sm, sm.names_len, h.msg, sizeof h.msg);
    if (h.msg[0]) {
        h.status = CF_ENOTASK;
    } else if (sm.has_init) {
        place fn = {NULL, "", sm.init_off, 0}, arg = {NULL, "", sm.arg_off, 0};
        snprintf(fn.obj, sizeof fn.obj, "%s", sm.init_obj);
        snprintf(arg.obj, sizeof arg.obj, "%s", sm.arg_obj);
        dl_iterate_phdr(cf__mpi_find_base, &fn);
        if (sm.has_init > 1) dl_iterate_phdr(cf__mpi_find_base, &arg);
        cf_init_fn init;
        memcpy(&init, &fn.addr, sizeof init);
        if (!fn.found || (sm.has_init > 1 && !arg.found)) {
            h.status = CF_EBROKEN;
            snprintf(h.msg, sizeof h.msg, "MPI worker rank %d cannot find the initializer",
                     w->rank);
        } else if (init((void *)arg.addr)) {
            h.status = CF_EBROKEN;
            snprintf(h.msg, sizeof h.msg, "initializer failed in MPI worker rank %d (pid %d on %s)",
                     w->rank, (int)getpid(), w->host);
        }
    }
    if (!h.status) w->ntasks = sm.ntasks;
    for (int i = 0; i < CLAIM_RING; i++) /* a new session numbers from 0 */
        atomic_store(&w->claims[i], 0);
    w->announced = w->seen = 0;
    cf__mpi_send(w->comm, 0, TAG_HELLO, &h, sizeof h);
}

/* TAG_WORK: runs every task frame, answering at least every FLUSH_NS. */
static int run_work(wstate *w) {
    int64_t since = cf_now_ns();
    w->out.len = 0;
    while (w->in.off < w->in.len) {
        cf_wire_hdr h;
        size_t m = cf__wire_frame(w->in.p + w->in.off, w->in.len - w->in.off, &h);
        if (m == 0 || m == (size_t)-1 || CF_WIRE_TYPE(&h) != CF_MSG_TASK) return -1;
        const cf_task *t = h.task < w->ntasks ? cf__task_by_id(h.task) : NULL;
        if (claim_job(w, h.seq)) {
            atomic_store(&w->running, h.seq + 1);
            int64_t now = cf_now_ns();
            int r = cf__wire_run_task(&h, w->in.p + w->in.off + sizeof h, t, &w->out, NULL, 0, &now);
            atomic_store(&w->running, 0);
            if (r) return -1;
        }
        w->in.off += m;
        if (cf_now_ns() - since > FLUSH_NS || w->out.len > MAX_MSG) {
            if (cf__mpi_send(w->comm, 0, TAG_RESULT, w->out.p, w->out.len)) return -1;
            w->out.len = 0;
            since = cf_now_ns();
        }
    }
    if (w->out.len && cf__mpi_send(w->comm, 0, TAG_RESULT, w->out.p, w->out.len)) return -1;
    return 0;
}

/* Serves the client (rank 0 of comm) until it says end or exit, then
 * finalises MPI and ends the process. */
void cf__mpi_serve(MPI_Comm comm, int spawned) {
    static cf_worker me = {.index = -1};
    cf__self = &me;
    prctl(PR_SET_TIMERSLACK, 1000UL); /* a 10 µs nap, not the default 60 */
    static wstate w;                  /* 32 KiB of claim words: not on the stack */
    w.comm = comm;
    w.spawned = spawned;
    w.rank = cf_mpi_world_rank();
    if (gethostname(w.host, sizeof w.host - 1)) snprintf(w.host, sizeof w.host, "?");
    backoff bo;
    backoff_reset(&bo);
    int64_t checked = cf_now_ns(), last = checked;
    atomic_store(&w.last, last);
    /* Without a listener (no thread to be had) cancels wait for the task. */
    pthread_t lt;
    /* pthread_create, not cf__thread_start: a worker process makes no
     * process pool, so nothing reads the count here, and under ASan the
     * counted start made LSan's leak check before MPI_Finalize crash
     * ("Tracer caught signal 11") in spawned workers; cause not found. */
    int code = 0, have_listener = pthread_create(&lt, NULL, listener, &w) == 0;
    for (;;) {
        MPI_Status st;
        int r = cf__mpi_recv(comm, 0, MPI_ANY_TAG, &w.in, &st);
        if (r < 0) {
            code = 2;
            break;
        }
        if (r == 0) {
            int64_t now = cf_now_ns();
            if (w.client_pid && w.client_local && now - checked > CLIENT_CHECK_NS) {
                checked = now;
                if (!cf__mpi_pid_alive(w.client_pid)) _exit(3); /* MPI cannot end cleanly now */
            }
            long ns = backoff_next(&bo, now - last > DROWSY_NS ? WORKER_NAP_NS : WORKER_SLEEP_NS);
            if (ns) sleep_ns(ns);
            continue;
        }
        backoff_reset(&bo);
        last = cf_now_ns();
        atomic_store(&w.last, last);
        if (st.MPI_TAG == TAG_CANCEL) {
            uint64_t seq;
            if (w.in.len != sizeof seq) {
                code = 4;
                break;
            }
            memcpy(&seq, w.in.p, sizeof seq);
            if (answer_cancel(&w, seq)) {
                code = 4;
                break;
            }
        } else if (st.MPI_TAG == TAG_START) {
            start_session(&w);
        } else if (st.MPI_TAG == TAG_WORK) {
            if (run_work(&w)) {
                code = 4;
                break;
            }
        } else if (st.MPI_TAG == TAG_END) {
            w.client_pid = 0;
            if (spawned) break;
        } else if (st.MPI_TAG == TAG_EXIT) {
            break;
        }
    }
    if (have_listener) {
        atomic_store(&w.stop, 1);
        pthread_join(lt, NULL);
    }
    cf__buf_free(&w.in);
    cf__buf_free(&w.out);
    pthread_mutex_lock(&cf__mpi_mu);
    if (spawned) MPI_Comm_disconnect(&comm);
    LEAK_CHECK_BEFORE_FINALIZE();
    if (cf__mpi_ours) MPI_Finalize();
    cf__mpi_down = 1;
    pthread_mutex_unlock(&cf__mpi_mu);
    exit(code);
}
