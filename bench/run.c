/* run.c -- `cfbench run`: expands the plan, times each run, writes CSV.
 *
 * The plan is workloads x modes x worker counts x repetitions. Each
 * workload is prepared once per invocation (its task list, and for
 * download the embedded server) and the same plan is handed to every mode,
 * so every mode does identical work. The sequential mode runs first: its
 * digest is the reference every other run of the workload must reproduce
 * (when the user did not ask for seq, one unrecorded seq pass provides it).
 *
 * One run = timer_start, create the executor, map every input through it
 * with the chunksize, collect results in input order, shut the executor
 * down, timer_stop; then verify outside the timed part. Its row goes to
 * bench.csv at once (flushed), so an interrupted benchmark keeps what it
 * measured. SIGINT/SIGTERM set a flag checked between runs; summary.csv and
 * the table then cover what was measured and the exit status is 128+sig.
 *
 * Everything the user typed is validated before any output is opened: a
 * bad command line exits 2 with one line on stderr and touches no file.
 *
 * Order (--order). By default the repetitions are interleaved: round k
 * runs rep k of every point of the workload, so slow drift of a shared
 * machine (another job, thermal throttling) lands on every mode alike
 * instead of on whichever mode ran last. `grouped` runs all reps of one
 * point before the next; `random` shuffles the points in each round.
 *
 * Tracing (--trace). The executor records each task's submit, start, end
 * and collect times (cf_options.trace) and the worker that ran it; each
 * timed run writes one row per task to tasks.csv, in µs from the run's
 * start, and the summary gains the latency breakdown. Async runs have no
 * executor and the workload reports no per-transfer times, so their rows
 * carry the whole call's bounds and worker = the transfer's slot.
 *
 * Python (--impl python). Seq, thread and process also run with Python's
 * concurrent.futures on the same inputs (bench/python.c drives
 * workloads/python/bench.py), after the C points, each point's reps back
 * to back in one runner process. Their results pass through the C
 * verify() and their digest must be the C seq digest; rows say
 * impl=python and speedups are against Python's own seq.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../lib/cfutures.h"
#include "../workloads/download.h"
#include "../workloads/workload.h"
#include "cli.h"
#include "commands.h"
#include "csv.h"
#include "meta.h"
#include "probe.h"
#include "python.h"
#include "serve.h"
#include "stats.h"
#include "table.h"
#include "timer.h"

#define WORKERS_MAX 1024
#define CHUNK_MAX 1000000
#define REPEAT_MAX 10000
#define WARMUP_MAX 1000
#define WORKLOADS_MAX 8

#define BENCH_HEADER                                                                               \
    "run_id,impl,workload,mode,workers,chunksize,tasks,size,rep,wall_ms,"                          \
    "user_ms,sys_ms,max_rss_kb,ok,failed,digest,vol_cs,invol_cs"
#define SUMMARY_HEADER                                                                             \
    "impl,workload,mode,workers,chunksize,size,tasks,reps,mean_ms,"                                \
    "stddev_ms,median_ms,min_ms,max_ms,speedup,speedup_err,outliers,"                              \
    "speedup_lo,speedup_hi,util,queue_p50_us,queue_p95_us,queue_p99_us,"                           \
    "run_p50_us,run_p95_us,run_p99_us,back_p50_us,back_p95_us,back_p99_us,notes"
#define TASKS_HEADER                                                                               \
    "run_id,impl,workload,mode,workers,chunksize,rep,task,worker,submit_us,"                       \
    "start_us,end_us,collect_us,ok"
#define RESAMPLES_MAX 1000000

enum { ORDER_INTERLEAVE, ORDER_GROUPED, ORDER_RANDOM };

/* The modes, in the order they run. Adding a mode is one entry here (and,
 * for a new kind of executor, one field of cf_options in `tune`). A mode
 * with built == 0 is accepted by the parser and refused with one line. */
typedef struct mode_info {
    const char *name;
    int built;
    int async;                   /* runs workload->run_async instead of an executor */
    cf_kind kind;                /* executor kind when not async */
    void (*tune)(cf_options *o); /* mode-specific pool options, or NULL */
} mode_info;

enum { M_SEQ, M_THREAD, M_PROCESS, M_ASYNC, M_THREAD_GIL, NMODES };

/* --impl bits: which implementations run each point. */
enum { IMPL_C = 1, IMPL_PY = 2 };
static const char *const impl_names[] = {"c", "python"};

/* --switch-interval, in ms: the emulated GIL's hand-off period. */
static long switch_interval_ms = 5;

static void tune_gil(cf_options *o) {
    o->gil_interval = (double)switch_interval_ms / 1000.0;
}

static const mode_info modes[NMODES] = {
    [M_SEQ] = {"seq", 1, 0, CF_SEQUENTIAL, NULL},
    [M_THREAD] = {"thread", 1, 0, CF_THREAD, NULL},
    [M_PROCESS] = {"process", 1, 0, CF_PROCESS, NULL},
    [M_ASYNC] = {"async", 1, 1, CF_SEQUENTIAL, NULL},
    [M_THREAD_GIL] = {"thread-gil", 1, 0, CF_THREAD, tune_gil},
};

/* What the command line asked for, after validation. */
typedef struct run_config {
    unsigned workloads;         /* bit i: workload_all()[i] */
    unsigned modes;             /* bit i: modes[i] */
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
    unsigned impls;    /* --impl: IMPL_C and/or IMPL_PY */
    unsigned py_modes; /* modes Python runs (seq, thread, process of modes) */
    int trace;         /* --trace: per-task times to tasks.csv */
    int order;         /* ORDER_* */
    long resamples;    /* bootstrap resamples for the speedup interval */
} run_config;

/* One (workload, mode, workers) point: its samples, then its summary. */
typedef struct group {
    const workload *wl;
    int mode;
    int workers;
    long chunksize;
    size_t tasks;
    double *wall; /* wall_ms of each recorded rep */
    size_t n;
    stats_summary st;
    double speedup, speedup_err; /* NaN without a seq group */
    int summarized;
    int impl;       /* 0: this C library; 1: Python's concurrent.futures */
    double *cpu;    /* user + sys ms of each recorded rep */
    double *lat[3]; /* traced: queue, run, hand-back µs of
                       every task of every recorded rep */
    size_t nlat;
    double speedup_lo, speedup_hi; /* bootstrap 95% interval; NaN: none */
    double util;                   /* median (user + sys) / (wall x
                                      min(workers, cores)) */
    stats_pcts pct[3];             /* of lat[]; NaN when not traced */
    char notes[512];               /* teaching notes (stats_notes) */
    int dead;                      /* a run could not start: no more */
} group;

/* What one run gives back. */
typedef struct run_result {
    bench_times t;
    char digest[65];
    size_t failed;
    int verified;           /* verify() found every result right */
    char first_error[160];  /* first failed task's message */
    cf_times *times;        /* traced runs: n per-task times (caller's) */
    unsigned char *task_ok; /* traced runs: n flags, 1 = task succeeded */
    long long t0_ns;        /* when the run started (cf_now_ns clock) */
} run_result;

/* ^C and SIGTERM: the handler records the signal and wakes the watcher
 * thread through a pipe; the watcher cancels what the current run has not
 * started (cf_executor_shutdown is not async-signal-safe, so the handler
 * cannot). The run then ends, unrecorded, and no further run starts. */
static atomic_int stop_signal;
static int sig_pipe[2] = {-1, -1};
static pthread_mutex_t cur_mu = PTHREAD_MUTEX_INITIALIZER;
static cf_executor *cur_ex; /* guarded by cur_mu: the pool now running */

static void on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    stop_signal = sig;
    if (write(sig_pipe[1], &b, 1) < 0) {
        /* the pipe is full: the watcher is awake already */
    }
    errno = saved;
}

static void *sig_watch(void *arg) {
    sigset_t all;
    unsigned char b;
    (void)arg;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        ssize_t r = read(sig_pipe[0], &b, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return NULL; /* closed: the command is done */
        pthread_mutex_lock(&cur_mu);
        if (cur_ex != NULL) (void)cf_executor_shutdown(cur_ex, 0, 1);
        pthread_mutex_unlock(&cur_mu);
    }
}

/* Publishes the pool of the run in progress to the watcher (NULL: none). */
static void set_current(cf_executor *ex) {
    pthread_mutex_lock(&cur_mu);
    cur_ex = ex;
    pthread_mutex_unlock(&cur_mu);
    if (ex != NULL && stop_signal) (void)cf_executor_shutdown(ex, 0, 1);
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: cfbench run [OPTIONS]\n"
            "\n"
            "Runs each workload in each mode, checks that every mode computed the same\n"
            "results, appends one row per run to DIR/bench.csv and writes\n"
            "DIR/summary.csv and DIR/meta.txt.\n"
            "\n"
            "  --workload LIST   download, hash, prime, comma-separated, or all\n"
            "                    (default all)\n"
            "  --mode LIST       seq, thread, process, async, thread-gil, or all\n"
            "                    (default all that apply; async is download only)\n"
            "  --workers N|LIST  pool size, or a sweep like 1,2,4,8 (1..%d; default\n"
            "                    Python's: threads min(32, cpus+4), processes cpus;\n"
            "                    download threads: one per file; async: all at once)\n"
            "  --chunksize N     tasks per message in map (1..%d; default 1)\n"
            "  --size NAME       quick, default or blog (default default)\n"
            "  --repeat N        timed runs per point (1..%d; default 5, blog 3)\n"
            "  --warmup N        untimed runs first (0..%d; default 1, blog 0)\n"
            "  --switch-interval MS\n"
            "                    thread-gil: how long a thread waits for the emulated\n"
            "                    GIL before it forces a hand-off (1..10000; default 5,\n"
            "                    Python's sys.getswitchinterval())\n"
            "  --trace           record each task's submit, start, end and collect times\n"
            "                    and worker: DIR/tasks.csv, latency in the summary\n"
            "  --order ORDER     interleave (rep k of every point, then rep k+1: drift\n"
            "                    hits all modes alike), grouped or random (default\n"
            "                    interleave)\n"
            "  --resamples N     bootstrap resamples for the speedup's 95%% interval\n"
            "                    (1..%d; default 2000)\n"
            "  --impl LIST       c, python or all (default c): python runs seq, thread\n"
            "                    and process with Python's concurrent.futures\n"
            "                    (workloads/python/bench.py) on the same inputs\n"
            "  --out DIR         where the CSV go (default results)\n"
            "  --urls FILE|LIST  download real URLs: a file with one per line, or\n"
            "                    URL,URL,... (default: an embedded loopback server)\n"
            "  --no-reference    skip the unrecorded seq pass that gives the reference\n"
            "                    digest when seq is not asked for (whole-process timing)\n"
            "  --quiet           no table, no progress bar, no notes\n"
            "  --json            print the summary as JSON on stdout instead of the table\n"
            "  -h, --help        this text\n"
            "\n"
            "Exit status: 0 ok, 1 a run failed or disagreed with seq, 2 bad usage,\n"
            "130/143 interrupted (what was measured is kept).\n"
            "\n"
            "examples:\n"
            "  cfbench run --size quick\n"
            "  cfbench run --workload hash,prime --mode seq,process --workers 1,2,4\n"
            "  cfbench run --workload prime --mode process --chunksize 16 --repeat 10\n"
            "  cfbench run --workload download --mode seq,thread,async --urls urls.txt\n"
            "  cfbench run --size quick --json --out /tmp/r\n"
            "  cfbench run --workload prime --size quick --trace\n",
            WORKERS_MAX, CHUNK_MAX, REPEAT_MAX, WARMUP_MAX, RESAMPLES_MAX);
}

static int bad_usage(const char *msg) {
    fprintf(stderr, "cfbench run: %s\n", msg);
    return 2;
}

static void free_urls(run_config *c) {
    for (size_t i = 0; i < c->nurls; i++)
        free(c->urls[i]);
    free(c->urls);
    c->urls = NULL;
    c->nurls = 0;
}

static int add_url(run_config *c, const char *s, size_t len, char *err, size_t errlen) {
    if (memchr(s, ':', len) == NULL || len < 8 ||
        (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)) {
        snprintf(err, errlen, "--urls: '%.*s' is not an http(s) URL", (int)(len > 60 ? 60 : len),
                 s);
        return -1;
    }
    char **grown = realloc(c->urls, (c->nurls + 1) * sizeof *grown);
    if (grown == NULL) goto nomem;
    c->urls = grown;
    if ((c->urls[c->nurls] = strndup(s, len)) == NULL) goto nomem;
    c->nurls++;
    return 0;
nomem:
    snprintf(err, errlen, "--urls: out of memory");
    return -1;
}

/* "--urls" takes URL,URL,... when it holds "://", else a file name. */
static int parse_urls(run_config *c, const char *val, char *err, size_t errlen) {
    free_urls(c);
    if (strstr(val, "://") != NULL) {
        const char *p = val;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            if (add_url(c, p, len, err, errlen) != 0) return -1;
            if (comma == NULL) break;
            p = comma + 1;
        }
        return 0;
    }
    FILE *f = fopen(val, "r");
    if (f == NULL) {
        snprintf(err, errlen, "--urls: %s: %s", val, strerror(errno));
        return -1;
    }
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        char *s = line, *e;
        while (*s == ' ' || *s == '\t')
            s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e == s || *s == '#') continue; /* blank lines and comments */
        rc = add_url(c, s, (size_t)(e - s), err, errlen);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "--urls: %s: read error", val);
        rc = -1;
    }
    (void)fclose(f);
    if (rc == 0 && c->nurls == 0) {
        snprintf(err, errlen, "--urls: %s holds no URL", val);
        rc = -1;
    }
    return rc;
}

/* The options that take a value. */
static const char *const value_opts[] = {
    "--impl",      "--workload", "--mode", "--workers", "--chunksize",       "--size",
    "--repeat",    "--warmup",   "--out",  "--urls",    "--switch-interval", "--order",
    "--resamples", NULL};

/* Parses argv into *c. Returns 0, 1 for --help (printed), or 2 after
 * printing the one-line error. */
static int parse_args(int argc, char **argv, run_config *c) {
    const workload *const *all = workload_all();
    const char *wl_names[WORKLOADS_MAX + 1];
    const char *mode_names[NMODES + 1];
    char err[512];
    size_t nwl = 0;

    for (; all[nwl] != NULL && nwl < WORKLOADS_MAX; nwl++)
        wl_names[nwl] = all[nwl]->name;
    wl_names[nwl] = NULL;
    for (int m = 0; m < NMODES; m++)
        mode_names[m] = modes[m].name;
    mode_names[NMODES] = NULL;

    memset(c, 0, sizeof *c);
    c->workloads = (1u << nwl) - 1;
    c->modes_all = 1;
    c->chunksize = 1;
    c->size = WL_DEFAULT;
    c->repeat = -1;
    c->warmup = -1;
    c->out = "results";
    c->impls = IMPL_C;
    c->order = ORDER_INTERLEAVE;
    c->resamples = 2000;

    for (int i = 1; i < argc;) {
        const char *a = argv[i], *v = NULL;
        int r;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "--json") || !strcmp(a, "--no-reference") ||
            !strcmp(a, "--trace")) {
            c->trace |= !strcmp(a, "--trace");
            c->quiet |= !strcmp(a, "--quiet");
            c->json |= !strcmp(a, "--json");
            c->no_reference |= !strcmp(a, "--no-reference");
            i++;
            continue;
        }
        const char *opt = NULL;
        for (size_t k = 0; value_opts[k] != NULL && opt == NULL; k++) {
            r = cli_take_value(argc, argv, &i, value_opts[k], &v, err, sizeof err);
            if (r < 0) return bad_usage(err);
            if (r > 0) opt = value_opts[k];
        }
        if (opt == NULL) {
            /* A flag given a value ("--quiet=1") or anything unknown. */
            const char *eq = strchr(a, '=');
            if (a[0] == '-' && eq != NULL &&
                (!strncmp(a, "--quiet=", 8) || !strncmp(a, "--json=", 7) ||
                 !strncmp(a, "--no-reference=", 15) || !strncmp(a, "--trace=", 8)))
                snprintf(err, sizeof err, "%.*s: takes no value", (int)(eq - a), a);
            else if (a[0] == '-')
                snprintf(err, sizeof err, "unknown option '%.60s' (try --help)", a);
            else
                snprintf(err, sizeof err, "unexpected argument '%.60s' (try --help)", a);
            return bad_usage(err);
        }
        if (!strcmp(opt, "--workload")) {
            if (cli_parse_choices(opt, v, wl_names, 1, &c->workloads, err, sizeof err) != 0)
                return bad_usage(err);
        } else if (!strcmp(opt, "--mode")) {
            c->modes_all = !strcmp(v, "all");
            c->modes = 0;
            if (!c->modes_all &&
                cli_parse_choices(opt, v, mode_names, 0, &c->modes, err, sizeof err) != 0)
                return bad_usage(err);
        } else if (!strcmp(opt, "--workers")) {
            if (cli_parse_long_list(opt, v, 1, WORKERS_MAX, c->workers, &c->nworkers, err,
                                    sizeof err) != 0)
                return bad_usage(err);
        } else if (!strcmp(opt, "--chunksize")) {
            if (cli_parse_long(opt, v, 1, CHUNK_MAX, &c->chunksize, err, sizeof err) != 0)
                return bad_usage(err);
        } else if (!strcmp(opt, "--size")) {
            if (wl_size_parse(v, &c->size) != 0) {
                snprintf(err, sizeof err,
                         "--size: unknown value '%.40s' (choose from quick, "
                         "default, blog)",
                         v);
                return bad_usage(err);
            }
        } else if (!strcmp(opt, "--repeat")) {
            if (cli_parse_long(opt, v, 1, REPEAT_MAX, &c->repeat, err, sizeof err) != 0)
                return bad_usage(err);
        } else if (!strcmp(opt, "--warmup")) {
            if (cli_parse_long(opt, v, 0, WARMUP_MAX, &c->warmup, err, sizeof err) != 0)
                return bad_usage(err);
        } else if (!strcmp(opt, "--switch-interval")) {
            if (cli_parse_long(opt, v, 1, 10000, &switch_interval_ms, err, sizeof err) != 0)
                return bad_usage(err);
        } else if (!strcmp(opt, "--order")) {
            static const char *const orders[] = {"interleave", "grouped", "random", NULL};
            unsigned mask = 0;
            if (cli_parse_choices(opt, v, orders, 0, &mask, err, sizeof err) != 0)
                return bad_usage(err);
            if (mask & (mask - 1)) return bad_usage("--order: choose one order");
            c->order = mask == 1 ? ORDER_INTERLEAVE : mask == 2 ? ORDER_GROUPED : ORDER_RANDOM;
        } else if (!strcmp(opt, "--resamples")) {
            if (cli_parse_long(opt, v, 1, RESAMPLES_MAX, &c->resamples, err, sizeof err) != 0)
                return bad_usage(err);
        } else if (!strcmp(opt, "--impl")) {
            static const char *const impls[] = {"c", "python", NULL};
            if (cli_parse_choices(opt, v, impls, 1, &c->impls, err, sizeof err) != 0)
                return bad_usage(err);
        } else if (!strcmp(opt, "--out")) {
            c->out = v;
        } else if (!strcmp(opt, "--urls")) {
            if (parse_urls(c, v, err, sizeof err) != 0) return bad_usage(err);
        }
    }
    if (c->workloads == 0) return bad_usage("--workload: nothing to run");
    if (c->out[0] == '\0') return bad_usage("--out: empty folder name");
    if (c->repeat < 0) c->repeat = c->size == WL_BLOG ? 3 : 5;
    if (c->warmup < 0) c->warmup = c->size == WL_BLOG ? 0 : 1;
    if (c->modes_all) {
        c->modes = 0;
        for (int m = 0; m < NMODES; m++)
            if (modes[m].built) c->modes |= 1u << m;
    }
    for (int m = 0; m < NMODES; m++) {
        if ((c->modes >> m & 1) && !modes[m].built) {
            fprintf(stderr, "%s: not built yet\n", modes[m].name);
            return 2;
        }
    }
    if (c->impls == IMPL_PY && !(c->modes & (1u << M_SEQ | 1u << M_THREAD | 1u << M_PROCESS)))
        return bad_usage("--impl python: Python runs the seq, thread and process modes only");
    return 0;
}

/* Does `mode` apply to `wl`? */
static int applies(const workload *wl, int mode) {
    return !modes[mode].async || wl->run_async != NULL;
}

/* Results of one run: res[] and, for executor runs, the copies they point
 * at (cf_map_next's bytes only live until the next call). */
typedef struct collected {
    wl_result *res;
    char **own; /* 2 per task: data copy, message copy */
    size_t n;
} collected;

static void collected_free(collected *c) {
    if (c->own != NULL)
        for (size_t i = 0; i < 2 * c->n; i++)
            free(c->own[i]);
    free(c->own);
    free(c->res);
    memset(c, 0, sizeof *c);
}

static int collected_init(collected *c, size_t n) {
    memset(c, 0, sizeof *c);
    c->n = n;
    c->res = calloc(n ? n : 1, sizeof *c->res);
    c->own = calloc(2 * (n ? n : 1), sizeof *c->own);
    if (c->res == NULL || c->own == NULL) {
        collected_free(c);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        c->res[i].status = CF_ECANCELLED;
        c->res[i].msg = "no result collected";
    }
    return 0;
}

/* Maps every input through a fresh executor, as `with Executor() as ex:
 * list(ex.map(...))` would. Returns 0, or -1 with err set if the pool
 * could not start (task failures are not errors here: verify counts
 * them). */
static int run_pool(const mode_info *m, int workers, long chunksize, wl_plan *plan, collected *col,
                    cf_times *times, char *err, size_t errlen) {
    cf_options o = CF_OPTIONS_INIT;
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    cf_executor *ex = NULL;
    cf_map_iter *map = NULL;
    unsigned char *seen = NULL;
    int rc = -1;

    o.max_workers = workers;
    o.trace = times != NULL;
    if (m->tune != NULL) m->tune(&o);
    mo.chunksize = (int)chunksize;
    /* The sequential executor runs a task when it is submitted: a lazy map
     * submits one chunk at a time, so a ^C stops it between tasks. */
    if (m->kind == CF_SEQUENTIAL) mo.buffersize = 1;
    seen = calloc(plan->n ? plan->n : 1, 1);
    if (seen == NULL) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    int e = cf_executor_new(m->kind, &o, &ex);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the %s executor: %s", m->name, cf_strerror(e));
        goto cleanup;
    }
    set_current(ex);
    e = cf_map_array(ex, plan->task, (const void *const *)plan->in, plan->in_len, plan->n, &mo,
                     &map);
    if (e != 0) {
        snprintf(err, errlen, "map failed: %s", cf_strerror(e));
        goto cleanup;
    }
    /* At most n results; the guard on `seen` stops an iterator that would
     * report the same failed item forever. */
    for (size_t k = 0; k <= plan->n; k++) {
        const void *data;
        size_t len;
        e = cf_map_next(map, &data, &len);
        if (e == CF_EOF) break;
        size_t i = cf_map_index(map);
        if (i >= plan->n || seen[i]) break;
        seen[i] = 1;
        if (times != NULL) (void)cf_map_times(map, &times[i]);
        wl_result *r = &col->res[i];
        if (e == 0) {
            char *copy = malloc(len + 1);
            if (copy == NULL) {
                r->status = CF_ENOMEM;
                r->msg = "out of memory copying the result";
                continue;
            }
            memcpy(copy, data, len);
            copy[len] = '\0';
            col->own[2 * i] = copy;
            r->status = 0;
            r->data = copy;
            r->len = len;
            r->msg = "";
        } else {
            const char *msg = NULL;
            int st = e == CF_ETASK ? cf_map_error(map, &msg) : 0;
            r->status = st != 0 ? st : e;
            col->own[2 * i + 1] = strdup(msg && *msg ? msg : cf_strerror(e));
            r->msg = col->own[2 * i + 1] ? col->own[2 * i + 1] : "";
        }
    }
    rc = 0;

cleanup:
    cf_map_free(map);
    if (ex != NULL) {
        set_current(NULL);
        (void)cf_executor_shutdown(ex, 1, 0);
        cf_executor_free(ex);
    }
    free(seen);
    return rc;
}

/* One timed run of `wl` in mode m. Returns 0 (out filled), or -1 with err
 * set if it could not run at all. */
static int run_once(const workload *wl, wl_plan *plan, int mode, int workers, long chunksize,
                    run_result *out, char *err, size_t errlen) {
    const mode_info *m = &modes[mode];
    collected col;
    bench_timer t;
    char verr[256] = "";
    int rc = -1;

    /* The trace buffers are the caller's: keep them across the reset. */
    cf_times *times = out->times;
    unsigned char *task_ok = out->task_ok;
    memset(out, 0, sizeof *out);
    out->times = times;
    out->task_ok = task_ok;
    if (times != NULL) memset(times, 0, plan->n * sizeof *times);
    if (collected_init(&col, plan->n) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (timer_start(&t) != 0) {
        snprintf(err, errlen, "clock: %s", strerror(errno));
        goto cleanup;
    }
    out->t0_ns = timer_start_ns(&t);
    if (m->async) {
        /* The async bytes belong to the plan; col.own stays empty. With
         * --trace the workload stamps each transfer. */
        if (wl->run_async(plan, workers, col.res, out->times, err, errlen) != 0) goto cleanup;
    } else if (run_pool(m, workers, chunksize, plan, &col, out->times, err, errlen) != 0) {
        goto cleanup;
    }
    if (timer_stop(&t, &out->t) != 0) {
        snprintf(err, errlen, "clock: %s", strerror(errno));
        goto cleanup;
    }
    out->verified = wl->verify(plan, col.res, out->digest, &out->failed, verr, sizeof verr) == 0;
    for (size_t i = 0; task_ok != NULL && i < plan->n; i++)
        task_ok[i] = col.res[i].status == 0;
    if (!out->verified)
        snprintf(out->first_error, sizeof out->first_error, "%s", verr);
    else
        for (size_t i = 0; i < plan->n; i++)
            if (col.res[i].status != 0) {
                snprintf(out->first_error, sizeof out->first_error, "task %zu: %s", i,
                         col.res[i].msg && *col.res[i].msg ? col.res[i].msg
                                                           : cf_strerror(col.res[i].status));
                break;
            }
    rc = 0;

cleanup:
    collected_free(&col);
    return rc;
}

/* Records one timed rep of g: its wall and CPU time and, traced, each
 * task's queue wait, run time and hand-back in µs. Returns 0 or -1. */
static int group_add(group *g, const run_result *r) {
    double *grown = realloc(g->wall, (g->n + 1) * sizeof *grown);
    if (grown == NULL) return -1;
    g->wall = grown;
    grown = realloc(g->cpu, (g->n + 1) * sizeof *grown);
    if (grown == NULL) return -1;
    g->cpu = grown;
    g->wall[g->n] = r->t.wall_ms;
    g->cpu[g->n++] = r->t.user_ms + r->t.sys_ms;
    if (r->times == NULL || g->tasks == 0) return 0;
    for (int k = 0; k < 3; k++) {
        grown = realloc(g->lat[k], (g->nlat + g->tasks) * sizeof *grown);
        if (grown == NULL) return -1;
        g->lat[k] = grown;
    }
    for (size_t i = 0; i < g->tasks; i++, g->nlat++) {
        const cf_times *t = &r->times[i];
        g->lat[0][g->nlat] = (double)(t->start - t->submit) / 1e3;
        g->lat[1][g->nlat] = (double)(t->end - t->start) / 1e3;
        g->lat[2][g->nlat] = (double)(t->collect - t->end) / 1e3;
    }
    return 0;
}

/* Summarizes a workload's groups g[0..n): stats, and speedups against its
 * seq group if there is one. */
static void summarize(const run_config *c, group *g, size_t n) {
    const group *seq = NULL;
    int cores = cf_default_workers(CF_PROCESS);
    for (size_t i = 0; i < n; i++) {
        g[i].speedup = g[i].speedup_err = NAN;
        g[i].speedup_lo = g[i].speedup_hi = g[i].util = NAN;
        g[i].notes[0] = '\0';
        for (int k = 0; k < 3; k++)
            (void)stats_percentiles(g[i].lat[k], g[i].nlat, &g[i].pct[k]);
        if (g[i].n > 0) {
            /* Utilization: the share of the cores the pool could use that
             * the run kept busy. */
            double *u = malloc(g[i].n * sizeof *u);
            double p = g[i].workers < cores ? g[i].workers : cores;
            for (size_t k = 0; u != NULL && k < g[i].n; k++)
                u[k] = g[i].wall[k] > 0.0 ? g[i].cpu[k] / (g[i].wall[k] * (p > 0 ? p : 1)) : 0.0;
            stats_pcts up;
            if (u != NULL && stats_percentiles(u, g[i].n, &up) == 0) g[i].util = up.p50;
            free(u);
        }
        g[i].summarized = g[i].n > 0 && stats_summarize(g[i].wall, g[i].n, &g[i].st) == 0;
        if (g[i].summarized && g[i].mode == M_SEQ) seq = &g[i];
    }
    for (size_t i = 0; seq != NULL && i < n; i++) {
        if (!g[i].summarized) continue;
        if (&g[i] == seq) {
            /* Against itself: exactly 1, with no error. */
            g[i].speedup = 1.0;
            g[i].speedup_err = 0.0;
        } else {
            (void)stats_speedup(&seq->st, &g[i].st, &g[i].speedup, &g[i].speedup_err);
            /* Seeded by position, so one result set gives one interval. */
            (void)stats_bootstrap_ratio(seq->wall, seq->n, g[i].wall, g[i].n, (size_t)c->resamples,
                                        0.95, 1000 + i, &g[i].speedup_lo, &g[i].speedup_hi);
        }
    }
    for (size_t i = 0; seq != NULL && i < n; i++)
        if (&g[i] == seq) g[i].speedup_lo = g[i].speedup_hi = 1.0;
    for (size_t i = 0; i < n; i++) {
        if (!g[i].summarized) continue;
        const mode_info *m = &modes[g[i].mode];
        stats_note_input in = {0};
        /* The probe measures this library's pools: not Python's. */
        in.pool = !m->async && g[i].mode != M_SEQ && g[i].impl == 0;
        in.workers = g[i].workers;
        in.cores = cores;
        in.speedup = g[i].speedup;
        in.mean = g[i].st.mean;
        in.stddev = g[i].st.stddev;
        in.reps = g[i].n;
        in.slow_first = g[i].st.slow_first;
        in.task_us = in.pool_cost_us = NAN;
        if (seq != NULL && g[i].tasks > 0) {
            /* CPU-bound: the sequential run kept its one core busy. */
            in.cpu_bound = seq->util >= 0.8;
            in.task_us = seq->st.median * 1e3 / (double)g[i].tasks;
            /* Only tiny tasks can lose to the pool: measure only then. */
            if (in.pool && in.task_us < 1000.0) {
                cf_options o = CF_OPTIONS_INIT;
                o.max_workers = g[i].workers;
                if (m->tune != NULL) m->tune(&o);
                in.pool_cost_us = probe_pool_cost_us(m->kind, &o, (int)g[i].chunksize);
            }
        }
        (void)stats_notes(&in, g[i].notes, sizeof g[i].notes);
    }
}

/* A group's mode as people read it: Python's rows are "py-thread" etc. */
static const char *group_mode(const group *g) {
    static const char *const py[NMODES] = {
        [M_SEQ] = "py-seq", [M_THREAD] = "py-thread", [M_PROCESS] = "py-process"};
    return g->impl && py[g->mode] != NULL ? py[g->mode] : modes[g->mode].name;
}

/* Below the table: the latency breakdown of traced runs, then each
 * point's teaching notes. */
static void print_details(const run_config *c, const group *g, size_t n) {
    table_latency_row lat[NMODES * CLI_LIST_MAX];
    size_t k = 0;
    for (size_t i = 0; c->trace && i < n && k < sizeof lat / sizeof lat[0]; i++) {
        if (!g[i].summarized || g[i].nlat == 0) continue;
        table_latency_row *r = &lat[k++];
        r->mode = modes[g[i].mode].name;
        r->workers = g[i].workers;
        const stats_pcts *p = g[i].pct;
        double *dst[3] = {r->queue, r->run, r->back};
        for (int j = 0; j < 3; j++) {
            dst[j][0] = p[j].p50;
            dst[j][1] = p[j].p95;
            dst[j][2] = p[j].p99;
        }
    }
    table_print_latency(stdout, lat, k);
    for (size_t i = 0; i < n; i++)
        if (g[i].summarized && g[i].notes[0])
            printf("  note: %s x%d: %s\n", group_mode(&g[i]), g[i].workers, g[i].notes);
}

static void print_table(const run_config *c, const workload *wl, const wl_plan *plan, group *g,
                        size_t n) {
    table_row rows[NMODES * CLI_LIST_MAX];
    size_t k = 0, outl = 0, slow = 0;
    char title[256];

    for (size_t i = 0; i < n && k < sizeof rows / sizeof rows[0]; i++) {
        if (!g[i].summarized) continue;
        rows[k++] = (table_row){group_mode(&g[i]), g[i].workers,    g[i].n,
                                g[i].st.median,    g[i].st.stddev,  g[i].speedup,
                                g[i].st.outliers,  g[i].speedup_lo, g[i].speedup_hi};
        outl += g[i].st.outliers > 0;
        slow += g[i].st.slow_first;
    }
    if (k == 0) return;
    snprintf(title, sizeof title, "%s (%s: %s)", wl->name, wl_size_name(c->size), plan->label);
    table_print(stdout, title, rows, k, table_use_color(stdout));
    if (slow > 0)
        printf("  warning: the first timed run was the slowest by far in %zu "
               "row%s; try --warmup %ld\n",
               slow, slow > 1 ? "s" : "", c->warmup + 1);
    if (outl > slow)
        printf("  warning: outliers (beyond 1.5 IQR) in %zu row%s; try "
               "--warmup %ld or --repeat %ld, and a quieter machine\n",
               outl, outl > 1 ? "s" : "", c->warmup + 1, c->repeat * 2);
    print_details(c, g, n);
    printf("\n");
    fflush(stdout);
}

/* %.3f, or "" for NaN so that the CSV stays loadable. */
static void fmt_num(char *buf, size_t len, double v) {
    if (isnan(v))
        buf[0] = '\0';
    else
        snprintf(buf, len, "%.3f", v);
}

static int write_summary(const run_config *c, group *g, size_t n, char *err, size_t errlen) {
    char path[4096];
    atomic_file af;

    if ((size_t)snprintf(path, sizeof path, "%s/summary.csv", c->out) >= sizeof path) {
        snprintf(err, errlen, "%s: path too long", c->out);
        return -1;
    }
    if (atomic_open(&af, path, err, errlen) != 0) return -1;
    fprintf(af.f, "%s\n", SUMMARY_HEADER);
    for (size_t i = 0; i < n; i++) {
        char f[9][32], x[12][32];
        if (!g[i].summarized) continue;
        fmt_num(x[0], 32, g[i].speedup_lo);
        fmt_num(x[1], 32, g[i].speedup_hi);
        fmt_num(x[2], 32, g[i].util);
        for (int k = 0; k < 3; k++) {
            fmt_num(x[3 + 3 * k], 32, g[i].pct[k].p50);
            fmt_num(x[4 + 3 * k], 32, g[i].pct[k].p95);
            fmt_num(x[5 + 3 * k], 32, g[i].pct[k].p99);
        }
        snprintf(f[0], 32, "%.3f", g[i].st.mean);
        snprintf(f[1], 32, "%.3f", g[i].st.stddev);
        snprintf(f[2], 32, "%.3f", g[i].st.median);
        snprintf(f[3], 32, "%.3f", g[i].st.min);
        snprintf(f[4], 32, "%.3f", g[i].st.max);
        fmt_num(f[5], 32, g[i].speedup);
        fmt_num(f[6], 32, g[i].speedup_err);
        fprintf(af.f, "%s,%s,%s,%d,%ld,%s,%zu,%zu,%s,%s,%s,%s,%s,%s,%s,%zu", impl_names[g[i].impl],
                g[i].wl->name, modes[g[i].mode].name, g[i].workers, g[i].chunksize,
                wl_size_name(c->size), g[i].tasks, g[i].n, f[0], f[1], f[2], f[3], f[4], f[5], f[6],
                g[i].st.outliers);
        /* The new columns after the old ones, notes last (quoted if need be). */
        for (int k = 0; k < 12; k++)
            fprintf(af.f, ",%s", x[k]);
        fputc(',', af.f);
        (void)csv_write_field(af.f, g[i].notes);
        fputc('\n', af.f);
    }
    if (ferror(af.f)) {
        snprintf(err, errlen, "%.300s: write failed", path);
        atomic_abort(&af);
        return -1;
    }
    return atomic_commit(&af, err, errlen);
}

static void json_num(double v) {
    if (isnan(v))
        printf("null");
    else
        printf("%.3f", v);
}

static void print_json(const run_config *c, const group *g, size_t n) {
    int first = 1;
    printf("[");
    for (size_t i = 0; i < n; i++) {
        if (!g[i].summarized) continue;
        /* Names come from our own tables: nothing to escape. */
        printf("%s\n  {\"impl\": \"%s\", \"workload\": \"%s\", \"mode\": "
               "\"%s\", \"workers\": %d, \"chunksize\": %ld, \"size\": "
               "\"%s\", \"tasks\": %zu, \"reps\": %zu, ",
               first ? "" : ",", impl_names[g[i].impl], g[i].wl->name, modes[g[i].mode].name,
               g[i].workers, g[i].chunksize, wl_size_name(c->size), g[i].tasks, g[i].n);
        printf("\"mean_ms\": ");
        json_num(g[i].st.mean);
        printf(", \"stddev_ms\": ");
        json_num(g[i].st.stddev);
        printf(", \"median_ms\": ");
        json_num(g[i].st.median);
        printf(", \"min_ms\": ");
        json_num(g[i].st.min);
        printf(", \"max_ms\": ");
        json_num(g[i].st.max);
        printf(", \"speedup\": ");
        json_num(g[i].speedup);
        printf(", \"speedup_err\": ");
        json_num(g[i].speedup_err);
        printf(", \"speedup_lo\": ");
        json_num(g[i].speedup_lo);
        printf(", \"speedup_hi\": ");
        json_num(g[i].speedup_hi);
        printf(", \"util\": ");
        json_num(g[i].util);
        printf(", \"outliers\": %zu}", g[i].st.outliers);
        first = 0;
    }
    printf("%s]\n", first ? "" : "\n");
    fflush(stdout);
}

/* The pool size a (workload, mode) point runs with when the user gave no
 * --workers: Python's defaults, one thread per file for downloads (the
 * blog sized its pool to the URL list) and every transfer at once for
 * async. */
static int default_workers(const workload *wl, int mode, const wl_plan *plan) {
    const mode_info *m = &modes[mode];
    if (mode == M_SEQ) return 1;
    if (m->async) return (int)(plan->n > WORKERS_MAX ? WORKERS_MAX : plan->n);
    if (m->kind == CF_THREAD && wl->run_async != NULL && plan->n > 0)
        return (int)(plan->n > WORKERS_MAX ? WORKERS_MAX : plan->n);
    return cf_default_workers(m->kind);
}

/* State shared by the runs of one invocation. */
typedef struct bench_ctx {
    const run_config *c;
    FILE *csv;
    FILE *tasks_csv; /* --trace: tasks.csv, else NULL */
    cf_times *times; /* --trace: one run's per-task times */
    unsigned char *task_ok;
    size_t ntimes; /* capacity of times/task_ok */
    char run_prefix[64];
    size_t run_seq;
    progress prog;
    int failed;    /* a run failed or disagreed */
    int csv_error; /* bench.csv could not be written (said once) */
    group *groups;
    size_t ngroups, cap;
    char py_exe[256], py_root[4096]; /* --impl python: bench/python.c */
    const char *base_url;            /* download: the server run_workload started */
    char dl_dir[4096];               /* download: where files go */
} bench_ctx;

static group *new_group(bench_ctx *b, const workload *wl, int mode, int workers, long chunksize,
                        size_t tasks) {
    if (b->ngroups == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        group *grown = realloc(b->groups, cap * sizeof *grown);
        if (grown == NULL) return NULL;
        b->groups = grown;
        b->cap = cap;
    }
    group *g = &b->groups[b->ngroups++];
    memset(g, 0, sizeof *g);
    g->wl = wl;
    g->mode = mode;
    g->workers = workers;
    g->chunksize = chunksize;
    g->tasks = tasks;
    return g;
}

/* Writes a traced run's tasks to tasks.csv under its run_id: times in µs
 * from the run's start. Returns 0 or -1 (errno). */
static int append_tasks(bench_ctx *b, const group *g, long rep, const char *run_id,
                        const run_result *r) {
    for (size_t i = 0; i < g->tasks; i++) {
        const cf_times *t = &r->times[i];
        double us[4] = {(double)(t->submit - r->t0_ns) / 1e3, (double)(t->start - r->t0_ns) / 1e3,
                        (double)(t->end - r->t0_ns) / 1e3, (double)(t->collect - r->t0_ns) / 1e3};
        if (fprintf(b->tasks_csv, "%s,%s,%s,%s,%d,%ld,%ld,%zu,%d,%.3f,%.3f,%.3f,%.3f,%d\n", run_id,
                    impl_names[g->impl], g->wl->name, modes[g->mode].name, g->workers, g->chunksize,
                    rep, i, t->worker, us[0], us[1], us[2], us[3], r->task_ok[i]) < 0)
            return -1;
    }
    return fflush(b->tasks_csv) == 0 ? 0 : -1;
}

static int append_row(bench_ctx *b, const group *g, long rep, const run_result *r, int ok) {
    char f[18][80];
    const char *fields[18];
    const run_config *c = b->c;

    snprintf(f[0], 80, "%s-%zu", b->run_prefix, ++b->run_seq);
    snprintf(f[1], 80, "%s", impl_names[g->impl]);
    snprintf(f[2], 80, "%s", g->wl->name);
    snprintf(f[3], 80, "%s", modes[g->mode].name);
    snprintf(f[4], 80, "%d", g->workers);
    snprintf(f[5], 80, "%ld", g->chunksize);
    snprintf(f[6], 80, "%zu", g->tasks);
    snprintf(f[7], 80, "%s", wl_size_name(c->size));
    snprintf(f[8], 80, "%ld", rep);
    snprintf(f[9], 80, "%.3f", r->t.wall_ms);
    snprintf(f[10], 80, "%.3f", r->t.user_ms);
    snprintf(f[11], 80, "%.3f", r->t.sys_ms);
    snprintf(f[12], 80, "%ld", r->t.max_rss_kb);
    snprintf(f[13], 80, "%d", ok);
    snprintf(f[14], 80, "%zu", r->failed);
    snprintf(f[15], 80, "%s", r->digest);
    snprintf(f[16], 80, "%ld", r->t.vol_cs);
    snprintf(f[17], 80, "%ld", r->t.invol_cs);
    for (int i = 0; i < 18; i++)
        fields[i] = f[i];
    if (csv_write_row(b->csv, fields, 18) != 0) return -1;
    if (b->tasks_csv != NULL && r->times != NULL && append_tasks(b, g, rep, f[0], r) != 0) {
        fprintf(stderr, "cfbench run: %s/tasks.csv: %s\n", c->out, strerror(errno));
        b->failed = 1;
    }
    return 0;
}

/* Appends the run's row to bench.csv and adds it to its group. Returns -1
 * if the group could not take it (out of memory); a CSV error is reported
 * once, and the run still counts in the summary. */
static int record_run(bench_ctx *b, group *g, long rep, const run_result *r, int ok) {
    if (append_row(b, g, rep, r, ok) != 0) {
        progress_clear(&b->prog);
        if (!b->csv_error)
            fprintf(stderr, "cfbench run: %s/bench.csv: %s\n", b->c->out, strerror(errno));
        b->csv_error = 1;
        b->failed = 1;
    }
    if (group_add(g, r) != 0) {
        fprintf(stderr, "cfbench run: out of memory\n");
        b->failed = 1;
        return -1;
    }
    return 0;
}

/* Runs run k (warmups first, then reps) of the point b->groups[gi],
 * recording it if it is a rep. `ref` is the reference digest ("" until
 * known: the first seq run sets it). A point that cannot run is marked
 * dead and skipped from then on. */
static void run_step(bench_ctx *b, size_t gi, wl_plan *plan, long k, char ref[65]) {
    const run_config *c = b->c;
    group *g = &b->groups[gi];
    const workload *wl = g->wl;
    int mode = g->mode, workers = g->workers;
    long chunk = g->chunksize;
    char err[256], label[96];

    if (g->dead || stop_signal) return;
    {
        int warm = k < c->warmup;
        long rep = k - c->warmup + 1;
        run_result r;

        if (warm)
            snprintf(label, sizeof label, "%s %s x%d warmup", wl->name, modes[mode].name, workers);
        else
            snprintf(label, sizeof label, "%s %s x%d rep %ld/%ld", wl->name, modes[mode].name,
                     workers, rep, c->repeat);
        progress_show(&b->prog, label);
        memset(&r, 0, sizeof r);
        r.times = warm ? NULL : b->times;
        r.task_ok = warm ? NULL : b->task_ok;
        int rc = run_once(wl, plan, mode, workers, chunk, &r, err, sizeof err);
        progress_step(&b->prog);
        if (rc != 0) {
            progress_clear(&b->prog);
            fprintf(stderr, "cfbench run: %s %s x%d: %s\n", wl->name, modes[mode].name, workers,
                    err);
            b->failed = 1;
            g->dead = 1; /* the next reps would fail the same way */
            return;
        }
        /* A run the signal cut short measured nothing worth keeping. */
        if (stop_signal && (r.failed > 0 || !r.verified)) return;
        if (ref[0] == '\0' && mode == M_SEQ) memcpy(ref, r.digest, 65);
        int ok = r.verified && (ref[0] == '\0' || !strcmp(ref, r.digest));
        if (!ok || r.failed > 0) {
            progress_clear(&b->prog);
            if (!r.verified)
                fprintf(stderr, "cfbench run: %s %s x%d: wrong result: %s\n", wl->name,
                        modes[mode].name, workers, r.first_error);
            else if (!ok)
                fprintf(stderr,
                        "cfbench run: %s %s x%d: digest %.12s differs from "
                        "seq's %.12s (%zu failed task%s%s%s)\n",
                        wl->name, modes[mode].name, workers, r.digest, ref, r.failed,
                        r.failed == 1 ? "" : "s", r.first_error[0] ? "; " : "", r.first_error);
            else if (!c->quiet)
                fprintf(stderr,
                        "cfbench run: note: %s %s x%d: %zu failed "
                        "task%s, as in seq (%s)\n",
                        wl->name, modes[mode].name, workers, r.failed, r.failed == 1 ? "" : "s",
                        r.first_error);
        }
        if (!ok) b->failed = 1;
        if (warm) return;
        if (record_run(b, g, rep, &r, ok) != 0) g->dead = 1;
    }
}

/* Adds the point (wl, mode, workers) to b->groups. Returns 0 or -1. */
static int add_point(bench_ctx *b, const workload *wl, const wl_plan *plan, int mode, int workers) {
    long chunk = modes[mode].async || mode == M_SEQ ? 1 : b->c->chunksize;
    if (new_group(b, wl, mode, workers, chunk, plan->n) != NULL) return 0;
    fprintf(stderr, "cfbench run: out of memory\n");
    b->failed = 1;
    return -1;
}

/* Runs every run of the points b->groups[first..first+n) in the order
 * --order asks for. */
static void run_points(bench_ctx *b, wl_plan *plan, size_t first, size_t n, char ref[65]) {
    const run_config *c = b->c;
    long rounds = c->warmup + c->repeat;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    gsl_rng *rng = NULL;

    if (order == NULL ||
        (c->order == ORDER_RANDOM && (rng = gsl_rng_alloc(gsl_rng_mt19937)) == NULL)) {
        fprintf(stderr, "cfbench run: out of memory\n");
        b->failed = 1;
        goto cleanup;
    }
    if (rng != NULL) gsl_rng_set(rng, (unsigned long)time(NULL) ^ (unsigned long)getpid());
    for (size_t i = 0; i < n; i++)
        order[i] = first + i;
    if (c->order == ORDER_GROUPED) {
        for (size_t i = 0; i < n && !stop_signal; i++)
            for (long k = 0; k < rounds && !stop_signal; k++)
                run_step(b, order[i], plan, k, ref);
        goto cleanup;
    }
    for (long k = 0; k < rounds && !stop_signal; k++) {
        if (rng != NULL) {
            gsl_ran_shuffle(rng, order, n, sizeof *order);
            /* Until seq has run, it goes first: its digest checks the rest. */
            for (size_t i = 0; ref[0] == '\0' && i < n; i++)
                if (b->groups[order[i]].mode == M_SEQ) {
                    size_t t = order[0];
                    order[0] = order[i];
                    order[i] = t;
                    break;
                }
        }
        for (size_t i = 0; i < n && !stop_signal; i++)
            run_step(b, order[i], plan, k, ref);
    }

cleanup:
    gsl_rng_free(rng);
    free(order);
}

/* Runs one point with Python's concurrent.futures (one runner process for
 * its warmups and reps, bench/python.c) and records each rep as an
 * impl=python row. A rep is ok only if the C verifier accepts the Python
 * results and its digest equals both the verified one and `ref` (the C
 * seq run's): identical work. */
static void run_python_point(bench_ctx *b, const workload *wl, wl_plan *plan, int mode, int workers,
                             const char ref[65]) {
    const run_config *c = b->c;
    long chunk = mode == M_SEQ ? 1 : c->chunksize;
    py_point p = {modes[mode].name,
                  workers,
                  chunk,
                  c->repeat,
                  c->warmup,
                  wl_size_name(c->size),
                  (const char *const *)c->urls,
                  c->nurls,
                  b->base_url,
                  b->dl_dir};
    py_outcome o;
    char err[256], label[96];
    group *g = new_group(b, wl, mode, workers, chunk, plan->n);

    if (g == NULL) {
        fprintf(stderr, "cfbench run: out of memory\n");
        b->failed = 1;
        return;
    }
    g->impl = 1;
    snprintf(label, sizeof label, "%s %s x%d (python)", wl->name, group_mode(g), workers);
    progress_show(&b->prog, label);
    int rc = py_run_point(b->py_exe, b->py_root, wl, plan, &p, &o, err, sizeof err);
    for (long k = 0; k < c->warmup + c->repeat; k++)
        progress_step(&b->prog);
    if (rc != 0) {
        progress_clear(&b->prog);
        fprintf(stderr, "cfbench run: %s %s x%d: %s\n", wl->name, group_mode(g), workers, err);
        b->failed = 1;
        return;
    }
    for (size_t k = 0; k < o.nreps; k++) {
        const py_rep *pr = &o.reps[k];
        run_result r;
        memset(&r, 0, sizeof r);
        r.t = (bench_times){.wall_ms = pr->wall_ms,
                            .user_ms = pr->user_ms,
                            .sys_ms = pr->sys_ms,
                            .max_rss_kb = pr->max_rss_kb,
                            .vol_cs = pr->vol_cs,
                            .invol_cs = pr->invol_cs};
        r.failed = pr->failed;
        r.verified = o.verified;
        memcpy(r.digest, pr->digest, sizeof r.digest);
        int ok = o.verified && !strcmp(pr->digest, o.digest) &&
                 (ref[0] == '\0' || !strcmp(ref, pr->digest));
        if (!ok && k == 0) {
            progress_clear(&b->prog);
            if (!o.verified)
                fprintf(stderr, "cfbench run: %s %s x%d: wrong result: %s\n", wl->name,
                        group_mode(g), workers, o.first_error);
            else
                fprintf(stderr,
                        "cfbench run: %s %s x%d: digest %.12s differs from C seq's %.12s "
                        "(%zu failed task%s%s%s)\n",
                        wl->name, group_mode(g), workers, pr->digest, ref, pr->failed,
                        pr->failed == 1 ? "" : "s", o.first_error[0] ? "; " : "", o.first_error);
        } else if (ok && k == 0 && pr->failed > 0 && !c->quiet) {
            progress_clear(&b->prog);
            fprintf(stderr, "cfbench run: note: %s %s x%d: %zu failed task%s, as in C seq (%s)\n",
                    wl->name, group_mode(g), workers, pr->failed, pr->failed == 1 ? "" : "s",
                    o.first_error);
        }
        if (!ok) b->failed = 1;
        if (record_run(b, g, pr->rep, &r, ok) != 0) break;
    }
    py_outcome_free(&o);
}

/* The Python points of one workload, after the C ones: seq, thread and
 * process as asked, with the C run's worker counts and chunksize. */
static void run_python(bench_ctx *b, const workload *wl, wl_plan *plan, const char ref[65]) {
    const run_config *c = b->c;
    for (int m = 0; m < NMODES && !stop_signal; m++) {
        if (!(c->py_modes & 1u << m)) continue;
        if (m == M_SEQ || c->nworkers == 0) {
            run_python_point(b, wl, plan, m, default_workers(wl, m, plan), ref);
            continue;
        }
        for (size_t w = 0; w < c->nworkers && !stop_signal; w++)
            run_python_point(b, wl, plan, m, (int)c->workers[w], ref);
    }
}

/* Speedups are per implementation: C rows against C's seq median, Python
 * rows against Python's (its groups follow C's). The teaching notes weigh
 * this library's pool cost, so Python rows carry none. */
static void summarize_impls(const run_config *c, group *g, size_t n) {
    size_t k = 0;
    while (k < n && g[k].impl == 0)
        k++;
    summarize(c, g, k);
    summarize(c, g + k, n - k);
    for (size_t i = k; i < n; i++)
        g[i].notes[0] = '\0';
}

/* Prepares one workload and runs all its points; seq first. */
static void run_workload(bench_ctx *b, const workload *wl) {
    const run_config *c = b->c;
    wl_params p;
    wl_plan plan;
    char err[256], ref[65] = "";
    size_t first_group = b->ngroups;

    served srv = {{0, -1}, ""};
    dl_link link;

    memset(&p, 0, sizeof p);
    memset(&plan, 0, sizeof plan);
    p.size = c->size;
    /* Downloads land inside --out, never in the working folder. */
    snprintf(b->dl_dir, sizeof b->dl_dir, "%s/downloads", c->out);
    p.out_dir = b->dl_dir;
    p.urls = (const char *const *)c->urls;
    p.nurls = c->nurls;
    progress_show(&b->prog, "preparing");
    /* Without URLs, download fetches from a loopback server started here
     * with the size's link and handed over as a base URL. */
    if (wl == workload_find("download") && c->urls == NULL && dl_link_for(c->size, &link) == 0) {
        srv_options o = {0, link.ttfb_ms, link.rate, link.file_size};
        if (serve_start("/proc/self/exe", &o, &srv, err, sizeof err) != 0) goto failed;
        p.base_url = srv.base_url;
    }
    b->base_url = p.base_url;
    if (wl->prepare(&p, &plan, err, sizeof err) != 0) goto failed;
    if (!(c->modes & 1u << M_SEQ) && !c->no_reference && !stop_signal) {
        run_result r;
        memset(&r, 0, sizeof r);
        progress_show(&b->prog, "reference seq pass");
        if (run_once(wl, &plan, M_SEQ, 1, 1, &r, err, sizeof err) != 0) {
            progress_clear(&b->prog);
            fprintf(stderr, "cfbench run: %s seq reference: %s\n", wl->name, err);
            b->failed = 1;
        } else {
            memcpy(ref, r.digest, 65);
        }
        progress_step(&b->prog);
    }
    /* Seq first: in interleaved and grouped order its first run sets the
     * reference digest before any other mode is checked. */
    int added = 0;
    for (int m = 0; m < NMODES && added == 0; m++) {
        if (!(c->modes & 1u << m) || !applies(wl, m)) continue;
        if (m == M_SEQ || c->nworkers == 0) {
            added = add_point(b, wl, &plan, m, default_workers(wl, m, &plan));
            continue;
        }
        for (size_t w = 0; w < c->nworkers && added == 0; w++)
            added = add_point(b, wl, &plan, m, (int)c->workers[w]);
    }
    if (c->trace && plan.n > b->ntimes) {
        free(b->times);
        free(b->task_ok);
        b->times = calloc(plan.n, sizeof *b->times);
        b->task_ok = calloc(plan.n, 1);
        b->ntimes = b->times && b->task_ok ? plan.n : 0;
        if (b->ntimes == 0) {
            fprintf(stderr, "cfbench run: out of memory\n");
            b->failed = 1;
            added = -1;
        }
    }
    if (added == 0) run_points(b, &plan, first_group, b->ngroups - first_group, ref);
    if (c->py_modes != 0 && !stop_signal) run_python(b, wl, &plan, ref);
    progress_clear(&b->prog);
    summarize_impls(c, b->groups + first_group, b->ngroups - first_group);
    if (!c->quiet && !c->json)
        print_table(c, wl, &plan, b->groups + first_group, b->ngroups - first_group);
    wl->release(&plan);
    serve_stop(&srv);
    return;

failed:
    progress_clear(&b->prog);
    fprintf(stderr, "cfbench run: %s: %s\n", wl->name, err);
    b->failed = 1;
    serve_stop(&srv);
}

/* How many runs the progress bar counts. */
static size_t count_runs(const run_config *c) {
    const workload *const *all = workload_all();
    size_t total = 0;
    for (size_t i = 0; all[i] != NULL; i++) {
        if (!(c->workloads & 1u << i)) continue;
        if (!(c->modes & 1u << M_SEQ) && !c->no_reference) total++;
        for (int m = 0; m < NMODES; m++) {
            if (!(c->modes & 1u << m) || !applies(all[i], m)) continue;
            size_t points = m == M_SEQ || c->nworkers == 0 ? 1 : c->nworkers;
            total += points * (size_t)(c->warmup + c->repeat);
        }
        for (int m = 0; m < NMODES; m++) /* Python's points */
            if (c->py_modes & 1u << m)
                total += (m == M_SEQ || c->nworkers == 0 ? 1 : c->nworkers) *
                         (size_t)(c->warmup + c->repeat);
    }
    return total;
}

/* Checks that the chosen modes leave something to run; notes skipped
 * async. Returns 0 or 2 (printed). */
static int check_plan(const run_config *c) {
    const workload *const *all = workload_all();
    char skipped[128] = "";
    int any = 0;

    for (size_t i = 0; all[i] != NULL; i++) {
        if (!(c->workloads & 1u << i)) continue;
        for (int m = 0; m < NMODES; m++) {
            if (!(c->modes & 1u << m)) continue;
            if (applies(all[i], m)) {
                any = 1;
            } else if (!c->modes_all) {
                size_t used = strlen(skipped);
                snprintf(skipped + used, sizeof skipped - used, "%s%s", used ? ", " : "",
                         all[i]->name);
            }
        }
    }
    if (!any)
        return bad_usage("--mode: async applies only to the download "
                         "workload; nothing to run");
    if (skipped[0] && !c->quiet)
        fprintf(stderr,
                "cfbench run: note: async applies only to download; "
                "skipped for %s\n",
                skipped);
    if (c->nurls > 0 && !(c->workloads & 1u) && !c->quiet)
        fprintf(stderr, "cfbench run: note: --urls applies only to download\n");
    return 0;
}

/* Starts the watcher and installs the handler; *watcher is joined by
 * stop_signals(). SA_RESTART: blocking calls carry on; pool workers ignore
 * SIGINT (lib/process_pool.c), so a ^C sent to the whole terminal group
 * does not kill them mid-task. */
static int install_signals(pthread_t *watcher) {
    struct sigaction sa;
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    /* Only the write end must never block (in the handler). */
    if (fcntl(sig_pipe[0], F_SETFL, 0) != 0) return -1;
    if (pthread_create(watcher, NULL, sig_watch, NULL) != 0) return -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    return 0;
}

static void stop_signals(pthread_t watcher) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    close(sig_pipe[1]);
    pthread_join(watcher, NULL);
    close(sig_pipe[0]);
}

/* --impl python: finds python3 and the scripts and gives Python the modes
 * it has (seq, thread, process); without --impl c the C modes go. Without
 * a usable Python, says so in one line and drops it. Returns 0, or -1
 * when nothing is left to run. */
static int setup_python(run_config *c, bench_ctx *b) {
    char why[256];
    if (c->impls & IMPL_PY) {
        if (py_find(b->py_exe, sizeof b->py_exe, why, sizeof why) != 0) {
            fprintf(stderr, "cfbench run: Python is not available (%s); skipping --impl python\n",
                    why);
            c->impls &= ~(unsigned)IMPL_PY;
        } else if (py_root(b->py_root, sizeof b->py_root) != 0) {
            fprintf(stderr, "cfbench run: workloads/python/bench.py not found above the program "
                            "or here (set CFBENCH_ROOT); skipping --impl python\n");
            c->impls &= ~(unsigned)IMPL_PY;
        } else {
            c->py_modes = c->modes & (1u << M_SEQ | 1u << M_THREAD | 1u << M_PROCESS);
        }
    }
    if (!(c->impls & IMPL_C)) c->modes = 0;
    return c->impls != 0 ? 0 : -1;
}

int cmd_run(int argc, char **argv) {
    run_config c;
    bench_ctx b;
    char err[512], path[4096];
    int status, watching = 0;
    pthread_t watcher;

    memset(&b, 0, sizeof b);
    int p = parse_args(argc, argv, &c);
    if (p != 0) {
        free_urls(&c);
        return p == 1 ? 0 : 2;
    }
    if ((status = check_plan(&c)) != 0) goto done;
    if (setup_python(&c, &b) != 0) goto done; /* only Python was asked for: status 0 */
    status = 1;

    /* From here on files may be written. */
    if (wl_make_dirs(c.out) != 0) {
        fprintf(stderr, "cfbench run: --out: %.300s: %s\n", c.out, strerror(errno));
        goto done;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/bench.csv", c.out) >= sizeof path) {
        fprintf(stderr, "cfbench run: --out: path too long\n");
        goto done;
    }
    b.csv = csv_open_append(path, BENCH_HEADER, err, sizeof err);
    if (b.csv == NULL) {
        fprintf(stderr, "cfbench run: %s\n", err);
        goto done;
    }
    if (c.trace) {
        snprintf(path, sizeof path, "%s/tasks.csv", c.out);
        b.tasks_csv = csv_open_append(path, TASKS_HEADER, err, sizeof err);
        if (b.tasks_csv == NULL) {
            fprintf(stderr, "cfbench run: %s\n", err);
            goto done;
        }
    }
    /* Before any process pool forks: the pool-cost probe's task. */
    if (probe_task() == NULL) {
        fprintf(stderr, "cfbench run: cannot register a task\n");
        goto done;
    }
    if (meta_write(c.out, argc, argv, err, sizeof err) != 0)
        fprintf(stderr, "cfbench run: warning: %s\n", err);
    if (install_signals(&watcher) != 0) {
        fprintf(stderr, "cfbench run: signals: %s\n", strerror(errno));
        goto done;
    }
    watching = 1;

    time_t now = time(NULL);
    struct tm tm;
    char stamp[32] = "0";
    if (now != (time_t)-1 && gmtime_r(&now, &tm) != NULL)
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(b.run_prefix, sizeof b.run_prefix, "%s-%ld", stamp, (long)getpid());
    b.c = &c;
    progress_init(&b.prog, count_runs(&c), c.quiet);

    const workload *const *all = workload_all();
    for (size_t i = 0; all[i] != NULL && !stop_signal; i++)
        if (c.workloads & 1u << i) run_workload(&b, all[i]);

    if (write_summary(&c, b.groups, b.ngroups, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench run: %s\n", err);
        b.failed = 1;
    }
    if (c.json) print_json(&c, b.groups, b.ngroups);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cfbench run: stdout: %s\n", strerror(errno));
        b.failed = 1;
    }
    if (stop_signal) {
        fprintf(stderr,
                "cfbench run: interrupted; %s/summary.csv covers the "
                "runs that finished\n",
                c.out);
        status = 128 + (int)stop_signal;
    } else {
        status = b.failed ? 1 : 0;
    }

done:
    if (watching) stop_signals(watcher);
    if (b.csv != NULL && fclose(b.csv) != 0) {
        fprintf(stderr, "cfbench run: %s/bench.csv: %s\n", c.out, strerror(errno));
        if (status == 0) status = 1;
    }
    if (b.tasks_csv != NULL && fclose(b.tasks_csv) != 0) {
        fprintf(stderr, "cfbench run: %s/tasks.csv: %s\n", c.out, strerror(errno));
        if (status == 0) status = 1;
    }
    for (size_t i = 0; i < b.ngroups; i++) {
        free(b.groups[i].wall);
        free(b.groups[i].cpu);
        for (int k = 0; k < 3; k++)
            free(b.groups[i].lat[k]);
    }
    free(b.groups);
    free(b.times);
    free(b.task_ok);
    free_urls(&c);
    return status;
}
