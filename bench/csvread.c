/* csvread.c -- CSV tables read by column name, every value checked.
 *
 * A record is read a byte at a time by a small state machine (start of a
 * field, unquoted, quoted, just after a quote inside a quoted field), into
 * one buffer that grows: each field is NUL-terminated there and `fld`
 * keeps where each starts. Lines are counted as they pass, quoted line
 * breaks included, so that a message names the line a record starts on.
 * The values of declared columns are checked and copied into the table's
 * one text buffer; numbers are parsed once, there.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"

/* Where a record is read into. */
typedef struct reader {
    FILE *in;
    const char *name;
    size_t line;  /* the line being read, from 1 */
    size_t start; /* the line the record starts on */
    char *rec;    /* the record's fields, each NUL-terminated */
    size_t len, cap;
    size_t *fld; /* offsets of the fields in rec */
    size_t nf, fcap;
    char *err;
    size_t errlen;
} reader;

enum rec_state { AT_FIELD, UNQUOTED, QUOTED, QUOTE_IN_QUOTED, AFTER_QUOTE };

/* Grows *buf (of *cap elements of size) so that it holds `need`. */
static int grow(void *buf, size_t *cap, size_t need, size_t size) {
    void **p = buf;
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need) {
        if (n > SIZE_MAX / 2 / size) return -1;
        n *= 2;
    }
    void *q = realloc(*p, n * size);
    if (q == NULL) return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int fail(reader *r, const char *what) {
    snprintf(r->err, r->errlen, "%.300s:%zu: %s", r->name, r->start, what);
    return -1;
}

static int put(reader *r, char c) {
    if (grow(&r->rec, &r->cap, r->len + 1, 1) != 0) return fail(r, "out of memory");
    r->rec[r->len++] = c;
    return 0;
}

/* Ends the field that began at offset from; at most maxf fields. */
static int end_field(reader *r, size_t from, size_t maxf) {
    if (r->nf == maxf) {
        char why[96];
        snprintf(why, sizeof why, "more fields than the header's %zu", maxf);
        return fail(r, why);
    }
    if (put(r, '\0') != 0) return -1;
    if (grow(&r->fld, &r->fcap, r->nf + 1, sizeof *r->fld) != 0) return fail(r, "out of memory");
    r->fld[r->nf++] = from;
    return 0;
}

/* Reads the next record, skipping blank lines. Returns 1, 0 at the end of
 * the file, or -1 with the error set. */
static int read_record(reader *r, size_t maxf) {
    enum rec_state st = AT_FIELD;
    size_t from = 0;

    r->len = r->nf = 0;
    r->start = r->line;
    for (;;) {
        int c = getc_unlocked(r->in);
        if (c == EOF) {
            if (ferror(r->in)) return fail(r, "read error");
            if (st == QUOTED) return fail(r, "a quoted field is not closed at the end of the file");
            if (st == AT_FIELD && r->nf == 0) return 0;
            return end_field(r, from, maxf) == 0 ? 1 : -1;
        }
        if (c == '\0') return fail(r, "a NUL byte");
        if (st == QUOTED) {
            if (c == '"') {
                st = QUOTE_IN_QUOTED;
                continue;
            }
            if (c == '\n') r->line++;
            if (put(r, (char)c) != 0) return -1;
            continue;
        }
        if (st == QUOTE_IN_QUOTED) {
            if (c == '"') { /* a doubled quote stands for one */
                if (put(r, '"') != 0) return -1;
                st = QUOTED;
                continue;
            }
            st = AFTER_QUOTE; /* that quote closed the field */
        }
        if (c == '\r') {
            if ((c = getc_unlocked(r->in)) != '\n')
                return fail(r, "a carriage return not followed by a line feed");
        }
        if (c == '\n') {
            r->line++;
            if (st == AT_FIELD && r->nf == 0) { /* a blank line */
                r->start = r->line;
                continue;
            }
            return end_field(r, from, maxf) == 0 ? 1 : -1;
        }
        if (c == ',') {
            if (end_field(r, from, maxf) != 0) return -1;
            from = r->len;
            st = AT_FIELD;
            continue;
        }
        if (st == AFTER_QUOTE) return fail(r, "a character after a closing quote");
        if (c == '"') {
            if (st != AT_FIELD) return fail(r, "a quote inside an unquoted field");
            st = QUOTED;
            continue;
        }
        if (put(r, (char)c) != 0) return -1;
        st = UNQUOTED;
    }
}

/* s for a message: at most 40 bytes, control characters as '?'. */
static void excerpt(const char *s, char *out, size_t n) {
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < n && i < 40; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    out[i] = '\0';
    if (s[i] != '\0' && i >= 3) memcpy(out + i - 3, "...", 3);
}

/* A decimal number as the writers print it: sign, digits, point, digits,
 * exponent; no space, hex, "inf" or "nan". */
static int is_decimal(const char *p) {
    size_t digits = 0;
    if (*p == '+' || *p == '-') p++;
    for (; *p >= '0' && *p <= '9'; p++)
        digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits == 0) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (*p < '0' || *p > '9') return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* Checks value s (len bytes) of column c; stores its number in *v.
 * Returns 0, or -1 with a reason in why. */
static int check_value(const csv_column *c, const char *s, size_t len, double *v, char *why,
                       size_t whylen) {
    char shown[48];
    *v = NAN;
    if (len == 0) return 0;
    excerpt(s, shown, sizeof shown);
    if (c->kind == CSV_NAME || c->kind == CSV_TEXT) {
        size_t max = c->kind == CSV_NAME ? CSV_NAME_MAX : CSV_TEXT_MAX;
        if (len > max) {
            snprintf(why, whylen, "'%s' is longer than %zu bytes", shown, max);
            return -1;
        }
        for (size_t i = 0; i < len; i++)
            if (((unsigned char)s[i] < 0x20 || s[i] == 0x7f) &&
                (c->kind == CSV_NAME || !strchr("\t\n\r", s[i]))) {
                snprintf(why, whylen, "'%s' holds a control character (0x%02x)", shown,
                         (unsigned char)s[i]);
                return -1;
            }
        return 0;
    }
    int whole = c->kind == CSV_COUNT;
    if (whole ? strspn(s, "0123456789") != len || len > 15 : !is_decimal(s)) {
        snprintf(why, whylen, "'%s' is not %s", shown, whole ? "a whole number" : "a number");
        return -1;
    }
    double x = strtod(s, NULL);
    if (!isfinite(x)) {
        snprintf(why, whylen, "'%s' is not a finite number", shown);
        return -1;
    }
    if (x < c->min || x > c->max) {
        snprintf(why, whylen, "%s is out of range (%g..%g)", shown, c->min, c->max);
        return -1;
    }
    *v = x;
    return 0;
}

/* Appends s (len bytes) and a NUL to t->text at offset at. */
static int keep_text(csv_table *t, size_t *cap, const char *s, size_t len, size_t at) {
    if (grow(&t->text, cap, at + len + 1, 1) != 0) return -1;
    memcpy(t->text + at, s, len);
    t->text[at + len] = '\0';
    return 0;
}

/* The header: where each declared column is (SIZE_MAX: absent). */
static int map_header(reader *r, csv_table *t, size_t *idx) {
    for (size_t c = 0; c < t->ncols; c++) {
        idx[c] = SIZE_MAX;
        for (size_t i = 0; i < r->nf; i++) {
            if (strcmp(r->rec + r->fld[i], t->cols[c].name) != 0) continue;
            if (idx[c] != SIZE_MAX) {
                char why[128];
                snprintf(why, sizeof why, "column '%.60s' appears twice in the header",
                         t->cols[c].name);
                return fail(r, why);
            }
            idx[c] = i;
        }
        t->has[c] = idx[c] != SIZE_MAX;
    }
    return 0;
}

/* Adds the record in r as a row of t, checking each declared value. */
static int add_row(reader *r, csv_table *t, const size_t *idx, size_t nhead, size_t *rowcap,
                   size_t *textcap, size_t *textlen) {
    size_t row = t->nrows, nc = t->ncols;
    if (r->nf != nhead) {
        char why[96];
        snprintf(why, sizeof why, "%zu fields where the header has %zu", r->nf, nhead);
        return fail(r, why);
    }
    if (row == *rowcap) {
        size_t cap = *rowcap ? 2 * *rowcap : 64;
        if (cap > SIZE_MAX / sizeof(double) / (nc ? nc : 1)) return fail(r, "out of memory");
        size_t *at = realloc(t->at, cap * nc * sizeof *at);
        if (at != NULL) t->at = at;
        double *num = realloc(t->num, cap * nc * sizeof *num);
        if (num != NULL) t->num = num;
        size_t *line = realloc(t->line, cap * sizeof *line);
        if (line != NULL) t->line = line;
        if (at == NULL || num == NULL || line == NULL) return fail(r, "out of memory");
        *rowcap = cap;
    }
    for (size_t c = 0; c < nc; c++) {
        size_t *at = &t->at[row * nc + c];
        double *v = &t->num[row * nc + c];
        *at = 0;
        *v = NAN;
        if (idx[c] == SIZE_MAX) continue;
        const char *s = r->rec + r->fld[idx[c]];
        size_t len = strlen(s);
        char why[160], msg[256];
        if (check_value(&t->cols[c], s, len, v, why, sizeof why) != 0) {
            snprintf(msg, sizeof msg, "column '%.60s': %s", t->cols[c].name, why);
            return fail(r, msg);
        }
        if (len == 0) continue;
        *at = *textlen;
        if (keep_text(t, textcap, s, len, *at) != 0) return fail(r, "out of memory");
        *textlen += len + 1;
    }
    t->line[row] = r->start;
    t->nrows++;
    return 0;
}

int csv_read_stream(FILE *in, const char *name, const csv_column *cols, size_t ncols, csv_table *t,
                    char *err, size_t errlen) {
    reader r = {in, name, 1, 1, NULL, 0, 0, NULL, 0, 0, err, errlen};
    size_t *idx = NULL, rowcap = 0, textcap = 0, textlen = 1, nhead;
    int rc = -1, got;

    memset(t, 0, sizeof *t);
    t->cols = cols;
    t->ncols = ncols;
    idx = malloc((ncols ? ncols : 1) * sizeof *idx);
    t->has = calloc(ncols ? ncols : 1, 1);
    if (idx == NULL || t->has == NULL || grow(&t->text, &textcap, 1, 1) != 0) {
        fail(&r, "out of memory");
        goto done;
    }
    t->text[0] = '\0';
    if ((got = read_record(&r, SIZE_MAX)) <= 0) {
        if (got == 0) fail(&r, "empty file: no header");
        goto done;
    }
    if (map_header(&r, t, idx) != 0) goto done;
    nhead = r.nf;
    while ((got = read_record(&r, nhead)) > 0)
        if (add_row(&r, t, idx, nhead, &rowcap, &textcap, &textlen) != 0) goto done;
    if (got == 0) rc = 0;

done:
    free(idx);
    free(r.rec);
    free(r.fld);
    if (rc != 0) csv_table_free(t);
    return rc;
}

int csv_read(const char *path, const csv_column *cols, size_t ncols, csv_table *t, char *err,
             size_t errlen) {
    FILE *in = fopen(path, "r");
    memset(t, 0, sizeof *t);
    if (in == NULL) {
        int saved = errno;
        snprintf(err, errlen, "%.300s: %s", path, strerror(saved));
        errno = saved;
        return -1;
    }
    int rc = csv_read_stream(in, path, cols, ncols, t, err, errlen);
    (void)fclose(in); /* read only: nothing to lose */
    return rc;
}

void csv_table_free(csv_table *t) {
    free(t->has);
    free(t->text);
    free(t->at);
    free(t->num);
    free(t->line);
    memset(t, 0, sizeof *t);
}

int csv_has(const csv_table *t, size_t col) {
    return col < t->ncols && t->has[col];
}

const char *csv_text(const csv_table *t, size_t row, size_t col) {
    return t->text + t->at[row * t->ncols + col];
}

double csv_num(const csv_table *t, size_t row, size_t col) {
    return t->num[row * t->ncols + col];
}

size_t csv_line(const csv_table *t, size_t row) {
    return t->line[row];
}

/* Rows (or groups, through their first row) ordered by their key. */
static int key_cmp(const csv_table *t, const size_t *by, size_t nby, size_t a, size_t b) {
    for (size_t k = 0; k < nby; k++) {
        int d = strcmp(csv_text(t, a, by[k]), csv_text(t, b, by[k]));
        if (d != 0) return d;
    }
    return 0;
}

/* What qsort_r needs to order rows by key. */
typedef struct key_order {
    const csv_table *t;
    const size_t *by;
    size_t nby;
} key_order;

static int by_key_then_row(const void *x, const void *y, void *arg) {
    const key_order *o = arg;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int d = key_cmp(o->t, o->by, o->nby, a, b);
    return d != 0 ? d : (a > b) - (a < b);
}

/* Pairs (first row, run) by first row. */
static int by_first_row(const void *x, const void *y) {
    const size_t *a = x, *b = y;
    return (a[0] > b[0]) - (a[0] < b[0]);
}

int csv_group(const csv_table *t, const size_t *by, size_t nby, const unsigned char *keep,
              csv_groups *g) {
    key_order order = {t, by, nby};
    size_t n = 0, nruns = 0, *sorted = NULL, *start = NULL, *pairs = NULL;

    memset(g, 0, sizeof *g);
    if (nby > sizeof g->by / sizeof g->by[0]) return -1;
    memcpy(g->by, by, nby * sizeof *by);
    g->nby = nby;
    sorted = malloc((t->nrows + 1) * sizeof *sorted);
    start = malloc((t->nrows + 1) * sizeof *start);
    pairs = malloc((2 * t->nrows + 1) * sizeof *pairs);
    g->first = malloc((t->nrows + 1) * sizeof *g->first);
    g->rows = malloc((t->nrows + 1) * sizeof *g->rows);
    g->sorted = malloc((t->nrows + 1) * sizeof *g->sorted);
    if (sorted == NULL || start == NULL || pairs == NULL || g->first == NULL || g->rows == NULL ||
        g->sorted == NULL)
        goto fail;
    for (size_t r = 0; r < t->nrows; r++)
        if (keep == NULL || keep[r]) sorted[n++] = r;
    /* Sorted by key, then row: each run of equal keys is a group, in key
     * order, its rows in file order. */
    qsort_r(sorted, n, sizeof *sorted, by_key_then_row, &order);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || key_cmp(t, by, nby, sorted[i - 1], sorted[i]) != 0) {
            pairs[2 * nruns] = sorted[i]; /* the run's first row */
            pairs[2 * nruns + 1] = nruns;
            start[nruns++] = i;
        }
    start[nruns] = n;
    /* The groups numbered in the order of their first rows. */
    qsort(pairs, nruns, 2 * sizeof *pairs, by_first_row);
    size_t used = 0;
    for (size_t i = 0; i < nruns; i++) {
        size_t k = pairs[2 * i + 1], len = start[k + 1] - start[k];
        g->first[i] = used;
        memcpy(g->rows + used, sorted + start[k], len * sizeof *sorted);
        used += len;
        g->sorted[k] = i;
    }
    g->first[nruns] = used;
    g->n = nruns;
    free(pairs);
    free(start);
    free(sorted);
    return 0;

fail:
    free(pairs);
    free(start);
    free(sorted);
    csv_groups_free(g);
    return -1;
}

long csv_group_find(const csv_table *t, const csv_groups *g, const char *const *key) {
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, id = g->sorted[mid], row = g->rows[g->first[id]];
        int d = 0;
        for (size_t k = 0; k < g->nby && d == 0; k++)
            d = strcmp(key[k], csv_text(t, row, g->by[k]));
        if (d == 0) return (long)id;
        if (d < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

void csv_groups_free(csv_groups *g) {
    free(g->first);
    free(g->rows);
    free(g->sorted);
    memset(g, 0, sizeof *g);
}
