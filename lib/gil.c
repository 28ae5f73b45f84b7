/* gil.c -- an emulated Global Interpreter Lock, after CPython's ceval_gil.c.
 *
 * One lock for the whole process. `locked` and `holder` say who runs
 * Python-level work. A thread that wants the lock waits on `cv` for at
 * most the switch interval; if nobody switched meanwhile it raises
 * `drop_request`, which the holder reads (one relaxed atomic load) at each
 * cf_gil_check(). The holder then drops the lock and waits on `switched`
 * until another thread has taken it, so that it cannot grab it straight
 * back: that is what keeps a CPU-bound thread from starving the others.
 *
 * Locks: `mu` guards every field but drop_request (atomic) and the
 * counters (atomic). Each thread knows whether it is a GIL thread and
 * whether it holds the lock through thread-locals only it touches.
 */
#include <errno.h>

#include "internal.h"

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* the lock was dropped */
    pthread_cond_t switched; /* someone took it after a forced drop */
    int locked;              /* guarded by mu */
    uint64_t switches;       /* guarded by mu: takes so far */
    atomic_int drop_request;
    atomic_uint_least64_t acquisitions, forced, wait_ns;
} gil = {PTHREAD_MUTEX_INITIALIZER,
         PTHREAD_COND_INITIALIZER,
         PTHREAD_COND_INITIALIZER,
         0,
         0,
         0,
         0,
         0,
         0};

static __thread int64_t my_interval; /* > 0: this thread runs under the GIL */
static __thread int held;            /* this thread holds it now */

static void take(void) {
    int64_t t0 = cf_now_ns();
    pthread_mutex_lock(&gil.mu);
    while (gil.locked) {
        uint64_t seen = gil.switches;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts); /* gil.cv uses the default clock */
        ts.tv_nsec += my_interval % 1000000000;
        ts.tv_sec += my_interval / 1000000000 + ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        int r = pthread_cond_timedwait(&gil.cv, &gil.mu, &ts);
        if (r == ETIMEDOUT && gil.locked && gil.switches == seen) {
            atomic_store_explicit(&gil.drop_request, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&gil.forced, 1, memory_order_relaxed);
        }
    }
    gil.locked = 1;
    gil.switches++;
    atomic_store_explicit(&gil.drop_request, 0, memory_order_relaxed);
    pthread_cond_broadcast(&gil.switched);
    pthread_mutex_unlock(&gil.mu);
    held = 1;
    atomic_fetch_add_explicit(&gil.acquisitions, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&gil.wait_ns, (uint64_t)(cf_now_ns() - t0), memory_order_relaxed);
}

/* forced: wait until another thread took the lock before returning. */
static void drop(int forced) {
    pthread_mutex_lock(&gil.mu);
    gil.locked = 0;
    held = 0;
    uint64_t seen = gil.switches;
    pthread_cond_signal(&gil.cv);
    while (forced && gil.switches == seen && !gil.locked)
        pthread_cond_wait(&gil.switched, &gil.mu);
    pthread_mutex_unlock(&gil.mu);
}

void cf__gil_enter(double interval) {
    /* Validated by cf_executor_new (> 0, not NaN); +inf: never forced. */
    my_interval = interval > 1e9 ? (int64_t)1e18 : (int64_t)(interval * 1e9);
    if (my_interval < 1000) my_interval = 1000;
    take();
}

void cf__gil_leave(void) {
    if (held) drop(0);
    my_interval = 0;
}

void cf_gil_check(void) {
    if (held && atomic_load_explicit(&gil.drop_request, memory_order_relaxed)) {
        drop(1);
        take();
    }
}

void cf_gil_release(void) {
    if (held) drop(0);
}

void cf_gil_acquire(void) {
    if (my_interval > 0 && !held) take();
}

int cf__gil_pause(void) {
    if (!held) return 0;
    drop(0);
    return 1;
}

void cf__gil_resume(int paused) {
    if (paused) take();
}

void cf_gil_stats_get(cf_gil_stats *out) {
    out->acquisitions = atomic_load(&gil.acquisitions);
    out->forced = atomic_load(&gil.forced);
    out->wait_ns = atomic_load(&gil.wait_ns);
}

void cf_gil_stats_reset(void) {
    atomic_store(&gil.acquisitions, 0);
    atomic_store(&gil.forced, 0);
    atomic_store(&gil.wait_ns, 0);
}
