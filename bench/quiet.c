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

#include "cli.h"
#include "commands.h"
#include "machine.h"
#include "timer.h"

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

static int bad(const char *msg) {
    fprintf(stderr, "cfbench quiet: %s\n", msg);
    return 2;
}

int cmd_quiet(int argc, char **argv) {
    long seconds = 10;
    double most = MACHINE_SHARED_CORES;
    char err[256];

    for (int i = 1; i < argc;) {
        const char *val;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if ((r = cli_take_value(argc, argv, &i, "--seconds", &val, err, sizeof err)) != 0) {
            if (r < 0 || cli_parse_long("--seconds", val, 1, 3600, &seconds, err, sizeof err) != 0)
                return bad(err);
            continue;
        }
        if ((r = cli_take_value(argc, argv, &i, "--max", &val, err, sizeof err)) != 0) {
            char *end;
            if (r < 0) return bad(err);
            errno = 0;
            most = strtod(val, &end);
            if (errno != 0 || end == val || *end != '\0' || !(most >= 0.0 && most <= 1e6))
                return bad("--max: a number of cores, 0 or more");
            continue;
        }
        snprintf(err, sizeof err, "unknown option '%.60s' (try --help)", argv[i]);
        return bad(err);
    }

    bench_timer t;
    bench_times got;
    struct timespec left = {seconds, 0};
    if (timer_start(&t) != 0) return bad("clock: cannot read");
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
