/* signal-fixture: the harness of the diemcau-signal end-to-end tests
 * (test-signal.c, test-signal-chair.c): the real binary on a free port with
 * a temporary config, sites over WebSocket with libsoup's client, and an
 * in-test stand-in for the bridge's control link
 * (ws://127.0.0.1:PORT/control) that answers hello with a bridge instance id
 * the test can change. Every wait is bounded (WAIT_MS); teardown stops the
 * service with SIGTERM and requires a clean exit (status 0: under ASan that
 * also means no leak in the service). */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

/* Bounded waits (ts_wait_for, ts_run_for) and the child and socket helpers. */
#include "test-support.h"

#define WAIT_MS 4000
#define QUIET_MS 250

/* The sites' secrets, and what the config keeps of them: scrypt hashes
 * (diemcau-ctl credential SITE --stdin --cost 4096). */
#define CRED_TINH "tinh-secret-0001"
#define CRED_CAN_LOC "canloc-secret-02"
#define CRED_DUC_THO "ductho-secret-03"
#define HASH_TINH                                                                                  \
    "scrypt$4096$8$1$29s2f7KcXWMJZP4U03dmhA==$Gnkhx00k0y8OuCBYrq/pa9+K6ZrlaGsymKh/XrY3lGk="
#define HASH_CAN_LOC                                                                               \
    "scrypt$4096$8$1$1Y+b35JZbxD+kSHBMOtwrA==$YyEoga85zs5TvvdHkZmn9MOWagz5QRCy9gv2U/X7LO8="
#define HASH_DUC_THO                                                                               \
    "scrypt$4096$8$1$OliGihtCY6jxkhkKjqUzGQ==$qr1qE0NaKbYKv8L1uvk0HUmNeoFbwobsfUPO9CqWiAo="

typedef struct {
    GQueue q;        /* JsonObject* */
    const char *tag; /* "type" or "op" */
    const char *want;
} inbox;

typedef struct {
    SoupWebsocketConnection *conn;
    inbox in;
    gboolean closed;
    gushort close_code;
} site;

typedef struct {
    char *dir;
    char *config;
    SoupSession *http;

    SoupServer *bridge;            /* the stand-in for diemcau-bridge */
    SoupWebsocketConnection *link; /* the service's control link, when up */
    char *link_auth;               /* its upgrade's Authorization header */
    inbox bridge_in;               /* every op the service sent */
    const char *bridge_id;         /* answered to hello */
    guint hellos;

    /* Set before setup() (test-signal-limits.c): more [signaling] keys, and
     * the service's RLIMIT_NOFILE (started through prlimit); NULL: none. */
    const char *signaling_extra;
    const char *nofile;

    GSubprocess *proc;
    char *base; /* http://127.0.0.1:PORT */
    char *ws_url;
} fixture;

/* The diemcau-signal binary: argv[1] of the test, else $DC_SIGNAL_BIN. */
extern const char *signal_bin;

/* JSON: a parsed object (NULL if not one); a string member or NULL. */
JsonObject *parse_obj(const char *text, gsize len);
const char *str_of(JsonObject *o, const char *key);

/* What a site or the stand-in bridge received, by "type" or "op": take the
 * oldest of a kind (waiting up to ms), drop all, count. */
gboolean inbox_has(gpointer data);
JsonObject *inbox_take(inbox *b, const char *want, guint ms);
void inbox_clear(inbox *b);
guint inbox_count(inbox *b, const char *want);
/* A site's WebSocket: closed yet, free, send a JSON text, take the next
 * message of a type (waiting WAIT_MS; fails the test if none). */
gboolean site_closed(gpointer data);
void site_free(site *s);
void site_send(site *s, const char *json);
JsonObject *site_take(site *s, const char *type);
/* The stand-in bridge: send on the control link, take the next op. */
void bridge_send(fixture *f, const char *json);
JsonObject *bridge_take(fixture *f, const char *op);
/* GTest fixture: data is extra [meeting] config text (or NULL). */
void setup(fixture *f, gconstpointer data);
void teardown(fixture *f, gconstpointer data);
/* Sites: open a WebSocket (to a URL, or the service's /ws), or open and
 * join as id with cred (the session id into *session when not NULL). */
site *site_open_url(fixture *f, const char *url);
site *site_open(fixture *f);
/* The same through another client session (e.g. bound to 127.0.0.2). */
site *site_open_with(fixture *f, SoupSession *http);
site *site_join(fixture *f, const char *id, const char *cred, char **session);
/* Checks on what the service sent: a roster message's entry for id, its
 * presence and state, and the bridge op for a site's endpoint. */
JsonObject *roster_entry(JsonObject *msg, const char *id);
void assert_present(JsonObject *msg, const char *id, gboolean present, const char *state);
void expect_endpoint_op(fixture *f, const char *op, const char *site_id, const char *session);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(site, site_free)
