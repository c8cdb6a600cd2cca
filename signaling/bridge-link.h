/* signaling/bridge-link: the client end of the control link to the bridge
 * (docs/control.md). Connects to ws://ADDRESS:PORT/control, says hello, and
 * reconnects every second while the link is down. Runs on the thread-default
 * main context of the thread that calls dc_bridge_link_start(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/control-auth.h"
#include "signaling/protocol.h"

typedef struct dc_bridge_link dc_bridge_link;

typedef struct {
    /* The bridge answered hello with its instance id. */
    void (*ready)(void *user, const char *bridge_id);
    /* A ready link was lost (the bridge may be restarting). */
    void (*down)(void *user);
    /* A valid message other than hello, received while ready. */
    void (*message)(void *user, const dc_bridge_msg *msg);
    /* A "stats" reply, received while ready: the whole JSON text (not
     * NUL-terminated), for signaling/stats. May be NULL. */
    void (*stats)(void *user, const char *json, size_t len);
} dc_bridge_link_callbacks;

/* @url: ws://HOST:PORT/control. @meeting and @signal_id go into hello.
 * @secret signs every connection attempt (an Authorization header with a
 * fresh timestamp and nonce, common/control-auth.h). Copies its arguments;
 * @callbacks is copied too. */
dc_bridge_link *dc_bridge_link_new(const char *url, const char *meeting, const char *signal_id,
                                   const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN],
                                   const dc_bridge_link_callbacks *callbacks, void *user);
/* Closes the link (without calling down) and frees it. */
void dc_bridge_link_free(dc_bridge_link *link);

void dc_bridge_link_start(dc_bridge_link *link);
bool dc_bridge_link_is_ready(const dc_bridge_link *link);

/* Sends one JSON text; false (and nothing sent) unless ready. */
bool dc_bridge_link_send(dc_bridge_link *link, const char *json);

/* The ws:// URL for a control address and port (IPv6 literals bracketed). */
char *dc_bridge_link_url(const char *address, unsigned port);
