/* y4m: YUV4MPEG2 files, 4:2:0 8-bit only: a writer for --record and a
 * reader for --video FILE.y4m.
 *
 * Header written: "YUV4MPEG2 W<w> H<h> F<num>:<den> Ip A1:1 C420\n", then
 * per picture "FRAME\n" and the packed Y, U, V planes. The reader accepts
 * any parameter order, C420, C420jpeg, C420mpeg2, C420paldv or no C tag,
 * and ignores frame parameters.
 */
#pragma once

#include <stdio.h>

#include <glib.h>

#include "client/i420.h"
#include "client/media-error.h"

typedef struct dc_y4m_writer dc_y4m_writer;
typedef struct dc_y4m_reader dc_y4m_reader;

/* Creates (truncates) path and writes the stream header. Returns NULL and
 * sets error when the arguments are invalid or the file cannot be written.
 * The caller must call dc_y4m_writer_close(). */
dc_y4m_writer *dc_y4m_writer_open(const char *path, int width, int height, int fps_num, int fps_den,
                                  GError **error);

/* Appends one picture, which must have the size given at open. Returns
 * FALSE and sets error on a size mismatch or write failure. */
gboolean dc_y4m_writer_write(dc_y4m_writer *w, const dc_i420 *pic, GError **error);

/* Pictures written so far. */
unsigned dc_y4m_writer_frames(const dc_y4m_writer *w);

/* Flushes, closes and frees the writer (NULL allowed). Returns FALSE and
 * sets error when flushing or closing failed (e.g. disk full). */
gboolean dc_y4m_writer_close(dc_y4m_writer *w, GError **error);

/* Opens path and parses its header. Returns NULL and sets error when the
 * file cannot be read or is not 8-bit 4:2:0 YUV4MPEG2. The caller owns the
 * reader (dc_y4m_reader_free). */
dc_y4m_reader *dc_y4m_reader_open(const char *path, GError **error);

/* Stream parameters from the header. */
int dc_y4m_reader_width(const dc_y4m_reader *r);
int dc_y4m_reader_height(const dc_y4m_reader *r);
void dc_y4m_reader_fps(const dc_y4m_reader *r, int *num, int *den);

/* Reads the next picture into pic, which must be allocated with the
 * stream's size (dc_i420_alloc). Returns 1 for a picture, 0 at the end of
 * the file, -EBADMSG for a broken or truncated frame, -EINVAL for a size
 * mismatch, -EIO on a read error. */
int dc_y4m_reader_read(dc_y4m_reader *r, dc_i420 *pic);

/* Goes back to the first picture (to loop a file). Returns 0 or -EIO. */
int dc_y4m_reader_rewind(dc_y4m_reader *r);

/* Closes and frees the reader; NULL is allowed. */
void dc_y4m_reader_free(dc_y4m_reader *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_y4m_reader, dc_y4m_reader_free)
