/* pipe.c -- peer: the floor of a pipe-based process pool.
 *
 * One forked worker echoes what it reads. A feeder thread streams the
 * tasks down one pipe in messages of CHUNK tasks (one write each) while
 * the main thread reads the echoed results back from a second pipe: a
 * process pool that does nothing but move its tasks and results, fully
 * pipelined, can go no faster. Chunksize 1 and 64; one worker, whatever
 * WORKERS says, as the floor is one worker's hand-off.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer.h"

typedef struct {
    long id, arg; /* a task and its result: the worker sends it back as is */
} msg;

typedef struct {
    int fd, chunk;
    long n;
} feed;

static void *feeder(void *p) {
    feed *f = p;
    msg *b = malloc(sizeof *b * (size_t)f->chunk);
    if (!b) abort();
    for (long i = 0; i < f->n; i += f->chunk) {
        long k = f->n - i < f->chunk ? f->n - i : f->chunk;
        for (long j = 0; j < k; j++)
            b[j] = (msg){i + j, i + j};
        ssize_t len = (ssize_t)(sizeof *b * (size_t)k); /* <= PIPE_BUF: one atomic write */
        if (write(f->fd, b, (size_t)len) != len) abort();
    }
    free(b);
    return NULL;
}

static void echo(int in, int out, int chunk) {
    msg *b = malloc(sizeof *b * (size_t)chunk);
    ssize_t r;
    while (b && (r = read(in, b, sizeof *b * (size_t)chunk)) > 0)
        if (write(out, b, (size_t)r) != r) _exit(1);
    _exit(b ? 0 : 1);
}

static peer_cost run(long n, int chunk) {
    int down[2], up[2];
    if (pipe(down) || pipe(up)) abort();
    peer_cost life = peer_start();
    pid_t pid = fork();
    if (pid < 0) abort();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        echo(down[0], up[1], chunk);
    }
    close(down[0]);
    close(up[1]);
    msg *b = malloc(sizeof *b * (size_t)chunk);
    feed f = {down[1], chunk, n};
    pthread_t th;
    peer_cost c = peer_start();
    if (!b || pthread_create(&th, NULL, feeder, &f)) abort();
    for (long got = 0; got < n;) {
        ssize_t r = read(up[0], b, sizeof *b * (size_t)chunk);
        if (r <= 0) abort();
        got += r / (ssize_t)sizeof *b;
    }
    pthread_join(th, NULL);
    c = peer_stop(c);
    close(down[1]); /* the worker reads end of file and exits */
    close(up[0]);
    if (waitpid(pid, NULL, 0) != pid) abort();
    life = peer_stop(life);
    c.child_minflt = life.child_minflt;
    c.child_csw = life.child_csw;
    free(b);
    return c;
}

int main(int argc, char **argv) {
    long n;
    int workers;
    peer_args(argc, argv, &n, &workers);
    for (int chunk = 1; chunk <= 64; chunk *= 64) {
        peer_cost best = {0};
        for (int r = 0; r < PEER_REPEAT; r++)
            peer_keep(&best, run(n, chunk));
        peer_row("pipe-echo-process", "pipelined", chunk, n, best);
    }
    return 0;
}
