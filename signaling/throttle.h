/* signaling/throttle: slows down an address that keeps presenting wrong
 * credentials. Sans-IO: the caller passes the time (microseconds, any
 * monotonic origin) and does the waiting.
 *
 * Per source address it counts the wrong credentials of the current burst (a
 * burst ends after window_us without a wrong one). Up to free_failures of
 * them cost nothing; from then on every attempt from that address waits
 * first_delay_us before it is checked, doubling with each further failure up
 * to max_delay_us. Only the address is slowed: the same credential from
 * another address is unaffected, and a right credential from this address is
 * still accepted after the wait. A right credential does not clear the count
 * (an attacker who holds one site's secret cannot use it to reset his
 * guessing of another's).
 *
 * The table is bounded (max_addresses): when full, the address whose last
 * failure is oldest is forgotten, so a peer with many addresses cannot grow
 * it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    unsigned free_failures; /* wrong credentials before slowing, default 5 */
    int64_t window_us;      /* a burst ends after this long without one, 60 s */
    int64_t first_delay_us; /* the first wait, 1 s */
    int64_t max_delay_us;   /* the longest wait, 30 s */
    size_t max_addresses;   /* table bound, 1024 */
} dc_throttle_params;

/* The defaults above. */
dc_throttle_params dc_throttle_defaults(void);

typedef struct dc_throttle dc_throttle;

/* @params NULL = dc_throttle_defaults(). */
dc_throttle *dc_throttle_new(const dc_throttle_params *params);
void dc_throttle_free(dc_throttle *t);

/* How long (µs, >= 0) an attempt from @address starting at @now_us must wait
 * before it is checked: 0 while the address has fewer than free_failures
 * failures in its burst. */
int64_t dc_throttle_delay(dc_throttle *t, const char *address, int64_t now_us);

/* Records a wrong credential from @address at @now_us. Returns true exactly
 * once per burst: on the failure that starts slowing the address (log it),
 * with *failures and *span_us (may be NULL) the burst so far. */
bool dc_throttle_failed(dc_throttle *t, const char *address, int64_t now_us, unsigned *failures,
                        int64_t *span_us);

/* Failures of @address in its current burst at @now_us (0 when unknown). */
unsigned dc_throttle_failures(dc_throttle *t, const char *address, int64_t now_us);

/* Addresses in the table. */
size_t dc_throttle_size(const dc_throttle *t);
