/* offer: the bridge's SDP for one endpoint, built and read with core/sdp.
 *
 * Layout of every offer to a receiver (stable for the meeting's life, so a
 * site keeps its mids at each receiver across leave and rejoin): mid "0"
 * audio and "1" video a=recvonly (what the receiver sends), then for the j-th
 * other configured site (config order, the receiver skipped) mid 2+2j audio
 * and 3+2j video a=sendonly with a=msid:<site> <site>-a / <site>-v and the
 * router's output SSRC with cname <site>, whether that site is present or
 * not: only the offer message's "streams" (dc_offer_build()'s streams) says
 * which sites are present. So a re-offer after a join or a leave changes
 * nothing but o= version: no transceiver changes direction (standard stacks
 * such as GStreamer webrtcbin 1.22 refuse such a change).
 *
 * Ownership: strings returned are g_malloc'd and owned by the caller.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "bridge/router.h"
#include "core/sdp.h"

typedef struct {
    const char *const *site_ids; /* n_sites configured site ids */
    unsigned n_sites;
    unsigned receiver;       /* the endpoint the offer is for */
    const bool *present;     /* n_sites flags: is the site in the meeting */
    const dc_router *router; /* output SSRCs */
    uint64_t origin_id;
    uint64_t version;
    const char *ice_ufrag;
    const char *ice_pwd;
    const char *fingerprint; /* "sha-256 AB:CD:..." */
} dc_offer_desc;

/* The mid of (source, kind) at receiver, written into mid (at least
 * DC_ROUTER_MID_MAX bytes); source == receiver gives "0"/"1". */
void dc_offer_mid(unsigned receiver, unsigned source, dc_router_kind kind, char *mid);

/* Builds the offer SDP text. When streams is not NULL, appends to it (an
 * array of JsonNode-free plain records) one dc_offer_stream per sendonly
 * m-line of a present site. Returns a g_malloc'd string. */
typedef struct {
    char mid[DC_ROUTER_MID_MAX];
    unsigned site;
    dc_router_kind kind;
} dc_offer_stream;
char *dc_offer_build(const dc_offer_desc *d, GArray *streams);

/* What the bridge needs from an endpoint's answer besides the router's view. */
typedef struct {
    char *ice_ufrag;
    char *ice_pwd;
    char *fingerprint;     /* "sha-256 AB:..." */
    bool dtls_server;      /* the answer said a=setup:active */
    GPtrArray *candidates; /* of char * "candidate:..." from the answer */
} dc_offer_remote;

/* Frees the strings of r (not r itself). */
void dc_offer_remote_clear(dc_offer_remote *r);

/* Whether an answer gives the bridge what it needs (pure; docs/protocol.md,
 * "What an answer must contain"): one a=group:BUNDLE holding every accepted
 * m-line (port not 0), a=rtcp-mux on each, Opus/48000 as payload type 111 on
 * each accepted audio m-line and VP8/90000 as 96 on each video one, and at
 * the BUNDLE tag (the group's first mid) ICE credentials, a DTLS fingerprint
 * and a=setup:active. Returns false with error (DC_SDP_ERROR_NEGOTIATION,
 * "answer refused: ...") naming the first thing missing. */
bool dc_offer_check_answer(const dc_sdp *sdp, GError **error);

/* Parses the answer text of receiver into the router's per-site parameters
 * (*params, fully written) and the transport (*remote, to be cleared by the
 * caller). Returns false with error set when the text does not parse or
 * dc_offer_check_answer() refuses it. */
bool dc_offer_parse_answer(const char *sdp, unsigned receiver, unsigned n_sites,
                           dc_router_site_params *params, dc_offer_remote *remote, GError **error);
