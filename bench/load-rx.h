/* load-rx: what diemcau-load checks on every received stream, and its
 * latency histogram. Pure: numbers in, counters out.
 *
 * Sequence continuity: per stream the highest extended sequence number and
 * a window of the last 1024 numbers. A jump forward counts the skipped
 * numbers as missing; a missing number that arrives later (a retransmission
 * after a NACK, or reordering) is counted as repaired and no longer missing;
 * a number seen twice is a duplicate. What is still missing at the end is
 * lost.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_LOAD_RX_WINDOW 1024

typedef struct {
    bool started;
    int64_t first, highest; /* extended sequence numbers */
    uint64_t received, missing, repaired, duplicates, too_old;
    uint64_t bits[DC_LOAD_RX_WINDOW / 64]; /* received, indexed by ext seq mod window */
} dc_load_seq;

/* Records seq; returns 1 for a new packet in order (or a jump forward), 2 for
 * a repaired one, 0 for a duplicate or one too old to tell. */
int dc_load_seq_push(dc_load_seq *s, uint16_t seq);

/* Packets the sender sent from the first seen to the highest. */
uint64_t dc_load_seq_expected(const dc_load_seq *s);

/* Latency histogram: 10 us buckets up to 100 ms, then one overflow bucket. */
#define DC_LOAD_HIST_BUCKETS 10001
#define DC_LOAD_HIST_US 10

typedef struct {
    uint64_t n;
    double sum_us;
    int64_t max_us;
    uint32_t bucket[DC_LOAD_HIST_BUCKETS];
} dc_load_hist;

void dc_load_hist_add(dc_load_hist *h, int64_t us);
void dc_load_hist_merge(dc_load_hist *into, const dc_load_hist *from);
/* The q-quantile (0..1) in microseconds (bucket upper bound); 0 when empty. */
double dc_load_hist_quantile(const dc_load_hist *h, double q);
