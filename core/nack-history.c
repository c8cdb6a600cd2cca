/* nack-history: ring of recently sent packets for NACK answers. See
 * nack-history.h. */
#include "core/nack-history.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/seq.h"

typedef struct {
    int64_t ext;            /* unwrapped sequence number; -1 when empty */
    int64_t sent_us;        /* when put */
    int64_t last_resend_us; /* valid when resends > 0 */
    uint32_t resends;
    uint16_t len;
} nack_slot;

struct dc_nack_history {
    size_t mask; /* slots - 1 */
    int64_t max_age_us;
    dc_seq_unwrapper unwrap;
    int64_t newest; /* unwrapped seq of the newest put; valid when started */
    bool started;
    size_t slot_bytes; /* bytes of data per slot */
    nack_slot *slots;
    uint8_t *data; /* slots * slot_bytes */
};

static uint8_t *slot_data(const dc_nack_history *h, const nack_slot *s)
{
    return h->data + (size_t)(s - h->slots) * h->slot_bytes;
}

dc_nack_history *dc_nack_history_new(size_t max_packets, int64_t max_age_us)
{
    return dc_nack_history_new_sized(max_packets, max_age_us, DC_NACK_HISTORY_MAX_PACKET);
}

dc_nack_history *dc_nack_history_new_sized(size_t max_packets, int64_t max_age_us,
                                           size_t max_packet)
{
    if (max_packets == 0 || max_packets > DC_NACK_HISTORY_MAX_SLOTS ||
        (max_packets & (max_packets - 1)) != 0 || max_age_us <= 0 || max_packet == 0 ||
        max_packet > DC_NACK_HISTORY_MAX_PACKET)
        return NULL;
    dc_nack_history *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->slot_bytes = max_packet;
    h->slots = calloc(max_packets, sizeof(*h->slots));
    h->data = malloc(max_packets * max_packet);
    if (!h->slots || !h->data) {
        free(h->slots);
        free(h->data);
        free(h);
        return NULL;
    }
    h->mask = max_packets - 1;
    h->max_age_us = max_age_us;
    dc_nack_history_clear(h);
    return h;
}

void dc_nack_history_free(dc_nack_history *h)
{
    if (!h)
        return;
    free(h->slots);
    free(h->data);
    free(h);
}

void dc_nack_history_clear(dc_nack_history *h)
{
    for (size_t i = 0; i <= h->mask; i++) {
        h->slots[i].ext = -1;
        h->slots[i].resends = 0;
    }
    dc_seq_unwrapper_init(&h->unwrap);
    h->newest = 0;
    h->started = false;
}

size_t dc_nack_history_capacity(const dc_nack_history *h)
{
    return h->mask + 1;
}

int dc_nack_history_put(dc_nack_history *h, uint16_t seq, int64_t now_us, const uint8_t *buf,
                        size_t len)
{
    if (!h || (!buf && len > 0))
        return -EINVAL;
    if (len > h->slot_bytes)
        return -EMSGSIZE;
    int64_t ext = dc_seq_unwrap(&h->unwrap, seq);
    if (h->started && ext <= h->newest) {
        /* Not newer: the sender restarted its sequence. Whatever we hold
         * belongs to the old run; drop it rather than risk answering a NACK
         * for the new run with an old packet that shares its number. */
        dc_nack_history_clear(h);
        ext = dc_seq_unwrap(&h->unwrap, seq);
    }
    h->started = true;
    h->newest = ext;
    nack_slot *s = &h->slots[(size_t)ext & h->mask];
    s->ext = ext;
    s->sent_us = now_us;
    s->resends = 0;
    s->last_resend_us = 0;
    s->len = (uint16_t)len;
    if (len > 0)
        memcpy(slot_data(h, s), buf, len);
    return 0;
}

int dc_nack_history_put_late(dc_nack_history *h, uint16_t seq, int64_t now_us, const uint8_t *buf,
                             size_t len)
{
    if (!h || (!buf && len > 0))
        return -EINVAL;
    if (len > h->slot_bytes)
        return -EMSGSIZE;
    if (!h->started)
        return -ENOENT;
    int64_t ext = h->newest + dc_seq_delta((uint16_t)h->newest, seq);
    if (ext >= h->newest || h->newest - ext > (int64_t)h->mask)
        return -ENOENT;
    nack_slot *s = &h->slots[(size_t)ext & h->mask];
    if (s->ext == ext)
        return -EEXIST;
    s->ext = ext;
    s->sent_us = now_us;
    s->resends = 0;
    s->last_resend_us = 0;
    s->len = (uint16_t)len;
    if (len > 0)
        memcpy(slot_data(h, s), buf, len);
    return 0;
}

/* The slot holding seq, or NULL when it is not (or no longer) available. */
static nack_slot *find(dc_nack_history *h, uint16_t seq, int64_t now_us)
{
    if (!h->started)
        return NULL;
    int64_t ext = h->newest + dc_seq_delta((uint16_t)h->newest, seq);
    if (ext > h->newest || h->newest - ext > (int64_t)h->mask)
        return NULL; /* never sent yet, or more than max_packets ago */
    nack_slot *s = &h->slots[(size_t)ext & h->mask];
    if (s->ext != ext)
        return NULL; /* a gap in what was put, or emptied by a restart */
    if (now_us - s->sent_us > h->max_age_us)
        return NULL;
    return s;
}

int dc_nack_history_get(dc_nack_history *h, uint16_t seq, int64_t now_us, const uint8_t **buf,
                        size_t *len)
{
    if (!h || !buf || !len)
        return -EINVAL;
    nack_slot *s = find(h, seq, now_us);
    if (!s)
        return -ENOENT;
    *buf = slot_data(h, s);
    *len = s->len;
    return 0;
}

int dc_nack_history_resend(dc_nack_history *h, uint16_t seq, int64_t now_us, unsigned max_resends,
                           int64_t min_interval_us, const uint8_t **buf, size_t *len)
{
    if (!h || !buf || !len)
        return -EINVAL;
    nack_slot *s = find(h, seq, now_us);
    if (!s)
        return -ENOENT;
    if (s->resends >= max_resends)
        return -EDQUOT;
    if (s->resends > 0 && now_us - s->last_resend_us < min_interval_us)
        return -EAGAIN;
    s->resends++;
    s->last_resend_us = now_us;
    *buf = slot_data(h, s);
    *len = s->len;
    return 0;
}
