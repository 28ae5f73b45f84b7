/* test_wire.c -- the process pool's messages (lib/wire.c) and the pages
 * its buffers live in (lib/slab.c): a job's answer, timed or untimed,
 * comes back item for item; no cut or bad answer is taken; a buffer keeps
 * its bytes as it grows; a child of fork forgets its parent's buffers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/internal.h"
#include "../lib/wire.h"
#include "lib_check.h"

/* Echoes its input; fails on "bad", with a message. */
static int echo_or_fail(const void *in, size_t len, cf_out *out) {
    if (len == 3 && !memcmp(in, "bad", 3)) {
        cf_out_error(out, "bad input");
        return 7;
    }
    return cf_out_set(out, in, len) != 0;
}

static const cf_task *task(void) {
    const cf_task *t = cf_task_find("wire.echo_or_fail");
    return t ? t : cf_task_register("wire.echo_or_fail", echo_or_fail);
}

static const char *const inputs[] = {"a", "bad", "", "a result longer than the inline bytes"};
#define N (sizeof inputs / sizeof inputs[0])

static cf_future *job(void) {
    const void *in[N];
    size_t len[N];
    for (size_t i = 0; i < N; i++) {
        in[i] = inputs[i];
        len[i] = strlen(inputs[i]);
    }
    cf_future *f = cf__future_new(NULL, task(), N, in, len);
    ck_assert_ptr_nonnull(f);
    return f;
}

/* Runs f's task message as a worker would, `timed` or not: the answer in
 * *ans, its header in *h. */
static void answer(cf_future *f, int timed, cf_buf *ans, cf_wire_hdr *h) {
    cf_buf msg = {0};
    ck_assert_int_eq(cf__wire_put_task(&msg, f, 42), 0);
    cf_wire_hdr th;
    ck_assert_uint_eq(cf__wire_frame(msg.p, msg.len, &th), msg.len);
    int64_t now = cf_now_ns(), start = now;
    ck_assert_int_eq(cf__wire_run_task(&th, msg.p + sizeof th, task(), ans, NULL, timed, &now), 0);
    ck_assert_int_ge(now, start);
    ck_assert_uint_eq(cf__wire_frame(ans->p, ans->len, h), ans->len);
    ck_assert_uint_eq(h->seq, 42);
    ck_assert_int_eq(CF_WIRE_TYPE(h), CF_MSG_RESULT);
    ck_assert_int_eq((h->type & CF_WIRE_TIMED) != 0, timed);
    cf__buf_free(&msg);
}

static void expect_items(cf_future *f) {
    const void *data;
    size_t len;
    for (size_t i = 0; i < N; i++) {
        cf_item *it = &f->item[i];
        if (i == 1) {
            ck_assert_int_eq(it->status, 7);
            ck_assert_int_eq(it->has_msg, 1);
            ck_assert_str_eq(cf__item_msg(it), "bad input");
            continue;
        }
        ck_assert_int_eq(it->status, 0);
        data = cf__item_out(it);
        len = it->out_len;
        ck_assert_uint_eq(len, strlen(inputs[i]));
        ck_assert_mem_eq(data, inputs[i], len);
    }
}

START_TEST(test_untimed_and_timed_answers_come_back_item_for_item) {
    for (int timed = 0; timed < 2; timed++) {
        cf_future *f = job();
        cf_buf ans = {0};
        cf_wire_hdr h;
        answer(f, timed, &ans, &h);
        int64_t took = -1;
        ck_assert_int_eq(cf__wire_take_result(f, &h, ans.p + sizeof h, &took), CF_ETASK);
        ck_assert_int_ge(took, 0);
        expect_items(f);
        cf__future_unref(f);
        cf__buf_free(&ans);
    }
}
END_TEST

/* The untimed answer is the smaller one: 8 bytes an item, not 32. */
START_TEST(test_untimed_answer_is_smaller) {
    cf_buf a[2] = {{0}, {0}};
    for (int timed = 0; timed < 2; timed++) {
        cf_future *f = job();
        cf_wire_hdr h;
        answer(f, timed, &a[timed], &h);
        cf__future_unref(f);
    }
    /* untimed: the job's start and end, and the failed item's message
     * length outside its header */
    ck_assert_uint_eq(a[1].len - a[0].len,
                      N * (sizeof(cf_wire_item) - sizeof(cf_wire_short)) - 2 * sizeof(int64_t) - 4);
    cf__buf_free(&a[0]);
    cf__buf_free(&a[1]);
}
END_TEST

/* Every answer cut short is refused, never read past its end. */
START_TEST(test_cut_answers_are_refused) {
    for (int timed = 0; timed < 2; timed++) {
        cf_future *f = job();
        cf_buf ans = {0};
        cf_wire_hdr h;
        answer(f, timed, &ans, &h);
        size_t full = h.bytes;
        for (size_t cut = 0; cut < full; cut++) {
            cf_future *g = job();
            cf_wire_hdr hc = h;
            hc.bytes = cut;
            unsigned char *copy = malloc(cut ? cut : 1); /* exactly cut bytes: ASan sees a read past */
            memcpy(copy, ans.p + sizeof h, cut);
            int64_t took;
            ck_assert_msg(cf__wire_take_result(g, &hc, copy, &took) == -1, "timed %d, cut at %zu",
                          timed, cut);
            free(copy);
            cf__future_unref(g);
        }
        cf__future_unref(f);
        cf__buf_free(&ans);
    }
}
END_TEST

START_TEST(test_frame_takes_the_timed_flag_only_on_tasks_and_results) {
    unsigned char b[sizeof(cf_wire_hdr)];
    static const struct {
        uint32_t type;
        int ok;
    } cases[] = {
        {CF_MSG_TASK, 1},
        {CF_MSG_TASK | CF_WIRE_TIMED, 1},
        {CF_MSG_RESULT | CF_WIRE_TIMED, 1},
        {CF_MSG_STOP, 1},
        {CF_MSG_STOP | CF_WIRE_TIMED, 0},
        {CF_MSG_SKIPPED | CF_WIRE_TIMED, 0},
        {CF_MSG_TASK | 0x20000u, 0},
        {0, 0},
        {CF_MSG_KEPT + 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cf_wire_hdr h = {CF_WIRE_MAGIC, cases[i].type, 0, 0, 0, 1}, out;
        memcpy(b, &h, sizeof h);
        size_t m = cf__wire_frame(b, sizeof b, &out);
        ck_assert_msg(cases[i].ok ? m == sizeof h : m == (size_t)-1, "type %#x", cases[i].type);
    }
}
END_TEST

START_TEST(test_buffer_keeps_its_bytes_as_it_grows) {
    cf_buf b = {0};
    for (size_t i = 0; i < 300000; i++) {
        unsigned char c = (unsigned char)(i * 7);
        ck_assert_int_eq(cf__buf_put(&b, &c, 1), 0);
    }
    ck_assert_uint_ge(b.cap, 300000);
    for (size_t i = 0; i < 300000; i++)
        ck_assert_int_eq(b.p[i], (unsigned char)(i * 7));
    cf__buf_free(&b);
    ck_assert_ptr_null(b.p);
}
END_TEST

/* A child of fork has none of its parent's buffer pages: freeing or
 * reusing a parent's buffer there forgets it and starts afresh. */
START_TEST(test_child_of_fork_forgets_the_parents_buffers) {
    cf_buf b = {0}, c = {0};
    ck_assert_int_eq(cf__buf_put(&b, "parent", 6), 0);
    ck_assert_int_eq(cf__buf_put(&c, "parent", 6), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cf__buf_free(&b);
        if (b.p) _exit(1);
        /* a fresh buffer where the pages were not inherited; else (a
         * sanitizer build's malloc) the copy, appended to */
        if (cf__buf_put(&c, "child", 5) || memcmp(c.p + c.len - 5, "child", 5)) _exit(2);
        cf__buf_free(&c);
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: status %d", st);
    ck_assert_mem_eq(b.p, "parent", 6);
    ck_assert_mem_eq(c.p, "parent", 6);
    ck_assert_uint_eq(c.len, 6);
    cf__buf_free(&b);
    cf__buf_free(&c);
}
END_TEST

int main(void) {
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("wire");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_untimed_and_timed_answers_come_back_item_for_item);
    tcase_add_test(tc, test_untimed_answer_is_smaller);
    tcase_add_test(tc, test_cut_answers_are_refused);
    tcase_add_test(tc, test_frame_takes_the_timed_flag_only_on_tasks_and_results);
    tcase_add_test(tc, test_buffer_keeps_its_bytes_as_it_grows);
    tcase_add_test(tc, test_child_of_fork_forgets_the_parents_buffers);
    suite_add_tcase(s, tc);
    return lt_run_suite(s);
}
