/* machine.h -- what the rest of the machine did while a run ran: other
 * processes' CPU, steal time and load, from /proc.
 *
 * A run's other_cpu is the cores kept busy by anything but this process
 * tree, averaged over the run: the busy time /proc/stat counts on all CPUs
 * (user, nice, system, irq, softirq) over the run, less this process's and
 * its reaped children's CPU time (getrusage SELF + CHILDREN, which the
 * caller measured), divided by the wall time. A process pool's workers are
 * reaped at shutdown, inside the run, so they count as this tree's. What
 * is not reaped within the run counts as other work: the download
 * workload's loopback server (a child that lives across runs, mostly
 * asleep at its rate limit) and fork-server workers (reaped by the server,
 * until it relays their rusage).
 *
 * /proc/stat counts in clock ticks (1/100 s) per CPU: a run shorter than
 * about 50 ms reads other_cpu coarsely (a tick more or less on each CPU),
 * so machine_resolution() gives the error to allow for, and a point's
 * figure pools its reps' unclamped shares (summary.c).
 *
 * Steal is time the hypervisor gave this machine's CPUs to other guests,
 * in cores over the run; load is the 1-minute load average at the end
 * (this tree's runnable threads included).
 */
#ifndef BENCH_MACHINE_H
#define BENCH_MACHINE_H

/* A reading of the machine's CPU counters, in ms summed over all CPUs. */
typedef struct machine_sample {
    double busy_ms, steal_ms;
    int ok; /* 0: /proc/stat could not be read */
} machine_sample;

/* More busy than this, in cores, and the machine was shared. */
#define MACHINE_SHARED_CORES 0.2

/* Reads /proc/stat (or $CFBENCH_PROC_STAT, for tests) into *s. Returns 0,
 * or -1 (s->ok 0) if it could not be read. */
int machine_read(machine_sample *s);

/* The busy ms of other work between samples a and b, this tree's CPU
 * (own_ms) taken out: may be below 0 by the ticks' rounding; NaN if a
 * sample failed. */
double machine_other_ms(const machine_sample *a, const machine_sample *b, double own_ms);

/* other_ms over wall_ms as cores, clamped to [0, online CPUs]; NaN if
 * either is NaN or wall_ms is not positive. */
double machine_cores(double other_ms, double wall_ms);

/* Steal between a and b over wall_ms, in cores; NaN as above. */
double machine_steal(const machine_sample *a, const machine_sample *b, double wall_ms);

/* The 1-minute load average, or NaN. */
double machine_load(void);

/* The error of a busy-time share over wall_ms, in cores, from the ticks'
 * rounding: less than a tick on each online CPU. */
double machine_resolution(double wall_ms);

#endif
