/* test_task.c -- the task registry, cf_out_* inside tasks, error codes. */
#include "lib_check.h"

static int other_fn(const void *in, size_t len, cf_out *out) {
    return lt_echo(in, len, out);
}

START_TEST(test_register_gives_named_findable_handle) {
    const cf_task *t = cf_task_register("tt.named", other_fn);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(cf_task_name(t), "tt.named");
    ck_assert_ptr_eq(cf_task_find("tt.named"), t);
    ck_assert_ptr_eq(cf_task_find("lt.echo"), lt_t_echo);
}
END_TEST

START_TEST(test_register_same_name_same_fn_returns_first_handle) {
    const cf_task *a = cf_task_register("tt.twice", other_fn);
    const cf_task *b = cf_task_register("tt.twice", other_fn);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_eq(a, b);
}
END_TEST

START_TEST(test_register_same_name_other_fn_fails) {
    ck_assert_ptr_null(cf_task_register("lt.echo", other_fn));
    ck_assert_ptr_eq(cf_task_find("lt.echo"), lt_t_echo);
}
END_TEST

START_TEST(test_register_copies_name) {
    char name[32];
    snprintf(name, sizeof name, "tt.copied");
    const cf_task *t = cf_task_register(name, other_fn);
    ck_assert_ptr_nonnull(t);
    memset(name, 'z', sizeof name - 1);
    ck_assert_str_eq(cf_task_name(t), "tt.copied");
    ck_assert_ptr_eq(cf_task_find("tt.copied"), t);
}
END_TEST

START_TEST(test_find_unknown_name_is_null) {
    ck_assert_ptr_null(cf_task_find("tt.never-registered"));
    ck_assert_ptr_null(cf_task_find(""));
}
END_TEST

static void *register_many(void *arg) {
    long id = (long)arg;
    char name[32];
    for (int i = 0; i < 200; i++) {
        /* Half the names are shared by all threads, half are private. */
        if (i % 2)
            snprintf(name, sizeof name, "tt.shared%d", i);
        else
            snprintf(name, sizeof name, "tt.t%ld.%d", id, i);
        const cf_task *t = cf_task_register(name, other_fn);
        if (t == NULL || cf_task_find(name) != t || strcmp(cf_task_name(t), name) != 0)
            return (void *)1;
    }
    return NULL;
}

START_TEST(test_register_from_many_threads_at_once) {
    pthread_t th[4];
    for (long i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, register_many, (void *)i), 0);
    for (int i = 0; i < 4; i++) {
        void *ret;
        ck_assert_int_eq(pthread_join(th[i], &ret), 0);
        ck_assert_ptr_null(ret);
    }
    ck_assert_ptr_nonnull(cf_task_find("tt.shared199"));
    ck_assert_ptr_nonnull(cf_task_find("tt.t3.198"));
}
END_TEST

/* ---- cf_out_* through every executor kind ----------------------------- */

static int set_twice(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    if (cf_out_set(out, "first result", 12) != 0) return 1;
    return cf_out_set(out, "second", 6) == 0 ? 0 : 1;
}

static int reserve_exact(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    if (cf_out_set(out, "something longer than five", 26) != 0) return 1;
    char *p = cf_out_reserve(out, 5);
    if (p == NULL) return 1;
    memcpy(p, "abcde", 5);
    return 0;
}

/* Reports what the size limits return, from inside a task. */
static int too_big(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    size_t big = (size_t)CF_MAX_BYTES + 1;
    char *buf = calloc(1, big); /* untouched pages: cheap */
    if (buf == NULL) return 1;
    int set_rc = cf_out_set(out, buf, big);
    free(buf);
    void *p = cf_out_reserve(out, big);
    return lt_out_printf(out, "%d %d", set_rc, p == NULL) == 0 ? 0 : 1;
}

static int long_error(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    char msg[1000];
    memset(msg, 'x', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    cf_out_error(out, "%s", msg);
    return 5;
}

static int bare_failure(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len, (void)out;
    return -3;
}

/* Output: "len sum" of the input bytes, to prove binary input arrives. */
static int checksum(const void *in, size_t len, cf_out *out) {
    unsigned long sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = sum * 31 + ((const unsigned char *)in)[i];
    return lt_out_printf(out, "%zu %lu", len, sum) == 0 ? 0 : 1;
}

static const cf_task *t_set_twice, *t_reserve, *t_too_big, *t_long_error, *t_bare, *t_checksum;

START_TEST(test_out_set_second_call_replaces_first) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f = lt_submit_str(ex, t_set_twice, "");
    lt_expect_result(f, "second");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_out_reserve_makes_result_exactly_that_long) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_future *f = lt_submit_str(ex, t_reserve, "");
    lt_expect_result(f, "abcde");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_out_over_max_bytes_is_refused) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_str(ex, t_too_big, "");
    char want[32];
    snprintf(want, sizeof want, "%d 1", CF_ETOOBIG);
    lt_expect_result(f, want);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_out_error_message_truncated_to_255_bytes) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_str(ex, t_long_error, "");
    ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_ETASK);
    const char *msg = NULL;
    ck_assert_int_eq(cf_future_error(f, &msg), 5);
    ck_assert_ptr_nonnull(msg);
    size_t n = strlen(msg);
    ck_assert_uint_le(n, 255);
    ck_assert_uint_ge(n, 250);
    ck_assert_uint_eq(strspn(msg, "x"), n);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_status_without_message_gives_empty_message) {
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = lt_submit_str(ex, t_bare, "");
    ck_assert_int_eq(cf_future_result(f, 20.0, NULL, NULL), CF_ETASK);
    const char *msg = NULL;
    ck_assert_int_eq(cf_future_error(f, &msg), -3);
    ck_assert_str_eq(msg, "");
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_task_sees_exact_binary_input) {
    unsigned char in[300];
    unsigned long sum = 0;
    for (size_t i = 0; i < sizeof in; i++) {
        in[i] = (unsigned char)(i % 7 == 0 ? 0 : i * 13);
        sum = sum * 31 + in[i];
    }
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_future *f = NULL;
    ck_assert_int_eq(cf_submit(ex, t_checksum, in, sizeof in, &f), 0);
    char want[64];
    snprintf(want, sizeof want, "%zu %lu", sizeof in, sum);
    lt_expect_result(f, want);
    cf_future_free(f);
    cf_executor_free(ex);
}
END_TEST

/* ---- names and clocks ------------------------------------------------ */

START_TEST(test_kind_names) {
    ck_assert_str_eq(cf_kind_name(CF_SEQUENTIAL), "seq");
    ck_assert_str_eq(cf_kind_name(CF_THREAD), "thread");
    ck_assert_str_eq(cf_kind_name(CF_PROCESS), "process");
}
END_TEST

START_TEST(test_worker_index_outside_pool_is_minus_one) {
    ck_assert_int_eq(cf_worker_index(), -1);
}
END_TEST

START_TEST(test_now_ns_is_monotonic_and_matches_clock) {
    struct timespec ts;
    int64_t a = cf_now_ns();
    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
    int64_t mid = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    lt_sleep_ms(2);
    int64_t b = cf_now_ns();
    ck_assert_int_le(a, mid);
    ck_assert_int_le(mid, b);
    ck_assert_int_ge(b - a, 2000000);
}
END_TEST

/* cf_task_call: the task's function called here, results handed over. */
START_TEST(test_task_call_returns_small_and_large_results) {
    void *data;
    size_t len;
    int status = -1;
    char *msg;
    ck_assert_int_eq(cf_task_call(lt_t_echo, "hello", 5, &data, &len, &status, &msg), 0);
    ck_assert_int_eq(status, 0);
    ck_assert_ptr_null(msg);
    ck_assert_uint_eq(len, 5);
    ck_assert_str_eq(data, "hello"); /* NUL-terminated */
    free(data);
    ck_assert_int_eq(cf_task_call(lt_t_gen, "100000", 6, &data, &len, &status, &msg), 0);
    ck_assert_uint_eq(len, 100000);
    ck_assert_int_eq(((unsigned char *)data)[99999], lt_pattern(99999));
    ck_assert_int_eq(((unsigned char *)data)[100000], 0);
    free(data);
    ck_assert_int_eq(cf_task_call(lt_t_echo, "", 0, &data, &len, &status, &msg), 0);
    ck_assert_uint_eq(len, 0);
    free(data);
}
END_TEST

START_TEST(test_task_call_reports_a_failing_task) {
    void *data = (void *)1;
    size_t len = 9;
    int status = 0;
    char *msg = NULL;
    ck_assert_int_eq(cf_task_call(lt_t_fail, "far away", 8, &data, &len, &status, &msg), CF_ETASK);
    ck_assert_int_eq(status, 7);
    ck_assert_ptr_null(data);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(msg, "failed on 'far away'");
    free(msg);
    ck_assert_int_eq(cf_task_call(NULL, "", 0, &data, &len, &status, &msg), CF_EINVAL);
    ck_assert_int_eq(cf_task_call(lt_t_echo, "", 0, NULL, &len, &status, &msg), CF_EINVAL);
}
END_TEST

static Suite *task_suite(void) {
    Suite *s = suite_create("task");
    TCase *reg = tcase_create("registry");
    tcase_add_test(reg, test_register_gives_named_findable_handle);
    tcase_add_test(reg, test_register_same_name_same_fn_returns_first_handle);
    tcase_add_test(reg, test_register_same_name_other_fn_fails);
    tcase_add_test(reg, test_register_copies_name);
    tcase_add_test(reg, test_find_unknown_name_is_null);
    tcase_add_test(reg, test_register_from_many_threads_at_once);
    tcase_add_test(reg, test_task_call_returns_small_and_large_results);
    tcase_add_test(reg, test_task_call_reports_a_failing_task);
    suite_add_tcase(s, reg);

    TCase *out = tcase_create("out");
    tcase_set_timeout(out, 30);
    LT_ALL_KINDS(out, test_out_set_second_call_replaces_first);
    LT_ALL_KINDS(out, test_out_reserve_makes_result_exactly_that_long);
    LT_ALL_KINDS(out, test_out_over_max_bytes_is_refused);
    LT_ALL_KINDS(out, test_out_error_message_truncated_to_255_bytes);
    LT_ALL_KINDS(out, test_status_without_message_gives_empty_message);
    LT_ALL_KINDS(out, test_task_sees_exact_binary_input);
    suite_add_tcase(s, out);

    TCase *err = tcase_create("names");
    tcase_add_test(err, test_kind_names);
    tcase_add_test(err, test_worker_index_outside_pool_is_minus_one);
    tcase_add_test(err, test_now_ns_is_monotonic_and_matches_clock);
    suite_add_tcase(s, err);
    return s;
}

int main(void) {
    lt_register_tasks();
    t_set_twice = cf_task_register("tt.set_twice", set_twice);
    t_reserve = cf_task_register("tt.reserve", reserve_exact);
    t_too_big = cf_task_register("tt.too_big", too_big);
    t_long_error = cf_task_register("tt.long_error", long_error);
    t_bare = cf_task_register("tt.bare", bare_failure);
    t_checksum = cf_task_register("tt.checksum", checksum);
    return lt_run_suite(task_suite());
}
