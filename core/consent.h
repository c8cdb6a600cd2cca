/* consent: a sans-IO watchdog over one media path's received traffic, the
 * part of RFC 7675 consent freshness that libnice does not decide for us.
 *
 * libnice (NICE_AGENT_OPTION_CONSENT_FRESHNESS) sends the periodic STUN
 * consent checks and fails the component after 30 s without a response. This
 * tracker adds what an endpoint does *before* that: when nothing has been
 * received for stall_us (2 s: a cut link, a changed address) it asks for an
 * ICE restart, again every retry_us while the gap lasts; when nothing has
 * been received for expire_us (30 s, RFC 7675's consent timeout) it reports
 * the path as expired, once.
 *
 * No clock reads: every call takes now_us (monotonic microseconds). No
 * allocation. The caller owns the struct (plain value, no _free).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int64_t stall_us;  /* silence that counts as a broken path */
    int64_t retry_us;  /* between restart requests during one gap */
    int64_t expire_us; /* silence after which consent is lost */
} dc_consent_config;

/* 2 s, 5 s, 30 s. */
#define DC_CONSENT_DEFAULT_CONFIG                                                                  \
    ((dc_consent_config){.stall_us = 2000000, .retry_us = 5000000, .expire_us = 30000000})

typedef enum {
    DC_CONSENT_NONE,
    DC_CONSENT_RESTART, /* ask for an ICE restart now */
    DC_CONSENT_EXPIRED, /* consent lost: stop sending, free the path */
} dc_consent_action;

typedef struct {
    dc_consent_config cfg;
    bool armed;
    bool expired;
    int64_t last_rx_us;
    int64_t next_restart_us; /* valid while restarts > 0 */
    unsigned restarts;       /* requests made during the current gap */
} dc_consent;

/* Disarmed until dc_consent_start(). cfg is copied. */
void dc_consent_init(dc_consent *c, const dc_consent_config *cfg);

/* Arms the watchdog (the path just connected): counts silence from now_us. */
void dc_consent_start(dc_consent *c, int64_t now_us);

/* Disarms it (no action until the next start). */
void dc_consent_stop(dc_consent *c);

/* Something authentic arrived on the path (a decrypted packet, a STUN
 * response). Ends the current gap. Cheap enough for the per-packet path. */
static inline void dc_consent_on_receive(dc_consent *c, int64_t now_us)
{
    c->last_rx_us = now_us;
    c->restarts = 0;
}

/* What to do at now_us; call at dc_consent_next_timeout() or later. Returns
 * DC_CONSENT_EXPIRED once, then NONE until restarted. */
dc_consent_action dc_consent_poll(dc_consent *c, int64_t now_us);

/* When to call dc_consent_poll() next; INT64_MAX when disarmed or expired. */
int64_t dc_consent_next_timeout(const dc_consent *c);

/* How long nothing has been received (0 when disarmed). */
int64_t dc_consent_silence_us(const dc_consent *c, int64_t now_us);

/* Restart requests made during the current gap. */
unsigned dc_consent_restarts(const dc_consent *c);
