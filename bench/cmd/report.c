/* report.c -- `cfbench report DIR`: one self-contained HTML page per run,
 * written atomically (the page itself: bench/html.c).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli.h"
#include "../commands.h"
#include "../csv.h" /* atomic_file */
#include "../html.h"


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
    if (dir == NULL)
        return cli_bad_usage("report", "give a results folder: cfbench report DIR (try --help)");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "cfbench report: %s: not a folder\n", dir);
        return 1;
    }
    if (strlen(dir) > 3000) return cli_bad_usage("report", "the results folder's path is too long");
    /* DIR's summary.csv is checked before anything is drawn from it: a bad
     * value is one line, not a chart run's output and then that line. */
    if (html_summary_check(dir, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench report: %s (no report written)\n", err);
        return 1;
    }
    snprintf(own_plots, sizeof own_plots, "%s/plots", dir);
    if (plots == NULL) plots = own_plots;
    if (!html_charts_found(plots)) {
        plots = own_plots;
        if (!html_charts_found(plots) && html_draw_charts(dir, plots) != 0)
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
    if (html_page(af.f, dir, other, plots, err, sizeof err) != 0) {
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

