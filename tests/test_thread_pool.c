/* test_thread_pool.c -- the thread pool: real concurrency, worker indexes,
 * submissions from many threads at once. */
#include "lib_check.h"

/* A reusable rendezvous with a time limit: a task that never meets its
 * partners fails instead of hanging, so the test reports it cleanly. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int need, arrived;
    unsigned seen_workers; /* bit per worker index that arrived */
} meet = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

static void meet_reset(int need) {
    pthread_mutex_lock(&meet.mu);
    meet.need = need;
    meet.arrived = 0;
    meet.seen_workers = 0;
    pthread_mutex_unlock(&meet.mu);
}

static int rendezvous(const void *in, size_t len, cf_out *out) {
    (void)in, (void)len;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    int idx = cf_worker_index();
    int rc = 0;
    pthread_mutex_lock(&meet.mu);
    meet.arrived++;
    if (idx >= 0 && idx < 32) meet.seen_workers |= 1u << idx;
    pthread_cond_broadcast(&meet.cv);
    while (meet.arrived < meet.need && rc == 0)
        rc = pthread_cond_timedwait(&meet.cv, &meet.mu, &until);
    int ok = meet.arrived >= meet.need;
    pthread_mutex_unlock(&meet.mu);
    if (!ok) {
        cf_out_error(out, "only %d at the rendezvous", meet.arrived);
        return 1;
    }
    return lt_out_printf(out, "%d", idx) == 0 ? 0 : 99;
}

static const cf_task *t_meet;

/* Two tasks that can only finish together need two workers at once. */
START_TEST(test_two_workers_run_two_tasks_at_once) {
    meet_reset(2);
    cf_executor *ex = lt_new(CF_THREAD, 2);
    cf_future *a = lt_submit_str(ex, t_meet, "");
    cf_future *b = lt_submit_str(ex, t_meet, "");
    const void *da, *db;
    ck_assert_int_eq(cf_future_result(a, 20.0, &da, NULL), 0);
    ck_assert_int_eq(cf_future_result(b, 20.0, &db, NULL), 0);
    ck_assert_str_ne((const char *)da, (const char *)db);
    cf_future_free(a);
    cf_future_free(b);
    cf_executor_free(ex);
}
END_TEST

/* As many tasks as workers, all meeting: each worker index shows once. */
START_TEST(test_every_worker_has_its_own_index) {
    int n = 5;
    meet_reset(n);
    cf_executor *ex = lt_new(CF_THREAD, n);
    cf_future *f[5];
    for (int i = 0; i < n; i++)
        f[i] = lt_submit_str(ex, t_meet, "");
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(cf_future_result(f[i], 20.0, NULL, NULL), 0);
        cf_future_free(f[i]);
    }
    ck_assert_uint_eq(meet.seen_workers, (1u << n) - 1);
    cf_executor_free(ex);
}
END_TEST

START_TEST(test_worker_index_in_range) {
    cf_executor *ex = lt_new(CF_THREAD, 3);
    for (int i = 0; i < 30; i++) {
        cf_future *f = lt_submit_str(ex, lt_t_whoami, "");
        const void *data;
        ck_assert_int_eq(cf_future_result(f, 20.0, &data, NULL), 0);
        long pid;
        int idx;
        ck_assert_int_eq(sscanf(data, "%ld %d", &pid, &idx), 2);
        ck_assert_int_eq(pid, (long)getpid());
        ck_assert(idx >= 0 && idx < 3);
        cf_future_free(f);
    }
    ck_assert_int_eq(cf_worker_index(), -1);
    cf_executor_free(ex);
}
END_TEST

/* The default pool runs min(32, cpus + 4) tasks at once. */
START_TEST(test_default_pool_runs_all_workers_at_once) {
    cf_executor *ex = NULL;
    ck_assert_int_eq(cf_executor_new(CF_THREAD, NULL, &ex), 0);
    int n = cf_executor_workers(ex);
    ck_assert_int_le(n, 32);
    meet_reset(n);
    cf_future *f[32];
    for (int i = 0; i < n; i++)
        f[i] = lt_submit_str(ex, t_meet, "");
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(cf_future_result(f[i], 20.0, NULL, NULL), 0);
        cf_future_free(f[i]);
    }
    cf_executor_free(ex);
}
END_TEST

typedef struct submitter {
    cf_executor *ex;
    int id;
    int bad; /* results that were wrong */
} submitter;

static void *submit_many(void *arg) {
    submitter *s = arg;
    enum { N = 300 };
    cf_future *f[N];
    char buf[32];
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof buf, "%d", s->id * 1000 + i);
        if (cf_submit(s->ex, lt_t_sq, buf, strlen(buf), &f[i]) != 0) {
            f[i] = NULL;
            s->bad++;
        }
    }
    for (int i = 0; i < N; i++) {
        const void *data;
        long v = (long)(s->id * 1000 + i);
        snprintf(buf, sizeof buf, "%ld", v * v);
        if (f[i] == NULL) continue;
        if (cf_future_result(f[i], 20.0, &data, NULL) != 0 || strcmp(data, buf) != 0) s->bad++;
        cf_future_free(f[i]);
    }
    return NULL;
}

START_TEST(test_many_submitting_threads_get_their_results) {
    cf_executor *ex = lt_new(CF_THREAD, 3);
    pthread_t th[4];
    submitter s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (submitter){ex, i, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, submit_many, &s[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(s[i].bad, 0);
    }
    cf_executor_free(ex);
}
END_TEST

/* Shutdown from another thread while submitters run: every submit either
 * gets a future that completes, or CF_ESHUTDOWN. */
static void *submit_until_refused(void *arg) {
    submitter *s = arg;
    for (int i = 0; i < 100000; i++) {
        cf_future *f = NULL;
        int rc = cf_submit(s->ex, lt_t_echo, "e", 1, &f);
        if (rc == CF_ESHUTDOWN) return NULL;
        if (rc != 0 || cf_future_result(f, 20.0, NULL, NULL) != 0) s->bad++;
        cf_future_free(f);
    }
    s->bad++; /* never refused */
    return NULL;
}

START_TEST(test_shutdown_while_threads_submit) {
    cf_executor *ex = lt_new(CF_THREAD, 2);
    pthread_t th[3];
    submitter s[3];
    for (int i = 0; i < 3; i++) {
        s[i] = (submitter){ex, i, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, submit_until_refused, &s[i]), 0);
    }
    lt_sleep_ms(20);
    ck_assert_int_eq(cf_executor_shutdown(ex, 1, 0), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(s[i].bad, 0);
    }
    cf_executor_free(ex);
}
END_TEST

static Suite *thread_pool_suite(void) {
    Suite *s = suite_create("thread_pool");
    TCase *tc = tcase_create("concurrency");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_two_workers_run_two_tasks_at_once);
    tcase_add_test(tc, test_every_worker_has_its_own_index);
    tcase_add_test(tc, test_worker_index_in_range);
    tcase_add_test(tc, test_default_pool_runs_all_workers_at_once);
    tcase_add_test(tc, test_many_submitting_threads_get_their_results);
    tcase_add_test(tc, test_shutdown_while_threads_submit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    lt_register_tasks();
    t_meet = cf_task_register("tp.meet", rendezvous);
    return lt_run_suite(thread_pool_suite());
}
