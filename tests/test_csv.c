/* test_csv.c -- tests for bench/csv.c: appending rows, quoting, atomic
 * replace. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/csv.h"
#include "cfbench_check.h"

static char dir[] = "/tmp/cfbench-test-csv-XXXXXX";
static char path[256];

static void setup(void) {
    strcpy(dir, "/tmp/cfbench-test-csv-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.csv", dir);
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(dir), 0);
}

/* The whole file as a NUL-terminated string (caller frees). */
static char *slurp(const char *p) {
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    char *buf = calloc(1, 65536);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *p, const char *text) {
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(header_is_written_once_across_reopens) {
    char err[256];
    const char *row1[] = {"1", "x"}, *row2[] = {"2", "y"};
    FILE *f = csv_open_append(path, "a,b", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(csv_write_row(f, row1, 2), 0);
    ck_assert_int_eq(fclose(f), 0);
    f = csv_open_append(path, "a,b", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(csv_write_row(f, row2, 2), 0);
    ck_assert_int_eq(fclose(f), 0);
    char *got = slurp(path);
    ck_assert_str_eq(got, "a,b\n1,x\n2,y\n");
    free(got);
}
END_TEST

START_TEST(empty_existing_file_gets_the_header) {
    char err[256];
    write_file(path, "");
    FILE *f = csv_open_append(path, "a,b", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fclose(f), 0);
    char *got = slurp(path);
    ck_assert_str_eq(got, "a,b\n");
    free(got);
}
END_TEST

START_TEST(row_is_in_the_file_before_the_stream_is_closed) {
    char err[256];
    const char *row[] = {"7", "z"};
    FILE *f = csv_open_append(path, "a,b", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(csv_write_row(f, row, 2), 0);
    /* Read through another stream while f is still open: the row must
     * already be there, as it would be after a crash. */
    char *got = slurp(path);
    ck_assert_str_eq(got, "a,b\n7,z\n");
    free(got);
    ck_assert_int_eq(fclose(f), 0);
}
END_TEST

START_TEST(file_with_other_columns_is_refused_and_left_alone) {
    char err[256] = "";
    write_file(path, "x,y,z\n1,2,3\n");
    FILE *f = csv_open_append(path, "a,b", err, sizeof err);
    ck_assert_ptr_null(f);
    ck_assert_ptr_nonnull(strstr(err, "other columns"));
    char *got = slurp(path);
    ck_assert_str_eq(got, "x,y,z\n1,2,3\n");
    free(got);
}
END_TEST

START_TEST(torn_last_row_gets_its_newline_before_the_next) {
    char err[256];
    const char *row[] = {"3", "c"};
    write_file(path, "a,b\n1,a\n2,b");
    FILE *f = csv_open_append(path, "a,b", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(csv_write_row(f, row, 2), 0);
    ck_assert_int_eq(fclose(f), 0);
    char *got = slurp(path);
    ck_assert_str_eq(got, "a,b\n1,a\n2,b\n3,c\n");
    free(got);
}
END_TEST

START_TEST(fields_with_commas_quotes_and_newlines_are_quoted) {
    char err[256];
    const char *row[] = {"plain", "a,b", "say \"hi\"", "two\nlines", ""};
    FILE *f = csv_open_append(path, "h", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(csv_write_row(f, row, 5), 0);
    ck_assert_int_eq(fclose(f), 0);
    char *got = slurp(path);
    ck_assert_str_eq(got, "h\nplain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
    free(got);
}
END_TEST

START_TEST(atomic_commit_replaces_content_and_leaves_no_temp_file) {
    char err[256];
    atomic_file af;
    write_file(path, "old\n");
    ck_assert_int_eq(atomic_open(&af, path, err, sizeof err), 0);
    fputs("new\n", af.f);
    /* Until commit, readers still see the old content. */
    char *got = slurp(path);
    ck_assert_str_eq(got, "old\n");
    free(got);
    ck_assert_int_eq(atomic_commit(&af, err, sizeof err), 0);
    got = slurp(path);
    ck_assert_str_eq(got, "new\n");
    free(got);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    /* Only t.csv is left in the folder. */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s')\" = t.csv", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(atomic_abort_keeps_old_content_and_removes_temp_file) {
    char err[256], cmd[300];
    atomic_file af;
    write_file(path, "old\n");
    ck_assert_int_eq(atomic_open(&af, path, err, sizeof err), 0);
    fputs("half-written", af.f);
    atomic_abort(&af);
    char *got = slurp(path);
    ck_assert_str_eq(got, "old\n");
    free(got);
    snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s')\" = t.csv", dir);
    ck_assert_int_eq(system(cmd), 0);
    atomic_abort(&af); /* safe twice */
}
END_TEST

START_TEST(atomic_open_in_missing_folder_fails_with_message) {
    char err[256] = "";
    atomic_file af;
    ck_assert_int_eq(atomic_open(&af, "/nonexistent-dir/x.csv", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.csv"));
    ck_assert_ptr_null(af.f);
}
END_TEST

START_TEST(split_undoes_the_quoting_the_writer_adds) {
    const char *in[] = {"plain", "a,b", "say \"hi\"", "", "multi\nline", "last"};
    char path[256], line[512];
    snprintf(path, sizeof path, "%s/split.csv", dir);
    FILE *f = fopen(path, "w+");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(csv_write_row(f, in, 4), 0);
    rewind(f);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    char *out[8];
    ck_assert_int_eq(csv_split(line, out, 8), 4);
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(out[i], in[i]);
    /* Empty fields at the ends count; too many fields and an unclosed
     * quote are refused. */
    char a[] = ",x,";
    ck_assert_int_eq(csv_split(a, out, 8), 3);
    ck_assert_str_eq(out[0], "");
    ck_assert_str_eq(out[1], "x");
    ck_assert_str_eq(out[2], "");
    char b[] = "1,2,3";
    ck_assert_int_eq(csv_split(b, out, 2), -1);
    char c[] = "\"open,2";
    ck_assert_int_eq(csv_split(c, out, 8), -1);
    char d[] = "\"x\"y,2";
    ck_assert_int_eq(csv_split(d, out, 8), -1);
}
END_TEST

static Suite *csv_suite(void) {
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, header_is_written_once_across_reopens);
    tcase_add_test(tc, empty_existing_file_gets_the_header);
    tcase_add_test(tc, row_is_in_the_file_before_the_stream_is_closed);
    tcase_add_test(tc, file_with_other_columns_is_refused_and_left_alone);
    tcase_add_test(tc, torn_last_row_gets_its_newline_before_the_next);
    tcase_add_test(tc, fields_with_commas_quotes_and_newlines_are_quoted);
    tcase_add_test(tc, atomic_commit_replaces_content_and_leaves_no_temp_file);
    tcase_add_test(tc, atomic_abort_keeps_old_content_and_removes_temp_file);
    tcase_add_test(tc, atomic_open_in_missing_folder_fails_with_message);
    tcase_add_test(tc, split_undoes_the_quoting_the_writer_adds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(csv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
