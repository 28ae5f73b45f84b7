/* meta.h -- the environment a benchmark ran in, written beside its CSV.
 *
 * Numbers mean little without the machine behind them: meta.txt records
 * the CPU, the cores this process may use, the kernel, the compiler and
 * flags, the versions of the libraries linked in, the git commit, the date
 * and the command line, as "key: value" lines.
 */
#ifndef BENCH_META_H
#define BENCH_META_H

#include <stddef.h>
#include <stdio.h>

/* Writes DIR/meta.txt atomically (temporary file + rename) describing this
 * process and the command line argv[0..argc) (joined with spaces after
 * "cfbench"), then `extra` ("key: value" lines of the run's own, or NULL).
 * Returns 0 or -1 with a one-line reason in err. */
int meta_write(const char *dir, int argc, char **argv, const char *extra, char *err,
               size_t errlen);

/* The "key: value" lines on f (what meta_write puts in the file), then
 * extra when not NULL. Returns 0 or -1 if writing failed. */
int meta_print(FILE *f, int argc, char **argv, const char *extra);

#endif
