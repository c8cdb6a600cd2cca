/* endpoint: libnice + DTLS-SRTP shell of one session. See endpoint.h. */
#include "bridge/endpoint.h"

#include <agent.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "bridge/timer.h"
#include "core/consent.h"
#include "core/demux.h"
#include "core/srtp.h"

static GQuark ep_error_quark(void)
{
    return g_quark_from_static_string("dc-endpoint-error-quark");
}
#define EP_ERROR (ep_error_quark())

#define EP_BUF 2048
G_STATIC_ASSERT(EP_BUF + DC_SRTP_MAX_OVERHEAD <= DC_SENDQ_SLOT);
/* RFC 7675: consent expires 30 s after the last authenticated packet. */
#define EP_CONSENT_US 30000000

struct dc_endpoint {
    GMainContext *ctx;
    dc_endpoint_callbacks cb;
    void *user;
    NiceAgent *agent;
    guint stream;
    char *ufrag;
    char *pwd;
    dc_dtls *dtls;
    dc_srtp *srtp;
    dc_sendq *sendq;     /* the worker's, or NULL */
    dc_sendq_dest *dest; /* libnice's selected UDP socket and peer, when usable */
    dc_timer *dtls_timer;
    dc_consent consent;
    dc_timer *consent_timer;
    bool pair_failed; /* libnice failed the pair (keepalives unanswered) until a restart */
    bool remote_set;
    bool dtls_server;
    bool dtls_started;
    bool ice_ready;
    bool ice_restarting; /* new local credentials; the answer's are due */
    bool closing;
    unsigned n_remote_candidates; /* this ICE generation */
    GPtrArray *early_candidates;  /* "a=candidate:..." before the answer */
    GPtrArray *dtls_unsent;       /* GBytes: DTLS datagrams made before ICE had a pair */
    bool early_end;
    dc_endpoint_state state;
    dc_endpoint_stats stats;
    uint8_t rx[EP_BUF];
};

/* Points the sendq destination at libnice's selected pair when it is a UDP
 * pair whose local side is a socket of ours (host, server- or
 * peer-reflexive: not a TURN relay, not TCP) and libnice has not failed it; otherwise
 * clears it, and dc_endpoint_send() goes through nice_agent_send(). Called
 * whenever the pair or the component's state changes. */
static void direct_update(dc_endpoint *e)
{
    if (!e->dest)
        return;
    NiceCandidate *local = NULL, *remote = NULL;
    GSocket *sock = NULL;
    if (e->ice_ready && !e->pair_failed && !e->closing &&
        nice_agent_get_selected_pair(e->agent, e->stream, 1, &local, &remote) && local && remote &&
        local->transport == NICE_CANDIDATE_TRANSPORT_UDP &&
        local->type != NICE_CANDIDATE_TYPE_RELAYED)
        sock = nice_agent_get_selected_socket(e->agent, e->stream, 1);
    if (!sock) {
        dc_sendq_dest_clear(e->dest);
        return;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&ss);
    socklen_t len =
        ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
        dc_sendq_dest_set(e->dest, sock, (const struct sockaddr *)&ss, len);
    else
        dc_sendq_dest_clear(e->dest);
    g_object_unref(sock);
}

static void set_state(dc_endpoint *e, dc_endpoint_state s, const char *why)
{
    if (e->state == s || e->state == DC_ENDPOINT_FAILED || e->state == DC_ENDPOINT_LOST ||
        e->state == DC_ENDPOINT_CLOSED || e->closing)
        return;
    e->state = s;
    if (s == DC_ENDPOINT_CONNECTED) {
        int64_t now = g_get_monotonic_time();
        dc_consent_start(&e->consent, now);
        dc_timer_set(e->consent_timer, dc_consent_next_timeout(&e->consent));
    }
    e->cb.state(e->user, s, why);
}

/* Sends one DTLS datagram; keeps it when libnice has no pair to send it on
 * yet. A browser sends its ClientHello as soon as its own check succeeds,
 * often before libnice here has nominated a pair: our answering flight was
 * lost and went again only at the retransmission timer (500 ms), most of a
 * browser's time to its first frame. At most DC_DTLS_UNSENT_MAX are kept
 * (a flight is a few datagrams); they go when ICE is ready. */
#define DC_DTLS_UNSENT_MAX 16
static void dtls_send(dc_endpoint *e, const uint8_t *buf, size_t len)
{
    if (nice_agent_send(e->agent, e->stream, 1, (guint)len, (const gchar *)buf) >= 0)
        return;
    if (!e->dtls_unsent)
        e->dtls_unsent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    if (e->dtls_unsent->len >= DC_DTLS_UNSENT_MAX)
        g_ptr_array_remove_index(e->dtls_unsent, 0);
    g_ptr_array_add(e->dtls_unsent, g_bytes_new(buf, len));
}

/* ICE is ready: what DTLS said before it goes now. */
static void dtls_flush_unsent(dc_endpoint *e)
{
    if (!e->dtls_unsent)
        return;
    for (guint i = 0; i < e->dtls_unsent->len; i++) {
        gsize len;
        const gchar *buf = g_bytes_get_data(e->dtls_unsent->pdata[i], &len);
        nice_agent_send(e->agent, e->stream, 1, (guint)len, buf);
    }
    g_ptr_array_set_size(e->dtls_unsent, 0);
}

/* Sends what DTLS has queued, takes the keys once connected, and rearms the
 * retransmission timer. */
static void dtls_pump(dc_endpoint *e, int64_t now_us)
{
    uint8_t buf[DC_DTLS_MTU];
    int n;
    while ((n = dc_dtls_poll_datagram(e->dtls, buf, sizeof buf)) > 0)
        dtls_send(e, buf, (size_t)n);
    dc_dtls_state st = dc_dtls_get_state(e->dtls);
    if (st == DC_DTLS_STATE_CONNECTED && !e->srtp) {
        dc_srtp_keys keys;
        int err = 0;
        if (dc_dtls_export_srtp_keys(e->dtls, &keys) == 0)
            e->srtp = dc_srtp_new(&keys, &err);
        memset(&keys, 0, sizeof keys);
        if (!e->srtp)
            set_state(e, DC_ENDPOINT_FAILED, "SRTP setup failed");
        else if (e->ice_ready)
            set_state(e, DC_ENDPOINT_CONNECTED, NULL);
    } else if (st == DC_DTLS_STATE_FAILED) {
        set_state(e, DC_ENDPOINT_FAILED, dc_dtls_error(e->dtls));
    } else if (st == DC_DTLS_STATE_CLOSED) {
        set_state(e, DC_ENDPOINT_CLOSED, "the peer closed DTLS (close_notify)");
    }
    dc_timer_set(e->dtls_timer, dc_dtls_next_timeout(e->dtls));
}

static void dtls_timeout(void *user, int64_t now_us)
{
    dc_endpoint *e = user;
    dc_dtls_handle_timeout(e->dtls, now_us);
    dtls_pump(e, now_us);
}

static void consent_timeout(void *user, int64_t now_us)
{
    dc_endpoint *e = user;
    if (dc_consent_poll(&e->consent, now_us) == DC_CONSENT_EXPIRED) {
        /* Every endpoint sends RTCP at least every few seconds (RFC 3550
         * 6.2: a receiver reports even with nothing to report; browsers and
         * our client do), so 30 s without one authentic packet means the
         * site is gone, whatever libnice's keepalives say (they fail only
         * after 50 s in libnice 0.1.21 without its consent mode). */
        set_state(e, DC_ENDPOINT_LOST, "no authentic packet for 30 s (consent expired)");
    }
    dc_timer_set(e->consent_timer, dc_consent_next_timeout(&e->consent));
}

static void maybe_start_dtls(dc_endpoint *e)
{
    if (e->dtls_started || !e->remote_set)
        return;
    if (!e->dtls_server && !e->ice_ready)
        return; /* a client's ClientHello waits for a path */
    e->dtls_started = true;
    int64_t now = g_get_monotonic_time();
    dc_dtls_start(e->dtls, e->dtls_server ? DC_DTLS_ROLE_SERVER : DC_DTLS_ROLE_CLIENT, now);
    dtls_pump(e, now);
}

static void on_recv(NiceAgent *agent, guint stream, guint component, guint len, gchar *buf,
                    gpointer data)
{
    dc_endpoint *e = data;
    if (len == 0 || len > sizeof e->rx) {
        e->stats.dropped_demux++;
        return;
    }
    int64_t now = g_get_monotonic_time();
    dc_demux_class c = dc_demux_classify((const uint8_t *)buf, len);
    if (c == DC_DEMUX_DTLS) {
        if (dc_dtls_feed(e->dtls, (const uint8_t *)buf, len, now) == 0)
            dtls_pump(e, now);
        return;
    }
    if (c != DC_DEMUX_RTP && c != DC_DEMUX_RTCP) {
        e->stats.dropped_demux++;
        return;
    }
    if (!e->srtp) {
        e->stats.dropped_early++;
        return;
    }
    memcpy(e->rx, buf, len);
    int n = c == DC_DEMUX_RTP ? dc_srtp_unprotect_rtp(e->srtp, e->rx, len)
                              : dc_srtp_unprotect_rtcp(e->srtp, e->rx, len);
    if (n <= 0) {
        e->stats.dropped_srtp++;
        return;
    }
    dc_consent_on_receive(&e->consent, now);
    if (c == DC_DEMUX_RTP)
        e->cb.rtp(e->user, e->rx, (size_t)n, now);
    else
        e->cb.rtcp(e->user, e->rx, (size_t)n, now);
}

static void on_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
    dc_endpoint *e = data;
    g_autofree char *sdp = nice_agent_generate_local_candidate_sdp(agent, cand);
    if (!sdp)
        return;
    const char *c = g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp;
    e->cb.candidate(e->user, c);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
    dc_endpoint *e = data;
    e->cb.candidate(e->user, "");
}

static void on_component_state(NiceAgent *agent, guint stream, guint component, guint state,
                               gpointer data)
{
    dc_endpoint *e = data;
    if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
        e->pair_failed = false;
        if (!e->ice_ready) {
            e->ice_ready = true;
            dtls_flush_unsent(e);
            maybe_start_dtls(e);
            if (e->srtp)
                set_state(e, DC_ENDPOINT_CONNECTED, NULL);
        }
        direct_update(e);
    } else if (state == NICE_COMPONENT_STATE_FAILED) {
        /* libnice fails a component that was ready once when its
         * keepalive binding requests go unanswered, and stops sending on
         * it. An ICE restart restores it: the meeting offers one at once
         * (the site may not notice: a browser still gets its consent
         * checks answered, and its media may still reach us), and the
         * site asks for one when our media stops; the endpoint is lost
         * only when nothing has come for 30 s (consent_timeout). */
        if (e->ice_ready && e->state == DC_ENDPOINT_CONNECTED) {
            g_message("ICE keepalives unanswered: restarting ICE");
            e->pair_failed = true;
            if (e->cb.pair_failed)
                e->cb.pair_failed(e->user);
        } else
            set_state(e, DC_ENDPOINT_FAILED, "ICE failed");
        direct_update(e); /* libnice no longer sends on the pair: neither do we */
    }
}

static void on_selected_pair(NiceAgent *agent, guint stream, guint component, NiceCandidate *local,
                             NiceCandidate *remote, gpointer data)
{
    direct_update(data);
}

dc_endpoint *dc_endpoint_new(const dc_endpoint_config *cfg, const dc_endpoint_callbacks *cb,
                             void *user, GError **error)
{
    dc_endpoint *e = g_new0(dc_endpoint, 1);
    e->ctx = g_main_context_ref(cfg->ctx);
    e->cb = *cb;
    e->user = user;
    e->state = DC_ENDPOINT_CONNECTING;
    e->sendq = cfg->sendq;
    if (e->sendq)
        e->dest = dc_sendq_dest_new(e->sendq);
    e->early_candidates = g_ptr_array_new_with_free_func(g_free);
    e->dtls = dc_dtls_new(cfg->cert);
    e->dtls_timer = dc_timer_new(cfg->ctx, dtls_timeout, e);
    dc_consent_init(&e->consent, &(dc_consent_config){EP_CONSENT_US, EP_CONSENT_US, EP_CONSENT_US});
    e->consent_timer = dc_timer_new(cfg->ctx, consent_timeout, e);
    /* Not NICE_AGENT_OPTION_CONSENT_FRESHNESS: libnice 0.1.21 sends one
     * consent check every ~5 s without retransmission and fails the pair
     * 10 s after the last answer, so on a link that loses 5 % each way a
     * single lost check or answer (about one in ten) stopped the media of a
     * healthy site. Without it libnice's keepalives are binding requests
     * (keepalive-conncheck) that fail the pair only after 50 s of silence,
     * and RFC 7675's 30 s expiry is ours (dc_consent, fed by every
     * authentic packet). */
    e->agent =
        nice_agent_new_full(cfg->ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    if (!e->dtls || !e->agent) {
        g_set_error(error, EP_ERROR, 0, "cannot create the ICE agent or DTLS state");
        dc_endpoint_free(e);
        return NULL;
    }
    /* 4 STUN retransmissions (0.5 + 1 + 2 + 4 + 8 s) for connectivity
     * checks, rather than libnice's 3. */
    g_object_set(e->agent, "controlling-mode", TRUE, "upnp", FALSE, "ice-tcp", FALSE,
                 "keepalive-conncheck", TRUE, "stun-max-retransmissions", 4, NULL);
    for (const char *const *a = cfg->local_addresses; a && *a; a++) {
        NiceAddress addr;
        nice_address_init(&addr);
        if (!nice_address_set_from_string(&addr, *a)) {
            g_set_error(error, EP_ERROR, 0, "bad local address %s", *a);
            dc_endpoint_free(e);
            return NULL;
        }
        nice_agent_add_local_address(e->agent, &addr);
    }
    e->stream = nice_agent_add_stream(e->agent, 1);
    if (cfg->port_min)
        nice_agent_set_port_range(e->agent, e->stream, 1, cfg->port_min, cfg->port_max);
    g_signal_connect(e->agent, "new-candidate-full", G_CALLBACK(on_candidate), e);
    g_signal_connect(e->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), e);
    g_signal_connect(e->agent, "component-state-changed", G_CALLBACK(on_component_state), e);
    g_signal_connect(e->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), e);
    nice_agent_attach_recv(e->agent, e->stream, 1, cfg->ctx, on_recv, e);
    nice_agent_get_local_credentials(e->agent, e->stream, &e->ufrag, &e->pwd);
    if (!nice_agent_gather_candidates(e->agent, e->stream)) {
        g_set_error(error, EP_ERROR, 0, "cannot gather ICE candidates (ports %u-%u in use?)",
                    cfg->port_min, cfg->port_max);
        dc_endpoint_free(e);
        return NULL;
    }
    return e;
}

void dc_endpoint_free(dc_endpoint *e)
{
    if (!e)
        return;
    e->closing = true;
    /* What is queued goes out while libnice's socket is still open. */
    dc_sendq_dest_free(e->dest);
    e->dest = NULL;
    if (e->agent) {
        g_signal_handlers_disconnect_by_data(e->agent, e);
        if (e->dtls && dc_dtls_get_state(e->dtls) == DC_DTLS_STATE_CONNECTED &&
            dc_dtls_close(e->dtls) == 0) {
            uint8_t buf[DC_DTLS_MTU];
            int n;
            while ((n = dc_dtls_poll_datagram(e->dtls, buf, sizeof buf)) > 0)
                nice_agent_send(e->agent, e->stream, 1, (guint)n, (const gchar *)buf);
        }
        nice_agent_attach_recv(e->agent, e->stream, 1, e->ctx, NULL, NULL);
        nice_agent_remove_stream(e->agent, e->stream);
        g_object_unref(e->agent);
    }
    dc_timer_free(e->dtls_timer);
    dc_timer_free(e->consent_timer);
    dc_dtls_free(e->dtls);
    dc_srtp_free(e->srtp);
    g_free(e->ufrag);
    g_free(e->pwd);
    g_ptr_array_unref(e->early_candidates);
    if (e->dtls_unsent)
        g_ptr_array_unref(e->dtls_unsent);
    g_main_context_unref(e->ctx);
    g_free(e);
}

const char *dc_endpoint_ice_ufrag(const dc_endpoint *e)
{
    return e->ufrag;
}

const char *dc_endpoint_ice_pwd(const dc_endpoint *e)
{
    return e->pwd;
}

/* Gives one "a=candidate:..." line to libnice. */
static bool add_candidate_now(dc_endpoint *e, const char *line, GError **error)
{
    if (e->n_remote_candidates >= DC_ENDPOINT_MAX_REMOTE_CANDIDATES) {
        e->stats.candidates_refused++;
        g_set_error(error, EP_ERROR, 0, "more than %u remote candidates: refused",
                    DC_ENDPOINT_MAX_REMOTE_CANDIDATES);
        return false;
    }
    e->n_remote_candidates++;
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(e->agent, e->stream, line);
    if (!c) {
        g_set_error(error, EP_ERROR, 0, "cannot use remote candidate \"%s\"", line);
        return false;
    }
    GSList *l = g_slist_append(NULL, c);
    int n = nice_agent_set_remote_candidates(e->agent, e->stream, 1, l);
    g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
    if (n < 0) {
        g_set_error(error, EP_ERROR, 0, "libnice refused remote candidate \"%s\"", line);
        return false;
    }
    return true;
}

/* Gives libnice the candidates that came before the remote credentials. */
static void flush_early(dc_endpoint *e)
{
    for (guint i = 0; i < e->early_candidates->len; i++) {
        g_autoptr(GError) err = NULL;
        add_candidate_now(e, e->early_candidates->pdata[i], &err);
    }
    g_ptr_array_set_size(e->early_candidates, 0);
    if (e->early_end)
        nice_agent_peer_candidate_gathering_done(e->agent, e->stream);
    e->early_end = false;
}

bool dc_endpoint_set_remote(dc_endpoint *e, const char *ufrag, const char *pwd,
                            const char *fingerprint, bool dtls_server, GError **error)
{
    if (e->remote_set && e->ice_restarting) {
        if (!nice_agent_set_remote_credentials(e->agent, e->stream, ufrag, pwd)) {
            g_set_error(error, EP_ERROR, 0, "libnice refused the restarted ICE credentials");
            return false;
        }
        e->ice_restarting = false;
        flush_early(e);
        return true;
    }
    if (e->remote_set)
        return true;
    if (dc_dtls_set_remote_fingerprint(e->dtls, fingerprint) < 0) {
        g_set_error(error, EP_ERROR, 0, "unusable fingerprint \"%s\"", fingerprint);
        return false;
    }
    if (!nice_agent_set_remote_credentials(e->agent, e->stream, ufrag, pwd)) {
        g_set_error(error, EP_ERROR, 0, "libnice refused the remote ICE credentials");
        return false;
    }
    e->remote_set = true;
    e->dtls_server = dtls_server;
    flush_early(e);
    maybe_start_dtls(e);
    return true;
}

bool dc_endpoint_add_remote_candidate(dc_endpoint *e, const char *candidate, GError **error)
{
    if (!candidate || !*candidate) {
        if (e->remote_set && !e->ice_restarting)
            nice_agent_peer_candidate_gathering_done(e->agent, e->stream);
        else
            e->early_end = true;
        return true;
    }
    char *line = g_str_has_prefix(candidate, "a=") ? g_strdup(candidate)
                                                   : g_strconcat("a=", candidate, NULL);
    if (!e->remote_set || e->ice_restarting) {
        if (e->early_candidates->len >= DC_ENDPOINT_MAX_REMOTE_CANDIDATES) {
            g_free(line);
            e->stats.candidates_refused++;
            g_set_error(error, EP_ERROR, 0, "more than %u early remote candidates: refused",
                        DC_ENDPOINT_MAX_REMOTE_CANDIDATES);
            return false;
        }
        g_ptr_array_add(e->early_candidates, line);
        return true;
    }
    bool ok = add_candidate_now(e, line, error);
    g_free(line);
    return ok;
}

bool dc_endpoint_restart_ice(dc_endpoint *e, GError **error)
{
    if (!nice_agent_restart_stream(e->agent, e->stream)) {
        g_set_error(error, EP_ERROR, 0, "libnice cannot restart ICE");
        return false;
    }
    g_clear_pointer(&e->ufrag, g_free);
    g_clear_pointer(&e->pwd, g_free);
    nice_agent_get_local_credentials(e->agent, e->stream, &e->ufrag, &e->pwd);
    e->ice_restarting = e->remote_set;
    e->n_remote_candidates = 0;
    e->early_end = false;
    g_ptr_array_set_size(e->early_candidates, 0);
    e->stats.ice_restarts++;
    return true;
}

void dc_endpoint_emit_local_candidates(dc_endpoint *e)
{
    GSList *list = nice_agent_get_local_candidates(e->agent, e->stream, 1);
    for (GSList *l = list; l; l = l->next)
        on_candidate(e->agent, l->data, e);
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
    e->cb.candidate(e->user, "");
}

static int protect(dc_endpoint *e, uint8_t *out, size_t len, size_t cap, bool is_rtcp)
{
    return is_rtcp ? dc_srtp_protect_rtcp(e->srtp, out, len, cap)
                   : dc_srtp_protect_rtp(e->srtp, out, len, cap);
}

void dc_endpoint_send(dc_endpoint *e, const uint8_t *buf, size_t len, bool is_rtcp)
{
    if (!e->srtp || !e->ice_ready || len > EP_BUF) {
        e->stats.dropped_early++;
        return;
    }
    if (e->dest && dc_sendq_dest_ready(e->dest)) {
        /* Protected straight into the queue's slot: no copy more than
         * before, and the worker sends it with the rest of this wake-up's. */
        uint8_t *out = dc_sendq_dest_reserve(e->dest);
        memcpy(out, buf, len);
        int n = protect(e, out, len, DC_SENDQ_SLOT, is_rtcp);
        if (n <= 0) {
            e->stats.send_failed++;
            return;
        }
        dc_sendq_dest_commit(e->dest, (size_t)n);
        e->stats.sent_direct++;
        return;
    }
    uint8_t out[EP_BUF + DC_SRTP_MAX_OVERHEAD];
    memcpy(out, buf, len);
    int n = protect(e, out, len, sizeof out, is_rtcp);
    if (n <= 0 || nice_agent_send(e->agent, e->stream, 1, (guint)n, (const gchar *)out) < 0)
        e->stats.send_failed++;
    else
        e->stats.sent_nice++;
}

dc_endpoint_state dc_endpoint_get_state(const dc_endpoint *e)
{
    return e->state;
}

void dc_endpoint_get_stats(const dc_endpoint *e, dc_endpoint_stats *out)
{
    *out = e->stats;
    /* Queued packets the kernel refused at the flush. */
    if (e->dest)
        out->send_failed += dc_sendq_dest_failed(e->dest);
}

/* "ip:port" of a candidate, IPv6 in brackets. */
static void cand_address(const NiceCandidate *c, char *buf, size_t len)
{
    char ip[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&c->addr, ip);
    bool v6 = strchr(ip, ':') != NULL;
    g_snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", ip, nice_address_get_port(&c->addr));
}

bool dc_endpoint_get_selected_pair(dc_endpoint *e, dc_endpoint_pair *out)
{
    NiceCandidate *local = NULL, *remote = NULL;
    memset(out, 0, sizeof *out);
    if (!nice_agent_get_selected_pair(e->agent, e->stream, 1, &local, &remote) || !local || !remote)
        return false;
    cand_address(local, out->local, sizeof out->local);
    cand_address(remote, out->remote, sizeof out->remote);
    out->local_type = nice_candidate_type_to_string(local->type);
    out->remote_type = nice_candidate_type_to_string(remote->type);
    return true;
}

const char *dc_endpoint_dtls_state(const dc_endpoint *e)
{
    if (!e->dtls_started)
        return "new";
    return dc_dtls_state_name(dc_dtls_get_state(e->dtls));
}
