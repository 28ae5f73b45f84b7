/* commands.h -- the cfbench subcommands, one module each.
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status: 0 ok, 1 a run failed, 2 bad usage (after
 * printing one line naming the option and what is wrong). */
#ifndef COMMANDS_H
#define COMMANDS_H

int cmd_run(int argc, char **argv);      /* run.c: config, plan, execute, record, report */
int cmd_serve(int argc, char **argv);    /* serve.c: the loopback server */
int cmd_overhead(int argc, char **argv); /* overhead.c: per-task cost */
int cmd_compare(int argc, char **argv);  /* compare.c: two result sets */
int cmd_report(int argc, char **argv);   /* html.c: one HTML page per run */
int cmd_demo(int argc, char **argv);     /* demo.c: lessons for a class */
int cmd_quiet(int argc, char **argv);    /* quiet.c: is the machine quiet enough to measure? */

#endif
