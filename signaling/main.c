/* diemcau-signal: the signaling service of one meeting.
 *
 *   diemcau-signal --config config/hatinh.ini
 *
 * Serves the web page, /api/roster and the sites' WebSocket on one port,
 * drives the bridge over its control link, and stops cleanly on SIGINT or
 * SIGTERM (sites get a 1001 close). On startup it prints one line to stdout:
 *   diemcau-signal: meeting ID listening on http[s]://ADDRESS:PORT/ ...
 * (the real port when the config asks for port 0), and with HTTPS a second
 * one with the certificate's SHA-256 fingerprint (signaling/tls.h).
 *
 * HTTPS or plain HTTP follows [signaling] tls (common/tls.h): plain HTTP
 * only on a loopback address or when the config says tls = off. When HTTPS
 * is due and the certificate cannot be loaded or made, the service does not
 * start: it never falls back to plain HTTP. */
#define G_LOG_DOMAIN "dc-signal"

#include <glib-unix.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/config.h"
#include "common/control-auth.h"
#include "common/tls.h"
#include "signaling/bridge-link.h"
#include "signaling/http.h"
#include "signaling/service.h"
#include "signaling/tls.h"

#define DRAIN_MS 1000

static gboolean quit_cb(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_CONTINUE;
}

static gboolean flag_cb(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* The port actually bound (port 0 in the config picks one). */
static unsigned bound_port(SoupServer *server)
{
    unsigned port = 0;
    GSList *listeners = soup_server_get_listeners(server);
    if (listeners) {
        g_autoptr(GSocketAddress) a = g_socket_get_local_address(listeners->data, NULL);
        if (a && G_IS_INET_SOCKET_ADDRESS(a)) {
            port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(a));
        }
    }
    g_slist_free(listeners);
    return port;
}

/* Listens on the config's address, with HTTPS when [signaling] tls says
 * so; *@tls_line gets the certificate's description then. */
static bool listen_on(SoupServer *server, const dc_config *cfg, char **tls_line, GError **error)
{
    SoupServerListenOptions flags = 0;
    dc_tls_decision d = dc_tls_decide(cfg->signal_address, cfg->tls);
    if (d == DC_TLS_HTTPS) {
        bool generated = false;
        g_autoptr(GTlsCertificate) cert = dc_signal_tls_load(cfg, &generated, error);
        if (!cert) {
            return false;
        }
        soup_server_set_tls_certificate(server, cert);
        flags |= SOUP_SERVER_LISTEN_HTTPS;
        *tls_line = dc_signal_tls_describe(cert, cfg->tls_certificate, generated);
    } else if (d == DC_TLS_PLAIN_EXPLICIT && !dc_tls_address_is_loopback(cfg->signal_address)) {
        g_warning("plain HTTP on %s because [signaling] tls = off in %s: credentials and SDP "
                  "cross the network unencrypted, and browsers on other machines give the page "
                  "no camera or microphone without https://",
                  cfg->signal_address, cfg->path);
    }
    g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(cfg->signal_address);
    g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(ip, cfg->signal_port);
    g_autoptr(GError) e = NULL;
    if (!soup_server_listen(server, addr, flags, &e)) {
        g_set_error(error, e->domain, e->code, "%s: cannot listen on %s port %u: %s", cfg->path,
                    cfg->signal_address, cfg->signal_port, e->message);
        return false;
    }
    return true;
}

/* Closes every site connection and runs the loop until they are closed, or
 * DRAIN_MS at most. */
static void drain(dc_service *svc)
{
    gboolean timed_out = FALSE;
    guint timer = g_timeout_add(DRAIN_MS, flag_cb, &timed_out);
    while (dc_service_close_all(svc) > 0 && !timed_out) {
        g_main_context_iteration(NULL, TRUE);
    }
    if (!timed_out) {
        g_source_remove(timer);
    }
}

int main(int argc, char **argv)
{
    g_autofree char *config_path = NULL;
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
         "The deployment file (e.g. config/hatinh.ini)", "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) opts = g_option_context_new("- diemcau signaling service");
    g_option_context_add_main_entries(opts, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(opts, &argc, &argv, &error) || !config_path || argc > 1) {
        g_printerr("diemcau-signal: %s\nusage: diemcau-signal --config FILE\n",
                   error ? error->message : "--config FILE is required");
        return 2;
    }
    g_autoptr(dc_config) cfg = dc_config_load(config_path, &error);
    if (!cfg) {
        g_printerr("diemcau-signal: %s\n", error->message);
        return 1;
    }
    /* Made here when diemcau-bridge has not made it yet. */
    uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN];
    bool made = false;
    if (!dc_control_auth_load_secret(cfg->control_secret_file, secret, &made, &error)) {
        g_printerr("diemcau-signal: %s: [bridge] control_secret_file: %s\n", cfg->path,
                   error->message);
        return 1;
    }
    if (made) {
        g_message("control link secret made: %s (copy it, mode 0600, to a diemcau-bridge on "
                  "another host)",
                  cfg->control_secret_file);
    }
    g_auto(GStrv) plain = dc_config_plain_credentials(cfg);
    if (plain) {
        g_autofree char *where = g_strjoinv(", ", plain);
        g_warning("%s: %u credential(s) kept in plain text, readable by anyone who reads the "
                  "file: %s. Store hashes instead: diemcau-ctl credential SITE (README, "
                  "\"Credentials\")",
                  cfg->path, g_strv_length(plain), where);
    }

    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    dc_service *svc = dc_service_new(cfg, secret);
    OPENSSL_cleanse(secret, sizeof secret);
    SoupServer *server = soup_server_new("server-header", "diemcau-signal ", NULL);
    dc_http *http = dc_http_new(server, svc, cfg->web_root);
    int rc = 0;
    g_autofree char *tls_line = NULL;
    if (!listen_on(server, cfg, &tls_line, &error)) {
        g_printerr("diemcau-signal: %s\n", error->message);
        rc = 1;
    } else {
        /* Before the startup line: whoever reads it may stop us at once. */
        guint sigint = g_unix_signal_add(SIGINT, quit_cb, loop);
        guint sigterm = g_unix_signal_add(SIGTERM, quit_cb, loop);
        g_autofree char *bridge = dc_bridge_link_url(cfg->bridge_address, cfg->bridge_port);
        bool v6 = strchr(cfg->signal_address, ':') != NULL;
        printf("diemcau-signal: meeting %s listening on %s://%s%s%s:%u/ (sites: /ws), "
               "bridge %s\n",
               cfg->meeting_id, dc_tls_scheme(cfg), v6 ? "[" : "", cfg->signal_address,
               v6 ? "]" : "", bound_port(server), bridge);
        if (tls_line) {
            printf("diemcau-signal: %s\n", tls_line);
        }
        fflush(stdout);
        dc_service_start(svc);
        g_main_loop_run(loop);
        g_message("stopping");
        g_source_remove(sigint);
        g_source_remove(sigterm);
        drain(svc);
    }
    dc_http_free(http);
    soup_server_disconnect(server);
    g_object_unref(server);
    dc_service_free(svc);
    /* Let cancelled operations finish so that nothing is left allocated. */
    for (int i = 0; i < 100 && g_main_context_pending(NULL); i++) {
        g_main_context_iteration(NULL, FALSE);
    }
    g_main_loop_unref(loop);
    return rc;
}
