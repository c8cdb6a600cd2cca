/* signaling/conn-limits: the decisions of diemcau-signal's connection guard
 * (signaling/conn-guard.h), sans-IO: no sockets, no clock reads, no logging.
 * The caller passes the time (microseconds, monotonic) and does the closing
 * and the logging it is told to.
 *
 * A connection is a caller's handle (never dereferenced) and a peer key (the
 * address as dc_auth_address_key() groups it: IPv4 alone, IPv6 by /64). A new
 * connection is refused when its key already has max_per_address, or when
 * max_total are open. An accepted one has a header deadline, now +
 * header_timeout_us, from each request_started until its request_read;
 * dc_conn_limits_expired() hands out the connections whose deadline passed.
 * Deadlines are kept in start order (the timeout is fixed), so every call is
 * O(1) apart from the per-key hash lookup.
 *
 * Refusals are logged at most once per log_interval_us per key (and once for
 * the total cap): the first refusal of a burst is logged at once, the others
 * are counted and reported by dc_conn_limits_log_due() when the interval
 * has passed ("N more refused"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    unsigned max_per_address;
    unsigned max_total;
    int64_t header_timeout_us;
    int64_t log_interval_us;
} dc_conn_limits_params;

typedef enum {
    DC_CONN_OK,             /* counted; call dc_conn_limits_close() at its end */
    DC_CONN_REFUSE_ADDRESS, /* its key has max_per_address open: close it now */
    DC_CONN_REFUSE_TOTAL,   /* max_total are open: close it now */
} dc_conn_verdict;

typedef struct dc_conn_limits dc_conn_limits;

/* Copies @p. */
dc_conn_limits *dc_conn_limits_new(const dc_conn_limits_params *p);
void dc_conn_limits_free(dc_conn_limits *l);

/* A new connection @handle from @key (copied) at @now_us. A refusal keeps
 * nothing of @handle; *@log (when not NULL) says whether to log it now, with
 * *@suppressed the refusals of the same key (or of the total cap) not logged
 * since the last line. */
dc_conn_verdict dc_conn_limits_open(dc_conn_limits *l, const void *handle, const char *key,
                                    int64_t now_us, bool *log, unsigned *suppressed);
/* A request starts being read on @handle (the first at open, then each next
 * one of a keep-alive connection): its header deadline runs from @now_us.
 * Unknown handles are ignored. */
void dc_conn_limits_request_started(dc_conn_limits *l, const void *handle, int64_t now_us);
/* The request on @handle has been read: no deadline until the next one. */
void dc_conn_limits_request_read(dc_conn_limits *l, const void *handle);
/* @handle is gone: its slot is free. Unknown handles are ignored. */
void dc_conn_limits_close(dc_conn_limits *l, const void *handle);

/* A connection whose header deadline passed by @now_us (its deadline is
 * cleared; it stays counted until dc_conn_limits_close()), or NULL when
 * none. Call until NULL. */
const void *dc_conn_limits_expired(dc_conn_limits *l, int64_t now_us);
/* When to call dc_conn_limits_expired() next: the earliest deadline, or -1
 * when no deadline runs. */
int64_t dc_conn_limits_next_timeout(const dc_conn_limits *l);

/* A summary line due at @now_us for refusals not logged yet: true with
 * *@key (borrowed until the next call; NULL for the total cap) and
 * *@suppressed. Call until false. */
bool dc_conn_limits_log_due(dc_conn_limits *l, int64_t now_us, const char **key,
                            unsigned *suppressed);

/* Connections counted for @key, and in all. */
unsigned dc_conn_limits_count(const dc_conn_limits *l, const char *key);
unsigned dc_conn_limits_total(const dc_conn_limits *l);
/* Keys in the table (with connections or an unreported refusal). */
unsigned dc_conn_limits_keys(const dc_conn_limits *l);
