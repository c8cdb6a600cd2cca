/* End-to-end test of the technician API and diemcau-ctl.
 *
 * Starts the real diemcau-signal on a free loopback port with a private
 * config, plays the bridge with a small control-link server that answers
 * hello and (unless told not to) "stats" with fixed figures, then checks
 * /api/stats authentication, the /metrics exposition, diemcau-ctl's views
 * and errors, and watch mode through a pseudo-terminal (forkpty). Every wait
 * is bounded (WAIT_MS).
 *
 * Binaries: argv[1] = diemcau-signal, argv[2] = diemcau-ctl. */
#include <errno.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/credential.h"
#include "test-support.h"

#define WAIT_MS 6000
/* The technician's secret, and the hash the service's config keeps of it
 * (diemcau-ctl credential --technician --stdin --cost 4096). */
#define TECH "tech-secret-000001"
#define TECH_HASH                                                                                  \
    "scrypt$4096$8$1$muglJwUBO1kqWeRG8ltp7A==$4fiGycqNC7/XDxs0JuefaG7NvFq1z0P1v0wgX6xPcQY="

static const char *signal_bin, *ctl_bin;

/* ------------------------------------------------------------------------ */
/* The fixture: a stand-in bridge and the real service                      */

/* The bridge's figures: can-loc impaired (the names of docs/control.md),
 * tinh clean in the older names (bitrate_1s, loss as a ratio, pli) that the
 * service normalises. */
static const char stats_sites[] =
    "{\"tinh\":{\"state\":\"connected\",\"dtls\":\"connected\","
    "  "
    "\"ice\":{\"local\":\"127.0.0.1:40002\",\"remote\":\"127.0.0.1:50000\",\"type\":\"host/host\"},"
    "  \"up\":{\"audio\":{\"packets\":4000,\"bitrate_1s\":48000,\"loss\":0.0,\"jitter_ms\":2,"
    "                   \"rtt_ms\":1.5},"
    "         \"video\":{\"packets\":60000,\"bitrate_1s\":1200000,\"loss\":0.001,\"jitter_ms\":3,"
    "                   \"rtt_ms\":1.5,\"pli\":2,\"fps\":30,\"width\":1280,\"height\":720}},"
    "  \"down\":{\"audio\":{\"bitrate_1s\":96000,\"loss\":0},\"video\":{\"bitrate_1s\":2400000,"
    "          \"loss\":0}},"
    "  \"score\":{\"up\":93,\"down\":92.5,\"level\":\"excellent\",\"mos\":4.4}},"
    " \"can-loc\":{\"state\":\"connected\",\"dtls\":\"connected\","
    "  "
    "\"ice\":{\"local\":\"127.0.0.1:40004\",\"remote\":\"10.9.0.2:50010\",\"type\":\"host/host\"},"
    "  \"up\":{\"audio\":{\"bitrate_bps\":40000,\"loss_pct\":4.5,\"jitter_ms\":9,\"rtt_ms\":92},"
    "         \"video\":{\"packets\":30000,\"bitrate_bps\":600000,\"bitrate_10s_bps\":700000,"
    "                   \"loss_pct\":5.0,\"jitter_ms\":14,\"rtt_ms\":92,\"nacks\":310,"
    "                   \"retransmissions\":280,\"plis\":7,\"firs\":0,\"fps\":24,"
    "                   \"width\":640,\"height\":360,\"keyframe_interval_ms\":3000}},"
    "  \"down\":{\"audio\":{\"bitrate_bps\":96000,\"loss_pct\":4.0,\"rtt_ms\":92},"
    "           \"video\":{\"bitrate_bps\":1800000,\"loss_pct\":5.5,\"jitter_ms\":20,"
    "                     \"rtt_ms\":92}},"
    "  \"score\":{\"up\":45,\"down\":41,\"level\":\"good\",\"mos\":3.1}},"
    " \"elsewhere\":{\"state\":\"connected\"}}";

typedef struct {
    char *dir, *config;
    SoupServer *bridge;
    SoupWebsocketConnection *link;
    gboolean answer_stats;
    guint stats_asked;
    GSubprocess *proc;
    char *base;
    SoupSession *http;
    SoupWebsocketConnection *sites[2]; /* tinh and can-loc, joined */
} fixture;

static void bridge_on_message(SoupWebsocketConnection *c, gint type, GBytes *bytes, gpointer data)
{
    fixture *f = data;
    gsize len;
    const char *text = g_bytes_get_data(bytes, &len);
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, text, (gssize)len, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    const char *op = json_object_get_string_member(o, "op");
    if (strcmp(op, "hello") == 0) {
        soup_websocket_connection_send_text(c, "{\"op\":\"hello\",\"bridge\":\"b1\"}");
    } else if (strcmp(op, "endpoint.add") == 0) {
        /* Media up at once: the roster shows the site connected. */
        g_autofree char *reply = g_strdup_printf(
            "{\"op\":\"endpoint.state\",\"meeting\":\"hatinh-test\",\"endpoint\":\"%s\","
            "\"session\":\"%s\",\"state\":\"connected\"}",
            json_object_get_string_member(o, "endpoint"),
            json_object_get_string_member(o, "session"));
        soup_websocket_connection_send_text(c, reply);
    } else if (strcmp(op, "stats") == 0) {
        f->stats_asked++;
        g_assert_cmpstr(json_object_get_string_member(o, "meeting"), ==, "hatinh-test");
        g_assert_true(json_object_has_member(o, "id"));
        if (f->answer_stats) {
            g_autofree char *reply =
                g_strdup_printf("{\"op\":\"stats\",\"id\":%" G_GINT64_FORMAT
                                ",\"meeting\":\"hatinh-test\",\"sites\":%s}",
                                json_object_get_int_member(o, "id"), stats_sites);
            soup_websocket_connection_send_text(c, reply);
        }
    }
}

static void bridge_on_connect(SoupServer *server, SoupServerMessage *msg, const char *path,
                              SoupWebsocketConnection *conn, gpointer data)
{
    fixture *f = data;
    g_clear_object(&f->link);
    f->link = g_object_ref(conn);
    g_signal_connect(conn, "message", G_CALLBACK(bridge_on_message), f);
}

static void setup(fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->answer_stats = g_strcmp0(data, "no-stats") != 0;
    f->dir = g_dir_make_tmp("dc-ctl-XXXXXX", &error);
    g_assert_no_error(error);
    f->http = soup_session_new_with_options("timeout", 5, NULL);
    f->bridge = soup_server_new(NULL, NULL);
    soup_server_add_websocket_handler(f->bridge, "/control", NULL, NULL, bridge_on_connect, f,
                                      NULL);
    g_assert_true(soup_server_listen_local(f->bridge, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
    g_autofree char *text = g_strdup_printf(
        "[meeting]\nid = hatinh-test\ntitle = Hội nghị thử\n"
        "[signaling]\naddress = 127.0.0.1\nport = 0\nweb_root = web\n"
        "technician_credential = " TECH_HASH "\n%s"
        "[bridge]\ncontrol_address = 127.0.0.1\ncontrol_port = %u\n"
        "[site.tinh]\nname = Công an tỉnh Hà Tĩnh\nrole = chair\ncredential = tinh-secret-01\n"
        "[site.can-loc]\nname = Huyện Can Lộc\nrole = district\ncredential = canloc-secret-02\n"
        "[site.duc-tho]\nname = Huyện Đức Thọ\nrole = district\ncredential = ductho-secret-03\n",
        g_strcmp0(data, "open-metrics") == 0 ? "metrics_open = true\n" : "",
        ts_bound_port(f->bridge));
    f->config = g_build_filename(f->dir, "test.ini", NULL);
    g_assert_true(g_file_set_contents(f->config, text, -1, NULL));

    const char *argv[] = {signal_bin, "--config", f->config, NULL};
    guint port;
    f->proc = ts_spawn_http(argv, WAIT_MS, &port);
    f->base = g_strdup_printf("http://127.0.0.1:%u", port);

    /* tinh and can-loc join; duc-tho stays away. */
    static const char *const joins[] = {
        "{\"type\":\"join\",\"site\":\"tinh\",\"credential\":\"tinh-secret-01\"}",
        "{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":\"canloc-secret-02\"}",
    };
    g_autofree char *ws = g_strdup_printf("ws://127.0.0.1:%u/ws", port);
    for (size_t i = 0; i < G_N_ELEMENTS(joins); i++) {
        f->sites[i] = ts_ws_connect(f->http, ws, WAIT_MS);
        soup_websocket_connection_send_text(f->sites[i], joins[i]);
    }
}

static void teardown(fixture *f, gconstpointer data)
{
    ts_stop_child(f->proc, "diemcau-signal", WAIT_MS);
    g_clear_object(&f->proc);
    for (size_t i = 0; i < G_N_ELEMENTS(f->sites); i++) {
        g_clear_object(&f->sites[i]);
    }
    if (f->link) {
        g_signal_handlers_disconnect_by_data(f->link, f);
        g_clear_object(&f->link);
    }
    soup_server_disconnect(f->bridge);
    g_clear_object(&f->bridge);
    soup_session_abort(f->http);
    g_clear_object(&f->http);
    ts_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->config);
    g_free(f->base);
}

/* ------------------------------------------------------------------------ */
/* HTTP and diemcau-ctl                                                     */

typedef struct {
    gboolean done;
    GBytes *body;
    SoupMessage *msg;
} get_result;

static void get_cb(GObject *src, GAsyncResult *res, gpointer data)
{
    get_result *r = data;
    r->body = soup_session_send_and_read_finish(SOUP_SESSION(src), res, NULL);
    r->done = TRUE;
}

/* GET with "Authorization: Bearer @cred" (none when NULL), the loop running
 * (the stand-in bridge keeps answering). Returns the status; *body the text. */
static guint get(fixture *f, const char *path, const char *cred, char **body, char **type)
{
    g_autofree char *url = g_strconcat(f->base, path, NULL);
    get_result r = {.msg = soup_message_new("GET", url)};
    if (cred) {
        g_autofree char *auth = g_strdup_printf("Bearer %s", cred);
        soup_message_headers_replace(soup_message_get_request_headers(r.msg), "Authorization",
                                     auth);
    }
    soup_session_send_and_read_async(f->http, r.msg, G_PRIORITY_DEFAULT, NULL, get_cb, &r);
    g_assert_true(ts_wait_for(ts_flag_set, &r.done, WAIT_MS));
    g_assert_nonnull(r.body);
    guint status = soup_message_get_status(r.msg);
    if (body) {
        gsize len;
        const char *d = g_bytes_get_data(r.body, &len);
        *body = g_strndup(d ? d : "", len);
    }
    if (type) {
        *type = g_strdup(
            soup_message_headers_get_one(soup_message_get_response_headers(r.msg), "Content-Type"));
    }
    g_bytes_unref(r.body);
    g_object_unref(r.msg);
    return status;
}

static JsonNode *parse(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) e = NULL;
    if (!json_parser_load_from_data(p, text, -1, &e)) {
        g_error("not JSON (%s): %s", e->message, text);
    }
    return json_node_ref(json_parser_get_root(p));
}

/* A member by a path of keys, e.g. "sites/can-loc/loss_pct/up". */
static JsonNode *at_path(JsonNode *root, const char *path)
{
    g_auto(GStrv) keys = g_strsplit(path, "/", -1);
    JsonNode *n = root;
    for (int i = 0; keys[i]; i++) {
        g_assert_true(JSON_NODE_HOLDS_OBJECT(n));
        n = json_object_get_member(json_node_get_object(n), keys[i]);
        if (!n) {
            g_error("no %s (at %s)", path, keys[i]);
        }
    }
    return n;
}

static double num_at(JsonNode *root, const char *path)
{
    return json_node_get_double(at_path(root, path));
}

static gboolean stats_live(gpointer data)
{
    fixture *f = data;
    g_autofree char *body = NULL;
    if (get(f, "/api/stats", TECH, &body, NULL) != 200) {
        return FALSE;
    }
    g_autoptr(JsonNode) root = parse(body);
    return g_strcmp0(json_node_get_string(at_path(root, "bridge/stats")), "ok") == 0 &&
           g_strcmp0(json_node_get_string(at_path(root, "sites/can-loc/state")), "connected") ==
               0 &&
           g_strcmp0(json_node_get_string(at_path(root, "sites/tinh/state")), "connected") == 0;
}

static void wait_stats(fixture *f)
{
    if (!ts_wait_for(stats_live, f, WAIT_MS)) {
        g_error("the service has no live stats within %d ms", WAIT_MS);
    }
}

typedef struct {
    gboolean done;
    char *out, *err;
} run_result;

static void communicate_cb(GObject *src, GAsyncResult *res, gpointer data)
{
    run_result *r = data;
    g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res, &r->out, &r->err, NULL);
    r->done = TRUE;
}

/* Runs diemcau-ctl with @args (NULL-terminated), @env_cred as
 * DIEMCAU_CREDENTIAL (unset when NULL) and @input on its standard input
 * (none when NULL); returns its exit status. */
static int run_ctl_input(const char *env_cred, const char *input, char **out, char **err,
                         const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)ctl_bin);
    for (size_t i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    g_autoptr(GSubprocessLauncher) l =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                  (input ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0));
    if (env_cred) {
        g_subprocess_launcher_setenv(l, "DIEMCAU_CREDENTIAL", env_cred, TRUE);
    } else {
        g_subprocess_launcher_unsetenv(l, "DIEMCAU_CREDENTIAL");
    }
    g_subprocess_launcher_set_child_setup(l, ts_die_with_parent, NULL, NULL);
    g_autoptr(GError) e = NULL;
    g_autoptr(GSubprocess) p =
        g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &e);
    g_assert_no_error(e);
    run_result r = {0};
    g_subprocess_communicate_utf8_async(p, input, NULL, communicate_cb, &r);
    if (!ts_wait_for(ts_flag_set, &r.done, 2 * WAIT_MS)) {
        g_subprocess_force_exit(p);
        g_error("diemcau-ctl did not finish within %d ms", 2 * WAIT_MS);
    }
    g_assert_true(ts_wait_child(p, WAIT_MS));
    g_assert_true(g_subprocess_get_if_exited(p));
    *out = r.out;
    *err = r.err;
    return g_subprocess_get_exit_status(p);
}

static int run_ctl(const char *env_cred, char **out, char **err, const char *const *args)
{
    return run_ctl_input(env_cred, NULL, out, err, args);
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */

static void test_auth(fixture *f, gconstpointer data)
{
    wait_stats(f);
    g_autofree char *b1 = NULL, *b2 = NULL, *b3 = NULL, *t3 = NULL, *b4 = NULL;
    g_assert_cmpuint(get(f, "/api/stats", NULL, &b1, NULL), ==, 401);
    g_autoptr(JsonNode) e1 = parse(b1);
    g_assert_cmpstr(json_node_get_string(at_path(e1, "error")), ==, "unauthorized");
    g_assert_cmpuint(get(f, "/api/stats", "tech-secret-000002", &b2, NULL), ==, 401);
    g_assert_nonnull(strstr(b2, "wrong technician credential"));
    g_assert_cmpuint(get(f, "/api/stats/can-loc", "site-credential", NULL, NULL), ==, 401);
    g_assert_cmpuint(get(f, "/api/stats", TECH, &b3, &t3), ==, 200);
    g_assert_true(g_str_has_prefix(t3, "application/json"));
    g_assert_cmpuint(get(f, "/api/stats/nowhere", TECH, &b4, NULL), ==, 404);
    g_assert_nonnull(strstr(b4, "unknown-site"));
    g_assert_cmpuint(get(f, "/metrics", NULL, NULL, NULL), ==, 401);
    g_assert_cmpuint(get(f, "/metrics", "wrong-credential", NULL, NULL), ==, 401);

    /* The merged document: roster facts with the bridge's figures. */
    g_autoptr(JsonNode) root = parse(b3);
    g_assert_cmpstr(json_node_get_string(at_path(root, "meeting")), ==, "hatinh-test");
    g_assert_cmpstr(json_node_get_string(at_path(root, "sites/duc-tho/name")), ==, "Huyện Đức Thọ");
    g_assert_cmpstr(json_node_get_string(at_path(root, "sites/tinh/role")), ==, "chair");
    g_assert_true(JSON_NODE_HOLDS_NULL(at_path(root, "sites/duc-tho/link")));
    g_assert_true(JSON_NODE_HOLDS_ARRAY(at_path(root, "sites/can-loc/history/loss_up_pct")));
    /* Sites the config does not know are not shown. */
    g_assert_false(
        json_object_has_member(json_node_get_object(at_path(root, "sites")), "elsewhere"));
}

static void test_metrics(fixture *f, gconstpointer data)
{
    wait_stats(f);
    g_autofree char *body = NULL, *type = NULL;
    g_assert_cmpuint(get(f, "/metrics", TECH, &body, &type), ==, 200);
    g_assert_true(g_str_has_prefix(type, "text/plain; version=0.0.4"));
    g_autoptr(GRegex) sample = g_regex_new(
        "^([a-z_]+)(\\{([a-z_]+=\"[^\"\\\\]*\",?)*\\})? -?[0-9.]+(e[-+]?[0-9]+)?$", 0, 0, NULL);
    g_autoptr(GHashTable) typed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
    guint samples = 0;
    for (int i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (*l == '\0') {
            g_assert_null(lines[i + 1]); /* only the final newline */
            continue;
        }
        if (g_str_has_prefix(l, "# HELP ")) {
            continue;
        }
        if (g_str_has_prefix(l, "# TYPE ")) {
            g_auto(GStrv) w = g_strsplit(l, " ", -1);
            g_assert_cmpuint(g_strv_length(w), ==, 4);
            g_assert_true(strcmp(w[3], "gauge") == 0 || strcmp(w[3], "counter") == 0);
            g_assert_false(g_hash_table_contains(typed, w[2]));
            g_hash_table_add(typed, g_strdup(w[2]));
            continue;
        }
        g_autoptr(GMatchInfo) m = NULL;
        if (!g_regex_match(sample, l, 0, &m)) {
            g_error("not a Prometheus sample line: %s", l);
        }
        g_autofree char *name = g_match_info_fetch(m, 1);
        g_assert_true(g_hash_table_contains(typed, name)); /* TYPE before samples */
        g_assert_null(strstr(l, "nan"));
        samples++;
    }
    g_assert_cmpuint(samples, >, 30);
    static const char *const want[] = {
        "diemcau_bridge_link_up 1",
        "diemcau_site_present{site=\"tinh\"} 1",
        "diemcau_site_present{site=\"duc-tho\"} 0",
        "diemcau_site_connected{site=\"can-loc\"} 1",
        "diemcau_site_bitrate_bps{site=\"can-loc\",direction=\"up\",media=\"video\"} 600000",
        "diemcau_site_loss_ratio{site=\"can-loc\",direction=\"down\",media=\"video\"} 0.055",
        "diemcau_site_loss_ratio{site=\"tinh\",direction=\"up\",media=\"video\"} 0.001",
        "diemcau_site_jitter_seconds{site=\"can-loc\",direction=\"up\",media=\"video\"} 0.014",
        "diemcau_site_rtt_seconds{site=\"can-loc\",direction=\"up\",media=\"audio\"} 0.092",
        "diemcau_site_plis_total{site=\"tinh\",direction=\"up\",media=\"video\"} 2",
        "diemcau_site_quality_score{site=\"can-loc\",direction=\"down\"} 41",
        "diemcau_site_video_fps{site=\"tinh\",direction=\"up\"} 30",
        "diemcau_site_mos{site=\"can-loc\"} 3.1",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        g_autofree char *needle = g_strdup_printf("\n%s\n", want[i]);
        if (!strstr(body, needle)) {
            g_error("/metrics lacks “%s”:\n%s", want[i], body);
        }
    }
}

static void test_status(fixture *f, gconstpointer data)
{
    wait_stats(f);
    g_autofree char *out = NULL, *err = NULL;
    const char *const json_args[] = {"--server", f->base, "--credential", TECH, "status",
                                     "--json",   NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, json_args), ==, 0);
    g_autoptr(JsonNode) root = parse(out);
    /* What the impaired-link test reads. */
    g_assert_cmpfloat(num_at(root, "sites/can-loc/loss_pct/up"), ==, 5.0);
    g_assert_cmpfloat(num_at(root, "sites/can-loc/loss_pct/down"), ==, 5.5);
    g_assert_cmpfloat(num_at(root, "sites/can-loc/rtt_ms"), ==, 92);
    g_assert_cmpfloat(num_at(root, "sites/can-loc/score/up"), ==, 45);
    g_assert_cmpfloat(num_at(root, "sites/can-loc/score/down"), ==, 41);
    g_assert_cmpfloat(num_at(root, "sites/tinh/loss_pct/up"), ==, 0.1); /* from "loss" */
    g_assert_cmpfloat(num_at(root, "sites/tinh/bitrate_bps/up"), ==, 1248000);
    g_assert_cmpfloat(num_at(root, "sites/tinh/link/up/video/plis"), ==, 2);
    g_assert_cmpstr(json_node_get_string(at_path(root, "sites/can-loc/score/level")), ==, "good");
    g_free(out);
    g_free(err);

    /* The table, with the credential from the environment. */
    const char *const args[] = {"--server", f->base, "status", NULL};
    g_assert_cmpint(run_ctl(TECH, &out, &err, args), ==, 0);
    g_test_message("\n%s", out);
    g_assert_nonnull(strstr(out, "hatinh-test · bridge up · stats live"));
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    gboolean seen = FALSE;
    for (int i = 0; lines[i]; i++) {
        g_assert_cmpuint(g_utf8_strlen(lines[i], -1), <, 80);
        g_assert_null(strchr(lines[i], '\033')); /* not a terminal: no colour */
        if (g_str_has_prefix(lines[i], "Huyện Can Lộc")) {
            seen = TRUE;
            g_assert_nonnull(strstr(lines[i], "5.0%!"));
            g_assert_nonnull(strstr(lines[i], "5.5%!"));
            g_assert_nonnull(strstr(lines[i], "360p"));
        }
        if (g_str_has_prefix(lines[i], "CA tỉnh Hà Tĩnh")) {
            g_assert_null(strchr(lines[i], '!'));
        }
    }
    g_assert_true(seen);
    g_free(out);
    g_free(err);

    /* One site, with the server and credential from the config file (the
     * service's, with the port it picked). */
    g_autofree char *cfg_text = NULL;
    g_assert_true(g_file_get_contents(f->config, &cfg_text, NULL, NULL));
    g_autofree char *port_line =
        g_strdup_printf("port = %s\n", f->base + strlen("http://127.0.0.1:"));
    g_autoptr(GString) ctl_cfg = g_string_new(cfg_text);
    g_assert_cmpuint(g_string_replace(ctl_cfg, "port = 0\n", port_line, 1), ==, 1);
    g_autofree char *ctl_ini = g_build_filename(f->dir, "ctl.ini", NULL);
    g_assert_true(g_file_set_contents(ctl_ini, ctl_cfg->str, -1, NULL));
    /* The config keeps a hash: the secret comes from a credential file. */
    g_autofree char *creds = g_build_filename(f->dir, "creds.ini", NULL);
    g_assert_true(g_file_set_contents(creds, "[technician]\ncredential = " TECH "\n", -1, NULL));
    const char *const site_args[] = {"--config", ctl_ini, "--credential-file", creds, "site",
                                     "can-loc",  NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, site_args), ==, 0);
    g_test_message("\n%s", out);
    g_assert_true(g_str_has_prefix(out, "Huyện Can Lộc (can-loc) · district · connected"));
    g_assert_nonnull(strstr(out, "127.0.0.1:40004 ↔ 10.9.0.2:50010"));
    g_assert_nonnull(strstr(out, "MOS 3.1"));
    g_assert_nonnull(strstr(out, "640x360"));
    g_assert_nonnull(strstr(out, "5.5 % !"));
    g_free(out);
    g_free(err);
    /* A config that keeps the secret itself (deprecated) still gives it. */
    g_assert_cmpuint(g_string_replace(ctl_cfg, TECH_HASH, TECH, 1), ==, 1);
    g_assert_true(g_file_set_contents(ctl_ini, ctl_cfg->str, -1, NULL));
    const char *const site_json[] = {"--config", ctl_ini, "--json", "site", "can-loc", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, site_json), ==, 0);
    g_autoptr(JsonNode) one = parse(out);
    g_assert_cmpfloat(num_at(one, "sites/can-loc/link/up/video/keyframe_interval_ms"), ==, 3000);
    g_free(out);
    g_free(err);
    /* Without a secret: refused, with a hint. */
    g_assert_cmpuint(g_string_replace(ctl_cfg, TECH, TECH_HASH, 1), ==, 1);
    g_assert_true(g_file_set_contents(ctl_ini, ctl_cfg->str, -1, NULL));
    const char *const no_secret[] = {"--config", ctl_ini, "site", "can-loc", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, no_secret), ==, 4);
    g_assert_nonnull(strstr(err, "--credential-file"));
}

/* diemcau-ctl credential: the secret it prints verifies against the hash
 * in the line it prints; --stdin hashes a given secret and never echoes
 * it; bad use exits 2. */
static void check_pair(const char *secret, const char *line, const char *key)
{
    g_autofree char *prefix = g_strdup_printf("%s = ", key);
    g_assert_true(g_str_has_prefix(line, prefix));
    g_autoptr(GError) e = NULL;
    g_autoptr(dc_credential) c = dc_credential_parse(line + strlen(prefix), &e);
    g_assert_no_error(e);
    g_assert_cmpint(c->kind, ==, DC_CREDENTIAL_SCRYPT);
    g_assert_true(dc_credential_verify(c, secret));
    g_assert_false(dc_credential_verify(c, "not-the-secret"));
}

static void test_credential_verb(void)
{
    g_autofree char *out = NULL, *err = NULL;
    const char *const site[] = {"credential", "can-loc", "--cost", "4096", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, site), ==, 0);
    g_test_message("\n%s", out);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    const char *secret = NULL, *line = NULL;
    for (int i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "    ")) {
            secret = lines[i] + 4;
        } else if (g_str_has_prefix(lines[i], "credential = ")) {
            line = lines[i];
        }
    }
    g_assert_nonnull(secret);
    g_assert_nonnull(line);
    g_assert_cmpuint(strlen(secret), ==, 23);
    check_pair(secret, line, "credential");
    g_assert_nonnull(strstr(out, "[site.can-loc]"));
    g_free(out);
    g_free(err);

    const char *const tech[] = {"--json", "credential", "--technician", "--cost", "4096", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, tech), ==, 0);
    g_autoptr(JsonNode) j = parse(out);
    JsonObject *o = json_node_get_object(j);
    g_assert_true(json_object_get_null_member(o, "site"));
    g_assert_cmpstr(json_object_get_string_member(o, "group"), ==, "signaling");
    check_pair(json_object_get_string_member(o, "secret"), json_object_get_string_member(o, "line"),
               "technician_credential");
    g_free(out);
    g_free(err);

    const char *const given[] = {"credential", "duc-tho", "--stdin", NULL};
    g_assert_cmpint(run_ctl_input(NULL, "ductho-secret-03\n", &out, &err, given), ==, 0);
    g_assert_null(strstr(out, "ductho-secret-03"));
    g_assert_true(g_str_has_suffix(out, "\n"));
    out[strlen(out) - 1] = '\0';
    g_assert_null(strchr(out, '\n')); /* one line, for scripts */
    g_assert_true(g_str_has_prefix(out, "credential = scrypt$16384$8$1$"));
    check_pair("ductho-secret-03", out, "credential");
    g_free(out);
    g_free(err);

    static const struct {
        const char *input;
        const char *args[6];
        const char *why;
    } bad[] = {
        {NULL, {"credential", NULL}, "SITE, or --technician"},
        {NULL, {"credential", "tinh", "--technician", NULL}, "SITE, or --technician"},
        {NULL, {"credential", "Can_Loc", NULL}, "not a site id"},
        {NULL, {"credential", "tinh", "--cost", "5000", NULL}, "--cost"},
        {"short\n", {"credential", "tinh", "--stdin", NULL}, "8 to 128"},
        {"", {"credential", "tinh", "--stdin", NULL}, "no secret"},
        {NULL, {"credential", "tinh", "extra", NULL}, "expected one of"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmpint(run_ctl_input(NULL, bad[i].input, &out, &err, bad[i].args), ==, 2);
        if (!strstr(err, bad[i].why)) {
            g_error("case %zu: “%s” lacks “%s”", i, err, bad[i].why);
        }
        g_assert_cmpstr(out, ==, "");
        g_free(out);
        g_free(err);
    }
    /* With --config, the site must be one of its sites. */
    g_autofree char *dir = g_dir_make_tmp("dc-ctl-cred-XXXXXX", NULL);
    g_autofree char *ini = g_build_filename(dir, "m.ini", NULL);
    g_assert_true(g_file_set_contents(
        ini,
        "[meeting]\nid = m\n[site.tinh]\nname = Công an tỉnh Hà Tĩnh\nrole = chair\n"
        "credential = " TECH_HASH "\n",
        -1, NULL));
    const char *const unknown[] = {"--config", ini, "credential", "ha-noi", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, unknown), ==, 2);
    g_assert_nonnull(strstr(err, "has no [site.ha-noi]"));
    g_free(out);
    g_free(err);
    const char *const known[] = {"--config", ini, "credential", "tinh", "--cost", "4096", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, known), ==, 0);
    g_assert_nonnull(strstr(out, "site tinh · Công an tỉnh Hà Tĩnh"));
    g_unlink(ini);
    g_rmdir(dir);
}

static void test_errors(fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL, *err = NULL;
    const char *const wrong[] = {"--server",    f->base,  "--credential",
                                 "not-the-one", "status", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, wrong), ==, 4);
    g_autofree char *want = g_strdup_printf(
        "diemcau-ctl: credential refused by diemcau-signal at %s: wrong technician credential\n",
        f->base);
    g_assert_cmpstr(err, ==, want);
    g_assert_cmpstr(out, ==, "");
    g_free(out);
    g_free(err);

    const char *const none[] = {"--server", f->base, "status", "--json", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, none), ==, 4);
    g_assert_nonnull(strstr(err, "technician credential required"));
    g_free(out);
    g_free(err);

    const char *const site[] = {"--server", f->base, "site", "hoang-sa", NULL};
    g_assert_cmpint(run_ctl(TECH, &out, &err, site), ==, 5);
    g_assert_cmpstr(err, ==, "diemcau-ctl: no site “hoang-sa” in this meeting\n");
    g_free(out);
    g_free(err);

    const char *const usage[] = {"--server", f->base, "reboot", NULL};
    g_assert_cmpint(run_ctl(TECH, &out, &err, usage), ==, 2);
    g_free(out);
    g_free(err);

    const char *const help[] = {"--help", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, help), ==, 0);
    g_assert_nonnull(strstr(out, "3  cannot reach diemcau-signal"));
    g_free(out);
    g_free(err);

    /* The service down: a loopback port nobody listens on. */
    g_autoptr(GSocket) s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_assert_true(g_socket_bind(s, any, FALSE, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
    guint port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    g_socket_close(s, NULL); /* bound, never listening: refused */
    g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u", port);
    const char *const down[] = {"--server", url, "status", NULL};
    g_assert_cmpint(run_ctl(TECH, &out, &err, down), ==, 3);
    g_autofree char *want_down = g_strdup_printf(
        "diemcau-ctl: cannot reach diemcau-signal at %s: connection refused\n", url);
    g_assert_cmpstr(err, ==, want_down);
}

/* metrics_open: loopback peers (this test) read /metrics without a
 * credential; the rest of the API still needs it. */
static void test_open_metrics(fixture *f, gconstpointer data)
{
    wait_stats(f);
    g_autofree char *body = NULL;
    g_assert_cmpuint(get(f, "/metrics", NULL, &body, NULL), ==, 200);
    g_assert_nonnull(strstr(body, "diemcau_site_loss_ratio{site=\"can-loc\""));
    g_assert_cmpuint(get(f, "/api/stats", NULL, NULL, NULL), ==, 401);
}

static gboolean asked_twice(gpointer data)
{
    return ((fixture *)data)->stats_asked >= 2;
}

static void test_no_stats(fixture *f, gconstpointer data)
{
    g_assert_true(ts_wait_for(asked_twice, f, WAIT_MS)); /* asked, never answered */
    g_autofree char *out = NULL, *err = NULL;
    const char *const args[] = {"--server", f->base, "--credential", TECH, "status", NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, args), ==, 0);
    g_assert_nonnull(strstr(out, "bridge has no stats yet"));
    g_assert_nonnull(strstr(out, "Huyện Đức Thọ     off"));
    g_free(out);
    g_free(err);
    const char *const json[] = {"--server", f->base, "--credential", TECH, "--json",
                                "status",   NULL};
    g_assert_cmpint(run_ctl(NULL, &out, &err, json), ==, 0);
    g_autoptr(JsonNode) root = parse(out);
    g_assert_cmpstr(json_node_get_string(at_path(root, "bridge/stats")), ==, "none");
    g_assert_true(JSON_NODE_HOLDS_NULL(at_path(root, "sites/can-loc/loss_pct/up")));
}

/* ------------------------------------------------------------------------ */
/* watch through a pseudo-terminal                                          */

typedef struct {
    int master;
    pid_t pid;
    GString *screen; /* everything the program wrote */
} pty_run;

static void pty_start(pty_run *r, fixture *f, unsigned rows)
{
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = 80};
    r->screen = g_string_new(NULL);
    r->pid = forkpty(&r->master, NULL, NULL, &ws);
    g_assert_cmpint(r->pid, >=, 0);
    if (r->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        setenv("TERM", "xterm-256color", 1);
        unsetenv("NO_COLOR");
        execl(ctl_bin, ctl_bin, "--server", f->base, "--credential", TECH, "watch", (char *)NULL);
        _exit(127);
    }
}

/* Reads what is there within @ms, the loop running meanwhile. */
static void pty_read(pty_run *r, guint ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    while (g_get_monotonic_time() < deadline) {
        while (g_main_context_iteration(NULL, FALSE)) {
        }
        struct pollfd p = {.fd = r->master, .events = POLLIN};
        if (poll(&p, 1, 20) > 0) {
            char buf[4096];
            ssize_t n = read(r->master, buf, sizeof buf);
            if (n <= 0) {
                return; /* EIO: the child closed the terminal */
            }
            g_string_append_len(r->screen, buf, n);
        }
    }
}

/* Waits until the screen shows every one of @needles (NULL-terminated). */
static void pty_expect(pty_run *r, const char *const *needles)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;
    for (;;) {
        gboolean all = TRUE;
        for (size_t i = 0; needles[i]; i++) {
            all = all && strstr(r->screen->str, needles[i]) != NULL;
        }
        if (all) {
            return;
        }
        if (g_get_monotonic_time() > deadline) {
            g_error("watch screen lacks an expected text; it shows:\n%s", r->screen->str);
        }
        pty_read(r, 100);
    }
}

/* Waits for the child to exit; returns its status. */
static int pty_finish(pty_run *r)
{
    int status = 0;
    gint64 deadline = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;
    pid_t got;
    while ((got = waitpid(r->pid, &status, WNOHANG)) == 0) {
        if (g_get_monotonic_time() > deadline) {
            kill(r->pid, SIGKILL);
            waitpid(r->pid, &status, 0);
            g_error("diemcau-ctl watch did not exit within %d ms", WAIT_MS);
        }
        pty_read(r, 50);
    }
    pty_read(r, 50);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void pty_check_restored(pty_run *r)
{
    /* The alternate screen was entered, then left, and the cursor shown. */
    const char *enter = strstr(r->screen->str, "\033[?1049h");
    const char *leave = strstr(r->screen->str, "\033[?1049l");
    g_assert_nonnull(enter);
    g_assert_nonnull(leave);
    g_assert_true(leave > enter);
    g_assert_nonnull(strstr(leave - strlen("\033[?7h\033[?25h"), "\033[?25h"));
    /* The terminal is back in cooked mode with echo. */
    struct termios t;
    g_assert_cmpint(tcgetattr(r->master, &t), ==, 0);
    g_assert_true(t.c_lflag & ICANON);
    g_assert_true(t.c_lflag & ECHO);
    g_assert_true(t.c_lflag & ISIG);
    close(r->master);
    g_string_free(r->screen, TRUE);
}

static void test_watch(fixture *f, gconstpointer data)
{
    wait_stats(f);
    pty_run r;
    pty_start(&r, f, 40);
    /* Tall enough: the table and the sparklines together. */
    const char *const want[] = {"hatinh-test · bridge up · stats live",
                                "SITE",
                                "LOSS↑",
                                "Huyện Can Lộc",
                                "CA tỉnh Hà Tĩnh",
                                "LAST 60 s",
                                "q quit",
                                "\033[1;31m",
                                NULL};
    pty_expect(&r, want);
    /* The keys are read raw (no echo, no Enter needed). */
    struct termios t;
    g_assert_cmpint(tcgetattr(r.master, &t), ==, 0);
    g_assert_false(t.c_lflag & (ICANON | ECHO));
    /* It refreshes: a second frame comes. */
    gsize first = r.screen->len;
    pty_read(&r, 1500);
    g_assert_cmpuint(r.screen->len, >, first);
    g_assert_cmpint(write(r.master, "q", 1), ==, 1);
    g_assert_cmpint(pty_finish(&r), ==, 0);
    pty_check_restored(&r);
}

static void test_watch_short(fixture *f, gconstpointer data)
{
    wait_stats(f);
    pty_run r;
    pty_start(&r, f, 10);
    /* 80x10: no room for both; the table first, h for the sparklines. */
    const char *const table[] = {"SITE", "h sparklines", NULL};
    pty_expect(&r, table);
    g_assert_null(strstr(r.screen->str, "LAST 60 s"));
    g_assert_cmpint(write(r.master, "h", 1), ==, 1);
    const char *const hist[] = {"LAST 60 s", "h table", NULL};
    pty_expect(&r, hist);
    /* SIGTERM also restores the terminal. */
    kill(r.pid, SIGTERM);
    g_assert_cmpint(pty_finish(&r), ==, 0);
    pty_check_restored(&r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal_bin = argc > 1 ? argv[1] : g_getenv("DC_SIGNAL_BIN");
    ctl_bin = argc > 2 ? argv[2] : g_getenv("DC_CTL_BIN");
    if (!signal_bin || !ctl_bin) {
        g_printerr("usage: test-ctl DIEMCAU-SIGNAL DIEMCAU-CTL\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    g_test_add("/ctl/api/auth", fixture, NULL, setup, test_auth, teardown);
    g_test_add("/ctl/api/metrics", fixture, NULL, setup, test_metrics, teardown);
    g_test_add("/ctl/api/metrics-open", fixture, "open-metrics", setup, test_open_metrics,
               teardown);
    g_test_add("/ctl/status", fixture, NULL, setup, test_status, teardown);
    g_test_add("/ctl/errors", fixture, NULL, setup, test_errors, teardown);
    g_test_add("/ctl/no-stats", fixture, "no-stats", setup, test_no_stats, teardown);
    g_test_add("/ctl/watch/pty", fixture, NULL, setup, test_watch, teardown);
    g_test_add("/ctl/watch/short-terminal", fixture, NULL, setup, test_watch_short, teardown);
    g_test_add_func("/ctl/credential", test_credential_verb);
    return g_test_run();
}
