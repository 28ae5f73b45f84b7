/* cfutures.h -- Python's concurrent.futures for C: executors and futures.
 *
 * One API whatever the executor kind: a sequential executor (runs each task
 * in the caller, for baselines), a thread pool and a process pool (workers
 * forked from the caller, or from a fork server: cf_start_method). A task is a registered function that takes bytes and gives back
 * bytes plus an int status, so the same task runs unchanged on every kind and
 * its input, output and error cross the process boundary.
 *
 * Conventions: every function that can fail returns 0 or a negative
 * errno-style code (CF_E*, see cf_strerror()). Nothing here prints or exits.
 * Objects are created by *_new / returned by submit and released by the
 * matching *_free, which is safe on NULL.
 *
 * Timeouts, everywhere a `double` of seconds is taken: a negative value
 * (CF_FOREVER) or +inf waits without limit, and so does anything over 1e9
 * seconds (31 years); 0 polls; NaN is refused with CF_EINVAL. No conversion
 * can overflow.
 *
 * Where this differs from Python, on purpose: a future is RUNNING only once
 * a worker has really started it (Python marks queued process-pool work
 * RUNNING), so cancel works on everything not yet started, on every kind; a
 * wait that can never finish returns CF_EDEADLK instead of hanging. The
 * process pool's default start method is fork (Python 3.14's is forkserver
 * on Linux): a C program expects its workers to see its memory; ask for
 * CF_START_FORKSERVER for Python's.
 */
#ifndef CFUTURES_H
#define CFUTURES_H

/* The library's version; cf_version() gives the one actually linked. */
#define CF_VERSION_MAJOR 0
#define CF_VERSION_MINOR 3
#define CF_VERSION_PATCH 0
#define CF_VERSION_STRING "0.3.0"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ----------------------------------------------------------- */

#define CF_EOF -4001        /* an iterator has nothing more to give */
#define CF_ETASK -4002      /* the task itself failed: see cf_future_error() */
#define CF_ECANCELLED -4003 /* the future was cancelled */
#define CF_ETIMEDOUT -4004  /* a wait ran out of time (or a task its limit) */
#define CF_EBROKEN -4005    /* a worker process died: the pool is broken */
#define CF_EDEADLK -4006    /* the wait could never finish */
#define CF_ESHUTDOWN -4007  /* submit after shutdown */
#define CF_EINVAL -4008     /* bad argument */
#define CF_ENOMEM -4009     /* out of memory */
#define CF_ENOTASK -4010    /* task name not registered */
#define CF_ESYS                                                                                    \
    -4011 /* a system call failed: errno still holds its                                           \
             error when the function returns */
/* -4012 was CF_EPROTO: a malformed message from a worker breaks the pool
 * (CF_EBROKEN, saying so), so no call returned it. */
#define CF_ETOOBIG -4013 /* input or output larger than CF_MAX_BYTES */
#define CF_ESTATE                                                                                  \
    -4014 /* the future's state does not allow this call                                           \
             (Python's InvalidStateError) */

/* Largest task input or output, in bytes (it must fit one pipe message). */
#define CF_MAX_BYTES (64u << 20)

/* Wait without limit. */
#define CF_FOREVER (-1.0)

/* Human-readable text for a CF_E* code or a negative errno; never NULL. */
const char *cf_strerror(int err);

/* The code's name ("CF_ETIMEDOUT", "ENOENT"); never NULL. */
const char *cf_err_name(int err);

/* The linked library's version, "MAJOR.MINOR.PATCH" (CF_VERSION_STRING
 * when it was built); static, never NULL. */
const char *cf_version(void);

/* ---- tasks ------------------------------------------------------------ */

/* Where a task writes its result. Opaque; only the cf_out_* calls below
 * touch it, and only during the task call that received it. */
typedef struct cf_out cf_out;

/* A task function: reads in[0..in_len), writes its result through `out`,
 * returns 0 on success or any non-zero status on failure (the status and
 * the message set with cf_out_error() reach the caller). Must be safe to
 * call from several threads at once. */
typedef int (*cf_task_fn)(const void *in, size_t in_len, cf_out *out);

/* A registered task: a name that is the same in every process, and the
 * function. Obtain with cf_task_register() or cf_task_find(). */
typedef struct cf_task cf_task;

/* Registers `fn` under `name` (copied) and returns its handle, or NULL if
 * out of memory. Registering the same name again with the same function
 * returns the first handle; with another function, NULL. Register before
 * creating process pools: workers know the tasks the parent knew at fork.
 * Thread-safe. Handles live until the process ends. */
const cf_task *cf_task_register(const char *name, cf_task_fn fn);

/* The registered task called `name`, or NULL. */
const cf_task *cf_task_find(const char *name);

/* The task's registered name. */
const char *cf_task_name(const cf_task *task);

/* Sets the task's result to a copy of data[0..len). Returns 0, CF_ENOMEM or
 * CF_ETOOBIG. A second call replaces the first. */
int cf_out_set(cf_out *out, const void *data, size_t len);

/* Makes room for a result of `len` bytes and returns where to write it (the
 * result is then exactly `len` bytes), or NULL if out of memory / too big. */
void *cf_out_reserve(cf_out *out, size_t len);

/* Sets the failure message (printf-style, truncated to 255 bytes) that goes
 * with a non-zero status. */
void cf_out_error(cf_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- executors -------------------------------------------------------- */

typedef enum cf_kind {
    CF_SEQUENTIAL = 0, /* tasks run in the calling thread, at submit */
    CF_THREAD = 1,     /* a pool of threads */
    CF_PROCESS = 2,    /* a pool of forked worker processes */
    CF_MPI = 3         /* MPI ranks as workers: needs libcfutures_mpi
                          (cfutures_mpi.h); without it, CF_EINVAL */
} cf_kind;

/* The kind's lower-case name: "seq", "thread", "process", "mpi". */
const char *cf_kind_name(cf_kind kind);

typedef struct cf_executor cf_executor;

/* Runs once in each worker (thread, or process after fork) before its first
 * task; a non-zero return breaks the pool (CF_EBROKEN) as in Python. */
typedef int (*cf_init_fn)(void *arg);

/* How a process pool starts its workers (Python's mp_context). */
typedef enum cf_start_method {
    CF_START_FORK = 0,      /* fork this process (the default): workers see its
                               memory as it was at the fork (globals, initarg);
                               each start costs in proportion to that memory */
    CF_START_FORKSERVER = 1 /* fork a small server process that runs this
                               program again (exec of /proc/self/exe, started
                               once per process: cf_forkserver_start): starts
                               cost the same whatever this process has grown
                               to. Workers see the program as it starts up, not
                               this process's memory: tasks cross by name
                               (register them before creating the pool), the
                               initializer by its address in the program or a
                               library, initarg as initarg_len bytes. A task
                               the server's copy cannot find (code made at run
                               time) fails with CF_ENOTASK; such an initializer
                               breaks the pool as a failing one. As Python
                               3.14's default on Linux */
} cf_start_method;

/* Optional settings; zero them (CF_OPTIONS_INIT) and set what you need. */
typedef struct cf_options {
    int max_workers;                /* 0: Python's default for the kind */
    cf_init_fn initializer;         /* NULL: none */
    void *initarg;                  /* passed to initializer */
    int max_tasks_per_child;        /* process pools: replace a worker after this
                                       many messages (a chunk counts once); 0: never */
    double task_timeout;            /* process pools: a task whose own run in the
                                       worker (from the moment the worker starts it,
                                       not counting the initializer nor time queued)
                                       lasts longer than this many seconds fails
                                       with CF_ETIMEDOUT and its worker is killed and
                                       replaced; <= 0 or +inf: none; NaN: CF_EINVAL */
    int trace;                      /* record per-task times (cf_future_times) */
    double gil_interval;            /* thread pools: > 0 runs every task under the
                                       emulated GIL (see cf_gil_check) with this
                                       switch interval in seconds (Python: 0.005);
                                       0: no GIL; NaN or negative: CF_EINVAL */
    const char *thread_name_prefix; /* workers are named PREFIX-N (threads:
                                pthread_setname_np; processes: prctl
                                PR_SET_NAME; cut to 15 bytes) so that top -H,
                                gdb and perf tell them apart; NULL: "cf-thread"
                                or "cf-proc"; the string is copied */
    cf_start_method start_method;   /* process pools; other values: CF_EINVAL */
    size_t initarg_len;             /* CF_START_FORKSERVER: each worker's
                                       initializer gets a copy of initarg[0..
                                       initarg_len) (at most 64 KiB); a non-NULL
                                       initarg with 0 here is CF_EINVAL there.
                                       Other start methods pass initarg as is */
} cf_options;

#define CF_OPTIONS_INIT                                                                            \
    { 0, NULL, NULL, 0, 0.0, 0, 0.0, NULL, CF_START_FORK, 0 }

/* Starts this process's fork server now (CF_START_FORKSERVER starts it on
 * first use otherwise): call it early in main, and the first such pool
 * does not wait for the program to start again. Idempotent; a fork of
 * this process starts its own. The program must link libcfutures (not
 * dlopen it): the server is /proc/self/exe, run again. Returns 0, CF_ENOMEM,
 * or CF_ESYS (errno: ETIMEDOUT or ECHILD if the copy did not answer). */
int cf_forkserver_start(void);

/* Python's default number of workers for the kind: threads
 * min(32, cpus + 4), processes cpus, sequential 1. `cpus` is the number of
 * CPUs this process may run on (sched_getaffinity). */
int cf_default_workers(cf_kind kind);

/* Creates an executor of `kind` (opts may be NULL) and stores it in *out.
 * Pools start all their workers now. Returns 0, CF_EINVAL (bad option),
 * CF_ENOMEM or CF_ESYS. The caller owns the executor: cf_executor_free(). */
int cf_executor_new(cf_kind kind, const cf_options *opts, cf_executor **out);

/* The executor's kind and number of workers. */
cf_kind cf_executor_kind(const cf_executor *ex);
int cf_executor_workers(const cf_executor *ex);

/* Stops accepting tasks. With cancel_futures, cancels every task not yet
 * started. With wait, returns only once every started task has finished and
 * every worker has exited; without, returns at once and the pool winds down
 * in the background. Safe to call more than once and from any thread except
 * the executor's own workers with wait (returns CF_EDEADLK). Returns 0. */
int cf_executor_shutdown(cf_executor *ex, int wait, int cancel_futures);

/* Python 3.14's terminate_workers() / kill_workers(), for process pools:
 * shuts the pool down without wait, cancelling every task not started,
 * then sends SIGTERM (terminate) or SIGKILL (kill) to every worker process
 * now. The tasks they were running fail with CF_EBROKEN; the pool is broken
 * and refuses further work. Returns 0, or CF_EINVAL for other kinds (their
 * workers cannot be stopped from outside). */
int cf_executor_terminate_workers(cf_executor *ex);
int cf_executor_kill_workers(cf_executor *ex);

/* Shuts down with wait (if not done yet), releases the executor. Futures
 * stay valid: each is freed by its owner. Safe on NULL. Must not be called
 * from the executor's own threads (its workers, or a done callback that
 * runs on them or on a process pool's manager): shut down without wait
 * there, and free the executor elsewhere. */
void cf_executor_free(cf_executor *ex);

/* ---- futures ---------------------------------------------------------- */

typedef struct cf_future cf_future;

/* Schedules task(in[0..in_len)) (the bytes are copied) and stores a new
 * future in *out, owned by the caller (cf_future_free). On the sequential
 * executor the task runs now, inside this call. Returns 0, CF_ESHUTDOWN,
 * CF_EBROKEN, CF_EINVAL, CF_ENOMEM or CF_ETOOBIG. */
int cf_submit(cf_executor *ex, const cf_task *task, const void *in, size_t in_len, cf_future **out);

/* Drops the caller's reference. A future still running keeps working and
 * is released when it completes. Safe on NULL. */
void cf_future_free(cf_future *f);

/* Adds a reference (for another owner); returns f. */
cf_future *cf_future_ref(cf_future *f);

/* Waits up to `timeout` seconds for the result. On success returns 0 and,
 * if data/len are not NULL, points *data at the result bytes (owned by the
 * future, valid until it is freed; NUL-terminated for convenience) and sets
 * *len. Otherwise: CF_ETASK (the task failed: cf_future_error() has its
 * status and message), CF_ECANCELLED, CF_EBROKEN, CF_ETIMEDOUT (the task
 * ran past the pool's task_timeout), CF_EDEADLK (called from a pool worker
 * in a wait that can never finish) or, if the wait itself ran out of time,
 * CF_ETIMEDOUT while the future is not done (cf_future_done() tells the two
 * apart). */
int cf_future_result(cf_future *f, double timeout, const void **data, size_t *len);

/* Like cf_future_result() without fetching the result: 0 once the future
 * is done (whatever its outcome), CF_ETIMEDOUT, CF_EDEADLK. */
int cf_future_wait(cf_future *f, double timeout);

/* The outcome of a done future, one of exactly these: 0 success, CF_ETASK,
 * CF_ECANCELLED, CF_EBROKEN, CF_ETIMEDOUT; CF_EINVAL while not done. Never
 * blocks. A failure the executor meets while delivering a task (out of
 * memory copying it or its result, a task name a worker process does not
 * know) is CF_ETASK, with that CF_E* code as the item's status and a
 * message saying which. */
int cf_future_outcome(const cf_future *f);

/* For a future that is done: the task's own non-zero status (0 if it
 * succeeded or never ran) and, if msg is not NULL, its message ("" if none;
 * for CF_EBROKEN/CF_ETIMEDOUT/CF_ECANCELLED the executor's explanation).
 * The message is owned by the future. Returns the status. */
int cf_future_error(const cf_future *f, const char **msg);

/* Cancels the future if no worker has started it: returns 1 if it is (now)
 * cancelled, 0 if it is running or done. Waiters and callbacks are told.
 * On a process pool this holds for work already sent to a worker process
 * but not yet begun there (the worker then skips it); on an MPI pool too,
 * where cancel waits for that worker's answer. */
int cf_future_cancel(cf_future *f);

/* State queries, never blocking. */
int cf_future_done(const cf_future *f);      /* finished, failed or cancelled */
int cf_future_running(const cf_future *f);   /* started, not done */
int cf_future_cancelled(const cf_future *f); /* cancelled */

/* Called once when the future is done, with the future and `arg`: in the
 * thread that completes it (a thread pool's worker; a process pool's
 * manager thread), or at once in the caller if it is already done. Must
 * not block for long; may call any cf_future_* query and submit more work,
 * but not shut down its executor with wait (CF_EDEADLK) nor free it.
 * Callbacks run in the order added. Returns 0 or CF_ENOMEM. */
typedef void (*cf_done_fn)(cf_future *f, void *arg);
int cf_future_add_done_callback(cf_future *f, cf_done_fn fn, void *arg);

/* ---- futures without an executor ------------------------------------- */

/* For code that produces results itself (Python's Future() used by
 * executor implementers and tests). A new future is PENDING, has no
 * executor, and is owned by the caller (cf_future_free). Returns 0 or
 * CF_ENOMEM (then *out is NULL). */
int cf_future_new(cf_future **out);

/* Python's set_running_or_notify_cancel(): returns 1 if the future moved
 * from PENDING to RUNNING (go ahead with the work), 0 if it was cancelled
 * (waiters were already told; do not run it), CF_ESTATE if it is already
 * running or done, CF_EINVAL on NULL. */
int cf_future_set_running_or_notify_cancel(cf_future *f);

/* Completes a pending or running future with a copy of data[0..len) as its
 * result (outcome 0). Returns 0, CF_ESTATE if it is already done (Python's
 * InvalidStateError), CF_ENOMEM, CF_ETOOBIG or CF_EINVAL. Waiters and
 * callbacks are told; callbacks run in this thread. */
int cf_future_set_result(cf_future *f, const void *data, size_t len);

/* Completes it as failed (outcome CF_ETASK) with the non-zero `status` and
 * a copy of `msg` (may be NULL), as set_exception(). Returns 0, CF_ESTATE
 * if already done, CF_EINVAL if status is 0 or f NULL, CF_ENOMEM. */
int cf_future_set_error(cf_future *f, int status, const char *msg);

/* Per-task times, recorded when the executor was created with opts.trace
 * (otherwise all zero): CLOCK_MONOTONIC nanoseconds, which every process on
 * the machine shares. `collect` is when the result reached the parent
 * (equal to `end` for threads); `worker` is the index of the thread or
 * process slot that ran it (-1 if none). */
typedef struct cf_times {
    int64_t submit, start, end, collect;
    int worker;
} cf_times;
int cf_future_times(const cf_future *f, cf_times *out);

/* ---- waiting on many -------------------------------------------------- */

typedef enum cf_return_when {
    CF_FIRST_COMPLETED = 0,
    CF_FIRST_EXCEPTION = 1, /* any future failed (CF_ETASK, CF_EBROKEN, or a
                               task's CF_ETIMEDOUT), or all done; a cancelled
                               future is not a failure, as in Python */
    CF_ALL_COMPLETED = 2
} cf_return_when;

/* Waits until `when` holds for fs[0..n) or `timeout` passes. If done is
 * not NULL, done[i] is set to 1 for each future that is done, else 0.
 * Returns the number of done futures (>= 0), or CF_EDEADLK, CF_EINVAL (NaN
 * timeout, NULL future). Running out of time is not an error: compare the
 * count with n (the unfinished are n minus it). A future listed twice is
 * counted at each place it is listed. */
int cf_wait(cf_future *const *fs, size_t n, double timeout, cf_return_when when,
            unsigned char *done);

/* Iterates futures as they complete (already-done ones first). */
typedef struct cf_as_completed cf_as_completed;

/* Starts an iteration over fs[0..n) (the array is copied; the futures
 * must outlive the iterator). A future listed more than once is given once,
 * with the index of its first place, as Python's set(fs). `timeout` counts
 * from this call, as in Python. Returns 0, CF_ENOMEM, CF_EINVAL (NaN
 * timeout, NULL future). */
int cf_as_completed_new(cf_future *const *fs, size_t n, double timeout, cf_as_completed **out);

/* Stores the next completed future (borrowed) and its index in fs in *f and
 * *index (either may be NULL). Returns 0, CF_EOF when all were given,
 * CF_ETIMEDOUT (cf_as_completed_message() then says how many of how many
 * are unfinished; a later call may still give futures), CF_EDEADLK. */
int cf_as_completed_next(cf_as_completed *it, cf_future **f, size_t *index);

/* After CF_ETIMEDOUT, Python's message: "N (of M) futures unfinished"
 * (M distinct futures); "" before any timeout. Owned by the iterator. */
const char *cf_as_completed_message(const cf_as_completed *it);

void cf_as_completed_free(cf_as_completed *it);

/* ---- map -------------------------------------------------------------- */

/* Gives map its i-th input: sets *data and *len (the bytes are copied before
 * the next call). Returns 0, or CF_EOF when there are no more inputs, or
 * another negative code to stop with that error. */
typedef int (*cf_input_fn)(void *arg, size_t i, const void **data, size_t *len);

typedef struct cf_map_options {
    double timeout; /* one deadline, in seconds from cf_map(), for the
                       whole iteration (not per item); <0 or +inf: none;
                       NaN: CF_EINVAL */
    int chunksize;  /* tasks per message (per submission); 0 or 1: one */
    int buffersize; /* >0: at most this many chunks in flight, inputs
                       read lazily (Python 3.14's buffersize); 0: all
                       inputs are read and submitted at once */
} cf_map_options;

#define CF_MAP_OPTIONS_INIT                                                                        \
    { CF_FOREVER, 1, 0 }

typedef struct cf_map_iter cf_map_iter;

/* Applies `task` to every input given by input(arg, i) for i = 0, 1, ...
 * until it returns CF_EOF. Results come back in input order through
 * cf_map_next(). opts may be NULL. Returns 0 and the iterator in *out, or
 * CF_ESHUTDOWN, CF_EBROKEN, CF_EINVAL, CF_ENOMEM, or the input function's
 * error. */
int cf_map(cf_executor *ex, const cf_task *task, cf_input_fn input, void *arg,
           const cf_map_options *opts, cf_map_iter **out);

/* Convenience: inputs from arrays data[i], len[i], i < n. The bytes are
 * copied when read: at once, or with buffersize > 0 as results are
 * consumed, so then the arrays must stay valid until cf_map_free. */
int cf_map_array(cf_executor *ex, const cf_task *task, const void *const *data, const size_t *len,
                 size_t n, const cf_map_options *opts, cf_map_iter **out);

/* The next result in input order. Returns 0 with *data and *len set (valid
 * until the next call or cf_map_free), CF_EOF after the last, CF_ETASK
 * (this item failed: cf_map_error() tells why; iteration may go on),
 * CF_ETIMEDOUT once when the map's deadline passes before the next result:
 * as in Python, every call not yet started is then cancelled and the
 * iteration is over (later calls return CF_EOF; calls already running
 * finish, and cf_map_free waits for them), CF_EBROKEN, CF_ECANCELLED,
 * CF_EDEADLK, or an input function's error. */
int cf_map_next(cf_map_iter *m, const void **data, size_t *len);

/* For the item cf_map_next() just returned: its status and message (as
 * cf_future_error()). */
int cf_map_error(const cf_map_iter *m, const char **msg);

/* Index of the item cf_map_next() just returned. */
size_t cf_map_index(const cf_map_iter *m);

/* Trace times of the item cf_map_next() just returned (executor created
 * with opts.trace; else zeros): its own start and end, its chunk's submit
 * and collect times and worker. Returns 0 or CF_EINVAL. */
int cf_map_times(const cf_map_iter *m, cf_times *out);

/* Cancels what has not started, waits for what is running, and frees the
 * iterator. Safe on NULL. */
void cf_map_free(cf_map_iter *m);

/* ---- the emulated GIL ------------------------------------------------- */

/* A thread pool created with opts.gil_interval > 0 behaves like CPython's
 * threads: one process-wide lock is held by the worker running a task, as
 * the interpreter holds its GIL while running bytecode. A thread that waits
 * for the lock longer than the switch interval asks the holder to drop it;
 * the holder does so at its next cf_gil_check(), then lets the waiter run
 * before asking again (CPython's forced switching). Tasks mark what Python
 * would run without the GIL -- blocking I/O, or a C call such as hashlib's
 * PBKDF2 -- with cf_gil_release() / cf_gil_acquire(). Outside such a pool
 * all three calls do nothing and cost one thread-local read. */

/* A "bytecode boundary": hands the lock over if another thread asked for
 * it. Call it often in CPU loops (every few µs of work). */
void cf_gil_check(void);

/* Lets other threads run Python-level work while this one blocks. */
void cf_gil_release(void);

/* Takes the lock back after cf_gil_release(). */
void cf_gil_acquire(void);

/* Counters since the process started (or the last reset). */
typedef struct cf_gil_stats {
    uint64_t acquisitions; /* times a thread took the lock */
    uint64_t forced;       /* drops asked for by a waiting thread */
    uint64_t wait_ns;      /* total time threads waited for it */
} cf_gil_stats;
void cf_gil_stats_get(cf_gil_stats *out);
void cf_gil_stats_reset(void);

/* ---- inside a task ---------------------------------------------------- */

/* Index of the worker running the caller (thread index or process slot),
 * or -1 when not called from a pool worker. */
int cf_worker_index(void);

/* Monotonic clock in nanoseconds (CLOCK_MONOTONIC), shared by all
 * processes of the machine. */
int64_t cf_now_ns(void);

#ifdef __cplusplus
}
#endif
#endif
