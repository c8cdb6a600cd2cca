/* sendq: a worker's outbound datagram queue. Instead of one
 * nice_agent_send() (one sendmsg, libnice's and GIO's locks and a
 * GSocketAddress) per protected packet, the endpoints of a worker build
 * their SRTP/SRTCP packets straight into this queue's slots; the queue sends
 * each destination's packets with one sendmmsg() on the socket libnice
 * selected for it, in the order they were queued.
 *
 * When: just before the worker's main loop polls again (a GSource whose
 * prepare hook flushes, at the highest priority, so everything one wake-up
 * produced goes out together), when the queue is full, and when a
 * destination changes or is freed. So a packet waits at most for the rest
 * of the main-loop iteration that queued it.
 *
 * A destination is one UDP socket (borrowed from libnice, kept referenced)
 * and one peer address. Only a UDP pair whose local side is not a TURN
 * relay can be sent to this way; the caller keeps every other case (no pair
 * selected yet, TCP, relay, consent lost) on nice_agent_send() and must
 * clear the destination for it.
 *
 * Threading: everything runs on the thread of the GMainContext given to
 * dc_sendq_new(). No allocation, lock or log per packet.
 *
 * Ownership: dc_sendq_new() returns a queue the caller frees with
 * dc_sendq_free() after every destination has been freed; destinations
 * are owned by their creator (dc_sendq_dest_free()).
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Bytes of one slot: the largest protected packet the bridge builds (2048
 * bytes of RTP or RTCP plus the SRTP overhead). */
#define DC_SENDQ_SLOT 2192
/* Slots per queue: a full queue is flushed at once. */
#define DC_SENDQ_SLOTS 256

typedef struct dc_sendq dc_sendq;
typedef struct dc_sendq_dest dc_sendq_dest;

typedef struct {
    uint64_t datagrams; /* accepted by the kernel */
    uint64_t calls;     /* sendmmsg() calls */
    uint64_t flushes;   /* flushes that had something to send */
    uint64_t failed;    /* refused by the kernel, or the socket was closed */
} dc_sendq_stats;

/* Creates an empty queue and attaches its flush hook to ctx (NULL: no hook;
 * the caller flushes with dc_sendq_flush()). Never NULL. */
dc_sendq *dc_sendq_new(GMainContext *ctx);

/* Detaches the hook and frees q; every destination must be freed first.
 * NULL ok. */
void dc_sendq_free(dc_sendq *q);

/* Sends everything queued, each destination's packets in order. */
void dc_sendq_flush(dc_sendq *q);

void dc_sendq_get_stats(const dc_sendq *q, dc_sendq_stats *out);

/* A destination with no socket: dc_sendq_dest_ready() is false until
 * dc_sendq_dest_set(). Never NULL. */
dc_sendq_dest *dc_sendq_dest_new(dc_sendq *q);

/* Flushes what it has queued, then frees d. NULL ok. */
void dc_sendq_dest_free(dc_sendq_dest *d);

/* Points d at socket (referenced until the next set/clear/free) and the
 * peer address to (len bytes, copied). What was queued before goes out
 * first, to the old address. */
void dc_sendq_dest_set(dc_sendq_dest *d, GSocket *socket, const struct sockaddr *to, socklen_t len);

/* Flushes what d has queued and forgets its socket. */
void dc_sendq_dest_clear(dc_sendq_dest *d);

/* True when d has a socket that is still open. */
bool dc_sendq_dest_ready(const dc_sendq_dest *d);

/* Datagrams of d accepted by the kernel / refused or lost to a closed
 * socket, since d was created. */
uint64_t dc_sendq_dest_sent(const dc_sendq_dest *d);
uint64_t dc_sendq_dest_failed(const dc_sendq_dest *d);

/* The next free slot of d's queue, DC_SENDQ_SLOT bytes (the queue is
 * flushed first when full). Fill it, then dc_sendq_dest_commit() the length;
 * a slot not committed is handed out again. Borrowed until the next call on
 * the queue. */
uint8_t *dc_sendq_dest_reserve(dc_sendq_dest *d);

/* Queues the reserved slot's first len (<= DC_SENDQ_SLOT) bytes for d, which
 * must be ready. */
void dc_sendq_dest_commit(dc_sendq_dest *d, size_t len);
