/* compare.c -- `cfbench compare A B`: the verdicts of bench/compare.h as a
 * table or as CSV.
 */
#include <math.h>
#include <stdio.h>

#include "../cli.h"
#include "../commands.h"
#include "../compare.h"

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


/* "%.3f", or "" for NaN. */
static void fmt3(char *buf, size_t len, double v) {
    if (isnan(v))
        buf[0] = '\0';
    else
        snprintf(buf, len, "%.3f", v);
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
    int as_csv = 0, status = 0;
    char err[512];
    compare_totals t;
    printer pr = {0, 0, &t};

    const cli_option opts[] = {
        CLI_OPT_TEXT("--impl-a", &impl[0]),
        CLI_OPT_TEXT("--impl-b", &impl[1]),
        CLI_OPT_LONG("--resamples", &resamples, 1, 1000000),
        CLI_OPT_FLAG("--csv", &as_csv),
        CLI_OPT_END,
    };
    const cli_command cmd = {
        .name = "compare", .usage = usage, .options = opts, .operands = paths, .max_operands = 2,
        .too_many = ": give two result sets"};
    if (cli_parse(&cmd, argc, argv, &status)) return status;
    if (paths[1] == NULL) return cli_bad_usage("compare", "give two result sets: A B (try --help)");
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
