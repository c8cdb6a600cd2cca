/* ctl/watch: diemcau-ctl watch, the live table (like top): refreshed in place
 * every second on the alternate screen, with a sparkline per site of loss and
 * bitrate over the last minute. Keys: q or Ctrl-C quit, h switches between
 * the table and the sparklines when the terminal is too short for both.
 * The terminal is put in raw mode (termios) and restored on exit and on
 * SIGINT, SIGTERM and SIGHUP. */
#pragma once

#include <stdbool.h>

#include "ctl/http.h"
#include "ctl/table.h"

/* Runs until quit; returns a dc_ctl_exit code. Needs a terminal on stdout. */
int dc_ctl_watch_run(dc_ctl_client *client, bool colour);

/* The screen for @rows (NULL when nothing fetched yet) and @meta at a
 * terminal of @lines lines: title, table, sparklines (when they fit, or
 * instead of the table when @history), and a footer with the keys or
 * @error. At most @lines lines, each ending in '\n'. Pure. */
char *dc_ctl_watch_screen(GPtrArray *rows, const dc_ctl_meta *meta, const char *error,
                          unsigned lines, bool history, bool colour);
