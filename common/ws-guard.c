/* common/ws-guard: the whole-message bound of a WebSocket. See ws-guard.h. */
#include "common/ws-guard.h"

#include <errno.h>

void dc_ws_guard_init(dc_ws_guard *g, uint64_t max_message)
{
    *g = (dc_ws_guard){.max_message = max_message};
}

/* Bytes of header a frame needs, from its first two bytes. */
static uint8_t header_size(const uint8_t *hdr)
{
    uint8_t n = 2;
    uint8_t len7 = hdr[1] & 0x7f;
    if (len7 == 126) {
        n += 2;
    } else if (len7 == 127) {
        n += 8;
    }
    if (hdr[1] & 0x80) {
        n += 4; /* the masking key */
    }
    return n;
}

/* A whole header has been read: checks it and starts its payload. */
static int frame_start(dc_ws_guard *g)
{
    const uint8_t *h = g->hdr;
    bool fin = h[0] & 0x80;
    uint8_t opcode = h[0] & 0x0f;
    uint8_t len7 = h[1] & 0x7f;
    uint64_t len = len7;
    if (len7 == 126) {
        len = (uint64_t)h[2] << 8 | h[3];
    } else if (len7 == 127) {
        len = 0;
        for (int i = 2; i < 10; i++) {
            len = len << 8 | h[i];
        }
        if (len >> 63) {
            return -EPROTO;
        }
    }
    if (opcode & 0x08) {
        /* A control frame (close, ping, pong): never fragmented, at most
         * 125 bytes, and not part of the data message around it. */
        if (!fin || len > 125) {
            return -EPROTO;
        }
    } else {
        if (len > g->max_message - g->message) {
            return -EMSGSIZE;
        }
        g->message = fin ? 0 : g->message + len;
    }
    g->remaining = len;
    g->hdr_len = 0;
    return 0;
}

int dc_ws_guard_feed(dc_ws_guard *g, const uint8_t *buf, size_t len)
{
    size_t i = 0;
    while (!g->error && i < len) {
        if (g->remaining) {
            uint64_t take = len - i < g->remaining ? len - i : g->remaining;
            g->remaining -= take;
            i += (size_t)take;
            continue;
        }
        g->hdr[g->hdr_len++] = buf[i++];
        if (g->hdr_len >= 2 && g->hdr_len == header_size(g->hdr)) {
            g->error = frame_start(g);
        }
    }
    return g->error;
}
