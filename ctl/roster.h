/* ctl/roster: diemcau-ctl roster: who is present, waiting in the lobby,
 * muted (by the chair or by itself), has a hand raised (in order) or the
 * floor, from GET /api/roster (docs/protocol.md). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* The roster document as a text table (pure). */
char *dc_ctl_roster_text(JsonNode *roster);
