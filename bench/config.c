/* config.c -- `cfbench run`'s command line: --help, the parser, --urls. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

const mode_info run_modes[NMODES] = {
    [M_LOOP] = {"loop", 0, CF_SEQUENTIAL, 0, 1},
    [M_SEQ] = {"seq", 0, CF_SEQUENTIAL, 0, 0},
    [M_THREAD] = {"thread", 0, CF_THREAD, 0, 0},
    [M_PROCESS] = {"process", 0, CF_PROCESS, 0, 0},
    [M_ASYNC] = {"async", 1, CF_SEQUENTIAL, 0, 0},
    [M_THREAD_GIL] = {"thread-gil", 0, CF_THREAD, 1, 0},
    [M_MPI] = {"mpi", 0, CF_MPI, 0, 0},
};

unsigned config_py_modes(unsigned modes) {
    if (modes & 1u << M_SEQ) modes |= 1u << M_LOOP;
    return modes & PY_MODES;
}

int bench_with_mpi;

const char *const impl_names[NIMPLS] = {"c", "python"};

void config_usage(FILE *f) {
    fprintf(f,
            "usage: cfbench run [OPTIONS]\n"
            "\n"
            "Runs each workload in each mode, checks that every mode computed the same\n"
            "results, appends one row per run to DIR/bench.csv and writes\n"
            "DIR/summary.csv and DIR/meta.txt. Speedups are against loop where it ran,\n"
            "else against seq. Each run also records other_cpu: the cores the rest of\n"
            "the machine kept busy meanwhile (/proc/stat); a point over 0.2 is flagged.\n"
            "\n"
            "  --workload LIST   download, hash, prime, comma-separated, or all\n"
            "                    (default all)\n"
            "  --mode LIST       loop, seq, thread, process, async, thread-gil, mpi, or\n"
            "                    all (default all that apply but mpi; loop: the tasks\n"
            "                    called in a plain for loop, no executor, the base of\n"
            "                    every speedup; seq: the sequential executor, futures\n"
            "                    and all; async is download only; mpi: an MPI pool,\n"
            "                    rank 0 the client: under `mpiexec -n N cfbench ...`\n"
            "                    ranks 1..N-1 serve, alone it spawns cfbench workers)\n"
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
            "  --start-method M  process: how the pool starts its workers: fork,\n"
            "                    forkserver, or auto (the library's default: the fork\n"
            "                    server where other threads run, as here: cfbench's\n"
            "                    signal watcher and loopback server); default fork,\n"
            "                    as the Python twin's (3.11-3.13); meta.txt says\n"
            "                    which the pools used\n"
            "  --trace           after each timed rep, run a traced twin (never a timed\n"
            "                    sample) recording each task's submit, start, end and\n"
            "                    collect times and worker: DIR/tasks.csv, latency in the\n"
            "                    summary, and each pool run's time budget (work,\n"
            "                    start-up, hand-off, idle; summary.csv budget_*_ms, which\n"
            "                    sum to workers x budget_wall_ms, and predicted_ms)\n"
            "  --order ORDER     interleave (rep k of every point, then rep k+1: drift\n"
            "                    hits all modes alike), grouped or random (default\n"
            "                    interleave)\n"
            "  --resamples N     bootstrap resamples for the speedup's 95%% interval\n"
            "                    (1..%d; default 2000)\n"
            "  --impl LIST       c, python or all (default c): python runs loop (a list\n"
            "                    comprehension; also for seq, as Python has no\n"
            "                    sequential executor), thread and process with\n"
            "                    Python's concurrent.futures, and mpi with\n"
            "                    mpi4py.futures (workloads/python/bench.py) on the\n"
            "                    same inputs\n"
            "  --out DIR         where the CSV go (default results)\n"
            "  --max-bytes SIZE  download: fail a file larger than SIZE bytes (K, M or\n"
            "                    G: powers of 1024; 0: no limit; default 1G), checked\n"
            "                    as it streams, leaving no file\n"
            "  --urls FILE|LIST  download real URLs: a file with one per line, or\n"
            "                    URL,URL,... (default: an embedded loopback server)\n"
            "  --serve-addr IPV4 download: the embedded server listens on this local\n"
            "                    address (default 127.0.0.1; with mpi ranks on other\n"
            "                    hosts, an address on the network mpiexec's ranks use;\n"
            "                    meta.txt names the server as download_server)\n"
            "  --no-reference    skip the unrecorded loop pass that gives the reference\n"
            "                    digest when neither loop nor seq is asked for\n"
            "                    (whole-process timing)\n"
            "  --quiet           no table, no progress bar, no notes\n"
            "  --json            print the summary as JSON on stdout instead of the table\n"
            "  -h, --help        this text\n"
            "\n"
            "Exit status: 0 ok, 1 a run failed or disagreed with the\n"
            "reference (loop's results, or seq's), 2 bad usage,\n"
            "130/143 interrupted (what was measured is kept).\n"
            "\n"
            "examples:\n"
            "  cfbench run --size quick\n"
            "  cfbench run --workload hash,prime --mode loop,seq,process --workers 1,2,4\n"
            "  cfbench run --workload prime --mode process --chunksize 16 --repeat 10\n"
            "  cfbench run --workload download --mode seq,thread,async --urls urls.txt\n"
            "  cfbench run --size quick --json --out /tmp/r\n"
            "  cfbench run --workload prime --size quick --trace\n"
            "  mpiexec -n 3 cfbench run --workload hash --mode seq,mpi\n",
            WORKERS_MAX, CHUNK_MAX, REPEAT_MAX, WARMUP_MAX, RESAMPLES_MAX);
}

void config_free(run_config *c) {
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
static int parse_urls(void *dest, const char *opt, const char *val, char *err, size_t errlen) {
    run_config *c = dest;
    (void)opt;
    config_free(c);
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

/* Every setting's default; repeat and warmup stay -1 until the size is
 * known. */
static void set_defaults(run_config *c) {
    size_t nwl = 0;
    while (workload_all()[nwl] != NULL && nwl < WORKLOADS_MAX)
        nwl++;
    memset(c, 0, sizeof *c);
    c->workloads = (1u << nwl) - 1;
    c->modes_all = 1;
    c->chunksize = 1;
    c->size = WL_DEFAULT;
    c->repeat = -1;
    c->warmup = -1;
    c->out = "results";
    c->impls = 1u << IMPL_C;
    c->switch_interval_ms = 5;
    c->max_bytes = MAX_BYTES_DEFAULT;
    c->order = ORDER_INTERLEAVE;
    c->resamples = 2000;
    c->start_method = CF_START_FORK;
}

/* --mode: "all" (as no --mode) is every mode that applies but mpi, settled
 * once the workloads are known; a list is taken as given. */
static int parse_modes(void *dest, const char *opt, const char *v, char *err, size_t errlen) {
    run_config *c = dest;
    const char *names[NMODES + 1];
    for (size_t k = 0; k < NMODES; k++)
        names[k] = run_modes[k].name;
    names[NMODES] = NULL;
    c->modes_all = !strcmp(v, "all");
    c->modes = 0;
    return c->modes_all ? 0 : cli_parse_choices(opt, v, names, 0, &c->modes, err, errlen);
}

/* Reads argv into c (defaults set); the --size, --order and --start-method
 * choices come as indexes. As cli_parse(). */
static int parse_line(int argc, char **argv, run_config *c, int *status) {
    static const char *const impls[] = {"c", "python", NULL};
    static const char *const orders[] = {"interleave", "grouped", "random", NULL};
    static const char *const methods[] = {"auto", "fork", "forkserver", NULL};
    static const cf_start_method method_of[] = {CF_START_AUTO, CF_START_FORK,
                                                CF_START_FORKSERVER};
    const char *sizes[] = {wl_size_name(WL_QUICK), wl_size_name(WL_DEFAULT),
                           wl_size_name(WL_BLOG), NULL};
    const char *workloads[WORKLOADS_MAX + 1];
    int size = c->size, order = c->order, method = 0;
    size_t k = 0;
    while (method_of[method] != c->start_method)
        method++;
    for (const workload *const *all = workload_all(); all[k] != NULL && k < WORKLOADS_MAX; k++)
        workloads[k] = all[k]->name;
    workloads[k] = NULL;
    const cli_option opts[] = {
        CLI_OPT_CHOICES("--impl", &c->impls, impls),
        CLI_OPT_CHOICES("--workload", &c->workloads, workloads),
        CLI_OPT_CALL("--mode", c, parse_modes),
        CLI_OPT_LONGS("--workers", c->workers, &c->nworkers, 1, WORKERS_MAX),
        CLI_OPT_LONG("--chunksize", &c->chunksize, 1, CHUNK_MAX),
        CLI_OPT_ONE_OF("--size", &size, sizes),
        CLI_OPT_LONG("--repeat", &c->repeat, 1, REPEAT_MAX),
        CLI_OPT_LONG("--warmup", &c->warmup, 0, WARMUP_MAX),
        CLI_OPT_TEXT("--out", &c->out),
        CLI_OPT_CALL("--urls", c, parse_urls),
        CLI_OPT_LONG("--switch-interval", &c->switch_interval_ms, 1, 10000),
        CLI_OPT_ONE_OF("--order", &order, orders),
        CLI_OPT_LONG("--resamples", &c->resamples, 1, RESAMPLES_MAX),
        CLI_OPT_SIZE("--max-bytes", &c->max_bytes, 0, 1L << 50),
        CLI_OPT_ONE_OF("--start-method", &method, methods),
        CLI_OPT_IPV4("--serve-addr", &c->serve_addr),
        CLI_OPT_FLAG("--quiet", &c->quiet),
        CLI_OPT_FLAG("--json", &c->json),
        CLI_OPT_FLAG("--no-reference", &c->no_reference),
        CLI_OPT_FLAG("--trace", &c->trace),
        CLI_OPT_END,
    };
    const cli_command cmd = {.name = "run", .usage = config_usage, .options = opts};
    int end = cli_parse(&cmd, argc, argv, status);
    c->size = (wl_size)size;
    c->order = (enum run_order)order;
    c->start_method = method_of[method];
    return end;
}

int config_parse(int argc, char **argv, run_config *c) {
    set_defaults(c);
    int status;
    if (parse_line(argc, argv, c, &status)) return status == 0 ? 1 : status;
    if (c->workloads == 0) return cli_bad_usage("run", "--workload: nothing to run");
    if (c->out[0] == '\0') return cli_bad_usage("run", "--out: empty folder name");
    if (c->repeat < 0) c->repeat = c->size == WL_BLOG ? 3 : 5;
    if (c->warmup < 0) c->warmup = c->size == WL_BLOG ? 0 : 1;
    if (c->modes_all) c->modes = ((1u << NMODES) - 1) & ~MODES_NOT_IN_ALL;
    if ((c->modes & 1u << M_MPI) && !bench_with_mpi)
        return cli_bad_usage("run", "--mode mpi: cfbench was built without Open MPI");
    if (c->impls == 1u << IMPL_PY && !config_py_modes(c->modes))
        return cli_bad_usage(
            "run", "--impl python: Python runs the loop (or seq), thread, process and mpi modes only");
    return 0;
}
