/* wire.h -- the messages between a process pool and its workers.
 *
 * Every message is a fixed header followed by `bytes` of payload; `seq`
 * names the job (the pool's sequence number, also its claim word). Parent
 * to worker: TASK carries nitems inputs, each as u32 length + bytes; STOP
 * (no payload) tells the worker to exit. Worker to parent: RESULT carries
 * nitems results, each as a cf_wire_item header (status, lengths, times) +
 * output bytes + message bytes (or, untimed, see CF_WIRE_TIMED); SKIPPED (no payload) says the worker found
 * the job cancelled or taken back and did not run it; INIT_FAILED says
 * the initializer failed. An MPI worker also says STARTED (it began job
 * seq) and KEPT (a cancel of seq came too late). Integers are in host
 * order: both ends are the same program on the same machine. Decoding
 * never trusts a length: every read is checked against the end.
 */
#ifndef CF_WIRE_H
#define CF_WIRE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CF_WIRE_MAGIC 0x31574643u       /* "CFW1" */
#define CF_WIRE_MAX ((uint64_t)1 << 31) /* largest payload accepted */

enum {
    CF_MSG_TASK = 1,
    CF_MSG_RESULT = 2,
    CF_MSG_INIT_FAILED = 3,
    CF_MSG_SKIPPED = 4,
    CF_MSG_STOP = 5,
    CF_MSG_STARTED = 6, /* MPI worker to client: it started job seq */
    CF_MSG_KEPT = 7,    /* MPI worker to client: too late to cancel seq */
};
/* A flag in a TASK header's type: time each item (the future is traced),
 * and in its RESULT's: the items are timed (cf_wire_item each). Without
 * it a worker reads the clock once before the job and once after, and
 * answers with the job's start and end, then a cf_wire_short per item:
 * each clock read costs ~25 ns, and two a no-op item were a third of a
 * worker's time in process map at chunksize 64 (perf); the 32-byte item
 * headers were most of what the manager parsed. */
#define CF_WIRE_TIMED 0x10000u
#define CF_WIRE_TYPE(h) ((h)->type & 0xffffu)

typedef struct cf_wire_hdr {
    uint32_t magic, type, nitems, task;
    uint64_t bytes; /* payload size */
    uint64_t seq;   /* the job */
} cf_wire_hdr;

typedef struct cf_wire_item { /* precedes each result's bytes */
    int32_t status;
    uint32_t out_len, msg_len, pad;
    int64_t start, end;
} cf_wire_item;

typedef struct cf_wire_short { /* an untimed item; a failed one's output is
                                  followed by its message, as u32 length + bytes */
    int32_t status;
    uint32_t out_len;
} cf_wire_short;

/* A growable byte buffer; zero-initialise, release with cf__buf_free. */
typedef struct cf_buf {
    unsigned char *p;
    size_t len, cap, off; /* off: start of unread data (readers) */
    unsigned gen;         /* cf__pages_gen() when p was allocated: in a child
                             of fork, a parent's buffer has no pages (they
                             are not inherited) and is forgotten, not freed */
} cf_buf;

/* Makes room for `more` bytes after len; returns where they go, or NULL. */
unsigned char *cf__buf_room(cf_buf *b, size_t more);

/* Appends p[0..n) (after cf__buf_room); 0 or -1 (out of memory). */
int cf__buf_put(cf_buf *b, const void *p, size_t n);
void cf__buf_free(cf_buf *b);

/* Looks at buf[0..len): returns the size of the complete message that
 * starts there (header + payload) and fills *h, 0 if more bytes are
 * needed, or -1 (as size_t) if the bytes cannot be a message. */
size_t cf__wire_frame(const unsigned char *buf, size_t len, cf_wire_hdr *h);

/* Reads the next input of a task payload at *p (advanced); 0 or -1. */
int cf__wire_next_input(const unsigned char **p, const unsigned char *end,
                        const unsigned char **data, uint32_t *len);

/* Reads the next result of a result payload at *p (advanced): the item
 * header and pointers to its output and message; 0 or -1. */
int cf__wire_next_result(const unsigned char **p, const unsigned char *end, cf_wire_item *it,
                         const unsigned char **out, const unsigned char **msg);

/* ---- task and result messages of a future (shared by pools) ----------- */

struct cf_future;
struct cf_task;

/* Appends f's task message (header with `seq`, CF_WIRE_TIMED if f is
 * traced, then each input as u32 length + bytes) to b. Returns 0 or -1
 * (out of memory). */
int cf__wire_put_task(cf_buf *b, const struct cf_future *f, uint64_t seq);

/* Runs the task message h / payload pl with `task` (NULL: not registered
 * here, each item fails with CF_ENOTASK) and appends the result message
 * (same seq) to out. *now is the time it starts (cf_now_ns(), read by the
 * caller) and becomes the time the last item ended. Items are timed one
 * by one if `timed` or h has CF_WIRE_TIMED (the end of one is the start
 * of the next: one clock read per item). If `started` is not NULL, the
 * start time of what runs is published there while it runs, each item's
 * if timed, else the job's (0 after). Returns 0, or -1 (malformed payload,
 * out of memory). */
int cf__wire_run_task(const cf_wire_hdr *h, const unsigned char *pl, const struct cf_task *task,
                      cf_buf *out, _Atomic(int64_t) *started, int timed, int64_t *now);

/* Stores the result message h / pl in f's items (results, statuses,
 * messages, trace times; an item whose result cannot be stored fails with
 * status CF_ENOMEM). Returns f's outcome (0 or CF_ETASK) and
 * sets *took_ns to the worker's time from first start to last end, or -1
 * if the message is malformed or not f's answer. */
int cf__wire_take_result(struct cf_future *f, const cf_wire_hdr *h, const unsigned char *pl,
                         int64_t *took_ns);

#endif
