/* wav: 16-bit PCM WAVE writer and reader (see wav.h). */
#include "client/wav.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define HEADER_SIZE 44
#define CHUNK_BUF 512 /* samples converted per fwrite / fread */

struct dc_wav_writer {
    FILE *f;
    char *path;
    int rate, channels;
    uint64_t samples;
};

struct dc_wav_reader {
    FILE *f;
    int rate, channels;
    long data_offset;
    uint64_t data_bytes; /* from the header, clamped to the file */
    uint64_t pos_bytes;  /* read so far */
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static gboolean io_error(GError **error, const char *what, const char *path, int err)
{
    g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_IO, "%s %s: %s", what, path, g_strerror(err));
    return FALSE;
}

static void build_header(uint8_t h[HEADER_SIZE], int rate, int channels, uint32_t data_bytes)
{
    memcpy(h, "RIFF", 4);
    put32(h + 4, 36 + data_bytes);
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, 1); /* WAVE_FORMAT_PCM */
    put16(h + 22, (uint16_t)channels);
    put32(h + 24, (uint32_t)rate);
    put32(h + 28, (uint32_t)(rate * channels * 2));
    put16(h + 32, (uint16_t)(channels * 2));
    put16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    put32(h + 40, data_bytes);
}

dc_wav_writer *dc_wav_writer_open(const char *path, int sample_rate, int channels, GError **error)
{
    if (sample_rate < 1000 || sample_rate > 384000 || channels < 1 || channels > 8) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID,
                    "WAV %s: invalid format %d Hz, %d channels", path, sample_rate, channels);
        return NULL;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        io_error(error, "cannot create", path, errno);
        return NULL;
    }
    uint8_t h[HEADER_SIZE];
    build_header(h, sample_rate, channels, 0);
    if (fwrite(h, 1, sizeof(h), f) != sizeof(h)) {
        int err = errno;
        fclose(f);
        io_error(error, "cannot write", path, err);
        return NULL;
    }
    dc_wav_writer *w = g_new0(dc_wav_writer, 1);
    w->f = f;
    w->path = g_strdup(path);
    w->rate = sample_rate;
    w->channels = channels;
    return w;
}

gboolean dc_wav_writer_write(dc_wav_writer *w, const int16_t *pcm, size_t samples, GError **error)
{
    size_t count = samples * (size_t)w->channels;
    if ((w->samples + samples) * (uint64_t)w->channels * 2 > UINT32_MAX - HEADER_SIZE) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_IO, "WAV %s: file would pass 4 GiB",
                    w->path);
        return FALSE;
    }
    uint8_t buf[CHUNK_BUF * 2];
    for (size_t i = 0; i < count;) {
        size_t n = count - i < CHUNK_BUF ? count - i : CHUNK_BUF;
        for (size_t k = 0; k < n; k++)
            put16(buf + 2 * k, (uint16_t)pcm[i + k]);
        if (fwrite(buf, 2, n, w->f) != n)
            return io_error(error, "cannot write", w->path, errno);
        i += n;
    }
    w->samples += samples;
    return TRUE;
}

uint64_t dc_wav_writer_samples(const dc_wav_writer *w)
{
    return w->samples;
}

gboolean dc_wav_writer_close(dc_wav_writer *w, GError **error)
{
    if (!w)
        return TRUE;
    gboolean ok = TRUE;
    uint32_t data_bytes = (uint32_t)(w->samples * (uint64_t)w->channels * 2);
    uint8_t h[HEADER_SIZE];
    build_header(h, w->rate, w->channels, data_bytes);
    if (fflush(w->f) != 0 || fseek(w->f, 0, SEEK_SET) != 0 ||
        fwrite(h, 1, sizeof(h), w->f) != sizeof(h))
        ok = io_error(error, "cannot finish", w->path, errno);
    if (fclose(w->f) != 0 && ok)
        ok = io_error(error, "cannot close", w->path, errno);
    g_free(w->path);
    g_free(w);
    return ok;
}

static gboolean format_error(GError **error, const char *path, const char *why)
{
    g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_FORMAT, "WAV %s: %s", path, why);
    return FALSE;
}

/* Walks the RIFF chunks to "fmt " and "data"; leaves the file at the first
 * sample. */
static gboolean parse_chunks(dc_wav_reader *r, const char *path, GError **error)
{
    uint8_t riff[12];
    if (fread(riff, 1, 12, r->f) != 12 || memcmp(riff, "RIFF", 4) != 0 ||
        memcmp(riff + 8, "WAVE", 4) != 0)
        return format_error(error, path, "not a RIFF WAVE file");
    bool have_fmt = false;
    for (int guard = 0; guard < 64; guard++) {
        uint8_t ch[8];
        if (fread(ch, 1, 8, r->f) != 8)
            return format_error(error, path, "no data chunk");
        uint32_t size = get32(ch + 4);
        if (memcmp(ch, "fmt ", 4) == 0) {
            uint8_t fmt[40] = {0};
            if (size < 16 || size > sizeof(fmt) || fread(fmt, 1, size, r->f) != size)
                return format_error(error, path, "bad fmt chunk");
            uint16_t tag = get16(fmt);
            /* EXTENSIBLE: the subformat GUID starts with the real tag. */
            if (tag == 0xfffe && size >= 26)
                tag = get16(fmt + 24);
            if (tag != 1 || get16(fmt + 14) != 16)
                return format_error(error, path, "only 16-bit PCM is supported");
            r->channels = get16(fmt + 2);
            r->rate = (int)get32(fmt + 4);
            if (r->channels < 1 || r->channels > 8 || r->rate < 1000 || r->rate > 384000)
                return format_error(error, path, "bad channel count or rate");
            have_fmt = true;
            if ((size & 1) && fseek(r->f, 1, SEEK_CUR) != 0)
                return format_error(error, path, "truncated");
        } else if (memcmp(ch, "data", 4) == 0) {
            if (!have_fmt)
                return format_error(error, path, "data chunk before fmt chunk");
            r->data_offset = ftell(r->f);
            r->data_bytes = size;
            return TRUE;
        } else if (fseek(r->f, (long)size + (size & 1), SEEK_CUR) != 0) {
            return format_error(error, path, "truncated");
        }
    }
    return format_error(error, path, "too many chunks before data");
}

dc_wav_reader *dc_wav_reader_open(const char *path, GError **error)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        io_error(error, "cannot open", path, errno);
        return NULL;
    }
    dc_wav_reader *r = g_new0(dc_wav_reader, 1);
    r->f = f;
    if (!parse_chunks(r, path, error)) {
        dc_wav_reader_free(r);
        return NULL;
    }
    /* Writers that stream set the data size to 0 or 0xffffffff: clamp to
     * what the file holds. */
    if (fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        uint64_t avail = end > r->data_offset ? (uint64_t)(end - r->data_offset) : 0;
        if (r->data_bytes == 0 || r->data_bytes > avail)
            r->data_bytes = avail;
    }
    if (fseek(f, r->data_offset, SEEK_SET) != 0) {
        io_error(error, "cannot seek in", path, errno);
        dc_wav_reader_free(r);
        return NULL;
    }
    return r;
}

int dc_wav_reader_rate(const dc_wav_reader *r)
{
    return r->rate;
}

int dc_wav_reader_channels(const dc_wav_reader *r)
{
    return r->channels;
}

uint64_t dc_wav_reader_samples(const dc_wav_reader *r)
{
    return r->data_bytes / (uint64_t)(2 * r->channels);
}

long dc_wav_reader_read(dc_wav_reader *r, int16_t *pcm, size_t samples)
{
    uint64_t frame_bytes = (uint64_t)(2 * r->channels);
    uint64_t left = (r->data_bytes - r->pos_bytes) / frame_bytes;
    if (samples > left)
        samples = (size_t)left;
    size_t count = samples * (size_t)r->channels, done = 0;
    uint8_t buf[CHUNK_BUF * 2];
    while (done < count) {
        size_t n = count - done < CHUNK_BUF ? count - done : CHUNK_BUF;
        size_t got = fread(buf, 2, n, r->f);
        for (size_t k = 0; k < got; k++)
            pcm[done + k] = (int16_t)get16(buf + 2 * k);
        done += got;
        if (got < n) {
            if (ferror(r->f))
                return -EIO;
            break;
        }
    }
    size_t whole = done / (size_t)r->channels;
    r->pos_bytes += whole * frame_bytes;
    return (long)whole;
}

int dc_wav_reader_rewind(dc_wav_reader *r)
{
    clearerr(r->f);
    if (fseek(r->f, r->data_offset, SEEK_SET) != 0)
        return -EIO;
    r->pos_bytes = 0;
    return 0;
}

void dc_wav_reader_free(dc_wav_reader *r)
{
    if (!r)
        return;
    fclose(r->f);
    g_free(r);
}
