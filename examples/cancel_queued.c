/* cancel_queued.c -- which futures can still be cancelled: one worker,
 * four tasks of 300 ms submitted at once, then cf_future_cancel() on each,
 * in order, on a thread pool and a process pool. The twin of
 * workloads/python/cancel_queued.py, whose process pool refuses one more
 * (it marks the task in its call queue RUNNING before a worker has begun
 * it); here a task is RUNNING only once a worker has begun it, on either
 * pool, so only the first refuses. */
#include <stdio.h>
#include <unistd.h>

#include "cfutures.h"

static int nap(const void *in, size_t len, cf_out *out) {
    (void)in;
    (void)len;
    (void)out;
    usleep(300 * 1000);
    return 0;
}

int main(void) {
    const cf_task *t = cf_task_register("nap", nap);
    const cf_kind kinds[] = {CF_THREAD, CF_PROCESS};
    for (size_t k = 0; k < 2; k++) {
        cf_options o = CF_OPTIONS_INIT;
        o.max_workers = 1;
        cf_executor *ex;
        cf_future *fs[4];
        if (cf_executor_new(kinds[k], &o, &ex) != 0) return 1;
        for (int i = 0; i < 4; i++)
            if (cf_submit(ex, t, NULL, 0, &fs[i]) != 0) return 1;
        usleep(100 * 1000); /* the first has started */
        const char *state[4];
        for (int i = 0; i < 4; i++)
            state[i] = cf_future_running(fs[i]) ? "RUNNING" : "PENDING";
        printf("%s pool, 1 worker, 4 tasks: cancel() gave", cf_kind_name(kinds[k]));
        for (int i = 0; i < 4; i++)
            printf("%s %s", i ? "," : "", cf_future_cancel(fs[i]) ? "True" : "False");
        printf(" ; states before: %s, %s, %s, %s\n", state[0], state[1], state[2], state[3]);
        cf_executor_free(ex);
        for (int i = 0; i < 4; i++)
            cf_future_free(fs[i]);
    }
    return 0;
}
