/* test_csvread.c -- tests for bench/csvread.c: RFC 4180 records, columns
 * by name, record start lines, checked values, malformed files refused
 * with FILE:LINE, and groups. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/csvread.h"

enum { C_WL, C_MODE, C_NOTE, C_WORKERS, C_WALL, C_NCOLS };
static const csv_column cols[C_NCOLS] = {
    [C_WL] = {"workload", CSV_NAME, 0, 0},       [C_MODE] = {"mode", CSV_NAME, 0, 0},
    [C_NOTE] = {"notes", CSV_TEXT, 0, 0},        [C_WORKERS] = {"workers", CSV_COUNT, 1, 64},
    [C_WALL] = {"wall_ms", CSV_NUMBER, 0, 1e12},
};

/* Reads text (len bytes) as "t.csv" into *t; returns csv_read_stream's
 * result. */
static int read_text(const char *text, size_t len, csv_table *t, char *err, size_t errlen) {
    FILE *in = tmpfile();
    ck_assert_ptr_nonnull(in);
    ck_assert_uint_eq(fwrite(text, 1, len, in), len);
    rewind(in);
    int rc = csv_read_stream(in, "t.csv", cols, C_NCOLS, t, err, errlen);
    fclose(in);
    return rc;
}

START_TEST(quotes_doubled_quotes_line_breaks_and_crlf_are_read) {
    static const char text[] = "extra,workload,notes,mode\r\n"
                               "x,prime,\"a, \"\"b\"\"\r\nc\",seq\r\n"
                               "\r\n"
                               "y,\"hash\",,thread"; /* no final line break */
    char err[256];
    csv_table t;
    ck_assert_int_eq(read_text(text, sizeof text - 1, &t, err, sizeof err), 0);
    ck_assert_uint_eq(t.nrows, 2);
    ck_assert_str_eq(csv_text(&t, 0, C_WL), "prime");
    ck_assert_str_eq(csv_text(&t, 0, C_NOTE), "a, \"b\"\r\nc");
    ck_assert_str_eq(csv_text(&t, 0, C_MODE), "seq");
    ck_assert_str_eq(csv_text(&t, 1, C_WL), "hash");
    ck_assert_str_eq(csv_text(&t, 1, C_NOTE), "");
    /* Columns absent from the header read as empty. */
    ck_assert(!csv_has(&t, C_WALL) && csv_has(&t, C_MODE));
    ck_assert_str_eq(csv_text(&t, 1, C_WALL), "");
    ck_assert(isnan(csv_num(&t, 1, C_WALL)));
    /* Row 1 starts after the quoted line break and the blank line. */
    ck_assert_uint_eq(csv_line(&t, 0), 2);
    ck_assert_uint_eq(csv_line(&t, 1), 5);
    csv_table_free(&t);
}
END_TEST

START_TEST(records_have_no_length_limit) {
    size_t n = 200000, note = CSV_TEXT_MAX;
    char *text = malloc(n + note + 64), err[256];
    csv_table t;
    ck_assert_ptr_nonnull(text);
    /* 200 kB in a column not read, then the longest note. */
    int k = sprintf(text, "x,mode,notes\n");
    memset(text + k, 'x', n);
    k += (int)n + sprintf(text + k + n, ",seq,");
    memset(text + k, 'n', note);
    strcpy(text + k + note, "\ny,thread,z\n");
    ck_assert_int_eq(read_text(text, strlen(text), &t, err, sizeof err), 0);
    ck_assert_uint_eq(t.nrows, 2);
    ck_assert_uint_eq(strlen(csv_text(&t, 0, C_NOTE)), note);
    ck_assert_uint_eq(csv_line(&t, 1), 3);
    csv_table_free(&t);
    free(text);
}
END_TEST

START_TEST(numbers_are_parsed_strictly) {
    static const char text[] = "workers,wall_ms\n4,1.5\n64,2e3\n1,\n";
    char err[256];
    csv_table t;
    ck_assert_int_eq(read_text(text, sizeof text - 1, &t, err, sizeof err), 0);
    ck_assert_double_eq(csv_num(&t, 0, C_WORKERS), 4);
    ck_assert_double_eq(csv_num(&t, 0, C_WALL), 1.5);
    ck_assert_double_eq(csv_num(&t, 1, C_WALL), 2000);
    ck_assert(isnan(csv_num(&t, 2, C_WALL)));
    ck_assert(isnan(csv_num(&t, 0, C_WL)));
    csv_table_free(&t);
}
END_TEST

/* Files refused, the line named and a word of the reason. */
static const char *const bad[][3] = {
    {"mode\n\"seq\n", "t.csv:2: ", "not closed"},
    {"mode\nse\"q\n", "t.csv:2: ", "quote inside"},
    {"mode\n\"seq\"x\n", "t.csv:2: ", "after a closing quote"},
    {"mode,notes\nseq\n", "t.csv:2: ", "1 fields where the header has 2"},
    {"mode,notes\nseq,a,b\n", "t.csv:2: ", "more fields"},
    {"mode\nseq\rthread\n", "t.csv:2: ", "carriage return"},
    {"mode,mode\nseq,seq\n", "t.csv:1: ", "twice"},
    {"", "t.csv:1: ", "empty"},
    {"x,mode\n\"a\nb\",seq\nq,se\x01q\n", "t.csv:4: ", "control character (0x01)"},
    {"mode\n\"se\nq\"\n", "t.csv:2: ", "control character (0x0a)"},
    {"mode,wall_ms\nseq,inf\n", "t.csv:2: ", "'inf' is not a number"},
    {"mode,wall_ms\nseq,nan\n", "t.csv:2: ", "not a number"},
    {"mode,wall_ms\nseq,1e999\n", "t.csv:2: ", "not a finite number"},
    {"mode,wall_ms\nseq,-1\n", "t.csv:2: ", "out of range"},
    {"mode,wall_ms\nseq,0x10\n", "t.csv:2: ", "not a number"},
    {"mode,wall_ms\nseq, 1\n", "t.csv:2: ", "not a number"},
    {"workers\n1.5\n", "t.csv:2: ", "not a whole number"},
    {"workers\n65\n", "t.csv:2: ", "out of range"},
};

START_TEST(malformed_files_are_refused_with_file_and_line) {
    char err[256];
    csv_table t;
    ck_assert_int_eq(read_text(bad[_i][0], strlen(bad[_i][0]), &t, err, sizeof err), -1);
    ck_assert_msg(strstr(err, bad[_i][1]) == err && strstr(err, bad[_i][2]) != NULL, "case %d: %s",
                  _i, err);
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_uint_eq(t.nrows, 0);
}
END_TEST

START_TEST(long_name_and_nul_byte_are_refused) {
    char text[CSV_NAME_MAX + 32], err[256];
    csv_table t;
    int k = sprintf(text, "mode\n");
    memset(text + k, 'm', CSV_NAME_MAX + 1);
    text[k + CSV_NAME_MAX + 1] = '\n';
    ck_assert_int_eq(read_text(text, (size_t)k + CSV_NAME_MAX + 2, &t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "longer than"));
    static const char nul[] = "mode\nse\0q\n";
    ck_assert_int_eq(read_text(nul, sizeof nul - 1, &t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "t.csv:2: a NUL byte"));
}
END_TEST

START_TEST(groups_come_in_order_of_first_row_and_are_found_by_key) {
    static const char text[] = "workload,mode\nb,x\na,y\nb,x\na,x\na,y\n";
    static const size_t by[] = {C_WL, C_MODE};
    const unsigned char keep[] = {1, 1, 1, 0, 1};
    char err[256];
    csv_table t;
    csv_groups g;
    ck_assert_int_eq(read_text(text, sizeof text - 1, &t, err, sizeof err), 0);
    ck_assert_int_eq(csv_group(&t, by, 2, keep, &g), 0);
    ck_assert_uint_eq(g.n, 2); /* a,x is not kept */
    ck_assert_uint_eq(g.first[1] - g.first[0], 2);
    ck_assert_uint_eq(g.rows[0], 0); /* b,x: rows 0 and 2 */
    ck_assert_uint_eq(g.rows[1], 2);
    ck_assert_uint_eq(g.rows[2], 1); /* a,y: rows 1 and 4 */
    ck_assert_uint_eq(g.rows[3], 4);
    const char *ay[] = {"a", "y"}, *ax[] = {"a", "x"};
    ck_assert_int_eq(csv_group_find(&t, &g, ay), 1);
    ck_assert_int_eq(csv_group_find(&t, &g, ax), -1);
    csv_groups_free(&g);
    csv_groups_free(&g); /* safe on a freed one */
    csv_table_free(&t);
}
END_TEST

static Suite *csvread_suite(void) {
    Suite *s = suite_create("csvread");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, quotes_doubled_quotes_line_breaks_and_crlf_are_read);
    tcase_add_test(tc, records_have_no_length_limit);
    tcase_add_test(tc, numbers_are_parsed_strictly);
    tcase_add_loop_test(tc, malformed_files_are_refused_with_file_and_line, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, long_name_and_nul_byte_are_refused);
    tcase_add_test(tc, groups_come_in_order_of_first_row_and_are_found_by_key);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(csvread_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
