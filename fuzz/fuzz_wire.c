/* fuzz_wire.c -- libFuzzer target for the process pool's message decoding
 * (lib/wire.h): cf__wire_frame on any bytes, then, for a whole message,
 * every input or result its header announces.
 *
 * The decoder must never read outside the bytes given (AddressSanitizer
 * sees the buffer's exact end: it is copied to a malloc of its own size),
 * must report a frame no larger than the bytes it was shown, and every
 * pointer it returns must lie inside the payload. Build: `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/wire.h"

static void check_payload(const cf_wire_hdr *h, const unsigned char *p, const unsigned char *end) {
    for (uint32_t i = 0; i < h->nitems && p < end; i++) {
        const unsigned char *before = p;
        if (h->type == CF_MSG_TASK) {
            const unsigned char *in;
            uint32_t len;
            if (cf__wire_next_input(&p, end, &in, &len) != 0) return;
            if (in < before || in + len > end || p > end || p <= before) abort();
        } else {
            cf_wire_item it;
            const unsigned char *out, *msg;
            if (cf__wire_next_result(&p, end, &it, &out, &msg) != 0) return;
            if (out < before || out + it.out_len > end || msg < out || msg + it.msg_len > end ||
                p > end || p <= before)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned char *buf = malloc(size ? size : 1);
    cf_wire_hdr h;

    if (buf == NULL) return 0;
    memcpy(buf, data, size);
    /* Also fix the header's magic and size now and then, so that the
     * fuzzer reaches the payload decoders without guessing them. */
    if (size >= sizeof h && (buf[0] & 1)) {
        uint32_t magic = CF_WIRE_MAGIC;
        uint64_t bytes = size - sizeof h;
        memcpy(buf + offsetof(cf_wire_hdr, magic), &magic, sizeof magic);
        memcpy(buf + offsetof(cf_wire_hdr, bytes), &bytes, sizeof bytes);
    }
    size_t n = cf__wire_frame(buf, size, &h);
    if (n != 0 && n != (size_t)-1) {
        if (n > size || n < sizeof h || h.bytes != n - sizeof h) abort();
        check_payload(&h, buf + sizeof h, buf + n);
    }
    free(buf);
    return 0;
}
