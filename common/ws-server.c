/* common/ws-server: guarded WebSocket upgrades. See ws-server.h. */
#define G_LOG_DOMAIN "dc-ws"

#include "common/ws-server.h"

#include <errno.h>
#include <string.h>

#include "common/ws-guard.h"

/* ---- the guarded input stream ----
 * A filter over the connection's input that feeds every byte read to a
 * dc_ws_guard and fails the read once the guard refuses: libsoup then
 * closes the connection as on any read error. Pollable, as
 * SoupWebsocketConnection requires. */

#define DC_TYPE_WS_GUARD_STREAM (dc_ws_guard_stream_get_type())
G_DECLARE_FINAL_TYPE(DcWsGuardStream, dc_ws_guard_stream, DC, WS_GUARD_STREAM, GFilterInputStream)

struct _DcWsGuardStream {
    GFilterInputStream parent;
    dc_ws_guard guard;
};

static void dc_ws_guard_stream_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(DcWsGuardStream, dc_ws_guard_stream, G_TYPE_FILTER_INPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
                                              dc_ws_guard_stream_pollable_init))

static GInputStream *base_of(gpointer stream)
{
    return g_filter_input_stream_get_base_stream(G_FILTER_INPUT_STREAM(stream));
}

/* Checks n freshly read bytes; -1 with error set when the guard refuses. */
static gssize guarded(DcWsGuardStream *s, const void *buf, gssize n, GError **error)
{
    if (n <= 0) {
        return n;
    }
    int rc = dc_ws_guard_feed(&s->guard, buf, (size_t)n);
    if (rc == 0) {
        return n;
    }
    g_set_error(
        error, G_IO_ERROR, rc == -EMSGSIZE ? G_IO_ERROR_MESSAGE_TOO_LARGE : G_IO_ERROR_INVALID_DATA,
        rc == -EMSGSIZE ? "a WebSocket message over %" G_GUINT64_FORMAT " bytes"
                        : "a malformed WebSocket frame header (limit %" G_GUINT64_FORMAT ")",
        s->guard.max_message);
    return -1;
}

static gssize stream_read(GInputStream *stream, void *buf, gsize count, GCancellable *cancellable,
                          GError **error)
{
    DcWsGuardStream *s = DC_WS_GUARD_STREAM(stream);
    if (s->guard.error) {
        return guarded(s, buf, 1, error);
    }
    gssize n = g_input_stream_read(base_of(s), buf, count, cancellable, error);
    return guarded(s, buf, n, error);
}

static gboolean stream_can_poll(GPollableInputStream *stream)
{
    GInputStream *base = base_of(stream);
    return G_IS_POLLABLE_INPUT_STREAM(base) &&
           g_pollable_input_stream_can_poll(G_POLLABLE_INPUT_STREAM(base));
}

static gboolean stream_is_readable(GPollableInputStream *stream)
{
    return g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(base_of(stream)));
}

static GSource *stream_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
    g_autoptr(GSource) base = g_pollable_input_stream_create_source(
        G_POLLABLE_INPUT_STREAM(base_of(stream)), cancellable);
    return g_pollable_source_new_full(stream, base, cancellable);
}

static gssize stream_read_nonblocking(GPollableInputStream *stream, void *buf, gsize count,
                                      GError **error)
{
    DcWsGuardStream *s = DC_WS_GUARD_STREAM(stream);
    if (s->guard.error) {
        return guarded(s, buf, 1, error);
    }
    gssize n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(base_of(s)), buf,
                                                        count, NULL, error);
    return guarded(s, buf, n, error);
}

static void dc_ws_guard_stream_pollable_init(GPollableInputStreamInterface *iface)
{
    iface->can_poll = stream_can_poll;
    iface->is_readable = stream_is_readable;
    iface->create_source = stream_create_source;
    iface->read_nonblocking = stream_read_nonblocking;
}

static void dc_ws_guard_stream_class_init(DcWsGuardStreamClass *klass)
{
    G_INPUT_STREAM_CLASS(klass)->read_fn = stream_read;
}

static void dc_ws_guard_stream_init(DcWsGuardStream *s)
{
    (void)s;
}

static GInputStream *guard_stream_new(GInputStream *base, guint64 max_message)
{
    DcWsGuardStream *s = g_object_new(DC_TYPE_WS_GUARD_STREAM, "base-stream", base,
                                      "close-base-stream", FALSE, NULL);
    dc_ws_guard_init(&s->guard, max_message);
    return G_INPUT_STREAM(s);
}

/* ---- the connection's stream ----
 * The guarded input and the raw output as one GIOStream whose close closes
 * the connection libsoup handed over (a GSimpleIOStream would close only
 * the two halves and leave the socket open until the last reference went,
 * so that a client waited for the end of the stream after the closing
 * handshake). Closing is synchronous, on the caller's thread. */

#define DC_TYPE_WS_IO_STREAM (dc_ws_io_stream_get_type())
G_DECLARE_FINAL_TYPE(DcWsIOStream, dc_ws_io_stream, DC, WS_IO_STREAM, GIOStream)

struct _DcWsIOStream {
    GIOStream parent;
    GIOStream *raw;
    GInputStream *in;
};

G_DEFINE_TYPE(DcWsIOStream, dc_ws_io_stream, G_TYPE_IO_STREAM)

static GInputStream *io_get_input(GIOStream *stream)
{
    return DC_WS_IO_STREAM(stream)->in;
}

static GOutputStream *io_get_output(GIOStream *stream)
{
    return g_io_stream_get_output_stream(DC_WS_IO_STREAM(stream)->raw);
}

static gboolean io_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
    DcWsIOStream *s = DC_WS_IO_STREAM(stream);
    g_input_stream_close(s->in, NULL, NULL);
    return g_io_stream_close(s->raw, cancellable, error);
}

static void io_close_async(GIOStream *stream, int priority, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer data)
{
    g_autoptr(GTask) task = g_task_new(stream, cancellable, callback, data);
    GError *error = NULL;
    if (io_close(stream, cancellable, &error)) {
        g_task_return_boolean(task, TRUE);
    } else {
        g_task_return_error(task, error);
    }
}

static gboolean io_close_finish(GIOStream *stream, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

static void io_dispose(GObject *object)
{
    DcWsIOStream *s = DC_WS_IO_STREAM(object);
    if (s->raw && !g_io_stream_is_closed(G_IO_STREAM(s))) {
        g_io_stream_close(G_IO_STREAM(s), NULL, NULL);
    }
    g_clear_object(&s->in);
    g_clear_object(&s->raw);
    G_OBJECT_CLASS(dc_ws_io_stream_parent_class)->dispose(object);
}

static void dc_ws_io_stream_class_init(DcWsIOStreamClass *klass)
{
    GIOStreamClass *io = G_IO_STREAM_CLASS(klass);
    io->get_input_stream = io_get_input;
    io->get_output_stream = io_get_output;
    io->close_fn = io_close;
    io->close_async = io_close_async;
    io->close_finish = io_close_finish;
    G_OBJECT_CLASS(klass)->dispose = io_dispose;
}

static void dc_ws_io_stream_init(DcWsIOStream *s)
{
    (void)s;
}

static GIOStream *ws_io_stream_new(GIOStream *raw, guint64 max_message)
{
    DcWsIOStream *s = g_object_new(DC_TYPE_WS_IO_STREAM, NULL);
    s->raw = g_object_ref(raw);
    s->in = guard_stream_new(g_io_stream_get_input_stream(raw), max_message);
    return G_IO_STREAM(s);
}

/* ---- the upgrade ---- */

typedef struct {
    guint64 max_message;
    dc_ws_check_fn check;
    dc_ws_accept_fn accept;
    gpointer user;
} ws_endpoint;

static void respond(SoupServerMessage *msg, guint status, const char *text)
{
    g_autofree char *body = g_strdup_printf("%s\n", text);
    soup_server_message_set_status(msg, status, NULL);
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, body,
                                     strlen(body));
}

/* The 101 is written: takes the connection from libsoup and wraps it. */
static void on_upgraded(SoupServerMessage *msg, gpointer data)
{
    ws_endpoint *ep = data;
    g_signal_handlers_disconnect_by_func(msg, on_upgraded, data);
    g_autoptr(GIOStream) raw = soup_server_message_steal_connection(msg);
    if (!raw) {
        return;
    }
    g_autoptr(GIOStream) io = ws_io_stream_new(raw, ep->max_message);
    g_autoptr(SoupWebsocketConnection) conn = soup_websocket_connection_new(
        io, soup_server_message_get_uri(msg), SOUP_WEBSOCKET_CONNECTION_SERVER, dc_ws_origin(msg),
        NULL, NULL);
    /* libsoup's own frame limit stays as a second line. */
    soup_websocket_connection_set_max_incoming_payload_size(conn, ep->max_message);
    ep->accept(msg, conn, ep->user);
}

static void handler(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                    gpointer data)
{
    (void)server;
    (void)path;
    (void)query;
    ws_endpoint *ep = data;
    g_autoptr(GError) e = NULL;
    if (!soup_websocket_server_check_handshake(msg, NULL, NULL, NULL, &e)) {
        respond(msg, SOUP_STATUS_BAD_REQUEST, e ? e->message : "not a WebSocket upgrade");
        return;
    }
    const char *refusal = ep->check ? ep->check(msg, ep->user) : NULL;
    if (refusal) {
        respond(msg, SOUP_STATUS_FORBIDDEN, refusal);
        return;
    }
    if (!soup_websocket_server_process_handshake(msg, NULL, NULL, NULL, NULL)) {
        return; /* libsoup set the error status */
    }
    g_signal_connect(msg, "wrote-informational", G_CALLBACK(on_upgraded), ep);
}

void dc_ws_server_add(SoupServer *server, const char *path, guint64 max_message,
                      dc_ws_check_fn check, dc_ws_accept_fn accept, gpointer user)
{
    ws_endpoint *ep = g_new0(ws_endpoint, 1);
    ep->max_message = max_message;
    ep->check = check;
    ep->accept = accept;
    ep->user = user;
    soup_server_add_handler(server, path, handler, ep, g_free);
}

const char *dc_ws_origin(SoupServerMessage *msg)
{
    return soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Origin");
}

bool dc_ws_origin_is_same(SoupServerMessage *msg)
{
    const char *origin = dc_ws_origin(msg);
    const char *host =
        soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Host");
    if (!origin || !host) {
        return false;
    }
    g_autoptr(GUri) o = g_uri_parse(origin, G_URI_FLAGS_NONE, NULL);
    if (!o || !g_uri_get_host(o)) {
        return false;
    }
    const char *scheme = g_uri_get_scheme(o);
    int port = g_uri_get_port(o);
    if (port < 0) {
        port = g_ascii_strcasecmp(scheme, "https") == 0 ? 443 : 80;
    }
    /* Host is "name[:port]" or "[v6]:port". */
    g_autofree char *with_port = NULL;
    const char *o_host = g_uri_get_host(o);
    bool v6 = strchr(o_host, ':') != NULL;
    with_port = g_strdup_printf(v6 ? "[%s]:%d" : "%s:%d", o_host, port);
    g_autofree char *without = g_strdup_printf(v6 ? "[%s]" : "%s", o_host);
    bool default_port = port == (g_ascii_strcasecmp(scheme, "https") == 0 ? 443 : 80);
    return g_ascii_strcasecmp(host, with_port) == 0 ||
           (default_port && g_ascii_strcasecmp(host, without) == 0);
}
