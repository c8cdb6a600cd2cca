/* consent: receive-silence watchdog. See consent.h. */
#include "core/consent.h"

#include <string.h>

void dc_consent_init(dc_consent *c, const dc_consent_config *cfg)
{
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
}

void dc_consent_start(dc_consent *c, int64_t now_us)
{
    c->armed = true;
    c->expired = false;
    c->last_rx_us = now_us;
    c->restarts = 0;
}

void dc_consent_stop(dc_consent *c)
{
    c->armed = false;
    c->restarts = 0;
}

dc_consent_action dc_consent_poll(dc_consent *c, int64_t now_us)
{
    if (!c->armed || c->expired)
        return DC_CONSENT_NONE;
    int64_t silence = now_us - c->last_rx_us;
    if (silence >= c->cfg.expire_us) {
        c->expired = true;
        return DC_CONSENT_EXPIRED;
    }
    if (silence < c->cfg.stall_us)
        return DC_CONSENT_NONE;
    if (c->restarts > 0 && now_us < c->next_restart_us)
        return DC_CONSENT_NONE;
    c->restarts++;
    c->next_restart_us = now_us + c->cfg.retry_us;
    return DC_CONSENT_RESTART;
}

int64_t dc_consent_next_timeout(const dc_consent *c)
{
    if (!c->armed || c->expired)
        return INT64_MAX;
    int64_t expire = c->last_rx_us + c->cfg.expire_us;
    int64_t restart = c->restarts > 0 ? c->next_restart_us : c->last_rx_us + c->cfg.stall_us;
    return restart < expire ? restart : expire;
}

int64_t dc_consent_silence_us(const dc_consent *c, int64_t now_us)
{
    return c->armed ? now_us - c->last_rx_us : 0;
}

unsigned dc_consent_restarts(const dc_consent *c)
{
    return c->restarts;
}
