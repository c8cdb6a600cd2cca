/* seq: 16-bit sequence and 32-bit timestamp unwrapping. See seq.h. */
#include "core/seq.h"

void dc_seq_unwrapper_init(dc_seq_unwrapper *u)
{
    u->last = 0;
    u->started = false;
}

int64_t dc_seq_unwrap(dc_seq_unwrapper *u, uint16_t seq)
{
    if (!u->started) {
        u->started = true;
        u->last = (int64_t)seq + 65536;
        return u->last;
    }
    int64_t v = u->last + dc_seq_delta((uint16_t)u->last, seq);
    if (v > u->last)
        u->last = v;
    return v;
}

void dc_ts_unwrapper_init(dc_ts_unwrapper *u)
{
    u->last = 0;
    u->started = false;
}

int64_t dc_ts_unwrap(dc_ts_unwrapper *u, uint32_t ts)
{
    if (!u->started) {
        u->started = true;
        u->last = (int64_t)ts + ((int64_t)1 << 32);
        return u->last;
    }
    int64_t v = u->last + (int32_t)(uint32_t)(ts - (uint32_t)u->last);
    if (v > u->last)
        u->last = v;
    return v;
}
