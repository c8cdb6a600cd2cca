/* timer: one reusable GLib timer on a given main context, rearmed without
 * allocating (g_source_set_ready_time), for the sans-IO objects'
 * *_next_timeout() deadlines. Times are g_get_monotonic_time() microseconds.
 *
 * Ownership: dc_timer_new() returns a timer the caller frees with
 * dc_timer_free() on the context's thread; the callback's user pointer is
 * borrowed and must outlive the timer.
 */
#pragma once

#include <glib.h>

typedef struct dc_timer dc_timer;
typedef void (*dc_timer_func)(void *user, int64_t now_us);

/* Creates a disarmed timer attached to ctx calling fn(user, now). */
dc_timer *dc_timer_new(GMainContext *ctx, dc_timer_func fn, void *user);

/* Arms the timer for the absolute time at_us; INT64_MAX disarms it. */
void dc_timer_set(dc_timer *t, int64_t at_us);

/* Destroys the timer; it never fires after this. NULL is allowed. */
void dc_timer_free(dc_timer *t);
