/* diemcau-bridge: the SFU process. Loads the deployment file, starts the
 * worker threads and the control link, and stops cleanly on SIGINT/SIGTERM.
 *
 *   diemcau-bridge --config config/hatinh.ini [--no-batch-send] [--stock-srtp]
 *
 * --no-batch-send sends every packet with its own nice_agent_send() instead
 * of the workers' send queues (bridge/sendq.h); --stock-srtp keeps libsrtp's
 * own ciphers (NSS on Debian) instead of core/srtp-openssl's. Both are for
 * benchmarks that compare the two paths in one run, and tests of them.
 */
#include <glib-unix.h>
#include <glib.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "bridge/control.h"
#include "bridge/worker.h"
#include "common/config.h"
#include "common/control-auth.h"
#include "core/dtls.h"
#include "core/srtp.h"

static gboolean on_signal(gpointer data)
{
    g_message("stopping");
    g_main_loop_quit(data);
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    g_autofree char *config_path = NULL;
    gboolean no_batch = FALSE, stock_srtp = FALSE;
    gint silence_ms = 0;
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "deployment file (INI)", "FILE"},
        {"no-batch-send", 0, 0, G_OPTION_ARG_NONE, &no_batch,
         "one nice_agent_send() per packet (no send queue; for comparisons)", NULL},
        {"stock-srtp", 0, 0, G_OPTION_ARG_NONE, &stock_srtp,
         "libsrtp's own ciphers instead of OpenSSL's (for comparisons)", NULL},
        {"test-owner-silence-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &silence_ms,
         "tests only: a meeting's control link silent this long may be taken over", "MS"},
        {NULL},
    };
    g_autoptr(GOptionContext) opts = g_option_context_new("- diemcau media bridge (SFU)");
    g_option_context_add_main_entries(opts, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(opts, &argc, &argv, &error)) {
        fprintf(stderr, "diemcau-bridge: %s\n", error->message);
        return 2;
    }
    if (!config_path) {
        fprintf(stderr, "diemcau-bridge: --config FILE is required\n");
        return 2;
    }
    g_autoptr(dc_config) config = dc_config_load(config_path, &error);
    if (!config) {
        fprintf(stderr, "diemcau-bridge: %s\n", error->message);
        return 1;
    }
    /* Made here when diemcau-signal has not made it yet. */
    uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN];
    bool made = false;
    if (!dc_control_auth_load_secret(config->control_secret_file, secret, &made, &error)) {
        fprintf(stderr, "diemcau-bridge: %s: [bridge] control_secret_file: %s\n", config->path,
                error->message);
        return 1;
    }
    if (made)
        g_message("control link secret made: %s (copy it, mode 0600, to a diemcau-signal on "
                  "another host)",
                  config->control_secret_file);
    /* Before any session: the first call chooses for the process. */
    if (dc_srtp_global_init(stock_srtp ? DC_SRTP_CRYPTO_STOCK : DC_SRTP_CRYPTO_OPENSSL) < 0) {
        fprintf(stderr, "diemcau-bridge: libsrtp did not initialise\n");
        return 1;
    }
    dc_dtls_cert *cert = dc_dtls_cert_new(g_get_real_time() / G_USEC_PER_SEC);
    if (!cert) {
        fprintf(stderr, "diemcau-bridge: cannot create the DTLS certificate\n");
        return 1;
    }
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    dc_workers *workers = dc_workers_new(config->workers, !no_batch);
    dc_control *control = dc_control_new(config, workers, cert, secret, &error);
    OPENSSL_cleanse(secret, sizeof secret);
    if (control && silence_ms > 0)
        dc_control_set_owner_silence(control, (int64_t)silence_ms * 1000);
    int rc = 0;
    if (!control) {
        fprintf(stderr, "diemcau-bridge: control link on %s:%u: %s\n", config->bridge_address,
                config->bridge_port, error->message);
        rc = 1;
    } else {
        guint s1 = g_unix_signal_add(SIGINT, on_signal, loop);
        guint s2 = g_unix_signal_add(SIGTERM, on_signal, loop);
        g_message("control link ws://%s:%u/control, %u workers, UDP %u-%u, instance %s",
                  config->bridge_address, config->bridge_port, dc_workers_count(workers),
                  config->udp_port_min, config->udp_port_max, dc_control_instance_id(control));
        g_main_loop_run(loop);
        g_source_remove(s1);
        g_source_remove(s2);
        dc_control_close_meetings(control);
    }
    dc_workers_free(workers);
    /* Messages the meetings queued for the control link: dropped. */
    while (g_main_context_iteration(NULL, FALSE)) {
    }
    dc_control_free(control);
    while (g_main_context_iteration(NULL, FALSE)) {
    }
    g_main_loop_unref(loop);
    dc_dtls_cert_free(cert);
    return rc;
}
