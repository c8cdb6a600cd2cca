/* tests/sim: links, random numbers, packets in flight. See sim-link.h. */
#include "sim-link.h"

#include <glib.h>
#include <string.h>

void sim_rng_seed(sim_rng *r, uint64_t seed)
{
    /* splitmix64 of the seed, so that nearby seeds give unrelated streams
     * and a zero seed is fine. */
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    r->s = (z ^ (z >> 31)) | 1;
}

uint64_t sim_rng_next(sim_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dull;
}

double sim_rng_unit(sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) / (double)(1ull << 53);
}

void sim_link_init(sim_link *l, uint64_t seed)
{
    memset(l, 0, sizeof *l);
    sim_rng_seed(&l->rng, seed);
}

bool sim_link_pass(sim_link *l, size_t len, int64_t now, int64_t *arrive_us)
{
    const dc_sim_link *c = &l->cfg;
    int64_t leave = now;
    if (c->rate_bps) {
        /* Drop-tail: the queue holds queue_ms of the bottleneck's rate. */
        int64_t start = l->busy_until > now ? l->busy_until : now;
        int64_t queued_us = start - now;
        uint32_t queue_ms = c->queue_ms ? c->queue_ms : 200;
        if (queued_us > (int64_t)queue_ms * 1000) {
            l->queue_drops++;
            return false;
        }
        int64_t tx_us = (int64_t)((len + 28) * 8 * 1000000ull / c->rate_bps); /* IP+UDP */
        l->busy_until = start + tx_us;
        leave = l->busy_until;
    }
    /* Loss: independent, or in bursts of mean length `burst` (a two-state
     * chain whose stationary loss is `loss`). */
    bool lose;
    if (c->loss <= 0) {
        lose = false;
    } else if (c->burst <= 1.0) {
        lose = sim_rng_unit(&l->rng) < c->loss;
    } else {
        double p_stay = 1.0 - 1.0 / c->burst;
        double p_enter = c->loss * (1.0 - p_stay) / (1.0 - c->loss);
        l->in_burst = sim_rng_unit(&l->rng) < (l->in_burst ? p_stay : p_enter);
        lose = l->in_burst;
    }
    if (lose) {
        l->lost++;
        return false;
    }
    int64_t at = leave + c->delay_us;
    if (c->jitter_us > 0) {
        at += (int64_t)(sim_rng_unit(&l->rng) * (double)c->jitter_us);
    }
    if (at < l->last_arrival) {
        at = l->last_arrival;
    }
    l->last_arrival = at;
    *arrive_us = at;
    return true;
}

static bool earlier(const sim_packet *a, const sim_packet *b)
{
    return a->at < b->at || (a->at == b->at && a->order < b->order);
}

void sim_heap_push(sim_heap *h, const sim_packet *p)
{
    if (h->len == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 256;
        h->items = g_renew(sim_packet, h->items, h->cap);
    }
    size_t i = h->len++;
    h->items[i] = *p;
    h->items[i].order = h->next_order++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(&h->items[i], &h->items[parent])) {
            break;
        }
        sim_packet t = h->items[i];
        h->items[i] = h->items[parent];
        h->items[parent] = t;
        i = parent;
    }
}

const sim_packet *sim_heap_top(const sim_heap *h)
{
    return h->len ? &h->items[0] : NULL;
}

void sim_heap_pop(sim_heap *h, sim_packet *out)
{
    *out = h->items[0];
    h->items[0] = h->items[--h->len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->len && earlier(&h->items[l], &h->items[m])) {
            m = l;
        }
        if (r < h->len && earlier(&h->items[r], &h->items[m])) {
            m = r;
        }
        if (m == i) {
            break;
        }
        sim_packet t = h->items[i];
        h->items[i] = h->items[m];
        h->items[m] = t;
        i = m;
    }
}

void sim_heap_free(sim_heap *h)
{
    g_free(h->items);
    memset(h, 0, sizeof *h);
}
