/* control-msg: the bridge's parser of the control link's signal → bridge
 * messages (docs/control.md, section 4 and the stats and chair ops): a JSON
 * text in, a typed message out, or an error naming the field at fault.
 *
 * Pure: no sockets, no clock, no logging, no config (whether an endpoint is
 * a configured site is the caller's check). The text goes through
 * common/json's dc_json_load: nesting deeper than DC_JSON_MAX_DEPTH (32) is
 * refused before json-glib sees it (json-glib 1.6 recurses without a
 * limit).
 *
 * Ownership: dc_control_msg_parse() fills the caller's struct with copies;
 * free them with dc_control_msg_clear(), also after a failed parse (which
 * keeps meeting and endpoint when it read them, for the error reply).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_CONTROL_MSG_MAX_ID 128 /* meeting, endpoint and session, bytes */

typedef enum {
    DC_CONTROL_HELLO,
    DC_CONTROL_ENDPOINT_ADD,
    DC_CONTROL_ENDPOINT_REMOVE,
    DC_CONTROL_ANSWER,
    DC_CONTROL_CANDIDATE,
    DC_CONTROL_ICE_RESTART,
    DC_CONTROL_STATS,
    DC_CONTROL_MUTE,
    DC_CONTROL_FLOOR,
} dc_control_op;

typedef struct {
    dc_control_op op;
    char *meeting;   /* every op; never NULL or empty after a parse */
    char *endpoint;  /* the endpoint ops and mute; floor: NULL = nobody */
    char *session;   /* endpoint.add, .remove, answer, candidate, ice-restart */
    char *sdp;       /* answer */
    char *candidate; /* candidate: "" = end of candidates */
    bool has_id;     /* stats: the request's integer "id" */
    int64_t id;
    int audio, video; /* mute: -1 unchanged, 0 on, 1 muted */
} dc_control_msg;

typedef struct {
    const char *field;   /* static: the member at fault, NULL for the whole text */
    const char *message; /* static, e.g. "message needs \"op\" and \"meeting\"" */
} dc_control_msg_error;

/* Parses one text frame (len bytes, not necessarily NUL-terminated). */
bool dc_control_msg_parse(const char *text, size_t len, dc_control_msg *out,
                          dc_control_msg_error *err);

void dc_control_msg_clear(dc_control_msg *m);
