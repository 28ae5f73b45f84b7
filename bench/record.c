/* record.c -- bench.csv and tasks.csv rows from one table of columns. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "record.h"

/* What a column reads: one run, and for tasks.csv one of its tasks. */
typedef struct row {
    const char *run_id, *size;
    const point *p;
    size_t tasks;
    long rep;
    const run_result *r;
    int ok;
    size_t task;       /* tasks.csv */
    const cf_times *t; /* tasks.csv: the task's times */
    int task_ok;       /* tasks.csv */
} row;

typedef void put_fn(const row *x, char *b, size_t n);

#define PUT(name, ...)                                                                             \
    static void name(const row *x, char *b, size_t n) {                                            \
        snprintf(b, n, __VA_ARGS__);                                                               \
    }
PUT(run_id, "%s", x->run_id)
PUT(impl, "%s", impl_names[x->p->impl])
PUT(wl, "%s", x->p->wl->name)
PUT(mode, "%s", run_modes[x->p->mode].name)
PUT(workers, "%d", x->p->workers)
PUT(chunksize, "%ld", x->p->chunksize)
PUT(tasks, "%zu", x->tasks)
PUT(size, "%s", x->size)
PUT(rep, "%ld", x->rep)
PUT(wall, "%.3f", x->r->t.wall_ms)
PUT(user, "%.3f", x->r->t.user_ms)
PUT(sys, "%.3f", x->r->t.sys_ms)
PUT(rss, "%ld", x->r->t.max_rss_kb)
PUT(ok, "%d", x->ok)
PUT(failed, "%zu", x->r->failed)
PUT(digest, "%s", x->r->digest)
PUT(vol_cs, "%ld", x->r->t.vol_cs)
PUT(invol_cs, "%ld", x->r->t.invol_cs)
PUT(task, "%zu", x->task)

PUT(worker, "%d", x->t->worker)
PUT(submit, "%.3f", (double)(x->t->submit - x->r->t0_ns) / 1e3)
PUT(start, "%.3f", (double)(x->t->start - x->r->t0_ns) / 1e3)
PUT(end, "%.3f", (double)(x->t->end - x->r->t0_ns) / 1e3)
PUT(collect, "%.3f", (double)(x->t->collect - x->r->t0_ns) / 1e3)
PUT(task_ok, "%d", x->task_ok)
#undef PUT

/* The machine's figures (machine.h), "" when /proc could not tell. */
static void put_num(double v, char *b, size_t n) {
    if (isnan(v))
        snprintf(b, n, "%s", "");
    else
        snprintf(b, n, "%.3f", v);
}
static void other_cpu(const row *x, char *b, size_t n) {
    put_num(x->r->t.other_cpu, b, n);
}
static void steal_cpu(const row *x, char *b, size_t n) {
    put_num(x->r->t.steal_cpu, b, n);
}
static void load(const row *x, char *b, size_t n) {
    put_num(x->r->t.load, b, n);
}

/* Every column of both files, in file order; `in` says which files. */
enum { BENCH = 1, TASKS = 2 };
static const struct column {
    const char *name;
    unsigned in;
    put_fn *put;
} columns[] = {
    {"run_id", BENCH | TASKS, run_id},
    {"impl", BENCH | TASKS, impl},
    {"workload", BENCH | TASKS, wl},
    {"mode", BENCH | TASKS, mode},
    {"workers", BENCH | TASKS, workers},
    {"chunksize", BENCH | TASKS, chunksize},
    {"tasks", BENCH, tasks},
    {"size", BENCH, size},
    {"rep", BENCH | TASKS, rep},
    {"wall_ms", BENCH, wall},
    {"user_ms", BENCH, user},
    {"sys_ms", BENCH, sys},
    {"max_rss_kb", BENCH, rss},
    {"ok", BENCH, ok},
    {"failed", BENCH, failed},
    {"digest", BENCH, digest},
    {"vol_cs", BENCH, vol_cs},
    {"invol_cs", BENCH, invol_cs},
    /* Appended: readers by name keep working. */
    {"other_cpu", BENCH, other_cpu},
    {"steal_cpu", BENCH, steal_cpu},
    {"load_avg", BENCH, load},
    {"task", TASKS, task},
    {"worker", TASKS, worker},
    {"submit_us", TASKS, submit},
    {"start_us", TASKS, start},
    {"end_us", TASKS, end},
    {"collect_us", TASKS, collect},
    {"ok", TASKS, task_ok},
};
#define NCOLUMNS (sizeof columns / sizeof columns[0])

const char *record_header(int tasks) {
    static char header[2][512];
    unsigned in = tasks ? TASKS : BENCH;
    char *h = header[tasks != 0];
    if (h[0] == '\0')
        for (size_t i = 0; i < NCOLUMNS; i++)
            if (columns[i].in & in) {
                size_t used = strlen(h);
                snprintf(h + used, sizeof header[0] - used, "%s%s", used ? "," : "",
                         columns[i].name);
            }
    return h;
}

/* Formats x's fields for the file `in` names into f (fields points at
 * them); returns how many. */
static size_t fields_of(unsigned in, const row *x, char f[][96], const char **fields) {
    size_t n = 0;
    for (size_t i = 0; i < NCOLUMNS; i++) {
        if (!(columns[i].in & in)) continue;
        columns[i].put(x, f[n], sizeof f[n]);
        fields[n] = f[n];
        n++;
    }
    return n;
}

int record_open(recorder *rec, const char *dir, int trace, wl_size size, char *err, size_t errlen) {
    char path[4096];
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32] = "0";

    memset(rec, 0, sizeof *rec);
    rec->size = wl_size_name(size);
    if ((size_t)snprintf(path, sizeof path, "%s/bench.csv", dir) >= sizeof path) {
        snprintf(err, errlen, "--out: path too long");
        return -1;
    }
    if ((rec->bench = csv_open_append(path, record_header(0), err, errlen)) == NULL) return -1;
    snprintf(path, sizeof path, "%s/tasks.csv", dir);
    if (trace && (rec->tasks = csv_open_append(path, record_header(1), err, errlen)) == NULL) {
        (void)fclose(rec->bench); /* only the header, already flushed */
        rec->bench = NULL;
        return -1;
    }
    if (now != (time_t)-1 && gmtime_r(&now, &tm) != NULL)
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(rec->run_prefix, sizeof rec->run_prefix, "%s-%ld", stamp, (long)getpid());
    return 0;
}

int record_run(recorder *rec, const point *p, size_t tasks, long rep, const run_result *r, int ok) {
    char f[NCOLUMNS][96];
    const char *fields[NCOLUMNS];

    snprintf(rec->last_id, sizeof rec->last_id, "%s-%zu", rec->run_prefix, ++rec->run_seq);
    row x = {rec->last_id, rec->size, p, tasks, rep, r, ok, 0, NULL, 0};
    /* A whole row or none, even when the disk fills (csv_write_row). */
    return csv_write_row(rec->bench, fields, fields_of(BENCH, &x, f, fields)) != 0 ? RECORD_BENCH
                                                                                     : 0;
}

int record_twin(recorder *rec, const point *p, size_t tasks, long rep, const run_result *r,
                const cf_times *times, const unsigned char *task_ok) {
    char f[NCOLUMNS][96];
    const char *fields[NCOLUMNS];

    if (rec->tasks == NULL || times == NULL) return 0;
    row x = {rec->last_id, rec->size, p, tasks, rep, r, 1, 0, NULL, 0};
    for (size_t i = 0; i < tasks; i++) {
        x.task = i;
        x.t = &times[i];
        x.task_ok = task_ok[i];
        size_t n = fields_of(TASKS, &x, f, fields);
        for (size_t k = 0; k < n; k++)
            fprintf(rec->tasks, "%s%s", k ? "," : "", fields[k]);
        if (fputc('\n', rec->tasks) == EOF) return RECORD_TASKS;
    }
    return fflush(rec->tasks) == 0 ? 0 : RECORD_TASKS;
}

int record_close(recorder *rec) {
    int failed = 0;
    if (rec->bench != NULL && fclose(rec->bench) != 0) failed |= RECORD_BENCH;
    if (rec->tasks != NULL && fclose(rec->tasks) != 0) failed |= RECORD_TASKS;
    rec->bench = rec->tasks = NULL;
    return failed;
}
