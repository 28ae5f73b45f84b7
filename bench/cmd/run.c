/* run.c -- `cfbench run`: the stages in order, config -> plan -> execute
 * -> record -> summary -> report, one workload at a time.
 *
 * Each workload is prepared once per invocation (its task list; for
 * download without --urls, the loopback server this file starts and hands
 * over as a base URL) and the same tasks go to every point, so every mode
 * does identical work. The plain loop runs first: its digest is the
 * reference every other run of the workload must reproduce (seq's, where
 * seq ran and the loop did not; when neither was asked for, one unrecorded
 * loop pass provides it). Python's points (--impl python) run after the C
 * ones, and their digest must be C's reference too.
 *
 * Each timed run's row goes to bench.csv at once, so an interrupted
 * benchmark keeps what it measured. SIGINT/SIGTERM end the run in progress
 * (execute.h) and no further run starts; summary.csv and the table then
 * cover what was measured and the exit status is 128+sig.
 *
 * Everything the user typed is validated before any output is opened: a
 * bad command line exits 2 with one line on stderr and touches no file.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../workloads/download.h"
#include "../commands.h"
#include "../config.h"
#include "../execute.h"
#include "../meta.h"
#include "../plan.h"
#include "../probe.h"
#include "../python.h"
#include "../record.h"
#include "../report.h"
#include "../server_child.h"
#include "../summary.h"
#include "../table.h"

/* State shared by the runs of one invocation. */
typedef struct bench_ctx {
    const run_config *c;
    recorder rec;
    cf_times *times; /* --trace: one twin run's per-task times */
    unsigned char *task_ok;
    size_t ntimes; /* capacity of times/task_ok */
    progress prog;
    int failed;      /* a run failed or disagreed */
    int csv_error;   /* bench.csv could not be written (said once) */
    point_stats *ps; /* every point so far, workload after workload */
    size_t nps;
    char py_exe[256], py_root[4096]; /* --impl python: bench/python.c */
    int argc;                        /* the command line, for meta.txt */
    char **argv;
    char server_url[256];                /* the embedded download server's, once started */
    double other_ms, wall_ms, other_max; /* the recorded reps' other work (machine.h) */
    size_t nother;                       /* reps whose other_cpu is known */
} bench_ctx;

/* meta.txt, with the start method asked for and, once pools ran, used, the
 * download server's URL once it started, and the other work the machine
 * did during the recorded runs. */
static void write_meta(const bench_ctx *b) {
    char used[64], lines[768], err[512];
    execute_start_methods(used, sizeof used);
    int k = snprintf(lines, sizeof lines, "start_method: %s%s%s%s\n",
                     cf_start_method_name(b->c->start_method), used[0] ? " (used: " : "", used,
                     used[0] ? ")" : "");
    if (b->server_url[0] && k > 0 && (size_t)k < sizeof lines)
        k += snprintf(lines + k, sizeof lines - (size_t)k, "download_server: %s\n", b->server_url);
    double cores = machine_cores(b->other_ms, b->wall_ms);
    if (b->nother > 0 && k > 0 && (size_t)k < sizeof lines)
        snprintf(lines + k, sizeof lines - (size_t)k,
                 "other_cpu: %.3f cores on average over %zu runs (max %.3f; the machine was %s: "
                 "over %.1f is shared)\n",
                 cores, b->nother, b->other_max, cores > MACHINE_SHARED_CORES ? "shared" : "quiet",
                 MACHINE_SHARED_CORES);
    if (meta_write(b->c->out, b->argc, b->argv, lines, err, sizeof err) != 0)
        fprintf(stderr, "cfbench run: warning: %s\n", err);
}

static void out_of_memory(bench_ctx *b) {
    progress_clear(&b->prog);
    fprintf(stderr, "cfbench run: out of memory\n");
    b->failed = 1;
}

/* Judges run r of point p against ref and tells the user (say) what is
 * not plainly right. Returns 1 if the run counts as ok. */
static int judge(bench_ctx *b, const point *p, const run_result *r, const char ref[65], int say) {
    verdict v = run_verdict(r, ref);
    char words[512];
    int ok = v == VERDICT_OK || v == VERDICT_OK_FAILURES;

    if (!ok) b->failed = 1;
    if (!say || v == VERDICT_OK || (v == VERDICT_OK_FAILURES && b->c->quiet)) return ok;
    const char *base = run_modes[plan_reference_mode(b->c->modes)].name;
    char seq[16];
    snprintf(seq, sizeof seq, "%s%s", p->impl == IMPL_PY ? "C " : "", base);
    verdict_words(v, r, ref, seq, words, sizeof words);
    progress_clear(&b->prog);
    fprintf(stderr, "cfbench run: %s%s %s x%d: %s\n", ok ? "note: " : "", p->wl->name,
            point_mode_name(p), p->workers, words);
    return ok;
}

/* Appends a timed rep to bench.csv and to its point's samples. A CSV
 * error is reported (once) and the rep still counts. Returns -1 if the
 * samples could not take it (out of memory). */
static int record(bench_ctx *b, point_stats *ps, long rep, const run_result *r, int ok) {
    int bad = record_run(&b->rec, &ps->p, ps->tasks, rep, r, ok);
    if (!isnan(r->t.other_ms)) {
        b->other_ms += r->t.other_ms;
        b->wall_ms += r->t.wall_ms;
        b->other_max = r->t.other_cpu > b->other_max ? r->t.other_cpu : b->other_max;
        b->nother++;
    }
    if (bad != 0) {
        int e = errno;
        progress_clear(&b->prog);
        if (!b->csv_error) fprintf(stderr, "cfbench run: %s/bench.csv: %s\n", b->c->out, strerror(e));
        b->csv_error = 1;
        b->failed = 1;
    }
    if (summary_add(ps, r) == 0) return 0;
    out_of_memory(b);
    return -1;
}

/* Point p could not run: why, on its own line under the progress bar. */
static void point_failed(bench_ctx *b, const point *p, const char *err) {
    progress_clear(&b->prog);
    fprintf(stderr, "cfbench run: %s %s x%d: %s\n", p->wl->name, point_mode_name(p), p->workers,
            err);
    b->failed = 1;
}

/* --trace: the traced twin of rep `rep` of C point ps, run right after it
 * and never a timed sample: its per-task times go to tasks.csv and to the
 * point's budget and latencies. Its results are judged as any run's.
 * Returns -1 when the point cannot go on. */
static int run_twin(bench_ctx *b, point_stats *ps, wl_plan *plan, long rep, const char ref[65]) {
    const point *p = &ps->p;
    char err[256];
    run_result r;
    if (execute_run(p, plan, b->c, b->times, b->task_ok, &r, err, sizeof err) != 0) {
        point_failed(b, p, err);
        return -1;
    }
    if (signals_caught() && (r.failed > 0 || !r.verified)) return 0;
    (void)judge(b, p, &r, ref, 1);
    if (record_twin(&b->rec, p, ps->tasks, rep, &r, b->times, b->task_ok) != 0) {
        int e = errno;
        progress_clear(&b->prog);
        fprintf(stderr, "cfbench run: %s/tasks.csv: %s\n", b->c->out, strerror(e));
        b->failed = 1;
    }
    if (summary_add_twin(ps, &r, b->times) == 0) return 0;
    out_of_memory(b);
    return -1;
}

/* Run k (warmups first, then reps) of C point ps. `ref` is the reference
 * digest ("" until known: the reference mode's first run sets it). A point that cannot
 * run is marked dead and skipped from then on. */
static void run_step(bench_ctx *b, point_stats *ps, wl_plan *plan, long k, char ref[65]) {
    const run_config *c = b->c;
    const point *p = &ps->p;
    int warm = k < c->warmup;
    long rep = k - c->warmup + 1;
    char err[256], label[96];
    run_result r;

    if (ps->dead || signals_caught()) return;
    if (warm)
        snprintf(label, sizeof label, "%s %s x%d warmup", p->wl->name, point_mode_name(p),
                 p->workers);
    else
        snprintf(label, sizeof label, "%s %s x%d rep %ld/%ld", p->wl->name, point_mode_name(p),
                 p->workers, rep, c->repeat);
    progress_show(&b->prog, label);
    int rc = execute_run(p, plan, c, NULL, NULL, &r, err, sizeof err);
    progress_step(&b->prog);
    if (rc != 0) {
        point_failed(b, p, err);
        ps->dead = 1; /* the next reps would fail the same way */
        return;
    }
    /* A run the signal cut short measured nothing worth keeping. */
    if (signals_caught() && (r.failed > 0 || !r.verified)) return;
    if (ref[0] == '\0' && p->mode == plan_reference_mode(c->modes)) memcpy(ref, r.digest, 65);
    int ok = judge(b, p, &r, ref, 1);
    if (warm) return;
    if (record(b, ps, rep, &r, ok) != 0 || (c->trace && !signals_caught() &&
                                            run_twin(b, ps, plan, rep, ref) != 0))
        ps->dead = 1;
}

/* Runs Python point ps (one runner process for its warmups and reps) and
 * records each rep; only the first rep's verdict is told. */
static void run_python_point(bench_ctx *b, point_stats *ps, const wl_plan *plan, const py_setup *py,
                             const char ref[65]) {
    const run_config *c = b->c;
    const point *p = &ps->p;
    run_result *reps;
    size_t n;
    char err[256], label[96];

    snprintf(label, sizeof label, "%s %s x%d (python)", p->wl->name, point_mode_name(p),
             p->workers);
    progress_show(&b->prog, label);
    int rc = execute_python(p, plan, c, py, &reps, &n, err, sizeof err);
    for (long k = 0; k < c->warmup + c->repeat; k++)
        progress_step(&b->prog);
    if (rc != 0) {
        point_failed(b, p, err);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        int ok = judge(b, p, &reps[k], ref, k == 0);
        if (record(b, ps, reps[k].rep, &reps[k], ok) != 0) break;
    }
    free(reps);
}

/* Makes room for the workload's points and its traced runs' per-task
 * times, and adds its points. Returns the index of its first point, or -1
 * (out of memory, said). */
static long add_points(bench_ctx *b, const workload *wl, size_t tasks) {
    point *pts;
    size_t n;
    if (plan_points(b->c, wl, tasks, &pts, &n) != 0) goto nomem;
    point_stats *grown = realloc(b->ps, (b->nps + n ? b->nps + n : 1) * sizeof *grown);
    if (grown == NULL) {
        free(pts);
        goto nomem;
    }
    b->ps = grown;
    for (size_t i = 0; i < n; i++) {
        memset(&b->ps[b->nps + i], 0, sizeof *b->ps);
        b->ps[b->nps + i].p = pts[i];
        b->ps[b->nps + i].tasks = tasks;
    }
    free(pts);
    b->nps += n;
    if (b->c->trace && tasks > b->ntimes) {
        free(b->times);
        free(b->task_ok);
        b->times = calloc(tasks, sizeof *b->times);
        b->task_ok = calloc(tasks, 1);
        b->ntimes = b->times && b->task_ok ? tasks : 0;
        if (b->ntimes == 0) goto nomem;
    }
    return (long)(b->nps - n);
nomem:
    out_of_memory(b);
    return -1;
}

/* The C points' runs in --order's order, then Python's points. */
static void run_points(bench_ctx *b, wl_plan *plan, size_t first, const py_setup *py,
                       char ref[65]) {
    point_stats *ps = b->ps + first;
    size_t n = b->nps - first, nsteps;
    point pts[2 * NMODES * CLI_LIST_MAX];
    step *steps;

    for (size_t i = 0; i < n; i++)
        pts[i] = ps[i].p;
    unsigned long seed = (unsigned long)time(NULL) ^ (unsigned long)getpid();
    if (plan_schedule(b->c, pts, n, seed, &steps, &nsteps) != 0) {
        out_of_memory(b);
        return;
    }
    for (size_t s = 0; s < nsteps && !signals_caught(); s++)
        run_step(b, &ps[steps[s].point], plan, steps[s].round, ref);
    free(steps);
    for (size_t i = 0; i < n && !signals_caught(); i++)
        if (ps[i].p.impl == IMPL_PY) run_python_point(b, &ps[i], plan, py, ref);
}

/* One unrecorded loop pass for the reference digest, when neither loop
 * nor seq is asked for. */
static void reference_pass(bench_ctx *b, const workload *wl, wl_plan *plan, char ref[65]) {
    point loop = {wl, M_LOOP, IMPL_C, 1, 1};
    run_result r;
    char err[256];
    progress_show(&b->prog, "reference loop pass");
    if (execute_run(&loop, plan, b->c, NULL, NULL, &r, err, sizeof err) != 0) {
        progress_clear(&b->prog);
        fprintf(stderr, "cfbench run: %s loop reference: %s\n", wl->name, err);
        b->failed = 1;
    } else {
        memcpy(ref, r.digest, 65);
    }
    progress_step(&b->prog);
}

/* Starts the download workload's server where every worker reaches it
 * (--serve-addr, or serve_addr_for_workers: loopback unless mpi ranks run
 * on other hosts), says where when that is not loopback, and records its
 * URL in meta.txt. Returns 0, or -1 with err set. */
static int start_server(bench_ctx *b, const dl_link *link, served *srv, char *err, size_t errlen) {
    const run_config *c = b->c;
    char addr[64];
    if (c->serve_addr != NULL)
        snprintf(addr, sizeof addr, "%s", c->serve_addr);
    else if (serve_addr_for_workers(c->modes & 1u << M_MPI, addr, sizeof addr, err, errlen) < 0)
        return -1;
    srv_options o = {0, link->ttfb_ms, link->rate, link->file_size, addr};
    if (serve_start("/proc/self/exe", &o, srv, err, errlen) != 0) return -1;
    snprintf(b->server_url, sizeof b->server_url, "%s", srv->base_url);
    write_meta(b);
    if (strcmp(addr, "127.0.0.1") != 0 && !c->quiet) {
        progress_clear(&b->prog);
        fprintf(stderr, "cfbench run: note: download server on %s (%s)\n", srv->base_url,
                c->serve_addr != NULL ? "--serve-addr" : "mpi ranks on other hosts");
    }
    return 0;
}

/* Prepares one workload, runs all its points, summarizes and reports. */
static void run_workload(bench_ctx *b, const workload *wl) {
    const run_config *c = b->c;
    wl_params p = {0};
    wl_plan plan = {0};
    served srv = {{0, -1}, ""};
    dl_link link;
    char err[256], ref[65] = "", dl_dir[4096];

    /* Downloads land inside --out, never in the working folder. */
    snprintf(dl_dir, sizeof dl_dir, "%s/downloads", c->out);
    p.size = c->size;
    p.out_dir = dl_dir;
    p.urls = (const char *const *)c->urls;
    p.nurls = c->nurls;
    p.max_bytes = c->max_bytes;
    progress_show(&b->prog, "preparing");
    if (wl == workload_find("download") && c->urls == NULL && dl_link_for(c->size, &link) == 0) {
        if (start_server(b, &link, &srv, err, sizeof err) != 0) goto failed;
        p.base_url = srv.base_url;
    }
    if (wl->prepare(&p, &plan, err, sizeof err) != 0) goto failed;
    if (!(c->modes & (1u << M_LOOP | 1u << M_SEQ)) && !c->no_reference && !signals_caught())
        reference_pass(b, wl, &plan, ref);
    long first = add_points(b, wl, plan.n);
    if (first >= 0) {
        py_setup py = {b->py_exe, b->py_root, p.base_url, dl_dir};
        run_points(b, &plan, (size_t)first, &py, ref);
        progress_clear(&b->prog);
        summary_compute(b->ps + first, b->nps - (size_t)first, c);
        if (!c->quiet && !c->json)
            report_table(c, wl, plan.label, b->ps + first, b->nps - (size_t)first);
    }
    wl->release(&plan);
    serve_stop(&srv);
    return;

failed:
    progress_clear(&b->prog);
    fprintf(stderr, "cfbench run: %s: %s\n", wl->name, err);
    b->failed = 1;
    serve_stop(&srv);
}

/* Checks that the chosen modes leave something to run, with notes on
 * what is skipped. Returns 0 or 2 (said). */
static int check_plan(const run_config *c) {
    char skipped[128];
    /* Under `mpiexec -n N` the mpi pool takes at most the N-1 other ranks:
     * a larger --workers would run fewer than its rows say. */
    const char *world = getenv("OMPI_COMM_WORLD_SIZE");
    for (size_t w = 0; world != NULL && (c->modes & 1u << M_MPI) && w < c->nworkers; w++)
        if (c->workers[w] > atol(world) - 1 && atol(world) > 1) {
            snprintf(skipped, sizeof skipped,
                     "--workers: %ld, but mpiexec -n %ld gives mpi %ld worker ranks", c->workers[w],
                     atol(world), atol(world) - 1);
            return cli_bad_usage("run", skipped);
        }
    if (plan_check(c, skipped, sizeof skipped) != 0)
        return cli_bad_usage("run", "--mode: async applies only to the download "
                                "workload; nothing to run");
    if (skipped[0] && !c->quiet)
        fprintf(stderr, "cfbench run: note: async applies only to download; skipped for %s\n",
                skipped);
    if (c->nurls > 0 && !(c->workloads & 1u) && !c->quiet)
        fprintf(stderr, "cfbench run: note: --urls applies only to download\n");
    return 0;
}

/* --impl python: finds python3 and the scripts and gives Python the modes
 * it has (loop, also for seq; thread, process; mpi with a Python that has
 * mpi4py, which then runs them all); without --impl c the C modes go. Without
 * a usable Python, says so in one line and drops it. Returns 0, or -1
 * when nothing is left to run. */
static int setup_python(run_config *c, bench_ctx *b) {
    char why[256];
    if (c->impls & 1u << IMPL_PY) {
        int mpi4py = (c->modes & 1u << M_MPI) &&
                     py_find_mpi4py(b->py_exe, sizeof b->py_exe, why, sizeof why) == 0;
        if ((c->modes & 1u << M_MPI) && !mpi4py)
            fprintf(stderr, "cfbench run: note: %s; Python skips --mode mpi\n", why);
        if (!mpi4py && py_find(b->py_exe, sizeof b->py_exe, why, sizeof why) != 0) {
            fprintf(stderr, "cfbench run: Python is not available (%s); skipping --impl python\n",
                    why);
            c->impls &= ~(1u << IMPL_PY);
        } else if (py_root(b->py_root, sizeof b->py_root) != 0) {
            fprintf(stderr, "cfbench run: workloads/python/bench.py not found above the program "
                            "or here (set CFBENCH_ROOT); skipping --impl python\n");
            c->impls &= ~(1u << IMPL_PY);
        } else {
            c->py_modes = config_py_modes(c->modes) & ~(mpi4py ? 0 : 1u << M_MPI);
        }
    }
    if (!(c->impls & 1u << IMPL_C)) c->modes = 0;
    return c->impls != 0 ? 0 : -1;
}

/* Opens the outputs and readies what the runs need. Returns 0, or -1
 * (said). */
static int start(bench_ctx *b, int argc, char **argv) {
    const run_config *c = b->c;
    char err[512];

    if (wl_make_dirs(c->out) != 0) {
        fprintf(stderr, "cfbench run: --out: %.300s: %s\n", c->out, strerror(errno));
        return -1;
    }
    if (record_open(&b->rec, c->out, c->trace, c->size, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench run: %s\n", err);
        return -1;
    }
    /* Before any process pool forks: the pool-cost probe's task. */
    if (probe_task() == NULL) {
        fprintf(stderr, "cfbench run: cannot register a task\n");
        return -1;
    }
    b->argc = argc;
    b->argv = argv;
    write_meta(b);
    progress_init(&b->prog, plan_count_runs(c), c->quiet);
    return 0;
}

/* Writes summary.csv and --json over every point. Returns 0 or -1. */
static int finish(bench_ctx *b) {
    const run_config *c = b->c;
    char err[512];
    int rc = 0;
    write_meta(b);
    if (report_summary_csv(c, b->ps, b->nps, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench run: %s\n", err);
        rc = -1;
    }
    if (c->json) report_json(c, b->ps, b->nps);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cfbench run: stdout: %s\n", strerror(errno));
        rc = -1;
    }
    return rc;
}

int cmd_run(int argc, char **argv) {
    run_config c;
    bench_ctx b = {0};
    int status, watching = 0;

    int p = config_parse(argc, argv, &c);
    if (p != 0) {
        config_free(&c);
        return p == 1 ? 0 : 2;
    }
    b.c = &c;
    if ((status = check_plan(&c)) != 0) goto done;
    if (setup_python(&c, &b) != 0) goto done; /* only Python was asked for: status 0 */
    status = 1;
    if (start(&b, argc, argv) != 0) goto done; /* from here on files may be written */
    if (signals_start() != 0) {
        fprintf(stderr, "cfbench run: signals: %s\n", strerror(errno));
        goto done;
    }
    watching = 1;

    const workload *const *all = workload_all();
    for (size_t i = 0; all[i] != NULL && !signals_caught(); i++)
        if (c.workloads & 1u << i) run_workload(&b, all[i]);
    if (finish(&b) != 0) b.failed = 1;
    if (signals_caught()) {
        fprintf(stderr, "cfbench run: interrupted; %s/summary.csv covers the runs that finished\n",
                c.out);
        status = 128 + signals_caught();
    } else {
        status = b.failed ? 1 : 0;
    }

done:
    if (watching) signals_stop();
    int bad = record_close(&b.rec);
    if (bad != 0) {
        fprintf(stderr, "cfbench run: %s/%s: %s\n", c.out,
                bad & RECORD_BENCH ? "bench.csv" : "tasks.csv", strerror(errno));
        if (status == 0) status = 1;
    }
    summary_free(b.ps, b.nps);
    free(b.ps);
    free(b.times);
    free(b.task_ok);
    config_free(&c);
    return status;
}
