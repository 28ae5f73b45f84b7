/* mpi_internal.h -- what the MPI pool's files share: tags, limits, the
 * process-wide MPI state, the messages, the pool's and slots' types.
 * Private to lib/mpi (see mpi_pool.c for the design). */
#ifndef CF_MPI_INTERNAL_H
#define CF_MPI_INTERNAL_H

#include <errno.h>
#include <link.h>
#include <mpi.h>
#include <time.h>

#include "../cfutures_mpi.h"
#include "../internal.h"
#include "../wire.h"
#include "../xio.h"

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
#define BEAT_NS 1000000000        /* a busy worker says it lives this often */
#define SILENCE_S 10.0            /* CF_MPI_SILENCE's default: see cfutures_mpi.h */
#define CLAIM_RING 4096           /* claim words a worker keeps: > MAX_WINDOW */
#define START_TIMEOUT_S 60

/* Process-wide MPI state (mpi_msg.c). Guarded by cf__mpi_mu, which every
 * MPI call of this library holds. */
extern pthread_mutex_t cf__mpi_mu;
extern int cf__mpi_up;              /* MPI initialised (by us or by the program) */
extern int cf__mpi_ours;            /* we initialised it: we finalise it at exit */
extern int cf__mpi_down;            /* finalised: no more MPI calls */
extern int cf__mpi_have_world;      /* rank 0 under mpiexec with other ranks */
extern int cf__mpi_world_n;         /* world workers: size - 1 */
extern int cf__mpi_world_busy;      /* a pool holds them */
extern MPI_Comm cf__mpi_world;      /* dup of MPI_COMM_WORLD for our messages */
extern MPI_Comm cf__mpi_self;       /* dup of MPI_COMM_SELF, errors returned: spawns */
extern void *cf__mpi_graveyard[64]; /* send buffers MPI may still read: dead peers */
extern int cf__mpi_ngrave;
extern int cf__mpi_world_lost;  /* a world worker went silent: no finalise */
extern atomic_int cf__mpi_rank; /* in MPI_COMM_WORLD, -1 before MPI starts */

/* With cf__mpi_mu held: initialises MPI if nobody did (argc/argv may be
 * NULL). 0, CF_EINVAL (finalised, or below MPI_THREAD_SERIALIZED) or
 * CF_EMPI, with why filled. */
int cf__mpi_ensure(int *argc, char ***argv, char *why, size_t n);

/* ---- waiting without a busy core -------------------------------------- */

typedef struct backoff {
    int64_t since; /* the last message, or the reset */
    long ns;
} backoff;

static inline void backoff_reset(backoff *b) {
    b->since = cf_now_ns();
    b->ns = 10000;
}

/* The next pause: none for SPIN_NS after the last message (the next one
 * often follows at once), then a doubling sleep. */
static inline long backoff_next(backoff *b, long max_ns) {
    if (cf_now_ns() - b->since < SPIN_NS) return 0;
    long ns = b->ns;
    b->ns = ns * 2 > max_ns ? max_ns : ns * 2;
    return ns;
}

static inline void sleep_ns(long ns) {
    struct timespec ts = {ns / 1000000000, ns % 1000000000};
    int r;
    CF_RETRY(r, nanosleep(&ts, &ts)); /* ts holds what is left */
    (void)r;
}

/* One look for a message from src with tag (MPI_ANY_* allowed): receives
 * it whole into b and returns 1, 0 if none is there, -1 on error, -2 once
 * MPI is finalised (the program is exiting). */
int cf__mpi_recv(MPI_Comm comm, int src, int tag, cf_buf *b, MPI_Status *st);

/* A blocking send under cf__mpi_mu; 0 or -1. */
int cf__mpi_send(MPI_Comm comm, int rank, int tag, const void *p, size_t n);

/* Is the process alive (not gone, not a zombie)? Local pids only. */
int cf__mpi_pid_alive(pid_t pid);

/* ---- addresses that cross: the initializer and its argument ----------- */

/* Same program, same libraries: an address is (object name, offset from
 * the object's load address), which survives ASLR. "" is the program. */
typedef struct place {
    const void *addr;
    char obj[256];
    uint64_t off;
    int found;
} place;

/* dl_iterate_phdr callbacks: cf__mpi_find_place fills obj and off from addr,
 * cf__mpi_find_base addr from obj and off. */
int cf__mpi_find_place(struct dl_phdr_info *info, size_t size, void *arg);
int cf__mpi_find_base(struct dl_phdr_info *info, size_t size, void *arg);

/* ---- messages of start-up --------------------------------------------- */

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

/* ---- the worker (mpi_worker.c) ---------------------------------------- */

/* Serves the client (rank 0 of comm) until it says end or exit, then
 * finalises MPI and ends the process. */
void cf__mpi_serve(MPI_Comm comm, int spawned) __attribute__((noreturn));

/* ---- the client: pool, slots ------------------------------------------ */

typedef struct mslot {
    int index, rank;
    pid_t pid;
    int local; /* on the client's host: its pid can be checked */
    int pidfd; /* local: readable once it exited; -1: none (read /proc) */
    char host[64];
    cf_fifo sent; /* sent, in order; f->queued: the job's seq */
    int inflight;
    uint64_t seq;    /* the next job's number at this worker */
    int asked;       /* cancels sent that the worker has not answered */
    int room;        /* dispatch's scratch: futures it may still take */
    double svc_ns;   /* recent time per message in the worker */
    int64_t heard;   /* its last message, or when it was last given work */
    cf_buf pend;     /* task frames not yet sent */
    cf_buf sending;  /* owned by MPI while req is active */
    MPI_Request req; /* MPI_REQUEST_NULL: no send in progress */
} mslot;

typedef struct mpool {
    cf_executor ex;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* wakes the manager; the creator waits for start-up */
    /* Guarded by mu. */
    cf_fifo queue; /* queued, not yet in a slot */
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
    int64_t silence_ns; /* a busy worker silent this long breaks the pool */
    /* Serialises joining the manager. */
    pthread_mutex_t join_mu;
    int joined; /* guarded by join_mu */
} mpool;

static inline mslot *cf__mpi_slot_of(mpool *p, int rank) {
    int i = p->spawned ? rank : rank - 1;
    return i >= 0 && i < p->n ? &p->slots[i] : NULL;
}

/* mpi_start.c: takes or spawns the workers and greets them; 0 or an error
 * (why filled). In a spawned worker it serves instead, never returning. */
int cf__mpi_start(mpool *p, char *why, size_t n);

/* mpi_start.c: ends the session with every worker. */
void cf__mpi_release_workers(mpool *p);

/* mpi_manager.c: the manager thread's function (arg: the mpool). */
void *cf__mpi_manager(void *arg);

/* mpi_manager.c: cf_future_cancel of f on the manager thread itself (a
 * done callback): asks the worker and waits for its answer here. */
void cf__mpi_cancel_here(mpool *p, cf_future *f);

#endif
