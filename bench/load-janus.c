/* load-janus: diemcau-load's adapter for Janus VideoRoom over Janus's HTTP
 * API (long-poll). See load.h.
 *
 * Per meeting: one Janus session, one VideoRoom room; per site a publisher
 * handle (we offer: sendonly Opus + VP8, BUNDLE, rtcp-mux, a=setup:active so
 * that our DTLS client role of client/transport holds) and, once every site
 * has published, a subscriber handle joined to all the other feeds at once
 * (multistream: Janus offers, we answer recvonly). Each handle has its own
 * client/transport. Events come from one long-poll GET per session and are
 * dispatched by their "sender" handle.
 *
 * I/O shell on the default main context (libsoup, json-glib). With
 * DC_LOAD_DEBUG=1 in the environment every Janus event is printed.
 */
#include "bench/load.h"

#include <inttypes.h>
#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "core/sdp.h"

#define ROOM_BASE 4200
#define POLL_EVENTS 50

typedef enum { ROLE_PUB, ROLE_SUB } role;

typedef struct {
    dc_load_site *site;
    role role;
    int64_t id;
} jhandle;

typedef struct {
    dc_load_meeting *m;
    SoupSession *http;
    char *base; /* http://HOST:PORT/janus */
    int64_t session;
    int64_t admin;
    int64_t room;
    GHashTable *handles; /* handle id (int64 key) -> jhandle* */
    jhandle *pub, *sub;  /* per site, n_sites each */
    int64_t *feed;       /* publisher id per site, 0 until joined */
    int published;
    bool subscribing, stopping;
    guint check_id;
    unsigned txn;
    GCancellable *cancel;
} jroom;

typedef void (*reply_fn)(jroom *r, JsonObject *reply, void *user);

typedef struct {
    jroom *r;
    reply_fn fn;
    void *user;
} post_ctx;

static void fail(jroom *r, const char *what)
{
    g_printerr("diemcau-load: Janus meeting %d: %s\n", r->m->index, what);
    for (int i = 0; i < r->m->n_sites; i++)
        if (!r->m->sites[i].connected)
            dc_load_site_fail(&r->m->sites[i], what);
}

static JsonObject *parse_object(GBytes *b, JsonParser *p)
{
    gsize n;
    const char *data = g_bytes_get_data(b, &n);
    if (!json_parser_load_from_data(p, data, (gssize)n, NULL))
        return NULL;
    JsonNode *root = json_parser_get_root(p);
    return root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
}

static void post_done(GObject *src, GAsyncResult *res, gpointer data)
{
    post_ctx *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) body = soup_session_send_and_read_finish(SOUP_SESSION(src), res, &error);
    if (!body) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            fail(c->r, error->message);
        g_free(c);
        return;
    }
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o = parse_object(body, p);
    const char *j = o ? json_object_get_string_member_with_default(o, "janus", "") : "";
    if (!o || strcmp(j, "error") == 0) {
        g_autofree char *text = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
        fail(c->r, text);
    } else if (c->fn) {
        c->fn(c->r, o, c->user);
    }
    g_free(c);
}

/* POSTs the object built in b (consumed) to base[/session[/handle]]. */
static void post(jroom *r, int64_t handle, JsonBuilder *b, reply_fn fn, void *user)
{
    json_builder_set_member_name(b, "transaction");
    char txn[24];
    g_snprintf(txn, sizeof txn, "t%u", ++r->txn);
    json_builder_add_string_value(b, txn);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_object_unref(b);
    g_autofree char *text = json_to_string(root, FALSE);
    g_autofree char *url = NULL;
    if (r->session == 0)
        url = g_strdup(r->base);
    else if (handle == 0)
        url = g_strdup_printf("%s/%" PRId64, r->base, r->session);
    else
        url = g_strdup_printf("%s/%" PRId64 "/%" PRId64, r->base, r->session, handle);
    SoupMessage *msg = soup_message_new("POST", url);
    g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));
    soup_message_set_request_body_from_bytes(msg, "application/json", body);
    post_ctx *c = g_new0(post_ctx, 1);
    *c = (post_ctx){r, fn, user};
    soup_session_send_and_read_async(r->http, msg, G_PRIORITY_DEFAULT, r->cancel, post_done, c);
    g_object_unref(msg);
}

static JsonBuilder *request(const char *janus)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "janus");
    json_builder_add_string_value(b, janus);
    return b;
}

/* A plugin message: body members are added by the caller between
 * message_begin() and message_end(). */
static JsonBuilder *message_begin(const char *req)
{
    JsonBuilder *b = request("message");
    json_builder_set_member_name(b, "body");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "request");
    json_builder_add_string_value(b, req);
    return b;
}

static void message_end(JsonBuilder *b, const char *jsep_type, const char *sdp)
{
    json_builder_end_object(b);
    if (sdp) {
        json_builder_set_member_name(b, "jsep");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, jsep_type);
        json_builder_set_member_name(b, "sdp");
        json_builder_add_string_value(b, sdp);
        json_builder_end_object(b);
    }
}

static int64_t data_id(JsonObject *o)
{
    JsonObject *d =
        json_object_has_member(o, "data") ? json_object_get_object_member(o, "data") : NULL;
    return d ? json_object_get_int_member_with_default(d, "id", 0) : 0;
}

/* ---- SDP ---- */

/* Our publisher offer: sendonly Opus (pt 111, mid 0) and VP8 (pt 96, mid 1). */
static char *publisher_offer(dc_load_site *s)
{
    const char *fp = dc_dtls_cert_fingerprint(s->m->load->cert);
    const char *ufrag = dc_transport_ufrag(s->transport), *pwd = dc_transport_pwd(s->transport);
    GString *o = g_string_new(NULL);
    g_string_append_printf(o,
                           "v=0\r\no=- %u 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                           "a=group:BUNDLE 0 1\r\na=msid-semantic: WMS %s\r\n",
                           g_random_int() >> 1, s->id);
    static const char *kinds[2] = {"audio", "video"};
    for (int k = 0; k < 2; k++) {
        g_string_append_printf(o,
                               "m=%s 9 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n"
                               "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n"
                               "a=fingerprint:%s\r\na=setup:active\r\na=mid:%d\r\n"
                               "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                               "a=sendonly\r\na=rtcp-mux\r\n",
                               kinds[k], k ? 96 : 111, ufrag, pwd, fp, k);
        if (k == 0)
            g_string_append(o, "a=rtpmap:111 opus/48000/2\r\n"
                               "a=fmtp:111 minptime=10;useinbandfec=1\r\n");
        else
            g_string_append(o, "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
                               "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n");
        g_string_append_printf(o, "a=msid:%s %s%d\r\na=ssrc:%u cname:%s\r\n", s->id, kinds[k], k,
                               s->ssrc[k == 0 ? DC_MEDIA_AUDIO : DC_MEDIA_VIDEO], s->id);
    }
    return g_string_free(o, FALSE);
}

/* Our answer to a subscriber offer: every audio/video m-line recvonly with
 * its Opus or VP8 payload type, the rest rejected. */
static char *subscriber_answer(dc_load_site *s, const dc_sdp *offer)
{
    const char *fp = dc_dtls_cert_fingerprint(s->m->load->cert);
    const char *ufrag = dc_transport_ufrag(s->rx_transport);
    const char *pwd = dc_transport_pwd(s->rx_transport);
    GString *o = g_string_new(NULL);
    g_string_append_printf(o, "v=0\r\no=- %u 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
                           g_random_int() >> 1);
    if (offer->bundle->len) {
        g_string_append(o, "a=group:BUNDLE");
        for (guint i = 0; i < offer->bundle->len; i++)
            g_string_append_printf(o, " %s", (const char *)offer->bundle->pdata[i]);
        g_string_append(o, "\r\n");
    }
    for (guint i = 0; i < offer->media->len; i++) {
        const dc_sdp_media *m = offer->media->pdata[i];
        const dc_sdp_codec *c = NULL;
        if (m->port != 0 && m->kind == DC_SDP_KIND_AUDIO)
            c = dc_sdp_media_find_codec(m, "opus", 48000);
        else if (m->port != 0 && m->kind == DC_SDP_KIND_VIDEO)
            c = dc_sdp_media_find_codec(m, "VP8", 90000);
        if (!c) {
            g_string_append_printf(o, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->media,
                                   m->proto ? m->proto : "UDP/TLS/RTP/SAVPF",
                                   m->fmt ? m->fmt : "0");
            if (m->mid)
                g_string_append_printf(o, "a=mid:%s\r\n", m->mid);
            continue;
        }
        g_string_append_printf(o,
                               "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\n"
                               "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:%s\r\n"
                               "a=setup:active\r\na=mid:%s\r\na=recvonly\r\na=rtcp-mux\r\n"
                               "a=rtpmap:%u %s/%u%s\r\n",
                               m->media, c->pt, ufrag, pwd, fp, m->mid ? m->mid : "0", c->pt,
                               c->name, c->clock_rate, c->channels == 2 ? "/2" : "");
        if (c->fmtp)
            g_string_append_printf(o, "a=fmtp:%u %s\r\n", c->pt, c->fmtp);
    }
    return g_string_free(o, FALSE);
}

/* Remote ICE credentials and fingerprint of the first m-line, and its
 * candidates into t. */
static bool apply_remote(dc_load_site *s, dc_transport *t, const dc_sdp *sdp)
{
    if (sdp->media->len == 0)
        return false;
    const dc_sdp_media *m0 = sdp->media->pdata[0];
    dc_sdp_transport tr;
    dc_sdp_media_transport(sdp, m0, &tr);
    if (!tr.ice_ufrag || !tr.ice_pwd || !tr.fp_algorithm || !tr.fp_hex)
        return false;
    g_autofree char *fp = g_strdup_printf("%s %s", tr.fp_algorithm, tr.fp_hex);
    g_autoptr(GError) error = NULL;
    if (!dc_transport_set_remote(t, tr.ice_ufrag, tr.ice_pwd, fp, &error)) {
        dc_load_site_fail(s, error->message);
        return false;
    }
    for (guint i = 0; i < sdp->media->len; i++) {
        const dc_sdp_media *m = sdp->media->pdata[i];
        for (guint k = 0; k < m->candidates->len; k++) {
            g_autofree char *c = dc_sdp_candidate_to_string(m->candidates->pdata[k]);
            dc_transport_add_remote_candidate(t, c);
        }
    }
    return true;
}

/* ---- transports ---- */

static void trickle(jroom *r, int64_t handle, const char *candidate)
{
    JsonBuilder *b = request("trickle");
    json_builder_set_member_name(b, "candidate");
    json_builder_begin_object(b);
    if (candidate[0]) {
        json_builder_set_member_name(b, "candidate");
        json_builder_add_string_value(b, candidate);
        json_builder_set_member_name(b, "sdpMid");
        json_builder_add_string_value(b, "0");
        json_builder_set_member_name(b, "sdpMLineIndex");
        json_builder_add_int_value(b, 0);
    } else {
        json_builder_set_member_name(b, "completed");
        json_builder_add_boolean_value(b, TRUE);
    }
    json_builder_end_object(b);
    post(r, handle, b, NULL, NULL);
}

static void pub_candidate(void *user, const char *candidate)
{
    dc_load_site *s = user;
    jroom *r = s->m->proto;
    trickle(r, r->pub[s->index].id, candidate);
}

static void sub_candidate(void *user, const char *candidate)
{
    dc_load_site *s = user;
    jroom *r = s->m->proto;
    trickle(r, r->sub[s->index].id, candidate);
}

static void sub_state(void *user, int state)
{
    dc_load_site *s = user;
    if (state == DC_TRANSPORT_CONNECTED)
        s->rx_connected = true;
    else if (state == DC_TRANSPORT_FAILED)
        dc_load_site_fail(s, "the subscriber transport failed");
}

static const dc_transport_callbacks pub_cb = {
    .on_candidate = pub_candidate,
    .on_state = dc_load_on_state,
    .on_rtp = dc_load_on_rtp,
    .on_rtcp = dc_load_on_rtcp,
};

static const dc_transport_callbacks sub_cb = {
    .on_candidate = sub_candidate,
    .on_state = sub_state,
    .on_rtp = dc_load_on_rtp,
    .on_rtcp = dc_load_on_rtcp,
};

/* ---- the room ---- */

static void subscribe_all(jroom *r);

static void on_sub_attached(jroom *r, JsonObject *o, void *user)
{
    jhandle *h = user;
    h->id = data_id(o);
    g_hash_table_insert(r->handles, g_memdup2(&h->id, sizeof h->id), h);
    JsonBuilder *b = message_begin("join");
    json_builder_set_member_name(b, "ptype");
    json_builder_add_string_value(b, "subscriber");
    json_builder_set_member_name(b, "room");
    json_builder_add_int_value(b, r->room);
    json_builder_set_member_name(b, "streams");
    json_builder_begin_array(b);
    for (int i = 0; i < r->m->n_sites; i++) {
        if (i == h->site->index)
            continue;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "feed");
        json_builder_add_int_value(b, r->feed[i]);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    message_end(b, NULL, NULL);
    post(r, h->id, b, NULL, NULL);
}

static void attach(jroom *r, jhandle *h, reply_fn fn)
{
    JsonBuilder *b = request("attach");
    json_builder_set_member_name(b, "plugin");
    json_builder_add_string_value(b, "janus.plugin.videoroom");
    post(r, 0, b, fn, h);
}

static void subscribe_all(jroom *r)
{
    r->subscribing = true;
    for (int i = 0; i < r->m->n_sites; i++)
        attach(r, &r->sub[i], on_sub_attached);
}

static void on_joined(jroom *r, jhandle *h, JsonObject *data)
{
    dc_load_site *s = h->site;
    r->feed[s->index] = json_object_get_int_member_with_default(data, "id", 0);
    g_autoptr(GError) error = NULL;
    s->transport =
        dc_transport_new(NULL, s->m->load->cert, s->m->load->loopback, &pub_cb, s, &error);
    if (!s->transport) {
        dc_load_site_fail(s, error->message);
        return;
    }
    g_autofree char *offer = publisher_offer(s);
    JsonBuilder *b = message_begin("configure");
    json_builder_set_member_name(b, "audio");
    json_builder_add_boolean_value(b, TRUE);
    json_builder_set_member_name(b, "video");
    json_builder_add_boolean_value(b, TRUE);
    message_end(b, "offer", offer);
    post(r, h->id, b, NULL, NULL);
}

static void on_pub_answer(jroom *r, jhandle *h, const char *sdp_text)
{
    dc_load_site *s = h->site;
    g_autoptr(dc_sdp) sdp = NULL;
    g_autoptr(GError) error = NULL;
    if (!dc_sdp_parse(sdp_text, strlen(sdp_text), &sdp, &error)) {
        dc_load_site_fail(s, error->message);
        return;
    }
    if (!apply_remote(s, s->transport, sdp))
        return;
    for (guint i = 0; i < sdp->media->len && i < 2; i++) {
        const dc_sdp_media *m = sdp->media->pdata[i];
        dc_media_kind k = m->kind == DC_SDP_KIND_AUDIO ? DC_MEDIA_AUDIO : DC_MEDIA_VIDEO;
        const dc_sdp_codec *c = k == DC_MEDIA_AUDIO ? dc_sdp_media_find_codec(m, "opus", 48000)
                                                    : dc_sdp_media_find_codec(m, "VP8", 90000);
        dc_sender_track t = {.active = m->port != 0 && c != NULL, .pt = c ? c->pt : 0};
        g_strlcpy(t.mid, m->mid ? m->mid : "", sizeof t.mid);
        uint16_t ext = dc_sdp_media_ext_id(m, "urn:ietf:params:rtp-hdrext:sdes:mid");
        t.ext_mid = ext <= 14 ? (uint8_t)ext : 0;
        dc_load_site_set_track(s, k, &t);
    }
    r->published++;
}

/* Subscribers join once every publisher's media is up (Janus refuses a
 * feed whose PeerConnection is not). */
static gboolean check_published(gpointer data)
{
    jroom *r = data;
    if (r->subscribing)
        return G_SOURCE_REMOVE;
    for (int i = 0; i < r->m->n_sites; i++)
        if (!r->m->sites[i].connected || r->feed[i] == 0)
            return G_SOURCE_CONTINUE;
    r->check_id = 0;
    subscribe_all(r);
    return G_SOURCE_REMOVE;
}

static void on_sub_offer(jroom *r, jhandle *h, const char *sdp_text)
{
    dc_load_site *s = h->site;
    g_autoptr(dc_sdp) sdp = NULL;
    g_autoptr(GError) error = NULL;
    if (!dc_sdp_parse(sdp_text, strlen(sdp_text), &sdp, &error)) {
        dc_load_site_fail(s, error->message);
        return;
    }
    if (!s->rx_transport) {
        s->rx_transport =
            dc_transport_new(NULL, s->m->load->cert, s->m->load->loopback, &sub_cb, s, &error);
        if (!s->rx_transport) {
            dc_load_site_fail(s, error->message);
            return;
        }
    }
    g_autofree char *answer = subscriber_answer(s, sdp);
    if (!apply_remote(s, s->rx_transport, sdp))
        return;
    JsonBuilder *b = message_begin("start");
    message_end(b, "answer", answer);
    post(r, h->id, b, NULL, NULL);
}

static void on_event(jroom *r, JsonObject *ev)
{
    if (g_getenv("DC_LOAD_DEBUG")) {
        g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), ev);
        g_autofree char *t = json_to_string(n, FALSE);
        g_printerr("janus event: %.600s\n", t);
    }
    const char *type = json_object_get_string_member_with_default(ev, "janus", "");
    int64_t sender = json_object_get_int_member_with_default(ev, "sender", 0);
    jhandle *h = g_hash_table_lookup(r->handles, &sender);
    if (!h)
        return;
    if (strcmp(type, "trickle") == 0) {
        JsonObject *c = json_object_get_object_member(ev, "candidate");
        const char *cand =
            c ? json_object_get_string_member_with_default(c, "candidate", NULL) : NULL;
        dc_transport *t = h->role == ROLE_PUB ? h->site->transport : h->site->rx_transport;
        if (t && cand)
            dc_transport_add_remote_candidate(t, cand);
        return;
    }
    if (strcmp(type, "event") != 0)
        return;
    JsonObject *pd = json_object_get_object_member(ev, "plugindata");
    JsonObject *data = pd ? json_object_get_object_member(pd, "data") : NULL;
    JsonObject *jsep =
        json_object_has_member(ev, "jsep") ? json_object_get_object_member(ev, "jsep") : NULL;
    const char *vr = data ? json_object_get_string_member_with_default(data, "videoroom", "") : "";
    if (data && json_object_has_member(data, "error")) {
        dc_load_site_fail(h->site, json_object_get_string_member_with_default(data, "error", "?"));
        return;
    }
    const char *sdp = jsep ? json_object_get_string_member_with_default(jsep, "sdp", NULL) : NULL;
    if (h->role == ROLE_PUB && strcmp(vr, "joined") == 0)
        on_joined(r, h, data);
    else if (h->role == ROLE_PUB && sdp)
        on_pub_answer(r, h, sdp);
    else if (h->role == ROLE_SUB && sdp)
        on_sub_offer(r, h, sdp);
}

static void poll_next(jroom *r);

static void poll_done(GObject *src, GAsyncResult *res, gpointer data)
{
    jroom *r = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) body = soup_session_send_and_read_finish(SOUP_SESSION(src), res, &error);
    if (!body) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            fail(r, error->message);
        return;
    }
    gsize n;
    const char *text = g_bytes_get_data(body, &n);
    g_autoptr(JsonParser) p = json_parser_new();
    if (json_parser_load_from_data(p, text, (gssize)n, NULL)) {
        JsonNode *root = json_parser_get_root(p);
        if (JSON_NODE_HOLDS_ARRAY(root)) {
            JsonArray *a = json_node_get_array(root);
            for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);
                if (JSON_NODE_HOLDS_OBJECT(e))
                    on_event(r, json_node_get_object(e));
            }
        } else if (JSON_NODE_HOLDS_OBJECT(root)) {
            on_event(r, json_node_get_object(root));
        }
    }
    if (!r->stopping)
        poll_next(r);
}

static void poll_next(jroom *r)
{
    g_autofree char *url =
        g_strdup_printf("%s/%" PRId64 "?maxev=%d", r->base, r->session, POLL_EVENTS);
    SoupMessage *msg = soup_message_new("GET", url);
    soup_session_send_and_read_async(r->http, msg, G_PRIORITY_DEFAULT, r->cancel, poll_done, r);
    g_object_unref(msg);
}

static void on_pub_attached(jroom *r, JsonObject *o, void *user)
{
    jhandle *h = user;
    h->id = data_id(o);
    g_hash_table_insert(r->handles, g_memdup2(&h->id, sizeof h->id), h);
    JsonBuilder *b = message_begin("join");
    json_builder_set_member_name(b, "ptype");
    json_builder_add_string_value(b, "publisher");
    json_builder_set_member_name(b, "room");
    json_builder_add_int_value(b, r->room);
    json_builder_set_member_name(b, "display");
    json_builder_add_string_value(b, h->site->id);
    message_end(b, NULL, NULL);
    post(r, h->id, b, NULL, NULL);
}

static void on_room(jroom *r, JsonObject *o, void *user)
{
    for (int i = 0; i < r->m->n_sites; i++)
        attach(r, &r->pub[i], on_pub_attached);
}

static void on_admin(jroom *r, JsonObject *o, void *user)
{
    r->admin = data_id(o);
    JsonBuilder *b = message_begin("create");
    json_builder_set_member_name(b, "room");
    json_builder_add_int_value(b, r->room);
    json_builder_set_member_name(b, "publishers");
    json_builder_add_int_value(b, r->m->n_sites + 2);
    json_builder_set_member_name(b, "audiocodec");
    json_builder_add_string_value(b, "opus");
    json_builder_set_member_name(b, "videocodec");
    json_builder_add_string_value(b, "vp8");
    message_end(b, NULL, NULL);
    post(r, r->admin, b, on_room, NULL);
}

static void on_session(jroom *r, JsonObject *o, void *user)
{
    r->session = data_id(o);
    poll_next(r);
    attach(r, NULL, on_admin);
}

bool dc_load_janus_start(dc_load_meeting *m, GError **error)
{
    jroom *r = g_new0(jroom, 1);
    r->m = m;
    r->base = g_strdup(m->url);
    r->room = ROOM_BASE + m->index;
    r->http = soup_session_new_with_options("max-conns", 256, "max-conns-per-host", 128, "timeout",
                                            60, NULL);
    r->cancel = g_cancellable_new();
    r->handles = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    r->pub = g_new0(jhandle, m->n_sites);
    r->sub = g_new0(jhandle, m->n_sites);
    r->feed = g_new0(int64_t, m->n_sites);
    for (int i = 0; i < m->n_sites; i++) {
        r->pub[i] = (jhandle){.site = &m->sites[i], .role = ROLE_PUB};
        r->sub[i] = (jhandle){.site = &m->sites[i], .role = ROLE_SUB};
    }
    m->proto = r;
    r->check_id = g_timeout_add(100, check_published, r);
    post(r, 0, request("create"), on_session, NULL);
    return true;
}

void dc_load_janus_stop(dc_load_meeting *m)
{
    jroom *r = m->proto;
    if (!r)
        return;
    r->stopping = true;
    if (r->check_id)
        g_source_remove(r->check_id);
    g_cancellable_cancel(r->cancel);
    /* Janus drops the session's handles when the process stops; the
     * benchmark stops it right after. */
    while (g_main_context_iteration(NULL, FALSE)) {
    }
    g_object_unref(r->http);
    g_object_unref(r->cancel);
    g_hash_table_unref(r->handles);
    g_free(r->pub);
    g_free(r->sub);
    g_free(r->feed);
    g_free(r->base);
    g_free(r);
    m->proto = NULL;
}
