/* common/json: the one door through which diemcau parses JSON written by
 * another party (a site, the page, the bridge, diemcau-signal's API).
 *
 * json-glib 1.6 recurses once per nesting level with no limit, so about
 * 80 kB of '[' overflows the stack of whoever parses it. dc_json_load()
 * checks the size and the nesting depth on the bytes first, then parses.
 * No I/O; the caller owns the parser, as with json_parser_load_from_data(). */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>

/* Deeper than any message of docs/protocol.md or docs/control.md (the
 * bridge's stats nest 6 levels) and far below what the stack holds. */
#define DC_JSON_MAX_DEPTH 32

/* The deepest nesting of objects and arrays in text (len bytes), counting
 * '[' and '{' outside strings, stopping as soon as it passes max_depth
 * (then returns max_depth + 1). Malformed text is not diagnosed here: the
 * parser does that. */
unsigned dc_json_depth(const char *text, size_t len, unsigned max_depth);

/* json_parser_load_from_data() with limits: text longer than max_len bytes
 * (0: no size limit) or nested deeper than DC_JSON_MAX_DEPTH is refused
 * with G_IO_ERROR_MESSAGE_TOO_LARGE or G_IO_ERROR_INVALID_DATA and a
 * message for people; a parse error as json-glib gives it. */
bool dc_json_load(JsonParser *parser, const char *text, size_t len, size_t max_len, GError **error);
