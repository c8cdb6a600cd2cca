/* sdp: the WebRTC subset of SDP (RFC 8866, JSEP RFC 8829), sans-IO.
 *
 * The bridge builds offers with dc_sdp_offer_new() and parses the endpoints'
 * answers; the C client parses offers and answers with dc_sdp_answer(), which
 * answers as Chromium would (same mids, payload types and extension ids as the
 * offer, intersected codecs/feedback/extensions, complementary direction).
 *
 * Ownership: a dc_sdp owns everything reachable from it. Every char * field is
 * a g_malloc'd string owned by its struct (NULL means "absent"); to change one,
 * g_free() it and store a g_strdup(). Every GPtrArray has a free function set,
 * so removing an element frees it. Free the whole tree with dc_sdp_free() or
 * g_autoptr(dc_sdp).
 *
 * Not modelled (accepted on parse, not written): i=, u=, e=, p=, b=, z=, k=,
 * r=, a=rtcp, a=rid, a=simulcast, a=ssrc attributes other than cname, extmap
 * extension attributes, a second a=fingerprint or a=msid in a section, and
 * unknown attributes. Payload types without a=rtpmap keep name NULL (static
 * types such as 0 PCMU are not filled in).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_SDP_ERROR (dc_sdp_error_quark())
GQuark dc_sdp_error_quark(void);

typedef enum {
    DC_SDP_ERROR_SYNTAX,      /* a line does not follow the grammar */
    DC_SDP_ERROR_STRUCTURE,   /* lines missing, misplaced or duplicated */
    DC_SDP_ERROR_RANGE,       /* a number or the input is too large */
    DC_SDP_ERROR_NEGOTIATION, /* dc_sdp_answer(): the offer cannot be answered */
} dc_sdp_error_code;

/* Inputs larger than this are rejected before parsing; lines longer than
 * DC_SDP_MAX_LINE too. */
#define DC_SDP_MAX_SIZE (1024 * 1024)
#define DC_SDP_MAX_LINE 16384

/* Header extension URIs the bridge uses. */
#define DC_SDP_EXT_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define DC_SDP_EXT_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define DC_SDP_EXT_TRANSPORT_CC                                                                    \
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define DC_SDP_EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"

typedef enum {
    DC_SDP_KIND_AUDIO,
    DC_SDP_KIND_VIDEO,
    DC_SDP_KIND_OTHER, /* application, text, ...: see dc_sdp_media.media */
} dc_sdp_kind;

typedef enum {
    DC_SDP_DIR_NONE, /* not given (only meaningful for extmaps) */
    DC_SDP_DIR_SENDRECV,
    DC_SDP_DIR_SENDONLY,
    DC_SDP_DIR_RECVONLY,
    DC_SDP_DIR_INACTIVE,
} dc_sdp_direction;

typedef enum {
    DC_SDP_SETUP_NONE,
    DC_SDP_SETUP_ACTPASS,
    DC_SDP_SETUP_ACTIVE,
    DC_SDP_SETUP_PASSIVE,
    DC_SDP_SETUP_HOLDCONN,
} dc_sdp_setup;

/* a=rtpmap, a=fmtp and a=rtcp-fb of one payload type. */
typedef struct {
    uint8_t pt;          /* 0..127 */
    char *name;          /* "opus", "VP8", "rtx"; NULL without a=rtpmap */
    uint32_t clock_rate; /* 0 without a=rtpmap */
    uint8_t channels;    /* 0 when the rtpmap has no channel count */
    char *fmtp;          /* parameters verbatim, e.g. "minptime=10;useinbandfec=1"; may be NULL */
    GPtrArray *rtcp_fb;  /* of char *: "nack", "nack pli", "ccm fir", "goog-remb", ... */
} dc_sdp_codec;

/* a=extmap:<id>[/<direction>] <uri> */
typedef struct {
    uint16_t id; /* 1..255 (1..14 fit the one-byte header form) */
    dc_sdp_direction direction;
    char *uri;
} dc_sdp_extmap;

/* a=ssrc:<ssrc> cname:<cname>. Only cname lines make entries; other a=ssrc
 * attributes are checked but not kept. The writer adds an "a=ssrc:N msid:..."
 * line per entry when the section has a=msid, as Chromium does. */
typedef struct {
    uint32_t ssrc;
    char *cname; /* never NULL */
} dc_sdp_ssrc;

/* a=ssrc-group:<semantics> <ssrc>... */
typedef struct {
    char *semantics; /* "FID", "SIM", ... */
    GArray *ssrcs;   /* of uint32_t, at least one */
} dc_sdp_ssrc_group;

typedef struct {
    char *algorithm; /* "sha-256"; NULL when absent */
    char *hex;       /* "AB:CD:..."; NULL when absent */
} dc_sdp_fingerprint;

/* a=candidate:<foundation> <component> <transport> <priority> <address> <port>
 * typ <type> [raddr <a>] [rport <p>] [<name> <value>]... */
typedef struct {
    char *foundation;
    uint32_t component;
    char *transport; /* "udp", "tcp" as written */
    uint32_t priority;
    char *address; /* IP address or mDNS name */
    uint16_t port;
    char *type;    /* "host", "srflx", "prflx", "relay" */
    char *raddr;   /* NULL when absent */
    int32_t rport; /* -1 when absent */
    char *extra;   /* remaining name/value pairs ("generation 0 network-id 1"), or NULL */
} dc_sdp_candidate;

typedef struct {
    dc_sdp_kind kind;
    char *media;                /* the m= media token as written: "audio", "video", "application" */
    uint16_t port;              /* 0 = rejected; 9 in WebRTC otherwise */
    char *proto;                /* "UDP/TLS/RTP/SAVPF" */
    char *fmt;                  /* formats verbatim when proto is not RTP, else NULL */
    char *mid;                  /* NULL when absent */
    dc_sdp_direction direction; /* never NONE after parsing (default sendrecv) */
    bool rtcp_mux;
    bool rtcp_rsize;
    char *ice_ufrag; /* media-level; see dc_sdp_media_transport() */
    char *ice_pwd;
    dc_sdp_fingerprint fingerprint;
    dc_sdp_setup setup;
    GPtrArray *codecs;      /* of dc_sdp_codec *, in m= line order (RTP protos) */
    GPtrArray *extmaps;     /* of dc_sdp_extmap * */
    char *msid_stream;      /* a=msid:<stream> [<track>]; "-" means no stream */
    char *msid_track;       /* may be NULL even when msid_stream is set */
    GPtrArray *ssrcs;       /* of dc_sdp_ssrc *, first-mention order */
    GPtrArray *ssrc_groups; /* of dc_sdp_ssrc_group * */
    GPtrArray *candidates;  /* of dc_sdp_candidate * */
    bool end_of_candidates;
} dc_sdp_media;

typedef struct {
    uint64_t origin_id; /* o= sess-id */
    uint64_t origin_version;
    GPtrArray *bundle; /* of char *: mids of a=group:BUNDLE, empty when none */
    bool extmap_allow_mixed;
    char *msid_semantic; /* value after "a=msid-semantic:", e.g. "WMS *"; may be NULL */
    bool ice_trickle;    /* a=ice-options containing trickle, at any level */
    /* Session-level transport attributes (Firefox style); NULL/NONE when the
     * values are per media section (Chromium style). */
    char *ice_ufrag;
    char *ice_pwd;
    dc_sdp_fingerprint fingerprint;
    dc_sdp_setup setup;
    GPtrArray *media; /* of dc_sdp_media * */
} dc_sdp;

/* ---- building and freeing ---- */

/* Returns an empty session (no media, no bundle), owned by the caller. */
dc_sdp *dc_sdp_new(void);

/* Frees s and everything it owns. NULL is allowed. */
void dc_sdp_free(dc_sdp *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_sdp, dc_sdp_free)

/* Appends an RTP media section ("UDP/TLS/RTP/SAVPF", port 9, sendrecv, no
 * codecs) of the given kind (not OTHER) and mid (copied; may be NULL).
 * Returns it, owned by s. */
dc_sdp_media *dc_sdp_add_media(dc_sdp *s, dc_sdp_kind kind, const char *mid);

/* Appends a codec to m (strings copied; name and fmtp may be NULL).
 * Returns it, owned by m. */
dc_sdp_codec *dc_sdp_media_add_codec(dc_sdp_media *m, uint8_t pt, const char *name,
                                     uint32_t clock_rate, uint8_t channels, const char *fmtp);

/* Adds a feedback type ("nack pli") to c unless present (copied). */
void dc_sdp_codec_add_fb(dc_sdp_codec *c, const char *fb);

/* Appends an extmap with no direction (uri copied). Returns it, owned by m. */
dc_sdp_extmap *dc_sdp_media_add_extmap(dc_sdp_media *m, uint16_t id, const char *uri);

/* Returns m's entry for ssrc, appending one if there is none, and sets its
 * cname (copied, not NULL). The result is owned by m. */
dc_sdp_ssrc *dc_sdp_media_add_ssrc(dc_sdp_media *m, uint32_t ssrc, const char *cname);

/* Appends a=ssrc-group:<semantics> with the n ssrcs (copied). */
void dc_sdp_media_add_ssrc_group(dc_sdp_media *m, const char *semantics, const uint32_t *ssrcs,
                                 size_t n);

/* ---- parsing and writing ---- */

/* Parses len bytes of SDP text (CRLF or LF lines; no NUL needed or allowed).
 * Strict on structure (v=0 first, o= and s= before any m=, a well-formed m=
 * line per section, only known line types) and on the attributes it models;
 * unknown attributes are ignored. On success stores a new session in *out
 * (caller frees) and returns true. On failure returns false, leaves *out
 * NULL and sets error (DC_SDP_ERROR) to a message starting "line N:". */
bool dc_sdp_parse(const char *text, size_t len, dc_sdp **out, GError **error);

/* Writes s as SDP text with CRLF line endings, in the order and form Chromium
 * uses. Returns a NUL-terminated g_malloc'd string (caller g_free()s), never
 * NULL. For the modelled fields dc_sdp_parse(dc_sdp_write(s)) equals s, given
 * s is well-formed: non-empty tokens without whitespace, every RTP section
 * with at least one codec (else "0" is written), every other one with fmt. */
char *dc_sdp_write(const dc_sdp *s);

/* True when a and b agree on every modelled field. */
bool dc_sdp_equal(const dc_sdp *a, const dc_sdp *b);

/* Parses one candidate, as trickled ("candidate:..."), or as a line
 * ("a=candidate:..."). Returns a new candidate (free with
 * dc_sdp_candidate_free()) or NULL with error set. */
dc_sdp_candidate *dc_sdp_candidate_parse(const char *text, GError **error);

/* Returns "candidate:..." (no "a=", no line end), g_malloc'd. */
char *dc_sdp_candidate_to_string(const dc_sdp_candidate *c);

void dc_sdp_candidate_free(dc_sdp_candidate *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_sdp_candidate, dc_sdp_candidate_free)

/* ---- lookups (all results borrowed from the section; NULL/0 when absent) ---- */

/* The section with this mid. */
dc_sdp_media *dc_sdp_find_media(const dc_sdp *s, const char *mid);

/* The id of the extension with this URI in m, or 0. */
uint16_t dc_sdp_media_ext_id(const dc_sdp_media *m, const char *uri);

/* The first codec named name (ASCII case-insensitive) with this clock rate
 * (0 = any). */
dc_sdp_codec *dc_sdp_media_find_codec(const dc_sdp_media *m, const char *name, uint32_t clock_rate);

/* The codec with payload type pt. */
dc_sdp_codec *dc_sdp_media_codec_by_pt(const dc_sdp_media *m, uint8_t pt);

/* The rtx codec whose fmtp says apt=<apt>. */
dc_sdp_codec *dc_sdp_media_find_rtx(const dc_sdp_media *m, uint8_t apt);

/* True when c lists this feedback type exactly ("nack" does not match "nack pli"). */
bool dc_sdp_codec_has_fb(const dc_sdp_codec *c, const char *fb);

/* The value of parameter key in c's fmtp ("apt" in "apt=96"), copied into
 * a g_malloc'd string, or NULL. */
char *dc_sdp_codec_fmtp_param(const dc_sdp_codec *c, const char *key);

/* Effective transport of a section: its own ICE credentials, fingerprint and
 * setup, falling back to the session-level ones. Pointers borrowed from s. */
typedef struct {
    const char *ice_ufrag;
    const char *ice_pwd;
    const char *fp_algorithm;
    const char *fp_hex;
    dc_sdp_setup setup;
} dc_sdp_transport;
void dc_sdp_media_transport(const dc_sdp *s, const dc_sdp_media *m, dc_sdp_transport *out);

/* Names as written in SDP ("sendonly", "actpass", "audio"). */
const char *dc_sdp_direction_name(dc_sdp_direction d);
const char *dc_sdp_setup_name(dc_sdp_setup s);

/* ---- negotiation ---- */

/* One m-line of the bridge's offer. */
typedef struct {
    dc_sdp_kind kind;           /* AUDIO or VIDEO */
    const char *mid;            /* required */
    dc_sdp_direction direction; /* recvonly for the endpoint's own media, sendonly for sites */
    const char *msid_stream;    /* NULL: no a=msid (msid_track then ignored) */
    const char *msid_track;
    uint32_t ssrc;     /* 0: no a=ssrc lines */
    const char *cname; /* required with ssrc */
} dc_sdp_offer_media;

typedef struct {
    uint64_t origin_id;      /* the caller's random session id (< 2^63) */
    uint64_t origin_version; /* increment for every new offer on the session */
    const char *ice_ufrag;
    const char *ice_pwd;
    const char *fp_algorithm; /* "sha-256" */
    const char *fp_hex;
    bool abs_send_time;      /* also offer extmap 2 abs-send-time */
    bool extmap_allow_mixed; /* write a=extmap-allow-mixed */
    bool no_transport_cc;    /* omit transport-cc feedback and its extmap */
    const dc_sdp_offer_media *media;
    size_t n_media;
} dc_sdp_offer_desc;

/* Builds the bridge's offer: setup actpass, trickle, rtcp-mux, rtcp-rsize,
 * every mid in one BUNDLE group, "WMS *"; audio Opus/48000/2 pt 111
 * "minptime=10;useinbandfec=1" with transport-cc feedback; video VP8/90000
 * pt 96 with goog-remb, transport-cc, ccm fir, nack, nack pli; extmaps
 * 1 ssrc-audio-level (audio only), 2 abs-send-time (if asked), 3 transport-wide-cc
 * (transport-cc feedback and extmap 3 left out with no_transport_cc),
 * 4 sdes:mid. Strings are copied. Returns a new session (caller frees). */
dc_sdp *dc_sdp_offer_new(const dc_sdp_offer_desc *d);

/* A codec the answerer supports. */
typedef struct {
    const char *name;    /* ASCII case-insensitive: "opus", "VP8", "rtx", "red" */
    uint32_t clock_rate; /* 0 = any */
    uint8_t channels;    /* 0 = any */
    const char *fmtp;    /* answer with this fmtp; NULL = mirror the offer's */
} dc_sdp_codec_cap;

/* What the answerer sends in the section with this mid. */
typedef struct {
    const char *mid;
    const char *msid_stream; /* NULL is written as "-" */
    const char *msid_track;
    uint32_t ssrc;
    uint32_t rtx_ssrc; /* 0 = none; else an FID group when rtx is negotiated */
    const char *cname;
} dc_sdp_track;

typedef struct {
    uint64_t origin_id;
    uint64_t origin_version;
    const char *ice_ufrag;
    const char *ice_pwd;
    const char *fp_algorithm;
    const char *fp_hex;
    dc_sdp_setup setup; /* ACTIVE (Chromium) or PASSIVE when the offer says actpass */
    const dc_sdp_codec_cap *codecs;
    size_t n_codecs;
    const char *const *rtcp_fb;    /* NULL-terminated feedback types supported */
    const char *const *extensions; /* NULL-terminated URIs supported */
    const dc_sdp_track *tracks;    /* sections in which the answerer sends */
    size_t n_tracks;
} dc_sdp_local;

/* Answers offer as Chromium would: one section per offered one, same mids
 * and order; payload types and extension ids taken from the offer; codecs
 * kept when named in local->codecs (rtx only when its apt codec is kept, red
 * only when its fmtp's payload types are), feedback and extensions
 * intersected; direction the complement of the offer's (sendonly ->
 * recvonly, recvonly -> sendonly with a local track else inactive, sendrecv
 * -> sendrecv or recvonly); sections of port 0, of other kinds, non-SAVPF
 * protos or without a common codec are rejected (port 0, inactive); the
 * BUNDLE group copied minus rejected mids; transport in every section; no
 * candidates (trickle). Codecs match by name, clock rate and channels only:
 * fmtp parameters are not negotiated (no H264 profile-level-id matching).
 * Returns a new session (caller frees) or NULL with error set when a section
 * has no mid. */
dc_sdp *dc_sdp_answer(const dc_sdp *offer, const dc_sdp_local *local, GError **error);
