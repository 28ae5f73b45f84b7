/* main.c -- cfbench: the command line that runs, serves and measures. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "../lib/cfutures.h"
#include "../workloads/workload.h"
#include "commands.h"
#include "config.h"
#include "probe.h"
#ifdef CF_WITH_MPI
#include "../lib/cfutures_mpi.h"
#endif

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"run", cmd_run, "run workloads in every mode, write CSV"},
    {"serve", cmd_serve, "serve test files on loopback (for download)"},
    {"overhead", cmd_overhead, "per-task cost of each executor, as CSV"},
    {"compare", cmd_compare, "two result sets side by side, with a verdict"},
    {"report", cmd_report, "one HTML page of a results folder: tables, notes, charts"},
    {"demo", cmd_demo, "a lesson for a class: predict, run live, explain"},
    {"quiet", cmd_quiet, "is the machine quiet enough to measure on? (other work)"},
};

/* Hundreds of concurrent downloads (and the server's connections) need
 * hundreds of descriptors: lift the soft limit to the hard one. Failing is
 * not fatal; fewer transfers then fit. */
static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void usage(FILE *to) {
    fprintf(to, "usage: cfbench COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-9s %s\n", commands[i].name, commands[i].what);
    fprintf(to, "\n'cfbench COMMAND --help' describes each; 'cfbench --version' prints\n"
                "the version.\n");
}

/* Registers every task cfbench runs, always in the same order (an MPI
 * worker must hold the client's names in the client's order), then, with
 * MPI built in, lets a worker rank or a spawned cfbench serve tasks: it
 * never gets to the harness. Returns 0, or 1 (said). */
static int tasks_then_mpi(int *argc, char ***argv) {
    if (workloads_init() != 0 || probe_task() == NULL) {
        fprintf(stderr, "cfbench: cannot register the workloads' tasks\n");
        return 1;
    }
#ifdef CF_WITH_MPI
    bench_with_mpi = 1;
    /* `cfbench serve` never joins MPI: as the download server of an mpiexec
     * rank it inherits the job's OMPI_* variables, and its MPI_Init would
     * fail trying to join a job that does not know it. */
    if (*argc >= 2 && strcmp((*argv)[1], "serve") == 0) return 0;
    if (cf_mpi_serve_or_continue(argc, argv) != 0) {
        fprintf(stderr, "cfbench: MPI_Init failed\n");
        return 1;
    }
#else
    (void)argc, (void)argv;
#endif
    return 0;
}

int main(int argc, char **argv) {
    if (tasks_then_mpi(&argc, &argv) != 0) return 1;
    if (argc < 2) {
        fprintf(stderr, "cfbench: no command given (try 'cfbench --help')\n");
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("cfbench %s\n", cf_version());
        return 0;
    }
    raise_fd_limit();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "cfbench: unknown command '%s' (try --help)\n", argv[1]);
    return 2;
}
