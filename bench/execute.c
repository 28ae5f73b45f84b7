/* execute.c -- one run of a point, C or Python, its verdict, and the
 * signal watcher that cancels a run in progress. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "execute.h"
#include "python.h"

static pthread_t watcher;
static atomic_int stop_signal;
static int sig_pipe[2] = {-1, -1};
static pthread_mutex_t cur_mu = PTHREAD_MUTEX_INITIALIZER;
static cf_executor *cur_ex; /* guarded by cur_mu: the pool now running */
static unsigned started_by; /* bit m: a process pool started a worker by method m */

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

/* Keeps task i's outcome, e from cf_map_next() with its bytes, in col
 * (copied: they only live until the next call). */
static void collect(collected *col, size_t i, cf_map_iter *map, int e, const void *data,
                    size_t len) {
    wl_result *r = &col->res[i];
    if (e == 0) {
        char *copy = malloc(len + 1);
        if (copy == NULL) {
            r->status = CF_ENOMEM;
            r->msg = "out of memory copying the result";
            return;
        }
        memcpy(copy, data, len);
        copy[len] = '\0';
        col->own[2 * i] = copy;
        *r = (wl_result){0, copy, len, ""};
        return;
    }
    const char *msg = NULL; /* the task's message, or the pool's (which worker broke it) */
    int st = cf_map_error(map, &msg);
    if (e != CF_ETASK) st = 0;
    r->status = st != 0 ? st : e;
    col->own[2 * i + 1] = strdup(msg && *msg ? msg : cf_strerror(e));
    r->msg = col->own[2 * i + 1] ? col->own[2 * i + 1] : "";
}

/* Maps every input through a fresh executor, as `with Executor() as ex:
 * list(ex.map(...))` would. Returns 0, or -1 with err set if the pool
 * could not start (task failures are not errors here: verify counts
 * them). */
static int run_pool(const point *p, const run_config *c, wl_plan *plan, collected *col,
                    cf_times *times, int64_t unseen_ns[2], char *err, size_t errlen) {
    const mode_info *m = &run_modes[p->mode];
    cf_options o = CF_OPTIONS_INIT;
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    cf_executor *ex = NULL;
    cf_map_iter *map = NULL;
    unsigned char *seen = NULL;
    int rc = -1;

    o.max_workers = p->workers;
    o.trace = times != NULL;
    o.start_method = c->start_method;
    /* cfbench's own threads (the signal watcher, blocked in read; the
     * loopback server's) hold no lock a task takes but glibc's allocator's,
     * which glibc resets in a forked child: forking here is safe. */
    o.fork_warning_off = 1;
    if (m->gil) o.gil_interval = (double)c->switch_interval_ms / 1000.0;
    mo.chunksize = (int)p->chunksize;
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
        collect(col, i, map, e, data, len);
    }
    rc = 0;

cleanup:
    if (ex != NULL && m->kind == CF_PROCESS) started_by |= 1u << cf_executor_start_method(ex);
    cf_map_free(map);
    if (ex != NULL) {
        set_current(NULL);
        (void)cf_executor_shutdown(ex, 1, 0);
        /* Fork-server workers are not our children: their CPU comes back
         * through the pool, where getrusage() cannot see it. */
        (void)cf_executor_unseen_cpu(ex, &unseen_ns[0], &unseen_ns[1]);
        cf_executor_free(ex);
    }
    free(seen);
    return rc;
}

/* Calls every task in a plain for loop, here: no executor, no future, no
 * copy of the input; what Python's list comprehension and the blog's
 * sequential code do. Traced, each task's times are taken around its call
 * (submit = start, collect = end: nothing waits or hands back). A signal
 * stops it between tasks; the rest keep "no result collected". */
static void run_loop(wl_plan *plan, collected *col, cf_times *times) {
    for (size_t i = 0; i < plan->n && !signals_caught(); i++) {
        void *data = NULL;
        size_t len = 0;
        char *msg = NULL;
        int status = 0;
        int64_t t0 = times != NULL ? cf_now_ns() : 0;
        int e = cf_task_call(plan->task, plan->in[i], plan->in_len[i], &data, &len, &status, &msg);
        if (times != NULL) {
            int64_t t1 = cf_now_ns();
            times[i] = (cf_times){t0, t0, t1, t1, 0};
        }
        wl_result *r = &col->res[i];
        if (e == 0) {
            col->own[2 * i] = data; /* NUL-terminated already, or NULL when empty */
            *r = (wl_result){0, data != NULL ? data : "", len, ""};
            continue;
        }
        /* As collect() words a failure the executors report. */
        r->status = e == CF_ETASK && status != 0 ? status : e;
        col->own[2 * i + 1] = strdup(msg != NULL && *msg ? msg : cf_strerror(e));
        free(msg);
        r->msg = col->own[2 * i + 1] ? col->own[2 * i + 1] : "";
    }
}

/* Copies each task's outcome: the first failure's message, and task_ok. */
static void note_outcome(const collected *col, unsigned char *task_ok, run_result *out) {
    for (size_t i = 0; task_ok != NULL && i < col->n; i++)
        task_ok[i] = col->res[i].status == 0;
    if (!out->verified) return; /* first_error holds verify()'s reason */
    for (size_t i = 0; i < col->n; i++) {
        const wl_result *r = &col->res[i];
        if (r->status != 0) {
            snprintf(out->first_error, sizeof out->first_error, "task %zu: %s", i,
                     r->msg && *r->msg ? r->msg : cf_strerror(r->status));
            return;
        }
    }
}

int execute_run(const point *p, wl_plan *plan, const run_config *c, cf_times *times,
                unsigned char *task_ok, run_result *out, char *err, size_t errlen) {
    const workload *wl = p->wl;
    collected col;
    bench_timer t;
    int64_t unseen_ns[2] = {0, 0};
    int rc = -1;

    memset(out, 0, sizeof *out);
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
    if (run_modes[p->mode].gil) cf_gil_stats_reset();
    /* The async bytes belong to the plan; col.own stays empty. */
    if (run_modes[p->mode].plain) {
        run_loop(plan, &col, times);
    } else if (run_modes[p->mode].async) {
        if (wl->run_async(plan, p->workers, col.res, times, err, errlen) != 0) goto cleanup;
    } else if (run_pool(p, c, plan, &col, times, unseen_ns, err, errlen) != 0) {
        goto cleanup;
    }
    if (timer_stop(&t, &out->t) != 0) {
        snprintf(err, errlen, "clock: %s", strerror(errno));
        goto cleanup;
    }
    if (run_modes[p->mode].gil) {
        cf_gil_stats g;
        cf_gil_stats_get(&g);
        out->gil_acq = (double)g.acquisitions;
        out->gil_forced = (double)g.forced;
    }
    out->t.user_ms += (double)unseen_ns[0] / 1e6;
    out->t.sys_ms += (double)unseen_ns[1] / 1e6;
    out->verified = wl->verify(plan, col.res, out->digest, &out->failed, out->first_error,
                               sizeof out->first_error) == 0;
    memcpy(out->checked, out->digest, sizeof out->checked);
    note_outcome(&col, task_ok, out);
    rc = 0;

cleanup:
    collected_free(&col);
    return rc;
}

int execute_python(const point *p, const wl_plan *plan, const run_config *c, const py_setup *py,
                   run_result **reps, size_t *n, char *err, size_t errlen) {
    py_point pp = {run_modes[p->mode].name,
                   p->workers,
                   p->chunksize,
                   c->repeat,
                   c->warmup,
                   wl_size_name(c->size),
                   (const char *const *)c->urls,
                   c->nurls,
                   py->base_url,
                   py->dir};
    py_outcome o;
    bench_timer t;
    bench_times whole;

    *reps = NULL;
    *n = 0;
    /* The rest of the machine over the runner's whole life (its warmups
     * too): the reps are timed inside it, where /proc/stat is not read. */
    if (timer_start(&t) != 0) {
        snprintf(err, errlen, "clock: %s", strerror(errno));
        return -1;
    }
    if (py_run_point(py->exe, py->root, p->wl, plan, &pp, &o, err, errlen) != 0) return -1;
    if (timer_stop(&t, &whole) != 0)
        whole.other_ms = whole.other_cpu = whole.steal_cpu = whole.load = NAN;
    *reps = calloc(o.nreps ? o.nreps : 1, sizeof **reps);
    if (*reps == NULL) {
        py_outcome_free(&o);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < o.nreps; k++) {
        const py_rep *pr = &o.reps[k];
        run_result *r = &(*reps)[k];
        r->t = (bench_times){.wall_ms = pr->wall_ms,
                             .user_ms = pr->user_ms,
                             .sys_ms = pr->sys_ms,
                             .max_rss_kb = pr->max_rss_kb,
                             .vol_cs = pr->vol_cs,
                             .invol_cs = pr->invol_cs,
                             .other_ms = whole.other_cpu * pr->wall_ms,
                             .other_cpu = whole.other_cpu,
                             .steal_cpu = whole.steal_cpu,
                             .load = whole.load};
        r->failed = pr->failed;
        r->verified = o.verified;
        r->rep = pr->rep;
        memcpy(r->digest, pr->digest, sizeof r->digest);
        memcpy(r->checked, o.digest, sizeof r->checked);
        memcpy(r->first_error, o.first_error, sizeof r->first_error);
    }
    *n = o.nreps;
    py_outcome_free(&o);
    return 0;
}

verdict run_verdict(const run_result *r, const char ref[65]) {
    if (!r->verified) return VERDICT_WRONG;
    if (strcmp(r->digest, r->checked) != 0 || (ref[0] != '\0' && strcmp(ref, r->digest) != 0))
        return VERDICT_DIFFERS;
    return r->failed > 0 ? VERDICT_OK_FAILURES : VERDICT_OK;
}

void verdict_words(verdict v, const run_result *r, const char ref[65], const char *seq, char *buf,
                   size_t len) {
    const char *s = r->failed == 1 ? "" : "s";
    switch (v) {
    case VERDICT_OK: snprintf(buf, len, "ok"); break;
    case VERDICT_WRONG: snprintf(buf, len, "wrong result: %s", r->first_error); break;
    case VERDICT_DIFFERS:
        snprintf(buf, len, "digest %.12s differs from %s's %.12s (%zu failed task%s%s%s)",
                 r->digest, seq, ref, r->failed, s, r->first_error[0] ? "; " : "", r->first_error);
        break;
    case VERDICT_OK_FAILURES:
        snprintf(buf, len, "%zu failed task%s, as in %s (%s)", r->failed, s, seq, r->first_error);
        break;
    }
}

int signals_start(void) {
    struct sigaction sa;
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    /* Only the write end must never block (in the handler). */
    if (fcntl(sig_pipe[0], F_SETFL, 0) != 0) return -1;
    if (pthread_create(&watcher, NULL, sig_watch, NULL) != 0) return -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    return 0;
}

void signals_stop(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    close(sig_pipe[1]);
    pthread_join(watcher, NULL);
    close(sig_pipe[0]);
}

int signals_caught(void) {
    return stop_signal;
}

void execute_start_methods(char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (int m = CF_START_FORK; m <= CF_START_FORKSERVER; m++)
        if (started_by & 1u << m)
            used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
                                     used ? "," : "", cf_start_method_name((cf_start_method)m));
}
