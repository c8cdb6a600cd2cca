/* signaling/roster: admission and presence, sans-IO. See roster.h. */
#include "signaling/roster.h"

#include <string.h>

typedef struct {
    char *session; /* NULL when absent */
    dc_site_state state;
} slot;

struct dc_roster {
    const dc_config *cfg;
    slot *slots; /* parallel to cfg->sites */
    dc_roster_decorate_fn decorate;
    void *decorate_user;
};

dc_roster *dc_roster_new(const dc_config *cfg)
{
    g_return_val_if_fail(cfg != NULL, NULL);
    dc_roster *r = g_new0(dc_roster, 1);
    r->cfg = cfg;
    r->slots = g_new0(slot, cfg->n_sites);
    return r;
}

void dc_roster_free(dc_roster *roster)
{
    if (!roster) {
        return;
    }
    for (size_t i = 0; i < roster->cfg->n_sites; i++) {
        g_free(roster->slots[i].session);
    }
    g_free(roster->slots);
    g_free(roster);
}

static slot *find(const dc_roster *r, const char *site, const dc_config_site **cs)
{
    for (size_t i = 0; site && i < r->cfg->n_sites; i++) {
        if (strcmp(r->cfg->sites[i].id, site) == 0) {
            if (cs) {
                *cs = &r->cfg->sites[i];
            }
            return &r->slots[i];
        }
    }
    return NULL;
}

dc_join_result dc_roster_join(dc_roster *roster, const char *site, bool credential_ok,
                              const char *role, const char *session, char **replaced)
{
    g_return_val_if_fail(roster != NULL && session != NULL, DC_JOIN_UNKNOWN_SITE);
    if (replaced) {
        *replaced = NULL;
    }
    const dc_config_site *cs = NULL;
    slot *s = find(roster, site, &cs);
    if (!s) {
        return DC_JOIN_UNKNOWN_SITE;
    }
    if (!credential_ok) {
        return DC_JOIN_BAD_CREDENTIAL;
    }
    if (role && strcmp(role, dc_config_role_name(cs->role)) != 0) {
        return DC_JOIN_ROLE_NOT_ALLOWED;
    }
    if (!s->session && dc_roster_present(roster) >= roster->cfg->max_sites) {
        return DC_JOIN_MEETING_FULL;
    }
    bool resumed = s->session && strcmp(s->session, session) == 0;
    if (replaced) {
        *replaced = g_steal_pointer(&s->session);
    }
    g_free(s->session);
    s->session = g_strdup(session);
    if (!resumed) {
        s->state = DC_SITE_CONNECTING;
    }
    return DC_JOIN_OK;
}

bool dc_roster_leave(dc_roster *roster, const char *site, const char *session)
{
    slot *s = find(roster, site, NULL);
    if (!s || !s->session || g_strcmp0(s->session, session) != 0) {
        return false;
    }
    g_clear_pointer(&s->session, g_free);
    s->state = DC_SITE_ABSENT;
    return true;
}

bool dc_roster_set_state(dc_roster *roster, const char *site, const char *session,
                         dc_site_state state)
{
    slot *s = find(roster, site, NULL);
    if (!s || !s->session || g_strcmp0(s->session, session) != 0 || state == DC_SITE_ABSENT ||
        s->state == state) {
        return false;
    }
    s->state = state;
    return true;
}

bool dc_roster_reset_states(dc_roster *roster)
{
    bool changed = false;
    for (size_t i = 0; i < roster->cfg->n_sites; i++) {
        slot *s = &roster->slots[i];
        if (s->session && s->state != DC_SITE_CONNECTING) {
            s->state = DC_SITE_CONNECTING;
            changed = true;
        }
    }
    return changed;
}

const char *dc_roster_session(const dc_roster *roster, const char *site)
{
    slot *s = find(roster, site, NULL);
    return s ? s->session : NULL;
}

void dc_roster_set_decorator(dc_roster *roster, dc_roster_decorate_fn fn, void *user)
{
    roster->decorate = fn;
    roster->decorate_user = user;
}

void dc_roster_decorate(const dc_roster *roster, void *json_builder, ptrdiff_t i)
{
    if (roster->decorate) {
        roster->decorate(roster->decorate_user, json_builder, i);
    }
}

size_t dc_roster_size(const dc_roster *roster)
{
    return roster->cfg->n_sites;
}

size_t dc_roster_present(const dc_roster *roster)
{
    size_t n = 0;
    for (size_t i = 0; i < roster->cfg->n_sites; i++) {
        n += roster->slots[i].session != NULL;
    }
    return n;
}

dc_roster_entry dc_roster_entry_at(const dc_roster *roster, size_t i)
{
    g_assert(i < roster->cfg->n_sites);
    return (dc_roster_entry){
        .site = &roster->cfg->sites[i],
        .session = roster->slots[i].session,
        .state = roster->slots[i].state,
    };
}

const char *dc_site_state_name(dc_site_state state)
{
    switch (state) {
    case DC_SITE_ABSENT:
        return "absent";
    case DC_SITE_CONNECTING:
        return "connecting";
    case DC_SITE_CONNECTED:
        return "connected";
    }
    return "absent";
}

const char *dc_join_result_code(dc_join_result result)
{
    switch (result) {
    case DC_JOIN_OK:
        return NULL;
    case DC_JOIN_UNKNOWN_SITE:
        return "unknown-site";
    case DC_JOIN_BAD_CREDENTIAL:
        return "bad-credential";
    case DC_JOIN_ROLE_NOT_ALLOWED:
        return "role-not-allowed";
    case DC_JOIN_MEETING_FULL:
        return "meeting-full";
    }
    return "bad-message";
}

const char *dc_join_result_field(dc_join_result result)
{
    switch (result) {
    case DC_JOIN_UNKNOWN_SITE:
        return "site";
    case DC_JOIN_BAD_CREDENTIAL:
        return "credential";
    case DC_JOIN_ROLE_NOT_ALLOWED:
        return "role";
    default:
        return NULL;
    }
}
