/* compare.c -- two result sets side by side, for `cfbench compare`
 * (bench/cmd/compare.c) and the report's verdicts (bench/html.c).
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
 * another order) compare as long as they have the ones used here; the
 * files are read by csvread.h, which checks every value used.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"
#include "csvread.h"
#include "stats.h"

#define ALPHA 0.05

/* The columns read from a bench.csv; the key columns come first, in
 * compare.h's order (CMP_WORKLOAD..CMP_SIZE), so that column k is key k. */
enum { B_IMPL = CMP_NKEY, B_WALL, B_OK, B_NCOLS };
static const csv_column bench_cols[B_NCOLS] = {
    [CMP_WORKLOAD] = {"workload", CSV_NAME, 0, 0},  [CMP_MODE] = {"mode", CSV_NAME, 0, 0},
    [CMP_WORKERS] = {"workers", CSV_COUNT, 0, 1e6}, [CMP_CHUNK] = {"chunksize", CSV_COUNT, 0, 1e12},
    [CMP_SIZE] = {"size", CSV_NAME, 0, 0},          [B_IMPL] = {"impl", CSV_NAME, 0, 0},
    [B_WALL] = {"wall_ms", CSV_NUMBER, 0, 1e12},    [B_OK] = {"ok", CSV_COUNT, 0, 1},
};
static const size_t key_cols[CMP_NKEY] = {CMP_WORKLOAD, CMP_MODE, CMP_WORKERS, CMP_CHUNK, CMP_SIZE};

/* One file's runs that count, grouped by configuration: group i's wall
 * times are wall[g.first[i]..g.first[i + 1]). */
typedef struct result_set {
    char path[4096];
    char impl[64]; /* the impl its rows came from */
    csv_table t;
    csv_groups g;
    double *wall; /* owned: in g.rows' order */
} result_set;

static void set_free(result_set *s) {
    csv_groups_free(&s->g);
    csv_table_free(&s->t);
    free(s->wall);
    memset(s, 0, sizeof *s);
}

/* Configuration i's key value k, and its runs. */
static const char *key_of(const result_set *s, size_t i, int k) {
    return csv_text(&s->t, s->g.rows[s->g.first[i]], key_cols[k]);
}

static const double *walls(const result_set *s, size_t i, size_t *n) {
    *n = s->g.first[i + 1] - s->g.first[i];
    return s->wall + s->g.first[i];
}

/* Which rows count: those of `impl` (NULL: the file must hold one impl
 * only) with ok = 1, whose wall time must then be positive. Returns 0, 1
 * or 2 as load() does. */
static int pick_rows(result_set *s, const char *impl, const char *which, unsigned char *keep,
                     char *err, size_t errlen) {
    const csv_table *t = &s->t;
    const char *seen = "";
    for (size_t r = 0; r < t->nrows; r++) {
        const char *ri = csv_text(t, r, B_IMPL);
        keep[r] = 0;
        if (impl != NULL && strcmp(ri, impl) != 0) continue;
        if (seen[0] == '\0') {
            snprintf(s->impl, sizeof s->impl, "%s", ri);
            seen = ri;
        } else if (strcmp(seen, ri) != 0) {
            snprintf(err, errlen,
                     "--impl-%s: %.300s holds more than one impl (%.40s, %.40s): choose one", which,
                     s->path, seen, ri);
            return 2;
        }
        if (strcmp(csv_text(t, r, B_OK), "1") != 0) continue;
        if (!(csv_num(t, r, B_WALL) > 0.0)) {
            snprintf(err, errlen, "%.300s:%zu: wall_ms '%.30s' is not a positive number", s->path,
                     csv_line(t, r), csv_text(t, r, B_WALL));
            return 1;
        }
        keep[r] = 1;
    }
    return 0;
}

/* Reads `arg` (a bench.csv, or a folder holding one) into *s, keeping
 * rows of `impl` (NULL: the file must hold one impl only). Returns 0,
 * 1 (a file problem) or 2 (a usage problem), with err set. */
static int load(const char *arg, const char *impl, const char *which, result_set *s, char *err,
                size_t errlen) {
    struct stat st;
    unsigned char *keep = NULL;
    int rc = 1;

    memset(s, 0, sizeof *s);
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(s->path, sizeof s->path, "%.4000s/bench.csv", arg);
    else
        snprintf(s->path, sizeof s->path, "%.4000s", arg);
    if (csv_read(s->path, bench_cols, B_NCOLS, &s->t, err, errlen) != 0) return 1;
    for (size_t c = 0; c < B_NCOLS; c++)
        if (!csv_has(&s->t, c)) {
            snprintf(err, errlen,
                     "%.300s: not a bench.csv (needs impl, workload, mode, workers, chunksize, "
                     "size, wall_ms and ok columns)",
                     s->path);
            goto done;
        }
    if ((keep = malloc(s->t.nrows + 1)) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if ((rc = pick_rows(s, impl, which, keep, err, errlen)) != 0) goto done;
    rc = 1;
    if (csv_group(&s->t, key_cols, CMP_NKEY, keep, &s->g) != 0 ||
        (s->wall = malloc((s->g.first[s->g.n] + 1) * sizeof *s->wall)) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < s->g.first[s->g.n]; i++)
        s->wall[i] = csv_num(&s->t, s->g.rows[i], B_WALL);
    rc = 0;

done:
    free(keep);
    if (rc != 0) set_free(s);
    return rc;
}

static double median_of(const double *x, size_t n) {
    stats_summary st;
    return stats_summarize(x, n, &st) == 0 ? st.median : NAN;
}

/* The verdict for B against A, given their medians. */
static const char *verdict(double median_a, double median_b, const stats_mw *mw, int tested) {
    if (!tested || mw->p_min > ALPHA) return "too few reps";
    if (mw->p >= ALPHA) return "within noise";
    return median_b < median_a ? "faster" : "slower";
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
    for (size_t i = 0; i < sets[0].g.n; i++) {
        const char *key[CMP_NKEY];
        for (int k = 0; k < CMP_NKEY; k++)
            key[k] = key_of(&sets[0], i, k);
        long j = csv_group_find(&sets[1].t, &sets[1].g, key);
        if (j < 0) continue;
        t->matched++;
        size_t na, nb;
        const double *wa = walls(&sets[0], i, &na), *wb = walls(&sets[1], (size_t)j, &nb);
        stats_mw mw;
        int tested = na >= 2 && nb >= 2 && stats_mann_whitney(wa, na, wb, nb, &mw) == 0;
        if (!tested) mw.p = NAN;
        compare_row row;
        for (int k = 0; k < CMP_NKEY; k++)
            row.key[k] = key[k];
        row.n_a = na;
        row.n_b = nb;
        row.median_a = median_of(wa, na);
        row.median_b = median_of(wb, nb);
        row.ratio = row.median_b / row.median_a;
        if (stats_bootstrap_ratio(wb, nb, wa, na, (size_t)resamples, 0.95, 1 + i, &row.ratio_lo,
                                  &row.ratio_hi) != 0)
            row.ratio_lo = row.ratio_hi = NAN;
        row.p = mw.p;
        row.verdict = verdict(row.median_a, row.median_b, &mw, tested);
        fn(&row, arg);
    }
    t->only_a = sets[0].g.n - t->matched;
    t->only_b = sets[1].g.n - t->matched;

done:
    set_free(&sets[0]);
    set_free(&sets[1]);
    return status;
}
