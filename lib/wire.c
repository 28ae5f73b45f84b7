/* wire.c -- framing and decoding of process pool messages (see wire.h). */
#include <stdlib.h>
#include <string.h>

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

void cf__buf_free(cf_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

size_t cf__wire_frame(const unsigned char *buf, size_t len, cf_wire_hdr *h) {
    if (len < sizeof *h) return 0;
    memcpy(h, buf, sizeof *h);
    if (h->magic != CF_WIRE_MAGIC || h->bytes > CF_WIRE_MAX || h->type < CF_MSG_TASK ||
        h->type > CF_MSG_STOP)
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
