/* cfutures_mpi.h -- the MPI executor (CF_MPI): MPI ranks as pool workers.
 *
 * Link build/libcfutures_mpi.a (before libcfutures.a) and MPI's libraries;
 * this header does not include mpi.h. Then cf_executor_new(CF_MPI, ...)
 * gives a pool whose workers are MPI processes running this same program,
 * as mpi4py.futures.MPIPoolExecutor does, started one of two ways:
 *
 *   mpiexec -n N prog   rank 0 is the client; ranks 1..N-1 serve every
 *                       CF_MPI pool rank 0 creates (one at a time: a pool
 *                       created while another holds them spawns its own).
 *   prog                (alone, or mpiexec -n 1) each pool spawns its
 *                       workers with MPI_Comm_spawn: this executable again,
 *                       with the same arguments.
 *
 * max_workers: under mpiexec, at most N-1 (0: all of them); spawning, as
 * many as asked, past the slots if need be (0: the universe size minus
 * this job, or the CPUs when Open MPI knows no universe).
 *
 * Tasks cross by registered name: a worker must have registered the same
 * task names in the same order as the client (the pool checks at start
 * and refuses with CF_ENOTASK). An initializer and its initarg cross as
 * addresses inside the program image (functions, static data): a heap or
 * stack initarg is refused (CF_EINVAL). max_tasks_per_child and
 * task_timeout are not supported (CF_EINVAL).
 *
 * As on every kind, a future is RUNNING only once its worker started it,
 * and cf_future_cancel works until then, even on work a worker already
 * holds: the pool asks that worker, which decides, so such a cancel
 * waits for its answer (about a millisecond on one host).
 *
 * cf_executor_new(CF_MPI, ...) fails with CF_EINVAL (options above; MPI
 * finalised or below MPI_THREAD_SERIALIZED), CF_ENOTASK (task names
 * differ), CF_ETIMEDOUT (a worker did not answer within 60 s: its main()
 * does not call cf_mpi_serve_or_continue first?), CF_EMPI (an MPI call
 * failed, e.g. MPI_Comm_spawn), CF_EBROKEN (under mpiexec, after a worker
 * of the job fell silent: see below), CF_ENOMEM, or -errno (no thread to be
 * had); cf_mpi_last_error() says why in a sentence.
 *
 * A silent host breaks the pool: a worker running a task says so every
 * second (a heartbeat from its listener thread), and a worker holding
 * work that sends nothing for CF_MPI_SILENCE seconds (an environment
 * variable read at cf_executor_new; default 10, 0 never) breaks the pool
 * (CF_EBROKEN naming its rank, pid and host): its host or the link to it
 * is down, which TCP would report only minutes later. Nothing more is
 * sent to any worker, so shutdown completes; under mpiexec the program's
 * exit then aborts the job (MPI_Abort) rather than finalise, which would
 * wait for the lost rank.
 *
 * A worker that dies breaks the pool (CF_EBROKEN, the message names its
 * rank and pid) when it ran on the client's host; under mpiexec, mpiexec
 * itself ends the whole job with a message naming the rank.
 */
#ifndef CFUTURES_MPI_H
#define CFUTURES_MPI_H

#include "cfutures.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Call at the top of main, after registering every task and before
 * anything else. In a worker (a rank > 0 under mpiexec, or a process a
 * pool spawned) it initialises MPI, serves tasks until the client is done,
 * finalises MPI and exits the process: it never returns. In the client
 * (rank 0, or a program started alone) it returns 0: under mpiexec MPI is
 * initialised now (MPI_THREAD_SERIALIZED, finalised at exit); alone, MPI
 * starts with the first CF_MPI pool. Returns CF_EMPI if MPI_Init failed,
 * CF_EINVAL if the program initialised MPI below MPI_THREAD_SERIALIZED.
 * (A spawned worker whose main() skips this call runs main() up to its
 * first cf_executor_new(CF_MPI) and serves from there, never returning.) */
int cf_mpi_serve_or_continue(int *argc, char ***argv);

/* Why the last cf_executor_new(CF_MPI, ...) in this thread failed, or why
 * the pool it made is broken from the start (an initializer failed): a
 * sentence naming the rank, e.g. the task names that differ. "" if none.
 * Owned by the library, valid until the next such call in this thread. */
const char *cf_mpi_last_error(void);

/* Rank of the calling process in MPI_COMM_WORLD, -1 before MPI starts.
 * Inside a task: the worker's rank (spawned workers count from 0 in their
 * own world; cf_worker_index() is the pool's slot, the same in both). */
int cf_mpi_world_rank(void);

#ifdef __cplusplus
}
#endif
#endif
