/* spawn.h -- the one way cfbench runs a child program and reads what it
 * prints, after git's run-command.h: start, read, finish (or stop), and
 * capture_command() for the common run-and-read-everything case.
 *
 * The child gets our stdin and stderr; its stdout is a pipe whose read end
 * the parent holds. Every descriptor is opened close-on-exec, so a child
 * inherits no other pipe of ours.
 */
#ifndef BENCH_SPAWN_H
#define BENCH_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* Flags for child_start() and capture_command(). */
enum { SPAWN_NO_STDERR = 1 }; /* the child's stderr goes to /dev/null */

typedef struct child {
    pid_t pid; /* 0: not running (or reaped) */
    int out;   /* read end of the child's stdout; -1 once closed */
} child;

/* Starts argv[0] (searched on PATH when it holds no '/') with argv and
 * flags (SPAWN_*). Returns 0, or -1 with err set ("cannot run NAME:
 * reason"); on failure nothing is left running or open. */
int child_start(child *c, char *const argv[], int flags, char *err, size_t errlen);

/* Reads the child's first stdout line (without '\n', NUL-terminated) into
 * line, waiting at most timeout_ms. Returns 0, or -1 with err set: the
 * child "exited" before a whole line, the line was too long, or time ran
 * out. */
int child_read_line(child *c, char *line, size_t cap, int timeout_ms, char *err, size_t errlen);

/* Closes the child's stdout and waits for it to exit; its exit status
 * goes to *status (128+N if signal N killed it). Returns 0 or -1 (err). */
int child_finish(child *c, int *status, char *err, size_t errlen);

/* Stops a child meant to run until told: SIGTERM, SIGKILL after 5 s, and
 * reaps it. Safe on a child that is not running. */
void child_stop(child *c);

/* Runs argv (with flags, SPAWN_*) to its end and returns all it wrote on
 * stdout in *out (malloc, NUL-terminated; the caller frees) and its exit
 * status in *status. Returns 0, or -1 with err set if it could not be run
 * or read. */
int capture_command(char *const argv[], int flags, char **out, int *status, char *err,
                    size_t errlen);

#endif
