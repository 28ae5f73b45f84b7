/* cfutures.h -- Python's concurrent.futures for C: executors and futures.
 *
 * One API whatever the executor kind: a sequential executor (runs each task
 * in the caller, for baselines), a thread pool and a process pool (workers
 * forked from the caller, or from a fork server: cf_start_method). A task
 * is a registered function that takes bytes and gives back bytes plus an
 * int status, so the same task runs unchanged on every kind and its input,
 * output and error cross the process boundary.
 *
 * Conventions: a function returning int that can fail returns a negative
 * code on failure: one of the CF_E* codes its comment lists, or -errno
 * where the system refused a resource (a thread, pipe, process, mapping),
 * as libuv does (CF_ERRNO_MAP); errno is never part of a result. On
 * success it returns 0, or the count or flag its comment names (cf_wait,
 * cf_future_cancel, cf_future_set_running_or_notify_cancel,
 * cf_future_error, cf_map_error). A function returning a pointer returns
 * NULL where its comment says it fails. Nothing here prints or exits (but
 * the one warning of CF_START_FORK). Objects are created by *_new /
 * returned by submit and released by the matching *_free, which is safe
 * on NULL.
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
 * process pool's default start method, CF_START_AUTO, forks (a C program
 * expects its workers to see its memory) unless the program runs threads
 * of its own, where it uses the fork server, as Python 3.14 does always on
 * Linux: a fork copies the locks those threads hold (cf_start_method).
 */
#ifndef CFUTURES_H
#define CFUTURES_H

/* The library's version; cf_version() gives the one actually linked. */
#define CF_VERSION_MAJOR 0
#define CF_VERSION_MINOR 4
#define CF_VERSION_PATCH 0
#define CF_VERSION_STRING "0.4.0"

#include <stddef.h>
#include <stdint.h>

/* What the shared library exports: this header's functions and nothing
 * else (it is built with -fvisibility=hidden). */
#if defined(__GNUC__)
#define CF_EXTERN __attribute__((visibility("default")))
#else
#define CF_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ----------------------------------------------------------- */

/* Every error code, its value and its text: one list that makes the CF_E*
 * constants, cf_err_name() and cf_strerror() (libuv's UV_ERRNO_MAP). The
 * values sit far from errno's (< 4000 on every system), so a system error
 * travels as -errno beside them (-EMFILE, -EAGAIN: the conventions above),
 * and cf_strerror()/cf_err_name() describe it too. -4012 was CF_EPROTO: a
 * malformed message from a worker breaks the pool (CF_EBROKEN, saying so),
 * so no call returned it. */
#define CF_ERRNO_MAP(XX)                                                                           \
    XX(CF_EOF, -4001, "no more items")                                                             \
    XX(CF_ETASK, -4002, "the task failed")                                                         \
    XX(CF_ECANCELLED, -4003, "the future was cancelled")                                           \
    XX(CF_ETIMEDOUT, -4004, "timed out")                                                           \
    XX(CF_EBROKEN, -4005, "the pool is broken: a worker died")                                     \
    XX(CF_EDEADLK, -4006, "deadlock: this wait could never finish")                                \
    XX(CF_ESHUTDOWN, -4007, "the executor is shut down")                                           \
    XX(CF_EINVAL, -4008, "invalid argument")                                                       \
    XX(CF_ENOMEM, -4009, "out of memory")                                                          \
    XX(CF_ENOTASK, -4010, "no task registered under that name")                                    \
    XX(CF_ESYS, -4011, "a system call failed")                                                     \
    XX(CF_ETOOBIG, -4013, "input or output too large")                                             \
    XX(CF_ESTATE, -4014, "the future's state does not allow this")                               \
    XX(CF_EMPI, -4015, "the MPI library failed")

/* CF_EOF: an iterator has nothing more to give. CF_ETASK: the task itself
 * failed (see cf_future_error()). CF_ETIMEDOUT: a wait ran out of time, or
 * a task its limit. CF_EBROKEN: a worker process died, the pool is broken.
 * CF_EDEADLK: the wait could never finish. CF_ESHUTDOWN: submit after
 * shutdown. CF_ESTATE: the future's state does not allow the call
 * (Python's InvalidStateError). CF_ESYS is deprecated: no call returns it
 * any more (the core returns -errno). CF_EMPI: a call of the MPI library
 * failed, which has no errno to give (libcfutures_mpi only). */
typedef enum cf_errno {
#define CF_XX_(name, value, text) name = value,
    CF_ERRNO_MAP(CF_XX_)
#undef CF_XX_
} cf_errno;

/* Largest task input or output, in bytes (it must fit one pipe message). */
#define CF_MAX_BYTES (64u << 20)

/* Wait without limit. */
#define CF_FOREVER (-1.0)

/* Human-readable text for a CF_E* code or a negative errno; never NULL. */
CF_EXTERN const char *cf_strerror(int err);

/* The code's name ("CF_ETIMEDOUT", "ENOENT"); never NULL. */
CF_EXTERN const char *cf_err_name(int err);

/* The linked library's version, "MAJOR.MINOR.PATCH" (CF_VERSION_STRING
 * when it was built); static, never NULL. */
CF_EXTERN const char *cf_version(void);

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

/* Registers `fn` under `name` (copied) and returns its handle, or NULL if out
 * of memory or name is NULL or "" or fn NULL. Registering the same name again
 * with the same function returns the first handle; with another function, NULL.
 * Register before creating process pools: workers know the tasks the parent
 * knew at fork. Thread-safe. Handles live until the process ends. */
CF_EXTERN const cf_task *cf_task_register(const char *name, cf_task_fn fn);

/* The registered task called `name`, or NULL. */
CF_EXTERN const cf_task *cf_task_find(const char *name);

/* The task's registered name. */
CF_EXTERN const char *cf_task_name(const cf_task *task);

/* Calls the task once, here, as a plain function call: no future, no
 * executor, no copy of the input (what a baseline's for loop does). On
 * success returns 0, *data (malloc, NUL-terminated, the caller frees; NULL
 * for an empty result) and *len. If the task fails returns CF_ETASK with
 * its status in *status and its message in *msg (malloc, the caller
 * frees; NULL if it set none); *data is then NULL. Returns CF_EINVAL for a
 * NULL task or out-pointer, CF_ENOMEM if the result could not be kept. */
CF_EXTERN int cf_task_call(const cf_task *task, const void *in, size_t in_len, void **data,
                           size_t *len, int *status, char **msg);

/* Sets the task's result to a copy of data[0..len). Returns 0, CF_ENOMEM or
 * CF_ETOOBIG (len > CF_MAX_BYTES). A second call replaces the first. */
CF_EXTERN int cf_out_set(cf_out *out, const void *data, size_t len);

/* Makes room for a result of `len` bytes and returns where to write it (the
 * result is then exactly `len` bytes), or NULL if out of memory or len >
 * CF_MAX_BYTES. */
CF_EXTERN void *cf_out_reserve(cf_out *out, size_t len);

/* Sets the failure message (printf-style, truncated to 255 bytes) that goes
 * with a non-zero status. */
CF_EXTERN void cf_out_error(cf_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- executors -------------------------------------------------------- */

typedef enum cf_kind {
    CF_SEQUENTIAL = 0, /* tasks run in the calling thread, at submit */
    CF_THREAD = 1,     /* a pool of threads */
    CF_PROCESS = 2,    /* a pool of forked worker processes */
    CF_MPI = 3         /* MPI ranks as workers: needs libcfutures_mpi
                          (cfutures_mpi.h); without it, CF_EINVAL */
} cf_kind;

/* The kind's lower-case name: "seq", "thread", "process", "mpi". */
CF_EXTERN const char *cf_kind_name(cf_kind kind);

typedef struct cf_executor cf_executor;

/* Runs once in each worker (thread, or process after fork) before its first
 * task; a non-zero return breaks the pool (CF_EBROKEN) as in Python. */
typedef int (*cf_init_fn)(void *arg);

/* How a process pool starts its workers (Python's mp_context).
 *
 * fork() copies every lock as it was at that instant into a child that has
 * only the forking thread: a mutex another thread of the program held then
 * (its own, the allocator's, OpenSSL's or libcurl's) stays held in the
 * worker for ever, and a task that takes it hangs. CF_START_AUTO forks only
 * where that cannot happen and asks the fork server otherwise.
 *
 * CF_START_AUTO, the default: CF_START_FORK while no thread runs but the
 * library's own and the one program thread that makes the pool (or, at a
 * worker's replacement, owns it); CF_START_FORKSERVER where other threads
 * run. Decided at the pool's creation and again at each replacement, so one
 * pool may hold workers of both kinds: a program that starts threads and
 * reads its own memory in tasks should choose explicitly. A non-NULL
 * initarg with initarg_len 0 cannot cross to the fork server: such a pool
 * always forks. So does one whose fork server cannot start (the program
 * dlopen-ed libcfutures). Both warn as CF_START_FORK does.
 * cf_executor_start_method() tells which was used last.
 *
 * CF_START_FORK: fork this process: workers see its memory as it was at the
 * fork (globals, initarg); each start costs in proportion to that memory.
 * With other threads running it still forks, and writes one line to stderr
 * the first time in the process (as Python 3.12's DeprecationWarning),
 * unless fork_warning_off: the only output the library ever makes.
 *
 * CF_START_FORKSERVER, Python 3.14's default on Linux: fork a small server
 * process that runs this program again (exec of /proc/self/exe, started
 * once per process: cf_forkserver_start): starts cost the same whatever
 * this process has grown to. Workers see the program as it starts up, not
 * this process's memory: tasks cross by name (register them before creating
 * the pool), the initializer by its address in the program or a library,
 * initarg as initarg_len bytes. A task the server's copy cannot find (code
 * made at run time) fails with CF_ENOTASK; such an initializer breaks the
 * pool as a failing one. */
typedef enum cf_start_method {
    CF_START_AUTO = 0,
    CF_START_FORK = 1,
    CF_START_FORKSERVER = 2
} cf_start_method;

/* Optional settings; zero them (CF_OPTIONS_INIT) and set what you need. */
typedef struct cf_options {
    int max_workers;                /* 0: Python's default for the kind */
    cf_init_fn initializer;         /* NULL: none */
    void *initarg;                  /* passed to initializer */
    int max_tasks_per_child;        /* process pools: replace a worker after this many messages (a
                                       chunk counts once); 0: never */
    double task_timeout;            /* process pools: a task whose own run in the worker (from the
                                       moment the worker starts it, not counting the initializer nor
                                       time queued) lasts longer than this many seconds fails with
                                       CF_ETIMEDOUT and its worker is killed and replaced; <= 0 or
                                       +inf: none; NaN: CF_EINVAL */
    int trace;                      /* record per-task times (cf_future_times) */
    double gil_interval;            /* thread pools: > 0 runs every task under the emulated GIL (see
                                       cf_gil_check) with this switch interval in seconds (Python:
                                       0.005); 0: no GIL; NaN or negative: CF_EINVAL */
    const char *thread_name_prefix; /* workers are named PREFIX-N (threads: pthread_setname_np;
                                       processes: prctl PR_SET_NAME; cut to 15 bytes) so that
                                       top -H, gdb and perf tell them apart; NULL: "cf-thread" or
                                       "cf-proc"; copied */
    cf_start_method start_method;   /* process pools (0: CF_START_AUTO); other values: CF_EINVAL */
    size_t initarg_len;             /* a fork-server worker's initializer gets a copy of
                                       initarg[0..initarg_len) (at most 64 KiB); with
                                       CF_START_FORKSERVER a non-NULL initarg with 0 here is
                                       CF_EINVAL. A forked worker gets initarg as is */
    int fork_warning_off;           /* 1: no warning when a pool forks with other threads running */
} cf_options;

#define CF_OPTIONS_INIT                                                                            \
    { 0, NULL, NULL, 0, 0.0, 0, 0.0, NULL, CF_START_AUTO, 0, 0 }

/* Starts this process's fork server now (CF_START_FORKSERVER starts it on
 * first use otherwise): call it early in main, and the first such pool
 * does not wait for the program to start again. Idempotent; a fork of
 * this process starts its own. The program must link libcfutures (not
 * dlopen it): the server is /proc/self/exe, run again. Returns 0, CF_ENOMEM,
 * or -errno: the failing call's (-EMFILE, -EAGAIN, ...), or -ETIMEDOUT or
 * -ECHILD if the copy did not answer. */
CF_EXTERN int cf_forkserver_start(void);

/* The pid of this process's fork server, 0 if it has none (not started, or
 * it was started by the process this one forked from). The server is not
 * a child of this process: its spawn exits once the server runs, so that
 * init reaps it whenever it ends; its workers are its children. */
CF_EXTERN long cf_forkserver_pid(void);

/* Python's default number of workers for the kind: threads
 * min(32, cpus + 4), processes cpus, sequential 1. `cpus` is the number of
 * CPUs this process may run on (sched_getaffinity). */
CF_EXTERN int cf_default_workers(cf_kind kind);

/* Creates an executor of `kind` (opts may be NULL) and stores it in *out (NULL
 * on failure). Pools start all their workers now. Returns 0, CF_EINVAL (out
 * NULL, a bad option, an unknown kind, CF_MPI without libcfutures_mpi),
 * CF_ENOMEM, or -errno where a thread, pipe, process, mapping or the fork
 * server could not be made (-EAGAIN, -EMFILE, and -E2BIG: the registered tasks
 * do not fit one fork-server request). CF_MPI returns more: see cfutures_mpi.h.
 * The caller owns the executor: cf_executor_free(). */
CF_EXTERN int cf_executor_new(cf_kind kind, const cf_options *opts, cf_executor **out);

/* The executor's kind and number of workers. */
CF_EXTERN cf_kind cf_executor_kind(const cf_executor *ex);
CF_EXTERN int cf_executor_workers(const cf_executor *ex);

/* The start method a process pool used for its latest worker: CF_START_FORK
 * or CF_START_FORKSERVER (CF_START_AUTO resolved); CF_START_AUTO for the
 * other kinds, which start no process. */
CF_EXTERN cf_start_method cf_executor_start_method(const cf_executor *ex);

/* The CPU time (user and system, in ns) of this pool's worker processes that
 * have ended and were not this process's children: those the fork server
 * started, reaped by it, whose time getrusage(RUSAGE_CHILDREN) never sees (it
 * sees forked workers'). So self + children + this is the CPU a pool's run
 * cost. 0 for every other kind. Returns 0, or CF_EINVAL for a NULL argument. */
CF_EXTERN int cf_executor_unseen_cpu(const cf_executor *ex, int64_t *user_ns, int64_t *sys_ns);

/* "auto", "fork", "forkserver"; NULL for a value not in the enum. */
CF_EXTERN const char *cf_start_method_name(cf_start_method m);

/* Stops accepting tasks. With cancel_futures, cancels every task not yet
 * started. With wait, returns only once every started task has finished and
 * every worker has exited; without, returns at once and the pool winds down
 * in the background. Safe to call more than once and from any thread.
 * Returns 0, CF_EINVAL (ex NULL) or CF_EDEADLK (with wait, from one of the
 * executor's own workers or a process pool's manager: a done callback;
 * then nothing is done). */
CF_EXTERN int cf_executor_shutdown(cf_executor *ex, int wait, int cancel_futures);

/* Python 3.14's terminate_workers() / kill_workers(), for process pools:
 * shuts the pool down without wait, cancelling every task not started,
 * then sends SIGTERM (terminate) or SIGKILL (kill) to every worker process
 * now. The tasks they were running fail with CF_EBROKEN; the pool is broken
 * and refuses further work. Returns 0, or CF_EINVAL for ex NULL or other
 * kinds (their workers cannot be stopped from outside). */
CF_EXTERN int cf_executor_terminate_workers(cf_executor *ex);
CF_EXTERN int cf_executor_kill_workers(cf_executor *ex);

/* Shuts down with wait (if not done yet), releases the executor. Futures
 * stay valid: each is freed by its owner. Safe on NULL. Must not be called
 * from the executor's own threads (its workers, or a done callback that
 * runs on them or on a process pool's manager): shut down without wait
 * there, and free the executor elsewhere. */
CF_EXTERN void cf_executor_free(cf_executor *ex);

/* ---- futures ---------------------------------------------------------- */

typedef struct cf_future cf_future;

/* Schedules task(in[0..in_len)) (the bytes are copied) and stores a new future
 * in *out, owned by the caller (cf_future_free). On the sequential executor the
 * task runs now, inside this call. Returns 0, CF_ESHUTDOWN, CF_EBROKEN,
 * CF_EINVAL (out, ex or task NULL, or in NULL with in_len > 0), CF_ENOMEM or
 * CF_ETOOBIG (in_len > CF_MAX_BYTES); *out is NULL on failure. */
CF_EXTERN int cf_submit(cf_executor *ex, const cf_task *task, const void *in, size_t in_len, cf_future **out);

/* Drops the caller's reference. A future still running keeps working and
 * is released when it completes. Safe on NULL. */
CF_EXTERN void cf_future_free(cf_future *f);

/* Adds a reference (for another owner); returns f. */
CF_EXTERN cf_future *cf_future_ref(cf_future *f);

/* Waits up to `timeout` seconds for the result. On success returns 0 and,
 * if data/len are not NULL, points *data at the result bytes (owned by the
 * future, valid until it is freed; NUL-terminated for convenience) and sets
 * *len. Otherwise: CF_ETASK (the task failed: cf_future_error() has its
 * status and message), CF_ECANCELLED, CF_EBROKEN, CF_ETIMEDOUT (the task
 * ran past the pool's task_timeout), CF_EDEADLK (called from a pool worker
 * in a wait that can never finish), CF_EINVAL (f NULL, NaN timeout) or, if
 * the wait itself ran out of time, CF_ETIMEDOUT while the future is not
 * done (cf_future_done() tells the two apart). */
CF_EXTERN int cf_future_result(cf_future *f, double timeout, const void **data, size_t *len);

/* Like cf_future_result() without fetching the result: 0 once the future
 * is done (whatever its outcome), CF_ETIMEDOUT, CF_EDEADLK, CF_EINVAL. */
CF_EXTERN int cf_future_wait(cf_future *f, double timeout);

/* The outcome of a done future, one of exactly these: 0 success, CF_ETASK,
 * CF_ECANCELLED, CF_EBROKEN, CF_ETIMEDOUT; CF_EINVAL while not done (or f
 * NULL). Never blocks. A failure the executor meets while delivering a task
 * (out of memory copying it or its result, a task name a worker process
 * does not know) is CF_ETASK, with that CF_E* code as the item's status and
 * a message saying which. */
CF_EXTERN int cf_future_outcome(const cf_future *f);

/* For a future that is done: the task's own non-zero status (0 if it
 * succeeded or never ran) and, if msg is not NULL, its message ("" if none;
 * for CF_EBROKEN/CF_ETIMEDOUT/CF_ECANCELLED the executor's explanation).
 * The message is owned by the future. Returns the status (any int the
 * task returned: not an error code of this library, but for a failure
 * of delivery, a CF_E* code, as cf_future_outcome() says). */
CF_EXTERN int cf_future_error(const cf_future *f, const char **msg);

/* Cancels the future if no worker has started it: returns 1 if it is (now)
 * cancelled, 0 if it is running or done (or f is NULL): never an error code.
 * Waiters and callbacks are told. On a process pool this holds for work already
 * sent to a worker process but not yet begun there (the worker then skips it);
 * on an MPI pool too, where cancel waits for that worker's answer. */
CF_EXTERN int cf_future_cancel(cf_future *f);

/* State queries, never blocking. */
CF_EXTERN int cf_future_done(const cf_future *f);      /* finished, failed or cancelled */
CF_EXTERN int cf_future_running(const cf_future *f);   /* started, not done */
CF_EXTERN int cf_future_cancelled(const cf_future *f); /* cancelled */

/* Called once when the future is done, with the future and `arg`: in the thread
 * that completes it (a thread pool's worker; a process pool's manager thread),
 * or at once in the caller if it is already done. Must not block for long; may
 * call any cf_future_* query and submit more work, but not shut down its
 * executor with wait (CF_EDEADLK) nor free it. Callbacks run in the order
 * added. Returns 0, CF_EINVAL (f or fn NULL) or CF_ENOMEM. */
typedef void (*cf_done_fn)(cf_future *f, void *arg);
CF_EXTERN int cf_future_add_done_callback(cf_future *f, cf_done_fn fn, void *arg);

/* ---- futures without an executor ------------------------------------- */

/* For code that produces results itself (Python's Future() used by
 * executor implementers and tests). A new future is PENDING, has no
 * executor, and is owned by the caller (cf_future_free). Returns 0,
 * CF_EINVAL (out NULL) or CF_ENOMEM (then *out is NULL). */
CF_EXTERN int cf_future_new(cf_future **out);

/* Python's set_running_or_notify_cancel(): returns 1 if the future moved
 * from PENDING to RUNNING (go ahead with the work), 0 if it was cancelled
 * (waiters were already told; do not run it), CF_ESTATE if it is already
 * running or done, CF_EINVAL on NULL. */
CF_EXTERN int cf_future_set_running_or_notify_cancel(cf_future *f);

/* Completes a pending or running future with a copy of data[0..len) as its
 * result (outcome 0). Returns 0, CF_ESTATE if it is already done (Python's
 * InvalidStateError), CF_ENOMEM, CF_ETOOBIG or CF_EINVAL. Waiters and
 * callbacks are told; callbacks run in this thread. */
CF_EXTERN int cf_future_set_result(cf_future *f, const void *data, size_t len);

/* Completes it as failed (outcome CF_ETASK) with the non-zero `status` and
 * a copy of `msg` (may be NULL), as set_exception(). Returns 0, CF_ESTATE
 * if already done, CF_EINVAL if status is 0 or f NULL, CF_ENOMEM. */
CF_EXTERN int cf_future_set_error(cf_future *f, int status, const char *msg);

/* Per-task times, recorded when the executor was created with opts.trace
 * (otherwise all zero): CLOCK_MONOTONIC nanoseconds, which every process on
 * the machine shares. `collect` is when the result reached the parent
 * (equal to `end` for threads); `worker` is the index of the thread or
 * process slot that ran it (-1 if none). cf_future_times() fills *out
 * and returns 0, or CF_EINVAL (f or out NULL, or f not done). */
typedef struct cf_times {
    int64_t submit, start, end, collect;
    int worker;
} cf_times;
CF_EXTERN int cf_future_times(const cf_future *f, cf_times *out);

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
 * timeout, NULL future, fs NULL with n > 0, `when` not in the enum),
 * CF_ENOMEM, or -errno (a condition variable could not be made). Running
 * out of time is not an error: compare the count with n (the unfinished
 * are n minus it). A future listed twice is counted at each place. */
CF_EXTERN int cf_wait(cf_future *const *fs, size_t n, double timeout, cf_return_when when,
            unsigned char *done);

/* Iterates futures as they complete (already-done ones first). */
typedef struct cf_as_completed cf_as_completed;

/* Starts an iteration over fs[0..n) (the array is copied; the futures
 * must outlive the iterator). A future listed more than once is given once,
 * with the index of its first place, as Python's set(fs). `timeout` counts
 * from the first cf_as_completed_next(), as in Python, where as_completed
 * is a generator whose body (and clock) starts at the first next(); map's
 * timeout, by contrast, counts from the cf_map call. Returns 0, CF_ENOMEM,
 * CF_EINVAL (out NULL, NaN timeout, NULL future, fs NULL with n > 0). */
CF_EXTERN int cf_as_completed_new(cf_future *const *fs, size_t n, double timeout, cf_as_completed **out);

/* Stores the next completed future (borrowed) and its index in fs in *f and
 * *index (either may be NULL). Returns 0, CF_EOF when all were given,
 * CF_ETIMEDOUT (cf_as_completed_message() then says how many of how many
 * are unfinished; a later call may still give futures), CF_EDEADLK,
 * CF_EINVAL (it NULL), CF_ENOMEM. */
CF_EXTERN int cf_as_completed_next(cf_as_completed *it, cf_future **f, size_t *index);

/* After CF_ETIMEDOUT, Python's message: "N (of M) futures unfinished"
 * (M distinct futures); "" before any timeout. Owned by the iterator. */
CF_EXTERN const char *cf_as_completed_message(const cf_as_completed *it);

CF_EXTERN void cf_as_completed_free(cf_as_completed *it);

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

/* Applies `task` to every input given by input(arg, i) for i = 0, 1, ... until
 * it returns CF_EOF. Results come back in input order through cf_map_next().
 * opts may be NULL. Returns 0 and the iterator in *out, or CF_ESHUTDOWN,
 * CF_EBROKEN, CF_EINVAL (out, ex, task or input NULL; negative chunksize or
 * buffersize; NaN timeout) or CF_ENOMEM. An error met reading the inputs -- the
 * input function's own, CF_ETOOBIG (an input over CF_MAX_BYTES), CF_EINVAL
 * (NULL data with len > 0) -- ends the inputs there and comes from
 * cf_map_next() after the results of the inputs before it. */
CF_EXTERN int cf_map(cf_executor *ex, const cf_task *task, cf_input_fn input, void *arg,
           const cf_map_options *opts, cf_map_iter **out);

/* Convenience: inputs from arrays data[i], len[i], i < n. The bytes are
 * copied when read: at once, or with buffersize > 0 as results are
 * consumed, so then the arrays must stay valid until cf_map_free. Returns
 * as cf_map(), and CF_EINVAL for n > 0 with data or len NULL. */
CF_EXTERN int cf_map_array(cf_executor *ex, const cf_task *task, const void *const *data, const size_t *len,
                 size_t n, const cf_map_options *opts, cf_map_iter **out);

/* The next result in input order. Returns 0 with *data and *len set (valid
 * until the next call or cf_map_free), CF_EOF after the last, CF_ETASK (this
 * item failed: cf_map_error() tells why; iteration may go on), CF_ETIMEDOUT
 * once when the map's deadline passes before the next result: as in Python,
 * every call not yet started is then cancelled and the iteration is over (later
 * calls return CF_EOF; calls already running finish, and cf_map_free waits for
 * them), CF_EBROKEN, CF_ECANCELLED, CF_EDEADLK, CF_EINVAL (m NULL), or once,
 * after the last result before it, an error met reading or submitting the
 * inputs (see cf_map: the input function's, CF_ETOOBIG, CF_EINVAL; with
 * buffersize > 0 also CF_ENOMEM, CF_ESHUTDOWN, CF_EBROKEN). */
CF_EXTERN int cf_map_next(cf_map_iter *m, const void **data, size_t *len);

/* For the item cf_map_next() just returned: its status and message (as
 * cf_future_error()). */
CF_EXTERN int cf_map_error(const cf_map_iter *m, const char **msg);

/* Index of the item cf_map_next() just returned. */
CF_EXTERN size_t cf_map_index(const cf_map_iter *m);

/* Trace times of the item cf_map_next() just returned (executor created
 * with opts.trace; else zeros): its own start and end, its chunk's submit
 * and collect times and worker. Returns 0 or CF_EINVAL (m or out NULL). */
CF_EXTERN int cf_map_times(const cf_map_iter *m, cf_times *out);

/* Cancels what has not started, waits for what is running, and frees the
 * iterator. Safe on NULL. */
CF_EXTERN void cf_map_free(cf_map_iter *m);

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
CF_EXTERN void cf_gil_check(void);

/* Lets other threads run Python-level work while this one blocks. */
CF_EXTERN void cf_gil_release(void);

/* Takes the lock back after cf_gil_release(). */
CF_EXTERN void cf_gil_acquire(void);

/* Counters since the process started (or the last reset). */
typedef struct cf_gil_stats {
    uint64_t acquisitions; /* times a thread took the lock */
    uint64_t forced;       /* drops asked for by a waiting thread */
    uint64_t wait_ns;      /* total time threads waited for it */
} cf_gil_stats;
CF_EXTERN void cf_gil_stats_get(cf_gil_stats *out);
CF_EXTERN void cf_gil_stats_reset(void);

/* ---- inside a task ---------------------------------------------------- */

/* Index of the worker running the caller (thread index or process slot),
 * or -1 when not called from a pool worker. */
CF_EXTERN int cf_worker_index(void);

/* Monotonic clock in nanoseconds (CLOCK_MONOTONIC), shared by all
 * processes of the machine. */
CF_EXTERN int64_t cf_now_ns(void);

#ifdef __cplusplus
}
#endif
#endif
