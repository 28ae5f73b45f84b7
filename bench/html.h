/* html.h -- the one HTML report of a results folder (`cfbench report`,
 * bench/cmd/report.c): the page (html.c), its results tables
 * (html_summary.c) and its charts (html_charts.c).
 *
 * DIR/report.html is a single file that opens from the file system in any
 * browser and prints on A4: meta.txt (machine, compiler, libraries), a
 * table per workload from each summary.csv (DIR's and its subfolders'),
 * the teaching notes, every chart as an SVG inlined in a data: URI, and
 * with --compare the verdicts of bench/compare.h. It holds no script.
 * Everything that comes from a file (CSV cells, meta.txt lines, folder and
 * file names) goes through html_escape(), so that a URL or a name holding
 * markup shows as text.
 */
#ifndef BENCH_HTML_H
#define BENCH_HTML_H

#include <limits.h>
#include <stdio.h>

/* Writes s to f with &, <, >, " and ' replaced by character references,
 * so that it is text both between tags and inside a quoted attribute; a
 * control character other than tab, LF and CR becomes U+FFFD, so that no
 * byte of s reaches the page as anything but text. */
void html_escape(FILE *f, const char *s);

/* Writes the whole page of results folder dir on f, in reading order:
 * with other (not NULL) its comparison against other, with the SVGs of
 * the folder plots. Returns 0, or -1 with a one-line reason in err (DIR's
 * summary.csv unreadable or holding a bad value, or a write error). */
int html_page(FILE *f, const char *dir, const char *other, const char *plots, char *err,
              size_t errlen);

/* Checks dir/summary.csv as html_section_summary() will read it, before
 * anything is drawn from it. Returns 0 (also when there is none), or -1
 * with err set. */
int html_summary_check(const char *dir, char *err, size_t errlen);

/* One results folder's summary.csv, a table per workload in the order
 * they appear, under a heading with id anchor that calls it name; with
 * glance, the one line per workload first. Returns 0, 1 when dir has no
 * summary.csv, or -1 when it cannot be read or holds a bad value (err
 * set). */
int html_section_summary(FILE *f, const char *dir, const char *name, const char *anchor,
                         int glance, char *err, size_t errlen);

/* 1 if the folder plots holds an SVG chart. */
int html_charts_found(const char *plots);

/* Runs plots/draw to draw dir's charts into out. Returns 0, or -1 after
 * saying why on stderr. */
int html_draw_charts(const char *dir, const char *out);

/* The charts section: every SVG in plots, inlined, in a fixed order. */
void html_section_charts(FILE *f, const char *plots);

/* A duration in ms, in the unit that keeps three digits readable. */
void html_fmt_ms(char *buf, size_t len, double ms);

/* The entries of dir that keep(dir, name) accepts, sorted by `order`, at
 * most max of them, none hidden. A folder that cannot be read has none. */
typedef int (*html_keep_fn)(const char *dir, const char *name);
size_t html_list_dir(const char *dir, html_keep_fn keep, int (*order)(const void *, const void *),
                     char names[][NAME_MAX + 1], size_t max);

#endif
