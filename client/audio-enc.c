/* audio-enc: libopus encoder wrapper (see audio-enc.h). */
#include "client/audio-enc.h"

#include <errno.h>

#include <opus.h>

struct dc_aenc {
    OpusEncoder *opus;
    int channels;
    bool dtx;
};

dc_aenc *dc_aenc_new(int channels, int bitrate_bps, GError **error)
{
    if ((channels != 1 && channels != 2) || bitrate_bps < 6000 || bitrate_bps > 510000) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID,
                    "Opus encoder: %d channels at %d bit/s is out of range", channels, bitrate_bps);
        return NULL;
    }
    int err = 0;
    OpusEncoder *opus = opus_encoder_create(DC_AUDIO_RATE, channels, OPUS_APPLICATION_VOIP, &err);
    if (!opus) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_CODEC, "Opus encoder: %s",
                    opus_strerror(err));
        return NULL;
    }
    opus_encoder_ctl(opus, OPUS_SET_BITRATE(bitrate_bps));
    opus_encoder_ctl(opus, OPUS_SET_INBAND_FEC(1));
    opus_encoder_ctl(opus, OPUS_SET_PACKET_LOSS_PERC(5));
    opus_encoder_ctl(opus, OPUS_SET_DTX(0));
    opus_encoder_ctl(opus, OPUS_SET_COMPLEXITY(5));
    opus_encoder_ctl(opus, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    dc_aenc *enc = g_new0(dc_aenc, 1);
    enc->opus = opus;
    enc->channels = channels;
    return enc;
}

void dc_aenc_free(dc_aenc *enc)
{
    if (!enc)
        return;
    opus_encoder_destroy(enc->opus);
    g_free(enc);
}

int dc_aenc_set_packet_loss(dc_aenc *enc, int percent)
{
    if (percent < 0 || percent > 100)
        return -EINVAL;
    return opus_encoder_ctl(enc->opus, OPUS_SET_PACKET_LOSS_PERC(percent)) == OPUS_OK ? 0 : -EIO;
}

int dc_aenc_set_dtx(dc_aenc *enc, bool on)
{
    if (opus_encoder_ctl(enc->opus, OPUS_SET_DTX(on ? 1 : 0)) != OPUS_OK)
        return -EIO;
    enc->dtx = on;
    return 0;
}

int dc_aenc_set_bitrate(dc_aenc *enc, int bitrate_bps)
{
    if (bitrate_bps < 6000 || bitrate_bps > 510000)
        return -EINVAL;
    return opus_encoder_ctl(enc->opus, OPUS_SET_BITRATE(bitrate_bps)) == OPUS_OK ? 0 : -EIO;
}

int dc_aenc_encode(dc_aenc *enc, const int16_t *pcm, uint8_t *out, size_t cap)
{
    opus_int32 max = cap > DC_AUDIO_MAX_PACKET ? DC_AUDIO_MAX_PACKET : (opus_int32)cap;
    opus_int32 n = opus_encode(enc->opus, pcm, DC_AUDIO_FRAME, out, max);
    if (n < 0)
        return n == OPUS_BUFFER_TOO_SMALL ? -ENOSPC : -EIO;
    /* libopus: a packet of 2 bytes or less in DTX need not be transmitted. */
    if (enc->dtx && n <= 2)
        return 0;
    return (int)n;
}

int dc_aenc_channels(const dc_aenc *enc)
{
    return enc->channels;
}
