/* html_summary.c -- the report's results: a table per workload from a
 * summary.csv, opened by a line per workload saying which mode won.
 *
 * summary.csv's columns are read by name and checked as they are read
 * (csvread.h); a value out of its bounds makes the whole file refused.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "csvread.h"
#include "html.h"

/* The columns of summary.csv the page shows, checked as they are read
 * (csvread.h). The latency columns go queue, run, back, each p50, p95,
 * p99, so that latency i's percentile p is S_QUEUE_P50 + 3 * i + p. */
enum {
    S_IMPL,
    S_WORKLOAD,
    S_MODE,
    S_WORKERS,
    S_CHUNKSIZE,
    S_TASKS,
    S_REPS,
    S_MEDIAN,
    S_STDDEV,
    S_SPEEDUP,
    S_SPEEDUP_LO,
    S_SPEEDUP_HI,
    S_UTIL,
    S_QUEUE_P50,
    S_BACK_P99 = S_QUEUE_P50 + 8,
    S_NOTES,
    S_SHARED,
    S_BUDGET_WORK, /* then start-up, hand-off, idle (budget.h) */
    S_PREDICTED = S_BUDGET_WORK + BUDGET_NPARTS,
    S_NCOLS
};
#define MS 0, 1e12 /* bounds of a duration in ms; in us, of a latency */
static const csv_column summary_cols[S_NCOLS] = {
    [S_IMPL] = {"impl", CSV_NAME, 0, 0},
    [S_WORKLOAD] = {"workload", CSV_NAME, 0, 0},
    [S_MODE] = {"mode", CSV_NAME, 0, 0},
    [S_WORKERS] = {"workers", CSV_COUNT, 0, 1e6},
    [S_CHUNKSIZE] = {"chunksize", CSV_COUNT, 0, 1e12},
    [S_TASKS] = {"tasks", CSV_COUNT, 0, 1e12},
    [S_REPS] = {"reps", CSV_COUNT, 0, 1e9},
    [S_MEDIAN] = {"median_ms", CSV_NUMBER, MS},
    [S_STDDEV] = {"stddev_ms", CSV_NUMBER, MS},
    [S_SPEEDUP] = {"speedup", CSV_NUMBER, 0, 1e9},
    [S_SPEEDUP_LO] = {"speedup_lo", CSV_NUMBER, 0, 1e9},
    [S_SPEEDUP_HI] = {"speedup_hi", CSV_NUMBER, 0, 1e9},
    [S_UTIL] = {"util", CSV_NUMBER, 0, 1e6},
    [S_QUEUE_P50] = {"queue_p50_us", CSV_NUMBER, MS},
    [S_QUEUE_P50 + 1] = {"queue_p95_us", CSV_NUMBER, MS},
    [S_QUEUE_P50 + 2] = {"queue_p99_us", CSV_NUMBER, MS},
    [S_QUEUE_P50 + 3] = {"run_p50_us", CSV_NUMBER, MS},
    [S_QUEUE_P50 + 4] = {"run_p95_us", CSV_NUMBER, MS},
    [S_QUEUE_P50 + 5] = {"run_p99_us", CSV_NUMBER, MS},
    [S_QUEUE_P50 + 6] = {"back_p50_us", CSV_NUMBER, MS},
    [S_QUEUE_P50 + 7] = {"back_p95_us", CSV_NUMBER, MS},
    [S_BACK_P99] = {"back_p99_us", CSV_NUMBER, MS},
    [S_NOTES] = {"notes", CSV_TEXT, 0, 0},
    [S_SHARED] = {"shared", CSV_COUNT, 0, 1},
    [S_BUDGET_WORK] = {"budget_work_ms", CSV_NUMBER, MS},
    [S_BUDGET_WORK + 1] = {"budget_startup_ms", CSV_NUMBER, MS},
    [S_BUDGET_WORK + 2] = {"budget_handoff_ms", CSV_NUMBER, MS},
    [S_BUDGET_WORK + 3] = {"budget_idle_ms", CSV_NUMBER, MS},
    [S_PREDICTED] = {"predicted_ms", CSV_NUMBER, MS},
};
#undef MS



/* Latency columns from a --trace run: shown only when some row has them. */
static const struct {
    const char *prefix, *title;
} latencies[] = {
    {"queue", "waiting in the queue"},
    {"run", "running"},
    {"back", "result coming back"},
};

/* Rows rows[0..n) of t: one group of csv_group(). */
typedef struct rows {
    const csv_table *t;
    const size_t *r;
    size_t n;
} rows;

static rows group_rows(const csv_table *t, const csv_groups *g, size_t i) {
    return (rows){t, g->rows + g->first[i], g->first[i + 1] - g->first[i]};
}

static int has_latency(rows w, int i) {
    for (size_t k = 0; k < w.n; k++)
        if (*csv_text(w.t, w.r[k], S_QUEUE_P50 + 3 * i) != '\0') return 1;
    return 0;
}

/* The row of w that impl's speedups are against: its loop, or its seq in
 * results from before the loop existed; -1 if none. */
static long base_row(rows w, const char *impl) {
    long seq = -1;
    for (size_t k = 0; k < w.n; k++) {
        const char *m = csv_text(w.t, w.r[k], S_MODE);
        if (strcmp(csv_text(w.t, w.r[k], S_IMPL), impl) != 0) continue;
        if (!strcmp(m, "loop")) return (long)w.r[k];
        if (!strcmp(m, "seq") && seq < 0) seq = (long)w.r[k];
    }
    return seq;
}

static int is_base(rows w, size_t r) {
    return base_row(w, csv_text(w.t, r, S_IMPL)) == (long)r;
}

static void speedup_cell(FILE *f, const csv_table *t, size_t r, int base) {
    double s = csv_num(t, r, S_SPEEDUP), lo = csv_num(t, r, S_SPEEDUP_LO),
           hi = csv_num(t, r, S_SPEEDUP_HI);
    if (base) {
        fputs("<td>1× (baseline)</td>", f);
        return;
    }
    if (isnan(s)) {
        fputs("<td>-</td>", f);
        return;
    }
    const char *cls = !isnan(lo) && lo > 1 ? "faster" : !isnan(hi) && hi < 1 ? "slower" : "";
    fprintf(f, "<td><span class=\"%s\">%.3g×</span>", cls, s);
    if (!isnan(lo) && !isnan(hi)) fprintf(f, " <span class=\"ci\">(%.3g–%.3g)</span>", lo, hi);
    fputs("</td>", f);
}

/* The budget chart of w's rows that have one (traced runs). */
static void budget_chart(FILE *f, rows w, int impls) {
    budget_bar bars[64];
    char labels[64][CSV_NAME_MAX * 2 + 32];
    size_t n = 0;
    for (size_t k = 0; k < w.n && n < sizeof bars / sizeof bars[0]; k++) {
        size_t r = w.r[k];
        if (isnan(csv_num(w.t, r, S_BUDGET_WORK))) continue;
        snprintf(labels[n], sizeof labels[n], "%s%s%s ×%s", impls > 1 ? csv_text(w.t, r, S_IMPL) : "",
                 impls > 1 ? " " : "", csv_text(w.t, r, S_MODE), csv_text(w.t, r, S_WORKERS));
        bars[n].label = labels[n];
        for (int p = 0; p < BUDGET_NPARTS; p++)
            bars[n].part[p] = csv_num(w.t, r, (size_t)(S_BUDGET_WORK + p));
        bars[n].median_ms = csv_num(w.t, r, S_MEDIAN);
        bars[n++].predicted_ms = csv_num(w.t, r, S_PREDICTED);
    }
    budget_html(f, bars, n);
}

/* One workload's rows of a summary.csv: its table, then its notes. */
static void workload_table(FILE *f, rows w) {
    const csv_table *t = w.t;
    int impls = 1, lat[3];
    const char *wl = csv_text(t, w.r[0], S_WORKLOAD), *first_impl = csv_text(t, w.r[0], S_IMPL);
    for (size_t k = 1; k < w.n; k++)
        if (strcmp(first_impl, csv_text(t, w.r[k], S_IMPL)) != 0) impls = 2;
    fputs("<h3>", f);
    html_escape(f, wl);
    fputs("</h3>\n<div class=\"wide\"><table>\n<tr>", f);
    if (impls > 1) fputs("<th class=\"t\">impl</th>", f);
    fputs("<th class=\"t\">mode</th><th>workers</th><th>chunk</th><th>tasks</th><th>reps</th>"
          "<th>median</th><th>spread (sd)</th>"
          "<th title=\"median speedup over the same language's plain loop (its seq run in "
          "results without a loop), 95% bootstrap interval\">speedup vs own loop</th>"
          "<th>CPU use</th>",
          f);
    for (int i = 0; i < 3; i++)
        if ((lat[i] = has_latency(w, i)))
            fprintf(f, "<th>%s p50 / p95 / p99</th>", latencies[i].title);
    fputs("</tr>\n", f);
    for (size_t k = 0; k < w.n; k++) {
        size_t r = w.r[k];
        char med[32], sd[32];
        html_fmt_ms(med, sizeof med, csv_num(t, r, S_MEDIAN));
        html_fmt_ms(sd, sizeof sd, csv_num(t, r, S_STDDEV));
        fputs(is_base(w, r) ? "<tr class=\"base\">" : "<tr>", f);
        if (impls > 1) {
            fputs("<td class=\"t\">", f);
            html_escape(f, csv_text(t, r, S_IMPL));
            fputs("</td>", f);
        }
        static const size_t text[] = {S_MODE, S_WORKERS, S_CHUNKSIZE, S_TASKS, S_REPS};
        for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
            fputs(i == 0 ? "<td class=\"t\">" : "<td>", f);
            html_escape(f, csv_text(t, r, text[i]));
            if (i == 0 && csv_num(t, r, S_SHARED) == 1)
                fputs(" <span class=\"shared\" title=\"its runs shared the machine with other "
                      "work (over 0.2 cores): see the notes\">shared</span>",
                      f);
            fputs("</td>", f);
        }
        fprintf(f, "<td>%s</td><td>± %s</td>", med, sd);
        speedup_cell(f, t, r, is_base(w, r));
        double u = csv_num(t, r, S_UTIL);
        if (isnan(u))
            fputs("<td>-</td>", f);
        else
            fprintf(f, "<td>%.0f%%</td>", 100 * u);
        for (int i = 0; i < 3; i++) {
            if (!lat[i]) continue;
            fputs("<td>", f);
            for (int p = 0; p < 3; p++) {
                char b[32];
                html_fmt_ms(b, sizeof b, csv_num(t, r, (size_t)(S_QUEUE_P50 + 3 * i + p)) / 1000);
                fprintf(f, "%s%s", p ? " / " : "", b);
            }
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n", f);
    budget_chart(f, w, impls);

    int notes = 0;
    for (size_t k = 0; k < w.n; k++) {
        size_t r = w.r[k];
        const char *note = csv_text(t, r, S_NOTES), *chunk = csv_text(t, r, S_CHUNKSIZE);
        if (*note == '\0') continue;
        fputs(notes++ ? "<li><b>" : "<ul class=\"notes\">\n<li><b>", f);
        if (impls > 1) {
            html_escape(f, csv_text(t, r, S_IMPL));
            fputc(' ', f);
        }
        html_escape(f, csv_text(t, r, S_MODE));
        fputs(" ×", f);
        html_escape(f, csv_text(t, r, S_WORKERS));
        if (strcmp(chunk, "1") != 0 && *chunk != '\0') {
            fputs(" chunk ", f);
            html_escape(f, chunk);
        }
        fputs("</b>: ", f);
        html_escape(f, note);
        fputs("</li>\n", f);
    }
    if (notes) fputs("</ul>\n", f);
}

/* One line per (impl, workload), g grouping t by them: which mode won,
 * by how much, in time. */
static void at_a_glance(FILE *f, const csv_table *t, const csv_groups *g) {
    int any = 0;
    for (size_t i = 0; i < g->n; i++) {
        rows w = group_rows(t, g, i);
        const char *impl = csv_text(t, w.r[0], S_IMPL), *wl = csv_text(t, w.r[0], S_WORKLOAD);
        long base = base_row(w, impl), best = -1;
        if (base < 0) continue;
        for (size_t k = 0; k < w.n; k++) {
            size_t q = w.r[k];
            if ((long)q != base && !isnan(csv_num(t, q, S_SPEEDUP)) &&
                (best < 0 || csv_num(t, q, S_SPEEDUP) > csv_num(t, (size_t)best, S_SPEEDUP)))
                best = (long)q;
        }
        if (best < 0) continue;
        char tb[32], tp[32];
        double sp = csv_num(t, (size_t)best, S_SPEEDUP);
        html_fmt_ms(tb, sizeof tb, csv_num(t, (size_t)base, S_MEDIAN));
        html_fmt_ms(tp, sizeof tp, csv_num(t, (size_t)best, S_MEDIAN));
        fputs(any++ ? "<li><b>" : "<ul class=\"glance\">\n<li><b>", f);
        html_escape(f, wl);
        fputs("</b> (", f);
        html_escape(f, !strcmp(impl, "python") ? "Python" : !strcmp(impl, "c") ? "C" : impl);
        fputs("): ", f);
        if (sp > 1) {
            fputs("<span class=\"faster\">", f);
            html_escape(f, csv_text(t, (size_t)best, S_MODE));
            fputs(" ×", f);
            html_escape(f, csv_text(t, (size_t)best, S_WORKERS));
            fprintf(f, "</span> is fastest, %.3g× sequential (%s against %s).", sp, tp, tb);
        } else {
            fprintf(f, "<span class=\"faster\">sequential</span> is fastest (%s); the best pool, ",
                    tb);
            html_escape(f, csv_text(t, (size_t)best, S_MODE));
            fputs(" ×", f);
            html_escape(f, csv_text(t, (size_t)best, S_WORKERS));
            fprintf(f, ", takes %.3g× as long (%s).", 1 / sp, tp);
        }
        /* The ratio the speedups hide: this language's seq against C's. */
        const char *c_key[] = {"c", wl};
        long c_group = strcmp(impl, "c") ? csv_group_find(t, g, c_key) : -1;
        long c_base = c_group < 0 ? -1 : base_row(group_rows(t, g, (size_t)c_group), "c");
        double ratio =
            c_base < 0 ? NAN
                       : csv_num(t, (size_t)base, S_MEDIAN) / csv_num(t, (size_t)c_base, S_MEDIAN);
        if (!isnan(ratio) && ratio > 0)
            fprintf(f, " Its sequential run takes %.3g× C&#39;s.", ratio);
        fputs("</li>\n", f);
    }
    if (any) fputs("</ul>\n", f);
}

/* Rows are grouped once, so the page takes time near-linear in the rows. */
int html_section_summary(FILE *f, const char *dir, const char *name, const char *anchor,
                           int glance, char *err, size_t errlen) {
    static const size_t by_wl[] = {S_WORKLOAD}, by_impl_wl[] = {S_IMPL, S_WORKLOAD};
    char path[PATH_MAX];
    csv_table t;
    csv_groups wls = {0}, impl_wls = {0};

    snprintf(path, sizeof path, "%.4000s/summary.csv", dir);
    if (access(path, F_OK) != 0) return 1;
    if (csv_read(path, summary_cols, S_NCOLS, &t, err, errlen) != 0) return -1;
    if (csv_group(&t, by_wl, 1, NULL, &wls) != 0 ||
        (glance && csv_group(&t, by_impl_wl, 2, NULL, &impl_wls) != 0)) {
        snprintf(err, errlen, "%.300s: out of memory", path);
        csv_groups_free(&wls);
        csv_table_free(&t);
        return -1;
    }
    fputs("<h2 id=\"", f);
    html_escape(f, anchor);
    fputs("\">Results: ", f);
    html_escape(f, name);
    fputs("</h2>\n<p class=\"sub\">From ", f);
    html_escape(f, path);
    fputs(": medians of the timed runs; speedup is each mode's median against the "
          "plain loop's median of the same language (C against C, Python against Python; "
          "seq's in results without a loop). A row marked <i>shared</i> ran beside other "
          "work (over 0.2 cores, bench.csv's other_cpu): its times read slow and noisy. "
          "CPU use: (user + sys) / (wall × min(workers, cores)).</p>\n",
          f);
    if (!csv_has(&t, S_WORKLOAD) || !csv_has(&t, S_MODE)) {
        fputs("<p>Not a summary.csv (no workload or mode column).</p>\n", f);
    } else {
        if (glance) at_a_glance(f, &t, &impl_wls);
        for (size_t i = 0; i < wls.n; i++)
            workload_table(f, group_rows(&t, &wls, i));
        if (t.nrows == 0) fputs("<p>No rows.</p>\n", f);
    }
    csv_groups_free(&impl_wls);
    csv_groups_free(&wls);
    csv_table_free(&t);
    return 0;
}

int html_summary_check(const char *dir, char *err, size_t errlen) {
    char path[PATH_MAX];
    csv_table t;
    snprintf(path, sizeof path, "%.4000s/summary.csv", dir);
    if (access(path, F_OK) != 0) return 0;
    if (csv_read(path, summary_cols, S_NCOLS, &t, err, errlen) != 0) return -1;
    csv_table_free(&t);
    return 0;
}
