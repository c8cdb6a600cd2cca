/* signaling/auth: checks the credentials that sites (join) and technicians
 * (Authorization: Bearer) present, without stalling the main loop.
 *
 * A check goes through, in order:
 *  1. the cache: a secret that verified before against the same stored
 *     credential is recognised by its HMAC-SHA256 under a key drawn at
 *     startup, and accepted at once (a reconnect, a technician polling every
 *     second). Only verified secrets are cached, one per stored credential.
 *  2. the throttle (signaling/throttle): an address with many recent wrong
 *     credentials waits first, on a GLib timeout.
 *  3. the slow hash (scrypt, common/credential) on one of at most two worker
 *     threads.
 *  4. back on the main context: a success is cached, a failure counted
 *     against the address (and logged when it starts slowing it), then the
 *     caller's callback.
 *
 * Everything but the worker threads runs on the GMainContext that was the
 * thread default when dc_auth_new() was called. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "common/credential.h"
#include "signaling/throttle.h"

typedef struct dc_auth dc_auth;
typedef struct dc_auth_job dc_auth_job;

typedef enum {
    DC_AUTH_OK,      /* the right secret (known already): go on */
    DC_AUTH_WRONG,   /* refused at once: nothing stored, or nothing given */
    DC_AUTH_PENDING, /* the answer comes through the callback */
    DC_AUTH_BUSY,    /* too many checks under way; refuse, try again later */
} dc_auth_result;

/* The answer of a pending check: @ok when the secret is right. */
typedef void (*dc_auth_done_fn)(void *user, bool ok);

/* @throttle NULL = dc_throttle_defaults(). */
dc_auth *dc_auth_new(const dc_throttle_params *throttle);
/* Drops every check under way without calling back (it waits for hashes
 * already running on a worker, a few tens of ms). */
void dc_auth_free(dc_auth *auth);

/* Checks @given against @stored (borrowed: it must outlive @auth) for a peer
 * at @address (an IP literal, the throttle's key; NULL = not throttled). @who
 * names the credential in the log ("site can-loc", "technician").
 * DC_AUTH_PENDING: @done(@user, ok) is called once, later, from the main
 * context, unless dc_auth_cancel(*job) comes first; *job (when @job is not
 * NULL) is the handle, valid until then. Other results: no callback, *job is
 * NULL. A missing @stored or @given is WRONG and not counted as a guess. */
dc_auth_result dc_auth_check(dc_auth *auth, const dc_credential *stored, const char *given,
                             const char *who, const char *address, dc_auth_done_fn done, void *user,
                             dc_auth_job **job);

/* Whether @given is the secret that last verified against @stored (the
 * cache of step 1): true means dc_auth_check() would answer DC_AUTH_OK at
 * once. Callers that queue checks ask this first, so a right secret never
 * waits behind wrong ones. */
bool dc_auth_known(const dc_auth *auth, const dc_credential *stored, const char *given);

/* Forgets a pending check: its callback will not be called. */
void dc_auth_cancel(dc_auth *auth, dc_auth_job *job);

/* Checks under way (waiting or verifying). */
unsigned dc_auth_pending(const dc_auth *auth);

/* The throttle's key for a peer address: the address itself for IPv4 (also
 * when IPv4-mapped in IPv6), its /64 prefix for IPv6 (one site or one
 * attacker usually holds a whole /64). Free with g_free(). */
char *dc_auth_address_key(const char *address);
