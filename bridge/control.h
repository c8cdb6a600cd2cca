/* control: the bridge's control link, a libsoup-3.0 WebSocket server at
 * ws://<control address>:<port>/control speaking JSON, one "op" per message
 * (docs/control.md). It owns the meetings (created on hello or on the first
 * command naming them, each put on a worker round-robin), hands every
 * command to the meeting's worker, and sends the meetings' messages back on
 * the connection that last spoke for that meeting. When that connection
 * closes, its meetings are closed.
 *
 * Runs on the thread of the main context that was default at dc_control_new().
 * Ownership: the caller frees the control with dc_control_free() (which
 * frees every meeting on its worker); config, workers and cert are borrowed.
 */
#pragma once

#include <glib.h>

#include "bridge/worker.h"
#include "common/config.h"
#include "core/dtls.h"

typedef struct dc_control dc_control;

/* Listens on the config's control address and port. Returns NULL with
 * error set when it cannot. */
dc_control *dc_control_new(const dc_config *config, dc_workers *workers, const dc_dtls_cert *cert,
                           GError **error);

/* The random per-process instance id sent in hello replies (borrowed). */
const char *dc_control_instance_id(const dc_control *c);

/* Hands every meeting to its worker to be freed; messages they had queued
 * are dropped, and so is every command that arrives from now on (the
 * workers are about to go). Call before stopping the workers. */
void dc_control_close_meetings(dc_control *c);

/* Closes every connection and frees c (after dc_control_close_meetings(),
 * once the workers have stopped). */
void dc_control_free(dc_control *c);
