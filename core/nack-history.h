/* nack-history: the packets recently sent on one outgoing RTP stream, kept to
 * answer NACKs (RFC 4585 generic NACK) by retransmitting them.
 *
 * A ring of max_packets slots (a power of two), each holding a copy of one
 * packet of up to DC_NACK_HISTORY_MAX_PACKET bytes, its sequence number
 * unwrapped to 64 bits, when it was sent and how often it was resent. All
 * storage is allocated once by dc_nack_history_new(); put() copies, get()
 * lends. Packets leave the history when they are older than max_age_us, when
 * max_packets newer packets have been put, or when the sender restarts.
 *
 * Sequence numbers are unwrapped with core/seq.h and every lookup compares the
 * full 64-bit value, so a packet from an earlier 65536-cycle, or from before a
 * restart, is never returned for a request that merely shares its 16 bits.
 *
 * Time is the caller's: every function that needs it takes now_us (a
 * monotonic clock in microseconds). Not thread-safe; one owner (the stream).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DC_NACK_HISTORY_MAX_PACKET 1500 /* bytes per slot */
#define DC_NACK_HISTORY_MAX_SLOTS 16384 /* well under half the 16-bit space */

typedef struct dc_nack_history dc_nack_history;

/* Creates an empty history of max_packets slots. max_packets must be a power
 * of two in 1..DC_NACK_HISTORY_MAX_SLOTS and max_age_us positive (video
 * 1-2 s, audio about 1 s). Returns NULL on bad arguments. The caller owns the
 * result and frees it with dc_nack_history_free(). */
dc_nack_history *dc_nack_history_new(size_t max_packets, int64_t max_age_us);

/* Like dc_nack_history_new() with slots of max_packet bytes
 * (1..DC_NACK_HISTORY_MAX_PACKET) instead of DC_NACK_HISTORY_MAX_PACKET:
 * put() returns -EMSGSIZE above it. For streams whose packets are known to
 * be small (Opus audio), to save memory. */
dc_nack_history *dc_nack_history_new_sized(size_t max_packets, int64_t max_age_us,
                                           size_t max_packet);

/* Frees h and every stored packet. h may be NULL. */
void dc_nack_history_free(dc_nack_history *h);

/* Stores a copy of the packet buf[0..len) sent now_us with sequence number
 * seq (the sequence number as sent, after any rewriting). Packets must be put
 * in send order, each newer than the last (a gap is fine). A seq that is not
 * newer than the newest one put (a duplicate, a step back, or a jump of half
 * the sequence space or more) is taken as a sender restart: the history is
 * emptied and starts again from seq. Retransmissions are not put again.
 * Returns 0, or -EMSGSIZE when len > the slot size (DC_NACK_HISTORY_MAX_PACKET
 * unless created with new_sized()) (nothing is
 * stored and the history is unchanged), -EINVAL when h is NULL or buf is
 * NULL with len > 0. */
int dc_nack_history_put(dc_nack_history *h, uint16_t seq, int64_t now_us, const uint8_t *buf,
                        size_t len);

/* Stores a copy of a packet older than the newest one put (a late or
 * retransmitted packet that fills a gap) in its own slot, when seq is
 * within the last max_packets numbers and not stored yet. Never empties
 * the history. Returns 0, -EEXIST when seq is already stored, -ENOENT when
 * nothing was put yet, seq is not older than the newest, or too old for
 * the ring, -EMSGSIZE or -EINVAL as put(). */
int dc_nack_history_put_late(dc_nack_history *h, uint16_t seq, int64_t now_us, const uint8_t *buf,
                             size_t len);

/* Looks up packet seq. On success returns 0 and sets *buf to the stored copy
 * (borrowed from h: valid until the next put() or free(), do not write to
 * it) and *len. Returns -ENOENT when seq was never stored, has been
 * overwritten, was sent more than max_age_us before now_us, or belongs to a
 * cycle before a restart. Does not count as a retransmission. */
int dc_nack_history_get(dc_nack_history *h, uint16_t seq, int64_t now_us, const uint8_t **buf,
                        size_t *len);

/* Like get(), for answering a NACK: also enforces and records the
 * retransmission budget of seq. A packet is resent at most max_resends times,
 * and not again within min_interval_us of its last resend (pass the RTT:
 * a second NACK sooner than that was sent before our resend could arrive).
 * On 0 the caller sends *buf and the resend is counted at now_us.
 * Returns -ENOENT as get(), -EDQUOT when max_resends is used up, or
 * -EAGAIN when the last resend was less than min_interval_us ago. */
int dc_nack_history_resend(dc_nack_history *h, uint16_t seq, int64_t now_us, unsigned max_resends,
                           int64_t min_interval_us, const uint8_t **buf, size_t *len);

/* Empties the history (keeps its storage and limits). */
void dc_nack_history_clear(dc_nack_history *h);

/* Number of slots, as given to new(). */
size_t dc_nack_history_capacity(const dc_nack_history *h);
