/* deadline: a GSource that fires at an absolute g_get_monotonic_time()
 * instant, the bridge between the sans-IO modules (which say when they next
 * need a call, *_next_timeout) and the GLib main loop. */
#pragma once

#include <stdint.h>

#include <glib.h>

typedef struct dc_deadline dc_deadline;

/* Called at the deadline with the current monotonic time; the deadline is
 * disarmed before the call (re-arm it from inside if needed). */
typedef void (*dc_deadline_func)(void *user, int64_t now_us);

/* Attaches a disarmed deadline to ctx (NULL: the default context). Free with
 * dc_deadline_free(). */
dc_deadline *dc_deadline_new(GMainContext *ctx, dc_deadline_func fn, void *user);

/* Destroys the source; NULL is allowed. */
void dc_deadline_free(dc_deadline *d);

/* Fires at at_us (INT64_MAX: never). Moves an armed deadline. */
void dc_deadline_set(dc_deadline *d, int64_t at_us);

/* Fires at at_us unless already armed earlier. */
void dc_deadline_set_earlier(dc_deadline *d, int64_t at_us);
