/* signaling/conn-guard: signaling/conn-limits wired to a SoupServer. See
 * conn-guard.h. */
#define G_LOG_DOMAIN "dc-guard"

#include "signaling/conn-guard.h"

#include "signaling/auth.h"
#include "signaling/conn-limits.h"

#include <stdbool.h>

#define LOG_INTERVAL_US (10 * G_USEC_PER_SEC)
/* Closed sockets are looked for every REAP_MS, and on a refusal at most
 * every REAP_MIN_US. */
#define REAP_MS 1000
#define REAP_MIN_US (10 * 1000)

struct dc_conn_guard {
    SoupServer *server;
    dc_conn_limits *limits;
    dc_conn_guard_params p;
    GHashTable *sockets; /* GSocket * counted (weakly referenced) */
    GSource *timer;      /* at dc_conn_limits_next_timeout() */
    int64_t timer_at;    /* its time, -1 when none */
    gulong started_id, read_id, finished_id, aborted_id;
    guint reaper;      /* every REAP_MS */
    int64_t reaped_us; /* the last reap on a refusal */
    guint64 accepted;
    guint64 refused_total;    /* shut down at a cap */
    guint64 timed_out_total;  /* shut down by the header timeout */
    unsigned timed_out;       /* closed by the header timeout, not logged yet */
    int64_t timed_out_log_us; /* the last line about them */
};

static gboolean timer_cb(gpointer data);

/* Sets the timer to the limits' next timeout (unchanged when it is). */
static void rearm(dc_conn_guard *g)
{
    int64_t at = dc_conn_limits_next_timeout(g->limits);
    if (at == g->timer_at) {
        return;
    }
    if (g->timer) {
        g_source_destroy(g->timer);
        g_clear_pointer(&g->timer, g_source_unref);
    }
    g->timer_at = at;
    if (at < 0) {
        return;
    }
    int64_t wait_us = at - g_get_monotonic_time();
    guint ms = wait_us <= 0 ? 0 : (guint)((wait_us + 999) / 1000);
    g->timer = g_timeout_source_new(ms);
    g_source_set_callback(g->timer, timer_cb, g, NULL);
    g_source_set_name(g->timer, "dc-guard deadlines");
    g_source_attach(g->timer, g_main_context_get_thread_default());
}

/* One line per LOG_INTERVAL_US at most for the header timeouts. */
static void log_timed_out(dc_conn_guard *g, int64_t now)
{
    if (g->timed_out && now - g->timed_out_log_us >= LOG_INTERVAL_US) {
        g_message("closed %u connection(s) that sent no complete request within %u ms",
                  g->timed_out, g->p.header_timeout_ms);
        g->timed_out = 0;
        g->timed_out_log_us = now;
    }
}

static gboolean timer_cb(gpointer data)
{
    dc_conn_guard *g = data;
    int64_t now = g_get_monotonic_time();
    const void *h;
    while ((h = dc_conn_limits_expired(g->limits, now))) {
        /* Still counted, so still alive: its weak reference has not fired. */
        g_socket_shutdown((GSocket *)h, TRUE, TRUE, NULL);
        g->timed_out++;
        g->timed_out_total++;
    }
    log_timed_out(g, now);
    const char *key;
    unsigned suppressed;
    while (dc_conn_limits_log_due(g->limits, now, &key, &suppressed)) {
        if (key) {
            g_warning("%u more connection(s) from %s refused (too many from that address)",
                      suppressed, key);
        } else {
            g_warning("%u more connection(s) refused (too many connections in all)", suppressed);
        }
    }
    /* This source is done; rearm() makes the next one. */
    g_clear_pointer(&g->timer, g_source_unref);
    g->timer_at = -1;
    rearm(g);
    return G_SOURCE_REMOVE;
}

static void socket_gone(gpointer data, GObject *where_the_object_was)
{
    dc_conn_guard *g = data;
    g_hash_table_remove(g->sockets, where_the_object_was);
    dc_conn_limits_close(g->limits, where_the_object_was);
    rearm(g);
}

/* Ends the count of @sock when it is closed: libsoup 3.2 closes a
 * connection's socket at once but may keep the GSocket object (through its
 * messages) long after, e.g. for a request aborted before it was read. */
static bool release_if_closed(dc_conn_guard *g, GSocket *sock)
{
    if (!g_socket_is_closed(sock)) {
        return false;
    }
    g_object_weak_unref(G_OBJECT(sock), socket_gone, g);
    dc_conn_limits_close(g->limits, sock);
    return true;
}

/* Releases every counted socket that is closed. */
static void reap(dc_conn_guard *g)
{
    GHashTableIter it;
    gpointer sock;
    g_hash_table_iter_init(&it, g->sockets);
    while (g_hash_table_iter_next(&it, &sock, NULL)) {
        if (release_if_closed(g, sock)) {
            g_hash_table_iter_remove(&it);
        }
    }
    rearm(g);
}

/* Every REAP_MS: closed sockets, and the header timeouts not logged yet. */
static gboolean reap_cb(gpointer data)
{
    reap(data);
    log_timed_out(data, g_get_monotonic_time());
    return G_SOURCE_CONTINUE;
}

/* A request ended (answered or aborted): its connection may be closed.
 * One kept alive waits for its next request, which libsoup 3.2.3 announces
 * (request-started) only once its first byte arrives: the deadline runs
 * from now. Not after a WebSocket upgrade (101): the socket is the
 * WebSocket's then. */
static void request_ended(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
    dc_conn_guard *g = data;
    GSocket *sock = soup_server_message_get_socket(msg);
    if (!sock || !g_hash_table_contains(g->sockets, sock)) {
        return;
    }
    if (release_if_closed(g, sock)) {
        g_hash_table_remove(g->sockets, sock);
    } else if (soup_server_message_get_status(msg) != SOUP_STATUS_SWITCHING_PROTOCOLS) {
        dc_conn_limits_request_started(g->limits, sock, g_get_monotonic_time());
    }
    rearm(g);
}

/* The peer key of @sock (dc_auth_address_key()); "?" when unknown. */
static char *peer_key(GSocket *sock)
{
    g_autoptr(GSocketAddress) a = g_socket_get_remote_address(sock, NULL);
    if (!a || !G_IS_INET_SOCKET_ADDRESS(a)) {
        return g_strdup("?");
    }
    g_autofree char *ip =
        g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(a)));
    return dc_auth_address_key(ip);
}

/* A new connection: counted, or shut down over a cap. */
static bool admit(dc_conn_guard *g, GSocket *sock, int64_t now)
{
    g->accepted++;
    g_autofree char *key = peer_key(sock);
    bool full = dc_conn_limits_count(g->limits, key) >= g->p.max_per_address ||
                dc_conn_limits_total(g->limits) >= g->p.max_total;
    if (full && now - g->reaped_us >= REAP_MIN_US) {
        /* At a cap: first forget the connections already closed. */
        g->reaped_us = now;
        reap(g);
    }
    bool log = false;
    unsigned suppressed = 0;
    dc_conn_verdict v = dc_conn_limits_open(g->limits, sock, key, now, &log, &suppressed);
    if (v == DC_CONN_OK) {
        g_hash_table_add(g->sockets, sock);
        g_object_weak_ref(G_OBJECT(sock), socket_gone, g);
        return true;
    }
    g_socket_shutdown(sock, TRUE, TRUE, NULL);
    g->refused_total++;
    if (!log) {
        return false;
    }
    g_autofree char *more =
        suppressed ? g_strdup_printf(" (%u more refused since the last line)", suppressed)
                   : g_strdup("");
    if (v == DC_CONN_REFUSE_ADDRESS) {
        g_warning("connection from %s refused: %u open from that address, the limit ([limits] "
                  "max_connections_per_address)%s",
                  key, dc_conn_limits_count(g->limits, key), more);
    } else {
        g_warning("connection from %s refused: %u open in all, the limit ([limits] "
                  "max_connections or the file descriptor limit)%s",
                  key, dc_conn_limits_total(g->limits), more);
    }
    return false;
}

static void request_started(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
    dc_conn_guard *g = data;
    GSocket *sock = soup_server_message_get_socket(msg);
    if (!sock) {
        return;
    }
    int64_t now = g_get_monotonic_time();
    if (!g_hash_table_contains(g->sockets, sock) && !admit(g, sock, now)) {
        return;
    }
    dc_conn_limits_request_started(g->limits, sock, now);
    rearm(g);
}

static void request_read(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
    dc_conn_guard *g = data;
    GSocket *sock = soup_server_message_get_socket(msg);
    if (sock) {
        dc_conn_limits_request_read(g->limits, sock);
        rearm(g);
    }
}

dc_conn_guard *dc_conn_guard_new(SoupServer *server, const dc_conn_guard_params *p)
{
    dc_conn_guard *g = g_new0(dc_conn_guard, 1);
    g->server = server;
    g->p = *p;
    dc_conn_limits_params lp = {
        .max_per_address = p->max_per_address,
        .max_total = p->max_total,
        .header_timeout_us = (int64_t)p->header_timeout_ms * 1000,
        .log_interval_us = LOG_INTERVAL_US,
    };
    g->limits = dc_conn_limits_new(&lp);
    g->sockets = g_hash_table_new(g_direct_hash, g_direct_equal);
    g->timer_at = -1;
    g->timed_out_log_us = g_get_monotonic_time() - LOG_INTERVAL_US;
    g->started_id = g_signal_connect(server, "request-started", G_CALLBACK(request_started), g);
    g->read_id = g_signal_connect(server, "request-read", G_CALLBACK(request_read), g);
    g->finished_id = g_signal_connect(server, "request-finished", G_CALLBACK(request_ended), g);
    g->aborted_id = g_signal_connect(server, "request-aborted", G_CALLBACK(request_ended), g);
    g->reaper = g_timeout_add(REAP_MS, reap_cb, g);
    return g;
}

void dc_conn_guard_free(dc_conn_guard *g)
{
    if (!g) {
        return;
    }
    g_clear_signal_handler(&g->started_id, g->server);
    g_clear_signal_handler(&g->read_id, g->server);
    g_clear_signal_handler(&g->finished_id, g->server);
    g_clear_signal_handler(&g->aborted_id, g->server);
    g_clear_handle_id(&g->reaper, g_source_remove);
    GHashTableIter it;
    gpointer sock;
    g_hash_table_iter_init(&it, g->sockets);
    while (g_hash_table_iter_next(&it, &sock, NULL)) {
        g_object_weak_unref(sock, socket_gone, g);
    }
    g_hash_table_destroy(g->sockets);
    if (g->timer) {
        g_source_destroy(g->timer);
        g_source_unref(g->timer);
    }
    dc_conn_limits_free(g->limits);
    g_free(g);
}

guint64 dc_conn_guard_accepted(const dc_conn_guard *g)
{
    return g->accepted;
}

guint64 dc_conn_guard_refused(const dc_conn_guard *g)
{
    return g->refused_total;
}

guint64 dc_conn_guard_timed_out(const dc_conn_guard *g)
{
    return g->timed_out_total;
}

unsigned dc_conn_guard_open(const dc_conn_guard *g)
{
    return dc_conn_limits_total(g->limits);
}
