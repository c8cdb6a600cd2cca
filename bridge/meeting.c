/* meeting: endpoints, router and renegotiation of one meeting on its worker.
 * See meeting.h. */
#include "bridge/meeting.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "bridge/endpoint.h"
#include "bridge/offer.h"
#include "bridge/router.h"
#include "bridge/timer.h"
#include "core/quality.h"

#define REOFFER_DEBOUNCE_US 200000
#define STATS_LOG_INTERVAL_S 5
#define ICE_RESTART_MIN_INTERVAL_US 1000000

typedef struct {
    dc_meeting *m;
    unsigned index;
    dc_endpoint *ep; /* NULL when the site is absent */
    char *session;
    uint64_t origin_id;
    uint64_t version;
    bool offered;        /* an offer went out on this session */
    bool answer_pending; /* ... and its answer has not come */
    bool offer_queued;   /* another offer is due once it comes */
    bool reoffer_armed;
    bool restart_queued;     /* an ICE restart is due once the answer comes */
    bool restart_offered;    /* the pending offer is an ICE restart's */
    int64_t last_restart_us; /* when the last ICE restart was made */
    /* Local candidates (and "" for their end) gathered before this
     * session's first offer went out: sent right after it, so that a site
     * never gets a candidate for a transport it has no description of. */
    GPtrArray *early_candidates;
    /* A refused remote candidate was reported to the site this session. */
    bool candidate_error_sent;
    dc_timer *offer_timer;
    dc_timer *drop_timer;    /* frees a lost endpoint outside libnice's callback */
    dc_timer *restart_timer; /* an ICE restart of ours, outside libnice's callback */
} meeting_site;

struct dc_meeting {
    char *id;
    dc_meeting_env env;
    dc_meeting_callbacks cb;
    void *user;
    unsigned n_sites;
    const char **site_ids;
    meeting_site *sites;
    dc_router *router;
    dc_timer *router_timer;
    GSource *stats_source;
    dc_router_stats last_stats;
    uint64_t last_direct, last_nice; /* the endpoints' sent_direct, sent_nice */
};

/* ---- messages to the signaling service ---- */

/* session: the one the message is about; NULL = the site's current one. */
static JsonBuilder *msg_begin_session(dc_meeting *m, const char *op, unsigned site,
                                      const char *session)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "op");
    json_builder_add_string_value(b, op);
    json_builder_set_member_name(b, "meeting");
    json_builder_add_string_value(b, m->id);
    json_builder_set_member_name(b, "endpoint");
    json_builder_add_string_value(b, m->site_ids[site]);
    /* The signaling service drops messages of a replaced session. */
    if (!session)
        session = m->sites[site].session;
    if (session) {
        json_builder_set_member_name(b, "session");
        json_builder_add_string_value(b, session);
    }
    return b;
}

static JsonBuilder *msg_begin(dc_meeting *m, const char *op, unsigned site)
{
    return msg_begin_session(m, op, site, NULL);
}

static void msg_end(dc_meeting *m, JsonBuilder *b)
{
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_object_unref(b);
    m->cb.emit(m->user, m->id, json_to_string(root, FALSE));
}

static void emit_state(dc_meeting *m, unsigned site, const char *state)
{
    JsonBuilder *b = msg_begin(m, "endpoint.state", site);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, state);
    msg_end(m, b);
}

static void emit_error_session(dc_meeting *m, unsigned site, const char *session,
                               const char *message)
{
    g_warning("meeting %s site %s: %s", m->id, m->site_ids[site], message);
    JsonBuilder *b = msg_begin_session(m, "error", site, session);
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message);
    msg_end(m, b);
}

static void emit_error(dc_meeting *m, unsigned site, const char *message)
{
    emit_error_session(m, site, NULL, message);
}

/* Whether session is the site's current one (the endpoint's). A command for
 * another (a late one of a replaced join, or a forged one) must not touch
 * the endpoint. */
static bool session_current(dc_meeting *m, unsigned site, const char *session)
{
    const meeting_site *ms = &m->sites[site];
    if (ms->ep && ms->session && session && strcmp(ms->session, session) == 0)
        return true;
    g_message("meeting %s site %s: a command for session %s, not the current %s", m->id,
              m->site_ids[site], session ? session : "-",
              ms->ep && ms->session ? ms->session : "(none)");
    return false;
}

/* ---- router glue ---- */

static void router_rearm(dc_meeting *m)
{
    dc_timer_set(m->router_timer, dc_router_next_timeout(m->router));
}

static void router_send(void *user, unsigned site, const uint8_t *buf, size_t len, bool is_rtcp)
{
    dc_meeting *m = user;
    if (m->sites[site].ep)
        dc_endpoint_send(m->sites[site].ep, buf, len, is_rtcp);
}

static void router_timeout(void *user, int64_t now_us)
{
    dc_meeting *m = user;
    dc_router_handle_timeout(m->router, now_us);
    router_rearm(m);
}

static gboolean stats_log(gpointer data)
{
    dc_meeting *m = data;
    dc_router_stats s, *p = &m->last_stats;
    dc_router_get_stats(m->router, &s);
    if (s.rtp_in != p->rtp_in || s.malformed != p->malformed)
        g_message("meeting %s: last %ds: rtp in %" G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT
                  ", nack in %" G_GUINT64_FORMAT " resent %" G_GUINT64_FORMAT
                  " out %" G_GUINT64_FORMAT ", keyframe req in %" G_GUINT64_FORMAT
                  " out %" G_GUINT64_FORMAT ", dropped malformed %" G_GUINT64_FORMAT
                  " unknown %" G_GUINT64_FORMAT,
                  m->id, STATS_LOG_INTERVAL_S, s.rtp_in - p->rtp_in, s.rtp_out - p->rtp_out,
                  s.nack_in - p->nack_in, s.nack_resent - p->nack_resent, s.nack_out - p->nack_out,
                  s.keyframe_req_in - p->keyframe_req_in, s.keyframe_req_out - p->keyframe_req_out,
                  s.malformed - p->malformed, s.unknown - p->unknown);
    *p = s;
    /* How the packets left: the worker's queue (one sendmmsg per
     * destination and wake-up) or one nice_agent_send each. */
    uint64_t direct = 0, nice = 0, failed = 0;
    for (unsigned i = 0; i < m->n_sites; i++) {
        dc_endpoint_stats es;
        if (!m->sites[i].ep)
            continue;
        dc_endpoint_get_stats(m->sites[i].ep, &es);
        direct += es.sent_direct;
        nice += es.sent_nice;
        failed += es.send_failed;
    }
    if (direct != m->last_direct || nice != m->last_nice) {
        dc_sendq_stats q = {0};
        if (m->env.sendq)
            dc_sendq_get_stats(m->env.sendq, &q);
        g_message("meeting %s: last %ds: sent %" G_GUINT64_FORMAT " queued, %" G_GUINT64_FORMAT
                  " through libnice, %" G_GUINT64_FORMAT " failed (present sites' sessions); "
                  "worker queue since start: %" G_GUINT64_FORMAT " datagrams in %" G_GUINT64_FORMAT
                  " sendmmsg, %" G_GUINT64_FORMAT " failed",
                  m->id, STATS_LOG_INTERVAL_S, direct - MIN(direct, m->last_direct),
                  nice - MIN(nice, m->last_nice), failed, q.datagrams, q.calls, q.failed);
    }
    m->last_direct = direct;
    m->last_nice = nice;
    return G_SOURCE_CONTINUE;
}

/* ---- offers ---- */

static void emit_candidate(meeting_site *ms, const char *candidate)
{
    JsonBuilder *b = msg_begin(ms->m, "candidate", ms->index);
    json_builder_set_member_name(b, "candidate");
    json_builder_add_string_value(b, candidate);
    json_builder_set_member_name(b, "sdpMid");
    json_builder_add_string_value(b, "0");
    json_builder_set_member_name(b, "sdpMLineIndex");
    json_builder_add_int_value(b, 0);
    msg_end(ms->m, b);
}

static void send_offer(meeting_site *ms)
{
    dc_meeting *m = ms->m;
    bool *present = g_new0(bool, m->n_sites);
    for (unsigned i = 0; i < m->n_sites; i++)
        present[i] = m->sites[i].ep != NULL;
    dc_offer_desc d = {
        .site_ids = m->site_ids,
        .n_sites = m->n_sites,
        .receiver = ms->index,
        .present = present,
        .router = m->router,
        .origin_id = ms->origin_id,
        .version = ++ms->version,
        .ice_ufrag = dc_endpoint_ice_ufrag(ms->ep),
        .ice_pwd = dc_endpoint_ice_pwd(ms->ep),
        .fingerprint = dc_dtls_cert_fingerprint(m->env.cert),
    };
    GArray *streams = g_array_new(FALSE, FALSE, sizeof(dc_offer_stream));
    g_autofree char *sdp = dc_offer_build(&d, streams);
    g_free(present);

    JsonBuilder *b = msg_begin(m, "offer", ms->index);
    json_builder_set_member_name(b, "sdp");
    json_builder_add_string_value(b, sdp);
    json_builder_set_member_name(b, "streams");
    json_builder_begin_array(b);
    for (guint i = 0; i < streams->len; i++) {
        const dc_offer_stream *st = &g_array_index(streams, dc_offer_stream, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "mid");
        json_builder_add_string_value(b, st->mid);
        json_builder_set_member_name(b, "site");
        json_builder_add_string_value(b, m->site_ids[st->site]);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, st->kind == DC_ROUTER_AUDIO ? "audio" : "video");
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    msg_end(m, b);
    g_array_unref(streams);
    ms->offered = true;
    ms->answer_pending = true;
    ms->offer_queued = false;
    ms->restart_offered = false;
    for (guint i = 0; i < ms->early_candidates->len; i++)
        emit_candidate(ms, ms->early_candidates->pdata[i]);
    g_ptr_array_set_size(ms->early_candidates, 0);
}

static void offer_timeout(void *user, int64_t now_us)
{
    meeting_site *ms = user;
    ms->reoffer_armed = false;
    if (!ms->ep)
        return;
    if (ms->answer_pending)
        ms->offer_queued = true;
    else
        send_offer(ms);
}

/* A site joined or left: every other present site gets a new offer, ~200 ms
 * later so that a burst of changes makes one offer. */
static void schedule_reoffers(dc_meeting *m, unsigned changed)
{
    int64_t at = g_get_monotonic_time() + REOFFER_DEBOUNCE_US;
    for (unsigned i = 0; i < m->n_sites; i++) {
        meeting_site *ms = &m->sites[i];
        if (i == changed || !ms->ep || !ms->offered || ms->reoffer_armed)
            continue;
        ms->reoffer_armed = true;
        dc_timer_set(ms->offer_timer, at);
    }
}

/* ---- endpoint callbacks ---- */

/* libnice gathers host candidates inside dc_endpoint_new(), before the
 * session's first offer exists: those wait for it (send_offer()). */
static void ep_candidate(void *user, const char *candidate)
{
    meeting_site *ms = user;
    if (!ms->offered)
        g_ptr_array_add(ms->early_candidates, g_strdup(candidate));
    else
        emit_candidate(ms, candidate);
}

static void ep_state(void *user, dc_endpoint_state state, const char *why)
{
    meeting_site *ms = user;
    if (state == DC_ENDPOINT_CONNECTED) {
        g_message("meeting %s site %s: connected", ms->m->id, ms->m->site_ids[ms->index]);
        emit_state(ms->m, ms->index, "connected");
        dc_router_site_ready(ms->m->router, ms->index, g_get_monotonic_time());
        router_rearm(ms->m);
    } else if (state == DC_ENDPOINT_FAILED) {
        g_warning("meeting %s site %s: failed: %s", ms->m->id, ms->m->site_ids[ms->index],
                  why ? why : "?");
        emit_state(ms->m, ms->index, "failed");
    } else if (state == DC_ENDPOINT_CLOSED) {
        /* A site that leaves says so on DTLS before its leave arrives:
         * a normal end, not a fault. */
        g_message("meeting %s site %s: closed by the site: %s", ms->m->id,
                  ms->m->site_ids[ms->index], why ? why : "?");
        emit_state(ms->m, ms->index, "closed");
    } else if (state == DC_ENDPOINT_LOST) {
        g_warning("meeting %s site %s: lost: %s", ms->m->id, ms->m->site_ids[ms->index],
                  why ? why : "?");
        /* Stop sending at once; free the endpoint on the next iteration. */
        dc_router_site_stop(ms->m->router, ms->index);
        router_rearm(ms->m);
        emit_state(ms->m, ms->index, "lost");
        dc_timer_set(ms->drop_timer, g_get_monotonic_time());
    }
}

static void drop_timeout(void *user, int64_t now_us)
{
    meeting_site *ms = user;
    if (!ms->ep || dc_endpoint_get_state(ms->ep) != DC_ENDPOINT_LOST)
        return;
    dc_endpoint_free(ms->ep);
    ms->ep = NULL;
    ms->offered = ms->answer_pending = ms->offer_queued = ms->restart_queued = false;
    g_message("meeting %s site %s: endpoint freed (consent lost)", ms->m->id,
              ms->m->site_ids[ms->index]);
    schedule_reoffers(ms->m, ms->index);
}

static void ep_rtp(void *user, const uint8_t *buf, size_t len, int64_t now_us)
{
    meeting_site *ms = user;
    dc_router_receive_rtp(ms->m->router, ms->index, buf, len, now_us);
    router_rearm(ms->m);
}

static void ep_rtcp(void *user, const uint8_t *buf, size_t len, int64_t now_us)
{
    meeting_site *ms = user;
    dc_router_receive_rtcp(ms->m->router, ms->index, buf, len, now_us);
    router_rearm(ms->m);
}

static void ep_pair_failed(void *user)
{
    meeting_site *ms = user;
    dc_timer_set(ms->restart_timer, g_get_monotonic_time());
}

static void restart_timeout(void *user, int64_t now_us)
{
    meeting_site *ms = user;
    if (!ms->ep || dc_endpoint_get_state(ms->ep) != DC_ENDPOINT_CONNECTED)
        return;
    g_message("meeting %s site %s: its pair failed: the bridge restarts ICE", ms->m->id,
              ms->m->site_ids[ms->index]);
    dc_meeting_ice_restart(ms->m, ms->m->site_ids[ms->index], ms->session);
}

static const dc_endpoint_callbacks ep_callbacks = {
    .candidate = ep_candidate,
    .state = ep_state,
    .rtp = ep_rtp,
    .rtcp = ep_rtcp,
    .pair_failed = ep_pair_failed,
};

/* ---- lifecycle and commands ---- */

dc_meeting *dc_meeting_new(const char *id, const dc_meeting_env *env,
                           const dc_meeting_callbacks *cb, void *user)
{
    dc_meeting *m = g_new0(dc_meeting, 1);
    m->id = g_strdup(id);
    m->env = *env;
    m->cb = *cb;
    m->user = user;
    m->n_sites = (unsigned)MIN(env->config->n_sites, DC_ROUTER_MAX_SITES);
    m->site_ids = g_new0(const char *, m->n_sites);
    m->sites = g_new0(meeting_site, m->n_sites);
    for (unsigned i = 0; i < m->n_sites; i++) {
        m->site_ids[i] = env->config->sites[i].id;
        m->sites[i].m = m;
        m->sites[i].index = i;
        m->sites[i].offer_timer = dc_timer_new(env->ctx, offer_timeout, &m->sites[i]);
        m->sites[i].drop_timer = dc_timer_new(env->ctx, drop_timeout, &m->sites[i]);
        m->sites[i].restart_timer = dc_timer_new(env->ctx, restart_timeout, &m->sites[i]);
        m->sites[i].early_candidates = g_ptr_array_new_with_free_func(g_free);
    }
    dc_router_callbacks rcb = {.send = router_send};
    m->router = dc_router_new(m->n_sites, g_random_int() | (uint64_t)g_random_int() << 32,
                              g_get_real_time() - g_get_monotonic_time(), &rcb, m);
    m->router_timer = dc_timer_new(env->ctx, router_timeout, m);
    m->stats_source = g_timeout_source_new_seconds(STATS_LOG_INTERVAL_S);
    g_source_set_callback(m->stats_source, stats_log, m, NULL);
    g_source_attach(m->stats_source, env->ctx);
    return m;
}

void dc_meeting_free(dc_meeting *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->n_sites; i++) {
        dc_endpoint_free(m->sites[i].ep);
        dc_timer_free(m->sites[i].offer_timer);
        dc_timer_free(m->sites[i].drop_timer);
        dc_timer_free(m->sites[i].restart_timer);
        g_free(m->sites[i].session);
        g_ptr_array_unref(m->sites[i].early_candidates);
    }
    g_source_destroy(m->stats_source);
    g_source_unref(m->stats_source);
    dc_timer_free(m->router_timer);
    dc_router_free(m->router);
    g_free(m->sites);
    g_free(m->site_ids);
    g_free(m->id);
    g_free(m);
}

const char *dc_meeting_id(const dc_meeting *m)
{
    return m->id;
}

/* The index of a configured site, or -1 (an error is emitted for the
 * caller's endpoint name when it is not configured). */
static int site_index(dc_meeting *m, const char *site)
{
    for (unsigned i = 0; i < m->n_sites; i++)
        if (site && strcmp(m->site_ids[i], site) == 0)
            return (int)i;
    g_warning("meeting %s: unknown site \"%s\"", m->id, site ? site : "");
    return -1;
}

void dc_meeting_endpoint_add(dc_meeting *m, const char *site, const char *session)
{
    int i = site_index(m, site);
    if (i < 0)
        return;
    meeting_site *ms = &m->sites[i];
    bool joined = ms->ep == NULL;
    dc_endpoint_free(ms->ep);
    ms->ep = NULL;
    g_free(ms->session);
    ms->session = g_strdup(session);
    ms->offered = ms->answer_pending = ms->offer_queued = ms->restart_queued = false;
    ms->last_restart_us = 0;
    ms->candidate_error_sent = false;
    g_ptr_array_set_size(ms->early_candidates, 0);
    ms->origin_id = (((uint64_t)g_random_int() << 32) | g_random_int()) >> 1;
    ms->version = 0;
    dc_endpoint_config cfg = {
        .ctx = m->env.ctx,
        .cert = m->env.cert,
        .port_min = m->env.config->udp_port_min,
        .port_max = m->env.config->udp_port_max,
        .local_addresses = (const char *const *)m->env.config->local_addresses,
        .sendq = m->env.sendq,
    };
    g_autoptr(GError) error = NULL;
    ms->ep = dc_endpoint_new(&cfg, &ep_callbacks, ms, &error);
    if (!ms->ep) {
        dc_router_site_stop(m->router, (unsigned)i);
        emit_error(m, (unsigned)i, error->message);
        emit_state(m, (unsigned)i, "failed");
        if (!joined)
            schedule_reoffers(m, (unsigned)i);
        return;
    }
    g_message("meeting %s site %s: %s session %s", m->id, site, joined ? "new" : "replaced",
              session ? session : "-");
    dc_router_site_start(m->router, (unsigned)i, g_get_monotonic_time());
    router_rearm(m);
    emit_state(m, (unsigned)i, "connecting");
    send_offer(ms);
    if (joined)
        schedule_reoffers(m, (unsigned)i);
}

/* New ICE credentials for the site's stream, then an offer that carries them
 * (same mids, fingerprint and SSRCs) and our candidates again. */
static void restart_ice(meeting_site *ms)
{
    dc_meeting *m = ms->m;
    ms->restart_queued = false;
    ms->last_restart_us = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    if (!dc_endpoint_restart_ice(ms->ep, &error)) {
        emit_error(m, ms->index, error->message);
        return;
    }
    g_message("meeting %s site %s: ICE restart (new ufrag %s)", m->id, m->site_ids[ms->index],
              dc_endpoint_ice_ufrag(ms->ep));
    send_offer(ms);
    ms->restart_offered = true;
    dc_endpoint_emit_local_candidates(ms->ep);
}

void dc_meeting_ice_restart(dc_meeting *m, const char *site, const char *session)
{
    int i = site_index(m, site);
    if (i < 0)
        return;
    meeting_site *ms = &m->sites[i];
    if (!ms->ep) {
        emit_error_session(m, (unsigned)i, session, "ice-restart for a site without an endpoint");
        return;
    }
    if (!session_current(m, (unsigned)i, session)) {
        emit_error_session(m, (unsigned)i, session,
                           "ice-restart for a session that is not current");
        return;
    }
    /* Requests held up together (e.g. in TCP during a cut) make one. */
    if (ms->restart_queued || (ms->answer_pending && ms->restart_offered))
        return;
    if (ms->answer_pending) {
        ms->restart_queued = true; /* after this answer: one offer at a time */
        return;
    }
    if (ms->last_restart_us &&
        g_get_monotonic_time() - ms->last_restart_us < ICE_RESTART_MIN_INTERVAL_US) {
        g_message("meeting %s site %s: ICE restart asked again within 1 s: ignored", m->id, site);
        return;
    }
    restart_ice(ms);
}

void dc_meeting_answer(dc_meeting *m, const char *site, const char *session, const char *sdp)
{
    int i = site_index(m, site);
    if (i < 0)
        return;
    meeting_site *ms = &m->sites[i];
    if (ms->ep && !session_current(m, (unsigned)i, session)) {
        emit_error_session(m, (unsigned)i, session, "answer for a session that is not current");
        return;
    }
    if (!ms->ep || !ms->answer_pending) {
        emit_error_session(m, (unsigned)i, session, "answer without a pending offer");
        return;
    }
    dc_router_site_params *p = g_new0(dc_router_site_params, 1);
    dc_offer_remote remote = {0};
    g_autoptr(GError) error = NULL;
    if (!sdp || !dc_offer_parse_answer(sdp, (unsigned)i, m->n_sites, p, &remote, &error)) {
        emit_error(m, (unsigned)i, error ? error->message : "answer without sdp");
        g_free(p);
        return;
    }
    ms->answer_pending = false;
    if (ms->version == 1 && p->recv[DC_ROUTER_VIDEO].active && !p->recv[DC_ROUTER_VIDEO].fb_nack)
        g_message("meeting %s site %s: its answer has no nack on its video: its losses are "
                  "repaired by keyframes (PLI) only",
                  m->id, site);
    dc_router_site_set_params(m->router, (unsigned)i, p);
    g_free(p);
    if (!dc_endpoint_set_remote(ms->ep, remote.ice_ufrag, remote.ice_pwd, remote.fingerprint,
                                remote.dtls_server, &error)) {
        emit_error(m, (unsigned)i, error->message);
    } else {
        for (guint c = 0; c < remote.candidates->len; c++) {
            g_autoptr(GError) cerr = NULL;
            dc_endpoint_add_remote_candidate(ms->ep, remote.candidates->pdata[c], &cerr);
        }
    }
    dc_offer_remote_clear(&remote);
    router_rearm(m);
    if (ms->restart_queued)
        restart_ice(ms);
    else if (ms->offer_queued)
        send_offer(ms);
}

void dc_meeting_candidate(dc_meeting *m, const char *site, const char *session,
                          const char *candidate)
{
    int i = site_index(m, site);
    if (i < 0)
        return;
    if (!session_current(m, (unsigned)i, session))
        return;
    meeting_site *ms = &m->sites[i];
    g_autoptr(GError) error = NULL;
    if (dc_endpoint_add_remote_candidate(ms->ep, candidate, &error))
        return;
    /* One error per session: a site without BUNDLE trickles a candidate
     * set per m-line (hundreds), each past the limit refused alike. */
    if (!ms->candidate_error_sent)
        emit_error(m, (unsigned)i, error->message);
    ms->candidate_error_sent = true;
}

void dc_meeting_endpoint_remove(dc_meeting *m, const char *site, const char *session)
{
    int i = site_index(m, site);
    if (i < 0)
        return;
    if (!session_current(m, (unsigned)i, session))
        return;
    meeting_site *ms = &m->sites[i];
    dc_endpoint_free(ms->ep);
    ms->ep = NULL;
    ms->offered = ms->answer_pending = ms->offer_queued = false;
    dc_router_site_stop(m->router, (unsigned)i);
    router_rearm(m);
    g_message("meeting %s site %s: removed", m->id, site);
    emit_state(m, (unsigned)i, "closed");
    schedule_reoffers(m, (unsigned)i);
}

/* ---- the chair ---- */

void dc_meeting_mute(dc_meeting *m, const char *site, int audio, int video)
{
    int i = site_index(m, site);
    if (i < 0)
        return;
    int64_t now = g_get_monotonic_time();
    if (audio >= 0)
        dc_router_site_set_mute(m->router, (unsigned)i, DC_ROUTER_AUDIO, audio == 1, now);
    if (video >= 0)
        dc_router_site_set_mute(m->router, (unsigned)i, DC_ROUTER_VIDEO, video == 1, now);
    router_rearm(m);
    g_message("meeting %s site %s: audio %s, video %s", m->id, site,
              dc_router_site_is_muted(m->router, (unsigned)i, DC_ROUTER_AUDIO) ? "muted" : "on",
              dc_router_site_is_muted(m->router, (unsigned)i, DC_ROUTER_VIDEO) ? "muted" : "on");
}

void dc_meeting_floor(dc_meeting *m, const char *site)
{
    int i = site ? site_index(m, site) : -1;
    dc_router_set_floor(m->router, i);
    g_message("meeting %s: floor %s", m->id, i >= 0 ? site : "none");
}

/* ---- stats ---- */

static void member_uint(JsonBuilder *b, const char *name, uint64_t v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, (gint64)MIN(v, (uint64_t)G_MAXINT64));
}

/* A double rounded to 3 decimals (so that JSON stays short). */
static void member_double(JsonBuilder *b, const char *name, double v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_double_value(b, (double)(int64_t)(v * 1000 + (v < 0 ? -0.5 : 0.5)) / 1000);
}

static void member_rtt(JsonBuilder *b, int64_t rtt_us)
{
    json_builder_set_member_name(b, "rtt_ms");
    if (rtt_us < 0)
        json_builder_add_null_value(b);
    else
        json_builder_add_double_value(b, (double)(rtt_us / 100) / 10);
}

static void add_medium(JsonBuilder *b, const char *name, const dc_router_medium_stats *x,
                       int64_t rtt_us, bool up_video)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    member_uint(b, "packets", x->packets);
    member_uint(b, "bytes", x->bytes);
    member_uint(b, "bitrate_1s", x->bitrate_1s);
    member_uint(b, "bitrate_10s", x->bitrate_10s);
    member_double(b, "loss", x->loss);
    member_uint(b, "lost", x->lost);
    member_double(b, "jitter_ms", x->jitter_ms);
    member_rtt(b, rtt_us);
    member_uint(b, "nacks", x->nacks);
    member_uint(b, "retransmissions", x->retransmissions);
    member_uint(b, "pli", x->pli);
    member_uint(b, "fir", x->fir);
    if (up_video) {
        member_double(b, "fps", x->fps);
        member_uint(b, "width", x->width);
        member_uint(b, "height", x->height);
        member_uint(b, "keyframes", x->keyframes);
        member_double(b, "keyframe_interval_s", x->keyframe_interval_s);
        member_uint(b, "remb_bps", x->remb_bps);
    }
    json_builder_end_object(b);
}

static void add_direction(JsonBuilder *b, const char *name, const dc_router_medium_stats *x,
                          int64_t rtt_us, bool up)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    add_medium(b, "audio", &x[DC_ROUTER_AUDIO], rtt_us, false);
    add_medium(b, "video", &x[DC_ROUTER_VIDEO], rtt_us, up);
    json_builder_end_object(b);
}

static const char *site_state(const meeting_site *ms)
{
    if (!ms->ep)
        return "absent";
    switch (dc_endpoint_get_state(ms->ep)) {
    case DC_ENDPOINT_CONNECTED:
        return "connected";
    case DC_ENDPOINT_FAILED:
        return "failed";
    case DC_ENDPOINT_LOST:
        return "lost";
    case DC_ENDPOINT_CLOSED:
        return "closed";
    default:
        return "connecting";
    }
}

static void add_site(JsonBuilder *b, dc_meeting *m, unsigned i, int64_t now_us)
{
    meeting_site *ms = &m->sites[i];
    json_builder_set_member_name(b, m->site_ids[i]);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, site_state(ms));
    if (!ms->ep) {
        json_builder_end_object(b);
        return;
    }
    dc_endpoint_pair pair;
    json_builder_set_member_name(b, "ice");
    if (dc_endpoint_get_selected_pair(ms->ep, &pair)) {
        g_autofree char *type = g_strdup_printf("%s/%s", pair.local_type, pair.remote_type);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "local");
        json_builder_add_string_value(b, pair.local);
        json_builder_set_member_name(b, "remote");
        json_builder_add_string_value(b, pair.remote);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, type);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_set_member_name(b, "dtls");
    json_builder_add_string_value(b, dc_endpoint_dtls_state(ms->ep));
    dc_router_site_stats st;
    dc_router_get_site_stats(m->router, i, now_us, &st);
    member_rtt(b, st.rtt_us);
    add_direction(b, "up", st.up, st.rtt_us, true);
    add_direction(b, "down", st.down, st.rtt_us, false);
    json_builder_set_member_name(b, "score");
    if (st.have_score) {
        json_builder_begin_object(b);
        member_double(b, "up", st.score_up);
        member_double(b, "down", st.score_down);
        json_builder_set_member_name(b, "level");
        json_builder_add_string_value(b, dc_quality_level_name((dc_quality_level)st.level));
        json_builder_set_member_name(b, "mos");
        if (st.mos > 0)
            json_builder_add_double_value(b, (double)(int64_t)(st.mos * 100 + 0.5) / 100);
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_end_object(b);
}

void dc_meeting_stats(dc_meeting *m, bool has_id, int64_t id)
{
    int64_t now_us = g_get_monotonic_time();
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "op");
    json_builder_add_string_value(b, "stats");
    if (has_id) {
        json_builder_set_member_name(b, "id");
        json_builder_add_int_value(b, id);
    }
    json_builder_set_member_name(b, "meeting");
    json_builder_add_string_value(b, m->id);
    json_builder_set_member_name(b, "sites");
    json_builder_begin_object(b);
    for (unsigned i = 0; i < m->n_sites; i++)
        add_site(b, m, i, now_us);
    json_builder_end_object(b);
    msg_end(m, b);
}
