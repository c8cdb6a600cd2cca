/* test-support: see test-support.h. */
#include "test-support.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

/* ------------------------------------------------------------------------ */
/* Bounded waiting                                                          */

/* Keeps the blocking iteration waking up, so that the deadline is seen. */
static gboolean tick_cb(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

gboolean ts_wait_for(ts_pred pred, gpointer data, guint ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    guint tick = g_timeout_add(20, tick_cb, NULL);
    gboolean ok;
    while (!(ok = pred(data)) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, TRUE);
    }
    g_source_remove(tick);
    return ok;
}

/* The predicate that never holds: ts_run_for() only lets time pass. */
static gboolean never(gpointer data)
{
    return FALSE;
}

void ts_run_for(guint ms)
{
    ts_wait_for(never, NULL, ms);
}

gboolean ts_flag_set(gpointer data)
{
    return *(gboolean *)data;
}

/* ------------------------------------------------------------------------ */
/* Sockets and files                                                        */

typedef struct {
    SoupWebsocketConnection *conn;
    gboolean done;
    GError *error;
} connect_result;

/* Completes soup_session_websocket_connect_async() into a connect_result. */
static void connected_cb(GObject *src, GAsyncResult *res, gpointer data)
{
    connect_result *r = data;
    r->conn = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &r->error);
    r->done = TRUE;
}

/* Whether the connect_result at data is complete. */
static gboolean connect_done(gpointer data)
{
    return ((connect_result *)data)->done;
}

SoupWebsocketConnection *ts_ws_connect_message(SoupSession *http, SoupMessage *msg, guint ms)
{
    connect_result r = {0};
    soup_session_websocket_connect_async(http, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                         connected_cb, &r);
    g_assert_true(ts_wait_for(connect_done, &r, ms));
    g_assert_no_error(r.error);
    return r.conn;
}

SoupWebsocketConnection *ts_ws_connect(SoupSession *http, const char *url, guint ms)
{
    g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
    return ts_ws_connect_message(http, msg, ms);
}

guint ts_bound_port(SoupServer *server)
{
    GSList *ls = soup_server_get_listeners(server);
    g_assert_nonnull(ls);
    g_autoptr(GSocketAddress) a = g_socket_get_local_address(ls->data, NULL);
    g_slist_free(ls);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(a));
}

void ts_rm_rf(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *name;
        while ((name = g_dir_read_name(d))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            ts_rm_rf(child);
        }
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

/* ------------------------------------------------------------------------ */
/* Child processes                                                          */

void ts_die_with_parent(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

typedef struct {
    char *line;
    gboolean done;
} line_result;

/* Completes g_data_input_stream_read_line_async() into a line_result. */
static void line_cb(GObject *src, GAsyncResult *res, gpointer data)
{
    line_result *r = data;
    r->line = g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(src), res, NULL, NULL);
    r->done = TRUE;
}

/* Whether the line_result at data is complete. */
static gboolean line_done(gpointer data)
{
    return ((line_result *)data)->done;
}

char *ts_read_line(GDataInputStream *in, guint ms)
{
    line_result r = {0};
    g_data_input_stream_read_line_async(in, G_PRIORITY_DEFAULT, NULL, line_cb, &r);
    g_assert_true(ts_wait_for(line_done, &r, ms));
    return r.line;
}

GSubprocess *ts_spawn_http(const char *const *argv, guint ms, guint *port)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_set_child_setup(launcher, ts_die_with_parent, NULL, NULL);
    GSubprocess *proc = g_subprocess_launcher_spawnv(launcher, argv, &error);
    g_assert_no_error(error);
    g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    g_autofree char *line = ts_read_line(out, ms);
    g_assert_nonnull(line);
    const char *at = strstr(line, "http://127.0.0.1:");
    g_assert_nonnull(at);
    *port = (guint)g_ascii_strtoull(at + strlen("http://127.0.0.1:"), NULL, 10);
    return proc;
}

/* Completes g_subprocess_wait_async(): sets the gboolean at data. */
static void wait_cb(GObject *src, GAsyncResult *res, gpointer data)
{
    g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL);
    *(gboolean *)data = TRUE;
}

gboolean ts_wait_child(GSubprocess *proc, guint ms)
{
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    gboolean done = FALSE;
    g_subprocess_wait_async(proc, cancel, wait_cb, &done);
    gboolean exited = ts_wait_for(ts_flag_set, &done, ms);
    if (!exited) {
        /* The callback still points at done: let it run before returning. */
        g_cancellable_cancel(cancel);
        while (!done) {
            g_main_context_iteration(NULL, TRUE);
        }
    }
    return exited;
}

void ts_stop_child(GSubprocess *proc, const char *name, guint ms)
{
    g_subprocess_send_signal(proc, SIGTERM);
    if (!ts_wait_child(proc, ms)) {
        g_subprocess_force_exit(proc);
        g_error("%s did not stop within %u ms of SIGTERM", name, ms);
    }
    g_assert_true(g_subprocess_get_if_exited(proc));
    g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
}
