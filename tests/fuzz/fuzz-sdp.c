/* Fuzz target for core/sdp: whatever parses must write, parse back and compare
 * equal; candidates found in it must round-trip through the trickle form; an
 * answer to it must write and parse back. Everything is freed (LeakSanitizer). */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_candidates(const dc_sdp *s)
{
    for (guint i = 0; i < s->media->len; i++) {
        const dc_sdp_media *m = s->media->pdata[i];
        for (guint j = 0; j < m->candidates->len; j++) {
            g_autofree char *text = dc_sdp_candidate_to_string(m->candidates->pdata[j]);
            g_autoptr(dc_sdp_candidate) c = dc_sdp_candidate_parse(text, NULL);
            if (!c)
                abort();
            g_autofree char *again = dc_sdp_candidate_to_string(c);
            if (g_strcmp0(text, again))
                abort();
        }
    }
}

static void check_answer(const dc_sdp *offer)
{
    static const dc_sdp_codec_cap caps[] = {{"opus", 48000, 2, "minptime=10;useinbandfec=1"},
                                            {"VP8", 90000, 0, NULL},
                                            {"rtx", 0, 0, NULL},
                                            {"red", 0, 0, NULL}};
    static const char *const fb[] = {"nack", "nack pli", "transport-cc", NULL};
    static const char *const exts[] = {DC_SDP_EXT_MID, DC_SDP_EXT_TRANSPORT_CC, NULL};
    const dc_sdp_media *first = offer->media->len ? offer->media->pdata[0] : NULL;
    dc_sdp_track track = {first ? first->mid : NULL, NULL, "t", 1, 2, "c"};
    dc_sdp_local local = {.ice_ufrag = "abcd",
                          .ice_pwd = "abcdefghijklmnopqrstuvwx",
                          .fp_algorithm = "sha-256",
                          .fp_hex = "AB:CD",
                          .setup = DC_SDP_SETUP_ACTIVE,
                          .codecs = caps,
                          .n_codecs = G_N_ELEMENTS(caps),
                          .rtcp_fb = fb,
                          .extensions = exts,
                          .tracks = &track,
                          .n_tracks = 1};
    g_autoptr(dc_sdp) ans = dc_sdp_answer(offer, &local, NULL);
    if (!ans)
        return; /* a section without a mid */
    g_autofree char *text = dc_sdp_write(ans);
    g_autoptr(dc_sdp) back = NULL;
    if (!dc_sdp_parse(text, strlen(text), &back, NULL) || !dc_sdp_equal(ans, back))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(dc_sdp) s = NULL;
    g_autoptr(GError) err = NULL;
    if (!dc_sdp_parse((const char *)data, size, &s, &err)) {
        if (!err || !g_str_has_prefix(err->message, "line "))
            abort();
        return 0;
    }
    g_autofree char *text = dc_sdp_write(s);
    g_autoptr(dc_sdp) back = NULL;
    g_autoptr(GError) err2 = NULL;
    if (!dc_sdp_parse(text, strlen(text), &back, &err2)) {
        fprintf(stderr, "reparse failed: %s\n%s", err2->message, text);
        abort();
    }
    if (!dc_sdp_equal(s, back)) {
        fprintf(stderr, "round trip differs:\n%s", text);
        abort();
    }
    check_candidates(s);
    check_answer(s);
    return 0;
}
