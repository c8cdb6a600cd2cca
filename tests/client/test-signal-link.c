/* Tests of client/signal-link's keepalive against a real WebSocket server
 * (libsoup, in this process, on loopback): pings go out every 0.4 x the
 * silence limit; a pong, or any other message, keeps the link; nothing for
 * the limit calls on_silent once; pong is not handed over; a muted link
 * makes no callback at all. Real time, about 6 s in all. */
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "client/signal-link.h"

#define LIMIT_MS 1000

typedef enum { SERVER_PONG, SERVER_MUTE, SERVER_CHATTY } server_mode;

typedef struct {
    SoupServer *server;
    char *url;
    server_mode mode;
    SoupWebsocketConnection *conn; /* the last one */
    guint pings, chatter_id;
    /* the client side */
    guint opened, silent, closed, messages, pongs_handed;
    int64_t silent_ms;
} fx;

static void server_on_message(SoupWebsocketConnection *ws, gint type, GBytes *msg, gpointer data)
{
    fx *f = data;
    gsize len;
    const char *text = g_bytes_get_data(msg, &len);
    if (len >= 15 && g_strstr_len(text, (gssize)len, "\"ping\"")) {
        f->pings++;
        if (f->mode == SERVER_PONG)
            soup_websocket_connection_send_text(ws, "{\"type\":\"pong\"}");
    }
}

static gboolean chatter(gpointer data)
{
    fx *f = data;
    if (f->conn && soup_websocket_connection_get_state(f->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text(f->conn, "{\"type\":\"roster\",\"sites\":[]}");
    return G_SOURCE_CONTINUE;
}

static void server_on_connect(SoupServer *server, SoupServerMessage *msg, const char *path,
                              SoupWebsocketConnection *conn, gpointer data)
{
    fx *f = data;
    g_clear_object(&f->conn);
    f->conn = g_object_ref(conn);
    g_signal_connect(conn, "message", G_CALLBACK(server_on_message), f);
    if (f->mode == SERVER_CHATTY)
        f->chatter_id = g_timeout_add(300, chatter, f);
}

static void fx_init(fx *f, server_mode mode)
{
    memset(f, 0, sizeof *f);
    f->mode = mode;
    f->server = soup_server_new(NULL, NULL);
    soup_server_add_websocket_handler(f->server, "/ws", NULL, NULL, server_on_connect, f, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(soup_server_listen_local(f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
    g_assert_no_error(error);
    GSList *uris = soup_server_get_uris(f->server);
    g_assert_nonnull(uris);
    f->url = g_strdup_printf("ws://127.0.0.1:%d/ws", g_uri_get_port(uris->data));
    g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
}

static void fx_clear(fx *f)
{
    if (f->chatter_id)
        g_source_remove(f->chatter_id);
    g_clear_object(&f->conn);
    soup_server_disconnect(f->server);
    g_object_unref(f->server);
    g_free(f->url);
    /* let the closes go through */
    for (int i = 0; i < 20; i++)
        g_main_context_iteration(NULL, FALSE);
}

static void on_open(void *user)
{
    ((fx *)user)->opened++;
}

static void on_message(void *user, const char *type, JsonObject *msg)
{
    fx *f = user;
    f->messages++;
    if (strcmp(type, "pong") == 0)
        f->pongs_handed++;
}

static void on_closed(void *user, const char *why)
{
    ((fx *)user)->closed++;
}

static void on_silent(void *user, int64_t silent_ms)
{
    fx *f = user;
    f->silent++;
    f->silent_ms = silent_ms;
}

static const dc_signal_callbacks callbacks = {
    .on_open = on_open,
    .on_message = on_message,
    .on_closed = on_closed,
    .on_silent = on_silent,
};

static void run_ms(guint ms)
{
    int64_t end = g_get_monotonic_time() + (int64_t)ms * 1000;
    while (g_get_monotonic_time() < end) {
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(1000);
    }
}

static dc_signal_link *open_link(fx *f)
{
    dc_signal_link *l = dc_signal_link_new(f->url, NULL, &callbacks, f);
    g_assert_nonnull(l);
    dc_signal_link_set_silence_limit(l, LIMIT_MS);
    int64_t end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!f->opened && g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpuint(f->opened, ==, 1);
    return l;
}

/* Pongs keep the link: pings every 0.4 s, no silence in 2.5 s, and the
 * pongs are not handed over. */
static void test_pong_keeps_link(void)
{
    fx f;
    fx_init(&f, SERVER_PONG);
    dc_signal_link *l = open_link(&f);
    run_ms(2500);
    g_assert_cmpuint(f.silent, ==, 0);
    g_assert_cmpuint(f.closed, ==, 0);
    g_assert_cmpuint(f.pings, >=, 4);
    g_assert_cmpuint(f.pings, <=, 7);
    g_assert_cmpuint(f.pongs_handed, ==, 0);
    g_assert_cmpuint(f.messages, ==, 0);
    dc_signal_link_free(l);
    fx_clear(&f);
}

/* A server that never answers: on_silent once, after the limit and within
 * one ping interval (plus slack) of it; on_closed not called. */
static void test_silence_reported(void)
{
    fx f;
    fx_init(&f, SERVER_MUTE);
    dc_signal_link *l = open_link(&f);
    int64_t t0 = g_get_monotonic_time();
    while (!f.silent && g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC)
        g_main_context_iteration(NULL, TRUE);
    int64_t took_ms = (g_get_monotonic_time() - t0) / 1000;
    g_assert_cmpuint(f.silent, ==, 1);
    g_assert_cmpint(f.silent_ms, >=, LIMIT_MS);
    g_assert_cmpint(took_ms, >=, LIMIT_MS - 50);
    g_assert_cmpint(took_ms, <=, LIMIT_MS + LIMIT_MS * 2 / 5 + 600);
    g_assert_cmpuint(f.pings, >=, 2);
    run_ms(1500);
    g_assert_cmpuint(f.silent, ==, 1); /* once */
    g_assert_cmpuint(f.closed, ==, 0);
    g_assert_true(dc_signal_link_is_open(l)); /* left as it is */
    dc_signal_link_free(l);
    fx_clear(&f);
}

/* Any message counts as a sign of life, not only pong. */
static void test_any_message_keeps_link(void)
{
    fx f;
    fx_init(&f, SERVER_CHATTY);
    dc_signal_link *l = open_link(&f);
    run_ms(2500);
    g_assert_cmpuint(f.silent, ==, 0);
    g_assert_cmpuint(f.messages, >=, 5);
    dc_signal_link_free(l);
    fx_clear(&f);
}

/* A muted link makes no callback: not for messages, silence or the close. */
static void test_mute(void)
{
    fx f;
    fx_init(&f, SERVER_CHATTY);
    dc_signal_link *l = open_link(&f);
    run_ms(700);
    guint seen = f.messages;
    g_assert_cmpuint(seen, >=, 1);
    dc_signal_link_mute(l);
    guint pings = f.pings;
    run_ms(1500);
    g_assert_cmpuint(f.messages, ==, seen);
    g_assert_cmpuint(f.pings, ==, pings);
    soup_websocket_connection_close(f.conn, SOUP_WEBSOCKET_CLOSE_NORMAL, "bye");
    run_ms(500);
    g_assert_cmpuint(f.closed, ==, 0);
    g_assert_cmpuint(f.silent, ==, 0);
    dc_signal_link_free(l);
    fx_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/signal-link/pong-keeps-link", test_pong_keeps_link);
    g_test_add_func("/signal-link/silence-reported", test_silence_reported);
    g_test_add_func("/signal-link/any-message-keeps-link", test_any_message_keeps_link);
    g_test_add_func("/signal-link/mute", test_mute);
    return g_test_run();
}
