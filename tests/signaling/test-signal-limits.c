/* Issue 13: diemcau-signal's resource limits against the attacks of the
 * adversarial probe, with the real binary over loopback (signal-fixture).
 * The attacker connects from 127.0.0.2 (one address), the legitimate sites
 * and technicians from 127.0.0.1; every test shows the attack failing and a
 * legitimate client served during and after it. */
#include <stdlib.h>
#include <string.h>

#include "signal-fixture.h"

#define ATTACKER "127.0.0.2"
#define TECH "tech-secret-000001"
#define TECH_HASH                                                                                  \
    "scrypt$4096$8$1$muglJwUBO1kqWeRG8ltp7A==$4fiGycqNC7/XDxs0JuefaG7NvFq1z0P1v0wgX6xPcQY="

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static guint port_of(fixture *f)
{
    return (guint)atoi(strrchr(f->base, ':') + 1);
}

/* A client session whose connections come from @ip, many at once. */
static SoupSession *session_from(const char *ip)
{
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(ip);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(a, 0);
    return soup_session_new_with_options("local-address", sa, "max-conns", 256,
                                         "max-conns-per-host", 256, NULL);
}

/* Raw TCP connections from one address, and which of them the service has
 * closed (EOF or reset seen). */
typedef struct {
    GPtrArray *socks; /* GSocket * (owned) */
    GArray *closed;   /* gboolean per socket */
    guint n_closed;
    guint want; /* for enough_closed() */
} raw_set;

static raw_set *raw_set_new(void)
{
    raw_set *r = g_new0(raw_set, 1);
    r->socks = g_ptr_array_new_with_free_func(g_object_unref);
    r->closed = g_array_new(FALSE, TRUE, sizeof(gboolean));
    return r;
}

static void raw_set_free(raw_set *r)
{
    for (guint i = 0; i < r->socks->len; i++) {
        g_socket_close(r->socks->pdata[i], NULL);
    }
    g_ptr_array_free(r->socks, TRUE);
    g_array_free(r->closed, TRUE);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(raw_set, raw_set_free)

/* Opens @n connections from @from (non-blocking: a connection the service
 * does not accept stays in its backlog), sending @first (may be NULL). */
static void raw_open(fixture *f, raw_set *r, const char *from, guint n, const char *first)
{
    g_autoptr(GInetAddress) src = g_inet_address_new_from_string(from);
    g_autoptr(GSocketAddress) local = g_inet_socket_address_new(src, 0);
    g_autoptr(GInetAddress) dst = g_inet_address_new_from_string("127.0.0.1");
    g_autoptr(GSocketAddress) remote = g_inet_socket_address_new(dst, port_of(f));
    for (guint i = 0; i < n; i++) {
        g_autoptr(GError) e = NULL;
        GSocket *s =
            g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &e);
        g_assert_no_error(e);
        g_assert_true(g_socket_bind(s, local, FALSE, &e));
        g_socket_set_blocking(s, FALSE);
        if (!g_socket_connect(s, remote, NULL, &e)) {
            g_assert_true(g_error_matches(e, G_IO_ERROR, G_IO_ERROR_PENDING));
        }
        if (first) {
            g_socket_send(s, first, strlen(first), NULL, NULL);
        }
        g_ptr_array_add(r->socks, s);
        gboolean no = FALSE;
        g_array_append_val(r->closed, no);
    }
}

/* Updates r->n_closed: a socket is closed when a read sees EOF or an
 * error other than "would block". */
static void raw_poll(raw_set *r)
{
    for (guint i = 0; i < r->socks->len; i++) {
        gboolean *closed = &g_array_index(r->closed, gboolean, i);
        if (*closed) {
            continue;
        }
        char buf[256];
        g_autoptr(GError) e = NULL;
        gssize n = g_socket_receive(r->socks->pdata[i], buf, sizeof buf, NULL, &e);
        if (n == 0 || (n < 0 && !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) &&
                       !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))) {
            *closed = TRUE;
            r->n_closed++;
        }
    }
}

static gboolean enough_closed(gpointer data)
{
    raw_set *r = data;
    raw_poll(r);
    return r->n_closed >= r->want;
}

/* GET @path through @http (with a bearer token when not NULL): the status,
 * 0 when the connection failed; the time it took in *@ms (may be NULL). */
static guint get_status(fixture *f, SoupSession *http, const char *path, const char *bearer,
                        double *ms)
{
    g_autofree char *url = g_strconcat(f->base, path, NULL);
    g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
    if (bearer) {
        g_autofree char *h = g_strconcat("Bearer ", bearer, NULL);
        soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", h);
    }
    int64_t t0 = g_get_monotonic_time();
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) b = soup_session_send_and_read(http, msg, NULL, &e);
    if (ms) {
        *ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
    }
    return e ? 0 : soup_message_get_status(msg);
}

/* Ms until GET / through @http answers 200 (tried every 50 ms, up to
 * @bound ms); fails the test when it never does. */
static double until_served(fixture *f, SoupSession *http, guint bound)
{
    int64_t t0 = g_get_monotonic_time();
    while (get_status(f, http, "/", NULL, NULL) != 200) {
        g_assert_cmpint(g_get_monotonic_time() - t0, <, (int64_t)bound * 1000);
        ts_run_for(50);
    }
    return (double)(g_get_monotonic_time() - t0) / 1000.0;
}

/* A value of GET /metrics ([signaling] metrics_open = true, loopback). */
static guint metric(fixture *f, const char *name)
{
    g_autofree char *url = g_strconcat(f->base, "/metrics", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) b = soup_session_send_and_read(f->http, msg, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(soup_message_get_status(msg), ==, 200);
    g_autofree char *text = g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
    g_autofree char *line = g_strconcat("\n", name, " ", NULL);
    const char *at = strstr(text, line);
    g_assert_nonnull(at);
    return (guint)atoi(at + strlen(line));
}

typedef struct {
    fixture *f;
    const char *name;
    guint want;
} metric_wait;

static gboolean metric_is(gpointer data)
{
    metric_wait *w = data;
    return metric(w->f, w->name) == w->want;
}

/* Setup with [signaling] keys for the limits tests. */
static void setup_limits(fixture *f, gconstpointer data)
{
    f->signaling_extra = "metrics_open = true\ntechnician_credential = " TECH_HASH "\n";
    setup(f, data);
}

static void setup_fd128(fixture *f, gconstpointer data)
{
    f->nofile = "128";
    setup_limits(f, data);
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */

/* 200 half-open connections (nothing sent, or half a request head) and 10
 * idle keep-alive ones are all closed by the header timeout (2 s here), while a site joins and a
 * page loads meanwhile, and afterwards. */
static void test_header_timeout(fixture *f, gconstpointer data)
{
    g_autoptr(raw_set) r = raw_set_new();
    int64_t t0 = g_get_monotonic_time();
    raw_open(f, r, ATTACKER, 100, NULL);
    raw_open(f, r, ATTACKER, 100, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    /* Answered, then idle on keep-alive. */
    raw_open(f, r, ATTACKER, 10, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, NULL);
    g_assert_cmpuint(get_status(f, f->http, "/", NULL, NULL), ==, 200);
    raw_poll(r);
    double joined_ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
    if (joined_ms < 1800) {
        g_assert_cmpuint(r->n_closed, ==, 0); /* not closed before their time */
    }

    r->want = 210;
    g_assert_true(ts_wait_for(enough_closed, r, 3000 + WAIT_MS));
    double closed_ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
    g_test_message("a site joined %.0f ms after 200 half-open connections; all 200 (and 10 "
                   "idle keep-alive ones) closed "
                   "after %.0f ms (header timeout 2 s)",
                   joined_ms, closed_ms);
    g_assert_cmpfloat(closed_ms, >=, 1900);
    g_assert_cmpuint(metric(f, "diemcau_signal_header_timeouts_total"), >=, 210);

    g_autoptr(site) s = site_join(f, "can-loc", CRED_CAN_LOC, NULL);
    g_assert_cmpuint(get_status(f, f->http, "/", NULL, NULL), ==, 200);
    /* The site's WebSocket, past its request, is not timed out. */
    ts_run_for(2500);
    g_assert_false(chair->closed);
}

/* Over the per-address cap (8 here) a connection is closed at once; another
 * address is unaffected; the attacker's address is served again once its
 * connections close. */
static void test_per_address_cap(fixture *f, gconstpointer data)
{
    g_autoptr(raw_set) r = raw_set_new();
    raw_open(f, r, ATTACKER, 20, NULL);
    r->want = 12;
    int64_t t0 = g_get_monotonic_time();
    g_assert_true(ts_wait_for(enough_closed, r, WAIT_MS));
    double refused_ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
    ts_run_for(QUIET_MS);
    raw_poll(r);
    g_assert_cmpuint(r->n_closed, ==, 12);
    g_test_message("12 connections over the cap of 8 closed within %.0f ms", refused_ms);

    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, NULL);
    g_assert_cmpuint(get_status(f, f->http, "/", NULL, NULL), ==, 200);
    g_autoptr(SoupSession) attacker = session_from(ATTACKER);
    g_assert_cmpuint(get_status(f, attacker, "/", NULL, NULL), ==, 0);

    for (guint i = 0; i < r->socks->len; i++) {
        g_socket_close(r->socks->pdata[i], NULL);
    }
    double ms = until_served(f, attacker, WAIT_MS);
    g_test_message("the address served again %.0f ms after closing its connections", ms);
    soup_session_abort(attacker);
}

static gboolean sites_closed(gpointer data)
{
    GPtrArray *sites = data;
    guint n = 0;
    for (guint i = 0; i < sites->len; i++) {
        n += ((site *)sites->pdata[i])->closed;
    }
    return n >= 32;
}

/* 40 idle WebSockets from one address: at most 8 wait for a join (the rest
 * closed with 4002); a site from another address joins during and after. */
static void test_idle_websockets(fixture *f, gconstpointer data)
{
    g_autoptr(SoupSession) attacker = session_from(ATTACKER);
    g_autoptr(GPtrArray) idle = g_ptr_array_new_with_free_func((GDestroyNotify)site_free);
    for (guint i = 0; i < 40; i++) {
        g_ptr_array_add(idle, site_open_with(f, attacker));
        if (i == 20) {
            g_autoptr(site) s = site_join(f, "duc-tho", CRED_DUC_THO, NULL);
        }
    }
    g_assert_true(ts_wait_for(sites_closed, idle, WAIT_MS));
    guint closed = 0;
    for (guint i = 0; i < idle->len; i++) {
        site *s = idle->pdata[i];
        if (s->closed) {
            g_assert_cmpuint(s->close_code, ==, 4002);
            closed++;
        }
    }
    g_assert_cmpuint(closed, ==, 32);
    g_assert_cmpuint(metric(f, "diemcau_signal_pending_joins"), ==, 8);
    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, NULL);
    g_autoptr(site) s = site_join(f, "can-loc", CRED_CAN_LOC, NULL);
    g_ptr_array_set_size(idle, 0);
    metric_wait w = {f, "diemcau_signal_pending_joins", 0};
    g_assert_true(ts_wait_for(metric_is, &w, WAIT_MS));
    soup_session_abort(attacker);
}

/* Sends @json unless the service has closed @s already. */
static void send_if_open(site *s, const char *json)
{
    if (soup_websocket_connection_get_state(s->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
        site_send(s, json);
    }
}

/* One site's secret, joined and left 40 times from one address: closing
 * after leaving holds nothing; staying open after leaving holds at most 8
 * slots, which the join timeout (1 s here) frees. Sites join meanwhile. */
static void test_join_leave(fixture *f, gconstpointer data)
{
    g_autoptr(SoupSession) attacker = session_from(ATTACKER);
    const char *join =
        "{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":\"" CRED_CAN_LOC "\"}";
    for (guint i = 0; i < 40; i++) {
        g_autoptr(site) s = site_open_with(f, attacker);
        site_send(s, join);
        g_autoptr(JsonObject) w = site_take(s, "welcome");
        site_send(s, "{\"type\":\"leave\"}");
    }
    metric_wait w = {f, "diemcau_signal_pending_joins", 0};
    g_assert_true(ts_wait_for(metric_is, &w, WAIT_MS));

    /* Staying open after the leave. */
    g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func((GDestroyNotify)site_free);
    guint welcomed = 0, refused = 0;
    for (guint i = 0; i < 40; i++) {
        site *s = site_open_with(f, attacker);
        g_ptr_array_add(held, s);
        send_if_open(s, join);
        s->in.want = "welcome";
        ts_wait_for(inbox_has, &s->in, QUIET_MS);
        if (inbox_has(&s->in)) {
            welcomed++;
            send_if_open(s, "{\"type\":\"leave\"}");
        } else {
            g_assert_true(ts_wait_for(site_closed, s, WAIT_MS));
            g_assert_cmpuint(s->close_code, ==, 4002);
            refused++;
        }
        g_assert_cmpuint(metric(f, "diemcau_signal_pending_joins"), <=, 8);
    }
    g_test_message("join and leave, staying open, 40 times: %u welcomed, %u refused (4002)",
                   welcomed, refused);
    g_assert_cmpuint(refused, >, 0);
    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, NULL);
    g_assert_true(ts_wait_for(metric_is, &w, 2000 + WAIT_MS)); /* swept */
    g_autoptr(site) again = site_open_with(f, attacker);
    site_send(again, join);
    g_autoptr(JsonObject) welcome = site_take(again, "welcome");
    g_ptr_array_set_size(held, 0);
    soup_session_abort(attacker);
}

typedef struct {
    guint want; /* for flood_answered() */
    guint answered;
    guint by_status[600];
} flood;

static void flood_cb(GObject *src, GAsyncResult *res, gpointer data)
{
    flood *fl = data;
    SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(src), res);
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) b = soup_session_send_and_read_finish(SOUP_SESSION(src), res, &e);
    guint st = e ? 0 : soup_message_get_status(msg);
    fl->by_status[st < G_N_ELEMENTS(fl->by_status) ? st : 0]++;
    fl->answered++;
}

static void send_wrong(fixture *f, SoupSession *http, guint n, flood *fl)
{
    for (guint i = 0; i < n; i++) {
        g_autofree char *url = g_strconcat(f->base, "/api/stats", NULL);
        g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
        soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
                                     "Bearer wrong-token-guess");
        soup_session_send_and_read_async(http, msg, G_PRIORITY_DEFAULT, NULL, flood_cb, fl);
    }
}

static gboolean flood_answered(gpointer data)
{
    flood *fl = data;
    return fl->answered >= fl->want;
}

/* 76 wrong technician tokens from one address (slowed by the throttle):
 * 8 wait, the rest get 503 at once; the right token from another address
 * is answered 200 at once, and from the attacker's own address once it was
 * right before. */
static void test_technician_flood(fixture *f, gconstpointer data)
{
    g_autoptr(SoupSession) attacker = session_from(ATTACKER);
    /* Five free failures: the next ones wait 1 s in the throttle. */
    flood warmup = {.want = 5};
    send_wrong(f, attacker, 5, &warmup);
    g_assert_true(ts_wait_for(flood_answered, &warmup, WAIT_MS));
    g_assert_cmpuint(warmup.by_status[401], ==, 5);

    flood fl = {.want = 68};
    send_wrong(f, attacker, 76, &fl);
    g_assert_true(ts_wait_for(flood_answered, &fl, WAIT_MS));
    g_assert_cmpuint(fl.by_status[503], ==, 68);

    double ms_other = 0, ms_same = 0, ms_metrics = 0;
    g_assert_cmpuint(get_status(f, f->http, "/api/stats", TECH, &ms_other), ==, 200);
    g_assert_cmpuint(get_status(f, f->http, "/metrics", TECH, &ms_metrics), ==, 200);
    g_assert_cmpuint(get_status(f, attacker, "/api/stats", TECH, &ms_same), ==, 200);
    g_test_message("during 76 wrong tokens (%u answered 503 at once): the right token "
                   "answered 200 after %.0f ms from another address (/metrics %.0f ms), "
                   "%.0f ms from the attacker's once known",
                   fl.by_status[503], ms_other, ms_metrics, ms_same);
    g_assert_cmpuint(fl.answered, <, 76); /* the attack was still under way */
    g_assert_cmpfloat(ms_other, <, 900);
    g_assert_cmpfloat(ms_same, <, 900);

    fl.want = 76;
    g_assert_true(ts_wait_for(flood_answered, &fl, 3 * WAIT_MS));
    g_assert_cmpuint(fl.by_status[401], ==, 8);
    g_assert_cmpuint(get_status(f, f->http, "/api/stats", TECH, NULL), ==, 200);
    g_assert_cmpuint(get_status(f, attacker, "/api/stats", TECH, NULL), ==, 200);
    soup_session_abort(attacker);
}

/* RLIMIT_NOFILE 128, the default reserve of 64: the total cap (64) keeps
 * the service from running out; the connections over it are closed, and a
 * page is served once the attacker lets go. */
static void test_fd_cap(fixture *f, gconstpointer data)
{
    g_autoptr(raw_set) r = raw_set_new();
    raw_open(f, r, ATTACKER, 150, NULL);
    r->want = 150 - 64;
    g_assert_true(ts_wait_for(enough_closed, r, WAIT_MS));
    ts_run_for(QUIET_MS);
    raw_poll(r);
    guint refused = r->n_closed;
    g_ptr_array_set_size(r->socks, 0);
    double ms = until_served(f, f->http, WAIT_MS);
    g_test_message("fd limit 128: %u of 150 connections refused by the total cap; a page served "
                   "%.0f ms after they were released",
                   refused, ms);
    g_assert_cmpuint(refused, >=, 150 - 64);
    g_assert_cmpuint(metric(f, "diemcau_signal_connections_refused_total"), >=, 150 - 64);
    g_assert_cmpuint(metric(f, "diemcau_signal_listener_revivals_total"), ==, 0);
    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, NULL);
}

/* RLIMIT_NOFILE 128 with the cap above it (fd_reserve 0): accepting runs
 * into EMFILE and libsoup's listener gives up; the watchdog replaces it, and
 * a page is served once the attacker lets go. */
static void test_fd_watchdog(fixture *f, gconstpointer data)
{
    g_autoptr(raw_set) r = raw_set_new();
    raw_open(f, r, ATTACKER, 200, NULL);
    /* Long enough for the listener to die and the watchdog (1 s ticks) to
     * see it at least once. */
    ts_run_for(2500);
    g_ptr_array_set_size(r->socks, 0);
    double ms = until_served(f, f->http, 3 * WAIT_MS);
    g_test_message("fd limit 128, cap above it: a page served %.0f ms after 200 connections "
                   "were released",
                   ms);
    g_autoptr(site) chair = site_join(f, "tinh", CRED_TINH, NULL);
    g_assert_cmpuint(get_status(f, f->http, "/api/roster", NULL, NULL), ==, 200);
    guint revivals = metric(f, "diemcau_signal_listener_revivals_total");
    g_test_message("the listener was replaced %u time(s)", revivals);
    g_assert_cmpuint(revivals, >=, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal_bin = argc > 1 ? argv[1] : g_getenv("DC_SIGNAL_BIN");
    if (!signal_bin) {
        g_printerr("usage: test-signal-limits PATH/TO/diemcau-signal (or set DC_SIGNAL_BIN)\n");
        return 1;
    }
    g_test_add("/limits/header-timeout", fixture,
               "[limits]\nheader_timeout = 2\nmax_connections_per_address = 512\n", setup_limits,
               test_header_timeout, teardown);
    g_test_add("/limits/per-address-cap", fixture, "[limits]\nmax_connections_per_address = 8\n",
               setup_limits, test_per_address_cap, teardown);
    g_test_add("/limits/idle-websockets", fixture, NULL, setup_limits, test_idle_websockets,
               teardown);
    g_test_add("/limits/join-leave", fixture, "[limits]\njoin_timeout = 1\n", setup_limits,
               test_join_leave, teardown);
    g_test_add("/limits/technician-flood", fixture, "[limits]\nmax_connections_per_address = 128\n",
               setup_limits, test_technician_flood, teardown);
    g_test_add("/limits/fd-cap", fixture, "[limits]\nmax_connections_per_address = 1000\n",
               setup_fd128, test_fd_cap, teardown);
    g_test_add("/limits/fd-watchdog", fixture,
               "[limits]\nmax_connections_per_address = 1000\nfd_reserve = 0\n"
               "max_connections = 100000\n",
               setup_fd128, test_fd_watchdog, teardown);
    return g_test_run();
}
