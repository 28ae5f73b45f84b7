/* commands.h -- the cfbench subcommands, one file each in bench/cmd/ (as
 * git's builtin/), over the shared stages in bench/.
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status: 0 ok, 1 a run failed, 2 bad usage (after
 * printing one line naming the option and what is wrong: cli.h). */
#ifndef COMMANDS_H
#define COMMANDS_H

int cmd_run(int argc, char **argv);      /* cmd/run.c: config, plan, execute, record, report */
int cmd_serve(int argc, char **argv);    /* cmd/serve.c: the loopback HTTP server */
int cmd_overhead(int argc, char **argv); /* cmd/overhead.c: per-task cost */
int cmd_compare(int argc, char **argv);  /* cmd/compare.c: two result sets */
int cmd_report(int argc, char **argv);   /* cmd/report.c: one HTML page per run */
int cmd_demo(int argc, char **argv);     /* cmd/demo.c: lessons for a class */
int cmd_quiet(int argc, char **argv);    /* cmd/quiet.c: is the machine quiet enough to measure? */

#endif
