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
    char vs[32] = "vs seq";
    for (size_t i = 0; i < n; i++)
        if (rows[i].base) {
            snprintf(vs, sizeof vs, "vs %s",
                     rows[i].mode + (strncmp(rows[i].mode, "py-", 3) ? 0 : 3));
            break;
        }
    fprintf(f, "%s%s%s\n", color ? BOLD : "", title, color ? RESET : "");
    fprintf(f, "  %-10s %7s %5s %11s %11s  %s\n", "mode", "workers", "reps", "median", "± spread",
            vs);
    for (size_t i = 0; i < n; i++) {
        const table_row *r = &rows[i];
        char med[32], spr[32], sp[64];
        const char *on = "";
        table_format_ms(r->median_ms, med, sizeof med);
        /* One run has no spread to show. */
        if (r->reps > 1)
            table_format_ms(r->spread_ms, spr, sizeof spr);
        else
            snprintf(spr, sizeof spr, "-");
        table_speedup_words(r->speedup, sp, sizeof sp);
        /* The interval only where it says something: several runs. */
        int base = r->base;
        if (r->reps > 1 && r->speedup_lo > 0.0 && r->speedup_hi > 0.0 && !base) {
            size_t used = strlen(sp);
            snprintf(sp + used, sizeof sp - used, " (%.2g-%.2gx)", r->speedup_lo, r->speedup_hi);
        }
        if (color && !isnan(r->speedup) && !base)
            on = r->speedup >= 1.05 ? GREEN : r->speedup <= 1 / 1.05 ? RED : "";
        /* "± " is 3 bytes and 2 columns: printf pads bytes, so pad by hand. */
        fprintf(f, "  %-10s %7d %5zu %11s   ± %-8s  %s%s%s%s%s\n", r->mode, r->workers, r->reps,
                med, spr, on, sp, *on ? RESET : "", r->outliers ? "  (outliers)" : "",
                r->shared ? "  (shared machine)" : "");
        if (r->below != NULL && r->below[0] != '\0') fprintf(f, "  %10s %s\n", "", r->below);
    }
}

/* "p50 / p95 / p99" of three µs values, for one cell of the detail view. */
static void fmt_triple(const double q[3], char *buf, size_t len) {
    char a[3][24];
    for (int i = 0; i < 3; i++) {
        if (isnan(q[i]))
            snprintf(a[i], sizeof a[i], "-");
        else if (q[i] >= 10000.0)
            snprintf(a[i], sizeof a[i], "%.0fms", q[i] / 1e3);
        else if (q[i] >= 100.0)
            snprintf(a[i], sizeof a[i], "%.0f", q[i]);
        else
            snprintf(a[i], sizeof a[i], "%.1f", q[i]);
    }
    snprintf(buf, len, "%.20s / %.20s / %.20s", a[0], a[1], a[2]);
}

void table_print_latency(FILE *f, const table_latency_row *rows, size_t n) {
    if (n == 0) return;
    fprintf(f, "  per task, µs (p50 / p95 / p99):\n");
    fprintf(f, "  %-10s %7s  %-22s %-22s %-22s\n", "mode", "workers", "queue wait", "run",
            "hand-back");
    for (size_t i = 0; i < n; i++) {
        char q[80], r[80], b[80];
        fmt_triple(rows[i].queue, q, sizeof q);
        fmt_triple(rows[i].run, r, sizeof r);
        fmt_triple(rows[i].back, b, sizeof b);
        fprintf(f, "  %-10s %7d  %-22s %-22s %-22s\n", rows[i].mode, rows[i].workers, q, r, b);
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
