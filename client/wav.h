/* wav: RIFF WAVE files with 16-bit PCM: a writer for --record and a reader
 * for --audio FILE.wav.
 *
 * The writer emits the canonical 44-byte header with zero sizes and patches
 * the RIFF and data sizes on close, so a file cut short by a crash is still
 * playable by most tools up to the last flushed sample. Samples are written
 * little-endian whatever the host.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "client/media-error.h"

typedef struct dc_wav_writer dc_wav_writer;
typedef struct dc_wav_reader dc_wav_reader;

/* Creates (truncates) path for sample_rate Hz and channels (1..8) 16-bit
 * PCM. Returns NULL and sets error on bad arguments or I/O failure. The
 * caller must call dc_wav_writer_close(). */
dc_wav_writer *dc_wav_writer_open(const char *path, int sample_rate, int channels, GError **error);

/* Appends samples (per channel) of interleaved PCM. Returns FALSE and sets
 * error on a write failure or when the file would pass 4 GiB. */
gboolean dc_wav_writer_write(dc_wav_writer *w, const int16_t *pcm, size_t samples, GError **error);

/* Samples per channel written so far. */
uint64_t dc_wav_writer_samples(const dc_wav_writer *w);

/* Patches the sizes, closes and frees the writer (NULL allowed). Returns
 * FALSE and sets error when that failed. */
gboolean dc_wav_writer_close(dc_wav_writer *w, GError **error);

/* Opens path and parses it up to the data chunk. Returns NULL and sets
 * error unless it is 16-bit PCM WAVE (WAVE_FORMAT_PCM or EXTENSIBLE with a
 * PCM subformat). The caller owns the reader (dc_wav_reader_free). */
dc_wav_reader *dc_wav_reader_open(const char *path, GError **error);

int dc_wav_reader_rate(const dc_wav_reader *r);
int dc_wav_reader_channels(const dc_wav_reader *r);

/* Samples per channel in the data chunk, from the header. */
uint64_t dc_wav_reader_samples(const dc_wav_reader *r);

/* Reads up to samples (per channel) of interleaved PCM into pcm. Returns the
 * number read (0 at the end of the data), or -EIO. */
long dc_wav_reader_read(dc_wav_reader *r, int16_t *pcm, size_t samples);

/* Goes back to the first sample (to loop a file). Returns 0 or -EIO. */
int dc_wav_reader_rewind(dc_wav_reader *r);

/* Closes and frees the reader; NULL is allowed. */
void dc_wav_reader_free(dc_wav_reader *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_wav_reader, dc_wav_reader_free)
