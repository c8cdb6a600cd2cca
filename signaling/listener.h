/* signaling/listener: diemcau-signal's listening socket, made here (not by
 * soup_server_listen) so that a dead one can be replaced.
 *
 * libsoup 3.2's SoupListener removes its accept source for good after one
 * failed accept (EMFILE when file descriptors run out): the server would
 * never accept again, even after the attacker leaves. A watchdog polls the
 * listening socket every WATCHDOG_MS with a zero timeout: when a connection
 * has been waiting to be accepted at two consecutive ticks and the server
 * accepted none in between (@accepted does not move), the listener is dead.
 * Its socket is closed (the stale SoupListener keeps an object with no
 * source) and a fresh one bound to the same address and port (SO_REUSEADDR)
 * is handed to soup_server_listen_socket() with the same options, with a
 * warning (at most one line per 10 s, with the count).
 *
 * Runs on the thread-default main context of dc_listener_new(). */
#pragma once

#include <libsoup/soup.h>

typedef struct dc_listener dc_listener;

/* Connections the server has accepted so far (any monotonic count). */
typedef guint64 (*dc_listener_accepted_fn)(void *user);

/* Listens on @address port @port (0: any free port) with @flags
 * (SOUP_SERVER_LISTEN_HTTPS needs the server's certificate set first) and
 * starts the watchdog. Borrows @server (free the listener first). NULL with
 * @error set when the socket cannot be made, bound or listened on. */
dc_listener *dc_listener_new(SoupServer *server, GInetAddress *address, guint16 port,
                             SoupServerListenOptions flags, dc_listener_accepted_fn accepted,
                             void *user, GError **error);
void dc_listener_free(dc_listener *l);

/* The port bound (the real one when 0 was asked). */
guint16 dc_listener_port(const dc_listener *l);
/* Times the listening socket was replaced. */
unsigned dc_listener_revived(const dc_listener *l);
