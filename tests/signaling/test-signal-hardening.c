/* End-to-end tests of diemcau-signal against what an attacker on the
 * provincial network sends before and after joining (issue 13): JSON that
 * nests without end, a WebSocket message in endless fragments, a page from
 * another origin, a message flood, a forged site id. Each shows the attack
 * fails and that a real site still joins afterwards. The harness, with the
 * real binary and a stand-in bridge, is signal-fixture.h; the raw socket
 * helpers below speak HTTP and WebSocket frames by hand, because libsoup's
 * client cannot send what an attacker sends. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal-fixture.h"

/* ---- a raw WebSocket client ---- */

typedef struct {
    GSocketConnection *conn;
    GSocket *sock;
} raw_ws;

static void raw_ws_free(raw_ws *r)
{
    g_clear_object(&r->conn);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(raw_ws, raw_ws_free)

/* Connects to the service and sends an upgrade request for /ws (with
 * origin as its Origin header when not NULL); *status is the HTTP status of
 * the answer. Blocking, with a 5 s socket timeout: the service is another
 * process. */
static raw_ws *raw_ws_open(fixture *f, const char *origin, guint *status)
{
    raw_ws *r = g_new0(raw_ws, 1);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GError) e = NULL;
    g_autoptr(GUri) uri = g_uri_parse(f->base, G_URI_FLAGS_NONE, &e);
    g_assert_no_error(e);
    r->conn = g_socket_client_connect_to_host(client, g_uri_get_host(uri),
                                              (guint16)g_uri_get_port(uri), NULL, &e);
    g_assert_no_error(e);
    r->sock = g_socket_connection_get_socket(r->conn);
    g_socket_set_timeout(r->sock, 5);
    g_autofree char *origin_line =
        origin ? g_strdup_printf("Origin: %s\r\n", origin) : g_strdup("");
    g_autofree char *req = g_strdup_printf(
        "GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
        g_uri_get_host(uri), g_uri_get_port(uri), origin_line);
    g_assert_cmpint(g_socket_send(r->sock, req, strlen(req), NULL, &e), ==, (gssize)strlen(req));
    /* The answer's head, byte by byte up to the blank line. */
    GString *head = g_string_new(NULL);
    while (!g_str_has_suffix(head->str, "\r\n\r\n") && head->len < 8192) {
        char c;
        gssize n = g_socket_receive(r->sock, &c, 1, NULL, &e);
        g_assert_no_error(e);
        if (n <= 0) {
            break;
        }
        g_string_append_c(head, c);
    }
    *status = 0;
    sscanf(head->str, "HTTP/1.1 %u", status);
    g_test_message("upgrade with Origin %s: %.*s", origin ? origin : "(none)",
                   (int)strcspn(head->str, "\r"), head->str);
    g_string_free(head, TRUE);
    return r;
}

/* Sends one masked client frame; false once the service has closed. */
static bool raw_ws_frame(raw_ws *r, bool fin, int opcode, const uint8_t *payload, size_t len)
{
    uint8_t hdr[14];
    size_t n = 0;
    hdr[n++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        hdr[n++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        hdr[n++] = 0x80 | 126;
        hdr[n++] = (uint8_t)(len >> 8);
        hdr[n++] = (uint8_t)len;
    } else {
        hdr[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) {
            hdr[n++] = (uint8_t)((uint64_t)len >> (8 * i));
        }
    }
    memset(hdr + n, 0, 4); /* a zero mask: the payload goes as it is */
    n += 4;
    GOutputVector v[2] = {{hdr, n}, {payload, len}};
    gsize sent = 0;
    GPollableReturn rc = g_socket_send_message_with_timeout(r->sock, NULL, v, 2, NULL, 0, 0,
                                                            5000000, &sent, NULL, NULL);
    return rc == G_POLLABLE_RETURN_OK && sent == n + len;
}

/* Whether the service closes the connection within ms: reads (and drops)
 * whatever it sends until the end of the stream. */
static bool raw_ws_closed_within(raw_ws *r, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    char buf[4096];
    while (g_get_monotonic_time() < end) {
        g_autoptr(GError) e = NULL;
        gssize n = g_socket_receive(r->sock, buf, sizeof buf, NULL, &e);
        if (n == 0 || (n < 0 && !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))) {
            return true;
        }
    }
    return false;
}

/* The resident memory of the service, in KiB. */
static long service_rss_kib(fixture *f)
{
    g_autofree char *path =
        g_strdup_printf("/proc/%s/status", g_subprocess_get_identifier(f->proc));
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    const char *line = strstr(text, "VmRSS:");
    g_assert_nonnull(line);
    return strtol(line + 6, NULL, 10);
}

/* After every attack: a real site still joins and is announced. */
static void assert_site_joins(fixture *f)
{
    ts_run_for(QUIET_MS);
    inbox_clear(&f->bridge_in);
    g_autofree char *sid = NULL;
    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, &sid);
    expect_endpoint_op(f, "endpoint.add", "tinh", sid);
}

/* ---- the attacks ---- */

/* 80 kB of '[' before any join killed the service (json-glib recursion):
 * now an error naming the depth, the connection stays usable. */
static void test_deep_json(fixture *f, gconstpointer data)
{
    g_autoptr(site) s = site_open(f);
    size_t n = 80 * 1024;
    g_autofree char *deep = g_malloc(n + 1);
    memset(deep, '[', n);
    deep[n] = '\0';
    site_send(s, deep);
    g_autoptr(JsonObject) err = site_take(s, "error");
    g_assert_cmpstr(str_of(err, "code"), ==, "bad-message");
    g_assert_nonnull(strstr(str_of(err, "message"), "deeper than 32"));
    site_send(s, "{\"type\":\"ping\"}");
    g_autoptr(JsonObject) pong = site_take(s, "pong");
    assert_site_joins(f);
}

/* A 64 MiB message in 64 KiB fragments, before any join: the connection is
 * closed once the message passes 1 MiB, the service's memory does not
 * grow by the message, and a site joins. */
static void test_fragmented_message(fixture *f, gconstpointer data)
{
    long rss_before = service_rss_kib(f);
    guint status = 0;
    g_autoptr(raw_ws) r = raw_ws_open(f, NULL, &status);
    g_assert_cmpuint(status, ==, 101);
    size_t frag = 64 * 1024;
    g_autofree uint8_t *payload = g_malloc(frag);
    memset(payload, ' ', frag);
    size_t sent = 0;
    bool open = true;
    for (int i = 0; open && i < 1024; i++) {
        open = raw_ws_frame(r, false, i == 0 ? 1 : 0, payload, frag);
        sent += open ? frag : 0;
    }
    g_test_message("sent %zu KiB of one message before the service closed", sent / 1024);
    g_assert_false(open && sent == 1024 * frag); /* refused before 64 MiB */
    g_assert_true(raw_ws_closed_within(r, WAIT_MS));
    long rss_after = service_rss_kib(f);
    g_test_message("service RSS %ld KiB before, %ld KiB after", rss_before, rss_after);
    g_assert_cmpint(rss_after - rss_before, <, 16 * 1024);
    assert_site_joins(f);
}

/* A page from another origin may not open /ws (403, no WebSocket); the
 * service's own page may, and programs without Origin may. */
static void test_origin(fixture *f, gconstpointer data)
{
    guint status = 0;
    g_autoptr(raw_ws) evil = raw_ws_open(f, "http://evil.example", &status);
    g_assert_cmpuint(status, ==, 403);
    g_autoptr(raw_ws) null_origin = raw_ws_open(f, "null", &status);
    g_assert_cmpuint(status, ==, 403);
    g_autoptr(raw_ws) other_port = raw_ws_open(f, "http://127.0.0.1:1", &status);
    g_assert_cmpuint(status, ==, 403);
    g_autoptr(raw_ws) own = raw_ws_open(f, f->base, &status);
    g_assert_cmpuint(status, ==, 101);
    g_autoptr(raw_ws) program = raw_ws_open(f, NULL, &status);
    g_assert_cmpuint(status, ==, 101);
    assert_site_joins(f);
}

/* A joined site that floods (the probe's 1,300 messages became 1,302
 * record rows and 1,000 roster broadcasts): past the burst it gets
 * "rate-limit" and is closed with 1008; it may join again at once. */
static void test_message_flood(fixture *f, gconstpointer data)
{
    g_autoptr(site) s = site_join(f, "can-loc", CRED_CAN_LOC, NULL);
    for (int i = 0; i < 1300 && !s->closed; i++) {
        site_send(s, "{\"type\":\"ping\"}");
    }
    g_autoptr(JsonObject) err = site_take(s, "error");
    g_assert_cmpstr(str_of(err, "code"), ==, "rate-limit");
    g_assert_true(ts_wait_for(site_closed, s, WAIT_MS));
    g_assert_cmpuint(s->close_code, ==, 1008);
    guint pongs = inbox_count(&s->in, "pong");
    g_test_message("%u pongs before the rate limit", pongs);
    g_assert_cmpuint(pongs, >=, 150);
    g_assert_cmpuint(pongs, <=, 260);
    g_autoptr(site) again = site_join(f, "can-loc", CRED_CAN_LOC, NULL);
    assert_site_joins(f);
}

/* Chair commands past their rate are refused one by one, not applied, and
 * the chair stays connected. */
static void test_command_flood(fixture *f, gconstpointer data)
{
    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, NULL);
    for (int i = 0; i < 60; i++) {
        site_send(chair, "{\"type\":\"mute\",\"site\":\"can-loc\",\"audio\":true}");
    }
    g_autoptr(JsonObject) err = site_take(chair, "error");
    g_assert_cmpstr(str_of(err, "code"), ==, "rate-limit");
    site_send(chair, "{\"type\":\"ping\"}");
    g_autoptr(JsonObject) pong = site_take(chair, "pong");
    g_assert_false(chair->closed);
}

/* A site id with a newline (forged log lines) is refused naming the field;
 * the session id a join gets is 128 random bits. */
static void test_site_id_and_session(fixture *f, gconstpointer data)
{
    g_autoptr(site) s = site_open(f);
    site_send(s, "{\"type\":\"join\",\"site\":\"x\\nsite=tinh joined\",\"credential\":\"x\"}");
    g_autoptr(JsonObject) err = site_take(s, "error");
    g_assert_cmpstr(str_of(err, "field"), ==, "site");
    g_autofree char *sid = NULL;
    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, &sid);
    g_assert_cmpuint(strlen(sid), ==, 32);
    for (const char *p = sid; *p; p++) {
        g_assert_true(g_ascii_isxdigit(*p));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal_bin = argc > 1 ? argv[1] : g_getenv("DC_SIGNAL_BIN");
    if (!signal_bin) {
        g_printerr("usage: test-signal-hardening PATH/TO/diemcau-signal\n");
        return 1;
    }
#define ADD(path, fn) g_test_add(path, fixture, NULL, setup, fn, teardown)
    ADD("/hardening/deep-json", test_deep_json);
    ADD("/hardening/fragmented-message", test_fragmented_message);
    ADD("/hardening/origin", test_origin);
    ADD("/hardening/message-flood", test_message_flood);
    ADD("/hardening/command-flood", test_command_flood);
    ADD("/hardening/site-id-and-session", test_site_id_and_session);
    return g_test_run();
}
