/* load: the shared state of diemcau-load (bench/load.c) and its Janus
 * adapter (bench/load-janus.c). One process holds every site of every
 * meeting on the default main context. Each site has one client/transport
 * (ICE + DTLS-SRTP) and replays the pre-encoded loops of bench/load-media at
 * real-time rate; what it receives goes through bench/load-rx.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "bench/load-media.h"
#include "bench/load-rx.h"
#include "client/sender.h"
#include "client/transport.h"
#include "core/dtls.h"

#define DC_LOAD_HIST 1024 /* sent packets kept per stream for NACKs */

typedef struct dc_load_meeting dc_load_meeting;
typedef struct dc_load_site dc_load_site;

typedef struct {
    uint16_t seq;
    bool valid;
    uint32_t index; /* loop packet */
    uint32_t ts;
    uint16_t picture_id;
} dc_load_sent;

/* One received stream (by SSRC). */
typedef struct {
    uint32_t ssrc;
    int kind;   /* -1 until a payload identified it */
    int sender; /* site index, -1 until identified */
    dc_load_seq seq;
} dc_load_stream;

typedef struct {
    uint64_t sent, retransmits, nacks_in, plis_in;
    uint64_t received, lost, repaired, duplicates, unknown, own;
} dc_load_counts;

struct dc_load_site {
    dc_load_meeting *m;
    int index;
    char *id, *credential;
    void *proto; /* diemcau signal link state or Janus handles */
    dc_transport *transport;
    dc_transport *rx_transport; /* Janus: the subscriber PeerConnection */
    bool connected, failed;
    bool rx_connected; /* Janus: the subscriber transport is up */
    char *error;
    dc_sender_track tracks[DC_MEDIA_KINDS];
    uint32_t ssrc[DC_MEDIA_KINDS];
    uint16_t seq[DC_MEDIA_KINDS];
    uint32_t ts_base[DC_MEDIA_KINDS];
    uint16_t picture_id;
    uint64_t n[DC_MEDIA_KINDS];   /* frames / audio packets sent */
    uint32_t pos[DC_MEDIA_KINDS]; /* next loop frame / packet */
    size_t vpkt;                  /* next video loop packet */
    int64_t next_us[DC_MEDIA_KINDS];
    int64_t *sent_us[DC_MEDIA_KINDS]; /* per loop packet: last original send */
    dc_load_sent hist[DC_MEDIA_KINDS][DC_LOAD_HIST];
    GHashTable *streams; /* ssrc -> dc_load_stream* */
    dc_load_counts c;
    dc_load_hist lat;
};

struct dc_load_meeting {
    struct dc_load *load;
    int index;
    char *url;
    dc_load_site *sites; /* n_sites */
    int n_sites;
    void *proto; /* Janus: the room */
};

typedef struct dc_load {
    const dc_load_media *media;
    dc_dtls_cert *cert;
    bool loopback;
    bool janus;
    bool counting; /* inside the measured window */
    dc_load_meeting *meetings;
    int n_meetings;
    uint8_t pkt[1500];
} dc_load;

/* Transport callbacks shared by both adapters (user = the site). */
extern const dc_transport_callbacks dc_load_transport_cb;
void dc_load_on_rtp(void *site, uint8_t *buf, size_t len);
void dc_load_on_rtcp(void *site, uint8_t *buf, size_t len);
void dc_load_on_state(void *site, int state);

/* The adapter asks for the transport; site->transport is set. */
bool dc_load_site_transport(dc_load_site *s, GError **error);

/* Sets where a kind goes (pt, mid and extension ids) and starts sending. */
void dc_load_site_set_track(dc_load_site *s, dc_media_kind kind, const dc_sender_track *t);

/* Records a failure (for the report). */
void dc_load_site_fail(dc_load_site *s, const char *why);

/* Janus adapter: starts joining every site of m through the Janus HTTP API
 * at m->url (http://HOST:PORT/janus). */
bool dc_load_janus_start(dc_load_meeting *m, GError **error);
void dc_load_janus_stop(dc_load_meeting *m);
