/* html.c -- `cfbench report DIR`: one self-contained HTML page per run.
 *
 * The page reads top to bottom: where the run happened (meta.txt); what
 * each workload measured (DIR/summary.csv), opened by one line per
 * workload saying which mode won and by how much, then a table per
 * workload and the harness's notes; with --compare, whether this run is
 * faster or slower than another (compare.h); the charts; then the
 * summary.csv of each subfolder (sweep/, trace/, chunks/, python/...).
 * Charts are the SVGs plots/draw wrote, each inlined as a base64 data: URI
 * in an <img>: the page needs no other file, the charts' own ids cannot
 * clash, and no markup inside them can reach the page. When the chart
 * folder has no SVG, plots/draw is run to draw DIR's charts into
 * DIR/plots.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "cli.h"
#include "commands.h"
#include "compare.h"
#include "csv.h"
#include "csvread.h"
#include "html.h"
#include "python.h"
#include "spawn.h"

#define MAX_SETS 32
#define MAX_CHARTS 64

void html_escape(FILE *f, const char *s) {
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            /* A control character other than white space is no text:
             * shown as U+FFFD. */
            if (((unsigned char)*s < 0x20 && !strchr("\t\n\r", *s)) || *s == 0x7f)
                fputs("\xef\xbf\xbd", f);
            else
                fputc(*s, f);
        }
    }
}

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

/* A duration in ms, in the unit that keeps three digits readable. */
static void fmt_ms(char *buf, size_t len, double ms) {
    if (isnan(ms))
        snprintf(buf, len, "-");
    else if (ms >= 1000)
        snprintf(buf, len, "%.3g s", ms / 1000);
    else if (ms >= 1)
        snprintf(buf, len, "%.3g ms", ms);
    else
        snprintf(buf, len, "%.3g µs", ms * 1000);
}

static const char style[] =
    "body{font:14px/1.45 'DejaVu Sans',Helvetica,Arial,sans-serif;color:#222;"
    "max-width:1180px;margin:0 auto;padding:16px 24px;background:#fff}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;"
    "border-bottom:2px solid #1f77b4;padding-bottom:2px}h3{font-size:16px;margin:18px 0 6px}\n"
    "p.sub{color:#555;margin:0 0 10px}nav a{margin-right:14px}\n"
    ".wide{overflow-x:auto}table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}\n"
    "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right;vertical-align:top}\n"
    "th{background:#eef3f8;font-weight:600}td{white-space:nowrap}td.t,th.t{text-align:left}\n"
    "table.kv "
    "td:first-child{font-weight:600;background:#f6f6f6;text-align:left;white-space:nowrap}\n"
    "table.kv td{text-align:left;white-space:normal;word-break:break-word}\n"
    "tr.base td{color:#555;background:#fafafa}.ci{color:#666;font-size:12px}\n"
    ".shared{color:#a60;font-size:12px;font-style:italic}\n"
    ".faster{color:#0a6d1a;font-weight:600}.slower{color:#b3261e;font-weight:600}\n"
    "ul.notes{margin:4px 0 12px;padding-left:20px;font-size:13px}ul.notes li{margin:2px 0}\n"
    "ul.glance{background:#f3f7fb;border-left:4px solid #1f77b4;padding:8px 12px 8px 28px;"
    "margin:8px 0 14px}ul.glance li{margin:2px 0}\n"
    "figure{margin:14px 0 22px}figure img{width:100%;height:auto;border:1px solid #ddd}\n"
    "figcaption{font-size:13px;color:#444;margin-top:4px}\n"
    "footer{margin-top:30px;color:#777;font-size:12px}\n"
    "@page{size:A4;margin:12mm 10mm}\n"
    "@media print{body{max-width:none;padding:0;font-size:10pt}nav{display:none}\n"
    " h2{break-before:page;page-break-before:always}h2.first{break-before:auto;"
    "page-break-before:auto}\n"
    " h2,h3{break-after:avoid;page-break-after:avoid}\n"
    " table,figure,tr,ul.notes li{break-inside:avoid;page-break-inside:avoid}\n"
    " table{font-size:8pt}.wide{overflow:visible}\n"
    " figure img{max-height:240mm;object-fit:contain;border:0}a{color:inherit;"
    "text-decoration:none}}\n";

/* meta.txt as a two-column table. */
static void section_meta(FILE *f, const char *dir) {
    char path[PATH_MAX], *line = NULL;
    size_t cap = 0;
    ssize_t len;

    fputs("<h2 id=\"machine\" class=\"first\">Machine, compiler and libraries</h2>\n", f);
    snprintf(path, sizeof path, "%.4000s/meta.txt", dir);
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        fputs("<p>No meta.txt in this folder: the machine is not recorded.</p>\n", f);
        return;
    }
    fputs("<table class=\"kv\">\n", f);
    while ((len = getline(&line, &cap, in)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *colon = strstr(line, ": ");
        if (len == 0 || colon == NULL) continue;
        *colon = '\0';
        fputs("<tr><td>", f);
        html_escape(f, line);
        fputs("</td><td>", f);
        html_escape(f, colon + 2);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    free(line);
    (void)fclose(in);
}

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
        fmt_ms(med, sizeof med, csv_num(t, r, S_MEDIAN));
        fmt_ms(sd, sizeof sd, csv_num(t, r, S_STDDEV));
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
                fmt_ms(b, sizeof b, csv_num(t, r, (size_t)(S_QUEUE_P50 + 3 * i + p)) / 1000);
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
        fmt_ms(tb, sizeof tb, csv_num(t, (size_t)base, S_MEDIAN));
        fmt_ms(tp, sizeof tp, csv_num(t, (size_t)best, S_MEDIAN));
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

/* One results folder's summary.csv, a table per workload in the order
 * they appear. `name` is what the heading calls it. Returns 0, or -1 when
 * the file is there but cannot be read or holds a bad value (err set). A
 * missing file is 1. Rows are grouped once, so the page takes time
 * near-linear in the rows. */
static int section_summary(FILE *f, const char *dir, const char *name, const char *anchor,
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

/* The entries of dir that keep(dir, name) accepts, sorted by `order`, at
 * most max of them. A folder that cannot be read has none. */
typedef int (*keep_fn)(const char *dir, const char *name);
static size_t list_dir(const char *dir, keep_fn keep, int (*order)(const void *, const void *),
                       char names[][NAME_MAX + 1], size_t max) {
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    if (d == NULL) return 0;
    while ((e = readdir(d)) != NULL && n < max)
        if (e->d_name[0] != '.' && keep(dir, e->d_name))
            snprintf(names[n++], NAME_MAX + 1, "%s", e->d_name);
    (void)closedir(d);
    qsort(names, n, NAME_MAX + 1, order);
    return n;
}

static int by_name(const void *a, const void *b) {
    return strcmp(a, b);
}

/* A subfolder holding a summary.csv; reference/ is the committed set of
 * another run, not part of this one. */
static int is_results(const char *dir, const char *name) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/%s/summary.csv", dir, name);
    return strcmp(name, "reference") != 0 && access(path, R_OK) == 0;
}

static void compare_row_html(const compare_row *r, void *arg) {
    FILE *f = arg;
    char a[32], b[32];
    fmt_ms(a, sizeof a, r->median_a);
    fmt_ms(b, sizeof b, r->median_b);
    fputs("<tr>", f);
    for (int k = 0; k < CMP_NKEY; k++) {
        fputs(k < 2 ? "<td class=\"t\">" : "<td>", f);
        html_escape(f, r->key[k]);
        fputs("</td>", f);
    }
    fprintf(f, "<td>%s</td><td>%s</td><td>%.3g", a, b, r->ratio);
    if (!isnan(r->ratio_lo) && !isnan(r->ratio_hi))
        fprintf(f, " <span class=\"ci\">(%.3g–%.3g)</span>", r->ratio_lo, r->ratio_hi);
    fputs("</td>", f);
    if (isnan(r->p))
        fputs("<td>-</td>", f);
    else
        fprintf(f, "<td>%.2g</td>", r->p);
    const char *cls = !strcmp(r->verdict, "faster")   ? "faster"
                      : !strcmp(r->verdict, "slower") ? "slower"
                                                      : "";
    fprintf(f, "<td class=\"t\"><span class=\"%s\">", cls);
    html_escape(f, r->verdict);
    fprintf(f, "</span> (%zu vs %zu runs)</td></tr>\n", r->n_b, r->n_a);
}

/* This run (B) against another (A), through compare.h. A folder holding
 * C and Python rows is compared on its C rows. */
static void section_compare(FILE *f, const char *dir, const char *other) {
    char err[512], buf[8192];
    compare_totals t;
    const char *impl = NULL;
    FILE *rows = tmpfile();

    fputs("<h2 id=\"compare\">Compared with another run</h2>\n", f);
    if (rows == NULL) {
        fprintf(f, "<p>Cannot compare: %s.</p>\n", strerror(errno));
        return;
    }
    int rc =
        compare_sets(other, NULL, dir, NULL, 2000, compare_row_html, rows, &t, err, sizeof err);
    if (rc == 2) {
        impl = "c";
        rewind(rows);
        rc =
            compare_sets(other, impl, dir, impl, 2000, compare_row_html, rows, &t, err, sizeof err);
    }
    if (rc != 0) {
        fputs("<p>Cannot compare: ", f);
        html_escape(f, err);
        fputs(".</p>\n", f);
        (void)fclose(rows);
        return;
    }
    fputs("<p class=\"sub\">Baseline A: ", f);
    html_escape(f, t.path[0]);
    fputs(" (", f);
    html_escape(f, t.impl[0]);
    fputs("); this run B: ", f);
    html_escape(f, t.path[1]);
    fputs(" (", f);
    html_escape(f, t.impl[1]);
    fputs("). B/A below 1: this run is faster. Verdict: two-sided Mann-Whitney U test at 5% on "
          "the raw wall times; \"too few reps\" when no outcome could reach 5% (run 4 or more a "
          "side).",
          f);
    if (impl != NULL) fputs(" Both hold several implementations: C rows compared.", f);
    fputs("</p>\n", f);
    if (t.matched == 0) {
        fputs("<p>No configuration appears in both result sets.</p>\n", f);
        (void)fclose(rows);
        return;
    }
    fputs("<div class=\"wide\"><table>\n<tr><th class=\"t\">workload</th><th class=\"t\">mode</th>"
          "<th>workers</th><th>chunk</th><th>size</th><th>A median</th><th>B median</th>"
          "<th>B/A (95% CI)</th><th>p</th><th class=\"t\">this run is</th></tr>\n",
          f);
    rewind(rows);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, rows)) > 0)
        (void)fwrite(buf, 1, n, f);
    (void)fclose(rows);
    fputs("</table></div>\n", f);
    if (t.only_a || t.only_b)
        fprintf(f, "<p>%zu configuration(s) of A and %zu of B have no counterpart.</p>\n", t.only_a,
                t.only_b);
}

/* What each chart shows, in the order the page gives them. */
static const struct {
    const char *prefix, *caption;
} chart_kinds[] = {
    {"speedup", "Speedup of each mode over sequential. Each bar's baseline is its own "
                "language's sequential run; whisker: 95% bootstrap interval."},
    {"abstime", "Median wall time on a log scale, C beside Python for each workload and mode: "
                "what the relative chart hides."},
    {"scaling", "Speedup against the number of workers beside the ideal y = x; Amdahl's law is "
                "fitted only where three or more points allow."},
    {"utilization", "How much of the usable cores each run kept busy."},
    {"chunksize", "Wall time against map's chunksize: the cost per message falls as chunks grow, "
                  "until too few chunks leave workers idle."},
    {"timeline", "Per-worker timeline of one traced run per mode."},
    {"overhead", "Per-task cost of each executor, measured with no-op tasks."},
};
#define NKINDS (sizeof chart_kinds / sizeof chart_kinds[0])

static size_t chart_rank(const char *name) {
    for (size_t i = 0; i < NKINDS; i++)
        if (!strncmp(name, chart_kinds[i].prefix, strlen(chart_kinds[i].prefix))) return i;
    return NKINDS;
}

static int chart_order(const void *a, const void *b) {
    const char *x = a, *y = b;
    size_t rx = chart_rank(x), ry = chart_rank(y);
    return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x, y);
}

static int is_svg(const char *dir, const char *name) {
    size_t len = strlen(name);
    (void)dir;
    return len > 4 && !strcmp(name + len - 4, ".svg");
}

/* Writes the file at path base64-encoded. Returns 0 or -1 (errno). */
static int base64_file(FILE *f, const char *path) {
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char in[3 * 1024];
    size_t n;
    FILE *src = fopen(path, "rb");
    if (src == NULL) return -1;
    while ((n = fread(in, 1, sizeof in, src)) > 0) {
        for (size_t i = 0; i < n; i += 3) {
            unsigned v = (unsigned)in[i] << 16;
            if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
            if (i + 2 < n) v |= in[i + 2];
            fputc(digits[v >> 18 & 63], f);
            fputc(digits[v >> 12 & 63], f);
            fputc(i + 1 < n ? digits[v >> 6 & 63] : '=', f);
            fputc(i + 2 < n ? digits[v & 63] : '=', f);
        }
    }
    int bad = ferror(src);
    (void)fclose(src);
    return bad ? -1 : 0;
}

/* Runs plots/draw DIR OUT (found beside the project root), its output on
 * our stderr. Returns 0 when it ran and succeeded. */
static int draw_charts(const char *dir, const char *out) {
    char root[PATH_MAX], draw[PATH_MAX + 16], err[256];
    char *text = NULL;
    int status;
    if (py_root(root, sizeof root) != 0) return -1;
    snprintf(draw, sizeof draw, "%s/plots/draw", root);
    if (access(draw, X_OK) != 0) return -1;
    char *const argv[] = {draw, (char *)dir, (char *)out, NULL};
    if (capture_command(argv, 0, &text, &status, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench report: %s\n", err);
        return -1;
    }
    if (status != 0) fprintf(stderr, "cfbench report: plots/draw failed:\n%s", text);
    free(text);
    return status == 0 ? 0 : -1;
}

static void section_charts(FILE *f, const char *plots) {
    static char names[MAX_CHARTS][NAME_MAX + 1];
    size_t n = list_dir(plots, is_svg, chart_order, names, MAX_CHARTS);

    fputs("<h2 id=\"charts\">Charts</h2>\n", f);
    if (n == 0) {
        fputs("<p>No chart: no SVG in ", f);
        html_escape(f, plots);
        fputs(" (plots/draw needs gnuplot).</p>\n", f);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        size_t k = chart_rank(names[i]);
        snprintf(path, sizeof path, "%.3000s/%s", plots, names[i]);
        fputs("<figure><img alt=\"chart ", f);
        html_escape(f, names[i]);
        fputs("\" src=\"data:image/svg+xml;base64,", f);
        if (base64_file(f, path) != 0)
            fprintf(stderr, "cfbench report: %s: %s\n", path, strerror(errno));
        fputs("\"><figcaption><b>", f);
        html_escape(f, names[i]);
        fputs("</b>: ", f);
        html_escape(f, k < NKINDS ? chart_kinds[k].caption : "a chart from plots/draw.");
        fputs("</figcaption></figure>\n", f);
    }
}

static void usage(FILE *to) {
    fprintf(to, "usage: cfbench report DIR [OPTIONS]\n"
                "\n"
                "Writes DIR/report.html: one self-contained page (no script, no other\n"
                "file needed) with DIR/meta.txt, a table per workload from DIR/summary.csv\n"
                "and from each subfolder's summary.csv, the notes, every chart (the SVGs\n"
                "in the chart folder, inlined), and with --compare the verdicts of\n"
                "`cfbench compare OTHER DIR`. It prints on A4.\n"
                "\n"
                "  --compare OTHER  also compare this run (B) against OTHER (A): a\n"
                "                   bench.csv or a folder holding one\n"
                "  --plots PLOTDIR  where the charts are (default DIR/plots); when it holds\n"
                "                   no SVG, plots/draw draws DIR's charts into DIR/plots\n"
                "  --out FILE       write here instead of DIR/report.html\n"
                "  -h, --help       this text\n"
                "\n"
                "examples:\n"
                "  cfbench report results --plots plots\n"
                "  cfbench report after/ --compare before/\n");
}

/* The page, in reading order, on f. Returns 0, or -1 with a one-line
 * reason in err (DIR's summary.csv unreadable or holding a bad value, or
 * a write error). */
static int write_report(FILE *f, const char *dir, const char *other, const char *plots, char *err,
                        size_t errlen) {
    static char subs[MAX_SETS][NAME_MAX + 1];
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    size_t nsub = list_dir(dir, is_results, by_name, subs, MAX_SETS);

    if (now == (time_t)-1 || gmtime_r(&now, &tm) == NULL ||
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(when, sizeof when, "unknown");
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>cfbench report: ",
          f);
    html_escape(f, dir);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>cfbench report: ", style);
    html_escape(f, dir);
    fprintf(f,
            "</h1>\n<p class=\"sub\">Written %s by cfbench report. Every mode does the same "
            "work; a run counts only if its results match the sequential run's.</p>\n",
            when);
    fputs("<nav><a href=\"#machine\">machine</a><a href=\"#results\">results</a>", f);
    if (other != NULL) fputs("<a href=\"#compare\">compare</a>", f);
    fputs("<a href=\"#charts\">charts</a>", f);
    for (size_t i = 0; i < nsub; i++) {
        fputs("<a href=\"#results-", f);
        html_escape(f, subs[i]);
        fputs("\">", f);
        html_escape(f, subs[i]);
        fputs("</a>", f);
    }
    fputs("</nav>\n", f);

    section_meta(f, dir);
    int rc = section_summary(f, dir, dir, "results", 1, err, errlen);
    if (rc < 0) return -1;
    if (rc == 1) {
        fputs("<h2 id=\"results\">Results</h2>\n<p>No summary.csv in ", f);
        html_escape(f, dir);
        fputs(".</p>\n", f);
    }
    if (other != NULL) section_compare(f, dir, other);
    section_charts(f, plots);
    for (size_t i = 0; i < nsub; i++) {
        char sub[PATH_MAX], anchor[NAME_MAX + 16];
        snprintf(sub, sizeof sub, "%.3000s/%.255s", dir, subs[i]);
        snprintf(anchor, sizeof anchor, "results-%.255s", subs[i]);
        if (section_summary(f, sub, sub, anchor, 0, err, errlen) < 0)
            fprintf(stderr, "cfbench report: %s (skipped)\n", err);
    }
    fputs("<footer>cfutures · cfbench report · open this file in any browser; it needs "
          "nothing else.</footer>\n</body>\n</html>\n",
          f);
    if (ferror(f)) {
        snprintf(err, errlen, "write error");
        return -1;
    }
    return 0;
}

int cmd_report(int argc, char **argv) {
    const char *dir = NULL, *other = NULL, *plots = NULL, *out = NULL;
    char err[512], own_plots[PATH_MAX], own_out[PATH_MAX];
    struct stat st;
    atomic_file af;

    const cli_option opts[] = {
        CLI_OPT_TEXT("--compare", &other),
        CLI_OPT_TEXT("--plots", &plots),
        CLI_OPT_TEXT("--out", &out),
        CLI_OPT_END,
    };
    const cli_command cmd = {
        .name = "report", .usage = usage, .options = opts, .operands = &dir, .max_operands = 1,
        .too_many = ": give one results folder"};
    int status;
    if (cli_parse(&cmd, argc, argv, &status)) return status;
    if (dir == NULL) return cli_bad_usage("report", "give a results folder: cfbench report DIR (try --help)");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "cfbench report: %s: not a folder\n", dir);
        return 1;
    }
    if (strlen(dir) > 3000) return cli_bad_usage("report", "the results folder's path is too long");
    /* DIR's summary.csv is checked before anything is drawn from it: a bad
     * value is one line, not a chart run's output and then that line. */
    char summary[PATH_MAX];
    csv_table t;
    snprintf(summary, sizeof summary, "%s/summary.csv", dir);
    if (access(summary, F_OK) == 0) {
        if (csv_read(summary, summary_cols, S_NCOLS, &t, err, sizeof err) != 0) {
            fprintf(stderr, "cfbench report: %s (no report written)\n", err);
            return 1;
        }
        csv_table_free(&t);
    }
    snprintf(own_plots, sizeof own_plots, "%s/plots", dir);
    if (plots == NULL) plots = own_plots;
    static char names[1][NAME_MAX + 1];
    if (list_dir(plots, is_svg, chart_order, names, 1) == 0) {
        plots = own_plots;
        if (list_dir(plots, is_svg, chart_order, names, 1) == 0 && draw_charts(dir, plots) != 0)
            fprintf(stderr, "cfbench report: note: no charts drawn (plots/draw or gnuplot "
                            "missing); the report has tables only\n");
    }
    if (out == NULL) {
        snprintf(own_out, sizeof own_out, "%s/report.html", dir);
        out = own_out;
    }
    if (atomic_open(&af, out, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench report: %s\n", err);
        return 1;
    }
    if (write_report(af.f, dir, other, plots, err, sizeof err) != 0) {
        atomic_abort(&af);
        fprintf(stderr, "cfbench report: %s (%s not written)\n", err, out);
        return 1;
    }
    if (atomic_commit(&af, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench report: %s\n", err);
        return 1;
    }
    printf("report: %s\n", out);
    return 0;
}
