/* stress.c -- seeded random mixes of every executor operation, checked
 * after each round.
 *
 * Usage: stress [--seed N] [--seconds N] [--round R] [--verbose]. The seed
 * (default: from the clock) is printed first; each round draws its own
 * seed from it, so a failing round is replayed with the same --seed, alone
 * with --round R, each operation printed with --verbose (timing may still
 * vary, the sequence of operations does not). A round makes one executor of a
 * random kind and options, then a random sequence of: submit (tiny, short
 * sleeps, failing tasks; on process pools also tasks that outlive
 * task_timeout and tasks that SIGKILL their own worker, which breaks the
 * pool as expected), done callbacks, cancel, map (chunksize, buffersize,
 * timeout), cf_wait and as_completed over some futures, shutdown with or
 * without wait and cancel_futures, and terminate_workers / kill_workers. After freeing the executor
 * it checks: every future is done with exactly one documented outcome, consistent with its task and
 * the pool's kind; every callback ran exactly once; no child process and no descriptor is left. A
 * watchdog thread aborts a round that hangs, printing the seed. Leaks are ASan's to find (make
 * SANITIZE=asan stress). The last line reads "stress: N rounds, M futures, seed S: 1 passed, 0
 * failed". */
#include <getopt.h>

#include "lib_check.h"

#define MAX_FUTURES 256
#define ROUND_LIMIT_S 120 /* a round slower than this is a hang */

/* ---- random numbers (xorshift64*), one stream per round ------------- */

static uint64_t rng_state;

static uint64_t rng_next(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* Uniform in [0, n). */
static int rng(int n) {
    return (int)(rng_next() % (uint64_t)n);
}

/* ---- a round: its executor and futures ------------------------------ */

typedef enum what { ECHO, SLEEP, FAIL, OUTLIVE, SUICIDE } what;
static const char *const what_name[] = {"echo", "sleep", "fail", "outlive", "suicide"};

typedef struct rec {
    cf_future *f;
    what task;
    char in[32];
    int callbacks;    /* added */
    atomic_int calls; /* run */
} rec;

typedef struct mix {
    uint64_t seed;
    int number;
    cf_kind kind;
    cf_options opts;
    cf_executor *ex;
    rec recs[MAX_FUTURES];
    int n;
    int broken_expected; /* a suicide task was submitted */
} mix;

static uint64_t master_seed;
static atomic_int failures;
static atomic_long round_started_ns; /* 0 between rounds */
static atomic_int current_round;
static int verbose;
static int only_round = -1; /* --round R: run that round of the seed only */

static void report(const mix *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(const mix *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr,
            "stress: FAIL seed %llu round %d (%s, %d workers): ", (unsigned long long)master_seed,
            r->number, cf_kind_name(r->kind), r->opts.max_workers);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    atomic_fetch_add(&failures, 1);
}

static void on_done(cf_future *f, void *arg) {
    (void)f;
    atomic_fetch_add(&((rec *)arg)->calls, 1);
}

/* With --verbose, one line per operation, to replay a failing round. */
static void trace(const mix *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(const mix *r, const char *fmt, ...) {
    if (!verbose) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "stress: round %d: ", r->number);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- operations ------------------------------------------------------- */

static void op_submit(mix *r) {
    if (r->n == MAX_FUTURES) return;
    rec *c = &r->recs[r->n];
    int roll = rng(100);
    c->task = roll < 50   ? ECHO
              : roll < 75 ? SLEEP
              : roll < 92 ? FAIL
              : roll < 97 ? OUTLIVE
                          : SUICIDE;
    /* Only a process pool with a task limit can end a task that never
     * returns, and only its workers may die. */
    if (c->task == OUTLIVE && !(r->kind == CF_PROCESS && r->opts.task_timeout > 0)) c->task = ECHO;
    if (c->task == SUICIDE && (r->kind != CF_PROCESS || rng(4) != 0)) c->task = FAIL;
    const cf_task *t = lt_t_echo;
    switch (c->task) {
    case ECHO: snprintf(c->in, sizeof c->in, "e%d", r->n); break;
    case SLEEP:
        t = lt_t_sleep;
        snprintf(c->in, sizeof c->in, "%d", rng(10));
        break;
    case FAIL:
        t = lt_t_fail;
        snprintf(c->in, sizeof c->in, "f%d", r->n);
        break;
    case OUTLIVE:
        t = lt_t_gate;
        snprintf(c->in, sizeof c->in, "/nonexistent/stress.gate");
        break;
    case SUICIDE:
        t = lt_t_crash;
        snprintf(c->in, sizeof c->in, "kill");
        break;
    }
    int rc = cf_submit(r->ex, t, c->in, strlen(c->in), &c->f);
    trace(r, "submit #%d %s '%s': %s", r->n, what_name[c->task], c->in, cf_err_name(rc));
    if (rc == CF_ESHUTDOWN || (rc == CF_EBROKEN && r->kind == CF_PROCESS)) return;
    if (rc != 0 || c->f == NULL) {
        report(r, "submit %s: %s", what_name[c->task], cf_err_name(rc));
        return;
    }
    if (c->task == SUICIDE) r->broken_expected = 1;
    atomic_store(&c->calls, 0);
    c->callbacks = rng(3);
    for (int k = 0; k < c->callbacks; k++)
        if (cf_future_add_done_callback(c->f, on_done, c) != 0) report(r, "add_done_callback");
    r->n++;
}

static void op_cancel(mix *r) {
    if (r->n == 0) return;
    int i = rng(r->n);
    rec *c = &r->recs[i];
    int ok = cf_future_cancel(c->f);
    trace(r, "cancel #%d: %d", i, ok);
    if (ok && !cf_future_cancelled(c->f)) report(r, "cancel said 1, cancelled() says 0");
}

/* A few futures of the round, picked at random (repeats allowed). */
static int pick(mix *r, cf_future **fs, int max) {
    int n = r->n < max ? r->n : max;
    for (int i = 0; i < n; i++)
        fs[i] = r->recs[rng(r->n)].f;
    return n;
}

static void op_wait(mix *r) {
    cf_future *fs[8];
    int n = pick(r, fs, 1 + rng(8));
    unsigned char done[8];
    int got = cf_wait(fs, (size_t)n, rng(2) ? 0 : 0.02, (cf_return_when)rng(3), done);
    if (got < 0 || got > n) report(r, "cf_wait: %d of %d", got, n);
    for (int i = 0; i < n && got >= 0; i++)
        if (done[i] && !cf_future_done(fs[i])) report(r, "cf_wait: done[%d] but not done", i);
}

static void op_as_completed(mix *r) {
    cf_future *fs[8];
    int n = pick(r, fs, 1 + rng(8));
    cf_as_completed *it = NULL;
    if (cf_as_completed_new(fs, (size_t)n, 0.02, &it) != 0) {
        report(r, "as_completed_new");
        return;
    }
    cf_future *given[8];
    int k = 0, rc;
    cf_future *f;
    while ((rc = cf_as_completed_next(it, &f, NULL)) == 0 && k < 8) {
        if (!cf_future_done(f)) report(r, "as_completed gave an unfinished future");
        for (int j = 0; j < k; j++)
            if (given[j] == f) report(r, "as_completed gave a future twice");
        given[k++] = f;
    }
    if (rc != CF_EOF && rc != CF_ETIMEDOUT) report(r, "as_completed_next: %s", cf_err_name(rc));
    cf_as_completed_free(it);
}

static int map_input(void *arg, size_t i, const void **data, size_t *len) {
    char *buf = arg; /* 32 bytes; the lib copies before the next call */
    if ((long)i >= atol(buf + 16)) return CF_EOF;
    *len = (size_t)snprintf(buf, 16, "%zu", i);
    *data = buf;
    return 0;
}

static void op_map(mix *r) {
    char buf[32];
    int n = rng(40);
    snprintf(buf + 16, 16, "%d", n);
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = 1 + rng(4);
    mo.buffersize = rng(4);
    mo.timeout = rng(4) == 0 ? 0.05 : CF_FOREVER;
    cf_map_iter *m = NULL;
    int rc = cf_map(r->ex, lt_t_sq, map_input, buf, &mo, &m);
    trace(r, "map n %d chunksize %d buffersize %d timeout %g: %s", n, mo.chunksize, mo.buffersize,
          mo.timeout, cf_err_name(rc));
    if (rc == CF_ESHUTDOWN || (rc == CF_EBROKEN && r->kind == CF_PROCESS)) return;
    if (rc != 0) {
        report(r, "cf_map: %s", cf_err_name(rc));
        return;
    }
    int consume = rng(n + 2);
    const void *data;
    size_t len;
    char want[32];
    for (int i = 0; i < consume; i++) {
        rc = cf_map_next(m, &data, &len);
        if (rc == 0) {
            long k = (long)cf_map_index(m);
            snprintf(want, sizeof want, "%ld", k * k);
            if (k != i || len != strlen(want) || memcmp(data, want, len) != 0)
                report(r, "map item %d: index %ld, '%.*s'", i, k, (int)len, (const char *)data);
            continue;
        }
        if (rc == CF_EOF && i != n) report(r, "map ended after %d of %d", i, n);
        if (rc == CF_ETIMEDOUT && (rc = cf_map_next(m, &data, &len)) != CF_EOF)
            report(r, "map next after its timeout: %s", cf_err_name(rc));
        else if (rc != CF_EOF && rc != CF_ECANCELLED && rc != CF_ETIMEDOUT &&
                 !(rc == CF_EBROKEN && r->kind == CF_PROCESS))
            report(r, "map next: %s", cf_err_name(rc));
        break;
    }
    cf_map_free(m);
}

static void shutdown_traced(mix *r, int wait, int cancel) {
    trace(r, "shutdown wait %d cancel_futures %d", wait, cancel);
    cf_executor_shutdown(r->ex, wait, cancel);
}

static void op_shutdown(mix *r) {
    int wait = rng(2);
    shutdown_traced(r, wait, rng(2));
}

/* terminate_workers / kill_workers: a process pool breaks (as a suicide
 * task would break it), the other kinds refuse. */
static void op_stop_workers(mix *r) {
    int kill = rng(2);
    int rc = kill ? cf_executor_kill_workers(r->ex) : cf_executor_terminate_workers(r->ex);
    trace(r, "%s_workers: %s", kill ? "kill" : "terminate", cf_err_name(rc));
    if (rc != (r->kind == CF_PROCESS ? 0 : CF_EINVAL))
        report(r, "%s_workers: %s", kill ? "kill" : "terminate", cf_err_name(rc));
    if (r->kind == CF_PROCESS) r->broken_expected = 1;
}

/* ---- checks ----------------------------------------------------------- */

static int outcome_allowed(const mix *r, const rec *c, int outcome) {
    if (outcome == CF_ECANCELLED) return 1;
    if (outcome == CF_EBROKEN) return r->kind == CF_PROCESS && r->broken_expected;
    switch (c->task) {
    case ECHO: return outcome == 0;
    case SLEEP: return outcome == 0 || (outcome == CF_ETIMEDOUT && r->opts.task_timeout > 0);
    case FAIL: return outcome == CF_ETASK;
    case OUTLIVE: return outcome == CF_ETIMEDOUT;
    case SUICIDE: return 0;
    }
    return 0;
}

static void check_future(const mix *r, int i) {
    const rec *c = &r->recs[i];
    cf_future *f = c->f;
    if (!cf_future_done(f) || cf_future_running(f)) {
        report(r, "future %d (%s) not done after free", i, what_name[c->task]);
        return;
    }
    int outcome = cf_future_outcome(f);
    if (!outcome_allowed(r, c, outcome))
        report(r, "future %d (%s): outcome %s", i, what_name[c->task], cf_err_name(outcome));
    if (cf_future_cancelled(f) != (outcome == CF_ECANCELLED))
        report(r, "future %d: cancelled() disagrees with %s", i, cf_err_name(outcome));
    const void *data = NULL;
    size_t len = 0;
    int rc = cf_future_result(f, 0, &data, &len);
    if (rc != outcome)
        report(r, "future %d: result %s, outcome %s", i, cf_err_name(rc), cf_err_name(outcome));
    if (rc == 0 && (len != strlen(c->in) || memcmp(data, c->in, len) != 0))
        report(r, "future %d (%s): wrong result", i, what_name[c->task]);
    if (rc == CF_ETASK && cf_future_error(f, NULL) != 7)
        report(r, "future %d: status %d", i, cf_future_error(f, NULL));
    int calls = atomic_load(&c->calls);
    if (calls != c->callbacks)
        report(r, "future %d: %d callbacks ran, %d added", i, calls, c->callbacks);
}

/* Open descriptors below 4096 (lt_count_fds() asserts with Check, which
 * only works inside a Check test). */
static int count_fds(void) {
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

static void check_no_children(const mix *r) {
    int st;
    errno = 0;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid != -1 || errno != ECHILD) report(r, "a child process is left (waitpid: %d)", (int)pid);
}

/* ---- rounds ----------------------------------------------------------- */

static void run_round(mix *r) {
    rng_state = r->seed | 1;
    r->kind = lt_kinds[rng(3)];
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 1 + rng(4);
    o.trace = rng(2);
    if (r->kind == CF_PROCESS) {
        o.max_tasks_per_child = rng(3) == 0 ? 1 + rng(3) : 0;
        o.task_timeout = rng(3) == 0 ? 1.0 : 0;
    }
    r->opts = o;
    if (verbose)
        fprintf(stderr, "stress: round %d: %s, %d workers, per child %d, task_timeout %g\n",
                r->number, cf_kind_name(r->kind), o.max_workers, o.max_tasks_per_child,
                o.task_timeout);
    int fds = count_fds();
    if (cf_executor_new(r->kind, &o, &r->ex) != 0) {
        report(r, "cf_executor_new");
        return;
    }
    int ops = 20 + rng(150);
    for (int k = 0; k < ops; k++) {
        int roll = rng(100);
        if (roll < 60)
            op_submit(r);
        else if (roll < 72)
            op_cancel(r);
        else if (roll < 82)
            op_map(r);
        else if (roll < 90)
            op_wait(r);
        else if (roll < 97)
            op_as_completed(r);
        else if (roll < 99 || k > ops - 3)
            op_shutdown(r);
        else
            op_stop_workers(r);
    }
    if (rng(2)) shutdown_traced(r, 1, rng(2));
    trace(r, "free");
    cf_executor_free(r->ex);
    for (int i = 0; i < r->n; i++)
        check_future(r, i);
    for (int i = 0; i < r->n; i++)
        cf_future_free(r->recs[i].f);
    check_no_children(r);
    int now = count_fds();
    if (now != fds) report(r, "%d descriptors before, %d after", fds, now);
}

static void *watchdog(void *arg) {
    (void)arg;
    for (;;) {
        lt_sleep_ms(500);
        long started = atomic_load(&round_started_ns);
        if (started != 0 && cf_now_ns() - started > ROUND_LIMIT_S * 1000000000L) {
            fprintf(stderr, "stress: HANG seed %llu round %d: over %d s\n",
                    (unsigned long long)master_seed, atomic_load(&current_round), ROUND_LIMIT_S);
            abort();
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    master_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    double seconds = 60;
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'},
        {"seconds", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"round", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's')
            master_seed = strtoull(optarg, NULL, 10);
        else if (c == 't')
            seconds = strtod(optarg, NULL);
        else if (c == 'v')
            verbose = 1;
        else if (c == 'r')
            only_round = atoi(optarg);
        else {
            fprintf(stderr, "usage: stress [--seed N] [--seconds N] [--round R] [--verbose]\n");
            return 2;
        }
    }
    printf("stress: seed %llu, %g s\n", (unsigned long long)master_seed, seconds);
    fflush(stdout);
    lt_register_tasks();
    pthread_t dog;
    if (pthread_create(&dog, NULL, watchdog, NULL) != 0 || pthread_detach(dog) != 0) return 1;

    static mix r;
    long futures = 0;
    int first = only_round >= 0 ? only_round : 0, next = first;
    double end = lt_now() + seconds;
    do {
        memset(&r, 0, sizeof r);
        r.number = next;
        r.seed = master_seed * 0x9E3779B97F4A7C15ull + (uint64_t)next;
        atomic_store(&current_round, next);
        atomic_store(&round_started_ns, (long)cf_now_ns());
        run_round(&r);
        atomic_store(&round_started_ns, 0);
        futures += r.n;
        next++;
    } while (only_round < 0 && lt_now() < end && atomic_load(&failures) == 0);

    int failed = atomic_load(&failures) != 0;
    printf("stress: %d rounds, %ld futures, seed %llu: %d passed, %d failed\n", next - first,
           futures, (unsigned long long)master_seed, !failed, failed);
    return failed;
}
