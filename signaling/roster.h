/* signaling/roster: who may join the meeting and who is present. Sans-IO: no
 * sockets, no clock; the service feeds it joins, leaves and media states and
 * reads it back to build roster messages.
 *
 * At most one session per site: a join for a site already present replaces
 * its session at once (the caller gets the old session id to tear down). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

typedef enum {
    DC_SITE_ABSENT,     /* not joined */
    DC_SITE_CONNECTING, /* joined; media not (or no longer) flowing */
    DC_SITE_CONNECTED,  /* joined; the bridge reports ICE+DTLS up */
} dc_site_state;

typedef enum {
    DC_JOIN_OK,
    DC_JOIN_UNKNOWN_SITE,
    DC_JOIN_BAD_CREDENTIAL,
    DC_JOIN_ROLE_NOT_ALLOWED,
    DC_JOIN_MEETING_FULL,
} dc_join_result;

typedef struct dc_roster dc_roster;

typedef struct {
    const dc_config_site *site; /* from the config */
    const char *session;        /* NULL when absent */
    dc_site_state state;
} dc_roster_entry;

/* Borrows @cfg, which must outlive the roster. */
dc_roster *dc_roster_new(const dc_config *cfg);
void dc_roster_free(dc_roster *roster);

/* Admits @site with @session (copied) when its credential was right and
 * @role (NULL = the configured one) is the site's configured role. The
 * caller checks the credential (signaling/auth: slow, off the main loop) and
 * passes the answer as @credential_ok; the roster does no cryptography.
 * Checks run in this order: unknown site, credential, role, meeting full (a site already
 * present never counts against max_sites). On DC_JOIN_OK, *replaced (when
 * not NULL) receives the site's previous session (caller frees) or NULL; the
 * state becomes DC_SITE_CONNECTING, unless @session is the site's current
 * session (a session resumed on a new connection keeps its media state).
 * Any other result changes nothing. */
dc_join_result dc_roster_join(dc_roster *roster, const char *site, bool credential_ok,
                              const char *role, const char *session, char **replaced);

/* Removes @site if @session is its current session. True if removed. */
bool dc_roster_leave(dc_roster *roster, const char *site, const char *session);

/* Sets the media state of @site if @session is current and @state is not
 * DC_SITE_ABSENT. True if the state changed. */
bool dc_roster_set_state(dc_roster *roster, const char *site, const char *session,
                         dc_site_state state);

/* Every present site back to DC_SITE_CONNECTING (the bridge restarted).
 * True if anything changed. */
bool dc_roster_reset_states(dc_roster *roster);

/* The current session of @site, or NULL. Lives until the next change. */
const char *dc_roster_session(const dc_roster *roster, const char *site);

/* Adds members to the JSON of the roster (signaling/protocol): called with
 * the JsonBuilder inside each site's object (@i its index) and inside the
 * message's top-level object (@i -1). NULL @fn removes it. The chair's state
 * (signaling/host) is shown this way. */
typedef void (*dc_roster_decorate_fn)(void *user, void *json_builder, ptrdiff_t i);
void dc_roster_set_decorator(dc_roster *roster, dc_roster_decorate_fn fn, void *user);
void dc_roster_decorate(const dc_roster *roster, void *json_builder, ptrdiff_t i);

size_t dc_roster_size(const dc_roster *roster);    /* configured sites */
size_t dc_roster_present(const dc_roster *roster); /* sites present */
/* Entry @i (0 <= i < size), in config order. */
dc_roster_entry dc_roster_entry_at(const dc_roster *roster, size_t i);

const char *dc_site_state_name(dc_site_state state); /* "absent", ... */
/* The error code of the site protocol: "unknown-site", ...; NULL for OK. */
const char *dc_join_result_code(dc_join_result result);
/* The join field at fault: "site", "credential", "role" or NULL. */
const char *dc_join_result_field(dc_join_result result);
