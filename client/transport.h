/* transport: the client's one BUNDLE'd, rtcp-mux'd media transport to the
 * bridge. A libnice agent (controlled: the bridge offers and controls; RFC 5245,
 * trickle, UPnP off; 127.0.0.1 as the only local address for a loopback
 * meeting, since libnice skips loopback otherwise), one stream with one
 * component (two for the moment an ICE restart's checks run); RFC 7983 demultiplexing (core/demux);
 * a DTLS client (core/dtls, a=setup:active) checked against the bridge's fingerprint, its timer
 * driven by dc_dtls_next_timeout(); SRTP (core/srtp) once DTLS is done.
 *
 * This is an I/O shell: it runs on the GMainContext it is given. Decrypted
 * packets and events go out through callbacks; the buffers passed are the
 * transport's, writable, and valid for the call only. No allocation per
 * packet.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "core/dtls.h"

typedef enum {
    DC_TRANSPORT_NEW,        /* waiting for the remote description */
    DC_TRANSPORT_CONNECTING, /* ICE checks or DTLS handshake running */
    DC_TRANSPORT_CONNECTED,  /* SRTP keys ready: media flows */
    DC_TRANSPORT_FAILED,     /* ICE or DTLS failed, or consent lost; terminal */
} dc_transport_state;

typedef struct {
    /* A local candidate to trickle, "candidate:..." ("" after the last). */
    void (*on_candidate)(void *user, const char *candidate);
    void (*on_state)(void *user, int state); /* a dc_transport_state */
    void (*on_rtp)(void *user, uint8_t *buf, size_t len);
    void (*on_rtcp)(void *user, uint8_t *buf, size_t len);
    /* libnice stopped the connected pair: our consent checks went
     * unanswered, so nothing more is sent until an ICE restart. May be NULL. */
    void (*on_consent_lost)(void *user);
} dc_transport_callbacks;

typedef struct {
    uint64_t rx_packets, tx_packets, tx_failed;
    uint64_t rx_unknown;  /* datagrams that are not DTLS/RTP/RTCP */
    uint64_t srtp_errors; /* failed to unprotect (auth, replay) */
    uint64_t before_keys; /* media before SRTP was ready */
} dc_transport_stats;

typedef struct dc_transport dc_transport;

/* Creates the agent and its stream on ctx; cert is the process's DTLS
 * certificate (borrowed for the call). loopback: gather on 127.0.0.1 only.
 * Returns NULL with error set when libnice or OpenSSL fail. */
dc_transport *dc_transport_new(GMainContext *ctx, const dc_dtls_cert *cert, bool loopback,
                               const dc_transport_callbacks *cb, void *user, GError **error);

/* Closes DTLS (close_notify) and frees everything; NULL is allowed. */
void dc_transport_free(dc_transport *t);

/* Our ICE credentials (owned by t). */
const char *dc_transport_ufrag(const dc_transport *t);
const char *dc_transport_pwd(const dc_transport *t);

/* The bridge's ICE credentials and DTLS fingerprint ("sha-256 AB:..."). The
 * first call starts gathering; later calls with the same values do nothing.
 * Returns false with error set for a fingerprint DTLS refuses. */
bool dc_transport_set_remote(dc_transport *t, const char *ufrag, const char *pwd,
                             const char *fingerprint, GError **error);

/* The remote ufrag set, or NULL. */
const char *dc_transport_remote_ufrag(const dc_transport *t);

/* The remote DTLS fingerprint set ("sha-256 AB:..."), or NULL. */
const char *dc_transport_remote_fingerprint(const dc_transport *t);

/* ICE restart (RFC 8445 section 9), for an offer with new ICE credentials
 * and the same fingerprint: a new ICE generation (a new libnice stream) with
 * new local credentials (read them again with dc_transport_ufrag/pwd) and
 * the bridge's new ones; its candidates are gathered afresh, from the
 * addresses the host has now, by dc_transport_gather_candidates(), so a site
 * whose address changed recovers. Remote candidates given from now on are
 * the new generation's. DTLS and SRTP are kept; media stays on the old pair
 * until the new stream connects, then the old stream is removed. A restart
 * while another one's checks run replaces it. Returns false with error set
 * when libnice refuses. */
bool dc_transport_restart_ice(dc_transport *t, const char *ufrag, const char *pwd, GError **error);

/* Starts gathering the newest generation's local candidates, unless it has
 * started (dc_transport_set_remote starts the first generation's): each one
 * goes to cb->on_candidate once, as libnice finds it, then "". Returns false
 * with error set when libnice cannot gather. */
bool dc_transport_gather_candidates(dc_transport *t, GError **error);

/* True when the host no longer has the local address media used (the
 * selected pair's, else those of the host candidates): the site's address
 * changed, and every socket bound to the old one is dead, the signaling
 * connection's too. The first of those addresses goes to addr when it has
 * room for NICE_ADDRESS_STRING_LEN (46) characters. */
bool dc_transport_local_address_gone(dc_transport *t, char *addr, size_t addr_len);

/* A trickled remote candidate ("candidate:..." or "a=candidate:...");
 * "" means the bridge has no more. Bad ones are ignored. */
void dc_transport_add_remote_candidate(dc_transport *t, const char *candidate);

/* Protects buf[0..len) (cap bytes of room) in place and sends it. Returns 0,
 * -ENOTCONN before SRTP is ready, or another negative errno. */
int dc_transport_send_rtp(dc_transport *t, uint8_t *buf, size_t len, size_t cap);
int dc_transport_send_rtcp(dc_transport *t, uint8_t *buf, size_t len, size_t cap);

dc_transport_state dc_transport_get_state(const dc_transport *t);
void dc_transport_get_stats(const dc_transport *t, dc_transport_stats *out);
