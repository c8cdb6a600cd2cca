/* dtls: DTLS-SRTP (RFC 5763, RFC 5764) over OpenSSL 3 without sockets.
 *
 * A dc_dtls is one DTLS 1.2 association on one ICE transport. It is sans-IO:
 * the caller feeds it the DTLS datagrams it received (after RFC 7983 demux),
 * drains the datagrams it wants to send with dc_dtls_poll_datagram(), and
 * drives retransmission with dc_dtls_next_timeout()/dc_dtls_handle_timeout().
 * Time is whatever monotonic microsecond clock the caller passes as now_us;
 * nothing here reads a clock.
 *
 * Loop, after every feed, start or timeout:
 *     while ((n = dc_dtls_poll_datagram(d, buf, sizeof buf)) > 0) send(buf, n);
 *     then check dc_dtls_get_state() and rearm a timer at dc_dtls_next_timeout().
 *
 * The peer is authenticated only by the certificate fingerprint it announced
 * in SDP (a=fingerprint); the handshake never reaches CONNECTED without a
 * matching dc_dtls_set_remote_fingerprint(), which may come before or during
 * the handshake (or after the last flight: the state then waits in CONNECTING).
 *
 * Ownership: dc_dtls_cert is created once per process (or per bridge) and may
 * be shared by any number of dc_dtls; a dc_dtls keeps its own reference to the
 * OpenSSL objects it needs, so the cert may be freed before its connections.
 * Every dc_dtls is owned by its creator and freed with dc_dtls_free(). Strings
 * returned by getters belong to the object and live until it changes or is
 * freed. Objects are not thread-safe; use one from one thread at a time.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/srtp.h"

/* Largest datagram produced, DTLS record headers included. Fits an IPv6 path
 * with a 1280-byte MTU after UDP, TURN and IP headers. */
#define DC_DTLS_MTU 1200

/* Retransmission timer: first timeout after a flight, then doubled up to the
 * maximum. OpenSSL gives up after 12 timeouts without progress (the state
 * becomes FAILED). */
#define DC_DTLS_INITIAL_RTO_US 500000
#define DC_DTLS_MAX_RTO_US 8000000

/* dc_dtls_next_timeout() when no timer is armed. */
#define DC_DTLS_NO_TIMEOUT INT64_MAX

/* Room for an SDP fingerprint "sha-256 " + 32 hex pairs with colons + NUL. */
#define DC_DTLS_FINGERPRINT_LEN 104

typedef struct dc_dtls_cert dc_dtls_cert;
typedef struct dc_dtls dc_dtls;

/* True when retransmissions follow only the caller's now_us (OpenSSL 3.0.x,
 * see dtls.c). Otherwise OpenSSL also waits for its own wall clock to reach
 * the deadline, which matches in production but not with a test clock that
 * jumps ahead. */
bool dc_dtls_timer_follows_caller_clock(void);

typedef enum {
    DC_DTLS_ROLE_CLIENT, /* a=setup:active: sends the ClientHello */
    DC_DTLS_ROLE_SERVER, /* a=setup:passive: waits for it */
} dc_dtls_role;

typedef enum {
    DC_DTLS_STATE_NEW,        /* created, role not chosen yet */
    DC_DTLS_STATE_CONNECTING, /* handshake running, or fingerprint awaited */
    DC_DTLS_STATE_CONNECTED,  /* handshake done, fingerprint verified, keys ready */
    DC_DTLS_STATE_FAILED,     /* see dc_dtls_error(); terminal */
    DC_DTLS_STATE_CLOSED,     /* close_notify sent or received; terminal */
} dc_dtls_state;

/* Generates an ECDSA P-256 key and a self-signed certificate valid from one
 * day before unix_time_s (wall-clock seconds, supplied by the caller) for a
 * year; WebRTC peers do not check the dates, only the fingerprint. Returns
 * NULL if OpenSSL fails. Free with dc_dtls_cert_free(). */
dc_dtls_cert *dc_dtls_cert_new(int64_t unix_time_s);

/* Frees c; connections made from it keep working. NULL is allowed. */
void dc_dtls_cert_free(dc_dtls_cert *c);

/* SHA-256 fingerprint in SDP form, "sha-256 AB:CD:...". Owned by c. */
const char *dc_dtls_cert_fingerprint(const dc_dtls_cert *c);

/* A new association using cert c (not consumed). State NEW. Returns NULL if
 * OpenSSL cannot allocate. Free with dc_dtls_free(). */
dc_dtls *dc_dtls_new(const dc_dtls_cert *c);

/* Frees d without sending anything (call dc_dtls_close() and drain first to
 * tell the peer). NULL is allowed. */
void dc_dtls_free(dc_dtls *d);

/* Sets the fingerprint the peer announced in SDP, "sha-256 AB:CD:..." (the
 * algorithm is case-insensitive, hex digits either case). If the peer's
 * certificate has already been seen it is checked now. Returns 0, -EINVAL
 * for a malformed string, -ENOTSUP for another hash algorithm, or -EPROTO if
 * it does not match the certificate already seen (state becomes FAILED). */
int dc_dtls_set_remote_fingerprint(dc_dtls *d, const char *fingerprint);

/* Chooses the role (from a=setup) and starts the handshake at now_us: a
 * client queues its ClientHello. Returns 0, -EALREADY if already started, or
 * -EPROTO if OpenSSL fails at once (state FAILED). */
int dc_dtls_start(dc_dtls *d, dc_dtls_role role, int64_t now_us);

/* Feeds one received DTLS datagram (not retained). Datagrams that are not
 * well-framed DTLS records are dropped and counted (dc_dtls_dropped());
 * OpenSSL drops bad records inside. Returns 0 (also when the datagram was ignored),
 * -EINVAL for an empty or huge buffer, -EAGAIN before dc_dtls_start() (drop
 * it; the peer retransmits), -ENOTCONN once FAILED or CLOSED, or -EPROTO when
 * this datagram made the association fail (state FAILED, see dc_dtls_error).
 * A close_notify from the peer moves the state to CLOSED and returns 0. */
int dc_dtls_feed(dc_dtls *d, const uint8_t *buf, size_t len, int64_t now_us);

/* Datagrams dc_dtls_feed() dropped as malformed. */
uint64_t dc_dtls_dropped(const dc_dtls *d);

/* Absolute time (same clock as now_us) at which dc_dtls_handle_timeout()
 * must be called, or DC_DTLS_NO_TIMEOUT. */
int64_t dc_dtls_next_timeout(const dc_dtls *d);

/* Retransmits the last flight if now_us has reached dc_dtls_next_timeout();
 * does nothing earlier. Returns 0, or -EPROTO when too many retransmissions
 * made the handshake fail (state FAILED). */
int dc_dtls_handle_timeout(dc_dtls *d, int64_t now_us);

/* Copies the next outgoing datagram (at most DC_DTLS_MTU bytes) into buf.
 * Returns its length, 0 when nothing is queued, or -ENOSPC if cap is too
 * small (the datagram stays queued). */
int dc_dtls_poll_datagram(dc_dtls *d, uint8_t *buf, size_t cap);

/* Queues a close_notify alert (when a handshake completed) and moves to
 * CLOSED. Drain the datagram before dc_dtls_free(). Returns 0, or -ENOTCONN
 * if already FAILED or CLOSED. */
int dc_dtls_close(dc_dtls *d);

dc_dtls_state dc_dtls_get_state(const dc_dtls *d);

/* "new", "connecting", "connected", "failed", "closed". Static string. */
const char *dc_dtls_state_name(dc_dtls_state s);

/* Why the state is FAILED (or why CLOSED), else NULL. Owned by d. */
const char *dc_dtls_error(const dc_dtls *d);

/* The negotiated SRTP profile and keys, split per RFC 5764 section 4.2 and
 * assigned to directions by role: a client's local key is the exported
 * client_write key, a server's local key the server_write key. Returns 0, or
 * -ENOTCONN unless CONNECTED. keys is fully written on success. */
int dc_dtls_export_srtp_keys(const dc_dtls *d, dc_srtp_keys *keys);
