/* fuzz_csv.c -- libFuzzer target for csv_read_stream(), the reader of
 * every CSV file cfbench takes from a results folder.
 *
 * Whatever the bytes, a table read must hold only checked values: names
 * without control characters and at most CSV_NAME_MAX bytes, text without
 * control characters but white space, numbers finite and within bounds,
 * rows starting on increasing lines; every group csv_group() makes must be
 * found again by its key. A refusal must come with a one-line reason
 * naming the file. Build: `make fuzz`. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/csvread.h"

enum { C_NAME, C_MODE, C_TEXT, C_COUNT, C_NUMBER, C_NCOLS };
static const csv_column cols[C_NCOLS] = {
    [C_NAME] = {"workload", CSV_NAME, 0, 0},       [C_MODE] = {"mode", CSV_NAME, 0, 0},
    [C_TEXT] = {"notes", CSV_TEXT, 0, 0},          [C_COUNT] = {"workers", CSV_COUNT, 1, 1024},
    [C_NUMBER] = {"wall_ms", CSV_NUMBER, 0, 1e12},
};

static void check_table(const csv_table *t) {
    for (size_t r = 0; r < t->nrows; r++) {
        if (r > 0 && csv_line(t, r) <= csv_line(t, r - 1)) abort();
        for (size_t c = 0; c < C_NCOLS; c++) {
            const char *s = csv_text(t, r, c);
            size_t len = strlen(s);
            double v = csv_num(t, r, c);
            if (!csv_has(t, c) && (len != 0 || !isnan(v))) abort();
            if (cols[c].kind == CSV_NAME || cols[c].kind == CSV_TEXT) {
                if (len > (cols[c].kind == CSV_NAME ? CSV_NAME_MAX : CSV_TEXT_MAX)) abort();
                for (size_t i = 0; i < len; i++) {
                    unsigned char b = (unsigned char)s[i];
                    int space = b == '\t' || b == '\n' || b == '\r';
                    if ((b < 0x20 || b == 0x7f) && (cols[c].kind == CSV_NAME || !space)) abort();
                }
                if (!isnan(v)) abort();
            } else if (len == 0 ? !isnan(v)
                                : !(isfinite(v) && v >= cols[c].min && v <= cols[c].max)) {
                abort();
            }
        }
    }
    static const size_t by[] = {C_NAME, C_MODE};
    csv_groups g;
    if (csv_group(t, by, 2, NULL, &g) != 0) return;
    if (g.n > 0 && g.first[g.n] != t->nrows) abort();
    for (size_t i = 0; i < g.n; i++) {
        size_t first = g.rows[g.first[i]];
        const char *key[] = {csv_text(t, first, C_NAME), csv_text(t, first, C_MODE)};
        if (csv_group_find(t, &g, key) != (long)i) abort();
        if (i > 0 && first <= g.rows[g.first[i - 1]]) abort(); /* order of first rows */
    }
    csv_groups_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    csv_table t;
    FILE *in = fmemopen(size ? (void *)data : "", size ? size : 1, "r");

    if (in == NULL) return 0;
    if (size == 0) (void)fgetc(in); /* an empty stream */
    memset(err, 0, sizeof err);
    if (csv_read_stream(in, "fuzz.csv", cols, C_NCOLS, &t, err, sizeof err) == 0) {
        check_table(&t);
        csv_table_free(&t);
    } else {
        size_t elen = strnlen(err, sizeof err);
        if (elen == 0 || elen == sizeof err || memchr(err, '\n', elen)) abort();
        if (strncmp(err, "fuzz.csv", 8) != 0) abort();
    }
    (void)fclose(in);
    return 0;
}
