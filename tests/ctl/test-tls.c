/* diemcau-signal on HTTPS/WSS and diemcau-ctl checking its certificate.
 *
 * Starts the real diemcau-signal with [signaling] tls = on on a free
 * loopback port, in a temporary folder where it makes its self-signed
 * certificate, and checks: the startup lines (https:// URL, the SHA-256
 * fingerprint of the file it wrote), a site joining over wss:// (the
 * certificate pinned), diemcau-ctl status with the right pin, a wrong pin,
 * neither pin nor CA file, the certificate as --ca-file, --config alone,
 * plain http:// against it, the same certificate after a restart, and a
 * config naming certificate files that do not exist (no start, never plain
 * HTTP). No bridge: the service's control link stays down.
 *
 * Binaries: argv[1] = diemcau-signal, argv[2] = diemcau-ctl. */
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "test-support.h"

#define WAIT_MS 8000
#define TECH "tech-secret-000001"

static const char *signal_bin, *ctl_bin;

typedef struct {
    char *dir, *config, *cert, *key;
    GSubprocess *proc;
    GDataInputStream *out;
    char *listen_line, *tls_line;
    char *base;        /* https://127.0.0.1:PORT */
    char *fingerprint; /* from the startup line */
    guint port;
} fixture;

/* The SHA-256 of the certificate's DER, colon hex, computed here. */
static char *file_fingerprint(const char *pem_path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GTlsCertificate) c = g_tls_certificate_new_from_file(pem_path, &error);
    g_assert_no_error(error);
    g_autoptr(GByteArray) der = NULL;
    g_object_get(c, "certificate", &der, NULL);
    g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, der->data, der->len);
    GString *s = g_string_new(NULL);
    for (size_t i = 0; hex[i]; i += 2) {
        g_string_append_printf(s, "%s%c%c", i ? ":" : "", g_ascii_toupper(hex[i]),
                               g_ascii_toupper(hex[i + 1]));
    }
    return g_string_free(s, FALSE);
}

static void write_config(fixture *f, const char *extra)
{
    /* The control port of a socket bound and closed: nobody listens. */
    g_autofree char *text = g_strdup_printf(
        "[meeting]\nid = tls-test\ntitle = Hội nghị thử TLS\n"
        "[signaling]\naddress = 127.0.0.1\nport = 0\nweb_root = web\n"
        "technician_credential = " TECH "\ntls = on\n%s"
        "[bridge]\ncontrol_address = 127.0.0.1\ncontrol_port = 9\n"
        "[site.tinh]\nname = Công an tỉnh Hà Tĩnh\nrole = chair\ncredential = tinh-secret-01\n"
        "[site.can-loc]\nname = Huyện Can Lộc\nrole = district\ncredential = canloc-secret-02\n",
        extra);
    g_assert_true(g_file_set_contents(f->config, text, -1, NULL));
}

/* The service's next line starting "diemcau-signal: " (its own lines, and
 * its errors); GLib's log lines in between are skipped. NULL at EOF.
 * Blocking: the service prints at once or exits. */
static char *next_line(fixture *f)
{
    for (;;) {
        g_autoptr(GError) error = NULL;
        char *line = g_data_input_stream_read_line_utf8(f->out, NULL, NULL, &error);
        g_assert_no_error(error);
        if (!line || g_str_has_prefix(line, "diemcau-signal: ")) {
            return line;
        }
        g_test_message("signal: %s", line);
        g_free(line);
    }
}

/* Starts the service; returns its first line (see next_line()). */
static char *start_signal(fixture *f)
{
    const char *argv[] = {signal_bin, "--config", f->config, NULL};
    g_autoptr(GSubprocessLauncher) l =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_subprocess_launcher_set_child_setup(l, ts_die_with_parent, NULL, NULL);
    g_autoptr(GError) error = NULL;
    f->proc = g_subprocess_launcher_spawnv(l, argv, &error);
    g_assert_no_error(error);
    f->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(f->proc));
    return next_line(f);
}

static void stop_signal(fixture *f)
{
    g_subprocess_send_signal(f->proc, SIGTERM);
    g_autoptr(GError) error = NULL;
    /* Drain what is left so that the child never blocks on a full pipe. */
    g_autofree char *rest = NULL;
    g_subprocess_communicate_utf8(f->proc, NULL, NULL, &rest, NULL, &error);
    g_assert_no_error(error);
    g_subprocess_wait(f->proc, NULL, &error);
    g_assert_true(g_subprocess_get_if_exited(f->proc));
    g_assert_cmpint(g_subprocess_get_exit_status(f->proc), ==, 0);
    g_clear_object(&f->out);
    g_clear_object(&f->proc);
}

static void setup(fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->dir = g_dir_make_tmp("dc-ctl-tls-XXXXXX", &error);
    g_assert_no_error(error);
    f->config = g_build_filename(f->dir, "test.ini", NULL);
    f->cert = g_build_filename(f->dir, "diemcau-signal.crt", NULL);
    f->key = g_build_filename(f->dir, "diemcau-signal.key", NULL);
    write_config(f, "");
    f->listen_line = start_signal(f);
    g_assert_nonnull(f->listen_line);
    f->tls_line = next_line(f);
    g_test_message("%s\n%s", f->listen_line, f->tls_line);
    const char *at = strstr(f->listen_line, "listening on https://127.0.0.1:");
    g_assert_nonnull(at);
    f->port = (guint)g_ascii_strtoull(at + strlen("listening on https://127.0.0.1:"), NULL, 10);
    g_assert_cmpuint(f->port, >, 0);
    f->base = g_strdup_printf("https://127.0.0.1:%u", f->port);
    const char *fp = f->tls_line ? strstr(f->tls_line, "SHA-256 fingerprint ") : NULL;
    g_assert_nonnull(fp);
    f->fingerprint = g_strdup(fp + strlen("SHA-256 fingerprint "));
}

static void teardown(fixture *f, gconstpointer data)
{
    if (f->proc) {
        stop_signal(f);
    }
    ts_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->config);
    g_free(f->cert);
    g_free(f->key);
    g_free(f->listen_line);
    g_free(f->tls_line);
    g_free(f->base);
    g_free(f->fingerprint);
}

/* Runs diemcau-ctl with @args (NULL-terminated), no $DIEMCAU_CREDENTIAL;
 * returns its exit status. */
static int run_ctl(char **out, char **err, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)ctl_bin);
    for (size_t i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    g_autoptr(GSubprocessLauncher) l =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_unsetenv(l, "DIEMCAU_CREDENTIAL");
    g_subprocess_launcher_set_child_setup(l, ts_die_with_parent, NULL, NULL);
    g_autoptr(GError) e = NULL;
    g_autoptr(GSubprocess) p =
        g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &e);
    g_assert_no_error(e);
    g_assert_true(g_subprocess_communicate_utf8(p, NULL, NULL, out, err, &e));
    g_assert_no_error(e);
    g_assert_true(g_subprocess_get_if_exited(p));
    g_test_message("diemcau-ctl %s → %d\n%s%s", args[0], g_subprocess_get_exit_status(p), *out,
                   *err);
    return g_subprocess_get_exit_status(p);
}

/* ------------------------------------------------------------------------ */

static void test_startup(fixture *f, gconstpointer data)
{
    /* The fingerprint printed is the file's, and the key is private. */
    g_autofree char *want = file_fingerprint(f->cert);
    g_assert_cmpstr(f->fingerprint, ==, want);
    g_assert_nonnull(strstr(f->tls_line, f->cert));
    g_assert_nonnull(strstr(f->tls_line, "(self-signed, made now, valid until "));
    GStatBuf st;
    g_assert_cmpint(g_stat(f->key, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 0777, ==, 0600);

    /* A restart keeps the certificate: the pin stays valid. */
    stop_signal(f);
    g_autofree char *again = start_signal(f);
    g_assert_nonnull(strstr(again, "listening on https://127.0.0.1:"));
    g_autofree char *tls = next_line(f);
    g_assert_nonnull(tls);
    g_assert_null(strstr(tls, "made now"));
    g_assert_true(g_str_has_suffix(tls, f->fingerprint));
}

/* Keeps the first message's text in the char * at data. */
static void ws_message(SoupWebsocketConnection *c, gint type, GBytes *bytes, gpointer data)
{
    char **first = data;
    if (!*first) {
        *first = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
    }
}

/* Whether the char * at data is set. */
static gboolean got_first(gpointer data)
{
    return *(char **)data != NULL;
}

static gboolean accept_pinned(SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors,
                              gpointer data)
{
    const fixture *f = data;
    g_autoptr(GByteArray) der = NULL;
    g_object_get(cert, "certificate", &der, NULL);
    g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, der->data, der->len);
    g_autofree char *want = g_ascii_strdown(f->fingerprint, -1);
    g_auto(GStrv) pairs = g_strsplit(want, ":", -1);
    g_autofree char *joined = g_strjoinv("", pairs);
    return g_strcmp0(hex, joined) == 0;
}

/* A site joins over wss:// and gets its welcome. */
static void test_wss_join(fixture *f, gconstpointer data)
{
    g_autoptr(SoupSession) s = soup_session_new();
    g_autofree char *url = g_strdup_printf("wss://127.0.0.1:%u/ws", f->port);
    g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
    g_signal_connect(msg, "accept-certificate", G_CALLBACK(accept_pinned), f);
    SoupWebsocketConnection *conn = ts_ws_connect_message(s, msg, WAIT_MS);
    char *first = NULL;
    g_signal_connect(conn, "message", G_CALLBACK(ws_message), &first);
    soup_websocket_connection_send_text(
        conn, "{\"type\":\"join\",\"site\":\"can-loc\",\"credential\":\"canloc-secret-02\"}");
    ts_wait_for(got_first, &first, WAIT_MS);
    g_assert_nonnull(first);
    g_assert_true(g_str_has_prefix(first, "{\"type\":\"welcome\""));
    g_free(first);
    soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    g_object_unref(conn);
}

static void test_ctl_pin(fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL, *err = NULL;
    const char *const ok[] = {"--server", f->base,        "--credential", TECH,
                              "--pin",    f->fingerprint, "status",       NULL};
    g_assert_cmpint(run_ctl(&out, &err, ok), ==, 0);
    g_assert_nonnull(strstr(out, "tls-test"));
    g_assert_nonnull(strstr(out, "Huyện Can Lộc"));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    /* Lower case, without colons: the same pin. */
    g_autofree char *lower = g_ascii_strdown(f->fingerprint, -1);
    g_auto(GStrv) pairs = g_strsplit(lower, ":", -1);
    g_autofree char *bare = g_strjoinv("", pairs);
    const char *const ok2[] = {"--server", f->base, "--credential", TECH,
                               "--pin",    bare,    "roster",       NULL};
    g_assert_cmpint(run_ctl(&out, &err, ok2), ==, 0);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    /* A wrong pin: refused before the credential is sent, both named. */
    g_autofree char *wrong = g_strdup(f->fingerprint);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    const char *const bad[] = {"--server", f->base, "--credential", TECH,
                               "--pin",    wrong,   "status",       NULL};
    g_assert_cmpint(run_ctl(&out, &err, bad), ==, 6);
    g_assert_cmpstr(out, ==, "");
    g_autofree char *want = g_strdup_printf(
        "diemcau-ctl: refusing diemcau-signal at %s: the certificate of 127.0.0.1 is not the "
        "pinned one: expected SHA-256 %s (--pin), seen %s\n",
        f->base, wrong, f->fingerprint);
    g_assert_cmpstr(err, ==, want);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    /* Not a fingerprint at all: a usage error. */
    const char *const junk[] = {"--server", f->base, "--pin", "12:34", "status", NULL};
    g_assert_cmpint(run_ctl(&out, &err, junk), ==, 2);
    g_assert_nonnull(strstr(err, "is not a SHA-256 fingerprint"));
}

static void test_ctl_unverified(fixture *f, gconstpointer data)
{
    /* Neither pin nor CA file: the system's CAs do not know it. */
    g_autofree char *out = NULL, *err = NULL;
    const char *const none[] = {"--server", f->base, "--credential", TECH, "status", NULL};
    g_assert_cmpint(run_ctl(&out, &err, none), ==, 6);
    g_assert_cmpstr(out, ==, "");
    g_assert_true(g_str_has_prefix(err, "diemcau-ctl: refusing diemcau-signal at https://"));
    g_assert_nonnull(strstr(err, f->fingerprint));
    g_assert_nonnull(strstr(err, "unknown issuer"));
    g_assert_nonnull(strstr(err, "--pin FINGERPRINT"));
    g_assert_nonnull(strstr(err, "--ca-file"));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    /* Plain HTTP to the HTTPS port: no answer a technician could misread. */
    g_autofree char *plain = g_strdup_printf("http://127.0.0.1:%u", f->port);
    const char *const http[] = {"--server", plain, "--credential", TECH, "status", NULL};
    g_assert_cmpint(run_ctl(&out, &err, http), ==, 3);
    g_assert_nonnull(strstr(err, "cannot reach diemcau-signal at http://"));
    g_assert_nonnull(strstr(err, "(if the service serves HTTPS, use https://)"));
}

static void test_ctl_ca_file(fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL, *err = NULL;
    const char *const ca[] = {"--server",  f->base, "--credential", TECH,
                              "--ca-file", f->cert, "status",       NULL};
    g_assert_cmpint(run_ctl(&out, &err, ca), ==, 0);
    g_assert_nonnull(strstr(out, "Huyện Can Lộc"));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    /* A CA file that did not issue it: refused, the file named. */
    g_autofree char *other_dir = g_build_filename(f->dir, "other", NULL);
    g_assert_cmpint(g_mkdir(other_dir, 0700), ==, 0);
    g_autofree char *other = g_build_filename(other_dir, "test.ini", NULL);
    fixture g = {.dir = other_dir, .config = other};
    write_config(&g, "");
    g.cert = g_build_filename(other_dir, "diemcau-signal.crt", NULL);
    g_autofree char *line = start_signal(&g); /* makes its own certificate */
    g_assert_nonnull(line);
    stop_signal(&g);
    const char *const wrong[] = {"--server",  f->base, "--credential", TECH,
                                 "--ca-file", g.cert,  "status",       NULL};
    g_assert_cmpint(run_ctl(&out, &err, wrong), ==, 6);
    g_assert_nonnull(strstr(err, "is not trusted with --ca-file"));
    g_assert_nonnull(strstr(err, g.cert));
    g_free(g.cert);
}

/* diemcau-ctl --config FILE status: https:// and the certificate file of
 * the config pinned, nothing else to type. */
static void test_ctl_config(fixture *f, gconstpointer data)
{
    /* The config says port 0; the technician's copy names the real one. */
    g_autofree char *ctl_ini = g_build_filename(f->dir, "ctl.ini", NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(f->config, &text, NULL, NULL));
    g_autofree char *port = g_strdup_printf("port = %u\n", f->port);
    g_auto(GStrv) parts = g_strsplit(text, "port = 0\n", 2);
    g_autofree char *ctl_text = g_strjoinv(port, parts);
    g_assert_true(g_file_set_contents(ctl_ini, ctl_text, -1, NULL));

    g_autofree char *out = NULL, *err = NULL;
    const char *const args[] = {"--config", ctl_ini, "status", NULL};
    g_assert_cmpint(run_ctl(&out, &err, args), ==, 0);
    g_assert_nonnull(strstr(out, "Huyện Can Lộc"));
}

/* Certificate files named in the config but absent: the service does not
 * start (and never falls back to plain HTTP). */
static void test_missing_certificate(fixture *f, gconstpointer data)
{
    stop_signal(f);
    write_config(f, "tls_certificate = /nonexistent/prov.crt\ntls_key = /nonexistent/prov.key\n");
    g_autofree char *line = start_signal(f);
    g_assert_nonnull(line);
    g_test_message("%s", line);
    g_assert_true(g_str_has_prefix(line, "diemcau-signal: "));
    g_assert_nonnull(strstr(line, "/nonexistent/prov.crt"));
    g_assert_null(strstr(line, "listening"));
    g_autoptr(GError) e = NULL;
    g_subprocess_wait(f->proc, NULL, &e);
    g_assert_cmpint(g_subprocess_get_exit_status(f->proc), ==, 1);
    g_clear_object(&f->out);
    g_clear_object(&f->proc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal_bin = argc > 1 ? argv[1] : g_getenv("DC_SIGNAL_BIN");
    ctl_bin = argc > 2 ? argv[2] : g_getenv("DC_CTL_BIN");
    if (!signal_bin || !ctl_bin) {
        g_printerr("usage: test-ctl-tls DIEMCAU-SIGNAL DIEMCAU-CTL\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    g_test_add("/tls/startup", fixture, NULL, setup, test_startup, teardown);
    g_test_add("/tls/wss-join", fixture, NULL, setup, test_wss_join, teardown);
    g_test_add("/tls/ctl/pin", fixture, NULL, setup, test_ctl_pin, teardown);
    g_test_add("/tls/ctl/unverified", fixture, NULL, setup, test_ctl_unverified, teardown);
    g_test_add("/tls/ctl/ca-file", fixture, NULL, setup, test_ctl_ca_file, teardown);
    g_test_add("/tls/ctl/config", fixture, NULL, setup, test_ctl_config, teardown);
    g_test_add("/tls/missing-certificate", fixture, NULL, setup, test_missing_certificate,
               teardown);
    return g_test_run();
}
