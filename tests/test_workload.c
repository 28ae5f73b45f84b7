/* test_workload.c -- tests for workloads/workload.c: sizes, registry,
 * digest, plan helpers. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/workload.h"

static void setup(void) {
    ck_assert_int_eq(workloads_init(), 0);
}

START_TEST(test_size_names_round_trip) {
    static const wl_size all[] = {WL_QUICK, WL_DEFAULT, WL_BLOG};
    for (size_t i = 0; i < 3; i++) {
        wl_size s = (wl_size)-1;
        ck_assert_int_eq(wl_size_parse(wl_size_name(all[i]), &s), 0);
        ck_assert_int_eq(s, all[i]);
    }
    ck_assert_str_eq(wl_size_name(WL_QUICK), "quick");
    ck_assert_str_eq(wl_size_name(WL_DEFAULT), "default");
    ck_assert_str_eq(wl_size_name(WL_BLOG), "blog");
}
END_TEST

START_TEST(test_size_parse_refuses_unknown_names) {
    wl_size s = WL_BLOG;
    ck_assert_int_eq(wl_size_parse("Quick", &s), -1);
    ck_assert_int_eq(wl_size_parse("", &s), -1);
    ck_assert_int_eq(wl_size_parse("huge", &s), -1);
    ck_assert_int_eq(wl_size_parse("blogs", &s), -1);
    ck_assert_int_eq(wl_size_parse(NULL, &s), -1);
    ck_assert_int_eq(s, WL_BLOG); /* untouched on refusal */
    ck_assert_str_eq(wl_size_name((wl_size)7), "?");
}
END_TEST

START_TEST(test_workload_find_knows_the_three_workloads) {
    static const char *const names[] = {"download", "hash", "prime"};
    const workload *const *all = workload_all();
    size_t n = 0;
    for (; all[n] != NULL; n++) {
        ck_assert_int_lt(n, 3);
        ck_assert_str_eq(all[n]->name, names[n]);
        ck_assert_ptr_eq(workload_find(names[n]), all[n]);
        ck_assert_ptr_nonnull(all[n]->prepare);
        ck_assert_ptr_nonnull(all[n]->verify);
        ck_assert_ptr_nonnull(all[n]->release);
    }
    ck_assert_int_eq(n, 3);
    ck_assert_ptr_null(workload_find("nope"));
    ck_assert_ptr_null(workload_find("Hash"));
    ck_assert_ptr_null(workload_find(NULL));
}
END_TEST

static void *init_thread(void *arg) {
    *(int *)arg = workloads_init();
    return NULL;
}

START_TEST(test_workloads_init_is_idempotent_and_registers_tasks) {
    pthread_t th[4];
    int rc[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, init_thread, &rc[i]), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(rc[i], 0);
    }
    ck_assert_int_eq(workloads_init(), 0);
    ck_assert_ptr_nonnull(cf_task_find("hash_one"));
    ck_assert_ptr_nonnull(cf_task_find("is_prime"));
}
END_TEST

/* Three ok-or-failed results over small byte strings. */
static void sample(wl_result res[3], unsigned char bytes[3][4]) {
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++)
            bytes[i][j] = (unsigned char)(16 * i + j);
        res[i].status = 0;
        res[i].data = bytes[i];
        res[i].len = 4;
        res[i].msg = "";
    }
}

static void digest_of(const wl_result *res, size_t n, char out[65]) {
    wl_digest(res, n, out);
    ck_assert_uint_eq(strlen(out), 64);
    ck_assert_uint_eq(strspn(out, "0123456789abcdef"), 64);
}

START_TEST(test_digest_is_stable_for_equal_results) {
    wl_result a[3], b[3];
    unsigned char ba[3][4], bb[3][4];
    char da[65], db[65];
    sample(a, ba);
    sample(b, bb); /* equal bytes at other addresses */
    digest_of(a, 3, da);
    digest_of(b, 3, db);
    ck_assert_str_eq(da, db);
    /* SHA-256 of nothing: no task, no bytes hashed. */
    digest_of(a, 0, da);
    ck_assert_str_eq(da, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(test_digest_changes_when_a_byte_changes) {
    wl_result r[3];
    unsigned char bytes[3][4];
    char d0[65], d1[65];
    sample(r, bytes);
    digest_of(r, 3, d0);
    bytes[2][3] ^= 1;
    digest_of(r, 3, d1);
    ck_assert_str_ne(d0, d1);
    bytes[2][3] ^= 1;
    r[1].len = 3; /* a shorter result is another result */
    digest_of(r, 3, d1);
    ck_assert_str_ne(d0, d1);
}
END_TEST

START_TEST(test_digest_changes_with_order) {
    wl_result r[3];
    unsigned char bytes[3][4];
    char d0[65], d1[65];
    sample(r, bytes);
    digest_of(r, 3, d0);
    wl_result t = r[0];
    r[0] = r[1];
    r[1] = t;
    digest_of(r, 3, d1);
    ck_assert_str_ne(d0, d1);
}
END_TEST

START_TEST(test_digest_counts_failures_but_not_their_details) {
    wl_result r[3];
    unsigned char bytes[3][4];
    char ok[65], f1[65], f2[65];
    sample(r, bytes);
    digest_of(r, 3, ok);

    r[1].status = CF_ETASK;
    r[1].msg = "boom";
    digest_of(r, 3, f1);
    ck_assert_str_ne(ok, f1);

    /* Another code, message and leftover bytes: same failed task. */
    r[1].status = 7;
    r[1].msg = "something else";
    r[1].data = NULL;
    r[1].len = 0;
    digest_of(r, 3, f2);
    ck_assert_str_eq(f1, f2);

    /* Which task failed matters. */
    sample(r, bytes);
    r[2].status = CF_EBROKEN;
    digest_of(r, 3, f2);
    ck_assert_str_ne(f1, f2);
}
END_TEST

START_TEST(test_plan_alloc_gives_zeroed_slots) {
    wl_plan plan;
    memset(&plan, 0, sizeof plan);
    ck_assert_int_eq(wl_plan_alloc(&plan, 5), 0);
    ck_assert_uint_eq(plan.n, 5);
    ck_assert_ptr_nonnull(plan.in);
    ck_assert_ptr_nonnull(plan.in_len);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_ptr_null(plan.in[i]);
        ck_assert_uint_eq(plan.in_len[i], 0);
    }
    wl_plan_free_inputs(&plan);
    ck_assert_ptr_null(plan.in);
    ck_assert_ptr_null(plan.in_len);
}
END_TEST

START_TEST(test_plan_set_copies_and_replaces) {
    wl_plan plan;
    char src[6] = "hello";
    memset(&plan, 0, sizeof plan);
    ck_assert_int_eq(wl_plan_alloc(&plan, 2), 0);
    ck_assert_int_eq(wl_plan_set(&plan, 0, src, 5), 0);
    src[0] = 'J'; /* the plan holds its own copy */
    ck_assert_uint_eq(plan.in_len[0], 5);
    ck_assert_int_eq(memcmp(plan.in[0], "hello", 5), 0);

    ck_assert_int_eq(wl_plan_set(&plan, 0, "bye", 3), 0);
    ck_assert_uint_eq(plan.in_len[0], 3);
    ck_assert_int_eq(memcmp(plan.in[0], "bye", 3), 0);

    ck_assert_int_eq(wl_plan_set(&plan, 1, NULL, 0), 0);
    ck_assert_uint_eq(plan.in_len[1], 0);

    ck_assert_int_eq(wl_plan_set(&plan, 2, "x", 1), -1); /* out of range */
    wl_plan_free_inputs(&plan);
}
END_TEST

START_TEST(test_plan_free_inputs_is_safe_on_zeroed_plan_and_twice) {
    wl_plan plan;
    memset(&plan, 0, sizeof plan);
    wl_plan_free_inputs(&plan);
    wl_plan_free_inputs(NULL);
    ck_assert_int_eq(wl_plan_alloc(&plan, 1), 0);
    ck_assert_int_eq(wl_plan_set(&plan, 0, "abc", 3), 0);
    wl_plan_free_inputs(&plan);
    wl_plan_free_inputs(&plan);
    ck_assert_ptr_null(plan.in);
    ck_assert_int_eq(wl_plan_set(&plan, 0, "abc", 3), -1); /* no slots */
}
END_TEST

static Suite *workload_suite(void) {
    Suite *s = suite_create("workload");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_size_names_round_trip);
    tcase_add_test(tc, test_size_parse_refuses_unknown_names);
    tcase_add_test(tc, test_workload_find_knows_the_three_workloads);
    tcase_add_test(tc, test_workloads_init_is_idempotent_and_registers_tasks);
    tcase_add_test(tc, test_digest_is_stable_for_equal_results);
    tcase_add_test(tc, test_digest_changes_when_a_byte_changes);
    tcase_add_test(tc, test_digest_changes_with_order);
    tcase_add_test(tc, test_digest_counts_failures_but_not_their_details);
    tcase_add_test(tc, test_plan_alloc_gives_zeroed_slots);
    tcase_add_test(tc, test_plan_set_copies_and_replaces);
    tcase_add_test(tc, test_plan_free_inputs_is_safe_on_zeroed_plan_and_twice);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(workload_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
