/* server_child.h -- the loopback server as a child process: what `cfbench run`
 * starts for the download workload and hands it as a base URL.
 *
 * The child is `EXE serve --port 0 ... --die-with-parent` (bench/cmd/serve.c);
 * its first stdout line is its base URL. A separate process keeps the
 * server's threads and CPU time out of the timed runs' own.
 */
#ifndef BENCH_SERVER_CHILD_H
#define BENCH_SERVER_CHILD_H

#include <stddef.h>

#include "http_server.h"
#include "spawn.h"

/* How long serve_start() waits for the child's URL. */
#define SERVE_START_MS 10000

typedef struct served {
    child c;
    char base_url[256]; /* "http://ADDR:PORT", ADDR 127.0.0.1 by default */
} served;

/* Starts `exe serve` with o's ttfb, rate, file size and address (NULL:
 * 127.0.0.1) on an ephemeral port and reads its base URL into
 * s->base_url. Returns 0, or -1 with err set ("embedded server (EXE
 * serve): ...") and nothing left running. */
int serve_start(const char *exe, const srv_options *o, served *s, char *err, size_t errlen);

/* The address the download server must listen on for every worker to
 * reach it, into addr (at least 16 bytes): "127.0.0.1", unless this
 * process is an mpiexec rank whose job has ranks on other hosts
 * (OMPI_COMM_WORLD_LOCAL_SIZE < OMPI_COMM_WORLD_SIZE) and `mpi` is set
 * (the run has an mpi mode). Then it is the IPv4 address of the first
 * interface that is up, not loopback, and inside the job's
 * btl_tcp_if_include or oob_tcp_if_include (interface names or CIDR
 * subnets, from OMPI_MCA_*) when it sets one: the network the ranks
 * already talk over. Returns 1 for another host's address, 0 for
 * loopback, -1 with err set when ranks span hosts but no address fits. */
int serve_addr_for_workers(int mpi, char *addr, size_t len, char *err, size_t errlen);

/* Stops the child (SIGTERM, then SIGKILL) and reaps it. Safe on a zeroed
 * or stopped s. */
void serve_stop(served *s);

#endif
