/* test_map.c -- cf_map: input order, chunks, lazy buffersize, timeout,
 * failing items, early free, on every executor kind. */
#include "lib_check.h"

/* Inputs "0", "1", ... up to n (or without end when n < 0), counting how
 * far map has read. Called only from the thread that calls cf_map/_next
 * or from the executor: the counter is atomic either way. */
typedef struct numbers {
    long n;
    long fail_at;     /* return -EIO for this index; -1: never */
    atomic_long read; /* highest index asked for, plus one */
    char buf[32];
} numbers;

static int number_input(void *arg, size_t i, const void **data, size_t *len) {
    numbers *in = arg;
    long at = (long)i + 1;
    long seen = atomic_load(&in->read);
    while (at > seen && !atomic_compare_exchange_weak(&in->read, &seen, at))
        ;
    if ((long)i == in->fail_at) return -EIO;
    if (in->n >= 0 && (long)i >= in->n) return CF_EOF;
    int k = snprintf(in->buf, sizeof in->buf, "%zu", i);
    *data = in->buf;
    *len = (size_t)k;
    return 0;
}

static void numbers_init(numbers *in, long n) {
    in->n = n;
    in->fail_at = -1;
    atomic_store(&in->read, 0);
}

/* Reads every result of m, which squares 0..n-1, asserting order. */
static void expect_squares(cf_map_iter *m, long n) {
    const void *data;
    size_t len;
    char want[32];
    for (long i = 0; i < n; i++) {
        int rc = cf_map_next(m, &data, &len);
        ck_assert_msg(rc == 0, "item %ld: %s", i, cf_err_name(rc));
        ck_assert_uint_eq(cf_map_index(m), (size_t)i);
        int k = snprintf(want, sizeof want, "%ld", i * i);
        ck_assert_uint_eq(len, (size_t)k);
        ck_assert_str_eq((const char *)data, want);
    }
    ck_assert_int_eq(cf_map_next(m, &data, &len), CF_EOF);
    ck_assert_int_eq(cf_map_next(m, &data, &len), CF_EOF);
}

START_TEST(test_results_come_in_input_order) {
    numbers in;
    numbers_init(&in, 200);
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, NULL, &m), 0);
    ck_assert_ptr_nonnull(m);
    expect_squares(m, 200);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

/* cf_map_times gives the times of the item returned last, traced per
 * item, and still after the end (when that item's chunk is freed). */
START_TEST(test_times_are_the_last_items_even_after_the_end) {
    numbers in;
    numbers_init(&in, 7);
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 2;
    o.trace = 1;
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(CF_THREAD, &o, &ex), 0);
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = 1 + _i; /* 1, 2: the last chunk has one item */
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), 0);
    cf_times t, last = {0};
    while (cf_map_next(m, NULL, NULL) == 0) {
        ck_assert_int_eq(cf_map_times(m, &t), 0);
        ck_assert(t.start > 0 && t.end >= t.start && t.worker >= 0);
        last = t;
    }
    ck_assert_int_eq(cf_map_times(m, &t), 0);
    ck_assert(t.start == last.start && t.end == last.end && t.worker == last.worker);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    ck_assert_int_eq(cf_map_times(m, &t), 0);
    ck_assert(t.start == last.start && t.end == last.end && t.worker == last.worker);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

/* Order holds even when early items finish last. */
START_TEST(test_order_kept_when_early_items_are_slow) {
    const char *ms[] = {"60", "40", "20", "0", "0", "0"};
    const void *data[6];
    size_t len[6];
    for (int i = 0; i < 6; i++) {
        data[i] = ms[i];
        len[i] = strlen(ms[i]);
    }
    cf_executor *ex = lt_new(lt_kinds[_i], 3);
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map_array(ex, lt_t_sleep, data, len, 6, NULL, &m), 0);
    for (int i = 0; i < 6; i++) {
        const void *d;
        size_t l;
        ck_assert_int_eq(cf_map_next(m, &d, &l), 0);
        ck_assert_uint_eq(cf_map_index(m), (size_t)i);
        ck_assert_str_eq((const char *)d, ms[i]);
    }
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

static const int chunksizes[] = {1, 7, 64};

/* _i walks kinds x chunksizes; 100 is a multiple of none but 1. */
START_TEST(test_chunksizes_give_every_result_in_order) {
    cf_kind kind = lt_kinds[_i / 3];
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = chunksizes[_i % 3];
    for (long n = 99; n <= 100; n++) {
        numbers in;
        numbers_init(&in, n);
        cf_executor *ex = lt_new(kind, 2);
        cf_map_iter *m = NULL;
        ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), 0);
        expect_squares(m, n);
        cf_map_free(m);
        cf_executor_free(ex);
    }
}
END_TEST

START_TEST(test_empty_input_ends_at_once) {
    numbers in;
    numbers_init(&in, 0);
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, NULL, &m), 0);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
    ck_assert_int_eq(cf_map_array(ex, lt_t_sq, NULL, NULL, 0, NULL, &m), 0);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_map_array_copies_inputs) {
    char bufs[50][16];
    const void *data[50];
    size_t len[50];
    for (int i = 0; i < 50; i++) {
        len[i] = (size_t)snprintf(bufs[i], sizeof bufs[i], "%d", i);
        data[i] = bufs[i];
    }
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = 4;
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map_array(ex, lt_t_sq, data, len, 50, &mo, &m), 0);
    memset(bufs, 'x', sizeof bufs); /* the map must hold its own copies */
    expect_squares(m, 50);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

/* buffersize: at most that many chunks submitted and not yet consumed.
 * Before item k is handed out, its chunk c and at most buffersize after it
 * may have been read (Python refills one chunk as it hands one out). The input never ends, which
 * only a lazy map survives. _i walks kinds x (chunksize 1, 3). */
START_TEST(test_buffersize_reads_lazily) {
    cf_kind kind = lt_kinds[_i / 2];
    long chunk = _i % 2 ? 3 : 1;
    long buffer = 2;
    numbers in;
    numbers_init(&in, -1);
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = (int)chunk;
    mo.buffersize = (int)buffer;
    cf_executor *ex = lt_new(kind, 2);
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), 0);
    long read = atomic_load(&in.read);
    ck_assert_int_le(read, buffer * chunk);
    char want[32];
    for (long k = 0; k < 40; k++) {
        const void *data;
        size_t len;
        ck_assert_int_eq(cf_map_next(m, &data, &len), 0);
        snprintf(want, sizeof want, "%ld", k * k);
        ck_assert_str_eq((const char *)data, want);
        long c = k / chunk;
        long limit = (c + 1 + buffer) * chunk;
        read = atomic_load(&in.read);
        ck_assert_msg(read <= limit, "after item %ld, %ld inputs read (limit %ld)", k, read, limit);
    }
    read = atomic_load(&in.read);
    ck_assert_int_ge(read, 40);
    cf_map_free(m); /* must not try to drain an endless input */
    cf_executor_free(ex);
}
END_TEST

/* Python's map: the deadline ends the iteration; what has not started is
 * cancelled (item 1 waits behind the held item 0 on one worker). */
START_TEST(test_map_timeout_ends_iteration_and_cancels_the_rest) {
    lt_gate g;
    lt_gate_init(&g);
    const void *data[2] = {g.path, g.path};
    size_t len[2] = {strlen(g.path), strlen(g.path)};
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.timeout = 0.1;
    cf_map_iter *m = NULL;
    double t0 = lt_now();
    ck_assert_int_eq(cf_map_array(ex, lt_t_gate, data, len, 2, &mo, &m), 0);
    const void *d;
    size_t l;
    ck_assert_int_eq(cf_map_next(m, &d, &l), CF_ETIMEDOUT);
    ck_assert(lt_now() - t0 >= 0.09);
    ck_assert_int_eq(cf_map_next(m, &d, &l), CF_EOF);
    ck_assert_int_eq(cf_map_next(m, &d, &l), CF_EOF);
    lt_gate_open(&g);
    cf_map_free(m); /* waits for item 0, which was running */
    cf_executor_free(ex);
    lt_gate_fini(&g);
}
END_TEST

/* _i walks kinds x (chunksize 1, 4): a failing item fails alone. */
START_TEST(test_failing_item_reports_and_iteration_goes_on) {
    cf_kind kind = lt_kinds[_i / 2];
    numbers in;
    numbers_init(&in, 20);
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.chunksize = _i % 2 ? 4 : 1;
    cf_executor *ex = lt_new(kind, 2);
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq5, number_input, &in, &mo, &m), 0);
    char want[32];
    for (long i = 0; i < 20; i++) {
        const void *data;
        size_t len;
        int rc = cf_map_next(m, &data, &len);
        ck_assert_uint_eq(cf_map_index(m), (size_t)i);
        const char *msg = NULL;
        if (i % 5 == 3) {
            ck_assert_int_eq(rc, CF_ETASK);
            ck_assert_int_eq(cf_map_error(m, &msg), 3);
            snprintf(want, sizeof want, "bad %ld", i);
            ck_assert_str_eq(msg, want);
        } else {
            ck_assert_msg(rc == 0, "item %ld: %s", i, cf_err_name(rc));
            ck_assert_int_eq(cf_map_error(m, &msg), 0);
            snprintf(want, sizeof want, "%ld", i * i);
            ck_assert_str_eq((const char *)data, want);
        }
    }
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), CF_EOF);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

/* The input's error is never lost and nothing past it is given. The
 * header allows it from cf_map itself (all inputs are read at once without
 * buffersize) or from cf_map_next once the items before it were given. */
START_TEST(test_input_error_stops_map) {
    numbers in;
    numbers_init(&in, 100);
    in.fail_at = 5;
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_map_iter *m = NULL;
    int rc = cf_map(ex, lt_t_sq, number_input, &in, NULL, &m);
    if (rc == 0) {
        long got = 0;
        while ((rc = cf_map_next(m, NULL, NULL)) == 0)
            got++;
        ck_assert_int_le(got, 5);
        cf_map_free(m);
    }
    ck_assert_int_eq(rc, -EIO);
    ck_assert_int_eq(atomic_load(&in.read), 6); /* stopped at the error */
    cf_executor_free(ex);
}
END_TEST

/* With buffersize the input is read during iteration: the error comes out
 * of cf_map_next once the items before it were given. */
START_TEST(test_lazy_input_error_comes_from_next) {
    numbers in;
    numbers_init(&in, 100);
    in.fail_at = 5;
    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.buffersize = 2;
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, &mo, &m), 0);
    int rc = 0;
    long got = 0;
    while ((rc = cf_map_next(m, NULL, NULL)) == 0)
        got++;
    ck_assert_int_eq(rc, -EIO);
    ck_assert_int_le(got, 5);
    cf_map_free(m);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_map_after_shutdown_is_refused) {
    numbers in;
    numbers_init(&in, 3);
    cf_executor *ex = lt_new(lt_kinds[_i], 1);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    cf_map_iter *m = NULL;
    ck_assert_int_eq(cf_map(ex, lt_t_sq, number_input, &in, NULL, &m), CF_ESHUTDOWN);
    cf_executor_free(ex);
}
END_TEST

/* Freeing the map with most items pending cancels them: 100 tasks of
 * 300 ms on 2 workers would take 15 s if they all ran. The bound leaves
 * room for valgrind, which runs this test too, and whose leak check of
 * each worker process at its exit is part of the shutdown timed here. */
START_TEST(test_free_with_items_pending_cancels_them) {
    cf_executor *ex = lt_new(lt_kinds[_i], 2);
    const void *data[100];
    size_t len[100];
    for (int i = 0; i < 100; i++) {
        data[i] = "300";
        len[i] = 3;
    }
    cf_map_iter *m = NULL;
    double t0 = lt_now();
    ck_assert_int_eq(cf_map_array(ex, lt_t_sleep, data, len, 100, NULL, &m), 0);
    ck_assert_int_eq(cf_map_next(m, NULL, NULL), 0);
    cf_map_free(m);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    double took = lt_now() - t0;
    ck_assert_msg(took < 10, "free took %.2f s: pending items ran", took);
    cf_executor_free(ex);
}
END_TEST

static Suite *map_suite(void) {
    Suite *s = suite_create("map");
    TCase *ord = tcase_create("order");
    tcase_set_timeout(ord, 30);
    LT_ALL_KINDS(ord, test_results_come_in_input_order);
    LT_ALL_KINDS(ord, test_order_kept_when_early_items_are_slow);
    tcase_add_loop_test(ord, test_chunksizes_give_every_result_in_order, 0, 9);
    tcase_add_loop_test(ord, test_times_are_the_last_items_even_after_the_end, 0, 2);
    LT_ALL_KINDS(ord, test_empty_input_ends_at_once);
    LT_ALL_KINDS(ord, test_map_array_copies_inputs);
    suite_add_tcase(s, ord);

    TCase *lazy = tcase_create("lazy");
    tcase_set_timeout(lazy, 30);
    tcase_add_loop_test(lazy, test_buffersize_reads_lazily, 0, 6);
    LT_ALL_KINDS(lazy, test_lazy_input_error_comes_from_next);
    suite_add_tcase(s, lazy);

    TCase *err = tcase_create("errors");
    tcase_set_timeout(err, 30);
    LT_POOL_KINDS(err, test_map_timeout_ends_iteration_and_cancels_the_rest);
    tcase_add_loop_test(err, test_failing_item_reports_and_iteration_goes_on, 0, 6);
    LT_ALL_KINDS(err, test_input_error_stops_map);
    LT_ALL_KINDS(err, test_map_after_shutdown_is_refused);
    LT_POOL_KINDS(err, test_free_with_items_pending_cancels_them);
    suite_add_tcase(s, err);
    return s;
}

int main(void) {
    lt_register_tasks();
    return lt_run_suite(map_suite());
}
