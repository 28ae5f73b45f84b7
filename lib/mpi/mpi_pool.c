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
 * process-wide `mpi_mu`, so several pools (one manager thread each) never
 * call MPI at once; a program that calls MPI itself while a pool runs must
 * initialise MPI_THREAD_MULTIPLE. Per pool, `mu` guards the queue and flags
 * (never held across an MPI call nor while callbacks run); slots belong to
 * the manager alone. Lock order: mu -> future mu; mpi_mu is taken alone.
 * A worker has two threads: the serving one and the listener, sharing
 * the claim words and `running` (atomics); the listener sends STARTED
 * under mpi_mu after checking the job still runs, so it always leaves
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
 */
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <mpi.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../cfutures_mpi.h"
#include "../internal.h"
#include "../wire.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* LSan's own check at exit comes after MPI_Finalize has unloaded Open
 * MPI's plugins, whose leaks then have no module name to suppress: check
 * before, while they have (tests/mpi_lsan.supp names Open MPI's). */
#define LEAK_CHECK_BEFORE_FINALIZE() __lsan_do_leak_check()
#else
#define LEAK_CHECK_BEFORE_FINALIZE() ((void)0)
#endif

enum { TAG_START = 7001, TAG_HELLO, TAG_WORK, TAG_RESULT, TAG_END, TAG_EXIT, TAG_CANCEL };

#define START_MAGIC 0x314d4643u /* "CFM1" */
#define TARGET_BATCH_NS 1000000 /* keep ~1 ms of work out per worker */
#define MAX_WINDOW 1024
#define FLUSH_NS 50000          /* a worker holds answers back at most this long */
#define MAX_MSG (64u << 20)     /* a message stops growing past this */
#define SPIN_NS 50000           /* probe without sleeping this long */
#define WORKER_SLEEP_NS 1000000 /* a waiting worker's longest sleep, */
#define WORKER_NAP_NS 10000000  /* and once idle for DROWSY_NS */
#define DROWSY_NS 1000000000
#define MANAGER_SLEEP_NS 100000   /* the manager's, while results are due */
#define LIVENESS_NS 10000000      /* check local workers this often */
#define CLIENT_CHECK_NS 999000000 /* a worker checks its client this often */
#define LISTEN_NS 1000000         /* a worker's listener, while a task runs, */
#define LISTEN_IDLE_NS 5000000    /* and between tasks */
#define CLAIM_RING 4096           /* claim words a worker keeps: > MAX_WINDOW */
#define START_TIMEOUT_S 60

/* ---- process-wide MPI state ------------------------------------------- */

static pthread_mutex_t mpi_mu = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by mpi_mu. */
static int mpi_up;          /* MPI initialised (by us or by the program) */
static int mpi_ours;        /* we initialised it: we finalise it at exit */
static int mpi_down;        /* finalised: no more MPI calls */
static int have_world;      /* rank 0 under mpiexec with other ranks */
static int world_n;         /* world workers: size - 1 */
static int world_busy;      /* a pool holds them */
static MPI_Comm world;      /* dup of MPI_COMM_WORLD for our messages */
static MPI_Comm self;       /* dup of MPI_COMM_SELF, errors returned: spawns */
static void *graveyard[64]; /* send buffers MPI may still read: dead peers */
static int ngrave;

static atomic_int my_rank = -1;
static __thread char last_err[512];

const char *cf_mpi_last_error(void) {
    return last_err;
}

int cf_mpi_world_rank(void) {
    return atomic_load(&my_rank);
}

static void at_exit(void) {
    pthread_mutex_lock(&mpi_mu);
    if (mpi_up && !mpi_down) {
        if (have_world) /* world workers wait for this to end */
            for (int r = 1; r <= world_n; r++)
                MPI_Send(NULL, 0, MPI_BYTE, r, TAG_EXIT, world);
        if (mpi_ours) {
            LEAK_CHECK_BEFORE_FINALIZE();
            MPI_Finalize();
        }
        mpi_down = 1;
    }
    pthread_mutex_unlock(&mpi_mu);
}

/* With mpi_mu held: initialises MPI if nobody did. */
static int ensure_mpi(int *argc, char ***argv, char *why, size_t n) {
    if (mpi_down) {
        snprintf(why, n, "MPI was already finalised");
        return CF_EINVAL;
    }
    if (mpi_up) return 0;
    int inited = 0, level = 0;
    MPI_Initialized(&inited);
    if (inited) {
        MPI_Query_thread(&level);
        if (level < MPI_THREAD_SERIALIZED) {
            snprintf(why, n, "MPI was initialised below MPI_THREAD_SERIALIZED");
            return CF_EINVAL;
        }
    } else {
        if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &level) != MPI_SUCCESS) {
            snprintf(why, n, "MPI_Init_thread failed");
            return CF_ESYS;
        }
        mpi_ours = 1;
        atexit(at_exit);
    }
    mpi_up = 1;
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    atomic_store(&my_rank, rank);
    MPI_Comm_dup(MPI_COMM_SELF, &self);
    MPI_Comm_set_errhandler(self, MPI_ERRORS_RETURN);
    return 0;
}

/* ---- waiting without a busy core -------------------------------------- */

typedef struct backoff {
    int64_t since; /* the last message, or the reset */
    long ns;
} backoff;

static void backoff_reset(backoff *b) {
    b->since = cf_now_ns();
    b->ns = 10000;
}

/* The next pause: none for SPIN_NS after the last message (the next one
 * often follows at once), then a doubling sleep. */
static long backoff_next(backoff *b, long max_ns) {
    if (cf_now_ns() - b->since < SPIN_NS) return 0;
    long ns = b->ns;
    b->ns = ns * 2 > max_ns ? max_ns : ns * 2;
    return ns;
}

/* While results are due the manager probes at most every MANAGER_SLEEP_NS,
 * or a twentieth of the quickest worker's time per task when tasks are
 * long (up to 5 ms): probing costs CPU the workers need on a full machine,
 * and a long task's answer loses little by waiting. */
static long manager_sleep_max(double svc_ns) {
    double ns = svc_ns / 20;
    if (ns < MANAGER_SLEEP_NS) return MANAGER_SLEEP_NS;
    return ns > 5000000 ? 5000000 : (long)ns;
}

static void sleep_ns(long ns) {
    struct timespec ts = {ns / 1000000000, ns % 1000000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* One look for a message from src with tag (MPI_ANY_* allowed): receives
 * it whole into b and returns 1, 0 if none is there, -1 on error, -2 once
 * MPI is finalised (the program is exiting). */
static int probe_recv(MPI_Comm comm, int src, int tag, cf_buf *b, MPI_Status *st) {
    int flag = 0, n = 0, r = -1;
    MPI_Message m;
    pthread_mutex_lock(&mpi_mu);
    if (mpi_down) {
        r = -2;
        goto out;
    }
    if (MPI_Improbe(src, tag, comm, &flag, &m, st) != MPI_SUCCESS) goto out;
    r = 0;
    if (!flag) goto out;
    MPI_Get_count(st, MPI_BYTE, &n);
    b->len = b->off = 0;
    if (!cf__buf_room(b, n > 0 ? (size_t)n : 1)) {
        r = -1; /* the message stays unreceived: the caller gives up */
        goto out;
    }
    r = MPI_Mrecv(b->p, n, MPI_BYTE, &m, st) == MPI_SUCCESS ? 1 : -1;
    b->len = (size_t)n;
out:
    pthread_mutex_unlock(&mpi_mu);
    return r;
}

static int send_bytes(MPI_Comm comm, int rank, int tag, const void *p, size_t n) {
    pthread_mutex_lock(&mpi_mu);
    int r = !mpi_down && MPI_Send(p, (int)n, MPI_BYTE, rank, tag, comm) == MPI_SUCCESS ? 0 : -1;
    pthread_mutex_unlock(&mpi_mu);
    return r;
}

/* Is the process alive (not gone, not a zombie)? Local pids only. */
static int pid_alive(pid_t pid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "re");
    if (!fp) return errno != ENOENT;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X' || p[2] == 'x'));
}

/* ---- addresses that cross: the initializer and its argument ----------- */

/* Same program, same libraries: an address is (object name, offset from
 * the object's load address), which survives ASLR. "" is the program. */
typedef struct place {
    const void *addr;
    char obj[256];
    uint64_t off;
    int found;
} place;

static int find_place(struct dl_phdr_info *info, size_t size, void *arg) {
    place *pl = arg;
    (void)size;
    uintptr_t a = (uintptr_t)pl->addr;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type != PT_LOAD || a < lo || a >= lo + ph->p_memsz) continue;
        snprintf(pl->obj, sizeof pl->obj, "%s", info->dlpi_name ? info->dlpi_name : "");
        pl->off = a - info->dlpi_addr;
        pl->found = 1;
        return 1;
    }
    return 0;
}

static int find_base(struct dl_phdr_info *info, size_t size, void *arg) {
    place *pl = arg;
    (void)size;
    if (strcmp(info->dlpi_name ? info->dlpi_name : "", pl->obj)) return 0;
    pl->addr = (const void *)(info->dlpi_addr + pl->off);
    pl->found = 1;
    return 1;
}

/* ---- the worker ------------------------------------------------------- */

/* TAG_START: then ntasks NUL-terminated names. */
typedef struct start_msg {
    uint32_t magic, slot, ntasks, has_init;
    int32_t client_pid, pad;
    uint64_t names_len;
    uint64_t init_off, arg_off;
    char init_obj[256], arg_obj[256];
    char host[64];
} start_msg;

typedef struct hello_msg {
    int32_t status; /* 0, CF_ENOTASK (names differ), CF_EBROKEN (initializer) */
    int32_t pid;
    char host[64];
    char msg[256];
} hello_msg;

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
    return send_bytes(w->comm, 0, TAG_RESULT, &h, sizeof h);
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
        pthread_mutex_lock(&mpi_mu);
        if (!mpi_down && MPI_Improbe(0, TAG_CANCEL, w->comm, &flag, &m, &st) == MPI_SUCCESS)
            r = !flag ? 0 : MPI_Mrecv(&seq, sizeof seq, MPI_BYTE, &m, &st) == MPI_SUCCESS ? 1 : -1;
        pthread_mutex_unlock(&mpi_mu);
        if (r <= 0) return r;
        if (answer_cancel(w, seq)) return -1;
    }
}

/* Says STARTED for the job that has been running since the last look, so
 * that the client marks it RUNNING; a shorter one's result says it all.
 * Under mpi_mu, so that it leaves before that job's result does. */
static void announce(wstate *w) {
    uint64_t r = atomic_load(&w->running);
    int say = r && r == w->seen && r != w->announced;
    w->seen = r;
    if (!say) return;
    cf_wire_hdr h = {CF_WIRE_MAGIC, CF_MSG_STARTED, 0, 0, 0, r - 1};
    pthread_mutex_lock(&mpi_mu);
    if (!mpi_down && atomic_load(&w->running) == r) {
        MPI_Send(&h, sizeof h, MPI_BYTE, 0, TAG_RESULT, w->comm);
        w->announced = r;
    }
    pthread_mutex_unlock(&mpi_mu);
}

/* The listener: while a task runs, the serving thread cannot answer the
 * client, so this thread does, every LISTEN_NS: cancels of jobs waiting
 * behind the task, and that the task started. */
static void *listener(void *arg) {
    wstate *w = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    prctl(PR_SET_TIMERSLACK, 1000UL);
    while (!atomic_load(&w->stop)) {
        int busy = atomic_load(&w->running) != 0;
        int drowsy = cf_now_ns() - atomic_load(&w->last) > DROWSY_NS;
        sleep_ns(busy ? LISTEN_NS : drowsy ? WORKER_NAP_NS : LISTEN_IDLE_NS);
        if (!atomic_load(&w->running)) continue; /* the serving thread listens */
        answer_cancels(w);
        announce(w);
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
        send_bytes(w->comm, 0, TAG_HELLO, &h, sizeof h);
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
        dl_iterate_phdr(find_base, &fn);
        if (sm.has_init > 1) dl_iterate_phdr(find_base, &arg);
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
    send_bytes(w->comm, 0, TAG_HELLO, &h, sizeof h);
}

/* TAG_WORK: runs every task frame, answering at least every FLUSH_NS. */
static int run_work(wstate *w) {
    int64_t since = cf_now_ns();
    w->out.len = 0;
    while (w->in.off < w->in.len) {
        cf_wire_hdr h;
        size_t m = cf__wire_frame(w->in.p + w->in.off, w->in.len - w->in.off, &h);
        if (m == 0 || m == (size_t)-1 || h.type != CF_MSG_TASK) return -1;
        const cf_task *t = h.task < w->ntasks ? cf__task_by_id(h.task) : NULL;
        if (claim_job(w, h.seq)) {
            atomic_store(&w->running, h.seq + 1);
            int r = cf__wire_run_task(&h, w->in.p + w->in.off + sizeof h, t, &w->out, NULL);
            atomic_store(&w->running, 0);
            if (r) return -1;
        }
        w->in.off += m;
        if (cf_now_ns() - since > FLUSH_NS || w->out.len > MAX_MSG) {
            if (send_bytes(w->comm, 0, TAG_RESULT, w->out.p, w->out.len)) return -1;
            w->out.len = 0;
            since = cf_now_ns();
        }
    }
    if (w->out.len && send_bytes(w->comm, 0, TAG_RESULT, w->out.p, w->out.len)) return -1;
    return 0;
}

/* Serves the client (rank 0 of comm) until it says end or exit, then
 * finalises MPI and ends the process. */
static void __attribute__((noreturn)) serve(MPI_Comm comm, int spawned) {
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
    int code = 0, have_listener = pthread_create(&lt, NULL, listener, &w) == 0;
    for (;;) {
        MPI_Status st;
        int r = probe_recv(comm, 0, MPI_ANY_TAG, &w.in, &st);
        if (r < 0) {
            code = 2;
            break;
        }
        if (r == 0) {
            int64_t now = cf_now_ns();
            if (w.client_pid && w.client_local && now - checked > CLIENT_CHECK_NS) {
                checked = now;
                if (!pid_alive(w.client_pid)) _exit(3); /* MPI cannot end cleanly now */
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
    pthread_mutex_lock(&mpi_mu);
    if (spawned) MPI_Comm_disconnect(&comm);
    LEAK_CHECK_BEFORE_FINALIZE();
    if (mpi_ours) MPI_Finalize();
    mpi_down = 1;
    pthread_mutex_unlock(&mpi_mu);
    exit(code);
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
    pthread_mutex_lock(&mpi_mu);
    int r = ensure_mpi(argc, argv, why, sizeof why);
    MPI_Comm parent = MPI_COMM_NULL;
    int rank = 0, size = 1;
    if (!r) {
        MPI_Comm_get_parent(&parent);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    if (!r && parent == MPI_COMM_NULL && size > 1) { /* collective: every rank is here */
        MPI_Comm_dup(MPI_COMM_WORLD, &world);
        MPI_Comm_set_errhandler(world, MPI_ERRORS_RETURN);
        have_world = rank == 0;
        world_n = size - 1;
    }
    pthread_mutex_unlock(&mpi_mu);
    if (r) return r;
    if (parent != MPI_COMM_NULL) {
        MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
        serve(parent, 1);
    }
    if (rank > 0) serve(world, 0);
    return 0;
}

/* ---- the client: pool, slots, manager --------------------------------- */

typedef struct mslot {
    int index, rank;
    pid_t pid;
    int local; /* on the client's host: its pid can be checked */
    int pidfd; /* local: readable once it exited; -1: none (read /proc) */
    char host[64];
    cf_future *head, *tail; /* sent, in order; f->queued: the job's seq */
    int inflight;
    uint64_t seq;    /* the next job's number at this worker */
    int asked;       /* cancels sent that the worker has not answered */
    int room;        /* dispatch's scratch: futures it may still take */
    double svc_ns;   /* recent time per message in the worker */
    cf_buf pend;     /* task frames not yet sent */
    cf_buf sending;  /* owned by MPI while req is active */
    MPI_Request req; /* MPI_REQUEST_NULL: no send in progress */
} mslot;

typedef struct mpool {
    cf_executor ex;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* wakes the manager; the creator waits for start-up */
    /* Guarded by mu. */
    cf_future *head, *tail; /* queued, not yet in a slot */
    int shutdown, broken;
    int started, start_err;
    int sleeping;           /* manager waits on cv: signal it */
    unsigned cancels_asked; /* bumped by each cancel of a held future */
    int cancel_all;         /* shutdown: cancel what the workers hold too */
    char why[512];
    /* Set before the manager starts, then read-only. */
    pthread_t mgr;
    place init, arg;
    /* Manager thread only. */
    MPI_Comm comm;
    int spawned; /* else the world workers */
    int dead;    /* a worker died: send nothing more */
    mslot *slots;
    int n;
    int next_slot;         /* where dispatch starts its round */
    unsigned cancels_seen; /* cancels_asked when the manager last looked */
    cf_buf rbuf;
    char host[64];
    char brokenmsg[256];
    /* Serialises joining the manager. */
    pthread_mutex_t join_mu;
    int joined; /* guarded by join_mu */
} mpool;

static void fail_list(cf_future *f, const char *why) {
    for (cf_future *next; f; f = next) {
        next = f->next;
        f->next = NULL;
        cf__future_finish(f, CF_EBROKEN, why);
        cf__future_unref(f);
    }
}

/* Is the local worker alive? Its pidfd turns readable the moment it
 * exits (no waiting for whoever reaps it); without one, /proc says. */
static int worker_alive(const mslot *s) {
    if (s->pidfd < 0) return pid_alive(s->pid);
    struct pollfd pfd = {s->pidfd, POLLIN, 0};
    return poll(&pfd, 1, 0) == 0;
}

/* Fails every unfinished future; with dead, kills the local workers. */
static void break_pool(mpool *p, const char *why, int dead) {
    if (!p->brokenmsg[0]) snprintf(p->brokenmsg, sizeof p->brokenmsg, "%s", why);
    pthread_mutex_lock(&p->mu);
    p->broken = 1;
    cf_future *q = p->head;
    p->head = p->tail = NULL;
    pthread_mutex_unlock(&p->mu);
    p->dead |= dead;
    for (int i = 0; i < p->n; i++) {
        mslot *s = &p->slots[i];
        if (dead && s->local && s->pid > 0 && worker_alive(s)) kill(s->pid, SIGKILL);
        fail_list(s->head, p->brokenmsg);
        s->head = s->tail = NULL;
        s->inflight = s->asked = 0;
    }
    fail_list(q, p->brokenmsg);
}

static int window(const mslot *s) {
    if (s->svc_ns <= 0) return 1;
    double w = TARGET_BATCH_NS / (s->svc_ns + 500.0);
    if (w < 1) return 1;
    return w > MAX_WINDOW ? MAX_WINDOW : (int)w;
}

static size_t message_bytes(const cf_future *f) {
    size_t b = sizeof(cf_wire_hdr);
    for (size_t i = 0; i < f->nitems; i++)
        b += 4 + f->items[i].in_len;
    return b;
}

/* Puts f into the slot's next message, as job s->seq. It stays PENDING
 * until the worker says it started it; until then the worker decides
 * cancel (cf__future_hold). */
static void add_to_slot(mslot *s, cf_future *f) {
    f->queued = s->seq;
    if (!cf__future_hold(f, s->index)) {
        cf__future_unref(f); /* cancelled meanwhile */
        return;
    }
    if (message_bytes(f) > INT_MAX) {
        cf__future_finish(f, CF_ETOOBIG, "the task's message is over 2 GiB");
        cf__future_unref(f);
        return;
    }
    if (cf__wire_put_task(&s->pend, f, s->seq++)) {
        cf__future_finish(f, CF_ENOMEM, "out of memory sending the task");
        cf__future_unref(f);
        return;
    }
    if (s->tail)
        s->tail->next = f;
    else
        s->head = f;
    s->tail = f;
    s->inflight++;
}

/* Moves queued futures into slots with room, one slot after the other so
 * that a short queue spreads over the workers; returns how many. */
static int dispatch(mpool *p) {
    int total = 0;
    for (int i = 0; i < p->n; i++) {
        mslot *s = &p->slots[i];
        s->room = s->pend.len > MAX_MSG ? 0 : window(s) - s->inflight;
        if (s->room > 0) total += s->room;
    }
    if (!total) return 0;
    pthread_mutex_lock(&p->mu);
    cf_future *batch = p->head, *last = NULL;
    int taken = 0;
    for (cf_future *f = batch; f && taken < total; f = f->next)
        last = f, taken++;
    if (last) {
        p->head = last->next;
        if (!p->head) p->tail = NULL;
        last->next = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    if (!last) return 0;
    for (cf_future *f = batch, *next; f; f = next) {
        next = f->next;
        f->next = NULL;
        mslot *s;
        do {
            s = &p->slots[p->next_slot];
            p->next_slot = (p->next_slot + 1) % p->n;
        } while (s->room <= 0);
        s->room--;
        add_to_slot(s, f);
    }
    return taken;
}

/* Completes sends and starts the next one of each slot; returns 1 if
 * anything moved. */
static int pump_sends(mpool *p) {
    int moved = 0;
    pthread_mutex_lock(&mpi_mu);
    for (int i = 0; i < p->n && !mpi_down; i++) {
        mslot *s = &p->slots[i];
        if (s->req != MPI_REQUEST_NULL) {
            int done = 0;
            MPI_Test(&s->req, &done, MPI_STATUS_IGNORE);
            if (!done) continue;
            s->sending.len = 0;
            moved = 1;
        }
        if (s->pend.len == 0 || s->pend.len > INT_MAX) continue;
        cf_buf t = s->sending;
        s->sending = s->pend;
        s->pend = t;
        MPI_Isend(s->sending.p, (int)s->sending.len, MPI_BYTE, s->rank, TAG_WORK, p->comm, &s->req);
        moved = 1;
    }
    pthread_mutex_unlock(&mpi_mu);
    return moved;
}

static mslot *slot_of(mpool *p, int rank) {
    int i = p->spawned ? rank : rank - 1;
    return i >= 0 && i < p->n ? &p->slots[i] : NULL;
}

/* Takes job seq out of the slot's list; NULL if it is not there (done). */
static cf_future *unlink_job(mslot *s, uint64_t seq) {
    cf_future *prev = NULL, *f = s->head;
    while (f && f->queued != seq) /* nearly always the head */
        prev = f, f = f->next;
    if (!f) return NULL;
    if (prev)
        prev->next = f->next;
    else
        s->head = f->next;
    if (s->tail == f) s->tail = prev;
    f->next = NULL;
    s->inflight--;
    return f;
}

static cf_future *find_job(mslot *s, uint64_t seq) {
    cf_future *f = s->head;
    while (f && f->queued != seq)
        f = f->next;
    return f;
}

/* Handles one frame from the slot's worker: a RESULT or SKIPPED ends its
 * job; STARTED, and KEPT (the answer to a cancel that came too late),
 * make it RUNNING. Returns 0, or -1 if the frame makes no sense. A job
 * leaves the list before it completes, since completing runs callbacks
 * (which may cancel, and so take frames themselves: cancel_here). */
static int take_frame(mslot *s, const cf_wire_hdr *h, const unsigned char *pl) {
    cf_future *f;
    int64_t took = 0;
    switch (h->type) {
    case CF_MSG_KEPT:
        if (s->asked <= 0) return -1;
        s->asked--;
        /* fall through */
    case CF_MSG_STARTED:
        if ((f = find_job(s, h->seq))) cf__future_start(f, s->index);
        return 0;
    case CF_MSG_SKIPPED:
        if (s->asked <= 0 || !(f = unlink_job(s, h->seq))) return -1;
        s->asked--;
        cf__future_finish(f, CF_ECANCELLED, "cancelled before it started");
        cf__future_unref(f);
        return 0;
    case CF_MSG_RESULT:
        if (!(f = unlink_job(s, h->seq))) return -1;
        int outcome = cf__wire_take_result(f, h, pl, &took);
        if (outcome == -1) {
            cf__future_finish(f, CF_EBROKEN, "malformed result");
            cf__future_unref(f);
            return -1;
        }
        s->svc_ns = s->svc_ns > 0 ? 0.8 * s->svc_ns + 0.2 * (double)took : (double)took;
        if (s->svc_ns < 1) s->svc_ns = 1; /* measured, even if too short to see */
        cf__future_finish(f, outcome, NULL);
        cf__future_unref(f);
        return 0;
    }
    return -1;
}

/* Handles a TAG_RESULT message from the slot's worker, received into b. */
static void take_results(mpool *p, mslot *s, cf_buf *b) {
    while (b->off < b->len && !p->broken) {
        cf_wire_hdr h;
        size_t m = cf__wire_frame(b->p + b->off, b->len - b->off, &h);
        if (m == 0 || m == (size_t)-1 || take_frame(s, &h, b->p + b->off + sizeof h)) {
            char why[96];
            snprintf(why, sizeof why, "malformed message from MPI worker rank %d", s->rank);
            break_pool(p, why, 0);
            return;
        }
        b->off += m;
    }
}

/* Receives what the workers answered; returns 1 if anything came. */
static int receive(mpool *p) {
    int got = 0;
    for (int k = 0; k < 64 && !p->broken; k++) {
        MPI_Status st;
        int r = probe_recv(p->comm, MPI_ANY_SOURCE, TAG_RESULT, &p->rbuf, &st);
        if (r == -2) break_pool(p, "MPI was finalised: the program is exiting", 0);
        if (r == -1) break_pool(p, "MPI failed receiving results", 1);
        if (r <= 0) break;
        mslot *s = slot_of(p, st.MPI_SOURCE);
        if (s) take_results(p, s, &p->rbuf);
        got = 1;
    }
    return got;
}

static void describe(const mpool *p, const mslot *s, char *buf, size_t n) {
    snprintf(buf, n, "MPI worker rank %d (%s, pid %d on %s) died", s->rank,
             p->spawned ? "spawned by this pool" : "of mpiexec's job", (int)s->pid, s->host);
}

static void check_workers(mpool *p) {
    for (int i = 0; i < p->n; i++) {
        mslot *s = &p->slots[i];
        if (!s->local || worker_alive(s)) continue;
        char why[256];
        describe(p, s, why, sizeof why);
        break_pool(p, why, 1);
        return;
    }
}

/* Asks the slot's worker to cancel f's job; it answers SKIPPED or KEPT. */
static void ask_worker(mpool *p, mslot *s, cf_future *f) {
    uint64_t seq = f->queued;
    if (p->dead || send_bytes(p->comm, s->rank, TAG_CANCEL, &seq, sizeof seq)) {
        break_pool(p, "MPI failed sending a cancel to a worker", 1);
        return;
    }
    s->asked++;
}

/* Passes on the cancels asked since the last look (and, after a shutdown
 * that cancels futures, asks for every held job); returns 1 if it looked. */
static int send_cancels(mpool *p) {
    pthread_mutex_lock(&p->mu);
    unsigned asked = p->cancels_asked;
    int all = p->cancel_all;
    p->cancel_all = 0;
    pthread_mutex_unlock(&p->mu);
    if (asked == p->cancels_seen && !all) return 0;
    p->cancels_seen = asked;
    for (int i = 0; i < p->n && !p->broken; i++) {
        mslot *s = &p->slots[i];
        for (cf_future *f = s->head; f && !p->broken; f = f->next) {
            if (all) cf__future_ask_cancel(f);
            if (cf__future_take_cancel(f)) ask_worker(p, s, f);
        }
    }
    return 1;
}

/* Breaks the pool if a local worker died. */
static void check_workers(mpool *p);

/* cf_future_cancel in a done callback, on the manager thread itself:
 * nobody else would carry the question, so this asks the worker and
 * takes its answers here until f is decided (or the pool breaks). */
static void cancel_here(mpool *p, cf_future *f) {
    mslot *s = &p->slots[f->worker];
    if (cf__future_take_cancel(f)) ask_worker(p, s, f);
    cf_buf b = {0}; /* not p->rbuf: the caller may be reading that */
    int64_t checked = cf_now_ns();
    while (!p->broken && atomic_load(&f->state) == CF_PENDING) {
        MPI_Status st;
        int r = probe_recv(p->comm, s->rank, TAG_RESULT, &b, &st);
        if (r == -2) break_pool(p, "MPI was finalised: the program is exiting", 0);
        if (r == -1) break_pool(p, "MPI failed receiving results", 1);
        if (r > 0) take_results(p, s, &b);
        if (r != 0) continue;
        if (cf_now_ns() - checked > LIVENESS_NS) {
            checked = cf_now_ns();
            check_workers(p);
        }
        sleep_ns(10000);
    }
    cf__buf_free(&b);
}

/* Sends TAG_START to every worker and gathers the TAG_HELLO answers. */
static int greet(mpool *p, start_msg *sm, const char *names, size_t names_len, char *why,
                 size_t n) {
    size_t len = sizeof *sm + names_len;
    unsigned char *msg = malloc(len);
    if (!msg) return CF_ENOMEM;
    memcpy(msg + sizeof *sm, names, names_len);
    int err = 0;
    for (int i = 0; i < p->n && !err; i++) {
        sm->slot = (uint32_t)i;
        memcpy(msg, sm, sizeof *sm);
        if (send_bytes(p->comm, p->slots[i].rank, TAG_START, msg, len)) err = CF_ESYS;
    }
    free(msg);
    if (err) {
        snprintf(why, n, "MPI failed sending to the workers");
        return err;
    }
    int64_t deadline = cf_now_ns() + (int64_t)START_TIMEOUT_S * 1000000000;
    backoff bo;
    backoff_reset(&bo);
    for (int got = 0; got < p->n;) {
        MPI_Status st;
        int r = probe_recv(p->comm, MPI_ANY_SOURCE, TAG_HELLO, &p->rbuf, &st);
        mslot *s = r > 0 ? slot_of(p, st.MPI_SOURCE) : NULL;
        if (r < 0 || (r > 0 && (!s || p->rbuf.len != sizeof(hello_msg)))) {
            snprintf(why, n, "MPI failed while the workers started");
            return CF_ESYS;
        }
        if (r == 0) {
            if (cf_now_ns() > deadline) {
                snprintf(why, n,
                         "%d of %d MPI workers did not answer in %d s: does main() call "
                         "cf_mpi_serve_or_continue() first?",
                         p->n - got, p->n, START_TIMEOUT_S);
                return CF_ETIMEDOUT;
            }
            long ns = backoff_next(&bo, WORKER_SLEEP_NS);
            if (ns) sleep_ns(ns);
            continue;
        }
        hello_msg h;
        memcpy(&h, p->rbuf.p, sizeof h);
        h.host[sizeof h.host - 1] = h.msg[sizeof h.msg - 1] = '\0';
        s->pid = h.pid;
        snprintf(s->host, sizeof s->host, "%s", h.host);
        s->local = !strcmp(h.host, p->host);
        if (s->local && s->pidfd < 0) s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
        got++;
        if (h.status == CF_EBROKEN) {
            if (!p->broken) snprintf(p->brokenmsg, sizeof p->brokenmsg, "%s", h.msg);
            p->broken = 1; /* the pool starts, broken, as Python's does */
        } else if (h.status && !err) {
            err = h.status;
            snprintf(why, n, "%s", h.msg);
        }
    }
    return err;
}

/* Ends the session with every worker: they exit (spawned) or wait for the
 * next pool (world). After a death, only what is local is left to do. */
static void release_workers(mpool *p) {
    pthread_mutex_lock(&mpi_mu);
    for (int i = 0; i < p->n && !mpi_down; i++) {
        mslot *s = &p->slots[i];
        if (s->req != MPI_REQUEST_NULL) {
            if (!p->dead) {
                MPI_Wait(&s->req, MPI_STATUS_IGNORE);
            } else if (ngrave < (int)(sizeof graveyard / sizeof graveyard[0])) {
                graveyard[ngrave++] = s->sending.p; /* MPI may still read it */
                s->sending.p = NULL;
                s->sending.cap = s->sending.len = 0;
            }
        }
        if (!p->dead) MPI_Send(NULL, 0, MPI_BYTE, s->rank, TAG_END, p->comm);
    }
    if (!mpi_down && p->spawned) {
        if (p->dead)
            MPI_Comm_free(&p->comm); /* local: disconnecting would wait for the dead */
        else
            MPI_Comm_disconnect(&p->comm);
    }
    if (!p->spawned && !p->dead) world_busy = 0;
    pthread_mutex_unlock(&mpi_mu);
}

/* Reads /proc/self/cmdline: the arguments spawned workers get. */
static char **own_args(char **blob) {
    FILE *fp = fopen("/proc/self/cmdline", "re");
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    while (fp && b) {
        len += fread(b + len, 1, cap - len, fp);
        if (len < cap) break;
        char *nb = realloc(b, cap *= 2);
        if (!nb) break;
        b = nb;
    }
    if (fp) fclose(fp);
    int argc = 0;
    for (size_t i = 0; b && i < len; i++)
        argc += b[i] == '\0';
    char **argv = b ? calloc((size_t)argc + 1, sizeof *argv) : NULL;
    if (!argv) {
        free(b);
        return NULL;
    }
    int k = 0;
    for (size_t i = 0; i < len && k < argc; k++) {
        argv[k] = b + i;
        i += strlen(b + i) + 1;
    }
    *blob = b;
    return argv;
}

/* Takes the world workers or spawns new ones; with mpi_mu held. */
static int find_workers(mpool *p, char *why, size_t n) {
    int want = p->ex.opts.max_workers;
    if (have_world && !world_busy) {
        world_busy = 1;
        p->comm = world;
        p->n = want > 0 && want < world_n ? want : world_n;
    } else {
        int *usize, flag = 0, size = 1;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_UNIVERSE_SIZE, &usize, &flag);
        p->n = want > 0 ? want : flag && *usize > size ? *usize - size : cf_default_workers(CF_MPI);
        p->spawned = 1;
        char exe[4096], *blob = NULL;
        ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char **args = own_args(&blob);
        int *codes = calloc((size_t)p->n, sizeof *codes);
        MPI_Info info;
        MPI_Info_create(&info);
        MPI_Info_set(info, "map_by", ":OVERSUBSCRIBE"); /* as many as asked, as Python */
        int r = -1;
        if (len > 0 && args && codes) {
            exe[len] = '\0';
            r = MPI_Comm_spawn(exe, args[0] ? args + 1 : args, p->n, info, 0, self, &p->comm,
                               codes);
        }
        MPI_Info_free(&info);
        free(codes);
        free(args);
        free(blob);
        if (r != MPI_SUCCESS) {
            snprintf(why, n, "MPI_Comm_spawn could not start %d workers", p->n);
            return CF_ESYS;
        }
        MPI_Comm_set_errhandler(p->comm, MPI_ERRORS_RETURN);
    }
    p->slots = calloc((size_t)p->n, sizeof *p->slots);
    if (!p->slots) return CF_ENOMEM;
    for (int i = 0; i < p->n; i++) {
        p->slots[i].index = i;
        p->slots[i].rank = p->spawned ? i : i + 1;
        p->slots[i].req = MPI_REQUEST_NULL;
        p->slots[i].pidfd = -1;
    }
    return 0;
}

/* Names of every registered task, in id order, NUL-terminated. */
static char *task_names(uint32_t *count, size_t *len) {
    cf_buf b = {0};
    uint32_t i = 0;
    for (const cf_task *t; (t = cf__task_by_id(i)); i++) {
        size_t l = strlen(t->name) + 1;
        unsigned char *q = cf__buf_room(&b, l);
        if (!q) {
            cf__buf_free(&b);
            return NULL;
        }
        memcpy(q, t->name, l);
        b.len += l;
    }
    *count = i;
    *len = b.len;
    return b.p ? (char *)b.p : calloc(1, 1);
}

static int start(mpool *p, char *why, size_t n) {
    start_msg sm = {.magic = START_MAGIC, .client_pid = (int32_t)getpid()};
    snprintf(sm.host, sizeof sm.host, "%s", p->host);
    if (p->init.found) {
        sm.has_init = p->arg.found ? 2 : 1;
        sm.init_off = p->init.off;
        sm.arg_off = p->arg.off;
        snprintf(sm.init_obj, sizeof sm.init_obj, "%s", p->init.obj);
        snprintf(sm.arg_obj, sizeof sm.arg_obj, "%s", p->arg.obj);
    }
    size_t names_len = 0;
    char *names = task_names(&sm.ntasks, &names_len);
    if (!names) return CF_ENOMEM;
    sm.names_len = names_len;
    pthread_mutex_lock(&mpi_mu);
    int err = ensure_mpi(NULL, NULL, why, n);
    MPI_Comm parent = MPI_COMM_NULL;
    if (!err) MPI_Comm_get_parent(&parent);
    if (!err && parent == MPI_COMM_NULL) err = find_workers(p, why, n);
    pthread_mutex_unlock(&mpi_mu);
    if (parent != MPI_COMM_NULL) {
        /* A spawned worker whose main() skipped cf_mpi_serve_or_continue:
         * serve now rather than spawn workers of its own, and so on. */
        free(names);
        MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
        serve(parent, 1);
    }
    if (!err) {
        p->ex.nworkers = p->n;
        err = greet(p, &sm, names, names_len, why, n);
        if (err == CF_ETIMEDOUT) p->dead = 1; /* someone is not listening */
        if (err) release_workers(p);
    }
    free(names);
    return err;
}

static void *manager(void *arg) {
    mpool *p = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to other threads */
    cf__manager_of = &p->ex;
    prctl(PR_SET_TIMERSLACK, 1000UL); /* short naps while results are due */
    char why[512] = "";
    int err = start(p, why, sizeof why);
    pthread_mutex_lock(&p->mu);
    p->started = 1;
    p->start_err = err;
    snprintf(p->why, sizeof p->why, "%s", err ? why : p->brokenmsg);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (err) return NULL;

    backoff bo;
    backoff_reset(&bo);
    int64_t checked = cf_now_ns();
    for (;;) {
        int moved = dispatch(p);
        moved |= send_cancels(p);
        moved |= pump_sends(p);
        moved |= receive(p);
        int busy = 0, room = 0, asked = 0;
        double shortest = 0; /* the quickest busy worker's time per task */
        for (int i = 0; i < p->n; i++) {
            mslot *s = &p->slots[i];
            int b = s->inflight > 0 || s->pend.len > 0 || s->req != MPI_REQUEST_NULL || s->asked;
            busy |= b;
            asked |= s->asked > 0;
            room |= s->inflight < window(s) && s->pend.len <= MAX_MSG;
            if (b && (shortest == 0 || s->svc_ns < shortest)) shortest = s->svc_ns;
        }
        int64_t now = cf_now_ns();
        if (busy && !p->broken && now - checked > LIVENESS_NS) {
            checked = now;
            check_workers(p);
        }
        if (moved) backoff_reset(&bo);
        pthread_mutex_lock(&p->mu);
        int stop = p->broken || (p->shutdown && !p->head && !busy);
        int work = (p->head && room) || p->cancels_asked != p->cancels_seen || p->cancel_all;
        if (!stop && !moved && !work) {
            /* Nothing due: sleep until submit, cancel or shutdown signals.
             * Results due: a short sleep, growing while none come (but
             * short while a cancel waits for its answer). */
            long max = asked ? MANAGER_SLEEP_NS : manager_sleep_max(shortest);
            long ns = busy ? backoff_next(&bo, max) : 100000000;
            if (ns) {
                p->sleeping = 1;
                cf__cond_wait(&p->cv, &p->mu, cf_now_ns() + ns);
                p->sleeping = 0;
            }
        }
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
    }
    release_workers(p);
    return NULL;
}

/* ---- the executor ops ------------------------------------------------- */

static int mp_submit(cf_executor *ex, cf_future *f) {
    mpool *p = (mpool *)ex;
    int r = 0;
    f->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->broken) {
        r = CF_EBROKEN;
    } else if (p->shutdown) {
        r = CF_ESHUTDOWN;
    } else {
        if (p->tail)
            p->tail->next = f;
        else
            p->head = f;
        p->tail = f;
        if (p->sleeping) pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

static int mp_shutdown(cf_executor *ex, int wait, int cancel) {
    mpool *p = (mpool *)ex;
    cf_future *q = NULL;
    pthread_mutex_lock(&p->mu);
    p->shutdown = 1;
    if (cancel) {
        q = p->head;
        p->head = p->tail = NULL;
        p->cancel_all = 1; /* and what the workers hold but have not started */
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (cf_future *next; q; q = next) {
        next = q->next;
        q->next = NULL;
        cf_future_cancel(q); /* queued futures are PENDING: this cancels */
        cf__future_unref(q);
    }
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
        cancel_here(p, f); /* decided when it returns */
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
    if (o->initializer) {
        memcpy(&p->init.addr, &o->initializer, sizeof o->initializer);
        dl_iterate_phdr(find_place, &p->init);
        p->arg.addr = o->initarg;
        if (o->initarg) dl_iterate_phdr(find_place, &p->arg);
        if (!p->init.found || (o->initarg && !p->arg.found)) {
            free(p);
            return refuse(CF_EINVAL, "an MPI pool's initializer must be a function of the "
                                     "program and its initarg NULL or static data: only such "
                                     "addresses mean the same in the workers");
        }
    }
    if (pthread_mutex_init(&p->mu, NULL) || pthread_mutex_init(&p->join_mu, NULL) ||
        cf__cond_init(&p->cv) || pthread_create(&p->mgr, NULL, manager, p)) {
        p->joined = 1;
        mp_destroy(&p->ex);
        return CF_ESYS;
    }
    pthread_mutex_lock(&p->mu);
    while (!p->started)
        pthread_cond_wait(&p->cv, &p->mu);
    int err = p->start_err;
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
}
