/* config.h -- what `cfbench run` was asked to do: argv turned into a
 * run_config, validated before anything is opened.
 *
 * The parser writes nothing but the config it is given: every setting a
 * later stage needs (the emulated GIL's switch interval, the download size
 * limit) travels in run_config, never in a global.
 */
#ifndef BENCH_CONFIG_H
#define BENCH_CONFIG_H

#include <stdio.h>

#include "../lib/cfutures.h"
#include "../workloads/workload.h"
#include "cli.h"

#define WORKERS_MAX 1024
#define CHUNK_MAX 1000000
#define REPEAT_MAX 10000
#define WARMUP_MAX 1000
#define RESAMPLES_MAX 1000000
#define WORKLOADS_MAX 8

/* --max-bytes when not given: 1 GiB a download. */
#define MAX_BYTES_DEFAULT (1ull << 30)

/* The modes, in the order they run (loop first: its digest is the
 * reference, and its time the base of every speedup; seq is both where no
 * loop ran). Adding a mode is one entry in run_modes[]. */
enum { M_LOOP, M_SEQ, M_THREAD, M_PROCESS, M_ASYNC, M_THREAD_GIL, M_MPI, NMODES };

/* Modes that "all" (and no --mode) leaves out: mpi starts MPI and spawns
 * ranks, seconds a pool; it runs when asked by name. */
#define MODES_NOT_IN_ALL (1u << M_MPI)

/* The modes workloads/python/bench.py runs (mpi: with mpi4py). Python has
 * no sequential executor: its list comprehension is `loop`, which it runs
 * when C runs loop or seq (config_py_modes). */
#define PY_MODES (1u << M_LOOP | 1u << M_THREAD | 1u << M_PROCESS | 1u << M_MPI)

/* 1 when this cfbench links the MPI pool (main() sets it, with Open MPI
 * found at build time): --mode mpi and overhead --impl mpi need it. A fact
 * of the build, not a setting; 0 in the test programs. */
extern int bench_with_mpi;

typedef struct mode_info {
    const char *name;
    int async;    /* runs workload->run_async instead of an executor */
    cf_kind kind; /* executor kind when not async */
    int gil;      /* the pool runs under the emulated GIL */
    int plain;    /* no executor: the tasks called in a for loop */
} mode_info;

extern const mode_info run_modes[NMODES];

/* --impl: which implementations run each point. IMPL_C and IMPL_PY index
 * impl_names[]; the masks are 1 << impl. */
enum { IMPL_C, IMPL_PY, NIMPLS };
extern const char *const impl_names[NIMPLS];

enum run_order { ORDER_INTERLEAVE, ORDER_GROUPED, ORDER_RANDOM };

/* What the command line asked for, after validation. */
typedef struct run_config {
    unsigned workloads;         /* bit i: workload_all()[i] */
    unsigned modes;             /* bit i: run_modes[i] */
    int modes_all;              /* "all" or default: skip silently */
    long workers[CLI_LIST_MAX]; /* the sweep; nworkers 0: defaults */
    size_t nworkers;
    long chunksize;
    wl_size size;
    long repeat, warmup;
    const char *out;
    char **urls; /* owned; NULL: embedded server */
    size_t nurls;
    int quiet, json, no_reference;
    unsigned impls;    /* --impl: bit IMPL_C and/or IMPL_PY */
    unsigned py_modes; /* modes Python runs (set once Python is found) */
    int trace;         /* --trace: per-task times to tasks.csv */
    enum run_order order;
    long resamples;               /* bootstrap resamples for the speedup interval */
    long switch_interval_ms;      /* thread-gil: the emulated GIL's hand-off */
    unsigned long long max_bytes; /* largest download, bytes; 0: no limit */
    cf_start_method start_method; /* --start-method: the process pools' */
    const char *serve_addr;       /* --serve-addr: the download server's address (an
                                     argv string); NULL: serve_addr_for_workers() */
} run_config;

/* Parses argv (argv[0] is "run") into *c, which the caller releases with
 * config_free() whatever the result. Returns 0, 1 after printing --help on
 * stdout, or 2 after printing one line on stderr naming what is wrong. */
int config_parse(int argc, char **argv, run_config *c);

/* The modes Python runs for C's `modes`: PY_MODES, with seq asked for
 * read as Python's loop (its list comprehension; it has no sequential
 * executor), so that `--impl all --mode seq,...` still gives Python its
 * base. */
unsigned config_py_modes(unsigned modes);

/* Prints `cfbench run --help` to f. */
void config_usage(FILE *f);

/* Frees what config_parse() allocated (the URL list); safe twice. */
void config_free(run_config *c);

#endif
