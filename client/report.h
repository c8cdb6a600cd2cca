/* report: what the client tells about a meeting: the --report JSON written
 * at exit and the once-a-second --status line (read by scripts/meeting.py
 * and the system tests).
 *
 * Report schema: {"site", "joined", "state", "sent": {"video_frames",
 * "audio_packets", ...}, "remote": {SITE: {"video_frames_decoded",
 * "video_identity_ok", "video_identity_bad", "audio_packets_decoded",
 * "audio_identity_ok", "video_latency_ms": {"p50", "p95", "max"}, "freezes",
 * "fps", "width", "height", "packets_lost", "nacks_sent", "plis_sent",
 * "first_frame_ms", "frame_counters": {"min", "max", "decoded", ...}, ...}},
 * "own_media_received", "link": {"bitrate_bps", "loss_pct", "jitter_ms"
 * ({"up", "down"} each), "rtt_ms", "score": {"up", "down", "level", "mos"},
 * "up" and "down": {"audio", "video": {"packets", "bytes", "bitrate_bps",
 * "bitrate_10s_bps", "loss_pct", "lost", "jitter_ms", "nacks",
 * "retransmissions", "plis"}}}}: the site's view of its link, the same
 * figures as the bridge's view in /api/stats (client/link.h); null where
 * unknown.
 *
 * Pure formatting: strings returned are g_malloc'd and owned by the caller.
 */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "client/link.h"
#include "client/receiver.h"
#include "client/sender.h"

/* What the chair did to this site and the meeting (docs/protocol.md, "The
 * chair"). */
typedef struct {
    const char *meeting_state; /* "lobby", "open", "locked", "ended"; NULL unknown */
    const char *floor;         /* the site with the floor, or NULL */
    bool muted[2];             /* audio, video: not sending (chair or self) */
    bool muted_by_chair[2];
    const GPtrArray *events; /* of char *: one JSON object text per chair message */
} dc_report_chair;

typedef struct {
    const char *site;
    bool joined;
    const char *state;           /* "joining", "connected", "failed" */
    const char *error;           /* why the join failed, or NULL */
    const dc_sender_stats *sent; /* NULL when nothing was sent */
    const dc_receiver *receiver; /* may be NULL */
    double duration_s;
    const dc_report_chair *chair; /* NULL: nothing from the chair */
    const dc_link_stats *link;    /* NULL: no link figures */
} dc_report_input;

/* The --report document, pretty-printed. With a chair: "meeting_state",
 * "floor", "muted" and "muted_by_chair" ({"audio","video"}) and
 * "chair_events" (every chair message received, with "t_s" since start). */
char *dc_report_json(const dc_report_input *in);

/* One line, "STATUS {...}" without the newline: {"site", "state",
 * ["meeting_state", "floor", "muted", "muted_by_chair",] "remote":
 * {SITE: {"fps", "audio", "loss_pct", "latency_ms",
 * "first_frame_after_gap_ms"}}} from the last status interval. */
char *dc_report_status_line(const dc_report_input *in);
