/* signaling/chair: the chair's control of one meeting, sans-IO.
 *
 * The life cycle (lobby → open ⇄ locked → ended), per site the mutes (the
 * chair's and the site's own, audio and video), the raised hands in the
 * order they were raised, the floor and the removed sites. No sockets, no
 * clock reads, no storage: the caller (signaling/host) feeds commands with
 * the time, persists the state (signaling/record) and carries out the
 * effects (messages, bridge ops, disconnections).
 *
 * Authorisation lives here: dc_chair_apply() refuses a chair command from a
 * site that is not the chair with "not-chair" and changes nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

typedef enum {
    DC_CHAIR_LOBBY,  /* sites wait, no media */
    DC_CHAIR_OPEN,   /* media flows; sites may join */
    DC_CHAIR_LOCKED, /* open, but no new site may join */
    DC_CHAIR_ENDED,  /* over; the next join starts a new meeting */
} dc_chair_state;

enum { DC_CHAIR_AUDIO = 0, DC_CHAIR_VIDEO = 1 };

typedef struct {
    bool chair_muted[2]; /* by the chair; the site cannot undo it */
    bool self_muted[2];  /* by the site itself */
    bool saved_muted[2]; /* chair mutes before the site got the floor */
    uint64_t hand;       /* 0: hand down; else its place (smaller = earlier) */
    bool removed;        /* removed by the chair; may not join until allowed */
} dc_chair_site;

typedef enum {
    DC_CHAIR_CMD_OPEN,   /* chair */
    DC_CHAIR_CMD_LOCK,   /* chair; locked = true / false */
    DC_CHAIR_CMD_END,    /* chair */
    DC_CHAIR_CMD_MUTE,   /* chair for another site; any site for itself */
    DC_CHAIR_CMD_FLOOR,  /* chair; site NULL takes the floor back */
    DC_CHAIR_CMD_REMOVE, /* chair */
    DC_CHAIR_CMD_ALLOW,  /* chair */
    DC_CHAIR_CMD_HAND,   /* any site for itself; raised = true / false */
} dc_chair_cmd_type;

typedef struct {
    dc_chair_cmd_type type;
    const char *site; /* target: mute (NULL = self), floor, remove, allow */
    int audio, video; /* mute: -1 unchanged, 0 unmute, 1 mute */
    bool flag;        /* lock: locked; hand: raised */
} dc_chair_cmd;

/* What a command changed, for the caller to act on. */
typedef struct {
    const char *code;    /* NULL when accepted; else the error code */
    const char *field;   /* the field at fault, or NULL */
    const char *message; /* for people (static) */
    bool chair_cmd;      /* it is a chair command (recorded as such) */
    bool opened;         /* lobby → open: add the waiting sites to the bridge */
    bool ended;          /* the meeting ended: tell and disconnect everyone */
    bool floor_changed;  /* floor holder changed (old in prev_floor) */
    int prev_floor;      /* site index of the previous holder, -1 none */
    int removed;         /* site index removed, -1 none */
    uint64_t mute_mask;  /* bit i: site i's effective mute changed */
} dc_chair_result;

typedef struct dc_chair dc_chair;

/* Borrows @cfg. The state starts as lobby when cfg->lobby, else open. */
dc_chair *dc_chair_new(const dc_config *cfg);
void dc_chair_free(dc_chair *c);
/* Back to a fresh meeting (after end). */
void dc_chair_reset(dc_chair *c);
/* A copy of the whole state into @dst (same config). */
void dc_chair_copy(dc_chair *dst, const dc_chair *src);

/* Applies @cmd from site @from (its config index), at @now_us (wall clock).
 * Refused commands change nothing. */
dc_chair_result dc_chair_apply(dc_chair *c, size_t from, const dc_chair_cmd *cmd, int64_t now_us);

/* Whether @site (index) may join now: NULL, or the error code
 * ("meeting-locked", "removed"). @present: it is present already (a
 * reconnect is never refused for a lock). */
const char *dc_chair_join_check(const dc_chair *c, size_t site, bool present);
/* Whether @site gets media now (not in the lobby; the chair always does). */
bool dc_chair_has_media(const dc_chair *c, size_t site);

dc_chair_state dc_chair_get_state(const dc_chair *c);
void dc_chair_set_state(dc_chair *c, dc_chair_state s); /* restore */
const char *dc_chair_state_name(dc_chair_state s);      /* "lobby", ... */
bool dc_chair_state_parse(const char *name, dc_chair_state *out);

/* Floor holder index, -1 none; since when (wall clock µs). */
int dc_chair_floor(const dc_chair *c);
int64_t dc_chair_floor_since(const dc_chair *c);
void dc_chair_set_floor(dc_chair *c, int site, int64_t since_us); /* restore */
uint64_t dc_chair_hand_counter(const dc_chair *c);
void dc_chair_set_hand_counter(dc_chair *c, uint64_t n); /* restore */

/* Per-site state (index < cfg->n_sites); writable for restoring. */
const dc_chair_site *dc_chair_site_at(const dc_chair *c, size_t i);
dc_chair_site *dc_chair_site_mut(dc_chair *c, size_t i);
/* Chair mute or self mute. */
bool dc_chair_muted(const dc_chair *c, size_t i, int kind);
/* Site indexes with a raised hand, earliest first; returns the count. */
size_t dc_chair_hands(const dc_chair *c, size_t *out, size_t cap);

const char *dc_chair_cmd_name(dc_chair_cmd_type t); /* "open", ... */
