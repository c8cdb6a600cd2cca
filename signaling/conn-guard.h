/* signaling/conn-guard: keeps diemcau-signal's SoupServer from being held by
 * connections that cost nothing to open (README, "Resource limits").
 *
 * On "request-started" a socket not seen before is a new connection (libsoup
 * emits it right at accept, before TLS and before any byte is read): it is
 * counted per peer address (dc_auth_address_key(): IPv6 by /64) and in
 * total, and shut down at once over either cap. It counts until its GSocket
 * is closed (looked at when a request ends, at a cap, and every second) or
 * finalized (a weak reference): WebSocket connections, which keep the socket
 * after the upgrade, count too. (libsoup 3.2 closes a connection's socket at
 * once but may keep the GSocket object long after, e.g. when the peer hung
 * up before sending a request.) Between "request-started" (or, on a
 * keep-alive connection, the previous request's "request-finished": libsoup
 * 3.2.3 starts the next request only at its first byte) and "request-read"
 * a request has header_timeout to arrive whole (head and body), else the
 * socket is shut down: this closes half-open connections, slow headers and
 * keep-alive connections idle between requests.
 *
 * The decisions are signaling/conn-limits (sans-IO); this file is the glue
 * to libsoup, the GLib clock and the log (domain "dc-guard", refusals at most
 * one line per address per 10 s with the count of the others). Everything
 * runs on the thread-default main context of dc_conn_guard_new(). */
#pragma once

#include <libsoup/soup.h>

typedef struct dc_conn_guard dc_conn_guard;

typedef struct {
    unsigned max_per_address;
    unsigned max_total;
    unsigned header_timeout_ms;
} dc_conn_guard_params;

/* Watches @server (borrowed; free the guard first). */
dc_conn_guard *dc_conn_guard_new(SoupServer *server, const dc_conn_guard_params *p);
void dc_conn_guard_free(dc_conn_guard *g);

/* Connections accepted by the server since the guard started, refused ones
 * included: the listener watchdog's sign of life (signaling/listener.h). */
guint64 dc_conn_guard_accepted(const dc_conn_guard *g);
/* Connections shut down at a cap, and by the header timeout, so far. */
guint64 dc_conn_guard_refused(const dc_conn_guard *g);
guint64 dc_conn_guard_timed_out(const dc_conn_guard *g);
/* Connections open (counted) now. */
unsigned dc_conn_guard_open(const dc_conn_guard *g);
