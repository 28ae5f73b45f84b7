/* test_mode_mpi.c -- tests for `cfbench run --mode mpi`: the MPI pool as a
 * mode of the harness, spawned (cfbench alone) and under mpiexec.
 *
 * Runs the built program ($CFBENCH, else build/cfbench). `make test` says
 * whether it links Open MPI (CFBENCH_MPI=yes|no), why MPI runs are skipped
 * (MPI_SKIP: no Open MPI, or TSan) and how to start a job (MPIEXEC). */
#include "cfbench_check.h"

static char tmp[64];
static char outdir[128];

static void setup(void) {
    cb_mkdtemp(tmp, sizeof tmp, "/tmp/cfbench-test-mpi-XXXXXX");
    snprintf(outdir, sizeof outdir, "%s/out", tmp);
}

static void teardown(void) {
    ck_assert_int_eq(cb_rm_tree(tmp), 0);
}

static int built_with_mpi(void) {
    const char *v = getenv("CFBENCH_MPI");
    return v == NULL || strcmp(v, "no") != 0;
}

/* Counts non-overlapping occurrences of needle in s. */
static size_t count(const char *s, const char *needle) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Checks outdir/bench.csv: per workload of wls, reps rows of seq and of
 * mpi (with `workers` workers), each ok=1 with seq's digest. */
static void expect_rows(const char *const *wls, long reps, const char *workers) {
    char path[256], *save = NULL;
    snprintf(path, sizeof path, "%s/bench.csv", outdir);
    char *csv = cb_slurp(path, NULL);
    ck_assert_ptr_nonnull(csv);
    for (size_t w = 0; wls[w] != NULL; w++) {
        char seq_digest[65] = "";
        long nseq = 0, nmpi = 0;
        char *copy = strdup(csv);
        ck_assert_ptr_nonnull(copy);
        for (char *line = strtok_r(copy, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
            /* run_id,impl,workload,mode,workers,...,ok(13),failed,digest(15) */
            char *f[18] = {0}, *s2 = NULL;
            size_t k = 0;
            for (char *c = strtok_r(line, ",", &s2); c != NULL && k < 18;
                 c = strtok_r(NULL, ",", &s2))
                f[k++] = c;
            if (k < 16 || strcmp(f[2], wls[w]) != 0) continue;
            ck_assert_msg(!strcmp(f[13], "1"), "%s %s: ok=%s", f[2], f[3], f[13]);
            if (!strcmp(f[3], "seq")) {
                snprintf(seq_digest, sizeof seq_digest, "%s", f[15]);
                nseq++;
            } else {
                ck_assert_str_eq(f[3], "mpi");
                ck_assert_str_eq(f[4], workers);
                ck_assert_msg(seq_digest[0] && !strcmp(seq_digest, f[15]),
                              "%s: mpi digest %s, seq %s", f[2], f[15], seq_digest);
                nmpi++;
            }
        }
        free(copy);
        ck_assert_int_eq(nseq, reps);
        ck_assert_int_eq(nmpi, reps);
    }
    free(csv);
}

static const char *const both[] = {"prime", "hash", NULL};

START_TEST(spawned_mpi_rows_match_seq_digests_and_workers_never_run_the_harness) {
    const char *skip = getenv("MPI_SKIP");
    if (!built_with_mpi() || (skip != NULL && *skip)) {
        printf("spawned mpi run: skipped: %s\n", skip && *skip ? skip : "built without MPI");
        return;
    }
    const char *args[] = {"--mode", "seq,mpi",  "--workload", "prime,hash", "--size",
                          "quick",  "--repeat", "2",          "--warmup",   "0",
                          "--out",  outdir,     NULL};
    cb_opts so = {.limit_s = 100, .own_group = 1};
    cb_outcome o;
    cb_run(cb_exe(), "run", args, tmp, &so, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    /* One table per workload: a spawned cfbench that ran the harness would
     * print its own. */
    ck_assert_int_eq(count(o.out, "prime (quick"), 1);
    ck_assert_int_eq(count(o.out, "hash (quick"), 1);
    expect_rows(both, 2, "2");
    cb_outcome_free(&o);
}
END_TEST

/* download too: its server is a child of rank 0 (`cfbench serve`), which
 * inherits the job's environment and must not join the job; on one host
 * it stays on loopback. */
START_TEST(mpiexec_ranks_serve_rank_0s_pool) {
    const char *skip = getenv("MPI_SKIP"), *mpiexec = getenv("MPIEXEC");
    if (!built_with_mpi() || (skip != NULL && *skip) || mpiexec == NULL || !*mpiexec) {
        printf("mpiexec run: skipped: %s\n",
               skip && *skip ? skip : "built without MPI or MPIEXEC not set");
        return;
    }
    char exe[PATH_MAX], line[PATH_MAX + 512];
    cb_exe_path(exe);
    snprintf(line, sizeof line,
             "exec %s -n 3 %s run --mode seq,mpi --workload hash,download --size quick --repeat 2 "
             "--warmup 0 --out %s",
             mpiexec, exe, outdir);
    const char *args[] = {line, NULL};
    cb_opts so = {.limit_s = 100, .own_group = 1};
    cb_outcome o;
    cb_run("/bin/sh", "-c", args, tmp, &so, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    ck_assert_int_eq(count(o.out, "hash (quick"), 1);
    ck_assert_int_eq(count(o.out, "download (quick"), 1);
    static const char *const wls[] = {"hash", "download", NULL};
    expect_rows(wls, 2, "2");
    snprintf(line, sizeof line, "%s/meta.txt", outdir);
    char *meta = cb_slurp(line, NULL);
    ck_assert_ptr_nonnull(meta);
    ck_assert_msg(strstr(meta, "download_server: http://127.0.0.1:") != NULL, "%s", meta);
    free(meta);
    cb_outcome_free(&o);
}
END_TEST

START_TEST(overhead_impl_mpi_prints_the_four_mpi_rows_in_overhead_columns) {
    const char *skip = getenv("MPI_SKIP");
    if (!built_with_mpi() || (skip != NULL && *skip)) {
        printf("overhead --impl mpi: skipped: %s\n", skip && *skip ? skip : "built without MPI");
        return;
    }
    const char *args[] = {"--impl", "mpi", "--tasks", "200", "--repeat", "1", NULL};
    cb_opts so = {.limit_s = 100, .own_group = 1};
    cb_outcome o;
    cb_run(cb_exe(), "overhead", args, tmp, &so, &o);
    ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
    static const char *const rows[] = {"mpi,submit,1,200,", "mpi,map,1,200,", "mpi,map,64,200,",
                                       "mpi,startup,0,2,"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "\n%s", rows[i]);
        ck_assert_msg(strstr(o.out, line) != NULL, "no row %s in: %s", rows[i], o.out);
    }
    /* No seq, thread or process rows: --impl mpi is the MPI pools alone. */
    ck_assert_ptr_null(strstr(o.out, "\nthread,"));
    /* Every line in the nine columns (py-mpi's too, when mpi4py is here). */
    for (const char *p = o.out; *p;) {
        const char *e = strchr(p, '\n');
        size_t commas = 0;
        for (const char *q = p; q < (e ? e : p + strlen(p)); q++)
            commas += *q == ',';
        ck_assert_uint_eq(commas, 8);
        p = e ? e + 1 : p + strlen(p);
    }
    cb_outcome_free(&o);
}
END_TEST

START_TEST(without_mpi_mode_and_impl_mpi_exit_2_with_one_line) {
    if (built_with_mpi()) {
        printf("--mode mpi refusal: skipped: cfbench links Open MPI\n");
        return;
    }
    const char *args[] = {"--mode", "mpi", "--out", outdir, NULL};
    cb_outcome o;
    cb_run(cb_exe(), "run", args, tmp, NULL, &o);
    cb_expect_refused(&o, "cfbench was built without Open MPI", "--mode mpi");
    cb_outcome_free(&o);
    const char *ov[] = {"--impl", "mpi", NULL};
    cb_run(cb_exe(), "overhead", ov, tmp, NULL, &o);
    cb_expect_refused(&o, "cfbench was built without Open MPI", "overhead --impl mpi");
    cb_outcome_free(&o);
}
END_TEST

static Suite *mode_mpi_suite(void) {
    Suite *s = suite_create("mode_mpi");
    TCase *tc = tcase_create("mpi");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, spawned_mpi_rows_match_seq_digests_and_workers_never_run_the_harness);
    tcase_add_test(tc, mpiexec_ranks_serve_rank_0s_pool);
    tcase_add_test(tc, overhead_impl_mpi_prints_the_four_mpi_rows_in_overhead_columns);
    tcase_add_test(tc, without_mpi_mode_and_impl_mpi_exit_2_with_one_line);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    /* Under ASan, as tests/mpi_pool.sh: Open MPI's own leaks suppressed,
     * full stacks; the environment reaches cfbench and the ranks. */
    const char *san = getenv("SANITIZE");
    if (san != NULL && !strcmp(san, "asan")) {
        char supp[PATH_MAX + 32];
        if (realpath("tests/mpi_lsan.supp", supp + 13) != NULL) {
            memcpy(supp, "suppressions=", 13);
            setenv("LSAN_OPTIONS", supp, 1);
        }
        const char *a = getenv("ASAN_OPTIONS");
        char asan[1024];
        snprintf(asan, sizeof asan, "%s%sfast_unwind_on_malloc=0", a ? a : "", a && *a ? ":" : "");
        setenv("ASAN_OPTIONS", asan, 1);
    }
    SRunner *sr = srunner_create(mode_mpi_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
