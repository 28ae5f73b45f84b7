/* machine.c -- the rest of the machine's CPU use, from /proc/stat. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"

static double tick_ms(void) {
    long hz = sysconf(_SC_CLK_TCK);
    return 1000.0 / (double)(hz > 0 ? hz : 100);
}

static double online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (double)n : 1.0;
}

int machine_read(machine_sample *s) {
    const char *path = getenv("CFBENCH_PROC_STAT");
    unsigned long long v[8] = {0};
    char line[512];
    FILE *f = fopen(path != NULL && *path ? path : "/proc/stat", "re");

    memset(s, 0, sizeof *s);
    if (f == NULL) return -1;
    char *got = fgets(line, sizeof line, f);
    (void)fclose(f);
    /* cpu  user nice system idle iowait irq softirq steal [guest guest_nice]:
     * guest time is inside user and nice already. */
    if (got == NULL || sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                              &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 7)
        return -1;
    double t = tick_ms();
    s->busy_ms = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) * t;
    s->steal_ms = (double)v[7] * t;
    s->ok = 1;
    return 0;
}

double machine_other_ms(const machine_sample *a, const machine_sample *b, double own_ms) {
    if (!a->ok || !b->ok || isnan(own_ms)) return NAN;
    return b->busy_ms - a->busy_ms - own_ms;
}

double machine_cores(double other_ms, double wall_ms) {
    if (isnan(other_ms) || isnan(wall_ms) || wall_ms <= 0.0) return NAN;
    double c = other_ms / wall_ms, most = online_cpus();
    return c < 0.0 ? 0.0 : c > most ? most : c;
}

double machine_steal(const machine_sample *a, const machine_sample *b, double wall_ms) {
    if (!a->ok || !b->ok) return NAN;
    return machine_cores(b->steal_ms - a->steal_ms, wall_ms);
}

double machine_load(void) {
    double l[1];
    return getloadavg(l, 1) == 1 ? l[0] : NAN;
}

double machine_resolution(double wall_ms) {
    return wall_ms > 0.0 ? tick_ms() * online_cpus() / wall_ms : INFINITY;
}
