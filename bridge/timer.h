/* timer: reusable deadlines on a given main context, rearmed without
 * allocating, for the sans-IO objects' *_next_timeout() deadlines. All the
 * timers of a context share one GSource (a heap; timer.c). Times are
 * g_get_monotonic_time() microseconds.
 *
 * Threads: dc_timer_new() may run on any thread; dc_timer_set() and
 * dc_timer_free() run on the context's own thread.
 *
 * Ownership: dc_timer_new() returns a timer the caller frees with
 * dc_timer_free(); the callback's user pointer is borrowed and must outlive
 * the timer.
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

/* Whether ctx has its timers' GSource now (from the first arming of one of
 * its timers until its last timer is freed). For tests. */
gboolean dc_timer_context_has_heap(GMainContext *ctx);
