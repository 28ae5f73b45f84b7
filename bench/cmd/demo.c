/* demo.c -- cfbench demo: classroom lessons that ask, run live, and answer.
 *
 * A lesson prints a question, waits for Enter (only when stdin is a
 * terminal and --no-wait is not given), then runs a few variants of one
 * workload on the library directly, and ends with the measured times and
 * the answer. While a variant runs, a terminal shows one row per worker
 * that fills as that worker's tasks end (done callbacks on traced futures;
 * chunked runs count results as map yields them) and a running speedup
 * against the sequential variant, redrawn about 20 times a second. The
 * ANSI cursor moves happen only on a terminal, colour only when NO_COLOR
 * is unset; elsewhere each variant's rows are printed once, when it ends.
 */
#include <errno.h>
#include <math.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../workloads/download.h"
#include "../../workloads/workload.h"
#include "../cli.h"
#include "../commands.h"
#include "../machine.h"
#include "../timer.h"
#include "../server_child.h"

#define BAR_WIDTH 40
#define MAX_ROWS 16 /* workers drawn; the rest are summed in the last row */
#define PER_TASK (-1)
#define REDRAW_NS 50000000 /* 20 redraws a second */

/* One way of running the lesson's tasks. */
typedef struct variant {
    cf_kind kind;
    int workers;   /* 0: the kind's default; PER_TASK: one per task */
    int chunksize; /* 1: a future per task; > 1: map in chunks */
    double gil;    /* > 0: emulated GIL with this switch interval (s) */
} variant;

/* What the lesson's answer expects of the run: variant `slow` took at
 * least `min` times (and at most `max` times) as long as variant `fast`.
 * min 0 / max 0: no bound that side. Checked against each run. */
typedef struct claim {
    int slow, fast;
    double min, max;
    const char *words; /* "threads beat the loop" */
} claim;

typedef struct lesson {
    const char *name;
    const char *what;     /* one line for --list */
    const char *workload; /* NULL: the deadlock lesson */
    int warmup;           /* run each variant once unseen first: tasks so
                             small that a cold start would decide */
    const char *question;
    variant v[5];
    size_t nv;
    const char *answer;
    claim c[4];
    size_t nc;
    int cores; /* the claims need this many usable cores */
} lesson;

#define SEQ                                                                                        \
    { CF_SEQUENTIAL, 1, 1, 0 }

static const lesson lessons[] = {
    {"threads-vs-processes",
     "hash (PBKDF2 in OpenSSL): a loop, threads or processes?",
     "hash",
     0,
     "PBKDF2 hashing is CPU work. Which is fastest: a plain loop, a thread pool\n"
     "(Python's default size) or a process pool (one worker per core)?",
     {SEQ, {CF_THREAD, 0, 1, 0}, {CF_PROCESS, 0, 1, 0}, {CF_THREAD, 0, 1, 0.005}},
     4,
     "Threads and processes both use every core: the work is in C, and even\n"
     "under the emulated GIL (thread-gil) threads keep their speedup, because\n"
     "the lock is let go around the OpenSSL call, as CPython's hashlib does.\n"
     "\"Processes for CPU work\" is about pure-Python CPU work.",
     {{0, 1, 1.3, 0, "threads beat the loop by 1.3x or more"},
      {0, 2, 1.3, 0, "processes beat the loop by 1.3x or more"},
      {0, 3, 1.3, 0, "threads under the GIL beat the loop by 1.3x or more"}},
     3,
     2},
    {"tiny-tasks",
     "prime: tasks of a few microseconds, threads, processes and chunksize",
     "prime",
     1,
     "Each task checks whether one number is prime: most take under a microsecond,\n"
     "the few primes tens of microseconds. Do the pools win, and what does sending\n"
     "64 numbers per message change?",
     {SEQ,
      {CF_THREAD, 0, 1, 0},
      {CF_THREAD, 0, 64, 0},
      {CF_PROCESS, 0, 1, 0},
      {CF_PROCESS, 0, 64, 0}},
     5,
     "At this size the thread pool's hand-off (about 0.1 us a task, cfbench\n"
     "overhead) is small beside the work, and threads win. The process pool\n"
     "forks its workers inside the timed run, and its workers wait for tasks\n"
     "already submitted (the stalls of cfbench run --trace's time budget): it\n"
     "gains little. chunksize 64 sends 64 numbers per message. With --size\n"
     "quick (numbers near 19000, a fraction of a microsecond each) the loop\n"
     "beats every pool.",
     {{0, 1, 1.3, 0, "threads beat the loop by 1.3x or more"},
      {0, 3, 0, 1.3, "the process pool at chunksize 1 gains less than 1.3x"}},
     2,
     1},
    {"downloads",
     "download: waiting is what threads are for; processes wait too",
     "download",
     0,
     "Downloading from a slow server is mostly waiting. Which is fastest: a\n"
     "loop, one thread per file, one process per core, or one process per file?",
     {SEQ, {CF_THREAD, PER_TASK, 1, 0}, {CF_PROCESS, 0, 1, 0}, {CF_PROCESS, PER_TASK, 1, 0}},
     4,
     "The number of transfers in flight decides, not the kind of worker: one\n"
     "worker per file, threads or processes, downloads everything at once. A\n"
     "process pool with its default one worker per core is slow only because\n"
     "it waits for two files at a time; threads are the cheaper way to wait.",
     {{0, 1, 2.0, 0, "one thread per file beats the loop by 2x or more"},
      {0, 3, 2.0, 0, "one process per file beats the loop by 2x or more"},
      {2, 3, 1.3, 0, "one process per file beats one per core by 1.3x or more"}},
     3,
     1},
    {"gil",
     "prime under an emulated GIL: threads that take turns",
     "prime",
     1,
     "C threads check numbers in parallel. What happens when every thread must\n"
     "hold one lock while it computes, as CPython's threads hold the GIL?",
     {SEQ, {CF_THREAD, 0, 1, 0}, {CF_THREAD, 0, 1, 0.005}},
     3,
     "Under the GIL only one thread computes at a time: every task takes the\n"
     "lock, and cfbench run --trace's time budget puts thread-gil's time in\n"
     "hand-off and stalls, workers waiting for it. thread-gil is no faster than\n"
     "the loop, and usually slower. Python's threads behave like this for\n"
     "pure-Python work.",
     {{2, 0, 0.9, 0, "threads under the GIL are not faster than the loop (within 10%)"}},
     1,
     2},
    {"deadlock",
     "tasks that wait on tasks: more threads only move the deadlock",
     NULL,
     0,
     "Each task submits a child task to its own pool and waits for it. With 1\n"
     "worker that hangs in Python. Do more workers make it safe?",
     {{CF_THREAD, 1, 1, 0}, {CF_THREAD, 2, 1, 0}, {CF_THREAD, 4, 1, 0}},
     3,
     "No: as soon as every worker holds a waiting parent, the children have\n"
     "no worker left and Python hangs; cfutures fails the wait that closes the\n"
     "cycle with CF_EDEADLK instead. More workers only raise the number of\n"
     "parents needed. The cure is design: wait in the caller, not in a task\n"
     "(or give the children a pool of their own).",
     {{0, 0, 0, 0, NULL}}, /* its outcome is not a timing: the run shows it */
     0,
     0},
};
#define NLESSONS (sizeof lessons / sizeof lessons[0])

/* ---- the live view ----------------------------------------------------- */

/* done and per[] are counted by done callbacks, in the pool's threads (a
 * thread pool's workers, a process pool's manager), and read by the thread
 * that draws: atomics, no lock. Everything else belongs to that thread. */
typedef struct live {
    int workers;
    size_t n;
    atomic_size_t done;
    atomic_size_t per[MAX_ROWS]; /* tasks ended per worker */
    int64_t t0, last;            /* start, last redraw (ns) */
    double seq_ms;               /* the sequential variant's time, 0 while unknown */
    int tty, color;
    int drawn; /* lines drawn last time (to move back over); < 0: draw nothing */
} live;

static void live_count(live *lv, int worker) {
    int row = worker < 0 ? 0 : worker >= MAX_ROWS ? MAX_ROWS - 1 : worker;
    atomic_fetch_add(&lv->per[row], 1);
    atomic_fetch_add(&lv->done, 1);
}

static void on_done(cf_future *f, void *arg) {
    cf_times t;
    if (cf_future_times(f, &t) != 0) t.worker = 0;
    live_count(arg, t.worker);
}

/* Draws the rows: in place on a terminal (at most every REDRAW_NS unless
 * final); elsewhere only the final state. */
static void live_draw(live *lv, int final) {
    int64_t now = cf_now_ns();
    if (lv->drawn < 0 || (!final && (!lv->tty || now - lv->last < REDRAW_NS))) return;
    lv->last = now;
    if (lv->tty && lv->drawn) printf("\033[%dA", lv->drawn);
    int rows = lv->workers < MAX_ROWS ? lv->workers : MAX_ROWS;
    size_t scale = (lv->n + (size_t)rows - 1) / (size_t)rows; /* a fair share fills the bar */
    for (int w = 0; w < rows; w++) {
        size_t k = atomic_load(&lv->per[w]);
        size_t fill = scale ? k * BAR_WIDTH / scale : 0;
        if (fill > BAR_WIDTH) fill = BAR_WIDTH;
        printf("  worker %-2d %s", w, lv->color ? "\033[32m" : "");
        for (size_t i = 0; i < BAR_WIDTH; i++)
            fputs(i < fill ? "#" : (lv->color ? "\033[2m." : "."), stdout);
        printf("%s %5zu task%s%s\n", lv->color ? "\033[0m" : "", k, k == 1 ? "" : "s",
               lv->tty ? "\033[K" : "");
    }
    double ms = (now - lv->t0) / 1e6;
    size_t done = atomic_load(&lv->done);
    printf("  %zu/%zu done, %.1f ms", done, lv->n, ms);
    if (lv->seq_ms > 0 && ms > 0)
        printf(", speedup so far %.1fx", lv->seq_ms * (double)done / (double)lv->n / ms);
    printf("%s\n", lv->tty ? "\033[K" : "");
    lv->drawn = rows + 1;
    fflush(stdout);
}

/* ---- running one variant ----------------------------------------------- */

static int variant_workers(const variant *v, size_t ntasks) {
    return v->workers == PER_TASK ? (int)ntasks
           : v->workers           ? v->workers
                                  : cf_default_workers(v->kind);
}

static void variant_label(const variant *v, int workers, char *buf, size_t cap) {
    const char *kind = v->gil > 0 ? "thread-gil" : cf_kind_name(v->kind);
    int n = snprintf(buf, cap, "%s x%d", kind, workers);
    if (v->chunksize > 1 && n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, ", chunksize %d", v->chunksize);
}

/* Runs the plan's tasks as v says, drawing lv; fills res (result bytes are
 * copies the caller frees). Returns the wall time in ms, or -1 with err. */
static double run_variant(const variant *v, wl_plan *plan, live *lv, wl_result *res, char *err,
                          size_t errlen) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = variant_workers(v, plan->n);
    o.trace = 1;
    o.gil_interval = v->gil;
    cf_executor *ex = NULL;
    cf_future **fs = NULL;
    cf_map_iter *it = NULL;
    double ms = -1;
    lv->t0 = lv->last = cf_now_ns();
    int rc = cf_executor_new(v->kind, &o, &ex);
    if (rc != 0) goto fail;
    lv->workers = cf_executor_workers(ex);
    if (v->chunksize > 1) {
        cf_map_options mo = CF_MAP_OPTIONS_INIT;
        mo.chunksize = v->chunksize;
        rc = cf_map_array(ex, plan->task, (const void *const *)plan->in, plan->in_len, plan->n, &mo,
                          &it);
        if (rc != 0) goto fail;
        for (size_t i = 0; i < plan->n; i++) {
            const void *d;
            size_t len;
            cf_times t;
            rc = cf_map_next(it, &d, &len);
            if (rc != 0 && rc != CF_ETASK) goto fail;
            int st = rc == 0 ? 0 : cf_map_error(it, NULL);
            res[i].status = rc == 0 ? 0 : st ? st : rc;
            res[i].msg = "";
            if (rc == 0 && (res[i].data = malloc(len ? len : 1)) != NULL)
                memcpy((void *)res[i].data, d, len);
            res[i].len = len;
            live_count(lv, cf_map_times(it, &t) == 0 ? t.worker : 0);
            live_draw(lv, 0);
        }
    } else {
        if (!(fs = calloc(plan->n, sizeof *fs))) {
            rc = CF_ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < plan->n; i++) {
            if ((rc = cf_submit(ex, plan->task, plan->in[i], plan->in_len[i], &fs[i])) != 0)
                goto fail;
            if ((rc = cf_future_add_done_callback(fs[i], on_done, lv)) != 0) goto fail;
            live_draw(lv, 0);
        }
        for (size_t i = 0; i < plan->n; i++) {
            const void *d;
            size_t len = 0;
            while (cf_future_wait(fs[i], 0.02) == CF_ETIMEDOUT)
                live_draw(lv, 0);
            rc = cf_future_result(fs[i], CF_FOREVER, &d, &len);
            int st = rc == 0 ? 0 : cf_future_error(fs[i], NULL);
            res[i].status = rc == 0 ? 0 : st ? st : rc;
            res[i].msg = "";
            if (rc == 0 && (res[i].data = malloc(len ? len : 1)) != NULL)
                memcpy((void *)res[i].data, d, len);
            res[i].len = len;
            live_draw(lv, 0);
        }
    }
    cf_map_free(it);
    it = NULL;
    cf_executor_free(ex); /* shutdown with wait: inside the timed run, like `with` */
    ex = NULL;
    ms = (cf_now_ns() - lv->t0) / 1e6;
    while (atomic_load(&lv->done) < plan->n) { /* callbacks may run after the waiters wake */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    live_draw(lv, 1);
fail:
    if (ms < 0) snprintf(err, errlen, "%s", cf_strerror(rc));
    cf_map_free(it);
    if (fs)
        for (size_t i = 0; i < plan->n; i++)
            cf_future_free(fs[i]);
    free(fs);
    cf_executor_free(ex);
    return ms;
}

static void free_results(wl_result *res, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free((void *)res[i].data);
        res[i].data = NULL;
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Runs every variant of a workload lesson and prints the table. */
/* Sets the lesson's answer against what this run measured: each claim
 * held or not, and the other work the machine did meanwhile (other, in
 * cores), so that a class sees why a run disagrees before it reads the
 * answer. */
static void check_claims(const lesson *ls, const double *ms, const bench_times *spent) {
    int held = 0, cores = cf_default_workers(CF_PROCESS);
    if (ls->nc == 0) return;
    printf("\nThe answer against this run:\n");
    if (cores < ls->cores) {
        printf("  (the answer needs %d cores; this process may use %d: not checked)\n", ls->cores,
               cores);
        return;
    }
    for (size_t k = 0; k < ls->nc; k++) {
        const claim *c = &ls->c[k];
        double r = ms[c->slow] / ms[c->fast];
        int ok = (c->min <= 0 || r >= c->min) && (c->max <= 0 || r <= c->max);
        held += ok;
        printf("  %s %s: measured %.2fx\n", ok ? "yes" : "NO ", c->words, r);
    }
    /* /proc/stat counts whole ticks: shared only beyond that rounding, as
     * summary.c judges a point (NaN: unknown, and said so). */
    double other = spent->other_cpu, res = machine_resolution(spent->wall_ms);
    int shared = !(other - res <= MACHINE_SHARED_CORES);
    if (isnan(other))
        printf("  Other work on this machine during the run: unknown (/proc/stat unread).\n");
    else
        printf("  Other work on this machine during the run: %.2f cores, ± %.2f (%s).\n", other,
               res, shared ? "shared: over 0.2" : "quiet, or too short to tell");
    if (held == (int)ls->nc)
        printf("  This run agrees with the answer.\n");
    else if (shared)
        printf("  This run disagrees, beside other work that took CPU from it: the pools,\n"
               "  which want every core, lose most. The answer is about a quiet machine:\n"
               "  run the lesson again when nothing else runs.\n");
    else if (!(res <= MACHINE_SHARED_CORES))
        printf("  This run disagrees, and was too short to tell whether other work\n"
               "  explains it: run the lesson at a larger --size.\n");
    else
        printf("  This run disagrees on a quiet machine: here, the answer does not hold as\n"
               "  stated (the size, the cores, or this machine's costs differ).\n");
}

static int run_workload_lesson(const lesson *ls, wl_size size, const live *style) {
    const workload *wl = workload_find(ls->workload);
    wl_params p = {.size = size};
    wl_plan plan = {0};
    served srv = {{0, -1}, ""};
    char err[256], dir[] = "/tmp/cfbench-demo-XXXXXX", first[65] = "";
    double ms[5] = {0};
    int rc = 1;
    if (!wl) return 1;
    if (!strcmp(ls->workload, "download")) {
        dl_link link;
        if (!mkdtemp(dir)) {
            fprintf(stderr, "cfbench demo: mkdtemp: %s\n", strerror(errno));
            return 1;
        }
        p.out_dir = dir;
        /* The loopback server as `cfbench run` starts it: a child process,
         * so that the process pool's forks carry none of its threads. */
        if (dl_link_for(size, &link) != 0) goto out;
        srv_options so = {0, link.ttfb_ms, link.rate, link.file_size, NULL};
        if (serve_start("/proc/self/exe", &so, &srv, err, sizeof err) != 0) {
            fprintf(stderr, "cfbench demo: %s\n", err);
            goto out;
        }
        p.base_url = srv.base_url;
    }
    if (wl->prepare(&p, &plan, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench demo: %s: %s\n", ls->workload, err);
        goto out;
    }
    printf("%s, %s: %s\n\n", ls->workload, wl_size_name(size), plan.label);
    wl_result *res = calloc(plan.n, sizeof *res);
    if (!res) goto out;
    bench_timer span; /* all the variants: the other work beside them */
    bench_times spent = {.other_cpu = NAN};
    (void)timer_start(&span);
    for (size_t i = 0; i < ls->nv; i++) {
        const variant *v = &ls->v[i];
        live lv = *style;
        char label[64], digest[65];
        size_t failed = 0;
        lv.n = plan.n;
        lv.seq_ms = ms[0];
        if (ls->warmup) {
            live quiet = lv;
            quiet.tty = 0;
            quiet.drawn = -1; /* draws nothing */
            if (run_variant(v, &plan, &quiet, res, err, sizeof err) < 0) {
                fprintf(stderr, "cfbench demo: warm-up: %s\n", err);
                goto done;
            }
            free_results(res, plan.n);
        }
        variant_label(v, variant_workers(v, plan.n), label, sizeof label);
        printf("%s\n", label);
        fflush(stdout);
        ms[i] = run_variant(v, &plan, &lv, res, err, sizeof err);
        if (ms[i] < 0) {
            fprintf(stderr, "cfbench demo: %s: %s\n", label, err);
            free_results(res, plan.n);
            goto done;
        }
        if (wl->verify(&plan, res, digest, &failed, err, sizeof err) != 0 || failed ||
            (*first && strcmp(first, digest))) {
            fprintf(stderr, "cfbench demo: %s: wrong results (%zu failed) %s\n", label, failed,
                    err);
            free_results(res, plan.n);
            goto done;
        }
        memcpy(first, digest, sizeof first);
        free_results(res, plan.n);
        printf("\n");
    }
    printf("Measured (every variant computed the same results):\n");
    for (size_t i = 0; i < ls->nv; i++) {
        const variant *v = &ls->v[i];
        char label[64];
        variant_label(v, variant_workers(v, plan.n), label, sizeof label);
        printf("  %-28s %9.1f ms", label, ms[i]);
        if (i > 0)
            printf("   %.2fx %s", ms[0] / ms[i] >= 1 ? ms[0] / ms[i] : ms[i] / ms[0],
                   ms[0] / ms[i] >= 1 ? "faster" : "slower");
        printf("\n");
    }
    if (timer_stop(&span, &spent) != 0) spent.other_cpu = NAN;
    check_claims(ls, ms, &spent);
    rc = 0;
done:
    free(res);
out:
    wl->release(&plan);
    serve_stop(&srv);
    if (p.out_dir) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

/* ---- the deadlock lesson ----------------------------------------------- */

static cf_executor *dl_pool;
static atomic_int dl_started, dl_parents; /* parents running, parents submitted */
static const cf_task *dl_child_task, *dl_parent_task;

static int dl_child(const void *in, size_t len, cf_out *out) {
    return cf_out_set(out, in, len);
}

/* Submits a child to its own pool and waits for it. */
static int dl_parent(const void *in, size_t len, cf_out *out) {
    cf_future *child;
    /* Every parent holds its worker before any child is queued, so that
     * the outcome does not depend on who the scheduler runs first. */
    atomic_fetch_add(&dl_started, 1);
    while (atomic_load(&dl_started) < atomic_load(&dl_parents)) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    int rc = cf_submit(dl_pool, dl_child_task, in, len, &child);
    if (rc != 0) return rc;
    rc = cf_future_result(child, CF_FOREVER, NULL, NULL);
    cf_future_free(child);
    if (rc != 0) cf_out_error(out, "waiting on my child: %s", cf_err_name(rc));
    return rc;
}

/* With w workers, w - 1 waiting parents finish and w parents deadlock. */
static int run_deadlock_lesson(const lesson *ls) {
    dl_child_task = cf_task_register("demo_child", dl_child);
    dl_parent_task = cf_task_register("demo_parent", dl_parent);
    if (!dl_child_task || !dl_parent_task) return 1;
    printf("Each parent task submits a child to the same pool and waits for it.\n\n");
    for (size_t i = 0; i < ls->nv; i++) {
        int w = ls->v[i].workers;
        for (int parents = w - 1; parents <= w; parents++) {
            if (parents == 0) continue;
            cf_options o = CF_OPTIONS_INIT;
            o.max_workers = w;
            cf_future *fs[8];
            int ok = 0, dead = 0;
            atomic_store(&dl_started, 0);
            atomic_store(&dl_parents, parents);
            if (cf_executor_new(CF_THREAD, &o, &dl_pool) != 0) return 1;
            for (int k = 0; k < parents; k++)
                if (cf_submit(dl_pool, dl_parent_task, &k, sizeof k, &fs[k]) != 0) return 1;
            for (int k = 0; k < parents; k++) {
                int rc = cf_future_result(fs[k], CF_FOREVER, NULL, NULL);
                ok += rc == 0;
                dead += rc == CF_ETASK && cf_future_error(fs[k], NULL) == CF_EDEADLK;
                cf_future_free(fs[k]);
            }
            cf_executor_free(dl_pool);
            printf("  %d worker%s, %d waiting parent%s: %d finished, %d CF_EDEADLK%s\n", w,
                   w == 1 ? " " : "s", parents, parents == 1 ? " " : "s", ok, dead,
                   dead ? "  <- Python hangs here" : "");
        }
    }
    return 0;
}

/* ---- the command ------------------------------------------------------- */

static void usage(FILE *to) {
    fprintf(to, "usage: cfbench demo LESSON [--size quick|default] [--no-wait]\n"
                "       cfbench demo --list\n\n"
                "A lesson for a class: it asks a question, waits for Enter (on a terminal),\n"
                "runs the workload live (one row per worker, a running speedup) and\n"
                "answers with the measured times. NO_COLOR turns colour off.\n\n"
                "  --size S     quick (a few seconds) or default (default)\n"
                "  --no-wait    do not wait for Enter after the question\n"
                "  --list       the lessons\n\n"
                "examples:\n"
                "  cfbench demo tiny-tasks\n"
                "  cfbench demo downloads --size quick --no-wait\n");
}

int cmd_demo(int argc, char **argv) {
    const char *name = NULL, *sizes[] = {wl_size_name(WL_QUICK), wl_size_name(WL_DEFAULT), NULL};
    const lesson *ls = NULL;
    int size = WL_DEFAULT, no_wait = 0, list = 0, status;
    const cli_option opts[] = {
        CLI_OPT_ONE_OF("--size", &size, sizes),
        CLI_OPT_FLAG("--no-wait", &no_wait),
        CLI_OPT_STOP("--list", &list),
        CLI_OPT_END,
    };
    const cli_command cmd = {
        .name = "demo", .usage = usage, .options = opts, .operands = &name, .max_operands = 1,
        .too_many = ": one lesson at a time"};
    if (cli_parse(&cmd, argc, argv, &status)) return status;
    if (list) {
        for (size_t k = 0; k < NLESSONS; k++)
            printf("%-22s %s\n", lessons[k].name, lessons[k].what);
        return 0;
    }
    if (name == NULL) return cli_bad_usage("demo", "which lesson? (cfbench demo --list)");
    for (size_t k = 0; k < NLESSONS && !ls; k++)
        if (!strcmp(name, lessons[k].name)) ls = &lessons[k];
    if (ls == NULL) {
        char err[160];
        snprintf(err, sizeof err, "no lesson '%.60s' (cfbench demo --list)", name);
        return cli_bad_usage("demo", err);
    }
    live style = {0};
    style.tty = isatty(STDOUT_FILENO);
    style.color = style.tty && !getenv("NO_COLOR");
    printf("== %s ==\n\nQuestion: %s\n\n", ls->name, ls->question);
    if (!no_wait && isatty(STDIN_FILENO)) {
        char line[64];
        printf("Your prediction? Press Enter to run. ");
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) printf("\n");
        printf("\n");
    }
    int rc = ls->workload ? run_workload_lesson(ls, (wl_size)size, &style) : run_deadlock_lesson(ls);
    if (rc == 0) printf("\nAnswer: %s\n", ls->answer);
    return rc;
}
