/* worker.c -- the loop of a process pool's worker process.
 *
 * A worker reads TASK messages from its request pipe, claims each job by
 * swapping its claim word from (seq, QUEUED) to (seq, RUNNING) -- or skips
 * it if cancel or the manager won the word -- runs it, and answers on its
 * result pipe. Answers to a run of short jobs go out in one write (held at
 * most FLUSH_NS), never while a long job starts, and at once under
 * task_timeout (a job that hangs gets the process killed, and what it held
 * would be lost). See process_pool.c (process_dispatch.c) for the manager's side.
 *
 * Fork safety: the worker never touches a lock of this library (the task
 * registry it uses is a snapshot handed to it), resets signal handlers and
 * mask, ignores SIGINT (the parent decides when to stop), and closes every
 * descriptor but stdio and its two pipes.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"
#include "wire.h"
#include "worker.h"
#include "xio.h"

#define FLUSH_NS 50000 /* a worker holds answers back at most this long */

static int append_header(cf_buf *out, uint32_t type, uint64_t seq) {
    cf_wire_hdr h = {CF_WIRE_MAGIC, type, 0, 0, 0, seq};
    return cf__buf_put(out, &h, sizeof h);
}

/* Claims and runs one job, appending its RESULT (or SKIPPED, if cancel or
 * the manager won the word) to `out`. Returns 0 or -1 (out of memory). */
static int run_job(const cf_wconf *c, const cf_wire_hdr *h, const unsigned char *pl, cf_buf *out,
                   int64_t *now) {
    uint64_t want = CF_CLAIM(h->seq, CF_CLAIM_QUEUED);
    if (!atomic_compare_exchange_strong(&c->word[h->seq & c->mask], &want,
                                        CF_CLAIM(h->seq, CF_CLAIM_RUNNING)))
        return append_header(out, CF_MSG_SKIPPED, h->seq);
    const cf_task *task = h->task < c->ntasks ? c->tasks[h->task] : NULL;
    /* me->start: for task_timeout (each item's, then) and for taking back
     * what waits behind a long job (the job's is enough) */
    return cf__wire_run_task(h, pl, task, out, &c->me->start, c->task_timeout_ns != 0, now);
}

static void setup(const cf_wconf *c, int *rfd, int *wfd) {
    sigset_t none;
    sigemptyset(&none);
    for (int s = 1; s < NSIG; s++) {
        struct sigaction sa;
        if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
            sa.sa_handler = SIG_DFL;
            sa.sa_flags = 0;
            sigaction(s, &sa, NULL);
        }
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_DFL);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    /* Our pipes become 3 and 4, close-on-exec, so that a program a task
     * starts holds neither; everything else is closed, so that no other
     * pool's pipe stays open here. */
    int a = fcntl(*rfd, F_DUPFD_CLOEXEC, 10), b = fcntl(*wfd, F_DUPFD_CLOEXEC, 10);
    if (a < 0 || b < 0 || dup3(a, 3, O_CLOEXEC) < 0 || dup3(b, 4, O_CLOEXEC) < 0)
        _exit(CF_WX_SETUP);
    if (close_range(5, ~0U, 0) < 0)
        for (int fd = 5; fd < 1024; fd++)
            close(fd);
    *rfd = 3;
    *wfd = 4;
    prctl(PR_SET_NAME, c->name); /* cosmetic: failure is harmless */
}

static void flush_out(int wfd, cf_buf *out) {
    if (out->len && cf__write_all(wfd, out->p, out->len)) _exit(CF_WX_WRITE);
    out->len = 0;
}

void cf__worker_main(const cf_wconf *c, int rfd, int wfd) {
    static cf_worker me;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != c->parent) _exit(CF_WX_ORPHAN);
    setup(c, &rfd, &wfd);
    me.index = c->slot;
    cf__self = &me;
    cf_buf in = {0}, out = {0};
    if (c->init_lost || (c->initializer && c->initializer(c->initarg))) {
        append_header(&out, CF_MSG_INIT_FAILED, 0);
        flush_out(wfd, &out);
        _exit(CF_WX_INIT_FAILED);
    }
    atomic_store_explicit(&c->me->ready, 1, memory_order_release);
    int done = 0, max = c->max_tasks_per_child;
    int64_t oldest = 0, last_ns = 0;
    /* When the last job ended. The next one starts then if nothing came
     * between: while `out` still holds answers, no write and no read has. */
    int64_t ended = 0;
    for (;;) {
        /* Run every complete message we hold, answering in batches. */
        for (;;) {
            cf_wire_hdr h;
            size_t m = cf__wire_frame(in.p + in.off, in.len - in.off, &h);
            if (m == 0) break;
            if (m == (size_t)-1) _exit(CF_WX_PROTO);
            if (h.type == CF_MSG_STOP) {
                flush_out(wfd, &out);
                _exit(CF_WX_STOPPED);
            }
            if (CF_WIRE_TYPE(&h) != CF_MSG_TASK) _exit(CF_WX_PROTO);
            /* Answer first after a long job (the next may be long too),
             * and always under task_timeout: a job that hangs gets this
             * process killed, and what it holds would be lost. */
            if (out.len && (last_ns >= FLUSH_NS || c->task_timeout_ns)) flush_out(wfd, &out);
            /* A clock read costs ~25 ns: one a job, not two, in a run of
             * short jobs (perf: two a job were 9% of process map at
             * chunksize 1). */
            int64_t t0 = out.len ? ended : cf_now_ns(), t1 = t0;
            if (!out.len) oldest = t0;
            if (run_job(c, &h, in.p + in.off + sizeof h, &out, &t1)) _exit(CF_WX_NOMEM);
            last_ns = t1 - t0;
            ended = t1;
            in.off += m;
            if (max && ++done >= max) {
                flush_out(wfd, &out);
                _exit(CF_WX_STOPPED);
            }
            if (t1 - oldest > FLUSH_NS) flush_out(wfd, &out);
        }
        flush_out(wfd, &out);
        if (in.off == in.len) in.off = in.len = 0;
        unsigned char *q = cf__buf_room(&in, 65536);
        if (!q) _exit(CF_WX_NOMEM);
        ssize_t r = cf__xread(rfd, q, in.cap - in.len);
        if (r == 0) _exit(CF_WX_STOPPED); /* the pool is gone */
        if (r < 0) _exit(CF_WX_READ);
        in.len += (size_t)r;
    }
}
