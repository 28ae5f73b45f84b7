/* libuv.c -- peer: libuv's thread pool (uv_queue_work) on no-op tasks.
 *
 * Queue every task, then run the loop until every after_work callback has
 * run on the loop thread: the same submit-all-then-collect-all shape as
 * `cfbench overhead`'s submit. The pool size comes from UV_THREADPOOL_SIZE,
 * read once, when the first work is queued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "peer.h"

static long done;

static void work(uv_work_t *w) {
    (void)w; /* the no-op task, on a pool thread */
}

static void after_work(uv_work_t *w, int status) {
    (void)w;
    if (status == 0) done++; /* the result, back on the loop thread */
}

static peer_cost run(uv_loop_t *loop, uv_work_t *reqs, long n) {
    done = 0;
    peer_cost c = peer_start();
    for (long i = 0; i < n; i++)
        if (uv_queue_work(loop, &reqs[i], work, after_work) != 0) abort();
    uv_run(loop, UV_RUN_DEFAULT);
    c = peer_stop(c);
    if (done != n) abort();
    return c;
}

int main(int argc, char **argv) {
    long n;
    int workers;
    char size[16];
    peer_args(argc, argv, &n, &workers);
    snprintf(size, sizeof size, "%d", workers);
    setenv("UV_THREADPOOL_SIZE", size, 1);
    uv_work_t *reqs = calloc((size_t)n, sizeof *reqs);
    if (!reqs) return 1;
    peer_cost best = {0};
    for (int r = 0; r < PEER_REPEAT; r++)
        peer_keep(&best, run(uv_default_loop(), reqs, n));
    peer_row("libuv-threadpool", "queue_work", 1, n, best);
    free(reqs);
    return uv_loop_close(uv_default_loop()) == 0 ? 0 : 1;
}
