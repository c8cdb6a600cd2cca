/* tests/sim internals: one direction of a simulated link, its random
 * numbers, and the queue of packets in flight. See sim.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

#define SIM_PKT_MAX 1500

/* xorshift64*: small, fast, and the same numbers on every machine. */
typedef struct {
    uint64_t s;
} sim_rng;

void sim_rng_seed(sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(sim_rng *r);
/* Uniform in [0, 1). */
double sim_rng_unit(sim_rng *r);

typedef struct {
    dc_sim_link cfg;
    sim_rng rng;
    int64_t busy_until;   /* the bottleneck is serialising until then */
    int64_t last_arrival; /* delivery times never go back: no reordering */
    bool in_burst;
    uint64_t queue_drops, lost;
} sim_link;

void sim_link_init(sim_link *l, uint64_t seed);

/* Whether a packet of len bytes offered at now survives the link, and when
 * it arrives (*arrive_us). Drops at the queue and losses are counted. */
bool sim_link_pass(sim_link *l, size_t len, int64_t now, int64_t *arrive_us);

/* A packet in flight. to_bridge: from site to the router (else to site). */
typedef struct {
    int64_t at;
    uint64_t order; /* FIFO among equal times */
    unsigned site;
    bool to_bridge, is_rtcp;
    uint16_t len;
    uint8_t data[SIM_PKT_MAX];
} sim_packet;

/* A binary min-heap of packets by (at, order). */
typedef struct {
    sim_packet *items;
    size_t len, cap;
    uint64_t next_order;
} sim_heap;

void sim_heap_push(sim_heap *h, const sim_packet *p);
/* The earliest packet, or NULL when empty (valid until the next push/pop). */
const sim_packet *sim_heap_top(const sim_heap *h);
void sim_heap_pop(sim_heap *h, sim_packet *out);
void sim_heap_free(sim_heap *h);
