/* signal-link: the client's WebSocket to diemcau-signal (libsoup-3.0,
 * json-glib), speaking the site protocol of docs/protocol.md: join, answer,
 * candidate, leave and ping out; welcome, error, roster, offer, candidate,
 * replaced, bridge-restarting and pong in.
 *
 * Keepalive: once open, the link sends {"type":"ping"} every 0.4 x the
 * silence limit (10 s of the default 25 s) and, when nothing at all has come
 * from the service for the limit (and a ping has gone unanswered for 0.6
 * of it), calls on_silent once: the connection may
 * be dead without anyone being told (a NAT or firewall that forgot the TCP
 * mapping; libsoup has no pong timeout). pong itself is not handed over.
 *
 * I/O shell on the thread-default main context. Incoming messages are handed
 * over as parsed JSON objects (borrowed for the call); messages that are not
 * JSON objects with a "type" string are dropped with a warning.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "common/tls-verify.h"

typedef struct {
    void (*on_open)(void *user);
    /* msg has a "type" string member. */
    void (*on_message)(void *user, const char *type, JsonObject *msg);
    /* The connection failed or closed; why is for people. */
    void (*on_closed)(void *user, const char *why);
    /* Nothing has come for silent_ms (at least the limit) on an open
     * connection; called once per link. NULL: on_closed is called instead. */
    void (*on_silent)(void *user, int64_t silent_ms);
} dc_signal_callbacks;

#define DC_SIGNAL_SILENCE_MS_DEFAULT 25000

typedef struct dc_signal_link dc_signal_link;

/* Starts connecting to url (ws://host:port/ws or wss://host:port/ws). On
 * wss://, the server's certificate is checked as @tls says (NULL: the
 * system's CAs); a refused certificate closes the link with a reason that
 * names the fingerprints. cb copied, user and tls borrowed (tls must
 * outlive the link). */
dc_signal_link *dc_signal_link_new(const char *url, dc_tls_verify *tls,
                                   const dc_signal_callbacks *cb, void *user);

/* The silence limit in ms (default DC_SIGNAL_SILENCE_MS_DEFAULT; at least
 * 1000); call before the link opens. */
void dc_signal_link_set_silence_limit(dc_signal_link *l, int64_t ms);

/* Closes (if open) and frees; NULL is allowed. No callback is made after. */
void dc_signal_link_free(dc_signal_link *l);

/* No callback from now on, no ping; the connection stays as it is until
 * freed (a resume keeps the old one until the service has replaced it). */
void dc_signal_link_mute(dc_signal_link *l);

/* True while the WebSocket is open. */
bool dc_signal_link_is_open(const dc_signal_link *l);

/* Senders; each returns false when the link is not open. */
bool dc_signal_link_send_join(dc_signal_link *l, const char *site, const char *credential);
bool dc_signal_link_send_answer(dc_signal_link *l, const char *sdp);
/* candidate "" means end of candidates. */
bool dc_signal_link_send_candidate(dc_signal_link *l, const char *candidate, const char *mid,
                                   int mline_index);
bool dc_signal_link_send_leave(dc_signal_link *l);
/* {"type":"ice-restart"}: our media path broke; the bridge re-offers with
 * new ICE credentials. */
bool dc_signal_link_send_ice_restart(dc_signal_link *l);

/* Starts the closing handshake; true while it is still in progress (iterate
 * the main context until it is not, or give up). */
bool dc_signal_link_close(dc_signal_link *l);
