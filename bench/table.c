/* table.c -- the results table and the progress bar. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"

#define GREEN "\033[32m"
#define RED "\033[31m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

int table_use_color(FILE *f) {
    return isatty(fileno(f)) && getenv("NO_COLOR") == NULL;
}

void table_speedup_words(double s, char *buf, size_t len) {
    if (isnan(s) || s <= 0.0) {
        snprintf(buf, len, "-");
    } else if (s >= 1.05) {
        snprintf(buf, len, s >= 10.0 ? "%.0fx faster" : "%.1fx faster", s);
    } else if (s <= 1.0 / 1.05) {
        double slow = 1.0 / s;
        snprintf(buf, len, slow >= 10.0 ? "%.0fx slower" : "%.1fx slower", slow);
    } else {
        snprintf(buf, len, "1.0x (same)");
    }
}

void table_format_ms(double ms, char *buf, size_t len) {
    if (isnan(ms))
        snprintf(buf, len, "-");
    else if (ms < 1.0)
        snprintf(buf, len, "%.0f us", ms * 1e3);
    else if (ms < 1000.0)
        snprintf(buf, len, ms < 100.0 ? "%.2f ms" : "%.1f ms", ms);
    else
        snprintf(buf, len, "%.2f s", ms / 1e3);
}

void table_print(FILE *f, const char *title, const table_row *rows, size_t n, int color) {
    fprintf(f, "%s%s%s\n", color ? BOLD : "", title, color ? RESET : "");
    fprintf(f, "  %-10s %7s %5s %11s %11s  %s\n", "mode", "workers", "reps", "median", "± spread",
            "vs seq");
    for (size_t i = 0; i < n; i++) {
        const table_row *r = &rows[i];
        char med[32], spr[32], sp[32];
        const char *on = "";
        table_format_ms(r->median_ms, med, sizeof med);
        /* One run has no spread to show. */
        if (r->reps > 1)
            table_format_ms(r->spread_ms, spr, sizeof spr);
        else
            snprintf(spr, sizeof spr, "-");
        table_speedup_words(r->speedup, sp, sizeof sp);
        if (color && !isnan(r->speedup) && strcmp(r->mode, "seq") != 0)
            on = r->speedup >= 1.05 ? GREEN : r->speedup <= 1 / 1.05 ? RED : "";
        /* "± " is 3 bytes and 2 columns: printf pads bytes, so pad by hand. */
        fprintf(f, "  %-10s %7d %5zu %11s   ± %-8s  %s%s%s%s\n", r->mode, r->workers, r->reps, med,
                spr, on, sp, *on ? RESET : "", r->outliers ? "  (outliers)" : "");
    }
}

void progress_init(progress *p, size_t total, int quiet) {
    memset(p, 0, sizeof *p);
    p->total = total;
    p->enabled = !quiet && isatty(STDERR_FILENO);
}

void progress_show(progress *p, const char *label) {
    enum { WIDTH = 24 };
    char bar[WIDTH + 1];

    if (!p->enabled) return;
    size_t fill = p->total ? p->done * WIDTH / p->total : 0;
    for (size_t i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    /* \033[K clears what a longer previous label left behind. */
    fprintf(stderr, "\r[%s] %zu/%zu %.50s\033[K", bar, p->done, p->total, label);
    fflush(stderr);
    p->drawn = 1;
}

void progress_step(progress *p) {
    if (p->done < p->total) p->done++;
}

void progress_clear(progress *p) {
    if (!p->enabled || !p->drawn) return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
    p->drawn = 0;
}
