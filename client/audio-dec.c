/* audio-dec: libopus decoder wrapper (see audio-dec.h). */
#include "client/audio-dec.h"

#include <errno.h>

#include <opus.h>

struct dc_adec {
    OpusDecoder *opus;
    int channels;
    dc_adec_stats stats;
};

dc_adec *dc_adec_new(int channels, GError **error)
{
    if (channels != 1 && channels != 2) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID,
                    "Opus decoder: %d channels is out of range", channels);
        return NULL;
    }
    int err = 0;
    OpusDecoder *opus = opus_decoder_create(DC_AUDIO_RATE, channels, &err);
    if (!opus) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_CODEC, "Opus decoder: %s",
                    opus_strerror(err));
        return NULL;
    }
    dc_adec *dec = g_new0(dc_adec, 1);
    dec->opus = opus;
    dec->channels = channels;
    return dec;
}

void dc_adec_free(dc_adec *dec)
{
    if (!dec)
        return;
    opus_decoder_destroy(dec->opus);
    g_free(dec);
}

int dc_adec_decode(dc_adec *dec, const uint8_t *pkt, size_t len, int16_t *pcm, int max_samples)
{
    if (!pkt || len == 0 || len > DC_AUDIO_MAX_PACKET * 3) {
        dec->stats.errors++;
        return -EBADMSG;
    }
    int n = opus_packet_get_nb_samples(pkt, (opus_int32)len, DC_AUDIO_RATE);
    if (n < 0) {
        dec->stats.errors++;
        return -EBADMSG;
    }
    if (n > max_samples)
        return -ENOSPC;
    n = opus_decode(dec->opus, pkt, (opus_int32)len, pcm, max_samples, 0);
    if (n < 0) {
        dec->stats.errors++;
        return -EBADMSG;
    }
    dec->stats.decoded++;
    return n;
}

int dc_adec_recover(dc_adec *dec, const uint8_t *next, size_t next_len, int16_t *pcm,
                    int frame_samples)
{
    if (frame_samples <= 0 || frame_samples % (DC_AUDIO_RATE / 400) != 0 || frame_samples > 5760)
        return -EINVAL;
    int n;
    /* libopus 1.3 cannot tell whether a packet carries FEC (LBRR) data;
     * decoding with decode_fec on a packet without it falls back to PLC. */
    if (next && next_len > 0 && next_len <= DC_AUDIO_MAX_PACKET * 3) {
        n = opus_decode(dec->opus, next, (opus_int32)next_len, pcm, frame_samples, 1);
        if (n >= 0) {
            dec->stats.fec++;
            return n;
        }
    }
    n = opus_decode(dec->opus, NULL, 0, pcm, frame_samples, 0);
    if (n < 0)
        return -EIO;
    dec->stats.concealed++;
    return n;
}

int dc_adec_packet_channels(const uint8_t *pkt, size_t len)
{
    if (!pkt || len == 0)
        return -EBADMSG;
    int c = opus_packet_get_nb_channels(pkt);
    return c < 0 ? -EBADMSG : c;
}

void dc_adec_get_stats(const dc_adec *dec, dc_adec_stats *stats)
{
    *stats = dec->stats;
}
