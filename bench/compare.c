/* compare.c -- `cfbench compare A B`: two result sets side by side.
 *
 * A and B are bench.csv files (or folders holding one): before and after a
 * change, C against Python, two machines. Rows are grouped by
 * configuration (workload, mode, workers, chunksize, size); only rows with
 * ok = 1 count. For each configuration found in both, the verdict rests on
 * the raw wall times, not on summaries:
 *  - ratio = median(B) / median(A) (below 1: B is faster), with a 95%
 *    percentile-bootstrap interval (stats_bootstrap_ratio);
 *  - a two-sided Mann-Whitney U test at the 5% level says "faster",
 *    "slower" or "within noise". When even the most extreme data could not
 *    reach 5% at these sizes (fewer than 4 runs a side), it says "too few
 *    reps" instead of pretending that there is no difference.
 * Columns are found by name, so files from other versions (more columns,
 * another order) compare as long as they have the ones used here.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "compare.h"
#include "csv.h"
#include "stats.h"

#define ALPHA 0.05
#define MAX_FIELDS 64

#define NKEY CMP_NKEY
static const char *const key_cols[NKEY] = {"workload", "mode", "workers", "chunksize", "size"};

/* The runs of one configuration in one file. */
typedef struct config {
    char *key[NKEY];
    double *wall;
    size_t n;
} config;

typedef struct result_set {
    char path[4096];
    char impl[64]; /* the impl its rows came from */
    config *c;
    size_t n, cap;
} result_set;

static void set_free(result_set *s) {
    for (size_t i = 0; i < s->n; i++) {
        for (int k = 0; k < NKEY; k++)
            free(s->c[i].key[k]);
        free(s->c[i].wall);
    }
    free(s->c);
    memset(s, 0, sizeof *s);
}

static config *find_config(result_set *s, char *const *key) {
    for (size_t i = 0; i < s->n; i++) {
        int same = 1;
        for (int k = 0; k < NKEY && same; k++)
            same = !strcmp(s->c[i].key[k], key[k]);
        if (same) return &s->c[i];
    }
    return NULL;
}

static int add_sample(result_set *s, char *const *key, double wall) {
    config *c = find_config(s, key);
    if (c == NULL) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 16;
            config *grown = realloc(s->c, cap * sizeof *grown);
            if (grown == NULL) return -1;
            s->c = grown;
            s->cap = cap;
        }
        c = &s->c[s->n];
        memset(c, 0, sizeof *c);
        for (int k = 0; k < NKEY; k++)
            if ((c->key[k] = strdup(key[k])) == NULL) return -1;
        s->n++;
    }
    double *grown = realloc(c->wall, (c->n + 1) * sizeof *grown);
    if (grown == NULL) return -1;
    c->wall = grown;
    c->wall[c->n++] = wall;
    return 0;
}

/* Reads `arg` (a bench.csv, or a folder holding one) into *s, keeping
 * rows of `impl` (NULL: the file must hold one impl only). Returns 0,
 * 1 (a file problem) or 2 (a usage problem), with err set. */
static int load(const char *arg, const char *impl, const char *which, result_set *s, char *err,
                size_t errlen) {
    struct stat st;
    char line[8192];
    int col[NKEY], c_impl = -1, c_wall = -1, c_ok = -1, rc = 1;
    FILE *f = NULL;
    size_t lineno = 0;

    memset(s, 0, sizeof *s);
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(s->path, sizeof s->path, "%.4000s/bench.csv", arg);
    else
        snprintf(s->path, sizeof s->path, "%.4000s", arg);
    if ((f = fopen(s->path, "r")) == NULL) {
        snprintf(err, errlen, "%.300s: %s", s->path, strerror(errno));
        return 1;
    }
    for (int k = 0; k < NKEY; k++)
        col[k] = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        char *fld[MAX_FIELDS];
        size_t len = strlen(line);
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0) continue;
        int nf = csv_split(line, fld, MAX_FIELDS);
        if (nf < 0) {
            snprintf(err, errlen, "%.300s:%zu: not a CSV row", s->path, lineno);
            goto done;
        }
        if (lineno == 1) {
            for (int i = 0; i < nf; i++) {
                for (int k = 0; k < NKEY; k++)
                    if (!strcmp(fld[i], key_cols[k])) col[k] = i;
                if (!strcmp(fld[i], "impl")) c_impl = i;
                if (!strcmp(fld[i], "wall_ms")) c_wall = i;
                if (!strcmp(fld[i], "ok")) c_ok = i;
            }
            int missing = c_wall < 0 || c_ok < 0 || c_impl < 0;
            for (int k = 0; k < NKEY; k++)
                missing |= col[k] < 0;
            if (missing) {
                snprintf(err, errlen,
                         "%.300s: not a bench.csv (needs impl, workload, mode, workers, chunksize, "
                         "size, wall_ms and ok columns)",
                         s->path);
                goto done;
            }
            continue;
        }
        int need = c_wall > c_ok ? c_wall : c_ok;
        for (int k = 0; k < NKEY; k++)
            need = col[k] > need ? col[k] : need;
        need = c_impl > need ? c_impl : need;
        if (nf <= need) {
            snprintf(err, errlen, "%.300s:%zu: too few fields", s->path, lineno);
            goto done;
        }
        if (impl != NULL && strcmp(fld[c_impl], impl) != 0) continue;
        if (s->impl[0] == '\0') {
            snprintf(s->impl, sizeof s->impl, "%s", fld[c_impl]);
        } else if (strcmp(s->impl, fld[c_impl]) != 0) {
            snprintf(err, errlen,
                     "--impl-%s: %.300s holds more than one impl (%.40s, %.40s): choose one", which,
                     s->path, s->impl, fld[c_impl]);
            rc = 2;
            goto done;
        }
        if (strcmp(fld[c_ok], "1") != 0) continue;
        char *end;
        double wall = strtod(fld[c_wall], &end);
        if (end == fld[c_wall] || *end != '\0' || !(wall > 0.0)) {
            snprintf(err, errlen, "%.300s:%zu: wall_ms '%.30s' is not a positive number", s->path,
                     lineno, fld[c_wall]);
            goto done;
        }
        char *key[NKEY];
        for (int k = 0; k < NKEY; k++)
            key[k] = fld[col[k]];
        if (add_sample(s, key, wall) != 0) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%.300s: read error", s->path);
        goto done;
    }
    if (lineno == 0) {
        snprintf(err, errlen, "%.300s: empty file", s->path);
        goto done;
    }
    rc = 0;

done:
    (void)fclose(f);
    if (rc != 0) set_free(s);
    return rc;
}

static double median_of(const double *x, size_t n) {
    stats_summary st;
    return stats_summarize(x, n, &st) == 0 ? st.median : NAN;
}

/* The verdict for B against A. */
static const char *verdict(const config *a, const config *b, const stats_mw *mw, int tested) {
    if (!tested || mw->p_min > ALPHA) return "too few reps";
    if (mw->p >= ALPHA) return "within noise";
    return median_of(b->wall, b->n) < median_of(a->wall, a->n) ? "faster" : "slower";
}

static void usage(FILE *to) {
    fprintf(to,
            "usage: cfbench compare A B [OPTIONS]\n"
            "\n"
            "Compares two result sets (bench.csv files, or folders holding one) per\n"
            "configuration (workload, mode, workers, chunksize, size): the medians,\n"
            "their ratio B/A with a 95%% bootstrap interval, and whether B is faster,\n"
            "slower or within noise of A by a two-sided Mann-Whitney U test at 5%%\n"
            "(\"too few reps\" when no outcome could reach 5%%: run 4 or more a side).\n"
            "\n"
            "  --impl-a NAME   use A's rows of this impl (c, python); needed when the\n"
            "                  file holds several\n"
            "  --impl-b NAME   the same for B\n"
            "  --resamples N   bootstrap resamples (1..1000000; default 2000)\n"
            "  --csv           print CSV instead of the table:\n"
            "                  workload,mode,workers,chunksize,size,n_a,n_b,median_a_ms,\n"
            "                  median_b_ms,ratio,ratio_lo,ratio_hi,p_value,verdict\n"
            "  -h, --help      this text\n"
            "\n"
            "examples:\n"
            "  cfbench compare before/ after/\n"
            "  cfbench compare results/bench.csv results/bench.csv --impl-a c --impl-b python\n");
}

static int bad_usage(const char *msg) {
    fprintf(stderr, "cfbench compare: %s\n", msg);
    return 2;
}

/* "%.3f", or "" for NaN. */
static void fmt3(char *buf, size_t len, double v) {
    if (isnan(v))
        buf[0] = '\0';
    else
        snprintf(buf, len, "%.3f", v);
}

int compare_sets(const char *a, const char *impl_a, const char *b, const char *impl_b,
                 long resamples, compare_row_fn fn, void *arg, compare_totals *t, char *err,
                 size_t errlen) {
    const char *paths[2] = {a, b}, *impl[2] = {impl_a, impl_b};
    result_set sets[2];
    int status = 0;

    memset(sets, 0, sizeof sets);
    memset(t, 0, sizeof *t);
    for (int k = 0; k < 2; k++) {
        status = load(paths[k], impl[k], k == 0 ? "a" : "b", &sets[k], err, errlen);
        if (status != 0) goto done;
        snprintf(t->path[k], sizeof t->path[k], "%.4000s", sets[k].path);
        snprintf(t->impl[k], sizeof t->impl[k], "%.63s", sets[k].impl);
    }
    for (size_t i = 0; i < sets[0].n; i++) {
        const config *ca = &sets[0].c[i], *cb = find_config(&sets[1], ca->key);
        if (cb == NULL) continue;
        t->matched++;
        stats_mw mw;
        int tested = ca->n >= 2 && cb->n >= 2 &&
                     stats_mann_whitney(ca->wall, ca->n, cb->wall, cb->n, &mw) == 0;
        if (!tested) mw.p = NAN;
        compare_row row;
        for (int k = 0; k < NKEY; k++)
            row.key[k] = ca->key[k];
        row.n_a = ca->n;
        row.n_b = cb->n;
        row.median_a = median_of(ca->wall, ca->n);
        row.median_b = median_of(cb->wall, cb->n);
        row.ratio = row.median_b / row.median_a;
        if (stats_bootstrap_ratio(cb->wall, cb->n, ca->wall, ca->n, (size_t)resamples, 0.95, 1 + i,
                                  &row.ratio_lo, &row.ratio_hi) != 0)
            row.ratio_lo = row.ratio_hi = NAN;
        row.p = mw.p;
        row.verdict = verdict(ca, cb, &mw, tested);
        fn(&row, arg);
    }
    t->only_a = sets[0].n - t->matched;
    t->only_b = sets[1].n - t->matched;

done:
    set_free(&sets[0]);
    set_free(&sets[1]);
    return status;
}

/* How cmd_compare prints: CSV or the table, whose heading waits for the
 * first row (the paths and impls are known only once both files loaded). */
typedef struct printer {
    int as_csv, headed;
    const compare_totals *t;
} printer;

static void print_heading(printer *pr) {
    if (pr->headed) return;
    pr->headed = 1;
    if (pr->as_csv)
        printf("workload,mode,workers,chunksize,size,n_a,n_b,median_a_ms,median_b_ms,ratio,"
               "ratio_lo,ratio_hi,p_value,verdict\n");
    else
        printf("A: %s (%s)\nB: %s (%s)\n  %-9s %-10s %7s %5s %-8s %9s %9s  %-22s %7s  %s\n",
               pr->t->path[0], pr->t->impl[0], pr->t->path[1], pr->t->impl[1], "workload", "mode",
               "workers", "chunk", "size", "A median", "B median", "B/A (95% CI)", "p", "B is");
}

static void print_row(const compare_row *r, void *arg) {
    printer *pr = arg;
    print_heading(pr);
    if (pr->as_csv) {
        char f[6][32];
        fmt3(f[0], 32, r->median_a);
        fmt3(f[1], 32, r->median_b);
        fmt3(f[2], 32, r->ratio);
        fmt3(f[3], 32, r->ratio_lo);
        fmt3(f[4], 32, r->ratio_hi);
        if (isnan(r->p))
            f[5][0] = '\0';
        else
            snprintf(f[5], 32, "%.4g", r->p);
        printf("%s,%s,%s,%s,%s,%zu,%zu,%s,%s,%s,%s,%s,%s,%s\n", r->key[0], r->key[1], r->key[2],
               r->key[3], r->key[4], r->n_a, r->n_b, f[0], f[1], f[2], f[3], f[4], f[5],
               r->verdict);
    } else {
        char ci[64], p[16];
        snprintf(ci, sizeof ci, "%.3g (%.3g-%.3g)", r->ratio, r->ratio_lo, r->ratio_hi);
        if (isnan(r->p))
            snprintf(p, sizeof p, "-");
        else
            snprintf(p, sizeof p, "%.2g", r->p);
        printf("  %-9s %-10s %7s %5s %-8s %9.3f %9.3f  %-22s %7s  %s (%zu vs %zu runs)\n",
               r->key[0], r->key[1], r->key[2], r->key[3], r->key[4], r->median_a, r->median_b, ci,
               p, r->verdict, r->n_a, r->n_b);
    }
}

int cmd_compare(int argc, char **argv) {
    const char *paths[2] = {NULL, NULL}, *impl[2] = {NULL, NULL};
    long resamples = 2000;
    int as_csv = 0, npaths = 0, status = 0;
    char err[512];
    compare_totals t;
    printer pr = {0, 0, &t};

    for (int i = 1; i < argc;) {
        const char *a = argv[i], *v = NULL;
        int r;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--csv")) {
            as_csv = 1;
            i++;
            continue;
        }
        if ((r = cli_take_value(argc, argv, &i, "--impl-a", &v, err, sizeof err)) != 0) {
            if (r < 0) return bad_usage(err);
            impl[0] = v;
            continue;
        }
        if ((r = cli_take_value(argc, argv, &i, "--impl-b", &v, err, sizeof err)) != 0) {
            if (r < 0) return bad_usage(err);
            impl[1] = v;
            continue;
        }
        if ((r = cli_take_value(argc, argv, &i, "--resamples", &v, err, sizeof err)) != 0) {
            if (r < 0) return bad_usage(err);
            if (cli_parse_long("--resamples", v, 1, 1000000, &resamples, err, sizeof err) != 0)
                return bad_usage(err);
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            snprintf(err, sizeof err, "unknown option '%.60s' (try --help)", a);
            return bad_usage(err);
        }
        if (npaths == 2) {
            snprintf(err, sizeof err, "unexpected argument '%.60s': give two result sets", a);
            return bad_usage(err);
        }
        paths[npaths++] = a;
        i++;
    }
    if (npaths < 2) return bad_usage("give two result sets: A B (try --help)");
    pr.as_csv = as_csv;
    status = compare_sets(paths[0], impl[0], paths[1], impl[1], resamples, print_row, &pr, &t, err,
                          sizeof err);
    if (status != 0) {
        fprintf(stderr, "cfbench compare: %s\n", err);
        return status;
    }
    print_heading(&pr);
    if (!as_csv) printf("  (medians in ms; B/A below 1: B is faster)\n");
    if (t.matched == 0) {
        fprintf(stderr, "cfbench compare: no configuration appears in both result sets\n");
        status = 1;
    } else if (t.only_a > 0 || t.only_b > 0) {
        fprintf(stderr,
                "cfbench compare: note: %zu configuration(s) of A and %zu of B have no "
                "counterpart\n",
                t.only_a, t.only_b);
    }
    fflush(stdout);
    return status;
}
