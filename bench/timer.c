/* timer.c -- wall, CPU and peak memory of one benchmark run. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "../lib/cfutures.h"
#include "timer.h"

static double tv_ms(struct timeval a, struct timeval b) {
    return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_usec - a.tv_usec) / 1e3;
}

/* Writing "5" to clear_refs resets the peak RSS (VmHWM) that getrusage
 * reports, so each run gets its own peak instead of the process's
 * lifetime high-water mark. Best effort: old kernels or a read-only /proc
 * leave the lifetime peak, which is still an upper bound. */
static void reset_peak_rss(void) {
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (write(fd, "5", 1) != 1) {
        /* Nothing to do: the value stays a lifetime peak. */
    }
    (void)close(fd);
}

int timer_start(bench_timer *t) {
    reset_peak_rss();
    (void)machine_read(&t->m0); /* m0.ok 0: other_cpu unknown */
    if (getrusage(RUSAGE_SELF, &t->self0) != 0 || getrusage(RUSAGE_CHILDREN, &t->child0) != 0)
        return -1;
    /* The wall clock last, so that the rusage calls are not timed. */
    t->t0_ns = cf_now_ns();
    return 0;
}

int timer_stop(const bench_timer *t, bench_times *out) {
    struct rusage self, child;
    int64_t t1_ns = cf_now_ns();
    machine_sample m1;

    if (getrusage(RUSAGE_SELF, &self) != 0 || getrusage(RUSAGE_CHILDREN, &child) != 0) return -1;
    (void)machine_read(&m1);
    out->wall_ms = (double)(t1_ns - t->t0_ns) / 1e6;
    out->user_ms =
        tv_ms(t->self0.ru_utime, self.ru_utime) + tv_ms(t->child0.ru_utime, child.ru_utime);
    out->sys_ms =
        tv_ms(t->self0.ru_stime, self.ru_stime) + tv_ms(t->child0.ru_stime, child.ru_stime);
    out->vol_cs = (self.ru_nvcsw - t->self0.ru_nvcsw) + (child.ru_nvcsw - t->child0.ru_nvcsw);
    out->invol_cs = (self.ru_nivcsw - t->self0.ru_nivcsw) + (child.ru_nivcsw - t->child0.ru_nivcsw);
    out->max_rss_kb = self.ru_maxrss > child.ru_maxrss ? self.ru_maxrss : child.ru_maxrss;
    out->other_ms = machine_other_ms(&t->m0, &m1, out->user_ms + out->sys_ms);
    out->other_cpu = machine_cores(out->other_ms, out->wall_ms);
    out->steal_cpu = machine_steal(&t->m0, &m1, out->wall_ms);
    out->load = machine_load();
    return 0;
}

long long timer_start_ns(const bench_timer *t) {
    return t->t0_ns;
}
