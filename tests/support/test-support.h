/* test-support: helpers shared by the tests that run the real programs
 * (tests/signaling/signal-fixture.c, tests/ctl/test-ctl.c,
 * tests/ctl/test-tls.c): bounded waits on the default main context, a
 * WebSocket client connect, the port a SoupServer listens on, a temporary
 * folder's removal, and child processes (tied to the test's life, a line of
 * their output, the port a service says it listens on, a clean stop). Every
 * wait takes its bound in ms from the caller; a wait that must succeed fails
 * the test when the bound passes. */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <libsoup/soup.h>

typedef gboolean (*ts_pred)(gpointer data);

/* Iterates the default context until pred(data) holds or ms pass; whether it holds. */
gboolean ts_wait_for(ts_pred pred, gpointer data, guint ms);
/* Runs the default context for ms (to see that nothing arrives). */
void ts_run_for(guint ms);
/* A predicate for ts_wait_for(): data points to a gboolean set when done. */
gboolean ts_flag_set(gpointer data);

/* A WebSocket opened with msg (handlers connected) within ms, or the test fails; owned. */
SoupWebsocketConnection *ts_ws_connect_message(SoupSession *http, SoupMessage *msg, guint ms);
/* The same with a plain GET of url. */
SoupWebsocketConnection *ts_ws_connect(SoupSession *http, const char *url, guint ms);
/* The port of the first socket that server listens on (fails the test if none). */
guint ts_bound_port(SoupServer *server);
/* Deletes path and, for a folder, everything below it; errors are ignored. */
void ts_rm_rf(const char *path);

/* Child setup for a launcher: SIGTERM when the test dies, so it never outlives it. */
void ts_die_with_parent(gpointer data);
/* The next line of in (g_free it; NULL at end of stream) within ms, or the test fails. */
char *ts_read_line(GDataInputStream *in, guint ms);
/* Starts argv (stdout piped, dies with the test); *port from its first line's
 * "http://127.0.0.1:PORT", read within ms, or the test fails. */
GSubprocess *ts_spawn_http(const char *const *argv, guint ms, guint *port);
/* Waits up to ms for proc to exit, the loop running; whether it did. */
gboolean ts_wait_child(GSubprocess *proc, guint ms);
/* A clean stop: SIGTERM, then exit status 0 within ms, or the test fails naming name. */
void ts_stop_child(GSubprocess *proc, const char *name, guint ms);
