/* signaling/chair: the chair's control of one meeting. See chair.h. */
#include "signaling/chair.h"

#include <glib.h>
#include <string.h>

/* mute_mask has a bit per site: sites past the 64th are not reported. */
#define MASK_SITES 64

struct dc_chair {
    const dc_config *cfg;
    dc_chair_state state;
    int floor;
    int64_t floor_since;
    uint64_t hand_counter;
    dc_chair_site *sites; /* parallel to cfg->sites */
};

dc_chair *dc_chair_new(const dc_config *cfg)
{
    dc_chair *c = g_new0(dc_chair, 1);
    c->cfg = cfg;
    c->sites = g_new0(dc_chair_site, cfg->n_sites);
    dc_chair_reset(c);
    return c;
}

void dc_chair_free(dc_chair *c)
{
    if (!c) {
        return;
    }
    g_free(c->sites);
    g_free(c);
}

void dc_chair_reset(dc_chair *c)
{
    c->state = c->cfg->lobby ? DC_CHAIR_LOBBY : DC_CHAIR_OPEN;
    c->floor = -1;
    c->floor_since = 0;
    c->hand_counter = 0;
    memset(c->sites, 0, c->cfg->n_sites * sizeof *c->sites);
}

void dc_chair_copy(dc_chair *dst, const dc_chair *src)
{
    g_assert(dst->cfg == src->cfg);
    dst->state = src->state;
    dst->floor = src->floor;
    dst->floor_since = src->floor_since;
    dst->hand_counter = src->hand_counter;
    memcpy(dst->sites, src->sites, src->cfg->n_sites * sizeof *src->sites);
}

static int find(const dc_chair *c, const char *id)
{
    for (size_t i = 0; id && i < c->cfg->n_sites; i++) {
        if (strcmp(c->cfg->sites[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

bool dc_chair_muted(const dc_chair *c, size_t i, int kind)
{
    return c->sites[i].chair_muted[kind] || c->sites[i].self_muted[kind];
}

static dc_chair_result refuse(const char *code, const char *field, const char *message)
{
    return (dc_chair_result){
        .code = code, .field = field, .message = message, .prev_floor = -1, .removed = -1};
}

/* Ends the current floor: the holder's chair mutes come back. */
static void floor_end(dc_chair *c, dc_chair_result *r)
{
    if (c->floor < 0) {
        return;
    }
    dc_chair_site *s = &c->sites[c->floor];
    memcpy(s->chair_muted, s->saved_muted, sizeof s->chair_muted);
    memset(s->saved_muted, 0, sizeof s->saved_muted);
    r->floor_changed = true;
    r->prev_floor = c->floor;
    c->floor = -1;
    c->floor_since = 0;
}

static dc_chair_result apply_mute(dc_chair *c, size_t from, int target, const dc_chair_cmd *cmd,
                                  bool is_chair)
{
    const int want[2] = {cmd->audio, cmd->video};
    static const char *const field[2] = {"audio", "video"};
    dc_chair_result r = refuse(NULL, NULL, NULL);
    if (want[0] < 0 && want[1] < 0) {
        return refuse("bad-message", "audio", "“audio” or “video” is needed");
    }
    dc_chair_site *s = &c->sites[target];
    if ((size_t)target == from) {
        for (int k = 0; k < 2; k++) {
            if (want[k] == 0 && s->chair_muted[k]) {
                return refuse("muted-by-chair", field[k],
                              "the chair muted this; only the chair can unmute it");
            }
        }
        for (int k = 0; k < 2; k++) {
            if (want[k] >= 0) {
                s->self_muted[k] = want[k] == 1;
            }
        }
        return r;
    }
    if (!is_chair) {
        return refuse("not-chair", "type", "only the chair may mute another site");
    }
    r.chair_cmd = true;
    for (int k = 0; k < 2; k++) {
        if (want[k] >= 0) {
            s->chair_muted[k] = want[k] == 1;
            /* A mute given while the site has the floor also holds after. */
            if (c->floor == target) {
                s->saved_muted[k] = want[k] == 1;
            }
        }
    }
    return r;
}

static dc_chair_result apply_chair(dc_chair *c, int target, const dc_chair_cmd *cmd, int64_t now_us)
{
    dc_chair_result r = refuse(NULL, NULL, NULL);
    r.chair_cmd = true;
    switch (cmd->type) {
    case DC_CHAIR_CMD_OPEN:
        if (c->state == DC_CHAIR_LOBBY) {
            c->state = DC_CHAIR_OPEN;
            r.opened = true;
        }
        return r;
    case DC_CHAIR_CMD_LOCK:
        if (c->state == DC_CHAIR_LOBBY) {
            return refuse("not-open", "type", "open the meeting first");
        }
        c->state = cmd->flag ? DC_CHAIR_LOCKED : DC_CHAIR_OPEN;
        return r;
    case DC_CHAIR_CMD_END:
        floor_end(c, &r);
        c->state = DC_CHAIR_ENDED;
        r.ended = true;
        return r;
    case DC_CHAIR_CMD_FLOOR:
        if (target == c->floor) {
            return r;
        }
        floor_end(c, &r);
        if (target >= 0) {
            dc_chair_site *s = &c->sites[target];
            memcpy(s->saved_muted, s->chair_muted, sizeof s->chair_muted);
            memset(s->chair_muted, 0, sizeof s->chair_muted);
            s->hand = 0;
            c->floor = target;
            c->floor_since = now_us;
            r.floor_changed = true;
        }
        return r;
    case DC_CHAIR_CMD_REMOVE:
        if (c->cfg->sites[target].role == DC_ROLE_CHAIR) {
            return refuse("bad-message", "site", "the chair cannot be removed");
        }
        if (c->floor == target) {
            floor_end(c, &r);
        }
        c->sites[target].removed = true;
        c->sites[target].hand = 0;
        r.removed = target;
        return r;
    case DC_CHAIR_CMD_ALLOW:
        c->sites[target].removed = false;
        return r;
    default:
        return refuse("bad-message", "type", "not a chair command");
    }
}

dc_chair_result dc_chair_apply(dc_chair *c, size_t from, const dc_chair_cmd *cmd, int64_t now_us)
{
    g_assert(from < c->cfg->n_sites);
    bool is_chair = c->cfg->sites[from].role == DC_ROLE_CHAIR;
    if (c->state == DC_CHAIR_ENDED) {
        return refuse("meeting-ended", NULL, "the meeting has ended");
    }
    bool needs_target = cmd->type == DC_CHAIR_CMD_REMOVE || cmd->type == DC_CHAIR_CMD_ALLOW ||
                        (cmd->type == DC_CHAIR_CMD_FLOOR && cmd->site) ||
                        (cmd->type == DC_CHAIR_CMD_MUTE && cmd->site);
    int target = cmd->type == DC_CHAIR_CMD_MUTE && !cmd->site ? (int)from : find(c, cmd->site);
    bool chair_only = cmd->type != DC_CHAIR_CMD_MUTE && cmd->type != DC_CHAIR_CMD_HAND;
    /* Authorisation first: a district learns nothing about other sites. */
    if (chair_only && !is_chair) {
        return refuse("not-chair", "type", "only the chair may send this");
    }
    if (needs_target && target < 0) {
        return refuse("unknown-site", "site", "no site with this id in this meeting");
    }
    bool before[MASK_SITES][2];
    size_t n = c->cfg->n_sites < MASK_SITES ? c->cfg->n_sites : MASK_SITES;
    for (size_t i = 0; i < n; i++) {
        before[i][0] = dc_chair_muted(c, i, 0);
        before[i][1] = dc_chair_muted(c, i, 1);
    }
    dc_chair_result r;
    if (cmd->type == DC_CHAIR_CMD_MUTE) {
        if ((size_t)target != from && !is_chair) {
            return refuse("not-chair", "type", "only the chair may mute another site");
        }
        r = apply_mute(c, from, target, cmd, is_chair);
    } else if (cmd->type == DC_CHAIR_CMD_HAND) {
        r = refuse(NULL, NULL, NULL);
        c->sites[from].hand =
            cmd->flag ? (c->sites[from].hand ? c->sites[from].hand : ++c->hand_counter) : 0;
    } else {
        r = apply_chair(c, target, cmd, now_us);
    }
    if (r.code) {
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        if (before[i][0] != dc_chair_muted(c, i, 0) || before[i][1] != dc_chair_muted(c, i, 1)) {
            r.mute_mask |= UINT64_C(1) << i;
        }
    }
    return r;
}

const char *dc_chair_join_check(const dc_chair *c, size_t site, bool present)
{
    if (c->sites[site].removed) {
        return "removed";
    }
    if (c->state == DC_CHAIR_LOCKED && !present && c->cfg->sites[site].role != DC_ROLE_CHAIR) {
        return "meeting-locked";
    }
    return NULL;
}

bool dc_chair_has_media(const dc_chair *c, size_t site)
{
    return c->state == DC_CHAIR_OPEN || c->state == DC_CHAIR_LOCKED ||
           (c->state == DC_CHAIR_LOBBY && c->cfg->sites[site].role == DC_ROLE_CHAIR);
}

dc_chair_state dc_chair_get_state(const dc_chair *c)
{
    return c->state;
}

void dc_chair_set_state(dc_chair *c, dc_chair_state s)
{
    c->state = s;
}

static const char *const state_names[] = {
    [DC_CHAIR_LOBBY] = "lobby",
    [DC_CHAIR_OPEN] = "open",
    [DC_CHAIR_LOCKED] = "locked",
    [DC_CHAIR_ENDED] = "ended",
};

const char *dc_chair_state_name(dc_chair_state s)
{
    return (unsigned)s < G_N_ELEMENTS(state_names) ? state_names[s] : "open";
}

bool dc_chair_state_parse(const char *name, dc_chair_state *out)
{
    for (size_t i = 0; name && i < G_N_ELEMENTS(state_names); i++) {
        if (strcmp(name, state_names[i]) == 0) {
            *out = (dc_chair_state)i;
            return true;
        }
    }
    return false;
}

int dc_chair_floor(const dc_chair *c)
{
    return c->floor;
}

int64_t dc_chair_floor_since(const dc_chair *c)
{
    return c->floor_since;
}

void dc_chair_set_floor(dc_chair *c, int site, int64_t since_us)
{
    c->floor = site >= 0 && (size_t)site < c->cfg->n_sites ? site : -1;
    c->floor_since = c->floor >= 0 ? since_us : 0;
}

uint64_t dc_chair_hand_counter(const dc_chair *c)
{
    return c->hand_counter;
}

void dc_chair_set_hand_counter(dc_chair *c, uint64_t n)
{
    c->hand_counter = n;
}

const dc_chair_site *dc_chair_site_at(const dc_chair *c, size_t i)
{
    g_assert(i < c->cfg->n_sites);
    return &c->sites[i];
}

dc_chair_site *dc_chair_site_mut(dc_chair *c, size_t i)
{
    g_assert(i < c->cfg->n_sites);
    return &c->sites[i];
}

size_t dc_chair_hands(const dc_chair *c, size_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < c->cfg->n_sites; i++) {
        if (c->sites[i].hand && n < cap) {
            out[n++] = i;
        }
    }
    /* Insertion sort by place: at most a few dozen sites. */
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && c->sites[out[j]].hand < c->sites[out[j - 1]].hand; j--) {
            size_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    }
    return n;
}

const char *dc_chair_cmd_name(dc_chair_cmd_type t)
{
    static const char *const names[] = {
        [DC_CHAIR_CMD_OPEN] = "open",   [DC_CHAIR_CMD_LOCK] = "lock",
        [DC_CHAIR_CMD_END] = "end",     [DC_CHAIR_CMD_MUTE] = "mute",
        [DC_CHAIR_CMD_FLOOR] = "floor", [DC_CHAIR_CMD_REMOVE] = "remove",
        [DC_CHAIR_CMD_ALLOW] = "allow", [DC_CHAIR_CMD_HAND] = "hand",
    };
    return (unsigned)t < G_N_ELEMENTS(names) ? names[t] : "?";
}
