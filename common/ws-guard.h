/* common/ws-guard: bounds what one WebSocket message may grow to, across
 * all its fragments, by reading the frame headers of the bytes a client
 * sends (RFC 6455 section 5.2) before libsoup does.
 *
 * libsoup 3.2 checks max-incoming-payload-size per frame only, so a client
 * that sends a message as many small fragments makes it buffer without
 * bound (a 64 MiB message was accepted before any join). The guard sees
 * every byte read from the connection, in order, and refuses as soon as a
 * frame header announces a message over the limit, before its payload is
 * read. Sans-IO: no allocation, no I/O; the caller owns the struct. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t max_message; /* bytes of payload of one data message */
    uint64_t message;     /* payload of the data message under way */
    uint64_t remaining;   /* payload bytes left of the current frame */
    uint8_t hdr[14];      /* the frame header being read */
    uint8_t hdr_len;
    int error; /* sticky: once refused, always refused */
} dc_ws_guard;

/* A guard for one connection: messages up to max_message bytes. */
void dc_ws_guard_init(dc_ws_guard *g, uint64_t max_message);

/* Accounts for the next len bytes read from the client. Returns 0, or
 * -EMSGSIZE when a data message would exceed max_message, or -EPROTO for a
 * header no client may send (a 64-bit length with its top bit set, a
 * control frame over 125 bytes or fragmented). After an error, returns it
 * again for any input. */
int dc_ws_guard_feed(dc_ws_guard *g, const uint8_t *buf, size_t len);
