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

#include <errno.h>
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "common/config.h"
#include "common/control-auth.h"
#include "common/tls.h"
#include "signaling/bridge-link.h"
#include "signaling/conn-guard.h"
#include "signaling/http.h"
#include "signaling/listener.h"
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

static guint64 guard_accepted(void *user)
{
    return dc_conn_guard_accepted(user);
}

typedef struct {
    dc_conn_guard *guard;
    dc_listener *listener;
} counters;

/* The guard's and the listener's counters for GET /metrics. */
static char *counters_text(void *user)
{
    const counters *c = user;
    return g_strdup_printf(
        "# HELP diemcau_signal_connections HTTP and WebSocket connections open.\n"
        "# TYPE diemcau_signal_connections gauge\n"
        "diemcau_signal_connections %u\n"
        "# HELP diemcau_signal_connections_refused_total Connections closed at accept over "
        "[limits] max_connections(_per_address).\n"
        "# TYPE diemcau_signal_connections_refused_total counter\n"
        "diemcau_signal_connections_refused_total %" G_GUINT64_FORMAT "\n"
        "# HELP diemcau_signal_header_timeouts_total Connections closed by [limits] "
        "header_timeout.\n"
        "# TYPE diemcau_signal_header_timeouts_total counter\n"
        "diemcau_signal_header_timeouts_total %" G_GUINT64_FORMAT "\n"
        "# HELP diemcau_signal_listener_revivals_total Listening sockets replaced after they "
        "stopped accepting.\n"
        "# TYPE diemcau_signal_listener_revivals_total counter\n"
        "diemcau_signal_listener_revivals_total %u\n",
        dc_conn_guard_open(c->guard), dc_conn_guard_refused(c->guard),
        dc_conn_guard_timed_out(c->guard), c->listener ? dc_listener_revived(c->listener) : 0);
}

/* Raises the soft limit on open files to the hard one; the limit now. */
static rlim_t raise_fd_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) {
        g_warning("getrlimit(RLIMIT_NOFILE): %s", g_strerror(errno));
        return 1024;
    }
    rlim_t was = r.rlim_cur;
    /* "unlimited" is not a value setrlimit() takes for open files. */
    rlim_t want = r.rlim_max == RLIM_INFINITY ? 1048576 : r.rlim_max;
    if (want > r.rlim_cur) {
        r.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &r) != 0) {
            g_warning("setrlimit(RLIMIT_NOFILE, %llu): %s", (unsigned long long)want,
                      g_strerror(errno));
            r.rlim_cur = was;
        }
    }
    g_message("file descriptor limit: %llu (was %llu, hard limit %llu)",
              (unsigned long long)r.rlim_cur, (unsigned long long)was,
              r.rlim_max == RLIM_INFINITY ? 0ULL : (unsigned long long)r.rlim_max);
    return r.rlim_cur;
}

/* The connection guard's caps: [limits], and in all no more than the file
 * descriptor limit minus [limits] fd_reserve. */
static dc_conn_guard *guard_new(SoupServer *server, const dc_config *cfg)
{
    rlim_t fds = raise_fd_limit();
    rlim_t room = fds > cfg->fd_reserve ? fds - cfg->fd_reserve : 1;
    dc_conn_guard_params p = {
        .max_per_address = cfg->max_connections_per_address,
        .max_total = room < cfg->max_connections ? (unsigned)room : cfg->max_connections,
        .header_timeout_ms = cfg->header_timeout_s * 1000,
    };
    g_message("connections: at most %u in all, %u per address; a request must arrive within "
              "%u s",
              p.max_total, p.max_per_address, cfg->header_timeout_s);
    return dc_conn_guard_new(server, &p);
}

/* Listens on the config's address, with HTTPS when [signaling] tls says
 * so; *@tls_line gets the certificate's description then. */
static dc_listener *listen_on(SoupServer *server, const dc_config *cfg, dc_conn_guard *guard,
                              char **tls_line, GError **error)
{
    SoupServerListenOptions flags = 0;
    dc_tls_decision d = dc_tls_decide(cfg->signal_address, cfg->tls);
    if (d == DC_TLS_HTTPS) {
        bool generated = false;
        g_autoptr(GTlsCertificate) cert = dc_signal_tls_load(cfg, &generated, error);
        if (!cert) {
            return NULL;
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
    g_autoptr(GError) e = NULL;
    dc_listener *l =
        dc_listener_new(server, ip, cfg->signal_port, flags, guard_accepted, guard, &e);
    if (!l) {
        g_set_error(error, e->domain, e->code, "%s: cannot listen on %s port %u: %s", cfg->path,
                    cfg->signal_address, cfg->signal_port, e->message);
    }
    return l;
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
    dc_conn_guard *guard = guard_new(server, cfg);
    int rc = 0;
    g_autofree char *tls_line = NULL;
    dc_listener *listener = listen_on(server, cfg, guard, &tls_line, &error);
    counters cnt = {guard, listener};
    dc_http_set_metrics_extra(http, counters_text, &cnt);
    if (!listener) {
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
               v6 ? "]" : "", dc_listener_port(listener), bridge);
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
    dc_listener_free(listener);
    dc_http_free(http);
    soup_server_disconnect(server);
    dc_conn_guard_free(guard);
    g_object_unref(server);
    dc_service_free(svc);
    /* Let cancelled operations finish so that nothing is left allocated. */
    for (int i = 0; i < 100 && g_main_context_pending(NULL); i++) {
        g_main_context_iteration(NULL, FALSE);
    }
    g_main_loop_unref(loop);
    return rc;
}
