/* Unit tests for bridge/offer: which answers the bridge refuses, and why
 * (dc_offer_check_answer), table-driven over edits of a Chromium-style
 * answer to a real offer (dc_offer_build). No I/O, no clock. */
#include <glib.h>
#include <string.h>

#include "bridge/offer.h"
#include "bridge/router.h"
#include "core/sdp.h"

#define N_SITES 3

static void no_send(void *user, unsigned site, const uint8_t *buf, size_t len, bool is_rtcp)
{
}

/* The offer to site 0 of three (all present) and a Chromium-style answer to
 * it, as text with CRLF lines. */
static char *good_answer(void)
{
    static const char *const ids[N_SITES] = {"tinh", "can-loc", "duc-tho"};
    static const bool present[N_SITES] = {true, true, true};
    dc_router_callbacks cb = {.send = no_send};
    dc_router *r = dc_router_new(N_SITES, 42, 0, &cb, NULL);
    dc_offer_desc d = {
        .site_ids = ids,
        .n_sites = N_SITES,
        .receiver = 0,
        .present = present,
        .router = r,
        .origin_id = 7,
        .version = 1,
        .ice_ufrag = "brUf",
        .ice_pwd = "bridgepasswordbridgepass",
        .fingerprint = "sha-256 11:22:33",
    };
    g_autofree char *otext = dc_offer_build(&d, NULL);
    dc_router_free(r);
    g_autoptr(dc_sdp) offer = NULL;
    g_assert_true(dc_sdp_parse(otext, strlen(otext), &offer, NULL));
    static const dc_sdp_codec_cap codecs[] = {{"opus", 48000, 2, NULL}, {"VP8", 90000, 0, NULL}};
    static const char *const fb[] = {"nack", "nack pli", "ccm fir", "goog-remb", NULL};
    static const char *const ext[] = {DC_SDP_EXT_MID, DC_SDP_EXT_AUDIO_LEVEL, NULL};
    const dc_sdp_track tracks[] = {{"0", "s", "a", 1111, 0, "c"}, {"1", "s", "v", 2222, 0, "c"}};
    dc_sdp_local local = {
        .origin_id = 9,
        .origin_version = 1,
        .ice_ufrag = "siUf",
        .ice_pwd = "sitepasswordsitepassword",
        .fp_algorithm = "sha-256",
        .fp_hex = "AB:CD:EF",
        .setup = DC_SDP_SETUP_ACTIVE,
        .codecs = codecs,
        .n_codecs = G_N_ELEMENTS(codecs),
        .rtcp_fb = fb,
        .extensions = ext,
        .tracks = tracks,
        .n_tracks = G_N_ELEMENTS(tracks),
    };
    g_autoptr(dc_sdp) answer = dc_sdp_answer(offer, &local, NULL);
    g_assert_nonnull(answer);
    return dc_sdp_write(answer);
}

/* Replaces every occurrence of from in text (which must occur). */
static char *edit(const char *text, const char *from, const char *to)
{
    g_assert_nonnull(strstr(text, from));
    g_auto(GStrv) parts = g_strsplit(text, from, -1);
    return g_strjoinv(to, parts);
}

typedef struct {
    const char *name;
    const char *from, *to; /* an edit of the good answer; NULL: none */
    const char *from2, *to2;
    const char *error; /* a substring of the refusal; NULL: accepted */
} answer_case;

static const answer_case cases[] = {
    {"chromium-style", NULL, NULL, NULL, NULL, NULL},
    /* webrtcbin's default bundle policy ("none"): no group at all */
    {"no-bundle", "a=group:BUNDLE 0 1 2 3 4 5\r\n", "", NULL, NULL, "no a=group:BUNDLE"},
    {"bundle-partial", "a=group:BUNDLE 0 1 2 3 4 5\r\n", "a=group:BUNDLE 0 1 2 3\r\n", NULL, NULL,
     "m-line 4 (mid 4) is not in the a=group:BUNDLE group"},
    /* a section the site rejects (port 0) may stay out of the group */
    {"rejected-outside-bundle", "a=group:BUNDLE 0 1 2 3 4 5\r\n", "a=group:BUNDLE 0 1 2 3 4\r\n",
     "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
     "a=ice-ufrag:siUf\r\na=ice-pwd:sitepasswordsitepassword\r\na=ice-options:trickle\r\n"
     "a=fingerprint:sha-256 AB:CD:EF\r\na=setup:active\r\na=mid:5\r\n",
     "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:5\r\n", NULL},
    {"no-rtcp-mux", "a=rtcp-mux\r\n", "", NULL, NULL, "m-line 0 (mid 0) has no a=rtcp-mux"},
    {"no-opus", "opus/48000/2", "ISAC/16000", NULL, NULL,
     "no common codec: it must keep Opus/48000/2 as payload type 111"},
    {"no-vp8", "VP8/90000", "H264/90000", NULL, NULL,
     "no common codec: it must keep VP8/90000 as payload type 96"},
    {"vp8-other-pt", "a=rtpmap:96 VP8/90000", "a=rtpmap:97 VP8/90000", " 96\r\n", " 97\r\n",
     "VP8/90000 as payload type 96"},
    {"no-fingerprint", "a=fingerprint:sha-256 AB:CD:EF\r\n", "", NULL, NULL,
     "no DTLS fingerprint (a=fingerprint)"},
    {"no-ice", "a=ice-ufrag:siUf\r\n", "", NULL, NULL, "no ICE credentials"},
    {"setup-passive", "a=setup:active", "a=setup:passive", NULL, NULL,
     "a=setup:passive: the site must be the DTLS client (a=setup:active)"},
    {"setup-actpass", "a=setup:active", "a=setup:actpass", NULL, NULL, "a=setup:actpass"},
    {"no-setup", "a=setup:active\r\n", "", NULL, NULL, "no a=setup"},
    /* nack is optional: without it the uplink is repaired by PLI only */
    {"no-nack", "a=rtcp-fb:96 nack\r\n", "", NULL, NULL, NULL},
};

static void test_case(gconstpointer data)
{
    const answer_case *c = data;
    g_autofree char *good = good_answer();
    g_autofree char *once = c->from ? edit(good, c->from, c->to) : g_strdup(good);
    g_autofree char *text = c->from2 ? edit(once, c->from2, c->to2) : g_strdup(once);
    g_autoptr(dc_sdp) sdp = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(dc_sdp_parse(text, strlen(text), &sdp, &error));
    bool ok = dc_offer_check_answer(sdp, &error);
    if (!c->error) {
        g_assert_no_error(error);
        g_assert_true(ok);
    } else {
        g_assert_false(ok);
        g_assert_error(error, DC_SDP_ERROR, DC_SDP_ERROR_NEGOTIATION);
        if (!strstr(error->message, c->error))
            g_error("%s: \"%s\" does not say \"%s\"", c->name, error->message, c->error);
        g_assert_true(g_str_has_prefix(error->message, "answer refused: "));
    }
    /* dc_offer_parse_answer() refuses the same answers. */
    dc_router_site_params *p = g_new0(dc_router_site_params, 1);
    dc_offer_remote remote = {0};
    g_autoptr(GError) perr = NULL;
    bool parsed = dc_offer_parse_answer(text, 0, N_SITES, p, &remote, &perr);
    g_assert_true(parsed == !c->error);
    if (parsed) {
        g_assert_cmpstr(remote.ice_ufrag, ==, "siUf");
        g_assert_cmpstr(remote.fingerprint, ==, "sha-256 AB:CD:EF");
        g_assert_true(remote.dtls_server);
        g_assert_true(p->recv[DC_ROUTER_VIDEO].active);
        g_assert_cmpuint(p->recv[DC_ROUTER_VIDEO].pt, ==, 96);
        g_assert_true(p->recv[DC_ROUTER_VIDEO].fb_nack == (strcmp(c->name, "no-nack") != 0));
        g_assert_cmpuint(p->recv_ssrc[DC_ROUTER_VIDEO], ==, 2222);
    }
    dc_offer_remote_clear(&remote);
    g_free(p);
}

/* Real answers of GStreamer webrtcbin 1.22 to the bridge's offer (captured
 * by tests/interop, kept as fuzz seeds): its default bundle policy is
 * refused for the missing BUNDLE group, max-bundle is taken. */
static void test_webrtcbin(void)
{
    static const struct {
        const char *file, *error;
    } real[] = {{"webrtcbin-none.sdp", "no a=group:BUNDLE"}, {"webrtcbin-max-bundle.sdp", NULL}};
    for (size_t i = 0; i < G_N_ELEMENTS(real); i++) {
        g_autofree char *path = g_build_filename(g_getenv("DC_SOURCE_ROOT"), "tests", "fuzz",
                                                 "corpus", "answer", real[i].file, NULL);
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        g_autoptr(dc_sdp) sdp = NULL;
        g_autoptr(GError) error = NULL;
        g_assert_true(dc_sdp_parse(text, strlen(text), &sdp, &error));
        bool ok = dc_offer_check_answer(sdp, &error);
        g_assert_true(ok == !real[i].error);
        if (real[i].error)
            g_assert_nonnull(strstr(error->message, real[i].error));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/offer/check-answer/webrtcbin", test_webrtcbin);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/offer/check-answer/%s", cases[i].name);
        g_test_add_data_func(path, &cases[i], test_case);
    }
    return g_test_run();
}
