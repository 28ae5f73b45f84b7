// tbb.cpp -- peer: oneTBB's task_group on no-op tasks.
//
// run() every task, then wait(): TBB's submit-then-wait, on a work-stealing
// arena of WORKERS threads (the caller is one of them). run+wait-4p: four
// producer threads, each with its own task_group, run a quarter of the
// tasks and wait for them, on the same arena (at most WORKERS threads in
// all run tasks: TBB's own model, where a waiting producer runs tasks too).
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_group.h>
#include <thread>

#include "peer.h"

static volatile long sink; // the task's only effect, so that it is not optimised away

static peer_cost run(long n) {
    peer_cost c = peer_start();
    tbb::task_group g;
    for (long i = 0; i < n; i++)
        g.run([i] { sink = i; });
    g.wait();
    return peer_stop(c);
}

static peer_cost run_producers(long n) {
    peer_cost c = peer_start();
    std::thread p[4];
    for (auto &t : p)
        t = std::thread([n] { run(n / 4); });
    for (auto &t : p)
        t.join();
    return peer_stop(c);
}

int main(int argc, char **argv) {
    long n;
    int workers;
    peer_args(argc, argv, &n, &workers);
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, (size_t)workers);
    run(n / 10 + 1); // start the arena's threads before the clock, as a pool is
    peer_cost best = {};
    for (int r = 0; r < PEER_REPEAT; r++)
        peer_keep(&best, run(n));
    peer_row("tbb-task_group", "run+wait", 1, n, best);
    best = {};
    for (int r = 0; r < PEER_REPEAT; r++)
        peer_keep(&best, run_producers(n));
    peer_row("tbb-task_group", "run+wait-4p", 1, n / 4 * 4, best);
    return 0;
}
