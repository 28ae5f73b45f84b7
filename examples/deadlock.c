/* deadlock.c -- the blog's two thread-pool deadlocks, which hang in Python,
 * returning CF_EDEADLK here instead.
 *
 * 1. One worker; its task submits a second task to the same pool and waits
 *    for it. The second task is queued behind the first, which holds the
 *    only worker: the wait can never end.
 * 2. Two workers; task A waits for task B's result while B waits for A's.
 *
 * build/examples/deadlock */
#include <stdio.h>
#include <string.h>

#include <cfutures.h>

static cf_executor *pool;
static const cf_task *t_square, *t_waits_on_child, *t_waits_on_peer;
static cf_future *peer[2]; /* A and B, for case 2 */

static int square(const void *in, size_t len, cf_out *out) {
    long x;
    if (len != sizeof x) return 1;
    memcpy(&x, in, sizeof x);
    x *= x;
    return cf_out_set(out, &x, sizeof x);
}

/* Case 1: submit to our own pool, then wait. */
static int waits_on_child(const void *in, size_t len, cf_out *out) {
    cf_future *child;
    long five = 5;
    (void)in, (void)len;
    if (cf_submit(pool, t_square, &five, sizeof five, &child) != 0) return 1;
    int r = cf_future_result(child, CF_FOREVER, NULL, NULL);
    cf_out_error(out, "waiting on my own child task: %s", cf_err_name(r));
    cf_future_free(child);
    return r;
}

/* Case 2: task i waits for task 1 - i. */
static int waits_on_peer(const void *in, size_t len, cf_out *out) {
    int me = *(const int *)in;
    (void)len;
    cf_future *other;
    /* Both futures exist before either waits. */
    while (!(other = __atomic_load_n(&peer[1 - me], __ATOMIC_ACQUIRE))) {
    }
    int r = cf_future_result(other, CF_FOREVER, NULL, NULL);
    cf_out_error(out, "task %c waiting on task %c: %s", 'A' + me, 'B' - me, cf_err_name(r));
    return r;
}

static void report(const char *what, cf_future *f) {
    const char *msg;
    int r = cf_future_result(f, CF_FOREVER, NULL, NULL);
    int st = cf_future_error(f, &msg);
    printf("%s: %s", what, cf_err_name(r));
    if (r == CF_ETASK) printf(" (status %s: %s)", cf_err_name(st), msg);
    printf("\n");
}

int main(void) {
    t_square = cf_task_register("square", square);
    t_waits_on_child = cf_task_register("waits_on_child", waits_on_child);
    t_waits_on_peer = cf_task_register("waits_on_peer", waits_on_peer);

    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = 1;
    if (cf_executor_new(CF_THREAD, &o, &pool) != 0) return 1;
    cf_future *f;
    if (cf_submit(pool, t_waits_on_child, NULL, 0, &f) != 0) return 1;
    report("1 worker, a task waits on a task queued behind it", f);
    cf_future_free(f);
    cf_executor_free(pool);

    o.max_workers = 2;
    if (cf_executor_new(CF_THREAD, &o, &pool) != 0) return 1;
    int ida = 0, idb = 1;
    cf_future *a, *b;
    if (cf_submit(pool, t_waits_on_peer, &ida, sizeof ida, &a) != 0) return 1;
    if (cf_submit(pool, t_waits_on_peer, &idb, sizeof idb, &b) != 0) return 1;
    __atomic_store_n(&peer[0], a, __ATOMIC_RELEASE);
    __atomic_store_n(&peer[1], b, __ATOMIC_RELEASE);
    report("2 workers, task A waits on B", a);
    report("2 workers, task B waits on A", b);
    cf_executor_free(pool);
    cf_future_free(a);
    cf_future_free(b);
    return 0;
}
