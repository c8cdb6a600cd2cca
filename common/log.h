/* common/log: making text from another party safe to log.
 *
 * A site id, an Origin or a peer's message may hold a newline (which would
 * forge a log line), terminal escapes or invalid UTF-8. dc_log_escape()
 * keeps printable text (Vietnamese names included) and writes everything
 * else as \xNN. Pure; allocates its result. */
#pragma once

#include <stddef.h>

/* A copy of s fit for one log line: valid UTF-8 without control
 * characters (they become \xNN, a backslash becomes \\), cut to at most
 * max_chars characters of the original with "…" appended when cut.
 * NULL gives "(null)". Free with g_free(). */
char *dc_log_escape(const char *s, size_t max_chars);
