/* csvread.h -- CSV tables read by column name from files that may be
 * hostile: results folders come from students and colleagues.
 *
 * The one CSV reader of cfbench (`report` reads summary.csv with it,
 * `compare` bench.csv). RFC 4180: fields separated by commas, a field
 * quoted with double quotes may hold commas, quotes (doubled) and line
 * breaks; records end in LF or CRLF, the last one may lack it; blank lines
 * are skipped. No length limit: buffers grow with the record.
 *
 * The caller says which columns it reads in a table of csv_column (name,
 * kind, bounds); the first record is the header, and each declared column
 * is found there by name (absent columns read as empty). Every value of a
 * declared column is checked as it is read, so that what the caller gets
 * is safe to compute with: numbers are finite and within bounds, names
 * hold no control character, text none but white space, and both have a
 * sane length. Columns not
 * declared are not kept. An empty value is allowed in every kind and
 * means "none" (NaN as a number).
 *
 * Errors are one line, no newline: "FILE:LINE: what is wrong", LINE being
 * the line where the record starts.
 */
#ifndef BENCH_CSVREAD_H
#define BENCH_CSVREAD_H

#include <stddef.h>
#include <stdio.h>

/* Longest CSV_NAME and CSV_TEXT value, in bytes. */
#define CSV_NAME_MAX 256
#define CSV_TEXT_MAX 65536

typedef enum csv_kind {
    CSV_NAME,   /* a name (impl, workload, mode, size): no control character */
    CSV_TEXT,   /* free text (a note), longer: no control character but
                 * tab and line breaks */
    CSV_COUNT,  /* a whole number, decimal digits only, in [min, max] */
    CSV_NUMBER, /* a finite decimal number ("-1.5", "2e3"; not "inf", "nan",
                 * "0x10" or " 1") in [min, max] */
} csv_kind;

/* One column the caller reads. */
typedef struct csv_column {
    const char *name;
    csv_kind kind;
    double min, max; /* CSV_COUNT and CSV_NUMBER */
} csv_column;

/* A file's declared columns, row by row. Read-only for callers: use the
 * functions below. */
typedef struct csv_table {
    const csv_column *cols; /* borrowed from the caller of csv_read */
    size_t ncols, nrows;
    unsigned char *has; /* ncols: 1 if the header names the column */
    char *text;         /* owned: every kept value, NUL-terminated; text[0] is "" */
    size_t *at;         /* owned: nrows * ncols offsets into text */
    double *num;        /* owned: nrows * ncols numbers (NaN: none) */
    size_t *line;       /* owned: nrows: the line each row starts on */
} csv_table;

/* Reads the CSV file at path into *t, checking the values of cols[0..ncols)
 * (the array must outlive t). Returns 0, or -1 with err set and *t empty;
 * a file that cannot be opened leaves its errno (ENOENT: missing). */
int csv_read(const char *path, const csv_column *cols, size_t ncols, csv_table *t, char *err,
             size_t errlen);

/* The same from an open stream; `name` stands for the file in messages.
 * The stream is read to its end (or the error) and not closed. */
int csv_read_stream(FILE *in, const char *name, const csv_column *cols, size_t ncols, csv_table *t,
                    char *err, size_t errlen);

/* Frees what *t holds and zeroes it. Safe on a zeroed table. */
void csv_table_free(csv_table *t);

/* 1 if the file's header names column col (an index into cols). */
int csv_has(const csv_table *t, size_t col);

/* Row row's value in column col: its text ("" when empty or the column is
 * absent), borrowed from t; and as a number (CSV_COUNT, CSV_NUMBER; NaN
 * when empty, absent or of another kind). */
const char *csv_text(const csv_table *t, size_t row, size_t col);
double csv_num(const csv_table *t, size_t row, size_t col);

/* The line of the file on which row starts (the header is on line 1 or
 * after blank lines). */
size_t csv_line(const csv_table *t, size_t row);

/* Rows grouped by equal text in some columns: group i holds rows
 * rows[first[i]..first[i + 1]) in file order; groups come in the order of
 * their first row. Built in O(n log n), so that callers that go over
 * every group stay near-linear in the rows. */
typedef struct csv_groups {
    size_t n;
    size_t *first;  /* owned: n + 1 */
    size_t *rows;   /* owned: the grouped rows */
    size_t *sorted; /* owned: group ids in key order, for csv_group_find */
    size_t by[8], nby;
} csv_groups;

/* Groups t's rows by the columns by[0..nby) (nby <= 8), keeping only the
 * rows whose keep[row] is not 0 (keep NULL: all). Returns 0, or -1 (out of
 * memory) with *g empty. */
int csv_group(const csv_table *t, const size_t *by, size_t nby, const unsigned char *keep,
              csv_groups *g);

/* The group whose key columns hold key[0..g->nby), or -1. O(log n). */
long csv_group_find(const csv_table *t, const csv_groups *g, const char *const *key);

/* Frees what *g holds and zeroes it. Safe on a zeroed value. */
void csv_groups_free(csv_groups *g);

#endif
