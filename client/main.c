/* diemcau-client: a district endpoint in C. Joins a meeting through
 * diemcau-signal, sends a test picture and tone (or files), receives every
 * other site through the bridge, checks what it decodes, and reports.
 *
 *   diemcau-client --signal URL --site ID --credential C [--duration SEC]
 *       [--video test|FILE.y4m] [--audio tone|FILE.wav] [--size WxH]
 *       [--fps N] [--bitrate KBPS] [--record DIR] [--report FILE.json]
 *       [--status] [--ca-file FILE | --pin SHA256]
 *
 * On a wss:// URL the service's certificate must come from a CA the system
 * trusts, or from one in --ca-file, or be exactly the one --pin names
 * (common/tls-verify.h); otherwise the client stops with a message naming
 * the fingerprint it saw.
 *
 * Exit status: 0 after a meeting (ended by --duration, SIGINT or SIGTERM),
 * 1 when it could not join (signaling unreachable, bad arguments), 2 when the
 * join was refused (unknown site, wrong credential). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "client/session.h"
#include "client/signal-link.h"

typedef struct {
    GMainLoop *loop;
    dc_session *session;
    guint timer;
} app;

static gboolean on_end(gpointer data)
{
    app *a = data;
    g_main_loop_quit(a->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer data)
{
    app *a = data;
    a->timer = 0;
    g_main_loop_quit(a->loop);
    return G_SOURCE_REMOVE;
}

static bool parse_size(const char *s, int *w, int *h)
{
    char *end = NULL;
    long ww = strtol(s, &end, 10);
    if (!end || (*end != 'x' && *end != 'X'))
        return false;
    long hh = strtol(end + 1, &end, 10);
    if (*end != '\0' || ww < 16 || hh < 16 || ww > 4096 || hh > 4096 || ww % 2 || hh % 2)
        return false;
    *w = (int)ww;
    *h = (int)hh;
    return true;
}

static bool write_report(const char *path, const char *json)
{
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(path, json, -1, &error)) {
        g_printerr("diemcau-client: cannot write the report: %s\n", error->message);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    g_autofree char *signal_url = NULL, *site = NULL, *credential = NULL, *video = NULL;
    g_autofree char *audio = NULL, *size = NULL, *record = NULL, *report = NULL;
    g_autofree char *ca_file = NULL, *pin = NULL;
    double duration = 0;
    int fps = 30, bitrate = 0, signal_timeout = DC_SIGNAL_SILENCE_MS_DEFAULT / 1000;
    gboolean status = FALSE;
    gboolean ignore_mute = FALSE;
    GOptionEntry entries[] = {
        {"signal", 0, 0, G_OPTION_ARG_STRING, &signal_url,
         "Signaling URL (wss://HOST:PORT/ws, or ws:// on loopback)", "URL"},
        {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
         "wss://: trust the CA certificates in FILE (PEM) instead of the system's", "FILE"},
        {"pin", 0, 0, G_OPTION_ARG_STRING, &pin,
         "wss://: accept only the certificate with this SHA-256 fingerprint (as diemcau-signal "
         "prints it)",
         "SHA256"},
        {"signal-timeout", 0, 0, G_OPTION_ARG_INT, &signal_timeout,
         "Resume the session on a new signaling connection when nothing has come on the old "
         "one for SEC seconds (pings every 0.4 SEC; default 25)",
         "SEC"},
        {"site", 0, 0, G_OPTION_ARG_STRING, &site, "Site id", "ID"},
        {"credential", 0, 0, G_OPTION_ARG_STRING, &credential, "The site's credential", "C"},
        {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration,
         "Leave after SEC seconds (0: run until "
         "SIGINT/SIGTERM)",
         "SEC"},
        {"video", 0, 0, G_OPTION_ARG_FILENAME, &video, "test (default) or a .y4m file to loop",
         "test|FILE"},
        {"audio", 0, 0, G_OPTION_ARG_FILENAME, &audio, "tone (default) or a 48 kHz .wav to loop",
         "tone|FILE"},
        {"size", 0, 0, G_OPTION_ARG_STRING, &size, "Test picture size (default 1280x720)", "WxH"},
        {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frame rate (default 30)", "N"},
        {"bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "Video bitrate (default by size)", "KBPS"},
        {"record", 0, 0, G_OPTION_ARG_FILENAME, &record,
         "Write each remote site's video (.y4m) and audio (.wav) here", "DIR"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &report, "Write a JSON report at exit", "FILE"},
        {"status", 0, 0, G_OPTION_ARG_NONE, &status, "Print a STATUS line every second", NULL},
        {"ignore-mute", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &ignore_mute,
         "For tests: keep sending when the chair mutes us (the bridge must stop it)", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- diemcau district endpoint");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("diemcau-client: %s\n", error->message);
        return 1;
    }
    int width = 1280, height = 720;
    if (!signal_url || !site || !credential) {
        g_printerr("diemcau-client: --signal, --site and --credential are required\n");
        return 1;
    }
    if (size && !parse_size(size, &width, &height)) {
        g_printerr("diemcau-client: --size wants WxH with even numbers, e.g. 320x180\n");
        return 1;
    }
    if (fps < 1 || fps > 120 || !(duration >= 0 && duration < 1e7) || bitrate < 0) {
        g_printerr("diemcau-client: --fps 1..120, --duration and --bitrate >= 0\n");
        return 1;
    }
    if (signal_timeout < 2 || signal_timeout > 3600) {
        g_printerr("diemcau-client: --signal-timeout wants 2..3600 seconds\n");
        return 1;
    }
    if (bitrate == 0) {
        /* About 0.08 bit per pixel per frame, as real-time VP8 needs. */
        long b = (long)width * height * fps / 12500;
        bitrate = (int)CLAMP(b, 100, 4000);
    }
    if (record && g_mkdir_with_parents(record, 0755) != 0) {
        g_printerr("diemcau-client: cannot create %s: %s\n", record, g_strerror(errno));
        return 1;
    }
    if (video && strcmp(video, "test") == 0)
        g_clear_pointer(&video, g_free);
    if (audio && strcmp(audio, "tone") == 0)
        g_clear_pointer(&audio, g_free);

    app a = {.loop = g_main_loop_new(NULL, FALSE)};
    dc_session_config cfg = {
        .signal_url = signal_url,
        .site = site,
        .credential = credential,
        .video_file = video,
        .audio_file = audio,
        .width = width,
        .height = height,
        .fps = fps,
        .bitrate_kbps = bitrate,
        .record_dir = record,
        .status = status,
        .ignore_mute = ignore_mute,
        .tls_ca_file = ca_file,
        .tls_pin = pin,
        .signal_timeout_s = signal_timeout,
    };
    a.session = dc_session_new(&cfg, a.loop, &error);
    if (!a.session) {
        g_printerr("diemcau-client: %s\n", error->message);
        g_main_loop_unref(a.loop);
        return 1;
    }
    guint sigint = g_unix_signal_add(SIGINT, on_end, &a);
    guint sigterm = g_unix_signal_add(SIGTERM, on_end, &a);
    a.timer = duration > 0 ? g_timeout_add((guint)(duration * 1000), on_duration, &a) : 0;
    g_main_loop_run(a.loop);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    if (a.timer)
        g_source_remove(a.timer);

    dc_session_leave(a.session);
    bool joined = dc_session_joined(a.session);
    bool refused = dc_session_refused(a.session);
    bool ok = true;
    if (report) {
        g_autofree char *json = dc_session_report_json(a.session);
        ok = write_report(report, json);
    }
    dc_session_free(a.session);
    g_main_loop_unref(a.loop);
    if (refused)
        return 2;
    if (!joined)
        return 1;
    return ok ? 0 : 1;
}
