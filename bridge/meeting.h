/* meeting: one meeting at the bridge, living on one worker thread: the
 * sites' endpoints (endpoint.c), the sans-IO router (router.c), the offers
 * (offer.c) and their renegotiation, and the router's timer.
 *
 * Threading: dc_meeting_new() may run on any thread; every other function,
 * and every callback, runs on the worker whose GMainContext was given. No
 * locks: the control link hands commands over with
 * g_main_context_invoke_full().
 *
 * Messages to the signaling service leave through cb->emit as complete JSON
 * texts of the control link (docs/control.md): offer, candidate,
 * endpoint.state, error.
 *
 * Ownership: the caller owns the meeting and frees it on its worker; env's
 * config and cert are borrowed and must outlive it.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "bridge/sendq.h"
#include "common/config.h"
#include "core/dtls.h"

typedef struct dc_meeting dc_meeting;

typedef struct {
    /* A message for the signaling service; json is g_malloc'd and passed to
     * the callee. Called on the worker thread. */
    void (*emit)(void *user, const char *meeting_id, char *json);
} dc_meeting_callbacks;

typedef struct {
    GMainContext *ctx; /* the worker's */
    const dc_config *config;
    const dc_dtls_cert *cert;
    dc_sendq *sendq; /* the worker's send queue, or NULL (bridge/sendq.h) */
} dc_meeting_env;

/* Creates an empty meeting (no site present). Never NULL. */
dc_meeting *dc_meeting_new(const char *id, const dc_meeting_env *env,
                           const dc_meeting_callbacks *cb, void *user);

/* Closes every endpoint (no messages emitted) and frees m. NULL ok. */
void dc_meeting_free(dc_meeting *m);

/* The meeting id (borrowed). */
const char *dc_meeting_id(const dc_meeting *m);

/* endpoint.add: creates the site's endpoint, or replaces its session at once
 * (keeping the continuity of what it receives), and sends it an offer. */
void dc_meeting_endpoint_add(dc_meeting *m, const char *site, const char *session);

/* The commands below name the site's session (docs/control.md): one that is
 * not the endpoint's current session (a late command of a replaced join, or
 * a forged one) changes nothing; answer and ice-restart then emit an error
 * carrying that session, candidate and endpoint.remove are ignored. */

/* answer: the site's SDP answer to the last offer. */
void dc_meeting_answer(dc_meeting *m, const char *site, const char *session, const char *sdp);

/* candidate: a trickled remote candidate; empty = end of candidates. */
void dc_meeting_candidate(dc_meeting *m, const char *site, const char *session,
                          const char *candidate);

/* ice-restart: the site's path broke; new ICE credentials for its stream and
 * an offer with them (after the pending answer, if any; at most one per
 * second). DTLS, SRTP, mids and SSRCs are kept. */
void dc_meeting_ice_restart(dc_meeting *m, const char *site, const char *session);

/* stats: emits {"op":"stats","id":id,"meeting":ID,"sites":{...}} with every
 * configured site's link statistics and score (docs/control.md, "stats").
 * has_id false leaves "id" out. */
void dc_meeting_stats(dc_meeting *m, bool has_id, int64_t id);

/* mute: the chair's mute of site (audio/video: -1 unchanged, 0 on, 1 muted):
 * the router stops forwarding that stream to everyone. */
void dc_meeting_mute(dc_meeting *m, const char *site, int audio, int video);

/* floor: site (NULL = none) has the floor: its video is asked for its best. */
void dc_meeting_floor(dc_meeting *m, const char *site);

/* endpoint.remove: closes the site's endpoint; the others are re-offered. */
void dc_meeting_endpoint_remove(dc_meeting *m, const char *site, const char *session);
