/* pool_cases.c -- the process pool inside a real program, measured: cancel
 * after a warm-up, spreading, a fast task behind a slow one, a slow
 * initializer under task_timeout, a task's background helper, and a fork
 * the program makes for its own reasons. Prints one line per case, with
 * the seconds it took; build/examples/pool_cases takes about 8 s. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfutures.h"

static int noop(const void *in, size_t len, cf_out *out) {
    (void)in;
    (void)len;
    (void)out;
    return 0;
}

/* Sleeps the milliseconds its input names; answers with its worker. */
static int nap(const void *in, size_t len, cf_out *out) {
    char ms[16] = {0};
    memcpy(ms, in, len < sizeof ms - 1 ? len : sizeof ms - 1);
    usleep((useconds_t)atoi(ms) * 1000);
    int w = cf_worker_index();
    return cf_out_set(out, &w, sizeof w);
}

static int start_helper(const void *in, size_t len, cf_out *out) {
    (void)in;
    (void)len;
    (void)out;
    return system("sleep 4 &");
}

static int crash(const void *in, size_t len, cf_out *out) {
    (void)in;
    (void)len;
    (void)out;
    abort();
}

static int slow_init(void *arg) {
    (void)arg;
    usleep(1500000);
    return 0;
}

static const cf_task *t_noop, *t_nap, *t_helper, *t_crash;

static double now(void) {
    return (double)cf_now_ns() / 1e9;
}

static cf_executor *pool(int workers, double timeout, int per_child, cf_init_fn init) {
    cf_options o = CF_OPTIONS_INIT;
    o.max_workers = workers;
    o.task_timeout = timeout;
    o.max_tasks_per_child = per_child;
    o.initializer = init;
    cf_executor *ex = NULL;
    if (cf_executor_new(CF_PROCESS, &o, &ex) != 0) {
        fprintf(stderr, "pool_cases: cannot start a pool\n");
        exit(1);
    }
    return ex;
}

/* Thousands of no-op tasks: the pool learns that tasks are tiny. */
static void warm_up(cf_executor *ex) {
    enum { N = 5000 };
    static const void *data[N];
    static size_t len[N];
    cf_map_iter *m;
    if (cf_map_array(ex, t_noop, data, len, N, NULL, &m) != 0) exit(1);
    while (cf_map_next(m, NULL, NULL) != CF_EOF)
        ;
    cf_map_free(m);
}

static int result(cf_future *f) {
    int r = cf_future_result(f, CF_FOREVER, NULL, NULL);
    cf_future_free(f);
    return r;
}

static void cancel_after_warm_up(void) {
    cf_executor *ex = pool(5, 0, 0, NULL);
    warm_up(ex);
    cf_future *fs[50];
    for (int i = 0; i < 50; i++)
        cf_submit(ex, t_nap, "100", 3, &fs[i]);
    usleep(60000);
    int running = 0, cancelled = 0;
    for (int i = 0; i < 50; i++)
        running += cf_future_running(fs[i]);
    for (int i = 0; i < 50; i++)
        cancelled += cf_future_cancel(fs[i]);
    printf("cancel: 50 tasks of 0.1 s on 5 warm workers: %d running, %d cancelled\n", running,
           cancelled);
    for (int i = 0; i < 50; i++)
        cf_future_free(fs[i]);
    int per[5] = {0};
    double t0 = now();
    for (int i = 0; i < 50; i++)
        cf_submit(ex, t_nap, "100", 3, &fs[i]);
    for (int i = 0; i < 50; i++) {
        const void *w;
        if (cf_future_result(fs[i], CF_FOREVER, &w, NULL) == 0) per[*(const int *)w % 5]++;
        cf_future_free(fs[i]);
    }
    printf("spread: the same 50 run in %.2f s, per worker %d %d %d %d %d\n", now() - t0, per[0],
           per[1], per[2], per[3], per[4]);
    cf_executor_free(ex);
}

static void fast_behind_slow(void) {
    cf_executor *ex = pool(2, 1.0, 0, NULL);
    warm_up(ex);
    cf_future *slow, *fast;
    double t0 = now();
    cf_submit(ex, t_nap, "3000", 4, &slow);
    cf_submit(ex, t_nap, "0", 1, &fast);
    int r = result(fast);
    printf("fast behind slow (task_timeout 1 s): fast %s after %.2f s", cf_err_name(r), now() - t0);
    r = result(slow);
    printf(", slow %s after %.2f s\n", cf_err_name(r), now() - t0);
    cf_executor_free(ex);
}

static void slow_initializer(void) {
    double t0 = now();
    cf_executor *ex = pool(2, 1.0, 0, slow_init);
    cf_future *f;
    cf_submit(ex, t_nap, "10", 2, &f);
    int r = result(f);
    printf("1.5 s initializer, task_timeout 1 s: %s after %.2f s\n", cf_err_name(r), now() - t0);
    cf_executor_free(ex);
}

static void background_helper(void) {
    cf_executor *ex = pool(1, 0, 1, NULL);
    cf_future *f;
    cf_submit(ex, t_helper, NULL, 0, &f);
    result(f);
    double t0 = now();
    cf_submit(ex, t_noop, NULL, 0, &f);
    int r = result(f);
    printf("after a task left 'sleep 4 &' behind: next task %s after %.2f s", cf_err_name(r),
           now() - t0);
    t0 = now();
    cf_submit(ex, t_crash, NULL, 0, &f);
    r = result(f);
    printf(", a crash seen as %s after %.2f s\n", cf_err_name(r), now() - t0);
    cf_executor_free(ex);
}

static void stranger_fork(void) {
    cf_executor *ex = pool(2, 0, 0, NULL);
    pid_t k = fork();
    if (k == 0) {
        sleep(5);
        _exit(0);
    }
    double t0 = now();
    cf_executor_free(ex);
    printf("cf_executor_free while a 5 s child of ours holds its pipes: %.2f s\n", now() - t0);
    if (k > 0) {
        kill(k, SIGKILL);
        waitpid(k, NULL, 0);
    }
}

int main(void) {
    t_noop = cf_task_register("noop", noop);
    t_nap = cf_task_register("nap", nap);
    t_helper = cf_task_register("start_helper", start_helper);
    t_crash = cf_task_register("crash", crash);
    if (!t_noop || !t_nap || !t_helper || !t_crash) return 1;
    cancel_after_warm_up();
    fast_behind_slow();
    slow_initializer();
    background_helper();
    stranger_fork();
    return 0;
}
