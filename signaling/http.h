/* signaling/http: what diemcau-signal serves over HTTP on its one port:
 *   GET  /             the web page: files under web_root, with their MIME type
 *   GET  /api/roster   the meeting's roster as JSON (docs/protocol.md)
 *   GET  /ws           WebSocket upgrade for sites, handed to the service */
#pragma once

#include <libsoup/soup.h>

#include "signaling/service.h"

typedef struct dc_http dc_http;

/* Registers the handlers on @server. Borrows @server and @svc; copies
 * @web_root. Free before @server and @svc. */
dc_http *dc_http_new(SoupServer *server, dc_service *svc, const char *web_root);
void dc_http_free(dc_http *http);

/* More Prometheus text for GET /metrics (the connection guard's and the
 * listener's counters, which main.c owns): @fn(@user) returns it, freed
 * with g_free(). */
typedef char *(*dc_http_metrics_fn)(void *user);
void dc_http_set_metrics_extra(dc_http *http, dc_http_metrics_fn fn, void *user);

/* The MIME type for a file name, by extension ("application/octet-stream"
 * when unknown). Static string. */
const char *dc_http_mime_type(const char *filename);

/* Maps a request path (still percent-encoded) to a file name relative to the
 * web root: "/" → "index.html", "/js/app.js" → "js/app.js". NULL when the
 * path is malformed or names a hidden or parent entry (".", "..", ".git",
 * an encoded '/', '\\' or NUL). Free with g_free(). */
char *dc_http_relative_path(const char *path);
