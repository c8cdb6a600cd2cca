/* signaling/session: one site's WebSocket connection on /ws.
 *
 * Parses every text message (signaling/protocol) and answers a bad one itself
 * with an error naming the field; valid messages go to the owner through
 * callbacks. Before a successful join the session has no site. */
#pragma once

#include <libsoup/soup.h>

#include "signaling/protocol.h"

typedef struct dc_session dc_session;

/* The biggest message a site may send (an SDP answer for a large meeting),
 * all its WebSocket fragments together. */
#define DC_SESSION_MAX_MESSAGE (1024 * 1024)
/* Messages a site may send: DC_SESSION_RATE a second after a burst of
 * DC_SESSION_BURST (a join's trickled candidates come in a burst). More is
 * an error "rate-limit" and the connection is closed (1008). */
#define DC_SESSION_RATE 50
#define DC_SESSION_BURST 200
/* Chair commands (each is written to the meeting record): a chair clicking
 * fast stays well below; more are refused with "rate-limit", not closed. */
#define DC_SESSION_COMMAND_RATE 5
#define DC_SESSION_COMMAND_BURST 30

typedef struct {
    /* A valid message from the site. */
    void (*message)(void *user, dc_session *session, const dc_client_msg *msg);
    /* The connection closed; the owner must dc_session_free() it (it may do
     * so inside this callback). */
    void (*closed)(void *user, dc_session *session);
} dc_session_callbacks;

/* Takes a new reference on @conn. @peer ("ADDRESS:PORT", for logs) and
 * @address (the peer's IP literal, or NULL when unknown) are copied. */
dc_session *dc_session_new(SoupWebsocketConnection *conn, const char *peer, const char *address,
                           const dc_session_callbacks *callbacks, void *user);
void dc_session_free(dc_session *session);

void dc_session_send(dc_session *session, const char *json);
void dc_session_send_error(dc_session *session, const char *code, const char *field,
                           const char *message);
/* Starts the closing handshake (no-op unless open). "closed" follows. */
void dc_session_close(dc_session *session, unsigned short code, const char *reason);
bool dc_session_is_open(const dc_session *session);

/* The joined site and its session id (both NULL until joined). */
const char *dc_session_site(const dc_session *session);
const char *dc_session_id(const dc_session *session);
/* Marks the connection joined as @site with @session_id (copied), or not
 * joined when @site is NULL. */
void dc_session_set_joined(dc_session *session, const char *site, const char *session_id);
/* "ADDRESS:PORT" of the peer, for logs. */
const char *dc_session_peer(const dc_session *session);
/* The session id the connection asked to resume (/ws?resume=ID), or NULL. */
void dc_session_set_resume(dc_session *session, const char *session_id);
const char *dc_session_resume(const dc_session *session);

/* The peer's IP literal, or NULL when unknown. */
const char *dc_session_address(const dc_session *session);

/* While a session is held (its join is being checked), the messages that
 * arrive wait in order, at most 32 of them and 64 KiB (more closes the
 * connection with 1008); release delivers them, in order, until one holds it again. */
void dc_session_hold(dc_session *session);
void dc_session_release(dc_session *session);
bool dc_session_held(const dc_session *session);
