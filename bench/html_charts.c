/* html_charts.c -- the report's charts: the SVGs plots/draw wrote, in a
 * fixed order, each with a caption saying what it shows.
 *
 * Each chart is inlined as a base64 data: URI in an <img>: the page needs
 * no other file, the charts' own ids cannot clash, and no markup inside
 * them can reach the page. When the chart folder has no SVG, plots/draw is
 * run to draw DIR's charts into DIR/plots.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html.h"
#include "python.h"
#include "spawn.h"

#define MAX_CHARTS 64

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
int html_draw_charts(const char *dir, const char *out) {
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

void html_section_charts(FILE *f, const char *plots) {
    static char names[MAX_CHARTS][NAME_MAX + 1];
    size_t n = html_list_dir(plots, is_svg, chart_order, names, MAX_CHARTS);

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

int html_charts_found(const char *plots) {
    static char names[1][NAME_MAX + 1];
    return html_list_dir(plots, is_svg, chart_order, names, 1) > 0;
}
