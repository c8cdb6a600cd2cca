/* signaling/host: the chair hosting the meeting, wired into diemcau-signal.
 *
 * Owns the chair's state machine (signaling/chair) and the meeting record
 * (signaling/record). The service (signaling/service.c) asks it whether a
 * site may join and gets media, tells it about joins and leaves, hands it
 * the chair's (and the sites' own) commands and the bridge's statistics; the
 * host answers through callbacks: messages to sites, ops to the bridge,
 * disconnections. Every change is committed to the record before anyone is
 * told about it.
 *
 * On creation it continues the meeting the record has open (a restarted
 * service): the state, mutes, floor, lock, hands and removals come back, and
 * sites the record has present are not recorded as joining again. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "common/config.h"
#include "signaling/protocol.h"
#include "signaling/roster.h"
#include "signaling/stats.h"

typedef struct dc_host dc_host;

typedef struct {
    /* To the joined connection of @site (dropped when none). */
    void (*send_site)(void *user, const char *site, const char *json);
    /* To every joined connection. */
    void (*broadcast)(void *user, const char *json);
    /* The roster changed: send it to every joined site. */
    void (*roster_changed)(void *user);
    /* A control-link message; false when the link is down. */
    bool (*bridge_send)(void *user, const char *json);
    /* Give the present @site its bridge endpoint now (the meeting opened). */
    void (*bridge_add)(void *user, const char *site);
    /* Send @json to @site, then detach it at once and close its connection
     * with @code and @reason. */
    void (*disconnect)(void *user, const char *site, const char *json, unsigned short code,
                       const char *reason);
} dc_host_callbacks;

/* WebSocket close codes (docs/protocol.md, section 7). */
#define DC_HOST_CLOSE_REMOVED 4003
#define DC_HOST_CLOSE_ENDED 4004

/* Opens the record at @record_path (cfg->record_path, or ":memory:"). Borrows @cfg and @roster (and
 * sets the roster's decorator). NULL with @error when the record cannot be opened. */
dc_host *dc_host_new(const dc_config *cfg, const char *record_path, dc_roster *roster,
                     const dc_host_callbacks *cb, void *user, GError **error);
void dc_host_free(dc_host *h);

/* NULL when @site (a configured id) may join now, else the error code;
 * *message gets the text for people. @present: it is present already. */
const char *dc_host_join_check(dc_host *h, const char *site, bool present, const char **message);
/* A site joined (after the roster admitted it): records it, and tells it
 * the meeting's state and its own. */
void dc_host_joined(dc_host *h, const char *site);
/* A site left or disconnected (@how for the record). */
void dc_host_left(dc_host *h, const char *site, const char *how);
/* Whether @site gets media (an endpoint at the bridge) now. */
bool dc_host_has_media(const dc_host *h, const char *site);
/* The bridge was just told endpoint.add for @site: resend its mutes and the
 * floor. */
void dc_host_bridge_added(dc_host *h, const char *site);
/* A DC_CLIENT_CHAIR message from joined @site. */
void dc_host_command(dc_host *h, const char *site, const dc_client_msg *m);
/* After every stats reply: incidents and quality samples. */
void dc_host_stats(dc_host *h, const dc_stats *st);
/* The same at @now_us (wall clock), for tests. */
void dc_host_stats_at(dc_host *h, const dc_stats *st, int64_t now_us);
