/* wire.c -- framing and decoding of process pool messages (see wire.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "wire.h"

/* A buffer of the parent's, seen in a child of fork: its pages are not
 * here (MADV_DONTFORK), so it is forgotten. */
static void forget_if_foreign(cf_buf *b) {
    if (b->p && b->gen != cf__pages_gen()) memset(b, 0, sizeof *b);
}

unsigned char *cf__buf_room(cf_buf *b, size_t more) {
    forget_if_foreign(b);
    if (!b->p) b->gen = cf__pages_gen();
    if (b->cap - b->len < more) {
        if (b->off) { /* reclaim what readers consumed first */
            memmove(b->p, b->p + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        if (b->cap - b->len < more) {
            size_t cap = b->cap ? b->cap : 4096;
            while (cap - b->len < more)
                cap *= 2;
            unsigned char *p = cf__pages_grow(b->p, b->cap, b->len, cap, &cap);
            if (!p) return NULL;
            b->p = p;
            b->cap = cap;
        }
    }
    return b->p + b->len;
}

int cf__buf_put(cf_buf *b, const void *p, size_t n) {
    unsigned char *q = cf__buf_room(b, n);
    if (!q) return -1;
    if (n) memcpy(q, p, n);
    b->len += n;
    return 0;
}

void cf__buf_free(cf_buf *b) {
    forget_if_foreign(b);
    cf__pages_free(b->p, b->cap);
    memset(b, 0, sizeof *b);
}

size_t cf__wire_frame(const unsigned char *buf, size_t len, cf_wire_hdr *h) {
    if (len < sizeof *h) return 0;
    memcpy(h, buf, sizeof *h);
    uint32_t type = CF_WIRE_TYPE(h), flags = h->type - type;
    if (h->magic != CF_WIRE_MAGIC || h->bytes > CF_WIRE_MAX || type < CF_MSG_TASK ||
        type > CF_MSG_KEPT || (flags & ~CF_WIRE_TIMED) ||
        (flags && type != CF_MSG_TASK && type != CF_MSG_RESULT))
        return (size_t)-1;
    if (len - sizeof *h < h->bytes) return 0;
    return sizeof *h + h->bytes;
}

int cf__wire_next_input(const unsigned char **p, const unsigned char *end,
                        const unsigned char **data, uint32_t *len) {
    uint32_t n;
    if ((size_t)(end - *p) < sizeof n) return -1;
    memcpy(&n, *p, sizeof n);
    if ((size_t)(end - *p) - sizeof n < n) return -1;
    *data = *p + sizeof n;
    *len = n;
    *p += sizeof n + n;
    return 0;
}

int cf__wire_next_result(const unsigned char **p, const unsigned char *end, cf_wire_item *it,
                         const unsigned char **out, const unsigned char **msg) {
    if ((size_t)(end - *p) < sizeof *it) return -1;
    memcpy(it, *p, sizeof *it);
    size_t rest = (size_t)(end - *p) - sizeof *it;
    if (it->out_len > rest || it->msg_len > rest - it->out_len) return -1;
    *out = *p + sizeof *it;
    *msg = *out + it->out_len;
    *p = *msg + it->msg_len;
    return 0;
}

int cf__wire_put_task(cf_buf *b, const cf_future *f, uint64_t seq) {
    size_t bytes = 0;
    for (size_t i = 0; i < f->nitems; i++)
        bytes += 4 + f->item[i].in_len;
    unsigned char *q = cf__buf_room(b, sizeof(cf_wire_hdr) + bytes);
    if (!q) return -1;
    uint32_t type = CF_MSG_TASK | (f->traced ? CF_WIRE_TIMED : 0);
    cf_wire_hdr h = {CF_WIRE_MAGIC, type, (uint32_t)f->nitems, f->task->id, bytes, seq};
    memcpy(q, &h, sizeof h);
    q += sizeof h;
    const unsigned char *in = cf__future_input(f);
    for (size_t i = 0; i < f->nitems; i++) {
        uint32_t len = (uint32_t)f->item[i].in_len;
        memcpy(q, &len, 4);
        if (len) memcpy(q + 4, in, len);
        in += len;
        q += 4 + len;
    }
    b->len += sizeof(cf_wire_hdr) + bytes;
    return 0;
}

static int put_result(cf_buf *out, const cf_wire_item *it, const void *data, const char *msg) {
    unsigned char *q = cf__buf_room(out, sizeof *it + it->out_len + it->msg_len);
    if (!q) return -1;
    memcpy(q, it, sizeof *it);
    if (it->out_len) memcpy(q + sizeof *it, data, it->out_len);
    if (it->msg_len) memcpy(q + sizeof *it + it->out_len, msg, it->msg_len);
    out->len += sizeof *it + it->out_len + it->msg_len;
    return 0;
}

/* An untimed item: cf_wire_short, the output, and for a failed one its
 * message as u32 length + bytes. */
static int put_short(cf_buf *out, int32_t status, const cf_out *o) {
    uint32_t msg_len = status ? (uint32_t)strlen(o->msg) : 0;
    size_t n = sizeof(cf_wire_short) + o->len + (status ? 4 + msg_len : 0);
    unsigned char *q = cf__buf_room(out, n);
    if (!q) return -1;
    cf_wire_short w = {status, (uint32_t)o->len};
    memcpy(q, &w, sizeof w);
    q += sizeof w;
    if (o->len) memcpy(q, o->data, o->len);
    if (status) {
        memcpy(q + o->len, &msg_len, 4);
        memcpy(q + o->len + 4, o->msg, msg_len);
    }
    out->len += n;
    return 0;
}

int cf__wire_run_task(const cf_wire_hdr *h, const unsigned char *pl, const cf_task *task,
                      cf_buf *out, _Atomic(int64_t) *started, int timed, int64_t *now) {
    timed = timed || (h->type & CF_WIRE_TIMED);
    size_t hdr_at = out->len;
    cf_wire_hdr rh = {CF_WIRE_MAGIC, CF_MSG_RESULT | (timed ? CF_WIRE_TIMED : 0), h->nitems,
                      h->task, 0, h->seq};
    int64_t t = *now, span[2] = {t, t}; /* untimed: the job's start and end lead */
    if (cf__buf_put(out, &rh, sizeof rh)) return -1; /* its size is known at the end */
    if (!timed && cf__buf_put(out, span, sizeof span)) return -1;
    const unsigned char *end = pl + h->bytes;
    unsigned char small[CF_INLINE + 1];
    for (uint32_t i = 0; i < h->nitems; i++) {
        const unsigned char *in;
        uint32_t in_len;
        if (cf__wire_next_input(&pl, end, &in, &in_len)) return -1;
        cf_out o;
        cf__out_init(&o, small, CF_INLINE);
        if (started && (timed || i == 0)) atomic_store_explicit(started, t, memory_order_release);
        int32_t status;
        if (task) {
            status = task->fn(in, in_len, &o);
        } else {
            status = CF_ENOTASK;
            snprintf(o.msg, sizeof o.msg, "task %u is not registered in the worker", h->task);
        }
        int r;
        if (timed) {
            cf_wire_item it = {status, (uint32_t)o.len, 0, 0, t, 0};
            it.end = t = cf_now_ns();
            it.msg_len = status ? (uint32_t)strlen(o.msg) : 0;
            r = put_result(out, &it, o.data, o.msg);
        } else {
            r = put_short(out, status, &o);
        }
        cf__out_release(&o);
        if (r) return -1;
    }
    if (!timed) {
        span[1] = t = cf_now_ns();
        memcpy(out->p + hdr_at + sizeof rh, span, sizeof span);
    }
    *now = t;
    if (started) atomic_store_explicit(started, 0, memory_order_release);
    rh.bytes = out->len - hdr_at - sizeof rh;
    memcpy(out->p + hdr_at, &rh, sizeof rh);
    return 0;
}

/* Stores item i's result (out[0..out_len)) and status; its message from
 * msg[0..msg_len) if it failed. Returns the status it ends with. */
static int take_item(cf_future *f, size_t i, int32_t status, const unsigned char *out,
                     uint32_t out_len, const unsigned char *msg, uint32_t msg_len) {
    cf_item *it = &f->item[i];
    it->status = status;
    if (out_len <= CF_ITEM_INLINE && it->out_len == 0 && !it->has_msg) { /* the usual */
        if (out_len) memcpy(it->out, out, out_len);
        it->out[out_len] = '\0';
        it->out_len = out_len;
    } else if (cf__item_set_out(f, it, out, out_len) && !status) {
        /* Not an outcome of its own: this item failed, and says why. */
        it->status = status = CF_ENOMEM;
        cf__item_set_msg(it, strdup("out of memory taking the result"));
    }
    if (status && msg_len && !it->has_msg)
        cf__item_set_msg(it, strndup((const char *)msg, msg_len));
    return status;
}

/* take_result for an untimed answer: the job's start and end, then each
 * item as cf_wire_short + output (+ u32 length + message if it failed). */
static int take_short(cf_future *f, const unsigned char *pl, const unsigned char *end,
                      int64_t *took_ns) {
    int64_t span[2];
    int outcome = 0;
    if ((size_t)(end - pl) < sizeof span) return -1;
    memcpy(span, pl, sizeof span);
    pl += sizeof span;
    for (size_t i = 0; i < f->nitems; i++) {
        cf_wire_short w;
        uint32_t msg_len = 0;
        if ((size_t)(end - pl) < sizeof w) return -1;
        memcpy(&w, pl, sizeof w);
        pl += sizeof w;
        if ((size_t)(end - pl) < w.out_len) return -1;
        const unsigned char *out = pl, *msg = NULL;
        pl += w.out_len;
        if (w.status) {
            if ((size_t)(end - pl) < 4) return -1;
            memcpy(&msg_len, pl, 4);
            if ((size_t)(end - pl) - 4 < msg_len) return -1;
            msg = pl + 4;
            pl += 4 + msg_len;
        }
        if (take_item(f, i, w.status, out, w.out_len, msg, msg_len)) outcome = CF_ETASK;
    }
    *took_ns = span[1] - span[0];
    return outcome;
}

int cf__wire_take_result(cf_future *f, const cf_wire_hdr *h, const unsigned char *pl,
                         int64_t *took_ns) {
    if (CF_WIRE_TYPE(h) != CF_MSG_RESULT || h->nitems != f->nitems) return -1;
    const unsigned char *end = pl + h->bytes;
    if (!(h->type & CF_WIRE_TIMED)) return take_short(f, pl, end, took_ns);
    int outcome = 0;
    int64_t first = 0, last = 0;
    cf_trace *tr = cf__trace(f);
    for (size_t i = 0; i < f->nitems; i++) {
        cf_wire_item wi;
        const unsigned char *out, *msg;
        if (cf__wire_next_result(&pl, end, &wi, &out, &msg)) return -1;
        if (tr) {
            tr->item[i].start = wi.start;
            tr->item[i].end = wi.end;
        }
        if (!first) first = wi.start;
        last = wi.end;
        if (take_item(f, i, wi.status, out, wi.out_len, msg, wi.msg_len)) outcome = CF_ETASK;
    }
    *took_ns = last - first;
    return outcome;
}
