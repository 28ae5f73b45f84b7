/* csv.h -- CSV rows appended as they are measured, and files replaced
 * atomically.
 *
 * Fields follow RFC 4180: a field holding a comma, a double quote, CR or
 * LF is wrapped in double quotes with inner quotes doubled; others are
 * written as they are. Rows end with "\n".
 */
#ifndef BENCH_CSV_H
#define BENCH_CSV_H

#include <stddef.h>
#include <stdio.h>

/* Writes one field, quoted if it needs to be. Returns 0 or -1 (errno). */
int csv_write_field(FILE *f, const char *s);

/* Writes fields[0..n) separated by commas and ends the row, then flushes
 * so that the row is in the file even if the process dies next. Returns 0
 * or -1 (errno). */
int csv_write_row(FILE *f, const char *const *fields, size_t n);

/* Splits one CSV line (without its newline) in place into at most max
 * fields, undoing the quoting csv_write_field() does: quotes are removed
 * and doubled ones made single, so the fields point into `line`. Returns
 * the number of fields, or -1 if the line has more than max or a quoted
 * field is not closed. */
int csv_split(char *line, char **fields, size_t max);

/* Opens `path` for appending rows under `header` (the column names joined
 * by commas, no newline), creating it if missing. A new or empty file gets
 * the header. An existing file must start with exactly that header, so
 * that rows never go under other columns; if its last row lacks its
 * newline (a writer died mid-row) one is added. Returns the stream (close
 * with fclose) or NULL with a one-line reason in err. */
FILE *csv_open_append(const char *path, const char *header, char *err, size_t errlen);

/* A file written under a temporary name and renamed over `path` once
 * complete, so readers see the old content or the new, never a mix. */
typedef struct atomic_file {
    FILE *f;    /* write here between atomic_open and commit/abort */
    char *path; /* owned */
    char *tmp;  /* owned: "path.tmp.XXXXXX" in the same folder */
} atomic_file;

/* Creates the temporary file beside `path`. Returns 0 or -1 with err set
 * (nothing is left behind). */
int atomic_open(atomic_file *af, const char *path, char *err, size_t errlen);

/* Flushes, syncs and closes the temporary file and renames it to the
 * final path. Returns 0, or -1 with err set after removing the temporary
 * file (the old content stays). Frees af's names either way. */
int atomic_commit(atomic_file *af, char *err, size_t errlen);

/* Drops the temporary file; the old content stays. Safe on a zeroed af. */
void atomic_abort(atomic_file *af);

#endif
