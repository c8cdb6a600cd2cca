/* load-media: see load-media.h. */
#include "bench/load-media.h"

#include <errno.h>
#include <string.h>

#include "client/audio-enc.h"
#include "client/testpattern.h"
#include "client/tone.h"
#include "client/video-enc.h"
#include "core/vp8.h"

/* The hash index lives beside the loops (one table for every site). */
typedef struct {
    dc_load_media pub;
    GHashTable *by_hash; /* hash -> packed origin + 1, or 0 for a collision */
} media_priv;

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

uint32_t dc_load_payload_hash(dc_media_kind kind, const uint8_t *payload, size_t len)
{
    if (kind == DC_MEDIA_VIDEO) {
        dc_vp8_descriptor d;
        if (dc_vp8_parse(payload, len, &d) < 0)
            return 0;
        payload += d.header_len;
        len -= d.header_len;
    }
    /* The media bytes and their length; the first 64 bytes are enough to
     * tell frames apart and keep the receive path cheap. */
    return fnv1a(payload, len < 64 ? len : 64) ^ (uint32_t)len * 0x9e3779b1u;
}

static void loop_add(dc_load_loop *l, GArray *pkts, const uint8_t *data, size_t len, bool marker,
                     uint32_t frame, dc_media_kind kind)
{
    dc_load_packet p = {
        .data = g_memdup2(data, len),
        .len = (uint16_t)len,
        .marker = marker,
        .frame = frame,
        .hash = dc_load_payload_hash(kind, data, len),
    };
    g_array_append_val(pkts, p);
    (void)l;
}

static bool encode_video(dc_load_loop *l, int site, int w, int h, int fps, int kbps, int frames,
                         GError **error)
{
    dc_venc_config vc;
    dc_venc_config_default(&vc, w, h, fps, kbps);
    vc.max_keyframe_interval_ms = 1000000; /* one keyframe, at the start of the loop */
    g_autoptr(dc_venc) enc = dc_venc_new(&vc, error);
    if (!enc)
        return false;
    dc_i420 pic;
    dc_i420_alloc(&pic, w, h);
    char id[16];
    g_snprintf(id, sizeof id, "load-%d", site);
    GArray *pkts = g_array_new(FALSE, TRUE, sizeof(dc_load_packet));
    for (int f = 0; f < frames; f++) {
        dc_pattern_info info = {
            .site_index = (uint8_t)(site & DC_PATTERN_MAX_SITE),
            .site_tag = dc_pattern_site_tag(id),
            .counter = (uint32_t)f,
            .capture_ms = (uint32_t)(f * 1000 / fps),
        };
        dc_pattern_draw(&pic, &info, DC_PATTERN_CALM);
        dc_venc_frame out;
        if (dc_venc_encode(enc, &pic, (int64_t)f * 90000 / fps, &out) != 1)
            continue;
        dc_vp8_packetizer pz;
        if (dc_vp8_packetizer_init(&pz, out.data, out.size, DC_LOAD_MAX_PAYLOAD, 0, -1, false) < 0)
            continue;
        uint8_t buf[DC_LOAD_MAX_PAYLOAD];
        size_t len;
        bool last = false;
        while (!last && dc_vp8_packetizer_next(&pz, buf, sizeof buf, &len, &last) == 0)
            loop_add(l, pkts, buf, len, last, (uint32_t)f, DC_MEDIA_VIDEO);
    }
    dc_i420_clear(&pic);
    l->frames = (uint32_t)frames;
    l->n = pkts->len;
    l->pkts = (dc_load_packet *)g_array_free(pkts, FALSE);
    return l->n > 0;
}

static bool encode_audio(dc_load_loop *l, int site, int packets, GError **error)
{
    g_autoptr(dc_aenc) enc = dc_aenc_new(1, 32000, error);
    if (!enc)
        return false;
    dc_tone tone;
    dc_tone_init(&tone, site, DC_AUDIO_RATE);
    GArray *pkts = g_array_new(FALSE, TRUE, sizeof(dc_load_packet));
    int16_t pcm[DC_AUDIO_FRAME];
    uint8_t out[DC_AUDIO_MAX_PACKET];
    uint32_t lcg = 12345u + (uint32_t)site;
    for (int i = 0; i < packets; i++) {
        dc_tone_fill(&tone, pcm, DC_AUDIO_FRAME, 1);
        /* A little deterministic noise: a pure tone of a whole number of
         * cycles per 20 ms would encode to identical packets, and the
         * receiver tells packets apart by their bytes. */
        for (size_t k = 0; k < DC_AUDIO_FRAME; k++) {
            lcg = lcg * 1664525u + 1013904223u;
            pcm[k] = (int16_t)(pcm[k] + (int)(lcg >> 28) - 8);
        }
        int n = dc_aenc_encode(enc, pcm, out, sizeof out);
        if (n <= 0)
            n = 1, out[0] = 0xf8; /* never happens without DTX; keep the grid */
        loop_add(l, pkts, out, (size_t)n, false, (uint32_t)i, DC_MEDIA_AUDIO);
    }
    l->frames = (uint32_t)packets;
    l->n = pkts->len;
    l->pkts = (dc_load_packet *)g_array_free(pkts, FALSE);
    return true;
}

static void index_loop(media_priv *p, dc_load_loop *l, int site, dc_media_kind kind)
{
    for (size_t i = 0; i < l->n; i++) {
        uint32_t h = l->pkts[i].hash;
        uintptr_t v = ((uintptr_t)site << 24 | (uintptr_t)kind << 20 | i) + 1;
        gpointer old;
        if (g_hash_table_lookup_extended(p->by_hash, GUINT_TO_POINTER(h), NULL, &old))
            g_hash_table_replace(p->by_hash, GUINT_TO_POINTER(h), GUINT_TO_POINTER(0));
        else
            g_hash_table_insert(p->by_hash, GUINT_TO_POINTER(h), (gpointer)v);
    }
}

dc_load_media *dc_load_media_new(int sites, int width, int height, int fps, int kbps,
                                 double seconds, GError **error)
{
    if (sites < 1 || sites > 16 || fps < 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "1..16 sites, fps >= 1");
        return NULL;
    }
    media_priv *p = g_new0(media_priv, 1);
    dc_load_media *m = &p->pub;
    m->sites = sites;
    m->fps = fps;
    p->by_hash = g_hash_table_new(g_direct_hash, g_direct_equal);
    int frames = (int)(seconds * fps + 0.5);
    int apk = (int)(seconds * 50 + 0.5);
    for (int s = 0; s < sites; s++) {
        if (!encode_video(&m->video[s], s, width, height, fps, kbps, frames, error) ||
            !encode_audio(&m->audio[s], s, apk, error)) {
            dc_load_media_free(m);
            return NULL;
        }
        index_loop(p, &m->video[s], s, DC_MEDIA_VIDEO);
        index_loop(p, &m->audio[s], s, DC_MEDIA_AUDIO);
    }
    for (int s = 0; s < sites; s++) {
        dc_load_loop *ls[2] = {&m->video[s], &m->audio[s]};
        for (int k = 0; k < 2; k++)
            for (size_t i = 0; i < ls[k]->n; i++)
                ls[k]->pkts[i].unique =
                    g_hash_table_lookup(p->by_hash, GUINT_TO_POINTER(ls[k]->pkts[i].hash)) != NULL;
    }
    return m;
}

void dc_load_media_free(dc_load_media *m)
{
    if (!m)
        return;
    media_priv *p = (media_priv *)m;
    for (int s = 0; s < 16; s++) {
        dc_load_loop *ls[2] = {&m->video[s], &m->audio[s]};
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < ls[k]->n; i++)
                g_free(ls[k]->pkts[i].data);
            g_free(ls[k]->pkts);
        }
    }
    g_hash_table_unref(p->by_hash);
    g_free(p);
}

bool dc_load_media_find(const dc_load_media *m, uint32_t hash, dc_load_origin *out)
{
    const media_priv *p = (const media_priv *)m;
    uintptr_t v = (uintptr_t)g_hash_table_lookup(p->by_hash, GUINT_TO_POINTER(hash));
    if (v == 0)
        return false;
    v -= 1;
    out->site = (int)(v >> 24);
    out->kind = (dc_media_kind)((v >> 20) & 0xf);
    out->index = (uint32_t)(v & 0xfffff);
    return true;
}
