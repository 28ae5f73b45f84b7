/* map_order.c -- what map and as_completed give, and when, and what map's
 * timeout means.
 *
 * Four tasks sleep 80, 60, 40 and 20 ms on four threads, so they end in the
 * reverse of their input order.
 *   1. as_completed gives each future as it ends: completion order.
 *   2. map gives results in input order, lazily: cf_map returns at once and
 *      each result comes when it is ready, not all at the end (here the
 *      tasks sleep 20, 40, 60, 80 ms; with 80 first, all four would come
 *      at 80 ms, in input order still).
 *   3. map's timeout is one deadline counted from the call, not a limit
 *      per task: one worker, 50 ms tasks, timeout 120 ms. No task takes
 *      longer than 120 ms, yet the third result is due at 150 ms: the
 *      iteration ends there and the tasks not yet started are cancelled.
 *   4. The same map, iterated only after shutdown(wait) -- as when a
 *      `with` block returns executor.map(...) -- never times out: every
 *      result is ready by then.
 *
 * build/examples/map_order */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../lib/cfutures.h"

static int64_t t0;

static double ms_since_t0(void) {
    return (cf_now_ns() - t0) / 1e6;
}

/* Sleeps the int milliseconds it is given and returns them. */
static int nap(const void *in, size_t len, cf_out *out) {
    int ms;
    if (len != sizeof ms) return 1;
    memcpy(&ms, in, sizeof ms);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return cf_out_set(out, &ms, sizeof ms);
}

static const int naps[] = {80, 60, 40, 20};
static const size_t nap_len[] = {sizeof(int), sizeof(int), sizeof(int), sizeof(int)};

static const int rising[] = {20, 40, 60, 80};
static const void *const rising_in[] = {&rising[0], &rising[1], &rising[2], &rising[3]};

static const int even[] = {50, 50, 50, 50};
static const void *const even_in[] = {&even[0], &even[1], &even[2], &even[3]};

static cf_executor *pool(int workers) {
    cf_options o = CF_OPTIONS_INIT;
    cf_executor *ex;
    o.max_workers = workers;
    return cf_executor_new(CF_THREAD, &o, &ex) == 0 ? ex : NULL;
}

/* Prints each item of a map as it comes, until the iteration ends. */
static void drain(cf_map_iter *m) {
    const void *r;
    int rc;
    while ((rc = cf_map_next(m, &r, NULL)) != CF_EOF) {
        if (rc == 0)
            printf("  at %3.0f ms: input %zu (%d ms)\n", ms_since_t0(), cf_map_index(m),
                   *(const int *)r);
        else
            printf("  at %3.0f ms: %s\n", ms_since_t0(), cf_err_name(rc));
    }
    printf("  at %3.0f ms: end of the iteration\n", ms_since_t0());
}

int main(void) {
    const cf_task *t = cf_task_register("nap", nap);
    cf_executor *ex;
    cf_future *fs[4];
    cf_map_iter *m;

    printf("1. as_completed: completion order\n");
    if (!(ex = pool(4))) return 1;
    t0 = cf_now_ns();
    for (int i = 0; i < 4; i++)
        if (cf_submit(ex, t, &naps[i], sizeof naps[i], &fs[i]) != 0) return 1;
    cf_as_completed *ac;
    cf_future *f;
    size_t idx;
    if (cf_as_completed_new(fs, 4, CF_FOREVER, &ac) != 0) return 1;
    while (cf_as_completed_next(ac, &f, &idx) == 0)
        printf("  at %3.0f ms: input %zu (%d ms)\n", ms_since_t0(), idx, naps[idx]);
    cf_as_completed_free(ac);
    for (int i = 0; i < 4; i++)
        cf_future_free(fs[i]);

    printf("2. map: input order, each result as soon as it and those before it are done\n");
    t0 = cf_now_ns();
    if (cf_map_array(ex, t, rising_in, nap_len, 4, NULL, &m) != 0) return 1;
    printf("  at %3.0f ms: cf_map returned\n", ms_since_t0());
    drain(m);
    cf_map_free(m);
    cf_executor_free(ex);

    cf_map_options mo = CF_MAP_OPTIONS_INIT;
    mo.timeout = 0.120;
    printf("3. map, one worker, four 50 ms tasks, timeout 120 ms: one deadline for all\n");
    if (!(ex = pool(1))) return 1;
    t0 = cf_now_ns();
    if (cf_map_array(ex, t, even_in, nap_len, 4, &mo, &m) != 0) return 1;
    drain(m);
    cf_map_free(m);
    cf_executor_free(ex);

    printf("4. the same, iterated after shutdown(wait), as after a `with` block\n");
    if (!(ex = pool(1))) return 1;
    t0 = cf_now_ns();
    if (cf_map_array(ex, t, even_in, nap_len, 4, &mo, &m) != 0) return 1;
    cf_executor_shutdown(ex, 1, 0);
    printf("  at %3.0f ms: shutdown(wait) returned\n", ms_since_t0());
    drain(m);
    cf_map_free(m);
    cf_executor_free(ex);
    return 0;
}
