/* transport: libnice + DTLS + SRTP for the client. See transport.h. */
#include "client/transport.h"

#include <errno.h>
#include <string.h>

#include <nice/agent.h>
#include <nice/interfaces.h>

#include "client/deadline.h"
#include "core/demux.h"
#include "core/srtp.h"

#define RX_CAP 2048

/* An ICE generation is a libnice stream: an ICE restart adds a new stream,
 * whose gathering enumerates the interfaces again (unless local addresses
 * were set: loopback), and removes the old one once the new one connects. */
struct dc_transport {
    GMainContext *ctx;
    NiceAgent *agent;
    guint stream_id;      /* the stream media goes on */
    guint next_stream_id; /* an ICE restart's stream while its checks run, or 0 */
    bool stream_failed;   /* libnice failed stream_id's pair (keepalives unanswered) */
    char *ufrag, *pwd;    /* of the newest stream */
    char *remote_ufrag;
    char *remote_fingerprint;
    bool gathering; /* gathering started on the newest stream */
    dc_dtls *dtls;
    dc_srtp *srtp;
    dc_deadline *dtls_timer;
    dc_transport_state state;
    dc_transport_callbacks cb;
    void *user;
    dc_transport_stats stats;
    uint8_t rx[RX_CAP];
    uint8_t dtls_out[DC_DTLS_MTU];
};

/* The stream of the newest ICE generation: candidates and credentials. */
static guint newest_stream(const dc_transport *t)
{
    return t->next_stream_id ? t->next_stream_id : t->stream_id;
}

static void set_state(dc_transport *t, dc_transport_state s)
{
    if (t->state == s || t->state == DC_TRANSPORT_FAILED)
        return;
    t->state = s;
    if (t->cb.on_state)
        t->cb.on_state(t->user, s);
}

/* Sends what DTLS queued, checks its state, re-arms its timer. */
static void dtls_pump(dc_transport *t)
{
    int n;
    while ((n = dc_dtls_poll_datagram(t->dtls, t->dtls_out, sizeof t->dtls_out)) > 0)
        nice_agent_send(t->agent, t->stream_id, 1, (guint)n, (const gchar *)t->dtls_out);
    dc_dtls_state st = dc_dtls_get_state(t->dtls);
    if (st == DC_DTLS_STATE_CONNECTED && !t->srtp) {
        dc_srtp_keys keys;
        int err = 0;
        if (dc_dtls_export_srtp_keys(t->dtls, &keys) == 0)
            t->srtp = dc_srtp_new(&keys, &err);
        memset(&keys, 0, sizeof keys);
        if (!t->srtp) {
            g_warning("SRTP setup failed: %s", g_strerror(-err));
            set_state(t, DC_TRANSPORT_FAILED);
            return;
        }
        set_state(t, DC_TRANSPORT_CONNECTED);
    } else if (st == DC_DTLS_STATE_FAILED) {
        g_warning("DTLS failed: %s", dc_dtls_error(t->dtls) ? dc_dtls_error(t->dtls) : "?");
        set_state(t, DC_TRANSPORT_FAILED);
    } else if (st == DC_DTLS_STATE_CLOSED && t->state == DC_TRANSPORT_CONNECTED) {
        g_message("the bridge closed DTLS");
        set_state(t, DC_TRANSPORT_FAILED);
    }
    int64_t next = dc_dtls_next_timeout(t->dtls);
    dc_deadline_set(t->dtls_timer, next == DC_DTLS_NO_TIMEOUT ? INT64_MAX : next);
}

static void on_dtls_timer(void *user, int64_t now_us)
{
    dc_transport *t = user;
    dc_dtls_handle_timeout(t->dtls, now_us);
    dtls_pump(t);
}

static void on_recv(NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
                    gpointer data)
{
    dc_transport *t = data;
    const uint8_t *p = (const uint8_t *)buf;
    t->stats.rx_packets++;
    switch (dc_demux_classify(p, len)) {
    case DC_DEMUX_DTLS:
        dc_dtls_feed(t->dtls, p, len, g_get_monotonic_time());
        dtls_pump(t);
        return;
    case DC_DEMUX_RTP:
    case DC_DEMUX_RTCP: {
        if (!t->srtp) {
            t->stats.before_keys++;
            return;
        }
        if (len > RX_CAP) {
            t->stats.rx_unknown++;
            return;
        }
        memcpy(t->rx, p, len);
        bool rtcp = dc_demux_classify(p, len) == DC_DEMUX_RTCP;
        int n = rtcp ? dc_srtp_unprotect_rtcp(t->srtp, t->rx, len)
                     : dc_srtp_unprotect_rtp(t->srtp, t->rx, len);
        if (n < 0) {
            t->stats.srtp_errors++;
            return;
        }
        if (rtcp)
            t->cb.on_rtcp(t->user, t->rx, (size_t)n);
        else
            t->cb.on_rtp(t->user, t->rx, (size_t)n);
        return;
    }
    default:
        t->stats.rx_unknown++;
        return;
    }
}

/* A stream with one component, its receive callback attached; 0 when
 * libnice refuses. */
static guint add_stream(dc_transport *t)
{
    guint id = nice_agent_add_stream(t->agent, 1);
    if (id)
        nice_agent_attach_recv(t->agent, id, 1, t->ctx, on_recv, t);
    return id;
}

static void drop_stream(dc_transport *t, guint id)
{
    if (!id)
        return;
    nice_agent_attach_recv(t->agent, id, 1, t->ctx, NULL, NULL);
    nice_agent_remove_stream(t->agent, id);
}

/* Our credentials are the newest stream's. */
static void read_local_credentials(dc_transport *t)
{
    g_free(t->ufrag);
    g_free(t->pwd);
    t->ufrag = t->pwd = NULL;
    nice_agent_get_local_credentials(t->agent, newest_stream(t), &t->ufrag, &t->pwd);
}

/* The restart's stream connected: media moves to it, the old one goes. */
static void promote_next_stream(dc_transport *t)
{
    guint old = t->stream_id;
    t->stream_id = t->next_stream_id;
    t->next_stream_id = 0;
    t->stream_failed = false;
    drop_stream(t, old);
    NiceCandidate *local = NULL, *remote = NULL;
    char l[NICE_ADDRESS_STRING_LEN] = "?", r[NICE_ADDRESS_STRING_LEN] = "?";
    if (nice_agent_get_selected_pair(t->agent, t->stream_id, 1, &local, &remote) && local &&
        remote) {
        nice_address_to_string(&local->addr, l);
        nice_address_to_string(&remote->addr, r);
    }
    g_message("ICE restart done: media on the new pair %s:%u -> %s:%u", l,
              local ? nice_address_get_port(&local->addr) : 0, r,
              remote ? nice_address_get_port(&remote->addr) : 0);
}

static void on_component_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
                               gpointer data)
{
    dc_transport *t = data;
    if (stream_id != t->stream_id && stream_id != t->next_stream_id)
        return; /* a removed generation's last words */
    bool restarting = t->next_stream_id != 0;
    if (state == NICE_COMPONENT_STATE_FAILED) {
        if (stream_id == t->next_stream_id && t->state == DC_TRANSPORT_CONNECTED) {
            /* Media stays on the old pair if it still works (the
             * session's watchdog asks for another restart while nothing
             * comes); if libnice failed that one too, ask now. */
            g_message("the ICE restart's checks failed");
            if (t->stream_failed && t->cb.on_consent_lost)
                t->cb.on_consent_lost(t->user);
            return;
        }
        if (stream_id == t->stream_id && t->state == DC_TRANSPORT_CONNECTED) {
            /* Keepalives unanswered: libnice sends nothing more on
             * this pair. The bridge may still reach us, so the receive
             * watchdog would not notice: the session asks for an ICE
             * restart at once, which restores consent (unless one runs:
             * then when it fails). */
            t->stream_failed = true;
            g_message("ICE keepalives unanswered%s",
                      restarting ? " (an ICE restart runs)" : "; asking for an ICE restart");
            if (!restarting && t->cb.on_consent_lost)
                t->cb.on_consent_lost(t->user);
            return;
        }
        if (stream_id == t->stream_id && restarting)
            return; /* the restart's stream may still connect */
        g_warning("ICE failed");
        set_state(t, DC_TRANSPORT_FAILED);
        return;
    }
    if (state != NICE_COMPONENT_STATE_CONNECTED && state != NICE_COMPONENT_STATE_READY)
        return;
    if (stream_id == t->next_stream_id)
        promote_next_stream(t);
    if (stream_id == t->stream_id && dc_dtls_get_state(t->dtls) == DC_DTLS_STATE_NEW) {
        dc_dtls_start(t->dtls, DC_DTLS_ROLE_CLIENT, g_get_monotonic_time());
        dtls_pump(t);
    }
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer data)
{
    dc_transport *t = data;
    if (cand->stream_id != newest_stream(t))
        return; /* an older generation's (e.g. peer-reflexive): not trickled */
    g_autofree char *sdp = nice_agent_generate_local_candidate_sdp(agent, cand);
    if (sdp && t->cb.on_candidate)
        t->cb.on_candidate(t->user, g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp);
}

static void on_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
    dc_transport *t = data;
    if (stream_id == newest_stream(t) && t->cb.on_candidate)
        t->cb.on_candidate(t->user, "");
}

dc_transport *dc_transport_new(GMainContext *ctx, const dc_dtls_cert *cert, bool loopback,
                               const dc_transport_callbacks *cb, void *user, GError **error)
{
    dc_transport *t = g_new0(dc_transport, 1);
    t->ctx = ctx;
    t->cb = *cb;
    t->user = user;
    t->dtls = dc_dtls_new(cert);
    if (!t->dtls) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create a DTLS association");
        g_free(t);
        return NULL;
    }
    /* Not NICE_AGENT_OPTION_CONSENT_FRESHNESS: libnice 0.1.21 sends one
     * consent check every ~5 s without retransmission and fails the pair
     * 10 s after the last answer, which a link losing 5 % each way trips
     * about once a minute. Keepalives are binding requests instead
     * (keepalive-conncheck; libnice fails the pair after 50 s without an
     * answer), and RFC 7675's 30 s expiry is the session's watchdog
     * (dc_consent): 2 s of silence asks for an ICE restart, 30 s joins
     * again. */
    t->agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    g_object_set(t->agent, "controlling-mode", FALSE, "upnp", FALSE, "keepalive-conncheck", TRUE,
                 "stun-max-retransmissions", 4, NULL);
    if (loopback) {
        NiceAddress addr;
        nice_address_init(&addr);
        nice_address_set_from_string(&addr, "127.0.0.1");
        nice_agent_add_local_address(t->agent, &addr);
    }
    g_signal_connect(t->agent, "component-state-changed", G_CALLBACK(on_component_state), t);
    g_signal_connect(t->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), t);
    g_signal_connect(t->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), t);
    t->stream_id = add_stream(t);
    if (t->stream_id == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnice cannot add a stream");
        dc_transport_free(t);
        return NULL;
    }
    read_local_credentials(t);
    t->dtls_timer = dc_deadline_new(ctx, on_dtls_timer, t);
    t->state = DC_TRANSPORT_NEW;
    return t;
}

void dc_transport_free(dc_transport *t)
{
    if (!t)
        return;
    if (t->agent) {
        if (t->dtls && dc_dtls_close(t->dtls) == 0) {
            int n;
            while ((n = dc_dtls_poll_datagram(t->dtls, t->dtls_out, sizeof t->dtls_out)) > 0)
                nice_agent_send(t->agent, t->stream_id, 1, (guint)n, (const gchar *)t->dtls_out);
        }
        g_signal_handlers_disconnect_by_data(t->agent, t);
        drop_stream(t, t->next_stream_id);
        drop_stream(t, t->stream_id);
        g_object_unref(t->agent);
    }
    dc_deadline_free(t->dtls_timer);
    dc_srtp_free(t->srtp);
    dc_dtls_free(t->dtls);
    g_free(t->ufrag);
    g_free(t->pwd);
    g_free(t->remote_ufrag);
    g_free(t->remote_fingerprint);
    g_free(t);
}

const char *dc_transport_ufrag(const dc_transport *t)
{
    return t->ufrag;
}

const char *dc_transport_pwd(const dc_transport *t)
{
    return t->pwd;
}

const char *dc_transport_remote_ufrag(const dc_transport *t)
{
    return t->remote_ufrag;
}

const char *dc_transport_remote_fingerprint(const dc_transport *t)
{
    return t->remote_fingerprint;
}

bool dc_transport_restart_ice(dc_transport *t, const char *ufrag, const char *pwd, GError **error)
{
    /* Not nice_agent_restart_stream(): it keeps the stream's local
     * candidates, bound to the addresses of the first gathering, so after
     * an address change the restart could never succeed. */
    guint id = add_stream(t);
    if (!id || !nice_agent_set_remote_credentials(t->agent, id, ufrag, pwd)) {
        drop_stream(t, id);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnice cannot restart ICE");
        return false;
    }
    drop_stream(t, t->next_stream_id); /* an earlier restart still checking */
    t->next_stream_id = id;
    t->gathering = false;
    read_local_credentials(t);
    g_free(t->remote_ufrag);
    t->remote_ufrag = g_strdup(ufrag);
    return true;
}

static bool gather(dc_transport *t, GError **error)
{
    if (t->gathering)
        return true;
    t->gathering = true;
    if (!nice_agent_gather_candidates(t->agent, newest_stream(t))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnice cannot gather candidates");
        return false;
    }
    return true;
}

bool dc_transport_gather_candidates(dc_transport *t, GError **error)
{
    return gather(t, error);
}

/* Adds the address (no port) media leaves from on cand: its base for a
 * reflexive or relayed one. */
static void add_local_address(GArray *out, const NiceCandidate *cand)
{
    NiceAddress a =
        cand->type != NICE_CANDIDATE_TYPE_HOST && nice_address_is_valid(&cand->base_addr)
            ? cand->base_addr
            : cand->addr;
    g_array_append_val(out, a);
}

bool dc_transport_local_address_gone(dc_transport *t, char *addr, size_t addr_len)
{
    g_autoptr(GArray) mine = g_array_new(FALSE, FALSE, sizeof(NiceAddress));
    NiceCandidate *local = NULL, *remote = NULL;
    if (nice_agent_get_selected_pair(t->agent, t->stream_id, 1, &local, &remote) && local) {
        add_local_address(mine, local);
    } else {
        GSList *list = nice_agent_get_local_candidates(t->agent, t->stream_id, 1);
        for (GSList *l = list; l; l = l->next)
            if (((NiceCandidate *)l->data)->type == NICE_CANDIDATE_TYPE_HOST)
                add_local_address(mine, l->data);
        g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
    }
    if (mine->len == 0)
        return false;
    GList *ips = nice_interfaces_get_local_ips(TRUE);
    bool gone = true;
    for (guint i = 0; i < mine->len && gone; i++) {
        for (GList *l = ips; l && gone; l = l->next) {
            NiceAddress have;
            nice_address_init(&have);
            if (nice_address_set_from_string(&have, l->data) &&
                nice_address_equal_no_port(&have, &g_array_index(mine, NiceAddress, i)))
                gone = false;
        }
    }
    g_list_free_full(ips, g_free);
    if (gone && addr && addr_len >= NICE_ADDRESS_STRING_LEN)
        nice_address_to_string(&g_array_index(mine, NiceAddress, 0), addr);
    return gone;
}

bool dc_transport_set_remote(dc_transport *t, const char *ufrag, const char *pwd,
                             const char *fingerprint, GError **error)
{
    if (t->remote_ufrag)
        return true; /* same transport: the caller rebuilds on an ICE restart */
    int rc = dc_dtls_set_remote_fingerprint(t->dtls, fingerprint);
    if (rc < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "the offer's fingerprint \"%s\" is unusable: %s", fingerprint, g_strerror(-rc));
        return false;
    }
    if (!nice_agent_set_remote_credentials(t->agent, t->stream_id, ufrag, pwd)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "libnice refused the offer's ICE credentials");
        return false;
    }
    t->remote_ufrag = g_strdup(ufrag);
    t->remote_fingerprint = g_strdup(fingerprint);
    if (!gather(t, error))
        return false;
    set_state(t, DC_TRANSPORT_CONNECTING);
    return true;
}

void dc_transport_add_remote_candidate(dc_transport *t, const char *candidate)
{
    guint id = newest_stream(t);
    if (!candidate || !*candidate) {
        nice_agent_peer_candidate_gathering_done(t->agent, id);
        return;
    }
    g_autofree char *line = g_str_has_prefix(candidate, "a=") ? g_strdup(candidate)
                                                              : g_strconcat("a=", candidate, NULL);
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(t->agent, id, line);
    if (!c) {
        g_message("ignoring a remote candidate libnice cannot parse: %s", candidate);
        return;
    }
    GSList *list = g_slist_append(NULL, c);
    nice_agent_set_remote_candidates(t->agent, id, 1, list);
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

static int send_protected(dc_transport *t, uint8_t *buf, size_t len, size_t cap, bool rtcp)
{
    if (!t->srtp)
        return -ENOTCONN;
    int n = rtcp ? dc_srtp_protect_rtcp(t->srtp, buf, len, cap)
                 : dc_srtp_protect_rtp(t->srtp, buf, len, cap);
    if (n < 0) {
        t->stats.tx_failed++;
        return n;
    }
    if (nice_agent_send(t->agent, t->stream_id, 1, (guint)n, (const gchar *)buf) < 0) {
        t->stats.tx_failed++;
        return -EAGAIN;
    }
    t->stats.tx_packets++;
    return 0;
}

int dc_transport_send_rtp(dc_transport *t, uint8_t *buf, size_t len, size_t cap)
{
    return send_protected(t, buf, len, cap, false);
}

int dc_transport_send_rtcp(dc_transport *t, uint8_t *buf, size_t len, size_t cap)
{
    return send_protected(t, buf, len, cap, true);
}

dc_transport_state dc_transport_get_state(const dc_transport *t)
{
    return t->state;
}

void dc_transport_get_stats(const dc_transport *t, dc_transport_stats *out)
{
    *out = t->stats;
}
