/* signaling/metrics: the Prometheus text exposition (format 0.0.4) of
 * GET /metrics, built from the stats store and the roster. Pure.
 *
 * Families (labels site, direction = up|down, media = audio|video):
 *   diemcau_bridge_link_up                     1 when the control link is up
 *   diemcau_stats_age_seconds                  age of the bridge's last reply
 *   diemcau_site_present{site}                 1 when the site has joined
 *   diemcau_site_connected{site}               1 when its media is up
 *   diemcau_site_bitrate_bps{site,direction,media}
 *   diemcau_site_loss_ratio{site,direction,media}        0..1
 *   diemcau_site_jitter_seconds{site,direction,media}
 *   diemcau_site_rtt_seconds{site,direction,media}
 *   diemcau_site_packets_total{site,direction,media}     counter
 *   diemcau_site_bytes_total{site,direction,media}       counter
 *   diemcau_site_nacks_total{site,direction,media}       counter
 *   diemcau_site_retransmissions_total{site,direction,media} counter
 *   diemcau_site_plis_total{site,direction,media}        counter
 *   diemcau_site_firs_total{site,direction,media}        counter
 *   diemcau_site_video_fps{site,direction}
 *   diemcau_site_quality_score{site,direction}           0..100
 *   diemcau_site_mos{site}                               1..4.5
 * A sample the bridge did not give is left out (never NaN). The service
 * appends its own (signaling/service.c, dc_service_metrics_text()):
 *   diemcau_signal_websockets                  site WebSocket connections
 *   diemcau_signal_pending_joins               of them open and not joined
 * and main.c (through signaling/http) the connection guard's and listener's:
 *   diemcau_signal_connections                 HTTP and WebSocket connections
 *   diemcau_signal_connections_refused_total   closed at accept over a cap
 *   diemcau_signal_header_timeouts_total       closed by the header timeout
 *   diemcau_signal_listener_revivals_total     listening sockets replaced */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "signaling/roster.h"
#include "signaling/stats.h"

/* Free with g_free(). */
char *dc_metrics_text(const dc_stats *st, const dc_roster *roster, bool link_up, int64_t now_us);
