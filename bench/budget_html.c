/* budget_html.c -- report.html's "where the time went": one stacked bar per
 * mode, plain HTML and inline CSS (no script, no file beside the page). */
#include <math.h>
#include <stdio.h>

#include "budget.h"
#include "html.h"

static const struct {
    const char *name, *colour, *what;
} parts[BUDGET_NPARTS] = {
    {"work", "#2ca02c", "the task bodies"},
    {"start-up", "#9467bd", "pool start before each worker's first task, and shutdown"},
    {"hand-off", "#ff7f0e", "the executor moving tasks and results"},
    {"idle", "#b8b8b8", "workers with nothing to run (tail, stalls, a slow submitter)"},
};

/* One bar: each part's share of the worker-time, labelled where wide. */
static void bar(FILE *f, const budget_bar *b) {
    double total = 0;
    for (int k = 0; k < BUDGET_NPARTS; k++)
        total += b->part[k] > 0 ? b->part[k] : 0;
    fputs("<div style=\"display:flex;align-items:center;margin:3px 0\">"
          "<span style=\"width:150px;flex:none;font-size:13px\">",
          f);
    html_escape(f, b->label);
    fputs("</span><div class=\"budget-bar\" style=\"display:flex;flex:none;width:560px;"
          "height:20px;border:1px solid #999;background:#fff\">",
          f);
    for (int k = 0; k < BUDGET_NPARTS && total > 0; k++) {
        double share = b->part[k] > 0 ? 100 * b->part[k] / total : 0;
        if (share <= 0) continue;
        fprintf(f,
                "<span title=\"%s: %.3g worker-ms (%.0f%%)\" style=\"width:%.2f%%;"
                "background:%s;color:#fff;font-size:11px;overflow:hidden;white-space:nowrap;"
                "text-align:center;-webkit-print-color-adjust:exact;print-color-adjust:exact\">"
                "%s</span>",
                parts[k].name, b->part[k], share, share, parts[k].colour,
                share >= 9 ? parts[k].name : "");
    }
    fprintf(f, "</div><span style=\"margin-left:10px;font-size:12px;color:#444\">%.3g worker-ms",
            total);
    if (!isnan(b->median_ms) && !isnan(b->predicted_ms))
        fprintf(f, "; median %.3g ms, model %.3g ms", b->median_ms, b->predicted_ms);
    fputs("</span></div>\n", f);
}

void budget_html(FILE *f, const budget_bar *bars, size_t n) {
    if (n == 0) return;
    fputs("<figure class=\"budget\"><figcaption><b>Where the time went</b>: each mode's "
          "worker-time (workers × wall of its traced twin, a run beside the timed ones) split into parts that add up "
          "to it; the model predicts the wall from the probes' start-up and per-task cost and "
          "the baseline's work.</figcaption>\n",
          f);
    for (size_t i = 0; i < n; i++)
        bar(f, &bars[i]);
    fputs("<div style=\"font-size:12px;color:#444;margin-top:4px\">", f);
    for (int k = 0; k < BUDGET_NPARTS; k++)
        fprintf(f,
                "<span style=\"margin-right:14px\"><span style=\"display:inline-block;width:10px;"
                "height:10px;background:%s;-webkit-print-color-adjust:exact;"
                "print-color-adjust:exact\"></span> %s: %s</span>",
                parts[k].colour, parts[k].name, parts[k].what);
    fputs("</div></figure>\n", f);
}
