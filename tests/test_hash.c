/* test_hash.c -- tests for workloads/hash.c: PBKDF2, hash_one, the task on
 * every executor kind, verify. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../workloads/hash.h"
#include "../workloads/workload.h"
#include "workload_check.h"

static void setup(void) {
    ck_assert_int_eq(workloads_init(), 0);
}

static void hex(const unsigned char *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

START_TEST(test_pbkdf2_matches_published_vectors) {
    static const struct {
        uint32_t c;
        const char *dk;
    } v[] = {
        {1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"},
        {2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"},
        {4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned char dk[32];
        char h[65];
        ck_assert_int_eq(wl_pbkdf2_sha256("password", 8, "salt", 4, v[i].c, dk, 32), 0);
        hex(dk, 32, h);
        ck_assert_str_eq(h, v[i].dk);
    }
}
END_TEST

START_TEST(test_pbkdf2_refuses_zero_iterations) {
    unsigned char dk[32];
    ck_assert_int_eq(wl_pbkdf2_sha256("password", 8, "salt", 4, 0, dk, 32), -1);
}
END_TEST

START_TEST(test_hash_one_digests_the_keys_in_order) {
    /* hash_one(3) at unit 2: keys at 2 and 4 iterations, hashed in order. */
    unsigned char keys[64], want[32], got[32];
    unsigned int len = 0;
    ck_assert_int_eq(wl_pbkdf2_sha256("password", 8, "salt", 4, 2, keys, 32), 0);
    ck_assert_int_eq(wl_pbkdf2_sha256("password", 8, "salt", 4, 4, keys + 32, 32), 0);
    ck_assert_int_eq(EVP_Digest(keys, 64, want, &len, EVP_sha256(), NULL), 1);
    ck_assert_int_eq(wl_hash_one(3, 2, got), 0);
    ck_assert_mem_eq(got, want, 32);

    ck_assert_int_eq(wl_hash_one(4, 2, got), 0); /* one key more */
    ck_assert_mem_ne(got, want, 32);
}
END_TEST

START_TEST(test_hash_one_of_one_hashes_no_key) {
    /* range(1, 1) is empty: the digest of nothing. */
    unsigned char got[32];
    char h[65];
    ck_assert_int_eq(wl_hash_one(1, 10000, got), 0);
    hex(got, 32, h);
    ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(test_hash_one_refuses_absurd_arguments) {
    unsigned char got[32];
    ck_assert_int_eq(wl_hash_one(0, 1, got), -1);
    ck_assert_int_eq(wl_hash_one(WL_HASH_MAX_N + 1, 1, got), -1);
    ck_assert_int_eq(wl_hash_one(2, 0, got), -1);
    ck_assert_int_eq(wl_hash_one(3, 0x40000000u, got), -1); /* 2^31 iter */
}
END_TEST

START_TEST(test_quick_size_verifies_with_equal_digests_on_every_kind) {
    const workload *w = workload_find("hash");
    wl_params p = {.size = WL_QUICK};
    wl_plan plan;
    char err[256] = "";
    ck_assert_ptr_nonnull(w);
    memset(&plan, 0, sizeof plan);
    ck_assert_int_eq(w->prepare(&p, &plan, err, sizeof err), 0);
    ck_assert_ptr_eq(plan.task, cf_task_find("hash_one"));
    ck_assert_uint_eq(plan.n, 4);
    ck_assert_str_eq(plan.label, "4 x hash_one(4), 1000 iter/step");

    wc_verify_on_every_kind(w, &plan, 32, NULL);
    w->release(&plan);
    ck_assert_ptr_null(plan.in);
}
END_TEST

START_TEST(test_bad_input_fails_the_task_with_a_message) {
    const cf_task *task = cf_task_find("hash_one");
    unsigned char zero_n[WL_HASH_INPUT_LEN], huge[WL_HASH_INPUT_LEN];
    ck_assert_ptr_nonnull(task);
    wl_hash_input(0, 10000, zero_n);
    wl_hash_input(20, 0x7fffffffu, huge);
    const struct {
        const void *in;
        size_t len;
        const char *says;
    } bad[] = {
        {"abc", 3, "3 bytes"},
        {"", 0, "0 bytes"},
        {"123456789", 9, "9 bytes"},
        {zero_n, sizeof zero_n, "n=0"},
        {huge, sizeof huge, "out of range"},
    };
    for (size_t k = 0; k < WC_NKINDS; k++) {
        cf_executor *ex = NULL;
        ck_assert_int_eq(cf_executor_new(wc_kinds[k], NULL, &ex), 0);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            cf_future *f = NULL;
            const char *msg = NULL;
            ck_assert_int_eq(cf_submit(ex, task, bad[i].in, bad[i].len, &f), 0);
            ck_assert_int_eq(cf_future_result(f, 10.0, NULL, NULL), CF_ETASK);
            ck_assert_int_ne(cf_future_error(f, &msg), 0);
            ck_assert_ptr_nonnull(msg);
            ck_assert_msg(strstr(msg, "hash_one") && strstr(msg, bad[i].says),
                          "%s case %zu: message '%s'", cf_kind_name(wc_kinds[k]), i, msg);
            cf_future_free(f);
        }
        cf_executor_free(ex);
    }
}
END_TEST

/* A hand-made run of the quick plan: each result the right 32 bytes. */
static void fake_run(const wl_plan *plan, unsigned char (*bytes)[32], wl_result *res) {
    unsigned char in[WL_HASH_INPUT_LEN];
    wl_hash_input(4, 1000, in);
    ck_assert_mem_eq(plan->in[0], in, sizeof in);
    ck_assert_int_eq(wl_hash_one(4, 1000, bytes[0]), 0);
    for (size_t i = 0; i < plan->n; i++) {
        memcpy(bytes[i], bytes[0], 32);
        res[i].status = 0;
        res[i].data = bytes[i];
        res[i].len = 32;
        res[i].msg = "";
    }
}

START_TEST(test_verify_rejects_a_wrong_result_and_counts_failures) {
    const workload *w = workload_find("hash");
    wl_params p = {.size = WL_QUICK};
    wl_plan plan;
    unsigned char bytes[4][32];
    wl_result res[4];
    char err[256] = "", good[65], d[65];
    size_t failed = 99;
    memset(&plan, 0, sizeof plan);
    ck_assert_int_eq(w->prepare(&p, &plan, err, sizeof err), 0);
    ck_assert_uint_eq(plan.n, 4);

    fake_run(&plan, bytes, res);
    ck_assert_int_eq(w->verify(&plan, res, good, &failed, err, sizeof err), 0);
    ck_assert_uint_eq(failed, 0);

    bytes[2][5] ^= 0x80;
    ck_assert_int_eq(w->verify(&plan, res, d, &failed, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "task 2"));
    bytes[2][5] ^= 0x80;

    res[3].len = 31;
    ck_assert_int_eq(w->verify(&plan, res, d, &failed, err, sizeof err), -1);
    res[3].len = 32;

    res[1].status = CF_EBROKEN;
    res[1].msg = "worker died";
    ck_assert_int_eq(w->verify(&plan, res, d, &failed, err, sizeof err), 0);
    ck_assert_uint_eq(failed, 1);
    ck_assert_str_ne(d, good);

    for (size_t i = 0; i < 4; i++)
        res[i].status = CF_ETASK;
    ck_assert_int_eq(w->verify(&plan, res, d, &failed, err, sizeof err), 0);
    ck_assert_uint_eq(failed, 4);
    w->release(&plan);
}
END_TEST

START_TEST(test_sizes_follow_the_blog_and_default) {
    const workload *w = workload_find("hash");
    static const struct {
        wl_size size;
        size_t n;
        const char *label;
        uint32_t hn, unit;
    } want[] = {
        {WL_DEFAULT, 8, "8 x hash_one(12), 10000 iter/step", 12, 10000},
        {WL_BLOG, 20, "20 x hash_one(20), 10000 iter/step", 20, 10000},
    };
    for (size_t k = 0; k < 2; k++) {
        wl_params p = {.size = want[k].size};
        wl_plan plan;
        unsigned char in[WL_HASH_INPUT_LEN];
        char err[256];
        memset(&plan, 0, sizeof plan);
        ck_assert_int_eq(w->prepare(&p, &plan, err, sizeof err), 0);
        ck_assert_uint_eq(plan.n, want[k].n);
        ck_assert_str_eq(plan.label, want[k].label);
        wl_hash_input(want[k].hn, want[k].unit, in);
        for (size_t i = 0; i < plan.n; i++) {
            ck_assert_uint_eq(plan.in_len[i], sizeof in);
            ck_assert_mem_eq(plan.in[i], in, sizeof in);
        }
        w->release(&plan);
    }
}
END_TEST

static Suite *hash_suite(void) {
    Suite *s = suite_create("hash");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_pbkdf2_matches_published_vectors);
    tcase_add_test(tc, test_pbkdf2_refuses_zero_iterations);
    tcase_add_test(tc, test_hash_one_digests_the_keys_in_order);
    tcase_add_test(tc, test_hash_one_of_one_hashes_no_key);
    tcase_add_test(tc, test_hash_one_refuses_absurd_arguments);
    tcase_add_test(tc, test_quick_size_verifies_with_equal_digests_on_every_kind);
    tcase_add_test(tc, test_bad_input_fails_the_task_with_a_message);
    tcase_add_test(tc, test_verify_rejects_a_wrong_result_and_counts_failures);
    tcase_add_test(tc, test_sizes_follow_the_blog_and_default);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(hash_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
