/* signaling/service: sites ↔ roster ↔ bridge. See service.h. */
#define G_LOG_DOMAIN "dc-signal"

#include "signaling/service.h"

#include <openssl/rand.h>

#include "common/log.h"

#include <string.h>

#include "signaling/auth.h"
#include "signaling/bridge-link.h"
#include "signaling/host.h"
#include "signaling/protocol.h"
#include "signaling/roster.h"
#include "signaling/session.h"
#include "signaling/metrics.h"
#include "signaling/stats.h"

/* WebSocket close codes of the site protocol (docs/protocol.md). */
#define CLOSE_REPLACED 4001
#define CLOSE_TOO_MANY 4002
#define CLOSE_LOST 4010

/* How often the bridge is asked for statistics (docs/control.md, "stats"). */
#define STATS_POLL_MS 1000

/* At most this many messages kept per site for a resumed connection (an
 * offer and the bridge's candidates after it). */
#define UNANSWERED_MAX 64

struct dc_service {
    const dc_config *cfg;
    dc_roster *roster;
    dc_bridge_link *link;
    char *instance_id; /* this process, sent in hello */
    char *bridge_id;   /* last bridge instance seen, NULL before the first */

    GPtrArray *sessions;    /* every open connection, owned (dc_session_free) */
    GHashTable *by_site;    /* site id → joined dc_session (borrowed) */
    GHashTable *bridge_has; /* site id → session id the bridge was given */
    GHashTable *unanswered; /* site id → GPtrArray of JSON texts: see keep_unanswered */

    dc_host *host;       /* the chair's control and the meeting record */
    dc_stats *stats;     /* the bridge's latest statistics and their history */
    guint stats_source;  /* the poll timer */
    int64_t stats_id;    /* id of the last stats request */
    bool stats_answered; /* a reply came since the last poll */

    dc_auth *auth;           /* credential checks: cache, throttle, workers */
    GHashTable *joining;     /* dc_session * → its pending_join (owned) */
    GHashTable *ever_joined; /* dc_session * that joined once (borrowed) */
    GHashTable *unjoined;    /* dc_session * never joined at the last sweep */
    guint join_sweep;
};

/* 128 bits from OpenSSL's CSPRNG as 32 hex digits: a session id is what a
 * resume presents (/ws?resume=ID), so it must not be guessable from ids seen
 * before (GLib's g_random_int is a Mersenne Twister). */
static char *random_id(void)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) {
        g_error("the system's random generator failed"); /* never: no entropy, no ids */
    }
    char *hex = g_malloc(2 * sizeof b + 1);
    for (size_t i = 0; i < sizeof b; i++) {
        g_snprintf(hex + 2 * i, 3, "%02x", b[i]);
    }
    return hex;
}

/* ------------------------------------------------------------------------ */
/* Toward the bridge                                                        */

static void bridge_add(dc_service *svc, const char *site, const char *session)
{
    g_autofree char *json =
        dc_protocol_endpoint_json("endpoint.add", svc->cfg->meeting_id, site, session);
    g_hash_table_remove(svc->unanswered, site);
    if (dc_bridge_link_send(svc->link, json)) {
        g_hash_table_replace(svc->bridge_has, g_strdup(site), g_strdup(session));
        dc_host_bridge_added(svc->host, site);
    }
}

static void bridge_remove(dc_service *svc, const char *site)
{
    const char *session = g_hash_table_lookup(svc->bridge_has, site);
    if (!session) {
        return;
    }
    g_autofree char *json =
        dc_protocol_endpoint_json("endpoint.remove", svc->cfg->meeting_id, site, session);
    dc_bridge_link_send(svc->link, json);
    g_hash_table_remove(svc->bridge_has, site);
    g_hash_table_remove(svc->unanswered, site);
}

/* Adds every present site. Called once per hello: the bridge holds no
 * endpoint of this meeting on a new link (docs/control.md, section 3). */
static void bridge_add_all(dc_service *svc)
{
    g_hash_table_remove_all(svc->bridge_has);
    for (size_t i = 0; i < dc_roster_size(svc->roster); i++) {
        dc_roster_entry e = dc_roster_entry_at(svc->roster, i);
        if (e.session && dc_host_has_media(svc->host, e.site->id)) {
            bridge_add(svc, e.site->id, e.session);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Toward the sites                                                         */

static void broadcast(dc_service *svc, const char *json)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, svc->by_site);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        dc_session_send(value, json);
    }
}

static void broadcast_roster(dc_service *svc)
{
    g_autofree char *json = dc_protocol_roster_json(svc->roster);
    broadcast(svc, json);
}

/* The joined connection of @site if @session is its current session (any
 * session when @session is NULL: a bridge that does not echo sessions). */
static dc_session *current(dc_service *svc, const char *site, const char *session)
{
    dc_session *s = site ? g_hash_table_lookup(svc->by_site, site) : NULL;
    return s && (!session || g_strcmp0(dc_session_id(s), session) == 0) ? s : NULL;
}

/* The last offer relayed to @site and the bridge's candidates after it,
 * kept until the site answers: a connection that died (with the site's
 * address) may have lost them, and a resumed one gets them again. */
static void keep_unanswered(dc_service *svc, const char *site, const char *json, bool offer)
{
    GPtrArray *msgs = g_hash_table_lookup(svc->unanswered, site);
    if (offer) {
        msgs = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_replace(svc->unanswered, g_strdup(site), msgs);
    }
    if (msgs && msgs->len < UNANSWERED_MAX) {
        g_ptr_array_add(msgs, g_strdup(json));
    }
}

static void send_unanswered(dc_service *svc, dc_session *s, const char *site)
{
    GPtrArray *msgs = g_hash_table_lookup(svc->unanswered, site);
    if (!msgs || msgs->len == 0) {
        return;
    }
    g_message("site=%s: the offer it has not answered sent again (%u messages)", site, msgs->len);
    for (guint i = 0; i < msgs->len; i++) {
        dc_session_send(s, msgs->pdata[i]);
    }
}

/* ------------------------------------------------------------------------ */
/* Site messages                                                            */

/* A join whose credential is being checked (signaling/auth); its session
 * is held meanwhile. */
typedef struct {
    dc_service *svc;
    dc_session *s;
    char *site, *role;
    dc_auth_job *job;
} pending_join;

static void pending_join_free(gpointer p)
{
    pending_join *pj = p;
    g_free(pj->site);
    g_free(pj->role);
    g_free(pj);
}

/* The rest of a join, once the credential is checked: the chair's lock and
 * removals (only for a site that proved its credential), then the roster's
 * admission. */
static void finish_join(dc_service *svc, dc_session *s, const char *site_id, const char *role,
                        bool credential_ok)
{
    const dc_config_site *cs = dc_config_find_site(svc->cfg, site_id);
    const char *why_not = NULL;
    const char *refused =
        cs && credential_ok
            ? dc_host_join_check(svc->host, cs->id, dc_roster_session(svc->roster, cs->id) != NULL,
                                 &why_not)
            : NULL;
    if (refused) {
        g_autofree char *shown = dc_log_escape(site_id, 64);
        g_message("join refused: site=%s peer=%s code=%s", shown, dc_session_peer(s), refused);
        dc_session_send_error(s, refused, NULL, why_not);
        return;
    }
    /* A connection that asks to resume the site's current session (the old
     * one died, e.g. with the site's address) keeps it: same session id,
     * same bridge endpoint, no new offer; the site restarts ICE itself. */
    const char *current_sid = dc_roster_session(svc->roster, site_id);
    bool resume = dc_session_resume(s) && g_strcmp0(dc_session_resume(s), current_sid) == 0;
    g_autofree char *sid = resume ? g_strdup(current_sid) : random_id();
    g_autofree char *replaced = NULL;
    dc_join_result r = dc_roster_join(svc->roster, site_id, credential_ok, role, sid, &replaced);
    if (r != DC_JOIN_OK) {
        static const char *const why[] = {
            [DC_JOIN_UNKNOWN_SITE] = "no site with this id in this meeting",
            [DC_JOIN_BAD_CREDENTIAL] = "wrong credential for this site",
            [DC_JOIN_ROLE_NOT_ALLOWED] = "this site may not join with that role",
            [DC_JOIN_MEETING_FULL] = "the meeting has as many sites as it allows",
        };
        g_autofree char *shown = dc_log_escape(site_id, 64);
        g_message("join refused: site=%s peer=%s code=%s", shown, dc_session_peer(s),
                  dc_join_result_code(r));
        dc_session_send_error(s, dc_join_result_code(r), dc_join_result_field(r), why[r]);
        return;
    }
    const dc_config_site *site = cs;
    if (replaced) {
        dc_session *old = g_hash_table_lookup(svc->by_site, site->id);
        if (resume) {
            g_message("site=%s session=%s resumed from %s", site->id, sid, dc_session_peer(s));
        } else {
            g_message("site=%s session=%s replaces session=%s (reconnect)", site->id, sid,
                      replaced);
        }
        if (old) {
            if (!resume) {
                g_autofree char *json = dc_protocol_simple_json("replaced");
                dc_session_send(old, json);
            }
            dc_session_set_joined(old, NULL, NULL);
            dc_session_close(old, CLOSE_REPLACED,
                             resume ? "resumed on a new connection"
                                    : "replaced by a new connection");
        }
    } else {
        g_message("site=%s session=%s joined from %s", site->id, sid, dc_session_peer(s));
    }
    dc_session_set_joined(s, site->id, sid);
    g_hash_table_add(svc->ever_joined, s);
    g_hash_table_replace(svc->by_site, g_strdup(site->id), s);

    g_autofree char *welcome = dc_protocol_welcome_json(svc->cfg, site, sid, svc->roster);
    dc_session_send(s, welcome);
    dc_host_joined(svc->host, site->id);
    broadcast_roster(svc);
    if (resume && g_strcmp0(g_hash_table_lookup(svc->bridge_has, site->id), sid) == 0 &&
        dc_bridge_link_is_ready(svc->link)) {
        send_unanswered(svc, s, site->id);
        return; /* the bridge keeps the endpoint */
    }
    if (!dc_host_has_media(svc->host, site->id)) {
        bridge_remove(svc, site->id); /* waits in the lobby */
    } else if (dc_bridge_link_is_ready(svc->link)) {
        bridge_remove(svc, site->id);
        bridge_add(svc, site->id, sid);
    } else {
        g_autofree char *json = dc_protocol_simple_json("bridge-restarting");
        dc_session_send(s, json);
    }
}

static void join_checked(void *user, bool ok)
{
    pending_join *pj = user;
    g_hash_table_steal(pj->svc->joining, pj->s);
    finish_join(pj->svc, pj->s, pj->site, pj->role, ok);
    dc_session_release(pj->s); /* the messages that came meanwhile */
    pending_join_free(pj);
}

static void on_join(dc_service *svc, dc_session *s, const dc_client_msg *m)
{
    if (dc_session_site(s)) {
        dc_session_send_error(s, "already-joined", NULL,
                              "this connection has already joined; send leave first");
        return;
    }
    const dc_config_site *cs = dc_config_find_site(svc->cfg, m->site);
    if (!cs) {
        finish_join(svc, s, m->site, m->role, false); /* unknown-site */
        return;
    }
    pending_join *pj = g_new0(pending_join, 1);
    pj->svc = svc;
    pj->s = s;
    pj->site = g_strdup(m->site);
    pj->role = g_strdup(m->role);
    g_autofree char *who = g_strdup_printf("site %s", cs->id);
    switch (dc_auth_check(svc->auth, cs->credential, m->credential, who, dc_session_address(s),
                          join_checked, pj, &pj->job)) {
    case DC_AUTH_PENDING:
        dc_session_hold(s);
        g_hash_table_insert(svc->joining, s, pj);
        return;
    case DC_AUTH_OK:
        finish_join(svc, s, pj->site, pj->role, true);
        break;
    case DC_AUTH_WRONG:
        finish_join(svc, s, pj->site, pj->role, false);
        break;
    case DC_AUTH_BUSY:
        dc_session_send_error(s, "busy", NULL,
                              "too many credential checks under way; try again in a few seconds");
        break;
    }
    pending_join_free(pj);
}

/* The joined site of @s leaves (message or closed connection). */
static void detach(dc_service *svc, dc_session *s, const char *how)
{
    g_autofree char *site = g_strdup(dc_session_site(s));
    g_autofree char *sid = g_strdup(dc_session_id(s));
    dc_session_set_joined(s, NULL, NULL);
    if (!site || !dc_roster_leave(svc->roster, site, sid)) {
        return;
    }
    g_message("site=%s session=%s %s", site, sid, how);
    dc_host_left(svc->host, site, how);
    g_hash_table_remove(svc->by_site, site);
    bridge_remove(svc, site);
    broadcast_roster(svc);
}

/* The bridge lost the site's media path (RFC 7675 consent expired: no
 * answer to its checks for 30 s): it has freed the endpoint. The site leaves
 * the roster; its connection, likely dead too, is closed (a site that comes
 * back rejoins). */
static void site_lost(dc_service *svc, dc_session *s)
{
    g_warning("site=%s session=%s lost (ICE consent expired)", dc_session_site(s),
              dc_session_id(s));
    dc_session_send_error(s, "lost", NULL, "the bridge lost this site's media path");
    detach(svc, s, "removed (lost)");
    dc_session_close(s, CLOSE_LOST, "media path lost");
}

static void on_site_message(void *user, dc_session *s, const dc_client_msg *m)
{
    dc_service *svc = user;
    if (m->type == DC_CLIENT_JOIN) {
        on_join(svc, s, m);
        return;
    }
    if (m->type == DC_CLIENT_PING) {
        /* The site's proof that this connection still carries messages
         * both ways (WebSocket pings are answered below the application,
         * and libsoup tells no one when a pong does not come). */
        g_autofree char *pong = dc_protocol_simple_json("pong");
        dc_session_send(s, pong);
        return;
    }
    const char *site = dc_session_site(s);
    if (!site) {
        dc_session_send_error(s, "not-joined", NULL, "send join first");
        return;
    }
    g_autofree char *json = NULL;
    switch (m->type) {
    case DC_CLIENT_ANSWER:
        g_hash_table_remove(svc->unanswered, site);
        json = dc_protocol_answer_json(svc->cfg->meeting_id, site, dc_session_id(s), m->sdp);
        break;
    case DC_CLIENT_CANDIDATE:
        json = dc_protocol_bridge_candidate_json(svc->cfg->meeting_id, site, dc_session_id(s),
                                                 &m->cand);
        break;
    case DC_CLIENT_ICE_RESTART:
        g_message("site=%s asks for an ICE restart", site);
        json = dc_protocol_ice_restart_json(svc->cfg->meeting_id, site, dc_session_id(s));
        break;
    case DC_CLIENT_LEAVE:
        detach(svc, s, "left");
        /* Not joined any more: the connection holds a pending slot again
         * and has [limits] join_timeout to rejoin (else a site's secret
         * would hold slots for good by joining and leaving). */
        g_hash_table_remove(svc->ever_joined, s);
        g_hash_table_remove(svc->unjoined, s);
        return;
    case DC_CLIENT_CHAIR:
        dc_host_command(svc->host, site, m);
        return;
    case DC_CLIENT_JOIN:
    case DC_CLIENT_PING:
        return;
    }
    /* While the link is down the bridge lost (or will renegotiate) this
     * transport anyway: a fresh offer follows when it is back. */
    if (!dc_bridge_link_send(svc->link, json)) {
        g_debug("site=%s: bridge link down, dropped a message", site);
    }
}

static void on_site_closed(void *user, dc_session *s)
{
    dc_service *svc = user;
    pending_join *pj = g_hash_table_lookup(svc->joining, s);
    if (pj) {
        dc_auth_cancel(svc->auth, pj->job);
        g_hash_table_remove(svc->joining, s);
    }
    g_hash_table_remove(svc->ever_joined, s);
    g_hash_table_remove(svc->unjoined, s);
    detach(svc, s, "disconnected");
    g_ptr_array_remove_fast(svc->sessions, s); /* frees s */
}

/* ---- the host's callbacks (signaling/host.h) ---- */

static void host_send_site(void *user, const char *site, const char *json)
{
    dc_session *s = current(user, site, NULL);
    if (s) {
        dc_session_send(s, json);
    }
}

static void host_broadcast(void *user, const char *json)
{
    broadcast(user, json);
}

static void host_roster_changed(void *user)
{
    broadcast_roster(user);
}

static bool host_bridge_send(void *user, const char *json)
{
    dc_service *svc = user;
    return dc_bridge_link_send(svc->link, json);
}

static void host_bridge_add(void *user, const char *site)
{
    dc_service *svc = user;
    const char *session = dc_roster_session(svc->roster, site);
    if (session && dc_bridge_link_is_ready(svc->link)) {
        g_autofree char *sid = g_strdup(session);
        bridge_remove(svc, site);
        bridge_add(svc, site, sid);
    }
}

static void host_disconnect(void *user, const char *site, const char *json, unsigned short code,
                            const char *reason)
{
    dc_service *svc = user;
    dc_session *s = current(svc, site, NULL);
    if (s) {
        dc_session_send(s, json);
        detach(svc, s, reason);
        dc_session_close(s, code, reason);
    }
}

static const dc_host_callbacks host_cb = {
    .send_site = host_send_site,
    .broadcast = host_broadcast,
    .roster_changed = host_roster_changed,
    .bridge_send = host_bridge_send,
    .bridge_add = host_bridge_add,
    .disconnect = host_disconnect,
};

static const dc_session_callbacks session_cb = {
    .message = on_site_message,
    .closed = on_site_closed,
};

/* ------------------------------------------------------------------------ */
/* Bridge messages                                                          */

static void on_bridge_ready(void *user, const char *bridge_id)
{
    dc_service *svc = user;
    if (svc->bridge_id && strcmp(svc->bridge_id, bridge_id) != 0) {
        g_warning("bridge restarted (instance %s → %s): rebuilding the meeting", svc->bridge_id,
                  bridge_id);
    } else if (svc->bridge_id) {
        g_message("control link back to the same bridge instance: rebuilding the meeting");
    }
    g_free(svc->bridge_id);
    svc->bridge_id = g_strdup(bridge_id);
    bridge_add_all(svc);
}

/* The bridge drops a meeting's endpoints when its control link closes: no
 * media until the link is back and every site has answered a new offer. */
static void on_bridge_down(void *user)
{
    dc_service *svc = user;
    g_hash_table_remove_all(svc->bridge_has);
    g_hash_table_remove_all(svc->unanswered);
    dc_stats_forget(svc->stats);
    g_autofree char *json = dc_protocol_simple_json("bridge-restarting");
    broadcast(svc, json);
    if (dc_roster_reset_states(svc->roster)) {
        broadcast_roster(svc);
    }
}

static void on_bridge_stats(void *user, const char *json, size_t len)
{
    dc_service *svc = user;
    g_autoptr(GError) e = NULL;
    if (!dc_stats_update(svc->stats, json, len, g_get_monotonic_time(), &e)) {
        g_warning("bridge: bad stats reply dropped: %s", e->message);
        return;
    }
    svc->stats_answered = true;
    dc_host_stats(svc->host, svc->stats);
}

/* Once a second: a history step of NaN when the last request went
 * unanswered, then the next request. */
static gboolean stats_poll_cb(gpointer data)
{
    dc_service *svc = data;
    if (!svc->stats_answered) {
        dc_stats_tick(svc->stats);
    }
    svc->stats_answered = false;
    g_autofree char *json =
        g_strdup_printf("{\"op\":\"stats\",\"id\":%" G_GINT64_FORMAT ",\"meeting\":\"%s\"}",
                        ++svc->stats_id, svc->cfg->meeting_id);
    dc_bridge_link_send(svc->link, json);
    return G_SOURCE_CONTINUE;
}

static void on_bridge_message(void *user, const dc_bridge_msg *m)
{
    dc_service *svc = user;
    if (m->type == DC_BRIDGE_STATS) {
        return; /* handled by on_bridge_stats */
    }
    if (m->meeting && strcmp(m->meeting, svc->cfg->meeting_id) != 0) {
        g_warning("bridge: message for meeting %s, not ours (%s); dropped", m->meeting,
                  svc->cfg->meeting_id);
        return;
    }
    dc_session *s = current(svc, m->endpoint, m->session);
    if (m->type == DC_BRIDGE_ERROR) {
        g_warning("bridge error: endpoint=%s session=%s: %s", m->endpoint ? m->endpoint : "-",
                  m->session ? m->session : "-", m->message);
        if (s) {
            dc_session_send_error(s, "bridge-error", NULL, m->message);
        }
        return;
    }
    if (!s) {
        g_debug("bridge: %s for stale session %s of %s dropped",
                m->type == DC_BRIDGE_OFFER ? "offer" : "message", m->session, m->endpoint);
        return;
    }
    g_autofree char *json = NULL;
    switch (m->type) {
    case DC_BRIDGE_OFFER:
        json = dc_protocol_offer_json(m);
        keep_unanswered(svc, m->endpoint, json, true);
        break;
    case DC_BRIDGE_CANDIDATE:
        json = dc_protocol_candidate_json(&m->cand);
        keep_unanswered(svc, m->endpoint, json, false);
        break;
    case DC_BRIDGE_STATE:
        if (strcmp(m->state_name, "lost") == 0) {
            site_lost(svc, s);
            return;
        }
        g_message("site=%s media %s", m->endpoint, m->state_name);
        if (dc_roster_set_state(svc->roster, m->endpoint, dc_session_id(s), m->state)) {
            broadcast_roster(svc);
        }
        return;
    default:
        return;
    }
    dc_session_send(s, json);
}

static const dc_bridge_link_callbacks bridge_cb = {
    .ready = on_bridge_ready,
    .down = on_bridge_down,
    .message = on_bridge_message,
    .stats = on_bridge_stats,
};

/* ------------------------------------------------------------------------ */
/* Lifetime                                                                 */

/* Closes the connections that were there, not joined, at the last sweep
 * (every [limits] join_timeout) and still are not: never joined, or left. */
static gboolean join_sweep_cb(gpointer data)
{
    dc_service *svc = data;
    g_autoptr(GPtrArray) late = g_ptr_array_new();
    for (guint i = 0; i < svc->sessions->len; i++) {
        dc_session *s = svc->sessions->pdata[i];
        /* A join being checked (maybe slowed down by the throttle, up to
         * 30 s) is not idle. */
        if (dc_session_site(s) || g_hash_table_contains(svc->ever_joined, s) ||
            dc_session_held(s)) {
            g_hash_table_remove(svc->unjoined, s);
            continue;
        }
        if (g_hash_table_remove(svc->unjoined, s)) {
            g_ptr_array_add(late, s);
        } else {
            g_hash_table_add(svc->unjoined, s);
        }
    }
    /* Closed after the walk: closing may remove a session from the array. */
    for (guint i = 0; i < late->len; i++) {
        g_message("closing %s: no join within %u s", dc_session_peer(late->pdata[i]),
                  svc->cfg->join_timeout_s);
        dc_session_close(late->pdata[i], CLOSE_TOO_MANY, "no join");
    }
    return G_SOURCE_CONTINUE;
}

dc_service *dc_service_new(const dc_config *cfg,
                           const uint8_t control_secret[DC_CONTROL_AUTH_SECRET_LEN])
{
    dc_service *svc = g_new0(dc_service, 1);
    svc->cfg = cfg;
    svc->roster = dc_roster_new(cfg);
    svc->instance_id = random_id();
    svc->sessions = g_ptr_array_new_with_free_func((GDestroyNotify)dc_session_free);
    svc->by_site = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    svc->bridge_has = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    svc->unanswered =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
    svc->stats = dc_stats_new(cfg);
    svc->auth = dc_auth_new(NULL);
    svc->joining = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pending_join_free);
    svc->ever_joined = g_hash_table_new(g_direct_hash, g_direct_equal);
    svc->unjoined = g_hash_table_new(g_direct_hash, g_direct_equal);
    svc->join_sweep = g_timeout_add_seconds(cfg->join_timeout_s, join_sweep_cb, svc);
    g_autoptr(GError) herr = NULL;
    svc->host = dc_host_new(cfg, cfg->record_path, svc->roster, &host_cb, svc, &herr);
    if (!svc->host) {
        g_critical("meeting record: %s; recording in memory only", herr->message);
        svc->host = dc_host_new(cfg, ":memory:", svc->roster, &host_cb, svc, NULL);
    }
    g_autofree char *url = dc_bridge_link_url(cfg->bridge_address, cfg->bridge_port);
    svc->link =
        dc_bridge_link_new(url, cfg->meeting_id, svc->instance_id, control_secret, &bridge_cb, svc);
    return svc;
}

void dc_service_start(dc_service *svc)
{
    dc_bridge_link_start(svc->link);
    if (!svc->stats_source) {
        svc->stats_source = g_timeout_add(STATS_POLL_MS, stats_poll_cb, svc);
    }
}

/* Open connections not joined (a join being checked, never joined, or
 * left): the pending-join slots in use; *@from_address gets those of
 * @address's key (dc_auth_address_key(): IPv6 by /64). Closing connections
 * hold none. */
static unsigned pending_joins(const dc_service *svc, const char *address, unsigned *from_address)
{
    g_autofree char *key = dc_auth_address_key(address);
    unsigned pending = 0;
    *from_address = 0;
    for (guint i = 0; i < svc->sessions->len; i++) {
        dc_session *o = svc->sessions->pdata[i];
        if (dc_session_site(o) || !dc_session_is_open(o)) {
            continue;
        }
        pending++;
        g_autofree char *k = dc_auth_address_key(dc_session_address(o));
        *from_address += strcmp(k, key) == 0;
    }
    return pending;
}

unsigned dc_service_pending_joins(const dc_service *svc)
{
    unsigned from_address;
    return pending_joins(svc, NULL, &from_address);
}

unsigned dc_service_connections(const dc_service *svc)
{
    return svc->sessions->len;
}

void dc_service_accept(dc_service *svc, SoupWebsocketConnection *conn, const char *peer,
                       const char *address, const char *resume)
{
    dc_session *s = dc_session_new(conn, peer, address, &session_cb, svc);
    dc_session_set_resume(s, resume);
    g_ptr_array_add(svc->sessions, s);
    /* Unjoined connections cost memory too: cap them well above what the
     * meeting can use (every site reconnecting a few times at once). */
    if (svc->sessions->len > 4 * svc->cfg->n_sites + 16) {
        g_warning("too many connections (%u); refusing %s", svc->sessions->len, peer);
        dc_session_close(s, CLOSE_TOO_MANY, "too many connections");
        return;
    }
    unsigned from_address = 0;
    unsigned pending = pending_joins(svc, dc_session_address(s), &from_address);
    if (from_address > svc->cfg->max_pending_joins_per_address) {
        g_warning("%u connections from %s have not joined ([limits] "
                  "max_pending_joins_per_address = %u); refusing %s",
                  from_address, address ? address : "?", svc->cfg->max_pending_joins_per_address,
                  peer);
        dc_session_close(s, CLOSE_TOO_MANY, "too many pending joins from this address");
    } else if (pending > svc->cfg->max_pending_joins) {
        g_warning("%u connections have not joined ([limits] max_pending_joins = %u); refusing %s",
                  pending, svc->cfg->max_pending_joins, peer);
        dc_session_close(s, CLOSE_TOO_MANY, "too many pending joins");
    }
}

unsigned dc_service_close_all(dc_service *svc)
{
    for (guint i = 0; i < svc->sessions->len; i++) {
        dc_session_close(g_ptr_array_index(svc->sessions, i), SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                         "server stopping");
    }
    return svc->sessions->len;
}

char *dc_service_roster_api_json(const dc_service *svc)
{
    return dc_protocol_api_roster_json(svc->cfg, svc->roster, dc_bridge_link_is_ready(svc->link));
}

const dc_config *dc_service_config(const dc_service *svc)
{
    return svc->cfg;
}

char *dc_service_stats_json(const dc_service *svc, const char *site)
{
    return dc_stats_api_json(svc->stats, svc->roster, site, dc_bridge_link_is_ready(svc->link),
                             g_get_monotonic_time());
}

dc_auth *dc_service_auth(dc_service *svc)
{
    return svc->auth;
}

char *dc_service_metrics_text(const dc_service *svc)
{
    g_autofree char *media = dc_metrics_text(
        svc->stats, svc->roster, dc_bridge_link_is_ready(svc->link), g_get_monotonic_time());
    return g_strdup_printf("%s"
                           "# HELP diemcau_signal_websockets Site WebSocket connections, "
                           "closing ones included.\n"
                           "# TYPE diemcau_signal_websockets gauge\n"
                           "diemcau_signal_websockets %u\n"
                           "# HELP diemcau_signal_pending_joins Open site connections not "
                           "joined (pending-join slots in use).\n"
                           "# TYPE diemcau_signal_pending_joins gauge\n"
                           "diemcau_signal_pending_joins %u\n",
                           media, dc_service_connections(svc), dc_service_pending_joins(svc));
}

void dc_service_free(dc_service *svc)
{
    if (!svc) {
        return;
    }
    g_clear_handle_id(&svc->stats_source, g_source_remove);
    g_clear_handle_id(&svc->join_sweep, g_source_remove);
    dc_auth_free(svc->auth); /* no callback after this */
    g_hash_table_destroy(svc->joining);
    dc_bridge_link_free(svc->link);
    dc_stats_free(svc->stats);
    dc_host_free(svc->host);
    g_hash_table_destroy(svc->by_site);
    g_ptr_array_free(svc->sessions, TRUE);
    g_hash_table_destroy(svc->ever_joined);
    g_hash_table_destroy(svc->unjoined);
    g_hash_table_destroy(svc->bridge_has);
    g_hash_table_destroy(svc->unanswered);
    dc_roster_free(svc->roster);
    g_free(svc->instance_id);
    g_free(svc->bridge_id);
    g_free(svc);
}
