/* html.h -- the one HTML report of a results folder (`cfbench report`).
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

#include <stdio.h>

/* Writes s to f with &, <, >, " and ' replaced by character references,
 * so that it is text both between tags and inside a quoted attribute; a
 * control character other than tab, LF and CR becomes U+FFFD, so that no
 * byte of s reaches the page as anything but text. */
void html_escape(FILE *f, const char *s);

#endif
