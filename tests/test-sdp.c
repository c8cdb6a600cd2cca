/* Unit tests for core/sdp: parsing real-looking Chromium SDPs, writing,
 * round trips, the bridge's offer, Chromium-style answers, malformed input. */
#include <glib.h>
#include <string.h>

#include "core/sdp.h"

/* Chromium 120 offer: audio + video sendrecv + data channel. Lines are joined
 * with CRLF by crlf(). */
static const char *const chrome_offer[] = {
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1 2",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS 5y9xXs4Fj1TQ1ynXcCiGJV8sRnqXpfBPRUy9",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:Gm3e",
    "a=ice-pwd:Y0VWh1cbDHqBbgFHlnJp2Xzt",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:"
    "19:08",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendrecv",
    "a=msid:5y9xXs4Fj1TQ1ynXcCiGJV8sRnqXpfBPRUy9 1f0c6d4e-1b8d-4b5f-9b0a-0c2bd2c1ab01",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:13 CN/8000",
    "a=rtpmap:110 telephone-event/48000",
    "a=rtpmap:126 telephone-event/8000",
    "a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6",
    "a=ssrc:3735928559 msid:5y9xXs4Fj1TQ1ynXcCiGJV8sRnqXpfBPRUy9 "
    "1f0c6d4e-1b8d-4b5f-9b0a-0c2bd2c1ab01",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 45 46 102 103 104 105",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:Gm3e",
    "a=ice-pwd:Y0VWh1cbDHqBbgFHlnJp2Xzt",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:"
    "19:08",
    "a=setup:actpass",
    "a=mid:1",
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:13 urn:3gpp:video-orientation",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
    "a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type",
    "a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
    "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "a=sendrecv",
    "a=msid:5y9xXs4Fj1TQ1ynXcCiGJV8sRnqXpfBPRUy9 9a3e05b1-7c3a-4d0e-8f3f-7b0b2f6c5d11",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 transport-cc",
    "a=rtcp-fb:96 ccm fir",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:98 VP9/90000",
    "a=rtcp-fb:98 goog-remb",
    "a=rtcp-fb:98 transport-cc",
    "a=rtcp-fb:98 ccm fir",
    "a=rtcp-fb:98 nack",
    "a=rtcp-fb:98 nack pli",
    "a=fmtp:98 profile-id=0",
    "a=rtpmap:99 rtx/90000",
    "a=fmtp:99 apt=98",
    "a=rtpmap:100 VP9/90000",
    "a=rtcp-fb:100 goog-remb",
    "a=rtcp-fb:100 transport-cc",
    "a=rtcp-fb:100 ccm fir",
    "a=rtcp-fb:100 nack",
    "a=rtcp-fb:100 nack pli",
    "a=fmtp:100 profile-id=2",
    "a=rtpmap:101 rtx/90000",
    "a=fmtp:101 apt=100",
    "a=rtpmap:45 AV1/90000",
    "a=rtcp-fb:45 goog-remb",
    "a=rtcp-fb:45 transport-cc",
    "a=rtcp-fb:45 ccm fir",
    "a=rtcp-fb:45 nack",
    "a=rtcp-fb:45 nack pli",
    "a=fmtp:45 level-idx=5;profile=0;tier=0",
    "a=rtpmap:46 rtx/90000",
    "a=fmtp:46 apt=45",
    "a=rtpmap:102 H264/90000",
    "a=rtcp-fb:102 goog-remb",
    "a=rtcp-fb:102 transport-cc",
    "a=rtcp-fb:102 ccm fir",
    "a=rtcp-fb:102 nack",
    "a=rtcp-fb:102 nack pli",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
    "a=rtpmap:103 rtx/90000",
    "a=fmtp:103 apt=102",
    "a=rtpmap:104 red/90000",
    "a=rtpmap:105 ulpfec/90000",
    "a=ssrc-group:FID 2231627014 632943048",
    "a=ssrc:2231627014 cname:4TOk42mSjXCkVIa6",
    "a=ssrc:2231627014 msid:5y9xXs4Fj1TQ1ynXcCiGJV8sRnqXpfBPRUy9 "
    "9a3e05b1-7c3a-4d0e-8f3f-7b0b2f6c5d11",
    "a=ssrc:632943048 cname:4TOk42mSjXCkVIa6",
    "a=ssrc:632943048 msid:5y9xXs4Fj1TQ1ynXcCiGJV8sRnqXpfBPRUy9 "
    "9a3e05b1-7c3a-4d0e-8f3f-7b0b2f6c5d11",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:Gm3e",
    "a=ice-pwd:Y0VWh1cbDHqBbgFHlnJp2Xzt",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:"
    "19:08",
    "a=setup:actpass",
    "a=mid:2",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
    NULL,
};

/* Chromium 120 answering a bridge offer (own audio/video recvonly at the
 * bridge, one remote site sendonly), with non-default ids it mirrored. */
static const char *const chrome_answer[] = {
    "v=0",
    "o=- 8915527306129312345 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE a0 v0 a1 v1",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS 8bdf7c3e-9d5d-4f0a-a3c4-8f26e4d3b0c1",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:x9Qb",
    "a=ice-pwd:mE2mGm1mJqhvdyGvZ7Oi3dT9",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "1C:6F:A3:4E:90:7B:2D:88:35:C7:0F:12:9A:BE:44:D1:73:08:E5:6C:2B:FA:91:3D:57:E0:AA:C4:18:62:"
    "0B:9F",
    "a=setup:active",
    "a=mid:a0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendonly",
    "a=msid:8bdf7c3e-9d5d-4f0a-a3c4-8f26e4d3b0c1 0b6a7c2e-3e4f-4a5b-9c8d-1e2f3a4b5c6d",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=ssrc:1001 cname:dq7K2Zf0b3Z9GqRw",
    "a=ssrc:1001 msid:8bdf7c3e-9d5d-4f0a-a3c4-8f26e4d3b0c1 0b6a7c2e-3e4f-4a5b-9c8d-1e2f3a4b5c6d",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:x9Qb",
    "a=ice-pwd:mE2mGm1mJqhvdyGvZ7Oi3dT9",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "1C:6F:A3:4E:90:7B:2D:88:35:C7:0F:12:9A:BE:44:D1:73:08:E5:6C:2B:FA:91:3D:57:E0:AA:C4:18:62:"
    "0B:9F",
    "a=setup:active",
    "a=mid:v0",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendonly",
    "a=msid:8bdf7c3e-9d5d-4f0a-a3c4-8f26e4d3b0c1 6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 transport-cc",
    "a=rtcp-fb:96 ccm fir",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    "a=ssrc:2002 cname:dq7K2Zf0b3Z9GqRw",
    "a=ssrc:2002 msid:8bdf7c3e-9d5d-4f0a-a3c4-8f26e4d3b0c1 6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:x9Qb",
    "a=ice-pwd:mE2mGm1mJqhvdyGvZ7Oi3dT9",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "1C:6F:A3:4E:90:7B:2D:88:35:C7:0F:12:9A:BE:44:D1:73:08:E5:6C:2B:FA:91:3D:57:E0:AA:C4:18:62:"
    "0B:9F",
    "a=setup:active",
    "a=mid:a1",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=recvonly",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:x9Qb",
    "a=ice-pwd:mE2mGm1mJqhvdyGvZ7Oi3dT9",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "1C:6F:A3:4E:90:7B:2D:88:35:C7:0F:12:9A:BE:44:D1:73:08:E5:6C:2B:FA:91:3D:57:E0:AA:C4:18:62:"
    "0B:9F",
    "a=setup:active",
    "a=mid:v1",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=recvonly",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 transport-cc",
    "a=rtcp-fb:96 ccm fir",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    NULL,
};

/* Chromium offer with simulcast (rid lines, ignored) and gathered
 * candidates (not trickled), as from a non-trickling signalling path. */
static const char *const chrome_simulcast[] = {
    "v=0",
    "o=- 1234567890123456789 3 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=msid-semantic: WMS",
    "m=video 55400 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 203.0.113.7",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=candidate:1467250027 1 udp 2122260223 192.168.1.20 55400 typ host generation 0 "
    "network-id 1 network-cost 10",
    "a=candidate:842163049 1 udp 1686052607 203.0.113.7 55400 typ srflx raddr 192.168.1.20 "
    "rport 55400 generation 0 network-id 1 network-cost 10",
    "a=candidate:1 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0",
    "a=candidate:3 1 udp 41885439 198.51.100.1 3478 typ relay raddr 203.0.113.7 rport 55400",
    "a=end-of-candidates",
    "a=ice-ufrag:Zx1A",
    "a=ice-pwd:qLt0iFkxsHx9r0k7Pq8aTnBd",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
    "88:99",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "a=sendonly",
    "a=msid:- 3c4d5e6f-0000-4000-8000-000000000001",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rid:q send",
    "a=rid:h send",
    "a=rid:f send",
    "a=simulcast:send q;h;f",
    NULL,
};

static char *join(const char *const *lines, const char *eol)
{
    GString *g = g_string_new(NULL);
    for (size_t i = 0; lines[i]; i++)
        g_string_append_printf(g, "%s%s", lines[i], eol);
    return g_string_free(g, FALSE);
}

static dc_sdp *parse_ok(const char *text)
{
    g_autoptr(GError) err = NULL;
    dc_sdp *s = NULL;
    gboolean ok = dc_sdp_parse(text, strlen(text), &s, &err);
    g_assert_no_error(err);
    g_assert_true(ok);
    g_assert_nonnull(s);
    return s;
}

static dc_sdp *parse_lines_ok(const char *const *lines)
{
    g_autofree char *text = join(lines, "\r\n");
    return parse_ok(text);
}

static dc_sdp_media *media(const dc_sdp *s, guint i)
{
    g_assert_cmpuint(i, <, s->media->len);
    return s->media->pdata[i];
}

static void assert_fb(const dc_sdp_codec *c, const char *const *want)
{
    g_assert_cmpuint(c->rtcp_fb->len, ==, g_strv_length((char **)want));
    for (guint i = 0; want[i]; i++)
        g_assert_cmpstr(c->rtcp_fb->pdata[i], ==, want[i]);
}

static const char *const vp8_fb[] = {"goog-remb", "transport-cc", "ccm fir",
                                     "nack",      "nack pli",     NULL};

static void test_parse_chrome_offer(void)
{
    g_autoptr(dc_sdp) s = parse_lines_ok(chrome_offer);
    g_assert_cmpuint(s->origin_id, ==, G_GUINT64_CONSTANT(4611731400430051336));
    g_assert_cmpuint(s->origin_version, ==, 2);
    g_assert_cmpuint(s->bundle->len, ==, 3);
    g_assert_cmpstr(s->bundle->pdata[2], ==, "2");
    g_assert_true(s->extmap_allow_mixed);
    g_assert_true(s->ice_trickle);
    g_assert_cmpstr(s->msid_semantic, ==, "WMS 5y9xXs4Fj1TQ1ynXcCiGJV8sRnqXpfBPRUy9");
    g_assert_cmpuint(s->media->len, ==, 3);

    dc_sdp_media *a = media(s, 0);
    g_assert_cmpint(a->kind, ==, DC_SDP_KIND_AUDIO);
    g_assert_cmpuint(a->port, ==, 9);
    g_assert_cmpstr(a->proto, ==, "UDP/TLS/RTP/SAVPF");
    g_assert_cmpstr(a->mid, ==, "0");
    g_assert_cmpint(a->direction, ==, DC_SDP_DIR_SENDRECV);
    g_assert_true(a->rtcp_mux && a->rtcp_rsize);
    g_assert_cmpint(a->setup, ==, DC_SDP_SETUP_ACTPASS);
    g_assert_cmpstr(a->ice_ufrag, ==, "Gm3e");
    g_assert_cmpstr(a->fingerprint.algorithm, ==, "sha-256");
    g_assert_true(g_str_has_suffix(a->fingerprint.hex, ":2C:19:08"));
    g_assert_cmpuint(a->codecs->len, ==, 8);
    dc_sdp_codec *opus = dc_sdp_media_find_codec(a, "OPUS", 48000);
    g_assert_nonnull(opus);
    g_assert_cmpuint(opus->pt, ==, 111);
    g_assert_cmpuint(opus->channels, ==, 2);
    g_assert_cmpstr(opus->fmtp, ==, "minptime=10;useinbandfec=1");
    g_assert_true(dc_sdp_codec_has_fb(opus, "transport-cc"));
    g_assert_cmpstr(dc_sdp_media_find_codec(a, "red", 0)->fmtp, ==, "111/111");
    g_assert_cmpuint(dc_sdp_media_find_codec(a, "telephone-event", 8000)->pt, ==, 126);
    g_assert_cmpuint(dc_sdp_media_find_codec(a, "telephone-event", 48000)->pt, ==, 110);
    g_assert_cmpuint(dc_sdp_media_ext_id(a, DC_SDP_EXT_AUDIO_LEVEL), ==, 1);
    g_assert_cmpuint(dc_sdp_media_ext_id(a, DC_SDP_EXT_MID), ==, 4);
    g_assert_cmpstr(a->msid_stream, ==, "5y9xXs4Fj1TQ1ynXcCiGJV8sRnqXpfBPRUy9");
    g_assert_cmpstr(a->msid_track, ==, "1f0c6d4e-1b8d-4b5f-9b0a-0c2bd2c1ab01");
    g_assert_cmpuint(a->ssrcs->len, ==, 1);
    g_assert_cmpuint(((dc_sdp_ssrc *)a->ssrcs->pdata[0])->ssrc, ==, 3735928559u);
    g_assert_cmpstr(((dc_sdp_ssrc *)a->ssrcs->pdata[0])->cname, ==, "4TOk42mSjXCkVIa6");

    dc_sdp_media *v = media(s, 1);
    g_assert_cmpint(v->kind, ==, DC_SDP_KIND_VIDEO);
    g_assert_cmpuint(v->codecs->len, ==, 12);
    g_assert_cmpuint(v->extmaps->len, ==, 11);
    g_assert_cmpuint(dc_sdp_media_ext_id(v, "urn:ietf:params:rtp-hdrext:toffset"), ==, 14);
    g_assert_cmpuint(dc_sdp_media_ext_id(v, DC_SDP_EXT_TRANSPORT_CC), ==, 3);
    g_assert_cmpuint(dc_sdp_media_ext_id(v, DC_SDP_EXT_AUDIO_LEVEL), ==, 0);
    dc_sdp_codec *vp8 = dc_sdp_media_find_codec(v, "VP8", 90000);
    assert_fb(vp8, vp8_fb);
    g_assert_cmpuint(dc_sdp_media_find_rtx(v, 96)->pt, ==, 97);
    g_assert_cmpuint(dc_sdp_media_find_rtx(v, 102)->pt, ==, 103);
    g_assert_null(dc_sdp_media_find_rtx(v, 104));
    dc_sdp_codec *h264 = dc_sdp_media_codec_by_pt(v, 102);
    g_autofree char *plid = dc_sdp_codec_fmtp_param(h264, "profile-level-id");
    g_assert_cmpstr(plid, ==, "42001f");
    g_assert_null(dc_sdp_codec_fmtp_param(h264, "profile"));
    g_assert_cmpuint(v->ssrc_groups->len, ==, 1);
    dc_sdp_ssrc_group *fid = v->ssrc_groups->pdata[0];
    g_assert_cmpstr(fid->semantics, ==, "FID");
    g_assert_cmpuint(g_array_index(fid->ssrcs, uint32_t, 1), ==, 632943048u);
    g_assert_cmpuint(v->ssrcs->len, ==, 2);

    dc_sdp_media *d = media(s, 2);
    g_assert_cmpint(d->kind, ==, DC_SDP_KIND_OTHER);
    g_assert_cmpstr(d->media, ==, "application");
    g_assert_cmpstr(d->fmt, ==, "webrtc-datachannel");
    g_assert_cmpuint(d->codecs->len, ==, 0);
    g_assert_true(dc_sdp_find_media(s, "2") == d);
    g_assert_null(dc_sdp_find_media(s, "3"));
}

static void test_parse_chrome_answer(void)
{
    g_autoptr(dc_sdp) s = parse_lines_ok(chrome_answer);
    static const struct {
        const char *mid;
        dc_sdp_direction dir;
        guint n_ssrc;
    } want[] = {{"a0", DC_SDP_DIR_SENDONLY, 1},
                {"v0", DC_SDP_DIR_SENDONLY, 1},
                {"a1", DC_SDP_DIR_RECVONLY, 0},
                {"v1", DC_SDP_DIR_RECVONLY, 0}};
    g_assert_cmpuint(s->media->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        dc_sdp_media *m = media(s, i);
        dc_sdp_transport t;
        dc_sdp_media_transport(s, m, &t);
        g_assert_cmpstr(m->mid, ==, want[i].mid);
        g_assert_cmpstr(s->bundle->pdata[i], ==, want[i].mid);
        g_assert_cmpint(m->direction, ==, want[i].dir);
        g_assert_cmpuint(m->ssrcs->len, ==, want[i].n_ssrc);
        g_assert_true(m->rtcp_mux && m->rtcp_rsize);
        g_assert_cmpint(t.setup, ==, DC_SDP_SETUP_ACTIVE);
        g_assert_cmpstr(t.ice_ufrag, ==, "x9Qb");
        g_assert_cmpstr(t.ice_pwd, ==, "mE2mGm1mJqhvdyGvZ7Oi3dT9");
        g_assert_cmpstr(t.fp_algorithm, ==, "sha-256");
        g_assert_cmpuint(m->codecs->len, ==, 1);
    }
    g_assert_cmpuint(dc_sdp_media_ext_id(media(s, 1), DC_SDP_EXT_TRANSPORT_CC), ==, 3);
    g_assert_null(media(s, 2)->msid_stream);
}

static void test_parse_simulcast_candidates(void)
{
    g_autoptr(dc_sdp) s = parse_lines_ok(chrome_simulcast);
    dc_sdp_media *m = media(s, 0);
    g_assert_cmpuint(m->port, ==, 55400);
    g_assert_cmpstr(s->msid_semantic, ==, "WMS");
    g_assert_cmpstr(m->msid_stream, ==, "-");
    g_assert_cmpint(m->direction, ==, DC_SDP_DIR_SENDONLY);
    g_assert_true(m->end_of_candidates);
    g_assert_cmpuint(m->candidates->len, ==, 4);
    dc_sdp_candidate *host = m->candidates->pdata[0], *srflx = m->candidates->pdata[1];
    dc_sdp_candidate *tcp = m->candidates->pdata[2], *relay = m->candidates->pdata[3];
    g_assert_cmpstr(host->foundation, ==, "1467250027");
    g_assert_cmpuint(host->component, ==, 1);
    g_assert_cmpstr(host->transport, ==, "udp");
    g_assert_cmpuint(host->priority, ==, 2122260223u);
    g_assert_cmpstr(host->address, ==, "192.168.1.20");
    g_assert_cmpuint(host->port, ==, 55400);
    g_assert_cmpstr(host->type, ==, "host");
    g_assert_null(host->raddr);
    g_assert_cmpint(host->rport, ==, -1);
    g_assert_cmpstr(host->extra, ==, "generation 0 network-id 1 network-cost 10");
    g_assert_cmpstr(srflx->type, ==, "srflx");
    g_assert_cmpstr(srflx->raddr, ==, "192.168.1.20");
    g_assert_cmpint(srflx->rport, ==, 55400);
    g_assert_cmpstr(tcp->transport, ==, "tcp");
    g_assert_cmpstr(tcp->extra, ==, "tcptype active generation 0");
    g_assert_cmpstr(relay->type, ==, "relay");
    g_assert_null(relay->extra);
    g_assert_cmpuint(m->codecs->len, ==, 2);
}

/* LF-only line ends, trailing blanks, unknown attributes and lines, and
 * Firefox-style session-level transport parse like the CRLF original. */
static void test_parse_tolerant(void)
{
    g_autofree char *crlf = join(chrome_offer, "\r\n");
    g_autofree char *lf = join(chrome_offer, "\n");
    g_autoptr(dc_sdp) a = parse_ok(crlf);
    g_autoptr(dc_sdp) b = parse_ok(lf);
    g_assert_true(dc_sdp_equal(a, b));

    static const char firefox[] =
        "v=0\n"
        "o=mozilla...THIS_IS_SDPARTA-99.0 3952424217891012224 0 IN IP4 0.0.0.0\n"
        "s=-\n"
        "t=0 0\n"
        "a=fingerprint:sha-256 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF\n"
        "a=group:BUNDLE 0\n"
        "a=ice-options:trickle\n"
        "a=msid-semantic:WMS *\n"
        "a=x-unknown-session-thing:42\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 109 0\n"
        "c=IN IP4 0.0.0.0\n"
        "b=AS:64\n"
        "a=sendrecv  \n"
        "a=extmap:1/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\n"
        "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\n"
        "a=ice-pwd:0b6b1c7d6c0e8f6d6e0f6a7b8c9d0e1f\n"
        "a=ice-ufrag:3a8b1c2d\n"
        "a=mid:0\n"
        "a=rtcp-fb:* nack\n"
        "a=rtcp-mux\n"
        "a=rtpmap:109 opus/48000/2\n"
        "a=rtpmap:101 telephone-event/8000\n"
        "a=setup:actpass\n"
        "a=ssrc:2655508255 cname:{735484ea-4f6c-f74a-bd66-7425d3c5a8a4}\n"
        "a=ssrc:2655508255 label:x\n";
    g_autoptr(dc_sdp) ff = parse_ok(firefox);
    dc_sdp_media *m = media(ff, 0);
    dc_sdp_transport t;
    dc_sdp_media_transport(ff, m, &t);
    g_assert_cmpstr(ff->msid_semantic, ==, "WMS *");
    g_assert_cmpstr(t.fp_algorithm, ==, "sha-256");
    g_assert_null(m->fingerprint.algorithm);
    g_assert_cmpstr(t.ice_ufrag, ==, "3a8b1c2d");
    g_assert_cmpint(t.setup, ==, DC_SDP_SETUP_ACTPASS);
    g_assert_cmpint(m->direction, ==, DC_SDP_DIR_SENDRECV);
    dc_sdp_extmap *e = m->extmaps->pdata[0];
    g_assert_cmpint(e->direction, ==, DC_SDP_DIR_SENDONLY);
    /* rtcp-fb:* applies to every payload type; pt 0 has no rtpmap. */
    g_assert_true(dc_sdp_codec_has_fb(dc_sdp_media_codec_by_pt(m, 0), "nack"));
    g_assert_null(dc_sdp_media_codec_by_pt(m, 0)->name);
    g_assert_true(dc_sdp_codec_has_fb(dc_sdp_media_codec_by_pt(m, 109), "nack"));
    g_assert_null(dc_sdp_media_codec_by_pt(m, 101)); /* rtpmap for an unlisted pt */
    g_assert_cmpuint(m->ssrcs->len, ==, 1);
}

/* Counts the lines of text and checks every one ends in CRLF. */
static guint crlf_lines(const char *text)
{
    guint n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            g_assert_true(p > text && p[-1] == '\r');
            n++;
        }
    }
    g_assert_true(g_str_has_suffix(text, "\r\n"));
    return n;
}

static const char *const *const fixtures[] = {chrome_offer, chrome_answer, chrome_simulcast};

static void test_roundtrip(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(fixtures); i++) {
        g_autoptr(dc_sdp) a = parse_lines_ok(fixtures[i]);
        g_autofree char *text = dc_sdp_write(a);
        crlf_lines(text);
        g_autoptr(dc_sdp) b = parse_ok(text);
        g_assert_true(dc_sdp_equal(a, b));
        g_autofree char *text2 = dc_sdp_write(b);
        g_assert_cmpstr(text, ==, text2);
    }
    /* Chromium's own writing of its answer is reproduced line for line,
     * except the a=rtcp lines it omits for rejected m-lines (none here). */
    g_autoptr(dc_sdp) ans = parse_lines_ok(chrome_answer);
    g_autofree char *want = join(chrome_answer, "\r\n");
    g_autofree char *got = dc_sdp_write(ans);
    g_assert_cmpstr(got, ==, want);
}

static const dc_sdp_offer_media bridge_media[] = {
    {DC_SDP_KIND_AUDIO, "a0", DC_SDP_DIR_RECVONLY, NULL, NULL, 0, NULL},
    {DC_SDP_KIND_VIDEO, "v0", DC_SDP_DIR_RECVONLY, NULL, NULL, 0, NULL},
    {DC_SDP_KIND_AUDIO, "a1", DC_SDP_DIR_SENDONLY, "site-hue", "site-hue-audio", 111111, "bridge"},
    {DC_SDP_KIND_VIDEO, "v1", DC_SDP_DIR_SENDONLY, "site-hue", "site-hue-video", 222222, "bridge"},
};

static const dc_sdp_offer_desc bridge_desc = {
    .origin_id = 7000000000000000001ull,
    .origin_version = 5,
    .ice_ufrag = "brdg",
    .ice_pwd = "bridgepassword0123456789",
    .fp_algorithm = "sha-256",
    .fp_hex = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:"
              "BB:CC:DD:EE:FF",
    .abs_send_time = false,
    .extmap_allow_mixed = true,
    .media = bridge_media,
    .n_media = G_N_ELEMENTS(bridge_media),
};

static void test_offer_bridge(void)
{
    g_autoptr(dc_sdp) s = dc_sdp_offer_new(&bridge_desc);
    g_autofree char *text = dc_sdp_write(s);
    g_assert_cmpuint(crlf_lines(text), >, 40);
    g_assert_true(g_str_has_prefix(text, "v=0\r\no=- 7000000000000000001 5 IN IP4 127.0.0.1\r\n"
                                         "s=-\r\nt=0 0\r\na=group:BUNDLE a0 v0 a1 v1\r\n"
                                         "a=extmap-allow-mixed\r\na=msid-semantic: WMS *\r\n"
                                         "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                         "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
                                         "a=ice-ufrag:brdg\r\n"));
    static const char *const must[] = {
        "a=setup:actpass\r\na=mid:a0\r\n"
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=recvonly\r\n"
        "a=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:111 opus/48000/2\r\n"
        "a=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n",
        "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 transport-cc\r\n"
        "a=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n",
        "a=mid:v1\r\n"
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendonly\r\n"
        "a=msid:site-hue site-hue-video\r\n",
        "a=ssrc:222222 cname:bridge\r\na=ssrc:222222 msid:site-hue site-hue-video\r\n",
        "a=ice-options:trickle\r\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(must); i++)
        g_assert_nonnull(strstr(text, must[i]));
    g_assert_null(strstr(text, "abs-send-time"));
    g_autoptr(dc_sdp) back = parse_ok(text);
    g_assert_true(dc_sdp_equal(s, back));

    dc_sdp_offer_desc with_ast = bridge_desc;
    with_ast.abs_send_time = true;
    g_autoptr(dc_sdp) s2 = dc_sdp_offer_new(&with_ast);
    g_assert_cmpuint(dc_sdp_media_ext_id(media(s2, 0), DC_SDP_EXT_ABS_SEND_TIME), ==, 2);
    g_assert_cmpuint(dc_sdp_media_ext_id(media(s2, 3), DC_SDP_EXT_ABS_SEND_TIME), ==, 2);
    g_assert_cmpuint(dc_sdp_media_ext_id(media(s2, 3), DC_SDP_EXT_AUDIO_LEVEL), ==, 0);

    /* no_transport_cc: neither the feedback nor the extension is offered;
     * the rest stays. */
    dc_sdp_offer_desc no_tcc = bridge_desc;
    no_tcc.no_transport_cc = true;
    g_autoptr(dc_sdp) s3 = dc_sdp_offer_new(&no_tcc);
    g_autofree char *t3 = dc_sdp_write(s3);
    g_assert_null(strstr(t3, "transport-cc"));
    g_assert_null(strstr(t3, "transport-wide-cc"));
    g_assert_nonnull(strstr(t3, "a=rtcp-fb:96 goog-remb"));
    g_assert_nonnull(strstr(t3, "a=rtcp-fb:96 nack pli"));
    g_assert_cmpuint(dc_sdp_media_ext_id(media(s3, 0), DC_SDP_EXT_MID), ==, 4);
}

/* The capabilities of a Chromium-like endpoint that sends its camera and
 * microphone in a0/v0. */
static const dc_sdp_codec_cap chrome_caps[] = {
    {"opus", 48000, 2, "minptime=10;useinbandfec=1"},
    {"VP8", 90000, 0, NULL},
    {"rtx", 90000, 0, NULL},
    {"red", 48000, 2, NULL},
};
static const char *const chrome_fb[] = {"goog-remb", "transport-cc", "ccm fir",
                                        "nack",      "nack pli",     NULL};
static const char *const chrome_exts[] = {DC_SDP_EXT_AUDIO_LEVEL,
                                          DC_SDP_EXT_ABS_SEND_TIME,
                                          DC_SDP_EXT_TRANSPORT_CC,
                                          DC_SDP_EXT_MID,
                                          "urn:ietf:params:rtp-hdrext:toffset",
                                          NULL};
static const dc_sdp_track chrome_tracks[] = {
    {"a0", "8bdf7c3e-9d5d-4f0a-a3c4-8f26e4d3b0c1", "0b6a7c2e-3e4f-4a5b-9c8d-1e2f3a4b5c6d", 1001, 0,
     "dq7K2Zf0b3Z9GqRw"},
    {"v0", "8bdf7c3e-9d5d-4f0a-a3c4-8f26e4d3b0c1", "6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f", 2002,
     2003, "dq7K2Zf0b3Z9GqRw"},
};
static const dc_sdp_local chrome_local = {
    .origin_id = 8915527306129312345ull,
    .origin_version = 2,
    .ice_ufrag = "x9Qb",
    .ice_pwd = "mE2mGm1mJqhvdyGvZ7Oi3dT9",
    .fp_algorithm = "sha-256",
    .fp_hex = "1C:6F:A3:4E:90:7B:2D:88:35:C7:0F:12:9A:BE:44:D1:73:08:E5:6C:2B:FA:91:3D:57:E0:AA:"
              "C4:18:62:0B:9F",
    .setup = DC_SDP_SETUP_ACTIVE,
    .codecs = chrome_caps,
    .n_codecs = G_N_ELEMENTS(chrome_caps),
    .rtcp_fb = chrome_fb,
    .extensions = chrome_exts,
    .tracks = chrome_tracks,
    .n_tracks = G_N_ELEMENTS(chrome_tracks),
};

static dc_sdp *answer_ok(const dc_sdp *offer, const dc_sdp_local *l)
{
    g_autoptr(GError) err = NULL;
    dc_sdp *ans = dc_sdp_answer(offer, l, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ans);
    /* Every answer survives writing and parsing. */
    g_autofree char *text = dc_sdp_write(ans);
    g_autoptr(dc_sdp) back = parse_ok(text);
    g_assert_true(dc_sdp_equal(ans, back));
    return ans;
}

/* The answer to the bridge's offer is the Chromium answer fixture, except
 * for the msid-semantic stream list Chromium adds. */
static void test_answer_bridge_offer(void)
{
    g_autoptr(dc_sdp) offer = dc_sdp_offer_new(&bridge_desc);
    g_autoptr(dc_sdp) ans = answer_ok(offer, &chrome_local);
    g_autoptr(dc_sdp) want = parse_lines_ok(chrome_answer);
    g_free(want->msid_semantic);
    want->msid_semantic = g_strdup("WMS");
    g_assert_true(dc_sdp_equal(ans, want));
    /* No rtx offered, so no FID group for v0 despite the track's rtx ssrc. */
    g_assert_cmpuint(media(ans, 1)->ssrc_groups->len, ==, 0);
    g_assert_cmpuint(media(ans, 0)->candidates->len, ==, 0);
}

/* An offer with payload types and extension ids other than the bridge's
 * defaults: the answer must take them from the offer. */
static void test_answer_mirrors_ids(void)
{
    static const char offer_text[] =
        "v=0\r\n"
        "o=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "a=group:BUNDLE m1 m2\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 109 9\r\nc=IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
        "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\na=mid:m1\r\n"
        "a=extmap:12 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
        "a=extmap:7 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
        "a=extmap:9 http://example.org/unsupported\r\n"
        "a=sendonly\r\na=rtcp-mux\r\n"
        "a=rtpmap:109 opus/48000/2\r\na=rtcp-fb:109 transport-cc\r\na=rtcp-fb:109 x-odd\r\n"
        "a=fmtp:109 minptime=20\r\na=rtpmap:9 G722/8000\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 120 121 122 123\r\nc=IN IP4 0.0.0.0\r\n"
        "a=setup:active\r\na=mid:m2\r\n"
        "a=extmap:2 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
        "a=recvonly\r\na=rtcp-mux\r\n"
        "a=rtpmap:120 VP8/90000\r\na=rtcp-fb:120 nack\r\na=rtcp-fb:120 nack pli\r\n"
        "a=rtcp-fb:120 goog-lntf\r\n"
        "a=rtpmap:121 rtx/90000\r\na=fmtp:121 apt=120\r\n"
        "a=rtpmap:122 H264/90000\r\na=rtpmap:123 rtx/90000\r\na=fmtp:123 apt=122\r\n";
    g_autoptr(dc_sdp) offer = parse_ok(offer_text);
    dc_sdp_track tracks[] = {{"m2", NULL, "cam", 5005, 5006, "me"}};
    dc_sdp_local l = chrome_local;
    l.tracks = tracks;
    l.n_tracks = 1;
    g_autoptr(dc_sdp) ans = answer_ok(offer, &l);

    dc_sdp_media *a = media(ans, 0), *v = media(ans, 1);
    g_assert_cmpuint(a->codecs->len, ==, 1);
    dc_sdp_codec *opus = a->codecs->pdata[0];
    g_assert_cmpuint(opus->pt, ==, 109);
    g_assert_cmpstr(opus->fmtp, ==, "minptime=10;useinbandfec=1"); /* local fmtp */
    static const char *const opus_fb[] = {"transport-cc", NULL};
    assert_fb(opus, opus_fb);
    g_assert_cmpuint(a->extmaps->len, ==, 2);
    g_assert_cmpuint(dc_sdp_media_ext_id(a, DC_SDP_EXT_MID), ==, 12);
    g_assert_cmpuint(dc_sdp_media_ext_id(a, DC_SDP_EXT_AUDIO_LEVEL), ==, 7);
    g_assert_cmpint(a->direction, ==, DC_SDP_DIR_RECVONLY);
    g_assert_null(a->msid_stream);
    g_assert_cmpint(a->setup, ==, DC_SDP_SETUP_ACTIVE);

    g_assert_cmpuint(v->codecs->len, ==, 2); /* VP8 and its rtx; H264's rtx dropped */
    g_assert_cmpuint(((dc_sdp_codec *)v->codecs->pdata[0])->pt, ==, 120);
    g_assert_cmpuint(dc_sdp_media_find_rtx(v, 120)->pt, ==, 121);
    static const char *const vp8_want[] = {"nack", "nack pli", NULL};
    assert_fb(v->codecs->pdata[0], vp8_want);
    g_assert_cmpuint(dc_sdp_media_ext_id(v, DC_SDP_EXT_TRANSPORT_CC), ==, 2);
    g_assert_cmpint(v->direction, ==, DC_SDP_DIR_SENDONLY);
    g_assert_cmpint(v->setup, ==, DC_SDP_SETUP_PASSIVE); /* offer said active */
    g_assert_cmpstr(v->msid_stream, ==, "-");
    g_assert_cmpstr(v->msid_track, ==, "cam");
    g_assert_cmpuint(v->ssrcs->len, ==, 2);
    g_assert_cmpuint(v->ssrc_groups->len, ==, 1);
    dc_sdp_ssrc_group *fid = v->ssrc_groups->pdata[0];
    g_assert_cmpuint(g_array_index(fid->ssrcs, uint32_t, 0), ==, 5005);
    g_assert_cmpuint(g_array_index(fid->ssrcs, uint32_t, 1), ==, 5006);
    g_assert_false(v->rtcp_rsize);
    g_assert_cmpuint(ans->bundle->len, ==, 2);
}

/* Chromium's full offer answered by a VP8/Opus endpoint: VP9, AV1, H264,
 * ulpfec and G722 dropped, red kept (its 111/111 is kept), data channel
 * rejected and left out of BUNDLE. */
static void test_answer_chrome_offer(void)
{
    g_autoptr(dc_sdp) offer = parse_lines_ok(chrome_offer);
    dc_sdp_local l = chrome_local;
    l.tracks = NULL;
    l.n_tracks = 0;
    g_autoptr(dc_sdp) ans = answer_ok(offer, &l);
    g_assert_cmpuint(ans->media->len, ==, 3);
    dc_sdp_media *a = media(ans, 0), *v = media(ans, 1), *d = media(ans, 2);
    g_assert_cmpuint(a->codecs->len, ==, 2);
    g_assert_cmpuint(((dc_sdp_codec *)a->codecs->pdata[1])->pt, ==, 63);
    g_assert_cmpstr(((dc_sdp_codec *)a->codecs->pdata[1])->fmtp, ==, "111/111");
    g_assert_cmpuint(a->extmaps->len, ==, 4);
    g_assert_cmpint(a->direction, ==, DC_SDP_DIR_RECVONLY);
    g_assert_cmpuint(v->codecs->len, ==, 2);
    assert_fb(v->codecs->pdata[0], vp8_fb);
    g_assert_cmpuint(dc_sdp_media_ext_id(v, "urn:ietf:params:rtp-hdrext:toffset"), ==, 14);
    g_assert_cmpuint(dc_sdp_media_ext_id(v, "urn:3gpp:video-orientation"), ==, 0);
    g_assert_cmpuint(d->port, ==, 0);
    g_assert_cmpstr(d->mid, ==, "2");
    g_assert_cmpstr(d->fmt, ==, "webrtc-datachannel");
    g_assert_cmpuint(ans->bundle->len, ==, 2);
    g_assert_true(ans->extmap_allow_mixed);
}

static void test_answer_directions(void)
{
    static const struct {
        dc_sdp_direction offered;
        bool track;
        dc_sdp_direction want;
    } cases[] = {
        {DC_SDP_DIR_SENDONLY, false, DC_SDP_DIR_RECVONLY},
        {DC_SDP_DIR_SENDONLY, true, DC_SDP_DIR_RECVONLY},
        {DC_SDP_DIR_RECVONLY, true, DC_SDP_DIR_SENDONLY},
        {DC_SDP_DIR_RECVONLY, false, DC_SDP_DIR_INACTIVE},
        {DC_SDP_DIR_SENDRECV, true, DC_SDP_DIR_SENDRECV},
        {DC_SDP_DIR_SENDRECV, false, DC_SDP_DIR_RECVONLY},
        {DC_SDP_DIR_INACTIVE, true, DC_SDP_DIR_INACTIVE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        dc_sdp_offer_media om = {DC_SDP_KIND_VIDEO, "x", cases[i].offered, NULL, NULL, 0, NULL};
        dc_sdp_offer_desc d = bridge_desc;
        d.media = &om;
        d.n_media = 1;
        g_autoptr(dc_sdp) offer = dc_sdp_offer_new(&d);
        dc_sdp_track t = {"x", "s", "t", 42, 0, "c"};
        dc_sdp_local l = chrome_local;
        l.tracks = &t;
        l.n_tracks = cases[i].track ? 1 : 0;
        g_autoptr(dc_sdp) ans = answer_ok(offer, &l);
        dc_sdp_media *m = media(ans, 0);
        g_assert_cmpint(m->direction, ==, cases[i].want);
        bool sends = cases[i].want == DC_SDP_DIR_SENDONLY || cases[i].want == DC_SDP_DIR_SENDRECV;
        g_assert_cmpuint(m->ssrcs->len, ==, sends ? 1 : 0);
        g_assert_true((m->msid_stream != NULL) == sends);
    }
}

/* Sections that cannot be accepted are rejected, and an offer without mids
 * cannot be answered at all. */
static void test_answer_rejects(void)
{
    static const char offer_text[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                     "a=group:BUNDLE 0 1 2\r\n"
                                     "m=audio 9 UDP/TLS/RTP/SAVPF 0 8\r\na=mid:0\r\n"
                                     "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
                                     "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n"
                                     "a=rtpmap:96 VP8/90000\r\n"
                                     "m=video 9 RTP/AVP 96\r\na=mid:2\r\n"
                                     "a=rtpmap:96 VP8/90000\r\n";
    g_autoptr(dc_sdp) offer = parse_ok(offer_text);
    g_autoptr(dc_sdp) ans = answer_ok(offer, &chrome_local);
    for (guint i = 0; i < 3; i++) {
        g_assert_cmpuint(media(ans, i)->port, ==, 0);
        g_assert_cmpint(media(ans, i)->direction, ==, DC_SDP_DIR_INACTIVE);
        g_assert_null(media(ans, i)->ice_ufrag);
    }
    g_assert_cmpuint(media(ans, 0)->codecs->len, ==, 2);
    g_assert_cmpuint(ans->bundle->len, ==, 0);

    static const char nomid[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                                "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";
    g_autoptr(dc_sdp) o2 = parse_ok(nomid);
    g_autoptr(GError) err = NULL;
    g_assert_null(dc_sdp_answer(o2, &chrome_local, &err));
    g_assert_error(err, DC_SDP_ERROR, DC_SDP_ERROR_NEGOTIATION);
}

#define HEAD "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define MAUDIO "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"

static void test_malformed(void)
{
    static const struct {
        const char *name;
        const char *text;
        int code;
        const char *want; /* prefix of the message: "line N: ..." */
    } cases[] = {
        {"empty", "", DC_SDP_ERROR_STRUCTURE, "line 1: truncated"},
        {"missing v=", "o=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n", DC_SDP_ERROR_STRUCTURE,
         "line 1: SDP must start with v=0"},
        {"v=1", "v=1\r\no=- 1 2 IN IP4 x\r\ns=-\r\n", DC_SDP_ERROR_SYNTAX,
         "line 1: unsupported SDP version"},
        {"no o=", "v=0\r\ns=-\r\nt=0 0\r\n", DC_SDP_ERROR_STRUCTURE,
         "line 2: expected o= as the second line"},
        {"truncated", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", DC_SDP_ERROR_STRUCTURE,
         "line 2: truncated"},
        {"truncated mid-line", "v=0\r\no=- 1 2 IN IP", DC_SDP_ERROR_SYNTAX,
         "line 2: bad o= line: expected 6 fields"},
        {"bad o= id", "v=0\r\no=- 12x 2 IN IP4 127.0.0.1\r\ns=-\r\n", DC_SDP_ERROR_SYNTAX,
         "line 2: bad o= line: session id '12x' is not a number"},
        {"huge o= id", "v=0\r\no=- 99999999999999999999999 2 IN IP4 127.0.0.1\r\ns=-\r\n",
         DC_SDP_ERROR_RANGE, "line 2: bad o= line: session id 99999999999999999999999 is out"},
        {"no equals", HEAD "hello\r\n", DC_SDP_ERROR_SYNTAX, "line 5: expected '<letter>=<value>'"},
        {"unknown type", HEAD "x=1\r\n", DC_SDP_ERROR_SYNTAX, "line 5: unknown line type 'x='"},
        {"empty line", HEAD "\r\n" MAUDIO, DC_SDP_ERROR_SYNTAX, "line 5: empty line"},
        {"control char", HEAD "a=mid:\x01\r\n", DC_SDP_ERROR_SYNTAX,
         "line 5: control character 0x01"},
        {"NUL", HEAD "a=foo\0bar\r\n", DC_SDP_ERROR_SYNTAX, "line 5: control character 0x00"},
        {"m= too short", HEAD "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", DC_SDP_ERROR_SYNTAX,
         "line 5: bad m= line: expected"},
        {"m= bad port", HEAD "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n", DC_SDP_ERROR_SYNTAX,
         "line 5: bad m= line: port 'nine' is not a number"},
        {"m= huge port", HEAD "m=audio 4294967305 UDP/TLS/RTP/SAVPF 111\r\n", DC_SDP_ERROR_RANGE,
         "line 5: bad m= line: port 4294967305 is out of range 0-65535"},
        {"m= bad pt", HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111 128\r\n", DC_SDP_ERROR_RANGE,
         "line 5: bad m= line: payload type 128 is out of range 0-127"},
        {"m= dup pt", HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111 111\r\n", DC_SDP_ERROR_SYNTAX,
         "line 5: bad m= line: payload type 111 listed twice"},
        {"bad c=", HEAD MAUDIO "c=IN IP5 0.0.0.0\r\n", DC_SDP_ERROR_SYNTAX, "line 6: bad c= line"},
        {"t= in media", HEAD MAUDIO "t=0 0\r\n", DC_SDP_ERROR_STRUCTURE,
         "line 6: t= is not allowed in a media section"},
        {"rtpmap no clock", HEAD MAUDIO "a=rtpmap:111 opus\r\n", DC_SDP_ERROR_SYNTAX,
         "line 6: bad rtpmap: expected '<name>/<clock>"},
        {"rtpmap bad pt", HEAD MAUDIO "a=rtpmap:abc opus/48000/2\r\n", DC_SDP_ERROR_SYNTAX,
         "line 6: bad rtpmap: payload type 'abc' is not a number"},
        {"rtpmap huge clock", HEAD MAUDIO "a=rtpmap:111 opus/4294967296/2\r\n", DC_SDP_ERROR_RANGE,
         "line 6: bad rtpmap: clock rate 4294967296 is out of range"},
        {"rtpmap channels", HEAD MAUDIO "a=rtpmap:111 opus/48000/256\r\n", DC_SDP_ERROR_RANGE,
         "line 6: bad rtpmap: channel count 256 is out of range"},
        {"rtpmap twice", HEAD MAUDIO "a=rtpmap:111 opus/48000/2\r\na=rtpmap:111 opus/48000/2\r\n",
         DC_SDP_ERROR_STRUCTURE, "line 7: second rtpmap for payload type 111"},
        {"rtpmap in session", HEAD "a=rtpmap:111 opus/48000/2\r\n", DC_SDP_ERROR_STRUCTURE,
         "line 5: a=rtpmap is only allowed in a media section"},
        {"extmap id 0", HEAD MAUDIO "a=extmap:0 urn:x\r\n", DC_SDP_ERROR_RANGE,
         "line 6: bad extmap: id 0"},
        {"extmap id 256", HEAD MAUDIO "a=extmap:256 urn:x\r\n", DC_SDP_ERROR_RANGE,
         "line 6: bad extmap: id 256 is out of range"},
        {"extmap dup", HEAD MAUDIO "a=extmap:3 urn:x\r\na=extmap:3 urn:y\r\n",
         DC_SDP_ERROR_STRUCTURE, "line 7: extmap id 3 used twice"},
        {"candidate short", HEAD MAUDIO "a=candidate:1 1 udp 2122260223 10.0.0.1 5000\r\n",
         DC_SDP_ERROR_SYNTAX, "line 6: bad candidate has 6 fields"},
        {"candidate no typ",
         HEAD MAUDIO "a=candidate:1 1 udp 2122260223 10.0.0.1 5000 type host\r\n",
         DC_SDP_ERROR_SYNTAX, "line 6: bad candidate field 7 is 'type'"},
        {"candidate port", HEAD MAUDIO "a=candidate:1 1 udp 2122260223 10.0.0.1 70000 typ host\r\n",
         DC_SDP_ERROR_SYNTAX, "line 6: bad candidate port '70000'"},
        {"candidate rport",
         HEAD MAUDIO "a=candidate:1 1 udp 1 10.0.0.1 5000 typ srflx raddr 0.0.0.0 rport x\r\n",
         DC_SDP_ERROR_SYNTAX, "line 6: bad candidate rport 'x'"},
        {"bad setup", HEAD MAUDIO "a=setup:both\r\n", DC_SDP_ERROR_SYNTAX, "line 6: bad setup"},
        {"bad fingerprint", HEAD MAUDIO "a=fingerprint:sha-256 AB:C\r\n", DC_SDP_ERROR_SYNTAX,
         "line 6: bad fingerprint"},
        {"dup mid", HEAD MAUDIO "a=mid:0\r\n" MAUDIO "a=mid:0\r\n", DC_SDP_ERROR_STRUCTURE,
         "line 8: mid '0' used by two media sections"},
        {"ssrc huge", HEAD MAUDIO "a=ssrc:4294967296 cname:x\r\n", DC_SDP_ERROR_RANGE,
         "line 6: bad ssrc: ssrc 4294967296 is out of range"},
        {"ssrc-group", HEAD MAUDIO "a=ssrc-group:FID 1 two\r\n", DC_SDP_ERROR_SYNTAX,
         "line 6: bad ssrc-group: ssrc 'two' is not a number"},
        {"mid no value", HEAD MAUDIO "a=mid\r\n", DC_SDP_ERROR_SYNTAX,
         "line 6: a=mid needs a value"},
        {"ufrag with space", HEAD MAUDIO "a=ice-ufrag:ab cd\r\n", DC_SDP_ERROR_SYNTAX,
         "line 6: bad ice-ufrag"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        size_t len = strlen(cases[i].text);
        if (!strcmp(cases[i].name, "NUL"))
            len += 1 + strlen("bar\r\n");
        g_autoptr(GError) err = NULL;
        dc_sdp *s = (dc_sdp *)0x1;
        g_test_message("case %s", cases[i].name);
        g_assert_false(dc_sdp_parse(cases[i].text, len, &s, &err));
        g_assert_null(s);
        g_assert_error(err, DC_SDP_ERROR, cases[i].code);
        if (!g_str_has_prefix(err->message, cases[i].want))
            g_error("case %s: got \"%s\", want \"%s...\"", cases[i].name, err->message,
                    cases[i].want);
    }
}

/* Oversized input and lines are refused, naming the line. */
static void test_huge(void)
{
    GString *g = g_string_new(HEAD MAUDIO);
    g_string_append(g, "a=x-long:");
    for (int i = 0; i < DC_SDP_MAX_LINE; i++)
        g_string_append_c(g, 'a');
    g_string_append(g, "\r\n");
    g_autoptr(GError) err = NULL;
    dc_sdp *s = NULL;
    g_assert_false(dc_sdp_parse(g->str, g->len, &s, &err));
    g_assert_error(err, DC_SDP_ERROR, DC_SDP_ERROR_RANGE);
    g_assert_true(g_str_has_prefix(err->message, "line 6: line longer than"));
    g_clear_error(&err);

    g_string_assign(g, HEAD MAUDIO);
    unsigned lines = 5;
    while (g->len <= DC_SDP_MAX_SIZE) {
        g_string_append(g, "a=x-filler:0123456789012345678901234567890123456789\r\n");
        lines++;
    }
    g_assert_false(dc_sdp_parse(g->str, g->len, &s, &err));
    g_assert_error(err, DC_SDP_ERROR, DC_SDP_ERROR_RANGE);
    g_autofree char *want = g_strdup_printf("line %u: SDP longer than", lines);
    g_assert_true(g_str_has_prefix(err->message, want));
    g_string_free(g, TRUE);

    /* Many sections are fine. */
    g_autoptr(GString) many = g_string_new(HEAD);
    for (int i = 0; i < 300; i++)
        g_string_append_printf(many, MAUDIO "a=mid:%d\r\na=rtpmap:111 opus/48000/2\r\n", i);
    g_autoptr(dc_sdp) big = parse_ok(many->str);
    g_assert_cmpuint(big->media->len, ==, 300);
}

static void test_candidate(void)
{
    static const struct {
        const char *in;
        const char *out; /* NULL: must fail */
    } cases[] = {
        {"candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host",
         "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host"},
        {"a=candidate:2 1 UDP 1 x.local 9 typ host generation 0\r\n",
         "candidate:2 1 UDP 1 x.local 9 typ host generation 0"},
        {"candidate:3 1 udp 1 1.2.3.4 9 typ srflx generation 0 raddr 0.0.0.0 rport 0",
         "candidate:3 1 udp 1 1.2.3.4 9 typ srflx raddr 0.0.0.0 rport 0 generation 0"},
        {"candidate:4 2 tcp 1 ::1 9 typ host tcptype passive",
         "candidate:4 2 tcp 1 ::1 9 typ host tcptype passive"},
        {"1 1 udp 1 1.2.3.4 9 typ host", NULL},
        {"candidate:1 0 udp 1 1.2.3.4 9 typ host", NULL},
        {"candidate:1 1 udp 4294967296 1.2.3.4 9 typ host", NULL},
        {"candidate:1 1 udp 1 1.2.3.4 9 typ host generation", NULL},
        {"candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 9 typ host", NULL},
        {"candidate:1 1 udp 1 1.2.3.4 9 typ host\x02", NULL},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(dc_sdp_candidate) c = dc_sdp_candidate_parse(cases[i].in, &err);
        if (!cases[i].out) {
            g_assert_null(c);
            g_assert_error(err, DC_SDP_ERROR, DC_SDP_ERROR_SYNTAX);
            continue;
        }
        g_assert_no_error(err);
        g_autofree char *s = dc_sdp_candidate_to_string(c);
        g_assert_cmpstr(s, ==, cases[i].out);
    }
}

/* Sessions built through the API write and parse back equal. */
static void test_build_api(void)
{
    g_autoptr(dc_sdp) s = dc_sdp_new();
    s->origin_id = 42;
    s->ice_trickle = true;
    s->ice_ufrag = g_strdup("sess");
    s->setup = DC_SDP_SETUP_PASSIVE;
    dc_sdp_media *m = dc_sdp_add_media(s, DC_SDP_KIND_VIDEO, "v");
    dc_sdp_codec *c = dc_sdp_media_add_codec(m, 100, "H264", 90000, 0,
                                             "packetization-mode=1;profile-level-id=42e01f");
    dc_sdp_codec_add_fb(c, "nack");
    dc_sdp_codec_add_fb(c, "nack");
    g_assert_cmpuint(c->rtcp_fb->len, ==, 1);
    dc_sdp_media_add_codec(m, 101, "rtx", 90000, 0, "apt=100");
    dc_sdp_media_add_extmap(m, 200, "urn:two-byte")->direction = DC_SDP_DIR_RECVONLY;
    dc_sdp_media_add_ssrc(m, 1, "a");
    dc_sdp_media_add_ssrc(m, 1, "b");
    g_assert_cmpuint(m->ssrcs->len, ==, 1);
    uint32_t sim[] = {1, 2, 3};
    dc_sdp_media_add_ssrc_group(m, "SIM", sim, 3);
    m->direction = DC_SDP_DIR_INACTIVE;
    dc_sdp_media *empty = dc_sdp_add_media(s, DC_SDP_KIND_AUDIO, "e");
    empty->port = 0;
    g_autofree char *text = dc_sdp_write(s);
    g_assert_nonnull(strstr(text, "a=extmap:200/recvonly urn:two-byte\r\n"));
    g_assert_nonnull(strstr(text, "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\n"));
    g_autoptr(dc_sdp) back = parse_ok(text);
    g_assert_cmpuint(media(back, 1)->codecs->len, ==, 1); /* the "0" written for no codecs */
    g_ptr_array_remove_index(media(back, 1)->codecs, 0);
    g_assert_true(dc_sdp_equal(s, back));
    g_assert_cmpuint(dc_sdp_media_find_rtx(m, 100)->pt, ==, 101);
    g_assert_cmpstr(dc_sdp_direction_name(DC_SDP_DIR_SENDONLY), ==, "sendonly");
    g_assert_null(dc_sdp_setup_name(DC_SDP_SETUP_NONE));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sdp/parse/chrome-offer", test_parse_chrome_offer);
    g_test_add_func("/sdp/parse/chrome-answer", test_parse_chrome_answer);
    g_test_add_func("/sdp/parse/simulcast-candidates", test_parse_simulcast_candidates);
    g_test_add_func("/sdp/parse/tolerant", test_parse_tolerant);
    g_test_add_func("/sdp/parse/malformed", test_malformed);
    g_test_add_func("/sdp/parse/huge", test_huge);
    g_test_add_func("/sdp/candidate", test_candidate);
    g_test_add_func("/sdp/write/roundtrip", test_roundtrip);
    g_test_add_func("/sdp/write/build-api", test_build_api);
    g_test_add_func("/sdp/offer/bridge", test_offer_bridge);
    g_test_add_func("/sdp/answer/bridge-offer", test_answer_bridge_offer);
    g_test_add_func("/sdp/answer/mirrors-ids", test_answer_mirrors_ids);
    g_test_add_func("/sdp/answer/chrome-offer", test_answer_chrome_offer);
    g_test_add_func("/sdp/answer/directions", test_answer_directions);
    g_test_add_func("/sdp/answer/rejects", test_answer_rejects);
    return g_test_run();
}
