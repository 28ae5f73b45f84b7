/* serve.h -- the loopback server as a child process: what `cfbench run`
 * starts for the download workload and hands it as a base URL.
 *
 * The child is `EXE serve --port 0 ... --die-with-parent` (bench/serve.c);
 * its first stdout line is its base URL. A separate process keeps the
 * server's threads and CPU time out of the timed runs' own.
 */
#ifndef BENCH_SERVE_H
#define BENCH_SERVE_H

#include <stddef.h>

#include "server.h"
#include "spawn.h"

/* How long serve_start() waits for the child's URL. */
#define SERVE_START_MS 10000

typedef struct served {
    child c;
    char base_url[256]; /* "http://127.0.0.1:PORT" */
} served;

/* Starts `exe serve` with o's ttfb, rate and file size on an ephemeral
 * port and reads its base URL into s->base_url. Returns 0, or -1 with err
 * set ("embedded server (EXE serve): ...") and nothing left running. */
int serve_start(const char *exe, const srv_options *o, served *s, char *err, size_t errlen);

/* Stops the child (SIGTERM, then SIGKILL) and reaps it. Safe on a zeroed
 * or stopped s. */
void serve_stop(served *s);

#endif
