/* signaling/service: the meeting as diemcau-signal runs it. Owns the roster,
 * every site connection and the control link, and moves messages between
 * sites and the bridge (docs/protocol.md, docs/control.md).
 *
 * Invariants: at most one joined connection per site (a new join replaces the
 * old one at once); the bridge is told endpoint.remove for a session before
 * endpoint.add for the site's next one; bridge messages for a session that is
 * no longer current are dropped. */
#pragma once

#include <libsoup/soup.h>
#include <stdbool.h>

#include "common/config.h"
#include "common/control-auth.h"
#include "signaling/auth.h"

typedef struct dc_service dc_service;

/* Borrows @cfg, which must outlive the service; @control_secret (copied)
 * signs the control link (common/control-auth.h). */
dc_service *dc_service_new(const dc_config *cfg,
                           const uint8_t control_secret[DC_CONTROL_AUTH_SECRET_LEN]);
/* Closes every connection without waiting and frees the service. */
void dc_service_free(dc_service *svc);

/* Starts the control link (connects, retries every second). */
void dc_service_start(dc_service *svc);

/* Adopts a new WebSocket connection from /ws (takes a reference). @peer is
 * "ADDRESS:PORT" for logs, @address the peer's IP (the key of the wrong
 * credential throttle; NULL when unknown), @resume the session id of its
 * ?resume= query (copied; NULL when none): its join resumes that session
 * when it is the site's current one (docs/protocol.md, "Resuming a
 * session"). */
void dc_service_accept(dc_service *svc, SoupWebsocketConnection *conn, const char *peer,
                       const char *address, const char *resume);

/* Open WebSocket connections not joined (each holds one of [limits]
 * max_pending_joins; per address at most max_pending_joins_per_address),
 * and WebSocket connections in all (closing ones included). */
unsigned dc_service_pending_joins(const dc_service *svc);
unsigned dc_service_connections(const dc_service *svc);

/* Starts closing every site connection (1001 going away); returns the number
 * still open. Call again (after iterating the main context) until 0. */
unsigned dc_service_close_all(dc_service *svc);

/* The JSON body of GET /api/roster. Free with g_free(). */
char *dc_service_roster_api_json(const dc_service *svc);

/* The config the service was made with. */
const dc_config *dc_service_config(const dc_service *svc);

/* The body of GET /api/stats (@site NULL) or /api/stats/SITE; NULL when @site
 * is not a configured site. Free with g_free(). */
char *dc_service_stats_json(const dc_service *svc, const char *site);

/* The body of GET /metrics (Prometheus text). Free with g_free(). */
char *dc_service_metrics_text(const dc_service *svc);

/* The credential checker the sites' joins use; the technician API shares it
 * (one cache, one throttle). Lives as long as @svc. */
dc_auth *dc_service_auth(dc_service *svc);
