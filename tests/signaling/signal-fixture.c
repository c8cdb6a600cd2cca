/* signal-fixture: see signal-fixture.h. */
#include "signal-fixture.h"

#include <glib/gstdio.h>

const char *signal_bin;

/* ------------------------------------------------------------------------ */
/* A message queue of parsed JSON objects                                   */

JsonObject *parse_obj(const char *text, gsize len)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) e = NULL;
    if (!json_parser_load_from_data(p, text, (gssize)len, &e)) {
        g_error("peer sent non-JSON: %s", e->message);
    }
    JsonNode *root = json_parser_get_root(p);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
    return json_object_ref(json_node_get_object(root));
}

const char *str_of(JsonObject *o, const char *key)
{
    return json_object_has_member(o, key) ? json_object_get_string_member(o, key) : NULL;
}

gboolean inbox_has(gpointer data)
{
    inbox *b = data;
    for (GList *l = b->q.head; l; l = l->next) {
        if (g_strcmp0(str_of(l->data, b->tag), b->want) == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Removes and returns the first message whose tag is @want, waiting for it;
 * NULL on timeout. Other messages stay queued. */
JsonObject *inbox_take(inbox *b, const char *want, guint ms)
{
    b->want = want;
    if (!ts_wait_for(inbox_has, b, ms)) {
        return NULL;
    }
    for (GList *l = b->q.head; l; l = l->next) {
        if (g_strcmp0(str_of(l->data, b->tag), want) == 0) {
            JsonObject *o = l->data;
            g_queue_delete_link(&b->q, l);
            return o;
        }
    }
    return NULL;
}

void inbox_clear(inbox *b)
{
    g_queue_clear_full(&b->q, (GDestroyNotify)json_object_unref);
}

guint inbox_count(inbox *b, const char *want)
{
    guint n = 0;
    for (GList *l = b->q.head; l; l = l->next) {
        n += g_strcmp0(str_of(l->data, b->tag), want) == 0;
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Sites                                                                    */

static void site_on_message(SoupWebsocketConnection *c, gint type, GBytes *bytes, gpointer data)
{
    site *s = data;
    gsize len;
    const char *text = g_bytes_get_data(bytes, &len);
    g_queue_push_tail(&s->in.q, parse_obj(text, len));
}

static void site_on_closed(SoupWebsocketConnection *c, gpointer data)
{
    site *s = data;
    s->closed = TRUE;
    s->close_code = soup_websocket_connection_get_close_code(c);
}

gboolean site_closed(gpointer data)
{
    return ((site *)data)->closed;
}

void site_free(site *s)
{
    if (!s) {
        return;
    }
    if (soup_websocket_connection_get_state(s->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
        soup_websocket_connection_close(s->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
    ts_wait_for(site_closed, s, WAIT_MS);
    g_signal_handlers_disconnect_by_data(s->conn, s);
    g_object_unref(s->conn);
    inbox_clear(&s->in);
    g_free(s);
}

void site_send(site *s, const char *json)
{
    soup_websocket_connection_send_text(s->conn, json);
}

JsonObject *site_take(site *s, const char *type)
{
    JsonObject *o = inbox_take(&s->in, type, WAIT_MS);
    if (!o) {
        g_error("site: no “%s” message within %d ms", type, WAIT_MS);
    }
    return o;
}

/* ------------------------------------------------------------------------ */
/* Fixture: temp dir, stand-in bridge, the service                          */

static void bridge_on_message(SoupWebsocketConnection *c, gint type, GBytes *bytes, gpointer data)
{
    fixture *f = data;
    gsize len;
    const char *text = g_bytes_get_data(bytes, &len);
    JsonObject *o = parse_obj(text, len);
    if (g_strcmp0(str_of(o, "op"), "hello") == 0) {
        f->hellos++;
        g_autofree char *reply =
            g_strdup_printf("{\"op\":\"hello\",\"bridge\":\"%s\"}", f->bridge_id);
        soup_websocket_connection_send_text(c, reply);
    }
    g_queue_push_tail(&f->bridge_in.q, o);
}

static void bridge_on_closed(SoupWebsocketConnection *c, gpointer data)
{
    fixture *f = data;
    if (f->link == c) {
        g_signal_handlers_disconnect_by_data(c, f);
        g_clear_object(&f->link);
    }
}

static void bridge_on_connect(SoupServer *server, SoupServerMessage *msg, const char *path,
                              SoupWebsocketConnection *conn, gpointer data)
{
    fixture *f = data;
    g_assert_null(f->link); /* one control link at a time */
    f->link = g_object_ref(conn);
    g_free(f->link_auth);
    f->link_auth = g_strdup(soup_message_headers_get_one(
        soup_server_message_get_request_headers(msg), "Authorization"));
    g_signal_connect(conn, "message", G_CALLBACK(bridge_on_message), f);
    g_signal_connect(conn, "closed", G_CALLBACK(bridge_on_closed), f);
}

void bridge_send(fixture *f, const char *json)
{
    g_assert_nonnull(f->link);
    soup_websocket_connection_send_text(f->link, json);
}

JsonObject *bridge_take(fixture *f, const char *op)
{
    JsonObject *o = inbox_take(&f->bridge_in, op, WAIT_MS);
    if (!o) {
        g_error("bridge: no “%s” op within %d ms", op, WAIT_MS);
    }
    return o;
}

/* @meeting_extra: more keys for [meeting] (the test's data), or NULL. */
static void write_config(fixture *f, guint bridge_port, const char *meeting_extra)
{
    g_autofree char *web = g_build_filename(f->dir, "web", NULL);
    g_assert_cmpint(g_mkdir(web, 0700), ==, 0);
    g_autofree char *index = g_build_filename(web, "index.html", NULL);
    g_autofree char *js = g_build_filename(web, "app.js", NULL);
    g_assert_true(g_file_set_contents(index, "<!doctype html><title>Điểm cầu</title>", -1, NULL));
    g_assert_true(g_file_set_contents(js, "console.log('dc');", -1, NULL));
    g_autofree char *secret = g_build_filename(f->dir, "secret.txt", NULL);
    g_assert_true(g_file_set_contents(secret, "not for the web", -1, NULL));

    g_autofree char *text = g_strdup_printf(
        "[meeting]\nid = hatinh-test\ntitle = Hội nghị thử\n%s"
        "[signaling]\naddress = 127.0.0.1\nport = 0\nweb_root = web\n%s"
        "[bridge]\ncontrol_address = 127.0.0.1\ncontrol_port = %u\n"
        "[site.tinh]\nname = Công an tỉnh Hà Tĩnh\nrole = chair\ncredential = " HASH_TINH "\n"
        "[site.can-loc]\nname = Huyện Can Lộc\nrole = district\ncredential = " HASH_CAN_LOC "\n"
        "[site.duc-tho]\nname = Huyện Đức Thọ\nrole = district\ncredential = " HASH_DUC_THO "\n",
        meeting_extra ? meeting_extra : "", f->signaling_extra ? f->signaling_extra : "",
        bridge_port);
    f->config = g_build_filename(f->dir, "test.ini", NULL);
    g_assert_true(g_file_set_contents(f->config, text, -1, NULL));
}

static gboolean link_up(gpointer data)
{
    fixture *f = data;
    return f->link != NULL && f->hellos > 0;
}

void setup(fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->dir = g_dir_make_tmp("dc-signal-XXXXXX", &error);
    g_assert_no_error(error);
    f->http = soup_session_new();
    f->bridge_in.tag = "op";
    f->bridge_id = "bridge-1";

    f->bridge = soup_server_new(NULL, NULL);
    soup_server_add_websocket_handler(f->bridge, "/control", NULL, NULL, bridge_on_connect, f,
                                      NULL);
    g_assert_true(soup_server_listen_local(f->bridge, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
    write_config(f, ts_bound_port(f->bridge), data);

    g_autofree char *nofile = f->nofile ? g_strdup_printf("--nofile=%s", f->nofile) : NULL;
    const char *plain[] = {signal_bin, "--config", f->config, NULL};
    const char *limited[] = {"prlimit", nofile, "--", signal_bin, "--config", f->config, NULL};
    guint port;
    f->proc = ts_spawn_http(nofile ? limited : plain, WAIT_MS, &port);
    g_assert_cmpuint(port, >, 0);
    f->base = g_strdup_printf("http://127.0.0.1:%u", port);
    f->ws_url = g_strdup_printf("ws://127.0.0.1:%u/ws", port);

    /* The service connects to the bridge and says hello. */
    g_assert_true(ts_wait_for(link_up, f, WAIT_MS));
    g_autoptr(JsonObject) hello = bridge_take(f, "hello");
    g_assert_cmpstr(str_of(hello, "meeting"), ==, "hatinh-test");
    g_assert_nonnull(str_of(hello, "signal"));
}

void teardown(fixture *f, gconstpointer data)
{
    /* Clean stop: SIGTERM, exit status 0 (under ASan: and no leak). */
    ts_stop_child(f->proc, "diemcau-signal", 2 * WAIT_MS);
    g_clear_object(&f->proc);

    if (f->link) {
        g_signal_handlers_disconnect_by_data(f->link, f);
        g_clear_object(&f->link);
    }
    soup_server_disconnect(f->bridge);
    g_clear_object(&f->bridge);
    inbox_clear(&f->bridge_in);
    soup_session_abort(f->http);
    g_clear_object(&f->http);
    ts_run_for(20);
    ts_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->config);
    g_free(f->base);
    g_free(f->ws_url);
    g_free(f->link_auth);
}

/* ------------------------------------------------------------------------ */
/* Helpers over the fixture                                                 */

static site *site_open_session(SoupSession *http, const char *url)
{
    site *s = g_new0(site, 1);
    s->in.tag = "type";
    s->conn = ts_ws_connect(http, url, WAIT_MS);
    g_signal_connect(s->conn, "message", G_CALLBACK(site_on_message), s);
    g_signal_connect(s->conn, "closed", G_CALLBACK(site_on_closed), s);
    return s;
}

site *site_open_url(fixture *f, const char *url)
{
    return site_open_session(f->http, url);
}

site *site_open_with(fixture *f, SoupSession *http)
{
    return site_open_session(http, f->ws_url);
}

site *site_open(fixture *f)
{
    return site_open_url(f, f->ws_url);
}

/* Opens a connection, joins and returns it; *session gets the session id. */
site *site_join(fixture *f, const char *id, const char *cred, char **session)
{
    site *s = site_open(f);
    g_autofree char *join =
        g_strdup_printf("{\"type\":\"join\",\"site\":\"%s\",\"credential\":\"%s\"}", id, cred);
    site_send(s, join);
    g_autoptr(JsonObject) w = site_take(s, "welcome");
    g_assert_cmpstr(str_of(w, "site"), ==, id);
    if (session) {
        *session = g_strdup(str_of(w, "session"));
    }
    return s;
}

/* The roster entry of @id in a roster or welcome message. */
JsonObject *roster_entry(JsonObject *msg, const char *id)
{
    const char *member = json_object_has_member(msg, "sites") ? "sites" : "roster";
    JsonArray *a = json_object_get_array_member(msg, member);
    JsonObject *found = NULL;
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *e = json_array_get_object_element(a, i);
        if (g_strcmp0(str_of(e, "id"), id) == 0) {
            g_assert_null(found); /* never twice */
            found = e;
        }
    }
    g_assert_nonnull(found);
    return found;
}

void assert_present(JsonObject *msg, const char *id, gboolean present, const char *state)
{
    JsonObject *e = roster_entry(msg, id);
    g_assert_cmpint(json_object_get_boolean_member(e, "present"), ==, present);
    g_assert_cmpstr(str_of(e, "state"), ==, state);
}

/* Takes the next endpoint op from the bridge inbox and checks it. */
void expect_endpoint_op(fixture *f, const char *op, const char *site_id, const char *session)
{
    g_autoptr(JsonObject) o = bridge_take(f, op);
    g_assert_cmpstr(str_of(o, "meeting"), ==, "hatinh-test");
    g_assert_cmpstr(str_of(o, "endpoint"), ==, site_id);
    if (session) {
        g_assert_cmpstr(str_of(o, "session"), ==, session);
    }
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
