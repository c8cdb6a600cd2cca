/* answer: the client's side of offer/answer. Reads the bridge's offer (its
 * ICE credentials and DTLS fingerprint, the m-lines we send on, the streams
 * we receive) and answers it with core/sdp exactly as a browser would: same
 * mids, payload types and extension ids, a=setup:active, our own ICE
 * credentials and fingerprint, and our audio and video sendonly (with
 * a=ssrc cname and msid) on the offer's first recvonly audio and video
 * m-lines.
 *
 * Pure: no I/O. Ownership: everything returned is owned by the caller and
 * freed with the matching clear function.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "client/media-kind.h"
#include "client/receiver.h"
#include "client/sender.h"
#include "core/sdp.h"

/* One entry of the offer message's "streams": which site an m-line carries. */
typedef struct {
    const char *mid;
    const char *site;
    dc_media_kind kind;
} dc_answer_stream;

/* The parts of an offer the transport needs. */
typedef struct {
    dc_sdp *sdp;
    char *ice_ufrag;
    char *ice_pwd;
    char *fingerprint; /* "sha-256 AB:CD:..." */
} dc_offer_view;

/* Parses an offer. Returns false with error set when it does not parse or
 * lacks ICE credentials or a fingerprint. Clear *out in every case. */
bool dc_offer_view_parse(const char *text, dc_offer_view *out, GError **error);
void dc_offer_view_clear(dc_offer_view *v);

/* The mid the offer BUNDLEs on (the first of its group, else its first
 * m-line's). Newly allocated; free with g_free. */
char *dc_offer_view_bundle_mid(const dc_offer_view *v);

/* The "streams" member of an offer message (docs/protocol.md) as answer
 * streams; entries without mid, site or kind are skipped. Returns an array
 * owned by the caller (g_free) whose strings point into msg, and its length
 * in *n; NULL (and 0) when msg has no "streams" array. An empty array (no
 * other site present) gives a non-NULL array of length 0. */
dc_answer_stream *dc_answer_streams_from_json(JsonObject *msg, size_t *n);

typedef struct {
    uint64_t origin_id;
    uint64_t origin_version;
    const char *ice_ufrag, *ice_pwd;
    const char *fingerprint; /* "sha-256 AB:..." */
    const char *site;        /* our site id: cname and msid stream */
    uint32_t ssrc[DC_MEDIA_KINDS];
} dc_answer_local;

/* The negotiated result, for the sender and the receiver. */
typedef struct {
    char *sdp; /* the answer text */
    dc_sender_track tracks[DC_MEDIA_KINDS];
    dc_receiver_stream_desc *streams; /* n_streams; strings owned by the result */
    size_t n_streams;
    uint8_t mid_ext_id; /* of the receive m-lines; 0 when not negotiated */
} dc_answer_result;

/* Answers offer. streams (n) maps mids to sites; when streams is NULL (an
 * offer message without "streams") the sites are taken from the offer's
 * a=msid of its sendonly m-lines. Returns false with
 * error set when core/sdp cannot answer. Clear *out in every case. */
bool dc_answer_build(const dc_offer_view *offer, const dc_answer_local *local,
                     const dc_answer_stream *streams, size_t n, dc_answer_result *out,
                     GError **error);
void dc_answer_result_clear(dc_answer_result *r);
