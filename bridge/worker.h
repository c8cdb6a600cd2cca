/* worker: the bridge's worker threads. Each runs its own GMainContext and
 * GMainLoop; a meeting lives on one worker and needs no locks. Other threads
 * hand work over with dc_workers_invoke() (never per packet).
 *
 * Ownership: dc_workers_new() returns a pool the caller frees with
 * dc_workers_free() from the thread that created it.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "bridge/sendq.h"

typedef struct dc_workers dc_workers;

/* Starts n (>= 1) worker threads, each running its loop; with batch_send,
 * each has a send queue (sendq.h) that its endpoints share. */
dc_workers *dc_workers_new(unsigned n, bool batch_send);

unsigned dc_workers_count(const dc_workers *w);

/* The main context of worker i (borrowed). */
GMainContext *dc_workers_context(const dc_workers *w, unsigned i);

/* The send queue of worker i (borrowed; use it only on that worker's
 * thread), or NULL when the pool was made without batch_send. */
dc_sendq *dc_workers_sendq(const dc_workers *w, unsigned i);

/* Runs fn(data) once on worker i, then destroy(data) (may be NULL). */
void dc_workers_invoke(dc_workers *w, unsigned i, GSourceFunc fn, gpointer data,
                       GDestroyNotify destroy);

/* Runs everything already handed over, stops every loop, joins the threads
 * and frees w. NULL ok. */
void dc_workers_free(dc_workers *w);
