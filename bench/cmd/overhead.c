/* overhead.c -- `cfbench overhead`: what each executor costs per task.
 *
 * No-op tasks (empty input, empty output) through each executor kind:
 * submit every task then collect every result ("submit", as Python's
 * executor.submit + future.result), and map at chunksize 1 and 64 ("map").
 * The figure is wall time divided by tasks, best of --repeat runs, with the
 * pool already started (start-up is its own row: create + shutdown of an
 * idle pool, "startup", in µs per pool; "startup-1g", the same while this
 * process holds 1 GiB of touched memory, shows what the parent's size does
 * to fork; "startup-forkserver" and "-forkserver-1g", the same with
 * CF_START_FORKSERVER, after "forkserver-start", the server's own one-time
 * start; and executor "fork-exit", the floor under a forked pool's start:
 * fork that many children that exit at once, and wait). Then the loads
 * of issue 25: "submit-4p", four threads submitting to one thread pool
 * (contention); "pending-bytes", the resident bytes each pending future
 * holds with 1,000,000 submitted and unstarted (the figure is bytes, not
 * µs, and the tasks column the count); "payload-4k", "-64k", "-1m", tasks
 * taking and returning that many bytes through the process pool, 64 MiB
 * each way (µs per task: bytes / µs is MB/s). Prints CSV on stdout:
 * executor,method,chunksize,tasks,us_per_task,minflt_per_task,csw_per_task,
 * child_minflt_per_task,child_csw_per_task
 * The last four say why a figure moved: minor page faults and context
 * switches (voluntary + involuntary) per task (per pool on startup rows) of
 * this process around the timed part (getrusage RUSAGE_SELF), and of the
 * pool's worker processes (RUSAGE_CHILDREN, which counts a child once it
 * has been waited for: so over the pool's whole life, start and shutdown
 * included; 0 for pools without processes, and for fork-server workers,
 * which are the server's children).
 *
 * --impl sets them beside their peers on the same machine in the same run:
 * python (Python's ThreadPoolExecutor and ProcessPoolExecutor, measured the
 * same way by workloads/python/overhead.py, executors py-thread and
 * py-process) and peers (libuv's threadpool, OpenMP tasks, oneTBB, and a
 * forked pipe-echo worker and a shared-memory ring as the floors of any
 * process pool: the programs of bench/peers, run from build/peers beside
 * this binary, `make peers`). Their rows are printed after the C ones in
 * the same columns, the peer's name as the executor. mpi (with Open MPI
 * built in) adds the MPI pool (CF_MPI, spawned workers, or ranks 1..N-1
 * under `mpiexec -n N cfbench overhead`) and mpi4py.futures'
 * MPIPoolExecutor (py-mpi, workloads/python/mpi_overhead.py).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../lib/cfutures.h"
#include "../cli.h"
#include "../commands.h"
#include "../config.h"
#include "../probe.h"
#include "../python.h"
#include "../spawn.h"
#include "../overhead_rows.h"

/* --impl bits. Python runs at most PY_TASKS_MAX tasks per figure: its
 * process pool costs ~60 µs a task, and the figure is per task anyway. */
enum { OV_C = 1, OV_PY = 2, OV_PEERS = 4, OV_MPI = 8 };
#define PY_TASKS_MAX 20000
/* mpi4py's pool costs ~300 µs a task here (it polls): fewer tasks. */
#define PY_MPI_TASKS_MAX 2000
#define OV_HEADER                                                                                  \
    "executor,method,chunksize,tasks,us_per_task,minflt_per_task,csw_per_task,"                    \
    "child_minflt_per_task,child_csw_per_task"
#define OV_COLUMNS 9

/* Startup rows: each pool starts after this long untimed, as in a program
 * that does something between pools (the fork server makes its spare
 * workers when it has been idle a few ms). */
#define STARTUP_PAUSE_US 20000

/* Create + shutdown of an idle pool, best of repeat, in µs; *u: its usage. */
static double run_startup(cf_kind kind, cf_start_method how, int workers, long repeat,
                          ov_usage *u) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = workers;
    o.start_method = how;
    double best = -1;
    for (long i = 0; i < repeat; i++) {
        cf_executor *ex;
        usleep(STARTUP_PAUSE_US); /* what the last pool left to do in the background is done */
        ov_usage u0 = ov_usage_now();
        int64_t t0 = cf_now_ns();
        if (cf_executor_new(kind, &o, &ex) != 0) continue;
        cf_executor_free(ex);
        double s = ov_secs(cf_now_ns() - t0);
        ov_usage us = ov_usage_since(u0);
        if (best < 0 || s < best) {
            best = s;
            *u = us;
        }
    }
    return best * 1e6;
}

/* The floor under a forked pool's start: fork `workers` children of this
 * process that exit at once, and wait for each; best of repeat in µs. */
static double run_fork_floor(int workers, long repeat, ov_usage *u) {
    double best = -1;
    for (long i = 0; i < repeat; i++) {
        ov_usage u0 = ov_usage_now();
        int64_t t0 = cf_now_ns();
        int ok = 1;
        for (int w = 0; w < workers && ok; w++) {
            pid_t pid = fork();
            if (pid == 0) _exit(0);
            ok = pid > 0 && waitpid(pid, NULL, 0) == pid;
        }
        double s = ov_secs(cf_now_ns() - t0);
        ov_usage us = ov_usage_since(u0);
        if (ok && (best < 0 || s < best)) {
            best = s;
            *u = us;
        }
    }
    return best * 1e6;
}

/* The process pool's start-up rows: the bare fork + exit floor, a pool
 * forked from here, the fork server's own start, a pool from the fork
 * server; then the same three while this process holds 1 GiB of touched
 * memory (allocated once), in small pages (as a big heap mostly is), that
 * every fork from here must map again. Returns 0, or 1 (said on stderr). */
static int process_startup_rows(int workers, long repeat) {
    static const struct {
        const char *ex, *method;
        int floor;
        cf_start_method how;
    } rows[] = {{"fork-exit", "startup", 1, CF_START_FORK},
                {"process", "startup", 0, CF_START_FORK},
                {"process", "startup-forkserver", 0, CF_START_FORKSERVER}};
    int status = 0;
    char *big = NULL;
    size_t len = (size_t)1 << 30;
    for (int held = 0; held < 2; held++) {
        if (held) {
            big = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (big == MAP_FAILED) {
                fprintf(stderr, "cfbench overhead: no 1 GiB to hold: no -1g rows\n");
                return 1;
            }
            (void)madvise(big, len, MADV_NOHUGEPAGE); /* advice: without it, still 1 GiB */
            for (size_t at = 0; at < len; at += 4096) /* every page in, as memset would, */
                big[at] = 1;                          /* at a quarter of a sanitizer's cost */
        }
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            ov_usage u = {0, 0, 0, 0};
            if (!held && rows[r].how == CF_START_FORKSERVER) {
                ov_usage u0 = ov_usage_now();
                int64_t t0 = cf_now_ns();
                int e = cf_forkserver_start(); /* once: its start is a row of its own */
                double us = ov_secs(cf_now_ns() - t0) * 1e6;
                if (e) {
                    fprintf(stderr, "cfbench overhead: fork server: %s\n", cf_strerror(e));
                    status = 1;
                    continue;
                }
                ov_row("process", "forkserver-start", 0, 1, us, ov_usage_since(u0), 1);
            }
            double us = rows[r].floor ? run_fork_floor(workers, repeat, &u)
                                      : run_startup(CF_PROCESS, rows[r].how, workers, repeat, &u);
            char method[40];
            snprintf(method, sizeof method, "%s%s", rows[r].method, held ? "-1g" : "");
            if (us >= 0) {
                ov_row(rows[r].ex, method, 0, workers, us, u, 1);
            } else {
                fprintf(stderr, "cfbench overhead: %s %s failed\n", rows[r].ex, method);
                status = 1;
            }
        }
    }
    (void)munmap(big, len); /* cannot fail on what mmap gave */
    return status;
}

/* Runs argv and prints its CSV rows but the header line, as ours. Returns
 * 0, or 1 (said on stderr) if it failed or printed something else. */
static int relay_rows(char *const argv[], const char *what) {
    char *out = NULL, *save = NULL, err[256];
    int st, rc = 0;
    if (capture_command(argv, 0, &out, &st, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench overhead: %s: %s\n", what, err);
        return 1;
    }
    for (char *line = strtok_r(out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        int commas = 0;
        for (const char *p = line; *p; p++)
            commas += *p == ',';
        if (commas != OV_COLUMNS - 1) {
            fprintf(stderr, "cfbench overhead: %s printed '%.60s', not a row\n", what, line);
            rc = 1;
        } else if (strcmp(line, OV_HEADER) != 0) {
            printf("%s\n", line);
        }
    }
    fflush(stdout);
    free(out);
    if (st != 0) {
        fprintf(stderr, "cfbench overhead: %s exited with status %d\n", what, st);
        rc = 1;
    }
    return rc;
}

/* --impl python: workloads/python/overhead.py's rows; --impl mpi:
 * mpi_overhead.py's (py-mpi), with a Python that has mpi4py. Or one line
 * saying why there are none (Python is optional: not an error). */
static int python_rows(const char *script, long tasks, long workers, long repeat) {
    char exe[256], root[4096], why[256], path[4200], t[24], w[24], r[24];
    int mpi = strstr(script, "mpi") != NULL;
    const char *impl = mpi ? "mpi's py-mpi" : "python";
    if ((mpi ? py_find_mpi4py : py_find)(exe, sizeof exe, why, sizeof why) != 0) {
        fprintf(stderr, "cfbench overhead: Python is not available (%s); skipping --impl %s\n", why,
                impl);
        return 0;
    }
    if (py_root(root, sizeof root) != 0) {
        fprintf(stderr,
                "cfbench overhead: workloads/python/%s not found (set "
                "CFBENCH_ROOT); skipping --impl %s\n",
                script, impl);
        return 0;
    }
    snprintf(path, sizeof path, "%s/workloads/python/%s", root, script);
    long max = mpi ? PY_MPI_TASKS_MAX : PY_TASKS_MAX;
    snprintf(t, sizeof t, "%ld", tasks < max ? tasks : max);
    snprintf(w, sizeof w, "%ld", workers);
    snprintf(r, sizeof r, "%ld", repeat);
    char *const argv[] = {exe, path, "--tasks", t, "--workers", w, "--repeat", r, NULL};
    return relay_rows(argv, path);
}

/* --impl peers: the rows of each peer program (bench/peers) built in
 * peers/ beside this binary (build/peers for build/cfbench), or one line
 * per peer saying it is not built (a peer's library may be missing). */
static int peer_rows(long tasks, long workers) {
    static const char *const peers[] = {"libuv", "openmp", "tbb", "pipe", "shm_ring"};
    char exe[4096], prog[4200], t[24], w[24];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = len > 0 ? memrchr(exe, '/', (size_t)len) : NULL;
    if (slash == NULL) {
        fprintf(stderr, "cfbench overhead: /proc/self/exe: %s; skipping --impl peers\n",
                len < 0 ? strerror(errno) : "not a path");
        return 0;
    }
    *slash = '\0';
    snprintf(t, sizeof t, "%ld", tasks);
    snprintf(w, sizeof w, "%ld", workers);
    int rc = 0;
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++) {
        snprintf(prog, sizeof prog, "%s/peers/%s", exe, peers[i]);
        if (access(prog, X_OK) != 0) {
            fprintf(stderr, "cfbench overhead: %s: %s (make peers); no %s rows\n", prog,
                    strerror(errno), peers[i]);
            continue;
        }
        char *const argv[] = {prog, t, w, NULL};
        rc |= relay_rows(argv, prog);
    }
    return rc;
}

static void usage(FILE *to) {
    fprintf(to,
            "usage: cfbench overhead [--tasks N] [--workers N] [--repeat N] [--trace]\n"
            "                        [--impl c|python|peers|mpi|all]\n"
            "\n"
            "Per-task cost of each executor on no-op tasks, as CSV on stdout:\n"
            "executor,method,chunksize,tasks,us_per_task (best of --repeat),\n"
            "then minor page faults and context switches per task of this process\n"
            "around the timed part (minflt_per_task,csw_per_task) and of the pool's\n"
            "worker processes over the pool's life (child_minflt_per_task,\n"
            "child_csw_per_task).\n"
            "method: submit (submit all, then result of each), map (chunksize 1\n"
            "and 64), startup (create and shut down an idle pool; the figures are\n"
            "per pool), startup-1g (the same while this process holds 1 GiB),\n"
            "startup-forkserver[-1g] (the same with CF_START_FORKSERVER, after\n"
            "forkserver-start, the server's one-time start); executor fork-exit:\n"
            "fork that many children that exit at once (the floor under startup).\n"
            "submit-4p: 4 threads submit to one thread pool; pending-bytes: bytes\n"
            "per pending future (1,000,000 unstarted; the figure is bytes);\n"
            "payload-4k, -64k, -1m: tasks carrying that much through the process\n"
            "pool and back (bytes / us_per_task is MB/s each way).\n"
            "\n"
            "  --tasks N    tasks per run (default 100000; python: at most %d)\n"
            "  --workers N  pool size (default 2)\n"
            "  --repeat N   runs per figure, the best is kept (default 5)\n"
            "  --trace      pools record per-task times (cf_options.trace), as\n"
            "               `cfbench run --trace` does: compare with a run without\n"
            "  --impl LIST  c, python (py-thread, py-process: Python's pools, via\n"
            "               workloads/python/overhead.py), peers (libuv, OpenMP,\n"
            "               oneTBB, a pipe and a shared-memory floor: bench/peers,\n"
            "               built by `make peers`), mpi (the MPI pool, spawning its\n"
            "               workers or, under `mpiexec -n N`, on ranks 1..N-1; and\n"
            "               py-mpi, mpi4py.futures, at most %d tasks: with Open MPI\n"
            "               built in), or all (mpi only when built in) (default c)\n"
            "\n"
            "example: cfbench overhead --tasks 20000 > results/overhead.csv\n",
            PY_TASKS_MAX, PY_MPI_TASKS_MAX);
}

/* --impl: c, python, peers, mpi or all; mpi only with Open MPI built in,
 * and "all" then means all the others. */
static int parse_impls(void *dest, const char *opt, const char *val, char *err, size_t errlen) {
    static const char *const names[] = {"c", "python", "peers", "mpi", NULL};
    unsigned *impls = dest;
    if (cli_parse_choices(opt, val, names, 1, impls, err, errlen) != 0) return -1;
    if ((*impls & OV_MPI) && !bench_with_mpi) {
        if (strcmp(val, "all") != 0) {
            snprintf(err, errlen, "%s mpi: cfbench was built without Open MPI", opt);
            return -1;
        }
        *impls &= ~(unsigned)OV_MPI;
    }
    return 0;
}

int cmd_overhead(int argc, char **argv) {
    long tasks = 100000, workers = 2, repeat = 5;
    unsigned impls = OV_C;
    int trace = 0, status;
    const cli_option opts[] = {
        CLI_OPT_LONG("--tasks", &tasks, 1, 10000000),
        CLI_OPT_LONG("--workers", &workers, 1, 1024),
        CLI_OPT_LONG("--repeat", &repeat, 1, 1000),
        CLI_OPT_CALL("--impl", &impls, parse_impls),
        CLI_OPT_FLAG("--trace", &trace),
        CLI_OPT_END,
    };
    const cli_command cmd = {.name = "overhead", .usage = usage, .options = opts};
    if (cli_parse(&cmd, argc, argv, &status)) return status;
    const cf_task *t = probe_task();
    cf_future **fs = malloc((size_t)tasks * sizeof *fs);
    if (!t || !fs) {
        fprintf(stderr, "cfbench overhead: out of memory\n");
        free(fs);
        return 1;
    }
    static const cf_kind kinds[] = {CF_SEQUENTIAL, CF_THREAD, CF_PROCESS, CF_MPI};
    static const struct {
        const char *method;
        int chunk;
    } methods[] = {{"submit", 1}, {"map", 1}, {"map", 64}};
    status = 0;
    printf("%s\n", OV_HEADER);
    for (size_t k = 0; k < 4; k++) {
        if (!(impls & (kinds[k] == CF_MPI ? OV_MPI : OV_C))) continue;
        cf_options o = CF_OPTIONS_INIT;
        o.max_workers = kinds[k] == CF_SEQUENTIAL ? 1 : (int)workers;
        o.trace = trace; /* --trace: what recording per-task times costs */
        o.start_method = CF_START_FORK; /* what auto chooses here, never the transient */
        for (size_t m = 0; m < 3; m++) {
            double best = -1;
            ov_usage best_u = {0, 0, 0, 0};
            for (long r = 0; r < repeat; r++) {
                cf_executor *ex;
                ov_usage life = ov_usage_now(); /* children: over the pool's life */
                int e = cf_executor_new(kinds[k], &o, &ex);
                if (e) {
                    fprintf(stderr, "cfbench overhead: %s pool: %s\n", cf_kind_name(kinds[k]),
                            cf_strerror(e));
                    free(fs);
                    return 1;
                }
                ov_usage u = ov_usage_now();
                double s = methods[m].chunk == 1 && !strcmp(methods[m].method, "submit")
                               ? ov_run_submit(ex, t, (size_t)tasks, fs)
                               : probe_map_s(ex, (size_t)tasks, methods[m].chunk);
                u = ov_usage_since(u);
                cf_executor_free(ex);
                life = ov_usage_since(life);
                u.child_minflt = life.child_minflt;
                u.child_csw = life.child_csw;
                if (s < 0) {
                    fprintf(stderr, "cfbench overhead: %s %s: %s\n", cf_kind_name(kinds[k]),
                            methods[m].method, cf_strerror((int)s));
                    status = 1;
                    break;
                }
                if (best < 0 || s < best) {
                    best = s;
                    best_u = u;
                }
            }
            if (best >= 0)
                ov_row(cf_kind_name(kinds[k]), methods[m].method, methods[m].chunk, tasks,
                       best / (double)tasks * 1e6, best_u, (double)tasks);
        }
        if (kinds[k] == CF_THREAD || kinds[k] == CF_MPI) {
            ov_usage u = {0, 0, 0, 0};
            double us = run_startup(kinds[k], CF_START_FORK, (int)workers, repeat, &u);
            if (us >= 0) ov_row(cf_kind_name(kinds[k]), "startup", 0, workers, us, u, 1);
            if (us < 0) {
                fprintf(stderr, "cfbench overhead: %s startup failed\n", cf_kind_name(kinds[k]));
                status = 1;
            }
        }
        if (kinds[k] == CF_PROCESS) status |= process_startup_rows((int)workers, repeat);
    }
    if (impls & OV_C) status |= overhead_load_rows(t, fs, tasks, (int)workers, repeat);
    free(fs);
    if (impls & OV_PY) status |= python_rows("overhead.py", tasks, workers, repeat);
    if (impls & OV_MPI) status |= python_rows("mpi_overhead.py", tasks, workers, repeat);
    if (impls & OV_PEERS) status |= peer_rows(tasks, workers);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cfbench overhead: stdout: %s\n", strerror(errno));
        status = 1;
    }
    return status;
}
