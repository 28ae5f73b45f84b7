/* libuv.c -- peer: libuv's thread pool (uv_queue_work) on no-op tasks.
 *
 * Queue every task, then run the loop until every after_work callback has
 * run on the loop thread: the same submit-all-then-collect-all shape as
 * `cfbench overhead`'s submit. The pool size comes from UV_THREADPOOL_SIZE,
 * read once, when the first work is queued.
 *
 * queue_work-4p: four producer threads submit to the one pool. A loop is
 * single-threaded (uv_queue_work must be called on its thread), so each
 * producer runs a loop of its own and queues a quarter of the tasks on it:
 * libuv's thread pool is one per process, shared by every loop, so this is
 * four submitters and one pool of WORKERS threads, as ours. (Funnelling
 * four threads through one loop with uv_async_send would measure the
 * async hand-off, not the pool.)
 *
 * pending-bytes: what a queued, unstarted uv_work_t costs: the pool's
 * threads held by gate works, 1,000,000 requests allocated (by the caller,
 * as libuv wants: the queue node lives inside uv_work_t) and queued; RSS
 * growth per request. The figure is bytes, not µs.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include "peer.h"

static _Thread_local long done;

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

typedef struct {
    uv_work_t *reqs;
    long n;
} producer;

static void *produce(void *p) {
    producer *q = p;
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) abort();
    run(&loop, q->reqs, q->n);
    if (uv_loop_close(&loop) != 0) abort();
    return NULL;
}

static peer_cost run_producers(uv_work_t *reqs, long n) {
    producer q[4];
    pthread_t th[4];
    peer_cost c = peer_start();
    for (int i = 0; i < 4; i++) {
        q[i] = (producer){reqs + n / 4 * i, n / 4};
        if (pthread_create(&th[i], NULL, produce, &q[i]) != 0) abort();
    }
    for (int i = 0; i < 4; i++)
        if (pthread_join(th[i], NULL) != 0) abort();
    return peer_stop(c);
}

static atomic_int open_gate;

static void gate(uv_work_t *w) {
    (void)w;
    while (!atomic_load(&open_gate))
        usleep(1000);
}

static long resident_bytes(void) {
    long size, pages = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL || fscanf(f, "%ld %ld", &size, &pages) != 2) abort();
    fclose(f);
    return pages * sysconf(_SC_PAGESIZE);
}

#define PENDING 1000000
static double pending_bytes(uv_loop_t *loop, int workers) {
    uv_work_t *g = calloc((size_t)workers, sizeof *g);
    if (!g) abort();
    done = 0;
    for (int i = 0; i < workers; i++)
        if (uv_queue_work(loop, &g[i], gate, after_work) != 0) abort();
    usleep(20000); /* the gates reach the pool's threads */
    long before = resident_bytes();
    uv_work_t *reqs = calloc(PENDING, sizeof *reqs);
    if (!reqs) abort();
    for (long i = 0; i < PENDING; i++)
        if (uv_queue_work(loop, &reqs[i], work, after_work) != 0) abort();
    long after = resident_bytes();
    atomic_store(&open_gate, 1);
    uv_run(loop, UV_RUN_DEFAULT);
    if (done != PENDING + workers) abort();
    free(reqs);
    free(g);
    return (double)(after - before) / PENDING;
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
    best = (peer_cost){0};
    for (int r = 0; r < PEER_REPEAT; r++)
        peer_keep(&best, run_producers(reqs, n));
    peer_row("libuv-threadpool", "queue_work-4p", 1, n / 4 * 4, best);
    /* bytes in the us_per_task column, as cfbench overhead's pending-bytes rows */
    printf("libuv-threadpool,pending-bytes,0,%d,%.4f,0,0,0,0\n", PENDING,
           pending_bytes(uv_default_loop(), workers));
    free(reqs);
    return uv_loop_close(uv_default_loop()) == 0 ? 0 : 1;
}
