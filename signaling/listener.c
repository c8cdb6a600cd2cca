/* signaling/listener: listening sockets and their watchdog. See
 * listener.h. */
#define G_LOG_DOMAIN "dc-listener"

#include "signaling/listener.h"

#include <poll.h>
#include <stdbool.h>

#define WATCHDOG_MS 1000
#define BACKLOG 256
#define LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

struct dc_listener {
    SoupServer *server;
    GInetSocketAddress *address; /* with the bound port */
    SoupServerListenOptions flags;
    GSocket *socket; /* ours, handed to the server */
    dc_listener_accepted_fn accepted;
    void *user;
    guint watchdog;
    bool waiting;          /* a connection waited at the last tick */
    guint64 accepted_then; /* the server's count at the last tick */
    unsigned revived;
    unsigned unlogged;   /* revivals not logged yet */
    int64_t last_log_us; /* the last warning */
};

/* A listening socket on @addr, SO_REUSEADDR, handed to the server. */
static GSocket *listen_socket(dc_listener *l, GSocketAddress *addr, GError **error)
{
    g_autoptr(GSocket) s = g_socket_new(g_socket_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                                        G_SOCKET_PROTOCOL_TCP, error);
    if (!s) {
        return NULL;
    }
    g_socket_set_listen_backlog(s, BACKLOG);
    if (!g_socket_bind(s, addr, TRUE, error) || !g_socket_listen(s, error) ||
        !soup_server_listen_socket(l->server, s, l->flags, error)) {
        g_socket_close(s, NULL);
        return NULL;
    }
    return g_steal_pointer(&s);
}

/* Whether a connection waits on @s to be accepted. */
static bool connection_waiting(GSocket *s)
{
    struct pollfd p = {.fd = g_socket_get_fd(s), .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void revive(dc_listener *l)
{
    g_socket_close(l->socket, NULL);
    g_clear_object(&l->socket);
    g_autoptr(GError) e = NULL;
    l->socket = listen_socket(l, G_SOCKET_ADDRESS(l->address), &e);
    l->revived++;
    l->unlogged++;
    int64_t now = g_get_monotonic_time();
    if (now - l->last_log_us >= LOG_INTERVAL_US) {
        g_warning("the listening socket stopped accepting (file descriptors ran out?): %s "
                  "(%u time(s) since the last line, %u in all)",
                  l->socket ? "replaced by a new one on the same port" : e->message, l->unlogged,
                  l->revived);
        l->unlogged = 0;
        l->last_log_us = now;
    }
}

static gboolean watchdog_cb(gpointer data)
{
    dc_listener *l = data;
    guint64 accepted = l->accepted(l->user);
    if (!l->socket) {
        /* The last revival could not make a socket: try again. */
        revive(l);
        l->waiting = false;
    } else {
        bool waiting = connection_waiting(l->socket);
        if (waiting && l->waiting && accepted == l->accepted_then) {
            revive(l);
            waiting = false;
        }
        l->waiting = waiting;
    }
    l->accepted_then = accepted;
    return G_SOURCE_CONTINUE;
}

dc_listener *dc_listener_new(SoupServer *server, GInetAddress *address, guint16 port,
                             SoupServerListenOptions flags, dc_listener_accepted_fn accepted,
                             void *user, GError **error)
{
    dc_listener *l = g_new0(dc_listener, 1);
    l->server = server;
    l->flags = flags;
    l->accepted = accepted;
    l->user = user;
    g_autoptr(GSocketAddress) want = g_inet_socket_address_new(address, port);
    l->socket = listen_socket(l, want, error);
    g_autoptr(GSocketAddress) bound =
        l->socket ? g_socket_get_local_address(l->socket, error) : NULL;
    if (!bound) {
        dc_listener_free(l);
        return NULL;
    }
    l->address = G_INET_SOCKET_ADDRESS(g_steal_pointer(&bound));
    l->last_log_us = g_get_monotonic_time() - LOG_INTERVAL_US;
    l->accepted_then = accepted(user);
    l->watchdog = g_timeout_add(WATCHDOG_MS, watchdog_cb, l);
    return l;
}

void dc_listener_free(dc_listener *l)
{
    if (!l) {
        return;
    }
    g_clear_handle_id(&l->watchdog, g_source_remove);
    g_clear_object(&l->socket);
    g_clear_object(&l->address);
    g_free(l);
}

guint16 dc_listener_port(const dc_listener *l)
{
    return g_inet_socket_address_get_port(l->address);
}

unsigned dc_listener_revived(const dc_listener *l)
{
    return l->revived;
}
