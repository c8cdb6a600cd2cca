/* sdp-private: helpers shared by sdp.c (model), sdp-parse.c, sdp-write.c and
 * sdp-negotiate.c (offer and answer). Not for use outside core/sdp*. */
#pragma once

#include "core/sdp.h"

/* Appends a new, empty media section of the given media and proto to s;
 * owned by s. */
dc_sdp_media *dc_sdp_media_append_(dc_sdp *s, const char *media, const char *proto);

/* Parses a decimal token no larger than max into *out: 0, or -1 when it is
 * not a number or too large. */
int dc_sdp_parse_uint_(const char *tok, uint64_t max, uint64_t *out);

/* The apt= payload type of an rtx codec's fmtp, or -1. */
int dc_sdp_codec_apt_(const dc_sdp_codec *c);

/* s after any spaces and tabs. */
const char *dc_sdp_skip_ws_(const char *s);

/* Whether an m= line's proto is an RTP one (contains "RTP/"). */
bool dc_sdp_is_rtp_proto_(const char *proto);

/* Appends c as the value of an a=candidate line ("candidate:..."). */
void dc_sdp_candidate_append_(GString *g, const dc_sdp_candidate *c);
