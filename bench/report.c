/* report.c -- the terminal table, summary.csv and --json. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "machine.h"
#include "report.h"
#include "table.h"

/* A cell: text, or a number (NaN: none). */
typedef struct cell {
    const char *s;
    double v;
} cell;

typedef struct ctx {
    const point_stats *g;
    const char *size;
} ctx;

enum kind { TEXT, COUNT, NUM };

#define GET(name, expr)                                                                            \
    static cell name(const ctx *x, int k) {                                                        \
        (void)k;                                                                                   \
        return expr;                                                                               \
    }
GET(impl, ((cell){impl_names[x->g->p.impl], 0}))
GET(wl, ((cell){x->g->p.wl->name, 0}))
GET(mode, ((cell){run_modes[x->g->p.mode].name, 0}))
GET(workers, ((cell){NULL, x->g->p.workers}))
GET(chunksize, ((cell){NULL, (double)x->g->p.chunksize}))
GET(size, ((cell){x->size, 0}))
GET(tasks, ((cell){NULL, (double)x->g->tasks}))
GET(reps, ((cell){NULL, (double)x->g->n}))
GET(mean, ((cell){NULL, x->g->st.mean}))
GET(stddev, ((cell){NULL, x->g->st.stddev}))
GET(median, ((cell){NULL, x->g->st.median}))
GET(min, ((cell){NULL, x->g->st.min}))
GET(max, ((cell){NULL, x->g->st.max}))
GET(speedup, ((cell){NULL, x->g->speedup}))
GET(speedup_err, ((cell){NULL, x->g->speedup_err}))
GET(outliers, ((cell){NULL, (double)x->g->st.outliers}))
GET(speedup_lo, ((cell){NULL, x->g->speedup_lo}))
GET(speedup_hi, ((cell){NULL, x->g->speedup_hi}))
GET(util, ((cell){NULL, x->g->util}))
GET(notes, ((cell){x->g->notes, 0}))
GET(other_cpu, ((cell){NULL, x->g->other_cpu}))
GET(shared, ((cell){NULL, isnan(x->g->other_cpu) ? NAN : x->g->shared}))
#undef GET

/* Budget part k (budget.h) in worker-ms, or the model's wall (k 4); NaN
 * without a budget (untraced). */
static cell budget_part(const ctx *x, int k) {
    const budget_point *bp = &x->g->budget;
    const budget *b = &bp->b;
    double v[9] = {b->work,      budget_startup(b), b->handoff,    budget_idle(b),   bp->pred_ms,
                   b->wall_ms,   b->idle_tail,      b->idle_stall, b->idle_starved};
    return (cell){NULL, bp->ok ? v[k] : NAN};
}

/* Percentile k % 3 (p50, p95, p99) of latency k / 3 (queue, run, back). */
static cell pct(const ctx *x, int k) {
    const stats_pcts *p = &x->g->pct[k / 3];
    return (cell){NULL, k % 3 == 0 ? p->p50 : k % 3 == 1 ? p->p95 : p->p99};
}

/* summary.csv's columns, in order; json: also a --json field, in pass 1
 * (in order) or 2 (after the others, where --json has always had it). */
static const struct column {
    const char *name;
    enum kind kind;
    int json;
    cell (*get)(const ctx *x, int k);
    int k;
} columns[] = {
    {"impl", TEXT, 1, impl, 0},
    {"workload", TEXT, 1, wl, 0},
    {"mode", TEXT, 1, mode, 0},
    {"workers", COUNT, 1, workers, 0},
    {"chunksize", COUNT, 1, chunksize, 0},
    {"size", TEXT, 1, size, 0},
    {"tasks", COUNT, 1, tasks, 0},
    {"reps", COUNT, 1, reps, 0},
    {"mean_ms", NUM, 1, mean, 0},
    {"stddev_ms", NUM, 1, stddev, 0},
    {"median_ms", NUM, 1, median, 0},
    {"min_ms", NUM, 1, min, 0},
    {"max_ms", NUM, 1, max, 0},
    {"speedup", NUM, 1, speedup, 0},
    {"speedup_err", NUM, 1, speedup_err, 0},
    {"outliers", COUNT, 2, outliers, 0},
    {"speedup_lo", NUM, 1, speedup_lo, 0},
    {"speedup_hi", NUM, 1, speedup_hi, 0},
    {"util", NUM, 1, util, 0},
    {"queue_p50_us", NUM, 0, pct, 0},
    {"queue_p95_us", NUM, 0, pct, 1},
    {"queue_p99_us", NUM, 0, pct, 2},
    {"run_p50_us", NUM, 0, pct, 3},
    {"run_p95_us", NUM, 0, pct, 4},
    {"run_p99_us", NUM, 0, pct, 5},
    {"back_p50_us", NUM, 0, pct, 6},
    {"back_p95_us", NUM, 0, pct, 7},
    {"back_p99_us", NUM, 0, pct, 8},
    {"notes", TEXT, 0, notes, 0},
    /* After notes: awk -F, readers count columns up to speedup_hi. */
    {"other_cpu", NUM, 0, other_cpu, 0},
    {"shared", COUNT, 0, shared, 0},
    {"budget_work_ms", NUM, 2, budget_part, 0},
    {"budget_startup_ms", NUM, 2, budget_part, 1},
    {"budget_handoff_ms", NUM, 2, budget_part, 2},
    {"budget_idle_ms", NUM, 2, budget_part, 3},
    {"predicted_ms", NUM, 2, budget_part, 4},
    /* The budgeted twin's wall: the parts sum to workers x it. */
    {"budget_wall_ms", NUM, 2, budget_part, 5},
    /* budget_idle_ms by kind (budget.h): the tail, stalls, starved. */
    {"budget_idle_tail_ms", NUM, 2, budget_part, 6},
    {"budget_idle_stall_ms", NUM, 2, budget_part, 7},
    {"budget_idle_starved_ms", NUM, 2, budget_part, 8},
};
#define NCOLUMNS (sizeof columns / sizeof columns[0])

const char *report_summary_header(void) {
    static char header[1024];
    if (header[0] == '\0')
        for (size_t i = 0; i < NCOLUMNS; i++) {
            size_t used = strlen(header);
            snprintf(header + used, sizeof header - used, "%s%s", i ? "," : "", columns[i].name);
        }
    return header;
}

/* A number cell as CSV ("%.3f", "" for NaN so the file stays loadable)
 * or JSON (null for NaN). */
static void fmt_cell(const struct column *col, cell v, int json, char *buf, size_t len) {
    if (col->kind == TEXT)
        snprintf(buf, len, json ? "\"%s\"" : "%s", v.s);
    else if (isnan(v.v))
        snprintf(buf, len, "%s", json ? "null" : "");
    else if (col->kind == COUNT)
        snprintf(buf, len, "%lld", (long long)v.v);
    else
        snprintf(buf, len, "%.3f", v.v);
}

int report_summary_csv(const run_config *c, const point_stats *ps, size_t n, char *err,
                       size_t errlen) {
    char path[4096], buf[1024];
    atomic_file af;

    if ((size_t)snprintf(path, sizeof path, "%s/summary.csv", c->out) >= sizeof path) {
        snprintf(err, errlen, "%s: path too long", c->out);
        return -1;
    }
    if (atomic_open(&af, path, err, errlen) != 0) return -1;
    fprintf(af.f, "%s\n", report_summary_header());
    for (size_t i = 0; i < n; i++) {
        ctx x = {&ps[i], wl_size_name(c->size)};
        if (!ps[i].summarized) continue;
        for (size_t k = 0; k < NCOLUMNS; k++) {
            fmt_cell(&columns[k], columns[k].get(&x, columns[k].k), 0, buf, sizeof buf);
            if (k > 0) fputc(',', af.f);
            (void)csv_write_field(af.f, buf); /* ferror() below catches it */
        }
        fputc('\n', af.f);
    }
    if (ferror(af.f)) {
        snprintf(err, errlen, "%.300s: write failed", path);
        atomic_abort(&af);
        return -1;
    }
    return atomic_commit(&af, err, errlen);
}

void report_json(const run_config *c, const point_stats *ps, size_t n) {
    char buf[1024];
    int first = 1;
    printf("[");
    for (size_t i = 0; i < n; i++) {
        ctx x = {&ps[i], wl_size_name(c->size)};
        if (!ps[i].summarized) continue;
        /* Names come from our own tables: nothing to escape. */
        printf("%s\n  {", first ? "" : ",");
        for (size_t pass = 1, f = 0; pass <= 2; pass++)
            for (size_t k = 0; k < NCOLUMNS; k++) {
                if (columns[k].json != (int)pass) continue;
                fmt_cell(&columns[k], columns[k].get(&x, columns[k].k), 1, buf, sizeof buf);
                printf("%s\"%s\": %s", f++ ? ", " : "", columns[k].name, buf);
            }
        printf("}");
        first = 0;
    }
    printf("%s]\n", first ? "" : "\n");
    fflush(stdout);
}

/* Below the table: the latency breakdown of traced runs, then each
 * point's teaching notes. */
static void print_details(const run_config *c, const point_stats *ps, size_t n) {
    table_latency_row lat[2 * NMODES * CLI_LIST_MAX];
    size_t k = 0;
    for (size_t i = 0; c->trace && i < n && k < sizeof lat / sizeof lat[0]; i++) {
        if (!ps[i].summarized || ps[i].nlat == 0) continue;
        table_latency_row *r = &lat[k++];
        r->mode = run_modes[ps[i].p.mode].name;
        r->workers = ps[i].p.workers;
        const stats_pcts *p = ps[i].pct;
        double *dst[3] = {r->queue, r->run, r->back};
        for (int j = 0; j < 3; j++) {
            dst[j][0] = p[j].p50;
            dst[j][1] = p[j].p95;
            dst[j][2] = p[j].p99;
        }
    }
    table_print_latency(stdout, lat, k);
    for (size_t i = 0; i < n; i++)
        if (ps[i].summarized && ps[i].notes[0])
            printf("  note: %s x%d: %s\n", point_mode_name(&ps[i].p), ps[i].p.workers, ps[i].notes);
}

void report_table(const run_config *c, const workload *wl, const char *label, const point_stats *ps,
                  size_t n) {
    table_row rows[2 * NMODES * CLI_LIST_MAX];
    size_t k = 0, outl = 0, slow = 0, shared = 0;
    char title[256];
    const point_stats *base[NIMPLS];

    for (int impl = 0; impl < NIMPLS; impl++)
        base[impl] = summary_base(ps, n, impl);
    for (size_t i = 0; i < n && k < sizeof rows / sizeof rows[0]; i++) {
        const point_stats *g = &ps[i];
        if (!g->summarized) continue;
        rows[k++] =
            (table_row){point_mode_name(&g->p), g->p.workers,         g->n,           g->st.median,
                        g->st.stddev,           g->speedup,           g->st.outliers, g->speedup_lo,
                        g->speedup_hi,          g == base[g->p.impl], g->shared,
                        g->budget.line};
        outl += g->st.outliers > 0;
        shared += g->shared;
        slow += g->st.slow_first;
    }
    if (k == 0) return;
    snprintf(title, sizeof title, "%s (%s: %s)", wl->name, wl_size_name(c->size), label);
    table_print(stdout, title, rows, k, table_use_color(stdout));
    if (slow > 0)
        printf("  warning: the first timed run was the slowest by far in %zu "
               "row%s; try --warmup %ld\n",
               slow, slow > 1 ? "s" : "", c->warmup + 1);
    if (outl > slow)
        printf("  warning: outliers (beyond 1.5 IQR) in %zu row%s; try "
               "--warmup %ld or --repeat %ld, and a quieter machine\n",
               outl, outl > 1 ? "s" : "", c->warmup + 1, c->repeat * 2);
    if (shared > 0)
        printf("  warning: %zu row%s ran beside other work (over %.1f cores): see the notes\n",
               shared, shared > 1 ? "s" : "", MACHINE_SHARED_CORES);
    print_details(c, ps, n);
    printf("\n");
    fflush(stdout);
}
