/* common/rate: token bucket. See rate.h. */
#include "common/rate.h"

void dc_rate_init(dc_rate *r, double per_s, double burst, int64_t now_us)
{
    *r = (dc_rate){.per_s = per_s, .burst = burst, .tokens = burst, .last_us = now_us};
}

bool dc_rate_take(dc_rate *r, int64_t now_us)
{
    if (now_us > r->last_us) {
        r->tokens += (double)(now_us - r->last_us) * r->per_s / 1e6;
        if (r->tokens > r->burst) {
            r->tokens = r->burst;
        }
        r->last_us = now_us;
    }
    if (r->tokens < 1.0) {
        return false;
    }
    r->tokens -= 1.0;
    return true;
}
