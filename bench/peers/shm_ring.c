/* shm_ring.c -- peer: the floor of a shared-memory process pool.
 *
 * One forked worker and two single-producer single-consumer rings in a
 * MAP_SHARED mapping: tasks go down one, results come up the other. A ring
 * is an array of slots and one counter, head, of the slots its producer
 * has published; its consumer keeps its own tail. Publishing is one atomic
 * store; a consumer that finds nothing new spins a little, then sleeps on
 * head with a futex, and says so in `sleeping` so that the producer knows
 * to wake it (one exchange per publish). The parent publishes CHUNK tasks
 * at a time, the worker CHUNK results at a time: chunksize 1 and 64. No
 * system call when both sides keep up; the lower bound for a process
 * pool's hand-off. One worker, whatever WORKERS says.
 */
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer.h"

#define RING 1024 /* slots per ring, a power of two */
#define SPIN 2000 /* loads of head before sleeping */

typedef struct {
    long id, arg; /* a task and its result: the worker sends it back as is */
} msg;

typedef struct {
    _Alignas(64) _Atomic uint32_t head; /* written by the producer only; the futex word */
    _Atomic uint32_t sleeping;          /* 1: the consumer is (about to be) in futex_wait */
    _Alignas(64) msg slot[RING];
} ring;

typedef struct {
    ring down, up;
} shm;

static void publish(ring *r, uint32_t head) {
    atomic_store(&r->head, head);
    if (atomic_exchange(&r->sleeping, 0)) /* not FUTEX_PRIVATE: two processes share it */
        syscall(SYS_futex, &r->head, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Returns the ring's head once it differs from tail, sleeping if need be. */
static uint32_t wait_for(ring *r, uint32_t tail) {
    uint32_t h;
    for (int i = 0; i < SPIN; i++)
        if ((h = atomic_load_explicit(&r->head, memory_order_acquire)) != tail) return h;
    for (;;) {
        atomic_store(&r->sleeping, 1); /* then look again: publish() sees one or the other */
        if ((h = atomic_load(&r->head)) != tail) break;
        syscall(SYS_futex, &r->head, FUTEX_WAIT, tail, NULL, NULL, 0);
    }
    atomic_store(&r->sleeping, 0);
    return h;
}

/* The worker: echoes each task as its result until a task with id -1. */
static void echo(shm *s, uint32_t chunk) {
    uint32_t tail = 0, out = 0;
    for (;;) {
        uint32_t head = wait_for(&s->down, tail);
        for (; tail != head; tail++) {
            msg m = s->down.slot[tail % RING];
            if (m.id < 0) _exit(0);
            s->up.slot[out++ % RING] = m;
            if (out % chunk == 0) publish(&s->up, out);
        }
        if (out % chunk != 0) publish(&s->up, out); /* the last, short chunk */
    }
}

static peer_cost run(long n, uint32_t chunk) {
    shm *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) abort();
    peer_cost life = peer_start();
    pid_t pid = fork();
    if (pid < 0) abort();
    if (pid == 0) echo(s, chunk);
    peer_cost c = peer_start();
    uint32_t sent = 0, done = 0; /* tasks published, results read */
    while (done < n) {
        int moved = 0;
        while (sent < n) { /* add work: whole chunks, while the ring has room */
            uint32_t k = n - sent < chunk ? (uint32_t)(n - sent) : chunk;
            if (sent - done + k > RING) break;
            for (uint32_t j = 0; j < k; j++, sent++)
                s->down.slot[sent % RING] = (msg){sent, sent};
            publish(&s->down, sent);
            moved = 1;
        }
        uint32_t head = atomic_load_explicit(&s->up.head, memory_order_acquire);
        for (; done != head; done++, moved = 1) /* collect results */
            if (s->up.slot[done % RING].id != done) abort();
        if (!moved) wait_for(&s->up, done);
    }
    c = peer_stop(c);
    s->down.slot[sent % RING] = (msg){-1, 0};
    publish(&s->down, sent + 1);
    if (waitpid(pid, NULL, 0) != pid || munmap(s, sizeof *s) != 0) abort();
    life = peer_stop(life);
    c.child_minflt = life.child_minflt;
    c.child_csw = life.child_csw;
    return c;
}

int main(int argc, char **argv) {
    long n;
    int workers;
    peer_args(argc, argv, &n, &workers);
    if (n > INT_MAX) return 2; /* the rings count in 32 bits */
    for (uint32_t chunk = 1; chunk <= 64; chunk *= 64) {
        peer_cost best = {0};
        for (int r = 0; r < PEER_REPEAT; r++)
            peer_keep(&best, run(n, chunk));
        peer_row("shm-ring-process", "pipelined", (int)chunk, n, best);
    }
    return 0;
}
