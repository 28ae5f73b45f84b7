/* openmp.c -- peer: OpenMP tasks on no-op tasks.
 *
 * One thread of a team creates every task, the team runs them, taskwait
 * collects them all: OpenMP's own submit-then-wait. Built with -fopenmp.
 */
#include <omp.h>
#include <stdlib.h>

#include "peer.h"

static volatile long sink; /* the task's only effect, so that it is not optimised away */

static peer_cost run(long n, int workers) {
    peer_cost c = peer_start();
#pragma omp parallel num_threads(workers)
#pragma omp single
    {
        for (long i = 0; i < n; i++) {
#pragma omp task firstprivate(i)
            sink = i;
        }
#pragma omp taskwait
    }
    return peer_stop(c);
}

int main(int argc, char **argv) {
    long n;
    int workers;
    peer_args(argc, argv, &n, &workers);
    run(n / 10 + 1, workers); /* start the team's threads before the clock, as a pool is */
    peer_cost best = {0};
    for (int r = 0; r < PEER_REPEAT; r++)
        peer_keep(&best, run(n, workers));
    peer_row("openmp-tasks", "task+taskwait", 1, n, best);
    return 0;
}
