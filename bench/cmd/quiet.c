/* quiet.c -- `cfbench quiet`: is the machine quiet enough to measure on?
 *
 * It watches the machine for a while, doing nothing itself, and reports
 * the cores other work kept busy (machine.h, the same reading as a run's
 * other_cpu): `make reference` asks it before it starts and between its
 * sets, and refuses or stops when the answer is no.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cli.h"
#include "../commands.h"
#include "../machine.h"
#include "../timer.h"

static void usage(FILE *to) {
    fprintf(to,
            "usage: cfbench quiet [--seconds N] [--max CORES]\n\n"
            "Watches the machine for N seconds, doing nothing itself, and prints the\n"
            "cores other work kept busy meanwhile (from /proc/stat, as each run's\n"
            "other_cpu), the steal time and the load. Exits 0 when the other work\n"
            "stayed at or under CORES, 1 when it was over (the machine is busy:\n"
            "measure later), 2 on bad usage.\n\n"
            "  --seconds N   how long to watch (1..3600; default 10)\n"
            "  --max CORES   the most other work a quiet machine has (default %.1f)\n\n"
            "example: cfbench quiet --seconds 10 || echo 'busy: not now'\n",
            MACHINE_SHARED_CORES);
}

/* --max: a number of cores, 0 or more. */
static int parse_cores(void *dest, const char *opt, const char *val, char *err, size_t errlen) {
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (errno != 0 || end == val || *end != '\0' || !(v >= 0.0 && v <= 1e6)) {
        snprintf(err, errlen, "%s: a number of cores, 0 or more", opt);
        return -1;
    }
    *(double *)dest = v;
    return 0;
}

int cmd_quiet(int argc, char **argv) {
    long seconds = 10;
    double most = MACHINE_SHARED_CORES;
    int status;
    const cli_option opts[] = {
        CLI_OPT_LONG("--seconds", &seconds, 1, 3600),
        CLI_OPT_CALL("--max", &most, parse_cores),
        CLI_OPT_END,
    };
    const cli_command cmd = {.name = "quiet", .usage = usage, .options = opts};
    if (cli_parse(&cmd, argc, argv, &status)) return status;

    bench_timer t;
    bench_times got;
    struct timespec left = {seconds, 0};
    if (timer_start(&t) != 0) {
        fprintf(stderr, "cfbench quiet: clock: cannot read\n");
        return 2;
    }
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
    if (timer_stop(&t, &got) != 0 || isnan(got.other_cpu)) {
        fprintf(stderr, "cfbench quiet: /proc/stat: cannot read it\n");
        return 1;
    }
    int busy = got.other_cpu > most;
    printf("other_cpu: %.2f cores over %.1f s (steal %.2f, load %.2f): %s (over %.2g is busy)\n",
           got.other_cpu, got.wall_ms / 1e3, got.steal_cpu, got.load, busy ? "busy" : "quiet",
           most);
    return busy ? 1 : 0;
}
