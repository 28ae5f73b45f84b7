/* probe.h -- the no-op task and the pool-cost probe that `cfbench run`
 * (its teaching notes) and `cfbench overhead` share.
 */
#ifndef BENCH_PROBE_H
#define BENCH_PROBE_H

#include <stdatomic.h>
#include <stddef.h>

#include "../lib/cfutures.h"

/* The no-op task (empty input, empty output), registered on first call:
 * call it before any process pool forks. NULL if it cannot register. */
const cf_task *probe_task(void);

/* probe_task() also registers "cfbench.echo" (returns its input) and
 * "cfbench.gate" (holds its worker, polling every millisecond, until the
 * word given here is set: a MAP_SHARED word mapped before a process pool
 * forks reaches its workers too; NULL lets gates pass). */
void probe_gate_use(_Atomic int *word);

/* Maps n no-op tasks through the started pool ex at chunksize and returns
 * the seconds it took (map to the last result), or a negative CF_E* code. */
double probe_map_s(cf_executor *ex, size_t n, int chunksize);

/* The pool's own cost per task in µs: 2000 no-op tasks mapped through a
 * started pool of kind with options o, best of 3. NaN if it could not be
 * measured. */
double probe_pool_cost_us(cf_kind kind, const cf_options *o, int chunksize);

/* What making and shutting down an idle pool of kind with options o
 * costs, in µs, best of 3 (the model's start-up: bench/budget.h). NaN if
 * it could not be measured. */
double probe_pool_startup_us(cf_kind kind, const cf_options *o);

#endif
