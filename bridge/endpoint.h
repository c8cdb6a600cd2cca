/* endpoint: the I/O shell of one site's session at the bridge: a libnice
 * agent (full ICE, controlling, trickle, RFC 5245, one stream with one
 * component: BUNDLE + rtcp-mux), DTLS-SRTP through core/dtls and core/srtp,
 * and RFC 7983 demultiplexing through core/demux.
 *
 * Runs on the meeting's worker GMainContext; every callback comes on it.
 * Received RTP/RTCP is unprotected in place and handed up; malformed,
 * unauthenticated or replayed packets are counted and dropped.
 *
 * Ownership: the caller owns the endpoint and frees it with dc_endpoint_free()
 * on the worker thread; cert and the callbacks' user are borrowed.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "bridge/sendq.h"
#include "core/dtls.h"

typedef enum {
    DC_ENDPOINT_CONNECTING,
    DC_ENDPOINT_CONNECTED, /* ICE ready and DTLS done: media flows */
    DC_ENDPOINT_FAILED,
    DC_ENDPOINT_LOST,   /* was connected, then nothing authentic came for 30 s
                         * (RFC 7675 consent expired): stop sending, free it */
    DC_ENDPOINT_CLOSED, /* the peer ended DTLS with close_notify (RFC 5246
                         * 7.2.1): a normal end, its leave follows */
} dc_endpoint_state;

/* Most remote candidates taken per ICE generation (answer + trickle). */
#define DC_ENDPOINT_MAX_REMOTE_CANDIDATES 32

typedef struct {
    /* A local candidate, "candidate:..." (no "a="). */
    void (*candidate)(void *user, const char *candidate);
    void (*state)(void *user, dc_endpoint_state state, const char *why);
    /* Decrypted media, the buffer borrowed for the call. */
    void (*rtp)(void *user, const uint8_t *buf, size_t len, int64_t now_us);
    void (*rtcp)(void *user, const uint8_t *buf, size_t len, int64_t now_us);
    /* libnice failed the connected pair (its keepalives went unanswered)
     * and sends nothing more on it: an ICE restart is needed. Called from
     * libnice's signal: do not restart from inside it. May be NULL. */
    void (*pair_failed)(void *user);
} dc_endpoint_callbacks;

typedef struct {
    GMainContext *ctx;
    const dc_dtls_cert *cert;
    uint16_t port_min, port_max;
    const char *const *local_addresses; /* NULL-terminated; may be empty */
    /* The worker's send queue (borrowed, outlives the endpoint), or NULL:
     * every packet through nice_agent_send(). */
    dc_sendq *sendq;
} dc_endpoint_config;

typedef struct {
    uint64_t dropped_demux; /* unknown first byte */
    uint64_t dropped_srtp;  /* failed authentication or replay */
    uint64_t dropped_early; /* media before SRTP keys */
    uint64_t send_failed;
    uint64_t sent_direct; /* SRTP/SRTCP queued on the worker's sendq (selected UDP socket) */
    uint64_t sent_nice;   /* SRTP/SRTCP through nice_agent_send() (no usable socket) */
    uint64_t ice_restarts;
    uint64_t candidates_refused; /* over DC_ENDPOINT_MAX_REMOTE_CANDIDATES */
} dc_endpoint_stats;

typedef struct dc_endpoint dc_endpoint;

/* Creates the agent and starts gathering (candidates come through cb).
 * Returns NULL with error set when libnice refuses. */
dc_endpoint *dc_endpoint_new(const dc_endpoint_config *cfg, const dc_endpoint_callbacks *cb,
                             void *user, GError **error);

/* Frees the agent, DTLS and SRTP state; no callback after this. NULL ok. */
void dc_endpoint_free(dc_endpoint *e);

/* The local ICE credentials (borrowed, live as long as e). */
const char *dc_endpoint_ice_ufrag(const dc_endpoint *e);
const char *dc_endpoint_ice_pwd(const dc_endpoint *e);

/* Applies the remote side of the answer: ICE credentials, DTLS fingerprint
 * and role (dtls_server when the answer says a=setup:active). Only the first
 * call counts; later answers (renegotiation) keep the transport, except
 * that the first answer after dc_endpoint_restart_ice() sets the new remote
 * ICE credentials (DTLS and SRTP are kept). Returns false with error set on a
 * bad fingerprint. */
bool dc_endpoint_set_remote(dc_endpoint *e, const char *ufrag, const char *pwd,
                            const char *fingerprint, bool dtls_server, GError **error);

/* Adds a trickled remote candidate ("candidate:..." with or without "a=");
 * NULL or "" means end of candidates. Kept until the answer when early.
 * Returns false with error set when it does not parse, or when the peer has
 * already given DC_ENDPOINT_MAX_REMOTE_CANDIDATES in this ICE generation. */
bool dc_endpoint_add_remote_candidate(dc_endpoint *e, const char *candidate, GError **error);

/* ICE restart (RFC 8445 section 9): new local ICE credentials for the
 * stream (read them again with dc_endpoint_ice_ufrag/pwd for the new offer),
 * remote candidates forgotten; the DTLS association and SRTP keys stay, and
 * media keeps using the old pair until checks select a new one. Returns
 * false with error set when libnice refuses. */
bool dc_endpoint_restart_ice(dc_endpoint *e, GError **error);

/* Sends every local candidate again through cb->candidate, then "" (after an
 * ICE restart the peer has forgotten them). */
void dc_endpoint_emit_local_candidates(dc_endpoint *e);

/* Protects and sends one plaintext RTP or RTCP packet; dropped (counted)
 * before the SRTP keys exist. No allocation. With a sendq and a selected
 * UDP pair whose local side is not a relay, the packet is protected into the
 * queue and leaves when it flushes (before the worker's next poll);
 * otherwise through nice_agent_send() at once. */
void dc_endpoint_send(dc_endpoint *e, const uint8_t *buf, size_t len, bool is_rtcp);

dc_endpoint_state dc_endpoint_get_state(const dc_endpoint *e);

/* The selected ICE candidate pair: addresses as "ip:port" ("[ip6]:port")
 * and candidate types ("host", "srflx", "prflx", "relay"; static strings). */
typedef struct {
    char local[64];
    char remote[64];
    const char *local_type;
    const char *remote_type;
} dc_endpoint_pair;

/* Fills *out and returns true once ICE has selected a pair; false (and
 * *out zeroed) before. */
bool dc_endpoint_get_selected_pair(dc_endpoint *e, dc_endpoint_pair *out);

/* The DTLS state name: "new" before the handshake starts, then core/dtls's
 * dc_dtls_state_name() ("connecting", "connected", "failed", "closed"). */
const char *dc_endpoint_dtls_state(const dc_endpoint *e);
void dc_endpoint_get_stats(const dc_endpoint *e, dc_endpoint_stats *out);
