/* jitter: VP8 frame assembly, NACK pacing and bounded waiting. See jitter.h.
 *
 * The buffer is a ring of DC_JITTER_SLOTS slots indexed by the 64-bit
 * unwrapped sequence number. Every sequence number in [pos, high] has a slot
 * that is either PRESENT (a packet) or MISSING (a hole seen when a newer
 * packet arrived); pos is the first packet not yet handed out. */
#include "client/jitter.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "core/seq.h"
#include "core/vp8.h"

#define MASK (DC_JITTER_SLOTS - 1)

typedef enum { SLOT_EMPTY, SLOT_MISSING, SLOT_PRESENT } slot_state;

typedef struct {
    int64_t ext;
    uint8_t state;
    bool start; /* first packet of a frame (S and PID 0) */
    bool marker;
    bool keyframe;
    uint8_t nacks;
    uint16_t len;
    uint32_t ts;
    int64_t since_us;     /* arrival, or when the hole was seen */
    int64_t next_nack_us; /* MISSING only */
    uint8_t data[DC_JITTER_MAX_PAYLOAD];
} slot;

struct dc_jitter {
    dc_jitter_config cfg;
    dc_seq_unwrapper unwrap;
    bool started;
    bool popped; /* a frame was handed out since the start */
    bool after_loss;
    int64_t pos;  /* next sequence number to hand out */
    int64_t high; /* highest sequence number seen; pos - 1 when empty */
    dc_jitter_stats stats;
    slot slots[DC_JITTER_SLOTS];
};

void dc_jitter_config_default(dc_jitter_config *cfg)
{
    cfg->max_wait_us = 150000;
    cfg->nack_delay_us = 5000;
    cfg->nack_interval_us = 40000;
    cfg->max_nacks = 3;
}

dc_jitter *dc_jitter_new(const dc_jitter_config *cfg)
{
    dc_jitter_config def;
    if (!cfg) {
        dc_jitter_config_default(&def);
        cfg = &def;
    }
    if (cfg->max_wait_us <= 0 || cfg->nack_interval_us <= 0 || cfg->nack_delay_us < 0)
        return NULL;
    dc_jitter *j = g_new0(dc_jitter, 1);
    j->cfg = *cfg;
    dc_jitter_reset(j);
    return j;
}

void dc_jitter_free(dc_jitter *j)
{
    g_free(j);
}

void dc_jitter_reset(dc_jitter *j)
{
    dc_seq_unwrapper_init(&j->unwrap);
    j->started = false;
    j->popped = false;
    j->after_loss = false;
    j->pos = 0;
    j->high = -1;
    for (size_t i = 0; i < DC_JITTER_SLOTS; i++)
        j->slots[i].state = SLOT_EMPTY;
}

static slot *at(dc_jitter *j, int64_t ext)
{
    return &j->slots[ext & MASK];
}

/* Empties [pos, to) and moves pos to `to`, counting holes as lost. */
static void drop_until(dc_jitter *j, int64_t to)
{
    if (to > j->high + 1)
        to = j->high + 1;
    for (int64_t e = j->pos; e < to; e++) {
        slot *s = at(j, e);
        if (s->state == SLOT_MISSING)
            j->stats.lost++;
        s->state = SLOT_EMPTY;
    }
    if (to > j->pos)
        j->pos = to;
}

int dc_jitter_push(dc_jitter *j, uint16_t seq, uint32_t timestamp, bool marker,
                   const uint8_t *payload, size_t len, int64_t now_us)
{
    dc_vp8_descriptor d;
    if (dc_vp8_parse(payload, len, &d) < 0) {
        j->stats.malformed++;
        return -EBADMSG;
    }
    size_t data_len = len - d.header_len;
    if (data_len > DC_JITTER_MAX_PAYLOAD) {
        j->stats.malformed++;
        return -EMSGSIZE;
    }
    int64_t ext = dc_seq_unwrap(&j->unwrap, seq);
    if (!j->started) {
        j->started = true;
        j->pos = ext;
        j->high = ext - 1;
    }
    if (ext < j->pos && !j->popped && j->pos - ext < DC_JITTER_SLOTS / 4 &&
        j->high - ext < DC_JITTER_SLOTS) {
        /* Reordered before the first packet seen: extend the start back. */
        for (int64_t e = ext + 1; e < j->pos; e++) {
            slot *m = at(j, e);
            m->ext = e;
            m->state = SLOT_MISSING;
            m->nacks = 0;
            m->since_us = now_us;
            m->next_nack_us = now_us + j->cfg.nack_delay_us;
        }
        j->pos = ext;
        at(j, ext)->state = SLOT_EMPTY;
    }
    if (ext < j->pos) {
        j->stats.late++;
        return -EALREADY;
    }
    if (ext > j->high) {
        if (ext - j->pos >= DC_JITTER_SLOTS / 2) {
            /* A jump (or a long stall): start over at this packet. */
            drop_until(j, j->high + 1);
            j->pos = ext;
            j->high = ext - 1;
            j->after_loss = true;
            j->stats.resets++;
        }
        for (int64_t e = j->high + 1; e < ext; e++) {
            slot *m = at(j, e);
            m->ext = e;
            m->state = SLOT_MISSING;
            m->nacks = 0;
            m->since_us = now_us;
            m->next_nack_us = now_us + j->cfg.nack_delay_us;
        }
        j->high = ext;
    } else {
        slot *s = at(j, ext);
        if (s->state == SLOT_PRESENT) {
            j->stats.duplicates++;
            return -EALREADY;
        }
        if (s->nacks > 0)
            j->stats.recovered++;
    }
    slot *s = at(j, ext);
    s->ext = ext;
    s->state = SLOT_PRESENT;
    s->start = d.start_of_frame;
    s->keyframe = d.keyframe;
    s->marker = marker;
    s->ts = timestamp;
    s->since_us = now_us;
    s->len = (uint16_t)data_len;
    memcpy(s->data, payload + d.header_len, data_len);
    j->stats.packets++;
    return 0;
}

/* Looks at the frame starting at e (a PRESENT start slot). Returns its last
 * sequence number when complete; else -1, with *hole set to the first
 * missing sequence number (or -1 when it merely has not all arrived). */
static int64_t frame_end(dc_jitter *j, int64_t e, int64_t *hole)
{
    uint32_t ts = at(j, e)->ts;
    *hole = -1;
    for (int64_t i = e; i <= j->high; i++) {
        slot *s = at(j, i);
        if (s->state == SLOT_MISSING) {
            *hole = i;
            return -1;
        }
        if (i > e && (s->start || s->ts != ts))
            return i - 1; /* the marker got lost in the sender, or never set */
        if (s->marker)
            return i;
    }
    return -1;
}

/* A complete keyframe after pos, if there is one: its first sequence
 * number, else -1. */
static int64_t complete_keyframe_after(dc_jitter *j)
{
    for (int64_t e = j->pos + 1; e <= j->high; e++) {
        slot *s = at(j, e);
        if (s->state == SLOT_PRESENT && s->start && s->keyframe) {
            int64_t hole;
            if (frame_end(j, e, &hole) >= 0)
                return e;
        }
    }
    return -1;
}

/* Gives up the frame at pos: skips to the next frame start held, or empties
 * the buffer when there is none. */
static void give_up(dc_jitter *j)
{
    int64_t e = j->pos + 1;
    for (; e <= j->high; e++) {
        slot *s = at(j, e);
        if (s->state == SLOT_PRESENT && s->start)
            break;
    }
    drop_until(j, e);
    j->after_loss = true;
    j->stats.frames_skipped++;
}

int dc_jitter_pop(dc_jitter *j, int64_t now_us, uint8_t *buf, size_t cap, dc_jitter_frame *f)
{
    while (j->pos <= j->high) {
        slot *s = at(j, j->pos);
        if (s->state == SLOT_PRESENT && !s->start) {
            /* Its frame's first packet was given up or never came; at the
             * very start it may still come, reordered. */
            if (!j->popped && now_us - s->since_us < j->cfg.max_wait_us)
                return 0;
            s->state = SLOT_EMPTY;
            j->pos++;
            j->after_loss = true;
            j->stats.orphans++;
            continue;
        }
        int64_t hole = j->pos;
        int64_t end = -1;
        if (s->state == SLOT_PRESENT)
            end = frame_end(j, j->pos, &hole);
        if (end < 0) {
            if (hole < 0)
                return 0; /* the rest of the frame is on its way */
            int64_t k = complete_keyframe_after(j);
            if (k >= 0) {
                drop_until(j, k);
                j->after_loss = true;
                j->stats.frames_skipped++;
                continue;
            }
            if (now_us - at(j, hole)->since_us < j->cfg.max_wait_us)
                return 0;
            give_up(j);
            continue;
        }
        size_t total = 0;
        for (int64_t i = j->pos; i <= end; i++)
            total += at(j, i)->len;
        if (total > cap || total == 0) {
            give_up(j);
            continue;
        }
        size_t off = 0;
        for (int64_t i = j->pos; i <= end; i++) {
            slot *p = at(j, i);
            memcpy(buf + off, p->data, p->len);
            off += p->len;
            p->state = SLOT_EMPTY;
        }
        f->len = total;
        f->timestamp = s->ts;
        f->keyframe = s->keyframe;
        f->after_loss = j->after_loss;
        f->first_seq = (uint16_t)j->pos;
        f->last_seq = (uint16_t)end;
        f->first_arrival_us = s->since_us;
        j->after_loss = false;
        j->popped = true;
        j->pos = end + 1;
        j->stats.frames++;
        return 1;
    }
    return 0;
}

size_t dc_jitter_poll_nacks(dc_jitter *j, int64_t now_us, uint16_t *seqs, size_t cap)
{
    size_t n = 0;
    for (int64_t e = j->pos; e <= j->high && n < cap; e++) {
        slot *s = at(j, e);
        if (s->state != SLOT_MISSING || s->nacks >= j->cfg.max_nacks || s->next_nack_us > now_us)
            continue;
        s->nacks++;
        s->next_nack_us = now_us + j->cfg.nack_interval_us;
        seqs[n++] = (uint16_t)e;
        j->stats.nacked++;
    }
    return n;
}

int64_t dc_jitter_next_timeout(const dc_jitter *j)
{
    int64_t t = DC_JITTER_NO_TIMEOUT;
    bool first_hole = true;
    if (!j->popped && j->pos <= j->high) {
        const slot *s = &j->slots[j->pos & MASK];
        if (s->state == SLOT_PRESENT && !s->start)
            t = s->since_us + j->cfg.max_wait_us;
    }
    for (int64_t e = j->pos; e <= j->high; e++) {
        const slot *s = &j->slots[e & MASK];
        if (s->state != SLOT_MISSING)
            continue;
        if (s->nacks < j->cfg.max_nacks && s->next_nack_us < t)
            t = s->next_nack_us;
        if (first_hole) {
            /* Only the oldest hole can make pop() give up. */
            int64_t g = s->since_us + j->cfg.max_wait_us;
            if (g < t)
                t = g;
            first_hole = false;
        }
    }
    return t;
}

void dc_jitter_get_stats(const dc_jitter *j, dc_jitter_stats *out)
{
    *out = j->stats;
}
