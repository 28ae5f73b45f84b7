/* overhead_rows.c -- `cfbench overhead`'s shared row helpers and its load
 * rows: contention, memory per pending future, payloads (overhead_rows.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "overhead_rows.h"
#include "probe.h"

ov_usage ov_usage_now(void) {
    struct rusage s, c;
    if (getrusage(RUSAGE_SELF, &s) != 0 || getrusage(RUSAGE_CHILDREN, &c) != 0)
        return (ov_usage){0, 0, 0, 0}; /* cannot fail with these arguments */
    return (ov_usage){(double)s.ru_minflt, (double)(s.ru_nvcsw + s.ru_nivcsw), (double)c.ru_minflt,
                      (double)(c.ru_nvcsw + c.ru_nivcsw)};
}

ov_usage ov_usage_since(ov_usage a) {
    ov_usage b = ov_usage_now();
    return (ov_usage){b.minflt - a.minflt, b.csw - a.csw, b.child_minflt - a.child_minflt,
                      b.child_csw - a.child_csw};
}

void ov_row(const char *ex, const char *method, int chunk, long tasks, double us, ov_usage u,
                   double per) {
    printf("%s,%s,%d,%ld,%.4f,%.4f,%.4f,%.4f,%.4f\n", ex, method, chunk, tasks, us, u.minflt / per,
           u.csw / per, u.child_minflt / per, u.child_csw / per);
    fflush(stdout);
}

double ov_secs(int64_t ns) {
    return (double)ns / 1e9;
}

double ov_run_submit(cf_executor *ex, const cf_task *t, size_t n, cf_future **fs) {
    int64_t t0 = cf_now_ns();
    for (size_t i = 0; i < n; i++)
        if (cf_submit(ex, t, NULL, 0, &fs[i])) return CF_ENOMEM;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bad |= cf_future_result(fs[i], CF_FOREVER, NULL, NULL) != 0;
        cf_future_free(fs[i]);
    }
    int64_t t1 = cf_now_ns();
    return bad ? CF_ETASK : ov_secs(t1 - t0);
}

/* ---- contention: several threads submitting to one pool ---- */

/* One producer of run_producers(): submits its slice, then collects it. */
typedef struct {
    cf_executor *ex;
    const cf_task *t;
    cf_future **fs;
    size_t n;
    int bad;
} ov_producer;

static void *produce(void *p) {
    ov_producer *q = p;
    for (size_t i = 0; i < q->n; i++)
        if (cf_submit(q->ex, q->t, NULL, 0, &q->fs[i])) {
            q->n = i; /* collect what was submitted */
            q->bad = 1;
        }
    for (size_t i = 0; i < q->n; i++) {
        q->bad |= cf_future_result(q->fs[i], CF_FOREVER, NULL, NULL) != 0;
        cf_future_free(q->fs[i]);
    }
    return NULL;
}

/* OV_PRODUCERS threads each submit n / OV_PRODUCERS tasks to ex and
 * collect their own results; seconds from the first start to the last
 * join, or a negative CF_E* code. */
#define OV_PRODUCERS 4
static double run_producers(cf_executor *ex, const cf_task *t, size_t n, cf_future **fs) {
    ov_producer q[OV_PRODUCERS];
    pthread_t th[OV_PRODUCERS];
    int started = 0, bad = 0;
    int64_t t0 = cf_now_ns();
    for (int i = 0; i < OV_PRODUCERS; i++) {
        q[i] = (ov_producer){ex, t, fs + n / OV_PRODUCERS * (size_t)i, n / OV_PRODUCERS, 0};
        if (pthread_create(&th[i], NULL, produce, &q[i]) != 0) break;
        started++;
    }
    for (int i = 0; i < started; i++) {
        bad |= pthread_join(th[i], NULL) != 0 || q[i].bad;
    }
    int64_t t1 = cf_now_ns();
    return bad || started < OV_PRODUCERS ? CF_ETASK : ov_secs(t1 - t0);
}

/* ---- memory: what a pending future holds ---- */

/* Resident bytes of this process, from /proc/self/statm; -1 if unread. */
static long resident_bytes(void) {
    long size, pages = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return -1;
    if (fscanf(f, "%ld %ld", &size, &pages) != 2) pages = -1;
    fclose(f);
    return pages < 0 ? -1 : pages * sysconf(_SC_PAGESIZE);
}

#define OV_PENDING 1000000
/* Bytes of resident memory per pending future: every worker blocked on the
 * gate, OV_PENDING no-op tasks submitted and unstarted, RSS growth divided
 * by their number (the caller's array of handles is touched before, so
 * not counted). Then the gate opens and every result is collected. A
 * negative CF_E* code if it failed. */
static double pending_bytes(cf_kind kind, int workers) {
    const cf_task *g = cf_task_find("cfbench.gate");
    const cf_task *t = probe_task();
    cf_future **fs = calloc(OV_PENDING + (size_t)workers, sizeof *fs);
    cf_executor *ex = NULL;
    cf_options o = CF_OPTIONS_INIT;
    double per = CF_ENOMEM;
    size_t n = 0;
    o.max_workers = workers;
    o.start_method = CF_START_FORK; /* the workers inherit the gate */
    _Atomic int *word = mmap(NULL, sizeof *word, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (word == MAP_FAILED) return -errno;
    atomic_store(word, 0);
    probe_gate_use(word); /* the gate task holds each worker until it is set */
    if (g == NULL || t == NULL || fs == NULL) goto cleanup;
    memset(fs, 0, (OV_PENDING + (size_t)workers) * sizeof *fs); /* resident before the count */
    if ((per = cf_executor_new(kind, &o, &ex)) != 0) goto cleanup;
    for (; n < (size_t)workers; n++)
        if ((per = cf_submit(ex, g, NULL, 0, &fs[n])) != 0) goto cleanup;
    usleep(20000); /* the gates reach their workers */
    long before = resident_bytes();
    for (; n < (size_t)workers + OV_PENDING; n++)
        if ((per = cf_submit(ex, t, NULL, 0, &fs[n])) != 0) goto cleanup;
    long after = resident_bytes();
    per = before < 0 || after < 0 ? -EIO : (double)(after - before) / OV_PENDING;
cleanup:
    atomic_store(word, 1);
    for (size_t i = 0; i < n; i++) {
        if (cf_future_result(fs[i], CF_FOREVER, NULL, NULL) != 0) per = CF_ETASK;
        cf_future_free(fs[i]);
    }
    cf_executor_free(ex);
    probe_gate_use(NULL);
    (void)munmap(word, sizeof *word); /* cannot fail on what mmap gave */
    free(fs);
    return per;
}

/* pending_bytes() in a child forked for it alone: the futures freed by
 * an earlier count (a million of them, kept by the slab for reuse) would
 * otherwise be counted again at no cost in resident memory. The child
 * inherits only what the rows before left: a few thousand futures. */
static double pending_bytes_alone(cf_kind kind, int workers) {
    int fd[2];
    double per = -EIO;
    if (pipe(fd) != 0) return -errno;
    pid_t pid = fork();
    if (pid == 0) {
        (void)close(fd[0]);
        per = pending_bytes(kind, workers);
        _exit(write(fd[1], &per, sizeof per) == (ssize_t)sizeof per ? 0 : 1); /* < PIPE_BUF: whole */
    }
    (void)close(fd[1]);
    if (pid < 0) {
        per = -errno;
    } else {
        ssize_t got;
        while ((got = read(fd[0], &per, sizeof per)) < 0 && errno == EINTR) {
        }
        if (got != (ssize_t)sizeof per) per = -EIO;
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
    }
    (void)close(fd[0]);
    return per;
}

/* ---- payloads: tasks that carry data ---- */

/* Bytes each payload figure moves each way: enough tasks to fill it. */
#define OV_PAYLOAD_BYTES (64u << 20)

/* Submits tasks of `size` bytes that return them, collects each result;
 * best of repeat in µs per task, or a negative CF_E* code. */
static double run_payload(cf_executor *ex, size_t size, long repeat, ov_usage *u) {
    const cf_task *t = cf_task_find("cfbench.echo");
    size_t n = OV_PAYLOAD_BYTES / size;
    char *in = malloc(size);
    cf_future **fs = calloc(n, sizeof *fs);
    double best = CF_ENOMEM;
    if (t == NULL || in == NULL || fs == NULL) goto cleanup;
    memset(in, 'x', size);
    for (long r = 0; r < repeat; r++) {
        ov_usage u0 = ov_usage_now();
        int64_t t0 = cf_now_ns();
        size_t k = 0, bad = 0;
        for (; k < n; k++)
            if (cf_submit(ex, t, in, size, &fs[k]) != 0) break;
        for (size_t i = 0; i < k; i++) {
            size_t len = 0;
            bad |= cf_future_result(fs[i], CF_FOREVER, NULL, &len) != 0 || len != size;
            cf_future_free(fs[i]);
        }
        double us = ov_secs(cf_now_ns() - t0) * 1e6 / (double)n;
        if (k < n || bad) {
            best = CF_ETASK;
            break;
        }
        if (best < 0 || us < best) {
            best = us;
            *u = ov_usage_since(u0);
        }
    }
cleanup:
    free(fs);
    free(in);
    return best;
}

int overhead_load_rows(const cf_task *t, cf_future **fs, long tasks, int workers, long repeat) {
    static const struct {
        const char *name;
        size_t size;
    } loads[] = {{"payload-4k", 4096}, {"payload-64k", 65536}, {"payload-1m", 1048576}};
    cf_options o = CF_OPTIONS_INIT;
    cf_executor *ex;
    int status = 0;
    double best = -1;
    ov_usage best_u = {0, 0, 0, 0};
    o.max_workers = workers;
    o.start_method = CF_START_FORK;
    for (long r = 0; r < repeat; r++) {
        if (cf_executor_new(CF_THREAD, &o, &ex) != 0) break;
        ov_usage u = ov_usage_now();
        double s = run_producers(ex, t, (size_t)tasks, fs);
        u = ov_usage_since(u);
        cf_executor_free(ex);
        if (s >= 0 && (best < 0 || s < best)) {
            best = s;
            best_u = u;
        }
    }
    if (best >= 0)
        ov_row("thread", "submit-4p", 1, tasks, best / (double)tasks * 1e6, best_u, (double)tasks);
    else
        status = 1, fprintf(stderr, "cfbench overhead: thread submit-4p failed\n");
    static const cf_kind kinds[] = {CF_THREAD, CF_PROCESS};
    for (size_t k = 0; k < 2; k++) {
        double b = pending_bytes_alone(kinds[k], workers);
        if (b >= 0) {
            ov_row(cf_kind_name(kinds[k]), "pending-bytes", 0, OV_PENDING, b,
                   (ov_usage){0, 0, 0, 0}, 1);
        } else {
            fprintf(stderr, "cfbench overhead: %s pending-bytes: %s\n", cf_kind_name(kinds[k]),
                    cf_strerror((int)b));
            status = 1;
        }
    }
    if (cf_executor_new(CF_PROCESS, &o, &ex) != 0) {
        fprintf(stderr, "cfbench overhead: process pool for payloads failed\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++) {
        ov_usage u = {0, 0, 0, 0};
        double us = run_payload(ex, loads[i].size, repeat < 3 ? repeat : 3, &u);
        long n = (long)(OV_PAYLOAD_BYTES / loads[i].size);
        if (us >= 0) {
            ov_row("process", loads[i].name, 1, n, us, u, (double)n);
        } else {
            fprintf(stderr, "cfbench overhead: process %s: %s\n", loads[i].name,
                    cf_strerror((int)us));
            status = 1;
        }
    }
    cf_executor_free(ex);
    return status;
}
