/* signaling/protocol: the JSON messages of the site protocol (docs/protocol.md)
 * and of the control link to the bridge (docs/control.md).
 *
 * Pure functions, no I/O: parsers take the text of one WebSocket message and
 * either fill a message struct or say which field is at fault; builders return
 * a newly allocated JSON text (free with g_free()). */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "signaling/chair.h"
#include "signaling/roster.h"

/* Limits on what a peer may send (bytes). */
#define DC_PROTOCOL_MAX_SDP (256 * 1024)
#define DC_PROTOCOL_MAX_CANDIDATE 1024

/* Why a message was refused. code and field are static strings (field NULL
 * when no single field is at fault); message is owned, for people. */
typedef struct {
    const char *code;
    const char *field;
    char *message;
} dc_protocol_error;

void dc_protocol_error_clear(dc_protocol_error *err);

/* A candidate as both protocols carry it. An empty candidate string means
 * end of candidates. sdp_mid NULL and sdp_mline_index -1 when absent. */
typedef struct {
    char *candidate;
    char *sdp_mid;
    int64_t sdp_mline_index;
} dc_candidate;

/* ---- site → signal ---- */

typedef enum {
    DC_CLIENT_JOIN,
    DC_CLIENT_ANSWER,
    DC_CLIENT_CANDIDATE,
    DC_CLIENT_LEAVE,
    DC_CLIENT_ICE_RESTART, /* the site's media path broke: new ICE credentials */
    DC_CLIENT_CHAIR,       /* open, lock, end, mute, hand, floor, remove, allow */
    DC_CLIENT_PING,        /* keepalive: answered with pong, joined or not */
} dc_client_type;

typedef struct {
    dc_client_type type;
    char *site;        /* join; the target of a chair command (or NULL) */
    char *credential;  /* join */
    char *role;        /* join; NULL when not given, else a valid role name */
    char *sdp;         /* answer */
    dc_candidate cand; /* candidate */
    dc_chair_cmd cmd;  /* DC_CLIENT_CHAIR; cmd.site points into site */
} dc_client_msg;

/* Parses one message from a site. On failure returns false with err->code
 * "bad-message" and err->field naming the field (NULL when the text is not a
 * JSON object at all); @msg is then empty. Clear @msg in both cases. */
bool dc_protocol_parse_client(const char *data, size_t len, dc_client_msg *msg,
                              dc_protocol_error *err);
void dc_client_msg_clear(dc_client_msg *msg);

/* ---- bridge → signal ---- */

typedef enum {
    DC_BRIDGE_HELLO,
    DC_BRIDGE_OFFER,
    DC_BRIDGE_CANDIDATE,
    DC_BRIDGE_STATE,
    DC_BRIDGE_ERROR,
    DC_BRIDGE_STATS,
} dc_bridge_type;

typedef struct {
    dc_bridge_type type;
    char *bridge;        /* hello */
    char *meeting;       /* all but hello and stats (optional in error) */
    char *endpoint;      /* offer, candidate, endpoint.state (optional in error) */
    char *session;       /* NULL when the bridge left it out */
    char *sdp;           /* offer */
    JsonNode *streams;   /* offer: validated array, owned */
    dc_candidate cand;   /* candidate */
    dc_site_state state; /* endpoint.state, mapped: failed and closed are
                          * DC_SITE_CONNECTING (present but no media) */
    char *state_name;    /* endpoint.state as sent */
    char *message;       /* error */
} dc_bridge_msg;

bool dc_protocol_parse_bridge(const char *data, size_t len, dc_bridge_msg *msg,
                              dc_protocol_error *err);
void dc_bridge_msg_clear(dc_bridge_msg *msg);

/* ---- signal → site ---- */

/* {"type":"error","code":C,"field":F,"message":M}; field omitted when NULL. */
char *dc_protocol_error_json(const char *code, const char *field, const char *message);
/* {"type":TYPE} for "replaced", "bridge-restarting" and "pong". */
char *dc_protocol_simple_json(const char *type);
char *dc_protocol_welcome_json(const dc_config *cfg, const dc_config_site *site,
                               const char *session, const dc_roster *roster);
char *dc_protocol_roster_json(const dc_roster *roster);
/* The body of GET /api/roster. */
char *dc_protocol_api_roster_json(const dc_config *cfg, const dc_roster *roster, bool bridge_up);
char *dc_protocol_offer_json(const dc_bridge_msg *offer);
char *dc_protocol_candidate_json(const dc_candidate *cand);

/* ---- signal → bridge ---- */

char *dc_protocol_hello_json(const char *meeting, const char *signal_id);
char *dc_protocol_endpoint_json(const char *op, const char *meeting, const char *endpoint,
                                const char *session);
char *dc_protocol_answer_json(const char *meeting, const char *endpoint, const char *session,
                              const char *sdp);
/* {"op":"ice-restart","meeting","endpoint","session"} for the bridge. */
char *dc_protocol_ice_restart_json(const char *meeting, const char *endpoint, const char *session);
char *dc_protocol_bridge_candidate_json(const char *meeting, const char *endpoint,
                                        const char *session, const dc_candidate *cand);
