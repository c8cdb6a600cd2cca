/* common/ws-server: WebSocket endpoints on a SoupServer, with the limits
 * libsoup 3.2 does not enforce.
 *
 * soup_server_add_websocket_handler() accepts any Origin unless told one,
 * negotiates permessage-deflate (a compressed message inflates past every
 * size limit), bounds a message per frame only, and offers no place to
 * refuse an upgrade before it is accepted. dc_ws_server_add() does the
 * upgrade itself: it asks the caller's check first (a refusal is an HTTP
 * 403 with the reason, and no WebSocket), accepts no extension, and reads
 * the connection through a dc_ws_guard so that no message, however
 * fragmented, grows past max_message. Main thread only. */
#pragma once

#include <libsoup/soup.h>
#include <stdbool.h>

/* Decides on an upgrade request before it is accepted. Returns NULL to
 * accept, or a reason for people (static or owned by the caller for the
 * duration of the call) to refuse it with 403. */
typedef const char *(*dc_ws_check_fn)(SoupServerMessage *msg, gpointer user);

/* A WebSocket was accepted. msg is the upgrade request (valid during the
 * call); conn is borrowed: take a reference to keep it. */
typedef void (*dc_ws_accept_fn)(SoupServerMessage *msg, SoupWebsocketConnection *conn,
                                gpointer user);

/* Serves WebSocket upgrades on path. check may be NULL (accept all).
 * max_message bounds one message in bytes, all its fragments together; the
 * connection is closed (1009) as soon as a frame header announces more.
 * Remove with soup_server_remove_handler(server, path). */
void dc_ws_server_add(SoupServer *server, const char *path, guint64 max_message,
                      dc_ws_check_fn check, dc_ws_accept_fn accept, gpointer user);

/* True when the request's Origin header (if any) names this server as the
 * request reached it: the same host and port as its Host header. Requests
 * without Origin (not from a browser) are not judged here: false. */
bool dc_ws_origin_is_same(SoupServerMessage *msg);

/* The Origin header of msg, or NULL. */
const char *dc_ws_origin(SoupServerMessage *msg);
