/* session: one site in one meeting. Wires the signal link, the transport,
 * the sender and the receiver together: joins, answers every offer
 * (renegotiating on the same transport unless the ICE ufrag changed),
 * trickles candidates, runs the media and RTCP timers, dispatches incoming
 * RTCP, records remote media with --record, prints --status lines, and
 * reconnects to signaling if the connection drops after joining; a
 * connection that has gone silent (signal-link.h, keepalive) is replaced by
 * a new one that resumes the session, the media transport kept.
 *
 * I/O shell on the default main context; quits the given loop when the join
 * is refused or signaling is lost before joining.
 */
#pragma once

#include <stdbool.h>

#include <glib.h>

typedef struct {
    const char *signal_url;
    const char *site;
    const char *credential;
    const char *video_file; /* NULL: test picture */
    const char *audio_file; /* NULL: test tone */
    int width, height, fps, bitrate_kbps;
    const char *record_dir;  /* NULL: no recording */
    bool status;             /* print STATUS lines */
    bool ignore_mute;        /* tests: keep sending when muted (the bridge enforces) */
    const char *tls_ca_file; /* wss://: trust only these CAs (PEM); NULL: the system's */
    const char *tls_pin;     /* wss://: accept only this certificate (SHA-256); NULL: none */
    int signal_timeout_s;    /* silence on signaling that resumes the session; 0: default */
} dc_session_config;

typedef struct dc_session dc_session;

/* Starts connecting and joining. Returns NULL with error set on bad
 * settings (URL, files, DTLS certificate, --pin or --ca-file). Strings are
 * copied. */
dc_session *dc_session_new(const dc_session_config *cfg, GMainLoop *loop, GError **error);

/* Leaves the meeting (leave message, DTLS close_notify, WebSocket close),
 * waiting at most a short while for the close to be sent. Idempotent. */
void dc_session_leave(dc_session *s);

void dc_session_free(dc_session *s);

/* True once a welcome arrived; *refused when the join was refused. */
bool dc_session_joined(const dc_session *s);
bool dc_session_refused(const dc_session *s);

/* The --report document (g_malloc'd). */
char *dc_session_report_json(dc_session *s);
