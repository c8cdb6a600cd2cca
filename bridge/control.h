/* control: the bridge's control link, a libsoup-3.0 WebSocket server at
 * ws://<control address>:<port>/control speaking JSON, one "op" per message
 * (docs/control.md, parsed by bridge/control-msg).
 *
 * Every upgrade must carry a valid Authorization header (common/control-auth)
 * and no Origin header; others are closed at once with 1008 before any
 * handler runs, and logged with the peer's address at most once per 5 s.
 * Links are capped in total, and those holding no meeting per address.
 *
 * It owns the meetings (created on hello or on the first command naming
 * them, each put on a worker round-robin). A meeting is bound to the link
 * that made it (one per link): ops of another link naming it are answered
 * with an error and change nothing; only the owner's close frees it, or a
 * hello from another link once the owner has been silent for 30 s (it is
 * then closed). Every command goes to the meeting's worker, and the
 * meeting's messages to its owner.
 *
 * Runs on the thread of the main context that was default at dc_control_new().
 * Ownership: the caller frees the control with dc_control_free() (which
 * frees every meeting on its worker); config, workers and cert are borrowed.
 */
#pragma once

#include <glib.h>

#include "bridge/worker.h"
#include "common/config.h"
#include "common/control-auth.h"
#include "core/dtls.h"

typedef struct dc_control dc_control;

/* Listens on the config's control address and port, accepting links signed
 * with secret (copied). Returns NULL with error set when it cannot. */
dc_control *dc_control_new(const dc_config *config, dc_workers *workers, const dc_dtls_cert *cert,
                           const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN], GError **error);

/* How long a meeting's link must be silent (no message, no pong) before a
 * hello from another link takes the meeting over; 30 s unless a test sets
 * it. */
void dc_control_set_owner_silence(dc_control *c, int64_t silence_us);

/* The random per-process instance id sent in hello replies (borrowed). */
const char *dc_control_instance_id(const dc_control *c);

/* Hands every meeting to its worker to be freed; messages they had queued
 * are dropped, and so is every command that arrives from now on (the
 * workers are about to go). Call before stopping the workers. */
void dc_control_close_meetings(dc_control *c);

/* Closes every connection and frees c (after dc_control_close_meetings(),
 * once the workers have stopped). */
void dc_control_free(dc_control *c);
