/* pipe.c -- peer: the floor of a pipe-based process pool.
 *
 * One forked worker echoes what it reads. A feeder thread streams the
 * tasks down one pipe in messages of CHUNK tasks (one write each) while
 * the main thread reads the echoed results back from a second pipe: a
 * process pool that does nothing but move its tasks and results, fully
 * pipelined, can go no faster. Chunksize 1 and 64; one worker, whatever
 * WORKERS says, as the floor is one worker's hand-off.
 *
 * payload-4k, -64k, -1m: the same worker echoes tasks of that many bytes
 * (the feeder writes each whole, the main thread reads until every byte is
 * back): a pipe's bandwidth, what any pipe-based pool moving real data is
 * bounded by. And executor memcpy, the same sizes copied there and back
 * through a 64 MiB arena (so from memory, not cache): the machine's limit.
 * us_per_task; bytes / us is MB/s each way.
 */
#include <string.h>
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

typedef struct {
    int fd;
    long n;
    size_t size;
} bytes_feed;

static void *bytes_feeder(void *p) {
    bytes_feed *f = p;
    char *b = calloc(1, f->size);
    if (!b) abort();
    for (long i = 0; i < f->n; i++)
        for (size_t at = 0; at < f->size;) {
            ssize_t w = write(f->fd, b + at, f->size - at);
            if (w <= 0) abort();
            at += (size_t)w;
        }
    free(b);
    return NULL;
}

/* n tasks of `size` bytes down to an echoing worker and back. */
static peer_cost run_bytes(long n, size_t size) {
    int down[2], up[2];
    if (pipe(down) || pipe(up)) abort();
    pid_t pid = fork();
    if (pid < 0) abort();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        echo(down[0], up[1], 65536 / (int)sizeof(msg));
    }
    close(down[0]);
    close(up[1]);
    char *b = malloc(size);
    bytes_feed f = {down[1], n, size};
    pthread_t th;
    peer_cost c = peer_start();
    if (!b || pthread_create(&th, NULL, bytes_feeder, &f)) abort();
    for (long got = 0; got < n; got++)
        for (size_t at = 0; at < size;) { /* one task's result, whole */
            ssize_t r = read(up[0], b + at, size - at);
            if (r <= 0) abort();
            at += (size_t)r;
        }
    pthread_join(th, NULL);
    c = peer_stop(c);
    close(down[1]);
    close(up[0]);
    if (waitpid(pid, NULL, 0) != pid) abort();
    free(b);
    return c;
}

#define ARENA (64L << 20)
static peer_cost run_memcpy(char *arena, char *back, long n, size_t size) {
    peer_cost c = peer_start();
    for (long i = 0; i < n; i++) {
        size_t at = (size_t)i * size % ARENA;
        memcpy(back + at, arena + at, size); /* the task there */
        memcpy(arena + at, back + at, size); /* and its result back */
    }
    return peer_stop(c);
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
    static const struct {
        const char *name;
        size_t size;
    } loads[] = {{"payload-4k", 4096}, {"payload-64k", 65536}, {"payload-1m", 1048576}};
    char *arena = malloc(ARENA), *back = malloc(ARENA);
    if (!arena || !back) abort();
    memset(arena, 1, ARENA);
    memset(back, 2, ARENA);
    /* memcpy first: a fork would leave the arena copy-on-write, a fault a page */
    peer_cost copy[3] = {{0}}, best[3] = {{0}};
    for (size_t i = 0; i < 3; i++)
        for (int r = 0; r < 3; r++)
            peer_keep(&copy[i], run_memcpy(arena, back, (long)(ARENA / loads[i].size), loads[i].size));
    free(arena);
    free(back);
    for (size_t i = 0; i < 3; i++)
        for (int r = 0; r < 3; r++)
            peer_keep(&best[i], run_bytes((long)(ARENA / loads[i].size), loads[i].size));
    for (size_t i = 0; i < 3; i++) { /* 64 MiB each way, as cfbench overhead */
        peer_row("pipe-echo-process", loads[i].name, 1, (long)(ARENA / loads[i].size), best[i]);
        peer_row("memcpy", loads[i].name, 1, (long)(ARENA / loads[i].size), copy[i]);
    }
    return 0;
}
