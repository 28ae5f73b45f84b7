/* wire.c -- framing and decoding of process pool messages (see wire.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "wire.h"

unsigned char *cf__buf_room(cf_buf *b, size_t more) {
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
            unsigned char *p = realloc(b->p, cap);
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
    free(b->p);
    memset(b, 0, sizeof *b);
}

size_t cf__wire_frame(const unsigned char *buf, size_t len, cf_wire_hdr *h) {
    if (len < sizeof *h) return 0;
    memcpy(h, buf, sizeof *h);
    if (h->magic != CF_WIRE_MAGIC || h->bytes > CF_WIRE_MAX || h->type < CF_MSG_TASK ||
        h->type > CF_MSG_KEPT)
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
    cf_wire_hdr h = {CF_WIRE_MAGIC, CF_MSG_TASK, (uint32_t)f->nitems, f->task->id, bytes, seq};
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

int cf__wire_run_task(const cf_wire_hdr *h, const unsigned char *pl, const cf_task *task,
                      cf_buf *out, _Atomic(int64_t) *started) {
    size_t hdr_at = out->len;
    cf_wire_hdr rh = {CF_WIRE_MAGIC, CF_MSG_RESULT, h->nitems, h->task, 0, h->seq};
    if (cf__buf_put(out, &rh, sizeof rh)) return -1; /* its size is known at the end */
    const unsigned char *end = pl + h->bytes;
    unsigned char small[CF_INLINE + 1];
    for (uint32_t i = 0; i < h->nitems; i++) {
        const unsigned char *in;
        uint32_t in_len;
        if (cf__wire_next_input(&pl, end, &in, &in_len)) return -1;
        cf_out o;
        cf__out_init(&o, small, CF_INLINE);
        cf_wire_item it = {0, 0, 0, 0, cf_now_ns(), 0};
        if (started) atomic_store_explicit(started, it.start, memory_order_release);
        if (task) {
            it.status = task->fn(in, in_len, &o);
        } else {
            it.status = CF_ENOTASK;
            snprintf(o.msg, sizeof o.msg, "task %u is not registered in the worker", h->task);
        }
        it.end = cf_now_ns();
        it.out_len = (uint32_t)o.len;
        it.msg_len = it.status ? (uint32_t)strlen(o.msg) : 0;
        int r = put_result(out, &it, o.data, o.msg);
        cf__out_release(&o);
        if (r) return -1;
    }
    if (started) atomic_store_explicit(started, 0, memory_order_release);
    rh.bytes = out->len - hdr_at - sizeof rh;
    memcpy(out->p + hdr_at, &rh, sizeof rh);
    return 0;
}

int cf__wire_take_result(cf_future *f, const cf_wire_hdr *h, const unsigned char *pl,
                         int64_t *took_ns) {
    if (h->type != CF_MSG_RESULT || h->nitems != f->nitems) return -1;
    const unsigned char *end = pl + h->bytes;
    int outcome = 0;
    int64_t first = 0, last = 0;
    cf_trace *tr = cf__trace(f);
    for (size_t i = 0; i < f->nitems; i++) {
        cf_wire_item wi;
        const unsigned char *out, *msg;
        if (cf__wire_next_result(&pl, end, &wi, &out, &msg)) return -1;
        cf_item *it = &f->item[i];
        it->status = wi.status;
        if (tr) {
            tr->item[i].start = wi.start;
            tr->item[i].end = wi.end;
        }
        if (!first) first = wi.start;
        last = wi.end;
        if (wi.out_len <= CF_ITEM_INLINE && it->out_len == 0 && !it->has_msg) { /* the usual */
            if (wi.out_len) memcpy(it->out, out, wi.out_len);
            it->out[wi.out_len] = '\0';
            it->out_len = wi.out_len;
        } else if (cf__item_set_out(f, it, out, wi.out_len) && !wi.status) {
            /* Not an outcome of its own: this item failed, and says why. */
            it->status = wi.status = CF_ENOMEM;
            cf__item_set_msg(it, strdup("out of memory taking the result"));
        }
        if (wi.status) {
            outcome = CF_ETASK;
            if (wi.msg_len && !it->has_msg)
                cf__item_set_msg(it, strndup((const char *)msg, wi.msg_len));
        }
    }
    *took_ns = last - first;
    return outcome;
}
