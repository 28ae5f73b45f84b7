/* html.c -- `cfbench report`'s page: its frame, in reading order, and
 * the sections that are not tables of results or charts.
 *
 * The page reads top to bottom: where the run happened (meta.txt); what
 * each workload measured (DIR/summary.csv: html_summary.c), opened by one
 * line per workload saying which mode won and by how much, then a table
 * per workload and the harness's notes; with --compare, whether this run
 * is faster or slower than another (compare.h); the charts
 * (html_charts.c); then the summary.csv of each subfolder (sweep/, trace/,
 * chunks/, python/...). The command itself is bench/cmd/report.c.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "html.h"

#define MAX_SETS 32

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


void html_fmt_ms(char *buf, size_t len, double ms) {
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

size_t html_list_dir(const char *dir, html_keep_fn keep, int (*order)(const void *, const void *),
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
    html_fmt_ms(a, sizeof a, r->median_a);
    html_fmt_ms(b, sizeof b, r->median_b);
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

/* The frame: head, navigation, then each section in reading order. */
int html_page(FILE *f, const char *dir, const char *other, const char *plots, char *err,
              size_t errlen) {
    static char subs[MAX_SETS][NAME_MAX + 1];
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    size_t nsub = html_list_dir(dir, is_results, by_name, subs, MAX_SETS);

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
    int rc = html_section_summary(f, dir, dir, "results", 1, err, errlen);
    if (rc < 0) return -1;
    if (rc == 1) {
        fputs("<h2 id=\"results\">Results</h2>\n<p>No summary.csv in ", f);
        html_escape(f, dir);
        fputs(".</p>\n", f);
    }
    if (other != NULL) section_compare(f, dir, other);
    html_section_charts(f, plots);
    for (size_t i = 0; i < nsub; i++) {
        char sub[PATH_MAX], anchor[NAME_MAX + 16];
        snprintf(sub, sizeof sub, "%.3000s/%.255s", dir, subs[i]);
        snprintf(anchor, sizeof anchor, "results-%.255s", subs[i]);
        if (html_section_summary(f, sub, sub, anchor, 0, err, errlen) < 0)
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
